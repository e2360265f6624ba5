"""Spectral basics shared by several modules: windows, frequency grids, radial and
orientation binning, Welch periodograms (NumPy).

Nothing here is public API. Callers (and who else could call it):

- ``quality`` (spectrum and orientation indices): :func:`hann`, :func:`welch`,
  :func:`octave_edges`, :func:`band_index`, :func:`averaging_matrix`,
  :func:`orientation_sector`, :func:`radius_angle`.
- ``synthesis.spectral_slope`` (Hann-windowed periodogram, radial bins):
  :func:`hann`, :func:`radius_angle`, :func:`band_index`, :func:`binned_mean`.
- ``similarity._oriented_filters`` (rfft grid, Hann window):
  :func:`radius_angle` with ``real=True``, :func:`rfft_weights`, :func:`hann`.
- ``networks.SpectrumLoss._bins`` is torch; it can build its bin index here with
  ``radius_angle(shape, real=True)`` and :func:`band_index` and convert it once
  with ``torch.from_numpy`` (its window is :func:`hann` divided by its L2 norm,
  ``hann(shape, norm="l2")``).
- ``synthesis`` (``periodic_smooth``, the periodic component option) and
  ``spacetime._periodic_component``: :func:`periodic_smooth`.

Conventions: frequencies in cycles per sample (``numpy.fft.fftfreq``), angles in
radians in ``[0, pi)`` measured from the last axis (columns) towards the first
(rows), as ``arctan2(f_rows, f_cols)``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "hann",
    "frequency_grids",
    "radius_angle",
    "rfft_weights",
    "octave_edges",
    "band_index",
    "averaging_matrix",
    "binned_mean",
    "orientation_sector",
    "segments",
    "welch",
    "periodic_smooth",
]


@functools.lru_cache(maxsize=32)
def _hann_cached(shape: tuple[int, ...], norm: str | None) -> np.ndarray:
    w = np.ones(shape)
    for axis, n in enumerate(shape):
        w = w * np.hanning(n).reshape([n if a == axis else 1 for a in range(len(shape))])
    if norm == "l2":
        w = w / np.sqrt(np.sum(w**2))
    elif norm is not None:
        raise ValueError(f"`norm` must be None or 'l2', got {norm!r}.")
    w.setflags(write=False)
    return w


def hann(shape: Sequence[int], norm: str | None = None) -> np.ndarray:
    """Separable (symmetric, ``numpy.hanning``) Hann window of ``shape``; read-only.

    ``norm="l2"`` divides it by its L2 norm (periodograms then keep the power of
    white noise whatever the window size).
    """
    return _hann_cached(tuple(int(n) for n in shape), norm)


def frequency_grids(shape: Sequence[int], *, real: bool = False) -> list[np.ndarray]:
    """Broadcastable frequency grids (cycles per sample) of an FFT of ``shape``;
    ``real=True``: the last axis is the ``rfft`` half grid."""
    shape = tuple(int(n) for n in shape)
    freqs = [np.fft.fftfreq(n) for n in shape[:-1]]
    freqs.append(np.fft.rfftfreq(shape[-1]) if real else np.fft.fftfreq(shape[-1]))
    return np.meshgrid(*freqs, indexing="ij")


def radius_angle(
    shape: Sequence[int], *, real: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """Radial frequency ``|f|`` and (2D) orientation in ``[0, pi)`` of every FFT bin,
    arrays of the FFT's shape; the angle is None outside 2D."""
    grids = frequency_grids(shape, real=real)
    radius = np.sqrt(sum(g**2 for g in grids))
    angle = np.arctan2(grids[0], grids[1]) % np.pi if len(grids) == 2 else None
    return radius, angle


def rfft_weights(shape: Sequence[int]) -> np.ndarray:
    """Weights of the ``rfft`` half grid of ``shape`` (2 for bins that stand for their
    mirror image, 1 for the zero and Nyquist columns): weighted sums over the half grid
    equal sums over the full spectrum."""
    shape = tuple(int(n) for n in shape)
    half = shape[-1] // 2 + 1
    w = np.full((*shape[:-1], half), 2.0)
    w[..., 0] = 1.0
    if shape[-1] % 2 == 0:
        w[..., -1] = 1.0
    return w


def octave_edges(low: float, high: float = 0.5, per_octave: int = 1) -> np.ndarray:
    """Band edges ``low * 2**(k / per_octave)`` up to ``high`` (the last edge is the
    largest one not above ``high``, with a quarter-step tolerance)."""
    if low <= 0 or high <= low:
        raise ValueError(f"band edges need 0 < low < high, got low={low}, high={high}.")
    n = math.floor(per_octave * math.log2(high / low) + 0.25)
    return low * 2.0 ** (np.arange(n + 1) / per_octave)


def band_index(radius: np.ndarray, edges: np.ndarray, *, drop_zero: bool = True) -> np.ndarray:
    """Band of every frequency (``edges[k] <= r < edges[k + 1]`` gives ``k``), ``-1`` outside
    the edges (and at ``r = 0`` when ``drop_zero``); same shape as ``radius``."""
    band = np.digitize(radius, edges) - 1
    ok = (band >= 0) & (band < len(edges) - 1)
    if drop_zero:
        ok &= radius > 0
    return np.where(ok, band, -1)


def averaging_matrix(index: np.ndarray, n_bins: int, *, drop_empty: bool = True):
    """Matrix ``(n_freq, n_kept)`` averaging a flattened spectrum over bins (``index``
    flattened, ``-1`` ignored), and the kept bin numbers (non-empty bins when
    ``drop_empty``). ``power.reshape(-1) @ matrix`` gives the mean power per bin."""
    index = np.asarray(index).ravel()
    m = np.zeros((index.size, n_bins))
    ok = index >= 0
    m[np.flatnonzero(ok), index[ok]] = 1.0
    counts = m.sum(axis=0)
    kept = np.flatnonzero(counts > 0) if drop_empty else np.arange(n_bins)
    m = m[:, kept] / np.maximum(counts[kept], 1.0)
    return m, kept


def binned_mean(values: np.ndarray, index: np.ndarray, n_bins: int, weights=None) -> np.ndarray:
    """Mean of ``values`` per bin (``index`` as from :func:`band_index`, ``-1`` ignored;
    optional weights such as :func:`rfft_weights`); NaN for empty bins."""
    v, idx = np.asarray(values, dtype=float).ravel(), np.asarray(index).ravel()
    w = np.ones_like(v) if weights is None else np.broadcast_to(weights, np.shape(index)).ravel()
    ok = idx >= 0
    s = np.bincount(idx[ok], weights=(v * w)[ok], minlength=n_bins)
    n = np.bincount(idx[ok], weights=w[ok], minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return s / n


def orientation_sector(angle: np.ndarray, n_sectors: int, *, centred: bool = True) -> np.ndarray:
    """Sector ``0 .. n_sectors - 1`` of orientations in ``[0, pi)``; ``centred``: sector
    ``k`` is centred on ``k * pi / n_sectors`` (sector 0 straddles the horizontal axis),
    otherwise it starts there."""
    width = np.pi / n_sectors
    a = (np.asarray(angle) + (width / 2 if centred else 0.0)) % np.pi
    return np.minimum((a // width).astype(int), n_sectors - 1)


def segments(a: np.ndarray, segment: int) -> np.ndarray:
    """Non-overlapping ``segment``-sided blocks of ``a`` ``(C, *spatial)``, as
    ``(C, n_blocks, *[segment] * d)``; trailing samples that do not fill a block are dropped."""
    dim = a.ndim - 1
    n = [s // segment for s in a.shape[1:]]
    if min(n) < 1:
        raise ValueError(f"segments of {segment} samples do not fit in shape {a.shape[1:]}.")
    a = a[(slice(None), *(slice(0, k * segment) for k in n))]
    split = [a.shape[0]]
    for k in n:
        split += [k, segment]
    b = a.reshape(split)
    order = [0, *range(1, 2 * dim, 2), *range(2, 2 * dim + 1, 2)]
    return b.transpose(order).reshape(a.shape[0], int(np.prod(n)), *[segment] * dim)


def welch(a: np.ndarray, segment: int, *, detrend: bool = True) -> np.ndarray:
    """Welch estimate: mean Hann-windowed periodogram of the non-overlapping segments of
    ``a`` ``(C, *spatial)``, shape ``(C, *[segment] * d)`` (full FFT grid, unnormalised
    window; each segment's mean removed first when ``detrend``)."""
    p = segments(np.asarray(a, dtype=float), segment)
    dim = a.ndim - 1
    axes = tuple(range(2, p.ndim))
    if detrend:
        p = p - p.mean(axis=axes, keepdims=True)
    p = p * hann([segment] * dim)
    return (np.abs(np.fft.fftn(p, axes=axes)) ** 2).mean(axis=1)


def periodic_smooth(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Moisan's periodic + smooth decomposition of ``u`` (C, *spatial), per channel.

    ``s`` solves ``Lap_per s = v`` where ``v`` holds the jumps across the
    opposite borders (for each axis, ``last - first`` on the first slice and
    ``first - last`` on the last), with ``mean(s) = 0``; ``p = u - s``. Then
    ``Lap_per p`` equals the Laplacian of ``u`` computed from the neighbours
    inside the domain only: ``p`` has no border discontinuity. One FFT each way.
    Returns ``(p, s)``.
    """
    axes = tuple(range(1, u.ndim))
    spatial = u.shape[1:]
    v = np.zeros_like(u)
    for a in axes:
        first = [slice(None)] * u.ndim
        last = [slice(None)] * u.ndim
        first[a], last[a] = slice(0, 1), slice(-1, None)
        jump = u[tuple(last)] - u[tuple(first)]
        v[tuple(first)] += jump
        v[tuple(last)] -= jump
    freqs = [np.fft.fftfreq(n) for n in spatial[:-1]] + [np.fft.rfftfreq(spatial[-1])]
    den = sum(
        (2.0 * np.cos(2.0 * np.pi * f) - 2.0).reshape(
            [-1 if k == i else 1 for k in range(len(spatial))]
        )
        for i, f in enumerate(freqs)
    )
    den[(0,) * len(spatial)] = 1.0  # the zero frequency of v is 0: s has mean 0
    S = np.fft.rfftn(v, axes=axes) / den
    S[(slice(None), *((0,) * len(spatial)))] = 0.0
    s = np.fft.irfftn(S, s=spatial, axes=axes)
    return u - s, s
