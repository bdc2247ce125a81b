"""The target-access core and the base class shared by every attack.

The core (:func:`query_target`) is the hot path of every black-box attack: for ``n``
victims and ``k`` candidate values of the sensitive attribute it builds the ``n * k``
completed records batch by batch, queries the target on each batch (optionally in
parallel through joblib) and returns the answers as an ``(n, k, n_classes)`` array.
"""

import contextvars
import math
from functools import reduce
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils._set_output import _wrap_data_with_container
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .utils._dask import dask_aware, is_dask_collection
from .utils._optional import import_optional, is_pandas_dataframe
from .utils._validation import as_list, check_answers, check_target, resolve_column

DEFAULT_BATCH_SIZE = 65536
DEFAULT_MAX_CANDIDATES = 4096

# Set while an attack answers its victims chunk by chunk: the chunk loop shows
# the progress bar, so the target queries inside a chunk stay quiet.
_CHUNKED = contextvars.ContextVar("skinvert_chunked", default=False)


def _take_rows(X, rows):
    if is_pandas_dataframe(X):
        out = X.iloc[rows]
        out.index = range(len(out))
        return out
    return X[rows]


def _complete(X_batch, columns, candidates):
    """Return the ``nb * k`` records: each row of ``X_batch`` once per candidate.

    ``candidates`` is ``(k, m)`` (shared by every row) or ``(nb, k, m)`` (per row).
    """
    nb, k = X_batch.shape[0], candidates.shape[-2]
    per_row = np.broadcast_to(candidates, (nb, *candidates.shape[-2:]))
    if is_pandas_dataframe(X_batch):
        pd = import_optional("pandas")
        rows = X_batch.iloc[np.repeat(np.arange(nb), k)]
        rows.index = range(nb * k)
        for j, position in enumerate(columns):
            values = per_row[:, :, j].ravel()
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
        view[:, :, position] = per_row[:, :, j]
    return rows


_TOL = 1e-4  # tolerance on the confidences' row sums (as check_answers)
_PROGRESS_MIN_BATCHES = 4  # fewer batches than this never show a progress bar


def _row_sums(proba):
    if proba.shape[1] <= 4:  # a few column additions beat a reduction along axis 1
        sums = proba[:, 0].copy()
        for j in range(1, proba.shape[1]):
            sums += proba[:, j]
        return sums
    return np.einsum("ij->i", proba)


def _check_proba(answers, n_rows, n_classes):
    """Cheap check of valid confidences; :func:`check_answers` explains a failure."""
    proba = np.asarray(answers)
    n_columns = proba.shape[1] if proba.ndim == 2 else -1
    expected = (n_rows, n_classes or n_columns)
    if proba.shape == expected and proba.size and proba.dtype.kind == "f":
        sums = _row_sums(proba)  # NaN and inf fail the comparisons below
        if proba.min() >= -_TOL and sums.min() >= 1 - _TOL and sums.max() <= 1 + _TOL:
            return proba
    return check_answers(proba, n_rows, n_classes=n_classes, tol=_TOL)


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
        return _check_proba(answers, rows.shape[0], n_classes)
    answers = np.asarray(answers)
    if answers.shape != (rows.shape[0],):
        raise ValueError(
            f"The target's predict returned shape {answers.shape} for "
            f"{rows.shape[0]} rows; expected ({rows.shape[0]},)."
        )
    return answers


def _query_batch(target, method, batch, columns, candidates, n_classes):
    """Answers on one batch of victims (``candidates`` already sliced if per-victim)."""
    if candidates is None:
        return _ask(target, method, batch, n_classes)
    rows = _complete(batch, columns, candidates)
    answers = _ask(target, method, rows, n_classes)
    return answers.reshape(batch.shape[0], candidates.shape[-2], *answers.shape[1:])


class _Answers:
    """The batches' answers written in place into one array (no final concatenate)."""

    def __init__(self, n):
        self.n, self.out = n, None

    def put(self, start, part):
        if self.out is None:
            self.out = np.empty((self.n, *part.shape[1:]), dtype=part.dtype)
        elif not np.can_cast(part.dtype, self.out.dtype):  # e.g. longer strings
            try:
                dtype = np.result_type(self.out.dtype, part.dtype)
            except TypeError:
                dtype = object
            self.out = self.out.astype(dtype)
        self.out[start : start + part.shape[0]] = part


def _spans(n, step):
    """``(start, stop)`` of consecutive slices of ``step`` rows covering ``n``."""
    return [(start, min(start + step, n)) for start in range(0, n, step)]


def _progress(parts, batches, verbose):
    """Yield ``parts``, with a progress bar over their ``batches`` (counts per part)."""
    total = sum(batches)
    if not verbose or total < _PROGRESS_MIN_BATCHES:
        yield from parts
        return
    tqdm = import_optional("tqdm.auto", purpose="the progress bar (verbose > 0)")
    with tqdm.tqdm(total=total, unit="batch", desc="Querying the target") as bar:
        for part, count in zip(parts, batches):
            yield part
            bar.update(count)


def _gather(parts, spans, n, verbose, batches=None):
    """The ``parts`` written at their ``spans`` into one array of ``n`` rows."""
    out = _Answers(n)
    counts = [1] * len(spans) if batches is None else batches
    # the parts first: zip then exhausts them, which completes the progress bar
    for part, (start, _) in zip(_progress(parts, counts, verbose), spans):
        out.put(start, np.asarray(part))
    return out.out


def query_target(
    target,
    X,
    columns=None,
    candidates=None,
    *,
    method="predict_proba",
    batch_size=DEFAULT_BATCH_SIZE,
    n_jobs=None,
    verbose=0,
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
        An array of shape ``(n_victims, n_candidates, len(columns))`` gives each
        victim its own candidates (e.g. a finer grid around a first estimate).
        ``None`` queries the records of ``X`` as they are.
    method : {"predict_proba", "predict"}, default="predict_proba"
        Target method to query.
    batch_size : int, default=65536
        Maximum number of completed rows per target call.
    n_jobs : int, default=None
        Number of parallel jobs (joblib semantics: ``None`` means 1 unless a
        :func:`joblib.parallel_config` context sets ``n_jobs`` or a backend such as
        Dask's, whose workers are then all used).
    verbose : int, default=0
        If positive and there are at least 4 batches, show a progress bar over
        the batches (needs ``tqdm``).

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
        if candidates.ndim not in (2, 3) or candidates.shape[-1] != len(columns):
            raise ValueError(
                f"candidates has shape {candidates.shape}; expected (n_candidates, "
                f"{len(columns)}) or (n_victims, n_candidates, {len(columns)}) for "
                f"{len(columns)} sensitive column(s)."
            )
        if candidates.ndim == 3 and candidates.shape[0] != X.shape[0]:
            raise ValueError(
                f"Per-victim candidates are given for {candidates.shape[0]} victims "
                f"but X has {X.shape[0]} records; they must match."
            )
        if is_pandas_dataframe(X):
            _check_categories(X, columns, candidates.reshape(-1, len(columns)))
    k = 1 if candidates is None else candidates.shape[-2]
    n = X.shape[0]
    bounds = _spans(n, max(1, int(batch_size) // k))
    if not bounds:
        shape = (0, k) if candidates is not None else (0,)
        return np.empty(shape + ((n_classes,) if n_classes else ()))
    per_victim = candidates is not None and candidates.ndim == 3
    batches = (
        (_take_rows(X, slice(a, b)), candidates[a:b] if per_victim else candidates)
        for a, b in bounds
    )
    if len(bounds) == 1 or effective_n_jobs(n_jobs) == 1:
        results = (
            _query_batch(target, method, batch, columns, cands, n_classes)
            for batch, cands in batches
        )
    else:  # threads unless parallel_config selects a backend (Dask's included)
        results = Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")(
            delayed(_query_batch)(target, method, batch, columns, cands, n_classes)
            for batch, cands in batches
        )
    return _gather(results, bounds, n, verbose)


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


def _stack_columns(columns):
    """Stack 1-D arrays as columns (an object array if one is not numeric)."""
    if all(column.dtype.kind in "biuf" for column in columns):
        return np.column_stack(columns)
    out = np.empty((len(columns[0]), len(columns)), dtype=object)
    for j, column in enumerate(columns):
        out[:, j] = column
    return out


class _AttackerViewMixin:
    """The attacker's view of the records, shared by every attack.

    Turns ``X`` (the target's input columns plus, when ``label`` is set, one column
    holding the known label) into records in the target's layout and known labels,
    resolves ``sensitive`` and ``label``, checks the target, queries it through
    :func:`query_target` and writes inferred values back into the records.
    Categorical and continuous attacks both build on it.
    """

    _target_method = "predict_proba"
    _needs_label = False

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.target_tags.required = True
        return tags

    def _reject_dask(self, X, y):
        """``fit`` takes in-memory auxiliary data, never a Dask collection."""
        for name, value in (("X", X), ("y", y)):
            if is_dask_collection(value):
                raise TypeError(
                    f"{type(self).__name__}.fit takes in-memory auxiliary data; "
                    f"{name} is a Dask {type(value).__name__}. Fit on an in-memory "
                    f"sample of it (e.g. {name}.compute(), or "
                    "X.sample(frac=...).compute() with the matching y); predict, "
                    "predict_proba and transform then take Dask collections of "
                    "victims."
                )

    def _verbosity(self):
        """``verbose`` for the target queries: 0 inside a chunk of victims."""
        return 0 if _CHUNKED.get() else getattr(self, "verbose", 0)

    def _by_chunks(self, X, infer):
        """``infer(X)``, a chunk of victims at a time when they are many.

        A chunk holds one batch of queries (four per job with ``n_jobs`` > 1), so the
        completed records, the target's answers and the attack's intermediate
        arrays are bounded by the batches whatever the number of victims; only
        the output grows with it. The results are those of one call on all rows.
        """
        X = self._as_records(X)
        n = X.shape[0]
        per_victim = max(1, int(getattr(self, "queries_per_victim_", 1) or 1))
        batch = max(1, self.batch_size // per_victim)  # victims per batch
        jobs = max(1, effective_n_jobs(self.n_jobs))
        # a few batches per job, so that no job waits for the others
        step = batch * 4 * jobs if jobs > 1 else batch
        if n <= step:
            return infer(X)
        bounds = _spans(n, step)
        batches = [-(-(b - a) // batch) for a, b in bounds]
        token = _CHUNKED.set(True)
        try:
            parts = (infer(_take_rows(X, slice(a, b))) for a, b in bounds)
            return _gather(parts, bounds, n, getattr(self, "verbose", 0), batches)
        finally:
            _CHUNKED.reset(token)

    def _check_target(self):
        if self._target_method is not None or self.target is not None:
            self.target_classes_ = check_target(
                self.target,
                self._target_method or "predict",
                attack_name=type(self).__name__,
            )

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

    def _encode_label(self, y_known):
        if hasattr(self, "target_classes_"):
            return self._label_codes(y_known)
        return y_known

    def _query(self, records, candidates=None):
        """Query the target on ``records`` completed with ``candidates``.

        ``candidates=None`` uses the fitted ``candidates_``; an array of shape
        ``(n_victims, k, m)`` gives each victim its own candidates.
        """
        return query_target(
            self.target,
            records,
            self.sensitive_indices_,
            self.candidates_ if candidates is None else candidates,
            method=self._target_method,
            batch_size=self.batch_size,
            n_jobs=self.n_jobs,
            verbose=self._verbosity(),
        )

    def _fill(self, records, values):
        """A copy of ``records`` with the sensitive column(s) set to ``values``."""
        values = np.asarray(values)
        columns = values.reshape(values.shape[0], -1)
        positions = self.sensitive_indices_
        if is_pandas_dataframe(records):
            records = records.copy()
            for j, position in enumerate(positions):
                records.isetitem(position, columns[:, j])
            return records
        if records.dtype.kind in "biuf" and columns.dtype.kind in "biuf":
            records = records.astype(np.result_type(records.dtype, columns.dtype))
        else:
            records = records.astype(object)
        records[:, positions] = columns
        return records

    @dask_aware
    def transform(self, X):
        """The victims' records in the target's layout, sensitive column(s) filled in.

        Parameters
        ----------
        X : array-like, DataFrame or Dask collection of shape (n_victims, n_columns)
            Victims in the attacker's view.
            A Dask DataFrame or 2-D Dask array gives a lazy result of the same
            kind, computed partition by partition, with X's partitions and index.

        Returns
        -------
        records : ndarray or DataFrame of shape (n_victims, n_target_features)
            A lazy Dask DataFrame or array for Dask input.
        """
        check_is_fitted(self)
        inferred = self.predict(X)
        records, _ = self._view(X, reset=False)
        # the output container chosen with set_output (the method is defined
        # here, in a mixin that scikit-learn's automatic wrapping does not reach)
        return _wrap_data_with_container(
            "transform", self._fill(records, inferred), X, self
        )

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


class BaseInversion(
    _AttackerViewMixin, ClassifierMixin, TransformerMixin, BaseEstimator
):
    """Base class of the attacks on a categorical sensitive attribute.

    Subclasses set ``_target_method`` (``"predict_proba"``, ``"predict"`` or ``None``
    for attacks that never query the target) and implement ``_fit`` and
    ``_posterior``. The base turns the attacker's view ``X`` (target columns plus,
    when ``label`` is set, a column with the known label) into the target's layout,
    learns the candidates and their prior, and provides ``predict``,
    ``predict_proba``, ``transform``, ``score`` and ``get_feature_names_out``.

    **Several sensitive columns at once.** With ``sensitive=[a, b, ...]`` (``m``
    columns) every attack infers the columns jointly: the candidates are the
    product of each column's candidate values (those seen in the auxiliary data,
    or ``candidates`` given as a list of ``m`` per-column value lists), in
    lexicographic order; ``candidates_`` has shape ``(k, m)`` and ``classes_`` is
    an object array of the ``k`` combinations as tuples. The prior is the
    empirical joint frequency smoothed towards the product of the marginals with
    one pseudo-record, ``(count(v) + prod_j freq_j(v_j)) / (n_aux + 1)``, so a
    combination absent from the auxiliary data keeps a small positive mass.
    ``y`` in ``fit`` has shape ``(n, m)`` (columns in the order of
    ``sensitive``), ``predict`` returns ``(n, m)``, ``predict_proba`` is over
    ``classes_``, ``transform`` fills every column, and ``score`` is the fraction
    of victims whose ``m`` values are all right. Each victim costs ``k`` target
    queries; ``max_candidates`` caps ``k``. This is also how to attack with
    partial knowledge (Mehnaz et al., USENIX Security 2022): list the
    non-sensitive columns the attacker does not know next to the sensitive one
    and read the sensitive column of the joint estimate.
    """

    _parameter_constraints: dict = {
        "target": [HasMethods(["predict"]), None],
        "sensitive": [str, Integral, list, tuple],
        "label": [str, Integral, None],
        "candidates": ["array-like", None],
        "max_candidates": [Interval(Integral, 1, None, closed="left")],
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
        candidates=None,
        max_candidates=DEFAULT_MAX_CANDIDATES,
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
        verbose=0,
    ):
        self.target = target
        self.sensitive = sensitive
        self.label = label
        self.candidates = candidates
        self.max_candidates = max_candidates
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.verbose = verbose

    # ---------------------------------------------------------------- fitting
    def _check_sensitive_values(self, s, n):
        """The sensitive values as one array (one column) or a list of m columns."""
        if s is None:
            raise ValueError(
                f"This {type(self).__name__} estimator requires y to be passed, but "
                "the target y is None. Pass the auxiliary records' sensitive values."
            )
        m = len(getattr(self, "sensitive_indices_", [0]))
        if m > 1:
            return self._sensitive_columns(s, n, m)
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

    def _sensitive_columns(self, s, n, m):
        """The ``m`` columns of ``y``, each with its own dtype."""
        frame = is_pandas_dataframe(s)
        s = s if frame else np.asarray(s)
        shape = s.shape
        if shape and shape[0] != n:
            raise ValueError(
                f"X has {n} records but the sensitive values have {shape[0]}; "
                "they must match."
            )
        if shape != (n, m):
            raise ValueError(
                f"sensitive={self.sensitive!r} names {m} columns, so y must have shape "
                f"({n}, {m}): one column per sensitive column, in that order; got "
                f"shape {shape}."
            )
        columns = [s.iloc[:, j].to_numpy() if frame else s[:, j] for j in range(m)]
        for column in columns:
            check_classification_targets(column)
        return columns

    def _check_size(self, sizes):
        limit = getattr(self, "max_candidates", DEFAULT_MAX_CANDIDATES)
        k = math.prod(sizes)
        if k <= limit:
            return
        if len(sizes) == 1:
            raise ValueError(
                f"The sensitive column sensitive={self.sensitive!r} has {k} candidate "
                f"values, above max_candidates={limit}; each victim would cost {k} "
                "target queries. For a continuous attribute use a regressor attack "
                "(FredriksonRegressor); otherwise pass fewer candidates= (coarser "
                "values) or raise max_candidates."
            )
        raise ValueError(
            f"Inferring sensitive={self.sensitive!r} jointly needs {k} candidate "
            f"combinations ({' x '.join(map(str, sizes))} values per column), above "
            f"max_candidates={limit}; each victim would cost {k} target queries. "
            "Infer fewer columns at once, pass coarser candidates= (a list of "
            "per-column value lists), or raise max_candidates."
        )

    def _single_candidates(self, s):
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
        self._check_size([len(classes)])
        self.classes_ = classes
        self.candidates_ = classes.reshape(-1, 1)
        codes = np.searchsorted(classes, s)
        self.prior_ = np.bincount(codes, minlength=len(classes)) / len(s)
        return codes

    def _joint_candidates(self, columns):
        m, given = len(columns), self.candidates
        if given is not None and (isinstance(given, str) or len(given) != m):
            raise ValueError(
                f"sensitive={self.sensitive!r} names {m} columns, so candidates must "
                f"be a list of {m} per-column value lists (or None); got {given!r}."
            )
        values, codes = [], []
        for j, column in enumerate(columns):
            seen = np.unique(column)
            allowed = seen if given is None else np.unique(np.asarray(given[j]))
            missing = np.setdiff1d(seen, allowed)
            if missing.size:
                raise ValueError(
                    f"Sensitive values {missing[:5].tolist()} occur in column {j} of y "
                    f"but not in candidates[{j}]={allowed.tolist()}; add them."
                )
            values.append(allowed)
            codes.append(np.searchsorted(allowed, column))
        sizes = [len(v) for v in values]
        self._check_size(sizes)
        grid = np.indices(sizes).reshape(m, -1)
        combos = [v[g] for v, g in zip(values, grid)]
        self.candidates_ = _stack_columns(combos)
        self.classes_ = np.fromiter(
            zip(*(c.tolist() for c in combos)), dtype=object, count=grid.shape[1]
        )
        joint = np.ravel_multi_index(codes, sizes)
        n = len(joint)
        marginals = [np.bincount(c, minlength=k) / n for c, k in zip(codes, sizes)]
        independent = reduce(np.multiply.outer, marginals).ravel()
        counts = np.bincount(joint, minlength=grid.shape[1])
        self.prior_ = (counts + independent) / (n + 1)
        return joint

    def fit(self, X, y):
        """Learn candidates, prior and any attack model from auxiliary data.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_records, n_columns)
            Auxiliary records in the attacker's view: the target's input columns
            plus, when ``label`` is set, the known label column. The content of the
            sensitive column is ignored (``y`` holds the truth).
        y : array-like of shape (n_records,) or (n_records, n_sensitive)
            The auxiliary records' sensitive values (one column per sensitive
            column when ``sensitive`` names several).

        Returns
        -------
        self : object
            The fitted attack.
        """
        self._reject_dask(X, y)
        self._validate_params()
        if y is None:
            self._check_sensitive_values(y, 0)
        self._check_target()
        records, y_known = self._view(X, reset=True)
        s = self._check_sensitive_values(y, records.shape[0])
        if len(self.sensitive_indices_) == 1:
            codes = self._single_candidates(s)
        else:
            codes = self._joint_candidates(s)
        labels = None if y_known is None else self._encode_label(y_known)
        self.queries_per_victim_ = len(self.classes_) if self._target_method else 0
        self._fit(records, codes, labels)
        return self

    def _fit(self, records, codes, labels):
        """Subclass hook: learn from auxiliary records (default: nothing)."""

    # -------------------------------------------------------------- inference
    @dask_aware
    def predict_proba(self, X):
        """Posterior over the candidates (``classes_``) for each victim.

        Parameters
        ----------
        X : array-like, DataFrame or Dask collection of shape (n_victims, n_columns)
            Victims in the attacker's view. The sensitive column's content is never
            read (it may be NaN or, in a DataFrame, absent).
            A Dask DataFrame or 2-D Dask array gives a lazy result of the same
            kind, computed partition by partition, with X's partitions and index.

        Returns
        -------
        proba : ndarray of shape (n_victims, n_candidates)
            A lazy Dask array, or a Dask DataFrame with one column per class, for
            Dask input.
        """
        check_is_fitted(self)
        return self._by_chunks(X, self._posterior_of_chunk)

    def _posterior_of_chunk(self, X):
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

    @dask_aware
    def predict(self, X):
        """Inferred sensitive value(s) of each victim.

        Parameters
        ----------
        X : array-like, DataFrame or Dask collection of shape (n_victims, n_columns)
            Victims in the attacker's view.
            A Dask DataFrame or 2-D Dask array gives a lazy result of the same
            kind, computed partition by partition, with X's partitions and index.

        Returns
        -------
        s : ndarray of shape (n_victims,) or (n_victims, n_sensitive)
            One column per sensitive column when ``sensitive`` names several.
            For Dask input, a lazy Dask array, or a Dask Series named after the
            sensitive column (a Dask DataFrame for several).
        """
        best = self._best(self.predict_proba(X))
        if len(self.sensitive_indices_) == 1:
            return self.classes_[best]
        return self.candidates_[best]

    def score(self, X, y, sample_weight=None):
        """Accuracy of the inferred values.

        With several sensitive columns, the fraction of victims whose values are
        all right.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_victims, n_columns)
            Victims in the attacker's view.
        y : array-like of shape (n_victims,) or (n_victims, n_sensitive)
            Their true sensitive values.
        sample_weight : array-like of shape (n_victims,), default=None
            Victim weights.

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        if len(self.sensitive_indices_) == 1:
            return super().score(X, y, sample_weight=sample_weight)
        predicted = self.predict(X)
        columns = self._check_sensitive_values(y, predicted.shape[0])
        right = [predicted[:, j] == column for j, column in enumerate(columns)]
        return float(np.average(np.logical_and.reduce(right), weights=sample_weight))
