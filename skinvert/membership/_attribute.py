"""Attribute inference through membership (Yeom et al., CSF 2018)."""

import numpy as np
from scipy.special import expit

from .._docstrings import _SHARED_ATTRIBUTES, _SHARED_PARAMETERS
from .._query import DEFAULT_BATCH_SIZE, DEFAULT_MAX_CANDIDATES, query_target
from ..base import BaseInversion
from ..utils._sklearn import StrOptions
from ._base import logit_confidence


class MembershipAttributeInference(BaseInversion):
    __doc__ = (
        """Infer the sensitive value whose completed record looks most like a member.

    Yeom, Giacomelli, Fredrikson & Jha (CSF 2018), the reduction from membership
    to attribute inference: complete the victim's record with each candidate
    value, ask a membership test whether the completed record was a training
    member, and infer the candidate it finds most member-like. The membership test
    is the loss test: the logit-scaled confidence ``phi_v`` of the target in the
    victim's known label, compared with the attacker's records (``fit``'s ``X``,
    taken as non-members): ``m_v = sigmoid((phi_v - t) / s)``, with ``t`` and ``s``
    the median and spread of ``phi`` on the auxiliary records with their true
    values. The posterior is ``prior(v) * m_v`` normalised (``prior="uniform"``
    drops the prior). On a victim that was a training member, the true value
    restores the record the target memorised, so the attack's accuracy on members
    above non-members measures memorisation.

    Threat model: black-box access to ``predict_proba``; the attacker knows the
    victim's other input columns and its true label (``label`` is required).
"""
        + _SHARED_PARAMETERS
        + """    prior : {"empirical", "uniform"}, default="empirical"
        Prior over the candidates.
"""
        + _SHARED_ATTRIBUTES
        + """    threshold_ : float
        ``t``: the median of ``phi`` on the auxiliary records.
    scale_ : float
        ``s``: the spread (standard deviation) of ``phi`` there.

    See Also
    --------
    skinvert.attacks.FredriksonInversion : Prior times the confidence itself.
    LossThresholdAttack : The membership test on records.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skinvert.datasets import make_sensitive_classification
    >>> from skinvert.membership import MembershipAttributeInference
    >>> X, y = make_sensitive_classification(n_samples=600, leak=3, random_state=0)
    >>> target = RandomForestClassifier(random_state=0).fit(X[:300], y[:300])
    >>> view = np.column_stack([X, y])
    >>> attack = MembershipAttributeInference(target, sensitive=0, label=X.shape[1])
    >>> attack.fit(view[300:], X[300:, 0]).predict(view[:4]).shape
    (4,)
    """
    )

    _needs_label = True
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

    def _fit(self, records, codes, labels):
        truth = self._fill(records, self.candidates_[codes])
        proba = query_target(
            self.target,
            truth,
            batch_size=self.batch_size,
            n_jobs=self.n_jobs,
        )
        phi = logit_confidence(proba, labels)
        self.threshold_ = float(np.median(phi))
        spread = float(np.std(phi))
        self.scale_ = spread if spread > 0 else 1.0
        self.n_fit_queries_ = records.shape[0]

    def _posterior(self, records, labels):
        answers = self._query(records)  # (n, k, n_classes)
        phi = logit_confidence(np.swapaxes(answers, 0, 1), labels)  # (k, n)
        member = expit((phi.T - self.threshold_) / self.scale_)
        return self._times_prior(member)
