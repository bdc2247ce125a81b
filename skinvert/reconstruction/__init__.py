"""Whole-record inversion: class representatives, inversion models, surrogates.

:class:`MIFace` reconstructs, for each class of a target, the input the target is
most confident about (Fredrikson, Jha & Ristenpart, CCS 2015); :class:`InversionModel`
learns the map from a target's released outputs back to records (Yang et al., CCS
2019); :class:`Surrogate` trains a white-box copy of a black-box target from its
answers (Tramèr et al., USENIX Security 2016), for the white-box attacks to read.
:func:`column_errors`, :func:`class_reference`, :func:`compare_to_reference` and
:func:`make_reconstruction_scorer` measure reconstructions against the truth and
against the model-free reference.
"""

from ._evaluation import (
    class_reference,
    column_errors,
    compare_to_reference,
    make_reconstruction_scorer,
)
from ._gradients import UnsupportedGradientError
from ._inversion_model import InversionModel
from ._miface import MIFace
from ._surrogate import Surrogate

__all__ = [
    "InversionModel",
    "MIFace",
    "Surrogate",
    "UnsupportedGradientError",
    "class_reference",
    "column_errors",
    "compare_to_reference",
    "make_reconstruction_scorer",
]
