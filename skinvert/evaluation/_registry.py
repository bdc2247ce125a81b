"""The attacks an audit runs: found in skinvert.attacks at run time, then fitted.

Every :class:`~skinvert.base.BaseInversion` subclass exported by
:mod:`skinvert.attacks` or :mod:`skinvert.membership` is a candidate for a
categorical sensitive attribute, every
:class:`~skinvert.base.BaseContinuousInversion` subclass for a continuous one. What
an attack declares decides where it runs and with which attacks it is compared:

- ``_needs_label``: only when the attacker knows the victims' label;
- ``_target_method`` (``"predict_proba"``, ``"predict"`` or None): only if the
  target exposes that method; it also gives the threat model (labels or
  confidences on completed records);
- ``_reads_true_record``: its threat model grants the target's answer on each
  victim's true record, so it receives the victims' sensitive column (every
  other attack sees it blanked out);
- ``_threat_model``: an explicit threat model (one of ``THREAT_MODELS``);
- white-box attacks (``_threat_model = "white-box"``, or "white" in the module or
  class name) run where their ``_supports_target(target)`` says so, tree attacks
  on tree targets.

An attack that cannot be built or fitted is skipped with a note.
"""

import inspect
import time

from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import clone

from ..base import BaseContinuousInversion, BaseInversion
from ..utils._shipping import ship, unship
from ..utils._threads import bounded, thread_budget
from ._settings import THREAT_MODELS
from ._targets import is_tree_target

_BASES = {"categorical": BaseInversion, "continuous": BaseContinuousInversion}
_REFERENCE_ATTACKS = ("ImputationBaseline", "ImputationRegressor")


def _is_white_box(cls):
    if getattr(cls, "_threat_model", None) == "white-box":
        return True
    module = cls.__module__.lower()
    return "white" in module or "whitebox" in cls.__name__.lower()


def threat_model_of(attack):
    """The threat model an attack (class or instance) works under."""
    declared = getattr(attack, "_threat_model", None)
    if declared in THREAT_MODELS:
        return declared
    if getattr(attack, "_reads_true_record", False):
        return "answer on the true record"
    if _is_white_box(attack if inspect.isclass(attack) else type(attack)):
        return "white-box"
    method = getattr(attack, "_target_method", None)
    if method == "predict":
        return "labels"
    if method == "predict_proba":
        return "confidences"
    return "no access"


def _known_attacks(kind):
    """Attack classes of this kind exported by skinvert.attacks and .membership."""
    from .. import attacks, membership

    base = _BASES[kind]
    found = {}
    for module in (attacks, membership):
        for name in getattr(module, "__all__", dir(module)):
            obj = getattr(module, name, None)
            if (
                inspect.isclass(obj)
                and issubclass(obj, base)
                and name not in _REFERENCE_ATTACKS
            ):
                found[name] = obj
    return found


def _attack_classes(attacks, kind="categorical"):
    """The candidate attack classes (or instances) for this kind of attribute.

    The imputation attacks are left out: the model-free reference covers them.
    """
    known = _known_attacks(kind)
    if attacks is None:
        return list(known.values())
    chosen = []
    for item in [attacks] if isinstance(attacks, str) else attacks:
        if isinstance(item, str):
            if item in _REFERENCE_ATTACKS:
                continue
            if item not in known:
                other = "continuous" if kind == "categorical" else "categorical"
                hint = (
                    f" ({item} is an attack on a {other} attribute.)"
                    if item in _known_attacks(other)
                    else ""
                )
                raise ValueError(
                    f"attacks contains {item!r}, which is not an attack of "
                    f"skinvert.attacks on a {kind} attribute. Known: "
                    f"{sorted(known)}.{hint}"
                )
            item = known[item]
        cls = item if inspect.isclass(item) else type(item)
        if cls.__name__ not in _REFERENCE_ATTACKS:
            chosen.append(item)
    return chosen


def _why_not(attack, target, label_known):
    """Why an attack does not apply to this audit, or None if it does.

    Read on the instance: ``_target_method`` may depend on its parameters.
    """
    if getattr(attack, "_needs_label", False) and not label_known:
        return "needs the victims' known label (the attacker here does not know it)."
    method = getattr(attack, "_target_method", None)
    if isinstance(method, str) and not hasattr(target, method):
        return f"queries the target's {method}, which the target does not expose."
    supports = getattr(attack, "_supports_target", None)
    if callable(supports):
        if not supports(target):
            return "white-box attack on other model types than the target's."
    elif _is_white_box(type(attack)) and not is_tree_target(target):
        return "white-box attack on tree models; the target is not one."
    return None


def _build(item, target, *, sensitive, label, seed, n_jobs, decision=None):
    """An attack instance aimed at ``target`` with the audit's columns.

    An attack given by name or class whose decisions follow a ``decision`` rule
    gets the audit's headline metric as its rule (chosen on the attacker's own
    data); an instance keeps the rule it was given.
    """
    attack = clone(item) if not inspect.isclass(item) else item()
    params = attack.get_params(deep=False)
    settings = {"target": target, "sensitive": sensitive, "label": label}
    if decision is not None and "decision" in params and inspect.isclass(item):
        settings["decision"] = decision
    if "random_state" in params and params["random_state"] is None:
        settings["random_state"] = seed
    if "n_jobs" in params and params["n_jobs"] is None:
        settings["n_jobs"] = n_jobs
    return attack.set_params(**{k: v for k, v in settings.items() if k in params})


def _fit_one(item, target, aux_view, s_aux, config):
    """``(name, fitted attack or None, fit seconds, reason it did not run)``."""
    name = _name(item)
    target = unship(target)
    try:
        attack = _build(item, target, **config)
        reason = _why_not(attack, target, config["label"] is not None)
        if reason is not None:
            return name, None, 0.0, reason
        start = time.perf_counter()
        attack.fit(aux_view, s_aux)
        return name, attack, time.perf_counter() - start, None
    except Exception as exc:  # an attack that cannot run here is reported
        return name, None, 0.0, first_line(exc)


def fit_attacks(attacks, target, aux_view, s_aux, config, kind="categorical"):
    """The fitted attacks and notes on those that did not run.

    Returns ``(fitted, notes)``: ``fitted`` is a list of ``(name, attack,
    fit_seconds)``. The attacks are fitted through :class:`joblib.Parallel` with
    ``config["n_jobs"]`` jobs (threads; any joblib backend set with
    :func:`joblib.parallel_config`, a Dask cluster's included, is honoured).
    """
    candidates = _attack_classes(attacks, kind)
    # OpenMP's thread count is a per-thread setting: each worker bounds its own
    # (its share of n_jobs), or every fit would start a pool of all the cores
    workers = min(effective_n_jobs(config["n_jobs"]), max(1, len(candidates)))
    fit = delayed(bounded(_fit_one, thread_budget(config["n_jobs"], workers)))
    shipped = ship(target)  # sent to a Dask cluster once, not per attack
    jobs = Parallel(n_jobs=config["n_jobs"], prefer="threads")(
        fit(item, shipped, aux_view, s_aux, config) for item in candidates
    )
    fitted, notes = [], []
    for name, attack, seconds, reason in jobs:
        if reason is None:
            if getattr(attack, "target", target) is not target:
                # fitted on another process (a Dask worker): point it back at
                # the caller's target, not at its own unpickled copy of it
                attack.target = target
            fitted.append((name, attack, seconds))
        else:
            notes.append(f"{name} skipped: {reason}")
    return fitted, notes


_SET_BY_THE_AUDIT = {"target", "sensitive", "label", "random_state", "n_jobs"}


def _name(item):
    """The class name, with the parameters an instance changed from the defaults."""
    if inspect.isclass(item):
        return item.__name__
    try:
        defaults = type(item)().get_params(deep=False)
    except Exception:  # a class that needs arguments: its name alone
        return type(item).__name__
    changed = [
        f"{key}={value!r}"
        for key, value in item.get_params(deep=False).items()
        if key not in _SET_BY_THE_AUDIT
        and key in defaults
        and repr(value) != repr(defaults[key])
    ]
    return (
        f"{type(item).__name__}({', '.join(changed)})"
        if changed
        else (type(item).__name__)
    )


def first_line(exc):
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"
