import pickle

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.validation import check_is_fitted

from skinvert import query_target
from skinvert.defenses import (
    LabelOnly,
    NoisyConfidences,
    RoundedConfidences,
    TopKConfidences,
)
from skinvert.utils._sklearn import InvalidParameterError


class TableTarget(ClassifierMixin, BaseEstimator):
    """A fitted-by-construction target answering row i of a table for input [i]."""

    def __init__(self, table=None, classes=None):
        self.table = table
        self.classes = classes

    def __sklearn_is_fitted__(self):
        return True

    @property
    def classes_(self):
        n = np.asarray(self.table).shape[1]
        return np.arange(n) if self.classes is None else np.asarray(self.classes)

    def predict_proba(self, X):
        return np.asarray(self.table)[np.asarray(X)[:, 0].astype(int)]

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _table(n=3000, k=4, seed=0):
    rng = np.random.RandomState(seed)
    concentration = rng.choice([0.2, 1.0, 20.0], size=n)[:, None]
    table = rng.gamma(concentration * np.ones(k))
    return table / table.sum(axis=1, keepdims=True)


def _index(n):
    return np.arange(n, dtype=float).reshape(-1, 1)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=300) > 0).astype(int)
    return X, y


ALL = [
    RoundedConfidences,
    TopKConfidences,
    LabelOnly,
    lambda e: NoisyConfidences(e, random_state=0),
]


@pytest.mark.parametrize("decimals", [0, 1, 2, 3])
def test_rounded_rows_are_distributions_on_the_grid(decimals):
    table = _table()
    released = RoundedConfidences(TableTarget(table), decimals=decimals).predict_proba(
        _index(len(table))
    )
    unit = 10.0**-decimals
    assert np.allclose(released.sum(axis=1), 1.0, atol=1e-12)
    assert np.allclose(released / unit, np.round(released / unit), atol=1e-9)
    assert np.array_equal(released.argmax(axis=1), table.argmax(axis=1))
    error = np.abs(released - table) / unit
    assert error.max() < 2.0
    # More than one unit off only where a unit moved to the top class to keep it
    # strictly first.
    moved = np.flatnonzero((error >= 1.0).any(axis=1))
    top = table.argmax(axis=1)[moved]
    assert np.all(released[moved, top] > table[moved, top])
    if decimals >= 2:
        assert moved.size < 0.02 * len(table)


def test_rounded_breaks_rounding_ties_toward_the_argmax():
    table = np.array([[0.496, 0.504], [0.504, 0.496], [0.5, 0.5], [0.3, 0.7]])
    released = RoundedConfidences(TableTarget(table), decimals=2).predict_proba(
        _index(4)
    )
    assert np.allclose(released, [[0.49, 0.51], [0.51, 0.49], [0.5, 0.5], [0.3, 0.7]])
    one_hot = RoundedConfidences(TableTarget(table), decimals=0).predict_proba(
        _index(4)
    )
    assert np.array_equal(one_hot, np.eye(2)[[1, 0, 0, 1]])


def test_top_k_keeps_the_largest_confidences_renormalised():
    table = _table()
    released = TopKConfidences(TableTarget(table), k=2).predict_proba(
        _index(len(table))
    )
    assert np.array_equal((released > 0).sum(axis=1), np.full(len(table), 2))
    top2 = np.sort(table, axis=1)[:, -2:]
    assert np.allclose(np.sort(released, axis=1)[:, -2:], top2 / top2.sum(1)[:, None])
    assert np.array_equal(released.argmax(axis=1), table.argmax(axis=1))
    everything = TopKConfidences(TableTarget(table), k=9).predict_proba(_index(10))
    assert np.allclose(everything, table[:10])


def test_label_only_releases_the_one_hot_of_predict():
    class PredictOnly(ClassifierMixin, BaseEstimator):
        classes_ = np.array(["no", "yes"])

        def __sklearn_is_fitted__(self):
            return True

        def predict(self, X):
            return np.where(np.asarray(X)[:, 0] > 0, "yes", "no")

    defense = LabelOnly(PredictOnly())
    X = np.array([[1.0], [-1.0], [2.0]])
    assert np.array_equal(defense.predict_proba(X), [[0, 1], [1, 0], [0, 1]])
    assert list(defense.predict(X)) == ["yes", "no", "yes"]


@pytest.mark.parametrize("make", ALL)
def test_predict_is_the_wrapped_decision_and_argmax_matches(make, data):
    X, y = data
    defense = make(LogisticRegression()).fit(X, y)
    model = LogisticRegression().fit(X, y)
    assert np.array_equal(defense.predict(X), model.predict(X))
    proba = defense.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.array_equal(proba.argmax(axis=1), model.predict_proba(X).argmax(axis=1))


@pytest.mark.parametrize("make", ALL)
def test_frozen_target_is_usable_without_fit_and_survives_clone(make, data):
    X, y = data
    target = LogisticRegression().fit(X, y)
    defense = make(FrozenEstimator(target))
    check_is_fitted(defense)
    assert np.array_equal(defense.classes_, target.classes_)
    assert defense.n_features_in_ == 4
    expected = defense.predict_proba(X)
    copy = clone(defense)
    assert copy.estimator is defense.estimator
    assert np.array_equal(copy.predict_proba(X), expected)
    copy.fit(X[:10], y[:10])  # the frozen target is not refitted
    assert copy.estimator_.estimator is target
    assert np.array_equal(copy.predict_proba(X), expected)


def test_unfitted_wrapper_says_how_to_fix_it(data):
    X, _ = data
    defense = RoundedConfidences(LogisticRegression())
    assert not hasattr(defense, "classes_")
    with pytest.raises(NotFittedError, match="FrozenEstimator"):
        defense.predict_proba(X)


def test_parameters_are_validated_without_fit(data):
    X, y = data
    target = FrozenEstimator(LogisticRegression().fit(X, y))
    with pytest.raises(InvalidParameterError, match="decimals"):
        RoundedConfidences(target, decimals=-1).predict_proba(X)
    with pytest.raises(InvalidParameterError, match="noise"):
        NoisyConfidences(target, noise="uniform").predict_proba(X)


def test_target_answers_that_are_not_distributions_are_refused():
    table = np.array([[0.5, np.nan], [0.2, 0.2]])
    with pytest.raises(ValueError, match="NaN"):
        RoundedConfidences(TableTarget(table)).predict_proba(_index(1))
    with pytest.raises(ValueError, match="sum to one"):
        TopKConfidences(TableTarget(table)).predict_proba(_index(2)[1:])


@pytest.mark.parametrize("make", ALL)
def test_dataframes_with_strings_reach_a_pipeline_target_untouched(make):
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "job": rng.choice(["clerk", "nurse", "pilot"], size=200),
            "age": rng.randint(20, 70, size=200).astype(float),
        }
    )
    y = ((frame["job"] == "pilot") | (frame["age"] > 50)).astype(int)
    pipeline = make_pipeline(
        ColumnTransformer([("job", OneHotEncoder(), ["job"])], remainder="passthrough"),
        LogisticRegression(),
    )
    defense = make(pipeline).fit(frame, y)
    assert list(defense.feature_names_in_) == ["job", "age"]
    proba = defense.predict_proba(frame)
    assert proba.shape == (200, 2)
    assert np.array_equal(proba[:50], defense.predict_proba(frame.iloc[:50]))


def test_grid_search_tunes_decimals_with_the_wrapped_models_parameters(data):
    X, y = data
    search = GridSearchCV(
        RoundedConfidences(LogisticRegression()),
        {"decimals": [0, 3], "estimator__C": [0.01, 1.0]},
        scoring="neg_log_loss",
        cv=3,
    ).fit(X, y)
    assert search.best_params_["decimals"] == 3
    best = search.best_estimator_
    assert search.best_params_["estimator__C"] == best.estimator_.C


def _noisy(table, **params):
    return NoisyConfidences(TableTarget(table), **params)


def test_noise_depends_on_the_row_not_on_batching_or_threads():
    table = _table(n=4000)
    X = _index(len(table))
    defense = _noisy(table, scale=0.5, random_state=3)
    whole = defense.predict_proba(X)
    assert not np.allclose(whole, table)
    order = np.random.RandomState(0).permutation(len(X))
    assert np.array_equal(defense.predict_proba(X[order]), whole[order])
    assert np.array_equal(defense.predict_proba(X[5:6]), whole[5:6])
    threaded = query_target(defense, X, batch_size=97, n_jobs=4)
    assert np.array_equal(threaded, whole)
    assert np.array_equal(defense.predict_proba(X), whole)  # repeats do not average
    other = _noisy(table, scale=0.5, random_state=4).predict_proba(X)
    assert not np.allclose(other, whole)


def test_noise_key_from_none_is_kept_per_instance():
    table = _table(n=50)
    defense = _noisy(table, scale=0.5)
    first = defense.predict_proba(_index(50))
    assert np.array_equal(defense.predict_proba(_index(50)), first)
    assert not np.allclose(clone(defense).predict_proba(_index(50)), first)
    fresh = _noisy(table, scale=0.5)
    copies = [pickle.loads(pickle.dumps(fresh)) for _ in range(2)]
    answers = [copy.predict_proba(_index(50)) for copy in [*copies, fresh]]
    assert np.array_equal(answers[0], answers[1])
    assert np.array_equal(answers[0], answers[2])


@pytest.mark.parametrize(
    ("noise", "spread"), [("laplace", 2.0), ("gaussian", np.sqrt(2.0))]
)
def test_noise_on_log_confidences_has_the_requested_scale(noise, spread):
    table = _table(n=20000, k=2)
    defense = _noisy(table, scale=0.3, noise=noise, keep_label=False, random_state=0)
    released = defense.predict_proba(_index(len(table)))
    assert np.allclose(released.sum(axis=1), 1.0)
    shift = np.log(released[:, 1] / released[:, 0]) - np.log(table[:, 1] / table[:, 0])
    # log-ratio shifts by z1 - z0: std 2b (Laplace b) or sqrt(2) sigma (Gaussian)
    assert abs(shift.mean()) < 0.02
    assert shift.std() == pytest.approx(spread * 0.3, rel=0.05)


def test_keep_label_controls_whether_noise_may_change_the_decision():
    table = _table(n=3000)
    X = _index(len(table))
    kept = _noisy(table, scale=2.0, random_state=0)
    assert np.array_equal(kept.predict_proba(X).argmax(axis=1), table.argmax(axis=1))
    assert np.array_equal(kept.predict(X), table.argmax(axis=1))
    free = _noisy(table, scale=2.0, keep_label=False, random_state=0)
    noisy = free.predict_proba(X)
    changed = noisy.argmax(axis=1) != table.argmax(axis=1)
    assert 0.05 < changed.mean() < 0.9
    assert np.array_equal(free.predict(X), noisy.argmax(axis=1))


def test_noise_is_deterministic_for_string_rows():
    table = _table(n=4)
    target = TableTarget(table)
    rows = np.array([[0, "a"], [1, "bb"], [2, "a"], [3, None]], dtype=object)
    defense = NoisyConfidences(target, scale=1.0, random_state=0)
    whole = defense.predict_proba(rows)
    assert np.array_equal(defense.predict_proba(rows[2:]), whole[2:])


def test_an_attack_runs_against_a_defended_frozen_target(data):
    X, y = data
    target = LogisticRegression().fit(X, y)
    defended = RoundedConfidences(FrozenEstimator(target), decimals=1)
    answers = query_target(defended, X[:20], [0], np.array([[-1.0], [1.0]]), n_jobs=2)
    assert answers.shape == (20, 2, 2)
    assert np.allclose(answers * 10, np.round(answers * 10))
    attacks = pytest.importorskip("skinvert.attacks")
    s = (X[:, 0] > 0).astype(int)
    attack = attacks.FredriksonInversion(defended, sensitive=0)
    assert attack.fit(X, s).predict(X).shape == (300,)


def test_near_repeats_get_the_same_noise_and_do_not_average_it_away():
    from scipy import sparse
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 5))
    y = (X[:, 0] + X[:, 1] + 0.5 * rng.normal(size=400) > 0).astype(int)
    model = RandomForestClassifier(n_estimators=30, min_samples_leaf=5, random_state=0)
    model.fit(X[:200], y[:200])
    victims = X[200:300]
    truth = model.predict_proba(victims)
    for keep_label in (True, False):
        defense = NoisyConfidences(
            FrozenEstimator(model), scale=1.0, keep_label=keep_label, random_state=0
        )
        dense = defense.predict_proba(victims)
        np.testing.assert_array_equal(
            defense.predict_proba(sparse.csr_matrix(victims)), dense
        )
        np.testing.assert_array_equal(
            defense.predict_proba(victims.astype(object)), dense
        )

        def logit(p):
            p = np.clip(p[:, 1], 1e-12, 1 - 1e-12)
            return np.log(p / (1 - p))

        mask = (truth[:, 1] > 0.02) & (truth[:, 1] < 0.98)
        one = np.abs(logit(dense) - logit(truth))[mask].mean()
        total = np.zeros(len(victims))
        for i in range(256):
            nudged = victims.copy()
            nudged[:, 4] += (i + 1) * 1e-13  # below float32 resolution
            total += logit(defense.predict_proba(nudged))
        averaged = np.abs(total / 256 - logit(truth))[mask].mean()
        assert averaged > 0.9 * one  # averaging 256 near-repeats does not help
