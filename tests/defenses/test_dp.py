import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skinvert.defenses import DPLogisticRegression, PrivacyLeakWarning
from skinvert.defenses._dp import sample_ball_noise


@pytest.fixture(scope="module")
def split():
    X, y = make_classification(
        n_samples=3000, n_features=5, n_informative=3, class_sep=1.0, random_state=0
    )
    return train_test_split(X, y, test_size=0.5, random_state=0)


def _unit_ball_data(n=200, d=3, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    X /= np.maximum(1.0, np.linalg.norm(X, axis=1))[:, None]
    weights = np.linspace(2.0, -1.0, d)
    y = (X @ weights + rng.normal(scale=0.3, size=n) > 0).astype(int)
    return X, y


def test_sampled_noise_norm_and_direction():
    rng = np.random.RandomState(0)
    draws = np.array([sample_ball_noise(rng, 4, 0.5) for _ in range(4000)])
    norms = np.linalg.norm(draws, axis=1)
    assert norms.mean() == pytest.approx(4 * 0.5, rel=0.03)
    assert norms.var() == pytest.approx(4 * 0.5**2, rel=0.1)
    assert np.abs(draws.mean(axis=0)).max() < 0.06


@pytest.mark.parametrize(("C", "epsilon"), [(1.0, 2.0), (0.5, 4.0)])
def test_output_perturbation_noise_norm_follows_the_formula(C, epsilon):
    X, y = _unit_ball_data(d=20)  # many dimensions: few fits estimate E||b|| well
    n, d = X.shape
    exact = LogisticRegression(C=C, fit_intercept=False, tol=1e-12).fit(X, y).coef_
    lam = 1.0 / (C * n)
    scale = 2.0 / (n * lam * epsilon)
    norms = []
    for seed in range(60):
        model = DPLogisticRegression(
            epsilon=epsilon, C=C, data_norm=1.0, fit_intercept=False, random_state=seed
        ).fit(X, y)
        norms.append(np.linalg.norm(model.coef_ - exact))
    assert model.noise_scale_ == pytest.approx(scale)
    assert np.mean(norms) == pytest.approx(d * scale, rel=0.12)


def test_fit_is_deterministic_for_a_seed():
    X, y = _unit_ball_data()
    params = {"epsilon": 1.0, "data_norm": 1.0}
    first = DPLogisticRegression(**params, random_state=7).fit(X, y)
    again = DPLogisticRegression(**params, random_state=7).fit(X, y)
    other = DPLogisticRegression(**params, random_state=8).fit(X, y)
    assert np.array_equal(first.coef_, again.coef_)
    assert np.array_equal(first.intercept_, again.intercept_)
    assert not np.allclose(first.coef_, other.coef_)


@pytest.mark.parametrize("method", ["output", "objective"])
def test_large_epsilon_approaches_the_non_private_model(split, method):
    X_train, X_test, y_train, y_test = split
    reference = LogisticRegression().fit(X_train, y_train).score(X_test, y_test)
    model = DPLogisticRegression(
        epsilon=1e4, data_norm=10.0, method=method, random_state=0
    ).fit(X_train, y_train)
    assert model.score(X_test, y_test) >= reference - 0.02


@pytest.mark.parametrize("method", ["output", "objective"])
def test_tiny_epsilon_is_close_to_chance(split, method):
    X_train, X_test, y_train, y_test = split
    scores = [
        DPLogisticRegression(
            epsilon=1e-3, C=1.0, data_norm=10.0, method=method, random_state=seed
        )
        .fit(X_train, y_train)
        .score(X_test, y_test)
        for seed in range(20)
    ]
    assert 0.38 < np.mean(scores) < 0.62


def test_data_derived_norm_bound_warns_that_the_guarantee_is_lost():
    X, y = _unit_ball_data()
    with pytest.warns(PrivacyLeakWarning, match="does not hold"):
        model = DPLogisticRegression(random_state=0).fit(X * 3, y)
    assert model.data_norm_ == pytest.approx(np.linalg.norm(X * 3, axis=1).max())
    with warnings.catch_warnings():
        warnings.simplefilter("error", PrivacyLeakWarning)
        DPLogisticRegression(data_norm=3.0, random_state=0).fit(X * 3, y)


def test_rows_are_clipped_to_the_norm_bound():
    X, y = _unit_ball_data()
    wild = X.copy()
    wild[:10] *= 1000.0
    bound = 2.0
    norms = np.linalg.norm(wild, axis=1)
    clipped = wild * np.minimum(1.0, bound / norms)[:, None]
    params = {"epsilon": 1.0, "data_norm": bound, "random_state": 0}
    on_wild = DPLogisticRegression(**params).fit(wild, y)
    on_clipped = DPLogisticRegression(**params).fit(clipped, y)
    assert np.allclose(on_wild.coef_, on_clipped.coef_)
    assert np.allclose(on_wild.intercept_, on_clipped.intercept_)
    unclipped = DPLogisticRegression(**{**params, "data_norm": 2000.0}).fit(wild, y)
    assert not np.allclose(unclipped.coef_ * 2000.0, on_wild.coef_ * bound, rtol=0.1)


def test_multiclass_splits_the_budget_one_vs_rest():
    X, y = make_classification(
        n_samples=600,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        random_state=0,
    )
    model = DPLogisticRegression(epsilon=3.0, C=0.5, data_norm=5.0, random_state=0)
    model.fit(X, y)
    assert model.coef_.shape == (3, 4)
    assert model.intercept_.shape == (3,)
    assert model.epsilon_per_model_ == pytest.approx(1.0)
    assert model.noise_scale_ == pytest.approx(2 * 0.5 / 1.0)
    proba = model.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert model.decision_function(X).shape == (600, 3)
    assert set(model.predict(X)) <= {0, 1, 2}


def test_binary_api_and_labels_of_any_type():
    X, y = _unit_ball_data()
    labels = np.where(y == 1, "yes", "no")
    model = DPLogisticRegression(epsilon=1e4, data_norm=1.0, random_state=0)
    model.fit(X, labels)
    assert list(model.classes_) == ["no", "yes"]
    assert model.decision_function(X).shape == (200,)
    proba = model.predict_proba(X)
    assert np.array_equal(model.classes_[proba.argmax(axis=1)], model.predict(X))
    assert model.score(X, labels) > 0.8


def test_objective_perturbation_follows_algorithm_2():
    X, y = _unit_ball_data(n=400)
    n, c = 400, 0.25
    lam = 1.0 / n  # C = 1
    ratio = c / (n * lam)
    roomy = DPLogisticRegression(
        epsilon=1.0, data_norm=1.0, method="objective", random_state=0
    ).fit(X, y)
    eps_prime = 1.0 - np.log(1 + 2 * ratio + ratio**2)
    assert roomy.extra_regularization_ == 0.0
    assert roomy.noise_scale_ == pytest.approx(2.0 / eps_prime)
    tight = DPLogisticRegression(
        epsilon=0.3, data_norm=1.0, method="objective", random_state=0
    ).fit(X, y)
    delta = c / (n * (np.exp(0.3 / 4) - 1)) - lam
    assert tight.extra_regularization_ == pytest.approx(delta)
    assert tight.extra_regularization_ > 0
    assert tight.noise_scale_ == pytest.approx(2.0 / 0.15)


def test_single_class_is_refused_with_a_clear_message():
    X, _ = _unit_ball_data()
    with pytest.raises(ValueError, match="at least 2 classes"):
        DPLogisticRegression(data_norm=1.0).fit(X, np.zeros(len(X)))
