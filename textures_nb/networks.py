"""Feature networks and texture losses for synthesis and generative models.

Plain :class:`torch.nn.Module` objects, in the spirit of plenoptic's models:
a network maps a batch of signals or images to a list of feature maps, a
loss compares the statistics of those feature maps to the ones of a target.
They know nothing about optimisation, so :mod:`textures_nb.synthesis` (pixel
optimisation) and a feed-forward generative model can share them.

Layouts follow PyTorch: ``(B, C, T)`` for signals and ``(B, C, H, W)`` for
images, with ``B`` the batch size and ``C`` the channels.

- :class:`RandomMultiscaleNet`: single-layer convolutional banks with FIXED
  random weights applied to an image pyramid (1D or 2D). Random shallow
  multiscale networks generate good textures without any training
  (Ustyuzhaninov et al., 2017).
- :class:`VGG19`: the VGG-19 feature extractor (torchvision layout, weights
  supplied by the user as a local file; nothing is ever downloaded).
- :func:`gram_matrix`, :class:`GramLoss`: Gatys et al. (2015) statistics.
- :class:`SlicedWassersteinLoss`: full feature distributions (Heitz et al.,
  2021).
- :class:`SpectrumLoss`: binned log power spectrum, a Fourier constraint for
  long-range correlations (in the spirit of Liu et al., 2016).

References
----------
Gatys, Ecker, Bethge (2015), "Texture synthesis using convolutional neural
networks", NeurIPS. Ustyuzhaninov, Brendel, Gatys, Bethge (2017), "What does
it take to generate natural textures?", ICLR. Heitz, Vanhoey, Chambon,
Belcour (2021), "A sliced Wasserstein loss for neural texture synthesis",
CVPR. Liu, Gousseau, Xia (2016), "Texture synthesis through convolutional
neural networks and spectrum constraints", ICPR.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._checks import check_in_range, check_positive_int, torch_seed
from ._shared.spectral import hann, radius_angle

__all__ = [
    "RandomMultiscaleNet",
    "VGG19",
    "VGG19_LAYERS",
    "load_vgg19",
    "gram_matrix",
    "GramLoss",
    "SlicedWassersteinLoss",
    "SpectrumLoss",
    "sort_last",
    "sorted_values",
    "resample_sorted",
]


def _pad(x: Tensor, pad: int, periodic: bool) -> Tensor:
    """Pad the spatial axes of ``x`` by ``pad`` on each side (circular or zero)."""
    if pad == 0:
        return x
    widths = (pad, pad) * (x.ndim - 2)
    return F.pad(x, widths, mode="circular" if periodic else "constant")


def _wrap_padding(padded: Tensor, ph: int, pw: int, h: int, w: int) -> Tensor:
    """Add the circular padding of ``padded`` (..., h + 2 ph, w + 2 pw) back onto its core."""
    if ph:
        padded[..., ph : 2 * ph, :] += padded[..., h + ph : h + 2 * ph, :]
        padded[..., h : h + ph, :] += padded[..., 0:ph, :]
    if pw:
        padded[..., :, pw : 2 * pw] += padded[..., :, w + pw : w + 2 * pw]
        padded[..., :, w : w + pw] += padded[..., :, 0:pw]
    return padded[..., ph : h + ph, pw : w + pw]


class _PeriodicConvReLU(torch.autograd.Function):
    """``relu(circular grouped convolution + bias)`` for one sample, gradient w.r.t. the input only.

    ``x`` (1, C, *spatial), ``w`` (C * K, 1, *taps), ``b`` (C * K,). The
    convolution is an im2col matrix product; its adjoint a matrix product and
    a col2im (``F.fold``) whose circular padding is wrapped back. On CPU this
    is 2-3x faster than the autograd of ``F.conv2d`` with a single input
    channel per group, whose backward pass dominated the profile.
    """

    @staticmethod
    def forward(ctx, x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        n_ch = x.shape[1]
        if x.ndim == 3:
            x4, (kh, kw) = x.view(n_ch, 1, 1, x.shape[-1]), (1, w.shape[-1])
        else:
            x4, (kh, kw) = x.view(n_ch, 1, *x.shape[2:]), tuple(w.shape[-2:])
        h, wd = x4.shape[-2:]
        ph, pw = kh // 2, kw // 2
        cols = F.unfold(F.pad(x4, (pw, pw, ph, ph), mode="circular"), (kh, kw))  # (C, taps, P)
        wm = w.reshape(n_ch, -1, kh * kw)
        out = torch.baddbmm(b.view(n_ch, -1, 1), wm, cols).clamp_min_(0.0)  # (C, K, P)
        out = out.view(1, -1, *x.shape[2:])
        ctx.save_for_backward(wm, out)
        ctx.geometry = (h, wd, kh, kw, x.shape)
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        wm, out = ctx.saved_tensors
        h, wd, kh, kw, shape = ctx.geometry
        n_ch, n_f = wm.shape[:2]
        g = torch.ops.aten.threshold_backward(grad, out, 0.0).view(n_ch, n_f, h * wd)
        cols = torch.bmm(wm.transpose(1, 2), g)  # (C, taps, P)
        padded = F.fold(cols, (h + 2 * (kh // 2), wd + 2 * (kw // 2)), (kh, kw))
        return _wrap_padding(padded, kh // 2, kw // 2, h, wd).reshape(shape), None, None


class _Gram(torch.autograd.Function):
    """Gram matrix ``f f^T / P`` of (B, K, P) features with a single-product backward."""

    @staticmethod
    def forward(ctx, f: Tensor) -> Tensor:
        ctx.save_for_backward(f)
        return torch.bmm(f, f.transpose(1, 2)) / f.shape[-1]

    @staticmethod
    def backward(ctx, grad: Tensor):
        (f,) = ctx.saved_tensors
        # scale the small K x K matrix, not the large K x P result
        return torch.bmm((grad + grad.transpose(1, 2)) / f.shape[-1], f)


def _check_input(x: Tensor, in_channels: int, dim: int, name: str) -> None:
    if not isinstance(x, Tensor) or x.ndim != dim + 2 or x.shape[1] != in_channels:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        expected = "(B, C, T)" if dim == 1 else "(B, C, H, W)"
        raise ValueError(
            f"{name} expects a tensor of shape {expected} with C = {in_channels}, got {shape}."
        )


class RandomMultiscaleNet(nn.Module):
    """Single-layer random convolutional banks on a band-pass pyramid (1D or 2D).

    The input is decomposed into octaves: level ``s = 0, ..., n_scales - 1``
    is the input averaged over blocks of ``2**s`` samples (pixels) minus its
    binomial blur (a band-pass), the last level is the low-pass residual.
    Each level is multiplied by a gain (1 by default; :meth:`calibrate` sets
    it to the inverse standard deviation of the target's band, so that every
    octave is seen at unit scale whatever the spectrum's slope), convolved with
    ``n_filters`` fixed random filters per channel, shifted by a random bias
    and rectified (ReLU). Gram matrices (or feature distributions) of the
    ``n_scales`` maps define the texture (Ustyuzhaninov et al., 2017). Weights
    and biases are buffers, never trained, and depend only on ``seed``.

    Parameters
    ----------
    in_channels : int, default 1
        Number of channels ``C`` of the input.
    dim : {1, 2}, default 2
        1 for signals ``(B, C, T)``, 2 for images ``(B, C, H, W)``.
    n_scales : int, default 5
        Number of pyramid levels; level ``s`` sees details of ``~kernel_size *
        2**s`` samples.
    n_filters : int, default 32
        Random filters per channel and level. Features per level:
        ``in_channels * n_filters``; every channel has its own bank and the
        Gram matrix of the concatenated banks holds the cross-channel
        statistics.
    kernel_size : int, default 5
        Filter support in samples (odd).
    seed : int or numpy.random.Generator, default 0
        Seed of the random weights and biases.

    Attributes
    ----------
    receptive_field : int
        Support, in input samples, of one feature at the coarsest level:
        ``(kernel_size + 2) * 2**(n_scales - 1)``. Inputs must be at least that
        long along every axis.
    min_size : int
        Same as ``receptive_field`` (common interface with :class:`VGG19`).

    Examples
    --------
    >>> import torch
    >>> net = RandomMultiscaleNet(in_channels=2, dim=1, n_scales=3, n_filters=8)
    >>> feats = net(torch.randn(1, 2, 256))
    >>> [tuple(f.shape) for f in feats]
    [(1, 16, 250), (1, 16, 122), (1, 16, 58)]
    """

    def __init__(
        self,
        in_channels: int = 1,
        *,
        dim: int = 2,
        n_scales: int = 5,
        n_filters: int = 32,
        kernel_size: int = 5,
        seed: int | np.random.Generator = 0,
    ) -> None:
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "in_channels")
        if dim not in (1, 2):
            raise ValueError(f"`dim` must be 1 (signals) or 2 (images), got {dim!r}.")
        self.dim = dim
        self.n_scales = check_positive_int(n_scales, "n_scales")
        self.n_filters = check_positive_int(n_filters, "n_filters")
        self.kernel_size = check_positive_int(kernel_size, "kernel_size", minimum=2)
        if self.kernel_size % 2 == 0:
            raise ValueError(f"`kernel_size` must be odd, got {kernel_size}; use e.g. 3, 5 or 7.")
        self.seed = torch_seed(seed)
        self.receptive_field = (self.kernel_size + 2) * 2 ** (self.n_scales - 1)
        self.min_size = self.receptive_field
        gen = torch.Generator().manual_seed(self.seed)
        taps = (self.kernel_size,) * dim
        n_out = self.in_channels * self.n_filters
        for s in range(self.n_scales):
            w = torch.randn((n_out, 1, *taps), generator=gen)
            w = w - w.mean(dim=tuple(range(2, w.ndim)), keepdim=True)
            w = w / w.flatten(1).norm(dim=1).view(-1, *([1] * (w.ndim - 1)))
            b = torch.rand(n_out, generator=gen) - 0.5
            self.register_buffer(f"weight{s}", w)
            self.register_buffer(f"bias{s}", b)
        binom = torch.tensor([0.25, 0.5, 0.25])
        blur = binom if dim == 1 else torch.outer(binom, binom)
        self.register_buffer("blur", blur.expand(self.in_channels, 1, *blur.shape).clone())
        self.register_buffer("gains", torch.ones(self.n_scales, self.in_channels))

    def _levels(self, x: Tensor, periodic: bool) -> list[Tensor]:
        conv = F.conv1d if self.dim == 1 else F.conv2d
        pool = F.avg_pool1d if self.dim == 1 else F.avg_pool2d
        levels = []
        for s in range(self.n_scales):
            if s > 0:
                x = pool(x, 2)
            low = conv(_pad(x, 1, True) if periodic else x, self.blur, groups=self.in_channels)
            core = x if periodic else x[(..., *([slice(1, -1)] * self.dim))]
            levels.append(core - low)
        return levels

    @torch.no_grad()
    def calibrate(self, x: Tensor) -> RandomMultiscaleNet:
        """Set the per-level gains to the inverse standard deviation of ``x``'s bands.

        Parameters
        ----------
        x : Tensor, shape (1, C, *spatial)
            The (standardised) target.

        Returns
        -------
        RandomMultiscaleNet
            ``self``, for chaining.
        """
        _check_input(x, self.in_channels, self.dim, "RandomMultiscaleNet.calibrate")
        for s, band in enumerate(self._levels(x, periodic=False)):
            std = band.transpose(0, 1).flatten(1).std(dim=1)
            self.gains[s] = 1.0 / std.clamp_min(1e-8 * float(std.max().clamp_min(1e-30)))
        return self

    def forward(self, x: Tensor, *, periodic: bool = False) -> list[Tensor]:
        """Feature maps of ``x``, one per level (finest first).

        Parameters
        ----------
        x : Tensor, shape (B, C, T) or (B, C, H, W)
            Input signals or images, standardised (zero mean, unit variance per
            channel).
        periodic : bool, default False
            False: valid convolutions (no feature sees the border, right for a
            non-periodic sample). True: circular padding (every sample plays
            the same role; right for a synthesis that tiles the plane).

        Returns
        -------
        list of Tensor
            ``n_scales`` maps of shape ``(B, C * n_filters, *spatial_s)``.
        """
        _check_input(x, self.in_channels, self.dim, "RandomMultiscaleNet")
        conv = F.conv1d if self.dim == 1 else F.conv2d
        pad = self.kernel_size // 2 if periodic else 0
        feats = []
        for s, band in enumerate(self._levels(x, periodic)):
            band = band * self.gains[s].view(1, -1, *([1] * self.dim))
            w, b = getattr(self, f"weight{s}"), getattr(self, f"bias{s}")
            if periodic and band.shape[0] == 1:
                feats.append(_PeriodicConvReLU.apply(band, w, b))
            else:
                feats.append(F.relu(conv(_pad(band, pad, periodic), w, b, groups=self.in_channels)))
        return feats

    def extra_repr(self) -> str:
        return (
            f"in_channels={self.in_channels}, dim={self.dim}, n_scales={self.n_scales}, "
            f"n_filters={self.n_filters}, kernel_size={self.kernel_size}, seed={self.seed}"
        )


# --------------------------------------------------------------------------
# VGG-19
# --------------------------------------------------------------------------

_VGG19_CFG = (
    64,
    64,
    "M",
    128,
    128,
    "M",
    256,
    256,
    256,
    256,
    "M",
    512,
    512,
    512,
    512,
    "M",
    512,
    512,
    512,
    512,
    "M",
)

#: Index in ``features`` of the ReLU after each named convolution (torchvision layout).
VGG19_LAYERS: dict[str, int] = {}
_idx, _block, _conv = 0, 1, 1
for _v in _VGG19_CFG:
    if _v == "M":
        VGG19_LAYERS[f"pool{_block}"] = _idx
        _idx, _block, _conv = _idx + 1, _block + 1, 1
    else:
        VGG19_LAYERS[f"relu{_block}_{_conv}"] = _idx + 1
        _idx, _conv = _idx + 2, _conv + 1
del _idx, _block, _conv, _v


class VGG19(nn.Module):
    """VGG-19 convolutional features (Simonyan & Zisserman, 2015).

    ``features`` has the torchvision layout (``features.N.weight/bias`` for
    ``N`` in 0, 2, 5, 7, 10, ...), so a torchvision state dict loads with
    :func:`load_vgg19`. Max pooling is replaced by average pooling by
    default, as in Gatys et al. (2015).

    Parameters
    ----------
    width : float, default 1.0
        Multiplier of the channel counts (64, 128, 256, 512, 512); tiny values
        (e.g. 1/16) give a cheap network for tests. Pretrained torchvision
        weights need ``width=1``.
    layers : sequence of str, default ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
        Layers returned by :meth:`forward`; names from :data:`VGG19_LAYERS`.
    pooling : {"avg", "max"}, default "avg"
        Pooling operation.

    Attributes
    ----------
    min_size : int
        Smallest input side (pixels) that leaves at least 2 x 2 positions at
        the deepest requested layer.

    Examples
    --------
    >>> import torch
    >>> net = VGG19(width=1 / 16, layers=("relu1_1", "relu2_1"))
    >>> [tuple(f.shape) for f in net(torch.randn(1, 3, 32, 32))]
    [(1, 4, 32, 32), (1, 8, 16, 16)]
    """

    def __init__(
        self,
        width: float = 1.0,
        *,
        layers: Sequence[str] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
        pooling: str = "avg",
    ) -> None:
        super().__init__()
        self.width = check_in_range(width, "width", 0.0, 1.0, high_inclusive=True)
        unknown = [name for name in layers if name not in VGG19_LAYERS]
        if unknown or not layers:
            raise ValueError(
                f"`layers` must be a non-empty list of VGG-19 layer names, unknown: {unknown}; "
                f"choose among {list(VGG19_LAYERS)}."
            )
        if pooling not in ("avg", "max"):
            raise ValueError(f"`pooling` must be 'avg' or 'max', got {pooling!r}.")
        self.layers = tuple(layers)
        self.pooling = pooling
        self.dim = 2
        self.in_channels = 3
        mods: list[nn.Module] = []
        c_in = 3
        for v in _VGG19_CFG:
            if v == "M":
                mods.append(nn.AvgPool2d(2) if pooling == "avg" else nn.MaxPool2d(2))
            else:
                c_out = max(1, round(v * self.width))
                mods += [nn.Conv2d(c_in, c_out, 3, padding=0), nn.ReLU()]
                c_in = c_out
        self.features = nn.Sequential(*mods)
        self._last = max(VGG19_LAYERS[name] for name in self.layers)
        n_pools = sum(1 for m in mods[: self._last + 1] if not isinstance(m, (nn.Conv2d, nn.ReLU)))
        self.min_size = 2 * 2**n_pools
        self.requires_grad_(False)

    def forward(self, x: Tensor, *, periodic: bool = False) -> list[Tensor]:
        """Feature maps at :attr:`layers`.

        Parameters
        ----------
        x : Tensor, shape (B, 3, H, W)
            Images, standardised per channel (ImageNet-like scale).
        periodic : bool, default False
            Circular instead of zero padding before each 3x3 convolution.

        Returns
        -------
        list of Tensor
            One map ``(B, K_l, H_l, W_l)`` per requested layer, in the order of
            :attr:`layers`.
        """
        _check_input(x, 3, 2, "VGG19")
        wanted = {VGG19_LAYERS[name]: name for name in self.layers}
        out: dict[str, Tensor] = {}
        for i, mod in enumerate(self.features):
            if i > self._last:
                break
            if isinstance(mod, nn.Conv2d):
                x = F.conv2d(_pad(x, 1, periodic), mod.weight, mod.bias)
            else:
                x = mod(x)
            if i in wanted:
                out[wanted[i]] = x
        return [out[name] for name in self.layers]


def load_vgg19(path: str | Path, *, width: float = 1.0, **kwargs) -> VGG19:
    """Build a :class:`VGG19` and load its weights from a local file.

    Parameters
    ----------
    path : str or Path
        A file written by ``torch.save(state_dict, path)``: a torchvision
        ``vgg19`` state dict (keys ``features.N.weight`` / ``features.N.bias``;
        ``classifier.*`` keys are ignored) or the state dict of a
        :class:`VGG19`. Nothing is downloaded.
    width : float, default 1.0
        Channel multiplier of the network the weights were trained for.
    **kwargs
        ``layers`` and ``pooling`` of :class:`VGG19`.

    Returns
    -------
    VGG19
        With the loaded weights, frozen.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        The file is not a state dict, misses keys or has tensors of the wrong
        shape (e.g. a different ``width``).

    Examples
    --------
    >>> import tempfile, torch
    >>> from pathlib import Path
    >>> from textures_nb.networks import VGG19, load_vgg19
    >>> path = Path(tempfile.mkdtemp()) / "vgg19.pt"
    >>> torch.save(VGG19(width=1 / 16).state_dict(), path)
    >>> net = load_vgg19(path, width=1 / 16, layers=("relu1_1",))
    >>> [tuple(f.shape) for f in net(torch.zeros(1, 3, 16, 16))]
    [(1, 4, 16, 16)]
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"`weights` file {str(path)!r} not found. The 'vgg' method never downloads: save a "
            "torchvision VGG-19 state dict yourself, e.g. torch.save(torchvision.models.vgg19("
            "weights='DEFAULT').state_dict(), 'vgg19.pth'), and pass weights='vgg19.pth'."
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(
            f"`weights` file {str(path)!r} could not be read by torch.load: {exc}"
        ) from exc
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise ValueError(
            f"`weights` file {str(path)!r} must hold a state dict (name -> tensor), "
            f"got {type(state).__name__}."
        )
    net = VGG19(width, **kwargs)
    own = net.state_dict()
    feats = {k: v for k, v in state.items() if k.startswith("features.")}
    missing = sorted(set(own) - set(feats), key=_key_order)
    if missing:
        raise ValueError(
            f"`weights` file {str(path)!r} misses {len(missing)} VGG-19 key(s), "
            f"e.g. {missing[:3]}; "
            "expected a torchvision vgg19 state dict with keys 'features.N.weight/bias'."
        )
    bad = [
        (k, tuple(feats[k].shape), tuple(v.shape))
        for k, v in own.items()
        if feats[k].shape != v.shape
    ]
    if bad:
        k, got, want = bad[0]
        raise ValueError(
            f"`weights` do not match a VGG-19 of width={width}: {len(bad)} tensor(s) "
            "with the wrong "
            f"shape, e.g. {k!r} has shape {got}, expected {want}; pass the `width` the weights "
            "were made for (1.0 for torchvision)."
        )
    net.load_state_dict({k: feats[k].float() for k in own})
    return net.requires_grad_(False).eval()


def _key_order(key: str) -> tuple[int, str]:
    parts = key.split(".")
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0, key)


# --------------------------------------------------------------------------
# Statistics and losses
# --------------------------------------------------------------------------


def gram_matrix(features: Tensor) -> Tensor:
    """Gram matrix of feature maps, averaged over positions.

    Parameters
    ----------
    features : Tensor, shape (B, K, *spatial)
        Feature maps.

    Returns
    -------
    Tensor, shape (B, K, K)
        ``G[b, k, l] = mean over positions of f[b, k] * f[b, l]`` (not
        centred), independent of the number of positions so that a sample and
        a larger synthesis compare directly.

    Examples
    --------
    >>> import torch
    >>> from textures_nb.networks import gram_matrix
    >>> f = torch.ones(1, 2, 8, 8)
    >>> gram_matrix(f)
    tensor([[[1., 1.],
             [1., 1.]]])
    """
    return _Gram.apply(features.flatten(2))


class GramLoss(nn.Module):
    """Relative squared distance between Gram matrices, summed over layers.

    ``loss = sum_l w_l ||G_l(x) - G_l(target)||_F^2 / ||G_l(target)||_F^2``;
    the normalisation balances layers whose features have very different
    energies (fine versus coarse scales).

    Parameters
    ----------
    target_features : list of Tensor, each (1, K_l, *spatial_l)
        Feature maps of the target.
    weights : sequence of float, optional
        Per-layer weights ``w_l`` (default 1).

    Examples
    --------
    >>> import torch
    >>> from textures_nb.networks import GramLoss
    >>> target = [torch.randn(1, 4, 16, 16, generator=torch.Generator().manual_seed(0))]
    >>> loss = GramLoss(target)
    >>> round(float(loss(target)), 3), round(float(loss([2 * target[0]])), 3)  # G x 4: 3**2
    (0.0, 9.0)
    """

    def __init__(
        self, target_features: Sequence[Tensor], weights: Sequence[float] | None = None
    ) -> None:
        super().__init__()
        grams = [gram_matrix(f.detach()) for f in target_features]
        self.n_layers = len(grams)
        w = (
            torch.ones(self.n_layers)
            if weights is None
            else torch.as_tensor(weights, dtype=torch.float32)
        )
        if w.shape != (self.n_layers,):
            raise ValueError(
                f"`weights` must have one value per layer ({self.n_layers}), got {tuple(w.shape)}."
            )
        for i, g in enumerate(grams):
            self.register_buffer(f"gram{i}", g)
        self.register_buffer("weights", w / w.sum())

    def forward(self, features: Sequence[Tensor]) -> Tensor:
        """Loss of ``features`` (same layers as the target), a scalar tensor."""
        loss = 0.0
        for i, f in enumerate(features):
            t = getattr(self, f"gram{i}")
            loss = loss + self.weights[i] * ((gram_matrix(f) - t) ** 2).sum() / (
                t**2
            ).sum().clamp_min(1e-12)
        return loss


def resample_sorted(sorted_vals: Tensor, n: int) -> Tensor:
    """Resample values sorted along the last axis ``(..., M)`` to ``n`` quantiles.

    Linear interpolation at the mid-point positions ``(k + 0.5) / n``; returned
    unchanged when ``n == M``. Used to compare sorted values (1D optimal
    transport) between a target and a synthesis of another size.

    Parameters
    ----------
    sorted_vals : Tensor, shape (..., M)
        Values sorted along the last axis.
    n : int
        Number of quantiles wanted.

    Returns
    -------
    Tensor, shape (..., n)

    Examples
    --------
    >>> import torch
    >>> from textures_nb.networks import resample_sorted
    >>> resample_sorted(torch.tensor([0.0, 1.0, 2.0, 3.0]), 2)
    tensor([0.5000, 2.5000])
    """
    m = sorted_vals.shape[-1]
    if m == n:
        return sorted_vals
    pos = (torch.arange(n, dtype=sorted_vals.dtype, device=sorted_vals.device) + 0.5) * m / n - 0.5
    pos = pos.clamp(0, m - 1)
    lo = pos.floor().long()
    hi = (lo + 1).clamp(max=m - 1)
    frac = pos - lo
    return sorted_vals[..., lo] * (1 - frac) + sorted_vals[..., hi] * frac


def sorted_values(x: Tensor) -> Tensor:
    """Values of ``x`` sorted along the last axis, without gradient.

    NumPy's sort on the CPU (about 10x faster than torch's), torch elsewhere.

    Parameters
    ----------
    x : Tensor, shape (..., M)
        Any values (no gradient flows through the result).

    Returns
    -------
    Tensor, shape (..., M)

    Examples
    --------
    >>> import torch
    >>> from textures_nb.networks import sorted_values
    >>> sorted_values(torch.tensor([[3.0, 1.0, 2.0]]))
    tensor([[1., 2., 3.]])
    """
    if x.device.type == "cpu":
        return torch.from_numpy(np.sort(x.detach().numpy(), axis=-1))
    return torch.sort(x.detach(), dim=-1).values


class _SortLast(torch.autograd.Function):
    """Sort along the last axis with gradient; NumPy's argsort on CPU (2-3x faster than torch)."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        if x.device.type == "cpu":
            idx = torch.from_numpy(np.argsort(x.detach().numpy(), axis=-1))
        else:
            idx = torch.argsort(x, dim=-1)
        ctx.save_for_backward(idx)
        return torch.gather(x, -1, idx)

    @staticmethod
    def backward(ctx, grad: Tensor):
        (idx,) = ctx.saved_tensors
        return torch.zeros_like(grad).scatter_(-1, idx, grad)


def sort_last(x: Tensor) -> Tensor:
    """Differentiable sort of ``x`` along its last axis (values only).

    Parameters
    ----------
    x : Tensor, shape (..., M)
        Values to sort; the gradient flows back to the unsorted positions.

    Returns
    -------
    Tensor, shape (..., M)

    Examples
    --------
    >>> import torch
    >>> from textures_nb.networks import sort_last
    >>> x = torch.tensor([3.0, 1.0, 2.0], requires_grad=True)
    >>> y = sort_last(x)
    >>> (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    >>> y.detach(), x.grad
    (tensor([1., 2., 3.]), tensor([3., 1., 2.]))
    """
    return _SortLast.apply(x.contiguous())


class SlicedWassersteinLoss(nn.Module):
    """Sliced Wasserstein distance between feature distributions (Heitz et al., 2021).

    At each layer the features of every position form a point cloud in
    ``R^K``; both clouds are projected on random unit directions, sorted and
    compared (squared 1D optimal transport), which matches the full
    distributions rather than only their second moments. Call
    :meth:`resample` to draw new directions (once per optimisation step).
    Target and synthesis may have different numbers of positions (target
    quantiles are interpolated). Each layer's term is divided by the target's
    mean squared projection, so that layers weigh alike.

    Parameters
    ----------
    target_features : list of Tensor, each (1, K_l, *spatial_l)
        Feature maps of the target (batch of one).
    n_directions : int, optional
        Random directions per layer (default ``K_l``).
    seed : int or numpy.random.Generator, default 0 (keyword-only)
        Seed of the directions.

    Examples
    --------
    >>> import torch
    >>> from textures_nb.networks import SlicedWassersteinLoss
    >>> target = [torch.randn(1, 4, 16, 16, generator=torch.Generator().manual_seed(0))]
    >>> loss = SlicedWassersteinLoss(target, seed=0)
    >>> float(loss(target)) < 1e-10, float(loss([2 * target[0]])) > 0
    (True, True)
    """

    def __init__(
        self,
        target_features: Sequence[Tensor],
        n_directions: int | None = None,
        *,
        seed: int | np.random.Generator = 0,
    ) -> None:
        super().__init__()
        self.targets = [f.detach()[0].flatten(1) for f in target_features]  # (K_l, N_l)
        self.n_directions = (
            None if n_directions is None else check_positive_int(n_directions, "n_directions")
        )
        self.generator = torch.Generator().manual_seed(torch_seed(seed))
        self.directions: list[Tensor] = []
        self.resample()

    def resample(self) -> None:
        """Draw new random projection directions for every layer."""
        self.directions = []
        for t in self.targets:
            k = t.shape[0]
            d = torch.randn((self.n_directions or k, k), generator=self.generator)
            self.directions.append((d / d.norm(dim=1, keepdim=True)).to(t.device, t.dtype))
        self._sorted_targets = [
            sorted_values(d @ t) for t, d in zip(self.targets, self.directions, strict=True)
        ]

    def to(self, *args, **kwargs):
        self.targets = [t.to(*args, **kwargs) for t in self.targets]
        self.directions = [d.to(*args, **kwargs) for d in self.directions]
        self._sorted_targets = [t.to(*args, **kwargs) for t in self._sorted_targets]
        return super().to(*args, **kwargs)

    def forward(self, features: Sequence[Tensor]) -> Tensor:
        """Loss of ``features`` (batch of one), a scalar tensor."""
        loss = 0.0
        for f, d, st in zip(features, self.directions, self._sorted_targets, strict=True):
            proj = sort_last(d @ f[0].flatten(1))  # (D, N)
            tq = resample_sorted(st, proj.shape[-1])
            loss = loss + ((proj - tq) ** 2).mean() / (st**2).mean().clamp_min(1e-12)
        return loss / len(self._sorted_targets)


class SpectrumLoss(nn.Module):
    """Squared distance between binned log power spectra.

    The periodogram (Hann window, normalised to a spectral density so that
    signals of different sizes compare) is averaged in frequency bins that are
    logarithmically spaced in ``|f|`` (cycles per sample, in (0, 1/2]) and, in
    2D, also in orientation; the loss is the mean squared difference of the
    log bin powers, per channel. It constrains the power-law decay of the
    spectrum (long-range correlations) and, in 2D, its anisotropy.

    Parameters
    ----------
    target : Tensor, shape (1, C, T) or (1, C, H, W)
        Target signal or image (standardised).
    n_radial : int, default 16
        Number of log-spaced frequency bands.
    n_orient : int, default 8
        Number of orientation bins over [0, pi) (2D only).

    Examples
    --------
    >>> import torch
    >>> from textures_nb.networks import SpectrumLoss
    >>> x = torch.randn(1, 1, 64, 64, generator=torch.Generator().manual_seed(0))
    >>> loss = SpectrumLoss(x)
    >>> float(loss(x)) < 1e-10, float(loss(x.cumsum(-1))) > 0
    (True, True)
    """

    def __init__(self, target: Tensor, n_radial: int = 16, n_orient: int = 8) -> None:
        super().__init__()
        self.dim = target.ndim - 2
        if self.dim not in (1, 2):
            raise ValueError(
                f"SpectrumLoss expects (1, C, T) or (1, C, H, W), got {tuple(target.shape)}."
            )
        self.n_radial = check_positive_int(n_radial, "n_radial")
        self.n_orient = check_positive_int(n_orient, "n_orient") if self.dim == 2 else 1
        self.f_min = 1.0 / min(target.shape[2:])
        self._cache: dict[tuple[int, ...], tuple[Tensor, Tensor]] = {}
        self.register_buffer("target", target.detach().clone())
        power, count = self._binned(self.target)
        # floor each bin at 1e-3 of its ring's mean power: empty orientation wedges of a
        # strongly anisotropic target must not dominate a loss on logarithms
        rings = power.view(power.shape[0], self.n_radial, self.n_orient)
        ring_count = count.view(self.n_radial, self.n_orient).sum(dim=1).clamp_min(1)
        ring_mean = (rings * count.view(self.n_radial, self.n_orient)).sum(dim=2) / ring_count
        floor = (1e-3 * ring_mean).repeat_interleave(self.n_orient, dim=1).clamp_min(1e-30)
        self.register_buffer("floor", floor)
        self.register_buffer("target_log_power", torch.log(power + floor))
        self.register_buffer("target_count", count)

    def _bins(self, shape: tuple[int, ...], device) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Bin index of every rfft frequency of ``shape`` (``n_bins`` when outside the
        fitted band), the bin counts, the normalised Hann window, and the bin index
        clamped to the band (for :meth:`amplitude`)."""
        if shape not in self._cache:
            radius_np, angle_np = radius_angle(shape, real=True)
            radius = torch.from_numpy(radius_np)
            edges = torch.logspace(
                math.log10(self.f_min), math.log10(0.5), self.n_radial + 1, dtype=torch.float64
            )
            rbin = (
                torch.bucketize(radius, edges) - 1
            )  # -1 below f_min (incl. DC), n_radial above 1/2
            valid = (rbin >= 0) & (rbin < self.n_radial)
            if self.dim == 2:
                angle = torch.from_numpy(angle_np)
                obin = torch.clamp((angle / math.pi * self.n_orient).long(), max=self.n_orient - 1)
            else:
                obin = torch.zeros_like(rbin)
            clamped = (rbin.clamp(0, self.n_radial - 1) * self.n_orient + obin).flatten()
            n_bins = self.n_radial * self.n_orient
            index = torch.where(valid.flatten(), clamped, torch.full_like(clamped, n_bins))
            count = torch.bincount(index, minlength=n_bins + 1)[:n_bins].float()
            window = torch.from_numpy(np.array(hann(shape, norm="l2"))).float()
            self._cache[shape] = tuple(t.to(device) for t in (index, count, window, clamped))
        return self._cache[shape]

    def _binned(self, x: Tensor) -> tuple[Tensor, Tensor]:
        shape = tuple(x.shape[2:])
        index, count, window, _ = self._bins(shape, x.device)
        axes = tuple(range(2, x.ndim))
        spec = torch.fft.rfftn((x - x.mean(dim=axes, keepdim=True)) * window, dim=axes)
        p = (spec.real**2 + spec.imag**2).flatten(2)[0]  # (C, n_freq)
        n_bins = count.shape[0]
        sums = torch.zeros((p.shape[0], n_bins + 1), dtype=p.dtype, device=p.device)
        sums = sums.index_add(1, index, p)[:, :n_bins]
        return sums / count.clamp_min(1), count

    @torch.no_grad()
    def spectral_root(self, shape: Sequence[int]) -> Tensor:
        """Square root of the target's binned cross-spectral matrix on the rfft grid of ``shape``.

        The target's (Hann-windowed) cross-periodogram ``X_a X_b^*`` is averaged
        in the bins of this loss; each bin's Hermitian ``C x C`` matrix ``S`` is
        factored as ``R R^H`` (eigen-decomposition, negative eigenvalues set to
        0). Frequencies below the lowest band or above 1/2 take the nearest
        band; bins the target leaves empty take their ring's mean (or the
        nearest ring's). Filtering white noise by ``R`` gives a field with the
        target's smoothed spectra and cross-spectra; it is the spectral
        preconditioner of :class:`~textures_nb.synthesis.TextureSynthesis`.

        Parameters
        ----------
        shape : sequence of int
            Spatial shape ``(T,)`` or ``(H, W)`` of the field to generate.

        Returns
        -------
        Tensor, complex, shape (*rfft_shape, C, C)
            ``R(f)`` for every frequency of ``torch.fft.rfftn`` over ``shape``.
        """
        shape = tuple(int(n) for n in shape)
        x = self.target
        n_ch = x.shape[1]
        index, count, window, _ = self._bins(tuple(x.shape[2:]), x.device)
        axes = tuple(range(2, x.ndim))
        spec = torch.fft.rfftn((x - x.mean(dim=axes, keepdim=True)) * window, dim=axes)
        spec = spec.to(torch.complex128).flatten(2)[0]  # (C, n_freq)
        cross = (spec[:, None] * spec[None].conj()).reshape(n_ch * n_ch, -1)
        n_bins = count.shape[0]
        sums = torch.zeros((n_ch * n_ch, n_bins + 1), dtype=cross.dtype, device=x.device)
        sums = sums.index_add(1, index, cross)[:, :n_bins] / count.clamp_min(1)
        rings = sums.T.reshape(self.n_radial, self.n_orient, n_ch, n_ch)
        ok = (count > 0).view(self.n_radial, self.n_orient)
        good = [r for r in range(self.n_radial) if ok[r].any()]
        filled = rings.clone()
        for r in range(self.n_radial):
            src = r if ok[r].any() else min(good, key=lambda g: abs(g - r))
            filled[r, ~ok[r]] = rings[src, ok[src]].mean(dim=0)
        w, v = torch.linalg.eigh(filled.reshape(n_bins, n_ch, n_ch))
        root = v * w.clamp_min(0).sqrt().to(v.dtype).unsqueeze(-2)  # (n_bins, C, C)
        _, _, _, clamped = self._bins(shape, x.device)
        freqs = [*shape[:-1], shape[-1] // 2 + 1]
        return root[clamped].reshape(*freqs, n_ch, n_ch).to(torch.complex64)

    def forward(self, x: Tensor) -> Tensor:
        """Loss of ``x`` (shape (1, C, *spatial), any size), a scalar tensor."""
        power, count = self._binned(x)
        ok = (count > 0) & (self.target_count > 0)
        diff = torch.log(power + self.floor) - self.target_log_power
        return (diff[:, ok] ** 2).mean()
