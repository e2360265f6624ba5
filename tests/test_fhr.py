"""Tests of textures_nb.fhr: loader (round trip and broken records), preprocessing against
a simulation with known spikes and gaps, gap-aware multiscale features against
log_cumulants and known H, classical features on constructed events, and the classifier
on simulated databases (signal: multiscale beats classical; null: AUC interval holds 0.5).

Tolerances: c1 of the cleaned recording within 0.05 of the clean simulation's (issue 18),
checked on 4 recordings each and on 24 with at most 2 outside (binomial threshold);
gap-aware c1 of fBm within 0.1 of H (the spread of c1 over 8192 samples is about 0.03).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from textures_nb import fhr
from textures_nb.multiscale import log_cumulants
from textures_nb.processes import fbm

wfdb = pytest.importorskip("wfdb")


# --------------------------------------------------------------------------- loader


def _write(folder, name, fhr_sig, uc=None, comments=(), names=("FHR", "UC")):
    sigs = [fhr_sig] if uc is None else [fhr_sig, uc]
    wfdb.wrsamp(
        name,
        fs=4,
        units=["bpm", "nd"][: len(sigs)],
        sig_name=list(names[: len(sigs)]),
        p_signal=np.column_stack(sigs),
        fmt=["16"] * len(sigs),
        comments=list(comments),
        write_dir=str(folder),
    )


CTU_COMMENTS = [
    "-- Outcome measures --",
    "pH           7.14",
    "BDecf        4.12",
    "pCO2         7.3",
    "BE           -5.2",
    "Apgar1       8",
    "Apgar5       9",
    "-- Labor related --",
    "Pos. II.st.  1200",
    "Len. II st.  10",
]


def test_parse_header_is_case_and_spacing_tolerant():
    variants = [["pH 7.14"], ["#PH:7.14"], ["  ph =   7.14 "], ["#pH           7.14"]]
    for v in variants:
        assert fhr.parse_header(v)["ph"] == 7.14, v
    out = fhr.parse_header(CTU_COMMENTS)
    assert out["bdecf"] == 4.12 and out["be"] == -5.2 and out["pco2"] == 7.3
    assert (out["apgar1"], out["apgar5"], out["stage2_start"]) == (8.0, 9.0, 1200.0)
    assert np.isnan(fhr.parse_header(["Pos. II.st.  -1"])["stage2_start"])
    assert np.isnan(fhr.parse_header(["-- Outcome measures --"])["ph"])


def test_wfdb_round_trip_values_rate_and_outcomes(tmp_path):
    rng = np.random.default_rng(0)
    truth = {}
    for i, name in enumerate(["1001", "1002", "1003"]):
        sig = np.round(130 + 10 * rng.random(800), 2)
        sig[100:140] = 0.0  # lost signal as monitors write it
        uc = np.round(20 + 30 * rng.random(800), 2)
        fhr.write_record(
            tmp_path, name, sig, uc, fs=4,
            outcomes={"pH": 7.0 + i / 10, "BDecf": 3.5, "Apgar1": 7, "Apgar5": 9,
                      "Pos. II.st.": 400 + i},
        )
        truth[name] = (sig, uc, 7.0 + i / 10, 400 + i)
    df = fhr.load_records(tmp_path, progress=False)
    assert list(df["record"]) == ["1001", "1002", "1003"]
    assert {"record", "fhr", "uc", "fs", "ph", "problem"} <= set(df.columns)
    for _, r in df.iterrows():
        sig, uc, ph, s2 = truth[r["record"]]
        np.testing.assert_allclose(r["fhr"], sig, atol=0.006)
        np.testing.assert_allclose(r["uc"], uc, atol=0.006)
        assert np.all(r["fhr"][100:140] == 0)
        assert r["fs"] == 4.0 and r["ph"] == pytest.approx(ph) and r["stage2_start"] == s2
        assert (r["bdecf"], r["apgar1"], r["apgar5"]) == (3.5, 7.0, 9.0)
        assert r["problem"] is None


def test_broken_records_are_reported_by_name_and_others_load(tmp_path):
    x = 140 + np.zeros(400)
    _write(tmp_path, "good", x, x / 7, CTU_COMMENTS)
    _write(tmp_path, "nofhr", x / 7, comments=CTU_COMMENTS, names=("UC",))
    _write(tmp_path, "noph", x, x / 7, ["Apgar1       8"])
    _write(tmp_path, "trunc", x, x / 7, CTU_COMMENTS)
    dat = tmp_path / "trunc.dat"
    dat.write_bytes(dat.read_bytes()[:500])
    (tmp_path / "nohea.dat").write_bytes(b"\x00" * 10)  # stray file: ignored
    (tmp_path / "badhead.hea").write_text("this is not a header\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = fhr.load_records(tmp_path, progress=False).set_index("record")
    messages = [str(w.message) for w in caught]
    for name in ("nofhr", "noph", "trunc", "badhead"):
        assert any(f"record {name!r}" in m for m in messages), (name, messages)
    assert "FHR" in df.loc["nofhr", "problem"] and df.loc["nofhr", "fhr"] is None
    assert df.loc["trunc", "problem"] and df.loc["trunc", "fhr"] is None
    assert df.loc["badhead", "problem"]
    assert df.loc["noph", "problem"] is None and np.isnan(df.loc["noph", "ph"])
    assert df.loc["noph", "warning"] == "no pH in the header" and df.loc["noph", "apgar1"] == 8
    assert df.loc["good", "problem"] is None and df.loc["good", "ph"] == 7.14
    np.testing.assert_allclose(df.loc["good", "fhr"], x)
    # features skip the broken rows, and say nothing silently
    feats = fhr.compute_features(df.reset_index(), deep=False, progress=False)
    assert set(feats.values["record"]) == {"good", "noph"}


def test_csv_alternative_with_outcomes_file_and_comments(tmp_path):
    t = np.arange(480) / 2.0  # 2 Hz, given by the time column
    pd.DataFrame({"time": t, "FHR": 140 + np.sin(t), "uc": 10 + t / 100}).to_csv(
        tmp_path / "a.csv", index=False)
    (tmp_path / "b.csv").write_text("#pH 7.01\nfhr\n" + "\n".join(["150"] * 100) + "\n")
    pd.DataFrame({"record": ["a"], "pH": [7.3], "Apgar5": [10]}).to_csv(
        tmp_path / "outcomes.csv", index=False)
    df = fhr.load_records(tmp_path, progress=False).set_index("record")
    assert df.loc["a", "fs"] == 2.0 and df.loc["a", "ph"] == 7.3 and df.loc["a", "apgar5"] == 10
    np.testing.assert_allclose(df.loc["a", "fhr"], 140 + np.sin(t))
    assert df.loc["b", "ph"] == 7.01 and df.loc["b", "fs"] == 4.0 and df.loc["b", "uc"] is None


def test_loader_errors_name_the_argument(tmp_path):
    with pytest.raises(ValueError, match="`path`"):
        fhr.load_records(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="no WFDB header"):
        fhr.load_records(tmp_path)


# --------------------------------------------------------------------------- preprocessing


def _check_spikes_and_gaps(sim, clean):
    truth = set(sim.spikes.tolist())
    # every spike removed: by the spike rule, or as out of range (beyond 50-220 bpm)
    assert clean.missing[sim.spikes].all()
    assert set(clean.spikes.tolist()) <= truth  # nothing else removed as a spike
    out = np.flatnonzero(~np.isin(np.arange(sim.fhr.size), clean.spikes) & clean.missing)
    assert set(out.tolist()) & truth == {i for i in truth if not 50 <= sim.fhr[i] <= 220}
    # spikes are >= 4 s from gaps: the lost-signal rows are the inserted gaps, exactly
    g = clean.gaps[clean.gaps["n_lost"] > 0]
    assert (g["n_lost"] == g["length"]).all()
    assert [tuple(r) for r in g[["start", "length"]].to_numpy()] == [tuple(x) for x in sim.gaps]
    other = clean.gaps[clean.gaps["n_lost"] == 0]
    assert (other["n_spike"] + other["n_out_of_range"] == other["length"]).all()
    assert other["length"].sum() == len(truth)


# seeds 13 and 16 hold spikes beyond 220 bpm (removed as out of range)
@pytest.mark.parametrize("seed", [0, 1, 13, 16])
def test_preprocess_removes_every_spike_reports_exact_gaps_and_keeps_c1(seed):
    sim = fhr.simulate_recording(minutes=60, seed=seed)
    assert sim.spikes.size > 10 and len(sim.gaps) > 5
    clean = fhr.preprocess(sim.fhr, sim.fs)
    _check_spikes_and_gaps(sim, clean)
    # long gaps kept as NaN, short ones interpolated
    long = clean.gaps[~clean.gaps["interpolated"]]
    assert (long["seconds"] > 15).sum() + (long["start"] == 0).sum() + (
        long["start"] + long["length"] == sim.fhr.size).sum() >= len(long)
    assert np.isnan(clean.fhr).sum() == long["length"].sum()
    ok = ~np.isnan(clean.fhr)
    assert np.abs(clean.fhr[ok] - sim.clean[ok]).max() < 30  # no spike left
    c1_clean = fhr.multiscale_features(clean)["c1"]
    c1_truth = log_cumulants(sim.clean, scales=(3, 7)).c1
    assert abs(c1_clean - c1_truth) < 0.05, (c1_clean, c1_truth)
    # the gap-aware estimator uses no value at a missing sample: spikes and the interpolation
    # of short gaps leave no trace, whatever was written there
    same = sim.clean.copy()
    same[clean.missing] = np.nan
    assert fhr.multiscale_features(same, missing=clean.missing)["c1"] == c1_clean


def _c1_errors(seeds, gap_mode="reflect"):
    """c1 of each cleaned recording (60 min, gap-aware) minus c1 of its clean simulation."""
    out = []
    for params, seed in seeds:
        sim = fhr.simulate_recording(params, minutes=60, seed=seed)
        clean = fhr.preprocess(sim.fhr, sim.fs)
        c1 = fhr.multiscale_features(clean, gap_mode=gap_mode)["c1"]
        out.append(c1 - fhr.multiscale_features(sim.clean, gap_mode=gap_mode)["c1"])
    return np.array(out)


def test_cleaned_c1_estimates_the_clean_c1_over_many_recordings():
    # issue 18: c1 of the cleaned recording within 0.05 of the clean simulation's. 12 + 12
    # recordings (seeds never used to develop the estimator); 0 of 440 fell outside in
    # benchmarks/results_fhr.md, so allow 2 of 24: if 3 % of recordings fell outside, 3 or
    # more of 24 would happen with probability 0.034; with the 12 % of the former estimator,
    # with probability 0.56.
    seeds = [(p, 700 + i) for p in (fhr.NORMAL, fhr.ACIDOTIC) for i in range(12)]
    err = _c1_errors(seeds)
    assert (np.abs(err) >= 0.05).sum() <= 2, err.round(3)
    assert np.sqrt(np.mean(err**2)) < 0.025 and abs(err.mean()) < 0.015, err.round(3)
    # the former estimator (leaders touching a gap dropped) loses the coarse scales near
    # every gap and is about twice as far from the truth on the same recordings
    old = _c1_errors(seeds[::3], gap_mode="drop")
    assert np.sqrt(np.mean(old**2)) > 1.5 * np.sqrt(np.mean(err[::3] ** 2)), (old, err[::3])


def test_spike_rule_keeps_a_level_change_and_a_deceleration():
    x = np.r_[np.full(400, 140.0), np.full(400, 100.0)]  # a 40-bpm step that stays
    assert fhr.preprocess(x).spikes.size == 0
    t = np.arange(800)
    dip = 140 - 50 * np.exp(-(((t - 400) / 60.0) ** 2))  # a 50-bpm deceleration over ~30 s
    assert fhr.preprocess(dip).spikes.size == 0
    y = dip.copy()
    y[200:204] = 210.0
    assert fhr.preprocess(y).spikes.tolist() == [200, 201, 202, 203]
    # signal lost for 12 s in the fall of a deceleration: the level moved by 30 bpm, no spike,
    # and the gap is reported with its exact length; a 60-bpm spike after a 2-s loss is one
    z = dip.copy()
    z[330:378] = 0.0
    assert abs(z[378] - z[329]) > 30
    c = fhr.preprocess(z)
    assert c.spikes.size == 0 and c.gaps[["start", "length"]].values.tolist() == [[330, 48]]
    assert fhr.preprocess(z, max_slope=0).spikes.size > 0  # the bare 25-bpm rule
    z[600:608] = 0.0
    z[608:611] += 60
    assert fhr.preprocess(z).spikes.tolist() == [608, 609, 610]


def test_preprocess_errors():
    with pytest.raises(ValueError, match="`fhr` must be 1D"):
        fhr.preprocess(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="`valid_range`"):
        fhr.preprocess(np.ones(10), valid_range=(200, 50))


def test_windows_and_missing_share():
    w = fhr.windows(4 * 60 * 40, 4.0, last_minutes=30, stage2_start=4 * 60 * 30)
    assert (w["last"].start, w["stage1"].start, w["stage1"].stop) == (2400, 0, 7200)
    assert (w["stage2"].start, w["stage2"].stop) == (7200, 9600)
    assert set(fhr.windows(100, 4.0, stage2_start=float("nan"))) == {"last"}
    x = 140 + np.zeros(1000)
    x[:250] = 0
    assert fhr.preprocess(x).missing_share(slice(0, 500)) == 0.5


# --------------------------------------------------------------------------- features


def test_gap_aware_multiscale_equals_log_cumulants_without_gaps():
    x = 140 + 3 * fbm(2**13, 0.6, seed=3)
    f = fhr.multiscale_features(x, scales=(3, 7))
    ref = log_cumulants(x, scales=(3, 7), n_cumul=2)
    assert f["c1"] == pytest.approx(ref.c1, abs=1e-10)
    assert f["c2"] == pytest.approx(ref.c2, abs=1e-10)
    ref_d = log_cumulants(x, scales=(3, 7), leaders=False, n_cumul=1)
    assert abs(f["H"] - ref_d.c1) < 0.05  # zeta(2)/2 vs c1 of |d|: equal for fBm


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_gap_aware_multiscale_recovers_H_with_long_gaps(seed):
    H = 0.7
    x = 140 + 2 * fbm(2**14, H, seed=seed)
    rng = np.random.default_rng(seed)
    for s in rng.choice(2**14 - 600, 6, replace=False):
        x[s : s + 400] = np.nan
    f = fhr.multiscale_features(x)
    assert abs(f["c1"] - H) < 0.1 and abs(f["H"] - H) < 0.1 and f["ms_problem"] is None


def test_multiscale_reports_too_short_segments():
    x = 140 + np.random.default_rng(0).standard_normal(4000).cumsum()
    gaps = np.arange(x.size) % 800 >= 200  # 50 s observed, 150 s lost, and again
    x[gaps] = np.nan
    for mode in ("reflect", "drop"):  # no leader at 32 s mostly on observed data
        f = fhr.multiscale_features(x, gap_mode=mode)
        assert np.isnan(f["c1"]) and "too few leaders" in f["ms_problem"], mode
    # one lost sample every 50 s: every leader is mostly on observed data ("reflect"), while
    # no contiguous segment is long enough for 32 s ("drop")
    y = 140 + np.random.default_rng(0).standard_normal(4000).cumsum()
    full = fhr.multiscale_features(y)["c1"]
    y[::200] = np.nan
    assert abs(fhr.multiscale_features(y)["c1"] - full) < 0.02
    assert "too few leaders" in fhr.multiscale_features(y, gap_mode="drop")["ms_problem"]


def test_multiscale_errors_name_the_argument():
    x = 140 + np.random.default_rng(0).standard_normal(3000).cumsum()
    with pytest.raises(ValueError, match="`missing` must be a boolean array"):
        fhr.multiscale_features(x, missing=np.zeros(10, dtype=bool))
    with pytest.raises(ValueError, match="`gap_mode`"):
        fhr.multiscale_features(x, gap_mode="interpolate")
    assert "too few leaders" in fhr.multiscale_features(np.full(3000, np.nan))["ms_problem"]


def test_classical_features_on_constructed_events():
    fs = 4.0
    t = np.arange(int(20 * 60 * fs)) / fs
    x = 135 + 2 * np.sin(2 * np.pi * t / 30)
    for s in (120, 480, 840):  # three 30-s decelerations of 30 bpm
        x[int(s * fs) : int((s + 30) * fs)] -= 30
    x[int(600 * fs) : int(640 * fs)] += 25  # one 40-s acceleration
    x[int(650 * fs) : int(655 * fs)] += 25  # 5 s: too short to count
    f = fhr.classical_features(x, fs)
    assert (f["n_dec"], f["n_acc"]) == (3, 1)
    assert abs(f["baseline"] - 135) < 1.5
    assert f["dec_time"] == pytest.approx(90 * fs / x.size, rel=0.05)
    # STV of a staircase: epoch means differ by exactly 1 bpm
    stairs = 140 + np.repeat(np.arange(160) % 2, 15).astype(float)
    assert fhr.classical_features(stairs, 4.0)["stv"] == pytest.approx(1.0)
    assert fhr.classical_features(np.full(40, np.nan), 4.0)["cl_problem"]


def test_deep_features_are_finite_and_skip_gaps():
    x = 140 + np.random.default_rng(0).standard_normal(2000).cumsum() / 5
    a = fhr.deep_features(x)
    y = x.copy()
    y[1000:1100] = np.nan
    b = fhr.deep_features(y)
    assert a.shape == b.shape == (40,) and np.isfinite(b).all() and not np.allclose(a, b)
    assert np.isnan(fhr.deep_features(np.full(50, 140.0))).all()


# --------------------------------------------------------------------------- classifier


def _auc_table(seed, acidotic):
    db = fhr.simulate_database(100, minutes=32, acidotic=acidotic, seed=seed, progress=False)
    feats = fhr.compute_features(db, deep=False, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows with too short windows
        cmp = fhr.compare_feature_sets(feats, ["classical", "multiscale"], n_repeats=2,
                                       progress=False)
    return cmp.table()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_multiscale_beats_classical_on_differing_classes(seed):
    t = _auc_table(seed, None)
    assert t.loc["multiscale", "auc"] > t.loc["classical", "auc"]
    assert t.loc["multiscale", "auc_low"] > 0.5


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_identical_classes_give_chance_auc(seed):
    t = _auc_table(seed, fhr.NORMAL)
    assert (t["auc_low"] < 0.5).all() and (t["auc_high"] > 0.5).all(), t


def test_classify_probabilities_calibrated_and_confidence():
    rng = np.random.default_rng(0)
    n = 200
    y = rng.random(n) < 0.2
    ph = np.where(y, 7.0, 7.25)
    v = pd.DataFrame({"record": [f"r{i}" for i in range(n)], "window": "last", "ph": ph,
                      "a": y + rng.normal(0, 0.7, n), "noise": rng.normal(size=n)})
    feats = fhr.FHRFeatures(v, {"a": ["a"], "noise": ["noise"]})
    res = fhr.classify(feats, feature_set="a", n_repeats=3, progress=False)
    tab = res.table()
    assert res.n_pos == int(y.sum()) and tab.shape[0] == n
    assert (tab["prob_low"] <= tab["prob"]).all() and (tab["prob"] <= tab["prob_high"]).all()
    assert abs(tab["prob"].mean() - y.mean()) < 0.05  # calibrated to the real class share
    assert tab.loc[tab["y"] == 1, "prob"].mean() > tab.loc[tab["y"] == 0, "prob"].mean()
    assert res.auc_low < res.auc < res.auc_high and res.fold_auc.shape == (3, 5)
    assert len(repr(res)) < 300 and res.plot().data


def test_classify_errors_name_the_problem():
    v = pd.DataFrame({"record": range(20), "window": "last", "ph": [7.0] * 3 + [7.3] * 17,
                      "a": np.arange(20.0)})
    feats = fhr.FHRFeatures(v, {"a": ["a"]})
    with pytest.raises(ValueError, match="n_splits=5"):
        fhr.classify(feats, feature_set="a", progress=False)
    with pytest.raises(ValueError, match="`feature_set`"):
        fhr.classify(feats, feature_set="nope", progress=False)
    with pytest.raises(TypeError, match="FHRFeatures"):
        fhr.classify(v)


# --------------------------------------------------------------------------- simulator


def test_simulator_classes_differ_in_documented_directions():
    p, q = fhr.NORMAL, fhr.ACIDOTIC
    assert q.H > p.H and q.lam > p.lam and q.dec_prob > p.dec_prob
    assert q.dec_depth > p.dec_depth and q.acc_rate < p.acc_rate
    sims = [fhr.simulate_recording(p, minutes=30, seed=s, artefacts=False) for s in range(3)]
    for s in sims:
        assert s.spikes.size == 0 and not s.gaps and (s.fhr == s.clean).all()
        assert 80 < np.median(s.fhr) < 200 and s.uc.min() >= 0
    rec = fhr.simulate_recording(q, minutes=30, seed=0)
    share = (rec.fhr == 0).mean()
    assert 0.03 < share < 0.2 and len(repr(rec)) < 300
    assert fhr.simulate_recording(q, minutes=30, seed=0).fhr.tolist() == rec.fhr.tolist()
    fig = rec.plot()
    assert len(fig.data) >= 3


@pytest.mark.slow
def test_features_do_not_depend_on_the_number_of_workers():
    db = fhr.simulate_database(6, minutes=12, seed=0, progress=False)
    one = fhr.compute_features(db, last_minutes=10, progress=False).values
    two = fhr.compute_features(db, last_minutes=10, n_jobs=2, progress=False).values
    pd.testing.assert_frame_equal(one, two)
    assert set(one["window"]) == {"last", "stage1", "stage2"} and len(one) == 18
