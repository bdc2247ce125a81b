"""Which column leaks most: the audit of every column in turn, ranked.

:func:`audit_columns` audits each chosen column as the sensitive one (numeric
columns with many values with the regressor attacks), against one target trained
once on one set of members, and ranks the columns by leak: a vulnerability map.
The columns fan out through :class:`joblib.Parallel`, so that a Dask cluster
(``joblib.parallel_config(backend="dask")``) audits them side by side.
"""

import json
import math
from dataclasses import dataclass, field, replace

import numpy as np
from joblib import Parallel, delayed

from ..utils._optional import import_optional, is_pandas_dataframe
from ..utils._shipping import ship, unship
from ._audit import run_audit
from ._data import check_data, column_values, split, take
from ._formats import _num
from ._registry import _BASES, _known_attacks
from ._report import SCHEMA_VERSION, AuditResult, _jsonable, _versions
from ._settings import AuditSettings, kind_of, seed_of
from ._targets import make_target

RANKING_COLUMNS = (
    "column",
    "kind",
    "leak",
    "threat_model",
    "attack",
    "members_advantage",
    "non_members_advantage",
)


@dataclass
class VulnerabilityMap:
    """The audits of several sensitive columns, ranked by leak.

    Attributes
    ----------
    ranking : list of dict
        One row per column, most exposed first: ``column``, ``kind``, ``leak``
        (largest lower confidence bound of a best attack's advantage, see
        :meth:`AuditResult.leak`), the threat model and attack reaching it, and
        the best member and non-member advantages.
    results : dict of str to AuditResult
        Each column's full audit.
    notes : list of str
    """

    ranking: list
    results: dict
    notes: list = field(default_factory=list)
    inputs: dict = field(default_factory=dict)

    def leak(self):
        """The largest leak over the columns (what ``--fail-above`` compares)."""
        leaks = [r["leak"] for r in self.ranking if np.isfinite(r["leak"])]
        return max(leaks) if leaks else float("nan")

    def exceeds(self, threshold):
        """Whether some column's leak exceeds ``threshold``."""
        leak = self.leak()
        return bool(np.isfinite(leak) and leak > threshold)

    def to_frame(self):
        """The ranking as a DataFrame."""
        pd = import_optional("pandas", purpose="VulnerabilityMap.to_frame")
        return pd.DataFrame(self.ranking, columns=RANKING_COLUMNS)

    def to_dict(self):
        """JSON-ready values: the ranking and every column's audit."""
        return {
            "schema_version": SCHEMA_VERSION,
            "versions": _versions(),
            "ranking": _jsonable(self.ranking),
            "results": {str(k): r.to_dict() for k, r in self.results.items()},
            "notes": list(self.notes),
            "inputs": _jsonable(self.inputs),
            "leak": _jsonable(self.leak()),
        }

    def to_json(self, indent=2):
        """The map as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def format_table(self, fmt="text"):
        """The ranking, then each column's report, as text, Markdown, CSV or JSON."""
        if fmt == "json":
            return self.to_json()
        if fmt == "csv":
            lines = [",".join(("column_audited", "population", *_first_columns(self)))]
            for column, result in self.results.items():
                body = result.format_table("csv").splitlines()[1:]
                lines += [f"{column},{line}" for line in body]
            return "\n".join(lines)
        if fmt not in ("text", "markdown"):
            raise ValueError(
                f"fmt={fmt!r} is not a report format; use text, markdown, csv or json."
            )
        head = "Vulnerability map: columns ranked by leak"
        rows = [
            f"{i + 1}. {r['column']} ({r['kind']}): leak {_num(r['leak'], True)} "
            f"by {r['attack']} [{r['threat_model']}]; advantage members "
            f"{_num(r['members_advantage'], True)}, non-members "
            f"{_num(r['non_members_advantage'], True)}"
            for i, r in enumerate(self.ranking)
        ]
        if fmt == "markdown":
            parts = [f"## {head}", "", *(f"- {line}" for line in rows)]
            for column, result in self.results.items():
                parts += ["", f"## {column}", "", result.format_table("markdown")]
        else:
            parts = [head, *(f"  {line}" for line in rows)]
            for column, result in self.results.items():
                parts += ["", f"=== {column} ===", result.format_table("text")]
        if self.notes:
            parts += ["", "Notes:", *(f"  - {note}" for note in self.notes)]
        return "\n".join(parts)

    def to_html(self, path=None):
        """A self-contained HTML report: the ranking figure, then every column's."""
        from ._html import columns_html

        text = columns_html(self)
        if path is not None:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
        return text

    def _repr_html_(self):
        from ._html import ranking_table

        return ranking_table(self)

    def __str__(self):
        return self.format_table("text")


def _first_columns(vmap):
    for result in vmap.results.values():
        return result.columns
    return ()


def _ranking_row(column, result):
    leak = result.leak()
    best = None
    for population in result.summary.values():
        for model, entry in population.items():
            if np.isfinite(entry["low"]) and (best is None or entry["low"] > best[1]):
                best = (model, entry["low"], entry["attack"])

    def top(population):
        values = [e["advantage"] for e in result.summary.get(population, {}).values()]
        return max(values) if values else math.nan

    return {
        "column": column,
        "kind": result.kind,
        "leak": leak,
        "threat_model": best[0] if best else None,
        "attack": best[2] if best else None,
        "members_advantage": top("members"),
        "non_members_advantage": top("non-members"),
    }


def chosen_columns(X, sensitive, label_name=None):
    """The column names (or positions) ``sensitive`` selects: "all" or a list."""
    if is_pandas_dataframe(X):
        every = [c for c in X.columns if c != label_name]
    else:
        every = list(range(np.asarray(X).shape[1]))
    if isinstance(sensitive, str) and sensitive == "all":
        return every
    chosen = list(sensitive)
    unknown = [c for c in chosen if c not in every]
    if unknown:
        raise ValueError(
            f"sensitive={sensitive!r} names columns that X does not have: {unknown}. "
            f"Columns: {every}."
        )
    return chosen


def audit_columns(
    X,
    y,
    *,
    sensitive="all",
    target=None,
    members=None,
    aux=None,
    settings=None,
    **audit_parameters,
):
    """Audit each column in turn as the sensitive one and rank them by leak.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_records, n_features)
        The target's input records.
    y : array-like of shape (n_records,)
        The task label.
    sensitive : "all" or list of str or int, default="all"
        The columns to audit.
    target, members, aux
        As for :func:`~skinvert.evaluation.audit`. Without ``target``, one is
        trained once, on one set of members, and every column is audited
        against it.
    settings : AuditSettings, default=None
        The settings (the command line passes them); else built from
        ``audit_parameters``, the keyword arguments of
        :func:`~skinvert.evaluation.audit`. Attacks listed in ``attacks`` run on
        the columns of their kind (categorical or continuous); a column for
        which none is listed runs every attack of its kind.

    Returns
    -------
    vulnerability_map : VulnerabilityMap

    Examples
    --------
    >>> from skinvert.datasets import make_sensitive_classification
    >>> from skinvert.evaluation import audit_columns
    >>> X, y = make_sensitive_classification(600, leak=3, random_state=0)
    >>> vmap = audit_columns(X, y, sensitive=[0, 1], max_victims=60,
    ...                      n_bootstrap=50, attacks=["CSMIA"], membership=False)
    >>> [(row["column"], row["kind"]) for row in vmap.ranking]  # most exposed first
    [(1, 'continuous'), (0, 'categorical')]
    """
    if settings is None:
        seed = seed_of(audit_parameters.pop("random_state", 0))
        settings = AuditSettings(sensitive=None, seed=seed, **audit_parameters)
    columns = chosen_columns(X, sensitive, getattr(y, "name", None))
    if not columns:
        raise ValueError("sensitive selects no column to audit.")
    settings = replace(settings, membership=False)
    if target is None:
        first = columns[0]
        X_checked, y_checked, s, mask, _, _ = check_data(X, y, first, members)
        n = len(s)
        if mask is None:
            rows, _, _ = split(
                None,
                round(settings.member_fraction * n),
                round(settings.aux_fraction * n),
                settings.seed,
                n=n,
            )
            mask = np.zeros(n, dtype=bool)
            mask[rows] = True
        target = make_target(
            settings.model,
            X_checked,
            random_state=settings.seed,
            n_jobs=settings.n_jobs,
        )
        target.fit(take(X_checked, np.flatnonzero(mask)), y_checked[mask])
        X, y, members = X_checked, _named(y, y_checked), mask
    shipped = ship(target)  # sent to a Dask cluster once, not per column
    results = Parallel(n_jobs=settings.n_jobs, prefer="threads")(
        delayed(_one_column)(X, y, column, shipped, members, aux, settings)
        for column in columns
    )
    notes = []
    done = {}
    for column, outcome in zip(columns, results):
        if isinstance(outcome, AuditResult):
            done[column] = outcome
        else:
            notes.append(f"column {column!r} not audited: {outcome}")
    ranking = sorted(
        (_ranking_row(c, r) for c, r in done.items()),
        key=lambda row: -row["leak"] if np.isfinite(row["leak"]) else math.inf,
    )
    return VulnerabilityMap(
        ranking=ranking, results=done, notes=notes, inputs=dict(settings.inputs)
    )


def _named(original, values):
    name = getattr(original, "name", None)
    if name is None:
        return values
    return import_optional("pandas").Series(values, name=name)


def _of_kind(attacks, kind):
    """The attacks of ``attacks`` made for this kind of attribute (None: all)."""
    if attacks is None:
        return None
    known = _known_attacks(kind)
    base = _BASES[kind]

    def fits(attack):
        if isinstance(attack, str):
            return attack in known
        cls = attack if isinstance(attack, type) else type(attack)
        return issubclass(cls, base)

    return [a for a in attacks if fits(a)] or None


def _one_column(X, y, column, target, members, aux, settings):
    target = unship(target)
    try:
        position = list(X.columns).index(column) if is_pandas_dataframe(X) else column
        kind = kind_of(column_values(X, position), settings)
        chosen = replace(
            settings,
            sensitive=column,
            kind=kind,
            attacks=_of_kind(settings.attacks, kind),
        )
        return run_audit(X, y, target=target, members=members, aux=aux, settings=chosen)
    except (ValueError, TypeError) as exc:
        return f"{type(exc).__name__}: {exc}"
