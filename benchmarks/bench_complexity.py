"""Benchmark of textures_nb.complexity: the matched-complexity sweep as a batch.

1. Task complexity cost: ``task_complexity`` (N1 by a dense Euclidean MST,
   N3 by leave-one-out 1-NN, k-means) against scikit-learn's leave-one-out
   1-NN alone (the peer for N3), for 500 to 2000 items in 60 dimensions.
2. The sweep of notebook 09 run through ``textures_nb.batch.run_grid``
   (``complexity.batch_sweep``: one notebook run per seed, 2 local workers),
   at a **reduced** size by default; ``--full`` runs ``complexity.FULL_SWEEP``
   for the ``"coarse"`` family (10 seeds) and the ``"fbf"`` family (10 seeds,
   ``--fbf-seeds N``). Records the accuracy table, the frontier, whether it is
   monotone within its error bars, and the run time. The file is rewritten
   after each section, so an interrupted run keeps what finished.

3. The same question for synthesis (``--full``): ``complexity.batch_synthesis_sweep``
   (one notebook run per seed through ``run_grid``, 2 workers, 8 seeds,
   ``complexity.SYNTHESIS_SWEEP``): the c2 and c1 gaps of DCGAN samples
   against the generator width, and the matched width.

0. Predicted vs achieved misclustering on Gaussian mixtures over k, d,
   ``Delta / sigma`` and n (``--append-prediction`` runs this section alone
   and appends it to the results file).

Run: ``python benchmarks/bench_complexity.py [--full] [--fbf-seeds N]``; writes
``benchmarks/results_complexity.md``. ``--only {coarse,fbf,synthesis} [--seeds N]
[--batch-dir DIR] [--notebook PATH] [--epochs N]`` reruns one section (``--epochs``:
the synthesis sweep with another training budget) and replaces it in the results file; with
``--batch-dir`` the batch folder is kept, so an interrupted or earlier batch over the
same settings is resumed (finished runs are not trained again) and the wall time is
read from the runs' own records (first start to last finish).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import machine_header, median_time
from sklearn.model_selection import LeaveOneOut, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from textures_nb import complexity

OUT = Path(__file__).with_name("results_complexity.md")
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "09_complexity_matching.ipynb"
REDUCED = {
    "deltas": [0.25, 0.125],
    "widths": [1, 4, 8],
    "depths": [1, 1, 3],
    "n_per_class": 24,
    "size": 32,
    "epochs": 30,
}


def _table(frame) -> list[str]:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(str(c) for c in cols) + " |", "|" + " --- |" * len(cols)]
    for row in frame.itertuples(index=False):
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def cost_section() -> list[str]:
    lines = [
        "## Cost of task_complexity",
        "",
        "Two Gaussian classes in 60 dimensions; median of 3 calls. The peer is scikit-learn's",
        "leave-one-out 1-NN (N3 only); ours computes N1 (Prim's MST, O(n^2 d)), N3, Fisher, the",
        "Gaussian-mixture terms and k-means (10 starts).",
        "",
        "| items | task_complexity (s) | without k-means (s) | sklearn LOO 1-NN (s) |",
        "| --- | --- | --- | --- |",
    ]
    for n in (500, 1000, 2000):
        rng = np.random.default_rng(0)
        X = rng.normal(size=(n, 60))
        X[n // 2 :, 0] += 3
        y = np.repeat([0, 1], n // 2)
        full, _ = median_time(lambda X=X, y=y: complexity.task_complexity(X, y), repeats=3)
        bare, _ = median_time(
            lambda X=X, y=y: complexity.task_complexity(X, y, kmeans=False), repeats=3
        )
        peer, _ = median_time(
            lambda X=X, y=y: cross_val_score(KNeighborsClassifier(1), X, y, cv=LeaveOneOut()),
            repeats=1,
        )
        lines.append(f"| {n} | {full:.2f} | {bare:.2f} | {peer:.2f} |")
    return lines + [""]


def _mixture(seed: int, ratio: float, n: int, k: int, d: int):
    """k unit-variance spherical Gaussian classes, nearest means ``ratio`` apart (simplex
    corners when d >= k, else a line), as in tests/test_complexity.py."""
    rng = np.random.default_rng(seed)
    centres = np.zeros((k, d))
    if d >= k:
        centres[np.arange(k), np.arange(k)] = ratio / np.sqrt(2)
    else:
        centres[:, 0] = ratio * np.arange(k)
    X = np.vstack([c + rng.standard_normal((n, d)) for c in centres])
    return X, np.repeat(np.arange(k), n)


def prediction_section() -> list[str]:
    """Predicted (Gaussian crossing rate) and Lu & Zhou's rate against k-means, over a grid."""
    import itertools

    import pandas as pd

    rows = []
    for k, d, ratio, n in itertools.product((2, 3, 5), (2, 20, 100), (3.0, 4.0, 5.0), (200, 1000)):
        got = pred = lz = 0.0
        hold = True
        for s in range(3):
            tc = complexity.task_complexity(*_mixture(s, ratio, n, k, d), seed=s)
            got += tc["kmeans_misclustering"] * n * k
            pred += tc["predicted_misclustering"] * n * k
            lz += tc["lu_zhou_rate"] * n * k
            hold &= tc["conditions_hold"]
        rows.append({
            "k": k, "d": d, "ratio": ratio, "n_per_class": n, "conditions": hold,
            "kmeans_errors": int(round(got)), "predicted_errors": round(pred, 1),
            "kmeans/predicted": got / pred, "lu_zhou/kmeans": lz / max(got, 1.0),
        })  # fmt: skip
    t = pd.DataFrame(rows)
    ok = t[t["conditions"] & (t["predicted_errors"] >= 20)]
    rest = t[~t["conditions"] & (t["predicted_errors"] >= 20)]
    lines = [
        "## Predicted vs achieved misclustering (Gaussian mixtures)",
        "",
        "k unit-variance spherical Gaussian classes (nearest means `ratio` apart), 3 seeds per",
        "cell, errors pooled over the seeds. `predicted_misclustering` is the Gaussian crossing",
        "rate (see `TaskComplexity`); `lu_zhou_rate` is exp(-Delta^2 / 8 sigma^2); conditions:",
        "Lu & Zhou's r_k >= sqrt(k) and n alpha >= k log n (C = 1) in every seed.",
        "",
        f"- where the conditions hold and at least 20 errors are expected ({len(ok)} cells): "
        f"k-means / predicted from {ok['kmeans/predicted'].min():.2f} to "
        f"{ok['kmeans/predicted'].max():.2f}; Lu & Zhou / k-means from "
        f"{ok['lu_zhou/kmeans'].min():.1f} to {ok['lu_zhou/kmeans'].max():.1f}",
        f"- where they fail ({len(rest)} cells with at least 20 expected errors): k-means / "
        f"predicted from {rest['kmeans/predicted'].min():.2f} to "
        f"{rest['kmeans/predicted'].max():.2f}",
        "",
    ]
    return lines + _table(t) + [""]


def _batch_span(folder: Path) -> float:
    """Seconds from the first run's start to the last run's finish, from status.json files."""
    import datetime as dt

    starts, ends = [], []
    for f in Path(folder).glob("*/status.json"):
        st = json.loads(f.read_text())
        if st.get("finished"):
            end = dt.datetime.fromisoformat(st["finished"])
            ends.append(end)
            starts.append(end - dt.timedelta(seconds=float(st.get("seconds") or 0)))
    return (max(ends) - min(starts)).total_seconds() if ends else float("nan")


def _run_batch(fn, batch_dir: Path | None):
    """``fn(folder)`` in ``batch_dir`` (kept, resumable) or a temporary folder; the result and
    the wall time (the span of the runs' own records when a kept folder is resumed)."""
    load = f"load average {os.getloadavg()[0]:.1f} on 2 cores when the section started"
    if batch_dir is not None:
        resumed = any(Path(batch_dir).glob("*/status.json"))
        t0 = time.perf_counter()
        result = fn(Path(batch_dir))
        if not resumed:
            return result, time.perf_counter() - t0, load
        note = "2 cores, load during the resumed batch not recorded by its runs"
        return result, _batch_span(batch_dir), note
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = fn(Path(tmp) / "runs")
        return result, time.perf_counter() - t0, load


def sweep_section(
    full: bool, kind: str = "coarse", n_seeds: int = 10, batch_dir: Path | None = None
) -> list[str]:
    settings = complexity.FULL_SWEEP[kind] if full else REDUCED
    seeds = range(n_seeds) if full else range(4)
    result, seconds, load = _run_batch(
        lambda folder: complexity.batch_sweep(
            NOTEBOOK, folder, seeds, settings=settings, kind=kind, workers=2, progress=True
        ),
        batch_dir,
    )
    label = "full" if full else "reduced"
    lines = [
        f"## Matched-complexity sweep, family `{kind}` ({label}) through run_grid",
        "",
        f"- {len(list(seeds))} notebook runs (one per seed) with 2 local workers, settings "
        f"{settings}",
        f"- wall time {seconds:.0f} s ({load}: the machine was shared, times are indicative)",
        f"- {result!r}",
    ]
    if not full:
        lines.append(
            "- **reduced**: small textures and few seeds; `--full` (notebook 09 with "
            "`full = True`, `complexity.FULL_SWEEP`) is the real sweep"
        )
    lines += ["", "Mean test accuracy (± standard error over seeds):", ""]
    lines += _table(result.table()[["delta", "width", "depth", "params", "mean", "se", "count"]])
    lines += ["", "Frontier (smallest architecture within one standard error of the best):", ""]
    fr = result.frontier()
    lines += _table(fr)
    learnt = fr[fr["learnable"]]
    lines += [
        "",
        f"Reading: the best accuracy beats chance by more than two standard errors for "
        f"delta {learnt['delta'].tolist()}; over these the matched size (parameters) is "
        f"{learnt['params'].tolist()}; monotone within its error bars "
        f"(`frontier_is_monotone`): {result.frontier_is_monotone()}.",
    ]
    return lines + [""]


def synthesis_section(
    n_seeds: int = 8, batch_dir: Path | None = None, epochs: int | None = None
) -> list[str]:
    overrides = {} if epochs is None else {"epochs": epochs}
    settings = {**complexity.SYNTHESIS_SWEEP, **overrides}
    result, seconds, load = _run_batch(
        lambda folder: complexity.batch_synthesis_sweep(
            NOTEBOOK, folder, range(n_seeds), settings=overrides, workers=2, progress=True
        ),
        batch_dir,
    )
    t = result.table()
    runs = result.runs
    truth_c1 = settings["H"] + settings["lam"] ** 2 / 2
    truth_c2 = -settings["lam"] ** 2
    by_width = runs.groupby("width")["seconds"].median()
    lines = [
        f"## Synthesis: DCGAN width vs the c2 gap of its samples, {settings['epochs']} epochs",
        "",
        f"- {n_seeds} notebook runs (one per seed, each training every width) with 2 local "
        f"workers through run_grid, settings {settings}",
        f"- process: 1D MRW, c1 = {truth_c1:.3f}, c2 = {truth_c2:.3f}; the estimator (wavelet "
        f"leaders, scales {settings['scales']}) reads c1 = {runs['c1_real'].mean():.3f}, "
        f"c2 = {runs['c2_real'].mean():.3f} on the fresh walks (its bias at 256 samples "
        "cancels in the gaps, which compare samples and fresh walks measured alike)",
        f"- wall time {seconds:.0f} s ({load}; other helpers, one training DCGANs, shared the "
        "machine: times are indicative); "
        f"median training {runs['seconds'].median():.0f} s per DCGAN, by width "
        + ", ".join(f"{w}: {v:.0f} s" for w, v in by_width.items()),
        f"- {result!r}",
        "",
        "Per width, over seeds: signed mean gap (generated minus fresh), mean |gap| ± standard "
        "error, and the floor (mean |gap| of the training walks themselves: a generator that "
        "copied its data):",
        "",
    ]
    cols = ["width", "params_g", "count", "c2_gap", "abs_c2_gap", "abs_c2_gap_se", "c2_floor",
            "c1_gap", "abs_c1_gap", "abs_c1_gap_se", "c1_floor"]  # fmt: skip
    pd_ = t[cols].copy()
    pd_.insert(2, "params_d", runs.groupby("width")["params_d"].first().to_numpy())
    lines += _table(pd_)
    m2, m1 = result.matched("c2"), result.matched("c1")
    lines += [
        "",
        f"Matched width (smallest within one standard error of the smallest mean |gap|): "
        f"c2: width {m2['width']} (|gap| {m2['gap']:.3f} ± {m2['se']:.3f}; best width "
        f"{m2['best_width']}, {m2['best_gap']:.3f} ± {m2['best_se']:.3f}); c1: width "
        f"{m1['width']} (|gap| {m1['gap']:.3f} ± {m1['se']:.3f}; best width "
        f"{m1['best_width']}, {m1['best_gap']:.3f} ± {m1['best_se']:.3f}).",
        "",
        "Per training, `(width, seed, params_g, c1_gap, c2_gap, c1_floor, c2_floor)` (the rows of "
        "the 60-epoch sweep are `complexity._SYNTHESIS_RECORDED`, read by `recorded_synthesis`):",
        "",
        "```",
        *(
            f"({r.width}, {r.seed}, {r.params_g}, {r.c1_gap:.4f}, {r.c2_gap:.4f}, "
            f"{r.c1_floor:.4f}, {r.c2_floor:.4f}),"
            for r in runs.sort_values(["width", "seed"]).itertuples()
        ),
        "```",
    ]
    return lines + [""]


def _replace_section(lines: list[str]) -> None:
    """Put ``lines`` (a section opening with "## ...") in place of the section of the same
    title in the results file, or append it."""
    text = OUT.read_text().rstrip("\n").split("\n")
    title = lines[0]
    if title in text:
        i = text.index(title)
        j = next((k for k in range(i + 1, len(text)) if text[k].startswith("## ")), len(text))
        text = text[:i] + lines + text[j:]
    else:
        text = text + [""] + lines
    OUT.write_text("\n".join(text).rstrip("\n") + "\n")


def main(argv: list[str]) -> None:
    import torch

    torch.set_num_threads(1)
    if "--only" in argv:  # one section, in place of its namesake in the results file
        what = argv[argv.index("--only") + 1]
        n = int(argv[argv.index("--seeds") + 1]) if "--seeds" in argv else None
        folder = Path(argv[argv.index("--batch-dir") + 1]) if "--batch-dir" in argv else None
        if "--notebook" in argv:  # e.g. the frozen copy of notebook 09 an earlier batch ran
            global NOTEBOOK
            NOTEBOOK = Path(argv[argv.index("--notebook") + 1])
        if what == "synthesis":
            epochs = int(argv[argv.index("--epochs") + 1]) if "--epochs" in argv else None
            lines = synthesis_section(n or 8, folder, epochs)
        elif what in complexity.FULL_SWEEP:
            lines = sweep_section(True, what, n or 10, folder)
        else:
            raise SystemExit(f"--only takes coarse, fbf or synthesis, not {what!r}")
        _replace_section(lines)
        print("\n".join(lines))
        return
    if "--append-prediction" in argv:  # this section alone, appended to the results
        lines = prediction_section()
        OUT.write_text(OUT.read_text().rstrip("\n") + "\n\n" + "\n".join(lines))
        print("\n".join(lines))
        return
    full = "--full" in argv
    fbf_seeds = int(argv[argv.index("--fbf-seeds") + 1]) if "--fbf-seeds" in argv else 10
    lines = machine_header("Complexity matching (textures_nb.complexity)")
    lines += cost_section()
    lines += prediction_section()
    OUT.write_text("\n".join(lines))
    lines += sweep_section(full, "coarse", 10)
    OUT.write_text("\n".join(lines))
    if full and fbf_seeds > 0:
        lines += sweep_section(full, "fbf", fbf_seeds)
        OUT.write_text("\n".join(lines))
    if full:
        lines += synthesis_section(8)
        OUT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
