"""Small membership problems shared by the tests."""

from functools import lru_cache

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from skinvert.datasets import make_sensitive_classification

N = 400  # members, non-members; the attacker's auxiliary records are 2 N


@lru_cache
def overfit_problem(seed=0, *, independent=False):
    """An overfit forest, its members and non-members, auxiliary records.

    Returns ``(target, victims, membership, aux)``; ``victims`` and ``aux`` are in
    the attacker's view (records + label column, position 6). With
    ``independent=True`` the target is trained on other records: the "members"
    are not members at all.
    """
    X, y = make_sensitive_classification(
        n_samples=5 * N, n_features=6, label_noise=0.2, random_state=seed
    )
    view = np.column_stack([X, y])
    train = slice(4 * N, 5 * N) if independent else slice(0, N)
    target = RandomForestClassifier(50, random_state=seed).fit(X[train], y[train])
    membership = np.r_[np.ones(N, int), np.zeros(N, int)]
    victims, aux = view[: 2 * N], view[2 * N : 4 * N]
    for array in (victims, membership, aux):
        array.setflags(write=False)  # shared between tests: never modified
    return target, victims, membership, aux
