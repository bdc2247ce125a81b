"""Decision rules chosen on the attacker's own data: per-candidate biases.

A posterior that ranks victims well can still decide badly: the MAP decision of
:class:`FredriksonInversion` on a skewed attribute is the majority value for
almost every victim (the prior decides), whatever the target's confidences
say. Adding a bias ``b_v`` to each candidate's log-posterior and deciding by
``argmax_v log P(v) + b_v`` moves the decision along the ranking; the biases
are chosen to maximise the requested metric on records whose truth the
attacker knows (held-out auxiliary records, shadow models' records), never on
victims. ``predict_proba`` is left as it is: only ``predict`` changes.
"""

import numpy as np

DECISIONS = ("accuracy", "balanced_accuracy")
_N_THRESHOLDS = 64
_SWEEPS = 2

DECISION_PARAMETER = """    decision : str or ("f1", value), default="accuracy"
        What ``predict`` optimises: ``"accuracy"``, ``"balanced_accuracy"``
        or ``("f1", value)``. ``"accuracy"`` decides by the maximum of the
        posterior. ``"balanced_accuracy"`` and ``("f1", value)`` (F1 of the
        sensitive value ``value``) add a bias per candidate to the log-posterior,
        chosen in ``fit`` to maximise that metric on records whose truth the
        attacker knows (never on victims); ``predict_proba`` is unchanged.
"""

DECISION_ATTRIBUTE = """    decision_bias_ : ndarray of shape (n_candidates,)
        Bias added to each candidate's log-posterior before ``predict`` takes
        the maximum (zeros for ``decision="accuracy"``).
"""


def check_decision(decision, classes):
    """The positive class position for ``("f1", value)``, None otherwise.

    Raises
    ------
    ValueError
        If ``decision`` is not one of the accepted forms or names a value that is
        not a candidate.
    """
    if isinstance(decision, str) and decision in DECISIONS:
        return None
    if (
        isinstance(decision, tuple)
        and len(decision) == 2
        and isinstance(decision[0], str)
        and decision[0] == "f1"
    ):
        matches = np.flatnonzero(np.asarray(classes == decision[1], dtype=bool))
        if matches.size != 1:
            raise ValueError(
                f"decision={decision!r} asks for the F1 of value {decision[1]!r}, "
                f"which is not a candidate; candidates are {classes.tolist()}."
            )
        return int(matches[0])
    raise ValueError(
        "decision must be 'accuracy', 'balanced_accuracy' or a pair ('f1', value) "
        f"with value a candidate of the sensitive attribute; got {decision!r}."
    )


def argmax_with_prior(scores, prior):
    """Position of each row's maximum, ties broken by the larger prior."""
    top = scores.max(axis=1, keepdims=True)
    tied = scores >= top - 1e-12
    return np.argmax(np.where(tied, prior + 1.0, 0.0), axis=1)


def _scores(predicted, codes, k, positive):
    """The metric of each row of ``predicted`` (shape (m, n)) against ``codes``."""
    if positive is None:  # balanced accuracy over the values present
        present = np.flatnonzero(np.bincount(codes, minlength=k))
        recalls = [(predicted[:, codes == v] == v).mean(axis=1) for v in present]
        return np.mean(recalls, axis=0)
    said = predicted == positive
    truth = codes == positive
    hits = (said & truth).sum(axis=1)
    total = said.sum(axis=1) + truth.sum()
    return np.divide(2.0 * hits, total, out=np.zeros(len(hits)), where=total > 0)


def _sweep_one(log_proba, bias, j, codes, positive, prior):
    """Best bias of candidate ``j`` (the others fixed) and its score."""
    shifted = log_proba + bias
    others = np.delete(shifted, j, axis=1)
    other_best = np.delete(np.arange(shifted.shape[1]), j)[
        argmax_with_prior(others, np.delete(prior, j))
    ]
    gap = others.max(axis=1) - log_proba[:, j]  # j wins where b_j > gap
    finite = gap[np.isfinite(gap)]
    if finite.size == 0:
        return bias[j], None
    cuts = np.unique(np.quantile(finite, np.linspace(0, 1, _N_THRESHOLDS)))
    # midpoints between the cut points, and beyond both ends
    values = np.concatenate(
        [[cuts[0] - 1.0], (cuts[:-1] + cuts[1:]) / 2, [cuts[-1] + 1.0], [bias[j]]]
    )
    wins = values[:, None] > gap[None, :]
    predicted = np.where(wins, j, other_best[None, :])
    scores = _scores(predicted, codes, log_proba.shape[1], positive)
    # the current value wins ties, so a sweep never makes things worse
    best = len(values) - 1
    if scores.max() > scores[best] + 1e-12:
        best = int(np.argmax(scores))
    return values[best], scores[best]


def choose_bias(proba, codes, decision, classes, prior):
    """Per-candidate log-posterior biases that maximise ``decision`` on known data.

    Parameters
    ----------
    proba : ndarray of shape (n_records, n_candidates)
        Posteriors of records whose true values the attacker knows (held-out
        auxiliary records, shadow records), never victims.
    codes : ndarray of shape (n_records,)
        Their true candidate positions.
    decision : str or tuple
        See :func:`check_decision`.
    classes : ndarray of shape (n_candidates,)
        The candidates.
    prior : ndarray of shape (n_candidates,)
        Tie-break order of the candidates.

    Returns
    -------
    bias : ndarray of shape (n_candidates,)
        Zeros for ``"accuracy"``; otherwise coordinate ascent over one bias per
        candidate (the first is held at 0 for a binary attribute), from
        ``-log(frequency)`` (the Bayes rule of balanced accuracy for a
        calibrated posterior) or from zero, whichever scores better.
    """
    k = proba.shape[1]
    positive = check_decision(decision, classes)
    bias = np.zeros(k)
    if decision == "accuracy" or k < 2 or len(codes) == 0:
        return bias
    with np.errstate(divide="ignore"):
        log_proba = np.log(proba)
    frequency = np.bincount(codes, minlength=k) / len(codes)
    with np.errstate(divide="ignore"):
        start = np.where(frequency > 0, -np.log(frequency), 0.0)
    start -= start[0]
    starts = np.stack([bias, start])
    predicted = np.stack([argmax_with_prior(log_proba + b, prior) for b in starts])
    bias = starts[int(np.argmax(_scores(predicted, codes, k, positive)))].copy()
    free = range(1, k) if k == 2 else range(k)
    if positive is not None:
        free = [positive]
    for _ in range(_SWEEPS):
        for j in free:
            bias[j] = _sweep_one(log_proba, bias, j, codes, positive, prior)[0]
    return bias


class DecisionMixin:
    """``predict`` by the maximum of ``log predict_proba + decision_bias_``.

    Estimators set ``decision_bias_`` in ``fit`` with :func:`choose_bias`.
    """

    def _best(self, proba):
        bias = getattr(self, "decision_bias_", None)
        if bias is None or not np.any(bias):
            return argmax_with_prior(proba, self.prior_)
        with np.errstate(divide="ignore"):
            return argmax_with_prior(np.log(proba) + bias, self.prior_)
