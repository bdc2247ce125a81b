"""The imputation references: what an attacker infers with no access to the target.

The categorical variant (a classifier of the sensitive value from the known
features and label) and the continuous one (a regressor), side by side.
"""

import numpy as np
from sklearn.base import clone

from .._docstrings import (
    _COMMON_ATTRIBUTES,
    _MODEL_PARAMETERS,
)
from .._query import DEFAULT_BATCH_SIZE, DEFAULT_MAX_CANDIDATES
from ..base import BaseContinuousInversion, BaseInversion
from ..utils._memo import fit_shared
from ..utils._optional import is_pandas_dataframe
from ..utils._sklearn import HasMethods
from ._default_models import fit_imputer, imputed_proba, make_default_regressor


def known_feature_table(known, labels):
    """Known features with the known label appended as a last column."""
    if labels is None:
        return known
    if is_pandas_dataframe(known):
        table = known.copy()
        table["__known_label__"] = labels
        return table
    return np.column_stack([known, labels])


class ImputationBaseline(BaseInversion):
    """Infer the sensitive attribute from the known features alone, no target access.

    Jayaraman & Evans (CCS 2022, "Are attribute inference attacks just
    imputation?"): an attacker who never queries the model learns the sensitive
    value from the other attributes (and the known task label when the threat model
    grants it) with an ordinary classifier fitted on the auxiliary data. This is the
    reference every attack in skinvert is measured against: an attack's leak is its
    margin over this baseline.

    Parameters
    ----------
    target : classifier, default=None
        Not queried. When given, known labels are checked against its
        ``classes_``; it may be left out.
    sensitive : str or int, default=0
        The sensitive column (name for DataFrames, position for arrays).
    label : str or int, default=None
        The column of ``X`` holding the known task label, used as a feature.
    candidates : array-like, default=None
        Values the sensitive attribute can take (default: those seen in ``fit``).
    max_candidates : int, default=4096
        Largest number of candidates (product over the sensitive columns).
    estimator : classifier, default=None
        The imputation model, cloned and fitted on the known features (plus the
        known label). Default: a
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`, behind an
        ordinal encoder for non-numeric columns.
    random_state : int, RandomState instance or None, default=None
        Seed of the default imputation model.
    batch_size : int, default=65536
        Unused (no target queries); kept for a uniform interface.
    n_jobs : int, default=None
        Unused; kept for a uniform interface.

    Attributes
    ----------
    estimator_ : classifier
        The fitted imputation model.
    classes_ : ndarray of shape (n_candidates,)
        The candidate values.
    prior_ : ndarray of shape (n_candidates,)
        Their frequencies in the auxiliary data.
    queries_per_victim_ : int
        Always 0.
    n_features_in_ : int
        Number of columns of ``X`` seen in ``fit``.

    Examples
    --------
    >>> from skinvert.attacks import ImputationBaseline
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(
    ...     n_samples=400, feature_dependence=2, random_state=0)
    >>> baseline = ImputationBaseline(sensitive=0, random_state=0)
    >>> baseline.fit(X[:200], X[:200, 0]).score(X[200:], X[200:, 0]) > 0.5
    True
    """

    # Never queries the target: no progress bar (``verbose``) to show.
    _parameter_constraints: dict = {
        **{
            key: value
            for key, value in BaseInversion._parameter_constraints.items()
            if key != "verbose"
        },
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "random_state": ["random_state"],
    }

    _target_method = None

    def __init__(
        self,
        target=None,
        *,
        sensitive=0,
        label=None,
        candidates=None,
        max_candidates=DEFAULT_MAX_CANDIDATES,
        estimator=None,
        random_state=None,
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
    ):
        super().__init__(
            target,
            sensitive=sensitive,
            label=label,
            candidates=candidates,
            max_candidates=max_candidates,
            batch_size=batch_size,
            n_jobs=n_jobs,
        )
        self.estimator = estimator
        self.random_state = random_state

    def _fit(self, records, codes, labels):
        table = known_feature_table(self._known(records), labels)
        self.estimator_ = fit_imputer(self.estimator, table, codes, self.random_state)

    def _posterior(self, records, labels):
        table = known_feature_table(self._known(records), labels)
        return imputed_proba(self.estimator_, table, len(self.classes_), self.prior_)


class _ModelRegressor(BaseContinuousInversion):
    """Shared parameters and fitting of the regressors built on an attack model."""

    _parameter_constraints: dict = {
        **BaseContinuousInversion._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict"]), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        target=None,
        *,
        sensitive=0,
        label=None,
        estimator=None,
        random_state=None,
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
        verbose=0,
    ):
        super().__init__(
            target,
            sensitive=sensitive,
            label=label,
            batch_size=batch_size,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.estimator = estimator
        self.random_state = random_state

    def _table(self, records, labels, answers=None):
        """Attack-model inputs: known features, known label, released confidences."""
        table = known_feature_table(self._known(records), labels)  # a new object
        if not is_pandas_dataframe(table):
            return table if answers is None else np.column_stack([table, answers])
        for j in range(0 if answers is None else answers.shape[1]):
            table[f"__confidence_{j}__"] = answers[:, j]
        table.columns = [str(name) for name in table.columns]  # all names strings
        return table

    def _fit_model(self, table, values):
        if self.estimator is None:
            model = make_default_regressor(table, random_state=self.random_state)
        else:
            model = clone(self.estimator)
        return fit_shared(model, table, values)  # shared within an audit


class ImputationRegressor(_ModelRegressor):
    __doc__ = (
        """Infer a continuous attribute from the known features alone, no target access.

    The no-access baseline for a numeric sensitive attribute (Jayaraman & Evans,
    CCS 2022): an ordinary regressor fitted on the auxiliary data predicts the
    sensitive value from the other attributes and, when the threat model grants
    it, the known task label. An attack's leak is its margin over this baseline.

    Parameters
    ----------
    target : classifier, default=None
        Not queried. When given, known labels are checked against its
        ``classes_``; it may be left out.
    sensitive : str or int, default=0
        The sensitive column (name for DataFrames, position for arrays).
    label : str or int, default=None
        The column of ``X`` holding the known task label, used as a feature."""
        + _MODEL_PARAMETERS
        + """
    batch_size : int, default=65536
        Unused (no target queries); kept for a uniform interface.
    n_jobs : int, default=None
        Unused; kept for a uniform interface.
    verbose : int, default=0
        Unused; kept for a uniform interface.

    Attributes
    ----------
    estimator_ : regressor or None
        The fitted imputation model (None when there is no known feature: the
        prediction is then ``prior_mean_``)."""
        + _COMMON_ATTRIBUTES
        + """

    Examples
    --------
    >>> import numpy as np
    >>> from skinvert.attacks import ImputationRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 3))
    >>> X[:, 0] = 2 * X[:, 1] + 0.1 * rng.normal(size=400)   # guessable
    >>> baseline = ImputationRegressor(sensitive=0, random_state=0)
    >>> baseline.fit(X[:200], X[:200, 0]).score(X[200:], X[200:, 0]) > 0.9
    True
    """
    )

    _target_method = None

    def _fit(self, records, values, labels):
        table = self._table(records, labels)
        self.estimator_ = None
        if table.shape[1] > 0:
            self.estimator_ = self._fit_model(table, values)

    def _estimate(self, records, labels):
        if self.estimator_ is None:
            return np.full(records.shape[0], self.prior_mean_)
        return self.estimator_.predict(self._table(records, labels))
