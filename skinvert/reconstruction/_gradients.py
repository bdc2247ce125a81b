"""Analytic confidences and their input gradients, read from a target's parameters.

A white-box attacker who holds the target's parameters computes its confidences
``p(x)`` and the gradient of one class's confidence ``d p_c / d x`` without any
prediction query. :func:`analytic_model` recognises the models whose confidences
have a closed form in their parameters and returns a function
``forward(X, codes) -> (proba, grad)`` vectorised over the rows of ``X``.
"""

import warnings

import numpy as np
from scipy.special import expit, softmax
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)
from sklearn.svm import SVC

from ..defenses import QueryCounter

SUPPORTED = (
    "LogisticRegression, LogisticRegressionCV, DPLogisticRegression, "
    "MLPClassifier, binary SVC(kernel='linear', probability=True), alone or as the "
    "last step of a Pipeline whose earlier steps are StandardScaler, MinMaxScaler, "
    "MaxAbsScaler or RobustScaler (optionally wrapped in FrozenEstimator or "
    "QueryCounter)"
)


class UnsupportedGradientError(TypeError):
    """The target's confidences have no closed-form gradient here."""


def _unfreeze(model):
    """The model under ``FrozenEstimator`` and query counters (which pass answers
    through unchanged); output defenses are not unwrapped: they change answers."""
    while isinstance(model, (FrozenEstimator, QueryCounter)):
        model = model._wrapped() if isinstance(model, QueryCounter) else model.estimator
    return model


def _affine(step):
    """``(a, b)`` with ``step.transform(x) == a * x + b`` for a fitted scaler."""
    name = type(step).__name__
    if isinstance(step, StandardScaler):
        scale = step.scale_ if step.with_std else 1.0
        mean = step.mean_ if step.with_mean else 0.0
        scale = np.ones(step.n_features_in_) * scale
        return 1.0 / scale, -np.asarray(mean) / scale
    if isinstance(step, MinMaxScaler):
        if step.clip:
            raise UnsupportedGradientError(
                "MinMaxScaler(clip=True) is not an affine map, so its gradient is not "
                "available analytically; use gradient='finite_difference' or 'nes'."
            )
        return step.scale_, step.min_
    if isinstance(step, MaxAbsScaler):
        return 1.0 / step.scale_, np.zeros(step.n_features_in_)
    if isinstance(step, RobustScaler):
        scale = step.scale_ if step.with_scaling else np.ones(step.n_features_in_)
        center = step.center_ if step.with_centering else 0.0
        return 1.0 / scale, -np.asarray(center) / scale
    raise UnsupportedGradientError(
        f"The target's Pipeline has a {name} step, which is not an affine scaler, "
        f"so MIFace cannot differentiate through it. Analytic gradients support "
        f"{SUPPORTED}. Use gradient='finite_difference' or 'nes' (zero-order, "
        "counted queries) for this target."
    )


def _split(target):
    """The composed affine preprocessing ``(a, b)`` (or None) and the final model."""
    model, a, b = _unfreeze(target), None, None
    while isinstance(model, Pipeline):
        for _, step in model.steps[:-1]:
            step = _unfreeze(step)
            if step is None or step == "passthrough":
                continue
            sa, sb = _affine(step)
            a, b = (sa, sb) if a is None else (sa * a, sa * b + sb)
        model = _unfreeze(model.steps[-1][1])
    return (None if a is None else (a, b)), model


def _rows(proba, codes):
    return proba[np.arange(proba.shape[0]), codes]


def _logistic(model):
    W, b = np.asarray(model.coef_, float), np.asarray(model.intercept_, float)
    ovr = type(model).__name__ == "DPLogisticRegression" and W.shape[0] > 1

    def forward(X, codes):
        Z = X @ W.T + b
        if W.shape[0] == 1:  # binary: p1 = sigmoid(z)
            p1 = expit(Z[:, 0])
            proba = np.column_stack([1.0 - p1, p1])
            sign = np.where(codes == 1, 1.0, -1.0)
            return proba, (sign * p1 * (1.0 - p1))[:, None] * W[0]
        if ovr:  # one-vs-rest sigmoids normalised to sum to one
            s = expit(Z)
            total = s.sum(axis=1, keepdims=True)
            proba = s / total
            ds = s * (1.0 - s)  # d s_k / d z_k
            pc = _rows(proba, codes)
            dz = -pc[:, None] * ds
            dz[np.arange(len(codes)), codes] += _rows(ds, codes)
            return proba, (dz / total) @ W
        proba = softmax(Z, axis=1)
        pc = _rows(proba, codes)
        return proba, pc[:, None] * (W[codes] - proba @ W)

    return forward


_ACTIVATIONS = {
    "identity": (lambda z: z, lambda z, a: np.ones_like(z)),
    "logistic": (expit, lambda z, a: a * (1.0 - a)),
    "tanh": (np.tanh, lambda z, a: 1.0 - a**2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(z.dtype)),
}


def _mlp(model):
    if model.out_activation_ not in ("softmax", "logistic") or (
        model.out_activation_ == "logistic" and len(model.classes_) != 2
    ):
        raise UnsupportedGradientError(
            "MIFace differentiates single-label MLPClassifiers (softmax or binary "
            f"logistic output); this one has out_activation_="
            f"{model.out_activation_!r}. Use gradient='finite_difference' or 'nes'."
        )
    act, dact = _ACTIVATIONS[model.activation]
    coefs = [np.asarray(c, float) for c in model.coefs_]
    intercepts = [np.asarray(c, float) for c in model.intercepts_]

    def forward(X, codes):
        zs, acts = [], [X]
        for i, (W, b) in enumerate(zip(coefs, intercepts)):
            z = acts[-1] @ W + b
            zs.append(z)
            if i < len(coefs) - 1:
                acts.append(act(z))
        out = zs[-1]
        if model.out_activation_ == "logistic":
            p1 = expit(out[:, 0])
            proba = np.column_stack([1.0 - p1, p1])
            sign = np.where(codes == 1, 1.0, -1.0)
            delta = (sign * p1 * (1.0 - p1))[:, None]
        else:
            proba = softmax(out, axis=1)
            pc = _rows(proba, codes)
            delta = -pc[:, None] * proba
            delta[np.arange(len(codes)), codes] += pc
        for i in range(len(coefs) - 1, 0, -1):
            delta = (delta @ coefs[i].T) * dact(zs[i - 1], acts[i])
        return proba, delta @ coefs[0].T

    return forward


def _svc(model):
    if model.kernel != "linear" or not model.probability:
        raise UnsupportedGradientError(
            "MIFace differentiates SVC only with kernel='linear' and "
            f"probability=True; this one has kernel={model.kernel!r}, "
            f"probability={model.probability}. Use gradient='finite_difference' or "
            "'nes' (zero-order, counted queries)."
        )
    if len(model.classes_) != 2:
        raise UnsupportedGradientError(
            f"SVC with {len(model.classes_)} classes couples its {len(model.classes_)}"
            " * (n-1) / 2 pairwise Platt sigmoids by an iterative solver, which has no "
            "closed-form gradient here. Use gradient='auto' (falls back to finite "
            "differences) or gradient='finite_difference' / 'nes'."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        A, B = float(model.probA_[0]), float(model.probB_[0])
    w = np.asarray(model.coef_, float)[0]
    c = float(model.intercept_[0])

    def forward(X, codes):
        # libsvm's Platt scaling on the decision value f: P(classes_[1]) =
        # 1 / (1 + exp(A f - B)); libsvm solves for it iteratively (to ~1e-3).
        p1 = expit(B - A * (X @ w + c))
        proba = np.column_stack([1.0 - p1, p1])
        sign = np.where(codes == 1, 1.0, -1.0)
        return proba, (-sign * A * p1 * (1.0 - p1))[:, None] * w

    return forward


def analytic_model(target):
    """``forward(X, codes) -> (proba, grad)`` computed from ``target``'s parameters.

    Parameters
    ----------
    target : estimator
        A fitted model listed in ``SUPPORTED``.

    Returns
    -------
    forward : callable
        ``forward(X, codes)`` with ``X`` of shape ``(n, n_features)`` (the
        target's raw input) and ``codes`` of shape ``(n,)`` (class positions in
        ``classes_``) returns the confidences, shape ``(n, n_classes)``, and the
        gradient of ``proba[i, codes[i]]`` with respect to ``X[i]``, shape
        ``(n, n_features)``.

    Raises
    ------
    UnsupportedGradientError
        If the target's confidences have no closed form supported here.
    """
    affine, model = _split(target)
    name = type(model).__name__
    if isinstance(model, (LogisticRegression, LogisticRegressionCV)) or (
        name == "DPLogisticRegression"
    ):
        forward = _logistic(model)
    elif isinstance(model, MLPClassifier):
        forward = _mlp(model)
    elif isinstance(model, SVC):
        forward = _svc(model)
    else:
        raise UnsupportedGradientError(
            f"MIFace has no analytic gradient for a {name} target: analytic "
            f"gradients are read from the parameters of {SUPPORTED}. Use "
            "gradient='finite_difference' or 'nes' (zero-order: any target with "
            "predict_proba, every query counted), or gradient='auto'."
        )
    if affine is None:
        return forward
    a, b = affine

    def composed(X, codes):
        proba, grad = forward(X * a + b, codes)
        return proba, grad * a

    return composed
