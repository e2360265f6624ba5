"""The website (``make docs``) as a reader sees it: built pages opened from disk in
headless Chromium.

The site is reused when ``docs/_build/html`` is newer than all its sources (in
``make test``, tests/test_docs.py has just built it), else built once here as
``make docs`` does. Checks: a notebook page draws every plotly figure it carries
(a ``.js-plotly-plot`` whose svg has marks), an API page and the landing page
typeset their formulas with the local MathJax (``mjx-container`` with content, no
``merror``), the landing page's pictures load, and no page raises a JavaScript
error. Pictures of the pages go to ``runs/browser/docs/``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from textures_nb.runner import gallery

pytest.importorskip("sphinx")
pytest.importorskip("myst_nb")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import textures_docs  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NOTEBOOK_PAGE = f"notebooks/{NOTEBOOKS[0].stem}.html" if NOTEBOOKS else None
API_PAGE = "api/generated/textures_nb.multiscale.LogCumulants.html"  # formulas in its example

# every plotly figure drawn: one svg per figure, with marks (traces or images)
PLOTLY_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(div => {
    const svg = div.querySelector('svg.main-svg');
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    const marks = div.querySelectorAll(
        'g.trace path, g.trace .point, g.imagelayer image, g.layer-above image, '
        + 'g.heatmaplayer image'
    ).length;
    return {id: div.id, width: box.width, height: box.height, marks: marks};
})"""
MATH_JS = """() => ({
    sources: document.querySelectorAll('.math').length,
    rendered: Array.from(document.querySelectorAll('mjx-container')).map(c => ({
        width: c.getBoundingClientRect().width,
        glyphs: c.querySelectorAll(
            'mjx-c, mjx-mi, mjx-mo, mjx-mn, mjx-texatom, svg use, svg path'
        ).length,
    })),
    errors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
})"""


@pytest.fixture(scope="module")
def site() -> Path:
    missing = gallery.browser_missing()
    if missing:
        pytest.skip(f"browser tests need Playwright and Chromium: {missing}")
    if not textures_docs.site_is_current(ROOT):
        textures_docs.build_site(ROOT)
    return ROOT / "docs" / "_build" / "html"


@pytest.fixture(scope="module")
def open_page(site, pictures):
    """``open_page(relpath)`` -> (Playwright page, JavaScript errors) once loaded."""
    from playwright.sync_api import sync_playwright

    out = pictures / "docs"
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = gallery.launch_browser(pw)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        pages = []

        def open_(relpath: str):
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto((site / relpath).as_uri(), wait_until="load")
            pages.append(page)
            return page, errors

        yield open_
        for page in pages:
            page.close()
        browser.close()


def _shot(page, pictures: Path, name: str) -> Path:
    path = pictures / "docs" / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.mark.skipif(NOTEBOOK_PAGE is None, reason="no notebook")
def test_notebook_page_draws_its_plotly_figures(open_page, site, pictures):
    n_figures = len(re.findall(r"Plotly\.newPlot", (site / NOTEBOOK_PAGE).read_text()))
    assert n_figures > 0, f"{NOTEBOOK_PAGE} carries no plotly figure"
    page, errors = open_page(NOTEBOOK_PAGE)
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot svg.main-svg').length >= {n_figures}",
        timeout=60_000,
    )
    figures = page.evaluate(PLOTLY_JS)
    _shot(page, pictures, Path(NOTEBOOK_PAGE).stem)
    assert len(figures) == n_figures
    empty = [f for f in figures if f["width"] < 100 or f["height"] < 100 or f["marks"] == 0]
    assert not empty, f"figures drawn empty on {NOTEBOOK_PAGE}: {empty}"
    assert not errors, errors


@pytest.mark.parametrize("relpath", [API_PAGE, "index.html"])
def test_formulas_are_typeset_by_the_local_mathjax(open_page, site, pictures, relpath):
    assert 'class="math' in (site / relpath).read_text(), f"{relpath} has no formula"
    page, errors = open_page(relpath)
    page.wait_for_function(
        "document.querySelectorAll('.math').length > 0 && "
        "document.querySelectorAll('mjx-container').length >= "
        "document.querySelectorAll('.math').length",
        timeout=60_000,
    )
    math = page.evaluate(MATH_JS)
    _shot(page, pictures, relpath.replace("/", "_").removesuffix(".html"))
    assert len(math["rendered"]) >= math["sources"] > 0
    blank = [m for m in math["rendered"] if m["width"] <= 0 or m["glyphs"] == 0]
    assert not blank, f"{len(blank)} formulas rendered blank on {relpath}"
    assert math["errors"] == 0, f"MathJax errors on {relpath}"
    assert not errors, errors


def test_landing_page_pictures_load(open_page):
    page, errors = open_page("index.html")
    page.wait_for_load_state("load")
    broken = page.evaluate(
        "() => Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.getAttribute('src'))"
    )
    assert not broken, f"pictures that do not load on index.html: {broken}"
    assert not errors, errors
