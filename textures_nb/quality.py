"""Synthesis quality indices: calibrated a posteriori tests and a priori loss indices.

A posteriori: :func:`compare` measures how far a synthesis is from its sample
with several *indices*, each a distance between the two textures' statistics,
and calibrates every index on the sample itself, so that no prior knowledge of
which statistics matter for a texture is needed.

Indices (families of per-scale features)
----------------------------------------
``"leaders"``
    Log-scale diagrams of the wavelet leaders: cumulants ``C1(j), C2(j),
    C3(j)`` of ``ln L(j, .)`` at the finest scale used and their slopes over
    all the scales (``c_m ln 2``, the log-cumulants). One slope pools the
    multifractal signal every octave carries a little of.
``"wavelet"``
    Per-scale cumulants of the wavelet coefficients ``ln |d(j, .)|``
    (level at the finest scale and steps between consecutive scales).
``"structure"``
    Leader structure functions ``log2 S(j, q)`` for several ``q``: level at
    the finest scale and slope over the scales (``zeta(q)``).
``"spectrum"``
    Power spectrum in half-octave frequency bands (radially averaged in 2D),
    ``ln P``, from Hann-windowed periodograms of non-overlapping segments
    (Welch; segments of a quarter of the window side, 1/16 of its length).
``"marginal"``
    Wasserstein-1 distances between the standardised marginals of the values
    and of the increments (pooled over axes).
``"orientation"`` (2D)
    Energy per orientation (4 sectors of 45 degrees) and octave band,
    relative to the band's mean: ``ln(P_band,sector / mean_sector P_band)``.
``"cross"`` (multichannel)
    Per scale and channel pair: correlation of the wavelet coefficients and
    correlation of the log-leaders.

Calibration (the null distribution)
-----------------------------------
The null must describe "two textures of the sample's process". It is built
from *pairs of disjoint windows* cut from the sample and from the synthesis
(never one window from each): half of each side for images, a quarter of the
length for signals, on a grid of 9 (49) start positions per axis; windows
never wrap around. Each window is analysed as a texture of its own. Taking
pairs from both textures makes the null hold the between-window variability
of both: a sample that happens to be more homogeneous than the synthesis (a
quiet quadrant of a photograph) no longer makes the test anticonservative,
and a synthesis of another process still differs from the sample by more
than its own windows differ from each other. A *heterogeneous* synthesis
(part right, part wrong, or a flat patch) is the exception: its own windows
differ a lot, which widens such a null and hides the defect. So the default
(``null="auto"``) first measures how much more the synthesis's windows differ
from each other than the sample's, the dispersion ratio
``max_index mean_feature ln(D_synthesis / D_sample)`` (``D``: a feature's mean
discrepancy over the pairs cut from that texture), and when it exceeds
``ln 20 ~ 3`` it builds the null from the sample's pairs alone. Measured: 5.3
to 7.3 for an fBf H = 0.7 synthesis whose left half is H = 0.3, 14-15 with a
flat 40 x 40 patch, 5.8-7.1 for an fBm signal with an H = 0.3 half; at most
2.25 over the 304 photograph pairs and 1.7 over disjoint crops of stationary
fields, so the switch leaves those calls as they were. Features are computed on the
whole sample and on the whole synthesis (observed), and on each window
(null). Each feature's discrepancy (squared difference; W1 for marginals) is
scaled by its mean over the null pairs, so ``z = difference / null RMS``; an
index's statistic is the mean of ``log(1 + z**2)`` over its features (the
logarithm keeps one erratic feature, e.g. a third cumulant at a coarse scale,
from deciding alone). Its p-value is the rank of the observed statistic among
the null statistics, with the +1 correction.

The multiscale indices are contrast-free: log-leaders and log-coefficients
are taken relative to the geometric mean over the scales of the detail RMS,
so regional lighting or contrast (one factor on every scale, which varies
across a photograph more than across half-size windows) is not read as a
texture difference, while a change at some scales still moves those scales.
The spectrum index keeps the absolute power. On 304 disjoint tile pairs of
scikit-image's brick, grass, gravel and plenoptic's reptile skin (128**2 and
256**2) these two changes took false alarms at alpha = 0.05 from 12.5 % to
about 1 % (``benchmarks/results_quality.md``).

Windows are smaller than the textures compared, so their statistics vary
more: for short-range statistics the null is conservative (wider than the
truth), while the part of the variability that does not shrink with size
(e.g. the cascade of a multifractal field, whose integral scale exceeds the
sample) is captured as it is. A bootstrap of small tiles misses that part:
in our development trials (20 per case) it flagged 40 % of disjoint crops of
one fBm and 85 % for a multifractal random walk. Levels, *steps between
consecutive scales* and slopes over the scales are the features: steps and
slopes are free of the level shift that large-scale fluctuations put on
every scale.

The overall verdict is the single-step min-p test of Westfall & Young: each
null draw's smallest p-value over the indices (computed against the other
draws) gives the null law of the minimum, so the family-wise false-alarm
rate is controlled at ``alpha`` while the dependence between indices is
respected; an index *fails* when its adjusted p-value is <= ``alpha``.
Per-feature z-scores (``QualityReport.details``) say which scales, bands or
moments drive a failing index.

A priori: :func:`loss_indices` summarises a loss trajectory (a
:class:`~textures_nb.synthesis.SynthesisResult`'s ``losses`` or a trained
generator's ``losses`` dict) by its level, trend and spread over the last
iterations; :func:`loss_vs_quality` relates them to the a posteriori indices
over checkpoints of syntheses (Spearman rank correlation).

References
----------
Politis, Romano, Wolf (1999), *Subsampling*, Springer (statistics of
dependent data from sub-windows). Westfall, Young (1993), *Resampling-based
multiple testing*, Wiley (min-p adjustment). Schreiber, Schmitz (2000),
Physica D 142 (phase-randomised surrogates as Gaussian nulls).
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np

from ._checks import (
    as_finite_array,
    as_generator,
    check_in_range,
    check_positive_int,
    torch_seed,
)
from ._shared import layout, spectral, wavelets
from ._shared.progress import tqdm
from .multiscale import wavelet_coefs, wavelet_leaders

__all__ = [
    "INDICES",
    "QualityReport",
    "compare",
    "loss_indices",
    "LossQualityStudy",
    "loss_vs_quality",
    "generator_quality",
]

#: Every index :func:`compare` knows; the defaults depend on the data (see :func:`compare`).
INDICES = ("leaders", "wavelet", "structure", "spectrum", "marginal", "orientation", "cross")

_DEFAULT_Q = (-2.0, -1.0, 1.0, 2.0, 3.0, 4.0)
_N_QUANTILES = 256  # quantile grid of the marginal index (W1 between quantile functions)
_MIN_LEADERS = {1: 8, 2: 9}  # a scale is used when every window holds this many leaders
_N_POS = {1: 49, 2: 9}  # window start positions per axis
_SLOPES = {"leaders", "structure"}  # features = level + slope over the scales
_MULTISCALE = {"leaders", "wavelet", "structure", "cross"}
_DIAGRAMS = ("leaders", "wavelet", "structure", "spectrum")  # features = level + steps
_MAX_DISPERSION = 3.0  # null="auto": sample-only null above this ln dispersion ratio


# --------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------


def _prepare(sample, synthesized, dim) -> tuple[np.ndarray, np.ndarray, int]:
    layout.check_dim(dim)
    x = layout.to_internal(sample, "sample", dim).data
    y = layout.to_internal(synthesized, "synthesized", dim).data
    if np.ndim(sample) != np.ndim(synthesized):
        raise ValueError(
            f"`sample` has shape {np.shape(sample)} and `synthesized` {np.shape(synthesized)}: "
            "they must have the same number of dimensions (same layout)."
        )
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"`sample` has {x.shape[0]} channel(s) and `synthesized` {y.shape[0]}: compare "
            "textures with the same channels."
        )
    if x.shape[0] > 64:
        raise ValueError(
            f"`sample` has {x.shape[0]} channels along the first axis; expected (C, T) or "
            "(C, H, W) with few channels (transpose channels-last data)."
        )
    for name, a in (("sample", x), ("synthesized", y)):
        std = a.reshape(a.shape[0], -1).std(axis=1)
        if np.any(std == 0):
            raise ValueError(f"`{name}` has a constant channel: it has no texture to compare.")
    return x, y, x.ndim - 1


# --------------------------------------------------------------------------
# Null windows
# --------------------------------------------------------------------------


def _default_window(spatial: Sequence[int], dim: int) -> tuple[int, ...]:
    """Null windows: half of each side for images, a quarter of the length for signals."""
    return tuple(max(n // (2 if dim == 2 else 4), 1) for n in spatial)


def _check_window(window, spatial: Sequence[int], dim: int) -> tuple[int, ...]:
    if window is None:
        return _default_window(spatial, dim)
    if isinstance(window, numbers.Integral) and not isinstance(window, bool):
        window = (int(window),) * dim
    try:
        window = tuple(check_positive_int(w, "window") for w in window)
    except TypeError:
        raise TypeError(f"`window` must be None, an int or {dim} ints, got {window!r}.") from None
    if len(window) != dim:
        raise ValueError(f"`window` must have {dim} value(s), got {window!r}.")
    limit = 2 if dim == 2 else 3
    if any(limit * w > n for w, n in zip(window, spatial, strict=True)) and dim == 1:
        raise ValueError(
            f"`window`={window} leaves too little room for disjoint windows in a sample of "
            f"length {spatial[0]}: use at most a third of it."
        )
    if dim == 2 and any(2 * w > n for w, n in zip(window, spatial, strict=True)):
        raise ValueError(
            f"`window`={window} is more than half of the sample's shape {tuple(spatial)}: two "
            "disjoint windows must fit in the sample."
        )
    return window


def _window_starts(spatial: Sequence[int], window: Sequence[int], n_pos: int) -> list[np.ndarray]:
    """Start positions of the windows along each axis (at most ``n_pos`` per axis)."""
    return [
        np.unique(np.linspace(0, n - w, min(n_pos, n - w + 1)).round().astype(int))
        for n, w in zip(spatial, window, strict=True)
    ]


def _disjoint_pairs(starts: list[np.ndarray], window: Sequence[int]) -> np.ndarray:
    """Index pairs ``(a, b)``, ``a < b``, of windows (a grid of starts) that do not overlap."""
    grids = np.meshgrid(*starts, indexing="ij")
    pos = np.stack([g.ravel() for g in grids], axis=1)  # (n_windows, d)
    a, b = np.triu_indices(pos.shape[0], k=1)
    apart = np.abs(pos[a] - pos[b]) >= np.asarray(window)[None, :]
    keep = apart.any(axis=1)
    return np.stack([a[keep], b[keep]], axis=1), pos


def _crop(a: np.ndarray, start: Sequence[int], window: Sequence[int]) -> np.ndarray:
    return a[(slice(None), *(slice(s, s + w) for s, w in zip(start, window, strict=True)))]


# --------------------------------------------------------------------------
# Features of one texture, per index
# --------------------------------------------------------------------------


def _available_scales(window: Sequence[int], other: Sequence[int], wavelet: str) -> int:
    """Coarsest scale with at least 8 leaders (3 x 3 in 2D) in a window and in ``other``."""
    n_taps = wavelets.wavelet(wavelet).dec_len
    dim = len(window)
    need = _MIN_LEADERS[dim]
    j = 0
    while True:
        counts = [
            [wavelets.n_details(n, n_taps, j + 1) - 2 for n in shape] for shape in (window, other)
        ]
        if any(min(c) < 1 or int(np.prod(c)) < need for c in counts):
            return j
        j += 1


def _check_scales(scales, j_ok: int, window) -> list[int]:
    if scales is None:
        if j_ok < 2:
            raise ValueError(
                f"null windows of shape {tuple(window)} are too small for the multiscale indices "
                "(fewer than 2 scales with enough wavelet leaders); use larger textures, or "
                "indices without 'leaders', 'wavelet', 'structure' and 'cross'."
            )
        return list(range(1, j_ok + 1))
    j1, j2 = wavelets.scale_pair(scales)
    if j1 > j2:
        raise ValueError(f"`scales`=({j1}, {j2}) is out of order; use j1 <= j2.")
    if j2 > j_ok:
        raise ValueError(
            f"`scales`=({j1}, {j2}) asks for scale {j2}, but null windows of shape "
            f"{tuple(window)} support at most j2={j_ok}; lower j2 or use larger textures."
        )
    return list(range(j1, j2 + 1))


def _level_and_steps(c: np.ndarray) -> np.ndarray:
    """``c`` (n_scales, ...) -> its first row then the steps between consecutive rows, flattened.

    A log-scale diagram is read through its level at the finest scale and its local
    slopes: the slopes are free of the level shift that a texture's large-scale
    fluctuations put on every scale at once, so they are far more precise.
    """
    return np.concatenate([c[:1], np.diff(c, axis=0)]).ravel()


def _cumulants(v: np.ndarray) -> np.ndarray:
    m1 = v.mean()
    c = v - m1
    m2 = np.mean(c**2)
    return np.array([m1, m2, np.mean(c**3)])


@dataclass
class _Spec:
    """What to compute: indices, scales, wavelet, q, Welch segment, quantile grid."""

    indices: list[str]
    dim: int
    scales: list[int] | None
    wavelet: str
    q: np.ndarray
    gamint: float
    segment: int


def _diagram_and_slopes(out, name: str, c: np.ndarray, spec: _Spec) -> None:
    """Features of a log-scale diagram ``c`` (n_scales, n_moments) tested by the index: the
    level at the finest scale and the least-squares slope over all the scales (a log-cumulant
    ``c_m`` or a scaling exponent ``zeta(q)``, times ln 2 for leaders); the per-scale level +
    steps are kept apart for the diagrams and the per-feature table.

    One slope pools the multifractal signal that every octave carries a little of: for a
    phase surrogate of a 1D MRW (lam**2 = 0.04, 2**14 samples) the leaders index fails in
    15 of 16 trials with slopes, 0 of 16 with per-octave steps.
    """
    out[name].append(np.concatenate([c[0], _slope(c, spec.scales)]))
    out.setdefault(f"{name}/diagram", []).append(_level_and_steps(c))


def _slope(c: np.ndarray, scales: Sequence[int]) -> np.ndarray:
    """Least-squares slope of each column of ``c`` against the scales (0 for one scale)."""
    js = np.asarray(scales, dtype=float)
    if js.size < 2:
        return np.zeros(c.shape[1])
    js = js - js.mean()
    return js @ c / float(js @ js)


def _multiscale_features(a: np.ndarray, spec: _Spec, out: dict[str, list[np.ndarray]]) -> None:
    want = set(spec.indices)
    j2 = spec.scales[-1]
    sel = [j - 1 for j in spec.scales]
    d_all, l_all = [], []
    for c in range(a.shape[0]):
        coefs = wavelet_coefs(a[c], wavelet=spec.wavelet, j2=j2, gamint=spec.gamint)
        leaders = wavelet_leaders(coefs)
        tiny = 1e-12 * max(float(np.abs(a[c]).max()), 1e-300)  # exact zeros: flat regions
        dets = [coefs.details[j].ravel() for j in sel]
        # contrast-free levels: divide by the geometric mean over the scales of the detail
        # RMS, so that regional lighting (a factor on every scale) is not read as texture
        # while a change at some scales still moves those scales' levels
        ln_contrast = float(np.mean([0.5 * np.log(max(np.mean(d**2), tiny**2)) for d in dets]))
        logl = [np.log(np.maximum(leaders[j].ravel(), tiny)) - ln_contrast for j in sel]
        dets = [d / math.exp(ln_contrast) for d in dets]
        d_all.append(dets)
        l_all.append(logl)
        if "leaders" in want:
            _diagram_and_slopes(out, "leaders", np.stack([_cumulants(v) for v in logl]), spec)
        if "wavelet" in want:
            logd = [np.log(np.maximum(np.abs(d), tiny * math.exp(-ln_contrast))) for d in dets]
            out["wavelet"].append(_level_and_steps(np.stack([_cumulants(v) for v in logd])))
        if "structure" in want:
            rows = []
            for v in logl:
                z = spec.q[:, None] * v[None, :]
                zmax = z.max(axis=1, keepdims=True)  # log-sum-exp: no overflow for large |q|
                rows.append((zmax[:, 0] + np.log(np.mean(np.exp(z - zmax), axis=1))) / np.log(2))
            _diagram_and_slopes(out, "structure", np.stack(rows), spec)
    if "cross" in want:
        for ca, cb in combinations(range(a.shape[0]), 2):
            vals = []
            for k in range(len(sel)):
                da, db = d_all[ca][k], d_all[cb][k]
                vals.append(np.sum(da * db) / np.sqrt(np.sum(da**2) * np.sum(db**2)))
                vals.append(np.corrcoef(l_all[ca][k], l_all[cb][k])[0, 1])
            out["cross"].append(np.asarray(vals))


def _welch(a: np.ndarray, segment: int) -> np.ndarray:
    """Mean Hann-windowed periodogram of the non-overlapping segments, ``(C, *[segment] * d)``."""
    return spectral.welch(a, segment)


@functools.lru_cache(maxsize=16)
def _bands(
    segment: int, dim: int
) -> tuple[np.ndarray, list[str], np.ndarray, list[tuple[str, str]]]:
    """Averaging matrices over half-octave radial bands and (2D) octave x 4 orientation sectors."""
    radius, angle = spectral.radius_angle([segment] * dim)
    lo = 1.0 / segment
    edges = spectral.octave_edges(lo, 0.5, per_octave=2)
    spec, kept = spectral.averaging_matrix(spectral.band_index(radius, edges), len(edges) - 1)
    spec_labels = [f"f={edges[i]:.3g}-{edges[i + 1]:.3g}" for i in kept]
    orient = np.zeros((radius.size, 0))
    orient_labels: list[tuple[str, str]] = []
    if dim == 2:
        oct_edges = spectral.octave_edges(lo, 0.5, per_octave=1)
        n_b = len(oct_edges) - 1
        ob = spectral.band_index(radius, oct_edges)
        sector = spectral.orientation_sector(angle, 4)
        index = np.where(ob >= 0, ob * 4 + sector, -1)
        orient, _ = spectral.averaging_matrix(index, n_b * 4, drop_empty=False)
        orient = (orient > 0).astype(float)  # sums per (octave, sector): ratios are what count
        orient_labels = [
            (f"{45 * s} deg", f"f={oct_edges[b]:.3g}-{oct_edges[b + 1]:.3g}")
            for b in range(n_b)
            for s in range(4)
        ]
    return spec, spec_labels, orient, orient_labels


def _spectral_features(a: np.ndarray, spec: _Spec, out: dict[str, list[np.ndarray]]) -> None:
    p = _welch(a, spec.segment).reshape(a.shape[0], -1)
    band, _, orient, _ = _bands(spec.segment, spec.dim)
    for c in range(a.shape[0]):
        if "spectrum" in spec.indices:
            out["spectrum"].append(_level_and_steps(np.log(np.maximum(p[c] @ band, 1e-300))))
        if "orientation" in spec.indices:
            e = np.log(np.maximum(p[c] @ orient, 1e-300)).reshape(-1, 4)
            out["orientation"].append((e - e.mean(axis=1, keepdims=True)).ravel())


_PROBS = (np.arange(_N_QUANTILES) + 0.5) / _N_QUANTILES


def _marginal_features(a: np.ndarray, spec: _Spec, out: dict[str, list[np.ndarray]]) -> None:
    """Quantile functions of the standardised values and increments (pooled over axes)."""
    for c in range(a.shape[0]):
        x = a[c]
        incr = np.concatenate([np.diff(x, axis=ax).ravel() for ax in range(spec.dim)])
        for v in (x.ravel(), incr):
            sd = float(v.std())  # a flat window of a synthesis has sd 0: keep it finite
            out["marginal"].append(np.quantile((v - v.mean()) / (sd if sd > 0 else 1.0), _PROBS))


def _features(a: np.ndarray, spec: _Spec) -> dict[str, np.ndarray]:
    """Every requested index's feature vector of one texture ``(C, *spatial)``."""
    out: dict[str, list[np.ndarray]] = {name: [] for name in spec.indices}
    if set(spec.indices) & _MULTISCALE:
        _multiscale_features(a, spec, out)
    if {"spectrum", "orientation"} & set(spec.indices):
        _spectral_features(a, spec, out)
    if "marginal" in spec.indices:
        _marginal_features(a, spec, out)
    return {name: np.concatenate(v) for name, v in out.items()}


def _feature_labels(name: str, spec: _Spec, n_ch: int) -> list[dict[str, Any]]:
    if name in ("leaders", "wavelet", "structure"):
        what = [f"C{m}" for m in (1, 2, 3)] if name != "structure" else [f"q={q:g}" for q in spec.q]
        js = spec.scales
        if name in _SLOPES:  # level at the finest scale, slope over all the scales
            return [
                {"channel": c, "feature": f"{pre}{w}", "scale": sc}
                for c in range(n_ch)
                for pre, sc in (("", f"j={js[0]}"), ("slope ", f"j={js[0]}-{js[-1]}"))
                for w in what
            ]
        steps = [f"j={js[0]}"] + [f"j={a}-{b}" for a, b in zip(js[:-1], js[1:], strict=True)]
        return [
            {"channel": c, "feature": (w if k == 0 else f"d{w}"), "scale": st}
            for c in range(n_ch)
            for k, st in enumerate(steps)
            for w in what
        ]
    if name == "cross":
        return [
            {"channel": f"{a}-{b}", "feature": feat, "scale": f"j={j}"}
            for a, b in combinations(range(n_ch), 2)
            for j in spec.scales
            for feat in ("corr(d)", "corr(ln L)")
        ]
    _, spec_labels, _, orient_labels = _bands(spec.segment, spec.dim)
    if name == "spectrum":
        return [
            {"channel": c, "feature": "ln P" if k == 0 else "d ln P", "scale": lab}
            for c in range(n_ch)
            for k, lab in enumerate(
                spec_labels[:1]
                + [f"{a} to {b}" for a, b in zip(spec_labels[:-1], spec_labels[1:], strict=True)]
            )
        ]
    if name == "orientation":
        return [
            {"channel": c, "feature": f, "scale": s} for c in range(n_ch) for f, s in orient_labels
        ]
    return [
        {"channel": c, "feature": f"W1 {what}", "scale": "all"}
        for c in range(n_ch)
        for what in ("values", "increments")
    ]


def _diagram_rows(name, fx, fy, null_diff, spec: _Spec, n_ch: int) -> list[dict[str, Any]]:
    """Log-scale diagrams (cumulated level + steps) of sample and synthesis, with null RMS."""
    if name == "spectrum":
        what, where = ["ln P"], _bands(spec.segment, spec.dim)[1]
    else:
        what = [f"C{m}" for m in (1, 2, 3)] if name != "structure" else [f"q={q:g}" for q in spec.q]
        where = [f"j={j}" for j in spec.scales]
    shape = (n_ch, len(where), len(what))
    sx = np.cumsum(fx.reshape(shape), axis=1)
    sy = np.cumsum(fy.reshape(shape), axis=1)
    rms = np.sqrt(np.mean(np.cumsum(null_diff.reshape(-1, *shape), axis=2) ** 2, axis=0))
    return [
        {
            "index": name,
            "channel": c,
            "feature": w,
            "scale": where[k],
            "sample": float(sx[c, k, i]),
            "synthesis": float(sy[c, k, i]),
            "null_rms": float(rms[c, k, i]),
        }
        for c in range(n_ch)
        for i, w in enumerate(what)
        for k in range(len(where))
    ]


def _discrepancy(name: str, fa: np.ndarray, fb: np.ndarray) -> np.ndarray:
    """Per-feature discrepancies of feature arrays ``(..., n_feat)``: squared differences, or
    for ``"marginal"`` W1 distances between quantile functions (one per distribution)."""
    if name != "marginal":
        return (fa - fb) ** 2
    diff = np.abs(fa - fb)
    return diff.reshape(*diff.shape[:-1], -1, _N_QUANTILES).mean(axis=-1)


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


@dataclass
class QualityReport:
    """Result of :func:`compare`.

    Attributes
    ----------
    different : bool
        Overall verdict: True when the synthesis is flagged as not from the
        sample's process (family-wise false-alarm rate ``alpha``).
    p_value : float
        Overall p-value (min-p across indices, calibrated on the null draws).
    alpha : float
        Level of the test.
    indices : list of str
        Indices computed.
    statistic, p_values, p_adjusted : dict of str to float
        Per index: observed statistic (mean normalised discrepancy, about 1
        for a texture of the same process), raw and min-p adjusted p-values.
    failing : list of str
        Indices whose adjusted p-value is <= ``alpha``.
    features : pandas.DataFrame
        One row per feature (index, channel, feature, scale): sample and
        synthesis values, signed ``z`` (difference over its null root mean
        square; for W1 the excess over the null mean in null standard
        deviations) and per-feature ``p_value``.
    null_statistic : dict of str to ndarray
        Null draws of each index's statistic, shape ``(n_null,)``.
    diagrams : pandas.DataFrame
        The log-scale diagrams themselves (leaders, wavelet, structure,
        spectrum) per channel, feature and scale: ``sample``, ``synthesis``
        and ``null_rms`` (root mean square difference between two windows).
        Leaders, wavelet and structure diagrams are contrast-free (relative to
        the geometric mean detail RMS over the scales).
    options : dict
        ``n_null`` (null pairs used), ``seed``, ``window``, ``segment``,
        ``scales``, ``wavelet``, ``q``, ``dim``, ``null`` (asked),
        ``null_used`` (``"both"`` or ``"sample"``) and ``dispersion`` (ln
        ratio of the synthesis's to the sample's window-to-window
        discrepancies, see :func:`compare`).

    Examples
    --------
    >>> from textures_nb.processes import fbf
    >>> from textures_nb.quality import compare
    >>> field = fbf((64, 128), 0.7, seed=0)
    >>> report = compare(field[:, :64], field[:, 64:], n_null=19, progress=False)
    >>> type(report.different), 0 < report.p_value <= 1
    (<class 'bool'>, True)
    """

    different: bool
    p_value: float
    alpha: float
    indices: list[str]
    statistic: dict[str, float]
    p_values: dict[str, float]
    p_adjusted: dict[str, float]
    failing: list[str]
    features: Any = field(repr=False)
    null_statistic: dict[str, np.ndarray] = field(repr=False)
    options: dict[str, Any] = field(default_factory=dict, repr=False)
    diagrams: Any = field(default=None, repr=False)

    @property
    def score(self) -> float:
        """Overall a posteriori discrepancy: mean over indices of statistic / null mean.

        About 1 for a texture of the sample's process, larger when worse; used
        to rank syntheses and in :func:`loss_vs_quality`.
        """
        return float(
            np.mean(
                [
                    self.statistic[n] / max(float(self.null_statistic[n].mean()), 1e-300)
                    for n in self.indices
                ]
            )
        )

    @property
    def verdict(self) -> str:
        """``"different"`` or ``"compatible"``."""
        return "different" if self.different else "compatible"

    def table(self):
        """One row per index: statistic, null mean, z, p-values, fails, worst features.

        Returns
        -------
        pandas.DataFrame
            Indexed by index name; ``worst`` lists up to 3 features with the
            largest ``|z|`` (e.g. ``"C2 j=4 (z=-4.2)"``).
        """
        import pandas as pd

        rows = []
        for name in self.indices:
            null = self.null_statistic[name]
            sub = self.features[self.features["index"] == name]
            top = sub.reindex(sub["z"].abs().sort_values(ascending=False).index).head(3)
            worst = ", ".join(
                f"{r.feature} {r.scale}{'' if r.channel in (0, '0') else f' ch {r.channel}'} "
                f"(z={r.z:+.1f})"
                for r in top.itertuples()
            )
            rows.append(
                {
                    "index": name,
                    "statistic": self.statistic[name],
                    "null_mean": float(null.mean()),
                    "z": float((self.statistic[name] - null.mean()) / max(null.std(), 1e-300)),
                    "p_value": self.p_values[name],
                    "p_adjusted": self.p_adjusted[name],
                    "fails": name in self.failing,
                    "worst": worst,
                }
            )
        return pd.DataFrame(rows).set_index("index")

    def details(self, index: str | None = None):
        """Per-feature table (all indices, or one), sorted by ``|z|``."""
        df = self.features if index is None else self.features[self.features["index"] == index]
        if index is not None and df.empty:
            raise ValueError(f"`index`={index!r} was not computed; choose among {self.indices}.")
        return df.reindex(df["z"].abs().sort_values(ascending=False).index)

    def plot(self, *, index: str = "leaders", channel=0, title: str | None = None):
        """Plotly log-scale diagrams of sample and synthesis with the null band.

        Parameters
        ----------
        index : {"leaders", "wavelet", "structure", "spectrum", "orientation", "cross"}
            What to draw, one panel per feature name (``C1``, ``C2``, ``C3``
            for leaders, one per ``q`` for structure functions), scale or
            frequency band on the x axis.
        channel : int or str
            Channel (``"0-1"`` for a pair in ``"cross"``).
        title : str, optional

        Returns
        -------
        plotly.graph_objects.Figure
            Sample (blue), synthesis (red) and the band ``sample +- 1.96 s``
            where ``s`` is the null root mean square difference: where a
            texture of the sample's process would fall (pointwise, 95 %; cut
            at 0 for ``C2``, a variance). No fixed width: it follows the
            output area.
        """
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        if index not in self.indices or index == "marginal":
            raise ValueError(
                f"`index`={index!r} cannot be drawn; choose among "
                f"{[i for i in self.indices if i != 'marginal']}."
            )
        table = self.diagrams if index in _DIAGRAMS else self.features
        df = table[(table["index"] == index) & (table["channel"].astype(str) == str(channel))]
        if df.empty:
            raise ValueError(f"`channel`={channel!r} has no features in index {index!r}.")
        names = list(dict.fromkeys(df["feature"]))
        fig = make_subplots(rows=1, cols=len(names), subplot_titles=names)
        for i, name in enumerate(names, start=1):
            sub = df[df["feature"] == name]
            xs = list(sub["scale"])
            lo = sub["sample"] - 1.96 * sub["null_rms"]
            hi = sub["sample"] + 1.96 * sub["null_rms"]
            if name == "C2":  # a variance: its band cannot go below 0
                lo = lo.clip(lower=0.0)
            fig.add_trace(
                go.Scatter(
                    x=xs + xs[::-1],
                    y=list(hi) + list(lo[::-1]),
                    mode="lines",  # a band: no marker dots on its edges
                    fill="toself",
                    fillcolor="rgba(31,119,180,0.2)",
                    line=dict(width=0),
                    name="null band (95 %)",
                    showlegend=i == 1,
                    hoverinfo="skip",
                ),
                row=1,
                col=i,
            )
            for col, color, label in (
                ("sample", "#1f77b4", "sample"),
                ("synthesis", "#d62728", "synthesis"),
            ):
                fig.add_trace(
                    go.Scatter(
                        x=xs,
                        y=sub[col],
                        mode="lines+markers",
                        line=dict(color=color),
                        name=label,
                        showlegend=i == 1,
                    ),
                    row=1,
                    col=i,
                )
        fig.update_layout(
            title=title or f"{index}: sample vs synthesis ({self.verdict}, p = {self.p_value:.3f})",
            height=340,
            autosize=True,
            margin=dict(t=60, b=70, l=40, r=20),
            legend=dict(orientation="h", x=0.0, y=-0.18, yanchor="top"),
        )
        return fig

    def __repr__(self) -> str:
        fails = ", ".join(self.failing) if self.failing else "none"
        return (
            f"QualityReport({self.verdict}, p={self.p_value:.3g}, alpha={self.alpha}, "
            f"failing: {fails})"
        )


# --------------------------------------------------------------------------
# compare
# --------------------------------------------------------------------------


def _rank_p(null: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """``(1 + #{null >= obs}) / (n + 1)`` for every column (null (n, k), obs (k,))."""
    return (1.0 + (null >= obs[None, :]).sum(axis=0)) / (null.shape[0] + 1.0)


def _null_p(null: np.ndarray) -> np.ndarray:
    """p-value of each null draw against the others, ``(1 + #{others >= it}) / n``."""
    n = null.shape[0]
    # rank from the top: number of draws >= each draw (itself included)
    order = np.sort(null, axis=0)
    ge = n - np.stack(
        [np.searchsorted(order[:, k], null[:, k], side="left") for k in range(null.shape[1])], 1
    )
    return ge / float(n)


def _default_indices(n_ch: int, dim: int) -> list[str]:
    out = ["leaders", "wavelet", "structure", "spectrum", "marginal"]
    if dim == 2:
        out.append("orientation")
    if n_ch > 1:
        out.append("cross")
    return out


def _check_indices(indices, n_ch: int, dim: int) -> list[str]:
    if indices is None:
        return _default_indices(n_ch, dim)
    if isinstance(indices, str):
        indices = [indices]
    indices = list(dict.fromkeys(indices))
    if not indices:
        raise ValueError(f"`indices` is empty; choose among {INDICES}.")
    bad = [i for i in indices if i not in INDICES]
    if bad:
        raise ValueError(f"unknown index(es) {bad}; choose among {INDICES}.")
    if "orientation" in indices and dim != 2:
        raise ValueError("index 'orientation' needs images (dim=2); drop it for signals.")
    if "cross" in indices and n_ch < 2:
        raise ValueError("index 'cross' needs at least 2 channels; drop it for one channel.")
    return indices


def compare(
    sample,
    synthesized,
    *,
    indices: Sequence[str] | None = None,
    n_null: int = 199,
    alpha: float = 0.05,
    seed: int | np.random.Generator = 0,
    dim: int | None = None,
    window: int | Sequence[int] | None = None,
    scales: tuple[int, int] | None = None,
    wavelet: str = "db3",
    q: Sequence[float] = _DEFAULT_Q,
    gamint: float = 0.0,
    null: str = "auto",
    progress: bool = True,
) -> QualityReport:
    """Calibrated test of whether a synthesis has its sample's statistics.

    Parameters
    ----------
    sample : array_like
        The reference texture: a signal ``(T,)``, a multichannel signal
        ``(C, T)`` (with ``dim=1``), an image ``(H, W)`` or a multichannel
        image ``(C, H, W)``. Finite values.
    synthesized : array_like
        The texture to judge, same layout and channels, at least the size of
        the null windows (ideally the sample's size: the statistics are
        compared as they are, and some, such as structure functions, have a
        small size-dependent bias).
    indices : sequence of str, optional
        Among :data:`INDICES`. Default: leaders, wavelet, structure, spectrum
        and marginal, plus orientation for images and cross for several
        channels.
    n_null : int, default 199
        Most null draws (pairs of disjoint windows of the sample and of the
        synthesis); fewer when fewer pairs exist (320 for the default windows
        of two images), see ``report.options["n_null"]``. p-values have a resolution of
        ``1 / (n_null + 1)``.
    alpha : float, default 0.05
        Family-wise false-alarm rate of the overall verdict.
    seed : int or Generator, default 0
        Random state of the choice of window pairs; the same seed gives the
        same report.
    dim : {None, 1, 2, 3}, optional
        1 to read a 2D array as a multichannel signal ``(C, T)``. 3: sequences
        ``(T, H, W)`` / ``(C, T, H, W)``, compared per time and space scale by
        :func:`textures_nb.spacetime.compare_sequences` (returns its result).
    window : int or tuple of int, optional
        Shape of the null windows; default half of each side for images, a
        quarter of the length for signals. At most half the sample's side
        (a third of a signal's length).
    scales : (int, int), optional
        Wavelet scales ``(j1, j2)``; default: every scale with at least 8
        leaders (3 x 3 in 2D) in a window and in the synthesis (scales 1-3
        for 256 x 256 images, 1-8 for 2**14 samples).
    wavelet : str, default "db3"
        Orthogonal PyWavelets wavelet.
    q : sequence of float
        Moment orders of the structure functions.
    gamint : float, default 0
        Fractional integration order of the wavelet coefficients (see
        :func:`textures_nb.multiscale.wavelet_coefs`); raise it for images
        with negative minimal regularity if leaders should follow the
        multifractal formalism. The comparison itself is valid either way.
    null : {"auto", "both", "sample"}, default "auto"
        Where the null pairs of windows come from. ``"both"``: the sample and
        the synthesis (false alarms held on non-stationary photographs: 1 % of
        304 tile pairs), but a *heterogeneous* synthesis (part of it right,
        part wrong, or flat patches) widens such a null with its own
        window-to-window differences and hides the defect (an fBf H = 0.7
        synthesis whose left half is H = 0.3 is "compatible"). ``"sample"``:
        the sample alone, which flags it, at the price of 12.5 % false alarms
        on photographs. ``"auto"``: ``"both"``, unless the synthesis's windows
        differ from each other more than the sample's by a factor over 20
        (ln dispersion ratio > 3, ``report.options["dispersion"]``), then
        ``"sample"`` (``report.options["null_used"]`` says which).
    progress : bool, default True
        tqdm bar over the null pairs.

    Returns
    -------
    QualityReport
        ``.different``, ``.p_value``, ``.table()``, ``.details()``, ``.plot()``.

    Raises
    ------
    ValueError
        NaN/inf values, mismatched layouts or channels, textures too small
        for the windows, the requested scales or the null distribution (fewer
        than 19 pairs of disjoint windows), unknown indices.

    Examples
    --------
    >>> from textures_nb.processes import fbf
    >>> field = fbf((256, 512), 0.7, seed=0)
    >>> report = compare(field[:, :256], field[:, 256:], n_null=99)
    >>> report.different
    False
    >>> compare(field[:, :256], fbf((256, 256), 0.4, seed=1), n_null=99).different
    True
    """
    if dim == 3:  # sequences (T, H, W): per time and space scale
        from .spacetime import compare_sequences

        return compare_sequences(sample, synthesized, wavelet=wavelet)
    x, y, dim = _prepare(sample, synthesized, dim)
    n_null = check_positive_int(n_null, "n_null", minimum=19)
    alpha = check_in_range(alpha, "alpha", 0.0, 1.0)
    rng = as_generator(seed)
    spec, window = _make_spec(x, y, dim, indices, window, scales, wavelet, q, gamint)
    fx, fy = _features(x, spec), _features(y, spec)
    if null not in ("auto", "both", "sample"):
        raise ValueError(f"`null` must be 'auto', 'both' or 'sample', got {null!r}.")
    fa, fb, src = _null_pairs(
        x, y if null != "sample" else None, spec, window, n_null, rng, progress
    )
    dispersion = _dispersion_ratio(spec.indices, fa, fb, src)
    null_used = null
    if null == "auto":
        null_used = "sample" if dispersion > _MAX_DISPERSION else "both"
        if null_used == "sample":
            fa, fb, src = _null_pairs(x, None, spec, window, n_null, rng, progress)
    stats = {
        name: _index_statistic(name, fx[name], fy[name], fa[name], fb[name])
        for name in spec.indices
    }
    names = list(spec.indices)
    p_obs, p_adj = _min_p(
        np.array([stats[n].observed for n in names]), np.stack([stats[n].null for n in names], 1)
    )
    p_overall = float(p_adj.min())
    import pandas as pd

    features, diagrams = _feature_tables(spec, fx, fy, fa, fb, stats, x.shape[0])
    return QualityReport(
        different=bool(p_overall <= alpha),
        p_value=p_overall,
        alpha=alpha,
        indices=names,
        statistic={n: stats[n].observed for n in names},
        p_values={n: float(p) for n, p in zip(names, p_obs, strict=True)},
        p_adjusted={n: float(p) for n, p in zip(names, p_adj, strict=True)},
        failing=[n for n, p in zip(names, p_adj, strict=True) if p <= alpha],
        features=pd.DataFrame(features),
        null_statistic={n: stats[n].null for n in names},
        diagrams=pd.DataFrame(diagrams),
        options={
            "n_null": len(next(iter(fa.values()))),
            "seed": seed if isinstance(seed, numbers.Integral) else None,
            "window": window,
            "segment": spec.segment,
            "scales": None if spec.scales is None else (spec.scales[0], spec.scales[-1]),
            "wavelet": spec.wavelet,
            "q": tuple(float(v) for v in spec.q),
            "dim": dim,
            "null": null,
            "null_used": null_used,
            "dispersion": dispersion,
        },
    )


def _make_spec(x, y, dim, indices, window, scales, wavelet, q, gamint) -> tuple[_Spec, tuple]:
    """Check the options against the textures; what to compute and the null window."""
    indices = _check_indices(indices, x.shape[0], dim)
    window = _check_window(window, x.shape[1:], dim)
    if any(s < w for s, w in zip(y.shape[1:], window, strict=True)):
        raise ValueError(
            f"`synthesized` of spatial shape {y.shape[1:]} is smaller than the null windows "
            f"{window}; synthesise at least the window size (ideally the sample's size)."
        )
    q = as_finite_array(q, "q", ndims=(1,))
    used_scales = None
    if _MULTISCALE & set(indices):
        used_scales = _check_scales(scales, _available_scales(window, y.shape[1:], wavelet), window)
    segment = 2 ** int(math.floor(math.log2(max(min(window) / (4 if dim == 2 else 16), 1))))
    if {"spectrum", "orientation"} & set(indices) and segment < 8:
        raise ValueError(
            f"null windows of shape {window} are too small for the spectral indices (Welch "
            "segments under 8 samples); use larger textures or drop 'spectrum'/'orientation'."
        )
    return _Spec(indices, dim, used_scales, wavelet, q, float(gamint), segment), window


def _window_pairs(a: np.ndarray, window, n_pos: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs of disjoint windows of ``a`` (grid of starts) and the windows' starts;
    windows with a constant channel (a flat patch of a synthesis) have no texture to
    analyse and are left out."""
    starts = _window_starts(a.shape[1:], window, n_pos)
    pairs, pos = _disjoint_pairs(starts, window)
    flat = np.array(
        [np.any(np.ptp(_crop(a, p, window).reshape(a.shape[0], -1), 1) == 0) for p in pos]
    )
    if flat.any():
        pairs = pairs[~flat[pairs].any(axis=1)]
    return pairs, pos


def _null_pairs(x, y, spec: _Spec, window, n_null: int, rng, progress: bool):
    """Features of the two windows of each null pair, ``{index: (n_pairs, n_feat)}`` twice.

    Pairs of disjoint windows are cut from the sample and, when it holds two disjoint
    windows, from the synthesis too (never one window from each): the null then holds the
    between-window variability of both textures, so a sample that happens to be more
    homogeneous than its synthesis (a quieter quadrant of a photograph) does not make the
    test anticonservative. At most ``n_null`` pairs, drawn without replacement.
    """
    n_pos = _N_POS[spec.dim]
    sources = []
    for k, a in enumerate((x,) if y is None else (x, y)):
        pairs, pos = _window_pairs(a, window, n_pos)
        if k == 0 and len(pairs) < 19:
            raise ValueError(
                f"only {len(pairs)} pairs of disjoint windows of shape {window} fit in `sample`; "
                "the null distribution needs at least 19: use a larger sample or smaller windows."
            )
        if len(pairs):
            sources.append((a, pairs, pos))
    total = sum(len(p) for _, p, _ in sources)
    keep = np.sort(rng.choice(total, min(n_null, total), replace=False))
    fa: dict[str, list] = {}
    fb: dict[str, list] = {}
    offset = 0
    src: list[int] = []
    bar = tqdm(total=len(keep), desc="null pairs", disable=not progress, leave=False)
    for k, (a, pairs, pos) in enumerate(sources):
        mine = pairs[keep[(keep >= offset) & (keep < offset + len(pairs))] - offset]
        offset += len(pairs)
        src += [k] * len(mine)
        cache = {int(i): _features(_crop(a, pos[i], window), spec) for i in np.unique(mine)}
        for i, j in mine:
            for n in cache[int(i)]:
                fa.setdefault(n, []).append(cache[int(i)][n])
                fb.setdefault(n, []).append(cache[int(j)][n])
            bar.update()
    bar.close()
    return (
        {n: np.stack(v) for n, v in fa.items()},
        {n: np.stack(v) for n, v in fb.items()},
        np.asarray(src, dtype=int),
    )


def _dispersion_ratio(indices, fa, fb, src: np.ndarray) -> float:
    """How much more the synthesis's windows differ from each other than the sample's.

    Per index, the mean over features of ``ln(D_synthesis / D_sample)``, where ``D`` is a
    feature's mean discrepancy over the null pairs cut from that texture; the largest over
    the indices is returned (0 when the null holds pairs of one texture only).
    """
    if not (np.any(src == 0) and np.any(src == 1)):
        return 0.0
    out = []
    for name in indices:
        e = _discrepancy(name, fa[name], fb[name])
        dx = np.maximum(e[src == 0].mean(axis=0), 1e-300)
        dy = np.maximum(e[src == 1].mean(axis=0), 1e-300)
        out.append(float(np.mean(np.log(dy / dx))))
    return max(out)


@dataclass
class _IndexStat:
    """One index: observed and null statistics, per-feature discrepancy, scale and p-values."""

    observed: float
    null: np.ndarray
    discrepancy: np.ndarray  # observed per-feature discrepancy
    null_discrepancy: np.ndarray  # (n_null, n_feat)
    rms: np.ndarray  # per-feature null root mean square
    p_feature: np.ndarray


def _index_statistic(name: str, fx, fy, fa, fb) -> _IndexStat:
    """Per-feature discrepancies scaled by their null RMS, combined as mean ``log(1 + z**2)``
    (one erratic feature cannot decide alone); the same for every null pair."""
    e_obs = _discrepancy(name, fx, fy)
    e_null = _discrepancy(name, fa, fb)
    rms = np.sqrt(np.maximum(e_null.mean(axis=0), 1e-300))
    return _IndexStat(
        observed=float(np.mean(np.log1p(e_obs / rms**2))),
        null=np.mean(np.log1p(e_null / rms**2), axis=1),
        discrepancy=e_obs,
        null_discrepancy=e_null,
        rms=rms,
        p_feature=_rank_p(e_null, e_obs),
    )


def _min_p(obs: np.ndarray, null: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Raw rank p-values of the observed statistics ``(k,)`` against the null draws
    ``(n, k)`` and their single-step min-p adjustment (Westfall & Young)."""
    p_obs = _rank_p(null, obs)
    min_p_null = _null_p(null).min(axis=1)
    p_adj = (1.0 + (min_p_null[:, None] <= p_obs[None, :]).sum(axis=0)) / (null.shape[0] + 1.0)
    return p_obs, p_adj


def _feature_tables(spec: _Spec, fx, fy, fa, fb, stats, n_ch: int):
    """Rows of ``QualityReport.features`` and ``.diagrams``."""
    rows, diagram_rows = [], []
    for name in spec.indices:
        st = stats[name]
        if name == "marginal":
            e_null = st.null_discrepancy
            z = (st.discrepancy - e_null.mean(axis=0)) / np.maximum(e_null.std(axis=0), 1e-300)
            vx, vy = np.zeros_like(st.discrepancy), st.discrepancy
        else:
            z = (fy[name] - fx[name]) / st.rms
            vx, vy = fx[name], fy[name]
        if name in _DIAGRAMS:
            d = f"{name}/diagram" if f"{name}/diagram" in fx else name
            diagram_rows += _diagram_rows(name, fx[d], fy[d], fa[d] - fb[d], spec, n_ch)
        for k, lab in enumerate(_feature_labels(name, spec, n_ch)):
            rows.append(
                {
                    "index": name,
                    **lab,
                    "sample": float(vx[k]),
                    "synthesis": float(vy[k]),
                    "null_rms": float(st.rms[k]),
                    "z": float(z[k]),
                    "p_value": float(st.p_feature[k]),
                }
            )
    return rows, diagram_rows


# --------------------------------------------------------------------------
# A priori indices: the loss trajectory
# --------------------------------------------------------------------------


def _loss_series(losses) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """Named loss series and optional step numbers from an array, a dict or a result object."""
    if hasattr(losses, "losses") and not isinstance(losses, (dict, np.ndarray, list, tuple)):
        losses = losses.losses
    if isinstance(losses, dict):
        steps = losses.get("step")
        series = {k: v for k, v in losses.items() if k != "step"}
        if not series:
            raise ValueError(
                "`losses` dict holds no loss series (only 'step'); expected e.g. "
                "{'step': ..., 'loss_g': ..., 'loss_d': ...}."
            )
    else:
        steps, series = None, {"loss": losses}
    out = {str(k): as_finite_array(v, f"losses[{k!r}]", ndims=(1,)) for k, v in series.items()}
    lengths = {v.size for v in out.values()}
    if len(lengths) != 1:
        raise ValueError(f"the loss series have different lengths {sorted(lengths)}.")
    if steps is not None:
        steps = as_finite_array(steps, "losses['step']", ndims=(1,))
        if steps.size != lengths.pop():
            raise ValueError("`losses['step']` must have one entry per loss value.")
    return out, steps


def loss_indices(losses, tail: float = 0.2):
    """A priori quality indices of a loss trajectory: level, trend and spread over its tail.

    Parameters
    ----------
    losses : array_like, dict or object with ``.losses``
        A 1D loss per iteration (e.g. ``SynthesisResult.losses``), or a dict
        of 1D arrays of equal length (a trained generator's ``.losses`` with
        keys ``"step"``, ``"loss_g"``, ``"loss_d"``; ``"step"`` gives the x
        axis), or any object with such a ``.losses`` attribute.
    tail : float, default 0.2
        Fraction of the last entries summarised (at least 3 entries).

    Returns
    -------
    pandas.DataFrame
        One row per series (``"loss"`` for a 1D input) with ``level`` (mean
        of ``log10(loss)`` over the tail; of the loss itself when it takes
        non-positive values, see ``scale``), ``trend`` (change of that
        quantity across the tail, from a least-squares line: negative means
        still decreasing), ``spread`` (standard deviation of the residuals
        around the line), ``n_tail`` and ``scale`` ("log10" or "linear").

    Raises
    ------
    ValueError
        Fewer than 3 entries, NaN/inf, series of different lengths.

    Examples
    --------
    >>> import numpy as np
    >>> df = loss_indices(np.geomspace(1.0, 1e-3, 100))
    >>> round(float(df.loc["loss", "level"]), 2), round(float(df.loc["loss", "trend"]), 2)
    (-2.71, -0.58)
    """
    import pandas as pd

    tail = check_in_range(tail, "tail", 0.0, 1.0, high_inclusive=True)
    series, steps = _loss_series(losses)
    rows = []
    for name, v in series.items():
        if v.size < 3:
            raise ValueError(
                f"loss series {name!r} has {v.size} value(s); the a priori indices need at "
                "least 3 (run more iterations)."
            )
        n_tail = max(3, math.ceil(tail * v.size))
        x = (steps if steps is not None else np.arange(v.size, dtype=float))[-n_tail:]
        y = v[-n_tail:]
        log = bool(np.all(y > 0))
        y = np.log10(y) if log else y
        if np.ptp(x) == 0:
            raise ValueError("`losses['step']` is constant over the tail; steps must increase.")
        slope, icpt = np.polyfit(x, y, 1)
        resid = y - (slope * x + icpt)
        rows.append(
            {
                "series": name,
                "level": float(y.mean()),
                "trend": float(slope * (x[-1] - x[0])),
                "spread": float(resid.std(ddof=2) if n_tail > 2 else 0.0),
                "n_tail": n_tail,
                "scale": "log10" if log else "linear",
            }
        )
    return pd.DataFrame(rows).set_index("series")


@dataclass
class LossQualityStudy:
    """A priori (loss) versus a posteriori (:func:`compare`) indices over checkpoints.

    Attributes
    ----------
    rows : pandas.DataFrame
        One row per (seed, iteration): ``loss`` (last value), ``level``,
        ``trend``, ``spread`` (from :func:`loss_indices`), ``score`` (the
        a posteriori :attr:`QualityReport.score`), ``p_value``, ``different``;
        :meth:`table` returns it.
    spearman : pandas.DataFrame
        Spearman rank correlation (``rho``, ``p_value``) of each a priori
        index with ``score``.

    Examples
    --------
    >>> from textures_nb.processes import fbf
    >>> from textures_nb.quality import loss_vs_quality
    >>> study = loss_vs_quality(fbf((64, 64), 0.7, seed=0), checkpoints=(3, 6), seeds=(0,),
    ...                         n_null=19, progress=False)
    >>> len(study.rows)
    2
    """

    rows: Any = field(repr=False)
    spearman: Any = field(repr=False)

    def table(self):
        """One row per (seed, iteration): loss, a priori indices, score, p-value, verdict."""
        return self.rows.copy()

    def __repr__(self) -> str:
        rho = ", ".join(f"{k} {v:+.2f}" for k, v in self.spearman["rho"].items())
        return (
            f"LossQualityStudy({len(self.rows)} checkpoints, "
            f"{self.rows['seed'].nunique()} seed(s); Spearman rho with score: {rho})"
        )

    def plot(self, x: str = "level", *, title: str | None = None):
        """Plotly scatter of an a priori index against the a posteriori score (log axis)."""
        import plotly.graph_objects as go

        if x not in ("level", "trend", "spread", "loss"):
            raise ValueError(f"`x` must be 'level', 'trend', 'spread' or 'loss', got {x!r}.")
        fig = go.Figure()
        for seed, sub in self.rows.groupby("seed"):
            fig.add_trace(
                go.Scatter(
                    x=sub[x],
                    y=sub["score"],
                    mode="markers+text",
                    text=[str(i) for i in sub["iteration"]],
                    textposition="top center",
                    name=f"seed {seed}",
                )
            )
        fig.add_hline(y=1.0, line_dash="dot", annotation_text="same process (score ~ 1)")
        rho = self.spearman.loc[x, "rho"] if x in self.spearman.index else float("nan")
        fig.update_layout(
            title=title or f"A priori {x} vs a posteriori score (Spearman rho = {rho:.2f})",
            xaxis_title=f"a priori: {x}",
            yaxis_title="a posteriori score",
            yaxis_type="log",
            height=380,
        )
        return fig


def _spearman(table, columns=("loss", "level", "trend", "spread")):
    import pandas as pd
    from scipy import stats

    rows = []
    for c in columns:
        res = stats.spearmanr(table[c], table["score"])
        rows.append({"index": c, "rho": float(res.statistic), "p_value": float(res.pvalue)})
    return pd.DataFrame(rows).set_index("index")


def loss_vs_quality(
    target,
    *,
    method: str = "gram",
    checkpoints: Sequence[int] = (5, 10, 20, 40, 80),
    seeds: Sequence[int] = (0,),
    dim: int | None = None,
    tail: float = 0.2,
    n_null: int = 99,
    indices: Sequence[str] | None = None,
    progress: bool = True,
    **options: Any,
) -> LossQualityStudy:
    """Record syntheses at several iterations and relate their loss to their measured quality.

    Parameters
    ----------
    target : array_like
        The sample, any layout of :func:`~textures_nb.synthesis.synthesize`.
    method : str, default "gram"
        An optimised synthesis method (one with a loss per iteration:
        ``"gram"``, ``"swd"``, ``"vgg"``, ``"iaaft"``, ``"ps"``).
    checkpoints : sequence of int
        Iterations (>= 3) at which the texture is captured (via the
        synthesis ``callback``); the synthesis runs ``max(checkpoints)``
        iterations once per seed.
    seeds : sequence of int
        One synthesis per seed (the seed also drives :func:`compare`).
    dim, tail, n_null, indices
        As in :func:`synthesize`, :func:`loss_indices` and :func:`compare`.
    progress : bool, default True
        Progress bar over seeds and checkpoints.
    **options
        Further options of :func:`~textures_nb.synthesis.synthesize`.

    Returns
    -------
    LossQualityStudy
        ``.table()``, ``.spearman`` (rank correlation of each a priori index
        with the a posteriori score) and ``.plot()``.

    Examples
    --------
    >>> from textures_nb.processes import fbf
    >>> study = loss_vs_quality(fbf((64, 64), 0.7, seed=0), checkpoints=(3, 6), progress=False)
    >>> list(study.table()["iteration"])
    [3, 6]
    """
    import pandas as pd

    from .synthesis import synthesize

    if method == "phase":
        raise ValueError("method='phase' has no loss; use an optimised method such as 'gram'.")
    try:
        checkpoints = sorted({check_positive_int(c, "checkpoints", minimum=3) for c in checkpoints})
        seeds = [check_positive_int(s, "seeds", minimum=0) for s in seeds]
    except TypeError:
        raise TypeError("`checkpoints` and `seeds` must be sequences of integers.") from None
    if not checkpoints or not seeds:
        raise ValueError("`checkpoints` and `seeds` must not be empty.")
    rows = []
    bar = tqdm(total=len(seeds) * len(checkpoints), disable=not progress, desc="loss vs quality")
    for seed in seeds:
        captured: dict[int, np.ndarray] = {}

        def keep(iteration, texture, loss, captured=captured):
            if iteration in checkpoints:
                captured[iteration] = np.array(texture, copy=True)

        res = synthesize(
            target,
            method=method,
            n_iter=checkpoints[-1],
            seed=seed,
            dim=dim,
            callback=keep,
            progress=False,
            **options,
        )
        losses = np.asarray(res.losses, dtype=float)
        for it in checkpoints:
            if it not in captured:
                raise ValueError(
                    f"method {method!r} did not report iteration {it} to the callback; choose "
                    "checkpoints it reports (e.g. multiples of callback_every for 'ps')."
                )
            li = loss_indices(losses[: it + 1], tail=tail).iloc[0]
            rep = compare(target, captured[it], n_null=n_null, seed=seed, indices=indices, dim=dim)
            rows.append(
                {
                    "seed": seed,
                    "iteration": it,
                    "loss": float(losses[it]) if it < losses.size else float(losses[-1]),
                    "level": li["level"],
                    "trend": li["trend"],
                    "spread": li["spread"],
                    "score": rep.score,
                    "p_value": rep.p_value,
                    "different": rep.different,
                }
            )
            bar.update()
    bar.close()
    table = pd.DataFrame(rows)
    return LossQualityStudy(rows=table, spearman=_spearman(table))


def generator_quality(
    run,
    sample,
    *,
    n: int = 4,
    seed: int | np.random.Generator = 0,
    tail: float = 0.2,
    n_null: int = 99,
    indices: Sequence[str] | None = None,
    dim: int | None = None,
    window: int | Sequence[int] | None = None,
):
    """A priori (late-epoch losses) and a posteriori indices of a trained generator.

    Parameters
    ----------
    run : object
        A trained generative model with ``.losses`` (dict of 1D arrays with
        keys ``"step"``, ``"loss_g"``, ``"loss_d"``) and
        ``.sample(n, seed) -> ndarray (n, *item_shape)``.
    sample : array_like
        The training texture (reference of :func:`compare`).
    n : int, default 4
        Generated textures judged; each is compared with ``sample``.
    seed : int or Generator, default 0
        Seed of the generation and of the comparisons (a Generator gives one
        integer draw).
    tail, n_null, indices, dim
        As in :func:`loss_indices` and :func:`compare`.
    window : int or tuple of int, optional
        Null windows of :func:`compare`; default: its default, or the
        generated textures' shape when they are smaller (a generator trained
        on patches), so that the null compares windows of their size.

    Returns
    -------
    pandas.DataFrame
        One row: ``level``, ``trend``, ``spread`` of each loss series
        (columns ``loss_g_level`` ...), ``score`` (mean a posteriori score
        over the ``n`` textures) and ``flagged`` (fraction flagged).

    Examples
    --------
    >>> from textures_nb.generative import DCGANConfig, mrw_dataset, train
    >>> from textures_nb.quality import generator_quality
    >>> data = mrw_dataset(8, 64, 0.8, 0.2, seed=0)
    >>> run = train(data, DCGANConfig(width=4, latent=8, epochs=1, batch_size=2), progress=False)
    >>> row = generator_quality(run, data[0], n=2, n_null=19)
    >>> len(row), "score" in row.columns
    (1, True)
    """
    import pandas as pd

    if not hasattr(run, "losses") or not callable(getattr(run, "sample", None)):
        raise TypeError("`run` must have `.losses` (dict) and `.sample(n, seed)`.")
    n = check_positive_int(n, "n")
    li = loss_indices(run.losses, tail=tail)
    row: dict[str, Any] = {}
    for name, r in li.iterrows():
        for col in ("level", "trend", "spread"):
            row[f"{name}_{col}"] = float(r[col])
    seed = torch_seed(seed)
    textures = np.asarray(run.sample(n, seed=seed))
    if window is None:
        x, y, d = _prepare(sample, textures[0], dim)
        default = _default_window(x.shape[1:], d)
        if any(s < w for s, w in zip(y.shape[1:], default, strict=True)):
            window = tuple(min(s, w) for s, w in zip(y.shape[1:], x.shape[1:], strict=True))
    reps = [
        compare(sample, t, n_null=n_null, seed=seed + i, indices=indices, dim=dim, window=window)
        for i, t in enumerate(textures)
    ]
    row["score"] = float(np.mean([r.score for r in reps]))
    row["flagged"] = float(np.mean([r.different for r in reps]))
    return pd.DataFrame([row])
