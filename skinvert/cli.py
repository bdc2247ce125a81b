"""The ``skinvert`` command line: ``skinvert audit`` and ``skinvert --version``.

``skinvert audit`` with no arguments audits a random forest trained on the
extramarital-affairs survey (sensitive column ``affair``, task label ``happy``);
``--data PATH.csv --sensitive COL --label COL`` audits a model trained on any CSV
table. Bad input (a missing file, an unknown column) ends with a one-line message
on stderr and exit status 2.
"""

import argparse
import sys
import time

from ._audit import DEFAULT_MAX_VICTIMS, MODELS, audit

# Countermeasures ``--defense`` can apply to the trained target before the attacks
# run: name -> callable(fitted_target) returning the model the attacker queries
# (passed to ``audit(target_wrapper=...)``). The option appears once a name is
# registered here.
DEFENSES = {}

_AFFAIRS = {"sensitive": "affair", "label": "happy"}


class UsageError(Exception):
    """Bad input on the command line: reported in one line, exit status 2."""


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _n_jobs(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value == 0:
        raise argparse.ArgumentTypeError(
            f"expected a non-zero integer (-1 for every core), got {text!r}"
        )
    return value


def _version():
    from . import __version__

    return __version__


def build_parser():
    """The argument parser of the ``skinvert`` command.

    Returns
    -------
    parser : argparse.ArgumentParser

    Examples
    --------
    >>> from skinvert.cli import build_parser
    >>> build_parser().parse_args(["audit", "--max-victims", "50"]).max_victims
    50
    """
    parser = argparse.ArgumentParser(
        prog="skinvert",
        description="Measure how much a classifier leaks a sensitive attribute of "
        "the records it was trained on.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "audit",
        help="train a target model, attack it, report members vs non-members",
        description="Train a target model on part of the records, fit every "
        "applicable attribute inference attack on auxiliary records, and report "
        "each attack on training members and held-out non-members against an "
        "imputation baseline that never queries the model. Without --data, the "
        "extramarital-affairs survey (sensitive 'affair', label 'happy').",
    )
    run.add_argument("--data", metavar="PATH.csv", help="CSV table to audit")
    run.add_argument(
        "--sensitive", metavar="COL", help="sensitive column (default: affair)"
    )
    run.add_argument(
        "--label", metavar="COL", help="task label column (default: happy)"
    )
    run.add_argument(
        "--model",
        choices=MODELS,
        default="random_forest",
        help="target model trained on the members (default: random_forest)",
    )
    run.add_argument(
        "--random-state",
        type=int,
        default=0,
        metavar="N",
        help="seed of the split, the target, the attacks (default: 0)",
    )
    run.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=None,
        metavar="N",
        help="parallel jobs for training and queries (-1: every core)",
    )
    run.add_argument(
        "--max-victims",
        type=_positive_int,
        default=DEFAULT_MAX_VICTIMS,
        metavar="N",
        help=f"victims per population (default: {DEFAULT_MAX_VICTIMS})",
    )
    run.add_argument(
        "--n-bootstrap",
        type=_positive_int,
        default=1000,
        metavar="N",
        help="bootstrap resamples of the best advantage (default: 1000)",
    )
    run.add_argument(
        "--no-label",
        action="store_true",
        help="the attacker does not know the victims' task label",
    )
    run.add_argument("--format", choices=("text", "markdown", "csv"), default="text")
    if DEFENSES:
        run.add_argument(
            "--defense",
            choices=sorted(DEFENSES),
            help="countermeasure applied to the target before the attacks",
        )
    return parser


def _read_table(path):
    """The CSV table at ``path`` as a DataFrame."""
    try:
        import pandas as pd
    except ImportError:
        raise UsageError(
            "--data needs pandas to read the CSV file; install it with: "
            'pip install "skinvert[pandas]"'
        ) from None
    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {path} as CSV: {exc}") from None


def _affairs_table():
    from .datasets import load_affairs

    try:
        return load_affairs(as_frame=True).frame
    except ImportError as exc:
        raise UsageError(str(exc)) from None


def _columns(table, args):
    """The sensitive and label column names, checked against the table."""
    sensitive = args.sensitive or (None if args.data else _AFFAIRS["sensitive"])
    label = args.label or (None if args.data else _AFFAIRS["label"])
    names = [str(c) for c in table.columns]
    listing = ", ".join(names)
    for option, name in (("--sensitive", sensitive), ("--label", label)):
        if name is None:
            raise UsageError(f"--data needs {option} COL; columns are: {listing}")
        if name not in names:
            raise UsageError(
                f"{option} {name!r} is not a column; columns are: {listing}"
            )
    if sensitive == label:
        raise UsageError(
            f"--sensitive and --label both name {label!r}; they must differ."
        )
    return sensitive, label


def _run_audit(args):
    table = _read_table(args.data) if args.data else _affairs_table()
    table.columns = [str(c) for c in table.columns]
    sensitive, label = _columns(table, args)
    defense = getattr(args, "defense", None)
    try:
        return audit(
            table.drop(columns=label),
            table[label],
            sensitive=sensitive,
            model=args.model,
            label_known=not args.no_label,
            max_victims=args.max_victims,
            random_state=args.random_state,
            n_jobs=args.n_jobs,
            n_bootstrap=args.n_bootstrap,
            target_wrapper=DEFENSES[defense] if defense else None,
        )
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None


def main(argv=None):
    """Run the ``skinvert`` command.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    status : int
        0 on success, 2 on bad input.

    Examples
    --------
    >>> from skinvert.cli import main
    >>> main(["audit", "--data", "missing.csv"])
    2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        result = _run_audit(args)
    except UsageError as exc:
        message = " ".join(str(exc).split())
        print(f"skinvert {args.command}: error: {message}", file=sys.stderr)
        return 2
    print(result.format_table(args.format))
    if args.format == "text":
        print(f"({time.perf_counter() - start:.1f} s)")
    return 0
