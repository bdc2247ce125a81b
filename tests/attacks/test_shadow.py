"""Shadow targets and the shadow-calibrated attack."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier

from skinvert.attacks import CSMIA, ImputationBaseline
from skinvert.attacks._shadow import (
    ShadowCalibratedInversion,
    default_shadow_estimator,
    make_shadow_targets,
)
from skinvert.datasets import make_sensitive_classification
from skinvert.metrics import attack_balanced_accuracy
from skinvert.utils._sklearn import InvalidParameterError

N = 2000
MEMBERS, AUX, NON_MEMBERS = (
    slice(0, N // 2),
    slice(N // 2, 3 * N // 4),
    slice(3 * N // 4, N),
)
LABEL = 6


def _data(seed, n=N, **params):
    """A planted member leak (label noise the forest memorises), strong imputer."""
    params = {"leak": 2.0, "feature_dependence": 3.0, "label_noise": 0.05, **params}
    X, y = make_sensitive_classification(n_samples=n, random_state=seed, **params)
    return X, y, np.column_stack([X, y]), X[:, 0]


def _forest(X, y, n_estimators=30):
    forest = RandomForestClassifier(n_estimators=n_estimators, random_state=0)
    return forest.fit(X[MEMBERS], y[MEMBERS])


def _shadow(target, label=LABEL, **params):
    params = {"imputer": LogisticRegression(), "random_state": 0, **params}
    return ShadowCalibratedInversion(target, sensitive=0, label=label, **params)


def _imputation(label=LABEL):
    return ImputationBaseline(sensitive=0, label=label, estimator=LogisticRegression())


@pytest.mark.parametrize("seed", range(5))
def test_beats_both_parents_on_members_and_matches_imputation_elsewhere(seed):
    X, y, view, s = _data(seed)
    target = _forest(X, y)
    scores = {}
    for name, attack in (
        ("imputation", _imputation()),
        ("csmia", CSMIA(target, sensitive=0, label=LABEL)),
        ("shadow", _shadow(target)),
    ):
        attack.fit(view[AUX], s[AUX])
        scores[name] = [
            attack.score(view[part], s[part]) for part in (MEMBERS, NON_MEMBERS)
        ]
    # Measured on seeds 0-4: member margin 0.007 to 0.024, non-members -0.006 to
    # +0.008 against imputation.
    assert scores["shadow"][0] > max(scores["imputation"][0], scores["csmia"][0])
    assert scores["shadow"][1] >= scores["imputation"][1] - 0.01


def _blind_targets(X, y):
    constant = X.copy()
    constant[:, 0] = 0.0
    forest = RandomForestClassifier(n_estimators=20, random_state=0)
    forest.fit(constant[MEMBERS], y[MEMBERS])
    dropping = make_pipeline(
        ColumnTransformer([("drop", "drop", [0])], remainder="passthrough"),
        LogisticRegression(),
    ).fit(X[MEMBERS], y[MEMBERS])
    return forest, dropping


def test_target_blind_to_the_sensitive_column_gives_the_imputation():
    X, y, view, s = _data(0, n=1200)
    members = slice(0, 600)
    for target in _blind_targets(X, y):
        for label in (LABEL, None):
            columns = view if label else X
            attack = _shadow(target, label=label).fit(columns[600:900], s[600:900])
            baseline = _imputation(label).fit(columns[600:900], s[600:900])
            np.testing.assert_array_equal(
                attack.predict(columns[members]), baseline.predict(columns[members])
            )


def test_decision_is_chosen_on_the_attackers_data_and_balances_the_classes():
    X, y, view, s = _data(0, sensitive_weights=[0.85, 0.15], feature_dependence=1.0)
    target = _forest(X, y)
    plain = _shadow(target).fit(view[AUX], s[AUX])
    balanced = _shadow(target, decision="balanced_accuracy").fit(view[AUX], s[AUX])
    np.testing.assert_array_equal(plain.decision_bias_, 0.0)
    assert balanced.decision_bias_[1] > balanced.decision_bias_[0]
    np.testing.assert_allclose(
        balanced.predict_proba(view[MEMBERS]), plain.predict_proba(view[MEMBERS])
    )
    for part in (MEMBERS, NON_MEMBERS):  # measured: +0.07 and +0.064
        assert (
            attack_balanced_accuracy(s[part], balanced.predict(view[part]))
            > attack_balanced_accuracy(s[part], plain.predict(view[part])) + 0.03
        )
    # The victims' sensitive column is never read: shuffling it changes nothing.
    shuffled = view[MEMBERS].copy()
    np.random.default_rng(0).shuffle(shuffled[:, 0])
    np.testing.assert_array_equal(
        balanced.predict(shuffled), balanced.predict(view[MEMBERS])
    )
    f1 = _shadow(target, decision=("f1", 1.0)).fit(view[AUX], s[AUX])
    assert f1.decision_bias_[0] == 0.0 and f1.decision_bias_[1] > 0.0


def test_deterministic_and_reports_what_the_shadows_show():
    X, y, view, s = _data(2, n=1200)
    target = _forest(X, y, n_estimators=10)
    fits = [_shadow(target).fit(view[600:900], s[600:900]) for _ in range(2)]
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)
    np.testing.assert_array_equal(
        fits[0].predict_proba(view[:600]), fits[1].predict_proba(view[:600])
    )
    results = fits[0].shadow_results_
    assert set(results) == {"members", "non_members"}
    assert results["members"]["attack"] >= results["members"]["imputation"]
    assert fits[0].queries_per_victim_ == 2
    # Without the label: confidence features only, shadows learn the target's labels.
    blind = _shadow(target, label=None).fit(X[600:900], s[600:900])
    assert blind.coef_.shape == (7,) and blind.predict(X[:5]).shape == (5,)


def test_make_shadow_targets_splits_in_halves_and_clones_the_target():
    X, y, _view, _s = _data(3, n=400)
    target = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X[:200], y[:200])
    serial = make_shadow_targets(
        FrozenEstimator(target), X[200:], y[200:], n_shadows=3, random_state=0
    )
    parallel = make_shadow_targets(
        target, X[200:], y[200:], n_shadows=3, random_state=0, n_jobs=2
    )
    (first, a), (second, b), (_third, c) = serial
    np.testing.assert_array_equal(a, ~b)
    assert a.sum() == 100 and c.sum() == 100
    assert type(first) is DecisionTreeClassifier and first.max_depth == 3
    assert first is not target and second.tree_ is not first.tree_
    for (m, mask), (p, pmask) in zip(serial, parallel):
        np.testing.assert_array_equal(mask, pmask)
        np.testing.assert_array_equal(m.predict_proba(X), p.predict_proba(X))
    assert isinstance(default_shadow_estimator(object()), RandomForestClassifier)

    class Client(BaseEstimator):
        def __init__(self, model):
            self.classes_ = model.classes_  # cannot be rebuilt unfitted

    client = Client(target)
    assert isinstance(default_shadow_estimator(client), RandomForestClassifier)


def test_a_defended_target_gets_shadows_that_learn_their_own_records():
    # RoundedConfidences(FrozenEstimator(tree)): a frozen model inside the
    # defense would ignore the shadow's records and answer as the target does
    from skinvert.defenses import RoundedConfidences

    X, y, _, _ = _data(0, n=400)
    target = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X[:200], y[:200])
    shadow = default_shadow_estimator(RoundedConfidences(FrozenEstimator(target)))
    assert isinstance(shadow, RoundedConfidences)
    assert type(shadow.estimator) is DecisionTreeClassifier
    shadow.fit(X[200:], 1 - y[200:])  # the opposite labels: learned, not frozen
    assert (shadow.predict(X[200:]) == 1 - y[200:]).mean() > 0.8
    # deeper: a counter around the defense, a pipeline step
    from sklearn.preprocessing import StandardScaler

    from skinvert.defenses import QueryCounter

    nested = QueryCounter(RoundedConfidences(FrozenEstimator(target)))
    assert type(default_shadow_estimator(nested).estimator.estimator) is type(target)
    piped = make_pipeline(StandardScaler(), FrozenEstimator(target))
    assert type(default_shadow_estimator(piped)[-1]) is type(target)


def test_errors_name_the_bad_parameter():
    X, y, view, s = _data(0, n=200)
    target = LogisticRegression().fit(X, y)
    with pytest.raises(InvalidParameterError, match="n_shadows"):
        _shadow(target, n_shadows=0).fit(view, s)
    with pytest.raises(InvalidParameterError, match="decision"):
        _shadow(target, decision="precision").fit(view, s)
    with pytest.raises(ValueError, match=r"decision=\('f1', 7\)"):
        _shadow(target, decision=("f1", 7)).fit(view, s)
    with pytest.raises(ValueError, match="decision must be"):
        _shadow(target, decision=("recall", 1.0)).fit(view, s)
    with pytest.raises(ValueError, match="at least 4 records"):
        _shadow(target).fit(view[:3], s[:3])
    with pytest.raises(ValueError, match="n_shadows must be"):
        make_shadow_targets(target, X, y, n_shadows=0)
    with pytest.raises(InvalidParameterError, match="tolerance"):
        _shadow(target, tolerance=-1).fit(view, s)
