"""The audit's text, Markdown and CSV reports (JSON and HTML are elsewhere)."""

import csv
import io
import math

from ._report import POPULATIONS
from ._settings import THREAT_MODELS

_ROUND = 4


_HEADERS = {
    "attack": "attack",
    "threat_model": "threat model",
    "advantage": "advantage",
    "advantage_low": "low",
    "advantage_high": "high",
    "balanced_accuracy": "bal. acc.",
    "accuracy": "accuracy",
    "accuracy_advantage": "acc. adv.",
    "roc_auc": "ROC AUC",
    "ppv_at_k": "PPV@{k}",
    "mae": "MAE",
    "rmse": "RMSE",
    "r2": "R2",
    "within_tolerance": "within {tol}",
    "queries": "queries",
    "fit_seconds": "fit s",
    "predict_seconds": "predict s",
}
_TITLES = {
    "members": "members (in the target's training set)",
    "non-members": "non-members (held out)",
}
_SHOWN = ("attack", "advantage", "interval")


def _num(value, signed=False, digits=3):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _cell(key, row):
    value = row.get(key)
    if key in ("attack", "threat_model"):
        return str(value)
    if key == "queries":
        return f"{int(value):d}"
    if key in ("advantage", "accuracy_advantage"):
        return _num(value, signed=True)
    if key in ("advantage_low", "advantage_high"):
        return _num(value, signed=True)
    if key.endswith("seconds"):
        return _num(value, digits=2)
    return _num(value)


def _display_columns(result):
    """The table's columns, the interval shown as one ``[low, high]`` column."""
    columns = [c for c in result.columns if c not in ("threat_model",)]
    return [c for c in columns if c not in ("advantage_low", "advantage_high")]


def _header(result, column):
    if column == "interval":
        return f"{result.confidence:.0%} CI"
    return _HEADERS[column].format(
        k=f"{result.ppv_k:.0%}", tol=f"±{result.settings.get('tolerance', 0.1):.0%}"
    )


def _line_cells(result, row):
    cells = []
    for column in _display_columns(result):
        cells.append(_cell(column, row))
        if column == "advantage":
            cells.append(
                f"[{_cell('advantage_low', row)}, {_cell('advantage_high', row)}]"
            )
    return cells


def _headers(result):
    out = []
    for column in _display_columns(result):
        out.append(_header(result, column))
        if column == "advantage":
            out.append(_header(result, "interval"))
    return out


def _preamble(result):
    knows = "knows" if result.label_known else "does not know"
    chosen = result.reference.get("chosen", {})
    how = (
        "as given" if result.reference.get("given") else "chosen on the auxiliary data"
    )
    reference = "; ".join(f"{metric}: {name}" for metric, name in chosen.items())
    return [
        f"Attribute inference audit of sensitive={result.sensitive!r} "
        f"({result.kind}; the attacker {knows} the task label)",
        f"target: {result.target_name}, trained on {result.n_members} members; "
        f"accuracy {result.target_train_accuracy:.3f} on members, "
        f"{result.target_test_accuracy:.3f} on non-members",
        f"attacker: {result.n_aux} auxiliary records ({result.aux_source}); "
        f"victims: {result.n_victims} members and as many non-members",
        f"reference (no access to the model, {how}): {reference}",
        f"advantage: {result.headline['why']}",
    ]


def _grouped(rows):
    """Rows ordered by threat model, as ``(threat model, rows)`` pairs."""
    return [
        (model, [r for r in rows if r["threat_model"] == model])
        for model in THREAT_MODELS
        if any(r["threat_model"] == model for r in rows)
    ]


def _summary_lines(result):
    lines = []
    for population in POPULATIONS:
        for model, entry in result.summary.get(population, {}).items():
            lines.append(
                f"{population:<12} {model:<26} {entry['attack']:<28} "
                f"{_num(entry['advantage'], True)}  "
                f"[{_num(entry['low'], True)}, {_num(entry['high'], True)}]"
            )
    return lines


def _gap_lines(result):
    return [
        f"{g['attack']:<28} {g['threat_model']:<26} {_num(g['gap'], True)}  "
        f"[{_num(g['gap_low'], True)}, {_num(g['gap_high'], True)}]"
        for g in result.gaps
    ]


def _membership_lines(result):
    lines = []
    for row in result.membership:
        values = ", ".join(
            f"{k} {_num(v) if isinstance(v, float) else v}"
            for k, v in row.items()
            if k != "attack" and not isinstance(v, (dict, list))
        )
        lines.append(f"{row.get('attack', '?')}: {values}")
    return lines


def _flagged_lines(result):
    return [
        f"{s['column']}={s['group']!r} ({s['population']}, {s['threat_model']}): "
        f"{s['attack']} {_num(s['advantage'], True)} "
        f"[{_num(s['advantage_low'], True)}, {_num(s['advantage_high'], True)}], "
        f"n={s['n']}, p={s['p_value']:.3g}"
        for s in result.subgroups
        if s["flagged"]
    ]


def _sections(result):
    """``(title, lines)`` sections after the tables, shared by text and Markdown."""
    sections = [
        (
            "Best attack per threat model: advantage over the reference, "
            f"{result.confidence:.0%} bootstrap CI",
            _summary_lines(result),
        ),
        (
            "Memorisation gap: member advantage minus non-member advantage",
            _gap_lines(result),
        ),
    ]
    if result.membership:
        sections.append(
            ("Membership inference on the same records", _membership_lines(result))
        )
    if result.subgroups:
        flagged = _flagged_lines(result)
        sections.append(
            (
                "Subgroups significantly more exposed than the rest (Holm-corrected)",
                flagged or ["none"],
            )
        )
    leak = result.leak()
    sections.append(
        (
            "Leak (largest lower CI bound of a best attack's advantage)",
            [_num(leak, True)],
        )
    )
    if result.notes:
        sections.append(("Notes", list(result.notes)))
    return sections


def _as_text(result):
    headers = _headers(result)
    widths = [len(h) for h in headers]
    cells = {
        p: [_line_cells(result, row) for row in rows] for p, rows in result.rows.items()
    }
    for table in cells.values():
        for line in table:
            widths = [max(w, len(v)) for w, v in zip(widths, line)]

    def fmt(values):
        first = values[0].ljust(widths[0])
        rest = (v.rjust(w) for v, w in zip(values[1:], widths[1:]))
        return "  ".join([first, *rest]).rstrip()

    lines = list(_preamble(result))
    for population in POPULATIONS:
        rows = result.rows.get(population, [])
        lines += ["", _TITLES[population], "  " + fmt(headers)]
        for model, group in _grouped(rows):
            lines.append(f"  [{model}]")
            lines += ["  " + fmt(_line_cells(result, row)) for row in group]
    for title, body in _sections(result):
        lines += ["", title, *(f"  {line}" for line in body)]
    return "\n".join(lines)


def _as_markdown(result):
    headers = ["threat model", *_headers(result)]
    preamble = _preamble(result)
    lines = [f"**{preamble[0]}**", "", *(f"- {line}" for line in preamble[1:])]
    for population in POPULATIONS:
        lines += ["", f"### {_TITLES[population]}", ""]
        lines.append("| " + " | ".join(headers) + " |")
        lines.append(
            "|" + "|".join(["---", "---"] + ["---:"] * (len(headers) - 2)) + "|"
        )
        for model, group in _grouped(result.rows.get(population, [])):
            for row in group:
                lines.append(
                    "| " + " | ".join([model, *_line_cells(result, row)]) + " |"
                )
    for title, body in _sections(result):
        lines += ["", f"**{title}**", "", *(f"- {line}" for line in body)]
    return "\n".join(lines)


def _rounded(value):
    if isinstance(value, float):
        return "" if not math.isfinite(value) else round(value, _ROUND)
    return value


def _as_csv(result):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["population", *result.columns])
    for population in POPULATIONS:
        for row in result.rows.get(population, []):
            writer.writerow(
                [population, *(_rounded(row.get(c)) for c in result.columns)]
            )
    for row in result.membership:  # members against non-members, same records
        values = {
            "attack": row.get("attack"),
            "threat_model": "membership",
            "advantage": row.get("advantage"),
            "advantage_low": row.get("advantage_low"),
            "advantage_high": row.get("advantage_high"),
            "roc_auc": row.get("auc"),
            "queries": row.get("n_queries"),
        }
        writer.writerow(
            ["members and non-members"]
            + [_rounded(values.get(c, "")) for c in result.columns]
        )
    return out.getvalue().rstrip("\n")


FORMATS = {"text": _as_text, "markdown": _as_markdown, "csv": _as_csv}
