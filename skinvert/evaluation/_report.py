"""The result of an audit and its text, markdown and CSV reports."""

import csv
import io
from dataclasses import dataclass, field

import numpy as np

from ..utils._optional import import_optional

POPULATIONS = ("members", "non-members")
COLUMNS = (
    "attack",
    "accuracy",
    "balanced_accuracy",
    "roc_auc",
    "advantage",
    "ppv_at_k",
    "queries",
    "seconds",
)


@dataclass
class AuditResult:
    """Outcome of :func:`~skinvert.audit`: one table per population and a summary.

    Attributes
    ----------
    rows : dict of str to list of dict
        Per population (``"members"``, ``"non-members"``), one row per attack, the
        imputation baseline first: ``attack`` (class name), ``accuracy``,
        ``balanced_accuracy``, ``roc_auc`` (of the attack's posterior; macro
        one-vs-rest for more than two values), ``advantage`` (accuracy minus the
        baseline's), ``ppv_at_k`` (precision among the ``ppv_k`` victims ranked
        most likely to hold ``positive``; NaN unless the attribute is binary),
        ``queries`` (target queries made on the victims) and ``seconds``
        (inference time on the victims). Undefined metrics are NaN.
    summary : dict of str to dict
        Per population, the attack with the largest advantage: ``attack``,
        ``advantage`` and the bounds ``low``, ``high`` of the bootstrap
        confidence interval of that advantage (victims resampled, attack and
        baseline paired). The attack is picked on the same victims, so the
        estimate leans optimistic.
    target_train_accuracy : float
        Accuracy of the attacked target on its members.
    target_test_accuracy : float
        Its accuracy on the non-members.
    sensitive : str or int
        The sensitive column.
    target_name : str
        The attacked target, outermost wrapper first.
    label_known : bool
        Whether the attacker knew the victims' task label.
    n_members, n_aux, n_non_members : int
        Sizes of the target's training set, of the auxiliary data and of the
        held-out records.
    n_victims : int
        Victims evaluated per population.
    positive : object or None
        The sensitive value PPV@k looks for (1 for 0/1 attributes, else the rarer
        value; None for attributes with more than two values).
    ppv_k : float
        Fraction of the victims ranked first for PPV@k.
    confidence : float
        Level of the confidence intervals.
    notes : list of str
        Attacks skipped or failed, and why; records left out.

    Examples
    --------
    >>> from skinvert import audit
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(600, leak=3, random_state=0)
    >>> result = audit(X, y, sensitive=0, max_victims=100, n_bootstrap=100)
    >>> print(result.format_table("csv").splitlines()[0])
    population,attack,accuracy,balanced_accuracy,roc_auc,advantage,ppv_at_k,queries,seconds
    >>> result.summary["members"]["attack"] != "ImputationBaseline"
    True
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
    positive: object = None
    ppv_k: float = 0.1
    confidence: float = 0.95
    notes: list = field(default_factory=list)

    @property
    def tables(self):
        """The rows per population as DataFrames (lists of dicts without pandas)."""
        try:
            pd = import_optional("pandas")
        except ImportError:
            return {p: [dict(r) for r in rows] for p, rows in self.rows.items()}
        return {p: pd.DataFrame(rows, columns=COLUMNS) for p, rows in self.rows.items()}

    def format_table(self, fmt="text"):
        """The tables and summary as text, markdown or CSV.

        Parameters
        ----------
        fmt : {"text", "markdown", "csv"}, default="text"
            Fixed-width text, markdown tables, or one CSV table with a
            ``population`` column (tables only).

        Returns
        -------
        report : str
        """
        if fmt not in _FORMATS:
            raise ValueError(
                f"fmt={fmt!r} is not a report format; use one of {sorted(_FORMATS)}."
            )
        return _FORMATS[fmt](self)

    def __str__(self):
        return self.format_table("text")


# -------------------------------------------------------------------- the report
_HEADERS = {
    "attack": "attack",
    "accuracy": "accuracy",
    "balanced_accuracy": "bal. acc.",
    "roc_auc": "ROC AUC",
    "advantage": "advantage",
    "ppv_at_k": "PPV@{k}",
    "queries": "queries",
    "seconds": "seconds",
}
_TITLES = {
    "members": "members (in the target's training set)",
    "non-members": "non-members (held out)",
}


def _cell(key, value):
    if key == "attack":
        return str(value)
    if key == "queries":
        return f"{value:d}"
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    if key == "advantage":
        return f"{value:+.3f}"
    return f"{value:.3f}" if key != "seconds" else f"{value:.2f}"


def _headers(result):
    k = f"{result.ppv_k:.0%}"
    return [_HEADERS[c].format(k=k) for c in COLUMNS]


def _preamble(result):
    knows = "knows" if result.label_known else "does not know"
    return [
        f"Attribute inference audit of sensitive={result.sensitive!r} "
        f"(the attacker {knows} the task label)",
        f"target: {result.target_name}, trained on {result.n_members} members; "
        f"accuracy {result.target_train_accuracy:.3f} on members, "
        f"{result.target_test_accuracy:.3f} on non-members",
        f"attacker: {result.n_aux} auxiliary records; victims: {result.n_victims} "
        "members and as many non-members",
    ]


def _summary(result):
    """Title, one entry per population, and the PPV@k footnote (or None)."""
    title = (
        "Best attack per population: its accuracy advantage over the baseline, "
        f"with a {result.confidence:.0%} bootstrap CI"
    )
    best = {p: result.summary.get(p, {}) for p in POPULATIONS}
    width = max([len(b["attack"]) for b in best.values() if b.get("attack")] + [0])
    entries = []
    for population, row in best.items():
        if row.get("attack") is None:
            entries.append(f"{population}: no attack besides the baseline ran")
            continue
        entries.append(
            f"{population + ':':<13}{row['attack']:<{width}}  "
            f"{row['advantage']:+.3f}  [{row['low']:+.3f}, {row['high']:+.3f}]"
        )
    footnote = None
    if result.positive is not None:
        footnote = (
            f"PPV@{result.ppv_k:.0%}: precision among the {result.ppv_k:.0%} of "
            f"victims ranked most likely to hold {result.positive!r}."
        )
    return title, entries, footnote


def _as_text(result):
    headers = _headers(result)
    cells = {
        p: [[_cell(c, row[c]) for c in COLUMNS] for row in rows]
        for p, rows in result.rows.items()
    }
    widths = [len(h) for h in headers]
    for table in cells.values():
        for line in table:
            widths = [max(w, len(v)) for w, v in zip(widths, line)]

    def fmt(values):
        first = values[0].ljust(widths[0])
        rest = (v.rjust(w) for v, w in zip(values[1:], widths[1:]))
        return "  ".join([first, *rest]).rstrip()

    lines = _preamble(result)
    for population in POPULATIONS:
        lines += ["", _TITLES[population], fmt(headers)]
        lines += [fmt(line) for line in cells.get(population, [])]
    title, entries, footnote = _summary(result)
    lines += ["", title, *(f"  {entry}" for entry in entries)]
    lines += [footnote] if footnote else []
    if result.notes:
        lines += ["notes:", *(f"  - {note}" for note in result.notes)]
    return "\n".join(lines)


def _as_markdown(result):
    headers = _headers(result)
    lines = [
        f"**{line}**" if i == 0 else line for i, line in enumerate(_preamble(result))
    ]
    lines = [lines[0], "", *(f"- {line}" for line in lines[1:])]
    for population in POPULATIONS:
        lines += ["", f"### {_TITLES[population]}", ""]
        lines.append("| " + " | ".join(headers) + " |")
        lines.append("|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|")
        for row in result.rows.get(population, []):
            lines.append("| " + " | ".join(_cell(c, row[c]) for c in COLUMNS) + " |")
    title, entries, footnote = _summary(result)
    lines += ["", f"{title}:", "", *(f"- {entry}" for entry in entries)]
    lines += ["", footnote] if footnote else []
    if result.notes:
        lines += ["", "Notes:", "", *(f"- {note}" for note in result.notes)]
    return "\n".join(lines)


def _as_csv(result):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["population", *COLUMNS])
    for population in POPULATIONS:
        for row in result.rows.get(population, []):
            writer.writerow([population, *(row[c] for c in COLUMNS)])
    return out.getvalue().rstrip("\n")


_FORMATS = {"text": _as_text, "markdown": _as_markdown, "csv": _as_csv}
