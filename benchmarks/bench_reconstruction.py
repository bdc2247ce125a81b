"""Whole-record inversion: MI-Face cost, defenses, inversion models, surrogates.

Four measurements on scikit-learn's digits (members train the target, the
attacker holds other records, non-members are the rest) and on the bundled
survey:

1. MI-Face on 10 classes x 8 starts against a logistic regression and an MLP,
   with analytic, finite-difference and NES gradients: wall time (median of
   ``--repeats`` runs), target query rows, iterations, the target's confidence
   in the class at the representatives, and how many representatives are
   nearest their own class mean. With ``--art-python PATH`` (a Python that has
   ``adversarial-robustness-toolbox`` installed), IBM ART's ``MIFace`` runs on
   the same logistic target from the same starts (its ``max_iter`` rule).
2. Defenses against MI-Face (zero-order, through the defended answers) and
   against the inversion model: rounding, top-1, label only, noise, a
   differentially private target.
3. The inversion model (members and non-members) against the class-conditional
   mean.
4. Surrogates under a query budget: fidelity, and the white-box attacks on the
   surrogate beside the black-box attacks on the target.

Run from the repository root::

    python benchmarks/bench_reconstruction.py
    python benchmarks/bench_reconstruction.py --art-python /path/to/venv/bin/python
"""

import argparse
import json
import pickle
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.tree import DecisionTreeClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import machine, median

from skinvert.attacks import (
    FredriksonInversion,
    ImputationBaseline,
    WhiteBoxTreeInversion,
)
from skinvert.datasets import load_affairs
from skinvert.defenses import (
    DPLogisticRegression,
    LabelOnly,
    NoisyConfidences,
    QueryCounter,
    RoundedConfidences,
    TopKConfidences,
)
from skinvert.reconstruction import (
    InversionModel,
    MIFace,
    Surrogate,
    compare_to_reference,
)

N_CLASSES, N_STARTS = 10, 8

ART_SCRIPT = """
import json, pickle, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np
from art.attacks.inference.model_inversion import MIFace
from art.estimators.classification.scikitlearn import ScikitlearnLogisticRegression
target, starts, labels, max_iters = pickle.load(open(sys.argv[1], "rb"))
out = []
for max_iter in max_iters:
    clf = ScikitlearnLogisticRegression(target, clip_values=(0.0, 16.0))
    calls = {"grad": 0, "pred": 0}
    grad, pred = clf.class_gradient, clf.predict
    def class_gradient(x, label=None, **kw):
        calls["grad"] += len(x)
        return grad(x, label=label, **kw)
    def predict(x, **kw):
        calls["pred"] += len(x)
        return pred(x, **kw)
    clf.class_gradient, clf.predict = class_gradient, predict
    attack = MIFace(clf, max_iter=max_iter, batch_size=len(starts), verbose=False)
    t0 = time.perf_counter()
    found = attack.infer(starts.copy(), labels)
    seconds = time.perf_counter() - t0
    out.append({"max_iter": max_iter, "seconds": seconds, "found": found.tolist(),
                "grad_rows": calls["grad"], "pred_rows": calls["pred"]})
print(json.dumps(out))
"""


def digits_split():
    X, y = load_digits(return_X_y=True)
    order = np.random.RandomState(0).permutation(len(y))
    X, y = X[order], y[order]
    return (X[:800], y[:800]), (X[800:1400], y[800:1400]), (X[1400:], y[1400:])


def fit_targets(members):
    X, y = members
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lr = LogisticRegression(max_iter=1000).fit(X, y)
        mlp = MLPClassifier((64,), max_iter=1000, random_state=0)
        mlp = make_pipeline(MinMaxScaler(), mlp).fit(X, y)
    return {"LogisticRegression": lr, "MLP(64)": mlp}


def face_quality(target, reps, means):
    codes = np.arange(N_CLASSES)
    conf = target.predict_proba(reps)[codes, codes]
    dist = ((reps[:, None] - means[None]) ** 2).sum(axis=2)
    nearest = int((dist.argmin(axis=1) == codes).sum())
    mae = float(np.abs(reps - means).mean())
    return conf, nearest, mae


def bench_miface(targets, aux, means, repeats, art_python):
    print("\n## MI-Face: 10 classes x 8 starts\n")
    print(
        "| target | gradient | seconds | query rows | iterations | stopped by "
        "| min / mean confidence | nearest own mean | MAE to class mean |"
    )
    print("|---|---|---:|---:|---:|---|---:|---:|---:|")
    for name, target in targets.items():
        for gradient in ("analytic", "finite_difference", "nes"):
            times, attack = [], None
            for _ in range(repeats):
                counter = QueryCounter(FrozenEstimator(target))
                attack = MIFace(
                    counter, gradient=gradient, n_starts=N_STARTS, random_state=0
                )
                start = time.perf_counter()
                attack.fit(aux)
                times.append(time.perf_counter() - start)
                assert attack.n_queries_ == counter.n_rows_
            conf, nearest, mae = face_quality(target, attack.representatives_, means)
            print(
                f"| {name} | {gradient} | {median(times):.3f} | "
                f"{attack.n_queries_} | {attack.n_iter_} | {attack.stopped_by_} | "
                f"{conf.min():.3f} / {conf.mean():.3f} | {nearest}/10 | {mae:.2f} |"
            )
    if art_python:
        bench_art(targets["LogisticRegression"], aux, means, art_python)


def bench_art(target, aux, means, art_python):
    labels = np.repeat(np.arange(N_CLASSES), N_STARTS)
    rng = np.random.RandomState(0)
    starts = np.empty((N_CLASSES, N_STARTS, aux.shape[1]))
    starts[:, 0] = aux.mean(axis=0)
    starts[:, 1:] = aux[rng.randint(aux.shape[0], size=(N_CLASSES, N_STARTS - 1))]
    starts = starts.reshape(-1, aux.shape[1])
    with tempfile.TemporaryDirectory() as tmp:
        data, script = Path(tmp) / "in.pkl", Path(tmp) / "art_miface.py"
        data.write_bytes(pickle.dumps((target, starts, labels, [100, 1000, 10000])))
        script.write_text(ART_SCRIPT)
        run = subprocess.run(
            [art_python, str(script), str(data)],
            capture_output=True,
            text=True,
            check=True,
        )
    print(
        "\nIBM ART `MIFace` on the same LogisticRegression, the same 80 starts "
        "(batch of 80, learning_rate=0.1, its window/threshold rule), one run "
        "each; the confidence is the target's at the best of each class's 8 "
        "end points:\n"
    )
    print(
        "| ART max_iter | seconds | gradient rows | prediction rows "
        "| min / mean confidence (best start) | end points with confidence < 0.5 "
        "| nearest own mean |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for row in json.loads(run.stdout.strip().splitlines()[-1]):
        found = np.asarray(row["found"])
        conf_all = target.predict_proba(found)[np.arange(len(labels)), labels]
        best = conf_all.reshape(N_CLASSES, N_STARTS).argmax(axis=1)
        reps = found.reshape(N_CLASSES, N_STARTS, -1)[np.arange(N_CLASSES), best]
        conf, nearest, _ = face_quality(target, reps, means)
        print(
            f"| {row['max_iter']} | {row['seconds']:.2f} | {row['grad_rows']} | "
            f"{row['pred_rows']} | {conf.min():.3f} / {conf.mean():.3f} | "
            f"{int((conf_all < 0.5).sum())}/80 | {nearest}/10 |"
        )


def defended(lr, members):
    X, y = members
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dp = DPLogisticRegression(
            epsilon=1.0, data_norm=16.0 * 8, classes=np.arange(10), random_state=0
        ).fit(X, y)
    frozen = FrozenEstimator(lr)
    return {
        "none": lr,
        "rounded, 2 decimals": RoundedConfidences(frozen, decimals=2),
        "rounded, 1 decimal": RoundedConfidences(frozen, decimals=1),
        "top-1": TopKConfidences(frozen, k=1),
        "label only": LabelOnly(frozen),
        "noise (Laplace 0.5 on log p)": NoisyConfidences(
            frozen, scale=0.5, random_state=0
        ),
        "DP logistic (epsilon=1)": dp,
    }


def bench_defenses(lr, members, aux, out, means):
    print(
        "\n## Defenses against MI-Face and the inversion model (digits, logistic "
        "target)\n"
    )
    print(
        "MI-Face queries the defended answers (finite differences, and NES "
        "probes of 1% and 10% of the range; 10 classes x 2 starts, budget 200,000 "
        "rows); each cell: mean confidence, representatives nearest their own "
        "class mean; "
        "the confidence is the undefended target's at the representatives (the DP "
        "row: the DP model's own). The inversion model (random forest) is "
        "trained on the defended answers to the attacker's 600 records; its "
        "error is the mean absolute pixel error (0-16) on members / non-members, "
        "beside the class-conditional mean (2.14 / 2.13).\n"
    )
    print(
        "| released | MI-Face FD | MI-Face NES 1% | MI-Face NES 10% | "
        "inversion model MAE members / non-members |"
    )
    print("|---|---:|---:|---:|---:|")
    X_aux, y_aux = aux
    for name, target in defended(lr, members).items():
        cells = []
        truth = target if name.startswith("DP") else lr
        for gradient, sigma in (("finite_difference", 0), ("nes", 0.01), ("nes", 0.1)):
            attack = MIFace(
                target,
                gradient=gradient,
                n_starts=2,
                max_queries=200_000,
                nes_sigma=sigma or 0.01,
                random_state=0,
            )
            attack.fit(X_aux)
            conf, nearest, _ = face_quality(truth, attack.representatives_, means)
            cells.append(f"{conf.mean():.3f}, {nearest}/10")
        inversion = InversionModel(target, random_state=0).fit(X_aux)
        table = compare_to_reference(
            inversion, {"members": members, "non-members": out}, X_aux, y_aux
        )
        cells.append(
            f"{table['members'].attack_mean:.2f} / "
            f"{table['non-members'].attack_mean:.2f}"
        )
        print(f"| {name} | " + " | ".join(cells) + " |")


def bench_surrogates(targets, aux, means):
    print("\n## Surrogates against queries\n")
    X, y = load_affairs(return_X_y=True)
    order = np.random.RandomState(0).permutation(len(y))
    X, y = X[order], y[order]
    members, aux_s, view = X[:3000], X[3000:4500], np.column_stack([X, y])
    tree = DecisionTreeClassifier(max_depth=6, random_state=0).fit(members, y[:3000])
    s_col = 7  # affair
    reference = ImputationBaseline(sensitive=s_col, label=8, random_state=0)
    ref_acc = reference.fit(view[3000:4500], X[3000:4500, s_col]).score(
        view[:3000], X[:3000, s_col]
    )
    black = FredriksonInversion(tree, sensitive=s_col, label=8)
    black_acc = black.fit(view[3000:4500], X[3000:4500, s_col]).score(
        view[:3000], X[:3000, s_col]
    )
    white = WhiteBoxTreeInversion(tree, sensitive=s_col, label=8)
    white_acc = white.fit(view[3000:4500], X[3000:4500, s_col]).score(
        view[:3000], X[:3000, s_col]
    )
    print(
        "Survey, decision tree (depth 6) on 3000 members; the attribute attacks "
        "infer `affair` of the 3000 members knowing their label. Reference "
        f"(imputation, no target access): {ref_acc:.3f}. On the target: "
        f"FredriksonInversion (black box, 2 queries per victim, 6000 rows) "
        f"{black_acc:.3f}; WhiteBoxTreeInversion (the true tree) {white_acc:.3f}.\n"
    )
    print(
        "| budget (query rows) | rows spent | fidelity (held-out aux) | "
        "agreement on members | WhiteBoxTreeInversion on the surrogate |"
    )
    print("|---:|---:|---:|---:|---:|")
    for budget in (100, 300, 1000, 3000, 10000):
        surrogate = Surrogate(tree, max_queries=budget, random_state=0).fit(aux_s)
        agree = np.mean(surrogate.predict(members) == tree.predict(members))
        attack = WhiteBoxTreeInversion(surrogate.estimator_, sensitive=s_col, label=8)
        acc = attack.fit(view[3000:4500], X[3000:4500, s_col]).score(
            view[:3000], X[:3000, s_col]
        )
        print(
            f"| {budget} | {surrogate.n_queries_} | {surrogate.fidelity_:.3f} | "
            f"{agree:.3f} | {acc:.3f} |"
        )
    print(
        "\nDigits, MLP target: MI-Face with analytic gradients on a logistic "
        "surrogate (trained on the MLP's labels), against zero-order MI-Face on "
        "the MLP itself (finite differences, 10 classes x 2 starts); confidence "
        "is the MLP's at the representatives:\n"
    )
    print(
        "| attack | target query rows | mean confidence of the MLP | nearest own mean |"
    )
    print("|---|---:|---:|---:|")
    mlp = targets["MLP(64)"]
    for budget in (300, 1000, 3000, 10000):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            surrogate = Surrogate(
                mlp,
                estimator=LogisticRegression(C=0.01, solver="newton-cg"),
                max_queries=budget,
                random_state=0,
            ).fit(aux)
        face = MIFace(surrogate.estimator_, n_starts=2, random_state=0).fit(aux)
        conf, nearest, _ = face_quality(mlp, face.representatives_, means)
        print(
            f"| surrogate ({surrogate.fidelity_:.2f} fidelity) + analytic MI-Face "
            f"| {surrogate.n_queries_} | {conf.mean():.3f} | {nearest}/10 |"
        )
    for budget in (10_000, 30_000, None):
        face = MIFace(
            mlp,
            gradient="finite_difference",
            n_starts=2,
            max_queries=budget,
            random_state=0,
        ).fit(aux)
        conf, nearest, _ = face_quality(mlp, face.representatives_, means)
        print(
            f"| zero-order MI-Face on the MLP (budget {budget}) | "
            f"{face.n_queries_} | {conf.mean():.3f} | {nearest}/10 |"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--art-python",
        default=None,
        help="a Python with adversarial-robustness-toolbox",
    )
    parser.add_argument("--parts", default="miface,defenses,surrogates")
    args = parser.parse_args(argv)
    members, aux, out = digits_split()
    X, y = members
    means = np.array([X[y == c].mean(axis=0) for c in range(N_CLASSES)])
    targets = fit_targets(members)
    print(f"# {machine()}")
    parts = args.parts.split(",")
    if "miface" in parts:
        bench_miface(targets, aux[0], means, args.repeats, args.art_python)
    if "defenses" in parts:
        bench_defenses(targets["LogisticRegression"], members, aux, out, means)
    if "surrogates" in parts:
        bench_surrogates(targets, aux[0], means)


if __name__ == "__main__":
    main()
