"""Run notebooks in batch with papermill.

Every notebook run goes through :func:`execute_notebook`, which executes one
notebook into one output file and never raises for a failing cell: it returns
a :class:`NotebookRun` describing what happened. :func:`run_notebooks` runs a
list of notebooks one after the other with the same parameters; a parameter
grid runner can be built on :func:`execute_notebook` the same way.

The command line front end is ``python -m textures_nb run``::

    python -m textures_nb run notebooks --out runs -p seed 3

Example
-------
>>> from textures_nb.batch import run_notebooks
>>> runs = run_notebooks(["notebooks/01_multiscale_analysis.ipynb"], "runs/demo")  # doctest: +SKIP
>>> [(r.name, r.status) for r in runs]  # doctest: +SKIP
[('01_multiscale_analysis', 'ok')]
"""

from __future__ import annotations

import ast
import datetime as _dt
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "NotebookRun",
    "collect_notebooks",
    "execute_notebook",
    "format_run",
    "parse_value",
    "run_notebooks",
    "timestamped_dir",
]

_INJECTED_TAG = "injected-parameters"
_ERROR_MARKER_TAG = "papermill-error-cell-tag"
_MAX_ERROR_CHARS = 200


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
    """

    name: str
    status: str
    seconds: float
    output: Path
    source: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    cell: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True if the notebook ran to the end without error."""
        return self.status == "ok"


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


def execute_notebook(
    notebook: str | Path,
    output: str | Path,
    *,
    parameters: Mapping[str, Any] | None = None,
    kernel_name: str = "python3",
    cwd: str | Path | None = None,
    timeout: float | None = None,
    progress: bool = False,
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
    ``parameters``; its executed copy is ``out_dir/<name>.ipynb``. A failing
    notebook is reported and the next one still runs.

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
    runs: list[NotebookRun] = []
    used: set[str] = set()
    for notebook in notebooks:
        notebook = Path(notebook)
        target = out_dir / _unique_name(notebook, used)
        run = execute_notebook(notebook, target, parameters=parameters, kernel_name=kernel_name)
        if progress:
            print(format_run(run), flush=True)
        runs.append(run)
    return runs


def format_run(run: NotebookRun) -> str:
    """One status line, e.g. ``ok      12.3 s  runs/<stamp>/01_x.ipynb``."""
    status = "ok" if run.ok else "FAILED"
    line = f"{status:<6}{run.seconds:6.1f} s  {run.output}"
    if not run.ok:
        where = f"cell {run.cell}: " if run.cell is not None else ""
        line += f"  ({where}{run.error})"
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
