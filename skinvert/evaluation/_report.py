"""The result of an audit and its reports: text, Markdown, CSV, JSON, DataFrames.

The JSON form follows a versioned schema, shipped as
``skinvert/evaluation/audit.schema.json`` (``SCHEMA_VERSION``); the HTML report
and the figures are in :mod:`._html`.
"""

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from ..utils._optional import import_optional
from ._scoring import COLUMNS as _COLUMNS_BY_KIND
from ._settings import HEADLINE, HEADLINE_WHY, THREAT_MODELS

SCHEMA_VERSION = "1.0"
POPULATIONS = ("members", "non-members")
COLUMNS = _COLUMNS_BY_KIND["categorical"]
_ROUND = 4


@dataclass
class AuditResult:
    """Outcome of :func:`~skinvert.audit`: tables, intervals, verdict inputs.

    Attributes
    ----------
    rows : dict of str to list of dict
        Per population (``"members"``, ``"non-members"``), one row per attack,
        the model-free reference(s) first (threat model ``"no access"``). Keys:
        ``COLUMNS[kind]``: ``attack``, ``threat_model``, ``advantage`` (the
        headline metric: see ``headline``) with ``advantage_low`` /
        ``advantage_high`` (bootstrap interval), then the kind's metrics
        (categorical: balanced accuracy, accuracy, accuracy advantage over the
        accuracy reference, ROC AUC, PPV@k; continuous: MAE, RMSE, R², share
        within ``tolerance``), ``queries`` (target queries on the victims),
        ``fit_seconds`` and ``predict_seconds``.
    summary : dict of str to dict
        Per population, per threat model, the attack of largest advantage:
        ``attack``, ``advantage``, ``low``, ``high``. The attack is picked on the
        same victims, so the estimate leans optimistic.
    kind : {"categorical", "continuous"}
        The sensitive attribute's kind.
    gaps : list of dict
        Per attack, the memorisation gap: member advantage minus non-member
        advantage (``gap``) with its interval (``gap_low``, ``gap_high``).
    reference : dict
        How the model-free reference was chosen: ``scores`` (out-of-fold score
        of each candidate on the auxiliary data), ``chosen`` (metric -> name),
        ``given`` (True if the user passed it).
    per_record : list of dict
        Per victim and threat model: ``record`` (position in the audited
        records), ``population``, ``attack`` (the best of that threat model),
        ``attack_score`` (its posterior for the victim's true value; absolute
        error for a continuous attribute), ``reference_score`` and ``margin``
        (how much better the attack holds the truth than the reference).
    subgroups : list of dict
        With ``by``: per group, population and threat model, the advantage with
        its interval, a Holm-corrected p-value and whether the group is flagged
        as significantly more exposed than the rest.
    membership : list of dict
        Membership inference on the same records (one row per attack).
    roc : list of dict
        Categorical attributes: per population and threat model, the best
        attack's ROC curve for ``positive`` (or the rarest value) against the
        rest: ``fpr``, ``tpr`` (at most 200 points), ``auc``.
    target_train_accuracy, target_test_accuracy : float
        The attacked model's accuracy on members and non-members.
    sensitive : str or int
    target_name : str
        The attacked target, outermost wrapper first.
    label_known : bool
    n_members, n_aux, n_non_members, n_victims : int
    aux_source : str
        Where the auxiliary records came from.
    positive : object or None
        The value PPV@k looks for (binary attributes only).
    ppv_k, confidence : float
    settings : dict
        The audit's settings (seed included), as JSON values.
    inputs : dict
        Input files and their SHA-256 (command line), model type.
    notes : list of str
        Attacks skipped or failed, records left out, and why.

    Examples
    --------
    >>> from skinvert import audit
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(600, leak=3, random_state=0)
    >>> result = audit(X, y, sensitive=0, max_victims=100, n_bootstrap=100)
    >>> result.to_dict()["schema_version"]
    '1.0'
    >>> sorted(result.summary["members"])
    ['answer on the true record', 'confidences', 'labels', 'white-box']
    """

    rows: dict
    summary: dict
    target_train_accuracy: float
    target_test_accuracy: float
    sensitive: object
    target_name: str
    label_known: bool
    n_members: int
    n_aux: int
    n_non_members: int
    n_victims: int
    kind: str = "categorical"
    aux_source: str = "share of the non-members"
    reference: dict = field(default_factory=dict)
    gaps: list = field(default_factory=list)
    per_record: list = field(default_factory=list)
    subgroups: list = field(default_factory=list)
    membership: list = field(default_factory=list)
    roc: list = field(default_factory=list)
    positive: object = None
    ppv_k: float = 0.1
    confidence: float = 0.95
    settings: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    # ------------------------------------------------------------- verdict
    @property
    def headline(self):
        """The headline metric's name and why it was chosen."""
        return {"metric": HEADLINE[self.kind], "why": HEADLINE_WHY[self.kind]}

    def leak(self):
        """The largest lower confidence bound of a best attack's advantage.

        Over both populations and every threat model that accesses the model:
        the quantity ``--fail-above`` compares with its threshold. NaN when no
        attack ran.
        """
        bounds = [
            entry["low"]
            for population in self.summary.values()
            for entry in population.values()
            if entry["low"] is not None and np.isfinite(entry["low"])
        ]
        return max(bounds) if bounds else float("nan")

    def exceeds(self, threshold):
        """Whether the leak exceeds ``threshold`` (the CI gate's rule).

        True when, in some population and threat model, the best attack's
        headline advantage has its lower confidence bound above ``threshold``:
        the leak is above the threshold beyond the sampling noise of the victims.
        """
        leak = self.leak()
        return bool(np.isfinite(leak) and leak > threshold)

    # ------------------------------------------------------------- tables
    @property
    def columns(self):
        """The table columns for this kind of attribute."""
        return _COLUMNS_BY_KIND[self.kind]

    @property
    def tables(self):
        """The rows per population as DataFrames (lists of dicts without pandas)."""
        try:
            pd = import_optional("pandas")
        except ImportError:
            return {p: [dict(r) for r in rows] for p, rows in self.rows.items()}
        return {
            p: pd.DataFrame(rows, columns=self.columns) for p, rows in self.rows.items()
        }

    def to_frame(self):
        """Every attack row of both populations as one DataFrame.

        Returns
        -------
        frame : DataFrame
            Columns ``population`` then ``columns``.
        """
        pd = import_optional("pandas", purpose="AuditResult.to_frame")
        records = [
            {"population": p, **{c: row.get(c) for c in self.columns}}
            for p in POPULATIONS
            for row in self.rows.get(p, [])
        ]
        return pd.DataFrame(records, columns=["population", *self.columns])

    def per_record_frame(self):
        """``per_record`` as a DataFrame (one row per victim and threat model)."""
        pd = import_optional("pandas", purpose="AuditResult.per_record_frame")
        return pd.DataFrame(self.per_record)

    # -------------------------------------------------------------- JSON
    def to_dict(self):
        """The result as JSON-ready values, with the schema version and versions."""
        out = {"schema_version": SCHEMA_VERSION, "versions": _versions()}
        for item in fields(self):
            out[item.name] = _jsonable(getattr(self, item.name))
        out["headline"] = self.headline
        out["threat_models"] = _threat_models(self)
        out["leak"] = _jsonable(self.leak())
        return out

    def to_json(self, indent=2):
        """The result as JSON text (see ``audit.schema.json``)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data):
        """Rebuild a result from :meth:`to_dict` (or parsed :meth:`to_json`)."""
        names = {item.name for item in fields(cls)}
        values = {k: _unjson(v) for k, v in data.items() if k in names}
        return cls(**values)

    @classmethod
    def from_json(cls, text):
        """Rebuild a result from :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    # ------------------------------------------------------------- reports
    def format_table(self, fmt="text"):
        """The report as text, Markdown or CSV.

        Parameters
        ----------
        fmt : {"text", "markdown", "csv", "json"}, default="text"
            Fixed-width text, Markdown tables, one CSV table with a
            ``population`` column (numbers rounded, intervals included; the
            membership attacks follow as rows of threat model ``membership``
            and population ``members and non-members``, their ROC AUC in
            ``roc_auc``), or JSON.

        Returns
        -------
        report : str
        """
        if fmt not in _FORMATS:
            raise ValueError(
                f"fmt={fmt!r} is not a report format; use one of {sorted(_FORMATS)}."
            )
        return _FORMATS[fmt](self)

    def to_html(self, path=None):
        """A self-contained HTML report (figures embedded); written to ``path``."""
        from ._html import audit_html

        text = audit_html(self)
        if path is not None:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
        return text

    def plot(self, ax=None):
        """The main figure: each threat model's best advantage, with intervals.

        Returns
        -------
        ax : matplotlib Axes
        """
        from ._html import plot_advantages

        return plot_advantages(self, ax=ax)

    def _repr_html_(self):
        from ._html import summary_html

        return summary_html(self)

    def __str__(self):
        return self.format_table("text")

    def __repr__(self):
        best = {
            p: max(v.values(), key=lambda e: e["advantage"], default=None)
            for p, v in self.summary.items()
        }
        parts = ", ".join(
            f"{p}: {b['attack']} {b['advantage']:+.3f}" for p, b in best.items() if b
        )
        return (
            f"<AuditResult sensitive={self.sensitive!r} ({self.kind}), "
            f"{self.n_victims} victims per population; best {parts or 'none'}>"
        )


# ---------------------------------------------------------------- helpers
def _versions():
    import platform

    import numpy
    import sklearn

    from .. import __version__

    return {
        "skinvert": __version__,
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
    }


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    return str(value)


def _unjson(value):
    if isinstance(value, dict):
        return {k: _unjson(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unjson(v) for v in value]
    return float("nan") if value is None else value


def _threat_models(result):
    present = {row["threat_model"] for rows in result.rows.values() for row in rows}
    from ._settings import THREAT_MODEL_DESCRIPTIONS

    return [
        {"name": m, "description": THREAT_MODEL_DESCRIPTIONS[m]}
        for m in THREAT_MODELS
        if m in present
    ]


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


_FORMATS = {
    "text": _as_text,
    "markdown": _as_markdown,
    "csv": _as_csv,
    "json": AuditResult.to_json,
}


def as_plain(result):
    """The dataclass as a plain dict (no schema fields)."""
    return asdict(result)
