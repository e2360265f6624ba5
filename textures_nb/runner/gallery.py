"""Notebooks as a user sees them: run in JupyterLab in a real browser, measured, pictured.

:func:`jupyterlab` starts JupyterLab on ``127.0.0.1`` (free port, no token, autosave
off, so stored notebooks are never rewritten); :func:`view_notebook` opens a
notebook with Playwright and Chromium, runs all cells, waits until the kernel is
idle, then measures what is on the screen:

- error outputs and stderr outputs (from the notebook model), console errors;
- widget placeholders that never turned into widgets;
- each plotly figure's drawn width against its output area's width;
- each image panel (plotly heatmap/image, ``<img>``) from a screenshot: its size
  on screen, whether it is cut off by the output area, and whether it shows
  anything but one flat colour;
- each slider, moved one step with the keyboard: whether the rest of its cell's
  output (figures, images) changed.

Each cell's outputs are saved as a PNG; :func:`write_gallery` turns the pictures
into an ``index.html``. The browser test suite (``tests/browser``) asserts on
:meth:`NotebookView.defects`; ``python -m textures_nb.runner.gallery notebooks``
(``make gallery``) writes ``runs/gallery``.

Needs the ``playwright`` Python package and a Chromium (Debian's ``chromium``;
Playwright's own browser download is not required).
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "NotebookView",
    "browser_missing",
    "chromium_path",
    "jupyterlab",
    "launch_browser",
    "main",
    "view_notebook",
    "write_gallery",
]

VIEWPORT = {"width": 1400, "height": 900}
#: Smallest side, in CSS pixels, at which an image panel still shows its texture.
MIN_PANEL_PX = 80
#: Grey-level standard deviation (0-255) below which a panel counts as blank.
BLANK_STD = 2.0
_PLACEHOLDERS = (
    "Loading widget",
    "Error displaying widget",
    "model not found",
    "Widget Javascript not detected",
    "Failed to display Jupyter Widget",
)
# Console errors that say nothing about the notebook (browser or server chrome).
_BENIGN_CONSOLE = ("favicon", "/api/workspaces", "/lab/api/translations")


def chromium_path() -> str | None:
    """Chromium to drive: ``$CHROMIUM``, else ``chromium`` or ``chromium-browser`` on PATH.

    Examples
    --------
    >>> from textures_nb.runner.gallery import chromium_path
    >>> path = chromium_path()  # None without Chromium
    >>> path is None or path.endswith(("chromium", "chrome", "chromium-browser"))
    True
    """
    for candidate in (
        os.environ.get("CHROMIUM"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def browser_missing() -> str | None:
    """Why browser checks cannot run here, or None when they can.

    Examples
    --------
    >>> from textures_nb.runner.gallery import browser_missing
    >>> message = browser_missing()  # None when Playwright and Chromium are there
    >>> message is None or isinstance(message, str)
    True
    """
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install playwright)"
    if chromium_path() is None:
        return "no Chromium found (apt-get install chromium, or set CHROMIUM=/path/to/chromium)"
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        return "jupyterlab is not installed"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(root, *, python: str = sys.executable, timeout: float = 120.0, env=None):
    """Run JupyterLab serving folder ``root``; yield its base URL.

    Autosave is off and notebooks are laid out in full (no windowing), through a
    private ``JUPYTERLAB_SETTINGS_DIR``; the app is exposed as
    ``window.jupyterapp`` so the notebook model can be read. The server and
    its kernels stop when the context exits.

    Parameters
    ----------
    root : str or Path
        Folder served.
    python : str, default this interpreter (keyword-only)
        Python that runs JupyterLab.
    timeout : float, default 120.0 (keyword-only)
        Seconds to wait for the server to answer.
    env : mapping of str to str, optional (keyword-only)
        Environment of the server and its kernels.

    Examples
    --------
    >>> from textures_nb.runner.gallery import jupyterlab
    >>> with jupyterlab("notebooks") as url:  # doctest: +SKIP
    ...     print(url)  # doctest: +SKIP
    """
    root = Path(root).resolve()
    work = Path(tempfile.mkdtemp(prefix="textures-nb-lab-"))
    settings = {
        "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
    }
    for rel, value in settings.items():
        path = work / "settings" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    port = _free_port()
    run_env = dict(os.environ if env is None else env)
    run_env.update(
        JUPYTERLAB_SETTINGS_DIR=str(work / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(work / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(work / "runtime"),
        TQDM_DISABLE=run_env.get("TQDM_DISABLE", "1"),
    )
    log = open(work / "lab.log", "w")
    proc = subprocess.Popen(
        [
            python, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
            f"--port={port}", "--IdentityProvider.token=", "--ServerApp.password=",
            "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={root}",
            "--LabApp.news_url=", "--ServerApp.open_browser=False",
        ],
        env=run_env, stdout=log, stderr=subprocess.STDOUT, cwd=root,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    raise RuntimeError(
                        f"JupyterLab did not start within {timeout:.0f} s:\n"
                        + (work / "lab.log").read_text()[-3000:]
                    ) from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def launch_browser(playwright):
    """Headless Chromium (the system's) from a started ``sync_playwright()``.

    Parameters
    ----------
    playwright : playwright.sync_api.Playwright
        From ``sync_playwright().start()`` or ``with sync_playwright() as pw``.

    Examples
    --------
    >>> from playwright.sync_api import sync_playwright
    >>> from textures_nb.runner.gallery import launch_browser
    >>> with sync_playwright() as pw:  # doctest: +SKIP
    ...     browser = launch_browser(pw)  # doctest: +SKIP
    """
    path = chromium_path()
    if path is None:
        raise RuntimeError(browser_missing() or "no Chromium")
    return playwright.chromium.launch(
        executable_path=path, args=["--no-sandbox", "--headless", "--disable-gpu"]
    )


# --------------------------------------------------------------------------- measures


@dataclass
class Figure:
    """A plotly figure as drawn: its svg width and its output area's width (CSS px)."""

    cell: int
    title: str
    width: float
    area_width: float

    @property
    def fits(self) -> bool:
        return self.width <= self.area_width + 1


@dataclass
class Panel:
    """An image panel on screen: size, cut-off share and grey-level spread in a screenshot."""

    cell: int
    label: str
    width: float
    height: float
    visible_fraction: float
    std: float

    @property
    def problem(self) -> str | None:
        if self.visible_fraction < 0.98:
            return f"cut off by the output area ({100 * self.visible_fraction:.0f} % visible)"
        short, long = sorted((self.width, self.height))
        # a thin band (e.g. class colours along a matrix) is meant to be thin
        if short < MIN_PANEL_PX and (long < MIN_PANEL_PX or long < 4 * max(short, 1)):
            return f"too small to see ({self.width:.0f} x {self.height:.0f} px)"
        if self.std < BLANK_STD:
            return f"blank (grey-level std {self.std:.1f} / 255)"
        return None


@dataclass
class WidgetMove:
    """A slider moved one step with the keyboard, and whether its cell's figures changed."""

    cell: int
    control: str
    before: str
    after: str
    changed: bool


@dataclass
class NotebookView:
    """What a user sees after Run All on a notebook in JupyterLab.

    Parameters
    ----------
    name : str
        The notebook's file name.
    seconds : float
        Time of Run All until the last cell finished (or the timeout).
    finished : bool
        Whether every cell finished in time.
    errors, stderr, placeholders, console_errors : list
        What was found, per check (cell number and message).
    figures, panels, widgets : list
        Measures of the drawn figures, image panels and widgets.
    pictures : dict
        Cell number -> picture of its outputs.

    Examples
    --------
    >>> from textures_nb.runner.gallery import NotebookView
    >>> view = NotebookView("01_x.ipynb", 12.0, finished=True)
    >>> {check: problems for check, problems in view.defects().items() if problems}
    {}
    """

    name: str
    seconds: float
    finished: bool
    errors: list = field(default_factory=list)
    stderr: list = field(default_factory=list)
    placeholders: list = field(default_factory=list)
    console_errors: list = field(default_factory=list)
    figures: list = field(default_factory=list, repr=False)
    panels: list = field(default_factory=list, repr=False)
    widgets: list = field(default_factory=list, repr=False)
    pictures: dict = field(default_factory=dict, repr=False)

    def defects(self) -> dict[str, list[str]]:
        """Defects by check name (empty lists when the check passes)."""
        return {
            "finished": []
            if self.finished
            else [f"Run All did not finish in {self.seconds:.0f} s"],
            "errors": [f"cell {c}: {msg}" for c, msg in self.errors],
            "placeholders": [f"cell {c}: {msg}" for c, msg in self.placeholders],
            "console": list(self.console_errors),
            "figure_width": [
                f"cell {f.cell}: figure {f.title!r} is {f.width:.0f} px wide in a "
                f"{f.area_width:.0f} px output area"
                for f in self.figures
                if not f.fits
            ],
            "image_panels": [
                f"cell {p.cell}: panel {p.label!r} {p.problem}" for p in self.panels if p.problem
            ],
            "widgets": [
                f"cell {w.cell}: moving {w.control!r} ({w.before} -> {w.after}) "
                "did not change its figure"
                for w in self.widgets
                if not w.changed
            ],
        }

    def summary(self) -> dict:
        return {
            "name": self.name,
            "seconds": round(self.seconds, 1),
            "figures": len(self.figures),
            "panels": len(self.panels),
            "widgets": len(self.widgets),
            "stderr": [f"cell {c}: {t[:200]}" for c, t in self.stderr],
            "defects": self.defects(),
            "pictures": {str(k): str(v) for k, v in self.pictures.items()},
        }


_JS_NOTEBOOK = "window.jupyterapp.shell.currentWidget"
# Image panels: heatmap and image traces (trace layers are "mlayer"s; layout images,
# such as thumbnails at an embedding's points, are markers and not checked).
_PANELS = ".heatmaplayer.mlayer image, .imagelayer.mlayer image"

_JS_KERNEL_IDLE = f"""() => {{
  const nb = window.jupyterapp && {_JS_NOTEBOOK};
  if (!nb || !nb.sessionContext || !nb.sessionContext.session) return false;
  const k = nb.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}}"""

_JS_RUNNING = f"""() => {{
  const nb = {_JS_NOTEBOOK};
  const k = nb.sessionContext.session && nb.sessionContext.session.kernel;
  const busy = !k || k.status !== 'idle';
  const waiting = [...nb.node.querySelectorAll('.jp-InputPrompt')]
      .some(e => e.textContent.includes('*'));
  return busy || waiting;
}}"""

_JS_OUTPUTS = f"""() => {{
  const cells = {_JS_NOTEBOOK}.content.model.cells;
  const out = [];
  for (let i = 0; i < cells.length; i++) {{
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    out.push([i, c.outputs.toJSON()]);
  }}
  return out;
}}"""

# Cell index of every output area; figures and panels with their boxes.
_JS_LAYOUT = f"""() => {{
  const cells = [...{_JS_NOTEBOOK}.content.node.querySelectorAll('.jp-Cell')];
  const box = e => {{ const r = e.getBoundingClientRect();
    return {{x: r.x, y: r.y, w: r.width, h: r.height}}; }};
  const figures = [], panels = [];
  cells.forEach((cell, i) => {{
    cell.querySelectorAll('.js-plotly-plot').forEach(p => {{
      const svg = p.querySelector('svg.main-svg');
      const area = p.closest('.jp-OutputArea-output') || p.parentElement;
      const t = p.querySelector('.gtitle');
      figures.push({{cell: i, title: t ? t.textContent : '',
        width: svg ? svg.getBoundingClientRect().width : 0,
        area: box(area)}});
      p.querySelectorAll('{_PANELS}').forEach((im, k) => {{
        panels.push({{cell: i, label: (t ? t.textContent : 'figure') + ' #' + (k + 1),
          box: box(im), area: box(area)}});
      }});
    }});
    cell.querySelectorAll('.jp-OutputArea-output img').forEach((im, k) => {{
      if (im.closest('.js-plotly-plot')) return;
      const tile = im.closest('.widget-box, .jp-OutputArea-output');
      if (getComputedStyle(im).display === 'none' || (tile && tile.offsetParent === null)) return;
      const area = im.closest('.jp-OutputArea-output');
      panels.push({{cell: i, label: 'image #' + (k + 1), box: box(im), area: box(area)}});
    }});
  }});
  return {{figures, panels}};
}}"""


def _std_of(png: bytes) -> float:
    import numpy as np
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    return float(img.std()) if img.size else 0.0


def _wait_idle(page, timeout_s: float, settle_s: float = 1.5) -> bool:
    """Wait until the kernel is idle and no cell waits to run, ``settle_s`` in a row."""
    deadline = time.monotonic() + timeout_s
    quiet_since = None
    while time.monotonic() < deadline:
        if page.evaluate(_JS_RUNNING):
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= settle_s:
            return True
        page.wait_for_timeout(300)
    return False


def _text_of(output: dict) -> str:
    if output.get("output_type") == "stream":
        text = output.get("text", "")
    elif output.get("output_type") == "error":
        text = f"{output.get('ename')}: {output.get('evalue')}"
    else:
        text = (output.get("data") or {}).get("text/plain", "")
    return "".join(text) if isinstance(text, list) else str(text)


def view_notebook(
    browser,
    base_url: str,
    relpath: str,
    *,
    out_dir=None,
    timeout: float = 900.0,
    move_widgets: bool = True,
    widget_timeout: float = 20.0,
) -> NotebookView:
    """Open ``relpath`` (relative to the server root) in JupyterLab, Run All, measure.

    Parameters
    ----------
    browser : playwright Browser
        From :func:`launch_browser`.
    base_url : str
        From :func:`jupyterlab`.
    relpath : str
        Notebook path relative to the server's root folder.
    out_dir : path, optional
        Folder for the pictures (one PNG per cell with outputs).
    timeout : float
        Seconds allowed for Run All.
    move_widgets : bool
        Move each slider one step and check that its figure changes.
    widget_timeout : float
        Seconds a figure has to change after a slider moved.

    Returns
    -------
    NotebookView

    Examples
    --------
    >>> from playwright.sync_api import sync_playwright
    >>> from textures_nb.runner.gallery import jupyterlab, launch_browser, view_notebook
    >>> with jupyterlab(".") as url, sync_playwright() as pw:  # doctest: +SKIP
    ...     view = view_notebook(launch_browser(pw), url, "notebooks/01_x.ipynb")  # doctest: +SKIP
    """
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=VIEWPORT)
    console: list[str] = []
    page.on(
        "console",
        lambda m: console.append(m.text) if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: console.append(f"page error: {e}"))
    try:
        # A workspace of its own, reset: JupyterLab would otherwise restore the
        # previous notebook's tab and make it the current widget.
        workspace = "nb-" + "".join(c if c.isalnum() else "-" for c in relpath)
        page.goto(f"{base_url}/lab/workspaces/{workspace}/tree/{relpath}?reset", timeout=120_000)
        is_this = f"nb.context.path === {json.dumps(relpath)} && !!k"
        page.wait_for_function(
            _JS_KERNEL_IDLE.replace("return !!k", f"return {is_this}"), timeout=120_000, polling=300
        )
        page.wait_for_timeout(500)
        console.clear()  # start-up noise of the app is not the notebook's
        t0 = time.monotonic()
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_timeout(1000)
        finished = _wait_idle(page, timeout)
        seconds = time.monotonic() - t0
        page.wait_for_timeout(1500)  # plotly draws after the outputs arrive
        view = NotebookView(name=Path(relpath).name, seconds=seconds, finished=finished)
        _read_outputs(page, view)
        _measure(page, view, out)
        if move_widgets and finished:
            _move_widgets(page, view, widget_timeout, out)
        view.console_errors = [c for c in console if not any(b in c for b in _BENIGN_CONSOLE)]
        return view
    finally:
        with contextlib.suppress(Exception):
            page.evaluate(f"async () => {{ await {_JS_NOTEBOOK}.sessionContext.shutdown(); }}")
        page.close()


def _read_outputs(page, view: NotebookView) -> None:
    for cell, outputs in page.evaluate(_JS_OUTPUTS):
        for o in outputs:
            text = _text_of(o)
            if o.get("output_type") == "error":
                view.errors.append((cell, text))
            elif o.get("output_type") == "stream" and o.get("name") == "stderr" and text.strip():
                view.stderr.append((cell, text.strip()))
    areas = page.evaluate(
        f"""() => [...{_JS_NOTEBOOK}.content.node.querySelectorAll('.jp-Cell')].map((c, i) =>
            [i, [...c.querySelectorAll('.jp-OutputArea-output')].map(o => o.innerText)])"""
    )
    for cell, texts in areas:
        for t in texts:
            hit = next((p for p in _PLACEHOLDERS if p in t), None)
            if hit:
                view.placeholders.append((cell, f"widget not rendered ({hit!r})"))


def _measure(page, view: NotebookView, out: Path | None) -> None:
    layout = page.evaluate(_JS_LAYOUT)
    for f in layout["figures"]:
        view.figures.append(
            Figure(cell=f["cell"], title=f["title"], width=f["width"], area_width=f["area"]["w"])
        )
    cells = page.locator(".jp-Notebook .jp-Cell")
    for p in layout["panels"]:
        b, a = p["box"], p["area"]
        inside_w = max(0.0, min(b["x"] + b["w"], a["x"] + a["w"]) - max(b["x"], a["x"]))
        inside_h = max(0.0, min(b["y"] + b["h"], a["y"] + a["h"]) - max(b["y"], a["y"]))
        frac = (inside_w * inside_h) / (b["w"] * b["h"]) if b["w"] * b["h"] > 0 else 0.0
        std = 0.0
        if inside_w >= 2 and inside_h >= 2:
            std = _panel_std(page, p)
        view.panels.append(
            Panel(
                cell=p["cell"],
                label=p["label"],
                width=b["w"],
                height=b["h"],
                visible_fraction=frac,
                std=std,
            )  # fmt: skip
        )
    if out is not None:
        for i in sorted({f.cell for f in view.figures} | set(_cells_with_outputs(page))):
            area = cells.nth(i).locator(".jp-Cell-outputArea")
            if area.count() and area.first.bounding_box():
                path = out / f"cell-{i:02d}.png"
                try:
                    area.first.screenshot(path=str(path), timeout=30_000)
                    view.pictures[i] = path
                except Exception:
                    pass


def _cells_with_outputs(page) -> list[int]:
    return page.evaluate(
        f"""() => [...{_JS_NOTEBOOK}.content.node.querySelectorAll('.jp-Cell')]
            .map((c, i) => [i, c.querySelectorAll('.jp-OutputArea-output').length])
            .filter(([i, n]) => n > 0).map(([i, n]) => i)"""
    )


def _panel_std(page, p: dict) -> float:
    """Grey-level std of the panel's on-screen pixels (clipped to its output area)."""
    # Scroll the panel to the middle of the window, then read its box again.
    js = f"""([cellIndex, label]) => {{
      const cell = [...{_JS_NOTEBOOK}.content.node.querySelectorAll('.jp-Cell')][cellIndex];
      const items = [];
      cell.querySelectorAll('.js-plotly-plot').forEach(pl => {{
        const t = pl.querySelector('.gtitle');
        pl.querySelectorAll('{_PANELS}').forEach((im, k) => {{
          items.push([(t ? t.textContent : 'figure') + ' #' + (k + 1), im, pl]);
        }});
      }});
      cell.querySelectorAll('.jp-OutputArea-output img').forEach((im, k) => {{
        if (!im.closest('.js-plotly-plot')) items.push(['image #' + (k + 1), im, im]);
      }});
      const hit = items.find(([l]) => l === label);
      if (!hit) return null;
      hit[1].scrollIntoView({{block: 'center'}});
      const r = hit[1].getBoundingClientRect();
      const a = (hit[1].closest('.jp-OutputArea-output') || hit[2]).getBoundingClientRect();
      const x0 = Math.max(r.left, a.left, 0), y0 = Math.max(r.top, a.top, 0);
      const x1 = Math.min(r.right, a.right, window.innerWidth);
      const y1 = Math.min(r.bottom, a.bottom, window.innerHeight);
      return {{x: x0, y: y0, width: x1 - x0, height: y1 - y0}};
    }}"""
    clip = page.evaluate(js, [p["cell"], p["label"]])
    if not clip or clip["width"] < 2 or clip["height"] < 2:
        return 0.0
    # Shrink by 1 px on each side: anti-aliased borders are not the panel's content.
    clip = {
        "x": clip["x"] + 1, "y": clip["y"] + 1,
        "width": max(1, clip["width"] - 2), "height": max(1, clip["height"] - 2),
    }  # fmt: skip
    return _std_of(page.screenshot(clip=clip))


_HIDE_CONTROLS = """
.widget-slider, .widget-hslider, .widget-vslider, .widget-readout, .widget-dropdown,
.widget-label, .jp-OutputPrompt, .jp-Collapser { visibility: hidden !important; }
"""


def _figure_shot(page, cell_index: int) -> bytes:
    """Screenshot of a cell's outputs with the controls hidden (only what they drive)."""
    handle = page.add_style_tag(content=_HIDE_CONTROLS)
    try:
        area = page.locator(".jp-Notebook .jp-Cell").nth(cell_index).locator(".jp-Cell-outputArea")
        return area.first.screenshot(timeout=30_000)
    finally:
        handle.evaluate("e => e.remove()")


def _move_widgets(page, view: NotebookView, timeout_s: float, out: Path | None) -> None:
    sliders = page.evaluate(
        f"""() => {{
      const res = [];
      [...{_JS_NOTEBOOK}.content.node.querySelectorAll('.jp-Cell')].forEach((cell, i) => {{
        cell.querySelectorAll('.widget-slider').forEach((s, k) => {{
          const d = s.querySelector('.widget-label');
          res.push([i, k, d ? d.textContent.trim() : 'slider ' + (k + 1)]);
        }});
      }});
      return res;
    }}"""
    )
    cells = page.locator(".jp-Notebook .jp-Cell")
    for cell_index, k, name in sliders:
        slider = cells.nth(cell_index).locator(".widget-slider").nth(k)
        readout = slider.locator(".widget-readout")
        handle = slider.locator(".noUi-handle").first
        slider.scroll_into_view_if_needed()
        before_value = readout.first.inner_text() if readout.count() else "?"
        handle.focus()  # focus first: selecting the cell restyles it
        page.wait_for_timeout(200)
        before = _figure_shot(page, cell_index)
        after_value = before_value
        for key in ("ArrowRight", "ArrowLeft"):  # left only when already at the maximum
            handle.focus()
            page.keyboard.press(key)
            for _ in range(20):
                page.wait_for_timeout(150)
                after_value = readout.first.inner_text() if readout.count() else "?"
                if after_value != before_value:
                    break
            if after_value != before_value:
                break
        changed = False
        deadline = time.monotonic() + timeout_s
        page.wait_for_timeout(300)
        while time.monotonic() < deadline:
            if not page.evaluate(_JS_RUNNING):
                page.wait_for_timeout(700)  # the redraw follows the kernel's reply
                shot = _figure_shot(page, cell_index)
                if shot != before:
                    if os.environ.get("TEXTURES_NB_DEBUG_SHOTS") and out is not None:
                        (out / f"cell-{cell_index:02d}-{name}-before.png").write_bytes(before)
                    changed = True
                    if out is not None:
                        (out / f"cell-{cell_index:02d}-{name}-moved.png").write_bytes(shot)
                    break
            page.wait_for_timeout(500)
        view.widgets.append(
            WidgetMove(
                cell=cell_index,
                control=name,
                before=before_value,
                after=after_value,
                changed=changed,
            )  # fmt: skip
        )


# --------------------------------------------------------------------------- gallery


def write_gallery(views: list[NotebookView], out_dir) -> Path:
    """``index.html`` in ``out_dir`` showing every notebook's pictures and defects.

    Parameters
    ----------
    views : list of NotebookView
        The notebooks seen.
    out_dir : str or Path
        Folder of the pictures and of ``index.html``.

    Examples
    --------
    >>> import tempfile
    >>> from textures_nb.runner.gallery import NotebookView, write_gallery
    >>> index = write_gallery([NotebookView("01_x.ipynb", 12.0, finished=True)], tempfile.mkdtemp())
    >>> index.name
    'index.html'
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    parts = [
        "<!doctype html><meta charset='utf-8'><title>textures-nb gallery</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}"
        "img{max-width:100%;border:1px solid #ddd;margin:4px 0}"
        ".bad{color:#b00}.ok{color:#070}</style>",
        "<h1>textures-nb: notebooks as JupyterLab shows them</h1>",
        "<p>Each picture is a cell's output area after Run All in JupyterLab "
        f"(Chromium, {VIEWPORT['width']} px wide window).</p><ul>",
    ]
    for v in views:
        n_bad = sum(len(d) for d in v.defects().values())
        parts.append(
            f"<li><a href='#{html.escape(v.name)}'>{html.escape(v.name)}</a> "
            f"({v.seconds:.0f} s, <span class='{'bad' if n_bad else 'ok'}'>"
            f"{n_bad} defect{'s' * (n_bad != 1)}</span>)</li>"
        )
    parts.append("</ul>")
    for v in views:
        parts.append(f"<h2 id='{html.escape(v.name)}'>{html.escape(v.name)}</h2>")
        defects = [m for msgs in v.defects().values() for m in msgs]
        if defects:
            items = "".join(f"<li>{html.escape(m)}</li>" for m in defects)
            parts.append(f"<ul class='bad'>{items}</ul>")
        for cell, path in sorted(v.pictures.items()):
            path = Path(path)
            try:
                rel = os.path.relpath(path, out)
            except ValueError:
                rel = str(path)
            parts.append(
                f"<h4>cell {cell}</h4><img loading='lazy' src='{html.escape(rel)}' "
                f"alt='{html.escape(v.name)} cell {cell}'>"
            )
    index = out / "index.html"
    index.write_text("\n".join(parts))
    (out / "summary.json").write_text(json.dumps([v.summary() for v in views], indent=1))
    return index


def run_notebooks(notebooks, out_dir, *, timeout: float = 900.0, move_widgets: bool = True):
    """Run ``notebooks`` (paths) in JupyterLab on a temporary copy; return their views.

    Pictures go to ``out_dir/<notebook stem>/``.
    """
    from playwright.sync_api import sync_playwright

    notebooks = [Path(p).resolve() for p in notebooks]
    out = Path(out_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="textures-nb-gallery-") as tmp:
        root = Path(tmp)
        for p in notebooks:
            shutil.copy2(p, root / p.name)
        views = []
        with jupyterlab(root) as url, sync_playwright() as pw:
            browser = launch_browser(pw)
            try:
                for p in notebooks:
                    view = view_notebook(
                        browser, url, p.name, out_dir=out / p.stem, timeout=timeout,
                        move_widgets=move_widgets,
                    )  # fmt: skip
                    print(
                        f"{p.name}: {view.seconds:.0f} s, "
                        f"{sum(len(d) for d in view.defects().values())} defect(s)",
                        flush=True,
                    )
                    views.append(view)
            finally:
                browser.close()
    return views


def main(argv=None) -> int:
    """``python -m textures_nb.runner.gallery [NOTEBOOK_OR_FOLDER ...] [--out runs/gallery]``.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Examples
    --------
    >>> from textures_nb.runner.gallery import main
    >>> main(["notebooks", "--out", "runs/gallery"])  # doctest: +SKIP
    """
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m textures_nb.runner.gallery",
        description="Run notebooks in JupyterLab (headless Chromium) and write a picture "
        "gallery with index.html.",
    )
    parser.add_argument("paths", nargs="*", default=["notebooks"], help="notebooks or folders")
    parser.add_argument("--out", default="runs/gallery", help="output folder (runs/gallery)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per notebook")
    parser.add_argument("--no-widgets", action="store_true", help="do not move sliders (faster)")
    args = parser.parse_args(argv)
    missing = browser_missing()
    if missing:
        print(f"gallery: cannot run: {missing}", file=sys.stderr)
        return 2
    notebooks = []
    for p in map(Path, args.paths):
        notebooks += sorted(p.glob("*.ipynb")) if p.is_dir() else [p]
    if not notebooks:
        print("gallery: no notebooks found", file=sys.stderr)
        return 2
    views = run_notebooks(
        notebooks, args.out, timeout=args.timeout, move_widgets=not args.no_widgets
    )
    index = write_gallery(views, args.out)
    print(f"gallery: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
