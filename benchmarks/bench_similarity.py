"""Benchmark: texture similarity, textures_nb features vs kymatio's scattering, exact top-k.

Run: ``python benchmarks/bench_similarity.py`` (writes
``benchmarks/results_similarity.md`` and prints it). A few minutes on 2 cores.
Sections:

1. ``nearest``: exact top-10 of 1 000 queries among 100 000 random feature
   vectors of dimension 128: time and peak memory, next
   to scikit-learn's brute-force ``NearestNeighbors`` on the same data (each
   in a fresh process, peak resident memory from ``/proc/self/status``), and
   to the N x N (and Q x N) matrices the blocks avoid.
2. Features + top-k for 2 000 demonstration patches of 64 x 64 (acceptance
   target: under 60 s on 2 cores), for every feature kind.
3. Feature extraction throughput (images/s) of every kind, side by side with
   kymatio's ``Scattering2D(J=3, shape=(64, 64))`` (NumPy and torch
   frontends) on the same 256 images.
"""

from __future__ import annotations

import multiprocessing as mp
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from _common import machine_header

from textures_nb.data import demo_database
from textures_nb.similarity import FEATURE_KINDS, features, nearest

OUT = Path(__file__).with_name("results_similarity.md")


def _status_kb(field: str) -> int:
    """A memory field of /proc/self/status (kB), e.g. VmRSS or VmHWM (peak RSS)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} missing from /proc/self/status")


def _nearest_data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((100_000, 128)), rng.standard_normal((1_000, 128))


def _run_nearest(which: str, out) -> None:
    """In a fresh process: time one top-10 search and its peak RSS above the data's."""
    from sklearn.neighbors import NearestNeighbors

    F, Q = _nearest_data()
    if which == "sklearn":
        nn = NearestNeighbors(n_neighbors=10, algorithm="brute").fit(F)
    base = _status_kb("VmRSS")
    t0 = time.perf_counter()
    if which == "sklearn":
        idx = nn.kneighbors(Q)[1]
    else:
        idx = nearest(F, 10, Q, standardize=False)[0]
    seconds = time.perf_counter() - t0
    out.put((seconds, (_status_kb("VmHWM") - base) * 1024, idx))


def _isolated(which: str):
    ctx = mp.get_context("spawn")  # fresh process: its peak RSS is this call's alone
    out = ctx.Queue()
    proc = ctx.Process(target=_run_nearest, args=(which, out))
    proc.start()
    result = out.get()
    proc.join()
    return result


def bench_nearest(lines: list[str]) -> None:
    n, q, dim = 100_000, 1_000, 128
    data_mb = (n + q) * dim * 8 / 1e6
    ours_s, ours_peak, idx = _isolated("textures_nb")
    sk_s, sk_peak, sk_idx = _isolated("sklearn")
    agree = float(np.mean(idx == sk_idx))
    lines += [
        "## 1. Exact top-10: 1 000 queries among 100 000 vectors of dimension 128",
        "",
        f"Input: {data_mb:.0f} MB (float64). Each method runs in a fresh process; peak = "
        "peak resident memory (VmHWM) minus the resident memory once the data is built.",
        "",
        "| method | seconds | peak memory above the data (MB) |",
        "| --- | ---: | ---: |",
        f"| textures_nb `nearest` (blocks 256 x 8192) | {ours_s:.2f} | {ours_peak / 1e6:.0f} |",
        f"| scikit-learn `NearestNeighbors(brute)` | {sk_s:.2f} | {sk_peak / 1e6:.0f} |",
        "",
        f"- Same neighbours as scikit-learn: {agree:.4%} of the 10 000 indices.",
        f"- Avoided: the N x N matrix ({n * n * 8 / 1e9:.0f} GB) and the Q x N matrix "
        f"({q * n * 8 / 1e6:.0f} MB).",
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
    bench_pipeline(lines)
    bench_throughput(lines)
    OUT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
