import numpy as np
import pytest
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import cross_val_score

from skinvert.membership import LossThresholdAttack, membership_roc_auc

from ._problems import N, overfit_problem


def test_loss_attack_finds_members_of_an_overfit_forest():
    target, victims, membership, _ = overfit_problem()
    attack = LossThresholdAttack(target, label=6).fit(victims[::2], membership[::2])
    assert attack.score(victims[1::2], membership[1::2]) > 0.7
    scores = attack.decision_function(victims)
    assert membership_roc_auc(membership, scores) > 0.75
    proba = attack.predict_proba(victims)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.array_equal(attack.predict(victims), (scores > attack.threshold_) * 1)


def test_loss_attack_is_at_chance_on_records_the_target_never_saw():
    target, victims, membership, _ = overfit_problem(independent=True)
    attack = LossThresholdAttack(target, label=6).fit(victims[::2], membership[::2])
    auc = membership_roc_auc(membership, attack.decision_function(victims))
    assert abs(auc - 0.5) < 0.07


def test_fpr_threshold_from_non_members_only():
    target, victims, membership, aux = overfit_problem()
    attack = LossThresholdAttack(target, label=6, fpr=0.05).fit(aux)
    flagged = attack.predict(victims)
    assert flagged[membership == 0].mean() < 0.12  # about 5 % on fresh non-members
    assert flagged[membership == 1].mean() > 0.2
    assert attack.n_fit_queries_ == aux.shape[0]


def test_without_labels_the_top_confidence_is_used():
    target, victims, membership, _ = overfit_problem()
    attack = LossThresholdAttack(target).fit(victims[:, :6], membership)
    top = np.log(target.predict_proba(victims[:, :6]).max(axis=1))
    assert np.allclose(attack.decision_function(victims[:, :6]), top)


def test_cross_val_score_with_a_frozen_target():
    target, victims, membership, _ = overfit_problem()
    attack = LossThresholdAttack(FrozenEstimator(target), label=6)
    scores = cross_val_score(attack, victims, membership, cv=3, scoring="roc_auc")
    assert scores.min() > 0.7


@pytest.mark.parametrize(
    ("kwargs", "y", "match"),
    [
        ({}, None, "fpr"),
        ({}, np.ones(2 * N), "fpr"),
        ({}, np.full(2 * N, 2), "membership labels"),
        ({"fpr": 0.1}, np.ones(2 * N), "non-members"),
        ({"label": 9}, np.r_[np.ones(N), np.zeros(N)], "label=9"),
        ({"fpr": 2.0}, None, "fpr"),
    ],
)
def test_errors_name_the_parameter(kwargs, y, match):
    target, victims, _, _ = overfit_problem()
    with pytest.raises(ValueError, match=match):
        LossThresholdAttack(target, **{"label": 6, **kwargs}).fit(victims, y)


def test_label_not_among_target_classes():
    target, victims, membership, _ = overfit_problem()
    bad = victims.copy()
    bad[:, 6] = 7
    with pytest.raises(ValueError, match="classes_"):
        LossThresholdAttack(target, label=6).fit(bad, membership)


def test_input_not_modified_and_failed_fit_leaves_no_state():
    target, victims, membership, _ = overfit_problem()
    copy = victims.copy()
    attack = LossThresholdAttack(target, label=6)
    with pytest.raises(ValueError):
        attack.fit(victims, np.ones(2 * N))
    assert not hasattr(attack, "threshold_")
    attack.fit(victims, membership)
    assert np.array_equal(victims, copy)
