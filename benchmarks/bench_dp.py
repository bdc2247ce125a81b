"""Accuracy of DPLogisticRegression against the non-private model, over epsilon.

make_classification (5000 records, 10 features), rows scaled once so that every
norm is at most 1 (``data_norm=1.0``), the label set given (``classes=[0, 1]``).
For each seed the records are split 70/30 and every private model draws its noise
from that seed; the table holds the mean test accuracy over the seeds, and the
non-private ``LogisticRegression`` (same ``C``) on the same splits.

Rows: objective perturbation as shipped (the extra-regularisation branch taken
whenever the plain branch leaves less than epsilon/2 for the noise), objective
perturbation with the paper's switching rule (extra regularisation only when the
plain branch leaves nothing), and output perturbation. ``--share S`` adds a
row where the extra regularisation leaves ``S * epsilon`` for the noise (the
shipped rule is ``S = 1/2``; any ``0 < S < 1`` is private under the same
theorem), for comparison.

    python benchmarks/bench_dp.py            # 20 seeds, 1 to 3 minutes
    python benchmarks/bench_dp.py --C 1 --share 0.75 0.9
"""

import argparse
import time
import warnings
from unittest import mock

import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skinvert.defenses import DPLogisticRegression, _dp

EPSILONS = (0.1, 0.5, 1.0, 5.0)


def paper_rule(epsilon, n, regularization, curvature=0.25):
    """Algorithm 2 as printed: extra regularisation only when eps' <= 0."""
    ratio = curvature / (n * regularization)
    epsilon_prime = epsilon - 2.0 * np.log1p(ratio)
    if epsilon_prime > 0:
        return float(epsilon_prime), 0.0
    return epsilon / 2, curvature / (n * np.expm1(epsilon / 4)) - regularization


def share_rule(share):
    """Extra regularisation whenever the plain branch leaves < share * eps."""

    def rule(epsilon, n, regularization, curvature=0.25):
        epsilon_prime = epsilon - 2.0 * np.log1p(curvature / (n * regularization))
        if epsilon_prime >= share * epsilon:
            return float(epsilon_prime), 0.0
        total = curvature / (n * np.expm1((1 - share) * epsilon / 2))
        return share * epsilon, total - regularization

    return rule


def make_data(n_samples=5000, n_features=10):
    X, y = make_classification(
        n_samples=n_samples, n_features=n_features, random_state=0
    )
    return X / np.linalg.norm(X, axis=1).max(), y


def accuracy(splits, make_model, rule=None):
    scores = []
    for seed, (X_train, X_test, y_train, y_test) in enumerate(splits):
        model = make_model(seed)
        if rule is None:
            model.fit(X_train, y_train)
        else:
            with mock.patch.object(_dp, "objective_perturbation_budget", rule):
                model.fit(X_train, y_train)
        scores.append(model.score(X_test, y_test))
    return float(np.mean(scores))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--C", type=float, nargs="+", default=[1.0, 2.0])
    parser.add_argument("--share", type=float, nargs="*", default=[])
    args = parser.parse_args()
    X, y = make_data()
    splits = [
        train_test_split(X, y, test_size=0.3, random_state=seed)
        for seed in range(args.seeds)
    ]
    start = time.perf_counter()
    header = "| model | C | " + " | ".join(f"eps={e:g}" for e in EPSILONS) + " |"
    print(f"make_classification 5000x10, rows of norm <= 1, {args.seeds} seeds")
    print(header)
    print("|---|---:|" + "---:|" * len(EPSILONS))
    for C in args.C:
        reference = accuracy(
            splits, lambda seed, C=C: LogisticRegression(C=C, max_iter=1000)
        )
        cells = " | ".join(f"{reference:.3f}" for _ in EPSILONS)
        print(f"| non-private LogisticRegression | {C:g} | {cells} |")
        rows = [
            ("objective (default)", "objective", None),
            ("objective, paper's switch (eps' <= 0)", "objective", paper_rule),
            ("output", "output", None),
        ]
        rows[2:2] = [
            (f"objective, eps' = {share:g} eps (not shipped)", "objective", rule)
            for share, rule in ((s, share_rule(s)) for s in args.share)
        ]
        for name, method, rule in rows:
            cells = []
            for epsilon in EPSILONS:

                def make(seed, epsilon=epsilon, method=method, C=C):
                    return DPLogisticRegression(
                        epsilon=epsilon,
                        C=C,
                        data_norm=1.0,
                        method=method,
                        classes=[0, 1],
                        random_state=seed,
                    )

                with warnings.catch_warnings():
                    warnings.simplefilter("error")  # no privacy warning may pass
                    cells.append(f"{accuracy(splits, make, rule):.3f}")
            print(f"| {name} | {C:g} | " + " | ".join(cells) + " |")
    print(f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
