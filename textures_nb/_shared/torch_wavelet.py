"""One differentiable wavelet step along any axis of a torch tensor (private).

Shared by :class:`textures_nb.multiscale_torch.WaveletTransform` (1D/2D DWT)
and :mod:`textures_nb.spacetime` (hyperbolic time x space details of
sequences). Conventions of :func:`textures_nb.multiscale.wavelet_coefs`: L1
normalisation (the low-pass filter sums to 1) and valid borders (no output
sees a padded sample); ``periodic=True`` wraps the axis instead (``n // 2``
outputs for an even ``n``).

Written by hand because torch has no strided DWT; the step is a strided
``conv1d`` (last axis) or ``(L x 1)`` ``conv2d`` (other axes, no transposed copy) with the
(flipped) low- and high-pass filters.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .wavelets import wavelet as _wavelet

__all__ = ["filter_bank", "wavelet_step"]


def filter_bank(name: str = "db3", *, dtype: torch.dtype = torch.float64) -> Tensor:
    """Flipped, L1-normalised low- and high-pass filters, shape ``(2, 1, L)``.

    Examples
    --------
    >>> b = filter_bank("db1")
    >>> tuple(b.shape), [round(float(v), 3) for v in b[0, 0]]
    ((2, 1, 2), [0.5, 0.5])
    """
    w = _wavelet(name)
    lo = np.asarray(w.dec_lo, dtype=np.float64)[::-1] / math.sqrt(2.0)
    hi = np.asarray(w.dec_hi, dtype=np.float64)[::-1] / math.sqrt(2.0)
    return torch.tensor(np.stack([lo, hi]), dtype=dtype)[:, None]


def wavelet_step(
    a: Tensor, bank: Tensor, axis: int, *, periodic: bool = False
) -> tuple[Tensor, Tensor]:
    """Low and high outputs of one wavelet step of ``a`` along ``axis``.

    Parameters
    ----------
    a : torch.Tensor
        Any shape; ``axis`` is filtered and decimated by 2.
    bank : torch.Tensor, shape (2, 1, L)
        From :func:`filter_bank` (cast to ``a``'s dtype here).
    axis : int
        Axis filtered (negative allowed).
    periodic : bool, default False
        Wrap the axis (``n // 2`` outputs) instead of valid borders
        (``(n - L) // 2 + 1`` outputs).

    Returns
    -------
    (torch.Tensor, torch.Tensor)
        Approximation and detail, ``a``'s shape with ``axis`` shortened.

    Examples
    --------
    >>> lo, hi = wavelet_step(torch.ones(3, 8, 5), filter_bank("db1"), 1)
    >>> tuple(lo.shape), float(lo.mean()), float(hi.abs().max())
    ((3, 4, 5), 1.0, 0.0)
    """
    n_taps = bank.shape[-1]
    axis = axis % a.ndim
    n = a.shape[axis]
    before, after = a.shape[:axis], a.shape[axis + 1 :]
    bank = bank.to(a.dtype)
    if periodic:
        a = torch.cat([a, a.narrow(axis, 0, n_taps - 2)], dim=axis)
        n = a.shape[axis]
    if not after:  # last axis: a strided conv1d of the rows
        out = F.conv1d(a.reshape(-1, 1, n), bank, stride=2)  # (N, 2, n')
        return out[:, 0].reshape(*before, -1), out[:, 1].reshape(*before, -1)
    # any other axis: a (L x 1) conv2d over (axis, rest), no transposed copy
    out = F.conv2d(a.reshape(-1, 1, n, math.prod(after)), bank[..., None], stride=(2, 1))
    return out[:, 0].reshape(*before, -1, *after), out[:, 1].reshape(*before, -1, *after)
