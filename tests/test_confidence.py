"""Confidence: repeats from scratch and consensus clustering (textures_nb.confidence).

Known truth: Gaussian clusters with known centres and labels, structureless
Gaussian clouds, indices whose spread is known in closed form, and
scikit-learn's k-means as the reference for the internal k-means.
"""

from __future__ import annotations

import functools
import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from scipy import stats
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from textures_nb.confidence import (
    RepeatResult,
    _kmeans,
    _null_p_value,
    consensus_clustering,
    plot_consensus,
    plot_membership,
    plot_pac,
    plot_spread,
    repeat,
    spread,
)

SEEDS = [0, 1, 2]
N_PER = 20  # items per cluster
SETTINGS = dict(n_resamples=25, n_null=8, progress=False)


def _four_clusters(seed: int, sep: float = 6.0):
    """Four equidistant Gaussian clusters (unit variance) in 4 dimensions."""
    rng = np.random.default_rng(seed)
    centres = sep * np.eye(4)
    X = np.vstack([c + rng.standard_normal((N_PER, 4)) for c in centres])
    return X, np.repeat(np.arange(4), N_PER)


def _cloud(seed: int, stretched: bool = False):
    rng = np.random.default_rng(100 + seed)
    X = rng.standard_normal((4 * N_PER, 4))
    if stretched:  # an elongated cloud is cut the same way every time, yet has no clusters
        X = X * np.array([4.0, 1.0, 1.0, 0.5])
    return X


# --- consensus clustering ------------------------------------------------------------


@pytest.fixture(scope="module", params=SEEDS)
def four(request):
    X, truth = _four_clusters(request.param)
    return consensus_clustering(X, seed=request.param, **SETTINGS), truth


def test_four_clusters_give_k4_with_high_confidence(four):
    res, truth = four
    assert res.k == 4 and res.best_k == 4
    row = res.table().loc[4]
    assert row["pac"] < 0.05 and row["margin"] > 0.3  # chance alone gives PAC ~ 0.4-0.6
    assert row["reduction"] > 0.9 and row["retained"]
    assert row["confidence"] > 0.999 and res.confidence > 0.999
    assert adjusted_rand_score(truth, res.labels()) == 1.0
    assert res.membership().min() > 0.9


def test_consensus_matrices_are_valid(four):
    res, _ = four
    for C in res.consensus.values():
        assert C.shape == (4 * N_PER, 4 * N_PER)
        np.testing.assert_allclose(C, C.T)
        assert C.min() >= 0 and C.max() <= 1
        np.testing.assert_array_equal(np.diag(C), 1.0)  # with 25 resamples every item is drawn
    assert res.null_pac.shape == (8, 5)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("stretched", [False, True])
def test_structureless_cloud_gives_no_confident_k(seed, stretched):
    res = consensus_clustering(_cloud(seed, stretched), seed=seed, **SETTINGS)
    assert res.k == 1
    assert not res.table()["retained"].any()
    # the data's PAC stays inside the null's spread
    assert (res.table()["pac"] > res.table()["null_mean"] - 3 * res.table()["null_std"]).all()


def test_null_p_value_follows_the_fitted_beta_law():
    rng = np.random.default_rng(0)
    null = rng.beta(8.0, 12.0, size=400)  # mean 0.4
    for q in (0.05, 0.5):
        observed = np.quantile(null, q)
        assert _null_p_value(null, observed) == pytest.approx(q, abs=0.02)
    assert _null_p_value(null, 0.0) == 0.0  # perfectly stable: below any beta law
    flat = np.full(8, 0.3)  # no spread: only the rank speaks
    assert _null_p_value(flat, 0.1) == pytest.approx(1 / 9)
    assert _null_p_value(flat, 0.3) == 1.0


def test_min_reduction_zero_keeps_every_significant_k():
    X, _ = _four_clusters(0)
    res = consensus_clustering(X, seed=0, min_reduction=0.0, **SETTINGS)
    assert res.table()["retained"].equals(res.table()["significant"])
    assert res.k == 4  # the widest margin still wins


def test_agglomerative_method_finds_the_clusters_too():
    X, truth = _four_clusters(3)
    res = consensus_clustering(X, range(2, 6), method="agglomerative", seed=3, **SETTINGS)
    assert res.k == 4
    assert adjusted_rand_score(truth, res.labels()) == 1.0


def test_item_between_two_clusters_is_the_uncertain_one():
    X, truth = _four_clusters(4)
    bridge = 0.5 * (X[truth == 0].mean(axis=0) + X[truth == 1].mean(axis=0))
    X = np.vstack([X, bridge])
    res = consensus_clustering(X, [4], seed=4, **SETTINGS)
    items = res.items(4, names=[f"x{i}" for i in range(len(X))])
    last = items.iloc[-1]
    assert items["membership"].idxmin() == len(X) - 1
    assert last["membership"] < 0.8
    clusters_of = {c: items["cluster"].iloc[np.flatnonzero(truth == c)[0]] for c in (0, 1)}
    # it sits between clusters 0 and 1: one is its cluster, the other the runner-up
    assert {last["cluster"], last["runner_up"]} == set(clusters_of.values())
    assert last["runner_up_consensus"] > 0.2
    assert list(items.columns) == [
        "name",
        "cluster",
        "membership",
        "runner_up",
        "runner_up_consensus",
    ]


def test_same_seed_same_result():
    X, _ = _four_clusters(0)
    a = consensus_clustering(X, [3, 4], seed=7, **SETTINGS)
    b = consensus_clustering(X, [3, 4], seed=7, **SETTINGS)
    np.testing.assert_array_equal(a.consensus[3], b.consensus[3])
    pd.testing.assert_frame_equal(a.table(), b.table())


def _inertia(X, labels):
    return sum(((X[labels == c] - X[labels == c].mean(axis=0)) ** 2).sum() for c in set(labels))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [3, 5])
def test_kmeans_matches_scikit_learn(seed, k):
    rng = np.random.default_rng(seed)
    # well separated: one optimum, both must find it
    centres = 12 * np.eye(k, 6)
    X = np.vstack([c + rng.standard_normal((30, 6)) for c in centres])
    ours = _kmeans(X, k, np.random.default_rng(seed))
    ref = KMeans(k, n_init=3, random_state=seed).fit(X)
    assert adjusted_rand_score(ref.labels_, ours) == 1.0
    assert _inertia(X, ours) == pytest.approx(ref.inertia_, rel=1e-9)
    # overlapping: local optima; best of 3 starts, as scikit-learn's n_init=3
    X = np.vstack([c + rng.standard_normal((30, 3)) for c in 3 * rng.standard_normal((k, 3))])
    ours = _kmeans(X, k, np.random.default_rng(seed))
    ref = KMeans(k, n_init=3, random_state=seed).fit(X).inertia_
    assert _inertia(X, ours) <= ref * 1.05


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(X=np.zeros(10)), ValueError, "`X` must have 2"),
        (dict(X=np.full((10, 2), np.nan)), ValueError, "NaN"),
        (dict(k_range=[1, 2]), ValueError, "`k_range` must hold integers >= 2"),
        (dict(k_range=[]), ValueError, "`k_range` is empty"),
        (dict(k_range=[2, 70]), ValueError, "largest k"),
        (dict(method="dbscan"), ValueError, "`method`"),
        (dict(item_fraction=0.0), ValueError, "`item_fraction`"),
        (dict(n_null=1), ValueError, "`n_null`"),
        (dict(min_reduction=1.5), ValueError, "`min_reduction`"),
        (dict(X=np.c_[np.ones(40), np.arange(40.0)]), ValueError, "constant feature"),
    ],
)
def test_consensus_bad_input(kwargs, error, message):
    args = dict(X=_cloud(0), progress=False)
    args.update(kwargs)
    with pytest.raises(error, match=message):
        consensus_clustering(**args)


def test_consensus_figures(four):
    res, truth = four
    names = [f"item {i}" for i in range(len(truth))]
    heat = plot_consensus(res, names=names)
    assert isinstance(heat, go.Figure) and np.asarray(heat.data[0].z).shape == (80, 80)
    # ordered by cluster: the heatmap is block diagonal
    z = np.asarray(heat.data[0].z)
    assert z[:N_PER, :N_PER].min() == 1.0 and z[:N_PER, N_PER:].max() == 0.0
    bars = plot_membership(res, truth=truth)
    assert len(bars.data) == 4 and sum(len(b.y) for b in bars.data) == 80
    pac = plot_pac(res)
    assert list(pac.data[-1].y) == list(res.table()["pac"])
    assert 0 <= min(pac.data[0].y) and max(pac.data[0].y) <= 1  # the null band stays in [0, 1]
    assert pac.data[0].mode == "lines"  # a band, drawn without marker dots on its edges
    with pytest.raises(TypeError, match="ConsensusResult"):
        plot_consensus("not a result")
    with pytest.raises(ValueError, match="`k` must be one of"):
        res.labels(9)


def test_consensus_heatmap_indexes_items_by_position_not_by_name(four):
    # names shared by many items (class names) must not merge rows: 80 x 80, not 4 x 4
    res, truth = four
    names = [f"class {t}" for t in truth]
    heat = plot_consensus(res, names=names)
    matrix = heat.data[0]
    assert np.asarray(matrix.z).shape == (80, 80)
    assert list(matrix.x) == list(range(80)) and list(matrix.y) == list(range(80))
    band = heat.data[1]  # one strip above: the class of each item, in the matrix's order
    assert np.asarray(band.z).shape == (1, 80)
    legend = [t for t in heat.data if t.showlegend]
    assert sorted(t.name for t in legend) == [f"class {c}" for c in range(4)]
    assert len({t.marker.color for t in legend}) == 4
    assert len(heat.layout.shapes) == 4  # one outline per cluster
    assert heat.layout.width is None  # sized by the output area


def test_membership_gives_each_class_its_own_colour():
    # 12 classes in 3 clusters: 12 distinct colours (a 10-colour palette would reuse 2)
    rng = np.random.default_rng(0)
    X = np.vstack([c + rng.standard_normal((24, 3)) for c in 8 * np.eye(3)])
    res = consensus_clustering(X, [3], seed=0, **SETTINGS)
    truth = [f"class {i % 12}" for i in range(len(X))]
    bars = plot_membership(res, truth=truth)
    assert len(bars.data) == 12
    assert len({b.marker.color for b in bars.data}) == 12
    assert sum(len(b.y) for b in bars.data) == len(X)
    assert bars.layout.width is None


def test_result_reprs_are_short_and_tables_are_methods(four):
    res, _ = four
    assert len(repr(res)) < 300 and "k=4" in repr(res)
    assert isinstance(res.table(), pd.DataFrame) and list(res.table().index) == [2, 3, 4, 5, 6]
    rep = repeat(_noise_indices, 3, progress=False)
    assert len(repr(rep)) < 300 and "3 seeds ok" in repr(rep)
    pd.testing.assert_frame_equal(rep.summary(), spread(rep.values))
    pd.testing.assert_frame_equal(rep.table(), rep.summary())


# --- consensus clustering with noise features (issue 11) ---------------------------------


def _three_groups_in_noise(seed: int):
    """Three Gaussian groups 8 sd apart in 3 of 10 dimensions; 7 pure-noise dimensions."""
    rng = np.random.default_rng(seed)
    centres = np.zeros((3, 10))
    centres[:, :3] = 8.0 * np.eye(3)
    X = np.vstack([c + rng.standard_normal((N_PER, 10)) for c in centres])
    return X, np.repeat(np.arange(3), N_PER)


def _cloud10(seed: int, kind: str):
    rng = np.random.default_rng(300 + seed)
    X = rng.standard_normal((3 * N_PER, 10))
    if kind == "anisotropic":
        return X * np.linspace(4.0, 0.5, 10)
    if kind == "correlated":
        return X @ rng.standard_normal((10, 10))
    if kind == "log-normal":  # skewed, heavy right tail: still one cloud
        return np.exp(X)
    return X


@pytest.mark.slow
def test_three_groups_among_noise_features_give_k3():
    # z-scoring alone shrank the groups' separation from 11.3 to 3.3 (radius 2.6): k = 1
    ks, aris = [], []
    for seed in range(10):
        X, truth = _three_groups_in_noise(seed)
        res = consensus_clustering(X, seed=seed, **SETTINGS)
        ks.append(res.k)
        aris.append(adjusted_rand_score(truth, res.labels(3)))
    assert sum(k == 3 for k in ks) >= 9, ks
    assert min(aris) == 1.0


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["iid", "anisotropic", "correlated", "log-normal"])
def test_structureless_clouds_in_10_dimensions_give_k1(kind):
    ks = [consensus_clustering(_cloud10(s, kind), seed=s, **SETTINGS).k for s in range(10)]
    assert sum(k == 1 for k in ks) >= 9, ks


def test_robust_scale_is_the_std_on_noise_and_the_within_spread_on_groups():
    from textures_nb.confidence import _robust_scale

    rng = np.random.default_rng(0)
    noise = rng.standard_normal((400, 3)) * [1.0, 5.0, 0.1]
    np.testing.assert_allclose(_robust_scale(noise, rng), noise.std(axis=0), rtol=0.1)
    X, _ = _three_groups_in_noise(0)
    scale = _robust_scale(X, rng)
    # signal columns: std ~3.8 (between-group spread), Qn ~2 (within plus a share of pairs)
    assert np.all(scale[:3] < 0.6 * X[:, :3].std(axis=0))
    np.testing.assert_allclose(scale[3:], X[:, 3:].std(axis=0), rtol=0.3)


def test_feature_draws_always_keep_the_widest_features():
    from textures_nb.confidence import _draw_features, _feature_strata

    spread_ = np.array([1.0, 1.1, 3.0, 0.9, 2.5, 1.0, 2.8, 1.05, 0.95, 1.2])
    strata = _feature_strata(spread_, 8)
    rng = np.random.default_rng(0)
    for _ in range(50):
        cols = _draw_features(strata, rng)
        assert len(set(cols)) == 8 and {2, 4, 6} <= set(cols)
    assert sorted(np.concatenate(strata)) == list(range(10))


def test_standardize_options():
    X, _ = _three_groups_in_noise(1)
    for how in ("robust", "zscore", "none", True, False):
        res = consensus_clustering(X, [3], standardize=how, seed=1, **SETTINGS)
        assert res.k in (1, 3)
    with pytest.raises(ValueError, match="`standardize` must be one of"):
        consensus_clustering(X, [3], standardize="minmax", **SETTINGS)
    with pytest.raises(ValueError, match="constant feature"):
        consensus_clustering(np.c_[X, np.ones(len(X))], [3], **SETTINGS)


# --- repeats from scratch ---------------------------------------------------------------


def _noise_indices(seed: int, n: int = 400) -> dict:
    x = np.random.default_rng(seed).standard_normal(n)
    return {"mean": x.mean(), "var": np.float64(x.var())}


def _flaky(seed: int) -> float:
    if seed == 2:
        raise RuntimeError("diverged")
    return float(seed)


def test_repeat_spread_matches_known_truth():
    res = repeat(_noise_indices, 40, progress=False)
    assert isinstance(res, RepeatResult) and res.seeds == list(range(40))
    s = res.summary()
    # mean of 400 N(0,1): sd 1/20; var of 400 N(0,1): mean 0.9975, sd ~ sqrt(2/400)
    assert abs(s.loc["mean", "mean"]) < 4 * 0.05 / np.sqrt(40)
    assert s.loc["mean", "std"] == pytest.approx(0.05, rel=0.3)
    assert s.loc["var", "mean"] == pytest.approx(0.9975, abs=4 * np.sqrt(2 / 400) / np.sqrt(40))
    assert s.loc["var", "std"] == pytest.approx(np.sqrt(2 / 400), rel=0.3)
    assert (s["low"] < s["mean"]).all() and (s["mean"] < s["high"]).all()
    assert (s["mean_low"] > s["low"]).all() and (s["mean_high"] < s["high"]).all()


def test_spread_formulas():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    row = spread({"x": x}, level=0.9).loc["x"]
    half = stats.t.ppf(0.95, 3) * x.std(ddof=1) / 2
    assert row["mean"] == 3.5 and row["std"] == pytest.approx(x.std(ddof=1))
    assert row["mean_low"] == pytest.approx(3.5 - half)
    assert row["low"] == pytest.approx(np.quantile(x, 0.05))
    with pytest.raises(ValueError, match="non-numeric"):
        spread({"x": [1.0, "a"]})


def test_repeat_in_parallel_equals_serial():
    serial = repeat(_noise_indices, [3, 1, 2], progress=False)
    with ThreadPoolExecutor(2) as pool:
        parallel = repeat(_noise_indices, [3, 1, 2], pool, progress=False)
    pd.testing.assert_frame_equal(serial.values, parallel.values)
    assert serial.seeds == [3, 1, 2]


def test_repeat_on_dask_local_cluster_equals_serial():
    distributed = pytest.importorskip("distributed")
    fn = functools.partial(_noise_indices, n=50)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = repeat(fn, 4, client, progress=False)
    pd.testing.assert_frame_equal(on_dask.values, repeat(fn, 4, progress=False).values)


def test_failed_seed_is_reported_and_the_others_kept():
    with pytest.warns(RuntimeWarning, match="seed 2: RuntimeError: diverged"):
        res = repeat(_flaky, 4, progress=False)
    assert res.failures == {2: "RuntimeError: diverged"}
    assert res.seeds == [0, 1, 3]
    assert res.summary().loc["value", "mean"] == pytest.approx(4 / 3)
    with pytest.raises(RuntimeError, match="every seed failed"):
        repeat(_flaky, [2], progress=False)


@pytest.mark.parametrize(
    ("fn", "seeds", "error", "message"),
    [
        (3, 2, TypeError, "`fn` must be callable"),
        (_flaky, [], ValueError, "`seeds` is empty"),
        (_flaky, [1, 1], ValueError, "repeats values"),
        (_flaky, [0.5], TypeError, "integers"),
        (_flaky, 0, ValueError, "`seeds` must be >= 1"),
    ],
)
def test_repeat_bad_input(fn, seeds, error, message):
    with pytest.raises(error, match=message):
        repeat(fn, seeds, progress=False)


def test_non_numeric_index_fails_that_seed():
    with pytest.raises(RuntimeError, match="real number"):
        repeat(lambda s: {"name": "abc"}, 2, progress=False)
    with pytest.raises(RuntimeError, match="non-finite"):
        repeat(lambda s: float("nan"), 1, progress=False)


def test_spread_figure():
    res = repeat(_noise_indices, 5, progress=False)
    fig = plot_spread(res, truth={"var": 1.0})
    assert isinstance(fig, go.Figure)
    assert sorted(a.text for a in fig.layout.annotations) == ["mean", "var"]
    points = [t for t in fig.data if t.name == "one repeat"]
    assert [len(t.y) for t in points] == [5, 5]
    json.dumps(fig.to_plotly_json(), default=str)  # serialisable for the notebook
