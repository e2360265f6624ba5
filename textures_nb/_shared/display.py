"""Display helpers shared by the figure and widget code: PNG encoding and a palette.

Private: used by :mod:`textures_nb.plotting`, :mod:`textures_nb.widgets` and the
science modules' figure helpers, never imported by users.
"""

from __future__ import annotations

import base64
import io

import numpy as np

__all__ = ["display_range", "palette", "png_bytes", "png_data_uri", "to_uint8"]

# Plotly's qualitative palettes, concatenated so that the first colours are the
# familiar D3/Plotly ones and the rest stay distinct: 10 + 24 + 24 colours.
_D3 = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


def _rgb(c: str) -> tuple[int, int, int]:
    c = c.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _distance(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """Perceptual-ish RGB distance ("redmean" weighting)."""
    rm = (a[0] + b[0]) / 2
    dr, dg, db = a[0] - b[0], a[1] - b[1], a[2] - b[2]
    return ((2 + rm / 256) * dr * dr + 4 * dg * dg + (2 + (255 - rm) / 256) * db * db) ** 0.5


_ORDERED: tuple[str, ...] | None = None


def _qualitative() -> tuple[str, ...]:
    """D3's 10 colours, then plotly's Dark24, Light24 and Alphabet colours, each next
    one the farthest from those already taken (so the 11th colour is not a second blue)."""
    global _ORDERED
    if _ORDERED is None:
        from plotly.colors import qualitative

        pool, seen = [], {c.lower() for c in _D3}
        for c in (*qualitative.Dark24, *qualitative.Light24, *qualitative.Alphabet):
            if c.lower() not in seen:
                seen.add(c.lower())
                pool.append(c)
        chosen = list(_D3)
        # white and plotly's plot background count as taken: no colour close to them
        taken = [*chosen, "#ffffff", "#e5ecf6"]
        nearest = [min(_distance(_rgb(c), _rgb(t)) for t in taken) for c in pool]
        while pool:
            k = max(range(len(pool)), key=nearest.__getitem__)
            c = pool.pop(k)
            nearest.pop(k)
            chosen.append(c)
            new = _rgb(c)
            nearest = [min(d, _distance(_rgb(x), new)) for d, x in zip(nearest, pool, strict=True)]
        _ORDERED = tuple(chosen)
    return _ORDERED


def palette(n: int) -> list[str]:
    """``n`` distinct colours as ``#rrggbb`` strings.

    The first 10 are the D3/Plotly defaults; then colours of plotly's Dark24,
    Light24 and Alphabet palettes, each the farthest from those already taken
    (more than 60 distinct colours; ``palette(n)`` starts with ``palette(m)`` for
    ``m < n``). Past that, evenly spaced hues (distinct, less easy to tell apart).

    Parameters
    ----------
    n : int
        Number of colours, ``n >= 0``.

    Returns
    -------
    list of str
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"`n` must be a non-negative integer, got {n!r}.")
    if n <= len(_D3):
        return list(_D3[:n])
    base = _qualitative()
    if n <= len(base):
        return list(base[:n])
    import colorsys

    extra = n - len(base)
    hues = [
        colorsys.hsv_to_rgb((k + 0.5) / extra, 0.75 if k % 2 else 0.55, 0.85) for k in range(extra)
    ]
    return list(base) + [
        "#{:02x}{:02x}{:02x}".format(*(round(255 * v) for v in rgb)) for rgb in hues
    ]


def display_range(image, percentiles: tuple[float, float] = (0.5, 99.5)) -> tuple[float, float]:
    """Robust grey-level range of an image: its ``percentiles`` (min/max if they coincide)."""
    a = np.asarray(image, dtype=float)
    finite = a[np.isfinite(a)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = np.percentile(finite, percentiles)
    if hi <= lo:
        lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        hi = lo + 1.0
    return float(lo), float(hi)


def to_uint8(image, percentiles: tuple[float, float] = (0.5, 99.5)) -> np.ndarray:
    """Grey (H, W) or colour (H, W, 3) array stretched to ``uint8`` between its percentiles.

    ``uint8`` input is returned unchanged; a ``(3, H, W)`` array is moved to
    ``(H, W, 3)``. One range for all channels, so colours keep their balance.
    """
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[0] == 3 and a.shape[-1] != 3:
        a = np.moveaxis(a, 0, -1)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] not in (3, 4)):
        raise ValueError(
            f"`image` must be (H, W), (H, W, 3) or (3, H, W), got shape {a.shape}."
        )
    if a.dtype == np.uint8:
        return a
    lo, hi = display_range(a, percentiles)
    scaled = (np.nan_to_num(a.astype(float), nan=lo) - lo) / (hi - lo)
    return np.round(np.clip(scaled, 0.0, 1.0) * 255).astype(np.uint8)


def png_bytes(
    image,
    *,
    width: int | None = None,
    height: int | None = None,
    percentiles: tuple[float, float] = (0.5, 99.5),
) -> bytes:
    """PNG encoding of an image (contrast-stretched with :func:`to_uint8`).

    Parameters
    ----------
    image : array_like, (H, W), (H, W, 3) or (3, H, W)
    width, height : int, optional
        Output size in pixels; one of them alone keeps the aspect ratio.
    percentiles : (float, float)
        Grey levels mapped to black and white.
    """
    from PIL import Image

    pil = Image.fromarray(to_uint8(image, percentiles))
    if width is not None or height is not None:
        w0, h0 = pil.size
        w = width if width is not None else max(1, round(height * w0 / h0))
        h = height if height is not None else max(1, round(width * h0 / w0))
        pil = pil.resize((int(w), int(h)))
    buf = io.BytesIO()
    pil.save(buf, format="PNG")
    return buf.getvalue()


def png_data_uri(image, **kwargs) -> str:
    """:func:`png_bytes` as a ``data:image/png;base64,...`` URI (plotly layout images, HTML)."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(image, **kwargs)).decode()
