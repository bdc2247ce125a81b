"""Ranking metrics: how well the attack's posterior orders victims.

ROC AUC, the true-positive rate at a low false-positive rate, and the precision
among the victims ranked first (sensitive value inference). They read a score per
victim (the attack's posterior of one sensitive value) and are built like every
metric of this package: a ``_prep_*`` function validates once and returns an
evaluator of resampling index matrices (see :mod:`skinvert.metrics._classification`).

Sign convention: higher means a stronger attack.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning

from ..utils._sklearn import Interval, validate_params
from ._classification import (
    _as_1d,
    _check_lengths,
    _check_no_nan,
    _count_rows,
    _position,
    _ratio,
    _resolve_positive,
    _value,
)


class _Ranking:
    """Victims sorted by decreasing score, grouped into blocks of tied scores.

    A block is never split by an arbitrary order: metrics treat its records as
    ranked in random order and use the expected value.
    """

    def __init__(self, scores, is_pos):
        # block of each victim, numbered by decreasing score; code = 2 * block + pos
        blocks, block_of = np.unique(-scores, return_inverse=True)
        self.n_blocks = blocks.shape[0]
        self.code = 2 * block_of.ravel() + is_pos.astype(np.intp)

    def blocks(self, idx):
        """Number of positive and of negative victims in each block, (n_rows, G)."""
        counts = _count_rows(self.code[idx], 2 * self.n_blocks)
        counts = counts.reshape(idx.shape[0], self.n_blocks, 2)
        return counts[:, :, 1], counts[:, :, 0]


def _auc(ranking):
    def evaluate(idx):
        pos, neg = ranking.blocks(idx)
        n_pos, n_neg = pos.sum(axis=1), neg.sum(axis=1)
        below = n_neg[:, None] - np.cumsum(neg, axis=1)  # negatives scored lower
        return _ratio((pos * (below + 0.5 * neg)).sum(axis=1), n_pos * n_neg, np.nan)

    return evaluate


def _scores(y_true, scores, name="scores"):
    y_true = _as_1d(y_true, "y_true")
    _check_no_nan(y_true, "y_true")
    try:
        scores = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must hold numbers (a posterior or a score per victim); "
            f"conversion to float failed: {exc}"
        ) from exc
    if scores.ndim not in (1, 2):
        raise ValueError(
            f"{name} must be 1-D (a score of the positive value per victim) or 2-D "
            f"(predict_proba output); got shape {scores.shape}."
        )
    _check_lengths(y_true, scores, name)
    if not np.isfinite(scores).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
    return y_true, scores


def _check_classes(classes, scores, y_true, name="scores"):
    k = scores.shape[1]
    if classes is None:
        classes = np.unique(y_true)
        if classes.shape[0] != k:
            raise ValueError(
                f"Cannot tell which sensitive value each of the {k} columns of {name} "
                f"is about: y_true holds {classes.shape[0]} distinct values. Pass "
                "classes=attack.classes_."
            )
        return classes
    classes = _as_1d(classes, "classes")
    if classes.shape[0] != k:
        raise ValueError(
            f"classes has {classes.shape[0]} entries but {name} has {k} columns; "
            "pass the classes_ of the attack that produced the probabilities."
        )
    return classes


def _positive_column(y_true, scores, positive, classes, *, default=True):
    """Return the score of ``positive`` for each victim, and who holds it."""
    y_true, scores = _scores(y_true, scores)
    if positive is None and not default:
        raise ValueError(
            "positive is required: pass the sensitive value whose score ranks the "
            "victims (e.g. positive=1, or positive='yes')."
        )
    if scores.ndim == 2:
        classes = _check_classes(classes, scores, y_true)
        if positive is None and default:
            positive = _resolve_positive(None, classes)
        column = scores[:, _position(classes, positive, "positive", "classes")]
    else:
        if positive is None and default:
            positive = _resolve_positive(None, np.unique(y_true))
        column = scores
    return column, np.asarray(y_true == positive, dtype=bool)


def _require_both(is_pos, what):
    if is_pos.all() or not is_pos.any():
        held = "every" if is_pos.all() else "no"
        raise ValueError(
            f"{what} is undefined because {held} victim holds the positive value: "
            "it needs victims with and without it. Evaluate on more victims (or "
            "check the value of positive)."
        )


def _prep_roc_auc(y_true, y_score, *, classes=None, positive=None):
    y, scores = _scores(y_true, y_score, "y_score")
    if scores.ndim == 2 and positive is None and scores.shape[1] > 2:
        classes = _check_classes(classes, scores, y, "y_score")
        evaluators = []
        for j, value in enumerate(classes):
            is_pos = np.asarray(y == value, dtype=bool)
            if 0 < is_pos.sum() < is_pos.shape[0]:
                evaluators.append(_auc(_Ranking(scores[:, j], is_pos)))
        if not evaluators:
            raise ValueError("ROC AUC is undefined: y_true holds a single value.")

        def evaluate(idx):
            per_value = np.stack([e(idx) for e in evaluators])
            defined = ~np.isnan(per_value)
            total = np.where(defined, per_value, 0.0).sum(axis=0)
            return _ratio(total, defined.sum(axis=0), np.nan)

        return evaluate
    if scores.ndim == 2 and positive is None and scores.shape[1] == 2:
        positive = _check_classes(classes, scores, y, "y_score")[1]
    column, is_pos = _positive_column(y, scores, positive, classes)
    _require_both(is_pos, "ROC AUC")
    return _auc(_Ranking(column, is_pos))


def _prep_tpr_at_fpr(y_true, scores, *, positive, fpr=0.01, classes=None):
    column, is_pos = _positive_column(y_true, scores, positive, classes, default=False)
    _require_both(is_pos, "The true-positive rate at a false-positive rate")
    n_neg = int((~is_pos).sum())
    if 0 < fpr < 1.0 / n_neg:
        warnings.warn(
            f"Only {n_neg} victims lack the positive value, so the smallest non-zero "
            f"false-positive rate observed is {1.0 / n_neg:.3g} > fpr={fpr}; the "
            "true-positive rate is interpolated from the operating points at rates "
            f"0 and {1.0 / n_neg:.3g}. Evaluate on at least {int(np.ceil(1 / fpr))} "
            "such victims for a measured value.",
            UserWarning,
            stacklevel=5,  # the caller of the public metric
        )
    ranking = _Ranking(column, is_pos)

    def evaluate(idx):
        pos, neg = ranking.blocks(idx)
        zero = np.zeros((idx.shape[0], 1))
        tp = np.hstack([zero, np.cumsum(pos, axis=1)])
        fp = np.hstack([zero, np.cumsum(neg, axis=1)])
        tpr, rate = _ratio(tp, tp[:, -1:], np.nan), _ratio(fp, fp[:, -1:], np.nan)
        rows = np.arange(idx.shape[0])
        after = np.argmax(rate > fpr, axis=1)  # first operating point past fpr
        found = rate[rows, after] > fpr
        before = np.maximum(after - 1, 0)  # last point at or below fpr (its top)
        x0, x1 = rate[rows, before], rate[rows, after]
        y0, y1 = tpr[rows, before], tpr[rows, after]
        step = _ratio(fpr - x0, x1 - x0, 0.0)
        out = np.where(found, y0 + step * (y1 - y0), tpr[:, -1])
        return np.where((tp[:, -1] > 0) & (fp[:, -1] > 0), out, np.nan)

    return evaluate


def _resolve_k(k, n):
    scalar = np.ndim(k) == 0
    items = [k] if scalar else np.asarray(k, dtype=object).ravel().tolist()
    if not items:
        raise ValueError("k is an empty list; pass at least one k.")
    counts = []
    for item in items:
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, Real):
            raise TypeError(f"k must be an int, a float or a list of them; got {k!r}.")
        if isinstance(item, Integral):
            if not 1 <= item <= n:
                raise ValueError(
                    f"k={item} victims is out of range: there are {n} victims. Pass "
                    "an int in [1, n_victims] or a float fraction in (0, 1]."
                )
            counts.append(int(item))
        elif 0 < item <= 1:
            counts.append(max(1, round(float(item) * n)))
        else:
            raise ValueError(
                f"k={item} is a float outside (0, 1]: a float k is the fraction of "
                "victims to rank first. Pass an int for a count."
            )
    return counts, scalar


def _prep_ppv_at_k(y_true, scores, *, positive, k, classes=None):
    column, is_pos = _positive_column(y_true, scores, positive, classes, default=False)
    counts, scalar = _resolve_k(k, column.shape[0])
    if not is_pos.any():
        warnings.warn(
            f"No victim holds positive={positive!r}: the precision is 0. Check the "
            "value of positive.",
            UndefinedMetricWarning,
            stacklevel=5,  # the caller of the public metric
        )
    ranking = _Ranking(column, is_pos)

    def evaluate(idx):
        pos, neg = ranking.blocks(idx)
        size = pos + neg
        cum_size, cum_pos = np.cumsum(size, axis=1), np.cumsum(pos, axis=1)
        rows = np.arange(idx.shape[0])
        out = np.empty((idx.shape[0], len(counts)))
        for i, count in enumerate(counts):
            block = np.argmax(cum_size >= count - 1e-9, axis=1)  # holds the k-th
            taken = count - (cum_size[rows, block] - size[rows, block])
            share = taken / size[rows, block]  # random order inside the tied block
            before = cum_pos[rows, block] - pos[rows, block]
            out[:, i] = (before + share * pos[rows, block]) / count
        return out[:, 0] if scalar else out

    return evaluate


@validate_params(
    {
        "y_true": ["array-like"],
        "y_score": ["array-like"],
        "classes": ["array-like", None],
        "positive": "no_validation",
    },
    prefer_skip_nested_validation=True,
)
def attack_roc_auc(y_true, y_score, *, classes=None, positive=None):
    """Area under the ROC curve of the attack's posterior of the sensitive value.

    The probability that a random victim holding the positive value gets a higher
    score than a random victim who does not (ties count one half). 0.5 is chance,
    higher is a stronger attack. A constant posterior (the prior) scores 0.5.

    Parameters
    ----------
    y_true : array-like of shape (n_victims,)
        True sensitive values.
    y_score : array-like of shape (n_victims,) or (n_victims, n_values)
        A score of ``positive`` per victim, or the attack's ``predict_proba(X)``.
    classes : array-like of shape (n_values,), default=None
        The value each column of a 2-D ``y_score`` is about (``attack.classes_``).
        If None, the sorted distinct values of ``y_true``, which must then be as
        many as the columns.
    positive : object, default=None
        With a 2-D ``y_score``: the value scored against all others (its column).
        If None, a two-column ``y_score`` uses its second column (the area is the
        same for either column of a two-value posterior), and more columns give the
        one-vs-rest area averaged over the values present in ``y_true`` (macro).
        With a 1-D ``y_score``, required unless ``y_true`` is 0/1 or False/True.

    Returns
    -------
    auc : float
        In [0, 1].

    Examples
    --------
    >>> from skinvert.metrics import attack_roc_auc
    >>> attack_roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> proba = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4], [0.5, 0.4, 0.1]]
    >>> attack_roc_auc(["a", "b", "c", "a"], proba, classes=["a", "b", "c"])
    1.0
    """
    return _value(_prep_roc_auc, y_true, y_score, classes=classes, positive=positive)


@validate_params(
    {
        "y_true": ["array-like"],
        "scores": ["array-like"],
        "positive": "no_validation",
        "fpr": [Interval(Real, 0, 1, closed="both")],
        "classes": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def tpr_at_fpr(y_true, scores, *, positive, fpr=0.01, classes=None):
    """True-positive rate of the attack at a low false-positive rate.

    Victims are flagged as holding ``positive`` when their score exceeds a
    threshold; this is the fraction of holders flagged when a fraction ``fpr`` of
    non-holders is (Carlini et al., "Membership Inference Attacks From First
    Principles", S&P 2022). Higher is a stronger attack; chance is ``fpr``.

    The ROC curve is built from every distinct score. Between two operating points
    it is linearly interpolated: the rate a randomised threshold attains in
    expectation, not an optimistic pick. Tied scores form one step, never split in
    the attack's favour. Measuring ``fpr`` needs at least ``1 / fpr`` victims
    without the positive value; with fewer, a warning says the value is
    interpolated from the two lowest operating points.

    Parameters
    ----------
    y_true : array-like of shape (n_victims,)
        True sensitive values.
    scores : array-like of shape (n_victims,) or (n_victims, n_values)
        The attack's posterior (or any score) of ``positive``, or its full
        ``predict_proba(X)`` with ``classes``.
    positive : object
        The sensitive value the attack tries to detect.
    fpr : float, default=0.01
        False-positive rate, in [0, 1].
    classes : array-like of shape (n_values,), default=None
        The value of each column of a 2-D ``scores`` (``attack.classes_``).

    Returns
    -------
    tpr : float

    Examples
    --------
    >>> from skinvert.metrics import tpr_at_fpr
    >>> y = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1]
    >>> scores = [0.1, 0.2, 0.3, 0.4, 0.45, 0.6, 0.7, 0.8, 0.5, 0.9]
    >>> tpr_at_fpr(y, scores, positive=1, fpr=0.125)
    0.5
    >>> tpr_at_fpr(y, scores, positive=1, fpr=0.375)
    1.0
    """
    return _value(
        _prep_tpr_at_fpr, y_true, scores, positive=positive, fpr=fpr, classes=classes
    )


@validate_params(
    {
        "y_true": ["array-like"],
        "scores": ["array-like"],
        "positive": "no_validation",
        "k": "no_validation",
        "classes": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def ppv_at_k(y_true, scores, *, positive, k, classes=None):
    """Precision among the ``k`` victims the attack is most confident hold ``positive``.

    Sensitive value inference (Jayaraman & Evans, "Are Attribute Inference Attacks
    Just Imputation?", CCS 2022): an attacker ranks victims by the posterior of
    the sensitive value and only accuses the top ``k``. Higher is a stronger
    attack; chance is the base rate of ``positive``. Victims tied at the cut-off
    are taken in random order: their expected contribution is used.

    Parameters
    ----------
    y_true : array-like of shape (n_victims,)
        True sensitive values.
    scores : array-like of shape (n_victims,) or (n_victims, n_values)
        The attack's posterior of ``positive``, or its ``predict_proba(X)`` with
        ``classes``.
    positive : object
        The sensitive value whose holders the attacker looks for.
    k : int, float or list of them
        An int is a number of victims in ``[1, n_victims]``; a float in (0, 1] is a
        fraction of the victims (rounded to the nearest count, at least 1). A list
        returns one precision per entry.
    classes : array-like of shape (n_values,), default=None
        The value of each column of a 2-D ``scores`` (``attack.classes_``).

    Returns
    -------
    ppv : float or ndarray of shape (len(k),)

    Examples
    --------
    >>> from skinvert.metrics import ppv_at_k
    >>> y = ["no", "yes", "no", "yes", "no"]
    >>> posterior_yes = [0.1, 0.9, 0.8, 0.7, 0.2]
    >>> ppv_at_k(y, posterior_yes, positive="yes", k=1)
    1.0
    >>> ppv_at_k(y, posterior_yes, positive="yes", k=[2, 0.6])
    array([0.5       , 0.66666667])
    """
    return _value(
        _prep_ppv_at_k, y_true, scores, positive=positive, k=k, classes=classes
    )
