"""Metrics, scorers and confidence intervals for attribute inference attacks.

Every metric compares true sensitive values with what an attack inferred; higher
means a stronger attack except for the errors :func:`attack_mae` and
:func:`attack_rmse`. :func:`advantage` measures the margin over a baseline (positive
means the attack beats it, errors included) and :func:`bootstrap_ci` gives
confidence intervals of both. Scorers make each of them usable in
``GridSearchCV`` and ``cross_val_score``.
"""

from ._bootstrap import BootstrapCI, advantage, bootstrap_ci
from ._classification import (
    attack_accuracy,
    attack_balanced_accuracy,
    attack_f1,
    attack_precision,
    attack_recall,
)
from ._displays import AttackRocDisplay, PrivacyUtilityDisplay
from ._ranking import attack_roc_auc, ppv_at_k, tpr_at_fpr
from ._regression import attack_mae, attack_r2, attack_rmse, attack_within_tolerance
from ._scorers import (
    SCORER_NAMES,
    get_attack_scorer,
    make_advantage_scorer,
    make_attack_scorer,
)

__all__ = [
    "SCORER_NAMES",
    "AttackRocDisplay",
    "BootstrapCI",
    "PrivacyUtilityDisplay",
    "advantage",
    "attack_accuracy",
    "attack_balanced_accuracy",
    "attack_f1",
    "attack_mae",
    "attack_precision",
    "attack_r2",
    "attack_recall",
    "attack_rmse",
    "attack_roc_auc",
    "attack_within_tolerance",
    "bootstrap_ci",
    "get_attack_scorer",
    "make_advantage_scorer",
    "make_attack_scorer",
    "ppv_at_k",
    "tpr_at_fpr",
]
