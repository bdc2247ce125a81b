"""Target evidence times an imputation prior (Jayaraman & Evans, CCS 2022)."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier

from skinvert.attacks import CSMIA, FredriksonInversion, ImputationBaseline
from skinvert.attacks._combined import (
    TEMPERATURES,
    CombinedCSMIA,
    CombinedFredrikson,
    CombinedLabelOnly,
)
from skinvert.attacks._label_only import FredriksonLabelOnly
from skinvert.datasets import make_sensitive_classification
from skinvert.metrics import attack_balanced_accuracy
from skinvert.utils._sklearn import InvalidParameterError

COMBINED = [CombinedFredrikson, CombinedCSMIA, CombinedLabelOnly]
N = 1600


def _data(seed, n=N):
    """Sensitive value partly predictable from x, partly leaked through the label."""
    X, y = make_sensitive_classification(
        n_samples=n,
        leak=2.0,
        feature_dependence=2.0,
        label_noise=0.05,
        random_state=seed,
    )
    return X, y, np.column_stack([X, y])


_MEMBERS, _AUX, _NON_MEMBERS = (
    slice(0, N // 2),
    slice(N // 2, 3 * N // 4),
    slice(3 * N // 4, N),
)


def _attack(cls, target, label, **params):
    if cls is ImputationBaseline:
        return cls(target, sensitive=0, label=label, estimator=LogisticRegression())
    if cls.__name__.startswith("Combined"):
        params = {"imputer": LogisticRegression(), "random_state": 0, **params}
    return cls(target, sensitive=0, label=label, **params)


def _scores(classes, seeds):
    """Accuracy on members and on non-members, shape (n_classes, n_seeds, 2)."""
    out = np.empty((len(classes), len(seeds), 2))
    for j, seed in enumerate(seeds):
        X, y, view = _data(seed)
        target = RandomForestClassifier(n_estimators=30, random_state=0)
        target.fit(X[_MEMBERS], y[_MEMBERS])
        s = X[:, 0]
        for i, cls in enumerate(classes):
            attack = _attack(cls, target, X.shape[1]).fit(view[_AUX], s[_AUX])
            out[i, j] = [
                attack.score(view[_MEMBERS], s[_MEMBERS]),
                attack.score(view[_NON_MEMBERS], s[_NON_MEMBERS]),
            ]
    return out


def test_combined_fredrikson_beats_both_parts_on_members_not_worse_elsewhere():
    imputation, fredrikson, combined = _scores(
        [ImputationBaseline, FredriksonInversion, CombinedFredrikson], [0, 1, 2]
    )
    members = combined[:, 0]
    best_part = np.maximum(imputation[:, 0], fredrikson[:, 0])
    assert np.all(members >= best_part)
    assert np.mean(members - best_part) > 0.02
    # Non-members: the target knows nothing more than the population about them.
    assert np.all(combined[:, 1] >= imputation[:, 1] - 0.02)


def test_combined_label_only_and_csmia_improve_on_their_marginal_versions():
    scores = _scores(
        [
            ImputationBaseline,
            FredriksonLabelOnly,
            CombinedLabelOnly,
            CSMIA,
            CombinedCSMIA,
        ],
        [0, 1],
    )
    imputation, label_only, combined_label_only, csmia, combined_csmia = scores
    assert np.all(combined_label_only[:, 0] > label_only[:, 0] + 0.03)
    assert np.mean(combined_label_only[:, 0]) > np.mean(imputation[:, 0])
    assert np.all(combined_label_only[:, 1] >= imputation[:, 1] - 0.02)
    assert np.all(combined_csmia[:, 0] > csmia[:, 0] + 0.03)
    assert np.all(combined_csmia[:, 0] > imputation[:, 0])


def _blind_targets(X, y):
    """Targets whose answers do not depend on the sensitive column 0."""
    constant = X.copy()
    constant[:, 0] = 0.0
    forest = RandomForestClassifier(n_estimators=20, random_state=0)
    forest.fit(constant[_MEMBERS], y[_MEMBERS])
    dropping = make_pipeline(
        ColumnTransformer([("drop", "drop", [0])], remainder="passthrough"),
        LogisticRegression(),
    ).fit(X[_MEMBERS], y[_MEMBERS])
    return forest, dropping


@pytest.mark.parametrize("cls", COMBINED)
def test_blind_target_gives_exactly_the_imputation_baseline(cls):
    X, y, view = _data(0)
    X, y, view = X[: 3 * N // 4], y[: 3 * N // 4], view[: 3 * N // 4]
    s = X[:, 0]
    label = X.shape[1]
    for target in _blind_targets(X, y):
        # With the label known, the prior that sees it wins the cross-validation.
        attack = _attack(cls, target, label).fit(view[_AUX], s[_AUX])
        baseline = _attack(ImputationBaseline, target, label).fit(view[_AUX], s[_AUX])
        assert attack.label_in_prior_
        np.testing.assert_array_equal(
            attack.predict(view[_MEMBERS]), baseline.predict(view[_MEMBERS])
        )
        # A prior on the known features alone gives the label-free baseline.
        attack = _attack(cls, target, label, label_in_prior=False)
        attack.fit(view[_AUX], s[_AUX])
        baseline = _attack(ImputationBaseline, None, None).fit(X[_AUX], s[_AUX])
        np.testing.assert_allclose(
            attack.predict_proba(view[_MEMBERS]),
            baseline.predict_proba(X[_MEMBERS]),
            atol=1e-12,
        )
        np.testing.assert_array_equal(
            attack.predict(view[_MEMBERS]), baseline.predict(X[_MEMBERS])
        )


def test_default_imputer_is_the_baselines_and_infinite_temperature_is_imputation():
    X, y, view = _data(1, n=800)
    s = X[:, 0]
    target = RandomForestClassifier(n_estimators=10, random_state=0).fit(
        X[:400], y[:400]
    )
    attack = CombinedFredrikson(
        target, sensitive=0, label=X.shape[1], temperature=np.inf, random_state=0
    ).fit(view[400:600], s[400:600])
    baseline = ImputationBaseline(target, sensitive=0, label=X.shape[1], random_state=0)
    baseline.fit(view[400:600], s[400:600])
    np.testing.assert_array_equal(
        attack.predict_proba(view[:400]), baseline.predict_proba(view[:400])
    )
    assert type(attack.imputer_) is type(baseline.estimator_)


class _TableTarget(ClassifierMixin, BaseEstimator):
    """Confidences looked up by (column 1 = victim, column 0 = candidate)."""

    def __init__(self, table=None):
        self.table = table

    classes_ = np.array([0, 1])

    def __sklearn_is_fitted__(self):
        return True

    def fit(self, X, y=None):
        return self

    def predict_proba(self, X):
        X = np.asarray(X, dtype=float)
        return np.asarray(self.table)[X[:, 1].astype(int), X[:, 0].astype(int)]

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)


class _FixedPrior(ClassifierMixin, BaseEstimator):
    """An "imputer" whose posterior of value 0 is the last column of its input."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        p = np.asarray(X, dtype=float)[:, -1]
        return np.column_stack([p, 1.0 - p])


def _table_setting():
    # victim 0: the target favours candidate 1, the prior candidate 0;
    # victim 1: both candidates reproduce label 0; victim 2: neither does.
    table = np.array(
        [
            [[0.3, 0.7], [0.9, 0.1]],
            [[0.6, 0.4], [0.8, 0.2]],
            [[0.4, 0.6], [0.45, 0.55]],
        ]
    )
    # columns: sensitive, victim id, prior of value 0 (read by the imputer), label
    aux = np.array([[0, 0, 0.5, 0], [1, 1, 0.5, 0], [0, 2, 0.5, 0], [1, 0, 0.5, 0]])
    victims = np.array([[np.nan, 0, 0.8, 0], [np.nan, 1, 0.9, 0], [np.nan, 2, 0.3, 0]])
    return _TableTarget(table), aux, victims, table


def test_fredrikson_score_and_csmia_rules_by_hand():
    target, aux, victims, table = _table_setting()
    params = {
        "sensitive": 0,
        "label": 3,
        "imputer": _FixedPrior(),
        "label_in_prior": False,
        "temperature": 2.0,
        "smoothing": 0.1,
    }
    attack = CombinedFredrikson(target, **params).fit(aux, aux[:, 0])
    assert attack.cv_results_ is None
    prior = np.column_stack([victims[:, 2], 1 - victims[:, 2]])
    g = ((table[:, :, 0] + 0.1) / 1.2) ** 0.5
    expected = prior * g / (prior * g).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(attack.predict_proba(victims), expected)

    csmia = CombinedCSMIA(target, match_trust=0.6, **params).fit(aux, aux[:, 0])
    assert csmia.cv_results_ is None and csmia.match_trust_ == 0.6
    # One match (candidate 1) wins over the prior; two matches and no match go
    # to the larger combined posterior.
    np.testing.assert_array_equal(csmia.predict(victims), [1, expected[1].argmax(), 1])
    proba = csmia.predict_proba(victims)
    np.testing.assert_allclose(proba[1:], expected[1:])
    np.testing.assert_allclose(
        proba[0], [0.4 * expected[0, 0], 0.6 + 0.4 * expected[0, 1]]
    )
    # With no trust in the rules, the attack is CombinedFredrikson.
    blind = CombinedCSMIA(target, match_trust=0.0, **params).fit(aux, aux[:, 0])
    np.testing.assert_allclose(blind.predict_proba(victims), expected)


def test_cross_validation_is_deterministic_and_picks_from_the_grid():
    X, y, view = _data(3, n=800)
    s = X[:, 0]
    target = RandomForestClassifier(n_estimators=10, random_state=0).fit(
        X[:400], y[:400]
    )
    grid = [0.5, 2.0, np.inf]
    fits = [
        _attack(CombinedFredrikson, target, X.shape[1], temperature=grid, cv=3).fit(
            view[400:600], s[400:600]
        )
        for _ in range(2)
    ]
    results = fits[0].cv_results_
    assert fits[0].temperature_ in grid
    assert len(results["log_likelihood"]) == 2 * len(grid) * 4
    # The chosen point is within one standard error of the best held-out
    # log-likelihood, not below imputation's held-out accuracy beyond one
    # standard error and, among those, lets the target move the posterior most.
    chosen, best = fits[0].best_index_, np.argmax(results["log_likelihood"])
    assert results["temperature"][chosen] == fits[0].temperature_
    assert results["equivalent"][chosen] and results["equivalent"][best]
    assert results["safe"][chosen]
    gap = results["log_likelihood"][best] - results["log_likelihood"]
    np.testing.assert_array_equal(
        results["equivalent"], gap <= results["log_likelihood_se"]
    )
    imputation = np.flatnonzero(
        np.isinf(results["temperature"]) & results["label_in_prior"]
    )[0]
    assert results["safe"][imputation]
    eligible = results["equivalent"] & results["safe"]
    assert results["influence"][chosen] == results["influence"][eligible].max()
    strict = _attack(
        CombinedFredrikson, target, X.shape[1], temperature=grid, cv=3, tolerance=0
    ).fit(view[400:600], s[400:600])
    assert strict.best_index_ == best
    for key in results:
        np.testing.assert_array_equal(results[key], fits[1].cv_results_[key])
    np.testing.assert_array_equal(
        fits[0].predict_proba(view[600:]), fits[1].predict_proba(view[600:])
    )
    default = _attack(CombinedFredrikson, target, X.shape[1], cv=3)
    assert default.fit(view[400:600], s[400:600]).temperature_ in TEMPERATURES


@pytest.mark.parametrize("cls", COMBINED)
def test_folds_in_parallel_give_the_serial_fit(cls):
    X, y, view = _data(5, n=800)
    s = X[:, 0]
    target = RandomForestClassifier(n_estimators=10, random_state=0).fit(
        X[:400], y[:400]
    )
    serial, parallel = (
        _attack(cls, target, X.shape[1], cv=3, n_jobs=n_jobs).fit(
            view[400:600], s[400:600]
        )
        for n_jobs in (1, 2)
    )
    for key, values in serial.cv_results_.items():
        np.testing.assert_array_equal(parallel.cv_results_[key], values)
    np.testing.assert_array_equal(
        parallel.predict_proba(view[600:]), serial.predict_proba(view[600:])
    )


def test_without_label_and_in_cross_val_score_with_frozen_target():
    X, y, view = _data(4, n=800)
    s = X[:, 0]
    target = RandomForestClassifier(n_estimators=10, random_state=0).fit(
        X[:400], y[:400]
    )
    attack = _attack(CombinedFredrikson, FrozenEstimator(target), None, cv=3)
    attack.fit(X[400:], s[400:])
    assert attack.label_in_prior_ is False
    assert set(attack.cv_results_["label_in_prior"]) == {False}
    scores = cross_val_score(
        _attack(CombinedCSMIA, FrozenEstimator(target), X.shape[1], cv=2),
        view[400:],
        s[400:],
        cv=2,
    )
    assert scores.shape == (2,) and np.all(scores > 0.5)


def test_errors_name_the_parameter():
    X, y, _view = _data(0, n=200)
    target = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="label_in_prior=True"):
        CombinedFredrikson(target, label_in_prior=True).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="temperature must be"):
        CombinedFredrikson(target, temperature=[1.0, 0.0]).fit(X, X[:, 0])
    with pytest.raises(InvalidParameterError, match="temperature"):
        CombinedFredrikson(target, temperature=0.0).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="needs the victims' known task label"):
        CombinedLabelOnly(target).fit(X, X[:, 0])


def test_decision_rule_is_chosen_on_auxiliary_data_never_on_victims():
    X, y = make_sensitive_classification(
        n_samples=N,
        leak=2.0,
        feature_dependence=1.0,
        sensitive_weights=[0.85, 0.15],
        random_state=0,
    )
    view, s = np.column_stack([X, y]), X[:, 0]
    target = RandomForestClassifier(n_estimators=30, random_state=0)
    target.fit(X[_MEMBERS], y[_MEMBERS])
    for cls in (CombinedFredrikson, CombinedCSMIA):
        plain = _attack(cls, target, X.shape[1], cv=3).fit(view[_AUX], s[_AUX])
        balanced = _attack(
            cls, target, X.shape[1], cv=3, decision="balanced_accuracy"
        ).fit(view[_AUX], s[_AUX])
        np.testing.assert_array_equal(plain.decision_bias_, 0.0)
        assert balanced.decision_bias_[1] > 0.0
        gains = [
            attack_balanced_accuracy(s[part], balanced.predict(view[part]))
            - attack_balanced_accuracy(s[part], plain.predict(view[part]))
            for part in (_MEMBERS, _NON_MEMBERS)
        ]
        # measured: +0.042 on members, +0.003 on non-members
        assert gains[0] > 0.02 and gains[1] > -0.01
        shuffled = view[_MEMBERS].copy()
        np.random.default_rng(0).shuffle(shuffled[:, 0])
        np.testing.assert_array_equal(
            balanced.predict(shuffled), balanced.predict(view[_MEMBERS])
        )


def test_combined_csmia_does_not_let_the_match_rule_override_a_strong_imputer():
    # A near-perfect imputer: the single-match rule is wrong more often than it.
    # Trusting the target anyway (temperature=0.25) scores 0.03 below imputation
    # on average over these seeds; the calibrated attack stays within noise
    # (400 victims: one standard error of accuracy is about 0.013).
    scores = []
    for seed in range(4):
        X, y = make_sensitive_classification(
            n_samples=N, leak=2.0, feature_dependence=4.0, random_state=seed
        )
        view, s = np.column_stack([X, y]), X[:, 0]
        target = DecisionTreeClassifier(random_state=0)
        target.fit(X[_MEMBERS], y[_MEMBERS])
        row = []
        for cls in (ImputationBaseline, CombinedCSMIA):
            attack = _attack(cls, target, X.shape[1]).fit(view[_AUX], s[_AUX])
            row.append(attack.score(view[_NON_MEMBERS], s[_NON_MEMBERS]))
        scores.append(row)
    imputation, combined = np.array(scores).T
    assert combined.mean() >= imputation.mean() - 0.01
    assert np.all(combined >= imputation - 0.025)
