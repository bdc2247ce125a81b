"""Shared fixtures: digits and fitted targets, built once per test session."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression


@pytest.fixture(scope="session")
def digits():
    X, y = load_digits(return_X_y=True)
    rng = np.random.RandomState(0)
    order = rng.permutation(len(y))
    X, y = X[order], y[order]
    # members train the target, aux is the attacker's, out are non-members
    return {
        "members": (X[:800], y[:800]),
        "aux": (X[800:1400], y[800:1400]),
        "out": (X[1400:], y[1400:]),
    }


@pytest.fixture(scope="session")
def lr_target(digits):
    X, y = digits["members"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LogisticRegression(max_iter=500).fit(X, y)
