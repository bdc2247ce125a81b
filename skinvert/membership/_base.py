"""The membership attacks' estimator base: the attacker's view, the target's scores.

A membership attack reads records in the attacker's view: the target's input
columns plus, when ``label`` is set, one column holding the record's task label
(the same view as the attribute attacks' ``label=``). It is a binary classifier of
membership: ``predict`` says 1 (member of the target's training set) or 0,
``decision_function`` is a score that grows with the evidence of membership and
``predict_proba`` its two-column probability form.
"""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_array
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .._query import query_target
from ..utils._optional import is_pandas_dataframe
from ..utils._shadow import default_shadow_estimator, reseed
from ..utils._sklearn import HasMethods, Interval
from ..utils._validation import check_target, resolve_column

# Confidences are clipped to [_EPS, 1 - _EPS] before the logit scaling.
_EPS = 1e-7


def logit_confidence(proba, codes):
    """Logit-scaled confidence ``log(p / (1 - p))`` of each row's class ``codes``.

    ``proba`` has shape (..., n, n_classes) and ``codes`` (n,) class positions
    (``None``: the top class). Carlini et al. (S&P 2022) scale this way so that
    the confidences of a record over models are close to Gaussian.
    """
    if codes is None:
        p = proba.max(axis=-1)
    else:
        p = np.take_along_axis(
            proba, np.broadcast_to(codes[:, None], (*proba.shape[:-1], 1)), axis=-1
        )[..., 0]
    p = np.clip(p, _EPS, 1.0 - _EPS)
    return np.log(p) - np.log1p(-p)


def check_membership(y, n, name="y"):
    """Membership labels as an int array of 0 (non-member) and 1 (member)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(
            f"{name} must hold one membership label per record, shape ({n},); got "
            f"shape {y.shape}."
        )
    if y.dtype.kind == "b":
        return y.astype(np.int64)
    try:
        values = y.astype(np.float64)
    except (TypeError, ValueError):
        values = None
    if values is None or not np.isin(values, (0.0, 1.0)).all():
        shown = np.unique(y.astype(str))[:5].tolist()
        kind = type_of_target(y, input_name=name)
        if kind == "continuous":
            raise ValueError(
                f"Unknown label type: continuous. {name} must be membership labels "
                f"(1 member, 0 non-member); got values {shown}."
            )
        if kind.startswith("multiclass"):
            raise ValueError(
                f"Only binary classification is supported: {name} must be "
                f"membership labels (1 member, 0 non-member); got values {shown}."
            )
        raise ValueError(
            f"{name} must be membership labels: 1 for members of the target's "
            f"training set, 0 for non-members (or booleans); got values {shown}."
        )
    return values.astype(np.int64)


class BaseMembershipAttack(ClassifierMixin, BaseEstimator):
    """Base of the membership attacks (binary classifiers of membership).

    Subclasses implement ``_fit(records, codes, membership)`` (``membership`` is
    ``None`` when ``y`` is not given) and ``_score(records, codes)`` returning one
    score per record, higher for members, and ``_proba(scores)`` mapping scores to
    the probability of membership. ``codes`` are the records' labels as positions in
    the target's ``classes_`` (``None`` with ``label=None``).
    """

    _parameter_constraints: dict = {
        "target": [HasMethods(["predict_proba"]), None],
        "label": [str, Integral, None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
    }
    _membership_required = False

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.target_tags.required = self._membership_required
        tags.classifier_tags.multi_class = False
        return tags

    # ------------------------------------------------------------ the view
    def _as_records(self, X):
        if is_pandas_dataframe(X):
            if X.shape[0] == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape=(0, {X.shape[1]})) while a "
                    "minimum of 1 is required."
                )
            return X
        return check_array(
            X, dtype=None, ensure_all_finite=False, input_name="X", estimator=self
        )

    def _view(self, X, *, reset):
        """Records in the target's layout and label codes (or None)."""
        X = self._as_records(X)
        validate_data(self, X, skip_check_array=True, reset=reset)
        if reset:
            self.label_index_ = (
                None
                if self.label is None
                else resolve_column(self.label, X, param="label")
            )
            n_target = X.shape[1] - (self.label_index_ is not None)
            expected = getattr(self.target, "n_features_in_", None)
            if expected is not None and expected != n_target:
                raise ValueError(
                    f"X has {X.shape[1]} columns; without the label column that "
                    f"leaves {n_target}, but the target expects {expected} features. "
                    "X must hold the target's input columns plus the label column "
                    "when label= is set."
                )
        if self.label_index_ is None:
            return X, None
        if is_pandas_dataframe(X):
            y = X.iloc[:, self.label_index_].to_numpy()
            records = X.drop(columns=X.columns[self.label_index_])
        else:
            y = X[:, self.label_index_]
            records = np.delete(X, self.label_index_, axis=1)
        return records, self._label_codes(y)

    def _label_codes(self, y):
        classes = self.target_classes_
        order = np.argsort(classes)
        found = np.clip(np.searchsorted(classes, y, sorter=order), 0, len(classes) - 1)
        codes = order[found]
        unknown = classes[codes] != y
        if np.any(unknown):
            raise ValueError(
                f"Labels {np.unique(np.asarray(y)[unknown].astype(str))[:5].tolist()} "
                f"in the label column are not among the target's classes_ "
                f"{classes.tolist()}; label= must name the column of task labels."
            )
        return codes

    def _query(self, records):
        """The target's confidences on ``records`` as they are, (n, n_classes)."""
        return query_target(
            self.target,
            records,
            None,
            None,
            batch_size=self.batch_size,
            n_jobs=self.n_jobs,
        )

    def _target_logits(self, records, codes):
        return logit_confidence(self._query(records), codes)

    # --------------------------------------------------------------- public
    def fit(self, X, y=None):
        """Learn the attack from the attacker's records.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_records, n_columns)
            The attacker's records: the target's input columns plus, when ``label``
            is set, the column of their task labels.
        y : array-like of shape (n_records,), default=None
            Their membership in the target's training set (1 member, 0
            non-member), when the attacker knows it; see each attack.

        Returns
        -------
        self : object
            The fitted attack.
        """
        self._validate_params()
        state = dict(self.__dict__)
        try:
            return self._fit_all(X, y)
        except BaseException:  # a failed fit leaves the estimator as it was
            self.__dict__.clear()
            self.__dict__.update(state)
            raise

    def _fit_all(self, X, y):
        self.target_classes_ = check_target(
            self.target, "predict_proba", attack_name=type(self).__name__
        )
        records, codes = self._view(X, reset=True)
        membership = None if y is None else check_membership(y, records.shape[0])
        if membership is None and self._membership_required:
            raise ValueError(
                f"{type(self).__name__} requires y: the membership (1/0) of the "
                "records passed to fit."
            )
        self.classes_ = np.array([0, 1])
        self._fit(records, codes, membership)
        return self

    def decision_function(self, X):
        """Membership score of each record: higher means more likely a member.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_records, n_columns)
            Records in the attacker's view (target columns plus label column).

        Returns
        -------
        scores : ndarray of shape (n_records,)
        """
        check_is_fitted(self)
        records, codes = self._view(X, reset=False)
        return np.asarray(self._score(records, codes), dtype=np.float64)

    def predict_proba(self, X):
        """Probability of non-membership and membership of each record.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_records, n_columns)
            Records in the attacker's view.

        Returns
        -------
        proba : ndarray of shape (n_records, 2)
            Columns in the order of ``classes_`` (0, then 1).
        """
        p = np.clip(self._proba(self.decision_function(X)), 0.0, 1.0)
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        """Membership decision of each record: 1 member, 0 non-member.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_records, n_columns)
            Records in the attacker's view.

        Returns
        -------
        membership : ndarray of shape (n_records,)
        """
        return (self.decision_function(X) > self.threshold_).astype(np.int64)


_SHARED_ATTRIBUTES = """target_classes_ : ndarray
        The target's ``classes_``.
    label_index_ : int or None
        Position of the label column in ``X``.
    n_fit_queries_ : int
        Target queries made by ``fit``.
    n_features_in_ : int
        Number of columns of ``X`` seen in ``fit``."""


def shared_attributes(cls):
    """Fill ``{shared_attributes}`` in ``cls``'s docstring (attributes all share)."""
    cls.__doc__ = cls.__doc__.replace("{shared_attributes}", _SHARED_ATTRIBUTES)
    return cls


def default_shadow(target, random_state):
    """A fresh copy of the target's estimator, or a random forest.

    A scikit-learn target (a :class:`sklearn.frozen.FrozenEstimator` is unwrapped)
    is cloned; anything else (an API client) gets a random forest
    (:func:`skinvert.utils._shadow.default_shadow_estimator`). Its own
    ``random_state`` parameter, if any, is set to ``random_state``.
    """
    return reseed(default_shadow_estimator(target), random_state, deep=False)
