"""Benchmark and acceptance study of :mod:`textures_nb.spacetime` (issue 15).

Run: ``python benchmarks/bench_spacetime.py`` (writes ``benchmarks/results_spacetime.md``).

Analysis: space-time fBf 64 x 128 x 128 with (H_space, H_time) = (0.3, 0.7) and (0.7, 0.3),
3 seeds; advected field velocity; space-time cascade c2 (128**3, 4 seeds). Synthesis of the
space-time fBf, methods side by side ("phase", the 3D phase-randomisation baseline, "iaaft",
"gram"), 3 seeds: H_space and H_time of the synthesis against the sample's, temporal
autocorrelation of the frame increments at lags 1..8, and a synthesis twice as long
(streaming) with the frame-difference statistics at its joins against the sample's range.
Each synthesis runs in a fresh process so that its peak resident memory (``ru_maxrss``) is
its own. Arguments: methods and/or sample seeds (``python bench_spacetime.py gram 0 1``);
environment: ``BENCH_NO_ANALYSIS=1``, ``BENCH_WORKERS`` (2), ``BENCH_THREADS`` (torch threads
per worker, 1), ``BENCH_T2`` (frames made, 128), ``BENCH_OUT`` (results file name).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
from _common import machine_header

os.environ.setdefault("TQDM_DISABLE", "1")
SHAPE = (64, 128, 128)


def _synth(args):
    import torch

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    from textures_nb import spacetime as st

    hs, ht, method, t2, seed = args
    x = st.spacetime_fbf(SHAPE, hs, ht, seed=seed)
    t0 = time.perf_counter()
    size = (t2, *SHAPE[1:])
    r = st.synthesize_sequence(x, method=method, size=size, seed=seed + 1, progress=False)
    sec = time.perf_counter() - t0
    # the first block of a streaming synthesis is the T2 = 64 synthesis (same draws)
    y = r.texture[: SHAPE[0]]
    j = (1, 3)
    e0 = st.spacetime_exponents(x, leaders=False, j_time=j)
    e = st.spacetime_exponents(y, leaders=False, j_time=j)
    a0 = st.temporal_autocorrelation(x, 8, increments=True)
    a = st.temporal_autocorrelation(y, 8, increments=True)
    f0 = st.frame_differences(x)
    f = st.frame_differences(r.texture)
    at = [k - 1 for k in r.joins]
    jv = [float(f[k]) for k in at]
    others = np.delete(f, at)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "hs": hs,
        "ht": ht,
        "method": method,
        "T2": t2,
        "seed": seed,
        "sec": sec,
        "rss": rss,
        "dHs": e.H_space - e0.H_space,
        "dHt": e.H_time - e0.H_time,
        "dacf": (a - a0)[1:],
        "joins": jv,
        "range": (float(f0.min()), float(f0.max())),
        "inside": [bool(f0.min() <= v <= f0.max()) for v in jv],
        # the same test on every non-join step of the synthesis: the rate a join should match
        "inside_other": float(np.mean((others >= f0.min()) & (others <= f0.max()))),
        # rank of each join among the sample's steps (0 smallest .. 1 largest)
        "rank": [float(np.mean(f0 < v)) for v in jv],
    }


def _analysis():
    from textures_nb import spacetime as st

    lines = ["## Analysis (truth known)", ""]
    lines += ["| field | truth | estimates (3 seeds) | mean | error | seconds / estimate |"]
    lines += ["| --- | --- | --- | --- | --- | ---: |"]
    for hs, ht in [(0.3, 0.7), (0.7, 0.3)]:
        est, secs = [], []
        for s in range(3):
            x = st.spacetime_fbf(SHAPE, hs, ht, seed=s)
            t0 = time.perf_counter()
            e = st.spacetime_exponents(x)
            secs.append(time.perf_counter() - t0)
            est.append((e.H_space, e.H_time))
        est = np.asarray(est)
        m = est.mean(axis=0)
        lines.append(
            f"| fBf 64x128x128 | H_s={hs}, H_t={ht} | "
            + ", ".join(f"({a:.3f}, {b:.3f})" for a, b in est)
            + f" | ({m[0]:.3f}, {m[1]:.3f}) | ({m[0] - hs:+.3f}, {m[1] - ht:+.3f}) | "
            f"{np.median(secs):.2f} |"
        )
    for v in [(0.5, 1.0), (-1.5, 0.3)]:
        x = st.advected_field(SHAPE, v, seed=1)
        t0 = time.perf_counter()
        e = st.estimate_velocity(x)
        sec = time.perf_counter() - t0
        rel = np.hypot(*(np.subtract(e.velocity, v))) / np.hypot(*v)
        lines.append(
            f"| advected 64x128x128 | v={v} | ({e.velocity[0]:.3f}, {e.velocity[1]:.3f}) | | "
            f"{100 * rel:.1f} % | {sec:.2f} |"
        )
    for lam in (0.2, 0.3):
        c2 = []
        for s in range(4):
            x = st.spacetime_cascade((128, 128, 128), 0.5, lam, seed=s)
            t0 = time.perf_counter()
            c2.append(st.spacetime_exponents(x).c2)
            sec = time.perf_counter() - t0
        lines.append(
            f"| cascade 128^3 | c2={-(lam**2):.2f} | "
            + ", ".join(f"{c:.3f}" for c in c2)
            + f" | {np.mean(c2):.3f} | {np.mean(c2) + lam**2:+.3f} | {sec:.2f} |"
        )
    return lines


def main() -> None:
    out = Path(__file__).with_name(os.environ.get("BENCH_OUT", "results_spacetime.md"))
    lines = machine_header("Spatiotemporal textures (issue 15)")
    lines += [
        "The machine is shared with other jobs (see the load): times are indicative.",
        "",
    ]
    t0 = time.perf_counter()
    if not os.environ.get("BENCH_NO_ANALYSIS"):
        lines += _analysis()
    out.write_text("\n".join(lines) + "\n")
    if not os.environ.get("BENCH_NO_ANALYSIS"):
        lines += ["", f"(analysis section: {time.perf_counter() - t0:.0f} s)", ""]
    lines += ["## Synthesis of the space-time fBf 64x128x128", ""]
    lines += [
        "Sample `spacetime_fbf(seed=s)`, synthesis `seed=s + 1`, s = 0, 1, 2. Each run makes "
        "T2 = 128 frames (streaming: blocks of 64, overlap 16, joins at frames 64 and 96) in a "
        "fresh process (peak RSS its own); its first 64 frames are the T2 = 64 synthesis (same "
        "draws) and give dH (synthesis minus sample, time scales 1-3, space 1-4) and dacf "
        "(increments' temporal autocorrelation minus the sample's, lags 1..8). joins: RMS "
        "frame difference at each join, its rank among the sample's 63 steps and whether it "
        "lies in the sample's range; 'others in range': the same test on the synthesis's "
        "non-join steps (what a join should match: the sample's own extremes are a 2/63 event).",
        "",
        f"| (H_s, H_t) | method | seed | seconds (T2 = {os.environ.get('BENCH_T2', '128')}) "
        "| peak RSS (MB) | dH_s | dH_t "
        "| max abs dacf (lag) | joins (rank) | joins in range | others in range |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | ---: |",
    ]
    ctx = mp.get_context("spawn")
    methods = [m for m in sys.argv[1:] if not m.isdigit()] or ["phase", "iaaft", "gram"]
    seeds = [int(m) for m in sys.argv[1:] if m.isdigit()] or [0, 1, 2]
    runs = [(c, m, s) for c in [(0.3, 0.7), (0.7, 0.3)] for m in methods for s in seeds]
    t2 = int(os.environ.get("BENCH_T2", "128"))
    args = [(hs, ht, m, t2, s) for (hs, ht), m, s in runs]
    n_workers = int(os.environ.get("BENCH_WORKERS", "2"))
    summary: dict = {}
    with ctx.Pool(n_workers, maxtasksperchild=1) as pool:
        for r in pool.imap(_synth, args):
            k = int(np.argmax(np.abs(r["dacf"])))
            pairs = zip(r["joins"], r["rank"], strict=True)
            lines.append(
                f"| ({r['hs']}, {r['ht']}) | {r['method']} | {r['seed']} | {r['sec']:.1f} | "
                f"{r['rss']:.0f} | {r['dHs']:+.3f} | {r['dHt']:+.3f} | "
                f"{abs(r['dacf'][k]):.3f} ({k + 1}) | "
                + ", ".join(f"{v:.3f} ({q:.2f})" for v, q in pairs)
                + f" (sample {r['range'][0]:.3f}-{r['range'][1]:.3f}) | "
                f"{sum(r['inside'])}/{len(r['inside'])} | {r['inside_other']:.2f} |"
            )
            print(lines[-1], flush=True)
            summary.setdefault((r["hs"], r["ht"], r["method"]), []).append(r)
            out.write_text("\n".join(lines) + "\n")  # partial results survive a kill
    lines += ["", "Means over the seeds (acceptance: |dH| <= 0.07, acf within 0.05 at every lag "
              "of the mean over seeds; joins inside the sample's range):", ""]
    lines += [
        "| (H_s, H_t) | method | seeds | mean dH_s | mean dH_t | mean abs dacf, max over lags "
        "| max over seeds of max abs dacf | joins in range | mean seconds | max peak RSS (MB) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for (hs, ht, m), rs in summary.items():
        dacf = np.array([r["dacf"] for r in rs])
        inside = [v for r in rs for v in r["inside"]]
        lines.append(
            f"| ({hs}, {ht}) | {m} | {len(rs)} | {np.mean([r['dHs'] for r in rs]):+.3f} | "
            f"{np.mean([r['dHt'] for r in rs]):+.3f} | {np.abs(dacf).mean(axis=0).max():.3f} | "
            f"{np.abs(dacf).max():.3f} | {sum(inside)}/{len(inside)} | "
            f"{np.mean([r['sec'] for r in rs]):.1f} | {max(r['rss'] for r in rs):.0f} |"
        )
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
