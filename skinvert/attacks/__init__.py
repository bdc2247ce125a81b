"""Attribute inference (model inversion) attacks, one estimator per attack."""

from ._combined import CombinedCSMIA, CombinedFredrikson, CombinedLabelOnly
from ._combined_regressor import CombinedFredriksonRegressor
from ._confidence import CSMIA, FredriksonInversion, FredriksonRegressor
from ._imputation import ImputationBaseline, ImputationRegressor
from ._label_only import LOMIA, FredriksonLabelOnly
from ._learned import LearnedInversion, LearnedInversionRegressor
from ._linear import LinearWhiteBoxInversion, LinearWhiteBoxRegressor
from ._neurons import CombinedNeuronOutput, NeuronOutputInversion
from ._shadow import ShadowCalibratedInversion
from ._whitebox import WhiteBoxTreeInversion

__all__ = [
    "CSMIA",
    "LOMIA",
    "CombinedCSMIA",
    "CombinedFredrikson",
    "CombinedFredriksonRegressor",
    "CombinedLabelOnly",
    "CombinedNeuronOutput",
    "FredriksonInversion",
    "FredriksonLabelOnly",
    "FredriksonRegressor",
    "ImputationBaseline",
    "ImputationRegressor",
    "LearnedInversion",
    "LearnedInversionRegressor",
    "LinearWhiteBoxInversion",
    "LinearWhiteBoxRegressor",
    "NeuronOutputInversion",
    "ShadowCalibratedInversion",
    "WhiteBoxTreeInversion",
]
