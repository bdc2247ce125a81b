"""Query monitoring: flag bursts of queries that enumerate the values of one column."""

import threading
from collections import namedtuple
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_array
from sklearn.utils.validation import _num_samples, check_is_fitted, validate_data

from ..utils._optional import is_pandas_dataframe
from ..utils._sklearn import Interval, StrOptions
from ._access import QueryCounter
from ._base import cell_hashes

QueryAlert = namedtuple("QueryAlert", ["batch", "score", "column"])
QueryAlert.__doc__ = """A flagged batch of queries.

Fields: ``batch``, its index in the query stream (from 0); ``score``, its
enumeration score; ``column``, the suspected column (its position in the rows).
"""


class SuspiciousQueries(RuntimeError):
    """Raised by :class:`MonitoredTarget` (``on_alert="raise"``) on a flagged batch.

    Examples
    --------
    >>> from skinvert.defenses import SuspiciousQueries
    >>> issubclass(SuspiciousQueries, RuntimeError)
    True
    """


def _full_batch_shares(cells, batch_size):
    """Shares for ``n_rows`` a multiple of ``batch_size``: shape (n_batches, n_cols)."""
    n_rows, n_columns = cells.shape
    n_batches = n_rows // batch_size
    with np.errstate(over="ignore"):
        without = cells.sum(axis=1, dtype=np.uint64)[:, None] - cells
    shape = (n_columns, n_batches, batch_size)
    keys = np.ascontiguousarray(without.T).reshape(-1, batch_size)
    order = np.argsort(keys, axis=-1)  # sorts within each (column, batch) block
    flat = (order + batch_size * np.arange(keys.shape[0])[:, None]).ravel()
    keys = keys.ravel()[flat].reshape(shape)
    values = np.ascontiguousarray(cells.T).ravel()[flat]
    new = np.ones(shape, dtype=bool)
    new[..., 1:] = keys[..., 1:] != keys[..., :-1]
    new = new.ravel()
    starts = np.flatnonzero(new)
    # A group of rows equal except in column j varies in j iff min != max there.
    varies = np.minimum.reduceat(values, starts) != np.maximum.reduceat(values, starts)
    rows_varying = varies[np.cumsum(new) - 1].reshape(shape)
    return rows_varying.sum(axis=-1).T / batch_size


def enumeration_scores(cells, batch_size):
    """Score consecutive batches of hashed query rows for candidate enumeration.

    For each batch and each column ``j``, the share of the batch's rows whose other
    columns coincide with those of at least one other row of the batch while
    column ``j`` differs. A row's hash without column ``j`` is the sum of its cell
    hashes minus the hash of cell ``j`` (modulo ``2**64``), for every ``j`` at
    once; rows are then grouped by that hash with one sort per (column, batch)
    block, and a group counts when its column-``j`` hashes are not all equal
    (minimum and maximum differ), without a loop over rows.

    Parameters
    ----------
    cells : ndarray of uint64 of shape (n_rows, n_columns)
        Cell hashes of the query rows in arrival order (see ``cell_hashes``).
    batch_size : int
        Rows per batch; the last batch may be shorter.

    Returns
    -------
    shares : ndarray of shape (n_batches, n_columns)
        The share of each batch's rows that vary only in column ``j``.
    """
    n_rows, n_columns = cells.shape
    n_full = n_rows - n_rows % batch_size
    parts = []
    if n_columns == 0:
        return np.zeros((-(-n_rows // batch_size), 0))
    if n_full:
        parts.append(_full_batch_shares(cells[:n_full], batch_size))
    if n_full < n_rows:
        parts.append(_full_batch_shares(cells[n_full:], n_rows - n_full))
    if not parts:
        return np.zeros((0, n_columns))
    return np.vstack(parts)


def _scores_and_columns(shares):
    if shares.shape[1] == 0:
        return np.zeros(shares.shape[0]), np.full(shares.shape[0], -1)
    scores = shares.max(axis=1)
    columns = np.where(scores > 0, np.argmax(shares, axis=1), -1)
    return scores, columns


class QueryMonitor(BaseEstimator):
    """Flag batches of queries that enumerate the values of one column.

    An inversion attack asks the target about each victim's record completed with
    every candidate value of the sensitive column: bursts of rows identical except
    in one column. The monitor cuts the query stream (rows in arrival order) into
    consecutive batches of ``batch_size`` rows and gives each batch a score: for
    each column ``j``, the share of the batch's rows whose other columns coincide
    with those of another row of the batch while column ``j`` differs; the score is
    the largest share, the suspected column the one that reaches it (-1 when the
    score is 0). Candidate enumeration scores close to 1; rows sampled from a
    dataset score close to 0, unless the data has few distinct values per column.

    ``fit`` scores benign traffic and sets the alert threshold to the
    ``threshold_quantile`` quantile of its batch scores, but at least
    ``min_threshold`` (so that all-zero benign scores still give a threshold that
    one accidental near-duplicate pair does not exceed). A batch is flagged when
    its score is above the threshold. Cells are compared through 64-bit hashes
    (numbers by value, other cells by their ``str``); at least two columns are
    needed for the score to mean anything.

    Parameters
    ----------
    batch_size : int, default=100
        Rows per batch. An attack spreading each victim's candidates over more
        than ``batch_size`` rows is seen less.
    threshold_quantile : float, default=0.99
        Quantile of the benign batch scores used as the alert threshold.
    min_threshold : float, default=0.1
        Lowest threshold, whatever the benign scores.

    Attributes
    ----------
    benign_scores_ : ndarray of shape (n_benign_batches,)
        Scores of the benign batches seen in ``fit``.
    threshold_ : float
        Scores above it are flagged.
    n_features_in_ : int
        Number of columns of the benign rows.
    feature_names_in_ : ndarray of str
        Column names of the benign rows (DataFrames only).

    See Also
    --------
    MonitoredTarget : A target wrapper that monitors every query.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvert.defenses import QueryMonitor
    >>> rng = np.random.RandomState(0)
    >>> benign = rng.normal(size=(1000, 4))
    >>> monitor = QueryMonitor(batch_size=50).fit(benign)
    >>> victims = rng.normal(size=(25, 4))
    >>> probes = np.repeat(victims, 2, axis=0)
    >>> probes[:, 2] = np.tile([0.0, 1.0], 25)   # both values of column 2
    >>> scores, columns = monitor.score_batches(probes)
    >>> scores, columns
    (array([1.]), array([2]))
    >>> monitor.score_batches(benign[:100])[0] > monitor.threshold_
    array([False, False])
    >>> int(monitor.predict(probes).sum()), int(monitor.predict(benign[:100]).sum())
    (50, 0)
    """

    _parameter_constraints: dict = {
        "batch_size": [Interval(Integral, 2, None, closed="left")],
        "threshold_quantile": [Interval(Real, 0, 1, closed="both")],
        "min_threshold": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(self, *, batch_size=100, threshold_quantile=0.99, min_threshold=0.1):
        self.batch_size = batch_size
        self.threshold_quantile = threshold_quantile
        self.min_threshold = min_threshold

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.sparse = True
        return tags

    def _rows(self, X, *, reset):
        """Validate query rows; strings and DataFrames pass through untouched."""
        if reset or hasattr(self, "n_features_in_"):
            if is_pandas_dataframe(X):
                validate_data(self, X, skip_check_array=True, reset=reset)
            else:
                X = validate_data(
                    self,
                    X,
                    reset=reset,
                    dtype=None,
                    accept_sparse="csr",
                    ensure_all_finite=False,
                    ensure_min_samples=1 if reset else 0,
                )
        elif not is_pandas_dataframe(X):
            X = check_array(
                X,
                dtype=None,
                accept_sparse="csr",
                ensure_all_finite=False,
                ensure_min_samples=0,
                input_name="X",
            )
        if reset and X.shape[0] == 0:
            raise ValueError(
                "QueryMonitor.fit got 0 benign query rows; pass at least one batch "
                "of benign traffic."
            )
        return X

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the alert threshold from benign query traffic.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_queries, n_columns)
            Benign query rows in arrival order (e.g. records sampled from the
            population the model serves).
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted monitor.
        """
        X = self._rows(X, reset=True)
        self.benign_scores_, _ = _scores_and_columns(
            enumeration_scores(cell_hashes(X), self.batch_size)
        )
        quantile = float(np.quantile(self.benign_scores_, self.threshold_quantile))
        self.threshold_ = max(quantile, float(self.min_threshold))
        return self

    def score_batches(self, X):
        """Enumeration score and suspected column of each consecutive batch.

        Needs no ``fit`` (the score depends only on ``batch_size``).

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_queries, n_columns)
            Query rows in arrival order.

        Returns
        -------
        scores : ndarray of shape (n_batches,)
            Per batch, the largest share of rows varying only in one column.
        columns : ndarray of int of shape (n_batches,)
            Position of that column, -1 for batches that score 0.
        """
        self._validate_params()
        X = self._rows(X, reset=False)
        return self._score_cells(cell_hashes(X))

    def _score_cells(self, cells):
        return _scores_and_columns(enumeration_scores(cells, int(self.batch_size)))

    def predict(self, X):
        """Flag the query rows that belong to batches looking like enumeration.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_queries, n_columns)
            Query rows in arrival order.

        Returns
        -------
        flags : ndarray of int of shape (n_queries,)
            1 for the rows of batches scoring above ``threshold_``, 0 for the
            others (one answer per row, as scikit-learn expects; the per-batch
            view is ``score_batches(X)[0] > threshold_``).
        """
        check_is_fitted(self)
        scores, _ = self.score_batches(X)
        flagged = (scores > self.threshold_).astype(int)
        return np.repeat(flagged, self.batch_size)[: _num_samples(X)]

    def wrap(self, estimator, **kwargs):
        """Return ``MonitoredTarget(estimator, self, **kwargs)``.

        Parameters
        ----------
        estimator : classifier
            The target whose queries to monitor.
        **kwargs : dict
            Other parameters of :class:`MonitoredTarget`.

        Returns
        -------
        monitored : MonitoredTarget
        """
        return MonitoredTarget(estimator, self, **kwargs)


class _QueryStream:
    """Rows waiting to fill a batch, batch count, alerts (the lock is not pickled)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pending = None
        self.n_batches = 0
        self.alerts = []

    def __getstate__(self):
        state = dict(self.__dict__)
        del state["lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.lock = threading.Lock()


class MonitoredTarget(QueryCounter):
    """Answer queries through the target while a :class:`QueryMonitor` watches them.

    Every query row, from every method and every thread, joins one stream in
    arrival order; each time ``monitor.batch_size`` rows have arrived, the batch is
    scored and, when its score is above the monitor's threshold, a
    :class:`QueryAlert` (batch index, score, suspected column) is appended to
    ``alerts_``. Rows that do not yet fill a batch wait for the next call. With
    ``on_alert="raise"`` a call that completes a flagged batch is refused with
    :class:`SuspiciousQueries` before the target answers it (the alert is kept).
    Queries are also counted as by :class:`QueryCounter`.

    Threads share the stream (a lock orders the calls). Process-based joblib
    backends send each worker a copy of the wrapper: the queries those copies
    answer are neither seen nor counted here.

    ``fit(X, y)`` fits a clone of ``estimator`` and starts a new stream; a
    ``monitor`` that is already fitted is used as it is, an unfitted one (or
    ``None``, a default :class:`QueryMonitor`) is fitted on the training rows ``X``
    taken as benign traffic. Without ``fit``, a frozen or fitted ``estimator``
    and a fitted ``monitor`` are used at once.

    Parameters
    ----------
    estimator : classifier
        The target, fitted or to be fitted.
    monitor : QueryMonitor, default=None
        The monitor, fitted on benign traffic (or fitted by ``fit``).
    on_alert : {"record", "raise"}, default="record"
        What a flagged batch does besides being recorded.

    Attributes
    ----------
    alerts_ : list of QueryAlert
        Flagged batches since the last ``fit`` or ``reset``.
    n_batches_ : int
        Batches scored so far.
    monitor_ : QueryMonitor
        The fitted monitor (set by ``fit``).
    n_rows_ : int
        Query rows answered.
    n_calls_ : int
        Calls answered.
    calls_by_method_ : dict
        Calls answered, per method name.
    rows_by_method_ : dict
        Query rows answered, per method name.
    estimator_ : classifier
        The fitted clone of ``estimator`` (set by ``fit``).
    classes_ : ndarray of shape (n_classes,)
        The wrapped model's classes.
    n_features_in_ : int
        The wrapped model's number of input features.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvert.defenses import QueryMonitor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(400, 3))
    >>> target = LogisticRegression().fit(X, X[:, 0] > 0)
    >>> monitored = QueryMonitor(batch_size=40).fit(X).wrap(FrozenEstimator(target))
    >>> _ = monitored.predict_proba(X[:80])            # benign: no alert
    >>> probes = np.repeat(X[:20], 2, axis=0)
    >>> probes[:, 1] = np.tile([-1.0, 1.0], 20)      # enumerate column 1
    >>> _ = monitored.predict_proba(probes)
    >>> [(alert.batch, alert.column) for alert in monitored.alerts_]
    [(2, 1)]
    """

    _parameter_constraints: dict = {
        **QueryCounter._parameter_constraints,
        "monitor": [QueryMonitor, None],
        "on_alert": [StrOptions({"record", "raise"})],
    }

    def __init__(self, estimator, monitor=None, *, on_alert="record"):
        super().__init__(estimator)
        self.monitor = monitor
        self.on_alert = on_alert

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit a clone of the wrapped model (and the monitor if it is not fitted).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training records, passed untouched; benign traffic for an unfitted
            monitor.
        y : array-like of shape (n_samples,)
            Labels.
        **fit_params : dict
            Passed to the wrapped model's ``fit``.

        Returns
        -------
        self : object
            The fitted wrapper.
        """
        super().fit(X, y, **fit_params)
        monitor = QueryMonitor() if self.monitor is None else self.monitor
        if not hasattr(monitor, "threshold_"):
            monitor = clone(monitor).fit(X)
        self.monitor_ = monitor
        self._stream = _QueryStream()
        return self

    def _fitted_monitor(self):
        monitor = self.__dict__.get("monitor_", self.monitor)
        if monitor is None or not hasattr(monitor, "threshold_"):
            raise NotFittedError(
                "MonitoredTarget needs a fitted monitor: fit it on benign query "
                "traffic first (monitor=QueryMonitor().fit(benign_rows)), or call "
                "fit(X, y) on the MonitoredTarget to fit it on the training rows."
            )
        return monitor

    def _query_stream(self):
        return self._lazy("_stream", _QueryStream)

    def _answer(self, method, X):
        self._wrapped()
        monitor = self._fitted_monitor()
        cells = cell_hashes(X)
        expected = getattr(monitor, "n_features_in_", cells.shape[1])
        if cells.shape[1] != expected:
            raise ValueError(
                f"X has {cells.shape[1]} features, but {type(self).__name__} is "
                f"expecting {expected} features as input: its monitor was fitted on "
                "query rows in the target's input layout."
            )
        stream = self._query_stream()
        with stream.lock:
            rows = (
                cells if stream.pending is None else np.vstack([stream.pending, cells])
            )
            n_full = rows.shape[0] - rows.shape[0] % int(monitor.batch_size)
            scores, columns = monitor._score_cells(rows[:n_full])
            stream.pending = rows[n_full:]
            first = stream.n_batches
            stream.n_batches += scores.shape[0]
            flagged = np.flatnonzero(scores > monitor.threshold_)
            new = [
                QueryAlert(first + int(i), float(scores[i]), int(columns[i]))
                for i in flagged
            ]
            stream.alerts.extend(new)
        if new and self.on_alert == "raise":
            worst = max(new, key=lambda alert: alert.score)
            raise SuspiciousQueries(
                f"Refused a call to {method}: {len(new)} batch(es) of queries look "
                f"like an enumeration of column {worst.column} (score "
                f"{worst.score:.2f} > threshold {monitor.threshold_:.2f}). See "
                "alerts_; set on_alert='record' to answer and only record alerts."
            )
        return super()._answer(method, X)

    def reset(self):
        """Clear the counts, the alerts and the rows waiting to fill a batch.

        Returns
        -------
        self : object
            The wrapper.
        """
        super().reset()
        stream = self._query_stream()
        with stream.lock:
            stream.pending, stream.n_batches, stream.alerts = None, 0, []
        return self

    @property
    def alerts_(self):
        """Flagged batches since the last ``fit`` or ``reset`` (a copy)."""
        stream = self._query_stream()
        with stream.lock:
            return list(stream.alerts)

    @property
    def n_batches_(self):
        """Batches scored since the last ``fit`` or ``reset``."""
        return self._query_stream().n_batches
