"""Membership leakage of a fitted model, every attack measured the same way."""

from dataclasses import dataclass

import numpy as np

from ..metrics import bootstrap_ci
from ..utils._optional import import_optional, is_pandas_dataframe
from ._lira import RMIA, LiRA
from ._metrics import membership_advantage, membership_roc_auc, membership_tpr_at_fpr
from ._threshold import LossThresholdAttack

_LABEL = "__label__"


@dataclass(frozen=True)
class MembershipLeakage:
    """One membership attack's result on members and non-members.

    Attributes
    ----------
    attack : str
        The attack's name.
    auc : float
        ROC AUC of its scores (0.5 is chance).
    tpr_at_0_1pct_fpr, tpr_at_1pct_fpr : float
        True-positive rates at 0.1 % and 1 % false-positive rate.
    advantage : float
        Largest TPR - FPR.
    advantage_low, advantage_high : float
        95 % bootstrap interval of the advantage.
    n_queries : int
        Target queries the attack made (fit and scoring).
    scores : ndarray of shape (n_members + n_non_members,)
        Per-record scores, members first.
    """

    attack: str
    auc: float
    tpr_at_0_1pct_fpr: float
    tpr_at_1pct_fpr: float
    advantage: float
    advantage_low: float
    advantage_high: float
    n_queries: int
    scores: np.ndarray


def _view(X, y):
    """The attacker's view: records plus a last column holding their labels."""
    if is_pandas_dataframe(X):
        view = X.copy()
        view[_LABEL] = np.asarray(y)
        return view, _LABEL
    X = np.asarray(X)
    y = np.asarray(y)
    if X.dtype.kind in "biuf" and y.dtype.kind in "biuf":
        return np.column_stack([X, y]), X.shape[1]
    view = np.empty((X.shape[0], X.shape[1] + 1), dtype=object)
    view[:, :-1] = X
    view[:, -1] = y
    return view, X.shape[1]


def _concat(parts):
    if is_pandas_dataframe(parts[0]):
        pd = import_optional("pandas")
        return pd.concat(parts, ignore_index=True)
    return np.concatenate(parts)


def membership_leakage(
    target,
    X_members,
    y_members,
    X_non_members,
    y_non_members,
    X_aux,
    y_aux,
    *,
    attacks=("loss", "lira", "rmia"),
    n_shadows=8,
    n_resamples=200,
    random_state=None,
    n_jobs=None,
):
    """How well membership attacks tell the target's members from non-members.

    Each attack scores the same victims (members and non-members); the metrics
    are those of :mod:`skinvert.membership`. The attacker holds ``X_aux`` (records
    of the population, not members of the target) and the victims' labels:

    * ``"loss"``: :class:`LossThresholdAttack`, threshold at 1 % FPR on the
      auxiliary records (the metrics do not depend on it);
    * ``"lira"``: offline :class:`LiRA`, shadows trained on halves of the
      auxiliary records, victims scored by the kept shadows;
    * ``"rmia"``: offline :class:`RMIA`, the same set-up;
    * ``"lira_online"``: online :class:`LiRA` on the pool of auxiliary records
      and victims (the shadows see each victim in half the runs).

    Parameters
    ----------
    target : classifier
        The fitted model, exposing ``predict_proba`` and ``classes_``.
    X_members, X_non_members, X_aux : array-like or DataFrame
        Records in the target's layout.
    y_members, y_non_members, y_aux : array-like
        Their task labels.
    attacks : tuple of str, default=("loss", "lira", "rmia")
        Attacks to run, among the names above.
    n_shadows : int, default=8
        Shadow (reference) models of LiRA and RMIA.
    n_resamples : int, default=200
        Bootstrap resamples of the advantage's interval.
    random_state : int or None, default=None
        Seeds the shadows and the bootstrap.
    n_jobs : int, default=None
        Parallel jobs of the shadows' training and of the queries (joblib).

    Returns
    -------
    results : dict of str to MembershipLeakage
        One entry per attack, in the order of ``attacks``. The TPR at 0.1 % FPR
        is measured with at least 1000 non-members; with fewer, a warning says
        it is interpolated.

    Raises
    ------
    ValueError
        If an attack name is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skinvert.membership import membership_leakage
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2400, 4)); y = rng.integers(0, 2, 2400)
    >>> target = DecisionTreeClassifier(random_state=0).fit(X[:200], y[:200])
    >>> out = membership_leakage(target, X[:200], y[:200], X[200:1200], y[200:1200],
    ...                          X[1200:], y[1200:], attacks=("loss",), random_state=0)
    >>> out["loss"].auc > 0.7
    True
    """
    known = {"loss", "lira", "rmia", "lira_online"}
    unknown = [a for a in attacks if a not in known]
    if unknown:
        raise ValueError(
            f"attacks={list(attacks)!r} names unknown attacks {unknown}; choose among "
            f"{sorted(known)}."
        )
    members, label = _view(X_members, y_members)
    non_members, _ = _view(X_non_members, y_non_members)
    aux, _ = _view(X_aux, y_aux)
    victims = _concat([members, non_members])
    truth = np.r_[np.ones(members.shape[0], int), np.zeros(non_members.shape[0], int)]
    results = {}
    for name in attacks:
        if name == "loss":
            attack = LossThresholdAttack(target, label=label, fpr=0.01, n_jobs=n_jobs)
            pool = aux
        elif name == "rmia":
            attack = RMIA(
                target,
                label=label,
                n_shadows=n_shadows,
                random_state=random_state,
                n_jobs=n_jobs,
            )
            pool = aux
        else:
            online = name == "lira_online"
            attack = LiRA(
                target,
                label=label,
                n_shadows=n_shadows,
                online=online,
                variance="per_record" if online else "global",
                keep_shadows=not online,
                random_state=random_state,
                n_jobs=n_jobs,
            )
            pool = _concat([aux, victims]) if online else aux
        attack.fit(pool)
        scores = attack.decision_function(victims)
        ci = bootstrap_ci(
            membership_advantage,
            truth,
            scores,
            n_resamples=n_resamples,
            random_state=random_state,
        )
        results[name] = MembershipLeakage(
            attack=name,
            auc=membership_roc_auc(truth, scores),
            tpr_at_0_1pct_fpr=membership_tpr_at_fpr(truth, scores, fpr=0.001),
            tpr_at_1pct_fpr=membership_tpr_at_fpr(truth, scores, fpr=0.01),
            advantage=membership_advantage(truth, scores),
            advantage_low=float(ci.low),
            advantage_high=float(ci.high),
            n_queries=int(attack.n_fit_queries_ + victims.shape[0]),
            scores=scores,
        )
    return results
