"""Each notebook, after Run All in JupyterLab, shows what its reader should see.

The checks (one test each, per notebook) measure the page, not the notebook
file: see :mod:`textures_nb.runner.gallery` for how. Pictures of every cell's
outputs are in ``runs/browser/<notebook>/`` and an ``index.html`` beside them.
"""

from __future__ import annotations

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


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("notebook", [p.name for p in NOTEBOOKS])
def test_notebook_as_seen_in_jupyterlab(views, pictures, notebook, check):
    view = views(f"notebooks/{notebook}")
    defects = view.defects()[check]
    where = pictures / Path(notebook).stem
    assert not defects, f"{notebook}: " + "; ".join(defects) + f" (pictures: {where}/cell-NN.png)"
