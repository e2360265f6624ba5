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
    row = res.table.loc[4]
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
    assert not res.table["retained"].any()
    # the data's PAC stays inside the null's spread
    assert (res.table["pac"] > res.table["null_mean"] - 3 * res.table["null_std"]).all()


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
    assert res.table["retained"].equals(res.table["significant"])
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
    pd.testing.assert_frame_equal(a.table, b.table)


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
    assert list(pac.data[-1].y) == list(res.table["pac"])
    with pytest.raises(TypeError, match="ConsensusResult"):
        plot_consensus("not a result")
    with pytest.raises(ValueError, match="`k` must be one of"):
        res.labels(9)


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
    s = res.summary
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
    assert res.summary.loc["value", "mean"] == pytest.approx(4 / 3)
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
