"""Repeat a computation from scratch once per seed: one seed rule, one executor rule.

Used by :func:`textures_nb.confidence.repeat` and by the generative module's
repeated trainings, so that both refuse duplicate seeds the same way and
accept the same executors (see :func:`textures_nb.batch.open_executor`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from concurrent.futures import as_completed
from typing import Any

from textures_nb._shared.progress import tqdm

__all__ = ["check_seeds", "run_seeds"]


def check_seeds(seeds: int | Iterable[int]) -> list[int]:
    """Seeds as a list of distinct non-negative ints, in the order given.

    Parameters
    ----------
    seeds : int or iterable of int
        An int ``n`` means ``range(n)``.

    Raises
    ------
    TypeError
        If ``seeds`` is not an int or an iterable of ints.
    ValueError
        If it is empty, holds a negative seed or repeats a seed (the
        repeated values are named: two repeats with one seed are one
        repeat counted twice).

    Examples
    --------
    >>> check_seeds(3), check_seeds([4, 1])
    ([0, 1, 2], [4, 1])
    """
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        n = int(seeds)
        if n < 1:
            raise ValueError(f"`seeds` must be >= 1 when given as a count, got {n}; e.g. seeds=4.")
        return list(range(n))
    if isinstance(seeds, (str, bytes)):
        raise TypeError(f"`seeds` must be an int or an iterable of ints, got {seeds!r}.")
    try:
        seeds = list(seeds)
    except TypeError as exc:
        raise TypeError(f"`seeds` must be an int or an iterable of ints, got {seeds!r}.") from exc
    if not seeds:
        raise ValueError("`seeds` is empty: pass at least one seed, e.g. range(4).")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            raise TypeError(f"`seeds` must hold integers, got {s!r} ({type(s).__name__}).")
        if s < 0:
            raise ValueError(f"`seeds` must be non-negative integers, got {int(s)}.")
    seeds = [int(s) for s in seeds]
    if len(set(seeds)) != len(seeds):
        seen: set[int] = set()
        repeated = sorted({s for s in seeds if s in seen or seen.add(s)})
        raise ValueError(
            f"`seeds` repeats values {repeated}: each repeat needs its own seed; pass distinct "
            f"seeds, e.g. sorted(set(seeds)) or range({len(seeds)})."
        )
    return seeds


def run_seeds(
    fn: Callable[[int], Any],
    seeds: int | Iterable[int],
    *,
    executor: Any = None,
    progress: bool = True,
    desc: str = "repeats",
) -> tuple[dict[int, Any], dict[int, str]]:
    """Call ``fn(seed)`` for each seed; a failing seed never loses the others.

    Parameters
    ----------
    fn : callable
        ``fn(seed)``; must be picklable (module-level function or
        ``functools.partial``) for process pools and Dask.
    seeds : int or iterable of int
        Checked by :func:`check_seeds` (distinct, non-negative).
    executor : None, str, distributed.Client or concurrent.futures.Executor
        None runs in series in this thread; a string is a Dask scheduler
        address (connected to and closed here); a Client or an Executor is
        used as given and left open.
    progress : bool
        Show a tqdm bar over seeds.
    desc : str
        Label of the bar.

    Returns
    -------
    results : dict of int to Any
        ``fn(seed)`` for each seed that succeeded, in seed order.
    failures : dict of int to str
        Seed -> ``"ExceptionName: message"`` for seeds that raised (in seed
        order), including errors of the executor itself (lost worker,
        unpicklable ``fn``).

    Examples
    --------
    >>> results, failures = run_seeds(lambda s: 10 // s, [2, 0, 5], progress=False)
    >>> results, failures
    ({2: 5, 5: 2}, {0: 'ZeroDivisionError: integer division or modulo by zero'})
    """
    from textures_nb.batch import open_executor

    if not callable(fn):
        raise TypeError(f"`fn` must be callable as fn(seed), got {type(fn).__name__}.")
    seeds = check_seeds(seeds)
    outcomes: dict[int, tuple[bool, Any]] = {}
    with open_executor(executor, workers=1) as pool:
        bar = tqdm(total=len(seeds), desc=desc, disable=not progress, leave=False)
        try:
            if pool is None:
                for seed in seeds:
                    outcomes[seed] = _call_seed(fn, seed)
                    bar.update()
            else:
                futures = {pool.submit(_call_seed, fn, seed): seed for seed in seeds}
                for future in as_completed(futures):
                    seed = futures[future]
                    try:
                        outcomes[seed] = future.result()
                    except Exception as exc:  # worker lost, cancelled, unpicklable fn, ...
                        outcomes[seed] = (False, f"{type(exc).__name__}: {exc}")
                    bar.update()
        finally:
            bar.close()
    results = {s: outcomes[s][1] for s in seeds if outcomes[s][0]}
    failures = {s: outcomes[s][1] for s in seeds if not outcomes[s][0]}
    return results, failures


def _call_seed(fn: Callable[[int], Any], seed: int) -> tuple[bool, Any]:
    """Run one seed; an error comes back as text so that one seed never stops the rest."""
    try:
        return True, fn(seed)
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"
