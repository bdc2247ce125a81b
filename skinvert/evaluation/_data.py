"""The records of an audit: checks, the three-way split, the attacker's view."""

from collections import namedtuple

import numpy as np
from sklearn.model_selection import train_test_split

from ..utils._optional import is_pandas_dataframe
from ..utils._validation import missing_cells, resolve_column


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


def split(s, n_members, n_aux, random_state, member_mask=None, aux_mask=None, n=None):
    """Member, auxiliary and non-member positions, stratified on s when possible.

    ``s`` None (a continuous attribute) splits without stratification; ``n`` is
    then the number of records. Given masks are used as they are.
    """
    n = len(s) if s is not None else n

    def cut(rows, size):
        if s is not None:
            try:
                return train_test_split(
                    rows, train_size=size, stratify=s[rows], random_state=random_state
                )
            except ValueError:  # a sensitive value too rare to stratify
                pass
        return train_test_split(rows, train_size=size, random_state=random_state)

    def too_few(n_members, n_aux, n_non_members):
        return ValueError(
            f"{n} records are too few to split into {n_members} members, "
            f"{n_aux} auxiliary records and {n_non_members} non-members: each "
            "needs at least 2. Pass more records or change the fractions."
        )

    if member_mask is None:
        if min(n_members, n - n_members) < 2:
            raise too_few(n_members, n_aux, n - n_members - n_aux)
        members, rest = cut(np.arange(n), n_members)
        rest = np.sort(rest)  # as when the members are given: the same aux split
    else:
        members, rest = np.flatnonzero(member_mask), np.flatnonzero(~member_mask)
        if len(rest) == 0:
            raise ValueError(
                f"every one of the {n} records is a member: the audit needs records "
                "the model never saw (non-members) to compare with; pass them too."
            )
    if aux_mask is not None:
        if (aux_mask & (member_mask if member_mask is not None else False)).any():
            raise ValueError(
                "aux and members overlap: the attacker's auxiliary records must not "
                "be training members of the target."
            )
        aux, non_members = (
            np.flatnonzero(aux_mask),
            np.setdiff1d(rest, np.flatnonzero(aux_mask)),
        )
    else:
        if min(len(members), n_aux, len(rest) - n_aux) < 2:
            raise too_few(len(members), n_aux, len(rest) - n_aux)
        aux, non_members = cut(rest, n_aux)
    if min(len(members), len(aux), len(non_members)) < 2:
        raise too_few(len(members), len(aux), len(non_members))
    return np.sort(members), np.sort(aux), np.sort(non_members)


def column_values(X, position):
    """One column of an array or DataFrame as a 1-D array."""
    if is_pandas_dataframe(X):
        return X.iloc[:, position].to_numpy()
    return np.asarray(X)[:, position]


def _member_mask(members, n, name="members"):
    """``members`` (boolean mask or positions) as a boolean mask over n records."""
    members = np.asarray(members)
    if members.dtype == bool:
        if members.shape != (n,):
            raise ValueError(
                f"{name} is a boolean mask of shape {members.shape}; expected "
                f"({n},), one entry per record of X."
            )
        return members.copy()
    if members.ndim != 1 or members.dtype.kind not in "iu":
        raise ValueError(
            f"{name} must be a boolean mask over the records of X or the integer "
            f"positions of records of X; got {members.dtype} values of shape "
            f"{members.shape}."
        )
    if members.size and not (members.min() >= 0 and members.max() < n):
        raise ValueError(
            f"{name} holds positions outside [0, {n - 1}] (X has {n} records)."
        )
    repeated = members.size - np.unique(members).size
    if repeated:
        raise ValueError(
            f"{name} holds {repeated} repeated positions: it reads as the positions "
            "of records of X. If it is a 0/1 mask, pass it as booleans (e.g. "
            f"{name}.astype(bool))."
        )
    mask = np.zeros(n, dtype=bool)
    mask[members] = True
    return mask


Records = namedtuple("Records", "X y s members aux position notes rows")


def check_records(X, y, sensitive, members=None, aux=None):
    """The audited records without missing sensitive values or labels.

    Returns a :class:`Records`: ``X`` (a DataFrame stays one), ``y``, ``s`` (the
    sensitive values), the ``members`` and ``aux`` masks (or None), the
    sensitive column's ``position``, ``notes`` on records left out, and ``rows``:
    the position in the given ``X`` of each record kept.
    """
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
    aux_mask = None if aux is None else _member_mask(aux, X.shape[0], name="aux")
    position = resolve_column(sensitive, X, param="sensitive")
    s = np.asarray(X.iloc[:, position] if is_pandas_dataframe(X) else X[:, position])
    notes = []
    rows = np.arange(X.shape[0])
    keep = ~(missing_cells(s) | missing_cells(y))
    if not keep.all():
        notes.append(
            f"{int((~keep).sum())} records with a missing sensitive value or label "
            "were left out."
        )
        rows = np.flatnonzero(keep)
        X, y, s = take(X, rows), y[rows], s[rows]
        mask = None if mask is None else mask[rows]
        aux_mask = None if aux_mask is None else aux_mask[rows]
    return Records(X, y, s, mask, aux_mask, position, notes, rows)


def check_data(X, y, sensitive, members, aux=None):
    """X, y, s (X may stay a DataFrame) and the member mask, without missing s or y.

    With ``aux`` (a mask or positions), the auxiliary mask is returned after the
    member mask: ``X, y, s, members, aux, position, notes``.
    """
    found = check_records(X, y, sensitive, members, aux)
    if aux is not None:
        return found[:7]
    return (*found[:4], *found[5:7])


def known_label_rows(target, y, rows, role, notes):
    """Rows whose task label the target knows (the others are left out, noted)."""
    classes = getattr(target, "classes_", None)
    if classes is None:
        return rows
    known = np.isin(y[rows], np.asarray(classes))
    if known.all():
        return rows
    unseen = sorted({str(v) for v in y[rows][~known]})
    notes.append(
        f"{int((~known).sum())} {role} records whose task label the target never "
        f"saw ({', '.join(unseen[:5])}) were left out: an attacker who knows a label "
        "cannot use one the model does not predict."
    )
    return rows[known]
