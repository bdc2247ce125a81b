import numpy as np
import pytest
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from skinvert.attacks import WhiteBoxTreeInversion
from skinvert.datasets import load_affairs
from skinvert.defenses import QueryCounter
from skinvert.reconstruction import MIFace, Surrogate


@pytest.fixture(scope="module")
def survey():
    X, y = load_affairs(return_X_y=True)
    order = np.random.RandomState(0).permutation(len(y))
    X, y = X[order], y[order]
    target = DecisionTreeClassifier(max_depth=6, random_state=0).fit(X[:3000], y[:3000])
    return X, y, target


def test_tree_target_copied_within_budget(survey):
    X, _, target = survey
    counter = QueryCounter(FrozenEstimator(target))
    surrogate = Surrogate(counter, max_queries=1000, random_state=0).fit(X[3000:4000])
    assert surrogate.fidelity_ >= 0.9
    assert surrogate.n_queries_ == counter.n_rows_ <= 1000
    held_out = X[4000:]
    agreement = np.mean(surrogate.predict(held_out) == target.predict(held_out))
    assert agreement >= 0.9


def test_budget_spent_by_synthesis(survey):
    X, _, target = survey
    aux = X[3000:3500]
    for synthesis in ("perturb", "marginal"):
        s = Surrogate(target, max_queries=900, synthesis=synthesis, random_state=0)
        assert s.fit(aux).n_queries_ == 900
        assert s.n_train_queries_ == 900 - 100  # 20% of 500 held out
    # the auxiliary records themselves: at most as many as there are
    s = Surrogate(target, max_queries=900, synthesis="aux", random_state=0).fit(aux)
    assert s.n_train_queries_ == 400 and s.n_queries_ == 500


def test_marginal_records_stay_in_the_domain(survey):
    X, _, target = survey
    s = Surrogate(target, max_queries=400, synthesis="marginal", random_state=0)
    s.fit(X[3000:3500])
    assert s.fidelity_ > 0.5


def test_white_box_attacks_run_on_the_surrogate(survey, digits):
    X, y, target = survey
    surrogate = Surrogate(target, max_queries=1000, random_state=0).fit(X[3000:4000])
    view = np.column_stack([X, y])
    attack = WhiteBoxTreeInversion(surrogate.estimator_, sensitive=7, label=8)
    attack.fit(view[3000:4000], X[3000:4000, 7])
    assert attack.predict(view[:50]).shape == (50,)
    # a logistic surrogate of a digits model gives MI-Face analytic gradients
    X_m, y_m = digits["members"]
    tree = DecisionTreeClassifier(max_depth=8, random_state=0).fit(X_m, y_m)
    logistic = Surrogate(
        tree,
        estimator=LogisticRegression(C=0.01, solver="newton-cg"),
        max_queries=1200,
        random_state=0,
    ).fit(digits["aux"][0])
    face = MIFace(logistic.estimator_, n_starts=1).fit(digits["aux"][0])
    assert face.gradient_ == "analytic" and face.n_queries_ == 0
    assert (tree.predict(face.representatives_) == face.classes_).mean() >= 0.5


def test_budget_too_small_and_deterministic(survey):
    X, _, target = survey
    s = Surrogate(target, max_queries=9)
    with pytest.raises(ValueError, match=r"max_queries=9 is too small.*Raise"):
        s.fit(X[3000:3500])
    assert not hasattr(s, "estimator_")
    a = Surrogate(target, max_queries=500, random_state=2).fit(X[3000:3500])
    b = Surrogate(target, max_queries=500, random_state=2).fit(X[3000:3500])
    assert a.fidelity_ == b.fidelity_
    np.testing.assert_array_equal(a.predict(X[:100]), b.predict(X[:100]))
