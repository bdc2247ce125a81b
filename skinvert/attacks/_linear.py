"""White-box inversion of linear models: the exact posterior without n * k queries.

A linear model's decision function is a sum over its input columns, so for a
victim completed with each candidate value ``v`` of the sensitive column it is
``decision(x_v0) + offset(v)``: one decision per victim (the record completed
with the first candidate) plus one offset per candidate, the same for every
victim. The confidences follow from the model's own link (sigmoid, softmax,
modified Huber, calibrators), and the black-box attacks' posteriors from them.
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

from .._query import DEFAULT_BATCH_SIZE, DEFAULT_MAX_CANDIDATES, _complete, _take_rows
from ..base import BaseInversion
from ..utils._sklearn import LinearClassifierMixin, StrOptions
from ._confidence import FredriksonRegressor, _label_confidence, _top_class
from ._docstrings import _PRIOR_PARAMETER, _SHARED_ATTRIBUTES, _SHARED_PARAMETERS
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
        if self.prior == "uniform":
            return confidence
        return confidence * self.prior_


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
