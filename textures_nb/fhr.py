"""Intrapartum fetal heart rate (FHR): records, preprocessing, features, simulator, classifier.

From a folder of cardiotocograms (CTG) to a classification of acidosis with a
confidence per recording:

1. :func:`load_records` reads WFDB records as in the open CTU-UHB database
   (signals ``FHR`` in bpm and ``UC`` at 4 Hz, outcomes in the header comments)
   or plain CSV files, into one table row per record; a broken record is
   reported and never stops the others.
2. :func:`preprocess` cleans one FHR trace (missing samples, spikes, gaps) and
   :func:`windows` cuts the last minutes and the stage 1 / stage 2 windows.
3. :func:`multiscale_features` (gap-aware ``c1, c2, H``),
   :func:`classical_features` (baseline, STV, LTV, accelerations,
   decelerations) and :func:`deep_features` (a random multiscale network) per
   window; :func:`compute_features` runs all three over a table of records.
4. :func:`simulate_recording` / :func:`simulate_database`: realistic stand-in
   recordings of two classes (normal / acidotic) to learn the method without data.
5. :func:`classify` and :func:`compare_feature_sets`: cross-validated, calibrated,
   class-imbalance-aware logistic regression of ``pH < threshold``, repeated
   over fold draws to give each recording a probability interval.

Conventions
-----------
- Times are in samples of the record (``fs`` Hz, 4 Hz in CTU-UHB); durations in
  the arguments are in seconds or minutes as their names say.
- Missing FHR samples are NaN after :func:`preprocess`; monitors write 0 for a
  lost signal, and values outside ``valid_range`` are treated as missing.

References
----------
Chudacek et al. (2014), "Open access intrapartum CTG database", BMC Pregnancy
and Childbirth 14:16. Doret, Spilka, Chudacek, Goncalves, Abry (2015), "Fractal
analysis and Hurst parameter for intrapartum fetal heart rate variability
analysis", PLoS ONE 10(8). Abry, Roux, Chudacek, Borgnat, Goncalves, Doret
(2013), "Hurst exponent and intrapartum acidosis prediction", ICASSP. FIGO
(2015) consensus guidelines on intrapartum fetal monitoring (Ayres-de-Campos
et al., Int. J. Gynecol. Obstet. 131). Dawes, Redman et al. (1991) for STV/LTV.
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._checks import as_generator, check_in_range, check_positive_int
from ._shared.progress import tqdm
from ._shared.wavelets import slopes as _slopes
from ._shared.wavelets import wavelet as _wavelet

__all__ = [
    "parse_header",
    "write_record",
    "load_records",
    "CleanFHR",
    "preprocess",
    "windows",
    "multiscale_features",
    "classical_features",
    "deep_features",
    "FHRFeatures",
    "compute_features",
    "FHRParams",
    "NORMAL",
    "ACIDOTIC",
    "SimulatedFHR",
    "simulate_recording",
    "simulate_database",
    "plot_recording",
    "FHRClassification",
    "classify",
    "FHRComparison",
    "compare_feature_sets",
]

# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------

#: Header keys parsed into named columns (keys are compared lower-case, without
#: spaces, dots, underscores, brackets): CTU-UHB spelling -> column.
HEADER_KEYS = {
    "ph": "ph",
    "bdecf": "bdecf",
    "pco2": "pco2",
    "be": "be",
    "apgar1": "apgar1",
    "apgar5": "apgar5",
    "gestweeks": "gest_weeks",
    "posiist": "stage2_start",
    "leniist": "stage2_length",
}
_OUTCOME_COLUMNS = ("ph", "bdecf", "pco2", "be", "apgar1", "apgar5", "stage2_start")
_LINE = re.compile(
    r"^\s*#?\s*([A-Za-z][^:=]*?)(?:\s*[:=]\s*|\s+)([-+]?(?:\d+\.?\d*|\.\d+)|nan|NaN)\s*$"
)


def _norm_key(key: str) -> str:
    return re.sub(r"[\s._()\[\]-]+", "", key).lower()


def parse_header(comments) -> dict:
    """Outcomes parsed from WFDB header comments (CTU-UHB layout), robust to case and spacing.

    A comment line is ``<key> <number>`` (an optional ``#``, ``:`` or ``=`` is
    accepted); keys are compared lower-case without spaces, dots, underscores
    and brackets, so ``'pH 7.14'``, ``'#PH: 7.14'`` and ``'ph=7.14'`` agree.
    Parsed into named entries: ``pH -> ph``, ``BDecf -> bdecf``, ``pCO2 ->
    pco2``, ``BE -> be``, ``Apgar1 -> apgar1``, ``Apgar5 -> apgar5``, ``Gest.
    weeks -> gest_weeks``, ``Pos. II.st. -> stage2_start`` (sample index of the
    onset of stage 2; ``-1`` or absent gives NaN) and ``Len. II st. ->
    stage2_length``. Every other numeric line is kept under its normalised key;
    lines without a number (section titles) are ignored.

    Parameters
    ----------
    comments : sequence of str
        Header comment lines (``wfdb.Record.comments``).

    Returns
    -------
    dict
        Column name -> float (NaN for absent ``ph``, ``bdecf``, ``pco2``, ``be``,
        ``apgar1``, ``apgar5``, ``stage2_start``).

    Examples
    --------
    >>> from textures_nb.fhr import parse_header
    >>> out = parse_header(["-- Outcome --", "pH           7.14", "#Apgar1  8", "Pos. II.st.  -1"])
    >>> out["ph"], out["apgar1"], out["stage2_start"], out["bdecf"]
    (7.14, 8.0, nan, nan)
    """
    if isinstance(comments, str):
        comments = comments.splitlines()
    out = {c: math.nan for c in _OUTCOME_COLUMNS}
    for line in comments:
        m = _LINE.match(str(line))
        if not m:
            continue
        key = _norm_key(m.group(1))
        out[HEADER_KEYS.get(key, key)] = float(m.group(2))
    if not out["stage2_start"] >= 0:  # CTU-UHB writes -1 when stage 2 was not reached
        out["stage2_start"] = math.nan
    return out


def write_record(
    folder, record: str, fhr, uc=None, *, fs: float = 4.0, outcomes: dict | None = None
) -> Path:
    """Write one recording as a CTU-UHB-style WFDB record (``<record>.hea`` + ``.dat``).

    Parameters
    ----------
    folder : str or Path
        Existing folder.
    record : str
        Record name (file stem).
    fhr : array_like, shape (T,)
        FHR in bpm; NaN (missing) is written as 0, as monitors do.
    uc : array_like, shape (T,), optional
        Uterine contractions (mmHg or arbitrary units).
    fs : float, default 4
        Sampling rate in Hz.
    outcomes : dict, optional
        Header lines ``{"pH": 7.14, "Apgar1": 8, "Pos. II.st.": 14400}``.

    Returns
    -------
    Path
        Path of the header file.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from textures_nb.fhr import write_record, load_records
    >>> d = tempfile.mkdtemp()
    >>> _ = write_record(d, "r1", 140 + np.zeros(480), fs=4, outcomes={"pH": 7.2})
    >>> load_records(d)[["record", "fs", "ph"]].to_dict("records")
    [{'record': 'r1', 'fs': 4.0, 'ph': 7.2}]
    """
    folder = Path(folder)
    fhr = np.nan_to_num(np.asarray(fhr, dtype=float), nan=0.0)
    sigs, names, units = [fhr], ["FHR"], ["bpm"]
    if uc is not None:
        sigs.append(np.nan_to_num(np.asarray(uc, dtype=float), nan=0.0))
        names.append("UC")
        units.append("nd")
    comments = [f"{k:<13}{v}" for k, v in (outcomes or {}).items()]
    sig = np.column_stack(sigs)
    # fixed gain 100 (0.01 bpm steps) and zero offset, as CTU-UHB: 0 stays exactly 0 (missing)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*inplace keyword.*")
        _wfdb().wrsamp(
            str(record),
            fs=float(fs),
            units=units,
            sig_name=names,
            d_signal=np.round(sig * 100).astype(np.int32),
            fmt=["16"] * len(names),
            adc_gain=[100.0] * len(names),
            baseline=[0] * len(names),
            comments=comments,
            write_dir=str(folder),
        )
    return folder / f"{record}.hea"


def _find_channel(names, wanted: str):
    for i, n in enumerate(names):
        if str(n).strip().lower() == wanted.lower():
            return i
    return None


def _empty_row(name: str) -> dict:
    row = {"record": name, "fhr": None, "uc": None, "fs": math.nan}
    row.update({c: math.nan for c in _OUTCOME_COLUMNS})
    row.update(problem=None, warning=None)
    return row


def _wfdb():
    with warnings.catch_warnings():  # wfdb 4.3 triggers pandas deprecation warnings on import
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*inplace keyword.*")
        import wfdb
    return wfdb


def _read_wfdb(path: Path) -> dict:
    row = _empty_row(path.stem)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*inplace keyword.*")
        rec = _wfdb().rdrecord(str(path.with_suffix("")))
    i = _find_channel(rec.sig_name, "FHR")
    if i is None:
        raise ValueError(f"no 'FHR' channel (channels: {list(rec.sig_name)})")
    j = _find_channel(rec.sig_name, "UC")
    row["fhr"] = np.asarray(rec.p_signal[:, i], dtype=float)
    row["uc"] = None if j is None else np.asarray(rec.p_signal[:, j], dtype=float)
    row["fs"] = float(rec.fs)
    row.update(parse_header(rec.comments or []))
    return row


def _read_csv(path: Path, fs: float, outcomes) -> dict:
    import pandas as pd

    row = _empty_row(path.stem)
    comments = [ln for ln in path.read_text().splitlines() if ln.lstrip().startswith("#")]
    df = pd.read_csv(path, comment="#")
    cols = {c.strip().lower(): c for c in df.columns}
    if "fhr" not in cols:
        raise ValueError(f"no 'fhr' column (columns: {list(df.columns)})")
    row["fhr"] = df[cols["fhr"]].to_numpy(dtype=float)
    row["uc"] = df[cols["uc"]].to_numpy(dtype=float) if "uc" in cols else None
    row["fs"] = float(fs)
    for tcol in ("time", "seconds", "t"):
        if tcol in cols and len(df) > 1:
            row["fs"] = float(1.0 / np.median(np.diff(df[cols[tcol]].to_numpy(dtype=float))))
            break
    row.update(parse_header(comments))
    if outcomes is not None and path.stem in outcomes.index:
        for k, v in outcomes.loc[path.stem].items():
            key = _norm_key(str(k))
            row[HEADER_KEYS.get(key, key)] = v
    return row


def load_records(path, *, fs: float = 4.0, progress: bool = True):
    """Load a folder of FHR recordings (WFDB records or CSV files) into a table.

    WFDB (CTU-UHB layout): each ``<name>.hea`` with its signal file; the FHR
    channel is the one named ``FHR`` (case-insensitive), ``UC`` is optional;
    outcomes come from the header comments (:func:`parse_header` lists the keys).
    CSV: each ``<name>.csv`` with a column ``fhr`` (bpm), optionally ``uc`` and
    ``time`` (seconds; gives the sampling rate, else ``fs``); outcome lines may
    open the file as ``#`` comments, or sit in ``outcomes.csv`` (column
    ``record`` plus e.g. ``pH``) in the same folder.

    A record that cannot be read (missing FHR channel, truncated signal file,
    unreadable header) gives a warning naming it and a row with ``fhr=None``
    and the reason in ``problem``; the other records still load. A record
    without pH loads with ``ph=NaN`` and a warning (also in ``warning``).

    Parameters
    ----------
    path : str or Path
        A folder, or a single ``.hea`` / ``.csv`` file.
    fs : float, default 4
        Sampling rate (Hz) of CSV files without a ``time`` column.
    progress : bool, default True
        Show a progress bar over records.

    Returns
    -------
    pandas.DataFrame
        One row per record, sorted by name, with columns ``record``, ``fhr``
        (ndarray, bpm, 0 kept as written), ``uc`` (ndarray or None), ``fs`` (Hz),
        ``ph``, ``bdecf``, ``pco2``, ``be``, ``apgar1``, ``apgar5``,
        ``stage2_start`` (samples; NaN when absent), ``problem`` and ``warning``
        (None when fine), plus any other numeric header key.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from textures_nb.fhr import write_record, load_records
    >>> d = tempfile.mkdtemp()
    >>> _ = write_record(d, "a", 140 + np.zeros(400), 20 + np.zeros(400), outcomes={"pH": 7.3})
    >>> df = load_records(d, progress=False)
    >>> df.loc[0, "fhr"][:2], df.loc[0, "uc"].shape, float(df.loc[0, "ph"])
    (array([140., 140.]), (400,), 7.3)
    """
    import pandas as pd

    fs = check_in_range(fs, "fs", 0.0, math.inf)
    root = Path(path)
    if root.is_dir():
        files = sorted(root.glob("*.hea")) + sorted(
            p for p in root.glob("*.csv") if p.name != "outcomes.csv"
        )
    elif root.is_file() and root.suffix in (".hea", ".csv"):
        files, root = [root], root.parent
    else:
        raise ValueError(
            f"`path`={str(path)!r} is neither a folder nor a .hea/.csv file; pass the folder "
            "holding the records (e.g. the CTU-UHB 'ctu-uhb-ctgdb' folder)."
        )
    if not files:
        raise ValueError(
            f"`path`={str(path)!r} holds no WFDB header (.hea) or CSV file; check the folder."
        )
    outcomes = None
    if (root / "outcomes.csv").is_file():
        outcomes = pd.read_csv(root / "outcomes.csv")
        if "record" not in outcomes.columns:
            raise ValueError(
                f"{root / 'outcomes.csv'} has no 'record' column; add one naming each CSV stem."
            )
        outcomes = outcomes.astype({"record": str}).set_index("record")
    rows = []
    for f in tqdm(files, desc="records", disable=not progress):
        try:
            row = _read_wfdb(f) if f.suffix == ".hea" else _read_csv(f, fs, outcomes)
            if row["fhr"].size == 0:
                raise ValueError("the FHR signal is empty")
        except Exception as exc:  # one broken record never stops the others
            row = _empty_row(f.stem)
            row["problem"] = f"{type(exc).__name__}: {exc}"
            warnings.warn(
                f"record {f.stem!r} ({f.name}) could not be loaded, skipped: {row['problem']}",
                RuntimeWarning,
                stacklevel=2,
            )
        else:
            if not np.isfinite(row["ph"]):
                row["warning"] = "no pH in the header"
                warnings.warn(
                    f"record {f.stem!r} ({f.name}): no pH in the header comments; ph is NaN "
                    "(the record is kept; classify() leaves it out).",
                    RuntimeWarning,
                    stacklevel=2,
                )
        rows.append(row)
    df = pd.DataFrame(rows)
    for col in ("problem", "warning"):  # None when fine (not NaN), whatever pandas infers
        df[col] = pd.Series([r[col] for r in rows], index=df.index, dtype=object)
    return df.sort_values("record", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------
# Preprocessing
# --------------------------------------------------------------------------


@dataclass
class CleanFHR:
    """A cleaned FHR trace and what was done to it (see :func:`preprocess`).

    Attributes
    ----------
    fhr : ndarray, shape (T,)
        Cleaned FHR (bpm): spikes removed, short gaps linearly interpolated,
        long gaps (and gaps at the borders) NaN.
    missing : ndarray of bool, shape (T,)
        Samples not measured in the raw trace (0, NaN, out of range) or removed
        as spikes: the missing data before interpolation.
    spikes : ndarray of int
        Indices of the samples removed as spikes.
    gaps : pandas.DataFrame
        One row per run of missing samples: ``start``, ``length`` (samples),
        ``seconds``, ``n_lost`` (samples at 0 or NaN: lost signal),
        ``n_out_of_range`` (outside ``valid_range``), ``n_spike`` (removed by the
        spike rule; a spike beyond ``valid_range`` counts as out of range),
        ``interpolated`` (bool).
    fs : float
        Sampling rate (Hz).
    raw : ndarray, shape (T,)
        The input trace (for plots).
    options : dict
        The cleaning settings used (``valid_range``, ``spike_jump``, ``max_interp``, ``max_slope``).

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.fhr import preprocess
    >>> x = 140 + np.zeros(400)
    >>> x[200:300] = 0.0                       # 25 s of lost signal: kept as a gap
    >>> c = preprocess(x)
    >>> type(c).__name__, int(c.missing.sum()), c.table()["interpolated"].tolist()
    ('CleanFHR', 100, [False])
    >>> c.missing_share(), c.spikes.size
    (0.25, 0)
    """

    fhr: np.ndarray = field(repr=False)
    missing: np.ndarray = field(repr=False)
    spikes: np.ndarray = field(repr=False)
    gaps: object = field(repr=False)
    fs: float
    options: dict = field(default_factory=dict, repr=False)
    raw: np.ndarray | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        g = self.gaps
        n_long = int((~g["interpolated"]).sum()) if hasattr(g, "columns") and len(g) else 0
        return (
            f"CleanFHR({self.fhr.size} samples at {self.fs:g} Hz, {self.missing.mean():.1%} "
            f"missing, {self.spikes.size} spike samples, {len(self.gaps)} gaps "
            f"({n_long} kept as gaps))"
        )

    def table(self):
        """The gaps, one row each (a copy of ``.gaps``)."""
        return self.gaps.copy()

    def missing_share(self, window: slice = slice(None)) -> float:
        """Share of missing samples (before interpolation) in ``window``."""
        m = self.missing[window]
        return float(m.mean()) if m.size else math.nan

    def plot(self, *, uc=None, title: str | None = None):
        """FHR before and after cleaning (``uc`` below when given); see :func:`plot_recording`."""
        return plot_recording(self, uc=uc, fs=self.fs, title=title)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and (exclusive) stops of the runs of True in a boolean array."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def _spike_samples(x, valid, jump, max_len, max_gap, slope=0.0):
    """Indices removed by the spike rule (see :func:`preprocess`); ``slope`` in bpm/sample."""
    idx = np.flatnonzero(valid)
    if idx.size < 2:
        return np.zeros(0, dtype=int)
    v = x[idx]
    steps = np.abs(np.diff(v))
    dt = np.diff(idx)
    close = dt <= max_gap  # a jump across a long gap is a new start, not a spike
    # across a short gap the heart rate may have moved: allow slope x the time lost
    jumps = np.flatnonzero((steps > jump + slope * (dt - 1)) & close) + 1
    out = []
    end = 0
    for k in jumps:
        if k <= end:  # inside a spike, or its return jump
            continue
        ref = v[k - 1]
        stop = np.searchsorted(idx, idx[k] + max_len)  # look at most max_len samples ahead
        back = np.flatnonzero(np.abs(v[k:stop] - ref) <= jump)
        if back.size == 0:
            continue  # no return within max_len: a level change, kept
        end = k + int(back[0])
        out.append(idx[k:end])
    return np.concatenate(out) if out else np.zeros(0, dtype=int)


def preprocess(
    fhr,
    fs: float = 4.0,
    *,
    valid_range: tuple[float, float] = (50.0, 220.0),
    spike_jump: float = 25.0,
    max_spike: float = 30.0,
    max_interp: float = 15.0,
    max_slope: float = 3.0,
) -> CleanFHR:
    """Clean an FHR trace: missing samples, spikes, short and long gaps.

    Rules, in order (as in the FHR literature, e.g. Doret et al. 2015, with
    stated simplifications):

    1. **Missing**: NaN, 0 (a monitor's lost signal) and values outside
       ``valid_range`` are missing.
    2. **Spikes**: going through the valid samples, a jump of more than
       ``spike_jump`` bpm from the last accepted sample starts an artefact; it
       lasts until the first sample back within ``spike_jump`` bpm of that
       last accepted value, and its samples become missing. If the trace does
       not come back within ``max_spike`` seconds, the jump is a change of
       level, not a spike, and is kept. Across a short gap of ``t`` seconds
       the threshold is ``spike_jump + max_slope * t``: the heart rate goes on
       moving while the signal is lost (an abrupt deceleration reaches its
       nadir in less than 30 s, FIGO), and with the bare threshold the samples
       after a gap within a deceleration were removed as a spike, lengthening
       the reported gap (9 of 600 simulated hours). Jumps across a gap longer than
       ``max_interp`` are not tested (the level may have moved during it).
       A trace that starts on a spike is not corrected (no reference).
    3. **Short gaps** (runs of missing samples of at most ``max_interp``
       seconds, with valid samples on both sides) are linearly interpolated;
       **long gaps** and gaps at the borders stay NaN and are reported with
       their exact lengths in ``.gaps`` (never interpolated: the multiscale
       features use only what lies on observed data, see
       :func:`multiscale_features`, which takes the CleanFHR itself).

    Parameters
    ----------
    fhr : array_like, shape (T,)
        Raw FHR in bpm (NaN and 0 allowed).
    fs : float, default 4
        Sampling rate (Hz).
    valid_range : (float, float), default (50, 220)
        Plausible FHR in bpm.
    spike_jump : float, default 25
        Jump (bpm between consecutive valid samples) that starts a spike.
    max_spike : float, default 30
        Longest spike (seconds).
    max_interp : float, default 15
        Longest gap (seconds) that is interpolated.
    max_slope : float, default 3
        Fastest plausible FHR change (bpm/s) while the signal is lost (above).

    Returns
    -------
    CleanFHR
        ``.fhr`` cleaned, ``.missing``, ``.spikes``, ``.gaps`` (a table).

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.fhr import preprocess
    >>> x = 140 + np.sin(np.arange(400) / 9)
    >>> x[100:103] = 70.0                      # a 3-sample spike (halved count)
    >>> x[200:300] = 0.0                       # 25 s of lost signal
    >>> c = preprocess(x)
    >>> c.spikes.tolist(), c.gaps[["start", "length", "interpolated"]].values.tolist()
    ([100, 101, 102], [[100, 3, True], [200, 100, False]])
    """
    x = np.asarray(fhr, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"`fhr` must be 1D (T,), got shape {x.shape}; pass one recording.")
    if x.size == 0:
        raise ValueError("`fhr` is empty; pass a recording with samples.")
    fs = check_in_range(fs, "fs", 0.0, math.inf)
    lo, hi = (float(v) for v in valid_range)
    if not lo < hi:
        raise ValueError(f"`valid_range` must be (low, high) with low < high, got {valid_range}.")
    spike_jump = check_in_range(spike_jump, "spike_jump", 0.0, math.inf)
    max_spike = check_in_range(max_spike, "max_spike", 0.0, math.inf)
    max_interp = check_in_range(max_interp, "max_interp", 0.0, math.inf, low_inclusive=True)
    max_slope = check_in_range(max_slope, "max_slope", 0.0, math.inf, low_inclusive=True)
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(x) & (x >= lo) & (x <= hi) & (x != 0)
    max_gap = int(round(max_interp * fs))
    spikes = _spike_samples(x, valid, spike_jump, int(round(max_spike * fs)), max_gap + 1,
                            max_slope / fs)
    missing = ~valid
    missing[spikes] = True
    clean = np.where(missing, np.nan, x)
    starts, stops = _runs(missing)
    lengths = stops - starts
    inner = (starts > 0) & (stops < x.size)
    interp = inner & (lengths <= max_gap)
    for s, e in zip(starts[interp], stops[interp], strict=True):
        clean[s:e] = np.interp(np.arange(s, e), [s - 1, e], [clean[s - 1], clean[e]])
    spike_mask = np.zeros(x.size, dtype=bool)
    spike_mask[spikes] = True
    with np.errstate(invalid="ignore"):
        lost = ~np.isfinite(x) | (x == 0)
    # cumulative counts give each gap's lost / out-of-range / spike samples in one pass
    counts = [np.r_[0, np.cumsum(m)] for m in (lost, ~valid & ~lost, spike_mask)]
    import pandas as pd

    gaps = pd.DataFrame(
        {
            "start": starts.astype(int),
            "length": lengths.astype(int),
            "seconds": lengths / fs,
            "n_lost": (counts[0][stops] - counts[0][starts]).astype(int),
            "n_out_of_range": (counts[1][stops] - counts[1][starts]).astype(int),
            "n_spike": (counts[2][stops] - counts[2][starts]).astype(int),
            "interpolated": interp.astype(bool),
        }
    )
    return CleanFHR(
        fhr=clean,
        missing=missing,
        spikes=np.asarray(spikes, dtype=int),
        gaps=gaps,
        fs=fs,
        options=dict(valid_range=(lo, hi), spike_jump=spike_jump, max_interp=max_interp,
                     max_slope=max_slope),
        raw=x,
    )


def windows(
    n: int, fs: float = 4.0, *, last_minutes: float = 30.0, stage2_start: float | None = None
) -> dict[str, slice]:
    """Analysis windows of a recording of ``n`` samples ending at delivery.

    - ``"last"``: the last ``last_minutes`` (the whole recording if shorter);
    - with a stage 2 onset ``stage2_start`` (sample index, ``0 < s < n``):
      ``"stage1"``, the ``last_minutes`` before the onset, and ``"stage2"``, the
      last ``last_minutes`` of stage 2 (all of it if shorter).

    Parameters
    ----------
    n : int
        Number of samples.
    fs : float, default 4
        Sampling rate (Hz).
    last_minutes : float, default 30
        Window length (minutes).
    stage2_start : float, optional
        Sample index of the onset of stage 2 (NaN or None: no stage windows).

    Returns
    -------
    dict of str to slice

    Examples
    --------
    >>> from textures_nb.fhr import windows
    >>> w = windows(4 * 60 * 90, 4.0, last_minutes=30, stage2_start=4 * 60 * 75)
    >>> {k: (s.start, s.stop) for k, s in w.items()}
    {'last': (14400, 21600), 'stage1': (10800, 18000), 'stage2': (18000, 21600)}
    """
    n = check_positive_int(n, "n")
    fs = check_in_range(fs, "fs", 0.0, math.inf)
    last_minutes = check_in_range(last_minutes, "last_minutes", 0.0, math.inf)
    w = int(round(last_minutes * 60 * fs))
    out = {"last": slice(max(0, n - w), n)}
    if stage2_start is not None and np.isfinite(stage2_start) and 0 < stage2_start < n:
        s = int(stage2_start)
        out["stage1"] = slice(max(0, s - w), s)
        out["stage2"] = slice(max(s, n - w), n)
    return out


# --------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------

MULTISCALE = ("c1", "c2", "H")
CLASSICAL = ("baseline", "stv", "ltv", "n_acc", "n_dec", "dec_time")


def _segments(x: np.ndarray, min_len: int) -> list[np.ndarray]:
    starts, stops = _runs(np.isfinite(x))
    return [x[s:e] for s, e in zip(starts, stops, strict=True) if e - s >= min_len]


def _reflect_fill(y: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """``y`` with its ``gap`` samples replaced by mirror images of the data on both sides.

    Inside a gap ``[s, e)``, sample ``s + i`` blends the reflection of the left
    side about ``s - 1/2`` (``y[s - 1 - i]``) and of the right side about
    ``e - 1/2`` (``y[2e - 1 - s - i]``) with weights ``1 - w, w``, ``w = (i +
    1/2) / (e - s)``: continuous at both edges, with the roughness and amplitude
    of the neighbouring data (a linear interpolation would be smooth, biasing
    the wavelet quantities near the edges down). Reflections that reach into
    another gap or past an end read its linear interpolation / the end sample.
    """
    out = y.copy()
    idx = np.flatnonzero(gap)
    if idx.size == 0:
        return out
    base = y.copy()
    base[idx] = np.interp(idx, np.flatnonzero(~gap), y[~gap])
    out[idx] = base[idx]
    last = y.size - 1
    for s, e in zip(*_runs(gap), strict=True):
        i = np.arange(e - s)
        w = (i + 0.5) / (e - s)
        left = base[np.clip(s - 1 - i, 0, last)]
        right = base[np.clip(2 * e - 1 - s - i, 0, last)]
        out[s:e] = (1 - w) * left + w * right
    return out


def _kept(j: int, n_pos: int, width: int, span: int, gap_cum: np.ndarray, gap: np.ndarray,
          min_observed: float) -> np.ndarray:
    """Which of ``n_pos`` wavelet quantities at scale ``j`` are located on observed data.

    Quantity ``k`` has support ``[2**j k, 2**j (k + width) + span]`` (samples,
    inclusive): kept when its centre sample is observed and at least
    ``min_observed`` of the support is.
    """
    n = gap.size
    start = 2**j * np.arange(n_pos)
    stop = np.minimum(start + 2**j * width + span, n - 1)  # inclusive
    observed = 1.0 - (gap_cum[stop + 1] - gap_cum[start]) / (stop + 1 - start)
    return ~gap[(start + stop) // 2] & (observed >= min_observed)


def multiscale_features(
    x,
    fs: float = 4.0,
    *,
    missing=None,
    scales: tuple[int, int] = (3, 7),
    wavelet: str = "db3",
    j0: int | None = None,
    min_leaders: int = 4,
    gap_mode: str = "reflect",
    min_observed: float = 0.5,
) -> dict:
    """Gap-aware multiscale features ``c1, c2`` (wavelet leaders) and ``H`` (coefficients).

    Why not :func:`textures_nb.multiscale.log_cumulants` as is: it needs a
    finite signal, and interpolating linearly across a long gap invents a smooth
    stretch (biasing ``c1``/``H``). Why not only the coefficients that never see
    a gap: a leader at scale ``j`` spans about ``(3 + 5) * 2**j`` samples with
    ``db3`` (4 min at 32 s and 4 Hz), so each gap costs about 8 leaders at that
    scale: with 8 % of a recording in gaps, 40 % of the 32-s leaders were lost
    against 10 % of the 2-s ones (BENCHMARKS.md, fetal heart rate). The coarse
    scales were then averaged over a smaller, different part of the recording
    than the fine ones, and since the FHR's coarse-scale activity changes along
    a recording (decelerations, intermittency) that alone moved ``c1`` by up to
    0.12, against at most 0.047 with the default (400 simulated hours,
    ``benchmarks/results_fhr.md``; ``gap_mode="drop"`` is kept for comparison).

    ``gap_mode="reflect"`` (default): the window is cut to its first..last
    observed sample, the gaps (NaN, and the ``missing`` samples: spikes and short
    gaps that :func:`preprocess` interpolated) are filled with mirror images of
    the data on both sides, blended across the gap (continuous, and with the
    neighbours' roughness, unlike a straight line), the coefficients and leaders
    of :mod:`textures_nb.multiscale` are computed on the whole window, and a
    coefficient or leader is **kept only where it is located on observed data**:
    its centre sample is observed and at least ``min_observed`` of its support
    at its scale is. The filling only lets the filters run up to the edges of a
    gap; nothing located inside a gap is used. ``gap_mode="drop"``: per
    contiguous finite segment with valid convolutions (no quantity sees a gap;
    a segment too short for a scale contributes to the finer ones only).

    Then, as in ``log_cumulants``: ``c1, c2`` are the slopes (``ln 2`` units) of
    the mean and variance of ``ln L(j, .)``, ``H`` is half the slope of ``log2
    mean d(j, .)**2`` (``zeta(2)/2``), fits over ``scales`` with ``sqrt(n_j)``
    weights, leaders from scale ``j0`` up (default rule of ``log_cumulants``:
    2 for ``j1 = 3``). Without gaps both modes equal ``log_cumulants``.

    Parameters
    ----------
    x : array_like, shape (T,), or CleanFHR
        Cleaned FHR (bpm) with NaN in the long gaps; a :class:`CleanFHR` gives
        its ``fhr`` and ``missing``.
    fs : float, default 4
        Sampling rate (Hz); only reported (scale ``j`` spans ``2**j / fs`` s).
    missing : array_like of bool, shape (T,), optional
        Samples to treat as gaps although finite (``CleanFHR.missing``: removed
        spikes and interpolated short gaps). Default: the NaN samples only.
    scales : (int, int), default (3, 7)
        Fit range; at 4 Hz, 2 s to 32 s (the range used for FHR by Doret et al.
        2015 starts near 2-3 s).
    wavelet : str, default "db3"
        Orthogonal Daubechies wavelet.
    j0 : int, optional
        Finest scale in the leaders.
    min_leaders : int, default 4
        Fewest kept leaders at a scale for the fit.
    gap_mode : {"reflect", "drop"}, default "reflect"
        How gaps are handled (above).
    min_observed : float, default 0.5
        ``"reflect"``: least observed share of a kept quantity's support.

    Returns
    -------
    dict
        ``c1``, ``c2``, ``H`` (NaN only with a reason in ``ms_problem``),
        ``ms_n`` (leaders at ``j2``), ``ms_problem`` (None when fine).

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.processes import fbm
    >>> from textures_nb.fhr import multiscale_features
    >>> x = 140 + 2 * fbm(2**13, 0.7, seed=0)
    >>> full = multiscale_features(x)["c1"]
    >>> x[3000:3400] = np.nan                    # a 100-s gap
    >>> f = multiscale_features(x)
    >>> round(full, 3), round(f["c1"], 3), round(f["H"], 2), f["ms_problem"]
    (0.724, 0.73, 0.73, None)
    >>> round(multiscale_features(x, gap_mode="drop")["c1"], 3)  # fewer coarse leaders
    0.752
    """
    from .multiscale import WaveletCoefs, wavelet_coefs, wavelet_leaders

    if isinstance(x, CleanFHR):
        missing = x.missing if missing is None else missing
        x = x.fhr
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"`x` must be 1D (T,), got shape {x.shape}.")
    gap = ~np.isfinite(x)
    if missing is not None:
        m = np.asarray(missing)
        if m.shape != x.shape or m.dtype != bool:
            raise ValueError(
                f"`missing` must be a boolean array of the shape of `x` {x.shape}, got "
                f"{m.dtype} {m.shape}; pass CleanFHR.missing (or the CleanFHR itself as `x`)."
            )
        gap = gap | m
    if gap_mode not in ("reflect", "drop"):
        raise ValueError(f"`gap_mode` must be 'reflect' or 'drop', got {gap_mode!r}.")
    min_observed = check_in_range(min_observed, "min_observed", 0.0, 1.0, high_inclusive=True,
                                  low_inclusive=True)
    j1, j2 = (check_positive_int(s, "scales") for s in scales)
    if j1 >= j2:
        raise ValueError(f"`scales`=({j1}, {j2}) needs j1 < j2, e.g. (3, 7).")
    j0 = max(1, min(2, j1 - 1), j1 - 2) if j0 is None else check_positive_int(j0, "j0")
    logs = [[] for _ in range(j2)]
    sq = [[] for _ in range(j2)]
    obs = np.flatnonzero(~gap)
    tol = 1e-11 * float(np.abs(x[obs]).max()) if obs.size else 0.0

    def add(y, keep_d, keep_l):
        try:
            coefs = wavelet_coefs(y, wavelet=wavelet)
        except ValueError:  # too short for one scale
            return
        coefs = WaveletCoefs(details=coefs.details[:j2], wavelet=wavelet, gamint=0.0, dim=1)
        lead = wavelet_leaders(coefs, j0=j0)
        for j, (d, L) in enumerate(zip(coefs.details, lead, strict=True), start=1):
            d, L = keep_d(j, d), keep_l(j, L)
            sq[j - 1].append(d * d)
            logs[j - 1].append(np.log(L[L > tol]))

    if gap_mode == "drop":
        x = np.where(gap, np.nan, x)
        for seg in _segments(x, 16):
            if np.ptp(seg) > 0:
                add(seg, lambda j, d: d, lambda j, L: L)
    elif obs.size >= 16:
        a, b = obs[0], obs[-1] + 1
        g = gap[a:b]
        cum = np.r_[0, np.cumsum(g)]
        taps = _wavelet(wavelet).dec_len
        span = lambda j: (2**j - 1) * (taps - 1)  # noqa: E731
        add(
            _reflect_fill(x[a:b], g),
            lambda j, d: d[_kept(j, d.size, 0, span(j), cum, g, min_observed)],
            lambda j, L: L[_kept(j, L.size, 2, span(j), cum, g, min_observed)],
        )
    nj = np.array([sum(a.size for a in lv) for lv in logs[j1 - 1 : j2]])
    out = {"c1": math.nan, "c2": math.nan, "H": math.nan, "ms_n": int(nj[-1]), "ms_problem": None}
    if nj.min() < min_leaders:
        short = j1 + int(np.argmax(nj < min_leaders))
        where = ("located on observed data" if gap_mode == "reflect"
                 else "in the contiguous segments")
        out["ms_problem"] = (
            f"too few leaders {where} at scale j={short} ({int(nj.min())} < {min_leaders}): "
            f"the window has too little observed data for scales {scales} (need about "
            f"{2 ** (j2 + 3)} contiguous samples)"
        )
        return out
    jj = np.arange(j1, j2 + 1, dtype=float)
    C1, C2, S2 = [], [], []
    for j in range(j1, j2 + 1):
        lv = np.concatenate(logs[j - 1])
        C1.append(lv.mean())
        C2.append(lv.var())
        S2.append(np.log2(np.concatenate(sq[j - 1]).mean()))
    w = np.sqrt(nj)
    (s1, s2, sh), _ = _slopes(jj, np.array([C1, C2, S2]), w)
    out.update(c1=float(s1 / math.log(2)), c2=float(s2 / math.log(2)), H=float(sh / 2))
    return out


def _rolling_median(x: np.ndarray, width: int, min_periods: int) -> np.ndarray:
    import pandas as pd

    return (
        pd.Series(x)
        .rolling(width, center=True, min_periods=min_periods)
        .median()
        .to_numpy(dtype=float)
    )


def _episodes(mask: np.ndarray, min_len: int) -> int:
    starts, stops = _runs(mask)
    return int(np.sum(stops - starts >= min_len))


def classical_features(x, fs: float = 4.0) -> dict:
    """Clinical FHR features on a cleaned window (a documented simplified rule set).

    - ``baseline`` (bpm): the median of a running median over 5 minutes of
      the 1-s means of the FHR (at least 30 valid seconds per window).
    - ``stv`` (bpm): short-term variability, the mean absolute difference
      between consecutive 3.75-s epoch means (Dawes-Redman, in bpm instead of
      ms; epochs with a missing sample are skipped).
    - ``ltv`` (bpm): long-term variability, the mean over minutes of the range
      of the epoch means within the minute (minutes with at least 8 of the 16
      epochs).
    - ``n_acc``, ``n_dec``: accelerations / decelerations, runs of at least 15
      s with the FHR more than 15 bpm above / below the running baseline (FIGO
      amplitude and duration thresholds; no 10-minute cap, no early/late/
      variable typing).
    - ``dec_time``: share of the valid samples inside decelerations.

    Parameters
    ----------
    x : array_like, shape (T,)
        Cleaned FHR (bpm), NaN in gaps.
    fs : float, default 4
        Sampling rate (Hz).

    Returns
    -------
    dict
        The six features above (NaN only when the window has under 30 s of
        valid samples, said in ``cl_problem``).

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.fhr import classical_features
    >>> t = np.arange(4 * 600) / 4.0                       # 10 min at 4 Hz
    >>> x = 140 + 3 * np.sin(2 * np.pi * t / 20)
    >>> x[1200:1400] -= 30                                   # one 50-s deceleration
    >>> f = classical_features(x)
    >>> round(f["baseline"]), f["n_dec"], f["n_acc"]
    (139, 1, 0)
    """
    x = np.asarray(x, dtype=float)
    fs = check_in_range(fs, "fs", 0.0, math.inf)
    ok = np.isfinite(x)
    out = {k: math.nan for k in CLASSICAL}
    out["cl_problem"] = None
    if ok.sum() < 30 * fs:
        out["cl_problem"] = f"under 30 s of valid samples ({int(ok.sum())})"
        return out
    # running median on 1-s means (5x fewer samples than at 4 Hz, same baseline to 0.1 bpm)
    step = max(1, int(round(fs)))
    m1 = x.size // step
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN seconds stay NaN
        sec_means = np.nanmean(x[: m1 * step].reshape(m1, step), axis=1) if m1 else x[:0]
    base = np.repeat(_rolling_median(sec_means, 300, 30), step)
    base = np.r_[base, np.full(x.size - base.size, base[-1] if base.size else np.nan)]
    out["baseline"] = float(np.nanmedian(base))
    ep = max(1, int(round(3.75 * fs)))
    m = x.size // ep
    epochs = x[: m * ep].reshape(m, ep).mean(axis=1)  # NaN if an epoch misses a sample
    d = np.abs(np.diff(epochs))
    out["stv"] = float(np.nanmean(d)) if np.isfinite(d).any() else math.nan
    per_min = 16
    k = m // per_min
    ranges = []
    for e in epochs[: k * per_min].reshape(k, per_min) if k else []:
        if np.isfinite(e).sum() >= 8:
            ranges.append(np.nanmax(e) - np.nanmin(e))
    out["ltv"] = float(np.mean(ranges)) if ranges else math.nan
    dev = x - base
    with np.errstate(invalid="ignore"):
        acc, dec = dev > 15, dev < -15
    min_len = int(round(15 * fs))
    out["n_acc"] = _episodes(acc, min_len)
    out["n_dec"] = _episodes(dec, min_len)
    starts, stops = _runs(dec)
    long = stops - starts >= min_len
    out["dec_time"] = float((stops - starts)[long].sum() / ok.sum())
    missing = [k for k in ("stv", "ltv") if not np.isfinite(out[k])]
    if missing:
        out["cl_problem"] = f"{', '.join(missing)}: no complete epoch / minute in the window"
    return out


@functools.lru_cache(maxsize=4)
def _net(n_scales: int, n_filters: int, seed: int):
    from .networks import RandomMultiscaleNet

    return RandomMultiscaleNet(1, dim=1, n_scales=n_scales, n_filters=n_filters, seed=seed).eval()


def deep_features(
    x,
    fs: float = 4.0,
    *,
    n_scales: int = 5,
    n_filters: int = 8,
    seed: int | np.random.Generator = 0,
) -> np.ndarray:
    """A deep representation: mean activations of a random multiscale network.

    The :class:`textures_nb.networks.RandomMultiscaleNet` (1D, fixed random
    filters on a band-pass pyramid, never trained) is applied to each
    contiguous valid segment at least one receptive field long (long gaps are
    never bridged), on ``(x - median) / 10 bpm``; each feature map is averaged
    over time and the segments are pooled weighted by their lengths.

    Parameters
    ----------
    x : array_like, shape (T,)
        Cleaned FHR (bpm), NaN in gaps.
    fs : float, default 4
        Sampling rate (Hz), unused by the network (kept for a common signature).
    n_scales, n_filters : int
        Pyramid levels and random filters per level (features: their product).
    seed : int or numpy.random.Generator, default 0
        Seed of the random filters (keyword-only; the network is cached per int seed).

    Returns
    -------
    ndarray, shape (n_scales * n_filters,)
        NaN everywhere when no segment is long enough.

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.fhr import deep_features
    >>> deep_features(140 + np.random.default_rng(0).standard_normal(2000).cumsum() / 5).shape
    (40,)
    """
    import torch

    from ._checks import torch_seed

    x = np.asarray(x, dtype=float)
    net = _net(
        check_positive_int(n_scales, "n_scales"),
        check_positive_int(n_filters, "n_filters"),
        torch_seed(seed),
    )
    med = np.nanmedian(x) if np.isfinite(x).any() else 0.0
    total = np.zeros(n_scales * n_filters)
    weight = 0
    with torch.no_grad():
        for seg in _segments(x, net.receptive_field):
            t = torch.as_tensor((seg - med) / 10.0, dtype=torch.float32).view(1, 1, -1)
            total += torch.cat([f.mean(dim=-1)[0] for f in net(t)]).double().numpy() * seg.size
            weight += seg.size
    return total / weight if weight else np.full(n_scales * n_filters, math.nan)


@dataclass
class FHRFeatures:
    """Features per recording and window (see :func:`compute_features`).

    Attributes
    ----------
    values : pandas.DataFrame
        One row per (record, window): ``record``, ``window``, ``start``
        (sample), ``minutes``, ``missing_share``, ``gap_share``, ``ph`` and the
        truth ``acidotic`` when simulated, then the features and ``problem``.
    feature_sets : dict
        Named lists of feature columns: ``"classical"``, ``"multiscale"``,
        ``"deep"``, ``"classical+multiscale"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from textures_nb.fhr import FHRFeatures
    >>> v = pd.DataFrame({"record": ["a", "b"], "window": "last", "ph": [7.0, 7.3],
    ...                   "H": [0.8, 0.6], "problem": None})
    >>> f = FHRFeatures(v, {"multiscale": ["H"]})
    >>> f
    FHRFeatures(2 records, windows ['last'], 1 features, 0 rows with a problem)
    >>> f.table().shape
    (2, 5)
    """

    values: object = field(repr=False)
    feature_sets: dict = field(repr=False)

    def __repr__(self) -> str:
        v = self.values
        if not hasattr(v, "columns") or not {"record", "window", "problem"} <= set(v.columns):
            return f"FHRFeatures({len(v)} rows, feature sets {sorted(self.feature_sets)[:4]})"
        wins = sorted(v["window"].unique())
        return (
            f"FHRFeatures({v['record'].nunique()} records, windows {wins}, "
            f"{sum(len(c) for k, c in self.feature_sets.items() if '+' not in k)} features, "
            f"{int(v['problem'].notna().sum())} rows with a problem)"
        )

    def table(self):
        """The features table (a copy of ``.values``)."""
        return self.values.copy()

    def plot(self, features=("H", "c1", "c2", "stv", "n_dec", "baseline"), *, window="last",
             threshold: float = 7.05):
        """Box plots of ``features`` by outcome class (pH below / above ``threshold``)."""
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        v = self.values[self.values["window"] == window]
        cls = np.where(v["ph"] < threshold, f"pH < {threshold}", f"pH >= {threshold}")
        fig = make_subplots(rows=1, cols=len(features), subplot_titles=list(features))
        colors = {f"pH < {threshold}": "#d62728", f"pH >= {threshold}": "#1f77b4"}
        for i, f in enumerate(features, start=1):
            for name, col in colors.items():
                fig.add_trace(
                    go.Box(y=v[f][cls == name], name=name, marker_color=col, boxpoints="all",
                           jitter=0.4, pointpos=0, showlegend=i == 1, legendgroup=name),
                    row=1, col=i,
                )
        fig.update_xaxes(showticklabels=False)
        fig.update_layout(title=f"Features by outcome ({window} window)", height=380,
                          legend=dict(orientation="h", x=0, y=-0.05), margin=dict(t=60))
        return fig


def _record_features(name, fhr, fs, ph, stage2, extra, last_minutes, pre_kw, deep):
    clean = preprocess(fhr, fs, **pre_kw)
    rows = []
    for wname, sl in windows(clean.fhr.size, fs, last_minutes=last_minutes,
                             stage2_start=stage2).items():
        seg = clean.fhr[sl]
        row = {"record": name, "window": wname, "start": sl.start,
               "minutes": (sl.stop - sl.start) / fs / 60, "missing_share": clean.missing_share(sl),
               "gap_share": float(np.isnan(seg).mean()), "ph": ph, **extra}
        ms = multiscale_features(seg, fs, missing=clean.missing[sl])
        cl = classical_features(seg, fs)
        row.update({k: ms[k] for k in MULTISCALE})
        row.update({k: cl[k] for k in CLASSICAL})
        if deep:
            row.update({f"deep{i}": v for i, v in enumerate(deep_features(seg, fs))})
        problems = [p for p in (ms["ms_problem"], cl["cl_problem"]) if p]
        row["problem"] = "; ".join(problems) if problems else None
        rows.append(row)
    return rows


def _feature_chunk(items, last_minutes, pre_kw, deep):
    import torch

    torch.set_num_threads(1)
    out = []
    for it in items:
        out.extend(_record_features(*it, last_minutes, pre_kw, deep))
    return out


def compute_features(
    records,
    *,
    last_minutes: float = 30.0,
    deep: bool = True,
    n_jobs: int = 1,
    progress: bool = True,
    **preprocess_options,
) -> FHRFeatures:
    """Preprocess every record and compute all features per window.

    Parameters
    ----------
    records : pandas.DataFrame
        From :func:`load_records` or :func:`simulate_database` (columns
        ``record``, ``fhr``, ``fs``, ``ph``, optionally ``stage2_start``,
        ``acidotic``, ``problem``). Rows with a ``problem`` are left out.
    last_minutes : float, default 30
        Window length (see :func:`windows`).
    deep : bool, default True
        Also compute :func:`deep_features` (columns ``deep0``, ``deep1``, ...).
    n_jobs : int, default 1
        Worker processes (joblib); records are sent in chunks.
    progress : bool, default True
        Progress bar over chunks of records.
    **preprocess_options
        Passed to :func:`preprocess` (``spike_jump``, ``max_interp``, ...).

    Returns
    -------
    FHRFeatures

    Examples
    --------
    >>> from textures_nb.fhr import simulate_database, compute_features
    >>> db = simulate_database(4, minutes=12, seed=0)
    >>> feats = compute_features(db, last_minutes=10, deep=False, progress=False)
    >>> feats.values.groupby("window").size().to_dict()
    {'last': 4, 'stage1': 4, 'stage2': 4}
    """
    n_jobs = check_positive_int(n_jobs, "n_jobs")
    last_minutes = check_in_range(last_minutes, "last_minutes", 0.0, math.inf)
    import pandas as pd

    missing = {"record", "fhr", "fs"} - set(records.columns)
    if missing:
        raise ValueError(
            f"`records` lacks the column(s) {sorted(missing)}; pass the table of load_records "
            "or simulate_database."
        )
    good = records
    if "problem" in records.columns:
        good = records[records["problem"].isna()]
    items = []
    for _, r in good.iterrows():
        extra = {"acidotic": bool(r["acidotic"])} if "acidotic" in r.index else {}
        stage2 = r.get("stage2_start", math.nan)
        ph = r.get("ph", math.nan)
        items.append((r["record"], r["fhr"], float(r["fs"]), ph, stage2, extra))
    if not items:
        raise ValueError("`records` holds no loadable record (every row has a problem).")
    n_chunks = max(1, min(len(items), 8 * n_jobs))
    chunks = [items[i::n_chunks] for i in range(n_chunks)]
    args = (last_minutes, preprocess_options, deep)
    if n_jobs == 1:
        parts = [_feature_chunk(c, *args) for c in tqdm(chunks, desc="features",
                                                          disable=not progress)]
    else:
        from joblib import Parallel, delayed

        parts = Parallel(n_jobs=n_jobs)(
            delayed(_feature_chunk)(c, *args)
            for c in tqdm(chunks, desc="features", disable=not progress)
        )
    values = pd.DataFrame([row for p in parts for row in p])
    order = {name: i for i, name in enumerate(good["record"])}
    values = values.sort_values(["record", "window"], key=lambda s: s.map(order)
                                if s.name == "record" else s, kind="stable")
    values = values.reset_index(drop=True)
    sets = {"classical": list(CLASSICAL), "multiscale": list(MULTISCALE)}
    if deep:
        sets["deep"] = [c for c in values.columns if c.startswith("deep")]
    sets["classical+multiscale"] = sets["classical"] + sets["multiscale"]
    return FHRFeatures(values=values, feature_sets=sets)


# --------------------------------------------------------------------------
# Simulator
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class FHRParams:
    """Parameters of simulated recordings of one class (stand-in defaults, not fitted to data).

    Attributes
    ----------
    baseline, baseline_sd : float
        Mean and between-recording sd of the baseline (bpm).
    H, lam : float
        Scaling exponent and intermittency of the MRW variability (its
        log-cumulants are ``c1 = H + lam**2/2``, ``c2 = -lam**2`` below about 4
        minutes, where the walk is high-passed).
    amplitude, amplitude_sd : float
        Median sd of the variability (bpm) and the between-recording sd of its
        logarithm (fetuses differ in variability whatever their outcome).
    contraction_interval : float
        Mean time between contractions in stage 1 (minutes; stage 2: 2/3 of it).
    dec_prob, dec_depth, dec_lag : float
        Probability that a contraction brings a deceleration (x 1.5 in stage
        2), its mean depth (bpm) and its lag after the contraction's peak (s).
    acc_rate : float
        Accelerations per hour.
    missing_share : float
        Expected share of samples lost in gaps.
    spike_rate : float
        Spikes per hour.
    stage2_minutes : (float, float)
        Range of the duration of stage 2 (minutes, uniform).

    Examples
    --------
    >>> from textures_nb.fhr import ACIDOTIC, NORMAL, FHRParams, simulate_recording
    >>> p = FHRParams(H=0.8, lam=0.1)
    >>> p.H, p.baseline, NORMAL == FHRParams(), ACIDOTIC.H > NORMAL.H
    (0.8, 138.0, True, True)
    >>> simulate_recording(p, minutes=5, seed=0).params.H
    0.8
    """

    baseline: float = 138.0
    baseline_sd: float = 8.0
    H: float = 0.65
    lam: float = 0.12
    amplitude: float = 5.0
    amplitude_sd: float = 0.35
    contraction_interval: float = 3.0
    dec_prob: float = 0.3
    dec_depth: float = 25.0
    dec_lag: float = 15.0
    acc_rate: float = 5.0
    missing_share: float = 0.08
    spike_rate: float = 12.0
    stage2_minutes: tuple[float, float] = (10.0, 30.0)


#: Stand-in normal class.
NORMAL = FHRParams()
#: Stand-in acidotic class, differing in the directions reported in the
#: literature: smoother, more regular variability (higher ``H``, Doret et al.
#: 2015), more intermittent (``lam`` up), more, deeper and later
#: decelerations, fewer accelerations, slightly higher baseline. The sizes of
#: the differences are stand-ins chosen to be moderate, not estimates.
ACIDOTIC = FHRParams(baseline=141.0, H=0.75, lam=0.2, dec_prob=0.4, dec_depth=30.0, dec_lag=30.0,
                     acc_rate=3.5)


@dataclass
class SimulatedFHR:
    """One simulated recording with its truth (see :func:`simulate_recording`).

    Attributes
    ----------
    fhr : ndarray, shape (T,)
        What a monitor writes: bpm, 0 in lost-signal gaps, with spikes.
    uc : ndarray, shape (T,)
        Uterine pressure (mmHg).
    clean : ndarray, shape (T,)
        The FHR without gaps and spikes.
    spikes : ndarray of int
        Indices of the spike samples.
    gaps : list of (int, int)
        ``(start, length)`` of each lost-signal gap (samples).
    stage2_start : int
        Sample of the onset of stage 2.
    fs : float
        Sampling rate (Hz).
    params : FHRParams
        The class parameters used.

    Examples
    --------
    >>> from textures_nb.fhr import simulate_recording
    >>> s = simulate_recording(minutes=5, seed=0)
    >>> type(s).__name__, s.fhr.shape, s.uc.shape, s.clean.shape, s.fs
    ('SimulatedFHR', (1200,), (1200,), (1200,), 4.0)
    >>> s.table().columns.tolist()
    ['start', 'length', 'seconds']
    """

    fhr: np.ndarray = field(repr=False)
    uc: np.ndarray = field(repr=False)
    clean: np.ndarray = field(repr=False)
    spikes: np.ndarray = field(repr=False)
    gaps: list = field(repr=False)
    stage2_start: int
    fs: float
    params: FHRParams = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"SimulatedFHR({np.size(self.fhr) / self.fs / 60:.0f} min at {self.fs:g} Hz, "
            f"H={getattr(self.params, 'H', '?')}, lam={getattr(self.params, 'lam', '?')}, "
            f"{len(self.gaps)} gaps, "
            f"{np.size(self.spikes)} spike samples, stage 2 from sample {self.stage2_start})"
        )

    def table(self):
        """The inserted gaps: ``start``, ``length`` (samples), ``seconds``."""
        import pandas as pd

        g = np.asarray(self.gaps, dtype=int).reshape(-1, 2)
        return pd.DataFrame({"start": g[:, 0], "length": g[:, 1], "seconds": g[:, 1] / self.fs})

    def plot(self, *, title: str | None = None):
        """The recording (FHR with gaps, clean FHR, UC); see :func:`plot_recording`."""
        return plot_recording(self.fhr, uc=self.uc, fs=self.fs, clean=self.clean,
                              stage2_start=self.stage2_start, title=title)


def _bell(n: int) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(2 * np.pi * (np.arange(n) + 0.5) / n)


def _add(y: np.ndarray, start: int, shape: np.ndarray) -> None:
    s, e = max(start, 0), min(start + shape.size, y.size)
    if e > s:
        y[s:e] += shape[s - start : e - start]


def _variability(n: int, p: FHRParams, fs: float, rng) -> np.ndarray:
    from .processes import mrw

    pad = 2048
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rough-walk note of mrw for H < 0.6
        v = mrw(n + 2 * pad, p.H, p.lam, L=min(2**11, n + 2 * pad), seed=rng)
    # high-pass beyond ~4 min (2**10 samples at 4 Hz): a heart rate does not wander off
    w = 2**10
    c = np.concatenate([[0.0], np.cumsum(v)])
    k = np.arange(pad, pad + n)
    trend = (c[k + w // 2] - c[k - w // 2]) / w
    v = v[pad : pad + n] - trend
    return v / v.std()


def simulate_recording(
    params: FHRParams | None = None,
    *,
    minutes: float = 90.0,
    fs: float = 4.0,
    artefacts: bool = True,
    seed: int | np.random.Generator = 0,
) -> SimulatedFHR:
    """A realistic intrapartum FHR + UC recording ending at delivery (stand-in model).

    FHR = baseline + variability + accelerations - decelerations, then artefacts:

    - variability: a multifractal random walk (:func:`textures_nb.processes.mrw`,
      ``H``, ``lam``) high-passed beyond about 4 minutes and scaled to an sd of
      ``amplitude`` x a log-normal factor per recording;
    - contractions: raised-cosine pressure waves of 45-90 s, 25-70 mmHg over a
      10-15 mmHg tone, gamma-distributed intervals (stage 2, the last
      ``stage2_minutes``: closer and stronger);
    - decelerations: with probability ``dec_prob`` per contraction, a dip of
      about ``dec_depth`` bpm shaped like the contraction, ``dec_lag`` s later;
      accelerations: Poisson, 15-30 bpm, 20-60 s;
    - artefacts (``artefacts=True``): lost-signal gaps written as 0 (log-normal
      lengths, median 20 s, a few minutes at most, total share about
      ``missing_share``) and spikes (1-8 samples shifted by 35-70 bpm up or
      down, or halved), each spike at least 4 s from any gap or other spike so
      that the truth stays unambiguous.

    The defaults are stand-ins chosen to look like CTU-UHB recordings, not
    estimated from them.

    Parameters
    ----------
    params : FHRParams, optional
        Default ``NORMAL``.
    minutes : float, default 90
        Duration.
    fs : float, default 4
        Sampling rate (Hz).
    artefacts : bool, default True
        Insert gaps and spikes.
    seed : int or numpy.random.Generator, default 0
        Random state (keyword-only).

    Returns
    -------
    SimulatedFHR

    Examples
    --------
    >>> from textures_nb.fhr import simulate_recording, ACIDOTIC
    >>> rec = simulate_recording(ACIDOTIC, minutes=20, seed=1)
    >>> rec.fhr.shape, rec.uc.shape, bool((rec.fhr == 0).any())
    ((4800,), (4800,), True)
    """
    p = NORMAL if params is None else params
    if not isinstance(p, FHRParams):
        raise TypeError(f"`params` must be an FHRParams, got {type(params).__name__}.")
    minutes = check_in_range(minutes, "minutes", 1.0, math.inf, low_inclusive=True)
    fs = check_in_range(fs, "fs", 0.0, math.inf)
    rng = as_generator(seed)
    n = int(round(minutes * 60 * fs))
    sec = lambda s: max(1, int(round(s * fs)))  # noqa: E731
    stage2 = n - min(n // 2, sec(60 * rng.uniform(*p.stage2_minutes)))
    amp = p.amplitude * math.exp(p.amplitude_sd * rng.standard_normal())
    fhr = p.baseline + p.baseline_sd * rng.standard_normal() + amp * _variability(n, p, fs, rng)
    uc = 10 + 5 * rng.random() + 1.5 * rng.standard_normal(n).cumsum() / np.sqrt(n)
    t = sec(60 * rng.uniform(0.5, p.contraction_interval))
    while t < n:
        in2 = t >= stage2
        dur = sec(rng.uniform(45, 90))
        _add(uc, t, rng.uniform(25, 70) * (1.3 if in2 else 1.0) * _bell(dur))
        if rng.random() < min(1.0, p.dec_prob * (1.5 if in2 else 1.0)):
            depth = max(10.0, rng.normal(p.dec_depth, 8.0))
            ddur = sec(rng.uniform(0.8, 1.2) * dur / fs)
            _add(fhr, t + dur // 2 - ddur // 2 + sec(p.dec_lag), -depth * _bell(ddur))
        mean = 60 * p.contraction_interval * (2 / 3 if in2 else 1.0)
        t += sec(rng.gamma(8.0, mean / 8.0))
    for _ in range(rng.poisson(p.acc_rate * n / fs / 3600)):
        _add(fhr, int(rng.integers(0, n)), rng.uniform(15, 30) * _bell(sec(rng.uniform(20, 60))))
    uc = uc + 0.5 * rng.standard_normal(n)
    clean = np.round(fhr, 2)  # 0.01 bpm, as stored by CTU-UHB (gain 100)
    obs = clean.copy()
    gaps, spikes = [], []
    if artefacts:
        lost = np.zeros(n, dtype=bool)
        budget = p.missing_share * n
        while lost.sum() < budget:
            length = min(sec(240), sec(rng.lognormal(math.log(20), 0.9)))
            start = int(rng.integers(0, max(1, n - length)))
            lost[start : start + length] = True
        s0, s1 = _runs(lost)
        gaps = [(int(a), int(b - a)) for a, b in zip(s0, s1, strict=True)]
        obs[lost] = 0.0
        busy = lost.copy()
        margin = sec(4)
        for _ in range(rng.poisson(p.spike_rate * n / fs / 3600)):
            length = int(rng.integers(1, 9))
            start = int(rng.integers(margin, max(margin + 1, n - length - margin)))
            if busy[start - margin : start + length + margin].any():
                continue
            kind = rng.random()
            seg = slice(start, start + length)
            if kind < 0.3:
                obs[seg] = obs[seg] / 2
            else:
                obs[seg] = obs[seg] + rng.choice([-1, 1]) * rng.uniform(35, 70)
            busy[seg] = True
            spikes.extend(range(start, start + length))
    return SimulatedFHR(
        fhr=obs,
        uc=np.round(np.maximum(uc, 0.0), 2),
        clean=clean,
        spikes=np.asarray(spikes, dtype=int),
        gaps=gaps,
        stage2_start=int(stage2),
        fs=fs,
        params=p,
    )


def simulate_database(
    n: int = 60,
    *,
    acidotic_share: float = 0.25,
    normal: FHRParams | None = None,
    acidotic: FHRParams | None = None,
    minutes: float = 90.0,
    fs: float = 4.0,
    seed: int | np.random.Generator = 0,
    progress: bool = True,
):
    """A simulated database in the layout of :func:`load_records`.

    ``round(n * acidotic_share)`` recordings (at least 1) use ``acidotic``
    parameters and get a pH drawn uniformly in [6.85, 7.04]; the others use
    ``normal`` and get a pH from N(7.25, 0.06) kept above 7.06. Pass the same
    parameters to both classes for a null database (labels independent of the
    signals).

    Parameters
    ----------
    n : int, default 60
        Number of recordings.
    acidotic_share : float, default 0.25
        Share of acidotic recordings (CTU-UHB: about 7 % below pH 7.05; more
        here so that small simulated databases can be cross-validated).
    normal, acidotic : FHRParams, optional
        Defaults ``NORMAL`` and ``ACIDOTIC`` (module constants).
    minutes, fs
        As in :func:`simulate_recording`.
    seed : int or numpy.random.Generator, default 0
        Random state (keyword-only).
    progress : bool, default True
        Progress bar over recordings.

    Returns
    -------
    pandas.DataFrame
        Columns ``record``, ``fhr``, ``uc``, ``fs``, ``ph``, ``stage2_start``,
        ``acidotic`` (the simulated class), ``problem`` (None), ``warning`` (None).

    Examples
    --------
    >>> from textures_nb.fhr import simulate_database
    >>> db = simulate_database(8, minutes=5, seed=0, progress=False)
    >>> db.shape[0], int(db["acidotic"].sum()), bool((db["ph"] < 7.05).eq(db["acidotic"]).all())
    (8, 2, True)
    """
    import pandas as pd

    n = check_positive_int(n, "n", minimum=2)
    acidotic_share = check_in_range(acidotic_share, "acidotic_share", 0.0, 1.0)
    normal = NORMAL if normal is None else normal
    acidotic = ACIDOTIC if acidotic is None else acidotic
    rng = as_generator(seed)
    n_acid = min(n - 1, max(1, int(round(n * acidotic_share))))
    labels = np.zeros(n, dtype=bool)
    labels[rng.choice(n, n_acid, replace=False)] = True
    rows = []
    for i in tqdm(range(n), desc="simulating", disable=not progress):
        sim = simulate_recording(acidotic if labels[i] else normal, minutes=minutes, fs=fs,
                                 seed=rng)
        if labels[i]:
            ph = rng.uniform(6.85, 7.04)
        else:
            ph = 7.06 + abs(rng.normal(7.25, 0.06) - 7.06)
        rows.append({"record": f"sim{i:04d}", "fhr": sim.fhr, "uc": sim.uc, "fs": fs,
                     "ph": round(float(ph), 2), "stage2_start": float(sim.stage2_start),
                     "acidotic": bool(labels[i]), "problem": None, "warning": None})
    return pd.DataFrame(rows)


def plot_recording(
    fhr,
    uc=None,
    fs: float = 4.0,
    *,
    clean=None,
    stage2_start: float | None = None,
    title: str | None = None,
):
    """Plot an FHR recording (top) and the contractions (bottom), with missing data shaded.

    Parameters
    ----------
    fhr : array_like or CleanFHR
        Raw FHR (bpm; 0/NaN missing) or a :class:`CleanFHR` (raw missing and
        cleaned trace both shown).
    uc : array_like, optional
        Uterine contractions.
    fs : float, default 4
        Sampling rate (Hz).
    clean : array_like, optional
        A reference trace drawn thinly (e.g. the simulation's truth).
    stage2_start : float, optional
        Sample index of the onset of stage 2 (a vertical line).
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from textures_nb.fhr import plot_recording
    >>> fig = plot_recording(140 + np.zeros(100), 20 + np.zeros(100))
    >>> len(fig.data) >= 2
    True
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    cleaned = None
    if isinstance(fhr, CleanFHR):
        cleaned, missing, fs = fhr.fhr, fhr.missing, fhr.fs
        raw = np.where(missing, np.nan, fhr.fhr) if fhr.raw is None else fhr.raw.astype(float)
        with np.errstate(invalid="ignore"):
            raw = np.where(np.isfinite(raw) & (raw != 0), raw, np.nan)
    else:
        raw = np.asarray(fhr, dtype=float).copy()
        with np.errstate(invalid="ignore"):
            missing = ~np.isfinite(raw) | (raw == 0)
        raw[missing] = np.nan
    t = np.arange(raw.size) / fs / 60
    rows = 2 if uc is not None else 1
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        row_heights=[0.7, 0.3][:rows])
    if clean is not None:
        fig.add_trace(go.Scatter(x=t, y=clean, name="truth", line=dict(color="#bbbbbb", width=1)),
                      row=1, col=1)
    fig.add_trace(go.Scatter(x=t, y=raw, name="FHR", line=dict(color="#1f77b4", width=1)),
                  row=1, col=1)
    if cleaned is not None:  # on top: spikes stay visible in blue, interpolation in orange
        fig.add_trace(go.Scatter(x=t, y=cleaned, name="cleaned",
                                 line=dict(color="#ff7f0e", width=1)), row=1, col=1)
    starts, stops = _runs(missing)
    for s, e in zip(starts, stops, strict=True):
        fig.add_vrect(x0=s / fs / 60, x1=e / fs / 60, fillcolor="#d62728", opacity=0.15,
                      line_width=0, row=1, col=1)
    if uc is not None:
        fig.add_trace(go.Scatter(x=t, y=np.asarray(uc, dtype=float), name="UC",
                                 line=dict(color="#2ca02c", width=1)), row=2, col=1)
        fig.update_yaxes(title_text="UC (mmHg)", row=2, col=1)
    if stage2_start is not None and np.isfinite(stage2_start):
        fig.add_vline(x=stage2_start / fs / 60, line_dash="dash", line_color="black")
    fig.update_yaxes(title_text="FHR (bpm)", row=1, col=1)
    fig.update_xaxes(title_text="time (min)", row=rows, col=1)
    fig.update_layout(
        title=title or f"Recording ({missing.mean():.0%} missing, shaded)", height=450,
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"), margin=dict(t=80),
    )
    return fig


# --------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------

_FPR = np.linspace(0, 1, 101)


@dataclass
class FHRClassification:
    """Cross-validated classification of ``pH < threshold`` (see :func:`classify`).

    Attributes
    ----------
    auc : float
        Mean AUC over all folds of all repeats.
    auc_low, auc_high : float
        95 % t-interval of the mean AUC with ``n_splits`` as the number of
        independent folds (repeats reuse the same recordings, so they narrow
        nothing): ``mean +- t(0.975, n_splits - 1) sd / sqrt(n_splits)``, clipped
        to [0, 1].
    fold_auc : ndarray, shape (n_repeats, n_splits)
    tpr : ndarray, shape (n_repeats * n_splits, 101)
        ROC curves of the folds on the false-positive grid ``fpr``.
    probabilities : pandas.DataFrame
        Per recording: ``record``, ``ph``, ``y`` (1 = acidotic), ``prob``
        (mean calibrated out-of-fold probability over repeats), ``prob_low`` /
        ``prob_high`` (5 % / 95 % over repeats), ``alert`` (prob above the
        decision level), ``agreement`` (share of repeats giving the same alert).
    feature_set : str
        Name of the feature set.
    features : list of str
        Its feature columns.
    threshold : float
        pH below which a recording is acidotic.
    fpr : ndarray, shape (101,)
        False-positive grid of the ROC curves, 0 to 1.
    decision : float
        Probability above which a recording raises an alert (the share of
        acidotic recordings).
    n_pos, n : int
        Acidotic recordings and all recordings classified.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from textures_nb.fhr import FHRFeatures, classify
    >>> rng = np.random.default_rng(0)
    >>> ph = np.r_[rng.uniform(6.9, 7.0, 10), rng.uniform(7.1, 7.4, 30)]
    >>> v = pd.DataFrame({"record": range(40), "window": "last", "ph": ph,
    ...                   "H": (ph < 7.05) + rng.normal(0, 0.5, 40)})
    >>> res = classify(FHRFeatures(v, {"ms": ["H"]}), feature_set="ms", n_splits=3,
    ...                n_repeats=2, progress=False)
    >>> type(res).__name__, res.fold_auc.shape, res.tpr.shape, (res.n_pos, res.n)
    ('FHRClassification', (2, 3), (6, 101), (10, 40))
    """

    feature_set: str
    features: list = field(repr=False)
    threshold: float
    auc: float
    auc_low: float
    auc_high: float
    fold_auc: np.ndarray = field(repr=False)
    fpr: np.ndarray = field(repr=False)
    tpr: np.ndarray = field(repr=False)
    probabilities: object = field(repr=False)
    decision: float = field(repr=False)
    n_pos: int = 0
    n: int = 0

    def __repr__(self) -> str:
        return (
            f"FHRClassification({self.feature_set}: AUC {self.auc:.3f} "
            f"[{self.auc_low:.3f}, {self.auc_high:.3f}], "
            f"{self.n_pos} of {self.n} with pH < {self.threshold}, "
            f"{np.shape(self.fold_auc)} repeats x folds)"
        )

    def table(self):
        """Per-recording probabilities with their intervals over repeats."""
        return self.probabilities.copy()

    def roc_band(self, level: float = 0.9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean TPR and the central ``level`` band over folds, on the grid ``fpr``."""
        a = (1 - level) / 2
        lo, hi = np.quantile(self.tpr, [a, 1 - a], axis=0)
        return self.tpr.mean(axis=0), lo, hi

    def plot(self, *, fig=None, color: str = "#1f77b4", title: str | None = None):
        """ROC curve (mean over folds) with its 90 % band over folds."""
        import plotly.graph_objects as go

        fig = fig or go.Figure()
        mean, lo, hi = self.roc_band()
        name = f"{self.feature_set} (AUC {self.auc:.2f})"
        fig.add_trace(go.Scatter(x=np.r_[self.fpr, self.fpr[::-1]], y=np.r_[hi, lo[::-1]],
                                 fill="toself", fillcolor=color, opacity=0.2, line_width=0,
                                 hoverinfo="skip", showlegend=False, legendgroup=name))
        fig.add_trace(go.Scatter(x=self.fpr, y=mean, name=name, line=dict(color=color),
                                 legendgroup=name))
        if not any(getattr(t, "name", None) == "chance" for t in fig.data):
            fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], name="chance",
                                     line=dict(color="grey", dash="dot")))
        fig.update_layout(
            title=title or f"ROC over folds, pH < {self.threshold} (band: 90 % of folds)",
            xaxis_title="false positive rate", yaxis_title="true positive rate", height=450,
            legend=dict(x=0.98, y=0.02, xanchor="right", yanchor="bottom"),
        )
        return fig


def _xy(features: FHRFeatures, cols, window, threshold):
    v = features.values
    v = v[(v["window"] == window) & np.isfinite(v["ph"].astype(float))]
    bad = ~np.isfinite(v[cols].to_numpy(dtype=float)).all(axis=1)
    if bad.any():
        warnings.warn(
            f"{int(bad.sum())} record(s) with missing features are left out: "
            f"{v['record'][bad].tolist()[:5]} (see the 'problem' column)",
            RuntimeWarning,
            stacklevel=3,
        )
        v = v[~bad]
    return v, v[cols].to_numpy(dtype=float), (v["ph"].to_numpy(dtype=float) < threshold)


def classify(
    features: FHRFeatures,
    *,
    feature_set: str | list = "multiscale",
    threshold: float = 7.05,
    window: str = "last",
    n_splits: int = 5,
    n_repeats: int = 10,
    C: float = 1.0,
    seed: int | np.random.Generator = 0,
    progress: bool = True,
) -> FHRClassification:
    """Classify ``pH < threshold`` from features, with calibrated probabilities and confidence.

    Model: standardised features -> logistic regression with balanced class
    weights (acidotic cases are few), wrapped in a sigmoid (Platt)
    calibration fitted by inner 3-fold cross-validation on the training folds
    only (scikit-learn ``CalibratedClassifierCV``), so that probabilities refer
    to the real class shares. Evaluation: stratified ``n_splits``-fold
    cross-validation, repeated ``n_repeats`` times with new fold draws; every
    recording gets one out-of-fold probability per repeat, whose spread is its
    confidence (training from scratch on other data gives another answer).

    Parameters
    ----------
    features : FHRFeatures
        From :func:`compute_features`.
    feature_set : str or list of str, default "multiscale"
        A key of ``features.feature_sets`` or a list of columns.
    threshold : float, default 7.05
        pH below which a recording is acidotic (class 1).
    window : str, default "last"
        Which window's features (see :func:`windows`).
    n_splits, n_repeats : int, default 5, 10
        Folds and repeats of the cross-validation.
    C : float, default 1
        Inverse L2 regularisation of the logistic regression.
    seed : int or numpy.random.Generator, default 0
        Fold draws (keyword-only); the same seed gives the same folds for any
        feature set, so comparisons are paired.
    progress : bool, default True
        Progress bar over repeats.

    Returns
    -------
    FHRClassification

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from textures_nb.fhr import FHRFeatures, classify
    >>> rng = np.random.default_rng(0)
    >>> ph = np.r_[rng.uniform(6.9, 7.0, 10), rng.uniform(7.1, 7.4, 30)]
    >>> v = pd.DataFrame({"record": [f"r{i}" for i in range(40)], "window": "last", "ph": ph,
    ...                   "H": (ph < 7.05) + rng.normal(0, 0.5, 40)})
    >>> res = classify(FHRFeatures(v, {"ms": ["H"]}), feature_set="ms", n_repeats=2,
    ...                progress=False)
    >>> res.auc > 0.7, res.table().shape
    (True, (40, 8))
    """
    import pandas as pd
    from scipy import stats
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score, roc_curve
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if not isinstance(features, FHRFeatures):
        raise TypeError(
            f"`features` must be an FHRFeatures (from compute_features), got "
            f"{type(features).__name__}."
        )
    if isinstance(feature_set, str):
        if feature_set not in features.feature_sets:
            raise ValueError(
                f"`feature_set`={feature_set!r} is not one of {sorted(features.feature_sets)}; "
                "pass one of them or a list of columns."
            )
        name, cols = feature_set, list(features.feature_sets[feature_set])
    else:
        cols = list(feature_set)
        name = "+".join(cols) if len(cols) <= 3 else f"{len(cols)} features"
    threshold = check_in_range(threshold, "threshold", 6.0, 8.0)
    n_splits = check_positive_int(n_splits, "n_splits", minimum=2)
    n_repeats = check_positive_int(n_repeats, "n_repeats")
    v, X, y = _xy(features, cols, window, threshold)
    n_pos = int(y.sum())
    if min(n_pos, y.size - n_pos) < n_splits:
        raise ValueError(
            f"{n_pos} of {y.size} recordings have pH < {threshold} in window {window!r}: each "
            f"class needs at least n_splits={n_splits} recordings; lower n_splits or add data."
        )
    rng = as_generator(seed)
    inner = max(2, min(3, n_pos - n_pos // n_splits))
    probs = np.full((n_repeats, y.size), np.nan)
    aucs = np.zeros((n_repeats, n_splits))
    tprs = []
    for r in tqdm(range(n_repeats), desc=f"classify {name}", disable=not progress):
        folds = StratifiedKFold(n_splits, shuffle=True, random_state=int(rng.integers(2**31)))
        for f, (tr, te) in enumerate(folds.split(X, y)):
            base = make_pipeline(StandardScaler(),
                                 LogisticRegression(C=C, class_weight="balanced", max_iter=1000))
            model = CalibratedClassifierCV(base, method="sigmoid", cv=inner).fit(X[tr], y[tr])
            p = model.predict_proba(X[te])[:, 1]
            probs[r, te] = p
            aucs[r, f] = roc_auc_score(y[te], p)
            fpr, tpr, _ = roc_curve(y[te], p)
            tprs.append(np.interp(_FPR, fpr, tpr))
    decision = n_pos / y.size
    alerts = probs >= decision
    majority = alerts.mean(axis=0) >= 0.5
    table = pd.DataFrame({
        "record": v["record"].to_numpy(), "ph": v["ph"].to_numpy(dtype=float), "y": y.astype(int),
        "prob": probs.mean(axis=0), "prob_low": np.quantile(probs, 0.05, axis=0),
        "prob_high": np.quantile(probs, 0.95, axis=0), "alert": majority,
        "agreement": (alerts == majority).mean(axis=0),
    })
    half = stats.t.ppf(0.975, n_splits - 1) * aucs.std(ddof=1) / math.sqrt(n_splits)
    mean = float(aucs.mean())
    return FHRClassification(
        feature_set=name, features=cols, threshold=threshold, auc=mean,
        auc_low=max(0.0, mean - half), auc_high=min(1.0, mean + half), fold_auc=aucs,
        fpr=_FPR.copy(),
        tpr=np.array(tprs), probabilities=table, decision=decision, n_pos=n_pos, n=int(y.size),
    )


@dataclass
class FHRComparison:
    """Several feature sets classified on the same folds (see :func:`compare_feature_sets`).

    Attributes
    ----------
    results : dict of str to FHRClassification
        One classification per feature set, in the order the sets were given.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from textures_nb.fhr import FHRFeatures, compare_feature_sets
    >>> rng = np.random.default_rng(0)
    >>> ph = np.r_[rng.uniform(6.9, 7.0, 10), rng.uniform(7.1, 7.4, 30)]
    >>> v = pd.DataFrame({"record": range(40), "window": "last", "ph": ph,
    ...                   "a": rng.normal(size=40), "b": rng.normal(size=40)})
    >>> cmp = compare_feature_sets(FHRFeatures(v, {"a": ["a"], "b": ["b"]}), ["a", "b"],
    ...                            n_splits=3, n_repeats=1, progress=False)
    >>> type(cmp).__name__, list(cmp.results), cmp.table().shape
    ('FHRComparison', ['a', 'b'], (2, 5))
    """

    results: dict = field(repr=False)

    def __repr__(self) -> str:
        parts = ", ".join(f"{k} {getattr(r, 'auc', math.nan):.2f}" for k, r in self.results.items())
        parts = parts if len(parts) < 200 else parts[:196] + " ..."
        return f"FHRComparison(AUC: {parts})"

    def table(self):
        """AUC per feature set: mean, 95 % interval over folds, sd over folds."""
        import pandas as pd

        return pd.DataFrame(
            {
                k: {"auc": r.auc, "auc_low": r.auc_low, "auc_high": r.auc_high,
                    "sd_over_folds": float(r.fold_auc.std(ddof=1)), "n_features": len(r.features)}
                for k, r in self.results.items()
            }
        ).T

    def plot(self, *, title: str | None = None):
        """ROC curves of every feature set with bands over folds."""
        colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
        fig = None
        for i, r in enumerate(self.results.values()):
            fig = r.plot(fig=fig, color=colors[i % len(colors)], title=title)
        return fig


def compare_feature_sets(
    features: FHRFeatures,
    sets=("classical", "multiscale", "classical+multiscale"),
    *,
    seed: int | np.random.Generator = 0,
    progress: bool = True,
    **kwargs,
) -> FHRComparison:
    """:func:`classify` with several feature sets on identical folds (paired comparison).

    Parameters
    ----------
    features : FHRFeatures
    sets : sequence of str
        Keys of ``features.feature_sets``.
    seed : int or numpy.random.Generator, default 0
        An int is passed to every set (same folds); a Generator is turned into
        one int first.
    progress : bool, default True
    **kwargs
        Passed to :func:`classify` (``threshold``, ``n_splits``, ``n_repeats``...).

    Returns
    -------
    FHRComparison

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from textures_nb.fhr import FHRFeatures, compare_feature_sets
    >>> rng = np.random.default_rng(0)
    >>> ph = np.r_[rng.uniform(6.9, 7.0, 10), rng.uniform(7.1, 7.4, 30)]
    >>> v = pd.DataFrame({"record": range(40), "window": "last", "ph": ph,
    ...                   "a": (ph < 7.05) + rng.normal(0, 0.5, 40), "b": rng.normal(size=40)})
    >>> cmp = compare_feature_sets(FHRFeatures(v, {"a": ["a"], "b": ["b"]}), ["a", "b"],
    ...                            n_repeats=2, progress=False)
    >>> list(cmp.table().index), cmp.results["a"].auc > cmp.results["b"].auc
    (['a', 'b'], True)
    """
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2**31))
    return FHRComparison(
        {s: classify(features, feature_set=s, seed=seed, progress=progress, **kwargs)
         for s in sets}
    )
