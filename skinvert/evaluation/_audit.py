"""The audit: train a target, run every applicable attack, compare with the baseline.

:func:`audit` is what ``skinvert audit`` runs. It splits the records into members
(the target's training set), auxiliary data (the attacker's, disjoint from the
members) and non-members (held-out victims), trains the target, fits every attack
on the auxiliary data and evaluates it on members and non-members against the
imputation baseline, which never queries the target.
"""

import time
import warnings
from numbers import Integral, Real

import numpy as np
from joblib import effective_n_jobs
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from ..base import BaseInversion
from ..metrics import (
    advantage,
    attack_accuracy,
    attack_balanced_accuracy,
    attack_roc_auc,
    bootstrap_ci,
    ppv_at_k,
)
from ..utils._sklearn import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)
from ._data import attacker_view, check_data, hide, split, take
from ._registry import first_line, fit_attacks
from ._report import AuditResult
from ._targets import MODELS, describe, make_target

DEFAULT_MAX_VICTIMS = 1000


# ------------------------------------------------------------------ the evaluation
def _positive_value(classes, prior):
    """The value PPV@k looks for: 1/True for 0/1 attributes, else the rarer one."""
    if len(classes) != 2:
        return None
    if set(np.asarray(classes).tolist()) <= {0, 1}:
        return classes[1]
    return classes[int(np.argmin(prior))]


def _metric(function, *args, **kwargs):
    """The metric, or NaN where it is undefined on these victims."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(function(*args, **kwargs))
    except ValueError:
        return float("nan")


def _predict(attack, view):
    proba = attack.predict_proba(view)
    if type(attack).predict is BaseInversion.predict:
        return attack.classes_[attack._best(proba)], proba
    return np.asarray(attack.predict(view)), proba


def _row(name, attack, s, pred, proba, base_pred, positive, ppv_k, seconds):
    row = {
        "attack": name,
        "accuracy": _metric(attack_accuracy, s, pred),
        "balanced_accuracy": _metric(attack_balanced_accuracy, s, pred),
        "roc_auc": _metric(attack_roc_auc, s, proba, classes=attack.classes_),
        "advantage": _metric(advantage, s, pred, base_pred),
        "ppv_at_k": float("nan"),
        "queries": int(attack.queries_per_victim_) * len(s),
        "seconds": round(seconds, 3),
    }
    if positive is not None:
        row["ppv_at_k"] = _metric(
            ppv_at_k, s, proba, positive=positive, k=ppv_k, classes=attack.classes_
        )
    return row


def _evaluate(fitted, view, position, s_true, positive, ppv_k):
    """One table row per attack, each attack's predictions, and failure notes."""
    hidden = hide(view, position)
    rows, predictions, notes = [], {}, []
    for name, attack in fitted:
        victims = view if getattr(attack, "_reads_true_record", False) else hidden
        start = time.perf_counter()
        try:
            pred, proba = _predict(attack, victims)
        except Exception as exc:  # reported; the other attacks still run
            if not rows:
                raise
            notes.append(f"{name} failed on the victims: {first_line(exc)}")
            continue
        seconds = time.perf_counter() - start
        base_pred = predictions.setdefault("ImputationBaseline", pred)
        predictions[name] = pred
        rows.append(
            _row(name, attack, s_true, pred, proba, base_pred, positive, ppv_k, seconds)
        )
    return rows, predictions, notes


def _best_summary(rows, predictions, s_true, n_resamples, seed):
    """The attack of largest advantage and the bootstrap interval of its advantage."""
    candidates = [r for r in rows[1:] if not np.isnan(r["advantage"])]
    if not candidates:
        return {"attack": None, "advantage": np.nan, "low": np.nan, "high": np.nan}
    best = max(candidates, key=lambda r: r["advantage"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ci = bootstrap_ci(
            "accuracy",
            s_true,
            predictions[best["attack"]],
            y_baseline=predictions["ImputationBaseline"],
            n_resamples=n_resamples,
            random_state=seed,
        )
    return {
        "attack": best["attack"],
        "advantage": ci.estimate,
        "low": ci.low,
        "high": ci.high,
    }


# ---------------------------------------------------------------------- the audit
# The parameters of the audit that privacy_utility shares, and their checks.
SPLIT_CONSTRAINTS = {
    "X": ["array-like"],
    "y": ["array-like"],
    "sensitive": [str, Integral],
    "target": [HasMethods(["predict"]), None],
    "members": ["array-like", None],
    "model": [StrOptions(set(MODELS)), HasMethods(["fit", "predict"])],
    "attacks": [list, tuple, None],
    "label_known": ["boolean"],
    "member_fraction": [Interval(Real, 0, 1, closed="neither")],
    "aux_fraction": [Interval(Real, 0, 1, closed="neither")],
    "max_victims": [Interval(Integral, 1, None, closed="left")],
    "random_state": ["random_state"],
    "n_jobs": [Integral, None],
    "n_bootstrap": [Interval(Integral, 1, None, closed="left")],
}


def check_split(target, members, member_fraction, aux_fraction, n_jobs):
    """Raise what the constraints cannot say about these parameters together."""
    if member_fraction + aux_fraction >= 1:
        raise ValueError(
            f"member_fraction={member_fraction} and aux_fraction={aux_fraction} sum "
            "to 1 or more, which leaves no non-members; lower them (e.g. 0.5, 0.25)."
        )
    if n_jobs == 0:
        raise ValueError(
            "n_jobs=0 means no worker; pass None or 1 (one job), a positive count, "
            "or -1 (every core)."
        )
    if target is not None and members is None:
        raise ValueError(
            "target is a fitted model: pass members= (a boolean mask, or the "
            "positions, of the records of X it was trained on) so that the audit "
            "can tell its members from non-members."
        )


@validate_params(
    {
        **SPLIT_CONSTRAINTS,
        "ppv_k": [Interval(Real, 0, 1, closed="right")],
        "target_wrapper": [callable, None],
    },
    prefer_skip_nested_validation=True,
)
def audit(
    X,
    y,
    *,
    sensitive,
    target=None,
    members=None,
    model="random_forest",
    attacks=None,
    label_known=True,
    member_fraction=0.5,
    aux_fraction=0.25,
    max_victims=DEFAULT_MAX_VICTIMS,
    random_state=0,
    n_jobs=None,
    n_bootstrap=1000,
    ppv_k=0.1,
    target_wrapper=None,
):
    """Measure how much a model trained on ``X, y`` leaks a sensitive column.

    The records are split, stratified on the sensitive value, into members (the
    target's training set, ``member_fraction`` of them), auxiliary data (the
    attacker's fully known records, ``aux_fraction``) and non-members (the rest).
    The target is trained on the members and optionally wrapped
    (``target_wrapper``, e.g. a defense). Every attack is fitted on the auxiliary
    data in the attacker's view (the target's columns plus, when ``label_known``,
    the task label), then evaluated on up to ``max_victims`` members and as many
    non-members, whose sensitive values it never sees, against the imputation
    baseline (Jayaraman & Evans, CCS 2022), which infers the value from the known
    features alone and never queries the target. An advantage on members above
    the one on non-members is what the model memorised.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_records, n_features)
        The records, sensitive column included: the target's input.
    y : array-like of shape (n_records,)
        The task label the target learns.
    sensitive : str or int
        The sensitive column: a name for DataFrames, a position for arrays. It
        is treated as categorical: each victim costs one target query per value.
    target : classifier, default=None
        A fitted model to audit as it is (never refitted); ``members`` must then
        say which records of ``X`` trained it, and ``model`` is ignored. Default:
        the audit trains one.
    members : array-like of bool of shape (n_records,) or of int, default=None
        The records of ``X`` in the target's training set (a mask or positions).
        The auxiliary data and non-members are drawn from the other records, and
        ``member_fraction`` is ignored. Default: a random ``member_fraction``.
    model : {"random_forest", "hist_gradient_boosting", "logistic_regression", \
"decision_tree"} or estimator, default="random_forest"
        The target: a named model, or an unfitted classifier (cloned). String and
        categorical columns are one-hot encoded in a Pipeline (unless the given
        estimator is a Pipeline already).
    attacks : list of str or attack estimators, default=None
        Attacks to run, by class name in :mod:`skinvert.attacks` or as unfitted
        instances (the audit sets their ``target``, ``sensitive`` and ``label``).
        Default: every attack of :mod:`skinvert.attacks` on a categorical
        attribute that applies: those needing the known label only when
        ``label_known``, those querying ``predict_proba`` or ``predict`` only if
        the target has that method, white-box tree attacks only on tree targets.
        The imputation baseline always runs, first. An attack that fails is
        skipped with a note.
    label_known : bool, default=True
        Whether the attacker knows the victims' task label.
    member_fraction : float, default=0.5
        Fraction of the records the target is trained on.
    aux_fraction : float, default=0.25
        Fraction of the records given to the attacker; the rest are non-members.
        ``member_fraction + aux_fraction`` must be below 1.
    max_victims : int, default=1000
        Victims evaluated per population (members and non-members alike).
    random_state : int, RandomState instance or None, default=0
        Seeds the split, the target, the attacks and the bootstrap.
    n_jobs : int, default=None
        Parallel jobs of the random forest and of the attacks' queries.
    n_bootstrap : int, default=1000
        Bootstrap resamples of the best attack's advantage.
    ppv_k : float, default=0.1
        Fraction of the victims an attacker accuses, for PPV@k.
    target_wrapper : callable, default=None
        ``target_wrapper(fitted_target)`` returns the model the attacker queries
        (e.g. ``lambda t: RoundedConfidences(FrozenEstimator(t))``); the reported
        target accuracies are that model's.

    Returns
    -------
    result : AuditResult
        The tables per population (``result.rows``, or ``result.tables`` as
        DataFrames), the best attack per population with a bootstrap confidence
        interval of its advantage, the target's accuracies and notes;
        ``print(result)`` shows them.

    Examples
    --------
    >>> from skinvert import audit
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(600, leak=3, random_state=0)
    >>> result = audit(X, y, sensitive=0, max_victims=100, n_bootstrap=100)
    >>> sorted(result.rows)
    ['members', 'non-members']
    >>> result.rows["members"][0]["attack"]
    'ImputationBaseline'
    """
    check_split(target, members, member_fraction, aux_fraction, n_jobs)
    settings = {
        "sensitive": sensitive,
        "target": target,
        "members": members,
        "model": model,
        "attacks": attacks,
        "label_known": label_known,
        "fractions": (member_fraction, aux_fraction),
        "max_victims": max_victims,
        "n_jobs": n_jobs,
        "n_bootstrap": n_bootstrap,
        "ppv_k": ppv_k,
        "target_wrapper": target_wrapper,
    }
    # OpenMP models (gradient boosting) take every core by default, and spin-wait
    # badly when the machine is busy: n_jobs bounds their threads too.
    with threadpool_limits(limits=effective_n_jobs(n_jobs), user_api="openmp"):
        return _run(X, y, check_random_state(random_state), **settings)


def _run(
    X,
    y,
    rng,
    *,
    sensitive,
    target,
    members,
    model,
    attacks,
    label_known,
    fractions,
    max_victims,
    n_jobs,
    n_bootstrap,
    ppv_k,
    target_wrapper,
):
    member_fraction, aux_fraction = fractions
    label_name = getattr(y, "name", None)
    X, y, s, member_mask, position, notes = check_data(X, y, sensitive, members)
    n = len(s)
    seed = int(rng.randint(np.iinfo(np.int32).max))
    members, aux, non_members = split(
        s, round(member_fraction * n), round(aux_fraction * n), seed, member_mask
    )
    if target is None:
        target = make_target(model, X, random_state=seed, n_jobs=n_jobs)
        target.fit(take(X, members), y[members])
    else:
        try:
            check_is_fitted(target)
        except NotFittedError:
            raise NotFittedError(
                f"target={type(target).__name__} is not fitted. Pass the fitted "
                "model to audit, or target=None to have the audit train one "
                "(model=...) on its members."
            ) from None
    if target_wrapper is not None:
        target = target_wrapper(target)
    accuracy = {
        name: float(np.mean(target.predict(take(X, rows)) == y[rows]))
        for name, rows in [("train", members), ("test", non_members)]
    }

    view, label = attacker_view(X, y, label_name) if label_known else (X, None)
    config = {"sensitive": sensitive, "label": label, "seed": seed, "n_jobs": n_jobs}
    fitted, skipped = fit_attacks(attacks, target, take(view, aux), s[aux], config)
    notes += skipped
    baseline = fitted[0][1]
    positive = _positive_value(baseline.classes_, baseline.prior_)

    n_victims = min(max_victims, len(members), len(non_members))
    rows, summary, failures = {}, {}, {}
    for population, pool in [("members", members), ("non-members", non_members)]:
        victims = np.sort(rng.choice(pool, n_victims, replace=False))
        rows[population], predictions, failed = _evaluate(
            fitted, take(view, victims), position, s[victims], positive, ppv_k
        )
        for note in failed:
            failures.setdefault(note, []).append(population)
        summary[population] = _best_summary(
            rows[population], predictions, s[victims], n_bootstrap, seed
        )
    notes += [f"{note} ({', '.join(where)})" for note, where in failures.items()]
    return AuditResult(
        rows=rows,
        summary=summary,
        target_train_accuracy=accuracy["train"],
        target_test_accuracy=accuracy["test"],
        sensitive=sensitive,
        target_name=describe(target),
        label_known=bool(label_known),
        n_members=len(members),
        n_aux=len(aux),
        n_non_members=len(non_members),
        n_victims=n_victims,
        positive=positive.item() if hasattr(positive, "item") else positive,
        ppv_k=ppv_k,
        notes=notes,
    )
