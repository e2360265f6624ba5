"""Benchmark of textures_nb.confidence and textures_nb.batch.

1. The k-means behind consensus clustering: textures_nb's small numpy k-means
   (greedy k-means++, best of 3 starts) against scikit-learn's ``KMeans``
   (``n_init=3``) and SciPy's ``kmeans2`` (k-means++, best of 3), on
   resample-sized problems: time per call and inertia relative to scikit-learn.
2. One consensus clustering (observed data + nulls) with each k-means.
3. A grid of 4 notebook runs with ``run_grid``: in series, on 2 local threads
   and on a Dask ``LocalCluster`` with 2 workers.
4. Consensus clustering among noise features (issue 11): the retained k per
   seed for three Gaussian groups 8 sd apart in 3 of 10 dimensions and for
   structureless 10-dimensional clouds (i.i.d., anisotropic, correlated,
   log-normal), with the default robust scaling and with z-scoring; then
   brick / grass / gravel patches (wavelet features): retained k, and
   whether the features make the three classes clusters at all.
   ``--noise-only`` runs this section alone.

Run: ``python benchmarks/bench_confidence.py``; writes
``benchmarks/results_confidence.md``.
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path

import nbformat
import numpy as np
from _common import machine_header, median_time
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from scipy.cluster.vq import kmeans2
from sklearn.cluster import KMeans

from textures_nb import confidence
from textures_nb.batch import run_grid

OUT = Path(__file__).with_name("results_confidence.md")


def _inertia(X, labels):
    return sum(((X[labels == c] - X[labels == c].mean(axis=0)) ** 2).sum() for c in set(labels))


def _scipy_best_of_3(X, k, rng):
    best, best_inertia = None, np.inf
    for _ in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, labels = kmeans2(X, k, minit="++", seed=rng)
        inertia = _inertia(X, labels)
        if inertia < best_inertia:
            best, best_inertia = labels, inertia
    return best


def _sklearn_labels(X, k, rng):
    return KMeans(k, n_init=3, random_state=int(rng.integers(1 << 30))).fit(X).labels_


IMPLEMENTATIONS = {
    "textures_nb `_kmeans` (numpy, best of 3)": confidence._kmeans,
    "scikit-learn `KMeans(n_init=3)`": _sklearn_labels,
    "SciPy `kmeans2` (++, best of 3)": _scipy_best_of_3,
}


def _problems():
    rng = np.random.default_rng(0)
    four = np.vstack([c + rng.standard_normal((16, 4)) for c in 6 * np.eye(4)])
    wide = rng.standard_normal((77, 85)) @ rng.standard_normal((85, 85)) * 0.1
    return {"64 x 4, 4 clusters, k=4": (four, 4), "77 x 85, no clusters, k=6": (wide, 6)}


def kmeans_section() -> list[str]:
    lines = [
        "## 1. k-means per call (resample-sized problems)",
        "",
        "| problem | implementation | ms / call (median) | mean inertia / scikit-learn's |",
        "|---|---|---|---|",
    ]
    for name, (X, k) in _problems().items():
        ref = np.mean([KMeans(k, n_init=3, random_state=s).fit(X).inertia_ for s in range(10)])
        for label, fn in IMPLEMENTATIONS.items():
            rng = np.random.default_rng(1)
            med, _ = median_time(lambda fn=fn, X=X, k=k, rng=rng: fn(X, k, rng), repeats=30)
            rng = np.random.default_rng(2)
            ratio = np.mean([_inertia(X, fn(X, k, rng)) for _ in range(10)]) / ref
            lines.append(f"| {name} | {label} | {1e3 * med:.2f} | {ratio:.3f} |")
    return lines + [""]


def consensus_section() -> list[str]:
    rng = np.random.default_rng(0)
    X = np.vstack([c + rng.standard_normal((24, 4)) for c in 6 * np.eye(4)])
    settings = dict(n_resamples=30, n_null=8, seed=0, progress=False)
    lines = [
        "## 2. One consensus clustering (96 items x 4 features, k = 2..6, 30 resamples, "
        "8 null data sets: 1350 clusterings)",
        "",
        "| k-means inside | seconds | retained k |",
        "|---|---|---|",
    ]
    original = confidence._kmeans
    variants = {
        "textures_nb `_kmeans` (used)": original,
        "scikit-learn `KMeans(n_init=3)`": _sklearn_labels,
    }
    try:
        for label, fn in variants.items():
            confidence._kmeans = fn
            t0 = time.perf_counter()
            res = confidence.consensus_clustering(X, **settings)
            lines.append(f"| {label} | {time.perf_counter() - t0:.1f} | {res.k} |")
    finally:
        confidence._kmeans = original
    t0 = time.perf_counter()
    res = confidence.consensus_clustering(X, method="agglomerative", **settings)
    lines.append(
        f"| (Ward agglomerative, one tree per resample) | {time.perf_counter() - t0:.1f} "
        f"| {res.k} |"
    )
    return lines + [""]


def batch_section() -> list[str]:
    lines = [
        "## 3. A grid of 4 runs of a tiny notebook (each run starts its own kernel)",
        "",
        "| executor | seconds for 4 runs |",
        "|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        nb = Path(tmp) / "tiny.ipynb"
        nbformat.write(
            new_notebook(
                cells=[
                    new_markdown_cell("# tiny"),
                    new_code_cell("seed = 0", metadata={"tags": ["parameters"]}),
                    new_code_cell(
                        "import numpy as np\nfrom textures_nb import record\n"
                        "record('mean', np.random.default_rng(seed).normal(size=1000).mean())"
                    ),
                ]
            ),
            str(nb),
        )
        grid = {"seed": [0, 1, 2, 3]}
        for label, kwargs in [
            ("in series (workers=1)", dict(workers=1)),
            ("2 local threads (workers=2)", dict(workers=2)),
        ]:
            t0 = time.perf_counter()
            run_grid(nb, grid, Path(tmp) / label[:5], progress=False, **kwargs)
            lines.append(f"| {label} | {time.perf_counter() - t0:.1f} |")
        from distributed import Client, LocalCluster

        t0 = time.perf_counter()
        with (
            LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            t1 = time.perf_counter()
            run_grid(nb, grid, Path(tmp) / "dask", client, progress=False)
            t2 = time.perf_counter()
        lines.append(
            f"| Dask LocalCluster, 2 worker processes | {t2 - t1:.1f} "
            f"(+ {t1 - t0:.1f} to start the cluster) |"
        )
    return lines + [""]


N_PER = 20
NOISE_SETTINGS = dict(n_resamples=25, n_null=8, progress=False)


def _three_groups_in_noise(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.zeros((3, 10))
    centres[:, :3] = 8.0 * np.eye(3)
    return np.vstack([c + rng.standard_normal((N_PER, 10)) for c in centres])


def _cloud10(seed: int, kind: str) -> np.ndarray:
    rng = np.random.default_rng(300 + seed)
    X = rng.standard_normal((3 * N_PER, 10))
    if kind == "anisotropic":
        return X * np.linspace(4.0, 0.5, 10)
    if kind == "correlated":
        return X @ rng.standard_normal((10, 10))
    if kind == "log-normal":
        return np.exp(X)
    return X


def noise_section(n_seeds: int = 10) -> list[str]:
    from sklearn.metrics import adjusted_rand_score, silhouette_score
    from sklearn.model_selection import GroupKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from textures_nb import data, similarity

    cases = {
        "3 groups 8 sd apart in 3 of 10 dims (truth k = 3)": _three_groups_in_noise,
        **{
            f"{kind} cloud, 10 dims (truth k = 1)": (lambda s, kind=kind: _cloud10(s, kind))
            for kind in ("iid", "anisotropic", "correlated", "log-normal")
        },
    }
    lines = [
        f"## 4. Clusters among noise features: retained k for seeds 0..{n_seeds - 1}",
        "",
        f"{3 * N_PER} items, k = 2..6, 25 resamples, 8 null data sets. `robust` (default): Qn "
        "scale, at most twice the z-score weight, feature draws stratified by spread; "
        "`zscore`: the standard deviation (the scaling used before).",
        "",
        "| data | standardize | k per seed | share with the true k | seconds |",
        "|---|---|---|---|---|",
    ]
    for name, make in cases.items():
        truth = 3 if name.startswith("3 groups") else 1
        for how in ("robust", "zscore"):
            t0 = time.perf_counter()
            ks = [
                confidence.consensus_clustering(
                    make(s), seed=s, standardize=how, **NOISE_SETTINGS
                ).k
                for s in range(n_seeds)
            ]
            share = np.mean([k == truth for k in ks])
            lines.append(
                f"| {name} | {how} | {' '.join(map(str, ks))} | {share:.0%} | "
                f"{time.perf_counter() - t0:.0f} |"
            )
    lines += [
        "",
        "### Brick, grass and gravel patches (scikit-image photographs)",
        "",
        "16 patches of 64 x 64 per class, wavelet features (85), k = 2..6, 30 resamples. "
        "Supervised separability: 1-nearest-neighbour accuracy with whole regions held out "
        "(4 folds). Cluster separability: silhouette of the true classes against that of "
        "k-means with k = 2 and 3 (robust scaling).",
        "",
        "| seed | retained k | ARI of labels(3) | ARI of labels(k) | 1-NN accuracy | "
        "silhouette: classes / k-means 2 / k-means 3 |",
        "|---|---|---|---|---|---|",
    ]
    from sklearn.cluster import KMeans

    for seed in range(3):
        db = data.demo_database(
            n_per_class=16, patch=64, seed=seed, classes=["brick", "grass", "gravel"]
        )
        F = similarity.features(db.images, kind="wavelet", progress=False)
        res = confidence.consensus_clustering(
            F, range(2, 7), n_resamples=30, n_null=8, seed=seed, progress=False
        )
        acc = cross_val_score(
            make_pipeline(StandardScaler(), KNeighborsClassifier(1)),
            F,
            db.labels,
            groups=db.groups,
            cv=GroupKFold(4),
        ).mean()
        Z = confidence._standardized(F, "robust", np.random.default_rng(0))
        sil = [silhouette_score(Z, db.labels)] + [
            silhouette_score(Z, KMeans(k, n_init=10, random_state=0).fit_predict(Z)) for k in (2, 3)
        ]
        lines.append(
            f"| {seed} | {res.k} | {adjusted_rand_score(db.labels, res.labels(3)):.2f} | "
            f"{adjusted_rand_score(db.labels, res.labels()):.2f} | {acc:.2f} | "
            + " / ".join(f"{v:.2f}" for v in sil)
            + " |"
        )
    lines += [
        "",
        "Reading: a 1-NN accuracy near 1 says that the features tell the classes apart; a "
        "silhouette of the true classes below that of k-means with 2 or 3 clusters says that "
        "the classes are not the most compact grouping of these features (here brick patches "
        "spread into sub-groups while grass and gravel lie close together), so consensus "
        "clustering is not expected to answer 3.",
    ]
    return lines + [""]


def main() -> None:
    if "--noise-only" in sys.argv and OUT.exists():
        # keep sections 1-3 of the last full run; section 4 gets its own date and load
        kept = OUT.read_text().split("\n## 4.")[0].rstrip("\n").splitlines()
        header = machine_header("section 4")[2:5]
        lines = kept + ["", "Section 4 re-run alone:", *header, "", *noise_section()]
    else:
        lines = machine_header("Confidence and batch benchmark")
        lines += kmeans_section()
        lines += consensus_section()
        lines += batch_section()
        lines += noise_section()
    OUT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
