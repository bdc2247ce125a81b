"""The target-access core and the base class shared by every attack.

The core (:func:`query_target`) is the hot path of every black-box attack: for ``n``
victims and ``k`` candidate values of the sensitive attribute it builds the ``n * k``
completed records batch by batch, queries the target on each batch (optionally in
parallel through joblib) and returns the answers as an ``(n, k, n_classes)`` array.
"""

from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .utils._optional import import_optional, is_pandas_dataframe
from .utils._validation import as_list, check_answers, check_target, resolve_column

DEFAULT_BATCH_SIZE = 65536


def _take_rows(X, rows):
    if is_pandas_dataframe(X):
        out = X.iloc[rows]
        out.index = range(len(out))
        return out
    return X[rows]


def _complete(X_batch, columns, candidates):
    """Return the ``nb * k`` records: each row of ``X_batch`` once per candidate."""
    nb, k = X_batch.shape[0], candidates.shape[0]
    if is_pandas_dataframe(X_batch):
        pd = import_optional("pandas")
        rows = X_batch.iloc[np.repeat(np.arange(nb), k)]
        rows.index = range(nb * k)
        for j, position in enumerate(columns):
            values = np.tile(candidates[:, j], nb)
            dtype = X_batch.dtypes.iloc[position]
            if isinstance(dtype, pd.CategoricalDtype):
                values = pd.Categorical(values, dtype=dtype)
            rows.isetitem(position, values)
        return rows
    dtype = X_batch.dtype
    if dtype.kind in "biuf" and candidates.dtype.kind in "biuf":
        dtype = np.result_type(dtype, candidates.dtype)
    else:
        dtype = object
    rows = np.repeat(X_batch.astype(dtype, copy=False), k, axis=0)
    view = rows.reshape(nb, k, -1)
    for j, position in enumerate(columns):
        view[:, :, position] = candidates[None, :, j]
    return rows


def _ask(target, method, rows, n_classes):
    try:
        answers = getattr(target, method)(rows)
    except (ValueError, TypeError) as exc:
        raise type(exc)(
            f"The target failed on the completed records: {exc}. If its encoder has "
            "not seen a candidate value of the sensitive attribute, pass "
            "candidates= with values the target knows."
        ) from exc
    if method == "predict_proba":
        return check_answers(answers, rows.shape[0], n_classes=n_classes)
    answers = np.asarray(answers)
    if answers.shape != (rows.shape[0],):
        raise ValueError(
            f"The target's predict returned shape {answers.shape} for "
            f"{rows.shape[0]} rows; expected ({rows.shape[0]},)."
        )
    return answers


def _query_batch(target, method, X, start, stop, columns, candidates, n_classes):
    batch = (
        _take_rows(X, slice(start, stop)) if is_pandas_dataframe(X) else X[start:stop]
    )
    if candidates is None:
        return _ask(target, method, batch, n_classes)
    rows = _complete(batch, columns, candidates)
    answers = _ask(target, method, rows, n_classes)
    return answers.reshape(stop - start, candidates.shape[0], *answers.shape[1:])


def query_target(
    target,
    X,
    columns=None,
    candidates=None,
    *,
    method="predict_proba",
    batch_size=DEFAULT_BATCH_SIZE,
    n_jobs=None,
):
    """Query ``target`` on every record of ``X`` completed with every candidate.

    This is the one place where attacks talk to the target. Records are completed and
    queried batch by batch, so memory stays bounded by ``batch_size`` completed rows
    whatever the number of victims; batches run through :class:`joblib.Parallel`
    (threads by default; any joblib backend set with
    :func:`joblib.parallel_config`, Dask's included, is honoured).

    Parameters
    ----------
    target : estimator
        Fitted model exposing ``method``.
    X : ndarray or DataFrame of shape (n_victims, n_target_features)
        Records in the target's input layout. The content of ``columns`` is never
        read: those cells are overwritten by each candidate.
    columns : list of int, default=None
        Positions of the sensitive column(s) in ``X``.
    candidates : ndarray of shape (n_candidates, len(columns)), default=None
        Candidate values, one row per candidate (one entry per sensitive column).
        ``None`` queries the records of ``X`` as they are.
    method : {"predict_proba", "predict"}, default="predict_proba"
        Target method to query.
    batch_size : int, default=65536
        Maximum number of completed rows per target call.
    n_jobs : int, default=None
        Number of parallel jobs (joblib semantics, ``None`` means 1).

    Returns
    -------
    answers : ndarray
        ``(n_victims, n_candidates, n_classes)`` confidences for ``predict_proba``,
        ``(n_victims, n_candidates)`` labels for ``predict``; without candidates,
        ``(n_victims, n_classes)`` or ``(n_victims,)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvert.base import query_target
    >>> X = np.array([[0., 1.], [1., 0.], [0., 0.], [1., 1.]])
    >>> target = LogisticRegression().fit(X, [0, 1, 0, 1])
    >>> query_target(target, X, [0], np.array([[0.], [1.]])).shape
    (4, 2, 2)
    """
    n_classes = None
    if method == "predict_proba" and hasattr(target, "classes_"):
        n_classes = len(target.classes_)
    if candidates is not None:
        candidates = np.asarray(candidates)
        if candidates.ndim == 1:
            candidates = candidates.reshape(-1, 1)
        columns = list(columns)
        if candidates.shape[1] != len(columns):
            raise ValueError(
                f"candidates has {candidates.shape[1]} values per row but "
                f"{len(columns)} sensitive column(s) were given."
            )
        if is_pandas_dataframe(X):
            _check_categories(X, columns, candidates)
    k = 1 if candidates is None else candidates.shape[0]
    n = X.shape[0]
    step = max(1, int(batch_size) // k)
    bounds = [(start, min(start + step, n)) for start in range(0, n, step)]
    if len(bounds) == 1 or n_jobs in (None, 1):
        parts = [
            _query_batch(target, method, X, a, b, columns, candidates, n_classes)
            for a, b in bounds
        ]
    else:
        parts = Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(_query_batch)(
                target, method, X, a, b, columns, candidates, n_classes
            )
            for a, b in bounds
        )
    if not parts:
        shape = (0, k) if candidates is not None else (0,)
        return np.empty(shape + ((n_classes or 0,) if n_classes else ()))
    return np.concatenate(parts, axis=0)


def _check_categories(X, columns, candidates):
    pd = import_optional("pandas")
    for j, position in enumerate(columns):
        dtype = X.dtypes.iloc[position]
        if isinstance(dtype, pd.CategoricalDtype):
            unknown = set(candidates[:, j].tolist()) - set(dtype.categories.tolist())
            if unknown:
                raise ValueError(
                    f"Candidate values {sorted(map(str, unknown))} are not categories "
                    f"of the categorical column {X.columns[position]!r} "
                    f"(categories: {list(dtype.categories)}). Pass candidates= with "
                    "values among the categories, or add them to the dtype."
                )


class BaseInversion(ClassifierMixin, TransformerMixin, BaseEstimator):
    """Base class of the attacks on a categorical sensitive attribute.

    Subclasses set ``_target_method`` (``"predict_proba"``, ``"predict"`` or ``None``
    for attacks that never query the target) and implement ``_fit`` and
    ``_posterior``. The base turns the attacker's view ``X`` (target columns plus,
    when ``label`` is set, a column with the known label) into the target's layout,
    learns the candidates and their prior, and provides ``predict``,
    ``predict_proba``, ``transform``, ``score`` and ``get_feature_names_out``.
    """

    _parameter_constraints: dict = {
        "target": [HasMethods(["predict"]), None],
        "sensitive": [str, Integral, list, tuple],
        "label": [str, Integral, None],
        "candidates": ["array-like", None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
    }

    _target_method = "predict_proba"
    _needs_label = False

    def __init__(
        self,
        target=None,
        *,
        sensitive=0,
        label=None,
        candidates=None,
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
    ):
        self.target = target
        self.sensitive = sensitive
        self.label = label
        self.candidates = candidates
        self.batch_size = batch_size
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.target_tags.required = True
        return tags

    # ------------------------------------------------------------------ views
    def _as_records(self, X):
        """Check ``X`` lightly; DataFrames and object arrays pass through untouched."""
        if is_pandas_dataframe(X):
            if X.shape[0] == 0:
                raise ValueError(
                    "Found array with 0 sample(s) (shape=(0, "
                    f"{X.shape[1]})) while a minimum of 1 is required."
                )
            return X
        return check_array(
            X, dtype=None, ensure_all_finite=False, input_name="X", estimator=self
        )

    def _insert_absent(self, X):
        """Insert the sensitive columns a DataFrame leaves out, filled with NaN."""
        names = [s for s in as_list(self.sensitive) if isinstance(s, str)]
        absent = [s for s in names if s not in X.columns]
        if not absent:
            return X
        X = X.copy()
        fitted_names = list(getattr(self, "feature_names_in_", []))
        for name in absent:
            position = fitted_names.index(name) if name in fitted_names else X.shape[1]
            X.insert(min(position, X.shape[1]), name, np.nan)
        return X

    def _view(self, X, *, reset):
        """Return (records in the target's layout, known labels or None)."""
        X = self._as_records(X)
        if is_pandas_dataframe(X):
            X = self._insert_absent(X)
        validate_data(self, X, skip_check_array=True, reset=reset)
        if reset:
            self._resolve_columns(X)
        if self.label_index_ is None:
            return X, None
        if is_pandas_dataframe(X):
            y = X.iloc[:, self.label_index_].to_numpy()
            records = X.drop(columns=X.columns[self.label_index_])
        else:
            y = X[:, self.label_index_]
            records = np.delete(X, self.label_index_, axis=1)
        return records, y

    def _resolve_columns(self, X):
        label = None
        if self.label is not None:
            label = resolve_column(self.label, X, param="label")
        positions = [
            resolve_column(s, X, param="sensitive") for s in as_list(self.sensitive)
        ]
        if label is not None and label in positions:
            raise ValueError(
                f"label={self.label!r} and sensitive={self.sensitive!r} name the same "
                "column; the known label is a separate column of X."
            )
        if len(set(positions)) != len(positions):
            raise ValueError(f"sensitive={self.sensitive!r} names a column twice.")
        if self._needs_label and label is None:
            raise ValueError(
                f"{type(self).__name__} needs the victims' known task label: set "
                "label= to the column of X that holds it."
            )
        self.label_index_ = label
        shift = [int(label is not None and label < p) for p in positions]
        self.sensitive_indices_ = [p - d for p, d in zip(positions, shift)]
        n_target = X.shape[1] - (label is not None)
        expected = getattr(self.target, "n_features_in_", None)
        if expected is not None and expected != n_target:
            raise ValueError(
                f"X has {X.shape[1]} columns; without the label column that leaves "
                f"{n_target}, but the target expects {expected} features. X must hold "
                "the target's input columns (sensitive one included, any content) plus "
                "the known label column when label= is set."
            )

    def _known(self, records):
        """The known features: the target's columns without the sensitive ones."""
        if is_pandas_dataframe(records):
            return records.drop(columns=records.columns[self.sensitive_indices_])
        return np.delete(records, self.sensitive_indices_, axis=1)

    def _label_codes(self, y):
        """Positions of the known labels in the target's ``classes_``."""
        classes = self.target_classes_
        order = np.argsort(classes)
        found = np.searchsorted(classes, y, sorter=order)
        found = np.clip(found, 0, len(classes) - 1)
        codes = order[found]
        unknown = classes[codes] != y
        if np.any(unknown):
            raise ValueError(
                f"Known labels {np.unique(np.asarray(y)[unknown])[:5].tolist()} are "
                f"not among the target's classes_ {classes.tolist()}; the label column "
                "must hold the task labels the target predicts."
            )
        return codes

    # ---------------------------------------------------------------- fitting
    def _check_sensitive_values(self, s, n):
        if s is None:
            raise ValueError(
                f"This {type(self).__name__} estimator requires y to be passed, but "
                "the target y is None. Pass the auxiliary records' sensitive values."
            )
        s = np.asarray(s)
        if s.ndim == 2 and s.shape[1] == 1:
            s = column_or_1d(s, warn=True)
        if s.shape[0] != n:
            raise ValueError(
                f"X has {n} records but the sensitive values have {s.shape[0]}; "
                "they must match."
            )
        if s.ndim != 1:
            raise ValueError(
                f"Expected one sensitive value per record (shape ({n},)), got shape "
                f"{s.shape}."
            )
        check_classification_targets(s)
        return s

    def fit(self, X, y):
        """Learn candidates, prior and any attack model from auxiliary data.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_records, n_columns)
            Auxiliary records in the attacker's view: the target's input columns
            plus, when ``label`` is set, the known label column. The content of the
            sensitive column is ignored (``y`` holds the truth).
        y : array-like of shape (n_records,)
            The auxiliary records' sensitive values.

        Returns
        -------
        self : object
            The fitted attack.
        """
        self._validate_params()
        if y is None:
            self._check_sensitive_values(y, 0)
        if self._target_method is not None or self.target is not None:
            self.target_classes_ = check_target(
                self.target,
                self._target_method or "predict",
                attack_name=type(self).__name__,
            )
        records, y_known = self._view(X, reset=True)
        s = self._check_sensitive_values(y, records.shape[0])
        if self.candidates is None:
            classes = np.unique(s)
        else:
            classes = np.unique(np.asarray(self.candidates))
            missing = np.setdiff1d(np.unique(s), classes)
            if missing.size:
                raise ValueError(
                    f"Sensitive values {missing[:5].tolist()} occur in y but not in "
                    f"candidates={classes.tolist()}; add them to candidates."
                )
        self.classes_ = classes
        self.candidates_ = classes.reshape(-1, 1)
        codes = np.searchsorted(classes, s)
        self.prior_ = np.bincount(codes, minlength=len(classes)) / len(s)
        labels = None if y_known is None else self._encode_label(y_known)
        self.queries_per_victim_ = len(classes) if self._target_method else 0
        self._fit(records, codes, labels)
        return self

    def _encode_label(self, y_known):
        if hasattr(self, "target_classes_"):
            return self._label_codes(y_known)
        return y_known

    def _fit(self, records, codes, labels):
        """Subclass hook: learn from auxiliary records (default: nothing)."""

    # -------------------------------------------------------------- inference
    def _query(self, records):
        return query_target(
            self.target,
            records,
            self.sensitive_indices_,
            self.candidates_,
            method=self._target_method,
            batch_size=self.batch_size,
            n_jobs=self.n_jobs,
        )

    def predict_proba(self, X):
        """Posterior over the candidates (``classes_``) for each victim.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_victims, n_columns)
            Victims in the attacker's view. The sensitive column's content is never
            read (it may be NaN or, in a DataFrame, absent).

        Returns
        -------
        proba : ndarray of shape (n_victims, n_candidates)
        """
        check_is_fitted(self)
        records, y_known = self._view(X, reset=False)
        labels = None if y_known is None else self._encode_label(y_known)
        scores = np.asarray(self._posterior(records, labels), dtype=float)
        totals = scores.sum(axis=1, keepdims=True)
        empty = totals[:, 0] <= 0
        scores[empty] = self.prior_
        totals[empty] = 1.0
        return scores / totals

    def _best(self, proba):
        """Index of the most probable candidate, ties broken by the prior."""
        top = proba.max(axis=1, keepdims=True)
        tied = proba >= top - 1e-12
        return np.argmax(np.where(tied, self.prior_ + 1.0, 0.0), axis=1)

    def predict(self, X):
        """Inferred sensitive value of each victim.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_victims, n_columns)
            Victims in the attacker's view.

        Returns
        -------
        s : ndarray of shape (n_victims,)
        """
        proba = self.predict_proba(X)
        return self.classes_[self._best(proba)]

    def transform(self, X):
        """The victims' records in the target's layout, sensitive column filled in.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_victims, n_columns)
            Victims in the attacker's view.

        Returns
        -------
        records : ndarray or DataFrame of shape (n_victims, n_target_features)
        """
        check_is_fitted(self)
        inferred = self.predict(X)
        records, _ = self._view(X, reset=False)
        position = self.sensitive_indices_[0]
        if is_pandas_dataframe(records):
            records = records.copy()
            records.isetitem(position, inferred)
            return records
        if records.dtype.kind in "biuf" and inferred.dtype.kind in "biuf":
            records = records.astype(np.result_type(records.dtype, inferred.dtype))
        else:
            records = records.astype(object)
        records[:, position] = inferred
        return records

    def get_feature_names_out(self, input_features=None):
        """Names of the columns ``transform`` returns (the target's layout).

        Parameters
        ----------
        input_features : array-like of str, default=None
            Ignored unless it matches the fitted input names.

        Returns
        -------
        names : ndarray of str
        """
        check_is_fitted(self)
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = np.array(
                [f"x{i}" for i in range(self.n_features_in_)], dtype=object
            )
        if input_features is not None and list(input_features) != list(names):
            raise ValueError(
                "input_features does not match the feature names seen in fit: "
                f"{list(names)}."
            )
        if self.label_index_ is not None:
            names = np.delete(names, self.label_index_)
        return np.asarray(names, dtype=object)
