"""LiRA (offline) against a random forest on a census-like synthetic table.

The set-up of the SACRO-ML reference measurement on UCI Adult: 30,162 records,
half of them the target's training members, a
``RandomForestClassifier(n_estimators=100)`` target, offline LiRA whose shadow
models are trained on random halves of all 30,162 records (each record is out of
half the shadows; its OUT shadows give its reference distribution). Reported: ROC
AUC, TPR at 1 % and 0.1 % FPR, wall time (shadow training and scoring) and the
files left on disk.

The table mimics Adult's shape: 14 columns (6 continuous, 8 small integer codes),
a binary label with label noise, so that the target reaches about Adult's test
accuracy (0.85) and memorises its training records.

Run (full configuration, as in RESULTS.md)::

    python benchmarks/bench_membership.py --n-shadows 16 --n-jobs 2

A smaller one: ``--n-records 6000 --n-shadows 8``; ``--rmia-shadows 4`` adds
offline RMIA with 4 reference models.
"""

import argparse
import contextlib
import os
import tempfile
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from skinvert.datasets import make_sensitive_classification
from skinvert.membership import (
    RMIA,
    LiRA,
    LossThresholdAttack,
    membership_roc_auc,
    membership_tpr_at_fpr,
)

ANCHOR = {"auc": 0.79, "tpr@1%": 0.24, "tpr@0.1%": 0.015, "seconds": 304.0}


def census_like(n, seed=0):
    """An Adult-shaped table: 6 continuous columns, 8 integer-coded ones."""
    X, y = make_sensitive_classification(
        n_samples=n, n_features=14, label_noise=0.1, random_state=seed
    )
    rng = np.random.default_rng(seed)
    for j in range(6, 14):  # categorical columns: quantile bins, 2 to 16 codes
        bins = np.quantile(X[:, j], np.linspace(0, 1, rng.integers(2, 17))[1:-1])
        X[:, j] = np.digitize(X[:, j], bins)
    return X, y


def files_under(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.path.getsize(os.path.join(root, name))
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-records", type=int, default=30162)
    parser.add_argument("--n-shadows", type=int, default=16)
    parser.add_argument("--n-trees", type=int, default=100)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--rmia-shadows",
        type=int,
        default=0,
        help="also run offline RMIA with this many reference models (0: skip)",
    )
    args = parser.parse_args()

    X, y = census_like(args.n_records, args.seed)
    n_members = args.n_records // 2
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(args.n_records)
    member = np.zeros(args.n_records, dtype=int)
    member[order[:n_members]] = 1
    # one thread per forest: the shadows (clones of the target) run n_jobs at once
    target = RandomForestClassifier(args.n_trees, random_state=args.seed)
    start = time.perf_counter()
    target.fit(X[member == 1], y[member == 1])
    one_fit = time.perf_counter() - start
    view = np.column_stack([X, y])  # the attacker's records and their labels
    print(
        f"{args.n_records} records, {n_members} members; target train accuracy "
        f"{target.score(X[member == 1], y[member == 1]):.3f}, test accuracy "
        f"{target.score(X[member == 0], y[member == 0]):.3f}"
    )

    # every temporary file of the run (joblib's memmaps included) goes to a fresh
    # folder; what is left in it is the disk use
    tmp = tempfile.mkdtemp(prefix="bench_membership_")
    os.environ["JOBLIB_TEMP_FOLDER"] = tmp
    tempfile.tempdir = tmp
    rows = []
    start = time.perf_counter()
    loss = LossThresholdAttack(target, label=14, fpr=0.01)
    scores = loss.fit(view[member == 0][:1000]).decision_function(view)
    rows.append(("LossThreshold (Yeom)", scores, time.perf_counter() - start))

    start = time.perf_counter()
    lira = LiRA(
        target,
        label=14,
        n_shadows=args.n_shadows,
        keep_shadows=False,
        n_jobs=args.n_jobs,
        random_state=args.seed,
    )
    scores = lira.fit(view).decision_function(view)
    seconds = time.perf_counter() - start
    rows.append((f"LiRA offline, {args.n_shadows} shadows", scores, seconds))
    floor = args.n_shadows * one_fit / args.n_jobs
    print(
        f"one fit of the target's algorithm: {one_fit:.1f} s; {args.n_shadows} "
        f"shadows on {args.n_jobs} jobs cannot take less than about {floor:.0f} s; "
        f"LiRA took {seconds:.0f} s ({seconds / floor:.2f} x)"
    )
    if args.rmia_shadows:
        start = time.perf_counter()
        rmia = RMIA(
            target,
            label=14,
            n_shadows=args.rmia_shadows,
            keep_shadows=False,
            n_jobs=args.n_jobs,
            random_state=args.seed,
        )
        scores = rmia.fit(view).decision_function(view)
        seconds = time.perf_counter() - start
        rows.append((f"RMIA offline, {args.rmia_shadows} models", scores, seconds))
    left = files_under(tmp)
    os.rmdir(tmp)  # fails if anything was left behind

    print()
    print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}")
    print("| attack | ROC AUC | TPR@1% FPR | TPR@0.1% FPR | wall time (s) | disk |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, s, t in rows:
        print(
            f"| {name} | {membership_roc_auc(member, s):.3f} | "
            f"{membership_tpr_at_fpr(member, s, fpr=0.01):.3f} | "
            f"{membership_tpr_at_fpr(member, s, fpr=0.001):.4f} | {t:.1f} | "
            f"{left / 1e6:.1f} MB |"
        )
    print(
        f"| SACRO-ML 2.0.1 LiRA, 100 shadows (UCI Adult) | {ANCHOR['auc']} | "
        f"{ANCHOR['tpr@1%']} | {ANCHOR['tpr@0.1%']} | {ANCHOR['seconds']:.0f} | "
        "3650 MB |"
    )


if __name__ == "__main__":
    main()
