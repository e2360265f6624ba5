"""ipywidgets controls for the notebooks.

Callbacks are plain functions of this module so they can be tested without a
browser; the widgets only wire sliders to them.
"""

from __future__ import annotations

from ._checks import check_positive_int

__all__ = ["mrw_log_scale_figure", "mrw_explorer"]


def mrw_log_scale_figure(
    H: float, lam: float, *, n: int = 2**14, seed: int = 0, scales: tuple[int, int] | None = None
):
    """Simulate an MRW and return its log-scale diagrams with the theoretical slopes.

    Parameters
    ----------
    H : float
        First-order scaling exponent, 0 < H < 1.
    lam : float
        Intermittency; ``lam = 0`` gives fractional Brownian motion.
    n : int
        Number of samples.
    seed : int
        Random seed (the same seed gives the same noise for every H, lam).
    scales : (int, int), optional
        Fit range; default ``(3, min(9, j_max))``.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    from .multiscale import log_cumulants, max_scale
    from .processes import fbm, mrw, mrw_log_cumulants

    n = check_positive_int(n, "n", minimum=256)
    if scales is None:
        scales = (3, min(9, max_scale(n)))
    x = fbm(n, H, seed=seed) if lam == 0 else mrw(n, H, lam, seed=seed)
    est = log_cumulants(x, scales=scales, n_cumul=2, n_boot=0)
    truth = mrw_log_cumulants(H, lam)
    return est.plot(
        truth={"c1": truth["c1"], "c2": truth["c2"]},
        title=f"MRW H={H:.2f}, lam={lam:.2f}: c1={est.c1:.3f} (truth {truth['c1']:.3f}), "
        f"c2={est.c2:.3f} (truth {truth['c2']:.3f})",
    )


def mrw_explorer(*, n: int = 2**14, seed: int = 0):
    """Sliders for ``H`` and ``lam`` that redraw the MRW log-scale diagrams.

    Returns
    -------
    ipywidgets.interactive
        Display it in a notebook; ``.children[:2]`` are the sliders.
    """
    import ipywidgets as widgets
    from IPython.display import display

    def _show(H=0.7, lam=0.2):
        fig = mrw_log_scale_figure(H, lam, n=n, seed=seed)
        display(fig)
        return fig

    return widgets.interactive(
        _show,
        H=widgets.FloatSlider(value=0.7, min=0.6, max=0.95, step=0.05, description="H"),
        lam=widgets.FloatSlider(value=0.2, min=0.0, max=0.4, step=0.05, description="lam"),
    )
