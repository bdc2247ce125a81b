"""The audit's settings: one typed, frozen object from the entry point to the work.

:func:`~skinvert.evaluation.audit` and the ``skinvert audit`` command both build an
:class:`AuditSettings` and hand it to the same code; every function below the entry
point reads the named fields it needs, so a reader (or a type checker) can follow
each setting from the command line to its use.
"""

from dataclasses import asdict, dataclass, field, replace
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from ..utils._sklearn import HasMethods, Interval, StrOptions
from ._targets import MODELS

_SEED_MAX = np.iinfo(np.int32).max


def seed_of(random_state):
    """The integer seed every part of an audit derives its randomness from.

    An integer is its own seed (so that an audit run with ``random_state=0`` and
    one run by :func:`privacy_utility` with the same value use the same records);
    None or a RandomState instance draws one.
    """
    if isinstance(random_state, (int, np.integer)) and not isinstance(
        random_state, bool
    ):
        return int(random_state) % _SEED_MAX
    return int(check_random_state(random_state).randint(_SEED_MAX))


# Threat models, from no access to the target up to its internals. An attack is
# compared only with attacks of its own threat model; the reference (no access)
# is the bar every one of them must clear.
THREAT_MODELS = (
    "no access",
    "labels",
    "confidences",
    "answer on the true record",
    "white-box",
)
THREAT_MODEL_DESCRIPTIONS = {
    "no access": (
        "the attacker never queries the model: the model-free reference (the "
        "majority value, or imputation from the known features, with or without "
        "the known label)"
    ),
    "labels": (
        "the attacker queries the model's predicted label on records she completes "
        "with each candidate value"
    ),
    "confidences": (
        "the attacker queries the model's confidences on records she completes "
        "with each candidate value"
    ),
    "answer on the true record": (
        "the attacker sees the model's answer on each victim's true record (e.g. "
        "what a prediction service returned to the victim)"
    ),
    "white-box": "the attacker reads the model's parameters (trees, weights)",
}

# The headline metric per kind of sensitive column, and why (stated in reports).
HEADLINE = {
    "categorical": "balanced_accuracy",
    "continuous": "mae_reduction",
}
HEADLINE_WHY = {
    "categorical": (
        "advantage in balanced accuracy over the reference: the mean recall over "
        "the sensitive values, so guessing the common value scores 1/k however "
        "imbalanced the column is, and an attack gains only by finding the rare "
        "values too"
    ),
    "continuous": (
        "relative reduction of the mean absolute error against the reference's: "
        "(MAE_reference - MAE_attack) / MAE_reference, unitless, 0 for no gain, 1 "
        "for exact inference"
    ),
}


@dataclass(frozen=True)
class AuditSettings:
    """Everything an audit needs besides the records and the target.

    Built by :func:`~skinvert.evaluation.audit` (whose docstring documents each
    field) and by the command line; fields are validated there.
    """

    sensitive: object
    model: object = "random_forest"
    attacks: object = None
    reference: object = None
    label_known: bool = True
    kind: str = "auto"
    by: object = None
    member_fraction: float = 0.5
    aux_fraction: float = 0.25
    max_victims: int = 1000
    seed: int = 0
    n_jobs: object = None
    n_bootstrap: int = 1000
    confidence: float = 0.95
    ppv_k: float = 0.1
    target_wrapper: object = None
    membership: bool = True
    max_categories: int = 20
    tolerance: float = 0.1
    verbose: int = 0
    inputs: dict = field(default_factory=dict)

    def with_column(self, sensitive):
        """The same settings for another sensitive column."""
        return replace(self, sensitive=sensitive)

    def describe(self):
        """The settings as JSON-ready values (callables and estimators by name)."""
        out = {}
        for key, value in asdict(self).items():
            if key == "inputs":
                continue
            if isinstance(value, (str, int, float, bool, type(None))):
                out[key] = value.item() if isinstance(value, np.generic) else value
            elif isinstance(value, (list, tuple)) and all(
                isinstance(v, (str, int, float)) for v in value
            ):
                out[key] = list(value)
            else:
                out[key] = _name_of(value)
        return out


def _name_of(value):
    if isinstance(value, (list, tuple)):
        return [_name_of(v) for v in value]
    if isinstance(value, type):
        return value.__name__
    name = getattr(value, "__name__", None)
    return name if name else type(value).__name__


# The parameters of the audit that privacy_utility shares, and their checks.
SPLIT_CONSTRAINTS = {
    "X": ["array-like"],
    "y": ["array-like"],
    "sensitive": [str, Integral],
    "target": [HasMethods(["predict"]), None],
    "members": ["array-like", None],
    "model": [StrOptions(set(MODELS)), HasMethods(["fit", "predict"])],
    "attacks": [list, tuple, None],
    "label_known": ["boolean"],
    "member_fraction": [Interval(Real, 0, 1, closed="neither")],
    "aux_fraction": [Interval(Real, 0, 1, closed="neither")],
    "max_victims": [Interval(Integral, 1, None, closed="left")],
    "random_state": ["random_state"],
    "n_jobs": [Integral, None],
    "n_bootstrap": [Interval(Integral, 1, None, closed="left")],
}


def check_split(target, members, member_fraction, aux_fraction, n_jobs):
    """Raise what the constraints cannot say about these parameters together."""
    if member_fraction + aux_fraction >= 1:
        raise ValueError(
            f"member_fraction={member_fraction} and aux_fraction={aux_fraction} sum "
            "to 1 or more, which leaves no non-members; lower them (e.g. 0.5, 0.25)."
        )
    if n_jobs == 0:
        raise ValueError(
            "n_jobs=0 means no worker; pass None or 1 (one job), a positive count, "
            "or -1 (every core)."
        )
    if target is not None and members is None:
        raise ValueError(
            "target is a fitted model: pass members= (a boolean mask, or the "
            "positions, of the records of X it was trained on) so that the audit "
            "can tell its members from non-members."
        )


def kind_of(s, settings):
    """``"categorical"`` or ``"continuous"`` for the sensitive values ``s``."""
    values = np.asarray(s)
    numbers = values.dtype.kind in "biuf"
    if not numbers:
        try:
            values = values.astype(float)
            numbers = True
        except (TypeError, ValueError):
            pass
    if settings.kind == "continuous" and not numbers:
        example = next(v for v in np.asarray(s).tolist() if not _is_number(v))
        raise ValueError(
            f"kind='continuous' needs numbers, but the sensitive column "
            f"{settings.sensitive!r} holds {example!r}: audit it as categorical "
            "(kind='auto' or 'categorical'), or convert it to numbers first."
        )
    if settings.kind != "auto":
        return settings.kind
    if not numbers:
        return "categorical"
    if values.dtype.kind == "b":
        return "categorical"
    return (
        "continuous"
        if len(np.unique(values)) > settings.max_categories
        else "categorical"
    )


def _is_number(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
