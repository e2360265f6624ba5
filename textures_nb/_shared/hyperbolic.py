"""Hyperbolic (anisotropic) discrete wavelet transform along groups of axes (private).

A separable wavelet transform in which each *group* of axes has a scale of its
own. With one group per axis of an image, ``groups=((0,), (1,))``, this is the
hyperbolic wavelet transform of Roux, Clausel, Vedel, Jaffard and Abry (2013):
coefficients ``d(j1, j2)`` of the tensor wavelet ``psi_j1(y) psi_j2(x)`` for
every pair of scales, which sees anisotropic scaling (a roughness exponent
per direction) that the isotropic transform averages away. With a group for
time and a group for the two space axes of a sequence ``(T, H, W)``,
``groups=((0,), (1, 2))``, coefficients are indexed by ``(j_time, j_space)``.

Same conventions as :func:`textures_nb.multiscale.wavelet_coefs`: L1
normalisation (the low-pass filter sums to 1 at every step) and valid
convolutions only (no coefficient sees a padded sample). Within a group of
``k`` axes the transform is the isotropic one: ``2**k - 1`` detail
orientations (the high-pass on a non-empty subset of the group's axes at the
group's scale, low-pass on the others), in the order of
:func:`textures_nb.multiscale.wavelet_coefs` for ``k = 2`` (LH, HL, HH).

Written here because PyWavelets' ``wavedecn`` pads the borders (every mode
mixes in samples that are not there) and has one scale for all axes, and
``fswavedecn``, its fully separable transform, pads as well.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from .._checks import check_positive_int
from .wavelets import filter_step, n_details, wavelet

__all__ = ["hyperbolic_details", "group_levels"]

MIN_COEFS = 3  # fewest coefficients per axis at the coarsest scale kept by default


def _normalise_groups(groups, ndim: int) -> tuple[tuple[int, ...], ...]:
    if not isinstance(groups, Sequence) or len(groups) == 0:
        raise TypeError(f"`groups` must be a non-empty sequence of tuples of axes, got {groups!r}.")
    out, seen = [], set()
    for g in groups:
        axes = (g,) if isinstance(g, (int, np.integer)) else tuple(g)
        if not axes:
            raise ValueError("`groups` holds an empty group; every group needs at least one axis.")
        norm = []
        for ax in axes:
            if not isinstance(ax, (int, np.integer)) or not -ndim <= ax < ndim:
                raise ValueError(
                    f"`groups`: axis {ax!r} is not an axis of an array with {ndim} dims."
                )
            ax = int(ax) % ndim
            if ax in seen:
                raise ValueError(
                    f"`groups`: axis {ax} appears twice; each axis belongs to one group."
                )
            seen.add(ax)
            norm.append(ax)
        out.append(tuple(norm))
    return tuple(out)


def group_levels(shape: Sequence[int], groups, *, wavelet_name: str = "db3") -> tuple[int, ...]:
    """Largest scale of each group that leaves ``MIN_COEFS`` coefficients on each of its axes."""
    groups = _normalise_groups(groups, len(shape))
    n_taps = len(wavelet(wavelet_name).dec_lo)
    levels = []
    for g in groups:
        n = min(shape[ax] for ax in g)
        j = 0
        while n_details(n, n_taps, j + 1) >= MIN_COEFS:
            j += 1
        levels.append(j)
    return tuple(levels)


def _group_transform(a: np.ndarray, axes, lo, hi, n_levels: int) -> list[np.ndarray]:
    """Details at scales 1..n_levels of one group; orientations on a new last axis."""
    out = []
    approx = a
    for _ in range(n_levels):
        branches = {(): approx}
        for ax in axes:
            nxt = {}
            for key, arr in branches.items():
                low, high = filter_step(arr, lo, hi, axis=ax)
                nxt[key + (0,)] = low
                nxt[key + (1,)] = high
            branches = nxt
        approx = branches[(0,) * len(axes)]
        keys = [k for k in itertools.product((0, 1), repeat=len(axes)) if any(k)]
        out.append(np.stack([branches[k] for k in keys], axis=-1))
    return out


def hyperbolic_details(
    x,
    groups,
    *,
    wavelet_name: str = "db3",
    levels: int | Sequence[int] | None = None,
) -> dict[tuple[int, ...], np.ndarray]:
    """Wavelet details indexed by one scale per group of axes.

    Parameters
    ----------
    x : numpy.ndarray
        Finite real array; the axes named in ``groups`` are transformed, any
        other axis (channels, a batch) is carried along.
    groups : sequence of tuple of int
        Groups of axes sharing a scale, e.g. ``((0,), (1,))`` (hyperbolic
        transform of an image) or ``((0,), (1, 2))`` (time, space).
    wavelet_name : str, default "db3"
        Orthogonal PyWavelets wavelet.
    levels : int or sequence of int, optional
        Scales per group (one int for all groups); default
        :func:`group_levels`, at least 3 coefficients per axis.

    Returns
    -------
    dict
        ``{(j_1, ..., j_G): d}``, scales from 1 (finest). ``d`` has the shape of
        ``x`` with each transformed axis decimated, plus one trailing axis per
        group, of length ``2**len(group) - 1`` (orientations), in group order.
    """
    arr = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError("`x` holds NaN or inf values; fill or crop them first.")
    groups = _normalise_groups(groups, arr.ndim)
    w = wavelet(wavelet_name)
    lo = np.asarray(w.dec_lo) / math.sqrt(2.0)
    hi = np.asarray(w.dec_hi) / math.sqrt(2.0)
    available = group_levels(arr.shape, groups, wavelet_name=wavelet_name)
    if levels is None:
        levels = available
    elif isinstance(levels, (int, np.integer)):
        levels = (check_positive_int(levels, "levels"),) * len(groups)
    else:
        levels = tuple(check_positive_int(v, "levels[...]") for v in levels)
        if len(levels) != len(groups):
            raise ValueError(f"`levels` has {len(levels)} entries for {len(groups)} groups.")
    for g, lev, avail in zip(groups, levels, available, strict=True):
        if lev > avail or lev < 1:
            raise ValueError(
                f"axes {g} of `x` (shape {arr.shape}) allow {avail} scale(s) with "
                f"{wavelet_name!r} (at least {MIN_COEFS} coefficients per axis), "
                f"{lev} were asked for; lower `levels` or use larger data."
            )
    result: dict[tuple[int, ...], np.ndarray] = {(): arr}
    for g, lev in zip(groups, levels, strict=True):
        nxt = {}
        for key, a in result.items():
            for j, d in enumerate(_group_transform(a, g, lo, hi, lev), start=1):
                nxt[key + (j,)] = d
        result = nxt
    return result
