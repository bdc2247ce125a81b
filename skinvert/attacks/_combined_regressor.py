"""A continuous attribute: the target's evidence times an imputation distribution.

The continuous counterpart of :class:`~skinvert.attacks.CombinedFredrikson`
(Jayaraman & Evans, CCS 2022): Fredrikson et al.'s grid inversion (CCS 2015),
whose prior becomes a predictive distribution of the sensitive value given the
known features and label, with the target's factor tempered and calibrated by
cross-validation on the auxiliary data.
"""

from numbers import Integral, Real

import numpy as np

from .._docstrings import (
    _COMMON_ATTRIBUTES,
    _COMMON_PARAMETERS,
    _MODEL_PARAMETERS,
    _QUERY_PARAMETERS,
)
from .._query import DEFAULT_BATCH_SIZE, _take_rows
from ..utils._folds import shuffled_folds
from ..utils._sklearn import Interval, StrOptions
from ._confidence import _confidence, _nearest_mass
from ._imputation import _ModelRegressor

TEMPERATURES = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, np.inf)
SMOOTHINGS = (0.001, 0.01, 0.1)


def _check_grid(value, name, default, *, allow_zero, allow_inf):
    """The values to cross-validate: "auto" (the default grid), a number or a list."""
    if isinstance(value, str):
        return tuple(default)
    values = np.atleast_1d(np.asarray(value, dtype=float)).ravel()
    bad = np.isnan(values) | (values < 0) | ((values == 0) & (not allow_zero))
    bad |= np.isinf(values) & (not allow_inf)
    if values.size == 0 or bad.any():
        bound = ">= 0" if allow_zero else "> 0"
        kind = "(inf allowed)" if allow_inf else "and finite"
        raise ValueError(
            f"{name} must be 'auto', a number {bound} {kind} or a non-empty list of "
            f"such numbers; got {value!r}."
        )
    return tuple(float(v) for v in values)


def _weighted_median(nodes, weights, interpolate):
    """Median of the distribution with mass ``weights`` on sorted ``nodes`` (n, k).

    With ``interpolate`` the cumulative distribution is read as piecewise linear
    through the middle of each node's mass (equal masses on the quantile nodes of
    a distribution give back its median); otherwise the first node where the
    cumulative mass reaches one half (the median of a discrete attribute).
    """
    n, k = weights.shape
    cumulative = np.cumsum(weights, axis=1)
    if not interpolate:
        first = np.minimum((cumulative < 0.5 - 1e-12).sum(axis=1), k - 1)
        return np.take_along_axis(nodes, first[:, None], axis=1)[:, 0]
    middle = cumulative - weights / 2.0
    above = np.clip((middle < 0.5).sum(axis=1), 1, k - 1)[:, None]
    lo_c = np.take_along_axis(middle, above - 1, axis=1)[:, 0]
    hi_c = np.take_along_axis(middle, above, axis=1)[:, 0]
    lo_v = np.take_along_axis(nodes, above - 1, axis=1)[:, 0]
    hi_v = np.take_along_axis(nodes, above, axis=1)[:, 0]
    span = hi_c - lo_c
    share = np.divide(0.5 - lo_c, span, out=np.full(n, 0.5), where=span > 0)
    return lo_v + np.clip(share, 0.0, 1.0) * (hi_v - lo_v)


class CombinedFredriksonRegressor(_ModelRegressor):
    __doc__ = (
        """Grid inversion of a continuous attribute, with an imputation distribution.

    Fredrikson, Jha & Ristenpart (CCS 2015) complete the victim's record with each
    value ``v`` of a grid, query the target and weigh ``v`` by a prior times the
    target's confidence ``f(x_v)[y]`` in the victim's known label ``y`` (its top
    confidence when ``label=None``); :class:`FredriksonRegressor` uses the
    marginal prior, so a weak signal from the label cannot compete with what the
    known features already say. Following Jayaraman & Evans (CCS 2022) the prior
    here is the predictive distribution of an imputation model, and each grid
    value scores

        ``P_imp(v | x, y) * ((f(x_v)[y] + a) / (1 + C a)) ** (1 / T)``,

    ``C`` the number of the target's classes, ``a`` a smoothing that keeps a 0
    answer (fully grown trees) from vetoing a value and ``T`` a temperature.
    The estimate is the median (``estimate="median"``, least expected absolute
    error) or the mean (least squared error) of the normalised scores (see
    *Estimate* below).

    **Predictive distribution.** A point regressor (the model of
    :class:`ImputationRegressor`) plus the empirical distribution of its
    out-of-fold residuals on the auxiliary data, ``P_imp(. | x, y) = m(x, y) +
    r``, ``r`` the residuals of records that did not train the model that
    predicted them (residuals of a model on its own training records would be
    too small, and the distribution too sharp). Chosen over quantile regression
    at several levels: one model per fold, no quantile crossing, any shape of
    the residuals (skewed, multimodal, a discrete attribute), and the point
    model *is* the imputation reference, so ``temperature=inf`` predicts exactly
    what :class:`ImputationRegressor` with the same ``estimator`` and
    ``random_state`` predicts. Its limit: the spread is the same for every
    victim. The residuals are shifted so that the distribution's own estimate
    (its median, or mean) is ``m(x, y)``: with a target that does not move it,
    the attack estimates what imputation does, and its margin over
    :class:`ImputationRegressor` is what the target adds.

    **Grid per victim.** ``n_candidates`` values ``m(x, y) + q_i``, ``q_i`` the
    (shifted) residual quantiles at levels ``(i + 1/2) / n_candidates``: each
    victim's grid follows its own imputation, and each value carries the same
    prior mass. A discrete attribute (at most ``n_candidates`` distinct auxiliary
    values) is queried at its values instead, each weighted by the mass of the
    predictive distribution nearest to it.

    **Estimate.** The imputation point moved by the target: ``m(x, y)`` plus the
    median (mean) of the normalised scores minus the median (mean) of the
    prior masses alone. On a continuous grid the prior's median is ``m(x, y)``,
    so this is the posterior median; on a discrete attribute the shift keeps
    the estimate from gaining on imputation merely by rounding to the
    attribute's values (a gain in absolute error that is no leak, and a loss in
    squared error).

    **Calibration, on the auxiliary data only.** ``fit`` cross-fits the point
    model, queries the target on every auxiliary record over the grid its
    out-of-fold distribution gives it (``n_aux`` times the grid size:
    ``n_candidates``, or the number of values of a discrete attribute) and
    scores every temperature and smoothing by the held-out absolute error
    (squared error for ``estimate="mean"``). ``inf`` is on the temperature grid:
    it ignores the target and is the imputation reference. Among the points
    whose mean error is within ``tolerance`` paired standard errors of the best,
    it keeps the one where the target moves the estimates most: auxiliary records
    are non-members, so they cannot show what the target memorised of its
    members; the target gets the benefit of the doubt only where non-members
    cannot tell the difference. A target whose answers do not depend on the
    sensitive column moves nothing, and ``temperature_`` is then ``inf``.

    Threat model: black-box access to ``predict_proba``; the attacker knows the
    victim's other input columns and, optionally, its true label.

    Parameters
    ----------"""
        + _COMMON_PARAMETERS
        + """
    n_candidates : int, default=32
        Grid values per victim (target queries per victim).
    estimate : {"median", "mean"}, default="median"
        Posterior median (least expected absolute error) or mean (least squared
        error, what ``score``, R^2, rewards); also the error the cross-validation
        minimises.
    temperature : "auto", float or array-like of float, default="auto"
        ``T``: ``T > 1`` flattens the target's answers, ``T < 1`` sharpens them,
        ``inf`` ignores the target. ``"auto"`` picks from
        ``(0.25, 0.5, 1, 2, 4, 8, 16, inf)`` by cross-validation (a list gives
        the grid).
    smoothing : "auto", float or array-like of float, default="auto"
        ``a``, added to every confidence. ``"auto"`` picks from
        ``(0.001, 0.01, 0.1)`` jointly with the temperature.
    cv : int, default=3
        Folds of the cross-fitting and cross-validation on the auxiliary data.
    tolerance : float, default=0.5
        Standard errors of the paired held-out error within which a grid point
        counts as equivalent to the best (``0``: keep the best). Measured on
        survey data with a few hundred auxiliary records, ``1`` let the
        benefit of the doubt cost non-members 2 standard errors of absolute
        error; ``0`` lost an eighth to a sixth of the members' gain where a
        leak is planted (``benchmarks/bench_continuous.py``)."""
        + _MODEL_PARAMETERS.replace(
            "Seed of the default attack model.",
            "Seed of the folds and of the default attack model.",
        )
        + _QUERY_PARAMETERS
        + """
    Attributes
    ----------
    estimator_ : regressor or None
        The point model fitted on all the auxiliary data (None when there is no
        known feature: the point is then ``prior_mean_``).
    residuals_ : ndarray of shape (n_records,) or None
        The out-of-fold residuals, sorted: the predictive distribution around
        the point (None when only ``temperature=inf`` is on the grid).
    offsets_ : ndarray of shape (n_candidates,) or None
        Their quantiles, shifted so that their median (mean) is 0: each victim's
        grid is its point plus these (continuous attribute only).
    candidates_ : ndarray of shape (n_values, 1) or None
        The values of a discrete attribute, queried for every victim (None for a
        continuous one).
    discrete_ : bool
        Whether the attribute is treated as discrete.
    temperature_ : float
        The temperature in use.
    smoothing_ : float
        The smoothing in use.
    cv_results_ : dict of ndarray or None
        One entry per grid point: ``"temperature"``, ``"smoothing"``, the mean
        held-out ``"error"`` (absolute or squared), its paired standard error
        ``"error_se"`` from the best point, the ``"influence"`` of the target
        (mean absolute change of the estimate from the imputation distribution's
        own) and whether the point is ``"equivalent"`` to the best. None when
        there was nothing to choose.
    best_index_ : int or None
        The chosen grid point.
    target_classes_ : ndarray
        The target's ``classes_``."""
        + _COMMON_ATTRIBUTES.replace(
            "Target queries (records) made per victim.",
            "Target queries (records) made per victim: ``n_candidates`` or the\n"
            "        number of values of a discrete attribute; 0 when\n"
            "        ``temperature_`` is ``inf``.",
        )
        + """

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        From ``fit``, naming the parameter, when one is of the wrong type or
        range (a ``ValueError``).
    ValueError
        From ``fit``: a ``temperature`` or ``smoothing`` list with a value out
        of range, fewer than 2 auxiliary records, or bad columns, labels or
        sensitive values (as in every continuous attack); before any query.

    See Also
    --------
    FredriksonRegressor : The grid inversion with the marginal prior.
    ImputationRegressor : The point model alone, no access to the target.
    CombinedFredrikson : The same combination for a categorical attribute.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.linear_model import LinearRegression
    >>> from skinvert.attacks import CombinedFredriksonRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 4))          # column 0: the sensitive value
    >>> X[:, 0] += X[:, 2]                     # partly guessable from column 2
    >>> y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    >>> target = RandomForestClassifier(random_state=0).fit(X[:300], y[:300])
    >>> view = np.column_stack([X, y])        # the attacker knows the label too
    >>> attack = CombinedFredriksonRegressor(
    ...     target, sensitive=0, label=4, estimator=LinearRegression(),
    ...     n_candidates=16, cv=3, random_state=0)
    >>> attack.fit(view[300:], X[300:, 0]).predict(view[:3]).shape
    (3,)
    >>> bool(attack.temperature_ in attack.cv_results_["temperature"])
    True
    """
    )

    _parameter_constraints: dict = {
        **_ModelRegressor._parameter_constraints,
        "n_candidates": [Interval(Integral, 2, None, closed="left")],
        "estimate": [StrOptions({"median", "mean"})],
        "temperature": [
            StrOptions({"auto"}),
            Interval(Real, 0, None, closed="right"),  # inf included
            "array-like",
        ],
        "smoothing": [
            StrOptions({"auto"}),
            Interval(Real, 0, None, closed="left"),
            "array-like",
        ],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "tolerance": [Interval(Real, 0, None, closed="left")],
    }

    _target_method = "predict_proba"

    def __init__(
        self,
        target=None,
        *,
        sensitive=0,
        label=None,
        n_candidates=32,
        estimate="median",
        temperature="auto",
        smoothing="auto",
        cv=3,
        tolerance=0.5,
        estimator=None,
        random_state=None,
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
        verbose=0,
    ):
        super().__init__(
            target,
            sensitive=sensitive,
            label=label,
            estimator=estimator,
            random_state=random_state,
            batch_size=batch_size,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.n_candidates = n_candidates
        self.estimate = estimate
        self.temperature = temperature
        self.smoothing = smoothing
        self.cv = cv
        self.tolerance = tolerance

    # ---------------------------------------------------------------- fitting
    def _point_model(self, table, values):
        """The point model (None without known features: the mean is the point)."""
        if table.shape[1] == 0:
            return None
        return self._fit_model(table, values)

    def _points(self, model, table, fallback):
        if model is None:
            return np.full(table.shape[0], fallback)
        return np.asarray(model.predict(table), dtype=np.float64)

    def _levels(self):
        return (np.arange(self.n_candidates) + 0.5) / self.n_candidates

    def _cross_fit(self, table, values):
        """Folds, and out-of-fold points: no record predicted by a model it trained."""
        n = len(values)
        folds = shuffled_folds(n, self.cv, self.random_state)
        points = np.empty(n)
        for train, test in folds:
            model = self._point_model(_take_rows(table, train), values[train])
            points[test] = self._points(
                model, _take_rows(table, test), values[train].mean()
            )
        return folds, points

    def _offsets(self, sorted_residuals):
        """Residual quantiles, shifted so that the grid's own estimate is 0."""
        quantiles = np.quantile(sorted_residuals, self._levels())
        flat = np.full((1, self.n_candidates), 1.0 / self.n_candidates)
        return quantiles - self._combine(quantiles[None, :], flat, None, np.inf)[0]

    def _grids(self):
        temperatures = _check_grid(
            self.temperature,
            "temperature",
            TEMPERATURES,
            allow_zero=False,
            allow_inf=True,
        )
        smoothings = _check_grid(
            self.smoothing, "smoothing", SMOOTHINGS, allow_zero=True, allow_inf=False
        )
        return temperatures, smoothings

    def fit(self, X, y):
        self._validate_params()
        self._grids()  # a bad grid fails before any work
        return super().fit(X, y)

    fit.__doc__ = _ModelRegressor.fit.__doc__

    def _fit(self, records, values, labels):
        temperatures, smoothings = self._grids()
        table = self._table(records, labels)
        distinct = np.unique(values)
        self.discrete_ = bool(len(distinct) <= self.n_candidates)
        self.candidates_ = distinct.reshape(-1, 1) if self.discrete_ else None
        # the highest temperature first: ties in influence go to it
        grid = [(t, a) for t in sorted(temperatures, reverse=True) for a in smoothings]
        self.cv_results_, self.best_index_ = None, None
        self.residuals_, self.offsets_ = None, None
        self.temperature_, self.smoothing_ = grid[0]
        if not all(np.isinf(t) for t, _ in grid):
            if len(values) < 2:
                raise ValueError(
                    f"{type(self).__name__} cross-fits its imputation model on the "
                    "auxiliary data and needs at least 2 records; got "
                    f"n_samples={len(values)}."
                )
            folds, points = self._cross_fit(table, values)
            self.residuals_ = np.sort(values - points)
            if not self.discrete_:
                self.offsets_ = self._offsets(self.residuals_)
            if len(grid) > 1:
                best = self._search(grid, folds, records, labels, points, values)
                self.temperature_, self.smoothing_ = grid[best]
        # otherwise the target is ignored: the attack is the imputation reference
        self.estimator_ = self._point_model(table, values)
        self.queries_per_victim_ = 0
        if not np.isinf(self.temperature_):
            self.queries_per_victim_ = (
                len(self.candidates_) if self.discrete_ else self.n_candidates
            )

    def _prior(self, points, residuals):
        """Grid (n, k) and prior masses (n, k) of victims with these points.

        ``residuals`` is one sorted array for every victim, or a list of arrays
        of the same length as ``points`` (cross-validation: a fold's residuals).
        """
        n = len(points)
        if self.discrete_:
            values = self.candidates_[:, 0]
            nodes = np.broadcast_to(values, (n, len(values)))
            shifted = values[None, :] - points[:, None]
            if isinstance(residuals, np.ndarray):
                return nodes, _nearest_mass(residuals, shifted)
            mass = np.empty(nodes.shape)
            for rows, own in residuals:
                mass[rows] = _nearest_mass(own, shifted[rows])
            return nodes, mass
        if isinstance(residuals, np.ndarray):
            offsets = np.broadcast_to(self.offsets_, (n, self.n_candidates))
        else:
            offsets = np.empty((n, self.n_candidates))
            for rows, own in residuals:
                offsets[rows] = self._offsets(own)
        mass = np.full((n, self.n_candidates), 1.0 / self.n_candidates)
        return points[:, None] + offsets, mass

    def _log_evidence(self, answers, labels, smoothing):
        confidence = _confidence(answers, labels)
        c = answers.shape[2]
        with np.errstate(divide="ignore"):
            return np.log((confidence + smoothing) / (1.0 + c * smoothing))

    def _combine(self, nodes, mass, log_evidence, temperature):
        """The estimate from prior masses tempered by the target's evidence."""
        weights = mass
        if not np.isinf(temperature):
            top = log_evidence.max(axis=1, keepdims=True)
            with np.errstate(invalid="ignore"):
                shifted = np.where(np.isfinite(top), log_evidence - top, 0.0)
            weights = mass * np.exp(shifted / temperature)
        totals = weights.sum(axis=1, keepdims=True)
        weights = np.where(totals > 0, weights, mass)
        weights = weights / weights.sum(axis=1, keepdims=True)
        if self.estimate == "mean":
            return (weights * nodes).sum(axis=1)
        return _weighted_median(nodes, weights, interpolate=not self.discrete_)

    def _query_grid(self, records, nodes):
        if self.discrete_:
            return self._query(records, self.candidates_)
        return self._query(records, nodes[:, :, None])

    def _search(self, grid, folds, records, labels, points, values):
        """Held-out error of every grid point; return the chosen index."""
        residuals = values - points
        own = [(test, np.sort(residuals[train])) for train, test in folds]
        nodes, mass = self._prior(points, own)
        answers = self._query_grid(records, nodes)
        power = 1 if self.estimate == "median" else 2
        flat = self._combine(nodes, mass, None, np.inf)
        errors = np.empty((len(grid), len(values)))
        influence = np.empty(len(grid))
        log_evidence = {}
        for i, (temperature, smoothing) in enumerate(grid):
            if np.isinf(temperature):
                estimate, influence[i] = points, 0.0
            else:
                if smoothing not in log_evidence:
                    log_evidence[smoothing] = self._log_evidence(
                        answers, labels, smoothing
                    )
                shift = (
                    self._combine(nodes, mass, log_evidence[smoothing], temperature)
                    - flat
                )
                estimate = points + shift
                influence[i] = np.abs(shift).mean()
            errors[i] = np.abs(values - estimate) ** power
        mean = errors.mean(axis=1)
        best = int(np.argmin(mean))
        gap = errors - errors[best]
        error_se = gap.std(axis=1) / np.sqrt(len(values))
        equivalent = gap.mean(axis=1) <= self.tolerance * error_se
        # ties in influence (a target that ignores the column) go to the first,
        # the highest temperature: inf when it is on the grid
        self.best_index_ = int(np.argmax(np.where(equivalent, influence, -np.inf)))
        if influence[self.best_index_] <= 0.0 and np.isinf(grid[0][0]):
            # the target moves no estimate: it adds nothing to imputation
            self.best_index_ = 0
        self.cv_results_ = {
            "temperature": np.array([t for t, _ in grid]),
            "smoothing": np.array([a for _, a in grid]),
            "error": mean,
            "error_se": error_se,
            "influence": influence,
            "equivalent": equivalent,
        }
        return self.best_index_

    # -------------------------------------------------------------- inference
    def _estimate(self, records, labels):
        points = self._points(
            self.estimator_, self._table(records, labels), self.prior_mean_
        )
        if np.isinf(self.temperature_):
            return points
        nodes, mass = self._prior(points, self.residuals_)
        answers = self._query_grid(records, nodes)
        log_evidence = self._log_evidence(answers, labels, self.smoothing_)
        shift = self._combine(nodes, mass, log_evidence, self.temperature_)
        shift -= self._combine(nodes, mass, None, np.inf)
        return points + shift
