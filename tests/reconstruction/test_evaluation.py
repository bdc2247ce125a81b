import numpy as np
import pytest
from sklearn.neighbors import KNeighborsRegressor

from skinvert.reconstruction import (
    InversionModel,
    MIFace,
    class_reference,
    column_errors,
    make_reconstruction_scorer,
)


def test_column_errors_mixed_types():
    truth = np.array([[1.0, "a"], [3.0, "b"]], dtype=object)
    pred = np.array([[2.0, "a"], [1.0, "a"]], dtype=object)
    np.testing.assert_allclose(column_errors(truth, pred), [1.5, 0.5])
    with pytest.raises(ValueError, match="must match"):
        column_errors(truth, pred[:1])


def test_class_reference_mean_and_mode():
    X = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 2.0], [10.0, 3.0]])
    ref = class_reference(X, [0, 0, 0, 1], [0, 1, 7], categorical_features=[1])
    np.testing.assert_allclose(ref, [[2.0, 1.0], [10.0, 3.0], [4.0, 1.0]])


def test_scorers_rank_the_attack_against_the_reference(digits, lr_target):
    X_aux, y_aux = digits["aux"]
    X, y = digits["members"]
    inversion = InversionModel(lr_target, estimator=KNeighborsRegressor(15))
    inversion.fit(X_aux)
    advantage = make_reconstruction_scorer(reference=(X_aux, y_aux))
    assert advantage(inversion, X, y) > 0
    face = MIFace(lr_target, n_starts=1).fit(X_aux)
    # a representative is an extreme input, not a typical record: farther from
    # the records of its class than their mean is
    assert advantage(face, X, y) < 0
    assert make_reconstruction_scorer()(face, X, y) < 0
