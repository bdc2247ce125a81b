"""Records shared by the evaluation tests."""

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

from skinvert.datasets import make_sensitive_classification


@pytest.fixture(scope="module")
def planted():
    """Planted leak; an overfit forest trained on the first half (its members)."""
    X, y = make_sensitive_classification(
        n_samples=1000, leak=2, label_noise=0.2, random_state=0
    )
    members = np.zeros(len(y), dtype=bool)
    members[np.random.RandomState(0).permutation(len(y))[:500]] = True
    target = RandomForestClassifier(60, random_state=0).fit(X[members], y[members])
    return X, y, members, target
