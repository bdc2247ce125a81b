"""Validation helpers shared by every attack: the target, the columns, the answers."""

import difflib
from numbers import Integral

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ._optional import import_optional, is_pandas_dataframe


def numbers_of_object(values):
    """An object array holding only numbers as a numeric array (else as is).

    Examples
    --------
    >>> import numpy as np
    >>> from skinvert.utils._validation import numbers_of_object
    >>> numbers_of_object(np.array([1, 2.5], dtype=object)).dtype
    dtype('float64')
    """
    values = np.asarray(values)
    if values.dtype != object or values.size == 0:
        return values
    kinds = set(np.frompyfunc(type, 1, 1)(values).tolist())
    if all(issubclass(k, (int, float, np.number)) for k in kinds):
        return np.asarray(values.tolist())
    return values


def missing_cells(values):
    """Boolean mask of the missing cells (NaN, None, pandas.NA) of an array.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvert.utils._validation import missing_cells
    >>> missing_cells(np.array([1.0, None, "a"], dtype=object)).tolist()
    [False, True, False]
    """
    values = np.asarray(values)
    if values.dtype.kind in "fc":
        return np.isnan(values)
    if values.dtype.kind != "O":
        return np.zeros(values.shape, dtype=bool)
    try:
        import pandas as pd
    except ImportError:
        return np.not_equal(values, values) | np.equal(values, None)
    return np.asarray(pd.isna(values), dtype=bool)


def close_matches(name, candidates):
    """`` (did you mean 'a' or 'b'?)`` for names close to ``name``, or ``""``.

    Examples
    --------
    >>> from skinvert.utils._validation import close_matches
    >>> close_matches("relgion", ["religion", "age"])
    " (did you mean 'religion'?)"
    """
    names = list(dict.fromkeys(str(c) for c in candidates))
    found = difflib.get_close_matches(str(name), names, n=3, cutoff=0.6)
    if not found:
        return ""
    return " (did you mean " + " or ".join(repr(f) for f in found) + "?)"


def _is_polars_like(X):
    module = type(X).__module__.split(".")[0]
    return (
        module != "pandas"
        and hasattr(X, "columns")
        and (hasattr(X, "to_pandas") or hasattr(X, "__dataframe__"))
    )


def as_records_or_frame(X):
    """A polars (or interchange-protocol) DataFrame as pandas; anything else as is.

    Column names and the categories of Enum/Categorical columns are kept.

    Parameters
    ----------
    X : object
        The records.

    Returns
    -------
    X : object
        A pandas DataFrame for a dataframe of another library, ``X`` otherwise.
    """
    if not _is_polars_like(X):
        return X
    pd = import_optional("pandas", purpose="DataFrames of other libraries")
    if hasattr(X, "to_pandas"):
        try:
            return X.to_pandas()
        except (ImportError, ModuleNotFoundError):  # pyarrow missing, say
            columns = {name: X[name].to_numpy() for name in X.columns}
            return pd.DataFrame(columns, columns=list(X.columns))
    return pd.api.interchange.from_dataframe(X)


def _infinite(values):
    values = np.asarray(values)
    if values.dtype.kind == "f":
        return np.isinf(values)
    if values.dtype.kind == "O":
        return np.equal(values, np.inf) | np.equal(values, -np.inf)
    return np.zeros(values.shape, dtype=bool)


def check_finite_known(records, sensitive, labels=None):
    """Raise if a known feature or known label holds an infinite value.

    The sensitive columns are not checked (their content is never read), NaN is
    allowed (a missing value, for targets that take them).

    Parameters
    ----------
    records : ndarray or DataFrame
        Records in the target's layout.
    sensitive : list of int
        Positions of the sensitive columns.
    labels : ndarray, default=None
        The known labels.
    """
    if is_pandas_dataframe(records):
        names = list(records.columns)
        known = [j for j in range(len(names)) if j not in set(sensitive)]
        bad = [
            names[j]
            for j in known
            if records.dtypes.iloc[j].kind in "fO"
            and _infinite(records.iloc[:, j].to_numpy()).any()
        ]
    else:
        bad = []
        if records.dtype.kind in "fO":
            columns = _infinite(records).any(axis=0)
            columns[list(sensitive)] = False
            bad = np.flatnonzero(columns).tolist()
    if bad:
        raise ValueError(
            f"X holds infinite values in the known column(s) {bad}. Replace them "
            "(by np.nan if the target accepts missing values, or by a finite "
            "value) before attacking: a target cannot answer on infinite inputs."
        )
    if labels is not None and _infinite(labels).any():
        raise ValueError("The known label column holds infinite values.")


def check_target(target, method, *, attack_name):
    """Check that ``target`` is a fitted classifier exposing ``method``.

    Parameters
    ----------
    target : estimator
        The model under attack.
    method : {"predict_proba", "predict"}
        The method the attack queries.
    attack_name : str
        Name of the attack, quoted in error messages.

    Returns
    -------
    classes : ndarray
        The target's ``classes_``.
    """
    if target is None:
        raise ValueError(
            f"{attack_name} needs a fitted target model, got target=None. Pass the "
            "fitted classifier under attack as the first argument."
        )
    if not hasattr(target, method):
        raise TypeError(
            f"{attack_name} queries the target's {method!r} method, but the target "
            f"{type(target).__name__} has none. Use a label-only attack for targets "
            "that only expose 'predict', or wrap the model so it exposes the method."
        )
    try:
        # A plain object (an API client, say) is not a scikit-learn estimator and
        # has no fitted state to check: its classes_ and method are what counts.
        if hasattr(target, "__sklearn_tags__"):
            check_is_fitted(target)
    except NotFittedError as exc:
        raise NotFittedError(
            f"The target {type(target).__name__} is not fitted. Attacks never fit "
            "or refit the target: fit it first, and wrap it in "
            "sklearn.frozen.FrozenEstimator(target) so that it stays fitted when "
            "the attack is cloned (GridSearchCV, cross_val_score)."
        ) from exc
    classes = getattr(target, "classes_", None)
    if classes is None:
        raise AttributeError(
            f"The target {type(target).__name__} has no 'classes_' attribute: "
            f"{attack_name} needs to know which label each confidence column means. "
            "Use a fitted scikit-learn classifier (or set classes_ on the wrapper)."
        )
    return np.asarray(classes)


def check_answers(proba, n_rows, *, n_classes=None, tol=1e-4):
    """Check that confidences are finite, non-negative and sum to one per row.

    Parameters
    ----------
    proba : array-like of shape (n_rows, n_classes)
        What the target's ``predict_proba`` returned.
    n_rows : int
        Number of rows queried.
    n_classes : int, default=None
        Expected number of columns (the length of the target's ``classes_``).
    tol : float, default=1e-4
        Tolerance on the row sums.

    Returns
    -------
    proba : ndarray of shape (n_rows, n_classes)
    """
    proba = np.asarray(proba)
    if proba.ndim != 2 or proba.shape[0] != n_rows:
        raise ValueError(
            f"The target's predict_proba returned an array of shape {proba.shape} for "
            f"{n_rows} queried rows; expected shape ({n_rows}, n_classes)."
        )
    if n_classes is not None and proba.shape[1] != n_classes:
        raise ValueError(
            f"The target's predict_proba returned {proba.shape[1]} columns but its "
            f"classes_ has {n_classes} entries; they must match."
        )
    if not np.isfinite(proba).all():
        raise ValueError(
            "The target's predict_proba returned NaN or infinite confidences. Check "
            "that the completed records are valid input for the target (a missing "
            "value in a known feature, a candidate it cannot encode)."
        )
    if proba.min(initial=0.0) < -tol:
        raise ValueError(
            "The target's predict_proba returned negative confidences "
            f"(min {proba.min():.3g}); expected probabilities in [0, 1]."
        )
    sums = proba.sum(axis=1)
    worst = np.abs(sums - 1.0).max(initial=0.0)
    if worst > tol:
        raise ValueError(
            "The target's predict_proba returned rows that do not sum to one (worst "
            f"row sums to {sums[np.argmax(np.abs(sums - 1.0))]:.6g}). Attacks need a "
            "probability vector per record; wrap scores in a calibrated classifier."
        )
    return proba


def resolve_column(spec, X, *, param, allow_absent=False):
    """Return the position of column ``spec`` in ``X``, or None if absent and allowed.

    Parameters
    ----------
    spec : str or int
        Column name (DataFrames) or integer position (arrays, DataFrames).
    X : ndarray or DataFrame
        The data.
    param : str
        The parameter name, quoted in error messages.
    allow_absent : bool, default=False
        Whether a named column may be missing from a DataFrame.
    """
    n_columns = X.shape[1]
    if is_pandas_dataframe(X):
        columns = list(X.columns)
        if isinstance(spec, (Integral, np.integer)) and spec not in columns:
            if not -n_columns <= spec < n_columns:
                raise ValueError(
                    f"{param}={spec} is out of range for X with {n_columns} columns."
                )
            return int(spec) % n_columns
        if spec in columns:
            return columns.index(spec)
        if allow_absent:
            return None
        raise ValueError(
            f"{param}={spec!r} is not a column of X{close_matches(spec, columns)}. "
            f"Columns are: {columns}. Pass a column name (DataFrame) or an integer "
            "position (array)."
        )
    if not isinstance(spec, (Integral, np.integer)) or isinstance(spec, bool):
        raise ValueError(
            f"{param}={spec!r} names a column, but X is an array without column names. "
            "Pass an integer position, or pass X as a pandas DataFrame."
        )
    if not -n_columns <= spec < n_columns:
        raise ValueError(
            f"{param}={spec} is out of range for X with {n_columns} columns; use a "
            f"position in [0, {n_columns - 1}]."
        )
    return int(spec) % n_columns


def as_list(spec):
    """Return ``spec`` as a list of column specs (one or several sensitive columns)."""
    if isinstance(spec, (list, tuple)):
        if len(spec) == 0:
            raise ValueError("sensitive=[] names no column; name at least one.")
        return list(spec)
    return [spec]


def _names(columns):
    """Column names as a plain list (numpy strings as str)."""
    return [str(c) if isinstance(c, np.str_) else c for c in columns]


def refuse_unnamed(X, target, label):
    """An array ``X`` for a target fitted on a DataFrame: refused in ``fit``.

    Such a target selects or encodes its columns by name; the records the
    attack would complete have none, so every query would fail.
    """
    names = getattr(target, "feature_names_in_", None)
    if names is None:
        return
    also = (
        f" plus the known label column (label={label!r}, under a name of its own)"
        if label is not None
        else ""
    )
    raise ValueError(
        f"The target {type(target).__name__} was fitted on a DataFrame "
        f"with columns {_names(names)}, but X is an array without column names "
        f"({type(X).__name__}). Pass X as a pandas DataFrame with those "
        f"columns{also}; the sensitive column may hold anything (NaN "
        "included) or be left out."
    )


def _target_columns(X, label, sensitive):
    """The names of the label column and of the sensitive columns of ``X``."""
    columns = list(X.columns)
    if label is not None:
        label = columns[resolve_column(label, X, param="label")]
    sensitive = [
        columns[resolve_column(s, X, param="sensitive")] for s in as_list(sensitive)
    ]
    return label, sensitive


def in_target_order(X, target, *, label, sensitive):
    """A DataFrame ``X`` checked against the target's ``feature_names_in_``.

    Columns the target does not take, or lacks, are named in the error; the
    target's columns in another order are put in its order (the label column
    keeps its position) in a new frame. ``label`` and ``sensitive`` are the
    attack's parameters. Returns ``(X, the columns of X as given)``.
    """
    names = getattr(target, "feature_names_in_", None)
    given = list(X.columns)
    if names is None:
        return X, given
    names = _names(names)
    label_spec, sensitive_spec = label, sensitive
    label, sensitive = _target_columns(X, label, sensitive)
    if label is not None and label in names:
        raise ValueError(
            f"label={label_spec!r} names the column {label!r}, one of the "
            f"target's input columns {names}; the known label is a column of "
            "its own, holding the task label the target predicts."
        )
    unused = [s for s in sensitive if s not in names]
    if unused:
        raise ValueError(
            f"sensitive={sensitive_spec!r} names the column(s) {unused}, which "
            f"the target does not take (it was fitted on {names}): its answers "
            "carry nothing about them. Name as sensitive= one of the target's "
            "input columns."
        )
    inputs = [c for c in given if c != label]
    extra = [c for c in inputs if c not in names]
    missing = [c for c in names if c not in inputs]
    if extra or missing:
        raise ValueError(_mismatch(names, extra, missing, label))
    order = list(names)
    if label is not None:
        order.insert(min(given.index(label), len(order)), label)
    if order != given:
        X = X[order]  # a new frame: the caller's is left as it is
    return X, given


def _mismatch(names, extra, missing, label):
    """Why the columns of X are not the target's (error message)."""
    parts = [f"X does not hold the columns the target was fitted on ({names})."]
    if extra:
        parts.append(f"X has column(s) {extra} that the target does not take:")
        if label is None and len(extra) == 1:
            parts.append(
                f"if {extra[0]!r} holds the known task label, set "
                f"label={extra[0]!r}; otherwise drop it."
            )
        else:
            parts.append(
                "drop them (the known label column, if any, is named by label=)."
            )
    if missing:
        hints = "".join(close_matches(m, extra) for m in missing)
        parts.append(
            f"X lacks the target's column(s) {missing}{hints}: add them (the "
            "sensitive column may hold anything, NaN included)."
        )
    return " ".join(parts)


def in_fitted_order(X, fitted):
    """Victims' DataFrame with the columns seen in ``fit`` (``fitted``), in order."""
    if fitted is None:
        return X
    fitted = _names(fitted)
    given = list(X.columns)
    if given == fitted:
        return X
    missing = [c for c in fitted if c not in given]
    extra = [c for c in given if c not in fitted]
    if missing or extra:
        parts = [f"X does not hold the columns seen in fit ({fitted})."]
        if missing:
            parts.append(
                f"It lacks {missing}: add the missing column(s) (only the "
                "sensitive column may be left out)."
            )
        if extra:
            parts.append(f"It has {extra}, not seen in fit: drop them.")
        raise ValueError(" ".join(parts))
    return X[fitted]  # same names in another order: a new frame in fit's order
