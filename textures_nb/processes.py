"""Synthetic processes with known scaling: ground truth for multiscale analysis.

Signals ``(n,)`` and images ``(H, W)`` whose scaling exponents or
log-cumulants are known in closed form, so that estimators in
:mod:`textures_nb.multiscale` can be checked against the truth.

- :func:`fgn`, :func:`fbm`: fractional Gaussian noise and Brownian motion
  (exact, circulant embedding).
- :func:`fbf`: fractional Brownian field, band-limited or exact point samples (Stein), isotropic or
  elementary anisotropic (spectral synthesis).
- :func:`mrw`: multifractal random walk (1D) and multifractal random field (2D).
- :func:`bivariate_mrw`: two MRWs with correlated noises and cascades.
- :func:`mrw_log_cumulants`: the log-cumulants of :func:`mrw`.

Conventions
-----------
- Lags, sizes and integral scales are in samples (1D) or pixels (2D).
- Outputs are float64 and scaled so that increments at a lag of one sample
  (pixel) have unit variance (averaged over rows and columns in 2D).
- Every generator takes a keyword-only ``seed`` (an int or a
  :class:`numpy.random.Generator`, default 0); an int seed gives
  bit-identical output, so calls without a seed are reproducible too.
- 2D spectral syntheses run on a periodic grid twice as large as the output
  and return a crop, so the output is not periodic.

References
----------
Davies, Harte (1987), "Tests for Hurst effect", Biometrika 74(1).
Wood, Chan (1994), "Simulation of stationary Gaussian processes in [0, 1]^d",
Journal of Computational and Graphical Statistics 3(4).
Bacry, Delour, Muzy (2001), "Multifractal random walk", Physical Review E 64.
Stein (2002), "Fast and exact simulation of fractional Brownian surfaces",
Journal of Computational and Graphical Statistics 11(3).
Bonami, Estrade (2003), "Anisotropic analysis of some Gaussian models",
Journal of Fourier Analysis and Applications 9(3).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable

import numpy as np
from scipy import fft as sfft
from scipy import integrate

from ._checks import as_generator, check_in_range, check_positive_int

__all__ = [
    "fgn",
    "fbm",
    "fbf",
    "mrw",
    "bivariate_mrw",
    "mrw_log_cumulants",
    "periodic_multifractal",
]

_MIN_N = 16  # shortest 1D signal
_MIN_SIDE = 8  # smallest image side
# Relative size of a negative circulant eigenvalue that we clip silently; above
# it the simulated covariance differs visibly from the requested one.
_NEG_EIG_TOL = 1e-3

Seed = int | np.random.Generator


# --------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------


def _check_n(n, name: str = "n") -> int:
    # Scaling needs some room: reject signals too short to hold a few octaves.
    return check_positive_int(n, name, minimum=_MIN_N)


def _check_shape(shape, *, allow_1d: bool) -> tuple[int, ...]:
    """Return ``(n,)`` for an int (if allowed) or ``(H, W)`` for a pair of ints."""
    if allow_1d and isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        return (_check_n(shape, "shape"),)
    expected = "an int n (1D) or a tuple (H, W) (2D)" if allow_1d else "a tuple (H, W)"
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise TypeError(f"`shape` must be {expected} of ints, got {shape!r}.")
    if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in shape):
        raise TypeError(f"`shape` must be {expected} of ints, got {shape!r}.")
    return tuple(check_positive_int(s, "shape", minimum=_MIN_SIDE) for s in shape)


def _check_hurst(H, name: str = "H") -> float:
    return check_in_range(H, name, 0.0, 1.0)


def _check_lam(lam, name: str = "lam") -> float:
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real) or not np.isfinite(lam):
        raise TypeError(f"`{name}` must be a finite real number, got {lam!r}.")
    if lam < 0:
        raise ValueError(
            f"`{name}` (intermittency) must be >= 0, got {lam}; c2 = -lam**2 is set by "
            "its magnitude, so pass abs(lam)."
        )
    return float(lam)


def _fgn_hurst(H: float, lam: float, h_name: str = "H", lam_name: str = "lam") -> float:
    """Hurst index H' = H - lam**2/2 of the Gaussian noise behind an MRW."""
    Hp = H - lam**2 / 2
    if not 0.0 < Hp < 1.0:
        raise ValueError(
            f"`{h_name}` - `{lam_name}`**2/2 = {Hp:.4g} must lie in (0, 1) (it is the "
            f"Hurst index of the underlying noise); got {h_name}={H}, {lam_name}={lam}. "
            f"Increase {h_name} or decrease {lam_name}."
        )
    return Hp


def _warn_rough_1d(H: float, lam: float) -> None:
    if lam > 0 and H < 0.6:
        warnings.warn(
            f"mrw in 1D with H={H} < 0.6: the truth c1 = H + lam**2/2 only holds for "
            f"H >= 0.6; here c1 lies between {H + lam**2 / 2:.3f} and {H + lam**2:.3f} "
            "(see the mrw docstring).",
            RuntimeWarning,
            stacklevel=3,
        )


def _check_L(L, shape: tuple[int, ...]) -> float:
    n = max(shape)
    if L is None:
        return float(n)
    return check_in_range(L, "L", 1.0, float(n), low_inclusive=True, high_inclusive=True)


def _pair(value, name: str) -> tuple:
    """A scalar or a pair (one value per channel) as a pair."""
    if isinstance(value, (tuple, list, np.ndarray)):
        if len(value) != 2:
            raise ValueError(
                f"`{name}` must be a scalar or a pair (one value per channel), got {value!r}."
            )
        return tuple(value)
    return (value, value)


# --------------------------------------------------------------------------
# Circulant embedding core
# --------------------------------------------------------------------------


def _sqrt_eigenvalues(first_row: np.ndarray, what: str) -> np.ndarray:
    """Square roots of the eigenvalues of a symmetric (block-)circulant matrix.

    ``first_row`` is the covariance on the periodic grid (symmetric under
    ``k -> -k``), so its real FFT holds the eigenvalues. Tiny negative values
    from round-off are clipped; larger ones mean the embedding is only
    approximate, which we say.
    """
    eig = sfft.rfftn(first_row).real
    worst = -eig.min() / eig.max()
    if worst > _NEG_EIG_TOL:
        warnings.warn(
            f"Circulant embedding of the {what} covariance has negative eigenvalues "
            f"(down to {worst:.2g} of the largest); they are set to 0, so the "
            "simulated covariance is slightly off.",
            RuntimeWarning,
            stacklevel=3,
        )
    return np.sqrt(np.clip(eig, 0.0, None))


def _colour(white: np.ndarray, sqrt_eig: np.ndarray) -> np.ndarray:
    """Apply the circulant square root C^{1/2} to white noise on the periodic grid.

    ``white`` may carry leading channel axes; the grid is its last
    ``sqrt_eig.ndim`` axes. The result has covariance C exactly.
    """
    axes = tuple(range(-sqrt_eig.ndim, 0))
    grid = white.shape[-sqrt_eig.ndim :]
    return sfft.irfftn(sfft.rfftn(white, axes=axes) * sqrt_eig, s=grid, axes=axes)


def _channel_noises(
    rng: np.random.Generator, n_ch: int, grids: tuple[tuple[int, ...], ...], rhos: tuple[float, ...]
) -> list[np.ndarray]:
    """Unit white noises, one ``(n_ch, *grid)`` array per grid.

    Channel 1 of the i-th array has correlation ``rhos[i]`` with channel 0.
    Draws go channel by channel, so channel 0 of a pair is bit-identical to
    the single-channel draw with the same seed.
    """
    draws = [[rng.standard_normal(g) for g in grids] for _ in range(n_ch)]
    out = []
    for i, rho in enumerate(rhos):
        z = np.stack([d[i] for d in draws])
        if n_ch == 2:
            z[1] = rho * z[0] + math.sqrt(1.0 - rho**2) * z[1]
        out.append(z)
    return out


def _lags_1d(m: int) -> np.ndarray:
    """Lags |k| of a periodic grid of m samples (shortest way round)."""
    k = np.arange(m)
    return np.minimum(k, m - k)


def _fgn_cov(k: np.ndarray, H: float) -> np.ndarray:
    k = np.abs(k).astype(np.float64)
    return 0.5 * (np.abs(k + 1) ** (2 * H) - 2 * k ** (2 * H) + np.abs(k - 1) ** (2 * H))


def _embedding_size(n: int) -> int:
    # Even size >= 2(n - 1) with a fast FFT; larger is fine for fGn (convex
    # covariance: the embedding stays non-negative definite).
    return 2 * sfft.next_fast_len(n, real=True)


def _fgn_sqrt_eig(n: int, H: float) -> tuple[int, np.ndarray]:
    m = _embedding_size(n)
    return m, _sqrt_eigenvalues(_fgn_cov(_lags_1d(m), H), "fGn")


# --------------------------------------------------------------------------
# Fractional Gaussian noise and Brownian motion
# --------------------------------------------------------------------------


def fgn(n: int, H: float, *, sigma: float = 1.0, seed: Seed = 0) -> np.ndarray:
    """Fractional Gaussian noise, exact by circulant embedding.

    Simulates ``n`` samples of the stationary Gaussian sequence with
    autocovariance ``r(k) = sigma**2/2 (|k+1|**(2H) - 2|k|**(2H) + |k-1|**(2H))``
    (lags ``k`` in samples) by the Davies-Harte / Wood-Chan method, which is
    exact for every ``0 < H < 1``.

    Parameters
    ----------
    n : int
        Number of samples, >= 16.
    H : float
        Hurst index, ``0 < H < 1``; 0.5 gives white noise.
    sigma : float, optional
        Standard deviation of each sample (> 0).
    seed : int or numpy.random.Generator, default 0
        Random state; an int gives reproducible output.

    Returns
    -------
    ndarray of float64, shape (n,)
        The noise.

    References
    ----------
    Davies, Harte (1987), Biometrika 74(1). Wood, Chan (1994), J. Comput.
    Graph. Stat. 3(4).

    Examples
    --------
    >>> from textures_nb.processes import fgn
    >>> x = fgn(4096, 0.8, seed=0)
    >>> x.shape
    (4096,)
    """
    n = _check_n(n)
    H = _check_hurst(H)
    sigma = check_in_range(sigma, "sigma", 0.0, np.inf)
    rng = as_generator(seed)
    m, sqrt_eig = _fgn_sqrt_eig(n, H)
    return sigma * _colour(rng.standard_normal(m), sqrt_eig)[:n]


def _fbm_bandlimited(n: int, H: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """fBm seen through an ideal anti-aliasing filter: spectral density
    ``|omega|**-(2H + 1)`` for ``|omega| <= pi``, synthesised on a periodic grid
    four times as long and cropped (not periodic)."""
    m = 2 * sfft.next_fast_len(2 * n, real=True)
    omega = 2 * np.pi * np.fft.rfftfreq(m)
    amp = np.zeros_like(omega)
    amp[1:] = omega[1:] ** (-(H + 0.5))
    white = rng.standard_normal(omega.size) + 1j * rng.standard_normal(omega.size)
    x = sfft.irfft(amp * white, n=m)[:n]
    # variance of the lag-1 increment, from the spectrum (irfft keeps Re at 0 and m/2)
    g2 = (amp * 2 * np.sin(omega / 2)) ** 2
    var = (g2[0] + 4 * g2[1:-1].sum() + g2[-1]) / m**2
    return sigma * x / math.sqrt(var)


def fbm(
    n: int, H: float, *, sigma: float = 1.0, sampling: str = "point", seed: Seed = 0
) -> np.ndarray:
    """Fractional Brownian motion: point samples or band-limited.

    ``sampling="point"`` (default): the cumulative sum of :func:`fgn`, exact
    point samples, ``E|X(t + k) - X(t)|**2 = sigma**2 |k|**(2H)`` for lags
    ``k`` in samples; the first sample is the first increment (not 0).
    Aliasing inflates the finest octaves of rough paths (H < 0.5).

    ``sampling="bandlimited"``: the path seen through an ideal anti-aliasing
    filter (spectral density ``|omega|**-(2H + 1)`` inside the Nyquist band,
    synthesised on a grid four times longer, then cropped): its wavelet
    statistics scale as ``2**(jH)`` down to the finest octaves. Scaled so that
    increments at lag 1 have standard deviation ``sigma``.

    Parameters
    ----------
    n : int
        Number of samples, >= 16.
    H : float
        Hurst index, ``0 < H < 1``.
    sigma : float, optional
        Standard deviation of the increments at lag 1 (> 0).
    sampling : {"point", "bandlimited"}, optional
        See above.
    seed : int or numpy.random.Generator, default 0
        Random state; an int gives reproducible output.

    Returns
    -------
    ndarray of float64, shape (n,)
        The path.

    References
    ----------
    Davies, Harte (1987), Biometrika 74(1). Wood, Chan (1994), J. Comput.
    Graph. Stat. 3(4).

    Examples
    --------
    >>> from textures_nb.processes import fbm
    >>> x = fbm(4096, 0.3, seed=0)
    >>> x.dtype
    dtype('float64')
    """
    if sampling not in ("point", "bandlimited"):
        raise ValueError(f"`sampling` must be 'point' or 'bandlimited', got {sampling!r}.")
    if sampling == "point":
        return np.cumsum(fgn(n, H, sigma=sigma, seed=seed))
    n = _check_n(n)
    H = _check_hurst(H)
    sigma = check_in_range(sigma, "sigma", 0.0, np.inf)
    return _fbm_bandlimited(n, H, sigma, as_generator(seed))


# --------------------------------------------------------------------------
# Fractional Brownian fields
# --------------------------------------------------------------------------


def _stein_covariance(alpha: float) -> tuple[float, float, Callable]:
    """Stein's (2002) compactly supported covariance for the fBf of index alpha/2.

    Returns the support radius, ``c2`` and ``r(|x|)``. For alpha <= 1.5 the
    support is the unit disk, so the embedding can be half as wide as for R = 2.
    """
    if alpha <= 1.5:
        radius, beta, c2 = 1.0, 0.0, alpha / 2
        c0 = 1 - alpha / 2
    else:
        radius = 2.0
        beta = alpha * (2 - alpha) / (3 * radius * (radius**2 - 1))
        c2 = (alpha - beta * (radius - 1) ** 2 * (radius + 2)) / 2
        c0 = beta * (radius - 1) ** 3 + 1 - c2

    def r(d: np.ndarray) -> np.ndarray:
        inner = c0 - d**alpha + c2 * d**2
        with np.errstate(divide="ignore", invalid="ignore"):
            outer = np.where(d > 0, beta * (radius - d) ** 3 / np.where(d > 0, d, 1), 0.0)
        return np.where(d <= 1, inner, np.where(d <= radius, outer, 0.0))

    return radius, c2, r


def _fbf_stein(shape: tuple[int, int], H: float, rng: np.random.Generator) -> np.ndarray:
    alpha = 2 * H
    radius, c2, r = _stein_covariance(alpha)
    # Exact only inside the unit disk: put the far corner of the image on it.
    step = 1.0 / math.hypot(shape[0] - 1, shape[1] - 1)
    # Period >= 2 * radius so the support never overlaps its periodic copies.
    grid = tuple(
        sfft.next_fast_len(max(math.ceil(2 * radius / step), 2 * s), real=True) for s in shape
    )
    dist = step * np.hypot(*np.meshgrid(_lags_1d(grid[0]), _lags_1d(grid[1]), indexing="ij"))
    sqrt_eig = _sqrt_eigenvalues(r(dist), "Stein fractional Brownian field")
    y = _colour(rng.standard_normal(grid), sqrt_eig)[: shape[0], : shape[1]]
    z = rng.standard_normal(2)
    rows = step * np.arange(shape[0])[:, None]
    cols = step * np.arange(shape[1])[None, :]
    # Linear term restores the variogram 2|x|**alpha (Y alone has 2(|x|**alpha - c2|x|**2)).
    field = y - y[0, 0] + math.sqrt(2 * c2) * (cols * z[0] + rows * z[1])
    return field / math.sqrt(2 * step**alpha)


def _frequencies(grid: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Angular frequencies (rad/pixel) along rows (y) and columns (x) for rfft2."""
    ky = 2 * np.pi * np.fft.fftfreq(grid[0])[:, None]
    kx = 2 * np.pi * np.fft.rfftfreq(grid[1])[None, :]
    return ky, kx


def _grid_mean(values: np.ndarray, grid: tuple[int, int]) -> float:
    """Mean over the full periodic frequency grid of an rfft2 half-plane array
    (even in k): columns other than 0 and Nyquist stand for two frequencies."""
    weight = np.full(values.shape[-1], 2.0)
    weight[0] = 1.0
    if grid[1] % 2 == 0:
        weight[-1] = 1.0
    return float(np.sum(values * weight) / (grid[0] * grid[1]))


def _unit_increment_gain(gain: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """Scale a real rfft2 filter so filtered unit white noise has unit-variance
    pixel increments (mean of the row and column directions)."""
    ky, kx = _frequencies(grid)
    var = _grid_mean(gain**2 * (2 - np.cos(kx) - np.cos(ky)), grid)
    return gain / math.sqrt(var)


_N_ALIAS = 2  # aliases summed explicitly per direction; the rest by an integral


def _aliased_power(
    grid: tuple[int, int],
    exponent: float,
    cone: tuple[float, float] | None = None,
    aliased: bool = True,
) -> np.ndarray:
    """Power spectrum on the rfft2 grid of a field with spectral density
    ``|xi|**-exponent`` (optionally restricted to a cone), sampled on the pixel grid.

    Sampling folds all frequencies ``xi + 2 pi m`` onto the grid; keeping only
    ``m = 0`` makes fine scales too smooth (local variogram slopes off by up to
    0.9 at lag 1 for H = 0.1). Aliases with ``|m| <= _N_ALIAS`` are summed and
    the rest approximated by the integral outside the square they cover
    (relative error < 0.5% for 0 < H < 1). ``cone = (theta, half_width)``
    keeps frequency directions within ``half_width`` of ``theta`` (mod pi).
    The mean (k = 0) is removed. ``aliased=False`` keeps only ``m = 0``: the
    field seen through an ideal anti-aliasing filter (band-limited).
    """
    ky, kx = _frequencies(grid)
    power = np.zeros((ky.shape[0], kx.shape[1]))
    n_alias = _N_ALIAS if aliased else 0
    shifts = 2 * np.pi * np.arange(-n_alias, n_alias + 1)
    for sy in shifts:
        qy = ky + sy
        for sx in shifts:
            qx = kx + sx
            with np.errstate(divide="ignore"):
                term = (qy**2 + qx**2) ** (-exponent / 2)
            if cone is not None:
                offset = np.mod(np.arctan2(qy, qx) - cone[0] + np.pi / 2, np.pi) - np.pi / 2
                term = np.where(np.abs(offset) <= cone[1], term, 0.0)
            power += term
    # Lattice sum beyond the square of half-side s ~ (1/(2 pi)**2) * integral of
    # |u|**-a outside it, which is s**(2 - a) times the same for s = 1.
    a = exponent
    unit = 8 / (a - 2) * integrate.quad(lambda t: np.cos(t) ** (a - 2), 0, np.pi / 4)[0]
    tail = unit * ((2 * _N_ALIAS + 1) * np.pi) ** (2 - a) / (2 * np.pi) ** 2
    if cone is not None:
        tail *= 2 * cone[1] / np.pi  # share of directions inside the cone
    if aliased:
        power += tail
    power[0, 0] = 0.0
    return power


def _fbf_spectral(
    shape: tuple[int, int],
    H: float,
    anisotropy: float,
    theta: float,
    aliased: bool,
    rng: np.random.Generator,
) -> np.ndarray:
    grid = tuple(sfft.next_fast_len(2 * s, real=True) for s in shape)
    cone = (theta, np.pi / 2 * (1 - anisotropy)) if anisotropy > 0 else None
    gain = _unit_increment_gain(np.sqrt(_aliased_power(grid, 2 * H + 2, cone, aliased)), grid)
    field = _colour(rng.standard_normal(grid), gain)
    return field[: shape[0], : shape[1]]


def fbf(
    shape: tuple[int, int],
    H: float,
    *,
    anisotropy: float = 0.0,
    theta: float = 0.0,
    sampling: str = "bandlimited",
    seed: Seed = 0,
) -> np.ndarray:
    """Fractional Brownian field: isotropic or elementary anisotropic.

    Two ways to turn the continuous field into pixels (``sampling``):

    - ``"bandlimited"`` (default): the field seen through an ideal
      anti-aliasing filter, as a camera sees a surface: spectral synthesis
      with density ``|xi|**-(2H + 2)`` inside the Nyquist square, on a grid
      twice as large, then cropped (not periodic). Its wavelet statistics
      scale as ``2**(jH)`` down to the finest octaves.
    - ``"point"``: exact point samples of the continuous field. Isotropic:
      Stein's (2002) circulant embedding (exact variogram
      ``E|X(x + h) - X(x)|**2 = |h|**(2H)``, ``h`` in pixels); anisotropic:
      spectral synthesis with the aliased spectrum. Aliasing inflates the
      finest octaves (for H = 0.3 the leader-based ``c1`` on octaves 2-6 of
      a 512x512 field drops to about 0.21 instead of 0.3).

    Anisotropy:

    - ``anisotropy == 0``: isotropic.
    - ``0 < anisotropy < 1``: elementary anisotropic fBf (Bonami & Estrade
      2003) by spectral synthesis: spectral density ``|xi|**-(2H + 2)``
      restricted to frequency directions within ``+-(pi/2)(1 - anisotropy)``
      of ``theta`` (and their mirror images). Self-similar with index ``H``
      in every direction, but with direction-dependent amplitude: the field
      varies most along ``theta`` and its structures run perpendicular to it.
      Synthesised on a grid twice as large, then cropped (not periodic).

    Parameters
    ----------
    shape : tuple of 2 ints
        ``(H, W)`` in pixels, each >= 8.
    H : float
        Hurst index, ``0 < H < 1``.
    anisotropy : float, optional
        ``0 <= anisotropy < 1``; 0 is isotropic, close to 1 concentrates the
        spectrum in a narrow cone of directions.
    sampling : {"bandlimited", "point"}, optional
        See above.
    theta : float, optional
        Direction (radians) of strongest variation, measured from the column
        (x, axis 1) axis towards increasing row index (axis 0), i.e. the unit
        vector ``(dx, dy) = (cos theta, sin theta)``. Ignored when
        ``anisotropy == 0``; defined modulo pi.
    seed : int or numpy.random.Generator, default 0
        Random state; an int gives reproducible output.

    Returns
    -------
    ndarray of float64, shape (H, W)
        The field, scaled so that increments at a lag of one pixel have unit
        variance (averaged over rows and columns when anisotropic). The
        isotropic point-sampled field is 0 at pixel ``(0, 0)``.

    References
    ----------
    Stein (2002), "Fast and exact simulation of fractional Brownian
    surfaces", J. Comput. Graph. Stat. 11(3). Bonami, Estrade (2003),
    "Anisotropic analysis of some Gaussian models", J. Fourier Anal. Appl.
    9(3). Wood, Chan (1994), J. Comput. Graph. Stat. 3(4).

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.processes import fbf
    >>> img = fbf((128, 128), 0.7, seed=0)
    >>> img.shape
    (128, 128)
    >>> streaks = fbf((128, 128), 0.5, anisotropy=0.8, theta=np.pi / 2, seed=0)
    """
    shape = _check_shape(shape, allow_1d=False)
    H = _check_hurst(H)
    anisotropy = check_in_range(anisotropy, "anisotropy", 0.0, 1.0, low_inclusive=True)
    if isinstance(theta, bool) or not isinstance(theta, numbers.Real) or not np.isfinite(theta):
        raise TypeError(f"`theta` must be a finite angle in radians, got {theta!r}.")
    if sampling not in ("bandlimited", "point"):
        raise ValueError(f"`sampling` must be 'bandlimited' or 'point', got {sampling!r}.")
    rng = as_generator(seed)
    if anisotropy == 0.0 and sampling == "point":
        return _fbf_stein(shape, H, rng)
    return _fbf_spectral(shape, H, anisotropy, float(theta), sampling == "point", rng)


# --------------------------------------------------------------------------
# Multifractal random walks and fields
# --------------------------------------------------------------------------


def mrw_log_cumulants(H: float, lam: float) -> dict[str, float]:
    """Log-cumulants of :func:`mrw` (1D and 2D) with parameters ``H``, ``lam``.

    ``zeta(q) = c1 q + c2 q**2/2`` with ``c1 = H + lam**2/2``,
    ``c2 = -lam**2`` and ``c3 = 0``; ``H = zeta(1)``.

    Parameters
    ----------
    H : float
        First-order scaling exponent ``zeta(1)``.
    lam : float
        Intermittency, >= 0.

    Returns
    -------
    dict
        ``{"c1": ..., "c2": ..., "c3": 0.0}``.

    Examples
    --------
    >>> from textures_nb.processes import mrw_log_cumulants
    >>> mrw_log_cumulants(0.7, 0.2)
    {'c1': 0.72, 'c2': -0.04000000000000001, 'c3': 0.0}
    """
    if isinstance(H, bool) or not isinstance(H, numbers.Real) or not np.isfinite(H):
        raise TypeError(f"`H` must be a finite real number, got {H!r}.")
    lam = _check_lam(lam)
    return {"c1": float(H) + lam**2 / 2, "c2": -(lam**2), "c3": 0.0}


def _log_corr_unit_1d(m: int, L: float) -> np.ndarray:
    """sqrt-eigenvalues for the unit log-correlated sequence max(ln(L/(|k|+1)), 0).

    The sequence is convex and decreasing in |k| (the floor at 0 also covers
    non-integer L), so its circulant embedding is non-negative definite.
    """
    cov = np.log(np.maximum(L / (_lags_1d(m) + 1.0), 1.0))
    return _sqrt_eigenvalues(cov, "log-correlated cascade")


def _mrw_1d(
    n: int,
    hps: tuple[float, ...],
    lams: tuple[float, ...],
    L: float,
    rng: np.random.Generator,
    rho_g: float = 0.0,
    rho_omega: float = 0.0,
) -> np.ndarray:
    """``(C, n)`` MRWs (Bacry-Delour-Muzy) with fGn indices ``hps`` and cascades ``lams``.

    Channel noises are driven by white noises of correlation ``rho_g``, and
    the unit cascades by white noises of correlation ``rho_omega``.
    """
    n_ch = len(hps)
    m = _embedding_size(n)
    white_g, white_w = _channel_noises(rng, n_ch, ((m,), (m,)), (rho_g, rho_omega))
    unit = _colour(white_w, _log_corr_unit_1d(m, L))[:, :n]  # Var = ln L
    out = np.empty((n_ch, n))
    for c in range(n_ch):
        noise = _colour(white_g[c], _fgn_sqrt_eig(n, hps[c])[1])[:n]
        # Mean -Var(omega) gives E[exp(2 omega)] = 1: unit-variance increments.
        omega = lams[c] * unit[c] - lams[c] ** 2 * math.log(L)
        out[c] = np.cumsum(noise * np.exp(omega))
    return out


def _log_corr_unit_2d(grid: tuple[int, int], L: float) -> tuple[np.ndarray, float]:
    """rfft2 gain and variance of a unit 2D log-correlated field on a periodic grid.

    Spectral density 2 pi / (|k|**2 + 1/L**2) has covariance K0(r/L), which
    is ln(2L/r) - Euler's gamma for r << L: one unit of log-variance per unit
    of ln(scale), as for the 1D cascade.
    """
    ky, kx = _frequencies(grid)
    density = 2 * np.pi / (ky**2 + kx**2 + 1.0 / L**2)
    return np.sqrt(density), _grid_mean(density, grid)


def _mrw_2d(
    shape: tuple[int, int],
    hps: tuple[float, ...],
    lams: tuple[float, ...],
    L: float,
    rng: np.random.Generator,
    rho_g: float = 0.0,
    rho_omega: float = 0.0,
) -> np.ndarray:
    """``(C, H, W)`` multifractal random fields: white noise times exp(omega),
    fractionally integrated by ``|k|**-(H' + 1)``."""
    n_ch = len(hps)
    grid = tuple(sfft.next_fast_len(2 * s, real=True) for s in shape)
    # The cascade lives on a grid twice as large again, so it is not periodic
    # over the integration grid either.
    cascade_grid = tuple(sfft.next_fast_len(2 * g, real=True) for g in grid)
    white_g, white_w = _channel_noises(rng, n_ch, (grid, cascade_grid), (rho_g, rho_omega))
    gain_w, var_unit = _log_corr_unit_2d(cascade_grid, L)
    unit = _colour(white_w, gain_w)[:, : grid[0], : grid[1]]
    out = np.empty((n_ch, *shape))
    for c in range(n_ch):
        omega = lams[c] * unit[c] - lams[c] ** 2 * var_unit  # E[exp(2 omega)] = 1
        gain = _unit_increment_gain(np.sqrt(_aliased_power(grid, 2 * hps[c] + 2)), grid)
        out[c] = _colour(white_g[c] * np.exp(omega), gain)[: shape[0], : shape[1]]
    return out


def mrw(
    shape: int | tuple[int, int], H: float, lam: float, *, L: float | None = None, seed: Seed = 0
) -> np.ndarray:
    """Multifractal random walk (1D) or multifractal random field (2D).

    Parametrisation: ``H`` is the first-order scaling exponent ``zeta(1)``,
    so the log-cumulants are ``c1 = H + lam**2/2``, ``c2 = -lam**2``,
    ``c3 = 0`` (see :func:`mrw_log_cumulants`).

    - 1D (Bacry, Delour & Muzy 2001): ``X = cumsum(fGn_H * exp(omega))``
      where ``omega`` is Gaussian with covariance ``lam**2 ln(L/(|k|+1))``
      for lags ``|k| < L`` and 0 beyond (circulant embedding).
    - 2D: 2D white noise times ``exp(omega)``, with ``omega`` log-correlated
      (covariance ``lam**2 K0(r/L)``, about ``lam**2 ln(2L/r)`` for
      ``r << L``), fractionally integrated by the Fourier multiplier
      ``|k|**-(H' + 1)`` on a grid twice as large, then cropped, with
      ``H' = H - lam**2/2`` in (0, 1).

    Why the two noise indices differ: in 1D the long-range correlated fGn
    (H > 1/2) adds up coherently over a box of size ``a``, so a wavelet
    coefficient behaves like ``a**(H-1) * int_box exp(omega)`` and
    ``c1 = H + lam**2/2``; in 2D the noise is white, a coefficient behaves
    like ``a**(H'-1) * (int_box exp(2 omega))**(1/2)`` and ``c1 = H' + lam**2``.
    Both were checked with :func:`textures_nb.multiscale.log_cumulants`
    (tests/test_multiscale.py). In 1D the coherent sum needs strongly
    correlated noise: for ``H < 0.6`` the walk drifts toward the white-noise
    law ``c1 = H + lam**2`` (0.58 instead of 0.545 at H = 0.5, lam = 0.3), and
    :func:`mrw` warns.

    In both cases ``omega`` has mean ``-Var(omega)``, so that increments at a
    lag of one sample (pixel) have unit variance on average.

    Parameters
    ----------
    shape : int or tuple of 2 ints
        ``n`` (>= 16 samples) for a walk, ``(H, W)`` (each >= 8 pixels) for
        a field.
    H : float
        First-order scaling exponent ``zeta(1)``, in (0, 1); for fields
        ``H - lam**2/2`` must also be positive.
    lam : float
        Intermittency, >= 0 (``lam = 0`` gives fBm / a spectral fBf).
    L : float, optional
        Integral scale in samples (pixels), ``1 <= L <= max(shape)``;
        defaults to ``max(shape)``. Scaling holds below ``L``.
    seed : int or numpy.random.Generator, default 0
        Random state; an int gives reproducible output.

    Returns
    -------
    ndarray of float64, shape (n,) or (H, W)
        The walk or field.

    References
    ----------
    Bacry, Delour, Muzy (2001), "Multifractal random walk", Phys. Rev. E 64.
    Wood, Chan (1994), J. Comput. Graph. Stat. 3(4).

    Examples
    --------
    >>> from textures_nb.processes import mrw, mrw_log_cumulants
    >>> x = mrw(2**14, 0.72, 0.2, seed=0)
    >>> img = mrw((128, 128), 0.7, 0.2, seed=0)
    >>> mrw_log_cumulants(0.72, 0.2)["c1"]
    0.74
    """
    shape = _check_shape(shape, allow_1d=True)
    H = check_in_range(H, "H", -np.inf, np.inf)
    lam = _check_lam(lam)
    L = _check_L(L, shape)
    rng = as_generator(seed)
    if len(shape) == 1:
        _warn_rough_1d(H, lam)
        return _mrw_1d(shape[0], (_check_hurst(H),), (lam,), L, rng)[0]
    Hp = _fgn_hurst(H, lam)
    return _mrw_2d(shape, (Hp,), (lam,), L, rng)[0]


def bivariate_mrw(
    shape: int | tuple[int, int],
    H: float | tuple[float, float],
    lam: float | tuple[float, float],
    *,
    rho_g: float = 0.0,
    rho_omega: float = 0.0,
    L: float | None = None,
    seed: Seed = 0,
) -> np.ndarray:
    """Two multifractal random walks (fields) with correlated noises and cascades.

    Each channel is an :func:`mrw` with its own ``H`` and ``lam``. The white
    noises driving the two Gaussian noises have correlation ``rho_g`` (so
    the noises themselves have correlation exactly ``rho_g`` when both
    noise indices are equal, see :func:`mrw`), and the cascades are
    ``omega_i = lam_i g_i`` with unit log-correlated fields of correlation
    ``rho_omega`` (``g_2 = rho_omega g_1 + sqrt(1 - rho_omega**2) g'``).

    Ground truth: per channel ``c1 = H + lam**2/2`` and ``c2 = -lam**2``;
    joint ``c11 = -rho_omega lam_1 lam_2``, hence the multifractal
    correlation ``rho_mf = -c11 / sqrt(c20 c02) = rho_omega``.

    Parameters
    ----------
    shape : int or tuple of 2 ints
        ``n`` (>= 16 samples) or ``(H, W)`` (each >= 8 pixels).
    H, lam : float or pair of floats
        As in :func:`mrw`, shared or one per channel.
    rho_g : float, optional
        Correlation of the Gaussian noises, in [-1, 1].
    rho_omega : float, optional
        Correlation of the cascades, in [-1, 1].
    L : float, optional
        Integral scale in samples (pixels), ``1 <= L <= max(shape)``;
        defaults to ``max(shape)``.
    seed : int or numpy.random.Generator, default 0
        Random state; an int gives reproducible output.

    Returns
    -------
    ndarray of float64, shape (2, n) or (2, H, W)
        Channel first.

    References
    ----------
    Bacry, Delour, Muzy (2001), Phys. Rev. E 64. Jaffard, Seuret, Wendt,
    Leonarduzzi, Abry (2019), "Multivariate multifractal analysis", Appl.
    Comput. Harmon. Anal. 46.

    Examples
    --------
    >>> from textures_nb.processes import bivariate_mrw
    >>> x = bivariate_mrw(2**14, 0.7, (0.2, 0.3), rho_omega=0.8, seed=0)
    >>> x.shape
    (2, 16384)
    """
    shape = _check_shape(shape, allow_1d=True)
    hs = tuple(check_in_range(h, "H", -np.inf, np.inf) for h in _pair(H, "H"))
    lams = tuple(_check_lam(v) for v in _pair(lam, "lam"))
    # noise Hurst index: H in 1D, H - lam**2/2 in 2D (see mrw)
    if len(shape) == 2:
        hps = tuple(_fgn_hurst(h, v) for h, v in zip(hs, lams, strict=True))
    else:
        for h, v in zip(hs, lams, strict=True):
            _warn_rough_1d(h, v)
        hps = tuple(_check_hurst(h) for h in hs)
    rho_g = check_in_range(rho_g, "rho_g", -1.0, 1.0, low_inclusive=True, high_inclusive=True)
    rho_omega = check_in_range(
        rho_omega, "rho_omega", -1.0, 1.0, low_inclusive=True, high_inclusive=True
    )
    L = _check_L(L, shape)
    rng = as_generator(seed)
    make = _mrw_1d if len(shape) == 1 else _mrw_2d
    return make(shape[0] if len(shape) == 1 else shape, hps, lams, L, rng, rho_g, rho_omega)


def periodic_multifractal(n: int, H: float, lam: float, *, seed: Seed = 0) -> np.ndarray:
    """Periodic ``n x n`` multifractal field: a cascade with no border at all.

    White noise times ``exp(lam * omega)``, with ``omega`` a periodic
    log-correlated Gaussian field (variance about ``ln n``), fractionally
    integrated by ``|k|**-(H - lam**2 / 2 + 1)`` on the same periodic grid. With
    ``lam = 0`` it is a periodic Gaussian fractional Brownian field. Because
    every step is a circular convolution, the field wraps around seamlessly: its
    phase surrogate (same Fourier moduli, random phases) is exactly its Gaussian
    counterpart, with no border artefact, which makes it the reference case for
    telling multifractality from second-order statistics
    (:func:`textures_nb.quality.compare`, issue 11's acceptance).

    Parameters
    ----------
    n : int
        Side in pixels (>= 8).
    H : float
        Regularity, in (0, 1): leaders' c1 is about ``H`` on mid scales.
    lam : float
        Intermittency (>= 0): c2 is about ``-lam**2``.
    seed : int or numpy.random.Generator, default 0
        Random state.

    Returns
    -------
    ndarray, shape (n, n)

    Examples
    --------
    >>> x = periodic_multifractal(64, 0.5, 0.3, seed=1)
    >>> x.shape, bool(np.isfinite(x).all())
    ((64, 64), True)
    """
    n = check_positive_int(n, "n", minimum=_MIN_SIDE)
    H = _check_hurst(H)
    lam = _check_lam(lam)
    rng = as_generator(seed)
    k2 = (2 * np.pi) ** 2 * (np.fft.fftfreq(n)[:, None] ** 2 + np.fft.fftfreq(n)[None, :] ** 2)
    density = 2 * np.pi / (k2 + 1.0 / n**2)
    omega = np.fft.ifft2(np.fft.fft2(rng.standard_normal((n, n))) * np.sqrt(density)).real
    g = rng.standard_normal((n, n)) * np.exp(lam * omega - lam**2 * density.mean())
    gain = np.where(k2 > 0, k2, 1.0) ** (-(H - lam**2 / 2 + 1) / 2) * (k2 > 0)
    return np.fft.ifft2(np.fft.fft2(g) * gain).real
