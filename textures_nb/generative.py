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
a convolution) with batch normalisation and ReLU, each halving the width;
the discriminator mirrors it with stride-2 convolutions and LeakyReLU. Data
are standardised per channel for training and samples are returned in the
data's units.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from ._checks import as_finite_array, as_generator, check_in_range, check_positive_int

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

_CHECKPOINT_FORMAT = 1


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
        conv, convt, bn = _layers(config.dim)
        depth, base = config.resolved_depth(), config.base()
        widths = [config.width * 2 ** (depth - 1 - i) for i in range(depth)]
        self.config = config
        self._grid = (widths[0],) + (base,) * config.dim
        self.project = nn.Sequential(
            nn.Linear(config.latent, widths[0] * base**config.dim, bias=False)
        )
        self.norm0 = nn.Sequential(bn(widths[0]), nn.ReLU(True))
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
                blocks += [bn(c_out), nn.ReLU(True)]
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
    n: int, size: int, H: float, lam: float, seed=0, *, dim: int = 2, L: float | None = None
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
    seed : None, int or numpy.random.Generator
        Random state; an int gives the same dataset every time.

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


def patches(image, size: int, n: int, seed=0, *, dim: int | None = None) -> np.ndarray:
    """Random square patches (or segments) of one large sample, as a training set.

    Parameters
    ----------
    image : array_like, shape (H, W), (C, H, W), (T,) or (C, T)
        The large sample.
    size : int
        Patch side (pixels) or segment length (samples).
    n : int
        Number of patches, drawn uniformly (overlaps allowed).
    seed : None, int or numpy.random.Generator
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


@dataclass
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
        discriminator probability on real and generated batches).
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
    """

    generator: Generator
    losses: dict[str, np.ndarray]
    seconds: float
    config: DCGANConfig
    seed: int
    item_shape: tuple[int, ...]
    mean: np.ndarray
    std: np.ndarray
    discriminator: Discriminator | None = field(default=None, repr=False)

    @property
    def n_steps(self) -> int:
        """Number of training steps recorded."""
        return int(self.losses["step"].size)

    def sample(self, n: int, seed=0, *, batch_size: int = 256) -> np.ndarray:
        """Draw ``n`` textures in the data's units.

        Parameters
        ----------
        n : int
            Number of textures.
        seed : int, optional
            Seed of the latent vectors: same seed, same textures.
        batch_size : int, default 256
            Textures per forward pass (memory only; results do not depend on it).

        Returns
        -------
        ndarray of float64, shape (n, *item_shape)
        """
        n = check_positive_int(n, "n")
        batch_size = check_positive_int(batch_size, "batch_size")
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError(f"`seed` must be an int, got {seed!r}.")
        gen = torch.Generator().manual_seed(int(seed))
        z = torch.randn(n, self.config.latent, generator=gen)
        self.generator.eval()
        out = []
        with torch.no_grad():
            for b in range(0, n, batch_size):
                out.append(self.generator(z[b : b + batch_size]).double().numpy())
        x = np.concatenate(out) * self.std.reshape((1, -1) + (1,) * self.config.dim)
        x = x + self.mean.reshape((1, -1) + (1,) * self.config.dim)
        return x.reshape((n,) + tuple(self.item_shape))

    def save(self, path: str | Path) -> None:
        """Write the generator, losses, settings and normalisation to ``path`` (torch format)."""
        torch.save(
            {
                "format": _CHECKPOINT_FORMAT,
                "kind": "GANRun",
                "config": self.config.as_dict(),
                "generator": self.generator.state_dict(),
                "losses": {k: np.asarray(v) for k, v in self.losses.items()},
                "seconds": self.seconds,
                "seed": self.seed,
                "item_shape": tuple(self.item_shape),
                "mean": self.mean,
                "std": self.std,
            },
            Path(path),
        )


def load(path: str | Path) -> GANRun:
    """Read a :class:`GANRun` written by :meth:`GANRun.save` (or a training checkpoint).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    GANRun
        With the generator in eval mode; ``.discriminator`` is set only for checkpoints.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"`path` {str(path)!r} does not exist.")
    state = torch.load(path, map_location="cpu", weights_only=False)
    if not isinstance(state, dict) or state.get("format") != _CHECKPOINT_FORMAT:
        raise ValueError(f"{str(path)!r} is not a textures_nb.generative run or checkpoint.")
    config = _config_from(state["config"])
    g = Generator(config)
    g.load_state_dict(state["generator"])
    g.eval()
    d = None
    if "discriminator" in state:
        d = Discriminator(config)
        d.load_state_dict(state["discriminator"])
    return GANRun(
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


def _config_from(d: dict) -> DCGANConfig:
    d = dict(d)
    d["betas"] = tuple(d["betas"])
    return DCGANConfig(**d)


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
    seed: int = 0,
    checkpoint: str | Path | None = None,
    checkpoint_every: int = 200,
    callback: Callable[[int, np.ndarray, float], object] | None = None,
    callback_every: int = 10,
    progress: bool = True,
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
    seed : int, default 0
        Seed of the weights, the batch order and the latent noise: on the CPU
        the same seed gives the same trained weights.
    checkpoint : str or Path, optional
        File of a resumable checkpoint (generator, discriminator, optimisers,
        random state, losses, step). If it exists, training resumes from it
        and ends with the same weights and losses as an uninterrupted run; it
        is rewritten every ``checkpoint_every`` steps and at the end.
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
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"`seed` must be a non-negative int, got {seed!r}.")
    seed = int(seed)
    checkpoint_every = check_positive_int(checkpoint_every, "checkpoint_every")
    callback_every = check_positive_int(callback_every, "callback_every")
    if callback is not None and not callable(callback):
        raise TypeError("`callback` must be callable: callback(step, texture, loss_g).")

    arr, item_shape = _as_dataset(dataset, config.dim)
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

    mean, std = _channel_stats(arr)
    data = torch.from_numpy(((arr - mean) / std).astype(np.float32))
    init_gen = torch.Generator().manual_seed(seed)
    # layer constructors draw their default initialisation from the global
    # generator: fork it so training leaves the caller's random state alone
    with torch.random.fork_rng(devices=[]):
        g, d = Generator(config), Discriminator(config)
    _init_weights(g, init_gen)
    _init_weights(d, init_gen)
    opt_g = torch.optim.Adam(g.parameters(), lr=config.lr_g, betas=config.betas)
    opt_d = torch.optim.Adam(d.parameters(), lr=config.lr_d, betas=config.betas)
    noise = torch.Generator().manual_seed(seed + 1)
    preview_z = torch.randn(1, config.latent, generator=torch.Generator().manual_seed(seed + 2))
    steps_per_epoch = n // config.batch_size
    total = config.epochs * steps_per_epoch
    record: dict[str, list[float]] = {k: [] for k in _LOSS_KEYS}
    step, seconds = 0, 0.0

    ckpt = Path(checkpoint) if checkpoint is not None else None
    if ckpt is not None and ckpt.is_file():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        expected = {"config": config.as_dict(), "seed": seed, "n": n}
        found = {k: state.get(k) for k in expected}
        found["config"] = found["config"] and _config_from(found["config"]).as_dict()
        if found != expected or not (
            np.allclose(state["mean"], mean.ravel()) and np.allclose(state["std"], std.ravel())
        ):
            raise ValueError(
                f"`checkpoint` {str(ckpt)!r} was written for other settings, seed or data "
                f"(found {found}, expected {expected}); use another path or delete it."
            )
        g.load_state_dict(state["generator"])
        d.load_state_dict(state["discriminator"])
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        noise.set_state(state["rng_noise"])
        record = {k: list(v) for k, v in state["losses"].items() if k in _LOSS_KEYS}
        step, seconds = int(state["step"]), float(state["seconds"])

    def snapshot() -> dict:
        return {
            "format": _CHECKPOINT_FORMAT,
            "kind": "checkpoint",
            "config": config.as_dict(),
            "seed": seed,
            "n": n,
            "step": step,
            "seconds": seconds,
            "generator": g.state_dict(),
            "discriminator": d.state_dict(),
            "opt_g": opt_g.state_dict(),
            "opt_d": opt_d.state_dict(),
            "rng_noise": noise.get_state(),
            "losses": _loss_arrays(record, step),
            "item_shape": tuple(item_shape),
            "mean": mean.ravel(),
            "std": std.ravel(),
        }

    bce = nn.BCEWithLogitsLoss()
    b = config.batch_size
    ones, zeros = torch.ones(b), torch.zeros(b)
    g.train()
    d.train()
    bar = tqdm(total=total, initial=step, desc="DCGAN", disable=not progress, leave=False)
    order = None
    t0 = time.perf_counter()
    try:
        while step < total:
            epoch, k = divmod(step, steps_per_epoch)
            if order is None or k == 0:
                order = _epoch_order(seed, epoch, n)
            real = data[order[k * b : (k + 1) * b]]
            z = torch.randn(b, config.latent, generator=noise)
            fake = g(z)
            # discriminator step on real and (detached) generated batches
            opt_d.zero_grad(set_to_none=True)
            logit_real = d(real)
            logit_fake = d(fake.detach())
            loss_d = bce(logit_real, ones) + bce(logit_fake, zeros)
            loss_d.backward()
            opt_d.step()
            # generator step, non-saturating loss
            opt_g.zero_grad(set_to_none=True)
            loss_g = bce(d(fake), ones)
            loss_g.backward()
            opt_g.step()
            step += 1
            for key, val in zip(
                _LOSS_KEYS,
                (
                    loss_g.item(),
                    loss_d.item(),
                    torch.sigmoid(logit_real).mean().item(),
                    torch.sigmoid(logit_fake).mean().item(),
                ),
                strict=True,
            ):
                record[key].append(val)
            bar.update(1)
            if step % 10 == 0 or step == total:
                bar.set_postfix(
                    loss_g=f"{record['loss_g'][-1]:.3f}", loss_d=f"{record['loss_d'][-1]:.3f}"
                )
            if ckpt is not None and (step % checkpoint_every == 0 or step == total):
                seconds += time.perf_counter() - t0
                t0 = time.perf_counter()
                _save_atomic(snapshot(), ckpt)
            if callback is not None and (step % callback_every == 0 or step == total):
                callback(step, _preview(g, preview_z, mean, std, item_shape), record["loss_g"][-1])
    finally:
        bar.close()
    seconds += time.perf_counter() - t0
    g.eval()
    d.eval()
    return GANRun(
        generator=g,
        discriminator=d,
        losses=_loss_arrays(record, step),
        seconds=seconds,
        config=config,
        seed=seed,
        item_shape=tuple(item_shape),
        mean=mean.ravel(),
        std=std.ravel(),
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
        x = g(z).double().numpy()[0]
    g.train()
    return (x * std[0] + mean[0]).reshape(item_shape)


# --------------------------------------------------------------------------
# Repeated trainings
# --------------------------------------------------------------------------


@dataclass
class RepeatedTraining:
    """Runs of :func:`repeat_training`, one per seed.

    Attributes
    ----------
    runs : dict of int to GANRun
        The successful runs, by seed.
    errors : dict of int to str
        ``"ExceptionType: message"`` of the seeds that failed.
    """

    runs: dict[int, GANRun]
    errors: dict[int, str]

    @property
    def losses(self) -> dict[int, dict[str, np.ndarray]]:
        """Loss record of each successful run, by seed."""
        return {s: r.losses for s, r in self.runs.items()}

    @property
    def generators(self) -> dict[int, Generator]:
        """Trained generator of each successful run, by seed."""
        return {s: r.generator for s, r in self.runs.items()}


def _train_one(dataset, config, seed, checkpoint, kwargs) -> GANRun:
    return train(dataset, config, seed=seed, checkpoint=checkpoint, **kwargs)


def repeat_training(
    dataset,
    config: DCGANConfig | None,
    seeds: Sequence[int],
    *,
    executor: Executor | None = None,
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
    seeds : sequence of int
        One training per seed (duplicates are dropped).
    executor : concurrent.futures.Executor, optional
        E.g. a ``ProcessPoolExecutor`` to train in parallel; default serial.
        Each worker uses torch's default thread count: with ``k`` workers on
        ``c`` cores, set ``torch.set_num_threads(c // k)`` in the workers'
        ``initializer`` to avoid oversubscription.
    checkpoint_dir : str or Path, optional
        Folder of per-seed checkpoints ``seed<k>.pt``: re-running resumes
        interrupted trainings.
    progress : bool, default True
        A tqdm bar over seeds (serial mode also shows each training's bar).
    **kwargs
        Passed to :func:`train` (``checkpoint_every``, ``callback`` in serial mode, ...).

    Returns
    -------
    RepeatedTraining
        ``.runs`` by seed, and ``.errors`` for seeds whose training raised
        (the other seeds' results are kept).

    Examples
    --------
    >>> from textures_nb.generative import DCGANConfig, mrw_dataset, repeat_training
    >>> data = mrw_dataset(32, 16, 0.8, 0.2, seed=0)
    >>> rep = repeat_training(data, DCGANConfig(width=4, latent=8, epochs=1, batch_size=16),
    ...                       [0, 1], progress=False)
    >>> sorted(rep.runs)
    [0, 1]
    """
    seeds = list(dict.fromkeys(seeds))
    if not seeds:
        raise ValueError("`seeds` is empty: pass at least one seed, e.g. range(3).")
    if executor is not None and not isinstance(executor, Executor):
        raise TypeError(f"`executor` must be a concurrent.futures.Executor, got {executor!r}.")
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)

    def ckpt(s):
        return None if folder is None else folder / f"seed{s}.pt"

    runs: dict[int, GANRun] = {}
    errors: dict[int, str] = {}
    if executor is None:
        inner = dict(kwargs, progress=progress)
        for s in tqdm(seeds, desc="seeds", disable=not progress, leave=False):
            try:
                runs[s] = _train_one(dataset, config, s, ckpt(s), inner)
            except Exception as exc:  # one failing seed must not lose the others
                errors[s] = f"{type(exc).__name__}: {exc}"
    else:
        inner = dict(kwargs, progress=False)
        futures = {
            s: executor.submit(_train_one, dataset, config, s, ckpt(s), inner) for s in seeds
        }
        for s in tqdm(seeds, desc="seeds", disable=not progress, leave=False):
            try:
                runs[s] = futures[s].result()
            except Exception as exc:
                errors[s] = f"{type(exc).__name__}: {exc}"
    return RepeatedTraining(runs=runs, errors=errors)


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
    seed : int, default 0
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
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from .plotting import _COLORS

    if isinstance(runs, GANRun):
        runs = {f"seed {runs.seed}": runs}
    elif isinstance(runs, RepeatedTraining):
        runs = {f"seed {s}": r for s, r in runs.runs.items()}
    if not isinstance(runs, dict) or not all(isinstance(r, GANRun) for r in runs.values()):
        raise TypeError("`runs` must be a GANRun, a RepeatedTraining or a dict of GANRun.")
    smooth = check_positive_int(smooth, "smooth")
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
                    line=dict(color=_COLORS[i % len(_COLORS)]),
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(title="step")
    fig.update_layout(title=title, height=350)
    return fig
