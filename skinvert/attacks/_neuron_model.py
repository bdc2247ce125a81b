"""The networks read by the neuron-output attacks: hidden outputs and neuron scoring.

Jayaraman & Evans (CCS 2022): the split of an ``MLPClassifier`` target into its
preprocessing and layers, the hidden outputs of each candidate completion, the
choice of the neurons most correlated with the sensitive value on the auxiliary
data, and the per-candidate log-ratios they give (used by :mod:`._neurons`).
"""

from numbers import Integral

import numpy as np
from scipy.sparse import issparse
from scipy.special import expit, logit
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline

from .._query import _complete, _take_rows
from ..utils._sklearn import Interval, StrOptions
from ._linear_target import _check_columnwise, _is_fitted, _transform
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
