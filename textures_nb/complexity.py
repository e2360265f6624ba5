"""Complexity matching: how hard a texture task is, how complex a network is.

Two sides of one question, "which architecture is just complex enough for my
textures?":

- **Task complexity** of a labelled feature set (:func:`task_complexity`):
  Ho & Basu's (2002) data-complexity measures N1 (share of points on a
  class boundary of the minimum spanning tree, here without the ``k - 1``
  links every spanning tree needs between classes, so that separated
  classes give 0; Ho & Basu's own value is kept as ``N1_ho_basu``), N3 (leave-one-out error of
  the 1-nearest-neighbour rule) and Fisher's discriminant ratio, the
  separation-to-spread ratio ``Delta / sigma`` of the classes seen as a
  Gaussian mixture, the misclustering rate predicted for Lloyd's k-means
  (the Gaussian probability of crossing to a neighbour's side, whose leading
  exponential order is Lu & Zhou's (2016) ``exp(-Delta**2 / (8 sigma**2))``,
  kept as ``lu_zhou_rate``) with Lu & Zhou's conditions, and the rate
  k-means actually reaches (labels matched to the classes by the
  Hungarian algorithm).
- **Architecture complexity** of a ``torch.nn.Module``
  (:func:`architecture_complexity`): parameters, depth (layers with
  weights), receptive field, FLOPs of one forward pass, a VC-dimension bound
  (Bartlett et al. 2019) and, empirically, the accuracy reachable on random
  labels (:func:`empirical_capacity`, Zhang et al. 2017).

Texture tasks with a tunable difficulty and a known truth
(:func:`texture_task`: fBf classes whose ``H`` differ by ``delta``, MRW
classes differing only in ``lam``, or ``"coarse"`` Gaussian classes that
differ only at wavelengths longer than ``1 / delta`` pixels), a small CNN
classifier family (:class:`TextureCNN`, ``width`` x ``depth``) and a sweep
of accuracy over difficulty x architecture x seeds (:func:`sweep`) whose
:meth:`SweepResult.frontier` gives the matched complexity: for each
difficulty, the smallest architecture whose mean accuracy lies within one
standard error of the best (:meth:`SweepResult.frontier_is_monotone`: does
it rise with the difficulty?). On the ``"coarse"`` family it rises, since the
network's receptive field must reach the decisive scale; on fBf classes
closer in ``H`` it does not, since the finest scales carry the difference
and the data, not the network, limit accuracy. The same sweep runs as a batch of notebook runs
with :func:`textures_nb.batch.run_grid` (locally or on Dask) and is gathered
with :func:`sweep_from_summary`.

The same question for synthesis (:func:`synthesis_sweep`, as a batch
:func:`batch_synthesis_sweep`): DCGANs of :mod:`textures_nb.generative` at
several widths trained on MRW walks with known ``c1`` and ``c2``, over seeds;
:meth:`SynthesisSweepResult.matched` gives the smallest width whose samples'
log-cumulant gap is within one standard error of the best
(:func:`recorded_synthesis`: the recorded sweep, see BENCHMARKS.md).

Why our own N1, N3 and Fisher ratio: ``problexity`` (the Python
implementation of Ho & Basu's measures) handles two classes only (labels 0
and 1), computes N1 as half the number of cross-class MST edges over ``n``
(not the share of borderline points of Ho & Basu and Lorena et al. 2019) and
pulls in ``igraph`` and ``matplotlib``. Ours follow Lorena et al. (2019) for
any number of classes (N1 with the unavoidable links left out, see
:func:`task_complexity`); the tests check N3 against scikit-learn's 1-NN and
N1 against known separable and mixed sets.

Example
-------
>>> import numpy as np
>>> from textures_nb.complexity import task_complexity
>>> rng = np.random.default_rng(0)
>>> X = np.vstack([rng.normal(size=(200, 2)), rng.normal(size=(200, 2)) + [6, 0]])
>>> y = np.repeat([0, 1], 200)
>>> tc = task_complexity(X, y)
>>> round(tc["separation_to_spread"]), tc["N3"] < 0.01, tc["conditions_hold"]
(6, True, True)
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from torch import nn

from textures_nb._checks import (
    as_finite_array,
    as_generator,
    check_in_range,
    check_positive_int,
    torch_seed,
)
from textures_nb._shared.display import palette
from textures_nb._shared.progress import tqdm

__all__ = [
    "ArchitectureComplexity",
    "CapacityResult",
    "SweepResult",
    "SynthesisSweepResult",
    "SYNTHESIS_SWEEP",
    "TaskComplexity",
    "TextureCNN",
    "TextureTask",
    "architecture_complexity",
    "empirical_capacity",
    "fit_classifier",
    "kmeans_misclustering",
    "FULL_SWEEP",
    "batch_sweep",
    "sweep",
    "sweep_from_summary",
    "synthesis_sweep",
    "synthesis_from_summary",
    "recorded_synthesis",
    "batch_synthesis_sweep",
    "task_complexity",
    "texture_task",
]

# Constant of Lu & Zhou's conditions: the paper proves its rate for "C large enough" and
# gives no value; we read the requirement with C = 1 (see TaskComplexity, conditions_hold).
_LZ_C = 1.0


# --- task complexity ---------------------------------------------------------------


def _check_xy(X, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = as_finite_array(X, "X", ndims=(2,))
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"`y` must be one label per row of `X` (1D), got shape {y.shape}.")
    if len(y) != len(X):
        raise ValueError(
            f"`y` has {len(y)} labels but `X` has {len(X)} rows; pass one label per row."
        )
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError("`y` contains NaN labels; drop those rows or give them a class.")
    classes, codes = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(
            f"`y` holds a single class ({classes[0]!r}); task complexity needs at least "
            "two classes: add items of another class."
        )
    counts = np.bincount(codes)
    if counts.min() < 2:
        raise ValueError(
            f"class {classes[np.argmin(counts)]!r} of `y` has one item; every class needs "
            "at least two (N3 and the spreads are undefined otherwise)."
        )
    if np.ptp(X, axis=0).max() == 0:
        raise ValueError(
            "`X` is the same point for every item (all features constant): no measure of "
            "separation is defined; check the features (e.g. a failed extraction)."
        )
    return X, codes, classes


def _mst_edges(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges of the Euclidean minimum spanning tree (Prim, O(n**2 d) time, O(n) memory)."""
    n = len(X)
    best = np.full(n, np.inf)
    parent = np.zeros(n, dtype=np.int64)
    free = np.ones(n, dtype=bool)
    sq = np.einsum("ij,ij->i", X, X)
    last = 0
    free[0] = False
    child = np.empty(n - 1, dtype=np.int64)
    for step in range(n - 1):
        d = sq - 2.0 * X @ X[last] + sq[last]
        closer = free & (d < best)
        best[closer] = d[closer]
        parent[closer] = last
        cand = np.where(free, best, np.inf)
        last = int(np.argmin(cand))
        free[last] = False
        child[step] = last
    return parent[child], child


def _n1(X: np.ndarray, codes: np.ndarray) -> tuple[float, float]:
    """N1 on the Euclidean MST: (ours, Ho & Basu's), see :func:`task_complexity`.

    Ho & Basu's N1 is the share of items on a cross-class edge of the tree. A
    spanning tree must cross between classes at least ``k - 1`` times, so that
    share never reaches 0, even for classes miles apart. Ours leaves out those
    unavoidable links: an item counts only when it sits on a cross-class edge
    *and* its class is split into several pieces by the tree's cross-class
    edges. Classes that each form one piece of the tree give exactly 0; mixed
    classes give about Ho & Basu's value (ours is never above it).
    """
    a, b = _mst_edges(X)
    n = len(X)
    cross = codes[a] != codes[b]
    border = np.zeros(n, dtype=bool)
    border[a[cross]] = True
    border[b[cross]] = True
    # pieces: connected components of the tree without its cross-class edges
    within = coo_matrix((np.ones(int((~cross).sum())), (a[~cross], b[~cross])), shape=(n, n))
    _, piece = connected_components(within, directed=False)
    n_pieces = np.array([len(np.unique(piece[codes == c])) for c in range(codes.max() + 1)])
    split = n_pieces[codes] > 1
    return float((border & split).mean()), float(border.mean())


def _n3(X: np.ndarray, codes: np.ndarray, block: int = 1024) -> float:
    """Leave-one-out error of the 1-nearest-neighbour rule (Euclidean), in row blocks."""
    sq = np.einsum("ij,ij->i", X, X)
    wrong = 0
    for start in range(0, len(X), block):
        rows = np.arange(start, min(start + block, len(X)))
        d = sq[rows, None] - 2.0 * X[rows] @ X.T + sq[None, :]
        d[np.arange(len(rows)), rows] = np.inf
        wrong += int(np.sum(codes[np.argmin(d, axis=1)] != codes[rows]))
    return wrong / len(X)


def _fisher(X: np.ndarray, codes: np.ndarray) -> float:
    """Largest Fisher discriminant ratio over features (Lorena et al. 2019, F1's r)."""
    mu = X.mean(axis=0)
    between = np.zeros(X.shape[1])
    within = np.zeros(X.shape[1])
    for c in range(codes.max() + 1):
        Xc = X[codes == c]
        mc = Xc.mean(axis=0)
        between += len(Xc) * (mc - mu) ** 2
        within += ((Xc - mc) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(within > 0, between / np.where(within > 0, within, 1.0), np.inf)
    r = np.where((within == 0) & (between == 0), 0.0, r)
    return float(np.max(r))


def _match_error(codes: np.ndarray, clusters: np.ndarray) -> float:
    """Misclustering rate after the best one-to-one matching of clusters to classes."""
    from scipy.optimize import linear_sum_assignment

    k = max(codes.max(), clusters.max()) + 1
    confusion = np.zeros((k, k))
    np.add.at(confusion, (clusters, codes), 1)
    rows, cols = linear_sum_assignment(-confusion)
    return float(1.0 - confusion[rows, cols].sum() / len(codes))


def kmeans_misclustering(X, y, *, n_init: int = 10, seed=0) -> float:
    """Misclustering rate reached by k-means (k = number of classes).

    Lloyd's algorithm from k-means++ starts (scikit-learn, ``n_init`` starts,
    the best inertia kept); clusters are matched to classes by the Hungarian
    algorithm (:func:`scipy.optimize.linear_sum_assignment`), so the rate is
    the share of items whose cluster is not their class's under the best
    one-to-one labelling.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Features (no scaling is applied: k-means sees ``X`` as given).
    y : array_like, shape (n,)
        Class labels (any hashable values).
    n_init : int
        k-means++ starts.
    seed : int or numpy.random.Generator
        Seed of the starts.

    Returns
    -------
    float
        In [0, 1 - 1/k].

    Examples
    --------
    >>> X = [[0.0], [0.1], [5.0], [5.1]]
    >>> kmeans_misclustering(X, ["a", "a", "b", "b"])
    0.0
    """
    from sklearn.cluster import KMeans

    X, codes, classes = _check_xy(X, y)
    n_init = check_positive_int(n_init, "n_init")
    rs = seed if _is_int(seed) else int(as_generator(seed).integers(0, 2**31 - 1))
    km = KMeans(n_clusters=len(classes), n_init=n_init, random_state=rs).fit(X)
    return _match_error(codes, km.labels_)


def _crossing_rate(X: np.ndarray, codes: np.ndarray) -> float:
    """Predicted misclustering: Gaussian probability of crossing to a neighbour's side.

    For each ordered pair of classes ``(i, j)``, the probability that an item
    of class ``i`` falls on ``j``'s side of the bisecting hyperplane of the two
    centres k-means estimates, summed over the ``k - 1`` other classes and
    weighted by class shares (a union bound, clipped to ``1 - 1/k``). With
    ``u`` the unit vector from centre ``i`` to ``j``, ``s`` the standard
    deviation of class ``i`` along ``u``, ``t_c = tr(Sigma_c) / n_c`` the
    sampling noise of centre ``c`` and ``D**2 = |mean_j - mean_i|**2 - t_i - t_j``
    (unbiased squared distance of the true means), the item's projection on
    ``u`` is Gaussian and, to first order in the centres' noise,

        p_ij = Phi(-(D**2 + t_j - t_i) / (2 s sqrt(D**2 + t_i + t_j))).

    Without sampling noise (``t = 0``) this is ``Phi(-D / (2 s))``, whose
    leading exponential order is Lu & Zhou's ``exp(-D**2 / (8 s**2))``.
    """
    from scipy.stats import norm

    n, d = X.shape
    k = codes.max() + 1
    counts = np.bincount(codes)
    means = np.stack([X[codes == c].mean(axis=0) for c in range(k)])
    covs = [np.atleast_2d(np.cov(X[codes == c], rowvar=False)) for c in range(k)]
    noise = np.array([np.trace(covs[c]) / counts[c] for c in range(k)])
    total = 0.0
    for i in range(k):
        for j in range(k):
            if i == j:
                continue
            diff = means[j] - means[i]
            dist2 = float(diff @ diff)
            if dist2 == 0.0:
                total += counts[i] / n * 0.5
                continue
            u = diff / math.sqrt(dist2)
            s = math.sqrt(max(float(u @ covs[i] @ u), np.finfo(float).tiny))
            D2 = max(dist2 - noise[i] - noise[j], 0.0)
            x = (D2 + noise[j] - noise[i]) / (2.0 * s * math.sqrt(D2 + noise[i] + noise[j]))
            total += counts[i] / n * float(norm.sf(x))
    return float(min(total, 1.0 - 1.0 / k))


def _gaussian_mixture_terms(X: np.ndarray, codes: np.ndarray) -> dict[str, float]:
    """Separation, spread, the predicted rates and Lu & Zhou's conditions."""
    from scipy.spatial.distance import pdist

    n, d = X.shape
    k = codes.max() + 1
    means = np.stack([X[codes == c].mean(axis=0) for c in range(k)])
    # sigma: sub-Gaussian scale of the noise, the largest within-class standard
    # deviation in any direction (top eigenvalue of each class covariance)
    top = [
        np.linalg.eigvalsh(np.atleast_2d(np.cov(X[codes == c], rowvar=False)))[-1] for c in range(k)
    ]
    sigma = float(np.sqrt(max(max(top), np.finfo(float).tiny)))
    delta = float(pdist(means).min())
    ratio = delta / sigma
    alpha = float(np.bincount(codes).min() / n)
    r_k = ratio * math.sqrt(alpha / (1.0 + k * d / n))
    size_ok = n * alpha >= _LZ_C * k * math.log(n)
    snr_ok = r_k >= _LZ_C * math.sqrt(k)
    return {
        "separation": delta,
        "spread": sigma,
        "separation_to_spread": ratio,
        "predicted_misclustering": _crossing_rate(X, codes),
        "lu_zhou_rate": float(math.exp(-(ratio**2) / 8.0)),
        "snr_lu_zhou": float(r_k),
        "min_class_share": alpha,
        "conditions_hold": bool(size_ok and snr_ok),
    }


@dataclass(frozen=True)
class _Measures(Mapping):
    """A read-only mapping of named measures with a one-column table."""

    values: dict = field(repr=False)

    def __getitem__(self, key):
        return self.values[key]

    def __iter__(self):
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def table(self):
        """The measures as a one-column ``pandas.DataFrame`` (index: measure)."""
        import pandas as pd

        return pd.DataFrame({"value": pd.Series(self.values, dtype=object)})


@dataclass(frozen=True)
class TaskComplexity(_Measures):
    """Complexity measures of one labelled feature set (a read-only mapping).

    ``result["N1"]`` etc. work like a dict; ``.table()`` gives the values
    with their meaning, ``.plot()`` a bar chart of the rates.

    Keys
    ----
    n, dim, n_classes :
        Items, features, classes.
    N1 :
        Share of items on a class boundary of the Euclidean minimum spanning
        tree (Ho & Basu 2002; near 1: mixed), without the unavoidable links:
        an item counts when it sits on a cross-class edge of the tree *and*
        its class is split into several pieces by the cross-class edges.
        Classes that each form one piece of the tree (separated classes)
        give exactly 0; for mixed classes it is close to Ho & Basu's value.
    N1_ho_basu :
        Ho & Basu's N1 itself: every item on a cross-class edge counts. A
        spanning tree must cross between classes ``k - 1`` times, so it is at
        least ``2 / n`` and reaches about ``2 (k - 1) / n`` for separated
        classes.
    N3 :
        Leave-one-out error of the 1-nearest-neighbour rule.
    fisher :
        Largest Fisher discriminant ratio over features (between-class over
        within-class variance of one feature; large: one feature separates).
    F1 :
        ``1 / (1 + fisher)`` (Lorena et al. 2019: 0 easy, 1 hard).
    separation, spread, separation_to_spread :
        ``Delta`` (smallest distance between class means), ``sigma`` (largest
        within-class standard deviation in any direction, the sub-Gaussian
        scale of the mixture) and their ratio.
    predicted_misclustering :
        The rate predicted for Lloyd's k-means on a Gaussian mixture: for each
        class, the Gaussian probability that an item lies on a neighbour's
        side of the bisector of the two estimated centres, summed over the
        ``k - 1`` other classes (weighted by class shares, clipped to
        ``1 - 1/k``). For spherical classes and exact centres it is
        ``Phi(-Delta / (2 sigma))`` per neighbour; the standard deviation is
        taken along the line between the two means, and the centres'
        sampling noise ``tr(Sigma_c) / n_c`` enters to first order (it
        matters when ``d`` is not small against the class sizes). This is
        what Lu & Zhou's rate approximates: ``Phi(-x) = exp(-x**2 / 2) /
        (x sqrt(2 pi)) (1 + O(1/x**2))``, so the exponent is theirs and the
        prefactor is their ``o(1)``.
    lu_zhou_rate :
        Lu & Zhou (2016), ``exp(-Delta**2 / (8 sigma**2))``: the rate of
        Lloyd's algorithm after about ``4 log n`` iterations from a good start,
        sharp only in the exponent (``exp(-(1 + o(1)) Delta**2 / (8
        sigma**2))``). At finite separations it overstates the rate by the
        dropped prefactor, about ``Delta / sigma`` times ``1.25 / 2`` for two
        classes (5 to 10 times at ``Delta / sigma`` from 4 to 8).
    snr_lu_zhou, min_class_share, conditions_hold :
        Lu & Zhou's conditions (their Theorem 3.2): with ``alpha`` the
        smallest class share, the signal-to-noise ratio ``r_k = (Delta /
        sigma) sqrt(alpha / (1 + k d / n))`` must be at least ``C sqrt(k)``
        and every class must hold ``n alpha >= C k log n`` items. The paper
        proves its rate for "``C`` large enough" and gives no value; we read
        the requirement with ``C = 1``. ``sigma`` here is the largest
        within-class standard deviation (the sub-Gaussian scale), which the
        sample overstates when ``d`` is large: the check errs on the safe
        side. Where it holds, simulated mixtures (k = 2 to 5, d = 2 to 100,
        50 to 1000 items a class) meet ``predicted_misclustering`` within a
        factor 2 (tests); where it fails by much (``d`` near the class sizes,
        classes overlapping), k-means does worse than predicted: its centres
        are too noisy or it finds another partition.
    kmeans_misclustering :
        Rate k-means reaches on ``X`` (see :func:`kmeans_misclustering`).

    Parameters
    ----------
    values : dict
        The measures by name (built by :func:`task_complexity`).

    Examples
    --------
    >>> from textures_nb.complexity import task_complexity
    >>> tc = task_complexity([[0.0], [0.1], [5.0], [5.1]], [0, 0, 1, 1])
    >>> tc["N3"], tc["n_classes"], "N1" in tc.table().index
    (0.0, 2, True)
    """

    def plot(self, **kwargs):
        """Bar chart of the rates (N1, N3, predicted and achieved misclustering)."""
        import plotly.graph_objects as go

        names = [
            "N1",
            "N3",
            "lu_zhou_rate",
            "predicted_misclustering",
            "kmeans_misclustering",
        ]
        fig = go.Figure(
            go.Bar(x=names, y=[self.values[n] for n in names], marker_color=palette(len(names)))
        )
        fig.update_layout(
            title="Task complexity", yaxis_title="rate", autosize=True, height=360, **kwargs
        )
        return fig

    def __repr__(self) -> str:
        v = self.values
        return (
            f"TaskComplexity(n={v['n']}, k={v['n_classes']}, N1={v['N1']:.3f}, N3={v['N3']:.3f}, "
            f"fisher={v['fisher']:.3g}, Delta/sigma={v['separation_to_spread']:.2f}, "
            f"predicted={v['predicted_misclustering']:.3g}, "
            f"kmeans={v['kmeans_misclustering']:.3g}, conditions_hold={v['conditions_hold']})"
        )


def task_complexity(X, y, *, kmeans: bool = True, seed=0) -> TaskComplexity:
    """Complexity of a labelled feature set: N1, N3, Fisher, predicted vs k-means rates.

    Parameters
    ----------
    X : array_like, shape (n, d)
        One row of features per item, finite (e.g. from
        :func:`textures_nb.similarity.features`, standardised with
        :func:`textures_nb.similarity.standardize_features`). Distances are
        Euclidean in these units.
    y : array_like, shape (n,)
        Class labels; at least two classes of at least two items.
    kmeans : bool
        Also run k-means (``k`` = number of classes) and report its rate.
    seed : int or numpy.random.Generator
        Seed of k-means' starts (keyword-only).

    Returns
    -------
    TaskComplexity
        A mapping; see its keys in :class:`TaskComplexity`. Costs ``O(n**2 d)``
        time and ``O(n**2)`` memory (pairwise distances).

    Raises
    ------
    ValueError
        One class, a class with one item, NaN or infinite features, or
        ``len(y) != len(X)``.

    Examples
    --------
    Two classes far apart: the minimum spanning tree crosses between them
    once, an unavoidable link, so N1 is 0 (Ho & Basu's count gives ``2 / n``):

    >>> X = [[0.0, 0.0], [0.0, 1.0], [0.0, 2.0], [9.0, 0.0], [9.0, 1.0], [9.0, 2.0]]
    >>> tc = task_complexity(X, [0, 0, 0, 1, 1, 1])
    >>> tc["N1"], round(tc["N1_ho_basu"], 3), tc["N3"], tc["kmeans_misclustering"]
    (0.0, 0.333, 0.0, 0.0)
    """
    X, codes, classes = _check_xy(X, y)
    values: dict[str, Any] = {"n": int(len(X)), "dim": int(X.shape[1]), "n_classes": len(classes)}
    values["N1"], values["N1_ho_basu"] = _n1(X, codes)
    values["N3"] = _n3(X, codes)
    values["fisher"] = _fisher(X, codes)
    values["F1"] = 1.0 / (1.0 + values["fisher"])
    values.update(_gaussian_mixture_terms(X, codes))
    values["kmeans_misclustering"] = (
        kmeans_misclustering(X, codes, seed=seed) if kmeans else float("nan")
    )
    return TaskComplexity(values)


_CURVE_KEYS = (
    "separation_to_spread",
    "lu_zhou_rate",
    "predicted_misclustering",
    "kmeans_misclustering",
    "snr_lu_zhou",
    "N1",
    "N3",
    "conditions_hold",
)


def misclustering_curve(ratios: Iterable[float], n: int = 1000, *, dim: int = 2, seed=0):
    """Predicted and achieved misclustering on two spherical Gaussian classes.

    Parameters
    ----------
    ratios : iterable of float
        Distances between the two class means, in units of the (unit)
        standard deviation: the true ``Delta / sigma``.
    n : int
        Points per class.
    dim : int
        Dimension of the points.
    seed : int or numpy.random.Generator
        Keyword-only; the same draw of noise is used for every ratio.

    Returns
    -------
    pandas.DataFrame
        One row per ratio: the true ``ratio``, the measured
        ``separation_to_spread`` and the keys of :func:`task_complexity`
        needed by :func:`plot_misclustering`.

    Examples
    --------
    >>> t = misclustering_curve([6.0], 200)
    >>> bool(t["conditions_hold"].iloc[0])
    True
    """
    import pandas as pd

    n = check_positive_int(n, "n", minimum=2)
    dim = check_positive_int(dim, "dim")
    rng = as_generator(seed)
    noise = rng.standard_normal((2 * n, dim))
    y = np.repeat([0, 1], n)
    rows = []
    for ratio in ratios:
        ratio = check_in_range(ratio, "ratios", 0.0, np.inf, low_inclusive=True)
        X = noise.copy()
        X[n:, 0] += ratio
        tc = task_complexity(X, y, seed=seed if _is_int(seed) else 0)
        rows.append({"ratio": ratio, **{k: tc[k] for k in _CURVE_KEYS}})
    return pd.DataFrame(rows)


def plot_misclustering(table, *, title: str = "Predicted vs achieved misclustering", **kwargs):
    """Predicted (Gaussian crossing rate, Lu & Zhou's exponential) vs k-means' achieved rate.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``separation_to_spread`` (or ``ratio``, the true ``Delta /
        sigma``, used for the x axis when present), ``predicted_misclustering``,
        ``lu_zhou_rate``, ``kmeans_misclustering`` and ``conditions_hold``
        (e.g. :func:`misclustering_curve`, or rows of :func:`task_complexity`
        results). Points where the conditions fail are drawn hollow. Rates of
        0 are drawn at 1e-4 (log axis).

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> fig = plot_misclustering(misclustering_curve([4.0], 100))
    >>> len(fig.data)
    3
    """
    import plotly.graph_objects as go

    c = palette(3)
    xcol = "ratio" if "ratio" in table.columns else "separation_to_spread"
    t = table.sort_values(xcol)
    x = t[xcol]
    ok = t["conditions_hold"].astype(bool).to_numpy()
    fig = go.Figure()
    fig.add_scatter(
        x=x, y=t["lu_zhou_rate"], name="Lu & Zhou exp(-Δ²/8σ²)",
        mode="lines", line=dict(color=c[0], dash="dot"),
    )  # fmt: skip
    fig.add_scatter(
        x=x, y=t["predicted_misclustering"], name="predicted (Gaussian crossing rate)",
        mode="lines", line=dict(color=c[1]),
    )  # fmt: skip
    fig.add_scatter(
        x=x, y=t["kmeans_misclustering"].clip(lower=1e-4),
        name="k-means achieved (hollow: conditions fail)", mode="markers",
        marker=dict(color=c[2], size=11, symbol=np.where(ok, "diamond", "diamond-open"),
                    line=dict(width=2, color=c[2])),
    )  # fmt: skip
    fig.update_layout(
        title=title,
        xaxis_title="separation / spread (Δ / σ)" + (", true" if xcol == "ratio" else ""),
        yaxis=dict(type="log", title="misclustering rate (0 drawn at 1e-4)",
                   exponentformat="power"),
        autosize=True, height=420,
        legend=dict(x=0.01, y=0.01, yanchor="bottom", bgcolor="rgba(255,255,255,0.7)"),
        **kwargs,
    )  # fmt: skip
    return fig


# --- architecture complexity -------------------------------------------------------


def _leaf_modules(module) -> list:
    return [m for m in module.modules() if not list(m.children())]


def _receptive_field(calls: list) -> int | None:
    """Receptive field (input samples along one axis) of a chain of leaf modules."""
    from torch import nn

    conv_like = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d,
                 nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)  # fmt: skip
    pointwise = (nn.ReLU, nn.LeakyReLU, nn.GELU, nn.ELU, nn.SiLU, nn.Tanh, nn.Sigmoid,
                 nn.Softplus, nn.Identity, nn.Dropout, nn.Dropout2d, nn.BatchNorm1d,
                 nn.BatchNorm2d, nn.BatchNorm3d, nn.InstanceNorm1d, nn.InstanceNorm2d,
                 nn.InstanceNorm3d, nn.GroupNorm)  # fmt: skip
    global_ = (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
               nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d,
               nn.Flatten, nn.Linear)  # fmt: skip

    def first(v):
        return v[0] if isinstance(v, (tuple, list)) else v

    rf, jump, seen_conv = 1, 1, False
    for m in calls:
        if isinstance(m, conv_like):
            k = first(m.kernel_size)
            s = first(m.stride) if m.stride is not None else k
            dil = first(getattr(m, "dilation", 1))
            rf += (k - 1) * dil * jump
            jump *= s
            seen_conv = True
        elif isinstance(m, global_):
            break  # everything after sees the whole input: report the local trunk
        elif not isinstance(m, pointwise):
            return None  # transposed convolutions, custom layers: not defined here
    return rf if seen_conv else None


@dataclass(frozen=True)
class ArchitectureComplexity(_Measures):
    """Complexity of one network (a read-only mapping; see :func:`architecture_complexity`).

    Parameters
    ----------
    values : dict
        The measures by name (built by :func:`architecture_complexity`).

    Examples
    --------
    >>> from textures_nb.complexity import TextureCNN, architecture_complexity
    >>> ac = architecture_complexity(TextureCNN(4, 1), (1, 16, 16))
    >>> ac["params"] > 0, ac["depth"]
    (True, 2)
    """

    def plot(self, **kwargs):
        """Bar chart (log scale) of parameters, FLOPs and the VC bound."""
        import plotly.graph_objects as go

        names = [n for n in ("params", "flops", "vc_bound") if self.values.get(n)]
        fig = go.Figure(
            go.Bar(x=names, y=[self.values[n] for n in names], marker_color=palette(len(names)))
        )
        fig.update_layout(
            title=f"{self.values['name']}", yaxis_type="log", autosize=True, height=340, **kwargs
        )
        return fig

    def __repr__(self) -> str:
        v = self.values
        return (
            f"ArchitectureComplexity({v['name']}: params={v['params']}, depth={v['depth']}, "
            f"receptive_field={v['receptive_field']}, flops={v['flops']}, "
            f"vc_bound={v['vc_bound']:.3g})"
        )


def architecture_complexity(module, input_shape: Sequence[int] | None = None):
    """Parameters, depth, receptive field, FLOPs and a VC bound of a network.

    Parameters
    ----------
    module : torch.nn.Module
        Any network. Depth and receptive field read its leaf modules in the
        order a forward pass calls them (traced with hooks when
        ``input_shape`` is given, else in registration order), as a chain.
    input_shape : sequence of int, optional
        Shape of one input **without** the batch axis, e.g. ``(1, 32, 32)``:
        one forward pass of a batch of one is traced (no gradient) to count
        FLOPs with :class:`torch.utils.flop_counter.FlopCounterMode` and to
        order the layers.

    Returns
    -------
    ArchitectureComplexity
        A mapping with keys ``name``; ``params`` (all parameters, ``W``);
        ``trainable``; ``depth`` (layers holding weights: convolutions,
        transposed convolutions and linear layers, ``L``); ``receptive_field``
        (input samples along one axis seen by one output of the
        convolutional trunk, up to the first global pooling, flatten or
        linear layer; ``None`` where undefined: no convolution, transposed
        convolutions or custom layers); ``flops`` (floating-point operations
        of one forward pass, a multiply-add counting 2; ``None`` without
        ``input_shape``); ``vc_bound`` (``W * L * log2(W)``: Bartlett,
        Harvey, Liaw & Mehrabian 2019 prove ``VCdim = O(W L log W)`` for
        piecewise-linear networks; we state the bound with constant 1, an
        order of magnitude, not a certified number).

    Examples
    --------
    >>> from torch import nn
    >>> net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3, stride=2),
    ...                     nn.Conv2d(4, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    ...                     nn.Linear(4, 2))
    >>> ac = architecture_complexity(net, (1, 16, 16))
    >>> ac["params"], ac["depth"], ac["receptive_field"]
    (346, 4, 9)
    """
    import torch
    from torch import nn

    if not isinstance(module, nn.Module):
        raise TypeError(f"`module` must be a torch.nn.Module, got {type(module).__name__}.")
    weighted = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d,
                nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)  # fmt: skip
    params = int(sum(p.numel() for p in module.parameters()))
    trainable = int(sum(p.numel() for p in module.parameters() if p.requires_grad))
    calls = _leaf_modules(module)
    flops = None
    if input_shape is not None:
        shape = tuple(check_positive_int(s, "input_shape") for s in input_shape)
        order: list = []
        hooks = [m.register_forward_pre_hook(lambda m, a: order.append(m)) for m in calls]
        p0 = next(module.parameters(), None)
        x = torch.zeros(
            (1, *shape),
            dtype=p0.dtype if p0 is not None else torch.float32,
            device=p0.device if p0 is not None else "cpu",
        )
        was_training = module.training
        module.eval()
        try:
            from torch.utils.flop_counter import FlopCounterMode

            with torch.no_grad(), FlopCounterMode(display=False) as counter:
                module(x)
            flops = int(counter.get_total_flops())
        except Exception as exc:
            raise ValueError(
                f"`input_shape` {shape} does not fit the network ({type(exc).__name__}: "
                f"{str(exc)[:160]}); pass the shape of one input without the batch axis."
            ) from exc
        finally:
            module.train(was_training)
            for h in hooks:
                h.remove()
        calls = list(dict.fromkeys(order))
    depth = int(sum(isinstance(m, weighted) for m in calls))
    W = max(params, 2)
    values = {
        "name": type(module).__name__,
        "params": params,
        "trainable": trainable,
        "depth": depth,
        "receptive_field": _receptive_field(calls),
        "flops": flops,
        "vc_bound": float(W * max(depth, 1) * math.log2(W)),
    }
    return ArchitectureComplexity(values)


# --- texture tasks and classifiers -------------------------------------------------


@dataclass(frozen=True)
class TextureTask:
    """A texture classification task with a known truth (see :func:`texture_task`).

    Attributes
    ----------
    images : numpy.ndarray, shape (n, size, size)
        The textures, each standardised (zero mean, unit variance).
    labels : numpy.ndarray of int, shape (n,)
        Class of each texture.
    values : tuple of float
        The parameter of each class (``H``, ``lam`` or, for ``"coarse"``, the
        tilt exponent of the coarse band).
    kind : str
        ``"fbf"``, ``"mrw"`` or ``"coarse"``.
    delta : float
        The difficulty (smaller is harder): the step of the parameter between
        neighbouring classes, or for ``"coarse"`` the highest frequency
        (cycles per pixel) at which the classes differ.

    Examples
    --------
    >>> from textures_nb.complexity import texture_task
    >>> task = texture_task("fbf", 0.2, n_per_class=4, size=16, seed=0)
    >>> task.images.shape, sorted(set(task.labels.tolist()))
    ((8, 16, 16), [0, 1])
    """

    images: np.ndarray = field(repr=False)
    labels: np.ndarray = field(repr=False)
    values: tuple
    kind: str
    delta: float

    def features(self, kind: str = "wavelet", **kwargs) -> np.ndarray:
        """:func:`textures_nb.similarity.features` of the images, standardised per column."""
        from textures_nb import similarity

        kwargs.setdefault("progress", False)
        F = similarity.features(self.images, kind=kind, **kwargs)
        return similarity.standardize_features(F)

    def table(self):
        """One row per class: parameter value and number of items."""
        import pandas as pd

        name = {"fbf": "H", "mrw": "lam"}.get(self.kind, "tilt")
        return pd.DataFrame(
            {name: list(self.values), "items": np.bincount(self.labels, minlength=len(self.values))}
        ).rename_axis("class")

    def plot(self, per_class: int = 3, **kwargs):
        """A few textures of each class (:func:`textures_nb.plotting.images`)."""
        from textures_nb.plotting import images as show

        name = {"fbf": "H", "mrw": "lam"}.get(self.kind, "tilt")
        picks, titles = [], []
        for c, v in enumerate(self.values):
            idx = np.flatnonzero(self.labels == c)[:per_class]
            picks += [self.images[i] for i in idx]
            titles += [f"{name}={v:.3g}"] * len(idx)
        return show(picks, titles=titles, **kwargs)

    def __repr__(self) -> str:
        name = {"fbf": "H", "mrw": "lam"}.get(self.kind, "tilt")
        vals = ", ".join(f"{v:.3g}" for v in self.values)
        return (
            f"TextureTask({self.kind}, {len(self.labels)} x {self.images.shape[1:]}, "
            f"{name} = {vals}, delta={self.delta:g})"
        )


def texture_task(
    kind: str = "fbf",
    delta: float = 0.1,
    *,
    n_per_class: int = 64,
    size: int = 32,
    n_classes: int = 2,
    center: float | None = None,
    H: float = 0.7,
    strength: float = 2.0,
    seed=0,
) -> TextureTask:
    """Texture classes that differ by one parameter step ``delta`` (known truth).

    Parameters
    ----------
    kind : {"fbf", "mrw", "coarse"}
        ``"fbf"``: fractional Brownian fields (:func:`textures_nb.processes.fbf`)
        with Hurst exponents ``center + (c - (n_classes - 1) / 2) * delta``.
        ``"mrw"``: 2D multifractal random fields
        (:func:`textures_nb.processes.mrw`) with the same ``H`` and
        intermittencies ``lam = center + c * delta`` (they differ only in
        ``lam``).
        ``"coarse"``: Gaussian fields (periodic spectral synthesis) that share
        the spectrum ``|f|**-(2 center + 2)`` at every frequency above
        ``delta`` cycles per pixel and their total power; below ``delta`` the
        spectrum of class ``c`` is tilted by ``(|f| / delta)**e_c``, ``e_c``
        from ``+strength`` to ``-strength``, rescaled to keep the band's
        power. The classes differ only at wavelengths longer than ``1 /
        delta`` pixels, so a network must see that far (its receptive
        field) to tell them apart: the decisive statistic moves to coarser
        scales as ``delta`` shrinks.
    delta : float > 0
        ``"fbf"``, ``"mrw"``: step between neighbouring classes (``H`` or
        ``lam`` units), from 0.3 (easy) down to 0.01 (about chance at 32
        pixels). ``"coarse"``: the highest frequency at which the classes
        differ, in cycles per pixel (< 0.5), e.g. 0.25 (wavelengths of 4
        pixels and more: easy) down to 0.0625 (16 pixels and more).
        Smaller is harder in every family.
    n_per_class : int
        Textures per class.
    size : int
        Side of each texture (pixels), >= 8.
    n_classes : int
        Number of classes, >= 2.
    center : float, optional
        ``"fbf"``: central ``H`` (default 0.5); ``"mrw"``: smallest ``lam``
        (default 0.05); ``"coarse"``: ``H`` of the shared spectrum (default 0.5).
    H : float
        ``H`` of the MRW classes.
    strength : float
        ``"coarse"``: largest tilt exponent of the band below ``delta``.
    seed : int or numpy.random.Generator
        Keyword-only; every texture gets its own seed drawn from it.

    Returns
    -------
    TextureTask
        ``images`` (n, size, size) standardised per texture (``"coarse"``:
        zero mean and unit *expected* variance, the same scale for every
        texture, so that the fine scales carry no trace of the class),
        ``labels`` (n,).

    Examples
    --------
    >>> task = texture_task("fbf", 0.2, n_per_class=4, size=16)
    >>> task.images.shape, task.values
    ((8, 16, 16), (0.4, 0.6))
    """
    from textures_nb import processes

    if kind not in ("fbf", "mrw", "coarse"):
        raise ValueError(f"`kind` must be 'fbf', 'mrw' or 'coarse', got {kind!r}.")
    delta = check_in_range(delta, "delta", 0.0, 1.0)
    n_per_class = check_positive_int(n_per_class, "n_per_class", minimum=2)
    size = check_positive_int(size, "size", minimum=8)
    n_classes = check_positive_int(n_classes, "n_classes", minimum=2)
    rng = as_generator(seed)
    if kind == "fbf":
        center = 0.5 if center is None else float(center)
        values = tuple(
            round(center + (c - (n_classes - 1) / 2) * delta, 10) for c in range(n_classes)
        )
        if min(values) <= 0 or max(values) >= 1:
            raise ValueError(
                f"`delta`/`center` give H = {values}, outside (0, 1); use a smaller delta or "
                "fewer classes."
            )
    elif kind == "coarse":
        if delta >= 0.5:
            raise ValueError(
                f"`delta` = {delta} is the highest frequency at which 'coarse' classes differ, "
                "in cycles per pixel: it must be below 0.5 (Nyquist), e.g. 0.25."
            )
        if delta * size < 2:
            raise ValueError(
                f"`delta` = {delta} at `size` = {size} leaves no frequency below delta; use "
                f"delta >= {2 / size:g} or larger textures."
            )
        center = 0.5 if center is None else float(center)
        strength = check_in_range(strength, "strength", 0.0, np.inf)
        values = tuple(
            round(strength * (1 - 2 * c / (n_classes - 1)), 10) for c in range(n_classes)
        )
    else:
        center = 0.05 if center is None else float(center)
        values = tuple(round(center + c * delta, 10) for c in range(n_classes))
        if min(values) < 0 or H - max(values) ** 2 / 2 <= 0:
            raise ValueError(
                f"`delta`/`center` give lam = {values}, invalid for H = {H}; use a smaller "
                "delta or a larger H."
            )
    images, labels = [], []
    for c, v in enumerate(values):
        for _ in range(n_per_class):
            s = int(rng.integers(0, 2**31 - 1))
            if kind == "fbf":
                x = processes.fbf((size, size), v, seed=s)
            elif kind == "coarse":
                x = _coarse_field(size, center, delta, v, np.random.default_rng(s))
            else:
                x = processes.mrw((size, size), H, v, seed=s)
            if kind != "coarse":
                x = (x - x.mean()) / (x.std() + 1e-12)
            images.append(x)
            labels.append(c)
    return TextureTask(
        np.stack(images).astype(np.float32), np.asarray(labels), values, kind, float(delta)
    )


def _coarse_field(size: int, H: float, delta: float, tilt: float, rng) -> np.ndarray:
    """Periodic Gaussian field with spectrum ``|f|**-(2H+2)``, tilted by
    ``(|f| / delta)**tilt`` below ``delta`` with the band's power kept.

    Written here because the task needs a spectrum that is *exactly* shared
    above ``delta``, which :func:`textures_nb.processes.fbf` (cropped from a
    larger grid) does not give. Scaled to unit expected variance (the same
    constant for every class), not per texture: dividing by each texture's
    own standard deviation would carry the coarse band's random power into
    the fine scales and let a small network tell the classes apart there.
    """
    fy, fx = np.meshgrid(np.fft.fftfreq(size), np.fft.fftfreq(size), indexing="ij")
    f = np.hypot(fy, fx)
    power = np.zeros_like(f)
    nz = f > 0
    power[nz] = f[nz] ** -(2 * H + 2)
    band = nz & (f < delta)
    g = (f[band] / delta) ** tilt
    power[band] *= g * power[band].sum() / (power[band] * g).sum()
    white = rng.standard_normal((size, size))
    x = np.fft.ifft2(np.fft.fft2(white) * np.sqrt(power)).real
    return x / math.sqrt(power.sum() / size**2)  # unit *expected* variance


class TextureCNN(nn.Module):
    """Small CNN texture classifier: ``depth`` conv blocks of ``width`` channels.

    Each block is a 3x3 convolution, ReLU and 2x2 average pooling (stride
    2); then a global average of ``log(1 + features**2)`` (log-energies,
    the statistics that tell roughness apart) and a linear layer to
    ``n_classes`` logits. No batch normalisation: with a few dozen
    training textures, its batch statistics let the network fit in training
    mode what it cannot reproduce with running statistics at test time.

    Parameters
    ----------
    width : int
        Channels of every block.
    depth : int
        Number of blocks; the receptive field is ``2**(depth+1) + ...``
        (see :func:`architecture_complexity`).
    n_classes : int
        Output logits.
    in_channels : int
        Input channels (1 for grey textures).

    Examples
    --------
    >>> import torch
    >>> net = TextureCNN(4, 2)
    >>> net(torch.zeros(3, 1, 32, 32)).shape
    torch.Size([3, 2])
    """

    def __init__(self, width: int = 8, depth: int = 2, n_classes: int = 2, in_channels: int = 1):
        super().__init__()
        width = check_positive_int(width, "width")
        depth = check_positive_int(depth, "depth")
        n_classes = check_positive_int(n_classes, "n_classes", minimum=2)
        layers: list = []
        c = in_channels
        for _ in range(depth):
            layers += [nn.Conv2d(c, width, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2)]
            c = width
        self.width, self.depth = width, depth
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.head = nn.Linear(width, n_classes)

    def forward(self, x):
        return self.head(self.flatten(self.pool(torch.log1p(self.features(x) ** 2))))


def _as_images(images, name: str = "images") -> np.ndarray:
    x = as_finite_array(images, name, ndims=(3, 4), dtype=np.float32)
    return x[:, None] if x.ndim == 3 else x


def fit_classifier(
    model,
    images,
    labels,
    *,
    test_images=None,
    test_labels=None,
    epochs: int = 30,
    lr: float = 0.01,
    batch_size: int = 16,
    seed=0,
    device="cpu",
    progress: bool = True,
) -> dict[str, float]:
    """Train a classifier with Adam and cross-entropy; return its accuracies.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(B, C, H, W)`` to ``(B, n_classes)`` logits; trained in place.
    images : array_like, shape (n, H, W) or (n, C, H, W)
        Training textures.
    labels : array_like of int, shape (n,)
        Classes ``0 .. n_classes - 1``.
    test_images, test_labels : optional
        Held-out textures; their accuracy is reported as ``test_accuracy``.
    epochs, lr, batch_size :
        Optimisation settings (full passes, Adam's learning rate, items per step).
    seed : int or numpy.random.Generator
        Keyword-only; seeds the batch order. Torch's global random state is
        left untouched (``torch.random.fork_rng``).
    device : str or torch.device
        Where to train.
    progress : bool
        A tqdm bar over epochs.

    Returns
    -------
    dict
        ``train_accuracy``, ``test_accuracy`` (NaN without a test set) and
        ``final_loss`` (mean loss of the last epoch).

    Examples
    --------
    >>> from textures_nb.complexity import TextureCNN, fit_classifier, texture_task
    >>> task = texture_task("fbf", 0.3, n_per_class=4, size=16, seed=0)
    >>> acc = fit_classifier(TextureCNN(4, 1), task.images, task.labels, epochs=2, progress=False)
    >>> sorted(acc), 0 <= acc["train_accuracy"] <= 1
    (['final_loss', 'test_accuracy', 'train_accuracy'], True)
    """
    import torch
    from torch import nn

    X = _as_images(images)
    y = np.asarray(labels)
    if y.shape != (len(X),):
        raise ValueError(f"`labels` must have shape ({len(X)},), got {y.shape}.")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    rng = np.random.default_rng(torch_seed(seed))
    Xt = torch.as_tensor(X, device=device)
    yt = torch.as_tensor(y.astype(np.int64), device=device)
    model = model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    last = float("nan")
    for _ in tqdm(range(epochs), desc="training", disable=not progress, leave=False):
        model.train()
        order = rng.permutation(len(X))
        total = 0.0
        for start in range(0, len(X), batch_size):
            idx = torch.as_tensor(order[start : start + batch_size], device=device)
            opt.zero_grad()
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        last = total / len(X)

    def accuracy(A, b) -> float:
        model.eval()
        with torch.no_grad():
            pred = model(torch.as_tensor(A, device=device)).argmax(1).cpu().numpy()
        return float(np.mean(pred == np.asarray(b)))

    test = float("nan")
    if test_images is not None:
        test = accuracy(_as_images(test_images, "test_images"), test_labels)
    return {"train_accuracy": accuracy(X, y), "test_accuracy": test, "final_loss": last}


def _fit_one(task: TextureTask, width: int, depth: int, epochs: int, lr: float, seed: int):
    """Train TextureCNN(width, depth) on half of ``task`` (stratified), test on the rest."""
    import torch

    rng = np.random.default_rng(seed)
    train = np.zeros(len(task.labels), dtype=bool)
    for c in np.unique(task.labels):
        idx = rng.permutation(np.flatnonzero(task.labels == c))
        train[idx[: len(idx) // 2]] = True
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = TextureCNN(width, depth, n_classes=len(task.values))
        out = fit_classifier(
            model,
            task.images[train],
            task.labels[train],
            test_images=task.images[~train],
            test_labels=task.labels[~train],
            epochs=epochs,
            lr=lr,
            seed=seed,
            progress=False,
        )
    out["params"] = architecture_complexity(model)["params"]
    return out


@dataclass(frozen=True)
class CapacityResult:
    """Accuracy a network family reaches on random labels (:func:`empirical_capacity`).

    Attributes
    ----------
    accuracy : float
        Mean training accuracy on random labels over seeds.
    accuracies : tuple of float
        One per seed.
    chance : float
        ``1 / n_classes``.
    n_items, n_classes, epochs : int

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.complexity import TextureCNN, empirical_capacity
    >>> X = np.random.default_rng(0).standard_normal((8, 1, 16, 16))
    >>> cap = empirical_capacity(lambda: TextureCNN(4, 1), X, epochs=2, progress=False)
    >>> cap.chance, len(cap.accuracies)
    (0.5, 1)
    """

    accuracy: float
    accuracies: tuple = field(repr=False)
    chance: float
    n_items: int
    n_classes: int
    epochs: int

    @property
    def memorised(self) -> float:
        """Share of the items memorised beyond chance: ``(acc - chance) / (1 - chance)``."""
        return (self.accuracy - self.chance) / (1 - self.chance)

    def table(self):
        """One row per seed: accuracy on random labels."""
        import pandas as pd

        return pd.DataFrame({"accuracy": list(self.accuracies)}).rename_axis("seed")

    def plot(self, **kwargs):
        """Accuracies per seed against chance."""
        import plotly.graph_objects as go

        fig = go.Figure(go.Bar(y=list(self.accuracies), marker_color=palette(1)[0]))
        fig.add_hline(y=self.chance, line_dash="dash", annotation_text="chance")
        fig.update_layout(
            title="Training accuracy on random labels", xaxis_title="seed",
            yaxis_title="accuracy", yaxis_range=[0, 1], autosize=True, height=320, **kwargs,
        )  # fmt: skip
        return fig


def empirical_capacity(
    module_factory: Callable[[], Any],
    X,
    *,
    n_classes: int = 2,
    epochs: int = 60,
    lr: float = 0.01,
    batch_size: int = 16,
    n_seeds: int = 1,
    seed=0,
    device="cpu",
    progress: bool = True,
) -> CapacityResult:
    """Training accuracy a network reaches on random labels (Zhang et al. 2017).

    A network that fits random labels of ``n`` items has the capacity to
    memorise ``n`` items; the accuracy it reaches in a fixed training budget
    is an empirical, architecture-and-optimiser capacity, complementary to
    the VC bound of :func:`architecture_complexity`.

    Parameters
    ----------
    module_factory : callable
        ``module_factory()`` returns a fresh ``torch.nn.Module`` mapping
        ``X``'s items to ``n_classes`` logits (e.g.
        ``functools.partial(TextureCNN, 8, 2)``).
    X : array_like, shape (n, H, W) or (n, C, H, W)
        Inputs (their content does not matter: the labels are random).
    n_classes : int
        Number of random classes (chance is ``1 / n_classes``).
    epochs, lr, batch_size :
        Training budget (see :func:`fit_classifier`).
    n_seeds : int
        Repeats with different labels, initialisations and batch orders.
    seed : int or numpy.random.Generator
        Keyword-only.
    device : str or torch.device
    progress : bool
        A bar over seeds.

    Returns
    -------
    CapacityResult
        ``.accuracy`` (mean over seeds), ``.accuracies``, ``.chance``.

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.complexity import TextureCNN, empirical_capacity
    >>> X = np.random.default_rng(0).standard_normal((8, 1, 16, 16))
    >>> cap = empirical_capacity(lambda: TextureCNN(4, 1), X, epochs=2, progress=False)
    >>> 0 <= cap.accuracy <= 1
    True
    """
    import torch

    if not callable(module_factory):
        raise TypeError("`module_factory` must be callable and return a new torch.nn.Module.")
    X = _as_images(X, "X")
    n_classes = check_positive_int(n_classes, "n_classes", minimum=2)
    n_seeds = check_positive_int(n_seeds, "n_seeds")
    base = torch_seed(seed)
    accs = []
    for s in tqdm(range(n_seeds), desc="random labels", disable=not progress):
        s = base + s
        labels = np.random.default_rng(s).integers(0, n_classes, len(X))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(s)
            model = module_factory()
            out = fit_classifier(
                model, X, labels, epochs=epochs, lr=lr, batch_size=batch_size, seed=s,
                device=device, progress=False,
            )  # fmt: skip
        accs.append(out["train_accuracy"])
    return CapacityResult(
        float(np.mean(accs)), tuple(accs), 1.0 / n_classes, len(X), n_classes, epochs
    )


# --- sweeps and the matched-complexity frontier -----------------------------------


def _check_archs(archs) -> list[tuple[int, int]]:
    out = []
    for a in archs:
        if not (isinstance(a, (tuple, list)) and len(a) == 2):
            raise TypeError(f"`archs` must hold (width, depth) pairs, got {a!r}.")
        out.append((check_positive_int(a[0], "width"), check_positive_int(a[1], "depth")))
    if not out:
        raise ValueError("`archs` is empty: pass (width, depth) pairs, e.g. [(2, 1), (8, 2)].")
    return out


@dataclass(frozen=True)
class SweepResult:
    """Test accuracy over task difficulty x architecture x seed (see :func:`sweep`).

    Attributes
    ----------
    runs : pandas.DataFrame
        One row per fit: ``delta``, ``width``, ``depth``, ``params``,
        ``seed``, ``test_accuracy``, ``train_accuracy``.
    failures : dict
        ``"delta=..., width=..., depth=..., seed=..."`` -> error, for fits that raised.
    kind : str
        Task family (``"fbf"``, ``"mrw"`` or ``"coarse"``).
    seconds : float
        Wall time of the sweep.
    chance : float
        Accuracy of guessing (``1 / n_classes``).

    Examples
    --------
    >>> from textures_nb.complexity import sweep
    >>> res = sweep([0.3], [(4, 1)], 1, n_per_class=4, size=16, epochs=1, progress=False)
    >>> len(res.runs), "test_accuracy" in res.runs.columns
    (1, True)
    """

    runs: Any = field(repr=False)
    failures: dict = field(default_factory=dict)
    kind: str = "fbf"
    seconds: float = float("nan")
    chance: float = 0.5

    def table(self):
        """Mean, standard error and count of the test accuracy per (delta, architecture)."""
        g = self.runs.groupby(["delta", "width", "depth", "params"])["test_accuracy"]
        t = g.agg(["mean", "std", "count"]).reset_index()
        t["se"] = t["std"].fillna(0.0) / np.sqrt(t["count"])
        return t.sort_values(["delta", "params"], ascending=[False, True]).reset_index(drop=True)

    def frontier(self):
        """The matched complexity: for each difficulty, the smallest architecture
        (fewest parameters) whose mean accuracy is within one standard error of
        the best one's.

        Returns
        -------
        pandas.DataFrame
            One row per ``delta`` (easiest first): the chosen ``width``,
            ``depth``, ``params``, its ``mean`` and ``se``, the best mean
            ``best_mean`` / ``best_se``, and ``learnable``: whether the best
            mean exceeds chance by more than two standard errors (where it
            does not, no architecture helps and the smallest is "enough").
        """
        import pandas as pd

        rows = []
        for delta, t in self.table().groupby("delta", sort=False):
            best = t.loc[t["mean"].idxmax()]
            ok = t[t["mean"] >= best["mean"] - best["se"]].sort_values("params")
            pick = ok.iloc[0]
            rows.append(
                {
                    "delta": delta,
                    "width": int(pick["width"]),
                    "depth": int(pick["depth"]),
                    "params": int(pick["params"]),
                    "mean": pick["mean"],
                    "se": pick["se"],
                    "best_mean": best["mean"],
                    "best_se": best["se"],
                    "learnable": bool(best["mean"] - 2 * best["se"] > self.chance),
                }
            )
        return pd.DataFrame(rows).sort_values("delta", ascending=False).reset_index(drop=True)

    def frontier_is_monotone(self) -> bool:
        """Whether harder tasks never get a smaller matched architecture, within error bars.

        Over the learnable difficulties (see :meth:`frontier`), a harder task
        ``h`` whose matched architecture is smaller than that of an easier task
        ``e`` breaks monotonicity unless, on ``e``, that smaller architecture's
        mean accuracy is within the two standard errors (its own and the
        best's) of the best: then the two picks are not told apart by the
        repeats.

        Returns
        -------
        bool

        Examples
        --------
        >>> import pandas as pd
        >>> runs = pd.DataFrame({"delta": [0.2, 0.2, 0.1, 0.1], "width": [1, 8, 1, 8],
        ...     "depth": 1, "params": [14, 98, 14, 98], "seed": 0,
        ...     "test_accuracy": [0.95, 0.96, 0.6, 0.9], "train_accuracy": 1.0})
        >>> SweepResult(runs).frontier_is_monotone()
        True
        """
        fr = self.frontier()
        fr = fr[fr["learnable"]].reset_index(drop=True)  # easiest first
        t = self.table()
        for i in range(len(fr)):
            for j in range(i + 1, len(fr)):
                e, h = fr.iloc[i], fr.iloc[j]
                if h["params"] >= e["params"]:
                    continue
                row = t[(t["delta"] == e["delta"]) & (t["params"] == h["params"])]
                if (
                    row.empty
                    or row["mean"].iloc[0] < e["best_mean"] - e["best_se"] - row["se"].iloc[0]
                ):
                    return False
        return True

    def plot(self, **kwargs):
        """Heatmap of mean test accuracy (difficulty x architecture) with the frontier."""
        import plotly.graph_objects as go

        t = self.table()
        archs = t[["width", "depth", "params"]].drop_duplicates().sort_values("params")
        labels = [f"w{w} d{d} ({p})" for w, d, p in archs.itertuples(index=False)]
        deltas = sorted(t["delta"].unique(), reverse=True)
        z = np.full((len(deltas), len(archs)), np.nan)
        text = np.full(z.shape, "", dtype=object)
        for r in t.itertuples(index=False):
            i = deltas.index(r.delta)
            j = list(archs["params"]).index(r.params)
            z[i, j] = r.mean
            text[i, j] = f"{r.mean:.2f}±{r.se:.2f}"
        ylab = [f"Δ={d:g}" for d in deltas]
        fig = go.Figure(
            go.Heatmap(
                z=z, x=list(range(len(labels))), y=list(range(len(deltas))), text=text,
                texttemplate="%{text}", colorscale="Viridis", zmin=0.5 if len(deltas) else 0,
                zmax=1.0, colorbar=dict(title="test accuracy"),
            )
        )  # fmt: skip
        fr = self.frontier()
        fx = np.array([list(archs["params"]).index(p) for p in fr["params"]])
        fy = np.array([deltas.index(d) for d in fr["delta"]]) + 0.3  # above the cell's text
        ok = fr["learnable"].to_numpy()
        colours = palette(4)
        fig.add_trace(
            go.Scatter(
                x=fx[ok], y=fy[ok], mode="lines+markers", name="matched complexity",
                line=dict(color=colours[3], width=3),
                marker=dict(size=16, symbol="star-open", line=dict(width=2)),
            )
        )  # fmt: skip
        if (~ok).any():
            fig.add_trace(
                go.Scatter(
                    x=fx[~ok], y=fy[~ok], mode="markers", name="best not above chance (2 se)",
                    marker=dict(size=14, symbol="x-open", color=colours[1], line=dict(width=2)),
                )
            )  # fmt: skip
        fig.update_layout(
            title=f"Test accuracy ({self.kind}): difficulty x architecture",
            xaxis=dict(tickvals=list(range(len(labels))), ticktext=labels,
                       title="architecture (width, depth, parameters)"),
            yaxis=dict(tickvals=list(range(len(deltas))), ticktext=ylab,
                       title="difficulty delta (smaller is harder)"),
            legend=dict(x=0.01, y=1.0, yanchor="bottom", orientation="h"),
            showlegend=True, autosize=True, height=440, **kwargs,
        )  # fmt: skip
        return fig

    def __repr__(self) -> str:
        r = self.runs
        return (
            f"SweepResult({self.kind}, {len(r)} fits: {r['delta'].nunique()} difficulties x "
            f"{r[['width', 'depth']].drop_duplicates().shape[0]} architectures x "
            f"{r['seed'].nunique()} seeds, {len(self.failures)} failed, {self.seconds:.0f} s)"
        )


def _sweep_point(point: tuple, kind: str, n_per_class: int, size: int, epochs: int, lr: float):
    delta, width, depth, seed = point
    task = texture_task(kind, delta, n_per_class=n_per_class, size=size, seed=seed)
    out = _fit_one(task, width, depth, epochs, lr, seed)
    return {"delta": delta, "width": width, "depth": depth, "seed": seed, **out}


def _run_points(
    fn: Callable,
    points: list,
    *,
    executor: Any,
    progress: bool,
    desc: str,
    what: str,
    label: Callable[[Any], str],
) -> tuple[list, dict]:
    """Run ``fn`` on every point, here or on ``executor``; collect rows and failures.

    Rows come back in the order of ``points``; a point whose call raised is
    reported in the failures under ``label(point)`` (the error text), and a
    ``RuntimeError`` is raised only when every call failed.
    """
    from textures_nb.runner import open_executor

    rows, failures = [], {}
    with open_executor(executor) as pool:
        if pool is None:
            results = ((p, _call(fn, p)) for p in points)
        else:
            futures = [(p, pool.submit(_call, fn, p)) for p in points]
            results = ((p, f.result()) for p, f in futures)
        for p, (ok, value) in tqdm(results, total=len(points), desc=desc, disable=not progress):
            if ok:
                rows.append(value)
            else:
                failures[label(p)] = value
    if not rows:
        raise RuntimeError(f"every {what} failed; first: {next(iter(failures.items()))}")
    return rows, failures


def sweep(
    deltas: Iterable[float],
    archs: Iterable[tuple[int, int]],
    seeds: int | Iterable[int] = 3,
    *,
    kind: str = "fbf",
    n_per_class: int = 64,
    size: int = 32,
    epochs: int = 30,
    lr: float = 0.01,
    executor: Any = None,
    progress: bool = True,
) -> SweepResult:
    """Test accuracy of :class:`TextureCNN` over difficulty x architecture x seed.

    For each seed and ``delta`` a fresh :func:`texture_task` is drawn (two
    classes, ``n_per_class`` textures each), split in halves (stratified),
    and each architecture is trained on one half and tested on the other.

    Parameters
    ----------
    deltas : iterable of float
        Class steps (``H`` steps for ``"fbf"``, ``lam`` steps for ``"mrw"``).
    archs : iterable of (width, depth)
        Architectures of :class:`TextureCNN`.
    seeds : int or iterable of int
        Repeats (an int ``n`` means ``range(n)``); the seed draws the task,
        the split, the initialisation and the batch order.
    kind, n_per_class, size :
        Task family and size (see :func:`texture_task`).
    epochs, lr :
        Training budget (see :func:`fit_classifier`).
    executor : None, str, distributed.Client or concurrent.futures.Executor
        Where fits run (:func:`textures_nb.batch.open_executor`); None runs
        them here, in series. A failing fit is reported in ``.failures``.
    progress : bool
        A bar over fits.

    Returns
    -------
    SweepResult
        ``.runs``, ``.table()``, ``.frontier()``, ``.plot()``.

    Examples
    --------
    >>> from textures_nb.complexity import sweep
    >>> res = sweep([0.1, 0.3], [(4, 1)], 1, n_per_class=4, size=16, epochs=1, progress=False)
    >>> sorted(res.runs["delta"].unique().tolist())
    [0.1, 0.3]
    """
    import functools

    import pandas as pd

    from textures_nb._shared.repeat import check_seeds

    deltas = [check_in_range(d, "deltas", 0.0, 1.0) for d in deltas]
    if not deltas:
        raise ValueError("`deltas` is empty: pass class steps, e.g. [0.3, 0.1, 0.03].")
    archs = _check_archs(archs)
    seeds = check_seeds(seeds)
    points = [(d, w, dp, s) for s in seeds for d in deltas for (w, dp) in archs]
    fn = functools.partial(
        _sweep_point, kind=kind, n_per_class=n_per_class, size=size, epochs=epochs, lr=lr
    )

    t0 = time.perf_counter()
    rows, failures = _run_points(
        fn, points, executor=executor, progress=progress, desc="sweep", what="fit",
        label=lambda p: f"delta={p[0]}, width={p[1]}, depth={p[2]}, seed={p[3]}",
    )  # fmt: skip
    return SweepResult(pd.DataFrame(rows), failures, kind, time.perf_counter() - t0)


def _call(fn, point):
    try:
        return True, fn(point)
    except Exception as exc:  # reported, never loses the other fits
        return False, f"{type(exc).__name__}: {exc}"


def sweep_from_summary(table, column: str = "sweep runs", *, kind: str = "fbf") -> SweepResult:
    """Gather the fits recorded by a batch of notebook runs into one :class:`SweepResult`.

    Each run of notebook 09 records its fits with
    ``record("sweep runs", result.runs.to_dict("records"))``;
    :func:`textures_nb.batch.summary` gives one row per run, and this puts
    their fits together (failed runs are listed in ``.failures``).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`textures_nb.batch.summary` of the batch folder.
    column : str
        The recorded column holding each run's list of fits.
    kind : str
        Task family, for the labels.

    Examples
    --------
    >>> import pandas as pd
    >>> from textures_nb.complexity import sweep, sweep_from_summary
    >>> runs = sweep([0.3], [(4, 1)], 1, n_per_class=4, size=16, epochs=1, progress=False).runs
    >>> table = pd.DataFrame({"run_id": ["seed=0"], "sweep runs": [runs.to_dict("records")]})
    >>> len(sweep_from_summary(table).runs) == len(runs)
    True
    """
    import pandas as pd

    if column not in getattr(table, "columns", ()):
        raise ValueError(
            f"`table` has no column {column!r}; pass textures_nb.batch.summary(out_dir) of runs "
            "that recorded it."
        )
    rows, failures = [], {}
    errors = table["error"] if "error" in table.columns else [None] * len(table)
    for rid, value, error in zip(table["run_id"], table[column], errors, strict=True):
        if isinstance(value, list):
            rows += value
        else:
            failures[str(rid)] = str(error or "no fits recorded")
    if not rows:
        raise ValueError("no run recorded any fit; check the batch's status column.")
    seconds = float(pd.to_numeric(table.get("seconds"), errors="coerce").sum())
    return SweepResult(pd.DataFrame(rows), failures, kind, seconds)


#: Settings of the real sweep (notebook 09 with ``full = True``), one batch run per seed,
#: by task family. ``"coarse"``: the decisive statistic moves to coarser scales; ``"fbf"``:
#: classes closer in ``H``.
FULL_SWEEP: dict[str, dict[str, Any]] = {
    "coarse": {
        "deltas": [0.25, 0.125, 0.0625, 0.03125],
        "widths": [1, 2, 4, 4, 8, 8, 16, 16],
        "depths": [1, 1, 1, 2, 2, 3, 3, 4],
        "n_per_class": 48,
        "size": 64,
        "epochs": 40,
    },
    "fbf": {
        "deltas": [0.3, 0.2, 0.1, 0.05],
        "widths": [1, 2, 4, 4, 8, 8, 16],
        "depths": [1, 1, 1, 2, 2, 3, 3],
        "n_per_class": 48,
        "size": 64,
        "epochs": 40,
    },
}


def _run_seeds(notebook, seeds, out_dir, params, executor, workers, progress):
    """Run ``notebook`` once per seed with ``params`` into ``out_dir``; its summary table."""
    from textures_nb._shared.repeat import check_seeds
    from textures_nb.runner import run_grid, summary

    run_grid(
        notebook,
        {"seed": check_seeds(seeds)},
        out_dir,
        executor,
        parameters=params,
        workers=workers,
        progress=progress,
    )
    return summary(out_dir)


def batch_sweep(
    notebook,
    out_dir,
    seeds: int | Iterable[int] = 10,
    *,
    settings: Mapping[str, Any] | None = None,
    kind: str = "fbf",
    executor: Any = None,
    workers: int | None = None,
    progress: bool = True,
) -> SweepResult:
    """Run the sweep as a batch of notebook runs (:func:`textures_nb.batch.run_grid`).

    One run of ``notebook`` (notebook 09) per seed, each with ``full=False``,
    ``n_seeds=1``, ``run_capacity=False`` (no random-label fits) and
    ``settings``; every run records its fits and
    :func:`sweep_from_summary` gathers them. Runs that finished are skipped
    when the call is repeated (resumable), and a Dask scheduler address as
    ``executor`` spreads them over a cluster.

    Parameters
    ----------
    notebook : str or Path
        ``notebooks/09_complexity_matching.ipynb``.
    out_dir : str or Path
        Batch folder (one subfolder per run).
    seeds : int or iterable of int
        One run per seed (an int ``n`` means ``range(n)``).
    settings : mapping, optional
        Notebook parameters of every run (default ``FULL_SWEEP[kind]``, see
        :data:`FULL_SWEEP`).
    kind : str
        Task family.
    executor, workers, progress :
        See :func:`textures_nb.batch.run_grid`.

    Returns
    -------
    SweepResult

    Examples
    --------
    >>> import tempfile
    >>> from textures_nb.complexity import batch_sweep
    >>> out = tempfile.mkdtemp()
    >>> res = batch_sweep("notebooks/09_complexity_matching.ipynb", out, 1)  # doctest: +SKIP
    >>> res.table()  # doctest: +SKIP
    """
    if kind not in FULL_SWEEP:
        raise ValueError(f"`kind` must be one of {sorted(FULL_SWEEP)}, got {kind!r}.")
    params = {
        **FULL_SWEEP[kind],
        "run_capacity": False,
        **(settings or {}),
        "full": False,
        "n_seeds": 1,
        "kind": kind,
    }
    table = _run_seeds(notebook, seeds, out_dir, params, executor, workers, progress)
    return sweep_from_summary(table, kind=kind)


# --- the same question for synthesis: DCGAN width vs the log-cumulant gap ----------------

#: Settings of the synthesis sweep (:func:`synthesis_sweep`, notebook 09 with ``full = True``):
#: 1D MRW walks of 256 samples with ``c1 = H + lam**2 / 2 = 0.745`` and ``c2 = -lam**2 = -0.09``,
#: DCGANs of 3 stride-2 stages (base grid 32 samples) at generator/discriminator widths 4 to 32,
#: 60 epochs of 256 walks (480 steps), gaps measured on 128 samples against 128 fresh walks.
SYNTHESIS_SWEEP: dict[str, Any] = {
    "widths": [4, 8, 16, 32],
    "H": 0.7,
    "lam": 0.3,
    "dim": 1,
    "size": 256,
    "n_train": 256,
    "n_samples": 128,
    "epochs": 60,
    "latent": 16,
    "depth": 3,
    "batch_size": 32,
    "scales": [1, 4],
}

_GAP_STATS = ("c2", "c1")


@dataclass(frozen=True)
class SynthesisSweepResult:
    """Log-cumulant gaps of DCGAN samples over generator width x seed (:func:`synthesis_sweep`).

    The gap of one training is the mean log-cumulant of its samples minus
    that of fresh realisations of the same process, both measured with the
    same estimator (so its bias at small sizes cancels); ``floor`` columns
    give the same difference for the training realisations themselves, the
    gap of a generator that would copy its data.

    Attributes
    ----------
    runs : pandas.DataFrame
        One row per training: ``width``, ``seed``, ``params_g``, ``params_d``,
        ``c1_gap``, ``c2_gap``, ``c1_floor``, ``c2_floor``, ``c1_real``,
        ``c2_real``, ``seconds``.
    failures : dict
        ``"width=..., seed=..."`` -> error, for trainings that raised.
    seconds : float
        Wall time of the sweep.
    truth : dict
        The process' ``c1`` and ``c2`` (``H + lam**2 / 2``, ``-lam**2``).

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"width": [4, 4, 8, 8], "seed": [0, 1, 0, 1],
    ...     "params_g": [10, 10, 30, 30], "c2_gap": [0.10, 0.12, 0.01, 0.03],
    ...     "c1_gap": [0.0, 0.0, 0.0, 0.0]})
    >>> SynthesisSweepResult(runs).matched()["width"]
    8
    """

    runs: Any = field(repr=False)
    failures: dict = field(default_factory=dict)
    seconds: float = float("nan")
    truth: dict = field(default_factory=dict)

    def table(self):
        """Per width: mean and standard error over seeds of each gap and of its absolute value.

        Returns
        -------
        pandas.DataFrame
            One row per ``width`` (ascending): ``params_g``, ``count`` and, for
            ``c2`` and ``c1``, ``{s}_gap`` (signed mean), ``abs_{s}_gap`` (mean
            of ``|gap|``), ``abs_{s}_gap_se`` (its standard error), and
            ``{s}_floor`` (mean ``|floor|``) where the runs record it.
        """
        import pandas as pd

        rows = []
        for w, t in self.runs.groupby("width", sort=True):
            row = {"width": int(w), "count": len(t)}
            if "params_g" in t.columns:
                row["params_g"] = int(t["params_g"].iloc[0])
            for s in _GAP_STATS:
                gap = t[f"{s}_gap"].to_numpy(float)
                a = np.abs(gap)
                row[f"{s}_gap"] = float(gap.mean())
                row[f"abs_{s}_gap"] = float(a.mean())
                se = a.std(ddof=1) / np.sqrt(len(a)) if len(a) > 1 else 0.0
                row[f"abs_{s}_gap_se"] = float(se)
                if f"{s}_floor" in t.columns:
                    row[f"{s}_floor"] = float(np.abs(t[f"{s}_floor"].to_numpy(float)).mean())
            rows.append(row)
        return pd.DataFrame(rows)

    def matched(self, statistic: str = "c2") -> dict[str, Any]:
        """The matched width: the smallest whose mean ``|gap|`` is within one standard
        error of the best (smallest) mean ``|gap|``.

        Parameters
        ----------
        statistic : {"c2", "c1"}
            Which log-cumulant's gap.

        Returns
        -------
        dict
            ``width``, its ``gap`` and ``se`` (mean and standard error of
            ``|gap|``), ``best_width``, ``best_gap``, ``best_se``.
        """
        if statistic not in _GAP_STATS:
            raise ValueError(f"`statistic` must be one of {list(_GAP_STATS)}, got {statistic!r}.")
        t = self.table()
        col, se = f"abs_{statistic}_gap", f"abs_{statistic}_gap_se"
        best = t.loc[t[col].idxmin()]
        pick = t[t[col] <= best[col] + best[se]].sort_values("width").iloc[0]
        return {
            "width": int(pick["width"]),
            "gap": float(pick[col]),
            "se": float(pick[se]),
            "best_width": int(best["width"]),
            "best_gap": float(best[col]),
            "best_se": float(best[se]),
        }

    def plot(self, **kwargs):
        """Mean ``|gap|`` of ``c2`` and ``c1`` against the width (log axis), with standard
        errors, the copy-the-data floor (dotted) and the matched width (star)."""
        import plotly.graph_objects as go

        t = self.table()
        colours = palette(4)
        fig = go.Figure()
        for k, s in enumerate(_GAP_STATS):
            col = f"abs_{s}_gap"
            fig.add_trace(
                go.Scatter(
                    x=t["width"], y=t[col], mode="lines+markers", name=f"|{s} gap|",
                    error_y=dict(type="data", array=t[f"{col}_se"], visible=True),
                    line=dict(color=colours[k]),
                )
            )  # fmt: skip
            if f"{s}_floor" in t.columns:
                fig.add_trace(
                    go.Scatter(
                        x=t["width"], y=t[f"{s}_floor"], mode="lines", name=f"{s} floor (data)",
                        line=dict(color=colours[k], dash="dot"),
                    )
                )  # fmt: skip
            m = self.matched(s)
            fig.add_trace(
                go.Scatter(
                    x=[m["width"]], y=[m["gap"]], mode="markers", name=f"matched width ({s})",
                    marker=dict(size=18, symbol="star-open", color=colours[k], line=dict(width=2)),
                )
            )  # fmt: skip
        fig.update_layout(
            title="DCGAN width vs the log-cumulant gap of its samples",
            xaxis=dict(type="log", tickvals=t["width"].tolist(), title="generator width"),
            yaxis=dict(title="mean |generated - real| over seeds", rangemode="tozero"),
            legend=dict(x=0.01, y=1.0, yanchor="bottom", orientation="h"),
            autosize=True, height=440, **kwargs,
        )  # fmt: skip
        return fig

    def __post_init__(self) -> None:
        import pandas as pd

        if not isinstance(self.runs, pd.DataFrame):  # e.g. a list of row dicts
            object.__setattr__(self, "runs", pd.DataFrame(self.runs))

    def __repr__(self) -> str:
        r = self.runs
        ok = {"width", "seed", "c1_gap", "c2_gap"} <= set(r.columns) and len(r) > 0
        size = f"{r['width'].nunique()} widths x {r['seed'].nunique()} seeds" if ok else "no runs"
        match = f", matched width for c2: {self.matched('c2')['width']}" if ok else ""
        when = f", {self.seconds:.0f} s" if np.isfinite(self.seconds) else ", recorded"
        return f"SynthesisSweepResult({size}, {len(self.failures)} failed{match}{when})"


def _check_scales(scales) -> tuple[int, int]:
    try:
        j1, j2 = scales
    except (TypeError, ValueError):
        raise TypeError(f"`scales` must be a pair (j1, j2), got {scales!r}.") from None
    j1, j2 = check_positive_int(j1, "scales[0]"), check_positive_int(j2, "scales[1]")
    if j2 <= j1:
        raise ValueError(f"`scales` must have j1 < j2, got {scales!r}; e.g. (1, 4).")
    return j1, j2


def _synthesis_point(point: tuple, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Train one DCGAN (width, seed) on fresh MRW realisations; measure its gaps."""
    from textures_nb.generative import DCGANConfig, compare_log_cumulants, mrw_dataset, train

    width, seed = point
    s = settings
    dim, size = s["dim"], s["size"]
    data = mrw_dataset(s["n_train"], size, s["H"], s["lam"], seed=seed, dim=dim)
    fresh = mrw_dataset(
        s["n_samples"], size, s["H"], s["lam"], seed=np.random.default_rng([seed, 1]), dim=dim
    )
    cfg = DCGANConfig(
        dim=dim, width=width, latent=s["latent"], depth=s["depth"],
        batch_size=s["batch_size"], epochs=s["epochs"],
    )  # fmt: skip
    run = train(data, cfg, seed=seed, progress=False)
    samples = run.sample(s["n_samples"], seed=seed + 1)
    scales = tuple(s["scales"])
    gen = compare_log_cumulants(fresh, samples, scales=scales, dim=dim, n=None)
    floor = compare_log_cumulants(fresh, data[: s["n_samples"]], scales=scales, dim=dim, n=None)
    return {
        "width": width,
        "seed": seed,
        "params_g": sum(p.numel() for p in run.generator.parameters()),
        "params_d": sum(p.numel() for p in run.discriminator.parameters()),
        **{f"{c}_gap": float(gen.loc[c, "difference"]) for c in _GAP_STATS},
        **{f"{c}_floor": float(floor.loc[c, "difference"]) for c in _GAP_STATS},
        **{f"{c}_real": float(gen.loc[c, "real"]) for c in _GAP_STATS},
        "seconds": run.seconds,
    }


def synthesis_sweep(
    widths: Iterable[int] = (4, 8, 16, 32),
    seeds: int | Iterable[int] = 3,
    *,
    H: float = 0.7,
    lam: float = 0.3,
    dim: int = 1,
    size: int = 256,
    n_train: int = 256,
    n_samples: int = 128,
    epochs: int = 60,
    latent: int = 16,
    depth: int | None = 3,
    batch_size: int = 32,
    scales: tuple[int, int] = (1, 4),
    executor: Any = None,
    progress: bool = True,
) -> SynthesisSweepResult:
    """The matched complexity of synthesis: DCGAN width vs the log-cumulant gap of its samples.

    For each seed, ``n_train`` MRW realisations (known ``c1 = H + lam**2 / 2``,
    ``c2 = -lam**2``) train a :func:`textures_nb.generative.train` DCGAN of each
    width (``DCGANConfig.width``: the generator's last hidden layer and the
    discriminator's first, doubling per stage); ``n_samples`` samples and as
    many fresh realisations are measured with the same wavelet-leader
    estimator (:func:`textures_nb.generative.compare_log_cumulants`), and the
    gap is their difference of means. :meth:`SynthesisSweepResult.matched`
    gives the smallest width within one standard error of the best.

    Parameters
    ----------
    widths : iterable of int
        DCGAN widths.
    seeds : int or iterable of int
        Repeats (an int ``n`` means ``range(n)``); the seed draws the data,
        the fresh realisations, the training and the samples.
    H, lam : float
        MRW parameters (:func:`textures_nb.generative.mrw_dataset`).
    dim, size : int
        1 (walks of ``size`` samples) or 2 (``size x size`` fields).
    n_train, n_samples : int
        Training realisations; samples (and fresh realisations) measured.
    epochs, latent, depth, batch_size :
        :class:`textures_nb.generative.DCGANConfig` settings (``depth`` stride-2
        stages, None for a 4-sample base grid).
    scales : (int, int)
        Fit range of the log-cumulants (dyadic scales).
    executor : None, str, distributed.Client or concurrent.futures.Executor
        Where trainings run (:func:`textures_nb.batch.open_executor`); None
        runs them here, in series. A failing training goes to ``.failures``.
    progress : bool
        A bar over trainings.

    Returns
    -------
    SynthesisSweepResult
        One row of ``.runs`` per width x seed; ``.table()``, ``.matched()``, ``.plot()``.

    Examples
    --------
    >>> from textures_nb.complexity import synthesis_sweep
    >>> res = synthesis_sweep([2], 1, size=64, n_train=8, n_samples=4, epochs=1, latent=4,
    ...     depth=2, batch_size=8, scales=(1, 2), progress=False)
    >>> len(res.runs), res.matched()["width"]
    (1, 2)
    """
    import functools

    import pandas as pd

    from textures_nb._shared.repeat import check_seeds

    widths = [check_positive_int(w, "widths") for w in widths]
    if not widths:
        raise ValueError("`widths` is empty: pass DCGAN widths, e.g. [4, 8, 16, 32].")
    if len(set(widths)) != len(widths):
        raise ValueError(f"`widths` repeats a width: {widths}; pass distinct widths.")
    seeds = check_seeds(seeds)
    check_in_range(H, "H", 0.0, 1.0)
    check_in_range(lam, "lam", 0.0, 1.0, low_inclusive=True)
    if dim not in (1, 2) or isinstance(dim, bool):
        raise ValueError(f"`dim` must be 1 (walks) or 2 (fields), got {dim!r}.")
    settings = {
        "H": float(H), "lam": float(lam), "dim": dim, "size": check_positive_int(size, "size"),
        "n_train": check_positive_int(n_train, "n_train"),
        "n_samples": check_positive_int(n_samples, "n_samples", minimum=2),
        "epochs": check_positive_int(epochs, "epochs"),
        "latent": check_positive_int(latent, "latent"),
        "depth": None if depth is None else check_positive_int(depth, "depth"),
        "batch_size": check_positive_int(batch_size, "batch_size"),
        "scales": list(_check_scales(scales)),
    }  # fmt: skip
    if n_train < batch_size:
        raise ValueError(f"`n_train`={n_train} is below `batch_size`={batch_size}; raise n_train.")
    if n_samples > n_train:
        raise ValueError(
            f"`n_samples`={n_samples} exceeds `n_train`={n_train} (the floor compares "
            "n_samples training realisations); lower n_samples."
        )
    points = [(w, s) for s in seeds for w in widths]
    fn = functools.partial(_synthesis_point, settings=settings)
    t0 = time.perf_counter()
    rows, failures = _run_points(
        fn, points, executor=executor, progress=progress, desc="DCGANs", what="training",
        label=lambda p: f"width={p[0]}, seed={p[1]}",
    )  # fmt: skip
    truth = {"c1": H + lam**2 / 2, "c2": -(lam**2)}
    return SynthesisSweepResult(pd.DataFrame(rows), failures, time.perf_counter() - t0, truth)


def synthesis_from_summary(table, column: str = "synthesis runs") -> SynthesisSweepResult:
    """Gather the trainings recorded by a batch of notebook runs (:func:`batch_synthesis_sweep`).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`textures_nb.batch.summary` of the batch folder.
    column : str
        The recorded column holding each run's list of trainings.

    Returns
    -------
    SynthesisSweepResult

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [{"width": 4, "seed": 0, "c1_gap": 0.1, "c2_gap": -0.05}]
    >>> table = pd.DataFrame({"run_id": ["seed=0"], "synthesis runs": [rows]})
    >>> len(synthesis_from_summary(table).runs)
    1
    """
    res = sweep_from_summary(table, column)
    return SynthesisSweepResult(res.runs, res.failures, res.seconds)


def batch_synthesis_sweep(
    notebook,
    out_dir,
    seeds: int | Iterable[int] = 8,
    *,
    settings: Mapping[str, Any] | None = None,
    executor: Any = None,
    workers: int | None = None,
    progress: bool = True,
) -> SynthesisSweepResult:
    """Run :func:`synthesis_sweep` as a batch of notebook runs (:func:`textures_nb.batch.run_grid`).

    One run of ``notebook`` (notebook 09) per seed with ``run_synthesis=True``
    and the classifier sections cut to a minimum; each run records its
    trainings (``"synthesis runs"``) and :func:`synthesis_from_summary`
    gathers them. Resumable, and a Dask scheduler address as ``executor``
    spreads the runs over a cluster.

    Parameters
    ----------
    notebook : str or Path
        ``notebooks/09_complexity_matching.ipynb``.
    out_dir : str or Path
        Batch folder (one subfolder per run).
    seeds : int or iterable of int
        One run per seed.
    settings : mapping, optional
        Overrides of :data:`SYNTHESIS_SWEEP` (keys as :func:`synthesis_sweep`'s arguments).
    executor, workers, progress :
        See :func:`textures_nb.batch.run_grid`.

    Returns
    -------
    SynthesisSweepResult

    Examples
    --------
    >>> from textures_nb.complexity import batch_synthesis_sweep
    >>> nb = "notebooks/09_complexity_matching.ipynb"
    >>> res = batch_synthesis_sweep(nb, "runs/synthesis", 2)  # doctest: +SKIP
    """
    s = {**SYNTHESIS_SWEEP, **(settings or {})}
    unknown = set(s) - set(SYNTHESIS_SWEEP)
    if unknown:
        raise ValueError(
            f"`settings` has unknown keys {sorted(unknown)}; use {sorted(SYNTHESIS_SWEEP)}."
        )
    params = {
        # the classifier sections at their smallest: this batch is about synthesis
        "deltas": [0.25], "widths": [1], "depths": [1], "n_seeds": 1, "n_per_class": 8,
        "size": 16, "epochs": 1, "run_capacity": False, "n_mixture": 100, "kind": "coarse",
        "full": False, "run_synthesis": True,
        **{f"synth_{k}": v for k, v in s.items()},
    }  # fmt: skip
    table = _run_seeds(notebook, seeds, out_dir, params, executor, workers, progress)
    return synthesis_from_summary(table)


#: Per-training gaps of the recorded synthesis sweep (``SYNTHESIS_SWEEP``, 8 seeds), as
#: ``(width, seed, params_g, c1_gap, c2_gap, c1_floor, c2_floor)``; see
#: ``benchmarks/results_complexity.md``. Read by :func:`recorded_synthesis`.
_SYNTHESIS_RECORDED: list[tuple] = [
    (4, 0, 8905, -0.0826, -0.0780, 0.0065, -0.0200),
    (4, 1, 8905, -0.0460, -0.2100, -0.0292, -0.0033),
    (4, 2, 8905, 0.3480, -0.1736, -0.0074, 0.0011),
    (4, 3, 8905, -0.0766, -0.2591, -0.0050, 0.0092),
    (4, 4, 8905, 0.0902, -0.1787, -0.0098, 0.0034),
    (4, 5, 8905, -0.0281, -0.2191, -0.0031, -0.0022),
    (4, 6, 8905, 0.0280, -0.0671, -0.0199, -0.0008),
    (4, 7, 8905, 0.0395, -0.0222, 0.0082, 0.0108),
    (8, 0, 19089, -0.1545, 0.0098, 0.0065, -0.0200),
    (8, 1, 19089, -0.3395, 0.0015, -0.0292, -0.0033),
    (8, 2, 19089, -0.2563, 0.0563, -0.0074, 0.0011),
    (8, 3, 19089, -0.2355, -0.0043, -0.0050, 0.0092),
    (8, 4, 19089, -0.1339, 0.0420, -0.0098, 0.0034),
    (8, 5, 19089, -0.4210, 0.0391, -0.0031, -0.0022),
    (8, 6, 19089, -0.2307, 0.0491, -0.0199, -0.0008),
    (8, 7, 19089, -0.2252, -0.0660, 0.0082, 0.0108),
    (16, 0, 43297, -0.4732, 0.0362, 0.0065, -0.0200),
    (16, 1, 43297, -0.3756, 0.0376, -0.0292, -0.0033),
    (16, 2, 43297, -0.4261, 0.0659, -0.0074, 0.0011),
    (16, 3, 43297, -0.4016, 0.0577, -0.0050, 0.0092),
    (16, 4, 43297, -0.4096, 0.0742, -0.0098, 0.0034),
    (16, 5, 43297, -0.5077, 0.0657, -0.0031, -0.0022),
    (16, 6, 43297, -0.4230, 0.0301, -0.0199, -0.0008),
    (16, 7, 43297, -0.4281, 0.0623, 0.0082, 0.0108),
    (32, 0, 107073, -0.3788, 0.0410, 0.0065, -0.0200),
    (32, 1, 107073, -0.4204, 0.0569, -0.0292, -0.0033),
    (32, 2, 107073, -0.4488, 0.0968, -0.0074, 0.0011),
    (32, 3, 107073, -0.4593, 0.0650, -0.0050, 0.0092),
    (32, 4, 107073, -0.3980, 0.0672, -0.0098, 0.0034),
    (32, 5, 107073, -0.5448, 0.0594, -0.0031, -0.0022),
    (32, 6, 107073, -0.4299, 0.0389, -0.0199, -0.0008),
    (32, 7, 107073, -0.3770, 0.0575, 0.0082, 0.0108),
]


def recorded_synthesis() -> SynthesisSweepResult:
    """The recorded synthesis sweep (:data:`SYNTHESIS_SWEEP`), without training anything.

    Returns
    -------
    SynthesisSweepResult
        Gaps only (no timings); rerun :func:`synthesis_sweep` or
        :func:`batch_synthesis_sweep` to reproduce them.

    Examples
    --------
    >>> from textures_nb.complexity import recorded_synthesis
    >>> res = recorded_synthesis()
    >>> sorted(res.runs["width"].unique().tolist()) == SYNTHESIS_SWEEP["widths"]
    True
    """
    import pandas as pd

    cols = ["width", "seed", "params_g", "c1_gap", "c2_gap", "c1_floor", "c2_floor"]
    s = SYNTHESIS_SWEEP
    truth = {"c1": s["H"] + s["lam"] ** 2 / 2, "c2": -(s["lam"] ** 2)}
    return SynthesisSweepResult(pd.DataFrame(_SYNTHESIS_RECORDED, columns=cols), truth=truth)


def _is_int(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)
