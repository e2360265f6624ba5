"""Texture similarity: features, dissimilarities, exact nearest neighbours, evaluation.

The building block of classification, clustering and diagnosis on texture
databases (e.g. photographic papers compared by their surface texture). The
steps, each one function:

1. :func:`features`: one feature vector per image (or 1D signal), of kind

   - ``"wavelet"``: multiscale anisotropic wavelet statistics: per scale and
     orientation (horizontal, vertical, diagonal) L1 and L2 norms of the
     discrete wavelet coefficients and their scaling exponents; hyperbolic
     (anisotropic) wavelet energies ``d(j1, j2)`` with independent scales
     along rows and columns; energies of oriented band-pass filters (8
     orientations, one octave each) and their exponents, which tell apart
     orientations that the separable transform mixes (60 versus 120 degrees).
   - ``"leaders"``: wavelet-leader cumulants ``C_m(j)`` per scale and the
     log-cumulants ``c1, c2, c3`` (multifractal analysis of notebook 01).
   - ``"gram"``: Gram matrices of a fixed random multiscale network
     (the deep texture statistics of notebook 02, no training).
   - ``"hyperbolic"``: the hyperbolic wavelet features of Abry et al.
     (2015) for photographic papers: for every pair of scales ``(j1, j2)``
     (rows, columns; valid borders, L1 normalisation, scales down to 16
     coefficients per axis) the log2 energy ``log2 mean d(j1, j2)^2``, the
     exponents of the energies along each direction (for every scale of
     the other), the exponents of a plane fitted over all pairs (roughness
     per direction) with their difference (anisotropy), and the flatness
     ``log2 mean |d| - log2 mean d^2 / 2`` of the well-estimated pairs.
     For signals, the ``"isotropic"`` features (one axis, one scale).
   - ``"isotropic"``: the isotropic counterpart, energies per scale pooled
     over the three orientations, their exponent and flatness: the
     orientation-blind baseline.
   - ``"orientation"``: structure-tensor statistics per scale (global
     orientation vector, mean local coherence; images only, see
     :data:`ORIENTATION_SCALES`).

   Features are raw; distances standardise them (:func:`standardize_features`).
2. :func:`dissimilarity` (N x N) and :func:`nearest` (exact top-k on float32
   or float64 features without copying them: faiss-cpu's brute force when it
   is installed, NumPy blocks otherwise, candidates ranked again in float64;
   an approximate faiss index above a million items; never N x N).
3. Evaluation: :func:`precision_at_k`, :func:`mean_average_precision`,
   :func:`cluster` and :func:`clustering_scores` (adjusted Rand index and
   normalised mutual information), :func:`compare_features` for a table.
4. Figures: :func:`plot_dissimilarity`, :func:`plot_embedding`,
   :func:`plot_dendrogram`, :func:`neighbours_figure` and the ipywidgets
   :func:`explorer` (both drawn by :func:`neighbours`).

References
----------
Abry, Clausel, Jaffard, Roux, Vedel (2013), "Hyperbolic wavelet transform: an
efficient tool for multifractal analysis of anisotropic fields", Revista
Matematica Iberoamericana. Wendt, Roux, Jaffard, Abry (2009), "Wavelet leaders
and bootstrap for multifractal analysis of images", Signal Processing 89.
Johnson, Messier et al. (2014), "Pursuing automated classification of
historic photographic papers from raking light images", J. Am. Inst. Conserv.
Ustyuzhaninov et al. (2017), "What does it take to generate natural
textures?", ICLR.
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ._checks import as_finite_array, check_positive_int, torch_seed
from ._shared.display import palette, png_bytes, png_data_uri
from ._shared.hyperbolic import hyperbolic_details
from ._shared.progress import tqdm
from ._shared.spectral import frequency_grids, hann, rfft_weights
from ._shared.wavelets import filter_step, n_details, slopes
from ._shared.wavelets import wavelet as get_wavelet
from .data import TextureDatabase, standardize_patches

__all__ = [
    "FEATURE_KINDS",
    "ANISOTROPY_KINDS",
    "ALL_KINDS",
    "IMAGE_KINDS",
    "ORIENTATION_SCALES",
    "MIN_COEFS_FEATURES",
    "MIN_COEFS_FLATNESS",
    "features",
    "standardize_features",
    "dissimilarity",
    "nearest",
    "precision_at_k",
    "mean_average_precision",
    "cluster",
    "clustering_scores",
    "FeatureComparison",
    "compare_features",
    "plot_dissimilarity",
    "plot_embedding",
    "plot_dendrogram",
    "neighbours",
    "neighbours_figure",
    "explorer",
]

#: General-purpose feature kinds of :func:`features` (the default of :func:`compare_features`).
FEATURE_KINDS = ("wavelet", "leaders", "gram")
#: Kinds for anisotropic surfaces such as photographic papers (:mod:`textures_nb.paper`):
#: the hyperbolic wavelet features, their isotropic counterpart, orientation statistics.
ANISOTROPY_KINDS = ("hyperbolic", "isotropic", "orientation")
#: Every kind :func:`features` accepts.
ALL_KINDS = FEATURE_KINDS + ANISOTROPY_KINDS
#: Kinds that need images (N, H, W); the others also take signals (N, T).
IMAGE_KINDS = ("orientation",)
METRICS = ("euclidean", "cosine")


# --------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------


def _check_images(images) -> np.ndarray:
    """(N, T) signals or (N, H, W) images, finite and not constant; errors name the item."""
    if isinstance(images, (list, tuple)) and images:
        shapes = {np.shape(im) for im in images}
        if len(shapes) > 1:
            first = np.shape(images[0])
            bad = next(i for i, im in enumerate(images) if np.shape(im) != first)
            raise ValueError(
                f"`images` mixes sizes: item 0 has shape {first} but item {bad} has shape "
                f"{np.shape(images[bad])}; cut them into equal patches first "
                "(textures_nb.data.extract_patches or load_image_folder(..., patch=...))."
            )
    arr = np.asarray(images) if not isinstance(images, (str, bytes)) else images
    if isinstance(arr, np.ndarray) and arr.dtype.kind == "f" and arr.ndim in (2, 3):
        finite = np.isfinite(arr.reshape(arr.shape[0], -1)).all(axis=1)
        if not finite.all():
            bad = np.flatnonzero(~finite)
            raise ValueError(
                f"`images` item {bad[0]} (and {bad.size - 1} other(s)) holds NaN or infinite "
                "values; remove or repair these items first."
            )
    arr = as_finite_array(images, "images", ndims=(2, 3))
    flat = arr.reshape(arr.shape[0], -1)
    constant = np.ptp(flat, axis=1) == 0
    if constant.any():
        bad = np.flatnonzero(constant)
        raise ValueError(
            f"`images` item {bad[0]} (and {bad.size - 1} other(s)) is constant: it has no "
            "texture to describe. Remove it."
        )
    return arr


def _as_stack(images, dim):
    """``images`` as a stack (N, T) or (N, H, W) following ``dim`` (see :func:`features`)."""
    if dim is not None and dim not in (1, 2):
        raise ValueError(f"`dim` must be 1 (signals) or 2 (images), got {dim!r}.")
    if isinstance(images, (list, tuple)):
        if images and dim is not None and np.ndim(images[0]) != dim:
            raise ValueError(
                f"`images` is a list of {np.ndim(images[0])}D items but dim={dim}; pass "
                f"dim={np.ndim(images[0])} or items of {dim} dimension(s)."
            )
        return images
    shape = np.shape(images)
    if len(shape) == 2 and dim is None:
        raise ValueError(
            f"`images` of shape {shape} is ambiguous: {shape[0]} signals of {shape[1]} "
            f"samples, or one {shape[0]} x {shape[1]} image? Pass dim=1 for signals (N, T), "
            "dim=2 for one image (H, W) (or a stack of images (N, H, W), or a list)."
        )
    item_dims = {1: 1, 3: 2}.get(len(shape)) if dim is None else dim
    if item_dims is None:
        return images  # _check_images names the problem
    if len(shape) == item_dims:  # one item
        return np.asarray(images)[None]
    if len(shape) != item_dims + 1:
        want = "(N, T) or (T,)" if item_dims == 1 else "(N, H, W) or (H, W)"
        raise ValueError(f"`images` of shape {shape} does not fit dim={dim}: expected {want}.")
    return images


def _check_features(F, name: str = "F") -> np.ndarray:
    """(N, D) finite feature matrix; a NaN names its row."""
    arr = np.asarray(F) if not isinstance(F, (str, bytes)) else F
    if isinstance(arr, np.ndarray) and arr.ndim == 2 and arr.dtype.kind in "fc":
        finite = np.isfinite(arr).all(axis=1)
        if not finite.all():
            bad = np.flatnonzero(~finite)
            raise ValueError(
                f"`{name}` row {bad[0]} (item {bad[0]}, and {bad.size - 1} other row(s)) holds "
                "NaN or infinite features; recompute the features of that item or drop it."
            )
    return as_finite_array(F, name, ndims=(2,))


def _check_metric(metric: str) -> str:
    if metric not in METRICS:
        raise ValueError(f"`metric` must be one of {METRICS}, got {metric!r}.")
    return metric


def _int_seed(seed) -> int:
    """``seed`` (int or numpy Generator) as an int that scikit-learn and torch accept."""
    return torch_seed(seed) % 2**32


def _check_labels(labels, n: int, name: str) -> np.ndarray:
    arr = np.asarray(labels)
    if arr.shape != (n,):
        raise ValueError(f"`{name}` must have shape ({n},) (one label per item), got {arr.shape}.")
    return arr


# --------------------------------------------------------------------------
# Wavelet features
# --------------------------------------------------------------------------


def _slope(y: np.ndarray) -> np.ndarray:
    """Least-squares slope of ``y`` (..., n) against scales 1..n (log2 units per octave)."""
    j = np.arange(1, y.shape[-1] + 1, dtype=float)
    return slopes(j, y, np.ones_like(j))[0]


def _dwt_features(x: np.ndarray, wavelet: str) -> np.ndarray:
    """Per scale (and orientation) log2 L1 and L2 norms of |d|, and their exponents."""
    from .multiscale import wavelet_coefs

    coefs = wavelet_coefs(x, wavelet=wavelet)
    if x.ndim == 1:
        d = coefs.details
        l1 = np.array([np.log2(np.mean(np.abs(dj))) for dj in d])
        l2 = np.array([0.5 * np.log2(np.mean(dj**2)) for dj in d])
        l4 = np.array([0.25 * np.log2(np.mean(dj**4)) for dj in d])
        lv = np.array([np.var(np.log(np.abs(dj) + 1e-12 * np.abs(dj).max())) for dj in d])
    else:  # (orientation, scale)
        l1 = np.array([np.log2(np.abs(dj).mean(axis=(1, 2))) for dj in coefs.details]).T
        l2 = np.array([0.5 * np.log2((dj**2).mean(axis=(1, 2))) for dj in coefs.details]).T
        l4 = np.array([0.25 * np.log2((dj**4).mean(axis=(1, 2))) for dj in coefs.details]).T
        lv = np.array(
            [np.log(np.abs(dj) + 1e-12 * np.abs(dj).max()).var(axis=(1, 2)) for dj in coefs.details]
        ).T
    # L1, L2 and L4 norms describe the shape (sparsity) of |d|; the variance of ln|d|
    # (C2(j) of the coefficients, pi^2/8 for a Gaussian field) its intermittency
    parts = [l1.ravel(), l2.ravel(), l4.ravel(), lv.ravel()]
    if l1.shape[-1] >= 2:
        parts += [np.atleast_1d(_slope(l1)), np.atleast_1d(_slope(l2))]
    return np.concatenate(parts)


def _dwt_levels_1d(a: np.ndarray, lo: np.ndarray, hi: np.ndarray, axis: int) -> list[np.ndarray]:
    """Detail coefficients of every scale along one axis (valid convolutions)."""
    details = []
    while a.shape[axis] >= lo.size + 4:  # keep >= 3 coefficients at the scale
        a, d = filter_step(a, lo, hi, axis)
        details.append(d)
    return details


def _hyperbolic_features(x: np.ndarray, wavelet: str) -> np.ndarray:
    """log2 mean |d(j1, j2)| of the hyperbolic wavelet transform (scales j1 along rows,
    j2 along columns, independent), and the anisotropy of their exponents."""
    w = get_wavelet(wavelet)
    lo = np.asarray(w.dec_lo) / math.sqrt(2.0)
    hi = np.asarray(w.dec_hi) / math.sqrt(2.0)
    along_cols = _dwt_levels_1d(x, lo, hi, axis=1)
    grid = np.array(
        [
            [np.log2(np.mean(np.abs(d2))) for d2 in _dwt_levels_1d(d1, lo, hi, 0)]
            for d1 in along_cols
        ]
    )  # (j along columns, j along rows)
    parts = [grid.ravel()]
    if min(grid.shape) >= 2:
        # scaling along each axis with the other scale fixed at its finest: anisotropic exponents
        parts.append(np.array([_slope(grid[:, 0]), _slope(grid[0, :])]))
    return np.concatenate(parts)


@functools.lru_cache(maxsize=8)
def _oriented_filters(shape: tuple[int, ...], n_orient: int) -> tuple[np.ndarray, np.ndarray]:
    """Squared gains (n_freq, n_scales * n_orient) of one-octave oriented band-pass
    filters on the rfft grid of ``shape``, and the Hann window applied first.

    Radial: raised-cosine in log2 frequency centred on 1/4, 1/8, ... cycles per
    pixel (down to two periods per image); angular: cos^2 of orientation
    differences with ``n_orient`` filters over [0, pi), which sum to a constant.
    """
    grids = frequency_grids(shape, real=True)
    radius = np.sqrt(sum(g**2 for g in grids))
    n_scales = max(1, int(np.floor(np.log2(min(shape) / 8))))  # lowest centre: 2 periods
    logr = np.log2(np.where(radius > 0, radius, 1e-12))
    gains = []
    for s in range(n_scales):
        dist = logr - (-2.0 - s)  # centre at 2**-(2+s) cycles/pixel
        radial = np.where(np.abs(dist) < 1, np.cos(np.pi * dist / 2) ** 2, 0.0)
        if len(shape) == 1:
            gains.append(radial)
            continue
        angle = np.arctan2(grids[0], grids[1])
        for o in range(n_orient):
            theta = np.pi * o / n_orient
            # cos^(2(n-1)) in the orientation difference (mod pi): even, sums to a constant
            ang = np.abs(np.cos(angle - theta)) ** (2 * (n_orient // 2))
            gains.append(radial * ang)
    gains = np.stack([g.ravel() ** 2 for g in gains], axis=1)
    # rfft holds the non-redundant half: weight the mirrored columns twice
    return gains * rfft_weights(shape).ravel()[:, None], hann(shape)


def _oriented_features(batch: np.ndarray, n_orient: int = 8) -> np.ndarray:
    """log2 energies of oriented one-octave bands (batch, n_scales * n_orient) and the
    per-orientation exponents; Parseval turns the filter bank into one matmul."""
    shape = batch.shape[1:]
    gains, window = _oriented_filters(shape, n_orient)
    spec = np.fft.rfftn(batch * window, axes=tuple(range(1, batch.ndim)))
    power = (spec.real**2 + spec.imag**2).reshape(batch.shape[0], -1)
    logE = np.log2(power @ gains / window.size + 1e-300)
    if batch.ndim == 2:
        parts = [logE]
        if logE.shape[1] >= 2:
            parts.append(_slope(logE[:, ::-1])[:, None])
        return np.concatenate(parts, axis=1)
    n_scales = logE.shape[1] // n_orient
    per = logE.reshape(-1, n_scales, n_orient)
    parts = [logE]
    if n_scales >= 2:
        # coarse to fine order: the exponent of each orientation, in log2 energy per octave
        parts.append(_slope(np.moveaxis(per[:, ::-1, :], 1, 2)))
    return np.concatenate(parts, axis=1)


def _wavelet_batch(batch: np.ndarray, wavelet: str) -> np.ndarray:
    rows = []
    for x in batch:
        parts = [_dwt_features(x, wavelet)]
        if x.ndim == 2:
            parts.append(_hyperbolic_features(x, wavelet))
        rows.append(np.concatenate(parts))
    return np.concatenate([np.asarray(rows), _oriented_features(batch)], axis=1)


# --------------------------------------------------------------------------
# Hyperbolic, isotropic and orientation features (photographic papers)
# --------------------------------------------------------------------------

#: Fewest detail coefficients per axis at the coarsest scale of the ``"hyperbolic"`` and
#: ``"isotropic"`` kinds (8, then 3, when the items are too small for 2 scales with 16):
#: coarser scales hold so few coefficients that their energies are mostly noise.
MIN_COEFS_FEATURES = 16
#: Fewest coefficients of a scale (or pair of scales) whose flatness is a feature: below,
#: the estimate of the ratio of moments is too noisy to be worth a dimension.
MIN_COEFS_FLATNESS = 4096


def _feature_levels(n: int, wavelet: str) -> int:
    """Largest scale with >= MIN_COEFS_FEATURES coefficients (then 8, then 3), >= 2."""
    n_taps = len(get_wavelet(wavelet).dec_lo)
    for min_coefs in (MIN_COEFS_FEATURES, 8, 3):
        j = 0
        while n_details(n, n_taps, j + 1) >= min_coefs:
            j += 1
        if j >= 2:
            return j
    raise ValueError(
        f"items of {n} samples along an axis are too small for 2 wavelet scales with "
        f"{wavelet!r}; use patches of at least 32 pixels (or a shorter wavelet)."
    )


def _log_moments(d: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """log2 mean d^2 (energy) and log2 mean |d| - log2 mean d^2 / 2 (flatness) over ``axes``."""
    tiny = np.finfo(float).tiny
    s2 = np.log2(np.mean(d**2, axis=axes) + tiny)
    s1 = np.log2(np.mean(np.abs(d), axis=axes) + tiny)
    return s2, s1 - 0.5 * s2


def _plane_exponents(grid: np.ndarray) -> np.ndarray:
    """Least-squares plane ``c + z1 j1 + z2 j2`` through (batch, J1, J2) log2 energies:
    (batch, 3) with z1, z2 and the anisotropy z1 - z2 (log2 energy per octave)."""
    n1, n2 = grid.shape[1:]
    j1, j2 = np.meshgrid(np.arange(1, n1 + 1), np.arange(1, n2 + 1), indexing="ij")
    A = np.column_stack([np.ones(j1.size), j1.ravel(), j2.ravel()]).astype(float)
    coef = np.linalg.lstsq(A, grid.reshape(grid.shape[0], -1).T, rcond=None)[0]
    z1, z2 = coef[1], coef[2]
    return np.column_stack([z1, z2, z1 - z2])


def _hyperbolic_batch(batch: np.ndarray, wavelet: str) -> np.ndarray:
    """Hyperbolic wavelet features of a (B, H, W) batch (or (B, T) signals).

    For every pair of scales (j1 along rows, j2 along columns, down to
    :data:`MIN_COEFS_FEATURES` coefficients per axis): the log2 energy
    ``log2 mean d(j1, j2)^2`` (a structure function of order 2); the
    exponents of the energies along j1 for each j2 and along j2 for each
    j1; the exponents of the plane fitted over all pairs (one per
    direction) and their difference (anisotropy); then, for the pairs with
    at least :data:`MIN_COEFS_FLATNESS` coefficients, the flatness ``log2
    mean |d| - log2 mean d^2 / 2`` (order 1 against 2: the sparsity of the
    coefficients, -0.33 for a Gaussian field).
    """
    if batch.ndim == 2:  # signals: the hyperbolic transform is the 1D one
        return _isotropic_batch(batch, wavelet)
    levels = (_feature_levels(batch.shape[1], wavelet), _feature_levels(batch.shape[2], wavelet))
    d = hyperbolic_details(batch, ((1,), (2,)), wavelet_name=wavelet, levels=levels)
    n_b = batch.shape[0]
    s2 = np.empty((n_b, *levels))
    flat = []
    for (j1, j2), dj in sorted(d.items()):
        s2[:, j1 - 1, j2 - 1], f = _log_moments(dj, (1, 2, 3, 4))
        if dj.shape[1] * dj.shape[2] >= MIN_COEFS_FLATNESS:
            flat.append(f)
    along_rows = _slope(np.moveaxis(s2, 1, 2))  # (B, J2): exponent along j1 for each j2
    along_cols = _slope(s2)  # (B, J1): exponent along j2 for each j1
    parts = [s2.reshape(n_b, -1), along_rows, along_cols, _plane_exponents(s2)]
    if flat:
        parts.append(np.stack(flat, axis=1))
    return np.concatenate(parts, axis=1)


def _isotropic_batch(batch: np.ndarray, wavelet: str) -> np.ndarray:
    """Isotropic wavelet features of a (B, H, W) batch (or (B, T) signals): per scale,
    the log2 energy of the details pooled over the three orientations and its
    exponent; the flatness of the scales with at least :data:`MIN_COEFS_FLATNESS`
    coefficients. Blind to orientation (a transposition leaves them unchanged)."""
    groups = ((1,),) if batch.ndim == 2 else ((1, 2),)
    J = min(_feature_levels(n, wavelet) for n in batch.shape[1:])
    d = hyperbolic_details(batch, groups, wavelet_name=wavelet, levels=J)
    axes = tuple(range(1, d[(1,)].ndim))
    s2, flat = [], []
    for j in range(1, J + 1):
        e, f = _log_moments(d[(j,)], axes)
        s2.append(e)
        if d[(j,)][0].size >= MIN_COEFS_FLATNESS:
            flat.append(f)
    s2 = np.stack(s2, axis=1)
    parts = [s2, _slope(s2)[:, None]]
    if flat:
        parts.append(np.stack(flat, axis=1))
    return np.concatenate(parts, axis=1)


#: Scales (pixels; decimation factors) of the ``"orientation"`` kind.
ORIENTATION_SCALES = (1, 2, 4, 8)


def _orientation_batch(batch: np.ndarray) -> np.ndarray:
    """Structure-tensor orientation statistics of a (B, H, W) batch.

    At each scale ``s`` of :data:`ORIENTATION_SCALES`, gradients by Gaussian
    derivatives of width ``s`` (FFT, on the image decimated by ``s``) give
    the tensor ``T = [gx^2, gx gy; gx gy, gy^2]``.
    Features per scale: the global orientation vector ``((Txx - Tyy), 2 Txy) /
    (Txx + Tyy)`` (Hann-weighted means; length = global coherence, angle =
    twice the direction of steepest variation, so fibres along the columns
    axis give (-c, 0)), and the mean local coherence (tensor smoothed over
    ``4 s``), which stays high for aligned fibres whose direction wanders
    across the image. Written here (rather than with scikit-image's
    ``structure_tensor``) to share one FFT per image across scales and batch.
    """
    if batch.ndim != 3:
        raise ValueError(
            "`kind`='orientation' needs images (N, H, W); signals have no orientation."
        )
    shape = batch.shape[1:]
    if min(shape) < 32:
        raise ValueError(
            f"images of shape {shape} are too small for orientation features (at least 32 "
            "pixels per side)."
        )
    spec = np.fft.rfft2(batch)
    feats = []
    for s in ORIENTATION_SCALES:
        # scale s: the spectrum cropped to 1/s of the band (exact decimation by s), then
        # Gaussian derivatives of one pixel of the decimated grid
        m0, m1 = 2 * (shape[0] // (2 * int(s))), 2 * (shape[1] // (2 * int(s)))
        rows = np.r_[0 : m0 // 2, shape[0] - m0 // 2 : shape[0]]
        sub = spec[:, rows, : m1 // 2 + 1] * (m0 * m1 / (shape[0] * shape[1]))
        f_rows, f_cols = frequency_grids((m0, m1), real=True)
        r2 = f_rows**2 + f_cols**2
        blur = np.exp(-2 * np.pi**2 * r2)
        gy = np.fft.irfft2(sub * (2j * np.pi * f_rows * blur), s=(m0, m1))
        gx = np.fft.irfft2(sub * (2j * np.pi * f_cols * blur), s=(m0, m1))
        window = hann((m0, m1))
        wsum = window.sum()
        comps = [gx * gx, gy * gy, gx * gy]
        txx, tyy, txy = (np.einsum("bij,ij->b", c, window) / wsum for c in comps)
        total = txx + tyy + 1e-300
        smooth = np.exp(-2 * np.pi**2 * 16 * r2)  # local tensors over 4 pixels
        lxx, lyy, lxy = (np.fft.irfft2(np.fft.rfft2(c) * smooth, s=(m0, m1)) for c in comps)
        local = np.sqrt((lxx - lyy) ** 2 + 4 * lxy**2) / (lxx + lyy + 1e-12 * total[:, None, None])
        coherence = np.einsum("bij,ij->b", local, window) / wsum
        feats += [(txx - tyy) / total, 2 * txy / total, coherence]
    return np.stack(feats, axis=1)


# --------------------------------------------------------------------------
# Leader and deep features
# --------------------------------------------------------------------------


def _leaders_batch(batch: np.ndarray, wavelet: str, gamint: float) -> np.ndarray:
    from .multiscale import log_cumulants, max_scale

    j2 = max_scale(min(batch.shape[1:]), wavelet=wavelet, dim=batch.ndim - 1)
    if j2 < 2:
        raise ValueError(
            f"images of shape {batch.shape[1:]} are too small for leader features with "
            f"{wavelet!r}; use patches of at least 32 pixels (signals of 128 samples)."
        )
    rows = []
    for x in batch:
        lc = log_cumulants(x, scales=(1, j2), wavelet=wavelet, n_boot=0, gamint=gamint)
        rows.append(np.concatenate([lc.C.ravel(), lc.cumulants]))
    return np.asarray(rows)


@functools.lru_cache(maxsize=4)
def _network(dim: int, size: int, n_filters: int, seed: int):
    from .networks import RandomMultiscaleNet

    n_scales = 5
    while n_scales > 1 and (5 + 2) * 2 ** (n_scales - 1) > size:
        n_scales -= 1
    return RandomMultiscaleNet(1, dim=dim, n_scales=n_scales, n_filters=n_filters, seed=seed)


def _gram_batch(batch: np.ndarray, n_filters: int, seed: int) -> np.ndarray:
    import torch

    from .networks import gram_matrix

    dim = batch.ndim - 1
    if min(batch.shape[1:]) < 7:
        raise ValueError(
            f"images of shape {batch.shape[1:]} are too small for the random network "
            "(at least 7 samples per side)."
        )
    net = _network(dim, min(batch.shape[1:]), n_filters, seed)
    iu = np.triu_indices(net.n_filters)
    with torch.no_grad():
        x = torch.from_numpy(batch).float().unsqueeze(1)
        grams = [gram_matrix(f).numpy()[:, iu[0], iu[1]] for f in net(x)]
    return np.concatenate(grams, axis=1).astype(np.float64)


def features(
    images,
    kind: str | Sequence[str] = "wavelet",
    *,
    batch_size: int = 64,
    wavelet: str = "db3",
    gamint: float = 1.5,
    n_filters: int = 16,
    dim: int | None = None,
    seed: int | np.random.Generator = 0,
    progress: bool = True,
) -> np.ndarray:
    """Texture features of a stack of images (or 1D signals), one row per item.

    Every item is first standardised (zero mean, unit variance), so features
    ignore the grey-level offset and the contrast.

    Parameters
    ----------
    images : array_like, shape (N, H, W), (N, T), (H, W) or (T,)
        Equally sized grayscale images (pixels) or signals (samples), as a
        stack or a list; a list of arrays of different sizes is refused (cut
        patches first). A 2D array is ambiguous (N signals or one image):
        ``dim`` says which, and without it a 2D array raises a ValueError.
        One image ``(H, W)`` with ``dim=2`` or one signal ``(T,)`` gives one row.
    kind : str or a sequence of str
        One of :data:`ALL_KINDS`: ``"wavelet"``, ``"leaders"``, ``"gram"``
        (:data:`FEATURE_KINDS`), ``"hyperbolic"``, ``"isotropic"``,
        ``"orientation"`` (:data:`ANISOTROPY_KINDS`, the last one for images
        only); see the module docstring. A sequence concatenates the kinds.
    batch_size : int, default 64
        Items per batch (memory of the ``"gram"`` network and the FFTs).
    wavelet : str, default "db3"
        Orthogonal PyWavelets wavelet of the ``"wavelet"`` and ``"leaders"`` kinds.
    gamint : float, default 1.5
        Fractional integration of the leaders (the same for every item, so
        features stay comparable; 1.5 keeps leaders valid down to pixel noise,
        whose minimal regularity is -1 in 2D).
    n_filters : int, default 16
        Random filters per scale of the ``"gram"`` network (features:
        ``n_filters (n_filters + 1) / 2`` per scale).
    dim : {1, 2}, optional
        Sampled dimensions of one item: 1 for signals, 2 for images. Default:
        2 for a 3D array or a list of 2D arrays, 1 for a 1D array or a list of
        1D arrays; required for a 2D array (``dim=1``: rows are N signals
        ``(N, T)``; ``dim=2``: one image ``(H, W)``).
    seed : int, default 0
        Seed of the random network (the same seed gives the same features).
    progress : bool, default True
        tqdm bar over the batches.

    Returns
    -------
    ndarray, shape (N, D), float64
        Raw features (log2 energies, exponents, cumulants, Gram entries);
        standardise them before computing distances (the distance functions
        do it by default).

    Raises
    ------
    ValueError
        Mixed sizes, NaN/inf or constant items (the message gives the index),
        unknown kind, items too small for the analysis.

    Examples
    --------
    >>> from textures_nb.data import demo_database
    >>> from textures_nb.similarity import features
    >>> db = demo_database(n_per_class=4, patch=64, classes=["brick", "grass"])
    >>> features(db.images, "wavelet", progress=False).shape
    (8, 85)
    >>> features(db.images, ["hyperbolic", "isotropic"], progress=False).shape
    (8, 14)
    >>> features(db.images[0], dim=2, progress=False).shape   # one image: one row
    (1, 85)
    """
    kinds = [kind] if isinstance(kind, str) else list(kind)
    bad = [k for k in kinds if k not in ALL_KINDS]
    if bad or not kinds:
        raise ValueError(f"`kind` must be one of {ALL_KINDS} or a list of them, got {kind!r}.")
    arr = standardize_patches(_check_images(_as_stack(images, dim)))
    seed = _int_seed(seed)
    batch_size = check_positive_int(batch_size, "batch_size")
    n_filters = check_positive_int(n_filters, "n_filters")
    compute = {
        "wavelet": lambda b: _wavelet_batch(b, wavelet),
        "leaders": lambda b: _leaders_batch(b, wavelet, gamint),
        "gram": lambda b: _gram_batch(b, n_filters, seed),
        "hyperbolic": lambda b: _hyperbolic_batch(b, wavelet),
        "isotropic": lambda b: _isotropic_batch(b, wavelet),
        "orientation": _orientation_batch,
    }
    out = []
    starts = range(0, arr.shape[0], batch_size)
    bar = tqdm(total=arr.shape[0] * len(kinds), desc="features", disable=not progress)
    for k in kinds:
        rows = []
        for s in starts:
            rows.append(compute[k](arr[s : s + batch_size]))
            bar.update(min(batch_size, arr.shape[0] - s))
        out.append(np.concatenate(rows))
    bar.close()
    return np.concatenate(out, axis=1)


# --------------------------------------------------------------------------
# Dissimilarities and nearest neighbours
# --------------------------------------------------------------------------


def standardize_features(F, reference=None) -> np.ndarray:
    """z-score the columns of ``F`` with the mean and std of ``reference``.

    Distances between raw features would be dominated by the few columns with
    the largest range (e.g. Gram entries against exponents); z-scoring gives
    every feature the same weight. Queries must be scaled with the database's
    statistics, hence ``reference``. Constant columns are only centred.

    Parameters
    ----------
    F : array_like, shape (N, D)
    reference : array_like, shape (M, D), optional
        Default ``F`` itself.

    Returns
    -------
    ndarray, shape (N, D)

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.similarity import standardize_features
    >>> Z = standardize_features(np.array([[1.0, 10.0], [3.0, 30.0]]))
    >>> Z.tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    """
    F = _check_features(F)
    ref = F if reference is None else _check_features(reference, "reference")
    if ref.shape[1] != F.shape[1]:
        raise ValueError(
            f"`reference` has {ref.shape[1]} features but `F` has {F.shape[1]}; compute both "
            "with the same kind."
        )
    mean = ref.mean(axis=0)
    std = ref.std(axis=0)
    return (F - mean) / np.where(std > 1e-12 * (np.abs(mean) + 1), std, 1.0)


def _prepare(F, query, metric: str, standardize: bool):
    F = _check_features(F)
    Q = None if query is None else _check_features(query, "query")
    if Q is not None and Q.shape[1] != F.shape[1]:
        raise ValueError(
            f"`query` has {Q.shape[1]} features but `F` has {F.shape[1]}; compute both with "
            "the same kind and options."
        )
    if standardize:
        Q = None if Q is None else standardize_features(Q, F)
        F = standardize_features(F)
    if metric == "cosine":
        F = _unit_rows(F, "F")
        Q = None if Q is None else _unit_rows(Q, "query")
    return F, Q


def _refuse_zero_rows(norm: np.ndarray, name: str) -> None:
    """ValueError naming the first zero of the row norms ``norm`` (N,) of ``name``."""
    if np.any(norm == 0):
        bad = int(np.flatnonzero(norm == 0)[0])
        raise ValueError(
            f"`{name}` row {bad} is all zeros: its cosine distance is undefined; use "
            "metric='euclidean'."
        )


def _unit_rows(F: np.ndarray, name: str) -> np.ndarray:
    norm = np.linalg.norm(F, axis=1, keepdims=True)
    _refuse_zero_rows(norm[:, 0], name)
    return F / norm


def _block(Q: np.ndarray, F: np.ndarray, f_sq: np.ndarray, metric: str) -> np.ndarray:
    """Distances between rows of ``Q`` and ``F`` (pre-normalised for the cosine)."""
    prod = Q @ F.T
    if metric == "cosine":
        return np.maximum(1.0 - prod, 0.0)
    sq = (Q**2).sum(axis=1)[:, None] + f_sq[None, :] - 2.0 * prod
    return np.sqrt(np.maximum(sq, 0.0))


def _scores(Q: np.ndarray, F: np.ndarray, f_sq: np.ndarray, metric: str) -> np.ndarray:
    """Increasing functions of the distances, cheap to rank, in the inputs' dtype.

    Euclidean: ``|f|^2 - 2 q.f`` (``f_sq`` holds ``|f|^2``; the query's own
    ``|q|^2`` does not change its ranking). Cosine: ``-q.f / |f|`` for unit
    queries (``f_sq`` holds ``1 / |f|``), so the database needs no unit copy.
    """
    prod = Q @ F.T
    if metric == "cosine":
        prod *= -f_sq[None, :]
        return prod
    prod *= -2.0
    prod += f_sq[None, :]
    return prod


def dissimilarity(
    F, *, metric: str = "euclidean", standardize: bool = True, chunk: int = 1024
) -> np.ndarray:
    """Full pairwise dissimilarity matrix of feature vectors.

    Parameters
    ----------
    F : array_like, shape (N, D)
        Features (:func:`features`); a NaN row raises an error naming it.
    metric : {"euclidean", "cosine"}, default "euclidean"
        ``cosine`` is ``1 - cos(angle)``, in [0, 2].
    standardize : bool, default True
        z-score the columns first (:func:`standardize_features`).
    chunk : int, default 1024
        Rows per block.

    Returns
    -------
    ndarray, shape (N, N)
        Symmetric, zero diagonal. Use :func:`nearest` when only the closest
        items are needed: it never holds N x N values.

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.similarity import dissimilarity
    >>> dissimilarity(np.eye(3), standardize=False).round(2)[0]
    array([0.  , 1.41, 1.41])
    """
    _check_metric(metric)
    chunk = check_positive_int(chunk, "chunk")
    X, _ = _prepare(F, None, metric, standardize)
    x_sq = (X**2).sum(axis=1)
    D = np.empty((X.shape[0], X.shape[0]))
    for s in range(0, X.shape[0], chunk):
        D[s : s + chunk] = _block(X[s : s + chunk], X, x_sq, metric)
    D = 0.5 * (D + D.T)  # rounding makes the two triangles differ by ~1e-15
    np.fill_diagonal(D, 0.0)
    return D


#: Database size above which ``nearest(..., approximate=None)`` switches to an
#: approximate faiss index (when faiss is installed).
APPROXIMATE_ABOVE = 1_000_000
BACKENDS = ("auto", "faiss", "numpy")
_FINITE_ROWS = 8192  # rows per finiteness check: a boolean copy of this many rows at most


def _faiss_module():
    """The ``faiss`` module, or None when faiss-cpu is not installed."""
    try:
        import faiss
    except ImportError:
        return None
    return faiss


def _check_native(F, name: str) -> np.ndarray:
    """(N, D) finite float32 or float64 features, without a copy when they already are."""
    arr = F if isinstance(F, np.ndarray) else None
    if arr is None or arr.dtype not in (np.float32, np.float64) or arr.ndim != 2 or not arr.size:
        return _check_features(F, name)  # other dtypes and layouts: float64, checked
    for s in range(0, arr.shape[0], _FINITE_ROWS):
        finite = np.isfinite(arr[s : s + _FINITE_ROWS]).all(axis=1)
        if not finite.all():
            bad = s + int(np.flatnonzero(~finite)[0])
            n_bad = int(arr.shape[0] - np.isfinite(arr).all(axis=1).sum()) - 1
            raise ValueError(
                f"`{name}` row {bad} (item {bad}, and {n_bad} other row(s)) holds NaN or "
                "infinite features; recompute the features of that item or drop it."
            )
    return arr


def _prepare_native(F, query, standardize: bool):
    """Database and queries in their own float dtype; a copy only to standardise."""
    X = _check_native(F, "F")
    Q = None if query is None else _check_native(query, "query")
    if Q is not None and Q.shape[1] != X.shape[1]:
        raise ValueError(
            f"`query` has {Q.shape[1]} features but `F` has {X.shape[1]}; compute both with "
            "the same kind and options."
        )
    if standardize:
        dtype = X.dtype
        mean = X.mean(axis=0, dtype=np.float64)
        std = X.std(axis=0, dtype=np.float64)
        scale = np.where(std > 1e-12 * (np.abs(mean) + 1), std, 1.0)
        Q = None if Q is None else ((Q - mean) / scale).astype(dtype, copy=False)
        X = ((X - mean) / scale).astype(dtype, copy=False)
    return X, Q


def _row_norms(X: np.ndarray, name: str) -> np.ndarray:
    norm = np.sqrt(np.einsum("ij,ij->i", X, X, dtype=np.float64))
    _refuse_zero_rows(norm, name)
    return norm


def nearest(
    F,
    k: int = 10,
    query=None,
    *,
    metric: str = "euclidean",
    standardize: bool = True,
    backend: str = "auto",
    approximate: bool | None = None,
    chunk: int = 256,
    db_chunk: int = 8192,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest neighbours of each query: exact by default, float32 kept as is.

    Candidates are searched in the features' own precision (float32 stays
    float32, no copy of the database unless it is standardised or the
    cosine needs unit rows), with faiss-cpu when it is installed and NumPy
    blocks otherwise; the candidates (``k`` plus a margin) are then ranked
    again with distances computed in float64, so that the exact paths return
    the same neighbours and distances as scikit-learn's brute force.

    Parameters
    ----------
    F : array_like, shape (N, D)
        Database features. A C-contiguous float32 array is used without a
        copy (with ``standardize=False``); other dtypes become float64.
    k : int, default 10
        Neighbours per query (``k <= N``, ``k <= N - 1`` without ``query``).
    query : array_like, shape (Q, D), optional
        Query features. Default: every database item is a query and is
        excluded from its own neighbours.
    metric : {"euclidean", "cosine"}
    standardize : bool, default True
        z-score the columns with the database's statistics (queries too);
        this makes one copy of ``F`` in its dtype.
    backend : {"auto", "faiss", "numpy"}, default "auto"
        ``"faiss"``: faiss-cpu's exact brute-force search (``faiss.knn``,
        the search of ``IndexFlatL2`` / ``IndexFlatIP`` without building an
        index, so without copying the database); ``"numpy"``: blocks of
        ``chunk x db_chunk`` scores with NumPy's BLAS; ``"auto"``: faiss when
        it is importable, else NumPy.
    approximate : bool or None, default None
        Use an approximate inverted-file index (faiss ``IndexIVFFlat``,
        ``4 sqrt(N)`` lists, 1/32 of them probed; it copies the database):
        much faster on large databases, but a true neighbour can be missed
        (recall about 0.95-0.99 on random vectors). None: approximate only
        when faiss is installed and ``N`` exceeds :data:`APPROXIMATE_ABOVE`
        (one million), with a warning; False: always exact.
    chunk, db_chunk : int, default 256 and 8192
        NumPy backend: queries and database items per block. Working memory
        is about ``chunk * db_chunk`` scores in the features' dtype (8 MB in
        float32 by default; the first block also holds as many int64
        positions), whatever ``N``.
    progress : bool, default True
        tqdm bar over the blocks of queries.

    Returns
    -------
    indices : ndarray of int64, shape (Q, k)
        Database rows of the neighbours, closest first (ties: lower index first).
    distances : ndarray of float64, shape (Q, k)

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.similarity import nearest
    >>> F = np.array([[0.0], [1.0], [3.0]])
    >>> nearest(F, k=1, standardize=False, progress=False)[0].ravel()
    array([1, 0, 1])
    """
    _check_metric(metric)
    if backend not in BACKENDS:
        raise ValueError(f"`backend` must be one of {BACKENDS}, got {backend!r}.")
    if approximate not in (None, True, False):
        raise TypeError(f"`approximate` must be None, True or False, got {approximate!r}.")
    X, Q = _prepare_native(F, query, standardize)
    n = X.shape[0]
    self_query = Q is None
    Q = X if self_query else Q
    k = check_positive_int(k, "k")
    if k > n - int(self_query):
        raise ValueError(
            f"`k`={k} exceeds the {n - int(self_query)} database items available per query; "
            f"use k <= {n - int(self_query)}."
        )
    chunk = check_positive_int(chunk, "chunk")
    db_chunk = check_positive_int(db_chunk, "db_chunk")
    faiss = _faiss_module() if backend != "numpy" else None
    if backend == "faiss" and faiss is None:
        raise ValueError(
            "`backend`='faiss' but faiss is not installed: `pip install faiss-cpu`, or use "
            "backend='auto' (NumPy fallback)."
        )
    if approximate and faiss is None:
        raise ValueError(
            "`approximate`=True needs faiss (`pip install faiss-cpu`) and backend 'auto' or "
            "'faiss'; the NumPy backend is exact only."
        )
    if approximate is None:
        approximate = faiss is not None and n > APPROXIMATE_ABOVE
        if approximate:
            warnings.warn(
                f"nearest: {n} database items > {APPROXIMATE_ABOVE}: using an approximate "
                "faiss IVF index (a true neighbour can be missed); pass approximate=False "
                "for the exact search.",
                UserWarning,
                stacklevel=2,
            )
    x_norm = _row_norms(X, "F") if metric == "cosine" else None
    q_norm = x_norm if self_query else (_row_norms(Q, "query") if x_norm is not None else None)
    # candidates beyond k: the float32 ranking may swap near-ties that float64 orders
    n_cand = min(n, k + int(self_query) + max(8, k))
    if faiss is not None:
        cand = _faiss_candidates(faiss, X, Q, x_norm, q_norm, n_cand, metric, approximate, progress)
    else:
        cand = _numpy_candidates(X, Q, x_norm, q_norm, n_cand, metric, chunk, db_chunk, progress)
    return _rerank(X, Q, x_norm, q_norm, cand, k, metric, self_query, chunk)


def _numpy_candidates(X, Q, x_norm, q_norm, n_cand, metric, chunk, db_chunk, progress):
    """Indices of the ``n_cand`` best scores of each query, by blocks, in the data's dtype.

    The first block of the database gives each query its candidates and a
    threshold (its worst candidate); later blocks only compare their scores
    with the thresholds, and the few that beat them are merged in: no
    partition of whole blocks, so the matrix products dominate.
    """
    n, n_q = X.shape[0], Q.shape[0]
    db_chunk = max(db_chunk, n_cand)
    x_sq = (
        np.einsum("ij,ij->i", X, X)
        if metric == "euclidean"
        else (1.0 / x_norm).astype(X.dtype)  # cosine: -q.f / |f| ranks like 1 - cos
    )
    cand = np.empty((n_q, n_cand), dtype=np.int64)
    for s in tqdm(range(0, n_q, chunk), desc="nearest", disable=not progress, leave=False):
        q = Q[s : s + chunk]
        if metric == "cosine":
            q = (q / q_norm[s : s + chunk, None]).astype(X.dtype, copy=False)
        m = q.shape[0]
        d = _scores(q, X[:db_chunk], x_sq[:db_chunk], metric)
        part = np.argpartition(d, n_cand - 1, axis=1)[:, :n_cand]
        best_d, best_i = np.take_along_axis(d, part, axis=1), part
        owner = np.repeat(np.arange(m), n_cand)
        for t in range(db_chunk, n, db_chunk):
            d = _scores(q, X[t : t + db_chunk], x_sq[t : t + db_chunk], metric)
            rows, cols = np.nonzero(d < best_d.max(axis=1)[:, None])
            if not rows.size:
                continue
            all_r = np.concatenate([owner, rows])
            all_d = np.concatenate([best_d.ravel(), d[rows, cols]])
            all_i = np.concatenate([best_i.ravel(), cols + t])
            order = np.lexsort((all_i, all_d, all_r))  # by query, then score, then index
            first = np.searchsorted(all_r[order], np.arange(m))
            rank = np.arange(order.size) - first[all_r[order]]
            keep = order[rank < n_cand]  # every query keeps exactly n_cand, in query order
            best_d = all_d[keep].reshape(m, n_cand)
            best_i = all_i[keep].reshape(m, n_cand)
        cand[s : s + chunk] = best_i
    return cand


def _faiss_candidates(faiss, X, Q, x_norm, q_norm, n_cand, metric, approximate, progress):
    """Indices of the ``n_cand`` best matches of each query with faiss (float32)."""
    xb = np.ascontiguousarray(X, dtype=np.float32)  # no copy for C-contiguous float32
    xq = xb if Q is X else np.ascontiguousarray(Q, dtype=np.float32)
    if metric == "cosine":  # unit rows: the inner product ranks like the cosine
        xb = (xb / x_norm[:, None]).astype(np.float32)
        xq = xb if Q is X else (xq / q_norm[:, None]).astype(np.float32)
    kind = faiss.METRIC_L2 if metric == "euclidean" else faiss.METRIC_INNER_PRODUCT
    index = _ivf_index(faiss, xb, kind) if approximate else None
    cand = np.empty((xq.shape[0], n_cand), dtype=np.int64)
    step = 4096
    for s in tqdm(range(0, xq.shape[0], step), desc="nearest", disable=not progress, leave=False):
        block = xq[s : s + step]
        if index is None:
            _, found = faiss.knn(block, xb, n_cand, metric=kind)
        else:
            _, found = index.search(block, n_cand)
        cand[s : s + step] = found
    return cand


def _ivf_index(faiss, xb: np.ndarray, kind):
    """Inverted-file index, ``4 sqrt(N)`` lists trained on a fixed sample, 1/32 probed."""
    n, dim = xb.shape
    n_list = max(1, int(4 * math.sqrt(n)))
    quantizer = faiss.IndexFlat(dim, kind)
    index = faiss.IndexIVFFlat(quantizer, dim, n_list, kind)
    sample = np.random.default_rng(0).choice(n, size=min(n, 64 * n_list), replace=False)
    index.train(xb[np.sort(sample)])
    index.add(xb)
    index.nprobe = max(1, n_list // 32)
    return index


def _rerank(X, Q, x_norm, q_norm, cand, k, metric, self_query, chunk):
    """The k best candidates by float64 distances; ties by lower index."""
    n_q = Q.shape[0]
    indices = np.empty((n_q, k), dtype=np.int64)
    distances = np.empty((n_q, k))
    for s in range(0, n_q, chunk):
        c = cand[s : s + chunk]
        valid = c >= 0  # an approximate index may return fewer candidates (-1)
        safe = np.where(valid, c, 0)
        q = Q[s : s + chunk].astype(np.float64)
        f = X[safe].astype(np.float64)  # (chunk, n_cand, D)
        if metric == "euclidean":
            d = np.sqrt(np.einsum("qcd,qcd->qc", f - q[:, None, :], f - q[:, None, :]))
        else:
            cos = np.einsum("qcd,qd->qc", f, q) / (x_norm[safe] * q_norm[s : s + chunk, None])
            d = np.maximum(1.0 - cos, 0.0)
        d[~valid] = np.inf
        if self_query:
            d[c == np.arange(s, s + c.shape[0])[:, None]] = np.inf
        order = np.lexsort((np.where(valid, c, np.iinfo(np.int64).max), d), axis=1)[:, :k]
        best = np.take_along_axis(d, order, axis=1)
        if not np.isfinite(best).all():
            raise RuntimeError(
                "nearest: the approximate index returned fewer than k candidates for some "
                "queries; pass approximate=False."
            )
        indices[s : s + chunk] = np.take_along_axis(c, order, axis=1)
        distances[s : s + chunk] = best
    return indices, distances


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------


def _retrieval_args(F, labels, query, query_labels):
    F = _check_features(F)
    labels = _check_labels(labels, F.shape[0], "labels")
    if (query is None) != (query_labels is None):
        raise ValueError("pass both `query` and `query_labels`, or neither.")
    if query is not None:
        query = _check_features(query, "query")
        query_labels = _check_labels(query_labels, query.shape[0], "query_labels")
    return F, labels, query, query_labels


def precision_at_k(
    F,
    labels,
    k: int = 5,
    *,
    query=None,
    query_labels=None,
    metric: str = "euclidean",
    standardize: bool = True,
    per_query: bool = False,
) -> float | np.ndarray:
    """Share of the ``k`` nearest database items that have the query's label.

    Parameters
    ----------
    F : array_like, shape (N, D)
        Database features.
    labels : array_like, shape (N,)
        Database labels.
    k : int, default 5
    query, query_labels : array_like, shapes (Q, D) and (Q,), optional
        Held-out queries; default: leave-one-out on the database.
    metric, standardize
        As in :func:`nearest`.
    per_query : bool, default False
        Return the precision of every query instead of the mean.

    Returns
    -------
    float or ndarray of shape (Q,)
        In [0, 1]; chance level is about the share of the query's class.

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.similarity import precision_at_k
    >>> F = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> precision_at_k(F, [0, 0, 1, 1], k=1)
    1.0
    """
    F, labels, query, query_labels = _retrieval_args(F, labels, query, query_labels)
    idx, _ = nearest(F, k, query, metric=metric, standardize=standardize, progress=False)
    truth = labels if query is None else query_labels
    hits = (labels[idx] == truth[:, None]).mean(axis=1)
    return hits if per_query else float(hits.mean())


def mean_average_precision(
    F,
    labels,
    *,
    query=None,
    query_labels=None,
    metric: str = "euclidean",
    standardize: bool = True,
    chunk: int = 256,
    per_query: bool = False,
) -> float | np.ndarray:
    """Mean average precision of the full ranking of the database for each query.

    The average precision of a query is the mean, over the database items of
    its class, of the precision at that item's rank (1 when all of them come
    first). Rankings are computed ``chunk`` queries at a time (memory
    ``chunk * N``).

    Parameters
    ----------
    F, labels, query, query_labels, metric, standardize
        As in :func:`precision_at_k`.
    chunk : int, default 256
    per_query : bool, default False

    Returns
    -------
    float or ndarray of shape (Q,)
        Queries whose class is absent from the database score 0.

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.similarity import mean_average_precision
    >>> F = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> mean_average_precision(F, ["a", "a", "b", "b"], standardize=False)
    1.0
    """
    F, labels, query, query_labels = _retrieval_args(F, labels, query, query_labels)
    _check_metric(metric)
    chunk = check_positive_int(chunk, "chunk")
    X, Q = _prepare(F, query, metric, standardize)
    self_query = Q is None
    Q, truth = (X, labels) if self_query else (Q, query_labels)
    x_sq = (X**2).sum(axis=1)
    ap = np.empty(Q.shape[0])
    for s in range(0, Q.shape[0], chunk):
        d = _block(Q[s : s + chunk], X, x_sq, metric)
        if self_query:
            d[np.arange(d.shape[0]), np.arange(s, s + d.shape[0])] = np.inf
        # rank by distance, ties by index (stable sort), self-match last
        order = np.argsort(d, axis=1, kind="stable")
        rel = labels[order] == truth[s : s + chunk, None]
        if self_query:
            rel[:, -1] = False
        hits = np.cumsum(rel, axis=1)
        ranks = np.arange(1, rel.shape[1] + 1)
        n_rel = rel.sum(axis=1)
        ap[s : s + chunk] = np.where(
            n_rel > 0, (rel * hits / ranks).sum(axis=1) / np.maximum(n_rel, 1), 0.0
        )
    return ap if per_query else float(ap.mean())


def cluster(
    F,
    n_clusters: int,
    *,
    method: str = "kmeans",
    standardize: bool = True,
    seed: int | np.random.Generator = 0,
) -> np.ndarray:
    """Cluster feature vectors with scikit-learn.

    Parameters
    ----------
    F : array_like, shape (N, D)
    n_clusters : int
        Number of clusters (e.g. the number of classes).
    method : {"kmeans", "agglomerative", "spectral"}, default "kmeans"
        k-means (10 restarts), Ward agglomerative clustering, or spectral
        clustering on a nearest-neighbour graph.
    standardize : bool, default True
        z-score the columns first.
    seed : int or numpy Generator, default 0

    Returns
    -------
    ndarray of int, shape (N,)
        Cluster index of each item.

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.similarity import cluster
    >>> F = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> labels = cluster(F, 2, seed=0)
    >>> bool(labels[0] == labels[1] != labels[2] == labels[3])
    True
    """
    from sklearn.cluster import AgglomerativeClustering, KMeans, SpectralClustering

    X = standardize_features(F) if standardize else _check_features(F)
    seed = _int_seed(seed)
    n_clusters = check_positive_int(n_clusters, "n_clusters")
    if n_clusters > X.shape[0]:
        raise ValueError(f"`n_clusters`={n_clusters} exceeds the {X.shape[0]} items.")
    if method == "kmeans":
        model = KMeans(n_clusters, n_init=10, random_state=seed)
    elif method == "agglomerative":
        model = AgglomerativeClustering(n_clusters, linkage="ward")
    elif method == "spectral":
        model = SpectralClustering(
            n_clusters,
            affinity="nearest_neighbors",
            n_neighbors=min(10, X.shape[0] - 1),
            random_state=seed,
        )
    else:
        raise ValueError(
            f"`method` must be 'kmeans', 'agglomerative' or 'spectral', got {method!r}."
        )
    return model.fit_predict(X).astype(int)


def clustering_scores(labels_true, labels_pred) -> dict[str, float]:
    """Adjusted Rand index and normalised mutual information of a clustering.

    Parameters
    ----------
    labels_true, labels_pred : array_like, shape (N,)

    Returns
    -------
    dict
        ``{"ARI": ..., "NMI": ...}``: 1 for a perfect clustering, about 0 for
        a random one (ARI can be slightly negative).

    Examples
    --------
    >>> from textures_nb.similarity import clustering_scores
    >>> scores = clustering_scores(["a", "a", "b", "b"], [1, 1, 0, 0])  # same partition
    >>> {name: round(value, 2) for name, value in scores.items()}
    {'ARI': 1.0, 'NMI': 1.0}
    """
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels_true = np.asarray(labels_true)
    labels_pred = _check_labels(labels_pred, labels_true.shape[0], "labels_pred")
    return {
        "ARI": float(adjusted_rand_score(labels_true, labels_pred)),
        "NMI": float(normalized_mutual_info_score(labels_true, labels_pred)),
    }


@dataclass
class FeatureComparison:
    """Retrieval and clustering scores of several feature kinds.

    Attributes
    ----------
    by_kind : pandas.DataFrame
        What :meth:`table` returns: one row per kind (dimension, seconds,
        precision@k, mAP, ARI, NMI).
    per_class : pandas.DataFrame
        precision@k of the held-out queries of each class (rows) per kind.
    features : dict
        kind -> (database features (N, D), query features (Q, D)).
    clusters : dict
        kind -> k-means cluster of each database item.
    k : int

    Examples
    --------
    >>> from textures_nb.data import demo_database
    >>> from textures_nb.similarity import compare_features
    >>> db = demo_database(n_per_class=4, patch=32, classes=["brick", "grass"])
    >>> train, queries = db.split(0.25, seed=0)
    >>> cmp = compare_features(train, queries, ("wavelet",), k=2, progress=False)
    >>> list(cmp.features), cmp.k
    (['wavelet'], 2)
    """

    by_kind: object = field(repr=False)
    per_class: object = field(repr=False)
    features: dict = field(repr=False)
    clusters: dict = field(repr=False)
    k: int = 5

    def __repr__(self) -> str:
        kinds = ", ".join(map(str, self.by_kind.index))
        return (
            f"FeatureComparison(kinds: {kinds[:150]}; best {self.best()!r}, "
            f"precision@{self.k} {self.by_kind[f'precision@{self.k}'].max():.3f})"
        )

    def table(self):
        """Scores per kind (pandas.DataFrame, one row per kind)."""
        return self.by_kind.copy()

    def best(self) -> str:
        """Kind with the highest precision@k."""
        return str(self.by_kind[f"precision@{self.k}"].idxmax())

    def plot(self):
        """Grouped bars: precision@k, mAP, ARI and NMI of each kind (plotly figure)."""
        import plotly.graph_objects as go

        scores = [f"precision@{self.k}", "mAP", "ARI", "NMI"]
        kinds = [str(i) for i in self.by_kind.index]
        fig = go.Figure(
            [
                go.Bar(
                    name=kind, x=scores, y=self.by_kind.loc[kind, scores].tolist(), marker_color=col
                )
                for kind, col in zip(self.by_kind.index, palette(len(kinds)), strict=True)
            ]
        )
        fig.update_layout(
            barmode="group",
            title="Retrieval (held-out queries) and clustering scores per feature kind",
            yaxis=dict(title="score (1 is perfect)", range=[0, 1.05]),
            height=380,
            autosize=True,
            legend=dict(orientation="h", yanchor="top", y=-0.15, x=0),
        )
        return fig


def compare_features(
    database: TextureDatabase,
    queries: TextureDatabase,
    kinds: Sequence[str | Sequence[str]] = FEATURE_KINDS,
    *,
    k: int = 5,
    metric: str = "euclidean",
    seed: int | np.random.Generator = 0,
    progress: bool = True,
    **feature_options,
) -> FeatureComparison:
    """Score feature kinds by retrieval of held-out queries and by clustering.

    Parameters
    ----------
    database, queries : TextureDatabase
        E.g. from :meth:`TextureDatabase.split` (queries from other groups).
    kinds : sequence
        Kinds of :func:`features`; an inner sequence is a concatenation,
        named ``"a+b"``.
    k : int, default 5
        Neighbours for precision@k.
    metric : {"euclidean", "cosine"}
    seed : int or numpy Generator, default 0
        Seed of the network features and of k-means.
    progress : bool, default True
    **feature_options
        Passed to :func:`features`.

    Returns
    -------
    FeatureComparison

    Examples
    --------
    >>> from textures_nb.data import demo_database
    >>> from textures_nb.similarity import compare_features
    >>> db = demo_database(n_per_class=4, patch=32, classes=["brick", "grass"])
    >>> train, queries = db.split(0.25, seed=0)
    >>> cmp = compare_features(train, queries, ("wavelet",), k=2, progress=False)
    >>> cmp.table().index.tolist()
    ['wavelet']
    """
    import pandas as pd

    seed = _int_seed(seed)

    rows, per_class, feats, clusters = {}, {}, {}, {}
    names = database.class_names
    for kind in kinds:
        name = kind if isinstance(kind, str) else "+".join(kind)
        t0 = time.perf_counter()
        both = features(
            np.concatenate([database.images, queries.images]),
            kind,
            seed=seed,
            progress=progress,
            **feature_options,
        )
        seconds = time.perf_counter() - t0
        F, Fq = both[: len(database)], both[len(database) :]
        hits = precision_at_k(
            F, database.labels, k, query=Fq, query_labels=queries.labels, metric=metric,
            per_query=True,
        )  # fmt: skip
        mAP = mean_average_precision(
            F, database.labels, query=Fq, query_labels=queries.labels, metric=metric
        )
        labels_pred = cluster(F, database.n_classes, seed=seed)
        scores = clustering_scores(database.labels, labels_pred)
        rows[name] = {
            "dim": F.shape[1],
            "seconds": seconds,
            f"precision@{k}": float(hits.mean()),
            "mAP": mAP,
            **scores,
        }
        per_class[name] = {
            names[c]: float(hits[queries.labels == c].mean()) for c in np.unique(queries.labels)
        }
        feats[name] = (F, Fq)
        clusters[name] = labels_pred
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "features"
    return FeatureComparison(
        by_kind=table,
        per_class=pd.DataFrame(per_class),
        features=feats,
        clusters=clusters,
        k=k,
    )


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------


def _names(labels: np.ndarray, class_names) -> list[str]:
    if class_names is None:
        return [str(v) for v in labels]
    return [class_names[v] if 0 <= v < len(class_names) else str(v) for v in labels]


def plot_dissimilarity(
    D,
    labels,
    *,
    class_names: Sequence[str] | None = None,
    clusters=None,
    title: str | None = None,
):
    """Heatmap of a dissimilarity matrix, items ordered by cluster then label.

    Parameters
    ----------
    D : array_like, shape (N, N)
        From :func:`dissimilarity`.
    labels : array_like, shape (N,)
        True classes (used in the order; the row ticks name the class of the
        first item of each block).
    class_names : list of str, optional
    clusters : array_like, shape (N,), optional
        Cluster of each item (e.g. :func:`cluster`); default: order by label.
        Well-separated clusters show as dark diagonal blocks.
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.data import demo_database
    >>> from textures_nb.similarity import features
    >>> db = demo_database(n_per_class=4, patch=32, classes=["brick", "grass"])
    >>> F = features(db.images, "wavelet", progress=False)
    >>> from textures_nb.similarity import dissimilarity, plot_dissimilarity
    >>> fig = plot_dissimilarity(dissimilarity(F), db.labels, class_names=db.class_names)
    >>> fig.data[0].type
    'heatmap'
    """
    import plotly.graph_objects as go

    D = as_finite_array(D, "D", ndims=(2,))
    if D.shape[0] != D.shape[1]:
        raise ValueError(f"`D` must be square (N, N), got {D.shape}.")
    labels = _check_labels(labels, D.shape[0], "labels")
    groups = labels if clusters is None else _check_labels(clusters, D.shape[0], "clusters")
    order = np.lexsort((labels, groups))
    names = np.array(_names(labels, class_names), dtype=object)[order]
    # one class name per row and column: the hover names both items, and the
    # figure stays O(N) in size (N^2 hover strings would weigh megabytes)
    fig = go.Figure(
        go.Heatmap(
            z=D[np.ix_(order, order)],
            hovertemplate="row %{y}, column %{x}<br>dissimilarity %{z:.2f}<extra></extra>",
            colorscale="Viridis",
            colorbar={"title": "dissimilarity"},
        )
    )
    # tick at the first item of each block of the order (cluster, or class)
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    ticks = {"tickvals": starts.tolist(), "ticktext": [str(names[i]) for i in starts]}
    fig.update_yaxes(autorange="reversed", scaleanchor="x", **ticks)
    fig.update_xaxes(showticklabels=False)
    by = "label" if clusters is None else "cluster, then label"
    fig.update_layout(title=title or f"Dissimilarities, ordered by {by}", height=560, autosize=True)
    return fig


def _png_bytes(image: np.ndarray, size: int) -> bytes:
    """Grayscale PNG thumbnail (1-99 percentile contrast stretch) of side ``size``."""
    return png_bytes(image, width=size, height=size, percentiles=(1, 99))


def _png_uri(image: np.ndarray, size: int = 32) -> str:
    """Small grayscale PNG thumbnail as a data URI (for plotly layout images)."""
    return png_data_uri(image, width=size, height=size, percentiles=(1, 99))


def _mds(D: np.ndarray, seed: int) -> np.ndarray:
    """Metric MDS of a precomputed dissimilarity matrix (scikit-learn before and after 1.8)."""
    import inspect

    from sklearn.manifold import MDS

    if "metric_mds" in inspect.signature(MDS).parameters:  # scikit-learn >= 1.8
        model = MDS(2, metric="precomputed", init="classical_mds", n_init=1, random_state=seed)
    else:
        model = MDS(2, dissimilarity="precomputed", n_init=1, random_state=seed)
    return model.fit_transform(D)


def plot_embedding(
    F,
    labels,
    *,
    class_names: Sequence[str] | None = None,
    images=None,
    method: str = "mds",
    n_thumbnails: int = 40,
    standardize: bool = True,
    seed: int | np.random.Generator = 0,
    title: str | None = None,
):
    """2D embedding (MDS or t-SNE) of feature vectors, coloured by class.

    Hovering a point shows its index and class; with ``images``, small
    thumbnails of up to ``n_thumbnails`` items (spread over the classes)
    are drawn at their points (plotly's hover cannot hold images).

    Parameters
    ----------
    F : array_like, shape (N, D)
    labels : array_like, shape (N,)
    class_names : list of str, optional
    images : array_like, shape (N, H, W), optional
        Thumbnails.
    method : {"mds", "tsne"}, default "mds"
        Metric MDS of the euclidean distances, or t-SNE (perplexity
        ``min(30, (N - 1) / 3)``).
    n_thumbnails : int, default 40
    standardize : bool, default True
    seed : int or numpy Generator, default 0
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.data import demo_database
    >>> from textures_nb.similarity import features
    >>> db = demo_database(n_per_class=4, patch=32, classes=["brick", "grass"])
    >>> F = features(db.images, "wavelet", progress=False)
    >>> from textures_nb.similarity import plot_embedding
    >>> fig = plot_embedding(F, db.labels, class_names=db.class_names)
    >>> len(fig.data) >= 2
    True
    """
    import plotly.graph_objects as go
    from sklearn.manifold import TSNE

    seed = _int_seed(seed)
    X = standardize_features(F) if standardize else _check_features(F)
    labels = _check_labels(labels, X.shape[0], "labels")
    if method == "mds":
        D = dissimilarity(X, standardize=False)
        emb = _mds(D, seed)
    elif method == "tsne":
        perplexity = max(2.0, min(30.0, (X.shape[0] - 1) / 3))
        emb = TSNE(n_components=2, perplexity=perplexity, random_state=seed).fit_transform(X)
    else:
        raise ValueError(f"`method` must be 'mds' or 'tsne', got {method!r}.")
    fig = go.Figure()
    classes = np.unique(labels)
    colors = palette(len(classes))  # one colour per class, never reused
    for c, color in zip(classes, colors, strict=True):
        sel = np.flatnonzero(labels == c)
        name = _names(np.array([c]), class_names)[0]
        fig.add_trace(
            go.Scatter(
                x=emb[sel, 0],
                y=emb[sel, 1],
                mode="markers",
                marker=dict(color=color, size=8, line=dict(width=0.5, color="white")),
                name=name,
                customdata=sel,
                hovertemplate=f"{name}<br>item %{{customdata}}<extra></extra>",
            )
        )
    if images is not None:
        images = np.asarray(images)
        if images.shape[0] != X.shape[0]:
            raise ValueError(f"`images` has {images.shape[0]} items but `F` has {X.shape[0]} rows.")
        rng = np.random.default_rng(seed)
        picks = rng.permutation(X.shape[0])[: check_positive_int(n_thumbnails, "n_thumbnails")]
        span = float(np.ptp(emb, axis=0).max()) or 1.0
        for i in picks:
            fig.add_layout_image(
                source=_png_uri(images[i]),
                x=emb[i, 0],
                y=emb[i, 1],
                xref="x",
                yref="y",
                sizex=0.05 * span,
                sizey=0.05 * span,
                xanchor="center",
                yanchor="middle",
                layer="above",
            )
    fig.update_layout(
        title=title or f"{method.upper()} embedding of the features",
        height=560,
        autosize=True,
        xaxis_title="component 1",
        yaxis_title="component 2",
    )
    return fig


def plot_dendrogram(
    F,
    labels,
    *,
    class_names: Sequence[str] | None = None,
    metric: str = "euclidean",
    standardize: bool = True,
    title: str | None = None,
):
    """Dendrogram (average linkage) of the class centroids in feature space.

    Parameters
    ----------
    F : array_like, shape (N, D)
    labels : array_like, shape (N,)
    class_names : list of str, optional
    metric : {"euclidean", "cosine"}
    standardize : bool, default True
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Classes that merge low are hard to tell apart with these features.

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.data import demo_database
    >>> from textures_nb.similarity import features
    >>> db = demo_database(n_per_class=4, patch=32, classes=["brick", "grass"])
    >>> F = features(db.images, "wavelet", progress=False)
    >>> from textures_nb.similarity import plot_dendrogram
    >>> fig = plot_dendrogram(F, db.labels, class_names=db.class_names)
    >>> len(fig.data) > 0
    True
    """
    import plotly.figure_factory as ff
    from scipy.cluster.hierarchy import linkage

    _check_metric(metric)
    X = standardize_features(F) if standardize else _check_features(F)
    labels = _check_labels(labels, X.shape[0], "labels")
    classes = np.unique(labels)
    if classes.size < 2:
        raise ValueError("`labels` must hold at least 2 classes for a dendrogram.")
    centroids = np.stack([X[labels == c].mean(axis=0) for c in classes])
    fig = ff.create_dendrogram(
        centroids,
        orientation="left",
        labels=_names(classes, class_names),
        distfun=lambda a: dissimilarity(a, metric=metric, standardize=False)[
            np.triu_indices(a.shape[0], 1)
        ],
        linkagefun=lambda d: linkage(d, method="average"),
    )
    fig.update_layout(
        title=title or "Class centroids: average-linkage dendrogram",
        height=max(300, 30 * classes.size),
        autosize=True,
        xaxis_title=f"{metric} distance (standardised features)",
    )
    return fig


def neighbours(
    database: TextureDatabase,
    F,
    index: int,
    *,
    k: int = 5,
    queries: TextureDatabase | None = None,
    query_features=None,
    metric: str = "euclidean",
) -> tuple[list[np.ndarray], list[str]]:
    """A query texture and its ``k`` nearest database textures, with captions.

    The callback behind :func:`neighbours_figure` and :func:`explorer`.

    Parameters
    ----------
    database : TextureDatabase
    F : array_like, shape (N, D)
        Database features.
    index : int
        Query: row of ``queries`` when given, else of ``database`` (then the
        item itself is excluded from its neighbours).
    k : int, default 5
    queries : TextureDatabase, optional
    query_features : array_like, shape (Q, D), optional
        Required with ``queries``.
    metric : {"euclidean", "cosine"}

    Returns
    -------
    images : list of ndarray
        The query, then its neighbours, closest first.
    captions : list of str
        ``"query: <class>"``, then ``"✓ <class> (d = ...)"`` for a neighbour of
        the query's class and ``"✗ ..."`` otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.data import demo_database
    >>> from textures_nb.similarity import features
    >>> db = demo_database(n_per_class=4, patch=32, classes=["brick", "grass"])
    >>> F = features(db.images, "wavelet", progress=False)
    >>> from textures_nb.similarity import neighbours
    >>> patches, titles = neighbours(db, F, 0, k=3)
    >>> len(patches), len(titles)
    (4, 4)
    """
    source = database if queries is None else queries
    if queries is not None and query_features is None:
        raise ValueError("`query_features` is required with `queries`.")
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"`index` must be an integer, got {index!r}.")
    if not 0 <= index < len(source):
        raise ValueError(f"`index`={index} is out of range: pick 0 <= index < {len(source)}.")
    k = check_positive_int(k, "k")
    if queries is None:
        idx, dist = nearest(F, k + 1, metric=metric, progress=False)  # exact
        idx, dist = idx[index, :k], dist[index, :k]
    else:
        q = np.asarray(query_features)[index : index + 1]
        idx, dist = nearest(F, k, q, metric=metric, progress=False)
        idx, dist = idx[0], dist[0]
    names = database.class_names
    q_label = source.labels[index]
    captions = [f"query: {names[q_label]}"] + [
        f"{'✓' if database.labels[i] == q_label else '✗'} {names[database.labels[i]]} (d = {d:.2f})"
        for i, d in zip(idx, dist, strict=True)
    ]
    return [source.images[index]] + [database.images[i] for i in idx], captions


def neighbours_figure(
    database: TextureDatabase,
    F,
    index: int,
    *,
    k: int = 5,
    queries: TextureDatabase | None = None,
    query_features=None,
    metric: str = "euclidean",
):
    """Plotly figure of a query texture and its ``k`` nearest neighbours.

    Parameters
    ----------
    database, F, index, k, queries, query_features, metric
        As in :func:`neighbours`.

    Returns
    -------
    plotly.graph_objects.Figure
        Subplot titles give the class and distance, with a check mark for a
        neighbour of the query's class.

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.data import demo_database
    >>> from textures_nb.similarity import features
    >>> db = demo_database(n_per_class=4, patch=32, classes=["brick", "grass"])
    >>> F = features(db.images, "wavelet", progress=False)
    >>> from textures_nb.similarity import neighbours_figure
    >>> fig = neighbours_figure(db, F, 0, k=3)
    >>> len(fig.data)
    4
    """
    from .plotting import images as plot_images

    images, captions = neighbours(
        database, F, index, k=k, queries=queries, query_features=query_features, metric=metric
    )
    return plot_images(
        images,
        titles=[c.replace(" (", "<br>(") for c in captions],
        title=f"Query {index} and its {k} nearest neighbours ({metric})",
        height=230,
    )


def explorer(
    database: TextureDatabase,
    F,
    *,
    queries: TextureDatabase | None = None,
    query_features=None,
    k: int = 5,
    metric: str = "euclidean",
    k_max: int = 10,
):
    """ipywidgets explorer: pick a texture, see its nearest neighbours.

    Thumbnails are ``ipywidgets.Image`` widgets updated in place by
    :func:`neighbours` (no output capture, so the explorer also runs under
    papermill and nbval).

    Parameters
    ----------
    database, F, queries, query_features, metric
        As in :func:`neighbours`.
    k : int, default 5
        Initial number of neighbours.
    k_max : int, default 10
        Largest ``k`` of the slider.

    Returns
    -------
    ipywidgets.VBox
        ``children[0]`` holds the ``query`` and ``k`` sliders, ``children[1]``
        the thumbnails (an Image and a caption each); display it in a notebook.

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.data import demo_database
    >>> from textures_nb.similarity import features
    >>> db = demo_database(n_per_class=4, patch=32, classes=["brick", "grass"])
    >>> F = features(db.images, "wavelet", progress=False)
    >>> from textures_nb.similarity import explorer
    >>> box = explorer(db, F, k=3)
    >>> type(box).__name__
    'VBox'
    """
    import ipywidgets as widgets

    k_max = check_positive_int(k_max, "k_max")
    k = min(check_positive_int(k, "k"), k_max)
    n = len(database if queries is None else queries)
    index_slider = widgets.IntSlider(value=0, min=0, max=n - 1, description="query")
    k_slider = widgets.IntSlider(value=k, min=1, max=k_max, description="k")
    tiles = [
        widgets.VBox(
            [
                widgets.Image(format="png", width=96, height=96),
                widgets.HTML(layout=widgets.Layout(width="110px")),
            ]
        )
        for _ in range(k_max + 1)
    ]

    def _update(change=None) -> None:
        images, captions = neighbours(
            database, F, index_slider.value, k=k_slider.value, queries=queries,
            query_features=query_features, metric=metric,
        )  # fmt: skip
        for t, tile in enumerate(tiles):
            shown = t < len(images)
            tile.layout.display = None if shown else "none"
            if shown:
                tile.children[0].value = _png_bytes(images[t], 96)
                tile.children[1].value = f"<small>{captions[t]}</small>"

    index_slider.observe(_update, names="value")
    k_slider.observe(_update, names="value")
    _update()
    return widgets.VBox([widgets.HBox([index_slider, k_slider]), widgets.HBox(tiles)])
