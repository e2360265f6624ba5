"""Widget callbacks, tested without a browser (tests/browser moves them in JupyterLab)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from textures_nb.processes import mrw_log_cumulants
from textures_nb.widgets import FigureArea, figure_bundle, mrw_explorer, mrw_log_scale_figure

PLOTLY = "application/vnd.plotly.v1+json"


def _estimates(fig) -> tuple[float, float]:
    """(c1, c2) estimated by the callback, read from the figure's title."""
    m = re.search(r"c1=(-?[\d.]+) .*c2=(-?[\d.]+) ", fig.layout.title.text)
    return float(m.group(1)), float(m.group(2))


def test_figure_reports_estimates_against_truth():
    fig = mrw_log_scale_figure(0.7, 0.2, n=2**14, seed=0)
    truth = mrw_log_cumulants(0.7, 0.2)
    assert f"truth {truth['c1']:.3f}" in fig.layout.title.text
    # two panels (C1, C2): points, fit and truth line for each
    assert len(fig.data) == 6


@pytest.mark.parametrize("H", [0.6, 0.8])
def test_lam_zero_is_fbm(H):
    # Known truth of fBm: c1 = H, c2 = 0. Five realisations of 2**13 samples, fit
    # octaves 3-9: the estimates spread by about 0.02 (c1) and 0.01 (c2).
    est = np.array([_estimates(mrw_log_scale_figure(H, 0.0, n=2**13, seed=s)) for s in range(5)])
    assert np.all(np.abs(est[:, 0] - H) < 0.06)
    assert abs(est[:, 0].mean() - H) < 0.025
    assert np.all(np.abs(est[:, 1]) < 0.03)
    assert abs(est[:, 1].mean()) < 0.015


def test_intermittency_shows_in_c2():
    # MRW with lam = 0.3: c2 = -lam**2 = -0.09, far from fBm's 0.
    est = np.array([_estimates(mrw_log_scale_figure(0.7, 0.3, n=2**13, seed=s)) for s in range(5)])
    assert np.all(est[:, 1] < -0.05)
    assert abs(est[:, 1].mean() - (-0.09)) < 0.03
    assert "truth 0.000" in mrw_log_scale_figure(0.6, 0.0, n=2**10, seed=0).layout.title.text


def test_figure_bundle_is_plotly_json():
    fig = mrw_log_scale_figure(0.7, 0.2, n=2**12, seed=0)
    bundle = figure_bundle(fig)
    spec = json.loads(json.dumps(bundle[PLOTLY]))  # plain JSON for the frontend
    assert len(spec["data"]) == 6 and spec["layout"]["title"]["text"] == fig.layout.title.text
    assert "width" not in spec["layout"]  # follows the output area


def _shown_title(w) -> str:
    (output,) = w.area.widget.outputs
    return output["data"][PLOTLY]["layout"]["title"]["text"]


def test_explorer_sliders_redraw_its_output():
    pytest.importorskip("ipywidgets")
    w = mrw_explorer(n=2**12, seed=0, figure_widget=False)
    h_slider, lam_slider = w.children[:2]
    assert (h_slider.description, lam_slider.description) == ("H", "lam")
    assert "H=0.70, lam=0.20" in _shown_title(w)
    lam_slider.value = 0.3  # the observer redraws
    assert "lam=0.30" in w.figure.layout.title.text
    assert "H=0.70, lam=0.30" in _shown_title(w)
    h_slider.value = 0.8
    assert "H=0.80, lam=0.30" in _shown_title(w)
    # one figure shown, replaced rather than appended
    assert len(w.area.widget.outputs) == 1
    assert "application/vnd.jupyter.widget-view+json" in w._repr_mimebundle_()


def test_figure_area_updates_a_figure_widget_in_place():
    pytest.importorskip("anywidget")  # plotly's FigureWidget needs it
    import plotly.graph_objects as go

    area = FigureArea(figure_widget=True)
    area.show(mrw_log_scale_figure(0.7, 0.2, n=2**12, seed=0))
    widget = area.widget
    assert isinstance(widget, go.FigureWidget) and len(widget.data) == 6
    area.show(mrw_log_scale_figure(0.7, 0.3, n=2**12, seed=0))
    assert area.widget is widget and "lam=0.30" in widget.layout.title.text
    np.testing.assert_allclose(widget.data[0].y, area.figure.data[0].y)


@pytest.mark.slow
def test_explorer_runs_under_papermill(tmp_path):
    # An Output widget captured with `with out:` once stalled papermill runs of
    # notebook 01; the explorer replaces the Output's outputs instead.
    papermill = pytest.importorskip("papermill")
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from textures_nb.widgets import mrw_explorer"),
        nbformat.v4.new_code_cell("w = mrw_explorer(n=2**12, seed=0)\nw"),
        nbformat.v4.new_code_cell("w.children[1].value = 0.3\nprint(w.figure.layout.title.text)"),
    ]
    src, out = tmp_path / "explorer.ipynb", tmp_path / "out.ipynb"
    nbformat.write(nb, src)
    papermill.execute_notebook(
        str(src), str(out), kernel_name="python3", progress_bar=False, execution_timeout=120
    )
    done = nbformat.read(out, as_version=4)
    assert "lam=0.30" in done.cells[2].outputs[0]["text"]
    widget_state = done.metadata.get("widgets", {})
    assert widget_state or done.cells[1].outputs  # the explorer was displayed


def test_bad_length():
    with pytest.raises(ValueError, match="`n`"):
        mrw_log_scale_figure(0.7, 0.2, n=64)


# --------------------------------------------------------------------------
# Pair judge (textures_nb.widgets.PairJudge): callbacks without a browser
# --------------------------------------------------------------------------


def _judge(tmp_path, **kwargs):
    from textures_nb.feedback import PairStore
    from textures_nb.widgets import PairJudge

    images = np.random.default_rng(0).normal(size=(12, 16, 16))
    store = PairStore(tmp_path / "pairs.jsonl", n_items=12, who="ana")
    return PairJudge(images, store, **kwargs), store


def test_pair_judge_buttons_write_at_once(tmp_path):
    from textures_nb.feedback import PairStore

    judge, store = _judge(tmp_path, pairs=[(0, 1), (2, 3), (4, 5)])
    assert judge.current == (0, 1)
    judge.buttons["same"].click()
    judge.buttons["different"].click()
    assert judge.current == (4, 5)
    assert PairStore(tmp_path / "pairs.jsonl").pairs() == [(0, 1, True), (2, 3, False)]
    judge.buttons["undo"].click()  # withdraws (2, 3) and shows it again
    assert judge.current == (2, 3) and len(PairStore(tmp_path / "pairs.jsonl")) == 1
    judge.buttons["unsure"].click()
    assert judge.current == (4, 5)
    assert store.records[-1]["answer"] == "unsure" and store.records[-1]["who"] == "ana"
    judge.answer("same")
    assert judge.current is None and "no pair left" in judge.status.value
    judge.answer("same")  # nothing on screen: nothing recorded
    assert len(store) == 3


def test_pair_judge_resumes_and_skips_judged_pairs(tmp_path):
    judge, store = _judge(tmp_path, pairs=[(0, 1), (2, 3)])
    judge.answer("same")
    # restart: a new judge on the same file and the same queue skips (0, 1)
    judge2, _ = _judge(tmp_path, pairs=[(1, 0), (2, 3)])
    assert judge2.current == (2, 3)


def test_pair_judge_refills_from_features(tmp_path):
    F = np.random.default_rng(1).normal(size=(12, 3))
    judge, store = _judge(tmp_path, features=F, batch=4, n_context=2)
    seen = set()
    for _ in range(10):
        i, j = judge.current
        seen.add((min(i, j), max(i, j)))
        judge.answer("different")
    assert len(seen) == 10 and len(store) == 10  # never the same pair twice
    # each side shows the item and its 2 neighbours
    left = judge._panels[0].children
    assert len(left[3].children) == 2
