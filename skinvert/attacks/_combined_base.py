"""The machinery of the combined attacks: an imputation prior times calibrated evidence.

Shared by :mod:`._combined` (Fredrikson, CSMIA), :mod:`._combined_label_only` and
:mod:`._neurons`: the candidate grids, the cross-validated calibration of the
target's factor, and the numpydoc fragments of their parameters.
"""

from itertools import product
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

from .._query import DEFAULT_BATCH_SIZE, DEFAULT_MAX_CANDIDATES, _take_rows
from ..base import BaseInversion
from ..utils._folds import shuffled_folds
from ..utils._shipping import ship, unship
from ..utils._sklearn import HasMethods, Interval, StrOptions
from ..utils._threads import bounded, thread_budget
from ._decision import (
    DECISION_ATTRIBUTE,
    DECISION_PARAMETER,
    DecisionMixin,
    argmax_with_prior,
    check_decision,
    choose_bias,
)
from ._default_models import fit_imputer, imputed_proba
from ._imputation import known_feature_table

TEMPERATURES = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, np.inf)
SMOOTHINGS = (0.001, 0.01, 0.1, 0.5)
PSEUDO_COUNTS = (0.1, 1.0, 10.0)
MATCH_TRUSTS = (0.0, 0.25, 0.5, 0.75, 0.95)
_TINY = np.finfo(float).tiny

_COMBINED_PARAMETERS = """    imputer : classifier, default=None
        Model of the prior ``P(v | known features[, known label])``, cloned and
        fitted on the auxiliary data (and on each cross-validation fold). Default:
        :func:`~skinvert.attacks._default_models.make_default_imputer`, the model of
        :class:`ImputationBaseline`.
    label_in_prior : "auto" or bool, default="auto"
        Whether the imputer also sees the known label. ``False`` is Bayes' rule
        ``P(v | x, y) ~ P(v | x) P(y | x, v)``: the known features enter through
        the imputer, the label once, through the target. ``True`` is the paper's
        product ``P(v | x, y) * g(...)``, which counts the label twice (once in
        each factor); the chosen temperature damps the target's factor, and with
        ``temperature=inf`` the attack *is* :class:`ImputationBaseline` with the
        label. ``"auto"`` cross-validates both, so the grid holds the imputation
        baseline itself. Without a known label the prior uses the known features.
    temperature : "auto", float or array-like of float, default="auto"
        ``T``, the temperature of the target's factor (the exponent ``1 / T``
        above): ``T > 1`` flattens the target's answers, ``T < 1`` sharpens
        them, ``inf`` ignores the target.
        ``"auto"`` picks from ``(0.25, 0.5, 1, 2, 4, 8, inf)`` by
        cross-validation on the auxiliary data (a list gives the grid).
"""

_CV_PARAMETERS = (
    """    cv : int, default=3
        Folds of the cross-validation on the auxiliary data (stratified when every
        value occurs at least ``cv`` times).
    tolerance : float, default=1.0
        Among the grid points whose held-out log-likelihood is within
        ``tolerance`` standard errors of the best (paired over the auxiliary
        records) and whose held-out accuracy is not below the imputation
        baseline's (``temperature=inf``) by more than ``tolerance`` standard
        errors, keep the one where the target moves the posterior most; ``0``
        keeps the best. Auxiliary records are not in the target's training set,
        so they cannot show what it memorised of its members: the target gets the
        benefit of the doubt only where non-members cannot tell the difference,
        and never at a cost in accuracy on them that the auxiliary data can see.
    random_state : int, RandomState instance or None, default=None
        Seed of the folds and of the default imputer.
"""
    + DECISION_PARAMETER
)
_COMBINED_ATTRIBUTES = (
    """    imputer_ : classifier or None
        The imputer fitted on all the auxiliary data (None when it holds a single
        sensitive value or no feature: the prior is then ``prior_``).
    label_in_prior_ : bool
        Whether the imputer sees the known label.
    temperature_ : float
        The temperature in use.
    smoothing_ : float
        The smoothing in use.
    cv_results_ : dict of ndarray or None
        One entry per grid point: ``"label_in_prior"``, ``"temperature"``,
        ``"smoothing"``; on the held-out folds, the mean ``"log_likelihood"`` of
        the true value and its paired standard error ``"log_likelihood_se"``
        (from the best point), ``"accuracy"``, the ``"influence"`` of the target
        (mean total-variation distance between the posterior and the prior) and
        whether the point is ``"equivalent"`` to the best (see ``tolerance``).
        None when there was nothing to choose.
    best_index_ : int or None
        The chosen grid point.
"""
    + DECISION_ATTRIBUTE
)
_CALIBRATION = """
    **Calibration, on the auxiliary data only.** ``fit`` chooses the temperature,
    the smoothing and whether the imputer sees the label by cross-validation on
    the auxiliary data: each grid point's posterior is scored by the held-out
    log-likelihood of the true value, the imputer (and anything else learned
    from auxiliary records) cross-fitted so that no record is scored by a model
    trained on it; near-ties are settled by ``tolerance``. Victims are never
    looked at. The grid holds ``temperature=inf``, where the target is ignored
    and, with the label in the prior, the attack *is* :class:`ImputationBaseline`:
    so it is not worse than imputation on records like the auxiliary ones
    (non-members) beyond ``tolerance`` standard errors of held-out
    log-likelihood or of held-out accuracy, and on a target whose answers do
    not depend on the sensitive column it predicts exactly what
    :class:`ImputationBaseline` with the same imputer predicts. ``fit``
    queries the target on every auxiliary record completed with every
    candidate (``n_aux * n_candidates`` queries).
"""


def _grid(value, name, default, *, low_closed):
    """The values to cross-validate for a parameter: "auto", a number or a list."""
    if isinstance(value, str):
        return tuple(default)
    values = np.atleast_1d(np.asarray(value, dtype=float)).ravel()
    bad = values[np.isnan(values) | (values < 0) | ((values == 0) & (not low_closed))]
    if values.size == 0 or bad.size:
        bound = ">= 0" if low_closed else "> 0"
        raise ValueError(
            f"{name} must be 'auto', a number {bound} or a non-empty list of such "
            f"numbers; got {value!r}."
        )
    return tuple(float(v) for v in values)


def _combine(prior, log_evidence, temperature):
    """``prior * exp((L - max L) / T)`` per row (the prior where L is all -inf).

    Where the evidence is the same for every candidate, the prior comes out
    unchanged, bit for bit.
    """
    if np.isinf(temperature):
        return prior
    top = log_evidence.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        shifted = np.where(np.isfinite(top), log_evidence - top, 0.0)
    return prior * np.exp(shifted / temperature)


def _normalise(scores):
    totals = scores.sum(axis=1, keepdims=True)
    k = scores.shape[1]
    return np.divide(
        scores, totals, out=np.full_like(scores, 1.0 / k), where=totals > 0
    )


_CONSTRAINTS = {
    "imputer": [HasMethods(["fit", "predict_proba"]), None],
    "label_in_prior": [StrOptions({"auto"}), "boolean"],
    "temperature": [
        StrOptions({"auto"}),
        Interval(Real, 0, None, closed="right"),
        "array-like",
    ],
    "cv": [Interval(Integral, 2, None, closed="left")],
    "smoothing": [
        StrOptions({"auto"}),
        Interval(Real, 0, None, closed="left"),
        "array-like",
    ],
    "tolerance": [Interval(Real, 0, None, closed="left")],
    "decision": [StrOptions({"accuracy", "balanced_accuracy"}), tuple],
    "random_state": ["random_state"],
}


def _fold(attack, *args):
    """One fold of the attack's cross-validation (a joblib task)."""
    return unship(attack)._fold(*args)


class _CombinedInversion(DecisionMixin, BaseInversion):
    """Shared fit: cross-fitted imputation prior, target evidence, grid search.

    Subclasses implement ``_evidence(records, labels)`` (the raw answers, first
    axis the records), ``_evidence_model(evidence, codes, labels, smoothing)``
    (anything learned from auxiliary answers, or None) and
    ``_log_evidence(evidence, labels, smoothing, model)`` (an ``(n, k)`` array),
    and may override ``_finish(scores, evidence, labels, setting)``, whose
    ``setting`` is cross-validated over ``_finish_grid()``.
    """

    _parameter_constraints: dict = {
        **BaseInversion._parameter_constraints,
        **_CONSTRAINTS,
    }
    _finish_needs_evidence = False
    _smoothings = SMOOTHINGS

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
            batch_size=batch_size,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.imputer = imputer
        self.label_in_prior = label_in_prior
        self.temperature = temperature
        self.smoothing = smoothing
        self.cv = cv
        self.tolerance = tolerance
        self.decision = decision
        self.random_state = random_state

    def _smoothing_grid(self):
        return _grid(self.smoothing, "smoothing", self._smoothings, low_closed=True)

    def _evidence_model(self, evidence, codes, labels, smoothing):
        return None

    def _finish_grid(self):
        return (None,)

    def _finish(self, scores, evidence, labels, setting):
        return scores

    def _label_options(self, labels):
        if labels is None:
            if not isinstance(self.label_in_prior, str) and self.label_in_prior:
                raise ValueError(
                    "label_in_prior=True puts the known label in the imputer, but "
                    "label=None: set label= to the column holding it, or use "
                    "label_in_prior=False or 'auto'."
                )
            return (False,)
        if self.label_in_prior == "auto":
            return (False, True)
        return (bool(self.label_in_prior),)

    def _folds(self, codes):
        return shuffled_folds(len(codes), self.cv, self.random_state, codes)

    def _fit(self, records, codes, labels):
        check_decision(self.decision, self.classes_)
        evidence = self._evidence(records, labels)
        options = self._label_options(labels)
        temperatures = _grid(
            self.temperature, "temperature", TEMPERATURES, low_closed=False
        )
        smoothings = self._smoothing_grid()
        finishes = self._finish_grid()
        known = self._known(records)
        tables = {o: known_feature_table(known, labels if o else None) for o in options}
        grid = list(product(options, temperatures, smoothings, finishes))
        needs_folds = len(grid) > 1 or self.decision != "accuracy"
        folds = self._folds(codes) if needs_folds else None
        self.cv_results_, self.best_index_ = None, None
        # Nothing to calibrate on: fall back to imputation where the grid allows.
        best = (options[-1], max(temperatures), smoothings[0], finishes[0])
        if len(grid) == 1:
            best = grid[0]
        bias = np.zeros(len(self.classes_))
        if folds is not None:
            index, held_out = self._search(grid, folds, tables, evidence, codes, labels)
            best = grid[index]
            bias = choose_bias(
                held_out, codes, self.decision, self.classes_, self.prior_
            )
            if len(grid) == 1:
                self.cv_results_, self.best_index_ = None, None
        self.label_in_prior_, self.temperature_, self.smoothing_ = best[:3]
        self._finish_setting_ = best[3]
        self.imputer_ = fit_imputer(
            self.imputer, tables[best[0]], codes, self.random_state
        )
        self._model_ = self._evidence_model(evidence, codes, labels, best[2])
        self.decision_bias_ = bias

    def _fold(self, train, test, tables, evidence, codes, labels, smoothings):
        """Held-out priors and log-evidence of one fold, for every grid value."""
        k = len(self.classes_)
        fallback = np.bincount(codes[train], minlength=k) / len(train)
        priors = {}
        for option, table in tables.items():
            model = fit_imputer(
                self.imputer, _take_rows(table, train), codes[train], self.random_state
            )
            priors[option] = imputed_proba(model, _take_rows(table, test), k, fallback)
        train_labels = None if labels is None else labels[train]
        test_labels = None if labels is None else labels[test]
        log_evidence = {}
        for smoothing in smoothings:
            model = self._evidence_model(
                evidence[train], codes[train], train_labels, smoothing
            )
            log_evidence[smoothing] = self._log_evidence(
                evidence[test], test_labels, smoothing, model
            )
        return test, priors, log_evidence

    def _search(self, grid, folds, tables, evidence, codes, labels):
        """Score every grid point on the held-out folds; return the chosen index."""
        n, k = len(codes), len(self.classes_)
        priors = {o: np.empty((n, k)) for o in tables}
        log_evidence = {g[2]: np.empty((n, k)) for g in grid}
        # the folds through joblib: threads here, or any backend the caller's
        # joblib.parallel_config sets (Dask's included)
        limit = thread_budget(self.n_jobs, effective_n_jobs(self.n_jobs))
        fold = delayed(bounded(_fold, limit))
        smoothings = list(log_evidence)
        attack = ship(self)  # with its target: sent to a Dask cluster once
        folds_out = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            fold(attack, train, test, tables, evidence, codes, labels, smoothings)
            for train, test in folds
        )
        for test, fold_priors, fold_evidence in folds_out:
            for option, values in fold_priors.items():
                priors[option][test] = values
            for smoothing, values in fold_evidence.items():
                log_evidence[smoothing][test] = values
        rows = np.arange(n)
        log_likelihood = np.empty((len(grid), n))
        correct = np.empty((len(grid), n))
        influence = np.empty(len(grid))
        posteriors = []
        for i, (option, temperature, s, setting) in enumerate(grid):
            combined = _combine(priors[option], log_evidence[s], temperature)
            proba = _normalise(self._finish(combined, evidence, labels, setting))
            posteriors.append(proba)
            log_likelihood[i] = np.log(np.maximum(proba[rows, codes], _TINY))
            correct[i] = argmax_with_prior(proba, self.prior_) == codes
            influence[i] = (
                0.5 * np.abs(proba - _normalise(priors[option])).sum(1).mean()
            )
        mean = log_likelihood.mean(axis=1)
        best = int(np.argmax(mean))
        gap = log_likelihood[best] - log_likelihood
        error = gap.std(axis=1) / np.sqrt(n)
        equivalent = gap.mean(axis=1) <= self.tolerance * error
        # never below imputation's held-out accuracy beyond noise
        reference = [
            i
            for i, g in enumerate(grid)
            if np.isinf(g[1]) and g[0] == grid[-1][0] and g[3] == grid[0][3]
        ]
        safe = np.ones(len(grid), dtype=bool)
        if reference:
            loss = correct[reference[0]] - correct
            loss_error = loss.std(axis=1) / np.sqrt(n)
            safe = loss.mean(axis=1) <= self.tolerance * loss_error
        eligible = equivalent & safe
        if not eligible.any():
            eligible = np.arange(len(grid)) == best
        self.cv_results_ = {
            "label_in_prior": np.array([g[0] for g in grid]),
            "temperature": np.array([g[1] for g in grid]),
            "smoothing": np.array([g[2] for g in grid]),
            **self._finish_results(grid),
            "log_likelihood": mean,
            "log_likelihood_se": error,
            "accuracy": correct.mean(axis=1),
            "influence": influence,
            "equivalent": equivalent,
            "safe": safe,
        }
        self.best_index_ = int(np.argmax(np.where(eligible, influence, -np.inf)))
        return self.best_index_, posteriors[self.best_index_]

    def _finish_results(self, grid):
        return {}

    def _prior_proba(self, records, labels):
        """The imputer's posterior ``P(v | known features[, known label])``."""
        table = known_feature_table(
            self._known(records), labels if self.label_in_prior_ else None
        )
        return imputed_proba(self.imputer_, table, len(self.classes_), self.prior_)

    def _posterior(self, records, labels):
        prior = self._prior_proba(records, labels)
        evidence, scores = None, prior
        if self._finish_needs_evidence or not np.isinf(self.temperature_):
            evidence = self._evidence(records, labels)
        if not np.isinf(self.temperature_):
            log_evidence = self._log_evidence(
                evidence, labels, self.smoothing_, self._model_
            )
            scores = _combine(prior, log_evidence, self.temperature_)
        return self._finish(scores, evidence, labels, self._finish_setting_)
