"""Shared helpers of the benchmark scripts: machine description, timing, matmul peak.

Benchmarks are scripts, not tests: each writes ``benchmarks/results_<name>.md``
with the date, the machine and its figures; ``BENCHMARKS.md`` collects them.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable


def cpu_model() -> str:
    """CPU model name as ``lscpu`` reports it."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except Exception:  # pragma: no cover - lscpu missing
        pass
    return platform.processor() or "unknown CPU"


def machine_header(title: str) -> list[str]:
    """Markdown lines opening a results file: title, date, machine, load average."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    try:
        import torch

        torch_info = f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:  # pragma: no cover
        torch_info = ""
    return [
        f"# {title}",
        "",
        f"- date: {dt.datetime.now().isoformat(timespec='minutes')}",
        f"- machine: {cpu_model()}, {os.cpu_count()} cores{torch_info}, "
        f"Python {platform.python_version()}",
        f"- load average at start: {load:.2f} (above ~0.5 the machine was shared: "
        "times are indicative)",
        "",
    ]


def median_time(fn: Callable[[], object], repeats: int = 15) -> tuple[float, float]:
    """Median and minimum wall-clock seconds of ``fn()`` over ``repeats`` calls, after a warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def matmul_peak(n: int = 4096, repeats: int = 5) -> float:
    """Best float32 ``n x n`` matmul throughput of torch on this machine, in GFLOP/s."""
    import torch

    a = torch.randn(n, n)
    b = torch.randn(n, n)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9
