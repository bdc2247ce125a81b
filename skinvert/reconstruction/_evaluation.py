"""Measuring reconstructions: per-column error, the model-free reference, scorers."""

import numpy as np
from sklearn.utils import Bunch

from ..utils._optional import is_pandas_dataframe
from ._common import _mask


def _as_2d(X, name):
    if is_pandas_dataframe(X):
        X = (
            X.to_numpy(dtype=object)
            if any(getattr(dtype, "kind", "O") not in "biuf" for dtype in X.dtypes)
            else X.to_numpy(dtype=np.float64)
        )
    X = np.asarray(X)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (records x columns); got shape {X.shape}."
        )
    return X


def _is_numeric(column):
    if column.dtype.kind in "biuf":
        return True
    try:
        column.astype(np.float64)
    except (TypeError, ValueError):
        return False
    return True


def column_errors(X_true, X_pred, *, categorical_features=None):
    """Per-column error of reconstructed records against the truth.

    Numeric columns count the mean absolute error (in the column's units);
    categorical columns (those listed, and every non-numeric column) count the
    error rate, ``1 - accuracy``. Lower is better in both.

    Parameters
    ----------
    X_true : array-like of shape (n, n_columns)
        The true records (or the reconstructed columns of them).
    X_pred : array-like of shape (n, n_columns)
        The reconstructions.
    categorical_features : array-like of int or bool mask, default=None
        Columns compared by equality although numeric.

    Returns
    -------
    errors : ndarray of shape (n_columns,)

    Raises
    ------
    ValueError
        If the shapes differ or the input is empty.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvert.reconstruction import column_errors
    >>> truth = np.array([[1.0, 0], [3.0, 1]])
    >>> column_errors(truth, np.array([[2.0, 0], [3.0, 0]]), categorical_features=[1])
    array([0.5, 0.5])
    """
    X_true, X_pred = _as_2d(X_true, "X_true"), _as_2d(X_pred, "X_pred")
    if X_true.shape != X_pred.shape or X_true.shape[0] == 0:
        raise ValueError(
            f"X_true has shape {X_true.shape} and X_pred {X_pred.shape}; they must "
            "match and hold at least one record."
        )
    categorical = _mask(categorical_features, X_true.shape[1], "categorical_features")
    errors = np.empty(X_true.shape[1])
    for j in range(X_true.shape[1]):  # a loop over columns: types may differ
        t, p = X_true[:, j], X_pred[:, j]
        if categorical[j] or not (_is_numeric(t) and _is_numeric(p)):
            errors[j] = np.mean(t != p)
        else:
            errors[j] = np.mean(np.abs(t.astype(float) - p.astype(float)))
    return errors


def class_reference(X_aux, y_aux, y, *, categorical_features=None):
    """The model-free reconstruction: the auxiliary class-conditional mean (or mode).

    What an attacker who knows each victim's class, and has no access to the
    target, would reconstruct: for numeric columns the mean of the auxiliary
    records of that class, for categorical ones their most frequent value (a
    class absent from the auxiliary data gets the overall mean or mode).

    Parameters
    ----------
    X_aux : array-like of shape (n_aux, n_columns)
        Auxiliary records.
    y_aux : array-like of shape (n_aux,)
        Their labels.
    y : array-like of shape (n,)
        The victims' labels.
    categorical_features : array-like of int or bool mask, default=None
        Columns reconstructed by their mode although numeric.

    Returns
    -------
    reference : ndarray of shape (n, n_columns)

    Examples
    --------
    >>> import numpy as np
    >>> from skinvert.reconstruction import class_reference
    >>> X_aux = np.array([[0.0, 1], [2.0, 1], [10.0, 0]])
    >>> class_reference(X_aux, [0, 0, 1], [1, 0], categorical_features=[1])
    array([[10.,  0.],
           [ 1.,  1.]])
    """
    X_aux = _as_2d(X_aux, "X_aux")
    y_aux, y = np.asarray(y_aux).ravel(), np.asarray(y).ravel()
    if y_aux.shape[0] != X_aux.shape[0] or X_aux.shape[0] == 0:
        raise ValueError(
            f"y_aux has {y_aux.shape[0]} labels for {X_aux.shape[0]} auxiliary "
            "records; they must match and be at least one."
        )
    categorical = _mask(categorical_features, X_aux.shape[1], "categorical_features")
    labels, codes = np.unique(y_aux, return_inverse=True)
    table = np.empty((len(labels) + 1, X_aux.shape[1]), dtype=object)
    for j in range(X_aux.shape[1]):
        column = X_aux[:, j]
        if categorical[j] or not _is_numeric(column):
            table[:, j] = [_mode(column[codes == c]) for c in range(len(labels))] + [
                _mode(column)
            ]
        else:
            column = column.astype(float)
            sums = np.bincount(codes, weights=column, minlength=len(labels))
            means = sums / np.bincount(codes, minlength=len(labels))
            table[:, j] = np.append(means, column.mean())
    pos = np.clip(np.searchsorted(labels, y), 0, len(labels) - 1)
    rows = np.where(labels[pos] == y, pos, len(labels))
    out = table[rows]
    try:
        return out.astype(np.float64)
    except (TypeError, ValueError):
        return out


def _mode(values):
    uniques, counts = np.unique(values, return_counts=True)
    return uniques[np.argmax(counts)]


def compare_to_reference(
    attack, populations, X_aux, y_aux, *, categorical_features=None
):
    """Per-column error of an attack and of the model-free reference, per population.

    Parameters
    ----------
    attack : fitted MIFace or InversionModel
        For :class:`MIFace` the reconstruction of a record is its class's
        representative; for :class:`InversionModel`, ``transform`` of the record.
    populations : dict of str to (X, y)
        Records and labels per population, e.g. ``{"members": (X_in, y_in),
        "non-members": (X_out, y_out)}``.
    X_aux, y_aux : array-like
        The auxiliary records and labels the reference is computed from.
    categorical_features : array-like of int or bool mask, default=None
        Columns (of the reconstructed columns) compared by equality.

    Returns
    -------
    table : dict of str to Bunch
        Per population: ``attack`` and ``reference`` per-column errors (ndarray),
        and their means ``attack_mean`` and ``reference_mean``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvert.reconstruction import MIFace, compare_to_reference
    >>> X, y = load_digits(return_X_y=True)
    >>> target = LogisticRegression(max_iter=200).fit(X[:900], y[:900])
    >>> attack = MIFace(target, n_starts=1).fit(X[900:1400])
    >>> table = compare_to_reference(
    ...     attack, {"members": (X[:900], y[:900])}, X[900:1400], y[900:1400])
    >>> sorted(table["members"])
    ['attack', 'attack_mean', 'reference', 'reference_mean']
    """
    columns = getattr(attack, "columns_", None)
    out = {}
    for name, (X, y) in populations.items():
        pred = _reconstruct(attack, X, y)  # DataFrames reach the attack untouched
        cols = slice(None) if columns is None else columns
        truth = _as_2d(X, f"populations[{name!r}] X")[:, cols]
        ref = class_reference(
            _as_2d(X_aux, "X_aux")[:, cols],
            y_aux,
            y,
            categorical_features=categorical_features,
        )
        a = column_errors(truth, pred, categorical_features=categorical_features)
        r = column_errors(truth, ref, categorical_features=categorical_features)
        out[name] = Bunch(
            attack=a,
            reference=r,
            attack_mean=float(a.mean()),
            reference_mean=float(r.mean()),
        )
    return out


def _reconstruct(attack, X, y):
    if hasattr(attack, "reconstruct"):
        return attack.reconstruct(y)
    if hasattr(attack, "transform"):
        return attack.transform(X)
    raise TypeError(
        f"{type(attack).__name__} reconstructs no record: pass a fitted MIFace or "
        "InversionModel (or an estimator with reconstruct(y) or transform(X))."
    )


def make_reconstruction_scorer(*, categorical_features=None, reference=None):
    """A scorer ``scorer(attack, X, y)`` of reconstructions, greater is better.

    It returns minus the mean per-column error (:func:`column_errors`) of the
    attack's reconstructions of ``X`` (for :class:`MIFace`, the representatives
    of the classes ``y``; for :class:`InversionModel`, ``transform(X)``). With
    ``reference=(X_aux, y_aux)`` it returns the reference's mean error minus the
    attack's (the advantage: positive when the attack beats the reference).

    Parameters
    ----------
    categorical_features : array-like of int or bool mask, default=None
        Columns (of the reconstructed columns) compared by equality.
    reference : tuple (X_aux, y_aux), default=None
        Auxiliary records and labels for the model-free reference.

    Returns
    -------
    scorer : callable

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.neighbors import KNeighborsRegressor
    >>> from skinvert.reconstruction import InversionModel, make_reconstruction_scorer
    >>> X, y = load_digits(return_X_y=True)
    >>> target = LogisticRegression(max_iter=200).fit(X[:900], y[:900])
    >>> attack = InversionModel(target, estimator=KNeighborsRegressor(10))
    >>> attack = attack.fit(X[900:1400])
    >>> scorer = make_reconstruction_scorer()
    >>> bool(scorer(attack, X[:900], y[:900]) < 0)
    True
    """

    def scorer(attack, X, y):
        table = compare_to_reference(
            attack,
            {"X": (X, y)},
            *(reference if reference is not None else (X, y)),
            categorical_features=categorical_features,
        )["X"]
        if reference is None:
            return -table.attack_mean
        return table.reference_mean - table.attack_mean

    return scorer
