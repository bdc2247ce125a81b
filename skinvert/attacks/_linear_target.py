"""Linear targets read in white box: their pipeline split and exact answers.

A linear model after column-wise preprocessing has a decision that is a sum of
per-column terms, so the answers on every candidate completion follow from one
decision per victim plus one offset per candidate (:func:`linear_answers`);
used by :mod:`._linear` and :mod:`._neuron_model`.
"""

import numpy as np
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    KBinsDiscretizer,
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    PowerTransformer,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)
from sklearn.utils.validation import check_is_fitted

from .._query import _complete, _take_rows
from ..utils._sklearn import LinearClassifierMixin
from ._whitebox import _unfreeze

# Transformers whose every output column is a function of one input column: after
# any chain of them, a linear model's decision is a sum of per-column terms.
COLUMNWISE_TRANSFORMERS = (
    StandardScaler,
    MinMaxScaler,
    MaxAbsScaler,
    RobustScaler,
    OneHotEncoder,
    OrdinalEncoder,
    SimpleImputer,
    KBinsDiscretizer,
    QuantileTransformer,
    PowerTransformer,
)

SUPPORTED_LINEAR_MODELS = (
    "LogisticRegression (binary or multinomial), SGDClassifier with "
    "loss='log_loss' or 'modified_huber', CalibratedClassifierCV (method 'sigmoid' "
    "or 'isotonic') around a linear classifier such as LinearSVC; alone or as the "
    "last step of a Pipeline whose preprocessing is column-wise ("
    + ", ".join(t.__name__ for t in COLUMNWISE_TRANSFORMERS)
    + ", or a ColumnTransformer of them), optionally in FrozenEstimator"
)


def _is_fitted(model):
    """Whether ``model`` is a fitted estimator (False for None or unfitted)."""
    try:
        check_is_fitted(model)
    except (NotFittedError, TypeError):
        return False
    return True


def _unsupported(target, detail):
    return TypeError(
        f"LinearWhiteBoxInversion reads a linear model, but the target is "
        f"{type(_unfreeze(target)).__name__}{detail}. Supported targets: "
        f"{SUPPORTED_LINEAR_MODELS}. For other models use a black-box attack such "
        "as FredriksonInversion."
    )


def _check_columnwise(step, target):
    """Raise unless ``step`` maps each input column to output columns on its own."""
    step = _unfreeze(step)
    if step is None or isinstance(step, str):  # "passthrough" or "drop"
        return
    if isinstance(step, Pipeline):
        for _, inner in step.steps:
            _check_columnwise(inner, target)
        return
    if isinstance(step, ColumnTransformer):
        for _, inner, _ in getattr(step, "transformers_", step.transformers):
            _check_columnwise(inner, target)
        return
    if not isinstance(step, COLUMNWISE_TRANSFORMERS):
        raise _unsupported(
            target,
            f" (a Pipeline with the step {type(step).__name__}, which mixes columns: "
            "the decision is then not a sum of per-column terms)",
        )


def _split_pipeline(model, target):
    """(preprocessing steps, last estimator), FrozenEstimator and Pipelines opened."""
    model, steps = _unfreeze(model), []
    while isinstance(model, Pipeline):
        for _, step in model.steps[:-1]:
            _check_columnwise(step, target)
            steps.append(_unfreeze(step))
        model = _unfreeze(model.steps[-1][1])
    return steps, model


def _is_linear(model):
    return isinstance(model, LinearClassifierMixin) and hasattr(model, "coef_")


def split_linear_target(target):
    """The linear heads of a white-box target and how their decisions combine.

    Parameters
    ----------
    target : estimator
        A supported linear model (see :class:`LinearWhiteBoxInversion`).

    Returns
    -------
    kind : {"logistic", "sgd", "calibrated"}
        How decisions become confidences.
    heads : list of (steps, model, extra)
        ``steps``: column-wise preprocessing (outer steps first); ``model``: the
        linear classifier whose ``decision_function`` is read; ``extra``: None,
        or for ``"calibrated"`` the calibrated classifier (its ``calibrators``
        and ``method``).

    Raises
    ------
    TypeError
        If the target is of another type.
    """
    outer, model = _split_pipeline(target, target)
    if isinstance(model, LogisticRegression) and hasattr(model, "coef_"):
        return "logistic", [(outer, model, None)]
    if isinstance(model, SGDClassifier) and hasattr(model, "coef_"):
        if model.loss not in ("log_loss", "modified_huber"):
            raise _unsupported(
                target, f" with loss={model.loss!r}, which has no predict_proba"
            )
        return "sgd", [(outer, model, None)]
    if isinstance(model, CalibratedClassifierCV):
        heads = []
        for calibrated in getattr(model, "calibrated_classifiers_", []):
            if calibrated.method not in ("sigmoid", "isotonic"):
                raise _unsupported(
                    target, f" calibrated with method={calibrated.method!r}"
                )
            inner, linear = _split_pipeline(calibrated.estimator, target)
            if not _is_linear(linear):
                raise _unsupported(target, f" (calibrating a {type(linear).__name__})")
            heads.append((outer + inner, linear, calibrated))
        if heads:
            return "calibrated", heads
    name = type(model).__name__
    detail = "" if model is _unfreeze(target) else f" (ending in {name})"
    raise _unsupported(target, detail)


def _transform(steps, rows):
    for step in steps:
        if step is not None and not isinstance(step, str):
            rows = step.transform(rows)
    return rows


_NOT_AFFINE = (
    "The target's decision is not affine in the sensitive column (its "
    "preprocessing transforms it non-linearly, e.g. by binning or one-hot "
    "encoding), so per-victim values cannot be read white-box; use "
    "FredriksonRegressor, or LinearWhiteBoxRegressor with n_refine=0."
)


def _probe_rows(records, columns, candidates):
    """The victims at a first value and the first victim at the probed values.

    ``candidates`` of shape (k, m) are shared by the victims; of shape (n, k, 1)
    (a continuous column, each victim its own values) the decision must then
    be affine in the column's value, probed at ``v0``, ``v0 + 1`` and a check.
    """
    if candidates.ndim == 2:
        first = _complete(records, columns, candidates[:1])
        probe = _complete(_take_rows(records, slice(0, 1)), columns, candidates)
        return first, probe, None
    v0 = float(candidates[0, 0, 0])
    first = _complete(records, columns, np.array([[v0]]))
    values = np.array([[v0], [v0 + 1.0], [v0 + 2.5]])
    probe = _complete(_take_rows(records, slice(0, 1)), columns, values)
    return first, probe, candidates[:, :, 0] - v0


def _decisions(steps, model, rows):
    """Decision of every victim at every candidate, shape (n, k, n_outputs).

    One decision per victim, at the first candidate, plus one offset per
    candidate read on the first victim: ``n + k`` records through the model
    (``n + 3`` for per-victim values of an affinely transformed column).
    """
    first, probe, shifts = rows
    base = np.asarray(model.decision_function(_transform(steps, first)), dtype=float)
    try:
        probe = model.decision_function(_transform(steps, probe))
    except ValueError as exc:  # e.g. an encoder that has not seen a probed value
        if shifts is None:
            raise
        raise TypeError(_NOT_AFFINE) from exc
    probe = np.asarray(probe, dtype=float)
    base = base.reshape(base.shape[0], 1, -1)
    probe = probe.reshape(1, probe.shape[0], -1)
    if shifts is None:
        return base + (probe - probe[:, :1])
    slope = probe[:, 1] - probe[:, 0]
    expected = probe[:, 0] + 2.5 * slope
    if not np.allclose(probe[:, 2], expected, rtol=1e-9, atol=1e-9):
        raise TypeError(_NOT_AFFINE)
    return base + shifts[:, :, None] * slope[:, None, :]


def _normalise_ovr(proba):
    """Rows over the last axis normalised; all-zero rows made uniform."""
    total = proba.sum(axis=-1, keepdims=True)
    uniform = np.full_like(proba, 1.0 / proba.shape[-1])
    return np.divide(proba, total, out=uniform, where=total != 0)


def _two_columns(positive):
    return np.stack([1.0 - positive, positive], axis=-1)


def _link(kind, model, decision):
    """The model's ``predict_proba`` from its decisions (..., n_outputs)."""
    if decision.shape[-1] == 1:  # binary
        d = decision[..., 0]
        if kind == "sgd" and model.loss == "modified_huber":
            return _two_columns((np.clip(d, -1.0, 1.0) + 1.0) / 2.0)
        return _two_columns(expit(d))
    if kind == "logistic":  # multinomial: softmax
        shifted = decision - decision.max(axis=-1, keepdims=True)
        np.exp(shifted, out=shifted)
        return shifted / shifted.sum(axis=-1, keepdims=True)
    if model.loss == "modified_huber":
        return _normalise_ovr((np.clip(decision, -1.0, 1.0) + 1.0) / 2.0)
    return _normalise_ovr(expit(decision))


def _calibrated(calibrated, decision, classes):
    """``_CalibratedClassifier.predict_proba`` from the decisions (n, k, outputs)."""
    n, k, _ = decision.shape
    c = len(classes)
    proba = np.zeros((n, k, c))
    positions = np.searchsorted(classes, calibrated.estimator.classes_)
    if c == 2:
        positions = [1]
    for j, (position, calibrator) in enumerate(zip(positions, calibrated.calibrators)):
        values = calibrator.predict(decision[:, :, j].ravel())
        proba[:, :, position] = np.asarray(values, dtype=float).reshape(n, k)
    if c == 2:
        proba[:, :, 0] = 1.0 - proba[:, :, 1]
        return proba
    return _normalise_ovr(proba)


def linear_answers(target, records, columns, candidates):
    """The target's ``predict_proba`` on every completed record, (n, k, n_classes).

    Parameters
    ----------
    target : estimator
        A supported linear model (see :class:`LinearWhiteBoxInversion`).
    records : ndarray or DataFrame of shape (n_victims, n_features)
        Records in the target's layout (the sensitive columns are overwritten).
    columns : list of int
        Positions of the sensitive columns.
    candidates : ndarray of shape (n_candidates, len(columns))
        Candidate values.

    Returns
    -------
    answers : ndarray of shape (n_victims, n_candidates, n_classes)
        Equal, up to rounding, to querying ``target.predict_proba`` on the
        ``n_victims * n_candidates`` completed records, which are never built.
    """
    kind, heads = split_linear_target(target)
    rows = _probe_rows(records, columns, candidates)
    if kind != "calibrated":
        steps, model, _ = heads[0]
        return _link(kind, model, _decisions(steps, model, rows))
    classes = np.asarray(_split_pipeline(target, target)[1].classes_)
    total = None
    for steps, model, calibrated in heads:
        decision = _decisions(steps, model, rows)
        proba = _calibrated(calibrated, decision, classes)
        total = proba if total is None else total + proba
    return total / len(heads)
