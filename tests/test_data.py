"""Tests of textures_nb.data: demonstration database, held-out splits, image folders."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from textures_nb.data import (
    DEMO_CLASSES,
    demo_database,
    extract_patches,
    load_image_folder,
    standardize_patches,
)

SMALL = ["brick", "gravel", "fbf H=0.2", "aniso 0 deg"]


def _locate(photo: np.ndarray, p: np.ndarray) -> tuple[int, int] | None:
    """Top-left corner of the crop ``p`` of ``photo``, or None."""
    n = p.shape[0]
    head = photo[: photo.shape[0] - n + 1, : photo.shape[1] - n + 1]
    for r, c in np.argwhere(head == p[0, 0]):
        if np.array_equal(photo[r : r + n, c : c + n], p):
            return int(r), int(c)
    return None


# --------------------------------------------------------------------------
# Patches
# --------------------------------------------------------------------------


def test_extract_patches_grid_matches_slicing():
    img = np.arange(100.0 * 120).reshape(100, 120)
    tiles = extract_patches(img, 32)
    assert tiles.shape == (3 * 3, 32, 32)
    np.testing.assert_array_equal(tiles[4], img[32:64, 32:64])  # row 1, column 1
    overlapping = extract_patches(img, 32, stride=16)
    assert overlapping.shape == (5 * 6, 32, 32)
    np.testing.assert_array_equal(overlapping[1], img[0:32, 16:48])


def test_extract_patches_random_are_sub_images():
    img = np.arange(64.0 * 64).reshape(64, 64)
    tiles = extract_patches(img, 16, n=20, seed=3)
    assert tiles.shape == (20, 16, 16)
    for t in tiles:  # a true crop: consecutive values along rows and columns
        r, c = divmod(int(t[0, 0]), 64)
        np.testing.assert_array_equal(t, img[r : r + 16, c : c + 16])
    np.testing.assert_array_equal(tiles, extract_patches(img, 16, n=20, seed=3))


def test_extract_patches_errors():
    with pytest.raises(ValueError, match="larger than the image"):
        extract_patches(np.zeros((10, 20)), 16)
    with pytest.raises(ValueError, match="dimension"):
        extract_patches(np.zeros((2, 10, 20)), 4)


def test_standardize_patches():
    x = np.random.default_rng(0).normal(3, 5, size=(4, 8, 8))
    x[2] = 7.0  # constant patch
    z = standardize_patches(x)
    np.testing.assert_allclose(z.mean(axis=(1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(z[[0, 1, 3]].std(axis=(1, 2)), 1)
    assert np.all(z[2] == 0)


# --------------------------------------------------------------------------
# Demonstration database
# --------------------------------------------------------------------------


def test_demo_database_layout_and_reproducibility():
    db = demo_database(n_per_class=10, patch=32, classes=SMALL, seed=1)
    assert db.images.shape == (40, 32, 32)
    assert db.class_names == SMALL
    np.testing.assert_array_equal(np.bincount(db.labels), [10] * 4)
    np.testing.assert_allclose(db.images.std(axis=(1, 2)), 1)
    # groups belong to a single class
    for g in np.unique(db.groups):
        assert np.unique(db.labels[db.groups == g]).size == 1
    again = demo_database(n_per_class=10, patch=32, classes=SMALL, seed=1)
    np.testing.assert_array_equal(db.images, again.images)
    other = demo_database(n_per_class=10, patch=32, classes=SMALL, seed=2)
    assert not np.allclose(db.images, other.images)


def test_demo_database_real_patches_come_from_the_photograph():
    import skimage.data

    db = demo_database(n_per_class=6, patch=32, classes=["brick"], standardize=False)
    photo = skimage.data.brick().astype(float)
    for p in db.images:
        assert _locate(photo, p) is not None


def test_demo_database_default_classes():
    assert {"brick", "grass", "gravel", "fbf H=0.2", "mrw c2=-0.16"} <= set(DEMO_CLASSES)
    db = demo_database(n_per_class=4, patch=32)
    assert db.n_classes == len(db.class_names) >= 11


def test_demo_database_errors():
    with pytest.raises(ValueError, match="unknown names"):
        demo_database(classes=["brick", "velvet"])
    with pytest.raises(TypeError, match="list of names"):
        demo_database(classes="brick")
    with pytest.raises(ValueError, match="patch"):
        demo_database(patch=512)


def test_split_holds_out_whole_groups_of_every_class():
    db = demo_database(n_per_class=16, patch=32, classes=SMALL)
    base, queries = db.split(0.25, seed=0)
    assert len(base) + len(queries) == len(db)
    assert not set(base.groups) & set(queries.groups)
    for c in range(db.n_classes):
        n_q = int(np.sum(queries.labels == c))
        assert 1 <= n_q < 16
        assert np.sum(base.labels == c) >= 1


def test_split_queries_do_not_overlap_database_patches_of_a_photograph():
    import skimage.data

    db = demo_database(n_per_class=32, patch=32, classes=["gravel"], standardize=False)
    base, queries = db.split(0.3, seed=1)
    photo = skimage.data.gravel().astype(float)

    def footprint(patches):
        mask = np.zeros(photo.shape, dtype=bool)
        for p in patches:
            r, c = _locate(photo, p)
            mask[r : r + 32, c : c + 32] = True
        return mask

    assert not np.any(footprint(base.images) & footprint(queries.images))


def test_split_needs_two_groups():
    db = demo_database(n_per_class=4, patch=32, classes=["fbf H=0.2"])  # one realisation
    with pytest.raises(ValueError, match="single group"):
        db.split()


# --------------------------------------------------------------------------
# Image folders
# --------------------------------------------------------------------------


def _save(path, array):
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(path)


def test_load_image_folder_by_class(tmp_path):
    rng = np.random.default_rng(0)
    stored = {}
    for cls in ("cotton", "silk"):
        (tmp_path / cls).mkdir()
        for i in range(2):
            img = rng.integers(0, 256, size=(40, 48))
            _save(tmp_path / cls / f"{i}.png", img)
            stored[(cls, i)] = img
    (tmp_path / ".DS_Store").write_bytes(b"\x00")  # hidden files are ignored
    db = load_image_folder(tmp_path, standardize=False)
    assert db.class_names == ["cotton", "silk"]
    np.testing.assert_array_equal(db.labels, [0, 0, 1, 1])
    np.testing.assert_array_equal(db.images[3], stored[("silk", 1)])
    tiles = load_image_folder(tmp_path, patch=16)
    assert tiles.images.shape == (4 * 2 * 3, 16, 16)
    np.testing.assert_array_equal(np.bincount(tiles.groups), [6] * 4)


def test_load_image_folder_flat_and_colour(tmp_path):
    rgb = np.zeros((20, 20, 3), dtype=np.uint8)
    rgb[..., 1] = 200  # pure green: luminance 0.587 * 200
    Image.fromarray(rgb).save(tmp_path / "a.png")
    _save(tmp_path / "b.jpg", np.full((20, 20), 50))
    db = load_image_folder(tmp_path, standardize=False)
    assert db.class_names == []
    np.testing.assert_array_equal(db.labels, [-1, -1])
    assert abs(db.images[0].mean() - 0.587 * 200) < 1.5


def test_load_image_folder_errors_name_the_item(tmp_path):
    with pytest.raises(ValueError, match="not a folder"):
        load_image_folder(tmp_path / "missing")
    with pytest.raises(ValueError, match="holds no image"):
        load_image_folder(tmp_path)
    _save(tmp_path / "small.png", np.zeros((20, 30)))
    _save(tmp_path / "large.png", np.ones((40, 30)))
    with pytest.raises(ValueError, match=r"different sizes.*large\.png.*small\.png.*patch"):
        load_image_folder(tmp_path)
    with pytest.raises(ValueError, match=r"small\.png.*smaller than `patch`"):
        load_image_folder(tmp_path, patch=25)
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(ValueError, match=r"notes\.txt.*not an image file"):
        load_image_folder(tmp_path, patch=16)
    (tmp_path / "notes.txt").unlink()
    (tmp_path / "broken.png").write_bytes(b"PNG? no")
    with pytest.raises(ValueError, match=r"cannot read the image file.*broken\.png"):
        load_image_folder(tmp_path, patch=16)


def test_load_image_folder_empty_class(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _save(tmp_path / "a" / "x.png", np.zeros((8, 8)))
    with pytest.raises(ValueError, match=r"class folder .*b.* holds no image"):
        load_image_folder(tmp_path)


# --------------------------------------------------------------------------
# Nested folders, 16-bit TIFF scans, metadata CSV
# --------------------------------------------------------------------------


def _paper_tree(root, rng):
    """manufacturer/brand/sheet/image.tif, 16-bit grayscale TIFFs."""
    import tifffile

    stored = {}
    for m, b, s in itertools.product(("Agfa", "Kodak"), ("B1", "B2"), ("S1",)):
        folder = root / m / b / s
        folder.mkdir(parents=True)
        for i in range(2):
            img = rng.integers(0, 65536, size=(24, 32)).astype(np.uint16)
            tifffile.imwrite(folder / f"scan{i}.tif", img)
            stored[f"{m}/{b}/{s}/scan{i}.tif"] = img
    return stored


def test_nested_folders_and_16_bit_tiffs(tmp_path):
    stored = _paper_tree(tmp_path, np.random.default_rng(0))
    levels = ("manufacturer", "brand", "sheet")
    db = load_image_folder(tmp_path, levels=levels, standardize=False)
    t = db.table()
    assert db.levels == list(levels) and len(db) == 8
    assert db.class_names == ["Agfa/B1/S1", "Agfa/B2/S1", "Kodak/B1/S1", "Kodak/B2/S1"]
    for i, f in enumerate(t["file"]):
        np.testing.assert_array_equal(db.images[i], stored[f])  # 16-bit values kept
        assert t.loc[i, "manufacturer"] == f.split("/")[0] and t.loc[i, "brand"] == f.split("/")[1]
    assert db.images.max() > 255
    # tiles keep the metadata of their image
    tiles = load_image_folder(tmp_path, levels=levels, patch=12)
    assert len(tiles) == 8 * 4 and (tiles.table()["file"].iloc[:4] == t["file"].iloc[0]).all()
    # without levels, nested folders are refused with the fix
    with pytest.raises(ValueError, match=r"sub-folder 'B1'.*levels="):
        load_image_folder(tmp_path)
    with pytest.raises(ValueError, match="sub-folder 'S1'.*names 2 levels"):
        load_image_folder(tmp_path, levels=("manufacturer", "brand"))
    with pytest.raises(TypeError, match="levels"):
        load_image_folder(tmp_path, levels="manufacturer")
    (tmp_path / "Agfa" / "readme.png").write_bytes(b"")
    with pytest.raises(ValueError, match=r"Agfa.*one sub-folder per 'brand'.*readme\.png"):
        load_image_folder(tmp_path, levels=levels)


def test_colour_16_bit_tiff_becomes_luminance(tmp_path):
    import tifffile

    rgb = np.zeros((16, 16, 3), dtype=np.uint16)
    rgb[..., 1] = 40000
    tifffile.imwrite(tmp_path / "a.tif", rgb, photometric="rgb")
    db = load_image_folder(tmp_path, standardize=False)
    np.testing.assert_allclose(db.images[0], 0.587 * 40000)
    tifffile.imwrite(tmp_path / "a.tif", np.zeros((3, 16, 16), np.uint16), photometric="rgb",
                     planarconfig="separate")  # fmt: skip
    assert load_image_folder(tmp_path, standardize=False).images.shape == (1, 16, 16)


def test_metadata_csv_is_joined_and_mismatches_name_the_file(tmp_path):
    _paper_tree(tmp_path / "scans", np.random.default_rng(1))
    levels = ("manufacturer", "brand", "sheet")
    csv = tmp_path / "notes.csv"
    rows = pd.DataFrame(
        {
            "file": ["Agfa/B1/S1/scan0.tif", "scan1.tif", "Kodak/B2/S1/scan1.tif", "lost.tif"],
            "date": [1935, 1936, 1950, 1960],
            "notes": ["", "", "toned", "x"],
        }
    )
    rows.to_csv(csv, index=False)
    # "scan1.tif" names several images: not a unique bare name, so it is an extra row
    extra = r"notes\.csv.*2 row\(s\) name no image.*'scan1\.tif'.*'lost\.tif'"
    missing = r"notes\.csv.*no row for 6 image\(s\).*Agfa/B1/S1/scan1"
    with pytest.warns(UserWarning, match=extra), pytest.warns(UserWarning, match=missing):
        db = load_image_folder(tmp_path / "scans", levels=levels, metadata=csv)
    t = db.table().set_index("file")
    assert t.loc["Agfa/B1/S1/scan0.tif", "date"] == 1935
    assert t.loc["Kodak/B2/S1/scan1.tif", "notes"] == "toned"
    assert pd.isna(t.loc["Agfa/B2/S1/scan0.tif", "date"])
    # a bare unique name matches, a relative CSV path is looked up in the folder too
    flat = tmp_path / "flat"
    flat.mkdir()
    for name in ("a.png", "b.png"):
        _save(flat / name, np.random.default_rng(0).integers(0, 256, (8, 8)))
    pd.DataFrame({"file": ["a.png", "b.png"], "manufacturer": ["Agfa", "Ilford"]}).to_csv(
        flat / "meta.csv", index=False
    )
    (flat / "meta.csv").rename(tmp_path / "meta.csv")
    db = load_image_folder(flat, metadata=tmp_path / "meta.csv")
    assert db.table()["manufacturer"].tolist() == ["Agfa", "Ilford"]
    # errors name the CSV
    pd.DataFrame({"name": ["a.png"]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError, match=r"bad\.csv.*no 'file' column"):
        load_image_folder(flat, metadata=tmp_path / "bad.csv")
    pd.DataFrame({"file": ["a.png", "a.png"]}).to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(ValueError, match=r"dup\.csv.*several rows for the image 'a\.png'"):
        load_image_folder(flat, metadata=tmp_path / "dup.csv")
    with pytest.raises(ValueError, match=r"cannot read the metadata CSV.*missing\.csv"):
        load_image_folder(flat, metadata=tmp_path / "missing.csv")
    # a CSV column that disagrees with the folders: warned, the folders win
    pd.DataFrame({"file": ["Agfa/B1/S1/scan0.tif"], "brand": ["B9"]}).to_csv(
        tmp_path / "clash.csv", index=False
    )
    clash = r"clash\.csv.*'brand' disagrees.*Agfa/B1/S1/scan0"
    with pytest.warns(UserWarning, match=clash), pytest.warns(UserWarning, match="no row for 7"):
        db = load_image_folder(tmp_path / "scans", levels=levels, metadata=tmp_path / "clash.csv")
    assert db.table()["brand"].iloc[0] == "B1"
