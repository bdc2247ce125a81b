"""skinvert: model inversion attacks and countermeasures for tabular data.

Attacks are scikit-learn estimators that take a fitted classifier (the target) and
infer a sensitive attribute of records from their other attributes and the target's
answers; every result is measured against an imputation baseline that never queries
the target.
"""

from .attacks import CSMIA, FredriksonInversion, ImputationBaseline
from .base import BaseInversion, query_target

__version__ = "0.1.0"

__all__ = [
    "CSMIA",
    "BaseInversion",
    "FredriksonInversion",
    "ImputationBaseline",
    "__version__",
    "query_target",
]
