"""Sphinx extension behind the textures-nb site.

At ``builder-inited`` (before anything is read) it writes the generated sources:

- ``notebooks/NAME.ipynb``: each notebook of ``notebooks/`` with the outputs of an
  executed copy (see :func:`find_executed`), a Binder link under its title, every
  plotly figure turned into a ``<div>`` drawn by the local plotly.js (the figure
  JSON travels in a ``<script type="application/vnd.plotly.v1+json">``), and
  widgets replaced by a note (they need a kernel: Binder);
- ``_generated/static/``: plotly.js (from the installed plotly package), one PNG
  thumbnail per notebook (its first image-like plotly figure, rendered by headless
  Chromium; cached by the figure's hash);
- ``_generated/gallery.md`` (landing page cards), ``_generated/references.md``
  (how to cite) and ``api/index.rst`` (the autosummary list of every public
  module, found by walking the package).

Nothing is fetched from the network.
"""

from __future__ import annotations

import ast
import builtins
import copy
import hashlib
import html
import importlib
import importlib.util
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import nbformat
from sphinx.util import logging

logger = logging.getLogger(__name__)

PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
PACKAGE = "textures_nb"
# Reading order of the API index; modules not named here follow alphabetically.
MODULE_ORDER = [
    "processes", "multiscale", "synthesis", "networks", "generative", "quality",
    "similarity", "confidence", "data", "plotting", "widgets", "runner",
]  # fmt: skip
THUMB_SIZE = (640, 420)
_PROGRESS = re.compile(r"\d+%\|")


# --- helpers also used by tests/test_docs.py ----------------------------------------
def binder_url(repository_url: str, notebook: str, ref: str = "HEAD") -> str:
    """The mybinder.org launch URL of ``notebooks/<notebook>`` in a GitHub repository."""
    path = urlparse(repository_url).path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    if path.count("/") != 1:
        raise ValueError(
            f"textures_repository_url: expected https://github.com/OWNER/REPO, got "
            f"{repository_url!r}; set it in docs/conf.py."
        )
    return f"https://mybinder.org/v2/gh/{path}/{ref}?urlpath=lab/tree/notebooks/{notebook}"


def code_sources(nb) -> list[str]:
    """Code cell sources, without papermill's injected-parameters cell."""
    return [
        c.source.strip()
        for c in nb.cells
        if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])
    ]


def public_modules() -> tuple[list[str], dict[str, str]]:
    """Public top-level modules of the package, and the alias modules with their summary.

    A module is public if its name has no leading underscore; it is an alias if it
    is not a package and every object it exports is defined in another module.
    """
    pkg = importlib.import_module(PACKAGE)
    modules, aliases = [], {}
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_"):
            continue
        full = f"{PACKAGE}.{info.name}"
        try:
            mod = importlib.import_module(full)
        except Exception as exc:  # a broken module still gets its (failing) page
            logger.warning(f"{full}: import failed ({type(exc).__name__}: {exc})",
                           type="textures_docs", subtype="import")  # fmt: skip
            modules.append(full)
            continue
        names = getattr(mod, "__all__", [])
        owners = {getattr(getattr(mod, n, None), "__module__", None) for n in names} - {None}
        if not info.ispkg and owners and all(not o.startswith(full) for o in owners):
            aliases[full] = (mod.__doc__ or "").strip().splitlines()[0]
        else:
            modules.append(full)
    rank = {f"{PACKAGE}.{m}": i for i, m in enumerate(MODULE_ORDER)}
    modules.sort(key=lambda m: (rank.get(m, len(rank)), m))
    return modules, aliases


# --- executed notebooks ----------------------------------------------------------------
def _is_valid_run(source_nb, executed: Path, allow_errors: bool = False) -> bool:
    try:
        nb = nbformat.read(executed, as_version=4)
    except Exception:
        return False
    if nb.metadata.get("papermill", {}).get("parameters"):
        return False  # run with other parameters than the defaults
    if code_sources(nb) != code_sources(source_nb):
        return False  # run of an older version of the notebook
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.get("execution_count") is None and cell.source.strip() and not allow_errors:
            return False
        if not allow_errors and any(o.output_type == "error" for o in cell.get("outputs", [])):
            return False
    return True


def find_executed(
    source: Path, runs_dirs: list[Path], cache_dir: Path, *, allow_errors: bool = False
) -> Path | None:
    """The newest executed copy of ``source`` that matches it and ran without error.

    Looked for as ``RUNS/NAME.ipynb`` and ``RUNS/*/NAME.ipynb`` (``make run`` writes
    ``runs/<timestamp>/NAME.ipynb``) for each folder of ``runs_dirs``, and in
    ``cache_dir``. A copy counts if its code cells equal the notebook's (papermill's
    injected-parameters cell aside), it was run with the default parameters, every
    code cell ran and none raised (unless ``allow_errors``).
    """
    source_nb = nbformat.read(source, as_version=4)
    candidates = [cache_dir / source.name]
    for d in runs_dirs:
        candidates += [d / source.name, *d.glob(f"*/{source.name}")]
    valid = [p for p in candidates if p.is_file() and _is_valid_run(source_nb, p, allow_errors)]
    return max(valid, key=lambda p: p.stat().st_mtime, default=None)


def build_command(root: Path, *, fresh: bool = False) -> list[str]:
    """The command of ``make docs``: ``docs/`` -> ``docs/_build/html``, warnings in
    ``docs/_build/warnings.log``; ``fresh`` re-reads every page (``-E``), so that
    the warnings log lists the warnings of the whole site, not only of changed pages."""
    build = Path(root) / "docs" / "_build"
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "--keep-going"]
    cmd += ["-E"] if fresh else []
    cmd += ["-w", str(build / "warnings.log"), str(Path(root) / "docs"), str(build / "html")]
    return cmd


def _site_sources(root: Path):
    root = Path(root)
    generated = {"_build", "_generated", "api", "notebooks"}  # written by the build
    for p in (root / "docs").rglob("*"):
        if p.is_file() and p.relative_to(root / "docs").parts[0] not in generated:
            yield p
    yield from (root / "notebooks").glob("*.ipynb")
    yield from (root / PACKAGE).rglob("*.py")
    yield from [root / "BENCHMARKS.md", root / "README.md"]


def site_is_current(root: Path) -> bool:
    """Whether ``docs/_build/html`` was built after every source of the site changed
    (docs/, the notebooks, the package, BENCHMARKS.md, README.md)."""
    index = Path(root) / "docs" / "_build" / "html" / "index.html"
    if not index.is_file():
        return False
    newest = max((p.stat().st_mtime for p in _site_sources(root) if p.exists()), default=0.0)
    return index.stat().st_mtime > newest


def build_site(root: Path, *, fresh: bool = False, timeout: float = 1500) -> tuple[Path, Path]:
    """Build the site as ``make docs`` does; return ``(html dir, warnings log)``.

    Used by the tests (tests/test_docs.py builds it fresh, the browser suite reuses
    it when :func:`site_is_current`). Raises RuntimeError with Sphinx's output if
    the build fails."""
    root = Path(root)
    (root / "docs" / "_build").mkdir(parents=True, exist_ok=True)
    threads = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env = {**threads, **os.environ, "TQDM_DISABLE": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    cmd = build_command(root, fresh=fresh)
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    build = root / "docs" / "_build"
    return build / "html", build / "warnings.log"


def package_mtime() -> float:
    """Latest modification time of the package's Python files."""
    spec = importlib.util.find_spec(PACKAGE)
    root = Path(spec.origin).parent
    return max(p.stat().st_mtime for p in root.rglob("*.py"))


def execute_into_cache(source: Path, cache_dir: Path) -> Path:
    """Execute ``source`` with its defaults into ``cache_dir`` (the project's runner)."""
    from textures_nb.runner.execute import execute_notebook

    out = cache_dir / source.name
    logger.info(f"[textures_docs] executing {source.name} (no up-to-date executed copy)")
    run = execute_notebook(source, out, cwd=source.parent, env={"TQDM_DISABLE": "1"})
    if run.status != "ok":
        logger.warning(
            f"{source.name}: execution failed (cell {run.cell}: {run.error}); the page "
            "shows the error",
            type="textures_docs",
            subtype="execution",
        )
    else:
        logger.info(f"[textures_docs] {source.name}: {run.seconds:.0f} s")
    return out


# --- page content ----------------------------------------------------------------------
def plotly_html(fig: dict, div_id: str) -> str:
    """A div drawn by the page's plotly.js, with the figure JSON embedded beside it."""
    spec = json.dumps(fig, separators=(",", ":")).replace("</", "<\\/")
    return (
        f'<div class="textures-plotly" id="{div_id}"></div>\n'
        f'<script type="{PLOTLY_MIME}" id="{div_id}-json">{spec}</script>\n'
        "<script>(function(){"
        f'var el=document.getElementById("{div_id}");'
        f'var fig=JSON.parse(document.getElementById("{div_id}-json").textContent);'
        "var cfg=Object.assign({responsive:true,displaylogo:false},fig.config||{});"
        "var layout=Object.assign({},fig.layout||{});"
        # a figure wider than the page is narrowed to it (JupyterLab's area is wider)
        "if(layout.width&&el.clientWidth&&layout.width>el.clientWidth){layout.width=el.clientWidth;}"
        "function draw(){Plotly.newPlot(el,fig.data||[],layout,cfg);}"
        "if(window.Plotly){draw();}else{window.addEventListener('load',draw);}"
        "})();</script>"
    )


def widget_note(binder: str) -> str:
    return (
        '<p class="textures-widget-note">An interactive widget is shown here in '
        f'JupyterLab: <a href="{html.escape(binder)}">launch this notebook on Binder</a> '
        "to use it.</p>"
    )


def binder_block(binder: str) -> str:
    return (
        f'<p class="textures-binder"><a class="textures-binder-link" '
        f'href="{html.escape(binder)}">Launch this notebook on Binder</a> '
        "(runs in your browser, nothing to install).</p>"
    )


def prepare_notebook(source: Path, executed: Path | None, binder: str):
    """The page version of ``source``: outputs of ``executed``, Binder link, local plotly."""
    nb = nbformat.read(source, as_version=4)
    if executed is not None:
        ran = nbformat.read(executed, as_version=4)
        ran_code = [
            c for c in ran.cells
            if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])
        ]  # fmt: skip
        code = [c for c in nb.cells if c.cell_type == "code"]
        for cell, done in zip(code, ran_code, strict=False):
            cell.outputs = copy.deepcopy(done.get("outputs", []))
            cell.execution_count = done.get("execution_count")
        if "language_info" in ran.metadata:
            nb.metadata["language_info"] = ran.metadata["language_info"]
    stem = source.stem
    n_fig = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data")
            if out.output_type not in ("display_data", "execute_result") or not data:
                continue
            if PLOTLY_MIME in data:
                n_fig += 1
                out["data"] = {"text/html": plotly_html(data[PLOTLY_MIME], f"{stem}-fig{n_fig}")}
            elif WIDGET_MIME in data:
                text = data.get("text/plain", "")
                if _PROGRESS.search(text):
                    out["data"] = {"text/plain": text}
                else:
                    out["data"] = {"text/html": widget_note(binder)}
            out["metadata"] = {}
    # the Binder link goes right under the title of the first markdown cell
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    block = binder_block(binder)
    if first is not None and first.source.lstrip().startswith("# "):
        title, _, rest = first.source.lstrip().partition("\n")
        first.source = f"{title}\n\n{block}\n\n{rest}"
    else:
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(block))
    nb.metadata.pop("widgets", None)
    return nb


def first_figure(nb) -> dict | None:
    """The first plotly figure holding an image or heatmap, else the first figure."""
    figs = []
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            fig = out.get("data", {}).get(PLOTLY_MIME)
            if fig is not None:
                figs.append(fig)
    for fig in figs:
        if any(t.get("type") in ("heatmap", "image") for t in fig.get("data", [])):
            return fig
    return figs[0] if figs else None


def chromium() -> str | None:
    for cand in (os.environ.get("BROWSER_PATH"), "/usr/bin/chromium", "chromium",
                 "chromium-browser", "google-chrome"):  # fmt: skip
        if cand and shutil.which(cand):
            return shutil.which(cand)
    return None


def render_thumbnail(fig: dict, plotly_js: Path, out: Path) -> bool:
    """Screenshot ``fig`` with headless Chromium into ``out`` (PNG); False if impossible."""
    browser = chromium()
    if browser is None:
        return False
    fig = copy.deepcopy(fig)
    layout = fig.setdefault("layout", {})
    w = int(min(layout.get("width") or 900, 1000))
    h = int(min(layout.get("height") or 450, 900))
    layout.update(width=w, height=h, title=None, margin={"l": 5, "r": 5, "t": 25, "b": 5})
    spec = json.dumps(fig).replace("</", "<\\/")
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<script src='{plotly_js.resolve().as_uri()}'></script>"
        "<style>body{margin:0;background:#fff}</style></head><body><div id='f'></div>"
        f"<script>var fig={spec};"
        "Plotly.newPlot('f',fig.data,fig.layout,{staticPlot:true});</script></body></html>"
    )
    with tempfile.TemporaryDirectory(prefix="textures-docs-") as tmp:
        page_path = Path(tmp) / "fig.html"
        page_path.write_text(page)
        shot = Path(tmp) / "shot.png"
        cmd = [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--allow-file-access-from-files", f"--user-data-dir={tmp}/profile",
            f"--window-size={w},{h}", "--virtual-time-budget=10000",
            f"--screenshot={shot}", page_path.as_uri(),
        ]  # fmt: skip
        try:
            subprocess.run(cmd, capture_output=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
        if not shot.is_file() or shot.stat().st_size == 0:
            return False
        out.parent.mkdir(parents=True, exist_ok=True)
        _trim(shot, out)
    return True


def _trim(png: Path, out: Path, pad: int = 6) -> None:
    """Crop the uniform border (the page colour) around a screenshot, shrink to THUMB_SIZE."""
    from PIL import Image, ImageChops

    img = Image.open(png).convert("RGB")
    bg = Image.new("RGB", img.size, img.getpixel((0, 0)))
    box = ImageChops.difference(img, bg).getbbox()
    if box:
        left, top, right, bottom = box
        img = img.crop((max(left - pad, 0), max(top - pad, 0), min(right + pad, img.width),
                        min(bottom + pad, img.height)))  # fmt: skip
    img.thumbnail(THUMB_SIZE)
    img.save(out, optimize=True)


def _summary(nb) -> tuple[str, str]:
    """Title and one-line blurb (first 'What you will learn' bullet) of a notebook."""
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    lines = first.strip().splitlines()
    title = lines[0].lstrip("# ").strip() if lines else ""
    blurb, inside = [], False
    for ln in lines:  # the first bullet with its continuation lines
        if ln.strip().startswith("- "):
            if inside:
                break
            inside = True
            blurb.append(ln.strip()[2:])
        elif inside and ln.startswith((" ", "\t")) and ln.strip():
            blurb.append(ln.strip())
        elif inside:
            break
    blurb = re.sub(r"[`*]", "", " ".join(blurb)).rstrip(";,.:")
    return title, blurb


# --- references ------------------------------------------------------------------------
_SECTION = re.compile(r"^References\n-{4,}\n(.*?)(?:\n\S[^\n]*\n-{4,}\n|\Z)", re.S | re.M)
_ENTRY = re.compile(r"(?<=[.)])\s+(?=[A-Z][A-Za-z\-]+(?:,| \(| et al\.))")


def module_references(module: str) -> list[str]:
    """Entries of the ``References`` section of a module's docstring."""
    try:
        doc = importlib.import_module(module).__doc__ or ""
    except Exception:
        return []
    match = _SECTION.search(doc)
    if not match:
        return []
    text = " ".join(match.group(1).split())
    return [e.strip() for e in _ENTRY.split(text) if e.strip()]


def package_imports(module: str) -> set[str]:
    """Public package modules that ``module`` imports (relative or absolute)."""
    spec = importlib.util.find_spec(module)
    tree = ast.parse(Path(spec.origin).read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = f"{PACKAGE}.{base}" if base else PACKAGE
            if base == PACKAGE:
                found |= {f"{PACKAGE}.{a.name}" for a in node.names}
            elif base.startswith(PACKAGE + "."):
                found.add(".".join(base.split(".")[:2]))
        elif isinstance(node, ast.Import):
            found |= {".".join(a.name.split(".")[:2]) for a in node.names
                      if a.name.startswith(PACKAGE + ".")}  # fmt: skip
    return found


def notebook_modules(nb, modules: list[str]) -> list[str]:
    """Public modules a notebook uses, directly or through the modules it calls."""
    code = "\n".join(code_sources(nb))
    used = {m for m in modules if re.search(rf"\b{m.split('.')[-1]}\b", code)}
    used = {m for m in used if re.search(rf"{PACKAGE}(\.| import [^\n]*\b){m.split('.')[-1]}\b",
                                          code)}  # fmt: skip
    todo = list(used)
    while todo:
        for dep in package_imports(todo.pop()) & set(modules):
            if dep not in used:
                used.add(dep)
                todo.append(dep)
    return [m for m in modules if m in used]


def references_page(app, notebooks: list[Path], modules: list[str]) -> str:
    cfg = app.config
    lines = [
        "## Cite the toolbox",
        "",
        "```bibtex",
        "@software{textures_nb,",
        "  title = {textures-nb: multiscale statistics meets deep learning for "
        "multivariate textures},",
        f"  author = {{{cfg.author}}},",
        f"  version = {{{cfg.release}}},",
        f"  url = {{{cfg.textures_repository_url}}},",
        "}",
        "```",
        "",
        "## Methods used by each notebook",
        "",
        "Found from each notebook's imports of the package and the modules those import; "
        "the references are those of the modules' docstrings.",
        "",
    ]
    refs = {m: module_references(m) for m in modules}
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        title, _ = _summary(nb)
        used = notebook_modules(nb, modules)
        lines += [f"### {title}", "", "Modules: " + ", ".join(f"{{mod}}`{m}`" for m in used), ""]
        entries = list(dict.fromkeys(e for m in used for e in refs[m]))
        lines += [f"- {e}" for e in entries] or ["- (no reference in these modules)"]
        lines.append("")
    lines += ["## References by module", ""]
    for m in modules:
        if refs[m]:
            lines += [f"### {{mod}}`{m}`", ""] + [f"- {e}" for e in refs[m]] + [""]
    return "\n".join(lines)


# --- API index -------------------------------------------------------------------------
def api_index(modules: list[str], aliases: dict[str, str]) -> str:
    lines = [
        "API reference",
        "=============",
        "",
        "Generated from the numpydoc docstrings: every public module of ``textures_nb``",
        "is found by walking the package, and each lists the names of its ``__all__``.",
        "",
        ".. automodule:: textures_nb",
        "   :no-members:",
        "",
        ".. autosummary::",
        "   :toctree: generated",
        "   :template: autosummary/module.rst",
        "   :recursive:",
        "",
        *[f"   {m.removeprefix(PACKAGE + '.')}" for m in modules],
        "",
    ]
    if aliases:
        lines += ["Aliases kept for existing code (documented under their new home):", ""]
        lines += [f"- ``{m}``: {d}" for m, d in sorted(aliases.items())]
        lines.append("")
    return "\n".join(lines)


# --- the build -------------------------------------------------------------------------
def _write_if_changed(path: Path, text: str) -> None:
    """Write only when the content changes, so Sphinx's incremental build stays valid."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)


def plotly_js_name() -> str:
    import plotly

    return f"plotly-{plotly.__version__}.min.js"


def prepare(app) -> None:
    src = Path(app.srcdir)
    cfg = app.config
    gen = src / "_generated"
    static = gen / "static"
    cache = src / "_build" / ".executed"
    cache.mkdir(parents=True, exist_ok=True)

    js = static / plotly_js_name()
    if not js.is_file():
        from plotly.offline import get_plotlyjs

        static.mkdir(parents=True, exist_ok=True)
        js.write_text(get_plotlyjs())

    notebooks = sorted((src / cfg.textures_notebooks_dir).resolve().glob("*.ipynb"))
    runs = [(src / d).resolve() for d in cfg.textures_runs_dirs]
    def failed_and_fresh(source: Path) -> bool:
        failed = find_executed(source, runs, cache, allow_errors=True)
        # a failed run in the cache is redone only once the package changed
        return failed is not None and failed.parent == cache and (
            failed.stat().st_mtime > package_mtime()
        )

    # the notebooks with no executed copy run first, several at a time (each in its
    # own kernel process; a notebook uses about one core)
    todo = [
        s for s in notebooks
        if cfg.textures_execute_missing and find_executed(s, runs, cache) is None
        and not failed_and_fresh(s)
    ]  # fmt: skip
    workers = min(len(todo), cfg.textures_execute_workers or min(4, os.cpu_count() or 1))
    if workers > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda s: execute_into_cache(s, cache), todo))

    cards = []
    wanted = set()
    for source in notebooks:
        executed = find_executed(source, runs, cache)
        if executed is None:
            failed = find_executed(source, runs, cache, allow_errors=True)
            fresh = failed_and_fresh(source)
            if cfg.textures_execute_missing and not fresh:
                executed = execute_into_cache(source, cache)
            else:
                executed = failed
                logger.warning(
                    f"{source.name}: no executed copy that ran without error; the page "
                    + ("shows no outputs" if failed is None else f"shows the failed run {failed}"),
                    type="textures_docs",
                    subtype="execution",
                )
        else:
            logger.info(f"[textures_docs] {source.name} <- {executed}")
        binder = binder_url(cfg.textures_repository_url, source.name, cfg.textures_binder_ref)
        nb = prepare_notebook(source, executed, binder)
        wanted.add(source.name)
        _write_if_changed(src / "notebooks" / source.name, nbformat.writes(nb))

        ran = nbformat.read(executed, as_version=4) if executed else None
        fig = first_figure(ran) if ran else None
        thumb = None
        if fig is not None:
            key = hashlib.sha1(json.dumps(fig, sort_keys=True).encode()).hexdigest()[:12]
            thumb = static / "thumbs" / f"{source.stem}-{key}.png"
            if not thumb.is_file():
                for old in (static / "thumbs").glob(f"{source.stem}-*.png"):
                    old.unlink()
                if not render_thumbnail(fig, js, thumb):
                    logger.info(f"[textures_docs] no thumbnail for {source.name} (no Chromium)")
                    thumb = None
        title, blurb = _summary(nb)
        img = (
            f'<img src="_static/thumbs/{thumb.name}" alt="first figure of {html.escape(title)}">'
            if thumb else '<div class="textures-nothumb"></div>'
        )  # fmt: skip
        cards.append(
            f'<a class="textures-card" href="notebooks/{source.stem}.html">{img}'
            f'<span class="textures-card-title">{html.escape(title)}</span>'
            f'<span class="textures-card-blurb">{html.escape(blurb)}</span></a>'
        )
    for stale in (src / "notebooks").glob("*.ipynb"):
        if stale.name not in wanted:
            stale.unlink()
    gallery = '<div class="textures-gallery">\n' + "\n".join(cards) + "\n</div>\n"
    _write_if_changed(gen / "gallery.md", gallery)

    modules, aliases = public_modules()
    _write_if_changed(src / "api" / "index.rst", api_index(modules, aliases))
    _write_if_changed(gen / "references.md", references_page(app, notebooks, modules))
    # Sphinx listed the source files before this hook ran: on a fresh clone
    # api/index.rst did not exist yet, and autosummary (next) generates stubs only
    # for listed files. List them again.
    app.env.find_files(app.config, app.builder)


def _import_object(name: str):
    """The object called ``name`` (``pkg.module.Class.attr``), or None."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except Exception:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


_ROLE_TYPES = {
    "func": {"function"}, "meth": {"method", "classmethod", "staticmethod"},
    "class": {"class", "exception"}, "exc": {"exception", "class"},
    "attr": {"attribute", "property"}, "data": {"data"}, "mod": {"module"},
}  # fmt: skip


def _by_suffix(env, name: str, role: str) -> str | None:
    """The one documented object whose full name ends with ``.name`` (as ``.name`` does)."""
    types = _ROLE_TYPES.get(role)
    found = [
        full for full, entry in env.get_domain("py").objects.items()
        if full.endswith("." + name) and (types is None or entry.objtype in types)
    ]  # fmt: skip
    return found[0] if len(found) == 1 else None


def resolve_reexport(app, env, node, contnode):
    """Resolve a Python reference the domain missed.

    ``pkg.alias.name`` (an alias module such as ``textures_nb.batch``, or a
    package's re-export) links to where the object is documented; a bare ``name``
    or ``Class.name`` links to the one documented object so named, if unique.
    """
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip("~.")
    module, cls = node.get("py:module"), node.get("py:class")
    candidates = [target]
    if module:
        candidates += [f"{module}.{cls}.{target}"] if cls else []
        candidates.append(f"{module}.{target}")
    reals = []
    for cand in candidates:
        if not cand.startswith(PACKAGE):
            continue
        obj = _import_object(cand)
        if obj is None:
            continue
        if hasattr(obj, "__qualname__") and hasattr(obj, "__module__"):
            real = f"{obj.__module__}.{obj.__qualname__}"
        elif isinstance(obj, type(importlib)):
            real = obj.__name__
        else:
            continue
        if real != cand:
            reals.append(real)
    if not target.startswith(PACKAGE):
        unique = _by_suffix(env, target, node["reftype"])
        if unique:
            reals.append(unique)
    domain = env.get_domain("py")
    for real in reals:
        new = node.deepcopy()
        new["reftarget"] = real
        for role in (node["reftype"], "obj"):
            found = domain.resolve_xref(env, node["refdoc"], app.builder, role, real, new, contnode)
            if found is not None:
                return found
    return None


def is_external(target: str, role: str = "obj") -> bool:
    """True for names of other libraries, builtins and private textures_nb helpers."""
    target = target.lstrip("~.")
    head = target.split(".")[0]
    if head == PACKAGE:
        return any(part.startswith("_") for part in target.split(".")[1:])
    if hasattr(builtins, head):
        return True
    if "." not in target and role != "mod":
        return False
    try:
        return importlib.util.find_spec(head) is not None
    except (ImportError, ValueError):
        return False


def drop_external_warning(app, domain, node) -> bool | None:
    if node.get("refdomain") == "py" and is_external(node["reftarget"], node.get("reftype", "obj")):
        return True  # handled: no warning
    return None


def remove_stale_stubs(app) -> None:
    """Delete autosummary stubs of objects that no documented module lists any more
    (renamed or removed functions; autosummary itself never deletes a stub)."""
    gen = Path(app.srcdir) / "api" / "generated"
    if not gen.is_dir():
        return
    modules, _ = public_modules()
    documented = set(modules)
    for m in modules:  # public submodules of packages
        mod = _import_object(m)
        if hasattr(mod, "__path__"):
            documented |= {f"{m}.{i.name}" for i in pkgutil.walk_packages(mod.__path__)
                           if not any(p.startswith("_") for p in i.name.split("."))}  # fmt: skip
    for stub in gen.glob("*.rst"):
        name = stub.stem
        parent, _, leaf = name.rpartition(".")
        mod = _import_object(parent) if parent in documented else None
        keep = name in documented or (
            mod is not None
            and not hasattr(mod, "__path__")  # package pages list their submodules only
            and leaf in getattr(mod, "__all__", dir(mod))
        )
        if not keep:
            stub.unlink()


def add_page_scripts(app, pagename, templatename, context, doctree) -> None:
    if pagename.startswith("notebooks/"):
        app.add_js_file(plotly_js_name())


def _make_static_dir(app, config) -> None:
    (Path(app.srcdir) / "_generated" / "static").mkdir(parents=True, exist_ok=True)


def setup(app):
    app.add_config_value("textures_repository_url", "https://github.com/OWNER/REPO", "html")
    app.add_config_value("textures_binder_ref", "HEAD", "html")
    app.add_config_value("textures_notebooks_dir", "../notebooks", "env")
    app.add_config_value("textures_runs_dirs", ["../runs"], "env")
    app.add_config_value("textures_execute_missing", True, "env")
    app.add_config_value("textures_execute_workers", 0, "env")  # 0: min(4, cores)
    app.connect("config-inited", _make_static_dir)
    # before autosummary (priority 500) reads api/index.rst
    app.connect("builder-inited", prepare, priority=100)
    app.connect("html-page-context", add_page_scripts)
    app.connect("missing-reference", resolve_reexport)
    app.connect("warn-missing-reference", drop_external_warning)
    app.connect("builder-inited", remove_stale_stubs, priority=900)  # after autosummary
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
