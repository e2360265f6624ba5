"""Trained generative models of textures: a DCGAN for 1D signals and 2D images.

Unlike per-sample optimisation (:mod:`textures_nb.synthesis`), a trained
generator draws new textures instantly, which is what oversampling rare
classes and producing surrogate data at scale need. Its quality has to be
judged across repeated trainings from scratch and across architecture sizes,
so this module keeps every run reproducible and comparable:

- :class:`DCGANConfig` holds the architecture (``depth``, ``width``,
  ``latent``) and the optimisation settings, so complexity can be swept;
- :func:`train` trains one model from a seed, with a tqdm bar, a callback for
  live previews, resumable checkpoints and the per-step loss record, and
  returns a :class:`GANRun` (``.generator``, ``.losses``, ``.sample``,
  ``.save``; :func:`load` reads it back);
- :func:`repeat_training` trains from scratch once per seed, serially or on
  a :class:`concurrent.futures.Executor`;
- datasets are arrays of realisations, ``(N, H, W)``, ``(N, C, H, W)``,
  ``(N, T)`` or ``(N, C, T)``: :func:`mrw_dataset`,
  :func:`bivariate_mrw_dataset` (known truth, from :mod:`textures_nb.processes`)
  and :func:`patches` (random crops of one large sample);
- :func:`compare_log_cumulants` and :func:`plot_losses` judge the result.

Architecture (Radford, Metz & Chintala 2016): the generator maps a Gaussian
latent vector through a linear layer to a ``base``-sized grid, then ``depth``
stride-2 transposed convolutions (or nearest-neighbour upsampling followed by
a convolution) with batch normalisation and LeakyReLU(0.2), each halving the
width; the discriminator mirrors it with stride-2 convolutions and LeakyReLU.
Two departures from the original DCGAN, chosen by measurement (issue 11:
with ReLU and hard labels the discriminator won within a few hundred steps,
the generator's last hidden ReLUs died and some samples were constant): the
generator's activations are leaky (``g_slope``), and the real labels are
smoothed to 0.9 (``real_label``). ``DCGANConfig(g_slope=0, real_label=1)``
is the original; ``g_norm="pixel"`` replaces batch normalisation by a
normalisation that is the same in training and sampling. Samples are drawn
in eval mode (batch normalisation with the running statistics of training),
so a texture depends on its latent vector only, never on its batch. Data are
standardised per channel for training and samples are returned in the data's
units.

Reproducibility ("same seed, same bits"): the datasets (:func:`mrw_dataset`,
:func:`bivariate_mrw_dataset`, :func:`patches`) are NumPy only and the same on
every machine. A training (:func:`train`) and the samples of a run
(:meth:`GANRun.sample`) are bit-identical for the same seed only with the same
torch version, the same CPU kernel (``ATEN_CPU_CAPABILITY``: ``default``,
``avx2``, ``avx512``), the same number of torch threads and the same device;
across machines or settings a seed gives another draw of the same training.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from ._checks import (
    as_finite_array,
    as_generator,
    check_in_range,
    check_positive_int,
    torch_seed,
)
from ._shared.progress import tqdm
from .multiscale_torch import MultiscaleLoss

__all__ = [
    "DCGANConfig",
    "Generator",
    "Discriminator",
    "GANRun",
    "RepeatedTraining",
    "train",
    "load",
    "repeat_training",
    "mrw_dataset",
    "bivariate_mrw_dataset",
    "patches",
    "compare_log_cumulants",
    "plot_losses",
]

_CHECKPOINT_FORMAT = 2
_FORMATS = (1, 2)  # format 1 predates g_norm, g_slope and real_label (see _LEGACY_SETTINGS)


# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class DCGANConfig:
    """Architecture and optimisation settings of a DCGAN.

    Parameters
    ----------
    dim : {1, 2}, default 2
        1 for signals ``(C, T)``, 2 for images ``(C, H, W)``.
    channels : int, optional
        Number of channels; None takes it from the dataset in :func:`train`.
    size : int, optional
        Side of the square images (pixels) or length of the signals (samples);
        None takes it from the dataset. Must equal ``base * 2**depth``.
    latent : int, default 64
        Dimension of the Gaussian latent vector.
    width : int, default 32
        Channels of the last hidden generator layer (and first discriminator
        layer); each deeper layer doubles it.
    depth : int, optional
        Number of stride-2 stages; None picks ``log2(size / 4)`` (a 4-pixel
        base grid, as in the original DCGAN).
    upsample : {"transpose", "nearest"}, default "transpose"
        Transposed convolutions (DCGAN) or nearest-neighbour upsampling and a
        3-tap convolution (fewer checkerboard artefacts).
    batch_size : int, default 32
        Realisations per step (drop-last batches).
    epochs : int, default 20
        Passes over the dataset; the number of steps is
        ``epochs * (N // batch_size)``.
    lr_g, lr_d : float, default 2e-4
        Adam learning rates of the generator and the discriminator.
    betas : (float, float), default (0.5, 0.999)
        Adam betas.
    g_norm : {"batch", "pixel"}, default "batch"
        Normalisation of the generator's hidden layers: ``"batch"`` (DCGAN's
        batch normalisation: a sample drawn in eval mode uses running
        statistics, not those of its batch) or ``"pixel"`` (each pixel's
        feature vector scaled to unit mean square, Karras et al. 2018: no
        statistics, identical in training and sampling).
    g_slope : float, default 0.2
        Negative slope of the generator's hidden activations: 0 is DCGAN's
        ReLU, > 0 a LeakyReLU. With ReLU, units die once the discriminator
        wins, and some latent vectors then give an all-zero last hidden layer:
        the sample is the output bias, a constant texture. A LeakyReLU is zero
        only where its input is, so no layer can go dead.
    real_label : float, default 0.9
        Target of real batches in the discriminator loss; below 1 is one-sided
        label smoothing (Salimans et al. 2016): the discriminator cannot push
        its real logits to infinity, so it does not saturate and the generator
        keeps a gradient. 1.0 is the original DCGAN.
    multiscale_weight : float, default 0
        Weight of a feature-matching term added to the generator loss: the
        squared distance between the multiscale statistics of the generated
        batch and those of the whole training set (wavelet log-moments,
        leaders, local cross-scale and cross-channel covariances, pooled over
        the batch; :class:`textures_nb.multiscale_torch.MultiscaleLoss`, valid
        borders). Recorded per step as ``losses["loss_multiscale"]``. 0
        disables it (the plain DCGAN).

    Examples
    --------
    >>> from textures_nb.generative import DCGANConfig
    >>> cfg = DCGANConfig(size=64, width=16, epochs=2)
    >>> cfg.resolved_depth()
    4
    """

    dim: int = 2
    channels: int | None = None
    size: int | None = None
    latent: int = 64
    width: int = 32
    depth: int | None = None
    upsample: str = "transpose"
    batch_size: int = 32
    epochs: int = 20
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    g_norm: str = "batch"
    g_slope: float = 0.2
    real_label: float = 0.9
    multiscale_weight: float = 0.0

    def __post_init__(self) -> None:
        if self.dim not in (1, 2) or isinstance(self.dim, bool):
            raise ValueError(f"`dim` must be 1 (signals) or 2 (images), got {self.dim!r}.")
        for name in ("latent", "width", "batch_size", "epochs"):
            check_positive_int(getattr(self, name), name)
        for name in ("channels", "size", "depth"):
            if getattr(self, name) is not None:
                check_positive_int(getattr(self, name), name)
        if self.upsample not in ("transpose", "nearest"):
            raise ValueError(f"`upsample` must be 'transpose' or 'nearest', got {self.upsample!r}.")
        if self.g_norm not in ("batch", "pixel"):
            raise ValueError(f"`g_norm` must be 'batch' or 'pixel', got {self.g_norm!r}.")
        check_in_range(self.g_slope, "g_slope", 0.0, 1.0, low_inclusive=True)
        check_in_range(self.real_label, "real_label", 0.5, 1.0, high_inclusive=True)
        check_in_range(
            self.multiscale_weight, "multiscale_weight", 0.0, math.inf, low_inclusive=True
        )
        check_in_range(self.lr_g, "lr_g", 0.0, 1.0)
        check_in_range(self.lr_d, "lr_d", 0.0, 1.0)
        try:
            b1, b2 = self.betas
        except (TypeError, ValueError):
            raise TypeError(f"`betas` must be a pair of floats, got {self.betas!r}.") from None
        check_in_range(b1, "betas[0]", 0.0, 1.0, low_inclusive=True)
        check_in_range(b2, "betas[1]", 0.0, 1.0, low_inclusive=True)
        object.__setattr__(self, "betas", (float(b1), float(b2)))
        if self.size is not None:
            self.resolved_depth()

    def resolved_depth(self) -> int:
        """Number of stride-2 stages for ``size``; raises if ``size`` cannot be produced."""
        if self.size is None:
            raise ValueError("`size` is unknown: pass it or train on a dataset first.")
        depth = self.depth
        if depth is None:
            ratio = self.size / 4
            depth = int(round(math.log2(ratio))) if ratio >= 2 else 0
            if depth < 1 or 4 * 2**depth != self.size:
                raise ValueError(
                    f"`size`={self.size} is not 4 * 2**depth: with depth=None the generator "
                    "starts from a 4-pixel grid, so size must be 8, 16, 32, 64, 128, ...; "
                    "pass `depth` explicitly or crop the data with patches()."
                )
            return depth
        if self.size % 2**depth != 0:
            ok = [b * 2**depth for b in range(1, 5)]
            raise ValueError(
                f"`size`={self.size} cannot be produced by depth={depth} stride-2 stages "
                f"(size must be a multiple of 2**depth = {2**depth}, e.g. {ok}); change "
                "`depth` or crop the data with patches()."
            )
        return depth

    def base(self) -> int:
        """Side of the grid the generator starts from (``size / 2**depth``)."""
        return self.size // 2 ** self.resolved_depth()

    def as_dict(self) -> dict:
        """Plain dict of the settings (for checkpoints and tables)."""
        return dataclasses.asdict(self)


# --------------------------------------------------------------------------
# Networks
# --------------------------------------------------------------------------


def _layers(dim: int):
    if dim == 1:
        return nn.Conv1d, nn.ConvTranspose1d, nn.BatchNorm1d
    return nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d


def _init_weights(module: nn.Module, gen: torch.Generator) -> None:
    # DCGAN initialisation, drawn from a private generator so that training
    # never touches torch's global random state
    for m in module.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02, generator=gen)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 1.0, 0.02, generator=gen)
            nn.init.zeros_(m.bias)


class PixelNorm(nn.Module):
    """Scale each pixel's feature vector to unit mean square (Karras et al. 2018).

    It has no parameters and no running statistics, so a generator normalised
    with it computes the same function in training and in eval mode.
    """

    def forward(self, x: Tensor) -> Tensor:
        return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)


def _norm_act(config: DCGANConfig, channels: int) -> list[nn.Module]:
    """Normalisation and activation of one hidden generator layer."""
    bn = _layers(config.dim)[2]
    norm = bn(channels) if config.g_norm == "batch" else PixelNorm()
    act = nn.ReLU(True) if config.g_slope == 0 else nn.LeakyReLU(config.g_slope, True)
    return [norm, act]


class Generator(nn.Module):
    """DCGAN generator: latent vectors ``(B, latent)`` to textures ``(B, C, *spatial)``.

    Parameters
    ----------
    config : DCGANConfig
        With ``channels`` and ``size`` set (see :func:`train`).

    Examples
    --------
    >>> import torch
    >>> from textures_nb.generative import DCGANConfig, Generator
    >>> g = Generator(DCGANConfig(channels=1, size=32, width=8, latent=16))
    >>> g(torch.zeros(2, 16)).shape
    torch.Size([2, 1, 32, 32])
    """

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__()
        conv, convt, _ = _layers(config.dim)
        depth, base = config.resolved_depth(), config.base()
        widths = [config.width * 2 ** (depth - 1 - i) for i in range(depth)]
        self.config = config
        self._grid = (widths[0],) + (base,) * config.dim
        self.project = nn.Sequential(
            nn.Linear(config.latent, widths[0] * base**config.dim, bias=False)
        )
        self.norm0 = nn.Sequential(*_norm_act(config, widths[0]))
        blocks: list[nn.Module] = []
        outs = widths[1:] + [config.channels]
        for i, (c_in, c_out) in enumerate(zip(widths, outs, strict=True)):
            last = i == depth - 1
            if config.upsample == "transpose":
                blocks.append(convt(c_in, c_out, 4, 2, 1, bias=last))
            else:
                blocks.append(nn.Upsample(scale_factor=2, mode="nearest"))
                blocks.append(conv(c_in, c_out, 3, 1, 1, bias=last))
            if not last:
                blocks += _norm_act(config, c_out)
        self.body = nn.Sequential(*blocks)

    def forward(self, z: Tensor) -> Tensor:
        """Textures (standardised units) from latent vectors ``z`` of shape (B, latent)."""
        x = self.project(z).view(z.shape[0], *self._grid)
        return self.body(self.norm0(x))


class Discriminator(nn.Module):
    """DCGAN discriminator: textures ``(B, C, *spatial)`` to logits ``(B,)``.

    Parameters
    ----------
    config : DCGANConfig
        With ``channels`` and ``size`` set.

    Examples
    --------
    >>> import torch
    >>> from textures_nb.generative import DCGANConfig, Discriminator
    >>> d = Discriminator(DCGANConfig(channels=1, size=32, width=8, latent=16))
    >>> d(torch.zeros(2, 1, 32, 32)).shape
    torch.Size([2])
    """

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__()
        conv, _, bn = _layers(config.dim)
        depth, base = config.resolved_depth(), config.base()
        layers: list[nn.Module] = []
        c_in = config.channels
        for i in range(depth):
            c_out = config.width * 2**i
            layers.append(conv(c_in, c_out, 4, 2, 1, bias=i == 0))
            if i > 0:
                layers.append(bn(c_out))
            layers.append(nn.LeakyReLU(0.2, True))
            c_in = c_out
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(c_in * base**config.dim, 1)

    def forward(self, x: Tensor) -> Tensor:
        """Real-vs-fake logits of a batch ``x`` of shape (B, C, *spatial)."""
        return self.head(self.body(x).flatten(1)).squeeze(1)


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


def _as_dataset(dataset, dim: int) -> tuple[np.ndarray, tuple[int, ...]]:
    """Validate ``dataset``; return it as float64 ``(N, C, *spatial)`` and the item layout."""
    if isinstance(dataset, (list, tuple)):
        shapes = {np.shape(item) for item in dataset}
        if len(shapes) > 1:
            raise ValueError(
                f"`dataset` mixes realisations of different shapes {sorted(shapes)}; crop them "
                "to one size first (e.g. patches(image, size, n) on each)."
            )
    layouts = {1: "(N, T) or (N, C, T)", 2: "(N, H, W) or (N, C, H, W)"}[dim]
    try:
        arr = as_finite_array(dataset, "dataset", ndims=(dim + 1, dim + 2))
    except ValueError as exc:
        if "dimension" in str(exc):
            raise ValueError(f"{exc} With dim={dim} the layout is {layouts}.") from None
        raise
    item_shape = arr.shape[1:]
    if arr.ndim == dim + 1:
        arr = arr[:, None]
    if dim == 2 and arr.shape[-1] != arr.shape[-2]:
        raise ValueError(
            f"`dataset` images are {arr.shape[-2]}x{arr.shape[-1]}: the DCGAN makes square "
            "images; crop them with patches(image, size, n)."
        )
    std = arr.std(axis=(0,) + tuple(range(2, arr.ndim)))
    if np.any(std == 0):
        raise ValueError(
            f"`dataset` channel(s) {np.flatnonzero(std == 0).tolist()} are constant: there is "
            "no texture to learn."
        )
    return arr, item_shape


def _channel_stats(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    axes = (0,) + tuple(range(2, arr.ndim))
    shape = (1, -1) + (1,) * (arr.ndim - 2)
    return arr.mean(axis=axes).reshape(shape), arr.std(axis=axes).reshape(shape)


def _realisations(n, size, dim) -> tuple[int, int | tuple[int, int]]:
    """Checked number of realisations and the shape of one: ``size`` or ``(size, size)``."""
    n = check_positive_int(n, "n")
    size = check_positive_int(size, "size")
    if dim not in (1, 2):
        raise ValueError(f"`dim` must be 1 or 2, got {dim!r}.")
    return n, (size if dim == 1 else (size, size))


def mrw_dataset(
    n: int, size: int, H: float, lam: float, *, seed=0, dim: int = 2, L: float | None = None
) -> np.ndarray:
    """Independent realisations of an MRW (1D) or multifractal random field (2D).

    Parameters
    ----------
    n : int
        Number of realisations.
    size : int
        Side of the square fields (pixels) or length of the walks (samples).
    H, lam : float
        As in :func:`textures_nb.processes.mrw`: ``c1 = H + lam**2/2``,
        ``c2 = -lam**2``.
    dim : {1, 2}, default 2
        Walks or fields.
    L : float, optional
        Integral scale (default ``size``).
    seed : int or numpy.random.Generator, default 0
        Random state; an int gives the same dataset every time (NumPy only:
        the same bits on every machine).

    Returns
    -------
    ndarray of float64, shape (n, size, size) or (n, size)

    Examples
    --------
    >>> from textures_nb.generative import mrw_dataset
    >>> mrw_dataset(4, 32, 0.8, 0.2, seed=0).shape
    (4, 32, 32)
    """
    from .processes import mrw

    n, shape = _realisations(n, size, dim)
    rng = as_generator(seed)
    return np.stack([mrw(shape, H, lam, L=L, seed=rng) for _ in range(n)])


def bivariate_mrw_dataset(
    n: int,
    size: int,
    H: float | tuple[float, float],
    lam: float | tuple[float, float],
    *,
    rho_omega: float = 0.0,
    rho_g: float = 0.0,
    dim: int = 2,
    L: float | None = None,
    seed=0,
) -> np.ndarray:
    """Independent realisations of a bivariate MRW, channel first.

    Parameters
    ----------
    n, size, dim, L, seed
        As in :func:`mrw_dataset`.
    H, lam, rho_omega, rho_g
        As in :func:`textures_nb.processes.bivariate_mrw`; ``rho_mf = rho_omega``
        and ``c11 = -rho_omega lam_1 lam_2``.

    Returns
    -------
    ndarray of float64, shape (n, 2, size, size) or (n, 2, size)

    Examples
    --------
    >>> from textures_nb.generative import bivariate_mrw_dataset
    >>> bivariate_mrw_dataset(3, 32, 0.8, (0.2, 0.3), rho_omega=0.7).shape
    (3, 2, 32, 32)
    """
    from .processes import bivariate_mrw

    n, shape = _realisations(n, size, dim)
    rng = as_generator(seed)
    return np.stack(
        [
            bivariate_mrw(shape, H, lam, rho_g=rho_g, rho_omega=rho_omega, L=L, seed=rng)
            for _ in range(n)
        ]
    )


def patches(image, size: int, n: int, *, seed=0, dim: int | None = None) -> np.ndarray:
    """Random square patches (or segments) of one large sample, as a training set.

    Parameters
    ----------
    image : array_like, shape (H, W), (C, H, W), (T,) or (C, T)
        The large sample.
    size : int
        Patch side (pixels) or segment length (samples).
    n : int
        Number of patches, drawn uniformly (overlaps allowed).
    seed : int or numpy.random.Generator, default 0
        Random state of the positions.
    dim : {1, 2}, optional
        1 for signals, 2 for images; default: 1 for a 1D array, 2 otherwise
        (pass ``dim=1`` for a multichannel signal ``(C, T)``).

    Returns
    -------
    ndarray of float64, shape (n, size, size), (n, C, size, size), (n, size) or (n, C, size)

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.generative import patches
    >>> patches(np.random.default_rng(0).normal(size=(100, 120)), 32, 10).shape
    (10, 32, 32)
    """
    x = as_finite_array(image, "image", ndims=(1, 2, 3))
    if dim is None:
        dim = 1 if x.ndim == 1 else 2
    if dim not in (1, 2) or x.ndim not in (dim, dim + 1):
        raise ValueError(
            f"`image` of shape {x.shape} does not fit dim={dim}: expected (H, W) or (C, H, W) "
            "for images, (T,) or (C, T) for signals."
        )
    size = check_positive_int(size, "size", minimum=2)
    n = check_positive_int(n, "n")
    spatial = x.shape[-dim:]
    if min(spatial) < size:
        raise ValueError(
            f"`size`={size} exceeds the sample's extent {spatial}; use a smaller patch."
        )
    rng = as_generator(seed)
    starts = [rng.integers(0, s - size + 1, size=n) for s in spatial]
    out = []
    for k in range(n):
        idx = tuple(slice(s[k], s[k] + size) for s in starts)
        out.append(x[(...,) + idx])
    return np.stack(out)


# --------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------


@dataclass(repr=False)
class GANRun:
    """A trained DCGAN and its record.

    Attributes
    ----------
    generator : Generator
        The trained generator (eval mode), producing standardised textures.
    discriminator : Discriminator or None
        The trained discriminator (None when loaded from :meth:`save`).
    losses : dict of str to ndarray
        One entry per training step: ``"step"`` (1-based), ``"loss_g"``
        (non-saturating generator loss), ``"loss_d"`` (discriminator binary
        cross-entropy, real + fake), ``"d_real"`` and ``"d_fake"`` (mean
        discriminator probability on real and generated batches); with
        ``config.multiscale_weight > 0`` also ``"loss_multiscale"`` (the
        unweighted multiscale feature-matching term of the generator).
    seconds : float
        Wall-clock training time, summed over resumed sessions.
    config : DCGANConfig
        Fully resolved settings (``channels``, ``size`` and ``depth`` set).
    seed : int
        Seed of the training.
    item_shape : tuple of int
        Layout of one realisation: ``(H, W)``, ``(C, H, W)``, ``(T,)`` or ``(C, T)``.
    mean, std : ndarray, shape (C,)
        Per-channel statistics used to standardise the data.

    Examples
    --------
    >>> from textures_nb.generative import DCGANConfig, mrw_dataset, train
    >>> data = mrw_dataset(16, 16, 0.8, 0.2, seed=0)
    >>> run = train(data, DCGANConfig(width=4, latent=8, epochs=1, batch_size=8), progress=False)
    >>> sorted(run.losses), run.sample(2, seed=0).shape
    (['d_fake', 'd_real', 'loss_d', 'loss_g', 'step'], (2, 16, 16))
    """

    generator: Generator
    losses: dict[str, np.ndarray]
    seconds: float
    config: DCGANConfig
    seed: int
    item_shape: tuple[int, ...]
    mean: np.ndarray
    std: np.ndarray
    discriminator: Discriminator | None = None

    def __repr__(self) -> str:
        c = self.config
        tail = ""
        if self.n_steps:
            k = max(1, self.n_steps // 10)
            tail = (
                f", loss_g={self.losses['loss_g'][-k:].mean():.3g}"
                f", loss_d={self.losses['loss_d'][-k:].mean():.3g}"
            )
        return (
            f"GANRun(item_shape={tuple(self.item_shape)}, width={c.width}, latent={c.latent}, "
            f"depth={c.depth}, seed={self.seed}, steps={self.n_steps}, "
            f"seconds={self.seconds:.1f}{tail})"
        )

    @property
    def n_steps(self) -> int:
        """Number of training steps recorded."""
        return int(self.losses["step"].size)

    def sample(
        self, n: int, *, seed=0, batch_size: int = 256, device: str | torch.device = "cpu"
    ) -> np.ndarray:
        """Draw ``n`` textures in the data's units.

        Parameters
        ----------
        n : int
            Number of textures.
        seed : int or numpy.random.Generator, default 0
            Seed of the latent vectors (drawn on the CPU). Same seed, same
            textures, under the conditions of :func:`train`'s ``seed`` (same
            torch version, CPU kernel and thread count).
        batch_size : int, default 256
            Textures per forward pass (memory only: the generator is in eval
            mode, so a texture does not depend on the others in its batch).
        device : str or torch.device, default "cpu"
            Where the generator runs (it is moved there).

        Returns
        -------
        ndarray of float64, shape (n, *item_shape)
        """
        n = check_positive_int(n, "n")
        batch_size = check_positive_int(batch_size, "batch_size")
        gen = torch.Generator().manual_seed(torch_seed(seed))
        device = _as_device(device)
        z = torch.randn(n, self.config.latent, generator=gen)
        g = self.generator.to(device)
        g.eval()
        out = []
        with torch.no_grad():
            for b in range(0, n, batch_size):
                out.append(g(z[b : b + batch_size].to(device)).double().cpu().numpy())
        x = np.concatenate(out) * self.std.reshape((1, -1) + (1,) * self.config.dim)
        x = x + self.mean.reshape((1, -1) + (1,) * self.config.dim)
        return x.reshape((n,) + tuple(self.item_shape))

    def table(self):
        """The per-step record as a ``pandas.DataFrame`` indexed by step."""
        import pandas as pd

        return pd.DataFrame({k: v for k, v in self.losses.items() if k != "step"},
                            index=pd.Index(self.losses["step"], name="step"))  # fmt: skip

    def plot(self, *, smooth: int = 20, title: str | None = "DCGAN losses per step"):
        """Generator and discriminator losses against the step (:func:`plot_losses`)."""
        return plot_losses(self, smooth=smooth, title=title)

    def save(self, path: str | Path) -> None:
        """Write the generator, losses, settings and normalisation to ``path`` (torch format).

        :meth:`GANRun.load` reads it back (without the discriminator: to continue
        a training, use :func:`train`'s ``checkpoint``).
        """
        torch.save(
            {
                "format": _CHECKPOINT_FORMAT,
                "kind": "GANRun",
                "config": self.config.as_dict(),
                "generator": {k: v.cpu() for k, v in self.generator.state_dict().items()},
                "losses": {k: np.asarray(v) for k, v in self.losses.items()},
                "seconds": self.seconds,
                "seed": self.seed,
                "item_shape": tuple(self.item_shape),
                "mean": self.mean,
                "std": self.std,
            },
            Path(path),
        )

    @classmethod
    def load(cls, path: str | Path) -> GANRun:
        """Read a run written by :meth:`save` (or a :func:`train` checkpoint).

        Parameters
        ----------
        path : str or Path

        Returns
        -------
        GANRun
            On the CPU, with the generator in eval mode; ``.discriminator``
            is set only for checkpoints.
        """
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"`path` {str(path)!r} does not exist.")
        state = _read_state(path, "path")
        config = _config_from(state["config"])
        g = Generator(config)
        g.load_state_dict(state["generator"])
        g.eval()
        d = None
        if "discriminator" in state:
            d = Discriminator(config)
            d.load_state_dict(state["discriminator"])
            d.eval()
        return cls(
            generator=g,
            discriminator=d,
            losses={k: np.asarray(v) for k, v in state["losses"].items()},
            seconds=float(state["seconds"]),
            config=config,
            seed=int(state["seed"]),
            item_shape=tuple(state["item_shape"]),
            mean=np.asarray(state["mean"]),
            std=np.asarray(state["std"]),
        )


def load(path: str | Path) -> GANRun:
    """Alias of :meth:`GANRun.load` (kept for existing code).

    Parameters
    ----------
    path : str or Path
        A file written by :meth:`GANRun.save`.

    Returns
    -------
    GANRun

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from textures_nb.generative import DCGANConfig, load, mrw_dataset, train
    >>> data = mrw_dataset(16, 16, 0.8, 0.2, seed=0)
    >>> run = train(data, DCGANConfig(width=4, latent=8, epochs=1, batch_size=8), progress=False)
    >>> path = Path(tempfile.mkdtemp()) / "run.pt"
    >>> run.save(path)
    >>> load(path).sample(1, seed=0).shape
    (1, 16, 16)
    """
    return GANRun.load(path)


# settings added after format 1: files that lack them were trained with these values
_LEGACY_SETTINGS = {"g_norm": "batch", "g_slope": 0.0, "real_label": 1.0}


def _config_from(d: dict) -> DCGANConfig:
    d = {**_LEGACY_SETTINGS, **d}
    d["betas"] = tuple(d["betas"])
    return DCGANConfig(**d)


def _read_state(path: Path, name: str) -> dict:
    """The dict stored by :meth:`GANRun.save` or a training checkpoint, or a clear error."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise ValueError(
            f"`{name}` {str(path)!r} could not be read as a torch file ({type(exc).__name__}: "
            f"{exc}); delete it or pass another path."
        ) from None
    if not isinstance(state, dict) or state.get("format") not in _FORMATS:
        raise ValueError(f"{str(path)!r} is not a textures_nb.generative run or checkpoint.")
    return state


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------

_LOSS_KEYS = ("loss_g", "loss_d", "d_real", "d_fake")


def _epoch_order(seed: int, epoch: int, n: int) -> Tensor:
    # derived from (seed, epoch) alone, so a run resumed mid-epoch sees the
    # same batches as an uninterrupted one
    sub = int(np.random.SeedSequence([seed, 1, epoch]).generate_state(1)[0])
    return torch.randperm(n, generator=torch.Generator().manual_seed(sub))


def _save_atomic(obj: dict, path: Path) -> None:
    # write then rename, so an interruption never leaves a truncated checkpoint
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train(
    dataset,
    config: DCGANConfig | None = None,
    *,
    seed=0,
    checkpoint: str | Path | None = None,
    checkpoint_every: int = 200,
    callback: Callable[[int, np.ndarray, float], object] | None = None,
    callback_every: int = 10,
    progress: bool = True,
    device: str | torch.device = "cpu",
) -> GANRun:
    """Train a DCGAN on an array of realisations, from a seed.

    Parameters
    ----------
    dataset : array_like
        Realisations, ``(N, H, W)`` or ``(N, C, H, W)`` with ``config.dim=2``,
        ``(N, T)`` or ``(N, C, T)`` with ``config.dim=1``; finite values, one
        size. Use :func:`patches` to cut a large sample into realisations.
    config : DCGANConfig, optional
        Settings; ``channels`` and ``size`` are taken from the dataset when
        None (and must match it otherwise). Default: ``DCGANConfig()``.
    seed : int or numpy.random.Generator, default 0
        Seed of the weights, the batch order and the latent noise (a
        Generator gives one draw, :func:`textures_nb._checks.torch_seed`).
        Same seed, same bits: the trained weights and losses are identical
        on the same machine with the same torch version, the same CPU kernel
        (``torch.backends.cpu.get_cpu_capability()``, set by the
        ``ATEN_CPU_CAPABILITY`` environment variable) and the same number of
        torch threads. A different kernel, thread count, torch version or
        device rounds differently, and a GAN amplifies rounding: the run is
        then another draw of the same training, not the same weights.
    checkpoint : str or Path, optional
        File of a resumable checkpoint (generator, discriminator, optimisers,
        random state, losses, step). If it exists, training resumes from it
        and ends with the same weights and losses as an uninterrupted run
        (under the conditions of ``seed``); it is rewritten every
        ``checkpoint_every`` steps and at the end.
    checkpoint_every : int, default 200
        Checkpoint period, in steps.
    callback : callable, optional
        ``callback(step, texture, loss_g)`` called every ``callback_every``
        steps with one texture (data units, item layout) generated from a
        fixed latent vector; :func:`textures_nb.synthesis.preview_callback`
        fits. Exceptions propagate (the last checkpoint stays valid).
    callback_every : int, default 10
        Callback period, in steps.
    progress : bool, default True
        Show a tqdm bar.
    device : str or torch.device, default "cpu"
        Where the networks train; latent noise and batch order are drawn on
        the CPU, so only rounding differs between devices.

    Returns
    -------
    GANRun

    Raises
    ------
    ValueError
        Mixed sizes, NaN/inf, fewer realisations than ``batch_size``, a size
        the architecture cannot produce, a checkpoint from other settings.

    Examples
    --------
    >>> from textures_nb.generative import DCGANConfig, mrw_dataset, train
    >>> data = mrw_dataset(64, 32, 0.8, 0.2, seed=0)
    >>> run = train(data, DCGANConfig(width=8, latent=16, epochs=2), progress=False)
    >>> run.sample(3, seed=1).shape
    (3, 32, 32)
    """
    config = DCGANConfig() if config is None else config
    if not isinstance(config, DCGANConfig):
        raise TypeError(f"`config` must be a DCGANConfig, got {type(config).__name__}.")
    seed = torch_seed(seed)
    device = _as_device(device)
    checkpoint_every = check_positive_int(checkpoint_every, "checkpoint_every")
    callback_every = check_positive_int(callback_every, "callback_every")
    if callback is not None and not callable(callback):
        raise TypeError("`callback` must be callable: callback(step, texture, loss_g).")
    arr, item_shape = _as_dataset(dataset, config.dim)
    config = _resolve_config(config, arr)

    trainer = _Trainer(config, seed, arr, tuple(item_shape), device)
    ckpt = Path(checkpoint) if checkpoint is not None else None
    if ckpt is not None and ckpt.is_file():
        trainer.restore(ckpt)
    bar = tqdm(
        total=trainer.total, initial=trainer.step, desc="DCGAN", disable=not progress, leave=False
    )
    t0 = time.perf_counter()
    try:
        while trainer.step < trainer.total:
            trainer.one_step()
            step = trainer.step
            bar.update(1)
            if step % 10 == 0 or step == trainer.total:
                rec = trainer.record
                bar.set_postfix(
                    loss_g=f"{rec['loss_g'][-1]:.3f}", loss_d=f"{rec['loss_d'][-1]:.3f}"
                )
            if ckpt is not None and (step % checkpoint_every == 0 or step == trainer.total):
                trainer.seconds += time.perf_counter() - t0
                t0 = time.perf_counter()
                _save_atomic(trainer.snapshot(), ckpt)
            if callback is not None and (step % callback_every == 0 or step == trainer.total):
                callback(step, trainer.preview(), trainer.record["loss_g"][-1])
    finally:
        bar.close()
    trainer.seconds += time.perf_counter() - t0
    return trainer.result()


def _as_device(device) -> torch.device:
    try:
        return torch.device(device)
    except (TypeError, RuntimeError) as exc:
        raise TypeError(
            f"`device` must be a torch device or its name ('cpu', 'cuda', 'cuda:1', 'mps'), "
            f"got {device!r}."
        ) from exc


def _resolve_config(config: DCGANConfig, arr: np.ndarray) -> DCGANConfig:
    """``config`` with ``channels``, ``size`` and ``depth`` taken from (and checked on) the data."""
    n, channels, size = arr.shape[0], arr.shape[1], arr.shape[-1]
    for name, value in (("channels", channels), ("size", size)):
        given = getattr(config, name)
        if given is not None and given != value:
            raise ValueError(
                f"`config.{name}`={given} does not match the dataset ({name} {value}, dataset "
                f"shape {arr.shape}); pass {name}=None to take it from the data."
            )
    config = dataclasses.replace(config, channels=channels, size=size)
    config = dataclasses.replace(config, depth=config.resolved_depth())
    if n < config.batch_size:
        raise ValueError(
            f"`dataset` has {n} realisations, fewer than batch_size={config.batch_size}; "
            "add realisations (e.g. more patches) or lower `batch_size`."
        )
    return config


class _Trainer:
    """The state of one training and its three jobs: restore, one step, snapshot.

    Everything random is drawn from private generators derived from the seed
    (weights: ``seed``, latent noise: ``seed + 1``, preview: ``seed + 2``,
    batch order: ``(seed, epoch)``), so training never touches torch's
    global random state and a restored checkpoint continues the same stream.
    """

    def __init__(self, config, seed, arr, item_shape, device) -> None:
        self.config, self.seed, self.item_shape, self.device = config, seed, item_shape, device
        self.mean, self.std = _channel_stats(arr)
        self.n = arr.shape[0]
        self.data = torch.from_numpy(((arr - self.mean) / self.std).astype(np.float32)).to(device)
        init_gen = torch.Generator().manual_seed(seed)
        # layer constructors draw their default initialisation from the global
        # generator: fork it so training leaves the caller's random state alone
        with torch.random.fork_rng(devices=[]):
            g, d = Generator(config), Discriminator(config)
        _init_weights(g, init_gen)
        _init_weights(d, init_gen)
        self.g, self.d = g.to(device), d.to(device)
        self.opt_g = torch.optim.Adam(g.parameters(), lr=config.lr_g, betas=config.betas)
        self.opt_d = torch.optim.Adam(d.parameters(), lr=config.lr_d, betas=config.betas)
        self.noise = torch.Generator().manual_seed(seed + 1)
        self.preview_z = torch.randn(
            1, config.latent, generator=torch.Generator().manual_seed(seed + 2)
        )
        self.steps_per_epoch = self.n // config.batch_size
        self.total = config.epochs * self.steps_per_epoch
        self.keys = _LOSS_KEYS + (("loss_multiscale",) if config.multiscale_weight > 0 else ())
        self.record: dict[str, list[float]] = {k: [] for k in self.keys}
        self.multiscale = (
            MultiscaleLoss(self.data, dim=config.dim, periodic=False).to(device)
            if config.multiscale_weight > 0
            else None
        )
        self.step, self.seconds = 0, 0.0
        self._order: Tensor | None = None
        b = config.batch_size
        self._bce = nn.BCEWithLogitsLoss()
        self._real_target = torch.full((b,), config.real_label, device=device)
        self._ones, self._zeros = torch.ones(b, device=device), torch.zeros(b, device=device)
        g.train()
        d.train()

    # -- checkpoint restore -------------------------------------------------
    def restore(self, path: Path) -> None:
        """Continue from the checkpoint at ``path``; refuse one from other settings or data."""
        state = _read_state(path, "checkpoint")
        expected = {"config": self.config.as_dict(), "seed": self.seed, "n": self.n}
        found = {k: state.get(k) for k in expected}
        found["config"] = found["config"] and _config_from(found["config"]).as_dict()
        if found != expected or not (
            np.allclose(state["mean"], self.mean.ravel())
            and np.allclose(state["std"], self.std.ravel())
        ):
            raise ValueError(
                f"`checkpoint` {str(path)!r} was written for other settings, seed or data "
                f"(found {found}, expected {expected}); use another path or delete it."
            )
        self.g.load_state_dict(state["generator"])
        self.d.load_state_dict(state["discriminator"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.noise.set_state(state["rng_noise"])
        self.record = {k: list(v) for k, v in state["losses"].items() if k in self.keys}
        self.step, self.seconds = int(state["step"]), float(state["seconds"])

    # -- one step -----------------------------------------------------------
    def one_step(self) -> None:
        """One discriminator step on a real and a generated batch, then one generator step."""
        b = self.config.batch_size
        epoch, k = divmod(self.step, self.steps_per_epoch)
        if self._order is None or k == 0:
            self._order = _epoch_order(self.seed, epoch, self.n)
        real = self.data[self._order[k * b : (k + 1) * b].to(self.device)]
        z = torch.randn(b, self.config.latent, generator=self.noise).to(self.device)
        fake = self.g(z)
        self.opt_d.zero_grad(set_to_none=True)
        logit_real = self.d(real)
        logit_fake = self.d(fake.detach())
        loss_d = self._bce(logit_real, self._real_target) + self._bce(logit_fake, self._zeros)
        loss_d.backward()
        self.opt_d.step()
        # generator step, non-saturating loss
        self.opt_g.zero_grad(set_to_none=True)
        loss_g = self._bce(self.d(fake), self._ones)
        extra = ()
        if self.multiscale is not None:
            loss_ms = self.multiscale(fake)
            (loss_g + self.config.multiscale_weight * loss_ms).backward()
            extra = (loss_ms.item(),)
        else:
            loss_g.backward()
        self.opt_g.step()
        self.step += 1
        values = (
            loss_g.item(),
            loss_d.item(),
            torch.sigmoid(logit_real).mean().item(),
            torch.sigmoid(logit_fake).mean().item(),
            *extra,
        )
        for key, val in zip(self.keys, values, strict=True):
            self.record[key].append(val)

    def preview(self) -> np.ndarray:
        """One texture (data units) from the fixed preview latent vector."""
        return _preview(
            self.g, self.preview_z.to(self.device), self.mean.ravel(), self.std.ravel(),
            self.item_shape,
        )  # fmt: skip

    # -- snapshot -----------------------------------------------------------
    def snapshot(self) -> dict:
        """Everything :meth:`restore` needs to continue bit-identically."""
        return {
            "format": _CHECKPOINT_FORMAT,
            "kind": "checkpoint",
            "config": self.config.as_dict(),
            "seed": self.seed,
            "n": self.n,
            "step": self.step,
            "seconds": self.seconds,
            "generator": self.g.state_dict(),
            "discriminator": self.d.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "rng_noise": self.noise.get_state(),
            "losses": _loss_arrays(self.record, self.step),
            "item_shape": tuple(self.item_shape),
            "mean": self.mean.ravel(),
            "std": self.std.ravel(),
        }

    def result(self) -> GANRun:
        self.g.eval()
        self.d.eval()
        return GANRun(
            generator=self.g,
            discriminator=self.d,
            losses=_loss_arrays(self.record, self.step),
            seconds=self.seconds,
            config=self.config,
            seed=self.seed,
            item_shape=tuple(self.item_shape),
            mean=self.mean.ravel(),
            std=self.std.ravel(),
        )


def _loss_arrays(record: dict[str, list[float]], step: int) -> dict[str, np.ndarray]:
    losses = {"step": np.arange(1, step + 1)}
    losses.update({k: np.asarray(v, dtype=float) for k, v in record.items()})
    return losses


def _preview(g: Generator, z: Tensor, mean, std, item_shape) -> np.ndarray:
    # eval mode uses the running batch statistics and leaves them unchanged,
    # so previews do not alter the training
    g.eval()
    with torch.no_grad():
        x = g(z).double().cpu().numpy()[0]
    g.train()
    shape = (-1,) + (1,) * (x.ndim - 1)
    return (x * np.reshape(std, shape) + np.reshape(mean, shape)).reshape(item_shape)


# --------------------------------------------------------------------------
# Repeated trainings
# --------------------------------------------------------------------------


@dataclass(repr=False)
class RepeatedTraining:
    """Runs of :func:`repeat_training`, one per seed.

    Attributes
    ----------
    runs : dict of int to GANRun
        The successful runs, by seed.
    failures : dict of int to str
        ``"ExceptionType: message"`` of the seeds that failed (``.errors`` is
        an alias).

    Examples
    --------
    >>> from textures_nb.generative import DCGANConfig, mrw_dataset, repeat_training
    >>> data = mrw_dataset(16, 16, 0.8, 0.2, seed=0)
    >>> cfg = DCGANConfig(width=4, latent=8, epochs=1, batch_size=8)
    >>> rep = repeat_training(data, cfg, seeds=[0, 1], progress=False)
    >>> sorted(rep.runs), rep.failures
    ([0, 1], {})
    """

    runs: dict[int, GANRun]
    failures: dict[int, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        ok, bad = sorted(self.runs), sorted(self.failures)
        return f"RepeatedTraining(seeds={_short(ok)}, failures={_short(bad)})"

    @property
    def errors(self) -> dict[int, str]:
        """Alias of :attr:`failures` (kept for existing code)."""
        return self.failures

    @property
    def losses(self) -> dict[int, dict[str, np.ndarray]]:
        """Loss record of each successful run, by seed."""
        return {s: r.losses for s, r in self.runs.items()}

    @property
    def generators(self) -> dict[int, Generator]:
        """Trained generator of each successful run, by seed."""
        return {s: r.generator for s, r in self.runs.items()}

    def table(self):
        """One row per seed: steps, seconds, late losses (mean of the last 10 % of steps), error."""
        import pandas as pd

        rows = {}
        for s, r in self.runs.items():
            k = max(1, r.n_steps // 10)
            rows[s] = {"steps": r.n_steps, "seconds": r.seconds}
            rows[s].update({key: float(np.mean(r.losses[key][-k:])) for key in _LOSS_KEYS})
            rows[s]["error"] = ""
        for s, msg in self.failures.items():
            rows[s] = {"error": msg}
        cols = ["steps", "seconds", *_LOSS_KEYS, "error"]
        out = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=cols)
        out.index.name = "seed"
        return out.sort_index()

    def plot(self, *, smooth: int = 20, title: str | None = "DCGAN losses per step"):
        """Loss curves of every successful run (:func:`plot_losses`)."""
        return plot_losses(self, smooth=smooth, title=title)


def _short(seeds: list[int]) -> str:
    return str(seeds) if len(seeds) <= 8 else f"[{seeds[0]}, ..., {seeds[-1]}] ({len(seeds)})"


def _train_one(dataset, config, folder, kwargs, seed) -> GANRun:
    ckpt = None if folder is None else Path(folder) / f"seed{seed}.pt"
    return train(dataset, config, seed=seed, checkpoint=ckpt, **kwargs)


def repeat_training(
    dataset,
    config: DCGANConfig | None,
    seeds: int | Sequence[int],
    *,
    executor=None,
    checkpoint_dir: str | Path | None = None,
    progress: bool = True,
    **kwargs,
) -> RepeatedTraining:
    """Train the same DCGAN from scratch once per seed.

    Parameters
    ----------
    dataset : array_like
        As in :func:`train`.
    config : DCGANConfig or None
        As in :func:`train`.
    seeds : int or sequence of int
        One training per seed: distinct non-negative ints (a repeated seed
        is refused, naming it); an int ``k`` means ``range(k)``. The same
        rule as :func:`textures_nb.confidence.repeat`.
    executor : None, concurrent.futures.Executor, dask Client or str, optional
        None trains in series; an Executor (e.g. a ``ProcessPoolExecutor``) or
        a Dask client trains in parallel, a string is a Dask scheduler address.
        Each worker uses torch's default thread count: with ``k`` workers on
        ``c`` cores, set ``torch.set_num_threads(c // k)`` in the workers'
        ``initializer`` to avoid oversubscription (a worker's thread count is
        part of what "same seed, same bits" requires, see :func:`train`). Give
        a process pool the "spawn" start method
        (``mp_context=multiprocessing.get_context("spawn")``): a child forked
        from a process whose torch uses several OpenMP threads can deadlock.
    checkpoint_dir : str or Path, optional
        Folder of per-seed checkpoints ``seed<k>.pt``: re-running resumes
        interrupted trainings.
    progress : bool, default True
        A tqdm bar over seeds (serial mode also shows each training's bar).
    **kwargs
        Passed to :func:`train` (``checkpoint_every``, ``device``, ``callback``
        in serial mode, ...).

    Returns
    -------
    RepeatedTraining
        ``.runs`` by seed, and ``.failures`` for seeds whose training raised
        (the other seeds' results are kept).

    Examples
    --------
    >>> from textures_nb.generative import DCGANConfig, mrw_dataset, repeat_training
    >>> data = mrw_dataset(32, 16, 0.8, 0.2, seed=0)
    >>> rep = repeat_training(data, DCGANConfig(width=4, latent=8, epochs=1, batch_size=16),
    ...                       [0, 1], progress=False)
    >>> rep
    RepeatedTraining(seeds=[0, 1], failures=[])
    """
    from functools import partial

    from ._shared.repeat import run_seeds

    folder = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    inner = dict(kwargs, progress=progress and executor is None)
    fn = partial(_train_one, dataset, config, folder, inner)
    runs, failures = run_seeds(fn, seeds, executor=executor, progress=progress, desc="seeds")
    return RepeatedTraining(runs=runs, failures=failures)


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------


def compare_log_cumulants(
    real,
    generated,
    *,
    scales: tuple[int, int] = (1, 3),
    dim: int = 2,
    n: int | None = 100,
    seed=0,
):
    """Mean log-cumulants of training realisations against generated textures.

    The same estimator (wavelet leaders, :func:`textures_nb.multiscale.log_cumulants`,
    no bootstrap) is applied to each realisation of both sets, so biases of
    small sizes (e.g. 64x64) cancel in the difference. Per-sample warnings
    about a non-positive minimal regularity are silenced: on such small
    images ``hmin`` is itself a noisy estimate, and the comparison is
    between two sets measured identically.

    Parameters
    ----------
    real, generated : array_like, shape (N, *item_shape)
        Realisations of the training set and generated textures.
    scales : (int, int), default (1, 3)
        Fit range ``(j1, j2)`` (64x64 images support ``j2 <= 3`` with db3).
    dim : {1, 2}, default 2
        Signals or images.
    n : int or None, default 100
        Use at most ``n`` realisations of each set (randomly chosen with
        ``seed``); None uses all.
    seed : int or numpy.random.Generator, default 0
        Random state of that choice.

    Returns
    -------
    pandas.DataFrame
        Index ``c1``, ``c2`` (per channel ``c1[k]``, ``c2[k]`` when there are
        several channels, plus ``c11`` and ``rho_mf`` for the first pair);
        columns ``real``, ``real_sd``, ``generated``, ``generated_sd``,
        ``difference`` (generated minus real mean), ``n_real``, ``n_generated``.

    Examples
    --------
    >>> from textures_nb.generative import compare_log_cumulants, mrw_dataset
    >>> a, b = mrw_dataset(8, 64, 0.8, 0.2, seed=0), mrw_dataset(8, 64, 0.8, 0.2, seed=1)
    >>> list(compare_log_cumulants(a, b).index)
    ['c1', 'c2']
    """
    import pandas as pd

    from .multiscale import log_cumulants, multichannel_log_cumulants

    rng = as_generator(seed)
    tables = []
    sizes = []
    for x in (real, generated):
        arr, _ = _as_dataset(x, dim)
        if n is not None and arr.shape[0] > n:
            arr = arr[np.sort(rng.choice(arr.shape[0], size=n, replace=False))]
        rows = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for item in arr:
                if item.shape[0] == 1:
                    lc = log_cumulants(item[0], scales=scales, n_cumul=2, n_boot=0)
                    rows.append({"c1": lc.c1, "c2": lc.c2})
                else:
                    mc = multichannel_log_cumulants(item, scales=scales, n_cumul=2, n_boot=0)
                    row = {}
                    for k, ch in enumerate(mc.channels):
                        row[f"c1[{k}]"], row[f"c2[{k}]"] = ch.c1, ch.c2
                    pair = mc.pairs[(0, 1)]
                    row["c11"], row["rho_mf"] = pair.c11, pair.rho_mf
                    rows.append(row)
        tables.append(pd.DataFrame(rows))
        sizes.append(arr.shape[0])
    r, g = tables
    if list(r.columns) != list(g.columns):
        raise ValueError(
            f"`real` and `generated` have different channel layouts ({list(r.columns)} vs "
            f"{list(g.columns)})."
        )
    out = pd.DataFrame(
        {
            "real": r.mean(),
            "real_sd": r.std(),
            "generated": g.mean(),
            "generated_sd": g.std(),
        }
    )
    out["difference"] = out["generated"] - out["real"]
    out["n_real"], out["n_generated"] = sizes
    return out


def plot_losses(runs, *, smooth: int = 20, title: str | None = "DCGAN losses per step"):
    """Generator and discriminator losses against the step, one colour per run.

    Parameters
    ----------
    runs : GANRun, RepeatedTraining, or dict of name to GANRun
        The runs to overlay.
    smooth : int, default 20
        Width of the moving average (steps); 1 shows the raw losses.
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Two panels: ``loss_g`` and ``loss_d``.

    Examples
    --------
    >>> from textures_nb.generative import DCGANConfig, mrw_dataset, plot_losses, train
    >>> data = mrw_dataset(16, 16, 0.8, 0.2, seed=0)
    >>> run = train(data, DCGANConfig(width=4, latent=8, epochs=1, batch_size=8), progress=False)
    >>> fig = plot_losses({"run": run})
    >>> len(fig.data) >= 2
    True
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from ._shared.display import palette

    if isinstance(runs, GANRun):
        runs = {f"seed {runs.seed}": runs}
    elif isinstance(runs, RepeatedTraining):
        runs = {f"seed {s}": r for s, r in runs.runs.items()}
    if not isinstance(runs, dict) or not all(isinstance(r, GANRun) for r in runs.values()):
        raise TypeError("`runs` must be a GANRun, a RepeatedTraining or a dict of GANRun.")
    smooth = check_positive_int(smooth, "smooth")
    colors = palette(len(runs))
    fig = make_subplots(rows=1, cols=2, subplot_titles=["generator loss", "discriminator loss"])
    for i, (name, run) in enumerate(runs.items()):
        for col, key in enumerate(("loss_g", "loss_d"), start=1):
            y = run.losses[key]
            w = min(smooth, y.size)
            ys = np.convolve(y, np.ones(w) / w, mode="valid")
            fig.add_trace(
                go.Scatter(
                    x=run.losses["step"][w - 1 :],
                    y=ys,
                    mode="lines",
                    name=name,
                    legendgroup=name,
                    showlegend=col == 1,
                    line=dict(color=colors[i]),
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(title="step")
    fig.update_layout(
        title=title,
        height=350,
        legend=dict(x=0.99, xanchor="right", y=0.99, bgcolor="rgba(255,255,255,0.6)"),
    )
    return fig
