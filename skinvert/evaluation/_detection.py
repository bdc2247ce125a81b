"""The measured effect of query monitoring: detection rates and false alarms.

:func:`monitor_detection` runs attacks through a
:class:`~skinvert.defenses.MonitoredTarget` and counts how often the
:class:`~skinvert.defenses.QueryMonitor` flags their queries, and how often it
flags benign traffic.
"""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.frozen import FrozenEstimator

from ..defenses._monitor import MonitoredTarget
from ..utils._sklearn import HasMethods, Interval, validate_params
from ._data import attacker_view, check_data, known_label_rows, take
from ._registry import (
    _attack_classes,
    _build,
    _is_white_box,
    _name,
    _why_not,
    first_line,
)
from ._scorer import _cut
from ._settings import seed_of
from ._tables import _as_table

_DETECTION_COLUMNS = [
    "attack",
    "queries_per_victim",
    "queries",
    "batches",
    "flagged",
    "detection_rate",
    "column_accuracy",
    "note",
]


def _querying_attacks(attacks):
    """The attack classes (or instances) to run: default, those that query."""
    from .. import attacks as module

    if attacks is None:
        return _attack_classes(None)
    known = set(getattr(module, "__all__", []))
    unknown = [a for a in attacks if isinstance(a, str) and a not in known]
    if unknown:
        raise ValueError(
            f"attacks names {unknown}, which are not attacks of skinvert.attacks. "
            f"Known: {sorted(known)}."
        )
    return [getattr(module, a) if isinstance(a, str) else a for a in attacks]


def _watch(monitored, position, method, rows):
    """Call ``method(rows)`` on a fresh stream; the detection row's counts."""
    monitored.reset()
    method(rows)
    alerts = monitored.alerts_
    batches = monitored.n_batches_
    hits = [alert.column == position for alert in alerts]
    return {
        "queries": monitored.n_rows_,
        "batches": batches,
        "flagged": len(alerts),
        "detection_rate": len(alerts) / batches if batches else math.nan,
        "column_accuracy": float(np.mean(hits)) if hits else math.nan,
        "note": "",
    }


@validate_params(
    {
        "target": [HasMethods(["predict"])],
        "X": ["array-like"],
        "y": ["array-like"],
        "sensitive": [str, Integral],
        "monitor": [HasMethods(["score_batches"])],
        "benign": ["array-like"],
        "attacks": [list, tuple, None],
        "label_known": ["boolean"],
        "aux_fraction": [Interval(Real, 0, 1, closed="neither")],
        "max_victims": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def monitor_detection(
    target,
    X,
    y,
    *,
    sensitive,
    monitor,
    benign,
    attacks=None,
    label_known=True,
    aux_fraction=0.5,
    max_victims=300,
    random_state=0,
    n_jobs=None,
):
    """How often a query monitor flags each attack, and how often benign traffic.

    ``X`` is split into the attacker's auxiliary records (``aux_fraction``) and a
    pool of victims, of which up to ``max_victims`` are drawn. Each attack is
    aimed at ``MonitoredTarget(FrozenEstimator(target), monitor)`` and fitted on
    the auxiliary records; then the stream is reset and the attack infers the
    victims' sensitive values: the batches of that inference are what is
    counted. The victims' records are passed whole (the attacks overwrite the
    sensitive column with each candidate; one that queries the victim's true
    record needs it). Finally ``benign`` is sent through the same wrapper, in
    one call, as the benign traffic the false-alarm rate is measured on; it must
    not be the traffic the monitor was fitted on.

    Parameters
    ----------
    target : classifier
        The fitted target (never refitted).
    X : array-like or DataFrame of shape (n_records, n_features)
        Records the attacker knows (auxiliary data) or targets (victims), in the
        target's layout, sensitive column included.
    y : array-like of shape (n_records,)
        Their task labels.
    sensitive : str or int
        The sensitive column.
    monitor : QueryMonitor
        A fitted monitor (``QueryMonitor().fit(benign_training_traffic)``).
    benign : array-like or DataFrame of shape (n_queries, n_features)
        Held-out benign query rows, in arrival order.
    attacks : list of str, attack classes or estimators, default=None
        Default: every attack of :mod:`skinvert.attacks` on a categorical
        attribute. Attacks that never query the target (the imputation baseline,
        white-box attacks, which read the model itself) get a row with a note.
        For a continuous attribute, list the regressors.
    label_known : bool, default=True
        Whether the attacker knows the victims' task label.
    aux_fraction : float, default=0.5
        Fraction of ``X`` given to the attacker as auxiliary data.
    max_victims : int, default=300
        Victims drawn from the rest.
    random_state : int, RandomState instance or None, default=0
        Seeds the split, the victims and the attacks.
    n_jobs : int, default=None
        Parallel jobs of the attacks' queries (threads share the monitored
        stream; process-based backends would hide queries from it).

    Returns
    -------
    table : DataFrame or list of dict
        One row per attack, then one for the benign traffic: ``attack``,
        ``queries_per_victim``, ``queries`` (rows sent during the inference),
        ``batches`` (complete batches scored), ``flagged``, ``detection_rate``
        (flagged over batches; for benign traffic, the false-alarm rate),
        ``column_accuracy`` (share of the flagged batches whose suspected column
        is the sensitive one) and ``note`` (why an attack did not run).

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skinvert.datasets import make_sensitive_classification
    >>> from skinvert.defenses import QueryMonitor, monitor_detection
    >>> X, y = make_sensitive_classification(1000, random_state=0)
    >>> target = RandomForestClassifier(20, random_state=0).fit(X[:400], y[:400])
    >>> monitor = QueryMonitor(batch_size=50).fit(X[:400])
    >>> table = monitor_detection(target, X[400:800], y[400:800], sensitive=0,
    ...                           monitor=monitor, benign=X[800:],
    ...                           attacks=["FredriksonInversion"], max_victims=100)
    >>> table[["attack", "batches", "detection_rate", "column_accuracy"]]
                    attack  batches  detection_rate  column_accuracy
    0  FredriksonInversion        4             1.0              1.0
    1       benign traffic        4             0.0              NaN
    """
    if not hasattr(monitor, "threshold_"):
        raise ValueError(
            "monitor is not fitted: fit it on benign query traffic first, e.g. "
            "QueryMonitor().fit(benign_training_rows), and pass other benign rows "
            "as benign= to measure its false alarms."
        )
    if len(benign) == 0:
        raise ValueError(
            "benign holds 0 rows; pass benign query rows (held-out records queried "
            "as a normal client would) to measure the monitor's false alarms."
        )
    seed = seed_of(random_state)
    rng = np.random.RandomState(seed)
    label_name = getattr(y, "name", None)
    X, y, s, _, position, _ = check_data(X, y, sensitive, None)
    if label_known:  # records whose label the target never saw: left out
        rows = known_label_rows(target, y, np.arange(len(y)), "attacked", [])
        X, y, s = take(X, rows), y[rows], s[rows]
    aux, pool = _cut(s, aux_fraction, seed)
    victims = np.sort(rng.choice(pool, min(max_victims, len(pool)), replace=False))
    view, label = attacker_view(X, y, label_name) if label_known else (X, None)
    monitored = MonitoredTarget(FrozenEstimator(target), monitor)
    config = {"sensitive": sensitive, "label": label, "seed": seed, "n_jobs": n_jobs}
    rows = []
    for item in _querying_attacks(attacks):
        row = dict.fromkeys(_DETECTION_COLUMNS[1:-1], math.nan)
        row.update(attack=_name(item), note="")
        try:
            attack = _build(item, monitored, **config)
            method = getattr(attack, "_target_method", None)
            reason = _why_not(attack, target, label is not None)
            if _is_white_box(type(attack)):
                reason = "reads the model's structure; no query reaches the monitor."
            elif not isinstance(method, str):
                reason = "never queries the target."
            if reason is None:
                attack.fit(take(view, aux), s[aux])
                row.update(
                    _watch(monitored, position, attack.predict, take(view, victims))
                )
                row["queries_per_victim"] = getattr(
                    attack, "queries_per_victim_", math.nan
                )
        except Exception as exc:  # reported in the row; the others still run
            reason = first_line(exc)
        if reason is not None:
            row["note"] = reason
        rows.append(row)
    row = {"attack": "benign traffic", "queries_per_victim": math.nan}
    row.update(_watch(monitored, position, monitored.predict, benign))
    rows.append(row)
    return _as_table(rows, _DETECTION_COLUMNS)
