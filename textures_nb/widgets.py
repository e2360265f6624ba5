"""ipywidgets controls for the notebooks.

Callbacks are plain functions of this module so they can be tested without a
browser; the widgets only wire sliders to them.
"""

from __future__ import annotations

from ._checks import check_positive_int

__all__ = ["MRWExplorer", "mrw_explorer", "mrw_log_scale_figure"]


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


class MRWExplorer:
    """Sliders for ``H`` and ``lam`` above the MRW log-scale diagrams they redraw.

    The figure is shown once with a display id and replaced in place when a
    slider moves (``DisplayHandle.update``); no ``Output`` widget captures it,
    which keeps papermill and nbclient runs of the notebook from stalling on
    widget output messages.

    Attributes
    ----------
    children : tuple of ipywidgets.FloatSlider
        The ``H`` and ``lam`` sliders.
    figure : plotly.graph_objects.Figure
        The figure for the current slider values.
    """

    def __init__(self, *, n: int = 2**14, seed: int = 0) -> None:
        import ipywidgets as widgets

        self._n, self._seed = n, seed
        self.children = (
            widgets.FloatSlider(value=0.7, min=0.6, max=0.95, step=0.05, description="H"),
            widgets.FloatSlider(value=0.2, min=0.0, max=0.4, step=0.05, description="lam"),
        )
        self._handle = None
        self.figure = None
        self.update()
        for slider in self.children:
            slider.observe(self.update, names="value")

    def update(self, change=None) -> None:
        """Redraw for the current slider values (the sliders' observer)."""
        H, lam = (slider.value for slider in self.children)
        self.figure = mrw_log_scale_figure(H, lam, n=self._n, seed=self._seed)
        if self._handle is not None:
            self._handle.update(self.figure)

    def _ipython_display_(self) -> None:
        import ipywidgets as widgets
        from IPython.display import display

        display(widgets.HBox(list(self.children)))
        self._handle = display(self.figure, display_id=True)


def mrw_explorer(*, n: int = 2**14, seed: int = 0) -> MRWExplorer:
    """Sliders for ``H`` and ``lam`` that redraw the MRW log-scale diagrams.

    Parameters
    ----------
    n : int
        Number of samples of each simulated MRW.
    seed : int
        Random seed (the same noise for every slider position).

    Returns
    -------
    MRWExplorer
        Display it in a notebook; ``.children`` are the sliders, ``.figure``
        the current figure.
    """
    return MRWExplorer(n=n, seed=seed)
