"""Attribute inference (model inversion) attacks, one estimator per attack."""

from ._combined import CombinedCSMIA, CombinedFredrikson, CombinedLabelOnly
from ._confidence import CSMIA, FredriksonInversion
from ._continuous import (
    FredriksonRegressor,
    ImputationRegressor,
    LearnedInversionRegressor,
)
from ._imputation import ImputationBaseline
from ._label_only import LOMIA, FredriksonLabelOnly
from ._learned import LearnedInversion
from ._whitebox import WhiteBoxTreeInversion

__all__ = [
    "CSMIA",
    "LOMIA",
    "CombinedCSMIA",
    "CombinedFredrikson",
    "CombinedLabelOnly",
    "FredriksonInversion",
    "FredriksonLabelOnly",
    "FredriksonRegressor",
    "ImputationBaseline",
    "ImputationRegressor",
    "LearnedInversion",
    "LearnedInversionRegressor",
    "WhiteBoxTreeInversion",
]
