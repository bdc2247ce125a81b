import numpy as np
import pytest
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    precision_score,
    recall_score,
)

from skinvert.metrics import (
    attack_accuracy,
    attack_balanced_accuracy,
    attack_f1,
    attack_precision,
    attack_recall,
)

Y_TRUE = np.array(["single", "married", "married", "divorced", "married", "single"])
Y_PRED = np.array(["single", "married", "single", "married", "married", "married"])


def test_hand_computed_values():
    assert attack_accuracy(Y_TRUE, Y_PRED) == pytest.approx(3 / 6)
    # recalls: divorced 0/1, married 2/3, single 1/2
    assert attack_balanced_accuracy(Y_TRUE, Y_PRED) == pytest.approx(
        (0 + 2 / 3 + 0.5) / 3
    )
    # married: tp=2, predicted 4, held 3
    assert attack_precision(Y_TRUE, Y_PRED, positive="married") == pytest.approx(0.5)
    assert attack_recall(Y_TRUE, Y_PRED, positive="married") == pytest.approx(2 / 3)
    assert attack_f1(Y_TRUE, Y_PRED, positive="married") == pytest.approx(4 / 7)


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    y_true, y_pred = rng.integers(0, 4, 80), rng.integers(0, 4, 80)
    assert attack_accuracy(y_true, y_pred) == pytest.approx(
        accuracy_score(y_true, y_pred)
    )
    assert attack_balanced_accuracy(y_true, y_pred) == pytest.approx(
        balanced_accuracy_score(y_true, y_pred)
    )
    for ours, theirs in [
        (attack_precision, precision_score),
        (attack_recall, recall_score),
        (attack_f1, f1_score),
    ]:
        expected = theirs(y_true, y_pred, labels=[2], average="macro")
        assert ours(y_true, y_pred, positive=2) == pytest.approx(expected)


def test_binary_01_defaults_to_one():
    # the default is 1 / True, not "the minority value" or "the last value"
    assert attack_recall([1, 1, 1, 0], [1, 0, 0, 0]) == pytest.approx(1 / 3)
    assert attack_recall([True, True, True, False], [True] + [False] * 3) == (
        pytest.approx(1 / 3)
    )
    assert attack_recall([0, 0, 0, 1], [0, 1, 1, 1]) == 1.0  # 1 is the minority
    assert attack_recall([1, 1, 1, 0], [1, 0, 0, 0], positive=0) == 1.0
    assert attack_precision([0.0, 1.0, 1.0], [1.0, 1.0, 0.0]) == 0.5


@pytest.mark.parametrize("metric", [attack_precision, attack_recall, attack_f1])
def test_positive_required_unless_01(metric):
    with pytest.raises(ValueError, match="positive is required"):
        metric(Y_TRUE, Y_PRED)
    # two string values: no silent default either
    with pytest.raises(ValueError, match="positive is required"):
        metric(["no", "yes", "no"], ["no", "no", "yes"])
    # a two-valued numeric attribute other than 0/1 needs it too
    with pytest.raises(ValueError, match="positive is required"):
        metric([1, 2, 2], [2, 2, 1])


def test_unknown_positive_is_an_error():
    with pytest.raises(ValueError, match="positive='Married' is not one of"):
        attack_precision(Y_TRUE, Y_PRED, positive="Married")


def test_zero_division():
    with pytest.warns(UndefinedMetricWarning, match="Precision is undefined"):
        assert attack_precision([0, 1, 0], [0, 0, 0], positive=1) == 0.0
    with pytest.warns(UndefinedMetricWarning):
        assert attack_precision([0, 1, 0], [0, 0, 0], zero_division=1.0) == 1.0
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(attack_recall([0, 0], [0, 1], zero_division=np.nan))
    with pytest.raises(ValueError, match="'zero_division' parameter"):
        attack_f1([0, 1], [0, 1], zero_division=0.5)


@pytest.mark.parametrize(
    "metric", [attack_accuracy, attack_balanced_accuracy, attack_recall]
)
def test_input_errors(metric):
    with pytest.raises(ValueError, match="different lengths \\(3 and 2\\)"):
        metric([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="y_true is empty"):
        metric([], [])
    with pytest.raises(ValueError, match="1-D"):
        metric(np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(TypeError, match="different types"):
        metric(["0", "1", "1"], [0, 1, 1])
    with pytest.raises(ValueError, match="NaN"):
        metric([0.0, np.nan], [0.0, 1.0])


def test_inputs_not_modified_and_series_accepted():
    pd = pytest.importorskip("pandas")
    y_true = pd.Series(list(Y_TRUE), dtype="category")
    y_pred = Y_PRED.copy()
    assert attack_accuracy(y_true, y_pred) == pytest.approx(0.5)
    np.testing.assert_array_equal(y_pred, Y_PRED)


def test_object_arrays_of_numbers_are_numbers():
    from skinvert.metrics import attack_mae, attack_roc_auc, tpr_at_fpr

    truth = np.array([1, 0, 1, 0], dtype=object)
    guess = np.array([1.0, 0.0, 0.0, 0.0])
    assert attack_accuracy(truth, guess) == attack_accuracy([1, 0, 1, 0], guess)
    assert attack_precision(truth, guess.astype(object)) == 1.0  # positive=1 default
    assert attack_balanced_accuracy(truth, guess) == 0.75
    assert attack_roc_auc(truth, guess.astype(object)) == 0.75
    assert tpr_at_fpr(truth, guess, positive=1, fpr=0.5) == tpr_at_fpr(
        truth.astype(int), guess, positive=1, fpr=0.5
    )
    assert attack_mae(truth, guess.astype(object)) == 0.25
