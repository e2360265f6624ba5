"""The browser checks can fail: a fixture notebook with known defects beside healthy twins.

The notebook is written by the test: an over-wide figure, a slider whose
callback does nothing, a slider that updates a plotly figure through a display
handle (dropped by JupyterLab), a blank image strip, an image strip squeezed to a few
pixels, a widget whose model does not exist, a console error and a raising cell;
each next to a healthy version that must pass the same check.
"""

from __future__ import annotations

import nbformat
import pytest

CELLS = {
    "setup": """
import numpy as np
import ipywidgets as widgets
import plotly.graph_objects as go
from IPython.display import Javascript, display
from textures_nb import plotting, widgets as tw
rng = np.random.default_rng(0)
""",
    "wide": """
go.Figure(go.Scatter(y=[1, 3, 2]), layout=dict(width=1400, title="too wide"))
""",
    "fits": """
go.Figure(go.Scatter(y=[1, 3, 2]), layout=dict(title="fits"))
""",
    "blank_strip": """
plotting.images([np.zeros((32, 32))] * 3, titles=["a", "b", "c"], title="blank strip")
""",
    "squeezed_strip": """
fig = go.Figure(go.Heatmap(z=rng.normal(size=(32, 32)), colorscale="gray", showscale=False))
fig.update_layout(height=120, width=300, title="squeezed", margin=dict(t=40, b=40))
fig
""",
    "good_strip": """
plotting.images([rng.normal(size=(32, 32)) for _ in range(2)] + [rng.uniform(size=(32, 32, 3))],
                titles=["x", "y", "rgb"], title="good strip")
""",
    "thumbnails": """
# small layout images at scatter points (as in an embedding) are markers, not panels
from textures_nb._shared.display import png_data_uri
fig = go.Figure(go.Scatter(x=[0, 1, 2], y=[0, 1, 0], mode="markers"), layout=dict(title="thumbs"))
for x in range(3):
    fig.add_layout_image(source=png_data_uri(rng.normal(size=(8, 8))), x=x, y=0.5, sizex=0.3,
                         sizey=0.3, xref="x", yref="y", xanchor="center", yanchor="middle")
fig
""",
    "dead_widget": """
dead = widgets.FloatSlider(value=0.2, min=0.0, max=0.4, step=0.05, description="dead")
area = tw.FigureArea(figure_widget=False)
area.show(go.Figure(go.Scatter(y=[0, 1]), layout=dict(title="dead widget")))
dead.observe(lambda change: None, names="value")  # the bug: the figure is never redrawn
widgets.VBox([dead, area.widget])
""",
    "handle_widget": """
# notebook 01's old explorer: JupyterLab drops display-handle updates of plotly figures
slider = widgets.FloatSlider(value=0.2, min=0.0, max=0.4, step=0.05, description="handle")
display(slider)
handle = display(go.Figure(go.Scatter(y=[0, 1]), layout=dict(title="handle")), display_id=True)
slider.observe(lambda change: handle.update(go.Figure(go.Scatter(y=[1, 0]),
               layout=dict(title=f"handle {change['new']}"))), names="value")
""",
    "live_widget": """
tw.mrw_explorer(n=2**12, seed=0)
""",
    "missing_model": """
display({"application/vnd.jupyter.widget-view+json": {"model_id": "0" * 32,
         "version_major": 2, "version_minor": 0}, "text/plain": "VBox()"}, raw=True)
""",
    "console_error": """
display(Javascript("console.error('fixture: deliberate console error')"))
""",
    "raises": """
raise RuntimeError("fixture: deliberate error")
""",
}


@pytest.fixture(scope="module")
def fixture_view(lab_root, views):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [nbformat.v4.new_code_cell(src.strip(), metadata={"name": name})
                for name, src in CELLS.items()]  # fmt: skip
    nbformat.write(nb, lab_root / "fixtures" / "defects.ipynb")
    view = views("fixtures/defects.ipynb", widget_timeout=8.0)
    index = {name: i for i, name in enumerate(CELLS)}
    return view, index


def _cells(items) -> set[int]:
    return {x.cell for x in items}


def test_flags_an_over_wide_figure_only(fixture_view):
    view, at = fixture_view
    bad = _cells(f for f in view.figures if not f.fits)
    assert at["wide"] in bad
    assert at["fits"] not in bad and at["live_widget"] not in bad


def test_flags_blank_and_squeezed_image_strips_only(fixture_view):
    view, at = fixture_view
    problems = {(p.cell, p.problem.split(" ")[0]) for p in view.panels if p.problem}
    assert (at["blank_strip"], "blank") in problems
    assert (at["squeezed_strip"], "too") in problems
    good = [p for p in view.panels if p.cell == at["good_strip"]]
    assert len(good) == 3 and not any(p.problem for p in good)
    assert not [p for p in view.panels if p.cell == at["thumbnails"]]


def test_flags_a_dead_widget_callback_only(fixture_view):
    view, at = fixture_view
    moved = {(w.cell, w.control): w.changed for w in view.widgets}
    assert moved[(at["dead_widget"], "dead")] is False
    assert moved[(at["handle_widget"], "handle")] is False
    assert moved[(at["live_widget"], "H")] is True
    assert moved[(at["live_widget"], "lam")] is True


def test_flags_errors_placeholders_and_console_errors(fixture_view):
    view, at = fixture_view
    assert [c for c, _ in view.errors] == [at["raises"]]
    assert at["missing_model"] in {c for c, _ in view.placeholders}
    assert any("deliberate console error" in c for c in view.console_errors)
    defects = view.defects()
    for check in ("errors", "placeholders", "console", "figure_width", "image_panels", "widgets"):
        assert defects[check], check
