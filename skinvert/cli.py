"""The ``skinvert`` command line: ``skinvert audit`` and ``skinvert --version``.

``skinvert audit`` with no arguments audits a random forest trained on the
extramarital-affairs survey (sensitive column ``affair``, task label ``happy``);
``--data PATH.csv --sensitive COL --label COL`` audits a model trained on any CSV
table. Bad input (a missing file, an unknown column) ends with a one-line message
on stderr and exit status 2.
"""

import argparse
import csv
import io
import sys
import time

from .evaluation import (
    COLUMNS,
    DEFAULT_MAX_VICTIMS,
    MODELS,
    POPULATIONS,
    audit,
    make_target,
)


def _number(text, kind, option, low, high=None):
    """``text`` as a ``kind`` in [low, high], or a ValueError naming the option."""
    try:
        value = kind(text)
    except (TypeError, ValueError):
        value = None
    if value is None or value < low or (high is not None and value > high):
        bounds = f"{low} to {high}" if high is not None else f"at least {low}"
        what = "an integer" if kind is int else "a number"
        raise ValueError(
            f"--defense {option}:VALUE needs {what} {bounds}, got {text!r}"
        )
    return value


def _output_defense(name, class_name, parameter=None, bounds=None, **fixed):
    """``make(target[, value])``: the defense ``class_name`` around the frozen target.

    ``parameter`` takes the value after the colon, converted and checked against
    ``bounds`` = (type, low, high, default text).
    """

    def make(target, *value):
        from sklearn.frozen import FrozenEstimator

        from . import defenses

        params = dict(fixed)
        if parameter is not None:
            kind, low, high, default = bounds
            text = value[0] if value else default
            params[parameter] = _number(text, kind, name, low, high)
        elif value:
            raise ValueError(f"--defense {name} takes no value, got {value[0]!r}")
        return getattr(defenses, class_name)(FrozenEstimator(target), **params)

    return make


def _private_model(X, epsilon="1"):
    """A differentially private logistic regression in the target's place.

    One-hot encoded categories and standardised numbers, as for the
    ``logistic_regression`` target; the norm bound is the training records'
    largest norm (:class:`~skinvert.defenses.DPLogisticRegression` warns that a
    bound read from the data weakens the guarantee).
    """
    from .defenses import DPLogisticRegression

    text, epsilon = epsilon, _number(epsilon, float, "dp", 0.0)
    if epsilon == 0:
        raise ValueError(f"--defense dp:VALUE needs an epsilon above 0, got {text!r}")
    model = DPLogisticRegression(epsilon=epsilon, random_state=0)
    if X is None:  # a dry run: the value is checked
        return model
    pipeline = make_target("logistic_regression", X)
    pipeline.steps[-1] = ("dplogisticregression", model)
    return pipeline


# Countermeasures ``--defense NAME[:VALUE]`` applies to the trained target before
# the attacks run: name -> callable(fitted_target[, value]) returning the model the
# attacker queries (``value`` is the text after the colon).
DEFENSES = {
    "round": _output_defense(
        "round", "RoundedConfidences", "decimals", (int, 0, 12, "2")
    ),
    "topk": _output_defense("topk", "TopKConfidences", "k", (int, 1, None, "1")),
    "label": _output_defense("label", "LabelOnly"),
    "noise": _output_defense(
        "noise", "NoisyConfidences", "scale", (float, 0.0, None, "0.1"), random_state=0
    ),
}
# Countermeasures that train another model on the same members in the target's
# place: name -> callable(records[, value]) returning the unfitted model.
TRAINED_DEFENSES = {"dp": _private_model}
_DEFENSE_HELP = (
    "countermeasure applied to the trained target before the attacks: "
    "round[:DECIMALS] (default 2), topk[:K] (default 1), label (label only), "
    "noise[:SCALE] (noise on the log-confidences, default 0.1), or trained in its "
    "place: dp[:EPSILON] (differentially private logistic regression, default 1); "
    "none; repeat the option or separate settings by commas. Each setting is "
    "audited on the same records as the undefended target, and a privacy-utility "
    "table follows."
)

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
    run.add_argument(
        "--defense",
        action="append",
        type=_defense_settings,
        metavar="NAME[:VALUE]",
        help=_DEFENSE_HELP,
    )
    return parser


def _defense_settings(text):
    """``round:1,label`` as ``[(spec, wrapper or None), ...]`` (argparse type)."""
    settings = []
    for spec in (part.strip() for part in text.split(",")):
        name, _, value = spec.partition(":")
        if name == "none" and not value:
            settings.append(("none", None))
            continue
        registry = {**DEFENSES, **TRAINED_DEFENSES}
        if name not in registry:
            known = ", ".join([*sorted(registry), "none"])
            raise argparse.ArgumentTypeError(
                f"unknown defense {spec!r}; known: {known}"
            )
        args = (value,) if value else ()
        try:  # a dry run checks the value now, not after training the target
            registry[name](None, *args)
        except (TypeError, ValueError) as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if name in TRAINED_DEFENSES:
            settings.append((spec, _Trained(name, args)))
        else:
            settings.append((spec, _wrapper(name, args)))
    return settings


def _wrapper(name, args):
    return lambda target: DEFENSES[name](target, *args)


class _Trained:
    """A trained defense, built once the records are known."""

    def __init__(self, name, args):
        self.name, self.args = name, args

    def build(self, X):
        return TRAINED_DEFENSES[self.name](X, *self.args)


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
    options = {
        "sensitive": sensitive,
        "model": args.model,
        "label_known": not args.no_label,
        "max_victims": args.max_victims,
        "random_state": args.random_state,
        "n_jobs": args.n_jobs,
        "n_bootstrap": args.n_bootstrap,
    }
    X, y = table.drop(columns=label), table[label]
    try:
        if not args.defense:
            return audit(X, y, **options)
        from .evaluation import privacy_utility

        settings = {"none": None}
        for spec, setting in (pair for group in args.defense for pair in group):
            if isinstance(setting, _Trained):
                setting = setting.build(X)
            settings[spec] = setting
        return privacy_utility(X, y, defenses=settings, return_audits=True, **options)
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None


_SUMMARY = (
    "defense",
    "accuracy",
    "train_accuracy",
    "baseline:members",
    "baseline:non-members",
    "best:members",
    "best:non-members",
)


def _report(outcome, fmt):
    """The audit, or each defense setting's audit and the privacy-utility table."""
    if not isinstance(outcome, tuple):
        return outcome.format_table(fmt)
    from .evaluation._privacy_utility import _records, format_rows

    table, audits = outcome
    if fmt == "csv":  # every audit row, after its setting and the target's utility
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["defense", "target_accuracy", "population", *COLUMNS])
        for name, result in audits.items():
            for population in POPULATIONS:
                writer.writerows(
                    [name, result.target_test_accuracy, population]
                    + [row[c] for c in COLUMNS]
                    for row in result.rows[population]
                )
        return out.getvalue().rstrip("\n")
    parts = []
    for name, result in audits.items():
        title = (
            f"## defense: {name}" if fmt == "markdown" else f"=== defense: {name} ==="
        )
        parts += [title, "", result.format_table(fmt), ""]
    summary = [{key: row[key] for key in _SUMMARY} for row in _records(table)]
    parts += [
        "## privacy-utility" if fmt == "markdown" else "=== privacy-utility ===",
        "",
        "accuracy: the target's on held-out records (utility); best: the largest "
        "advantage of any attack over the baseline (privacy, lower is better); "
        "baseline: the imputation baseline's accuracy.",
        "",
        format_rows(summary, fmt),
    ]
    return "\n".join(parts)


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
    print(_report(result, args.format))
    if args.format == "text":
        print(f"({time.perf_counter() - start:.1f} s)")
    return 0
