"""Private: the runner shared by ``run_notebooks`` and ``run_grid``.

A :class:`Job` holds everything a worker needs to run one notebook (picklable
for Dask); :func:`run_many` runs jobs inline or on an executor, each worker
persisting its run's status as soon as it finishes.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
from collections.abc import Sequence
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from textures_nb.runner._common import RESULTS_ENV, read_json, short_error, write_json
from textures_nb.runner.execute import NotebookRun, execute_notebook, format_run


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to run one notebook (picklable for Dask)."""

    notebook: Path
    output: Path
    parameters: dict[str, Any]
    results: Path
    status: Path | None
    kernel_name: str
    cwd: Path
    timeout: float | None
    run_id: str | None = None
    threads: int | None = None  # BLAS/OpenMP threads per kernel, None = library default


def execute_job(job: Job) -> NotebookRun:
    """Run one job on a worker: clear stale files, execute, persist status."""
    job.results.unlink(missing_ok=True)
    if job.status is not None:
        # a killed run leaves "started": not ok, so a rerun redoes it
        write_json(job.status, status_dict(job, "started"))
    run = in_fresh_thread(
        execute_notebook,
        job.notebook,
        job.output,
        parameters=job.parameters,
        kernel_name=job.kernel_name,
        cwd=job.cwd,
        timeout=job.timeout,
        env={RESULTS_ENV: str(job.results), **thread_env(job.threads)},
    )
    run = replace(run, results=read_json(job.results) or {}, run_id=job.run_id)
    if job.status is not None:
        write_json(job.status, status_dict(job, run.status, run))
    return run


THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def thread_env(threads: int | None) -> dict[str, str]:
    """Thread limits for a kernel sharing the machine with other kernels.

    Without them, each of N concurrent kernels starts one torch/BLAS thread
    per core: on 2 cores, 2 notebooks in parallel ran 6x slower each instead
    of 2x. Limits the user already set in the environment win.
    """
    if threads is None:
        return {}
    return {var: str(threads) for var in THREAD_VARS if var not in os.environ}


def in_fresh_thread(fn, *args, **kwargs):
    """Call ``fn`` in a new thread: a new, empty context and no event loop.

    nbclient drives the kernel with asyncio through jupyter_core, which keeps
    its loop in a context variable. Threads of Dask workers (and of pools
    started from a thread that already ran a notebook) inherit a copied
    context and would share one loop ("This event loop is already running");
    inside Jupyter the calling thread even has a running loop.
    """
    import asyncio
    import threading

    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # re-raised in the caller
            outcome["error"] = exc
        finally:
            with contextlib.suppress(Exception):
                loop = asyncio.get_event_loop_policy().get_event_loop()
                if not loop.is_running():
                    loop.close()

    thread = threading.Thread(target=target, name="textures_nb-notebook", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def status_dict(job: Job, status: str, run: NotebookRun | None = None) -> dict[str, Any]:
    return {
        "run_id": job.run_id,
        "notebook": str(job.notebook),
        "output": job.output.name,
        "status": status,
        "parameters": job.parameters,
        "seconds": None if run is None else round(run.seconds, 3),
        "cell": None if run is None else run.cell,
        "error": None if run is None else run.error,
        "finished": None if run is None else _dt.datetime.now().isoformat(timespec="seconds"),
    }


def lost_run(job: Job, exc: BaseException) -> NotebookRun:
    """A job whose worker died or was cancelled: report it, persist it."""
    run = NotebookRun(
        name=job.notebook.stem,
        status="failed",
        seconds=0.0,
        output=job.output,
        source=job.notebook,
        parameters=job.parameters,
        error=short_error(type(exc).__name__, str(exc) or "worker lost"),
        results=read_json(job.results) or {},
        run_id=job.run_id,
    )
    if job.status is not None:
        write_json(job.status, status_dict(job, "failed", run))
    return run


def run_many(jobs: Sequence[Job], pool: Executor | None, *, progress: bool) -> list[NotebookRun]:
    """Run jobs inline (``pool`` None) or on a pool; results in job order.

    Each finished run is persisted by its worker, so an interruption here
    (Ctrl-C, a lost worker) never loses the runs already finished.
    """
    runs: list[NotebookRun | None] = [None] * len(jobs)

    def done(i: int, run: NotebookRun) -> None:
        runs[i] = run
        if progress:
            print(format_run(run), flush=True)

    if pool is None:
        for i, job in enumerate(jobs):
            done(i, execute_job(job))
        return runs  # type: ignore[return-value]
    futures = {pool.submit(execute_job, job): i for i, job in enumerate(jobs)}
    try:
        for future in as_completed(futures):
            i = futures[future]
            try:
                run = future.result()
            except Exception as exc:  # worker died, task cancelled, ...
                run = lost_run(jobs[i], exc)
            done(i, run)
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return runs  # type: ignore[return-value]


def finished_run(job: Job) -> NotebookRun | None:
    """The run stored in the job's folder if it finished ``ok``, else None."""
    status = read_json(job.status) if job.status is not None else None
    if not status or status.get("status") != "ok" or not job.output.exists():
        return None
    return NotebookRun(
        name=job.notebook.stem,
        status="ok",
        seconds=float(status.get("seconds") or 0.0),
        output=job.output,
        source=job.notebook,
        parameters=job.parameters,
        results=read_json(job.results) or {},
        run_id=job.run_id,
        resumed=True,
    )
