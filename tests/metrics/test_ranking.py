import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from skinvert.metrics import attack_roc_auc, ppv_at_k, tpr_at_fpr


def test_roc_auc_hand_computed():
    # positives 0.35, 0.8 vs negatives 0.1, 0.4: 3 of 4 pairs ordered
    assert attack_roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    # a tie counts one half
    assert attack_roc_auc([0, 1], [0.5, 0.5]) == 0.5
    # a constant posterior (the prior) is chance
    assert attack_roc_auc(["a", "b", "a"], [[0.7, 0.3]] * 3, classes=["a", "b"]) == 0.5


def test_roc_auc_binary_uses_the_positive_column():
    y = np.array(["yes", "no", "no", "yes", "no"])
    proba = np.array([[0.2, 0.8], [0.6, 0.4], [0.3, 0.7], [0.4, 0.6], [0.9, 0.1]])
    expected = roc_auc_score(y == "yes", proba[:, 1])
    assert attack_roc_auc(y, proba, classes=["no", "yes"]) == pytest.approx(expected)
    assert attack_roc_auc(
        y, proba, classes=["no", "yes"], positive="yes"
    ) == pytest.approx(expected)
    # column order is taken from classes, not assumed sorted
    assert attack_roc_auc(
        y, proba[:, ::-1], classes=["yes", "no"], positive="yes"
    ) == pytest.approx(expected)
    # 1-D scores of a string attribute need positive
    with pytest.raises(ValueError, match="positive is required"):
        attack_roc_auc(y, proba[:, 1])
    assert attack_roc_auc(y, proba[:, 1], positive="yes") == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(4))
def test_roc_auc_multiclass_matches_ovr_macro(seed):
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.r_[np.arange(4), rng.integers(0, 4, 56)])
    proba = np.round(rng.dirichlet(np.ones(4), 60), 1)  # rounding creates ties
    proba /= proba.sum(axis=1, keepdims=True)
    expected = roc_auc_score(y, proba, multi_class="ovr", average="macro")
    assert attack_roc_auc(y, proba) == pytest.approx(expected)
    # one value against the rest
    assert attack_roc_auc(y, proba, classes=np.arange(4), positive=2) == pytest.approx(
        roc_auc_score(y == 2, proba[:, 2])
    )


def test_roc_auc_errors():
    with pytest.raises(ValueError, match=r"Pass classes=attack\.classes_"):
        attack_roc_auc([0, 1, 1], [[0.2, 0.3, 0.5]] * 3)
    with pytest.raises(ValueError, match="classes has 2 entries but y_score has 3"):
        attack_roc_auc([0, 1, 1], [[0.2, 0.3, 0.5]] * 3, classes=[0, 1])
    with pytest.raises(ValueError, match="undefined because every victim"):
        attack_roc_auc([1, 1], [0.2, 0.4])
    with pytest.raises(ValueError, match="different lengths"):
        attack_roc_auc([0, 1, 1], [0.2, 0.4])
    with pytest.raises(ValueError, match="NaN or infinite"):
        attack_roc_auc([0, 1], [0.2, np.nan])


def _reference_tpr(is_pos, scores, fpr):
    rates, tprs, _ = roc_curve(is_pos, scores, drop_intermediate=False)
    after = np.flatnonzero(rates > fpr)
    if after.size == 0:
        return 1.0
    j = after[0]
    step = (fpr - rates[j - 1]) / (rates[j] - rates[j - 1])
    return tprs[j - 1] + step * (tprs[j] - tprs[j - 1])


def test_tpr_at_fpr_hand_computed():
    y = [0] * 8 + [1] * 2
    scores = [0.1, 0.2, 0.3, 0.4, 0.45, 0.6, 0.7, 0.8, 0.5, 0.9]
    assert tpr_at_fpr(y, scores, positive=1, fpr=0.0) == 0.5
    assert tpr_at_fpr(y, scores, positive=1, fpr=0.125) == 0.5
    assert tpr_at_fpr(y, scores, positive=1, fpr=0.375) == 1.0
    # a tied block of one positive and two negatives is a diagonal segment
    y = [1, 0, 0, 1, 0, 0]
    scores = [0.9, 0.5, 0.5, 0.5, 0.1, 0.1]
    # points: (0, .5) -> (.5, 1) over the tie; at fpr .25 -> .75
    assert tpr_at_fpr(y, scores, positive=1, fpr=0.25) == pytest.approx(0.75)


@pytest.mark.parametrize("seed", range(3))
def test_tpr_at_fpr_matches_interpolated_roc_curve(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 400)
    scores = np.round(rng.random(400) + 0.5 * y, 2)
    for fpr in [0.0, 0.01, 0.05, 0.3, 1.0]:
        assert tpr_at_fpr(y, scores, positive=1, fpr=fpr) == pytest.approx(
            _reference_tpr(y == 1, scores, fpr)
        )


def test_tpr_at_fpr_2d_and_errors():
    y = np.array(["b", "a", "c", "a", "b", "c"] * 20)
    proba = np.tile(np.eye(3)[[1, 0, 2, 0, 1, 2]], (20, 1)) * 0.9 + 0.1 / 3
    assert tpr_at_fpr(y, proba, positive="c", classes=["a", "b", "c"], fpr=0.05) == 1.0
    with pytest.warns(UserWarning, match="interpolated"):
        tpr_at_fpr([0, 1, 0], [0.1, 0.9, 0.2], positive=1, fpr=0.01)
    with pytest.raises(ValueError, match="positive is required"):
        tpr_at_fpr([0, 1, 0], [0.1, 0.9, 0.2], positive=None)
    with pytest.raises(ValueError, match="'fpr' parameter"):
        tpr_at_fpr([0, 1, 0], [0.1, 0.9, 0.2], positive=1, fpr=1.5)
    with pytest.raises(ValueError, match="positive='z' is not one of classes"):
        tpr_at_fpr(y, proba, positive="z", classes=["a", "b", "c"])


def test_ppv_at_k_hand_computed():
    y = ["no", "yes", "no", "yes", "no"]
    posterior = [0.1, 0.9, 0.8, 0.7, 0.2]
    assert ppv_at_k(y, posterior, positive="yes", k=1) == 1.0
    assert ppv_at_k(y, posterior, positive="yes", k=2) == 0.5
    assert ppv_at_k(y, posterior, positive="yes", k=3) == pytest.approx(2 / 3)
    # float k is a fraction of the victims: 0.6 * 5 = 3
    np.testing.assert_allclose(
        ppv_at_k(y, posterior, positive="yes", k=[1, 0.6, 1.0]), [1.0, 2 / 3, 0.4]
    )


def test_ppv_at_k_ties_use_the_expected_precision():
    # the top 3 are tied and hold one positive: any two of them hold 2/3 of it
    y = [1, 0, 0, 1]
    assert ppv_at_k(y, [0.5, 0.5, 0.5, 0.1], positive=1, k=2) == pytest.approx(1 / 3)
    # a Monte Carlo check on random tie-breaking
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 40)
    scores = np.round(rng.random(40), 1)
    draws = [y[np.lexsort((rng.random(40), -scores))[:7]].mean() for _ in range(3000)]
    assert ppv_at_k(y, scores, positive=1, k=7) == pytest.approx(
        np.mean(draws), abs=0.01
    )


def test_ppv_at_k_from_predict_proba():
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    y = ["a", "b", "a", "a"]
    assert ppv_at_k(y, proba, positive="b", k=1, classes=["a", "b"]) == 1.0
    assert ppv_at_k(y, proba, positive="a", k=2, classes=["a", "b"]) == 1.0


@pytest.mark.parametrize(
    "k, match",
    [
        (0, "out of range"),
        (6, "out of range"),
        (1.5, "outside \\(0, 1\\]"),
        ([], "empty"),
        ("3", "must be an int"),
    ],
)
def test_ppv_at_k_bad_k(k, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ppv_at_k([0, 1, 0, 1, 1], [0.1, 0.2, 0.3, 0.4, 0.5], positive=1, k=k)
