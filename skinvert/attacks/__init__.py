"""Attribute inference (model inversion) attacks, one estimator per attack."""

from ._confidence import CSMIA, FredriksonInversion
from ._continuous import (
    FredriksonRegressor,
    ImputationRegressor,
    LearnedInversionRegressor,
)
from ._imputation import ImputationBaseline

__all__ = [
    "CSMIA",
    "FredriksonInversion",
    "FredriksonRegressor",
    "ImputationBaseline",
    "ImputationRegressor",
    "LearnedInversionRegressor",
]
