"""Metrics for attacks on a continuous sensitive attribute (income, age, ...).

Built like the categorical metrics: a ``_prep_*`` function validates once and
returns an evaluator of resampling index matrices, so a point estimate and every
bootstrap resample share one vectorised code path.

Sign convention: :func:`attack_mae` and :func:`attack_rmse` are errors (lower means
a stronger attack); :func:`attack_r2` is higher-is-stronger (1 is exact recovery,
0 is no better than the mean of the victims' values, negative is worse).
"""

import numpy as np

from ..utils._sklearn import validate_params
from ._classification import _as_1d, _check_lengths, _mean_of, _value


def _values(y_true, y_pred):
    arrays = []
    for y, name in ((y_true, "y_true"), (y_pred, "y_pred")):
        y = _as_1d(y, name)
        if y.dtype.kind not in "biuf":
            raise TypeError(
                f"{name} must hold numbers for a regression metric; got dtype "
                f"{y.dtype}. Use the classification metrics for a categorical "
                "sensitive attribute."
            )
        arrays.append(y.astype(np.float64))
    y_true, y_pred = arrays
    _check_lengths(y_true, y_pred, "y_pred")
    for y, name in ((y_true, "y_true"), (y_pred, "y_pred")):
        if not np.isfinite(y).all():
            raise ValueError(
                f"{name} contains NaN or infinite values; drop those victims first."
            )
    return y_true, y_pred


def _prep_mae(y_true, y_pred):
    y_true, y_pred = _values(y_true, y_pred)
    error = np.abs(y_true - y_pred)
    return _mean_of(error)


def _prep_rmse(y_true, y_pred):
    y_true, y_pred = _values(y_true, y_pred)
    squared = (y_true - y_pred) ** 2
    mse = _mean_of(squared)
    return lambda idx: np.sqrt(mse(idx))


def _prep_r2(y_true, y_pred):
    y_true, y_pred = _values(y_true, y_pred)
    squared = (y_true - y_pred) ** 2
    centred = y_true - y_true.mean()  # centring keeps the variance sum accurate
    centred_sq = centred**2

    def evaluate(idx):
        residual = squared[idx].sum(axis=1)
        sum_sq = centred_sq[idx].sum(axis=1)
        spread = sum_sq - centred[idx].sum(axis=1) ** 2 / idx.shape[1]
        constant = spread <= 1e-12 * np.maximum(sum_sq, 1e-300)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = 1.0 - residual / spread
        # Constant y_true: 1 for exact recovery, else 0 (as scikit-learn's r2_score).
        return np.where(constant, np.where(residual == 0, 1.0, 0.0), r2)

    return evaluate


_PARAMS = {"y_true": ["array-like"], "y_pred": ["array-like"]}


@validate_params(_PARAMS, prefer_skip_nested_validation=True)
def attack_mae(y_true, y_pred):
    """Mean absolute error of the inferred sensitive values (lower is stronger).

    Parameters
    ----------
    y_true : array-like of shape (n_victims,)
        True sensitive values.
    y_pred : array-like of shape (n_victims,)
        Values inferred by the attack.

    Returns
    -------
    mae : float
        In the unit of the sensitive attribute; 0 is exact recovery.

    Examples
    --------
    >>> from skinvert.metrics import attack_mae
    >>> attack_mae([30, 40, 50], [32, 40, 47])
    1.6666666666666667
    """
    return _value(_prep_mae, y_true, y_pred)


@validate_params(_PARAMS, prefer_skip_nested_validation=True)
def attack_rmse(y_true, y_pred):
    """Root mean squared error of the inferred sensitive values (lower is stronger).

    Parameters
    ----------
    y_true : array-like of shape (n_victims,)
        True sensitive values.
    y_pred : array-like of shape (n_victims,)
        Values inferred by the attack.

    Returns
    -------
    rmse : float
        In the unit of the sensitive attribute; 0 is exact recovery.

    Examples
    --------
    >>> from skinvert.metrics import attack_rmse
    >>> attack_rmse([30, 40, 50], [33, 40, 46])
    2.886751345948129
    """
    return _value(_prep_rmse, y_true, y_pred)


@validate_params(_PARAMS, prefer_skip_nested_validation=True)
def attack_r2(y_true, y_pred):
    """Coefficient of determination of the inferred values (higher is stronger).

    ``1 - sum((y_true - y_pred)**2) / sum((y_true - mean(y_true))**2)``: 1 is exact
    recovery, 0 is what predicting the victims' own mean achieves, negative is
    worse. With a constant ``y_true`` it is 1 for exact recovery and 0 otherwise.

    Parameters
    ----------
    y_true : array-like of shape (n_victims,)
        True sensitive values.
    y_pred : array-like of shape (n_victims,)
        Values inferred by the attack.

    Returns
    -------
    r2 : float

    Examples
    --------
    >>> from skinvert.metrics import attack_r2
    >>> attack_r2([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    0.5
    """
    return _value(_prep_r2, y_true, y_pred)
