"""Measured effect of the defenses: privacy-utility tables and the privacy scorer."""

import numpy as np
import pytest
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skinvert.datasets import make_sensitive_classification
from skinvert.defenses import DPLogisticRegression, LabelOnly, RoundedConfidences
from skinvert.evaluation import make_privacy_scorer, privacy_utility

pytest.importorskip("pandas")

CONFIDENCE_ATTACKS = ["FredriksonInversion", "CSMIA"]
FAST = {"max_victims": 250, "n_bootstrap": 20}


@pytest.fixture(scope="module")
def output_defenses(planted):
    X, y, members, target = planted
    defenses = {
        "none": None,
        "label only": lambda t: LabelOnly(FrozenEstimator(t)),
        # a defense built around the frozen target: attacked as it is
        "round 0": RoundedConfidences(FrozenEstimator(target), decimals=0),
        "round 3": lambda t: RoundedConfidences(FrozenEstimator(t), decimals=3),
    }
    return privacy_utility(
        X,
        y,
        sensitive=0,
        target=target,
        members=members,
        defenses=defenses,
        attacks=CONFIDENCE_ATTACKS,
        return_audits=True,
        **FAST,
    )


def test_coarse_outputs_lower_the_member_advantage(output_defenses):
    table, _ = output_defenses
    rows = table.set_index("defense")
    for attack in CONFIDENCE_ATTACKS:
        column = rows[f"{attack}:members"]
        assert column["none"] > 0.15  # the planted leak, memorised
        for defense in ("label only", "round 0"):
            assert column[defense] < column["none"] - 0.05, (attack, defense)
        # three decimals hide almost nothing
        assert abs(column["round 3"] - column["none"]) < 0.03
    # output defenses never change the decision: utility is untouched
    assert rows["accuracy"].nunique() == 1 and rows["train_accuracy"].nunique() == 1
    assert rows.loc["none", "train_accuracy"] > rows.loc["none", "accuracy"]


def test_every_setting_is_audited_on_the_same_records(output_defenses):
    table, audits = output_defenses
    assert list(table["defense"]) == list(audits)
    # same auxiliary data and victims: the reference never changes
    for population in ("members", "non-members"):
        assert table[f"reference:{population}"].nunique() == 1
        best = table[[f"{a}:{population}" for a in CONFIDENCE_ATTACKS]].max(axis=1)
        assert np.allclose(table[f"best:{population}"], best)
    assert {a.n_victims for a in audits.values()} == {FAST["max_victims"]}
    assert audits["label only"].target_name.startswith("LabelOnly > FrozenEstimator")
    assert table["target"][0] == "RandomForestClassifier"


def test_differential_privacy_costs_accuracy_and_removes_the_gain():
    X, y = make_sensitive_classification(
        n_samples=2000, leak=2, label_noise=0.2, random_state=0
    )
    dp = {"C": 10.0, "data_norm": 5.0, "method": "objective", "random_state": 1}
    attacks = [
        *CONFIDENCE_ATTACKS,
        "CombinedCSMIA",
        "CombinedFredrikson",
        "LOMIA",
        "CombinedLabelOnly",
        "FredriksonLabelOnly",
    ]
    table = privacy_utility(
        X,
        y,
        sensitive=0,
        defenses={
            "logistic regression": LogisticRegression(),
            "dp 0.01": DPLogisticRegression(epsilon=0.01, **dp),
            "dp 10": DPLogisticRegression(epsilon=10.0, **dp),
        },
        attacks=[*attacks, "LearnedInversion"],
        max_victims=500,
        n_bootstrap=20,
    ).set_index("defense")
    accuracy = table["accuracy"]
    assert accuracy["dp 0.01"] < 0.6  # the noise drowns the model
    assert abs(accuracy["dp 10"] - accuracy["logistic regression"]) < 0.03
    for population in ("members", "non-members"):
        private = table.loc["dp 0.01", [f"{a}:{population}" for a in attacks]]
        public = table.loc[
            "logistic regression", [f"{a}:{population}" for a in attacks]
        ]
        assert (private < 0.05).all(), private  # no attack gains anything
        assert (private <= public + 0.01).all()
        # an attack that learns from auxiliary records how to read the answers
        # stays at the baseline; FredriksonInversion and CSMIA take the random
        # model at its word and fall below it (how far depends on the noise draw)
        assert abs(private[f"CombinedCSMIA:{population}"]) < 0.05
        assert private[f"CSMIA:{population}"] < -0.1
        # what differential privacy does not hide: the answer on the victim's own
        # record is a function of her sensitive value whatever the weights are,
        # and an attacker who sees that answer learns the function from her
        # auxiliary records (the guarantee is about training records, not this)
        learned = f"LearnedInversion:{population}"
        assert table.loc["dp 0.01", learned] > 0.1


def test_settings_named_after_themselves_and_checked(planted):
    X, y, members, target = planted
    frozen = FrozenEstimator(target)
    table = privacy_utility(
        X,
        y,
        sensitive=0,
        target=target,
        members=members,
        defenses=[
            None,
            LabelOnly(frozen),
            RoundedConfidences(frozen, decimals=1),
            LabelOnly(frozen),
        ],
        attacks=["FredriksonInversion"],
        max_victims=50,
        n_bootstrap=5,
    )
    assert list(table["defense"]) == [
        "none",
        "LabelOnly()",
        "RoundedConfidences(decimals=1)",
        "LabelOnly() #2",
    ]
    with pytest.raises(ValueError, match="defenses is empty"):
        privacy_utility(X, y, sensitive=0, defenses=[])
    with pytest.raises(ValueError, match="pass members="):
        privacy_utility(X, y, sensitive=0, target=target, defenses=[None])
    with pytest.raises(TypeError, match="expected None, a callable"):
        privacy_utility(X, y, sensitive=0, defenses={"two": 2})


def test_grid_search_reports_utility_and_leak(planted):
    X, y, _, _ = planted
    scoring = {
        "accuracy": "accuracy",
        "leak": make_privacy_scorer("CSMIA", sensitive=0),
    }
    search = GridSearchCV(
        RoundedConfidences(LogisticRegression()),
        {"decimals": [0, 1, 3]},
        scoring=scoring,
        refit="accuracy",
        cv=3,
        return_train_score=True,
    ).fit(X, y)
    results = search.cv_results_
    for key in ("mean_test_leak", "mean_train_leak", "mean_test_accuracy"):
        assert np.isfinite(results[key]).all() and results[key].shape == (3,)
    assert np.all(np.abs(results["mean_test_leak"]) < 0.2)
    assert isinstance(search.best_estimator_, RoundedConfidences)


def test_scorer_measures_members_above_non_members(planted):
    X, y, members, target = planted
    rest = np.flatnonzero(~members)
    aux, outside = rest[:250], rest[250:]
    scorer = make_privacy_scorer(
        "FredriksonInversion", sensitive=0, aux=(X[aux], y[aux])
    )
    on_members = scorer(target, X[members], y[members])
    on_non_members = scorer(target, X[outside], y[outside])
    assert on_members > on_non_members + 0.05
    assert scorer(target, X[members], y[members]) == on_members  # reproducible
    # without aux the records are halved: attacker's half and victims
    halved = make_privacy_scorer("FredriksonInversion", sensitive=0)
    assert halved(target, X[members], y[members]) > 0.05
    assert "FredriksonInversion" in repr(scorer)


def test_scorer_errors_name_the_problem(planted):
    X, y, _, target = planted
    with pytest.raises(ValueError, match=r"not an attack of skinvert\.attacks"):
        make_privacy_scorer("Nope", sensitive=0)
    with pytest.raises(ValueError, match=r"aux must be a pair \(X_aux, y_aux\)"):
        make_privacy_scorer("CSMIA", sensitive=0, aux=(X,))
    blind = make_privacy_scorer("CSMIA", sensitive=0, label_known=False)
    with pytest.raises(ValueError, match="did not run: CSMIA skipped: needs the"):
        blind(target, X[:200], y[:200])


def test_scorer_leaves_out_records_whose_label_the_target_never_saw():
    X, y = make_sensitive_classification(600, leak=2, random_state=0)
    y = y.astype(object)
    y[7] = "rare"  # one record of a label the target is not trained on
    target = LogisticRegression().fit(X[8:300], y[8:300].astype(int))
    scorer = make_privacy_scorer("FredriksonInversion", sensitive=0)
    assert np.isfinite(scorer(target, X, y))
