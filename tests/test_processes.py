"""Synthetic processes (textures_nb.processes) against their known truth.

Statistical checks simulate with known parameters and compare estimates with
the theory, averaging over a few seeds (as pymultifracs' own tests do).
Tolerances come from the spread observed over many seeds plus the known
finite-scale bias of each estimator, so a wrong exponent, normalisation or
parametrisation fails them.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from textures_nb.processes import (
    _sqrt_eigenvalues,
    bivariate_mrw,
    fbf,
    fbm,
    fgn,
    mrw,
    mrw_log_cumulants,
    periodic_multifractal,
)

# --------------------------------------------------------------------------
# Estimators used by the tests
# --------------------------------------------------------------------------


def _slope(x, y) -> float:
    return float(np.polyfit(np.log(x), y, 1)[0])


def _increments(x: np.ndarray, lag: int, order: int) -> np.ndarray:
    """First- or second-order increments of a 1D signal at ``lag``."""
    if order == 1:
        return x[lag:] - x[:-lag]
    return x[2 * lag :] - 2 * x[lag:-lag] + x[: -2 * lag]


def _increments_2d(x: np.ndarray, lag: int, order: int, direction: str) -> np.ndarray:
    """Increments of an image along 'rows' (axis 1), 'cols' (axis 0), 'diag' or 'anti'."""
    dy, dx = {"rows": (0, 1), "cols": (1, 0), "diag": (1, 1), "anti": (1, -1)}[direction]
    steps = [(i * dy * lag, i * dx * lag) for i in range(order + 1)]
    coefs = (-1, 1) if order == 1 else (1, -2, 1)
    span_y, span_x = order * dy * lag, order * abs(dx) * lag
    h, w = x.shape[0] - span_y, x.shape[1] - span_x
    x0 = span_x if dx < 0 else 0
    return sum(
        c * x[sy : sy + h, x0 + sx : x0 + sx + w] for c, (sy, sx) in zip(coefs, steps, strict=True)
    )


def _log_increments_1d(x: np.ndarray, lags) -> list[np.ndarray]:
    return [np.log(np.abs(_increments(x, t, 1))) for t in lags]


def _log_increments_2d(x: np.ndarray, lags) -> list[np.ndarray]:
    # Second-order increments: the first-order kernel of a 2D fractional
    # integral decays too slowly and mixes the cascade over ~10 lags, which
    # halves the apparent c2; second-order ones stay local.
    return [
        np.log(
            np.abs(np.concatenate([_increments_2d(x, t, 2, d).ravel() for d in ("rows", "cols")]))
        )
        for t in lags
    ]


def _c1_c2(logs: list[np.ndarray], lags) -> tuple[float, float]:
    """Slopes in ln(lag) of the mean and variance of log-increments."""
    return _slope(lags, [v.mean() for v in logs]), _slope(lags, [v.var() for v in logs])


def _cross_c2(logs_a: list[np.ndarray], logs_b: list[np.ndarray], lags) -> float:
    covs = [np.mean((a - a.mean()) * (b - b.mean())) for a, b in zip(logs_a, logs_b, strict=True)]
    return _slope(lags, covs)


LAGS_1D = 2 ** np.arange(2, 9)
LAGS_2D = 2 ** np.arange(1, 6)


def _c2_tolerance(lam: float) -> float:
    # Log-increments at lags 4..256 of 2**16 samples underestimate |c2| by
    # 10-20% (0.004 for lam = 0.2, 0.0135 for lam = 0.3 over 120 seeds; the
    # log-normal regime sets in slowly, and pymultifracs' MRW does the same);
    # a 20-seed mean then spreads by 0.004-0.0055.
    return 0.01 + 0.2 * lam**2


# --------------------------------------------------------------------------
# fGn and fBm
# --------------------------------------------------------------------------


@pytest.mark.parametrize("H", [0.3, 0.8])
def test_fgn_autocovariance_matches_theory(H):
    n, reps, sigma = 32, 4000, 2.0
    rng = np.random.default_rng(0)
    x = np.array([fgn(n, H, sigma=sigma, seed=rng) for _ in range(reps)])
    for k in range(6):
        per_rep = np.mean(x[:, : n - k] * x[:, k:], axis=1)
        theory = sigma**2 / 2 * (abs(k + 1) ** (2 * H) - 2 * k ** (2 * H) + abs(k - 1) ** (2 * H))
        stderr = per_rep.std() / np.sqrt(reps)
        assert abs(per_rep.mean() - theory) < 4 * stderr, (k, per_rep.mean(), theory)


@pytest.mark.parametrize("H", [0.3, 0.5, 0.8])
def test_fbm_variogram_scales_as_2H(H):
    lags = 2 ** np.arange(0, 7)
    slopes, level = [], []
    for seed in range(10):  # one path's slope spreads by 0.007 (H = 0.3) to 0.02 (H = 0.8)
        x = fbm(2**16, H, seed=seed)
        v = [np.mean(_increments(x, k, 1) ** 2) for k in lags]
        slopes.append(_slope(lags, np.log(v)))
        level.append(v[0])
    assert abs(np.mean(slopes) - 2 * H) < 0.03
    assert abs(np.mean(level) - 1) < 0.03  # unit-variance increments at lag 1


def test_fbm_starts_at_first_increment():
    assert np.allclose(fbm(64, 0.6, seed=3), np.cumsum(fgn(64, 0.6, seed=3)))


# --------------------------------------------------------------------------
# Fractional Brownian fields
# --------------------------------------------------------------------------


@pytest.mark.parametrize("H", [0.3, 0.7, 0.9])
def test_fbf_isotropic_variogram(H):
    lags = 2 ** np.arange(0, 4)
    dirs = ("rows", "cols", "diag", "anti")
    # Second-order variogram E|X(x+2h) - 2X(x+h) + X(x)|^2 = (4 - 2^(2H)) |h|^(2H):
    # same exponent, but blind to the large-scale modes that make one field's
    # first-order variogram very noisy when H is close to 1.
    v2 = np.zeros((len(dirs), len(lags)))
    v1 = np.zeros((2, len(lags)))
    for seed in range(3):
        x = fbf((256, 256), H, sampling="point", seed=seed)
        for i, d in enumerate(dirs):
            v2[i] += [np.mean(_increments_2d(x, k, 2, d) ** 2) for k in lags]
        for i, d in enumerate(("rows", "cols")):
            v1[i] += [np.mean(_increments_2d(x, k, 1, d) ** 2) for k in lags]
    v2, v1 = v2 / 3, v1 / 3
    for i, d in enumerate(dirs):
        assert abs(_slope(lags, np.log(v2[i])) - 2 * H) < 0.05, d
        # Exact level: diagonal lags are sqrt(2) pixels long.
        length = np.sqrt(2) if d in ("diag", "anti") else 1.0
        assert v2[i, 0] == pytest.approx((4 - 2 ** (2 * H)) * length ** (2 * H), rel=0.03), d
    # Isotropy, at lags 1-2 where the row/column ratio is precise (seed spread 0.01).
    np.testing.assert_allclose(v2[0, :2] / v2[1, :2], 1, atol=0.05)
    # One field's first-order variogram is dominated by its few largest-scale
    # modes when H is large (3-field slope spread 0.03-0.05 and lag-1 level
    # +-10% at H = 0.7, heavy tailed), so it is checked at H = 0.3 only.
    if H < 0.5:
        for i in range(2):
            assert abs(_slope(lags, np.log(v1[i])) - 2 * H) < 0.05
        assert v1[0, 0] / v1[1, 0] == pytest.approx(1, abs=0.05)
        assert v1[:, 0].mean() == pytest.approx(1, rel=0.03)


@pytest.mark.parametrize("H", [0.3, 0.9])  # both of Stein's regimes (alpha <= 1.5 or not)
def test_fbf_point_covariance_is_exact(H):
    # Ensemble check of Cov(X(p), X(q)) = (|p|^2H + |q|^2H - |p - q|^2H) / 2 in
    # pixels (X(0) = 0), far corners included: catches any error in Stein's
    # correction term, which only shows at lags comparable to the image.
    n, reps = 12, 2000
    rng = np.random.default_rng(0)
    x = np.array([fbf((n, n), H, sampling="point", seed=rng) for _ in range(reps)])
    points = [(0, 1), (1, 1), (0, n - 1), (n - 1, 0), (n - 1, n - 1), (5, 7), (n - 1, 3)]
    for i, p in enumerate(points):
        for q in points[i:]:
            prod = x[:, p[0], p[1]] * x[:, q[0], q[1]]
            theory = (
                np.hypot(*p) ** (2 * H)
                + np.hypot(*q) ** (2 * H)
                - np.hypot(p[0] - q[0], p[1] - q[1]) ** (2 * H)
            ) / 2
            assert abs(prod.mean() - theory) < 4.5 * prod.std() / np.sqrt(reps), (p, q)


@pytest.mark.parametrize("kwargs", [{"H": 0.3}, {"H": 0.7}, {"H": 0.5, "anisotropy": 0.5}], ids=str)
def test_fbf_is_not_periodic(kwargs):
    x = fbf((128, 160), seed=1, **kwargs)
    adjacent = np.mean(np.diff(x, axis=1) ** 2)
    assert np.mean((x[:, 0] - x[:, -1]) ** 2) > 5 * adjacent
    assert np.mean((x[0] - x[-1]) ** 2) > 5 * np.mean(np.diff(x, axis=0) ** 2)


def _spectral_slope(fields: list[np.ndarray], band: tuple[float, float]) -> float:
    """Log-log slope over ``band`` (rad/pixel) of the radially averaged,
    Hann-windowed periodogram, averaged over ``fields``."""
    h, w = fields[0].shape
    window = np.outer(np.hanning(h), np.hanning(w))
    power = np.mean([np.abs(np.fft.fft2((x - x.mean()) * window)) ** 2 for x in fields], axis=0)
    freqs = 2 * np.pi * np.fft.fftfreq(h), 2 * np.pi * np.fft.fftfreq(w)
    k = np.hypot(*np.meshgrid(*freqs, indexing="ij"))
    edges = np.geomspace(*band, 12)
    idx = np.digitize(k, edges)
    bins = range(1, len(edges))
    return _slope(
        [k[idx == i].mean() for i in bins], np.log([power[idx == i].mean() for i in bins])
    )


@pytest.mark.parametrize("H", [0.1, 0.5, 0.9])
def test_fbf_bandlimited_spectrum(H):
    # Band-limited: density |xi|**-(2H + 2) right up to Nyquist. Point samples
    # fold the aliases in and flatten the top of the band (by 0.6 to 1.7 here).
    # Spread of a 3-field slope: 0.03 (wide band), 0.06 (top band).
    band = [fbf((256, 256), H, seed=seed) for seed in range(3)]
    point = [fbf((256, 256), H, sampling="point", seed=seed) for seed in range(3)]
    target = -(2 * H + 2)
    assert abs(_spectral_slope(band, (0.1 * np.pi, 0.9 * np.pi)) - target) < 0.12
    assert abs(_spectral_slope(band, (0.5 * np.pi, 0.95 * np.pi)) - target) < 0.2
    assert _spectral_slope(point, (0.5 * np.pi, 0.95 * np.pi)) > target + 0.4
    unit = [(np.mean(np.diff(x, axis=0) ** 2) + np.mean(np.diff(x, axis=1) ** 2)) / 2 for x in band]
    assert np.mean(unit) == pytest.approx(1, rel=0.1)


def test_fbf_anisotropy_follows_theta():
    def energy(theta):
        e = {d: 0.0 for d in ("rows", "cols", "diag", "anti")}
        for seed in range(2):
            x = fbf((128, 160), 0.5, anisotropy=0.8, theta=theta, seed=seed)
            for d in e:
                e[d] += np.mean(_increments_2d(x, 2, 1, d) ** 2)
        return e

    # theta = 0: varies along x (axis 1), structures run along y.
    e = energy(0.0)
    assert e["rows"] > 2 * e["cols"]
    e = energy(np.pi / 2)
    assert e["cols"] > 2 * e["rows"]
    e = energy(np.pi / 4)  # direction (dx, dy) = (1, 1), y = row index
    assert e["diag"] > 2 * e["anti"]
    e = energy(3 * np.pi / 4)
    assert e["anti"] > 2 * e["diag"]


def test_fbf_anisotropic_scaling_and_level():
    lags = 2 ** np.arange(0, 4)
    v = np.zeros(len(lags))
    unit = []
    for seed in range(3):
        x = fbf((256, 256), 0.6, anisotropy=0.5, theta=0.3, sampling="point", seed=seed)
        v += [np.mean(_increments_2d(x, k, 2, "rows") ** 2) for k in lags]
        unit.append((np.mean(np.diff(x, axis=0) ** 2) + np.mean(np.diff(x, axis=1) ** 2)) / 2)
    # Self-similar of index H in every direction.
    assert abs(_slope(lags, np.log(v)) - 1.2) < 0.05
    assert np.mean(unit) == pytest.approx(1, rel=0.05)


# --------------------------------------------------------------------------
# Multifractal random walk (1D)
# --------------------------------------------------------------------------


def _mrw_1d_estimates(make, seeds) -> np.ndarray:
    return np.array([_c1_c2(_log_increments_1d(make(s), LAGS_1D), LAGS_1D) for s in seeds])


@pytest.mark.parametrize("H, lam", [(0.72, 0.2), (0.75, 0.3), (0.7, 0.0)])
def test_mrw_1d_log_cumulants(H, lam):
    truth = mrw_log_cumulants(H, lam)
    est = _mrw_1d_estimates(lambda s: mrw(2**16, H, lam, seed=s), range(20)).mean(axis=0)
    assert abs(est[1] - truth["c2"]) < _c2_tolerance(lam)
    # c1 is unbiased here (0.7406 for 0.74, 0.794 for 0.795 over 120 seeds) and a
    # 20-seed mean spreads by 0.003: tight enough to catch a noise index H - lam**2/2.
    assert abs(est[0] - truth["c1"]) < 0.015


def test_mrw_1d_rough_h_warns_and_follows_white_noise_law():
    # 1D, H <= 1/2: the fGn no longer adds up coherently and the walk follows
    # Bacry-Delour-Muzy's white-noise law c1 = H + lam**2 (0.58 measured, not 0.545).
    H, lam = 0.5, 0.3
    with pytest.warns(RuntimeWarning, match="H >= 0.6"):
        mrw(256, H, lam, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        est = _mrw_1d_estimates(lambda s: mrw(2**16, H, lam, seed=s), range(20)).mean(axis=0)
    assert abs(est[0] - (H + lam**2)) < abs(est[0] - (H + lam**2 / 2))


@pytest.mark.slow
def test_mrw_1d_matches_pymultifracs():
    simul = pytest.importorskip("pymultifracs.simul")
    # Same law as pymultifracs' MRW with the same fGn index H (1D: noise index = H, see mrw).
    H, lam, n = 0.6, 0.3, 2**16
    rng = np.random.default_rng(0)

    def reference(_):
        # Feed pymultifracs its Fourier-domain noises rather than seeding the global state.
        z = [rng.standard_normal((2 * n - 2, 1)) + 1j * rng.standard_normal((2 * n - 2, 1))]
        z.append(rng.standard_normal((2 * n - 2, 1)) + 1j * rng.standard_normal((2 * n - 2, 1)))
        return simul.mrw(n, H, lam, n, z0=tuple(z))

    ours = _mrw_1d_estimates(lambda s: mrw(n, H, lam, seed=s), range(16)).mean(axis=0)
    theirs = _mrw_1d_estimates(reference, range(16)).mean(axis=0)
    # The difference of the two 16-seed means spreads by ~0.005 (c2), 0.004 (c1).
    assert abs(ours[1] - theirs[1]) < 0.02
    assert abs(ours[0] - theirs[0]) < 0.015


@pytest.mark.parametrize("L", [4, 16, 64])
def test_mrw_cascade_variance_and_unit_increments(L):
    # With a short integral scale one signal samples the cascade well: the
    # lag-1 increment eps * exp(omega) has Var ln| . | = Var ln|N(0,1)| + Var omega
    # = pi**2/8 + lam**2 ln L (seed-to-seed spread 0.008).
    lam = 0.3
    x = [mrw(2**16, 0.7, lam, L=L, seed=seed) for seed in range(4)]
    log_var = np.mean([np.log(np.abs(np.diff(xi))).var() for xi in x])
    assert log_var == pytest.approx(np.pi**2 / 8 + lam**2 * np.log(L), abs=0.02)
    # Mean -Var(omega): E[exp(2 omega)] = 1 (-Var/2 would give 1.13-1.45 here).
    assert np.mean([np.var(np.diff(xi)) for xi in x]) == pytest.approx(1, rel=0.05)


# --------------------------------------------------------------------------
# Multifractal random fields (2D)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("H, lam", [(0.7, 0.2), (0.75, 0.4), (0.7, 0.0)])
def test_mrw_2d_log_cumulants(H, lam):
    truth = mrw_log_cumulants(H, lam)
    fields = (mrw((512, 512), H, lam, seed=seed) for seed in range(3))
    est = np.mean([_c1_c2(_log_increments_2d(x, LAGS_2D), LAGS_2D) for x in fields], axis=0)
    # Second-order increments show no bias (15 fields at lam = 0.4: c1 0.832 for
    # 0.83, c2 -0.160 for -0.16); one field spreads by 0.014 (c1) and 0.012 (c2).
    # At lam = 0.4 a noise index H' = H would move c1 by 0.08.
    assert abs(est[1] - truth["c2"]) < 0.025
    assert abs(est[0] - truth["c1"]) < 0.03


def test_mrw_2d_unit_increments_and_not_periodic():
    x = mrw((256, 320), 0.6, 0.3, L=16, seed=0)
    var1 = (np.mean(np.diff(x, axis=0) ** 2) + np.mean(np.diff(x, axis=1) ** 2)) / 2
    assert var1 == pytest.approx(1, rel=0.1)
    assert np.mean((x[:, 0] - x[:, -1]) ** 2) > 5 * np.mean(np.diff(x, axis=1) ** 2)


# --------------------------------------------------------------------------
# Bivariate MRW
# --------------------------------------------------------------------------


def test_bivariate_mrw_1d_truth():
    H, lam, rho_g, rho_omega = (0.6, 0.7), (0.3, 0.3), 0.5, 0.8
    est, cross, sign_corr = [], [], []
    for seed in range(20):
        x = bivariate_mrw(2**16, H, lam, rho_g=rho_g, rho_omega=rho_omega, seed=seed)
        logs = [_log_increments_1d(x[c], LAGS_1D) for c in range(2)]
        est.append([_c1_c2(logs[c], LAGS_1D)[1] for c in range(2)])
        cross.append(_cross_c2(logs[0], logs[1], LAGS_1D))
        # exp(omega) > 0: increments have the signs of the Gaussian noises, whose
        # sign correlation is (2/pi) arcsin(rho) for correlation rho.
        d = np.diff(x, axis=1)
        sign_corr.append(np.mean(np.sign(d[0]) * np.sign(d[1])))
    for c in range(2):
        assert abs(np.mean(est, axis=0)[c] + lam[c] ** 2) < _c2_tolerance(lam[c])
    assert np.mean(sign_corr) == pytest.approx(2 / np.pi * np.arcsin(rho_g), abs=0.02)
    c11 = -rho_omega * lam[0] * lam[1]
    assert abs(np.mean(cross) - c11) < 0.025  # same ~20% bias as c2; spread 0.003
    assert abs(np.mean(cross)) > 0.04  # clearly away from independence


def test_bivariate_mrw_independent_cascades():
    cross = []
    for seed in range(12):
        x = bivariate_mrw(2**16, 0.7, 0.3, rho_omega=0.0, seed=seed)
        logs = [_log_increments_1d(x[c], LAGS_1D) for c in range(2)]
        cross.append(_cross_c2(logs[0], logs[1], LAGS_1D))
    assert abs(np.mean(cross)) < 0.015


def test_bivariate_mrw_noise_correlation_exact_when_lam_zero():
    x = bivariate_mrw(2**16, 0.7, 0.0, rho_g=-0.6, seed=1)
    assert np.corrcoef(np.diff(x, axis=1))[0, 1] == pytest.approx(-0.6, abs=0.02)
    # Any common linear filter keeps the correlation; second-order increments
    # are short-memory, so one image estimates it to +-0.006.
    r = []
    for seed in range(3):
        y = bivariate_mrw((128, 128), 0.7, 0.0, rho_g=0.6, seed=seed)
        a, b = (_increments_2d(y[c], 1, 2, "rows").ravel() for c in range(2))
        r.append(np.corrcoef(a, b)[0, 1])
    assert np.mean(r) == pytest.approx(0.6, abs=0.02)


@pytest.mark.slow
def test_bivariate_mrw_2d_truth():
    lam, rho_omega = (0.2, 0.3), 0.8
    est, cross = [], []
    for seed in range(3):
        x = bivariate_mrw((512, 512), 0.7, lam, rho_omega=rho_omega, seed=seed)
        logs = [_log_increments_2d(x[c], LAGS_2D) for c in range(2)]
        est.append([_c1_c2(logs[c], LAGS_2D)[1] for c in range(2)])
        cross.append(_cross_c2(logs[0], logs[1], LAGS_2D))
    # Seed-to-seed spread at 512 x 512: 0.007-0.009 for each slope.
    np.testing.assert_allclose(np.mean(est, axis=0), [-0.04, -0.09], atol=0.025)
    assert abs(np.mean(cross) + rho_omega * lam[0] * lam[1]) < 0.02


def test_bivariate_channel_is_an_mrw_with_its_own_parameters():
    # Channel 0 uses the first white noises unchanged: it is mrw() itself.
    x = bivariate_mrw(1024, (0.6, 0.8), (0.2, 0.1), rho_g=0.3, rho_omega=0.5, seed=4)
    assert np.array_equal(x[0], mrw(1024, 0.6, 0.2, seed=4))
    img = bivariate_mrw((64, 64), (0.6, 0.8), (0.2, 0.1), seed=4)
    assert np.array_equal(img[0], mrw((64, 64), 0.6, 0.2, seed=4))


# --------------------------------------------------------------------------
# Theory helper, reproducibility, shapes, errors
# --------------------------------------------------------------------------


def test_mrw_log_cumulants():
    c = mrw_log_cumulants(0.7, 0.2)
    assert c == pytest.approx({"c1": 0.72, "c2": -0.04, "c3": 0.0})
    # H is zeta(1) = c1 + c2/2.
    assert c["c1"] + c["c2"] / 2 == pytest.approx(0.7)


CALLS = {
    "fgn": lambda seed: fgn(100, 0.7, seed=seed),
    "fbm": lambda seed: fbm(100, 0.3, seed=seed),
    "fbf": lambda seed: fbf((20, 30), 0.8, seed=seed),
    "fbf_point": lambda seed: fbf((20, 30), 0.8, sampling="point", seed=seed),
    "fbf_aniso": lambda seed: fbf((20, 30), 0.4, anisotropy=0.5, theta=1.0, seed=seed),
    "mrw": lambda seed: mrw(100, 0.7, 0.2, seed=seed),
    "mrw_2d": lambda seed: mrw((20, 30), 0.7, 0.2, seed=seed),
    "bivariate": lambda seed: bivariate_mrw(100, 0.7, 0.2, rho_g=0.5, seed=seed),
    "bivariate_2d": lambda seed: bivariate_mrw((20, 30), 0.7, 0.2, rho_omega=0.5, seed=seed),
}
SHAPES = {
    "fgn": (100,),
    "fbm": (100,),
    "fbf": (20, 30),
    "fbf_point": (20, 30),
    "fbf_aniso": (20, 30),
    "mrw": (100,),
    "mrw_2d": (20, 30),
    "bivariate": (2, 100),
    "bivariate_2d": (2, 20, 30),
}


@pytest.mark.parametrize("name", CALLS)
def test_reproducible_shape_and_dtype(name):
    call = CALLS[name]
    a, b, c = call(7), call(7), call(8)
    assert a.shape == SHAPES[name]
    assert a.dtype == np.float64
    assert np.all(np.isfinite(a))
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)
    # A Generator is consumed, so two calls with it differ.
    rng = np.random.default_rng(7)
    assert not np.allclose(call(rng), call(rng))


def test_fbf_isotropic_starts_at_zero():
    assert fbf((16, 16), 0.5, sampling="point", seed=0)[0, 0] == 0.0


def test_negative_embedding_eigenvalues_warn():
    row = np.array([1.0, 0.9, -0.9, 0.9])  # symmetric but not positive definite
    with pytest.warns(RuntimeWarning, match="negative eigenvalues"):
        root = _sqrt_eigenvalues(row, "test")
    assert np.all(np.isfinite(root))


BAD = [
    (lambda: fgn(8, 0.5), ValueError, "`n`"),
    (lambda: fgn(64.0, 0.5), TypeError, "`n`"),
    (lambda: fgn(64, 1.0), ValueError, "`H`"),
    (lambda: fgn(64, 0.0), ValueError, "`H`"),
    (lambda: fgn(64, 0.5, sigma=0), ValueError, "`sigma`"),
    (lambda: fbm(64, -0.2), ValueError, "`H`"),
    (lambda: fgn(64, 0.5, seed="a"), TypeError, "`seed`"),
    (lambda: fbf(64, 0.5), TypeError, "`shape`"),
    (lambda: fbf((64, 4), 0.5), ValueError, "`shape`"),
    (lambda: fbf((64, 64, 3), 0.5), TypeError, "`shape`"),
    (lambda: fbf((64, 64.0), 0.5), TypeError, "`shape`"),
    (lambda: fbf((64, 64), 1.2), ValueError, "`H`"),
    (lambda: fbf((64, 64), 0.5, anisotropy=1.0), ValueError, "`anisotropy`"),
    (lambda: fbf((64, 64), 0.5, anisotropy=-0.1), ValueError, "`anisotropy`"),
    (lambda: fbf((64, 64), 0.5, anisotropy=0.5, theta="x"), TypeError, "`theta`"),
    (lambda: fbf((64, 64), 0.5, sampling="exact"), ValueError, "`sampling`"),
    (lambda: mrw(8, 0.7, 0.2), ValueError, "`shape`"),
    (lambda: mrw("64", 0.7, 0.2), TypeError, "`shape`"),
    (lambda: mrw((64,), 0.7, 0.2), TypeError, "`shape`"),
    (lambda: mrw(64, 0.7, -0.2), ValueError, "`lam`"),
    (lambda: mrw((64, 64), 0.01, 0.2), ValueError, "`H` - `lam`"),
    (lambda: mrw(64, 1.1, 0.2), ValueError, "`H`"),
    (lambda: mrw((64, 64), 1.1, 0.2), ValueError, "`H` - `lam`"),
    (lambda: mrw(64, 0.7, 0.2, L=65), ValueError, "`L`"),
    (lambda: mrw(64, 0.7, 0.2, L=0.5), ValueError, "`L`"),
    (lambda: mrw((64, 64), 0.7, 0.2, L=100), ValueError, "`L`"),
    (lambda: bivariate_mrw(64, 0.7, 0.2, rho_g=1.5), ValueError, "`rho_g`"),
    (lambda: bivariate_mrw(64, 0.7, 0.2, rho_omega=-1.01), ValueError, "`rho_omega`"),
    (lambda: bivariate_mrw(64, (0.7, 0.6, 0.5), 0.2), ValueError, "`H`"),
    (lambda: bivariate_mrw(64, 0.7, (0.2, -0.1)), ValueError, "`lam`"),
    (lambda: mrw_log_cumulants(0.7, -1), ValueError, "`lam`"),
]


@pytest.mark.parametrize(
    "call, exc, match", BAD, ids=[m + str(i) for i, (_, _, m) in enumerate(BAD)]
)
def test_bad_input_raises_clear_error(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("H", [0.3, 0.8])
def test_fbm_bandlimited_spectrum_and_unit_increments(H):
    slopes, sds = [], []
    for seed in range(4):
        x = fbm(2**14, H, sigma=2.0, sampling="bandlimited", seed=seed)
        sds.append(np.diff(x).std())
        # periodogram of the increments: 4 sin(omega/2)**2 |omega|**-(2H + 1) up to Nyquist,
        # with no alias floor (point samples would add one at high frequencies)
        p = np.abs(np.fft.rfft(np.diff(x) * np.hanning(x.size - 1))) ** 2
        w = 2 * np.pi * np.fft.rfftfreq(x.size - 1)
        band = (w > 0.05) & (w < 3.0)
        y = np.log(p[band]) - np.log(4 * np.sin(w[band] / 2) ** 2)
        slopes.append(np.polyfit(np.log(w[band]), y, 1)[0])
    assert abs(np.mean(sds) - 2.0) < 0.1
    assert abs(np.mean(slopes) + (2 * H + 1)) < 0.1


def test_default_seed_is_zero_and_reproducible():
    np.testing.assert_array_equal(fbm(256, 0.5), fbm(256, 0.5, seed=0))
    np.testing.assert_array_equal(mrw(256, 0.7, 0.2), mrw(256, 0.7, 0.2, seed=0))
    with pytest.raises(ValueError, match="sampling"):
        fbm(256, 0.5, sampling="area")
    with pytest.raises(TypeError):
        fbm(256, 0.5, 0)  # seed is keyword-only


def test_periodic_multifractal_truth_and_wrap_around():
    from textures_nb.multiscale import log_cumulants

    # lam = 0: a periodic Gaussian field (c2 about 0); lam = 0.3: c2 about -0.09
    gauss = [log_cumulants(periodic_multifractal(256, 0.5, 0.0, seed=s)) for s in range(4)]
    casc = [log_cumulants(periodic_multifractal(256, 0.5, 0.3, seed=s)) for s in range(4)]
    assert abs(np.mean([e.c2 for e in gauss])) < 0.02
    assert np.mean([e.c2 for e in casc]) < -0.04
    assert abs(np.mean([e.c1 for e in gauss]) - 0.5) < 0.1
    x = periodic_multifractal(128, 0.5, 0.3, seed=1)
    # no border: the jump across the wrap is like any other increment
    assert np.std(x[0] - x[-1]) < 2 * np.std(np.diff(x, axis=0))
    np.testing.assert_array_equal(x, periodic_multifractal(128, 0.5, 0.3, seed=1))
    with pytest.raises(ValueError, match="lam"):
        periodic_multifractal(64, 0.5, -0.1)
    with pytest.raises(ValueError, match="`n`"):
        periodic_multifractal(4, 0.5, 0.1)
