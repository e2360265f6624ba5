"""How much to trust an output: spread over repeats, consensus clustering.

Two questions experts ask beside "what is the result":

- *How much does it vary when the work is redone from scratch?*
  :func:`repeat` reruns a training or a synthesis once per seed (in series,
  on a local pool or on a Dask cluster, see
  :func:`textures_nb.batch.open_executor`) and :func:`spread` summarises
  every index it returns: mean, standard deviation, the interval holding the
  central ``level`` of the repeats and a t interval for the mean.
- *How many clusters, and how sure is each item's membership?*
  :func:`consensus_clustering` (Monti et al. 2003) clusters many resamples
  of the items and features; the consensus matrix holds, for each pair, how
  often the two items fall in the same cluster when both are drawn. The
  proportion of ambiguous clustering (PAC, Senbabaoglu et al. 2014: share
  of pairs with consensus strictly between 0.1 and 0.9) measures how stable
  a number of clusters ``k`` is. Features are scaled robustly (a feature
  that separates groups keeps its separation, where z-scoring would shrink
  it to the level of the noise features) and subsampled without ever
  dropping the features that spread most. The same procedure on structureless data
  (a Gaussian cloud with the data's mean and covariance) gives the PAC to
  expect by chance; ``k`` is retained only if its PAC beats that null
  distribution (one-sided test, Bonferroni over the ``k`` tried) and
  removes at least half of chance's ambiguity, so "no reliable clusters"
  (``k = 1``) is a possible answer.

Figures (plotly): :func:`plot_consensus`, :func:`plot_membership`,
:func:`plot_pac`, :func:`plot_spread`.

Example
-------
>>> import numpy as np
>>> from textures_nb.confidence import consensus_clustering
>>> rng = np.random.default_rng(0)
>>> X = np.vstack([c + rng.normal(size=(20, 3)) for c in 8 * np.eye(3)])
>>> res = consensus_clustering(X, n_resamples=20, n_null=5, progress=False)
>>> res.k, bool(res.table().loc[3, "significant"])
(3, True)
"""

from __future__ import annotations

import functools
import numbers
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from textures_nb._checks import as_finite_array, as_generator, check_in_range, check_positive_int
from textures_nb._shared.display import palette
from textures_nb._shared.progress import tqdm
from textures_nb._shared.repeat import run_seeds

__all__ = [
    "ConsensusResult",
    "RepeatResult",
    "consensus_clustering",
    "plot_consensus",
    "plot_membership",
    "plot_pac",
    "plot_spread",
    "repeat",
    "spread",
]

_PAC_BOUNDS = (0.1, 0.9)


# --- repeats from scratch ----------------------------------------------------------


@dataclass(frozen=True)
class RepeatResult:
    """Indices from repeating one computation with different seeds.

    Attributes
    ----------
    values : pandas.DataFrame
        One row per successful seed (index ``seed``), one column per index.
    failures : dict
        Seed -> ``"ExceptionName: message"`` for seeds that raised.
    level : float
        Coverage of the intervals of :meth:`summary`.

    Examples
    --------
    >>> from textures_nb.confidence import repeat
    >>> rep = repeat(lambda seed: {"x": float(seed), "y": 2.0 * seed}, 3, progress=False)
    >>> rep.values.shape, rep.failures
    ((3, 2), {})
    >>> rep.table().index.tolist()
    ['x', 'y']
    """

    values: Any = field(repr=False)
    failures: dict[int, str]
    level: float

    @property
    def seeds(self) -> list[int]:
        """Seeds that succeeded, in the order given."""
        return list(self.values.index)

    def summary(self):
        """:func:`spread` of ``values`` at ``level``: one row per index (pandas.DataFrame)."""
        return spread(self.values, level=self.level)

    def table(self):
        """The same as :meth:`summary` (the package's name for a result's table)."""
        return self.summary()

    def plot(self, **kwargs):
        """:func:`plot_spread` of this result."""
        return plot_spread(self, **kwargs)

    def __repr__(self) -> str:
        names = list(self.values.columns)
        shown = ", ".join(names[:4]) + (f", ... ({len(names)})" if len(names) > 4 else "")
        return (
            f"RepeatResult({len(self.values)} seeds ok, {len(self.failures)} failed, "
            f"indices: {shown[:120]}, level={self.level:g})"
        )


def spread(values, *, level: float = 0.95):
    """Spread of indices over repeats: mean, std and two intervals.

    Parameters
    ----------
    values : pandas.DataFrame or mapping of str to array_like
        One column per index, one row per repeat (e.g. ``RepeatResult.values``
        or numeric columns of :func:`textures_nb.batch.summary`).
    level : float in (0, 1)
        Coverage of both intervals.

    Returns
    -------
    pandas.DataFrame
        One row per index with ``n`` (repeats), ``mean``, ``std`` (ddof=1),
        ``low``/``high`` (empirical quantiles holding the central ``level``
        of the repeats: where one more repeat is expected to fall) and
        ``mean_low``/``mean_high`` (Student t interval of the mean).

    Examples
    --------
    >>> spread({"c1": [0.5, 0.75, 1.0]}).loc["c1", ["n", "mean", "std"]].tolist()
    [3.0, 0.75, 0.25]
    """
    import pandas as pd
    from scipy import stats

    level = check_in_range(level, "level", 0.0, 1.0)
    frame = pd.DataFrame(values)
    if frame.empty:
        raise ValueError("`values` is empty: nothing to summarise.")
    rows = {}
    for name in frame.columns:
        column = pd.to_numeric(frame[name], errors="coerce")
        if column.isna().any():
            bad = frame[name][column.isna()].tolist()[:3]
            raise ValueError(
                f"`values`: column {name!r} holds non-numeric or missing entries {bad}; "
                "drop the failed repeats or the column before summarising."
            )
        x = column.to_numpy(dtype=float)
        n = x.size
        mean = float(x.mean())
        std = float(x.std(ddof=1)) if n > 1 else 0.0
        half = float(stats.t.ppf(0.5 + level / 2, n - 1) * std / np.sqrt(n)) if n > 1 else 0.0
        low, high = np.quantile(x, [(1 - level) / 2, (1 + level) / 2])
        rows[name] = {
            "n": float(n),
            "mean": mean,
            "std": std,
            "low": float(low),
            "high": float(high),
            "mean_low": mean - half,
            "mean_high": mean + half,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "index"
    return table


def repeat(
    fn: Callable[[int], Any],
    seeds: int | Iterable[int],
    executor: Any = None,
    *,
    level: float = 0.95,
    progress: bool = True,
) -> RepeatResult:
    """Repeat a computation from scratch once per seed and summarise its spread.

    Parameters
    ----------
    fn : callable
        ``fn(seed)`` runs one training or synthesis from scratch and returns
        a real number or a mapping ``{index name: real number}``. It must be
        picklable (a module-level function or ``functools.partial``) for
        process pools and Dask.
    seeds : int or iterable of int
        The seeds (an int ``n`` means ``range(n)``); duplicates are refused.
    executor : None, str, distributed.Client or concurrent.futures.Executor
        None runs in series here; see :func:`textures_nb.batch.open_executor`.
        A failing seed is reported and never loses the others.
    level : float in (0, 1)
        Coverage of the intervals (see :func:`spread`).
    progress : bool
        Show a tqdm bar over seeds.

    Returns
    -------
    RepeatResult
        ``.values`` (seed x index), ``.summary()`` (index x statistics) and
        ``.failures``.

    Raises
    ------
    RuntimeError
        If every seed failed (the first error is quoted).

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.confidence import repeat
    >>> def mean_of_noise(seed):
    ...     return {"mean": np.random.default_rng(seed).normal(size=100).mean()}
    >>> res = repeat(mean_of_noise, 8, progress=False)
    >>> res.values.shape, list(res.summary().columns[:3])
    ((8, 1), ['n', 'mean', 'std'])
    """
    import pandas as pd

    if not callable(fn):
        raise TypeError(f"`fn` must be callable as fn(seed), got {type(fn).__name__}.")
    level = check_in_range(level, "level", 0.0, 1.0)
    good, failures = run_seeds(
        functools.partial(_indices_of, fn), seeds, executor=executor, progress=progress
    )
    if not good:
        first = next(iter(failures.items()))
        raise RuntimeError(f"every seed failed; seed {first[0]}: {first[1]}")
    if failures:
        warnings.warn(
            f"{len(failures)} of {len(good) + len(failures)} seed(s) failed and are left out: "
            + "; ".join(f"seed {s}: {e}" for s, e in list(failures.items())[:3]),
            RuntimeWarning,
            stacklevel=2,
        )
    values = pd.DataFrame.from_dict(good, orient="index")
    values.index.name = "seed"
    if values.isna().any().any():
        missing = values.columns[values.isna().any()].tolist()
        raise ValueError(
            f"`fn` returned different indices across seeds (missing: {missing}); "
            "return the same keys for every seed."
        )
    return RepeatResult(values=values, failures=failures, level=level)


def _indices_of(fn: Callable[[int], Any], seed: int) -> dict[str, float]:
    """``fn(seed)`` checked as indices (module level, so it pickles with ``fn``)."""
    return _as_indices(fn(seed))


def _as_indices(out: Any) -> dict[str, float]:
    items = out.items() if isinstance(out, Mapping) else [("value", out)]
    indices = {}
    for name, value in items:
        try:
            number = float(np.asarray(value).item())
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"fn(seed) must return a real number or a dict of real numbers; "
                f"{name!r} is {value!r}."
            ) from exc
        if not np.isfinite(number):
            raise ValueError(f"fn(seed) returned a non-finite {name!r} = {number}.")
        indices[str(name)] = number
    if not indices:
        raise ValueError("fn(seed) returned an empty dict: return at least one index.")
    return indices


# --- consensus clustering ----------------------------------------------------------


@dataclass(frozen=True)
class ConsensusResult:
    """Consensus clustering of ``N`` items for each ``k`` tried.

    Attributes
    ----------
    k : int
        Retained number of clusters: among the ``k`` whose PAC beats the
        null (see ``table()["retained"]``), the one that removes the most of
        chance's ambiguity (near-ties, within 0.05, go to the larger ``k``);
        1 means "no reliable clusters".
    best_k : int
        The ``k`` shown by default: ``k`` when some ``k`` is retained, else
        the ``k`` closest to being retained (highest confidence).
    by_k : pandas.DataFrame
        What :meth:`table` returns. Index ``k``; columns ``pac``,
        ``null_mean``, ``null_std`` (PAC of the structureless null),
        ``margin`` (null_mean - pac), ``reduction`` (margin / null_mean:
        share of chance's ambiguity removed),
        ``p_value`` (one-sided, beta distribution fitted to the null PACs),
        ``confidence`` (1 - p_value), ``significant`` (p_value below
        ``alpha / len(k_range)``) and ``retained`` (significant and
        reduction >= ``min_reduction``).
    consensus : dict of int to ndarray
        ``k`` -> consensus matrix, shape (N, N), entries in [0, 1]: share of
        the resamples holding both items that put them in one cluster.
    null_pac : ndarray, shape (n_null, n_k)
        PAC of each null data set for each ``k``.
    options : dict
        The settings used.

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.confidence import consensus_clustering
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([c + rng.normal(size=(10, 3)) for c in 8 * np.eye(3)])
    >>> res = consensus_clustering(X, range(2, 4), n_resamples=5, n_null=3, progress=False)
    >>> res.k, sorted(res.consensus)
    (3, [2, 3])
    """

    k: int
    best_k: int
    by_k: Any = field(repr=False)
    consensus: dict[int, np.ndarray] = field(repr=False)
    null_pac: np.ndarray = field(repr=False)
    options: dict[str, Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        n = next(iter(self.consensus.values())).shape[0] if self.consensus else 0
        ks = sorted(self.consensus)
        tried = f"{ks[0]}..{ks[-1]}" if ks else "none"
        return (
            f"ConsensusResult(k={self.k}{' (no reliable clusters)' if self.k == 1 else ''}, "
            f"best_k={self.best_k}, "
            f"confidence={self.confidence:.3f}, items={n}, k tried {tried})"
        )

    def table(self):
        """PAC, null and test per ``k`` tried (pandas.DataFrame, index ``k``; see ``by_k``)."""
        return self.by_k.copy()

    def plot(self, k: int | None = None, **kwargs):
        """:func:`plot_consensus` of this result (the consensus matrix of ``k``)."""
        return plot_consensus(self, k, **kwargs)

    @property
    def confidence(self) -> float:
        """Confidence that ``best_k`` clusters are more stable than chance (1 - p-value)."""
        return float(self.by_k.loc[self.best_k, "confidence"])

    def _k(self, k: int | None) -> int:
        k = self.best_k if k is None else k
        if k not in self.consensus:
            raise ValueError(f"`k` must be one of the k tried {sorted(self.consensus)}, got {k}.")
        return k

    def labels(self, k: int | None = None) -> np.ndarray:
        """Cluster of each item (0..k-1) from the consensus matrix, shape (N,).

        Average-linkage clustering of ``1 - consensus`` (Monti et al.),
        clusters numbered by decreasing size. Default ``k``: ``best_k``
        (check ``.k`` to know whether it is reliable).
        """
        from scipy.cluster.hierarchy import fcluster, linkage
        from scipy.spatial.distance import squareform

        k = self._k(k)
        dist = 1.0 - self.consensus[k]
        np.fill_diagonal(dist, 0.0)
        tree = linkage(squareform(dist, checks=False), method="average")
        raw = fcluster(tree, t=k, criterion="maxclust") - 1
        order = np.argsort(-np.bincount(raw), kind="stable")
        return np.argsort(order)[raw]

    def membership(self, k: int | None = None) -> np.ndarray:
        """Membership confidence of each item in its cluster, shape (N,), in [0, 1].

        Mean consensus of the item with the other members of its cluster
        (1: always clustered with them). For an item alone in its cluster:
        1 minus its highest mean consensus with another cluster.
        """
        return self.items(k)["membership"].to_numpy()

    def items(self, k: int | None = None, names: Sequence[str] | None = None):
        """Per-item table: cluster, membership confidence and the runner-up.

        Parameters
        ----------
        k : int, optional
            Number of clusters (default ``best_k``).
        names : sequence of str, optional
            Item names (e.g. class names of the database), one per item.

        Returns
        -------
        pandas.DataFrame
            Columns ``cluster``, ``membership``, ``runner_up`` (the other
            cluster the item is most often grouped with, -1 if k is 1) and
            ``runner_up_consensus`` (its mean consensus with it): an
            uncertain item sits between its cluster and the runner-up.
        """
        import pandas as pd

        k = self._k(k)
        labels = self.labels(k)
        C = self.consensus[k]
        n = C.shape[0]
        rows = np.arange(n)
        sums = np.stack([C[:, labels == c].sum(axis=1) for c in range(k)], axis=1)
        sizes = np.bincount(labels, minlength=k).astype(float)
        # mean consensus with each cluster (fcluster may leave a cluster empty on ties)
        others = np.divide(sums, sizes, out=np.full_like(sums, -np.inf), where=sizes > 0)
        others[rows, labels] = -np.inf
        runner = others.argmax(axis=1)
        runner_c = others[rows, runner]
        # own cluster: the item itself (consensus 1) left out
        mates = sizes[labels] - 1
        own = (sums[rows, labels] - np.diag(C)) / np.maximum(mates, 1)
        membership = np.where(mates > 0, own, 1.0 - runner_c)
        table = pd.DataFrame(
            {
                "cluster": labels,
                "membership": membership,
                "runner_up": runner,
                "runner_up_consensus": runner_c,
            }
        )
        if names is not None:
            names = list(names)
            if len(names) != n:
                raise ValueError(f"`names` has {len(names)} entries for {n} items.")
            table.insert(0, "name", names)
        table.index.name = "item"
        return table


def consensus_clustering(
    X,
    k_range: Iterable[int] = range(2, 7),
    *,
    n_resamples: int = 50,
    item_fraction: float = 0.8,
    feature_fraction: float = 0.8,
    method: str = "kmeans",
    standardize: str | bool = "robust",
    n_null: int = 10,
    alpha: float = 0.05,
    min_reduction: float = 0.5,
    seed=0,
    progress: bool = True,
) -> ConsensusResult:
    """Consensus clustering with a structureless null: how many clusters, how sure.

    Parameters
    ----------
    X : array_like, shape (N, D)
        One row per item (e.g. the features of
        :func:`textures_nb.similarity.features`).
    k_range : iterable of int
        Numbers of clusters to try, each >= 2 and below the resample size.
    n_resamples : int
        Resamples per ``k`` (Monti et al. use 100 or more; 50 is enough to
        separate clear structure from none).
    item_fraction : float in (0, 1]
        Share of the items drawn (without replacement) in each resample.
    feature_fraction : float in (0, 1]
        Share of the features drawn in each resample (at least one). The
        draw is stratified by each feature's spread in the standardised
        space: features are ranked, cut into as many groups of neighbouring
        ranks as features drawn, one drawn per group, the groups growing
        towards the low ranks. The features that spread most (those that
        separate groups) are therefore kept and the noise features
        resampled: subsampling cannot drop the signal.
    method : {"kmeans", "agglomerative"}
        Clustering of each resample: k-means (greedy k-means++ start, best
        of 3 starts) or Ward agglomerative clustering.
    standardize : {"robust", "zscore", "none"} or bool
        Per-feature scaling first, so that features in different units weigh
        alike. ``"robust"`` (default, also ``True``): centre and divide by
        the Qn scale (Rousseeuw & Croux 1993: first quartile of the pairwise
        differences; the standard deviation on Gaussian noise, the spread
        *within* the groups on a feature that separates up to about four
        groups), but never by less than half the standard deviation (heavy
        tails would otherwise pass for groups). ``"zscore"``: the standard
        deviation, which shrinks exactly the features that carry clusters
        to the level of the noise features. ``"none"`` (also ``False``).
    n_null : int
        Structureless data sets (Gaussian with the data's mean and
        covariance) run through the same procedure.
    alpha : float in (0, 1)
        Family-wise level of the test of each ``k`` against the null
        (Bonferroni over ``k_range``).
    min_reduction : float in [0, 1]
        Smallest share of the null's ambiguity that ``k`` must remove to be
        retained: ``pac <= (1 - min_reduction) * null_mean``. The default
        0.5 asks for half the ambiguity of chance; it guards against the
        test's approximations (a few null data sets, a fitted tail), which
        alone flag about one structureless cloud in six in our trials.
    seed : None, int or numpy Generator
        Seeds the resampling, the clusterings and the null data.
    progress : bool
        Show a tqdm bar over the observed and null data sets.

    Returns
    -------
    ConsensusResult
        ``.k`` (1: no reliable clusters), ``.table()`` (PAC, null, p-values),
        ``.consensus`` matrices, ``.labels(k)``, ``.membership(k)``, ``.items(k)``.

    Notes
    -----
    PAC (proportion of ambiguous clustering) is the share of item pairs
    whose consensus lies strictly between 0.1 and 0.9; low is stable. The
    p-value of ``k`` is the probability of a PAC as low as the data's under
    a beta distribution fitted (moments, variance inflated by ``1 + 1/n_null``
    for the estimation) to the null PACs, as in M3C (John et al. 2020); a
    ``k`` is retained if it is significant *and* removes at least
    ``min_reduction`` of the null's ambiguity. Among retained ``k``, the one
    with the widest margin (null mean PAC minus PAC) is the answer.

    Examples
    --------
    >>> import numpy as np
    >>> cloud = np.random.default_rng(1).normal(size=(60, 3))
    >>> consensus_clustering(cloud, n_resamples=20, n_null=5, progress=False).k
    1
    """
    import pandas as pd

    X = as_finite_array(X, "X", ndims=(2,))
    n_items, n_features = X.shape
    ks = _check_k_range(k_range)
    n_resamples = check_positive_int(n_resamples, "n_resamples", minimum=2)
    item_fraction = check_in_range(item_fraction, "item_fraction", 0.0, 1.0, high_inclusive=True)
    feature_fraction = check_in_range(
        feature_fraction, "feature_fraction", 0.0, 1.0, high_inclusive=True
    )
    if method not in ("kmeans", "agglomerative"):
        raise ValueError(f"`method` must be 'kmeans' or 'agglomerative', got {method!r}.")
    n_null = check_positive_int(n_null, "n_null", minimum=3)
    alpha = check_in_range(alpha, "alpha", 0.0, 1.0)
    min_reduction = check_in_range(
        min_reduction, "min_reduction", 0.0, 1.0, low_inclusive=True, high_inclusive=True
    )
    n_drawn = int(round(item_fraction * n_items))
    if n_drawn <= max(ks):
        raise ValueError(
            f"each resample holds {n_drawn} of the {n_items} items, not more than the "
            f"largest k ({max(ks)}): add items, raise `item_fraction` or lower `k_range`."
        )
    standardize = _check_standardize(standardize)
    rng = as_generator(seed)
    X = _standardized(X, standardize, rng)
    n_features_drawn = max(1, int(np.ceil(feature_fraction * n_features)))
    # features ranked by their spread in the standardised space: strata for the draws
    strata = _feature_strata(X.std(axis=0), n_features_drawn)
    settings = dict(ks=ks, n_resamples=n_resamples, n_drawn=n_drawn, strata=strata, method=method)

    bar = tqdm(total=1 + n_null, desc="consensus (data, nulls)", disable=not progress, leave=False)
    consensus = _consensus_matrices(X, rng=rng, **settings)
    bar.update()
    pac = np.array([_pac(consensus[k]) for k in ks])
    null_pac = np.empty((n_null, len(ks)))
    for i in range(n_null):
        null = _structureless(X, rng)
        null_pac[i] = [_pac(c) for c in _consensus_matrices(null, rng=rng, **settings).values()]
        bar.update()
    bar.close()

    null_mean = null_pac.mean(axis=0)
    null_std = null_pac.std(axis=0, ddof=1)
    margin = null_mean - pac
    p_value = np.array([_null_p_value(null_pac[:, i], pac[i]) for i in range(len(ks))])
    significant = p_value < alpha / len(ks)
    reduction = np.divide(margin, null_mean, out=np.zeros_like(margin), where=null_mean > 0)
    table = pd.DataFrame(
        {
            "pac": pac,
            "null_mean": null_mean,
            "null_std": null_std,
            "margin": margin,
            "reduction": reduction,
            "p_value": p_value,
            "confidence": 1.0 - p_value,
            "significant": significant,
            "retained": significant & (reduction >= min_reduction),
        },
        index=pd.Index(ks, name="k"),
    )
    k = _choose_k(table)
    best_k = k if k > 1 else int(table["confidence"].idxmax())
    options = dict(
        settings,
        item_fraction=item_fraction,
        feature_fraction=feature_fraction,
        standardize=standardize,
        n_null=n_null,
        alpha=alpha,
        min_reduction=min_reduction,
        pac_bounds=_PAC_BOUNDS,
    )
    return ConsensusResult(
        k=k, best_k=best_k, by_k=table, consensus=consensus, null_pac=null_pac, options=options
    )


_REDUCTION_TIE = 0.05


def _choose_k(table) -> int:
    """Retained ``k`` removing the most of chance's ambiguity; near-ties go to the larger k.

    When several ``k`` are (almost) perfectly stable, the smaller ones merge
    stable clusters (e.g. Ward's tree cut higher up): the largest is the
    finest partition that every resample agrees on.
    """
    chosen = table[table["retained"]]
    if not len(chosen):
        return 1
    best = chosen["reduction"].max()
    return int(chosen.index[chosen["reduction"] >= best - _REDUCTION_TIE].max())


def _check_k_range(k_range) -> list[int]:
    try:
        ks = list(k_range)
    except TypeError as exc:
        raise TypeError(f"`k_range` must be an iterable of ints, got {k_range!r}.") from exc
    if not ks:
        raise ValueError("`k_range` is empty: pass e.g. range(2, 7).")
    for k in ks:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 2:
            raise ValueError(f"`k_range` must hold integers >= 2, got {k!r}.")
    if len(set(ks)) != len(ks):
        raise ValueError(f"`k_range` repeats values: {ks}.")
    return sorted(int(k) for k in ks)


def _consensus_matrices(
    X: np.ndarray,
    *,
    ks: list[int],
    n_resamples: int,
    n_drawn: int,
    strata: list[np.ndarray],
    method: str,
    rng: np.random.Generator,
) -> dict[int, np.ndarray]:
    """Consensus matrix per k from ``n_resamples`` item/feature resamples."""
    from scipy.cluster.hierarchy import fcluster, linkage

    n, d = X.shape
    together = {k: np.zeros((n, n)) for k in ks}
    drawn = np.zeros((n, n))
    for _ in range(n_resamples):
        rows = rng.choice(n, size=n_drawn, replace=False)
        cols = _draw_features(strata, rng)
        sub = X[np.ix_(rows, cols)]
        mask = np.zeros(n)
        mask[rows] = 1.0
        drawn += np.outer(mask, mask)
        tree = linkage(sub, method="ward") if method == "agglomerative" else None
        for k in ks:
            if tree is not None:
                labels = fcluster(tree, t=k, criterion="maxclust") - 1
            else:
                labels = _kmeans(sub, k, rng)
            onehot = np.zeros((n, k))
            onehot[rows, labels] = 1.0
            together[k] += onehot @ onehot.T
    # with item_fraction < 1 a pair may never be drawn together: count it as split
    return {
        k: np.divide(m, drawn, out=np.zeros_like(m), where=drawn > 0) for k, m in together.items()
    }


_STANDARDIZE = ("robust", "zscore", "none")
_QN_GAUSS = 2.2219  # Qn's consistency constant: 1 / (sqrt(2) * Phi^-1(5/8))
_QN_MAX_ITEMS = 500  # Qn on a random subset of this many items beyond it
_MAX_UPWEIGHT = 2.0


def _check_standardize(standardize) -> str:
    if standardize is True:
        return "robust"
    if standardize is False or standardize is None:
        return "none"
    if standardize not in _STANDARDIZE:
        raise ValueError(
            f"`standardize` must be one of {_STANDARDIZE} (or True for 'robust', False for "
            f"'none'), got {standardize!r}."
        )
    return standardize


def _standardized(X: np.ndarray, how: str, rng: np.random.Generator) -> np.ndarray:
    """Centre and scale each feature: by its robust scale (Qn), its std, or not at all."""
    if how == "none":
        return X
    std = X.std(axis=0)
    if np.any(std == 0):
        raise ValueError(
            f"`X` has {int(np.sum(std == 0))} constant feature(s): drop them "
            "(they cannot be standardised) or pass standardize='none'."
        )
    if how == "zscore":
        scale = std
    else:
        # at most _MAX_UPWEIGHT times the z-score weight: heavy tails (a log-normal
        # feature has std / Qn ~ 3) would otherwise pass for groups against the null
        scale = np.maximum(_robust_scale(X, rng), std / _MAX_UPWEIGHT)
    return (X - X.mean(axis=0)) / scale


def _robust_scale(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Qn scale of each feature (Rousseeuw & Croux 1993): first quartile of |x_i - x_j|.

    On a Gaussian feature it equals the standard deviation. On a feature
    that separates groups it follows the spread *within* the groups, as long
    as pairs inside one group are at least a quarter of all pairs (any split
    into up to four groups of similar size), where the standard deviation
    is inflated by the distances between groups: z-scoring shrinks exactly
    the features that carry the clusters down to the level of the noise
    features.
    """
    n = X.shape[0]
    if n > _QN_MAX_ITEMS:
        X = X[rng.choice(n, size=_QN_MAX_ITEMS, replace=False)]
        n = _QN_MAX_ITEMS
    i, j = np.triu_indices(n, k=1)
    h = n // 2 + 1
    rank = h * (h - 1) // 2 - 1  # Qn's order statistic, about the first quartile of pairs
    scale = np.empty(X.shape[1])
    step = max(1, 2_000_000 // max(i.size, 1))
    for start in range(0, X.shape[1], step):
        block = np.abs(X[i, start : start + step] - X[j, start : start + step])
        scale[start : start + step] = np.partition(block, rank, axis=0)[rank]
    return _QN_GAUSS * scale


def _feature_strata(spread: np.ndarray, n_drawn: int) -> list[np.ndarray]:
    """Features ranked by spread, cut into ``n_drawn`` groups of neighbouring ranks.

    Each resample draws one feature per group, and the groups grow towards
    the low ranks: the features that spread most (in the standardised
    space, the ones that separate groups) are drawn first, so subsampling
    perturbs the noise features and cannot drop the signal.
    """
    order = np.argsort(spread, kind="stable")  # low spread first: larger groups there
    return np.array_split(order, n_drawn)[::-1]


def _draw_features(strata: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    return np.sort(np.array([g[rng.integers(g.size)] for g in strata]))


def _null_p_value(null: np.ndarray, observed: float) -> float:
    """P(null PAC <= observed) under a beta law fitted to the null PACs (M3C).

    PAC lives in [0, 1] and piles up near 0 for stable data: a beta law
    fits it where a normal law would put mass below 0. Falls back to the
    empirical rank (with +1) when the null has no spread or too much for a
    beta law.
    """
    from scipy import stats

    n = null.size
    mean, var = float(null.mean()), float(null.var(ddof=1)) * (1 + 1 / n)
    rank = (1 + np.sum(null <= observed)) / (n + 1)
    if var <= 0:  # every null PAC equal: only the rank speaks
        return float(rank) if observed < mean else 1.0
    common = mean * (1 - mean) / var - 1
    if common <= 0:
        return float(rank)
    return float(stats.beta.cdf(observed, mean * common, (1 - mean) * common))


def _pac(consensus: np.ndarray) -> float:
    low, high = _PAC_BOUNDS
    values = consensus[np.triu_indices(consensus.shape[0], k=1)]
    return float(np.mean((values > low) & (values < high)))


def _structureless(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Gaussian cloud with the mean and covariance of ``X`` (any N, D)."""
    mean = X.mean(axis=0)
    _, s, vt = np.linalg.svd(X - mean, full_matrices=False)
    z = rng.standard_normal((X.shape[0], s.size))
    return mean + (z * (s / np.sqrt(max(X.shape[0] - 1, 1)))) @ vt


def _kmeans(X: np.ndarray, k: int, rng: np.random.Generator, n_init: int = 3) -> np.ndarray:
    """Lloyd's k-means, greedy k-means++ starts, best inertia of ``n_init``.

    A small numpy version: on the few hundred points of a resample it is
    tens of times faster than scikit-learn's ``KMeans`` per call (whose
    set-up dominates), and the consensus needs thousands of calls. Its
    inertia matches scikit-learn's (tested).
    """
    sq = np.einsum("ij,ij->i", X, X)
    best_labels, best_inertia = None, np.inf
    for _ in range(n_init):
        centres = _kmeanspp(X, sq, k, rng)
        labels = None
        for _ in range(100):
            d2 = sq[:, None] - 2.0 * X @ centres.T + np.einsum("ij,ij->i", centres, centres)
            new = d2.argmin(axis=1)
            if labels is not None and np.array_equal(new, labels):
                break
            labels = new
            counts = np.bincount(labels, minlength=k)
            onehot = np.zeros((X.shape[0], k))
            onehot[np.arange(X.shape[0]), labels] = 1.0
            sums = onehot.T @ X
            empty = counts == 0
            centres[~empty] = sums[~empty] / counts[~empty, None]
            if empty.any():  # restart empty clusters at the worst-fitted points
                worst = np.argsort(d2[np.arange(X.shape[0]), labels])[::-1][: empty.sum()]
                centres[empty] = X[worst]
        inertia = float(np.maximum(d2[np.arange(X.shape[0]), labels], 0.0).sum())
        if inertia < best_inertia:
            best_labels, best_inertia = labels, inertia
    return best_labels


def _kmeanspp(X: np.ndarray, sq: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy k-means++ (Arthur & Vassilvitskii; 2 + log k trials, as scikit-learn)."""
    n = X.shape[0]
    trials = 2 + int(np.log(k))
    first = rng.integers(n)
    centres = [X[first]]
    closest = np.maximum(sq - 2.0 * X @ X[first] + sq[first], 0.0)
    for _ in range(1, k):
        total = closest.sum()
        if total <= 0:  # all points on the chosen centres: any point will do
            cand = rng.integers(n, size=trials)
        else:
            cand = np.searchsorted(np.cumsum(closest), rng.random(trials) * total)
            cand = np.minimum(cand, n - 1)
        d2 = np.maximum(sq[cand][:, None] - 2.0 * X[cand] @ X.T + sq[None, :], 0.0)
        pot = np.minimum(closest[None, :], d2)
        best = int(pot.sum(axis=1).argmin())
        centres.append(X[cand[best]])
        closest = pot[best]
    return np.array(centres)


# --- figures -----------------------------------------------------------------------------


def _ordered_items(result, k, names):
    """Checked ``k``, the items table and the item order (by cluster, then membership)."""
    _check_result(result, ConsensusResult, "consensus_clustering")
    k = result._k(k)
    items = result.items(k, names=names)
    order = np.lexsort((-items["membership"].to_numpy(), items["cluster"].to_numpy()))
    return k, items, order


def _runs(values: np.ndarray) -> list[tuple[int, int, Any]]:
    """(start, stop, value) of each run of equal consecutive values."""
    edges = [0] + [i for i in range(1, len(values)) if values[i] != values[i - 1]] + [len(values)]
    return [(edges[j], edges[j + 1], values[edges[j]]) for j in range(len(edges) - 1)]


def _class_codes(truth: Sequence[Any], n: int) -> tuple[np.ndarray, list[str]]:
    """Integer code of each item's class and the class names (first-seen order)."""
    truth = [str(t) for t in truth]
    if len(truth) != n:
        raise ValueError(f"`truth` has {len(truth)} entries for {n} items; pass one per item.")
    classes = list(dict.fromkeys(truth))
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index[t] for t in truth]), classes


def _step_colorscale(colors: list[str]) -> list[list]:
    """Plotly colorscale giving integer codes 0..n-1 (z range -0.5..n-0.5) flat colours."""
    n = len(colors)
    scale = []
    for i, c in enumerate(colors):
        scale += [[i / n, c], [(i + 1) / n, c]]
    return scale


def plot_consensus(
    result: ConsensusResult,
    k: int | None = None,
    *,
    names: Sequence[str] | None = None,
    truth: Sequence[Any] | None = None,
):
    """Heatmap of the consensus matrix, items ordered by cluster then membership.

    Items are indexed by their position in that order (never by name, so
    items sharing a name stay apart); clusters are outlined on the matrix
    and a band above it gives each item's known class (``truth``, or
    ``names`` when no truth is given), one colour per class.

    Parameters
    ----------
    result : ConsensusResult
    k : int, optional
        Number of clusters (default ``result.best_k``).
    names : sequence of str, optional
        Item names shown on hover (e.g. class names of the database).
    truth : sequence, optional
        Known class of each item, drawn as the band above the matrix.
        Default: ``names`` if given.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.confidence import consensus_clustering
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([c + rng.normal(size=(10, 3)) for c in 8 * np.eye(3)])
    >>> res = consensus_clustering(X, range(2, 4), n_resamples=5, n_null=3, progress=False)
    >>> from textures_nb.confidence import plot_consensus
    >>> fig = plot_consensus(res)
    >>> fig.data[0].type
    'heatmap'
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    k, items, order = _ordered_items(result, k, names)
    n = len(order)
    C = result.consensus[k][np.ix_(order, order)]
    label = (
        [f"{items['name'].iloc[i]} (item {i})" for i in order]
        if names is not None
        else [f"item {i}" for i in order]
    )
    clusters = items["cluster"].to_numpy()[order]
    band = truth if truth is not None else names
    pos = np.arange(n)
    fig = make_subplots(
        rows=2, cols=1, row_heights=[0.05, 0.95], shared_xaxes=True, vertical_spacing=0.01
    )
    fig.add_trace(
        go.Heatmap(
            z=C,
            x=pos,
            y=pos,
            zmin=0,
            zmax=1,
            colorscale="Blues",
            colorbar=dict(title="consensus", len=0.8, y=0.45),
            # positions only: N^2 hover strings would weigh megabytes; the band names items
            hovertemplate="positions %{y} / %{x}<br>consensus %{z:.2f}<extra></extra>",
        ),
        row=2,
        col=1,
    )
    for start, stop, _ in _runs(clusters):  # cluster blocks
        fig.add_shape(
            type="rect",
            x0=start - 0.5,
            x1=stop - 0.5,
            y0=start - 0.5,
            y1=stop - 0.5,
            line=dict(color="black", width=1.5),
            row=2,
            col=1,
        )
    if band is not None:
        codes, classes = _class_codes(band, n)
        colors = palette(len(classes))
        codes = codes[order]
        fig.add_trace(
            go.Heatmap(
                z=codes[None, :],
                x=pos,
                zmin=-0.5,
                zmax=len(classes) - 0.5,
                colorscale=_step_colorscale(colors),
                showscale=False,
                customdata=np.array(
                    [[f"{classes[c]}: {lab}" for c, lab in zip(codes, label, strict=True)]]
                ),
                hovertemplate="position %{x}: %{customdata}<extra></extra>",
            ),
            row=1,
            col=1,
        )
        for i, cls in enumerate(classes):  # legend entries for the band's colours
            fig.add_trace(
                go.Scatter(
                    x=[None],
                    y=[None],
                    mode="markers",
                    marker=dict(symbol="square", size=10, color=colors[i]),
                    name=cls,
                    showlegend=True,
                ),
                row=1,
                col=1,
            )
    row = result.by_k.loc[k]
    verdict = "retained" if k == result.k else "not retained"
    fig.update_xaxes(showticklabels=False, range=[-0.5, n - 0.5])
    fig.update_xaxes(title="items ordered by cluster (outlined), then membership", row=2, col=1)
    fig.update_yaxes(visible=False, row=1, col=1)
    fig.update_yaxes(showticklabels=False, autorange="reversed", row=2, col=1)
    fig.update_layout(
        title=f"Consensus matrix, k = {k} ({verdict}; PAC {row['pac']:.2f} vs "
        f"{row['null_mean']:.2f} by chance)",
        height=620 if band is not None else 520,
        autosize=True,
        margin=dict(l=30, r=30, t=60, b=40),
        legend=dict(
            title="band: class", orientation="h", yanchor="top", y=-0.08, x=0, font_size=11
        ),
        plot_bgcolor="white",
    )
    return fig


def plot_membership(
    result: ConsensusResult,
    k: int | None = None,
    *,
    names: Sequence[str] | None = None,
    truth: Sequence[Any] | None = None,
):
    """Membership confidence of each item, grouped by cluster.

    Bars are coloured by known class when ``truth`` is given (one colour per
    class, so a cluster that mixes classes shows it), else by cluster;
    dotted lines separate the clusters.

    Parameters
    ----------
    result : ConsensusResult
    k : int, optional
        Number of clusters (default ``result.best_k``).
    names : sequence of str, optional
        Item names (hover).
    truth : sequence, optional
        Known class of each item (bar colours and hover), e.g. database labels.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.confidence import consensus_clustering
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([c + rng.normal(size=(10, 3)) for c in 8 * np.eye(3)])
    >>> res = consensus_clustering(X, range(2, 4), n_resamples=5, n_null=3, progress=False)
    >>> from textures_nb.confidence import plot_membership
    >>> fig = plot_membership(res, truth=np.repeat([0, 1, 2], 10))
    >>> len(fig.data) > 0
    True
    """
    import plotly.graph_objects as go

    k, items, order = _ordered_items(result, k, names)
    n = len(order)
    clusters = items["cluster"].to_numpy()
    if truth is not None:
        codes, groups = _class_codes(truth, n)
        group_names = groups
    else:
        codes, group_names = clusters, [f"cluster {c}" for c in range(k)]
    colors = palette(len(group_names))
    where = np.empty(n, dtype=int)
    where[order] = np.arange(n)  # bar position of each item
    fig = go.Figure()
    for g, gname in enumerate(group_names):
        idx = [i for i in order if codes[i] == g]
        if not idx:
            continue
        hover = [
            (f"{items['name'].iloc[i]}" if names is not None else f"item {i}")
            + (f" (class {truth[i]})" if truth is not None else "")
            + f"<br>cluster {clusters[i]}, runner-up {items['runner_up'].iloc[i]}"
            for i in idx
        ]
        fig.add_trace(
            go.Bar(
                x=where[idx],
                y=items["membership"].to_numpy()[idx],
                name=gname,
                marker_color=colors[g],
                hovertext=hover,
                hoverinfo="text+y",
            )
        )
    for start, stop, c in _runs(clusters[order]):
        if start:
            fig.add_vline(x=start - 0.5, line=dict(color="grey", dash="dot", width=1))
        fig.add_annotation(
            x=(start + stop - 1) / 2, y=1.04, text=f"cluster {c}", showarrow=False, font_size=10
        )
    fig.update_layout(
        title=f"Membership confidence per item (k = {k})",
        xaxis=dict(
            title="items by cluster, most certain first", showticklabels=False, range=[-0.5, n]
        ),
        yaxis=dict(title="mean consensus with own cluster", range=[0, 1.08]),
        bargap=0.05,
        height=420,
        autosize=True,
        legend=dict(
            title="class" if truth is not None else None,
            orientation="h",
            yanchor="top",
            y=-0.12,
            x=0,
            font_size=11,
        ),
        margin=dict(t=60),
    )
    return fig


def plot_pac(result: ConsensusResult):
    """PAC against k, with the null's mean and a band of +- 2 null std.

    Parameters
    ----------
    result : ConsensusResult

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.confidence import consensus_clustering
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([c + rng.normal(size=(10, 3)) for c in 8 * np.eye(3)])
    >>> res = consensus_clustering(X, range(2, 4), n_resamples=5, n_null=3, progress=False)
    >>> from textures_nb.confidence import plot_pac
    >>> fig = plot_pac(res)
    >>> len(fig.data) > 0
    True
    """
    import plotly.graph_objects as go

    _check_result(result, ConsensusResult, "consensus_clustering")
    t = result.by_k
    ks = list(t.index)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=ks + ks[::-1],
            # PAC lives in [0, 1]: so does the band
            y=list((t["null_mean"] + 2 * t["null_std"]).clip(0, 1))
            + list((t["null_mean"] - 2 * t["null_std"]).clip(0, 1))[::-1],
            mode="lines",  # a band: no marker dots on its edges
            fill="toself",
            fillcolor="rgba(127,127,127,0.2)",
            line=dict(width=0),
            name="null +- 2 std",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=ks,
            y=t["null_mean"],
            mode="lines",
            name="structureless null",
            line=dict(color="gray", dash="dash"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=ks,
            y=t["pac"],
            mode="lines+markers",
            name="data",
            line=dict(color=palette(2)[0]),
            customdata=t[["confidence"]].to_numpy(),
            hovertemplate="k=%{x}: PAC %{y:.3f}, confidence %{customdata[0]:.3f}<extra></extra>",
        )
    )
    answer = "no reliable clusters" if result.k == 1 else f"k = {result.k}"
    fig.update_layout(
        title=f"Ambiguity of the clustering (PAC, lower is more stable): {answer}",
        xaxis=dict(title="k", dtick=1),
        yaxis=dict(title="PAC", rangemode="tozero"),
        height=350,
    )
    return fig


def plot_spread(result: RepeatResult, *, truth: Mapping[str, float] | None = None):
    """Each index over the repeats: one point per seed, mean and interval.

    Parameters
    ----------
    result : RepeatResult
    truth : mapping of str to float, optional
        Known value of some indices, drawn as a dashed line.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> from textures_nb.confidence import repeat
    >>> rep = repeat(lambda seed: {"x": float(seed), "y": 2.0 * seed}, 3, progress=False)
    >>> from textures_nb.confidence import plot_spread
    >>> fig = plot_spread(rep, truth={"x": 1.0})
    >>> len(fig.data) > 0
    True
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    _check_result(result, RepeatResult, "repeat")
    names = list(result.values.columns)
    summary = result.summary()
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names)
    for col, name in enumerate(names, start=1):
        x = result.values[name]
        row = summary.loc[name]
        fig.add_trace(
            go.Scatter(
                x=np.zeros(len(x)),
                y=x,
                mode="markers",
                marker=dict(color=palette(2)[0], size=8, opacity=0.6),
                text=[f"seed {s}" for s in x.index],
                hovertemplate="%{text}: %{y:.4g}<extra></extra>",
                showlegend=col == 1,
                name="one repeat",
            ),
            row=1,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=[0.3],
                y=[row["mean"]],
                mode="markers",
                marker=dict(color=palette(2)[1], size=11, symbol="diamond"),
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=[row["high"] - row["mean"]],
                    arrayminus=[row["mean"] - row["low"]],
                ),
                showlegend=col == 1,
                name=f"mean and {result.level:.0%} of repeats",
            ),
            row=1,
            col=col,
        )
        if truth is not None and name in truth:
            fig.add_hline(y=truth[name], line_dash="dash", line_color="gray", row=1, col=col)
        fig.update_xaxes(visible=False, range=[-0.5, 0.8], row=1, col=col)
    fig.update_layout(title=f"Spread over {len(result.values)} repeats from scratch", height=350)
    return fig


def _check_result(result, cls, maker: str) -> None:
    if not isinstance(result, cls):
        raise TypeError(
            f"`result` must be a {cls.__name__} (from {maker}), got {type(result).__name__}."
        )
