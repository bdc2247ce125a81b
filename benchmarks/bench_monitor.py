"""How often a QueryMonitor flags each attack's queries, and benign traffic.

For each dataset, trains a random forest (the target) on a third of the records,
fits a :class:`~skinvert.defenses.QueryMonitor` on benign traffic (records drawn
at random, with replacement, from the whole dataset), wraps the target in a
:class:`~skinvert.defenses.MonitoredTarget`, and runs every attack of
:mod:`skinvert.attacks` that queries the target on ``--victims`` victims (the
attacker's auxiliary records are another part of the data). Per attack: the
detection rate (share of the query batches of its inference that are flagged)
and the column accuracy (share of the flagged batches whose suspected column is
the sensitive one); then the false-alarm rate on held-out benign traffic, drawn
as the training traffic was. This is :func:`skinvert.defenses.monitor_detection`
on each dataset and batch size.

Datasets: ``synthetic`` (make_sensitive_classification: continuous known
features, a binary sensitive column; the continuous-attribute regressors also run
on its column 1) and ``affairs`` (the survey: few distinct values per column, so
benign batches hold records that differ in one column only).

Run from the repository root::

    python benchmarks/bench_monitor.py                     # both, batch 100
    python benchmarks/bench_monitor.py --data affairs --batch-sizes 20,100,500
    python benchmarks/bench_monitor.py --format markdown   # for RESULTS.md
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import machine
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator

from skinvert.attacks import FredriksonInversion
from skinvert.datasets import load_affairs, make_sensitive_classification
from skinvert.defenses import MonitoredTarget, QueryMonitor, monitor_detection
from skinvert.evaluation._privacy_utility import format_rows

REGRESSORS = ["FredriksonRegressor", "LearnedInversionRegressor"]


def synthetic(seed):
    X, y = make_sensitive_classification(
        n_samples=6000,
        leak=2.0,
        feature_dependence=0.5,
        label_noise=0.1,
        random_state=seed,
    )
    return X, y, 0


def affairs(seed):
    survey = load_affairs()
    return survey.data, survey.target, survey.sensitive_index


DATASETS = {"synthetic": synthetic, "affairs": affairs}


def measure(X, y, sensitive, *, batch_size, victims, seed, attacks=None):
    """The detection table of one dataset, sensitive column and batch size."""
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(y))
    train, pool = order[: len(y) // 3], order[len(y) // 3 :]
    target = RandomForestClassifier(100, random_state=seed, n_jobs=1)
    target.fit(X[train], y[train])
    traffic = X[rng.randint(0, len(y), 2 * 5000)]  # benign: records, at random
    monitor = QueryMonitor(batch_size=batch_size).fit(traffic[:5000])
    table = monitor_detection(
        target,
        X[pool],
        y[pool],
        sensitive=sensitive,
        monitor=monitor,
        benign=traffic[5000:],
        attacks=attacks,
        max_victims=victims,
        random_state=seed,
    )
    return table, monitor.threshold_


class ReorderingClient:
    """An attacker's client that sends each call's rows in another order.

    ``order="shuffle"`` permutes the rows of each call at random;
    ``order="value-major"`` sends, for ``k`` candidates per victim, every victim
    with the first value, then every victim with the second, and so on. Answers
    are put back in the attack's order, so the attack is unchanged.
    """

    def __init__(self, target, order, k, seed=0):
        self.target, self.order, self.k = target, order, k
        self.rng = np.random.RandomState(seed)
        self.classes_ = target.classes_

    def _permutation(self, n):
        if self.order == "shuffle":
            return self.rng.permutation(n)
        return np.arange(n).reshape(-1, self.k).T.ravel()

    def _ask(self, method, X):
        perm = self._permutation(X.shape[0])
        answers = np.asarray(getattr(self.target, method)(X[perm]))
        restored = np.empty_like(answers)
        restored[perm] = answers
        return restored

    def predict(self, X):
        return self._ask("predict", X)

    def predict_proba(self, X):
        return self._ask("predict_proba", X)


def evasion(X, y, sensitive, *, batch_size, victims, seed):
    """FredriksonInversion's detection when its client reorders the queries."""
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(y))
    third = len(y) // 3
    train, aux, pool = order[:third], order[third : 2 * third], order[2 * third :]
    victims = pool[:victims]
    target = RandomForestClassifier(100, random_state=seed, n_jobs=1)
    target.fit(X[train], y[train])
    traffic = X[rng.randint(0, len(y), 5000)]
    monitored = MonitoredTarget(
        FrozenEstimator(target), QueryMonitor(batch_size=batch_size).fit(traffic)
    )
    view = np.column_stack([X, y])
    rows = []
    for name in ("victim-major", "shuffle", "value-major"):
        client = (
            monitored
            if name == "victim-major"
            else ReorderingClient(monitored, name, 2, seed)
        )
        attack = FredriksonInversion(client, sensitive=sensitive, label=X.shape[1])
        attack.fit(view[aux], X[aux, sensitive])
        monitored.reset()
        accuracy = attack.score(view[victims], X[victims, sensitive])
        batches, alerts = monitored.n_batches_, monitored.alerts_
        hits = [alert.column == sensitive for alert in alerts]
        rows.append(
            {
                "query order": name,
                "batches": batches,
                "flagged": len(alerts),
                "detection_rate": len(alerts) / batches if batches else np.nan,
                "column_accuracy": np.mean(hits) if hits else np.nan,
                "attack_accuracy": accuracy,
            }
        )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="synthetic,affairs")
    parser.add_argument("--batch-sizes", default="100", help="comma-separated")
    parser.add_argument("--victims", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("text", "markdown", "csv"), default="text")
    args = parser.parse_args(argv)
    print(f"# {machine()}")
    print(f"# {args.victims} victims per attack; benign traffic: 5000 rows to fit")
    print("# the monitor, 5000 other rows to count its false alarms")
    for name in args.data.split(","):
        X, y, sensitive = DATASETS[name](args.seed)
        runs = [(f"{name}, sensitive column {sensitive}", sensitive, None)]
        if name == "synthetic":
            runs.append((f"{name}, continuous column 1", 1, REGRESSORS))
        for batch_size in (int(b) for b in args.batch_sizes.split(",")):
            for title, column, attacks in runs:
                start = time.perf_counter()
                table, threshold = measure(
                    X,
                    y,
                    column,
                    batch_size=batch_size,
                    victims=args.victims,
                    seed=args.seed,
                    attacks=attacks,
                )
                seconds = time.perf_counter() - start
                print(
                    f"\n## {title}: batch_size={batch_size}, "
                    f"threshold {threshold:.3f} ({seconds:.0f} s)\n"
                )
                print(format_rows(table, args.format))
            print(
                f"\n## {name}, sensitive column {sensitive}: batch_size={batch_size}, "
                "FredriksonInversion through a client that reorders its queries\n"
            )
            rows = evasion(
                X,
                y,
                sensitive,
                batch_size=batch_size,
                victims=args.victims,
                seed=args.seed,
            )
            print(format_rows(rows, args.format))
    return 0


if __name__ == "__main__":
    sys.exit(main())
