"""Command line: ``python -m textures_nb {run,batch,notebooks} [-v] ...``.

``run``
    Execute notebooks with papermill into ``<out>/<YYYYmmdd-HHMMSS>/``,
    one status line per notebook, exit status 1 if any failed.
``batch``
    Run one notebook over a parameter grid (``--grid grid.yaml`` and/or
    ``-p name value``) into ``<out>/<run-id>/``, in parallel on local
    kernels or on a Dask cluster (``--scheduler``); finished runs are
    skipped; prints a summary table of the recorded results, exit status 1
    if any run failed.
``notebooks``
    Re-execute the stored notebooks in place and strip their outputs
    (what ``make notebooks`` does); ``--check`` only reports problems.

Exit status 2 means bad usage (e.g. a path that does not exist). The
commands print their status lines and summary only; ``-v`` also shows
papermill's log (INFO level) on stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence

__all__ = ["build_parser", "main", "parse_parameters"]


def _add_paths_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        default=["notebooks"],
        metavar="PATH",
        help="notebooks or folders of notebooks (default: notebooks)",
    )


def _add_kernel_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-k", "--kernel", default="python3", help="kernel name (default: python3)")


def _add_parameter_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help=f"{what} (repeatable); VALUE is read as a Python literal when possible "
        "(3, 0.5, True, [1, 2]) else as a string",
    )


def _add_verbose_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also print papermill's log lines (cells, parameters) on stderr",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m textures_nb`` argument parser.

    Examples
    --------
    >>> from textures_nb.runner.cli import build_parser
    >>> args = build_parser().parse_args(["run", "notebooks", "--out", "runs"])
    >>> args.command, args.out
    ('run', 'runs')
    """
    parser = argparse.ArgumentParser(
        prog="python -m textures_nb",
        description="Batch tools for the textures-nb notebooks.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="execute notebooks with papermill into a timestamped folder",
        description="Execute notebooks with papermill; write executed copies to "
        "OUT/<YYYYmmdd-HHMMSS>/ and print one status line per notebook.",
    )
    _add_paths_argument(run)
    run.add_argument("--out", default="runs", help="root folder of the runs (default: runs)")
    _add_parameter_option(run, "inject a parameter into every notebook")
    _add_kernel_option(run)
    _add_verbose_option(run)

    batch = sub.add_parser(
        "batch",
        help="run one notebook over a parameter grid (resumable, local or Dask)",
        description="Run NOTEBOOK once per point of a parameter grid into OUT/<run-id>/ "
        "(executed notebook, results.json, status.json). Runs that finished ok are "
        "skipped, so rerunning completes only what is missing.",
    )
    batch.add_argument("notebook", metavar="NOTEBOOK", help="the notebook to run")
    _add_parameter_option(batch, "fixed parameter for every run")
    batch.add_argument(
        "--grid", metavar="FILE", help="YAML mapping of parameter name -> list of values"
    )
    batch.add_argument("--out", required=True, metavar="DIR", help="root folder of the runs")
    batch.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="parallel local runs (default: number of CPUs); ignored with --scheduler",
    )
    batch.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler address, e.g. tcp://127.0.0.1:8786 (default: run locally)",
    )
    batch.add_argument(
        "--timeout", type=float, default=None, metavar="S", help="per-cell time limit (s)"
    )
    _add_kernel_option(batch)
    _add_verbose_option(batch)

    nbs = sub.add_parser(
        "notebooks",
        help="re-execute stored notebooks in place and strip their outputs",
        description="Re-execute stored notebooks with their default parameters, strip "
        "outputs except check cells, and report convention problems.",
    )
    _add_paths_argument(nbs)
    mode = nbs.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="only report problems; change nothing")
    mode.add_argument(
        "--no-execute", action="store_true", help="strip in place without re-executing"
    )
    nbs.add_argument("-k", "--kernel", default="python3", help="kernel name (default: python3)")
    _add_verbose_option(nbs)
    return parser


class _UsageError(Exception):
    """Bad command-line input: reported in one line, exit status 2."""


def _collect(paths: Sequence[str]):
    from textures_nb.runner.runs import collect_notebooks

    try:
        return collect_notebooks(paths)
    except (FileNotFoundError, ValueError) as exc:
        raise _UsageError(str(exc)) from exc


def _cmd_run(args: argparse.Namespace) -> int:
    from textures_nb.runner.runs import run_notebooks, timestamped_dir

    notebooks = _collect(args.paths)
    parameters = parse_parameters(args.parameter)
    _check_run_parameters(notebooks, parameters, args.kernel)
    out_dir = timestamped_dir(args.out)
    start = time.perf_counter()
    runs = run_notebooks(notebooks, out_dir, parameters=parameters or None, kernel_name=args.kernel)
    n_failed = sum(not r.ok for r in runs)
    print(
        f"{len(runs)} notebook(s): {len(runs) - n_failed} ok, {n_failed} failed "
        f"in {time.perf_counter() - start:.1f} s -> {out_dir}"
    )
    return 1 if n_failed else 0


def _check_run_parameters(notebooks, parameters: dict, kernel_name: str) -> None:
    """A parameter that no notebook takes is a typo: refuse it before any run.

    A parameter that only some of the notebooks take is injected where papermill
    finds it (papermill's warning for the others is in its log, ``-v``).
    """
    if not parameters:
        return
    from textures_nb.runner.grid import notebook_parameters

    known: set[str] = set()
    for notebook in notebooks:
        known |= set(notebook_parameters(notebook, kernel_name=kernel_name))
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise _UsageError(
            f"no notebook takes the parameter(s) {unknown}; their parameters are "
            f"{sorted(known)} (papermill's inspection of the cells tagged 'parameters')."
        )


def parse_parameters(pairs) -> dict:
    """``-p NAME VALUE`` pairs -> dict, values read as Python literals when possible.

    Parameters
    ----------
    pairs : list of [str, str]
        What argparse collects from repeated ``-p NAME VALUE``.

    Examples
    --------
    >>> parse_parameters([["lam", "0.3"], ["wavelet", "db4"]])
    {'lam': 0.3, 'wavelet': 'db4'}
    """
    from textures_nb.runner.grid import parse_value

    bad = [name for name, _ in pairs if not name.isidentifier()]
    if bad:
        raise _UsageError(f"parameter name(s) {bad} are not valid Python identifiers.")
    return {name: parse_value(value) for name, value in pairs}


def _cmd_batch(args: argparse.Namespace) -> int:
    from textures_nb.runner.grid import load_grid, run_grid, summary

    parameters = parse_parameters(args.parameter)
    if args.workers is not None and args.workers < 1:
        raise _UsageError(f"--workers must be >= 1, got {args.workers}.")
    start = time.perf_counter()
    try:
        grid = load_grid(args.grid) if args.grid else None
        runs = run_grid(
            args.notebook,
            grid,
            args.out,
            args.scheduler,
            parameters=parameters,
            workers=args.workers,
            kernel_name=args.kernel,
            timeout=args.timeout,
        )
    except (FileNotFoundError, ValueError, TypeError) as exc:
        raise _UsageError(str(exc)) from exc
    table = summary(args.out)
    with _wide_pandas():
        print(table.drop(columns=["error"]).to_string(index=False))
    n_failed = sum(not r.ok for r in runs)
    n_skipped = sum(r.resumed for r in runs)
    print(
        f"{len(runs)} run(s): {len(runs) - n_failed} ok ({n_skipped} finished earlier), "
        f"{n_failed} failed in {time.perf_counter() - start:.1f} s -> {args.out}"
    )
    return 1 if n_failed else 0


def _wide_pandas():
    import pandas as pd

    return pd.option_context("display.width", 200, "display.max_columns", 50)


def _cmd_notebooks(args: argparse.Namespace) -> int:
    from textures_nb.runner.maintenance import check_stripped, refresh_notebooks

    notebooks = _collect(args.paths)
    if args.check:
        problems = [msg for nb in notebooks for msg in check_stripped(nb)]
        for message in problems:
            print(f"problem: {message}")
        return 1 if problems else 0
    return refresh_notebooks(notebooks, execute=not args.no_execute, kernel_name=args.kernel)


def _show_papermill_log() -> None:
    logger = logging.getLogger("papermill")
    if not any(getattr(h, "_textures_nb", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handler._textures_nb = True
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import nbformat
    >>> from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    >>> cells = [new_markdown_cell("# Demo"),
    ...          new_code_cell("seed = 0\\nfull = False", metadata={"tags": ["parameters"]}),
    ...          new_code_cell("print(seed)")]
    >>> path = Path(tempfile.mkdtemp()) / "demo.ipynb"
    >>> nbformat.write(new_notebook(cells=cells), path)
    >>> from textures_nb.runner.cli import main
    >>> main(["notebooks", "--check", str(path)])
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verbose:
        _show_papermill_log()
    commands = {"run": _cmd_run, "batch": _cmd_batch, "notebooks": _cmd_notebooks}
    try:
        return commands[args.command](args)
    except _UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
