"""The audit: train a target, run every applicable attack, compare with the baseline.

:func:`audit` is what ``skinvert audit`` runs. It splits the records into members
(the target's training set), auxiliary data (the attacker's, disjoint from the
members) and non-members (held-out victims), trains the target, fits every attack
on the auxiliary data and evaluates it on members and non-members against the
imputation baseline, which never queries the target.
"""

from ._core import DEFAULT_MAX_VICTIMS, audit
from ._report import COLUMNS, POPULATIONS, AuditResult
from ._targets import MODELS, make_target

__all__ = [
    "COLUMNS",
    "DEFAULT_MAX_VICTIMS",
    "MODELS",
    "POPULATIONS",
    "AuditResult",
    "audit",
    "make_target",
]
