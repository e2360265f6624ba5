"""Where batch work runs: inline, local threads, a Dask cluster or any executor.

:func:`open_executor` resolves the ``executor`` argument of
:func:`textures_nb.runner.grid.run_grid` and of the repeat functions.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

__all__ = ["open_executor"]


@contextlib.contextmanager
def open_executor(
    executor: Any = None, *, workers: int | None = 1, timeout: float = 5.0
) -> Iterator[Executor | None]:
    """Resolve the ``executor`` argument of the batch and repeat functions.

    Parameters
    ----------
    executor : None, str, distributed.Client or concurrent.futures.Executor
        ``None``: run locally, inline if ``workers == 1`` else on a pool of
        ``workers`` threads (each notebook runs in its own kernel *process*;
        the thread only waits for it, so threads cost nothing and need no
        pickling). A string is a Dask scheduler address
        (``"tcp://host:8786"``), connected to now and closed on exit. A
        ``distributed.Client`` or any ``concurrent.futures.Executor`` is used
        as given and left open.
    workers : int or None
        Local pool size when ``executor`` is None (None: ``os.cpu_count()``).
    timeout : float
        Seconds to wait for a Dask scheduler before giving up.

    Yields
    ------
    concurrent.futures.Executor or None
        None means "run inline in this thread".

    Raises
    ------
    ValueError
        If the scheduler cannot be reached (raised before any work starts).
    TypeError
        If ``executor`` is of another type.

    Examples
    --------
    >>> from textures_nb.runner.executors import open_executor
    >>> with open_executor(None) as ex:
    ...     print(ex)
    None
    >>> with open_executor(None, workers=2) as ex:
    ...     print(ex.submit(sum, [1, 2]).result())
    3
    """
    if executor is None:
        if workers is None:
            workers = os.cpu_count() or 1
        from textures_nb._checks import check_positive_int

        workers = check_positive_int(workers, "workers")
        if workers == 1:
            yield None
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="textures_nb") as pool:
            yield pool
        return
    if isinstance(executor, Executor):
        yield executor
        return
    if isinstance(executor, (str, os.PathLike)):
        client = _connect(str(executor), timeout)
        try:
            yield client.get_executor(pure=False)
        finally:
            client.close()
        return
    if type(executor).__name__ == "Client" and hasattr(executor, "get_executor"):
        if getattr(executor, "status", "running") != "running":
            raise ValueError(
                f"`executor`: the Dask client is {executor.status!r}, not running; "
                "create a new distributed.Client."
            )
        yield executor.get_executor(pure=False)
        return
    raise TypeError(
        "`executor` must be None (local), a Dask scheduler address such as "
        "'tcp://127.0.0.1:8786', a distributed.Client or a concurrent.futures.Executor, "
        f"got {type(executor).__name__}."
    )


def _connect(address: str, timeout: float):
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise ImportError(
            "a scheduler address needs dask.distributed: pip install 'dask[distributed]'."
        ) from exc
    try:
        return Client(address, timeout=f"{timeout}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ValueError(
            f"no Dask scheduler reachable at {address!r} within {timeout:g} s ({exc}); "
            "start one (`dask scheduler` and `dask worker ADDRESS`) or fix the address."
        ) from exc
