"""Scoring one population of victims: metrics, intervals, per-record risk.

Every attack's headline advantage (see ``HEADLINE`` in :mod:`._settings`) gets a
percentile bootstrap interval from one shared matrix of resampled victims per
population, so that attacks are compared on the same resamples and the
memorisation gap (members minus non-members) gets its interval from the
difference of the two populations' replicates.
"""

import copy
import time
import warnings

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

from ..base import BaseInversion
from ..metrics import (
    attack_accuracy,
    attack_balanced_accuracy,
    attack_mae,
    attack_r2,
    attack_rmse,
    attack_roc_auc,
    ppv_at_k,
)
from ..metrics._bootstrap import _paired_evaluator
from ..utils._shipping import ship, unship
from ..utils._threads import bounded, thread_budget
from ._registry import first_line, threat_model_of

CATEGORICAL_COLUMNS = (
    "attack",
    "threat_model",
    "advantage",
    "advantage_low",
    "advantage_high",
    "balanced_accuracy",
    "accuracy",
    "accuracy_advantage",
    "roc_auc",
    "ppv_at_k",
    "queries",
    "fit_seconds",
    "predict_seconds",
)
CONTINUOUS_COLUMNS = (
    "attack",
    "threat_model",
    "advantage",
    "advantage_low",
    "advantage_high",
    "mae",
    "rmse",
    "r2",
    "within_tolerance",
    "queries",
    "fit_seconds",
    "predict_seconds",
)
COLUMNS = {"categorical": CATEGORICAL_COLUMNS, "continuous": CONTINUOUS_COLUMNS}


def _metric(function, *args, **kwargs):
    """The metric, or NaN where it is undefined on these victims."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(function(*args, **kwargs))
    except ValueError:
        return float("nan")


def _percentiles(replicates, confidence):
    replicates = replicates[np.isfinite(replicates)]
    if replicates.size == 0:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(replicates, [tail, 100 - tail])
    return float(low), float(high)


class Answers:
    """What one attack (or reference) said about the victims of a population."""

    def __init__(self, name, attack, pred, proba, seconds):
        self.name, self.attack = name, attack
        self.pred, self.proba, self.seconds = pred, proba, seconds

    def subset(self, rows):
        """The answers on some of the victims."""
        proba = None if self.proba is None else self.proba[rows]
        return Answers(self.name, self.attack, self.pred[rows], proba, 0.0)


def answer(name, attack, view, hidden):
    """The attack's answers on the victims (their true record only if it may)."""
    victims = view if getattr(attack, "_reads_true_record", False) else hidden
    start = time.perf_counter()
    if hasattr(attack, "classes_"):
        proba = np.asarray(attack.predict_proba(victims), dtype=float)
        if isinstance(attack, BaseInversion):
            pred = attack.classes_[attack._best(proba)]
        else:
            pred = np.asarray(attack.predict(victims))
    else:
        proba, pred = None, np.asarray(attack.predict(victims), dtype=float)
    return Answers(name, attack, pred, proba, time.perf_counter() - start)


def _true_column(answers, s):
    """Each victim's posterior for its true value (0 where it is not a class)."""
    classes = np.asarray(answers.attack.classes_, dtype=object)
    out = np.zeros(len(s))
    for j, value in enumerate(classes.tolist()):
        hit = s == value
        out[hit] = answers.proba[hit, j]
    return out


class Population:
    """The victims of one population, their truth, and the bootstrap resamples."""

    def __init__(
        self, name, positions, s, kind, *, n_bootstrap, seed, settings, positive
    ):
        self.name, self.positions, self.kind = name, positions, kind
        self.positive = positive
        self.s = s.astype(object) if kind == "categorical" else s.astype(float)
        self.settings = settings
        rng = np.random.RandomState(seed)
        n = len(s)
        self.resamples = rng.randint(0, n, size=(n_bootstrap, n))
        self.replicates = {}

    def subset(self, rows, seed):
        """The same population restricted to some victims, with its own resamples."""
        sub = copy.copy(self)
        sub.s, sub.positions, sub.replicates = self.s[rows], self.positions[rows], {}
        n_bootstrap = self.resamples.shape[0]
        rng = np.random.RandomState(seed)
        sub.resamples = rng.randint(0, len(rows), size=(n_bootstrap, len(rows)))
        return sub

    # -------------------------------------------------------------- advantage
    def _advantage(self, answers, reference):
        """The headline advantage on the full sample and its replicates."""
        everyone = np.arange(len(self.s))[None, :]
        if self.kind == "categorical":
            evaluate = _paired_evaluator(
                "balanced_accuracy",
                self.s,
                answers.pred.astype(object),
                reference.pred.astype(object),
                {},
            )
            return float(evaluate(everyone)[0]), evaluate(self.resamples)
        error = np.abs(answers.pred - self.s)
        base = np.abs(reference.pred - self.s)
        with np.errstate(divide="ignore", invalid="ignore"):
            full = 1 - error.mean() / base.mean()
            replicates = 1 - error[self.resamples].mean(1) / base[self.resamples].mean(
                1
            )
        return float(full), replicates

    def row(self, answers, references, fit_seconds):
        """The table row of one attack (or reference) on these victims."""
        settings = self.settings
        reference = references[
            "balanced_accuracy" if self.kind == "categorical" else "mae"
        ]
        advantage, replicates = self._advantage(answers, reference)
        self.replicates[answers.name] = replicates
        low, high = _percentiles(replicates, settings.confidence)
        attack = answers.attack
        row = {
            "attack": answers.name,
            "threat_model": threat_model_of(attack),
            "advantage": advantage,
            "advantage_low": low,
            "advantage_high": high,
            "queries": int(getattr(attack, "queries_per_victim_", 0)) * len(self.s),
            "fit_seconds": round(float(fit_seconds), 3),
            "predict_seconds": round(answers.seconds, 3),
        }
        s = self.s
        if self.kind == "continuous":
            row["mae"] = _metric(attack_mae, s, answers.pred)
            row["rmse"] = _metric(attack_rmse, s, answers.pred)
            row["r2"] = _metric(attack_r2, s, answers.pred)
            scale = np.abs(s)
            close = np.abs(answers.pred - s) <= settings.tolerance * np.where(
                scale > 0, scale, 1.0
            )
            row["within_tolerance"] = float(close.mean())
            return row
        pred = answers.pred.astype(object)
        row["accuracy"] = _metric(attack_accuracy, s, pred)
        row["balanced_accuracy"] = _metric(attack_balanced_accuracy, s, pred)
        base = references["accuracy"].pred.astype(object)
        row["accuracy_advantage"] = row["accuracy"] - _metric(attack_accuracy, s, base)
        classes = np.asarray(attack.classes_, dtype=object)
        row["roc_auc"] = _metric(attack_roc_auc, s, answers.proba, classes=classes)
        row["ppv_at_k"] = float("nan")
        positive = self.positive
        if positive is not None:
            row["ppv_at_k"] = _metric(
                ppv_at_k,
                s,
                answers.proba,
                positive=positive,
                k=settings.ppv_k,
                classes=classes,
            )
        return row

    # ------------------------------------------------------------ per record
    def record_risk(self, answers, reference):
        """Per victim: the attack's hold on the truth and its margin."""
        if self.kind == "categorical":
            attack_true = _true_column(answers, self.s)
            reference_true = _true_column(reference, self.s)
            return attack_true, reference_true, attack_true - reference_true
        error = np.abs(answers.pred - self.s)
        base = np.abs(reference.pred - self.s)
        return error, base, base - error


def evaluate(population, fitted, references, view, hidden):
    """Rows of every attack on one population, their answers, and failure notes.

    ``fitted`` is a list of ``(name, attack, fit_seconds)``; ``references`` maps a
    metric to its ``(name, fitted reference)``. Reference rows come first.
    """
    notes, answers = [], {}
    reference_answers = {}
    for metric, (name, reference) in references.items():
        if name not in answers:
            answers[name] = answer(name, reference, view, hidden)
        reference_answers[metric] = answers[name]
    rows = [
        population.row(answers[name], reference_answers, 0.0)
        for name in dict.fromkeys(name for name, _ in references.values())
    ]
    for row in rows:
        row["threat_model"] = "no access"
        row["attack"] = f"reference: {row['attack']}"
    # the attacks answer through joblib (threads, each bounding its OpenMP pool;
    # any backend the caller's joblib.parallel_config sets)
    n_jobs = getattr(population.settings, "n_jobs", None)
    workers = min(effective_n_jobs(n_jobs), max(1, len(fitted)))
    ask = delayed(bounded(_answer_or_error, thread_budget(n_jobs, workers)))
    found = Parallel(n_jobs=n_jobs, prefer="threads")(
        ask(name, ship(attack), view, hidden) for name, attack, _ in fitted
    )
    for (name, attack, fit_seconds), result in zip(fitted, found):
        if isinstance(result, str):  # reported; the other attacks still run
            notes.append(f"{name} failed on the victims: {result}")
            continue
        result.attack = attack  # not the copy a Dask worker sent back with it
        answers[name] = result
        rows.append(population.row(answers[name], reference_answers, fit_seconds))
    return rows, answers, reference_answers, notes


def _answer_or_error(name, attack, view, hidden):
    """The attack's :class:`Answers`, or the first line of the error it raised."""
    try:
        return answer(name, unship(attack), view, hidden)
    except Exception as exc:
        return first_line(exc)


def best_per_threat_model(rows):
    """Per threat model (besides no access), the row of largest advantage."""
    best = {}
    for row in rows:
        model = row["threat_model"]
        if model == "no access" or not np.isfinite(row["advantage"]):
            continue
        if model not in best or row["advantage"] > best[model]["advantage"]:
            best[model] = row
    return best


def memorisation_gaps(members, non_members, rows, confidence):
    """Each attack's member advantage minus its non-member advantage, with a CI."""
    by_name = {p: {r["attack"]: r for r in rows[p]} for p in rows}
    gaps = []
    for name, row in by_name.get("members", {}).items():
        other = by_name.get("non-members", {}).get(name)
        if other is None or row["threat_model"] == "no access":
            continue
        replicates = members.replicates[name] - non_members.replicates[name]
        low, high = _percentiles(replicates, confidence)
        gaps.append(
            {
                "attack": name,
                "threat_model": row["threat_model"],
                "gap": row["advantage"] - other["advantage"],
                "gap_low": low,
                "gap_high": high,
            }
        )
    return gaps
