"""Metrics for attacks on a continuous sensitive attribute (income, age, ...).

Built like the categorical metrics: a ``_prep_*`` function validates once and
returns an evaluator of resampling index matrices, so a point estimate and every
bootstrap resample share one vectorised code path.

Sign convention: :func:`attack_mae` and :func:`attack_rmse` are errors (lower means
a stronger attack); :func:`attack_r2` is higher-is-stronger (1 is exact recovery,
0 is no better than the mean of the victims' values, negative is worse), and so is
:func:`attack_within_tolerance` (the share of victims disclosed within a margin).
"""

from numbers import Real

import numpy as np

from ..utils._sklearn import Interval, validate_params
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


def _prep_within_tolerance(y_true, y_pred, tolerance=0.1, relative=True):
    y_true, y_pred = _values(y_true, y_pred)
    bound = tolerance * np.abs(y_true) if relative else np.full_like(y_true, tolerance)
    within = (np.abs(y_pred - y_true) <= bound).astype(np.float64)
    return _mean_of(within)


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


@validate_params(
    {
        **_PARAMS,
        "tolerance": [Interval(Real, 0, None, closed="left")],
        "relative": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def attack_within_tolerance(y_true, y_pred, *, tolerance=0.1, relative=True):
    """Share of victims whose value the attack inferred within a tolerance.

    The "+/- p %" rule of statistical disclosure control: a published model
    discloses a victim's numeric attribute when an attacker can infer it to
    within ``p`` percent of its true value (SACRO-ML checks released models for
    this). A victim counts as disclosed when ``|y_pred - y_true| <= tolerance *
    |y_true|`` (``relative=True``) or ``<= tolerance`` (``relative=False``, in the
    unit of the attribute). Higher is a stronger attack; compare it with a
    baseline's through :func:`advantage`: an imputation that guesses values near
    the typical one already "discloses" many victims.

    Parameters
    ----------
    y_true : array-like of shape (n_victims,)
        True sensitive values.
    y_pred : array-like of shape (n_victims,)
        Values inferred by the attack.
    tolerance : float, default=0.1
        The margin: a fraction of the true value (0.1 is +/- 10 %) when
        ``relative``, otherwise an absolute distance. ``0`` counts exact hits.
    relative : bool, default=True
        Whether ``tolerance`` is relative to ``|y_true|``. A relative margin
        around a true value of 0 holds only the exact value 0; choose an
        absolute one for attributes near or across 0.

    Returns
    -------
    share : float
        In [0, 1].

    Raises
    ------
    ValueError
        If the arrays are empty, of different lengths or hold NaN or infinite
        values, or if ``tolerance`` is negative.
    TypeError
        If they do not hold numbers.

    Examples
    --------
    >>> from skinvert.metrics import attack_within_tolerance
    >>> attack_within_tolerance([30, 40, 50, 60], [32, 40, 58, 70])
    0.5
    >>> attack_within_tolerance([30, 40, 50, 60], [32, 40, 58, 70],
    ...                         tolerance=8, relative=False)
    0.75
    """
    return _value(
        _prep_within_tolerance,
        y_true,
        y_pred,
        tolerance=float(tolerance),
        relative=bool(relative),
    )
