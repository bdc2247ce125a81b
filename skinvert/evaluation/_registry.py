"""The attacks an audit runs: found in skinvert.attacks at run time, then fitted.

Every :class:`~skinvert.base.BaseInversion` subclass exported by
:mod:`skinvert.attacks` is a candidate (continuous-attribute regressors are not).
What an attack declares decides where it runs:

- ``_needs_label``: only when the attacker knows the victims' label;
- ``_target_method`` (``"predict_proba"``, ``"predict"`` or None): only if the
  target exposes that method;
- a module or class name saying "white"(-box): only on tree targets;
- ``_reads_true_record``: its threat model grants the target's answer on each
  victim's true record, so it receives the victims' sensitive column (every
  other attack sees it blanked out).

An attack that cannot be built or fitted is skipped with a note.
"""

import inspect

from sklearn.base import clone

from ..base import BaseInversion
from ._targets import is_tree_target


def _is_white_box(cls):
    module = cls.__module__.lower()
    return "white" in module or "whitebox" in cls.__name__.lower()


def _attack_classes(attacks):
    """The baseline class and the candidate attack classes (or instances)."""
    from .. import attacks as module

    baseline = module.ImputationBaseline
    if attacks is None:
        found = []
        for name in getattr(module, "__all__", dir(module)):
            obj = getattr(module, name, None)
            if inspect.isclass(obj) and issubclass(obj, BaseInversion):
                found.append(obj)
        return baseline, [c for c in found if c is not baseline]
    chosen = []
    for item in [attacks] if isinstance(attacks, str) else attacks:
        if isinstance(item, str):
            obj = getattr(module, item, None)
            if not (inspect.isclass(obj) and issubclass(obj, BaseInversion)):
                names = sorted(
                    n
                    for n in getattr(module, "__all__", [])
                    if inspect.isclass(getattr(module, n))
                    and issubclass(getattr(module, n), BaseInversion)
                )
                raise ValueError(
                    f"attacks contains {item!r}, which is not an attack of "
                    f"skinvert.attacks on a categorical attribute. Known: {names}."
                )
            item = obj
        kind = item if inspect.isclass(item) else type(item)
        if kind is not baseline:
            chosen.append(item)
    return baseline, chosen


def _why_not(attack, target, label_known):
    """Why an attack does not apply to this audit, or None if it does.

    Read on the instance: ``_target_method`` may depend on its parameters.
    """
    if getattr(attack, "_needs_label", False) and not label_known:
        return "needs the victims' known label (the attacker here does not know it)."
    method = getattr(attack, "_target_method", None)
    if isinstance(method, str) and not hasattr(target, method):
        return f"queries the target's {method}, which the target does not expose."
    if _is_white_box(type(attack)) and not is_tree_target(target):
        return "white-box attack on tree models; the target is not one."
    return None


def _build(item, target, *, sensitive, label, seed, n_jobs):
    """An attack instance aimed at ``target`` with the audit's columns."""
    attack = clone(item) if not inspect.isclass(item) else item()
    params = attack.get_params(deep=False)
    settings = {"target": target, "sensitive": sensitive, "label": label}
    if "random_state" in params and params["random_state"] is None:
        settings["random_state"] = seed
    if "n_jobs" in params and params["n_jobs"] is None:
        settings["n_jobs"] = n_jobs
    return attack.set_params(**{k: v for k, v in settings.items() if k in params})


def fit_attacks(attacks, target, aux_view, s_aux, config):
    """The fitted attacks, baseline first, and notes on those that did not run."""
    baseline_class, candidates = _attack_classes(attacks)
    baseline = _build(baseline_class, target, **config).fit(aux_view, s_aux)
    fitted, notes = [("ImputationBaseline", baseline)], []
    for item in candidates:
        name = _name(item)
        try:
            attack = _build(item, target, **config)
            reason = _why_not(attack, target, config["label"] is not None)
            if reason is None:
                fitted.append((name, attack.fit(aux_view, s_aux)))
        except Exception as exc:  # an attack that cannot run here is reported
            reason = first_line(exc)
        if reason is not None:
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
