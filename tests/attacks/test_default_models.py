"""The attacker's default models: regularised, early-stopped gradient boosting."""

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import log_loss

from skinvert.attacks._default_models import (
    MIN_EARLY_STOPPING,
    can_stop_early,
    fit_imputer,
    make_default_imputer,
)
from skinvert.utils._memo import shared_fits


def _rare_value_problem(seed, n=4000):
    """Four common values driven by two features, a fifth held by 12 records."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    score = X[:, 0] + 0.5 * X[:, 1] + rng.normal(size=n)
    y = np.digitize(score, [-1.0, 0.0, 1.0])
    y[rng.choice(n, 12, replace=False)] = 4
    return X, y


def _held_out_log_loss(model, X, y):
    proba = np.full((len(y), 5), 1e-15)
    proba[:, model.classes_] = model.predict_proba(X)
    return log_loss(y, proba / proba.sum(axis=1, keepdims=True), labels=range(5))


@pytest.mark.parametrize("seed", [0, 1])
def test_the_default_imputer_beats_unregularised_boosting_on_a_rare_value(seed):
    X, y = _rare_value_problem(seed)
    train, test = slice(0, 3000), slice(3000, None)
    model = make_default_imputer(X[train], random_state=0, y=y[train])
    model.fit(X[train], y[train])
    plain = HistGradientBoostingClassifier(max_iter=100, random_state=0)
    plain.fit(X[train], y[train])
    ours = _held_out_log_loss(model, X[test], y[test])
    assert ours < _held_out_log_loss(plain, X[test], y[test]) - 0.05
    assert model[-1].early_stopping and model[-1].n_iter_ < 100  # and cheaper


def test_early_stopping_only_where_the_held_out_split_can_be_drawn():
    y = np.arange(2000) % 4
    assert can_stop_early(y)
    assert not can_stop_early(y[: MIN_EARLY_STOPPING - 1])  # too few records
    single = y.copy()
    single[0] = 9  # a value held by one record: no stratified split
    assert not can_stop_early(single)
    many = np.arange(2000) % 500  # more values than a tenth can hold
    assert not can_stop_early(many)


def test_a_value_held_by_one_record_is_fitted_without_early_stopping():
    X, y = _rare_value_problem(0, n=2000)
    y[0] = 7  # one record
    model = make_default_imputer(X, random_state=0, y=y).fit(X, y)
    assert not model[-1].early_stopping and model[-1].n_iter_ == 100
    assert 7 in model.classes_


def test_without_the_values_the_imputer_does_not_stop_early():
    X, _ = _rare_value_problem(0, n=2000)
    assert not make_default_imputer(X, random_state=0)[-1].early_stopping


def test_fit_imputer_shares_equal_fits_and_clones_a_given_estimator():
    X, y = _rare_value_problem(0, n=1200)
    given = HistGradientBoostingClassifier(max_iter=5)
    with shared_fits():
        first = fit_imputer(None, X, y, random_state=0)
        assert fit_imputer(None, X, y, random_state=0) is first
        mine = fit_imputer(given, X, y)
    assert mine is not given and not hasattr(given, "classes_")
    assert mine.n_iter_ == 5
