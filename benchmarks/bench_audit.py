"""Time of ``skinvert.audit`` (and ``skinvert audit``) on a census-like table.

The table is :func:`census.make_census` (30 000 records x 13 columns), the
sensitive column ``marital_status`` (7 values), the label ``income``; the audit
trains its default target (a random forest) on half of the records. Printed:
the wall time, the time of each step of the audit (target training, reference
choice, attack fits, victims, membership; measured by wrapping the audit's
step functions), and per attack the ``fit_seconds`` / ``predict_seconds`` its
rows carry. Goal: <= 20 s on 2 cores.

``--variant`` measures a change without editing the package (monkeypatched in
this process only):

``cv3``
    the attacks that cross-validate in ``fit`` (``cv`` parameter) use 3 folds.
``iter30``
    the default imputer (a ``HistGradientBoostingClassifier``) of every attack
    and of the reference stops at 30 boosting iterations instead of 100.
``early``
    the default imputer stops early (``early_stopping=True``: 10 % of the
    records held out, stop after 10 iterations without progress).
``shared``
    one fit of the default imputer per distinct (table, values): every attack
    (and the reference) that fits the same imputer on the same records, the
    same cross-validation folds included, reuses it.
``threads1``
    each attack fitted in a joblib worker thread bounds its own OpenMP pool to
    one thread (OpenMP's thread count is a per-thread setting: the audit's
    limit, set in the calling thread, does not reach the workers).
``fast``
    ``shared`` + ``early`` + ``cv3`` together.
``all``
    ``fast`` + ``threads1``.

Run from the repository root::

    python benchmarks/bench_audit.py --n-jobs 2
    python benchmarks/bench_audit.py --n-jobs 2 --variant shared
    python benchmarks/bench_audit.py --cli --n-jobs 2      # the command line
    python benchmarks/bench_audit.py --n-jobs 1 --profile /tmp/audit.prof
"""

import argparse
import functools
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import competing, environment_label, load, machine
from census import make_census

VARIANTS = ("base", "cv3", "iter30", "early", "shared", "threads1", "fast", "all")
STEPS = {  # the audit's step functions, by their names in its module
    "_train_or_check": "target training",
    "choose_reference": "reference choice",
    "fit_attacks": "attack fits",
    "evaluate": "victims (attacks' predictions, metrics, bootstrap)",
    "per_record_rows": "per-record risk",
    "_per_record": "per-record risk",
    "roc_curves": "ROC curves",
    "_roc_curves": "ROC curves",
    "memorisation_gaps": "memorisation gaps",
    "membership_rows": "membership inference",
    "_membership": "membership inference",
}


def _wrap_steps(spent):
    import skinvert.evaluation._audit as module

    for name in STEPS:
        original = getattr(module, name, None)
        if original is None:  # a name of another version of the audit
            continue

        @functools.wraps(original)
        def timed(*args, _original=original, _name=name, **kwargs):
            start = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_name] = spent.get(_name, 0.0) + time.perf_counter() - start

        setattr(module, name, timed)


_IMPUTER_MODULES = (
    "skinvert.attacks._imputation",
    "skinvert.attacks._combined_base",
    "skinvert.attacks._shadow",
    "skinvert.attacks._learned",
    "skinvert.attacks._label_only",
)


def _patch_imputer(change):
    """Make every module's ``make_default_imputer`` return ``change(pipeline)``."""
    import importlib

    from skinvert.attacks._imputation import make_default_imputer

    @functools.wraps(make_default_imputer)
    def patched(known, random_state=None):
        return change(make_default_imputer(known, random_state=random_state))

    for name in _IMPUTER_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "make_default_imputer"):
            module.make_default_imputer = patched


def _booster_params(**params):
    def change(pipeline):
        pipeline.steps[-1][1].set_params(**params)
        return pipeline

    return change


class SharedFit:
    """Fit a model once per distinct (X, y, parameters) and share the result."""

    cache, locks, lock = {}, defaultdict(threading.Lock), threading.Lock()
    hits = misses = 0

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y, **kwargs):
        import joblib
        from sklearn.base import clone

        key = joblib.hash((X, y, repr(self.estimator.get_params(deep=True))))
        with SharedFit.lock:
            key_lock = SharedFit.locks[key]
        with key_lock:
            model = SharedFit.cache.get(key)
            if model is None:
                SharedFit.misses += 1
                model = clone(self.estimator).fit(X, y, **kwargs)
                SharedFit.cache[key] = model
            else:
                SharedFit.hits += 1
        self.model_ = model
        self.classes_ = model.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.model_.predict(X)

    def get_params(self, deep=True):
        return {"estimator": self.estimator}

    def set_params(self, **params):
        self.estimator = params.get("estimator", self.estimator)
        return self


HGB_FITS = []


def _count_booster_fits():
    """Record every HistGradientBoostingClassifier fit: rows, seconds, iterations."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    original = HistGradientBoostingClassifier.fit

    @functools.wraps(original)
    def fit(self, X, y, *args, **kwargs):
        start = time.perf_counter()
        out = original(self, X, y, *args, **kwargs)
        HGB_FITS.append((len(y), time.perf_counter() - start, self.n_iter_))
        return out

    HistGradientBoostingClassifier.fit = fit


def apply_variant(variant):
    """Monkeypatch this process for ``variant``; return the audit's ``attacks``."""
    attacks = None
    if variant in ("iter30",):
        _patch_imputer(_booster_params(max_iter=30))
    if variant in ("early", "fast", "all"):
        _patch_imputer(_booster_params(early_stopping=True))
    if variant in ("shared", "fast", "all"):
        previous = {}
        import importlib

        for name in _IMPUTER_MODULES:
            module = importlib.import_module(name)
            previous[name] = module.make_default_imputer
        for name, make in previous.items():
            module = importlib.import_module(name)
            module.make_default_imputer = functools.partial(_shared, make)
    if variant in ("threads1", "all"):
        from threadpoolctl import threadpool_limits

        import skinvert.evaluation._registry as registry

        fit_one = registry._fit_one

        def bounded(*args, **kwargs):
            with threadpool_limits(limits=1, user_api="openmp"):
                return fit_one(*args, **kwargs)

        registry._fit_one = bounded
    if variant in ("cv3", "fast", "all"):
        from skinvert.evaluation._registry import _attack_classes

        attacks = []
        for cls in _attack_classes(None, "categorical"):
            has_cv = "cv" in cls().get_params(deep=False)
            attacks.append(cls(cv=3) if has_cv else cls.__name__)
    return attacks


def _shared(make, known, random_state=None):
    return SharedFit(make(known, random_state=random_state))


def run_api(args):
    from skinvert import audit

    X, y = make_census(args.n, random_state=args.seed)
    attacks = apply_variant(args.variant)
    _count_booster_fits()
    spent = {}
    _wrap_steps(spent)
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start = time.perf_counter()
    result = audit(
        X,
        y,
        sensitive="marital_status",
        attacks=attacks,
        n_jobs=args.n_jobs,
        random_state=0,
    )
    wall = time.perf_counter() - start
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    print(
        f"wall time: {wall:.1f} s (n_jobs={args.n_jobs}, variant={args.variant})",
        flush=True,
    )
    print("\n| step | s | share |\n|---|---:|---:|")
    for name, label in STEPS.items():
        if name in spent:
            print(f"| {label} | {spent[name]:.1f} | {spent[name] / wall:.0%} |")
    rest = wall - sum(spent.values())
    print(f"| other (split, checks, report) | {rest:.1f} | {rest / wall:.0%} |")
    print("\n| attack | fit s | predict s (members) | predict s (non-members) |")
    print("|---|---:|---:|---:|")
    members = {r["attack"]: r for r in result.rows["members"]}
    others = {r["attack"]: r for r in result.rows["non-members"]}
    for name, row in members.items():
        other = others.get(name, {})
        print(
            f"| {name} | {row.get('fit_seconds', 0):.2f} | "
            f"{row.get('predict_seconds', 0):.2f} | "
            f"{other.get('predict_seconds', 0):.2f} |"
        )
    print("\nbest advantage per threat model (members):")
    for model, best in result.summary["members"].items():
        print(f"  {model}: {best['attack']} {best['advantage']:.3f}")
    print(f"reference chosen: {result.reference.get('chosen')}")
    if HGB_FITS:
        rows, seconds, iters = zip(*HGB_FITS)
        print(
            f"gradient-boosting fits (imputers, attack models): {len(HGB_FITS)}, "
            f"{sum(seconds):.1f} s summed over threads, median {np.median(rows):.0f} "
            f"rows, median {np.median(iters):.0f} iterations"
        )
    if args.variant in ("shared", "fast", "all"):
        print(f"shared imputer fits: {SharedFit.misses}, reused: {SharedFit.hits}")
    for note in result.notes:
        print(f"note: {note}")
    return wall


def run_cli(args):
    X, y = make_census(args.n, random_state=args.seed)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "census.csv"
        X.assign(income=y).to_csv(path, index=False)
        command = [
            sys.executable,
            "-m",
            "skinvert",
            "audit",
            "--data",
            str(path),
            "--sensitive",
            "marital_status",
            "--label",
            "income",
            "--output",
            str(Path(folder) / "report.txt"),
        ]
        if args.n_jobs is not None:
            command += ["--n-jobs", str(args.n_jobs)]
        start = time.perf_counter()
        code = subprocess.call(command)
        wall = time.perf_counter() - start
    print(f"skinvert audit: {wall:.1f} s (exit {code}, n_jobs={args.n_jobs})")
    return wall


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30_000, help="records")
    parser.add_argument("--seed", type=int, default=0, help="seed of the table")
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--variant", choices=VARIANTS, default="base")
    parser.add_argument("--cli", action="store_true", help="time the command line")
    parser.add_argument("--profile", default=None, help="cProfile output file")
    parser.add_argument("--compete", action="store_true")
    args = parser.parse_args(argv)
    print(f"# {machine()}")
    print(f"# {environment_label(args.compete)}, load average {load()}")
    print(f"# census-like table: {args.n} records x 13 columns, sensitive")
    print("# marital_status (7 values), label income", flush=True)
    with competing(args.compete):
        wall = run_cli(args) if args.cli else run_api(args)
    print(
        f"# load average at the end {load()}; goal 20 s: "
        f"{'met' if wall <= 20 else 'not met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
