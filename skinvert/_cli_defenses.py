"""``skinvert audit --defense NAME[:VALUE]``: countermeasures named on the command line.

Each setting is checked when the command line is read (a dry run), so a bad value
ends the command before any model is trained.
"""

import argparse
import math

from .evaluation import make_target


def _number(text, kind, option, low, high=None):
    """``text`` as a ``kind`` in [low, high], or a ValueError naming the option."""
    try:
        value = kind(text)
    except (TypeError, ValueError):
        value = None
    if (
        value is None
        or not math.isfinite(value)
        or value < low
        or (high is not None and value > high)
    ):
        bounds = f"{low} to {high}" if high is not None else f"at least {low}"
        what = "an integer" if kind is int else "a number"
        raise ValueError(
            f"--defense {option}:VALUE needs {what} {bounds}, got {text!r}"
        )
    return value


def _output_defense(name, class_name, parameter=None, bounds=None, **fixed):
    """``make(target[, value])``: the defense ``class_name`` around the frozen target.

    ``parameter`` takes the value after the colon, converted and checked against
    ``bounds`` = (type, low, high, default text).
    """

    def make(target, *value):
        from sklearn.frozen import FrozenEstimator

        from . import defenses

        params = dict(fixed)
        if parameter is not None:
            kind, low, high, default = bounds
            text = value[0] if value else default
            params[parameter] = _number(text, kind, name, low, high)
        elif value:
            raise ValueError(f"--defense {name} takes no value, got {value[0]!r}")
        return getattr(defenses, class_name)(FrozenEstimator(target), **params)

    return make


def _private_model(X, epsilon="1"):
    """A differentially private logistic regression in the target's place.

    One-hot encoded categories and standardised numbers, as for the
    ``logistic_regression`` target; the norm bound is the training records'
    largest norm (:class:`~skinvert.defenses.DPLogisticRegression` warns that a
    bound read from the data weakens the guarantee).
    """
    from .defenses import DPLogisticRegression

    text, epsilon = epsilon, _number(epsilon, float, "dp", 0.0)
    if epsilon == 0:
        raise ValueError(f"--defense dp:VALUE needs an epsilon above 0, got {text!r}")
    model = DPLogisticRegression(epsilon=epsilon, random_state=0)
    if X is None:  # a dry run: the value is checked
        return model
    pipeline = make_target("logistic_regression", X)
    pipeline.steps[-1] = ("dplogisticregression", model)
    return pipeline


# Countermeasures ``--defense NAME[:VALUE]`` applies to the trained target before
# the attacks run: name -> callable(fitted_target[, value]) returning the model the
# attacker queries (``value`` is the text after the colon).
DEFENSES = {
    "round": _output_defense(
        "round", "RoundedConfidences", "decimals", (int, 0, 12, "2")
    ),
    "topk": _output_defense("topk", "TopKConfidences", "k", (int, 1, None, "1")),
    "label": _output_defense("label", "LabelOnly"),
    "noise": _output_defense(
        "noise", "NoisyConfidences", "scale", (float, 0.0, None, "0.1"), random_state=0
    ),
}
# Countermeasures that train another model on the same members in the target's
# place: name -> callable(records[, value]) returning the unfitted model.
TRAINED_DEFENSES = {"dp": _private_model}
_DEFENSE_HELP = (
    "countermeasure applied to the trained target before the attacks: "
    "round[:DECIMALS] (default 2), topk[:K] (default 1), label (label only), "
    "noise[:SCALE] (noise on the log-confidences, default 0.1), or trained in its "
    "place: dp[:EPSILON] (differentially private logistic regression, default 1); "
    "none; repeat the option or separate settings by commas. Each setting is "
    "audited on the same records as the undefended target, and a privacy-utility "
    "table follows."
)


def _defense_settings(text):
    """``round:1,label`` as ``[(spec, wrapper or None), ...]`` (argparse type)."""
    settings = []
    for spec in (part.strip() for part in text.split(",")):
        name, _, value = spec.partition(":")
        if name == "none" and not value:
            settings.append(("none", None))
            continue
        registry = {**DEFENSES, **TRAINED_DEFENSES}
        if name not in registry:
            known = ", ".join([*sorted(registry), "none"])
            raise argparse.ArgumentTypeError(
                f"unknown defense {spec!r}; known: {known}"
            )
        args = (value,) if value else ()
        try:  # a dry run checks the value now, not after training the target
            registry[name](None, *args)
        except (TypeError, ValueError) as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if name in TRAINED_DEFENSES:
            settings.append((spec, _Trained(name, args)))
        else:
            settings.append((spec, _wrapper(name, args)))
    return settings


def _wrapper(name, args):
    return lambda target: DEFENSES[name](target, *args)


class _Trained:
    """A trained defense, built once the records are known."""

    def __init__(self, name, args):
        self.name, self.args = name, args

    def build(self, X):
        return TRAINED_DEFENSES[self.name](X, *self.args)
