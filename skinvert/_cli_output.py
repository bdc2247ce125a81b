"""What ``skinvert audit`` writes: the report, the HTML file, per-record risk."""

import csv
import io
import math

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
    from .evaluation._tables import _records as table_records
    from .evaluation._tables import format_rows

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
        _per_record_csv(main, args.per_record, getattr(args, "origin", None))


def _per_record_csv(main, path, origin):
    """Each victim's risk, with the file and row it came from."""
    results = getattr(main, "results", None) or {main.sensitive: main}
    columns = [
        "population",
        "threat_model",
        "attack",
        "attack_score",
        "reference_score",
        "margin",
    ]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sensitive", "source", "row", *columns])
        for column, result in results.items():
            for row in result.per_record:
                record = row["record"]
                if origin is None:
                    source, position = "", record
                else:
                    source, position = origin[0][record], int(origin[1][record])
                writer.writerow([column, source, position, *(row[c] for c in columns)])
