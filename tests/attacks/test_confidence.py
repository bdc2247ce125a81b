"""Fredrikson (CCS 2015) and CSMIA (Mehnaz et al. 2022) against the baseline."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline

from skinvert.attacks import (
    CSMIA,
    FredriksonInversion,
    FredriksonRegressor,
    ImputationBaseline,
)
from skinvert.datasets import make_sensitive_classification

from ._continuous_data import (
    _baseline,
    _PeakTarget,
    _r2,
    _regression_split,
    _uniform_aux,
)

CONFIDENCE_ATTACKS = [FredriksonInversion, CSMIA]


def _split(leak, seed, model, n=1800):
    X, y = make_sensitive_classification(
        n_samples=n, leak=leak, label_noise=0.2, random_state=seed
    )
    view = np.column_stack([X, y])
    third = n // 3
    members, aux, non_members = (
        slice(0, third),
        slice(third, 2 * third),
        slice(2 * third, n),
    )
    target = model.fit(X[members], y[members])
    return target, view, X[:, 0], members, aux, non_members


def _accuracy(attack_class, target, view, s, aux, victims):
    extra = {"random_state": 0} if attack_class is ImputationBaseline else {}
    attack = attack_class(target, sensitive=0, label=view.shape[1] - 1, **extra)
    return attack.fit(view[aux], s[aux]).score(view[victims], s[victims])


@pytest.mark.parametrize("attack_class", CONFIDENCE_ATTACKS)
@pytest.mark.parametrize("seed", [0, 1])
def test_beats_imputation_on_members_when_leak_is_planted(attack_class, seed):
    model = RandomForestClassifier(n_estimators=30, random_state=0)
    target, view, s, members, aux, _ = _split(2.0, seed, model)
    attack = _accuracy(attack_class, target, view, s, aux, members)
    baseline = _accuracy(ImputationBaseline, target, view, s, aux, members)
    assert attack - baseline > 0.1


@pytest.mark.parametrize("attack_class", CONFIDENCE_ATTACKS)
def test_no_advantage_without_planted_leak(attack_class):
    target, view, s, members, aux, _ = _split(0.0, 0, LogisticRegression(), n=3000)
    attack = _accuracy(attack_class, target, view, s, aux, members)
    baseline = _accuracy(ImputationBaseline, target, view, s, aux, members)
    assert attack - baseline < 0.05


class _TableTarget(ClassifierMixin, BaseEstimator):
    """Answers looked up by the value of column 0 (the candidate) and column 1."""

    def __init__(self, table=None):
        self.table = table

    classes_ = np.array([0, 1, 2])

    def __sklearn_is_fitted__(self):
        return True

    def predict_proba(self, X):
        X = np.asarray(X, dtype=float)
        return np.asarray(self.table)[X[:, 1].astype(int), X[:, 0].astype(int)]

    def fit(self, X, y=None):
        return self

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)


def test_csmia_case_rules_and_fredrikson_scores_by_hand():
    # table[victim, candidate] = confidences over 3 labels; known label is 0.
    table = np.array(
        [
            # one candidate reproduces label 0 -> candidate 1 (though not most prior)
            [[0.2, 0.7, 0.1], [0.5, 0.4, 0.1], [0.1, 0.1, 0.8]],
            # two reproduce it -> the more confident in label 0: candidate 2
            [[0.5, 0.3, 0.2], [0.2, 0.6, 0.2], [0.9, 0.05, 0.05]],
            # none reproduces it -> the least confident prediction: candidate 0
            [[0.3, 0.4, 0.3], [0.0, 0.9, 0.1], [0.1, 0.1, 0.8]],
        ]
    )
    target = _TableTarget(table)
    aux = np.array([[0, 0, 0], [0, 0, 0], [1, 0, 0], [2, 0, 0]], dtype=float)
    s_aux = np.array([0, 0, 1, 2])
    victims = np.array([[np.nan, 0, 0], [np.nan, 1, 0], [np.nan, 2, 0]])
    csmia = CSMIA(target, sensitive=0, label=2).fit(aux, s_aux)
    np.testing.assert_array_equal(csmia.predict(victims), [1, 2, 0])

    fredrikson = FredriksonInversion(target, sensitive=0, label=2).fit(aux, s_aux)
    prior = np.array([0.5, 0.25, 0.25])
    expected = table[:, :, 0] * prior
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(fredrikson.predict_proba(victims), expected)
    np.testing.assert_allclose(fredrikson.prior_, prior)


def test_fredrikson_without_label_uses_top_confidence():
    target, view, s, members, aux, _ = _split(2.0, 0, LogisticRegression())
    records = view[:, :-1]
    attack = FredriksonInversion(target, sensitive=0).fit(records[aux], s[aux])
    proba = attack.predict_proba(records[members])
    assert proba.shape == (records[members].shape[0], 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert attack.queries_per_victim_ == 2


def test_uniform_prior_option_in_grid_search_with_frozen_target():
    target, view, s, _, aux, _ = _split(2.0, 0, RandomForestClassifier(random_state=0))
    attack = FredriksonInversion(FrozenEstimator(target), sensitive=0, label=6)
    search = GridSearchCV(attack, {"prior": ["empirical", "uniform"]}, cv=3)
    search.fit(view[aux], s[aux])
    assert search.best_params_["prior"] in {"empirical", "uniform"}
    assert search.best_estimator_.target.estimator is target
    scores = cross_val_score(attack, view[aux], s[aux], cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.5)


def test_unfitted_target_tells_to_freeze():
    from sklearn.exceptions import NotFittedError

    X, _ = make_sensitive_classification(n_samples=50, random_state=0)
    attack = FredriksonInversion(RandomForestClassifier(), sensitive=0)
    with pytest.raises(NotFittedError, match="FrozenEstimator"):
        attack.fit(X, X[:, 0])


def test_csmia_requires_label():
    target, view, s, _, aux, _ = _split(2.0, 0, LogisticRegression())
    with pytest.raises(ValueError, match="label="):
        CSMIA(target, sensitive=0).fit(view[aux, :-1], s[aux])


def test_unknown_known_label_is_named():
    target, view, s, _, aux, _ = _split(2.0, 0, LogisticRegression())
    bad = view[aux].copy()
    bad[:, -1] = 7
    attack = FredriksonInversion(target, sensitive=0, label=6).fit(view[aux], s[aux])
    with pytest.raises(ValueError, match=r"\[7\.0\].*classes_"):
        attack.predict(bad)


@pytest.mark.parametrize("attack_class", CONFIDENCE_ATTACKS)
def test_reconstruction_step_in_a_pipeline(attack_class):
    target, view, s, members, aux, _ = _split(
        2.0, 0, RandomForestClassifier(random_state=0)
    )
    attack = attack_class(FrozenEstimator(target), sensitive=0, label=6)
    pipeline = make_pipeline(attack, FrozenEstimator(target)).fit(view[aux], s[aux])
    reconstructed = pipeline[0].transform(view[members])
    assert reconstructed.shape == (view[members].shape[0], 6)
    np.testing.assert_array_equal(reconstructed[:, 1:], view[members][:, 1:6])
    np.testing.assert_array_equal(
        pipeline.predict(view[members]), target.predict(reconstructed)
    )


@pytest.mark.parametrize("attack_class", CONFIDENCE_ATTACKS)
def test_deterministic_and_inputs_untouched(attack_class):
    target, view, s, members, aux, _ = _split(
        2.0, 0, RandomForestClassifier(random_state=0)
    )
    before = view.copy()
    attack = attack_class(target, sensitive=0, label=6, batch_size=97)
    first = attack.fit(view[aux], s[aux]).predict_proba(view[members])
    second = attack_class(target, sensitive=0, label=6).fit(view[aux], s[aux])
    np.testing.assert_array_equal(first, second.predict_proba(view[members]))
    np.testing.assert_array_equal(view, before)


def _survey_frame(n=600, seed=0):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    religion = rng.choice(["none", "catholic", "protestant"], size=n)
    age = rng.integers(18, 70, size=n)
    happy = (religion == "none") ^ (rng.random(n) < 0.1)
    frame = pd.DataFrame(
        {"age": age, "religion": religion, "region": rng.choice(["n", "s"], n)}
    )
    frame["religion"] = frame["religion"].astype("category")
    return frame, happy.astype(int)


def test_dataframe_with_strings_into_a_pipeline_target():
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder

    frame, happy = _survey_frame()
    encoder = make_column_transformer(
        (OneHotEncoder(), ["religion", "region"]), remainder="passthrough"
    )
    target = make_pipeline(encoder, LogisticRegression()).fit(frame, happy)
    view = frame.assign(happy=happy)
    attack = FredriksonInversion(target, sensitive="religion", label="happy")
    attack.fit(view[:300], frame["religion"][:300])
    assert set(attack.classes_) == {"catholic", "none", "protestant"}
    victims = view[300:]
    inferred = attack.predict(victims)
    # The sensitive column's content is never read: absent column, same answer.
    np.testing.assert_array_equal(
        attack.predict(victims.drop(columns="religion")), inferred
    )
    # Answers leak "none" through the label: better than the majority value.
    truth = frame["religion"][300:].to_numpy()
    assert np.mean(inferred == truth) > 0.5
    out = attack.set_output(transform="pandas").transform(victims)
    assert list(out.columns) == ["age", "religion", "region"]
    np.testing.assert_array_equal(out["religion"].to_numpy(), inferred)
    np.testing.assert_array_equal(attack.get_feature_names_out(), out.columns)


class _ApiClient:
    """A remote prediction API: no scikit-learn base class, no fit."""

    def __init__(self, model):
        self._model = model
        self.classes_ = model.classes_

    def predict(self, X):
        return self._model.predict(X)

    def predict_proba(self, X):
        return self._model.predict_proba(X)


def test_plain_api_client_target_is_accepted():
    target, view, s, members, aux, _ = _split(2.0, 0, LogisticRegression())
    client = _ApiClient(target)
    direct = FredriksonInversion(target, sensitive=0, label=6).fit(view[aux], s[aux])
    remote = FredriksonInversion(client, sensitive=0, label=6).fit(view[aux], s[aux])
    np.testing.assert_array_equal(
        remote.predict_proba(view[members]), direct.predict_proba(view[members])
    )


# ----------------------------------------------- continuous sensitive values
@pytest.mark.parametrize("seed", [0, 1])
def test_fredrikson_regressor_beats_imputation_on_members(seed):
    target, view, s, (members, aux, _) = _regression_split(seed)
    attack = _r2(
        FredriksonRegressor(target, sensitive=0, label=5), view, s, aux, members
    )
    assert attack - _baseline(view, s, aux, members) > 0.1


def test_fredrikson_regressor_no_advantage_without_leak():
    _, view, s, (members, aux, _) = _regression_split(0, leak=0.0)
    target = LogisticRegression().fit(view[members, :5], view[members, 5])
    attack = _r2(
        FredriksonRegressor(target, sensitive=0, label=5), view, s, aux, members
    )
    assert attack - _baseline(view, s, aux, members) < 0.05


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


def test_regressor_on_a_logistic_target_without_label():
    _, view, s, (members, aux, _) = _regression_split(0, n=900)
    logistic = LogisticRegression().fit(view[members, :5], view[members, 5])
    attack = FredriksonRegressor(logistic, sensitive=0).fit(view[aux, :5], s[aux])
    predicted = attack.predict(view[members, :5])
    assert predicted.shape == (300,) and np.isfinite(predicted).all()
    assert s[aux].min() <= predicted.min() and predicted.max() <= s[aux].max()
