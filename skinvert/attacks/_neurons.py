"""White-box inversion of neural networks from their hidden neurons' outputs.

Jayaraman & Evans (CCS 2022, "Are attribute inference attacks just
imputation?"): the neurons of a trained network whose outputs correlate most
with the sensitive value betray it, for the records the network was trained on
more than for others. Here each candidate completion of a victim's record is
scored by those neurons' outputs, alone (:class:`NeuronOutputInversion`) or
multiplied with an imputation posterior (:class:`CombinedNeuronOutput`, the
paper's WB·IP).
"""

import numpy as np

from .._docstrings import _SHARED_ATTRIBUTES, _SHARED_PARAMETERS
from .._query import DEFAULT_BATCH_SIZE, DEFAULT_MAX_CANDIDATES
from ..base import BaseInversion
from ._combined_base import (
    _COMBINED_ATTRIBUTES,
    _COMBINED_PARAMETERS,
    _CONSTRAINTS,
    _CV_PARAMETERS,
    _CombinedInversion,
)
from ._neuron_model import (
    _NEURON_CONSTRAINTS,
    _Network,
    _NeuronMixin,
    neuron_log_ratio,
    neuron_model,
    split_mlp_target,
)

_NEURON_PARAMETERS = """    n_neurons : int, default=10
        Neurons kept per candidate value: those whose outputs correlate most (in
        absolute value) with the sensitive value on the auxiliary data.
    layers : int, list of int or None, default=None
        Hidden layers searched for the neurons (0 is the first; negative counts
        from the last). ``None``: every hidden layer.
    scoring : {"correlation", "logistic"}, default="correlation"
        ``"correlation"``: the paper's score, the correlation-weighted mean of
        the neurons' quantile levels, calibrated by a logistic regression;
        ``"logistic"``: a logistic regression on the levels themselves (more
        flexible; needs more auxiliary records per neuron).
"""

_NEURON_ATTRIBUTES = """    layers_ : list of int
        The hidden layers read.
    n_hidden_neurons_ : int
        Number of neurons in those layers.
    neurons_ : ndarray of shape (n_candidates, n_neurons)
        Per candidate, the selected neurons (positions in the concatenated
        outputs of ``layers_``).
    correlations_ : ndarray of shape (n_candidates, n_neurons)
        Their correlations with ``[sensitive value == candidate]`` on the
        auxiliary records completed with that candidate.
"""

_METHOD = """
    For each candidate value ``v`` of the sensitive attribute, every auxiliary
    record is completed with ``v`` and passed through the target's hidden
    layers (read from ``coefs_`` and ``intercepts_``, vectorised over all
    records); the ``n_neurons`` neurons whose outputs correlate most with
    ``[true value == v]`` are kept. As in the paper, each neuron's output is
    mapped to ``[0, 1]`` by its quantiles on the auxiliary data and the score
    of the completion ``x_v`` is the correlation-weighted mean of these levels
    (a negatively correlated neuron enters as ``1 - level``; the paper keeps
    the positively correlated ones). The paper thresholds this score for one
    value; to compare candidates, a logistic regression of ``[true value ==
    v]`` on the score, fitted on the auxiliary data, turns it into the
    log-likelihood ratio ``L(v)`` of "the victim holds ``v``".
"""


_NEURON_CALIBRATION = """
    **Calibration, on the auxiliary data only.** ``fit`` chooses ``T`` and
    whether the imputer sees the known label by cross-validation on the
    auxiliary data, as the other combined attacks do: each grid point is scored
    by the held-out log-likelihood of the true value, the imputer and the
    neurons' quantiles, weights and logistic calibration cross-fitted (the
    neurons themselves are selected once, on all the auxiliary records);
    near-ties are settled by ``tolerance``. The grid holds ``T = inf``, where
    the attack is the imputation posterior, so it is not worse than imputation
    on records like the auxiliary ones (non-members) beyond ``tolerance``
    standard errors of held-out log-likelihood.
"""


def _whitebox_cost(name):
    return f"""
    Threat model: white-box access to the fitted network's weights; the
    attacker knows the victim's other input columns. No ``predict_proba`` is
    called (``queries_per_victim_`` is 0). The work per victim is ``k``
    passes through the hidden layers up to the last one read; when the
    Pipeline's preprocessing is column-wise (scalers, encoders, or a
    ColumnTransformer of them) the first layer's inputs are one product per
    victim plus one offset per candidate, so the ``n * k`` completed records
    are never built. Otherwise each candidate's completed records are
    transformed by the preceding steps, ``batch_size`` at a time.
    {name} reads ``MLPClassifier`` targets only.
"""


# the shared parameters and attributes, as they read for an attack that reads
# the network instead of querying it
_NETWORK_PARAMETERS = (
    _SHARED_PARAMETERS.replace(
        """    target : classifier
        The fitted model under attack, exposing ``predict_proba`` and ``classes_``.""",
        """    target : classifier
        The fitted MLPClassifier under attack, or a Pipeline ending in one.""",
    )
    .replace(
        "attack accepts; each costs one target query per victim.",
        "attack accepts.",
    )
    .replace(
        "Maximum number of completed records per target query (bounds memory).",
        "Completed records passed through the network at once (bounds memory).",
    )
)
_NETWORK_ATTRIBUTES = _SHARED_ATTRIBUTES.replace(
    "Target queries (completed records) made per victim: ``n_candidates``.",
    "Target queries per victim: 0 (the network is read, not queried).",
)


class NeuronOutputInversion(_NeuronMixin, BaseInversion):
    __doc__ = (
        """White-box neuron-output attack on an MLPClassifier (Jayaraman & Evans).

    Jayaraman & Evans (CCS 2022) show that white-box access to a neural
    network reveals sensitive values of its training records that imputation
    cannot: a few hidden neurons encode the value.
"""
        + _METHOD
        + """
    The posterior is ``prior(v) * exp(L(v))`` normalised over the candidates.
    The known label, if given, is not used (as in the paper): where the value
    shows only through the label, this attack sees nothing of it; use
    :class:`CombinedNeuronOutput`, whose imputer sees the label. ``fit`` holds
    the hidden outputs of the auxiliary records at every candidate in memory
    (``n_aux * k * n_hidden_neurons`` floats).
"""
        + _whitebox_cost("NeuronOutputInversion")
        + _NETWORK_PARAMETERS.replace(
            _SHARED_PARAMETERS[_SHARED_PARAMETERS.index("    n_jobs :") :], ""
        )
        + _NEURON_PARAMETERS
        + _NETWORK_ATTRIBUTES
        + _NEURON_ATTRIBUTES
        + """
    Raises
    ------
    TypeError
        In ``fit``, if the target is not an MLPClassifier or a Pipeline ending
        in one.
    ValueError
        In ``fit``, if ``layers`` does not index hidden layers of the target.

    See Also
    --------
    CombinedNeuronOutput : The same evidence times an imputation posterior.
    LinearWhiteBoxInversion : White-box attack on linear models.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neural_network import MLPClassifier
    >>> from skinvert.attacks import NeuronOutputInversion
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(n_samples=600, leak=3, random_state=0)
    >>> target = MLPClassifier((16,), max_iter=300, random_state=0)
    >>> target = target.fit(X[:300], y[:300])
    >>> attack = NeuronOutputInversion(target, sensitive=0, n_neurons=4)
    >>> attack = attack.fit(X[300:], X[300:, 0])
    >>> attack.neurons_.shape, attack.queries_per_victim_
    ((2, 4), 0)
    >>> attack.predict_proba(X[:3]).shape
    (3, 2)
    """
    )

    _parameter_constraints: dict = {
        **{
            key: value
            for key, value in BaseInversion._parameter_constraints.items()
            if key not in ("n_jobs", "verbose")
        },
        **_NEURON_CONSTRAINTS,
    }

    def __init__(
        self,
        target=None,
        *,
        sensitive=0,
        label=None,
        candidates=None,
        max_candidates=DEFAULT_MAX_CANDIDATES,
        n_neurons=10,
        layers=None,
        scoring="correlation",
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
        self.n_neurons = n_neurons
        self.layers = layers
        self.scoring = scoring

    def _fit(self, records, codes, labels):
        self._select_neurons(records, codes)
        evidence = self._neuron_outputs(records)
        self._model_ = neuron_model(evidence, codes, len(self.classes_), self.scoring)
        self.queries_per_victim_ = 0

    def _posterior(self, records, labels):
        ratio = neuron_log_ratio(self._neuron_outputs(records), self._model_)
        ratio -= ratio.max(axis=1, keepdims=True)
        return self.prior_ * np.exp(ratio)


class CombinedNeuronOutput(_NeuronMixin, _CombinedInversion):
    __doc__ = (
        """Neuron-output evidence times an imputation posterior (WB·IP).

    Jayaraman & Evans (CCS 2022) combine their white-box neuron-output attack
    with imputation from the known features ("WB·IP"), their strongest attack:
    about 0.93-0.96 precision among the 100 victims ranked most likely to hold
    a value on Texas-100X, against 0.75-0.88 for imputation alone.
"""
        + _METHOD
        + """
    Each candidate then scores ``P_imp(v | x[, y]) * exp(L(v) / T)``, normalised
    over the candidates, with ``T`` a temperature (``inf``: the imputation
    posterior alone).
"""
        + _NEURON_CALIBRATION
        + _whitebox_cost("CombinedNeuronOutput")
        + _NETWORK_PARAMETERS.replace(
            "Parallel jobs for the queries", "Parallel jobs for the cross-validation"
        ).replace(_SHARED_PARAMETERS[_SHARED_PARAMETERS.index("    verbose :") :], "")
        + _NEURON_PARAMETERS
        + _COMBINED_PARAMETERS
        + _CV_PARAMETERS
        + _NETWORK_ATTRIBUTES
        + _NEURON_ATTRIBUTES
        + _COMBINED_ATTRIBUTES.replace(
            "The smoothing in use.", "Always 0 (no smoothing here)."
        )
        + """
    Raises
    ------
    TypeError
        In ``fit``, if the target is not an MLPClassifier or a Pipeline ending
        in one.

    See Also
    --------
    NeuronOutputInversion : The neuron evidence with the marginal prior.
    ImputationBaseline : The imputation posterior alone.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.neural_network import MLPClassifier
    >>> from skinvert.attacks import CombinedNeuronOutput
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(
    ...     n_samples=600, leak=2, feature_dependence=2, random_state=0)
    >>> target = MLPClassifier((16,), max_iter=300, random_state=0)
    >>> target = target.fit(X[:300], y[:300])
    >>> attack = CombinedNeuronOutput(
    ...     target, sensitive=0, n_neurons=4, imputer=LogisticRegression(), cv=3,
    ...     random_state=0)
    >>> attack.fit(X[300:], X[300:, 0]).predict_proba(X[:2]).shape
    (2, 2)
    >>> bool(attack.temperature_ in attack.cv_results_["temperature"])
    True
    """
    )

    _parameter_constraints: dict = {
        **{
            key: value
            for key, value in BaseInversion._parameter_constraints.items()
            if key != "verbose"
        },
        **{key: value for key, value in _CONSTRAINTS.items() if key != "smoothing"},
        **_NEURON_CONSTRAINTS,
    }

    def __init__(
        self,
        target=None,
        *,
        sensitive=0,
        label=None,
        candidates=None,
        max_candidates=DEFAULT_MAX_CANDIDATES,
        n_neurons=10,
        layers=None,
        scoring="correlation",
        imputer=None,
        label_in_prior="auto",
        temperature="auto",
        cv=3,
        tolerance=1.0,
        decision="accuracy",
        random_state=None,
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
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
            cv=cv,
            tolerance=tolerance,
            decision=decision,
            random_state=random_state,
            batch_size=batch_size,
            n_jobs=n_jobs,
        )
        self.n_neurons = n_neurons
        self.layers = layers
        self.scoring = scoring

    def _smoothing_grid(self):
        return (0.0,)

    def _fit(self, records, codes, labels):
        self._select_neurons(records, codes)
        super()._fit(records, codes, labels)
        self.queries_per_victim_ = 0

    def _evidence(self, records, labels):
        return self._neuron_outputs(records)

    def _evidence_model(self, evidence, codes, labels, smoothing):
        return neuron_model(evidence, codes, len(self.classes_), self.scoring)

    def _log_evidence(self, evidence, labels, smoothing, model):
        return neuron_log_ratio(evidence, model)


__all__ = [
    "CombinedNeuronOutput",
    "NeuronOutputInversion",
    "_Network",
    "split_mlp_target",
]
