import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

from skinvert.attacks import ImputationBaseline
from skinvert.datasets import make_sensitive_classification
from skinvert.membership import MembershipAttributeInference


def _memorised(seed=0):
    """A forest that memorised its members' sensitive values (weak population leak)."""
    X, y = make_sensitive_classification(
        n_samples=1200, n_features=6, leak=2.0, label_noise=0.2, random_state=seed
    )
    target = RandomForestClassifier(50, random_state=seed).fit(X[:400], y[:400])
    view = np.column_stack([X, y])
    return target, view, X[:, 0].copy()


def test_beats_imputation_on_members():
    target, view, s = _memorised()
    aux = slice(800, 1200)
    attack = MembershipAttributeInference(target, sensitive=0, label=6)
    attack.fit(view[aux], s[aux])
    baseline = ImputationBaseline(sensitive=0, label=6, random_state=0)
    baseline.fit(view[aux], s[aux])
    members = slice(0, 400)
    on_members = attack.score(view[members], s[members])
    assert on_members > baseline.score(view[members], s[members]) + 0.05
    # the gain is memorisation: it shrinks on non-members
    assert on_members > attack.score(view[400:800], s[400:800]) + 0.05
    proba = attack.predict_proba(view[:5])
    assert proba.shape == (5, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert attack.n_fit_queries_ == 400


def test_needs_the_label_and_names_it():
    target, view, s = _memorised()
    with pytest.raises(ValueError, match="label="):
        MembershipAttributeInference(target, sensitive=0).fit(view[:, :6], s)
    with pytest.raises(ValueError, match="sensitive=9"):
        MembershipAttributeInference(target, sensitive=9, label=6).fit(view, s)


def test_deterministic_and_uniform_prior():
    target, view, s = _memorised()
    a = MembershipAttributeInference(target, sensitive=0, label=6).fit(view, s)
    b = MembershipAttributeInference(target, sensitive=0, label=6).fit(view, s)
    assert np.array_equal(a.predict_proba(view), b.predict_proba(view))
    uniform = MembershipAttributeInference(
        target, sensitive=0, label=6, prior="uniform"
    ).fit(view, s)
    assert uniform.predict(view).shape == (1200,)
