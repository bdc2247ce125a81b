"""Metrics and scorers of membership attacks, on per-record membership scores.

Scores are what an attack's ``decision_function`` returns (higher: more likely a
member); ``y_true`` is the truth, 1 for members and 0 for non-members.
"""

from numbers import Real

import numpy as np
from sklearn.metrics import make_scorer

from ..metrics import attack_roc_auc, tpr_at_fpr
from ..utils._optional import import_optional
from ..utils._sklearn import Interval, validate_params
from ._base import check_membership

_PAIR_PARAMETERS = """y_true : array-like of shape (n_records,)
        1 for members, 0 for non-members.
    scores : array-like of shape (n_records,)
        Membership scores (higher: member)."""


def _pair_doc(function):
    """Fill ``{pair}`` in ``function``'s docstring with the two shared parameters."""
    function.__doc__ = function.__doc__.replace("{pair}", _PAIR_PARAMETERS)
    return function


def _pair(y_true, scores):
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1:
        raise ValueError(
            f"scores must be 1-D, one membership score per record; got shape "
            f"{scores.shape}. Pass attack.decision_function(X)."
        )
    if not np.isfinite(scores).all():
        raise ValueError("scores contains NaN or infinite values.")
    y = check_membership(y_true, scores.shape[0], name="y_true")
    if y.min() == y.max():
        raise ValueError(
            "y_true holds only "
            f"{'members' if y.min() == 1 else 'non-members'}; membership metrics "
            "need both."
        )
    return y, scores


@_pair_doc
def membership_roc_curve(y_true, scores):
    """False- and true-positive rates of every threshold on the scores.

    Parameters
    ----------
    {pair}

    Returns
    -------
    fpr, tpr : ndarray of shape (n_thresholds + 1,)
        From (0, 0) to (1, 1), thresholds in decreasing order.

    Examples
    --------
    >>> from skinvert.membership import membership_roc_curve
    >>> fpr, tpr = membership_roc_curve([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    >>> fpr.tolist(), tpr.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
    """
    y, scores = _pair(y_true, scores)
    cuts = np.unique(scores)[::-1]
    inside = np.sort(scores[y == 1])
    outside = np.sort(scores[y == 0])
    tpr = 1.0 - np.searchsorted(inside, cuts, side="left") / inside.size
    fpr = 1.0 - np.searchsorted(outside, cuts, side="left") / outside.size
    return np.r_[0.0, fpr], np.r_[0.0, tpr]


@_pair_doc
def membership_advantage(y_true, scores):
    """Membership advantage: the largest TPR - FPR over thresholds (Yeom et al.).

    0 is chance, 1 a perfect attack. Yeom et al. (CSF 2018) show that an
    ``epsilon``-DP model bounds it by ``e^epsilon - 1``.

    Parameters
    ----------
    {pair}

    Returns
    -------
    advantage : float

    Examples
    --------
    >>> from skinvert.membership import membership_advantage
    >>> membership_advantage([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    0.5
    """
    fpr, tpr = membership_roc_curve(y_true, scores)
    return float(np.max(tpr - fpr))


@_pair_doc
def membership_roc_auc(y_true, scores):
    """Area under the ROC curve of the membership scores (0.5 is chance).

    Parameters
    ----------
    {pair}

    Returns
    -------
    auc : float

    Examples
    --------
    >>> from skinvert.membership import membership_roc_auc
    >>> membership_roc_auc([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    0.75
    """
    y, scores = _pair(y_true, scores)
    return float(attack_roc_auc(y, scores, positive=1))


@validate_params(
    {
        "y_true": ["array-like"],
        "scores": ["array-like"],
        "fpr": [Interval(Real, 0, 1, closed="both")],
    },
    prefer_skip_nested_validation=True,
)
@_pair_doc
def membership_tpr_at_fpr(y_true, scores, *, fpr=0.01):
    """Fraction of members flagged when a fraction ``fpr`` of non-members is.

    Carlini et al. (S&P 2022) argue this low-FPR operating point, not the AUC, is
    what shows whether some records are confidently exposed. Built on
    :func:`skinvert.metrics.tpr_at_fpr` (interpolated, ties never split in the
    attack's favour). Chance is ``fpr``; measuring ``fpr`` needs at least
    ``1 / fpr`` non-members.

    Parameters
    ----------
    {pair}
    fpr : float, default=0.01
        The false-positive rate.

    Returns
    -------
    tpr : float

    Examples
    --------
    >>> from skinvert.membership import membership_tpr_at_fpr
    >>> membership_tpr_at_fpr([0, 0, 0, 0, 1, 1], [1, 2, 3, 4, 5, 0], fpr=0.0)
    0.5
    """
    y, scores = _pair(y_true, scores)
    return float(tpr_at_fpr(y, scores, positive=1, fpr=fpr))


def _scorer(function, **kwargs):
    return make_scorer(function, response_method="decision_function", **kwargs)


MEMBERSHIP_SCORERS = {
    "membership_roc_auc": _scorer(membership_roc_auc),
    "membership_advantage": _scorer(membership_advantage),
    "tpr_at_1pct_fpr": _scorer(membership_tpr_at_fpr, fpr=0.01),
    "tpr_at_0.1pct_fpr": _scorer(membership_tpr_at_fpr, fpr=0.001),
}


@_pair_doc
def plot_membership_roc(y_true, scores, *, ax=None, label=None):
    """ROC curve of membership scores on log-log axes (Carlini et al.'s view).

    Parameters
    ----------
    {pair}
    ax : matplotlib Axes, default=None
        Where to draw; a new figure if ``None``.
    label : str, default=None
        Legend label of the curve.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skinvert.membership import plot_membership_roc
    >>> ax = plot_membership_roc([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    >>> ax.get_xscale()
    'log'
    """
    plt = import_optional("matplotlib.pyplot", purpose="plot_membership_roc")
    fpr, tpr = membership_roc_curve(y_true, scores)
    if ax is None:
        _, ax = plt.subplots()
    floor = 1.0 / max(np.asarray(scores).shape[0], 1) / 10
    ax.plot(np.maximum(fpr, floor), np.maximum(tpr, floor), label=label)
    ax.plot([floor, 1], [floor, 1], linestyle=":", color="grey")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate")
    return ax
