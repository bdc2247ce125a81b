"""The audit on a Dask cluster: wall time and peak memory per worker against size.

For each size, starts a fresh ``distributed.LocalCluster`` (2 worker processes,
1 thread each), then runs :func:`skinvert.audit` on :func:`census.make_census`
(sensitive ``marital_status``, 7 values) inside
``joblib.parallel_config(backend="dask")``: the target's training, the attacks'
fits and cross-validation folds and the batches of queries are sent to the
workers. Printed per size: the wall time of the audit, the peak resident memory
of each worker process (``ru_maxrss``, read on the worker with ``client.run``),
the client's, and the size of the table.

Run from the repository root::

    python benchmarks/bench_dask_audit.py --sizes 10000,30000,100000
    python benchmarks/bench_dask_audit.py --sizes 1000000 --model hist_gradient_boosting
"""

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment_label, load, machine
from census import make_census


def _peak_rss_mib():

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mib():
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def one_size(n, args):
    import joblib
    from dask.distributed import Client, LocalCluster

    from skinvert import audit

    X, y = make_census(n, random_state=0)
    table_mib = X.memory_usage(deep=True).sum() / 2**20
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            memory_limit=args.memory_limit,
        ) as cluster,
        Client(cluster) as client,
    ):
        idle = client.run(_rss_mib)
        start = time.perf_counter()
        with joblib.parallel_config(backend="dask"):
            result = audit(
                X,
                y,
                sensitive="marital_status",
                n_jobs=-1,
                random_state=0,
                membership=not args.no_membership,
                model=args.model,
            )
        wall = time.perf_counter() - start
        peaks = client.run(_peak_rss_mib)
    best = result.summary["members"]
    top = max(best.values(), key=lambda row: row["advantage"])
    print(
        f"| {n:,} | {table_mib:.0f} | {wall:.1f} | "
        + " / ".join(f"{peaks[w]:.0f}" for w in sorted(peaks))
        + " | "
        + " / ".join(f"{idle[w]:.0f}" for w in sorted(idle))
        + f" | {_peak_rss_mib():.0f} | {top['attack']} {top['advantage']:.3f} |",
        flush=True,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,30000,100000")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="8GiB", help="per worker")
    parser.add_argument("--no-membership", action="store_true")
    parser.add_argument(
        "--model",
        default="random_forest",
        help="the target the audit trains (a forest grown on 500 000 members "
        "takes gigabytes; hist_gradient_boosting stays small)",
    )
    args = parser.parse_args(argv)
    print(f"# {machine()}")
    print(f"# {environment_label(False)}, load average {load()}")
    print(
        f"# LocalCluster: {args.workers} worker processes x 1 thread, "
        "joblib backend dask, audit n_jobs=-1, sensitive marital_status (7 values), "
        f"target {args.model}"
    )
    print(
        "\n| records | table (MiB) | audit wall (s) | peak RSS per worker (MiB) "
        "| worker RSS at start (MiB) | client peak RSS (MiB) "
        "| best member attack, advantage |"
    )
    print("|---:|---:|---:|---|---|---:|---|")
    for n in (int(s) for s in args.sizes.split(",")):
        one_size(n, args)
    print(f"# load average at the end {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
