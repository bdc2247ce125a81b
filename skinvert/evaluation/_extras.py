"""What the audit adds to its tables: per-record risk, ROC curves, groups, membership.

Each function reads one population's answers (or the audited records) and returns
JSON-ready rows for the :class:`~skinvert.evaluation.AuditResult`.
"""

import warnings
from dataclasses import replace

import numpy as np
from sklearn.metrics import auc, roc_curve

from ..utils._validation import resolve_column
from ._data import column_values, take
from ._settings import kind_of


def per_record_rows(population, best, answers, references, kept):
    """One row per victim and threat model: the best attack's hold on the truth.

    ``record`` is the victim's position in the records given to the audit
    (``kept`` maps the records left after dropping missing values back to them).
    """
    metric = "balanced_accuracy" if population.kind == "categorical" else "mae"
    reference = references[metric]
    out = []
    for model, row in best.items():
        attack_score, reference_score, margin = population.record_risk(
            answers[row["attack"]], reference
        )
        for i, record in enumerate(kept[population.positions].tolist()):
            out.append(
                {
                    "record": int(record),
                    "population": population.name,
                    "threat_model": model,
                    "attack": row["attack"],
                    "attack_score": float(attack_score[i]),
                    "reference_score": float(reference_score[i]),
                    "margin": float(margin[i]),
                }
            )
    return out


def roc_curves(population, best, answers, positive, s_aux):
    """ROC curves (``positive``, or the rarest value, against the rest)."""
    if population.kind != "categorical":
        return []
    if positive is None:
        values, counts = np.unique(s_aux.astype(object), return_counts=True)
        positive = values[np.argmin(counts)]
    is_positive = population.s == positive
    if is_positive.all() or not is_positive.any():
        return []
    curves = []
    for model, row in best.items():
        attack = answers[row["attack"]]
        classes = list(np.asarray(attack.attack.classes_, dtype=object).tolist())
        if positive not in classes:
            continue
        fpr, tpr, _ = roc_curve(is_positive, attack.proba[:, classes.index(positive)])
        keep = np.unique(np.linspace(0, len(fpr) - 1, min(len(fpr), 200)).astype(int))
        curves.append(
            {
                "population": population.name,
                "threat_model": model,
                "attack": row["attack"],
                "positive": positive.item() if hasattr(positive, "item") else positive,
                "fpr": fpr[keep].tolist(),
                "tpr": tpr[keep].tolist(),
                "auc": float(auc(fpr, tpr)),
            }
        )
    return curves


def group_values(X, y, label_name, settings, victims):
    """Each victim's group in the column ``settings.by`` (or the label's name).

    A numeric column the audit would call continuous is cut into quintiles.
    """
    by = settings.by
    if label_name is not None and by == label_name:
        return np.asarray(y)[victims].astype(object)
    position = resolve_column(by, X, param="by")
    values = column_values(X, position)
    auto = replace(settings, kind="auto")
    if kind_of(values, auto) == "continuous":  # numbers with many values: quintiles
        numbers = values.astype(float)
        edges = np.unique(np.nanquantile(numbers, np.linspace(0, 1, 6)))
        bins = np.clip(
            np.searchsorted(edges, numbers, side="right") - 1, 0, len(edges) - 2
        )
        names = np.array(
            [f"[{edges[i]:.4g}, {edges[i + 1]:.4g}]" for i in range(len(edges) - 1)],
            dtype=object,
        )
        return names[bins[victims]]
    return values[victims].astype(object)


def membership_rows(target, X, y, members, non_members, aux, n_victims, settings):
    """Membership leakage rows on the same records, or a note saying why not."""
    try:
        from ..membership import membership_leakage
    except ImportError:
        return [], None
    if not hasattr(target, "predict_proba"):
        return [], "membership inference skipped: the target gives no confidences."
    rng = np.random.RandomState(settings.seed + 1)
    picked = {
        name: np.sort(rng.choice(rows, min(n_victims, len(rows)), replace=False))
        for name, rows in [("members", members), ("non-members", non_members)]
    }
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = membership_leakage(
                target,
                take(X, picked["members"]),
                y[picked["members"]],
                take(X, picked["non-members"]),
                y[picked["non-members"]],
                take(X, aux),
                y[aux],
                random_state=settings.seed,
                n_jobs=settings.n_jobs,
            )
    except Exception as exc:  # reported; the attribute audit stands
        return [], f"membership inference failed: {type(exc).__name__}: {exc}"
    n_out = len(picked["non-members"])
    note = None
    if n_out < 1000:
        note = (
            f"membership: TPR at 0.1 % FPR is measured on {n_out} non-members; "
            f"below 1000 the lowest false-positive rate they can show is 1/{n_out}, "
            "so it reads as the TPR at that rate."
        )
    return _as_rows(found), note


def _as_rows(found):
    """One JSON-ready row per membership attack (per-record scores left out)."""
    entries = found.values() if isinstance(found, dict) else found
    rows = []
    for entry in entries:
        row = entry if isinstance(entry, dict) else vars(entry)
        rows.append(
            {k: _plain(v) for k, v in row.items() if not isinstance(v, np.ndarray)}
        )
    return rows


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    return value
