"""Batch execution of notebooks (textures_nb.batch and ``python -m textures_nb run``).

Notebooks are built in tmp_path; each papermill run takes about a second or
three, so the executed runs are shared through module-scoped fixtures.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from textures_nb.__main__ import main
from textures_nb.batch import (
    NotebookRun,
    collect_notebooks,
    format_run,
    parse_value,
    run_notebooks,
    timestamped_dir,
)

STAMP = re.compile(r"^\d{8}-\d{6}(-\d+)?$")


def _write(path: Path, cells) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=cells), str(path))
    return path


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("nbs")
    (folder / "data.txt").write_text("found\n")
    good = _write(
        folder / "good.ipynb",
        [
            new_markdown_cell("# Good"),
            new_code_cell("seed = 0\nn = 2", metadata={"tags": ["parameters"]}),
            # relative path: proves the kernel runs in the notebook's folder
            new_code_cell("print('n =', n, open('data.txt').read().strip())"),
        ],
    )
    bad = _write(
        folder / "bad.ipynb",
        [
            new_markdown_cell("# Bad"),
            new_code_cell("x = 1"),
            new_code_cell("raise ValueError('bad input on purpose')"),
            new_code_cell("print('never reached')"),
        ],
    )
    return {"folder": folder, "good": good, "bad": bad}


@pytest.fixture(scope="module")
def api_runs(notebooks, tmp_path_factory) -> tuple[list[NotebookRun], Path]:
    out = tmp_path_factory.mktemp("out")
    # the failing notebook goes first: it must not stop the next one
    runs = run_notebooks(
        [notebooks["bad"], notebooks["good"]], out, parameters={"n": 7}, progress=False
    )
    return runs, out


@pytest.fixture(scope="module")
def cli_failing(notebooks, tmp_path_factory):
    root = tmp_path_factory.mktemp("cli") / "runs"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["run", str(notebooks["folder"]), "--out", str(root), "-p", "n", "11"])
    return code, stdout.getvalue(), root


def _outputs_text(path: Path) -> str:
    nb = nbformat.read(str(path), as_version=4)
    chunks = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            chunks.append(out.get("text", ""))
    return "".join(chunks)


# --- library -----------------------------------------------------------------


def test_every_notebook_is_reported(api_runs):
    runs, _ = api_runs
    assert [(r.name, r.status) for r in runs] == [("bad", "failed"), ("good", "ok")]
    assert all(r.seconds > 0 for r in runs)


def test_failure_names_cell_and_error(api_runs):
    bad = api_runs[0][0]
    assert not bad.ok
    assert bad.cell == 2  # index in the source notebook, markdown cell included
    assert bad.error == "ValueError: bad input on purpose"
    assert bad.output.exists()  # papermill saves the copy with the traceback


def test_good_copy_holds_injected_parameter(api_runs):
    runs, out = api_runs
    good = runs[1]
    assert good.ok and good.cell is None and good.error is None
    assert good.output == out / "good.ipynb"
    nb = nbformat.read(str(good.output), as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "n = 7" in injected[0].source
    assert "n = 7 found" in _outputs_text(good.output)


def test_format_run_lines():
    ok = NotebookRun("a", "ok", 12.34, Path("runs/x/a.ipynb"), Path("a.ipynb"))
    assert format_run(ok) == "ok      12.3 s  runs/x/a.ipynb"
    failed = NotebookRun(
        "b", "failed", 3.1, Path("runs/x/b.ipynb"), Path("b.ipynb"), cell=4, error="E: boom"
    )
    assert format_run(failed) == "FAILED   3.1 s  runs/x/b.ipynb  (cell 4: E: boom)"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("0.5", 0.5),
        ("True", True),
        ("None", None),
        ("[1, 2]", [1, 2]),
        ("db4", "db4"),
        ("'3'", "3"),
    ],
)
def test_parse_value(text, value):
    assert parse_value(text) == value


def test_collect_notebooks(tmp_path):
    a = _write(tmp_path / "b.ipynb", [new_markdown_cell("b")])
    b = _write(tmp_path / "a.ipynb", [new_markdown_cell("a")])
    _write(tmp_path / "sub" / "c.ipynb", [new_markdown_cell("c")])
    assert collect_notebooks([tmp_path]) == [b, a]  # sorted, not recursive
    assert collect_notebooks([a, tmp_path]) == [a, b]  # given order, no duplicates
    with pytest.raises(FileNotFoundError, match="missing"):
        collect_notebooks([tmp_path / "missing"])
    with pytest.raises(ValueError, match="holds no notebook"):
        collect_notebooks([_empty(tmp_path)])
    (tmp_path / "x.py").write_text("")
    with pytest.raises(ValueError, match="not a notebook"):
        collect_notebooks([tmp_path / "x.py"])


def _empty(tmp_path: Path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


def test_timestamped_dir_is_fresh(tmp_path):
    now = dt.datetime(2026, 11, 25, 10, 15, 0)
    first = timestamped_dir(tmp_path, now=now)
    second = timestamped_dir(tmp_path, now=now)
    assert first.name == "20261125-101500" and second.name == "20261125-101500-2"
    assert first.is_dir() and second.is_dir()


# --- command line ------------------------------------------------------------


def test_cli_returns_1_and_prints_one_line_per_notebook(cli_failing):
    code, out, root = cli_failing
    assert code == 1
    lines = out.strip().splitlines()
    assert len(lines) == 3, out  # bad, good, summary
    (run_dir,) = root.iterdir()
    assert STAMP.match(run_dir.name), run_dir.name
    assert lines[0].startswith("FAILED") and lines[0].endswith(
        f"{run_dir / 'bad.ipynb'}  (cell 2: ValueError: bad input on purpose)"
    )
    assert re.match(rf"^ok +\d+\.\d s  {re.escape(str(run_dir / 'good.ipynb'))}$", lines[1])
    assert "1 ok, 1 failed" in lines[2]
    assert "n = 11 found" in _outputs_text(run_dir / "good.ipynb")


def test_cli_returns_0_when_all_pass(notebooks, tmp_path, capsys):
    code = main(["run", str(notebooks["good"]), "--out", str(tmp_path / "runs")])
    out = capsys.readouterr().out
    assert code == 0, out
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert STAMP.match(run_dir.name)
    assert (run_dir / "good.ipynb").exists()
    assert "n = 2 found" in _outputs_text(run_dir / "good.ipynb")  # default parameters
    assert "1 ok, 0 failed" in out


@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_cli_bad_path_exits_2(tmp_path, capsys, kind):
    path = tmp_path / "nope" if kind == "missing" else _empty(tmp_path)
    code = main(["run", str(path), "--out", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 2
    assert str(path) in err and err.startswith("error: ")
    assert not (tmp_path / "runs").exists()


def test_cli_rejects_bad_parameter_name(notebooks, tmp_path, capsys):
    code = main(["run", str(notebooks["good"]), "--out", str(tmp_path), "-p", "1x", "3"])
    assert code == 2
    assert "1x" in capsys.readouterr().err
