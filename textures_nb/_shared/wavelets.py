"""Wavelet basics shared by multiscale, quality and similarity (private).

- :func:`wavelet`: validated orthogonal PyWavelets wavelet.
- :func:`filter_step`: one valid-convolution analysis step with decimation.
- :func:`n_details`: number of valid detail coefficients at a scale.
- :func:`scale_pair`: parse a ``(j1, j2)`` pair of scales.
- :func:`slopes`: weighted least-squares slopes across scales.
"""

from __future__ import annotations

import numpy as np
import pywt
from numpy.lib.stride_tricks import sliding_window_view

from .._checks import check_positive_int

__all__ = ["wavelet", "filter_step", "n_details", "scale_pair", "slopes"]


def wavelet(name: str) -> pywt.Wavelet:
    """The orthogonal PyWavelets wavelet ``name``; TypeError/ValueError otherwise."""
    if not isinstance(name, str):
        raise TypeError(f"`wavelet` must be a PyWavelets name such as 'db3', got {name!r}.")
    if name not in pywt.wavelist(kind="discrete"):
        raise ValueError(
            f"`wavelet`={name!r} is not a discrete wavelet known to PyWavelets; "
            "use an orthogonal Daubechies wavelet such as 'db2', 'db3' or 'db4' "
            "(see pywt.wavelist(kind='discrete'))."
        )
    w = pywt.Wavelet(name)
    if not w.orthogonal:
        raise ValueError(
            f"`wavelet`={name!r} is not orthogonal; use a Daubechies ('dbN') or "
            "Symlet ('symN') wavelet."
        )
    return w


def filter_step(a: np.ndarray, lo: np.ndarray, hi: np.ndarray, axis: int):
    """One analysis step along ``axis``: valid convolution then decimation by 2.

    Output ``k`` combines inputs ``2k .. 2k + len(filter) - 1``, so index ``k``
    at the coarser scale is aligned with the dyadic interval starting at ``2k``.
    """
    n_taps = lo.size
    windows = sliding_window_view(a, n_taps, axis=axis)
    index = [slice(None)] * a.ndim
    index[axis] = slice(None, None, 2)
    windows = windows[tuple(index)]
    # convolution flips the filter
    return windows @ lo[::-1], windows @ hi[::-1]


def n_details(n: int, n_taps: int, j: int) -> int:
    """Number of valid detail coefficients along one axis at scale ``j``."""
    for _ in range(j):
        if n < n_taps:
            return 0
        n = (n - n_taps) // 2 + 1
    return n


def scale_pair(scales) -> tuple[int, int]:
    """``scales`` as two positive ints ``(j1, j2)``; order is the caller's to check."""
    try:
        j1, j2 = scales
    except (TypeError, ValueError):
        raise TypeError(f"`scales` must be a pair (j1, j2) of integers, got {scales!r}.") from None
    return check_positive_int(j1, "scales[0] (j1)"), check_positive_int(j2, "scales[1] (j2)")


def slopes(j: np.ndarray, y: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least-squares slope and intercept of ``y`` (..., n_scales) against ``j``."""
    w = weights / weights.sum()
    jbar = np.sum(w * j)
    ybar = np.sum(w * y, axis=-1)
    slope = np.sum(w * (j - jbar) * (y - ybar[..., None]), axis=-1) / np.sum(w * (j - jbar) ** 2)
    return slope, ybar - slope * jbar
