"""Scorers: the metrics as ``scorer(fitted_attack, X, s_true)`` callables.

They plug into ``GridSearchCV(scoring=...)``, ``cross_val_score(scoring=...)`` and
``cross_validate`` (alone or in a dict), where the attack is fitted on auxiliary
records and scored on held-out victims. As in scikit-learn, every scorer is
"greater is better": scorers of errors (``"mae"``, ``"rmse"``) return the negated
error, like ``"neg_mean_absolute_error"``. Advantage scorers return the advantage
itself (positive means the attack beats the baseline), errors included.
"""

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.metrics import make_scorer
from sklearn.utils.validation import check_is_fitted

from ..utils._sklearn import (
    HasMethods,
    StrOptions,
    validate_params,
)
from ._bootstrap import METRICS, _sign, advantage
from ._classification import (
    attack_accuracy,
    attack_balanced_accuracy,
    attack_f1,
    attack_precision,
    attack_recall,
)
from ._ranking import attack_roc_auc, ppv_at_k, tpr_at_fpr
from ._regression import attack_mae, attack_r2, attack_rmse, attack_within_tolerance

_FUNCTIONS = {
    "accuracy": attack_accuracy,
    "balanced_accuracy": attack_balanced_accuracy,
    "precision": attack_precision,
    "recall": attack_recall,
    "f1": attack_f1,
    "roc_auc": attack_roc_auc,
    "tpr_at_fpr": tpr_at_fpr,
    "ppv_at_k": ppv_at_k,
    "mae": attack_mae,
    "rmse": attack_rmse,
    "r2": attack_r2,
    "within_tolerance": attack_within_tolerance,
}


def _classes_of(estimator, who="attack"):
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        raise AttributeError(
            f"The {who} {type(estimator).__name__} has no classes_: a metric of "
            "posteriors needs to know which sensitive value each column of "
            "predict_proba is about. Use a fitted classifier of the sensitive value."
        )
    return np.asarray(classes)


def _check_scalar_k(kwargs):
    if np.ndim(kwargs.get("k", 0)) != 0:
        raise ValueError(
            f"A scorer returns one number; got k={kwargs['k']!r}. Make one scorer per "
            "k (e.g. a dict {'ppv@10': make_attack_scorer('ppv_at_k', k=10, ...)})."
        )


class _ProbaScorer:
    """Scorer of a posterior metric: passes the attack's ``classes_`` along.

    ``make_scorer`` hands a binary classifier's posterior to the metric as one
    column without saying which value it is about; this scorer passes the full
    ``predict_proba(X)`` and ``classes_`` so that ``positive`` is always honoured.
    """

    def __init__(self, name, kwargs):
        if "classes" in kwargs:
            raise TypeError(
                "classes is read from the fitted attack's classes_; do not pass it "
                "to the scorer."
            )
        _check_scalar_k(kwargs)
        self.name, self.kwargs = name, kwargs

    def __call__(self, estimator, X, y_true):
        proba = estimator.predict_proba(X)
        return _FUNCTIONS[self.name](
            y_true, proba, classes=_classes_of(estimator), **self.kwargs
        )

    def __repr__(self):
        args = "".join(f", {key}={value!r}" for key, value in self.kwargs.items())
        return f"make_attack_scorer({self.name!r}{args})"


@validate_params(
    {
        "metric": [StrOptions(set(METRICS)), callable],
        "response_method": [StrOptions({"predict", "predict_proba"}), None],
        "greater_is_better": ["boolean", None],
    },
    prefer_skip_nested_validation=True,
)
def make_attack_scorer(
    metric, *, response_method=None, greater_is_better=None, **kwargs
):
    """Make a scorer ``scorer(fitted_attack, X, s_true)`` from an attack metric.

    Parameters
    ----------
    metric : str or callable
        One of ``"accuracy"``, ``"balanced_accuracy"``, ``"precision"``,
        ``"recall"``, ``"f1"``, ``"roc_auc"``, ``"tpr_at_fpr"``, ``"ppv_at_k"``,
        ``"mae"``, ``"rmse"``, ``"r2"``, ``"within_tolerance"``, or a callable
        ``metric(s_true, output, **kwargs)`` (then wrapped by
        :func:`sklearn.metrics.make_scorer`).
    response_method : {"predict", "predict_proba"}, default=None
        For a callable only (default ``"predict"``); named metrics know theirs.
    greater_is_better : bool, default=None
        For a callable only (default True). Error metrics (``"mae"``, ``"rmse"``)
        give scorers that return the negated error.
    **kwargs : dict
        Passed to the metric, e.g. ``positive="yes"``, ``fpr=0.01``, ``k=10``.
        Posterior metrics read ``classes`` from the fitted attack.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y) -> float``, greater is better.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from skinvert.metrics import make_attack_scorer
    >>> X = [[0.0], [0.2], [0.4], [0.6], [0.8], [1.0]] * 3
    >>> s = ["no", "no", "no", "yes", "yes", "yes"] * 3
    >>> scorer = make_attack_scorer("recall", positive="yes")
    >>> cross_val_score(LogisticRegression(), X, s, cv=3, scoring=scorer).tolist()
    [1.0, 1.0, 1.0]
    """
    if callable(metric):
        return make_scorer(
            metric,
            response_method=response_method or "predict",
            greater_is_better=True if greater_is_better is None else greater_is_better,
            **kwargs,
        )
    if response_method is not None or greater_is_better is not None:
        raise TypeError(
            f"response_method and greater_is_better are fixed by metric={metric!r}; "
            "set them only for a callable metric."
        )
    spec = METRICS[metric]
    if spec.response == "predict_proba":
        return _ProbaScorer(metric, kwargs)
    return make_scorer(
        _FUNCTIONS[metric],
        response_method="predict",
        greater_is_better=spec.greater_is_better,
        **kwargs,
    )


def _align(proba, source, target):
    """Reorder the columns of ``proba`` (about ``source``) to the values ``target``."""
    if np.array_equal(source, target):
        return proba
    extra = [value for value in source if not np.any(target == value)]
    if extra:
        raise ValueError(
            f"The baseline predicts values {extra} that the attack does not know "
            f"(attack classes_: {target.tolist()}); fit both on the same auxiliary "
            "data."
        )
    out = np.zeros((proba.shape[0], target.shape[0]))
    for j, value in enumerate(source):
        out[:, np.flatnonzero(target == value)[0]] = proba[:, j]
    return out


class _AdvantageScorer:
    """Scorer of :func:`advantage` over the prior of the fitted attack or a model."""

    def __init__(self, metric, baseline, response, greater_is_better, kwargs):
        self.metric, self.baseline, self.response = metric, baseline, response
        self.greater_is_better, self.kwargs = greater_is_better, kwargs

    def _prior_output(self, estimator, n, classes):
        owner = estimator
        if not hasattr(owner, "prior_") and not hasattr(owner, "prior_mean_"):
            owner = getattr(estimator, "steps", [[None, estimator]])[-1][1]  # Pipeline
        name = type(owner).__name__
        continuous = (
            METRICS[self.metric].continuous if isinstance(self.metric, str) else None
        )
        prior = getattr(owner, "prior_", None)
        if prior is not None and classes is not None and continuous is not True:
            prior = np.asarray(prior, dtype=np.float64)
            if prior.shape != classes.shape:
                raise ValueError(
                    f"{name}.prior_ has shape {prior.shape} but classes_ has "
                    f"{classes.shape[0]} entries; they must match."
                )
            if self.response == "predict_proba":
                return np.tile(prior, (n, 1))
            return np.repeat(classes[[int(np.argmax(prior))]], n)
        mean = getattr(owner, "prior_mean_", None)
        if mean is not None and self.response == "predict" and continuous is not False:
            return np.full(n, float(mean))
        wanted = {True: "prior_mean_", False: "prior_ (with classes_)"}.get(
            continuous, "prior_ (with classes_) nor prior_mean_"
        )
        raise AttributeError(
            f"baseline='prior' compares the attack with its own prior, but the fitted "
            f"{name} has no {wanted}. Pass a fitted baseline estimator instead: "
            "make_advantage_scorer(metric, baseline=fitted_baseline)."
        )

    def __call__(self, estimator, X, y_true):
        kwargs = dict(self.kwargs)
        proba = self.response == "predict_proba"
        classes = getattr(estimator, "classes_", None)
        if proba:
            classes = _classes_of(estimator)
        y_pred = getattr(estimator, self.response)(X)
        if isinstance(self.baseline, str):
            y_base = self._prior_output(estimator, len(y_pred), classes)
        else:
            y_base = getattr(self.baseline, self.response)(X)
            if proba:
                y_base = _align(y_base, _classes_of(self.baseline, "baseline"), classes)
        if proba and not callable(self.metric):
            kwargs["classes"] = classes
        return advantage(
            y_true,
            y_pred,
            y_base,
            metric=self.metric,
            greater_is_better=self.greater_is_better,
            **kwargs,
        )

    def __repr__(self):
        name = getattr(self.metric, "__name__", self.metric)
        base = self.baseline if isinstance(self.baseline, str) else "<estimator>"
        args = "".join(f", {key}={value!r}" for key, value in self.kwargs.items())
        return f"make_advantage_scorer({name!r}, baseline={base!r}{args})"


@validate_params(
    {
        "metric": [StrOptions(set(METRICS)), callable],
        "baseline": [
            StrOptions({"prior"}),
            HasMethods(["predict"]),
            HasMethods(["predict_proba"]),
        ],
        "response_method": [StrOptions({"predict", "predict_proba"}), None],
        "greater_is_better": ["boolean", None],
    },
    prefer_skip_nested_validation=True,
)
def make_advantage_scorer(
    metric="accuracy",
    baseline="prior",
    *,
    response_method=None,
    greater_is_better=None,
    **kwargs,
):
    """Make a scorer of the attack's advantage over a baseline, on the same victims.

    The scorer returns :func:`advantage`: positive when the fitted attack infers the
    held-out victims' sensitive values better than the baseline (for errors,
    baseline error minus attack error). Use it to tune or cross-validate an attack
    on what the target leaks rather than on what is guessable anyway.

    Parameters
    ----------
    metric : str or callable, default="accuracy"
        A metric name accepted by :func:`advantage`, or a callable
        ``metric(s_true, output, **kwargs)``.
    baseline : "prior" or fitted estimator, default="prior"
        ``"prior"`` uses the fitted attack's own prior: the majority value
        ``classes_[argmax(prior_)]`` for value metrics, the constant posterior
        ``prior_`` for posterior metrics (ROC AUC 0.5), and ``prior_mean_`` for a
        continuous attribute. Each fold thus compares with the prior of that
        fold's auxiliary records. A fitted estimator (e.g. an imputation attack
        fitted on the auxiliary data) is queried as is on the same ``X`` and never
        refitted; if it saw the held-out victims, the advantage is understated.
    response_method : {"predict", "predict_proba"}, default=None
        For a callable only (default ``"predict"``).
    greater_is_better : bool, default=None
        For a callable only (default True).
    **kwargs : dict
        Passed to the metric, e.g. ``positive="yes"``.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y) -> float``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from skinvert.metrics import make_advantage_scorer
    >>> class Attack(LogisticRegression):
    ...     def fit(self, X, s):
    ...         super().fit(X, s)
    ...         self.prior_ = np.mean(np.asarray(s)[:, None] == self.classes_, axis=0)
    ...         return self
    >>> X = [[0.0], [0.2], [0.4], [0.6], [0.8], [1.0]] * 3
    >>> s = [0, 0, 0, 0, 1, 1] * 3
    >>> scores = cross_val_score(Attack(C=100), X, s, cv=3,
    ...                          scoring=make_advantage_scorer("accuracy"))
    >>> np.round(scores, 4).tolist()
    [0.3333, 0.3333, 0.3333]
    """
    if not isinstance(baseline, str):
        try:
            check_is_fitted(baseline)
        except NotFittedError as exc:
            raise NotFittedError(
                f"baseline {type(baseline).__name__} is not fitted: fit it on the "
                "auxiliary data first (the scorer uses it as is)."
            ) from exc
    if callable(metric):
        response = response_method or "predict"
        _sign(metric, greater_is_better)
    else:
        if response_method is not None:
            raise TypeError(
                f"response_method is fixed by metric={metric!r}; set it only for a "
                "callable metric."
            )
        _sign(metric, greater_is_better)
        response = METRICS[metric].response
        if response == "predict_proba":
            _ProbaScorer(metric, kwargs)  # validates classes/k
    if not isinstance(baseline, str) and not hasattr(baseline, response):
        raise TypeError(
            f"metric={metric!r} needs the baseline's {response}, which "
            f"{type(baseline).__name__} does not have."
        )
    return _AdvantageScorer(metric, baseline, response, greater_is_better, kwargs)


_SIMPLE = (
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "mae",
    "rmse",
    "r2",
    "within_tolerance",
)
SCORER_NAMES = (
    *_SIMPLE,
    "advantage",
    *(f"{name}_advantage" for name in _SIMPLE),
)


def get_attack_scorer(name):
    """Return the scorer called ``name``, so attacks can be scored by name.

    Parameters
    ----------
    name : str
        A metric (``"accuracy"``, ``"balanced_accuracy"``, ``"precision"``,
        ``"recall"``, ``"f1"``, ``"roc_auc"``, ``"mae"``, ``"rmse"``, ``"r2"``,
        ``"within_tolerance"``),
        or ``"<metric>_advantage"`` for the advantage over the attack's prior
        (``"advantage"`` is ``"accuracy_advantage"``). Precision, recall and F1
        score the value 1 / True; for another value, and for ``"tpr_at_fpr"`` and
        ``"ppv_at_k"``, use :func:`make_attack_scorer` with ``positive=``.
        ``"mae"`` and ``"rmse"`` return the negated error (greater is better).

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y) -> float``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from skinvert.metrics import get_attack_scorer
    >>> X = [[0.0], [0.2], [0.4], [0.6], [0.8], [1.0]] * 3
    >>> s = [0, 0, 0, 1, 1, 1] * 3
    >>> cross_val_score(LogisticRegression(), X, s, cv=3,
    ...                 scoring=get_attack_scorer("roc_auc")).tolist()
    [1.0, 1.0, 1.0]
    """
    if not isinstance(name, str) or name not in SCORER_NAMES:
        raise ValueError(
            f"Unknown attack scorer name {name!r}. Valid names are: "
            f"{', '.join(SCORER_NAMES)}. For 'tpr_at_fpr', 'ppv_at_k' or another "
            "positive value, use make_attack_scorer(metric, positive=...)."
        )
    if name == "advantage":
        return make_advantage_scorer("accuracy")
    if name.endswith("_advantage"):
        return make_advantage_scorer(name[: -len("_advantage")])
    return make_attack_scorer(name)
