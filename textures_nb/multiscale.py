"""Multiscale analysis: wavelet coefficients, wavelet leaders and log-cumulants.

The statistics toolbox of wavelet-based multifractal analysis (Abry, Wendt,
Jaffard et al.) for 1D signals ``(T,)`` and 2D images ``(H, W)``, and its
bivariate extension for multichannel data ``(C, T)`` or ``(C, H, W)``.

Conventions
-----------
- Scale ``j = 1`` is the finest octave; the wavelet at scale ``j`` spans about
  ``2**j`` samples (pixels).
- Coefficients are L1-normalised: for fractional Brownian motion (field) of
  Hurst index ``H``, ``|d(j, k)| ~ 2**(j H)``, so that ``c1`` estimates ``H``.
- Borders: the discrete wavelet transform is computed with *valid*
  convolutions only. No coefficient ever sees a padded, mirrored or
  periodised sample, so a non-periodic crop of a field gives the same
  estimates as a periodic one (periodisation would bias ``c1`` by ~0.1).
- Log-cumulants ``c_m`` are the slopes, in ``ln 2`` units, of the per-scale
  cumulants ``C_m(j)`` of ``ln L(j, .)`` (leaders ``L`` or coefficients
  ``|d|``): ``C_m(j) = C_m^0 + c_m j ln 2``, fitted with ``sqrt(n_j)`` weights.
- Leaders in the estimators take the sup over scales ``j0..j`` only: the
  finest octave of sampled data is aliased and would decide the leaders
  several octaves up. ``j0`` defaults to 2 when the fit starts at ``j1 = 3``
  (rule and measurements: :func:`log_cumulants`,
  ``benchmarks/results_multiscale.md``); :func:`wavelet_leaders` keeps the
  textbook ``j0 = 1``.

References
----------
Wendt, Abry, Jaffard (2007), "Bootstrap for empirical multifractal analysis",
IEEE Signal Processing Magazine 24(4). Wendt, Roux, Jaffard, Abry (2009),
"Wavelet leaders and bootstrap for multifractal analysis of images", Signal
Processing 89. Jaffard, Seuret, Wendt, Leonarduzzi, Abry (2019), "Multivariate
multifractal analysis", Applied and Computational Harmonic Analysis 46.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from ._checks import as_finite_array, as_generator, check_in_range, check_positive_int
from ._shared.wavelets import filter_step as _filter_step
from ._shared.wavelets import n_details as _n_details
from ._shared.wavelets import scale_pair as _scale_pair
from ._shared.wavelets import slopes as _slopes
from ._shared.wavelets import wavelet as _wavelet

__all__ = [
    "WaveletCoefs",
    "wavelet_coefs",
    "wavelet_leaders",
    "max_scale",
    "LogCumulants",
    "log_cumulants",
    "StructureFunctions",
    "structure_functions",
    "MultifractalSpectrum",
    "multifractal_spectrum",
    "JointLogCumulants",
    "MultichannelLogCumulants",
    "multichannel_log_cumulants",
    "spacetime_exponents",
]

_MIN_LEADERS_1D = 8  # fewest leaders per scale (per side in 2D) we accept at j2
_MIN_LEADERS_2D = 2


# --------------------------------------------------------------------------
# Wavelet coefficients
# --------------------------------------------------------------------------


@dataclass
class WaveletCoefs:
    """Discrete wavelet coefficients of a 1D signal or a 2D image.

    Attributes
    ----------
    details : list of ndarray
        ``details[j - 1]`` holds the coefficients at scale ``j``: shape
        ``(n_j,)`` for a signal, ``(3, n_j, m_j)`` for an image (orientations
        horizontal, vertical, diagonal). L1-normalised and multiplied by
        ``2**(gamint * j)``.
    wavelet : str
        PyWavelets name of the wavelet.
    gamint : float
        Fractional integration order applied.
    dim : int
        1 for signals, 2 for images.

    Examples
    --------
    >>> from textures_nb.processes import fbm
    >>> from textures_nb.multiscale import wavelet_coefs
    >>> coefs = wavelet_coefs(fbm(1024, 0.7, seed=0))
    >>> len(coefs.details), coefs.details[0].shape, coefs.dim
    (7, (510,), 1)
    """

    details: list[np.ndarray] = field(repr=False)
    wavelet: str
    gamint: float
    dim: int

    def __repr__(self) -> str:
        first = self.details[0].shape if self.details else ()
        return (
            f"WaveletCoefs({self.wavelet}, scales 1..{self.j_max}, finest {first}, "
            f"gamint={self.gamint:g}, dim={self.dim})"
        )

    @property
    def ndim(self) -> int:
        """Former name of ``dim`` (kept for old code)."""
        return self.dim

    @property
    def j_max(self) -> int:
        """Coarsest scale computed."""
        return len(self.details)

    def magnitudes(self, j: int) -> np.ndarray:
        """``|d(j, .)|`` flattened over positions (and orientations in 2D)."""
        return np.abs(self.details[j - 1]).ravel()


def max_scale(n: int, *, wavelet: str = "db3", dim: int = 1, ndim: int | None = None) -> int:
    """Coarsest scale whose leaders are numerous enough for estimation.

    Parameters
    ----------
    n : int
        Signal length (samples) or smaller image side (pixels).
    wavelet : str
        PyWavelets name.
    dim : {1, 2}
        Signal or image.
    ndim : {1, 2}, optional
        Deprecated name of ``dim``.

    Returns
    -------
    int
        Largest ``j`` with at least 8 leaders (1D) or 2x2 leaders (2D);
        0 if none.

    Examples
    --------
    >>> from textures_nb.multiscale import max_scale
    >>> max_scale(4096), max_scale(256, dim=2)
    (8, 5)
    """
    if ndim is not None:
        warnings.warn(
            "max_scale(..., ndim=) is deprecated; pass dim= (same meaning).",
            DeprecationWarning,
            stacklevel=2,
        )
        dim = ndim
    if dim not in (1, 2):
        raise ValueError(f"`dim` must be 1 (signal) or 2 (image), got {dim!r}.")
    n = check_positive_int(n, "n")
    n_taps = _wavelet(wavelet).dec_len
    need = _MIN_LEADERS_1D if dim == 1 else _MIN_LEADERS_2D
    j = 0
    while _n_details(n, n_taps, j + 1) - 2 >= need:
        j += 1
    return j


def _min_length(j2: int, n_taps: int, ndim: int) -> int:
    need = _MIN_LEADERS_1D if ndim == 1 else _MIN_LEADERS_2D
    n = need + 2
    for _ in range(j2):
        n = 2 * (n - 1) + n_taps
    return n


def _as_signal_or_image(x, name: str = "x") -> np.ndarray:
    arr = np.asarray(x) if not isinstance(x, (str, bytes)) else x
    if isinstance(arr, np.ndarray) and arr.ndim == 3:
        raise ValueError(
            f"`{name}` has shape {arr.shape}: 3 dimensions look like a multichannel "
            "image (C, H, W); use multichannel_log_cumulants for it, or pass one "
            "channel x[c]."
        )
    arr = as_finite_array(x, name, ndims=(1, 2))
    if np.ptp(arr) == 0:
        raise ValueError(
            f"`{name}` is constant (every value equals {arr.flat[0]!r}): it has no multiscale "
            "structure to analyse. Check that the right array was passed."
        )
    return arr


def wavelet_coefs(
    x,
    *,
    wavelet: str = "db3",
    j2: int | None = None,
    gamint: float = 0.0,
) -> WaveletCoefs:
    """Discrete wavelet coefficients of a signal or an image, free of border effects.

    Parameters
    ----------
    x : array_like, shape (T,) or (H, W)
        Signal (samples) or grayscale image (pixels). Must be finite.
    wavelet : str, default "db3"
        Orthogonal PyWavelets wavelet; ``dbN`` has N vanishing moments.
    j2 : int, optional
        Coarsest scale to compute; default: as many as the data allow.
    gamint : float, default 0
        Fractional integration order: coefficients are multiplied by
        ``2**(gamint * j)``, which shifts every Hoelder exponent by ``gamint``
        (use it when the minimal regularity is not positive).

    Returns
    -------
    WaveletCoefs
        ``details[j - 1]`` of shape ``(n_j,)`` (1D) or ``(3, n_j, m_j)`` (2D).

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.multiscale import wavelet_coefs
    >>> coefs = wavelet_coefs(np.random.default_rng(0).standard_normal(1024).cumsum())
    >>> coefs.details[0].shape
    (510,)
    """
    arr = _as_signal_or_image(x)
    w = _wavelet(wavelet)
    gamint = check_in_range(gamint, "gamint", -2.0, 5.0, low_inclusive=True, high_inclusive=True)
    lo = np.asarray(w.dec_lo) / math.sqrt(2.0)  # L1 normalisation: lo sums to 1
    hi = np.asarray(w.dec_hi) / math.sqrt(2.0)
    n_taps = lo.size
    available = max(_n_levels(arr.shape, n_taps), 0)
    if available == 0:
        raise ValueError(
            f"`x` of shape {arr.shape} is too short for even one scale of the "
            f"{wavelet!r} wavelet ({n_taps} taps); use at least "
            f"{_min_length(1, n_taps, arr.ndim)} samples per side."
        )
    if j2 is None:
        j2 = available
    else:
        j2 = check_positive_int(j2, "j2")
        if j2 > available:
            raise ValueError(
                f"`j2`={j2} needs at least {_min_length(j2, n_taps, arr.ndim)} samples "
                f"per side with {wavelet!r}, but `x` has shape {arr.shape}; lower j2 to "
                f"<= {available} or use a longer signal / larger image."
            )

    details = []
    approx = arr
    for j in range(1, j2 + 1):
        gain = 2.0 ** (gamint * j)
        if arr.ndim == 1:
            approx, d = _filter_step(approx, lo, hi, axis=0)
            details.append(d * gain)
        else:
            low_r, high_r = _filter_step(approx, lo, hi, axis=0)
            ll, lh = _filter_step(low_r, lo, hi, axis=1)
            hl, hh = _filter_step(high_r, lo, hi, axis=1)
            details.append(np.stack([lh, hl, hh]) * gain)
            approx = ll
    return WaveletCoefs(details=details, wavelet=wavelet, gamint=gamint, dim=arr.ndim)


def _n_levels(shape: tuple[int, ...], n_taps: int) -> int:
    """Scales with at least 3 coefficients per side (one leader after the 3-max)."""
    n = min(shape)
    j = 0
    while _n_details(n, n_taps, j + 1) >= 3:
        j += 1
    return j


# --------------------------------------------------------------------------
# Wavelet leaders
# --------------------------------------------------------------------------


def _leaders_from_coefs(coefs: WaveletCoefs, j0: int = 1) -> list[np.ndarray]:
    """Leaders: sup of |d| over the 3 (3x3) neighbouring intervals and the finer scales
    down to ``min(j, j0)`` (``j0 = 1``: all finer scales, the textbook definition)."""
    leaders = []
    finer = None  # sup over the dyadic interval and its descendants, previous scale
    for j, d in enumerate(coefs.details, start=1):
        if j <= j0:
            finer = None  # scales finer than j0 stay out of the sup
        if coefs.ndim == 1:
            local = np.abs(d)
            if finer is not None:
                n = local.size
                local = np.maximum(local, np.maximum(finer[0 : 2 * n : 2], finer[1 : 2 * n : 2]))
            finer = local
            lead = np.maximum(np.maximum(local[:-2], local[1:-1]), local[2:])
        else:
            local = np.abs(d).max(axis=0)
            if finer is not None:
                n, m = local.shape
                block = np.maximum(
                    np.maximum(
                        finer[0 : 2 * n : 2, 0 : 2 * m : 2], finer[1 : 2 * n : 2, 0 : 2 * m : 2]
                    ),
                    np.maximum(
                        finer[0 : 2 * n : 2, 1 : 2 * m : 2], finer[1 : 2 * n : 2, 1 : 2 * m : 2]
                    ),
                )
                local = np.maximum(local, block)
            finer = local
            rows = np.maximum(np.maximum(local[:-2], local[1:-1]), local[2:])
            lead = np.maximum(np.maximum(rows[:, :-2], rows[:, 1:-1]), rows[:, 2:])
        leaders.append(lead)
    return leaders


def wavelet_leaders(
    x,
    *,
    wavelet: str = "db3",
    j2: int | None = None,
    gamint: float = 0.0,
    j0: int = 1,
) -> list[np.ndarray]:
    """Wavelet leaders of a signal or image.

    ``L(j, k)`` is the largest ``|d|`` over the 3 neighbouring dyadic intervals
    (3x3 squares and the 3 orientations in 2D) at scale ``j`` and the finer
    scales ``j' >= j0`` inside them (at ``j < j0``: scale ``j`` alone).

    Parameters
    ----------
    x : array_like, shape (T,) or (H, W)
        Signal or grayscale image, or a :class:`WaveletCoefs`.
    wavelet, j2, gamint
        As in :func:`wavelet_coefs` (ignored when ``x`` is already coefficients).
    j0 : int, default 1
        Finest scale that enters the leaders. 1 is the textbook definition;
        :func:`log_cumulants` raises it by default to keep the aliased finest
        octaves of sampled data out of the leaders.

    Returns
    -------
    list of ndarray
        ``leaders[j - 1]`` of shape ``(n_j - 2,)`` or ``(n_j - 2, m_j - 2)``.

    Examples
    --------
    >>> from textures_nb.processes import fbm
    >>> from textures_nb.multiscale import wavelet_leaders
    >>> leaders = wavelet_leaders(fbm(1024, 0.7, seed=0), j2=4)
    >>> [L.shape for L in leaders]
    [(508,), (251,), (122,), (58,)]
    """
    coefs = (
        x
        if isinstance(x, WaveletCoefs)
        else wavelet_coefs(x, wavelet=wavelet, j2=j2, gamint=gamint)
    )
    return _leaders_from_coefs(coefs, check_positive_int(j0, "j0"))


# --------------------------------------------------------------------------
# Multiresolution quantities and block labels (shared by all estimators)
# --------------------------------------------------------------------------


@dataclass
class _Multires:
    """Positive multiresolution quantity (leaders or |d|) per scale, flattened."""

    values: list[np.ndarray]  # values[j - 1], flattened, strictly positive
    labels: list[np.ndarray]  # bootstrap block label of each value
    n_blocks: int
    ndim: int
    gamint: float = 0.0

    def logs(self) -> list[np.ndarray]:
        """``ln`` of the values, with the fractional integration undone.

        Statistics of ``ln L - gamint j ln 2`` refer to the analysed signal itself.
        """
        ln2 = math.log(2.0)
        return [np.log(v) - self.gamint * j * ln2 for j, v in enumerate(self.values, start=1)]


def _block_labels(shape: tuple[int, ...], j: int, jb: int, offset: int, n_side: tuple[int, ...]):
    """Label of the bootstrap block (a dyadic interval/square at scale ``jb``) of each value."""
    ratio = 2.0 ** (j - jb)
    idx = [
        np.minimum(((np.arange(s) + offset) * ratio).astype(int), ns - 1)
        for s, ns in zip(shape, n_side, strict=True)
    ]
    if len(shape) == 1:
        return idx[0]
    return (idx[0][:, None] * n_side[1] + idx[1][None, :]).ravel()


def _multires(
    coefs: WaveletCoefs,
    leaders: bool,
    j_hi: int,
    what: str = "x",
    scale: float = 0.0,
    j0: int = 1,
) -> _Multires:
    """Leaders or |d| per scale, without zeros, with bootstrap block labels.

    ``scale`` is the data's magnitude (max |x|): quantities below 1e-11 of it
    are rounding noise on flat regions and count as exact zeros.
    """
    zero_tol = 1e-11 * scale
    if leaders:
        raw = _leaders_from_coefs(coefs, j0)
        offset = 1  # leader k sits on interval k + 1 (3-neighbourhood trimmed)
        shapes = [r.shape for r in raw]
    else:
        raw = [np.abs(d) for d in coefs.details]
        offset = 0
        shapes = [r.shape[1:] if coefs.ndim == 2 else r.shape for r in raw]

    # blocks: dyadic intervals at the coarsest fitted scale, refined while too few
    jb = j_hi
    n_side = tuple(max(s, 1) for s in shapes[jb - 1])
    while int(np.prod(n_side)) < 32 and jb > 1:
        jb -= 1
        n_side = tuple(max(s, 1) for s in shapes[jb - 1])
    values, labels = [], []
    for j, r in enumerate(raw, start=1):
        lab = _block_labels(shapes[j - 1], j, jb, offset, n_side)
        if not leaders and coefs.ndim == 2:
            lab = np.tile(lab, 3)
        v = r.ravel()
        # rounding leaves ~1e-16 instead of exact zeros on flat regions
        keep = v > zero_tol
        if not np.all(keep):
            n_zero = v.size - int(keep.sum())
            if n_zero > v.size // 2:
                n_moments = _wavelet(coefs.wavelet).vanishing_moments_psi
                raise ValueError(
                    f"`{what}` has no fluctuation the wavelet sees at scale j={j} "
                    f"({n_zero} of {v.size} wavelet quantities are 0 up to rounding): it is "
                    "locally a polynomial the wavelet cancels (a constant, a linear trend, "
                    f"any polynomial of degree < {n_moments} for {coefs.wavelet!r}) or flat "
                    "or saturated; multiscale statistics are undefined there. Check the "
                    "data or use coarser scales."
                )
            warnings.warn(
                f"{n_zero} of {v.size} wavelet quantities at scale j={j} are exactly 0 "
                "(flat regions); they are left out of the log-statistics.",
                RuntimeWarning,
                stacklevel=4,
            )
            v, lab = v[keep], lab[keep]
        values.append(v)
        labels.append(lab)
    return _Multires(
        values=values,
        labels=labels,
        n_blocks=int(np.prod(n_side)),
        ndim=coefs.ndim,
        gamint=coefs.gamint,
    )


def _check_scales(scales, shape, wavelet: str, ndim: int) -> tuple[int, int]:
    n_taps = _wavelet(wavelet).dec_len
    if scales is None:
        j2 = max_scale(min(shape), wavelet=wavelet, dim=ndim)
        # the finest octaves of sampled data are inflated by aliasing: skip them
        j1_pref = 3 if ndim == 1 else 2
        j1 = min(j1_pref, j2 - 1)
        if j1 < 1:
            raise ValueError(
                f"`x` of shape {tuple(shape)} is too small for a multiscale analysis "
                f"with {wavelet!r}: a slope needs two scales, which takes at least "
                f"{_min_length(2, n_taps, ndim)} samples per side (the default fit on "
                f"scales ({j1_pref}, {j1_pref + 2}) needs "
                f"{_min_length(j1_pref + 2, n_taps, ndim)})."
            )
        if j1 < j1_pref or j2 - j1 < 2:
            warnings.warn(
                f"`x` of shape {tuple(shape)} is short for {wavelet!r}: only scales "
                f"({j1}, {j2}) are available, where the default fit starts at scale "
                f"{j1_pref} (finer octaves are aliased) and spans at least 3 scales. "
                "Estimates are rough (biased, with a large variance); use at least "
                f"{_min_length(j1_pref + 2, n_taps, ndim)} samples per side, or pass "
                "`scales` to accept these.",
                RuntimeWarning,
                stacklevel=3,
            )
        return j1, j2
    j1, j2 = _scale_pair(scales)
    if j1 >= j2:
        raise ValueError(
            f"`scales`=({j1}, {j2}) is out of order or has a single scale: a slope needs "
            "j1 < j2, e.g. scales=(2, 6)."
        )
    j_ok = max_scale(min(shape), wavelet=wavelet, dim=ndim)
    if j2 > j_ok:
        raise ValueError(
            f"`scales`=({j1}, {j2}) asks for scale {j2}, but `x` of shape {tuple(shape)} "
            f"supports at most j2={j_ok} with {wavelet!r}; use "
            f"scales=({min(j1, max(j_ok - 1, 1))}, {j_ok}) or at least "
            f"{_min_length(j2, n_taps, ndim)} samples per side."
        )
    return j1, j2


def _resolve_j0(j0, j1: int) -> int:
    """Finest scale entering the leaders; ``None`` gives the measured default.

    Default ``max(1, min(2, j1 - 1), j1 - 2)``: scale 1 stays out whenever the fit
    starts at ``j1 >= 3`` (point-sampled rough data are aliased there: fBm H = 0.3
    gives c1 = 0.24 with it, 0.30 without), and the leaders get two octaves below
    ``j1`` when the fit allows it (a leader built from few octaves is still growing:
    ``j0 = j1`` gives c1 = 0.43 for H = 0.3). benchmarks/results_multiscale.md.
    """
    if j0 is None:
        return max(1, min(2, j1 - 1), j1 - 2)
    j0 = check_positive_int(j0, "j0")
    if j0 > j1:
        raise ValueError(
            f"`j0`={j0} is above the first fitted scale j1={j1}: the leaders at j1 would "
            f"miss their own scale; use j0 <= {j1} (e.g. j0={max(1, j1 - 2)}) or j0=None "
            "for the default."
        )
    return j0


_WEIGHTINGS = {True: "nj", False: "none", "nj": "nj", "sqrt": "sqrt", "none": "none"}


def _resolve_weighted(weighted) -> str:
    try:
        return _WEIGHTINGS[weighted]
    except (KeyError, TypeError):
        raise ValueError(
            f"`weighted` must be 'sqrt' (default), 'nj', 'none', True ('nj') or False "
            f"('none'), got {weighted!r}."
        ) from None


def _check_fit_options(n_cumul, n_boot, ci_level, weighted) -> tuple[int, int, float, str]:
    """Checked ``(n_cumul, n_boot, ci_level, weighted)`` of the log-cumulant estimators."""
    n_cumul = check_positive_int(n_cumul, "n_cumul")
    if n_cumul > 4:
        raise ValueError(f"`n_cumul` must be between 1 and 4, got {n_cumul}.")
    n_boot = check_positive_int(n_boot, "n_boot", minimum=0)
    ci_level = check_in_range(ci_level, "ci_level", 0.0, 1.0)
    return n_cumul, n_boot, ci_level, _resolve_weighted(weighted)


def _fit_weights(nj: np.ndarray, weighted: str) -> np.ndarray:
    """Regression weights per fitted scale from the number of values ``nj``."""
    nj = np.asarray(nj, dtype=float)
    if weighted == "nj":
        return nj
    if weighted == "sqrt":
        return np.sqrt(nj)
    return np.ones_like(nj)


# --------------------------------------------------------------------------
# Cumulants and regressions
# --------------------------------------------------------------------------


def _weighted_cumulants(v: np.ndarray, w: np.ndarray | None, n_cumul: int) -> np.ndarray:
    """First ``n_cumul`` cumulants of ``v``; ``w`` (n_rep, n) gives bootstrap weights.

    Returns shape (n_cumul,) or (n_rep, n_cumul).
    """
    if w is None:
        mean = v.mean()
        out = [mean]
        if n_cumul >= 2:
            c = v - mean
            m2 = np.mean(c**2)
            out.append(m2)
            if n_cumul >= 3:
                out.append(np.mean(c**3))
                if n_cumul >= 4:
                    out.append(np.mean(c**4) - 3 * m2**2)
        return np.asarray(out)
    tot = np.maximum(w.sum(axis=1), 1e-300)  # a replicate can miss a scale's few blocks
    mean = (w @ v) / tot
    out = [mean]
    if n_cumul >= 2:
        m2 = (w @ v**2) / tot - mean**2
        out.append(m2)
        if n_cumul >= 3:
            m3 = (w @ v**3) / tot - 3 * mean * (w @ v**2) / tot + 2 * mean**3
            out.append(m3)
            if n_cumul >= 4:
                raw4 = (w @ v**4) / tot
                raw3 = (w @ v**3) / tot
                raw2 = (w @ v**2) / tot
                m4 = raw4 - 4 * mean * raw3 + 6 * mean**2 * raw2 - 3 * mean**4
                out.append(m4 - 3 * m2**2)
    return np.stack(out, axis=-1)


def _bootstrap_weights(mr: _Multires, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Multiplicity of each block in ``n_boot`` block-bootstrap resamples, (n_boot, n_blocks)."""
    draws = rng.integers(0, mr.n_blocks, size=(n_boot, mr.n_blocks))
    counts = np.zeros((n_boot, mr.n_blocks))
    np.add.at(counts, (np.repeat(np.arange(n_boot), mr.n_blocks), draws.ravel()), 1.0)
    return counts


# --------------------------------------------------------------------------
# Log-cumulants
# --------------------------------------------------------------------------


@dataclass
class LogCumulants:
    """Log-cumulant estimates and the per-scale cumulants behind them.

    Attributes
    ----------
    c1, c2, c3 : float or None
        Log-cumulants (``c3`` is None when ``n_cumul < 3``). ``c1`` is the
        typical regularity (H for fBm), ``c2 < 0`` signals multifractality.
    cumulants : ndarray, shape (n_cumul,)
        ``(c1, c2, ...)``.
    j : ndarray of int, shape (n_scales,)
        All scales computed (1 = finest).
    C : ndarray, shape (n_cumul, n_scales)
        Per-scale cumulants ``C_m(j)`` of ``ln L(j, .)`` (the log-scale diagrams).
    nj : ndarray, shape (n_scales,)
        Number of leaders (coefficients) per scale.
    scales : (int, int)
        Scale range ``(j1, j2)`` of the linear fits.
    intercepts : ndarray, shape (n_cumul,)
        Fitted ``C_m^0`` so that the fit line is ``C_m^0 + c_m j ln 2``.
    ci : ndarray, shape (n_cumul, 2) or None
        Bootstrap percentile confidence intervals (level ``ci_level``).
    stderr : ndarray, shape (n_cumul,) or None
        Bootstrap standard deviations of the estimates.
    boot : ndarray, shape (n_boot, n_cumul) or None
        Bootstrap replicates (time-scale block bootstrap).
    j0 : int
        Finest scale that entered the leaders (see :func:`log_cumulants`).

    Examples
    --------
    The log-cumulants are the slopes of the cumulants of the log-leaders against
    the scale, :math:`C_m(j) = c_m^0 + c_m \\ln 2^j` for :math:`j_1 \\le j \\le j_2`;
    for a multifractal random walk :math:`c_1 \\approx H + \\lambda^2 / 2` and
    :math:`c_2 = -\\lambda^2`:

    >>> from textures_nb.processes import mrw
    >>> from textures_nb.multiscale import log_cumulants
    >>> lc = log_cumulants(mrw(4096, 0.7, 0.2, seed=0), scales=(2, 7))
    >>> lc.scales, lc.cumulants.shape
    ((2, 7), (3,))
    >>> 0.5 < lc.c1 < 0.9, lc.c2 < 0
    (True, True)
    """

    cumulants: np.ndarray = field(repr=False)
    j: np.ndarray = field(repr=False)
    C: np.ndarray = field(repr=False)
    nj: np.ndarray = field(repr=False)
    scales: tuple[int, int]
    intercepts: np.ndarray = field(repr=False)
    ci: np.ndarray | None = field(repr=False)
    stderr: np.ndarray | None = field(repr=False)
    boot: np.ndarray | None = field(repr=False)
    ci_level: float
    leaders: bool
    wavelet: str
    gamint: float
    dim: int
    hmin: float
    options: dict = field(default_factory=dict)
    j0: int = 1

    def __repr__(self) -> str:
        est = ", ".join(f"c{m}={c:.3f}" for m, c in enumerate(self.cumulants, start=1))
        kind = f"leaders from j>={self.j0}" if self.leaders else "coefficients"
        boot = f", {self.boot.shape[0]} bootstrap" if self.boot is not None else ""
        return (
            f"LogCumulants({est}; scales={self.scales}, {self.wavelet} {kind}, "
            f"gamint={self.gamint:g}, dim={self.dim}{boot})"
        )

    @property
    def ndim(self) -> int:
        """Former name of ``dim`` (kept for old code)."""
        return self.dim

    @property
    def c1(self) -> float:
        return float(self.cumulants[0])

    @property
    def c2(self) -> float | None:
        return float(self.cumulants[1]) if self.cumulants.size > 1 else None

    @property
    def c3(self) -> float | None:
        return float(self.cumulants[2]) if self.cumulants.size > 2 else None

    def fit_line(self, m: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Scales and fitted values of ``C_m(j)`` over the fit range."""
        j1, j2 = self.scales
        jj = np.arange(j1, j2 + 1)
        return jj, self.intercepts[m - 1] + self.cumulants[m - 1] * jj * np.log(2.0)

    def table(self):
        """Estimates with confidence intervals as a pandas DataFrame."""
        import pandas as pd

        rows = {}
        for m, c in enumerate(self.cumulants, start=1):
            row = {"estimate": float(c)}
            if self.ci is not None:
                row.update(
                    ci_low=float(self.ci[m - 1, 0]),
                    ci_high=float(self.ci[m - 1, 1]),
                    stderr=float(self.stderr[m - 1]),
                )
            rows[f"c{m}"] = row
        return pd.DataFrame.from_dict(rows, orient="index")

    def plot(self, *, truth: dict | None = None, title: str | None = None):
        """Plotly log-scale diagrams: ``C_m(j)`` against ``j`` with fit lines.

        Parameters
        ----------
        truth : dict, optional
            Known ``{"c1": ..., "c2": ...}``, drawn as dashed lines through the
            fit's centre for comparison.
        """
        from .plotting import log_scale_diagrams

        return log_scale_diagrams(self, truth=truth, title=title)


def _estimate(
    mr: _Multires,
    j1: int,
    j2: int,
    n_cumul: int,
    weighted: bool,
    n_boot: int,
    rng: np.random.Generator,
):
    """Per-scale cumulants of log(values) for all scales, slopes on [j1, j2], bootstrap."""
    logs = mr.logs()
    C = np.stack([_weighted_cumulants(lv, None, n_cumul) for lv in logs], axis=1)
    nj = np.array([v.size for v in mr.values])
    jj = np.arange(1, len(logs) + 1)
    sel = slice(j1 - 1, j2)
    weights = _fit_weights(nj[sel], weighted)
    slope, icpt = _slopes(jj[sel].astype(float), C[:, sel], weights)
    boot = None
    if n_boot:
        bw = _bootstrap_weights(mr, n_boot, rng)
        Cb = np.stack(
            [
                _weighted_cumulants(logs[j - 1], bw[:, mr.labels[j - 1]], n_cumul)
                for j in range(j1, j2 + 1)
            ],
            axis=-1,
        )  # (n_boot, n_cumul, n_fit)
        boot, _ = _slopes(jj[sel].astype(float), Cb, weights)
        # drop replicates that drew no block holding values at some scale
        full = np.all([bw[:, mr.labels[j - 1]].sum(axis=1) > 0 for j in range(j1, j2 + 1)], axis=0)
        boot = boot[full]
    return C, nj, slope, icpt, boot, logs


def log_cumulants(
    x,
    *,
    scales: tuple[int, int] | None = None,
    wavelet: str = "db3",
    n_cumul: int = 3,
    leaders: bool = True,
    j0: int | None = None,
    gamint: float = 0.0,
    weighted: bool | str = "sqrt",
    n_boot: int = 0,
    ci_level: float = 0.95,
    seed: int | np.random.Generator = 0,
) -> LogCumulants:
    """Log-cumulants ``c1, c2, c3`` of a 1D signal or a 2D image.

    Parameters
    ----------
    x : array_like, shape (T,) or (H, W)
        Signal (samples) or grayscale image (pixels); finite values only.
    scales : (int, int), optional
        Fit range ``(j1, j2)``, ``1 <= j1 < j2``; scale ``j`` spans ``2**j``
        samples. Default: ``(3, j_max)`` for signals, ``(2, j_max)`` for images,
        with ``j_max`` from :func:`max_scale`.
    wavelet : str, default "db3"
        Orthogonal PyWavelets wavelet.
    n_cumul : {1, 2, 3, 4}, default 3
        Number of log-cumulants.
    leaders : bool, default True
        Use wavelet leaders (multifractal formalism); False uses ``|d|``.
    j0 : int, optional
        Finest scale that enters the leaders (``1 <= j0 <= j1``): a leader at
        scale ``j`` is the sup of ``|d|`` over scales ``j0..j``. The finest
        octaves of point-sampled data are inflated by aliasing, and with
        ``j0 = 1`` they decide most leaders several octaves up, whatever ``j1``
        (fBm H = 0.3: c1 = 0.24). Default ``max(1, min(2, j1 - 1), j1 - 2)``:
        scale 1 out as soon as ``j1 >= 3``, and two octaves below ``j1`` where
        possible, because a leader built from too few octaves is still
        growing and biases c1 up (``j0 = j1`` gives 0.43 for H = 0.3). Gives
        ``(3, j2) -> 2``, ``(2, j2) -> 1``, ``(5, j2) -> 3``. Measured in
        ``benchmarks/results_multiscale.md``.
    gamint : float or "auto", default 0
        Fractional integration order (see :func:`wavelet_coefs`). Leaders need
        a positive minimal regularity ``hmin``; a warning says when to raise it,
        and ``"auto"`` picks the smallest multiple of 0.5 giving ``hmin >= 0.1``
        (the value used is in ``result.gamint``).
        Estimates always refer to ``x`` itself: the shift ``gamint`` is removed
        from ``c1`` and from the per-scale ``C1(j)``.
    weighted : {"sqrt", "nj", "none"} or bool, default "sqrt"
        Weights of the linear fits across scales: ``sqrt(n_j)``, ``n_j`` (the
        number of leaders per scale; ``True``) or none (``False``). ``n_j``
        puts almost all the weight on the finest fitted scales, where the
        leaders' residual biases sit; no weights give 2-3x the variance;
        ``sqrt(n_j)`` had the smallest worst-case error over point-sampled
        and band-limited fBm (benchmarks/results_multiscale.md).
    n_boot : int, default 0
        Time-scale block-bootstrap replicates for confidence intervals (blocks
        are dyadic intervals/squares at the coarsest fitted scale); 0 disables.
    ci_level : float, default 0.95
        Level of the percentile confidence intervals.
    seed : int or numpy.random.Generator, default 0
        Random state of the bootstrap (keyword-only).

    Returns
    -------
    LogCumulants
        With float attributes ``c1, c2, c3``, per-scale cumulants ``C`` for
        log-scale diagrams, and bootstrap ``ci`` when ``n_boot > 0``.

    Raises
    ------
    ValueError
        NaN/inf values, wrong number of dimensions, scales out of order or
        beyond what the data length supports, ``j0 > j1``.

    Examples
    --------
    >>> from textures_nb.processes import fbm
    >>> from textures_nb.multiscale import log_cumulants
    >>> est = log_cumulants(fbm(2**14, 0.7, seed=1), scales=(3, 9))
    >>> round(est.c1, 1)
    0.7
    """
    arr = _as_signal_or_image(x)
    n_cumul, n_boot, ci_level, weighted = _check_fit_options(n_cumul, n_boot, ci_level, weighted)
    j1, j2 = _check_scales(scales, arr.shape, wavelet, arr.ndim)
    j0 = _resolve_j0(j0, j1) if leaders else 1
    coefs = _coefs_with_gamint(arr, wavelet, j1, j2, gamint)
    hmin = _hmin(coefs, j1, j2)
    if leaders and hmin + coefs.gamint <= 0:
        warnings.warn(
            f"Minimal regularity hmin = {hmin:.2f} <= 0 on scales ({j1}, {j2}): wavelet "
            f"leaders are not meaningful; pass gamint >= {math.ceil((0.1 - hmin) * 10) / 10:.1f} "
            "(fractional integration) or leaders=False."
            + (
                f" With only {j2 - j1 + 1} scales, hmin itself is poorly estimated."
                if j2 - j1 < 2
                else ""
            ),
            RuntimeWarning,
            stacklevel=2,
        )
    mr = _multires(coefs, leaders, j2, scale=float(np.abs(arr).max()), j0=j0)
    return _log_cumulants_from(
        mr,
        coefs,
        j1,
        j2,
        n_cumul=n_cumul,
        leaders=leaders,
        weighted=weighted,
        n_boot=n_boot,
        ci_level=ci_level,
        rng=as_generator(seed),
        hmin=hmin,
        j0=j0,
    )


def _log_cumulants_from(
    mr, coefs, j1, j2, *, n_cumul, leaders, weighted, n_boot, ci_level, rng, hmin, j0=1
) -> LogCumulants:
    C, nj, slope, icpt, boot, _ = _estimate(mr, j1, j2, n_cumul, weighted, n_boot, rng)
    ln2 = np.log(2.0)
    cum = slope / ln2
    ci = stderr = None
    if boot is not None:
        boot = boot / ln2
        a = (1 - ci_level) / 2
        ci = np.quantile(boot, [a, 1 - a], axis=0).T
        stderr = boot.std(axis=0, ddof=1)
    return LogCumulants(
        cumulants=cum,
        j=np.arange(1, j2 + 1),
        C=C,
        nj=nj,
        scales=(j1, j2),
        intercepts=icpt,
        ci=ci,
        stderr=stderr,
        boot=boot,
        ci_level=ci_level,
        leaders=leaders,
        wavelet=coefs.wavelet,
        gamint=float(coefs.gamint),
        dim=coefs.dim,
        hmin=hmin,
        options=dict(weighted=weighted, n_boot=n_boot),
        j0=j0,
    )


def _coefs_with_gamint(arr, wavelet, j1, j2, gamint) -> WaveletCoefs:
    """Wavelet coefficients; ``gamint="auto"`` picks the smallest multiple of 0.5
    that makes the minimal regularity of the integrated signal at least 0.1."""
    if isinstance(gamint, str):
        if gamint != "auto":
            raise ValueError(f"`gamint` must be a number or 'auto', got {gamint!r}.")
        coefs = wavelet_coefs(arr, wavelet=wavelet, j2=j2)
        hmin = _hmin(coefs, j1, j2)
        gamint = max(0.0, math.ceil((0.1 - hmin) * 2) / 2)
        if gamint == 0:
            return coefs
    return wavelet_coefs(arr, wavelet=wavelet, j2=j2, gamint=gamint)


def _hmin(coefs: WaveletCoefs, j1: int, j2: int) -> float:
    """Slope of log2 sup|d_j|: the uniform regularity exponent estimate."""
    jj = np.arange(j1, j2 + 1, dtype=float)
    # undo the fractional integration: hmin refers to the analysed signal
    y = np.array(
        [np.log2(np.abs(coefs.details[j - 1]).max()) - coefs.gamint * j for j in range(j1, j2 + 1)]
    )
    slope, _ = _slopes(jj, y, np.ones_like(jj))
    return float(slope)


# --------------------------------------------------------------------------
# Structure functions and multifractal spectrum
# --------------------------------------------------------------------------


def _fmt_array(a: np.ndarray, n: int = 4) -> str:
    """Short text for an array in a repr: the first ``n`` values."""
    a = np.ravel(a)
    head = ", ".join(f"{v:.3g}" for v in a[:n])
    return f"[{head}{', ...' if a.size > n else ''}]"


@dataclass
class StructureFunctions:
    """Structure functions ``S(j, q) = mean_k L(j, k)**q`` and scaling exponents.

    Attributes
    ----------
    q : ndarray, shape (n_q,)
    j : ndarray, shape (n_scales,)
    log2_S : ndarray, shape (n_q, n_scales)
        ``log2 S(j, q)``.
    zeta : ndarray, shape (n_q,)
        Scaling exponents: slopes of ``log2 S(j, q)`` against ``j`` on ``scales``.
    scales : (int, int)
    leaders : bool
    j0 : int
        Finest scale that entered the leaders.

    Examples
    --------
    >>> from textures_nb.processes import fbm
    >>> from textures_nb.multiscale import structure_functions
    >>> sf = structure_functions(fbm(4096, 0.7, seed=0), q=(1, 2), scales=(2, 7))
    >>> sf.zeta.shape, sf.j.tolist()
    ((2,), [1, 2, 3, 4, 5, 6, 7])
    """

    q: np.ndarray = field(repr=False)
    j: np.ndarray = field(repr=False)
    log2_S: np.ndarray = field(repr=False)
    zeta: np.ndarray = field(repr=False)
    scales: tuple[int, int]
    leaders: bool
    j0: int = 1

    def __repr__(self) -> str:
        return (
            f"StructureFunctions(q={_fmt_array(self.q)}, zeta={_fmt_array(self.zeta)}, "
            f"scales={self.scales}, leaders={self.leaders}, j0={self.j0})"
        )

    def table(self):
        """``zeta(q)`` per moment order ``q`` as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame({"q": self.q, "zeta": self.zeta}).set_index("q")

    def plot(self, *, title: str | None = None):
        """Plotly figure: ``log2 S(j, q)`` against ``j``, one colour per ``q``, with the
        fits over ``scales``; responsive width, legend below the plot."""
        import plotly.graph_objects as go

        from ._shared.display import palette

        j1, j2 = self.scales
        jj = np.arange(j1, j2 + 1)
        fig = go.Figure()
        for colour, q, y, z in zip(
            palette(self.q.size), self.q, self.log2_S, self.zeta, strict=True
        ):
            name = f"q = {q:g}: zeta = {z:.3f}"
            fig.add_trace(
                go.Scatter(
                    x=self.j, y=y, mode="markers", marker_color=colour, name=name, legendgroup=name
                )
            )
            centre = y[j1 - 1 : j2].mean() - z * jj.mean()
            fig.add_trace(
                go.Scatter(
                    x=jj,
                    y=centre + z * jj,
                    mode="lines",
                    line_color=colour,
                    showlegend=False,
                    legendgroup=name,
                )
            )
        fig.update_layout(
            title=title or "Structure functions (lines: fits over the scales used)",
            xaxis_title="scale j (octaves)",
            yaxis_title="log2 S(j, q)",
            height=420,
            autosize=True,
            margin=dict(l=50, r=20, t=60, b=40),
            legend=dict(orientation="h", x=0, xanchor="left", y=-0.2, yanchor="top"),
        )
        return fig


def structure_functions(
    x,
    q=(-2.0, -1.0, 1.0, 2.0, 3.0, 4.0),
    *,
    scales: tuple[int, int] | None = None,
    wavelet: str = "db3",
    leaders: bool = True,
    j0: int | None = None,
    gamint: float = 0.0,
    weighted: bool | str = "sqrt",
) -> StructureFunctions:
    """Wavelet (leader) structure functions and their scaling exponents ``zeta(q)``.

    Parameters
    ----------
    x : array_like, shape (T,) or (H, W)
        Signal or image.
    q : sequence of float
        Moment orders. Negative ``q`` needs leaders (coefficients can be ~0).
    scales, wavelet, leaders, j0, gamint, weighted
        As in :func:`log_cumulants`.

    Returns
    -------
    StructureFunctions
        ``zeta(q) = c1 q + c2 q**2/2 + ...`` for multifractal processes.

    Examples
    --------
    >>> from textures_nb.processes import fbm
    >>> from textures_nb.multiscale import structure_functions

    For a fractional Brownian motion of Hurst index :math:`H`,
    :math:`\\zeta(q) = q H`:

    >>> sf = structure_functions(fbm(2**14, 0.7, seed=0), q=(1.0, 2.0), scales=(3, 9))
    >>> [round(float(z), 1) for z in sf.zeta]
    [0.7, 1.4]
    """
    arr = _as_signal_or_image(x)
    q = as_finite_array(q, "q", ndims=(0, 1)).ravel()
    weighted = _resolve_weighted(weighted)
    j1, j2 = _check_scales(scales, arr.shape, wavelet, arr.ndim)
    j0 = _resolve_j0(j0, j1) if leaders else 1
    coefs = wavelet_coefs(arr, wavelet=wavelet, j2=j2, gamint=gamint)
    mr = _multires(coefs, leaders, j2, scale=float(np.abs(arr).max()), j0=j0)
    # log-sum-exp keeps large |q| from overflowing
    log2_S = np.empty((q.size, j2))
    for j, lv in enumerate(mr.logs()):
        z = q[:, None] * lv[None, :]
        zmax = z.max(axis=1, keepdims=True)
        log2_S[:, j] = (zmax[:, 0] + np.log(np.mean(np.exp(z - zmax), axis=1))) / np.log(2.0)
    nj = np.array([v.size for v in mr.values], dtype=float)
    sel = slice(j1 - 1, j2)
    zeta, _ = _slopes(
        np.arange(j1, j2 + 1, dtype=float), log2_S[:, sel], _fit_weights(nj[sel], weighted)
    )
    return StructureFunctions(
        q=q,
        j=np.arange(1, j2 + 1),
        log2_S=log2_S,
        zeta=zeta,
        scales=(j1, j2),
        leaders=leaders,
        j0=j0,
    )


@dataclass
class MultifractalSpectrum:
    """Multifractal spectrum ``D(h)`` from the log-cumulant expansion.

    Attributes
    ----------
    q : ndarray
        Moment orders used for the parametric Legendre transform (only those
        where ``zeta(q)`` is concave).
    h : ndarray
        Hoelder exponents ``h(q) = zeta'(q)``.
    D : ndarray
        Dimensions ``D(h(q)) = d + q h(q) - zeta(q)``, ``0 <= D <= d``.
    dim : int
        ``d``: 1 (signal) or 2 (image).
    monofractal : bool
        True when ``c2 >= 0`` (or only ``c1`` was estimated): the spectrum is
        the single point ``(c1, d)``.

    Examples
    --------
    >>> from textures_nb.processes import mrw
    >>> from textures_nb.multiscale import log_cumulants, multifractal_spectrum
    >>> spec = multifractal_spectrum(log_cumulants(mrw(4096, 0.7, 0.2, seed=0), scales=(2, 7)))
    >>> spec.h.shape == spec.D.shape, spec.dim
    (True, 1)
    """

    q: np.ndarray = field(repr=False)
    h: np.ndarray = field(repr=False)
    D: np.ndarray = field(repr=False)
    dim: int = 1
    monofractal: bool = False

    def __repr__(self) -> str:
        top = int(np.argmax(self.D))
        width = f"h in [{self.h.min():.3f}, {self.h.max():.3f}]"
        kind = "single point" if self.monofractal else f"{self.h.size} points"
        return (
            f"MultifractalSpectrum({kind}, {width}, top D({self.h[top]:.3f}) = "
            f"{self.D[top]:.3f}, dim={self.dim})"
        )

    def table(self):
        """``q``, ``h`` and ``D`` as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame({"q": self.q, "h": self.h, "D": self.D})

    def plot(self, *, name: str | None = None, title: str | None = None):
        """Plotly figure of ``D(h)`` (a single marker for a monofractal)."""
        from .plotting import multifractal_spectra

        fig = multifractal_spectra([self], names=[name or "spectrum"], title=title)
        # a monofractal's spectrum is one point: a line alone would draw nothing
        return fig.update_traces(mode="lines+markers").update_yaxes(range=[0, self.dim * 1.05])


def multifractal_spectrum(lc: LogCumulants, q=None) -> MultifractalSpectrum:
    """Legendre spectrum implied by the log-cumulants, where it is defined.

    ``zeta(q) = sum_m c_m q**m / m!``; the spectrum is its Legendre transform,
    computed parametrically in ``q``: ``h = zeta'(q)``, ``D = d + q h - zeta(q)``.
    For ``c2 < 0`` and ``c3 = 0`` it is the parabola
    ``D(h) = d - (h - c1)**2 / (2 |c2|)``.

    The transform is only valid where ``zeta`` is concave (``zeta''(q) < 0``):
    elsewhere the parametric formula gives ``D > d`` (a dimension above the
    space's). So only the interval of ``q`` around 0 where ``zeta'' < 0`` is
    kept, which makes ``D <= d`` with its top ``D = d`` at ``h = c1``. When
    ``c2 >= 0`` (a monofractal whose estimate came out slightly positive, or
    ``n_cumul = 1``) ``zeta`` is linear up to noise and the spectrum is the
    single point ``(c1, d)``; a small negative ``c2`` gives a narrow range.

    Parameters
    ----------
    lc : LogCumulants
        Result of :func:`log_cumulants`.
    q : array_like, optional
        Moment orders; default ``linspace(-5, 5, 41)``.

    Examples
    --------
    >>> from textures_nb.processes import mrw
    >>> from textures_nb.multiscale import log_cumulants, multifractal_spectrum
    >>> spec = multifractal_spectrum(log_cumulants(mrw(2**14, 0.7, 0.2, seed=0), scales=(3, 9)))
    >>> round(float(spec.D.max()), 1)  # the spectrum peaks at D = 1 for a 1D signal
    1.0
    """
    if not isinstance(lc, LogCumulants):
        raise TypeError("`lc` must be the LogCumulants returned by log_cumulants().")
    q = np.linspace(-5, 5, 41) if q is None else as_finite_array(q, "q", ndims=(1,))
    c = lc.cumulants
    d = lc.dim
    if c.size < 2 or c[1] >= 0:
        return MultifractalSpectrum(
            q=np.zeros(1), h=np.array([c[0]]), D=np.array([float(d)]), dim=d, monofractal=True
        )
    q = np.union1d(q, [0.0])
    zeta = sum(c[m] * q ** (m + 1) / math.factorial(m + 1) for m in range(c.size))
    dzeta = sum(c[m] * q**m / math.factorial(m) for m in range(c.size))
    d2zeta = sum(c[m] * q ** (m - 1) / math.factorial(m - 1) for m in range(1, c.size))
    # contiguous run of q around 0 where zeta is concave
    concave = d2zeta < 0
    i0 = int(np.flatnonzero(q == 0.0)[0])
    lo = i0
    while lo > 0 and concave[lo - 1]:
        lo -= 1
    hi = i0
    while hi < q.size - 1 and concave[hi + 1]:
        hi += 1
    keep = np.zeros(q.size, dtype=bool)
    keep[lo : hi + 1] = True
    D = d + q * dzeta - zeta
    keep &= D >= 0
    D = np.minimum(D, d)  # rounding only: D <= d on the concave run
    return MultifractalSpectrum(q=q[keep], h=dzeta[keep], D=D[keep], dim=d, monofractal=False)


# --------------------------------------------------------------------------
# Multivariate (bivariate) multifractal analysis
# --------------------------------------------------------------------------


@dataclass
class JointLogCumulants:
    """Joint log-cumulants of the log-leaders of two channels ``(X, Y)``.

    Attributes
    ----------
    channels : (int, int)
    c10, c01, c20, c02, c11 : float
        Slopes (in ln 2 units) of the joint cumulants of ``(ln L_X, ln L_Y)``:
        means (c10, c01), variances (c20, c02) and covariance (c11).
    rho_mf : float
        Multifractal correlation ``-c11 / sqrt(c20 c02)`` (for bivariate MRW it
        equals the correlation of the two cascades). NaN, with a warning, when
        a channel is monofractal (``c20`` or ``c02`` >= 0).
    rho_mf_ci : (float, float) or None
        Bootstrap percentile interval of ``rho_mf``.
    j : ndarray
        Scales.
    C11 : ndarray, shape (n_scales,)
        Per-scale covariance of the log-leaders.
    corr_by_scale : ndarray, shape (n_scales,)
        Per-scale correlation ``C11(j) / sqrt(C20(j) C02(j))`` of the log-leaders;
        NaN at a scale where ``C20(j) C02(j)`` is not positive (a coarse scale with
        too few leaders for a variance estimate).

    Examples
    --------
    >>> from textures_nb.processes import bivariate_mrw
    >>> from textures_nb.multiscale import multichannel_log_cumulants
    >>> x = bivariate_mrw(2**12, 0.7, 0.3, rho_omega=0.8, seed=0)
    >>> res = multichannel_log_cumulants(x, scales=(2, 7))
    >>> joint = res.pairs[(0, 1)]
    >>> joint.channels, -1 <= joint.rho_mf <= 1
    ((0, 1), True)
    """

    channels: tuple[int, int]
    c10: float
    c01: float
    c20: float
    c02: float
    c11: float
    rho_mf: float
    rho_mf_ci: tuple[float, float] | None
    j: np.ndarray = field(repr=False)
    C11: np.ndarray = field(repr=False)
    corr_by_scale: np.ndarray = field(repr=False)

    def __repr__(self) -> str:
        ci = (
            f" [{self.rho_mf_ci[0]:.2f}, {self.rho_mf_ci[1]:.2f}]"
            if self.rho_mf_ci is not None
            else ""
        )
        return (
            f"JointLogCumulants(channels={self.channels}, c10={self.c10:.3f}, "
            f"c01={self.c01:.3f}, c20={self.c20:.3f}, c02={self.c02:.3f}, "
            f"c11={self.c11:.3f}, rho_mf={self.rho_mf:.2f}{ci})"
        )


@dataclass
class MultichannelLogCumulants:
    """Per-channel log-cumulants and pairwise joint log-cumulants.

    Attributes
    ----------
    channels : list of LogCumulants
        One per channel.
    pairs : dict[(int, int), JointLogCumulants]
        One per pair ``(a, b)``, ``a < b``.

    Examples
    --------
    >>> from textures_nb.processes import bivariate_mrw
    >>> from textures_nb.multiscale import multichannel_log_cumulants
    >>> x = bivariate_mrw(2**12, 0.7, 0.3, rho_omega=0.8, seed=0)
    >>> res = multichannel_log_cumulants(x, scales=(2, 7))
    >>> len(res.channels), sorted(res.pairs)
    (2, [(0, 1)])
    """

    channels: list[LogCumulants] = field(repr=False)
    pairs: dict[tuple[int, int], JointLogCumulants] = field(repr=False)

    def __repr__(self) -> str:
        c1 = ", ".join(f"{lc.c1:.2f}" for lc in self.channels[:4])
        rho = ", ".join(f"{a}-{b}: {p.rho_mf:.2f}" for (a, b), p in list(self.pairs.items())[:3])
        more = ", ..." if len(self.pairs) > 3 else ""
        return (
            f"MultichannelLogCumulants({len(self.channels)} channels, c1=[{c1}"
            f"{', ...' if len(self.channels) > 4 else ''}], rho_mf={{{rho}{more}}})"
        )

    def table(self):
        """One row per channel (``c1, c2, c3``) and per pair (``c11, rho_mf`` and its
        interval) as a pandas DataFrame; cells that do not apply are NaN."""
        import pandas as pd

        rows = {}
        for i, lc in enumerate(self.channels):
            rows[f"channel {i}"] = {"c1": lc.c1, "c2": lc.c2, "c3": lc.c3}
        for (a, b), p in self.pairs.items():
            ci = p.rho_mf_ci or (np.nan, np.nan)
            rows[f"pair {a}-{b}"] = {
                "c11": p.c11,
                "rho_mf": p.rho_mf,
                "rho_mf CI low": ci[0],
                "rho_mf CI high": ci[1],
            }
        return pd.DataFrame.from_dict(rows, orient="index").astype(float)

    def plot(self, *, title: str | None = None):
        """Log-scale diagrams of every channel, one colour per channel."""
        from .plotting import log_scale_diagrams

        names = [f"channel {i}" for i in range(len(self.channels))]
        return log_scale_diagrams(self.channels, names=names, title=title)


def _check_multichannel(x) -> np.ndarray:
    """``x`` as a finite (C, T) or (C, H, W) array of 2..64 non-constant channels."""
    arr = as_finite_array(x, "x", ndims=(2, 3))
    if arr.shape[0] < 2:
        raise ValueError(
            f"`x` has shape {arr.shape}: the first axis holds channels and needs at least 2; "
            "for one channel use log_cumulants(x[0])."
        )
    if arr.shape[0] > 64:
        raise ValueError(
            f"`x` has {arr.shape[0]} channels along the first axis; expected layout (C, T) or "
            "(C, H, W) with few channels. Transpose if channels are last (e.g. x.T or "
            "np.moveaxis(x, -1, 0))."
        )
    for c in range(arr.shape[0]):
        if np.ptp(arr[c]) == 0:
            raise ValueError(f"Channel x[{c}] is constant: it has no multiscale structure.")
    return arr


def _per_channel(arr, wavelet, j0, j1, j2, gamint, options, boot_seed):
    """Each channel's log-cumulants and leaders, the same bootstrap draw for all."""
    channels, mrs = [], []
    for c in range(arr.shape[0]):
        coefs = wavelet_coefs(arr[c], wavelet=wavelet, j2=j2, gamint=gamint)
        mr = _multires(coefs, True, j2, what=f"x[{c}]", scale=float(np.abs(arr[c]).max()), j0=j0)
        channels.append(
            _log_cumulants_from(
                mr,
                coefs,
                j1,
                j2,
                leaders=True,
                rng=np.random.default_rng(boot_seed),
                hmin=_hmin(coefs, j1, j2),
                j0=j0,
                **options,
            )
        )
        mrs.append(mr)
    if any(mr.values[j].size != mrs[0].values[j].size for mr in mrs for j in range(j2)):
        raise ValueError(
            "Some channels have exactly-zero leaders (flat regions), so their leaders no longer "
            "line up for joint statistics; check the data."
        )
    return channels, mrs


def _boot_joint_slopes(la, lb, labels, bw, j1, j2, weights) -> list[np.ndarray]:
    """Bootstrap slopes of C11, C20 and C02, each of shape (n_boot,), in ln 2 units."""
    jj = np.arange(j1, j2 + 1, dtype=float)
    per_scale = {"c11": [], "c20": [], "c02": []}
    for j in range(j1, j2 + 1):
        w = bw[:, labels[j - 1]]
        tot = w.sum(axis=1)
        a, b = la[j - 1], lb[j - 1]
        ma, mb = (w @ a) / tot, (w @ b) / tot
        per_scale["c11"].append((w @ (a * b)) / tot - ma * mb)
        per_scale["c20"].append((w @ a**2) / tot - ma**2)
        per_scale["c02"].append((w @ b**2) / tot - mb**2)
    return [
        _slopes(jj, np.stack(per_scale[k], axis=-1), weights)[0] / np.log(2.0)
        for k in ("c11", "c20", "c02")
    ]


def _rho_interval(slopes, n_boot: int, ci_level: float) -> tuple[float, float] | None:
    """Percentile interval of ``-c11 / sqrt(c20 c02)`` over bootstrap slopes."""
    with np.errstate(invalid="ignore", divide="ignore"):
        rhos = -slopes[0] / np.sqrt(slopes[1] * slopes[2])
    rhos = rhos[np.isfinite(rhos)]
    if rhos.size < max(10, n_boot // 2):
        return None
    q = (1 - ci_level) / 2
    return float(np.quantile(rhos, q)), float(np.quantile(rhos, 1 - q))


def _joint(pair, channels, logs, mr0, j1, j2, weights, bw, n_boot, ci_level):
    """Joint log-cumulants of one pair of channels."""
    a, b = pair
    jj = np.arange(1, j2 + 1, dtype=float)
    sel = slice(j1 - 1, j2)
    C11 = np.array(
        [
            np.mean((la - la.mean()) * (lb - lb.mean()))
            for la, lb in zip(logs[a], logs[b], strict=True)
        ]
    )
    C20 = channels[a].C[1] if channels[a].C.shape[0] > 1 else np.array([np.var(v) for v in logs[a]])
    C02 = channels[b].C[1] if channels[b].C.shape[0] > 1 else np.array([np.var(v) for v in logs[b]])
    ln2 = np.log(2.0)
    c11, c20, c02 = (_slopes(jj[sel], C[sel], weights)[0] / ln2 for C in (C11, C20, C02))
    rho_ci = None
    if bw is not None:
        slopes = _boot_joint_slopes(logs[a], logs[b], mr0.labels, bw, j1, j2, weights)
        rho_ci = _rho_interval(slopes, n_boot, ci_level)
    return JointLogCumulants(
        channels=(a, b),
        c10=channels[a].c1,
        c01=channels[b].c1,
        c20=float(c20),
        c02=float(c02),
        c11=float(c11),
        rho_mf=_rho_mf(c11, c20, c02, warn=True, pair=(a, b)),
        rho_mf_ci=rho_ci,
        j=jj.astype(int),
        C11=C11,
        corr_by_scale=_corr_by_scale(C11, C20 * C02),
    )


def _corr_by_scale(c11: np.ndarray, c20_c02: np.ndarray) -> np.ndarray:
    """``C11 / sqrt(C20 C02)`` per scale; NaN (no warning) where the product is not positive."""
    ok = c20_c02 > 0
    return np.where(ok, c11 / np.sqrt(np.where(ok, c20_c02, 1.0)), np.nan)


def multichannel_log_cumulants(
    x,
    *,
    scales: tuple[int, int] | None = None,
    wavelet: str = "db3",
    n_cumul: int = 3,
    j0: int | None = None,
    gamint: float = 0.0,
    weighted: bool | str = "sqrt",
    n_boot: int = 0,
    ci_level: float = 0.95,
    seed: int | np.random.Generator = 0,
) -> MultichannelLogCumulants:
    """Bivariate multifractal analysis of every pair of channels (wavelet leaders).

    Parameters
    ----------
    x : array_like, shape (C, T) or (C, H, W)
        Multichannel signal (C >= 2 channels of T samples) or image.
    scales, wavelet, n_cumul, j0, gamint, weighted, n_boot, ci_level, seed
        As in :func:`log_cumulants`. The same bootstrap blocks are drawn for
        all channels, so joint statistics keep their dependence.

    Returns
    -------
    MultichannelLogCumulants
        ``.channels[i].c1`` etc. and ``.pairs[(a, b)].rho_mf``.

    Examples
    --------
    >>> from textures_nb.processes import bivariate_mrw
    >>> from textures_nb.multiscale import multichannel_log_cumulants
    >>> res = multichannel_log_cumulants(bivariate_mrw(2**14, 0.7, 0.3, rho_omega=0.8, seed=0))
    >>> sorted(res.pairs)
    [(0, 1)]
    """
    arr = _check_multichannel(x)
    n_cumul, n_boot, ci_level, weighted = _check_fit_options(n_cumul, n_boot, ci_level, weighted)
    j1, j2 = _check_scales(scales, arr.shape[1:], wavelet, arr.ndim - 1)
    j0 = _resolve_j0(j0, j1)
    # one bootstrap draw shared by all channels
    boot_seed = int(as_generator(seed).integers(0, 2**63 - 1))
    options = dict(n_cumul=n_cumul, weighted=weighted, n_boot=n_boot, ci_level=ci_level)
    channels, mrs = _per_channel(arr, wavelet, j0, j1, j2, gamint, options, boot_seed)
    logs = [mr.logs() for mr in mrs]
    nj = np.array([v.size for v in mrs[0].values], dtype=float)
    weights = _fit_weights(nj[j1 - 1 : j2], weighted)
    bw = _bootstrap_weights(mrs[0], n_boot, np.random.default_rng(boot_seed)) if n_boot else None
    pairs = {}
    for pair in combinations(range(arr.shape[0]), 2):  # a loop: warnings' stacklevel is fixed
        pairs[pair] = _joint(pair, channels, logs, mrs[0], j1, j2, weights, bw, n_boot, ci_level)
    return MultichannelLogCumulants(channels=channels, pairs=pairs)


def _rho_mf(c11: float, c20: float, c02: float, *, warn: bool, pair) -> float:
    if c20 >= 0 or c02 >= 0:
        if warn:
            warnings.warn(
                f"rho_mf of channels {pair} is undefined (c20 = {c20:.3g}, c02 = {c02:.3g}: a "
                "channel shows no multifractality, c2 >= 0); it is reported as NaN.",
                RuntimeWarning,
                stacklevel=4,
            )
        return float("nan")
    return float(-c11 / math.sqrt(c20 * c02))


def spacetime_exponents(x, **kwargs):
    """Space and time Hurst exponents of a sequence ``(T, H, W)`` (or ``(C, T, H, W)``).

    Entry point of :func:`textures_nb.spacetime.spacetime_exponents` (same
    arguments): hyperbolic wavelet variances indexed by ``(j_time, j_space)``,
    a plane fit for ``H_space`` and ``H_time`` (floats), and space-time
    leaders for ``c1``, ``c2``.

    Parameters
    ----------
    x : array_like
        ``(T, H, W)`` or ``(C, T, H, W)``, time first, finite, at least 16
        frames of at least 16 x 16 pixels.
    **kwargs
        Keyword arguments of :func:`textures_nb.spacetime.spacetime_exponents`
        (``wavelet``, ``j_time``, ``j_space``, ``leaders``, ``leader_wavelet``).

    Returns
    -------
    SpacetimeExponents

    Examples
    --------
    >>> from textures_nb.spacetime import spacetime_fbf
    >>> est = spacetime_exponents(spacetime_fbf((32, 64, 64), 0.7, 0.3, seed=0))
    >>> abs(est.H_space - 0.7) < 0.1, abs(est.H_time - 0.3) < 0.15
    (True, True)
    """
    from .spacetime import spacetime_exponents as _spacetime_exponents

    return _spacetime_exponents(x, **kwargs)
