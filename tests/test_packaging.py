"""Set-up files do what they say: Makefile, README, pyproject, conda/Binder, CI.

Behaviour first: ``make -n`` shows what a target would run, Binder's postBuild and
``.ci/run`` are executed with stand-in commands that record their calls, git says
what it ignores.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
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
needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def requirements(pyproject) -> dict[str, Requirement]:
    reqs = [Requirement(r) for r in pyproject["project"]["dependencies"]]
    return {canonicalize_name(r.name): r for r in reqs}


@pytest.fixture(scope="module")
def test_extra(pyproject) -> set[str]:
    extra = pyproject["project"]["optional-dependencies"]["test"]
    return {canonicalize_name(Requirement(r).name) for r in extra}


def _env_dependencies(text: str) -> set[str]:
    """Package names of an environment.yml, conda and pip sections alike."""
    names = set()
    for match in re.finditer(r"^\s*-\s+([A-Za-z0-9_.\-]+)", text, flags=re.MULTILINE):
        names.add(canonicalize_name(match.group(1)))
    return names


def _make_dry_run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "-n", *args], cwd=REPO, capture_output=True, text=True, timeout=60
    )


# --- README and Makefile -------------------------------------------------------------------


def _readme_make_commands() -> list[list[str]]:
    """Every `make ...` command the README shows (code blocks and inline code)."""
    readme = (REPO / "README.md").read_text()
    commands = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", readme, flags=re.DOTALL):
        commands += [line.strip() for line in block.splitlines()]
    commands += re.findall(r"`(make\b[^`]*)`", readme)
    found = []
    for command in commands:
        command = command.split("#")[0].strip()
        if command.startswith("make ") or command == "make":
            found.append(shlex.split(command)[1:])
    return found


@needs_make
def test_every_make_command_of_the_readme_exists():
    commands = _readme_make_commands()
    targets = {next((a for a in args if "=" not in a), None) for args in commands}
    assert {"run", "test", "quick"} <= targets, targets
    for args in commands:
        result = _make_dry_run(*args)
        assert result.returncode == 0, f"make {' '.join(args)}: {result.stderr}"


def test_readme_gives_the_two_setup_commands():
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", readme, flags=re.DOTALL)
    assert ["make run", "make test"] in [block.strip().splitlines() for block in blocks]
    assert "01_multiscale_analysis.ipynb" in readme
    assert "CONTRIBUTING.md" in readme


@needs_make
def test_make_installs_torch_before_the_project():
    result = _make_dry_run("-B", "install")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    torch = next(i for i, line in enumerate(lines) if "pip install torch==2.13.0" in line)
    project = next(i for i, line in enumerate(lines) if 'pip install -e ".[test]"' in line)
    assert torch < project
    custom = _make_dry_run("-B", "TORCH_SPEC=torch --index-url https://x/cpu", "install")
    assert "pip install torch --index-url https://x/cpu" in custom.stdout


def _make_with_stand_in_python(
    tmp_path: Path, target: str, fail_when: str = "", jobs: str | None = None
) -> tuple:
    """Run a make target for real with .venv/bin/python replaced by a logging stand-in."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    log = tmp_path / "python.log"
    python = bin_dir / "python"
    python.write_text(
        "#!/bin/sh\n"
        f'echo "TQDM_DISABLE=$TQDM_DISABLE $*" >> "{log}"\n'
        + (f'case "$*" in *"{fail_when}"*) exit 1;; esac\n' if fail_when else "")
        + "exit 0\n"
    )
    python.chmod(0o755)
    stamp = tmp_path / "installed"
    stamp.touch()  # newer than pyproject.toml: nothing to install
    os.utime(stamp, (2**31, 2**31))
    result = subprocess.run(
        ["make", "--no-print-directory", target, f"BIN={bin_dir}", f"STAMP={stamp}"]
        + ([f"JOBS={jobs}"] if jobs is not None else []),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    calls = log.read_text().splitlines() if log.exists() else []
    # installing an extra (make test installs the docs extra first) is not a test run
    calls = [c for c in calls if "pip install" not in c]
    return result.returncode, calls


FIRST_PART = (
    "TQDM_DISABLE=1 -m pytest -n auto --dist loadfile --ignore=tests/browser"
    " --ignore=tests/test_docs.py --save-executed runs/nbval"
)
SECOND_PART = (
    "TQDM_DISABLE=1 -m pytest -n auto --dist loadscope tests/test_docs.py tests/browser"
)


@needs_make
def test_make_test_runs_everything_then_the_website_and_browser_suite(tmp_path):
    code, calls = _make_with_stand_in_python(tmp_path, "test")
    assert code == 0
    # unit tests, doctests and notebooks (testpaths) on xdist workers, keeping the executed
    # notebooks for the website build; then the website checks and the browser suite
    assert calls == [FIRST_PART, SECOND_PART]
    code, calls = _make_with_stand_in_python(tmp_path / "serial", "test", jobs="0")
    assert code == 0
    assert not any(" -n " in c or "--dist" in c for c in calls)


def test_loadscope_keeps_the_website_build_and_its_page_checks_on_one_worker():
    """conftest.py's scheduler: the docs build and its page checks share a scope; every
    notebook of the browser suite is a scope of its own (its class), as are modules."""
    pytest.importorskip("xdist")
    spec = importlib.util.spec_from_file_location("root_conftest", REPO / "conftest.py")
    root = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(root)
    scheduling = object.__new__(root._Scheduling)  # _split_scope reads no state
    scope = scheduling._split_scope
    assert scope("tests/test_docs.py::test_site_builds") == "docs"
    assert scope("tests/browser/test_docs_pages.py::test_landing_page_pictures_load") == "docs"
    nb1 = "tests/browser/test_notebooks.py::Test_01_multiscale::test_as_seen_in_jupyterlab"
    nb2 = "tests/browser/test_notebooks.py::Test_02_synthesis::test_as_seen_in_jupyterlab"
    assert scope(nb1 + "[errors]") == scope(nb1 + "[finished]") != scope(nb2 + "[errors]")
    assert scope("tests/test_x.py::test_a") == "tests/test_x.py" != scope(nb1 + "[errors]")


@needs_make
def test_make_test_runs_the_browser_suite_even_after_a_failure_and_fails(tmp_path):
    code, calls = _make_with_stand_in_python(tmp_path, "test", fail_when="--ignore")
    assert code != 0
    assert calls[-1] == SECOND_PART
    code, calls = _make_with_stand_in_python(tmp_path / "b", "test", fail_when="tests/browser")
    assert code != 0 and len(calls) == 2


@needs_make
def test_make_quick_skips_slow_browser_and_notebooks(tmp_path):
    code, calls = _make_with_stand_in_python(tmp_path, "quick")
    assert code == 0
    (call,) = calls  # no notebooks, no doctests: the tests folder only
    assert call == "TQDM_DISABLE=1 -m pytest -m not slow and not browser -x -q tests"
    line = next(line for line in _make_dry_run("quick").stdout.splitlines() if "pytest" in line)
    options = shlex.split(line)
    assert options[options.index("-m", options.index("pytest")) + 1] == "not slow and not browser"


def test_markers_are_registered(pyproject):
    markers = {
        m.split(":")[0].strip() for m in pyproject["tool"]["pytest"]["ini_options"]["markers"]
    }
    assert {"slow", "browser", "network"} <= markers


def test_plain_pytest_collects_tests_doctests_and_notebooks(pyproject):
    opts = pyproject["tool"]["pytest"]["ini_options"]
    assert opts["testpaths"] == ["tests", "textures_nb", "notebooks"]
    for flag in ("--nbval-lax", "--nbval-current-env", "--nbval-cell-timeout", "--doctest-modules"):
        assert flag in opts["addopts"]


def test_progress_bars_are_off_in_the_tests():
    from tqdm.auto import tqdm

    from textures_nb._shared.progress import tqdm as package_tqdm

    assert os.environ.get("TQDM_DISABLE") == "1"
    assert tqdm(range(2)).disable
    assert package_tqdm(range(2), disable=False).disable  # read at call time, wins


# --- environments ----------------------------------------------------------------------------


def test_binder_environment_is_a_copy_of_the_root_one():
    root = (REPO / "environment.yml").read_bytes()
    assert (REPO / "binder" / "environment.yml").read_bytes() == root


def test_environment_covers_runtime_dependencies(requirements):
    # binder/postBuild installs the package with --no-deps: conda must bring them
    env = _env_dependencies((REPO / "environment.yml").read_text())
    missing = [n for n in requirements if canonicalize_name(CONDA_NAMES.get(n, n)) not in env]
    assert not missing, f"add to environment.yml: {missing}"
    assert "pytorch-cpu" in env and "torch" not in env


def test_optional_tools_are_in_the_test_extra_and_the_environment(test_extra):
    env = _env_dependencies((REPO / "environment.yml").read_text())
    for name in ("faiss-cpu", "playwright", "nbstripout", "pytest", "nbval"):
        assert name in test_extra, name
        assert name in env, name


def _stand_ins(folder: Path, commands: dict[str, str], log: Path) -> str:
    """Executables that log their arguments (and ATEN_CPU_CAPABILITY) and exit as told."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, exit_code in commands.items():
        script = folder / name
        script.write_text(
            "#!/bin/sh\n"
            f'echo "{name} $* [cwd=$(pwd)] [aten=${{ATEN_CPU_CAPABILITY:-}}]" >> "{log}"\n'
            f"exit {exit_code}\n"
        )
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    for tool in ("env", "id", "dirname", "sh"):
        real = shutil.which(tool)
        if real and not (folder / tool).exists():
            (folder / tool).symlink_to(real)
    return str(folder)


def test_postbuild_installs_the_package(tmp_path):
    log = tmp_path / "calls.log"
    path = _stand_ins(tmp_path / "bin", {"python": "0"}, log)
    result = subprocess.run(
        ["/bin/bash", str(REPO / "binder" / "postBuild")],
        cwd=REPO,
        env={"PATH": path, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert f"python -m pip install --no-deps -e . [cwd={REPO}]" in log.read_text()
    # set -e: a failing install fails the build
    failing = _stand_ins(tmp_path / "bin-fail", {"python": "1"}, tmp_path / "fail.log")
    result = subprocess.run(
        ["/bin/bash", str(REPO / "binder" / "postBuild")],
        cwd=REPO,
        env={"PATH": failing, "HOME": str(tmp_path)},
        capture_output=True,
        timeout=60,
    )
    assert result.returncode != 0


def _run_ci(tmp_path: Path, make_exit: str = "0") -> tuple[int, list[str]]:
    """.ci/run in a copy of the repository's layout, every command a stand-in."""
    repo = tmp_path / "repo"
    (repo / ".ci").mkdir(parents=True)
    shutil.copy2(REPO / ".ci" / "run", repo / ".ci" / "run")
    log = tmp_path / "calls.log"
    log.touch()
    path = _stand_ins(tmp_path / "bin", {"make": make_exit, "apt-get": "0", "sudo": "0"}, log)
    _stand_ins(repo / ".venv" / "bin", {"python": "0"}, log)
    result = subprocess.run(
        ["/bin/bash", str(repo / ".ci" / "run")],
        cwd=tmp_path,
        env={"PATH": path, "HOME": str(tmp_path)},  # no chromium on this PATH
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode, log.read_text().replace(str(repo), "REPO").splitlines()


def test_ci_installs_chromium_runs_make_test_then_network_tests_on_a_second_kernel(tmp_path):
    assert os.access(REPO / ".ci" / "run", os.X_OK), ".ci/run must be executable"
    code, calls = _run_ci(tmp_path)
    assert code == 0, calls
    install = next(i for i, c in enumerate(calls) if c.startswith("apt-get") and "install" in c)
    assert "chromium" in calls[install]
    make = calls.index("make test [cwd=REPO] [aten=]")
    network = next(i for i, c in enumerate(calls) if "-m pytest -m network" in c)
    assert install < make < network
    assert calls[network].startswith("python ") and calls[network].endswith("[aten=default]")


def test_ci_stops_when_make_test_fails(tmp_path):
    code, calls = _run_ci(tmp_path, make_exit="2")
    assert code != 0
    assert not any("-m network" in c for c in calls)


@pytest.mark.slow
def test_network_tests_exist_for_the_second_kernel_run():
    # CI reruns `-m network` under ATEN_CPU_CAPABILITY=default: it must select tests
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "network",
         "-p", "no:cacheprovider", "tests"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    selected = [line for line in result.stdout.splitlines() if "::" in line]
    assert selected, result.stdout[-2000:]


# --- package metadata ------------------------------------------------------------------------


def test_torch_is_a_range_that_keeps_the_installed_cpu_build(requirements):
    torch = requirements["torch"]
    assert torch.url is None, "torch must not point at a wheel URL"
    assert torch.specifier, "give torch a lower bound"
    assert all(spec.operator not in {"==", "===", "~="} for spec in torch.specifier)
    assert torch.specifier.contains(INSTALLED_TORCH)
    assert torch.specifier.contains(Version("2.13.0+cpu"), prereleases=False)
    assert "cu" not in str(torch.specifier) and "cpu" not in str(torch.specifier)
    assert not torch.specifier.contains(Version("2.1.0"))


def test_project_metadata(pyproject, test_extra):
    project = pyproject["project"]
    assert project["name"] == "textures-nb"
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"]["attr"] == (
        "textures_nb.__version__"
    )
    assert Version(textures_nb.__version__)
    assert project["requires-python"] == ">=3.10"
    assert pyproject["tool"]["setuptools"]["packages"]["find"]["include"][0] == "textures_nb"
    assert {"pytest", "nbval", "pymultifracs", "ruff"} <= test_extra


def test_the_runner_and_the_old_names_are_importable():
    # notebooks and scripts written against the old module names keep working
    from textures_nb import batch, devtools, runner

    assert textures_nb.record is runner.record is batch.record
    assert devtools.strip_notebook is runner.strip_notebook
    result = subprocess.run(
        [sys.executable, "-m", "textures_nb", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert all(command in result.stdout for command in ("run", "batch", "notebooks"))


def test_git_ignores_generated_files(tmp_path):
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    paths = [".venv/bin/python", "runs/x.ipynb", "a/__pycache__/m.pyc", "x.egg-info/PKG-INFO",
             "notebooks/.ipynb_checkpoints/a.ipynb"]  # fmt: skip
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *paths], cwd=REPO, capture_output=True, text=True
    )
    assert result.stdout.split() == paths
