"""Labelled texture databases: a demonstration set, a user's image folder, patches.

A database is a stack of equally sized grayscale patches with a class label
and a *group*: the source region of a photograph or the realisation of a
random field each patch was cut from. Patches of one group overlap or share
a realisation, so a fair retrieval test draws its queries from groups that
the database does not hold (:meth:`TextureDatabase.split`).

- :func:`demo_database`: real textures shipped with the installed packages
  (scikit-image's brick, grass and gravel, plenoptic's reptile skin) and
  generated classes that mimic the variety of paper surfaces: fractional
  Brownian fields of different roughness ``H``, anisotropic fields with
  different orientations, multifractal fields with different ``c2``.
  Nothing is downloaded.
- :func:`load_image_folder`: a user's PNG/JPEG/TIFF/BMP images, one
  sub-folder per class or a flat (unlabelled) folder.
- :func:`extract_patches`: regular or random patches of one image.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._checks import as_finite_array, as_generator, check_in_range, check_positive_int
from ._shared.progress import tqdm

__all__ = [
    "TextureDatabase",
    "DEMO_CLASSES",
    "demo_database",
    "load_image_folder",
    "extract_patches",
    "standardize_patches",
    "IMAGE_EXTENSIONS",
]

#: File extensions :func:`load_image_folder` reads (lower case).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".pgm", ".ppm")


@dataclass
class TextureDatabase:
    """Labelled stack of grayscale patches.

    Attributes
    ----------
    images : ndarray, shape (N, P, P) (or (N, H, W))
        Patches, float64.
    labels : ndarray of int, shape (N,)
        Class index of each patch into ``class_names`` (-1 when unlabelled).
    class_names : list of str
        Name of each class.
    groups : ndarray of int, shape (N,)
        Source region (photograph) or realisation (generated field) of each
        patch; patches of different groups never overlap.
    sources : list of str
        Where each class comes from (e.g. ``"skimage.data.brick"`` or
        ``"processes.fbf(H=0.3)"``), or the file of each group for a folder.
    metadata : pandas.DataFrame or None
        One row per patch (same order as ``images``): for a folder, the file
        (``file``, relative to the folder), the hierarchy levels and the
        columns of a metadata CSV; for simulated papers, the levels and the
        parameters. Joined to the labels by :meth:`table`.
    levels : list of str
        Columns of ``metadata`` holding a hierarchy, coarse to fine (e.g.
        ``["manufacturer", "brand", "sheet"]``); empty without one.

    Examples
    --------
    >>> from textures_nb.data import demo_database
    >>> db = demo_database(8, 32, seed=0)
    >>> db.images.shape[1:], len(db.class_names) == len(set(db.labels.tolist()))
    ((32, 32), True)
    """

    images: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    groups: np.ndarray
    sources: list[str] = field(default_factory=list)
    metadata: Any = field(default=None, repr=False)
    levels: list[str] = field(default_factory=list, repr=False)

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __repr__(self) -> str:
        levels = f", levels {'/'.join(self.levels)}" if self.levels else ""
        return (
            f"TextureDatabase({len(self)} patches of {self.images.shape[1:]}, "
            f"{len(self.class_names)} classes, {np.unique(self.groups).size} groups"
            f"{levels})"[:290]
        )

    def table(self):
        """One row per patch: ``label``, ``class``, ``group`` and the ``metadata`` columns.

        Returns
        -------
        pandas.DataFrame
            Index: patch number (row of ``images``).

        Examples
        --------
        >>> from textures_nb.data import demo_database
        >>> demo_database(n_per_class=4, patch=32, classes=["brick"]).table().columns.tolist()
        ['label', 'class', 'group']
        """
        import pandas as pd

        names = [self.class_names[c] if 0 <= c < self.n_classes else "" for c in self.labels]
        out = pd.DataFrame({"label": self.labels, "class": names, "group": self.groups})
        if self.metadata is not None:
            meta = self.metadata.reset_index(drop=True)
            out = pd.concat([out, meta.drop(columns=[c for c in meta if c in out])], axis=1)
        out.index.name = "patch"
        return out

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    def subset(self, index) -> TextureDatabase:
        """Database restricted to ``index`` (integer array or boolean mask)."""
        index = np.asarray(index)
        return TextureDatabase(
            images=self.images[index],
            labels=self.labels[index],
            class_names=list(self.class_names),
            groups=self.groups[index],
            sources=list(self.sources),
            metadata=None
            if self.metadata is None
            else self.metadata.iloc[_positions(index, len(self))].reset_index(drop=True),
            levels=list(self.levels),
        )

    def split(
        self, query_fraction: float = 0.25, *, seed: int | np.random.Generator | None = 0
    ) -> tuple[TextureDatabase, TextureDatabase]:
        """Split into a database and held-out queries from disjoint groups.

        In every class, whole groups (regions or realisations) go to the
        queries until they hold about ``query_fraction`` of the class's
        patches, so no query overlaps or shares a realisation with a database
        patch.

        Parameters
        ----------
        query_fraction : float, default 0.25
            Target share of each class held out, in (0, 1).
        seed : int, Generator or None, default 0
            Random choice of the held-out groups.

        Returns
        -------
        database, queries : TextureDatabase

        Raises
        ------
        ValueError
            When a class has fewer than 2 groups (nothing can be held out).

        Examples
        --------
        >>> from textures_nb.data import demo_database
        >>> db, queries = demo_database(n_per_class=16, patch=32).split(0.25)
        >>> len(db) + len(queries)
        192
        """
        query_fraction = check_in_range(query_fraction, "query_fraction", 0.0, 1.0)
        rng = as_generator(seed)
        is_query = np.zeros(len(self), dtype=bool)
        for c in np.unique(self.labels):
            in_class = self.labels == c
            groups = np.unique(self.groups[in_class])
            name = self.class_names[c] if 0 <= c < self.n_classes else str(c)
            if groups.size < 2:
                raise ValueError(
                    f"class {name!r} has a single group (source region or realisation): "
                    "no query can be held out without overlapping the database; add "
                    "images to this class or use smaller patches."
                )
            target = query_fraction * in_class.sum()
            held = 0
            for g in rng.permutation(groups)[:-1]:  # always keep one group in the database
                if held >= target:
                    break
                members = in_class & (self.groups == g)
                is_query |= members
                held += int(members.sum())
        return self.subset(~is_query), self.subset(is_query)


def _positions(index: np.ndarray, n: int) -> np.ndarray:
    """Integer positions of an integer array or boolean mask of length ``n``."""
    return np.flatnonzero(index) if index.dtype == bool else index.astype(int)


# --------------------------------------------------------------------------
# Patches
# --------------------------------------------------------------------------


def extract_patches(
    image,
    patch: int,
    *,
    stride: int | None = None,
    n: int | None = None,
    seed: int | np.random.Generator | None = 0,
) -> np.ndarray:
    """Square patches of a grayscale image, on a regular grid or at random.

    Parameters
    ----------
    image : array_like, shape (H, W)
        Grayscale image (pixels), finite.
    patch : int
        Side of the patches (pixels), at most ``min(H, W)``.
    stride : int, optional
        Grid step (pixels) when ``n`` is None; default ``patch``
        (non-overlapping tiles, row by row).
    n : int, optional
        Number of patches at uniformly random positions (they may overlap).
    seed : int, Generator or None, default 0
        Random positions when ``n`` is given.

    Returns
    -------
    ndarray, shape (n_patches, patch, patch)

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.data import extract_patches
    >>> extract_patches(np.arange(64.0).reshape(8, 8), 4).shape
    (4, 4, 4)
    """
    img = as_finite_array(image, "image", ndims=(2,))
    patch = check_positive_int(patch, "patch", minimum=2)
    h, w = img.shape
    if patch > min(h, w):
        raise ValueError(
            f"`patch`={patch} is larger than the image ({h} x {w} pixels); use "
            f"patch <= {min(h, w)}."
        )
    if n is not None:
        n = check_positive_int(n, "n")
        rng = as_generator(seed)
        rows = rng.integers(0, h - patch + 1, size=n)
        cols = rng.integers(0, w - patch + 1, size=n)
    else:
        stride = patch if stride is None else check_positive_int(stride, "stride")
        r, c = np.meshgrid(
            np.arange(0, h - patch + 1, stride), np.arange(0, w - patch + 1, stride), indexing="ij"
        )
        rows, cols = r.ravel(), c.ravel()
    return np.stack([img[i : i + patch, j : j + patch] for i, j in zip(rows, cols, strict=True)])


def standardize_patches(images) -> np.ndarray:
    """Zero mean and unit standard deviation per patch (constant patches become 0).

    Texture similarity should not depend on the mean grey level or the
    contrast of a photograph, nor on the arbitrary offset and scale of a
    simulated field.

    Parameters
    ----------
    images : array_like, shape (N, ...)

    Returns
    -------
    ndarray, same shape, float64

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.data import standardize_patches
    >>> x = standardize_patches(np.arange(32.0).reshape(2, 4, 4))
    >>> bool(np.allclose(x.mean(axis=(1, 2)), 0)), x.std(axis=(1, 2)).round(6).tolist()
    (True, [1.0, 1.0])
    """
    x = np.asarray(images, dtype=np.float64)
    axes = tuple(range(1, x.ndim))
    x = x - x.mean(axis=axes, keepdims=True)
    std = x.std(axis=axes, keepdims=True)
    return x / np.where(std > 0, std, 1.0)


# --------------------------------------------------------------------------
# Demonstration database
# --------------------------------------------------------------------------


def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        import skimage.data

        return np.asarray(getattr(skimage.data, name)(), dtype=np.float64)

    return load


def _reptile_skin() -> np.ndarray:
    import plenoptic.data

    return plenoptic.data.reptile_skin().numpy()[0, 0].astype(np.float64)


def _field(kind: str, **params) -> Callable[[int, np.random.Generator], np.ndarray]:
    def make(side: int, rng: np.random.Generator) -> np.ndarray:
        from . import processes

        if kind == "mrw":
            return processes.mrw((side, side), seed=rng, **params)
        return processes.fbf((side, side), seed=rng, **params)

    return make


#: Classes of :func:`demo_database`: name -> (source description, loader).
#: A real texture's loader returns the whole photograph; a generated class's
#: loader takes ``(side, rng)`` and returns one realisation. The generated
#: classes mimic paper surfaces: smooth to rough (``H``), oriented fibres or
#: calendering (anisotropy along ``theta``), intermittent (multifractal ``c2``).
DEMO_CLASSES: dict[str, tuple[str, Callable]] = {
    "brick": ("skimage.data.brick", _skimage("brick")),
    "grass": ("skimage.data.grass", _skimage("grass")),
    "gravel": ("skimage.data.gravel", _skimage("gravel")),
    "reptile skin": ("plenoptic.data.reptile_skin", _reptile_skin),
    "fbf H=0.2": ("processes.fbf(H=0.2)", _field("fbf", H=0.2)),
    "fbf H=0.5": ("processes.fbf(H=0.5)", _field("fbf", H=0.5)),
    "fbf H=0.8": ("processes.fbf(H=0.8)", _field("fbf", H=0.8)),
    "aniso 0 deg": (
        "processes.fbf(H=0.5, anisotropy=0.7, theta=0)",
        _field("fbf", H=0.5, anisotropy=0.7, theta=0.0),
    ),
    "aniso 60 deg": (
        "processes.fbf(H=0.5, anisotropy=0.7, theta=pi/3)",
        _field("fbf", H=0.5, anisotropy=0.7, theta=np.pi / 3),
    ),
    "aniso 120 deg": (
        "processes.fbf(H=0.5, anisotropy=0.7, theta=2pi/3)",
        _field("fbf", H=0.5, anisotropy=0.7, theta=2 * np.pi / 3),
    ),
    "aniso 60 deg weak": (
        "processes.fbf(H=0.5, anisotropy=0.5, theta=pi/3)",
        _field("fbf", H=0.5, anisotropy=0.5, theta=np.pi / 3),
    ),
    "mrw c2=-0.16": ("processes.mrw(H=0.7, lam=0.4)", _field("mrw", H=0.7, lam=0.4)),
}

_REAL = ("brick", "grass", "gravel", "reptile skin")


def _available(name: str) -> bool:
    if name != "reptile skin":
        return True
    try:
        import plenoptic.data  # noqa: F401
    except Exception:  # plenoptic is optional for the demonstration database
        return False
    return True


def _assemble(images, labels, groups, class_names, sources, standardize) -> TextureDatabase:
    """One database from per-source patch stacks and their per-patch labels and groups."""
    stack = np.concatenate(images)
    return TextureDatabase(
        images=standardize_patches(stack) if standardize else stack,
        labels=np.asarray(labels, dtype=int),
        class_names=class_names,
        groups=np.asarray(groups, dtype=int),
        sources=sources,
    )


def demo_database(
    n_per_class: int = 32,
    patch: int = 64,
    *,
    seed: int | np.random.Generator = 0,
    classes: Sequence[str] | None = None,
    standardize: bool = True,
    progress: bool = True,
) -> TextureDatabase:
    """A labelled demonstration database of real and generated texture patches.

    Real textures are cut into square regions of side ``2 * patch`` (one
    group each) and patches are drawn at random positions inside a region,
    the regions taking turns. Each realisation of a generated class is a
    field of side ``2 * patch`` (one group) giving 4 random patches. Groups
    never overlap, so :meth:`TextureDatabase.split` gives honest held-out
    queries.

    Parameters
    ----------
    n_per_class : int, default 32
        Patches per class.
    patch : int, default 64
        Patch side (pixels), between 16 and 256.
    seed : int or numpy.random.Generator, default 0
        Seed of the patch positions and of the generated fields.
    classes : sequence of str, optional
        Names from :data:`DEMO_CLASSES`; default all of them (``"reptile
        skin"`` only when plenoptic is installed).
    standardize : bool, default True
        Zero mean and unit variance per patch (:func:`standardize_patches`).
    progress : bool, default True
        tqdm bar over the classes.

    Returns
    -------
    TextureDatabase
        ``images`` of shape ``(n_classes * n_per_class, patch, patch)``.

    Examples
    --------
    >>> from textures_nb.data import demo_database
    >>> db = demo_database(n_per_class=8, patch=32, classes=["brick", "fbf H=0.2"])
    >>> db.images.shape, db.class_names
    ((16, 32, 32), ['brick', 'fbf H=0.2'])
    """
    n_per_class = check_positive_int(n_per_class, "n_per_class")
    patch = check_positive_int(patch, "patch", minimum=16)
    if patch > 128:
        raise ValueError(
            f"`patch`={patch} is too large for the demonstration images (the smallest is "
            "256 x 256 pixels and every class needs at least 2 regions); use patch <= 128, "
            "or load larger images with load_image_folder."
        )
    if classes is None:
        names = [c for c in DEMO_CLASSES if _available(c)]
    else:
        if isinstance(classes, str):
            raise TypeError(f"`classes` must be a list of names, got the string {classes!r}.")
        names = list(classes)
        unknown = [c for c in names if c not in DEMO_CLASSES]
        if unknown or not names:
            raise ValueError(
                f"`classes` holds unknown names {unknown} (or is empty); pick from "
                f"{list(DEMO_CLASSES)}."
            )
    rng = as_generator(seed)
    images, labels, groups, sources = [], [], [], []
    next_group = 0
    for label, name in enumerate(tqdm(names, desc="classes", disable=not progress)):
        source, load = DEMO_CLASSES[name]
        sources.append(source)
        side = 2 * patch
        if name in _REAL:
            photo = load()
            regions = [r for r in extract_patches(photo, min(side, min(photo.shape) // 2))]
            counts = np.bincount(np.arange(n_per_class) % len(regions), minlength=len(regions))
            for r, (region, count) in enumerate(zip(regions, counts, strict=True)):
                if count:
                    images.append(extract_patches(region, patch, n=int(count), seed=rng))
                    groups += [next_group + r] * int(count)
            next_group += len(regions)
        else:
            n_fields = -(-n_per_class // 4)
            for f in range(n_fields):
                count = min(4, n_per_class - 4 * f)
                images.append(extract_patches(load(side, rng), patch, n=count, seed=rng))
                groups += [next_group + f] * count
            next_group += n_fields
        labels += [label] * n_per_class
    return _assemble(images, labels, groups, names, sources, standardize)


# --------------------------------------------------------------------------
# A user's images
# --------------------------------------------------------------------------

#: Luminance weights (ITU-R BT.601, as Pillow's "L" mode) for colour scans.
_LUMA = np.array([0.299, 0.587, 0.114])


def _read_tiff(path: Path) -> np.ndarray:
    """A TIFF with tifffile: 8/16-bit or float values kept, colour to luminance."""
    import tifffile

    with tifffile.TiffFile(path) as tif:
        if len(tif.series) != 1 or len(tif.series[0].shape) > 3:
            raise ValueError(
                f"{len(tif.series)} series of shape {tif.series[0].shape}: a multi-page or "
                "stacked TIFF"
            )
        arr = tif.series[0].asarray()
    if arr.ndim == 3 and arr.shape[-1] in (3, 4):  # RGB(A), samples last
        arr = arr[..., :3].astype(np.float64) @ _LUMA
    elif arr.ndim == 3 and arr.shape[0] in (3, 4):  # planar RGB(A)
        arr = np.moveaxis(arr[:3].astype(np.float64), 0, -1) @ _LUMA
    return np.asarray(arr, dtype=np.float64)


def _read_gray(path: Path) -> np.ndarray:
    """Read one image file as a 2D float array (RGB(A) to luminance).

    TIFFs are read with tifffile when it is installed (16-bit colour and
    float scans, which Pillow cannot open), other formats with Pillow.
    """
    from PIL import Image, UnidentifiedImageError

    errors: tuple[type[BaseException], ...] = (UnidentifiedImageError, OSError, ValueError)
    try:
        arr = None
        if path.suffix.lower() in (".tif", ".tiff"):
            try:
                import tifffile

                errors += (tifffile.TiffFileError,)
                arr = _read_tiff(path)
            except ImportError:  # tifffile is optional: Pillow reads most grayscale TIFFs
                arr = None
        if arr is None:
            with Image.open(path) as im:
                if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
                    arr = np.asarray(im, dtype=np.float64)
                else:
                    arr = np.asarray(im.convert("L"), dtype=np.float64)
    except errors as exc:
        raise ValueError(
            f"cannot read the image file {str(path)!r} ({type(exc).__name__}: {exc}); "
            "remove it from the folder or convert it to PNG/TIFF."
        ) from None
    if arr.ndim != 2 or not np.all(np.isfinite(arr)):
        raise ValueError(
            f"image file {str(path)!r} did not give a finite 2D grayscale image (shape "
            f"{arr.shape}); convert it to an 8- or 16-bit grayscale PNG/TIFF."
        )
    return arr


def _image_files(folder: Path, *, nested_hint: bool = False) -> list[Path]:
    files = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith("."):
            continue  # hidden files (.DS_Store, thumbnails caches) are not data
        if p.is_dir():
            if nested_hint:
                raise ValueError(
                    f"folder {str(folder)!r} holds the sub-folder {p.name!r}: for nested "
                    "folders (e.g. manufacturer/brand/sheet/images) pass their names, "
                    "levels=('manufacturer', 'brand', 'sheet')."
                )
            continue
        if p.suffix.lower() not in IMAGE_EXTENSIONS:
            raise ValueError(
                f"{str(p)!r} is not an image file (extension {p.suffix!r}); the folder "
                f"may only hold images with extensions {', '.join(IMAGE_EXTENSIONS)} "
                "(and one sub-folder per class). Move it elsewhere."
            )
        files.append(p)
    return files


def _nested_files(folder: Path, levels: list[str]) -> list[tuple[tuple[str, ...], Path]]:
    """(folder names from the top, image file) for images ``len(levels)`` folders deep."""
    out: list[tuple[tuple[str, ...], Path]] = []

    def walk(current: Path, names: tuple[str, ...]) -> None:
        depth = len(names)
        if depth == len(levels):
            files = _image_files(current, nested_hint=False)
            subdirs = [p.name for p in current.iterdir() if p.is_dir() and p.name[0] != "."]
            if subdirs:
                raise ValueError(
                    f"folder {str(current)!r} (level {levels[-1]!r}) holds the sub-folder "
                    f"{subdirs[0]!r}, but `levels` names {len(levels)} levels of folders; "
                    "add the level to `levels` or move its images up."
                )
            if not files:
                raise ValueError(
                    f"folder {str(current)!r} (level {levels[-1]!r}) holds no image; add "
                    "images or remove it."
                )
            out.extend((names, f) for f in files)
            return
        entries = [p for p in sorted(current.iterdir()) if not p.name.startswith(".")]
        loose = [p.name for p in entries if not p.is_dir()]
        if loose:
            raise ValueError(
                f"folder {str(current)!r} should hold one sub-folder per {levels[depth]!r} "
                f"but holds the file {loose[0]!r}; images belong {len(levels) - depth} "
                "folder(s) deeper (or shorten `levels`)."
            )
        if not entries:
            raise ValueError(
                f"folder {str(current)!r} holds no {levels[depth]!r} sub-folder; remove it."
            )
        for p in entries:
            walk(p, names + (p.name,))

    walk(folder, ())
    return out


def _read_metadata(metadata, folder: Path):
    """The metadata table (a CSV path or a DataFrame) and its name for messages."""
    import pandas as pd

    if isinstance(metadata, pd.DataFrame):
        table, name = metadata.copy(), "the metadata table"
    else:
        path = Path(metadata)
        if not path.is_absolute() and not path.exists():
            path = folder / path
        try:
            table = pd.read_csv(path)
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"cannot read the metadata CSV {str(path)!r} ({type(exc).__name__}: {exc}); "
                "pass the path of a CSV file with a 'file' column."
            ) from None
        name = f"metadata CSV {str(path)!r}"
    if "file" not in table.columns:
        raise ValueError(
            f"{name} has no 'file' column (columns: {list(table.columns)}); add one naming "
            "each image (its path relative to the folder, or its file name)."
        )
    keys = table["file"].astype(str).str.replace("\\", "/", regex=False).str.strip()
    dup = keys[keys.duplicated()]
    if len(dup):
        raise ValueError(
            f"{name} has several rows for the image {dup.iloc[0]!r}; keep one row per image."
        )
    return table.assign(file=keys), name


def _join_metadata(meta, metadata, folder: Path):
    """Join the user's metadata rows to the per-image table ``meta`` (column ``file``)."""
    table, name = _read_metadata(metadata, folder)
    names = meta["file"].map(lambda f: f.rsplit("/", 1)[-1])
    unique_names = ~names.duplicated(keep=False)
    by_path = dict(zip(meta["file"], meta.index, strict=True))
    by_name = dict(zip(names[unique_names], meta.index[unique_names], strict=True))
    row_of_image: dict[int, int] = {}
    extra = []
    for r, key in enumerate(table["file"]):
        i = by_path.get(key, by_name.get(key))
        if i is None or i in row_of_image:
            extra.append(key)
        else:
            row_of_image[i] = r
    if extra:
        warnings.warn(
            f"{name}: {len(extra)} row(s) name no image of {str(folder)!r} (ignored): "
            f"{', '.join(map(repr, extra[:5]))}{', ...' if len(extra) > 5 else ''}.",
            UserWarning,
            stacklevel=3,
        )
    missing = [meta["file"].iloc[i] for i in range(len(meta)) if i not in row_of_image]
    if missing:
        warnings.warn(
            f"{name} has no row for {len(missing)} image(s) (their metadata are left "
            f"empty): {', '.join(map(repr, missing[:5]))}{', ...' if len(missing) > 5 else ''}.",
            UserWarning,
            stacklevel=3,
        )
    rows = [row_of_image.get(i, -1) for i in range(len(meta))]
    extra_cols = table.drop(columns=["file"])
    joined = extra_cols.reindex(rows).reset_index(drop=True)  # -1 is absent: an empty row
    for col in list(joined.columns):
        if col in meta.columns:
            agree = (joined[col].isna()) | (joined[col].astype(str) == meta[col].astype(str))
            if not agree.all():
                bad = meta["file"][~agree].iloc[0]
                warnings.warn(
                    f"{name}: column {col!r} disagrees with the folders for {bad!r} (and "
                    f"{int((~agree).sum()) - 1} other(s)); the folders' value is kept.",
                    UserWarning,
                    stacklevel=3,
                )
            joined = joined.drop(columns=[col])
    return meta.join(joined)


def load_image_folder(
    path: str | Path,
    *,
    levels: Sequence[str] | None = None,
    metadata=None,
    patch: int | None = None,
    stride: int | None = None,
    standardize: bool = True,
) -> TextureDatabase:
    """Load a user's grayscale texture images, labelled by sub-folder.

    Layouts:

    - ``path/<class name>/<image files>``: one sub-folder per class;
    - ``path/<image files>``: unlabelled (every label is -1);
    - with ``levels``, nested folders, one level each, e.g.
      ``path/<manufacturer>/<brand>/<sheet>/<image files>`` with
      ``levels=("manufacturer", "brand", "sheet")``: the class of an image is
      its deepest folder (``"manufacturer/brand/sheet"``) and every level is a
      column of ``metadata``.

    Colour images are converted to luminance; 16-bit and float TIFFs keep
    their values (read with tifffile, which also opens 16-bit colour scans).
    Hidden files are ignored.

    Parameters
    ----------
    path : str or Path
        The folder.
    levels : sequence of str, optional
        Names of the levels of nested folders, coarse to fine.
    metadata : str, Path or pandas.DataFrame, optional
        A CSV (path absolute or relative to the folder) or a table with a
        ``file`` column (path of the image relative to ``path``, with ``/``,
        or its bare file name when unique) and any other columns (date,
        manufacturer, notes...), joined to the images. Rows naming no image
        and images without a row raise a ``UserWarning`` naming the CSV and
        the files; a duplicated image or a missing ``file`` column raise.
    patch : int, optional
        Cut every image into ``patch x patch`` tiles (see :func:`extract_patches`);
        each image is then one group. Without it every image must have the same
        size and is one patch.
    stride : int, optional
        Tile step in pixels (default ``patch``: non-overlapping).
    standardize : bool, default True
        Zero mean and unit variance per patch.

    Returns
    -------
    TextureDatabase
        ``sources`` holds the file of each group; ``metadata`` one row per
        patch (``file``, the levels, the CSV columns), ``levels`` the levels.

    Raises
    ------
    ValueError
        Missing or empty folder, a file that is not an image or cannot be
        read (the message names it), images of different sizes without
        ``patch``, an image smaller than ``patch``, nested folders without
        ``levels`` or not matching them, a bad metadata CSV.

    Examples
    --------
    >>> from textures_nb.data import load_image_folder
    >>> db = load_image_folder(
    ...     "my_papers", levels=("manufacturer", "brand", "sheet"), metadata="notes.csv"
    ... )  # doctest: +SKIP
    """
    import pandas as pd

    folder = Path(path)
    if not folder.is_dir():
        raise ValueError(f"`path`={str(path)!r} is not a folder; pass the folder of your images.")
    if levels is not None:
        if isinstance(levels, str) or not all(isinstance(v, str) and v for v in levels):
            raise TypeError(
                f"`levels` must be a sequence of level names such as ('manufacturer', "
                f"'brand', 'sheet'), got {levels!r}."
            )
        levels = list(levels)
        if not levels or len(set(levels)) < len(levels) or {"file", "label"} & set(levels):
            raise ValueError(
                f"`levels`={levels!r} must hold distinct names, other than 'file' and 'label'."
            )
    subdirs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    level_values: list[tuple[str, ...]] = []
    if levels is not None:
        nested = _nested_files(folder, levels)
        class_names = sorted({"/".join(names) for names, _ in nested})
        index = {c: i for i, c in enumerate(class_names)}
        labelled = [(index["/".join(names)], f) for names, f in nested]
        level_values = [names for names, _ in nested]
    elif subdirs:
        stray = [p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
        if stray:
            raise ValueError(
                f"folder {str(folder)!r} mixes class sub-folders and loose files ({stray[0]!r}, "
                "...); move every image into the sub-folder of its class."
            )
        class_names = [p.name for p in subdirs]
        per_class = [_image_files(p, nested_hint=True) for p in subdirs]
        for name, files in zip(class_names, per_class, strict=True):
            if not files:
                raise ValueError(
                    f"class folder {str(folder / name)!r} holds no image; add images or remove it."
                )
        labelled = [(c, f) for c, files in enumerate(per_class) for f in files]
    else:
        class_names = []
        labelled = [(-1, f) for f in _image_files(folder)]
    if not labelled:
        raise ValueError(
            f"folder {str(folder)!r} holds no image file (extensions "
            f"{', '.join(IMAGE_EXTENSIONS)}); point `path` at your images."
        )
    # one row per image: its file, its levels, then the user's metadata
    per_image = pd.DataFrame({"file": [f.relative_to(folder).as_posix() for _, f in labelled]})
    for depth, level in enumerate(levels or []):
        per_image[level] = [names[depth] for names in level_values]
    if metadata is not None:
        per_image = _join_metadata(per_image, metadata, folder)
    if patch is not None:
        patch = check_positive_int(patch, "patch", minimum=2)
    images, labels, groups = [], [], []
    shapes: dict[tuple[int, ...], Path] = {}
    for g, (label, f) in enumerate(labelled):
        arr = _read_gray(f)
        if patch is None:
            shapes.setdefault(arr.shape, f)
            if len(shapes) > 1:
                (s0, f0), (s1, f1) = list(shapes.items())[:2]
                raise ValueError(
                    f"images have different sizes: {str(f0)!r} is {s0[0]} x {s0[1]} but "
                    f"{str(f1)!r} is {s1[0]} x {s1[1]} pixels; pass `patch` (e.g. "
                    f"patch={min(min(s0), min(s1))}) to cut every image into equal patches."
                )
            tiles = arr[None]
        else:
            if min(arr.shape) < patch:
                raise ValueError(
                    f"image {str(f)!r} ({arr.shape[0]} x {arr.shape[1]} pixels) is smaller "
                    f"than `patch`={patch}; use a smaller patch or remove the image."
                )
            tiles = extract_patches(arr, patch, stride=stride)
        images.append(tiles)
        labels += [label] * len(tiles)
        groups += [g] * len(tiles)
    db = _assemble(
        images, labels, groups, class_names, [str(f) for _, f in labelled], standardize
    )
    db.metadata = per_image.iloc[db.groups].reset_index(drop=True)
    db.levels = list(levels or [])
    return db
