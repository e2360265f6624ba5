"""Plotly figures for multiscale results.

Figures are returned, never shown, so notebooks decide how to display them
(the default plotly renderer in JupyterLab is the mimetype renderer, which
never embeds plotly.js in the notebook).
"""

from __future__ import annotations

import numpy as np

from ._shared.display import palette

__all__ = ["log_scale_diagrams", "multifractal_spectra", "images"]

# Widest figure, in pixels, planned for a JupyterLab output area (about 970-1030 px
# wide in a 1400 px window); figures themselves set no width and follow the area.
FIGURE_WIDTH = 960

# Kept for modules that still import it; new code calls _shared.display.palette(n).
_COLORS = tuple(palette(10))


def log_scale_diagrams(results, *, truth: dict | None = None, names=None, title: str | None = None):
    """Log-scale diagrams ``C_m(j)`` against scale ``j``, one panel per cumulant.

    Parameters
    ----------
    results : LogCumulants or list of LogCumulants
        Estimates to overlay (e.g. sample and synthesis).
    truth : dict, optional
        Known log-cumulants ``{"c1": ..., "c2": ...}``: drawn as dashed lines
        of that slope through the centre of the first result's fit.
    names : list of str, optional
        Legend names, one per result.
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> from textures_nb.processes import mrw
    >>> from textures_nb.multiscale import log_cumulants
    >>> from textures_nb.plotting import log_scale_diagrams
    >>> lc = log_cumulants(mrw(4096, 0.7, 0.2, seed=0), scales=(2, 7))
    >>> fig = log_scale_diagrams(lc, truth={"c1": 0.72, "c2": -0.04})
    >>> len(fig.data) > 0
    True
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from .multiscale import LogCumulants

    if isinstance(results, LogCumulants):
        results = [results]
    if not results or not all(isinstance(r, LogCumulants) for r in results):
        raise TypeError("`results` must be a LogCumulants or a list of them (from log_cumulants).")
    names = list(names) if names is not None else [f"estimate {i + 1}" for i in range(len(results))]
    if len(names) != len(results):
        raise ValueError(f"`names` has {len(names)} entries for {len(results)} results.")
    n_cumul = min(r.cumulants.size for r in results)
    fig = make_subplots(
        rows=1, cols=n_cumul, subplot_titles=[f"C{m}(j)" for m in range(1, n_cumul + 1)]
    )
    ln2 = np.log(2.0)
    colors = palette(len(results))
    for i, (r, name) in enumerate(zip(results, names, strict=True)):
        color = colors[i]
        for m in range(1, n_cumul + 1):
            fig.add_trace(
                go.Scatter(
                    x=r.j,
                    y=r.C[m - 1],
                    mode="markers",
                    marker=dict(color=color),
                    name=name,
                    legendgroup=name,
                    showlegend=m == 1,
                    hovertemplate="j=%{x}<br>C=%{y:.3f}<extra>" + name + "</extra>",
                ),
                row=1,
                col=m,
            )
            jj, fit = r.fit_line(m)
            label = f"c{m} = {r.cumulants[m - 1]:.3f}"
            if r.ci is not None:
                label += f" [{r.ci[m - 1, 0]:.3f}, {r.ci[m - 1, 1]:.3f}]"
            fig.add_trace(
                go.Scatter(
                    x=jj,
                    y=fit,
                    mode="lines",
                    line=dict(color=color),
                    name=label,
                    legendgroup=name,
                    showlegend=True,
                ),
                row=1,
                col=m,
            )
            key = f"c{m}"
            if truth is not None and key in truth and i == 0:
                centre = jj.mean()
                y0 = np.interp(centre, jj, fit)
                fig.add_trace(
                    go.Scatter(
                        x=jj,
                        y=y0 + truth[key] * (jj - centre) * ln2,
                        mode="lines",
                        line=dict(color="black", dash="dash"),
                        name=f"truth c{m} = {truth[key]:.3f}",
                    ),
                    row=1,
                    col=m,
                )
    for m in range(1, n_cumul + 1):
        fig.update_xaxes(title_text="scale j (octaves)", row=1, col=m)
    # Legend below the panels, inside the figure: it never pushes the width past
    # the output area, and each entry keeps its series' colour.
    n_entries = len(fig.data)
    legend_rows = -(-n_entries // 3)
    fig.update_layout(
        title=title or "Log-scale diagrams",
        height=360 + 20 * legend_rows,
        autosize=True,
        margin=dict(l=50, r=20, t=60, b=40),
        legend=dict(orientation="h", x=0, xanchor="left", y=-0.18, yanchor="top", font_size=11),
    )
    fig.update_xaxes(title_standoff=4)
    return fig


def multifractal_spectra(spectra, *, names=None, title: str | None = None):
    """Plot multifractal spectra ``D(h)``.

    Parameters
    ----------
    spectra : MultifractalSpectrum or list of them
    names : list of str, optional

    Examples
    --------
    >>> from textures_nb.processes import mrw
    >>> from textures_nb.multiscale import log_cumulants, multifractal_spectrum
    >>> from textures_nb.plotting import multifractal_spectra
    >>> specs = [multifractal_spectrum(log_cumulants(mrw(4096, 0.7, lam, seed=0), scales=(2, 7)))
    ...          for lam in (0.1, 0.3)]
    >>> fig = multifractal_spectra(specs, names=["lambda 0.1", "lambda 0.3"])
    >>> [trace.name for trace in fig.data]
    ['lambda 0.1', 'lambda 0.3']
    """
    import plotly.graph_objects as go

    from .multiscale import MultifractalSpectrum

    if isinstance(spectra, MultifractalSpectrum):
        spectra = [spectra]
    names = list(names) if names is not None else [f"spectrum {i + 1}" for i in range(len(spectra))]
    fig = go.Figure()
    colors = palette(len(spectra))
    for i, (s, name) in enumerate(zip(spectra, names, strict=True)):
        fig.add_trace(go.Scatter(x=s.h, y=s.D, mode="lines", name=name, line=dict(color=colors[i])))
    fig.update_layout(
        title=title or "Multifractal spectrum",
        xaxis_title="h (Hoelder exponent)",
        yaxis_title="D(h)",
        height=380,
        autosize=True,
        legend=dict(x=0.01, y=0.99, xanchor="left", yanchor="top"),
    )
    return fig


def _grid_shape(n: int, max_cols: int) -> tuple[int, int]:
    """Rows and columns for ``n`` panels, at most ``max_cols`` per row, rows balanced."""
    rows = -(-n // max_cols)
    return rows, -(-n // rows)


def images(
    arrays,
    *,
    titles=None,
    title: str | None = None,
    height: int = 220,
    max_cols: int | None = None,
    width: int = FIGURE_WIDTH,
):
    """Show images in a grid that fits a notebook's output area.

    Panels wrap into rows of at most ``max_cols``; each keeps its aspect ratio
    and its own grey range (0.5-99.5 percentiles, so a few extreme pixels do
    not turn the rest grey). The figure has no fixed width: it follows the
    output area (``width`` only sets the size the panels are planned for).

    Parameters
    ----------
    arrays : list of ndarray
        Each ``(H, W)`` (grey) or ``(H, W, 3)`` (RGB, shown as is for ``uint8``,
        stretched otherwise).
    titles : list of str, optional
        One per panel (``<br>`` breaks a line).
    title : str, optional
        Figure title.
    height : int, default 220
        Largest side of one panel, in pixels.
    max_cols : int, optional
        Most panels per row; default ``width // 150`` (6 for the default width),
        so a panel is never narrower than about 150 px.
    width : int, default 960
        Width, in pixels, the grid is planned for.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.plotting import images
    >>> rng = np.random.default_rng(0)
    >>> fig = images([rng.random((32, 32)) for _ in range(8)], max_cols=4)
    >>> len(fig.data)
    8
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from ._shared.display import display_range, to_uint8

    arrays = [np.asarray(a) for a in arrays]
    if not arrays or any(
        a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] != 3) for a in arrays
    ):
        raise ValueError(
            "`arrays` must be a non-empty list of images, each (H, W) or (H, W, 3); "
            f"got shapes {[a.shape for a in arrays]}."
        )
    titles = [str(t) for t in titles] if titles is not None else [""] * len(arrays)
    if len(titles) != len(arrays):
        raise ValueError(f"`titles` has {len(titles)} entries for {len(arrays)} images.")
    if max_cols is None:
        max_cols = max(1, width // 150)
    if isinstance(max_cols, bool) or not isinstance(max_cols, (int, np.integer)) or max_cols < 1:
        raise ValueError(f"`max_cols` must be a positive integer, got {max_cols!r}.")
    rows, cols = _grid_shape(len(arrays), int(max_cols))
    title_lines = max(t.count("<br>") + 1 if t else 0 for t in titles)
    title_px = 18 * title_lines + 6 if title_lines else 4
    gap_px = 14
    side = int(min(height, (width - 20 - gap_px * (cols - 1)) / cols))
    aspect = max(a.shape[0] / a.shape[1] for a in arrays)  # tallest panel sets the row height
    panel_h = int(side * min(aspect, 1.5))
    top = 60 if title else 20
    fig_h = top + 10 + rows * (panel_h + title_px)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles + [""] * (rows * cols - len(arrays)),
        horizontal_spacing=gap_px / width,
        vertical_spacing=title_px / max(fig_h - top - 10, 1),
    )
    for k, a in enumerate(arrays):
        r, c = divmod(k, cols)
        if a.ndim == 3:
            trace = go.Image(z=to_uint8(a), hoverinfo="skip")
        else:
            lo, hi = display_range(a)
            trace = go.Heatmap(
                z=a.astype(float), zmin=lo, zmax=hi, colorscale="gray", showscale=False,
                hovertemplate="x=%{x}, y=%{y}: %{z:.3g}<extra></extra>",
            )  # fmt: skip
        fig.add_trace(trace, row=r + 1, col=c + 1)
        axis = k + 1 if k else ""
        fig.update_yaxes(
            autorange="reversed", scaleanchor=f"x{axis}", constrain="domain",
            showticklabels=False, showgrid=False, zeroline=False, row=r + 1, col=c + 1,
        )  # fmt: skip
        fig.update_xaxes(
            constrain="domain", showticklabels=False, showgrid=False, zeroline=False,
            row=r + 1, col=c + 1,
        )  # fmt: skip
    for ann in fig.layout.annotations:  # subplot titles: small enough for narrow panels
        ann.font.size = 12
    fig.update_layout(
        title=title,
        height=fig_h,
        autosize=True,
        margin=dict(l=10, r=10, t=top, b=10),
        plot_bgcolor="white",
    )
    return fig
