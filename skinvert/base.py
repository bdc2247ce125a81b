"""The estimator bases of the attacks on categorical and continuous attributes.

:class:`BaseInversion` is the base of the attacks on a categorical sensitive
attribute (classifiers of it), :class:`BaseContinuousInversion` of those on a
continuous one (regressors of it). Both read the attacker's view of the records
through ``_AttackerViewMixin`` (:mod:`skinvert._view`) and reach the target through
:func:`skinvert.query_target` (:mod:`skinvert._query`).
"""

import math
from numbers import Integral

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    TransformerMixin,
)
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from ._query import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_CANDIDATES,
    query_target,
)
from ._sensitive import (
    SingleCandidateWarning,
    as_categories,
    check_not_task_label,
    joint_candidates,
    warn_single_candidate,
)
from ._view import _AttackerViewMixin
from .utils._dask import dask_aware
from .utils._optional import is_pandas_dataframe
from .utils._sklearn import HasMethods, Interval
from .utils._validation import numbers_of_object

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_CANDIDATES",
    "BaseContinuousInversion",
    "BaseInversion",
    "SingleCandidateWarning",
    "query_target",
]


class BaseInversion(
    _AttackerViewMixin, ClassifierMixin, TransformerMixin, BaseEstimator
):
    """Base class of the attacks on a categorical sensitive attribute.

    ``fit`` either completes or leaves the attack as it was (a failed first fit
    leaves it unfitted), and, with ``predict`` and ``predict_proba``, runs with
    the native BLAS/OpenMP thread pools bounded by ``n_jobs``
    (:mod:`skinvert.utils._threads`).

    Subclasses set ``_target_method`` (``"predict_proba"``, ``"predict"`` or ``None``
    for attacks that never query the target) and implement ``_fit`` and
    ``_posterior``. The base turns the attacker's view ``X`` (target columns plus,
    when ``label`` is set, a column with the known label) into the target's layout,
    learns the candidates and their prior, and provides ``predict``,
    ``predict_proba``, ``transform``, ``score`` and ``get_feature_names_out``.

    **Several sensitive columns at once.** With ``sensitive=[a, b, ...]`` (``m``
    columns) every attack infers the columns jointly: the candidates are the
    product of each column's candidate values (those seen in the auxiliary data,
    or ``candidates`` given as a list of ``m`` per-column value lists), in
    lexicographic order; ``candidates_`` has shape ``(k, m)`` and ``classes_`` is
    an object array of the ``k`` combinations as tuples. The prior is the
    empirical joint frequency smoothed towards the product of the marginals with
    one pseudo-record, ``(count(v) + prod_j freq_j(v_j)) / (n_aux + 1)``, so a
    combination absent from the auxiliary data keeps a small positive mass.
    Two exceptions restrict the candidates to valid combinations. ``candidates``
    given as a 2-D NumPy array or a DataFrame of shape ``(k, m)`` lists them, one
    row per combination (a list of lists is always read per column); their
    prior is ``(count(v) + 1 / k) / (n_aux + 1)``. And one-hot columns (0/1
    indicators with exactly one 1 in every auxiliary record) are inferred among
    the combinations seen in the auxiliary data, with their frequencies as the
    prior: ``m`` one-hot columns cost at most ``m`` queries per victim, never
    ``2 ** m``, and no victim is inferred an impossible vector.
    ``y`` in ``fit`` has shape ``(n, m)`` (columns in the order of
    ``sensitive``), ``predict`` returns ``(n, m)``, ``predict_proba`` is over
    ``classes_``, ``transform`` fills every column, and ``score`` is the fraction
    of victims whose ``m`` values are all right. Each victim costs ``k`` target
    queries; ``max_candidates`` caps ``k``. This is also how to attack with
    partial knowledge (Mehnaz et al., USENIX Security 2022): list the
    non-sensitive columns the attacker does not know next to the sensitive one
    and read the sensitive column of the joint estimate.
    """

    _parameter_constraints: dict = {
        "target": [HasMethods(["predict"]), None],
        "sensitive": [str, Integral, list, tuple],
        "label": [str, Integral, None],
        "candidates": ["array-like", None],
        "max_candidates": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        target=None,
        *,
        sensitive=0,
        label=None,
        candidates=None,
        max_candidates=DEFAULT_MAX_CANDIDATES,
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
        verbose=0,
    ):
        self.target = target
        self.sensitive = sensitive
        self.label = label
        self.candidates = candidates
        self.max_candidates = max_candidates
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.verbose = verbose

    # ---------------------------------------------------------------- fitting
    def _check_sensitive_values(self, s, n):
        """The sensitive values as one array (one column) or a list of m columns."""
        if s is None:
            raise ValueError(
                f"This {type(self).__name__} estimator requires y to be passed, but "
                "the target y is None. Pass the auxiliary records' sensitive values."
            )
        m = len(getattr(self, "sensitive_indices_", [0]))
        if m > 1:
            return self._sensitive_columns(s, n, m)
        s = np.asarray(s)
        if s.ndim == 2 and s.shape[1] == 1:
            s = column_or_1d(s, warn=True)
        if s.shape[0] != n:
            raise ValueError(
                f"X has {n} records but the sensitive values have {s.shape[0]}; "
                "they must match."
            )
        if s.ndim != 1:
            raise ValueError(
                f"Expected one sensitive value per record (shape ({n},)), got shape "
                f"{s.shape}."
            )
        return as_categories(s, self)

    def _sensitive_columns(self, s, n, m):
        """The ``m`` columns of ``y``, each with its own dtype."""
        frame = is_pandas_dataframe(s)
        s = s if frame else np.asarray(s)
        shape = s.shape
        if shape and shape[0] != n:
            raise ValueError(
                f"X has {n} records but the sensitive values have {shape[0]}; "
                "they must match."
            )
        if shape != (n, m):
            raise ValueError(
                f"sensitive={self.sensitive!r} names {m} columns, so y must have shape "
                f"({n}, {m}): one column per sensitive column, in that order; got "
                f"shape {shape}."
            )
        columns = [s.iloc[:, j].to_numpy() if frame else s[:, j] for j in range(m)]
        return [as_categories(c, self, j) for j, c in enumerate(columns)]

    def _check_size(self, sizes):
        limit = getattr(self, "max_candidates", DEFAULT_MAX_CANDIDATES)
        k = math.prod(sizes)
        if k <= limit:
            return
        if len(sizes) == 1:
            raise ValueError(
                f"The sensitive column sensitive={self.sensitive!r} has {k} candidate "
                f"values, above max_candidates={limit}; each victim would cost {k} "
                "target queries. For a continuous attribute use a regressor attack "
                "(FredriksonRegressor); otherwise pass fewer candidates= (coarser "
                "values) or raise max_candidates."
            )
        raise ValueError(
            f"Inferring sensitive={self.sensitive!r} jointly needs {k} candidate "
            f"combinations ({' x '.join(map(str, sizes))} values per column), above "
            f"max_candidates={limit}; each victim would cost {k} target queries. "
            "Infer fewer columns at once, pass coarser candidates= (a list of "
            "per-column value lists), or raise max_candidates."
        )

    def _single_candidates(self, s):
        if self.candidates is None:
            classes = np.unique(s)
        else:
            classes = np.unique(np.asarray(self.candidates))
            missing = np.setdiff1d(np.unique(s), classes)
            if missing.size:
                raise ValueError(
                    f"Sensitive values {missing[:5].tolist()} occur in y but not in "
                    f"candidates={classes.tolist()}; add them to candidates."
                )
        self._check_size([len(classes)])
        self.classes_ = classes
        self.candidates_ = classes.reshape(-1, 1)
        codes = np.searchsorted(classes, s)
        self.prior_ = np.bincount(codes, minlength=len(classes)) / len(s)
        return codes

    def _joint_candidates(self, columns):
        return joint_candidates(self, columns)

    def fit(self, X, y):
        """Learn candidates, prior and any attack model from auxiliary data.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_records, n_columns)
            Auxiliary records in the attacker's view: the target's input columns
            plus, when ``label`` is set, the known label column. The content of the
            sensitive column is ignored (``y`` holds the truth).
        y : array-like of shape (n_records,) or (n_records, n_sensitive)
            The auxiliary records' sensitive values (one column per sensitive
            column when ``sensitive`` names several).

        Returns
        -------
        self : object
            The fitted attack.

        Warns
        -----
        SingleCandidateWarning
            When ``y`` (or ``candidates``) leaves a single candidate value: the
            attack can then only ever answer that value.
        """
        self._reject_dask(X, y)
        with self._fit_state():
            self._validate_params()
            if y is None:
                self._check_sensitive_values(y, 0)
            self._check_target()
            records, y_known = self._view(X, reset=True)
            s = self._check_sensitive_values(y, records.shape[0])
            records = self._complete_categories(records, y, s)
            if len(self.sensitive_indices_) == 1:
                check_not_task_label(self, s, records, y_known)
                codes = self._single_candidates(s)
            else:
                codes = self._joint_candidates(s)
            if len(self.classes_) == 1:
                warn_single_candidate(self)
            labels = None if y_known is None else self._encode_label(y_known)
            self.queries_per_victim_ = len(self.classes_) if self._target_method else 0
            self._fit(records, codes, labels)
        return self

    def _fit(self, records, codes, labels):
        """Subclass hook: learn from auxiliary records (default: nothing)."""

    # -------------------------------------------------------------- inference
    @dask_aware
    def predict_proba(self, X):
        """Posterior over the candidates (``classes_``) for each victim.

        Parameters
        ----------
        X : array-like, DataFrame or Dask collection of shape (n_victims, n_columns)
            Victims in the attacker's view. The sensitive column's content is never
            read (it may be NaN or, in a DataFrame, absent).
            A Dask DataFrame or 2-D Dask array gives a lazy result of the same
            kind, computed partition by partition, with X's partitions and index.

        Returns
        -------
        proba : ndarray of shape (n_victims, n_candidates)
            A lazy Dask array, or a Dask DataFrame with one column per class, for
            Dask input.
        """
        check_is_fitted(self)
        with self._bounded():
            return self._by_chunks(X, self._posterior_of_chunk)

    def _posterior_of_chunk(self, X):
        records, y_known = self._view(X, reset=False)
        labels = None if y_known is None else self._encode_label(y_known)
        scores = np.asarray(self._posterior(records, labels), dtype=float)
        totals = scores.sum(axis=1, keepdims=True)
        empty = totals[:, 0] <= 0
        scores[empty] = self.prior_
        totals[empty] = 1.0
        return scores / totals

    def _times_prior(self, evidence):
        """``evidence * prior_``, or ``evidence`` itself with ``prior="uniform"``.

        For the attacks with a ``prior`` parameter (Bayes' rule over the
        candidates: their auxiliary frequencies, or none).
        """
        if getattr(self, "prior", "empirical") == "uniform":
            return evidence
        return evidence * self.prior_

    def _best(self, proba):
        """Index of the most probable candidate, ties broken by the prior."""
        top = proba.max(axis=1, keepdims=True)
        tied = proba >= top - 1e-12
        return np.argmax(np.where(tied, self.prior_ + 1.0, 0.0), axis=1)

    @dask_aware
    def predict(self, X):
        """Inferred sensitive value(s) of each victim.

        Parameters
        ----------
        X : array-like, DataFrame or Dask collection of shape (n_victims, n_columns)
            Victims in the attacker's view.
            A Dask DataFrame or 2-D Dask array gives a lazy result of the same
            kind, computed partition by partition, with X's partitions and index.

        Returns
        -------
        s : ndarray of shape (n_victims,) or (n_victims, n_sensitive)
            One column per sensitive column when ``sensitive`` names several.
            For Dask input, a lazy Dask array, or a Dask Series named after the
            sensitive column (a Dask DataFrame for several).
        """
        best = self._best(self.predict_proba(X))
        if len(self.sensitive_indices_) == 1:
            return self.classes_[best]
        return self.candidates_[best]

    def score(self, X, y, sample_weight=None):
        """Accuracy of the inferred values.

        With several sensitive columns, the fraction of victims whose values are
        all right.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_victims, n_columns)
            Victims in the attacker's view.
        y : array-like of shape (n_victims,) or (n_victims, n_sensitive)
            Their true sensitive values.
        sample_weight : array-like of shape (n_victims,), default=None
            Victim weights.

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        if len(self.sensitive_indices_) == 1:  # numbers in an object array: numbers
            y = numbers_of_object(y) if not hasattr(y, "iloc") else y
            return super().score(X, y, sample_weight=sample_weight)
        predicted = self.predict(X)
        columns = self._check_sensitive_values(y, predicted.shape[0])
        right = [predicted[:, j] == column for j, column in enumerate(columns)]
        return float(np.average(np.logical_and.reduce(right), weights=sample_weight))


class BaseContinuousInversion(
    _AttackerViewMixin, RegressorMixin, TransformerMixin, BaseEstimator
):
    """Base class of the attacks on a continuous sensitive attribute.

    The continuous counterpart of :class:`skinvert.base.BaseInversion`, sharing its
    reading of the attacker's view ``X``. Subclasses set ``_target_method`` and
    implement ``_fit(records, values, labels)`` (``values``: the auxiliary sensitive
    values as floats) and ``_estimate(records, labels)`` returning one float per
    victim. The base provides ``fit``, ``predict``, ``transform``, ``score`` (the
    coefficient of determination R^2) and ``get_feature_names_out``, and sets
    ``prior_mean_``.
    """

    _parameter_constraints: dict = {
        "target": [HasMethods(["predict"]), None],
        "sensitive": [str, Integral],
        "label": [str, Integral, None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        target=None,
        *,
        sensitive=0,
        label=None,
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
        verbose=0,
    ):
        self.target = target
        self.sensitive = sensitive
        self.label = label
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_values(self, y, n):
        name = type(self).__name__
        if y is None:
            raise ValueError(
                f"This {name} estimator requires y to be passed, but the target y is "
                "None. Pass the auxiliary records' sensitive values."
            )
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim != 1:
            raise ValueError(
                f"{name} infers one continuous column: y must have shape ({n},), got "
                f"shape {y.shape}."
            )
        if y.shape[0] != n:
            raise ValueError(
                f"X has {n} records but the sensitive values have {y.shape[0]}; "
                "they must match."
            )
        if y.dtype.kind not in "biuf":
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"{name} infers a continuous sensitive attribute, so y must hold "
                    f"numbers; got values of dtype {y.dtype}. Use a categorical attack "
                    "(FredriksonInversion, ImputationBaseline) for categories."
                ) from exc
        missing = np.isnan(y)
        if missing.any():
            raise ValueError(
                f"Input y contains NaN: y holds {int(missing.sum())} missing sensitive "
                f"value(s) (NaN or None); {name} learns from records whose sensitive "
                "value is known: drop those records from X and y."
            )
        infinite = np.isinf(y)
        if infinite.any():
            raise ValueError(
                f"Input y contains infinity: y holds {int(infinite.sum())} infinite "
                f"sensitive value(s); {name} needs finite numbers: drop those records "
                "from X and y, or replace the values."
            )
        return check_array(
            y, ensure_2d=False, dtype=np.float64, input_name="y", estimator=self
        )

    def fit(self, X, y):
        """Learn from auxiliary records whose sensitive values are known.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_records, n_columns)
            Auxiliary records in the attacker's view: the target's input columns
            plus, when ``label`` is set, the known label column. The content of the
            sensitive column is ignored (``y`` holds the truth).
        y : array-like of shape (n_records,)
            The auxiliary records' sensitive values (numbers).

        Returns
        -------
        self : object
            The fitted attack.
        """
        self._reject_dask(X, y)
        with self._fit_state():
            self._validate_params()
            if y is None:
                self._check_values(y, 0)
            self._check_target()
            records, y_known = self._view(X, reset=True)
            values = self._check_values(y, records.shape[0])
            labels = None if y_known is None else self._encode_label(y_known)
            self.prior_mean_ = float(values.mean())
            self.queries_per_victim_ = 0
            self._fit(records, values, labels)
        return self

    def _fit(self, records, values, labels):
        """Subclass hook: learn from auxiliary records (default: nothing)."""

    @dask_aware
    def predict(self, X):
        """Inferred sensitive value of each victim.

        Parameters
        ----------
        X : array-like, DataFrame or Dask collection of shape (n_victims, n_columns)
            Victims in the attacker's view.
            A Dask DataFrame or 2-D Dask array gives a lazy result of the same
            kind, computed partition by partition, with X's partitions and index.

        Returns
        -------
        values : ndarray of shape (n_victims,)
            For Dask input, a lazy Dask array, or a Dask Series named after the
            sensitive column.
        """
        check_is_fitted(self)
        with self._bounded():
            return self._by_chunks(X, self._estimate_chunk)

    def _estimate_chunk(self, X):
        records, y_known = self._view(X, reset=False)
        labels = None if y_known is None else self._encode_label(y_known)
        return np.asarray(self._estimate(records, labels), dtype=np.float64)
