"""Shared pieces of the defenses: the target-wrapper base and vectorised row hashing.

The base class wraps a classifier (the target) and follows one fitting rule:
``fit(X, y)`` sets ``estimator_ = clone(estimator).fit(X, y)``; a wrapper around a
:class:`~sklearn.frozen.FrozenEstimator`, or around a model that is already fitted,
is usable at once without ``fit`` and then answers with that model as it is.

The hashing helpers give each cell of a batch of query rows a 64-bit hash that
depends only on the cell's column and content, never on the other rows of the
batch, so that anything derived from them is independent of how queries are
batched or threaded.
"""

import threading

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from ..utils._optional import import_optional, is_pandas_dataframe

# Guards the lazy creation of per-instance state (query logs, noise keys).
_LAZY_LOCK = threading.Lock()

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL2 = np.uint64(0x94D049BB133111EB)


def splitmix64(x):
    """The splitmix64 finaliser, applied elementwise to a ``uint64`` array.

    Parameters
    ----------
    x : ndarray of uint64
        Values to mix.

    Returns
    -------
    mixed : ndarray of uint64
        Well-mixed 64-bit hashes (arithmetic wraps modulo ``2**64``).

    Examples
    --------
    >>> import numpy as np
    >>> from skinvert.defenses._base import splitmix64
    >>> splitmix64(np.array([0, 1], dtype=np.uint64)).dtype
    dtype('uint64')
    """
    with np.errstate(over="ignore"):
        z = np.asarray(x, dtype=np.uint64) + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MUL1
        z = (z ^ (z >> np.uint64(27))) * _MUL2
        return z ^ (z >> np.uint64(31))


def _hash_numbers(values):
    """Hash numeric cells by their value at float32 resolution (``1 == 1.0``).

    Numbers are rounded to the nearest float32 before hashing (a relative
    resolution of about 6e-8, the precision at which scikit-learn's trees read
    their input), so a query nudged below that resolution hashes as the
    original one.
    """
    values = np.asarray(values)
    if values.dtype.kind in "mM":
        values = values.view(np.int64)
    with np.errstate(over="ignore"):
        floats = np.asarray(values, dtype=np.float64).astype(np.float32)
    floats = floats.astype(np.float64) + 0.0  # -0.0 becomes 0.0
    floats[np.isnan(floats)] = np.nan  # one NaN bit pattern
    return splitmix64(floats.view(np.uint64))


def _hash_strings(values):
    """Hash cells by their ``str`` representation, independently of the batch width."""
    text = np.asarray(values, dtype=object).astype(str)
    n = text.shape[0]
    width = text.dtype.itemsize // 4
    if width == 0:
        return np.zeros(n, dtype=np.uint64)
    codes = text.view(np.uint32).reshape(n, width).astype(np.uint64)
    positions = np.arange(width, dtype=np.uint64) << np.uint64(32)
    mixed = splitmix64(codes | positions)
    with np.errstate(over="ignore"):
        # Padding code points (0) add nothing, so the batch's widest string does
        # not change the hash of a shorter one.
        total = np.where(codes > 0, mixed, np.uint64(0)).sum(axis=1, dtype=np.uint64)
    return splitmix64(total ^ np.uint64(0x5851F42D4C957F2D))


def _hash_objects(values):
    """Hash object cells: numbers (and numeric strings) by value, others by ``str``.

    Missing values (None, NaN, pd.NA) all hash as a float NaN. Needs pandas for
    the fast path; without it every cell is hashed by its ``str``.
    """
    values = np.asarray(values, dtype=object)
    try:
        pd = import_optional("pandas")
    except ImportError:
        return _hash_strings(values)
    numbers = pd.to_numeric(pd.Series(values), errors="coerce")
    numbers = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    hashes = _hash_numbers(numbers)
    rest = np.flatnonzero(np.isnan(numbers))
    if rest.size:
        codes, uniques = pd.factorize(values[rest])  # missing values get code -1
        table = np.append(_hash_strings(np.asarray(uniques, dtype=object)), 0)
        hashes[rest] = np.where(codes >= 0, table[codes], hashes[rest])
    return hashes


def _hash_column(values):
    values = np.asarray(values)
    if values.dtype.kind in "biufmM":
        return _hash_numbers(values)
    return _hash_objects(values)


def _hash_frame_column(column):
    pd = import_optional("pandas", purpose="hashing DataFrame query rows")
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = np.asarray(dtype.categories)
        table = np.append(_hash_column(categories), _hash_numbers(np.array([np.nan])))
        return table[np.asarray(column.cat.codes)]  # code -1 (missing) -> last
    if isinstance(dtype, np.dtype) and dtype.kind in "biufmM":
        return _hash_numbers(column.to_numpy())
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        # nullable extension dtypes (Int64, Float64, boolean)
        return _hash_numbers(column.to_numpy(dtype=np.float64, na_value=np.nan))
    return _hash_objects(column.to_numpy(dtype=object))


def cell_hashes(X):
    """Hash every cell of a 2-D batch of query rows.

    The hash of a cell depends only on its column position and its content: numbers
    (numeric dtypes, and numbers or numeric strings in object columns) by their
    value rounded to float32 (near-repeats below that resolution hash alike),
    missing values as NaN, other cells by their ``str``. It never
    depends on the other rows, so hashing a batch or its rows one by one gives the
    same result, and a record hashes alike in a numeric array, an object array or
    a DataFrame.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_rows, n_columns)
        Query rows, numeric, object or mixed.

    Returns
    -------
    hashes : ndarray of uint64 of shape (n_rows, n_columns)

    Examples
    --------
    >>> import numpy as np
    >>> from skinvert.defenses._base import cell_hashes
    >>> h = cell_hashes(np.array([[1.0, 2.0], [1.0, 3.0]]))
    >>> h.shape, bool(h[0, 0] == h[1, 0]), bool(h[0, 1] == h[1, 1])
    ((2, 2), True, False)
    """
    if sparse.issparse(X):
        X = X.toarray()
    if is_pandas_dataframe(X):
        columns = [_hash_frame_column(X.iloc[:, j]) for j in range(X.shape[1])]
        n_rows = X.shape[0]
    else:
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(
                f"Expected a 2-D batch of query rows, got an array of shape {X.shape}. "
                "Reshape your data with array.reshape(-1, 1) for a single column or "
                "array.reshape(1, -1) for a single row."
            )
        n_rows = X.shape[0]
        if X.dtype.kind in "biufmM":
            columns = [_hash_numbers(X).reshape(X.shape)]
        else:
            columns = [_hash_column(X[:, j]) for j in range(X.shape[1])]
    if not columns:
        return np.zeros((n_rows, 0), dtype=np.uint64)
    hashes = np.column_stack(columns) if len(columns) > 1 else columns[0]
    hashes = hashes.reshape(n_rows, -1)
    salts = splitmix64(np.arange(hashes.shape[1], dtype=np.uint64) + np.uint64(1))
    return splitmix64(hashes ^ salts)


def row_hashes(X, key):
    """One 64-bit hash per query row, keyed by ``key`` (order-sensitive in columns).

    The hash is a keyed sum of the row's non-zero cell hashes (cells salted by
    their column position), so a record hashes alike as a dense array, a sparse
    matrix, an object array or a DataFrame; numbers are hashed at float32
    resolution (see ``cell_hashes``).

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_rows, n_columns)
        Query rows.
    key : int
        Secret key; different keys give unrelated hashes.

    Returns
    -------
    hashes : ndarray of uint64 of shape (n_rows,)
    """
    if sparse.issparse(X):
        return _sparse_row_hashes(X, key)
    cells = cell_hashes(X)
    # a keyed sum over the non-zero cells, as for a sparse matrix: the same rows
    # hash alike whatever their container (dense, sparse, object, DataFrame)
    zeros = _zero_cell_hashes(cells.shape[1])
    with np.errstate(over="ignore"):
        sums = np.where(cells == zeros, np.uint64(0), cells).sum(
            axis=1, dtype=np.uint64
        )
        return splitmix64(sums + np.uint64(key))


def _zero_cell_hashes(n_columns):
    """What ``cell_hashes`` gives a zero in each of ``n_columns`` columns."""
    salts = splitmix64(np.arange(n_columns, dtype=np.uint64) + np.uint64(1))
    return splitmix64(_hash_numbers(np.zeros(1))[0] ^ salts)


def _sparse_row_hashes(X, key):
    """Row hashes of a sparse matrix: a keyed sum over its non-zero cells."""
    X = sparse.csr_array(X)
    X.sum_duplicates()
    salts = splitmix64(X.indices.astype(np.uint64) + np.uint64(1))
    cells = splitmix64(_hash_numbers(X.data) ^ salts)
    # stored zeros (and numbers that round to zero) count as absent ones
    cells[cells == _zero_cell_hashes(X.shape[1])[X.indices]] = 0
    running = np.zeros(cells.shape[0] + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        np.cumsum(cells, dtype=np.uint64, out=running[1:])
        sums = running[X.indptr[1:]] - running[X.indptr[:-1]]
        return splitmix64(sums + np.uint64(key))


def uniform_from_hash(hashes):
    """Map 64-bit hashes to floats strictly inside (0, 1)."""
    top = (hashes >> np.uint64(11)).astype(np.float64)
    return (top + 0.5) / float(2**53)


def _is_ready(estimator):
    """Whether ``estimator`` can answer queries as it is (frozen or fitted)."""
    if not hasattr(estimator, "fit"):
        return True  # a plain prediction object: nothing to fit
    try:
        check_is_fitted(estimator)
    except (NotFittedError, TypeError):
        return False
    return True


def _wrapped_has(attr):
    """For ``available_if``: the wrapped model has ``attr``."""

    def check(self):
        return hasattr(self.__dict__.get("estimator_", self.estimator), attr)

    return check


class BaseTargetWrapper(MetaEstimatorMixin, BaseEstimator):
    """Base of the defenses that wrap a target and change what it reveals.

    ``fit(X, y)`` sets ``estimator_ = clone(estimator).fit(X, y)``. A wrapped
    :class:`~sklearn.frozen.FrozenEstimator` is cloned as itself and its ``fit`` does
    nothing, so the fitted target is used as it is. Without ``fit``, a wrapper whose
    ``estimator`` is frozen or already fitted is usable at once
    (``__sklearn_is_fitted__`` is True) and answers with that model.
    ``classes_``, ``n_features_in_`` and ``feature_names_in_`` are read from the
    wrapped model. Query rows are passed to it untouched.
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def _fit_wrapped(self, X, y, **fit_params):
        self.estimator_ = clone(self.estimator).fit(X, y, **fit_params)

    def _wrapped(self):
        """The model answering queries: ``estimator_``, or a ready ``estimator``."""
        fitted = self.__dict__.get("estimator_")
        if fitted is not None:
            return fitted
        if _is_ready(self.estimator):
            self._validate_params()
            return self.estimator
        raise NotFittedError(
            f"This {type(self).__name__} is not fitted and the model it wraps "
            f"({type(self.estimator).__name__}) is not fitted either. Call fit, or "
            "wrap an already fitted model; FrozenEstimator(model) keeps it fitted "
            "under clone (GridSearchCV, cross_val_score)."
        )

    def __sklearn_is_fitted__(self):
        return "estimator_" in self.__dict__ or _is_ready(self.estimator)

    def _delegated(self, name):
        try:
            model = self._wrapped()
        except NotFittedError as exc:
            raise AttributeError(f"{name} is not available: {exc}") from exc
        return getattr(model, name)

    @property
    def classes_(self):
        """Class labels of the wrapped model."""
        return self._delegated("classes_")

    @property
    def n_features_in_(self):
        """Number of input features of the wrapped model."""
        return self._delegated("n_features_in_")

    @property
    def feature_names_in_(self):
        """Input feature names of the wrapped model (when fitted on a DataFrame)."""
        return self._delegated("feature_names_in_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            inner = get_tags(self.estimator).input_tags
        except (AttributeError, TypeError):
            return tags
        for name in ("allow_nan", "sparse", "categorical", "string", "positive_only"):
            setattr(tags.input_tags, name, getattr(inner, name))
        return tags

    def _lazy(self, name, factory):
        """Per-instance state created once, thread-safely, on first use."""
        value = self.__dict__.get(name)
        if value is None:
            with _LAZY_LOCK:
                value = self.__dict__.get(name)
                if value is None:
                    value = factory()
                    setattr(self, name, value)
        return value
