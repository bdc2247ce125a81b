"""The records of an audit: checks, the three-way split, the attacker's view."""

import numpy as np
from sklearn.model_selection import train_test_split

from ..utils._optional import is_pandas_dataframe
from ..utils._validation import resolve_column


def take(X, rows):
    """Rows of an array or DataFrame (the latter re-indexed from 0)."""
    if is_pandas_dataframe(X):
        out = X.iloc[rows]
        out.index = range(len(out))
        return out
    return X[rows]


def attacker_view(X, y, label_name):
    """X plus the known-label column, and that column's name (or position)."""
    if is_pandas_dataframe(X):
        name = label_name if isinstance(label_name, str) else "label"
        while name in X.columns:
            name = f"_{name}"
        view = X.copy()
        view[name] = y
        return view, name
    if X.dtype.kind in "biuf" and y.dtype.kind in "biuf":
        return np.column_stack([X, y]), X.shape[1]
    view = np.empty((X.shape[0], X.shape[1] + 1), dtype=object)
    view[:, :-1], view[:, -1] = X, y
    return view, X.shape[1]


def hide(view, position):
    """The victims' view, their sensitive values replaced by NaN."""
    if is_pandas_dataframe(view):
        hidden = view.copy()
        hidden.isetitem(position, np.full(len(view), np.nan))
        return hidden
    hidden = view.astype(float if view.dtype.kind in "biuf" else object)
    hidden[:, position] = np.nan
    return hidden


def split(s, n_members, n_aux, random_state, member_mask=None):
    """Member, auxiliary and non-member positions, stratified on s when possible."""

    def cut(rows, size):
        try:
            return train_test_split(
                rows, train_size=size, stratify=s[rows], random_state=random_state
            )
        except ValueError:  # a sensitive value too rare to stratify
            return train_test_split(rows, train_size=size, random_state=random_state)

    if member_mask is None:
        members, rest = cut(np.arange(len(s)), n_members)
    else:
        members, rest = np.flatnonzero(member_mask), np.flatnonzero(~member_mask)
    if min(len(members), n_aux, len(rest) - n_aux) < 2:
        raise ValueError(
            f"{len(s)} records are too few to split into {len(members)} members, "
            f"{n_aux} auxiliary records and {len(rest) - n_aux} non-members: each "
            "needs at least 2. Pass more records or change the fractions."
        )
    aux, non_members = cut(rest, n_aux)
    return np.sort(members), np.sort(aux), np.sort(non_members)


def _member_mask(members, n):
    """``members`` (boolean mask or positions) as a boolean mask over n records."""
    members = np.asarray(members)
    if members.dtype == bool:
        if members.shape != (n,):
            raise ValueError(
                f"members is a boolean mask of shape {members.shape}; expected "
                f"({n},), one entry per record of X."
            )
        return members.copy()
    if members.ndim != 1 or members.dtype.kind not in "iu":
        raise ValueError(
            "members must be a boolean mask over the records of X or the integer "
            f"positions of the target's training records; got {members.dtype} "
            f"values of shape {members.shape}."
        )
    if members.size and not (members.min() >= 0 and members.max() < n):
        raise ValueError(
            f"members holds positions outside [0, {n - 1}] (X has {n} records)."
        )
    mask = np.zeros(n, dtype=bool)
    mask[members] = True
    return mask


def check_data(X, y, sensitive, members):
    """X, y, s (X may stay a DataFrame) and the member mask, without missing s or y."""
    if not is_pandas_dataframe(X):
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (records x columns); got shape {X.shape}.")
    y = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(
            f"y must hold one label per record of X, shape ({X.shape[0]},); got "
            f"shape {y.shape}."
        )
    mask = None if members is None else _member_mask(members, X.shape[0])
    position = resolve_column(sensitive, X, param="sensitive")
    s = np.asarray(X.iloc[:, position] if is_pandas_dataframe(X) else X[:, position])
    notes = []
    keep = ~(_missing(s) | _missing(y))
    if not keep.all():
        notes.append(
            f"{int((~keep).sum())} records with a missing sensitive value or label "
            "were left out."
        )
        rows = np.flatnonzero(keep)
        X, y, s = take(X, rows), y[rows], s[rows]
        mask = None if mask is None else mask[rows]
    return X, y, s, mask, position, notes


def _missing(values):
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind == "O":
        return np.asarray(values != values, dtype=bool) | np.equal(values, None)
    return np.zeros(len(values), dtype=bool)
