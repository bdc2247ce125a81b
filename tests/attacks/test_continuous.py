"""Attacks on a continuous sensitive attribute, against the imputation baseline."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline

from skinvert.attacks import (
    FredriksonRegressor,
    ImputationRegressor,
    LearnedInversionRegressor,
)


def _records(n, seed, leak=2.0, dependence=0.0):
    """Column 0: a continuous value ("age") that pushes the label when leak > 0.

    With ``dependence=0`` the value is independent of the known features, as
    Fredrikson's posterior assumes.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4))
    age = dependence * x[:, 0] + rng.standard_normal(n)
    y = (x[:, 1] + leak * age > 0).astype(int)
    y = np.where(rng.random(n) < 0.2, 1 - y, y)  # noise an overfit model memorises
    return np.column_stack([age, x]), y


def _split(seed=0, leak=2.0, n=3000):
    X, y = _records(n, seed, leak=leak)
    view = np.column_stack([X, y])
    third = n // 3
    parts = slice(0, third), slice(third, 2 * third), slice(2 * third, n)
    target = RandomForestClassifier(n_estimators=60, random_state=0)
    target.fit(X[parts[0]], y[parts[0]])
    return target, view, X[:, 0], parts


def _r2(attack, view, s, aux, victims):
    return attack.fit(view[aux], s[aux]).score(view[victims], s[victims])


def _baseline(view, s, aux, victims):
    """The better of the default (boosting) and a linear imputation."""
    return max(
        _r2(
            ImputationRegressor(sensitive=0, label=5, estimator=model, random_state=0),
            view,
            s,
            aux,
            victims,
        )
        for model in (None, LinearRegression())
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_fredrikson_regressor_beats_imputation_on_members(seed):
    target, view, s, (members, aux, _) = _split(seed)
    attack = _r2(
        FredriksonRegressor(target, sensitive=0, label=5), view, s, aux, members
    )
    assert attack - _baseline(view, s, aux, members) > 0.1


def test_fredrikson_regressor_no_advantage_without_leak():
    _, view, s, (members, aux, _) = _split(0, leak=0.0)
    target = LogisticRegression().fit(view[members, :5], view[members, 5])
    attack = _r2(
        FredriksonRegressor(target, sensitive=0, label=5), view, s, aux, members
    )
    assert attack - _baseline(view, s, aux, members) < 0.05


class _PeakTarget(ClassifierMixin, BaseEstimator):
    """Confidence in class 1 peaks where column 0 equals column 1; counts rows."""

    classes_ = np.array([0, 1])

    def __init__(self, width=0.05):
        self.width = width

    def __sklearn_is_fitted__(self):
        return True

    def fit(self, X, y=None):
        return self

    def predict_proba(self, X):
        X = np.asarray(X, dtype=float)
        self.rows_ = getattr(self, "rows_", 0) + X.shape[0]
        p = 0.02 + 0.96 * np.exp(-(((X[:, 0] - X[:, 1]) / self.width) ** 2))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)


def _uniform_aux(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.random(n)
    return np.column_stack([values, rng.random(n), np.ones(n)]), values


def test_refinement_finds_the_peak_between_grid_values():
    aux, values = _uniform_aux()
    victims = _uniform_aux(50, seed=1)[0]
    victims[:, 0] = np.nan  # never read
    truth = victims[:, 1]
    errors = {}
    for n_refine in (0, 8):
        target = _PeakTarget()
        attack = FredriksonRegressor(
            target, sensitive=0, label=2, n_refine=n_refine, estimate="map"
        ).fit(aux, values)
        errors[n_refine] = np.abs(attack.predict(victims) - truth)
        assert attack.queries_per_victim_ == 16 + n_refine
        assert target.rows_ == 50 * (16 + n_refine)  # two vectorised passes at most
    assert errors[8].max() < 0.02
    assert errors[8].mean() < errors[0].mean() / 2


def test_grid_prior_and_estimates_by_hand():
    # Exact grid (4 distinct values <= n_candidates): no refinement.
    values = np.array([1.0, 1.0, 2.0, 4.0, 4.0, 4.0, 8.0, 8.0])
    aux = np.column_stack([values, np.zeros(8), np.ones(8)])
    target = _PeakTarget(width=1.5)
    mean = FredriksonRegressor(target, sensitive=0, label=2).fit(aux, values)
    np.testing.assert_array_equal(mean.candidates_[:, 0], [1, 2, 4, 8])
    np.testing.assert_allclose(mean.prior_, [2 / 8, 1 / 8, 3 / 8, 2 / 8])
    assert mean.n_refine_ == 0 and mean.queries_per_victim_ == 4
    assert mean.prior_mean_ == pytest.approx(values.mean())
    victim = np.array([[np.nan, 2.5, 1.0]])
    grid = np.array([1.0, 2.0, 4.0, 8.0])
    confidence = 0.02 + 0.96 * np.exp(-(((grid - 2.5) / 1.5) ** 2))
    scores = confidence * mean.prior_
    assert mean.predict(victim)[0] == pytest.approx(
        (scores * grid).sum() / scores.sum()
    )
    map_ = FredriksonRegressor(target, sensitive=0, label=2, estimate="map")
    assert map_.fit(aux, values).predict(victim)[0] == grid[np.argmax(scores)]


def test_given_grid_and_bad_grid():
    aux, values = _uniform_aux()
    attack = FredriksonRegressor(
        _PeakTarget(), sensitive=0, label=2, candidates=[0.9, 0.1, 0.5], n_refine=2
    ).fit(aux, values)
    np.testing.assert_array_equal(attack.candidates_[:, 0], [0.1, 0.5, 0.9])
    assert attack.prior_.sum() == pytest.approx(1.0)
    assert attack.queries_per_victim_ == 5
    with pytest.raises(ValueError, match="candidates must be a non-empty 1-D array"):
        FredriksonRegressor(_PeakTarget(), candidates=["a"], label=2).fit(aux, values)


def test_learned_regressor_reads_the_released_answer_and_beats_imputation():
    # A target that generalises releases the value on non-members too.
    target, view, s, (_, aux, non_members) = _split(0)
    learned = LearnedInversionRegressor(target, sensitive=0, label=5, random_state=0)
    attack = _r2(learned, view, s, aux, non_members)
    baseline = _r2(
        ImputationRegressor(sensitive=0, label=5, random_state=0),
        view,
        s,
        aux,
        non_members,
    )
    assert attack - baseline > 0.2
    assert learned.queries_per_victim_ == 1
    hidden = view[non_members].copy()
    hidden[:3, 0] = np.nan
    with pytest.raises(ValueError, match=r"reads the sensitive column.*3 victim"):
        learned.predict(hidden)


def test_learned_regressor_ignores_the_sensitive_column_in_fit():
    target, view, s, (_, aux, victims) = _split(0, n=900)
    blank = view[aux].copy()
    blank[:, 0] = np.nan
    first = LearnedInversionRegressor(target, sensitive=0, label=5, random_state=0)
    second = LearnedInversionRegressor(target, sensitive=0, label=5, random_state=0)
    np.testing.assert_array_equal(
        first.fit(view[aux], s[aux]).predict(view[victims]),
        second.fit(blank, s[aux]).predict(view[victims]),
    )


def test_imputation_regressor_without_target_or_known_features():
    X, _ = _records(300, 0, dependence=1.0)
    baseline = ImputationRegressor(sensitive=0, random_state=0).fit(X, X[:, 0])
    assert baseline.queries_per_victim_ == 0
    alone = ImputationRegressor(sensitive=0).fit(X[:, :1], X[:, 0])
    assert alone.estimator_ is None
    np.testing.assert_allclose(alone.predict(X[:5, :1]), X[:, 0].mean())
    custom = ImputationRegressor(sensitive=0, estimator=LinearRegression())
    assert custom.fit(X, X[:, 0]).score(X, X[:, 0]) > 0.15


def test_score_is_r2_and_prior_mean_feeds_the_advantage_scorer():
    from skinvert.metrics import make_advantage_scorer

    target, view, s, (members, aux, _) = _split(0, n=900)
    attack = FredriksonRegressor(target, sensitive=0, label=5).fit(view[aux], s[aux])
    predicted = attack.predict(view[members])
    assert attack.score(view[members], s[members]) == pytest.approx(
        r2_score(s[members], predicted)
    )
    assert attack.prior_mean_ == pytest.approx(s[aux].mean())
    advantage = make_advantage_scorer("mae")(attack, view[members], s[members])
    prior_error = np.abs(s[members] - s[aux].mean()).mean()
    assert advantage == pytest.approx(
        prior_error - np.abs(s[members] - predicted).mean()
    )


def test_grid_search_and_cross_validation_with_a_frozen_target():
    target, view, s, (_, aux, _) = _split(0, n=900)
    attack = FredriksonRegressor(FrozenEstimator(target), sensitive=0, label=5)
    search = GridSearchCV(attack, {"estimate": ["mean", "map"]}, cv=3)
    search.fit(view[aux], s[aux])
    assert search.best_params_ == {"estimate": "mean"}
    assert search.best_estimator_.target.estimator is target
    assert cross_val_score(attack, view[aux], s[aux], cv=3).shape == (3,)


def test_dataframe_without_the_sensitive_column_and_pipeline_step():
    pd = pytest.importorskip("pandas")
    _, view, s, (members, aux, _) = _split(0, n=900)
    frame = pd.DataFrame(view, columns=["age", "a", "b", "c", "d", "happy"])
    target = RandomForestClassifier(n_estimators=20, random_state=0)
    target.fit(frame.iloc[members, :5], frame["happy"].iloc[members])
    attack = FredriksonRegressor(target, sensitive="age", label="happy")
    attack.fit(frame.iloc[aux], s[aux]).set_output(transform="pandas")
    victims = frame.iloc[members]
    expected = attack.predict(victims)
    np.testing.assert_array_equal(attack.predict(victims.drop(columns="age")), expected)
    filled = attack.transform(victims.drop(columns="age"))
    assert list(filled.columns) == ["age", "a", "b", "c", "d"]
    np.testing.assert_array_equal(filled["age"].to_numpy(), expected)
    assert list(attack.get_feature_names_out()) == list(filled.columns)
    pipeline = make_pipeline(attack, FrozenEstimator(target))
    np.testing.assert_array_equal(pipeline.predict(victims), target.predict(filled))


@pytest.mark.parametrize(
    "attack_class", [FredriksonRegressor, LearnedInversionRegressor]
)
def test_deterministic_batch_independent_inputs_untouched(attack_class):
    target, view, s, (members, aux, _) = _split(0, n=600)
    before = view.copy()
    seed = {"random_state": 0} if attack_class is LearnedInversionRegressor else {}
    small = attack_class(target, sensitive=0, label=5, batch_size=40, **seed)
    large = attack_class(target, sensitive=0, label=5, **seed)
    np.testing.assert_array_equal(
        small.fit(view[aux], s[aux]).predict(view[members]),
        large.fit(view[aux], s[aux]).predict(view[members]),
    )
    np.testing.assert_array_equal(view, before)


def test_bad_sensitive_values_are_explained():
    target, view, s, (_, aux, _) = _split(0, n=300)
    attack = FredriksonRegressor(target, sensitive=0, label=5)
    with pytest.raises(ValueError, match="must hold numbers"):
        attack.fit(view[aux], np.array(["old"] * 100))
    with pytest.raises(ValueError, match=r"must have shape \(100,\)"):
        attack.fit(view[aux], np.zeros((100, 2)))
    with pytest.raises(
        ValueError, match="100 records but the sensitive values have 99"
    ):
        attack.fit(view[aux], s[aux][:99])
    with pytest.raises(ValueError, match="Input y contains NaN"):
        attack.fit(view[aux], np.full(100, np.nan))
    with pytest.raises(ValueError, match="'sensitive' parameter"):
        FredriksonRegressor(target, sensitive=[0, 1], label=5).fit(view[aux], s[aux])
    with pytest.raises(TypeError, match="'predict_proba'"):
        FredriksonRegressor(_NoProba(), sensitive=0).fit(view[aux, :5], s[aux])


class _NoProba(ClassifierMixin, BaseEstimator):
    classes_ = np.array([0, 1])

    def __sklearn_is_fitted__(self):
        return True

    def fit(self, X, y=None):
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


def test_regressor_on_a_logistic_target_without_label():
    _, view, s, (members, aux, _) = _split(0, n=900)
    logistic = LogisticRegression().fit(view[members, :5], view[members, 5])
    attack = FredriksonRegressor(logistic, sensitive=0).fit(view[aux, :5], s[aux])
    predicted = attack.predict(view[members, :5])
    assert predicted.shape == (300,) and np.isfinite(predicted).all()
    assert s[aux].min() <= predicted.min() and predicted.max() <= s[aux].max()
