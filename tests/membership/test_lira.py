import pickle

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from skinvert.defenses import DPLogisticRegression
from skinvert.membership import (
    RMIA,
    LiRA,
    LossThresholdAttack,
    ShadowModelAttack,
    membership_roc_auc,
    membership_tpr_at_fpr,
)

from ._problems import N, overfit_problem

SHADOW = RandomForestClassifier(20)


def _scores(attack, victims, pool):
    return attack.fit(pool).decision_function(victims)


def test_lira_beats_the_loss_attack_at_low_fpr_on_an_overfit_forest():
    target, victims, membership, aux = overfit_problem()
    pool = np.concatenate([aux, victims])  # the attacker's pool holds the victims
    lira = LiRA(target, label=6, n_shadows=8, random_state=0)  # clones of target
    loss = LossThresholdAttack(target, label=6, fpr=0.01).fit(aux)
    tpr_lira = membership_tpr_at_fpr(membership, _scores(lira, victims, pool))
    tpr_loss = membership_tpr_at_fpr(membership, loss.decision_function(victims))
    assert tpr_lira > 0.1  # well above the 1 % of chance
    assert tpr_lira > tpr_loss + 0.05


@pytest.mark.parametrize("online", [False, True])
def test_lira_online_and_offline_find_members(online):
    target, victims, membership, aux = overfit_problem()
    pool = np.concatenate([aux, victims])
    lira = LiRA(
        target,
        label=6,
        n_shadows=8,
        online=online,
        variance="per_record",
        keep_shadows=False,
        random_state=0,
    )
    scores = _scores(lira, victims, pool)
    assert membership_roc_auc(membership, scores) > 0.85
    assert lira.shadow_models_ is None
    proba = lira.predict_proba(victims)[:, 1]
    assert np.all(np.diff(proba[np.argsort(scores)]) >= 0)  # monotone in the score


def test_offline_lira_scores_records_outside_the_pool_with_kept_shadows():
    target, victims, membership, aux = overfit_problem()
    lira = LiRA(target, label=6, n_shadows=4, shadow_estimator=SHADOW, random_state=0)
    scores = _scores(lira, victims, aux)
    assert len(lira.shadow_models_) == 4
    assert membership_roc_auc(membership, scores) > 0.8


def test_rmia_finds_members_offline_and_online():
    target, victims, membership, aux = overfit_problem()
    offline = RMIA(target, label=6, shadow_estimator=SHADOW, random_state=0)
    assert membership_roc_auc(membership, _scores(offline, victims, aux)) > 0.8
    online = RMIA(target, label=6, online=True, shadow_estimator=SHADOW, random_state=0)
    pool = np.concatenate([aux, victims])
    assert membership_roc_auc(membership, _scores(online, victims, pool)) > 0.8
    assert online.n_fit_queries_ == pool.shape[0]


def test_shadow_model_attack_finds_members():
    target, victims, membership, aux = overfit_problem()
    attack = ShadowModelAttack(
        target, label=6, n_shadows=2, shadow_estimator=SHADOW, random_state=0
    )
    assert membership_roc_auc(membership, _scores(attack, victims, aux)) > 0.75


ATTACKS = [
    lambda t: LossThresholdAttack(t, label=6, fpr=0.01),
    lambda t: LiRA(t, label=6, n_shadows=4, shadow_estimator=SHADOW, random_state=0),
    lambda t: RMIA(t, label=6, n_shadows=2, shadow_estimator=SHADOW, random_state=0),
    lambda t: ShadowModelAttack(
        t, label=6, n_shadows=2, shadow_estimator=SHADOW, random_state=0
    ),
]


@pytest.mark.parametrize("make", ATTACKS)
def test_every_attack_is_at_chance_without_members(make):
    target, victims, membership, aux = overfit_problem(independent=True)
    scores = _scores(make(target), victims, aux)
    assert abs(membership_roc_auc(membership, scores) - 0.5) < 0.07
    assert membership_tpr_at_fpr(membership, scores, fpr=0.01) < 0.06


@pytest.mark.parametrize("make", ATTACKS)
def test_every_attack_is_at_chance_against_tiny_epsilon(make):
    _, victims, membership, aux = overfit_problem()
    target = DPLogisticRegression(
        epsilon=0.01, data_norm=5.0, classes=[0, 1], random_state=0
    )
    target.fit(victims[:N, :6], victims[:N, 6])
    attack = make(target)
    if hasattr(attack, "shadow_estimator"):
        attack.set_params(shadow_estimator=None)  # clones of the DP target
    scores = _scores(attack, victims, aux)
    assert abs(membership_roc_auc(membership, scores) - 0.5) < 0.07


def test_default_shadow_is_a_clone_of_the_target():
    _, victims, _, aux = overfit_problem()
    target = LogisticRegression(C=0.5).fit(victims[:, :6], victims[:, 6])
    lira = LiRA(target, label=6, n_shadows=2, random_state=0).fit(aux)
    assert all(type(m) is LogisticRegression for m in lira.shadow_models_)
    assert all(m.C == 0.5 for m in lira.shadow_models_)


def test_deterministic_and_parallel_equals_serial():
    target, victims, _, aux = overfit_problem()
    make = ATTACKS[1]
    first = _scores(make(target), victims, aux)
    again = _scores(make(target), victims, aux)
    with parallel_config(backend="threading", n_jobs=2):
        threaded = _scores(make(target), victims, aux)
    assert np.array_equal(first, again)
    assert np.allclose(first, threaded)


def test_online_lira_needs_the_victims_in_the_pool():
    target, victims, _, aux = overfit_problem()
    lira = LiRA(target, label=6, n_shadows=2, online=True, shadow_estimator=SHADOW).fit(
        aux
    )
    with pytest.raises(ValueError, match="online=True"):
        lira.decision_function(victims)
    lira.set_params(online=False, keep_shadows=False).fit(aux)
    with pytest.raises(ValueError, match="keep_shadows"):
        lira.decision_function(victims)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_shadows": 1}, "n_shadows"),
        ({"variance": "local"}, "variance"),
        ({"shadow_estimator": "forest"}, "shadow_estimator"),
        ({"label": "y"}, "label='y'"),
    ],
)
def test_lira_errors_name_the_parameter(params, match):
    target, _, _, aux = overfit_problem()
    with pytest.raises(ValueError, match=match):
        LiRA(target, **{"label": 6, **params}).fit(aux)


def test_too_few_records_for_shadows():
    target, _, _, aux = overfit_problem()
    with pytest.raises(ValueError, match="n_samples = 1"):
        RMIA(target, label=6).fit(aux[:1])


def test_dataframes_with_named_columns():
    pd = pytest.importorskip("pandas")
    _, victims, membership, aux = overfit_problem()
    names = [f"c{j}" for j in range(6)] + ["income"]
    frame = pd.DataFrame(np.concatenate([aux, victims]), columns=names)
    frame["income"] = np.where(frame["income"] > 0, "high", "low")
    target = RandomForestClassifier(50, random_state=0).fit(
        frame.iloc[800 : 800 + N, :6], frame["income"].iloc[800 : 800 + N]
    )
    lira = LiRA(target, label="income", n_shadows=8, online=True, random_state=0)
    scores = lira.fit(frame).decision_function(frame.iloc[800:])
    assert membership_roc_auc(membership, scores) > 0.85
    unseen = frame.iloc[800:810].assign(c0=99.0)
    with pytest.raises(ValueError, match="10 of the 10 records"):
        lira.decision_function(unseen)


def test_object_arrays_and_pickling():
    _, victims, _, aux = overfit_problem()
    pool = np.concatenate([aux, victims]).astype(object)
    pool[:, 6] = np.where(pool[:, 6].astype(float) > 0, "yes", "no")
    target = RandomForestClassifier(20, random_state=0).fit(
        pool[800:1200, :6].astype(float), pool[800:1200, 6].astype(str)
    )
    lira = LiRA(target, label=6, n_shadows=4, online=True, random_state=0)
    lira.set_params(shadow_estimator=SHADOW).fit(pool)
    scores = lira.decision_function(pool[800:])
    again = pickle.loads(pickle.dumps(lira)).decision_function(pool[800:])
    np.testing.assert_array_equal(scores, again)
    assert scores[:N].mean() > scores[N:].mean()
