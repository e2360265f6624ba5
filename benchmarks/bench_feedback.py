"""Benchmark of textures_nb.feedback and textures_nb.oversampling (issue 16).

1. Speed: the next 20 pairs among 2,000 items (``select_pairs``, active and
   random) and a metric learned from 500 pairs (``learn_metric``, linear and
   with an MLP head); the named peer, metric-learn's pair learners (ITML,
   MMC, SDML), is tried in the same run and its failure with this
   scikit-learn is recorded.
2. Learning curve on the demonstration database (``leaders`` features,
   queries from held-out groups): held-out precision@5 and clustering ARI
   versus the number of answers of a simulated expert with 10 % errors,
   active versus random, over seeds; the MLP head and a perfect expert for
   comparison; and the ceilings of learners given every training label
   (LDA, NCA, polynomial LDA, MLP classifier probabilities).
3. Rare class reduced to 5 %: none, duplication, SMOTE, synthesis,
   synthesis + quality selection; minority recall and balanced accuracy with
   t intervals over seeds, and paired differences.

Run: ``python benchmarks/bench_feedback.py [--speed] [--curve] [--rare]``
(no flag: all); writes ``benchmarks/results_feedback.md`` (or the parts to
``results_feedback_<part>.md`` when run separately).
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from _common import machine_header, median_time

from textures_nb import data, feedback, oversampling
from textures_nb import similarity as sim

torch.set_num_threads(1)
HERE = Path(__file__).parent


def speed() -> list[str]:
    rng = np.random.default_rng(0)
    F = rng.normal(size=(2000, 12)) + np.repeat(rng.normal(size=(20, 12)) * 2, 100, axis=0)
    y = np.repeat(np.arange(20), 100)
    judged = feedback.select_pairs(F, 200, strategy="random", seed=1)
    out = ["## 1. Speed", "", "| task | median s | min s |", "|---|---|---|"]
    for strategy in ("active", "random"):
        med, low = median_time(
            lambda s=strategy: feedback.select_pairs(F, 20, strategy=s, judged=judged), 7
        )
        out.append(
            f"| next 20 pairs among 2,000 items ({strategy}, 200 judged) | {med:.3f} | {low:.3f} |"
        )
    i, j = rng.integers(0, 2000, (2, 520))
    keep = i != j
    pairs = [(a, b, bool(y[a] == y[b])) for a, b in zip(i[keep][:500], j[keep][:500], strict=True)]
    for hidden in (0, 64):
        med, low = median_time(
            lambda h=hidden: feedback.learn_metric(F, pairs, hidden=h, progress=False), 3
        )
        out.append(
            f"| metric from 500 pairs, 2,000 items (hidden={hidden}) | {med:.3f} | {low:.3f} |"
        )
    # the named peer
    try:
        import metric_learn

        P = np.stack([F[[a for a, _, _ in pairs]], F[[b for _, b, _ in pairs]]], axis=1)
        lab = np.array([1 if s else -1 for *_, s in pairs])
        for name in ("ITML", "MMC", "SDML"):
            try:
                t0 = time.perf_counter()
                getattr(metric_learn, name)().fit(P, lab)
                out.append(f"| metric-learn {name}, 500 pairs | {time.perf_counter() - t0:.3f} | |")
            except Exception as err:  # recorded in the results, not hidden
                out.append(
                    f"| metric-learn {metric_learn.__version__} {name} | fails: "
                    f"`{type(err).__name__}: {str(err)[:80]}` | |"
                )
    except ImportError:
        out.append("| metric-learn | not installed | |")
    return out + [""]


def _demo():
    db = data.demo_database(n_per_class=32, patch=64, seed=0)
    base, queries = db.split(0.25, seed=0)
    Fb = sim.features(base.images, "leaders", progress=False)
    Fq = sim.features(queries.images, "leaders", progress=False)
    return Fb, base.labels, Fq, queries.labels


def _ceilings(Fb, yb, Fq, yq) -> list[str]:
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis as LDA
    from sklearn.neighbors import NeighborhoodComponentsAnalysis as NCA
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    def p5(T):
        return sim.precision_at_k(T(Fb), yb, 5, query=T(Fq), query_labels=yq, standardize=False)

    rows = [("standardised features (no answer)", p5(StandardScaler().fit(Fb).transform))]
    for name, model in [
        ("LDA", make_pipeline(StandardScaler(), LDA())),
        ("NCA", make_pipeline(StandardScaler(), NCA(random_state=0))),
        (
            "degree-2 polynomial + shrunk LDA",
            make_pipeline(
                StandardScaler(),
                PolynomialFeatures(2),
                StandardScaler(),
                LDA(solver="eigen", shrinkage="auto"),
            ),
        ),
    ]:
        model.fit(Fb, yb)
        rows.append((name, p5(model.transform)))
    mlp = make_pipeline(
        StandardScaler(), MLPClassifier((64,), alpha=1e-2, max_iter=2000, random_state=0)
    ).fit(Fb, yb)
    rows.append(("MLP classifier, class probabilities as features", p5(mlp.predict_proba)))
    out = [
        "Ceilings: learners given **every** training label (288 patches), held-out precision@5:",
        "",
        "| learner | precision@5 |",
        "|---|---|",
    ]
    return out + [f"| {n} | {v:.3f} |" for n, v in rows] + [""]


def curve(n_seeds: int = 5) -> list[str]:
    Fb, yb, Fq, yq = _demo()
    out = [
        "## 2. Learning curve (demonstration database, leaders features)",
        "",
        f"{len(yb)} database patches, {len(yq)} held-out queries from other groups "
        "(regions, realisations); 12 classes; simulated expert with 10 % errors; "
        f"{n_seeds} seeds; batches of 20 pairs. Mean (sd over seeds).",
        "",
    ]
    t0 = time.perf_counter()
    main = feedback.learning_curve(
        Fb, yb, Fq, yq, answers=(0, 50, 100, 200, 400), n_seeds=n_seeds, progress=False
    )
    secs = time.perf_counter() - t0
    out += ["Linear metric (default, `hidden=0`):", "", main.table().round(3).to_markdown(), ""]
    for strategy in ("random", "active"):
        out.append(
            f"- {strategy}: gain at 200 answers {main.table().loc[(strategy, 200), 'gain']:+.3f}"
        )
    g_random = main.table().loc[("random", 200), "gain"]
    if g_random > 0:
        need = main.answers_for(g_random, "active")
        out.append(f"- answers active needs to reach random's gain at 200: {need:g}")
    else:
        first = main.answers_for(1e-9, "active")
        out.append(
            f"- random pairs lose precision at 200 answers; active gains from {first:g} "
            "answers (nan: never)"
        )
    out += [f"- ({secs:.0f} s)", ""]
    mlp = feedback.learning_curve(
        Fb, yb, Fq, yq, answers=(0, 200), n_seeds=n_seeds, progress=False, hidden=64
    )
    out += ["MLP head (`hidden=64`), 200 answers:", "", mlp.table().round(3).to_markdown(), ""]
    perfect = feedback.learning_curve(
        Fb, yb, Fq, yq, answers=(0, 200, 400), n_seeds=n_seeds, error=0.0, progress=False
    )
    out += [
        "Perfect expert (0 % errors), linear metric:",
        "",
        perfect.table().round(3).to_markdown(),
        "",
    ]
    return out + _ceilings(Fb, yb, Fq, yq)


def rare(n_seeds: int = 8, classes=("fbf H=0.5", "gravel")) -> list[str]:
    db = data.demo_database(n_per_class=32, patch=64, seed=0)
    out = [
        "## 3. Rare class reduced to 5 %",
        "",
        f"Demonstration database; the rare class keeps 2 of its ~24 training patches; each "
        "strategy adds 8 rare samples; logistic regression on the features named in each "
        f"section; scores on held-out groups; {n_seeds} seeds (mean, 95 % t interval). "
        "Synthesis: phase randomisation and IAAFT alternating; quality selection: "
        "`quality.compare` "
        "(39 null draws) does not flag the candidate as different from its source at 5 %.",
        "",
    ]
    for kind in ("wavelet", "leaders"):
        for name in classes:
            t0 = time.perf_counter()
            study = oversampling.rare_class_study(
                db, name, kind=kind, n_seeds=n_seeds, progress=False
            )
            acc = study.scores["accept_rate"].mean()
            out += [
                f"### {name!r}, {kind} features ({time.perf_counter() - t0:.0f} s)",
                "",
                study.table().round(3).to_markdown(),
                "",
                f"- share of syntheses the quality test accepted: {acc:.2f}",
            ]
            for b in ("none", "smote", "synthesis"):
                d = study.paired("synthesis+quality", b)
                out.append(
                    f"- synthesis+quality minus {b}, minority recall: {d['mean']:+.3f} "
                    f"[{d['low']:+.3f}, {d['high']:+.3f}], wins/ties/losses "
                    f"{d['wins']}/{d['ties']}/{d['losses']}"
                )
            out.append("")
    return out


def main(argv: list[str]) -> None:
    warnings.filterwarnings("ignore")
    parts = [a.lstrip("-") for a in argv] or ["speed", "curve", "rare"]
    lines = machine_header("Benchmark: expert feedback on pairs and rare classes (issue 16)")
    for part in parts:
        lines += {"speed": speed, "curve": curve, "rare": rare}[part]()
        print("\n".join(lines[-40:]), flush=True)
    name = "results_feedback.md" if len(parts) == 3 else f"results_feedback_{'_'.join(parts)}.md"
    (HERE / name).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
