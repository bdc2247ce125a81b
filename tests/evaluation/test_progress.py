"""Which step of an audit is running: a bar, or plain lines without tqdm."""

import sys

import pytest

from skinvert.datasets import make_sensitive_classification
from skinvert.evaluation import audit
from skinvert.evaluation._progress import progress

FAST = {
    "max_victims": 40,
    "n_bootstrap": 20,
    "membership": False,
    "attacks": ["CSMIA"],
    "model": "decision_tree",
}


def test_plain_lines_without_tqdm(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails
    X, y = make_sensitive_classification(300, random_state=0)
    audit(X, y, sensitive=0, verbose=1, **FAST)
    err = capsys.readouterr().err
    for step in ("training the target", "fitting the attacks", "attacking the members"):
        assert f"audit: {step}" in err


def test_a_bar_with_tqdm(capsys):
    pytest.importorskip("tqdm")
    bar = progress(1, "work", total=2)
    bar.step("first")
    bar.step("second")
    bar.close()
    assert "work" in capsys.readouterr().err


def test_silent_by_default(capsys):
    X, y = make_sensitive_classification(300, random_state=0)
    audit(X, y, sensitive=0, **FAST)
    assert capsys.readouterr().err == ""
