"""Benchmark: photographic papers, hierarchy recovery on the simulator and speed at scale.

Run: ``python benchmarks/bench_paper.py`` (writes ``benchmarks/results_paper.md``
and prints it; about 30 minutes on a heavily loaded 2-core machine; ``--acceptance-only``
and ``--speed-only`` run one section and print it). Sections:

1. Acceptance on simulated collections like the reference set (120 raking-light
   images of 512 x 512: 3 manufacturers x 2 brands x 2 sheets x 10 patches),
   seeds 0..2, for the hyperbolic features, the isotropic ones and the orientation
   statistics: precision@5 at each level, triplet
   shares, cophenetic correlation with the known hierarchy, mean and the
   interval holding 95 % of the seeds (``confidence.spread``). Then the same
   with the light along the rows (``azimuth=0``) for one seed: there the
   shading itself depends on the fibre direction. Then hyperbolic against isotropic on
   10 collections of 256 x 256: the cophenetic correlation with a t interval of the mean.
2. Speed: features (``kind="hyperbolic"``) and all pairwise dissimilarities of
   1 000 images of 512 x 512 (read from a float32 memory map, as a loader
   would), in one process with one thread, and in two worker processes (2
   cores); peak resident memory of each run (fresh processes, ``VmHWM`` reset at the
   start; with workers, the main process plus twice the largest worker peak).
   Side by side: the same energies from PyWavelets' fully separable
   transform ``pywt.fswavedecn`` (the library's hyperbolic transform, which
   pads the borders), and the other feature kinds on 100 images.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from _common import machine_header

OUT = Path(__file__).with_name("results_paper.md")
MEMMAP = Path("/tmp/textures_nb_bench_paper_images.f32")
N_IMAGES, SIZE, CHUNK = 1000, 512, 50
SEEDS = range(3)
KINDS = ["hyperbolic", "isotropic", "orientation"]


# --------------------------------------------------------------------------
# 1. Acceptance
# --------------------------------------------------------------------------


def acceptance(lines: list[str]) -> None:
    from textures_nb.paper import hierarchy_study

    for title, seeds, az in [
        ("light from the upper-left corner (`azimuth=45`, default)", SEEDS, 45.0),
        ("light along the rows (`azimuth=0`)", range(1), 0.0),
    ]:
        t0 = time.perf_counter()
        study = hierarchy_study(
            KINDS, list(seeds), k=5, simulate=dict(size=SIZE, azimuth=az), progress=False
        )
        seconds = time.perf_counter() - t0
        table = study.table()
        lines += [
            f"### {title}: {len(list(seeds))} seeds, {seconds:.0f} s",
            "",
            "mean [interval holding 95 % of the seeds]",
            "",
        ]
        scores = [
            "precision sheet",
            "precision brand",
            "precision manufacturer",
            "same sheet < other sheet",
            "same brand < other brand",
            "same brand < other manufacturer",
            "same manufacturer < other manufacturer",
            "cophenetic",
        ]
        lines.append("| score | " + " | ".join(KINDS) + " |")
        lines.append("|---" * (len(KINDS) + 1) + "|")
        for s in scores:
            cells = []
            for kind in KINDS:
                r = table.loc[(kind, s)]
                cells.append(f"{r['mean']:.3f} [{r['low']:.3f}, {r['high']:.3f}]")
            lines.append(f"| {s} | " + " | ".join(cells) + " |")
        if study.failures:
            lines.append(f"\nfailed seeds: {study.failures}")
        lines.append("")
        print("\n".join(lines[-len(scores) - 6 :]), flush=True)


def seeds_256(lines: list[str]) -> None:
    """Intervals over 10 collections of 256 x 256 (cheaper, so more seeds)."""
    from textures_nb.paper import hierarchy_study

    t0 = time.perf_counter()
    study = hierarchy_study(
        ["hyperbolic", "isotropic"], 10, k=5, simulate=dict(size=256), progress=False
    )
    table = study.table()
    lines += [
        f"### 10 collections of 256 x 256 (seeds 0..9), {time.perf_counter() - t0:.0f} s",
        "",
        "| kind | score | mean | t interval of the mean (95 %) | range of 95 % of the seeds |",
        "|---|---|---|---|---|",
    ]
    for kind in ("hyperbolic", "isotropic"):
        for score in ("cophenetic", "precision sheet", "same brand < other brand",
                      "same brand < other manufacturer"):  # fmt: skip
            r = table.loc[(kind, score)]
            lines.append(
                f"| {kind} | {score} | {r['mean']:.3f} | [{r['mean_low']:.3f}, "
                f"{r['mean_high']:.3f}] | [{r['low']:.3f}, {r['high']:.3f}] |"
            )
    lines.append("")
    print("\n".join(lines[-12:]), flush=True)


# --------------------------------------------------------------------------
# 2. Speed
# --------------------------------------------------------------------------


def _make_images() -> None:
    """1 000 anisotropic random fields of 512 x 512 in a float32 file (not timed)."""
    if MEMMAP.exists() and MEMMAP.stat().st_size == N_IMAGES * SIZE * SIZE * 4:
        return
    from textures_nb.paper import paper_surface

    mm = np.memmap(MEMMAP, dtype=np.float32, mode="w+", shape=(N_IMAGES, SIZE, SIZE))
    for i in range(N_IMAGES):
        mm[i] = paper_surface(SIZE, fibre_share=0.0, orientation=7.0 * i, seed=i)
    mm.flush()


def _hwm_mb() -> float:
    """Peak resident memory of this process since the last reset, MB (/proc VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_hwm() -> None:
    """Reset VmHWM (Linux): a process started by a large parent inherits its peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:  # pragma: no cover - not Linux, or not allowed
        pass


def _read(start: int, n: int) -> np.ndarray:
    """Images ``start .. start + n`` from the file (a read, not a mapping: RSS stays honest)."""
    count = n * SIZE * SIZE
    arr = np.fromfile(MEMMAP, dtype=np.float32, count=count, offset=start * SIZE * SIZE * 4)
    return arr.reshape(n, SIZE, SIZE)


def _chunk_features(args) -> tuple[np.ndarray, float, float]:
    start, kind = args
    os.environ["OMP_NUM_THREADS"] = "1"
    from textures_nb.similarity import features

    x = _read(start, min(CHUNK, N_IMAGES - start))
    t0 = time.perf_counter()
    F = features(x, kind.split("+"), progress=False)
    return F, time.perf_counter() - t0, _hwm_mb()


def _pywt_energies(x: np.ndarray, levels: int = 5) -> np.ndarray:
    """log2 energies of every pair of scales of pywt's fully separable transform."""
    import pywt

    res = pywt.fswavedecn(x, "db3", mode="symmetric", levels=levels)
    out = []
    for j1 in range(1, levels + 1):
        for j2 in range(1, levels + 1):
            d = res[(j1, j2)]
            out.append(np.log2(np.mean(d**2)))
    return np.array(out)


def speed_run(mode: str, kind: str, n: int) -> dict:
    """One timed run in this (fresh) process; prints a JSON line."""
    from textures_nb.similarity import dissimilarity

    _reset_hwm()
    starts = list(range(0, n, CHUNK))
    worker_peak = 0.0
    t0 = time.perf_counter()
    if mode == "pywt":
        F = np.stack(
            [_pywt_energies(_read(i, 1)[0].astype(float)) for i in range(n)]
        )
    elif mode == "single":
        F = np.concatenate([_chunk_features((s, kind))[0] for s in starts])
    else:
        with ProcessPoolExecutor(2) as pool:
            parts = list(pool.map(_chunk_features, [(s, kind) for s in starts]))
        F = np.concatenate([p[0] for p in parts])
        worker_peak = max(p[2] for p in parts)
    t_feat = time.perf_counter() - t0
    D = dissimilarity(F)
    t_all = time.perf_counter() - t0
    # the main process and, at the same time, two workers at their peak
    peak = _hwm_mb() + 2 * worker_peak
    return {
        "mode": mode,
        "kind": kind,
        "n": n,
        "dim": F.shape[1],
        "features_s": t_feat,
        "total_s": t_all,
        "peak_mb": peak,
        "D": list(D.shape),
    }


def speed(lines: list[str]) -> None:
    t0 = time.perf_counter()
    _make_images()
    lines += [
        f"1 000 images of 512 x 512 prepared in a float32 memory map in "
        f"{time.perf_counter() - t0:.0f} s (not counted).",
        "",
        "| run | images | features (dim) | features s | + all pairwise dissimilarities, s "
        "| peak RSS MB |",
        "|---|---|---|---|---|---|",
    ]
    runs = [
        ("two", "hyperbolic", N_IMAGES, "2 worker processes (2 cores), `kind='hyperbolic'`"),
        ("single", "hyperbolic", N_IMAGES, "1 process, 1 thread, `kind='hyperbolic'`"),
        ("pywt", "-", 200, "peer: `pywt.fswavedecn` energies, 1 thread"),
        ("single", "isotropic", 100, "1 process, `kind='isotropic'`"),
        ("single", "orientation", 50, "1 process, `kind='orientation'`"),
    ]
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    for mode, kind, n, label in runs:
        out = subprocess.run(
            [sys.executable, __file__, "--speed-run", mode, kind, str(n)],
            capture_output=True, text=True, env=env, check=True,
        )  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        lines.append(
            f"| {label} | {n} | {r['dim']} | {r['features_s']:.1f} | {r['total_s']:.1f} "
            f"| {r['peak_mb']:.0f} |"
        )
        print(lines[-1], flush=True)
    lines.append("")


def main() -> None:
    import torch

    torch.set_num_threads(1)
    lines = machine_header("Photographic papers: hierarchy recovery and speed")
    lines += [
        "The machine is shared by several sessions (see the load average): times are "
        "upper bounds of what an idle 2-core machine gives.",
        "",
        "## 1. Acceptance on simulated collections (120 images of 512 x 512)",
        "",
    ]
    acceptance(lines)
    seeds_256(lines)
    lines += ["## 2. Speed: 1 000 images of 512 x 512", ""]
    speed(lines)
    lines.append(f"- load average at the end: {os.getloadavg()[0]:.2f}")
    OUT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


SECTIONS = {"--speed-only": speed, "--acceptance-only": acceptance, "--seeds-only": seeds_256}

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--speed-run":
        print(json.dumps(speed_run(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
    elif len(sys.argv) > 1 and sys.argv[1] in SECTIONS:
        lines = machine_header(sys.argv[1][2:])
        SECTIONS[sys.argv[1]](lines)
        lines.append(f"- load average at the end: {os.getloadavg()[0]:.2f}")
        print("\n".join(lines))
    else:
        main()
