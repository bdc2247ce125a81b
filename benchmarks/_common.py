"""Shared set-up of the benchmarks: data, targets, timing.

Every benchmark compares the attack (or the core) against the physical limit of a
black-box attack: one ``predict_proba`` call over the same ``n * k`` completed
records, built beforehand. Both measurements are interleaved in one run and
repeated, so that load from other processes on the machine hits both alike; the
ratio of the medians is what is reported.
"""

import argparse
import contextlib
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from skinvert.datasets import make_sensitive_classification

N_FEATURES = 10
N_TRAIN = 5000

TARGETS = {
    "rf": (
        "RandomForest(100 trees)",
        lambda seed: RandomForestClassifier(100, random_state=seed),
    ),
    "hgb": (
        "HistGradientBoosting",
        lambda seed: HistGradientBoostingClassifier(random_state=seed),
    ),
    "lr": ("LogisticRegression", lambda seed: LogisticRegression(max_iter=1000)),
}
GOALS = {"rf": 1.2, "hgb": 1.2, "lr": 1.5}
# attacks: time <= ATTACK_GOAL x (query limit + one prediction of the attack's model)
ATTACK_GOAL = 1.5


def make_problem(n, k, *, n_train=N_TRAIN, n_features=N_FEATURES, seed=0):
    """Training records, victims (attacker's view with label), sensitive values.

    Returns ``(X_train, y_train, view, s)`` with ``view`` the victims'
    target columns followed by their known label, and ``s`` their sensitive values.
    """
    X, y = make_sensitive_classification(
        n_samples=n_train + n,
        n_features=n_features,
        n_sensitive_values=k,
        leak=2.0,
        feature_dependence=0.5,
        random_state=seed,
    )
    view = np.column_stack([X[n_train:], y[n_train:]])
    return X[:n_train], y[:n_train], view, X[n_train:, 0].copy()


def completed_rows(X, k, column=0):
    """The ``n * k`` completed records, built once outside any timing."""
    rows = np.repeat(X, k, axis=0)
    rows[:, column] = np.tile(np.arange(k, dtype=X.dtype), X.shape[0])
    return rows


MIN_SAMPLE_SECONDS = 0.25


def timed(func, cpu=None):
    """Seconds per call of ``func``.

    A call shorter than ``MIN_SAMPLE_SECONDS`` is repeated until the sample lasts
    that long and the mean per call is returned (as :mod:`timeit` does), so that
    millisecond timings are not dominated by scheduler noise. If ``cpu`` is a
    list, the process CPU seconds per call (every thread) are appended to it.
    """
    calls, start, start_cpu = 0, time.perf_counter(), time.process_time()
    while True:
        func()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= MIN_SAMPLE_SECONDS:
            if cpu is not None:
                cpu.append((time.process_time() - start_cpu) / calls)
            return elapsed / calls


def interleaved(funcs, repeats):
    """Run each function ``repeats`` times, alternating; return the times.

    ``times[name]`` holds the wall seconds per call of each repetition and
    ``times[name + " cpu"]`` the process CPU seconds (all threads).
    """
    times = {name: [] for name in funcs}
    times.update({f"{name} cpu": [] for name in funcs})
    names = list(funcs)
    for r in range(repeats):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            times[name].append(timed(funcs[name], times[f"{name} cpu"]))
    return times


def median(values):
    return statistics.median(values)


def base_parser(description, *, n=100_000):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--n", type=int, default=n, help="number of victims")
    parser.add_argument("--k", type=int, default=8, help="number of candidates")
    parser.add_argument("--repeats", type=int, default=3, help="repetitions (>= 3)")
    parser.add_argument(
        "--targets", default="rf,hgb,lr", help="comma-separated subset of rf,hgb,lr"
    )
    add_environment_options(parser)
    return parser


# The environments a benchmark is run in: the user's default (no thread variable
# set: OpenMP and BLAS take every core) and OMP_NUM_THREADS=1, each on an otherwise
# idle machine and next to one competing single-threaded process.
ENVIRONMENTS = {
    "default": {},
    "omp1": {"OMP_NUM_THREADS": "1"},
}
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
)


def add_environment_options(parser):
    parser.add_argument(
        "--compete",
        action="store_true",
        help="run next to one competing single-threaded busy process",
    )
    parser.add_argument(
        "--matrix",
        action="store_true",
        help="run this benchmark in every environment (default threads and "
        "OMP_NUM_THREADS=1, idle and with one competing process), one child "
        "process each",
    )
    parser.add_argument(
        "--environments",
        default="default,omp1",
        help="with --matrix: comma-separated subset of default,omp1",
    )


def environment_label(compete):
    threads = os.environ.get("OMP_NUM_THREADS")
    env = "default threads" if threads is None else f"OMP_NUM_THREADS={threads}"
    return f"{env}, {'one competing process' if compete else 'no competing process'}"


@contextlib.contextmanager
def competing(enabled=True):
    """One single-threaded busy loop in another process while the block runs."""
    if not enabled:
        yield None
        return
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)
        yield proc
    finally:
        proc.kill()
        proc.wait()


def run_matrix(script, argv):
    """Run ``script`` with ``argv`` once per environment; return the worst code."""
    names = ENVIRONMENTS
    if "--environments" in argv:
        at = argv.index("--environments")
        names = argv[at + 1].split(",")
        argv = argv[:at] + argv[at + 2 :]
    argv = [a for a in argv if a not in ("--matrix", "--compete")]
    worst = 0
    for name in names:
        extra = ENVIRONMENTS[name]
        env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
        env.update(extra)
        for compete in (False, True):
            flags = ["--compete"] if compete else []
            title = f"{name}{' + competing process' if compete else ''}"
            print(f"\n### {title}", flush=True)
            code = subprocess.call([sys.executable, script, *argv, *flags], env=env)
            worst = max(worst, code)
    return worst


def load():
    """The 1-minute load average (the machine is shared)."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"


def machine():
    import joblib
    import sklearn

    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}, joblib {joblib.__version__}"
    )


def use_old_imputer():
    """Patch in the default imputer as it was before 2026-12-01 (this process only).

    100 iterations of ``HistGradientBoostingClassifier`` with its own defaults (31
    leaves, no L2 penalty, no early stopping), behind the same encoder: to measure
    what the regularised, early-stopped default changes.
    """
    import functools

    from sklearn.ensemble import HistGradientBoostingClassifier

    import skinvert.attacks._default_models as models

    original = models.make_default_imputer

    @functools.wraps(original)
    def old(known, random_state=None, y=None):
        pipeline = original(known, random_state=random_state)
        name, booster = pipeline.steps[-1]
        plain = HistGradientBoostingClassifier(
            max_iter=100,
            random_state=random_state,
            categorical_features=booster.categorical_features,
        )
        pipeline.steps[-1] = (name, plain)
        return pipeline

    models.make_default_imputer = old
