"""Attribute inference (model inversion) attacks, one estimator per attack."""

from ._confidence import CSMIA, FredriksonInversion
from ._imputation import ImputationBaseline

__all__ = ["CSMIA", "FredriksonInversion", "ImputationBaseline"]
