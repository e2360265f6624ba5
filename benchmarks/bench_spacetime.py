"""Benchmark and acceptance study of :mod:`textures_nb.spacetime` (issue 15).

Run: ``python benchmarks/bench_spacetime.py`` (writes ``benchmarks/results_spacetime.md``).

Analysis: space-time fBf 64 x 128 x 128 with (H_space, H_time) = (0.3, 0.7) and (0.7, 0.3),
3 seeds; advected field velocity; space-time cascade c2 (128**3, 4 seeds). Synthesis of the
space-time fBf, methods side by side ("phase", the 3D phase-randomisation baseline, "iaaft",
"gram"): H_space and H_time of the synthesis against the sample's, temporal autocorrelation
of the frame increments at lags 1..8, and a synthesis twice as long (streaming) with the
frame-difference statistics at its joins against the sample's range. Each synthesis runs in
a fresh process so that its peak resident memory (``ru_maxrss``) is its own.
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

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    from textures_nb import spacetime as st

    hs, ht, method, t2 = args
    x = st.spacetime_fbf(SHAPE, hs, ht, seed=0)
    t0 = time.perf_counter()
    r = st.synthesize_sequence(x, method=method, size=(t2, *SHAPE[1:]), seed=1, progress=False)
    sec = time.perf_counter() - t0
    y = r.texture
    j = (1, 3)
    e0 = st.spacetime_exponents(x, leaders=False, j_time=j)
    e = st.spacetime_exponents(y, leaders=False, j_time=j)
    a0 = st.temporal_autocorrelation(x, 8, increments=True)
    a = st.temporal_autocorrelation(y, 8, increments=True)
    f0 = st.frame_differences(x)
    f = st.frame_differences(y)
    jv = [float(f[k - 1]) for k in r.joins]
    inside = all(f0.min() <= v <= f0.max() for v in jv)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "hs": hs,
        "ht": ht,
        "method": method,
        "T2": t2,
        "sec": sec,
        "rss": rss,
        "dHs": e.H_space - e0.H_space,
        "dHt": e.H_time - e0.H_time,
        "acf": float(np.abs(a - a0)[1:].max()),
        "joins": jv,
        "range": (float(f0.min()), float(f0.max())),
        "inside": inside,
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
    lines += ["", f"(analysis section: {time.perf_counter() - t0:.0f} s)", ""]
    lines += ["## Synthesis of the space-time fBf 64x128x128", ""]
    lines += [
        "dH: synthesis minus sample on time scales 1-3, space 1-4; acf: max |difference| of the "
        "increments' temporal autocorrelation, lags 1..8; joins: frame-difference RMS at the "
        "joins of the streaming synthesis (T2 = 128) against the sample's range.",
        "",
        "| (H_s, H_t) | method | T2 | seconds | peak RSS (MB) | dH_s | dH_t | acf | joins "
        "| in range |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    ctx = mp.get_context("spawn")
    methods = sys.argv[1:] or ["phase", "gram"]
    runs = [(c, m, t2) for c in [(0.3, 0.7), (0.7, 0.3)] for m in methods for t2 in (64, 128)]
    if os.environ.get("BENCH_QUICK"):  # loaded machine: the joins on one case only
        runs = [r for r in runs if r[2] == 64 or r[0] == (0.3, 0.7)]
    for (hs, ht), method, t2 in runs:
        if True:
            if True:
                with ctx.Pool(1) as pool:
                    r = pool.apply(_synth, ((hs, ht, method, t2),))
                lines.append(
                    f"| ({hs}, {ht}) | {method} | {t2} | {r['sec']:.1f} | {r['rss']:.0f} | "
                    f"{r['dHs']:+.3f} | {r['dHt']:+.3f} | {r['acf']:.3f} | "
                    + (", ".join(f"{v:.3f}" for v in r["joins"]) or "-")
                    + f" (sample {r['range'][0]:.3f}-{r['range'][1]:.3f}) | {r['inside']} |"
                )
                print(lines[-1], flush=True)
                out.write_text("\n".join(lines) + "\n")  # partial results survive a kill
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
