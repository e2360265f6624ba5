"""Benchmark of textures_nb.confidence and textures_nb.batch.

1. The k-means behind consensus clustering: textures_nb's small numpy k-means
   (greedy k-means++, best of 3 starts) against scikit-learn's ``KMeans``
   (``n_init=3``) and SciPy's ``kmeans2`` (k-means++, best of 3), on
   resample-sized problems: time per call and inertia relative to scikit-learn.
2. One consensus clustering (observed data + nulls) with each k-means.
3. A grid of 4 notebook runs with ``run_grid``: in series, on 2 local threads
   and on a Dask ``LocalCluster`` with 2 workers.

Run: ``python benchmarks/bench_confidence.py``; writes
``benchmarks/results_confidence.md``.
"""

from __future__ import annotations

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


def main() -> None:
    lines = machine_header("Confidence and batch benchmark")
    lines += kmeans_section()
    lines += consensus_section()
    lines += batch_section()
    OUT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
