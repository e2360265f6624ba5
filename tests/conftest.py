"""Settings for the whole test suite.

- ``TQDM_DISABLE=1`` is set here, before any test module imports tqdm: tqdm reads
  its ``TQDM_*`` variables once, at import, and kernels started by the tests
  (papermill, nbval) inherit the variable. The package's own bars
  (:func:`textures_nb._shared.progress.tqdm`) also read it at call time, so an
  explicit ``disable=False`` cannot switch them back on.
- Markers (registered in ``pyproject.toml``): ``slow`` (more than about 5 s on 2
  cores), ``browser`` (JupyterLab in a real browser, ``tests/browser``),
  ``network`` (trains a network; CI runs these again under a second CPU kernel).
  ``make quick`` runs ``pytest -m "not slow and not browser" -x -q tests``.
"""

from __future__ import annotations

import os
import sys
import warnings

os.environ["TQDM_DISABLE"] = "1"

if "tqdm" in sys.modules:  # a plugin imported it first: its TQDM_* defaults are frozen
    warnings.warn(
        "tqdm was imported before tests/conftest.py set TQDM_DISABLE=1: bars created "
        "without disable= stay on; run pytest with TQDM_DISABLE=1 in the environment.",
        stacklevel=1,
    )
