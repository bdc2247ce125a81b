import warnings

import numpy as np
import pytest
import sklearn
from scipy.special import expit
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skinvert.defenses import DPLogisticRegression, PrivacyLeakWarning
from skinvert.defenses._dp import sample_ball_noise
from skinvert.utils._sklearn import InvalidParameterError

CURVATURE = 0.25  # bound on the logistic loss's second derivative


@pytest.fixture(scope="module")
def split():
    X, y = make_classification(
        n_samples=3000, n_features=5, n_informative=3, class_sep=1.0, random_state=0
    )
    return train_test_split(X, y, test_size=0.5, random_state=0)


@pytest.fixture(scope="module")
def unit_split():
    """make_classification 2000 x 10, rows scaled to norm <= 1."""
    X, y = make_classification(n_samples=2000, n_features=10, random_state=0)
    X = X / np.linalg.norm(X, axis=1).max()
    return train_test_split(X, y, test_size=0.5, random_state=0)


def _unit_ball_data(n=200, d=3, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    X /= np.maximum(1.0, np.linalg.norm(X, axis=1))[:, None]
    weights = np.linspace(2.0, -1.0, d)
    y = (X @ weights + rng.normal(scale=0.3, size=n) > 0).astype(int)
    return X, y


def _private(**params):
    """A model whose guarantee holds: public norm bound and label set."""
    return DPLogisticRegression(**{"data_norm": 1.0, "classes": [0, 1], **params})


def _paper_formula(epsilon, n, C):
    """Algorithm 2 of Chaudhuri et al. with the branch switched below epsilon/2."""
    lam = 1.0 / (C * n)
    eps_prime = epsilon - np.log(
        1 + 2 * CURVATURE / (n * lam) + CURVATURE**2 / (n**2 * lam**2)
    )
    if eps_prime >= epsilon / 2:
        return eps_prime, 0.0
    return epsilon / 2, CURVATURE / (n * (np.exp(epsilon / 4) - 1)) - lam


def test_sampled_noise_norm_and_direction():
    rng = np.random.RandomState(0)
    draws = np.array([sample_ball_noise(rng, 4, 0.5) for _ in range(4000)])
    norms = np.linalg.norm(draws, axis=1)
    assert norms.mean() == pytest.approx(4 * 0.5, rel=0.03)
    assert norms.var() == pytest.approx(4 * 0.5**2, rel=0.1)
    assert np.abs(draws.mean(axis=0)).max() < 0.06


def test_objective_perturbation_is_the_default():
    assert DPLogisticRegression().method == "objective"


# (epsilon, C, n): plain branch; 0 < eps' < eps/2 (extra regularisation, less
# noise than the paper's rule); eps' <= 0 (the paper's own switch); multiclass.
@pytest.mark.parametrize(
    ("epsilon", "C", "n"),
    [(1.0, 1.0, 400), (5.0, 4.0, 200), (0.6, 1.0, 400), (0.3, 1.0, 400), (2.0, 8, 200)],
)
def test_noise_scale_equals_the_papers_formula(epsilon, C, n):
    X, y = _unit_ball_data(n=n)
    model = _private(epsilon=epsilon, C=C, random_state=0).fit(X, y)
    eps_prime, delta = _paper_formula(epsilon, n, C)
    lam = 1.0 / (C * n)
    assert model.regularization_ == pytest.approx(lam)
    assert model.epsilon_prime_ == pytest.approx(eps_prime)
    assert model.extra_regularization_ == pytest.approx(delta, abs=1e-15)
    assert model.sensitivity_ == 2.0
    assert model.noise_scale_ == pytest.approx(2.0 / eps_prime)
    # Theorem 9's accounting with the total regulariser Lambda + Delta: eps' plus
    # the Jacobian term never exceeds epsilon (equality when Delta > 0).
    total = lam + delta
    spent = eps_prime + np.log(
        1 + 2 * CURVATURE / (n * total) + CURVATURE**2 / (n * total) ** 2
    )
    assert spent <= epsilon + 1e-12
    if delta > 0:
        assert spent == pytest.approx(epsilon)
        plain = epsilon - 2 * np.log1p(CURVATURE / (n * lam))
        assert model.noise_scale_ < (2.0 / plain if plain > 0 else np.inf)


def test_multiclass_formula_uses_the_budget_per_model():
    X, y = make_classification(
        n_samples=600,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        random_state=0,
    )
    model = DPLogisticRegression(
        epsilon=3.0, C=0.5, data_norm=5.0, classes=[0, 1, 2], random_state=0
    ).fit(X, y)
    eps_prime, delta = _paper_formula(1.0, 600, 0.5)
    assert model.epsilon_per_model_ == pytest.approx(1.0)
    assert model.noise_scale_ == pytest.approx(2.0 / eps_prime)
    assert model.extra_regularization_ == pytest.approx(delta, abs=1e-15)


def _drawn_objective_noise(model, X, y):
    """Recover b from the optimality condition grad J + Delta w + b / n = 0."""
    Z = X / model.data_norm_  # rows already inside the bound, no intercept
    w = model.coef_[0] * model.data_norm_
    signs = np.where(y == model.classes_[1], 1.0, -1.0)
    margins = signs * (Z @ w)
    grad = Z.T @ (-signs * expit(-margins)) / len(Z)
    strength = model.regularization_ + model.extra_regularization_
    return -len(Z) * (grad + strength * w)


@pytest.mark.parametrize("epsilon", [0.5, 2.0])
def test_objective_noise_is_drawn_at_that_scale(epsilon):
    X, y = _unit_ball_data(n=300, d=12)
    norms = []
    for seed in range(40):
        model = _private(
            epsilon=epsilon, fit_intercept=False, tol=1e-10, random_state=seed
        ).fit(X, y)
        norms.append(np.linalg.norm(_drawn_objective_noise(model, X, y)))
    assert np.mean(norms) == pytest.approx(12 * model.noise_scale_, rel=0.12)


def test_accuracy_does_not_decrease_with_epsilon(unit_split):
    X_train, X_test, y_train, y_test = unit_split
    epsilons = [0.1, 0.25, 0.5, 0.7, 1.0, 2.0, 5.0]
    means = [
        np.mean(
            [
                _private(epsilon=epsilon, random_state=seed)
                .fit(X_train, y_train)
                .score(X_test, y_test)
                for seed in range(10)
            ]
        )
        for epsilon in epsilons
    ]
    assert np.all(np.diff(means) >= -0.005), dict(zip(epsilons, means))
    assert means[-1] > means[0] + 0.1


def test_huge_epsilon_matches_the_non_private_model(unit_split):
    X_train, X_test, y_train, y_test = unit_split
    model = _private(epsilon=1e6, C=2.0, random_state=0).fit(X_train, y_train)
    assert model.extra_regularization_ == 0.0
    # the same objective, solved by scikit-learn without noise
    Z = model._scaled(X_train, 1.0)
    exact = LogisticRegression(C=2.0, fit_intercept=False, tol=1e-10).fit(Z, y_train)
    released = np.append(model.coef_[0] * np.sqrt(2.0), model.intercept_ * np.sqrt(2))
    assert np.allclose(released, exact.coef_[0], atol=2e-3)
    reference = LogisticRegression().fit(X_train, y_train).score(X_test, y_test)
    assert model.score(X_test, y_test) >= reference - 0.01


@pytest.mark.parametrize(("C", "epsilon"), [(1.0, 2.0), (0.5, 4.0)])
def test_output_perturbation_noise_norm_follows_the_formula(C, epsilon):
    X, y = _unit_ball_data(d=20)  # many dimensions: few fits estimate E||b|| well
    n, d = X.shape
    exact = LogisticRegression(C=C, fit_intercept=False, tol=1e-12).fit(X, y).coef_
    lam = 1.0 / (C * n)
    scale = 2.0 / (n * lam * epsilon)
    norms = []
    for seed in range(60):
        model = _private(
            epsilon=epsilon,
            C=C,
            method="output",
            fit_intercept=False,
            random_state=seed,
        ).fit(X, y)
        norms.append(np.linalg.norm(model.coef_ - exact))
    assert model.sensitivity_ == pytest.approx(2.0 / (n * lam))
    assert model.epsilon_prime_ == epsilon
    assert model.noise_scale_ == pytest.approx(scale)
    assert np.mean(norms) == pytest.approx(d * scale, rel=0.12)


def test_output_perturbation_sensitivity_bounds_neighbouring_minimisers():
    X, y = _unit_ball_data(n=200, d=4)
    X = X / np.linalg.norm(X, axis=1)[:, None]  # every record on the unit sphere
    params = {"epsilon": 1e12, "C": 0.01, "method": "output", "fit_intercept": False}
    base = _private(**params, random_state=0).fit(X, y)
    gaps = []
    for i in range(0, 200, 20):
        other = X.copy()
        other[i] = -X[i]  # the neighbour pushes the other way, label unchanged
        moved = _private(**params, random_state=0).fit(other, y)
        gaps.append(np.linalg.norm(moved.coef_ - base.coef_))
    assert base.sensitivity_ == pytest.approx(2.0 / (200 * (1.0 / (0.01 * 200))))
    assert max(gaps) <= base.sensitivity_
    assert max(gaps) > 0.4 * base.sensitivity_  # the bound is nearly reached


def test_fit_is_deterministic_for_a_seed():
    X, y = _unit_ball_data()
    first = _private(random_state=7).fit(X, y)
    again = _private(random_state=7).fit(X, y)
    other = _private(random_state=8).fit(X, y)
    assert np.array_equal(first.coef_, again.coef_)
    assert np.array_equal(first.intercept_, again.intercept_)
    assert not np.allclose(first.coef_, other.coef_)


@pytest.mark.parametrize("method", ["output", "objective"])
def test_large_epsilon_approaches_the_non_private_model(split, method):
    X_train, X_test, y_train, y_test = split
    reference = LogisticRegression().fit(X_train, y_train).score(X_test, y_test)
    model = _private(epsilon=1e4, data_norm=10.0, method=method, random_state=0).fit(
        X_train, y_train
    )
    assert model.score(X_test, y_test) >= reference - 0.02


@pytest.mark.parametrize("method", ["output", "objective"])
def test_tiny_epsilon_is_close_to_chance(split, method):
    X_train, X_test, y_train, y_test = split
    scores = [
        _private(epsilon=1e-3, data_norm=10.0, method=method, random_state=seed)
        .fit(X_train, y_train)
        .score(X_test, y_test)
        for seed in range(20)
    ]
    assert 0.38 < np.mean(scores) < 0.62


def test_data_derived_norm_bound_warns_that_the_guarantee_is_lost():
    X, y = _unit_ball_data()
    with pytest.warns(PrivacyLeakWarning, match="does not hold"):
        model = DPLogisticRegression(classes=[0, 1], random_state=0).fit(X * 3, y)
    assert model.data_norm_ == pytest.approx(np.linalg.norm(X * 3, axis=1).max())
    with warnings.catch_warnings():
        warnings.simplefilter("error", PrivacyLeakWarning)
        _private(data_norm=3.0, random_state=0).fit(X * 3, y)


def _rare_label_neighbours():
    """Two training sets differing in one record, the only one with label 2."""
    X, y = _unit_ball_data(n=300)
    with_rare = y.copy()
    with_rare[0] = 2
    return X, with_rare, y


def test_given_classes_make_neighbouring_models_of_the_same_shape():
    X, with_rare, without = _rare_label_neighbours()
    params = {"epsilon": 1.0, "data_norm": 1.0, "classes": [0, 1, 2]}
    with warnings.catch_warnings():
        warnings.simplefilter("error", PrivacyLeakWarning)
        first = DPLogisticRegression(**params, random_state=0).fit(X, with_rare)
        second = DPLogisticRegression(**params, random_state=0).fit(X, without)
    assert first.coef_.shape == second.coef_.shape == (3, 3)
    assert list(first.classes_) == list(second.classes_) == [0, 1, 2]
    assert first.epsilon_per_model_ == second.epsilon_per_model_ == pytest.approx(1 / 3)


def test_classes_read_from_the_data_warn_that_rare_labels_show():
    X, with_rare, without = _rare_label_neighbours()
    with pytest.warns(PrivacyLeakWarning, match="set of labels is read from"):
        first = DPLogisticRegression(data_norm=1.0, random_state=0).fit(X, with_rare)
    with pytest.warns(PrivacyLeakWarning, match="set of labels is read from"):
        second = DPLogisticRegression(data_norm=1.0, random_state=0).fit(X, without)
    assert first.coef_.shape != second.coef_.shape  # what the warning is about


def test_given_classes_train_even_when_one_is_absent():
    X, _ = _unit_ball_data()
    model = _private(classes=["no", "yes"], random_state=0).fit(X, np.full(200, "no"))
    assert list(model.classes_) == ["no", "yes"]
    assert model.coef_.shape == (1, 3)
    assert set(model.predict(X)) <= {"no", "yes"}


@pytest.mark.parametrize(
    ("classes", "message"),
    [
        ([0], "at least 2 distinct labels"),
        ([0, 1, 1], "at least 2 distinct labels"),
        ([[0, 1]], "1-d list of labels"),
        ([0, 2], r"y holds labels that are not in classes=\[0, 2\]: \[1\]"),
    ],
)
def test_bad_classes_are_refused_and_the_model_is_untouched(classes, message):
    X, y = _unit_ball_data()
    model = _private(random_state=0).fit(X, y)
    coef = model.coef_.copy()
    with pytest.raises(ValueError, match=message):
        model.set_params(classes=classes).fit(X, y)
    assert np.array_equal(model.coef_, coef)
    assert list(model.classes_) == [0, 1]


def test_failed_refit_keeps_the_fitted_model_whole():
    X, y = _unit_ball_data()
    model = _private(random_state=0).fit(X, y)
    predictions = model.predict(X)
    wider = np.hstack([X, X])
    with pytest.raises(ValueError, match="not in classes"):
        model.set_params(classes=[0, 2]).fit(wider, y)
    assert model.n_features_in_ == 3
    assert np.array_equal(model.predict(X), predictions)


@pytest.mark.parametrize("epsilon", [np.nan, -1.0, 0.0, 0, np.inf])
@pytest.mark.parametrize("skip_nested_validation", [False, True])
def test_invalid_epsilon_is_refused(epsilon, skip_nested_validation):
    X, y = _unit_ball_data()
    model = _private(epsilon=epsilon)
    # callers that train models inside their own fit skip nested validation
    with (
        sklearn.config_context(skip_parameter_validation=skip_nested_validation),
        pytest.raises(InvalidParameterError, match="'epsilon' parameter"),
    ):
        model.fit(X, y)
    assert not hasattr(model, "coef_")


def test_infinite_epsilon_points_to_the_non_private_model():
    X, y = _unit_ball_data()
    with pytest.raises(ValueError, match=r"no noise.*LogisticRegression"):
        _private(epsilon=np.inf).fit(X, y)


@pytest.mark.parametrize(("param", "value"), [("C", -1.0), ("data_norm", np.nan)])
def test_other_invalid_parameters_are_refused_when_nested(param, value):
    X, y = _unit_ball_data()
    with (
        sklearn.config_context(skip_parameter_validation=True),
        pytest.raises(InvalidParameterError, match=f"'{param}' parameter"),
    ):
        _private(**{param: value}).fit(X, y)


def test_rows_are_clipped_to_the_norm_bound():
    X, y = _unit_ball_data()
    wild = X.copy()
    wild[:10] *= 1000.0
    bound = 2.0
    norms = np.linalg.norm(wild, axis=1)
    clipped = wild * np.minimum(1.0, bound / norms)[:, None]
    params = {"epsilon": 1.0, "data_norm": bound, "random_state": 0}
    on_wild = _private(**params).fit(wild, y)
    on_clipped = _private(**params).fit(clipped, y)
    assert np.allclose(on_wild.coef_, on_clipped.coef_)
    assert np.allclose(on_wild.intercept_, on_clipped.intercept_)
    unclipped = _private(**{**params, "data_norm": 2000.0}).fit(wild, y)
    assert not np.allclose(unclipped.coef_ * 2000.0, on_wild.coef_ * bound, rtol=0.1)


@pytest.mark.parametrize("method", ["output", "objective"])
def test_multiclass_splits_the_budget_one_vs_rest(method):
    X, y = make_classification(
        n_samples=600,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        random_state=0,
    )
    model = DPLogisticRegression(
        epsilon=3.0,
        C=0.5,
        data_norm=5.0,
        method=method,
        classes=[0, 1, 2],
        random_state=0,
    )
    model.fit(X, y)
    assert model.coef_.shape == (3, 4)
    assert model.intercept_.shape == (3,)
    assert model.epsilon_per_model_ == pytest.approx(1.0)
    if method == "output":
        assert model.noise_scale_ == pytest.approx(2 * 0.5 / 1.0)
    proba = model.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert model.decision_function(X).shape == (600, 3)
    assert set(model.predict(X)) <= {0, 1, 2}
    assert model.score(X, y) > 0.5  # better than the chance of 1/3


def test_binary_api_and_labels_of_any_type():
    X, y = _unit_ball_data()
    labels = np.where(y == 1, "yes", "no")
    model = _private(epsilon=1e4, classes=["yes", "no"], random_state=0)
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
    roomy = _private(epsilon=1.0, method="objective", random_state=0).fit(X, y)
    eps_prime = 1.0 - np.log(1 + 2 * ratio + ratio**2)
    assert roomy.extra_regularization_ == 0.0
    assert roomy.noise_scale_ == pytest.approx(2.0 / eps_prime)
    tight = _private(epsilon=0.3, method="objective", random_state=0).fit(X, y)
    delta = c / (n * (np.exp(0.3 / 4) - 1)) - lam
    assert tight.extra_regularization_ == pytest.approx(delta)
    assert tight.extra_regularization_ > 0
    assert tight.noise_scale_ == pytest.approx(2.0 / 0.15)


def test_single_class_is_refused_with_a_clear_message():
    X, _ = _unit_ball_data()
    with pytest.raises(ValueError, match=r"at least 2 classes.*classes="):
        DPLogisticRegression(data_norm=1.0).fit(X, np.zeros(len(X)))
