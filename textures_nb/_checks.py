"""Input validation and random-state helpers shared by every module.

Each public function of ``textures_nb`` validates its inputs at the top with
these helpers, so that bad input fails early with a message that names the
argument, what was wrong and how to fix it.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_finite_array",
    "check_positive_int",
    "check_in_range",
    "as_generator",
    "torch_seed",
]


def as_finite_array(
    x,
    name: str,
    *,
    ndims: tuple[int, ...] | None = None,
    dtype=np.float64,
) -> np.ndarray:
    """Return ``x`` as a finite floating array, or raise a clear error.

    Parameters
    ----------
    x : array_like
        The user's input.
    name : str
        Argument name used in error messages.
    ndims : tuple of int, optional
        Accepted numbers of dimensions.
    dtype : numpy dtype
        Output dtype (float64 by default).
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"`{name}` must be a numeric array, got {type(x).__name__}.")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise TypeError(f"`{name}` could not be converted to an array: {exc}") from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(
            f"`{name}` must hold real numbers, got dtype {arr.dtype}; "
            "convert it with np.asarray(x, dtype=float)."
        )
    if np.iscomplexobj(arr):
        raise TypeError(f"`{name}` must be real-valued; pass x.real or np.abs(x).")
    arr = arr.astype(dtype, copy=False)
    if ndims is not None and arr.ndim not in ndims:
        expected = " or ".join(str(d) for d in ndims)
        raise ValueError(
            f"`{name}` must have {expected} dimension(s), got shape {arr.shape}; "
            "reshape it (e.g. np.squeeze) or pick the right layout."
        )
    if arr.size == 0:
        raise ValueError(f"`{name}` is empty (shape {arr.shape}).")
    if not np.all(np.isfinite(arr)):
        n_bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(
            f"`{name}` contains {n_bad} NaN or infinite value(s); remove or "
            "interpolate them before the analysis (e.g. np.nan_to_num or pandas "
            "interpolate)."
        )
    return arr


def check_positive_int(value, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int >= ``minimum`` or raise a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer, got {value!r}.")
    if value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {value}.")
    return int(value)


def check_in_range(
    value,
    name: str,
    low: float,
    high: float,
    *,
    low_inclusive: bool = False,
    high_inclusive: bool = False,
) -> float:
    """Return ``value`` as a float inside (low, high) or raise a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number, got {value!r}.")
    value = float(value)
    ok_low = value >= low if low_inclusive else value > low
    ok_high = value <= high if high_inclusive else value < high
    if not (np.isfinite(value) and ok_low and ok_high):
        lb = "[" if low_inclusive else "("
        hb = "]" if high_inclusive else ")"
        raise ValueError(f"`{name}` must lie in {lb}{low}, {high}{hb}, got {value}.")
    return value


def as_generator(seed) -> np.random.Generator:
    """Turn ``seed`` (None, int or Generator) into a NumPy Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise TypeError(f"`seed` must be None, an int or a numpy.random.Generator, got {seed!r}.")


def torch_seed(seed) -> int:
    """Turn ``seed`` (an int, a NumPy Generator or None) into a non-negative int for torch.

    An int is returned unchanged (so ``seed=3`` means the same run everywhere); a
    Generator gives one draw, so a caller's Generator still decides the result;
    ``None`` draws fresh entropy (not reproducible), as :func:`as_generator` does.
    """
    if seed is None or isinstance(seed, np.random.Generator):
        return int(as_generator(seed).integers(0, 2**63 - 1))
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"`seed` must be None, an int or a numpy.random.Generator, got {seed!r}.")
    if seed < 0:
        raise ValueError(f"`seed` must be >= 0, got {seed}; pass a non-negative int.")
    return int(seed)
