"""The audit: populations, reference first, planted leaks found, attacks skipped."""

import csv
import io

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

import skinvert.attacks
from skinvert.attacks import FredriksonInversion
from skinvert.base import BaseInversion
from skinvert.datasets import make_sensitive_classification
from skinvert.evaluation import COLUMNS, MODELS, audit, make_target
from skinvert.evaluation import _report as report_module
from skinvert.evaluation._registry import _known_attacks
from skinvert.evaluation._targets import describe

FAST = {"max_victims": 80, "n_bootstrap": 100, "membership": False}
TREE = {**FAST, "model": "decision_tree"}


def _data(leak=3.0, n=600, seed=0):
    return make_sensitive_classification(
        n_samples=n, leak=leak, label_noise=0.2, random_state=seed
    )


@pytest.fixture(scope="module")
def leaky_result():
    X, y = _data(n=900)
    return audit(X, y, sensitive=0, **FAST)


def test_tables_have_both_populations_and_the_reference_first(leaky_result):
    result = leaky_result
    assert list(result.rows) == ["members", "non-members"]
    for rows in result.rows.values():
        assert rows[0]["attack"].startswith("reference: ")
        assert rows[0]["threat_model"] == "no access"
        assert rows[0]["advantage"] == 0
        assert {"CSMIA", "FredriksonInversion"} <= {r["attack"] for r in rows}
        assert all(set(r) == set(COLUMNS) for r in rows)
        assert rows[0]["advantage"] == 0 and rows[0]["queries"] == 0
        # an attack that reads the true record queries it once per victim;
        # every other attack queries the target once per candidate and victim
        known = _known_attacks("categorical")
        for row in rows:
            if row["threat_model"] == "no access":
                continue
            reads_truth = getattr(known[row["attack"]], "_reads_true_record", False)
            per_victim = 1 if reads_truth else 2
            assert row["queries"] == per_victim * result.n_victims, row["attack"]
    assert result.n_victims == FAST["max_victims"]
    assert result.n_members + result.n_aux + result.n_non_members == 900


def test_planted_leak_gives_members_a_positive_advantage(leaky_result):
    best = leaky_result.summary["members"]["confidences"]
    assert best["attack"] in {
        "CSMIA",
        "FredriksonInversion",
        "CombinedCSMIA",
        "CombinedFredrikson",
    }
    assert best["advantage"] > 0.05
    assert 0 < best["low"] <= best["advantage"] <= best["high"]
    # no summary line mixes threat models
    for population in leaky_result.summary.values():
        for model, entry in population.items():
            rows = [
                r
                for p in leaky_result.rows.values()
                for r in p
                if r["attack"] == entry["attack"]
            ]
            assert {r["threat_model"] for r in rows} == {model}
    # the target memorised its members: it fits them better than held-out records
    assert leaky_result.target_train_accuracy > leaky_result.target_test_accuracy


def test_advantage_is_balanced_accuracy_over_the_reference(leaky_result):
    chosen = leaky_result.reference["chosen"]
    for rows in leaky_result.rows.values():
        by_name = {r["attack"]: r for r in rows}
        balanced = by_name[f"reference: {chosen['balanced_accuracy']}"]
        accurate = by_name[f"reference: {chosen['accuracy']}"]
        for row in rows:
            assert row["advantage"] == pytest.approx(
                row["balanced_accuracy"] - balanced["balanced_accuracy"]
            )
            assert row["accuracy_advantage"] == pytest.approx(
                row["accuracy"] - accurate["accuracy"]
            )
            assert row["advantage_low"] <= row["advantage"] <= row["advantage_high"]
            assert 0 <= row["ppv_at_k"] <= 1 and 0 <= row["roc_auc"] <= 1


def test_deterministic_for_a_fixed_random_state():
    X, y = _data()
    runs = [audit(X, y, sensitive=0, **TREE) for _ in range(2)]
    strip = [
        {p: [{k: v for k, v in r.items() if "seconds" not in k} for r in rows]}
        for run in runs
        for p, rows in run.rows.items()
    ]
    assert strip[:2] == strip[2:]
    assert runs[0].summary == runs[1].summary


def test_without_the_label_label_attacks_are_skipped_with_a_note():
    X, y = _data()
    result = audit(X, y, sensitive=0, label_known=False, **TREE)
    names = [r["attack"] for r in result.rows["members"]]
    assert "CSMIA" not in names and "FredriksonInversion" in names
    assert any(n.startswith("CSMIA skipped") for n in result.notes)
    assert "does not know" in str(result)


class _Broken(BaseInversion):
    """An attack that fails when fitted."""

    def _fit(self, records, codes, labels):
        raise RuntimeError("cannot run here\nsecond line")


class _LabelOnly(BaseInversion):
    """A label-only attack: the prior, reweighted by the target's labels."""

    _target_method = "predict"

    def _posterior(self, records, labels):
        answers = self._query(records)
        return (answers == answers[:, :1]) * self.prior_ + 1e-9


class _Cheat(BaseInversion):
    """Reads the victims' sensitive column: must find nothing there."""

    _target_method = None

    def _posterior(self, records, labels):
        values = np.asarray(records[:, self.sensitive_indices_[0]], dtype=float)
        return (values[:, None] == self.classes_[None, :]).astype(float)


class _Observer(_Cheat):
    """Its threat model grants the answer on the true record: it gets the column."""

    _reads_true_record = True


_WhiteBox = type("_WhiteBox", (_LabelOnly,), {"__module__": "skinvert.attacks._white"})


def test_attacks_are_found_at_run_time_and_skipped_gracefully(monkeypatch):
    extra = {"_Broken": _Broken, "_LabelOnly": _LabelOnly, "_WhiteBox": _WhiteBox}
    for name, cls in extra.items():
        monkeypatch.setattr(skinvert.attacks, name, cls, raising=False)
    monkeypatch.setattr(
        skinvert.attacks, "__all__", [*skinvert.attacks.__all__, *extra]
    )
    X, y = _data()
    result = audit(X, y, sensitive=0, model="logistic_regression", **FAST)
    names = [r["attack"] for r in result.rows["members"]]
    assert names[0].startswith("reference: ") and "_LabelOnly" in names
    assert "_Broken" not in names and "_WhiteBox" not in names
    notes = "\n".join(result.notes)
    assert "_Broken skipped: RuntimeError: cannot run here" in notes
    assert "second line" not in notes
    assert "_WhiteBox skipped: white-box" in notes
    # on a tree target, the white-box attack runs
    tree = audit(X, y, sensitive=0, attacks=[_WhiteBox], **TREE)
    assert [r["attack"] for r in tree.rows["members"]][-1] == "_WhiteBox"
    assert tree.rows["members"][-1]["threat_model"] == "white-box"


def test_victims_sensitive_values_are_hidden_from_the_attacks():
    X, y = _data()
    result = audit(X, y, sensitive=0, attacks=[_Cheat(), _Observer], **TREE)
    cheat, observer = [r for r in result.rows["members"] if r["attack"][0] == "_"]
    assert cheat["attack"] == "_Cheat"
    assert cheat["accuracy"] < 0.75  # it would be 1.0 with the values in sight
    # an attack whose threat model grants the true record receives it
    assert observer["attack"] == "_Observer" and observer["accuracy"] == 1.0


def test_attacks_by_name_and_unknown_names():
    X, y = _data()
    result = audit(X, y, sensitive=0, attacks=["CSMIA", "ImputationBaseline"], **TREE)
    names = [r["attack"] for r in result.rows["members"]]
    assert names[-1] == "CSMIA"
    assert all(n.startswith("reference: ") for n in names[:-1])
    with pytest.raises(ValueError, match=r"'Nope'.*Known:.*CSMIA"):
        audit(X, y, sensitive=0, attacks=["Nope"], **TREE)


def test_dataframe_with_string_columns_and_a_wrapped_target():
    pd = pytest.importorskip("pandas")
    X, y = _data(n=500)
    frame = pd.DataFrame(X[:, 1:], columns=[f"x{i}" for i in range(1, 6)])
    frame.insert(2, "status", np.where(X[:, 0] == 1, "yes", "no"))
    frame["town"] = pd.Categorical(np.array(["a", "b", "c"])[np.arange(500) % 3])
    calls = []

    def wrapper(target):
        calls.append(target)
        return FrozenEstimator(target)

    result = audit(
        frame,
        pd.Series(y, name="outcome"),
        sensitive="status",
        target_wrapper=wrapper,
        **TREE,
    )
    assert isinstance(calls[0], Pipeline)
    assert result.target_name == "FrozenEstimator > Pipeline > DecisionTreeClassifier"
    assert result.positive == "yes"  # the rarer value of a non 0/1 attribute
    tables = result.tables
    assert list(tables["members"].columns) == list(COLUMNS)
    assert tables["members"]["attack"].iloc[0].startswith("reference: ")
    assert result.summary["members"]["confidences"]["advantage"] > 0


@pytest.mark.parametrize("model", [*MODELS, LogisticRegression(C=0.5)])
def test_every_model_runs(model):
    X, y = _data(n=400)
    result = audit(
        X,
        y,
        sensitive=0,
        model=model,
        max_victims=40,
        n_bootstrap=20,
        membership=False,
    )
    assert len(result.rows["non-members"]) >= 3


def test_make_target_one_hot_encodes_strings():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": ["u", "v"]})
    target = make_target("random_forest", frame, random_state=0)
    assert isinstance(target, Pipeline)
    assert target.steps[0][1].transformers[0][2] == ["b"]
    assert not isinstance(
        make_target("decision_tree", frame.drop(columns="b")), Pipeline
    )


def test_formats(leaky_result, monkeypatch):
    text = leaky_result.format_table()
    assert text == str(leaky_result)
    members = text.index("members (in the target's training set)")
    non_members = text.index("non-members (held out)")
    assert members < text.index("reference: ", members) < non_members
    assert members < text.index("[confidences]") < non_members
    assert "Best attack per threat model" in text
    assert "Memorisation gap" in text
    markdown = leaky_result.format_table("markdown")
    assert "### non-members (held out)" in markdown
    assert "| no access | reference: " in markdown
    rows = list(csv.DictReader(io.StringIO(leaky_result.format_table("csv"))))
    assert len(rows) == sum(len(r) for r in leaky_result.rows.values())
    assert rows[0]["population"] == "members"
    assert rows[0]["attack"].startswith("reference: ")
    # intervals are in the CSV, numbers rounded
    assert {"advantage_low", "advantage_high"} <= set(rows[0])
    assert all(len(r["advantage"].split(".")[-1]) <= 4 for r in rows)
    with pytest.raises(ValueError, match="fmt='html'"):
        leaky_result.format_table("html")

    def no_pandas(name, **kwargs):
        raise ImportError(name)

    monkeypatch.setattr(report_module, "import_optional", no_pandas)
    assert leaky_result.tables["members"][0]["attack"].startswith("reference: ")


def test_bad_input_names_the_problem():
    X, y = _data(n=200)
    with pytest.raises(ValueError, match=r"member_fraction=0\.7 and aux_fraction=0\.3"):
        audit(X, y, sensitive=0, member_fraction=0.7, aux_fraction=0.3)
    with pytest.raises(ValueError, match="one label per record"):
        audit(X, y[:-1], sensitive=0)
    with pytest.raises(ValueError, match="sensitive=9 is out of range"):
        audit(X, y, sensitive=9)
    with pytest.raises(ValueError, match="too few"):
        audit(X[:5], y[:5], sensitive=0)


def test_records_with_a_missing_sensitive_value_are_left_out():
    X, y = _data(n=400)
    X = X.copy()
    X[:10, 0] = np.nan
    result = audit(X, y, sensitive=0, **TREE)
    assert result.n_members + result.n_aux + result.n_non_members == 390
    assert "10 records" in result.notes[0]
    assert np.isfinite(result.rows["members"][0]["accuracy"])


@pytest.mark.parametrize("n", [0, 1, 5])
def test_too_few_records_get_the_audits_own_message(n):
    X, y = _data(n=50)
    with pytest.raises(ValueError, match=f"{n} records are too few to split"):
        audit(X[:n], y[:n], sensitive=0)


def test_a_fitted_target_with_its_members():
    X, y = _data(n=600)
    trained = np.zeros(600, dtype=bool)
    trained[::2] = True
    target = DecisionTreeClassifier(random_state=0).fit(X[trained], y[trained])
    result = audit(X, y, sensitive=0, target=target, members=trained, **FAST)
    assert (result.n_members, result.n_aux, result.n_non_members) == (300, 150, 150)
    assert result.target_train_accuracy == 1.0  # the tree's own training records
    assert result.target_name == "DecisionTreeClassifier"
    positions = audit(
        X, y, sensitive=0, target=target, members=np.flatnonzero(trained), **FAST
    )
    assert positions.summary == result.summary
    with pytest.raises(ValueError, match="pass members="):
        audit(X, y, sensitive=0, target=target)
    with pytest.raises(ValueError, match=r"expected \(600,\)"):
        audit(X, y, sensitive=0, target=target, members=trained[:10])
    with pytest.raises(NotFittedError, match="is not fitted"):
        audit(X, y, sensitive=0, target=DecisionTreeClassifier(), members=trained)


def test_variants_of_one_attack_get_distinct_names():
    X, y = _data()
    variants = [FredriksonInversion(), FredriksonInversion(prior="uniform")]
    result = audit(X, y, sensitive=0, attacks=variants, **TREE)
    assert [r["attack"] for r in result.rows["members"]][-2:] == [
        "FredriksonInversion",
        "FredriksonInversion(prior='uniform')",
    ]


def test_describe_sees_through_wrappers():
    from skinvert.defenses import RoundedConfidences

    X, y = _data(n=100)
    forest = make_target(RandomForestClassifier(n_estimators=3), X).fit(X, y)
    wrapped = RoundedConfidences(FrozenEstimator(forest))
    assert describe(wrapped) == (
        "RoundedConfidences > FrozenEstimator > RandomForestClassifier"
    )


def test_a_0_1_integer_mask_is_not_read_as_positions():
    X, y = _data(n=300)
    mask = (np.arange(300) % 2 == 0).astype(int)
    target = DecisionTreeClassifier(random_state=0).fit(X[mask == 1], y[mask == 1])
    with pytest.raises(ValueError, match=r"repeated positions.*astype\(bool\)"):
        audit(X, y, sensitive=0, target=target, members=mask, **FAST)


def test_every_record_a_member_is_refused():
    X, y = _data(n=300)
    target = DecisionTreeClassifier(random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="every one of the 300 records is a member"):
        audit(X, y, sensitive=0, target=target, members=np.ones(300, bool), **FAST)


def test_auxiliary_records_holding_one_value_are_refused():
    X, y = _data(n=600)
    order = np.argsort(X[:, 0], kind="stable")  # sorted by the sensitive column
    X, y = X[order], y[order]
    members = np.arange(600) >= 300
    aux = np.arange(600) < 100  # the first records: all hold 0
    target = DecisionTreeClassifier(random_state=0).fit(X[members], y[members])
    with pytest.raises(ValueError, match=r"all hold 0 = 0\.0.*shuffle"):
        audit(X, y, sensitive=0, target=target, members=members, aux=aux, **FAST)


def test_a_logistic_target_trained_on_records_with_missing_numbers():
    X, y = _data(n=400)
    X = X.copy()
    X[::7, 3] = np.nan
    result = audit(X, y, sensitive=0, model="logistic_regression", **FAST)
    assert result.target_test_accuracy > 0.5


def test_continuous_kind_on_strings_is_explained():
    pd = pytest.importorskip("pandas")
    X, y = _data(n=300)
    frame = pd.DataFrame(X, columns=list("sabcde")).assign(
        s=np.where(X[:, 0] > 0, "north", "south")
    )
    with pytest.raises(ValueError, match=r"kind='continuous' needs numbers.*'s'"):
        audit(frame, y, sensitive="s", kind="continuous", **FAST)
