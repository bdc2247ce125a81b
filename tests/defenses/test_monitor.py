import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

from skinvert import query_target
from skinvert.defenses import (
    MonitoredTarget,
    QueryAlert,
    QueryMonitor,
    SuspiciousQueries,
)
from skinvert.defenses._base import cell_hashes
from skinvert.defenses._monitor import enumeration_scores


@pytest.fixture(scope="module")
def fair():
    """Fair's affairs survey: columns with few distinct values (many near-twins)."""
    sm = pytest.importorskip("statsmodels.api")
    data = sm.datasets.fair.load_pandas().data
    return data.drop(columns=["affairs"]).to_numpy()


def _enumerate(records, column, values):
    probes = np.repeat(records, len(values), axis=0)
    probes[:, column] = np.tile(values, len(records))
    return probes


def _naive_shares(batch):
    n, d = batch.shape
    shares = np.zeros(d)
    for j in range(d):
        others = np.delete(batch, j, axis=1)
        for r in range(n):
            same = (others == others[r]).all(axis=1)
            shares[j] += np.any(same & (batch[:, j] != batch[r, j]))
    return shares / n


def test_vectorised_scores_match_the_definition():
    rng = np.random.RandomState(0)
    rows = rng.randint(0, 2, size=(70, 4)).astype(float)
    shares = enumeration_scores(cell_hashes(rows), 30)
    assert shares.shape == (3, 4)
    for b, start in enumerate(range(0, 70, 30)):
        assert np.allclose(shares[b], _naive_shares(rows[start : start + 30]))
    assert shares.max() > 0


def test_handmade_batch():
    rows = np.array(
        [[1, 2, 3], [1, 2, 4], [5, 6, 7], [5, 8, 7], [9, 9, 9], [1, 2, 3]], dtype=float
    )
    scores, columns = QueryMonitor(batch_size=6).score_batches(rows)
    # column 2: rows 0, 1 and 5 (row 5 repeats row 0); column 1: rows 2 and 3
    assert scores.tolist() == [0.5]
    assert columns.tolist() == [2]


@pytest.mark.parametrize("column", [0, 4, 7])
def test_enumeration_is_flagged_with_the_right_column(fair, column):
    rng = np.random.RandomState(column)
    benign = fair[rng.permutation(len(fair))]
    monitor = QueryMonitor(batch_size=100).fit(benign)
    values = np.unique(fair[:, column])[:3]
    probes = _enumerate(fair[rng.choice(len(fair), 300)], column, values)
    scores, columns = monitor.score_batches(probes)
    assert np.all(scores > monitor.threshold_)
    assert np.all(columns == column)
    assert monitor.predict(probes).tolist() == [1] * len(probes)


def test_benign_traffic_rarely_raises_alarms(fair):
    rng = np.random.RandomState(0)
    order = rng.permutation(len(fair))
    half = len(fair) // 2
    # benign streams: records drawn at random, from disjoint halves of the survey
    monitor = QueryMonitor(batch_size=100).fit(fair[rng.choice(order[:half], 20000)])
    assert 0 < monitor.threshold_ < 0.5  # this data has many near-twins
    scores, _ = monitor.score_batches(fair[rng.choice(order[half:], 20000)])
    assert np.mean(scores > monitor.threshold_) <= 0.03


def test_threshold_has_a_floor_when_benign_scores_are_zero():
    rng = np.random.RandomState(0)
    monitor = QueryMonitor(batch_size=50, min_threshold=0.1).fit(
        rng.normal(size=(1000, 5))
    )
    assert np.all(monitor.benign_scores_ == 0)
    assert monitor.threshold_ == 0.1
    rows = rng.normal(size=(50, 5))
    rows[1] = rows[0]
    rows[1, 2] += 1.0  # one accidental near-twin pair: 2 rows of 50
    assert monitor.predict(rows).sum() == 0


def test_strings_and_dataframes_are_hashed_by_content():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "job": ["nurse", "nurse", "pilot", "clerk"] * 5,
            "age": [30.0, 30.0, 41.0, 52.0] * 5,
            "city": pd.Categorical(["a", "b", "a", "b"] * 5),
        }
    )
    hashes = cell_hashes(frame)
    assert np.array_equal(cell_hashes(frame.iloc[7:9]), hashes[7:9])
    assert np.array_equal(cell_hashes(frame.to_numpy(dtype=object)), hashes)
    assert hashes[0, 0] != hashes[2, 0]
    scores, columns = QueryMonitor(batch_size=20).score_batches(frame)
    assert columns.tolist() == [2]
    assert scores[0] == pytest.approx(0.5)


def _monitored(batch_size=40, **kwargs):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 3))
    target = LogisticRegression().fit(X, X[:, 0] > 0)
    monitor = QueryMonitor(batch_size=batch_size).fit(X)
    return MonitoredTarget(FrozenEstimator(target), monitor, **kwargs), X


def test_monitored_target_records_alerts_across_calls():
    monitored, X = _monitored()
    monitored.predict_proba(X[:100])
    assert monitored.alerts_ == []
    probes = _enumerate(X[:60], 1, [-1.0, 1.0])
    for part in np.array_split(probes, 7):  # odd call sizes; batches span calls
        monitored.predict_proba(part)
    assert monitored.n_batches_ == (100 + 120) // 40
    assert [alert.column for alert in monitored.alerts_] == [1, 1, 1]
    assert all(isinstance(alert, QueryAlert) for alert in monitored.alerts_)
    assert monitored.n_rows_ == 220
    restored = pickle.loads(pickle.dumps(monitored))
    assert restored.alerts_ == monitored.alerts_
    restored.predict(X[:1])  # the lock was recreated
    monitored.reset()
    assert (monitored.alerts_, monitored.n_batches_, monitored.n_rows_) == ([], 0, 0)


def test_monitored_target_sees_an_attacks_threaded_queries():
    monitored, X = _monitored()
    candidates = np.array([[-1.0], [0.0], [1.0]])
    query_target(monitored, X[:200], [2], candidates, batch_size=60, n_jobs=4)
    assert monitored.n_batches_ == 600 // 40
    assert len(monitored.alerts_) >= 12
    assert {alert.column for alert in monitored.alerts_} == {2}


def test_raise_refuses_the_call_that_completes_a_flagged_batch():
    monitored, X = _monitored(on_alert="raise")
    monitored.predict(X[:40])
    with pytest.raises(SuspiciousQueries, match="column 0"):
        monitored.predict_proba(_enumerate(X[:20], 0, [0.0, 1.0]))
    assert monitored.n_rows_ == 40  # not answered
    assert len(monitored.alerts_) == 1


def test_fit_fits_an_unfitted_monitor_on_the_training_rows():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] > 0).astype(int)
    monitored = QueryMonitor(batch_size=30).wrap(LogisticRegression()).fit(X, y)
    assert monitored.monitor_.threshold_ == 0.1
    assert not hasattr(monitored.monitor, "threshold_")
    fitted = QueryMonitor(batch_size=30).fit(X)
    assert MonitoredTarget(LogisticRegression(), fitted).fit(X, y).monitor_ is fitted
    copy = clone(monitored).fit(X, y)
    copy.predict(_enumerate(X[:15], 1, [0.0, 1.0]))
    assert len(copy.alerts_) == 1


def test_unfitted_monitor_without_fit_says_how_to_fix_it():
    _, X = _monitored()
    target = FrozenEstimator(LogisticRegression().fit(X, X[:, 0] > 0))
    with pytest.raises(NotFittedError, match="benign"):
        MonitoredTarget(target, QueryMonitor()).predict(X)
    monitored, _ = _monitored()
    with pytest.raises(ValueError, match="expecting 3 features"):
        monitored.predict(X[:, :2])
