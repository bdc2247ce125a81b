"""LearnedInversion: an attack model on the target's released answers."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from skinvert.attacks import (
    ImputationBaseline,
    ImputationRegressor,
    LearnedInversionRegressor,
)
from skinvert.attacks._learned import LearnedInversion
from skinvert.datasets import make_sensitive_classification

from ._continuous_data import _r2, _regression_split

OUTPUTS = ["proba", "topk", "label"]


@pytest.fixture(autouse=True, scope="module")
def _one_openmp_thread():
    """Gradient boosting's OpenMP threads stall on a busy machine; one is enough."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


class _LabelsOnly(BaseEstimator):
    """A model behind an API that answers labels only (no predict_proba)."""

    def __init__(self, model):
        self.model = model
        self.classes_ = model.classes_

    def fit(self, X, y=None):
        return self

    def predict(self, X):
        return self.model.predict(X)


def _split(seed, n=1500, **params):
    """Members train an overfit forest; auxiliary and non-member thirds follow."""
    params = {"leak": 3.0, "label_noise": 0.3, **params}
    X, y = make_sensitive_classification(n_samples=n, random_state=seed, **params)
    third = n // 3
    parts = slice(0, third), slice(third, 2 * third), slice(2 * third, n)
    model = RandomForestClassifier(n_estimators=30, random_state=0)
    return model.fit(X[parts[0]], y[parts[0]]), X, y, *parts


@pytest.mark.parametrize("seed", [0, 1])
def test_beats_imputation_on_members(seed):
    target, X, _, members, aux, _ = _split(seed)
    s = X[:, 0]
    attack = LearnedInversion(target, sensitive=0, random_state=0).fit(X[aux], s[aux])
    baseline = ImputationBaseline(sensitive=0, random_state=0).fit(X[aux], s[aux])
    margin = attack.score(X[members], s[members]) - baseline.score(
        X[members], s[members]
    )
    # Same knowledge (no label); measured over seeds 0-9: at least 0.11.
    assert margin > 0.07


@pytest.mark.parametrize("output", OUTPUTS)
def test_output_variants(output):
    target, X, y, members, aux, _ = _split(0, n=600, n_classes=3)
    view = np.column_stack([X, y])
    attack = LearnedInversion(
        target, sensitive=0, label=6, output=output, top_k=2, random_state=0
    )
    proba = attack.fit(view[aux], X[aux, 0]).predict_proba(view[members])
    assert proba.shape == (200, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert attack.queries_per_victim_ == 1
    assert attack.score(view[members], X[members, 0]) > 0.6


def test_released_answer_truncation():
    target, X, _, _, aux, _ = _split(0, n=300, n_classes=3)
    attack = LearnedInversion(target, sensitive=0, output="topk", top_k=2)
    attack.fit(X[aux], X[aux, 0])
    answers = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3], [0.4, 0.4, 0.2]])
    np.testing.assert_allclose(
        attack._release(answers), [[0, 0.5, 0.3], [0.6, 0, 0.3], [0.4, 0.4, 0]]
    )
    attack.set_params(top_k=3)  # keeping every class releases the full vector
    np.testing.assert_allclose(attack._release(answers), answers)
    attack.set_params(output="label")
    np.testing.assert_array_equal(
        attack._release(np.array([2, 0])), [[0, 0, 1], [1, 0, 0]]
    )


def test_full_confidences_reveal_more_than_labels():
    target, X, _, _, aux, non_members = _split(0)
    s = X[:, 0]
    scores = {}
    for output in ("proba", "label"):
        attack = LearnedInversion(target, sensitive=0, output=output, random_state=0)
        scores[output] = attack.fit(X[aux], s[aux]).score(
            X[non_members], s[non_members]
        )
    # Measured over seeds 0-9: proba ahead by 0.016 to 0.09.
    assert scores["proba"] >= scores["label"] + 0.01


def test_label_output_needs_only_predict():
    model, X, _, members, aux, _ = _split(0, n=600)
    target = _LabelsOnly(model)
    attack = LearnedInversion(target, sensitive=0, output="label", random_state=0)
    direct = LearnedInversion(model, sensitive=0, output="label", random_state=0)
    np.testing.assert_array_equal(
        attack.fit(X[aux], X[aux, 0]).predict_proba(X[members]),
        direct.fit(X[aux], X[aux, 0]).predict_proba(X[members]),
    )
    with pytest.raises(TypeError, match="predict_proba"):
        LearnedInversion(target, sensitive=0).fit(X[aux], X[aux, 0])


def _shuffled_sensitive(X, seed=0):
    shuffled = X.copy()
    shuffled[:, 0] = np.random.default_rng(seed).permutation(X[:, 0])
    return shuffled


def test_sensitive_column_only_reaches_the_target():
    _, X, y, members, aux, _ = _split(0, n=900)
    s = X[:, 0]
    blind = make_pipeline(
        ColumnTransformer([("drop", "drop", [0])], remainder="passthrough"),
        LogisticRegression(),
    ).fit(X[members], y[members])
    leaky = RandomForestClassifier(n_estimators=30, random_state=0)
    leaky.fit(X[members], y[members])
    victims = X[members]
    assert np.any(victims[:, 0] != _shuffled_sensitive(victims)[:, 0])
    for target, reads in ((blind, False), (leaky, True)):
        attack = LearnedInversion(target, sensitive=0, random_state=0)
        attack.fit(X[aux], s[aux])
        proba = attack.predict_proba(victims)
        moved = attack.predict_proba(_shuffled_sensitive(victims))
        assert np.array_equal(proba, moved) is not reads


def test_missing_sensitive_values_are_refused():
    target, X, _, members, aux, _ = _split(0, n=300)
    attack = LearnedInversion(target, sensitive=0).fit(X[aux], X[aux, 0])
    victims = X[members].copy()
    victims[:3, 0] = np.nan
    with pytest.raises(ValueError, match=r"sensitive=0 at inference.*3 victim"):
        attack.predict(victims)


def test_dataframe_absent_column_is_refused_and_present_one_is_used():
    pd = pytest.importorskip("pandas")
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    n = 600
    religion = rng.choice(["none", "catholic", "protestant"], size=n)
    frame = pd.DataFrame({"age": rng.integers(18, 70, n), "religion": religion})
    happy = ((religion == "none") ^ (rng.random(n) < 0.1)).astype(int)
    encoder = ColumnTransformer(
        [("onehot", OneHotEncoder(), ["religion"])], remainder="passthrough"
    )
    target = make_pipeline(encoder, LogisticRegression()).fit(frame[:300], happy[:300])
    before = frame.copy()
    attack = LearnedInversion(target, sensitive="religion", random_state=0)
    attack.fit(frame[300:], frame["religion"][300:])
    inferred = attack.predict(frame[:300])
    assert np.mean((inferred == "none") == (religion[:300] == "none")) > 0.8
    pd.testing.assert_frame_equal(frame, before)
    with pytest.raises(ValueError, match="religion"):
        attack.predict(frame[:300].drop(columns="religion"))


def test_deterministic_and_inputs_untouched():
    target, X, y, members, aux, _ = _split(0, n=600)
    view = np.column_stack([X, y])
    before = view.copy()
    first = LearnedInversion(target, sensitive=0, label=6, random_state=0)
    second = LearnedInversion(
        target, sensitive=0, label=6, random_state=0, batch_size=37
    )
    np.testing.assert_array_equal(
        first.fit(view[aux], X[aux, 0]).predict_proba(view[members]),
        second.fit(view[aux], X[aux, 0]).predict_proba(view[members]),
    )
    np.testing.assert_array_equal(view, before)


def test_fit_ignores_the_sensitive_column_content():
    target, X, _, members, aux, _ = _split(0, n=600)
    blanked = X[aux].copy()
    blanked[:, 0] = np.nan
    attack = LearnedInversion(target, sensitive=0, random_state=0)
    reference = LearnedInversion(target, sensitive=0, random_state=0)
    np.testing.assert_array_equal(
        attack.fit(blanked, X[aux, 0]).predict_proba(X[members]),
        reference.fit(X[aux], X[aux, 0]).predict_proba(X[members]),
    )


# ----------------------------------------------- continuous sensitive values
def test_learned_regressor_reads_the_released_answer_and_beats_imputation():
    # A target that generalises releases the value on non-members too.
    target, view, s, (_, aux, non_members) = _regression_split(0)
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
    target, view, s, (_, aux, victims) = _regression_split(0, n=900)
    blank = view[aux].copy()
    blank[:, 0] = np.nan
    first = LearnedInversionRegressor(target, sensitive=0, label=5, random_state=0)
    second = LearnedInversionRegressor(target, sensitive=0, label=5, random_state=0)
    np.testing.assert_array_equal(
        first.fit(view[aux], s[aux]).predict(view[victims]),
        second.fit(blank, s[aux]).predict(view[victims]),
    )
