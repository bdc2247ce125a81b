"""Model and record intake: a user's fitted model and tables, loaded safely.

A model file is code until proven otherwise: pickle and joblib files run whatever
they contain when loaded. :func:`load_model` therefore reads skops files
(:mod:`skops.io`) and refuses, by name, every type skops does not trust by default
unless the user trusts it explicitly; pickle and joblib files are refused unless
the user allows them. Records are read from local CSV or Parquet files only:
nothing is fetched at run time, so a URL is refused.
"""

import hashlib
import os
import re

import numpy as np

from ..utils._optional import import_optional, is_pandas_dataframe

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_PICKLES = (".pkl", ".pickle", ".joblib", ".jbl", ".sav")


class IntakeError(ValueError):
    """A model or table that cannot be audited as given (says what to do)."""


def check_local(path, option):
    """Refuse URLs and missing files; return the path."""
    text = os.fspath(path)
    if _URL.match(text):
        raise IntakeError(
            f"{option} {text!r} is a URL; skinvert reads local files only (nothing "
            "is downloaded at run time). Download the file first and pass its path."
        )
    if not os.path.isfile(text):
        raise IntakeError(f"{option}: no such file: {text}")
    return text


def sha256(path):
    """The SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_table(path, option="--data"):
    """A local CSV or Parquet file as a DataFrame (columns named by strings)."""
    path = check_local(path, option)
    try:
        pd = import_optional("pandas", purpose=f"reading {option}")
    except ImportError as exc:
        raise IntakeError(str(exc)) from None
    lower = path.lower()
    try:
        if lower.endswith((".parquet", ".pq")):
            table = pd.read_parquet(path)
        else:
            table = pd.read_csv(path)
    except ImportError as exc:  # parquet without pyarrow
        raise IntakeError(
            f"{option} {path}: {exc} Install pyarrow to read Parquet files."
        ) from None
    except (OSError, ValueError) as exc:
        kind = "Parquet" if lower.endswith((".parquet", ".pq")) else "CSV"
        raise IntakeError(f"cannot read {option} {path} as {kind}: {exc}") from None
    table.columns = [str(c) for c in table.columns]
    duplicated = sorted({c for c in table.columns if list(table.columns).count(c) > 1})
    if duplicated:
        raise IntakeError(
            f"{option} {path} has duplicated column names {duplicated}; rename them."
        )
    return table


def load_model(path, *, trusted=(), allow_pickle=False):
    """A fitted model from a skops file (or, if allowed, a pickle or joblib file).

    Parameters
    ----------
    path : str or path-like
        A ``.skops`` file written by :func:`skops.io.dump`; a ``.pkl`` /
        ``.pickle`` / ``.joblib`` file only with ``allow_pickle=True``.
    trusted : sequence of str, default=()
        Fully qualified type names to trust beyond skops' defaults (e.g.
        ``"sklearn.ensemble._forest.RandomForestClassifier"`` where skops does
        not trust it by default).
    allow_pickle : bool, default=False
        Load pickle and joblib files. Loading one runs whatever code it holds:
        only for files you made yourself.

    Returns
    -------
    model : estimator

    Raises
    ------
    IntakeError
        The file is missing, is a URL, holds types that are not trusted (named in
        the message), or is a pickle without ``allow_pickle``.
    """
    path = check_local(path, "--model")
    lower = path.lower()
    if lower.endswith(_PICKLES) or not lower.endswith(".skops"):
        if not lower.endswith(_PICKLES):
            raise IntakeError(
                f"--model {path}: expected a .skops file (skops.io.dump), or a "
                ".pkl/.joblib file with --allow-pickle."
            )
        if not allow_pickle:
            raise IntakeError(
                f"--model {path} is a pickle/joblib file: loading it can run "
                "arbitrary code. Save the model with skops instead "
                "(skops.io.dump(model, 'model.skops')), or pass --allow-pickle if "
                "you made this file yourself and trust it."
            )
        import joblib

        return joblib.load(path)
    sio = import_optional("skops.io", purpose="loading .skops model files")
    untrusted = sio.get_untrusted_types(file=path)
    refused = sorted(set(untrusted) - set(trusted))
    if refused:
        flags = " ".join(f"--trust {name}" for name in refused)
        raise IntakeError(
            f"--model {path} holds types that skops does not trust by default: "
            f"{', '.join(refused)}. Check that you expect them, then pass {flags}."
        )
    return sio.load(path, trusted=list(untrusted))


def check_features(model, columns):
    """Check the records' columns against the model's ``feature_names_in_``.

    ``columns`` are the record columns the model will see (the task label left
    out). Raises :class:`IntakeError` listing the missing and extra columns.
    """
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        names = [str(n) for n in names]
        missing = [n for n in names if n not in columns]
        extra = [c for c in columns if c not in names]
        if missing or extra:
            raise IntakeError(
                "the records' columns do not match the model's features: "
                f"missing {missing or 'none'}; extra {extra or 'none'}. The member "
                "and non-member files must hold exactly the columns the model was "
                "trained on, plus the task label column."
            )
        return names
    expected = getattr(model, "n_features_in_", None)
    if expected is not None and expected != len(columns):
        raise IntakeError(
            f"the model expects {expected} features but the records have "
            f"{len(columns)} columns besides the label: {list(columns)}."
        )
    return list(columns)


def stack_tables(parts):
    """One table from named record files, their roles, and notes on overlaps.

    ``parts`` is a list of ``(role, table)`` with roles ``"members"``,
    ``"non-members"`` and ``"aux"``; the rows keep that order. Returns
    ``(table, roles, rows, notes)``: ``roles[i]`` and ``rows[i]`` say which file
    row ``i`` came from and its position there.

    Raises
    ------
    IntakeError
        The files have different columns, or a non-member (or auxiliary) file
        repeats the members' records: the sets must be disjoint.
    """
    pd = import_optional("pandas")
    first_role, first_table = parts[0]
    first = list(first_table.columns)
    for role, table in parts[1:]:
        if sorted(table.columns) != sorted(first):
            only_first = [c for c in first if c not in table.columns]
            only_this = [c for c in table.columns if c not in first]
            raise IntakeError(
                f"the {first_role} and {role} files have different columns: only "
                f"in {first_role}: {only_first or 'none'}; only in {role}: "
                f"{only_this or 'none'}."
            )
    hashes = {
        role: pd.util.hash_pandas_object(table[first], index=False).to_numpy()
        for role, table in parts
    }
    notes = []
    for role, table in parts[1:]:
        repeated = int(np.isin(hashes[role], hashes[first_role]).sum())
        if repeated and repeated >= 0.5 * len(table):
            raise IntakeError(
                f"{repeated} of the {len(table)} {role} records are identical to "
                f"{first_role} records: the {role} file must hold records the model "
                "was not trained on (is it the same file?)."
            )
        if repeated:
            notes.append(
                f"{repeated} {role} records are identical to member records (people "
                "with the same answers, or a leak between the files)."
            )
    table = pd.concat([t[first] for _, t in parts], ignore_index=True)
    roles = np.concatenate([np.full(len(t), role) for role, t in parts])
    rows = np.concatenate([np.arange(len(t)) for _, t in parts])
    return table, roles, rows, notes


def as_frame(X):
    """``X`` as given when it is a DataFrame (polars converted), else None."""
    if is_pandas_dataframe(X):
        return X
    if type(X).__module__.startswith("polars"):
        return X.to_pandas()
    return None
