import numpy as np
import pytest
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

from skinvert.metrics import attack_mae, attack_r2, attack_rmse


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


@pytest.mark.parametrize("metric", [attack_mae, attack_rmse, attack_r2])
def test_errors(metric):
    with pytest.raises(ValueError, match="different lengths"):
        metric([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="empty"):
        metric([], [])
    with pytest.raises(ValueError, match="y_pred contains NaN"):
        metric([1.0, 2.0], [1.0, np.nan])
    with pytest.raises(TypeError, match="must hold numbers"):
        metric(["a", "b"], [1.0, 2.0])
