"""Invariants of the shared spectral helpers (textures_nb/_shared/spectral.py)."""

import numpy as np
import pytest
from scipy import signal

from textures_nb._shared import spectral


def test_welch_matches_scipy_without_overlap():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4096))
    mine = spectral.welch(x, 256)
    _, ref = signal.welch(
        x,
        window=np.hanning(256),
        nperseg=256,
        noverlap=0,
        detrend="constant",
        return_onesided=False,
        scaling="spectrum",
        axis=-1,
    )
    # scipy's 'spectrum' scaling divides by (sum w)^2
    np.testing.assert_allclose(mine / np.hanning(256).sum() ** 2, ref, rtol=1e-10)


def test_welch_2d_white_noise_level_and_parseval():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 256, 256))
    p = spectral.welch(x, 32)
    w = spectral.hann((32, 32))
    # white noise: expected periodogram = sum w^2 at every frequency (except DC, detrended)
    assert abs(p[0].ravel()[1:].mean() / np.sum(w**2) - 1) < 0.05


def test_binning_partitions_and_orientation():
    radius, angle = spectral.radius_angle((32, 32))
    edges = spectral.octave_edges(1 / 32, 0.5, per_octave=2)
    assert edges[0] == 1 / 32 and abs(edges[-1] - 0.5) < 1e-12 and len(edges) == 9
    idx = spectral.band_index(radius, edges)
    m, kept = spectral.averaging_matrix(idx, len(edges) - 1)
    np.testing.assert_allclose(m.sum(axis=0), 1.0)
    assert idx.ravel()[0] == -1  # DC is dropped
    # a horizontal-frequency bin (f_rows = 0) is sector 0, a vertical one sector 2 of 4
    sec = spectral.orientation_sector(angle, 4)
    assert sec[0, 5] == 0 and sec[5, 0] == 2 and sec[5, 5] == 1
    # rfft weights: weighted half-grid sums equal full-grid sums
    x = np.random.default_rng(2).standard_normal((16, 18))
    full = np.sum(np.abs(np.fft.fft2(x)) ** 2)
    half = np.sum(np.abs(np.fft.rfft2(x)) ** 2 * spectral.rfft_weights(x.shape))
    assert abs(half / full - 1) < 1e-12
    np.testing.assert_allclose(
        spectral.binned_mean(radius, idx, len(edges) - 1)[:3],
        [m[:, k] @ radius.ravel() for k in range(3)],
    )


def test_bad_input():
    with pytest.raises(ValueError, match="norm"):
        spectral.hann((4,), norm="max")
    with pytest.raises(ValueError, match="low"):
        spectral.octave_edges(0.0)
    with pytest.raises(ValueError, match="segments"):
        spectral.segments(np.zeros((1, 8)), 16)
