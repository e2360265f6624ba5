"""Run a list of notebooks one after the other: ``make run``, ``python -m textures_nb run``.

:func:`run_notebooks` executes each notebook in its own folder (as in
JupyterLab) with the same parameters into one output folder, usually a fresh
:func:`timestamped_dir`; :func:`collect_notebooks` expands the paths given on
the command line.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from textures_nb.runner._jobs import Job, run_many
from textures_nb.runner.execute import NotebookRun

__all__ = ["collect_notebooks", "run_notebooks", "timestamped_dir"]


def collect_notebooks(paths: Iterable[str | Path]) -> list[Path]:
    """Expand notebook files and folders into a sorted list of notebooks.

    A folder contributes the ``*.ipynb`` files directly inside it (not in
    subfolders; Jupyter checkpoints are ignored). Duplicates are dropped,
    order of ``paths`` is kept, folders are expanded in sorted order.

    Parameters
    ----------
    paths : iterable of str or Path
        Notebook files and folders.

    Returns
    -------
    list of Path

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    ValueError
        If a file is not a ``.ipynb`` notebook, a folder holds no notebook,
        or no path is given.

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
    >>> from textures_nb.runner.runs import collect_notebooks
    >>> [p.name for p in collect_notebooks([path.parent, path])]
    ['demo.ipynb']
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

    Parameters
    ----------
    root : str or Path
        Parent folder (created if needed).
    now : datetime.datetime, optional (keyword-only)
        The time stamped (default: now).

    Returns
    -------
    Path

    Examples
    --------
    >>> import datetime, tempfile
    >>> from textures_nb.runner.runs import timestamped_dir
    >>> root, now = tempfile.mkdtemp(), datetime.datetime(2026, 1, 2, 3, 4, 5)
    >>> timestamped_dir(root, now=now).name, timestamped_dir(root, now=now).name
    ('20260102-030405', '20260102-030405-2')
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
    records with :func:`~textures_nb.runner.recording.record` goes to
    ``out_dir/<name>.results.json``.
    A failing notebook is reported and the next one still runs. Same runner
    as :func:`~textures_nb.runner.grid.run_grid`.

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

    Examples
    --------
    >>> from textures_nb.runner.runs import run_notebooks
    >>> runs = run_notebooks(["notebooks"], "runs/demo", progress=False)  # doctest: +SKIP
    >>> [run.status for run in runs]  # doctest: +SKIP
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    jobs = []
    for notebook in notebooks:
        notebook = Path(notebook)
        target = out_dir / _unique_name(notebook, used)
        jobs.append(
            Job(
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
    return run_many(jobs, None, progress=progress)


def _unique_name(notebook: Path, used: set[str]) -> str:
    name = notebook.name
    counter = 1
    while name in used:
        counter += 1
        name = f"{notebook.stem}-{counter}{notebook.suffix}"
    used.add(name)
    return name
