"""Evaluation: the audit, privacy-utility tables and query-monitor detection rates.

:func:`audit` is what ``skinvert audit`` runs: members, auxiliary records and
non-members in, every applicable attack against the strongest model-free
reference out, per population and threat model. :func:`privacy_utility` audits
each countermeasure setting on the same records, :func:`make_privacy_scorer` turns
an attack's advantage into a scorer for ``GridSearchCV`` over defense parameters,
and :func:`monitor_detection` measures how often a query monitor flags each attack.

This package sits above the attacks and the defenses: it imports them, they never
import it.
"""

from ._audit import DEFAULT_MAX_VICTIMS, audit
from ._columns import VulnerabilityMap, audit_columns
from ._detection import monitor_detection
from ._intake import IntakeError, load_model
from ._privacy_utility import privacy_utility
from ._report import COLUMNS, POPULATIONS, SCHEMA_VERSION, AuditResult
from ._scorer import make_privacy_scorer
from ._settings import THREAT_MODELS, AuditSettings
from ._tables import format_rows
from ._targets import MODELS, make_target

__all__ = [
    "COLUMNS",
    "DEFAULT_MAX_VICTIMS",
    "MODELS",
    "POPULATIONS",
    "SCHEMA_VERSION",
    "THREAT_MODELS",
    "AuditResult",
    "AuditSettings",
    "IntakeError",
    "VulnerabilityMap",
    "audit",
    "audit_columns",
    "format_rows",
    "load_model",
    "make_privacy_scorer",
    "make_target",
    "monitor_detection",
    "privacy_utility",
]
