"""skinvert: model inversion attacks and countermeasures for tabular data.

Attacks are scikit-learn estimators that take a fitted classifier (the target) and
infer a sensitive attribute of records from their other attributes and the target's
answers; every result is measured against an imputation baseline that never queries
the target.
"""

from . import attacks, datasets, defenses, metrics
from ._query import query_target
from .attacks import *  # noqa: F403
from .attacks import __all__ as _attack_names
from .base import BaseInversion
from .evaluation import AuditResult, audit

__version__ = "0.1.0"

__all__ = [
    *_attack_names,
    "AuditResult",
    "BaseInversion",
    "__version__",
    "attacks",
    "audit",
    "datasets",
    "defenses",
    "metrics",
    "query_target",
]
