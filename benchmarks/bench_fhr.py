"""Benchmark of textures_nb.fhr: features of a CTU-UHB-sized database, and AUCs.

1. Speed (issue 18): 552 simulated recordings of 90 minutes at 4 Hz (the size of
   the CTU-UHB database), preprocessing + all features (gap-aware multiscale,
   classical, deep) on the three windows (last 30 min, stage 1, stage 2), with
   ``n_jobs=2`` and ``n_jobs=1``; peak resident memory of the process tree
   (psutil, sampled every 50 ms). Per-record cost of each component, side by side
   with ``multiscale.log_cumulants`` on the same window with its gaps interpolated
   (the non-gap-aware peer).
2. AUC over 5 folds (x 10 repeats) of each feature set on the default simulator
   and on a null database (identical class parameters).

Run: ``python benchmarks/bench_fhr.py [--quick]``; writes ``benchmarks/results_fhr.md``.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import psutil
import torch
from _common import machine_header, median_time

from textures_nb import fhr
from textures_nb.multiscale import log_cumulants

OUT = Path(__file__).with_name("results_fhr.md")
QUICK = "--quick" in sys.argv


class PeakRSS:
    """Peak resident memory (MB) of this process and its children, sampled in a thread."""

    def __init__(self, every: float = 0.05):
        self.every, self.peak, self._stop = every, 0.0, threading.Event()

    def _sample(self):
        me = psutil.Process()
        while not self._stop.is_set():
            total = me.memory_info().rss
            for c in me.children(recursive=True):
                try:
                    total += c.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total / 2**20)
            time.sleep(self.every)

    def __enter__(self):
        self._t = threading.Thread(target=self._sample, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def speed_section() -> list[str]:
    n = 40 if QUICK else 552
    t0 = time.perf_counter()
    db = fhr.simulate_database(n, minutes=90, seed=0, progress=False)
    t_sim = time.perf_counter() - t0
    lines = [
        f"## 1. Features of {n} recordings x 90 min at 4 Hz (CTU-UHB size)",
        "",
        f"Simulating the database took {t_sim:.1f} s (not counted). Features: preprocessing, "
        "gap-aware c1/c2/H, 6 classical features and 40 deep features, on the windows last "
        "30 min / stage 1 / stage 2 (3 windows per record).",
        "",
        "| workers | wall time (s) | records / s | peak RSS of the process tree (MB) |",
        "|---|---|---|---|",
    ]
    for jobs in (2, 1):
        with PeakRSS() as mem:
            t0 = time.perf_counter()
            feats = fhr.compute_features(db, n_jobs=jobs, progress=False)
            dt = time.perf_counter() - t0
        lines.append(f"| {jobs} | {dt:.1f} | {n / dt:.1f} | {mem.peak:.0f} |")
        print(lines[-1], flush=True)
    n_prob = int(feats.values["problem"].notna().sum())
    lines += ["", f"{n_prob} of {len(feats.values)} windows have a problem (reported, NaN "
              "features), e.g. too few leaders at 32 s in a short stage-2 window.", ""]

    # per-component cost on one record's last window
    rec = db.iloc[0]
    clean = fhr.preprocess(rec["fhr"], 4.0)
    win = clean.fhr[-7200:]
    filled = np.interp(np.arange(win.size), np.flatnonzero(np.isfinite(win)),
                       win[np.isfinite(win)])
    comps = {
        "preprocess (90 min)": lambda: fhr.preprocess(rec["fhr"], 4.0),
        "multiscale_features (30 min, gap-aware)": lambda: fhr.multiscale_features(win),
        "peer: log_cumulants on the interpolated window": lambda: log_cumulants(
            filled, scales=(3, 7), n_cumul=2),
        "classical_features (30 min)": lambda: fhr.classical_features(win),
        "deep_features (30 min)": lambda: fhr.deep_features(win),
    }
    lines += ["Per call, one thread (median of 15):", "", "| step | ms |", "|---|---|"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name, fn in comps.items():
            med, _ = median_time(fn, repeats=15)
            lines.append(f"| {name} | {1000 * med:.1f} |")
        fm = fhr.multiscale_features(win)
        lc = log_cumulants(filled, scales=(3, 7), n_cumul=2)
    zeros = sorted({str(w.message) for w in caught if "exactly 0" in str(w.message)})
    if zeros:
        lines += ["", "The peer warned on the interpolated window (a straight line has zero "
                  "db3 coefficients): " + "; ".join(zeros[:2])]
    lines += ["", f"On that window ({np.isnan(win).mean():.1%} in long gaps): gap-aware "
              f"c1 = {fm['c1']:.3f}, c2 = {fm['c2']:.3f}; log_cumulants after interpolating "
              f"across the gaps c1 = {lc.c1:.3f}, c2 = {lc.c2:.3f}.", ""]
    return lines


def preprocessing_section() -> list[str]:
    n_seeds = 5 if QUICK else 20
    lines = [
        f"## 0. Preprocessing against the truth ({n_seeds} recordings x 60 min per class)",
        "",
        "c1 (gap-aware, scales 2-32 s) of the cleaned recording against the clean simulation "
        "(issue 18: within 0.05), and against the clean simulation with the same long gaps left "
        "out (the cleaning's own error: spikes and interpolated short gaps).",
        "",
        "| class | spikes all removed (rule or out of range), no extra | lost-signal gaps exact "
        "| max abs c1 diff vs clean | share within 0.05 "
        "| max abs c1 diff vs clean with the same gaps |",
        "|---|---|---|---|---|---|",
    ]
    for name, p in (("normal", fhr.NORMAL), ("acidotic", fhr.ACIDOTIC)):
        ok_sp = ok_gap = 0
        d_all, d_same = [], []
        for s in range(n_seeds):
            sim = fhr.simulate_recording(p, minutes=60, seed=s)
            c = fhr.preprocess(sim.fhr, sim.fs)
            truth = set(sim.spikes.tolist())
            ok_sp += bool(c.missing[sim.spikes].all()) and set(c.spikes.tolist()) <= truth
            g = c.gaps[c.gaps["n_lost"] > 0][["start", "length"]].to_numpy()
            ok_gap += [tuple(x) for x in g] == [tuple(x) for x in sim.gaps]
            same = sim.clean.copy()
            same[np.isnan(c.fhr)] = np.nan
            c1 = fhr.multiscale_features(c.fhr)["c1"]
            d_all.append(abs(c1 - fhr.multiscale_features(sim.clean)["c1"]))
            d_same.append(abs(c1 - fhr.multiscale_features(same)["c1"]))
        d_all = np.array(d_all)
        lines.append(f"| {name} | {ok_sp}/{n_seeds} | {ok_gap}/{n_seeds} | {d_all.max():.3f} | "
                     f"{(d_all < 0.05).mean():.0%} | {max(d_same):.3f} |")
        print(lines[-1], flush=True)
    return lines + [""]


def auc_section() -> list[str]:
    n = 60 if QUICK else 200
    lines = [
        f"## 2. AUC over 5 folds x 10 repeats ({n} simulated recordings x 40 min, 25 % acidotic)",
        "",
        "Interval: 95 % t-interval of the mean over the 5 folds (repeats reuse the recordings).",
        "",
        "| database | feature set | AUC | interval | sd over folds |",
        "|---|---|---|---|---|",
    ]
    for label, acid in (("stand-in classes", None), ("identical classes (null)", fhr.NORMAL)):
        db = fhr.simulate_database(n, minutes=40, acidotic=acid, seed=1, progress=False)
        feats = fhr.compute_features(db, n_jobs=2, progress=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            cmp = fhr.compare_feature_sets(
                feats, ["classical", "multiscale", "classical+multiscale", "deep"],
                n_repeats=10, progress=False)
        for name, r in cmp.table().iterrows():
            lines.append(f"| {label} | {name} | {r['auc']:.3f} | [{r['auc_low']:.3f}, "
                         f"{r['auc_high']:.3f}] | {r['sd_over_folds']:.3f} |")
            print(lines[-1], flush=True)
    return lines + [""]


def main() -> None:
    torch.set_num_threads(1)
    lines = machine_header("textures_nb.fhr benchmark")
    lines += [f"- uptime before: {os.popen('uptime').read().strip()} (the machine is shared "
              "by ~7 helpers: times are upper bounds)", ""]
    lines += preprocessing_section()
    lines += speed_section()
    lines += auc_section()
    lines += [f"- uptime after: {os.popen('uptime').read().strip()}", ""]
    OUT.write_text("\n".join(lines))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
