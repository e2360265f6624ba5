"""Spatiotemporal textures: space-time fields, their multiscale analysis and synthesis.

Sequences are time first: ``(T, H, W)`` (grey) or ``(C, T, H, W)`` (channels),
``dim = 3`` in the package's vocabulary. Space and time scale differently (a
field may be rough in space and smooth in time), so every statistic here keeps
a time scale and a space scale apart.

- Processes with known truth: :func:`spacetime_fbf` (separate Hurst exponents
  ``H_space``, ``H_time``), :func:`spacetime_cascade` (a space-time
  multifractal field with known ``c2``), :func:`advected_field` (a texture
  moving at a known velocity while it evolves).
- Analysis: :func:`spacetime_exponents` (hyperbolic wavelet variances
  indexed by ``(j_time, j_space)``, a plane fit for ``H_space`` and
  ``H_time``, space-time wavelet leaders for ``c1``, ``c2``),
  :func:`estimate_velocity` (phase correlation of frames, scikit-image),
  :func:`temporal_autocorrelation`, :func:`frame_differences`.
- Synthesis: :func:`synthesize_sequence` (``"phase"``, ``"iaaft"`` and the deep
  ``"gram"``; a streaming mode for more frames than the sample).
- Quality: :func:`compare_sequences`, indices per time and space scale.
- Figures and files: :func:`plot_animation` (frame slider, sample and
  synthesis side by side), :func:`plot_xt_slices` (space-time images),
  :func:`export_animation` (animated GIF/MP4 with imageio).

Conventions
-----------
Wavelet details come from ``textures_nb._shared.hyperbolic.hyperbolic_details``
with the groups ``((time,), (y, x))``: an L1-normalised, valid-border transform
with one scale ``j_time`` for the time axis and one scale ``j_space`` for the
two space axes (3 orientations). For a field whose time and space behaviours separate,
``E d(j_t, j_s)**2 ~ 2**(2 H_time j_t) 2**(2 H_space j_s)``, so ``log2`` of the mean
squared details is a plane in ``(j_t, j_s)`` whose slopes are ``2 H_time`` and ``2
H_space`` (Roux, Clausel, Vedel, Jaffard, Abry 2013, hyperbolic wavelet analysis).
Leaders use the isotropic space-time transform (one scale for the three axes, 7
orientations) and the usual ``3**3`` neighbourhood over all finer scales.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._checks import as_finite_array, as_generator, check_in_range, check_positive_int
from ._shared.hyperbolic import group_levels, hyperbolic_details
from ._shared.progress import tqdm
from ._shared.spectral import periodic_smooth as _periodic_smooth

__all__ = [
    "spacetime_fbf",
    "spacetime_cascade",
    "advected_field",
    "SpacetimeExponents",
    "spacetime_exponents",
    "VelocityEstimate",
    "estimate_velocity",
    "temporal_autocorrelation",
    "frame_differences",
    "SequenceSynthesis",
    "synthesize_sequence",
    "SequenceComparison",
    "compare_sequences",
    "plot_animation",
    "plot_xt_slices",
    "export_animation",
]

SEQ_METHODS = ("gram", "phase", "iaaft")
MIN_FRAMES = 16  # fewest frames: 2 time scales of db3 details with 3 coefficients each
_MIN_SIDE = 16


# --------------------------------------------------------------------------
# layout
# --------------------------------------------------------------------------


def _as_sequence(
    x, name: str = "x", *, min_frames: int = MIN_FRAMES
) -> tuple[np.ndarray, bool]:
    """``(T, H, W)`` or ``(C, T, H, W)`` -> ``(C, T, H, W)`` float64, and whether it had C."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"`{name}` must be a numeric array (T, H, W), got {type(x).__name__}.")
    shape = np.shape(x)
    if len(shape) not in (3, 4):
        raise ValueError(
            f"`{name}` must be a sequence (T, H, W) or (C, T, H, W), time first, got shape "
            f"{shape}; a single image is (H, W) (use textures_nb.multiscale), a list of frames "
            "becomes a sequence with np.stack(frames)."
        )
    if len(shape) == 4 and shape[-1] in (1, 3, 4) and shape[0] > 4:
        raise ValueError(
            f"`{name}` of shape {shape} looks channels-last (T, H, W, C); the layout is "
            f"(C, T, H, W): pass np.moveaxis({name}, -1, 0)."
        )
    arr = as_finite_array(x, name, ndims=(3, 4))
    had_channels = arr.ndim == 4
    if not had_channels:
        arr = arr[None]
    n_t, n_y, n_x = arr.shape[1:]
    if n_t < min_frames:
        raise ValueError(
            f"`{name}` has {n_t} frames (shape {shape}); the time scales need at least "
            f"{min_frames} frames (axis 0 is time: (T, H, W)). Pass a longer sequence, or "
            "check the layout (np.moveaxis(x, -1, 0) if time is last)."
        )
    if min(n_y, n_x) < _MIN_SIDE:
        raise ValueError(
            f"`{name}` frames are {n_y} x {n_x} pixels; at least {_MIN_SIDE} x {_MIN_SIDE} "
            "are needed for two space scales."
        )
    return arr, had_channels


def _check_shape3(shape, name: str = "shape") -> tuple[int, int, int]:
    if isinstance(shape, (int, np.integer)) or len(shape) != 3:
        raise ValueError(f"`{name}` must be (T, H, W), got {shape!r}.")
    out = tuple(check_positive_int(s, f"{name}[{i}]", minimum=8) for i, s in enumerate(shape))
    return out  # type: ignore[return-value]


# --------------------------------------------------------------------------
# processes with known truth
# --------------------------------------------------------------------------


def _bandlimited_gain(n: int, H: float) -> np.ndarray:
    """Gain ``|f|**-(H + 1/2)`` of a 1D band-limited fBm on ``n`` points (0 at f = 0)."""
    f = np.abs(np.fft.fftfreq(n))
    return np.where(f > 0, np.where(f > 0, f, 1.0) ** (-(H + 0.5)), 0.0)


def spacetime_fbf(
    shape: tuple[int, int, int],
    H_space: float,
    H_time: float,
    *,
    seed: int | np.random.Generator = 0,
) -> np.ndarray:
    """Anisotropic space-time fractional Brownian field with exponents ``(H_space, H_time)``.

    The separable (sheet-like) field whose covariance is the product of a
    fractional Brownian motion's in time and a fractional Brownian field's in
    space: every frame is an isotropic fBf of index ``H_space``
    (:func:`textures_nb.processes.fbf`, band-limited), every pixel's time
    series a band-limited fBm of index ``H_time``, and the hyperbolic wavelet
    variances factor, ``E d(j_t, j_s)**2 = v_t(j_t) v_s(j_s)`` with
    ``v ~ 2**(2 H j)`` (the truth :func:`spacetime_exponents` recovers).

    Built as the time-colouring of independent fBf frames: ``X = Re FFT_t(g
    (A + iB))`` cropped to ``T`` frames, with ``A``, ``B`` stacks of ``2T``
    independent fBf frames and ``g = |f|**-(H_time + 1/2)`` the spectral gain
    of a band-limited fBm on a time grid twice as long (so that the crop is
    not periodic in time, as :func:`~textures_nb.processes.fbf` is not in
    space). Spectral synthesis rather than exact point samples in time:
    point-sampled fBm is aliased at the finest time scales (on 64 frames,
    ``H_time = 0.3`` read 0.05 on time octaves 1-3), the band-limited one
    scales as ``2**(2 H j)`` down to the finest octave.

    Parameters
    ----------
    shape : (int, int, int)
        ``(T, H, W)``, each >= 8.
    H_space, H_time : float
        Hurst exponents in space and in time, in (0, 1).
    seed : int or numpy.random.Generator, default 0

    Returns
    -------
    numpy.ndarray, shape (T, H, W)

    Examples
    --------
    >>> x = spacetime_fbf((16, 32, 32), 0.3, 0.7, seed=1)
    >>> x.shape, bool(np.isfinite(x).all())
    ((16, 32, 32), True)
    """
    from .processes import fbf

    n_t, n_y, n_x = _check_shape3(shape)
    H_space = check_in_range(H_space, "H_space", 0.0, 1.0)
    H_time = check_in_range(H_time, "H_time", 0.0, 1.0)
    rng = as_generator(seed)
    m = 2 * n_t
    gain = _bandlimited_gain(m, H_time) / math.sqrt(m)
    frames = np.stack([fbf((n_y, n_x), H_space, seed=rng) for _ in range(2 * m)])
    white = frames[:m] + 1j * frames[m:]
    out = np.fft.fft(gain[:, None, None] * white, axis=0).real[:n_t]
    return out / out.std()


def spacetime_cascade(
    shape: tuple[int, int, int],
    H: float,
    lam: float,
    *,
    seed: int | np.random.Generator = 0,
) -> np.ndarray:
    """Periodic space-time multifractal field (a 3D cascade) with ``c1 ~ H`` and ``c2 = -lam**2``.

    The 3D counterpart of :func:`textures_nb.processes.periodic_multifractal`:
    white noise times ``exp(lam * omega)``, with ``omega`` a periodic
    log-correlated Gaussian field in space-time (spectral density
    ``2 pi**2 / |k|**3``, so that ``Cov(omega(x), omega(y)) ~ ln(L / |x - y|)``
    in 3D), fractionally integrated by ``|k|**-(H - lam**2 / 2 + 3 / 2)``.
    Isotropic in space-time: its leaders (:func:`spacetime_exponents`) have
    ``c2 = -lam**2`` at every scale. Periodic on the grid (no border).

    Parameters
    ----------
    shape : (int, int, int)
        ``(T, H, W)``, each >= 8.
    H : float
        Regularity in (0, 1).
    lam : float
        Intermittency >= 0 (``c2 = -lam**2``).
    seed : int or numpy.random.Generator, default 0

    Returns
    -------
    numpy.ndarray, shape (T, H, W)

    Examples
    --------
    >>> x = spacetime_cascade((16, 32, 32), 0.5, 0.3, seed=0)
    >>> x.shape, bool(np.isfinite(x).all())
    ((16, 32, 32), True)
    """
    shape = _check_shape3(shape)
    H = check_in_range(H, "H", 0.0, 1.0)
    lam = check_in_range(lam, "lam", 0.0, 1.0, low_inclusive=True)
    rng = as_generator(seed)
    freqs = np.meshgrid(*[2 * np.pi * np.fft.fftfreq(n) for n in shape], indexing="ij")
    k2 = sum(f**2 for f in freqs)
    density = 2 * np.pi**2 / (k2 + 1.0 / max(shape) ** 2) ** 1.5
    omega = np.fft.ifftn(np.fft.fftn(rng.standard_normal(shape)) * np.sqrt(density)).real
    g = rng.standard_normal(shape) * np.exp(lam * omega - lam**2 * density.mean())
    gain = np.where(k2 > 0, k2, 1.0) ** (-(H - lam**2 / 2 + 1.5) / 2) * (k2 > 0)
    out = np.fft.ifftn(np.fft.fftn(g) * gain).real
    return out / out.std()


def advected_field(
    shape: tuple[int, int, int],
    velocity: tuple[float, float] = (0.5, 1.0),
    *,
    H: float = 0.5,
    memory: float = 0.95,
    seed: int | np.random.Generator = 0,
) -> np.ndarray:
    """A 2D fractional texture moving at a known velocity while it evolves.

    Frame ``t`` is ``G_t(y - v_y t, x - v_x t)``: the shift is a phase ramp in
    the Fourier domain (sub-pixel velocities are exact), and ``G_t`` evolves
    as an AR(1) process per spatial frequency, ``G_t = memory G_{t-1} +
    sqrt(1 - memory**2) E_t``, with fBf spectra ``|k|**-(2H + 2)``. Computed on
    a grid twice as large, then cropped: the texture enters and leaves the
    frame like a camera view, not wrapping around.

    Parameters
    ----------
    shape : (int, int, int)
        ``(T, H, W)``, each >= 8.
    velocity : (float, float), default (0.5, 1.0)
        ``(v_y, v_x)`` in pixels per frame (rows down, columns right).
    H : float, default 0.5
        Spatial Hurst exponent of the texture, in (0, 1).
    memory : float, default 0.95
        Frame-to-frame correlation of the texture's own evolution, in [0, 1]
        (1: frozen texture, pure translation).
    seed : int or numpy.random.Generator, default 0

    Returns
    -------
    numpy.ndarray, shape (T, H, W)

    Examples
    --------
    >>> x = advected_field((8, 32, 32), (0.0, 2.0), memory=1.0)
    >>> bool(np.allclose(x[1][:, 10:20], x[0][:, 8:18], atol=1e-8))
    True
    """
    n_t, n_y, n_x = _check_shape3(shape)
    if len(velocity) != 2:
        raise ValueError(f"`velocity` must be (v_y, v_x) in pixels per frame, got {velocity!r}.")
    vy, vx = (float(v) for v in velocity)
    if not (np.isfinite(vy) and np.isfinite(vx)):
        raise ValueError(f"`velocity` must be finite, got {velocity!r}.")
    H = check_in_range(H, "H", 0.0, 1.0)
    memory = check_in_range(memory, "memory", 0.0, 1.0, low_inclusive=True, high_inclusive=True)
    rng = as_generator(seed)
    gy, gx = 2 * n_y, 2 * n_x
    ky = np.fft.fftfreq(gy)[:, None]
    kx = np.fft.fftfreq(gx)[None, :]
    k2 = ky**2 + kx**2
    amp = np.where(k2 > 0, np.where(k2 > 0, k2, 1.0) ** (-(H + 1) / 2), 0.0)
    innov = math.sqrt(max(0.0, 1.0 - memory**2))
    g = np.fft.fft2(rng.standard_normal((gy, gx))) * amp
    out = np.empty((n_t, n_y, n_x))
    for t in range(n_t):
        if t:
            g = memory * g + innov * np.fft.fft2(rng.standard_normal((gy, gx))) * amp
        ramp = np.exp(-2j * np.pi * (ky * vy * t + kx * vx * t))
        out[t] = np.fft.ifft2(g * ramp).real[:n_y, :n_x]
    return out / out.std()


# --------------------------------------------------------------------------
# analysis
# --------------------------------------------------------------------------


@dataclass
class SpacetimeExponents:
    """Space and time Hurst exponents and space-time log-cumulants of a sequence.

    Attributes
    ----------
    H_space, H_time : float
        Slopes / 2 of the plane fitted to ``log2 E d(j_t, j_s)**2`` (mean over
        channels for a multichannel sequence; per channel in ``.table()``).
    c1, c2 : float
        Log-cumulants of the space-time wavelet leaders (isotropic scales),
        NaN when the sequence allows fewer than 2 space-time scales.
    log2_variance : numpy.ndarray
        ``(C, J_t, J_s)``: ``log2`` mean squared details per scale pair.
    j_time, j_space : (int, int)
        Scale ranges of the fit (1 is the finest).
    per_channel : numpy.ndarray
        ``(C, 4)``: ``H_space``, ``H_time``, ``c1``, ``c2`` per channel.
    leader_cumulants : numpy.ndarray
        ``(C, J, 2)``: mean and variance of ``ln`` of the leaders per space-time scale.

    Examples
    --------
    >>> x = spacetime_fbf((16, 16, 16), 0.3, 0.7, seed=0)
    >>> est = spacetime_exponents(x, wavelet="db1")
    >>> type(est).__name__, est.j_time, est.j_space, est.log2_variance.shape
    ('SpacetimeExponents', (1, 2), (1, 2), (1, 2, 2))
    >>> est.table().columns.tolist()
    ['H_space', 'H_time', 'c1', 'c2']
    """

    H_space: float
    H_time: float
    c1: float
    c2: float
    j_time: tuple[int, int]
    j_space: tuple[int, int]
    log2_variance: np.ndarray = field(repr=False)
    per_channel: np.ndarray = field(repr=False)  # (C, 4): H_space, H_time, c1, c2
    leader_cumulants: np.ndarray = field(repr=False)  # (C, J, 2): C1(j), C2(j)

    def __repr__(self) -> str:
        return (
            f"SpacetimeExponents(H_space={self.H_space:.3f}, H_time={self.H_time:.3f}, "
            f"c1={self.c1:.3f}, c2={self.c2:.3f}, j_time={self.j_time}, "
            f"j_space={self.j_space})"
        )

    def table(self):
        """One row per channel: ``H_space``, ``H_time``, ``c1``, ``c2``."""
        import pandas as pd

        return pd.DataFrame(
            self.per_channel, columns=["H_space", "H_time", "c1", "c2"]
        ).rename_axis("channel")

    def plot(self, *, channel: int = 0, title: str | None = None):
        """Heat map of ``log2 E d(j_t, j_s)**2`` (the plane whose slopes are ``2H``)."""
        import plotly.graph_objects as go

        lv = self.log2_variance[channel]
        fig = go.Figure(
            go.Heatmap(
                z=lv,
                x=[f"j_space={j}" for j in range(1, lv.shape[1] + 1)],
                y=[f"j_time={j}" for j in range(1, lv.shape[0] + 1)],
                colorscale="Viridis",
                colorbar={"title": "log2 var"},
                texttemplate="%{z:.2f}",
            )
        )
        fig.update_layout(
            title=title
            or f"Hyperbolic wavelet variances: H_space={self.H_space:.2f}, "
            f"H_time={self.H_time:.2f}",
            height=320,
            autosize=True,
            margin={"l": 60, "r": 20, "t": 50, "b": 40},
        )
        return fig


def _scale_range(rng_, available: int, name: str) -> tuple[int, int]:
    if rng_ is None:
        return (1, available)
    if len(rng_) != 2:
        raise ValueError(f"`{name}` must be (j_min, j_max), got {rng_!r}.")
    lo, hi = (check_positive_int(v, name) for v in rng_)
    if hi > available or lo >= hi:
        raise ValueError(
            f"`{name}` = {rng_!r}: the sequence allows scales 1..{available} there and the "
            "fit needs at least two; pass a range inside it or use a longer sequence."
        )
    return lo, hi


def _plane_fit(lv: np.ndarray, jt: tuple[int, int], js: tuple[int, int]) -> tuple[float, float]:
    rows, y = [], []
    for a in range(jt[0], jt[1] + 1):
        for b in range(js[0], js[1] + 1):
            rows.append((1.0, a, b))
            y.append(lv[a - 1, b - 1])
    coef = np.linalg.lstsq(np.asarray(rows), np.asarray(y), rcond=None)[0]
    return float(coef[2] / 2), float(coef[1] / 2)


def _children_max(lam: np.ndarray, shape: tuple[int, ...], off: int) -> np.ndarray:
    """Max over the 2 central children (per axis) of each coefficient at the next scale."""
    out = lam
    for ax, n in enumerate(shape):
        a = np.take(out, 2 * np.arange(n) + off, axis=ax)
        b = np.take(out, 2 * np.arange(n) + off + 1, axis=ax)
        out = np.maximum(a, b)
    return out


def _leader_cumulants(x3: np.ndarray, wavelet: str, levels: int) -> np.ndarray:
    """``(J, 2)``: mean and variance of ``ln L(j)`` of the isotropic space-time leaders."""
    from scipy.ndimage import maximum_filter

    from ._shared.wavelets import wavelet as _wavelet

    n_taps = len(_wavelet(wavelet).dec_lo)
    off = n_taps // 2 - 1
    d = hyperbolic_details(x3, ((0, 1, 2),), wavelet_name=wavelet, levels=levels)
    out = np.full((levels, 2), np.nan)
    lam = None
    for j in range(1, levels + 1):
        a = np.abs(d[(j,)]).max(axis=-1)
        if lam is not None:
            a = np.maximum(a, _children_max(lam, a.shape, off))
        lam = a
        lead = maximum_filter(lam, size=3, mode="nearest")
        logs = np.log(lead[lead > 0])
        out[j - 1] = logs.mean(), logs.var()
    return out


def spacetime_exponents(
    x,
    *,
    wavelet: str = "db3",
    j_time: tuple[int, int] | None = None,
    j_space: tuple[int, int] | None = None,
    leaders: bool = True,
    leader_wavelet: str = "db1",
) -> SpacetimeExponents:
    """Estimate ``H_space``, ``H_time`` (and leaders' ``c1``, ``c2``) of a sequence.

    ``log2`` of the mean squared hyperbolic wavelet details ``d(j_t, j_s)``
    (time scale ``j_t``, space scale ``j_s``, valid borders, L1
    normalisation; see the module docstring) is fitted by a plane
    ``a + 2 H_time j_t + 2 H_space j_s`` over the scale ranges by least
    squares: every scale pair counts once, so the time slope borrows the
    precision of all space scales. ``c1`` and ``c2`` are the slopes (in
    ``ln 2`` units) of the mean and variance of ``ln`` of the isotropic
    space-time wavelet leaders (3D transform, ``3**3`` neighbourhood, all
    finer scales) over scales ``2..J`` (the finest octave is left out of the
    fit, as in :func:`textures_nb.multiscale.log_cumulants`), with the Haar
    wavelet by default: its short filters leave one more space-time scale
    than db3 (64 frames: 4 instead of 3), and on a 128**3 cascade with
    ``c2 = -0.09`` the estimate over 4 seeds was -0.075 +- 0.006 (db3:
    -0.082 +- 0.029), enough for fields with ``H < 1``.

    Parameters
    ----------
    x : array_like
        ``(T, H, W)`` or ``(C, T, H, W)``, time first, finite, at least 16
        frames of at least 16 x 16 pixels.
    wavelet : str, default "db3"
        Orthogonal PyWavelets wavelet.
    j_time, j_space : (int, int), optional
        Scale ranges of the plane fit; default all scales with at least 3
        coefficients (``T = 64``: time scales 1-3; 128 pixels: space 1-4).
    leaders : bool, default True
        Also compute ``c1``, ``c2`` (NaN if False).
    leader_wavelet : str, default "db1"
        Wavelet of the space-time leaders.

    Returns
    -------
    SpacetimeExponents

    Raises
    ------
    ValueError
        Wrong layout (not 3 or 4 dims, channels last), too few frames or
        pixels for two scales, NaN/inf, scale ranges outside what the data allow.

    Examples
    --------
    >>> x = spacetime_fbf((32, 64, 64), 0.3, 0.7, seed=0)
    >>> est = spacetime_exponents(x)
    >>> abs(est.H_space - 0.3) < 0.1, abs(est.H_time - 0.7) < 0.15
    (True, True)
    """
    arr, _ = _as_sequence(x, "x")
    lt, ls = group_levels(arr.shape[1:], ((0,), (1, 2)), wavelet_name=wavelet)
    if lt < 2:
        raise ValueError(
            f"`x` has {arr.shape[1]} frames: too few for two time scales with {wavelet!r}; "
            "pass a longer sequence."
        )
    jt = _scale_range(j_time, lt, "j_time")
    js = _scale_range(j_space, ls, "j_space")
    n_ch = arr.shape[0]
    lv = np.empty((n_ch, lt, ls))
    per = np.full((n_ch, 4), np.nan)
    (l3,) = group_levels(arr.shape[1:], ((0, 1, 2),), wavelet_name=leader_wavelet)
    cum = np.full((n_ch, max(l3, 1), 2), np.nan)
    for c in range(n_ch):
        d = hyperbolic_details(arr[c], ((0,), (1, 2)), wavelet_name=wavelet)
        for (a, b), v in d.items():
            lv[c, a - 1, b - 1] = np.log2(np.mean(v**2))
        per[c, 0], per[c, 1] = _plane_fit(lv[c], jt, js)
        if leaders and l3 >= 2:
            cum[c] = _leader_cumulants(arr[c], leader_wavelet, l3)
            j = np.arange(1, l3 + 1)
            sel = j >= (2 if l3 >= 3 else 1)
            per[c, 2] = np.polyfit(j[sel] * math.log(2), cum[c, sel, 0], 1)[0]
            per[c, 3] = np.polyfit(j[sel] * math.log(2), cum[c, sel, 1], 1)[0]
    mean = per.mean(axis=0)
    return SpacetimeExponents(
        H_space=float(mean[0]),
        H_time=float(mean[1]),
        c1=float(mean[2]),
        c2=float(mean[3]),
        j_time=jt,
        j_space=js,
        log2_variance=lv,
        per_channel=per,
        leader_cumulants=cum,
    )


@dataclass
class VelocityEstimate:
    """Velocity of a moving texture, from the frame-to-frame shifts.

    Attributes
    ----------
    velocity : (float, float)
        ``(v_y, v_x)`` in pixels per frame.
    speed : float
        ``hypot(v_y, v_x)``.
    shifts : numpy.ndarray
        ``(n_lags, 2)``: median shift at each lag (pixels).
    lags : numpy.ndarray
        The lags (frames).

    Examples
    --------
    >>> x = advected_field((8, 32, 32), (0.0, 1.0), seed=0)
    >>> v = estimate_velocity(x, max_lag=2)
    >>> type(v).__name__, v.lags.tolist(), v.shifts.shape, v.table().shape
    ('VelocityEstimate', [1, 2], (2, 2), (2, 5))
    """

    velocity: tuple[float, float]
    speed: float
    shifts: np.ndarray = field(repr=False)
    lags: np.ndarray = field(repr=False)

    def __repr__(self) -> str:
        v = ", ".join(f"{float(c):.3f}" for c in np.ravel(self.velocity))
        return f"VelocityEstimate(velocity=({v}) px/frame, speed={float(self.speed):.3f})"

    def table(self):
        """Median shift per lag, and the shift the fitted velocity predicts."""
        import pandas as pd

        return pd.DataFrame(
            {
                "lag": self.lags,
                "shift_y": self.shifts[:, 0],
                "shift_x": self.shifts[:, 1],
                "fit_y": self.lags * self.velocity[0],
                "fit_x": self.lags * self.velocity[1],
            }
        )


def estimate_velocity(
    x, *, max_lag: int = 4, upsample_factor: int = 20, n_pairs: int = 16
) -> VelocityEstimate:
    """Velocity of a texture moving across the frames (phase correlation).

    For each lag ``1..max_lag``, the translation between frames ``t`` and
    ``t + lag`` is measured by scikit-image's sub-pixel phase correlation
    (``skimage.registration.phase_cross_correlation``, Guizar-Sicairos
    et al. 2008) on up to ``n_pairs`` pairs, on Hann-windowed frames (so that
    the borders, where texture enters and leaves, do not pull the peak to
    zero). The median shift per lag is fitted by a line through the origin:
    the slope is the velocity. Longer lags make the estimate finer, as long
    as the texture's own evolution keeps the frames correlated.

    Parameters
    ----------
    x : array_like
        ``(T, H, W)`` or ``(C, T, H, W)`` (channels averaged).
    max_lag : int, default 4
        Largest lag in frames (< T).
    upsample_factor : int, default 20
        Sub-pixel precision ``1 / upsample_factor`` of each shift.
    n_pairs : int, default 16
        Frame pairs per lag (evenly spread).

    Returns
    -------
    VelocityEstimate

    Examples
    --------
    >>> x = advected_field((16, 64, 64), (0.5, -1.0), seed=0)
    >>> v = estimate_velocity(x)
    >>> [round(c, 1) for c in v.velocity]
    [0.5, -1.0]
    """
    from skimage.registration import phase_cross_correlation

    arr, _ = _as_sequence(x, "x", min_frames=2)
    seq = arr.mean(axis=0)
    n_t = seq.shape[0]
    max_lag = check_positive_int(max_lag, "max_lag")
    if max_lag >= n_t:
        raise ValueError(f"`max_lag` = {max_lag} needs more than {max_lag} frames, got {n_t}.")
    upsample_factor = check_positive_int(upsample_factor, "upsample_factor")
    n_pairs = check_positive_int(n_pairs, "n_pairs")
    win = np.outer(np.hanning(seq.shape[1]), np.hanning(seq.shape[2]))
    lags = np.arange(1, max_lag + 1)
    shifts = np.empty((max_lag, 2))
    for i, lag in enumerate(lags):
        starts = np.unique(np.linspace(0, n_t - lag - 1, min(n_pairs, n_t - lag)).astype(int))
        s = []
        for t in starts:
            a = (seq[t + lag] - seq[t + lag].mean()) * win
            b = (seq[t] - seq[t].mean()) * win
            shift, _, _ = phase_cross_correlation(a, b, upsample_factor=upsample_factor)
            s.append(shift)
        shifts[i] = np.median(np.asarray(s), axis=0)
    v = (lags[:, None] * shifts).sum(axis=0) / (lags**2).sum()
    vel = (float(v[0]), float(v[1]))
    return VelocityEstimate(velocity=vel, speed=float(np.hypot(*vel)), shifts=shifts, lags=lags)


def temporal_autocorrelation(x, max_lag: int = 8, *, increments: bool = False) -> np.ndarray:
    """Temporal autocorrelation at lags ``0..max_lag``, averaged over pixels (and channels).

    ``rho(k) = sum_{t, pixels} y_t y_{t+k} / sum_{t, pixels} y_t**2`` with
    ``y`` the sequence minus each pixel's temporal mean (``increments=True``:
    the frame-to-frame differences ``x_{t+1} - x_t`` instead, the stationary
    part of a field with fractional Brownian time behaviour).

    Parameters
    ----------
    x : array_like
        ``(T, H, W)`` or ``(C, T, H, W)``.
    max_lag : int, default 8
        Largest lag, < T.
    increments : bool, default False

    Returns
    -------
    numpy.ndarray, shape (max_lag + 1,)
        ``rho[0] = 1``.

    Examples
    --------
    >>> x = np.cumsum(np.random.default_rng(0).standard_normal((64, 16, 16)), axis=0)
    >>> rho = temporal_autocorrelation(x, 4, increments=True)
    >>> bool(abs(rho[1]) < 0.05), float(rho[0])
    (True, 1.0)
    """
    arr, _ = _as_sequence(x, "x", min_frames=2)
    if increments:
        arr = np.diff(arr, axis=1)
    max_lag = check_positive_int(max_lag, "max_lag")
    if max_lag >= arr.shape[1]:
        raise ValueError(f"`max_lag` = {max_lag} must be below the {arr.shape[1]} frames.")
    y = arr - arr.mean(axis=1, keepdims=True)
    den = (y**2).sum()
    rho = [1.0] + [float((y[:, k:] * y[:, :-k]).sum() / den) for k in range(1, max_lag + 1)]
    return np.asarray(rho)


def frame_differences(x) -> np.ndarray:
    """Root-mean-square frame-to-frame difference, ``(T - 1,)``: where a sequence jumps.

    Entry ``t`` is ``sqrt(mean((x[t + 1] - x[t])**2))`` over pixels (and
    channels). A join between two synthesised blocks that did not keep the
    time statistics shows up as an entry outside the range of the others.

    Parameters
    ----------
    x : array_like
        ``(T, H, W)`` or ``(C, T, H, W)``, time first, finite, at least 2
        frames of at least 16 x 16 pixels.

    Returns
    -------
    numpy.ndarray, shape (T - 1,)
        RMS difference between frames ``t`` and ``t + 1``, in the units of ``x``.

    Examples
    --------
    >>> x = np.zeros((4, 16, 16)); x[2:] = 1.0
    >>> frame_differences(x).tolist()
    [0.0, 1.0, 0.0]
    """
    arr, _ = _as_sequence(x, "x", min_frames=2)
    return np.sqrt((np.diff(arr, axis=1) ** 2).mean(axis=(0, 2, 3)))


# --------------------------------------------------------------------------
# synthesis
# --------------------------------------------------------------------------


def _periodic_component(u: np.ndarray) -> np.ndarray:
    """Moisan's periodic component of ``u`` (C, T, H, W) over its 3 axes (jumps removed)."""
    return _periodic_smooth(u)[0]


def _common_levels(a: tuple[int, ...], b: tuple[int, ...], wavelet: str = "db3") -> tuple[int, int]:
    """Time and space wavelet levels (``group_levels``) both ``(T, H, W)`` shapes hold."""
    lt, ls = (
        min(v)
        for v in zip(
            group_levels(a, ((0,), (1, 2)), wavelet_name=wavelet),
            group_levels(b, ((0,), (1, 2)), wavelet_name=wavelet),
            strict=True,
        )
    )
    return lt, ls


def _transform_at(p: np.ndarray, size: tuple[int, int, int]) -> np.ndarray:
    """``fftn`` over (T, H, W) of a field with ``p``'s spectrum at ``size``: ``(C, *size)``.

    At ``p``'s own size, ``p``'s transform (exact amplitudes and cross-spectra);
    otherwise amplitudes from ``p``'s biased autocovariance embedded in the
    new grid (spectrum kept in expectation, cross-channel phases dropped).
    """
    axes = (1, 2, 3)
    if tuple(size) == p.shape[1:]:
        return np.fft.fftn(p, axes=axes)
    shape = p.shape[1:]
    pc = p - p.mean(axis=axes, keepdims=True)
    big = tuple(2 * n for n in shape)
    acov = np.fft.ifftn(np.abs(np.fft.fftn(pc, s=big, axes=axes)) ** 2, axes=axes).real
    acov /= np.prod(shape)
    lags = [
        np.r_[0 : min(n, m // 2 + 1), -min(n - 1, (m - 1) // 2) : 0]
        for n, m in zip(shape, size, strict=True)
    ]
    src = [np.where(lag < 0, lag + 2 * n, lag) for lag, n in zip(lags, shape, strict=True)]
    emb = np.zeros((p.shape[0], *size))
    emb[(slice(None), *np.ix_(*lags))] = acov[(slice(None), *np.ix_(*src))]
    power = np.clip(np.fft.fftn(emb, axes=axes).real, 0.0, None) * np.prod(size)
    return np.sqrt(power).astype(complex)


def _random_phase(size: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Hermitian-symmetric unit phases (the angle of white noise's transform), 0 at f = 0."""
    ph = np.exp(1j * np.angle(np.fft.fftn(rng.standard_normal(size))))
    ph[(0,) * len(size)] = 1.0
    return ph


def _surrogate(F: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random-phase field (C, T, H, W) from the transform ``F`` (one phase field for all C)."""
    return np.fft.ifftn(F * _random_phase(F.shape[1:], rng)[None], axes=(1, 2, 3)).real


def _octave(f: np.ndarray, n_levels: int) -> np.ndarray:
    """Wavelet octave (1 finest .. n_levels) of frequencies ``f`` in cycles per sample."""
    with np.errstate(divide="ignore"):
        j = np.floor(-np.log2(np.where(f > 0, f, 1e-12)))
    return np.clip(j, 1, n_levels).astype(int) - 1


def _wavelet_table(y: np.ndarray, lt: int, ls: int) -> np.ndarray:
    """``log2`` mean squares ``(lt, ls + 1)`` of a (T, H, W) field: the hyperbolic details
    ``d(j_t, j_s)``, then (last column) the time details of the space approximation at
    level ``ls`` (all coarser space scales: the part of the field the details do not see)."""
    from ._shared.wavelets import filter_step, wavelet

    d = hyperbolic_details(y, ((0,), (1, 2)), levels=(lt, ls))
    out = np.empty((lt, ls + 1))
    for (a, b), v in d.items():
        out[a - 1, b - 1] = np.log2(np.mean(v**2))
    w = wavelet("db3")
    lo, hi = np.asarray(w.dec_lo) / math.sqrt(2.0), np.asarray(w.dec_hi) / math.sqrt(2.0)
    approx = y
    for _ in range(ls):
        approx = filter_step(filter_step(approx, lo, hi, axis=1)[0], lo, hi, axis=2)[0]
    for j in range(lt):
        approx, det = filter_step(approx, lo, hi, axis=0)
        out[j, ls] = np.log2(np.mean(det**2))
    return out


def _match_wavelet_variances(
    F: np.ndarray,
    target: np.ndarray,
    rng: np.random.Generator,
    n_rounds: int = 4,
    coarse_gain: float = 1.0,
) -> np.ndarray:
    """Rescale ``F`` (C, T, H, W) per space and time octave so that its random-phase fields
    have the hyperbolic wavelet variances ``target[:, :, :ls]`` (C, lt, ls + 1, from
    :func:`_wavelet_table`).

    ``n_rounds`` rounds of separable gains, one per space octave (mean over the time octaves)
    times one per time octave (mean over the space octaves), on the modes up to space octave
    ``ls``; the coarser space modes, which no detail sees, keep their amplitudes (times
    ``coarse_gain``). With the detail gains applied to them too (the clipped octave), the
    start of ``"gram"`` for ``(H_s, H_t) = (0.7, 0.3)`` had frame steps 35 % smaller than the
    sample's and increment autocorrelations up to 0.16 off (the energy of those fields' frame
    steps lives at space scales coarser than ``ls``); untouched: 4-7 % smaller, 0.03-0.05
    (32 x 64 x 64, 2 seeds). Per-time-octave gains fitted to the last column instead
    overshot (frame steps 30-60 % too large): few coarse coefficients, crop seams.
    """
    n_ch, lt, ls1 = target.shape
    ls = ls1 - 1
    size = F.shape[1:]
    fs = np.sqrt(
        np.fft.fftfreq(size[1])[None, :, None] ** 2 + np.fft.fftfreq(size[2])[None, None, :] ** 2
    )
    bs = np.broadcast_to(_octave(fs, ls + 1), size)  # ls: coarser than the details
    bt = np.broadcast_to(_octave(np.abs(np.fft.fftfreq(size[0]))[:, None, None], lt), size)
    coarse = bs == ls
    bs_d = np.minimum(bs, ls - 1)
    phase = _random_phase(size, rng)
    F = F.copy()
    for _ in range(n_rounds):
        y = np.fft.ifftn(F * phase[None], axes=(1, 2, 3)).real
        for c in range(n_ch):
            det = target[c, :, :ls] - _wavelet_table(y[c], lt, ls)[:, :ls]
            g_s = 2.0 ** (det.mean(axis=0) / 2)
            g_t = 2.0 ** ((det - det.mean(axis=0)).mean(axis=1) / 2)
            F[c] *= np.where(coarse, coarse_gain, g_s[bs_d] * g_t[bt])
    return F


def _condition(z: np.ndarray, fixed: np.ndarray, power: np.ndarray, new: slice) -> np.ndarray:
    """Gaussian conditional simulation of ``z``'s frames ``new`` given its first frames = ``fixed``.

    Per spatial Fourier mode ``k`` the random-phase field ``z`` is a stationary
    (circular) complex Gaussian process in time with covariance
    ``Gamma_k(tau) = ifft_t(power)``; kriging gives ``z_c = z + W (fixed -
    z[:o])`` with ``W = C_{new,o} C_{o,o}^{-1}``, which has exactly the law
    of ``z`` given its first ``o`` frames (Journel's conditioning by kriging).
    Channels are conditioned one by one.
    """
    n_ch, n_t = z.shape[:2]
    o = fixed.shape[1]
    t_new = np.arange(n_t)[new]
    gamma = np.fft.ifft(power, axis=1)  # (C, T, H, W): E Z(t) conj Z(s) ~ gamma(t - s)
    zf = np.fft.fft2(z, axes=(2, 3))
    ff = np.fft.fft2(fixed, axes=(2, 3))
    out = zf[:, t_new].copy()
    a, b = np.meshgrid(np.arange(o), np.arange(o), indexing="ij")
    idx_oo = (a - b) % n_t
    idx_to = (t_new[:, None] - np.arange(o)[None, :]) % n_t
    n_modes = z.shape[2] * z.shape[3]
    for c in range(n_ch):
        g = gamma[c].reshape(n_t, n_modes).T  # (M, T)
        resid = (ff[c] - zf[c, :o]).reshape(o, n_modes).T  # (M, o)
        corr = np.empty((n_modes, len(t_new)), dtype=complex)
        for s in range(0, n_modes, 2048):
            gs = g[s : s + 2048]
            c_oo = gs[:, idx_oo]
            jitter = 1e-9 * np.abs(gs[:, :1]).real + 1e-300
            c_oo = c_oo + jitter[:, :, None] * np.eye(o)[None]
            c_to = gs[:, idx_to]
            # W = C_to C_oo^{-1}: W r = C_to (C_oo^{-1} r)
            sol = np.linalg.solve(c_oo, resid[s : s + 2048, :, None])[..., 0]
            corr[s : s + 2048] = np.einsum("mto,mo->mt", c_to, sol)
        out[c] += corr.T.reshape(len(t_new), *z.shape[2:])
    return np.fft.ifft2(out, axes=(2, 3)).real


def _rank_remap(y: np.ndarray, sorted_vals: np.ndarray) -> np.ndarray:
    """Give each channel of ``y`` the marginal ``sorted_vals`` (C, N0), keeping its ranks."""
    n_ch = y.shape[0]
    flat = y.reshape(n_ch, -1)
    n = flat.shape[1]
    if sorted_vals.shape[1] != n:
        q = (np.arange(n) + 0.5) / n
        src = (np.arange(sorted_vals.shape[1]) + 0.5) / sorted_vals.shape[1]
        sorted_vals = np.stack([np.interp(q, src, s) for s in sorted_vals])
    ranks = np.argsort(np.argsort(flat, axis=1, kind="stable"), axis=1, kind="stable")
    return np.take_along_axis(sorted_vals, ranks, axis=1).reshape(y.shape)


def _iaaft_block(
    F: np.ndarray,
    sorted_vals: np.ndarray,
    init: np.ndarray,
    n_iter: int,
    fixed: np.ndarray | None,
    power: np.ndarray | None = None,
) -> tuple[np.ndarray, list[float]]:
    """IAAFT iterations on a block: amplitudes |F|, marginal; then the first frames set to
    ``fixed`` with the kriging correction of :func:`_condition` (covariance ``power``) on the
    others, so that they continue ``fixed`` as a conditional draw would.

    (Clamping the first frames at every iteration instead left a step at the join: the
    amplitude step moves the whole circular block, so the first free frame continued a
    version of the previous frame that the clamp then replaced; over 3 seeds at 64 x 128 x
    128 every join was larger than any step of the sample.)
    """
    axes = (1, 2, 3)
    amp = np.abs(F)
    norm = np.sqrt((amp**2).sum())
    y = init
    losses = []
    for _ in range(n_iter):
        Y = np.fft.fftn(y, axes=axes)
        y = np.fft.ifftn(amp * np.exp(1j * np.angle(Y)), axes=axes).real
        y = _rank_remap(y, sorted_vals)
        misfit = float(np.sqrt(((np.abs(np.fft.fftn(y, axes=axes)) - amp) ** 2).sum()) / norm)
        losses.append(misfit)
    if fixed is not None:
        o = fixed.shape[1]
        y = np.concatenate([fixed, _condition(y, fixed, power, slice(o, y.shape[1]))], axis=1)
    return y, losses


class _RandomNet3D:
    """Random 3D convolutional features on a space-time pyramid (fixed weights).

    Scale ``s`` averages the sequence over ``2**s`` frames and ``2**s x 2**s``
    pixels, then applies ``n_filters`` zero-mean, unit-norm random
    ``k x k x k`` filters (valid borders) and a ReLU: the space-time analogue
    of :class:`textures_nb.networks.RandomMultiscaleNet` (which is 1D/2D).
    """

    def __init__(self, in_channels: int, n_scales: int, n_filters: int, kernel: int, seed: int):
        import torch

        g = torch.Generator().manual_seed(seed)
        self.weights = []
        for _ in range(n_scales):
            w = torch.randn(n_filters, in_channels, kernel, kernel, kernel, generator=g)
            w = w - w.mean(dim=(2, 3, 4), keepdim=True)
            w = w / w.flatten(1).norm(dim=1).view(-1, 1, 1, 1, 1)
            self.weights.append(w)

    def grams(self, x):
        import torch.nn.functional as F

        out = []
        for s, w in enumerate(self.weights):
            if s:
                x = F.avg_pool3d(x, 2)
            f = F.relu(F.conv3d(x, w)).flatten(2)[0]  # (F, N)
            out.append(f @ f.T / f.shape[1])
        return out


def _band_power(x, n_bands_t: int, n_bands_s: int):
    """Log mean power of a (1, C, T, H, W) tensor in octave bands of time x space frequency."""
    import torch

    X = torch.fft.rfftn(x, dim=(2, 3, 4))
    p = (X.real**2 + X.imag**2) / x[0, 0].numel()
    t, h, w = x.shape[2:]
    ft = torch.fft.fftfreq(t).abs().view(-1, 1, 1)
    fs = torch.sqrt(
        torch.fft.fftfreq(h).view(1, -1, 1) ** 2 + torch.fft.rfftfreq(w).view(1, 1, -1) ** 2
    )
    bt = torch.clamp(torch.floor(-torch.log2(ft.clamp(min=1e-9))), 1, n_bands_t) - 1
    bs = torch.clamp(torch.floor(-torch.log2(fs.clamp(min=1e-9))), 1, n_bands_s) - 1
    label = (bt * n_bands_s + bs).expand(t, h, w // 2 + 1).flatten().long()
    flat = p.flatten(2)
    sums = torch.zeros(*flat.shape[:2], n_bands_t * n_bands_s).index_add_(2, label, flat)
    counts = torch.bincount(label, minlength=n_bands_t * n_bands_s).clamp(min=1)
    return torch.log(sums / counts + 1e-12)


def _wavelet_filters(name: str = "db3"):
    """Flipped L1-normalised filter bank ``(2, 1, L)`` in float32 (``_shared.torch_wavelet``)."""
    import torch

    from ._shared.torch_wavelet import filter_bank

    return filter_bank(name, dtype=torch.float32)


def _torch_hyperbolic_logvar(x, filters, lt: int, ls: int):
    """``log2`` mean squared hyperbolic details ``(C, lt, ls)`` of ``x`` (1, C, T, H, W), in torch.

    The (time, space) transform of ``hyperbolic_details`` (valid borders, L1
    normalisation), differentiable; one step is ``_shared.torch_wavelet.wavelet_step``.
    """
    import torch

    from ._shared.torch_wavelet import wavelet_step

    def step(a, axis):
        return wavelet_step(a, filters, axis + 2)

    rows = []
    a = x
    for _ in range(lt):
        a, dt = step(a, 0)
        row = []
        b = dt
        for _ in range(ls):
            bl, bh = step(b, 1)
            ll, lh = step(bl, 2)
            hl, hh = step(bh, 2)
            sq = (lh**2).mean(dim=(0, 2, 3, 4)) + (hl**2).mean(dim=(0, 2, 3, 4))
            sq = (sq + (hh**2).mean(dim=(0, 2, 3, 4))) / 3
            row.append(torch.log2(sq + 1e-20))
            b = ll
        rows.append(torch.stack(row, dim=-1))
    return torch.stack(rows, dim=1)


def _torch_increment_acf(x, max_lag: int, n_levels: int = 0):
    """Time statistics of the frame increments per space scale, ``(n_levels + 1, max_lag + 1)``.

    Row ``j`` describes the increments of ``x`` (1, C, T, H, W) averaged over ``2**j x 2**j``
    pixels (row 0: the pixels themselves): column 0 is ``ln`` of their mean square (the energy
    of the frame-to-frame change at that space scale), columns ``1..max_lag`` their temporal
    autocorrelation (row 0 is :func:`temporal_autocorrelation` with ``increments=True``). The
    pixel average alone weighs the space scales by their energy, so without the coarse rows the
    time dynamics (and the size of the frame steps) of the large scales, beyond the wavelet
    scales of the variance term, were free: syntheses of a field smooth in space and rough in
    time had frame steps 30 % too small and increment autocorrelations off by 0.06.
    """
    import torch
    import torch.nn.functional as F

    d = x[:, :, 1:] - x[:, :, :-1]
    rows = []
    for j in range(n_levels + 1):
        if j:
            d = F.avg_pool3d(d, (1, 2, 2))
        c = d - d.mean(dim=2, keepdim=True)
        den = (c**2).sum()
        rho = [(c[:, :, k:] * c[:, :, :-k]).sum() / den for k in range(1, max_lag + 1)]
        rows.append(torch.stack([torch.log((d**2).mean() + 1e-20), *rho]))
    return torch.stack(rows)


def _gram_refine(
    init: np.ndarray,
    net: _RandomNet3D,
    target_grams,
    target_bands,
    bands: tuple[int, int],
    free_from: int,
    n_iter: int,
    spectrum_weight: float,
    wavelet_target=None,
    wavelet_weight: float = 0.0,
    acf_weight: float = 0.0,
) -> tuple[np.ndarray, list[float]]:
    """L-BFGS on the frames ``free_from:`` of ``init`` (C, T, H, W): Gram (+ spectrum) loss."""
    import torch

    x0 = torch.as_tensor(init[None], dtype=torch.float32)
    fixed = x0[:, :, :free_from]
    free = x0[:, :, free_from:].clone().requires_grad_(True)
    opt = torch.optim.LBFGS(
        [free],
        lr=1.0,
        max_iter=1,
        history_size=10,
        line_search_fn="strong_wolfe",
        tolerance_grad=0.0,
        tolerance_change=0.0,
    )
    losses: list[float] = []

    def objective():
        x = torch.cat([fixed, free], dim=2)
        loss = sum(
            ((g - t) ** 2).sum() / (t**2).sum()
            for g, t in zip(net.grams(x), target_grams, strict=True)
        )
        if spectrum_weight:
            loss = loss + spectrum_weight * ((_band_power(x, *bands) - target_bands) ** 2).mean()
        if wavelet_weight:
            filters, lt, ls, target = wavelet_target[:4]
            lv = _torch_hyperbolic_logvar(x, filters, lt, ls)
            loss = loss + wavelet_weight * ((lv - target) ** 2).mean()
        if acf_weight:
            target = wavelet_target[4]
            rho = _torch_increment_acf(x, target.shape[1] - 1, target.shape[0] - 1)
            loss = loss + acf_weight * ((rho - target) ** 2).sum()
        return loss

    def closure():
        opt.zero_grad()
        loss = objective()
        loss.backward()
        return loss

    with torch.no_grad():
        losses.append(float(objective()))
    for _ in range(n_iter):
        opt.step(closure)
        with torch.no_grad():
            losses.append(float(objective()))
    out = torch.cat([fixed, free.detach()], dim=2)[0].numpy().astype(np.float64)
    return out, losses


@dataclass
class SequenceSynthesis:
    """A synthesised sequence and how it was made.

    Attributes
    ----------
    texture : numpy.ndarray
        ``size`` (the sample's layout: ``(T2, H2, W2)`` or ``(C, T2, H2, W2)``).
    losses : list of float
        Loss per iteration (``"gram"``; ``"iaaft"``: spectral misfit), all blocks
        in order; empty for ``"phase"``.
    joins : list of int
        First frame of each block after the first (streaming mode).
    seconds : float
        Wall-clock time of the synthesis.
    method : str
        ``"gram"``, ``"phase"`` or ``"iaaft"``.
    options : dict
        The settings used (method options, ``n_iter``, ``overlap``...).

    Examples
    --------
    >>> x = spacetime_fbf((16, 16, 16), 0.5, 0.5, seed=0)
    >>> y = synthesize_sequence(x, method="phase", progress=False)
    >>> type(y).__name__, y.method, y.texture.shape, y.losses, y.joins
    ('SequenceSynthesis', 'phase', (16, 16, 16), [], [])
    """

    texture: np.ndarray = field(repr=False)
    losses: list[float] = field(repr=False)
    joins: list[int]
    seconds: float
    method: str
    options: dict[str, Any] = field(repr=False)

    def __repr__(self) -> str:
        joins = [int(j) for j in np.ravel(self.joins)]
        return (
            f"SequenceSynthesis(method={self.method!r}, shape={np.shape(self.texture)}, "
            f"joins={joins[:6]}{'...' if len(joins) > 6 else ''}, "
            f"seconds={float(self.seconds):.1f})"
        )

    def plot(self, sample=None, **kwargs):
        """Animation of the synthesis (next to ``sample`` if given): :func:`plot_animation`."""
        if sample is None:
            return plot_animation(self.texture, **kwargs)
        return plot_animation(sample, self.texture, **kwargs)


def _check_seq_size(size, shape: tuple[int, int, int]) -> tuple[int, int, int]:
    if size is None:
        return shape
    if isinstance(size, (int, np.integer)) or len(size) != 3:
        raise ValueError(f"`size` must be (T2, H2, W2) for a sequence, got {size!r}.")
    out = tuple(check_positive_int(s, f"size[{i}]", minimum=8) for i, s in enumerate(size))
    return out  # type: ignore[return-value]


_SEQ_DEFAULTS = {
    "gram": {
        "n_iter": 15,
        "n_scales": 3,
        "n_filters": 16,
        "kernel_size": 3,
        "spectrum_weight": 0.0,
        "wavelet_weight": 10.0,
        "acf_weight": 10.0,
        "acf_levels": None,
        "match_wavelets": True,
    },
    "phase": {"match_wavelets": False},
    "iaaft": {"n_iter": 20, "match_wavelets": True},
}


def synthesize_sequence(
    x,
    *,
    method: str = "gram",
    size: Sequence[int] | None = None,
    n_iter: int | None = None,
    stream: bool | None = None,
    overlap: int | None = None,
    seed: int | np.random.Generator = 0,
    progress: bool = True,
    **options: Any,
) -> SequenceSynthesis:
    """Synthesise a sequence (space-time texture) with the statistics of a sample.

    Three methods:

    ``"phase"``
        Random phases in 3D (space and time together) on the sample's periodic
        component (Moisan's decomposition over the three axes, so that the
        jumps between the first and last frames and across the frame borders
        do not become spurious edges): the natural strong baseline for
        Gaussian fields, exact in the (periodic) spectrum and close in the
        temporal autocorrelation. One phase field for all channels. Its
        ``H_space`` misses the sample's by about 0.1 on fractional Brownian
        crops (64 x 128 x 128, 3 seeds: -0.11 for ``(H_s, H_t) = (0.3, 0.7)``,
        +0.07 and ``H_time`` -0.18 for ``(0.7, 0.3)``): not the estimator (it
        reads independent fields within 0.02), but the baseline itself. The
        random phases make a *periodic* stationary field with the periodogram of
        the crop, seams included: after Moisan's decomposition the steps across
        the wrapped borders are still 1.7-3.7 times the interior steps (the
        isotropic Laplacian does not follow an anisotropic field), and moving
        those seams inside the crop raises its hyperbolic wavelet variances by
        a factor 2-9, most at coarse scales; random phases spread that energy
        everywhere. ``match_wavelets=True`` rescales the spectrum per space and
        time octave to the sample's valid-border wavelet variances first (the
        start of ``"gram"``): mean ``H`` gaps within 0.015 and the increments'
        autocorrelation within 0.045 (3 seeds, 64 x 128 x 128).
    ``"iaaft"``
        3D IAAFT: alternately the sample's 3D amplitudes and its marginal.
    ``"gram"`` (default)
        Spatiotemporal random-network statistics: Gram matrices of random 3D
        convolutions (``k x k x k`` filters over frames and pixels) on a
        space-time pyramid, plus the sample's hyperbolic wavelet variances
        ``log2 E d(j_t, j_s)**2`` and the time statistics of its frame
        increments per space scale (for the pixels and their ``2**j x 2**j``
        averages down to 8 x 8 pixels: the mean squared frame step and the
        autocorrelation at lags 1..8) as loss terms, optimised by L-BFGS from a
        phase surrogate whose spectrum was first rescaled per space and time
        octave to the sample's wavelet variances (on a non-periodic crop the
        plain phase surrogate misses the sample's valid-border ``H_space`` by
        about 0.09; measurements in ``benchmarks/results_spacetime.md``).
        Chosen over frame statistics + cross-frame statistics because 3D
        filters see space-time structures (moving edges, the slope of the
        advection in x-t images, intermittent bursts) in one set of statistics at
        every space *and* time scale, with the same machinery (and the same meaning of
        "texture") as the 2D ``"gram"`` of :mod:`textures_nb.synthesis`; frame Grams
        plus lag-1 cross-Grams would constrain time only at the finest time scale.
        Starting from the rescaled phase surrogate puts the second-order statistics
        nearly in place at no cost; the Gram term adds the non-Gaussian ones.

    Streaming (``stream=True``, the default when ``size`` has more frames than
    the sample): the sequence is made block by block, blocks as long as the
    sample. Block ``k + 1`` starts with ``overlap`` frames equal to the last
    frames already made, held fixed; its other frames are drawn *given*
    these: for ``"phase"``, an exact Gaussian conditional simulation (kriging
    per spatial Fourier mode with the block's space-time covariance), so the
    time statistics run across the join as inside a block; ``"iaaft"`` then
    iterates on the whole block and sets the overlap back with the same kriging
    correction of the other frames; ``"gram"`` then optimises the new
    frames only, its statistics computed over the whole block (overlap
    included). The last ``overlap`` frames of each later block are dropped (the
    circular time covariance ties them to the block's first frames).

    Parameters
    ----------
    x : array_like
        The sample, ``(T, H, W)`` or ``(C, T, H, W)``, time first, finite, at
        least 16 frames of 16 x 16 pixels.
    method : {"gram", "phase", "iaaft"}, default "gram"
    size : (int, int, int), optional
        ``(T2, H2, W2)``; default the sample's.
    n_iter : int, optional
        Iterations per block (``"gram"``: 15 L-BFGS steps; ``"iaaft"``: 20).
    stream : bool, optional
        Block-by-block synthesis (see above); default when ``T2 > T``.
        ``False`` with ``T2 > T`` makes one periodic block of ``T2`` frames.
    overlap : int, optional
        Frames shared by consecutive blocks; default ``min(16, T // 4)``.
    seed : int or numpy.random.Generator, default 0
    progress : bool, default True
    **options
        ``"gram"``: ``n_scales`` (3), ``n_filters`` (16), ``kernel_size`` (3),
        ``wavelet_weight`` (10), ``acf_weight`` (10: the increment statistics),
        ``acf_levels`` (None: space averages down to 8 x 8 pixels; 0: the
        pixels only), ``spectrum_weight`` (0: a log band-power term),
        ``match_wavelets`` (True: the rescaled start); ``"iaaft"``:
        ``match_wavelets`` (True); ``"phase"``: ``match_wavelets`` (False).

    Returns
    -------
    SequenceSynthesis
        ``.texture`` in the sample's layout at ``size``; units kept (per-channel
        mean and standard deviation of the sample).

    Raises
    ------
    ValueError
        Wrong layout, too few frames, NaN, a constant sample, unknown method or
        option, blocks too short for the overlap.

    Examples
    --------
    >>> x = spacetime_fbf((16, 32, 32), 0.5, 0.5, seed=0)
    >>> y = synthesize_sequence(x, method="phase", size=(40, 32, 32), progress=False)
    >>> y.texture.shape, y.joins
    ((40, 32, 32), [16, 24, 32])
    """
    import torch

    from ._checks import torch_seed

    t0 = time.perf_counter()
    arr, had_channels = _as_sequence(x, "x")
    if method not in SEQ_METHODS:
        raise ValueError(f"`method` must be one of {SEQ_METHODS}, got {method!r}.")
    unknown = set(options) - set(_SEQ_DEFAULTS[method])
    if unknown:
        raise ValueError(
            f"unknown option(s) {sorted(unknown)} for method {method!r}; "
            f"known: {sorted(set(_SEQ_DEFAULTS[method]) - {'n_iter'})}."
        )
    opts = {**_SEQ_DEFAULTS[method], **options}
    if n_iter is not None:
        opts["n_iter"] = check_positive_int(n_iter, "n_iter")
    n_ch, n_t = arr.shape[:2]
    mean = arr.mean(axis=(1, 2, 3), keepdims=True)
    std = arr.std(axis=(1, 2, 3), keepdims=True)
    if np.any(std == 0):
        raise ValueError("`x` has a constant channel; texture synthesis needs fluctuations.")
    z = (arr - mean) / std
    size = _check_seq_size(size, arr.shape[1:])
    t2 = size[0]
    stream = t2 > n_t if stream is None else bool(stream)
    block = n_t if stream else t2
    o = min(16, n_t // 4) if overlap is None else check_positive_int(overlap, "overlap")
    n_new = block - 2 * o
    if stream and n_new < 1:
        raise ValueError(
            f"`overlap` = {o} leaves no new frame in blocks of {block} frames (each block "
            "drops 2 x overlap); lower `overlap` or use a longer sample."
        )
    rng = as_generator(seed)
    p = _periodic_component(z)
    bsize = (min(block, t2), *size[1:])
    F = _transform_at(p, bsize)
    power = np.abs(F) ** 2
    sorted_vals = np.sort(p.reshape(n_ch, -1), axis=1)
    if opts["match_wavelets"]:
        # the random-phase field of a non-periodic crop misses the sample's (valid-border)
        # wavelet variances by up to 0.1 in H (see the docstring): rescale per band first
        lt, ls = _common_levels(arr.shape[1:], bsize)
        target = np.stack([_wavelet_table(z[c], lt, ls) for c in range(n_ch)])
        F = _match_wavelet_variances(F, target, as_generator(rng.integers(2**32)))
        power = np.abs(F) ** 2
    losses: list[float] = []

    net = None
    if method == "gram":
        torch_s = torch_seed(seed if not isinstance(seed, np.random.Generator) else rng)
        n_sc = check_positive_int(opts["n_scales"], "n_scales")
        k = check_positive_int(opts["kernel_size"], "kernel_size")
        if min(n_t, *arr.shape[2:]) // 2 ** (n_sc - 1) < k or min(bsize) // 2 ** (n_sc - 1) < k:
            raise ValueError(
                f"`n_scales` = {n_sc} shrinks {min(bsize)} frames or pixels below the "
                f"{k}-voxel filters; lower `n_scales`."
            )
        net = _RandomNet3D(
            n_ch, n_sc, check_positive_int(opts["n_filters"], "n_filters"), k, torch_s
        )
        bands = (max(1, int(math.log2(min(n_t, bsize[0])))), max(1, int(math.log2(min(bsize[1:])))))
        acf_levels = opts["acf_levels"]
        n_side = min(*arr.shape[2:], *bsize[1:])
        if acf_levels is None:  # space averages down to 8 x 8 pixels
            acf_levels = max(0, int(math.log2(n_side / 8)))
        elif not isinstance(acf_levels, (int, np.integer)) or not 0 <= acf_levels or (
            n_side >> int(acf_levels) < 1
        ):
            raise ValueError(
                f"`acf_levels` must be an int in [0, log2({n_side})], got {acf_levels!r}."
            )
        with torch.no_grad():
            zt = torch.as_tensor(z[None], dtype=torch.float32)
            target_grams = net.grams(zt)
            target_bands = _band_power(zt, *bands)
            lt, ls = _common_levels(arr.shape[1:], bsize)
            filters = _wavelet_filters()
            wavelet_target = (
                filters, lt, ls, _torch_hyperbolic_logvar(zt, filters, lt, ls),
                _torch_increment_acf(zt, min(8, n_t - 3), acf_levels),
            )  # fmt: skip

    def finish(y, fixed_frames):
        nonlocal losses
        if method == "iaaft":
            fixed = None if fixed_frames == 0 else y[:, :fixed_frames].copy()
            y, ls = _iaaft_block(F, sorted_vals, y, opts["n_iter"], fixed, power)
            losses += ls
        elif method == "gram":
            y, ls = _gram_refine(
                y,
                net,
                target_grams,
                target_bands,
                bands,
                fixed_frames,
                opts["n_iter"],
                float(opts["spectrum_weight"]),
                wavelet_target,
                float(opts["wavelet_weight"]),
                float(opts["acf_weight"]),
            )
            losses += ls
        return y

    with torch.random.fork_rng(devices=[]):
        out = finish(_surrogate(F, rng), 0)
        joins: list[int] = []
        made = out.shape[1]
        chunks = [out]
        bar = tqdm(total=t2, desc=f"{method} blocks", disable=not progress, leave=False)
        bar.update(min(made, t2))
        while made < t2:
            prev = np.concatenate(chunks, axis=1)[:, -o:]
            zb = _condition(_surrogate(F, rng), prev, power, slice(o, block))
            zb = finish(np.concatenate([prev, zb], axis=1), o)[:, o : block - o]
            chunks.append(zb)
            joins.append(made)
            made += zb.shape[1]
            bar.update(zb.shape[1])
        bar.close()
    y = np.concatenate(chunks, axis=1)[:, :t2]
    y = y * std + mean
    if not had_channels:
        y = y[0]
    record = {"size": size, "stream": stream, "overlap": o if stream else None, **opts}
    record["seed"] = seed if isinstance(seed, int) else "numpy.random.Generator"
    return SequenceSynthesis(
        texture=y,
        losses=losses,
        joins=[j for j in joins if j < t2],
        seconds=time.perf_counter() - t0,
        method=method,
        options=record,
    )


# --------------------------------------------------------------------------
# quality
# --------------------------------------------------------------------------


@dataclass
class SequenceComparison:
    """Statistics of a synthesised sequence against its sample, per time and space scale.

    ``.table()`` has one row per index: ``log2 var`` of the hyperbolic details
    for every scale pair ``(j_time, j_space)`` (centred on its mean over the
    pairs, tolerance at least 0.25), ``H_space``, ``H_time``, the
    temporal autocorrelation of the frame increments at lags ``1..max_lag``,
    and the median and maximum frame-difference RMS. ``tolerance`` is the
    sample's own spread (difference between its two halves along the longer
    space axis, times 3; at least ``floor``), ``ok`` whether
    ``|difference| <= tolerance``: a screening, not a calibrated test (see
    :func:`textures_nb.quality.compare` for that on images).

    Attributes
    ----------
    rows : list of dict
        One dict per index: ``index``, scale or lag keys (``j_time``,
        ``j_space``, ``lag``) where they apply, ``sample``, ``synthesis``,
        ``difference``, ``tolerance``, ``ok``.
    n_flagged : int
        Indices outside their tolerance.
    n_indices : int
        Indices compared.

    Examples
    --------
    >>> x = spacetime_fbf((32, 32, 32), 0.5, 0.5, seed=0)
    >>> rep = compare_sequences(x, x)
    >>> type(rep).__name__, rep.n_flagged, rep.n_indices, len(rep.table())
    ('SequenceComparison', 0, 16, 16)
    """

    rows: list[dict[str, Any]] = field(repr=False)
    n_flagged: int
    n_indices: int

    def __repr__(self) -> str:
        return f"SequenceComparison(flagged {self.n_flagged} of {self.n_indices} indices)"

    def table(self):
        """The indices, sample and synthesis values, difference, tolerance, ok."""
        import pandas as pd

        return pd.DataFrame(self.rows)

    def plot(self, *, title: str | None = None):
        """Difference of ``log2 var`` per (j_time, j_space), synthesis minus sample."""
        import plotly.graph_objects as go

        df = self.table()
        sub = df[df["index"] == "log2 var"]
        jt = sorted(set(sub["j_time"]))
        js = sorted(set(sub["j_space"]))
        z = np.full((len(jt), len(js)), np.nan)
        for _, r in sub.iterrows():
            z[jt.index(r["j_time"]), js.index(r["j_space"])] = r["difference"]
        lim = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
        fig = go.Figure(
            go.Heatmap(
                z=z,
                x=[f"j_space={j}" for j in js],
                y=[f"j_time={j}" for j in jt],
                colorscale="RdBu",
                zmid=0,
                zmin=-lim,
                zmax=lim,
                texttemplate="%{z:.2f}",
                colorbar={"title": "diff"},
            )
        )
        fig.update_layout(
            title=title or "log2 wavelet variance, synthesis - sample",
            height=320,
            autosize=True,
            margin={"l": 60, "r": 20, "t": 50, "b": 40},
        )
        return fig


def _logvar_table(a: np.ndarray, lt: int, ls: int, wavelet: str) -> np.ndarray:
    out = np.zeros((lt, ls))
    for c in range(a.shape[0]):
        d = hyperbolic_details(a[c], ((0,), (1, 2)), wavelet_name=wavelet, levels=(lt, ls))
        for (i, j), v in d.items():
            out[i - 1, j - 1] += np.log2(np.mean(v**2)) / a.shape[0]
    return out


def compare_sequences(
    sample,
    synthesized,
    *,
    max_lag: int = 8,
    wavelet: str = "db3",
    floor: float = 0.05,
) -> SequenceComparison:
    """Compare a synthesised sequence with its sample, index by index, per time and space scale.

    Parameters
    ----------
    sample, synthesized : array_like
        ``(T, H, W)`` or ``(C, T, H, W)``, same layout and channels; the
        synthesis may be longer or larger (scales common to both are used).
    max_lag : int, default 8
        Lags of the temporal autocorrelation of the frame increments.
    wavelet : str, default "db3"
    floor : float, default 0.05
        Smallest tolerance of an index.

    Returns
    -------
    SequenceComparison

    Examples
    --------
    >>> x = spacetime_fbf((32, 32, 32), 0.5, 0.5, seed=0)
    >>> y = spacetime_fbf((32, 32, 32), 0.5, 0.5, seed=1)
    >>> rep = compare_sequences(x, y)
    >>> rep.n_indices
    16
    """
    a, ca = _as_sequence(sample, "sample")
    b, cb = _as_sequence(synthesized, "synthesized")
    if ca != cb or a.shape[0] != b.shape[0]:
        raise ValueError(
            f"`sample` {a.shape if ca else a.shape[1:]} and `synthesized` "
            f"{b.shape if cb else b.shape[1:]} must have the same layout and channels."
        )
    half_axis = 3 if a.shape[3] >= a.shape[2] else 2
    n_half = a.shape[half_axis] // 2
    h1 = np.take(a, np.arange(n_half), axis=half_axis)
    h2 = np.take(a, np.arange(n_half, 2 * n_half), axis=half_axis)
    lt, ls = _common_levels(a.shape[1:], b.shape[1:], wavelet)
    if lt < 2 or ls < 2:
        raise ValueError("the sequences allow fewer than 2 time or space scales; use longer ones.")
    _, ls_h = group_levels(h1.shape[1:], ((0,), (1, 2)), wavelet_name=wavelet)
    la = _logvar_table(a, lt, ls, wavelet)
    lb = _logvar_table(b, lt, ls, wavelet)
    spread = np.full((lt, ls), np.nan)
    if ls_h >= 1:
        s1 = _logvar_table(h1, lt, min(ls, ls_h), wavelet)
        s2 = _logvar_table(h2, lt, min(ls, ls_h), wavelet)
        spread[:, : min(ls, ls_h)] = np.abs(s1 - s2)
    rows: list[dict[str, Any]] = []

    def add(index, sv, yv, tol, **extra):
        tol = max(floor, float(tol)) if np.isfinite(tol) else max(floor, 0.5)
        diff = float(yv - sv)
        rows.append(
            {
                "index": index,
                **extra,
                "sample": float(sv),
                "synthesis": float(yv),
                "difference": diff,
                "tolerance": tol,
                "ok": abs(diff) <= tol,
            }
        )

    # levels centred on their mean over the scale pairs: the shape of the multiscale
    # spectrum (the overall level of a realisation wanders with its largest scales)
    ca, cb = la - la.mean(), lb - lb.mean()
    for i in range(lt):
        for j in range(ls):
            tol = max(3 * spread[i, j], 0.25)
            add("log2 var", ca[i, j], cb[i, j], tol, j_time=i + 1, j_space=j + 1)
    hs_a, ht_a = _plane_fit(la, (1, lt), (1, ls))
    hs_b, ht_b = _plane_fit(lb, (1, lt), (1, ls))
    add("H_space", hs_a, hs_b, 0.07)
    add("H_time", ht_a, ht_b, 0.07)
    max_lag = min(check_positive_int(max_lag, "max_lag"), a.shape[1] - 2, b.shape[1] - 2)
    ra = temporal_autocorrelation(a, max_lag, increments=True)
    rb = temporal_autocorrelation(b, max_lag, increments=True)
    for k in range(1, max_lag + 1):
        add("acf increments", ra[k], rb[k], 0.05, lag=k)
    fa, fb = frame_differences(a), frame_differences(b)
    add("frame diff median", np.median(fa), np.median(fb), np.ptp(fa) / 2)
    add("frame diff max", fa.max(), fb.max(), np.ptp(fa))
    n_flag = sum(not r["ok"] for r in rows)
    return SequenceComparison(rows=rows, n_flagged=n_flag, n_indices=len(rows))


# --------------------------------------------------------------------------
# figures and files
# --------------------------------------------------------------------------


def _display_frames(seq: np.ndarray, max_side: int) -> tuple[np.ndarray, float, float]:
    """Grey frames (channel 0) decimated to ``max_side`` pixels, and a robust range."""
    a, _ = _as_sequence(seq, "x", min_frames=1)
    a = a[0]
    step = max(1, int(math.ceil(max(a.shape[1:]) / max_side)))
    a = a[:, ::step, ::step]
    lo, hi = np.percentile(a, [0.5, 99.5])
    if hi <= lo:
        hi = lo + 1.0
    return a, float(lo), float(hi)


def plot_animation(
    sample,
    synthesis=None,
    *,
    max_frames: int = 32,
    max_side: int = 96,
    names: tuple[str, str] = ("sample", "synthesis"),
    title: str | None = None,
):
    """Plotly animation of a sequence (and its synthesis, side by side) with a frame slider.

    Parameters
    ----------
    sample : array_like
        ``(T, H, W)`` or ``(C, T, H, W)`` (channel 0 is shown).
    synthesis : array_like, optional
        Drawn at the right, same frame index (frames past its end repeat the last).
    max_frames : int, default 32
        Frames in the animation (evenly spread over the sample's); keeps the
        figure small in a notebook.
    max_side : int, default 96
        Frames are decimated to at most this many pixels per side.
    names : (str, str)
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Heat maps with ``frames``, a play/pause button and a slider.

    Examples
    --------
    >>> fig = plot_animation(spacetime_fbf((16, 32, 32), 0.5, 0.5), max_frames=4)
    >>> len(fig.frames), len(fig.layout.sliders[0].steps)
    (4, 4)
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    seqs = [_display_frames(sample, max_side)]
    if synthesis is not None:
        seqs.append(_display_frames(synthesis, max_side))
    n_t = seqs[0][0].shape[0]
    idx = np.unique(
        np.linspace(0, n_t - 1, min(check_positive_int(max_frames, "max_frames"), n_t)).astype(int)
    )
    fig = make_subplots(
        rows=1, cols=len(seqs), subplot_titles=names[: len(seqs)], horizontal_spacing=0.04
    )

    def traces(t):
        out = []
        for a, lo, hi in seqs:
            frame = np.round(a[min(t, a.shape[0] - 1)], 3)
            out.append(go.Heatmap(z=frame, zmin=lo, zmax=hi, colorscale="Gray", showscale=False))
        return out

    for col, tr in enumerate(traces(int(idx[0])), start=1):
        fig.add_trace(tr, row=1, col=col)
    fig.frames = [
        go.Frame(data=traces(int(t)), name=str(int(t)), traces=list(range(len(seqs)))) for t in idx
    ]
    anim = {
        "frame": {"duration": 120, "redraw": True},
        "mode": "immediate",
        "transition": {"duration": 0},
    }
    fig.update_layout(
        title=title or "Sequence, frame by frame (play, or drag the slider)",
        autosize=True,
        height=470,
        margin={"l": 20, "r": 20, "t": 60, "b": 90},
        plot_bgcolor="white",
        updatemenus=[
            {
                "type": "buttons",
                "showactive": False,
                "x": 0.0,
                "y": -0.06,
                "xanchor": "left",
                "yanchor": "top",
                "direction": "left",
                "buttons": [
                    {
                        "label": "play",
                        "method": "animate",
                        "args": [None, {**anim, "fromcurrent": True}],
                    },
                    {
                        "label": "pause",
                        "method": "animate",
                        "args": [
                            [None],
                            {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"},
                        ],
                    },
                ],
            }
        ],
        sliders=[
            {
                "active": 0,
                "x": 0.16,
                "len": 0.84,
                "y": 0.0,
                "yanchor": "top",
                "currentvalue": {"prefix": "frame ", "xanchor": "right"},
                "steps": [
                    {"label": str(int(t)), "method": "animate", "args": [[str(int(t))], anim]}
                    for t in idx
                ],
            }
        ],
    )
    for k in range(len(seqs)):
        fig.update_xaxes(showticklabels=False, showgrid=False, constrain="domain", row=1, col=k + 1)
        fig.update_yaxes(
            showticklabels=False,
            showgrid=False,
            autorange="reversed",
            scaleanchor=f"x{k + 1 if k else ''}",
            constrain="domain",
            row=1,
            col=k + 1,
        )
    return fig


def plot_xt_slices(
    sequences: dict[str, Any] | Any,
    *,
    row: int | None = None,
    title: str | None = None,
    height: int = 300,
):
    """Space-time images: for each sequence, the row ``row`` of every frame stacked in time.

    An x-t image shows time vertically and one line of pixels horizontally: a
    texture moving along x draws oblique streaks whose slope is the velocity,
    a field smooth in time draws vertical streaks.

    Parameters
    ----------
    sequences : array_like or dict of str to array_like
        One ``(T, H, W)`` / ``(C, T, H, W)`` sequence or several by name.
    row : int, optional
        Pixel row; default the middle one.
    title : str, optional
    height : int, default 300

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> fig = plot_xt_slices({"a": spacetime_fbf((16, 32, 32), 0.5, 0.5)})
    >>> fig.data[0].z.shape
    (16, 32)
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    if not isinstance(sequences, dict):
        sequences = {"sequence": sequences}
    names = list(sequences)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names, horizontal_spacing=0.04)
    for k, name in enumerate(names):
        a, _ = _as_sequence(sequences[name], name, min_frames=1)
        r = a.shape[2] // 2 if row is None else int(row)
        if not 0 <= r < a.shape[2]:
            raise ValueError(f"`row` = {row} is outside the {a.shape[2]} rows of {name!r}.")
        img = np.round(a[0, :, r, :], 3)
        lo, hi = np.percentile(img, [0.5, 99.5])
        fig.add_trace(
            go.Heatmap(z=img, zmin=lo, zmax=hi, colorscale="Gray", showscale=False),
            row=1,
            col=k + 1,
        )
        fig.update_yaxes(
            title_text="frame" if k == 0 else None, autorange="reversed", row=1, col=k + 1
        )
        fig.update_xaxes(title_text="x (pixels)", row=1, col=k + 1)
    fig.update_layout(
        title=title or "x-t slices (time downwards)",
        autosize=True,
        height=height,
        margin={"l": 50, "r": 20, "t": 60, "b": 40},
    )
    return fig


def export_animation(
    sequence,
    path: str | Path,
    *,
    other=None,
    fps: float = 10.0,
    max_side: int | None = None,
) -> Path:
    """Write a sequence (and another beside it) as an animated GIF or MP4 with imageio.

    Grey levels are stretched over the sequence's 0.5-99.5 % range (one
    range for all frames, so brightness does not flicker). ``.gif`` uses
    imageio's Pillow plugin (always available); ``.mp4`` needs an imageio
    video plugin (``pip install imageio-ffmpeg`` or ``av``).

    Parameters
    ----------
    sequence : array_like
        ``(T, H, W)`` or ``(C, T, H, W)`` (channel 0).
    path : str or Path
        Ends with ``.gif`` or ``.mp4``.
    other : array_like, optional
        Second sequence drawn at the right (e.g. the synthesis).
    fps : float, default 10
    max_side : int, optional
        Decimate frames to at most this many pixels per side.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, imageio.v3 as iio
    >>> out = Path(tempfile.mkdtemp()) / "a.gif"
    >>> p = export_animation(spacetime_fbf((16, 32, 32), 0.5, 0.5), out)
    >>> iio.imread(p, index=None).shape[:3]
    (16, 32, 32)
    """
    import imageio.v3 as iio

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise ValueError(f"`path` must end with .gif or .mp4, got {path.name!r}.")
    fps = check_in_range(fps, "fps", 0.0, 1000.0)
    side = max_side or 10**9
    parts = [_display_frames(sequence, side)]
    if other is not None:
        parts.append(_display_frames(other, side))
    n_t = max(p[0].shape[0] for p in parts)
    frames = []
    for t in range(n_t):
        cols = []
        for a, lo, hi in parts:
            f = a[min(t, a.shape[0] - 1)]
            cols.append(np.round(np.clip((f - lo) / (hi - lo), 0, 1) * 255).astype(np.uint8))
        if len(cols) > 1:
            h = max(c.shape[0] for c in cols)
            cols = [np.pad(c, ((0, h - c.shape[0]), (0, 4)), constant_values=255) for c in cols]
        frames.append(np.concatenate(cols, axis=1))
    frames = np.stack(frames)
    if suffix == ".gif":
        iio.imwrite(path, frames, duration=1000.0 / fps, loop=0)
    else:
        try:
            iio.imwrite(path, frames, fps=fps)
        except Exception as exc:
            raise ImportError(
                f"writing {path.name} needs an imageio video plugin: pip install imageio-ffmpeg "
                f"(or av), or write a .gif ({exc})."
            ) from exc
    return path
