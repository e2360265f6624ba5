"""Texture synthesis: deep statistics (random or VGG features) and classical baselines.

Two levels, after plenoptic's shape:

- :class:`TextureSynthesis` is a synthesis object with a life cycle:
  ``TextureSynthesis(target, model, ...)`` (what is matched), ``.setup(...)``
  (optimiser, initial noise), ``.synthesize(n_iter)`` (resumable),
  ``.losses``, ``.texture`` (NumPy, the target's layout), ``.save(path)`` /
  ``.load(path)``. ``model`` is a plain :class:`torch.nn.Module` from
  :mod:`textures_nb.networks`.
- :func:`synthesize` is the one-call entry point for notebooks: it takes a
  numpy array in any of the layouts below, builds the network, runs the
  optimisation (or a baseline) and returns a :class:`SynthesisResult`
  (``.texture``, ``.losses``, ``.plot()``). Each method is one function in a
  registry; the arguments are validated once, before dispatch.

Layouts (numpy, as everywhere in ``textures_nb``): a signal ``(T,)``; a
multichannel signal ``(C, T)`` with ``dim=1``; a grayscale image ``(H, W)``; a
multichannel image ``(C, H, W)``. Internally everything is ``(1, C, *spatial)``
and standardised per channel (mean 0, std 1); outputs are restored to the
target's mean and standard deviation (``"phase"``, ``"iaaft"`` and
``"multiscale"``: those of its periodic component, see :func:`periodic_smooth`).

Methods
-------
``"gram"`` (default)
    Gram matrices of a multiscale network with fixed random weights
    (:class:`~textures_nb.networks.RandomMultiscaleNet`), 1D and 2D
    (Ustyuzhaninov et al., 2017; Gatys et al., 2015).
``"swd"``
    Sliced Wasserstein distance between the distributions of the same random
    features (Heitz et al., 2021).
``"vgg"``
    Gram matrices of a VGG-19 whose weights you supply as a local file.
``"phase"``
    Random-phase surrogate (same random phases for all channels) of the
    sample's periodic component (Moisan's periodic + smooth decomposition,
    :func:`periodic_smooth`), so that the jumps across a crop's borders do
    not imprint a cross on the spectrum.
``"iaaft"``
    Iterative amplitude-adjusted Fourier transform (Schreiber & Schmitz,
    1996; multivariate phases after Schreiber & Schmitz, 2000), of the
    periodic component too.
``"ps"``
    Portilla & Simoncelli (2000) through plenoptic (grayscale images only).
``"multiscale"``
    Differentiable wavelet statistics (:mod:`textures_nb.multiscale_torch`):
    per-scale log-moments, structure functions and wavelet-leader moments of a
    db3 DWT, and covariances of ``ln |d|`` local in position across scales
    (children against parent and grand-parent), orientations and channels, in
    the spirit of scattering spectra (Morel et al., 2023). It keeps the
    leaders' ``c2`` that ``"gram"`` loses (``benchmarks/results_synthesis.md``,
    section 6); ``multiscale_weight=`` adds the same term to ``"gram"`` /
    ``"swd"``. It matches the sample's periodic component, with a histogram
    term on the one-sample increments (see :func:`synthesize`).

Optimiser
---------
Pixels are optimised with L-BFGS (strong Wolfe line search, history 20), chosen
by measurement (``benchmarks/bench_synthesis.py``, section 3): on a 256 x 256
fractional Brownian field (H = 0.7) with the default ``"gram"`` settings,
100 L-BFGS iterations (106 loss evaluations, 3.4 s on 2 cores) reached a loss
of 3.3e-3 and a c1 error of 0.008, whereas Adam at the same cost (100
iterations, lr 0.05, 3.1 s) stopped at 2.0e-2 (c1 error 0.08) and, with
twice the evaluations (200 iterations, lr 0.02, 6.1 s), at 6.8e-3 (c1 error
0.04). Adam remains available (``optimizer="adam"``, default lr 0.02) for
stochastic losses and generative models.

The optimised variable is white noise ``z`` filtered by the square root of the
target's binned cross-spectral matrix (:meth:`~textures_nb.networks.
SpectrumLoss.spectral_root`): a fixed linear change of variables of the pixels
that preconditions the problem (power-law spectra span decades, so that plain
pixel gradients barely move the large scales) and starts from a field with the
sample's smoothed spectra and cross-spectra. ``precondition=False`` optimises
the raw pixels from white noise.

References
----------
Gatys, Ecker, Bethge (2015), NeurIPS. Ustyuzhaninov, Brendel, Gatys, Bethge
(2017), ICLR. Heitz, Vanhoey, Chambon, Belcour (2021), CVPR. Schreiber,
Schmitz (1996), Phys. Rev. Lett. 77; (2000), Physica D 142. Portilla,
Simoncelli (2000), IJCV 40. Liu, Gousseau, Xia (2016), ICPR.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import math
import numbers
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy import stats as _stats
from torch import Tensor

from ._checks import (
    as_finite_array,
    as_generator,
    check_in_range,
    check_positive_int,
    torch_seed,
)
from ._shared.display import png_bytes
from ._shared.layout import Layout, to_internal
from ._shared.progress import tqdm
from ._shared.spectral import band_index, binned_mean, hann, radius_angle
from ._shared.spectral import periodic_smooth as _periodic_smooth
from .multiscale_torch import MultiscaleLoss, WaveletTransform, default_scales
from .networks import (
    VGG19,
    GramLoss,
    RandomMultiscaleNet,
    SlicedWassersteinLoss,
    SpectrumLoss,
    load_vgg19,
    resample_sorted,
    sort_last,
    sorted_values,
)

__all__ = [
    "METHODS",
    "SynthesisResult",
    "TextureSynthesis",
    "synthesize",
    "default_options",
    "periodic_smooth",
    "spectral_slope",
    "dominant_orientation",
    "marginal_distance",
    "statistics_table",
    "plot_syntheses",
    "plot_losses",
    "plot_log_scale_diagrams",
    "preview_callback",
    "live_synthesis",
]

#: Methods understood by :func:`synthesize`.
METHODS = ("gram", "swd", "vgg", "phase", "iaaft", "ps", "multiscale")

_NET_DEFAULTS: dict[str, Any] = {
    "n_scales": None,  # as many as the sample allows, up to _MAX_SCALES[dim]
    "n_filters": 32,
    "kernel_size": 5,
}
_OPT_DEFAULTS: dict[str, Any] = {
    "optimizer": "lbfgs",
    "lr": None,
    "spectrum_weight": 0.1,
    "marginal_weight": 1.0,
    "increment_weight": 0.0,
    "precondition": True,
    "periodic_component": False,
}
_DEFAULTS: dict[str, dict[str, Any]] = {
    "gram": {**_NET_DEFAULTS, **_OPT_DEFAULTS, "multiscale_weight": 0.0, "n_iter": 150},
    "swd": {
        **_NET_DEFAULTS,
        **_OPT_DEFAULTS,
        "multiscale_weight": 0.0,
        "n_directions": None,
        "n_iter": 150,
    },
    "vgg": {
        "weights": None,
        "width": 1.0,
        "layers": ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
        "pooling": "avg",
        **_OPT_DEFAULTS,
        "n_iter": 150,
    },
    "phase": {"periodic_component": True, "n_iter": 0},
    "iaaft": {"periodic_component": True, "n_iter": 100},
    "ps": {
        "n_scales": 4,
        "n_orientations": 4,
        "spatial_corr_width": 7,
        "callback_every": 1,
        "n_iter": 20,
    },
    "multiscale": {
        "n_scales": None,  # textures_nb.multiscale.max_scale of the sample's smaller side
        "wavelet": "db3",
        "groups": None,  # every group of textures_nb.multiscale_torch.STAT_GROUPS
        "weights": None,  # 1 per group
        **_OPT_DEFAULTS,
        "increment_weight": 1.0,  # measured with the next line: BENCHMARKS.md (issue 14)
        "periodic_component": True,
        "n_iter": 300,
    },
}
_MAX_SCALES = {1: 8, 2: 6}


def default_options(method: str = "gram") -> dict[str, Any]:
    """Default options (including ``n_iter``) of a synthesis method.

    Parameters
    ----------
    method : str, default "gram"
        One of :data:`METHODS`.

    Returns
    -------
    dict
        A copy, safe to modify.

    Examples
    --------
    >>> default_options("gram")["n_filters"]
    32
    """
    _check_method(method)
    return copy.deepcopy(_DEFAULTS[method])


def _check_method(method) -> str:
    if method not in METHODS:
        raise ValueError(f"`method` must be one of {METHODS}, got {method!r}.")
    return method


# --------------------------------------------------------------------------
# Result and synthesis object
# --------------------------------------------------------------------------


@dataclass(repr=False)
class SynthesisResult:
    """Output of :func:`synthesize`.

    Attributes
    ----------
    texture : ndarray
        The synthesis, in the target's layout (``(T,)``, ``(C, T)``,
        ``(H, W)`` or ``(C, H, W)``) at the requested ``size``, with the
        target's per-channel mean and (except ``"phase"`` and ``"iaaft"``,
        which keep the sample's periodic component, see :func:`synthesize`)
        standard deviation.
    losses : list of float
        Loss after each iteration (``losses[0]`` is the initial noise, so
        ``len(losses) == n_iter + 1`` for optimised methods). For ``"iaaft"``,
        the relative spectral misfit after each marginal step; empty for
        ``"phase"``. Values are comparable within a method only.
    seconds : float
        Wall-clock time of the synthesis (network construction included).
    method : str
        Method used.
    options : dict
        Every option used, defaults included (``n_iter``, ``seed``, ``size``,
        ``dim``, ``device`` and the method's own options).
    synthesis : TextureSynthesis or None
        The synthesis object, to resume (``.synthesize(more)``) or save; None
        for the baselines.

    Notes
    -----
    :meth:`plot` shows the texture (beside the sample when given);
    :func:`plot_losses` draws the loss curve of one or several results.

    Examples
    --------
    >>> from textures_nb.processes import fbf
    >>> from textures_nb.synthesis import synthesize
    >>> res = synthesize(fbf((32, 32), 0.7, seed=0), method="phase", progress=False)
    >>> res.texture.shape, res.method
    ((32, 32), 'phase')
    """

    texture: np.ndarray = field(repr=False)
    losses: list[float] = field(repr=False)
    seconds: float
    method: str
    options: dict[str, Any] = field(repr=False)
    synthesis: TextureSynthesis | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        loss = f", loss={self.losses[-1]:.3g}" if self.losses else ""
        return (
            f"SynthesisResult(method={self.method!r}, shape={tuple(self.texture.shape)}, "
            f"n_iter={self.options.get('n_iter')}{loss}, seconds={self.seconds:.1f})"
        )

    def plot(self, sample=None, *, title: str | None = None, height: int = 260):
        """The synthesis as a figure: images in a grid that wraps, signals as lines.

        Parameters
        ----------
        sample : array_like, optional
            The sample, drawn first for comparison (same layout as the synthesis).
        title : str, optional
            Figure title (default: the method).
        height : int, default 260
            Height in pixels of one panel.

        Returns
        -------
        plotly.graph_objects.Figure
            See :func:`plot_syntheses`; the loss curve is :func:`plot_losses`.
        """
        dim = self.options.get("dim")
        if sample is None:
            return _plot_textures([self.method], [self.texture], dim, title, height)
        return plot_syntheses(
            sample, {self.method: self}, dim=dim, title=title or self.method, height=height
        )


def _as_device(device) -> torch.device:
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"`device` must name a torch device such as 'cpu' or 'cuda', got {device!r}."
        ) from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("`device` is 'cuda' but no CUDA GPU is available; use device='cpu'.")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError("`device` is 'mps' but MPS is not available; use device='cpu'.")
    return dev


def _marginal_loss(values: Tensor, target_quantiles: Tensor) -> Tensor:
    """Squared 1D Wasserstein distance between two marginals, per channel.

    ``values`` (C, P) are the synthesis's (pixels or increments);
    ``target_quantiles`` (C, P) the target's sorted values resampled to ``P``.
    """
    return ((sort_last(values) - target_quantiles) ** 2).mean()


def _increment_directions(n_channels: int) -> Tensor:
    """Directions in channel space along which increment histograms are matched, ``(D, C)``.

    Each channel, and for every pair ``(a, b)`` the sum and the difference
    ``(e_a +- e_b) / sqrt 2``: per-channel histograms alone leave the joint law
    free, and matching them pushed the bivariate MRW's multifractal
    correlation ``rho_mf`` from 0.67-0.70 to 0.96-1.0 (BENCHMARKS.md, issue 14).
    """
    eye = torch.eye(n_channels)
    dirs = [eye]
    for a, b in combinations(range(n_channels), 2):
        dirs += [(eye[a] + eye[b])[None] / math.sqrt(2), (eye[a] - eye[b])[None] / math.sqrt(2)]
    return torch.cat(dirs)


def _increments(x: Tensor) -> Tensor:
    """First differences of ``x`` (1, C, *size) along every spatial axis, pooled: ``(C, N)``.

    No wrap-around: ``N = sum_a prod(size) (1 - 1 / size[a])``.
    """
    return torch.cat([torch.diff(x[0], dim=a).flatten(1) for a in range(1, x.ndim - 1)], dim=1)


class TextureSynthesis:
    """Synthesis of a texture by optimising pixels to match deep statistics.

    Life cycle (plenoptic's shape): ``TextureSynthesis(target, model, ...)``
    fixes what is matched (the target's statistics, the losses and their
    weights); :meth:`setup` chooses how (optimiser, learning rate,
    preconditioning) and draws the initial noise; :meth:`synthesize` runs
    iterations and can be called again to resume; :meth:`save` /
    :meth:`load` keep the state. The constructor calls :meth:`setup` with
    its ``optimizer``, ``lr`` and ``precondition``; call :meth:`setup` again
    to restart from noise with other settings.

    Parameters
    ----------
    target : array_like or Tensor
        The sample texture, in one of the layouts ``spatial``, ``(C,
        *spatial)`` or ``(1, C, *spatial)`` with ``spatial = (T,)`` or
        ``(H, W)`` as ``model.dim`` says. It is standardised per channel
        internally; the synthesis is restored to its mean and standard
        deviation and returned in the same layout (:attr:`texture`).
    model : torch.nn.Module
        Feature network with attributes ``dim``, ``in_channels`` and
        ``min_size`` whose ``forward(x, periodic=...)`` returns a list of feature
        maps, e.g. :class:`~textures_nb.networks.RandomMultiscaleNet` or
        :class:`~textures_nb.networks.VGG19`. Target features use valid (or
        zero-padded) convolutions, synthesis features circular padding, so that
        a non-periodic sample gives unbiased statistics and the synthesis tiles
        the plane.
    loss : {"gram", "swd", "multiscale"}, default "gram"
        Gram matrices (:class:`~textures_nb.networks.GramLoss`), sliced
        Wasserstein distance (:class:`~textures_nb.networks.SlicedWassersteinLoss`,
        new random directions at every iteration) or multiscale statistics
        (:class:`~textures_nb.multiscale_torch.MultiscaleLoss`; ``model`` is then
        a :class:`~textures_nb.multiscale_torch.WaveletTransform` giving the
        wavelet and the number of scales).
    size : int or tuple of int, optional
        Spatial size of the synthesis (samples or pixels); default: the
        target's. May be larger than the target.
    spectrum_weight : float, default 0
        Weight of a binned log power spectrum term
        (:class:`~textures_nb.networks.SpectrumLoss`) for long-range
        correlations; 0 disables it.
    marginal_weight : float, default 0
        Weight of a squared 1D Wasserstein term between the pixel marginals of
        synthesis and target (per channel); 0 disables it.
    increment_weight : float, default 0
        Weight of the same term between the marginals of the one-sample
        increments (first differences along every axis, pooled, no
        wrap-around, divided by the target's increment standard deviation
        per channel): those of each channel and, for multichannel data, of
        the sum and the difference of every pair of channels, ``C**2``
        histograms in all (per-channel histograms alone pushed a bivariate
        MRW's ``rho_mf`` from 0.67-0.70 to 0.96-1.0). It keeps the heavy
        tails of the finest increments of an intermittent texture, which the
        wavelet statistics leave loose (2D MRW 128^2: increment kurtosis
        0.2-0.5 without it, 1.4-2.7 in the samples); 0 disables it.
    multiscale_weight : float, default 0
        Weight of a :class:`~textures_nb.multiscale_torch.MultiscaleLoss` term
        (wavelet log-moments, leaders, local cross-scale covariances) added to
        a ``"gram"`` or ``"swd"`` loss; 0 disables it.
    multiscale_options : dict, optional
        ``n_scales``, ``wavelet``, ``groups`` of that term (defaults of
        :class:`~textures_nb.multiscale_torch.MultiscaleLoss`).
    optimizer, lr, precondition
        Passed to :meth:`setup`.
    seed : int or numpy.random.Generator, default 0
        Seed of the initial white noise (and of the SWD directions); a
        Generator gives one integer draw (:func:`textures_nb._checks.torch_seed`).
    device : str or torch.device, default "cpu"
        Where to run.
    n_directions : int, optional
        Projections per layer of the SWD loss (default: number of features).
    progress : bool, default True
        Show a tqdm progress bar during :meth:`synthesize`.

    Attributes
    ----------
    texture : ndarray
        Current synthesis in the target's layout (see :attr:`texture`);
        :attr:`texture_tensor` is the ``(1, C, *size)`` tensor.
    losses : list of float
        ``losses[k]``: loss after ``k`` iterations (``k = 0`` is the noise).
    n_iter_done : int
        Iterations run so far (over all calls to :meth:`synthesize`).
    n_evaluations : int
        Loss and gradient evaluations so far (one per iteration for Adam,
        about one per iteration for L-BFGS plus extra line-search steps).

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.networks import RandomMultiscaleNet
    >>> x = np.random.default_rng(0).standard_normal((64, 64))
    >>> net = RandomMultiscaleNet(1, dim=2, n_scales=3, n_filters=8)
    >>> ts = TextureSynthesis(x, net, progress=False)
    >>> ts.synthesize(5)
    >>> ts.texture.shape, len(ts.losses), tuple(ts.texture_tensor.shape)
    ((64, 64), 6, (1, 1, 64, 64))
    """

    def __init__(
        self,
        target,
        model: torch.nn.Module,
        *,
        loss: str = "gram",
        size: int | Sequence[int] | None = None,
        spectrum_weight: float = 0.0,
        marginal_weight: float = 0.0,
        increment_weight: float = 0.0,
        optimizer: str = "lbfgs",
        lr: float | None = None,
        seed: int | np.random.Generator = 0,
        device: str | torch.device = "cpu",
        n_directions: int | None = None,
        precondition: bool = True,
        progress: bool = True,
        multiscale_weight: float = 0.0,
        multiscale_options: dict[str, Any] | None = None,
    ) -> None:
        self.dim = _check_model(model)
        arr = self._read_target(target, model)
        if loss not in ("gram", "swd", "multiscale"):
            raise ValueError(f"`loss` must be 'gram', 'swd' or 'multiscale', got {loss!r}.")
        if loss == "multiscale" and not isinstance(model, WaveletTransform):
            raise TypeError(
                "loss='multiscale' needs `model` to be a textures_nb.multiscale_torch."
                f"WaveletTransform, got {type(model).__name__}."
            )
        self.size = _check_size(size, arr.shape[2:], self.dim)
        _check_min_size(self.size, model.min_size, "size")
        self.spectrum_weight = check_in_range(
            spectrum_weight, "spectrum_weight", 0.0, math.inf, low_inclusive=True
        )
        self.marginal_weight = check_in_range(
            marginal_weight, "marginal_weight", 0.0, math.inf, low_inclusive=True
        )
        self.increment_weight = check_in_range(
            increment_weight, "increment_weight", 0.0, math.inf, low_inclusive=True
        )
        self.multiscale_weight = check_in_range(
            multiscale_weight, "multiscale_weight", 0.0, math.inf, low_inclusive=True
        )
        self.multiscale_options = _check_multiscale_options(multiscale_options)
        self.seed = torch_seed(seed)
        self.device = _as_device(device)
        self.loss_name = loss
        self.progress = bool(progress)
        self._standardise(arr)
        self._build_losses(model, n_directions)
        self.setup(optimizer=optimizer, lr=lr, precondition=precondition)

    # -- construction ------------------------------------------------------

    def _read_target(self, target, model: torch.nn.Module) -> np.ndarray:
        """Target as ``(1, C, *spatial)``; remembers the user's number of dimensions."""
        dim = self.dim
        arr = target.detach().cpu().numpy() if isinstance(target, torch.Tensor) else target
        arr = as_finite_array(arr, "target", ndims=(dim, dim + 1, dim + 2))
        self._user_ndim = arr.ndim
        arr = arr.reshape((1,) * (dim + 2 - arr.ndim) + arr.shape)
        if arr.shape[0] != 1:
            raise ValueError(
                f"`target` must hold a single texture (batch of 1), got shape {arr.shape}."
            )
        n_ch = arr.shape[1]
        if getattr(model, "in_channels", n_ch) != n_ch:
            raise ValueError(
                f"`target` has {n_ch} channel(s) but `model` expects {model.in_channels}; build "
                f"the network with in_channels equal to the number of channels."
            )
        _check_min_size(arr.shape[2:], model.min_size, "target")
        return arr

    def _standardise(self, arr: np.ndarray) -> None:
        axes = tuple(range(2, arr.ndim))
        mean = arr.mean(axis=axes, keepdims=True)
        std = arr.std(axis=axes, keepdims=True)
        if np.any(std == 0):
            raise ValueError(
                "`target` has a constant channel; texture synthesis needs fluctuations."
            )
        self.mean = torch.as_tensor(mean, dtype=torch.float32, device=self.device)
        self.std = torch.as_tensor(std, dtype=torch.float32, device=self.device)
        self.target = torch.as_tensor((arr - mean) / std, dtype=torch.float32, device=self.device)

    def _multiscale_loss(self, **options: Any) -> MultiscaleLoss:
        try:
            return MultiscaleLoss(self.target, dim=self.dim, **options).to(self.device)
        except ValueError as exc:
            raise ValueError(
                f"`target` cannot give multiscale statistics: {exc} (or lower n_scales)"
            ) from None

    def _build_losses(self, model: torch.nn.Module, n_directions: int | None) -> None:
        self.model = model.to(self.device).eval().requires_grad_(False)
        self.multiscale_loss = (
            self._multiscale_loss(**self.multiscale_options)
            if self.multiscale_weight > 0 and self.loss_name != "multiscale"
            else None
        )
        if hasattr(self.model, "calibrate"):
            self.model.calibrate(self.target)
        with torch.no_grad():
            feats = self.model(self.target, periodic=False)
        if self.loss_name == "multiscale":
            self.loss_function = self._multiscale_loss(
                n_scales=model.n_scales,
                wavelet=model.wavelet,
                groups=self.multiscale_options.get("groups"),
                weights=self.multiscale_options.get("weights"),
            )
        elif self.loss_name == "gram":
            self.loss_function: torch.nn.Module = GramLoss(feats).to(self.device)
        else:
            self.loss_function = SlicedWassersteinLoss(
                feats, n_directions=n_directions, seed=self.seed
            ).to(self.device)
        self.spectrum_loss = (
            SpectrumLoss(self.target).to(self.device) if self.spectrum_weight > 0 else None
        )
        target_sorted = sorted_values(self.target[0].flatten(1))  # (C, P_target)
        self._target_quantiles = resample_sorted(target_sorted, math.prod(self.size)).to(
            self.device
        )
        if self.increment_weight > 0:
            inc = _increments(self.target)  # (C, N_target)
            # a channel without increments (constant) is refused by _standardise already
            self._increment_scale = inc.std(dim=1, keepdim=True).clamp_min(1e-12)
            n_inc = sum(math.prod(self.size) - math.prod(self.size) // n for n in self.size)
            dirs = _increment_directions(inc.shape[0]).to(inc)  # on the target's device
            self._increment_directions = dirs
            self._target_increments = resample_sorted(
                sorted_values(dirs @ (inc / self._increment_scale)), n_inc
            ).to(self.device)

    def setup(
        self, *, optimizer: str = "lbfgs", lr: float | None = None, precondition: bool = True
    ) -> None:
        """Choose the optimiser and the variable, draw the initial noise; resets the run.

        Parameters
        ----------
        optimizer : {"lbfgs", "adam"}, default "lbfgs"
            L-BFGS with strong Wolfe line search (history 20), or Adam.
        lr : float, optional
            Learning rate (default 1 for L-BFGS, 0.02 for Adam).
        precondition : bool, default True
            Optimise white noise ``z`` filtered by the square root of the
            target's binned cross-spectral matrix instead of the raw pixels (see
            the module docstring); the synthesis starts with the sample's
            smoothed spectra and cross-spectra.
        """
        if optimizer not in ("lbfgs", "adam"):
            raise ValueError(f"`optimizer` must be 'lbfgs' or 'adam', got {optimizer!r}.")
        if lr is not None:
            lr = check_in_range(lr, "lr", 0.0, math.inf)
        self.optimizer_name = optimizer
        self.lr = lr if lr is not None else (1.0 if optimizer == "lbfgs" else 0.02)
        self.precondition = bool(precondition)
        self._root = self._spectral_root() if self.precondition else None
        gen = torch.Generator().manual_seed(self.seed)
        x0 = torch.randn((1, self.target.shape[1], *self.size), generator=gen)
        self._x = x0.to(self.device).requires_grad_(True)
        self._optimizer = self._make_optimizer()
        self.losses: list[float] = []
        self.n_iter_done = 0
        self.n_evaluations = 0
        self._cache: tuple[Tensor, Tensor, Tensor] | None = None

    def _spectral_root(self) -> Tensor:
        ref = self.spectrum_loss if self.spectrum_loss is not None else SpectrumLoss(self.target)
        root = ref.spectral_root(self.size)  # (*rfft, C, C)
        # unit variance per channel for white unit-variance input (correlations unchanged)
        power = (root.abs() ** 2).sum(dim=-1).flatten(0, -2).mean(dim=0)  # (C,)
        return (root / power.sqrt().view(-1, 1)).to(self.device)

    # -- optimisation ------------------------------------------------------

    def _make_optimizer(self) -> torch.optim.Optimizer:
        if self.optimizer_name == "lbfgs":
            # one L-BFGS iteration per step() call; the curvature history lives in the state
            return torch.optim.LBFGS(
                [self._x],
                lr=self.lr,
                max_iter=1,
                max_eval=10,
                history_size=20,
                tolerance_grad=0.0,
                tolerance_change=0.0,
                line_search_fn="strong_wolfe",
            )
        return torch.optim.Adam([self._x], lr=self.lr)

    def _pixels(self) -> Tensor:
        """Standardised synthesis from the optimised variable (spectral preconditioning)."""
        if self._root is None:
            return self._x
        axes = tuple(range(2, self._x.ndim))
        z = torch.fft.rfftn(self._x[0], dim=tuple(a - 1 for a in axes))  # (C, *rfft)
        mixed = torch.einsum("...ij,j...->i...", self._root, z)
        return torch.fft.irfftn(mixed, s=self.size, dim=tuple(a - 1 for a in axes))[None]

    def objective(self, x: Tensor) -> Tensor:
        """Total loss of a standardised synthesis ``x`` of shape ``(1, C, *size)``."""
        if self.loss_name == "multiscale":
            loss = self.loss_function(x)
        else:
            loss = self.loss_function(self.model(x, periodic=True))
        if self.multiscale_loss is not None:
            loss = loss + self.multiscale_weight * self.multiscale_loss(x)
        if self.spectrum_loss is not None:
            loss = loss + self.spectrum_weight * self.spectrum_loss(x)
        if self.marginal_weight > 0:
            loss = loss + self.marginal_weight * _marginal_loss(
                x[0].flatten(1), self._target_quantiles
            )
        if self.increment_weight > 0:
            loss = loss + self.increment_weight * _marginal_loss(
                self._increment_directions @ (_increments(x) / self._increment_scale),
                self._target_increments,
            )
        return loss

    def _closure(self) -> Tensor:
        # L-BFGS re-evaluates, at the start of each step, the point its line
        # search has just evaluated: reuse that value instead of a new forward/backward.
        x = self._x
        if self._cache is not None and torch.equal(self._cache[0], x.detach()):
            x.grad = self._cache[2].clone()
            return self._cache[1].clone()
        self._optimizer.zero_grad(set_to_none=False)
        self.n_evaluations += 1
        loss = self.objective(self._pixels())
        loss.backward()
        self._cache = (x.detach().clone(), loss.detach().clone(), x.grad.detach().clone())
        return loss.detach()

    def synthesize(
        self, n_iter: int, *, callback: Callable[[int, np.ndarray, float], Any] | None = None
    ) -> None:
        """Run ``n_iter`` more iterations (resumable).

        Parameters
        ----------
        n_iter : int
            Number of iterations; each is one L-BFGS step (with its line search)
            or one Adam step.
        callback : callable, optional
            ``callback(iteration, texture, loss)`` after each iteration, with
            ``iteration`` counted from 1 over all calls, ``texture`` the current
            synthesis (:attr:`texture`: a NumPy array in the target's layout,
            restored to its mean and std) and ``loss`` a float.

        Raises
        ------
        FloatingPointError
            The loss became NaN or infinite.
        """
        n_iter = check_positive_int(n_iter, "n_iter", minimum=0)
        if callback is not None and not callable(callback):
            raise TypeError(f"`callback` must be callable, got {type(callback).__name__}.")
        if not self.losses:
            self.losses.append(float(self._closure()))
        bar = tqdm(
            range(n_iter),
            desc=f"{self.loss_name} synthesis",
            disable=not self.progress,
            leave=False,
        )
        for _ in bar:
            loss = self._step()
            bar.set_postfix(loss=f"{loss:.3g}", refresh=False)
            if callback is not None:
                callback(self.n_iter_done, self.texture, loss)
        bar.close()

    def _step(self) -> float:
        # Exactly one loss + gradient evaluation per accepted point: the value
        # recorded after a step is cached and serves the next step.
        if self.optimizer_name == "lbfgs":
            self._optimizer.step(self._closure)
        else:
            self._closure()
            self._optimizer.step()
        if self.loss_name == "swd":
            self.loss_function.resample()
            self._cache = None
        loss = float(self._closure())
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"the loss became {loss} at iteration {self.n_iter_done + 1}; "
                "lower `lr` or check the target."
            )
        self.n_iter_done += 1
        self.losses.append(loss)
        return loss

    @property
    def texture_tensor(self) -> Tensor:
        """Current synthesis as a CPU tensor ``(1, C, *size)``, in the target's units."""
        with torch.no_grad():
            return (self._pixels().detach() * self.std + self.mean).cpu()

    @property
    def texture(self) -> np.ndarray:
        """Current synthesis (float64 NumPy array) in the target's layout and units.

        ``(*size)``, ``(C, *size)`` or ``(1, C, *size)`` as the target was given;
        :attr:`texture_tensor` holds the ``(1, C, *size)`` tensor.
        """
        arr = self.texture_tensor.numpy().astype(np.float64)
        return arr.reshape(arr.shape[self.dim + 2 - self._user_ndim :])

    def plot(self, *, title: str | None = None, height: int = 260):
        """The current synthesis as a figure (see :func:`plot_syntheses`); the loss
        curve is :func:`plot_losses` ``(self)``."""
        arr = self.texture_tensor.numpy()[0].astype(np.float64)
        return _plot_textures(["synthesis"], [arr], self.dim, title, height)

    # -- persistence -------------------------------------------------------

    def _fingerprint(self) -> dict[str, Any]:
        return {
            "target_shape": tuple(self.target.shape),
            "size": self.size,
            "loss": self.loss_name,
            "optimizer": self.optimizer_name,
            "precondition": self.precondition,
            "target_sum": float(self.target.double().abs().sum()),
        }

    def save(self, path: str | Path) -> None:
        """Save the state of the synthesis (texture, losses, optimiser) to ``path`` (torch
        format)."""
        state = {
            "fingerprint": self._fingerprint(),
            "x": self._x.detach().cpu(),
            "losses": list(self.losses),
            "n_iter_done": self.n_iter_done,
            "optimizer": self._optimizer.state_dict(),
            "swd_generator": (
                self.loss_function.generator.get_state() if self.loss_name == "swd" else None
            ),
        }
        torch.save(state, Path(path))

    def load(self, path: str | Path) -> None:
        """Restore a state written by :meth:`save` into this (freshly built) synthesis.

        Build the object with the same target, model and options first, as with
        plenoptic's ``Metamer.load``; then :meth:`synthesize` resumes.

        Raises
        ------
        FileNotFoundError
            ``path`` does not exist.
        ValueError
            The file was saved from a synthesis with another target, size,
            loss, optimiser or preconditioning.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"`path` {str(path)!r} not found.")
        state = torch.load(path, map_location="cpu", weights_only=False)
        saved, own = state["fingerprint"], self._fingerprint()
        for key in own:
            value = saved.get(key, own[key])
            same = (
                math.isclose(value, own[key], rel_tol=1e-6)
                if key == "target_sum"
                else value == own[key]
            )
            if not same:
                raise ValueError(
                    f"cannot load {str(path)!r}: its {key} is {value!r}, this synthesis has "
                    f"{own[key]!r}; build TextureSynthesis with the same target and options."
                )
        with torch.no_grad():
            self._x.copy_(state["x"].to(self.device))
        self._optimizer = self._make_optimizer()
        self._optimizer.load_state_dict(state["optimizer"])
        self.losses = list(state["losses"])
        self.n_iter_done = int(state["n_iter_done"])
        self._cache = None
        if state["swd_generator"] is not None:
            self.loss_function.generator.set_state(state["swd_generator"])

    def __repr__(self) -> str:
        return (
            f"TextureSynthesis(loss={self.loss_name!r}, size={self.size}, "
            f"optimizer={self.optimizer_name!r}, "
            f"n_iter_done={self.n_iter_done}, model={type(self.model).__name__})"
        )


def _check_multiscale_options(options) -> dict[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise TypeError(f"`multiscale_options` must be a dict, got {type(options).__name__}.")
    unknown = sorted(set(options) - {"n_scales", "wavelet", "groups", "weights"})
    if unknown:
        raise ValueError(
            f"unknown multiscale option(s) {unknown}; valid: ['groups', 'n_scales', "
            "'wavelet', 'weights']."
        )
    return {k: v for k, v in options.items() if v is not None}


def _check_model(model) -> int:
    dim = getattr(model, "dim", None)
    if dim not in (1, 2) or not hasattr(model, "min_size"):
        raise ValueError(
            "`model` must be a feature network with attributes `dim` (1 or 2) and `min_size`, "
            "e.g. textures_nb.networks.RandomMultiscaleNet."
        )
    return dim


# --------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------


def _check_seed(seed) -> int | np.random.Generator:
    """A Generator as is, else a non-negative int (TypeError/ValueError naming `seed`)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return torch_seed(seed)


def _check_size(size, spatial: tuple[int, ...], dim: int) -> tuple[int, ...]:
    if size is None:
        return tuple(int(s) for s in spatial)
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        size = (int(size),) * dim
    try:
        size = tuple(size)
    except TypeError:
        raise TypeError(
            f"`size` must be None, an int or a tuple of {dim} ints, got {size!r}."
        ) from None
    if len(size) != dim:
        raise ValueError(
            f"`size` must have {dim} value(s) for a {'signal' if dim == 1 else 'image'}, got "
            f"{size!r}; pass e.g. size={spatial!r}."
        )
    return tuple(check_positive_int(s, "size") for s in size)


def _check_min_size(shape: Sequence[int], min_size: int, name: str) -> None:
    if min(shape) < min_size:
        fix = (
            "use a larger sample or fewer scales (n_scales) / a smaller kernel_size"
            if name == "target"
            else "ask for a larger `size`"
        )
        raise ValueError(
            f"`{name}` has spatial shape {tuple(shape)}, smaller than the network's receptive "
            f"field ({min_size} samples per axis); {fix}."
        )


def _merge_options(method: str, options: dict[str, Any], n_iter) -> dict[str, Any]:
    opts = default_options(method)
    unknown = sorted(set(options) - set(opts))
    if unknown:
        valid = sorted(k for k in opts if k != "n_iter")
        raise ValueError(
            f"unknown option(s) {unknown} for method {method!r}; valid options: {valid}."
        )
    opts.update(options)
    if "periodic_component" in opts and not isinstance(opts["periodic_component"], bool | np.bool_):
        raise TypeError(
            f"`periodic_component` must be True or False, got {opts['periodic_component']!r}."
        )
    if n_iter is not None:
        opts["n_iter"] = n_iter
    opts["n_iter"] = check_positive_int(opts["n_iter"], "n_iter", minimum=0)
    return opts


def _auto_scales(spatial: Sequence[int], kernel_size: int, dim: int) -> int:
    """Most pyramid levels whose receptive field ``(k + 2) 2**(S - 1)`` fits in half the sample."""
    ratio = min(spatial) / (2 * (kernel_size + 2))
    fit = int(math.floor(math.log2(ratio))) + 1 if ratio >= 1 else 1
    return min(_MAX_SCALES[dim], fit)


# --------------------------------------------------------------------------
# Classical baselines (numpy, internal layout (C, *spatial), standardised)
# --------------------------------------------------------------------------


def _template_spectrum(
    x: np.ndarray, size: tuple[int, ...], rng: np.random.Generator
) -> np.ndarray:
    """Fourier transform (rfftn over the spatial axes) carrying the sample's (cross-)spectra at
    ``size``.

    ``x`` is ``(C, *spatial)`` in its own units. At the sample's own size the
    result is the sample's transform with one random phase field added to
    every channel: amplitudes and cross-spectra are kept exactly (the mean
    too: the zero frequency keeps its phase). At another size the
    cross-spectral matrix ``S(f)`` is computed from the biased
    (cross-)covariances embedded in the new grid, and each frequency gets
    ``S(f)^(1/2) z(f)`` with unit-modulus random ``z``: spectra are kept in
    expectation.
    """
    axes = tuple(range(1, x.ndim))
    spatial = x.shape[1:]
    n_ch = x.shape[0]
    noise_phase = np.angle(np.fft.rfftn(rng.standard_normal(size)))
    noise_phase[(0,) * len(size)] = 0.0
    if tuple(size) == tuple(spatial):
        return np.fft.rfftn(x, axes=axes) * np.exp(1j * noise_phase)[None]
    mean = x.mean(axis=axes, keepdims=True)
    xc = x - mean
    big = tuple(2 * n for n in spatial)  # no wrap-around: biased cross-covariances of every lag
    X = np.fft.fftn(xc, s=big, axes=axes)
    lag_axes = tuple(a + 1 for a in axes)
    cross = np.fft.ifftn(X[:, None] * np.conj(X[None]), axes=lag_axes).real / np.prod(spatial)
    lags = [
        np.r_[0 : min(n, m // 2 + 1), -min(n - 1, (m - 1) // 2) : 0]
        for n, m in zip(spatial, size, strict=True)
    ]
    src = [np.where(lag < 0, lag + 2 * n, lag) for lag, n in zip(lags, spatial, strict=True)]
    emb = np.zeros((n_ch, n_ch, *size))
    emb[(slice(None), slice(None), *np.ix_(*lags))] = cross[
        (slice(None), slice(None), *np.ix_(*src))
    ]
    S = np.fft.rfftn(emb, axes=lag_axes) * np.prod(size)  # expected |X_out(f)|^2 at the new size
    S = np.moveaxis(S, (0, 1), (-2, -1))
    S = 0.5 * (S + np.conj(np.swapaxes(S, -1, -2)))  # (..., C, C) Hermitian
    w, v = np.linalg.eigh(S)
    root = v * np.sqrt(np.clip(w, 0.0, None))[..., None, :]
    if n_ch == 1:
        z = np.exp(1j * noise_phase)[..., None]
    else:
        z = np.exp(2j * np.pi * rng.random((*noise_phase.shape, n_ch)))
    out = np.moveaxis(np.einsum("...ij,...j->...i", root, z), -1, 0)
    out[(slice(None), *((0,) * len(size)))] = mean.reshape(n_ch) * np.prod(size)
    return out


def periodic_smooth(x, *, dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Periodic + smooth decomposition of a signal or image (Moisan, 2011).

    ``x = p + s`` where ``p`` (the periodic component) has no discontinuity
    across opposite borders and ``s`` (the smooth component) is harmonic inside
    the domain (discrete Laplacian 0 away from the borders) with mean 0. In
    1D, ``s`` is a linear ramp that closes the gap between the two ends.
    Fourier methods that treat a sample as periodic (the ``"phase"`` and
    ``"iaaft"`` surrogates of :func:`synthesize`) see the border jumps of a
    non-periodic crop as sharp edges; their spectrum is an axis-aligned cross
    (a ``1/f**2`` tail in 1D) that phase randomisation spreads over the whole
    surrogate. ``p`` has the sample's spectrum without that cross.

    Parameters
    ----------
    x : array_like
        ``(T,)``, ``(C, T)`` (with ``dim=1``), ``(H, W)`` or ``(C, H, W)``;
        channels are decomposed separately.
    dim : {None, 1, 2}, optional
        As in :func:`synthesize`.

    Returns
    -------
    (ndarray, ndarray)
        ``p`` and ``s``, each in the layout of ``x``; ``p + s == x`` up to
        rounding and ``p`` has the mean of ``x``.

    References
    ----------
    L. Moisan (2011), "Periodic plus smooth image decomposition", Journal of
    Mathematical Imaging and Vision 39(2), 161-179.

    Examples
    --------
    >>> import numpy as np
    >>> p, s = periodic_smooth(np.arange(8.0))
    >>> bool(np.allclose(p + s, np.arange(8.0))), bool(abs(s.mean()) < 1e-12)
    (True, True)
    """
    lay = to_internal(x, "x", dim)
    p, s = _periodic_smooth(lay.data)
    return lay.back(p), lay.back(s)


def _phase_surrogate(x: np.ndarray, size: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    axes = tuple(range(1, x.ndim))
    return np.fft.irfftn(_template_spectrum(x, size, rng), s=size, axes=axes)


def _iaaft(
    x: np.ndarray,
    size: tuple[int, ...],
    n_iter: int,
    rng: np.random.Generator,
    progress: bool,
    callback,
) -> tuple[np.ndarray, list[float]]:
    """IAAFT of ``x`` (C, *spatial) in its own units, multivariate phases (Schreiber & Schmitz
    2000).

    Each iteration imposes the amplitudes (keeping the relative phases
    between channels of the sample, up to one common rotation per frequency
    chosen closest to the current phases), then the marginal by rank
    ordering; the result ends on the marginal step, so its sorted values are
    exactly the sample's (at the sample's size).
    """
    axes = tuple(range(1, x.ndim))
    n_ch = x.shape[0]
    template = _template_spectrum(x, size, rng)
    amp, ref_phase = np.abs(template), np.angle(template)
    sorted_vals = np.sort(x.reshape(n_ch, -1), axis=1)
    n_out = int(np.prod(size))
    if n_out != sorted_vals.shape[1]:
        q = (np.arange(n_out) + 0.5) / n_out
        src = (np.arange(sorted_vals.shape[1]) + 0.5) / sorted_vals.shape[1]
        sorted_vals = np.stack([np.interp(q, src, s) for s in sorted_vals])
    y = np.stack([rng.permutation(s) for s in sorted_vals]).reshape(n_ch, *size)
    norm = np.sqrt((amp**2).sum())
    losses = []
    for it in tqdm(range(n_iter), desc="iaaft", disable=not progress, leave=False):
        Y = np.fft.rfftn(y, axes=axes)
        weight = amp * np.abs(Y)
        diff = np.angle(Y) - ref_phase
        alpha = np.arctan2((weight * np.sin(diff)).sum(axis=0), (weight * np.cos(diff)).sum(axis=0))
        y = np.fft.irfftn(amp * np.exp(1j * (ref_phase + alpha[None])), s=size, axes=axes)
        ranks = np.argsort(
            np.argsort(y.reshape(n_ch, -1), axis=1, kind="stable"), axis=1, kind="stable"
        )
        y = np.take_along_axis(sorted_vals, ranks, axis=1).reshape(n_ch, *size)
        misfit = float(np.sqrt(((np.abs(np.fft.rfftn(y, axes=axes)) - amp) ** 2).sum()) / norm)
        losses.append(misfit)
        if callback is not None:
            callback(it + 1, y, misfit)
    return y, losses


# --------------------------------------------------------------------------
# Portilla-Simoncelli through plenoptic
# --------------------------------------------------------------------------


def _import_plenoptic():
    try:
        import plenoptic as po
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "method='ps' needs plenoptic >= 2 (Portilla-Simoncelli model): "
            "pip install 'plenoptic>=2'"
        ) from exc
    if not hasattr(po, "Metamer") or not hasattr(
        getattr(po, "loss", None), "portilla_simoncelli_loss_factory"
    ):
        raise ImportError(
            f"method='ps' needs plenoptic >= 2 (found {getattr(po, '__version__', '?')}): "
            "pip install -U 'plenoptic>=2'"
        )
    return po


@contextlib.contextmanager
def _quiet(cls, progress: bool):
    """Silence the tqdm bar a plenoptic synthesis class creates (when ``progress`` is False)."""
    module = sys.modules.get(cls.__module__)
    if progress or module is None or not hasattr(module, "tqdm"):
        yield
        return
    original = module.tqdm
    module.tqdm = functools.partial(tqdm, disable=True)
    try:
        yield
    finally:
        module.tqdm = original


# plenoptic's documented recipe for this model: L-BFGS, up to 10 inner iterations per step
PS_LBFGS_OPTIONS = {
    "max_iter": 10,
    "max_eval": 10,
    "history_size": 100,
    "line_search_fn": "strong_wolfe",
    "lr": 1,
}


def _synthesize_ps(
    x: np.ndarray, opts: dict[str, Any], seed: int, device: torch.device, progress: bool, callback
) -> tuple[np.ndarray, list[float]]:
    """Portilla-Simoncelli synthesis of a standardised grayscale image ``(1, H, W)``."""
    po = _import_plenoptic()
    n_scales = check_positive_int(opts["n_scales"], "n_scales")
    shape = x.shape[1:]
    if any(n % 2**n_scales for n in shape):
        good = tuple(n - n % 2**n_scales for n in shape)
        raise ValueError(
            f"method='ps' with n_scales={n_scales} needs an image whose height and width "
            f"are divisible by 2**n_scales = {2**n_scales}, got {shape}; crop it, "
            f"e.g. target[:{good[0]}, :{good[1]}], or lower n_scales."
        )
    corr = check_positive_int(opts["spatial_corr_width"], "spatial_corr_width")
    if min(shape) // 2**n_scales < corr:
        raise ValueError(
            f"method='ps' with n_scales={n_scales} and spatial_corr_width={corr} needs at least "
            f"{corr * 2**n_scales} pixels per side, got {shape}; lower n_scales (e.g. "
            f"n_scales={max(1, int(math.log2(max(1, min(shape) // corr))))}) "
            "or use a larger sample."
        )
    lo, hi = float(x.min()), float(x.max())
    img = torch.as_tensor(
        (x[None] - lo) / (hi - lo), dtype=torch.float32, device=device
    )  # (1, 1, H, W) in [0, 1]
    model = po.models.PortillaSimoncelli(
        shape,
        n_scales=n_scales,
        n_orientations=opts["n_orientations"],
        spatial_corr_width=opts["spatial_corr_width"],
    ).to(device)
    loss = po.loss.portilla_simoncelli_loss_factory(model, img)
    met = po.Metamer(img, model, loss_function=loss)
    gen = torch.Generator().manual_seed(seed)
    init = torch.rand(img.shape, generator=gen).to(device)
    met.setup(
        init,
        optimizer=torch.optim.LBFGS,
        optimizer_kwargs=dict(PS_LBFGS_OPTIONS),
    )
    n_iter = opts["n_iter"]
    every = (
        check_positive_int(opts["callback_every"], "callback_every")
        if callback is not None
        else n_iter
    )
    done = 0
    while done < n_iter:
        chunk = min(every, n_iter - done)
        with _quiet(po.Metamer, progress):
            met.synthesize(chunk, stop_criterion=0.0)
        done += chunk
        if callback is not None:
            cur = met.metamer.detach().cpu().numpy()[0] * (hi - lo) + lo
            callback(done, cur, float(met.losses[-1]))
    out = met.metamer.detach().cpu().numpy()[0] * (hi - lo) + lo
    return out, [float(v) for v in met.losses]


# --------------------------------------------------------------------------
# One-call entry point: validation once, then one function per method
# --------------------------------------------------------------------------


@dataclass
class _Job:
    """What a method needs, validated once by :func:`synthesize`."""

    x: np.ndarray  # (C, *spatial), the sample in its own units
    dim: int
    user_shape: tuple[int, ...]
    size: tuple[int, ...]
    opts: dict[str, Any]  # the method's options; runners add what they resolve
    seed: int | np.random.Generator
    device: torch.device
    progress: bool
    callback: Callable[[int, np.ndarray, float], Any] | None  # texture (C, *size)


# each runner returns (texture (C, *size) in the sample's units, losses, synthesis object)
_Output = tuple[np.ndarray, list[float], "TextureSynthesis | None"]


def _sample_to_match(job: _Job) -> np.ndarray:
    """The sample (C, *spatial) as the runners see it: its periodic component when the
    method's ``periodic_component`` option is on (phase, iaaft, multiscale by default)."""
    return _periodic_smooth(job.x)[0] if job.opts["periodic_component"] else job.x


def _run_phase(job: _Job) -> _Output:
    out = _phase_surrogate(_sample_to_match(job), job.size, as_generator(job.seed))
    if job.callback is not None:
        job.callback(1, out, float("nan"))
    return out, [], None


def _run_iaaft(job: _Job) -> _Output:
    rng = as_generator(job.seed)
    out, losses = _iaaft(
        _sample_to_match(job), job.size, job.opts["n_iter"], rng, job.progress, job.callback
    )
    return out, losses, None


def _run_ps(job: _Job) -> _Output:
    if job.dim != 2 or job.x.shape[0] != 1:
        raise ValueError(
            f"method='ps' (Portilla-Simoncelli) needs a grayscale image (H, W), got shape "
            f"{job.user_shape} (dim={job.dim}); use method='gram' for signals and multichannel "
            "data."
        )
    if job.size != job.x.shape[1:]:
        raise ValueError(
            f"method='ps' synthesises at the sample's size {job.x.shape[1:]}, got "
            f"size={job.size}; leave size=None or use method='gram' for larger syntheses."
        )
    out, losses = _synthesize_ps(
        job.x, job.opts, torch_seed(job.seed), job.device, job.progress, job.callback
    )
    return out, losses, None


def _vgg_model(job: _Job) -> torch.nn.Module:
    if job.dim != 2 or job.x.shape[0] not in (1, 3):
        raise ValueError(
            f"method='vgg' needs a grayscale (H, W) or RGB (3, H, W) image, got shape "
            f"{job.user_shape}; use method='gram' for signals and other channel counts."
        )
    if job.opts["weights"] is None:
        raise ValueError(
            "method='vgg' needs `weights`, the path of a local VGG-19 state dict "
            "(torchvision layout); "
            "nothing is downloaded. Without weights, use method='gram' (random features)."
        )
    model = load_vgg19(
        job.opts["weights"],
        width=job.opts["width"],
        layers=tuple(job.opts["layers"]),
        pooling=job.opts["pooling"],
    )
    return _GrayToRGB(model) if job.x.shape[0] == 1 else model


def _random_model(job: _Job) -> torch.nn.Module:
    kernel_size = check_positive_int(job.opts["kernel_size"], "kernel_size", minimum=2)
    if job.opts["n_scales"] is None:
        job.opts["n_scales"] = _auto_scales(job.x.shape[1:], kernel_size, job.dim)
    return RandomMultiscaleNet(
        job.x.shape[0],
        dim=job.dim,
        n_scales=job.opts["n_scales"],
        n_filters=job.opts["n_filters"],
        kernel_size=kernel_size,
        seed=job.seed,
    )


def _wavelet_model(job: _Job) -> WaveletTransform:
    wavelet = job.opts["wavelet"]
    n_side = min(job.x.shape[1:])
    if job.opts["n_scales"] is None:
        job.opts["n_scales"] = default_scales(n_side, wavelet=wavelet, dim=job.dim)
    else:
        check_positive_int(job.opts["n_scales"], "n_scales", minimum=2)
    if job.opts["n_scales"] < 2:
        model = WaveletTransform(1, dim=job.dim, n_scales=2, wavelet=wavelet)
        raise ValueError(
            f"method='multiscale' needs a sample with at least 2 wavelet scales, got shape "
            f"{job.user_shape}; use at least {model.min_size} samples per side "
            f"({wavelet!r})."
        )
    model = WaveletTransform(
        job.x.shape[0], dim=job.dim, n_scales=job.opts["n_scales"], wavelet=wavelet
    )
    _check_min_size(job.x.shape[1:], model.min_size, "target")
    return model


def _run_deep(job: _Job, method: str) -> _Output:
    if method == "vgg":
        model = _vgg_model(job)
    elif method == "multiscale":
        model = _wavelet_model(job)
    else:
        model = _random_model(job)
    synthesis = TextureSynthesis(
        _sample_to_match(job),
        model,
        loss="gram" if method == "vgg" else method,
        multiscale_weight=job.opts.get("multiscale_weight", 0.0),
        multiscale_options={"groups": job.opts.get("groups"), "weights": job.opts.get("weights")},
        size=job.size,
        spectrum_weight=job.opts["spectrum_weight"],
        marginal_weight=job.opts["marginal_weight"],
        increment_weight=job.opts["increment_weight"],
        optimizer=job.opts["optimizer"],
        lr=job.opts["lr"],
        seed=job.seed,
        device=job.device,
        n_directions=job.opts.get("n_directions"),
        precondition=job.opts["precondition"],
        progress=job.progress,
    )
    job.opts["lr"] = synthesis.lr
    synthesis.synthesize(job.opts["n_iter"], callback=job.callback)
    return synthesis.texture, list(synthesis.losses), synthesis


#: method name -> runner; :data:`METHODS` lists the same names.
_RUNNERS: dict[str, Callable[[_Job], _Output]] = {
    "gram": functools.partial(_run_deep, method="gram"),
    "swd": functools.partial(_run_deep, method="swd"),
    "vgg": functools.partial(_run_deep, method="vgg"),
    "phase": _run_phase,
    "iaaft": _run_iaaft,
    "ps": _run_ps,
    "multiscale": functools.partial(_run_deep, method="multiscale"),
}
assert tuple(_RUNNERS) == METHODS


def synthesize(
    target,
    *,
    method: str = "gram",
    size: int | Sequence[int] | None = None,
    n_iter: int | None = None,
    seed: int | np.random.Generator = 0,
    dim: int | None = None,
    callback: Callable[[int, np.ndarray, float], Any] | None = None,
    device: str | torch.device = "cpu",
    progress: bool = True,
    **options: Any,
) -> SynthesisResult:
    """Synthesise a texture with the statistics of a sample.

    Parameters
    ----------
    target : array_like
        The sample, finite values: a signal ``(T,)``, a multichannel signal
        ``(C, T)`` (with ``dim=1``), a grayscale image ``(H, W)`` or a
        multichannel image ``(C, H, W)``. Units are kept: the synthesis has
        the sample's per-channel mean and standard deviation (``"phase"``,
        ``"iaaft"`` and ``"multiscale"``: the mean, and the standard deviation
        of the sample's periodic component, see below).
    method : {"gram", "swd", "vgg", "phase", "iaaft", "ps", "multiscale"}, default "gram"
        See the module docstring. ``"gram"``: Gram matrices of a random
        multiscale network; multichannel samples keep cross-channel statistics
        (cross-Gram over every channel's features).
    size : int or tuple of int, optional
        Spatial size of the synthesis, ``T`` or ``(H, W)`` (an int means a
        square image); may exceed the sample. Default: the sample's.
        ``"ps"`` only synthesises at the sample's size.
    n_iter : int, optional
        Iterations; default from :func:`default_options` (150 for ``"gram"``).
    seed : int or numpy.random.Generator, default 0
        Seed of everything random (network weights, initial noise, phases,
        projections). Same int seed and inputs give the same output bit for bit
        on the same machine, CPU kernel and thread count. A Generator is used
        directly by the NumPy baselines and gives one integer draw for torch
        (recorded in ``options["seed"]``).
    dim : {None, 1, 2, 3}, optional
        1 to read a 2D array as a multichannel signal ``(C, T)``; by default a
        2D array is an image. 3: a sequence ``(T, H, W)`` or ``(C, T, H, W)``,
        ``size = (T2, H2, W2)``, methods "gram", "phase", "iaaft": see
        :func:`textures_nb.spacetime.synthesize_sequence` (returns its result).
    callback : callable, optional
        ``callback(iteration, texture, loss)`` after each iteration
        (``"ps"``: every ``callback_every`` iterations), ``texture`` a numpy
        array in the target's layout, for live previews.
    device : str or torch.device, default "cpu"
        Torch device of the deep methods and ``"ps"``, e.g. "cuda".
    progress : bool, default True
        tqdm progress bar.
    **options
        Method options, see :func:`default_options`:

        - ``"gram"``/``"swd"``: ``n_scales`` (None: as many levels as keep
          the receptive field within half the sample, at most 6 in 2D, 8 in
          1D), ``n_filters`` (32), ``kernel_size`` (5), ``optimizer``
          ("lbfgs" or "adam"), ``lr``, ``spectrum_weight`` (0.1: binned log
          power spectrum term), ``marginal_weight`` (1.0: pixel-histogram
          term), ``increment_weight`` (0: histogram of the one-sample
          increments, see :class:`TextureSynthesis`), ``periodic_component``
          (False: see ``"multiscale"``), ``precondition`` (True),
          ``multiscale_weight`` (0: else
          add :class:`~textures_nb.multiscale_torch.MultiscaleLoss` with
          this weight); ``"swd"``: ``n_directions``. The
          band-pass network leaves the lowest frequencies and the histogram
          unconstrained; the two small terms pin them (without them, the
          spectral slope of fBf syntheses drifted by up to 0.2 and the
          standardised marginals by W1 up to 0.25 in our measurements).
        - ``"vgg"``: ``weights`` (path of a local torchvision VGG-19 state
          dict; required), ``width`` (1.0), ``layers``, ``pooling``, and the
          optimiser options above.
        - ``"phase"``/``"iaaft"``: ``periodic_component`` (True): randomise
          the periodic component ``p`` of Moisan's periodic + smooth
          decomposition of the sample (:func:`periodic_smooth`), per channel.
          A sample that is not periodic (a crop, a recorded signal) jumps
          across its opposite borders; Fourier randomisation treats these
          jumps as edges and spreads them over the surrogate (an axis-aligned
          cross in the spectrum of an image, a ``1/f**2`` tail and a lowered
          regularity for a random walk). The smooth part ``s = x - p`` is
          *dropped*: it is the harmonic interpolant of those border jumps,
          fixed by the crop and not a stationary texture, so randomising its
          phases would recreate the artefact and adding it back unchanged
          would copy the sample's large-scale layout into every surrogate.
          The surrogate has the sample's mean and ``p``'s spectrum (the
          sample's without the cross); its variance is ``p``'s: measured on
          256 x 256 crops, 31 % of the sample's for an fBf with H = 0.7 and
          24 % for a 2D MRW field (their variance sits in the largest scales,
          where the crop's trend and the ramp ``s`` overlap), 99-107 % for the
          grass and brick photographs. The finer scales are kept: the
          surrogate of an fBf crop is flagged by :func:`textures_nb.quality.
          compare` as often as chance (0 of 20 crops; 20 of 20 without the
          decomposition).
          ``"iaaft"`` imposes ``p``'s sorted values. ``False`` randomises the
          sample as it is (for samples that are periodic already).
          ``"iaaft"``: ``n_iter`` (100).
        - ``"multiscale"``: ``n_scales`` (None: ``multiscale.max_scale`` of
          the sample's smaller side), ``wavelet`` ("db3"), ``groups`` (None:
          all of ``multiscale_torch.STAT_GROUPS``), ``weights`` (None: 1 per
          group), ``n_iter`` (300, chosen by measurement: BENCHMARKS.md), and
          the optimiser options of ``"gram"`` with two other defaults:
          ``periodic_component`` (True) matches the statistics of the
          sample's periodic component ``p`` (as ``"phase"`` does, see
          below), and ``increment_weight`` (1.0) keeps the histogram of the
          finest increments. A crop of a field whose variance sits in scales
          beyond the sample (fBf, MRW) carries a trend; matching its variance
          and coarse spectrum in a periodic synthesis put that variance into
          the few coarsest Fourier modes, and ``quality.compare`` flagged 16 %
          of fBf 256 x 256 syntheses on their spectrum at the coarse scales
          (0 of 50 with ``p``). With ``p`` alone the 1-pixel increments of
          2D MRW syntheses lost their heavy tails (kurtosis 0.2-0.5 against
          the samples' 1.4-2.7) and 15 of 38 were flagged on the increment
          marginal; the increment term restores them (BENCHMARKS.md, issue
          14). The synthesis then has ``p``'s standard deviation, which is
          smaller than the sample's when the sample has a trend.
        - ``"ps"``: ``n_scales`` (4), ``n_orientations`` (4),
          ``spatial_corr_width`` (7), ``callback_every`` (1). Follows
          plenoptic's recipe for this model: ``Metamer`` with
          ``portilla_simoncelli_loss_factory`` and L-BFGS, one iteration
          being one L-BFGS step of up to 10 inner iterations.

    Returns
    -------
    SynthesisResult
        ``texture`` (target layout, at ``size``), ``losses``, ``seconds``,
        ``method``, ``options`` and the ``synthesis`` object; ``.plot()``.

    Raises
    ------
    ValueError
        NaN/inf in ``target``, unknown ``method`` or option, ``dim`` not in
        {None, 1, 2}, a layout that does not match ``dim``, a sample smaller
        than the network's receptive field, or (``"ps"``) a non-grayscale or
        non-2D target or a size not divisible by ``2**n_scales``.
    FileNotFoundError
        ``"vgg"`` weights file missing.
    ImportError
        ``"ps"`` without plenoptic installed.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.cumsum(rng.standard_normal(1024))
    >>> res = synthesize(x, n_iter=5, progress=False)
    >>> res.texture.shape, len(res.losses)
    ((1024,), 6)
    >>> synthesize(x, method="phase", size=2048, progress=False).texture.shape
    (2048,)
    """
    if dim == 3:  # sequences (T, H, W): textures_nb.spacetime
        from .spacetime import synthesize_sequence

        if np.ndim(target) not in (3, 4):
            raise ValueError(f"`dim` must be None, 1 or 2 for a target of shape "
                             f"{np.shape(target)}; dim=3 needs a sequence (T, H, W) or "
                             "(C, T, H, W).")  # fmt: skip

        return synthesize_sequence(target, method=method, size=size, n_iter=n_iter, seed=seed,
                                   progress=progress, **options)  # fmt: skip
    t0 = time.perf_counter()
    job = _make_job(target, method, size, n_iter, seed, dim, callback, device, progress, options)
    lay = Layout(job.x, job.dim, job.user_shape)
    out, losses, synthesis = _RUNNERS[method](job)
    record = {
        "seed": job.seed if isinstance(job.seed, int) else "numpy.random.Generator",
        "size": job.size,
        "dim": job.dim,
        "device": str(job.device),
        **job.opts,
    }
    return SynthesisResult(
        texture=lay.back(np.asarray(out, dtype=np.float64)),
        losses=[float(v) for v in losses],
        seconds=time.perf_counter() - t0,
        method=method,
        options=record,
        synthesis=synthesis,
    )


def _make_job(target, method, size, n_iter, seed, dim, callback, device, progress, options) -> _Job:
    """Validate the arguments of :func:`synthesize` (every method) into a :class:`_Job`."""
    _check_method(method)
    lay = to_internal(target, "target", dim)
    x = lay.data
    if np.any(x.reshape(x.shape[0], -1).std(axis=1) == 0):
        raise ValueError("`target` has a constant channel; texture synthesis needs fluctuations.")
    seed = _check_seed(seed)
    if isinstance(seed, np.random.Generator) and method not in ("phase", "iaaft"):
        seed = torch_seed(seed)  # torch needs an int: one draw, recorded in the options
    dev = _as_device(device)
    if callback is not None and not callable(callback):
        raise TypeError(f"`callback` must be callable, got {type(callback).__name__}.")
    opts = _merge_options(method, options, n_iter)
    size_t = _check_size(size, x.shape[1:], lay.dim)

    internal_cb = None
    if callback is not None:

        def internal_cb(it: int, tex: np.ndarray, loss: float) -> None:
            callback(it, lay.back(np.asarray(tex, dtype=np.float64)), loss)

    return _Job(
        x=x,
        dim=lay.dim,
        user_shape=lay.user_shape,
        size=size_t,
        opts=opts,
        seed=seed,
        device=dev,
        progress=bool(progress),
        callback=internal_cb,
    )


class _GrayToRGB(torch.nn.Module):
    """Feed a grayscale image to a 3-channel network by repeating the channel."""

    def __init__(self, net: VGG19) -> None:
        super().__init__()
        self.net = net
        self.dim = net.dim
        self.in_channels = 1
        self.min_size = net.min_size

    def forward(self, x: Tensor, *, periodic: bool = False) -> list[Tensor]:
        return self.net(x.expand(-1, 3, *x.shape[2:]), periodic=periodic)


# --------------------------------------------------------------------------
# Diagnostics used by the tests, the benchmark and the notebook
# --------------------------------------------------------------------------


def spectral_slope(x, *, fit_range: tuple[float, float] = (1 / 64, 1 / 4)) -> float:
    """Log-log slope of the radially averaged power spectrum.

    Parameters
    ----------
    x : array_like, shape (T,) or (H, W)
        Signal or grayscale image; a Hann window is applied (after removing
        the mean) so that a non-periodic sample does not leak power.
    fit_range : (float, float), default (1/64, 1/4)
        Frequencies (cycles per sample) of the least-squares fit.

    Returns
    -------
    float
        Slope ``beta`` of ``log P(|f|) ~ beta log |f|`` (about ``-(2H + d)``
        for a fractional Brownian field of Hurst index ``H`` in ``d``
        dimensions).

    Examples
    --------
    >>> from textures_nb.processes import fbf
    >>> from textures_nb.synthesis import spectral_slope
    >>> -3.8 < spectral_slope(fbf((256, 256), 0.7, seed=0)) < -3.0  # about -(2 H + d) = -3.4
    True
    """
    x = as_finite_array(x, "x", ndims=(1, 2))
    spec = np.abs(np.fft.fftn((x - x.mean()) * hann(x.shape))) ** 2
    radius, _ = radius_angle(x.shape)
    edges = np.logspace(np.log10(fit_range[0]), np.log10(fit_range[1]), 13)
    band = band_index(radius, edges)
    p = binned_mean(spec, band, len(edges) - 1)
    r = binned_mean(radius, band, len(edges) - 1)
    keep = np.isfinite(p)
    return float(np.polyfit(np.log(r[keep]), np.log(p[keep]), 1)[0])


def dominant_orientation(x) -> float:
    """Dominant orientation of an image's gradients (structure tensor), in degrees.

    Parameters
    ----------
    x : array_like, shape (H, W)
        Grayscale image.

    Returns
    -------
    float
        Angle in [0, 180) degrees of the dominant gradient direction, measured
        counterclockwise from the column (x) axis with rows pointing down; the
        texture's stripes run perpendicular to it.

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.synthesis import dominant_orientation
    >>> rows, cols = np.mgrid[:64, :64]
    >>> round(dominant_orientation(np.sin(cols / 3.0)))  # vertical stripes: gradients along x
    0
    """
    x = as_finite_array(x, "x", ndims=(2,))
    gy, gx = np.gradient(x)
    jxx, jyy, jxy = (gx * gx).mean(), (gy * gy).mean(), (gx * gy).mean()
    return float(np.degrees(0.5 * np.arctan2(2 * jxy, jxx - jyy)) % 180.0)


def marginal_distance(a, b) -> float:
    """Wasserstein-1 distance between the standardised marginals of two arrays.

    Parameters
    ----------
    a, b : array_like
        Any shapes; values are pooled, centred and scaled to unit variance.

    Returns
    -------
    float
        ``scipy.stats.wasserstein_distance`` of the standardised values
        (0 for identical shapes of distribution).

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.synthesis import marginal_distance
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.standard_normal(4000), rng.exponential(size=4000)
    >>> marginal_distance(a, 3 * a + 1) < 1e-12, round(marginal_distance(a, b), 1)
    (True, 0.3)
    """
    a = as_finite_array(a, "a").ravel()
    b = as_finite_array(b, "b").ravel()
    return float(_stats.wasserstein_distance((a - a.mean()) / a.std(), (b - b.mean()) / b.std()))


# --------------------------------------------------------------------------
# Notebook helpers: tables, figures, live preview
# --------------------------------------------------------------------------


def statistics_table(
    sample,
    results: dict[str, SynthesisResult],
    *,
    scales: tuple[int, int],
    wavelet: str = "db3",
    channel: int = 0,
    dim: int | None = None,
    **analysis: Any,
):
    """Log-cumulants and texture statistics of a sample and of its syntheses.

    Parameters
    ----------
    sample : array_like
        The sample, in any layout of :func:`synthesize`.
    results : dict of str to SynthesisResult
        Syntheses by name (e.g. method).
    scales : (int, int)
        Fit range of :func:`textures_nb.multiscale.log_cumulants`.
    wavelet : str, default "db3"
        Wavelet of the multiscale analysis.
    channel : int, default 0
        Channel analysed for multichannel data.
    dim : {None, 1, 2}, optional
        As in :func:`synthesize` (1 for ``(C, T)`` signals).
    **analysis
        Further options of :func:`~textures_nb.multiscale.log_cumulants`,
        e.g. ``gamint=1`` for natural images whose minimal regularity is
        negative, or ``leaders=False``.

    Returns
    -------
    pandas.DataFrame
        One row per texture (``"sample"`` first) with ``c1``, ``c2``
        (wavelet-leader log-cumulants), ``slope`` (log-log power spectrum
        slope), ``W1`` (marginal distance to the sample) and ``seconds``.

    Examples
    --------
    >>> from textures_nb.processes import fbf
    >>> from textures_nb.synthesis import statistics_table, synthesize
    >>> x = fbf((64, 64), 0.7, seed=0)
    >>> res = {"phase": synthesize(x, method="phase", progress=False)}
    >>> statistics_table(x, res, scales=(1, 3)).index.tolist()
    ['sample', 'phase']
    """
    import pandas as pd

    from .multiscale import log_cumulants

    def first(a):
        x = to_internal(a, "texture", dim).data
        return x[min(channel, x.shape[0] - 1)]

    ref = first(sample)
    rows = []
    for name, tex, sec in [("sample", ref, float("nan"))] + [
        (k, first(r.texture), r.seconds) for k, r in results.items()
    ]:
        est = log_cumulants(tex, scales=scales, wavelet=wavelet, n_cumul=2, n_boot=0, **analysis)
        rows.append(
            {
                "texture": name,
                "c1": est.c1,
                "c2": est.c2,
                "slope": spectral_slope(tex),
                "W1": marginal_distance(ref, tex),
                "seconds": sec,
            }
        )
    return pd.DataFrame(rows).set_index("texture")


def _display_image(a: np.ndarray) -> np.ndarray:
    """One panel of an internal ``(C, H, W)`` image: (H, W, 3) for 3 channels, else channel 0."""
    if a.shape[0] == 3:
        return np.moveaxis(a, 0, -1)
    return a[0]


def _plot_textures(names: list[str], arrays: list[np.ndarray], dim: int, title, height: int):
    """Images in a wrapped grid (:func:`textures_nb.plotting.images`), signals stacked.

    ``arrays`` are in any user layout of dimension ``dim``; no fixed width, so the
    figure follows the notebook's output area.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    data = [to_internal(a, "texture", dim).data for a in arrays]
    if dim == 2:
        from .plotting import images

        return images([_display_image(a) for a in data], titles=names, title=title, height=height)
    fig = make_subplots(rows=len(data), cols=1, subplot_titles=names, shared_xaxes=False)
    for k, a in enumerate(data, start=1):
        for c, line in enumerate(a):
            fig.add_trace(
                go.Scatter(
                    y=line,
                    mode="lines",
                    line={"width": 1},
                    name=f"channel {c}",
                    showlegend=(k == 1 and a.shape[0] > 1),
                ),
                row=k,
                col=1,
            )
    fig.update_layout(
        title=title,
        height=int(0.6 * height) * len(data) + 80,
        autosize=True,
        legend={"x": 0.01, "y": 0.99, "xanchor": "left", "yanchor": "top"},
    )
    return fig


def plot_syntheses(
    sample,
    results: dict[str, SynthesisResult],
    *,
    dim: int | None = None,
    title: str | None = None,
    height: int = 260,
):
    """Sample and syntheses: images in a grid that wraps into rows, signals stacked.

    Parameters
    ----------
    sample : array_like
        The sample, in any layout of :func:`synthesize`.
    results : dict of str to SynthesisResult
        Syntheses by name.
    dim : {None, 1, 2}, optional
        As in :func:`synthesize`.
    title : str, optional
        Figure title.
    height : int, default 260
        Height in pixels of one panel (images: at most; panels shrink to fit
        the width).

    Returns
    -------
    plotly.graph_objects.Figure
        Images: one panel per texture (grayscale, RGB for 3 channels, the
        first channel otherwise), at most 6 per row and no fixed width
        (:func:`textures_nb.plotting.images`). Signals: one row per texture,
        one line per channel.

    Examples
    --------
    >>> from textures_nb.processes import fbf
    >>> from textures_nb.synthesis import plot_syntheses, synthesize
    >>> x = fbf((32, 32), 0.7, seed=0)
    >>> fig = plot_syntheses(x, {"phase": synthesize(x, method="phase", progress=False)})
    >>> len(fig.data)
    2
    """
    d = to_internal(sample, "sample", dim).dim
    names = ["sample", *results]
    arrays = [sample] + [r.texture for r in results.values()]
    return _plot_textures(names, arrays, d, title, height)


def _loss_items(results) -> list[tuple[str, list[float]]]:
    if isinstance(results, (SynthesisResult, TextureSynthesis)):
        results = [results]
    if isinstance(results, dict):
        items = list(results.items())
    elif isinstance(results, (list, tuple)):
        items = [
            (getattr(r, "method", None) or getattr(r, "loss_name", str(k)), r)
            for k, r in enumerate(results)
        ]
    else:
        raise TypeError(
            "`results` must be a SynthesisResult, a TextureSynthesis, or a dict or list of them, "
            f"got {type(results).__name__}."
        )
    out = []
    for name, r in items:
        if not isinstance(r, (SynthesisResult, TextureSynthesis)):
            raise TypeError(
                f"`results[{name!r}]` is a {type(r).__name__}; pass SynthesisResult or "
                "TextureSynthesis objects (textures_nb.generative.plot_losses draws GAN runs)."
            )
        out.append((str(name), list(r.losses)))
    return out


def plot_losses(results, *, title: str | None = "Loss per iteration"):
    """Loss curves (log scale) of optimised syntheses.

    Parameters
    ----------
    results : SynthesisResult, TextureSynthesis, or a dict or list of them
        Syntheses (by name for a dict; a list is named by method); those
        without losses (``"phase"``) are skipped.
    title : str, optional
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        Loss relative to its initial value against the iteration; losses are
        comparable within a method only. (GAN runs have their own
        :func:`textures_nb.generative.plot_losses`.)

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.synthesis import plot_losses, synthesize
    >>> x = np.cumsum(np.random.default_rng(0).standard_normal(512))
    >>> fig = plot_losses({"gram": synthesize(x, n_iter=3, progress=False)})
    >>> fig.data[0].name
    'gram'
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, losses in _loss_items(results):
        if len(losses) < 2:
            continue
        loss = np.asarray(losses, dtype=float)
        fig.add_trace(go.Scatter(y=loss / loss[0], mode="lines", name=name))
    fig.update_yaxes(type="log", title="loss / initial loss")
    fig.update_xaxes(title="iteration")
    fig.update_layout(
        title=title,
        height=350,
        autosize=True,
        legend={"x": 0.99, "y": 0.99, "xanchor": "right", "yanchor": "top"},
    )
    return fig


def _windows(x: np.ndarray, n_windows: int) -> list[np.ndarray]:
    """Disjoint windows of a signal (``n_windows`` pieces) or an image (quadrants when 4)."""
    if x.ndim == 1:
        return list(np.array_split(x, n_windows))
    k = max(1, int(round(math.sqrt(n_windows))))
    return [b for rows in np.array_split(x, k, axis=0) for b in np.array_split(rows, k, axis=1)]


def plot_log_scale_diagrams(
    sample,
    results,
    *,
    scales: tuple[int, int] | None = None,
    n_windows: int = 4,
    title: str | None = "Log-scale diagrams of the wavelet leaders",
):
    """``C1(j)`` and ``C2(j)`` of the leaders of a sample and its syntheses, with a null band.

    Parameters
    ----------
    sample : array_like, shape (T,) or (H, W)
        The sample (one channel).
    results : dict of str to SynthesisResult or ndarray
        Syntheses by name.
    scales : (int, int), optional
        Scales shown (default: those of :func:`textures_nb.multiscale.log_cumulants`).
    n_windows : int, default 4
        The null band is the range of ``C_m(j)`` over ``n_windows`` disjoint
        windows of the sample (quarters of a signal, quadrants of an image):
        what a piece of the same texture gives, a guide to sampling noise
        (wider than that of the whole sample, which has more coefficients).
    title : str, optional
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        Two panels: ``C1(j)`` (slope ``c1``) and ``C2(j)`` (slope ``c2``)
        against the scale ``j``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).standard_normal(4096).cumsum()
    >>> fig = plot_log_scale_diagrams(x, {"copy": x}, scales=(3, 7))
    >>> len(fig.data)
    6
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from .multiscale import log_cumulants, max_scale

    x = as_finite_array(sample, "sample", ndims=(1, 2))
    check_positive_int(n_windows, "n_windows", minimum=2)
    if not isinstance(results, dict):
        raise TypeError(
            f"`results` must be a dict name -> synthesis, got {type(results).__name__}."
        )
    ref = log_cumulants(x, scales=scales, n_cumul=2, n_boot=0)
    j1, j2 = ref.scales
    j = np.arange(j1, j2 + 1)
    windows = _windows(x, n_windows)
    # windows are smaller: their band stops at the coarsest scale they support
    jw = min(j2, min(max_scale(min(w.shape), dim=x.ndim) for w in windows))
    if jw <= j1:
        raise ValueError(
            f"`sample` of shape {x.shape} cut into {n_windows} windows leaves too few scales "
            "for a null band; use a larger sample or n_windows=2."
        )
    win = [log_cumulants(w, scales=(j1, jw), n_cumul=2, n_boot=0).C for w in windows]
    win = [c[:, j1 - 1 : jw] for c in win]
    lo, hi = np.min(win, axis=0), np.max(win, axis=0)
    jb = np.arange(j1, jw + 1)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("C1(j)", "C2(j)"))
    for m in (0, 1):
        show = m == 0
        fig.add_trace(
            go.Scatter(
                x=np.r_[jb, jb[::-1]], y=np.r_[hi[m], lo[m][::-1]], fill="toself", mode="lines",
                line={"width": 0}, fillcolor="rgba(120,120,120,0.25)",
                name=f"sample windows ({n_windows})", showlegend=show, legendgroup="band",
            ),
            row=1, col=m + 1,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(x=j, y=ref.C[m, j1 - 1 : j2], mode="lines+markers", name="sample",
                       line={"color": "black"}, showlegend=show, legendgroup="sample"),
            row=1, col=m + 1,
        )  # fmt: skip
    for k, (name, res) in enumerate(results.items()):
        y = getattr(res, "texture", res)
        est = log_cumulants(as_finite_array(y, name, ndims=(x.ndim,)), scales=(j1, j2),
                            n_cumul=2, n_boot=0)  # fmt: skip
        for m in (0, 1):
            fig.add_trace(
                go.Scatter(x=j, y=est.C[m, j1 - 1 : j2], mode="lines+markers", name=name,
                           showlegend=m == 0, legendgroup=name,
                           line={"dash": "dash", "color": _COLOURS[k % len(_COLOURS)]}),
                row=1, col=m + 1,
            )  # fmt: skip
    fig.update_xaxes(title="scale j")
    fig.update_layout(
        title=title, height=420, autosize=True,
        legend={"orientation": "h", "x": 0.0, "y": -0.2, "xanchor": "left", "yanchor": "top"},
    )  # fmt: skip
    return fig


_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def _png(a: np.ndarray, width: int, dim: int) -> bytes:
    """PNG bytes of an image, or of a signal drawn as lines, for an ipywidgets.Image."""
    if dim == 2:
        return png_bytes(_display_image(a if a.ndim == 3 else a[None]), width=width)
    from PIL import Image, ImageDraw

    lines = np.atleast_2d(a)
    h = 80 * lines.shape[0]
    pil = Image.new("L", (width, h), 255)
    draw = ImageDraw.Draw(pil)
    xs = np.linspace(0, width - 1, lines.shape[1])
    for c, line in enumerate(lines):
        lo, hi = line.min(), line.max()
        ys = 80 * c + 75 - 70 * (line - lo) / (hi - lo + 1e-12)
        draw.line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=0, width=1)
    buf = io.BytesIO()
    pil.save(buf, format="PNG")
    return buf.getvalue()


def preview_callback(image, label, *, every: int = 5, width: int = 256, dim: int = 2):
    """Callback for :func:`synthesize` that refreshes ipywidgets with the current texture.

    Parameters
    ----------
    image : ipywidgets.Image
        Receives a PNG of the texture every ``every`` iterations.
    label : ipywidgets.Label or HTML
        Receives ``"iteration i: loss ..."``.
    every : int, default 5
        Refresh period in iterations (encoding a PNG costs a few ms).
    width : int, default 256
        Width of the preview in pixels.
    dim : {1, 2}, default 2
        2 for images, 1 for signals (drawn as one line per channel).

    Returns
    -------
    callable
        ``callback(iteration, texture, loss)``.

    Examples
    --------
    >>> import ipywidgets as widgets
    >>> import numpy as np
    >>> from textures_nb.synthesis import preview_callback
    >>> image, label = widgets.Image(), widgets.Label()
    >>> callback = preview_callback(image, label, every=1)
    >>> callback(1, np.zeros((16, 16)), 0.5)
    >>> len(image.value) > 0, bool(label.value)
    (True, True)
    """
    every = check_positive_int(every, "every")

    def callback(iteration: int, texture: np.ndarray, loss: float) -> None:
        label.value = f"iteration {iteration}: loss {loss:.4g}"
        if iteration == 1 or iteration % every == 0:
            image.value = _png(np.asarray(texture, dtype=float), width, dim)

    return callback


def live_synthesis(target, *, every: int = 5, width: int = 256, **kwargs):
    """Display a live preview and run :func:`synthesize`.

    Parameters
    ----------
    target : array_like
        The sample.
    every : int, default 5
        Refresh period of the preview, in iterations.
    width : int, default 256
        Preview width in pixels.
    **kwargs
        Passed to :func:`synthesize` (``progress`` defaults to False).

    Returns
    -------
    (ipywidgets.VBox, SynthesisResult)
        The widget (already displayed) and the result.

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.synthesis import live_synthesis
    >>> x = np.cumsum(np.random.default_rng(0).standard_normal(512))
    >>> box, res = live_synthesis(x, n_iter=2, progress=False)  # doctest: +ELLIPSIS
    VBox(...)
    >>> len(res.losses)
    3
    """
    import ipywidgets as widgets
    from IPython.display import display

    image = widgets.Image(format="png", width=width)
    label = widgets.Label("starting...")
    box = widgets.VBox([label, image])
    display(box)
    kwargs.setdefault("progress", False)
    dim = to_internal(target, "target", kwargs.get("dim")).dim
    callback = preview_callback(image, label, every=every, width=width, dim=dim)
    result = synthesize(target, callback=callback, **kwargs)
    return box, result
