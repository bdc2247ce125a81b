"""Countermeasures: estimators that wrap a target and change what it reveals.

Output defenses (:class:`RoundedConfidences`, :class:`TopKConfidences`,
:class:`LabelOnly`, :class:`NoisyConfidences`) change the released confidences;
:class:`DPLogisticRegression` trains a differentially private model;
:class:`QueryCounter` and :class:`QueryBudget` meter and cap access;
:class:`QueryMonitor` and :class:`MonitoredTarget` flag query traffic that
enumerates the values of one column. :func:`privacy_utility`,
:func:`make_privacy_scorer` and :func:`monitor_detection` measure what they
protect and what they cost.
"""

from ._access import QueryBudget, QueryBudgetExceeded, QueryCounter
from ._detection import monitor_detection
from ._dp import DPLogisticRegression, PrivacyLeakWarning
from ._evaluation import make_privacy_scorer, privacy_utility
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
    "make_privacy_scorer",
    "monitor_detection",
    "privacy_utility",
]
