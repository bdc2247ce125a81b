import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

from skinvert import query_target
from skinvert.datasets import load_affairs, make_sensitive_classification
from skinvert.defenses import (
    MonitoredTarget,
    QueryAlert,
    QueryMonitor,
    SuspiciousQueries,
)
from skinvert.defenses._base import cell_hashes
from skinvert.defenses._window import WindowIndex, row_fingerprints


@pytest.fixture(scope="module")
def affairs():
    """The survey: few distinct values per column, so benign rows have near-twins."""
    return load_affairs().data


@pytest.fixture(scope="module")
def synthetic():
    return make_sensitive_classification(8000, random_state=0)[0]


def _enumerate(records, column, values):
    probes = np.repeat(records, len(values), axis=0)
    probes[:, column] = np.tile(values, len(records))
    return probes


def _orders(probes, k, rng):
    n = len(probes) // k
    return {
        "victim-major": probes,
        "shuffled": probes[rng.permutation(len(probes))],
        "value-major": probes.reshape(n, k, -1).transpose(1, 0, 2).reshape(n * k, -1),
    }


def _naive_twins(rows):
    """Near-twin groups per column: distinct rows equal once column j is left out."""
    distinct = np.unique(rows, axis=0)
    counts = []
    for j in range(rows.shape[1]):
        _, sizes = np.unique(np.delete(distinct, j, axis=1), axis=0, return_counts=True)
        counts.append(int(np.sum(sizes >= 2)))
    return np.array(counts)


def test_window_counts_match_the_definition_in_any_blocks():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 3, size=(600, 4)).astype(float)
    clients = rng.randint(0, 3, size=600)
    rows, masked = row_fingerprints(cell_hashes(X))
    index, window, start = WindowIndex(120, 4), 120, 0
    while start < len(X):
        stop = min(start + rng.randint(1, 50), len(X))
        codes = np.array([index.code(c) for c in clients[start:stop].tolist()])
        index.push(rows[start:stop], masked[start:stop], codes, codes < 0)
        start = stop
        recent = slice(max(0, stop - window), stop)
        assert np.array_equal(index.twins[0], _naive_twins(X[recent]))
        for client in (0, 1, 2):
            mine = X[recent][clients[recent] == client]
            if len(mine):
                code = index.codes_by_client[client]
                assert np.array_equal(index.twins[code], _naive_twins(mine))
            else:
                assert client not in index.codes_by_client


@pytest.mark.parametrize("column", [0, 7])
def test_every_order_is_flagged_with_the_right_column(affairs, column):
    rng = np.random.RandomState(column)
    monitor = QueryMonitor(window=5000).fit(affairs[rng.randint(0, len(affairs), 5000)])
    values = np.unique(affairs[:, column])[:2]
    probes = _enumerate(affairs[rng.choice(len(affairs), 200)], column, values)
    orders = _orders(probes, 2, rng)
    for order, rows in orders.items():
        alerts = monitor.scan(rows)
        assert alerts, order
        assert {alert.column for alert in alerts} == {column}, order
        signals = {alert.signal for alert in alerts}
        assert signals <= {"near-twins", "repeated-values"}, order
    # value by value, the first candidate alone: no near-twin yet, but the
    # column is constant over the client's rows
    alerts = monitor.scan(orders["value-major"][:200])
    assert alerts and {(a.column, a.signal) for a in alerts} == {
        (column, "repeated-values")
    }


def test_benign_traffic_of_the_same_size_is_not_flagged(affairs, synthetic):
    rng = np.random.RandomState(1)
    for data in (affairs, synthetic):
        monitor = QueryMonitor(window=5000).fit(data[rng.randint(0, len(data), 5000)])
        held_out = data[rng.randint(0, len(data), 5000)]
        assert monitor.scan(held_out) == []
        assert monitor.scan(held_out, clients=rng.randint(0, 10, 5000)) == []
        assert monitor.predict(held_out[:400]).sum() == 0


def test_near_twins_split_across_calls_and_clients_meet():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(3000, 5))
    monitored, _ = _monitored(X, batch_size=7)
    probes = _enumerate(X[2000:2030], 3, [-1.0, 1.0])
    stream = _orders(probes, 2, rng)["value-major"]
    for part in np.array_split(stream, 11):  # twins 30 rows apart, odd calls
        monitored.predict_proba(part, client="mallory")
        monitored.predict(X[rng.randint(0, 2000, 50)], client=int(rng.randint(5)))
    mine = [alert for alert in monitored.alerts_ if alert.client == "mallory"]
    assert mine and {alert.column for alert in mine} == {3}
    assert monitored.flagged_clients_ == {"mallory"}
    # one candidate per client: each client's column 3 is constant
    monitored.reset()
    monitored.predict(stream[:30], client="a")
    monitored.predict(stream[30:], client="b")
    alerts = monitored.alerts_
    assert {(alert.client, alert.signal) for alert in alerts} == {
        ("a", "repeated-values"),
        ("b", "repeated-values"),
    }
    assert {alert.column for alert in alerts} == {3}
    # per-victim candidates split over two clients: only all clients together
    # see the near-twins
    monitored.reset()
    first, second = X[2000:2030].copy(), X[2000:2030].copy()
    second[:, 3] = rng.normal(size=30)
    monitored.predict(first, client="a")
    monitored.predict(second, client="b")
    alerts = monitored.alerts_
    assert {alert.signal for alert in alerts} == {"near-twins-all-clients"}
    assert {alert.column for alert in alerts} == {3}
    assert all(alert.client is None for alert in alerts)


def test_memory_is_bounded_by_the_window():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(5000, 6))
    monitored, _ = _monitored(X, window=2000, batch_size=500)
    sizes = []
    for _ in range(20):  # 50 windows of fresh rows
        monitored.predict(rng.normal(size=(5000, 6)), client=int(rng.randint(100)))
        sizes.append(monitored.index_nbytes_)
    assert max(sizes[4:]) <= 1.01 * max(sizes[:4])
    stream = monitored._stream
    assert stream.index.size == 2000
    assert len(stream.index.codes_by_client) <= 100
    # per row: its fingerprint and d left-one-out ones in 2 scopes, d values
    assert stream.index.table.live() <= 2000 * (2 + 3 * 6)


def test_threads_see_consistent_counts():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(2000, 3))
    monitored, _ = _monitored(X, window=2000, batch_size=50)
    candidates = np.array([[-1.0], [0.0], [1.0]])
    query_target(monitored, X[:400], [2], candidates, batch_size=60, n_jobs=2)
    index = monitored._stream.index
    assert monitored.n_rows_ == index.size == index.n_rows[0] == 1200
    assert index.twins[0][2] == 400  # one group of 3 candidates per victim
    assert {alert.column for alert in monitored.alerts_} == {2}


def _monitored(X, window=1000, batch_size=40, **kwargs):
    target = LogisticRegression().fit(X, X[:, 0] > 0)
    monitor = QueryMonitor(window=window, batch_size=batch_size).fit(X)
    return MonitoredTarget(FrozenEstimator(target), monitor, **kwargs), X


def test_off_distribution_and_rate_signals():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(3000, 4))
    monitored, _ = _monitored(X, batch_size=20)
    monitored.predict(X[:500], client="benign")
    far = rng.uniform(-4, 4, size=(60, 4))  # a surrogate's uniform probes
    monitored.predict(far, client="extractor")
    assert monitored.alerts_[0].signal == "off-distribution"
    assert monitored.flagged_clients_ == {"extractor"}
    capped = clone(monitored.monitor).set_params(rate_budget=100).fit(X)
    alerts = capped.scan(X[:300], clients=np.repeat(["a", "b"], [90, 210]))
    assert {(alert.client, alert.signal) for alert in alerts} == {("b", "rate")}


def test_actions_record_raise_and_degrade():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(2000, 3))
    probes = _enumerate(X[:20], 0, [-2.0, 2.0])
    raising, _ = _monitored(X, on_alert="raise")
    raising.predict(X[:40])
    with pytest.raises(SuspiciousQueries, match="column 0"):
        raising.predict_proba(probes, client="m")
    assert raising.n_rows_ == 40  # not answered
    with pytest.raises(SuspiciousQueries):  # still flagged
        raising.predict(X[:1], client="m")
    raising.predict(X[:1])  # another client is answered
    degrading, _ = _monitored(X, on_alert="degrade")
    full = degrading.predict_proba(X[:5])
    assert not np.isin(full, [0.0, 1.0]).all()
    degrading.predict_proba(probes, client="m")
    answer = degrading.for_client("m").predict_proba(X[:5])
    assert np.isin(answer, [0.0, 1.0]).all()
    assert np.array_equal(answer.argmax(axis=1), full.argmax(axis=1))
    assert np.allclose(degrading.predict_proba(X[:5]), full)
    assert degrading.n_rows_ == 5 + 40 + 5 + 5


def test_pickle_clone_and_fit():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(1000, 3))
    y = (X[:, 0] > 0).astype(int)
    monitored = QueryMonitor(window=500, batch_size=30).wrap(LogisticRegression())
    monitored = monitored.fit(X, y)
    assert hasattr(monitored.monitor_, "threshold_")
    assert not hasattr(monitored.monitor, "threshold_")
    monitored.predict(_enumerate(X[:15], 1, [0.0, 1.0]))
    assert isinstance(monitored.alerts_[0], QueryAlert)
    restored = pickle.loads(pickle.dumps(monitored))
    assert restored.alerts_ == monitored.alerts_
    restored.predict(X[:1])  # the lock was recreated
    copy = clone(monitored).fit(X, y)
    assert copy.alerts_ == []
    monitored.reset()
    assert (monitored.alerts_, monitored.n_batches_, monitored.n_rows_) == ([], 0, 0)


def test_errors_name_the_problem():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3))
    target = FrozenEstimator(LogisticRegression().fit(X, X[:, 0] > 0))
    with pytest.raises(NotFittedError, match="benign"):
        MonitoredTarget(target, QueryMonitor()).predict(X)
    monitored, _ = _monitored(X)
    with pytest.raises(ValueError, match="expecting 3 features"):
        monitored.predict(X[:, :2])
    with pytest.raises(ValueError, match="batch_size=50 must not exceed window=10"):
        QueryMonitor(window=10, batch_size=50).fit(X)
    with pytest.raises(ValueError, match="one client per row"):
        monitored.monitor.scan(X, clients=[1, 2])


def test_strings_and_dataframes():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "job": ["nurse", "pilot", "clerk", "baker"] * 50,
            "age": np.arange(200, dtype=float),
            "city": pd.Categorical(["a", "b"] * 100),
        }
    )
    monitor = QueryMonitor(window=400, batch_size=20).fit(frame)
    probes = frame.iloc[np.repeat(np.arange(20), 2)].reset_index(drop=True)
    probes["city"] = pd.Categorical(["a", "b"] * 20)
    alerts = monitor.scan(probes)
    assert alerts and {alert.column for alert in alerts} == {2}
    assert monitor.scan(frame) == []
    assert monitor.off_distribution(frame.assign(job="astronaut")).all()
