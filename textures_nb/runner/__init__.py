"""The notebook runner: record results, run notebooks and grids, maintain notebooks.

Apart from the science modules, one module per job:

- :mod:`textures_nb.runner.recording`: :func:`record` a key result inside a
  notebook (also ``textures_nb.record``), :func:`recorded`;
- :mod:`textures_nb.runner.execute`: :func:`execute_notebook` runs one
  notebook with papermill, quietly (IPC kernels, papermill's log hidden), and
  returns a :class:`NotebookRun`;
- :mod:`textures_nb.runner.runs`: :func:`run_notebooks` runs a list of
  notebooks (``make run``);
- :mod:`textures_nb.runner.grid`: :func:`run_grid` runs one notebook over a
  parameter grid, locally or on Dask, resumably; :func:`summary` tabulates
  the runs; :func:`check_parameters` tells which parameters papermill can
  inject;
- :mod:`textures_nb.runner.executors`: :func:`open_executor`;
- :mod:`textures_nb.runner.maintenance`: strip and check the stored
  notebooks (``make notebooks``, ``make lint``);
- :mod:`textures_nb.runner.cli`: ``python -m textures_nb {run,batch,notebooks}``.

``textures_nb.batch`` and ``textures_nb.devtools`` remain as aliases of the
names they used to hold.
"""

from __future__ import annotations

from textures_nb.runner._common import RESULTS_ENV
from textures_nb.runner.execute import NotebookRun, execute_notebook, format_run
from textures_nb.runner.executors import open_executor
from textures_nb.runner.grid import (
    check_parameters,
    expand_grid,
    load_grid,
    notebook_parameters,
    parse_value,
    run_grid,
    run_id,
    summary,
)
from textures_nb.runner.maintenance import (
    check_stripped,
    is_check_cell,
    refresh_notebooks,
    strip_notebook,
)
from textures_nb.runner.recording import record, recorded
from textures_nb.runner.runs import collect_notebooks, run_notebooks, timestamped_dir

__all__ = [
    "RESULTS_ENV",
    "NotebookRun",
    "check_parameters",
    "check_stripped",
    "collect_notebooks",
    "execute_notebook",
    "expand_grid",
    "format_run",
    "is_check_cell",
    "load_grid",
    "notebook_parameters",
    "open_executor",
    "parse_value",
    "record",
    "recorded",
    "refresh_notebooks",
    "run_grid",
    "run_id",
    "run_notebooks",
    "strip_notebook",
    "summary",
    "timestamped_dir",
]
