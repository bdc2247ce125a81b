import math

import numpy as np
import pytest
from scipy.stats import binom
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from skinvert.datasets import make_sensitive_classification
from skinvert.defenses import DPLogisticRegression
from skinvert.membership import (
    audit_dp,
    clopper_pearson,
    epsilon_lower_bound,
    one_run_epsilon,
)


def _data(n=400, seed=0):
    return make_sensitive_classification(n_samples=n, n_features=6, random_state=seed)


def test_clopper_pearson_covers_and_is_exact_at_the_edges():
    low, high = clopper_pearson(0, 20)
    assert low == 0.0 and 0.1 < high < 0.2
    low, high = clopper_pearson(20, 20)
    assert high == 1.0 and 0.8 < low < 0.9
    # the upper bound at x successes is where P[Bin(n, p) <= x] = alpha / 2
    _, high = clopper_pearson(7, 50, confidence=0.9)
    assert math.isclose(binom.cdf(7, 50, high), 0.05, rel_tol=1e-6)


def test_jagielski_bound_from_rates():
    truth = np.r_[np.ones(1000, int), np.zeros(1000, int)]
    chance = np.random.default_rng(0).integers(0, 2, 2000)
    assert epsilon_lower_bound(truth, chance) == 0.0
    # TPR 0.5 at FPR 0.01: the bound is below log(50) and near it
    guess = np.r_[np.ones(500), np.zeros(500), np.ones(10), np.zeros(990)].astype(int)
    bound = epsilon_lower_bound(truth, guess)
    assert 2.5 < bound < math.log(0.5 / 0.01)
    assert epsilon_lower_bound(truth, guess, delta=0.1) < bound


def test_one_run_bound_matches_its_binomial_tail():
    eps = one_run_epsilon(200, 150)
    p = 1.0 / (1.0 + math.exp(-eps))
    assert math.isclose(binom.sf(149, 200, p), 0.05, rel_tol=1e-4)
    assert one_run_epsilon(200, 100) == 0.0
    assert one_run_epsilon(0, 0) == 0.0


@pytest.mark.parametrize("epsilon", [0.25, 1.0])
def test_no_false_alarm_on_dp_logistic_regression(epsilon):
    X, y = _data()
    model = DPLogisticRegression(epsilon=epsilon, data_norm=5.0, classes=[0, 1])
    for seed in range(6):
        for secret in ("membership", "attribute"):
            result = audit_dp(
                model,
                X,
                y,
                n_canaries=150,
                secret=secret,
                sensitive=0,
                random_state=seed,
            )
            assert result.epsilon_declared == epsilon
            assert result.epsilon_lower_bound <= epsilon
            assert not result.violated


@pytest.mark.parametrize("secret", ["membership", "attribute"])
def test_overfit_forest_is_caught(secret):
    X, y = _data()
    forest = RandomForestClassifier(30)
    result = audit_dp(
        forest,
        X,
        y,
        n_canaries=150,
        n_guesses=40,
        secret=secret,
        sensitive=0,
        epsilon_declared=0.5,
        random_state=0,
    )
    assert result.epsilon_lower_bound > 1.0
    assert result.violated
    again = audit_dp(
        forest,
        X,
        y,
        n_canaries=150,
        n_guesses=40,
        secret=secret,
        sensitive=0,
        epsilon_declared=0.5,
        random_state=0,
    )
    assert again == result


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_canaries": 400}, "n_canaries"),
        ({"n_canaries": 20, "n_guesses": 30}, "n_guesses"),
        ({"secret": "attribute"}, "sensitive"),
        ({"secret": "label"}, "secret"),
    ],
)
def test_audit_errors_name_the_parameter(kwargs, match):
    X, y = _data()
    with pytest.raises(ValueError, match=match):
        audit_dp(DPLogisticRegression(data_norm=5.0, classes=[0, 1]), X, y, **kwargs)


def test_bound_errors():
    with pytest.raises(ValueError, match="n_correct"):
        one_run_epsilon(10, 11)
    with pytest.raises(ValueError, match="y_true"):
        epsilon_lower_bound([1, 1], [1, 0])


@pytest.mark.parametrize("secret", ["membership", "attribute"])
def test_multi_run_audit(secret):
    X, y = _data(200)
    params = {
        "method": "multi_run",
        "n_runs": 60,
        "secret": secret,
        "sensitive": 0,
        "random_state": 0,
    }
    dp = DPLogisticRegression(epsilon=0.5, data_norm=5.0, classes=[0, 1])
    result = audit_dp(dp, X, y, **params)
    assert result.n_guesses == 30 and result.n_canaries == 1
    assert result.epsilon_lower_bound <= 0.5
    forest = audit_dp(DecisionTreeClassifier(), X, y, epsilon_declared=0.5, **params)
    assert forest.epsilon_lower_bound > 1.0  # a tree memorises its one canary
    assert forest.violated
