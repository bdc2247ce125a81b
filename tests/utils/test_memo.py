"""Fits shared within an audit: equal fits made once, results unchanged."""

import threading

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skinvert.utils._memo import fit_shared, share_answers_of, shared_fits


class Spy(LogisticRegression):
    """Counts its fits, fits nothing."""

    def fit(self, X, y):
        return self


class Broken(LogisticRegression):
    def fit(self, X, y):
        raise ValueError("no fit")


class Slow(LogisticRegression):
    """Waits for ``gate`` to fit; records each fit in ``calls``."""

    calls = []
    gate = threading.Event()

    def fit(self, X, y):
        self.calls.append(1)
        self.gate.wait(5)
        return super().fit(X, y)


def _data(seed=0, n=60):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, (X[:, 0] > 0).astype(int)


def test_outside_a_block_every_fit_is_made():
    X, y = _data()
    a, b = LogisticRegression(), LogisticRegression()
    assert fit_shared(a, X, y) is a and fit_shared(b, X, y) is b


def test_equal_content_is_fitted_once_and_different_content_is_not_confused():
    X, y = _data()
    with shared_fits() as counts:
        a = fit_shared(LogisticRegression(), X, y)
        assert fit_shared(LogisticRegression(), X.copy(), y.copy()) is a
        other = [
            fit_shared(LogisticRegression(C=0.5), X, y),  # other parameters
            fit_shared(LogisticRegression(), X[::-1], y[::-1]),  # other rows
            fit_shared(LogisticRegression(), X, 1 - y),  # other values
            fit_shared(LogisticRegression(), X.astype(np.float32), y),  # dtype
        ]
    assert all(model is not a for model in other)
    assert counts == {"fits": 5, "answers": 0, "hits": 1}
    # the memo ends with the block
    assert fit_shared(LogisticRegression(), X, y) is not a


def test_dataframes_are_keyed_by_names_dtypes_and_values_not_index():
    pd = pytest.importorskip("pandas")
    X, y = _data()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    shifted = frame.set_index(frame.index + 100)
    renamed = frame.rename(columns={"c": "d"})
    with shared_fits():
        first = fit_shared(LogisticRegression(), frame, y)
        assert fit_shared(LogisticRegression(), shifted, y) is first
        assert fit_shared(LogisticRegression(), renamed, y) is not first


def test_object_columns_distinguish_text_from_numbers():
    y = np.array([0, 1] * 10)
    text = np.array([[str(i % 3)] for i in range(20)], dtype=object)
    numbers = np.array([[i % 3] for i in range(20)], dtype=object)

    with shared_fits() as counts:
        fit_shared(Spy(), text, y)
        fit_shared(Spy(), numbers, y)
    assert counts["fits"] == 2


def test_concurrent_callers_wait_for_one_fit():
    X, y = _data(n=200)
    Slow.calls.clear()
    Slow.gate.clear()
    found = []
    with shared_fits():
        threads = [
            threading.Thread(target=lambda: found.append(fit_shared(Slow(), X, y)))
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        Slow.gate.set()
        for thread in threads:
            thread.join()
    assert len(Slow.calls) == 1 and len(found) == 4
    assert all(model is found[0] for model in found)


def test_a_failed_fit_raises_for_every_caller_and_is_not_kept():
    X, y = _data()

    with shared_fits() as counts:
        for _ in range(2):
            with pytest.raises(ValueError, match="no fit"):
                fit_shared(Broken(), X, y)
    assert counts["fits"] == 2  # tried again, not answered from a failure


def test_a_model_that_cannot_be_hashed_is_fitted_unshared():
    X, y = _data()

    class Local(LogisticRegression):  # not picklable: a local class
        pass

    with shared_fits() as counts:
        a, b = Local(), Local()
        assert fit_shared(a, X, y) is a and fit_shared(b, X, y) is b
    assert counts == {"fits": 0, "answers": 0, "hits": 0}


def test_answers_are_shared_only_for_a_registered_target_that_counts_nothing():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skinvert import query_target
    from skinvert.defenses import QueryCounter

    X, y = _data()
    target = LogisticRegression().fit(X, y)
    counted = make_pipeline(StandardScaler(), QueryCounter(LogisticRegression()))
    counted.fit(X, y)
    candidates = np.array([[0.0], [1.0]])
    with shared_fits() as counts:
        share_answers_of(target)
        share_answers_of(counted)  # holds a counter: never shared
        first = query_target(target, X, [0], candidates)
        again = query_target(target, X, [0], candidates)
        other = LogisticRegression(C=0.1).fit(X, y)  # not registered
        query_target(other, X, [0], candidates)
        query_target(other, X, [0], candidates)
        query_target(counted, X, [0], candidates)
        query_target(counted, X, [0], candidates)
    assert counts == {"fits": 0, "answers": 1, "hits": 1}
    np.testing.assert_array_equal(first, again)
    assert first is not again  # a copy each: callers may write into it
    assert counted[-1].n_rows_ == 2 * 2 * len(X)


def test_content_that_cannot_be_digested_is_not_shared():
    sparse = pytest.importorskip("scipy.sparse")
    a = sparse.random(20, 3, density=0.5, format="csr", random_state=0)
    b = sparse.random(20, 3, density=0.5, format="csr", random_state=1)
    assert a.nnz == b.nnz
    y = np.arange(20) % 2
    ragged = np.empty((20, 1), dtype=object)
    for i in range(20):
        ragged[i, 0] = np.arange(2000) * i  # a cell whose repr is truncated
    with shared_fits() as counts:
        fitted = [fit_shared(LogisticRegression(), X, y) for X in (a, b)]
        fit_shared(Spy(), ragged, y)
        fit_shared(Spy(), ragged, y)
    assert fitted[0] is not fitted[1]
    assert counts == {"fits": 0, "answers": 0, "hits": 0}


def test_categories_are_part_of_a_categorical_column():
    pd = pytest.importorskip("pandas")
    y = np.array([0, 1] * 5)
    values = ["a", "b"] * 5
    narrow = pd.DataFrame({"c": pd.Categorical(values, categories=["a", "b"])})
    wide = pd.DataFrame({"c": pd.Categorical(values, categories=["a", "b", "z"])})
    with shared_fits() as counts:
        fit_shared(Spy(), narrow, y)
        fit_shared(Spy(), wide, y)
    assert counts["fits"] == 2
