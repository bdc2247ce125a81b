"""The attacker's view of the records, shared by every attack's estimator base."""

from contextlib import contextmanager
from numbers import Integral

import numpy as np
from joblib import effective_n_jobs
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted, validate_data

from ._query import _CHUNKED, _gather, _spans, _take_rows, query_target
from .utils._dask import dask_aware, is_dask_collection
from .utils._optional import import_optional, is_pandas_dataframe
from .utils._sklearn import _wrap_data_with_container
from .utils._threads import limit_threads, thread_budget
from .utils._validation import (
    as_list,
    as_records_or_frame,
    check_finite_known,
    check_target,
    close_matches,
    in_fitted_order,
    in_target_order,
    missing_cells,
    refuse_unnamed,
    resolve_column,
)


def _kind(values):
    """The kind of a few values: "numeric", "string" or "mixed" (error path)."""
    values = np.asarray(values)
    if values.dtype.kind in "biuf":
        return "numeric"
    numbers = [isinstance(v, (int, float, np.number)) for v in values.ravel()[:1000]]
    if numbers and all(numbers):
        return "numeric"
    return "mixed" if any(numbers) else "string"


def _sample(values):
    """Up to five distinct values (as they are: a list shows their repr once)."""
    values = np.asarray(values).ravel()
    try:
        return np.unique(values)[:5].tolist()
    except TypeError:  # values that do not compare: strings and numbers, say
        return sorted(set(values.tolist()), key=lambda v: (type(v).__name__, str(v)))[
            :5
        ]


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

    def _fitted_names(self):
        """Names of the fitted attributes (trailing underscore, not parameters)."""
        params = set(self.get_params(deep=False))
        return [
            name
            for name in vars(self)
            if name.endswith("_") and not name.startswith("__") and name not in params
        ]

    @contextmanager
    def _fit_state(self):
        """Run a fit so that it either completes or leaves the attack as it was.

        Stale fitted attributes are removed on entry (nothing of a previous fit
        is read while fitting), and restored with the rest of the previous state
        if the fit raises: a failed refit leaves the previous fitted attack
        whole, a failed first fit leaves an unfitted one (``NotFittedError``).
        The attack's own models and the target queries run with native thread
        pools bounded by ``n_jobs`` (:mod:`skinvert.utils._threads`).
        """
        saved = dict(vars(self))
        for name in self._fitted_names():
            delattr(self, name)
        try:
            with limit_threads(thread_budget(getattr(self, "n_jobs", None))):
                yield
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            raise

    def _bounded(self):
        """Native thread pools bounded by ``n_jobs`` while the attack infers."""
        return limit_threads(thread_budget(getattr(self, "n_jobs", None)))

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
        """Check ``X`` lightly; DataFrames and object arrays pass through untouched.

        A polars (or other dataframe-interchange) frame becomes a pandas
        DataFrame with the same column names.
        """
        X = as_records_or_frame(X)
        if is_pandas_dataframe(X):
            if not X.columns.is_unique:
                duplicated = X.columns[X.columns.duplicated()].unique().tolist()
                raise ValueError(
                    f"X has duplicated column names {duplicated}: every column of "
                    "X must have its own name (rename them, e.g. X.columns = "
                    "[...])."
                )
            if X.shape[0] == 0:
                raise ValueError(
                    "Found array with 0 sample(s) (shape=(0, "
                    f"{X.shape[1]})) while a minimum of 1 is required."
                )
            return X
        return check_array(
            X, dtype=None, ensure_all_finite=False, input_name="X", estimator=self
        )

    def _insert_absent(self, X, *, reset):
        """Insert the sensitive columns a DataFrame leaves out, filled with NaN.

        A name may be left out only when the column names it will take its place
        among are known: the target's ``feature_names_in_`` in ``fit``, the
        fitted ``feature_names_in_`` afterwards. Otherwise (a misspelt name, an
        API client without column names) the error names it and close matches.
        """
        names = [s for s in as_list(self.sensitive) if isinstance(s, str)]
        absent = [s for s in names if s not in X.columns]
        if not absent:
            return X
        if reset:
            known = getattr(self.target, "feature_names_in_", None)
            where = "the target's feature_names_in_"
        else:
            known = getattr(self, "feature_names_in_", None)
            where = "the column names seen in fit"
        known = [] if known is None else [str(name) for name in known]
        for name in absent:
            if name not in known:
                raise ValueError(
                    f"sensitive={name!r} is not a column of X"
                    f"{close_matches(name, list(X.columns) + known)}. Columns of X: "
                    f"{list(X.columns)}. A sensitive column may be left out of a "
                    f"DataFrame only when {where} lists it"
                    + (f" ({known})." if known else " (there are none).")
                )
        X = X.copy()
        for name in absent:
            before = known[: known.index(name)]
            present = [c for c in before if c in X.columns]
            position = X.columns.get_loc(present[-1]) + 1 if present else 0
            X.insert(int(position), name, np.nan)
        return X

    def _view(self, X, *, reset):
        """Return (records in the target's layout, known labels or None)."""
        X = self._as_records(X)
        given = None
        if is_pandas_dataframe(X):
            X = self._insert_absent(X, reset=reset)
            if reset:
                X, given = in_target_order(
                    X, self.target, label=self.label, sensitive=self.sensitive
                )
            else:
                X = in_fitted_order(X, getattr(self, "feature_names_in_", None))
        elif reset:
            refuse_unnamed(X, self.target, self.label)
        validate_data(self, X, skip_check_array=True, reset=reset)
        if reset:
            self._resolve_columns(X, given)
        if self.label_index_ is None:
            records, y = X, None
        elif is_pandas_dataframe(X):
            y = X.iloc[:, self.label_index_].to_numpy()
            records = X.drop(columns=X.columns[self.label_index_])
        else:
            y = X[:, self.label_index_]
            records = np.delete(X, self.label_index_, axis=1)
        check_finite_known(records, self.sensitive_indices_, y)
        if is_pandas_dataframe(records):
            if reset:
                self.sensitive_dtypes_ = self._categorical_dtypes(records)
            records = self._as_fitted_dtypes(records)
        return records, y

    def _categorical_dtypes(self, records):
        """The pandas CategoricalDtype of each sensitive column (None if not one)."""
        pd = import_optional("pandas")
        dtypes = [records.dtypes.iloc[p] for p in self.sensitive_indices_]
        return [d if isinstance(d, pd.CategoricalDtype) else None for d in dtypes]

    def _complete_categories(self, records, y, values):
        """Fitted CategoricalDtypes completed by the sensitive values of ``fit``.

        ``y`` (a pandas categorical Series) gives its dtype when the column of
        ``X`` is absent, empty or lists fewer categories; otherwise values of
        ``y`` missing from the column's categories are appended to them. Returns
        ``records`` cast to the completed dtypes.
        """
        if not is_pandas_dataframe(records) or len(self.sensitive_indices_) != 1:
            return records
        pd = import_optional("pandas")
        dtype = self.sensitive_dtypes_[0]
        given = getattr(y, "dtype", None)
        if isinstance(given, pd.CategoricalDtype):
            column = records.iloc[:, self.sensitive_indices_[0]]
            if (dtype is None and column.isna().all()) or (
                dtype is not None and set(dtype.categories) < set(given.categories)
            ):
                dtype = given
        if dtype is not None:
            missing = set(np.unique(values).tolist()) - set(dtype.categories.tolist())
            if missing:
                dtype = pd.CategoricalDtype(
                    [*dtype.categories.tolist(), *sorted(missing, key=str)],
                    ordered=dtype.ordered,
                )
        self.sensitive_dtypes_ = [dtype]
        return self._as_fitted_dtypes(records)

    def _as_fitted_dtypes(self, records):
        """Sensitive columns cast to the CategoricalDtype seen in ``fit``.

        Victims whose column is absent, NaN, plain strings or lists fewer
        categories get the fitted categories, so that the completed records and
        ``transform`` carry the dtype the target was trained on.
        """
        dtypes = getattr(self, "sensitive_dtypes_", None) or []
        changed = [
            (p, d)
            for p, d in zip(self.sensitive_indices_, dtypes)
            if d is not None and records.dtypes.iloc[p] != d
        ]
        if not changed:
            return records
        pd = import_optional("pandas")
        records = records.copy(deep=False)
        for position, dtype in changed:
            column = records.iloc[:, position]
            values = column.astype(object).where(column.notna(), None).to_numpy()
            records.isetitem(position, pd.Categorical(values, dtype=dtype))
        return records

    def _resolve_columns(self, X, given=None):
        def named(spec):
            # a position in a DataFrame indexes its columns as given, before any
            # reordering to the target's order
            if (
                given is not None
                and isinstance(spec, (Integral, np.integer))
                and not isinstance(spec, bool)
                and spec not in given
                and -len(given) <= spec < len(given)
            ):
                return given[spec]
            return spec

        label = None
        if self.label is not None:
            label = resolve_column(named(self.label), X, param="label")
        positions = [
            resolve_column(named(s), X, param="sensitive")
            for s in as_list(self.sensitive)
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
            if label is None:
                counted = f"X has {X.shape[1]} columns (no label= set)"
            else:
                counted = (
                    f"X has {X.shape[1]} columns; without the label column that "
                    f"leaves {n_target}"
                )
            hint = ""
            if label is None and n_target == expected + 1:
                hint = (
                    " If one column of X holds the known task label, set label= to "
                    "its position (or name, in a DataFrame)."
                )
            raise ValueError(
                f"{counted}, but the target expects {expected} features. X must hold "
                "the target's input columns (sensitive one included, any content) plus "
                f"the known label column when label= is set.{hint}"
            )

    def _known(self, records):
        """The known features: the target's columns without the sensitive ones."""
        if is_pandas_dataframe(records):
            return records.drop(columns=records.columns[self.sensitive_indices_])
        return np.delete(records, self.sensitive_indices_, axis=1)

    def _label_codes(self, y):
        """Positions of the known labels in the target's ``classes_``."""
        classes = self.target_classes_
        y = np.asarray(y)
        missing = missing_cells(y.ravel())
        if missing.any():
            raise ValueError(
                f"{int(missing.sum())} records have a missing known label (column "
                f"{self.label!r}); drop them: {type(self).__name__} reads each "
                "record's known task label, one of the target's classes_ "
                f"{classes.tolist()[:10]}."
            )
        try:
            order = np.argsort(classes)
            found = np.searchsorted(classes, y, sorter=order)
            found = np.clip(found, 0, len(classes) - 1)
            codes = order[found]
            unknown = np.asarray(classes[codes] != y, dtype=bool)
        except TypeError:  # numbers against strings, say
            unknown = np.ones(y.shape, dtype=bool)
        if np.any(unknown):
            bad = y[unknown][:1000]
            hint = ""
            if _kind(bad) != _kind(classes):
                hint = (
                    f" The label column holds {_kind(bad)} values but classes_ "
                    f"holds {_kind(classes)} ones: code the labels as the target "
                    "does (e.g. map 0/1 to the names in classes_)."
                )
            raise ValueError(
                f"Known labels {_sample(bad)} in the label column "
                f"label={self.label!r} are not among the target's classes_ "
                f"{classes.tolist()[:10]}; the label column must hold the task "
                f"labels the target predicts.{hint}"
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
            pd = import_optional("pandas")
            records = records.copy()
            for j, position in enumerate(positions):
                dtype = records.dtypes.iloc[position]
                column = columns[:, j]
                if isinstance(dtype, pd.CategoricalDtype):  # the dtype seen in fit
                    column = pd.Categorical(column, dtype=dtype)
                records.isetitem(position, column)
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
