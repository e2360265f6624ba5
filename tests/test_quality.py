"""Tests of textures_nb.quality.

Calibration is checked over many trials on processes with known structure and
on real photographs: disjoint crops of one stationary field, disjoint tiles of
scikit-image's brick, grass and gravel and plenoptic's reptile skin, and a
periodic Gaussian field against its own phase surrogate must rarely be
flagged; Gaussian (phase-randomised) surrogates of multifractal processes and
fields of another Hurst index must almost always be. Each synthetic case runs
``N_TRIALS`` = 12 trials; the thresholds are binomial-aware: with a true
false-alarm rate of 10 % the chance of more than 3 flags in 12 is 2.6 %, with
a true power of 90 % the chance of fewer than 9 detections is 2.6 %, and with
95 % the chance of fewer than 10 is 2.0 %. Multifractal fields have
lam**2 = 0.04 in 1D and 2D (c2 = -0.04) unless said otherwise. The full-size
rates (200+ trials) are in benchmarks/results_quality.md.
"""

from __future__ import annotations

import os
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from textures_nb.processes import bivariate_mrw, fbf, fbm, mrw, periodic_multifractal
from textures_nb.quality import (
    QualityReport,
    compare,
    generator_quality,
    loss_indices,
    loss_vs_quality,
)
from textures_nb.synthesis import synthesize

os.environ.setdefault("TQDM_DISABLE", "1")
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


@pytest.mark.slow
@pytest.mark.parametrize("case", ["fbf", "mrw2d", "fbm", "mrw1d"])
def test_disjoint_crops_are_rarely_flagged(case):
    flags = [compare(*_crops(case, 100 + s), seed=s).different for s in range(N_TRIALS)]
    assert sum(flags) <= MAX_FALSE, f"{case}: {sum(flags)} of {N_TRIALS} crops flagged"


def _surrogate_pair(case: str, seed: int):
    x = mrw(2**14, 0.7, 0.2, seed=seed) if case == "mrw1d" else mrw((256, 256), 0.7, 0.2, seed=seed)
    return x, synthesize(x, method="phase", seed=seed, progress=False).texture


@pytest.mark.slow
@pytest.mark.parametrize("case", ["mrw1d", "mrw2d"])
def test_phase_surrogate_of_multifractal_is_flagged(case):
    reports = [compare(*_surrogate_pair(case, 200 + s), seed=s) for s in range(N_TRIALS)]
    assert sum(r.different for r in reports) >= MIN_DETECT_90
    # the multiscale indices (leaders or structure functions) catch it, not only the marginal
    # (the surrogate is free of border artefacts: synthesis randomises the periodic component)
    multiscale = [bool({"leaders", "structure"} & set(r.failing)) for r in reports]
    assert sum(multiscale) >= N_TRIALS // 2


@pytest.mark.slow
def test_other_hurst_index_is_flagged():
    flags = [
        compare(fbf((256, 256), 0.7, seed=300 + s), fbf((256, 256), 0.5, seed=400 + s), seed=s)
        for s in range(N_TRIALS)
    ]
    assert sum(r.different for r in flags) >= MIN_DETECT_95


# --------------------------------------------------------------------------
# Real photographs and periodic fields (issue 11)
# --------------------------------------------------------------------------


def _photographs() -> dict[str, np.ndarray]:
    import skimage.data

    out = {n: np.asarray(getattr(skimage.data, n)(), float) for n in ("brick", "grass", "gravel")}
    plenoptic = pytest.importorskip("plenoptic")
    from imageio.v3 import imread

    path = Path(plenoptic.__file__).parent / "data" / "reptile_skin.pgm"
    out["reptile skin"] = np.asarray(imread(path), float)
    return out


def _photo_pairs(size: int, per_image: int, seed: int):
    """Disjoint size x size tiles of one photograph (starts on a grid of step size/4)."""
    rng = np.random.default_rng(seed)
    for name, img in _photographs().items():
        starts = [range(0, n - size + 1, size // 4) for n in img.shape]
        pos = [(r, c) for r in starts[0] for c in starts[1]]
        pairs = [
            (a, b)
            for a, b in combinations(pos, 2)
            if abs(a[0] - b[0]) >= size or abs(a[1] - b[1]) >= size
        ]
        for k in rng.choice(len(pairs), min(per_image, len(pairs)), replace=False) if pairs else []:
            (r, c), (u, v) = pairs[k]
            yield name, img[r : r + size, c : c + size], img[u : u + size, v : v + size]


def periodic_phase_surrogate(x: np.ndarray, seed: int) -> np.ndarray:
    """Same Fourier moduli, phases of white noise: the periodic field's Gaussian counterpart."""
    phase = np.angle(np.fft.fft2(np.random.default_rng(seed).standard_normal(x.shape)))
    return np.fft.ifft2(np.abs(np.fft.fft2(x)) * np.exp(1j * phase)).real


def test_periodic_helpers_are_what_they_claim():
    x = periodic_multifractal(64, 0.5, 0.3, seed=0)
    y = periodic_phase_surrogate(x, seed=1)
    np.testing.assert_allclose(np.abs(np.fft.fft2(y)), np.abs(np.fft.fft2(x)), atol=1e-9)
    # periodic: the jump across the border is like any other increment
    assert np.std(x[0] - x[-1]) < 2 * np.std(np.diff(x, axis=0))


@pytest.mark.slow
def test_photograph_tiles_are_rarely_flagged():
    """36 disjoint tile pairs (4 photographs x 6 at 128**2, 3 x 4 at 256**2): at a true
    false-alarm rate of 10 % the chance of more than 8 flags in 36 is 1.7 %."""
    flags = {}
    pairs = list(_photo_pairs(128, 6, seed=1)) + list(_photo_pairs(256, 4, seed=2))
    for i, (name, a, b) in enumerate(pairs):
        flags.setdefault(name, []).append(compare(a, b, seed=i, progress=False).different)
    total = sum(map(sum, flags.values()))
    assert len(pairs) == 36 and total <= 8, {k: f"{sum(v)}/{len(v)}" for k, v in flags.items()}


@pytest.mark.slow
def test_periodic_gaussian_vs_its_phase_surrogate_is_rarely_flagged():
    flags = [
        compare(
            x := periodic_multifractal(128, 0.5, 0.0, seed=500 + s),
            periodic_phase_surrogate(x, seed=600 + s),
            seed=s,
            progress=False,
        ).different
        for s in range(N_TRIALS)
    ]
    assert sum(flags) <= MAX_FALSE


@pytest.mark.slow
def test_periodic_multifractal_vs_gaussian_counterpart_is_flagged():
    """lam = 0.3 (c2 = -0.09), 256**2, periodic: no border artefact can help."""
    reports = []
    for s in range(N_TRIALS):
        x = periodic_multifractal(256, 0.5, 0.3, seed=700 + s)
        reports.append(
            compare(x, periodic_phase_surrogate(x, seed=800 + s), seed=s, progress=False)
        )
    assert sum(r.different for r in reports) >= MIN_DETECT_90
    multiscale = [bool({"leaders", "structure"} & set(r.failing)) for r in reports]
    assert sum(multiscale) >= MIN_DETECT_90 - 1


def _heterogeneous(seed: int):
    """An fBf H = 0.7 sample and two heterogeneous syntheses of it: the left half an fBf
    H = 0.3, or a flat 40 x 40 patch in an otherwise right field."""
    x = fbf((256, 256), 0.7, seed=100 + seed)
    half = fbf((256, 256), 0.7, seed=200 + seed)
    half[:, :128] = fbf((256, 128), 0.3, seed=300 + seed)
    flat = fbf((256, 256), 0.7, seed=200 + seed)
    flat[:40, :40] = 0.0
    return x, half, flat


@pytest.mark.slow
def test_heterogeneous_synthesis_is_flagged():
    """The synthesis's windows differ from each other far more than the sample's (ln ratio
    5-15, photographs and stationary fields below 2.3): the default null switches to the
    sample's pairs and flags both defects, which a null from both textures hides."""
    flags = {"half": [], "flat": []}
    for s in range(N_TRIALS):
        x, half, flat = _heterogeneous(s)
        for name, y in (("half", half), ("flat", flat)):
            rep = compare(x, y, seed=s, progress=False)
            assert rep.options["null_used"] == "sample", (name, s, rep.options["dispersion"])
            flags[name].append(rep.different)
    assert all(sum(v) >= MIN_DETECT_90 for v in flags.values()), flags


def test_null_options_on_a_heterogeneous_synthesis():
    """``null="both"`` hides the H = 0.3 half (its own windows widen the null), ``"sample"``
    and the default ``"auto"`` flag it; flat windows are skipped; unknown nulls raise."""
    x, half, flat = _heterogeneous(0)
    assert not compare(x, half, null="both", progress=False).different
    rep = compare(x, half, null="sample", progress=False)
    assert rep.different and rep.options["null"] == "sample"
    rep = compare(x, half, progress=False)
    assert rep.different and rep.options["null"] == "auto"
    assert rep.options["null_used"] == "sample" and rep.options["dispersion"] > 3
    rep = compare(x, flat, null="both", progress=False)
    assert np.isfinite(list(rep.statistic.values())).all()
    with pytest.raises(ValueError, match="null"):
        compare(x, half, null="synthesis")


def test_heterogeneous_signal_is_flagged():
    """1D: first half of the synthesis an fBm H = 0.3 (increments of the same RMS)."""
    x = fbm(2**14, 0.7, seed=100)
    y = fbm(2**14, 0.7, seed=200)
    low = fbm(2**13, 0.3, seed=300)
    y[: 2**13] = low * np.std(np.diff(y)) / np.std(np.diff(low))
    rep = compare(x, y, n_null=99, progress=False)
    assert rep.options["null_used"] == "sample" and rep.different
    # crops of one fBm keep the null from both textures
    rep = compare(*_crops("fbm", 0), n_null=99, progress=False)
    assert rep.options["null_used"] == "both" and rep.options["dispersion"] < 3


def test_reproducible_by_seed():
    a, b = _crops("mrw1d", 7)
    b = b + 0.05 * np.random.default_rng(0).standard_normal(b.shape)
    r1, r2 = compare(a, b, seed=3), compare(a, b, seed=3)
    pd.testing.assert_frame_equal(r1.table(), r2.table())
    assert r1.p_value == r2.p_value and r1.different == r2.different
    # a signal has more disjoint window pairs than n_null: another seed draws others
    r3 = compare(a, b, seed=4)
    assert not np.array_equal(r1.null_statistic["leaders"], r3.null_statistic["leaders"])
    # an image's default windows give 160 pairs in each texture (320 > n_null): a Generator
    # seed works like an int seed
    c, d = _crops("fbf", 7)
    r4 = compare(c, d, seed=np.random.default_rng(5), progress=False)
    assert r4.p_value == compare(c, d, seed=np.random.default_rng(5), progress=False).p_value
    assert r4.options["n_null"] == 199


def test_fine_scale_noise_is_located_at_fine_scales():
    a, b = _crops("fbf", 11)
    noisy = b + 0.3 * np.std(np.diff(b, axis=1)) * np.random.default_rng(1).standard_normal(b.shape)
    rep = compare(a, noisy)
    assert rep.different and {"leaders", "structure"} & set(rep.failing)
    for index in ["wavelet", *rep.failing]:
        top = rep.details(index).iloc[0]
        assert top["scale"] in {"j=1", "j=1-2"} and abs(top["z"]) > 5, (index, top)


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
    tab = study.table()
    assert len(repr(study)) < 300
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
