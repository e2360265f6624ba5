"""Tests of textures_nb.paper: the raking-light simulator and the hierarchy scores.

Known truth: the shading of planes (closed form), the anisotropy of the surface
(sign flips with a 90 degree rotation, vanishes for equal exponents), hierarchy
scores of features built with a known tree, triplet shares against a brute-force
count. The acceptance on a simulated collection (hyperbolic features against
isotropic ones) is marked slow; the full study at 512 pixels over seeds is in
benchmarks/bench_paper.py.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from textures_nb import paper
from textures_nb import similarity as sim
from textures_nb._shared.hyperbolic import hyperbolic_details

# --------------------------------------------------------------------------
# Surface and rendering
# --------------------------------------------------------------------------


def _anisotropy(h: np.ndarray) -> float:
    """Difference of the plane exponents (rows minus columns) of the hyperbolic energies."""
    d = hyperbolic_details(h, ((0,), (1,)), levels=(4, 4))
    grid = np.array([[np.log2(np.mean(d[(a, b)] ** 2)) for b in range(1, 5)] for a in range(1, 5)])
    return float(sim._plane_exponents(grid[None])[0, 2])


def test_surface_anisotropy_follows_the_exponents_and_the_orientation():
    kw = dict(grain=1e4, fibre_share=0.0)
    an = {}
    for (ha, hc), o in itertools.product([(0.8, 0.3), (0.6, 0.45), (0.5, 0.5)], (0.0, 90.0)):
        surfaces = [
            paper.paper_surface(128, h_along=ha, h_across=hc, orientation=o, seed=s, **kw)
            for s in range(3)
        ]
        values = [_anisotropy(h) for h in surfaces]
        an[(ha, hc, o)] = np.mean(values)
    # equal exponents: isotropic; a 90 degree rotation flips the sign; larger gap, larger index
    assert abs(an[(0.5, 0.5, 0.0)]) < 0.15 and abs(an[(0.5, 0.5, 90.0)]) < 0.15, an
    for ha, hc in [(0.8, 0.3), (0.6, 0.45)]:
        assert an[(ha, hc, 0.0)] > 0.2 and an[(ha, hc, 90.0)] < -0.2, an
    assert an[(0.8, 0.3, 0.0)] > an[(0.6, 0.45, 0.0)] + 0.3, an


def test_fibres_are_oriented():
    # fibres alone, well aligned along the columns axis: the height varies across them
    for o, sign in [(0.0, -1), (90.0, 1)]:
        h = paper.paper_surface(128, fibre_share=1.0, alignment=20.0, orientation=o, seed=0)
        F = sim.features(h[None], "orientation", progress=False)[0]
        assert sign * F[0] > 0.5, F[:3]  # (Txx - Tyy) / (Txx + Tyy) at the finest scale


def test_surface_unit_slope_and_errors():
    h = paper.paper_surface((64, 96), seed=1)
    gy, gx = np.gradient(h)
    assert h.shape == (64, 96) and abs(np.mean(gx**2 + gy**2) - 1) < 0.05
    np.testing.assert_array_equal(h, paper.paper_surface((64, 96), seed=1))
    with pytest.raises(ValueError, match="h_along"):
        paper.paper_surface(64, h_along=1.2)
    with pytest.raises(ValueError, match="grain"):
        paper.paper_surface(64, grain=0)
    with pytest.raises(ValueError, match="shape"):
        paper.paper_surface(8)


def test_raking_light_of_planes_is_lambert():
    # a plane z = a x (x: columns) lit from azimuth 0 at elevation e: n.L / sin e
    a, e = 0.1, 10.0
    plane = a * np.tile(np.arange(32.0), (32, 1))
    el = math.radians(e)
    expected = (-a * math.cos(el) + math.sin(el)) / math.sqrt(1 + a**2) / math.sin(el)
    img = paper.raking_light(plane, relief=1.0, azimuth=0.0, elevation=e)
    np.testing.assert_allclose(img, expected, rtol=1e-12)
    # facing away more steeply than the light: in shadow
    assert paper.raking_light(3 * plane, relief=1.0, elevation=e).max() == 0.0
    # the light from the other side sees the mirror slope; gloss is a power law
    lit = paper.raking_light(plane, relief=1.0, azimuth=180.0, elevation=e)
    np.testing.assert_allclose(
        paper.raking_light(plane, relief=1.0, azimuth=180.0, elevation=e, gloss=0.5), lit**2
    )
    with pytest.raises(ValueError, match="gloss"):
        paper.raking_light(plane, gloss=2.0)


# --------------------------------------------------------------------------
# Simulated collections
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_collection():
    return paper.simulate_papers(2, 2, 2, 4, size=64, seed=3, progress=False)


def test_collection_layout_and_reproducibility(small_collection):
    db = small_collection
    t = db.table()
    assert db.images.shape == (32, 64, 64) and db.levels == list(paper.LEVELS)
    assert t.groupby("sheet").size().tolist() == [4] * 8
    assert t.groupby("manufacturer")["brand"].nunique().tolist() == [2, 2]
    # brands of a manufacturer: grain long and grain short; sheets jitter around them
    orient = t.groupby("brand")["orientation"].mean().to_numpy() % 180
    assert np.all(np.minimum(np.abs(orient - 0), np.abs(orient - 180)) < 15 + 75 * (orient > 45))
    params = t.groupby("sheet")[["grain", "gloss"]].first()
    assert params["grain"].nunique() == 8  # every sheet has its own batch
    again = paper.simulate_papers(2, 2, 2, 4, size=64, seed=3, progress=False)
    np.testing.assert_array_equal(again.images, db.images)
    sub = db.subset(t["manufacturer"].to_numpy() == "M2")
    assert set(sub.table()["manufacturer"]) == {"M2"} and len(sub) == 16


def test_mean_grey_level_tells_nothing():
    # exposure varies per patch: the mean grey level retrieves sheets at about chance level
    db = paper.simulate_papers(2, 2, 2, 6, size=48, seed=0, progress=False)
    s = paper.hierarchy_scores(db.images.mean(axis=(1, 2))[:, None], db, k=3)
    t = s.table()
    assert t.loc["sheet", "precision"] < t.loc["sheet", "chance"] + 0.25, t


def test_simulate_errors():
    with pytest.raises(ValueError, match="n_sheets"):
        paper.simulate_papers(2, 2, 0, progress=False)
    with pytest.raises(ValueError, match="priors"):
        paper.simulate_papers(1, 1, 1, 2, size=32, priors={"colour": (0, 1)}, progress=False)


# --------------------------------------------------------------------------
# Hierarchy scores
# --------------------------------------------------------------------------


def _tree_features(seed: int, noise: float):
    """Features built from a known tree: manufacturer + brand + sheet offsets + noise."""
    rng = np.random.default_rng(seed)
    rows, feats = [], []
    for m in range(3):
        cm = 10 * rng.standard_normal(6)
        for b in range(2):
            cb = cm + 3 * rng.standard_normal(6)
            for s in range(2):
                cs = cb + 1 * rng.standard_normal(6)
                for _ in range(6):
                    feats.append(cs + noise * rng.standard_normal(6))
                    rows.append({"manufacturer": f"m{m}", "brand": f"b{b}", "sheet": f"s{s}"})
    return np.array(feats), pd.DataFrame(rows)


def test_known_tree_is_recovered_and_noise_is_chance():
    F, t = _tree_features(0, 0.1)
    s = paper.hierarchy_scores(F, t, k=5, standardize=False)
    assert np.allclose(s.table()["precision"], 1.0)
    assert (s.triplets["share"] == 1.0).all()
    assert s.cophenetic > 0.9
    # brand "b0" of two manufacturers are two brands
    assert paper.hierarchy_depth(t)[0, 12] == 1 and paper.hierarchy_depth(t)[0, 24] == 0
    F = np.random.default_rng(1).standard_normal(F.shape)
    s = paper.hierarchy_scores(F, t, k=5)
    chance = s.table()["chance"]
    assert np.all(np.abs(s.table()["precision"] - chance) < 0.12), s.table()
    assert np.all(np.abs(s.triplets["share"] - 0.5) < 0.1) and abs(s.cophenetic) < 0.3


def test_triplet_share_matches_brute_force():
    F, t = _tree_features(2, 3.0)
    s = paper.hierarchy_scores(F, t, k=3)
    D, depth = s.D, paper.hierarchy_depth(t)
    n = len(F)
    wins = count = 0
    for a in range(n):
        pos = [p for p in range(n) if p != a and depth[a, p] == 2]  # same brand, other sheet
        neg = [q for q in range(n) if depth[a, q] == 0]  # other manufacturer
        for p in pos:
            for q in neg:
                wins += (D[a, p] < D[a, q]) + 0.5 * (D[a, p] == D[a, q])
                count += 1
    assert s.triplet("same brand", "other manufacturer") == pytest.approx(wins / count)
    assert int(s.triplets.set_index(["closer", "farther"]).loc[
        ("same brand", "other manufacturer"), "count"]) == count  # fmt: skip
    with pytest.raises(ValueError, match="available"):
        s.triplet("same page", "other manufacturer")


def test_scores_errors_and_figures():
    F, t = _tree_features(0, 0.1)
    with pytest.raises(ValueError, match="column 'colour'"):
        paper.hierarchy_scores(F, t, levels=["colour"])
    with pytest.raises(ValueError, match="rows for"):
        paper.hierarchy_scores(F[:10], t)
    with pytest.raises(ValueError, match="`k`"):
        paper.hierarchy_scores(F, t, k=len(F))
    s = paper.hierarchy_scores(F, t)
    fig = s.plot()
    assert len(fig.data) == 1 + 3  # the tree and one trace per manufacturer
    assert sum(len(tr.x) for tr in fig.data[1:]) == len(F)
    assert len(repr(s)) < 300


# --------------------------------------------------------------------------
# Feature families on a simulated collection
# --------------------------------------------------------------------------


def test_compare_and_study_small(small_collection):
    cmp = paper.compare_hierarchy(small_collection, ["isotropic", "hyperbolic+orientation"], k=3,
                                  progress=False)  # fmt: skip
    t = cmp.table()
    assert list(t.index) == ["isotropic", "hyperbolic+orientation"]
    assert {"precision sheet", "same brand < other manufacturer", "cophenetic"} <= set(t.columns)
    assert cmp.features["hyperbolic+orientation"].shape[0] == 32
    fig = cmp.plot()
    assert len(fig.data) == 3
    thumbs = paper.plot_thumbnails(small_collection)
    assert len(thumbs.data) == 8
    st = paper.hierarchy_study(["isotropic"], [0, 1], k=2, progress=False,
                               simulate=dict(n_manufacturers=2, n_brands=2, n_sheets=1,
                                             n_patches=3, size=48))  # fmt: skip
    summary = st.table()
    assert summary.loc[("isotropic", "cophenetic"), "n"] == 2
    assert len(st.plot("cophenetic").data) == 1


@pytest.mark.slow
def test_hyperbolic_features_recover_the_hierarchy_and_beat_isotropic_on_orientation():
    # acceptance on a reduced collection (256 pixels; the benchmark runs 512 over seeds):
    # margins below the benchmark's figures, which are 1.0 and >= 0.99 at 512 pixels
    db = paper.simulate_papers(size=256, seed=0, progress=False)
    cmp = paper.compare_hierarchy(db, ["hyperbolic", "isotropic"], progress=False)
    hyp, iso = cmp.scores["hyperbolic"], cmp.scores["isotropic"]
    assert hyp.table().loc["sheet", "precision"] >= 0.8
    assert hyp.triplet("same brand", "other manufacturer") >= 0.95
    # brands of a manufacturer differ by their fibre orientation only
    assert hyp.triplet("same brand", "other brand") > iso.triplet("same brand", "other brand") + 0.1
    assert hyp.table().loc["brand", "precision"] > iso.table().loc["brand", "precision"] + 0.03
