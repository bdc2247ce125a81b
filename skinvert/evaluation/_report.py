"""The result of an audit and its reports: text, Markdown, CSV, JSON, DataFrames.

The JSON form follows a versioned schema, shipped as
``skinvert/evaluation/audit.schema.json`` (``SCHEMA_VERSION``); the HTML report
and the figures are in :mod:`._html`.
"""

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
        from ._formats import FORMATS

        if fmt == "json":
            return self.to_json()
        if fmt not in FORMATS:
            raise ValueError(
                f"fmt={fmt!r} is not a report format; use one of "
                f"{sorted([*FORMATS, 'json'])}."
            )
        return FORMATS[fmt](self)

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


def as_plain(result):
    """The dataclass as a plain dict (no schema fields)."""
    return asdict(result)
