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
import sys
import time
import traceback

from sklearn.utils.validation import check_is_fitted

from ._cli_defenses import _DEFENSE_HELP, _defense_settings, _Trained
from ._cli_input import UsageError, _columns, _preflight, _records
from ._cli_output import _leak_of, _report, _write_extras
from .evaluation import (
    DEFAULT_MAX_VICTIMS,
    MODELS,
)


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
    from sklearn.exceptions import NotFittedError

    from .evaluation._intake import IntakeError, check_features

    _preflight(args)
    try:
        table, members, aux, target, inputs, origin, notes = _records(args)
    except IntakeError as exc:
        raise UsageError(str(exc)) from None
    if target is not None:
        try:
            check_is_fitted(target)
        except NotFittedError:
            raise UsageError(
                f"the model in --model {args.model} is not fitted: save a fitted "
                "model, or use --data FILE --model NAME to have the audit train one."
            ) from None
    args.origin = origin
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
            return _with_notes(
                audit_columns(
                    X,
                    y,
                    sensitive=sensitive,
                    target=target,
                    members=members,
                    aux=aux,
                    settings=settings,
                ),
                notes,
            )
        if not args.defense:
            from .evaluation._audit import run_audit

            return _with_notes(
                run_audit(
                    X, y, target=target, members=members, aux=aux, settings=settings
                ),
                notes,
            )
        from .evaluation import privacy_utility

        defenses = {"none": None}
        for spec, setting in (pair for group in args.defense for pair in group):
            if isinstance(setting, _Trained):
                setting = setting.build(X)
            defenses[spec] = setting
        outcome = privacy_utility(
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
        return _with_notes(outcome, notes)
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None


def _with_notes(outcome, notes):
    """The outcome, the intake's notes put first in each audit's notes."""
    if notes:
        audits = outcome[1].values() if isinstance(outcome, tuple) else [outcome]
        for result in audits:
            result.notes = [*notes, *result.notes]
    return outcome


def main(argv=None):
    """Run the ``skinvert`` command.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    status : int
        0 on success, 1 when ``--fail-above`` is exceeded, 2 when the audit
        could not run (bad input, a missing optional package, an error).

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
    except Exception as exc:  # the audit could not run: never read as a leak (1)
        if args.verbose:
            traceback.print_exc()
        message = " ".join(str(exc).split())
        print(
            f"skinvert {args.command}: error: the audit could not run: "
            f"{type(exc).__name__}: {message}",
            file=sys.stderr,
        )
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
