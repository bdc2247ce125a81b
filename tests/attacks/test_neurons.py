"""NeuronOutputInversion and CombinedNeuronOutput: white-box attacks on MLPs."""

import warnings

import numpy as np
import pytest
from scipy.special import expit
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skinvert.attacks import FredriksonInversion, ImputationBaseline
from skinvert.attacks._neurons import (
    CombinedNeuronOutput,
    NeuronOutputInversion,
    _Network,
)


def _encoded(seed=0, n_members=2000, n_aux=100, n_features=40, leak=0.85):
    """The label is z = [w . x > 0]; the sensitive value a noisy copy of z.

    The network learns z from its members (its hidden layer encodes it, and it
    has little use for the sensitive column); the attacker's 100 auxiliary
    records in 40 dimensions are too few to learn z well.
    """
    rng = np.random.default_rng(seed)
    n = n_members + n_aux
    known = rng.normal(size=(n, n_features))
    z = known @ np.random.default_rng(100).normal(size=n_features) > 0
    s = np.where(rng.random(n) < leak, z, ~z).astype(float)
    y = z.astype(int)
    return np.column_stack([s, known]), y


def _mlp(X, y, hidden=(8,), max_iter=300, before=None):
    model = MLPClassifier(hidden, max_iter=max_iter, random_state=0)
    if before is not None:
        model = make_pipeline(before, model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


@pytest.fixture(scope="module")
def encoded():
    X, y = _encoded()
    return X, y, _mlp(X[:2000], y[:2000])


def test_beats_imputation_and_black_box_on_members(encoded):
    X, _, target = encoded
    members, aux = slice(0, 500), slice(2000, None)
    attack = NeuronOutputInversion(target, sensitive=0).fit(X[aux], X[aux, 0])
    ours = attack.score(X[members], X[members, 0])
    references = {
        "imputation": ImputationBaseline(sensitive=0, random_state=0),
        "logistic imputation": ImputationBaseline(
            sensitive=0, estimator=LogisticRegression()
        ),
        "fredrikson": FredriksonInversion(target, sensitive=0),
    }
    for name, reference in references.items():
        theirs = reference.fit(X[aux], X[aux, 0]).score(X[members], X[members, 0])
        assert ours > theirs + 0.05, (name, ours, theirs)
    assert attack.queries_per_victim_ == 0


def test_no_gain_where_the_network_holds_nothing_of_the_value():
    X, y = _encoded(seed=1, n_members=600, n_features=5)
    X[:, 0] = np.random.default_rng(7).integers(0, 2, X.shape[0])  # pure noise
    target = _mlp(X[:600], y[:600])
    attack = NeuronOutputInversion(target, sensitive=0).fit(X[600:], X[600:, 0])
    majority = max(np.mean(X[:600, 0]), 1 - np.mean(X[:600, 0]))
    assert attack.score(X[:600], X[:600, 0]) < majority + 0.06


def test_hidden_outputs_reproduce_the_network(encoded):
    X, _, target = encoded
    network = _Network(target, [-1], "NeuronOutputInversion")
    candidates = np.array([[0.0], [1.0]])
    outputs = list(network.by_candidate(X[:50], [0], candidates, 1000))
    for j, _, hidden in outputs:
        logits = hidden @ target.coefs_[-1] + target.intercepts_[-1]
        completed = X[:50].copy()
        completed[:, 0] = candidates[j, 0]
        expected = target.predict_proba(completed)[:, 1]
        np.testing.assert_allclose(expit(logits[:, 0]), expected, atol=1e-12)


def test_pipeline_column_wise_shortcut_equals_completed_records():
    X, y = _encoded(seed=2, n_members=400, n_features=6)
    X[:, 3] *= 50.0
    target = _mlp(X[:400], y[:400], hidden=(6, 4), before=StandardScaler())
    fast = _Network(target, None, "NeuronOutputInversion")
    slow = _Network(target, None, "NeuronOutputInversion")
    slow.columnwise = False
    assert fast.columnwise
    candidates = np.array([[0.0], [1.0]])
    for a, b in zip(
        fast.by_candidate(X[:80], [0], candidates, 64),
        slow.by_candidate(X[:80], [0], candidates, 64),
    ):
        assert a[:2] == b[:2]  # same candidate, same first victim
        np.testing.assert_allclose(a[2], b[2], atol=1e-10)
    attack = NeuronOutputInversion(target, sensitive=0, n_neurons=3)
    proba = attack.fit(X[400:], X[400:, 0]).predict_proba(X[:20])
    assert proba.shape == (20, 2)
    assert attack.layers_ == [0, 1] and attack.n_hidden_neurons_ == 10


def test_other_preprocessing_goes_through_the_completed_records():
    X, y = _encoded(seed=3, n_members=300, n_features=6)
    target = _mlp(X[:300], y[:300], before=PCA(4))
    attack = NeuronOutputInversion(target, sensitive=0, n_neurons=2)
    assert attack.fit(X[300:], X[300:, 0]).predict(X[:10]).shape == (10,)
    assert not attack._network().columnwise


def test_unsupported_target_names_the_supported_types():
    X, y = _encoded(seed=0, n_members=200, n_features=4)
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    for attack in (
        NeuronOutputInversion(forest, sensitive=0),
        CombinedNeuronOutput(forest, sensitive=0),
    ):
        with pytest.raises(TypeError, match="MLPClassifier") as info:
            attack.fit(X[100:], X[100:, 0])
        assert "RandomForestClassifier" in str(info.value)
        assert not hasattr(attack, "classes_")


@pytest.mark.parametrize("layers", [5, [0, 3], -2, "first"])
def test_bad_layers_are_named(layers):
    X, y = _encoded(seed=0, n_members=200, n_features=4)
    target = _mlp(X, y, max_iter=50)
    with pytest.raises((ValueError, TypeError), match="layers"):
        NeuronOutputInversion(target, sensitive=0, layers=layers).fit(X, X[:, 0])


def test_bad_scoring_is_named(encoded):
    X, _, target = encoded
    with pytest.raises(ValueError, match="scoring"):
        NeuronOutputInversion(target, sensitive=0, scoring="max").fit(X[:50], X[:50, 0])


def test_deterministic_and_inputs_untouched(encoded):
    X, _, target = encoded
    aux = X[2000:].copy()
    runs = []
    for _ in range(2):
        attack = NeuronOutputInversion(target, sensitive=0, scoring="correlation")
        runs.append(attack.fit(X[2000:], X[2000:, 0]).predict_proba(X[:200]))
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_array_equal(X[2000:], aux)
    assert attack.neurons_.shape == (2, 8)
    assert np.all(
        np.abs(attack.correlations_[:, 0]) >= np.abs(attack.correlations_[:, -1])
    )


def test_combined_at_infinite_temperature_is_imputation(encoded):
    X, _, target = encoded
    aux = slice(2000, None)
    combined = CombinedNeuronOutput(
        target, sensitive=0, imputer=LogisticRegression(), temperature=np.inf
    ).fit(X[aux], X[aux, 0])
    baseline = ImputationBaseline(sensitive=0, estimator=LogisticRegression())
    baseline.fit(X[aux], X[aux, 0])
    np.testing.assert_allclose(
        combined.predict_proba(X[:300]), baseline.predict_proba(X[:300]), atol=1e-12
    )


def test_combined_uses_the_neurons_where_they_leak(encoded):
    X, _, target = encoded
    aux = slice(2000, None)
    combined = CombinedNeuronOutput(
        target, sensitive=0, imputer=LogisticRegression(), cv=3, random_state=0
    ).fit(X[aux], X[aux, 0])
    baseline = ImputationBaseline(sensitive=0, estimator=LogisticRegression())
    baseline.fit(X[aux], X[aux, 0])
    assert np.isfinite(combined.temperature_)
    assert combined.queries_per_victim_ == 0
    assert combined.score(X[:500], X[:500, 0]) > baseline.score(X[:500], X[:500, 0])


def test_declares_the_white_box_targets_it_reads(encoded):
    X, y, target = encoded
    forest = RandomForestClassifier(n_estimators=2, random_state=0).fit(X, y)
    for attack in (NeuronOutputInversion(), CombinedNeuronOutput()):
        assert attack._threat_model == "white-box"
        assert attack._supports_target(target)
        assert not attack._supports_target(forest)
        assert not attack._supports_target(LogisticRegression().fit(X, y))


def test_combined_balanced_decision(encoded):
    X, _, target = encoded
    aux = slice(2000, None)
    attack = CombinedNeuronOutput(
        target,
        sensitive=0,
        imputer=LogisticRegression(),
        cv=3,
        decision="balanced_accuracy",
        random_state=0,
    ).fit(X[aux], X[aux, 0])
    assert attack.decision_bias_.shape == (2,)
    assert attack.get_params()["decision"] == "balanced_accuracy"
