"""Attacks on a continuous sensitive attribute against the model-free references.

For each dataset, target type and seed, the records are shuffled and cut in three:
the target's training set (members), the attacker's auxiliary data, and held-out
non-members. Each attack is fitted on the auxiliary data and infers the sensitive
value of members and non-members; the references are the auxiliary median (no
knowledge) and :class:`~skinvert.attacks.ImputationRegressor` (known features and
label, no target access). Reported: MAE, RMSE, R^2 and the share of victims
inferred within +/- 10 % of their value (``attack_within_tolerance``), each the
mean over seeds, and the paired difference of MAE between the combined regressor
and imputation, mean +/- standard error over seeds.

Datasets: ``synthetic`` (a planted leak: the label depends on the sensitive
value, half of which the known features give away), ``synthetic0`` (no leak: the
label ignores it), ``affairs-age`` and ``affairs-yrs`` (the bundled Fair 1978
survey, label "happy"; both attributes are interval midpoints with 6-7 values),
``anes96-age`` (statsmodels' 1996 American National Election Study, 944
respondents, label "vote"; ages 19 to 91).

Run from the repository root::

    OMP_NUM_THREADS=1 python benchmarks/bench_continuous.py              # 5 seeds
    OMP_NUM_THREADS=1 python benchmarks/bench_continuous.py --seeds 1 \
        --datasets synthetic --targets rf
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine

from skinvert.attacks import FredriksonRegressor, ImputationRegressor
from skinvert.attacks._combined_regressor import (
    CombinedFredriksonRegressor,
)
from skinvert.metrics import attack_mae, attack_r2, attack_rmse
from skinvert.metrics._regression import attack_within_tolerance


def _synthetic(leak):
    def load(seed):
        rng = np.random.default_rng(1000 + seed)
        n = 4500
        x = rng.standard_normal((n, 4))
        value = x[:, 0] + rng.standard_normal(n)
        y = (x[:, 1] + leak * value > 0).astype(int)
        y = np.where(rng.random(n) < 0.2, 1 - y, y)
        # shifted to positive values, so that +/- 10 % means something
        return np.column_stack([value + 10.0, x]), y, 0

    return load


def _affairs(column):
    def load(seed):
        from skinvert.datasets import load_affairs

        bunch = load_affairs(sensitive=column)
        return bunch.data, bunch.target.astype(int), bunch.feature_names.index(column)

    return load


def _anes96(seed):
    from skinvert.utils._optional import import_optional

    datasets = import_optional("statsmodels.datasets", purpose="the ANES 1996 data")
    frame = datasets.anes96.load_pandas().data
    columns = [
        "age",
        "popul",
        "TVnews",
        "selfLR",
        "ClinLR",
        "DoleLR",
        "PID",
        "educ",
        "income",
    ]
    return frame[columns].to_numpy(float), frame["vote"].to_numpy(int), 0


DATASETS = {
    "synthetic": _synthetic(2.0),
    "synthetic0": _synthetic(0.0),
    "affairs-age": _affairs("age"),
    "affairs-yrs": _affairs("yrs_married"),
    "anes96-age": _anes96,
}

TARGETS = {
    "rf": lambda seed: RandomForestClassifier(100, random_state=seed),
    "dt": lambda seed: DecisionTreeClassifier(random_state=seed),
    "lr": lambda seed: make_pipeline(StandardScaler(), LogisticRegression()),
}

METRICS = {
    "MAE": attack_mae,
    "RMSE": attack_rmse,
    "R2": attack_r2,
    "within10": attack_within_tolerance,
}


class _Median:
    """The no-knowledge reference: the auxiliary median for every victim."""

    queries_per_victim_ = 0

    def fit(self, X, s):
        self.value_ = float(np.median(s))
        return self

    def predict(self, X):
        return np.full(X.shape[0], self.value_)


def _attacks(target, column, label, seed, tolerance):
    common = {"sensitive": column, "label": label}
    combined = CombinedFredriksonRegressor(
        target, **common, tolerance=tolerance, random_state=seed
    )
    return {
        "median": _Median(),
        "imputation": ImputationRegressor(**common, random_state=seed),
        "fredrikson": FredriksonRegressor(target, **common),
        "combined": combined,
    }


def run_one(dataset, target_name, seed, tolerance=0.5):
    """Metrics of every attack on members and non-members for one seed."""
    X, y, column = DATASETS[dataset](seed)
    order = np.random.default_rng(seed).permutation(len(y))
    members, aux, others = np.array_split(order, 3)
    target = TARGETS[target_name](seed).fit(X[members], y[members])
    view = np.column_stack([X, y])
    label = X.shape[1]
    s = X[:, column]
    out = {}
    for name, attack in _attacks(target, column, label, seed, tolerance).items():
        start = time.perf_counter()
        attack.fit(view[aux], s[aux])
        row = {"queries": attack.queries_per_victim_}
        for population, rows in (("members", members), ("non-members", others)):
            predicted = attack.predict(view[rows])
            for metric, function in METRICS.items():
                row[metric, population] = function(s[rows], predicted)
        row["seconds"] = time.perf_counter() - start
        row["temperature"] = getattr(attack, "temperature_", None)
        out[name] = row
    return out


def _fmt(value):
    return f"{value:.3f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument(
        "--tolerance", type=float, default=0.5, help="of the combined regressor"
    )
    args = parser.parse_args(argv)
    print(f"# {machine()}; {args.seeds} seeds; tolerance={args.tolerance}\n")
    summary = []
    print(
        "| dataset | target | attack | queries | MAE members / non | "
        "RMSE members / non | R2 members / non | within 10 % members / non |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for dataset in args.datasets.split(","):
        for target_name in args.targets.split(","):
            runs = [
                run_one(dataset, target_name, seed, args.tolerance)
                for seed in range(args.seeds)
            ]
            for name in runs[0]:
                cells = []
                for metric in METRICS:
                    pair = [
                        np.mean([r[name][metric, p] for r in runs])
                        for p in ("members", "non-members")
                    ]
                    cells.append(" / ".join(_fmt(v) for v in pair))
                # per seed: 0 where the combined attack chose temperature inf
                queries = "/".join(
                    str(q) for q in sorted({r[name]["queries"] for r in runs})
                )
                print(
                    f"| {dataset} | {target_name} | {name} | {queries} | "
                    + " | ".join(cells)
                    + " |"
                )
            deltas = {}
            for population in ("members", "non-members"):
                diff = np.array(
                    [
                        r["combined"]["MAE", population]
                        - r["imputation"]["MAE", population]
                        for r in runs
                    ]
                )
                se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else 0.0
                deltas[population] = (diff.mean(), se)
            temperatures = [r["combined"]["temperature"] for r in runs]
            summary.append((dataset, target_name, deltas, temperatures))
    print(
        "\nCombined minus imputation, MAE (negative: the combined attack is "
        "better), mean +/- standard error over seeds; temperatures chosen:\n"
    )
    print("| dataset | target | members | non-members | temperatures |")
    print("|---|---|---:|---:|---|")
    for dataset, target_name, deltas, temperatures in summary:
        cells = [f"{m:+.3f} +/- {e:.3f}" for m, e in deltas.values()]
        chosen = ", ".join("inf" if np.isinf(t) else f"{t:g}" for t in temperatures)
        print(f"| {dataset} | {target_name} | {cells[0]} | {cells[1]} | {chosen} |")


if __name__ == "__main__":
    main()
