"""Stripping and convention checks of stored notebooks (textures_nb.runner.maintenance)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from textures_nb.__main__ import main
from textures_nb.runner.maintenance import (
    check_stripped,
    is_check_cell,
    refresh_notebooks,
    strip_notebook,
)

REPO = Path(__file__).resolve().parents[1]
STORED = sorted((REPO / "notebooks").glob("*.ipynb"))


def _stream(text: str):
    return new_output("stream", name="stdout", text=text)


def _executed_notebook():
    """A notebook as papermill leaves it: outputs everywhere, papermill leftovers."""
    cells = [
        new_markdown_cell("# Title\n\nWhat you will learn, prerequisites, time."),
        new_code_cell("seed = 0\nn = 3", metadata={"tags": ["parameters"]}, execution_count=1),
        new_code_cell(
            "# Parameters\nn = 5",
            metadata={"tags": ["injected-parameters"]},
            execution_count=2,
        ),
        new_code_cell("print(n)", execution_count=3, outputs=[_stream("5\n")]),
        new_code_cell(
            "# NBVAL_CHECK_OUTPUT\nprint(round(1 / 3, 3))",
            execution_count=4,
            outputs=[_stream("0.333\n")],
        ),
        new_code_cell(
            "print('tagged')",
            metadata={"tags": ["nbval-check-output"]},
            execution_count=5,
            outputs=[_stream("tagged\n")],
        ),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["papermill"] = {"parameters": {"n": 5}}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    for cell in nb.cells:
        cell.metadata["papermill"] = {"duration": 0.1}
        cell.metadata["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00"}
    return nb


def _write(nb, path: Path) -> Path:
    nbformat.write(nb, str(path))
    return path


# --- strip_notebook ----------------------------------------------------------


def test_strip_keeps_only_check_outputs():
    original = _executed_notebook()
    stripped = strip_notebook(original)
    sources = [c.source for c in stripped.cells]
    assert not any(s.startswith("# Parameters") for s in sources)  # injected cell gone
    code = [c for c in stripped.cells if c.cell_type == "code"]
    kept = {c.source.splitlines()[-1]: c for c in code if is_check_cell(c)}
    assert set(kept) == {"print(round(1 / 3, 3))", "print('tagged')"}
    for cell in code:
        if is_check_cell(cell):
            assert cell.outputs and cell.execution_count is not None
        else:
            assert cell.outputs == [] and cell.execution_count is None
    assert "papermill" not in stripped.metadata and "widgets" not in stripped.metadata
    assert all(
        "papermill" not in c.metadata and "execution" not in c.metadata for c in stripped.cells
    )
    # cell ids survive (nbstripout renumbers them unless told not to)
    assert [c.id for c in stripped.cells] == [
        c.id for c in original.cells if "injected-parameters" not in c.metadata.get("tags", [])
    ]
    # the input is left alone
    assert len(original.cells) == 6 and original.cells[3].outputs


def test_stripped_notebook_passes_check(tmp_path):
    path = _write(strip_notebook(_executed_notebook()), tmp_path / "nb.ipynb")
    assert check_stripped(path) == []


def test_unstripped_notebook_fails_check(tmp_path):
    problems = check_stripped(_write(_executed_notebook(), tmp_path / "raw.ipynb"))
    text = "\n".join(problems)
    assert "papermill leftover" in text
    assert "outputs stored in a non-check cell" in text
    assert "execution_count stored in a non-check cell" in text
    assert "'widgets'" in text and "'papermill'" in text


def _problems_after(tmp_path, edit) -> str:
    nb = strip_notebook(_executed_notebook())
    edit(nb)
    return "\n".join(check_stripped(_write(nb, tmp_path / "nb.ipynb")))


def test_check_reports_each_convention(tmp_path):
    def first_cell_code(nb):
        nb.cells.insert(0, new_code_cell("import numpy"))

    def no_parameters_tag(nb):
        nb.cells[1].metadata["tags"] = []

    def no_seed(nb):
        nb.cells[1].source = "n = 3"

    def derived_parameter(nb):
        nb.cells[1].source = "seed = 0\nfast = True\nn_iter = 5 if fast else 500"

    def comment_papermill_cannot_parse(nb):
        nb.cells[1].source = "seed = 0\nlam = 0.2  # intermittency (c2 = -lam**2)"

    def check_without_output(nb):
        nb.cells[3].outputs = []

    def check_without_count(nb):
        nb.cells[3].execution_count = None

    def plotly_html(nb):
        nb.cells[3].outputs.append(
            new_output("display_data", data={"text/html": "<script>/* plotly.js */</script>"})
        )

    cases = {
        first_cell_code: "first cell must be markdown",
        no_parameters_tag: "no cell is tagged 'parameters'",
        no_seed: "does not define `seed`",
        derived_parameter: "not a plain literal",
        comment_papermill_cannot_parse: "papermill's parser skips 'lam'",
        check_without_output: "check cell has no stored output",
        check_without_count: "execution_count is null",
        plotly_html: "embeds plotly.js",
    }
    for edit, expected in cases.items():
        assert expected in _problems_after(tmp_path, edit), edit.__name__


def test_check_cli(tmp_path, capsys):
    path = _write(_executed_notebook(), tmp_path / "raw.ipynb")
    assert main(["notebooks", "--check", str(path)]) == 1
    assert "problem: raw.ipynb" in capsys.readouterr().out
    assert main(["notebooks", "--no-execute", str(path)]) == 0
    assert main(["notebooks", "--check", str(path)]) == 0


# --- re-execution end to end -------------------------------------------------


@pytest.mark.slow
def test_refresh_then_nbval_passes(tmp_path):
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Tiny\n\nLearn nothing, 1 s."),
            new_code_cell("seed = 1\nscale = 2.0", metadata={"tags": ["parameters"]}),
            new_code_cell("import numpy as np\nrng = np.random.default_rng(seed)"),
            new_code_cell("x = rng.normal(size=100) * scale\nx[:3]"),
            new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(round(float(np.std(x)), 1))"),
        ]
    )
    path = _write(nb, tmp_path / "tiny.ipynb")
    assert refresh_notebooks([path]) == 0
    assert check_stripped(path) == []
    stored = nbformat.read(str(path), as_version=4)
    expected = round(float(np.std(np.random.default_rng(1).normal(size=100) * 2.0)), 1)
    assert stored.cells[4].outputs[0]["text"].strip() == str(expected)
    assert stored.cells[3].outputs == []
    # the stored reference is accepted by nbval (no "Unrun reference cell")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "--rootdir",
            str(tmp_path),
            "--nbval-lax",
            "--nbval-current-env",
            str(path),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_refresh_leaves_failing_notebook_unchanged(tmp_path, capsys):
    nb = new_notebook(cells=[new_markdown_cell("# x"), new_code_cell("1 / 0")])
    path = _write(nb, tmp_path / "fails.ipynb")
    before = path.read_text()
    assert refresh_notebooks([path]) == 1
    assert path.read_text() == before
    assert "ZeroDivisionError" in capsys.readouterr().out


# --- the repository's own notebooks ------------------------------------------


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, id=p.name) for p in STORED]
    or [pytest.param(None, marks=pytest.mark.skip(reason="no notebooks/*.ipynb yet"))],
)
def test_stored_notebooks_follow_conventions(path):
    problems = check_stripped(path)
    assert not problems, "run `make notebooks`, then fix:\n" + "\n".join(problems)
