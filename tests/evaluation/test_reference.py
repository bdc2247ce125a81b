"""The model-free reference: never below the majority guess, chosen on aux data."""

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.tree import DecisionTreeClassifier

from skinvert.attacks import ImputationBaseline
from skinvert.evaluation import audit

FAST = {
    "max_victims": 300,
    "n_bootstrap": 50,
    "membership": False,
    "attacks": ["FredriksonInversion"],
}


def _noise_features(n=1500, seed=0):
    """A 4-valued column independent of every other column (imputation overfits).

    The most common value holds 40 % of the records; the features are pure
    noise, so an imputer can only lose accuracy against the majority guess.
    """
    rng = np.random.default_rng(seed)
    s = rng.choice(4, n, p=[0.4, 0.3, 0.2, 0.1])
    X = np.column_stack([s, rng.standard_normal((n, 6))])
    y = (X[:, 1] > 0).astype(int)
    return X, y


def test_reference_is_never_below_the_majority_guess():
    X, y = _noise_features()
    result = audit(X, y, sensitive=0, model="decision_tree", **FAST)
    chosen = result.reference["chosen"]["accuracy"]
    scores = result.reference["scores"]
    # chosen on the auxiliary data: the best out-of-fold accuracy there
    assert scores[chosen]["accuracy"] == max(v["accuracy"] for v in scores.values())
    assert (
        scores["majority value"]["accuracy"]
        >= scores["imputation (known features and label)"]["accuracy"]
    )
    for population, rows in result.rows.items():
        reference = next(r for r in rows if r["attack"] == f"reference: {chosen}")
        majority = np.mean(X[:, 0] == 0)
        # within sampling noise of the victims: never well below the majority
        assert reference["accuracy"] >= majority - 0.06, population


def test_imputation_chosen_where_the_features_know_the_value():
    rng = np.random.default_rng(1)
    n = 1200
    x = rng.standard_normal((n, 3))
    s = (x[:, 0] + 0.2 * rng.standard_normal(n) > 0).astype(int)
    X = np.column_stack([s, x])
    y = (x[:, 1] > 0).astype(int)
    result = audit(X, y, sensitive=0, model="decision_tree", **FAST)
    assert result.reference["chosen"]["balanced_accuracy"].startswith("imputation")


def test_a_reference_passed_by_the_user_is_used_as_given():
    X, y = _noise_features(900)
    given = ImputationBaseline(estimator=DummyClassifier(strategy="most_frequent"))
    result = audit(X, y, sensitive=0, model="decision_tree", reference=given, **FAST)
    assert result.reference["given"] is True
    assert result.reference["chosen"] == {
        "accuracy": "ImputationBaseline",
        "balanced_accuracy": "ImputationBaseline",
    }
    row = result.rows["members"][0]
    assert row["attack"] == "reference: ImputationBaseline"
    assert row["balanced_accuracy"] == pytest.approx(0.25)  # one value for everyone


def test_choice_reads_only_the_auxiliary_records():
    X, y = _noise_features(900)
    members = np.arange(900) < 450
    aux = (np.arange(900) >= 450) & (np.arange(900) < 675)
    target = DecisionTreeClassifier(random_state=0).fit(X[members], y[members])
    first = audit(X, y, sensitive=0, target=target, members=members, aux=aux, **FAST)
    shuffled = X.copy()
    victims = ~(members | aux)
    shuffled[victims, 0] = np.random.default_rng(0).permutation(X[victims, 0])
    again = audit(
        shuffled, y, sensitive=0, target=target, members=members, aux=aux, **FAST
    )
    assert again.reference == first.reference
    assert again.aux_source == "given" and again.n_aux == aux.sum()
