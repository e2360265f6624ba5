"""textures-nb: multiscale statistics and deep learning for multivariate textures.

A thin helper package behind the notebooks in ``notebooks/``. One concept per
module:

- :mod:`textures_nb.processes`: synthetic processes with known ground truth
  (fBm, MRW, fractional Brownian fields, multifractal random fields).
- :mod:`textures_nb.multiscale`: wavelet coefficients and leaders,
  log-cumulants, structure functions, bivariate multifractal analysis.
- :mod:`textures_nb.synthesis`: texture synthesis (deep and classical).
- :mod:`textures_nb.confidence`: how much to trust an output: spread over
  repeats from scratch, consensus clustering.
- :mod:`textures_nb.complexity`: task complexity (N1, N3, Fisher, predicted
  vs k-means misclustering) against architecture complexity (parameters,
  receptive field, FLOPs, VC bound, capacity), matched over a sweep.
- :mod:`textures_nb.spacetime`: sequences ``(T, H, W)``: space-time fields
  with known truth, space and time exponents, velocity, sequence synthesis.
- :mod:`textures_nb.runner`: the notebook runner, apart from the science:
  run notebooks with papermill, alone or over a parameter grid (locally or on
  Dask), and maintain the stored notebooks; ``python -m textures_nb``.
  ``textures_nb.batch`` and ``textures_nb.devtools`` are aliases kept for
  existing code.

``textures_nb.record(name, value)`` stores a key result of a notebook for
batch summaries (see :func:`textures_nb.runner.recording.record`).

The shared convention of results and arguments is in ``CONTRIBUTING.md``.

Submodules are imported lazily, so ``import textures_nb`` stays cheap.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = {
    "processes",
    "multiscale",
    "synthesis",
    "networks",
    "batch",
    "devtools",
    "runner",
    "plotting",
    "widgets",
    "data",
    "generative",
    "quality",
    "similarity",
    "confidence",
    "complexity",
    "fhr",
    "feedback",
    "oversampling",
    "paper",
    "spacetime",
    "multiscale_torch",
}

# functions re-exported at the top level: name -> module holding them
_FUNCTIONS = {"record": "runner.recording"}

__all__ = sorted(_SUBMODULES | set(_FUNCTIONS)) + ["__version__"]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _FUNCTIONS:
        return getattr(importlib.import_module(f"{__name__}.{_FUNCTIONS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
