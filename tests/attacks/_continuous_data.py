"""Data and targets shared by the tests of the continuous (regressor) attacks."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression

from skinvert.attacks import ImputationRegressor


def _records(n, seed, leak=2.0, dependence=0.0):
    """Column 0: a continuous value ("age") that pushes the label when leak > 0.

    With ``dependence=0`` the value is independent of the known features, as
    Fredrikson's posterior assumes.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4))
    age = dependence * x[:, 0] + rng.standard_normal(n)
    y = (x[:, 1] + leak * age > 0).astype(int)
    y = np.where(rng.random(n) < 0.2, 1 - y, y)  # noise an overfit model memorises
    return np.column_stack([age, x]), y


def _regression_split(seed=0, leak=2.0, n=3000):
    X, y = _records(n, seed, leak=leak)
    view = np.column_stack([X, y])
    third = n // 3
    parts = slice(0, third), slice(third, 2 * third), slice(2 * third, n)
    target = RandomForestClassifier(n_estimators=60, random_state=0)
    target.fit(X[parts[0]], y[parts[0]])
    return target, view, X[:, 0], parts


def _r2(attack, view, s, aux, victims):
    return attack.fit(view[aux], s[aux]).score(view[victims], s[victims])


def _baseline(view, s, aux, victims):
    """The better of the default (boosting) and a linear imputation."""
    return max(
        _r2(
            ImputationRegressor(sensitive=0, label=5, estimator=model, random_state=0),
            view,
            s,
            aux,
            victims,
        )
        for model in (None, LinearRegression())
    )


class _PeakTarget(ClassifierMixin, BaseEstimator):
    """Confidence in class 1 peaks where column 0 equals column 1; counts rows."""

    classes_ = np.array([0, 1])

    def __init__(self, width=0.05):
        self.width = width

    def __sklearn_is_fitted__(self):
        return True

    def fit(self, X, y=None):
        return self

    def predict_proba(self, X):
        X = np.asarray(X, dtype=float)
        self.rows_ = getattr(self, "rows_", 0) + X.shape[0]
        p = 0.02 + 0.96 * np.exp(-(((X[:, 0] - X[:, 1]) / self.width) ** 2))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)


def _uniform_aux(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.random(n)
    return np.column_stack([values, rng.random(n), np.ones(n)]), values


class _NoProba(ClassifierMixin, BaseEstimator):
    classes_ = np.array([0, 1])

    def __sklearn_is_fitted__(self):
        return True

    def fit(self, X, y=None):
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)
