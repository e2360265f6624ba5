"""Tests of textures_nb.generative: layouts, reproducibility, resumable checkpoints, bad input.

Trainings here are tiny (16- or 32-sample signals and images, a few channels
wide); the acceptance study with the full settings lives in
benchmarks/bench_generative.py.

Tests that train a network carry the ``network`` marker, so that CI can re-run
them under a second CPU kernel (``ATEN_CPU_CAPABILITY=default pytest -m network``).
Bit-for-bit comparisons (same seed, resume) compare two runs in one process,
which share the kernel and thread count; tests of what a network learns hold
on every kernel and thread count: several seeds, margins, and degenerate
samples (a constant channel, all samples equal) counted apart and asserted
rare.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
import torch

from textures_nb import generative as gen

TINY = dict(width=4, latent=8, batch_size=8, epochs=1)


def _equal_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # tiny networks gain nothing from threads, and on a shared machine OpenMP
    # barriers make them crawl: one torch thread unless OMP_NUM_THREADS asks for
    # more (to check the tests on 2 threads); restore the caller's setting afterwards
    before = torch.get_num_threads()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def fields():
    return gen.mrw_dataset(32, 16, 0.8, 0.2, seed=0)


@pytest.mark.network
@pytest.mark.parametrize(
    ("shape", "dim"),
    [((16, 16, 16), 2), ((16, 2, 16, 16), 2), ((16, 32), 1), ((16, 3, 32), 1), ((16, 1, 16), 1)],
)
def test_layouts_losses_and_sample_shape(shape, dim):
    data = np.random.default_rng(0).normal(size=shape)
    run = gen.train(data, gen.DCGANConfig(dim=dim, **TINY), progress=False)
    assert run.item_shape == shape[1:]
    assert run.config.channels == (shape[1] if len(shape) == dim + 2 else 1)
    assert run.config.size == shape[-1] and run.config.depth == run.config.resolved_depth()
    steps = 16 // 8
    assert {"step", "loss_g", "loss_d"} <= set(run.losses)
    assert all(v.shape == (steps,) for v in run.losses.values())
    np.testing.assert_array_equal(run.losses["step"], np.arange(1, steps + 1))
    assert np.all(np.isfinite(run.losses["loss_g"])) and np.all(run.losses["loss_d"] > 0)
    x = run.sample(5, seed=3)
    assert x.shape == (5, *shape[1:]) and x.dtype == np.float64
    np.testing.assert_array_equal(x, run.sample(5, seed=3))
    assert not np.array_equal(x, run.sample(5, seed=4))


@pytest.mark.network
def test_same_seed_same_weights(fields):
    cfg = gen.DCGANConfig(**TINY)
    a = gen.train(fields, cfg, seed=7, progress=False)
    b = gen.train(fields, cfg, seed=7, progress=False)
    c = gen.train(fields, cfg, seed=8, progress=False)
    assert _equal_weights(a.generator, b.generator)
    assert _equal_weights(a.discriminator, b.discriminator)
    np.testing.assert_array_equal(a.losses["loss_g"], b.losses["loss_g"])
    assert not _equal_weights(a.generator, c.generator)
    # training leaves torch's global random state alone
    torch.manual_seed(0)
    before = torch.rand(3)
    torch.manual_seed(0)
    gen.train(fields, cfg, seed=7, progress=False)
    assert torch.equal(torch.rand(3), before)


class _Interrupt(Exception):
    pass


@pytest.mark.network
def test_resume_is_bit_identical(fields, tmp_path):
    cfg = gen.DCGANConfig(**dict(TINY, epochs=3))  # 12 steps over 3 epochs
    full = gen.train(fields, cfg, seed=1, progress=False)
    ckpt = tmp_path / "run.pt"

    def stop_at_7(step, texture, loss):
        assert texture.shape == (16, 16) and np.isfinite(loss)
        if step == 7:
            raise _Interrupt

    with pytest.raises(_Interrupt):
        gen.train(
            fields, cfg, seed=1, checkpoint=ckpt, checkpoint_every=3, callback=stop_at_7,
            callback_every=1, progress=False,
        )  # fmt: skip
    assert int(torch.load(ckpt, weights_only=False)["step"]) == 6  # the last checkpoint
    resumed = gen.train(fields, cfg, seed=1, checkpoint=ckpt, checkpoint_every=3, progress=False)
    assert _equal_weights(full.generator, resumed.generator)
    assert _equal_weights(full.discriminator, resumed.discriminator)
    for key in full.losses:
        np.testing.assert_array_equal(full.losses[key], resumed.losses[key])
    # a finished checkpoint gives the run back; other settings are refused
    again = gen.train(fields, cfg, seed=1, checkpoint=ckpt, progress=False)
    assert _equal_weights(full.generator, again.generator)
    with pytest.raises(ValueError, match="other settings"):
        gen.train(fields, cfg, seed=2, checkpoint=ckpt, progress=False)
    from_ckpt = gen.GANRun.load(ckpt)
    np.testing.assert_array_equal(from_ckpt.sample(4, seed=0), full.sample(4, seed=0))
    assert from_ckpt.n_steps == 12 and from_ckpt.discriminator is not None


@pytest.mark.network
def test_save_load_round_trip(tmp_path):
    data = gen.bivariate_mrw_dataset(16, 16, 0.8, 0.2, rho_omega=0.5, seed=0)
    run = gen.train(data, gen.DCGANConfig(**TINY), seed=3, progress=False)
    run.save(tmp_path / "g.pt")
    back = gen.GANRun.load(tmp_path / "g.pt")
    assert back.config == run.config and back.item_shape == (2, 16, 16)
    np.testing.assert_array_equal(back.sample(6, seed=2), run.sample(6, seed=2))
    np.testing.assert_array_equal(back.losses["loss_d"], run.losses["loss_d"])
    alias = gen.load(tmp_path / "g.pt")  # the module function is kept as an alias
    np.testing.assert_array_equal(alias.sample(2, seed=0), back.sample(2, seed=0))
    with pytest.raises(ValueError, match="does not exist"):
        gen.load(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="could not be read"):
        gen.GANRun.load(tmp_path / "junk.pt")
    # a file written before g_norm/g_slope/real_label existed loads with the
    # settings it was trained with (the original DCGAN's)
    state = torch.load(tmp_path / "g.pt", weights_only=False)
    legacy = gen.train(data, gen.DCGANConfig(**TINY, g_slope=0.0, real_label=1.0), progress=False)
    state.update(format=1, generator=legacy.generator.state_dict())
    state["config"] = {
        k: v
        for k, v in legacy.config.as_dict().items()
        if k not in ("g_norm", "g_slope", "real_label")
    }
    torch.save(state, tmp_path / "old.pt")
    old = gen.GANRun.load(tmp_path / "old.pt")
    assert old.config.g_slope == 0.0 and old.config.real_label == 1.0
    np.testing.assert_array_equal(old.sample(3, seed=1), legacy.sample(3, seed=1))


@pytest.mark.network
def test_samples_in_data_units():
    # channel 0 lives around 100 (sd 5), channel 1 around -3 (sd 0.1): without
    # undoing the standardisation samples would sit near 0 with unit spread
    rng = np.random.default_rng(1)
    data = np.stack([100 + 5 * rng.normal(size=(32, 32)), -3 + 0.1 * rng.normal(size=(32, 32))], 1)
    run = gen.train(data, gen.DCGANConfig(dim=1, **TINY), progress=False)
    x = run.sample(200, seed=0)
    np.testing.assert_allclose(x[:, 0].mean(), 100, atol=5)
    np.testing.assert_allclose(x[:, 1].mean(), -3, atol=0.1)
    np.testing.assert_allclose(run.mean, [100, -3], atol=1)
    np.testing.assert_allclose(run.std, [5, 0.1], rtol=0.1)


def _degenerate(x: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Samples with a constant channel (std below 1e-3 of the data's): the failure of issue 11."""
    axes = tuple(range(2, x.ndim))
    return np.any(x.std(axis=axes) < 1e-3 * np.asarray(std)[None, :], axis=1)


def _collapsed(x: np.ndarray) -> bool:
    """All samples (nearly) equal: the spread across samples vanishes."""
    return bool(x.std(axis=0).mean() < 1e-3 * x.std())


def _channel_corr(x: np.ndarray) -> np.ndarray:
    a = x[:, 0] - x[:, 0].mean(1, keepdims=True)
    b = x[:, 1] - x[:, 1].mean(1, keepdims=True)
    return np.sum(a * b, 1) / np.sqrt(np.sum(a * a, 1) * np.sum(b * b, 1))


def _mirror_walks(seed: int, sign: float) -> np.ndarray:
    # known truth: channel 1 is exactly sign * channel 0 (Gaussian random walks)
    base = np.cumsum(np.random.default_rng(seed).normal(size=(256, 32)), axis=1)
    return np.stack([base, sign * base], axis=1)


_MIRROR = dict(dim=1, width=8, latent=8, batch_size=32, epochs=25, lr_g=1e-3, lr_d=1e-3)


def _mirror_check(seed: int, sign: float) -> tuple[float, int]:
    """Median signed channel correlation of 200 non-degenerate samples; degenerate count."""
    run = gen.train(
        _mirror_walks(seed, sign), gen.DCGANConfig(**_MIRROR), seed=seed, progress=False
    )
    x = run.sample(200, seed=0)
    deg = _degenerate(x, run.std)
    assert not _collapsed(x)
    corr = sign * _channel_corr(x[~deg])
    return float(np.median(corr)), int(deg.sum())


@pytest.mark.network
def test_learns_channel_dependence_one_seed():
    # seed 1 is the one that gave constant channels (NaN correlations) on AVX2/AVX-512
    # kernels with the former ReLU generator and a saturating discriminator
    med, n_deg = _mirror_check(1, 1.0)
    assert n_deg == 0
    assert med > 0.8


@pytest.mark.slow
@pytest.mark.network
def test_learns_channel_dependence_over_seeds():
    # measured on the default, AVX2 and AVX-512 kernels with 1 and 2 threads: per-seed
    # median correlation >= 0.98, no degenerate sample (the former ReLU generator with
    # hard labels: 3-21 constant samples out of 200 on seed 1, depending on the kernel)
    meds, n_deg = [], 0
    for seed, sign in ((0, -1.0), (1, 1.0), (2, -1.0), (3, 1.0)):
        med, deg = _mirror_check(seed, sign)
        meds.append(med)
        n_deg += deg
    assert n_deg <= 8  # at most 1 % of the samples, counted apart from the correlation
    assert min(meds) > 0.8 and np.median(meds) > 0.9, meds


@pytest.mark.slow
@pytest.mark.network
def test_learns_channel_correlation_of_bivariate_mrw():
    # known truth: walks driven by noises of correlation rho_g (lam small) are correlated
    # about rho_g; the generator must keep it (an independent-channel generator gives 0)
    rho = 0.7
    data = gen.bivariate_mrw_dataset(256, 32, 0.5, 0.05, rho_g=rho, dim=1, seed=0)
    truth = float(np.median(_channel_corr(data)))
    assert abs(truth - rho) < 0.1  # the dataset itself (0.754)
    ratios, n_deg = [], 0
    for seed in (0, 1, 2):
        run = gen.train(data, gen.DCGANConfig(**_MIRROR), seed=seed, progress=False)
        x = run.sample(200, seed=0)
        deg = _degenerate(x, run.std)
        n_deg += int(deg.sum())
        ratios.append(float(np.median(_channel_corr(x[~deg]))) / truth)
    # generated / true correlation, measured on three kernels and two thread counts:
    # 0.69 to 1.09 per seed, mean over the seeds 0.76 to 1.06 (lowest: default kernel,
    # 2 threads); tiny 200-step trainings, so the bounds ask for half of it per seed
    assert n_deg <= 6
    assert min(ratios) > 0.5 and np.mean(ratios) > 0.6 and max(ratios) < 1.4, ratios


@pytest.mark.network
def test_bad_input_is_a_clear_value_error(fields):
    cfg = gen.DCGANConfig(**TINY)
    mixed = [np.zeros((16, 16)) + i for i in range(8)] + [np.ones((32, 32))]
    with pytest.raises(ValueError, match="different shapes"):
        gen.train(mixed, cfg, progress=False)
    with pytest.raises(ValueError, match="fewer than batch_size"):
        gen.train(fields[:5], cfg, progress=False)
    bad = fields.copy()
    bad[3, 2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        gen.train(bad, cfg, progress=False)
    with pytest.raises(ValueError, match="4 \\* 2\\*\\*depth"):
        gen.train(gen.patches(fields[0], 12, 16), cfg, progress=False)
    with pytest.raises(ValueError, match="multiple of 2\\*\\*depth"):
        gen.train(gen.patches(fields[0], 12, 16), gen.DCGANConfig(depth=3, **TINY), progress=False)
    with pytest.raises(ValueError, match="square"):
        gen.train(fields[:, :, :8], cfg, progress=False)
    with pytest.raises(ValueError, match="does not match"):
        gen.train(fields, gen.DCGANConfig(size=32, **TINY), progress=False)
    with pytest.raises(ValueError, match="dimension"):
        gen.train(fields[0], cfg, progress=False)
    with pytest.raises(ValueError, match="constant"):
        gen.train(np.ones((16, 16, 16)), cfg, progress=False)
    with pytest.raises(ValueError, match="cannot be produced"):
        gen.DCGANConfig(size=20, depth=3)
    with pytest.raises(ValueError, match="upsample"):
        gen.DCGANConfig(upsample="bilinear")
    with pytest.raises(TypeError, match="seed"):
        gen.train(fields, cfg, seed=1.5, progress=False)


@pytest.mark.network
def test_nearest_upsampling_and_explicit_depth():
    data = np.random.default_rng(0).normal(size=(16, 24, 24))  # 24 = 3 * 2**3
    run = gen.train(data, gen.DCGANConfig(depth=3, upsample="nearest", **TINY), progress=False)
    assert run.config.base() == 3
    assert run.sample(2).shape == (2, 24, 24)


@pytest.mark.network
def test_repeat_training_keeps_good_seeds(fields, tmp_path):
    cfg = gen.DCGANConfig(**TINY)
    (tmp_path / "seed2.pt").write_bytes(b"corrupt")  # seed 2's checkpoint cannot be read
    rep = gen.repeat_training(fields, cfg, [0, 2, 1], checkpoint_dir=tmp_path, progress=False)
    assert sorted(rep.runs) == [0, 1] and list(rep.failures) == [2]
    assert rep.failures[2].startswith("ValueError") and "seed2.pt" in rep.failures[2]
    assert rep.errors is rep.failures  # the former name is kept
    assert set(rep.losses) == {0, 1} and set(rep.generators) == {0, 1}
    assert len(repr(rep)) < 300 and "failures=[2]" in repr(rep)
    tab = rep.table()
    assert list(tab.index) == [0, 1, 2] and tab.loc[2, "error"].startswith("ValueError")
    np.testing.assert_allclose(tab.loc[0, "loss_g"], rep.runs[0].losses["loss_g"][-1:].mean())
    # one rule with confidence.repeat: seeds are distinct non-negative ints
    with pytest.raises(ValueError, match="empty"):
        gen.repeat_training(fields, cfg, [], progress=False)
    with pytest.raises(ValueError, match=r"repeats.*\[1\]"):
        gen.repeat_training(fields, cfg, [1, 0, 1], progress=False)
    with pytest.raises(ValueError, match="non-negative"):
        gen.repeat_training(fields, cfg, [0, -1], progress=False)


@pytest.mark.slow
@pytest.mark.network
def test_repeat_training_in_a_process_pool_matches_serial(fields):
    cfg = gen.DCGANConfig(**TINY)
    serial = gen.repeat_training(fields, cfg, [1], progress=False)
    # a "spawn" pool: a forked child of a process whose OpenMP pool has more than one
    # thread deadlocks in its first torch call (seen with OMP_NUM_THREADS=2)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        par = gen.repeat_training(fields, cfg, [1], executor=pool, progress=False)
    assert not par.failures
    np.testing.assert_allclose(
        par.runs[1].sample(3), serial.runs[1].sample(3), rtol=1e-5, atol=1e-6
    )


def test_patches_are_crops_of_the_sample():
    img = np.random.default_rng(0).normal(size=(2, 40, 50))
    p = gen.patches(img, 16, 20, seed=1)
    assert p.shape == (20, 2, 16, 16)
    np.testing.assert_array_equal(p, gen.patches(img, 16, 20, seed=1))
    # every patch is found in the sample at some offset
    from numpy.lib.stride_tricks import sliding_window_view

    windows = sliding_window_view(img, (16, 16), axis=(1, 2))  # (2, 25, 35, 16, 16)
    for q in p[:5]:
        hits = np.all(windows == q[:, None, None], axis=(0, 3, 4))
        assert hits.sum() == 1
    sig = np.arange(100.0)
    s = gen.patches(sig, 10, 7, seed=0)
    assert s.shape == (7, 10) and np.all(np.diff(s, axis=1) == 1)
    with pytest.raises(ValueError, match="exceeds"):
        gen.patches(img, 45, 3)


def test_mrw_dataset_and_comparison_against_truth():
    # known truth: two independent MRW sets agree; lam = 0.2 vs lam = 0 differ in
    # c2 (biased at 64x64, but the same estimator on both sides)
    a = gen.mrw_dataset(40, 64, 0.8, 0.2, seed=0)
    b = gen.mrw_dataset(40, 64, 0.8, 0.2, seed=1)
    flat = gen.mrw_dataset(40, 64, 0.8, 0.0, seed=2)
    np.testing.assert_array_equal(a, gen.mrw_dataset(40, 64, 0.8, 0.2, seed=0))
    same = gen.compare_log_cumulants(a, b)
    diff = gen.compare_log_cumulants(a, flat)
    assert abs(same.loc["c1", "difference"]) < 0.05 and abs(same.loc["c2", "difference"]) < 0.02
    assert diff.loc["c2", "difference"] > 0.03  # lam = 0 is less negative
    assert list(same.columns[:5]) == ["real", "real_sd", "generated", "generated_sd", "difference"]


def test_bivariate_comparison_reports_joint_statistics():
    a = gen.bivariate_mrw_dataset(12, 64, 0.8, 0.3, rho_omega=0.9, seed=0)
    assert a.shape == (12, 2, 64, 64)
    tab = gen.compare_log_cumulants(a, a[::-1], n=None)
    assert {"c1[0]", "c2[1]", "c11", "rho_mf"} <= set(tab.index)
    np.testing.assert_allclose(tab["difference"], 0, atol=1e-12)
    assert tab.loc["rho_mf", "real"] > 0.3


@pytest.mark.network
def test_plot_losses(fields):
    rep = gen.repeat_training(fields, gen.DCGANConfig(**TINY), [0, 1], progress=False)
    fig = gen.plot_losses(rep, smooth=1)
    assert len(fig.data) == 4
    np.testing.assert_allclose(fig.data[0].y, rep.runs[0].losses["loss_g"])
    with pytest.raises(TypeError, match="GANRun"):
        gen.plot_losses([1, 2])
    run = rep.runs[1]
    assert len(run.plot(smooth=1).data) == 2 and len(rep.plot().data) == 4
    tab = run.table()
    assert (
        list(tab.columns) == ["loss_g", "loss_d", "d_real", "d_fake"] and tab.index.name == "step"
    )
    np.testing.assert_array_equal(tab["loss_d"], run.losses["loss_d"])
    text = repr(run)
    assert len(text) < 300 and "Generator" not in text and "array" not in text, text


@pytest.mark.network
def test_sampling_is_per_latent_and_pixel_norm_is_mode_free(fields):
    # eval-mode sampling: a texture depends on its latent vector only, not on its batch
    run = gen.train(fields, gen.DCGANConfig(**TINY), progress=False)
    np.testing.assert_allclose(
        run.sample(6, seed=4, batch_size=1), run.sample(6, seed=4), rtol=1e-5, atol=1e-6
    )
    assert isinstance(run.generator.norm0[1], torch.nn.LeakyReLU)  # no dead-able ReLU
    # g_norm="pixel": the generator computes the same function in train and eval mode
    pix = gen.train(fields, gen.DCGANConfig(**TINY, g_norm="pixel"), progress=False).generator
    z = torch.randn(5, 8, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        pix.train()
        a = pix(z)
        pix.eval()
        b = pix(z)
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in pix.modules())


@pytest.mark.network
def test_multiscale_term_is_recorded_resumable_and_lowers_the_gap(tmp_path):
    data = gen.mrw_dataset(32, 32, 0.8, 0.2, seed=0)
    cfg = gen.DCGANConfig(**dict(TINY, epochs=6, multiscale_weight=1.0))
    run = gen.train(data, cfg, seed=0, progress=False)
    ms = run.losses["loss_multiscale"]
    assert ms.shape == (24,) and np.all(np.isfinite(ms)) and np.all(ms >= 0)
    again = gen.train(data, cfg, seed=0, progress=False)
    np.testing.assert_array_equal(ms, again.losses["loss_multiscale"])
    assert "loss_multiscale" not in gen.train(data, gen.DCGANConfig(**TINY), progress=False).losses
    # resume through a checkpoint keeps the term's history
    ckpt = tmp_path / "ms.pt"
    with pytest.raises(_Interrupt):

        def stop(step, texture, loss):
            if step == 10:
                raise _Interrupt

        gen.train(
            data, cfg, seed=0, checkpoint=ckpt, checkpoint_every=4, callback=stop,
            callback_every=1, progress=False,
        )  # fmt: skip
    resumed = gen.train(data, cfg, seed=0, checkpoint=ckpt, progress=False)
    np.testing.assert_array_equal(ms, resumed.losses["loss_multiscale"])
    # the term is minimised: over 3 seeds, the last steps sit below the first ones
    drops = []
    for seed in range(3):
        r = gen.train(data, cfg, seed=seed, progress=False).losses["loss_multiscale"]
        drops.append(r[:4].mean() - r[-4:].mean())
    assert np.mean(drops) > 0, drops
    with pytest.raises(ValueError, match="multiscale_weight"):
        gen.DCGANConfig(multiscale_weight=-1.0)
