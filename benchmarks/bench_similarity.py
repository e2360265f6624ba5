"""Benchmark: texture similarity, textures_nb features vs kymatio's scattering, exact top-k.

Run: ``python benchmarks/bench_similarity.py`` (writes
``benchmarks/results_similarity.md`` and prints it). A few minutes on 2 cores.
Sections:

1. ``nearest``: exact top-10 of 1 000 queries among 100 000 random float32
   feature vectors of dimension 128, with faiss and with the NumPy fallback,
   side by side with scikit-learn's brute-force ``NearestNeighbors`` and
   faiss's exact ``IndexFlatL2``: times in one process (methods interleaved,
   the load printed), peak resident memory in a fresh process per method
   (``VmHWM`` reset before the search: tracemalloc would miss faiss's C++ allocations).
   ``--nearest-only`` runs this section alone.
2. Features + top-k for 2 000 demonstration patches of 64 x 64 (acceptance
   target: under 60 s on 2 cores), for every feature kind.
3. Feature extraction throughput (images/s) of every kind, side by side with
   kymatio's ``Scattering2D(J=3, shape=(64, 64))`` (NumPy and torch
   frontends) on the same 256 images.
"""

from __future__ import annotations

import multiprocessing as mp
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from _common import machine_header

from textures_nb.data import demo_database
from textures_nb.similarity import FEATURE_KINDS, features, nearest

OUT = Path(__file__).with_name("results_similarity.md")


N_DB, N_QUERIES, DIM, K = 100_000, 1_000, 128, 10
METHODS = {
    "textures_nb `nearest`, faiss path": "ours_faiss",
    "textures_nb `nearest`, NumPy fallback (blocks 256 x 8192)": "ours_numpy",
    "scikit-learn `NearestNeighbors(algorithm='brute')`": "sklearn",
    "faiss `IndexFlatL2` (exact)": "faiss_flat",
}


def _status_kb(field: str) -> int:
    """A memory field of /proc/self/status (kB), e.g. VmRSS."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} missing from /proc/self/status")


def _nearest_data():
    rng = np.random.default_rng(0)
    F = rng.standard_normal((N_DB, DIM), dtype=np.float32)
    return F, rng.standard_normal((N_QUERIES, DIM), dtype=np.float32)


def _search(which: str, F, Q) -> np.ndarray:
    """One top-k search of ``Q`` in ``F`` (set-up included); the neighbours' indices."""
    if which == "ours_faiss":
        return nearest(F, K, Q, standardize=False, backend="faiss", progress=False)[0]
    if which == "ours_numpy":
        return nearest(F, K, Q, standardize=False, backend="numpy", progress=False)[0]
    if which == "sklearn":
        from sklearn.neighbors import NearestNeighbors

        return NearestNeighbors(n_neighbors=K, algorithm="brute").fit(F).kneighbors(Q)[1]
    import faiss

    index = faiss.IndexFlatL2(F.shape[1])
    index.add(F)
    return index.search(Q, K)[1]


def _peak_rss(which: str, out) -> None:
    """In a fresh process: peak resident memory of one search above the data's (bytes)."""
    import faiss  # noqa: F401  (libraries loaded before the baseline)
    import sklearn.neighbors  # noqa: F401

    F, Q = _nearest_data()
    _search(which, F[:2000], Q[:10])  # warm-up: BLAS buffers, thread pools, lazy imports
    # reset the high-water mark (Linux >= 4.0) so that VmHWM is this search's peak, not
    # that of the imports or of building the data. Not ru_maxrss: after fork + exec it
    # keeps the parent's resident size at the fork (the exec'd image inherits it)
    Path("/proc/self/clear_refs").write_text("5")
    base = _status_kb("VmRSS")
    _search(which, F, Q)
    out.put((_status_kb("VmHWM") - base) * 1024)


def _isolated_peak(which: str) -> float:
    ctx = mp.get_context("spawn")  # fresh process: its peak RSS is this call's alone
    out = ctx.Queue()
    proc = ctx.Process(target=_peak_rss, args=(which, out))
    proc.start()
    peak = out.get()
    proc.join()
    return peak


def _load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def bench_nearest(lines: list[str], rounds: int = 3) -> None:
    import faiss
    from threadpoolctl import threadpool_info

    F, Q = _nearest_data()
    load_before = _load()
    for which in METHODS.values():  # warm-up
        _search(which, F[:2000], Q[:10])
    times: dict[str, list[float]] = {w: [] for w in METHODS.values()}
    found: dict[str, np.ndarray] = {}
    for _ in range(rounds):  # interleaved, so that the other jobs' load hits every method
        for which in METHODS.values():
            t0 = time.perf_counter()
            found[which] = _search(which, F, Q)
            times[which].append(time.perf_counter() - t0)
    load_after = _load()
    peaks = {which: _isolated_peak(which) for which in METHODS.values()}
    blas = {(i["internal_api"], i["num_threads"]) for i in threadpool_info()}
    ref = found["sklearn"]
    faiss_s = float(np.median(times["faiss_flat"]))
    sk_s = float(np.median(times["sklearn"]))
    lines += [
        f"## 1. Top-{K}: {N_QUERIES:,} queries among {N_DB:,} float32 vectors of dimension {DIM}",
        "",
        f"Input: {(N_DB + N_QUERIES) * DIM * 4 / 1e6:.0f} MB (float32). Seconds: median of "
        f"{rounds} rounds in one process, the methods interleaved, set-up (fit, index build) "
        "included. Peak: in a fresh process per method, peak resident memory (`VmHWM`, "
        "which also counts faiss's C++ allocations; high-water mark reset just before the "
        "search) minus the resident memory once the data is built. Threads: faiss "
        f"{faiss.omp_get_max_threads()}, BLAS {sorted(blas)}.",
        "",
        f"- load before: `{load_before}`",
        f"- load after: `{load_after}`",
        "",
        "| method | seconds (median) | min | vs scikit-learn | vs faiss exact | peak above the "
        "data (MB) | same neighbours as scikit-learn |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, which in METHODS.items():
        med = float(np.median(times[which]))
        agree = float(np.mean(found[which] == ref))
        lines.append(
            f"| {name} | {med:.2f} | {min(times[which]):.2f} | {med / sk_s:.2f}x | "
            f"{med / faiss_s:.2f}x | {peaks[which] / 1e6:.0f} | {agree:.4%} |"
        )
    lines += [
        "",
        f"- Avoided: the N x N matrix ({N_DB**2 * 4 / 1e9:.0f} GB in float32) and the Q x N "
        f"matrix ({N_QUERIES * N_DB * 4 / 1e6:.0f} MB).",
        "- `nearest` ranks its candidates (k + max(8, k) per query) again in float64, so its "
        "exact paths return scikit-learn's neighbours; faiss alone ranks in float32.",
        "",
    ]


def bench_pipeline(lines: list[str]) -> None:
    db = demo_database(n_per_class=167, patch=64, seed=0)  # 12 classes: 2 004 patches
    images = db.images[:2000]
    lines += [
        "## 2. Features + exact top-10 for 2 000 patches of 64 x 64",
        "",
        "Target: under 60 s on 2 cores (features of every patch, then the 10 nearest "
        "neighbours of every patch among the others).",
        "",
        "| features | dim | features (s) | top-10 (s) | total (s) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for kind in FEATURE_KINDS:
        t0 = time.perf_counter()
        F = features(images, kind, progress=False)
        t1 = time.perf_counter()
        nearest(F, 10)
        t2 = time.perf_counter()
        lines.append(f"| {kind} | {F.shape[1]} | {t1 - t0:.1f} | {t2 - t1:.2f} | {t2 - t0:.1f} |")
    lines.append("")


def bench_throughput(lines: list[str]) -> None:
    # kymatio 0.3's ``kymatio.numpy`` also imports its 3D frontend, which needs
    # ``scipy.special.sph_harm`` (removed in SciPy 1.17): import the 2D frontends directly
    from kymatio.scattering2d.frontend.numpy_frontend import ScatteringNumPy2D as ScatNumpy
    from kymatio.scattering2d.frontend.torch_frontend import ScatteringTorch2D as ScatTorch

    db = demo_database(n_per_class=22, patch=64, seed=1)
    images = db.images[:256]
    n = images.shape[0]
    rows = []
    for kind in FEATURE_KINDS:
        features(images[:16], kind, progress=False)  # warm-up (filters, network)
        t0 = time.perf_counter()
        F = features(images, kind, progress=False)
        rows.append((f"textures_nb `{kind}`", F.shape[1], n / (time.perf_counter() - t0)))
    scat_np = ScatNumpy(J=3, shape=(64, 64))
    scat_np(images[:4])
    t0 = time.perf_counter()
    out = np.concatenate([scat_np(images[s : s + 64]) for s in range(0, n, 64)])
    rate = n / (time.perf_counter() - t0)
    rows.append(("kymatio.numpy `Scattering2D(J=3)`", out.shape[1], rate))
    scat_t = ScatTorch(J=3, shape=(64, 64))
    x = torch.from_numpy(images).float()
    with torch.no_grad():
        scat_t(x[:4])
        t0 = time.perf_counter()
        out_t = torch.cat([scat_t(x[s : s + 64]) for s in range(0, n, 64)])
    rows.append(
        ("kymatio.torch `Scattering2D(J=3)`", out_t.shape[1], n / (time.perf_counter() - t0))
    )
    lines += [
        f"## 3. Feature throughput on the same {n} images of 64 x 64",
        "",
        "Scattering: 217 coefficients (orders 0-2, L=8) per 8 x 8 position; a texture "
        "descriptor would average them over positions (dim = 217).",
        "",
        "| extractor | feature dim | images/s |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| {name} | {dim} | {rate:.0f} |" for name, dim, rate in rows]
    lines.append("")


def main() -> None:
    warnings.simplefilter("ignore", RuntimeWarning)
    lines = machine_header("Texture similarity: features, exact top-k, kymatio scattering")
    bench_nearest(lines)
    if "--nearest-only" in sys.argv and OUT.exists():
        # keep sections 2 and 3 of the last full run, with their own date and load
        old = OUT.read_text()
        if "\n## 2." in old:
            header = [ln for ln in old.splitlines()[:6] if ln.startswith("- ")]
            lines += ["Sections 2 and 3: last full run", *header, ""]
            lines += ("## 2." + old.split("\n## 2.", 1)[1]).rstrip("\n").splitlines()
    else:
        bench_pipeline(lines)
        bench_throughput(lines)
    OUT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
