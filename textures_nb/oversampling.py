"""Rare classes: oversampling by texture synthesis, synthetic samples kept by a quality test.

When a class holds a few patches, a classifier trained on the database
rarely predicts it. :func:`synthesize_minority` makes new patches of such a
class with our synthesis methods (:func:`textures_nb.synthesis.synthesize`)
and keeps only those that :func:`textures_nb.quality.compare` does not flag
as different from the patch they were made from: the quality verdict as a
selection rule. :func:`rare_class_study` compares, over seeds, a classifier
on our features trained

- ``"none"``: on the imbalanced data;
- ``"duplicate"``: with the rare patches duplicated (imbalanced-learn's
  ``RandomOverSampler``);
- ``"smote"``: with SMOTE interpolations of their features (imbalanced-learn);
- ``"synthesis"``: with synthesised patches, unselected;
- ``"synthesis+quality"``: with the synthesised patches the quality test
  accepts,

every oversampling strategy bringing the rare class to the same count, and
reports minority recall and balanced accuracy on held-out groups with
intervals over seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._checks import as_generator, check_in_range, check_positive_int
from ._shared.progress import tqdm

__all__ = [
    "STRATEGIES",
    "SyntheticPool",
    "synthesize_minority",
    "RareClassStudy",
    "rare_class_study",
]

#: Strategies of :func:`rare_class_study`.
STRATEGIES = ("none", "duplicate", "smote", "synthesis", "synthesis+quality")


@dataclass
class SyntheticPool:
    """Synthesised candidates of a rare class and the quality verdict on each.

    Attributes
    ----------
    candidates : ndarray, shape (M, H, W)
        Every synthesis made, in order.
    source : ndarray of int, shape (M,)
        Index (into the given images) of the patch each was made from.
    method : list of str
        Synthesis method of each candidate.
    p_value : ndarray, shape (M,)
        Overall p-value of :func:`textures_nb.quality.compare` (source versus
        candidate); nan when not tested.
    accepted : ndarray of bool, shape (M,)
        Not flagged as different at level ``alpha``.

    Examples
    --------
    >>> from textures_nb.processes import fbf
    >>> pool = synthesize_minority([fbf((64, 64), 0.5, seed=0)], 1, methods=["phase"],
    ...                            max_candidates=1, n_null=19, progress=False)
    >>> pool.candidates.shape, pool.source.tolist(), pool.method
    ((1, 64, 64), [0], ['phase'])
    >>> pool.table().columns.tolist()
    ['source', 'method', 'p_value', 'accepted']
    """

    candidates: np.ndarray = field(repr=False)
    source: np.ndarray = field(repr=False)
    method: list = field(repr=False)
    p_value: np.ndarray = field(repr=False)
    accepted: np.ndarray = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"SyntheticPool({len(self.source)} candidates, {int(self.accepted.sum())} accepted "
            f"by the quality test)"
        )

    def selected(self, n: int | None = None) -> np.ndarray:
        """The first ``n`` accepted candidates (all when None), shape (n, H, W)."""
        return self.candidates[self.accepted][:n]

    def unselected(self, n: int | None = None) -> np.ndarray:
        """The first ``n`` candidates whatever the verdict, shape (n, H, W)."""
        return self.candidates[:n]

    def table(self):
        """One row per candidate: source, method, p_value, accepted."""
        import pandas as pd

        return pd.DataFrame(
            {
                "source": self.source,
                "method": self.method,
                "p_value": self.p_value,
                "accepted": self.accepted,
            }
        )


def synthesize_minority(
    images,
    n_new: int,
    *,
    methods: Sequence[str] = ("phase", "iaaft"),
    max_candidates: int | None = None,
    n_null: int = 39,
    alpha: float = 0.05,
    seed=0,
    progress: bool = True,
) -> SyntheticPool:
    """New patches of a rare class by synthesis, each judged by the quality test.

    Candidates are made from the class's patches in turn (source ``k % n``),
    the methods alternating, until ``n_new`` are accepted or
    ``max_candidates`` are made; each is compared with its source by
    :func:`textures_nb.quality.compare` (``n_null`` null draws, level
    ``alpha``).

    Parameters
    ----------
    images : array_like, shape (n, H, W)
        The rare class's patches.
    n_new : int
        Accepted patches wanted.
    methods : sequence of str, default ("phase", "iaaft")
        Methods of :func:`textures_nb.synthesis.synthesize` (fast ones: a
        phase randomisation, an IAAFT surrogate).
    max_candidates : int, optional
        Default ``3 * n_new``.
    n_null : int, default 39
    alpha : float, default 0.05
    seed : int or Generator, default 0
    progress : bool, default True

    Returns
    -------
    SyntheticPool

    Examples
    --------
    >>> from textures_nb.processes import fbf
    >>> patches = [fbf((64, 64), 0.5, seed=s) for s in range(2)]
    >>> pool = synthesize_minority(patches, 1, methods=["iaaft"], max_candidates=1, n_null=19,
    ...                            progress=False)
    >>> pool.candidates.shape
    (1, 64, 64)
    """
    from .quality import compare
    from .synthesis import synthesize

    images = np.asarray(images, dtype=float)
    if images.ndim != 3 or images.shape[0] < 1:
        raise ValueError(f"`images` must have shape (n, H, W) with n >= 1, got {images.shape}.")
    n_new = check_positive_int(n_new, "n_new")
    max_candidates = (
        3 * n_new
        if max_candidates is None
        else check_positive_int(max_candidates, "max_candidates")
    )
    methods = [methods] if isinstance(methods, str) else list(methods)
    if not methods:
        raise ValueError("`methods` must name at least one synthesis method.")
    rng = as_generator(seed)
    cands, source, used, pvals, ok = [], [], [], [], []
    bar = tqdm(total=n_new, desc="synthesize_minority", disable=not progress)
    for k in range(max_candidates):
        src = k % images.shape[0]
        method = methods[k % len(methods)]
        out = synthesize(images[src], method=method, seed=rng, progress=False).texture
        report = compare(images[src], out, n_null=n_null, alpha=alpha, seed=rng, progress=False)
        cands.append(out)
        source.append(src)
        used.append(method)
        pvals.append(report.p_value)
        ok.append(not report.different)
        bar.update(int(ok[-1]))
        if sum(ok) >= n_new:
            break
    bar.close()
    return SyntheticPool(
        np.stack(cands), np.array(source), used, np.array(pvals), np.array(ok, bool)
    )


@dataclass
class RareClassStudy:
    """Minority recall and balanced accuracy per oversampling strategy and seed.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per seed and strategy: ``minority_recall``,
        ``balanced_accuracy``, ``n_rare`` (rare patches kept),
        ``n_added``, ``accept_rate`` (share of the syntheses the quality test
        accepted, nan without synthesis).
    rare_class : str
        Name of the class made rare.
    options : dict
        Settings of the study (``fraction``, ``kind``, ``n_new``, ``methods``,
        ``n_null``).

    Examples
    --------
    >>> from textures_nb.data import demo_database
    >>> db = demo_database(n_per_class=8, patch=64, classes=["brick", "grass", "gravel"])
    >>> study = rare_class_study(db, "grass", strategies=["none", "duplicate"], n_new=2,
    ...                          n_seeds=2, progress=False)
    >>> study.rare_class, study.scores.shape, study.table().index.tolist()
    ('grass', (4, 7), ['none', 'duplicate'])
    """

    scores: Any = field(repr=False)
    rare_class: str = ""
    options: dict = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        if "minority_recall" not in getattr(self.scores, "columns", ()):
            return f"RareClassStudy({self.rare_class!r}, no scores)"
        t = self.table()
        best = t["minority_recall"].idxmax()
        return (
            f"RareClassStudy({self.rare_class!r}, {self.scores['seed'].nunique()} seeds; "
            f"best minority recall: {best} {t.loc[best, 'minority_recall']:.2f})"
        )

    def table(self, level: float = 0.95):
        """Mean and t interval over seeds of each score, per strategy."""
        from scipy import stats

        g = self.scores.groupby("strategy", sort=False)
        out = {}
        for col in ("minority_recall", "balanced_accuracy"):
            m, sd, n = g[col].mean(), g[col].std(ddof=1), g[col].count()
            half = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
            out[col] = m
            out[f"{col} low"] = (m - half).clip(0, 1)  # scores live in [0, 1]
            out[f"{col} high"] = (m + half).clip(0, 1)
        import pandas as pd

        return pd.DataFrame(out)

    def paired(self, a: str = "synthesis+quality", b: str = "smote", col: str = "minority_recall"):
        """Per-seed difference ``a - b``: mean, t interval (95 %) and wins/ties/losses."""
        from scipy import stats

        p = self.scores.pivot(index="seed", columns="strategy", values=col)
        d = (p[a] - p[b]).to_numpy()
        n = d.size
        half = stats.t.ppf(0.975, max(n - 1, 1)) * d.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
        return {
            "mean": float(d.mean()),
            "low": float(d.mean() - half),
            "high": float(d.mean() + half),
            "wins": int((d > 0).sum()),
            "ties": int((d == 0).sum()),
            "losses": int((d < 0).sum()),
        }

    def plot(self):
        """Minority recall and balanced accuracy per strategy with intervals."""
        import plotly.graph_objects as go

        from ._shared.display import palette

        t = self.table()
        fig = go.Figure()
        for col, color in zip(("minority_recall", "balanced_accuracy"), palette(2), strict=True):
            fig.add_trace(
                go.Bar(
                    x=t.index,
                    y=t[col],
                    name=col.replace("_", " "),
                    marker_color=color,
                    error_y={
                        "type": "data",
                        "symmetric": False,
                        "array": t[f"{col} high"] - t[col],
                        "arrayminus": t[col] - t[f"{col} low"],
                    },
                )
            )
        fig.update_layout(
            barmode="group",
            yaxis_title="score on held-out groups",
            autosize=True,
            height=380,
            title=f"rare class {self.rare_class!r}: mean and 95 % interval over seeds",
            legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            yaxis_range=[0, 1.05],
        )
        return fig


def rare_class_study(
    database,
    rare_class: int | str = 0,
    *,
    fraction: float = 0.05,
    kind: str = "wavelet",
    strategies: Sequence[str] = STRATEGIES,
    n_new: int = 8,
    n_seeds: int = 5,
    methods: Sequence[str] = ("phase", "iaaft"),
    n_null: int = 39,
    query_fraction: float = 0.25,
    seed=0,
    progress: bool = True,
) -> RareClassStudy:
    """Oversampling strategies for one class reduced to ``fraction`` of its patches.

    For each seed: the database is split into training and held-out groups
    (:meth:`textures_nb.data.TextureDatabase.split`); the rare class keeps
    ``max(2, round(fraction * n))`` of its training patches; a logistic
    regression on standardised :func:`textures_nb.similarity.features` is
    trained with each strategy (see the module docstring; every strategy
    adds ``n_new`` rare samples) and scored on the held-out patches.

    Parameters
    ----------
    database : TextureDatabase
    rare_class : int or str, default 0
        Class index or name.
    fraction : float, default 0.05
    kind : str, default "wavelet"
        Feature kind.
    strategies : sequence of str
        Among :data:`STRATEGIES`.
    n_new : int, default 8
    n_seeds : int, default 5
    methods, n_null
        As in :func:`synthesize_minority`.
    query_fraction : float, default 0.25
    seed : int, default 0
        Seeds ``seed .. seed + n_seeds - 1``.
    progress : bool, default True

    Returns
    -------
    RareClassStudy

    Examples
    --------
    >>> from textures_nb.data import demo_database
    >>> db = demo_database(n_per_class=8, patch=64, classes=["brick", "grass", "gravel"])
    >>> study = rare_class_study(db, "brick", strategies=["none", "duplicate"], n_new=2,
    ...                          n_seeds=2, progress=False)
    >>> study.table().shape
    (2, 6)
    """
    import pandas as pd

    from .similarity import features

    fraction = check_in_range(fraction, "fraction", 0.0, 1.0, high_inclusive=True)
    n_new = check_positive_int(n_new, "n_new")
    n_seeds = check_positive_int(n_seeds, "n_seeds")
    bad = [s for s in strategies if s not in STRATEGIES]
    if bad or not strategies:
        raise ValueError(f"`strategies` must be among {STRATEGIES}, got {list(strategies)!r}.")
    names = list(database.class_names)
    if isinstance(rare_class, str):
        if rare_class not in names:
            raise ValueError(f"`rare_class` {rare_class!r} is not a class; classes: {names}.")
        rare = names.index(rare_class)
    else:
        rare = int(rare_class)
        if not 0 <= rare < len(names):
            raise ValueError(f"`rare_class` must be in 0..{len(names) - 1}, got {rare}.")
    base_seed = int(seed)
    rows = []
    bar = tqdm(total=n_seeds, desc="rare_class_study", disable=not progress)
    for s in range(base_seed, base_seed + n_seeds):
        rng = np.random.default_rng([s, 7])
        train, test = database.split(query_fraction, seed=s)
        in_rare = np.flatnonzero(train.labels == rare)
        n_keep = max(2, int(round(fraction * in_rare.size)))
        drop = rng.permutation(in_rare)[n_keep:]
        train = train.subset(np.setdiff1d(np.arange(len(train)), drop))
        kept = train.images[train.labels == rare]
        F_train = features(train.images, kind, progress=False)
        F_test = features(test.images, kind, progress=False)
        pool = None
        if any(x.startswith("synthesis") for x in strategies):
            pool = synthesize_minority(
                kept, n_new, methods=methods, n_null=n_null, seed=rng, progress=False
            )
        for strategy in strategies:
            X, y = _oversampled(strategy, F_train, train.labels, rare, n_new, pool, kind, s)
            pred = _classify(X, y, F_test)
            truth = test.labels
            recall = float((pred[truth == rare] == rare).mean())
            classes = np.unique(truth)
            bal = float(np.mean([(pred[truth == c] == c).mean() for c in classes]))
            rows.append(
                {
                    "strategy": strategy,
                    "seed": s,
                    "minority_recall": recall,
                    "balanced_accuracy": bal,
                    "n_rare": n_keep,
                    "n_added": int((y == rare).sum()) - n_keep,
                    "accept_rate": np.nan if pool is None else float(pool.accepted.mean()),
                }
            )
        bar.update()
    bar.close()
    return RareClassStudy(
        pd.DataFrame(rows),
        names[rare],
        {
            "fraction": fraction,
            "kind": kind,
            "n_new": n_new,
            "methods": list(methods),
            "n_null": n_null,
        },
    )


def _oversampled(strategy, F, labels, rare, n_new, pool, kind, seed):
    """Training features and labels for one strategy (rare class + ``n_new``)."""
    target = {rare: int((labels == rare).sum()) + n_new}
    if strategy == "none":
        return F, labels
    if strategy == "duplicate":
        from imblearn.over_sampling import RandomOverSampler

        return RandomOverSampler(sampling_strategy=target, random_state=seed).fit_resample(
            F, labels
        )
    if strategy == "smote":
        from imblearn.over_sampling import SMOTE

        k = min(5, int((labels == rare).sum()) - 1)
        return SMOTE(sampling_strategy=target, k_neighbors=k, random_state=seed).fit_resample(
            F, labels
        )
    from .similarity import features

    new = pool.selected(n_new) if strategy == "synthesis+quality" else pool.unselected(n_new)
    if len(new) == 0:
        return F, labels
    F_new = features(new, kind, progress=False)
    return np.vstack([F, F_new]), np.r_[labels, np.full(len(new), rare)]


def _classify(X, y, X_test) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    return model.fit(X, y).predict(X_test)
