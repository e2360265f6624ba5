"""Tests of textures_nb.multiscale_torch: the torch DWT, leaders and statistics.

Reference: textures_nb.multiscale (numpy), which the torch versions must
reproduce to float tolerance; plus invariants of the statistics and the loss.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from textures_nb import multiscale as ms
from textures_nb.multiscale_torch import (
    STAT_GROUPS,
    MultiscaleLoss,
    WaveletTransform,
    default_scales,
    multiscale_statistics,
    wavelet_leaders,
)
from textures_nb.processes import bivariate_mrw, mrw


@pytest.mark.parametrize("wavelet", ["db2", "db3", "db4"])
@pytest.mark.parametrize("shape", [(1000,), (130, 97)])
def test_dwt_matches_numpy_float64(shape, wavelet):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, *shape)).cumsum(-1)
    wt = WaveletTransform(3, dim=len(shape), n_scales=3, wavelet=wavelet)
    det = wt(torch.tensor(x))
    for b in range(2):
        for c in range(3):
            ref = ms.wavelet_coefs(x[b, c], wavelet=wavelet, j2=3).details
            for j in range(3):
                np.testing.assert_allclose(det[j][b, c].numpy(), ref[j], rtol=0, atol=1e-10)


@pytest.mark.parametrize("shape", [2048, (128, 128)])
def test_dwt_float32_and_leaders(shape):
    x = mrw(shape, 0.7, 0.2, seed=3)
    dim = 1 if isinstance(shape, int) else 2
    wt = WaveletTransform(1, dim=dim, n_scales=4)
    det32 = wt(torch.tensor(x, dtype=torch.float32)[None, None])
    det64 = wt(torch.tensor(x)[None, None])
    coefs = ms.wavelet_coefs(x, j2=4)
    for j in range(4):
        # float32 rounding of the input (|x| up to max|x|) bounds the error
        tol = 1e-6 * np.abs(x).max()
        np.testing.assert_allclose(det32[j][0, 0].numpy(), coefs.details[j], rtol=0, atol=tol)
    for j0 in (1, 2):
        ref = ms.wavelet_leaders(coefs, j0=j0)
        got = wavelet_leaders(det64, dim, j0=j0)
        for a, b in zip(ref, got, strict=True):
            np.testing.assert_allclose(b[0, 0].numpy(), a, rtol=1e-12)


def test_periodic_transform_is_shift_equivariant():
    x = torch.randn(1, 1, 64, 64, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    wt = WaveletTransform(1, dim=2, n_scales=2)
    d = wt(x, periodic=True)
    d_shift = wt(torch.roll(x, shifts=(4, 8), dims=(-2, -1)), periodic=True)
    assert d[0].shape == (1, 1, 3, 32, 32)
    # a shift by 2**j pixels shifts the scale-j coefficients by one
    torch.testing.assert_close(torch.roll(d[0], shifts=(2, 4), dims=(-2, -1)), d_shift[0])
    torch.testing.assert_close(torch.roll(d[1], shifts=(1, 2), dims=(-2, -1)), d_shift[1])
    # energy conservation of the orthogonal transform (L1 gain 1/2 per level and axis pair)
    energy = sum(float((v**2).sum()) * 4**j for j, v in enumerate(d, start=1))
    energy += float((x**2).sum()) * 0  # the approximation is not returned
    assert energy < float((x**2).sum())


def test_statistics_groups_and_channels():
    x = bivariate_mrw((96, 96), 0.7, 0.2, rho_omega=0.8, seed=0)
    t = torch.tensor(x)[None]
    wt = WaveletTransform(2, dim=2, n_scales=3)
    stats = multiscale_statistics(wt(t), 2)
    assert set(stats) == set(STAT_GROUPS)
    assert all(torch.isfinite(v).all() for v in stats.values())
    # the log-leader covariance between the channels is positive for correlated cascades
    indep = multiscale_statistics(
        wt(torch.tensor(bivariate_mrw((96, 96), 0.7, 0.2, seed=0))[None]), 2
    )
    assert stats["channels"].sum() > indep["channels"].sum()


def test_leader_statistics_match_numpy_log_cumulant_pieces():
    x = mrw(4096, 0.72, 0.2, seed=1)
    wt = WaveletTransform(1, dim=1, n_scales=6)
    stats = multiscale_statistics(wt(torch.tensor(x)[None, None]), 1, j0=2)
    lead = ms.wavelet_leaders(x, j2=6, j0=2)
    means = stats["leaders"].reshape(6, 3)[:, 0].numpy()
    variances = stats["leaders"].reshape(6, 3)[:, 1].numpy()
    np.testing.assert_allclose(means, [np.log(v).mean() for v in lead], rtol=1e-10)
    np.testing.assert_allclose(variances, [np.log(v).var() for v in lead], rtol=1e-10)


def test_loss_zero_at_target_and_gradient():
    x = torch.tensor(mrw(1024, 0.72, 0.2, seed=0))[None, None].float()
    loss = MultiscaleLoss(x, dim=1)
    assert float(loss(x, periodic=False)) == pytest.approx(0.0, abs=1e-10)
    y = torch.randn_like(x).cumsum(-1).requires_grad_(True)
    value = loss(y)
    value.backward()
    assert float(value.detach()) > 0 and torch.isfinite(y.grad).all() and y.grad.abs().sum() > 0
    # batch pooling: a batch of copies has the same statistics as one copy
    two = torch.cat([x, x])
    assert float(loss(two, periodic=False)) == pytest.approx(0.0, abs=1e-10)


def test_bad_input():
    with pytest.raises(ValueError, match="too small"):
        MultiscaleLoss(torch.randn(1, 1, 20), dim=1)
    with pytest.raises(ValueError, match="unknown statistic"):
        MultiscaleLoss(torch.randn(1, 1, 512), dim=1, groups=("energy", "nope"))
    with pytest.raises(ValueError, match="dim"):
        WaveletTransform(1, dim=3)
    with pytest.raises(ValueError, match="spatial"):
        WaveletTransform(1, dim=2)(torch.randn(1, 1, 64))
    assert default_scales(2**14) == ms.max_scale(2**14)


@pytest.mark.parametrize(
    "target",
    [
        torch.full((1, 1, 256), float("nan")),
        torch.zeros(1, 1, 256),  # constant: ln|d| = -inf, the loss would be NaN
        torch.randn(1, 256),  # no channel axis
        torch.arange(256)[None, None],  # integer
    ],
)
def test_loss_rejects_bad_targets_instead_of_nan(target):
    with pytest.raises(ValueError, match="`target`"):
        MultiscaleLoss(target, dim=1)


def test_loss_rejects_bad_weights():
    x = torch.randn(1, 1, 512, dtype=torch.float64).cumsum(-1)
    with pytest.raises(ValueError, match=r"weights\['energy'\]"):
        MultiscaleLoss(x, dim=1, weights={"energy": -1.0})
    with pytest.raises(ValueError, match="unknown statistic"):
        MultiscaleLoss(x, dim=1, weights={"nope": 1.0})
    with pytest.raises(TypeError, match="weights"):
        MultiscaleLoss(x, dim=1, weights=[1.0])


def test_synthesis_2d_multichannel_same_seed_same_bits_and_bad_input():
    """method='multiscale' on (C, H, W): same seed, same bits; clear errors (issue 14)."""
    from textures_nb.synthesis import synthesize

    x = np.random.default_rng(2).standard_normal((2, 48, 48)).cumsum(-1).cumsum(-2)
    runs = [synthesize(x, method="multiscale", n_iter=2, seed=s, progress=False) for s in (3, 3, 4)]
    assert np.array_equal(runs[0].texture, runs[1].texture)
    assert np.array_equal(runs[0].losses, runs[1].losses)
    assert not np.array_equal(runs[0].texture, runs[2].texture)
    bad = x.copy()
    bad[1, 5, 7] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        synthesize(bad, method="multiscale", progress=False)
    with pytest.raises(ValueError, match="samples per side"):
        synthesize(x[:, :20, :20], method="multiscale", progress=False)
    with pytest.raises(ValueError, match="`n_scales`"):
        synthesize(x, method="multiscale", n_scales=1, progress=False)
    with pytest.raises(ValueError, match="weights"):
        synthesize(x, method="multiscale", weights={"energy": -1.0}, progress=False)
    with pytest.raises(ValueError, match="constant channel"):
        synthesize(np.stack([x[0], np.ones_like(x[0])]), method="multiscale", progress=False)
