"""Countermeasures: estimators that wrap a target and change what it reveals.

Output defenses (:class:`RoundedConfidences`, :class:`TopKConfidences`,
:class:`LabelOnly`, :class:`NoisyConfidences`) change the released confidences;
:class:`DPLogisticRegression` trains a differentially private model;
:class:`QueryCounter` and :class:`QueryBudget` meter and cap access;
:class:`QueryMonitor` and :class:`MonitoredTarget` flag near-twin enumerations
in any order, off-distribution queries and query rates, per client. What they
protect and what they cost is measured by :mod:`skinvert.evaluation`
(:func:`~skinvert.evaluation.privacy_utility`,
:func:`~skinvert.evaluation.make_privacy_scorer`,
:func:`~skinvert.evaluation.monitor_detection`), which imports the defenses; the
defenses import nothing above :mod:`skinvert.base` and :mod:`skinvert.utils`.
"""

import importlib

from ._access import QueryBudget, QueryBudgetExceeded, QueryCounter
from ._dp import DPLogisticRegression, PrivacyLeakWarning
from ._monitor import MonitoredTarget, QueryAlert, QueryMonitor, SuspiciousQueries
from ._output import LabelOnly, NoisyConfidences, RoundedConfidences, TopKConfidences

__all__ = [
    "DPLogisticRegression",
    "LabelOnly",
    "MonitoredTarget",
    "NoisyConfidences",
    "PrivacyLeakWarning",
    "QueryAlert",
    "QueryBudget",
    "QueryBudgetExceeded",
    "QueryCounter",
    "QueryMonitor",
    "RoundedConfidences",
    "SuspiciousQueries",
    "TopKConfidences",
]

# Kept importable from here, where they used to live; loaded on first use so that
# importing the defenses never imports the evaluation package above them.
_MOVED_TO_EVALUATION = ("make_privacy_scorer", "monitor_detection", "privacy_utility")


def __getattr__(name):
    if name in _MOVED_TO_EVALUATION:
        return getattr(importlib.import_module("skinvert.evaluation"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_MOVED_TO_EVALUATION])
