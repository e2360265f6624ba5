"""Figures fit a notebook's output area; display helpers (PNG, palette)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from textures_nb import plotting
from textures_nb._shared.display import palette, png_bytes, png_data_uri, to_uint8
from textures_nb.processes import fbm

AREA = 980  # widest plotly figure a JupyterLab output area shows uncut (about 970-1030 px)


def _panels(fig):
    """Planned on-screen size (px) of each image panel, for a figure FIGURE_WIDTH wide."""
    lay = fig.layout
    plot_h = lay.height - lay.margin.t - lay.margin.b
    plot_w = plotting.FIGURE_WIDTH - lay.margin.l - lay.margin.r
    sizes = []
    for k in range(len(fig.data)):
        ax = "" if k == 0 else str(k + 1)
        xd, yd = lay[f"xaxis{ax}"].domain, lay[f"yaxis{ax}"].domain
        sizes.append(((xd[1] - xd[0]) * plot_w, (yd[1] - yd[0]) * plot_h))
    return np.array(sizes)


@pytest.mark.parametrize("n, rows", [(1, 1), (3, 1), (6, 1), (7, 2), (12, 2), (13, 3)])
def test_images_wrap_into_rows_that_fit(n, rows):
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(64, 64)) for _ in range(n)]
    fig = plotting.images(arrays, titles=[f"class<br>{i}" for i in range(n)], height=160)
    assert fig.layout.width is None  # follows the output area
    y_domains = {tuple(fig.layout[f"yaxis{'' if k == 0 else k + 1}"].domain) for k in range(n)}
    assert len(y_domains) == rows
    sizes = _panels(fig)  # planned for a 960 px area, so within it
    assert sizes.min() >= 120  # every panel large enough to show a texture
    # the arrays are shown as given (hover shows the data), each with its own range
    np.testing.assert_array_equal(fig.data[n - 1].z, arrays[-1])
    lo, hi = np.percentile(arrays[0], [0.5, 99.5])
    assert fig.data[0].zmin == pytest.approx(lo) and fig.data[0].zmax == pytest.approx(hi)


def test_notebook_05_class_strip_fits():
    # Notebook 05's "One patch per class": 12 patches of 64 x 64, height=160, two-line titles
    # (was one row 2020 px wide and 160 px tall, half the classes off-screen).
    fig = plotting.images([np.eye(64)] * 12, titles=["a<br>b"] * 12, height=160)
    sizes = _panels(fig)
    assert len({tuple(fig.layout.yaxis.domain), tuple(fig.layout.yaxis7.domain)}) == 2
    assert sizes.min() >= 140


def test_images_show_rgb_and_cap_columns():
    rgb = np.random.default_rng(1).uniform(size=(32, 48, 3))
    fig = plotting.images([rgb, rgb[..., 0]], max_cols=1)
    assert fig.data[0].type == "image" and fig.data[1].type == "heatmap"
    assert fig.data[0].z.dtype == np.uint8
    assert len({fig.layout.yaxis.domain, fig.layout.yaxis2.domain}) == 2


@pytest.mark.parametrize(
    "arrays, kwargs, match",
    [
        ([], {}, "`arrays`"),
        ([np.zeros(5)], {}, "`arrays`"),
        ([np.zeros((4, 4))], {"titles": ["a", "b"]}, "`titles`"),
        ([np.zeros((4, 4))], {"max_cols": 0}, "`max_cols`"),
    ],
)
def test_images_bad_input(arrays, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plotting.images(arrays, **kwargs)


def test_log_scale_diagrams_fit_and_tell_series_apart():
    from textures_nb.multiscale import log_cumulants

    results = [
        log_cumulants(fbm(2**12, h, seed=0), scales=(3, 8), n_boot=0) for h in (0.3, 0.5, 0.7)
    ]
    fig = plotting.log_scale_diagrams(results, names=["a", "b", "c"], truth={"c1": 0.3})
    assert fig.layout.width is None or fig.layout.width <= AREA
    assert fig.layout.legend.orientation == "h"  # below the panels, not right of them
    markers = {tr.marker.color for tr in fig.data if tr.mode == "markers"}
    assert len(markers) == 3  # one colour per series


def test_palette_gives_distinct_colours():
    for n in (1, 10, 12, 24, 60, 100):
        colours = palette(n)
        assert len(colours) == n and len({c.lower() for c in colours}) == n
    assert palette(12)[:10] == palette(10)  # growing n keeps the first colours
    # told apart at a glance: no two of 24 colours closer than D3's closest pair
    # ("redmean" RGB distance 113), none close to the white background
    from itertools import combinations

    from textures_nb._shared.display import _distance, _rgb

    rgb = [_rgb(c) for c in palette(24)]
    assert min(_distance(a, b) for a, b in combinations(rgb, 2)) >= 110
    assert min(_distance(a, (255, 255, 255)) for a in rgb) >= 140
    with pytest.raises(ValueError, match="`n`"):
        palette(-1)


def test_png_round_trip():
    from PIL import Image

    img = np.linspace(-3.0, 5.0, 20 * 30).reshape(20, 30)
    decoded = np.asarray(Image.open(io.BytesIO(png_bytes(img))))
    assert decoded.shape == (20, 30) and decoded.dtype == np.uint8
    assert decoded.min() == 0 and decoded.max() == 255  # stretched to the full range
    assert np.all(np.diff(decoded.astype(int), axis=1) >= 0)  # order kept
    small = Image.open(io.BytesIO(png_bytes(img, width=15)))
    assert small.size == (15, 10)
    rgb = Image.open(io.BytesIO(png_bytes(np.zeros((3, 8, 8)), height=4)))
    assert rgb.mode == "RGB" and rgb.size == (4, 4)
    assert png_data_uri(img).startswith("data:image/png;base64,")
    assert to_uint8(np.full((4, 4), 7.0)).max() == 0  # flat image: no division by zero
    with pytest.raises(ValueError, match="`image`"):
        png_bytes(np.zeros((2, 3, 4, 5)))


@pytest.mark.parametrize(
    "w, h, visible, std, problem",
    [
        (150, 150, 1.0, 30.0, None),
        (822, 23, 1.0, 30.0, None),  # a thin band of class colours is meant to be thin
        (2, 2, 1.0, 30.0, "too small"),  # notebook 05's strip before the fix
        (50, 50, 1.0, 30.0, "too small"),  # 05's neighbours before the fix
        (120, 40, 1.0, 30.0, "too small"),
        (150, 150, 0.0, 0.0, "cut off"),
        (150, 150, 1.0, 0.5, "blank"),
    ],
)
def test_browser_panel_rules(w, h, visible, std, problem):
    from textures_nb.runner.gallery import Panel

    found = Panel(cell=0, label="x", width=w, height=h, visible_fraction=visible, std=std).problem
    assert (found is None) if problem is None else found.startswith(problem)
