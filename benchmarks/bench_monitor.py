"""Detection, false alarms, speed and memory of the QueryMonitor.

For each dataset, trains a random forest (the target) on a third of the records
and fits a :class:`~skinvert.defenses.QueryMonitor` on benign traffic (records
drawn at random, with replacement, from the whole dataset; ``--window`` rows).
Each querying attack of :mod:`skinvert.attacks` is fitted on another third and
infers ``--victims`` victims from the rest through a recording client; MI-Face
(zero-order gradients) and a surrogate extraction of
:mod:`skinvert.reconstruction` are recorded as they fit. Each attack's rows are
then re-sent in three orders (``victim-major``: as the attacks send them, each
victim's candidates together; ``shuffled``; ``value-major``: every victim with
the first candidate, then every victim with the second...), dealt to
``--attacker-clients`` clients by victim, and mixed 1:10 and 1:100 into benign
traffic from ``--benign-clients`` other clients (one attack row every 11 or 101
rows). The mixed stream goes through ``QueryMonitor.scan`` (the path every
``MonitoredTarget`` call takes). Reported per attack, order and mix: whether an
alert names an attacker client (or all clients together), the attack's queries
before the first such alert, and the victims compromised by then (victims all of
whose candidates had been answered); the goal is at most 10 (``10 * k``
queries of victims). False alarms: held-out benign streams of ``--benign-rows``
rows, one client and ``--benign-clients`` clients. Speed: rows monitored per
second on ``--speed-rows`` synthetic rows (10 columns), and the window's memory
as the stream grows 100-fold past the window.

Run from the repository root::

    OMP_NUM_THREADS=1 python benchmarks/bench_monitor.py                # all
    python benchmarks/bench_monitor.py --data affairs --skip-speed
    python benchmarks/bench_monitor.py --only-speed --format markdown
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import machine
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator

from skinvert import attacks as attack_module
from skinvert.datasets import load_affairs, make_sensitive_classification
from skinvert.defenses import QueryCounter, QueryMonitor
from skinvert.defenses._base import cell_hashes
from skinvert.defenses._traffic import StreamState
from skinvert.evaluation import format_rows
from skinvert.reconstruction import MIFace, Surrogate

ATTACKS = [
    "FredriksonInversion",
    "CSMIA",
    "FredriksonLabelOnly",
    "LOMIA",
    "CombinedFredrikson",
    "CombinedCSMIA",
    "CombinedLabelOnly",
    "LearnedInversion",
]
ORDERS = ("victim-major", "shuffled", "value-major")


def synthetic(seed):
    X, y = make_sensitive_classification(
        n_samples=6000,
        leak=2.0,
        feature_dependence=0.5,
        label_noise=0.1,
        random_state=seed,
    )
    return X, y, 0


def affairs(seed):
    survey = load_affairs()
    return survey.data, survey.target, survey.sensitive_index


DATASETS = {"synthetic": synthetic, "affairs": affairs}


class Recorder(QueryCounter):
    """A client that records the rows it sends and answers with the target."""

    def _answer(self, method, X):
        self.__dict__.setdefault("calls", []).append(np.array(X, dtype=float))
        return super()._answer(method, X)

    def rows(self):
        calls = self.__dict__.pop("calls", [])
        return np.vstack(calls) if calls else np.zeros((0, self.n_features_in_))


def record_attacks(X, y, sensitive, target, victims, aux, seed):
    """Every attack's query rows (inference only), victim of each row, k."""
    view = np.column_stack([X, y])
    recorded = {}
    for name in ATTACKS:
        client = Recorder(FrozenEstimator(target))
        attack = getattr(attack_module, name)(
            client, sensitive=sensitive, label=X.shape[1]
        )
        if "random_state" in attack.get_params():
            attack.set_params(random_state=seed)
        attack.fit(view[aux], X[aux, sensitive])
        client.rows()
        attack.predict(view[victims])
        rows = client.rows()
        k = max(1, len(rows) // len(victims))
        recorded[name] = (rows, np.arange(len(rows)) // k, k)
    client = Recorder(FrozenEstimator(target))
    MIFace(client, gradient="nes", max_queries=2000, random_state=seed).fit(
        X[aux], y[aux]
    )
    rows = client.rows()
    recorded["MIFace (NES gradients)"] = (rows, np.arange(len(rows)), 1)
    client = Recorder(FrozenEstimator(target))
    Surrogate(client, max_queries=2000, synthesis="marginal", random_state=seed).fit(
        X[aux]
    )
    rows = client.rows()
    recorded["Surrogate (marginal synthesis)"] = (rows, np.arange(len(rows)), 1)
    return recorded


def reorder(rows, victim, k, order, rng):
    n = len(rows)
    if order == "shuffled":
        perm = rng.permutation(n)
    elif order == "value-major":
        perm = np.arange(n).reshape(-1, k).T.ravel() if n % k == 0 else np.arange(n)
    else:
        perm = np.arange(n)
    return rows[perm], victim[perm]


def mixed_stream(rows, victim, benign, ratio, n_attackers, n_benign, rng):
    """Attack rows one every ``ratio + 1`` rows among benign rows; clients."""
    m = len(rows)
    total = m * (ratio + 1)
    at = np.arange(m) * (ratio + 1) + rng.randint(0, ratio + 1, m)
    is_attack = np.zeros(total, dtype=bool)
    is_attack[at] = True
    stream = np.empty((total, rows.shape[1]))
    stream[at] = rows
    stream[~is_attack] = benign[rng.randint(0, len(benign), total - m)]
    clients = rng.randint(0, n_benign, total)
    clients[at] = n_benign + victim % n_attackers
    victims = np.full(total, -1)
    victims[at] = victim
    return stream, clients, victims


def detection(monitor, stream, clients, victims, k, n_benign, sensitive):
    alerts = monitor.scan(stream, clients)
    attacker = [a for a in alerts if a.client is None or a.client >= n_benign]
    benign = [a for a in alerts if a.client is not None and a.client < n_benign]
    row = {
        "detected": bool(attacker),
        "benign_clients_flagged": len({a.client for a in benign}),
        "benign_signals": ",".join(sorted({a.signal for a in benign})),
    }
    if not attacker:
        return {
            **row,
            "queries_to_alert": np.nan,
            "victims_compromised": np.nan,
            "signal": "",
            "column": np.nan,
            "right_column": None,
            "attacker_clients_flagged": 0,
        }
    first = attacker[0]
    end = (first.batch + 1) * int(monitor.batch_size)
    sent = victims[:end][victims[:end] >= 0]
    answered = np.bincount(sent, minlength=victims.max() + 1)
    named = {a.client for a in attacker if a.client is not None}
    return {
        **row,
        "queries_to_alert": int(sent.size),
        "victims_compromised": int(np.sum(answered >= k)) if k > 1 else np.nan,
        "signal": first.signal,
        "column": first.column,
        "right_column": first.column == sensitive if first.column >= 0 else None,
        "attacker_clients_flagged": len(named),
    }


def measure(name, args):
    X, y, sensitive = DATASETS[name](args.seed)
    rng = np.random.RandomState(args.seed)
    order = rng.permutation(len(y))
    third = len(y) // 3
    train, aux, pool = order[:third], order[third : 2 * third], order[2 * third :]
    victims = pool[: args.victims]
    target = RandomForestClassifier(100, random_state=args.seed, n_jobs=1)
    target.fit(X[train], y[train])
    benign = X[rng.randint(0, len(y), 3 * args.window)]
    start = time.perf_counter()
    monitor = QueryMonitor(window=args.window, batch_size=args.batch_size)
    monitor.fit(benign[: args.window])
    fit_seconds = time.perf_counter() - start
    held_out = benign[args.window :]
    recorded = record_attacks(X, y, sensitive, target, victims, aux, args.seed)
    rows = []
    for attack, (queries, victim, k) in recorded.items():
        orders = ORDERS if k > 1 else ("as sent", "shuffled")
        for order_name in orders:
            sent, who = reorder(queries, victim, k, order_name, rng)
            for ratio in args.mix:
                stream, clients, owner = mixed_stream(
                    sent,
                    who,
                    held_out,
                    ratio,
                    args.attacker_clients,
                    args.benign_clients,
                    rng,
                )
                result = detection(
                    monitor, stream, clients, owner, k, args.benign_clients, sensitive
                )
                rows.append(
                    {
                        "attack": attack,
                        "k": k,
                        "queries": len(queries),
                        "order": order_name,
                        "mix": f"1:{ratio}",
                        **result,
                    }
                )
    return rows, monitor, held_out, fit_seconds


def false_alarms(monitor, held_out, n_clients, n_rows, rng):
    stream = held_out[rng.randint(0, len(held_out), n_rows)]
    rows = []
    for clients in (None, rng.randint(0, n_clients, n_rows)):
        alerts = monitor.scan(stream, clients)
        checks = -(-n_rows // int(monitor.batch_size))
        flagged = {a.client for a in alerts}
        rows.append(
            {
                "clients": 1 if clients is None else n_clients,
                "rows": n_rows,
                "checks": checks,
                "alerts": len(alerts),
                "false_alarm_rate": len({a.batch for a in alerts}) / checks,
                "clients_flagged": len(flagged),
            }
        )
    return rows


def speed(args):
    rng = np.random.RandomState(args.seed)
    d, window = 10, args.speed_window
    benign = rng.normal(size=(window, d))
    rows = []
    for batch_size in (100, 500, 1000):
        monitor = QueryMonitor(window=window, batch_size=batch_size).fit(benign)
        for n_clients in (1, 20):
            state = StreamState()
            sizes, seconds, done, call = [], 0.0, 0, 10_000
            while done < args.speed_rows:
                X = rng.normal(size=(call, d))
                clients = rng.randint(n_clients, size=call)
                start = time.process_time()  # CPU time: one core, whatever the load
                cells = cell_hashes(X)
                off = monitor._profile.off(X, cells)
                state.observe(monitor, cells, off, clients=clients)
                seconds += time.process_time() - start
                done += call
                if done in (window, 10 * window, 100 * window):
                    sizes.append(state.index.nbytes / 1e6)
            rows.append(
                {
                    "batch_size": batch_size,
                    "clients": n_clients,
                    "rows": done,
                    "rows_per_second": round(done / seconds),
                    "MB_at_window": sizes[0] if sizes else np.nan,
                    "MB_at_10x": sizes[1] if len(sizes) > 1 else np.nan,
                    "MB_at_100x": sizes[2] if len(sizes) > 2 else np.nan,
                }
            )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="synthetic,affairs")
    parser.add_argument("--victims", type=int, default=300)
    parser.add_argument("--window", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--mix", default="10,100")
    parser.add_argument("--attacker-clients", type=int, default=3)
    parser.add_argument("--benign-clients", type=int, default=20)
    parser.add_argument("--benign-rows", type=int, default=200_000)
    parser.add_argument("--speed-rows", type=int, default=1_000_000)
    parser.add_argument("--speed-window", type=int, default=10_000)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--only-speed", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("text", "markdown", "csv"), default="text")
    args = parser.parse_args(argv)
    args.mix = [int(r) for r in args.mix.split(",")]
    print(f"# {machine()}")
    if not args.only_speed:
        for name in args.data.split(","):
            start = time.perf_counter()
            rows, monitor, held_out, fit_seconds = measure(name, args)
            print(
                f"\n## {name}: window={args.window}, batch_size={args.batch_size}, "
                f"{args.victims} victims, {args.attacker_clients} attacker clients, "
                f"{args.benign_clients} benign clients (fit {fit_seconds:.1f} s, "
                f"all {time.perf_counter() - start:.0f} s)\n"
            )
            print(format_rows(rows, args.format))
            print(f"\n## {name}: false alarms on held-out benign traffic\n")
            rng = np.random.RandomState(args.seed + 1)
            table = false_alarms(
                monitor, held_out, args.benign_clients, args.benign_rows, rng
            )
            print(format_rows(table, args.format))
    if not args.skip_speed:
        print(
            f"\n## speed: {args.speed_rows} rows of 10 columns, calls of 10000 rows, "
            f"window={args.speed_window}\n"
        )
        print(format_rows(speed(args), args.format))
    return 0


if __name__ == "__main__":
    sys.exit(main())
