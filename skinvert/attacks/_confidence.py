"""Black-box attacks that read the target's confidences on completed records.

Fredrikson et al.'s inversion (categorical and continuous variants side by side)
and Mehnaz et al.'s confidence-score attack, CSMIA.
"""

from numbers import Integral

import numpy as np

from .._docstrings import (
    _COMMON_ATTRIBUTES,
    _COMMON_PARAMETERS,
    _PRIOR_PARAMETER,
    _QUERY_PARAMETERS,
    _SHARED_ATTRIBUTES,
    _SHARED_PARAMETERS,
)
from .._query import DEFAULT_BATCH_SIZE, DEFAULT_MAX_CANDIDATES
from ..base import BaseContinuousInversion, BaseInversion
from ..utils._sklearn import Interval, StrOptions

_FEW_CLASSES = 16


def _label_confidence(answers, labels):
    """Confidence each completed record gets for the victim's known label.

    ``answers`` has shape (n, k, n_classes) and ``labels`` (n,) class positions.
    """
    n_classes = answers.shape[2]
    if n_classes > _FEW_CLASSES:
        return np.take_along_axis(answers, labels[:, None, None], axis=2)[:, :, 0]
    out = answers[:, :, 0].copy()
    for j in range(1, n_classes):
        rows = labels == j
        out[rows] = answers[rows, :, j]
    return out


def _top_class(answers):
    """Position and confidence of each answer's top class (first one on ties).

    The same as ``answers.argmax(axis=2)`` and ``answers.max(axis=2)``.
    """
    n_classes = answers.shape[2]
    if n_classes > _FEW_CLASSES:
        return answers.argmax(axis=2), answers.max(axis=2)
    top = answers[:, :, 0].copy()
    position = np.zeros(top.shape, dtype=np.intp)
    for j in range(1, n_classes):
        column = answers[:, :, j]
        better = column > top
        np.copyto(top, column, where=better)
        position[better] = j
    return position, top


class FredriksonInversion(BaseInversion):
    __doc__ = (
        """Black-box inversion by maximum a posteriori over the candidates.

    Fredrikson, Jha & Ristenpart (CCS 2015): for each candidate value ``v`` of the
    sensitive attribute, complete the victim's record with ``v`` and query the
    target; score ``v`` by ``prior(v) * f(x_v)[y]``, the prior learned from the
    auxiliary data times the target's confidence in the victim's known label ``y``.
    Normalised, the scores are the posterior ``P(v | known features, y)`` when the
    target's confidences are calibrated and ``v`` is independent of the known
    features. Without a known label (``label=None``) the target's confidence in its
    own top class stands in for ``f(x_v)[y]``, as the paper discusses.

    Threat model: black-box access to ``predict_proba``; the attacker knows the
    victim's other input columns and, optionally, its true label.
"""
        + _SHARED_PARAMETERS
        + _PRIOR_PARAMETER
        + _SHARED_ATTRIBUTES
        + """
    See Also
    --------
    CSMIA : Case rules on the target's predicted labels and confidences.
    ImputationBaseline : The reference that uses no access to the target.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skinvert.attacks import FredriksonInversion
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(n_samples=600, leak=3, random_state=0)
    >>> target = RandomForestClassifier(random_state=0).fit(X[:300], y[:300])
    >>> import numpy as np
    >>> view = np.column_stack([X, y])        # the attacker knows the label too
    >>> attack = FredriksonInversion(target, sensitive=0, label=X.shape[1])
    >>> attack.fit(view[300:], X[300:, 0]).predict(view[:5]).shape
    (5,)
    """
    )

    _parameter_constraints: dict = {
        **BaseInversion._parameter_constraints,
        "prior": [StrOptions({"empirical", "uniform"})],
    }

    def __init__(
        self,
        target=None,
        *,
        sensitive=0,
        label=None,
        candidates=None,
        max_candidates=DEFAULT_MAX_CANDIDATES,
        prior="empirical",
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
        verbose=0,
    ):
        super().__init__(
            target,
            sensitive=sensitive,
            label=label,
            candidates=candidates,
            max_candidates=max_candidates,
            batch_size=batch_size,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.prior = prior

    def _posterior(self, records, labels):
        answers = self._query(records)
        if labels is None:
            confidence = _top_class(answers)[1]
        else:
            confidence = _label_confidence(answers, labels)
        return self._times_prior(confidence)


class CSMIA(BaseInversion):
    __doc__ = (
        """Confidence-score model inversion attack (CSMIA).

    Mehnaz et al. (USENIX Security 2022): complete the victim's record with each
    candidate and query the target. If exactly one candidate makes the target
    predict the victim's known label, infer it; if several do, infer the one whose
    confidence in that label is highest; if none does, infer the one with the
    lowest confidence in its (wrong) prediction. Ties left by these rules go to the
    more frequent value in the auxiliary data.

    ``predict_proba`` returns the case-rule score normalised over the candidates:
    ``1 + f(x_v)[y]`` for candidates reproducing the label, ``1 - max f(x_v)`` for
    the others. Its argmax is the attack's decision and it ranks victims for ROC
    analysis; it is not calibrated.

    Threat model: black-box access to ``predict_proba``; the attacker knows the
    victim's other input columns and its true label (``label`` is required).
"""
        + _SHARED_PARAMETERS
        + _SHARED_ATTRIBUTES
        + """
    See Also
    --------
    FredriksonInversion : Prior times confidence in the known label.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skinvert.attacks import CSMIA
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(n_samples=600, leak=3, random_state=0)
    >>> target = RandomForestClassifier(random_state=0).fit(X[:300], y[:300])
    >>> view = np.column_stack([X, y])
    >>> attack = CSMIA(target, sensitive=0, label=X.shape[1])
    >>> attack.fit(view[300:], X[300:, 0]).predict_proba(view[:2]).shape
    (2, 2)
    """
    )

    _needs_label = True

    def _posterior(self, records, labels):
        answers = self._query(records)
        top_class, top_confidence = _top_class(answers)
        # where the label is reproduced, its confidence is the top confidence:
        # 1 + confidence in the label there, 1 - confidence in the top class elsewhere
        np.negative(
            top_confidence, out=top_confidence, where=top_class != labels[:, None]
        )
        top_confidence += 1.0
        return top_confidence


def _nearest_mass(sorted_values, nodes):
    """Fraction of ``sorted_values`` nearest to each node, for sorted nodes (n, k)."""
    middles = (nodes[:, 1:] + nodes[:, :-1]) / 2.0
    below = np.searchsorted(sorted_values, middles, side="left")
    n, total = nodes.shape[0], len(sorted_values)
    edges = np.hstack([np.zeros((n, 1)), below, np.full((n, 1), total)])
    return np.diff(edges, axis=1) / total


def _cell_widths(nodes, low, high):
    """Widths of the nearest-node cells of sorted nodes (n, k), within [low, high]."""
    middles = np.clip((nodes[:, 1:] + nodes[:, :-1]) / 2.0, low, high)
    n = nodes.shape[0]
    edges = np.hstack([np.full((n, 1), low), middles, np.full((n, 1), high)])
    return np.diff(edges, axis=1)


def _confidence(answers, labels):
    """Confidence in the known label, or in the top class without one."""
    if labels is None:
        return _top_class(answers)[1]
    return _label_confidence(answers, labels)


class FredriksonRegressor(BaseContinuousInversion):
    __doc__ = (
        """Black-box inversion of a continuous attribute over a refined grid.

    Fredrikson, Jha & Ristenpart (CCS 2015) over a grid. The grid holds the
    auxiliary values at the quantile levels ``(i + 1/2) / n_candidates``, or every
    distinct auxiliary value when there are at most ``n_candidates`` (the
    attribute is then treated as discrete). Each victim's record is completed
    with every grid value and the target queried; a value ``v`` scores
    ``prior(v) * f(x_v)[y]``, the target's confidence in the victim's known label
    ``y`` (its top confidence when ``label=None``), as in
    :class:`~skinvert.attacks.FredriksonInversion`.

    The prior comes from the auxiliary values: for a discrete attribute, each
    grid value's frequency; otherwise a piecewise-constant density, the fraction
    of auxiliary values nearest to a grid value over the width of that cell
    (within the auxiliary range). ``estimate="map"`` maximises density times
    confidence; ``estimate="mean"`` averages the nodes weighted by density,
    confidence and the width of each node's own cell.

    For a continuous attribute a second pass refines around each victim's best
    grid value: ``n_refine`` equally spaced points strictly between its two grid
    neighbours (the smallest or largest auxiliary value past an end of the grid)
    are queried in one more call for all victims at once, each victim with its
    own points, and join the grid values as that victim's nodes.

    Threat model: black-box access to ``predict_proba``; the attacker knows the
    victim's other input columns and, optionally, its true label.

    Parameters
    ----------"""
        + _COMMON_PARAMETERS
        + """
    candidates : array-like of shape (n_values,), default=None
        The grid, if given (numbers); ``n_candidates`` is then ignored.
    n_candidates : int, default=16
        Number of grid values drawn from the auxiliary quantiles.
    n_refine : int, default=8
        Refinement points per victim around its best grid value (0: no second
        pass).
    estimate : {"mean", "map"}, default="mean"
        ``"mean"``: the posterior mean over the nodes, the estimate of least
        expected squared error (what ``score``, R^2, rewards); ``"map"``: the node
        of highest posterior score (ties averaged), Fredrikson's choice, weaker
        when the known label is binary and the posterior flat."""
        + _QUERY_PARAMETERS
        + """
    Attributes
    ----------
    candidates_ : ndarray of shape (n_grid, 1)
        The grid values.
    prior_ : ndarray of shape (n_grid,)
        Fraction of auxiliary values nearest to each grid value (their
        frequencies for a discrete attribute).
    aux_values_ : ndarray of shape (n_records,)
        The auxiliary sensitive values, sorted (they weight the refined nodes).
    discrete_ : bool
        Whether every auxiliary value is a grid value (then the prior is a
        probability mass function and there is no second pass).
    n_refine_ : int
        Refinement points queried per victim (0 for a discrete attribute).
    target_classes_ : ndarray
        The target's ``classes_``."""
        + _COMMON_ATTRIBUTES
        + """

    See Also
    --------
    LearnedInversionRegressor : An attack model on the target's released answers.
    ImputationRegressor : The reference that uses no access to the target.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skinvert.attacks import FredriksonRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 4))          # column 0: the sensitive value
    >>> y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    >>> target = RandomForestClassifier(random_state=0).fit(X[:300], y[:300])
    >>> view = np.column_stack([X, y])        # the attacker knows the label too
    >>> attack = FredriksonRegressor(target, sensitive=0, label=4)
    >>> attack.fit(view[300:], X[300:, 0]).predict(view[:3]).shape
    (3,)
    >>> attack.queries_per_victim_
    24
    """
    )

    _parameter_constraints: dict = {
        **BaseContinuousInversion._parameter_constraints,
        "candidates": ["array-like", None],
        "n_candidates": [Interval(Integral, 1, None, closed="left")],
        "n_refine": [Interval(Integral, 0, None, closed="left")],
        "estimate": [StrOptions({"mean", "map"})],
    }

    def __init__(
        self,
        target=None,
        *,
        sensitive=0,
        label=None,
        candidates=None,
        n_candidates=16,
        n_refine=8,
        estimate="mean",
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
        verbose=0,
    ):
        super().__init__(
            target,
            sensitive=sensitive,
            label=label,
            batch_size=batch_size,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.candidates = candidates
        self.n_candidates = n_candidates
        self.n_refine = n_refine
        self.estimate = estimate

    def _grid(self, values):
        if self.candidates is not None:
            grid = np.asarray(self.candidates)
            if grid.ndim != 1 or grid.size == 0 or grid.dtype.kind not in "biuf":
                raise ValueError(
                    "candidates must be a non-empty 1-D array of numbers (the grid "
                    f"of values to try); got {self.candidates!r}."
                )
            if not np.isfinite(grid).all():
                raise ValueError("candidates contains NaN or infinite values.")
            return np.unique(grid.astype(np.float64))
        distinct = np.unique(values)
        if len(distinct) <= self.n_candidates:
            return distinct
        levels = (np.arange(self.n_candidates) + 0.5) / self.n_candidates
        return np.unique(np.quantile(values, levels, method="inverted_cdf"))

    def _fit(self, records, values, labels):
        self.aux_values_ = np.sort(values)
        grid = self._grid(values)
        self.candidates_ = grid.reshape(-1, 1)
        self.prior_ = _nearest_mass(self.aux_values_, grid[None, :])[0]
        self.discrete_ = bool(np.isin(self.aux_values_, grid).all())
        self.n_refine_ = 0 if self.discrete_ else self.n_refine
        self.queries_per_victim_ = len(grid) + self.n_refine_

    def _prior_weights(self, nodes):
        """Prior density at sorted nodes (n, k), and times each node's cell width."""
        grid, aux = self.candidates_[:, 0], self.aux_values_
        low, high = aux[0], aux[-1]
        widths = _cell_widths(grid[None, :], low, high)[0]
        density = np.divide(
            self.prior_, widths, out=np.zeros_like(self.prior_), where=widths > 0
        )
        inner = np.clip((grid[1:] + grid[:-1]) / 2.0, low, high)
        density = density[np.searchsorted(inner, nodes, side="right")]
        return density, density * _cell_widths(nodes, low, high)

    def _refine(self, records, labels, best, confidence):
        """Nodes and confidences after the second pass around the best grid value."""
        grid, aux = self.candidates_[:, 0], self.aux_values_
        lower = np.concatenate([aux[:1], grid[:-1]])[best]
        upper = np.concatenate([grid[1:], aux[-1:]])[best]
        steps = np.arange(1, self.n_refine_ + 1) / (self.n_refine_ + 1)
        fine = lower[:, None] + (upper - lower)[:, None] * steps
        answers = self._query(records, fine[:, :, None])
        nodes = np.hstack([np.broadcast_to(grid, confidence.shape), fine])
        confidence = np.hstack([confidence, _confidence(answers, labels)])
        order = np.argsort(nodes, axis=1, kind="stable")
        nodes = np.take_along_axis(nodes, order, axis=1)
        return nodes, np.take_along_axis(confidence, order, axis=1)

    def _estimate(self, records, labels):
        confidence = _confidence(self._query(records), labels)
        nodes = self.candidates_.T  # (1, k), broadcast over victims
        if self.discrete_:
            density = weight = self.prior_
        else:
            density, weight = self._prior_weights(nodes)
            if self.n_refine_:
                best = np.argmax(density * confidence, axis=1)
                nodes, confidence = self._refine(records, labels, best, confidence)
                density, weight = self._prior_weights(nodes)
        prior = density if self.estimate == "map" else weight
        scores = prior * confidence
        scores = np.where(scores.sum(axis=1, keepdims=True) > 0, scores, prior)
        if self.estimate == "mean":
            return (scores * nodes).sum(axis=1) / scores.sum(axis=1)
        tied = scores >= scores.max(axis=1, keepdims=True) * (1.0 - 1e-9)
        return (tied * nodes).sum(axis=1) / tied.sum(axis=1)
