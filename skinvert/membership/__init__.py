"""Membership inference and empirical auditing of differential privacy.

Membership attacks are binary classifiers of membership in the target's training
set: ``predict`` gives 1 (member) or 0, ``decision_function`` a score that grows
with the evidence of membership. They read records in the attacker's view: the
target's input columns plus, with ``label=``, the column of task labels.
"""

from ._attribute import MembershipAttributeInference
from ._base import BaseMembershipAttack
from ._canaries import audit_dp
from ._dp_audit import (
    DPAuditResult,
    clopper_pearson,
    epsilon_lower_bound,
    one_run_epsilon,
)
from ._leakage import MembershipLeakage, membership_leakage
from ._lira import RMIA, LiRA
from ._metrics import (
    MEMBERSHIP_SCORERS,
    membership_advantage,
    membership_roc_auc,
    membership_roc_curve,
    membership_tpr_at_fpr,
    plot_membership_roc,
)
from ._shadow import ShadowModelAttack
from ._threshold import LossThresholdAttack

__all__ = [
    "MEMBERSHIP_SCORERS",
    "RMIA",
    "BaseMembershipAttack",
    "DPAuditResult",
    "LiRA",
    "LossThresholdAttack",
    "MembershipAttributeInference",
    "MembershipLeakage",
    "ShadowModelAttack",
    "audit_dp",
    "clopper_pearson",
    "epsilon_lower_bound",
    "membership_advantage",
    "membership_leakage",
    "membership_roc_auc",
    "membership_roc_curve",
    "membership_tpr_at_fpr",
    "one_run_epsilon",
    "plot_membership_roc",
]
