"""Record a notebook's key results for batch summaries: :func:`record`.

Under the batch runners each kernel gets the path of its ``results.json`` in
the ``TEXTURES_NB_RESULTS`` environment variable; :func:`record` writes there
at once. Outside them it keeps the values in memory, so notebooks can call it
unconditionally. :func:`textures_nb.runner.grid.summary` gathers the files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from textures_nb.runner._common import RESULTS_ENV, write_json

__all__ = ["RESULTS_ENV", "record", "recorded"]

_RECORDED: dict[str, Any] = {}


def record(name: str, value: Any) -> None:
    """Store a key result of the running notebook, for batch summaries.

    Under the batch runners (:func:`~textures_nb.runner.grid.run_grid`,
    :func:`~textures_nb.runner.execute.run_notebooks`, ``make run``) the value
    is written at once to the run's ``results.json`` (atomically: a killed
    kernel leaves the previous complete file). Outside them it is only kept in
    memory (see :func:`recorded`), so notebooks can call it unconditionally.

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
    >>> from textures_nb.runner import recorded
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
        write_json(Path(path), _RECORDED)


def recorded() -> dict[str, Any]:
    """Copy of the values stored with :func:`record` in this process.

    Examples
    --------
    >>> from textures_nb.runner.recording import record, recorded
    >>> record("c1", 0.71)
    >>> recorded()["c1"]
    0.71
    """
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
