import pickle
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from skinvert import query_target
from skinvert.defenses import QueryBudget, QueryBudgetExceeded, QueryCounter

_SPY_LOCK = threading.Lock()


class SpyTarget(ClassifierMixin, BaseEstimator):
    """A fitted-by-construction target that counts the rows it really answers."""

    classes_ = np.array([0, 1])

    def __init__(self, fail=False):
        self.fail = fail

    def __sklearn_is_fitted__(self):
        return True

    def predict_proba(self, X):
        if self.fail:
            raise ValueError("cannot encode this record")
        with _SPY_LOCK:
            self.__dict__["answered"] = self.__dict__.get("answered", 0) + len(X)
        p = 1.0 / (1.0 + np.exp(-np.asarray(X, dtype=float).sum(axis=1)))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 3))
    return X, (X[:, 0] > 0).astype(int)


def test_counter_counts_rows_and_calls_per_method(data):
    X, y = data
    counter = QueryCounter(FrozenEstimator(LogisticRegression().fit(X, y)))
    check_is_fitted(counter)
    proba = counter.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1.0)
    counter.predict(X[:10])
    counter.decision_function(X[:5])
    counter.score(X[:7], y[:7])  # counted as predict
    assert counter.n_rows_ == 100 + 10 + 5 + 7
    assert counter.n_calls_ == 4
    assert counter.calls_by_method_ == {
        "predict_proba": 1,
        "predict": 2,
        "decision_function": 1,
    }
    assert counter.rows_by_method_["predict"] == 17
    counter.reset()
    assert (counter.n_rows_, counter.n_calls_, counter.calls_by_method_) == (0, 0, {})


def test_counter_is_exact_under_threads():
    counter = QueryCounter(SpyTarget())
    X = np.zeros((3, 2))
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: counter.predict_proba(X), range(800)))
    assert counter.n_rows_ == 2400
    assert counter.n_calls_ == 800


def test_counter_sees_an_attacks_threaded_queries(data):
    X, _ = data
    counter = QueryCounter(SpyTarget())
    candidates = np.array([[-1.0], [0.0], [1.0]])
    query_target(counter, X, [0], candidates, batch_size=30, n_jobs=4)
    assert counter.n_rows_ == 300
    assert counter.n_calls_ == 10


def test_fit_refits_a_clone_and_resets_the_counts(data):
    X, y = data
    model = LogisticRegression()
    counter = QueryCounter(model).fit(X, y)
    counter.predict(X)
    counter.fit(X, y)
    assert counter.n_rows_ == 0
    assert counter.estimator_ is not model
    assert not hasattr(model, "coef_")


def test_counts_survive_pickling_and_clone_starts_afresh(data):
    X, y = data
    counter = QueryCounter(LogisticRegression()).fit(X, y)
    counter.predict_proba(X)
    restored = pickle.loads(pickle.dumps(counter))
    assert restored.n_rows_ == 100
    restored.predict(X[:1])  # the lock was recreated
    assert restored.n_rows_ == 101
    assert clone(counter).n_rows_ == 0


def test_budget_refuses_before_answering():
    spy = SpyTarget()
    budget = QueryBudget(spy, max_queries=25)
    budget.predict_proba(np.zeros((20, 2)))
    assert budget.remaining_ == 5
    with pytest.raises(QueryBudgetExceeded) as info:
        budget.predict_proba(np.zeros((6, 2)))
    message = str(info.value)
    for fragment in ["max_queries=25", "20 were already", "asks for 6", "set_params"]:
        assert fragment in message
    assert spy.answered == 20
    budget.predict(np.zeros((5, 2)))
    assert budget.remaining_ == 0
    budget.set_params(max_queries=30)
    assert budget.remaining_ == 5
    budget.reset()
    assert budget.remaining_ == 30


def test_budget_gives_back_rows_of_a_call_the_target_failed():
    budget = QueryBudget(SpyTarget(fail=True), max_queries=10)
    with pytest.raises(ValueError, match="cannot encode"):
        budget.predict_proba(np.zeros((8, 2)))
    assert budget.remaining_ == 10
    assert budget.n_calls_ == 0


def test_budget_holds_under_threads():
    spy = SpyTarget()
    budget = QueryBudget(spy, max_queries=1000)
    X = np.zeros((10, 2))

    def ask(_):
        try:
            budget.predict_proba(X)
        except QueryBudgetExceeded:
            return False
        return True

    with ThreadPoolExecutor(8) as pool:
        answered = list(pool.map(ask, range(400)))
    assert sum(answered) == 100
    assert budget.n_rows_ == spy.answered == 1000


def test_budget_stops_an_attack_midway(data):
    X, _ = data
    budget = QueryBudget(SpyTarget(), max_queries=150)
    with pytest.raises(QueryBudgetExceeded, match="max_queries=150"):
        query_target(budget, X, [0], np.array([[0.0], [1.0]]), batch_size=50)
    assert budget.n_rows_ == 150


def test_methods_follow_the_wrapped_model():
    counter = QueryCounter(SpyTarget())
    assert hasattr(counter, "predict_proba")
    assert not hasattr(counter, "decision_function")
    with pytest.raises(ValueError, match="max_queries"):
        QueryBudget(SpyTarget(), max_queries=-1).predict(np.zeros((1, 2)))
