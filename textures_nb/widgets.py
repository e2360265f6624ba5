"""ipywidgets controls for the notebooks.

Callbacks are plain functions of this module so they can be tested without a
browser; the widgets only wire sliders to them.
"""

from __future__ import annotations

from ._checks import check_positive_int

__all__ = [
    "FigureArea",
    "MRWExplorer",
    "PairJudge",
    "figure_bundle",
    "mrw_explorer",
    "mrw_log_scale_figure",
    "pair_judge",
]


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

    Examples
    --------
    >>> from textures_nb.widgets import mrw_log_scale_figure
    >>> fig = mrw_log_scale_figure(0.7, 0.2, n=1024)
    >>> len(fig.data) > 0
    True
    """
    from .multiscale import log_cumulants, max_scale
    from .processes import fbm, mrw, mrw_log_cumulants

    n = check_positive_int(n, "n", minimum=256)
    if scales is None:
        scales = (3, min(9, max_scale(n)))
    x = fbm(n, H, seed=seed) if lam == 0 else mrw(n, H, lam, seed=seed)
    est = log_cumulants(x, scales=scales, n_cumul=2, n_boot=0)
    truth = {k: v + 0.0 for k, v in mrw_log_cumulants(H, lam).items()}  # -0.0 -> 0.0
    return est.plot(
        truth={"c1": truth["c1"], "c2": truth["c2"]},
        title=f"MRW H={H:.2f}, lam={lam:.2f}: c1={est.c1:.3f} (truth {truth['c1']:.3f}), "
        f"c2={est.c2:.3f} (truth {truth['c2']:.3f})",
    )


def figure_bundle(fig) -> dict:
    """Jupyter display bundle of a plotly figure (plotly's mimetype plus a text fallback).

    Built directly rather than through ``fig._repr_mimebundle_`` so that it does
    not depend on the active plotly renderer or on running inside IPython.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure

    Returns
    -------
    dict
        ``{"application/vnd.plotly.v1+json": ..., "text/plain": ...}``.

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> from textures_nb.widgets import figure_bundle
    >>> sorted(figure_bundle(go.Figure()))
    ['application/vnd.plotly.v1+json', 'text/plain']
    """
    import json

    import plotly.io as pio

    spec = json.loads(pio.to_json(fig, validate=False))
    spec.setdefault("config", {})["responsive"] = True
    title = fig.layout.title.text or "figure"
    return {"application/vnd.plotly.v1+json": spec, "text/plain": f"<plotly figure: {title}>"}


def _has_anywidget() -> bool:
    """True when plotly's FigureWidget can render (it needs the anywidget package)."""
    import importlib.util

    return importlib.util.find_spec("anywidget") is not None


class FigureArea:
    """A widget area showing one plotly figure, replaced in place on :meth:`show`.

    With ``anywidget`` installed, a ``plotly.graph_objects.FigureWidget`` whose
    traces and layout are updated in place; otherwise an ``ipywidgets.Output``
    whose ``outputs`` are replaced by the new figure's display bundle (no
    ``with output:`` capture and no ``clear_output`` messages, so papermill and
    nbclient runs never wait on captured output). Both redraw in JupyterLab,
    where ``DisplayHandle.update`` of a plotly figure is dropped.

    Parameters
    ----------
    figure_widget : bool, optional
        Force (True) or refuse (False) the FigureWidget path; default: use it
        when anywidget is installed.

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> from textures_nb.widgets import FigureArea
    >>> area = FigureArea(figure_widget=False)
    >>> area.show(go.Figure(go.Scatter(y=[1, 3, 2])))
    >>> type(area.widget).__name__
    'Output'
    """

    def __init__(self, *, figure_widget: bool | None = None) -> None:
        import ipywidgets as widgets

        self.uses_figure_widget = _has_anywidget() if figure_widget is None else figure_widget
        self.figure = None
        if self.uses_figure_widget:
            import plotly.graph_objects as go

            self.widget = go.FigureWidget()
        else:
            self.widget = widgets.Output(layout=widgets.Layout(width="100%"))

    def show(self, fig) -> None:
        """Replace the shown figure by ``fig``."""
        self.figure = fig
        if not self.uses_figure_widget:
            self.widget.outputs = (
                {"output_type": "display_data", "data": figure_bundle(fig), "metadata": {}},
            )
            return
        fw = self.widget
        with fw.batch_update():
            if len(fw.data) == len(fig.data) and all(
                a.type == b.type for a, b in zip(fw.data, fig.data, strict=True)
            ):
                for old, new in zip(fw.data, fig.data, strict=True):
                    old.update(new.to_plotly_json(), overwrite=True)
            else:
                fw.data = ()
                fw.add_traces(list(fig.data))
            fw.layout = fig.layout


class MRWExplorer:
    """Sliders for ``H`` and ``lam`` above the MRW log-scale diagrams they redraw.

    The figure sits in a :class:`FigureArea` (a FigureWidget updated in place
    when anywidget is installed, an ``Output`` whose outputs are replaced
    otherwise), so moving a slider redraws it in JupyterLab and the notebook
    still runs under papermill and nbval.

    Parameters
    ----------
    n : int, default 16384
        Number of samples of each simulated MRW.
    seed : int, default 0 (keyword-only)
        Seed of the simulations (the same for every slider position).
    figure_widget : bool, optional
        Use a plotly ``FigureWidget`` (default: when anywidget is installed).

    Attributes
    ----------
    children : tuple of ipywidgets.FloatSlider
        The ``H`` and ``lam`` sliders.
    figure : plotly.graph_objects.Figure
        The figure for the current slider values.
    area : FigureArea
        Where the figure is shown.

    Examples
    --------
    >>> from textures_nb.widgets import MRWExplorer
    >>> explorer = MRWExplorer(n=1024, figure_widget=False)
    >>> [type(child).__name__ for child in explorer.children][:2]
    ['FloatSlider', 'FloatSlider']
    """

    def __init__(self, *, n: int = 2**14, seed: int = 0, figure_widget: bool | None = None) -> None:
        import ipywidgets as widgets

        self._n, self._seed = n, seed
        self.children = (
            widgets.FloatSlider(value=0.7, min=0.6, max=0.95, step=0.05, description="H"),
            widgets.FloatSlider(value=0.2, min=0.0, max=0.4, step=0.05, description="lam"),
        )
        self.area = FigureArea(figure_widget=figure_widget)
        self.figure = None
        self.update()
        for slider in self.children:
            slider.observe(self.update, names="value")
        self.widget = widgets.VBox([widgets.HBox(list(self.children)), self.area.widget])

    def update(self, change=None) -> None:
        """Redraw for the current slider values (the sliders' observer)."""
        H, lam = (slider.value for slider in self.children)
        self.figure = mrw_log_scale_figure(H, lam, n=self._n, seed=self._seed)
        self.area.show(self.figure)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def mrw_explorer(
    *, n: int = 2**14, seed: int = 0, figure_widget: bool | None = None
) -> MRWExplorer:
    """Sliders for ``H`` and ``lam`` that redraw the MRW log-scale diagrams.

    Parameters
    ----------
    n : int
        Number of samples of each simulated MRW.
    seed : int
        Random seed (the same noise for every slider position).
    figure_widget : bool, optional
        As in :class:`FigureArea`: default, a FigureWidget when anywidget is
        installed, an ``Output`` otherwise.

    Returns
    -------
    MRWExplorer
        Display it in a notebook; ``.children`` are the sliders, ``.figure``
        the current figure.

    Examples
    --------
    >>> from textures_nb.widgets import mrw_explorer
    >>> explorer = mrw_explorer(n=1024, figure_widget=False)
    >>> explorer.figure is not None
    True
    """
    return MRWExplorer(n=n, seed=seed, figure_widget=figure_widget)


class PairJudge:
    """Show two items side by side and record the expert's answer in a PairStore.

    Each item is drawn large with its ``n_context`` nearest neighbours
    (standardised features) as small thumbnails below it, for context. The
    buttons *same*, *different*, *unsure* write the answer to the store at
    once (:meth:`textures_nb.feedback.PairStore.add`); *undo* withdraws the
    last answer and shows that pair again. When the queue is empty, the next
    ``batch`` pairs come from :func:`textures_nb.feedback.select_pairs`
    (``"active"``) when features are given. ipywidgets 8 has no keyboard
    events: Tab moves between the buttons and Space/Enter presses the
    focused one.

    Parameters
    ----------
    images : array_like, shape (N, H, W)
    store : PairStore
    pairs : iterable of (int, int), optional
        Pairs to show first (already judged ones are skipped).
    features : array_like, shape (N, D), optional
        For the neighbour thumbnails and for choosing the next pairs.
    n_context : int, default 3
    batch : int, default 20
    who : str, optional
        Expert name written with each answer (default: the store's).
    thumb : int, default 160
        Side of the large thumbnails (pixels).
    seed : int, default 0

    Attributes
    ----------
    current : (int, int) or None
        The pair on screen.
    widget : ipywidgets.VBox

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from textures_nb.feedback import PairStore
    >>> images = np.random.default_rng(0).normal(size=(4, 16, 16))
    >>> store = PairStore(os.path.join(tempfile.mkdtemp(), "p.jsonl"), n_items=4)
    >>> judge = PairJudge(images, store, pairs=[(0, 1), (2, 3)])
    >>> judge.answer("same"); judge.current, len(store)
    ((2, 3), 1)
    """

    def __init__(
        self,
        images,
        store,
        pairs=None,
        *,
        features=None,
        n_context: int = 3,
        batch: int = 20,
        who: str | None = None,
        thumb: int = 160,
        seed: int = 0,
    ) -> None:
        import ipywidgets as widgets
        import numpy as np

        self.images = np.asarray(images)
        if self.images.ndim != 3:
            raise ValueError(f"`images` must have shape (N, H, W), got {self.images.shape}.")
        self.store = store
        self.features = None if features is None else np.asarray(features, dtype=float)
        self.n_context = check_positive_int(n_context, "n_context", minimum=0)
        self.batch = check_positive_int(batch, "batch")
        self.who = who
        self.thumb = check_positive_int(thumb, "thumb")
        self._rng = np.random.default_rng(seed)
        self.queue: list[tuple[int, int]] = [(int(a), int(b)) for a, b in (pairs or [])]
        self._neighbours = None
        if self.features is not None and self.n_context:
            from .similarity import nearest

            k = min(self.n_context, self.features.shape[0] - 1)
            self._neighbours, _ = nearest(self.features, k, progress=False)
        self.current: tuple[int, int] | None = None
        self._panels = (widgets.VBox(), widgets.VBox())
        self.buttons = {
            name: widgets.Button(description=name, button_style=style, tooltip=tip)
            for name, style, tip in (
                ("same", "success", "these two are alike"),
                ("different", "danger", "these two are not alike"),
                ("unsure", "", "cannot tell"),
                ("undo", "warning", "withdraw the last answer"),
            )
        }
        for name, button in self.buttons.items():
            button.on_click(
                lambda _b, name=name: self.undo() if name == "undo" else self.answer(name)
            )
        self.status = widgets.HTML()
        self.widget = widgets.VBox(
            [
                widgets.HBox(list(self._panels)),
                widgets.HBox(list(self.buttons.values())),
                self.status,
            ]
        )
        self._next()

    # -- callbacks (tested without a browser) -------------------------------
    def answer(self, value: str) -> None:
        """Record ``value`` ("same", "different" or "unsure") for the pair shown, go on."""
        if self.current is None:
            return
        i, j = self.current
        self.store.add(
            i, j, {"same": True, "different": False, "unsure": None}[value], who=self.who
        )
        self._next()

    def undo(self) -> None:
        """Withdraw the last answer and show its pair again."""
        last = self.store.undo()
        if last is None:
            return
        if self.current is not None:
            self.queue.insert(0, self.current)
        self.current = None
        self.queue.insert(0, (last["i"], last["j"]))
        self._next()

    # -- internals -----------------------------------------------------------
    def _refill(self) -> None:
        if self.features is None:
            return
        from .feedback import select_pairs

        judged = self.store.judged() | {(min(a, b), max(a, b)) for a, b in self.queue}
        self.queue += select_pairs(self.features, self.batch, judged=judged, seed=self._rng)

    def _next(self) -> None:
        judged = self.store.judged()
        while True:
            if not self.queue:
                self._refill()
            if not self.queue:
                self.current = None
                break
            a, b = self.queue.pop(0)
            if (min(a, b), max(a, b)) not in judged:
                self.current = (a, b)
                break
        self._draw()

    def _draw(self) -> None:
        import ipywidgets as widgets

        from ._shared.display import png_bytes

        if self.current is None:
            for panel in self._panels:
                panel.children = ()
            self.status.value = f"<b>no pair left</b>: {len(self.store)} answers saved"
            return
        small = max(80, self.thumb // max(self.n_context, 1) - 4)  # 80 px: still legible
        for panel, item in zip(self._panels, self.current, strict=True):
            big = widgets.Image(value=png_bytes(self.images[item], width=self.thumb), format="png")
            context = []
            if self._neighbours is not None:
                context = [
                    widgets.Image(value=png_bytes(self.images[n], width=small), format="png")
                    for n in self._neighbours[item]
                ]
            panel.children = (
                widgets.HTML(f"<b>item {item}</b>"),
                big,
                widgets.HTML("<small>nearest neighbours</small>") if context else widgets.HTML(),
                widgets.HBox(context),
            )
        self.status.value = (
            f"{len(self.store)} answers saved in <code>{self.store.path.name}</code>; "
            f"{len(self.queue)} pairs queued"
        )

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def pair_judge(images, store, pairs=None, **kwargs) -> PairJudge:
    """A :class:`PairJudge` for ``images`` writing to ``store`` (see there).

    Parameters
    ----------
    images : array_like, shape (N, H, W)
        The items to judge, one image each.
    store : PairStore
        Where each answer is written (:class:`textures_nb.feedback.PairStore`).
    pairs : iterable of (int, int), optional
        Pairs to show first (already judged ones are skipped).
    **kwargs
        Keyword arguments of :class:`PairJudge` (``features``, ``n_context``,
        ``batch``, ``who``, ``thumb``, ``seed``).

    Returns
    -------
    PairJudge

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from textures_nb.feedback import PairStore
    >>> store = PairStore(os.path.join(tempfile.mkdtemp(), "p.jsonl"))
    >>> pair_judge(np.zeros((2, 8, 8)) + np.eye(8), store, [(0, 1)]).current
    (0, 1)
    """
    return PairJudge(images, store, pairs, **kwargs)
