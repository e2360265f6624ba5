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
names they used to hold. Names are imported on first use, so that
``from textures_nb import record`` in a notebook stays cheap.
"""

from __future__ import annotations

import importlib

# public name -> module of this package holding it
_NAMES = {
    "RESULTS_ENV": "_common",
    "NotebookRun": "execute",
    "execute_notebook": "execute",
    "format_run": "execute",
    "open_executor": "executors",
    "check_parameters": "grid",
    "expand_grid": "grid",
    "load_grid": "grid",
    "notebook_parameters": "grid",
    "parse_value": "grid",
    "run_grid": "grid",
    "run_id": "grid",
    "summary": "grid",
    "check_stripped": "maintenance",
    "is_check_cell": "maintenance",
    "refresh_notebooks": "maintenance",
    "strip_notebook": "maintenance",
    "record": "recording",
    "recorded": "recording",
    "collect_notebooks": "runs",
    "run_notebooks": "runs",
    "timestamped_dir": "runs",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str):
    if name in _NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_NAMES))
