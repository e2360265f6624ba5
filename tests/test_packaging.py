"""Set-up files agree with each other: pyproject, Makefile, conda/Binder, README, CI."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

import textures_nb

REPO = Path(__file__).resolve().parents[1]
INSTALLED_TORCH = Version("2.13.0")
# conda-forge names for PyPI requirements whose names differ
CONDA_NAMES = {"torch": "pytorch-cpu"}


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def requirements(pyproject) -> dict[str, Requirement]:
    reqs = [Requirement(r) for r in pyproject["project"]["dependencies"]]
    return {canonicalize_name(r.name): r for r in reqs}


def _env_dependencies(text: str) -> set[str]:
    """Package names of an environment.yml, conda and pip sections alike."""
    names = set()
    for match in re.finditer(r"^\s*-\s+([A-Za-z0-9_.\-]+)", text, flags=re.MULTILINE):
        names.add(canonicalize_name(match.group(1)))
    return names


def test_binder_environment_is_a_copy_of_the_root_one():
    root = (REPO / "environment.yml").read_bytes()
    assert (REPO / "binder" / "environment.yml").read_bytes() == root


def test_environment_covers_runtime_dependencies(requirements):
    # binder/postBuild installs the package with --no-deps: conda must bring them
    env = _env_dependencies((REPO / "environment.yml").read_text())
    missing = [n for n in requirements if canonicalize_name(CONDA_NAMES.get(n, n)) not in env]
    assert not missing, f"add to environment.yml: {missing}"
    assert "pytorch-cpu" in env and "torch" not in env


def test_postbuild_installs_the_package():
    lines = [
        line.strip()
        for line in (REPO / "binder" / "postBuild").read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert lines[0] == "set -e"
    assert "python -m pip install --no-deps -e ." in lines


def test_torch_is_a_range_that_keeps_the_installed_cpu_build(requirements):
    torch = requirements["torch"]
    assert torch.url is None, "torch must not point at a wheel URL"
    assert torch.specifier, "give torch a lower bound"
    assert all(spec.operator not in {"==", "===", "~="} for spec in torch.specifier)
    assert torch.specifier.contains(INSTALLED_TORCH)
    assert torch.specifier.contains(Version("2.13.0+cpu"), prereleases=False)
    assert "cu" not in str(torch.specifier) and "cpu" not in str(torch.specifier)
    assert not torch.specifier.contains(Version("2.1.0"))


def test_project_metadata(pyproject):
    project = pyproject["project"]
    assert project["name"] == "textures-nb"
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"]["attr"] == (
        "textures_nb.__version__"
    )
    assert Version(textures_nb.__version__)
    assert project["requires-python"] == ">=3.10"
    assert pyproject["tool"]["setuptools"]["packages"]["find"]["include"][0] == "textures_nb"
    test_extra = {
        canonicalize_name(Requirement(r).name) for r in project["optional-dependencies"]["test"]
    }
    assert {"pytest", "nbval", "pymultifracs", "ruff"} <= test_extra


def test_plain_pytest_runs_notebooks_under_nbval(pyproject):
    opts = pyproject["tool"]["pytest"]["ini_options"]
    assert opts["testpaths"] == ["tests", "notebooks"]
    for flag in ("--nbval-lax", "--nbval-current-env", "--nbval-cell-timeout"):
        assert flag in opts["addopts"]


def test_readme_gives_the_two_setup_commands():
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", readme, flags=re.DOTALL)
    assert ["make run", "make test"] in [block.strip().splitlines() for block in blocks]
    assert "01_multiscale_analysis.ipynb" in readme


def test_ci_runs_make_test():
    ci = REPO / ".ci" / "run"
    assert os.access(ci, os.X_OK), ".ci/run must be executable"
    text = ci.read_text()
    assert "set -euo pipefail" in text
    assert re.search(r"^make test$", text, flags=re.MULTILINE)


def _recipe(makefile: str, target_prefix: str) -> list[str]:
    match = re.search(
        rf"^{re.escape(target_prefix)}[^\n]*:[^\n]*\n((?:\t[^\n]*\n)+)", makefile, re.MULTILINE
    )
    assert match, f"no rule for {target_prefix}"
    return match.group(1).splitlines()


def test_makefile_installs_torch_before_the_project():
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^TORCH_SPEC \?= torch==2\.13\.0$", makefile, re.MULTILINE)
    assert re.search(r"^PYTHON \?= python3$", makefile, re.MULTILINE)
    recipe = _recipe(makefile, "$(STAMP)")
    torch_line = next(i for i, line in enumerate(recipe) if "$(TORCH_SPEC)" in line)
    project_line = next(i for i, line in enumerate(recipe) if '-e ".[test]"' in line)
    assert torch_line < project_line
    for target in ("run", "test", "lint", "notebooks", "benchmarks"):
        assert re.search(rf"^{target}: \$\(STAMP\)", makefile, re.MULTILINE), target
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.MULTILINE).group(1).split()
    assert {"run", "test", "lint", "notebooks", "benchmarks", "clean"} <= set(phony)


def test_gitignore_keeps_generated_files_out():
    ignored = (REPO / ".gitignore").read_text().splitlines()
    for entry in (".venv/", "runs/", "__pycache__/", "*.egg-info/", ".ipynb_checkpoints/"):
        assert entry in ignored
