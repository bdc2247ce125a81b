"""The audit's outputs: JSON against its schema, round trips, HTML, notebooks."""

import json
from importlib import resources

import numpy as np
import pytest

from skinvert.datasets import make_sensitive_classification
from skinvert.evaluation import SCHEMA_VERSION, AuditResult, audit

jsonschema = pytest.importorskip("jsonschema")
pd = pytest.importorskip("pandas")

FAST = {"max_victims": 80, "n_bootstrap": 50, "model": "decision_tree"}


@pytest.fixture(scope="module")
def result():
    X, y = make_sensitive_classification(
        n_samples=600, leak=3, label_noise=0.2, random_state=0
    )
    return audit(X, y, sensitive=0, by=1, **FAST)


def _schema():
    text = resources.files("skinvert.evaluation").joinpath("audit.schema.json")
    return json.loads(text.read_text())


def test_json_validates_against_the_schema(result):
    data = json.loads(result.to_json())
    jsonschema.validate(data, _schema())
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["versions"]["scikit-learn"]
    assert data["settings"]["seed"] == result.settings["seed"]
    assert {m["name"] for m in data["threat_models"]} >= {"no access", "confidences"}
    assert data["headline"]["metric"] == "balanced_accuracy"
    assert result.membership and "auc" in result.membership[0]


def test_the_schema_rejects_a_broken_result(result):
    data = json.loads(result.to_json())
    data["rows"]["members"][0]["threat_model"] = "telepathy"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, _schema())


def test_to_json_and_to_frame_round_trip(result):
    again = AuditResult.from_json(result.to_json())
    assert again.to_frame().equals(result.to_frame())
    assert again.summary == result.summary
    assert again.leak() == result.leak()
    frame = result.to_frame()
    assert list(frame.columns[:3]) == ["population", "attack", "threat_model"]
    assert len(frame) == sum(len(rows) for rows in result.rows.values())


def test_per_record_has_one_row_per_victim_and_threat_model(result):
    frame = result.per_record_frame()
    for (population, model), group in frame.groupby(["population", "threat_model"]):
        assert len(group) == result.n_victims, (population, model)
        assert group["record"].is_unique
        assert np.allclose(
            group["margin"], group["attack_score"] - group["reference_score"]
        )


def test_notebook_and_figure(result):
    html = result._repr_html_()
    assert html.startswith("<div>") and "<table>" in html
    assert len(repr(result)) < 300
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    ax = result.plot()
    assert ax.get_ylabel().startswith("advantage")
    assert len(ax.patches) >= 2


def test_html_report_is_self_contained(result, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "report.html"
    text = result.to_html(path)
    assert path.read_text(encoding="utf-8") == text
    assert "http://" not in text and "https://" not in text
    assert text.count("data:image/png;base64,") >= 3
    for part in ("figure-advantages", "figure-roc", "figure-gap", "Threat models"):
        assert part in text


def test_a_continuous_column_runs_the_regressor_attacks():
    rng = np.random.default_rng(0)
    n = 900
    age = rng.normal(40, 12, n)
    x = rng.standard_normal((n, 3))
    y = ((age - 40) / 12 + x[:, 0] + 0.5 * rng.standard_normal(n) > 0).astype(int)
    X = np.column_stack([age, x])
    res = audit(X, y, sensitive=0, membership=False, **FAST)
    assert res.kind == "continuous"
    names = {r["attack"] for r in res.rows["members"]}
    assert "FredriksonRegressor" in names
    reference = res.rows["members"][0]
    assert reference["threat_model"] == "no access" and reference["mae"] > 0
    assert set(res.columns) == set(reference)
    assert res.headline["metric"] == "mae_reduction"
    jsonschema.validate(json.loads(res.to_json()), _schema())


def test_subgroups_are_reported_and_a_planted_group_flagged():
    rng = np.random.default_rng(3)
    n = 2400
    group = rng.integers(0, 3, n)
    s = rng.integers(0, 2, n)
    x = rng.standard_normal((n, 3))
    # group 2's labels are noise that the tree memorises record by record (the
    # sensitive value included); the other groups follow a rule that ignores it
    y = np.where(group == 2, rng.integers(0, 2, n), (x[:, 0] > 0).astype(int))
    X = np.column_stack([s, group, x])
    res = audit(
        X,
        y,
        sensitive=0,
        by=1,
        max_victims=600,
        n_bootstrap=200,
        model="decision_tree",
        attacks=["CSMIA"],
        membership=False,
    )
    rows = [r for r in res.subgroups if r["threat_model"] == "confidences"]
    flagged = {(r["population"], r["group"]) for r in rows if r["flagged"]}
    assert flagged == {("members", 2.0)}
    assert {r["n"] for r in rows} and all(r["n"] > 100 for r in rows)
