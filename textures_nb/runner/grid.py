"""Run one notebook over a parameter grid, in parallel, resumably: :func:`run_grid`.

Local worker threads (each notebook runs in its own kernel process) or a
``dask.distributed`` cluster (``python -m textures_nb batch``). Layout of a grid
run: ``out_dir/<run-id>/`` holds the executed notebook, ``results.json`` (what
the notebook recorded with :func:`textures_nb.record`) and ``status.json``
(status, seconds, parameters, failing cell and error). The run id is the
notebook name, the sorted parameters and a short hash, e.g.
``tiny_n=2_seed=0_1f3a9c2e``. :func:`summary` gathers every run in one table.

Example
-------
>>> from textures_nb.runner import run_grid, summary
>>> runs = run_grid("notebooks/06_confidence.ipynb", {"seed": [0, 1]}, "runs/g")  # doctest: +SKIP
>>> summary("runs/g")[["seed", "status"]]  # doctest: +SKIP
   seed status
0     0     ok
1     1     ok
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from textures_nb.runner._common import (
    PARAMETERS_TAG,
    RESULTS_FILE,
    STATUS_FILE,
    read_json,
    source,
    tags,
)
from textures_nb.runner._jobs import Job, finished_run, run_many
from textures_nb.runner.execute import NotebookRun, format_run
from textures_nb.runner.executors import open_executor
from textures_nb.runner.runs import collect_notebooks

__all__ = [
    "assigned_names",
    "assigned_parameters",
    "check_parameters",
    "expand_grid",
    "load_grid",
    "notebook_parameters",
    "parse_value",
    "run_grid",
    "run_id",
    "summary",
]

_MAX_ID_CHARS = 80


def parse_value(text: str) -> Any:
    """Turn a command-line parameter value into a Python literal.

    ``"3"`` gives 3, ``"0.5"`` 0.5, ``"True"`` True, ``"[1, 2]"`` a list;
    anything that is not a Python literal stays a string (``"db4"``).

    Parameters
    ----------
    text : str
        The value as typed.

    Examples
    --------
    >>> from textures_nb.runner.grid import parse_value
    >>> parse_value("3"), parse_value("0.5"), parse_value("[1, 2]"), parse_value("db4")
    (3, 0.5, [1, 2], 'db4')
    """
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def load_grid(path: str | Path) -> dict[str, list[Any]]:
    """Read a parameter grid from a YAML file: a mapping of name -> list of values.

    Example file::

        seed: [0, 1, 2]
        method: [gram, swd]

    Note that YAML reads ``1e-3`` as a string: write ``1.0e-3``.

    Parameters
    ----------
    path : str or Path
        The YAML file.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file is not YAML or not a mapping of lists (see :func:`expand_grid`).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from textures_nb.runner.grid import load_grid
    >>> path = Path(tempfile.mkdtemp()) / "grid.yaml"
    >>> _ = path.write_text("seed: [0, 1]\\nmethod: [gram, swd]\\n")
    >>> load_grid(path)
    {'seed': [0, 1], 'method': ['gram', 'swd']}
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"grid file {path}: no such file.")
    try:
        grid = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ValueError(f"grid file {path} is not valid YAML: {exc}") from exc
    try:
        return _check_grid(grid)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"grid file {path}: {exc}") from exc


def _check_grid(grid: Any) -> dict[str, list[Any]]:
    if grid is None:
        return {}
    if not isinstance(grid, Mapping):
        raise ValueError(
            f"`grid` must be a mapping of parameter name -> list of values, such as "
            f"{{'seed': [0, 1, 2]}}, got {type(grid).__name__}."
        )
    checked: dict[str, list[Any]] = {}
    for name, values in grid.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"`grid`: parameter name {name!r} is not a Python identifier.")
        if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
            raise ValueError(
                f"`grid`: the values of {name!r} must be a list, got {values!r}; "
                f"write {name}: [{values!r}] for a single value."
            )
        values = list(values)
        if not values:
            raise ValueError(f"`grid`: the list of values of {name!r} is empty.")
        keys = [json.dumps(v, sort_keys=True, default=repr) for v in values]
        if len(set(keys)) != len(keys):
            raise ValueError(f"`grid`: the values of {name!r} repeat: {values!r}.")
        checked[name] = values
    return checked


def expand_grid(
    grid: Mapping[str, Sequence[Any]] | None, parameters: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """All parameter combinations of a grid, each merged with fixed parameters.

    Parameters
    ----------
    grid : mapping of str to list, or None
        Parameter name -> values to try; the Cartesian product is taken,
        the last name varying fastest. None or empty: a single point.
    parameters : mapping, optional
        Fixed values added to every point (a name may not be in both).

    Returns
    -------
    list of dict
        One dict of parameters per run.

    Examples
    --------
    >>> expand_grid({"seed": [0, 1], "n": [8]}, {"fast": True})
    [{'fast': True, 'seed': 0, 'n': 8}, {'fast': True, 'seed': 1, 'n': 8}]
    """
    grid = _check_grid(grid)
    fixed = dict(parameters or {})
    both = sorted(set(grid) & set(fixed))
    if both:
        raise ValueError(
            f"parameter(s) {both} are both fixed and in the grid; keep them in one place."
        )
    for name, value in fixed.items():
        _check_json_value(name, value)
    for name, values in grid.items():
        for value in values:
            _check_json_value(name, value)
    names = list(grid)
    return [
        {**fixed, **dict(zip(names, combo, strict=True))}
        for combo in itertools.product(*grid.values())
    ]


def _check_json_value(name: str, value: Any) -> None:
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"parameter {name!r}: value {value!r} cannot be stored as JSON ({exc}); "
            "use numbers, strings, booleans, None, lists or dicts."
        ) from exc


def run_id(notebook: str | Path, parameters: Mapping[str, Any]) -> str:
    """Deterministic folder name of one grid run.

    Notebook stem, then ``name=value`` for the sorted parameters (shortened,
    unsafe characters replaced), then 8 hex digits of a hash of all of them,
    so that distinct parameters never share a folder.

    Parameters
    ----------
    notebook : str or Path
        The notebook (its stem starts the name).
    parameters : mapping of str to value
        The run's parameters.

    Returns
    -------
    str

    Examples
    --------
    >>> run_id("notebooks/tiny.ipynb", {"seed": 1, "n": 2})
    'tiny_n=2_seed=1_c948aa3d'
    """
    stem = Path(notebook).stem
    key = json.dumps({"notebook": stem, "parameters": dict(parameters)}, sort_keys=True)
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    readable = "_".join(f"{k}={_compact(v)}" for k, v in sorted(parameters.items()))
    readable = re.sub(r"[^A-Za-z0-9._=+-]+", "-", readable)[:_MAX_ID_CHARS].strip("-_")
    return "_".join(part for part in (stem, readable, digest) if part)


def _compact(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:g}"
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def notebook_parameters(notebook: str | Path, *, kernel_name: str = "python3") -> dict[str, Any]:
    """The parameters papermill can inject into ``notebook``.

    papermill's own inspection (:func:`papermill.inspect_notebook`) of the cell
    tagged ``parameters``, also for notebooks without a kernelspec.

    Parameters
    ----------
    notebook : str or Path
        The notebook.
    kernel_name : str, default "python3" (keyword-only)
        Kernel papermill's inspection assumes.

    Returns
    -------
    dict
        Parameter name -> papermill's description (``inferred_type_name``,
        ``default``, ``help``); empty if no cell is tagged ``parameters``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import nbformat
    >>> from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    >>> cells = [new_markdown_cell("# Demo"),
    ...          new_code_cell("seed = 0\\nfull = False", metadata={"tags": ["parameters"]}),
    ...          new_code_cell("print(seed)")]
    >>> path = Path(tempfile.mkdtemp()) / "demo.ipynb"
    >>> nbformat.write(new_notebook(cells=cells), path)
    >>> from textures_nb.runner.grid import notebook_parameters
    >>> {name: p["default"] for name, p in notebook_parameters(path).items()}
    {'seed': '0', 'full': 'False'}
    """
    import tempfile

    import nbformat
    import papermill as pm

    notebook = Path(notebook)
    nb = nbformat.read(str(notebook), as_version=4)
    if nb.metadata.get("kernelspec", {}).get("name"):
        return pm.inspect_notebook(str(notebook))
    # papermill needs a kernel name to pick its translator; execution passes one too
    nb.metadata["kernelspec"] = {"name": kernel_name, "language": "python", "display_name": ""}
    with tempfile.TemporaryDirectory(prefix="textures_nb-") as tmp:
        path = Path(tmp) / notebook.name
        nbformat.write(nb, str(path))
        return pm.inspect_notebook(str(path))


def assigned_parameters(notebook: str | Path) -> dict[str, int]:
    """Names assigned in the cell tagged ``parameters``, read with :mod:`ast`.

    What the notebook's author declared, whatever papermill's line parser makes
    of it (compare with :func:`notebook_parameters`).

    Parameters
    ----------
    notebook : str or Path
        The notebook.

    Returns
    -------
    dict
        Name -> line number (1-based) in the cell; empty if no cell is tagged
        ``parameters`` or it does not parse.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import nbformat
    >>> from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    >>> cells = [new_markdown_cell("# Demo"),
    ...          new_code_cell("seed = 0\\nfull = False", metadata={"tags": ["parameters"]}),
    ...          new_code_cell("print(seed)")]
    >>> path = Path(tempfile.mkdtemp()) / "demo.ipynb"
    >>> nbformat.write(new_notebook(cells=cells), path)
    >>> from textures_nb.runner.grid import assigned_parameters
    >>> assigned_parameters(path)
    {'seed': 1, 'full': 2}
    """
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and PARAMETERS_TAG in tags(cell):
            return assigned_names(source(cell))
    return {}


def assigned_names(code: str) -> dict[str, int]:
    """Top-level names assigned in ``code`` -> line number (empty if it does not parse).

    Parameters
    ----------
    code : str
        Python source.

    Examples
    --------
    >>> assigned_names("seed = 0  # random seed\\nlam = 0.2  # c2 = -lam**2")
    {'seed': 1, 'lam': 2}
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return {}
    names: dict[str, int] = {}
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        for target in targets:
            if isinstance(target, ast.Name):
                names.setdefault(target.id, node.lineno)
    return names


def check_parameters(
    notebook: str | Path, names: Iterable[str], *, kernel_name: str = "python3"
) -> None:
    """Raise a ValueError unless papermill can inject every one of ``names``.

    papermill only warns about an unknown parameter (and the run then ignores
    it); the runners refuse it before any work starts. A name that the
    parameters cell assigns but papermill's line parser skips (typically a
    comment holding ``=`` or ``**``) gets its own message.

    Parameters
    ----------
    notebook : str or Path
        The notebook.
    names : iterable of str
        Parameter names to be injected.
    kernel_name : str, default "python3" (keyword-only)
        Kernel papermill's inspection assumes.

    Raises
    ------
    ValueError
        A name papermill cannot inject, with the reason.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import nbformat
    >>> from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    >>> cells = [new_markdown_cell("# Demo"),
    ...          new_code_cell("seed = 0\\nfull = False", metadata={"tags": ["parameters"]}),
    ...          new_code_cell("print(seed)")]
    >>> path = Path(tempfile.mkdtemp()) / "demo.ipynb"
    >>> nbformat.write(new_notebook(cells=cells), path)
    >>> from textures_nb.runner.grid import check_parameters
    >>> check_parameters(path, ["seed", "full"])  # returns None: both can be injected
    """
    notebook = Path(notebook)
    names = sorted(set(names))
    if not names:
        return
    known = notebook_parameters(notebook, kernel_name=kernel_name)
    assigned = assigned_parameters(notebook)
    if not known and not assigned:
        raise ValueError(
            f"{notebook} has no cell tagged 'parameters', so {names} cannot be injected; "
            "tag the cell holding the defaults with 'parameters'."
        )
    unparsed = [n for n in names if n not in known and n in assigned]
    if unparsed:
        lines = ", ".join(f"{n!r} (line {assigned[n]})" for n in unparsed)
        raise ValueError(
            f"{notebook.name}: papermill cannot parse the parameters cell's line(s) for "
            f"{lines}, so they cannot be injected; keep each line `name = literal  # help` "
            "with no `=` or `**` in the comment."
        )
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {unknown} for {notebook.name}; its parameters are "
            f"{sorted(known)} (papermill's inspection of the cell tagged 'parameters')."
        )


def run_grid(
    notebook: str | Path,
    grid: Mapping[str, Sequence[Any]] | None,
    out_dir: str | Path,
    executor: Any = None,
    *,
    parameters: Mapping[str, Any] | None = None,
    workers: int | None = None,
    kernel_name: str = "python3",
    timeout: float | None = None,
    scheduler_timeout: float = 5.0,
    progress: bool = True,
) -> list[NotebookRun]:
    """Run one notebook over a parameter grid, in parallel, resumably.

    Everything is checked before any work starts: the notebook, the grid,
    the parameter names (papermill's inspection of the cell tagged
    ``parameters``) and the Dask scheduler. Each run writes
    ``out_dir/<run-id>/`` (see :func:`run_id`) with the executed notebook,
    ``results.json`` (values the notebook stored with :func:`record`) and
    ``status.json``. A run whose status is ``ok`` is skipped, so rerunning
    after a failure or an interruption completes only what is missing; a
    failing run is reported with its cell and error and never touches the
    other runs' folders.

    Parameters
    ----------
    notebook : str or Path
        The notebook (with a cell tagged ``parameters``).
    grid : mapping of str to list, or None
        Parameter name -> values; the runs are the Cartesian product.
    out_dir : str or Path
        Root folder of the runs (created). With a Dask cluster it must be
        on a file system the workers share.
    executor : None, str, distributed.Client or concurrent.futures.Executor
        Where runs execute, see :func:`open_executor`: None is ``workers``
        local threads each driving one kernel process; a scheduler address
        or a ``distributed.Client`` runs on a Dask cluster.
    parameters : mapping, optional
        Fixed parameters added to every run.
    workers : int, optional
        Local parallel runs (default: ``os.cpu_count()``, at most the number
        of runs to do). Ignored with a Dask executor. With more than one,
        each kernel gets ``cpu_count // workers`` BLAS/OpenMP threads
        (``OMP_NUM_THREADS`` etc., unless already set): on 2 cores, two runs
        of notebook 06 took 18 s instead of 106 s. Float results of
        multithreaded reductions may then differ from a serial run in the
        last digits.
    kernel_name : str
        Jupyter kernel name.
    timeout : float, optional
        Per-cell time limit in seconds.
    scheduler_timeout : float
        Seconds to wait for a Dask scheduler given by address.
    progress : bool
        Print one status line per run as it finishes.

    Returns
    -------
    list of NotebookRun
        One per grid point, in grid order, with ``.results`` and ``.run_id``;
        skipped runs have ``resumed=True``.

    Raises
    ------
    ValueError, TypeError, FileNotFoundError
        Bad notebook, grid or parameter names, or an unreachable scheduler,
        before any run starts.

    Examples
    --------
    >>> runs = run_grid("nb.ipynb", {"seed": [0, 1, 2, 3]}, "runs/grid")  # doctest: +SKIP
    >>> summary("runs/grid")  # doctest: +SKIP
    """
    notebook = Path(notebook)
    if notebook.is_dir() or collect_notebooks([notebook]) != [notebook]:
        raise ValueError(f"`notebook` must be one .ipynb file, got the folder {notebook}.")
    points = expand_grid(grid, parameters)
    check_parameters(notebook, points[0], kernel_name=kernel_name)
    out_dir = Path(out_dir).resolve()
    jobs = []
    for point in points:
        rid = run_id(notebook, point)
        folder = out_dir / rid
        jobs.append(
            Job(
                notebook=notebook.resolve(),
                output=folder / notebook.name,
                parameters=point,
                results=folder / RESULTS_FILE,
                status=folder / STATUS_FILE,
                kernel_name=kernel_name,
                cwd=notebook.resolve().parent,
                timeout=timeout,
                run_id=rid,
            )
        )
    finished = {i: finished_run(job) for i, job in enumerate(jobs)}
    finished = {i: run for i, run in finished.items() if run is not None}
    todo = [job for i, job in enumerate(jobs) if i not in finished]
    if workers is None:
        workers = os.cpu_count() or 1
    workers = max(1, min(workers, len(todo))) if isinstance(workers, int) else workers
    if executor is None and isinstance(workers, int) and workers > 1:
        # local kernels share the cores: split them instead of oversubscribing
        share = max(1, (os.cpu_count() or 1) // workers)
        todo = [replace(job, threads=share) for job in todo]
    with open_executor(executor, workers=workers, timeout=scheduler_timeout) as pool:
        out_dir.mkdir(parents=True, exist_ok=True)
        if progress:
            for run in finished.values():
                print(format_run(run), flush=True)
        new = iter(run_many(todo, pool, progress=progress))
    return [finished[i] if i in finished else next(new) for i in range(len(jobs))]


def summary(out_dir: str | Path):
    """Table of every run under ``out_dir``: parameters, status, recorded results.

    Parameters
    ----------
    out_dir : str or Path
        Root folder given to :func:`run_grid`.

    Returns
    -------
    pandas.DataFrame
        One row per run folder, sorted by run id, with columns ``run_id``,
        ``status`` (``ok``, ``failed``, ``started``: started and never
        finished, e.g. killed; ``missing``: folder without status),
        ``seconds``, ``cell``, ``error``, then one column per parameter and
        one per recorded result. A result named like a parameter or one of
        the first columns becomes ``"<name> (result)"``.

    Examples
    --------
    >>> summary("runs/grid")  # doctest: +SKIP
    """
    import pandas as pd

    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise FileNotFoundError(f"`out_dir` {out_dir}: no such folder.")
    meta = ["run_id", "status", "seconds", "cell", "error"]
    rows, param_names, result_names = [], [], []
    for folder in sorted(p for p in out_dir.iterdir() if p.is_dir()):
        status = read_json(folder / STATUS_FILE)
        results = read_json(folder / RESULTS_FILE) or {}
        if status is None and not results and not any(folder.glob("*.ipynb")):
            continue  # not a run folder
        status = status or {"status": "missing"}
        params = status.get("parameters") or {}
        row = {"run_id": folder.name, **{k: status.get(k) for k in meta[1:]}}
        row.update({("param", k): v for k, v in params.items()})
        row.update({("result", k): v for k, v in results.items()})
        param_names += [k for k in params if k not in param_names]
        result_names += [k for k in results if k not in result_names]
        rows.append(row)
    taken = set(meta) | set(param_names)
    columns = {("param", k): k for k in param_names}
    columns.update({("result", k): f"{k} (result)" if k in taken else k for k in result_names})
    table = pd.DataFrame(rows, columns=meta + list(columns))
    return table.rename(columns=columns)
