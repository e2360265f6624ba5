"""Differentiable multiscale statistics in torch: wavelet coefficients, leaders, log-moments.

The torch twin of :mod:`textures_nb.multiscale`, for losses: texture synthesis
(``synthesize(..., method="multiscale")`` and ``multiscale_weight=``) and the
DCGAN generator term (``DCGANConfig(multiscale_weight=...)``).

Conventions (the same as :func:`textures_nb.multiscale.wavelet_coefs`)
----------------------------------------------------------------------
- Orthogonal PyWavelets wavelets (default ``db3``), L1-normalised filters
  (the low-pass sums to 1), so that ``|d(j, .)| ~ 2**(j H)`` for fBm.
- ``periodic=False``: *valid* convolutions only, then decimation by 2: with
  float64 input the coefficients equal ``wavelet_coefs`` to rounding
  (tested). ``periodic=True`` wraps the signal instead (each level keeps
  ``n / 2`` coefficients): used on syntheses, which tile the plane.
- 2D orientations in the order horizontal, vertical, diagonal
  (``details[j - 1]`` of shape ``(B, C, 3, h_j, w_j)``); 1D: ``(B, C, n_j)``.
- Leaders: sup of ``|d|`` over the 3 (3 x 3) neighbouring intervals, the
  orientations and the finer scales ``j0..j``; the maximum is the hard one
  (its gradient flows to the arg-max coefficient, a straight-through max).

Why not a library: ``pytorch_wavelets`` and ``ptwt`` pad the borders
(symmetric/zero/periodic) and normalise in L2; ours must reproduce the
border-free, L1 estimator of :mod:`textures_nb.multiscale` exactly, which is a
few strided convolutions.

Statistics (:func:`multiscale_statistics`), per channel, scale and orientation
unless stated; the scale-local, cross-scale terms are what carries the
leaders' ``c2`` (``/work/shared/RESEARCH-NOTES.md``: per-scale marginals alone
do not):

- ``energy``: ``ln E d_j**2`` (the log-scale diagram of order 2);
- ``logmag``: mean and variance of ``ln |d_j|`` (``C1(j)``, ``C2(j)`` of the
  coefficients), with a floor of 1e-2 of the target's energy in the log;
- ``flatness``: structure functions ``ln E|d_j|**q - (q/2) ln E d_j**2``
  for ``q`` in ``qs``;
- ``leaders``: mean, variance (and third central moment) of ``ln L_j``;
- ``parent``: covariance of ``ln |d|`` at scale ``j`` (averaged over the 2 or
  2 x 2 children) with ``ln |d|`` of their parent at ``j + 1`` and of their
  grand-parent at ``j + 2``, local in position (scattering-spectra's scale
  cross-correlations, in the log domain);
- ``orientation`` (2D): correlations of ``ln |d|`` across orientations;
- ``channels`` (C > 1): per-scale correlations of ``d`` and covariances of
  ``ln |d|`` and ``ln L`` between channels (the ``c11`` of
  :func:`textures_nb.multiscale.multichannel_log_cumulants` is the slope of
  the last).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ._checks import check_in_range, check_positive_int
from ._shared.torch_wavelet import wavelet_step
from ._shared.wavelets import wavelet as _wavelet
from .multiscale import max_scale

__all__ = [
    "WaveletTransform",
    "wavelet_leaders",
    "multiscale_statistics",
    "MultiscaleLoss",
    "default_scales",
    "STAT_GROUPS",
]

#: Names of the statistic groups of :func:`multiscale_statistics`.
STAT_GROUPS = (
    "energy",
    "logmag",
    "flatness",
    "leaders",
    "parent",
    "orientation",
    "channels",
)


def default_scales(n: int, *, wavelet: str = "db3", dim: int = 1) -> int:
    """Number of scales used by default: :func:`textures_nb.multiscale.max_scale`, the
    coarsest scale of the default log-cumulant fits, for ``n`` samples (pixels) per side.

    Parameters
    ----------
    n : int
        Samples (1D) or pixels per side (2D), at least 1.
    wavelet : str, default "db3"
        Orthogonal PyWavelets wavelet.
    dim : {1, 2}, default 1
        Number of spatial dimensions.

    Returns
    -------
    int

    Examples
    --------
    >>> default_scales(1024), default_scales(256, dim=2)
    (6, 5)
    """
    return max_scale(check_positive_int(n, "n"), wavelet=wavelet, dim=dim)


class WaveletTransform(torch.nn.Module):
    """Discrete wavelet transform as fixed strided convolutions (1D or 2D, batches, channels).

    Parameters
    ----------
    in_channels : int
        Channels ``C`` of the input ``(B, C, *spatial)``.
    dim : {1, 2}
        Number of spatial dimensions.
    n_scales : int
        Scales ``j = 1 .. n_scales`` computed.
    wavelet : str, default "db3"
        Orthogonal PyWavelets wavelet.

    Attributes
    ----------
    min_size : int
        Smallest side that gives ``n_scales`` valid scales of 3 coefficients.

    Examples
    --------
    >>> import torch
    >>> wt = WaveletTransform(1, dim=2, n_scales=3)
    >>> [tuple(d.shape) for d in wt(torch.zeros(2, 1, 64, 64))]
    [(2, 1, 3, 30, 30), (2, 1, 3, 13, 13), (2, 1, 3, 4, 4)]
    >>> [tuple(d.shape) for d in wt(torch.zeros(2, 1, 64, 64), periodic=True)]
    [(2, 1, 3, 32, 32), (2, 1, 3, 16, 16), (2, 1, 3, 8, 8)]
    """

    def __init__(
        self, in_channels: int, *, dim: int = 1, n_scales: int = 4, wavelet: str = "db3"
    ) -> None:
        super().__init__()
        if dim not in (1, 2):
            raise ValueError(f"`dim` must be 1 (signals) or 2 (images), got {dim!r}.")
        self.in_channels = check_positive_int(in_channels, "in_channels")
        self.dim = dim
        self.n_scales = check_positive_int(n_scales, "n_scales")
        self.wavelet = wavelet
        w = _wavelet(wavelet)
        lo = np.asarray(w.dec_lo, dtype=np.float64)[::-1] / math.sqrt(2.0)
        hi = np.asarray(w.dec_hi, dtype=np.float64)[::-1] / math.sqrt(2.0)
        self.n_taps = lo.size
        # (2, 1, L): low-pass and high-pass, flipped (conv1d is a correlation)
        self.register_buffer("bank", torch.tensor(np.stack([lo, hi]), dtype=torch.float64)[:, None])
        n = 3
        for _ in range(self.n_scales):
            n = 2 * (n - 1) + self.n_taps
        self.min_size = n

    def _step(self, a: Tensor, axis: int, periodic: bool) -> tuple[Tensor, Tensor]:
        """Low and high outputs of one valid (or wrapped) step along ``axis`` (-1 or -2)."""
        return wavelet_step(a, self.bank, axis, periodic=periodic)

    def forward(self, x: Tensor, *, periodic: bool = False) -> list[Tensor]:
        """Details ``[d_1, ..., d_J]``: ``(B, C, n_j)`` or ``(B, C, 3, h_j, w_j)``."""
        if x.ndim != self.dim + 2:
            raise ValueError(
                f"`x` must have shape (B, C, *spatial) with {self.dim} spatial dimension(s), "
                f"got {tuple(x.shape)}."
            )
        details = []
        approx = x
        for _ in range(self.n_scales):
            if self.dim == 1:
                approx, d = self._step(approx, -1, periodic)
                details.append(d)
            else:
                low_r, high_r = self._step(approx, -2, periodic)
                ll, lh = self._step(low_r, -1, periodic)
                hl, hh = self._step(high_r, -1, periodic)
                details.append(torch.stack([lh, hl, hh], dim=2))
                approx = ll
        return details


def wavelet_leaders(details: Sequence[Tensor], dim: int, *, j0: int = 1) -> list[Tensor]:
    """Wavelet leaders from torch details (as :func:`textures_nb.multiscale.wavelet_leaders`).

    Parameters
    ----------
    details : list of Tensor
        Output of :class:`WaveletTransform`.
    dim : {1, 2}
        Spatial dimensions.
    j0 : int, default 1
        Finest scale entering the sup.

    Returns
    -------
    list of Tensor
        ``leaders[j - 1]`` of shape ``(B, C, n_j - 2)`` or ``(B, C, h_j - 2, w_j - 2)``.

    Examples
    --------
    >>> import torch
    >>> wt = WaveletTransform(1, dim=1, n_scales=2)
    >>> [tuple(v.shape) for v in wavelet_leaders(wt(torch.randn(1, 1, 128)), 1)]
    [(1, 1, 60), (1, 1, 27)]
    """
    leaders = []
    finer = None
    for j, d in enumerate(details, start=1):
        if j <= j0:
            finer = None
        local = d.abs() if dim == 1 else d.abs().amax(dim=2)
        if finer is not None:
            if dim == 1:
                n = local.shape[-1]
                block = F.max_pool1d(finer[..., : 2 * n], 2)
            else:
                n, m = local.shape[-2:]
                b, c = finer.shape[:2]
                block = F.max_pool2d(
                    finer[..., : 2 * n, : 2 * m].reshape(b * c, 1, 2 * n, 2 * m), 2
                )
                block = block.reshape(b, c, n, m)
            local = torch.maximum(local, block)
        finer = local
        if dim == 1:
            lead = F.max_pool1d(local, 3, stride=1)
        else:
            b, c = local.shape[:2]
            lead = F.max_pool2d(local.reshape(b * c, 1, *local.shape[-2:]), 3, stride=1)
            lead = lead.reshape(b, c, *lead.shape[-2:])
        leaders.append(lead)
    return leaders


def _flat(v: Tensor, dim: int) -> Tensor:
    """(B, C, [3,] *spatial) -> (C, [3,] N) pooling the batch with the positions."""
    v = v.movedim(0, -dim - 1)  # batch next to the positions
    return v.flatten(-dim - 1)


def _children_mean(e: Tensor, n: int, m: int | None, dim: int, gen: int) -> Tensor:
    """Mean of ``e`` (B, C, *spatial at scale j) over the 2**gen (per side) descendants."""
    k = 2**gen
    if dim == 1:
        return F.avg_pool1d(e[..., : k * n], k)
    b, c = e.shape[:2]
    out = F.avg_pool2d(e[..., : k * n, : k * m].reshape(b * c, 1, k * n, k * m), k)
    return out.reshape(b, c, n, m)


def _cov(a: Tensor, b: Tensor) -> Tensor:
    return ((a - a.mean(-1, keepdim=True)) * (b - b.mean(-1, keepdim=True))).mean(-1)


def multiscale_statistics(
    details: Sequence[Tensor],
    dim: int,
    *,
    floors: Sequence[Tensor] | None = None,
    qs: Sequence[float] = (1.0, 3.0, 4.0),
    j0: int | None = None,
    generations: int = 2,
) -> dict[str, Tensor]:
    """Differentiable multiscale statistics of wavelet coefficients (batch pooled).

    Parameters
    ----------
    details : list of Tensor
        Output of :class:`WaveletTransform`; the batch is pooled with the
        positions (batch-averaged statistics).
    dim : {1, 2}
        Spatial dimensions.
    floors : list of Tensor, optional
        Per-scale floors added to ``d**2`` inside the logs, shape ``(C, [3,] 1)``
        (default: 1e-2 of this input's own ``E d_j**2``; losses pass the target's).
    qs : sequence of float, default (1, 3, 4)
        Orders of the structure-function ratios.
    j0 : int, optional
        Finest scale of the leaders; default 2 in 1D and 1 in 2D (the defaults
        of :func:`textures_nb.multiscale.log_cumulants`).
    generations : int, default 2
        Cross-scale covariances with the parent (1) and up to this many
        generations above.

    Returns
    -------
    dict of str to Tensor
        One flat tensor per group of :data:`STAT_GROUPS` that applies.

    Examples
    --------
    >>> import torch
    >>> wt = WaveletTransform(1, dim=1, n_scales=4)
    >>> s = multiscale_statistics(wt(torch.randn(1, 1, 512, dtype=torch.float64)), 1)
    >>> sorted(s), tuple(s["energy"].shape)
    (['energy', 'flatness', 'leaders', 'logmag', 'parent'], (4,))
    """
    if j0 is None:
        j0 = 2 if dim == 1 else 1
    n_sc = len(details)
    flats = [_flat(d, dim) for d in details]  # (C, [3,] N)
    energy = [(f**2).mean(-1, keepdim=True) for f in flats]
    if floors is None:
        floors = [1e-2 * e.detach() for e in energy]
    out: dict[str, list[Tensor]] = {g: [] for g in STAT_GROUPS}
    logs_full = []  # ln|d| with floor, (B, C, [3,] *spatial)
    for j in range(n_sc):
        f, e2 = flats[j], energy[j]
        out["energy"].append(torch.log(e2).flatten())
        ln = 0.5 * torch.log(f**2 + floors[j])
        out["logmag"] += [ln.mean(-1).flatten(), ln.var(-1, unbiased=False).flatten()]
        a = f.abs()
        for q in qs:
            out["flatness"].append(
                (torch.log((a**q).mean(-1, keepdim=True)) - 0.5 * q * torch.log(e2)).flatten()
            )
        fl = floors[j].reshape((1, *floors[j].shape[:-1]) + (1,) * dim)
        logs_full.append(0.5 * torch.log(details[j] ** 2 + fl))
    leaders = wavelet_leaders(details, dim, j0=j0)
    log_lead = [torch.log(v.clamp_min(1e-30)) for v in leaders]
    for lv in log_lead:
        f = _flat(lv, dim)
        mu = f.mean(-1, keepdim=True)
        out["leaders"] += [mu.flatten(), ((f - mu) ** 2).mean(-1), ((f - mu) ** 3).mean(-1)]
    # local cross-scale covariances of ln|d| (orientations averaged in 2D)
    ls = [lf if dim == 1 else lf.mean(dim=2) for lf in logs_full]
    for j in range(n_sc):
        for g in range(1, generations + 1):
            if j + g >= n_sc:
                continue
            parent = ls[j + g]
            n = parent.shape[-1] if dim == 1 else parent.shape[-2]
            m = None if dim == 1 else parent.shape[-1]
            child = _children_mean(ls[j], n, m, dim, g)
            out["parent"].append(_cov(_flat(child, dim), _flat(parent, dim)).flatten())
    if dim == 2:
        pairs = [(0, 1), (0, 2), (1, 2)]
        for lf in logs_full:
            f = _flat(lf, dim)  # (C, 3, N)
            for a, b in pairs:
                out["orientation"].append(_cov(f[:, a], f[:, b]).flatten())
    n_ch = flats[0].shape[0]
    if n_ch > 1:
        iu = torch.triu_indices(n_ch, n_ch, offset=1)
        for j in range(n_sc):
            f = flats[j] / energy[j].sqrt()
            lf = _flat(logs_full[j], dim)
            ll = _flat(log_lead[j], dim)
            for u, v in zip(iu[0].tolist(), iu[1].tolist(), strict=True):
                out["channels"] += [
                    (f[u] * f[v]).mean(-1).flatten(),
                    _cov(lf[u], lf[v]).flatten(),
                    _cov(ll[u], ll[v]).flatten(),
                ]
    return {k: torch.cat(v) for k, v in out.items() if v}


def _check_target(target, dim: int) -> Tensor:
    """The target of a :class:`MultiscaleLoss`: a finite ``(B, C, *spatial)`` tensor, no
    constant channel (its log-coefficients would be -inf and the loss NaN)."""
    if not isinstance(target, Tensor):
        raise TypeError(
            f"`target` must be a torch.Tensor (B, C, *spatial), got {type(target).__name__}; "
            "use torch.as_tensor(x)[None, None]."
        )
    if dim not in (1, 2) or isinstance(dim, bool):
        raise ValueError(f"`dim` must be 1 (signals) or 2 (images), got {dim!r}.")
    if target.ndim != dim + 2 or not target.is_floating_point():
        raise ValueError(
            f"`target` must be a floating (B, C, *spatial) tensor with {dim} spatial "
            f"dimension(s) (dim={dim}), got dtype {target.dtype} and shape "
            f"{tuple(target.shape)}."
        )
    n_bad = int((~torch.isfinite(target)).sum())
    if n_bad:
        raise ValueError(
            f"`target` contains {n_bad} NaN or infinite value(s); remove or interpolate them "
            "first (e.g. torch.nan_to_num)."
        )
    flat = target.transpose(0, 1).reshape(target.shape[1], -1)
    if bool((flat.amax(-1) == flat.amin(-1)).any()):
        raise ValueError(
            "`target` has a constant channel; multiscale statistics need fluctuations."
        )
    return target


def _check_weights(weights) -> dict[str, float]:
    if weights is None:
        return {}
    if not isinstance(weights, dict):
        raise TypeError(f"`weights` must be a dict of group name to float, got {weights!r}.")
    bad = [g for g in weights if g not in STAT_GROUPS]
    if bad:
        raise ValueError(
            f"unknown statistic group(s) {bad} in `weights`; choose from {STAT_GROUPS}."
        )
    return {
        g: check_in_range(w, f"weights[{g!r}]", 0.0, math.inf, low_inclusive=True)
        for g, w in weights.items()
    }


class MultiscaleLoss(torch.nn.Module):
    """Squared distance between the multiscale statistics of ``x`` and a target's.

    Parameters
    ----------
    target : Tensor
        ``(B, C, *spatial)`` sample(s), standardised as the input will be;
        a batch (a training set) is pooled.
    dim : {1, 2}
        Spatial dimensions.
    n_scales : int, optional
        Default: :func:`default_scales` of the target's smaller side.
    wavelet : str, default "db3"
    groups : sequence of str, optional
        Statistic groups matched (default: all of :data:`STAT_GROUPS`).
    weights : dict of str to float, optional
        Weight per group (default 1 each). Each group's squared error is
        averaged over its entries.
    periodic : bool, default True
        Wrap the borders of the input (syntheses tile the plane); the target
        always uses valid convolutions.

    Examples
    --------
    >>> import torch
    >>> x = torch.randn(1, 1, 256, dtype=torch.float64).cumsum(-1)
    >>> loss = MultiscaleLoss(x, dim=1)
    >>> float(loss(x, periodic=False))
    0.0
    """

    def __init__(
        self,
        target: Tensor,
        *,
        dim: int = 1,
        n_scales: int | None = None,
        wavelet: str = "db3",
        groups: Sequence[str] | None = None,
        weights: dict[str, float] | None = None,
        periodic: bool = True,
    ) -> None:
        super().__init__()
        target = _check_target(target, dim)
        if n_scales is None:
            n_scales = default_scales(min(target.shape[2:]), wavelet=wavelet, dim=dim)
            if n_scales < 2:
                raise ValueError(
                    f"the target of spatial shape {tuple(target.shape[2:])} is too small for "
                    f"multiscale statistics with {wavelet!r}: use at least "
                    f"{WaveletTransform(1, dim=dim, n_scales=2, wavelet=wavelet).min_size} "
                    "samples per side."
                )
        self.transform = WaveletTransform(
            target.shape[1], dim=dim, n_scales=n_scales, wavelet=wavelet
        )
        if min(target.shape[2:]) < self.transform.min_size:
            raise ValueError(
                f"the target of spatial shape {tuple(target.shape[2:])} is too small for "
                f"{n_scales} scales of {wavelet!r}: use at least {self.transform.min_size} "
                "samples per side or fewer scales."
            )
        groups = STAT_GROUPS if groups is None else tuple(groups)
        bad = [g for g in groups if g not in STAT_GROUPS]
        if bad:
            raise ValueError(f"unknown statistic group(s) {bad}; choose from {STAT_GROUPS}.")
        self.groups = groups
        self.weights = {g: 1.0 for g in groups} | _check_weights(weights)
        self.dim = dim
        self.periodic = bool(periodic)
        with torch.no_grad():
            det = self.transform(target.to(torch.float64))
            flats = [_flat(d, dim) for d in det]
            self.floors = [1e-2 * (f**2).mean(-1, keepdim=True) for f in flats]
            stats = multiscale_statistics(det, dim, floors=self.floors)
        self.target_stats = {g: v.to(target.dtype) for g, v in stats.items() if g in groups}
        self.floors = [f.to(target.dtype) for f in self.floors]

    def statistics(self, x: Tensor, *, periodic: bool | None = None) -> dict[str, Tensor]:
        """The statistics of ``x`` (``(B, C, *spatial)``) with the target's floors."""
        periodic = self.periodic if periodic is None else periodic
        det = self.transform(x, periodic=periodic)
        floors = [f.to(x.dtype) for f in self.floors]
        return multiscale_statistics(det, self.dim, floors=floors)

    def forward(self, x: Tensor, *, periodic: bool | None = None) -> Tensor:
        """Weighted sum over groups of the mean squared statistic error."""
        stats = self.statistics(x, periodic=periodic)
        loss = x.new_zeros(())
        for g, ref in self.target_stats.items():
            loss = loss + self.weights[g] * ((stats[g] - ref.to(x.dtype)) ** 2).mean()
        return loss
