"""Access control: count the queries a target answers, and cap them."""

import threading
from numbers import Integral

from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _num_samples

from ..utils._sklearn import HasMethods, Interval
from ._base import BaseTargetWrapper, _wrapped_has


class QueryBudgetExceeded(RuntimeError):
    """Raised by :class:`QueryBudget` before answering a call that exceeds the budget.

    Examples
    --------
    >>> from skinvert.defenses import QueryBudgetExceeded
    >>> issubclass(QueryBudgetExceeded, RuntimeError)
    True
    """


class _QueryLog:
    """Thread-safe tallies of answered queries (the lock is not pickled)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.n_rows = 0
        self.n_calls = 0
        self.calls = {}
        self.rows = {}

    def add(self, method, n_rows, n_calls=1):
        # Callers hold self.lock.
        self.n_rows += n_rows
        self.n_calls += n_calls
        self.calls[method] = self.calls.get(method, 0) + n_calls
        self.rows[method] = self.rows.get(method, 0) + n_rows

    def __getstate__(self):
        state = dict(self.__dict__)
        del state["lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.lock = threading.Lock()


_PROCESS_NOTE = """
    Counting is thread-safe: every call takes a lock, so attacks querying from
    several threads (joblib's threading backend) are all counted. Process-based
    joblib backends (``loky``, ``multiprocessing``, Dask workers) send each worker
    a copy of the wrapper: the queries answered by those copies are not seen here.
"""


class QueryCounter(ClassifierMixin, BaseTargetWrapper):
    __doc__ = (
        """Pass every query through to the target and count it.

    Counts the calls and the query rows answered, in total and per method
    (``predict``, ``predict_proba``, ``predict_log_proba``, ``decision_function``).
    Answers are the wrapped model's, unchanged. ``score`` counts as ``predict``.
    """
        + _PROCESS_NOTE
        + """
    ``fit(X, y)`` fits a clone of ``estimator`` and resets the counts. A counter
    around a :class:`~sklearn.frozen.FrozenEstimator` or an already fitted model is
    usable without ``fit``.

    Parameters
    ----------
    estimator : classifier
        The target, fitted or to be fitted.

    Attributes
    ----------
    n_rows_ : int
        Query rows answered since the last ``fit`` or ``reset``.
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
    feature_names_in_ : ndarray of str
        The wrapped model's input feature names, when it has them.

    See Also
    --------
    QueryBudget : Refuse queries beyond a budget.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvert.defenses import QueryCounter
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> target = LogisticRegression().fit(X, [0, 0, 1, 1])
    >>> counter = QueryCounter(FrozenEstimator(target))
    >>> _ = counter.predict_proba(X)
    >>> _ = counter.predict(X[:1])
    >>> counter.n_rows_, counter.n_calls_, counter.calls_by_method_
    (5, 2, {'predict_proba': 1, 'predict': 1})
    """
    )

    _parameter_constraints: dict = {"estimator": [HasMethods(["predict"])]}
    # every query is counted: never answered from an audit's shared answers
    _shared_answers = False

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit a clone of the wrapped model and reset the counts.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training records, passed untouched.
        y : array-like of shape (n_samples,)
            Labels.
        **fit_params : dict
            Passed to the wrapped model's ``fit``.

        Returns
        -------
        self : object
            The fitted wrapper.
        """
        self._fit_wrapped(X, y, **fit_params)
        self._log = _QueryLog()
        return self

    def _query_log(self):
        return self._lazy("_log", _QueryLog)

    def _answer(self, method, X):
        model = self._wrapped()
        n_rows = _num_samples(X)
        answer = getattr(model, method)(X)
        log = self._query_log()
        with log.lock:
            log.add(method, n_rows)
        return answer

    def reset(self):
        """Set every count back to zero.

        Returns
        -------
        self : object
            The wrapper.
        """
        log = self._query_log()
        with log.lock:
            log.n_rows = log.n_calls = 0
            log.calls.clear()
            log.rows.clear()
        return self

    @property
    def n_rows_(self):
        """Query rows answered since the last ``fit`` or ``reset``."""
        return self._query_log().n_rows

    @property
    def n_calls_(self):
        """Calls answered since the last ``fit`` or ``reset``."""
        return self._query_log().n_calls

    @property
    def calls_by_method_(self):
        """Calls answered per method name (a copy)."""
        log = self._query_log()
        with log.lock:
            return dict(log.calls)

    @property
    def rows_by_method_(self):
        """Query rows answered per method name (a copy)."""
        log = self._query_log()
        with log.lock:
            return dict(log.rows)

    def predict(self, X):
        """The wrapped model's decision, counted.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Query rows, passed to the wrapped model untouched.

        Returns
        -------
        answer : ndarray
            The wrapped model's answer.
        """
        return self._answer("predict", X)

    @available_if(_wrapped_has("predict_proba"))
    def predict_proba(self, X):
        """The wrapped model's confidences, counted.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Query rows, passed to the wrapped model untouched.

        Returns
        -------
        answer : ndarray
            The wrapped model's answer.
        """
        return self._answer("predict_proba", X)

    @available_if(_wrapped_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """The wrapped model's log-confidences, counted.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Query rows, passed to the wrapped model untouched.

        Returns
        -------
        answer : ndarray
            The wrapped model's answer.
        """
        return self._answer("predict_log_proba", X)

    @available_if(_wrapped_has("decision_function"))
    def decision_function(self, X):
        """The wrapped model's decision scores, counted.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Query rows, passed to the wrapped model untouched.

        Returns
        -------
        answer : ndarray
            The wrapped model's answer.
        """
        return self._answer("decision_function", X)


class QueryBudget(QueryCounter):
    __doc__ = (
        """Answer at most ``max_queries`` query rows, then refuse.

    Before answering a call, checks that the rows it asks for fit in what is left
    of the budget; if not, raises :class:`QueryBudgetExceeded` without querying the
    target (a call is answered whole or not at all). Rows of a call on which the
    wrapped model raises are given back. Counts as :class:`QueryCounter` does.
    """
        + _PROCESS_NOTE
        + """
    With a process-based backend each copy enforces the whole budget on its own, so
    the total answered can reach ``max_queries`` times the number of workers.

    Parameters
    ----------
    estimator : classifier
        The target, fitted or to be fitted.
    max_queries : int
        Number of query rows answered before refusing (over every method).

    Attributes
    ----------
    remaining_ : int
        Query rows left in the budget.
    n_rows_ : int
        Query rows answered since the last ``fit`` or ``reset``.
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
    feature_names_in_ : ndarray of str
        The wrapped model's input feature names, when it has them.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvert.defenses import QueryBudget, QueryBudgetExceeded
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> target = LogisticRegression().fit(X, [0, 0, 1, 1])
    >>> budget = QueryBudget(FrozenEstimator(target), max_queries=6)
    >>> _ = budget.predict_proba(X)
    >>> budget.remaining_
    2
    >>> try:
    ...     budget.predict(X)
    ... except QueryBudgetExceeded as exc:
    ...     print("refused")
    refused
    """
    )

    _parameter_constraints: dict = {
        **QueryCounter._parameter_constraints,
        "max_queries": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, estimator, *, max_queries):
        super().__init__(estimator)
        self.max_queries = max_queries

    @property
    def remaining_(self):
        """Query rows left in the budget."""
        return max(0, int(self.max_queries) - self.n_rows_)

    def _answer(self, method, X):
        model = self._wrapped()
        n_rows = _num_samples(X)
        log = self._query_log()
        with log.lock:
            used = log.n_rows
            if used + n_rows > self.max_queries:
                raise QueryBudgetExceeded(
                    f"Query budget exceeded: {type(self).__name__} allows "
                    f"max_queries={self.max_queries} query rows, {used} were already "
                    f"answered, and this call to {method} asks for {n_rows} (only "
                    f"{max(0, self.max_queries - used)} left). Raise the budget with "
                    "set_params(max_queries=...), or call reset() to start a new one."
                )
            log.add(method, n_rows)
        try:
            return getattr(model, method)(X)
        except BaseException:
            with log.lock:
                log.add(method, -n_rows, n_calls=-1)
            raise
