"""Docstring sections shared by the attacks' estimators (numpydoc fragments)."""

_SHARED_PARAMETERS = """
    Parameters
    ----------
    target : classifier
        The fitted model under attack, exposing ``predict_proba`` and ``classes_``.
        Wrap it in :class:`sklearn.frozen.FrozenEstimator` to use the attack in
        ``GridSearchCV`` or ``cross_val_score``; it is never refitted.
    sensitive : str, int or list, default=0
        The sensitive column: a name for DataFrames, a position for arrays
        (positions index the columns of ``X`` as passed). A list of several
        columns infers them jointly over the product of their candidates
        (also the way to treat non-sensitive columns the attacker does not know).
    label : str or int, default=None
        The column of ``X`` holding the victim's known task label, if the threat
        model grants it. ``X`` without that column is the target's layout.
    candidates : array-like, default=None
        Values the sensitive attribute can take. Default: those in the auxiliary
        data seen by ``fit`` (a list of per-column value lists for joint
        inference).
    max_candidates : int, default=4096
        Largest number of candidates (product over the sensitive columns) the
        attack accepts; each costs one target query per victim.
    batch_size : int, default=65536
        Maximum number of completed records per target call (bounds memory); a
        victim's candidates are split across calls when they outnumber it.
    n_jobs : int, default=None
        Parallel jobs for the queries (joblib; ``None`` means 1). Any joblib
        backend set with :func:`joblib.parallel_config` is used, Dask's included.
        It also bounds the BLAS/OpenMP threads of the target and of the attack's
        own models.
    verbose : int, default=0
        If positive, show progress over the query batches when there are at
        least 4 (a bar with ``tqdm``, the ``progress`` extra; plain lines on
        stderr without it).
"""

_PRIOR_PARAMETER = """    prior : {"empirical", "uniform"}, default="empirical"
        Prior over the candidates: their frequencies in the auxiliary data, or
        uniform (the attacker ignores how common each value is).
"""

_SHARED_ATTRIBUTES = """
    Attributes
    ----------
    classes_ : ndarray of shape (n_candidates,)
        The candidate values of the sensitive attribute.
    prior_ : ndarray of shape (n_candidates,)
        Their frequencies in the auxiliary data.
    target_classes_ : ndarray
        The target's ``classes_``.
    queries_per_victim_ : int
        Target queries (completed records) made per victim: ``n_candidates``.
    n_features_in_ : int
        Number of columns of ``X`` seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names of ``X`` seen in ``fit`` (DataFrames only).
    label_index_ : int or None
        Position of the known-label column in ``X``.
    sensitive_indices_ : list of int
        Positions of the sensitive column(s) in the target's layout.
"""


# Up to this many classes, a loop of whole-array operations over the classes beats
# NumPy's reductions along a short last axis (the common binary case by far).

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
        Maximum number of completed records per target call (bounds memory); a
        victim's candidates are split across calls when they outnumber it.
    n_jobs : int, default=None
        Parallel jobs for the queries (joblib; ``None`` means 1). Any joblib
        backend set with :func:`joblib.parallel_config` is used, Dask's included.
        It also bounds the BLAS/OpenMP threads of the target and of the attack's
        own models.
    verbose : int, default=0
        If positive, show progress over the query batches when there are at
        least 4 (a bar with ``tqdm``, the ``progress`` extra; plain lines on
        stderr without it).
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
