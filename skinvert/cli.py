"""The ``skinvert`` command line: ``skinvert audit`` and ``skinvert --version``.

``skinvert audit --model model.skops --members train.csv --non-members test.csv
--sensitive COL --label COL`` audits a fitted model on the records it was trained
on and records it never saw; ``--data FILE --model NAME`` trains a model on a table
for a first look; with no arguments, it audits a random forest trained on the
extramarital-affairs survey (sensitive column ``affair``, task label ``happy``).
Exit status: 0, 1 when ``--fail-above`` is exceeded, 2 for bad input (a missing
file, an unknown column, an untrusted model type), with a one-line message on
stderr.
"""

import argparse
import csv
import io
import math
import sys
import time

from .evaluation import (
    DEFAULT_MAX_VICTIMS,
    MODELS,
    make_target,
)


def _number(text, kind, option, low, high=None):
    """``text`` as a ``kind`` in [low, high], or a ValueError naming the option."""
    try:
        value = kind(text)
    except (TypeError, ValueError):
        value = None
    if (
        value is None
        or not math.isfinite(value)
        or value < low
        or (high is not None and value > high)
    ):
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
        description="Measure how much a classifier leaks the records it was "
        "trained on.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "audit",
        help="attack a model, report members vs non-members against a reference",
        description="Audit a fitted model (--model FILE.skops with --members and "
        "--non-members record files), or train one on a table for a first look "
        "(--data FILE --model NAME). Every applicable attack runs on training "
        "members and held-out non-members, grouped by threat model, against the "
        "strongest model-free reference. Without arguments: a random forest "
        "trained on the extramarital-affairs survey (sensitive 'affair', label "
        "'happy'). Exit status: 0, or 1 when --fail-above is exceeded; 2 for "
        "usage errors.",
    )
    records = run.add_argument_group("model and records")
    records.add_argument(
        "--model",
        default="random_forest",
        metavar="NAME|FILE",
        help=f"a fitted model file (.skops; .pkl/.joblib with --allow-pickle), or "
        f"with --data the model to train: {', '.join(MODELS)} "
        "(default: random_forest)",
    )
    records.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="TYPE",
        help="trust this type in a .skops file (repeatable; the error lists them)",
    )
    records.add_argument(
        "--allow-pickle",
        action="store_true",
        help="load a pickle/joblib model file (it can run arbitrary code)",
    )
    records.add_argument(
        "--members",
        metavar="FILE",
        help="records the model was trained on (CSV/Parquet)",
    )
    records.add_argument(
        "--non-members", metavar="FILE", help="records the model never saw"
    )
    records.add_argument(
        "--aux",
        metavar="FILE",
        help="the attacker's fully known records (default: a stratified share of "
        "the non-members)",
    )
    records.add_argument(
        "--data", metavar="FILE", help="a table (CSV/Parquet) to train a model on"
    )
    records.add_argument(
        "--sensitive",
        metavar="COL",
        help="sensitive column; 'all' or COL1,COL2 audits each and ranks them",
    )
    records.add_argument("--label", metavar="COL", help="task label column")
    what = run.add_argument_group("what to measure")
    what.add_argument("--by", metavar="COL", help="report each group of COL")
    what.add_argument(
        "--kind",
        choices=("auto", "categorical", "continuous"),
        default="auto",
        help="the sensitive attribute's kind (default: auto)",
    )
    what.add_argument(
        "--no-label",
        action="store_true",
        help="the attacker does not know the victims' task label",
    )
    what.add_argument(
        "--no-membership",
        action="store_true",
        help="skip membership inference",
    )
    what.add_argument(
        "--defense",
        action="append",
        type=_defense_settings,
        metavar="NAME[:VALUE]",
        help=_DEFENSE_HELP,
    )
    what.add_argument(
        "--random-state",
        type=int,
        default=0,
        metavar="N",
        help="seed of the split, the target, the attacks (default: 0)",
    )
    what.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=None,
        metavar="N",
        help="parallel jobs for training and queries (-1: every core)",
    )
    what.add_argument(
        "--max-victims",
        type=_positive_int,
        default=DEFAULT_MAX_VICTIMS,
        metavar="N",
        help=f"victims per population (default: {DEFAULT_MAX_VICTIMS})",
    )
    what.add_argument(
        "--n-bootstrap",
        type=_positive_int,
        default=1000,
        metavar="N",
        help="bootstrap resamples of every interval (default: 1000)",
    )
    out = run.add_argument_group("output")
    out.add_argument(
        "--format", choices=("text", "markdown", "csv", "json"), default="text"
    )
    out.add_argument("--output", metavar="FILE", help="write the report to FILE")
    out.add_argument(
        "--report", metavar="FILE.html", help="also write a self-contained HTML report"
    )
    out.add_argument(
        "--per-record", metavar="FILE.csv", help="write each victim's risk as CSV"
    )
    out.add_argument(
        "--fail-above",
        type=float,
        metavar="X",
        help="exit with status 1 when the leak (largest lower confidence bound of "
        "a best attack's advantage, any threat model and population) exceeds X",
    )
    out.add_argument(
        "-v", "--verbose", action="count", default=0, help="show the running step"
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
    """``(table, members mask, aux mask, target, inputs)`` from the options."""
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
        table, members, aux = stack_tables(parts)
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
        return table, members, (aux if args.aux else None), target, inputs
    if args.aux:
        raise UsageError("--aux goes with a fitted model (--model FILE --members ...).")
    if args.data:
        table = read_table(args.data, "--data")
        inputs["data"] = {"path": args.data, "sha256": sha256(args.data)}
    else:
        table = _affairs_table()
        inputs["data"] = "load_affairs() (statsmodels)"
    table.columns = [str(c) for c in table.columns]
    return table, None, None, None, inputs


def _settings(args, sensitive, label, inputs):
    from .evaluation import AuditSettings
    from .evaluation._settings import seed_of

    return AuditSettings(
        sensitive=sensitive,
        model=args.model if args.model in MODELS else "random_forest",
        label_known=not args.no_label,
        kind=args.kind,
        by=args.by,
        max_victims=args.max_victims,
        seed=seed_of(args.random_state),
        n_jobs=args.n_jobs,
        n_bootstrap=args.n_bootstrap,
        membership=not args.no_membership,
        verbose=args.verbose,
        inputs=inputs,
    )


def _run_audit(args):
    from .evaluation._intake import IntakeError, check_features

    try:
        table, members, aux, target, inputs = _records(args)
    except IntakeError as exc:
        raise UsageError(str(exc)) from None
    default = not (args.data or args.members)
    sensitive, label, many = _columns(table, args, default)
    X, y = table.drop(columns=label), table[label]
    try:
        if target is not None:
            check_features(target, list(X.columns))
            if members is not None and not members.any():
                raise UsageError("--members holds no record.")
        settings = _settings(args, sensitive, label, inputs)
        if many:
            from .evaluation import audit_columns

            if args.defense:
                raise UsageError("--defense audits one sensitive column at a time.")
            return audit_columns(
                X,
                y,
                sensitive=sensitive,
                target=target,
                members=members,
                aux=aux,
                settings=settings,
            )
        if not args.defense:
            from .evaluation._audit import run_audit

            return run_audit(
                X, y, target=target, members=members, aux=aux, settings=settings
            )
        from .evaluation import privacy_utility

        defenses = {"none": None}
        for spec, setting in (pair for group in args.defense for pair in group):
            if isinstance(setting, _Trained):
                setting = setting.build(X)
            defenses[spec] = setting
        return privacy_utility(
            X,
            y,
            sensitive=sensitive,
            defenses=defenses,
            return_audits=True,
            target=target,
            members=members,
            model=settings.model,
            label_known=settings.label_known,
            max_victims=settings.max_victims,
            random_state=args.random_state,
            n_jobs=settings.n_jobs,
            n_bootstrap=settings.n_bootstrap,
        )
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None


_SUMMARY = (
    "defense",
    "accuracy",
    "train_accuracy",
    "reference:members",
    "reference:non-members",
    "best:members",
    "best:non-members",
)


def _report(outcome, fmt):
    """The audit, or each defense setting's audit and the privacy-utility table."""
    if not isinstance(outcome, tuple):
        return outcome.format_table(fmt)
    from .evaluation._privacy_utility import _records as table_records
    from .evaluation._privacy_utility import format_rows

    table, audits = outcome
    if fmt == "json":
        import json

        return json.dumps(
            {
                "privacy_utility": [
                    {k: _json_value(v) for k, v in row.items()}
                    for row in table_records(table)
                ],
                "audits": {name: r.to_dict() for name, r in audits.items()},
            },
            indent=2,
            allow_nan=False,
        )
    if fmt == "csv":  # every audit row, after its setting and the target's utility
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        first = next(iter(audits.values()))
        writer.writerow(["defense", "target_accuracy", "population", *first.columns])
        for name, result in audits.items():
            for line in result.format_table("csv").splitlines()[1:]:
                writer.writerow(
                    [
                        name,
                        round(result.target_test_accuracy, 4),
                        *next(csv.reader([line])),
                    ]
                )
        return out.getvalue().rstrip("\n")
    parts = []
    for name, result in audits.items():
        title = (
            f"## defense: {name}" if fmt == "markdown" else f"=== defense: {name} ==="
        )
        parts += [title, "", result.format_table(fmt), ""]
    summary = [{key: row[key] for key in _SUMMARY} for row in table_records(table)]
    parts += [
        "## privacy-utility" if fmt == "markdown" else "=== privacy-utility ===",
        "",
        "accuracy: the target's on held-out records (utility); best: the largest "
        "advantage of any attack over the reference (privacy, lower is better); "
        "reference: the model-free reference's score on the headline metric.",
        "",
        format_rows(summary, fmt),
    ]
    return "\n".join(parts)


def _json_value(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _leak_of(outcome):
    """The object whose leak the gate reads (the undefended audit with defenses)."""
    if isinstance(outcome, tuple):
        return outcome[1]["none"]
    return outcome


def _write_extras(outcome, args):
    main = _leak_of(outcome)
    if args.report:
        extra = ()
        if isinstance(outcome, tuple):
            from .metrics import PrivacyUtilityDisplay

            table = outcome[0]
            extra = (
                (
                    "privacy-utility",
                    "Utility against the best attack's advantage, per defense setting.",
                    lambda ax: PrivacyUtilityDisplay(
                        table.to_dict("records")
                        if hasattr(table, "to_dict")
                        else list(table)
                    ).plot(ax=ax),
                ),
            )
            from .evaluation._html import audit_html

            with open(args.report, "w", encoding="utf-8") as handle:
                handle.write(audit_html(main, extra_figures=extra))
        else:
            main.to_html(args.report)
    if args.per_record:
        results = getattr(main, "results", None) or {main.sensitive: main}
        with open(args.per_record, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            columns = [
                "sensitive",
                "record",
                "population",
                "threat_model",
                "attack",
                "attack_score",
                "reference_score",
                "margin",
            ]
            writer.writerow(columns)
            for column, result in results.items():
                for row in result.per_record:
                    writer.writerow([column, *(row[c] for c in columns[1:])])


def main(argv=None):
    """Run the ``skinvert`` command.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    status : int
        0 on success, 1 when ``--fail-above`` is exceeded, 2 on bad input.

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
        report = _report(result, args.format)
        if args.output:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(report + "\n")
        else:
            print(report)
        _write_extras(result, args)
    except UsageError as exc:
        message = " ".join(str(exc).split())
        print(f"skinvert {args.command}: error: {message}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"skinvert {args.command}: error: {exc}", file=sys.stderr)
        return 2
    if args.format == "text" and not args.output:
        print(f"({time.perf_counter() - start:.1f} s)")
    leak = _leak_of(result)
    if args.fail_above is not None and leak.exceeds(args.fail_above):
        print(
            f"skinvert {args.command}: leak {leak.leak():+.3f} exceeds "
            f"--fail-above {args.fail_above:+.3f}",
            file=sys.stderr,
        )
        return 1
    return 0
