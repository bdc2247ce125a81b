"""Overhead of the target-access core over one ``predict_proba`` call.

For ``n`` victims and ``k`` candidates, times :func:`skinvert.base.query_target`
(build the ``n * k`` completed records batch by batch, query, check and reshape
the answers) against one ``predict_proba`` over the same ``n * k`` rows built
beforehand, and prints the ratio (goal: <= 1.2 for the ensembles, <= 1.5 for the
logistic regression, whose prediction is so cheap that building the rows counts),
in whatever thread environment it is started in.

Run from the repository root::

    python benchmarks/bench_core.py                 # n=100000, k=8, 3 targets
    python benchmarks/bench_core.py --compete       # next to one busy process
    python benchmarks/bench_core.py --matrix        # default threads and
                                                    # OMP_NUM_THREADS=1, idle and
                                                    # competing: 4 child runs
    python benchmarks/bench_core.py --n 20000 --targets lr
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    GOALS,
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

from skinvert._query import DEFAULT_BATCH_SIZE, query_target


def main(argv=None):
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument(
        "--reuse-thread-controller",
        action="store_true",
        help="measure a proposed change: the thread limiter reuses its cached "
        "threadpoolctl controller instead of rebuilding it on every outermost "
        "call (monkeypatched here, not in the package)",
    )
    args = parser.parse_args(argv)
    if args.reuse_thread_controller:
        import skinvert.utils._threads as threads

        original = threads._controller
        threads._controller = lambda refresh=False: original(False)
    if args.matrix:
        return run_matrix(__file__, sys.argv[1:] if argv is None else argv)
    with competing(args.compete):
        return _main(args)


def _main(args):
    n, k = args.n, args.k
    X_train, y_train, view, _ = make_problem(n, k)
    victims = view[:, :-1]
    rows = completed_rows(victims, k)
    candidates = rows[:k, [0]]
    print(f"# {machine()}")
    print(f"# {environment_label(args.compete)}, load average {load()}")
    print(
        f"# n={n} victims, k={k} candidates, {n * k} completed rows, "
        f"batch_size={args.batch_size}, n_jobs={args.n_jobs}, "
        f"reuse_thread_controller={args.reuse_thread_controller}, "
        f"median of {args.repeats} interleaved repetitions"
    )
    print(f"{'target':<26}{'core (s)':>10}{'predict (s)':>13}{'ratio':>8}{'goal':>7}")
    failed = False
    for key in args.targets.split(","):
        name, make = TARGETS[key]
        target = make(0).fit(X_train, y_train)
        times = interleaved(
            {
                "core": lambda target=target: query_target(
                    target,
                    victims,
                    [0],
                    candidates,
                    batch_size=args.batch_size,
                    n_jobs=args.n_jobs,
                ),
                "predict": lambda target=target, rows=rows: target.predict_proba(rows),
            },
            args.repeats,
        )
        core, predict = median(times["core"]), median(times["predict"])
        ratio = core / predict
        failed |= ratio > GOALS[key]
        spread = max(times["core"]) / min(times["core"])
        cpu = median(times["core cpu"]) / median(times["predict cpu"])
        print(
            f"{name:<26}{core:>10.3f}{predict:>13.3f}{ratio:>8.2f}{GOALS[key]:>7.1f}"
            f"   (CPU-time ratio {cpu:.2f}; core max/min over repeats {spread:.2f})"
        )
    print(f"# load average at the end {load()}")
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())
