"""White-box inversion of neural networks from their hidden neurons' outputs.

Jayaraman & Evans (CCS 2022, "Are attribute inference attacks just
imputation?"): the neurons of a trained network whose outputs correlate most
with the sensitive value betray it, for the records the network was trained on
more than for others. Here each candidate completion of a victim's record is
scored by those neurons' outputs, alone (:class:`NeuronOutputInversion`) or
multiplied with an imputation posterior (:class:`CombinedNeuronOutput`, the
paper's WB·IP).
"""

from numbers import Integral

import numpy as np
from scipy.sparse import issparse
from scipy.special import expit, logit
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline

from .._query import DEFAULT_BATCH_SIZE, DEFAULT_MAX_CANDIDATES, _complete, _take_rows
from ..base import BaseInversion
from ..utils._sklearn import Interval, StrOptions
from ._combined import (
    _COMBINED_ATTRIBUTES,
    _COMBINED_PARAMETERS,
    _CONSTRAINTS,
    _CV_PARAMETERS,
    _CombinedInversion,
)
from ._docstrings import _SHARED_ATTRIBUTES, _SHARED_PARAMETERS
from ._linear import _check_columnwise, _is_fitted
from ._whitebox import _unfreeze

_LEVELS = 1000  # quantile levels of each neuron's output (as QuantileTransformer)
_ACTIVATIONS = {
    "identity": lambda z: z,
    "logistic": expit,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
}


def split_mlp_target(target, attack_name="NeuronOutputInversion"):
    """The preprocessing steps and the MLPClassifier of a white-box target.

    Returns ``(steps, model, columnwise)``: ``columnwise`` tells whether every
    step maps each input column on its own (then the first layer's
    pre-activations are a per-victim base plus a per-candidate offset).

    Raises
    ------
    TypeError
        If the target is not an MLPClassifier or a Pipeline ending in one.
    """
    model, steps = _unfreeze(target), []
    while isinstance(model, Pipeline):
        steps.extend(_unfreeze(step) for _, step in model.steps[:-1])
        model = _unfreeze(model.steps[-1][1])
    if not isinstance(model, MLPClassifier) or not hasattr(model, "coefs_"):
        inner = (
            ""
            if model is _unfreeze(target)
            else (f" (a Pipeline ending in {type(model).__name__})")
        )
        raise TypeError(
            f"{attack_name} reads the hidden layers of a fitted MLPClassifier, but "
            f"the target is {type(_unfreeze(target)).__name__}{inner}. Supported "
            "targets: MLPClassifier, alone or as the last step of a Pipeline "
            "(optionally wrapped in FrozenEstimator). For linear models use "
            "LinearWhiteBoxInversion, for trees WhiteBoxTreeInversion."
        )
    columnwise = True
    for step in steps:
        try:
            _check_columnwise(step, target)
        except TypeError:
            columnwise = False
    return steps, model, columnwise


def _transform(steps, rows):
    for step in steps:
        if step is not None and not isinstance(step, str):
            rows = step.transform(rows)
    return rows


def _resolve_layers(layers, n_hidden):
    """Positions of the hidden layers to read, checked."""
    if n_hidden == 0:
        raise ValueError(
            "The target MLPClassifier has no hidden layer (hidden_layer_sizes=()); "
            "there are no neurons to read."
        )
    if layers is None:
        return list(range(n_hidden))
    chosen = [layers] if isinstance(layers, Integral) else list(layers)
    bad = [
        v
        for v in chosen
        if not isinstance(v, Integral) or not -n_hidden <= v < n_hidden
    ]
    if not chosen or bad:
        raise ValueError(
            f"layers must be None, or an int or list of ints indexing the target's "
            f"{n_hidden} hidden layer(s) (from 0, negative from the last); got "
            f"{layers!r}."
        )
    return sorted({int(v) % n_hidden for v in chosen})


_NEURON_CONSTRAINTS = {
    "n_neurons": [Interval(Integral, 1, None, closed="left")],
    "layers": [Integral, "array-like", None],
    "scoring": [StrOptions({"correlation", "logistic"})],
}


class _Network:
    """The target's hidden activations of every victim completed with each candidate."""

    def __init__(self, target, layers, attack_name):
        self.steps, self.model, self.columnwise = split_mlp_target(target, attack_name)
        self.layers = _resolve_layers(layers, len(self.model.coefs_) - 1)
        self.act = _ACTIVATIONS[self.model.activation]

    def _pre_activations(self, rows):
        rows = _transform(self.steps, rows)
        if not issparse(rows):
            try:
                rows = np.asarray(rows, dtype=float)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    "The completed records do not reach the network as numbers "
                    f"({exc}). Use candidates= the network takes, or a Pipeline "
                    "whose preprocessing encodes the sensitive column."
                ) from exc
        first = rows @ self.model.coefs_[0]
        return np.asarray(first, dtype=float) + self.model.intercepts_[0]

    def _hidden(self, z, select=None):
        """Outputs of the chosen hidden layers from the first layer's inputs.

        All of them, concatenated, or only the columns ``select`` of that
        concatenation (in that order).
        """
        sizes = [self.model.coefs_[i].shape[1] for i in self.layers]
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        outputs = {}
        h = self.act(z)
        for i in range(self.layers[-1] + 1):
            if i:
                h = self.act(h @ self.model.coefs_[i] + self.model.intercepts_[i])
            if i in self.layers:
                outputs[i] = h
        if select is None:
            return np.hstack([outputs[i] for i in self.layers])
        out = np.empty((z.shape[0], len(select)))
        layer = np.searchsorted(offsets, select, side="right") - 1
        for position, i in enumerate(self.layers):
            here = layer == position
            if here.any():
                out[:, here] = outputs[i][:, select[here] - offsets[position]]
        return out

    def by_candidate(self, records, columns, candidates, batch_size, select=None):
        """Yield ``(j, start, outputs)`` per candidate ``j`` and batch of victims.

        ``outputs`` has shape (n_batch, n_outputs): the hidden outputs of the
        victims ``start:start + n_batch`` completed with candidate ``j`` (only
        the columns ``select[j]`` when ``select`` is given).
        """
        n, k = records.shape[0], len(candidates)
        step = max(1, int(batch_size) // max(k, 1))
        chosen = [None] * k if select is None else select
        for a in range(0, n, step):
            batch = _take_rows(records, slice(a, min(a + step, n)))
            if self.columnwise:
                base = self._pre_activations(_complete(batch, columns, candidates[:1]))
                probe = _complete(_take_rows(records, slice(0, 1)), columns, candidates)
                probe = self._pre_activations(probe)
                for j in range(k):
                    z = base + (probe[j] - probe[0])
                    yield j, a, self._hidden(z, chosen[j])
            else:
                for j in range(k):
                    rows = _complete(batch, columns, candidates[j : j + 1])
                    yield j, a, self._hidden(self._pre_activations(rows), chosen[j])


def _correlations(outputs, truth):
    """Pearson correlation of each column of ``outputs`` with the 0/1 ``truth``."""
    centred = outputs - outputs.mean(axis=0)
    t = truth - truth.mean()
    scale = np.sqrt((centred**2).sum(axis=0) * (t**2).sum())
    cov = t @ centred
    return np.divide(cov, scale, out=np.zeros_like(cov), where=scale > 0)


def _fit_logistic(features, truth, base):
    """``(coef, intercept)`` of a ridge logistic regression of ``truth`` (0/1).

    With a single class in ``truth`` the log-odds are the constant ``logit(base)``.
    """
    if truth.min() == truth.max():
        return np.zeros(features.shape[1]), float(logit(base))
    model = LogisticRegression(C=1.0).fit(features, truth)
    return model.coef_[0], float(model.intercept_[0])


def _quantiles(values, levels):
    """Per column: its distinct quantile values and their mean levels.

    Interpolating on them maps a value to ``[0, 1]``; a value shared by several
    quantiles (e.g. the zero of a ReLU) gets the middle of their levels.
    """
    table = []
    for column in np.quantile(values, levels, axis=0).T:
        nodes, where = np.unique(column, return_inverse=True)
        means = np.bincount(where, weights=levels) / np.bincount(where)
        table.append((nodes, means))
    return table


def _to_uniform(x, table):
    """Each column of ``x`` mapped through its quantile table to [0, 1]."""
    out = np.empty_like(x)
    for j, (nodes, means) in enumerate(table):
        out[:, j] = np.interp(x[:, j], nodes, means)
    return out


def neuron_model(evidence, codes, k, scoring="correlation"):
    """The neurons' score and its calibration, learned from auxiliary outputs.

    ``evidence`` has shape (n, k, m): the m selected neurons of candidate ``v``
    read on each record completed with ``v``. For each candidate: quantiles of
    each neuron, the correlation weights, and a logistic regression of
    ``[true value == v]`` on the paper's score (``scoring="correlation"``) or on
    the neurons' quantile levels (``scoring="logistic"``).
    """
    n, _, m = evidence.shape
    levels = np.linspace(0.0, 1.0, min(_LEVELS, n))
    truth = (codes[:, None] == np.arange(k)).astype(float)
    base = np.clip(truth.mean(axis=0), 1e-6, 1 - 1e-6)
    quantiles, weights, coefs, intercepts = [], [], [], []
    for j in range(k):
        q = _quantiles(evidence[:, j], levels)
        u = _to_uniform(evidence[:, j], q)
        corr = _correlations(u, truth[:, j])
        total = np.abs(corr).sum()
        w = corr / total if total > 0 else np.full(m, 1.0 / m)
        features = _features(u, w, scoring)
        coef, intercept = _fit_logistic(features, truth[:, j], base[j])
        quantiles.append(q)
        weights.append(w)
        coefs.append(coef)
        intercepts.append(intercept)
    return {
        "scoring": scoring,
        "levels": levels,
        "quantiles": quantiles,
        "weights": np.array(weights),
        "coefs": coefs,
        "intercepts": np.array(intercepts),
        "base_logit": logit(base),
    }


def _features(uniform, weights, scoring):
    if scoring == "logistic":
        return uniform
    return _score(uniform, weights)[:, None]


def _score(uniform, weights):
    """Correlation-weighted mean of the outputs' quantile levels (sign-aware)."""
    # sum_j w+_j u_j + w-_j (1 - u_j), with w = w+ - w-
    return uniform @ weights + np.clip(-weights, 0.0, None).sum()


def neuron_log_ratio(evidence, model):
    """Log-likelihood ratio of "the truth is v" from the neurons, shape (n, k)."""
    n, k, _ = evidence.shape
    log_odds = np.empty((n, k))
    for j in range(k):
        u = _to_uniform(evidence[:, j], model["quantiles"][j])
        features = _features(u, model["weights"][j], model["scoring"])
        log_odds[:, j] = features @ model["coefs"][j]
    return log_odds + model["intercepts"] - model["base_logit"]


class _NeuronMixin:
    """Neuron selection on the auxiliary data and the victims' selected outputs."""

    _threat_model = "white-box"

    def _supports_target(self, target):
        """Whether ``target`` is an MLP this attack reads (for the audit)."""
        try:
            split_mlp_target(target)
        except TypeError:
            return False
        return True

    def _network(self):
        return _Network(self.target, self.layers, type(self).__name__)

    def _check_target(self):
        if _is_fitted(self.target):  # None or unfitted: the base's clear errors
            self._network()
        super()._check_target()

    def _select_neurons(self, records, codes):
        network = self._network()
        k = len(self.candidates_)
        truth = (codes[:, None] == np.arange(k)).astype(float)
        parts = {}
        for j, a, out in network.by_candidate(
            records, self.sensitive_indices_, self.candidates_, self.batch_size
        ):
            parts.setdefault(j, []).append((a, out))
        neurons, corrs = [], []
        for j in range(k):
            ordered = sorted(parts[j], key=lambda part: part[0])
            outputs = np.concatenate([o for _, o in ordered])
            corr = _correlations(outputs, truth[:, j])
            m = min(self.n_neurons, corr.shape[0])
            top = np.argsort(-np.abs(corr), kind="stable")[:m]
            neurons.append(top)
            corrs.append(corr[top])
        self.n_hidden_neurons_ = int(outputs.shape[1])
        self.layers_ = network.layers
        self.neurons_ = np.array(neurons)
        self.correlations_ = np.array(corrs)

    def _neuron_outputs(self, records):
        """Selected outputs of every victim at every candidate, (n, k, n_neurons)."""
        network = self._network()
        n, k = records.shape[0], len(self.candidates_)
        out = np.empty((n, k, self.neurons_.shape[1]))
        for j, a, hidden in network.by_candidate(
            records,
            self.sensitive_indices_,
            self.candidates_,
            self.batch_size,
            select=self.neurons_,
        ):
            out[a : a + hidden.shape[0], j] = hidden
        return out


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
        + _SHARED_PARAMETERS.replace(
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
        .replace(_SHARED_PARAMETERS[_SHARED_PARAMETERS.index("    n_jobs :") :], "")
        + _NEURON_PARAMETERS
        + _SHARED_ATTRIBUTES.replace(
            "Target queries (completed records) made per victim: ``n_candidates``.",
            "Target queries per victim: 0 (the network is read, not queried).",
        )
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
        + _SHARED_PARAMETERS.replace(
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
        .replace(
            "Parallel jobs for the queries", "Parallel jobs for the cross-validation"
        )
        .replace(_SHARED_PARAMETERS[_SHARED_PARAMETERS.index("    verbose :") :], "")
        + _NEURON_PARAMETERS
        + _COMBINED_PARAMETERS
        + _CV_PARAMETERS
        + _SHARED_ATTRIBUTES.replace(
            "Target queries (completed records) made per victim: ``n_candidates``.",
            "Target queries per victim: 0 (the network is read, not queried).",
        )
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
        cv=5,
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
