"""The query monitor: near-twin enumeration, off-distribution queries, rates."""

from collections import namedtuple
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_array
from sklearn.utils.validation import _num_samples, check_is_fitted, validate_data

from ..utils._optional import is_pandas_dataframe
from ..utils._sklearn import Interval
from ._base import cell_hashes
from ._traffic import (
    Profile,
    StreamState,
    envelope_limit,
    numeric_values,
    off_rate,
    pairs,
    running_max,
)
from ._window import WindowIndex, row_fingerprints

QueryAlert = namedtuple(
    "QueryAlert",
    ["batch", "score", "column", "client", "signal", "groups", "rows"],
    defaults=(None, "near-twins", 0, 0),
)
QueryAlert.__doc__ = """A flagged check of the query stream.

Fields: ``batch``, the index of the check in the stream (one check per block of
at most ``batch_size`` rows of one call, from 0); ``score``, the signal over its
threshold (above 1); ``column``, the suspected column (its position in the rows;
-1 for the signals that name none); ``client``, the client the rows came from
(``None`` for an alert on all clients together); ``signal``, one of
``"near-twins"`` (one client's rows hold near-twin groups on ``column``),
``"repeated-values"`` (one client's distinct rows share the values of
``column`` far more than benign rows do: an enumeration sent value by value),
``"near-twins-all-clients"`` (the window's rows of every client together hold
near-twin groups), ``"off-distribution"`` (rows far from benign traffic) and
``"rate"`` (more rows than ``rate_budget`` in the window); a client's alert
reports the first of these that fired, in this order. ``groups``, the near-twin
groups on ``column`` (0 where no column is named); ``rows``, the rows of that
client (or of every client) in the window.
"""

_FIT_CLIENTS = 32


class QueryMonitor(BaseEstimator):
    """Flag query traffic that enumerates a column, leaves the data, or floods.

    An inversion attack asks the target about each victim's record completed
    with every candidate value of the sensitive column: near-twins, rows equal
    but for one column. The monitor keeps the last ``window`` query rows and, per
    client and for all clients together, counts the near-twin groups on each
    column ``j``: sets of at least two distinct rows that coincide once column
    ``j`` is left out. Each row is fingerprinted once per column (the sum of its
    cell hashes minus cell ``j``'s, ``O(d)`` per row) and the fingerprints are
    counted in a hash table that follows the window, so near-twins meet whenever
    they arrive within ``window`` rows, in any order, in any call, and memory
    stays bounded by the window however long the stream.

    ``fit`` streams benign traffic through a window (dealt to 32 clients) and
    records the near-twin groups per column against the number of rows, as a
    non-decreasing envelope (the largest count seen at up to that many rows).
    A client (or all clients) holding ``n`` rows in the window is flagged on
    column ``j`` when its groups exceed ``(1 + margin) * e + 3 * sqrt(e) +
    min_count``, ``e = envelope_j(n)`` (between fitted points the envelope
    grows as ``n**2``, the rate at which chance pairs grow). The same envelope,
    per client, is learned for the pairs of a client's distinct rows that share
    the value of column ``j``: a client sending every victim with one candidate
    (value by value) makes a column constant, all its pairs share it, and it is
    flagged (``"repeated-values"``) before its candidates form near-twins.
    ``fit`` also learns what benign rows look like: categorical cells seen,
    numeric ranges and a density score (mean squared standardised value,
    flagged above its 99.9 % benign quantile); a client is flagged when its
    rows flagged so are more than ``(1 + margin) * r * n + 3 * sqrt(r * n) +
    min_count``, ``r`` the share of held-out benign rows flagged (two-fold on
    the fitted traffic). This is what
    MI-Face reconstructions and surrogate-extraction queries look like. Finally,
    with ``rate_budget``, a client with more rows than that in the window is
    flagged (size it from the attacks' queries per inferred value: ``k``
    candidates per victim for the enumerating attacks, one for the learned
    inversion).

    Cells are compared through 64-bit hashes (numbers by value, other cells by
    their ``str``).

    Parameters
    ----------
    window : int, default=20_000
        Query rows remembered (over every client).
    batch_size : int, default=500
        Rows added to the window between two checks (a call is cut in blocks of
        at most ``batch_size`` rows; blocks never span calls). Detection does
        not depend on it, only the granularity of the alerts and the speed
        (a block costs a fixed overhead: larger blocks monitor more rows per
        second). A :class:`MonitoredTarget` checks a call before answering it.
    margin : float, default=0.25
        Relative slack above the benign envelopes.
    min_count : float, default=2
        Absolute slack: near-twin groups (or off-distribution rows) tolerated
        on top of the benign envelope.
    rate_budget : int, default=None
        Rows one client may have in the window; ``None``: no rate signal.
    max_categories : int, default=32
        A column with at most that many distinct benign values (or a
        non-numeric one) is categorical for the off-distribution signal.

    Attributes
    ----------
    envelope_rows_ : ndarray of shape (n_points,)
        Rows in the window at the fitted points (sorted).
    repeat_rows_, repeat_envelope_ : ndarray
        The same for the pairs of a client's distinct rows sharing a value.
    envelope_ : ndarray of shape (n_points, n_features_in_)
        Largest benign near-twin groups per column at up to that many rows.
    threshold_ : ndarray of shape (n_features_in_,)
        Near-twin groups flagged per column with ``window`` rows.
    off_rate_ : float
        Share of held-out benign rows flagged off-distribution.
    categorical_ : ndarray of bool of shape (n_features_in_,)
        Columns treated as categorical.
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
    >>> monitor = QueryMonitor(window=1000, batch_size=50).fit(
    ...     rng.normal(size=(2000, 4)))
    >>> victims = rng.normal(size=(25, 4))
    >>> probes = np.repeat(victims, 2, axis=0)
    >>> probes[:, 2] = np.tile([0.0, 1.0], 25)   # both values of column 2
    >>> probes = probes[rng.permutation(50)]     # in any order
    >>> [(a.column, a.signal, a.groups) for a in monitor.scan(probes)]
    [(2, 'near-twins', 25)]
    >>> monitor.scan(rng.normal(size=(500, 4)))
    []
    """

    _parameter_constraints: dict = {
        "window": [Interval(Integral, 2, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "margin": [Interval(Real, 0, None, closed="left")],
        "min_count": [Interval(Real, 0, None, closed="neither")],
        "rate_budget": [Interval(Integral, 1, None, closed="left"), None],
        "max_categories": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        window=20_000,
        batch_size=500,
        margin=0.25,
        min_count=2,
        rate_budget=None,
        max_categories=32,
    ):
        self.window = window
        self.batch_size = batch_size
        self.margin = margin
        self.min_count = min_count
        self.rate_budget = rate_budget
        self.max_categories = max_categories

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

    def _check_sizes(self):
        if self.batch_size > self.window:
            raise ValueError(
                f"batch_size={self.batch_size} must not exceed window={self.window}: "
                "each block of a call is added to the window before it is checked."
            )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the benign envelopes from benign query traffic.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_queries, n_columns)
            Benign query rows in arrival order (e.g. records sampled from the
            population the model serves); best at least ``window`` rows.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted monitor.

        Raises
        ------
        ValueError
            If ``X`` is empty, or ``batch_size`` exceeds ``window``.
        """
        self._check_sizes()
        X = self._rows(X, reset=True)
        cells = cell_hashes(X)
        values = numeric_values(X, cells.shape[1])
        profile = Profile(values, cells, self.max_categories)
        self.off_rate_ = off_rate(values, cells, self.max_categories)
        self._profile = profile
        self.categorical_ = profile.categorical.copy()
        twins, repeats = self._envelope(cells)
        self.envelope_rows_, self.envelope_ = twins
        self.repeat_rows_, self.repeat_envelope_ = repeats
        self.threshold_ = self._twin_limit(int(self.window))
        return self

    def _envelope(self, cells):
        """Benign near-twin groups and repeated values against rows held.

        The benign rows are dealt round-robin to up to 32 clients and added to
        a window in small blocks; after each block, every client's (rows,
        groups, repeats) and the whole window's (rows, groups) are points.
        Many clients give many samples of small streams, the whole window the
        large ones. Returns the two envelopes as (sizes, running maxima).
        """
        rows, masked = row_fingerprints(cells)
        n = cells.shape[0]
        index = WindowIndex(self.window, cells.shape[1])
        n_clients = int(np.clip(n // 64, 1, _FIT_CLIENTS))
        owner = np.arange(n) % n_clients
        step = min(int(self.window), max(n_clients, 4 * n_clients))
        sizes, groups, everyone, client_sizes, repeats = [], [], [], [], []
        for start in range(0, n, step):
            stop = min(start + step, n)
            codes = np.array([index.code(c) for c in range(n_clients)])
            index.push(
                rows[start:stop],
                masked[start:stop],
                codes[owner[start:stop]],
                np.zeros(stop - start, dtype=bool),
            )
            for code in codes.tolist():
                if code in index.n_rows:
                    client_sizes.append(index.n_rows[code])
                    groups.append(index.twins[code].copy())
                    repeats.append(pairs(index, code))
            sizes.append(index.size)
            everyone.append(index.twins[0].copy())
        twins = running_max(client_sizes + sizes, groups + everyone)
        return twins, running_max(client_sizes, repeats)

    def _twin_limit(self, n_rows):
        """Near-twin groups per column flagged above, for ``n_rows`` in the window.

        ``n_rows`` is an int (returns shape (n_columns,)) or an array of ints
        (returns shape (len(n_rows), n_columns)).
        """
        return envelope_limit(
            n_rows, self.envelope_rows_, self.envelope_, self.margin, self.min_count
        )

    def _repeat_limit(self, n_rows):
        """Pairs of a client's rows sharing a value, flagged above, per column.

        Pair counts vary as ``n ** 1.5``, more than Poisson counts (hence the
        ``2 / sqrt(n)`` relative slack), and the floor is ``min_count *
        sqrt(n)``, so that a few rows sharing a value by chance are not flagged.
        """
        n = np.asarray(n_rows, dtype=float)
        sizes, envelope = self.repeat_rows_, self.repeat_envelope_
        limit = envelope_limit(n, sizes, envelope, self.margin, 0.0, spread=2.0)
        return limit + self.min_count * np.sqrt(n)[..., None]

    def _off_limit(self, n_rows):
        expected = self.off_rate_ * np.asarray(n_rows, dtype=float)
        return (1.0 + self.margin) * expected + 3.0 * np.sqrt(expected) + self.min_count

    def _check(self, index, clients, batch):
        """Alerts after a block: the strongest per client of ``clients``, else one
        on all clients together."""
        codes = [index.codes_by_client[client] for client in clients]
        n_rows = np.array([index.n_rows[code] for code in codes])
        d = self.n_features_in_
        twins = np.array([index.twins[code] for code in codes]).reshape(-1, d)
        repeats = np.array([pairs(index, code) for code in codes]).reshape(-1, d)
        columnwise = [
            ("near-twins", twins, self._twin_limit(n_rows)),
            ("repeated-values", repeats, self._repeat_limit(n_rows)),
        ]
        n_off = np.array([index.n_off[code] for code in codes])
        off_limits = self._off_limit(n_rows)
        hit = (n_off > off_limits) | self._over(n_rows)
        for _, counts, limits in columnwise:
            hit |= (counts > limits).any(axis=1)
        alerts = []
        for c in np.flatnonzero(hit):
            rows, client, found = int(n_rows[c]), clients[c], []
            for signal, counts, limits in columnwise:
                if np.any(counts[c] > limits[c]):
                    j = int(np.argmax(counts[c] / limits[c]))
                    score = float(counts[c, j] / limits[c, j])
                    groups = int(twins[c, j])
                    found.append(
                        QueryAlert(batch, score, j, client, signal, groups, rows)
                    )
            if n_off[c] > off_limits[c]:
                score = float(n_off[c] / off_limits[c])
                signal = "off-distribution"
                found.append(QueryAlert(batch, score, -1, client, signal, 0, rows))
            if self._over(rows):
                score = rows / self.rate_budget
                found.append(QueryAlert(batch, score, -1, client, "rate", 0, rows))
            alerts.append(found[0])  # the most specific signal that fired
        if alerts or len(index.codes_by_client) < 2:
            return alerts
        groups, limit = index.twins[0], self._twin_limit(index.size)
        if np.any(groups > limit):
            j = int(np.argmax(groups / limit))
            signal = "near-twins-all-clients"
            score = float(groups[j] / limit[j])
            alerts.append(
                QueryAlert(batch, score, j, None, signal, int(groups[j]), index.size)
            )
        return alerts

    def _over(self, n_rows):
        if self.rate_budget is None:
            return np.zeros(np.shape(n_rows), dtype=bool)
        return np.asarray(n_rows) > self.rate_budget

    def off_distribution(self, X):
        """Whether each query row is far from the benign traffic seen in ``fit``.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_queries, n_columns)
            Query rows.

        Returns
        -------
        off : ndarray of bool of shape (n_queries,)
            True for a row with an unseen categorical cell, a number outside
            the benign range, or a density score above the benign 99.9 %
            quantile.
        """
        check_is_fitted(self)
        X = self._rows(X, reset=False)
        cells = cell_hashes(X)
        return self._profile.off(numeric_values(X, cells.shape[1]), cells)

    def scan(self, X, clients=None):
        """Monitor a stream of query rows (a query log) in a fresh window.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_queries, n_columns)
            Query rows in arrival order.
        clients : array-like of shape (n_queries,), default=None
            The client of each row (ints or strings); ``None``: one client.

        Returns
        -------
        alerts : list of QueryAlert
            In stream order: per check, one for each flagged client of the
            block, else at most one on all clients together.

        Raises
        ------
        ValueError
            If ``clients`` does not hold one entry per row of ``X``.
        """
        check_is_fitted(self)
        self._validate_params()
        self._check_sizes()
        X = self._rows(X, reset=False)
        if clients is not None and len(clients) != _num_samples(X):
            raise ValueError(
                f"clients has {len(clients)} entries but X has {_num_samples(X)} "
                "query rows; pass one client per row."
            )
        cells = cell_hashes(X)
        off = self._profile.off(numeric_values(X, cells.shape[1]), cells)
        return StreamState().observe(self, cells, off, clients=clients)

    def score_batches(self, X):
        """Near-twin groups in the window after each block, and their column.

        Needs no ``fit``: ``X`` is streamed as one client through a fresh window
        of ``window`` rows, ``batch_size`` rows at a time.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_queries, n_columns)
            Query rows in arrival order.

        Returns
        -------
        groups : ndarray of int of shape (n_batches,)
            Per block, the largest number of near-twin groups on one column.
        columns : ndarray of int of shape (n_batches,)
            That column, -1 where there are no near-twins.
        """
        self._validate_params()
        self._check_sizes()
        X = self._rows(X, reset=False)
        cells = cell_hashes(X)
        rows, masked = row_fingerprints(cells)
        index = WindowIndex(self.window, cells.shape[1])
        code, size = index.code(None), int(self.batch_size)
        groups, columns = [], []
        for start in range(0, cells.shape[0], size):
            stop = min(start + size, cells.shape[0])
            block = np.full(stop - start, code, dtype=np.int64)
            no_off = np.zeros(stop - start, dtype=bool)
            index.push(rows[start:stop], masked[start:stop], block, no_off)
            twins = index.twins[0]
            groups.append(int(twins.max()) if twins.size else 0)
            columns.append(int(np.argmax(twins)) if groups[-1] else -1)
        return np.array(groups, dtype=int), np.array(columns, dtype=int)

    def predict(self, X):
        """Flag the query rows of the checks that raise an alert (one client).

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_queries, n_columns)
            Query rows in arrival order.

        Returns
        -------
        flags : ndarray of int of shape (n_queries,)
            1 for the rows of flagged blocks, 0 for the others.
        """
        alerts = self.scan(X)
        flags = np.zeros(-(-_num_samples(X) // int(self.batch_size)), dtype=int)
        flags[[alert.batch for alert in alerts]] = 1
        return np.repeat(flags, self.batch_size)[: _num_samples(X)]

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
        from ._monitor import MonitoredTarget

        return MonitoredTarget(estimator, self, **kwargs)
