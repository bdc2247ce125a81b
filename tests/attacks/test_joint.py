"""Joint inference of several unknown columns (sensitive=[...])."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import cross_val_score

from skinvert.attacks import CSMIA, FredriksonInversion, ImputationBaseline
from skinvert.utils._testing import StubTarget


def _two_leaks(n=3000, seed=0):
    """Columns 0 (binary) and 1 (three values) both push the label."""
    rng = np.random.default_rng(seed)
    s1, s2 = rng.integers(0, 2, n), rng.integers(0, 3, n)
    x = rng.standard_normal((n, 3))
    y = (x[:, 0] + 2.0 * (2 * s1 - 1) + 1.5 * (s2 - 1) > 0).astype(int)
    y = np.where(rng.random(n) < 0.2, 1 - y, y)
    X = np.column_stack([s1, s2, x]).astype(float)
    return X, y


@pytest.mark.parametrize("attack_class", [FredriksonInversion, CSMIA])
def test_joint_attack_beats_imputation_for_the_pair_on_members(attack_class):
    X, y = _two_leaks()
    view, pair = np.column_stack([X, y]), X[:, :2]
    members, aux = slice(0, 1000), slice(1000, 2000)
    target = RandomForestClassifier(n_estimators=40, random_state=0)
    target.fit(X[members], y[members])
    attack = attack_class(target, sensitive=[0, 1], label=5).fit(view[aux], pair[aux])
    baseline = ImputationBaseline(sensitive=[0, 1], label=5, random_state=0)
    baseline.fit(view[aux], pair[aux])
    attack_score = attack.score(view[members], pair[members])
    assert attack_score - baseline.score(view[members], pair[members]) > 0.15
    assert attack.queries_per_victim_ == 6
    # score is the fraction of victims with both values right
    both = (attack.predict(view[members]) == pair[members]).all(axis=1).mean()
    assert attack_score == pytest.approx(both)


class _TableTarget(ClassifierMixin, BaseEstimator):
    """P(label 1) looked up by victim (column 2) and the two candidates (0, 1)."""

    classes_ = np.array([0, 1])

    def __init__(self, table=None):
        self.table = table

    def __sklearn_is_fitted__(self):
        return True

    def fit(self, X, y=None):
        return self

    def predict_proba(self, X):
        X = np.asarray(X, dtype=float).astype(int)
        p = np.asarray(self.table)[X[:, 2], X[:, 0], X[:, 1]]
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)


def test_joint_candidates_prior_and_outputs_by_hand():
    # aux: (0, 0) x2, (0, 1) x1, (1, 0) x1; (1, 1) never occurs.
    s_aux = np.array([[0, 0], [0, 0], [0, 1], [1, 0]])
    aux = np.column_stack([np.full((4, 2), np.nan), np.zeros(4), np.ones(4)])
    table = np.array(
        [[[0.1, 0.2], [0.9, 0.3]], [[0.01, 0.01], [0.01, 0.99]]]
    )  # [victim, s1, s2]
    attack = FredriksonInversion(_TableTarget(table), sensitive=[0, 1], label=3)
    attack.fit(aux, s_aux)
    assert attack.classes_.dtype == object
    assert attack.classes_.tolist() == [(0, 0), (0, 1), (1, 0), (1, 1)]
    np.testing.assert_array_equal(attack.candidates_, [[0, 0], [0, 1], [1, 0], [1, 1]])
    # joint counts (2, 1, 1, 0) smoothed by the product of the marginals
    marginals = np.outer([3 / 4, 1 / 4], [3 / 4, 1 / 4]).ravel()
    prior = (np.array([2, 1, 1, 0]) + marginals) / 5
    np.testing.assert_allclose(attack.prior_, prior)
    assert attack.prior_[3] > 0 and attack.queries_per_victim_ == 4

    victims = np.array([[np.nan, np.nan, 0, 1], [np.nan, np.nan, 1, 1]])
    expected = table.reshape(2, 4) * prior
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(attack.predict_proba(victims), expected)
    predicted = attack.predict(victims)  # strong evidence beats a small prior
    np.testing.assert_array_equal(predicted, [[1, 0], [1, 1]])
    filled = attack.transform(victims)
    np.testing.assert_array_equal(filled, [[1, 0, 0], [1, 1, 1]])
    assert attack.score(victims, [[1, 0], [1, 0]]) == 0.5


def test_guard_on_the_number_of_combinations():
    rng = np.random.default_rng(0)
    s = rng.integers(0, 20, (2000, 3))
    X = np.column_stack([s, rng.integers(0, 2, 2000)]).astype(float)
    attack = CSMIA(StubTarget(), sensitive=[0, 1, 2], label=3)
    with pytest.raises(ValueError) as error:
        attack.fit(X, s)
    message = str(error.value)
    for part in ("8000", "20 x 20 x 20", "max_candidates=4096", "fewer columns"):
        assert part in message
    assert attack.set_params(max_candidates=8000).fit(X, s).candidates_.shape == (
        8000,
        3,
    )
    with pytest.raises(ValueError, match=r"has 20 candidate values.*Regressor"):
        CSMIA(StubTarget(), sensitive=0, label=3, max_candidates=10).fit(X, s[:, 0])


def test_single_column_behaviour_is_unchanged():
    X, y = _two_leaks(900)
    view = np.column_stack([X, y])
    target = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    results = []
    for sensitive in (0, [0], (0,)):
        attack = FredriksonInversion(target, sensitive=sensitive, label=5)
        attack.fit(view[300:], X[300:, 0])
        results.append(attack)
        assert attack.classes_.dtype == float and attack.classes_.shape == (2,)
        assert attack.predict(view[:300]).shape == (300,)
    for attack in results[1:]:
        np.testing.assert_array_equal(
            attack.predict_proba(view[:300]), results[0].predict_proba(view[:300])
        )
        np.testing.assert_array_equal(attack.prior_, results[0].prior_)


def test_per_column_candidates_and_bad_y():
    X, y = _two_leaks(300)
    view, pair = np.column_stack([X, y]), X[:, :2]
    attack = FredriksonInversion(
        StubTarget(), sensitive=[0, 1], label=5, candidates=[[0, 1], [0, 1, 2, 3]]
    ).fit(view, pair)
    assert attack.candidates_.shape == (8, 2)
    assert attack.prior_[[3, 7]].tolist() == [0.0, 0.0]  # value 3 never seen
    with pytest.raises(ValueError, match="list of 2 per-column value lists"):
        attack.set_params(candidates=[[0, 1]]).fit(view, pair)
    with pytest.raises(ValueError, match=r"\[2\.0\] occur in column 1 of y"):
        attack.set_params(candidates=[[0, 1], [0, 1]]).fit(view, pair)
    attack.set_params(candidates=None)
    with pytest.raises(ValueError, match=r"y must have shape \(300, 2\)"):
        attack.fit(view, pair[:, 0])
    with pytest.raises(ValueError, match="300 records but the sensitive values"):
        attack.fit(view, pair[:10])


def test_dataframe_partial_knowledge_with_a_pipeline_target():
    # The attacker knows neither religion (sensitive) nor region (a feature it
    # lacks): both are inferred jointly, Mehnaz et al.'s partial knowledge.
    pd = pytest.importorskip("pandas")
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    n = 900
    religion = rng.choice(["none", "catholic", "protestant"], size=n)
    region = rng.choice(["north", "south"], size=n)
    happy = (religion == "none") ^ (rng.random(n) < 0.1)
    frame = pd.DataFrame(
        {"age": rng.integers(18, 70, n), "religion": religion, "region": region}
    )
    frame["religion"] = frame["religion"].astype("category")
    encoder = make_column_transformer(
        (OneHotEncoder(), ["religion", "region"]), remainder="passthrough"
    )
    target = make_pipeline(encoder, LogisticRegression()).fit(frame, happy)
    view = frame.assign(happy=happy.astype(int))
    attack = CSMIA(target, sensitive=["religion", "region"], label="happy")
    attack.fit(view.iloc[:600], frame[["religion", "region"]].iloc[:600])
    victims = view.iloc[600:].drop(columns=["religion", "region"])
    predicted = attack.predict(victims)
    assert predicted.shape == (300, 2) and predicted.dtype == object
    assert set(predicted[:, 0]) <= {"none", "catholic", "protestant"}
    filled = attack.transform(victims)
    assert list(filled.columns) == ["age", "religion", "region"]
    np.testing.assert_array_equal(filled[["religion", "region"]].to_numpy(), predicted)
    truth = frame[["religion", "region"]].iloc[600:].to_numpy()
    assert attack.score(victims, truth) == np.mean((predicted == truth).all(axis=1))
    assert np.mean(predicted[:, 0] == truth[:, 0]) > 0.55  # majority share ~ 1/3


def test_cross_validation_of_a_joint_attack_with_a_frozen_target():
    X, y = _two_leaks(900)
    view, pair = np.column_stack([X, y]), X[:, :2]
    target = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    attack = FredriksonInversion(FrozenEstimator(target), sensitive=[0, 1], label=5)
    scores = cross_val_score(attack, view, pair, cv=3)
    assert scores.shape == (3,) and np.all(scores > 1 / 6)
