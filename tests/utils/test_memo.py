"""Fits shared within an audit: equal fits made once, results unchanged."""

import threading

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skinvert.utils._memo import fit_shared, shared_fits


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
