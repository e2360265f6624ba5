"""Sphinx configuration of the textures-nb site (``make docs``).

Sphinx + MyST-NB + autosummary/numpydoc, built fully offline: no intersphinx,
MathJax and plotly.js served from ``_static`` (both come from PyPI packages),
notebooks taken already executed (``make run``'s ``runs/``) or executed once into
a cache. The site-specific work (finding executed notebooks, interactive plotly
outputs, Binder links, thumbnails, API and references pages) is done by the local
extension ``_ext/textures_docs.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(ROOT))

import textures_nb  # noqa: E402

# --- the one place for the repository -------------------------------------------
# Binder links on every notebook page, the README's Binder section and the "how to
# cite" page are built from this URL (tests/test_docs.py checks the README agrees).
textures_repository_url = "https://github.com/OWNER/REPO"
textures_binder_ref = "HEAD"

# Where executed notebooks are looked for, newest first; a notebook with no
# up-to-date executed copy there is executed once into docs/_build/.executed.
textures_notebooks_dir = "../notebooks"
textures_runs_dirs = ["../runs"]
textures_execute_missing = True
textures_execute_workers = 0  # notebooks executed at a time; 0: min(4, CPU cores)

# --- project --------------------------------------------------------------------
project = "textures-nb"
author = "textures-nb contributors"
copyright = "2026, textures-nb contributors"
release = version = textures_nb.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 copied into _static (no CDN)
    "numpydoc",
    "myst_nb",
    "textures_docs",
]

exclude_patterns = ["_build", "_generated", "_templates", "**.ipynb_checkpoints", ".DS_Store"]
templates_path = ["_templates"]
html_static_path = ["_static", "_generated/static"]
html_css_files = ["textures-docs.css"]
suppress_warnings = ["myst.header"]  # notebooks' heading levels are their own

# --- API reference ----------------------------------------------------------------
autosummary_generate = True
autosummary_ignore_module_all = False  # a module's __all__ is its public API
autosummary_imported_members = False
autodoc_typehints = "none"  # the numpydoc sections give types, shapes and units
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# Every :func:, :class:, See Also entry must resolve. Names from other libraries
# cannot (no intersphinx inventory is fetched offline): textures_docs drops the
# warnings whose target is an importable module other than textures_nb, a builtin,
# or a private textures_nb helper.
nitpicky = True
autodoc_inherit_docstrings = False  # torch's docstrings refer to torch's own names

# --- notebooks (MyST-NB) ----------------------------------------------------------
nb_execution_mode = "off"  # executed copies are prepared by textures_docs
nb_ipywidgets_js: dict = {}  # never load the widget manager from a CDN
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "html_image"]
myst_heading_anchors = 3

# --- HTML -----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = "textures-nb"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_align": "left",
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
}
# notebook pages drop the left sidebar (the notebooks are in the top bar and the
# previous/next links) so that figures sized for JupyterLab's ~1000 px fit
html_sidebars = {"notebooks/*": [], "cite": [], "benchmarks": [], "notebooks": []}
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
