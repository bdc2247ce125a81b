"""``skinvert audit``'s inputs: the model, the record files, the columns.

Everything here is checked before any attack runs, so that bad input ends the
command at once, with one line saying what to do (exit status 2).
"""

import os

import numpy as np

from .evaluation import MODELS

_AFFAIRS = {"sensitive": "affair", "label": "happy"}


class UsageError(Exception):
    """Bad input on the command line: reported in one line, exit status 2."""


def _affairs_table():
    from .datasets import load_affairs

    try:
        return load_affairs(as_frame=True).frame
    except ImportError as exc:
        raise UsageError(str(exc)) from None


def _columns(table, args, default):
    """The sensitive and label column names, checked against the table."""
    sensitive = args.sensitive or (_AFFAIRS["sensitive"] if default else None)
    label = args.label or (_AFFAIRS["label"] if default else None)
    names = [str(c) for c in table.columns]
    listing = ", ".join(names)
    source = "--data" if args.data else "--members"
    if label is None:
        raise UsageError(f"{source} needs --label COL; columns are: {listing}")
    if label not in names:
        raise UsageError(f"--label {label!r} is not a column; columns are: {listing}")
    if sensitive is None:
        raise UsageError(
            f"{source} needs --sensitive COL (or 'all'); columns are: {listing}"
        )
    chosen = sensitive.split(",") if sensitive != "all" else ["all"]
    for name in chosen:
        if name != "all" and name not in names:
            raise UsageError(
                f"--sensitive {name!r} is not a column; columns are: {listing}"
            )
    if label in chosen:
        raise UsageError(
            f"--sensitive and --label both name {label!r}; they must differ."
        )
    if args.by is not None and args.by not in names:
        raise UsageError(f"--by {args.by!r} is not a column; columns are: {listing}")
    many = sensitive == "all" or len(chosen) > 1
    return (chosen if many and sensitive != "all" else sensitive), label, many


def _records(args):
    """``(table, members mask, aux mask, target, inputs, origin, notes)``.

    ``origin`` is ``(sources, rows)``: the file each record of ``table`` came from
    and its row there; ``notes`` are said about the files (overlaps).
    """
    from .evaluation._intake import load_model, read_table, sha256, stack_tables

    model_file = args.model not in MODELS
    inputs = {}
    if args.members or args.non_members or model_file:
        if args.data:
            raise UsageError(
                "--data trains a model; with a fitted model pass --members and "
                "--non-members instead."
            )
        missing = [
            option
            for option, value in (
                ("--model FILE", model_file),
                ("--members", args.members),
                ("--non-members", args.non_members),
            )
            if not value
        ]
        if missing:
            raise UsageError(
                "auditing a fitted model needs --model FILE, --members and "
                f"--non-members; missing {', '.join(missing)}."
            )
        parts = [
            ("members", read_table(args.members, "--members")),
            ("non-members", read_table(args.non_members, "--non-members")),
        ]
        if args.aux:
            parts.append(("aux", read_table(args.aux, "--aux")))
        table, roles, rows, notes = stack_tables(parts)
        members, aux = roles == "members", roles == "aux"
        paths = {"members": args.members, "non-members": args.non_members}
        paths["aux"] = args.aux
        sources = np.array([paths[role] for role in roles], dtype=object)
        target = load_model(
            args.model, trusted=args.trust, allow_pickle=args.allow_pickle
        )
        for option, path in (
            ("model", args.model),
            ("members", args.members),
            ("non_members", args.non_members),
            ("aux", args.aux),
        ):
            if path:
                inputs[option] = {"path": path, "sha256": sha256(path)}
        inputs["model_type"] = type(target).__name__
        aux = aux if args.aux else None
        return table, members, aux, target, inputs, (sources, rows), notes
    if args.aux:
        raise UsageError("--aux goes with a fitted model (--model FILE --members ...).")
    if args.data:
        table = read_table(args.data, "--data")
        inputs["data"] = {"path": args.data, "sha256": sha256(args.data)}
    else:
        table = _affairs_table()
        inputs["data"] = "load_affairs() (statsmodels)"
    table.columns = [str(c) for c in table.columns]
    source = args.data or "load_affairs()"
    origin = (np.full(len(table), source, dtype=object), np.arange(len(table)))
    return table, None, None, None, inputs, origin, []


def _preflight(args):
    """Check what would fail only after the audit's work: outputs and extras."""
    for option, path in (
        ("--output", args.output),
        ("--report", args.report),
        ("--per-record", args.per_record),
    ):
        if path is None:
            continue
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise UsageError(f"{option} {path}: no such folder {folder}")
        if not os.access(folder, os.W_OK):
            raise UsageError(f"{option} {path}: the folder {folder} is not writable")
    if args.report is not None:
        if not args.report.lower().endswith((".html", ".htm")):
            raise UsageError(
                f"--report writes one HTML file; name it .html, got {args.report!r}"
            )
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise UsageError(
                "--report draws its figures with matplotlib, which is not installed: "
                'pip install "skinvert[plots]"'
            ) from None
    try:
        import pandas  # noqa: F401
    except ImportError:
        raise UsageError(
            'skinvert audit reads tables with pandas: pip install "skinvert[pandas]"'
        ) from None
