"""Benchmark: texture synthesis, textures_nb vs plenoptic's Portilla-Simoncelli, side by side.

Run: ``python benchmarks/bench_synthesis.py`` (writes
``benchmarks/results_synthesis.md`` and prints it). About 10-15 minutes on 2
cores. Sections:

1. Seconds per iteration at 256 x 256 on the same image (skimage ``grass``
   crop): default ``"gram"`` method vs plenoptic's Portilla-Simoncelli
   (``MetamerCTF``), in the same process.
2. Achieved GFLOP/s of the default network (convolution and Gram FLOPs of a
   forward + backward pass counted by ``torch.utils.flop_counter``) against
   the machine's float32 matmul peak, and a profile of one loss evaluation
   before (plain autograd of ``F.conv2d``) and after (fused im2col
   convolution) the optimisation.
3. L-BFGS versus Adam on the default method (the measured reason for the
   default optimiser).
4. Log-cumulants ``c1, c2`` reproduced by every method on a 1D multifractal
   random walk and a 2D multifractal random field: which methods keep
   multifractality (``c2 < 0``).
5. The border artefact of the Fourier surrogates: ``quality.compare`` flag
   rates and axis-cross energy of ``phase``/``iaaft`` surrogates of fBf
   crops with and without Moisan's periodic + smooth decomposition, and
   ``c1`` of fBm surrogates. ``python bench_synthesis.py 4 5`` re-runs
   sections 4 and 5 only.
6-10. Issue 14 (``method="multiscale"``): acceptance gaps, speed against gram / PS /
   pywph, ``quality.compare`` flag rates (from ``--flags CASE [N]`` runs), photographs,
   and pywph run to a stop at 128^2 (from ``--pywph MINUTES`` and ``--peers128``).
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from _common import machine_header, matmul_peak
from torch.profiler import ProfilerActivity, profile
from torch.utils.flop_counter import FlopCounterMode

from textures_nb import networks
from textures_nb.multiscale import log_cumulants
from textures_nb.processes import fbf, fbm, mrw
from textures_nb.synthesis import (
    PS_LBFGS_OPTIONS,
    TextureSynthesis,
    default_options,
    marginal_distance,
    spectral_slope,
    synthesize,
)

N_TIMED = 30  # iterations timed per method in section 1


def _grass() -> np.ndarray:
    from skimage import data

    img = data.grass().astype(float)
    return img[:256, :256]


def _time_gram(img: np.ndarray, n_iter: int) -> dict:
    t0 = time.perf_counter()
    net = networks.RandomMultiscaleNet(1, dim=2, n_scales=5)
    ts = TextureSynthesis(
        img[None, None], net, spectrum_weight=0.1, marginal_weight=1.0, progress=False
    )
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    ts.synthesize(n_iter)
    run = time.perf_counter() - t0
    return {"setup": setup, "run": run, "iters": n_iter, "evals": ts.n_evaluations}


def _time_ps(img: np.ndarray, n_iter: int) -> dict:
    """plenoptic's own recipe for this model (Metamer, PS loss factory, L-BFGS)."""
    import plenoptic as po

    t0 = time.perf_counter()
    x = torch.as_tensor((img - img.min()) / np.ptp(img), dtype=torch.float32)[None, None]
    model = po.models.PortillaSimoncelli(x.shape[-2:])
    evals = [0]
    model.register_forward_hook(lambda *args: evals.__setitem__(0, evals[0] + 1))
    met = po.Metamer(x, model, loss_function=po.loss.portilla_simoncelli_loss_factory(model, x))
    met.setup(
        torch.rand(x.shape, generator=torch.Generator().manual_seed(0)),
        optimizer=torch.optim.LBFGS,
        optimizer_kwargs=dict(PS_LBFGS_OPTIONS),
    )
    setup = time.perf_counter() - t0
    evals[0] = 0
    t0 = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):
        met.synthesize(n_iter, stop_criterion=0.0)
    run = time.perf_counter() - t0
    return {"setup": setup, "run": run, "iters": n_iter, "evals": evals[0]}


def section_speed(img: np.ndarray) -> list[str]:
    rows = [
        "| synthesis | setup (s) | iterations | loss evaluations | s / iteration | "
        "ms / evaluation |",
        "|---|---|---|---|---|---|",
    ]
    per_it = {}
    for key, label, fn, n in (
        (
            "gram",
            "textures_nb gram (default: random multiscale net, L-BFGS, 1 step / iteration)",
            _time_gram,
            N_TIMED,
        ),
        (
            "ps",
            "plenoptic Portilla-Simoncelli (Metamer + L-BFGS, up to 10 steps / iteration)",
            _time_ps,
            N_TIMED // 5,
        ),
    ):
        t = fn(img, n)
        per_it[key] = (t["setup"], t["run"] / t["iters"], 1e3 * t["run"] / max(t["evals"], 1))
        rows.append(
            f"| {label} | {t['setup']:.2f} | {t['iters']} | {t['evals']} | "
            f"{per_it[key][1]:.3f} | {per_it[key][2]:.1f} |"
        )
    n_gram, n_ps = default_options("gram")["n_iter"], default_options("ps")["n_iter"]
    total = {k: v[0] + v[1] * n for (k, v), n in zip(per_it.items(), (n_gram, n_ps), strict=True)}
    rows += [
        "",
        f"One loss evaluation (forward + backward of all the statistics) costs "
        f"{per_it['ps'][2] / per_it['gram'][2]:.1f}x more with the Portilla-Simoncelli model. "
        f"A whole synthesis with each default (gram: {n_gram} iterations; ps: {n_ps} iterations) "
        f"takes about {total['gram']:.0f} s against {total['ps']:.0f} s.",
    ]
    return rows


def _reference_features(net: networks.RandomMultiscaleNet, x: torch.Tensor) -> list[torch.Tensor]:
    """The same features through plain autograd (F.conv2d), as before the optimisation."""
    feats = []
    for s, band in enumerate(net._levels(x, periodic=True)):
        band = band * net.gains[s].view(1, -1, 1, 1)
        pad = net.kernel_size // 2
        y = F.conv2d(
            F.pad(band, (pad,) * 4, mode="circular"),
            getattr(net, f"weight{s}"),
            getattr(net, f"bias{s}"),
            groups=net.in_channels,
        )
        feats.append(F.relu(y))
    return feats


def _reference_loss(loss: networks.GramLoss, feats) -> torch.Tensor:
    total = 0.0
    for i, f in enumerate(feats):
        g = f.flatten(2) @ f.flatten(2).transpose(1, 2) / f[0, 0].numel()
        t = getattr(loss, f"gram{i}")
        total = total + loss.weights[i] * ((g - t) ** 2).sum() / (t**2).sum()
    return total


def section_flops(img: np.ndarray) -> list[str]:
    ts = TextureSynthesis(
        img[None, None], networks.RandomMultiscaleNet(1, dim=2, n_scales=5), progress=False
    )
    x = torch.randn(1, 1, 256, 256, requires_grad=True)

    def fused():
        ts.loss_function(ts.model(x, periodic=True)).backward()

    def reference():
        _reference_loss(ts.loss_function, _reference_features(ts.model, x)).backward()

    def timed(fn, repeats=10):
        fn()
        t0 = time.perf_counter()
        for _ in range(repeats):
            fn()
        return (time.perf_counter() - t0) / repeats

    with FlopCounterMode(display=False) as counter:
        reference()
    flops = counter.get_total_flops()
    peak = matmul_peak()
    t_ref, t_fused = timed(reference), timed(fused)
    rows = [
        f"Network: 5 band-pass levels x 32 random 5x5 filters, ReLU, Gram per level; one loss "
        f"evaluation (forward + backward) on 256 x 256 = {flops / 1e9:.3f} GFLOP "
        "(convolutions and Gram products, counted by torch.utils.flop_counter on the "
        "plain-autograd version; the fused version does the same products).",
        "",
        "| implementation | ms / evaluation | achieved GFLOP/s | % of matmul peak |",
        "|---|---|---|---|",
        f"| plain autograd (F.conv2d + Gram) | {t_ref * 1e3:.1f} | {flops / t_ref / 1e9:.1f} | "
        f"{100 * flops / t_ref / 1e9 / peak:.0f}% |",
        f"| fused im2col conv + ReLU, single-product Gram backward (used) | {t_fused * 1e3:.1f} | "
        f"{flops / t_fused / 1e9:.1f} | {100 * flops / t_fused / 1e9 / peak:.0f}% |",
        f"| float32 matmul 4096 x 4096 (peak reference) | | {peak:.1f} | 100% |",
        "",
    ]
    for name, fn in (("plain autograd", reference), ("fused", fused)):
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(3):
                fn()
        events = prof.key_averages()
        total = sum(e.self_cpu_time_total for e in events)
        top = sorted(events, key=lambda e: e.self_cpu_time_total, reverse=True)[:2]
        shares = ", ".join(f"{e.key} {100 * e.self_cpu_time_total / total:.0f}%" for e in top)
        table = events.table(sort_by="self_cpu_time_total", row_limit=6)
        rows += [f"Profile ({name}, 3 evaluations): dominated by {shares}.", "", "```"]
        rows += [line for line in table.splitlines() if line.strip() and "USDT" not in line]
        rows += ["```", ""]
    rows += [
        "Before the optimisation the input gradient of `F.conv2d` (one input channel per "
        "group, mkldnn) and autograd's element-wise passes (ReLU mask, gradient sums) "
        "dominated. The fused version does the convolution as im2col + one matrix product and "
        "its adjoint as one product + col2im, and the Gram backward as a single product; what "
        "remains is mostly matrix products on skinny, memory-bound shapes (32 features x 65536 "
        "positions = 8 MB per finest-level pass), hence the low fraction of the matmul peak.",
        "",
    ]
    return rows


def section_optimizer() -> list[str]:
    x = fbf((256, 256), 0.7, seed=0)
    rows = [
        "| optimiser | iterations | loss evaluations | seconds | final loss | spectral slope error "
        "| c1 error |",
        "|---|---|---|---|---|---|---|",
    ]
    c1x = log_cumulants(x, scales=(1, 4), n_boot=0).c1
    for opt, n_iter, lr in (("lbfgs", 100, None), ("adam", 100, 0.05), ("adam", 200, 0.02)):
        res = synthesize(x, optimizer=opt, n_iter=n_iter, lr=lr, progress=False)
        evals = res.synthesis.n_evaluations
        c1y = log_cumulants(res.texture, scales=(1, 4), n_boot=0).c1
        rows.append(
            f"| {opt} (lr {res.options['lr']}) | {n_iter} | {evals} | {res.seconds:.1f} | "
            f"{res.losses[-1]:.2e} | {abs(spectral_slope(res.texture) - spectral_slope(x)):.3f} | "
            f"{abs(c1y - c1x):.3f} |"
        )
    return rows


def section_multifractal() -> list[str]:
    signal = mrw(2**14, 0.72, 0.2, seed=0)
    field = mrw((256, 256), 0.7, 0.2, seed=0)
    cases = [
        ("1D MRW 2^14 (H 0.72, lambda 0.2)", signal, (3, 10), "db3"),
        ("2D MRW field 256^2 (H 0.7, lambda 0.2)", field, (1, 4), "db3"),
    ]
    rows = [
        "| data | method | c1 | c2 | c2 < 0 kept | W1 marginal | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, x, scales, wavelet in cases:
        est = log_cumulants(x, scales=scales, wavelet=wavelet, n_boot=0)
        rows.append(f"| {name} | sample | {est.c1:.3f} | {est.c2:.3f} | | | |")
        for method in ("gram", "swd", "phase", "iaaft", "ps"):
            if method == "ps" and x.ndim != 2:
                continue
            res = synthesize(x, method=method, seed=0, progress=False)
            e = log_cumulants(res.texture, scales=scales, wavelet=wavelet, n_boot=0)
            kept = "yes" if e.c2 < 0.5 * est.c2 else ("partly" if e.c2 < 0 else "no")
            rows.append(
                f"| {name} | {method} | {e.c1:.3f} | {e.c2:.3f} | {kept} | "
                f"{marginal_distance(x, res.texture):.3f} | {res.seconds:.1f} |"
            )
        rows.append(
            "| | vgg | skipped: needs a local VGG-19 weights file (never downloaded) | | | | |"
        )
    rows += [
        "",
        "'kept' = yes when the synthesis' c2 is at least half the sample's (negative) c2, "
        "partly when merely negative. Scales: 1D (3, 10), 2D (1, 4); db3 wavelet leaders, "
        "no bootstrap.",
    ]
    return rows


def _axis_log_ratio(y: np.ndarray) -> float:
    """log (mean power on the frequency axes / on the next three lines), |f| in [1/8, 1/2)."""
    n = y.shape[0]
    power = np.abs(np.fft.fft2(y - y.mean())) ** 2
    k = np.arange(n // 8, n // 2)
    on = np.r_[power[0, k], power[k, 0]].mean()
    off = np.r_[power[1:4][:, k].ravel(), power[k][:, 1:4].ravel()].mean()
    return float(np.log(on / off))


def section_surrogates(n_seeds: int = 20) -> list[str]:
    """Border artefact of the Fourier surrogates, with and without Moisan's decomposition."""
    from textures_nb.quality import compare
    from textures_nb.synthesis import periodic_smooth

    def periodic_gaussian(n: int, h: float, rng: np.random.Generator) -> np.ndarray:
        f = np.sqrt(np.fft.fftfreq(n)[:, None] ** 2 + np.fft.rfftfreq(n)[None] ** 2)
        f[0, 0] = 1.0
        z = np.fft.rfft2(rng.standard_normal((n, n))) * f ** (-(h + 1))
        z[0, 0] = 0.0
        return np.fft.irfft2(z, s=(n, n))

    rows = [
        f"Gaussian fBf crops 256^2 (H = 0.7, band-limited, not periodic), {n_seeds} seeds: "
        "how often `quality.compare` (alpha 0.05) tells the crop from its own surrogate, and "
        "the log-ratio of the spectral power on the frequency axes to the neighbouring lines "
        "(|f| 1/8 to 1/2; 0 without a cross). A periodic Gaussian field of the same spectrum is "
        "the reference.",
        "",
        "| surrogate | flagged | mean axis log-ratio | seconds per surrogate |",
        "|---|---|---|---|",
    ]
    cases = [
        ("phase, periodic component (default)", "phase", True),
        ("phase of the raw crop", "phase", False),
        ("iaaft, periodic component (default)", "iaaft", True),
        ("iaaft of the raw crop", "iaaft", False),
    ]
    for label, method, pc in cases:
        flags, ratios, secs = 0, [], 0.0
        for seed in range(n_seeds):
            x = fbf((256, 256), 0.7, seed=100 + seed)
            res = synthesize(x, method=method, seed=seed, progress=False, periodic_component=pc)
            secs += res.seconds
            flags += compare(x, res.texture, seed=seed, progress=False).different
            ratios.append(_axis_log_ratio(res.texture))
        rows.append(
            f"| {label} | {flags}/{n_seeds} | {np.mean(ratios):.2f} | {secs / n_seeds:.3f} |"
        )
    flags, ratios = 0, []
    for seed in range(n_seeds):
        xp = periodic_gaussian(256, 0.7, np.random.default_rng(500 + seed))
        y = synthesize(xp, method="phase", seed=seed, progress=False, periodic_component=False)
        flags += compare(xp, y.texture, seed=seed, progress=False).different
        ratios.append(_axis_log_ratio(xp))
    rows.append(
        f"| reference: periodic Gaussian field vs its phase surrogate | {flags}/{n_seeds} | "
        f"{np.mean(ratios):.2f} (the field itself) | |"
    )
    x = fbf((256, 256), 0.7, seed=100)
    p, s = periodic_smooth(x)
    rows += [
        "",
        f"Smooth part dropped: on seed 100, var(x) = {x.var():.0f}, var(p) = {p.var():.0f}, "
        f"var(s) = {s.var():.0f} (s is the harmonic ramp fixed by the border jumps; p keeps "
        "the fine scales).",
        "",
        "fBm H = 0.75, 2^14 samples, 8 seeds, leaders db3 scales 3-10: c1 (mean +- sd).",
        "",
        "| signal | c1 |",
        "|---|---|",
    ]
    c1 = {"sample": [], "phase, periodic component (default)": [], "phase of the raw path": []}
    for seed in range(8):
        x = fbm(2**14, 0.75, seed=seed)
        c1["sample"].append(log_cumulants(x, scales=(3, 10), n_boot=0).c1)
        for key, pc in (("phase, periodic component (default)", True),
                        ("phase of the raw path", False)):  # fmt: skip
            y = synthesize(x, method="phase", seed=seed, progress=False, periodic_component=pc)
            c1[key].append(log_cumulants(y.texture, scales=(3, 10), n_boot=0).c1)
    rows += [f"| {k} | {np.mean(v):.3f} +- {np.std(v):.3f} |" for k, v in c1.items()]
    return rows


SECTIONS = {
    "4": ("## 4. Multifractality reproduced by each method", section_multifractal),
    "5": ("## 5. Border artefact of the Fourier surrogates (issue 11)", section_surrogates),
}


# --------------------------------------------------------------------------
# Issue 14: method="multiscale"
# --------------------------------------------------------------------------


def _lc(x):
    e = log_cumulants(x, n_boot=0)
    return e.c1, e.c2


def section_multiscale_acceptance(seeds=(0, 1, 2)) -> list[str]:
    """c1 / c2 gaps of method='multiscale' (defaults) beside an independent realisation."""
    from textures_nb.multiscale import multichannel_log_cumulants
    from textures_nb.processes import bivariate_mrw

    rows = [
        "| data | seed | sample c1 / c2 | multiscale c1 / c2 | gap c1 / c2 | "
        "independent realisation gap c1 / c2 | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    summary = []
    for name, shape, H in (
        ("1D MRW 2^14 (H .72, lam .2)", 2**14, 0.72),
        ("2D MRW 256^2 (H .7, lam .2)", (256, 256), 0.7),
    ):
        gaps, ind = [], []
        for seed in seeds:
            x = mrw(shape, H, 0.2, seed=seed)
            other = mrw(shape, H, 0.2, seed=seed + 100)
            res = synthesize(x, method="multiscale", seed=seed, progress=False)
            a, b, o = _lc(x), _lc(res.texture), _lc(other)
            g = (b[0] - a[0], b[1] - a[1])
            gi = (o[0] - a[0], o[1] - a[1])
            gaps.append(g)
            ind.append(gi)
            rows.append(
                f"| {name} | {seed} | {a[0]:.3f} / {a[1]:.3f} | {b[0]:.3f} / {b[1]:.3f} | "
                f"{g[0]:+.3f} / {g[1]:+.3f} | {gi[0]:+.3f} / {gi[1]:+.3f} | {res.seconds:.0f} |"
            )
        m, mi = np.mean(gaps, axis=0), np.mean(np.abs(ind), axis=0)
        summary.append(
            f"- {name}: mean gap c1 {m[0]:+.3f} (target |.| <= 0.03: "
            f"**{abs(m[0]) <= 0.03}**), c2 {m[1]:+.3f} (target |.| <= 0.015: "
            f"**{abs(m[1]) <= 0.015}**); mean |gap| of an independent realisation: "
            f"c1 {mi[0]:.3f}, c2 {mi[1]:.3f}"
        )
    rows += ["", *summary, ""]
    # bivariate: rho_mf
    rows += [
        "| bivariate MRW (rho_omega 0.8) | sample rho_mf | multiscale rho_mf | gap | "
        "independent realisation gap | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for name, shape in (
        ("1D 2^13 (H .72, lam .2)", 2**13),
        ("2D 128^2 (H .7, lam .2)", (128, 128)),
    ):
        H = 0.72 if isinstance(shape, int) else 0.7
        x = bivariate_mrw(shape, H, 0.2, rho_omega=0.8, seed=0)
        other = bivariate_mrw(shape, H, 0.2, rho_omega=0.8, seed=100)
        res = synthesize(x, method="multiscale", dim=x.ndim - 1, progress=False)
        r = [multichannel_log_cumulants(v).pairs[(0, 1)].rho_mf for v in (x, res.texture, other)]
        rows.append(
            f"| {name} | {r[0]:.3f} | {r[1]:.3f} | {r[1] - r[0]:+.3f} (target |.| <= 0.1: "
            f"**{abs(r[1] - r[0]) <= 0.1}**) | {r[2] - r[0]:+.3f} | {res.seconds:.0f} |"
        )
    # fBf: no invented intermittency
    x = fbf((256, 256), 0.7, seed=0)
    res = synthesize(x, method="multiscale", progress=False)
    a, b = _lc(x), _lc(res.texture)
    rows += [
        "",
        f"fBf 256^2 H = 0.7: sample c1 {a[0]:.3f} c2 {a[1]:+.3f}; multiscale c1 {b[0]:.3f} "
        f"c2 {b[1]:+.3f} (target |c2| <= 0.02: **{abs(b[1]) <= 0.02}**), {res.seconds:.0f} s.",
        "",
        "Estimator: `log_cumulants(x)` defaults (db3 leaders, 1D scales (3, 10), 2D (2, 5)); "
        "multichannel_log_cumulants defaults for rho_mf. Defaults of the method: 300 L-BFGS "
        "iterations, every statistic group with weight 1, spectrum_weight 0.1, "
        "marginal_weight 1, increment_weight 1, periodic_component True.",
    ]
    return rows


def _pywph_setup(x: np.ndarray, J: int):
    """pywph's WPH operator for ``x`` (standardised), its target coefficients and the loss.

    Returns ``(objective, setup_seconds)``: ``objective(v)`` is the squared distance of
    the WPH coefficients of ``v`` (a flat float64 vector) to the target's and its
    gradient, computed chunk by chunk as pywph's own synthesis scripts do.
    """
    import pywph as pw

    t0 = time.perf_counter()
    m, n = x.shape
    op = pw.WPHOp(m, n, J, L=4, dn=0, device="cpu")
    op.load_model(["S11", "S00", "S01", "Cphase", "C01", "C00", "L"])
    coeffs = op.apply(x, norm="auto", pbc=True)
    setup = time.perf_counter() - t0

    def objective(v):
        xc = torch.from_numpy(v.reshape(m, n)).requires_grad_(True)
        total = 0.0
        xc, n_chunks = op.preconfigure(xc, requires_grad=True, pbc=True)
        for i in range(n_chunks):
            c, idx = op.apply(xc, i, norm="auto", ret_indices=True, pbc=True)
            loss = torch.sum(torch.abs(c - coeffs[idx]) ** 2)
            loss.backward(retain_graph=True)
            total += loss.item()
        return total, xc.grad.numpy().astype(v.dtype).ravel()

    return objective, setup


def _time_pywph(x: np.ndarray, n_eval: int) -> dict:
    """pywph's wavelet phase harmonics synthesis recipe (WPHOp + scipy L-BFGS-B), timed."""
    import scipy.optimize as opt

    wph, setup = _pywph_setup(x, 5)
    count = [0]

    def objective(v):
        count[0] += 1
        return wph(v)

    x0 = np.random.default_rng(0).standard_normal(x.shape).ravel()
    t0 = time.perf_counter()
    res = opt.minimize(
        objective, x0, method="L-BFGS-B", jac=True,
        options={"maxiter": n_eval, "maxfun": n_eval, "gtol": 1e-14, "ftol": 1e-14},
    )  # fmt: skip
    run = time.perf_counter() - t0
    return {"setup": setup, "run": run, "evals": count[0], "texture": res.x.reshape(x.shape)}


def section_multiscale_speed(n_timed: int = 10) -> list[str]:
    """s / iteration at 256 x 256 on the same 2D MRW field: multiscale, gram, PS, pywph."""
    x = mrw((256, 256), 0.7, 0.2, seed=0)
    a = _lc(x)
    rows = [
        f"2D MRW field 256^2 (H .7, lam .2, seed 0): sample c1 {a[0]:.3f}, c2 {a[1]:.3f}.",
        "",
        "| synthesis | iterations timed | loss evaluations | s / iteration (short run, with "
        "setup) | c1 / c2 of a full default synthesis | full synthesis seconds | s / iteration "
        "(full run) |",
        "|---|---|---|---|---|---|---|",
    ]
    for method in ("multiscale", "gram", "ps"):
        t = synthesize(x, method=method, n_iter=n_timed // (5 if method == "ps" else 1),
                       progress=False)  # fmt: skip
        n_ev = getattr(t.synthesis, "n_evaluations", None) if t.synthesis else None
        per_it = t.seconds / max(len(t.losses) - 1, 1)
        full = synthesize(x, method=method, progress=False)
        b = _lc(full.texture)
        rows.append(
            f"| {method} | {len(t.losses) - 1} | {n_ev if n_ev is not None else '-'} | "
            f"{per_it:.3f} | {b[0]:.3f} / {b[1]:.3f} | {full.seconds:.0f} | "
            f"{full.seconds / max(len(full.losses) - 1, 1):.3f} ({len(full.losses) - 1} it.) |"
        )
    try:
        xs = (x - x.mean()) / x.std()
        t = _time_pywph(xs, 3)
        per_ev = t["run"] / max(t["evals"], 1)
        rows.append(
            f"| pywph WPH (J 5, L 4, dn 0, S11 S00 S01 Cphase C01 C00 L; scipy L-BFGS-B) | "
            f"{t['evals']} evaluations (setup {t['setup']:.0f} s) | {t['evals']} | "
            f"{per_ev:.1f} per evaluation | not run to convergence at 256^2 (section 10: "
            "128^2) | - | at least one evaluation per iteration |"
        )
    except Exception as exc:  # pragma: no cover - optional peer
        rows.append(f"| pywph | failed: {type(exc).__name__}: {exc} | | | | | |")
    rows += [
        "",
        "Short runs include the setup (target statistics, network, spectral root), which "
        "dominates 10 iterations: compare the full-run column. An L-BFGS iteration is one or "
        "more loss evaluations (PS: each of its iterations is up to 10 L-BFGS steps).",
    ]
    return rows


FLAG_CASES = {
    # name: (description, generator of a field twice the sample's length along the last axis)
    "mrw1d": ("1D MRW 2^14 (H .72, lam .2)", lambda seed: mrw(2**15, 0.72, 0.2, seed=seed)),
    "mrw2d": ("2D MRW 128^2 (H .7, lam .2)", lambda seed: mrw((128, 256), 0.7, 0.2, seed=seed)),
    "fbf": ("fBf 128^2 (H .7)", lambda seed: fbf((128, 256), 0.7, seed=seed)),
    "mrw2d256": ("2D MRW 256^2 (H .7, lam .2)", lambda seed: mrw((256, 512), 0.7, 0.2, seed=seed)),
    "fbf256": ("fBf 256^2 (H .7)", lambda seed: fbf((256, 512), 0.7, seed=seed)),
}
FLAG_KINDS = ("multiscale", "gram", "disjoint crop", "independent realisation")
FLAG_DIR = Path(__file__).resolve().parent / "flag_rates"  # kept in git: the per-seed verdicts


def run_flag_case(case: str, n: int = 20, kinds: tuple[str, ...] = FLAG_KINDS) -> Path:
    """quality.compare verdicts of ``n`` seeds of one case, appended to a TSV (resumable).

    Per seed: a field twice the sample's length is drawn; its first half is the
    sample and its second half the *disjoint crop*; another seed's first half
    (seed + 10000) is the *independent realisation*; ``method="multiscale"`` and
    ``method="gram"`` syntheses (defaults, the sample's size, the seed) are the
    two syntheses. Each is compared with the sample by ``quality.compare``
    defaults (its own seed = the seed). One row per seed and kind: verdict and
    p-value. ``kinds`` restricts the run to some of :data:`FLAG_KINDS` (e.g. the
    multiscale syntheses and the references first, gram later on the same seeds).
    """
    from textures_nb.quality import compare

    FLAG_DIR.mkdir(parents=True, exist_ok=True)
    out = FLAG_DIR / f"{case}.tsv"
    if not out.is_file():
        out.write_text("seed\tkind\tdifferent\tp_value\tseconds\n")
    done = {(int(r.split("\t")[0]), r.split("\t")[1]) for r in out.read_text().splitlines()[1:]}
    _, draw = FLAG_CASES[case]
    for seed in range(n):
        todo = [k for k in kinds if (seed, k) not in done]
        if not todo:
            continue
        field = draw(seed)
        half = field.shape[-1] // 2
        x = field[..., :half]
        for kind in todo:
            if kind == "disjoint crop":
                y, sec = field[..., half:], 0.0
            elif kind == "independent realisation":
                y, sec = draw(seed + 10000)[..., :half], 0.0
            else:
                res = synthesize(x, method=kind, seed=seed, progress=False)
                y, sec = res.texture, res.seconds
            rep = compare(x, y, seed=seed, progress=False)
            with out.open("a") as fh:
                fh.write(f"{seed}\t{kind}\t{int(rep.different)}\t{rep.p_value:.4f}\t{sec:.0f}\n")
        print(case, seed, flush=True)
    return out


def section_multiscale_quality() -> list[str]:
    """Flag rates of quality.compare per case, from the TSVs of :func:`run_flag_case`."""
    import pandas as pd

    rows = [
        "Per seed: a field twice the sample's length; first half = sample, second half = "
        "disjoint crop; first half of another seed's field = independent realisation; "
        "`synthesize(sample, method=..., seed=seed)` with each method's defaults at the sample's "
        "size (multiscale: 300 L-BFGS iterations, gram: 150). Verdict = "
        "`quality.compare(sample, texture, seed=seed).different` (defaults: alpha 0.05 "
        "family-wise). Run with `python bench_synthesis.py --flags CASE` (one process per "
        "case, resumable; rows in benchmarks/flag_rates/CASE.tsv; `--flags CASE N KIND,...` runs "
        "some kinds only), then `python bench_synthesis.py 8`. Multiscale defaults since "
        "2026-12-03 09:00: the sample's periodic component and the increment histogram term "
        "(`periodic_component=True`, `increment_weight=1`). 1 torch thread per process, two "
        "processes sharing the 2 cores.",
        "",
        "| case | seeds | " + " | ".join(f"{k}: flagged (rate)" for k in FLAG_KINDS)
        + " | median synthesis s, multiscale / gram |",
        "|---|---|" + "---|" * len(FLAG_KINDS) + "---|",
    ]
    for case, (name, _) in FLAG_CASES.items():
        path = FLAG_DIR / f"{case}.tsv"
        if not path.is_file():
            continue
        t = pd.read_csv(path, sep="\t").drop_duplicates(["seed", "kind"])
        cells = []
        for k in FLAG_KINDS:
            verdicts = t.loc[t["kind"] == k, "different"]
            f, n = int(verdicts.sum()), len(verdicts)
            cells.append(f"{f} / {n} ({100 * f / n:.0f} %)" if n else "not run")
        sec = [t.loc[t["kind"] == m, "seconds"].median() for m in ("multiscale", "gram")]
        n = t["seed"].nunique()
        rows.append(f"| {name} | {n} | " + " | ".join(cells) + f" | {sec[0]:.0f} / {sec[1]:.0f} |")
    return rows


PEER_DIR = Path(__file__).resolve().parent.parent / "runs" / "pywph_128"


def _field128() -> np.ndarray:
    """A 128 x 128 2D MRW field (H .7, lam .2, seed 0).

    Not a crop of section 7's 256^2 field: its top-left 128^2 crop measures
    c2 = -0.011 only (scales 2-4), too weak an intermittency to compare methods
    on; this field measures c1 0.649, c2 -0.090 (the process: c2 = -0.04, with
    the small-size bias of the estimator).
    """
    return mrw((128, 128), 0.7, 0.2, seed=0)


def run_pywph_128(minutes: float, J: int = 4, every: int = 10) -> None:
    """pywph's WPH synthesis of the 128^2 field run until L-BFGS-B stops or ``minutes`` pass.

    256^2 costs 151 s per loss evaluation on this machine under load (section 7), so
    the converged run is made on a 128^2 field with J = 4 (273 coefficients; J = 5:
    429 coefficients and 2.7x the time per evaluation). c1 / c2 of the current
    iterate (rescaled to the sample's mean and std) are logged every ``every``
    iterations to ``runs/pywph_128/trajectory.tsv``; the last iterate is saved.
    """
    import scipy.optimize as opt

    PEER_DIR.mkdir(parents=True, exist_ok=True)
    x = _field128()
    xs = (x - x.mean()) / x.std()
    wph, setup = _pywph_setup(xs, J)
    log = PEER_DIR / "trajectory.tsv"
    log.write_text(f"# setup {setup:.0f} s, J {J}, L 4, dn 0\niteration\tevaluations\tseconds"
                   "\tloss\tc1\tc2\n")  # fmt: skip
    state = {"evals": 0, "it": 0, "loss": np.nan, "x": None}
    start = time.perf_counter()

    def objective(v):
        state["evals"] += 1
        total, grad = wph(v)
        state["loss"] = total
        return total, grad

    class _Stop(Exception):
        pass

    def log_row(loss: float) -> None:
        """One trajectory row for the current iterate, which is saved too."""
        c1, c2 = _lc(state["x"])
        with log.open("a") as fh:
            fh.write(f"{state['it']}\t{state['evals']}\t{time.perf_counter() - start:.0f}"
                     f"\t{loss:.6g}\t{c1:.4f}\t{c2:.4f}\n")  # fmt: skip
        np.save(PEER_DIR / "texture.npy", state["x"])

    def record(xk):
        state["it"] += 1
        state["x"] = xk.reshape(128, 128) * x.std() + x.mean()
        late = time.perf_counter() - start > 60 * minutes
        if state["it"] % every == 0 or late:
            log_row(state["loss"])
        if late:
            raise _Stop

    x0 = np.random.default_rng(0).standard_normal(x.shape).ravel()
    status = "stopped by the time cap"
    try:
        res = opt.minimize(
            objective, x0, method="L-BFGS-B", jac=True, callback=record,
            options={"maxiter": 10000, "maxfun": 20000, "gtol": 1e-14, "ftol": 1e-14},
        )  # fmt: skip
        status = f"L-BFGS-B stopped: {res.message}"
        state["x"] = res.x.reshape(128, 128) * x.std() + x.mean()
        log_row(res.fun)
    except _Stop:
        pass
    with log.open("a") as fh:
        fh.write(f"# {status}\n")


def run_peers_128() -> None:
    """multiscale and gram (defaults) on the same 128^2 field, for section 10."""
    PEER_DIR.mkdir(parents=True, exist_ok=True)
    x = _field128()
    rows = []
    for method in ("multiscale", "gram"):
        res = synthesize(x, method=method, seed=0, progress=False)
        c1, c2 = _lc(res.texture)
        rows.append(f"{method}\t{len(res.losses) - 1}\t{res.seconds:.0f}\t{c1:.4f}\t{c2:.4f}")
    (PEER_DIR / "ours.tsv").write_text("method\titerations\tseconds\tc1\tc2\n"
                                       + "\n".join(rows) + "\n")  # fmt: skip


def section_pywph_converged() -> list[str]:
    """c1 / c2 of pywph's WPH synthesis at 128^2 (run to a stop) beside multiscale and gram."""
    import pandas as pd

    x = _field128()
    a = _lc(x)
    rows = [
        f"2D MRW field 128^2 (H .7, lam .2, seed 0; the top-left 128^2 crop of section 7's "
        "field measured c2 -0.011 only, too weak to compare on): sample c1 "
        f"{a[0]:.3f}, c2 {a[1]:.3f} (`log_cumulants` defaults). pywph 1.1.3 WPH model of its "
        "synthesis recipe (S11 S00 S01 Cphase C01 C00 L, L = 4, dn = 0, pbc) with J = 4 "
        "(256^2 cost 151 s per evaluation here, 128^2 with J = 5 64 s, J = 4 24 s, all under "
        "load ~20), scipy L-BFGS-B from white noise, run with "
        "`python bench_synthesis.py --pywph MINUTES` until it stops or the cap; ours with "
        "`--peers128`. Same machine, same time, 1 torch thread each (several processes).",
        "",
    ]
    traj = PEER_DIR / "trajectory.tsv"
    if traj.is_file():
        text = traj.read_text().splitlines()
        t = pd.read_csv(traj, sep="\t", comment="#")
        keep = t["iteration"].isin([10, 20, 50, 100, 200, 400, 600, 800, 1000])
        t = t[keep | (t.index == t.index[-1])]
        notes = [ln[2:] for ln in text if ln.startswith("#")]
        rows += [
            "| pywph iteration | loss evaluations | seconds | WPH loss | c1 | c2 |",
            "|---|---|---|---|---|---|",
            *(f"| {r.iteration} | {r.evaluations} | {r.seconds} | {r.loss:.4g} | {r.c1:.3f} | "
              f"{r.c2:.3f} |" for r in t.itertuples()),  # fmt: skip
            "",
            "pywph run: " + "; ".join(notes) + ". Rows: selected iterations and the last. "
            "The pywph texture has blocky, straight-edged patches (rendered at iteration 100) "
            "and `hmin` -0.78 at the end (the sample: -0.07), so its leader c1 / c2 (gamint 0) "
            "describe a rougher, far more intermittent field than the sample. Not explored, time: "
            "dn > 0, J = 5, other models, several seeds. An earlier run of the same "
            "recipe on the 128^2 crop of section 7's field (sample c1 0.903, c2 -0.011) reached "
            "WPH loss 1.4e-4 after 200 iterations with c1 1.122, c2 -0.373.",
            "",
        ]
    ours = PEER_DIR / "ours.tsv"
    if ours.is_file():
        t = pd.read_csv(ours, sep="\t")
        rows += [
            "| method (defaults, seed 0) | iterations | seconds | c1 (gap) | c2 (gap) |",
            "|---|---|---|---|---|",
            *(f"| {r.method} | {r.iterations} | {r.seconds} | {r.c1:.3f} ({r.c1 - a[0]:+.3f}) | "
              f"{r.c2:.3f} ({r.c2 - a[1]:+.3f}) |" for r in t.itertuples()),  # fmt: skip
        ]
    return rows


PHOTO_CROPS = ((0, 0), (0, 128), (128, 0))  # top-left corners of the 128^2 samples


def section_photos() -> list[str]:
    """quality.compare of gram and multiscale syntheses of three photographs (issue 14).

    Per photograph (scikit-image's brick and grass, plenoptic's reptile skin):
    three disjoint 128^2 crops (:data:`PHOTO_CROPS`), each synthesised with
    both methods' defaults (seed = crop number) and compared with its crop by
    ``quality.compare`` defaults (same seed).
    """
    from bench_quality import photographs

    from textures_nb.quality import compare

    photos = photographs()
    rows = [
        "Per photograph: three disjoint 128 x 128 crops (top-left corners "
        f"{', '.join(map(str, PHOTO_CROPS))}), each synthesised with the method's defaults "
        "(seed = crop number 0-2) and compared with its crop by `quality.compare` defaults "
        "(same seed). Run with `python bench_synthesis.py 9`.",
        "",
        "| image | method | flagged | p-values | failing indices | median seconds |",
        "|---|---|---|---|---|---|",
    ]
    for name in ("brick", "grass", "reptile skin"):
        for method in ("gram", "multiscale"):
            flags, pvals, failing, secs = 0, [], set(), []
            for seed, (r, c) in enumerate(PHOTO_CROPS):
                x = photos[name][r : r + 128, c : c + 128]
                res = synthesize(x, method=method, seed=seed, progress=False)
                rep = compare(x, res.texture, seed=seed, progress=False)
                flags += rep.different
                pvals.append(f"{rep.p_value:.3g}")
                failing.update(rep.failing)
                secs.append(res.seconds)
            rows.append(
                f"| {name} | {method} | {flags} / {len(PHOTO_CROPS)} | {', '.join(pvals)} | "
                f"{', '.join(sorted(failing))} | {np.median(secs):.0f} |"
            )
    return rows


SECTIONS.update(
    {
        "6": ("## 6. method='multiscale': acceptance (issue 14)", section_multiscale_acceptance),
        "7": ("## 7. Speed at 256 x 256: multiscale, gram, PS, pywph", section_multiscale_speed),
        "8": ("## 8. quality.compare flag rates: multiscale vs gram", section_multiscale_quality),
        "9": ("## 9. Photographs: quality.compare of gram and multiscale syntheses (issue 14)",
              section_photos),  # fmt: skip
        "10": ("## 10. pywph run to a stop at 128 x 128, beside multiscale and gram",
               section_pywph_converged),  # fmt: skip
    }
)


def update(sections: list[str]) -> str:
    """Re-run only ``sections`` and replace them in the stored results file."""
    out = Path(__file__).with_name("results_synthesis.md")
    text = out.read_text()
    blocks = text.split("\n## ")
    head, rest = blocks[0], ["## " + b for b in blocks[1:]]
    for key in sections:
        title, fn = SECTIONS[key]
        stamp = time.strftime("%Y-%m-%dT%H:%M")
        load = Path("/proc/loadavg").read_text().split()[0]
        body = "\n".join([title, "", f"(re-run {stamp}, load average {load})", "", *fn(), ""])
        idx = [i for i, b in enumerate(rest) if b.startswith(title.split(" (")[0][:12])]
        if idx:
            rest[idx[0]] = body + "\n"
        else:
            total = [i for i, b in enumerate(rest) if b.startswith("Total")]
            rest.insert(total[0] if total else len(rest), body + "\n")
    return "\n".join([head, *rest])


def main() -> str:
    warnings.simplefilter("ignore")
    torch.manual_seed(0)
    img = _grass()
    started = time.perf_counter()
    parts = [
        *machine_header("Texture synthesis benchmark"),
        "## 1. Seconds per iteration at 256 x 256 (skimage grass crop)",
        "",
        *section_speed(img),
        "",
        "## 2. Achieved GFLOP/s of the default network vs matmul peak, and profile",
        "",
        *section_flops(img),
        "## 3. Optimiser: L-BFGS vs Adam (default gram method, fBf 256^2, H = 0.7)",
        "",
        *section_optimizer(),
        "",
        "## 4. Multifractality reproduced by each method",
        "",
        *section_multifractal(),
        "",
        "## 5. Border artefact of the Fourier surrogates (issue 11)",
        "",
        *section_surrogates(),
        "",
        f"Total benchmark time: {time.perf_counter() - started:.0f} s.",
    ]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    # `python bench_synthesis.py` runs everything; `python bench_synthesis.py 4 5` re-runs
    # those sections only and replaces them in results_synthesis.md.
    warnings.simplefilter("ignore")
    if sys.argv[1:2] == ["--flags"]:  # `--flags CASE [N [KIND,...]]`: section 8's flag rates
        torch.set_num_threads(1)
        kinds = tuple(sys.argv[4].split(",")) if sys.argv[4:] else FLAG_KINDS
        run_flag_case(sys.argv[2], int(sys.argv[3]) if sys.argv[3:] else 20, kinds)
        sys.exit(0)
    if sys.argv[1:2] == ["--pywph"]:  # `--pywph MINUTES`: section 10's peer run
        torch.set_num_threads(1)
        run_pywph_128(float(sys.argv[2]))
        sys.exit(0)
    if sys.argv[1:2] == ["--peers128"]:  # section 10's multiscale and gram runs
        torch.set_num_threads(1)
        run_peers_128()
        sys.exit(0)
    text = update(sys.argv[1:]) if sys.argv[1:] else main()
    out = Path(__file__).with_name("results_synthesis.md")
    out.write_text(text)
    sys.stdout.write(text)
