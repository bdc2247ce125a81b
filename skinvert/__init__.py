"""skinvert: model inversion attacks and countermeasures for tabular data.

Attacks are scikit-learn estimators that take a fitted classifier (the target) and
infer what it leaks about the records it was trained on: a sensitive attribute
(:mod:`skinvert.attacks`), whole records (:mod:`skinvert.reconstruction`) or
membership in the training set (:mod:`skinvert.membership`). Countermeasures are
in :mod:`skinvert.defenses`; :func:`audit` measures every attack against the
strongest model-free reference, for members and non-members separately.
"""

from . import (
    attacks,
    datasets,
    defenses,
    evaluation,
    membership,
    metrics,
    reconstruction,
)
from ._query import query_target
from .attacks import *  # noqa: F403
from .attacks import __all__ as _attack_names
from .base import BaseContinuousInversion, BaseInversion, SingleCandidateWarning
from .evaluation import AuditResult, audit, audit_columns
from .reconstruction import InversionModel, MIFace, Surrogate

__version__ = "0.2.0"

__all__ = [
    *_attack_names,
    "AuditResult",
    "BaseContinuousInversion",
    "BaseInversion",
    "InversionModel",
    "MIFace",
    "SingleCandidateWarning",
    "Surrogate",
    "__version__",
    "attacks",
    "audit",
    "audit_columns",
    "datasets",
    "defenses",
    "evaluation",
    "membership",
    "metrics",
    "query_target",
    "reconstruction",
]
