"""The attacker's default models: gradient boosting on any tabular data.

:func:`make_default_imputer` (a classifier of the sensitive value) and
:func:`make_default_regressor` (its continuous counterpart) are the models every
attack fits on the auxiliary data unless given its own: the imputation
references, the combined attacks' priors, LOMIA's and the learned inversion's
attack models, the shadow-calibrated attack's imputers.

The classifier is regularised and stops early. Unregularised multiclass gradient
boosting diverges on a sensitive value held by a handful of auxiliary records (its
leaf values grow without bound where the hessian is near zero): on a census-like
table it answered with near certainty and wrongly, three to four times slower
than the early-stopped, regularised model (``benchmarks/RESULTS.md``).
"""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder

from ..utils._memo import fit_shared
from ..utils._optional import is_pandas_dataframe
from ..utils._validation import missing_cells


def _is_numeric_column(values):
    values = np.asarray(values)
    if values.dtype.kind in "biuf":
        return True
    try:
        values.astype(float)
    except (TypeError, ValueError):
        return False
    return True


# HistGradientBoosting's limit on the categories of a categorical feature
MAX_CATEGORIES = 255
# records below which the default regressor fits without early stopping
_MIN_EARLY_STOPPING = 20


def _distinct(values):
    """Number of distinct non-missing values of a column."""
    values = np.asarray(values, dtype=object)
    present = values[~missing_cells(values)]
    return len(set(present.tolist()))


class _EmptyAsConstant(TransformerMixin, BaseEstimator):
    """Columns entirely missing in ``fit`` become a constant 0 (fit and after).

    Gradient boosting cannot bin a column with no value at all (as a known
    feature missing from every auxiliary record of a cross-validation fold);
    such a column carries nothing to learn from, so it is read as a constant.
    """

    def fit(self, X, y=None):
        values = X.to_numpy() if is_pandas_dataframe(X) else np.asarray(X)
        self.empty_ = np.flatnonzero(missing_cells(values).all(axis=0))
        return self

    def transform(self, X):
        if not self.empty_.size:
            return X
        if is_pandas_dataframe(X):
            X = X.copy()
            for j in self.empty_:
                X.isetitem(int(j), np.zeros(X.shape[0]))
            return X
        X = np.array(X, copy=True)
        X[:, self.empty_] = 0
        return X


def _categorical_columns(known):
    """Non-numeric columns: (all of them, those with at most 255 categories)."""
    if is_pandas_dataframe(known):
        columns = [(c, known[c].to_numpy()) for c in known.columns]
    else:
        known = np.asarray(known)
        columns = [(j, known[:, j]) for j in range(known.shape[1])]
    categorical = [(c, v) for c, v in columns if not _is_numeric_column(v)]
    few = [c for c, v in categorical if _distinct(v) <= MAX_CATEGORIES]
    return [c for c, _ in categorical], few


# the default classifier (see the module's docstring): early stopping on a held-out
# tenth when it can be drawn, 15 leaves, L2 regularisation of the leaf values
_BOOSTING = {"max_iter": 100, "max_leaf_nodes": 15, "l2_regularization": 1.0}
# records from which the default classifier stops early (a held-out tenth of at
# least 100 records); below, fits are cheap and a small held-out set is noise
MIN_EARLY_STOPPING = 1000
_VALIDATION_FRACTION = 0.1


def can_stop_early(y, fraction=_VALIDATION_FRACTION, minimum=MIN_EARLY_STOPPING):
    """Whether gradient boosting can hold out a stratified ``fraction`` of ``y``.

    :class:`~sklearn.ensemble.HistGradientBoostingClassifier` stratifies its
    early-stopping split: every class needs two records, and both parts room for
    every class. Also False below ``minimum`` records.
    """
    y = np.asarray(y)
    n = len(y)
    if n < minimum:
        return False
    _, counts = np.unique(y, return_counts=True)
    held_out = int(np.ceil(fraction * n))
    return bool(counts.min() >= 2 and min(held_out, n - held_out) >= len(counts))


def make_default_imputer(known, random_state=None, y=None):
    """A gradient-boosting classifier with its categorical columns ordinal-encoded.

    The classifier is regularised (L2 penalty 1 on the leaf values, 15 leaves per
    tree) and, given the values ``y`` it will be fitted on, stops early on a
    held-out tenth of the records when that split can be drawn (see
    :func:`can_stop_early`: from 1 000 records, every value held by two).

    Non-numeric columns are ordinal-encoded. Those with at most 255 distinct
    values (HistGradientBoosting's limit) are declared categorical; those with
    more (a zip code, say) are passed as their ordinal codes, split like a
    number, so that any table can be imputed.

    Parameters
    ----------
    known : ndarray or DataFrame
        Known features the imputer will be fitted on (used to find the categorical
        columns: non-numeric dtypes).
    random_state : int, RandomState instance or None
        Seed of the gradient boosting (and of its held-out split).
    y : array-like of shape (n_samples,), default=None
        The values the imputer will be fitted on; decides early stopping (None:
        100 iterations, no early stopping).

    Returns
    -------
    estimator : Pipeline
        An unfitted :class:`~sklearn.ensemble.HistGradientBoostingClassifier`
        (at most 100 iterations), behind an
        :class:`~sklearn.preprocessing.OrdinalEncoder` when some columns are
        categorical (columns with no value at all in ``fit`` are read as
        a constant).

    Examples
    --------
    >>> import numpy as np
    >>> from skinvert.attacks._default_models import make_default_imputer
    >>> zips = np.array([f"{i:05d}" for i in range(1000)], dtype=object)
    >>> known = np.column_stack([zips, np.arange(1000.0)])
    >>> values = np.arange(1000) % 2
    >>> model = make_default_imputer(known, random_state=0, y=values)
    >>> model.fit(known, values).predict(known[:3]).shape
    (3,)
    >>> model[-1].early_stopping, model[-1].n_iter_ < 100
    (True, True)
    """
    booster = HistGradientBoostingClassifier(
        **_BOOSTING,
        early_stopping=y is not None and can_stop_early(y),
        validation_fraction=_VALIDATION_FRACTION,
        random_state=random_state,
    )
    categorical, few = _categorical_columns(known)
    if not categorical:
        return make_pipeline(_EmptyAsConstant(), booster)
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
    declared = [j for j, c in enumerate(categorical) if c in few]
    booster.set_params(categorical_features=declared or None)
    return make_pipeline(encoder, _EmptyAsConstant(), booster)


def make_default_regressor(known, random_state=None):
    """A gradient-boosting regressor with its categorical columns ordinal-encoded.

    The regression counterpart of
    :func:`~skinvert.attacks._default_models.make_default_imputer`.

    Parameters
    ----------
    known : ndarray or DataFrame
        Features the model will be fitted on (used to find the categorical
        columns: non-numeric dtypes).
    random_state : int, RandomState instance or None
        Seed of the gradient boosting.

    Returns
    -------
    estimator : Pipeline
        An unfitted :class:`~sklearn.ensemble.HistGradientBoostingRegressor`
        with early stopping on a held-out tenth of the data (a noisy numeric
        target overfits without it; from 20 records on), behind an ordinal
        encoder when some columns are categorical.
    """
    classifier = make_default_imputer(known, random_state=random_state)
    booster = HistGradientBoostingRegressor(
        max_iter=100,
        # a held-out tenth needs a few records: fewer than 20 fit without it
        early_stopping=len(known) >= _MIN_EARLY_STOPPING,
        random_state=random_state,
    )
    booster.set_params(categorical_features=classifier[-1].categorical_features)
    return make_pipeline(*classifier[:-1], booster)


def fit_imputer(estimator, table, y, random_state=None):
    """``estimator`` cloned (the default imputer if None), fitted on ``table``, ``y``.

    None when ``y`` holds a single value or ``table`` has no column: there is
    nothing to learn, and the prior is the answer (see :func:`imputed_proba`).
    Inside :func:`skinvert.utils._memo.shared_fits` (an audit), an equal fit
    already made by another attack is reused instead.
    """
    if len(np.unique(y)) < 2 or table.shape[1] == 0:
        return None
    if estimator is None:
        model = make_default_imputer(table, random_state=random_state, y=y)
    else:
        model = clone(estimator)
    return fit_shared(model, table, y)


def imputed_proba(model, table, n_classes, fallback):
    """``model.predict_proba(table)`` over all ``n_classes`` candidate codes.

    ``model`` was fitted on candidate codes (its ``classes_``), which may miss
    some; None (see :func:`fit_imputer`) gives ``fallback`` for every row.
    """
    n = table.shape[0]
    if model is None:
        return np.tile(fallback, (n, 1))
    full = np.zeros((n, n_classes))
    full[:, np.asarray(model.classes_, dtype=int)] = model.predict_proba(table)
    return full
