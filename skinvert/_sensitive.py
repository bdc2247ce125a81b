"""The auxiliary sensitive values of a categorical attack: checks and candidates.

Shared by every attack on a categorical attribute (through
:class:`skinvert.base.BaseInversion`): sensitive values read as categories
(numbers held in object arrays included), the checks that catch a continuous
attribute or the task label passed as ``y``, and the joint candidates of several
sensitive columns (a product of per-column values, or explicit combinations).
"""

import warnings
from functools import reduce

import numpy as np
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from ._query import _stack_columns
from .utils._validation import missing_cells

_REGRESSORS = "FredriksonRegressor, ImputationRegressor, LearnedInversionRegressor"


class SingleCandidateWarning(UserWarning):
    """The auxiliary data leave a categorical attack a single candidate value.

    The attack can then only ever answer that value, whatever the target says.

    Examples
    --------
    >>> from skinvert._sensitive import SingleCandidateWarning
    >>> issubclass(SingleCandidateWarning, UserWarning)
    True
    """


def warn_single_candidate(attack):
    """Warn that ``attack`` (fitted) has one candidate, so one possible answer."""
    value = attack.classes_[0]
    value = value.item() if isinstance(value, np.generic) else value
    if attack.candidates is None:
        fix = (
            "pass candidates= listing every value the attribute can take, or "
            "auxiliary records holding the other values"
        )
        where = "y holds a single sensitive value"
    else:
        fix = "pass candidates= listing every value the attribute can take"
        where = "candidates= gives a single value"
    warnings.warn(
        f"{where} ({value!r}): {type(attack).__name__} can only ever answer "
        f"{value!r}, whatever the target says. To infer the attribute, {fix}.",
        SingleCandidateWarning,
        stacklevel=3,
    )


def as_categories(s, attack, column=None):
    """The sensitive values ``s`` (1-D) as categories, or a clear error.

    Object arrays holding only numbers become numeric arrays (so ``1`` and
    ``1.0`` are one category and the target gets numbers); strings stay as they
    are. Missing values, numbers mixed with strings, and values that look
    continuous are refused with a message saying what to do.
    """
    where = "y" if column is None else f"column {column} of y"
    name = type(attack).__name__
    missing = missing_cells(s)
    if missing.any():
        raise ValueError(
            f"{where} holds {int(missing.sum())} missing sensitive value(s) (NaN or "
            f"None); {name} learns from records whose sensitive value is known: "
            "drop those records from X and y."
        )
    if s.dtype.kind == "O" and s.size:
        kinds = set(np.frompyfunc(type, 1, 1)(s).tolist())
        numeric = {k for k in kinds if issubclass(k, (int, float, np.number))}
        if numeric and numeric != kinds:
            text = sorted(k.__name__ for k in kinds)
            raise ValueError(
                f"{where} mixes numbers and other values (types {text}): a "
                "categorical attack needs sensitive values of one kind. Convert "
                "them, e.g. y.astype(str) for categories, or y.astype(float) for "
                f"numbers (a numeric attribute: use a regressor, {_REGRESSORS})."
            )
        if numeric:
            s = np.asarray(s.tolist())
    if s.dtype.kind in "fc" and type_of_target(s) == "continuous":
        distinct = len(np.unique(s))
        raise ValueError(
            f"{where} (sensitive={attack.sensitive!r}) looks continuous ({distinct} "
            "distinct values, not all whole "
            f"numbers), but {name} infers a categorical attribute. For a numeric "
            f"sensitive attribute use a regressor attack ({_REGRESSORS}); or bin "
            "the values into categories first (e.g. pandas.cut)."
        )
    check_classification_targets(s)
    return s


def _same(a, b):
    """Whether two 1-D arrays hold the same values (numbers compared as numbers)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "biuf" and b.dtype.kind in "biuf":
        return bool(np.array_equal(a.astype(float), b.astype(float)))
    return bool(
        np.array_equal(a.astype(object).astype(str), b.astype(object).astype(str))
    )


def check_not_task_label(attack, s, records, y_known):
    """Raise when ``y`` is the known task label rather than the sensitive values.

    ``y`` equal to the label column, while the sensitive column of ``X`` holds
    other values (or is empty, on at least 20 records), means the task label was
    passed by mistake: the error says what to pass.
    """
    n = len(s)
    if y_known is None or n < 2:
        return
    position = attack.sensitive_indices_[0]
    if hasattr(records, "iloc"):
        column = records.iloc[:, position].to_numpy()
    else:
        column = records[:, position]
    filled = not missing_cells(np.asarray(column)).any()
    if (filled and _same(column, s)) or not (filled or n >= 20):
        return
    if _same(y_known, s):
        raise ValueError(
            f"y equals the known label column label={attack.label!r}: y must "
            "hold the auxiliary records' sensitive values (the column "
            f"sensitive={attack.sensitive!r}, e.g. X[{attack.sensitive!r}]), "
            "not the task labels."
        )


def _is_one_hot(columns):
    """Whether the columns are 0/1 indicators with exactly one 1 per record."""
    if len(columns) < 2 or any(c.dtype.kind not in "biuf" for c in columns):
        return False
    stacked = np.column_stack(columns)
    return bool(np.isin(stacked, (0, 1)).all() and (stacked.sum(axis=1) == 1).all())


def _is_combinations(given):
    """Explicit combinations: a 2-D ndarray or a DataFrame (rows = combinations)."""
    return (isinstance(given, np.ndarray) and given.ndim == 2) or (
        hasattr(given, "iloc") and getattr(given, "ndim", 1) == 2
    )


def _rows(columns):
    return list(zip(*(np.asarray(c).tolist() for c in columns)))


def _from_combinations(attack, columns, combos, *, explicit):
    """Candidates, classes, prior and codes from a list of valid combinations."""
    m = len(columns)
    try:
        combos = sorted(set(combos))
    except TypeError:  # values that do not compare: first-seen order
        combos = list(dict.fromkeys(combos))
    attack._check_size([len(combos)])
    index = {combo: j for j, combo in enumerate(combos)}
    rows = _rows(columns)
    unknown = [row for row in rows if row not in index]
    if unknown:
        raise ValueError(
            f"Sensitive value combinations {sorted(set(unknown), key=str)[:5]} occur "
            f"in y but not in candidates= (the {len(combos)} valid combinations "
            "given); add them."
        )
    codes = np.fromiter((index[row] for row in rows), dtype=np.intp, count=len(rows))
    k = len(combos)
    attack.candidates_ = _stack_columns(
        [np.asarray([c[j] for c in combos]) for j in range(m)]
    )
    attack.classes_ = np.fromiter(combos, dtype=object, count=k)
    counts = np.bincount(codes, minlength=k)
    # explicit combinations absent from the aux data keep a small mass
    smoothing = 1.0 / k if explicit else 0.0
    attack.prior_ = (counts + smoothing) / (len(rows) + (1.0 if explicit else 0.0))
    return codes


def joint_candidates(attack, columns):
    """Learn the joint candidates of ``m`` sensitive columns; return the codes.

    Sets ``candidates_`` (k, m), ``classes_`` (k tuples) and ``prior_``.
    """
    m, given = len(columns), attack.candidates
    if _is_combinations(given):
        combos = np.asarray(given, dtype=object)
        if combos.shape[1] != m or combos.shape[0] == 0:
            raise ValueError(
                f"candidates= given as a 2-D array is read as valid combinations, "
                f"one row per combination of the {m} sensitive columns, so it must "
                f"have shape (n_combinations, {m}); got shape {combos.shape}."
            )
        typed = [np.asarray(combos[:, j].tolist()) for j in range(m)]
        return _from_combinations(attack, columns, _rows(typed), explicit=True)
    if given is None and _is_one_hot(columns):
        return _from_combinations(attack, columns, _rows(columns), explicit=False)
    if given is not None and (isinstance(given, str) or len(given) != m):
        raise ValueError(
            f"sensitive={attack.sensitive!r} names {m} columns, so candidates must "
            f"be a list of {m} per-column value lists, a 2-D array of shape "
            f"(n_combinations, {m}) of valid combinations, or None; got {given!r}."
        )
    if given is not None and any(len(set(map(str, g))) < len(g) for g in given):
        warnings.warn(
            f"candidates={given!r} is a list of lists, read as {m} per-column value "
            "lists, but a list repeats a value: if its rows are valid combinations "
            "of the sensitive columns, pass them as a 2-D array "
            "(np.array(candidates)).",
            UserWarning,
            stacklevel=4,
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
    attack._check_size(sizes)
    grid = np.indices(sizes).reshape(m, -1)
    combos = [v[g] for v, g in zip(values, grid)]
    attack.candidates_ = _stack_columns(combos)
    attack.classes_ = np.fromiter(
        zip(*(c.tolist() for c in combos)), dtype=object, count=grid.shape[1]
    )
    joint = np.ravel_multi_index(codes, sizes)
    n = len(joint)
    marginals = [np.bincount(c, minlength=k) / n for c, k in zip(codes, sizes)]
    independent = reduce(np.multiply.outer, marginals).ravel()
    counts = np.bincount(joint, minlength=grid.shape[1])
    attack.prior_ = (counts + independent) / (n + 1)
    return joint
