"""Fits shared within an audit: each distinct (model, table, values) fitted once.

An audit fits many attacks on the same auxiliary records, and several of them fit
the same model on the same rows: the model-free reference's imputers, the combined
attacks' imputation priors (on the same cross-validation folds, for every label
setting), the shadow-calibrated attack's imputers. Inside :func:`shared_fits`,
:func:`fit_shared` fits each distinct ``(unfitted model, X, y)`` once and hands
the same fitted model to every caller; outside, it is a plain ``fit``.

The key is the content, not the object: the model's class and parameters (its
pickle, hashed with :func:`joblib.hash`), the table's column names, dtypes and
values (not a DataFrame's index) and the values fitted on. A
model fitted on the same inputs with the same parameters (a fixed
``random_state``) is the same model, so sharing it changes no result. The fitted
model is shared, not copied: callers only predict with it.

The memo is process-wide (the joblib worker threads of an audit share it) and
thread-safe: a second caller asking for a fit in progress waits for it rather
than fitting it again. Work sent to other processes (a Dask cluster) fits there,
unshared.
"""

import hashlib
import threading
from contextlib import contextmanager

import joblib
import numpy as np

from ._optional import is_pandas_dataframe

__all__ = ["fit_shared", "shared_fits"]

_lock = threading.Lock()
_state = {"memo": None, "depth": 0, "hits": 0, "fits": 0}


class _Entry:
    """One fit: done once, waited for by every other caller."""

    def __init__(self):
        self.done = threading.Event()
        self.model = None
        self.failed = False


def _digest(values):
    """A digest of a table's content: column names, dtypes and values, not index.

    Numeric columns are hashed as their bytes, the others as the ``repr`` of their
    values (C-speed for strings; pickling an object array element by element is
    a hundred times slower).
    """
    digest = hashlib.sha1()
    if is_pandas_dataframe(values):
        columns = [
            (repr(name), str(values.dtypes.iloc[j]), values.iloc[:, j].to_numpy())
            for j, name in enumerate(values.columns)
        ]
    else:
        array = np.asarray(values)
        columns = [("", str(array.dtype), array)]
        if array.dtype.kind == "O" and array.ndim == 2:
            columns = [(str(j), "O", array[:, j]) for j in range(array.shape[1])]
    for name, dtype, column in columns:
        digest.update(f"{name}|{dtype}|{column.shape}|".encode())
        if column.dtype.kind in "biufcmM":
            digest.update(np.ascontiguousarray(column).tobytes())
        else:
            digest.update(repr(column.tolist()).encode())
    return digest.hexdigest()


@contextmanager
def shared_fits():
    """Share the fits of :func:`fit_shared` until the (outermost) block ends.

    Yields
    ------
    counts : dict
        ``"fits"`` (models fitted) and ``"hits"`` (fits answered from the
        memo), read once the block ends.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvert.utils._memo import fit_shared, shared_fits
    >>> X, y = np.arange(20.0).reshape(-1, 1), np.arange(20) % 2
    >>> with shared_fits() as counts:
    ...     a = fit_shared(LogisticRegression(), X, y)
    ...     b = fit_shared(LogisticRegression(), X.copy(), y.copy())
    >>> a is b, counts
    (True, {'fits': 1, 'hits': 1})
    """
    with _lock:
        if _state["depth"] == 0:
            _state.update(memo={}, hits=0, fits=0)
        _state["depth"] += 1
    counts = {}
    try:
        yield counts
    finally:
        with _lock:
            counts.update(fits=_state["fits"], hits=_state["hits"])
            _state["depth"] -= 1
            if _state["depth"] == 0:
                _state["memo"] = None


def fit_shared(model, X, y):
    """``model.fit(X, y)``, or the same fit already made inside :func:`shared_fits`.

    Parameters
    ----------
    model : estimator
        Unfitted; fitted in place unless an equal fit is found.
    X : array-like or DataFrame of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)

    Returns
    -------
    fitted : estimator
        ``model`` fitted, or the fitted model of an earlier equal call.
    """
    with _lock:
        memo = _state["memo"]
    if memo is None:
        return model.fit(X, y)
    try:
        key = (joblib.hash(model), _digest(X), _digest(y))
    except Exception:  # a model that cannot be pickled (a local class): unshared
        return model.fit(X, y)
    with _lock:
        entry = memo.get(key)
        owner = entry is None
        if owner:
            entry = memo[key] = _Entry()
            _state["fits"] += 1
        else:
            _state["hits"] += 1
    if not owner:
        entry.done.wait()
        if not entry.failed:
            return entry.model
        return model.fit(X, y)  # the first try failed: raise its error here
    try:
        entry.model = model.fit(X, y)
        return entry.model
    except BaseException:
        entry.failed = True
        with _lock:
            memo.pop(key, None)
        raise
    finally:
        entry.done.set()
