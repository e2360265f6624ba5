"""Alias of the notebook runner's batch functions (now in :mod:`textures_nb.runner`).

Kept so that notebooks and scripts written against ``textures_nb.batch`` keep
working: ``from textures_nb.batch import run_grid, summary, record``.
"""

from __future__ import annotations

from textures_nb.runner import (
    RESULTS_ENV,
    NotebookRun,
    collect_notebooks,
    execute_notebook,
    expand_grid,
    format_run,
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
