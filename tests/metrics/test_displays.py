"""Displays: ROC curves of attacks (any number of values), privacy-utility plots."""

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

from skinvert.attacks import CSMIA
from skinvert.datasets import make_sensitive_classification
from skinvert.metrics import AttackRocDisplay, PrivacyUtilityDisplay

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def test_from_predictions_one_value_against_the_rest():
    rng = np.random.default_rng(0)
    s = rng.choice(["a", "b", "c"], 300)
    proba = rng.dirichlet(np.ones(3), 300)
    proba[s == "b", 1] += 3.0  # the attack ranks "b" holders first
    proba /= proba.sum(axis=1, keepdims=True)
    display = AttackRocDisplay.from_predictions(
        s, proba, classes=["a", "b", "c"], positive="b", name="attack"
    )
    assert display.roc_auc > 0.95
    assert display.ax_.get_xscale() == "log" and display.ax_.get_yscale() == "log"
    assert isinstance(display.line_, matplotlib.lines.Line2D)
    other = AttackRocDisplay.from_predictions(
        s, proba, classes=["a", "b", "c"], positive="a", log_scale=False
    )
    assert 0.3 < other.roc_auc < 0.7 and other.ax_.get_xscale() == "linear"


def test_from_estimator_on_a_fitted_attack():
    X, y = make_sensitive_classification(900, leak=3, label_noise=0.2, random_state=0)
    target = RandomForestClassifier(30, random_state=0).fit(X[:300], y[:300])
    view = np.column_stack([X, y])
    attack = CSMIA(target, sensitive=0, label=6).fit(view[300:600], X[300:600, 0])
    display = AttackRocDisplay.from_estimator(
        attack, view[:300], X[:300, 0], positive=1.0
    )
    assert display.name == "CSMIA" and display.roc_auc > 0.6


def test_bad_positive_is_named():
    s = np.array([0, 1, 0, 1])
    proba = np.full((4, 2), 0.5)
    with pytest.raises(ValueError, match="positive=7 is not one of"):
        AttackRocDisplay.from_predictions(s, proba, classes=[0, 1], positive=7)
    with pytest.raises(ValueError, match="victims with and without"):
        AttackRocDisplay.from_predictions(
            np.zeros(4), proba, classes=[0, 1], positive=0
        )


def test_privacy_utility_display_draws_each_population():
    rows = [
        {
            "defense": "none",
            "accuracy": 0.8,
            "best:members": 0.1,
            "best:non-members": 0.02,
        },
        {
            "defense": "label",
            "accuracy": 0.79,
            "best:members": 0.04,
            "best:non-members": 0.0,
        },
    ]
    display = PrivacyUtilityDisplay.from_table(rows)
    assert [line.get_label() for line in display.lines_] == ["members", "non-members"]
    assert list(display.lines_[0].get_xdata()) == [0.1, 0.04]
    assert "utility" in display.ax_.get_ylabel()
