"""Empirical lower bounds on a training algorithm's differential privacy epsilon.

An ``(epsilon, delta)``-DP algorithm bounds every attack: for any membership test,
``TPR <= e^epsilon FPR + delta`` and ``TNR <= e^epsilon FNR + delta``. An attack's
measured rates on planted canaries therefore give a lower bound on the epsilon
the algorithm really has; a bound above the declared epsilon is a bug.
"""

import math
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy.optimize import brentq
from scipy.stats import beta, binom

from ..utils._sklearn import Interval, validate_params
from ._base import check_membership


def clopper_pearson(successes, trials, *, confidence=0.95):
    """Exact two-sided binomial confidence interval (Clopper & Pearson, 1934).

    Parameters
    ----------
    successes : int
        Number of successes.
    trials : int
        Number of trials (> 0).
    confidence : float, default=0.95
        Coverage of the interval.

    Returns
    -------
    low, high : float

    Examples
    --------
    >>> from skinvert.membership import clopper_pearson
    >>> low, high = clopper_pearson(5, 10)
    >>> round(low, 3), round(high, 3)
    (0.187, 0.813)
    """
    if trials <= 0:
        raise ValueError(f"trials must be positive; got {trials}.")
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be in [0, trials={trials}]; got {successes}.")
    alpha = 1.0 - confidence
    low = beta.ppf(alpha / 2, successes, trials - successes + 1) if successes else 0.0
    high = (
        beta.ppf(1 - alpha / 2, successes + 1, trials - successes)
        if successes < trials
        else 1.0
    )
    return float(low), float(high)


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "delta": [Interval(Real, 0, 1, closed="left")],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def epsilon_lower_bound(y_true, y_pred, *, delta=0.0, confidence=0.95):
    """Lower bound on epsilon from a membership test's decisions on canaries.

    Jagielski, Ullman & Oprea, "Auditing Differentially Private Machine Learning:
    How Private is Private SGD?" (NeurIPS 2020). Each canary is one trial: a model
    trained with (``y_true = 1``) or without it (0), and the attack's decision
    ``y_pred``. With Clopper-Pearson bounds on the rates, each at
    ``1 - (1 - confidence) / 4`` so that all four hold together at ``confidence``,

    ``epsilon >= max(log((TPR_lo - delta) / FPR_hi), log((TNR_lo - delta) / FNR_hi))``

    holds with probability ``confidence`` for an ``(epsilon, delta)``-DP
    training algorithm, provided the trials are independent (one training run
    per canary) and the decision rule was fixed before seeing them.

    Parameters
    ----------
    y_true : array-like of shape (n_trials,)
        1 where the canary was in the training set, 0 where it was not.
    y_pred : array-like of shape (n_trials,)
        The attack's decision (1: member).
    delta : float, default=0.0
        The ``delta`` of the guarantee under test.
    confidence : float, default=0.95
        Probability that the bound holds.

    Returns
    -------
    epsilon_lb : float
        0.0 when the attack does no better than chance.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvert.membership import epsilon_lower_bound
    >>> truth = np.r_[np.ones(500, int), np.zeros(500, int)]
    >>> perfect = truth.copy()
    >>> round(epsilon_lower_bound(truth, perfect), 2)
    4.73
    """
    y = check_membership(y_true, np.asarray(y_true).shape[0], name="y_true")
    guess = check_membership(y_pred, y.shape[0], name="y_pred")
    n_in, n_out = int((y == 1).sum()), int((y == 0).sum())
    if n_in == 0 or n_out == 0:
        raise ValueError(
            "y_true needs trials with and without the canary (1 and 0); got only "
            f"{'1' if n_out == 0 else '0'}."
        )
    tp, fp = int(guess[y == 1].sum()), int(guess[y == 0].sum())
    # four one-sided bounds, each failing with probability (1 - confidence) / 4
    one_sided = 1.0 - (1.0 - confidence) / 2.0
    tpr_lo, _ = clopper_pearson(tp, n_in, confidence=one_sided)
    _, fpr_hi = clopper_pearson(fp, n_out, confidence=one_sided)
    tnr_lo, _ = clopper_pearson(n_out - fp, n_out, confidence=one_sided)
    _, fnr_hi = clopper_pearson(n_in - tp, n_in, confidence=one_sided)
    bounds = [0.0]
    for lo, hi in ((tpr_lo, fpr_hi), (tnr_lo, fnr_hi)):
        if lo - delta > 0 and hi > 0:
            bounds.append(math.log((lo - delta) / hi))
    return float(max(bounds))


@validate_params(
    {
        "n_guesses": [Interval(Integral, 0, None, closed="left")],
        "n_correct": [Interval(Integral, 0, None, closed="left")],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def one_run_epsilon(n_guesses, n_correct, *, confidence=0.95):
    """Lower bound on epsilon from guesses on canaries of a single training run.

    Steinke, Nasr & Jagielski, "Privacy Auditing with One (1) Training Run"
    (NeurIPS 2023), pure-DP case: ``m`` canaries are each included in the
    training set with probability 1/2, independently; the attacker guesses the
    inclusion of ``n_guesses`` of them (abstaining on the rest). For an
    ``epsilon``-DP algorithm the number of correct guesses is stochastically
    dominated by ``Binomial(n_guesses, e^epsilon / (1 + e^epsilon))``, so every
    epsilon under which ``n_correct`` or more correct guesses has probability
    below ``1 - confidence`` is rejected. The bound is the largest rejected one.

    Parameters
    ----------
    n_guesses : int
        Guesses made (the number of canaries not abstained on).
    n_correct : int
        Correct guesses among them.
    confidence : float, default=0.95
        Probability that the bound holds.

    Returns
    -------
    epsilon_lb : float

    Examples
    --------
    >>> from skinvert.membership import one_run_epsilon
    >>> one_run_epsilon(100, 50)
    0.0
    >>> round(one_run_epsilon(100, 95), 2)
    2.17
    """
    if n_correct > n_guesses:
        raise ValueError(
            f"n_correct={n_correct} exceeds n_guesses={n_guesses}; it counts the "
            "correct guesses among them."
        )
    level = 1.0 - confidence

    def excess(eps):  # tail probability minus the level: increasing in eps
        p = 1.0 / (1.0 + math.exp(-eps))
        return binom.sf(n_correct - 1, n_guesses, p) - level

    if n_guesses == 0 or excess(0.0) >= 0:
        return 0.0
    high = 1.0
    while excess(high) < 0 and high < 100:
        high *= 2
    if excess(high) < 0:
        return float(high)
    return float(brentq(excess, 0.0, high, xtol=1e-6))


@dataclass(frozen=True)
class DPAuditResult:
    """An empirical epsilon lower bound next to the declared epsilon.

    Attributes
    ----------
    epsilon_lower_bound : float
        The bound, holding with probability ``confidence``.
    epsilon_declared : float or None
        What the training algorithm claims (``None`` if unknown).
    secret : str
        ``"membership"`` or ``"attribute"``.
    n_canaries : int
        Canaries planted.
    n_guesses : int
        Guesses made (canaries not abstained on).
    n_correct : int
        Correct guesses.
    confidence : float
        Probability that the bound holds.
    """

    epsilon_lower_bound: float
    epsilon_declared: float | None
    secret: str
    n_canaries: int
    n_guesses: int
    n_correct: int
    confidence: float

    @property
    def violated(self):
        """True when the bound exceeds the declared epsilon (a privacy bug)."""
        return (
            self.epsilon_declared is not None
            and self.epsilon_lower_bound > self.epsilon_declared
        )
