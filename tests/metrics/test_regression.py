import numpy as np
import pytest
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

from skinvert.metrics._regression import (
    attack_mae,
    attack_r2,
    attack_rmse,
    attack_within_tolerance,
)


def test_hand_computed_values():
    y_true, y_pred = [30.0, 40.0, 50.0, 60.0], [32.0, 40.0, 47.0, 60.0]
    assert attack_mae(y_true, y_pred) == pytest.approx(5 / 4)
    assert attack_rmse(y_true, y_pred) == pytest.approx(np.sqrt(13 / 4))
    # sum of squares about the mean 45: 225 + 25 + 25 + 225 = 500
    assert attack_r2(y_true, y_pred) == pytest.approx(1 - 13 / 500)


@pytest.mark.parametrize("seed", range(3))
def test_agrees_with_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.normal(1e6, 10.0, 50)  # large offset: the variance must stay exact
    y_pred = y_true + rng.normal(0, 5.0, 50)
    assert attack_mae(y_true, y_pred) == pytest.approx(
        mean_absolute_error(y_true, y_pred)
    )
    assert attack_rmse(y_true, y_pred) == pytest.approx(
        root_mean_squared_error(y_true, y_pred)
    )
    assert attack_r2(y_true, y_pred) == pytest.approx(r2_score(y_true, y_pred))


def test_constant_truth_r2():
    assert attack_r2([3.0, 3.0], [3.0, 3.0]) == 1.0
    assert attack_r2([3.0, 3.0], [3.0, 4.0]) == 0.0


@pytest.mark.parametrize(
    "metric", [attack_mae, attack_rmse, attack_r2, attack_within_tolerance]
)
def test_errors(metric):
    with pytest.raises(ValueError, match="different lengths"):
        metric([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="empty"):
        metric([], [])
    with pytest.raises(ValueError, match="y_pred contains NaN"):
        metric([1.0, 2.0], [1.0, np.nan])
    with pytest.raises(TypeError, match="must hold numbers"):
        metric(["a", "b"], [1.0, 2.0])


def test_within_tolerance_by_hand():
    y_true = np.array([30.0, 40.0, 50.0, -60.0, 0.0])
    y_pred = np.array([32.0, 40.0, 58.0, -55.0, 0.5])
    # relative +/- 10 %: 2 <= 3, 0 <= 4, 8 > 5, 5 <= 6, 0.5 > 0 (a true 0 needs 0)
    assert attack_within_tolerance(y_true, y_pred) == pytest.approx(3 / 5)
    assert attack_within_tolerance(y_true, y_pred, tolerance=0.2) == pytest.approx(
        4 / 5
    )
    assert attack_within_tolerance(
        y_true, y_pred, tolerance=1.0, relative=False
    ) == pytest.approx(2 / 5)
    assert attack_within_tolerance(y_true, y_true, tolerance=0.0) == 1.0
    assert attack_within_tolerance(y_true, y_pred, tolerance=0.0) == pytest.approx(
        1 / 5
    )


def test_within_tolerance_grows_with_the_margin_and_agrees_with_a_loop():
    rng = np.random.default_rng(0)
    y_true = rng.uniform(20, 80, 200)
    y_pred = y_true + rng.normal(0, 5, 200)
    shares = [
        attack_within_tolerance(y_true, y_pred, tolerance=t)
        for t in (0.0, 0.01, 0.05, 0.1, 0.5)
    ]
    assert shares == sorted(shares) and shares[0] == 0.0 and shares[-1] == 1.0
    by_loop = sum(abs(p - t) <= 0.05 * abs(t) for t, p in zip(y_true, y_pred)) / 200
    assert shares[2] == pytest.approx(by_loop)


def test_within_tolerance_bad_parameters_are_named():
    from skinvert.utils._sklearn import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="'tolerance' parameter"):
        attack_within_tolerance([1.0], [1.0], tolerance=-0.1)
    with pytest.raises(InvalidParameterError, match="'relative' parameter"):
        attack_within_tolerance([1.0], [1.0], relative="yes")


def test_within_tolerance_bootstrap_evaluator_matches_the_value():
    from skinvert.metrics._regression import _prep_within_tolerance

    rng = np.random.default_rng(1)
    y_true = rng.uniform(1, 2, 50)
    y_pred = y_true * rng.uniform(0.8, 1.2, 50)
    idx = rng.integers(0, 50, size=(7, 50))
    out = _prep_within_tolerance(y_true, y_pred, tolerance=0.1)(idx)
    expected = [attack_within_tolerance(y_true[i], y_pred[i]) for i in idx]
    np.testing.assert_allclose(out, expected)
