"""Browser suite: notebooks run in JupyterLab, driven by Playwright and Chromium.

Every test here carries the ``browser`` marker (``pytest -m "not browser"`` skips
them) and is skipped with the reason when Playwright or Chromium is missing.
One JupyterLab server serves a temporary copy of ``notebooks/`` for the whole
session, so the stored notebooks are never touched; pictures of every notebook
(and of each failure) go to ``runs/browser/<notebook>/``.
"""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest

from textures_nb.runner import gallery

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PICTURES = Path(os.environ.get("TEXTURES_NB_BROWSER_OUT", ROOT / "runs" / "browser"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: runs notebooks in JupyterLab in a real browser (Playwright, Chromium)"
    )


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


def pytest_sessionfinish(session):
    """Under pytest-xdist, the controller writes the gallery of what every worker saw."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    parts = sorted(PICTURES.glob(".views-*.pickle"))
    if not parts:
        return
    seen = [v for p in parts for v in pickle.loads(p.read_bytes())]
    gallery.write_gallery(sorted(seen, key=lambda v: v.name), PICTURES)
    for p in parts:
        p.unlink()


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory):
    """A temporary folder served by JupyterLab: a copy of notebooks/ and room for fixtures."""
    missing = gallery.browser_missing()
    if missing:
        pytest.skip(f"browser tests need Playwright and Chromium: {missing}")
    root = tmp_path_factory.mktemp("lab")
    (root / "notebooks").mkdir()
    for p in NOTEBOOKS:
        shutil.copy2(p, root / "notebooks" / p.name)
    (root / "fixtures").mkdir()
    return root


@pytest.fixture(scope="session")
def pictures() -> Path:
    """Folder of the pictures: ``$TEXTURES_NB_BROWSER_OUT`` or ``runs/browser``."""
    return PICTURES


@pytest.fixture(scope="session")
def lab(lab_root):
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", TQDM_DISABLE="1")
    with gallery.jupyterlab(lab_root, env=env) as url:
        yield url


@pytest.fixture(scope="session")
def browser(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = gallery.launch_browser(pw)
        yield b
        b.close()


@pytest.fixture(scope="session")
def views(lab, browser):
    """``views(relpath)``: the notebook's NotebookView, run once per session."""
    cache: dict[str, gallery.NotebookView] = {}

    def get(relpath: str, **kwargs) -> gallery.NotebookView:
        if relpath not in cache:
            stem = Path(relpath).stem
            out = PICTURES / ("" if relpath.startswith("notebooks/") else "fixtures") / stem
            shutil.rmtree(out, ignore_errors=True)
            cache[relpath] = gallery.view_notebook(browser, lab, relpath, out_dir=out, **kwargs)
        return cache[relpath]

    yield get
    seen = [v for k, v in cache.items() if k.startswith("notebooks/")]
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if seen and worker:  # the controller merges the workers' parts (pytest_sessionfinish)
        PICTURES.mkdir(parents=True, exist_ok=True)
        (PICTURES / f".views-{worker}.pickle").write_bytes(pickle.dumps(seen))
    elif seen:
        gallery.write_gallery(seen, PICTURES)
