"""Shadow-calibrated inversion: what it finds, and what it costs.

``--quality`` (default): on the bundled affairs survey, the ANES 1996 survey
shipped with statsmodels (party identification, Democrat / independent /
Republican, inferred from the other answers and the vote) and synthetic data
with a planted member leak, against a decision tree, a random forest, gradient
boosting and a logistic regression, over ``--seeds`` seeds: each seed shuffles
the records into members (half; they train the target), auxiliary records (a
quarter; the attacker's data) and non-members (a quarter). Every attack is
fitted on the auxiliary records only, with its default settings, and scored by
balanced accuracy on members and on non-members.

``--cost``: fit and predict time of :class:`ShadowCalibratedInversion` against
:class:`CombinedCSMIA` (both with their defaults), median of ``--repeats``.

Run from the repository root::

    OMP_NUM_THREADS=1 python benchmarks/bench_shadow.py --quality --seeds 5
    OMP_NUM_THREADS=1 python benchmarks/bench_shadow.py --cost
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import machine, use_old_imputer

from skinvert.attacks import CSMIA, CombinedCSMIA, ImputationBaseline
from skinvert.attacks._shadow import ShadowCalibratedInversion
from skinvert.datasets import load_affairs, make_sensitive_classification
from skinvert.metrics import attack_balanced_accuracy

MODELS = {
    "tree": lambda seed: DecisionTreeClassifier(random_state=seed),
    "forest": lambda seed: RandomForestClassifier(100, random_state=seed),
    "boosting": lambda seed: HistGradientBoostingClassifier(random_state=seed),
    "logistic": lambda seed: LogisticRegression(max_iter=2000),
}


def affairs():
    """Affairs survey: sensitive ``affair`` (last column), label ``happy``."""
    X, y = load_affairs(return_X_y=True)
    return X, y, X.shape[1] - 1


def anes96():
    """ANES 1996: sensitive party (3 values), label the vote (Clinton / Dole)."""
    from statsmodels.datasets import anes96 as source

    frame = source.load_pandas().data
    party = np.digitize(frame["PID"].to_numpy(), [2.5, 3.5])  # 0-2, 3, 4-6
    columns = [
        "logpopul",
        "TVnews",
        "selfLR",
        "ClinLR",
        "DoleLR",
        "age",
        "educ",
        "income",
    ]
    X = np.column_stack([party, frame[columns].to_numpy(float)])
    return X, frame["vote"].to_numpy().astype(int), 0


def synthetic():
    """Planted member leak (label noise memorised), a moderately strong imputer."""
    X, y = make_sensitive_classification(
        n_samples=4000,
        leak=2.0,
        feature_dependence=1.5,
        label_noise=0.1,
        random_state=0,
    )
    return X, y, 0


DATASETS = {"affairs": affairs, "anes96": anes96, "synthetic": synthetic}


def attacks(target, sensitive, label, seed):
    common = {"sensitive": sensitive, "label": label}
    return {
        "imputation": ImputationBaseline(**common, random_state=seed),
        "CSMIA": CSMIA(target, **common),
        "CombinedCSMIA": CombinedCSMIA(target, **common, random_state=seed),
        "shadow": ShadowCalibratedInversion(target, **common, random_state=seed),
        "shadow (balanced)": ShadowCalibratedInversion(
            target, **common, decision="balanced_accuracy", random_state=seed
        ),
    }


def split(n, seed):
    order = np.random.default_rng(seed).permutation(n)
    return order[: n // 2], order[n // 2 : 3 * n // 4], order[3 * n // 4 :]


def quality(seeds, names):
    rows = []
    for data_name in names:
        X, y, sensitive = DATASETS[data_name]()
        view = np.column_stack([X, y])
        label = X.shape[1]
        s = X[:, sensitive]
        for model_name, make in MODELS.items():
            scores = {}
            for seed in range(seeds):
                members, aux, others = split(len(y), seed)
                target = make(seed).fit(X[members], y[members])
                for name, attack in attacks(target, sensitive, label, seed).items():
                    attack.fit(view[aux], s[aux])
                    scores.setdefault(name, []).append(
                        [
                            attack_balanced_accuracy(s[p], attack.predict(view[p]))
                            for p in (members, others)
                        ]
                    )
            for name, values in scores.items():
                values = np.array(values)
                rows.append((data_name, model_name, name, values))
            print_block(data_name, model_name, scores)
    return rows


def print_block(data_name, model_name, scores):
    imputation = np.array(scores["imputation"])
    csmia = np.array(scores["CSMIA"])
    for name, values in scores.items():
        values = np.array(values)
        mean = values.mean(axis=0)
        sd = values.std(axis=0)
        note = ""
        if name.startswith("shadow"):
            parents = np.maximum(imputation[:, 0], csmia[:, 0])
            gap_members = values[:, 0] - parents
            gap_others = values[:, 1] - imputation[:, 1]
            note = (
                f"{gap_members.mean():+.3f} | {gap_others.mean():+.3f} "
                f"(min {gap_others.min():+.3f})"
            )
        print(
            f"| {data_name} | {model_name} | {name} | {mean[0]:.3f} ± {sd[0]:.3f} "
            f"| {mean[1]:.3f} ± {sd[1]:.3f} | {note} |",
            flush=True,
        )


def cost(repeats, n_aux, n_victims):
    X, y = make_sensitive_classification(
        n_samples=5000 + n_aux + n_victims,
        n_features=10,
        n_sensitive_values=4,
        leak=2.0,
        feature_dependence=1.0,
        random_state=0,
    )
    view, s = np.column_stack([X, y]), X[:, 0]
    train, aux = slice(0, 5000), slice(5000, 5000 + n_aux)
    victims = slice(5000 + n_aux, None)
    for model_name in ("forest", "logistic"):
        target = MODELS[model_name](0).fit(X[train], y[train])
        for name, make in (
            (
                "CombinedCSMIA",
                lambda t=target: CombinedCSMIA(
                    t, sensitive=0, label=10, random_state=0
                ),
            ),
            (
                "ShadowCalibratedInversion",
                lambda t=target: ShadowCalibratedInversion(
                    t, sensitive=0, label=10, random_state=0
                ),
            ),
        ):
            fits, predicts = [], []
            for _ in range(repeats):
                attack = make()
                start = time.perf_counter()
                attack.fit(view[aux], s[aux])
                fits.append(time.perf_counter() - start)
                start = time.perf_counter()
                attack.predict(view[victims])
                predicts.append(time.perf_counter() - start)
            print(
                f"| {model_name} | {name} | {statistics.median(fits):.2f} "
                f"| {statistics.median(predicts):.2f} |",
                flush=True,
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--cost", action="store_true")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--datasets", default="affairs,anes96,synthetic")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-aux", type=int, default=2000)
    parser.add_argument("--n-victims", type=int, default=20000)
    parser.add_argument(
        "--old-imputer", action="store_true", help="the default imputer before 12-01"
    )
    args = parser.parse_args()
    if args.old_imputer:
        use_old_imputer()
    print(machine())
    if args.quality or not args.cost:
        print(
            "| data | target | attack | members | non-members | "
            "shadow - max(imputation, CSMIA) on members | shadow - imputation on "
            "non-members |"
        )
        quality(args.seeds, args.datasets.split(","))
    if args.cost:
        print(
            f"n_aux={args.n_aux}, victims={args.n_victims}, k=4 candidates, 10 features"
        )
        print("| target | attack | fit (s) | predict (s) |")
        cost(args.repeats, args.n_aux, args.n_victims)


if __name__ == "__main__":
    main()
