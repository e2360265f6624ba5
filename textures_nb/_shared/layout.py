"""User layouts <-> the internal ``(C, *spatial)`` layout (private, shared).

The package's layouts (``CONTRIBUTING.md``): a signal ``(T,)``; a multichannel
signal ``(C, T)`` with ``dim=1``; a grayscale image ``(H, W)``; a multichannel
image ``(C, H, W)``. A 2D array is an image unless ``dim=1`` says otherwise.
Internally every module works on ``(C, *spatial)`` with ``len(spatial) == dim``.

Used by :mod:`textures_nb.synthesis` and :mod:`textures_nb.quality`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._checks import as_finite_array

__all__ = ["Layout", "check_dim", "to_internal", "from_internal"]


class Layout(NamedTuple):
    """An array in the internal layout and what is needed to give it back."""

    data: np.ndarray  #: ``(C, *spatial)``
    dim: int  #: 1 (signals) or 2 (images)
    user_shape: tuple[int, ...]  #: shape of the user's array

    @property
    def user_ndim(self) -> int:
        return len(self.user_shape)

    def back(self, arr: np.ndarray) -> np.ndarray:
        """``(C, *size)`` -> the user's layout (same number of dimensions as the input)."""
        return from_internal(arr, self.user_ndim, self.dim)


def check_dim(dim, *, allowed: tuple[int, ...] = (1, 2)) -> int | None:
    """Return ``dim`` (None or one of ``allowed``) or raise a ValueError naming the fix."""
    if dim is not None and (isinstance(dim, bool) or dim not in allowed):
        choices = ", ".join(f"{d} ({'signals' if d == 1 else 'images'})" for d in allowed)
        raise ValueError(f"`dim` must be None, {choices}, got {dim!r}.")
    return dim


def to_internal(x, name: str, dim: int | None = None, *, dtype=np.float64) -> Layout:
    """Parse a user-layout array into ``(C, *spatial)``.

    Parameters
    ----------
    x : array_like
        ``(T,)``, ``(C, T)`` (with ``dim=1``), ``(H, W)`` or ``(C, H, W)``; finite.
    name : str
        Argument name for error messages.
    dim : {None, 1, 2}
        1 reads a 2D array as ``(C, T)``; None or 2 as an image ``(H, W)``.
    dtype : numpy dtype, default float64

    Returns
    -------
    Layout
        ``(data (C, *spatial), dim, user_shape)``; ``data`` is a view of the
        validated array when possible (no copy).
    """
    check_dim(dim)
    arr = as_finite_array(x, name, ndims=(1, 2, 3), dtype=dtype)
    if arr.ndim == 1:
        if dim == 2:
            raise ValueError(
                f"`{name}` of shape {arr.shape} is a signal, but dim=2 was asked; an image "
                "needs (H, W) or (C, H, W)."
            )
        return Layout(arr[None], 1, arr.shape)
    if arr.ndim == 2:
        return Layout(arr, 1, arr.shape) if dim == 1 else Layout(arr[None], 2, arr.shape)
    if dim == 1:
        raise ValueError(
            f"`{name}` of shape {arr.shape} has 3 dimensions (a multichannel image (C, H, W)); "
            "multichannel signals are (C, T) with dim=1."
        )
    return Layout(arr, 2, arr.shape)


def from_internal(arr: np.ndarray, user_ndim: int, dim: int) -> np.ndarray:
    """Inverse of :func:`to_internal` for an array ``(C, *size)``.

    ``(T,)`` and ``(H, W)`` inputs drop the channel axis again (their ``C`` is 1);
    ``(C, T)`` and ``(C, H, W)`` keep it.
    """
    if user_ndim == 1 or (user_ndim == 2 and dim == 2):
        return arr[0]
    return arr
