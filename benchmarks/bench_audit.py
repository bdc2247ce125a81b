"""Time of ``skinvert.audit`` (and ``skinvert audit``) on a census-like table.

The table is :func:`census.make_census` (30 000 records x 13 columns), the
sensitive column ``marital_status`` (7 values), the label ``income``; the audit
trains its default target (a random forest) on half of the records. Printed:
the wall time, the time of each step of the audit (target training, reference
choice, attack fits, victims, membership; measured by wrapping the audit's
step functions), and per attack the ``fit_seconds`` / ``predict_seconds`` its
rows carry. Goal: <= 20 s on 2 cores.

``--variant`` measures what the defaults buy, by undoing one of them in this
process only (monkeypatched):

``unshared``
    every fit is made, none shared (``skinvert.utils._memo.shared_fits`` off):
    the reference's and the attacks' equal imputers, LiRA's and RMIA's equal
    shadows are each fitted again.
``old-imputer``
    the default imputer as it was before the regularised, early-stopped one:
    100 iterations of ``HistGradientBoostingClassifier`` with its own defaults
    (31 leaves, no L2 penalty, no early stopping).
``unbounded``
    the attacks' fits in the audit's worker threads do not bound their OpenMP
    pools (each fit starts one thread per core beside the other fits).

Run from the repository root::

    python benchmarks/bench_audit.py --n-jobs 2
    python benchmarks/bench_audit.py --n-jobs 2 --variant unshared
    python benchmarks/bench_audit.py --cli --n-jobs 2      # the command line
    python benchmarks/bench_audit.py --n-jobs 1 --profile /tmp/audit.prof
"""

import argparse
import functools
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import competing, environment_label, load, machine, use_old_imputer
from census import make_census

VARIANTS = ("base", "unshared", "old-imputer", "unbounded")
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
    """Monkeypatch this process for ``variant`` (see the module's docstring)."""
    if variant == "unshared":
        import contextlib

        import skinvert.evaluation._audit as audit_module

        audit_module.shared_fits = contextlib.nullcontext
    if variant == "old-imputer":
        use_old_imputer()
    if variant == "unbounded":
        import os

        import skinvert.evaluation._registry as registry

        # OpenMP's default: one thread per core in every worker
        registry.thread_budget = lambda n_jobs, workers=1: os.cpu_count()


def run_api(args):
    from skinvert import audit

    X, y = make_census(args.n, random_state=args.seed)
    apply_variant(args.variant)
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
