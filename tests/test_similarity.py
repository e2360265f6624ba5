"""Tests of textures_nb.similarity.

Nearest neighbours and dissimilarities are checked against scikit-learn and
SciPy; features against known truth (Hurst index and orientation of
fractional Brownian fields, invariances); evaluation against hand-computable
cases and chance levels.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.metrics import average_precision_score
from sklearn.neighbors import NearestNeighbors

from textures_nb import similarity as sim
from textures_nb.data import demo_database
from textures_nb.processes import fbf, fbm

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def small_db():
    db = demo_database(
        n_per_class=16, patch=64, classes=["brick", "fbf H=0.2", "fbf H=0.8", "aniso 0 deg"]
    )
    return db.split(0.25, seed=0)


# --------------------------------------------------------------------------
# Nearest neighbours and dissimilarities
# --------------------------------------------------------------------------


BACKENDS = ["numpy"] + (["faiss"] if sim._faiss_module() is not None else [])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
@pytest.mark.parametrize("seed", SEEDS)
def test_nearest_matches_sklearn_brute(metric, seed, backend):
    rng = np.random.default_rng(seed)
    F = rng.standard_normal((500, 12)) * rng.uniform(0.1, 10, size=12)
    Q = rng.standard_normal((37, 12)) * 3
    Z = sim.standardize_features(F)
    Zq = sim.standardize_features(Q, F)
    ref = NearestNeighbors(n_neighbors=7, algorithm="brute", metric=metric).fit(Z)
    # small blocks so that queries and database are both split and merged
    idx, dist = sim.nearest(F, 7, Q, metric=metric, chunk=5, db_chunk=64, backend=backend)
    ref_dist, ref_idx = ref.kneighbors(Zq)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(dist, ref_dist, atol=1e-9)
    # no query: every item against the others, itself excluded
    idx, dist = sim.nearest(F, 7, metric=metric, chunk=33, db_chunk=50, backend=backend)
    ref_dist, ref_idx = ref.kneighbors(Z, n_neighbors=8)
    np.testing.assert_array_equal(idx, ref_idx[:, 1:])
    np.testing.assert_allclose(dist, ref_dist[:, 1:], atol=1e-9)
    assert not np.any(idx == np.arange(500)[:, None])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_nearest_float32_matches_sklearn_in_float64(metric, backend):
    # float32 features: candidates found in float32, ranked again in float64, so the
    # result is scikit-learn's brute force on the same values held in float64
    rng = np.random.default_rng(5)
    F = rng.standard_normal((3000, 48)).astype(np.float32)
    Q = rng.standard_normal((60, 48)).astype(np.float32)
    idx, dist = sim.nearest(F, 10, Q, metric=metric, standardize=False, backend=backend)
    ref = NearestNeighbors(n_neighbors=10, algorithm="brute", metric=metric)
    ref_dist, ref_idx = ref.fit(F.astype(np.float64)).kneighbors(Q.astype(np.float64))
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-9, atol=1e-9)
    assert idx.dtype == np.int64 and dist.dtype == np.float64


@pytest.mark.parametrize("backend", BACKENDS)
def test_nearest_float32_makes_no_copy_of_the_database(backend):
    import tracemalloc

    F = np.random.default_rng(0).standard_normal((40_000, 64)).astype(np.float32)  # 10 MB
    Q = F[:300] + np.float32(0.01)
    sim.nearest(F[:50], 3, Q[:5], standardize=False, backend=backend)  # warm-up
    tracemalloc.start()
    sim.nearest(F, 5, Q, standardize=False, backend=backend, chunk=128, db_chunk=1024)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 0.5 * F.nbytes, peak  # a float32 copy would be 1x, a float64 one 2x


def test_nearest_falls_back_to_numpy_without_faiss(monkeypatch):
    rng = np.random.default_rng(3)
    F, Q = rng.standard_normal((400, 6)), rng.standard_normal((20, 6))
    expected = sim.nearest(F, 4, Q, backend="numpy")
    calls = []
    scores = sim._scores
    monkeypatch.setattr(sim, "_faiss_module", lambda: None)
    monkeypatch.setattr(sim, "_scores", lambda *a: calls.append(1) or scores(*a))
    got = sim.nearest(F, 4, Q)  # auto: faiss "missing", the NumPy blocks run
    assert calls
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_allclose(got[1], expected[1])
    with pytest.raises(ValueError, match="faiss is not installed"):
        sim.nearest(F, 4, Q, backend="faiss")
    with pytest.raises(ValueError, match="approximate"):
        sim.nearest(F, 4, Q, approximate=True)


@pytest.mark.skipif(sim._faiss_module() is None, reason="faiss-cpu not installed")
def test_approximate_index_has_high_recall_and_exact_distances(monkeypatch):
    rng = np.random.default_rng(4)
    centres = rng.standard_normal((50, 32)) * 3
    F = (centres[rng.integers(50, size=20_000)] + rng.standard_normal((20_000, 32))).astype(
        np.float32
    )
    Q = F[rng.choice(20_000, 200, replace=False)] + np.float32(0.1)
    exact_idx, _ = sim.nearest(F, 10, Q, standardize=False)
    approx_idx, approx_dist = sim.nearest(F, 10, Q, standardize=False, approximate=True)
    recall = np.mean(
        [len(set(a) & set(e)) / 10 for a, e in zip(approx_idx, exact_idx, strict=True)]
    )
    assert recall > 0.9, recall
    # the distances returned are the true ones of the neighbours returned
    true = np.linalg.norm(F[approx_idx].astype(float) - Q[:, None, :].astype(float), axis=2)
    np.testing.assert_allclose(approx_dist, true, rtol=1e-9)
    # automatic above the threshold, with a warning that says so
    monkeypatch.setattr(sim, "APPROXIMATE_ABOVE", 10_000)
    with pytest.warns(UserWarning, match="approximate"):
        sim.nearest(F, 10, Q[:5], standardize=False)


def test_nearest_bad_backend():
    F = np.eye(4)
    with pytest.raises(ValueError, match="`backend` must be one of"):
        sim.nearest(F, 1, backend="annoy")
    with pytest.raises(TypeError, match="`approximate`"):
        sim.nearest(F, 1, approximate="yes")


def test_nearest_blocks_bound_memory(monkeypatch):
    shapes = []
    scores = sim._scores

    def recording(q, f, f_sq, metric):
        shapes.append((q.shape[0], f.shape[0]))
        return scores(q, f, f_sq, metric)

    monkeypatch.setattr(sim, "_scores", recording)
    F = np.random.default_rng(0).standard_normal((1000, 4))
    sim.nearest(F, 3, chunk=40, db_chunk=128, standardize=False, backend="numpy")
    assert max(q for q, _ in shapes) == 40 and max(n for _, n in shapes) == 128
    assert sum(q * n for q, n in shapes) == 1000 * 1000  # every pair exactly once


def test_nearest_ties_and_errors():
    F = np.array([[0.0], [1.0], [-1.0], [5.0]])
    idx, dist = sim.nearest(F, 2, standardize=False)
    np.testing.assert_array_equal(idx[0], [1, 2])  # equal distances: lower index first
    np.testing.assert_allclose(dist[0], [1, 1])
    with pytest.raises(ValueError, match="k"):
        sim.nearest(F, 4)
    with pytest.raises(ValueError, match="metric"):
        sim.nearest(F, 1, metric="manhattan")
    with pytest.raises(ValueError, match="features"):
        sim.nearest(F, 1, np.zeros((2, 3)))


def test_nan_features_error_names_the_row():
    F = np.random.default_rng(0).standard_normal((6, 3))
    F[4, 1] = np.nan
    for call in (
        lambda: sim.nearest(F, 2),
        lambda: sim.dissimilarity(F),
        lambda: sim.precision_at_k(F, np.zeros(6), 2),
    ):
        with pytest.raises(ValueError, match=r"`F` row 4 \(item 4"):
            call()
    with pytest.raises(ValueError, match=r"`query` row 0"):
        sim.nearest(np.ones((3, 3)) * np.arange(3)[:, None], 1, np.full((1, 3), np.inf))


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_dissimilarity_matches_scipy(metric):
    F = np.random.default_rng(1).standard_normal((40, 5)) * [1, 10, 100, 0.1, 3]
    D = sim.dissimilarity(F, metric=metric, chunk=7)
    Z = sim.standardize_features(F)
    np.testing.assert_allclose(D, cdist(Z, Z, metric=metric), atol=1e-9)
    np.testing.assert_array_equal(D, D.T)
    assert np.all(np.diag(D) == 0)


def test_standardize_features_uses_reference():
    rng = np.random.default_rng(2)
    F = rng.normal(5, 3, size=(200, 3))
    F[:, 2] = 1.0  # constant column: centred only
    Z = sim.standardize_features(F)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z[:, :2].std(axis=0), 1)
    q = sim.standardize_features(F[:1] + 3.0, F)
    np.testing.assert_allclose(q[0, :2], Z[0, :2] + 3.0 / F[:, :2].std(axis=0))


# --------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sim.FEATURE_KINDS)
def test_features_shapes_determinism_and_grey_level_invariance(kind):
    x = np.stack([fbf((64, 64), 0.5, seed=s) for s in range(3)])
    F = sim.features(x, kind, batch_size=2, progress=False)
    assert F.shape[0] == 3 and F.ndim == 2 and np.all(np.isfinite(F))
    # the Gram kind runs in float32: the batch size changes the summation order
    np.testing.assert_allclose(
        sim.features(list(x), kind, progress=False), F, rtol=1e-6, atol=1e-6 * np.abs(F).max()
    )
    # grey-level offset and contrast do not matter
    np.testing.assert_allclose(sim.features(3.0 * x + 7.0, kind, progress=False), F, atol=1e-5)
    s = np.stack([fbm(1024, 0.6, seed=s) for s in range(2)])
    F1 = sim.features(s, kind, dim=1, progress=False)
    assert F1.shape[0] == 2 and np.all(np.isfinite(F1))
    np.testing.assert_allclose(sim.features(list(s), kind, progress=False), F1, rtol=1e-6,
                               atol=1e-6 * np.abs(F1).max())


def test_feature_kinds_concatenate():
    x = np.stack([fbf((64, 64), 0.5, seed=s) for s in range(2)])
    a = sim.features(x, "wavelet", progress=False)
    b = sim.features(x, "leaders", progress=False)
    np.testing.assert_allclose(
        sim.features(x, ["wavelet", "leaders"], progress=False), np.hstack([a, b])
    )


def test_gram_features_depend_on_seed_only():
    x = np.stack([fbf((64, 64), 0.5, seed=s) for s in range(2)])
    a = sim.features(x, "gram", seed=1, progress=False)
    np.testing.assert_allclose(sim.features(x, "gram", seed=1, progress=False), a)
    assert not np.allclose(sim.features(x, "gram", seed=2, progress=False), a)


@pytest.mark.parametrize("H", [0.3, 0.7])
def test_wavelet_exponents_estimate_the_hurst_index(H):
    # the L1 exponent per orientation of fBf(H) is H (|d(j)| ~ 2**(jH), L1 normalisation)
    slopes = []
    for seed in SEEDS:
        feats = sim._dwt_features(fbf((256, 256), H, seed=seed), "db3")
        n_scales = (feats.size - 6) // 12  # 4 statistics x 3 orientations per scale, 6 slopes
        slopes.append(feats[12 * n_scales : 12 * n_scales + 3])
    assert abs(np.mean(slopes) - H) < 0.12, np.mean(slopes, axis=0)


@pytest.mark.parametrize(("theta", "expected"), [(0.0, 0), (np.pi / 4, 2), (3 * np.pi / 4, 6)])
def test_oriented_energies_peak_at_the_field_orientation(theta, expected):
    # fbf varies most along theta: its spectrum, and the oriented band energies, peak there
    x = np.stack([fbf((64, 64), 0.5, anisotropy=0.8, theta=theta, seed=s) for s in SEEDS])
    feats = sim._oriented_features(x)
    n_scales = 3  # 64 pixels: centres at 1/4, 1/8, 1/16 cycles per pixel
    energies = feats[:, : 8 * n_scales].reshape(len(SEEDS), n_scales, 8)
    np.testing.assert_array_equal(energies.argmax(axis=2), expected)


def test_leader_features_track_the_hurst_index():
    c1 = {}
    for H in (0.3, 0.8):
        x = np.stack([fbf((128, 128), H, seed=s) for s in SEEDS])
        c1[H] = sim.features(x, "leaders", progress=False)[:, -3]  # c1, c2, c3 come last
    assert abs(c1[0.3].mean() - 0.3) < 0.15 and abs(c1[0.8].mean() - 0.8) < 0.15
    assert c1[0.3].max() < c1[0.8].min()


def test_features_bad_input_names_the_item():
    good = np.random.default_rng(0).standard_normal((4, 32, 32))
    with pytest.raises(ValueError, match=r"item 0 has shape \(32, 32\) but item 2"):
        sim.features([good[0], good[1], np.zeros((16, 16))], progress=False)
    bad = good.copy()
    bad[3, 5, 5] = np.nan
    with pytest.raises(ValueError, match="item 3"):
        sim.features(bad, progress=False)
    bad = good.copy()
    bad[1] = 2.0
    with pytest.raises(ValueError, match="item 1.*constant"):
        sim.features(bad, progress=False)
    with pytest.raises(ValueError, match="kind"):
        sim.features(good, "vgg", progress=False)


def test_features_of_a_2d_array_follow_dim():
    # a 2D array is N signals (N, T) or one image (H, W): dim says which, never a guess
    image = fbf((64, 64), 0.5, seed=0)
    with pytest.raises(ValueError, match=r"ambiguous.*dim=1 for signals.*dim=2 for one image"):
        sim.features(image, progress=False)
    one = sim.features(image, dim=2, progress=False)
    stack = np.stack([image, fbf((64, 64), 0.5, seed=1)])
    np.testing.assert_allclose(one, sim.features(stack, progress=False)[:1])
    np.testing.assert_allclose(one, sim.features([image], progress=False))
    rows = sim.features(image, dim=1, progress=False)  # 64 signals of 64 samples
    assert rows.shape[0] == 64 and rows.shape[1] != one.shape[1]
    # one signal (T,) is one row, as the first row of a stack of signals
    s = np.stack([fbm(1024, 0.6, seed=k) for k in range(2)])
    np.testing.assert_allclose(sim.features(s[0], progress=False),
                               sim.features(s, dim=1, progress=False)[:1])
    with pytest.raises(ValueError, match=r"does not fit dim=1"):
        sim.features(stack, dim=1, progress=False)
    with pytest.raises(ValueError, match=r"list of 2D items but dim=1"):
        sim.features(list(stack), dim=1, progress=False)
    with pytest.raises(ValueError, match="`dim` must be 1"):
        sim.features(stack, dim=3, progress=False)


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------


def _blobs(seed, n_classes=4, per_class=20, spread=0.1):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_classes, 8)) * 5
    labels = np.repeat(np.arange(n_classes), per_class)
    return centres[labels] + spread * rng.standard_normal((labels.size, 8)), labels


@pytest.mark.filterwarnings("ignore:Graph is not fully connected")  # separated on purpose
@pytest.mark.parametrize("seed", SEEDS)
def test_separated_classes_score_one(seed):
    F, labels = _blobs(seed)
    assert sim.precision_at_k(F, labels, 5) == 1.0
    assert sim.mean_average_precision(F, labels) == pytest.approx(1.0)
    for method in ("kmeans", "agglomerative", "spectral"):
        scores = sim.clustering_scores(labels, sim.cluster(F, 4, method=method, seed=seed))
        assert scores["ARI"] == pytest.approx(1.0) and scores["NMI"] == pytest.approx(1.0)


def test_random_labels_score_chance():
    rng = np.random.default_rng(0)
    F = rng.standard_normal((600, 8))
    labels = rng.integers(0, 4, size=600)
    assert abs(sim.precision_at_k(F, labels, 10) - 0.25) < 0.03
    assert abs(sim.mean_average_precision(F, labels) - 0.25) < 0.03
    scores = sim.clustering_scores(labels, sim.cluster(F, 4))
    assert abs(scores["ARI"]) < 0.02 and scores["NMI"] < 0.02


def test_average_precision_matches_sklearn():
    rng = np.random.default_rng(3)
    F = rng.standard_normal((30, 3))
    labels = rng.integers(0, 3, size=30)
    Q = rng.standard_normal((5, 3))
    q_labels = np.array([0, 1, 2, 0, 1])
    ap = sim.mean_average_precision(F, labels, query=Q, query_labels=q_labels, per_query=True)
    D = cdist(sim.standardize_features(Q, F), sim.standardize_features(F))
    for i in range(5):
        ref = average_precision_score(labels == q_labels[i], -D[i])
        assert ap[i] == pytest.approx(ref)


def test_compare_features_on_a_small_database(small_db):
    db, queries = small_db
    result = sim.compare_features(db, queries, ["wavelet", ("wavelet", "leaders")], progress=False)
    assert list(result.table().index) == ["wavelet", "wavelet+leaders"]
    assert {"dim", "precision@5", "mAP", "ARI", "NMI"} <= set(result.table().columns)
    # four very different classes: the wavelet features retrieve held-out queries
    assert result.table().loc["wavelet", "precision@5"] >= 0.9
    assert result.per_class.shape == (4, 2)
    F, Fq = result.features["wavelet"]
    assert F.shape[0] == len(db) and Fq.shape[0] == len(queries)
    assert len(repr(result)) < 300 and "wavelet+leaders" in repr(result)
    fig = result.plot()
    assert [t.name for t in fig.data] == ["wavelet", "wavelet+leaders"]
    assert fig.layout.width is None


# --------------------------------------------------------------------------
# Figures and explorer
# --------------------------------------------------------------------------


def test_figures(small_db):
    db, _ = small_db
    F = sim.features(db.images, "wavelet", progress=False)
    D = sim.dissimilarity(F)
    clusters = sim.cluster(F, db.n_classes)
    fig = sim.plot_dissimilarity(D, db.labels, class_names=db.class_names, clusters=clusters)
    z = np.asarray(fig.data[0].z)
    assert z.shape == D.shape and np.allclose(np.sort(z.ravel()), np.sort(D.ravel()))
    ticks = fig.layout.yaxis.ticktext  # one per cluster block
    assert len(ticks) == len(set(clusters)) and set(ticks) <= set(db.class_names)
    fig = sim.plot_embedding(F, db.labels, class_names=db.class_names, images=db.images)
    assert len(fig.data) == db.n_classes and len(fig.layout.images) == 40
    assert fig.layout.width is None
    # twelve classes: twelve colours (plotly's default cycle has ten)
    labels12 = np.arange(len(F)) % 12
    fig = sim.plot_embedding(F, labels12)
    assert len({t.marker.color for t in fig.data}) == 12
    fig = sim.plot_dendrogram(F, db.labels, class_names=db.class_names)
    assert set(fig.layout.yaxis.ticktext) == set(db.class_names)
    with pytest.raises(ValueError, match="square"):
        sim.plot_dissimilarity(D[:3], db.labels[:3])


def test_explorer_callback_and_widget(small_db):
    db, queries = small_db
    F = sim.features(db.images, "wavelet", progress=False)
    Fq = sim.features(queries.images, "wavelet", progress=False)
    fig = sim.neighbours_figure(db, F, 2, k=3, queries=queries, query_features=Fq)
    titles = [a.text for a in fig.layout.annotations]
    assert len(fig.data) == 4 and titles[0] == f"query: {db.class_names[queries.labels[2]]}"
    assert all(t.startswith(("✓", "✗")) for t in titles[1:])
    idx, _ = sim.nearest(F, 3, Fq[2:3])
    np.testing.assert_array_equal(fig.data[1].z, db.images[idx[0, 0]])
    fig = sim.neighbours_figure(db, F, 0, k=2)  # a database item: itself excluded
    assert not np.array_equal(fig.data[1].z, db.images[0])
    with pytest.raises(ValueError, match="out of range"):
        sim.neighbours_figure(db, F, len(db), k=2)
    images, captions = sim.neighbours(db, F, 2, k=3, queries=queries, query_features=Fq)
    assert len(images) == 4 and captions[1].startswith(("✓", "✗"))
    w = sim.explorer(db, F, queries=queries, query_features=Fq, k=3)
    index, k = w.children[0].children
    tiles = w.children[1].children

    def shown():
        return [t for t in tiles if t.layout.display != "none"]

    assert len(shown()) == 4
    before = tiles[0].children[0].value
    index.value = 5
    assert (
        tiles[0].children[1].value == f"<small>query: {db.class_names[queries.labels[5]]}</small>"
    )
    assert tiles[0].children[0].value != before  # the query thumbnail changed
    assert tiles[0].children[0].value[:4] == b"\x89PNG"
    k.value = 1
    assert len(shown()) == 2


def test_seed_accepts_a_generator():
    centres = np.repeat(np.eye(3) * 6, [14, 13, 13], axis=0)
    F = np.random.default_rng(0).standard_normal((40, 3)) + centres
    a = sim.cluster(F, 3, seed=np.random.default_rng(5))
    b = sim.cluster(F, 3, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)  # a Generator in the same state gives the same result
    x = np.stack([fbf((32, 32), 0.5, seed=s) for s in range(2)])
    g1 = sim.features(x, "gram", seed=np.random.default_rng(1), progress=False)
    g2 = sim.features(x, "gram", seed=np.random.default_rng(1), progress=False)
    np.testing.assert_array_equal(g1, g2)
    with pytest.raises(TypeError, match="`seed`"):
        sim.cluster(F, 3, seed=1.5)


# --------------------------------------------------------------------------
# Hyperbolic, isotropic and orientation kinds
# --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sim.ANISOTROPY_KINDS)
def test_anisotropy_kinds_shapes_determinism_and_grey_level_invariance(kind):
    x = np.stack([fbf((64, 64), 0.5, anisotropy=0.5, seed=s) for s in range(3)])
    F = sim.features(x, kind, batch_size=2, progress=False)
    assert F.shape[0] == 3 and F.ndim == 2 and np.all(np.isfinite(F))
    np.testing.assert_allclose(sim.features(list(x), kind, progress=False), F, atol=1e-9)
    np.testing.assert_allclose(sim.features(3.0 * x + 7.0, kind, progress=False), F, atol=1e-5)
    assert kind in sim.ALL_KINDS and kind not in sim.FEATURE_KINDS
    s = np.stack([fbm(1024, 0.6, seed=s) for s in range(2)])
    if kind in sim.IMAGE_KINDS:  # orientation statistics need images
        with pytest.raises(ValueError, match="needs images"):
            sim.features(s, kind, dim=1, progress=False)
        return
    F1 = sim.features(s, kind, dim=1, progress=False)
    assert F1.shape[0] == 2 and np.all(np.isfinite(F1))


def test_hyperbolic_features_are_the_energies_of_the_shared_transform():
    from textures_nb._shared.hyperbolic import hyperbolic_details
    from textures_nb.data import standardize_patches

    x = np.stack([fbf((128, 128), 0.5, anisotropy=0.6, seed=s) for s in SEEDS])
    F = sim.features(x, "hyperbolic", progress=False)
    J = sim._feature_levels(128, "db3")
    z = standardize_patches(x)[0]
    d = hyperbolic_details(z, ((0,), (1,)), levels=(J, J))
    energies = [np.log2(np.mean(d[(a, b)] ** 2)) for a in range(1, J + 1) for b in range(1, J + 1)]
    np.testing.assert_allclose(F[0, : J * J], energies, rtol=1e-10)


def test_transposition_swaps_hyperbolic_and_leaves_isotropic_unchanged():
    x = np.stack([fbf((96, 128), 0.6, anisotropy=0.7, theta=0.3, seed=s) for s in SEEDS])
    xt = np.ascontiguousarray(x[:, :96, :96])
    iso = sim.features(xt, "isotropic", progress=False)
    np.testing.assert_allclose(
        sim.features(xt.transpose(0, 2, 1), "isotropic", progress=False), iso, atol=1e-9
    )
    hyp = sim.features(xt, "hyperbolic", progress=False)
    hyp_t = sim.features(xt.transpose(0, 2, 1), "hyperbolic", progress=False)
    J = sim._feature_levels(96, "db3")
    grid, grid_t = hyp[:, : J * J].reshape(-1, J, J), hyp_t[:, : J * J].reshape(-1, J, J)
    np.testing.assert_allclose(grid_t, grid.transpose(0, 2, 1), atol=1e-9)
    # the anisotropy index (last plane exponent) flips sign
    n_plane = 2 * J + J * J
    np.testing.assert_allclose(hyp_t[:, n_plane + 2], -hyp[:, n_plane + 2], atol=1e-9)
    assert np.all(np.abs(hyp[:, n_plane + 2]) > 0.1)


@pytest.mark.parametrize(("theta", "sign"), [(0.0, 1), (np.pi / 2, -1)])
def test_orientation_features_point_along_the_field(theta, sign):
    # fbf varies most along theta (from the columns axis): (Txx - Tyy) / (Txx + Tyy) has its sign
    x = np.stack([fbf((128, 128), 0.5, anisotropy=0.8, theta=theta, seed=s) for s in SEEDS])
    F = sim.features(x, "orientation", progress=False)
    assert F.shape == (3, 3 * len(sim.ORIENTATION_SCALES))
    assert np.all(sign * F[:, 0::3] > 0.5) and np.all(np.abs(F[:, 1::3]) < 0.2)
    iso = np.stack([fbf((128, 128), 0.5, seed=s) for s in SEEDS])
    # isotropic field: no orientation at the fine scales (the coarse ones have few samples)
    assert np.all(np.abs(sim.features(iso, "orientation", progress=False)[:, 0:6:3]) < 0.15)
    with pytest.raises(ValueError, match="too small"):
        sim.features(x[:, :16, :16], "orientation", progress=False)
