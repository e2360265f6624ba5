"""Plotly figures for multiscale results.

Figures are returned, never shown, so notebooks decide how to display them
(the default plotly renderer in JupyterLab is the mimetype renderer, which
never embeds plotly.js in the notebook).
"""

from __future__ import annotations

import numpy as np

__all__ = ["log_scale_diagrams", "multifractal_spectra", "images"]

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


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
    for i, (r, name) in enumerate(zip(results, names, strict=True)):
        color = _COLORS[i % len(_COLORS)]
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
    fig.update_layout(title=title or "Log-scale diagrams", height=380, width=330 * n_cumul + 150)
    return fig


def multifractal_spectra(spectra, *, names=None, title: str | None = None):
    """Plot multifractal spectra ``D(h)``.

    Parameters
    ----------
    spectra : MultifractalSpectrum or list of them
    names : list of str, optional
    """
    import plotly.graph_objects as go

    from .multiscale import MultifractalSpectrum

    if isinstance(spectra, MultifractalSpectrum):
        spectra = [spectra]
    names = list(names) if names is not None else [f"spectrum {i + 1}" for i in range(len(spectra))]
    fig = go.Figure()
    for i, (s, name) in enumerate(zip(spectra, names, strict=True)):
        fig.add_trace(
            go.Scatter(
                x=s.h, y=s.D, mode="lines", name=name, line=dict(color=_COLORS[i % len(_COLORS)])
            )
        )
    fig.update_layout(
        title=title or "Multifractal spectrum",
        xaxis_title="h (Hoelder exponent)",
        yaxis_title="D(h)",
        height=380,
        width=520,
    )
    return fig


def images(arrays, *, titles=None, title: str | None = None, height: int = 300):
    """Show 2D arrays side by side (grayscale, each with its own colour range).

    Parameters
    ----------
    arrays : list of ndarray, each (H, W)
    titles : list of str, optional
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    arrays = [np.asarray(a, dtype=float) for a in arrays]
    if not arrays or any(a.ndim != 2 for a in arrays):
        raise ValueError("`arrays` must be a non-empty list of 2D arrays (H, W).")
    titles = list(titles) if titles is not None else [""] * len(arrays)
    fig = make_subplots(rows=1, cols=len(arrays), subplot_titles=titles)
    for k, a in enumerate(arrays, start=1):
        fig.add_trace(go.Heatmap(z=a, colorscale="gray", showscale=False), row=1, col=k)
        fig.update_yaxes(
            autorange="reversed",
            scaleanchor=f"x{k if k > 1 else ''}",
            row=1,
            col=k,
            showticklabels=False,
        )
        fig.update_xaxes(showticklabels=False, row=1, col=k)
    fig.update_layout(title=title, height=height, width=height * len(arrays) + 100)
    return fig
