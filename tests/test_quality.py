"""Tests of textures_nb.quality.

Calibration is checked over many trials on processes with known structure:
disjoint crops of one stationary field must rarely be flagged, Gaussian
(phase-randomised) surrogates of multifractal processes and fields of another
Hurst index must almost always be. Each case runs ``N_TRIALS`` = 12 trials;
the thresholds are binomial-aware: with a true false-alarm rate of 10 % the
chance of more than 3 flags in 12 is 2.6 %, with a true power of 90 % the
chance of fewer than 9 detections is 2.6 %, and with 95 % the chance of
fewer than 10 is 2.0 %. Multifractal fields have lam**2 = 0.04 in 1D and 2D
(c2 = -0.04). The full-size rates (200 trials) are in
benchmarks/results_quality.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from textures_nb.processes import bivariate_mrw, fbf, fbm, mrw
from textures_nb.quality import (
    QualityReport,
    compare,
    generator_quality,
    loss_indices,
    loss_vs_quality,
)
from textures_nb.synthesis import synthesize

N_TRIALS = 12
MAX_FALSE = 3  # flags allowed out of N_TRIALS for a 10 % false-alarm rate
MIN_DETECT_90 = 9  # detections required for a 90 % power
MIN_DETECT_95 = 10  # detections required for a 95 % power


def _crops(case: str, seed: int):
    """Two disjoint crops of one realisation."""
    if case == "fbf":
        f = fbf((256, 512), 0.7, seed=seed)
        return f[:, :256], f[:, 256:]
    if case == "mrw2d":
        f = mrw((256, 512), 0.7, 0.2, seed=seed)
        return f[:, :256], f[:, 256:]
    if case == "fbm":
        f = fbm(2**15, 0.7, seed=seed)
        return f[: 2**14], f[2**14 :]
    f = mrw(2**15, 0.7, 0.2, seed=seed)
    return f[: 2**14], f[2**14 :]


@pytest.mark.parametrize("case", ["fbf", "mrw2d", "fbm", "mrw1d"])
def test_disjoint_crops_are_rarely_flagged(case):
    flags = [compare(*_crops(case, 100 + s), seed=s).different for s in range(N_TRIALS)]
    assert sum(flags) <= MAX_FALSE, f"{case}: {sum(flags)} of {N_TRIALS} crops flagged"


def _surrogate_pair(case: str, seed: int):
    x = mrw(2**14, 0.7, 0.2, seed=seed) if case == "mrw1d" else mrw((256, 256), 0.7, 0.2, seed=seed)
    return x, synthesize(x, method="phase", seed=seed, progress=False).texture


@pytest.mark.parametrize("case", ["mrw1d", "mrw2d"])
def test_phase_surrogate_of_multifractal_is_flagged(case):
    reports = [compare(*_surrogate_pair(case, 200 + s), seed=s) for s in range(N_TRIALS)]
    assert sum(r.different for r in reports) >= MIN_DETECT_90
    # the multiscale indices (leaders or structure functions) are what catch it
    multiscale = [bool({"leaders", "structure"} & set(r.failing)) for r in reports]
    assert sum(multiscale) >= N_TRIALS // 2


def test_other_hurst_index_is_flagged():
    flags = [
        compare(fbf((256, 256), 0.7, seed=300 + s), fbf((256, 256), 0.5, seed=400 + s), seed=s)
        for s in range(N_TRIALS)
    ]
    assert sum(r.different for r in flags) >= MIN_DETECT_95


def test_reproducible_by_seed():
    a, b = _crops("mrw1d", 7)
    b = b + 0.05 * np.random.default_rng(0).standard_normal(b.shape)
    r1, r2 = compare(a, b, seed=3), compare(a, b, seed=3)
    pd.testing.assert_frame_equal(r1.table(), r2.table())
    assert r1.p_value == r2.p_value and r1.different == r2.different
    # a signal has more disjoint window pairs than n_null: another seed draws others
    r3 = compare(a, b, seed=4)
    assert not np.array_equal(r1.null_statistic["leaders"], r3.null_statistic["leaders"])
    # an image's default windows give 160 pairs (< n_null): all are used, whatever the seed
    c, d = _crops("fbf", 7)
    assert compare(c, d, seed=1).p_value == compare(c, d, seed=2).p_value


def test_fine_scale_noise_is_located_at_fine_scales():
    a, b = _crops("fbf", 11)
    noisy = b + 0.3 * np.std(np.diff(b, axis=1)) * np.random.default_rng(1).standard_normal(b.shape)
    rep = compare(a, noisy)
    assert rep.different and "wavelet" in rep.failing
    top = rep.details("wavelet").iloc[0]
    assert top["scale"] in {"j=1", "j=1-2"} and abs(top["z"]) > 5


def test_orientation_index_flags_anisotropy():
    iso = fbf((256, 256), 0.6, seed=5)
    aniso = fbf((256, 256), 0.6, anisotropy=0.6, theta=0.0, seed=6)
    rep = compare(iso, aniso, indices=["orientation", "spectrum"])
    assert "orientation" in rep.failing
    same = compare(*_crops("fbf", 12), indices=["orientation"])
    assert not same.different


def test_cross_channel_dependence():
    def pair(rho, seed):
        return bivariate_mrw(2**14, 0.7, 0.2, rho_g=rho, rho_omega=rho, seed=seed)

    ref = pair(0.8, 0)
    assert "cross" in compare(ref, pair(0.0, 1), dim=1, indices=["cross"]).failing
    assert not compare(ref, pair(0.8, 2), dim=1, indices=["cross"]).different


def test_report_table_details_plot():
    rep = compare(*_crops("fbm", 3), n_null=49)
    assert isinstance(rep, QualityReport)
    tab = rep.table()
    assert list(tab.index) == ["leaders", "wavelet", "structure", "spectrum", "marginal"]
    assert {"statistic", "p_value", "p_adjusted", "fails", "worst"} <= set(tab.columns)
    assert (tab["p_adjusted"] >= tab["p_value"] - 1e-12).all()
    assert rep.p_value == pytest.approx(tab["p_adjusted"].min())
    assert 0.5 < rep.score < 2.0  # about 1 for a texture of the same process
    assert rep.options["n_null"] == 49
    fig = rep.plot()
    assert len(fig.data) == 3 * 3  # band, sample, synthesis for C1, C2, C3
    diag = rep.diagrams[(rep.diagrams["index"] == "leaders") & (rep.diagrams["feature"] == "C1")]
    assert rep.options["scales"] == (1, 8)  # 8 leaders per window of 2**12 samples up to j = 8
    assert list(diag["scale"]) == [f"j={j}" for j in range(1, 9)]
    # C1(j) of fBm (H = 0.7) grows by about H per octave
    slope = np.polyfit(np.arange(3, 9), diag["sample"].to_numpy()[2:] / np.log(2), 1)[0]
    assert slope == pytest.approx(0.7, abs=0.1)
    assert "compatible" in repr(rep) or "different" in repr(rep)


def test_bad_input():
    img = fbf((128, 128), 0.7, seed=0)
    sig = fbm(4096, 0.7, seed=0)
    with pytest.raises(ValueError, match="same number of dimensions"):
        compare(img, sig)
    with pytest.raises(ValueError, match="channel"):
        compare(np.stack([img, img + 1]), img[None])
    bad = img.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        compare(img, bad)
    with pytest.raises(ValueError, match="too small|windows"):
        compare(img[:24, :24], img[:24, :24])
    with pytest.raises(ValueError, match="smaller than the null windows"):
        compare(img, img[:32, :32])
    with pytest.raises(ValueError, match="scale"):
        compare(img, img, scales=(1, 9))
    with pytest.raises(ValueError, match="orientation"):
        compare(sig, sig, indices=["orientation"])
    with pytest.raises(ValueError, match="unknown index"):
        compare(img, img, indices=["colour"])
    with pytest.raises(ValueError, match="constant"):
        compare(img, np.zeros_like(img))
    with pytest.raises(ValueError, match="n_null"):
        compare(img, img, n_null=5)


def test_loss_indices_known_trajectories():
    losses = np.geomspace(1.0, 1e-4, 101)  # exactly 4 decades over 100 iterations
    row = loss_indices(losses, tail=0.2).loc["loss"]
    assert row["n_tail"] == 21
    assert row["trend"] == pytest.approx(-0.8, abs=1e-9)  # 20 iterations of 0.04 decade
    assert row["level"] == pytest.approx(-3.6, abs=1e-9)
    assert row["spread"] == pytest.approx(0.0, abs=1e-9)
    # a flat noisy tail: no trend, spread of the noise
    rng = np.random.default_rng(0)
    flat = 10 ** (-2 + 0.1 * rng.standard_normal(2000))
    row = loss_indices(flat, tail=0.5).loc["loss"]
    assert abs(row["trend"]) < 0.03 and row["spread"] == pytest.approx(0.1, rel=0.1)


class _FakeRun:
    """The generative helper's contract: ``.losses`` dict and ``.sample(n, seed)``."""

    def __init__(self, sample, good: bool):
        steps = np.arange(200)
        self.losses = {
            "step": steps,
            "loss_g": 1.0 + 0.5 * np.exp(-steps / 50.0),
            "loss_d": -0.2 + 0.01 * np.sin(steps),  # a critic loss may be negative
        }
        self._sample, self._good = sample, good

    def sample(self, n, seed):
        rng = np.random.default_rng(seed)
        if self._good:
            return np.stack(
                [
                    synthesize(self._sample, method="phase", seed=seed + i, progress=False).texture
                    for i in range(n)
                ]
            )
        return rng.standard_normal((n, *self._sample.shape))


def test_loss_indices_dict_and_generator_quality():
    x = fbf((128, 128), 0.7, seed=1)
    good, bad = _FakeRun(x, True), _FakeRun(x, False)
    df = loss_indices(good)
    assert list(df.index) == ["loss_g", "loss_d"]
    assert df.loc["loss_d", "scale"] == "linear" and df.loc["loss_g", "scale"] == "log10"
    assert df.loc["loss_g", "trend"] < 0
    g, b = generator_quality(good, x, n=2), generator_quality(bad, x, n=2)
    assert {"loss_g_level", "loss_d_trend", "score", "flagged"} <= set(g.columns)
    assert b["flagged"].iloc[0] == 1.0 and b["score"].iloc[0] > 1.5 * g["score"].iloc[0]
    with pytest.raises(ValueError, match="at least 3"):
        loss_indices([1.0, 0.5])
    with pytest.raises(ValueError, match="lengths"):
        loss_indices({"a": np.ones(5), "b": np.ones(6)})
    with pytest.raises(TypeError):
        generator_quality(object(), x)


def test_loss_vs_quality_records_checkpoints():
    x = fbf((64, 64), 0.7, seed=2)
    study = loss_vs_quality(x, checkpoints=(3, 6, 12), seeds=(0,), n_null=39, progress=False)
    tab = study.table
    assert list(tab["iteration"]) == [3, 6, 12]
    assert np.isfinite(tab[["level", "trend", "score"]].to_numpy()).all()
    # later checkpoints have lower loss levels (L-BFGS decreases the loss)
    for _, sub in tab.groupby("seed"):
        assert sub["level"].is_monotonic_decreasing
    assert set(study.spearman.index) == {"loss", "level", "trend", "spread"}
    assert study.spearman["rho"].between(-1, 1).all()
    assert len(study.plot().data) == 1
    with pytest.raises(ValueError, match="phase"):
        loss_vs_quality(x, method="phase")
