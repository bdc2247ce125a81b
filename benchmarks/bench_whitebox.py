"""White-box tree inversion: vectorised attack against a per-record reference.

Times :class:`~skinvert.attacks._whitebox.WhiteBoxTreeInversion` (``predict_proba``
on ``n`` victims, ``k`` candidates: one ``apply`` per batch of completed records
and array indexing into the leaf counts) against the plain per-record reference
of ``tests/attacks/test_whitebox.py`` (a Python loop over victims, candidates and
trees that walks each tree node by node). The reference is timed on a subsample
of victims and extrapolated linearly to ``n`` (its cost is the same for every
victim); both outputs are checked to agree on that subsample. Each measurement
is the median of ``--repeats`` interleaved runs.

Run from the repository root::

    python benchmarks/bench_whitebox.py                 # n=10000, k=8, rf and dt
    python benchmarks/bench_whitebox.py --subsample 50 --targets rf
"""

import sys
from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import base_parser, interleaved, machine, make_problem, median

from skinvert.attacks._whitebox import WhiteBoxTreeInversion
from tests.attacks.test_whitebox import (
    counts_from_tree,
    reference_proba,
)

TARGETS = {
    "rf": (
        "RandomForest(100 trees)",
        lambda: RandomForestClassifier(100, random_state=0),
    ),
    "dt": ("DecisionTree", lambda: DecisionTreeClassifier(random_state=0)),
}


def main(argv=None):
    parser = base_parser(__doc__.splitlines()[0], n=10_000)
    parser.set_defaults(targets="rf,dt")
    parser.add_argument(
        "--subsample",
        type=int,
        default=20,
        help="victims the per-record reference is timed on (then extrapolated)",
    )
    args = parser.parse_args(argv)
    n, k, sub = args.n, args.k, min(args.subsample, args.n)
    X_train, y_train, view, s = make_problem(n, k)
    victims, labels = view[:, :-1], view[:, -1].astype(int)
    print(f"# {machine()}")
    print(
        f"# n={n} victims, k={k} candidates, known label; median of {args.repeats} "
        f"interleaved runs. The reference is timed on {sub} victims and "
        f"extrapolated x{n / sub:g} to n (EXTRAPOLATED, marked *)."
    )
    header = f"{'target':<26}{'attack (s)':>12}{'reference* (s)':>16}{'ratio':>9}"
    print(header)
    for key in args.targets.split(","):
        name, make = TARGETS[key]
        target = make().fit(X_train, y_train)
        attack = WhiteBoxTreeInversion(target, sensitive=0, label=view.shape[1] - 1)
        attack.fit(view, s)
        trees = [e.tree_ for e in getattr(target, "estimators_", [target])]
        counts = [counts_from_tree(tree) for tree in trees]
        codes = np.searchsorted(attack.target_classes_, labels[:sub])

        def reference(codes=codes, attack=attack, target=target, counts=counts):
            return reference_proba(
                target,
                victims[:sub],
                codes,
                0,
                attack.classes_,
                attack.prior_,
                counts,
            )

        agree = np.allclose(attack.predict_proba(view[:sub]), reference())
        times = interleaved(
            {
                "attack": lambda attack=attack: attack.predict_proba(view),
                "reference": reference,
            },
            args.repeats,
        )
        fast = median(times["attack"])
        slow = median(times["reference"]) * n / sub
        print(
            f"{name:<26}{fast:>12.3f}{slow:>16.1f}{slow / fast:>9.0f}"
            f"   outputs agree on the subsample: {agree}"
        )
        if not agree:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
