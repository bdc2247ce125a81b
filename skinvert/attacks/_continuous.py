"""Attacks on a continuous sensitive attribute (age, income): regressors of it."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin, clone
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from ..base import DEFAULT_BATCH_SIZE, _AttackerViewMixin, query_target
from ..utils._dask import dask_aware
from ..utils._optional import is_pandas_dataframe
from ._confidence import _label_confidence, _top_class
from ._imputation import known_feature_table, make_default_imputer

_COMMON_PARAMETERS = """
    target : classifier
        The fitted model under attack, exposing ``predict_proba`` and ``classes_``.
        Wrap it in :class:`sklearn.frozen.FrozenEstimator` to use the attack in
        ``GridSearchCV`` or ``cross_val_score``; it is never refitted.
    sensitive : str or int, default=0
        The continuous sensitive column: a name for DataFrames, a position for
        arrays (positions index the columns of ``X`` as passed).
    label : str or int, default=None
        The column of ``X`` holding the victim's known task label, if the threat
        model grants it. ``X`` without that column is the target's layout."""

_QUERY_PARAMETERS = """
    batch_size : int, default=65536
        Maximum number of completed records per target query (bounds memory).
    n_jobs : int, default=None
        Parallel jobs for the queries (joblib; ``None`` means 1). Any joblib
        backend set with :func:`joblib.parallel_config` is used, Dask's included.
    verbose : int, default=0
        If positive, show a progress bar over the query batches when there are
        at least 4 (needs ``tqdm``, the ``progress`` extra).
"""

_MODEL_PARAMETERS = """
    estimator : regressor, default=None
        The attack model, cloned and fitted on the auxiliary data. Default: a
        :class:`~sklearn.ensemble.HistGradientBoostingRegressor` with early
        stopping, behind an ordinal encoder for non-numeric columns. With little
        auxiliary data a linear model can make the stronger (more honest)
        baseline.
    random_state : int, RandomState instance or None, default=None
        Seed of the default attack model."""

_COMMON_ATTRIBUTES = """
    prior_mean_ : float
        Mean of the auxiliary sensitive values: the no-knowledge guess, used by
        :func:`skinvert.metrics.make_advantage_scorer` with ``baseline="prior"``.
    queries_per_victim_ : int
        Target queries (records) made per victim.
    n_features_in_ : int
        Number of columns of ``X`` seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names of ``X`` seen in ``fit`` (DataFrames only).
    label_index_ : int or None
        Position of the known-label column in ``X``.
    sensitive_indices_ : list of int
        Position of the sensitive column in the target's layout (one entry)."""


class BaseContinuousInversion(
    _AttackerViewMixin, RegressorMixin, TransformerMixin, BaseEstimator
):
    """Base class of the attacks on a continuous sensitive attribute.

    The continuous counterpart of :class:`skinvert.base.BaseInversion`, sharing its
    reading of the attacker's view ``X``. Subclasses set ``_target_method`` and
    implement ``_fit(records, values, labels)`` (``values``: the auxiliary sensitive
    values as floats) and ``_estimate(records, labels)`` returning one float per
    victim. The base provides ``fit``, ``predict``, ``transform``, ``score`` (the
    coefficient of determination R^2) and ``get_feature_names_out``, and sets
    ``prior_mean_``.
    """

    _parameter_constraints: dict = {
        "target": [HasMethods(["predict"]), None],
        "sensitive": [str, Integral],
        "label": [str, Integral, None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        target=None,
        *,
        sensitive=0,
        label=None,
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
        verbose=0,
    ):
        self.target = target
        self.sensitive = sensitive
        self.label = label
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_values(self, y, n):
        name = type(self).__name__
        if y is None:
            raise ValueError(
                f"This {name} estimator requires y to be passed, but the target y is "
                "None. Pass the auxiliary records' sensitive values."
            )
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim != 1:
            raise ValueError(
                f"{name} infers one continuous column: y must have shape ({n},), got "
                f"shape {y.shape}."
            )
        if y.shape[0] != n:
            raise ValueError(
                f"X has {n} records but the sensitive values have {y.shape[0]}; "
                "they must match."
            )
        if y.dtype.kind not in "biuf":
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"{name} infers a continuous sensitive attribute, so y must hold "
                    f"numbers; got values of dtype {y.dtype}. Use a categorical attack "
                    "(FredriksonInversion, ImputationBaseline) for categories."
                ) from exc
        return check_array(
            y, ensure_2d=False, dtype=np.float64, input_name="y", estimator=self
        )

    def fit(self, X, y):
        """Learn from auxiliary records whose sensitive values are known.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_records, n_columns)
            Auxiliary records in the attacker's view: the target's input columns
            plus, when ``label`` is set, the known label column. The content of the
            sensitive column is ignored (``y`` holds the truth).
        y : array-like of shape (n_records,)
            The auxiliary records' sensitive values (numbers).

        Returns
        -------
        self : object
            The fitted attack.
        """
        self._reject_dask(X, y)
        self._validate_params()
        if y is None:
            self._check_values(y, 0)
        self._check_target()
        records, y_known = self._view(X, reset=True)
        values = self._check_values(y, records.shape[0])
        labels = None if y_known is None else self._encode_label(y_known)
        self.prior_mean_ = float(values.mean())
        self.queries_per_victim_ = 0
        self._fit(records, values, labels)
        return self

    def _fit(self, records, values, labels):
        """Subclass hook: learn from auxiliary records (default: nothing)."""

    @dask_aware
    def predict(self, X):
        """Inferred sensitive value of each victim.

        Parameters
        ----------
        X : array-like, DataFrame or Dask collection of shape (n_victims, n_columns)
            Victims in the attacker's view.
            A Dask DataFrame or 2-D Dask array gives a lazy result of the same
            kind, computed partition by partition, with X's partitions and index.

        Returns
        -------
        values : ndarray of shape (n_victims,)
            For Dask input, a lazy Dask array, or a Dask Series named after the
            sensitive column.
        """
        check_is_fitted(self)
        return self._by_chunks(X, self._estimate_chunk)

    def _estimate_chunk(self, X):
        records, y_known = self._view(X, reset=False)
        labels = None if y_known is None else self._encode_label(y_known)
        return np.asarray(self._estimate(records, labels), dtype=np.float64)


def _nearest_mass(sorted_values, nodes):
    """Fraction of ``sorted_values`` nearest to each node, for sorted nodes (n, k)."""
    middles = (nodes[:, 1:] + nodes[:, :-1]) / 2.0
    below = np.searchsorted(sorted_values, middles, side="left")
    n, total = nodes.shape[0], len(sorted_values)
    edges = np.hstack([np.zeros((n, 1)), below, np.full((n, 1), total)])
    return np.diff(edges, axis=1) / total


def _cell_widths(nodes, low, high):
    """Widths of the nearest-node cells of sorted nodes (n, k), within [low, high]."""
    middles = np.clip((nodes[:, 1:] + nodes[:, :-1]) / 2.0, low, high)
    n = nodes.shape[0]
    edges = np.hstack([np.full((n, 1), low), middles, np.full((n, 1), high)])
    return np.diff(edges, axis=1)


def _confidence(answers, labels):
    """Confidence in the known label, or in the top class without one."""
    if labels is None:
        return _top_class(answers)[1]
    return _label_confidence(answers, labels)


class FredriksonRegressor(BaseContinuousInversion):
    __doc__ = (
        """Black-box inversion of a continuous attribute over a refined grid.

    Fredrikson, Jha & Ristenpart (CCS 2015) over a grid. The grid holds the
    auxiliary values at the quantile levels ``(i + 1/2) / n_candidates``, or every
    distinct auxiliary value when there are at most ``n_candidates`` (the
    attribute is then treated as discrete). Each victim's record is completed
    with every grid value and the target queried; a value ``v`` scores
    ``prior(v) * f(x_v)[y]``, the target's confidence in the victim's known label
    ``y`` (its top confidence when ``label=None``), as in
    :class:`~skinvert.attacks.FredriksonInversion`.

    The prior comes from the auxiliary values: for a discrete attribute, each
    grid value's frequency; otherwise a piecewise-constant density, the fraction
    of auxiliary values nearest to a grid value over the width of that cell
    (within the auxiliary range). ``estimate="map"`` maximises density times
    confidence; ``estimate="mean"`` averages the nodes weighted by density,
    confidence and the width of each node's own cell.

    For a continuous attribute a second pass refines around each victim's best
    grid value: ``n_refine`` equally spaced points strictly between its two grid
    neighbours (the smallest or largest auxiliary value past an end of the grid)
    are queried in one more call for all victims at once, each victim with its
    own points, and join the grid values as that victim's nodes.

    Threat model: black-box access to ``predict_proba``; the attacker knows the
    victim's other input columns and, optionally, its true label.

    Parameters
    ----------"""
        + _COMMON_PARAMETERS
        + """
    candidates : array-like of shape (n_values,), default=None
        The grid, if given (numbers); ``n_candidates`` is then ignored.
    n_candidates : int, default=16
        Number of grid values drawn from the auxiliary quantiles.
    n_refine : int, default=8
        Refinement points per victim around its best grid value (0: no second
        pass).
    estimate : {"mean", "map"}, default="mean"
        ``"mean"``: the posterior mean over the nodes, the estimate of least
        expected squared error (what ``score``, R^2, rewards); ``"map"``: the node
        of highest posterior score (ties averaged), Fredrikson's choice, weaker
        when the known label is binary and the posterior flat."""
        + _QUERY_PARAMETERS
        + """
    Attributes
    ----------
    candidates_ : ndarray of shape (n_grid, 1)
        The grid values.
    prior_ : ndarray of shape (n_grid,)
        Fraction of auxiliary values nearest to each grid value (their
        frequencies for a discrete attribute).
    aux_values_ : ndarray of shape (n_records,)
        The auxiliary sensitive values, sorted (they weight the refined nodes).
    discrete_ : bool
        Whether every auxiliary value is a grid value (then the prior is a
        probability mass function and there is no second pass).
    n_refine_ : int
        Refinement points queried per victim (0 for a discrete attribute).
    target_classes_ : ndarray
        The target's ``classes_``."""
        + _COMMON_ATTRIBUTES
        + """

    See Also
    --------
    LearnedInversionRegressor : An attack model on the target's released answers.
    ImputationRegressor : The reference that uses no access to the target.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skinvert.attacks import FredriksonRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 4))          # column 0: the sensitive value
    >>> y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    >>> target = RandomForestClassifier(random_state=0).fit(X[:300], y[:300])
    >>> view = np.column_stack([X, y])        # the attacker knows the label too
    >>> attack = FredriksonRegressor(target, sensitive=0, label=4)
    >>> attack.fit(view[300:], X[300:, 0]).predict(view[:3]).shape
    (3,)
    >>> attack.queries_per_victim_
    24
    """
    )

    _parameter_constraints: dict = {
        **BaseContinuousInversion._parameter_constraints,
        "candidates": ["array-like", None],
        "n_candidates": [Interval(Integral, 1, None, closed="left")],
        "n_refine": [Interval(Integral, 0, None, closed="left")],
        "estimate": [StrOptions({"mean", "map"})],
    }

    def __init__(
        self,
        target=None,
        *,
        sensitive=0,
        label=None,
        candidates=None,
        n_candidates=16,
        n_refine=8,
        estimate="mean",
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
        verbose=0,
    ):
        super().__init__(
            target,
            sensitive=sensitive,
            label=label,
            batch_size=batch_size,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.candidates = candidates
        self.n_candidates = n_candidates
        self.n_refine = n_refine
        self.estimate = estimate

    def _grid(self, values):
        if self.candidates is not None:
            grid = np.asarray(self.candidates)
            if grid.ndim != 1 or grid.size == 0 or grid.dtype.kind not in "biuf":
                raise ValueError(
                    "candidates must be a non-empty 1-D array of numbers (the grid "
                    f"of values to try); got {self.candidates!r}."
                )
            if not np.isfinite(grid).all():
                raise ValueError("candidates contains NaN or infinite values.")
            return np.unique(grid.astype(np.float64))
        distinct = np.unique(values)
        if len(distinct) <= self.n_candidates:
            return distinct
        levels = (np.arange(self.n_candidates) + 0.5) / self.n_candidates
        return np.unique(np.quantile(values, levels, method="inverted_cdf"))

    def _fit(self, records, values, labels):
        self.aux_values_ = np.sort(values)
        grid = self._grid(values)
        self.candidates_ = grid.reshape(-1, 1)
        self.prior_ = _nearest_mass(self.aux_values_, grid[None, :])[0]
        self.discrete_ = bool(np.isin(self.aux_values_, grid).all())
        self.n_refine_ = 0 if self.discrete_ else self.n_refine
        self.queries_per_victim_ = len(grid) + self.n_refine_

    def _prior_weights(self, nodes):
        """Prior density at sorted nodes (n, k), and times each node's cell width."""
        grid, aux = self.candidates_[:, 0], self.aux_values_
        low, high = aux[0], aux[-1]
        widths = _cell_widths(grid[None, :], low, high)[0]
        density = np.divide(
            self.prior_, widths, out=np.zeros_like(self.prior_), where=widths > 0
        )
        inner = np.clip((grid[1:] + grid[:-1]) / 2.0, low, high)
        density = density[np.searchsorted(inner, nodes, side="right")]
        return density, density * _cell_widths(nodes, low, high)

    def _refine(self, records, labels, best, confidence):
        """Nodes and confidences after the second pass around the best grid value."""
        grid, aux = self.candidates_[:, 0], self.aux_values_
        lower = np.concatenate([aux[:1], grid[:-1]])[best]
        upper = np.concatenate([grid[1:], aux[-1:]])[best]
        steps = np.arange(1, self.n_refine_ + 1) / (self.n_refine_ + 1)
        fine = lower[:, None] + (upper - lower)[:, None] * steps
        answers = self._query(records, fine[:, :, None])
        nodes = np.hstack([np.broadcast_to(grid, confidence.shape), fine])
        confidence = np.hstack([confidence, _confidence(answers, labels)])
        order = np.argsort(nodes, axis=1, kind="stable")
        nodes = np.take_along_axis(nodes, order, axis=1)
        return nodes, np.take_along_axis(confidence, order, axis=1)

    def _estimate(self, records, labels):
        confidence = _confidence(self._query(records), labels)
        nodes = self.candidates_.T  # (1, k), broadcast over victims
        if self.discrete_:
            density = weight = self.prior_
        else:
            density, weight = self._prior_weights(nodes)
            if self.n_refine_:
                best = np.argmax(density * confidence, axis=1)
                nodes, confidence = self._refine(records, labels, best, confidence)
                density, weight = self._prior_weights(nodes)
        prior = density if self.estimate == "map" else weight
        scores = prior * confidence
        scores = np.where(scores.sum(axis=1, keepdims=True) > 0, scores, prior)
        if self.estimate == "mean":
            return (scores * nodes).sum(axis=1) / scores.sum(axis=1)
        tied = scores >= scores.max(axis=1, keepdims=True) * (1.0 - 1e-9)
        return (tied * nodes).sum(axis=1) / tied.sum(axis=1)


def make_default_regressor(known, random_state=None):
    """A gradient-boosting regressor with its categorical columns ordinal-encoded.

    The regression counterpart of
    :func:`~skinvert.attacks._imputation.make_default_imputer`.

    Parameters
    ----------
    known : ndarray or DataFrame
        Features the model will be fitted on (used to find the categorical
        columns: non-numeric dtypes).
    random_state : int, RandomState instance or None
        Seed of the gradient boosting.

    Returns
    -------
    estimator : regressor
        An unfitted :class:`~sklearn.ensemble.HistGradientBoostingRegressor`
        with early stopping on a held-out tenth of the data (a noisy numeric
        target overfits without it), behind an ordinal encoder when some
        columns are categorical.
    """
    classifier = make_default_imputer(known, random_state=random_state)
    booster = HistGradientBoostingRegressor(
        max_iter=100, early_stopping=True, random_state=random_state
    )
    if not isinstance(classifier, Pipeline):
        return booster
    booster.set_params(categorical_features=classifier[-1].categorical_features)
    return make_pipeline(classifier[0], booster)


def _is_missing(values):
    values = np.asarray(values)
    if values.dtype.kind in "fc":
        return np.isnan(values)
    if values.dtype.kind == "O":
        return np.not_equal(values, values) | np.equal(values, None)
    return np.zeros(values.shape, dtype=bool)


class _ModelRegressor(BaseContinuousInversion):
    """Shared parameters and fitting of the regressors built on an attack model."""

    _parameter_constraints: dict = {
        **BaseContinuousInversion._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict"]), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        target=None,
        *,
        sensitive=0,
        label=None,
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
            batch_size=batch_size,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.estimator = estimator
        self.random_state = random_state

    def _table(self, records, labels, answers=None):
        """Attack-model inputs: known features, known label, released confidences."""
        table = known_feature_table(self._known(records), labels)  # a new object
        if not is_pandas_dataframe(table):
            return table if answers is None else np.column_stack([table, answers])
        for j in range(0 if answers is None else answers.shape[1]):
            table[f"__confidence_{j}__"] = answers[:, j]
        table.columns = [str(name) for name in table.columns]  # all names strings
        return table

    def _fit_model(self, table, values):
        if self.estimator is None:
            model = make_default_regressor(table, random_state=self.random_state)
        else:
            model = clone(self.estimator)
        return model.fit(table, values)


class LearnedInversionRegressor(_ModelRegressor):
    __doc__ = (
        """Attack model on the target's released confidences (continuous attribute).

    The attacker sees, for each victim, the confidences the target released on
    the victim's true record (e.g. the answer a prediction service gave it),
    along with the victim's known features and, optionally, its known label. An
    attack model learns the sensitive value from these on the auxiliary records,
    whose released answers the attacker simulates by querying the target on them
    (one query per record). This is the attack-model approach to attribute
    inference (Song & Shmatikov, ICLR 2020, "Overlearning reveals sensitive
    attributes") applied to the target's released confidences, for a numeric
    attribute.

    Threat model: the target's released answer on each victim's true record. To
    simulate that answer, this attack **reads the victim's sensitive column at
    inference** (it is queried as is, never read otherwise); ``X`` must hold it.
    In ``fit`` the column's content is ignored as everywhere: the answers are
    simulated on the records completed with ``y``.

    Parameters
    ----------"""
        + _COMMON_PARAMETERS
        + _MODEL_PARAMETERS
        + _QUERY_PARAMETERS
        + """
    Attributes
    ----------
    estimator_ : regressor
        The fitted attack model; its inputs are the known features, the target's
        confidences (one column per target class) and the known label.
    target_classes_ : ndarray
        The target's ``classes_``."""
        + _COMMON_ATTRIBUTES
        + """

    See Also
    --------
    FredriksonRegressor : Queries each victim on a grid of candidate values.
    ImputationRegressor : The reference that uses no access to the target.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skinvert.attacks import LearnedInversionRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 4))
    >>> y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    >>> target = RandomForestClassifier(random_state=0).fit(X[:300], y[:300])
    >>> attack = LearnedInversionRegressor(target, sensitive=0, random_state=0)
    >>> attack.fit(X[300:], X[300:, 0]).score(X[:300], X[:300, 0]) > 0.2
    True
    """
    )

    # Its threat model grants the target's answer on the victim's true record.
    _reads_true_record = True

    def _released(self, records):
        return query_target(
            self.target,
            records,
            method="predict_proba",
            batch_size=self.batch_size,
            n_jobs=self.n_jobs,
            verbose=self._verbosity(),
        )

    def _fit(self, records, values, labels):
        answers = self._released(self._fill(records, values))
        self.estimator_ = self._fit_model(self._table(records, labels, answers), values)
        self.queries_per_victim_ = 1

    def _estimate(self, records, labels):
        position = self.sensitive_indices_[0]
        if is_pandas_dataframe(records):
            column = records.iloc[:, position].to_numpy()
        else:
            column = records[:, position]
        missing = _is_missing(column)
        if missing.any():
            raise ValueError(
                f"{type(self).__name__} simulates the target's released answer on "
                "each victim's true record, so it reads the sensitive column "
                f"sensitive={self.sensitive!r} at inference; it is missing (NaN or "
                f"absent) for {int(missing.sum())} victim(s). Pass X with the true "
                "values, or use FredriksonRegressor, which never reads them."
            )
        answers = self._released(records)
        return self.estimator_.predict(self._table(records, labels, answers))


class ImputationRegressor(_ModelRegressor):
    __doc__ = (
        """Infer a continuous attribute from the known features alone, no target access.

    The no-access baseline for a numeric sensitive attribute (Jayaraman & Evans,
    CCS 2022): an ordinary regressor fitted on the auxiliary data predicts the
    sensitive value from the other attributes and, when the threat model grants
    it, the known task label. An attack's leak is its margin over this baseline.

    Parameters
    ----------
    target : classifier, default=None
        Not queried. When given, known labels are checked against its
        ``classes_``; it may be left out.
    sensitive : str or int, default=0
        The sensitive column (name for DataFrames, position for arrays).
    label : str or int, default=None
        The column of ``X`` holding the known task label, used as a feature."""
        + _MODEL_PARAMETERS
        + """
    batch_size : int, default=65536
        Unused (no target queries); kept for a uniform interface.
    n_jobs : int, default=None
        Unused; kept for a uniform interface.
    verbose : int, default=0
        Unused; kept for a uniform interface.

    Attributes
    ----------
    estimator_ : regressor or None
        The fitted imputation model (None when there is no known feature: the
        prediction is then ``prior_mean_``)."""
        + _COMMON_ATTRIBUTES
        + """

    Examples
    --------
    >>> import numpy as np
    >>> from skinvert.attacks import ImputationRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 3))
    >>> X[:, 0] = 2 * X[:, 1] + 0.1 * rng.normal(size=400)   # guessable
    >>> baseline = ImputationRegressor(sensitive=0, random_state=0)
    >>> baseline.fit(X[:200], X[:200, 0]).score(X[200:], X[200:, 0]) > 0.9
    True
    """
    )

    _target_method = None

    def _fit(self, records, values, labels):
        table = self._table(records, labels)
        self.estimator_ = None
        if table.shape[1] > 0:
            self.estimator_ = self._fit_model(table, values)

    def _estimate(self, records, labels):
        if self.estimator_ is None:
            return np.full(records.shape[0], self.prior_mean_)
        return self.estimator_.predict(self._table(records, labels))
