"""Time of every black-box attack over one target call on its queries.

For each attack exported by :mod:`skinvert.attacks` that queries the target
(``predict_proba``, or ``predict`` for the label-only attacks), fits it on
auxiliary records, then times its inference on ``n`` victims (``predict_proba``
for classifiers of the sensitive attribute, ``predict`` for regressors) against
one call of the same target method over the same number of completed rows built
beforehand (``n * queries_per_victim_``), and prints the ratio. Goals:
<= 1.2 for the ensembles, <= 2 for the logistic regression. An attack that also
runs a model of its own (a learned attack) pays for it on top.

Run from the repository root::

    python benchmarks/bench_attacks.py                # n=100000, k=8, 3 targets
    python benchmarks/bench_attacks.py --n 10000 --targets lr
"""

import inspect
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    GOALS,
    TARGETS,
    base_parser,
    completed_rows,
    interleaved,
    machine,
    make_problem,
    median,
)
from sklearn.base import is_regressor

import skinvert.attacks


def black_box_attacks(names=None):
    """The exported attack classes that query the target, and the method they use."""
    found = []
    for name in skinvert.attacks.__all__:
        cls = getattr(skinvert.attacks, name)
        method = inspect.getattr_static(cls, "_target_method", None)
        if not isinstance(method, str):  # a property: decided per instance
            method = getattr(cls(), "_target_method", None)
        if method in ("predict_proba", "predict") and (names is None or name in names):
            found.append((cls, method))
    return found


def main(argv=None):
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--n-aux", type=int, default=5000, help="auxiliary records")
    parser.add_argument("--attacks", default=None, help="comma-separated class names")
    args = parser.parse_args(argv)
    n, k = args.n, args.k
    names = None if args.attacks is None else set(args.attacks.split(","))
    attacks = black_box_attacks(names)
    X_train, y_train, view, s = make_problem(n + args.n_aux, k)
    aux, s_aux = view[n:], s[n:]
    victims = view[:n]
    label = view.shape[1] - 1
    print(f"# {machine()}")
    print(
        f"# n={n} victims, k={k} candidate values, {args.n_aux} auxiliary records, "
        f"median of {args.repeats} interleaved repetitions"
    )
    header = f"{'attack':<28}{'target':<26}{'queries':>8}{'attack (s)':>12}"
    print(header + f"{'target (s)':>13}{'ratio':>8}{'goal':>7}")
    failed = False
    for key in args.targets.split(","):
        name, make = TARGETS[key]
        target = make(0).fit(X_train, y_train)
        for cls, method in attacks:
            attack = cls(target, sensitive=0, label=label)
            try:
                attack.fit(aux, s_aux.astype(float) if is_regressor(attack) else s_aux)
            except Exception as exc:  # report and go on with the other attacks
                print(f"{cls.__name__:<28}{name:<26} skipped: {exc}")
                continue
            infer = attack.predict if is_regressor(attack) else attack.predict_proba
            q = attack.queries_per_victim_
            rows = completed_rows(victims[:, :-1], q)
            times = interleaved(
                {
                    "attack": lambda infer=infer: infer(victims),
                    "predict": lambda t=target, m=method, rows=rows: getattr(t, m)(
                        rows
                    ),
                },
                args.repeats,
            )
            t_attack, t_predict = median(times["attack"]), median(times["predict"])
            ratio = t_attack / t_predict
            failed |= ratio > GOALS[key]
            print(
                f"{cls.__name__:<28}{name:<26}{q:>8}{t_attack:>12.3f}"
                f"{t_predict:>13.3f}{ratio:>8.2f}{GOALS[key]:>7.1f}"
            )
            del rows
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())
