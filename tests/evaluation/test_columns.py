"""Every column audited in turn and ranked: the vulnerability map."""

import json

import numpy as np
import pytest

from skinvert.cli import main
from skinvert.datasets import make_sensitive_classification
from skinvert.evaluation import VulnerabilityMap, audit_columns

FAST = {
    "max_victims": 100,
    "n_bootstrap": 100,
    "membership": False,
    "attacks": ["CSMIA"],
    "model": "decision_tree",
}


@pytest.fixture(scope="module")
def vmap():
    # column 0 leaks through the label (and the members' memorised noise);
    # columns 1-2 drive the label rule, so the model's answers depend on them;
    # column 3 is noise the model never uses
    X, y = make_sensitive_classification(
        n_samples=900, leak=3, label_noise=0.2, random_state=0
    )
    rng = np.random.default_rng(0)
    X = np.column_stack([X[:, :3], rng.integers(0, 3, len(y))])  # 3: pure noise
    # 200 victims a population: intervals narrow enough to rank the leak
    return audit_columns(X, y, sensitive="all", **{**FAST, "max_victims": 200})


def test_the_planted_leak_ranks_first(vmap):
    assert isinstance(vmap, VulnerabilityMap)
    order = [row["column"] for row in vmap.ranking]
    assert order.index(0) < order.index(3)  # the planted leak above the noise
    assert vmap.ranking[order.index(0)]["members_advantage"] > 0.1
    assert len(vmap.ranking) == 4 and set(vmap.results) == {0, 1, 2, 3}
    leaks = [row["leak"] for row in vmap.ranking]
    assert leaks == sorted(leaks, reverse=True)
    # a numeric column with many values is audited with the regressor attacks
    assert vmap.results[1].kind == "continuous"
    assert vmap.results[3].kind == "categorical"


def test_outputs(vmap):
    text = str(vmap)
    assert text.startswith("Vulnerability map") and "=== 0 ===" in text
    data = json.loads(vmap.to_json())
    assert [r["column"] for r in data["ranking"]] == [r["column"] for r in vmap.ranking]
    assert vmap.to_frame()["column"].tolist() == [r["column"] for r in vmap.ranking]
    assert "<table>" in vmap._repr_html_()


def test_unknown_columns_are_named():
    X, y = make_sensitive_classification(n_samples=200, random_state=0)
    with pytest.raises(ValueError, match=r"\[9\]"):
        audit_columns(X, y, sensitive=[0, 9], **FAST)


def test_command_line_all_columns(tmp_path, capsys):
    pd = pytest.importorskip("pandas")
    X, y = make_sensitive_classification(
        n_samples=600, leak=3, label_noise=0.2, random_state=0
    )
    frame = pd.DataFrame(X[:, :3], columns=["s", "a", "b"]).assign(label=y)
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    status = main(
        [
            "audit",
            "--data",
            str(path),
            "--sensitive",
            "s,b",
            "--label",
            "label",
            "--model",
            "decision_tree",
            "--max-victims",
            "80",
            "--n-bootstrap",
            "50",
            "--no-membership",
            "--per-record",
            str(tmp_path / "risk.csv"),
        ]
    )
    assert status == 0
    out = capsys.readouterr().out
    ranked = [
        line.split()[1] for line in out.splitlines() if line[:5] in ("  1. ", "  2. ")
    ]
    assert sorted(ranked) == ["b", "s"]
    risk = pd.read_csv(tmp_path / "risk.csv")
    assert set(risk["sensitive"]) == {"s", "b"}
