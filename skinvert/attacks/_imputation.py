"""The imputation baseline: what an attacker infers with no access to the target."""

import numpy as np
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder
from sklearn.utils._param_validation import HasMethods

from ..base import DEFAULT_BATCH_SIZE, DEFAULT_MAX_CANDIDATES, BaseInversion
from ..utils._optional import is_pandas_dataframe


def _is_numeric_column(values):
    values = np.asarray(values)
    if values.dtype.kind in "biuf":
        return True
    try:
        values.astype(float)
    except (TypeError, ValueError):
        return False
    return True


def known_feature_table(known, labels):
    """Known features with the known label appended as a last column."""
    if labels is None:
        return known
    if is_pandas_dataframe(known):
        table = known.copy()
        table["__known_label__"] = labels
        return table
    return np.column_stack([known, labels])


def make_default_imputer(known, random_state=None):
    """A gradient-boosting classifier with its categorical columns ordinal-encoded.

    Parameters
    ----------
    known : ndarray or DataFrame
        Known features the imputer will be fitted on (used to find the categorical
        columns: non-numeric dtypes).
    random_state : int, RandomState instance or None
        Seed of the gradient boosting.

    Returns
    -------
    estimator : classifier
        An unfitted :class:`~sklearn.ensemble.HistGradientBoostingClassifier`,
        behind an :class:`~sklearn.preprocessing.OrdinalEncoder` when some columns
        are categorical.
    """
    booster = HistGradientBoostingClassifier(max_iter=100, random_state=random_state)
    if is_pandas_dataframe(known):
        categorical = [
            c for c in known.columns if not _is_numeric_column(known[c].to_numpy())
        ]
    else:
        known = np.asarray(known)
        categorical = [
            j for j in range(known.shape[1]) if not _is_numeric_column(known[:, j])
        ]
    if not categorical:
        return booster
    encoder = ColumnTransformer(
        [
            (
                "categorical",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,
                    encoded_missing_value=np.nan,
                ),
                categorical,
            )
        ],
        remainder="passthrough",
        sparse_threshold=0,
    )
    booster.set_params(categorical_features=list(range(len(categorical))))
    return make_pipeline(encoder, booster)


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
        if self.estimator is None:
            model = make_default_imputer(table, random_state=self.random_state)
        else:
            model = clone(self.estimator)
        if len(np.unique(codes)) == 1 or table.shape[1] == 0:
            self.estimator_ = None
            return
        self.estimator_ = model.fit(table, codes)

    def _posterior(self, records, labels):
        n = records.shape[0]
        if self.estimator_ is None:
            return np.tile(self.prior_, (n, 1))
        table = known_feature_table(self._known(records), labels)
        proba = self.estimator_.predict_proba(table)
        full = np.zeros((n, len(self.classes_)))
        full[:, np.asarray(self.estimator_.classes_, dtype=int)] = proba
        return full
