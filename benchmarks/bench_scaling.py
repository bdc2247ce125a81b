"""How an attack scales: time against the number of victims, memory against the
batch size, and two parallel jobs against one.

Three measurements, each printed as a table:

``time``
    :class:`~skinvert.attacks.CSMIA` (``predict_proba``) on ``n`` = 10^3 ... 10^6
    victims with ``k`` candidates against a random forest, and one
    ``predict_proba`` over the same ``n * k`` completed rows built beforehand,
    interleaved. Printed: both medians, their ratio, and the attack's time per
    thousand victims, which stays flat when the time grows linearly.
``memory``
    Peak memory the attack allocates (:mod:`tracemalloc`, which sees NumPy's and
    scikit-learn's arrays) beyond its output, for several ``batch_size`` and
    ``n``: it is bounded by the batch, whatever the number of victims. For
    comparison, the size of the ``n * k`` completed rows an attack that builds
    them all at once would hold.
``jobs``
    The attack with ``n_jobs=2`` against ``n_jobs=1`` (batches queried by two
    threads; scikit-learn's tree traversal releases the GIL).

Run from the repository root (OpenMP limited to one thread, so that ``n_jobs`` is
the only source of parallelism)::

    OMP_NUM_THREADS=1 python benchmarks/bench_scaling.py                # all three
    OMP_NUM_THREADS=1 python benchmarks/bench_scaling.py --only memory
    OMP_NUM_THREADS=1 python benchmarks/bench_scaling.py --max-n 100000 # quicker
"""

import argparse
import gc
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import TARGETS, completed_rows, interleaved, machine, make_problem, median

from skinvert.attacks import CSMIA

N_AUX = 5000


def _attack(target, aux, s_aux, **params):
    label = aux.shape[1] - 1
    return CSMIA(target, sensitive=0, label=label, **params).fit(aux, s_aux)


def _problem(n, k, target_key):
    X_train, y_train, view, s = make_problem(n + N_AUX, k)
    target = TARGETS[target_key][1](0).fit(X_train, y_train)
    return target, view[:n], view[n:], s[n:]


def time_over_n(sizes, k, repeats, target_key):
    print(f"\n## time against n ({TARGETS[target_key][0]}, k={k})\n")
    print(
        "| victims | attack (s) | predict_proba (s) | ratio | attack s / 1000 victims |"
    )
    print("|---:|---:|---:|---:|---:|")
    for n in sizes:
        target, victims, aux, s_aux = _problem(n, k, target_key)
        attack = _attack(target, aux, s_aux)
        rows = completed_rows(victims[:, :-1], k)
        times = interleaved(
            {
                "attack": lambda a=attack, v=victims: a.predict_proba(v),
                "predict": lambda t=target, r=rows: t.predict_proba(r),
            },
            repeats,
        )
        t_attack, t_predict = median(times["attack"]), median(times["predict"])
        print(
            f"| {n:,} | {t_attack:.3f} | {t_predict:.3f} | "
            f"{t_attack / t_predict:.2f} | {1000 * t_attack / n:.4f} |"
        )
        del rows, victims, aux, attack, target
        gc.collect()


def _peak_bytes(func):
    """Peak traced bytes allocated while ``func`` runs, and its result's size."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    start = tracemalloc.get_traced_memory()[0]
    out = func()
    peak = tracemalloc.get_traced_memory()[1] - start
    tracemalloc.stop()
    return peak, out.nbytes


def memory_over_batch(sizes, batch_sizes, k, target_key):
    print(f"\n## peak memory against batch_size and n ({TARGETS[target_key][0]})\n")
    print(
        "| victims | batch_size | working memory (MiB) | output (MiB) "
        "| all n*k rows at once (MiB) |"
    )
    print("|---:|---:|---:|---:|---:|")
    for n in sizes:
        target, victims, aux, s_aux = _problem(n, k, target_key)
        all_rows = n * k * (victims.shape[1] - 1) * victims.itemsize
        for batch_size in batch_sizes:
            attack = _attack(target, aux, s_aux, batch_size=batch_size)
            peak, out = _peak_bytes(
                lambda attack=attack, victims=victims: attack.predict_proba(victims)
            )
            print(
                f"| {n:,} | {batch_size:,} | {(peak - out) / 2**20:.1f} | "
                f"{out / 2**20:.1f} | {all_rows / 2**20:.1f} |"
            )
        del victims, aux, target
        gc.collect()


def jobs(n, k, repeats, target_keys):
    print(f"\n## n_jobs=2 against n_jobs=1 (n={n:,}, k={k})\n")
    print("| target | n_jobs=1 (s) | n_jobs=2 (s) | speed-up |")
    print("|---|---:|---:|---:|")
    for key in target_keys:
        target, victims, aux, s_aux = _problem(n, k, key)
        serial = _attack(target, aux, s_aux, n_jobs=1, batch_size=2**16)
        parallel = _attack(target, aux, s_aux, n_jobs=2, batch_size=2**16)
        times = interleaved(
            {
                "1": lambda a=serial, v=victims: a.predict_proba(v),
                "2": lambda a=parallel, v=victims: a.predict_proba(v),
            },
            repeats,
        )
        one, two = median(times["1"]), median(times["2"])
        print(f"| {TARGETS[key][0]} | {one:.3f} | {two:.3f} | {one / two:.2f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("time", "memory", "jobs"), default=None)
    parser.add_argument("--k", type=int, default=8, help="number of candidates")
    parser.add_argument("--max-n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3, help="repetitions (>= 3)")
    parser.add_argument("--target", choices=sorted(TARGETS), default="rf")
    args = parser.parse_args(argv)
    sizes = [n for n in (1_000, 10_000, 100_000, 1_000_000) if n <= args.max_n]
    print(f"# {machine()}")
    print(f"# median of {args.repeats} interleaved repetitions where timed")
    if args.only in (None, "time"):
        time_over_n(sizes, args.k, args.repeats, args.target)
    if args.only in (None, "memory"):
        memory_sizes = [n for n in sizes if n >= 10_000]
        memory_over_batch(memory_sizes, [2**12, 2**16, 2**19], args.k, args.target)
    if args.only in (None, "jobs"):
        jobs(min(100_000, args.max_n), args.k, args.repeats, ["rf", "lr"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
