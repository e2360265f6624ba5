"""The hyperbolic transform against the isotropic one of multiscale (same filters, borders)."""

import numpy as np
import pytest

from textures_nb._shared.hyperbolic import group_levels, hyperbolic_details
from textures_nb.multiscale import wavelet_coefs


def test_one_group_is_the_isotropic_transform_1d_and_2d():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(512).cumsum()
    ref = wavelet_coefs(x, j2=4).details
    got = hyperbolic_details(x, ((0,),), levels=4)
    for j in range(1, 5):
        np.testing.assert_allclose(got[(j,)][..., 0], ref[j - 1], rtol=1e-12, atol=1e-12)
    img = rng.standard_normal((96, 80))
    ref = wavelet_coefs(img, j2=3).details
    got = hyperbolic_details(img, ((0, 1),), levels=3)
    for j in range(1, 4):
        np.testing.assert_allclose(np.moveaxis(got[(j,)], -1, 0), ref[j - 1], atol=1e-12)


def test_diagonal_of_the_hyperbolic_transform_is_the_isotropic_hh():
    img = np.random.default_rng(1).standard_normal((128, 96))
    ref = wavelet_coefs(img, j2=3).details
    got = hyperbolic_details(img, ((0,), (1,)), levels=3)
    assert set(got) == {(a, b) for a in range(1, 4) for b in range(1, 4)}
    for j in range(1, 4):
        np.testing.assert_allclose(got[(j, j)][..., 0, 0], ref[j - 1][2], atol=1e-12)


def test_anisotropic_scaling_is_seen_per_axis():
    # a random walk along axis 0 (H = 0.5), white noise along axis 1 (H = -0.5):
    # with L1-normalised wavelets, E d(j1, j2)**2 ~ 2**(2 * 0.5 * j1) * 2**(-j2)
    rng = np.random.default_rng(2)
    field = rng.standard_normal((512, 128)).cumsum(axis=0)
    d = hyperbolic_details(field, ((0,), (1,)), levels=4)
    e = {k: np.log2(np.mean(v**2)) for k, v in d.items()}
    slope_0 = (e[(4, 2)] - e[(2, 2)]) / 2
    slope_1 = (e[(2, 4)] - e[(2, 2)]) / 2
    assert abs(slope_0 - 1) < 0.25 and abs(slope_1 + 1) < 0.25, (slope_0, slope_1)


def test_channels_are_carried_and_shapes_documented():
    seq = np.random.default_rng(3).standard_normal((2, 40, 48, 48))
    d = hyperbolic_details(seq, ((1,), (2, 3)))
    lt, ls = group_levels(seq.shape, ((1,), (2, 3)))
    assert (lt, ls) == max(d)
    assert d[(1, 1)].shape[0] == 2 and d[(1, 1)].shape[-2:] == (1, 3)


@pytest.mark.parametrize(
    "groups, levels, match",
    [(((0,), (0,)), None, "twice"), (((5,),), None, "not an axis"), (((0,),), 9, "allow")],
)
def test_bad_input(groups, levels, match):
    with pytest.raises(ValueError, match=match):
        hyperbolic_details(np.zeros((64, 64)) + np.arange(64), groups, levels=levels)
    with pytest.raises(ValueError, match="NaN"):
        hyperbolic_details(np.full((64, 64), np.nan), ((0,), (1,)))
