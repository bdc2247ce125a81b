"""White-box inversion of linear models: the exact posterior without n * k queries.

A linear model's decision function is a sum over its input columns, so for a
victim completed with each candidate value ``v`` of the sensitive column it is
``decision(x_v0) + offset(v)``: one decision per victim (the record completed
with the first candidate) plus one offset per candidate, the same for every
victim. The confidences follow from the model's own link (sigmoid, softmax,
modified Huber, calibrators), and the black-box attacks' posteriors from them.
"""

import numpy as np

from .._docstrings import _PRIOR_PARAMETER, _SHARED_ATTRIBUTES, _SHARED_PARAMETERS
from .._query import DEFAULT_BATCH_SIZE, DEFAULT_MAX_CANDIDATES
from ..base import BaseInversion
from ..utils._sklearn import StrOptions
from ._confidence import FredriksonRegressor, _label_confidence, _top_class
from ._linear_target import (
    COLUMNWISE_TRANSFORMERS,
    SUPPORTED_LINEAR_MODELS,
    _is_fitted,
    linear_answers,
    split_linear_target,
)


class LinearWhiteBoxInversion(BaseInversion):
    __doc__ = (
        """White-box inversion of a linear model: the black-box posterior, exactly.

    A linear classifier's decision function is a sum of per-column terms (after
    column-wise preprocessing such as standard scaling or one-hot encoding), so
    completing a victim's record with candidate ``v`` of the sensitive attribute
    moves every victim's decision by the same offset: the decision at all
    ``k`` candidates is ``decision(x_v0) + offset(v)``. This attack reads the
    model (a white-box view) to compute the decisions of the ``n * k``
    completed records from ``n + k`` records through the model, applies the
    model's own link (sigmoid, softmax, modified Huber, or the calibrators of a
    :class:`~sklearn.calibration.CalibratedClassifierCV`, averaged over its
    calibrated classifiers) and then the posterior of a black-box attack:

    - ``evidence="fredrikson"``: Fredrikson, Jha & Ristenpart (CCS 2015),
      ``prior(v) * f(x_v)[y]`` (top confidence without a label), the posterior
      of :class:`FredriksonInversion` with the same ``prior``;
    - ``evidence="csmia"``: the case-rule score of Mehnaz et al.'s CSMIA (USENIX
      Security 2022), as :class:`CSMIA` (``label`` required).

    ``predict_proba`` equals the black-box attack's on the same target up to
    floating-point rounding (about ``1e-15``), with no completed records built
    and no target query: the work is one ``decision_function`` over the ``n``
    victims and one over ``k`` probe records per linear head (five heads for a
    default ``CalibratedClassifierCV``), then ``O(n k n_classes)`` arithmetic.

    Supported targets: """
        + SUPPORTED_LINEAR_MODELS
        + """. A Pipeline with another step (e.g. PCA, polynomial features)
    raises ``TypeError``.

    Threat model: white-box access to the fitted linear model; the attacker
    knows the victim's other input columns and, optionally (required for
    ``"csmia"``), its true label.
"""
        + _SHARED_PARAMETERS.replace(
            """    target : classifier
        The fitted model under attack, exposing ``predict_proba`` and ``classes_``.""",
            """    target : classifier
        The fitted linear model under attack (see the supported targets above).""",
        )
        .replace(
            "attack accepts; each costs one target query per victim.",
            "attack accepts.",
        )
        .replace(
            "Maximum number of completed records per target query (bounds memory).",
            "Victims whose decisions are computed at once (bounds memory).",
        )
        .replace(_SHARED_PARAMETERS[_SHARED_PARAMETERS.index("    n_jobs :") :], "")
        + """    evidence : {"fredrikson", "csmia"}, default="fredrikson"
        Which black-box posterior to compute from the confidences.
"""
        + _PRIOR_PARAMETER
        + """        Used by ``"fredrikson"`` only.
"""
        + _SHARED_ATTRIBUTES.replace(
            "Target queries (completed records) made per victim: ``n_candidates``.",
            "Target queries per victim: 0 (the model is read, not queried).",
        )
        + """
    Raises
    ------
    TypeError
        In ``fit``, if the target is not a supported linear model (the message
        names the supported types).
    ValueError
        In ``fit``, if ``evidence="csmia"`` and ``label`` is None.

    See Also
    --------
    FredriksonInversion : The black-box attack with the same posterior.
    CSMIA : The black-box case rules.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvert.attacks import FredriksonInversion, LinearWhiteBoxInversion
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(n_samples=600, leak=3, random_state=0)
    >>> target = LogisticRegression().fit(X[:300], y[:300])
    >>> view = np.column_stack([X, y])        # the attacker knows the label too
    >>> white = LinearWhiteBoxInversion(target, sensitive=0, label=X.shape[1])
    >>> black = FredriksonInversion(target, sensitive=0, label=X.shape[1])
    >>> p = white.fit(view[300:], X[300:, 0]).predict_proba(view[:300])
    >>> q = black.fit(view[300:], X[300:, 0]).predict_proba(view[:300])
    >>> bool(np.abs(p - q).max() < 1e-12), white.queries_per_victim_
    (True, 0)
    """
    )

    _parameter_constraints: dict = {
        **{
            key: value
            for key, value in BaseInversion._parameter_constraints.items()
            if key not in ("n_jobs", "verbose")
        },
        "evidence": [StrOptions({"fredrikson", "csmia"})],
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
        evidence="fredrikson",
        prior="empirical",
        batch_size=DEFAULT_BATCH_SIZE,
    ):
        super().__init__(
            target,
            sensitive=sensitive,
            label=label,
            candidates=candidates,
            max_candidates=max_candidates,
            batch_size=batch_size,
        )
        self.evidence = evidence
        self.prior = prior

    _threat_model = "white-box"

    @property
    def _needs_label(self):
        return self.evidence == "csmia"

    def _supports_target(self, target):
        """Whether ``target`` is a linear model this attack reads (for the audit)."""
        try:
            split_linear_target(target)
        except TypeError:
            return False
        return True

    def _check_target(self):
        if _is_fitted(self.target):  # None or unfitted: the base's clear errors
            split_linear_target(self.target)
        super()._check_target()

    def _fit(self, records, codes, labels):
        self.queries_per_victim_ = 0

    def _posterior(self, records, labels):
        answers = linear_answers(
            self.target, records, self.sensitive_indices_, self.candidates_
        )
        if self.evidence == "csmia":
            top_class, top_confidence = _top_class(answers)
            np.negative(
                top_confidence, out=top_confidence, where=top_class != labels[:, None]
            )
            top_confidence += 1.0
            return top_confidence
        if labels is None:
            confidence = _top_class(answers)[1]
        else:
            confidence = _label_confidence(answers, labels)
        return self._times_prior(confidence)


def _regressor_parameters():
    """FredriksonRegressor's Parameters and Attributes, read for this attack."""
    doc = FredriksonRegressor.__doc__
    text = doc[doc.index("    Parameters") : doc.index("    See Also")]
    text = text.replace(
        "The fitted model under attack, exposing ``predict_proba`` and ``classes_``.",
        "The fitted linear model under attack.",
    ).replace(
        "Maximum number of completed records per target query (bounds memory).",
        "Victims answered at once (bounds memory).",
    )
    start = text.index("    n_jobs :")
    end = text.index("    verbose :")
    unused = (
        "    n_jobs : int, default=None\n"
        "        Accepted for FredriksonRegressor's parameters; unused (the model is\n"
        "        read, not queried).\n"
    )
    return "\n" + text[:start] + unused + text[end:]


class LinearWhiteBoxRegressor(FredriksonRegressor):
    __doc__ = (
        """White-box inversion of a continuous attribute from a linear model.

    :class:`FredriksonRegressor`'s estimate (grid, prior, refinement, ``"mean"``
    or ``"map"``) with the target's confidences computed from the model as in
    :class:`LinearWhiteBoxInversion`, without building the completed records:
    the grid costs ``n + k`` records through the model, the refinement ``n + 3``
    (the decision must then be affine in the sensitive column: no preprocessing
    of it, or a scaler; otherwise ``TypeError`` in ``predict``, or use
    ``n_refine=0``). The estimates equal :class:`FredriksonRegressor`'s on the
    same target up to floating-point rounding. Supported targets: """
        + SUPPORTED_LINEAR_MODELS
        + """.

    Threat model: white-box access to the fitted linear model; the attacker
    knows the victim's other input columns and, optionally, its true label.
"""
        + _regressor_parameters()
        + """    Raises
    ------
    TypeError
        In ``fit``, if the target is not a supported linear model.

    See Also
    --------
    FredriksonRegressor : The black-box attack with the same estimate.
    LinearWhiteBoxInversion : The categorical attack.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvert.attacks import FredriksonRegressor, LinearWhiteBoxRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 4))          # column 0: the sensitive value
    >>> y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    >>> target = LogisticRegression().fit(X[:300], y[:300])
    >>> view = np.column_stack([X, y])
    >>> white = LinearWhiteBoxRegressor(target, sensitive=0, label=4)
    >>> black = FredriksonRegressor(target, sensitive=0, label=4)
    >>> a = white.fit(view[300:], X[300:, 0]).predict(view[:300])
    >>> b = black.fit(view[300:], X[300:, 0]).predict(view[:300])
    >>> bool(np.abs(a - b).max() < 1e-9), white.queries_per_victim_
    (True, 0)
    """
    )

    _threat_model = "white-box"

    def _supports_target(self, target):
        """Whether ``target`` is a linear model this attack reads (for the audit)."""
        return LinearWhiteBoxInversion._supports_target(self, target)

    def _check_target(self):
        if _is_fitted(self.target):
            split_linear_target(self.target)
        super()._check_target()

    def _fit(self, records, values, labels):
        super()._fit(records, values, labels)
        self.queries_per_victim_ = 0

    def _query(self, records, candidates=None):
        candidates = self.candidates_ if candidates is None else candidates
        return linear_answers(
            self.target, records, self.sensitive_indices_, np.asarray(candidates)
        )


__all__ = [
    "COLUMNWISE_TRANSFORMERS",
    "SUPPORTED_LINEAR_MODELS",
    "LinearWhiteBoxInversion",
    "LinearWhiteBoxRegressor",
    "linear_answers",
    "split_linear_target",
]
