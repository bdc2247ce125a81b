"""Work shared within an audit: each distinct fit, and each distinct query, once.

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

The answers of the audit's target are shared the same way
(:func:`share_answers_of`, :func:`shared_answers`): several attacks ask it the
auxiliary records completed with every candidate, and the victims likewise. A
target whose answers vary from call to call, or that counts its queries (a query
budget, a monitor), declares ``_shared_answers = False`` and is asked every time.

The memo is process-wide (the joblib worker threads of an audit share it) and
thread-safe: a second caller asking for a fit in progress waits for it rather
than fitting it again. It holds its fits and answers until the outermost block
ends (for :func:`~skinvert.evaluation.audit_columns`, until the last column's
audit). Work sent to other processes (a Dask cluster's) is done there, unshared.
"""

import hashlib
import threading
from contextlib import contextmanager, suppress

import joblib
import numpy as np

from ._optional import is_pandas_dataframe

__all__ = ["fit_shared", "share_answers_of", "shared_answers", "shared_fits"]

_lock = threading.Lock()
_state = {"memo": None, "targets": {}, "depth": 0, "hits": 0, "fits": 0, "answers": 0}


class _Entry:
    """One result: computed once, waited for by every other caller."""

    def __init__(self):
        self.done = threading.Event()
        self.value = None
        self.failed = False


# object cells digested by their repr: scalars only (an array's repr is truncated)
_SCALARS = (str, bytes, int, float, bool, complex, type(None), np.generic)


def _digest(values):
    """A digest of a table's content: column names, dtypes and values, not index.

    Numeric columns are hashed as their bytes, the others as the ``repr`` of their
    values (C-speed for strings; pickling an object array element by element is
    a hundred times slower). A categorical column's categories are part of its
    dtype. Anything but an ndarray, a DataFrame or a Series (a sparse matrix,
    say), or an object cell that is not a scalar, raises ``TypeError``: the
    caller then does the work unshared.
    """
    digest = hashlib.sha1()
    if is_pandas_dataframe(values):
        columns = [
            (repr(name), _dtype(values.dtypes.iloc[j]), values.iloc[:, j].to_numpy())
            for j, name in enumerate(values.columns)
        ]
    elif isinstance(values, np.ndarray) or type(values).__name__ == "Series":
        array = np.asarray(values)
        columns = [("", _dtype(getattr(values, "dtype", array.dtype)), array)]
        if array.dtype.kind == "O" and array.ndim == 2:
            columns = [(str(j), "O", array[:, j]) for j in range(array.shape[1])]
    else:
        raise TypeError(f"{type(values).__name__} is not digested")
    for name, dtype, column in columns:
        digest.update(f"{name}|{dtype}|{column.shape}|".encode())
        if column.dtype.kind in "biufcmM":
            digest.update(np.ascontiguousarray(column).tobytes())
            continue
        cells = column.ravel().tolist()
        if not all(issubclass(kind, _SCALARS) for kind in set(map(type, cells))):
            raise TypeError("object cells that are not scalars are not digested")
        digest.update(repr(cells).encode())
    return digest.hexdigest()


def _dtype(dtype):
    """A dtype's name, with a categorical's categories and order."""
    categories = getattr(dtype, "categories", None)
    if categories is None:
        return str(dtype)
    return f"category|{dtype.ordered}|{_digest(np.asarray(categories))}"


@contextmanager
def shared_fits():
    """Share the fits of :func:`fit_shared` until the (outermost) block ends.

    Yields
    ------
    counts : dict
        ``"fits"`` (models fitted), ``"answers"`` (target queries made through
        :func:`shared_answers`) and ``"hits"`` (calls answered from the memo),
        filled when the block ends.

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
    (True, {'fits': 1, 'answers': 0, 'hits': 1})
    """
    with _lock:
        if _state["depth"] == 0:
            _state.update(memo={}, hits=0, fits=0, answers=0)
        _state["depth"] += 1
    counts = {}
    try:
        yield counts
    finally:
        with _lock:
            counts.update(
                fits=_state["fits"], answers=_state["answers"], hits=_state["hits"]
            )
            _state["depth"] -= 1
            if _state["depth"] == 0:
                _state["memo"], _state["targets"] = None, {}


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
    if _memo() is None:
        return model.fit(X, y)
    try:
        key = ("fit", joblib.hash(model), _digest(X), _digest(y))
    except Exception:  # a model that cannot be pickled (a local class): unshared
        return model.fit(X, y)
    return _once(key, lambda: model.fit(X, y), "fits")


def shared_answers(target, parts, compute):
    """``compute()``, or the result of an equal call inside :func:`shared_fits`.

    For the target's answers to the same query (``parts``: the method, records,
    columns and candidates) asked by several attacks: only for a target given to
    :func:`share_answers_of` in the block (the audit's target, not the attacks'
    shadow models), keyed by its identity and the content of ``parts``.

    Returns
    -------
    answers : ndarray
        A copy: callers may write into it.
    """
    with _lock:
        shared = _state["targets"].get(id(target)) is target
    if not shared:
        return compute()
    try:
        key = ("answers", id(target), *(_part(p) for p in parts))
    except Exception:  # content that cannot be digested: unshared
        return compute()
    return np.array(_once(key, compute, "answers"), copy=True)


def share_answers_of(target):
    """Answer equal queries of ``target`` once until the :func:`shared_fits` block ends.

    Not for a target whose answers change from call to call or that counts its
    queries: ``_shared_answers = False`` on its class, or on the class of any
    model it holds (its parameters, deep; a wrapper's ``estimator``). The memo
    holds the target, so that its identity is not reused while the block lasts.
    """
    with _lock:
        if _state["memo"] is not None and shareable_answers(target):
            _state["targets"][id(target)] = target


def shareable_answers(target, depth=8):
    """False if ``target`` or a model it holds declares ``_shared_answers = False``."""
    if depth == 0 or target is None:
        return True
    if getattr(type(target), "_shared_answers", True) is False:
        return False
    inner = [getattr(target, "estimator", None)]
    if hasattr(target, "get_params"):
        with suppress(Exception):  # a client whose parameters cannot be read
            inner += list(target.get_params(deep=False).values())
    for value in inner:
        if isinstance(value, (list, tuple)):  # a Pipeline's steps
            value = [v[-1] if isinstance(v, tuple) else v for v in value]
        for model in value if isinstance(value, list) else [value]:
            if hasattr(model, "fit") and not shareable_answers(model, depth - 1):
                return False
    return True


def _part(value):
    if value is None or isinstance(value, (str, int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return repr([_part(v) for v in value])
    if not (is_pandas_dataframe(value) or isinstance(value, np.ndarray)):
        raise TypeError("only arrays and DataFrames are digested")
    return _digest(value)


def _memo():
    with _lock:
        return _state["memo"]


def _once(key, compute, kind):
    """``compute()`` once per ``key`` within the memo; other callers wait for it."""
    with _lock:
        memo = _state["memo"]
        if memo is None:
            owner, entry = True, None
        else:
            entry = memo.get(key)
            owner = entry is None
            if owner:
                entry = memo[key] = _Entry()
                _state[kind] += 1
            else:
                _state["hits"] += 1
    if entry is None:  # the block ended meanwhile
        return compute()
    if not owner:
        entry.done.wait()
        if not entry.failed:
            return entry.value
        return compute()  # the first try failed: raise its error here
    try:
        entry.value = compute()
        return entry.value
    except BaseException:
        entry.failed = True
        with _lock:
            if _state["memo"] is memo:
                memo.pop(key, None)
        raise
    finally:
        entry.done.set()
