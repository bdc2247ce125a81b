"""Attacks that multiply the target's evidence with an imputation prior.

Jayaraman & Evans (CCS 2022, "Are attribute inference attacks just imputation?")
show that an attack on a model's answers is only worth its margin over imputation
from the known features, and that the strongest attacks combine the two. Here the
marginal prior of the Fredrikson, CSMIA and label-only MAP attacks is replaced by
an imputation model's posterior, and the target's factor is calibrated by
cross-validation on the auxiliary data so that overconfident targets (fully grown
trees answer 0 or 1) cannot drown the prior.
"""

from numbers import Real

import numpy as np

from .._docstrings import _SHARED_ATTRIBUTES, _SHARED_PARAMETERS
from .._query import DEFAULT_BATCH_SIZE, DEFAULT_MAX_CANDIDATES
from ..utils._sklearn import Interval, StrOptions
from ._combined_base import (
    _CALIBRATION,
    _COMBINED_ATTRIBUTES,
    _COMBINED_PARAMETERS,
    _CV_PARAMETERS,
    MATCH_TRUSTS,
    PSEUDO_COUNTS,
    SMOOTHINGS,
    TEMPERATURES,
    _CombinedInversion,
    _grid,
    _normalise,
)
from ._combined_label_only import CombinedLabelOnly
from ._confidence import _label_confidence, _top_class


class CombinedFredrikson(_CombinedInversion):
    __doc__ = (
        """Fredrikson's MAP inversion with an imputation model as the prior.

    Jayaraman & Evans (CCS 2022) combine attacks on the target's answers with
    imputation from the known features (their "BB·IP" attacks). Fredrikson's
    score ``prior(v) * f(x_v)[y]`` (:class:`FredriksonInversion`) takes the
    sensitive value independent of the known features; here the marginal prior
    becomes an imputer's posterior and each candidate ``v`` scores

        ``P_imp(v | x[, y]) * g(f(x_v)[y])``,  normalised over the candidates,

    with ``g(p) = ((p + a) / (1 + C a)) ** (1 / T)`` a smoothed, tempered
    confidence: fully grown trees answer 0 or 1, which would overrule any
    prior. Members gain what the target memorised of them. Without a known
    label, the confidence of the target's top class stands in for ``f(x_v)[y]``.
"""
        + _CALIBRATION
        + """
    Threat model: black-box access to ``predict_proba``; the attacker knows the
    victim's other input columns and, optionally, its true label.
"""
        + _SHARED_PARAMETERS
        + _COMBINED_PARAMETERS
        + """    smoothing : "auto", float or array-like of float, default="auto"
        ``a`` in ``g``, added to every confidence so that a 0 answer cannot veto
        a candidate. ``"auto"`` picks from ``(0.001, 0.01, 0.1, 0.5)`` jointly
        with the temperature.
"""
        + _CV_PARAMETERS
        + _SHARED_ATTRIBUTES
        + _COMBINED_ATTRIBUTES
        + """
    See Also
    --------
    FredriksonInversion : The same score with the marginal prior.
    ImputationBaseline : The prior alone, no access to the target.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvert.attacks import CombinedFredrikson
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(
    ...     n_samples=600, leak=2, feature_dependence=2, random_state=0)
    >>> target = RandomForestClassifier(random_state=0).fit(X[:300], y[:300])
    >>> view = np.column_stack([X, y])        # the attacker knows the label too
    >>> attack = CombinedFredrikson(
    ...     target, sensitive=0, label=X.shape[1], imputer=LogisticRegression(),
    ...     cv=3, random_state=0)
    >>> attack.fit(view[300:], X[300:, 0]).predict_proba(view[:2]).shape
    (2, 2)
    >>> bool(attack.temperature_ in attack.cv_results_["temperature"])
    True
    """
    )

    def _evidence(self, records, labels):
        return self._query(records)

    def _log_evidence(self, answers, labels, smoothing, model):
        if labels is None:
            confidence = _top_class(answers)[1]
        else:
            confidence = _label_confidence(answers, labels)
        c = answers.shape[2]
        with np.errstate(divide="ignore"):
            return np.log((confidence + smoothing) / (1.0 + c * smoothing))


class CombinedCSMIA(CombinedFredrikson):
    __doc__ = (
        """CSMIA's case rules, ties and misses decided by an imputation prior.

    Mehnaz et al. (USENIX Security 2022) complete the victim's record with each
    candidate and keep the candidates that make the target predict the victim's
    known label (see :class:`CSMIA`). Following Jayaraman & Evans (CCS 2022),
    the rules here fall back on imputation where CSMIA guesses:

    - exactly one candidate reproduces the label: infer it;
    - several do: infer the one of them with the highest combined posterior
      ``q(v)`` of :class:`CombinedFredrikson` (the imputer's posterior times the
      calibrated confidence in the label; the imputation posterior alone when
      the chosen temperature is ``inf``);
    - none does: infer the candidate with the highest ``q(v)``.

    ``predict_proba`` is a soft version of these rules: on a victim with
    matching candidates, a share ``t`` (the *match trust*) of the mass goes to
    them in proportion to ``q`` and ``1 - t`` follows ``q`` over all
    candidates; with no match it is ``q``. With ``t >= 1/2`` a single match
    always wins (the rules above); ``t = 0`` is :class:`CombinedFredrikson`.
    ``t`` is cross-validated with the calibration of ``q`` on the auxiliary
    data, so the rules are only trusted as far as they are right on records
    like the auxiliary ones: a near-perfect imputer is not overridden by a
    single-match rule that is wrong more often than it. It ranks victims for
    ROC analysis but is not calibrated.

    Threat model: black-box access to ``predict_proba``; the attacker knows the
    victim's other input columns and its true label (``label`` is required).
    ``fit`` queries the target on every auxiliary record completed with every
    candidate.
"""
        + _SHARED_PARAMETERS
        + _COMBINED_PARAMETERS
        + """    smoothing : "auto", float or array-like of float, default="auto"
        ``a`` in ``g`` (see :class:`CombinedFredrikson`).
    match_trust : "auto", float in [0, 1] or array-like of float, default="auto"
        ``t``, the share of the posterior the case rules give to the
        label-reproducing candidates. ``"auto"`` picks from
        ``(0, 0.25, 0.5, 0.75, 0.95)`` jointly with the rest of the grid.
"""
        + _CV_PARAMETERS
        + _SHARED_ATTRIBUTES
        + _COMBINED_ATTRIBUTES
        + """    match_trust_ : float
        The match trust in use.

    See Also
    --------
    CSMIA : The case rules with confidence tie-breaks.
    CombinedFredrikson : The combined posterior ``q``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvert.attacks import CombinedCSMIA
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(
    ...     n_samples=600, leak=2, feature_dependence=2, random_state=0)
    >>> target = RandomForestClassifier(random_state=0).fit(X[:300], y[:300])
    >>> view = np.column_stack([X, y])
    >>> attack = CombinedCSMIA(
    ...     target, sensitive=0, label=X.shape[1], imputer=LogisticRegression(),
    ...     cv=3, random_state=0)
    >>> attack.fit(view[300:], X[300:, 0]).predict(view[:3]).shape
    (3,)
    >>> bool(0 <= attack.match_trust_ <= 1)
    True
    """
    )

    _needs_label = True
    _finish_needs_evidence = True
    _parameter_constraints: dict = {
        **_CombinedInversion._parameter_constraints,
        "match_trust": [
            StrOptions({"auto"}),
            Interval(Real, 0, 1, closed="both"),
            "array-like",
        ],
    }

    def __init__(
        self,
        target=None,
        *,
        sensitive=0,
        label=None,
        candidates=None,
        max_candidates=DEFAULT_MAX_CANDIDATES,
        imputer=None,
        label_in_prior="auto",
        temperature="auto",
        smoothing="auto",
        match_trust="auto",
        cv=3,
        tolerance=1.0,
        decision="accuracy",
        random_state=None,
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
            imputer=imputer,
            label_in_prior=label_in_prior,
            temperature=temperature,
            smoothing=smoothing,
            cv=cv,
            tolerance=tolerance,
            decision=decision,
            random_state=random_state,
            batch_size=batch_size,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.match_trust = match_trust

    def _finish_grid(self):
        trusts = _grid(self.match_trust, "match_trust", MATCH_TRUSTS, low_closed=True)
        if max(trusts) > 1:
            raise ValueError(
                "match_trust must be 'auto', a number in [0, 1] or a non-empty list "
                f"of such numbers; got {self.match_trust!r}."
            )
        return trusts

    def _finish_results(self, grid):
        return {"match_trust": np.array([g[3] for g in grid])}

    def _fit(self, records, codes, labels):
        super()._fit(records, codes, labels)
        self.match_trust_ = self._finish_setting_

    def _finish(self, scores, answers, labels, trust):
        q = _normalise(scores)
        match = _top_class(answers)[0] == labels[:, None]
        n_match = match.sum(axis=1, keepdims=True)
        on_match = np.where(match, q, 0.0)
        mass = on_match.sum(axis=1, keepdims=True)
        spread = np.divide(match, n_match, out=np.zeros_like(q), where=n_match > 0)
        on_match = np.divide(on_match, mass, out=spread, where=mass > 0)
        rules = trust * on_match + (1.0 - trust) * q
        return np.where(n_match > 0, rules, q)


__all__ = [
    "MATCH_TRUSTS",
    "PSEUDO_COUNTS",
    "SMOOTHINGS",
    "TEMPERATURES",
    "CombinedCSMIA",
    "CombinedFredrikson",
    "CombinedLabelOnly",
]
