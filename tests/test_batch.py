"""Batch execution of notebooks (textures_nb.runner, ``python -m textures_nb run/batch``).

Notebooks are built in tmp_path; each papermill run takes about a second or
three, so the executed runs are shared through module-scoped fixtures. The grid
runs (serial, threads, Dask, resumed) are marked slow: ``make quick`` keeps the
single-notebook runs, the command line and every bad-input check.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import io
import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from textures_nb.__main__ import main
from textures_nb.runner import (
    RESULTS_ENV,
    NotebookRun,
    _jobs,
    collect_notebooks,
    expand_grid,
    format_run,
    grid,
    load_grid,
    open_executor,
    parse_value,
    record,
    recorded,
    run_grid,
    run_id,
    run_notebooks,
    summary,
    timestamped_dir,
)
from textures_nb.runner.cli import build_parser, parse_parameters
from textures_nb.runner.grid import assigned_parameters, check_parameters

REPO = Path(__file__).resolve().parents[1]
STORED = sorted((REPO / "notebooks").glob("*.ipynb"))
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
            new_code_cell("from textures_nb import record\nrecord('n', n)"),
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


def test_run_notebooks_stores_recorded_results(api_runs):
    runs, out = api_runs
    assert runs[1].results == {"n": 7}
    assert json.loads((out / "good.results.json").read_text()) == {"n": 7}
    assert runs[0].results == {} and not (out / "bad.results.json").exists()


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


def test_cli_returns_0_when_all_pass(notebooks, tmp_path, capfd):
    # `limit` is a parameter of other.ipynb, not of good.ipynb: papermill warns about
    # it there, and about other.ipynb's comment holding `=`; the runner stays quiet
    parameters = "seed = 0\nextra = 0  # (x = extra**2)\nlimit = 1"
    cells = [
        new_markdown_cell("# Other"),
        new_code_cell(parameters, metadata={"tags": ["parameters"]}),
        new_code_cell("print(limit)"),
    ]
    other = _write(tmp_path / "nbs" / "other.ipynb", cells)
    argv = ["run", str(notebooks["good"]), str(other), "--out", str(tmp_path / "runs"),
            "-p", "limit", "1"]  # fmt: skip
    code = main(argv)
    out, err = capfd.readouterr()  # file descriptors: the kernel's stderr too
    assert code == 0, out
    # no "Kernel is running over TCP", no papermill log lines; a kernel's own report of an
    # interrupt during its shutdown (seen once under pytest-xdist, load 4) is not ours
    kernel_noise = "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel."
    err = "\n".join(line for line in err.splitlines() if line.strip() != kernel_noise)
    assert err == "", err
    assert out.count("\n") == 3, out  # two status lines and the summary
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert STAMP.match(run_dir.name)
    assert (run_dir / "good.ipynb").exists()
    assert "n = 2 found" in _outputs_text(run_dir / "good.ipynb")  # default parameters
    main(["run", "-v", *argv[1:]])  # -v shows papermill's log
    err = capfd.readouterr().err
    assert "Passed unknown parameter: limit" in err and "Unable to parse line 2" in err
    assert "2 ok, 0 failed" in out


@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_cli_bad_path_exits_2(tmp_path, capsys, kind):
    path = tmp_path / "nope" if kind == "missing" else _empty(tmp_path)
    code = main(["run", str(path), "--out", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 2
    assert str(path) in err and err.startswith("error: ")
    assert not (tmp_path / "runs").exists()


def test_cli_run_refuses_a_parameter_no_notebook_takes(notebooks, tmp_path, capsys):
    code = main(["run", str(notebooks["good"]), "--out", str(tmp_path / "runs"), "-p", "sed", "3"])
    err = capsys.readouterr().err
    assert code == 2 and "['sed']" in err and "['n', 'seed']" in err
    assert not (tmp_path / "runs").exists()


def test_cli_rejects_bad_parameter_name(notebooks, tmp_path, capsys):
    code = main(["run", str(notebooks["good"]), "--out", str(tmp_path), "-p", "1x", "3"])
    assert code == 2
    assert "1x" in capsys.readouterr().err


# --- record --------------------------------------------------------------------


def test_record_outside_a_batch_keeps_values_in_memory(monkeypatch):
    monkeypatch.delenv(RESULTS_ENV, raising=False)
    assert record("h", np.float64(0.25)) is None  # nothing shown in a notebook
    record("arr", np.arange(3))
    record("nested", {"c": (np.int64(1), np.array([0.5]))})
    stored = recorded()
    assert stored["h"] == 0.25 and type(stored["h"]) is float
    assert stored["arr"] == [0, 1, 2] and stored["nested"] == {"c": [1, [0.5]]}


def test_record_writes_all_values_as_json(tmp_path, monkeypatch):
    target = tmp_path / "sub" / "results.json"
    monkeypatch.setenv(RESULTS_ENV, str(target))
    record("first", np.float32(1.5))
    record("second", np.array([[1, 2]]))
    stored = json.loads(target.read_text())
    assert stored["first"] == 1.5 and stored["second"] == [[1, 2]]
    assert [p.name for p in target.parent.iterdir()] == ["results.json"]  # no temp left


@pytest.mark.parametrize(("name", "value"), [("x", object()), ("x", {1: 2}), ("", 1), (3, 1)])
def test_record_rejects_what_json_cannot_hold(name, value):
    with pytest.raises(TypeError, match="record"):
        record(name, value)


# --- grids -----------------------------------------------------------------------------

# Recorded values have a known truth: numpy computes them here too. A run fails
# when TINY_FAIL_SEED names its seed (environment variables reach the kernel).
TINY_CELLS = [
    "import os\nimport numpy as np\nfrom textures_nb import record",
    "x = np.random.default_rng(seed).normal(size=n)\nrecord('mean', x.mean())",
    "if os.environ.get('TINY_FAIL_SEED') == str(seed):\n"
    "    raise RuntimeError('failing on purpose')",
    "record('last', x[-1])",
]
SEEDS = [0, 1, 2, 3]


def _truth(seed: int, n: int = 16) -> dict:
    x = np.random.default_rng(seed).normal(size=n)
    return {"mean": x.mean(), "last": x[-1]}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    cells = [
        new_markdown_cell("# Tiny"),
        new_code_cell(
            "seed = 0  # random seed\nn = 16  # sample size", metadata={"tags": ["parameters"]}
        ),
    ]
    cells += [new_code_cell(src) for src in TINY_CELLS]
    return _write(tmp_path_factory.mktemp("grid") / "tiny.ipynb", cells)


@pytest.fixture(scope="module")
def serial(tiny, tmp_path_factory):
    """4 runs in series with seed 2 failing, then fixed and rerun on 2 threads."""
    out = tmp_path_factory.mktemp("serial")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TINY_FAIL_SEED", "2")
        first = run_grid(tiny, {"seed": SEEDS}, out, workers=1, progress=False)
    table_failed = summary(out)
    mtimes = {r.run_id: r.output.stat().st_mtime_ns for r in first if r.ok}
    second = run_grid(tiny, {"seed": SEEDS}, out, workers=2, progress=False)
    return {"out": out, "first": first, "failed": table_failed, "mtimes": mtimes, "second": second}


@pytest.fixture(scope="module")
def on_dask(tiny, tmp_path_factory):
    distributed = pytest.importorskip("distributed")
    out = tmp_path_factory.mktemp("dask")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        runs = run_grid(tiny, {"seed": SEEDS}, out, client, progress=False)
    return {"out": out, "runs": runs}


@pytest.mark.slow
def test_failing_run_reports_cell_and_error_and_keeps_the_others(serial):
    first = serial["first"]
    assert [r.parameters["seed"] for r in first] == SEEDS
    assert [r.status for r in first] == ["ok", "ok", "failed", "ok"]
    bad = first[2]
    assert bad.cell == 4 and bad.error == "RuntimeError: failing on purpose"
    assert bad.results == {"mean": pytest.approx(_truth(2)["mean"])}  # recorded before failing
    for r in first[:2] + first[3:]:
        assert r.results == pytest.approx(_truth(r.parameters["seed"]))
    table = serial["failed"]
    assert list(table["status"]) == ["ok", "ok", "failed", "ok"]
    assert list(table["seed"]) == SEEDS
    assert table.loc[2, "cell"] == 4 and "failing on purpose" in table.loc[2, "error"]
    assert np.isnan(table.loc[2, "last"]) and table.loc[3, "last"] == pytest.approx(
        _truth(3)["last"]
    )


@pytest.mark.slow
def test_rerun_completes_only_the_missing_run(serial):
    second = serial["second"]
    assert [r.resumed for r in second] == [True, True, False, True]
    assert all(r.ok for r in second)
    for r in second:
        if r.resumed:  # untouched on disk
            assert r.output.stat().st_mtime_ns == serial["mtimes"][r.run_id]
    assert second[2].results == pytest.approx(_truth(2))
    assert list(summary(serial["out"])["status"]) == ["ok"] * 4


@pytest.mark.slow
def test_dask_cluster_gives_the_serial_results(serial, on_dask):
    assert all(r.ok and not r.resumed for r in on_dask["runs"])
    dask_table = summary(on_dask["out"])
    serial_table = summary(serial["out"])
    cols = ["run_id", "seed", "mean", "last"]
    assert dask_table[cols].equals(serial_table[cols])
    for _, row in dask_table.iterrows():
        assert row["mean"] == pytest.approx(_truth(row["seed"])["mean"], abs=1e-12)


@pytest.mark.slow
def test_killed_run_is_redone_by_the_cli_and_summary_survives(tiny, on_dask, capsys):
    out = on_dask["out"]
    victim = on_dask["runs"][1]
    # what a kill leaves: status "started" (or none), a partial notebook, no results
    (victim.output.parent / "status.json").unlink()
    victim.output.write_text("{")
    (victim.output.parent / "results.json").unlink()
    table = summary(out)
    assert list(table["status"]) == ["ok", "missing", "ok", "ok"]
    assert table.loc[0, "mean"] == pytest.approx(_truth(0)["mean"])
    grid = tiny.parent / "grid.yaml"
    grid.write_text("seed: [0, 1, 2, 3]\n")
    code = main(["batch", str(tiny), "--grid", str(grid), "--out", str(out), "--workers", "1"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert text.count("finished earlier, skipped") == 3
    assert "4 run(s): 4 ok (3 finished earlier), 0 failed" in text
    after = summary(out)
    assert list(after["status"]) == ["ok"] * 4
    assert after.loc[1, "mean"] == pytest.approx(_truth(1)["mean"])


@pytest.mark.slow
def test_cli_batch_fixed_parameter_and_failure_exit_1(tiny, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TINY_FAIL_SEED", "5")
    out = tmp_path / "runs"
    code = main(["batch", str(tiny), "-p", "seed", "5", "-p", "n", "4", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 1
    assert "(cell 4: RuntimeError: failing on purpose)" in text
    (folder,) = out.iterdir()
    assert folder.name == run_id(tiny, {"seed": 5, "n": 4})
    status = json.loads((folder / "status.json").read_text())
    assert status["status"] == "failed" and status["parameters"] == {"seed": 5, "n": 4}
    assert json.loads((folder / "results.json").read_text())["mean"] == pytest.approx(
        _truth(5, n=4)["mean"]
    )


# --- bad input: clear errors before any work ------------------------------------------------


def test_unknown_parameter_is_refused_before_any_run(tiny, tmp_path):
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['sed'\].*\['n', 'seed'\]"):
        run_grid(tiny, {"sed": [1, 2]}, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_notebook_without_parameters_cell_is_refused(notebooks, tmp_path):
    with pytest.raises(ValueError, match="no cell tagged 'parameters'"):
        run_grid(notebooks["bad"], {"x": [1]}, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ([0, 1], "mapping of parameter name"),
        ({"seed": 3}, "must be a list"),
        ({"seed": "abc"}, "must be a list"),
        ({"seed": []}, "is empty"),
        ({"seed": [1, 1]}, "repeat"),
        ({"1x": [1]}, "identifier"),
    ],
)
def test_bad_grid_is_refused_before_any_run(tiny, tmp_path, grid, message):
    with pytest.raises(ValueError, match=message):
        run_grid(tiny, grid, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unreachable_scheduler_is_refused_before_any_run(tiny, tmp_path):
    with pytest.raises(ValueError, match="no Dask scheduler reachable at 'tcp://127.0.0.1:1'"):
        run_grid(tiny, {"seed": [0]}, tmp_path / "out", "tcp://127.0.0.1:1", scheduler_timeout=1)
    assert not (tmp_path / "out").exists()


def test_parameter_in_grid_and_fixed_is_refused(tiny, tmp_path):
    with pytest.raises(ValueError, match="both fixed and in the grid"):
        run_grid(tiny, {"seed": [0]}, tmp_path / "out", parameters={"seed": 1})


def test_open_executor_rejects_other_types():
    with pytest.raises(TypeError, match="executor"), open_executor(3):
        pass


@pytest.mark.parametrize(
    ("text", "message"),
    [("seed: 3\n", "must be a list"), ("- 1\n- 2\n", "mapping"), ("seed: [1\n", "not valid YAML")],
)
def test_cli_bad_grid_file_exits_2(tiny, tmp_path, capsys, text, message):
    grid = tmp_path / "grid.yaml"
    grid.write_text(text)
    code = main(["batch", str(tiny), "--grid", str(grid), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and message in err
    assert not (tmp_path / "out").exists()


def test_cli_unknown_parameter_exits_2(tiny, tmp_path, capsys):
    code = main(["batch", str(tiny), "-p", "sead", "1", "--out", str(tmp_path / "out")])
    assert code == 2 and "sead" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_load_and_expand_grid(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text("seed: [0, 1]\nmethod: [gram, swd]\n")
    grid = load_grid(path)
    points = expand_grid(grid, {"n": 8})
    assert points == [{"n": 8, "seed": s, "method": m} for s in (0, 1) for m in ("gram", "swd")]
    assert expand_grid(None) == [{}]


def test_run_id_is_deterministic_and_distinct():
    a = run_id("x/tiny.ipynb", {"seed": 1, "n": 2})
    assert a == run_id("y/tiny.ipynb", {"n": 2, "seed": 1})  # order does not matter
    assert a.startswith("tiny_n=2_seed=1_")
    assert a != run_id("tiny.ipynb", {"seed": 1, "n": 3})
    assert run_id("t.ipynb", {"m": "a/b"}) != run_id("t.ipynb", {"m": "a b"})  # same readable part


@pytest.mark.slow
def test_parallel_local_runs_split_the_cores(tmp_path, monkeypatch):
    # each concurrent kernel gets cpu_count // workers BLAS/OpenMP threads
    for var in _jobs.THREAD_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(grid.os, "cpu_count", lambda: 4)
    cells = [
        new_markdown_cell("# Threads"),
        new_code_cell("seed = 0  # random seed", metadata={"tags": ["parameters"]}),
        new_code_cell(
            "import os\nfrom textures_nb import record\n"
            "record('omp', os.environ.get('OMP_NUM_THREADS', 'unset'))"
        ),
    ]
    nb = _write(tmp_path / "threads.ipynb", cells)
    runs = run_grid(nb, {"seed": [0, 1]}, tmp_path / "out", workers=2, progress=False)
    assert [r.results["omp"] for r in runs] == ["2", "2"]
    serial = run_grid(nb, {"seed": [5]}, tmp_path / "serial", workers=1, progress=False)
    assert serial[0].results["omp"] == "unset"


def test_thread_limits_set_by_the_user_win(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    env = _jobs.thread_env(3)
    assert "OMP_NUM_THREADS" not in env and set(env.values()) <= {"3"}
    assert _jobs.thread_env(None) == {}


def test_old_module_names_are_aliases_of_the_runner():
    import textures_nb
    from textures_nb import batch, devtools, runner
    from textures_nb.runner import maintenance

    assert textures_nb.record is runner.record is batch.record
    for name in batch.__all__:
        assert getattr(batch, name) is getattr(runner, name), name
    for name in devtools.__all__:
        assert getattr(devtools, name) is getattr(maintenance, name), name


# --- the repository's notebooks: every parameter can be overridden ---------------------


def _parameters_cell(path: Path):
    nb = nbformat.read(str(path), as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{path.name}: {len(cells)} cells tagged 'parameters'"
    return nb, cells[0]


def _declared(source: str) -> dict[str, str]:
    """Name -> source text of its value, for every assignment in a parameters cell."""
    declared = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    declared[target.id] = ast.get_source_segment(source, node.value)
    return declared


def _other_value(value):
    """A value of the same type that differs from the default."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, (list, tuple)):
        return type(value)(list(value) + list(value[:1]))
    return value


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, id=p.name) for p in STORED]
    or [pytest.param(None, marks=pytest.mark.skip(reason="no notebooks/*.ipynb yet"))],
)
def test_every_parameter_of_every_notebook_can_be_overridden(path, tmp_path):
    import papermill
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    _, cell = _parameters_cell(path)
    declared = _declared(cell.source)
    assert "seed" in declared
    assert set(assigned_parameters(path)) == set(declared)
    inspected = papermill.inspect_notebook(str(path))
    skipped = sorted(set(declared) - set(inspected))
    assert not skipped, (
        f"papermill's parser skips {skipped} in {path.name}'s parameters cell "
        "(a comment holding `=` or `**`?)"
    )
    defaults = {name: ast.literal_eval(text) for name, text in declared.items()}
    wanted = {name: _other_value(value) for name, value in defaults.items()}
    argv = ["batch", str(path), "--out", str(tmp_path / "out")]
    for name, value in wanted.items():
        argv += ["-p", name, repr(value)]
    values = parse_parameters(build_parser().parse_args(argv).parameter)
    assert values == wanted
    check_parameters(path, values)  # what `batch` checks before any run
    # papermill's injected cell, run after the defaults, gives every new value
    injected = parameterize_notebook(
        load_notebook_node(str(path)), values, kernel_name="python3", language="python"
    )
    namespace: dict = {}
    for c in injected.cells:
        tags = c.metadata.get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            exec(c.source, namespace)
    assert {name: namespace[name] for name in wanted} == wanted


def test_unparseable_parameter_is_refused_with_the_reason(tmp_path):
    cells = [
        new_markdown_cell("# Comment"),
        new_code_cell(
            "seed = 0  # random seed\nlam = 0.2  # intermittency (c2 = -lam**2)",
            metadata={"tags": ["parameters"]},
        ),
        new_code_cell("print(lam)"),
    ]
    nb = _write(tmp_path / "comment.ipynb", cells)
    assert assigned_parameters(nb) == {"seed": 1, "lam": 2}
    with pytest.raises(ValueError, match=r"cannot parse.*'lam' \(line 2\).*no `=` or `\*\*`"):
        run_grid(nb, {"lam": [0.3]}, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    check_parameters(nb, ["seed"])  # the parseable one is fine


@pytest.mark.slow
def test_batch_run_overrides_a_parameter_of_a_real_notebook(tmp_path, capfd):
    notebook = REPO / "notebooks" / "06_confidence.ipynb"
    if not notebook.exists():
        pytest.skip("notebooks/06_confidence.ipynb is gone")
    out = tmp_path / "runs"
    code = main(
        ["batch", str(notebook), "-p", "n_iter", "10", "-p", "n_null", "3", "-p", "n_resamples",
         "10", "--out", str(out), "--workers", "1"]
    )  # fmt: skip
    captured = capfd.readouterr()
    assert code == 0, captured.out
    # quiet: status line, table and summary only; no kernel or papermill warnings
    assert "WARNING" not in captured.err and "without encryption" not in captured.err, captured.err
    (folder,) = out.iterdir()
    executed = nbformat.read(str(folder / notebook.name), as_version=4)
    (injected,) = [c for c in executed.cells if "injected-parameters" in c.metadata["tags"]]
    assert _declared(injected.source) == {"n_iter": "10", "n_null": "3", "n_resamples": "10"}
    table = summary(out)
    assert table.loc[0, "status"] == "ok" and table.loc[0, "n_iter"] == 10
    assert {"c1 mean", "target c1", "cloud k"} <= set(table.columns)
