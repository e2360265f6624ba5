"""Benchmark: wavelet-leader analysis, textures_nb vs pymultifracs, side by side.

Run: ``python benchmarks/bench_multiscale.py`` (writes
``benchmarks/results_multiscale.md`` and prints it).

Both libraries compute the same thing on the same signal in the same process:
db3 wavelet coefficients, wavelet leaders, log-cumulants c1..c3 on scales 3..9
with Nj-weighted regressions, no bootstrap. Times are medians over repeats,
after one warm-up call.

Accuracy table (issue 11): mean and sd of c1 over 5 seeds of fBm 2^15 (H 0.3,
0.5, 0.8; pymultifracs' own generator for point samples, ``processes.fbm(...,
sampling="bandlimited")`` for band-limited paths), scales (3, 11), per estimator
variant: the finest scale ``j0`` entering the leaders, the regression weights,
fractional integration, and pymultifracs itself (whose leaders are ours with
gamint = 1 and j0 = 1).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import warnings
from pathlib import Path

import numpy as np
from _common import cpu_model, median_time

from textures_nb.multiscale import log_cumulants
from textures_nb.processes import fbf, fbm, mrw


def _pmf_fbm(n, H, seed):
    from pymultifracs.simul import fbm as pmf_fbm

    rng = np.random.default_rng(seed)
    z = rng.standard_normal((2 * n - 2, 1)) + 1j * rng.standard_normal((2 * n - 2, 1))
    return np.asarray(pmf_fbm(n, H, z0=z)).ravel()


def _pmf_c1(x, scales, weighted):
    import pymultifracs as pmf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wt = pmf.wavelet_analysis(x, wt_name="db3", j2=scales[1])
        res = pmf.mfa(wt.get_leaders(p_exp=np.inf), [scales], weighted=weighted, n_cumul=2)
    return float(np.ravel(res.cumulants.c1)[0])


ACCURACY_VARIANTS = {
    "default (j0 = 2, sqrt n_j)": {},
    "j0 = 1, n_j (before issue 11)": dict(j0=1, weighted="nj"),
    "j0 = 1, ordinary": dict(j0=1, weighted="none"),
    "j0 = 2, n_j": dict(j0=2, weighted="nj"),
    "j0 = 2, ordinary": dict(j0=2, weighted="none"),
    "j0 = 3 (= j1), n_j": dict(j0=3, weighted="nj"),
    "j0 = 1, gamint 0.5, n_j": dict(j0=1, gamint=0.5, weighted="nj"),
    "j0 = 1, gamint 1, n_j": dict(j0=1, gamint=1.0, weighted="nj"),
    "coefficients, sqrt n_j": dict(leaders=False),
}


def accuracy(n_seeds: int = 5, scales=(3, 11), cumulant: str = "c1", variants=None) -> list[str]:
    """Markdown table: mean (sd) of ``cumulant`` per H, sampling and estimator variant."""
    samplings = {
        "point (pymultifracs)": lambda H, s: _pmf_fbm(2**15, H, s),
        "band-limited": lambda H, s: fbm(2**15, H, sampling="bandlimited", seed=s),
    }
    hs = (0.3, 0.5, 0.8)
    head = "| variant | " + " | ".join(f"{k}, H={H}" for k in samplings for H in hs) + " |"
    lines = [head, "| --- |" + " ---: |" * (len(samplings) * len(hs))]
    data = {
        (k, H): [make(H, s) for s in range(n_seeds)] for k, make in samplings.items() for H in hs
    }
    estimators = {
        name: (lambda x, kw=kw: getattr(log_cumulants(x, scales=scales, n_cumul=2, **kw), cumulant))
        for name, kw in (variants or ACCURACY_VARIANTS).items()
    }
    if variants is None:
        estimators["pymultifracs, Nj"] = lambda x: _pmf_c1(x, scales, "Nj")
        estimators["pymultifracs, ordinary"] = lambda x: _pmf_c1(x, scales, None)
    for name, est in estimators.items():
        cells = []
        for key in data:
            v = np.array([est(x) for x in data[key]])
            cells.append(f"{v.mean():.3f} ({v.std(ddof=1):.3f})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def mrw_bias(n_seeds: int = 5, scales=(3, 9)) -> list[str]:
    """Markdown table: mean bias (sd) of c1 and c2 on MRW, default vs the former estimator."""
    from textures_nb.processes import mrw_log_cumulants

    lams = (0.2, 0.3)
    lines = [
        "| variant | " + " | ".join(f"lam={lam}: c1 - truth | c2 - truth" for lam in lams) + " |",
        "| --- |" + " ---: |" * (2 * len(lams)),
    ]
    data = {lam: [mrw(2**16, 0.7, lam, seed=s) for s in range(n_seeds)] for lam in lams}
    for name in list(ACCURACY_VARIANTS)[:5]:
        cells = []
        for lam in lams:
            truth = mrw_log_cumulants(0.7, lam)
            est = [
                log_cumulants(x, scales=scales, n_cumul=2, **ACCURACY_VARIANTS[name])
                for x in data[lam]
            ]
            for c in ("c1", "c2"):
                v = np.array([getattr(e, c) for e in est]) - truth[c]
                cells.append(f"{v.mean():+.3f} ({v.std(ddof=1):.3f})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def main() -> str:
    x = mrw(2**16, 0.7, 0.2, seed=0)
    img = fbf((512, 512), 0.7, seed=0)
    rows = []

    ours_1d = median_time(lambda: log_cumulants(x, scales=(3, 9), n_boot=0))
    rows.append(("1D 2^16, leaders, c1-c3, textures_nb", *ours_1d))

    try:
        import pymultifracs as pmf

        def ref():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wt = pmf.wavelet_analysis(x, wt_name="db3", j2=9)
                return pmf.mfa(wt.get_leaders(p_exp=np.inf), [(3, 9)], weighted="Nj", n_cumul=3)

        ref_1d = median_time(ref)
        rows.append((f"1D 2^16, leaders, c1-c3, pymultifracs {pmf.__version__}", *ref_1d))
        speedup = ref_1d[0] / ours_1d[0]
    except ImportError:  # pragma: no cover
        speedup = float("nan")

    rows.append(
        (
            "1D 2^16, leaders + 100 block-bootstrap CIs, textures_nb",
            *median_time(lambda: log_cumulants(x, scales=(3, 9), n_boot=100)),
        )
    )
    rows.append(
        (
            "2D 512x512, leaders, c1-c3, textures_nb",
            *median_time(lambda: log_cumulants(img, scales=(2, 6), n_boot=0), repeats=7),
        )
    )
    rows.append(
        (
            "2D 512x512, leaders + 100 bootstrap CIs, textures_nb",
            *median_time(lambda: log_cumulants(img, scales=(2, 6), n_boot=100), repeats=5),
        )
    )

    lines = [
        "## Multiscale analysis (wavelet leaders)",
        "",
        f"- Date: {dt.date.today().isoformat()}; machine: {cpu_model()}, "
        f"{os.cpu_count()} cores; Python {platform.python_version()}, NumPy {np.__version__}.",
        "- Script: `benchmarks/bench_multiscale.py` (median of repeated calls after a warm-up,"
        " same signal and settings for both libraries).",
        "",
        "| task | median (ms) | best (ms) |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| {name} | {med * 1e3:.1f} | {best * 1e3:.1f} |" for name, med, best in rows]
    lines += [
        "",
        f"textures_nb / pymultifracs speed ratio on the 1D task: {speedup:.1f}x faster.",
        "",
        "## Leaders on rough signals: c1 of fBm 2^15, scales (3, 11), mean (sd) over 5 seeds",
        "",
        "Load: shared machine (timings above are indicative; the accuracy figures are not",
        "affected). Defaults chosen from this table: `j0 = 2` keeps the aliased scale 1 out",
        "of the leaders (point samples, H = 0.3: 0.244 with it), while `j0 = j1` leaves the",
        "leaders at j1 built from one octave (biased up: 0.43); `sqrt(n_j)` weights have the",
        "smallest worst case over both samplings (n_j puts the weight on the finest fitted",
        "scales, where the residual biases sit; ordinary weights give 2-3x the sd).",
        "",
    ]
    lines += accuracy()
    lines += [
        "",
        "The price of `j0 = 2` at `j1 = 3`: the leaders at j = 3-5 are built from few octaves and",
        "their log-variance is still shrinking, which pulls c2 of a monofractal below 0 (truth 0).",
        "Mean (sd) of c2, same fields:",
        "",
    ]
    lines += accuracy(
        cumulant="c2",
        variants={k: ACCURACY_VARIANTS[k] for k in list(ACCURACY_VARIANTS)[:5]},
    )
    lines += [
        "",
        "The same price on a cascade, which has no aliasing to remove: MRW 2^16, H = 0.7,",
        "scales (3, 9), 5 seeds, bias against the truth (c1 = H + lam^2/2, c2 = -lam^2):",
        "",
    ]
    lines += mrw_bias()
    lines += [""]
    text = "\n".join(lines)
    Path(__file__).with_name("results_multiscale.md").write_text(text)
    return text


if __name__ == "__main__":
    print(main())
    sys.exit(0)
