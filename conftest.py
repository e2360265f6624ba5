"""Project-wide pytest hooks.

``--save-executed DIR``: keep every notebook that nbval ran through without a failure
as an executed copy, ``DIR/<name>.ipynb`` (outputs and execution counts filled in).
``make test`` passes ``runs/nbval`` so that the website check that follows
(``tests/test_docs.py``, whose build takes executed notebooks from ``runs/*/``, see
``docs/_ext/textures_docs.find_executed``) reuses these runs instead of executing every
notebook a second time. Without the option nothing is written.

Written here rather than taken from a library: nbval keeps each cell's outputs
(``IPyNbCell.test_outputs``) but has no option to write the executed notebook, and a
second execution with papermill would double the time it is meant to save.

Under pytest-xdist ``--dist loadscope`` (the second part of ``make test``: website and
browser suite on several workers), the website build check (``tests/test_docs.py``)
and the browser checks of the built pages (``tests/browser/test_docs_pages.py``) form
one scope: the second reuses the first's build in ``docs/_build``, so they must run on
one worker, one after the other. Every other scope is xdist's own (a test class, e.g.
one notebook of ``tests/browser/test_notebooks.py``, or a module). The ``xdist_group``
marks of ``--dist loadgroup`` would say this without a hook, but pytest-xdist 3.8 under
pytest 9.2 ignored them (each group ran on both workers).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # pragma: no cover - pytest-xdist is in the test extra
    LoadScopeScheduling = None

# test files whose tests must share one worker under --dist loadscope (see above)
SAME_WORKER = {"docs": ("tests/test_docs.py", "tests/browser/test_docs_pages.py")}

if LoadScopeScheduling is not None:

    class _Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            for scope, files in SAME_WORKER.items():
                if path in files:
                    return scope
            return super()._split_scope(nodeid)

    def pytest_xdist_make_scheduler(config, log):
        if config.getoption("dist") == "loadscope":
            return _Scheduling(config, log)
        return None  # every other mode: xdist's own scheduler


def pytest_addoption(parser):
    parser.addoption(
        "--save-executed",
        metavar="DIR",
        default=None,
        help="write each notebook nbval executed without failure to DIR/<name>.ipynb",
    )


_RUNS: dict[str, dict] = {}  # notebook path -> {"nb", "outputs", "failed"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if not item.config.getoption("save_executed") or not hasattr(item, "test_outputs"):
        return
    nb = getattr(item.parent, "nb", None)
    if nb is None or not hasattr(item, "cell_num"):
        return
    report = outcome.get_result()
    run = _RUNS.setdefault(str(item.parent.path), {"nb": nb, "outputs": {}, "failed": False})
    if report.failed or report.skipped:
        run["failed"] = True
    elif call.when == "call":
        run["outputs"][item.cell_num] = list(item.test_outputs or [])


def pytest_sessionfinish(session):
    target = session.config.getoption("save_executed")
    if not target:
        return
    import nbformat

    out_dir = Path(target)
    for path, run in _RUNS.items():
        nb = copy.deepcopy(run["nb"])
        code = [c for c in nb.cells if c.cell_type == "code"]
        if run["failed"] or len(run["outputs"]) != len(code):
            (out_dir / Path(path).name).unlink(missing_ok=True)  # no stale copy stays
            continue
        for number, cell in enumerate(code):
            cell.outputs = [nbformat.from_dict(dict(o)) for o in run["outputs"][number]]
            cell.execution_count = number + 1
        out_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out_dir / Path(path).name)
