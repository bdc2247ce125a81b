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


def _n_outputs(attack):
    """Number of target-layout columns ``transform`` returns."""
    return attack.n_features_in_ - (attack.label_index_ is not None)


def _value_dtype(attack):
    """Dtype of the inferred values, and their number of columns (None if 1-D)."""
    if not hasattr(attack, "classes_"):  # a regressor of a continuous attribute
        return np.dtype(np.float64), None
    if len(attack.sensitive_indices_) > 1:
        return attack.candidates_.dtype, len(attack.sensitive_indices_)
    return np.asarray(attack.classes_).dtype, None


def _frame_meta(attack, method, X):
    """The empty pandas object each partition of a DataFrame turns into."""
    pd = import_optional("pandas", purpose="Dask DataFrames")
    names = attack.get_feature_names_out()
    sensitive = [names[i] for i in attack.sensitive_indices_]
    index = X._meta.index
    if method == "predict_proba":
        columns = pd.Index(list(attack.classes_), tupleize_cols=False)
        return pd.DataFrame(np.empty((0, len(columns))), columns=columns, index=index)
    dtype, width = _value_dtype(attack)
    if method == "predict":
        if width is None:
            return pd.Series(np.empty(0, dtype), name=sensitive[0], index=index)
        return pd.DataFrame(np.empty((0, width), dtype), columns=sensitive, index=index)
    dtypes = {
        name: dtype if name in sensitive else X._meta.dtypes[name] for name in names
    }
    return pd.DataFrame(
        {name: pd.Series(dtype=d) for name, d in dtypes.items()}, index=index
    )


def _apply_frame(part, attack, method, meta):
    if len(part) == 0:
        return meta
    pd = import_optional("pandas", purpose="Dask DataFrames")
    out = getattr(attack, method)(part)
    if method == "transform":
        out = pd.DataFrame(out, columns=meta.columns)
        out.index = part.index
        return out.astype(meta.dtypes.to_dict(), copy=False)
    if isinstance(meta, pd.Series):
        return pd.Series(out, index=part.index, name=meta.name, dtype=meta.dtype)
    out = pd.DataFrame(out, index=part.index, columns=meta.columns)
    return out.astype(meta.dtypes.to_dict(), copy=False)


def _array_layout(attack, method, X):
    """(dtype, number of output columns or None for 1-D) of an array's result."""
    if method == "predict_proba":
        return np.dtype(np.float64), len(attack.classes_)
    dtype, width = _value_dtype(attack)
    if method == "predict":
        return dtype, width
    if X.dtype.kind in "biuf" and dtype.kind in "biuf":
        return np.result_type(X.dtype, dtype), _n_outputs(attack)
    return np.dtype(object), _n_outputs(attack)


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
        for several), ``predict_proba`` a DataFrame with one column per class,
        ``transform`` a DataFrame in the target's layout; for an array, arrays of
        the shapes the in-memory method returns.

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
    dask = import_optional("dask", purpose="Dask collections")
    shared = dask.delayed(attack, pure=True)  # one graph node, shipped once per worker
    if hasattr(X, "map_partitions"):
        meta = _frame_meta(attack, method, X)
        return X.map_partitions(_apply_frame, shared, method, meta, meta=meta)
    if getattr(X, "ndim", None) != 2:
        raise ValueError(
            f"X is a Dask {type(X).__name__} with {getattr(X, 'ndim', '?')} "
            "dimensions; expected a 2-D array of victims (rows) by columns."
        )
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
