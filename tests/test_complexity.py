"""Complexity matching (textures_nb.complexity).

Known truth: Gaussian mixtures with known separation and spread (k-means'
rate against Lu & Zhou's prediction and the exact Gaussian tail), separable
and mixed sets (N1, N3), scikit-learn's 1-NN as the reference for N3,
parameter counts and receptive fields computed by hand, texture classes with
known H. Network tests hold on any CPU kernel and thread count: several
seeds, margins far from the measured values.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import torch
from torch import nn

from textures_nb.complexity import (
    SweepResult,
    TextureCNN,
    architecture_complexity,
    empirical_capacity,
    kmeans_misclustering,
    sweep,
    task_complexity,
    texture_task,
)


def _mixture(seed: int, ratio: float, n: int = 1000, k: int = 2, d: int = 2):
    """k spherical unit-variance Gaussian classes whose nearest means are ``ratio`` apart.

    Means at the corners of a regular simplex (every pair ``ratio`` apart) when
    ``d >= k``, otherwise on a line along the first axis.
    """
    rng = np.random.default_rng(seed)
    centres = np.zeros((k, d))
    if d >= k:
        centres[np.arange(k), np.arange(k)] = ratio / math.sqrt(2)
    else:
        centres[:, 0] = ratio * np.arange(k)
    X = np.vstack([c + rng.standard_normal((n, d)) for c in centres])
    return X, np.repeat(np.arange(k), n)


def _pooled(ratio: float, n: int, k: int, d: int, seeds=(0, 1, 2)):
    """k-means' and the predicted number of misclustered items, summed over seeds."""
    achieved = predicted = 0.0
    hold = True
    for s in seeds:
        tc = task_complexity(*_mixture(s, ratio, n, k, d), seed=s)
        achieved += tc["kmeans_misclustering"] * n * k
        predicted += tc["predicted_misclustering"] * n * k
        hold &= tc["conditions_hold"]
    return achieved, predicted, hold


# --- task complexity -----------------------------------------------------------------


def test_separable_set_n1_zero_and_n3_zero():
    # far-apart classes: the MST crosses once per extra class (unavoidable links):
    # N1 = 0, Ho & Basu's count = 2 (k - 1) / n
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(50, 3)) + 100 * c for c in range(3)])
    y = np.repeat(["a", "b", "c"], 50)
    tc = task_complexity(X, y)
    assert tc["N1"] == 0.0
    assert tc["N1_ho_basu"] == pytest.approx(2 * 2 / 150)
    assert tc["N3"] == 0.0
    assert tc["kmeans_misclustering"] == 0.0
    assert tc["fisher"] > 100


def test_identical_classes_are_hard():
    # labels independent of the features: N3 near 1/2 and N1 well above 1/2
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 2))
    y = rng.integers(0, 2, 400)
    tc = task_complexity(X, y)
    assert 0.4 < tc["N3"] < 0.6
    assert tc["N1"] > 0.6
    assert tc["N1"] <= tc["N1_ho_basu"] <= tc["N1"] + 0.05
    assert tc["fisher"] < 0.05
    assert not tc["conditions_hold"]


def test_n1_counts_an_intruder():
    # two separated classes, one item of class 1 planted inside class 0: the class
    # is split in two pieces, the intruder and its neighbours are on the boundary
    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(size=(60, 2)), rng.normal(size=(60, 2)) + [20, 0]])
    y = np.repeat([0, 1], 60)
    assert task_complexity(X, y)["N1"] == 0.0
    y[0] = 1
    tc = task_complexity(X, y)
    assert 1 / 120 < tc["N1"] <= tc["N1_ho_basu"]


def test_n3_matches_sklearn_one_nn_leave_one_out():
    from sklearn.model_selection import LeaveOneOut, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    X, y = _mixture(2, 2.0, n=60, k=3, d=2)
    ref = 1 - cross_val_score(KNeighborsClassifier(1), X, y, cv=LeaveOneOut()).mean()
    assert task_complexity(X, y, kmeans=False)["N3"] == pytest.approx(ref)


def test_mst_matches_scipy_total_weight():
    from scipy.sparse.csgraph import minimum_spanning_tree
    from scipy.spatial.distance import cdist

    from textures_nb.complexity import _mst_edges

    X = np.random.default_rng(5).normal(size=(200, 7))
    a, b = _mst_edges(X)
    assert len(a) == 199
    ours = np.linalg.norm(X[a] - X[b], axis=1).sum()
    assert ours == pytest.approx(minimum_spanning_tree(cdist(X, X)).sum(), rel=1e-10)


def test_fisher_ratio_of_one_feature_by_hand():
    X = np.array([[0.0, 5], [2, 1], [10, 3], [12, 7]])
    y = [0, 0, 1, 1]
    # feature 0: class means 1 and 11 (grand mean 6): between 2*25 + 2*25 = 100,
    # within 1 + 1 + 1 + 1 = 4 -> 25; feature 1 is worse
    tc = task_complexity(X, y, kmeans=False)
    assert tc["fisher"] == pytest.approx(25.0)
    assert tc["F1"] == pytest.approx(1 / 26)


def test_problexity_n3_and_f1_agree_on_two_classes():
    px = pytest.importorskip("problexity")
    X, y = _mixture(3, 2.0, n=100)
    tc = task_complexity(X, y, kmeans=False)
    assert tc["N3"] == pytest.approx(px.n3(X, y))
    # problexity's F1 counts the between-class term twice for two classes
    assert px.f1(X, y) == pytest.approx(1 / (1 + 2 * tc["fisher"]), rel=1e-2)


def _agree(cells):
    """Cells (ratio, n per class, k, d) where Lu & Zhou's conditions hold: k-means'
    pooled count of misclustered items is within a factor 2 of the prediction's."""
    tested = 0
    for ratio, n, k, d in cells:
        achieved, predicted, hold = _pooled(ratio, n, k, d)
        assert hold, (ratio, n, k, d)
        assert predicted >= 20  # enough expected errors: Poisson noise well under a factor 2
        assert 0.5 < achieved / predicted < 2, (ratio, n, k, d, achieved, predicted)
        tested += 1
    return tested


def test_prediction_matches_kmeans_where_conditions_hold():
    # the measured ratios achieved / predicted are 0.99 and 1.00
    assert _agree([(4.0, 1000, 2, 2), (5.0, 1000, 3, 2)]) == 2


@pytest.mark.slow
def test_prediction_matches_kmeans_over_a_grid():
    # k = 2 to 5 classes, d = 2 to 100 dimensions, 200 to 1000 items a class, 3 seeds each;
    # measured ratios achieved / predicted 0.85 to 1.11
    cells = [
        (3.0, 1000, 2, 2), (5.0, 1000, 2, 2), (3.0, 1000, 2, 20), (4.0, 200, 2, 20),
        (5.0, 1000, 2, 20), (4.0, 1000, 2, 100), (4.0, 1000, 3, 2), (4.0, 200, 3, 2),
        (5.0, 1000, 3, 20), (6.0, 1000, 5, 20),
    ]  # fmt: skip
    assert _agree(cells) == len(cells)


def test_lu_zhou_exponential_overstates_the_rate():
    # exp(-Delta^2 / 8 sigma^2) is sharp in the exponent only: at Delta / sigma = 4 it
    # drops the Gaussian tail's prefactor (Phi(-2) / exp(-2) = 0.17), 5 to 6 times too high
    tc = task_complexity(*_mixture(0, 4.0, 1000), seed=0)
    assert tc["conditions_hold"]
    assert tc["lu_zhou_rate"] > 4 * tc["kmeans_misclustering"]
    exponent_ratio = math.log(tc["kmeans_misclustering"]) / math.log(tc["lu_zhou_rate"])
    assert 1 < exponent_ratio < 2  # the exponents agree up to the 1 + o(1)


def test_prediction_and_kmeans_part_where_conditions_fail():
    # d = 200 dimensions and 100 items a class: r_k is small, k-means' centres are noisy
    # and it misclusters more than the crossing rate predicts (measured: 1.83 times)
    achieved, predicted, hold = _pooled(2.0, 100, 2, 200)
    assert not hold
    assert achieved > 1.4 * predicted
    tc = task_complexity(*_mixture(0, 1.0, 500))
    assert not tc["conditions_hold"]


def test_prediction_of_identical_classes_is_chance():
    X, y = _mixture(0, 0.0, 300, k=3, d=3)
    assert task_complexity(X, y, kmeans=False)["predicted_misclustering"] == pytest.approx(2 / 3)


def test_kmeans_hungarian_matching_ignores_label_names():
    X = [[0.0], [0.2], [0.1], [5.0], [5.2], [5.1]]
    assert kmeans_misclustering(X, [7, 7, 7, 3, 3, 3]) == 0.0
    assert kmeans_misclustering(X, [0, 0, 1, 1, 1, 1]) == pytest.approx(1 / 6)


@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        (np.ones((5, 2)), [0] * 5, "single class"),
        (np.array([[0.0, 1], [np.nan, 1], [2, 2], [3, 3]]), [0, 0, 1, 1], "NaN"),
        (np.zeros((4, 2)), [0, 1, 0], "3 labels but `X` has 4 rows"),
        (np.zeros((4, 2)), [0, 0, 0, 1], "one item"),
        (np.zeros(4), [0, 0, 1, 1], "dimension"),
        (np.ones((10, 2)), [0, 1] * 5, "same point for every item"),
    ],
)
def test_bad_input_raises_value_error(X, y, match):
    with pytest.raises(ValueError, match=match):
        task_complexity(X, y)


def test_mapping_and_reprs():
    X, y = _mixture(0, 4.0, n=50)
    tc = task_complexity(X, y)
    assert {"N1", "N3", "fisher", "predicted_misclustering"} <= set(tc)
    assert dict(tc)["N1"] == tc["N1"]
    assert len(repr(tc)) < 300
    assert "value" in tc.table().columns
    tc.plot()


# --- architecture complexity ---------------------------------------------------------


def test_linear_layer_parameter_count_and_flops():
    ac = architecture_complexity(nn.Linear(10, 3), (10,))
    assert ac["params"] == 10 * 3 + 3
    assert ac["depth"] == 1
    assert ac["receptive_field"] is None
    assert ac["flops"] == 2 * 10 * 3  # one multiply-add per weight
    W = 33
    assert ac["vc_bound"] == pytest.approx(W * 1 * math.log2(W))


def test_receptive_field_of_a_known_stack():
    # 3x3, 3x3 stride 2, 2x2 max-pool stride 2, 5x5 dilation 2:
    # 1 + 2 + 2 + 1*2 + 4*2*4 = 39
    net = nn.Sequential(
        nn.Conv2d(1, 2, 3),
        nn.ReLU(),
        nn.Conv2d(2, 2, 3, stride=2),
        nn.MaxPool2d(2),
        nn.Conv2d(2, 2, 5, dilation=2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(2, 2),
    )
    assert architecture_complexity(net)["receptive_field"] == 39
    assert architecture_complexity(net, (1, 64, 64))["receptive_field"] == 39


def test_receptive_field_matches_gradient_support():
    # the input pixels that move one central output of the trunk; positive weights and
    # large biases keep every ReLU active, so the support is the whole receptive field
    net = TextureCNN(3, 3)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.uniform_(0.1, 1.0)
                m.bias.fill_(10.0)
    x = torch.randn(1, 1, 64, 64, generator=torch.Generator().manual_seed(0), requires_grad=True)
    out = net.features(x)
    out[0, :, out.shape[2] // 2, out.shape[3] // 2].sum().backward()
    rows = np.flatnonzero(x.grad[0, 0].abs().sum(1).numpy())
    cols = np.flatnonzero(x.grad[0, 0].abs().sum(0).numpy())
    rf = architecture_complexity(net, (1, 64, 64))["receptive_field"]
    assert rows.max() - rows.min() + 1 == rf == cols.max() - cols.min() + 1
    # 3x3 convs padded, 2x2 pools: 1 + 2 + 1 + 2*2 + 2 + 4*2 + 4 = 22
    assert rf == 22


def test_texture_cnn_counts_grow_with_width_and_depth():
    counts = {
        (w, d): architecture_complexity(TextureCNN(w, d))["params"] for w in (2, 8) for d in (1, 3)
    }
    # conv 1 -> w (9w + w), then (d - 1) convs w -> w (9 w^2 + w), head w * 2 + 2
    for (w, d), p in counts.items():
        assert p == 10 * w + (d - 1) * (9 * w * w + w) + 2 * w + 2
    assert architecture_complexity(TextureCNN(2, 3))["depth"] == 4


def test_transposed_conv_receptive_field_undefined():
    from textures_nb.generative import DCGANConfig, Generator

    g = Generator(DCGANConfig(channels=1, size=32, width=8, latent=16))
    ac = architecture_complexity(g, (16,))
    assert ac["receptive_field"] is None
    assert ac["params"] == sum(p.numel() for p in g.parameters())
    assert ac["flops"] > ac["params"]


def test_architecture_bad_input():
    with pytest.raises(TypeError, match="torch.nn.Module"):
        architecture_complexity("not a module")
    with pytest.raises(ValueError, match="input_shape"):
        architecture_complexity(nn.Linear(10, 3), (7,))


# --- texture tasks and training --------------------------------------------------------


def test_texture_task_known_parameters():
    task = texture_task("fbf", 0.3, n_per_class=4, size=16, seed=1)
    assert task.values == (0.35, 0.65)
    assert task.images.shape == (8, 16, 16)
    assert np.allclose(task.images.mean(axis=(1, 2)), 0, atol=1e-5)
    mrw = texture_task("mrw", 0.1, n_per_class=2, size=16)
    assert mrw.values == (0.05, 0.15)
    assert len(repr(task)) < 300
    with pytest.raises(ValueError, match="outside"):
        texture_task("fbf", 0.9, n_classes=3)
    with pytest.raises(ValueError, match="kind"):
        texture_task("gauss")


def test_coarse_task_classes_share_the_spectrum_above_delta():
    # 'coarse' classes: same mean power at every frequency above delta (after the per-texture
    # standardisation, since total power is shared too), different below
    task = texture_task("coarse", 0.25, n_per_class=200, size=32, seed=3)
    assert task.values == (2.0, -2.0)
    f = np.hypot(*np.meshgrid(np.fft.fftfreq(32), np.fft.fftfreq(32), indexing="ij"))
    power = np.abs(np.fft.fft2(task.images)) ** 2
    p0, p1 = power[task.labels == 0].mean(axis=0), power[task.labels == 1].mean(axis=0)
    fine = f >= 0.25
    assert p0[fine].sum() / p1[fine].sum() == pytest.approx(1.0, abs=0.05)
    for shell in (0.125, 0.1875):  # octave bands above delta, noisier
        band = fine & (f < 2 * shell) & (f >= shell) | (f >= shell) & (f < shell + 0.0625)
        band &= fine
        if band.any():
            assert p0[band].sum() / p1[band].sum() == pytest.approx(1.0, abs=0.15)
    lowest = (f > 0) & (f < 0.05)  # tilt (f / delta)**(+-2): class 0 has less of it
    assert p0[lowest].sum() / p1[lowest].sum() < 0.3
    with pytest.raises(ValueError, match="below 0.5"):
        texture_task("coarse", 0.5)
    with pytest.raises(ValueError, match="no frequency below"):
        texture_task("coarse", 0.05, size=16)


def test_frontier_is_monotone_within_error_bars():
    import pandas as pd

    def result(acc):
        rows = [
            {"delta": d, "width": w, "depth": 1, "params": p, "seed": s,
             "test_accuracy": acc[(d, p)] + 0.01 * s, "train_accuracy": 1.0}
            for d in (0.2, 0.1) for w, p in ((1, 14), (8, 98)) for s in range(3)
        ]  # fmt: skip
        return SweepResult(pd.DataFrame(rows))

    rising = result({(0.2, 14): 0.95, (0.2, 98): 0.95, (0.1, 14): 0.6, (0.1, 98): 0.9})
    assert rising.frontier()["params"].tolist() == [14, 98]
    assert rising.frontier_is_monotone()
    # the easier task needs the large network, the harder one does not: not monotone
    falling = result({(0.2, 14): 0.6, (0.2, 98): 0.95, (0.1, 14): 0.9, (0.1, 98): 0.9})
    assert falling.frontier()["params"].tolist() == [98, 14]
    assert not falling.frontier_is_monotone()


def test_texture_features_separate_easy_task():
    task = texture_task("fbf", 0.4, n_per_class=30, size=32, seed=0)
    tc = task_complexity(task.features(), task.labels)
    assert tc["N3"] < 0.15


@pytest.mark.network
@pytest.mark.slow
def test_cnn_learns_easy_task_not_a_null_task():
    # several seeds; easy: H 0.3 vs 0.7 (the notebook reaches about 0.9)
    easy = sweep([0.4], [(4, 2)], 3, n_per_class=32, size=32, epochs=60, progress=False)
    acc = easy.runs["test_accuracy"]
    assert acc.mean() > 0.75 and acc.min() > 0.6
    # null: both classes from one process (step 1e-6 in H), accuracy stays near chance
    null = sweep([1e-6], [(4, 2)], 3, n_per_class=32, size=32, epochs=60, progress=False)
    assert null.runs["test_accuracy"].mean() < 0.7
    assert isinstance(easy, SweepResult) and len(repr(easy)) < 300
    fr = easy.frontier()
    assert list(fr.columns[:3]) == ["delta", "width", "depth"]
    easy.plot()


@pytest.mark.network
@pytest.mark.slow
def test_coarse_tasks_need_a_larger_receptive_field():
    # classes that differ only beyond 8 pixels: one block (receptive field 4 pixels) stays
    # near chance, three blocks (22 pixels) separate them; beyond 4 pixels both do
    # (measured over 6 seeds: 0.62 vs 0.91, and 0.92 vs 1.00)
    res = sweep([0.25, 0.125], [(4, 1), (8, 3)], 3, kind="coarse", n_per_class=24, size=32,
                epochs=30, progress=False)  # fmt: skip
    t = res.table().set_index(["delta", "depth"])["mean"]
    assert t[(0.125, 3)] > t[(0.125, 1)] + 0.1
    assert t[(0.125, 1)] < 0.8
    assert t[(0.25, 3)] > 0.85 and t[(0.25, 1)] > 0.75
    assert res.frontier_is_monotone()


@pytest.mark.network
@pytest.mark.slow
def test_empirical_capacity_grows_with_size():
    X = np.random.default_rng(0).normal(size=(64, 1, 16, 16)).astype(np.float32)
    # 4 seeds each: a large network memorises in most seeds (one may stall), a
    # 1-channel one never does
    small = empirical_capacity(
        functools.partial(TextureCNN, 1, 1), X, epochs=100, n_seeds=4, progress=False
    )
    big = empirical_capacity(
        functools.partial(TextureCNN, 32, 2), X, epochs=100, n_seeds=4, progress=False
    )
    assert small.chance == 0.5
    assert max(small.accuracies) < 0.85  # 5 parameters cannot memorise 64 random labels
    assert np.median(big.accuracies) > 0.85
    assert big.accuracy > small.accuracy + 0.15
    assert len(repr(big)) < 300


def test_sweep_from_summary_gathers_runs_and_failures():
    import pandas as pd

    from textures_nb.complexity import sweep_from_summary

    fit = dict(delta=0.3, width=4, depth=2, params=198, train_accuracy=1.0, final_loss=0.1)
    table = pd.DataFrame(
        {
            "run_id": ["a", "b", "c"],
            "status": ["ok", "ok", "failed"],
            "seconds": [10.0, 12.0, 1.0],
            "error": [None, None, "KeyboardInterrupt"],
            "sweep runs": [
                [{**fit, "seed": 0, "test_accuracy": 0.8}],
                [{**fit, "seed": 1, "test_accuracy": 0.9}],
                None,
            ],
        }
    )
    res = sweep_from_summary(table)
    assert len(res.runs) == 2 and res.failures == {"c": "KeyboardInterrupt"}
    row = res.table().iloc[0]
    assert row["mean"] == pytest.approx(0.85) and row["se"] == pytest.approx(0.05)
    with pytest.raises(ValueError, match="no column"):
        sweep_from_summary(table.drop(columns="sweep runs"))


# --- synthesis: DCGAN width vs the log-cumulant gap -----------------------------------

_TINY_SYNTHESIS = dict(size=64, n_train=8, n_samples=4, epochs=1, latent=4, depth=2,
                       batch_size=8, scales=(1, 2), progress=False)  # fmt: skip


def _synthesis_runs(gaps: dict[int, list[float]], stat: str = "c2"):
    import pandas as pd

    other = "c1" if stat == "c2" else "c2"
    rows = [
        {"width": w, "seed": s, "params_g": 10 * w, f"{stat}_gap": g, f"{other}_gap": 0.0}
        for w, gs in gaps.items() for s, g in enumerate(gs)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_synthesis_table_means_and_standard_errors_by_hand():
    from textures_nb.complexity import SynthesisSweepResult

    # signed gaps: |gap| is averaged, the signed mean kept apart
    res = SynthesisSweepResult(_synthesis_runs({4: [0.1, -0.3], 8: [0.02, 0.04]}))
    t = res.table().set_index("width")
    assert t.loc[4, "abs_c2_gap"] == pytest.approx(0.2)
    assert t.loc[4, "c2_gap"] == pytest.approx(-0.1)
    assert t.loc[4, "abs_c2_gap_se"] == pytest.approx(0.1)  # sd 0.1414 / sqrt(2)
    assert t.loc[8, "abs_c2_gap_se"] == pytest.approx(0.01)
    assert t["count"].tolist() == [2, 2] and t["params_g"].tolist() == [40, 80]


def test_matched_width_is_the_smallest_within_one_standard_error():
    from textures_nb.complexity import SynthesisSweepResult

    # best: width 32 (mean 0.02, se 0.01); width 16 (0.025) is within it, 8 (0.05) is not
    gaps = {4: [0.20, 0.22], 8: [0.05, 0.05], 16: [0.025, 0.025], 32: [0.01, 0.03]}
    m = SynthesisSweepResult(_synthesis_runs(gaps)).matched()
    assert (m["width"], m["best_width"]) == (16, 32)
    assert m["best_gap"] == pytest.approx(0.02) and m["best_se"] == pytest.approx(0.01)
    # widen the best's error bar: now width 8 is within one standard error of it
    gaps[32] = [-0.03, 0.07]  # |gap| mean 0.05: width 16 (0.025) is now the best
    m = SynthesisSweepResult(_synthesis_runs(gaps)).matched()
    assert m["best_width"] == 16 and m["width"] == 16
    gaps[16] = [0.0, 0.07]  # mean 0.035, se 0.035: width 8 (0.05) within it
    m = SynthesisSweepResult(_synthesis_runs(gaps)).matched()
    assert (m["width"], m["best_width"]) == (8, 16)
    # c1 is read from its own column
    m1 = SynthesisSweepResult(_synthesis_runs({4: [0.0, 0.0], 8: [0.5, 0.5]}, "c1")).matched("c1")
    assert m1["width"] == 4
    with pytest.raises(ValueError, match="statistic"):
        SynthesisSweepResult(_synthesis_runs(gaps)).matched("c3")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(widths=[]), ValueError, "widths"),
        (dict(widths=[4, 4]), ValueError, "repeats"),
        (dict(widths=[0]), ValueError, "widths"),
        (dict(widths=[2.5]), TypeError, "widths"),
        (dict(seeds=[0, 0]), ValueError, "seed"),
        (dict(scales=(3, 2)), ValueError, "j1 < j2"),
        (dict(scales=3), TypeError, "scales"),
        (dict(n_samples=16), ValueError, "n_samples"),
        (dict(n_train=4), ValueError, "batch_size"),
        (dict(dim=3), ValueError, "dim"),
        (dict(lam=-0.1), ValueError, "lam"),
    ],
)
def test_synthesis_sweep_bad_input(kwargs, error, match):
    from textures_nb.complexity import synthesis_sweep

    args = {"widths": [2], "seeds": 1, **_TINY_SYNTHESIS, **kwargs}
    with pytest.raises(error, match=match):
        synthesis_sweep(args.pop("widths"), args.pop("seeds"), **args)


def test_batch_synthesis_sweep_refuses_unknown_settings(tmp_path):
    from textures_nb.complexity import batch_synthesis_sweep

    with pytest.raises(ValueError, match="unknown keys"):
        batch_synthesis_sweep("nb.ipynb", tmp_path, 1, settings={"width": 4})


def test_synthesis_from_summary_gathers_runs_and_failures():
    import pandas as pd

    from textures_nb.complexity import synthesis_from_summary

    row = dict(width=4, c1_gap=0.1, c2_gap=-0.05)
    table = pd.DataFrame({"run_id": ["a", "b"], "error": [None, "Boom"],
                          "synthesis runs": [[{**row, "seed": 0}], None]})  # fmt: skip
    res = synthesis_from_summary(table)
    assert len(res.runs) == 1 and res.failures == {"b": "Boom"}
    with pytest.raises(ValueError, match="no column"):
        synthesis_from_summary(table.drop(columns="synthesis runs"))


def test_recorded_synthesis_has_every_width_and_seed():
    from textures_nb.complexity import SYNTHESIS_SWEEP, recorded_synthesis

    res = recorded_synthesis()
    counts = res.runs.groupby("width")["seed"].nunique()
    assert counts.index.tolist() == SYNTHESIS_SWEEP["widths"]
    assert (counts >= 5).all()
    assert res.matched()["width"] in SYNTHESIS_SWEEP["widths"]
    assert np.isfinite(res.runs[["c1_gap", "c2_gap", "c1_floor", "c2_floor"]]).all().all()
    assert len(repr(res)) < 300
    res.plot()


@pytest.mark.network
def test_synthesis_sweep_one_row_per_width_and_seed_and_reproducible():
    from textures_nb.complexity import synthesis_sweep

    res = synthesis_sweep([2, 3], [0, 5], **_TINY_SYNTHESIS)
    r = res.runs
    assert len(r) == 4 and not res.failures
    assert sorted(zip(r["width"], r["seed"], strict=True)) == [(2, 0), (2, 5), (3, 0), (3, 5)]
    # the generator grows with the width; gaps and floors are finite numbers
    p = r.groupby("width")["params_g"].first()
    assert p[3] > p[2]
    assert np.isfinite(r[["c1_gap", "c2_gap", "c1_floor", "c2_floor"]]).all().all()
    assert res.truth == pytest.approx({"c1": 0.745, "c2": -0.09})
    # same seed, same kernel, same thread count: the same gaps
    again = synthesis_sweep([2], [5], **_TINY_SYNTHESIS).runs.iloc[0]
    first = r[(r["width"] == 2) & (r["seed"] == 5)].iloc[0]
    assert again["c2_gap"] == first["c2_gap"] and again["c1_gap"] == first["c1_gap"]
    assert len(res.table()) == 2 and len(repr(res)) < 300
