"""Monitored access to a target: every query row watched by a QueryMonitor."""

import numpy as np
from sklearn.base import _fit_context, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _num_samples

from ..utils._sklearn import StrOptions
from ._access import QueryCounter
from ._base import _wrapped_has, cell_hashes
from ._query_monitor import QueryAlert, QueryMonitor
from ._traffic import StreamState, numeric_values

__all__ = ["MonitoredTarget", "QueryAlert", "QueryMonitor", "SuspiciousQueries"]


class SuspiciousQueries(RuntimeError):
    """Raised by :class:`MonitoredTarget` (``on_alert="raise"``) for a flagged client.

    Examples
    --------
    >>> from skinvert.defenses import SuspiciousQueries
    >>> issubclass(SuspiciousQueries, RuntimeError)
    True
    """


def _one_hot(labels, classes):
    """One-hot of predicted labels over ``classes`` (label-only answers)."""
    classes = np.asarray(classes)
    order = np.argsort(classes, kind="stable")
    found = np.clip(np.searchsorted(classes, labels, sorter=order), 0, len(classes) - 1)
    proba = np.zeros((len(labels), len(classes)))
    proba[np.arange(len(labels)), order[found]] = 1.0
    return proba


def _monitored(method, summary):
    """``MonitoredTarget.<method>``: the wrapped model's answer through ``_answer``."""

    def answer(self, X, *, client=None):
        return self._answer(method, X, client)

    answer.__name__ = method
    answer.__qualname__ = f"MonitoredTarget.{method}"
    answer.__doc__ = f"""{summary}

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Query rows, passed to the wrapped model untouched.
        client : hashable, default=None
            The client asking (default: the wrapper's ``client``).

        Returns
        -------
        answer : ndarray
            The wrapped model's answer.
        """
    return answer


class MonitoredTarget(QueryCounter):
    """Answer queries through the target while a :class:`QueryMonitor` watches them.

    Every query row, from every method and every thread, enters the monitor's
    window with its client: the ``client`` keyword of the call, else the
    wrapper's ``client`` (``None``: one stream). Each call is added ``batch_size``
    rows at a time; after each block the monitor checks that client's rows (and
    all clients' together) and appends any :class:`QueryAlert` to ``alerts_``.
    A client named by an alert is flagged until ``reset``: with
    ``on_alert="raise"`` its calls are refused with :class:`SuspiciousQueries`
    (from the call that raised the alert on, before the target answers it);
    with ``on_alert="degrade"`` they are answered label-only (``predict_proba``
    is the one-hot of the decision). Queries are also counted as by
    :class:`QueryCounter`. ``for_client(key)`` gives a handle that queries as
    ``key`` and shares this wrapper's window, alerts and counts.

    Handles taken before a ``fit`` keep the stream they shared. Threads share
    the window (a lock orders the updates). Process-based joblib
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
    on_alert : {"record", "raise", "degrade"}, default="record"
        What happens to a flagged client besides the alert being recorded.
    client : hashable, default=None
        The client of calls that do not name one.

    Attributes
    ----------
    alerts_ : list of QueryAlert
        Flagged checks since the last ``fit`` or ``reset``.
    n_batches_ : int
        Checks made so far (blocks of at most ``batch_size`` rows).
    flagged_clients_ : set
        Clients named by an alert since the last ``fit`` or ``reset``.
    index_nbytes_ : int
        Memory held by the window and its fingerprint table, in bytes.
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

    Raises
    ------
    SuspiciousQueries
        With ``on_alert="raise"``, on a call from a flagged client.
    sklearn.exceptions.NotFittedError
        On a query, when the monitor is not fitted (and ``fit`` was not called).
    ValueError
        On a query whose number of columns differs from the monitor's.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvert.defenses import QueryMonitor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(2000, 3))
    >>> target = LogisticRegression().fit(X, X[:, 0] > 0)
    >>> monitor = QueryMonitor(window=1000, batch_size=20).fit(X)
    >>> monitored = monitor.wrap(FrozenEstimator(target), on_alert="degrade")
    >>> _ = monitored.predict_proba(X[:200], client="alice")   # benign
    >>> probes = np.repeat(X[500:510], 2, axis=0)
    >>> probes[:, 1] = np.tile([-1.0, 1.0], 10)                # enumerate column 1
    >>> for row in probes[::-1]:                               # one row per call
    ...     _ = monitored.predict_proba(row[None], client="mallory")
    >>> alert = monitored.alerts_[0]
    >>> alert.client, alert.column, alert.signal, alert.groups
    ('mallory', 1, 'near-twins', 3)
    >>> monitored.predict_proba(probes[:2], client="mallory")  # label only now
    array([[1., 0.],
           [0., 1.]])
    """

    _parameter_constraints: dict = {
        **QueryCounter._parameter_constraints,
        "monitor": [QueryMonitor, None],
        "on_alert": [StrOptions({"record", "raise", "degrade"})],
        "client": "no_validation",
    }

    def __init__(self, estimator, monitor=None, *, on_alert="record", client=None):
        super().__init__(estimator)
        self.monitor = monitor
        self.on_alert = on_alert
        self.client = client

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
        self._stream = StreamState()
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
        return self._lazy("_stream", StreamState)

    def for_client(self, client):
        """A handle that queries as ``client`` and shares this wrapper's state.

        Parameters
        ----------
        client : hashable
            The client key of the handle's calls.

        Returns
        -------
        handle : MonitoredTarget
            A shallow copy with ``client`` set; its window, alerts and counts
            are this wrapper's.
        """
        self._query_stream(), self._query_log()
        handle = object.__new__(type(self))
        handle.__dict__.update(self.__dict__)
        handle.client = client
        return handle

    def _answer(self, method, X, client=None):
        model = self._wrapped()
        monitor = self._fitted_monitor()
        cells = cell_hashes(X)
        expected = getattr(monitor, "n_features_in_", cells.shape[1])
        if cells.shape[1] != expected:
            raise ValueError(
                f"X has {cells.shape[1]} features, but {type(self).__name__} is "
                f"expecting {expected} features as input: its monitor was fitted on "
                "query rows in the target's input layout."
            )
        key = self.client if client is None else client
        off = monitor._profile.off(numeric_values(X, cells.shape[1]), cells)
        stream = self._query_stream()
        new = stream.observe(monitor, cells, off, client=key)
        with stream.lock:
            flagged = key in stream.flagged
        if flagged and self.on_alert == "raise":
            mine = [alert for alert in new if alert.client == key] or [
                alert for alert in stream.alerts if alert.client == key
            ][-1:]
            worst = max(mine, key=lambda alert: alert.score)
            raise SuspiciousQueries(
                f"Refused a call to {method} from client {key!r}: its queries look "
                f"like {_describe(worst)} (score {worst.score:.2f} over the "
                "threshold). See alerts_; set on_alert='record' to answer and only "
                "record alerts."
            )
        if flagged and self.on_alert == "degrade" and method != "predict":
            labels = np.asarray(model.predict(X))
            answer = _one_hot(labels, self.classes_)
            if method == "predict_log_proba":
                with np.errstate(divide="ignore"):
                    answer = np.log(answer)
            elif method == "decision_function" and answer.shape[1] == 2:
                answer = answer[:, 1] - answer[:, 0]
            log = self._query_log()
            with log.lock:
                log.add(method, _num_samples(X))
            return answer
        return super()._answer(method, X)

    def reset(self):
        """Clear the counts, the window, the alerts and the flagged clients.

        Returns
        -------
        self : object
            The wrapper.
        """
        super().reset()
        self._query_stream().clear()
        return self

    @property
    def alerts_(self):
        """Flagged checks since the last ``fit`` or ``reset`` (a copy)."""
        stream = self._query_stream()
        with stream.lock:
            return list(stream.alerts)

    @property
    def n_batches_(self):
        """Checks made since the last ``fit`` or ``reset``."""
        return self._query_stream().n_batches

    @property
    def flagged_clients_(self):
        """Clients named by an alert since the last ``fit`` or ``reset`` (a copy)."""
        stream = self._query_stream()
        with stream.lock:
            return set(stream.flagged)

    @property
    def index_nbytes_(self):
        """Bytes held by the window and its fingerprint table."""
        stream = self._query_stream()
        with stream.lock:
            return 0 if stream.index is None else int(stream.index.nbytes)

    predict = _monitored(
        "predict", "The wrapped model's decision, monitored and counted."
    )
    predict_proba = available_if(_wrapped_has("predict_proba"))(
        _monitored(
            "predict_proba",
            "The wrapped model's confidences (label-only for a degraded client).",
        )
    )
    predict_log_proba = available_if(_wrapped_has("predict_log_proba"))(
        _monitored(
            "predict_log_proba",
            "The wrapped model's log-confidences (label-only for a degraded client).",
        )
    )
    decision_function = available_if(_wrapped_has("decision_function"))(
        _monitored(
            "decision_function",
            "The wrapped model's decision scores (label-only for a degraded client).",
        )
    )


def _describe(alert):
    if alert.signal == "near-twins":
        return (
            f"an enumeration of column {alert.column} ({alert.groups} near-twin "
            f"groups in {alert.rows} rows)"
        )
    if alert.signal == "off-distribution":
        return f"queries far from benign traffic ({alert.rows} rows in the window)"
    return f"more queries than the rate budget ({alert.rows} rows in the window)"
