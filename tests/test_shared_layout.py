"""Tests of textures_nb._shared.layout: the user layouts and their inverse."""

from __future__ import annotations

import numpy as np
import pytest

from textures_nb._shared.layout import check_dim, from_internal, to_internal


@pytest.mark.parametrize(
    "shape, dim, internal, got_dim",
    [
        ((100,), None, (1, 100), 1),
        ((100,), 1, (1, 100), 1),
        ((3, 100), 1, (3, 100), 1),
        ((32, 48), None, (1, 32, 48), 2),
        ((32, 48), 2, (1, 32, 48), 2),
        ((3, 32, 48), None, (3, 32, 48), 2),
    ],
)
def test_layouts_round_trip(shape, dim, internal, got_dim):
    x = np.arange(np.prod(shape), dtype=float).reshape(shape)
    lay = to_internal(x, "x", dim)
    assert lay.data.shape == internal and lay.dim == got_dim and lay.user_shape == shape
    np.testing.assert_array_equal(lay.back(lay.data), x)
    np.testing.assert_array_equal(from_internal(lay.data, len(shape), got_dim), x)
    # a synthesis of another size comes back in the same layout
    bigger = np.zeros((internal[0], *[2 * n for n in internal[1:]]))
    assert lay.back(bigger).ndim == len(shape)


def test_layout_errors_name_the_argument_and_the_fix():
    with pytest.raises(ValueError, match="`sample` of shape \\(10,\\) is a signal"):
        to_internal(np.zeros(10), "sample", 2)
    with pytest.raises(ValueError, match="multichannel signals are \\(C, T\\) with dim=1"):
        to_internal(np.zeros((2, 8, 8)), "target", 1)
    with pytest.raises(ValueError, match="`dim` must be None, 1"):
        check_dim(3)
    with pytest.raises(ValueError, match="`dim`"):
        to_internal(np.zeros(10), "x", True)
    with pytest.raises(ValueError, match="dimension"):
        to_internal(np.zeros((1, 2, 3, 4)), "x")
    with pytest.raises(ValueError, match="NaN"):
        to_internal(np.array([1.0, np.nan]), "x")
