"""Each notebook, after Run All in JupyterLab, shows what its reader should see.

The checks (one test each, per notebook) measure the page, not the notebook
file: see :mod:`textures_nb.runner.gallery` for how. Pictures of every cell's
outputs are in ``runs/browser/<notebook>/`` and an ``index.html`` beside them.

One test class per notebook: under pytest-xdist ``--dist loadscope`` (as
``make test`` runs this suite) a class is one scope, so each notebook's checks
run on one worker and the notebook runs once, in that worker's JupyterLab,
while another worker runs another notebook. (``xdist_group`` marks would say
the same, but pytest-xdist 3.8 under pytest 9.2 ignored them.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))

CHECKS = [
    "finished",
    "errors",
    "placeholders",
    "console",
    "figure_width",
    "image_panels",
    "widgets",
]


def _notebook_class(notebook: str) -> type:
    class _Checks:
        @pytest.mark.parametrize("check", CHECKS)
        def test_as_seen_in_jupyterlab(self, views, pictures, check):
            view = views(f"notebooks/{notebook}")
            defects = view.defects()[check]
            where = pictures / Path(notebook).stem
            assert not defects, (
                f"{notebook}: " + "; ".join(defects) + f" (pictures: {where}/cell-NN.png)"
            )

    name = "Test_" + re.sub(r"\W", "_", Path(notebook).stem)
    _Checks.__name__ = _Checks.__qualname__ = name
    _Checks.notebook = notebook
    return _Checks


for _path in NOTEBOOKS:
    _cls = _notebook_class(_path.name)
    globals()[_cls.__name__] = _cls
del _path, _cls
