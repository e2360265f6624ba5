"""Photographic paper textures: a raking-light simulator and similarity at several affinity levels.

Art scholars and conservators date and attribute silver-gelatin prints by the
texture of their paper, seen in raking-light images. The reference study
(Abry et al., IEEE Signal Processing Magazine 2015) asked whether automated
dissimilarities between such images recover the affinity levels of a
challenge set of 120 images: patches of one sheet, sheets of one
manufacturer and brand, different papers. This module gives

- :func:`simulate_papers`: a collection with a *known* hierarchy
  manufacturers > brands > sheets > patches, rendered as raking-light
  images (:func:`paper_surface` then :func:`raking_light`), returned as a
  :class:`textures_nb.data.TextureDatabase` like a user's folder loaded
  with ``data.load_image_folder(path, levels=(...))``;
- :func:`hierarchy_scores`: retrieval precision at each affinity level,
  triplet ranking (is a pair of one level closer than a pair of a coarser
  one), and the average-linkage dendrogram of the items with its
  cophenetic correlation against the known hierarchy;
- :func:`compare_hierarchy` (several feature kinds on one collection) and
  :func:`hierarchy_study` (the same over simulated collections of several
  seeds, with intervals).

The simulator (stand-in defaults, see :data:`PAPER_PRIORS`)
------------------------------------------------------------
The surface height is the sum of two anisotropic random fields:

- the *formation* (the fibre network under the baryta and gelatin layers):
  an operator-scaling Gaussian field (Bierme, Meerschaert, Scheffler 2007;
  the model of the hyperbolic wavelet analysis of Roux et al. 2013) with a
  roughness exponent along the fibres and another across them, flat above
  the *grain* scale (floc size, the correlation length);
- the *fibres*: Poisson segments of a given length and width, their
  directions drawn around the machine direction (von Mises, concentration
  ``alignment``).

Both are rotated to the fibre orientation of the sheet in the scan. The
height is lit by a grazing light (Lambertian shading by the surface
normal: slopes facing the light are bright, those facing away dark, clipped
at zero), *gloss* is a contrast transform of the shading (``I ** (1 + 2
gloss)``: deeper shadows and brighter ridges on glossy papers), and the
scanner adds blur, noise, an exposure (gain and offset) and a falloff of
the light across the field.

Levels differ in physical parameters: a **manufacturer** fixes the paper
base and coating (grain, roughness exponents, fibre length and width, the
fibres' share of the relief, gloss, relief amplitude), drawn over the
prior ranges by a Latin hypercube so that different papers span them; its
**brands** differ in how the paper was formed and cut (grain long or grain
short: fibres along the rows or the columns, and the alignment of the
fibres), so that the brand level is orientation-driven; **sheets** of one
brand differ by batch variability (about 8 % on every parameter, 4 degrees
of placement on the scanner, 2 degrees of light direction); **patches** of
one sheet are new realisations with their own exposure, falloff and noise.
The mean grey level and the contrast vary at random with the exposure, so
they tell nothing. None of these values was measured on real papers: they
are stand-ins that keep each level physically meaningful; replace them with
measured ones (``priors=``) or bring real scans (``data.load_image_folder``).

References
----------
Abry, Roux, Wendt, Messier, Klein, Tremblay, Borgnat, Jaffard, Vedel,
Coddington, Daffner (2015), "Multiscale anisotropic texture analysis and
classification of photographic prints", IEEE Signal Processing Magazine
32(4). Johnson, Messier et al. (2014), "Pursuing automated classification of
historic photographic papers from raking light images", J. Am. Inst.
Conserv. 53. Roux, Clausel, Vedel, Jaffard, Abry (2013), "Self-similar
anisotropic texture analysis: the hyperbolic wavelet transform
contribution", IEEE Trans. Image Processing 22. Bierme, Meerschaert,
Scheffler (2007), "Operator scaling stable random fields", Stoch. Proc.
Appl. 117.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._checks import as_finite_array, as_generator, check_in_range, check_positive_int
from ._shared.display import palette
from ._shared.progress import tqdm
from .data import TextureDatabase

__all__ = [
    "LEVELS",
    "PAPER_PRIORS",
    "SHEET_JITTER",
    "paper_surface",
    "raking_light",
    "simulate_papers",
    "hierarchy_depth",
    "HierarchyScores",
    "hierarchy_scores",
    "HierarchyComparison",
    "compare_hierarchy",
    "HierarchyStudy",
    "hierarchy_study",
    "plot_dendrogram",
    "plot_thumbnails",
]

#: Affinity levels of the simulated collections, coarse to fine.
LEVELS = ("manufacturer", "brand", "sheet")

#: Prior ranges (low, high) of the manufacturer- and brand-level parameters of
#: :func:`simulate_papers`. Stand-ins, not measurements. ``grain``, ``fibre_length``
#: and ``fibre_width`` in pixels (drawn log-uniformly), ``relief`` the rms slope of
#: the surface (radians), ``alignment`` the von Mises concentration of the fibre
#: directions (brand level); the others are dimensionless.
PAPER_PRIORS: dict[str, tuple[float, float]] = {
    "grain": (6.0, 32.0),
    "h_along": (0.45, 0.85),
    "h_ratio": (0.45, 0.9),  # roughness across the fibres = h_ratio * h_along
    "fibre_length": (10.0, 40.0),
    "fibre_width": (1.0, 3.0),
    "fibre_share": (0.2, 0.6),
    "gloss": (0.0, 1.0),
    "relief": (0.08, 0.2),
    "alignment": (1.0, 4.0),
}

#: Sheet-to-sheet variability within a brand (stand-ins): log-normal sd of the
#: positive parameters, sd of the exponents, shares and gloss, sd of the fibre
#: orientation (placement on the scanner) and of the light azimuth, degrees.
SHEET_JITTER: dict[str, float] = {
    "log_sd": 0.08,
    "additive_sd": 0.03,
    "orientation_deg": 4.0,
    "azimuth_deg": 2.0,
}

_LOG_UNIFORM = ("grain", "fibre_length", "fibre_width")
_POSITIVE = ("grain", "fibre_length", "fibre_width", "relief", "alignment")
_MANUFACTURER = (
    "grain", "h_along", "h_ratio", "fibre_length", "fibre_width", "fibre_share", "gloss", "relief"
)  # fmt: skip


# --------------------------------------------------------------------------
# Surface and rendering
# --------------------------------------------------------------------------


def _rotated_freqs(shape: tuple[int, int], orientation: float):
    """rfft frequencies (cycles/pixel) along and across a direction ``orientation``
    (degrees, from the columns axis towards the rows axis)."""
    f_rows = np.fft.fftfreq(shape[0])[:, None]
    f_cols = np.fft.rfftfreq(shape[1])[None, :]
    t = math.radians(orientation)
    along = f_cols * math.cos(t) + f_rows * math.sin(t)
    across = -f_cols * math.sin(t) + f_rows * math.cos(t)
    return along, across


def _slope_normalised(spec: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Field of rfft spectrum ``spec`` scaled to unit rms slope (finite differences)."""
    x = np.fft.irfft2(spec, s=shape)
    gy, gx = np.gradient(x)
    rms = math.sqrt(float(np.mean(gx**2 + gy**2)))
    return x / rms if rms > 0 else x


def paper_surface(
    shape: int | tuple[int, int],
    *,
    grain: float = 12.0,
    h_along: float = 0.7,
    h_across: float = 0.4,
    orientation: float = 0.0,
    fibre_length: float = 20.0,
    fibre_width: float = 1.5,
    fibre_share: float = 0.4,
    alignment: float = 2.0,
    seed: int | np.random.Generator = 0,
) -> np.ndarray:
    """Height of a paper surface: anisotropic formation plus oriented fibres.

    The formation is an operator-scaling Gaussian field of spectral density
    ``(psi(xi)^2 + psi(1 / grain)^2)^-(H + 1)`` with ``psi(xi)^2 =
    |xi_along|^(2 / l_a) + |xi_across|^(2 / l_c)``, ``H`` the harmonic mean of
    the two exponents and ``l = H / h`` (so ``l_a + l_c = 2``): below the grain
    scale it is self-similar with roughness ``h_along`` along the fibres and
    ``h_across`` across them; above it, flat (white). The fibres are Poisson
    segments (about two layers deep) whose directions follow a von Mises
    law around ``orientation`` (axial, concentration ``alignment``), each a
    ridge of Gaussian profile. Both parts are scaled to unit rms slope and
    mixed so that the fibres carry ``fibre_share`` of the slope variance.
    Periodic (FFT synthesis).

    Parameters
    ----------
    shape : int or (int, int)
        Pixels (a square for an int), at least 16 per side.
    grain : float, default 12
        Correlation length of the formation, pixels.
    h_along, h_across : float, default 0.7 and 0.4
        Roughness exponents along and across the fibres, in (0, 1).
    orientation : float, default 0
        Fibre (machine) direction in degrees from the columns axis towards
        the rows axis (0: fibres along the rows of the image, horizontal).
    fibre_length, fibre_width : float, default 20 and 1.5
        Pixels.
    fibre_share : float, default 0.4
        Share of the slope variance due to the fibres, in [0, 1].
    alignment : float, default 2
        Concentration of the fibre directions (0: isotropic).
    seed : int or numpy Generator, default 0

    Returns
    -------
    ndarray, shape ``shape``
        Height, unit rms slope (scale it by the relief).

    Examples
    --------
    >>> from textures_nb.paper import paper_surface
    >>> h = paper_surface(64, seed=0)
    >>> h.shape, bool(abs(np.hypot(*np.gradient(h)).std()) > 0)
    ((64, 64), True)
    """
    shape = (shape, shape) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if len(shape) != 2 or min(shape) < 16:
        raise ValueError(f"`shape` must be an int or a pair of ints >= 16, got {shape!r}.")
    shape = (int(shape[0]), int(shape[1]))
    for name, v in (("h_along", h_along), ("h_across", h_across)):
        check_in_range(v, name, 0.0, 1.0)
    fibre_share = check_in_range(
        fibre_share, "fibre_share", 0.0, 1.0, low_inclusive=True, high_inclusive=True
    )
    for name, v in (("grain", grain), ("fibre_length", fibre_length), ("fibre_width", fibre_width)):
        if not np.isfinite(v) or v <= 0:
            raise ValueError(f"`{name}` must be a positive number of pixels, got {v!r}.")
    if not np.isfinite(alignment) or alignment < 0:
        raise ValueError(f"`alignment` must be >= 0 (0: isotropic fibres), got {alignment!r}.")
    rng = as_generator(seed)
    along, across = _rotated_freqs(shape, orientation)
    # formation: operator-scaling field, exponents per direction
    H = 2.0 / (1.0 / h_along + 1.0 / h_across)
    la, lc = H / h_along, H / h_across
    psi2 = np.abs(along) ** (2 / la) + np.abs(across) ** (2 / lc)
    cut = (1.0 / grain) ** (2 / la) + (1.0 / grain) ** (2 / lc)
    gain = (psi2 + 0.5 * cut) ** (-(H + 1) / 2)
    gain[0, 0] = 0.0
    base = _slope_normalised(np.fft.rfft2(rng.standard_normal(shape)) * gain, shape)
    if fibre_share == 0:
        return base
    fibres = _slope_normalised(
        _fibre_spectrum(shape, fibre_length, fibre_width, alignment, orientation, rng), shape
    )
    return math.sqrt(1 - fibre_share) * base + math.sqrt(fibre_share) * fibres


def _fibre_spectrum(shape, length, width, alignment, orientation, rng, n_bins: int = 12):
    """rfft spectrum of Poisson fibre segments, directions binned into ``n_bins``."""
    area = shape[0] * shape[1]
    n = rng.poisson(2.0 * area / (length * width))
    # axial von Mises: doubled angles are von Mises around twice the orientation
    theta = math.radians(orientation) + 0.5 * rng.vonmises(0.0, alignment, size=n)
    bins = np.floor((theta % np.pi) / np.pi * n_bins).astype(int) % n_bins
    rows = rng.integers(0, shape[0], size=n)
    cols = rng.integers(0, shape[1], size=n)
    kernels = _fibre_kernels(shape, float(length), float(width), n_bins)
    spec = np.zeros((shape[0], shape[1] // 2 + 1), dtype=complex)
    for b in np.unique(bins):
        sel = bins == b
        impulses = np.zeros(shape)
        np.add.at(impulses, (rows[sel], cols[sel]), 1.0)
        spec += np.fft.rfft2(impulses) * kernels[b]
    spec[0, 0] = 0.0
    return spec


@functools.lru_cache(maxsize=2)
def _fibre_kernels(shape: tuple[int, int], length: float, width: float, n_bins: int):
    """rfft of a segment (length along, Gaussian width across) for each direction bin;
    cached: the patches of a sheet share them."""
    out = np.empty((n_bins, shape[0], shape[1] // 2 + 1))
    for b in range(n_bins):
        along, across = _rotated_freqs(shape, math.degrees((b + 0.5) * np.pi / n_bins))
        out[b] = length * np.sinc(length * along) * np.exp(-2 * np.pi**2 * width**2 * across**2)
    out.setflags(write=False)
    return out


def raking_light(
    height,
    *,
    relief: float = 0.15,
    azimuth: float = 0.0,
    elevation: float = 10.0,
    gloss: float = 0.0,
) -> np.ndarray:
    """Raking-light image of a surface: Lambertian shading under a grazing light.

    The surface ``z = relief * height`` (pixels, ``height`` of unit rms
    slope) has normal ``n = (-z_x, -z_y, 1) / |.|``; the light comes from
    azimuth ``azimuth`` (degrees from the columns axis towards the rows) at
    ``elevation`` degrees above the plane. The shading ``max(n . L, 0) / sin(elevation)``
    (1 on a flat surface, 0 in shadow) is then raised to ``1 + 2 gloss``: a
    contrast transform standing in for the specular gelatin of glossy papers
    (deeper shadows, sharper ridges). Cast shadows are not modelled.

    Parameters
    ----------
    height : array_like, shape (H, W)
    relief : float, default 0.15
        rms slope of the surface (radians); compare with the elevation.
    azimuth, elevation : float, default 0 and 10
        Light direction, degrees.
    gloss : float in [0, 1], default 0

    Returns
    -------
    ndarray, shape (H, W)
        Non-negative intensities.

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.paper import raking_light
    >>> float(raking_light(np.zeros((8, 8))).mean())
    1.0
    """
    h = as_finite_array(height, "height", ndims=(2,))
    relief = check_in_range(relief, "relief", 0.0, 10.0)
    gloss = check_in_range(gloss, "gloss", 0.0, 1.0, low_inclusive=True, high_inclusive=True)
    elevation = check_in_range(elevation, "elevation", 0.0, 90.0, high_inclusive=True)
    gy, gx = np.gradient(relief * h)
    el, az = math.radians(elevation), math.radians(azimuth)
    light = (math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el))
    dot = (-gx * light[0] - gy * light[1] + light[2]) / np.sqrt(1 + gx**2 + gy**2)
    return (np.maximum(dot, 0.0) / light[2]) ** (1 + 2 * gloss)


def _scan(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Scanner and lighting of one patch: blur, light falloff, exposure, noise."""
    from scipy.ndimage import gaussian_filter

    img = gaussian_filter(image, 0.6, mode="wrap")
    n0, n1 = img.shape
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.arange(n0)[:, None] / n0 - 0.5) * math.sin(angle) + (
        np.arange(n1)[None, :] / n1 - 0.5
    ) * math.cos(angle)
    img = img * (1 + rng.uniform(0.0, 0.3) * ramp)
    img = rng.uniform(0.6, 1.4) * img + rng.uniform(-0.2, 0.2)
    return img + 0.01 * rng.standard_normal(img.shape)


# --------------------------------------------------------------------------
# A simulated collection
# --------------------------------------------------------------------------


def _check_priors(priors: Mapping[str, tuple[float, float]] | None) -> dict:
    out = dict(PAPER_PRIORS)
    if priors is None:
        return out
    unknown = set(priors) - set(PAPER_PRIORS)
    if unknown:
        raise ValueError(
            f"`priors` has unknown parameters {sorted(unknown)}; pick from {list(PAPER_PRIORS)}."
        )
    for name, rng in priors.items():
        lo, hi = (float(v) for v in rng)
        if not lo <= hi:
            raise ValueError(f"`priors[{name!r}]`=({lo}, {hi}): the low end exceeds the high end.")
        out[name] = (lo, hi)
    return out


def _draw_manufacturers(n: int, priors: dict, rng: np.random.Generator) -> list[dict]:
    """Manufacturer parameters spread over the prior box (Latin hypercube: each
    parameter's range cut into ``n`` strata, one manufacturer per stratum)."""
    d = len(_MANUFACTURER)
    u = (np.argsort(rng.random((d, n)), axis=1).T + rng.random((n, d))) / n
    out = []
    for row in u:
        p = {}
        for name, v in zip(_MANUFACTURER, row, strict=True):
            lo, hi = priors[name]
            p[name] = lo * (hi / lo) ** v if name in _LOG_UNIFORM else lo + (hi - lo) * v
        out.append(p)
    return out


def _jitter_sheet(params: dict, rng: np.random.Generator) -> dict:
    """One sheet of a brand: batch variability on every parameter."""
    p = dict(params)
    for name in _POSITIVE:
        p[name] *= math.exp(SHEET_JITTER["log_sd"] * rng.standard_normal())
    for name in ("h_along", "h_ratio", "fibre_share", "gloss"):
        p[name] += SHEET_JITTER["additive_sd"] * rng.standard_normal()
    p["h_along"] = float(np.clip(p["h_along"], 0.05, 0.95))
    p["h_ratio"] = float(np.clip(p["h_ratio"], 0.1, 1.0))
    p["fibre_share"] = float(np.clip(p["fibre_share"], 0.0, 1.0))
    p["gloss"] = float(np.clip(p["gloss"], 0.0, 1.0))
    p["orientation"] += SHEET_JITTER["orientation_deg"] * rng.standard_normal()
    p["azimuth"] = SHEET_JITTER["azimuth_deg"] * rng.standard_normal()
    return p


def simulate_papers(
    n_manufacturers: int = 3,
    n_brands: int = 2,
    n_sheets: int = 2,
    n_patches: int = 10,
    size: int = 256,
    *,
    priors: Mapping[str, tuple[float, float]] | None = None,
    azimuth: float = 45.0,
    elevation: float = 10.0,
    seed: int | np.random.Generator = 0,
    progress: bool = True,
) -> TextureDatabase:
    """A simulated collection of raking-light paper images with a known hierarchy.

    ``n_manufacturers x n_brands x n_sheets x n_patches`` images (default
    3 x 2 x 2 x 10 = 120, the size of the reference challenge set, in its
    three affinity levels: same sheet, same manufacturer and brand,
    different papers). See the module docstring for what varies at each
    level; all values are stand-ins (:data:`PAPER_PRIORS`,
    :data:`SHEET_JITTER`).

    Parameters
    ----------
    n_manufacturers, n_brands, n_sheets, n_patches : int
        Manufacturers, brands per manufacturer, sheets per brand, patches
        (images) per sheet. Brands of a manufacturer alternate grain long
        (fibres along the rows) and grain short (along the columns).
    size : int, default 256
        Side of each image, pixels (at least 32).
    priors : mapping, optional
        Replacements for entries of :data:`PAPER_PRIORS`.
    azimuth : float, default 45
        Light azimuth, degrees from the columns axis towards the rows (45:
        from the upper-left corner, on the diagonal between the two fibre
        directions, so that grain-long and grain-short sheets differ by a
        transposition and only orientation-aware features tell them apart;
        with 0, light along the rows, the shading itself depends on the fibre
        direction and isotropic features see it too).
    elevation : float, default 10
        Light elevation, degrees.
    seed : int or numpy Generator, default 0
    progress : bool, default True
        tqdm bar over the sheets.

    Returns
    -------
    TextureDatabase
        ``images`` (N, size, size) raw intensities (not standardised);
        ``labels`` the sheet (``class_names`` ``"M1/B2/S1"``); every image its
        own group; ``metadata`` the levels (``manufacturer``, ``brand``,
        ``sheet``, ``patch``) and the parameters of each image; ``levels``
        :data:`LEVELS`.

    Examples
    --------
    >>> from textures_nb.paper import simulate_papers
    >>> db = simulate_papers(2, 2, 1, 2, size=32, progress=False)
    >>> db.images.shape, db.levels
    ((8, 32, 32), ['manufacturer', 'brand', 'sheet'])
    >>> db.table()[["manufacturer", "brand", "sheet"]].iloc[-1].tolist()
    ['M2', 'M2/B2', 'M2/B2/S1']
    """
    import pandas as pd

    counts = [
        check_positive_int(v, name)
        for v, name in (
            (n_manufacturers, "n_manufacturers"),
            (n_brands, "n_brands"),
            (n_sheets, "n_sheets"),
            (n_patches, "n_patches"),
        )
    ]
    size = check_positive_int(size, "size", minimum=32)
    elevation = check_in_range(elevation, "elevation", 0.0, 90.0)
    if not np.isfinite(azimuth):
        raise ValueError(f"`azimuth` must be a finite angle in degrees, got {azimuth!r}.")
    pri = _check_priors(priors)
    rng = as_generator(seed)
    makers = _draw_manufacturers(counts[0], pri, rng)
    images, rows, class_names = [], [], []
    bar = tqdm(total=counts[0] * counts[1] * counts[2], desc="sheets", disable=not progress)
    first_orientation = rng.choice([0.0, 90.0])
    for m, maker in enumerate(makers, start=1):
        for b in range(1, counts[1] + 1):
            brand = dict(maker)
            brand["orientation"] = (first_orientation + 90.0 * (b - 1)) % 180.0
            brand["alignment"] = rng.uniform(*pri["alignment"])
            for s in range(1, counts[2] + 1):
                sheet = _jitter_sheet(brand, rng)
                name = f"M{m}/B{b}/S{s}"
                class_names.append(name)
                for p in range(1, counts[3] + 1):
                    h = paper_surface(
                        size,
                        grain=sheet["grain"],
                        h_along=sheet["h_along"],
                        h_across=sheet["h_ratio"] * sheet["h_along"],
                        orientation=sheet["orientation"],
                        fibre_length=sheet["fibre_length"],
                        fibre_width=sheet["fibre_width"],
                        fibre_share=sheet["fibre_share"],
                        alignment=sheet["alignment"],
                        seed=rng,
                    )
                    shade = raking_light(
                        h,
                        relief=sheet["relief"],
                        azimuth=azimuth + sheet["azimuth"],
                        elevation=elevation,
                        gloss=sheet["gloss"],
                    )
                    images.append(_scan(shade, rng))
                    rows.append(
                        {
                            "manufacturer": f"M{m}",
                            "brand": f"M{m}/B{b}",
                            "sheet": name,
                            "patch": p,
                            **{k: float(v) for k, v in sheet.items()},
                        }
                    )
                bar.update()
    bar.close()
    n = len(images)
    meta = pd.DataFrame(rows)
    return TextureDatabase(
        images=np.stack(images),
        labels=np.repeat(np.arange(len(class_names)), counts[3]),
        class_names=class_names,
        groups=np.arange(n),
        sources=[f"paper.simulate_papers(seed={seed!r})" if isinstance(seed, int) else "paper"],
        metadata=meta,
        levels=list(LEVELS),
    )


# --------------------------------------------------------------------------
# Scores against a known hierarchy
# --------------------------------------------------------------------------


def _hierarchy_table(hierarchy, levels, n: int | None = None):
    """(table of level keys, levels): each level's key holds the coarser ones too."""
    import pandas as pd

    if isinstance(hierarchy, TextureDatabase):
        levels = hierarchy.levels if levels is None else levels
        hierarchy = hierarchy.table()
    if not isinstance(hierarchy, pd.DataFrame):
        raise TypeError(
            "`hierarchy` must be a TextureDatabase with levels or a pandas DataFrame with one "
            f"column per level, got {type(hierarchy).__name__}."
        )
    if levels is None or len(levels) == 0:
        levels = [v for v in LEVELS if v in hierarchy.columns]
        if not levels:
            raise ValueError(
                "`levels` is needed: name the hierarchy columns of `hierarchy`, coarse to fine "
                f"(it has {list(hierarchy.columns)})."
            )
    levels = list(levels)
    missing = [v for v in levels if v not in hierarchy.columns]
    if missing:
        raise ValueError(
            f"`hierarchy` has no column {missing[0]!r} (columns {list(hierarchy.columns)}); "
            "fix `levels`."
        )
    if n is not None and len(hierarchy) != n:
        raise ValueError(f"`hierarchy` has {len(hierarchy)} rows for {n} items; one row per item.")
    if hierarchy[levels].isna().any().any():
        bad = hierarchy.index[hierarchy[levels].isna().any(axis=1)][0]
        raise ValueError(f"`hierarchy` row {bad} has no value at some level; fill or drop it.")
    keys = pd.DataFrame(index=range(len(hierarchy)))
    prefix = np.array([""] * len(hierarchy), dtype=object)
    for level in levels:
        prefix = prefix + "/" + hierarchy[level].astype(str).to_numpy(dtype=object)
        keys[level] = prefix
    return keys, levels


def hierarchy_depth(hierarchy, levels: Sequence[str] | None = None) -> np.ndarray:
    """Number of leading levels two items share, for every pair.

    Parameters
    ----------
    hierarchy : TextureDatabase or pandas.DataFrame
        One row per item; a level's value only needs to be unique within
        its parent (brand ``"B1"`` of two manufacturers are two brands).
    levels : sequence of str, optional
        Hierarchy columns, coarse to fine (default the database's
        ``levels``, or those of :data:`LEVELS` present).

    Returns
    -------
    ndarray of int, shape (N, N)
        0: different at the top level ... ``len(levels)``: same finest
        group (the diagonal too).

    Examples
    --------
    >>> import pandas as pd
    >>> from textures_nb.paper import hierarchy_depth
    >>> t = pd.DataFrame({"manufacturer": ["A", "A", "B"], "brand": ["x", "y", "x"]})
    >>> hierarchy_depth(t, ["manufacturer", "brand"])[0].tolist()
    [2, 1, 0]
    """
    keys, levels = _hierarchy_table(hierarchy, levels)
    depth = np.zeros((len(keys), len(keys)), dtype=int)
    for level in levels:
        codes = keys[level].astype("category").cat.codes.to_numpy()
        depth += codes[:, None] == codes[None, :]
    return depth


def _average_precision(D: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """Average precision of each row's ranking (self excluded); NaN without relevant items."""
    n = D.shape[0]
    order = np.argsort(D + np.diag(np.full(n, np.inf)), axis=1, kind="stable")[:, : n - 1]
    rel = np.take_along_axis(relevant, order, axis=1).astype(float)
    hits = np.cumsum(rel, axis=1)
    prec = hits / np.arange(1, n)
    total = rel.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (prec * rel).sum(axis=1) / total, np.nan)


def _mean_or_nan(values: np.ndarray) -> float:
    """Mean of the finite values; NaN (no warning) when there are none (a level whose
    groups all hold a single item has nothing to retrieve)."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def _triplet_share(D: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> tuple[float, int]:
    """Share of triplets (a, p, n) with D[a, p] < D[a, n] (ties count half), and their count."""
    wins, count = 0.0, 0
    for a in range(D.shape[0]):
        dp = D[a, pos[a]]
        dn = np.sort(D[a, neg[a]])
        if dp.size == 0 or dn.size == 0:
            continue
        above = dn.size - np.searchsorted(dn, dp, side="right")
        ties = np.searchsorted(dn, dp, side="right") - np.searchsorted(dn, dp, side="left")
        wins += float(above.sum() + 0.5 * ties.sum())
        count += dp.size * dn.size
    return (wins / count if count else float("nan")), count


@dataclass
class HierarchyScores:
    """How well dissimilarities recover a known hierarchy.

    Attributes
    ----------
    k : int
        Neighbours of the precision.
    cophenetic : float
        Pearson correlation, over all pairs, between the cophenetic distance
        of the average-linkage dendrogram of the items and the known tree
        distance (``len(levels)`` minus the levels a pair shares): 1 when the
        dendrogram merges the items level by level as the hierarchy does.
    by_level : pandas.DataFrame
        What :meth:`table` returns: per level (coarse to fine), ``precision``
        (share of the ``k`` nearest items in the query's group at that
        level), ``mAP`` (mean average precision of the full ranking; NaN
        when every group of the level holds a single item) and ``chance``
        (the precision of a random ranking).
    triplets : pandas.DataFrame
        One row per pair of relations ``closer`` / ``farther`` (e.g. ``same
        brand`` / ``other manufacturer``): ``share`` of triplets (anchor,
        an item of the closer relation, an item of the farther one) where
        the closer item is nearer (ties half), and their ``count``.
    linkage : ndarray, shape (N - 1, 4)
        SciPy average-linkage matrix of the items.
    D : ndarray, shape (N, N)
        The dissimilarities scored.
    hierarchy : pandas.DataFrame
        The level keys of the items (each key holds its parents).
    levels : list of str

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from textures_nb.paper import hierarchy_scores
    >>> t = pd.DataFrame({"maker": list("AABB")})
    >>> s = hierarchy_scores(np.array([[0.0], [0.1], [5.0], [5.1]]), t, levels=["maker"], k=1)
    >>> s.triplet("same maker", "other maker")
    1.0
    """

    k: int
    cophenetic: float
    by_level: Any = field(repr=False)
    triplets: Any = field(repr=False)
    linkage: np.ndarray = field(repr=False)
    D: np.ndarray = field(repr=False)
    hierarchy: Any = field(repr=False)
    levels: list[str] = field(default_factory=list, repr=False)

    def table(self):
        """Precision@k, mAP and chance per level (pandas.DataFrame, index ``level``)."""
        return self.by_level.copy()

    def triplet(self, closer: str, farther: str) -> float:
        """Share of triplets where a ``closer`` pair beats a ``farther`` one.

        Relations are ``"same <level>"`` (sharing that level, not the next
        finer one) and ``"other <level>"`` (differing at that level, sharing
        the coarser ones); for example ``triplet("same brand", "other
        manufacturer")``.
        """
        t = self.triplets
        sel = t[(t["closer"] == closer) & (t["farther"] == farther)]
        if sel.empty:
            pairs = list(zip(t["closer"], t["farther"], strict=True))
            raise ValueError(f"no triplet ({closer!r}, {farther!r}); available: {pairs}.")
        return float(sel["share"].iloc[0])

    def plot(self, *, color_level: str | None = None, title: str | None = None):
        """:func:`plot_dendrogram` of the items, leaves coloured by the top level."""
        return plot_dendrogram(self, color_level=color_level, title=title)


def hierarchy_scores(
    F,
    hierarchy,
    *,
    levels: Sequence[str] | None = None,
    k: int = 5,
    metric: str = "euclidean",
    standardize: bool = True,
    dissimilarities=None,
) -> HierarchyScores:
    """Retrieval, triplet ranking and dendrogram of features against a known hierarchy.

    Parameters
    ----------
    F : array_like, shape (N, D) or None
        Features (:func:`textures_nb.similarity.features`); None with
        ``dissimilarities``.
    hierarchy : TextureDatabase or pandas.DataFrame
        One row per item with one column per level (see :func:`hierarchy_depth`).
    levels : sequence of str, optional
        Hierarchy columns, coarse to fine.
    k : int, default 5
        Neighbours of the precision at each level.
    metric : {"euclidean", "cosine"}
    standardize : bool, default True
        z-score the features first.
    dissimilarities : array_like, shape (N, N), optional
        Use these instead of computing them from ``F``.

    Returns
    -------
    HierarchyScores

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from textures_nb.paper import hierarchy_scores
    >>> t = pd.DataFrame({"maker": list("AAAABBBB"), "sheet": list("xxyyxxyy")})
    >>> F = np.array([[0, 0], [0, .1], [1, 0], [1, .1], [9, 0], [9, .1], [10, 0], [10, .1]])
    >>> s = hierarchy_scores(F, t, levels=["maker", "sheet"], k=1, standardize=False)
    >>> s.table()["precision"].tolist(), round(s.cophenetic, 2)
    ([1.0, 1.0], 0.93)
    """
    import pandas as pd
    from scipy.cluster.hierarchy import cophenet, linkage
    from scipy.spatial.distance import squareform

    from .similarity import dissimilarity

    if dissimilarities is None:
        D = dissimilarity(F, metric=metric, standardize=standardize)
    else:
        D = as_finite_array(dissimilarities, "dissimilarities", ndims=(2,))
        if D.shape[0] != D.shape[1] or not np.allclose(D, D.T):
            raise ValueError("`dissimilarities` must be a symmetric (N, N) matrix.")
    n = D.shape[0]
    keys, levels = _hierarchy_table(hierarchy, levels, n)
    depth = hierarchy_depth(keys, levels)
    k = check_positive_int(k, "k")
    if k > n - 1:
        raise ValueError(f"`k`={k} must be below the number of items ({n}).")
    L = len(levels)
    off = ~np.eye(n, dtype=bool)
    nn = np.argsort(D + np.diag(np.full(n, np.inf)), axis=1, kind="stable")[:, :k]
    rows = {}
    for i, level in enumerate(levels, start=1):
        relevant = (depth >= i) & off
        rows[level] = {
            f"precision@{k}": float(np.take_along_axis(relevant, nn, axis=1).mean()),
            "mAP": _mean_or_nan(_average_precision(D, relevant)),
            "chance": float(relevant.sum() / (n * (n - 1))),
        }
    by_level = pd.DataFrame.from_dict(rows, orient="index")
    by_level.index.name = "level"
    by_level = by_level.rename(columns={f"precision@{k}": "precision"})
    # triplets: relation depth p (same at level p, not p + 1) against a coarser relation q < p
    names = {p: f"same {levels[p - 1]}" for p in range(1, L + 1)}
    trip = []
    for p in range(L, 0, -1):
        pos = (depth == p) & off
        for q in range(p - 1, -1, -1):
            neg = depth == q
            share, count = _triplet_share(D, pos, neg)
            farther = f"other {levels[q]}"
            trip.append({"closer": names[p], "farther": farther, "share": share, "count": count})
    Z = linkage(squareform(D, checks=False), method="average")
    coph = cophenet(Z)
    tree = squareform((L - depth) * off, checks=False).astype(float)
    cophenetic = float(np.corrcoef(coph, tree)[0, 1]) if tree.std() > 0 else float("nan")
    return HierarchyScores(
        k=k,
        cophenetic=cophenetic,
        by_level=by_level,
        triplets=pd.DataFrame(trip),
        linkage=Z,
        D=D,
        hierarchy=keys,
        levels=levels,
    )


def plot_dendrogram(
    scores: HierarchyScores, *, color_level: str | None = None, title: str | None = None
):
    """Dendrogram of the items (average linkage), leaves coloured by a known level.

    Parameters
    ----------
    scores : HierarchyScores
    color_level : str, optional
        Level colouring the leaves (default the top one); the symbol marks
        the next finer level.
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        A tree that merges the items level by level has one colour per
        branch.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from textures_nb.paper import hierarchy_scores, plot_dendrogram
    >>> t = pd.DataFrame({"maker": list("AABB"), "sheet": list("xyxy")})
    >>> s = hierarchy_scores(np.arange(4.0)[:, None], t, levels=["maker", "sheet"], k=1)
    >>> len(plot_dendrogram(s).data)  # the tree and one trace per maker
    3
    """
    import plotly.graph_objects as go
    from scipy.cluster.hierarchy import dendrogram

    if not isinstance(scores, HierarchyScores):
        raise TypeError(f"`scores` must be a HierarchyScores, got {type(scores).__name__}.")
    levels = scores.levels
    color_level = levels[0] if color_level is None else color_level
    if color_level not in levels:
        raise ValueError(f"`color_level` must be one of {levels}, got {color_level!r}.")
    tree = dendrogram(scores.linkage, no_plot=True)
    fig = go.Figure()
    xs, ys = [], []
    for ic, dc in zip(tree["icoord"], tree["dcoord"], strict=True):
        xs += list(ic) + [None]
        ys += list(dc) + [None]
    fig.add_trace(
        go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#888", width=1), hoverinfo="skip",
                   showlegend=False)
    )  # fmt: skip
    leaves = np.asarray(tree["leaves"])
    keys = scores.hierarchy
    colour_keys = keys[color_level].to_numpy()[leaves]
    li = levels.index(color_level)
    symbol_keys = keys[levels[li + 1]].to_numpy()[leaves] if li + 1 < len(levels) else None
    symbols = ["circle", "square", "diamond", "triangle-up", "x", "star", "cross", "hexagon"]
    groups = sorted(dict.fromkeys(colour_keys))
    colours = palette(len(groups))
    finest = keys[levels[-1]].to_numpy()[leaves]
    for g, colour in zip(groups, colours, strict=True):
        sel = np.flatnonzero(colour_keys == g)
        sym = None
        if symbol_keys is not None:
            sub = list(dict.fromkeys(symbol_keys[sel]))
            sym = [symbols[sub.index(s) % len(symbols)] for s in symbol_keys[sel]]
        fig.add_trace(
            go.Scatter(
                x=5 + 10 * sel,
                y=np.zeros(sel.size),
                mode="markers",
                marker=dict(color=colour, size=9, symbol=sym, line=dict(width=0.5, color="white")),
                name=str(g).lstrip("/"),
                text=[f"{s.lstrip('/')}<br>item {i}" for s, i in zip(finest[sel], leaves[sel],
                                                                      strict=True)],
                hovertemplate="%{text}<extra></extra>",
            )
        )  # fmt: skip
    fig.update_layout(
        title=title
        or f"Average-linkage dendrogram (cophenetic correlation with the hierarchy "
        f"{scores.cophenetic:.2f})",
        height=420,
        autosize=True,
        xaxis=dict(showticklabels=False, title=f"items (colour: {color_level})"),
        yaxis_title="merge dissimilarity",
        legend=dict(x=0.99, y=0.99, xanchor="right", yanchor="top"),
    )
    return fig


# --------------------------------------------------------------------------
# Feature families compared, and repeated over simulated collections
# --------------------------------------------------------------------------


@dataclass
class HierarchyComparison:
    """Hierarchy scores of several feature kinds on one collection.

    Attributes
    ----------
    k : int
    kinds : list of str
    scores : dict of str to HierarchyScores
        One per kind (a kind may be a ``"+"``-joined combination).
    features : dict of str to ndarray
        The features of each kind, shape (N, D).

    Examples
    --------
    >>> from textures_nb.paper import compare_hierarchy, simulate_papers
    >>> db = simulate_papers(2, 1, 1, 3, size=48, progress=False)
    >>> compare_hierarchy(db, ["isotropic"], k=1, progress=False)
    HierarchyComparison(k=1, kinds=['isotropic'])
    """

    k: int
    kinds: list[str] = field(default_factory=list)
    scores: dict[str, HierarchyScores] = field(default_factory=dict, repr=False)
    features: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def table(self):
        """One row per kind: precision@k and mAP per level, key triplets, cophenetic correlation.

        Returns
        -------
        pandas.DataFrame
            Index ``kind``; columns ``precision <level>``, ``mAP <level>``,
            ``triplet <closer> < <farther>`` for consecutive relations and the
            same-<second level> / other-<top level> one, ``cophenetic``.
        """
        import pandas as pd

        rows = {}
        for kind, s in self.scores.items():
            row = {}
            for level, r in s.by_level.iterrows():
                row[f"precision {level}"] = r["precision"]
            for level, r in s.by_level.iterrows():
                row[f"mAP {level}"] = r["mAP"]
            for _, t in s.triplets.iterrows():
                row[f"{t['closer']} < {t['farther']}"] = t["share"]
            row["cophenetic"] = s.cophenetic
            rows[kind] = row
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "kind"
        return out

    def plot(self, *, title: str | None = None):
        """Grouped bars: precision@k at each level, one colour per feature kind."""
        import plotly.graph_objects as go

        fig = go.Figure()
        for kind, colour in zip(self.scores, palette(len(self.scores)), strict=True):
            t = self.scores[kind].by_level
            fig.add_trace(
                go.Bar(x=list(t.index), y=t["precision"], name=kind, marker_color=colour,
                       hovertemplate=f"{kind}<br>%{{x}}: %{{y:.2f}}<extra></extra>")
            )  # fmt: skip
        first = next(iter(self.scores.values()), None)
        if first is not None:
            t = first.by_level
            fig.add_trace(
                go.Scatter(x=list(t.index), y=t["chance"], mode="markers", name="chance",
                           marker=dict(symbol="line-ew-open", size=40, color="black"))
            )  # fmt: skip
        fig.update_layout(
            barmode="group",
            title=title or f"Precision@{self.k} at each affinity level (same group at that level)",
            yaxis=dict(range=[0, 1.05], title=f"precision@{self.k}"),
            xaxis_title="affinity level (coarse to fine)",
            height=400,
            autosize=True,
            legend=dict(orientation="h", x=0.0, y=1.0, xanchor="left", yanchor="bottom"),
            margin=dict(t=90),
        )
        return fig


def _kind_list(kinds) -> list[str]:
    if isinstance(kinds, str):
        kinds = [kinds]
    kinds = list(kinds)
    if not kinds:
        raise ValueError("`kinds` is empty: name at least one feature kind.")
    return kinds


def compare_hierarchy(
    database,
    kinds: Sequence[str] = ("hyperbolic", "isotropic", "orientation"),
    *,
    hierarchy=None,
    levels: Sequence[str] | None = None,
    k: int = 5,
    seed: int | np.random.Generator = 0,
    progress: bool = True,
) -> HierarchyComparison:
    """Hierarchy scores of several feature kinds on one collection.

    Parameters
    ----------
    database : TextureDatabase or array_like, shape (N, H, W)
        Images (a database with ``levels``, e.g. from :func:`simulate_papers`
        or ``data.load_image_folder(..., levels=...)``).
    kinds : sequence of str
        Feature kinds of :func:`textures_nb.similarity.features`; ``"a+b"``
        concatenates two kinds.
    hierarchy : pandas.DataFrame, optional
        Required with a plain array of images.
    levels : sequence of str, optional
    k : int, default 5
    seed : int or numpy Generator, default 0
        Seed of the ``"gram"`` network.
    progress : bool, default True
        tqdm bar over the kinds.

    Returns
    -------
    HierarchyComparison

    Examples
    --------
    >>> from textures_nb.paper import compare_hierarchy, simulate_papers
    >>> db = simulate_papers(2, 1, 2, 3, size=64, progress=False)
    >>> cmp = compare_hierarchy(db, ["isotropic"], k=2, progress=False)
    >>> list(cmp.table().index)
    ['isotropic']
    """
    from .similarity import features

    if isinstance(database, TextureDatabase):
        images = database.images
        hierarchy = database if hierarchy is None else hierarchy
    else:
        images = database
        if hierarchy is None:
            raise ValueError("`hierarchy` is required when `database` is an array of images.")
    kinds = _kind_list(kinds)
    scores, feats = {}, {}
    for kind in tqdm(kinds, desc="feature kinds", disable=not progress):
        F = features(images, kind.split("+"), seed=seed, progress=False)
        feats[kind] = F
        scores[kind] = hierarchy_scores(F, hierarchy, levels=levels, k=k)
    return HierarchyComparison(k=k, kinds=kinds, scores=scores, features=feats)


@dataclass
class HierarchyStudy:
    """Hierarchy scores of feature kinds over simulated collections of several seeds.

    Attributes
    ----------
    k : int
    n_seeds : int
    values : pandas.DataFrame
        One row per (seed, kind): the columns of
        :meth:`HierarchyComparison.table`.
    failures : dict of int to str
        Seeds that failed and their error.

    Examples
    --------
    >>> from textures_nb.paper import hierarchy_study
    >>> st = hierarchy_study(["isotropic"], [0, 1], k=1, progress=False,
    ...                      simulate=dict(n_manufacturers=2, n_brands=1, n_patches=2, size=48))
    >>> st
    HierarchyStudy(k=1, n_seeds=2)
    """

    k: int
    n_seeds: int
    values: Any = field(repr=False)
    failures: dict[int, str] = field(default_factory=dict, repr=False)

    def table(self, level: float = 0.95):
        """Mean and intervals over seeds of every score, per kind.

        Returns
        -------
        pandas.DataFrame
            Index (``kind``, ``score``); columns of
            :func:`textures_nb.confidence.spread` (``mean``, ``low``/``high``
            holding the central ``level`` of the seeds, ``mean_low``/``mean_high``).
        """
        import pandas as pd

        from .confidence import spread

        parts = {}
        for kind, rows in self.values.groupby("kind", sort=False):
            # a relation the design lacks (one sheet per brand: no "other sheet") is all NaN
            values = rows.drop(columns=["seed", "kind"]).dropna(axis=1, how="all")
            parts[kind] = spread(values, level=level)
        out = pd.concat(parts, names=["kind", "score"])
        return out

    def plot(self, score: str = "cophenetic", *, title: str | None = None):
        """One point per seed of ``score`` for each kind (a column of ``values``)."""
        import plotly.graph_objects as go

        if score not in self.values.columns:
            raise ValueError(f"`score` must be a column of `values`, got {score!r}.")
        fig = go.Figure()
        kinds = list(dict.fromkeys(self.values["kind"]))
        for kind, colour in zip(kinds, palette(len(kinds)), strict=True):
            v = self.values[self.values["kind"] == kind]
            fig.add_trace(
                go.Box(y=v[score], name=kind, boxpoints="all", marker_color=colour,
                       text=[f"seed {s}" for s in v["seed"]], hovertemplate="%{text}: %{y:.3f}")
            )  # fmt: skip
        fig.update_layout(
            title=title or f"{score} over {self.n_seeds} simulated collections",
            yaxis_title=score,
            height=380,
            autosize=True,
            showlegend=False,
        )
        return fig


def hierarchy_study(
    kinds: Sequence[str] = ("hyperbolic", "isotropic"),
    seeds: int | Sequence[int] = 5,
    *,
    k: int = 5,
    simulate: Mapping[str, Any] | None = None,
    progress: bool = True,
) -> HierarchyStudy:
    """:func:`compare_hierarchy` on simulated collections of several seeds.

    Parameters
    ----------
    kinds : sequence of str
        Feature kinds (see :func:`compare_hierarchy`).
    seeds : int or sequence of int, default 5
        Seeds of the collections (an int ``n``: ``range(n)``).
    k : int, default 5
    simulate : mapping, optional
        Keyword arguments of :func:`simulate_papers` (e.g. ``size``).
    progress : bool, default True
        tqdm bar over the seeds.

    Returns
    -------
    HierarchyStudy
        ``.table()`` gives the interval of every score over seeds.

    Examples
    --------
    >>> from textures_nb.paper import hierarchy_study
    >>> st = hierarchy_study(["isotropic"], 2, k=2, progress=False,
    ...                      simulate=dict(n_manufacturers=2, n_brands=1, n_patches=3, size=64))
    >>> st.values.shape[0]
    2
    """
    import pandas as pd

    from ._shared.repeat import check_seeds

    seeds = check_seeds(seeds)
    kinds = _kind_list(kinds)
    kwargs = dict(simulate or {})
    kwargs.pop("seed", None)
    kwargs["progress"] = False
    rows, failures = [], {}
    for s in tqdm(seeds, desc="collections", disable=not progress):
        try:
            db = simulate_papers(seed=s, **kwargs)
            cmp = compare_hierarchy(db, kinds, k=k, seed=s, progress=False)
        except Exception as exc:  # a failed seed is reported, the others kept
            failures[s] = f"{type(exc).__name__}: {exc}"
            continue
        t = cmp.table().reset_index()
        t.insert(0, "seed", s)
        rows.append(t)
    if not rows:
        raise RuntimeError(f"every seed failed: {failures}")
    values = pd.concat(rows, ignore_index=True)
    return HierarchyStudy(k=k, n_seeds=len(seeds), values=values, failures=failures)


def plot_thumbnails(
    database: TextureDatabase,
    *,
    per_group: int = 1,
    level: str | None = None,
    max_cols: int = 6,
    max_side: int = 96,
    title: str | None = None,
):
    """Raking-light thumbnails, ``per_group`` images of each group at ``level``, wrapped.

    Parameters
    ----------
    database : TextureDatabase
    per_group : int, default 1
    level : str, optional
        Grouping level (default the finest of ``database.levels``, else the class).
    max_cols : int, default 6
    max_side : int, default 96
        Larger images are averaged over blocks down to at most this side
        (keeps the figure light: a 512 x 512 heatmap weighs megabytes).
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> from textures_nb.paper import plot_thumbnails, simulate_papers
    >>> db = simulate_papers(1, 2, 1, 2, size=32, progress=False)
    >>> len(plot_thumbnails(db).data)  # one per sheet
    2
    """
    from .plotting import images as plot_images

    per_group = check_positive_int(per_group, "per_group")
    table = database.table()
    if level is None:
        level = database.levels[-1] if database.levels else "class"
    if level not in table.columns:
        raise ValueError(f"`level` must be a column of the database table, got {level!r}.")
    max_side = check_positive_int(max_side, "max_side", minimum=8)
    picks = table.groupby(level, sort=False).head(per_group).index.to_numpy()
    titles = [str(table.loc[i, level]) for i in picks]
    f = -(-max(database.images.shape[1:]) // max_side)  # block side
    h, w = (n // f * f for n in database.images.shape[1:])
    thumbs = [
        database.images[i][:h, :w].reshape(h // f, f, w // f, f).mean(axis=(1, 3)) for i in picks
    ]
    return plot_images(
        thumbs,
        titles=titles,
        title=title or f"Raking-light images, {per_group} per {level}",
        height=150,
        max_cols=max_cols,
    )
