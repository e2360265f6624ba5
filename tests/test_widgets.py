"""Widget callbacks, tested without a browser."""

from __future__ import annotations

import pytest

from textures_nb.processes import mrw_log_cumulants
from textures_nb.widgets import mrw_explorer, mrw_log_scale_figure


def test_figure_reports_estimates_against_truth():
    fig = mrw_log_scale_figure(0.7, 0.2, n=2**14, seed=0)
    truth = mrw_log_cumulants(0.7, 0.2)
    assert f"truth {truth['c1']:.3f}" in fig.layout.title.text
    # two panels (C1, C2): points, fit and truth line for each
    assert len(fig.data) == 6


def test_lam_zero_is_fbm():
    fig = mrw_log_scale_figure(0.6, 0.0, n=2**13, seed=1)
    assert "truth 0.600" in fig.layout.title.text


def test_explorer_sliders_drive_the_callback():
    pytest.importorskip("ipywidgets")
    w = mrw_explorer(n=2**12, seed=0)
    h_slider, lam_slider = w.children[:2]
    assert (h_slider.description, lam_slider.description) == ("H", "lam")
    lam_slider.value = 0.3  # the observer redraws
    assert "lam=0.30" in w.figure.layout.title.text
    h_slider.value = 0.8
    assert "H=0.80, lam=0.30" in w.figure.layout.title.text


def test_explorer_updates_its_display_in_place():
    pytest.importorskip("ipywidgets")
    w = mrw_explorer(n=2**12, seed=0)
    updated = []

    class Handle:
        def update(self, fig):
            updated.append(fig)

    w._handle = Handle()
    w.children[1].value = 0.1
    assert updated and updated[-1] is w.figure and "lam=0.10" in w.figure.layout.title.text


def test_bad_length():
    with pytest.raises(ValueError, match="`n`"):
        mrw_log_scale_figure(0.7, 0.2, n=64)
