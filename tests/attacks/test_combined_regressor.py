"""The combined regressor: the target's evidence times an imputation distribution."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score

from skinvert.attacks import ImputationRegressor
from skinvert.attacks._combined_regressor import (
    CombinedFredriksonRegressor,
    _weighted_median,
)
from skinvert.utils._sklearn import InvalidParameterError


def _records(n, seed, leak=2.0):
    """Column 0 ("age") is half guessable from column 1 and pushes the label."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4))
    age = x[:, 0] + rng.standard_normal(n)
    y = (x[:, 1] + leak * age > 0).astype(int)
    y = np.where(rng.random(n) < 0.2, 1 - y, y)  # noise an overfit model memorises
    return np.column_stack([age, x]), y


def _split(seed=0, n=1200, leak=2.0):
    X, y = _records(n, seed, leak)
    view = np.column_stack([X, y])
    third = n // 3
    parts = slice(0, third), slice(third, 2 * third), slice(2 * third, n)
    target = RandomForestClassifier(n_estimators=30, random_state=0)
    target.fit(X[parts[0]], y[parts[0]])
    return target, view, X[:, 0], parts


def _attack(target, **params):
    params = {
        "sensitive": 0,
        "label": 5,
        "n_candidates": 16,
        "cv": 3,
        "estimator": LinearRegression(),
        "random_state": 0,
        **params,
    }
    return CombinedFredriksonRegressor(target, **params)


def _imputation():
    return ImputationRegressor(sensitive=0, label=5, estimator=LinearRegression())


def _mae(attack, view, s, aux, victims):
    predicted = attack.fit(view[aux], s[aux]).predict(view[victims])
    return np.abs(predicted - s[victims]).mean()


class _Counting(ClassifierMixin, BaseEstimator):
    """A fitted target that counts the rows it answers; may ignore column 0."""

    def __init__(self, estimator=None, ignore_first=False):
        self.estimator = estimator
        self.ignore_first = ignore_first

    def __sklearn_is_fitted__(self):
        return True

    @property
    def classes_(self):
        return self.estimator.classes_

    def fit(self, X, y=None):
        return self

    def predict_proba(self, X):
        X = np.asarray(X, dtype=float)
        self.rows_ = getattr(self, "rows_", 0) + X.shape[0]
        if self.ignore_first:
            X = np.column_stack([np.zeros(len(X)), X[:, 1:]])
        return self.estimator.predict_proba(X)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


@pytest.mark.parametrize("seed", [0, 1])
def test_planted_leak_beats_imputation_on_members_not_on_non_members(seed):
    target, view, s, (members, aux, non_members) = _split(seed)
    attack = _attack(target)
    combined = _mae(attack, view, s, aux, members)
    reference = _mae(_imputation(), view, s, aux, members)
    assert combined < 0.97 * reference  # what the target memorised of members
    assert np.isfinite(attack.temperature_)
    on_non_members = _mae(attack, view, s, aux, non_members)
    reference = _mae(_imputation(), view, s, aux, non_members)
    assert on_non_members < 1.05 * reference


def test_target_that_ignores_the_attribute_is_imputation():
    X, y = _records(900, 0)
    inner = LogisticRegression().fit(
        np.column_stack([np.zeros(300), X[:300, 1:]]), y[:300]
    )
    target = _Counting(inner, ignore_first=True)
    view = np.column_stack([X, y])
    attack = _attack(target, temperature=[1.0, 4.0])  # inf not on the grid
    predicted = attack.fit(view[300:600], X[300:600, 0]).predict(view[600:])
    expected = _imputation().fit(view[300:600], X[300:600, 0]).predict(view[600:])
    np.testing.assert_allclose(predicted, expected, rtol=0, atol=1e-9)
    assert np.all(attack.cv_results_["influence"] < 1e-9)
    auto = _attack(target).fit(view[300:600], X[300:600, 0])
    assert auto.temperature_ == np.inf and auto.queries_per_victim_ == 0
    np.testing.assert_array_equal(auto.predict(view[600:]), expected)


def test_infinite_temperature_is_imputation_and_queries_nothing():
    target, view, s, (members, aux, _) = _split(0, n=600)
    counting = _Counting(target)
    for estimator in (None, LinearRegression()):
        attack = _attack(counting, temperature=np.inf, estimator=estimator)
        reference = ImputationRegressor(
            sensitive=0, label=5, estimator=estimator, random_state=0
        )
        np.testing.assert_array_equal(
            attack.fit(view[aux], s[aux]).predict(view[members]),
            reference.fit(view[aux], s[aux]).predict(view[members]),
        )
        assert attack.queries_per_victim_ == 0 and attack.cv_results_ is None
    assert not hasattr(counting, "rows_")


def test_grid_per_victim_and_queries_counted():
    target, view, s, (members, aux, _) = _split(0, n=600)
    counting = _Counting(target)
    attack = _attack(counting, temperature=1.0, n_candidates=8).fit(view[aux], s[aux])
    assert attack.queries_per_victim_ == 8 and not attack.discrete_
    assert counting.rows_ == 200 * 8  # the auxiliary records, over their own grids
    predicted = attack.predict(view[members])
    assert counting.rows_ == 400 * 8
    # each victim's grid is centred on its own imputation
    points = attack.estimator_.predict(np.column_stack([view[members, 1:]]))
    assert np.abs(predicted - points).max() <= np.abs(attack.offsets_).max() + 1e-9
    assert np.abs(np.median(attack.offsets_)) < 1e-12
    assert attack.residuals_.shape == (200,)


def test_discrete_attribute_is_queried_at_its_values():
    target, view, s, (members, aux, _) = _split(0, n=600)
    coarse = np.round(s).clip(-2, 2)  # five values
    view = view.copy()
    view[:, 0] = coarse
    counting = _Counting(target)
    attack = _attack(counting, temperature=0.5).fit(view[aux], coarse[aux])
    assert attack.discrete_ and attack.queries_per_victim_ == 5
    np.testing.assert_array_equal(attack.candidates_[:, 0], [-2, -1, 0, 1, 2])
    predicted = attack.predict(view[members])
    reference = _imputation().fit(view[aux], coarse[aux]).predict(view[members])
    assert not np.allclose(predicted, reference)  # the target moves the estimates
    assert np.abs(predicted - reference).max() <= 4.0  # by less than the range
    # a target that ignores the column leaves the imputation as it is
    blind = _Counting(target, ignore_first=True)
    attack = _attack(blind, temperature=0.5).fit(view[aux], coarse[aux])
    np.testing.assert_allclose(attack.predict(view[members]), reference, atol=1e-9)


def test_weighted_median_and_mean_by_hand():
    nodes = np.array([[0.0, 1.0, 2.0, 3.0]])
    flat = np.full((1, 4), 0.25)
    assert _weighted_median(nodes, flat, interpolate=True)[0] == pytest.approx(1.5)
    assert _weighted_median(nodes, flat, interpolate=False)[0] == 1.0
    heavy = np.array([[0.1, 0.1, 0.7, 0.1]])
    # middles of the masses: 0.05, 0.15, 0.55, 0.95 -> 0.5 lies 7/8 of the way
    assert _weighted_median(nodes, heavy, interpolate=True)[0] == pytest.approx(
        1.0 + 0.35 / 0.4
    )
    assert _weighted_median(nodes, heavy, interpolate=False)[0] == 2.0
    target, view, s, (_, aux, _) = _split(0, n=600)
    mean = _attack(target, estimate="mean", temperature=2.0).fit(view[aux], s[aux])
    assert np.abs(mean.offsets_.mean()) < 1e-12


def test_cross_validation_results_and_determinism():
    target, view, s, (members, aux, _) = _split(0, n=600)
    before = view.copy()
    small = _attack(target, batch_size=50).fit(view[aux], s[aux])
    large = _attack(target).fit(view[aux], s[aux])
    np.testing.assert_array_equal(
        small.predict(view[members]), large.predict(view[members])
    )
    np.testing.assert_array_equal(view, before)
    results = large.cv_results_
    assert len(results["temperature"]) == 8 * 3  # temperatures x smoothings
    assert results["temperature"][0] == np.inf  # ties go to imputation
    chosen = large.best_index_
    assert results["equivalent"][chosen]
    assert large.temperature_ == results["temperature"][chosen]
    assert large.smoothing_ == results["smoothing"][chosen]


def test_dataframe_without_the_sensitive_column():
    pd = pytest.importorskip("pandas")
    target, view, s, (members, aux, _) = _split(0, n=600)
    frame = pd.DataFrame(view, columns=["age", "a", "b", "c", "d", "happy"])
    named_target = RandomForestClassifier(n_estimators=30, random_state=0)
    named_target.fit(frame.iloc[members, :5], frame["happy"].iloc[members])
    named = _attack(
        FrozenEstimator(named_target), sensitive="age", label="happy", temperature=1.0
    )
    named.fit(frame.iloc[aux], s[aux])
    victims = frame.iloc[members]
    expected = _attack(target, temperature=1.0).fit(view[aux], s[aux])
    np.testing.assert_allclose(
        named.predict(victims.drop(columns="age")),
        expected.predict(view[members]),
    )


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"temperature": -1.0}, InvalidParameterError, "'temperature' parameter"),
        ({"temperature": [1.0, -2.0]}, ValueError, "temperature must be 'auto'"),
        ({"temperature": []}, ValueError, "temperature must be 'auto'"),
        ({"smoothing": [np.inf]}, ValueError, "smoothing must be 'auto'"),
        ({"n_candidates": 1}, InvalidParameterError, "'n_candidates' parameter"),
        ({"estimate": "mode"}, InvalidParameterError, "'estimate' parameter"),
        ({"cv": 1}, InvalidParameterError, "'cv' parameter"),
        ({"tolerance": -1}, InvalidParameterError, "'tolerance' parameter"),
        ({"estimator": "linear"}, InvalidParameterError, "'estimator' parameter"),
    ],
)
def test_bad_parameters_are_named(params, error, message):
    target, view, s, (_, aux, _) = _split(0, n=300)
    attack = _attack(target, **params)
    with pytest.raises(error, match=message):
        attack.fit(view[aux], s[aux])
    assert not hasattr(attack, "temperature_")  # nothing half-fitted


def test_one_auxiliary_record_is_explained():
    target, view, s, _ = _split(0, n=300)
    with pytest.raises(ValueError, match="at least 2 records; got n_samples=1"):
        _attack(target).fit(view[:1], s[:1])


def test_grid_search_and_cross_validation_with_a_frozen_target():
    target, view, s, (_, aux, _) = _split(0, n=600)
    attack = _attack(FrozenEstimator(target), n_candidates=8, cv=2)
    search = GridSearchCV(attack, {"estimate": ["median", "mean"]}, cv=2)
    search.fit(view[aux], s[aux])
    assert search.best_estimator_.target.estimator is target
    scores = cross_val_score(attack, view[aux], s[aux], cv=2)
    assert scores.shape == (2,) and np.isfinite(scores).all()
