"""Run a fitted attack on victims held in a Dask DataFrame or Dask array.

The fitted attack (target included) becomes one node of the task graph and is
applied partition by partition; the result is a lazy collection of the same kind,
partitioned like the victims. Nothing here imports Dask unless a Dask collection
is passed.
"""

import functools

import numpy as np

from ._optional import import_optional

_METHODS = ("predict", "predict_proba", "transform")


def is_dask_collection(X):
    """Return True if ``X`` is a Dask collection, without importing Dask.

    Parameters
    ----------
    X : object
        Anything.

    Returns
    -------
    is_dask : bool

    Examples
    --------
    >>> import numpy as np
    >>> from skinvert.utils._dask import is_dask_collection
    >>> is_dask_collection(np.zeros(3))
    False
    """
    module = type(X).__module__.split(".")[0]
    return module in ("dask", "dask_expr") and hasattr(X, "__dask_graph__")


def _is_regressor(attack):
    """Attacks on a continuous attribute have no ``classes_``: float estimates."""
    return not hasattr(attack, "classes_")


def _value_columns(attack):
    """The inferred values' possible values, one 1-D array per sensitive column."""
    if _is_regressor(attack):
        return [np.empty(0, dtype=np.float64)]
    if len(attack.sensitive_indices_) > 1:
        candidates = np.asarray(attack.candidates_)
        return [candidates[:, j] for j in range(candidates.shape[1])]
    return [np.asarray(attack.classes_)]


def _value_dtype(attack):
    """NumPy dtype of ``predict``'s result, and its number of columns (None: 1-D)."""
    if _is_regressor(attack):
        return np.dtype(np.float64), None
    if len(attack.sensitive_indices_) > 1:
        return np.asarray(attack.candidates_).dtype, len(attack.sensitive_indices_)
    return np.asarray(attack.classes_).dtype, None


# ------------------------------------------------------------------ DataFrames
def _records_meta(attack, X):
    """Empty pandas frame of the victims' records in the target's layout."""
    # a sensitive column may be left out
    meta = attack._insert_absent(X._meta, reset=False)
    if attack.label_index_ is not None:
        meta = meta.drop(columns=meta.columns[attack.label_index_])
    return meta


def _frame_meta(attack, method, X):
    """The empty pandas object each partition of a DataFrame turns into.

    Dtypes are those pandas infers for the inferred values (as ``transform``
    gives them on an in-memory DataFrame); the partitions are cast to them.
    """
    pd = import_optional("pandas", purpose="Dask DataFrames")
    records = _records_meta(attack, X)
    index = records.index
    positions = attack.sensitive_indices_
    sensitive = [records.columns[p] for p in positions]
    if method == "predict_proba":
        columns = pd.Index(list(attack.classes_), tupleize_cols=False)
        return pd.DataFrame(np.empty((0, len(columns))), columns=columns, index=index)
    dtypes = [pd.Series(values).dtype for values in _value_columns(attack)]
    if method == "predict":
        if len(sensitive) == 1:
            return pd.Series(index=index, dtype=dtypes[0], name=sensitive[0])
        return pd.DataFrame(
            {j: pd.Series(index=index, dtype=d) for j, d in enumerate(dtypes)}
        ).set_axis(pd.Index(sensitive, tupleize_cols=False), axis=1)
    meta = records.copy()
    for position, dtype in zip(positions, dtypes):
        meta.isetitem(position, pd.Series(index=index, dtype=dtype))
    return meta


def _apply_frame(part, attack, method, meta):
    if len(part) == 0:
        return meta
    pd = import_optional("pandas", purpose="Dask DataFrames")
    out = getattr(attack, method)(part)
    if isinstance(meta, pd.Series):
        return pd.Series(out, index=part.index, name=meta.name).astype(meta.dtype)
    if not isinstance(out, pd.DataFrame):
        out = pd.DataFrame(out)
    out = out.set_axis(meta.columns, axis=1).set_axis(part.index, axis=0)
    for j, dtype in enumerate(meta.dtypes):  # by position: names may repeat
        if out.dtypes.iloc[j] != dtype:
            out.isetitem(j, out.iloc[:, j].astype(dtype))
    return out


# ---------------------------------------------------------------------- arrays
def _array_layout(attack, method, X):
    """(dtype, number of output columns or None for 1-D) of an array's result."""
    if method == "predict_proba":
        return np.dtype(np.float64), len(attack.classes_)
    dtype, width = _value_dtype(attack)
    if method == "predict":
        return dtype, width
    n_outputs = attack.n_features_in_ - (attack.label_index_ is not None)
    if X.dtype.kind in "biuf" and dtype.kind in "biuf":  # as the records are filled
        return np.result_type(X.dtype, dtype), n_outputs
    return np.dtype(object), n_outputs


def _apply_block(block, attack, method, dtype, width):
    if block.shape[0] == 0:
        return np.empty((0,) if width is None else (0, width), dtype=dtype)
    return np.asarray(getattr(attack, method)(block), dtype=dtype)


def map_blocks_predict(attack, method, X):
    """Apply a fitted attack's ``method`` lazily, partition by partition.

    Parameters
    ----------
    attack : fitted attack
        Any fitted skinvert attack.
    method : {"predict", "predict_proba", "transform"}
        The method to apply.
    X : dask.dataframe.DataFrame or dask.array.Array
        Victims in the attacker's view. A Dask array chunked along columns is
        first rechunked to one chunk per row block.

    Returns
    -------
    result : dask.dataframe.Series, dask.dataframe.DataFrame or dask.array.Array
        Lazy, with the victims' partitions (rows) and index: for a DataFrame,
        ``predict`` gives a Series named after the sensitive column (a DataFrame
        with one column per sensitive column for several), ``predict_proba`` a
        DataFrame with one column per class, ``transform`` a DataFrame in the
        target's layout; for an array, arrays of the shapes and dtypes the
        in-memory method returns.

    Notes
    -----
    The attack enters the task graph once. On a distributed cluster each worker
    gets a copy: state the target keeps across queries (a query counter or
    budget) changes on the copies, not on the caller's object.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvert.attacks import FredriksonInversion
    >>> from skinvert.utils._dask import map_blocks_predict
    >>> da = __import__("pytest").importorskip("dask.array")
    >>> rng = np.random.RandomState(0)
    >>> X = np.column_stack([rng.randint(0, 2, 200), rng.normal(size=200)])
    >>> target = LogisticRegression().fit(X, X[:, 0] > 0)
    >>> attack = FredriksonInversion(target).fit(X, X[:, 0])
    >>> lazy = map_blocks_predict(attack, "predict", da.from_array(X, chunks=50))
    >>> bool((lazy.compute() == attack.predict(X)).all())
    True
    """
    if method not in _METHODS:
        raise ValueError(f"method={method!r} is not one of {list(_METHODS)}.")
    if not is_dask_collection(X):
        raise TypeError(
            f"X is a {type(X).__name__}, not a Dask DataFrame or array; call "
            f"attack.{method}(X) directly."
        )
    if method == "predict_proba" and _is_regressor(attack):
        raise AttributeError(
            f"{type(attack).__name__} infers a continuous attribute and has no "
            "predict_proba."
        )
    kind = type(X)  # not X: a Delayed object answers any attribute lazily
    is_frame = hasattr(kind, "map_partitions") and hasattr(kind, "columns")
    is_array = hasattr(kind, "map_blocks") and hasattr(kind, "numblocks")
    if not (is_frame or is_array) or (is_array and X.ndim != 2):
        shape = f" with {X.ndim} dimension(s)" if is_array else ""
        raise TypeError(
            f"X is a Dask {type(X).__name__}{shape}; expected a Dask DataFrame or "
            "a 2-D Dask array of victims (rows) by columns."
        )
    dask = import_optional("dask", purpose="Dask collections")
    shared = dask.delayed(attack, pure=True)  # one graph node, shipped once per worker
    if is_frame:
        meta = _frame_meta(attack, method, X)
        return X.map_partitions(_apply_frame, shared, method, meta, meta=meta)
    if X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    dtype, width = _array_layout(attack, method, X)
    if width is None:
        return X.map_blocks(
            _apply_block, shared, method, dtype, width, drop_axis=1, dtype=dtype
        )
    return X.map_blocks(
        _apply_block,
        shared,
        method,
        dtype,
        width,
        chunks=(X.chunks[0], (width,)),
        dtype=dtype,
    )


def dask_aware(method):
    """Decorate an attack's ``predict``, ``predict_proba`` or ``transform``.

    Called with a Dask DataFrame or array, the decorated method returns the lazy
    result of :func:`map_blocks_predict`; with anything else it runs as written.

    Parameters
    ----------
    method : callable
        The method, taking ``(self, X)``.

    Returns
    -------
    wrapper : callable

    Examples
    --------
    >>> from skinvert.utils._dask import dask_aware
    >>> class Doubler:
    ...     n_features_in_ = 1
    ...     @dask_aware
    ...     def predict(self, X):
    ...         return [2 * x for x in X]
    >>> Doubler().predict([1, 2])
    [2, 4]
    """
    if method.__name__ not in _METHODS:
        raise ValueError(
            f"dask_aware decorates one of {list(_METHODS)}, not {method.__name__!r}."
        )

    @functools.wraps(method)
    def wrapper(self, X, *args, **kwargs):
        if is_dask_collection(X):
            if args or kwargs:
                raise TypeError(
                    f"{method.__name__} on a Dask collection takes X only; got "
                    "extra arguments."
                )
            from sklearn.utils.validation import check_is_fitted

            check_is_fitted(self)
            return map_blocks_predict(self, method.__name__, X)
        return method(self, X, *args, **kwargs)

    return wrapper
