"""Benchmark of textures_nb.fhr: cleaning against the truth, speed (CTU-UHB size), AUCs.

0. Preprocessing (issue 18): simulated recordings with known spikes and gaps, c1 of
   the cleaned recording against the clean simulation's, for the gap-aware
   estimator (``gap_mode="reflect"``, with and without the ``missing`` mask) and
   the former one (``gap_mode="drop"``), on the seeds used to develop it and on
   200 new ones per class.
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
    example = feats.values["problem"].dropna()
    lines += ["", f"{n_prob} of {len(feats.values)} windows have a problem (reported, NaN "
              "features)" + (f", e.g. {example.iloc[0]}." if n_prob else "."), ""]

    # per-component cost on one record's last window
    rec = db.iloc[0]
    clean = fhr.preprocess(rec["fhr"], 4.0)
    win = clean.fhr[-7200:]
    filled = np.interp(np.arange(win.size), np.flatnonzero(np.isfinite(win)),
                       win[np.isfinite(win)])
    comps = {
        "preprocess (90 min)": lambda: fhr.preprocess(rec["fhr"], 4.0),
        "multiscale_features (30 min, gap-aware)": lambda: fhr.multiscale_features(win),
        "multiscale_features (30 min, gap_mode='drop')": lambda: fhr.multiscale_features(
            win, gap_mode="drop"),
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


def _c1_errors(p, seeds):
    """Per recording: spikes ok, gaps exact, long-gap share, then the c1 and c2 errors of
    reflect+mask, reflect without mask and drop against the clean simulation (60 min)."""
    rows = []
    for s in seeds:
        sim = fhr.simulate_recording(p, minutes=60, seed=s)
        c = fhr.preprocess(sim.fhr, sim.fs)
        truth = set(sim.spikes.tolist())
        ok_sp = bool(c.missing[sim.spikes].all()) and set(c.spikes.tolist()) <= truth
        g = c.gaps[c.gaps["n_lost"] > 0][["start", "length"]].to_numpy()
        ok_gap = [tuple(x) for x in g] == [tuple(x) for x in sim.gaps]
        row = [ok_sp, ok_gap, np.isnan(c.fhr).mean()]
        for x, mode in ((c, "reflect"), (c.fhr, "reflect"), (c.fhr, "drop")):
            f = fhr.multiscale_features(x, gap_mode=mode)
            t = fhr.multiscale_features(sim.clean, gap_mode=mode)
            row += [f["c1"] - t["c1"], f["c2"] - t["c2"]]
        rows.append(row)
    return np.array(rows, dtype=float)


def preprocessing_section() -> list[str]:
    sets = {"0-19 (used to develop)": range(20),
            "100-299 (new)": range(100, 120 if QUICK else 300)}
    lines = [
        "## 0. Preprocessing against the truth (simulated recordings x 60 min)",
        "",
        "Spikes and lost-signal gaps are known; c1 (scales 2-32 s) of the cleaned recording "
        "minus c1 of the clean simulation (issue 18: within 0.05). Estimators: **reflect** "
        "(the default: gaps filled by mirror images only so that the filters run up to "
        "their edges, leaders kept where located on observed data, with the CleanFHR's "
        "`missing` mask, which also marks removed spikes and interpolated short gaps), "
        "**reflect, no mask** (the cleaned array alone: short gaps linearly interpolated and "
        "taken as data), **drop** (the former estimator: per contiguous segment, every leader "
        "whose support touches a long gap dropped; its truth also by drop). Errors are "
        "signed (cleaned minus clean); abs = absolute.",
        "",
        "| class | seeds | n | spikes all removed, no extra | lost-signal gaps exact "
        "| in long gaps | estimator | c1 mean | c1 sd | median abs | 90 % abs | 99 % abs "
        "| max abs | within 0.05 | c2 mean |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, p in (("normal", fhr.NORMAL), ("acidotic", fhr.ACIDOTIC)):
        for label, seeds in sets.items():
            r = _c1_errors(p, seeds)
            n = len(r)
            head = (f"| {name} | {label} | {n} | {int(r[:, 0].sum())}/{n} "
                    f"| {int(r[:, 1].sum())}/{n} | {r[:, 2].mean():.1%} ")
            for k, est in ((3, "reflect"), (5, "reflect, no mask"), (7, "drop (former)")):
                e, a = r[:, k], np.abs(r[:, k])
                q90, q99 = np.quantile(a, [0.9, 0.99])
                lines.append(
                    head + f"| {est} | {e.mean():+.3f} | {e.std():.3f} | {np.median(a):.3f} "
                    f"| {q90:.3f} | {q99:.3f} | {a.max():.3f} | {(a < 0.05).sum()}/{n} "
                    f"| {r[:, k + 1].mean():+.3f} |")
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
