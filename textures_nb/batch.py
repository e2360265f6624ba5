"""Run notebooks in batch with papermill: one notebook, a list, or a grid.

Every notebook run goes through :func:`execute_notebook`, which executes one
notebook into one output file and never raises for a failing cell: it returns
a :class:`NotebookRun` describing what happened. Both front ends share one
runner (``_run_many``) on top of it:

- :func:`run_notebooks` runs a list of notebooks with the same parameters
  (``make run``, ``python -m textures_nb run``);
- :func:`run_grid` runs one notebook over a parameter grid, in parallel on
  local worker threads (each notebook runs in its own kernel process) or on a
  ``dask.distributed`` cluster, resumable (``python -m textures_nb batch``).

Inside a notebook, :func:`record` (also ``textures_nb.record``) stores a key
result; the runner passes each kernel the path of its ``results.json``
through the ``TEXTURES_NB_RESULTS`` environment variable, and
:func:`summary` gathers the recorded results of every run in one table.

Layout of a grid run: ``out_dir/<run-id>/`` holds the executed notebook,
``results.json`` (what the notebook recorded) and ``status.json`` (status,
seconds, parameters, failing cell and error). The run id is the notebook
name, the sorted parameters and a short hash, e.g. ``tiny_n=2_seed=0_1f3a9c2e``.

The command line front ends::

    python -m textures_nb run notebooks --out runs -p seed 3
    python -m textures_nb batch notebooks/06_confidence.ipynb --grid grid.yaml \
        --out runs/grid --workers 2 [--scheduler tcp://host:8786]

Example
-------
>>> from textures_nb.batch import run_grid, summary
>>> runs = run_grid("notebooks/06_confidence.ipynb", {"seed": [0, 1]}, "runs/g")  # doctest: +SKIP
>>> summary("runs/g")[["seed", "status"]]  # doctest: +SKIP
   seed status
0     0     ok
1     1     ok
"""

from __future__ import annotations

import ast
import contextlib
import datetime as _dt
import hashlib
import itertools
import json
import math
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = [
    "RESULTS_ENV",
    "NotebookRun",
    "collect_notebooks",
    "execute_notebook",
    "expand_grid",
    "format_run",
    "load_grid",
    "open_executor",
    "parse_value",
    "record",
    "recorded",
    "run_grid",
    "run_id",
    "run_notebooks",
    "summary",
    "timestamped_dir",
]

#: Environment variable through which the runner tells a kernel where
#: :func:`record` writes its JSON file.
RESULTS_ENV = "TEXTURES_NB_RESULTS"
_RESULTS_FILE = "results.json"
_STATUS_FILE = "status.json"
_INJECTED_TAG = "injected-parameters"
_ERROR_MARKER_TAG = "papermill-error-cell-tag"
_MAX_ERROR_CHARS = 200
_MAX_ID_CHARS = 80


@dataclass(frozen=True)
class NotebookRun:
    """Outcome of executing one notebook.

    Attributes
    ----------
    name : str
        Notebook name without the ``.ipynb`` suffix.
    status : {"ok", "failed"}
        ``"failed"`` if a cell raised, the kernel died or papermill failed.
    seconds : float
        Wall-clock duration of the run, in seconds.
    output : pathlib.Path
        Executed copy of the notebook (written even when a cell fails,
        unless the failure happened before execution started).
    source : pathlib.Path
        The notebook that was executed.
    parameters : dict
        Parameters injected by papermill (empty: the notebook's defaults).
    cell : int or None
        For failures in a cell, the 0-based index of the failing cell in the
        *source* notebook (markdown cells count; papermill's injected cell
        does not).
    error : str or None
        For failures, ``"ename: evalue"`` (first line, shortened).
    results : dict
        Values the notebook stored with :func:`record` (empty if none, or
        when the notebook ran outside the batch runners).
    run_id : str or None
        Folder name of a grid run (see :func:`run_id`); None otherwise.
    resumed : bool
        True if :func:`run_grid` found this run already finished and skipped it.
    """

    name: str
    status: str
    seconds: float
    output: Path
    source: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    cell: int | None = None
    error: str | None = None
    results: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    resumed: bool = False

    @property
    def ok(self) -> bool:
        """True if the notebook ran to the end without error."""
        return self.status == "ok"


# --- recording results inside a notebook -------------------------------------

_RECORDED: dict[str, Any] = {}


def record(name: str, value: Any) -> None:
    """Store a key result of the running notebook, for batch summaries.

    Under the batch runners (:func:`run_grid`, :func:`run_notebooks`,
    ``make run``) the value is written at once to the run's ``results.json``
    (atomically: a killed kernel leaves the previous complete file). Outside
    them it is only kept in memory (see :func:`recorded`), so notebooks can
    call it unconditionally.

    Parameters
    ----------
    name : str
        Key of the result (a later call with the same name replaces it).
    value : JSON-serialisable
        Number, string, bool, None, list, dict with string keys, or a numpy
        scalar/array (converted with ``.tolist()``; arrays become lists).

    Returns nothing, so that a notebook cell ending with it shows nothing.

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb import record
    >>> from textures_nb.batch import recorded
    >>> record("c1", np.float64(0.7312))
    >>> recorded()["c1"]
    0.7312
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"record: `name` must be a non-empty string, got {name!r}.")
    stored = _to_json(value, name)
    _RECORDED[name] = stored
    path = os.environ.get(RESULTS_ENV)
    if path:
        _write_json(Path(path), _RECORDED)


def recorded() -> dict[str, Any]:
    """Copy of the values stored with :func:`record` in this process."""
    return dict(_RECORDED)


def _to_json(value: Any, name: str) -> Any:
    """Python/numpy value -> JSON-compatible value, or a clear TypeError."""
    if value is None:
        return None
    # exact Python types: np.float64 is a float subclass but should not leak out
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"record({name!r}, ...): dict keys must be strings, got {key!r}; "
                    "convert them with str()."
                )
            out[key] = _to_json(item, name)
        return out
    if isinstance(value, (list, tuple)):
        return [_to_json(item, name) for item in value]
    tolist = getattr(value, "tolist", None)  # numpy scalars/arrays, torch tensors
    if callable(tolist) and not isinstance(value, type):
        if hasattr(value, "detach"):
            value = value.detach().cpu()
        return _to_json(value.tolist(), name)
    raise TypeError(
        f"record({name!r}, ...): a {type(value).__name__} is not JSON-serialisable; "
        "pass numbers, strings, booleans, None, lists, dicts or numpy arrays."
    )


def _write_json(path: Path, data: Any) -> None:
    """Write JSON atomically: a reader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


# --- helpers shared by the command lines ---------------------------------------


def parse_value(text: str) -> Any:
    """Turn a command-line parameter value into a Python literal.

    ``"3"`` gives 3, ``"0.5"`` 0.5, ``"True"`` True, ``"[1, 2]"`` a list;
    anything that is not a Python literal stays a string (``"db4"``).
    """
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def collect_notebooks(paths: Iterable[str | Path]) -> list[Path]:
    """Expand notebook files and folders into a sorted list of notebooks.

    A folder contributes the ``*.ipynb`` files directly inside it (not in
    subfolders; Jupyter checkpoints are ignored). Duplicates are dropped,
    order of ``paths`` is kept, folders are expanded in sorted order.

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    ValueError
        If a file is not a ``.ipynb`` notebook, a folder holds no notebook,
        or no path is given.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder.")
        if path.is_dir():
            inside = sorted(p for p in path.glob("*.ipynb") if p.is_file())
            if not inside:
                raise ValueError(f"{path}: folder holds no notebook (*.ipynb).")
            found.extend(inside)
        elif path.suffix == ".ipynb":
            found.append(path)
        else:
            raise ValueError(f"{path}: not a notebook (expected a .ipynb file or a folder).")
    if not found:
        raise ValueError("no notebook given: pass notebook files or folders.")
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def timestamped_dir(root: str | Path, *, now: _dt.datetime | None = None) -> Path:
    """Create and return a fresh ``root/<YYYYmmdd-HHMMSS>`` folder.

    A ``-2``, ``-3``, ... suffix is added if that folder already exists.
    """
    root = Path(root)
    stamp = (now or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    candidate = root / stamp
    counter = 1
    while True:
        try:
            candidate.mkdir(parents=True, exist_ok=False)
            return candidate
        except FileExistsError:
            counter += 1
            candidate = root / f"{stamp}-{counter}"


# --- the single executor ---------------------------------------------------------


def execute_notebook(
    notebook: str | Path,
    output: str | Path,
    *,
    parameters: Mapping[str, Any] | None = None,
    kernel_name: str = "python3",
    cwd: str | Path | None = None,
    timeout: float | None = None,
    progress: bool = False,
    env: Mapping[str, str] | None = None,
) -> NotebookRun:
    """Execute one notebook with papermill; report failures, never raise them.

    Parameters
    ----------
    notebook : str or Path
        The notebook to run.
    output : str or Path
        Where the executed copy is written (its folder is created).
    parameters : mapping, optional
        Values injected after the cell tagged ``parameters``; ``None`` or
        empty runs the notebook with its default parameters.
    kernel_name : str
        Jupyter kernel; ``"python3"`` is the current environment's kernel.
    cwd : str or Path, optional
        Working directory of the kernel; defaults to the notebook's folder
        so relative paths inside the notebook behave as in JupyterLab.
    timeout : float, optional
        Per-cell time limit in seconds (no limit by default).
    progress : bool
        Show papermill's per-cell progress bar.
    env : mapping of str to str, optional
        Extra environment variables for this run's kernel only (the
        runner's own ``os.environ`` is left alone, so concurrent runs in
        threads do not see each other's values).

    Returns
    -------
    NotebookRun
        ``status="ok"`` or ``"failed"`` with the failing cell and error.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    notebook = Path(notebook)
    output = Path(output)
    params = dict(parameters or {})
    cwd = Path(cwd) if cwd is not None else notebook.resolve().parent
    output.parent.mkdir(parents=True, exist_ok=True)
    extra = {"kernel_manager_class": _env_kernel_manager(dict(env))} if env else {}

    start = time.perf_counter()
    cell = error = None
    try:
        pm.execute_notebook(
            str(notebook),
            str(output),
            parameters=params or None,
            kernel_name=kernel_name,
            language="python",  # papermill cannot infer it from a bare notebook
            cwd=str(cwd),
            progress_bar=progress,
            log_output=False,
            execution_timeout=timeout,
            **extra,
        )
        status = "ok"
    except PapermillExecutionError as exc:
        status = "failed"
        cell = _source_cell_index(output, exc.cell_index)
        error = _short_error(exc.ename, exc.evalue)
    except Exception as exc:  # kernel death, timeout, unreadable notebook, ...
        status = "failed"
        error = _short_error(type(exc).__name__, str(exc))
    seconds = time.perf_counter() - start
    return NotebookRun(
        name=notebook.stem,
        status=status,
        seconds=seconds,
        output=output,
        source=notebook,
        parameters=params,
        cell=cell,
        error=error,
    )


def _env_kernel_manager(extra_env: dict[str, str]):
    """A kernel manager class whose kernels get ``extra_env`` on top of ours.

    nbclient builds (and shuts down) the kernel manager itself from this
    class; ``_async_launch_kernel`` is jupyter_client's documented hook for
    launching kernels differently.
    """
    from jupyter_client import AsyncKernelManager

    class _EnvKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw["env"] = {**kw.get("env", os.environ), **extra_env}
            return await super()._async_launch_kernel(kernel_cmd, **kw)

    return _EnvKernelManager


# --- executors ---------------------------------------------------------------------


@contextlib.contextmanager
def open_executor(
    executor: Any = None, *, workers: int | None = 1, timeout: float = 5.0
) -> Iterator[Executor | None]:
    """Resolve the ``executor`` argument of the batch and repeat functions.

    Parameters
    ----------
    executor : None, str, distributed.Client or concurrent.futures.Executor
        ``None``: run locally, inline if ``workers == 1`` else on a pool of
        ``workers`` threads (each notebook runs in its own kernel *process*;
        the thread only waits for it, so threads cost nothing and need no
        pickling). A string is a Dask scheduler address
        (``"tcp://host:8786"``), connected to now and closed on exit. A
        ``distributed.Client`` or any ``concurrent.futures.Executor`` is used
        as given and left open.
    workers : int or None
        Local pool size when ``executor`` is None (None: ``os.cpu_count()``).
    timeout : float
        Seconds to wait for a Dask scheduler before giving up.

    Yields
    ------
    concurrent.futures.Executor or None
        None means "run inline in this thread".

    Raises
    ------
    ValueError
        If the scheduler cannot be reached (raised before any work starts).
    TypeError
        If ``executor`` is of another type.
    """
    if executor is None:
        if workers is None:
            workers = os.cpu_count() or 1
        from textures_nb._checks import check_positive_int

        workers = check_positive_int(workers, "workers")
        if workers == 1:
            yield None
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="textures_nb") as pool:
            yield pool
        return
    if isinstance(executor, Executor):
        yield executor
        return
    if isinstance(executor, (str, os.PathLike)):
        client = _connect(str(executor), timeout)
        try:
            yield client.get_executor(pure=False)
        finally:
            client.close()
        return
    if type(executor).__name__ == "Client" and hasattr(executor, "get_executor"):
        if getattr(executor, "status", "running") != "running":
            raise ValueError(
                f"`executor`: the Dask client is {executor.status!r}, not running; "
                "create a new distributed.Client."
            )
        yield executor.get_executor(pure=False)
        return
    raise TypeError(
        "`executor` must be None (local), a Dask scheduler address such as "
        "'tcp://127.0.0.1:8786', a distributed.Client or a concurrent.futures.Executor, "
        f"got {type(executor).__name__}."
    )


def _connect(address: str, timeout: float):
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise ImportError(
            "a scheduler address needs dask.distributed: pip install 'dask[distributed]'."
        ) from exc
    try:
        return Client(address, timeout=f"{timeout}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ValueError(
            f"no Dask scheduler reachable at {address!r} within {timeout:g} s ({exc}); "
            "start one (`dask scheduler` and `dask worker ADDRESS`) or fix the address."
        ) from exc


# --- the shared runner ---------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    """Everything a worker needs to run one notebook (picklable for Dask)."""

    notebook: Path
    output: Path
    parameters: dict[str, Any]
    results: Path
    status: Path | None
    kernel_name: str
    cwd: Path
    timeout: float | None
    run_id: str | None = None
    threads: int | None = None  # BLAS/OpenMP threads per kernel, None = library default


def _execute_job(job: _Job) -> NotebookRun:
    """Run one job on a worker: clear stale files, execute, persist status."""
    job.results.unlink(missing_ok=True)
    if job.status is not None:
        # a killed run leaves "started": not ok, so a rerun redoes it
        _write_json(job.status, _status_dict(job, "started"))
    run = _in_fresh_thread(
        execute_notebook,
        job.notebook,
        job.output,
        parameters=job.parameters,
        kernel_name=job.kernel_name,
        cwd=job.cwd,
        timeout=job.timeout,
        env={RESULTS_ENV: str(job.results), **_thread_env(job.threads)},
    )
    run = replace(run, results=_read_json(job.results) or {}, run_id=job.run_id)
    if job.status is not None:
        _write_json(job.status, _status_dict(job, run.status, run))
    return run


_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def _thread_env(threads: int | None) -> dict[str, str]:
    """Thread limits for a kernel sharing the machine with other kernels.

    Without them, each of N concurrent kernels starts one torch/BLAS thread
    per core: on 2 cores, 2 notebooks in parallel ran 6x slower each instead
    of 2x. Limits the user already set in the environment win.
    """
    if threads is None:
        return {}
    return {var: str(threads) for var in _THREAD_VARS if var not in os.environ}


def _in_fresh_thread(fn, *args, **kwargs):
    """Call ``fn`` in a new thread: a new, empty context and no event loop.

    nbclient drives the kernel with asyncio through jupyter_core, which keeps
    its loop in a context variable. Threads of Dask workers (and of pools
    started from a thread that already ran a notebook) inherit a copied
    context and would share one loop ("This event loop is already running");
    inside Jupyter the calling thread even has a running loop.
    """
    import asyncio
    import threading

    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # re-raised in the caller
            outcome["error"] = exc
        finally:
            with contextlib.suppress(Exception):
                loop = asyncio.get_event_loop_policy().get_event_loop()
                if not loop.is_running():
                    loop.close()

    thread = threading.Thread(target=target, name="textures_nb-notebook", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _status_dict(job: _Job, status: str, run: NotebookRun | None = None) -> dict[str, Any]:
    return {
        "run_id": job.run_id,
        "notebook": str(job.notebook),
        "output": job.output.name,
        "status": status,
        "parameters": job.parameters,
        "seconds": None if run is None else round(run.seconds, 3),
        "cell": None if run is None else run.cell,
        "error": None if run is None else run.error,
        "finished": None if run is None else _dt.datetime.now().isoformat(timespec="seconds"),
    }


def _lost_run(job: _Job, exc: BaseException) -> NotebookRun:
    """A job whose worker died or was cancelled: report it, persist it."""
    run = NotebookRun(
        name=job.notebook.stem,
        status="failed",
        seconds=0.0,
        output=job.output,
        source=job.notebook,
        parameters=job.parameters,
        error=_short_error(type(exc).__name__, str(exc) or "worker lost"),
        results=_read_json(job.results) or {},
        run_id=job.run_id,
    )
    if job.status is not None:
        _write_json(job.status, _status_dict(job, "failed", run))
    return run


def _run_many(jobs: Sequence[_Job], pool: Executor | None, *, progress: bool) -> list[NotebookRun]:
    """Run jobs inline (``pool`` None) or on a pool; results in job order.

    Each finished run is persisted by its worker, so an interruption here
    (Ctrl-C, a lost worker) never loses the runs already finished.
    """
    runs: list[NotebookRun | None] = [None] * len(jobs)

    def done(i: int, run: NotebookRun) -> None:
        runs[i] = run
        if progress:
            print(format_run(run), flush=True)

    if pool is None:
        for i, job in enumerate(jobs):
            done(i, _execute_job(job))
        return runs  # type: ignore[return-value]
    futures = {pool.submit(_execute_job, job): i for i, job in enumerate(jobs)}
    try:
        for future in as_completed(futures):
            i = futures[future]
            try:
                run = future.result()
            except Exception as exc:  # worker died, task cancelled, ...
                run = _lost_run(jobs[i], exc)
            done(i, run)
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return runs  # type: ignore[return-value]


def run_notebooks(
    notebooks: Iterable[str | Path],
    out_dir: str | Path,
    *,
    parameters: Mapping[str, Any] | None = None,
    kernel_name: str = "python3",
    progress: bool = True,
) -> list[NotebookRun]:
    """Execute notebooks one after the other into ``out_dir``.

    Each notebook runs in its own folder (as in JupyterLab) with the same
    ``parameters``; its executed copy is ``out_dir/<name>.ipynb`` and what it
    records with :func:`record` goes to ``out_dir/<name>.results.json``.
    A failing notebook is reported and the next one still runs. Same runner
    as :func:`run_grid`.

    Parameters
    ----------
    notebooks : iterable of str or Path
        Notebook files (use :func:`collect_notebooks` to expand folders).
    out_dir : str or Path
        Folder for the executed copies (created if needed).
    parameters : mapping, optional
        Values injected into every notebook; ``None`` keeps the defaults.
    kernel_name : str
        Jupyter kernel name.
    progress : bool
        Print one status line per notebook (see :func:`format_run`) as
        soon as it finishes.

    Returns
    -------
    list of NotebookRun
        One entry per notebook, in order.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    jobs = []
    for notebook in notebooks:
        notebook = Path(notebook)
        target = out_dir / _unique_name(notebook, used)
        jobs.append(
            _Job(
                notebook=notebook,
                output=target,
                parameters=dict(parameters or {}),
                # absolute: the kernel runs in the notebook's folder
                results=target.resolve().with_suffix(".results.json"),
                status=None,
                kernel_name=kernel_name,
                cwd=notebook.resolve().parent,
                timeout=None,
            )
        )
    return _run_many(jobs, None, progress=progress)


# --- parameter grids -------------------------------------------------------------------


def load_grid(path: str | Path) -> dict[str, list[Any]]:
    """Read a parameter grid from a YAML file: a mapping of name -> list of values.

    Example file::

        seed: [0, 1, 2]
        method: [gram, swd]

    Note that YAML reads ``1e-3`` as a string: write ``1.0e-3``.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file is not YAML or not a mapping of lists (see :func:`expand_grid`).
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


def _inspect_parameters(notebook: Path, kernel_name: str) -> dict[str, Any]:
    """papermill's parameter inspection, also for notebooks without a kernelspec."""
    import tempfile

    import nbformat
    import papermill as pm

    nb = nbformat.read(str(notebook), as_version=4)
    if nb.metadata.get("kernelspec", {}).get("name"):
        return pm.inspect_notebook(str(notebook))
    # papermill needs a kernel name to pick its translator; execution passes one too
    nb.metadata["kernelspec"] = {"name": kernel_name, "language": "python", "display_name": ""}
    with tempfile.TemporaryDirectory(prefix="textures_nb-") as tmp:
        path = Path(tmp) / notebook.name
        nbformat.write(nb, str(path))
        return pm.inspect_notebook(str(path))


def _check_parameter_names(notebook: Path, names: Iterable[str], kernel_name: str) -> None:
    """Unknown parameters are an error here (papermill only warns)."""
    names = sorted(set(names))
    if not names:
        return
    known = _inspect_parameters(notebook, kernel_name)
    if not known:
        raise ValueError(
            f"{notebook} has no cell tagged 'parameters', so {names} cannot be injected; "
            "tag the cell holding the defaults with 'parameters'."
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
    _check_parameter_names(notebook, points[0], kernel_name)
    out_dir = Path(out_dir).resolve()
    jobs = []
    for point in points:
        rid = run_id(notebook, point)
        folder = out_dir / rid
        jobs.append(
            _Job(
                notebook=notebook.resolve(),
                output=folder / notebook.name,
                parameters=point,
                results=folder / _RESULTS_FILE,
                status=folder / _STATUS_FILE,
                kernel_name=kernel_name,
                cwd=notebook.resolve().parent,
                timeout=timeout,
                run_id=rid,
            )
        )
    finished = {i: _finished_run(job) for i, job in enumerate(jobs)}
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
        new = iter(_run_many(todo, pool, progress=progress))
    return [finished[i] if i in finished else next(new) for i in range(len(jobs))]


def _finished_run(job: _Job) -> NotebookRun | None:
    """The run stored in the job's folder if it finished ``ok``, else None."""
    status = _read_json(job.status) if job.status is not None else None
    if not status or status.get("status") != "ok" or not job.output.exists():
        return None
    return NotebookRun(
        name=job.notebook.stem,
        status="ok",
        seconds=float(status.get("seconds") or 0.0),
        output=job.output,
        source=job.notebook,
        parameters=job.parameters,
        results=_read_json(job.results) or {},
        run_id=job.run_id,
        resumed=True,
    )


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
        status = _read_json(folder / _STATUS_FILE)
        results = _read_json(folder / _RESULTS_FILE) or {}
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


# --- formatting and papermill details ------------------------------------------------------


def format_run(run: NotebookRun) -> str:
    """One status line, e.g. ``ok      12.3 s  runs/<stamp>/01_x.ipynb``."""
    status = "ok" if run.ok else "FAILED"
    line = f"{status:<6}{run.seconds:6.1f} s  {run.output}"
    if not run.ok:
        where = f"cell {run.cell}: " if run.cell is not None else ""
        line += f"  ({where}{run.error})"
    if run.resumed:
        line += "  (finished earlier, skipped)"
    return line


def _unique_name(notebook: Path, used: set[str]) -> str:
    name = notebook.name
    counter = 1
    while name in used:
        counter += 1
        name = f"{notebook.stem}-{counter}{notebook.suffix}"
    used.add(name)
    return name


def _short_error(ename: str, evalue: str) -> str:
    lines = str(evalue).strip().splitlines()
    first = lines[0] if lines else ""
    text = f"{ename}: {first}" if first else str(ename)
    if len(text) > _MAX_ERROR_CHARS:
        text = text[: _MAX_ERROR_CHARS - 3] + "..."
    return text


def _source_cell_index(output: Path, cell_index: int | None) -> int | None:
    """Map papermill's cell index (executed notebook) to the source notebook.

    Papermill counts its injected-parameters cell, and writes error-marker
    cells into the saved copy after computing the index: drop both.
    """
    if cell_index is None:
        return None
    try:
        import nbformat

        cells = nbformat.read(str(output), as_version=4).cells
    except Exception:  # the copy could not be read back: keep papermill's index
        return cell_index
    cells = [c for c in cells if _ERROR_MARKER_TAG not in c.metadata.get("tags", [])]
    injected = sum(_INJECTED_TAG in c.metadata.get("tags", []) for c in cells[:cell_index])
    return cell_index - injected
