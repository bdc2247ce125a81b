"""Paired comparisons with a baseline, and percentile bootstrap confidence intervals.

Holds the table of named metrics shared by :func:`advantage`, :func:`bootstrap_ci`
and the scorers. Resampling is vectorised: index matrices of shape
``(n_resamples, n_victims)`` are drawn at once (in batches of bounded size for
large inputs), and every named metric evaluates all resamples of a batch in one
pass.
"""

import warnings
from collections import namedtuple
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from ..utils._sklearn import (
    Interval,
    StrOptions,
    validate_params,
)
from ._classification import (
    _identity,
    _prep_accuracy,
    _prep_balanced_accuracy,
    _prep_f1,
    _prep_precision,
    _prep_recall,
)
from ._ranking import _prep_ppv_at_k, _prep_roc_auc, _prep_tpr_at_fpr
from ._regression import _prep_mae, _prep_r2, _prep_rmse, _prep_within_tolerance

# prepare: the _prep_* function; greater_is_better: direction; response: what the
# attack must return ("predict": values, "predict_proba": posteriors);
# continuous: a metric of a continuous sensitive attribute.
_Metric = namedtuple("_Metric", "prepare greater_is_better response continuous")

METRICS = {
    "accuracy": _Metric(_prep_accuracy, True, "predict", False),
    "balanced_accuracy": _Metric(_prep_balanced_accuracy, True, "predict", False),
    "precision": _Metric(_prep_precision, True, "predict", False),
    "recall": _Metric(_prep_recall, True, "predict", False),
    "f1": _Metric(_prep_f1, True, "predict", False),
    "roc_auc": _Metric(_prep_roc_auc, True, "predict_proba", False),
    "tpr_at_fpr": _Metric(_prep_tpr_at_fpr, True, "predict_proba", False),
    "ppv_at_k": _Metric(_prep_ppv_at_k, True, "predict_proba", False),
    "mae": _Metric(_prep_mae, False, "predict", True),
    "rmse": _Metric(_prep_rmse, False, "predict", True),
    "r2": _Metric(_prep_r2, True, "predict", True),
    "within_tolerance": _Metric(_prep_within_tolerance, True, "predict", True),
}

# Largest number of entries of one index matrix: 2**20 int64 = 8 MiB. Larger
# batches were not faster (measured at 1e3 to 1e5 victims): the per-batch bincounts
# of the ranking metrics fall out of cache.
_MAX_ENTRIES = 2**20

BootstrapCI = namedtuple("BootstrapCI", "estimate low high")
BootstrapCI.__doc__ = """Percentile bootstrap confidence interval.

Attributes
----------
estimate : float or ndarray
    The metric (or advantage) on the full sample.
low, high : float or ndarray
    Bounds of the interval.
"""


def _sign(metric, greater_is_better):
    """+1 if higher is better for ``metric``, -1 for an error."""
    if callable(metric):
        return 1.0 if greater_is_better is None or greater_is_better else -1.0
    direction = METRICS[metric].greater_is_better
    if greater_is_better is not None and bool(greater_is_better) != direction:
        raise ValueError(
            f"greater_is_better={greater_is_better} contradicts metric={metric!r}, "
            f"for which greater_is_better is {direction}. Leave greater_is_better "
            "unset for a named metric; it is only for callables."
        )
    return 1.0 if direction else -1.0


def _paired_evaluator(metric, y_true, y_pred, y_baseline, metric_kwargs):
    """Return ``evaluate(idx)``: the metric, or the advantage, per resample."""
    spec = METRICS[metric]
    attack = spec.prepare(y_true, y_pred, **metric_kwargs)
    if y_baseline is None:
        return attack
    baseline = spec.prepare(y_true, y_baseline, **metric_kwargs)
    sign = 1.0 if spec.greater_is_better else -1.0
    return lambda idx: sign * (attack(idx) - baseline(idx))


def _rows(y, n, name):
    y = np.asarray(y)
    if y.ndim == 0 or y.shape[0] != n:
        raise ValueError(
            f"y_true and {name} have different lengths ({n} and "
            f"{y.shape[0] if y.ndim else 'a scalar'}); they must hold one entry per "
            "victim record, in the same order."
        )
    return y


_METRIC_CONSTRAINT = [StrOptions(set(METRICS)), callable]


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "y_baseline": ["array-like"],
        "metric": _METRIC_CONSTRAINT,
        "greater_is_better": ["boolean", None],
    },
    prefer_skip_nested_validation=True,
)
def advantage(
    y_true, y_pred, y_baseline, *, metric="accuracy", greater_is_better=None, **kwargs
):
    """How much better the attack does than a baseline on the same victims.

    ``metric(attack) - metric(baseline)`` for metrics where higher is better, and
    ``metric(baseline) - metric(attack)`` for errors (``"mae"``, ``"rmse"``): in
    every case a positive advantage means the attack infers more than the baseline,
    i.e. the target leaks beyond what is guessable without it.

    Parameters
    ----------
    y_true : array-like of shape (n_victims,)
        True sensitive values.
    y_pred : array-like of shape (n_victims,) or (n_victims, n_values)
        The attack's output: values, or posteriors for ``"roc_auc"``,
        ``"tpr_at_fpr"`` and ``"ppv_at_k"``.
    y_baseline : array-like, same shape as ``y_pred``
        The baseline's output on the same victims (e.g. the majority value, the
        prior, or an imputation attack's predictions).
    metric : str or callable, default="accuracy"
        One of ``"accuracy"``, ``"balanced_accuracy"``, ``"precision"``,
        ``"recall"``, ``"f1"``, ``"roc_auc"``, ``"tpr_at_fpr"``, ``"ppv_at_k"``,
        ``"mae"``, ``"rmse"``, ``"r2"``, or a callable ``metric(y_true, y_pred,
        **kwargs) -> float``.
    greater_is_better : bool, default=None
        For a callable only: whether higher values of it mean a stronger attack
        (default True). Named metrics know their direction.
    **kwargs : dict
        Passed to the metric (e.g. ``positive="yes"``, ``classes=attack.classes_``,
        ``fpr=0.01``, ``k=10``).

    Returns
    -------
    advantage : float
        Positive when the attack beats the baseline.

    Examples
    --------
    >>> from skinvert.metrics import advantage
    >>> y = ["a", "a", "b", "b", "a"]
    >>> round(advantage(y, ["a", "a", "b", "a", "a"], ["a"] * 5), 6)
    0.2
    >>> round(advantage([10, 20, 30], [12, 20, 29], [20, 20, 20], metric="mae"), 6)
    5.666667
    """
    if callable(metric):
        sign = _sign(metric, greater_is_better)
        n = np.asarray(y_true).shape[0]
        y_pred, y_baseline = (
            _rows(y_pred, n, "y_pred"),
            _rows(y_baseline, n, "y_baseline"),
        )
        return sign * (
            metric(y_true, y_pred, **kwargs) - metric(y_true, y_baseline, **kwargs)
        )
    _sign(metric, greater_is_better)
    evaluate = _paired_evaluator(metric, y_true, y_pred, y_baseline, kwargs)
    out = evaluate(_identity(np.asarray(y_true).shape[0]))[0]
    return float(out) if np.ndim(out) == 0 else out


@validate_params(
    {
        "metric": _METRIC_CONSTRAINT,
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "y_baseline": ["array-like", None],
        "n_resamples": [Interval(Integral, 1, None, closed="left")],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
        "greater_is_better": ["boolean", None],
    },
    prefer_skip_nested_validation=True,
)
def bootstrap_ci(
    metric,
    y_true,
    y_pred,
    *,
    y_baseline=None,
    n_resamples=1000,
    confidence=0.95,
    random_state=None,
    greater_is_better=None,
    **kwargs,
):
    """Percentile bootstrap confidence interval of a metric, or of an advantage.

    Victims are resampled with replacement ``n_resamples`` times; the metric is
    computed on each resample and the interval is given by the
    ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of those
    values (Efron & Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13).
    With ``y_baseline``, each resample evaluates attack and baseline on the same
    victims (paired resampling), which gives the interval of :func:`advantage`:
    an advantage whose interval excludes 0 is a leak that the sampling of the
    victims does not explain.

    Named metrics evaluate all resamples of a batch at once, vectorised over an
    index matrix of shape ``(batch, n_victims)``; batches hold at most 2**20
    indices (1000 resamples at once for up to about 1000 victims), so memory stays
    bounded. Callables are called once per resample. The intervals are
    deterministic for a fixed ``random_state``.

    Parameters
    ----------
    metric : str or callable
        A name accepted by :func:`advantage`, or ``metric(y_true, y_pred,
        **kwargs) -> float``.
    y_true : array-like of shape (n_victims,)
        True sensitive values.
    y_pred : array-like of shape (n_victims,) or (n_victims, n_values)
        The attack's output; 2-D posteriors for metrics that need them.
    y_baseline : array-like, same shape as ``y_pred``, default=None
        The baseline's output; if given, the interval is that of the advantage.
    n_resamples : int, default=1000
        Number of bootstrap resamples.
    confidence : float, default=0.95
        Confidence level, in (0, 1).
    random_state : int, RandomState instance or None, default=None
        Seeds the resampling; fix it for reproducible intervals.
    greater_is_better : bool, default=None
        For a callable with ``y_baseline`` only (see :func:`advantage`).
    **kwargs : dict
        Passed to the metric (e.g. ``positive="yes"``).

    Returns
    -------
    ci : BootstrapCI
        Named tuple ``(estimate, low, high)``: the value on the full sample and
        the bounds of the interval.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvert.metrics import bootstrap_ci
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 200)
    >>> guess = np.where(rng.random(200) < 0.8, y, 1 - y)
    >>> ci = bootstrap_ci("accuracy", y, guess, random_state=0)
    >>> bool(ci.low < ci.estimate < ci.high)
    True
    >>> gain = bootstrap_ci("accuracy", y, guess, y_baseline=np.ones(200, int),
    ...                     random_state=0)
    >>> bool(gain.low > 0)
    True
    """
    n = np.asarray(y_true).shape[0] if np.ndim(y_true) else 0
    if n == 0:
        raise ValueError(
            "y_true is empty: the bootstrap needs at least one victim record."
        )
    if callable(metric):
        sign = _sign(metric, greater_is_better)
        y_true = np.asarray(y_true)
        y_pred = _rows(y_pred, n, "y_pred")
        if y_baseline is not None:
            y_baseline = _rows(y_baseline, n, "y_baseline")

        def score(idx):
            value = metric(y_true[idx], y_pred[idx], **kwargs)
            if y_baseline is not None:
                value = sign * (value - metric(y_true[idx], y_baseline[idx], **kwargs))
            return np.asarray(value, dtype=np.float64)

        def evaluate_batch(indices):
            return np.stack([score(idx) for idx in indices])

        estimate = score(np.arange(n))
    else:
        _sign(metric, greater_is_better)
        evaluate = _paired_evaluator(metric, y_true, y_pred, y_baseline, kwargs)
        estimate = evaluate(_identity(n))[0]
        evaluate_batch = evaluate

    rng = check_random_state(random_state)
    batch = max(1, _MAX_ENTRIES // n)
    values = []
    for start in range(0, n_resamples, batch):
        size = min(batch, n_resamples - start)
        values.append(evaluate_batch(rng.randint(0, n, size=(size, n))))
    values = np.concatenate(values, axis=0)

    undefined = np.isnan(values).any(axis=tuple(range(1, values.ndim)))
    if undefined.all():
        raise ValueError(
            "The metric is undefined on every bootstrap resample (e.g. a sensitive "
            "value is too rare among the victims); evaluate on more victims."
        )
    if undefined.any():
        warnings.warn(
            f"The metric is undefined on {int(undefined.sum())} of {n_resamples} "
            "bootstrap resamples (e.g. no victim holds the positive value in them); "
            "they are left out of the interval, which may then be too narrow. "
            "Evaluate on more victims.",
            UserWarning,
            stacklevel=3,  # the caller of bootstrap_ci
        )
        values = values[~undefined]
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(values, [alpha, 1.0 - alpha], axis=0)
    if np.ndim(estimate) == 0:
        return BootstrapCI(float(estimate), float(low), float(high))
    return BootstrapCI(estimate, low, high)
