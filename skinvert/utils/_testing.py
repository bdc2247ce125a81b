"""A small stateless target for estimator checks and quick tests."""

import zlib

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


def _as_float(X):
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D array, got shape {X.shape}.")
    if X.dtype.kind in "biuf":
        return np.nan_to_num(X.astype(float))
    out = np.empty(X.shape, dtype=float)
    for j in range(X.shape[1]):
        column = X[:, j]
        try:
            out[:, j] = column.astype(float)
        except (TypeError, ValueError):
            out[:, j] = [zlib.crc32(str(v).encode()) % 97 / 97.0 for v in column]
    return np.nan_to_num(out)


class StubTarget(ClassifierMixin, BaseEstimator):
    """A fitted-by-construction binary classifier with fixed weights.

    ``P(y = 1 | x) = sigmoid(sum_j weight * x_j)`` for numeric columns; other cells
    are hashed to numbers. It accepts any number of columns and is never fitted,
    which makes it a convenient target in estimator checks.

    Parameters
    ----------
    weight : float, default=1.0
        Weight of every column.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvert.utils._testing import StubTarget
    >>> StubTarget().predict_proba(np.zeros((1, 3)))
    array([[0.5, 0.5]])
    """

    def __init__(self, weight=1.0):
        self.weight = weight

    classes_ = np.array([0, 1])

    def __sklearn_is_fitted__(self):
        return True

    def fit(self, X, y=None):
        """Do nothing: the stub has no parameters to learn."""
        return self

    def predict_proba(self, X):
        """Sigmoid of the weighted sum of the columns, as two columns."""
        p = 1.0 / (1.0 + np.exp(-self.weight * _as_float(X).sum(axis=1)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        """The more probable class."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
