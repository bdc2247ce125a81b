"""Time of every black-box attack over one target call on its queries.

For each attack exported by :mod:`skinvert.attacks` that queries the target
(``predict_proba``, or ``predict`` for the label-only attacks), fits it on
auxiliary records, then times its inference on ``n`` victims (``predict_proba``
for classifiers of the sensitive attribute, ``predict`` for regressors) against
one call of the same target method over the same number of completed rows built
beforehand (``n * queries_per_victim_``), and prints the ratio.

An attack that also runs a model of its own (an imputer, LOMIA's or the learned
inversion's classifier) pays for it on top: the time spent inside the
``predict``/``predict_proba`` of every fitted estimator the attack holds (its
attributes ending in ``_``, the target excepted) is measured during the same
calls. Goal: attack <= 1.5 x (query limit + its own models' predictions).

Run from the repository root::

    python benchmarks/bench_attacks.py                # n=100000, k=8, 3 targets
    python benchmarks/bench_attacks.py --compete      # next to one busy process
    python benchmarks/bench_attacks.py --matrix --n 20000   # 4 environments
    python benchmarks/bench_attacks.py --n 10000 --targets lr
"""

import inspect
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib

from _common import (
    ATTACK_GOAL,
    TARGETS,
    base_parser,
    competing,
    completed_rows,
    environment_label,
    interleaved,
    load,
    machine,
    make_problem,
    median,
    run_matrix,
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


_METHODS = ("predict_proba", "predict", "decision_function")


def own_models(attack):
    """Time spent in the attack's own fitted estimators, measured as it runs.

    Wraps (on the instances) the prediction methods of every estimator the
    fitted attack holds in an attribute ending in ``_`` (the target and
    non-estimators excepted). Returns a list that each call appends its
    seconds to.
    """
    spent = []
    target = attack.target
    for name, value in list(vars(attack).items()):
        if not name.endswith("_") or value is target or not hasattr(value, "fit"):
            continue
        for method in _METHODS:
            original = getattr(value, method, None)
            if not callable(original):
                continue

            def wrapped(*args, _original=original, **kwargs):
                start = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    spent.append(time.perf_counter() - start)

            with contextlib.suppress(AttributeError):
                setattr(value, method, wrapped)
    return spent


def main(argv=None):
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--n-aux", type=int, default=5000, help="auxiliary records")
    parser.add_argument("--attacks", default=None, help="comma-separated class names")
    args = parser.parse_args(argv)
    if args.matrix:
        return run_matrix(__file__, sys.argv[1:] if argv is None else argv)
    with competing(args.compete):
        return _main(args)


def _main(args):
    n, k = args.n, args.k
    names = None if args.attacks is None else set(args.attacks.split(","))
    attacks = black_box_attacks(names)
    X_train, y_train, view, s = make_problem(n + args.n_aux, k)
    aux, s_aux = view[n:], s[n:]
    victims = view[:n]
    label = view.shape[1] - 1
    print(f"# {machine()}")
    print(f"# {environment_label(args.compete)}, load average {load()}")
    print(
        f"# n={n} victims, k={k} candidate values, {args.n_aux} auxiliary records, "
        f"median of {args.repeats} interleaved repetitions; own = time in the "
        f"attack's own models; goal: attack / (target + own) <= {ATTACK_GOAL}"
    )
    header = f"{'attack':<28}{'target':<22}{'queries':>8}{'attack (s)':>11}"
    print(
        header + f"{'target (s)':>11}{'own (s)':>9}{'/target':>9}"
        f"{'/(t+own)':>9}{'fit (s)':>9}"
    )
    failed = False
    for key in args.targets.split(","):
        name, make = TARGETS[key]
        target = make(0).fit(X_train, y_train)
        for cls, method in attacks:
            attack = cls(target, sensitive=0, label=label)
            start = time.perf_counter()
            try:
                attack.fit(aux, s_aux.astype(float) if is_regressor(attack) else s_aux)
            except Exception as exc:  # report and go on with the other attacks
                print(f"{cls.__name__:<28}{name:<22} skipped: {exc}")
                continue
            fit_seconds = time.perf_counter() - start
            infer = attack.predict if is_regressor(attack) else attack.predict_proba
            q = max(int(attack.queries_per_victim_), 1)
            rows = completed_rows(victims[:, :-1], q)
            spent = own_models(attack)
            own = []

            def run_attack(infer=infer, spent=spent, own=own):
                before = len(spent)
                infer(victims)
                own.append(sum(spent[before:]))

            times = interleaved(
                {
                    "attack": run_attack,
                    "predict": lambda t=target, m=method, rows=rows: getattr(t, m)(
                        rows
                    ),
                },
                args.repeats,
            )
            t_attack, t_predict = median(times["attack"]), median(times["predict"])
            t_own = median(own)
            ratio = t_attack / (t_predict + t_own)
            failed |= ratio > ATTACK_GOAL
            print(
                f"{cls.__name__:<28}{name:<22}{q:>8}{t_attack:>11.3f}"
                f"{t_predict:>11.3f}{t_own:>9.3f}{t_attack / t_predict:>9.2f}"
                f"{ratio:>9.2f}{fit_seconds:>9.2f}",
                flush=True,
            )
            del rows
    print(f"# load average at the end {load()}")
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())
