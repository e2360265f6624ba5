"""Execute one notebook with papermill, quietly: :func:`execute_notebook`.

Every notebook run of the package goes through :func:`execute_notebook`, which
executes one notebook into one output file and never raises for a failing
cell: it returns a :class:`NotebookRun` describing what happened.

Quiet at the root:

- kernels talk to the runner over IPC (Unix domain sockets in Jupyter's
  runtime folder, one prefix per kernel, removed at shutdown) on POSIX systems, so ipykernel has no
  reason to warn that it "is running over TCP without encryption";
- papermill's log lines go to the ``papermill`` logger, which gets a
  ``NullHandler`` here: they are shown only when the application configures
  logging (``python -m textures_nb -v ...`` does).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textures_nb.runner._common import ERROR_MARKER_TAG, INJECTED_TAG, short_error

__all__ = ["NotebookRun", "execute_notebook", "format_run", "kernel_manager_class"]

# papermill logs through the "papermill" logger family; without a handler in the
# hierarchy Python's last-resort handler prints its warnings to stderr.
logging.getLogger("papermill").addHandler(logging.NullHandler())


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
        Values the notebook stored with :func:`~textures_nb.runner.recording.record`
        (empty if none, or when the notebook ran outside the batch runners).
    run_id : str or None
        Folder name of a grid run (see :func:`~textures_nb.runner.grid.run_id`).
    resumed : bool
        True if :func:`~textures_nb.runner.grid.run_grid` found this run already
        finished and skipped it.

    Examples
    --------
    >>> from pathlib import Path
    >>> from textures_nb.runner.execute import NotebookRun
    >>> run = NotebookRun("01_x", "ok", 12.5, Path("runs/01_x.ipynb"), Path("notebooks/01_x.ipynb"))
    >>> run.status, run.seconds
    ('ok', 12.5)
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

    def __repr__(self) -> str:
        parts = [f"{self.name!r}", self.status, f"{self.seconds:.1f} s"]
        if self.cell is not None:
            parts.append(f"cell {self.cell}")
        if self.error:
            parts.append(_shorten(repr(self.error), 70))
        if self.parameters:
            parts.append("parameters " + _shorten(repr(self.parameters), 60))
        if self.results:
            parts.append("results " + _shorten(repr(sorted(self.results)), 40))
        if self.resumed:
            parts.append("resumed")
        parts.append("output " + _shorten(str(self.output), 50, keep="end"))
        return f"NotebookRun({', '.join(parts)})"


def _shorten(text: str, limit: int, *, keep: str = "start") -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 3] + "..." if keep == "start" else "..." + text[3 - limit :]


def kernel_manager_class(env: Mapping[str, str] | None = None):
    """The jupyter_client kernel manager class the runner gives nbclient.

    Its kernels use the IPC transport on POSIX systems (TCP elsewhere) and
    get ``env`` on top of this process's environment (the runner's own
    ``os.environ`` is left alone, so concurrent runs in threads do not see
    each other's values). nbclient builds and shuts down the manager itself
    from this class; ``_async_launch_kernel`` is jupyter_client's documented
    hook for launching kernels differently.

    Parameters
    ----------
    env : mapping of str to str, optional
        Variables added to the kernels' environment.

    Examples
    --------
    >>> from jupyter_client import KernelManager
    >>> from textures_nb.runner.execute import kernel_manager_class
    >>> issubclass(kernel_manager_class({"TQDM_DISABLE": "1"}), KernelManager)
    True
    """
    from jupyter_client import AsyncKernelManager

    extra_env = dict(env or {})
    transport = "ipc" if os.name == "posix" else "tcp"

    class RunnerKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.setdefault("transport", transport)
            if kwargs["transport"] == "ipc":
                # jupyter_client's default prefix is the relative "kernel-ipc": kernels
                # started together in one folder would race for the same socket files
                kwargs.setdefault("ip", _ipc_prefix())
            super().__init__(**kwargs)

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if extra_env:
                kw["env"] = {**kw.get("env", os.environ), **extra_env}
            return await super()._async_launch_kernel(kernel_cmd, **kw)

    return RunnerKernelManager


def _ipc_prefix() -> str:
    """A fresh absolute path prefix for one kernel's IPC socket files."""
    import uuid

    from jupyter_core.paths import jupyter_runtime_dir

    folder = Path(jupyter_runtime_dir())
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / f"textures_nb-{uuid.uuid4().hex[:12]}-ipc")


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
        Show papermill's per-cell progress bar (off by default: the runners
        print one status line per notebook instead).
    env : mapping of str to str, optional
        Extra environment variables for this run's kernel only.

    Returns
    -------
    NotebookRun
        ``status="ok"`` or ``"failed"`` with the failing cell and error.

    Examples
    --------
    >>> from textures_nb.runner.execute import execute_notebook
    >>> run = execute_notebook("notebooks/01_x.ipynb", "runs/01_x.ipynb")  # doctest: +SKIP
    >>> run.status  # doctest: +SKIP
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
            kernel_manager_class=kernel_manager_class(env),
        )
        status = "ok"
    except PapermillExecutionError as exc:
        status = "failed"
        cell = _source_cell_index(output, exc.cell_index)
        error = short_error(exc.ename, exc.evalue)
    except Exception as exc:  # kernel death, timeout, unreadable notebook, ...
        status = "failed"
        error = short_error(type(exc).__name__, str(exc))
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


def format_run(run: NotebookRun) -> str:
    """One status line, e.g. ``ok      12.3 s  runs/<stamp>/01_x.ipynb``.

    Parameters
    ----------
    run : NotebookRun

    Examples
    --------
    >>> from pathlib import Path
    >>> print(format_run(NotebookRun("a", "ok", 12.34, Path("runs/a.ipynb"), Path("a.ipynb"))))
    ok      12.3 s  runs/a.ipynb
    """
    status = "ok" if run.ok else "FAILED"
    line = f"{status:<6}{run.seconds:6.1f} s  {run.output}"
    if not run.ok:
        where = f"cell {run.cell}: " if run.cell is not None else ""
        line += f"  ({where}{run.error})"
    if run.resumed:
        line += "  (finished earlier, skipped)"
    return line


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
    cells = [c for c in cells if ERROR_MARKER_TAG not in c.metadata.get("tags", [])]
    injected = sum(INJECTED_TAG in c.metadata.get("tags", []) for c in cells[:cell_index])
    return cell_index - injected
