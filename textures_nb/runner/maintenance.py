"""Maintenance of the stored notebooks: re-execute, strip, check conventions.

Stored notebooks keep no outputs except their *check cells* (source holds
``# NBVAL_CHECK_OUTPUT`` or the cell is tagged ``nbval-check-output``), whose
outputs are the reference that ``pytest --nbval-lax`` compares against.

``make notebooks`` runs ``python -m textures_nb notebooks``, which for each
notebook: executes it with its default parameters (kernel cwd = its folder),
strips it with :func:`strip_notebook` (nbstripout, keeping the check cells'
outputs and execution counts), writes it back in place and reports what
:func:`check_stripped` finds.
"""

from __future__ import annotations

import ast
import copy
import tempfile
from collections.abc import Iterable
from pathlib import Path

import nbformat

from textures_nb.runner._common import (
    ERROR_MARKER_TAG,
    INJECTED_TAG,
    PARAMETERS_TAG,
    source,
    tags,
)
from textures_nb.runner.execute import execute_notebook, format_run
from textures_nb.runner.runs import collect_notebooks

__all__ = [
    "CHECK_MARKER",
    "CHECK_TAG",
    "check_stripped",
    "is_check_cell",
    "refresh_notebooks",
    "strip_notebook",
]

CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"
CHECK_TAG = "nbval-check-output"
DROPPED_TAGS = (INJECTED_TAG, ERROR_MARKER_TAG)
_NB_METADATA_DROPPED = ("papermill", "widgets")
# nbstripout's own defaults, plus what papermill and widgets leave behind
_EXTRA_KEYS = [
    "metadata.signature",
    "metadata.widgets",
    "metadata.papermill",
    "cell.metadata.collapsed",
    "cell.metadata.ExecuteTime",
    "cell.metadata.execution",
    "cell.metadata.heading_collapsed",
    "cell.metadata.hidden",
    "cell.metadata.scrolled",
    "cell.metadata.papermill",
    "cell.metadata.widgets",
]
_KEEP = "keep_output"  # nbstripout's per-cell switch


def is_check_cell(cell) -> bool:
    """True for a code cell whose output nbval compares (kept when stripping).

    Parameters
    ----------
    cell : nbformat.NotebookNode
        A notebook cell.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell
    >>> from textures_nb.runner.maintenance import is_check_cell
    >>> check = new_code_cell("# NBVAL_CHECK_OUTPUT\\nprint(1)")
    >>> is_check_cell(check), is_check_cell(new_code_cell("1"))
    (True, False)
    """
    if cell.get("cell_type") != "code":
        return False
    return CHECK_MARKER in source(cell) or CHECK_TAG in tags(cell)


def strip_notebook(nb):
    """Return a copy of ``nb`` ready to be committed, stripped with nbstripout.

    - outputs and execution counts of code cells are cleared, except in check
      cells, which keep both (nbval rejects kept outputs whose execution
      count is null: "Unrun reference cell has outputs");
    - papermill's injected-parameters and error-marker cells are removed;
    - papermill metadata, cell timing metadata and widget state are dropped
      (nbstripout's default extra keys plus papermill's).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A version-4 notebook (e.g. from ``nbformat.read(path, as_version=4)``).

    Returns
    -------
    nbformat.NotebookNode
        The stripped copy; ``nb`` itself is not modified.

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
    >>> from textures_nb.runner.maintenance import strip_notebook
    >>> nb = nbformat.read(path, as_version=4)
    >>> nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="0\\n")]
    >>> [len(c.get("outputs", [])) for c in strip_notebook(nb).cells]
    [0, 0, 0]
    """
    from nbstripout import strip_output

    nb = copy.deepcopy(nb)
    checks = [cell for cell in nb.cells if is_check_cell(cell)]
    for cell in checks:  # nbstripout keeps these cells' outputs
        cell.metadata[_KEEP] = True
    # keep_count keeps every count: the other cells lose theirs below. nbstripout
    # binds the tag of its cell filter late, so drop one tag per call.
    for tag in DROPPED_TAGS:
        nb = strip_output(
            nb,
            keep_output=False,
            keep_count=True,
            keep_id=True,
            extra_keys=_EXTRA_KEYS,
            drop_tagged_cells=[tag],
        )
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if is_check_cell(cell):
            cell.metadata.pop(_KEEP, None)
        else:
            cell.execution_count = None
    return nb


def check_stripped(path: str | Path) -> list[str]:
    """List the convention problems of a stored notebook (empty if none).

    Checks: the first cell is markdown; one cell is tagged ``parameters``,
    assigns ``seed`` and holds plain literals only, on lines papermill's parser
    reads (a comment holding ``=`` or ``**`` hides its parameter from papermill:
    ``lam = 0.2  # c2 = -lam**2`` cannot be overridden); no papermill leftovers or
    widget state; non-check code cells have no output nor execution count;
    check cells have outputs and an execution count; no output embeds
    plotly.js as HTML (use the mimetype renderer).

    Parameters
    ----------
    path : str or Path
        A stored notebook.

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
    >>> from textures_nb.runner.maintenance import check_stripped
    >>> check_stripped(path)
    []
    """
    path = Path(path)
    nb = nbformat.read(str(path), as_version=4)
    problems: list[str] = []

    def problem(message: str, index: int | None = None) -> None:
        where = f"cell {index}: " if index is not None else ""
        problems.append(f"{path.name}: {where}{message}")

    if not nb.cells or nb.cells[0].cell_type != "markdown":
        problem(
            "the first cell must be markdown (what you will learn, prerequisites, time).",
        )
    for key in _NB_METADATA_DROPPED:
        if key in nb.metadata:
            problem(f"notebook metadata holds {key!r}; run `make notebooks` to strip it.")

    parameter_cells = [i for i, cell in enumerate(nb.cells) if PARAMETERS_TAG in tags(cell)]
    if not parameter_cells:
        problem("no cell is tagged 'parameters' (papermill needs one).")
    elif len(parameter_cells) > 1:
        problem(f"several cells are tagged 'parameters': {parameter_cells}.")
    for i in parameter_cells:
        problems.extend(f"{path.name}: cell {i}: {msg}" for msg in _parameter_problems(nb.cells[i]))

    for i, cell in enumerate(nb.cells):
        if set(DROPPED_TAGS).intersection(tags(cell)):
            problem("papermill leftover cell (injected parameters or error marker).", i)
        if cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        if is_check_cell(cell):
            if not outputs:
                problem("check cell has no stored output; run `make notebooks`.", i)
            elif cell.get("execution_count") is None:
                problem("check cell has outputs but execution_count is null.", i)
        else:
            if outputs:
                problem("outputs stored in a non-check cell; run `make notebooks`.", i)
            if cell.get("execution_count") is not None:
                problem("execution_count stored in a non-check cell.", i)
        if any(_embeds_plotly_js(out) for out in outputs):
            problem("output embeds plotly.js as HTML; use the plotly_mimetype renderer.", i)
    return problems


def refresh_notebooks(
    paths: Iterable[str | Path],
    *,
    execute: bool = True,
    kernel_name: str = "python3",
) -> int:
    """Re-execute (optionally), strip in place and check stored notebooks.

    A notebook whose execution fails is left unchanged. Prints one status
    line per notebook, then any convention problem.

    Parameters
    ----------
    paths : iterable of str or Path
        Notebook files and folders.
    execute : bool, default True (keyword-only)
        Re-execute each notebook before stripping it.
    kernel_name : str, default "python3" (keyword-only)
        Kernel of the executions.

    Returns
    -------
    int
        0 if every notebook ran and passes :func:`check_stripped`, else 1.

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
    >>> from textures_nb.runner.maintenance import refresh_notebooks
    >>> status = refresh_notebooks([path], execute=False)  # doctest: +ELLIPSIS
    >>> status
    0
    """
    notebooks = collect_notebooks(paths)
    failed = False
    for notebook in notebooks:
        if execute:
            with tempfile.TemporaryDirectory(prefix="textures_nb-") as tmp:
                run = execute_notebook(
                    notebook,
                    Path(tmp) / notebook.name,
                    kernel_name=kernel_name,
                    cwd=notebook.resolve().parent,
                )
                print(format_run(run).replace(str(run.output), str(notebook)), flush=True)
                if not run.ok:
                    failed = True
                    continue
                executed = nbformat.read(str(run.output), as_version=4)
        else:
            executed = nbformat.read(str(notebook), as_version=4)
        nbformat.write(strip_notebook(executed), str(notebook))
        for message in check_stripped(notebook):
            failed = True
            print(f"  problem: {message}", flush=True)
    return 1 if failed else 0


def _parameter_problems(cell) -> list[str]:
    if cell.cell_type != "code":
        return ["the 'parameters' tag is on a non-code cell."]
    try:
        tree = ast.parse(source(cell))
    except SyntaxError as exc:
        return [f"parameters cell does not parse: {exc.msg}."]
    names: dict[str, int] = {}
    problems: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            problems.append(
                f"parameters cell line {node.lineno}: only `name = literal` assignments "
                "belong here; derive values in the next cell."
            )
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                names.setdefault(target.id, node.lineno)
        try:
            ast.literal_eval(value)
        except (ValueError, SyntaxError, TypeError):
            problems.append(
                f"parameters cell line {node.lineno}: value is not a plain literal "
                "(papermill cannot override derived values); derive it in the next cell."
            )
    parsed = _papermill_names(source(cell))
    for name, line in names.items():
        if name not in parsed:
            problems.append(
                f"parameters cell line {line}: papermill's parser skips {name!r}, so it "
                "cannot be overridden; write `name = literal  # help` with no `=` or `**` "
                "in the comment."
            )
    if "seed" not in names:
        problems.append("parameters cell does not define `seed`.")
    return problems


def _papermill_names(code: str) -> set[str]:
    """Names papermill's line parser finds in a parameters cell (quietly)."""
    import logging

    from papermill.translators import PythonTranslator

    logger = logging.getLogger("papermill.translators")
    disabled, logger.disabled = logger.disabled, True  # "Unable to parse line ..."
    try:
        return {p.name for p in PythonTranslator.inspect({"source": code})}
    finally:
        logger.disabled = disabled


def _embeds_plotly_js(output) -> bool:
    html = output.get("data", {}).get("text/html", "")
    html = "".join(html) if isinstance(html, list) else html
    lowered = html.lower()
    return "plotly" in lowered and "<script" in lowered
