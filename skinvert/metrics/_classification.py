"""Metrics for attacks on a categorical sensitive attribute.

Every metric is built in two steps. A private ``_prep_*`` function validates the
inputs once (lengths, emptiness, the ``positive`` value, warnings about the full
sample) and returns an evaluator ``evaluate(idx)``; the evaluator takes an index
matrix ``idx`` of shape ``(n_resamples, n_victims)`` (each row lists the victims of
one resample, with repetitions) and returns one value per row. A public metric is
the evaluator on the single row ``0 .. n_victims - 1``. The point estimate and
every bootstrap resample are thus computed by the same code, vectorised over
resamples: gathers ``v[idx]`` and one bincount per batch, no loop over victims.

Sign convention: every metric in this module is "higher means a stronger attack".
"""

import warnings
from numbers import Real

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning

from ..utils._sklearn import Options, validate_params
from ..utils._validation import numbers_of_object

# ----------------------------------------------------------------------------- inputs


def _as_1d(y, name):
    y = numbers_of_object(np.asarray(y))
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array with one sensitive value per victim record; "
            f"got an array of shape {y.shape}."
        )
    return y


def _check_lengths(y_true, other, name):
    if y_true.shape[0] == 0:
        raise ValueError(
            "y_true is empty: a metric needs at least one victim record. Pass the "
            "true sensitive values of the records the attack was evaluated on."
        )
    if other.shape[0] != y_true.shape[0]:
        raise ValueError(
            f"y_true and {name} have different lengths ({y_true.shape[0]} and "
            f"{other.shape[0]}); they must hold one entry per victim record, in the "
            "same order."
        )


def _check_no_nan(y, name):
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError(
            f"{name} contains NaN. Metrics need a sensitive value for every victim "
            "record: drop the records whose value is missing."
        )


def _encode(arrays, names):
    """Return the sorted distinct values of ``arrays`` and each array as codes."""
    numeric = [a.dtype.kind in "biuf" for a in arrays]
    text = [a.dtype.kind in "US" for a in arrays]
    if any(numeric) and any(text):
        raise TypeError(
            f"{' and '.join(names)} hold values of different types (numbers and "
            "strings); they must use the same encoding of the sensitive attribute."
        )
    if any(a.dtype.kind == "O" for a in arrays):
        arrays = [a.astype(object) for a in arrays]
    try:
        values, codes = np.unique(np.concatenate(arrays), return_inverse=True)
    except TypeError as exc:
        raise TypeError(
            f"The values in {' and '.join(names)} cannot be compared with each other "
            f"({exc}); they must use one encoding of the sensitive attribute."
        ) from exc
    bounds = np.cumsum([0] + [a.shape[0] for a in arrays])
    return values, [codes[bounds[i] : bounds[i + 1]] for i in range(len(arrays))]


def _labels(y_true, y_pred, pred_name="y_pred"):
    y_true = _as_1d(y_true, "y_true")
    y_pred = _as_1d(y_pred, pred_name)
    _check_lengths(y_true, y_pred, pred_name)
    _check_no_nan(y_true, "y_true")
    _check_no_nan(y_pred, pred_name)
    values, (t, p) = _encode([y_true, y_pred], ["y_true", pred_name])
    return values, t, p


def _is_binary_01(values):
    return values.dtype.kind in "biuf" and bool(np.isin(values, [0, 1]).all())


def _show(values, limit=10):
    """The values as a short list for an error message."""
    listed = values.tolist()
    return str(listed) if len(listed) <= limit else f"{listed[:limit]} (and more)"


def _resolve_positive(positive, values):
    """Return ``positive``, or 1/True when the values are a subset of {0, 1}."""
    if positive is None:
        if _is_binary_01(values):
            return True if values.dtype.kind == "b" else 1
        raise ValueError(
            "positive is required: it names the sensitive value the metric is "
            f"about, and the values here are {_show(values)}. Pass e.g. "
            f"positive={values.tolist()[-1]!r}. Only a 0/1 or False/True "
            "attribute has a default (1/True)."
        )
    return positive


def _position(values, value, name, where):
    hits = np.flatnonzero(values == value)
    if hits.size == 0:
        raise ValueError(
            f"{name}={value!r} is not one of {where}: {_show(values)}. Pass a "
            "value the sensitive attribute takes, with the same type."
        )
    return int(hits[0])


def _mean_of(v):
    return lambda idx: v[idx].mean(axis=1)


def _sum_of(v):
    return lambda idx: v[idx].sum(axis=1)


def _count_rows(codes, size):
    """Per row of ``codes`` (n_rows, n), how often each code in [0, size) occurs."""
    rows = codes.shape[0]
    flat = (codes + size * np.arange(rows)[:, None]).ravel()
    return np.bincount(flat, minlength=rows * size).reshape(rows, size)


def _ratio(num, den, zero_division):
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    return np.where(den > 0, out, zero_division)


# ------------------------------------------------------------------ label metrics


def _prep_accuracy(y_true, y_pred):
    _, t, p = _labels(y_true, y_pred)
    return _mean_of((t == p).astype(np.float64))


def _prep_balanced_accuracy(y_true, y_pred):
    values, t, p = _labels(y_true, y_pred)
    k = values.shape[0]
    code = 2 * t + (t == p)  # true value and whether it was inferred

    def evaluate(idx):
        counts = _count_rows(code[idx], 2 * k).reshape(idx.shape[0], k, 2)
        recall = _ratio(counts[:, :, 1], counts.sum(axis=2), np.nan)
        return np.nanmean(recall, axis=1)  # classes absent from a resample drop out

    return evaluate


def _prf_parts(y_true, y_pred, positive, zero_division):
    zero_division = float(zero_division)
    if not (np.isnan(zero_division) or zero_division in (0.0, 1.0)):
        raise ValueError(
            f"zero_division must be 0.0, 1.0 or np.nan; got {zero_division!r}."
        )
    values, t, p = _labels(y_true, y_pred)
    positive = _resolve_positive(positive, values)
    code = _position(values, positive, "positive", "the values in y_true or y_pred")
    is_t, is_p = t == code, p == code
    parts = (is_t & is_p), is_p, is_t
    return *(part.astype(np.float64) for part in parts), zero_division


def _warn_undefined(what, why, zero_division):
    warnings.warn(
        f"{what} is undefined because {why}; it is set to zero_division="
        f"{zero_division}.",
        UndefinedMetricWarning,
        stacklevel=6,  # the caller of the public metric
    )


def _prep_precision(y_true, y_pred, *, positive=None, zero_division=0.0):
    tp, pp, _, zero_division = _prf_parts(y_true, y_pred, positive, zero_division)
    if pp.sum() == 0:
        _warn_undefined("Precision", "the attack never infers it", zero_division)
    tp, pp = _sum_of(tp), _sum_of(pp)
    return lambda idx: _ratio(tp(idx), pp(idx), zero_division)


def _prep_recall(y_true, y_pred, *, positive=None, zero_division=0.0):
    tp, _, ap, zero_division = _prf_parts(y_true, y_pred, positive, zero_division)
    if ap.sum() == 0:
        _warn_undefined("Recall", "no victim has the positive value", zero_division)
    tp, ap = _sum_of(tp), _sum_of(ap)
    return lambda idx: _ratio(tp(idx), ap(idx), zero_division)


def _prep_f1(y_true, y_pred, *, positive=None, zero_division=0.0):
    tp, pp, ap, zero_division = _prf_parts(y_true, y_pred, positive, zero_division)
    if pp.sum() + ap.sum() == 0:
        _warn_undefined("F1", "the positive value never occurs", zero_division)
    tp, both = _sum_of(tp), _sum_of(pp + ap)
    return lambda idx: _ratio(2.0 * tp(idx), both(idx), zero_division)


_LABELS = {"y_true": ["array-like"], "y_pred": ["array-like"]}
_PRF = {
    **_LABELS,
    "positive": "no_validation",
    "zero_division": [Options(Real, {0.0, 1.0}), "nan"],
}


def _identity(n):
    """The index matrix of the full sample: one row, every victim once."""
    return np.arange(n)[None, :]


def _value(prep, *args, **kwargs):
    """The metric on the full sample: the evaluator on the identity resample."""
    evaluate = prep(*args, **kwargs)
    out = evaluate(_identity(_as_1d(args[0], "y_true").shape[0]))[0]
    return float(out) if np.ndim(out) == 0 else out


@validate_params(_LABELS, prefer_skip_nested_validation=True)
def attack_accuracy(y_true, y_pred):
    """Fraction of victims whose sensitive value the attack inferred exactly.

    Higher is a stronger attack. Compare it with the accuracy of a baseline through
    :func:`advantage`: the majority value alone often scores high.

    Parameters
    ----------
    y_true : array-like of shape (n_victims,)
        True sensitive values.
    y_pred : array-like of shape (n_victims,)
        Sensitive values inferred by the attack (``attack.predict(X)``).

    Returns
    -------
    accuracy : float
        In [0, 1].

    Examples
    --------
    >>> from skinvert.metrics import attack_accuracy
    >>> attack_accuracy(["a", "b", "b", "c"], ["a", "b", "c", "c"])
    0.75
    """
    return _value(_prep_accuracy, y_true, y_pred)


@validate_params(_LABELS, prefer_skip_nested_validation=True)
def attack_balanced_accuracy(y_true, y_pred):
    """Mean over sensitive values of the fraction of their holders inferred exactly.

    The macro-averaged recall over the values present in ``y_true``, as in
    :func:`sklearn.metrics.balanced_accuracy_score`. Higher is a stronger attack;
    always predicting one value scores ``1 / n_values``, so a rare value is not
    hidden by a frequent one.

    Parameters
    ----------
    y_true : array-like of shape (n_victims,)
        True sensitive values.
    y_pred : array-like of shape (n_victims,)
        Inferred sensitive values.

    Returns
    -------
    balanced_accuracy : float
        In [0, 1].

    Examples
    --------
    >>> from skinvert.metrics import attack_balanced_accuracy
    >>> attack_balanced_accuracy([0, 0, 0, 1], [0, 0, 0, 0])
    0.5
    """
    return _value(_prep_balanced_accuracy, y_true, y_pred)


_PRF_DOC = """
    Parameters
    ----------
    y_true : array-like of shape (n_victims,)
        True sensitive values.
    y_pred : array-like of shape (n_victims,)
        Inferred sensitive values.
    positive : object, default=None
        The sensitive value the metric is about (e.g. ``"yes"`` for "has had an
        affair"). Required unless the values are a subset of {0, 1} or
        {False, True}, where it defaults to 1 / True.
    zero_division : {0.0, 1.0, np.nan}, default=0.0
        Value returned when the ratio is 0 / 0 (an :class:`UndefinedMetricWarning`
        is issued).
"""


@validate_params(_PRF, prefer_skip_nested_validation=True)
def attack_precision(y_true, y_pred, *, positive=None, zero_division=0.0):
    """Of the victims the attack says hold ``positive``, the fraction who do.

    Higher is a stronger attack: an accusation based on the attack is more often
    right.
    {params}
    Returns
    -------
    precision : float

    Examples
    --------
    >>> from skinvert.metrics import attack_precision
    >>> attack_precision(["no", "yes", "yes", "no"], ["yes", "yes", "no", "no"],
    ...                  positive="yes")
    0.5
    """
    return _value(
        _prep_precision,
        y_true,
        y_pred,
        positive=positive,
        zero_division=zero_division,
    )


@validate_params(_PRF, prefer_skip_nested_validation=True)
def attack_recall(y_true, y_pred, *, positive=None, zero_division=0.0):
    """Of the victims who hold ``positive``, the fraction the attack finds.

    Higher is a stronger attack.
    {params}
    Returns
    -------
    recall : float

    Examples
    --------
    >>> from skinvert.metrics import attack_recall
    >>> attack_recall([1, 1, 1, 0], [1, 0, 0, 0])
    0.3333333333333333
    """
    return _value(
        _prep_recall,
        y_true,
        y_pred,
        positive=positive,
        zero_division=zero_division,
    )


@validate_params(_PRF, prefer_skip_nested_validation=True)
def attack_f1(y_true, y_pred, *, positive=None, zero_division=0.0):
    """Harmonic mean of :func:`attack_precision` and :func:`attack_recall`.

    Higher is a stronger attack.
    {params}
    Returns
    -------
    f1 : float

    Examples
    --------
    >>> from skinvert.metrics import attack_f1
    >>> attack_f1(["no", "yes", "yes", "no"], ["yes", "yes", "no", "no"],
    ...           positive="yes")
    0.5
    """
    return _value(
        _prep_f1, y_true, y_pred, positive=positive, zero_division=zero_division
    )


for _f in (attack_precision, attack_recall, attack_f1):
    _f.__doc__ = _f.__doc__.replace("{params}", _PRF_DOC)
