"""Benchmark: wavelet-leader analysis, textures_nb vs pymultifracs, side by side.

Run: ``python benchmarks/bench_multiscale.py`` (writes
``benchmarks/results_multiscale.md`` and prints it).

Both libraries compute the same thing on the same signal in the same process:
db3 wavelet coefficients, wavelet leaders, log-cumulants c1..c3 on scales 3..9
with Nj-weighted regressions, no bootstrap. Times are medians over repeats,
after one warm-up call.
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
from textures_nb.processes import fbf, mrw


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
    ]
    text = "\n".join(lines)
    Path(__file__).with_name("results_multiscale.md").write_text(text)
    return text


if __name__ == "__main__":
    print(main())
    sys.exit(0)
