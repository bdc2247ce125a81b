"""The ``skinvert`` command line."""

import csv
import io
import runpy
import sys

import numpy as np
import pytest

import skinvert
from skinvert import _cli_defenses
from skinvert.cli import main
from skinvert.datasets import make_sensitive_classification
from skinvert.defenses import PrivacyLeakWarning

FAST = ["--max-victims", "60", "--n-bootstrap", "50", "--no-membership"]


@pytest.fixture(scope="module")
def table_csv(tmp_path_factory):
    pd = pytest.importorskip("pandas")
    X, y = make_sensitive_classification(
        n_samples=500, leak=3, label_noise=0.2, random_state=0
    )
    frame = pd.DataFrame(X[:, 1:], columns=[f"x{i}" for i in range(1, X.shape[1])])
    frame["religion"] = np.where(X[:, 0] == 1, "yes", "no")
    frame["outcome"] = y
    path = tmp_path_factory.mktemp("data") / "records.csv"
    frame.to_csv(path, index=False)
    return path


def test_no_arguments_audits_the_affairs_survey(capsys):
    pytest.importorskip("statsmodels")
    status = main(["audit", *FAST])
    out = capsys.readouterr().out
    assert status == 0
    assert "sensitive='affair'" in out
    members = out.index("members (in the target's training set)")
    non_members = out.index("non-members (held out)")
    assert members < out.index("reference: ", members) < non_members
    assert "reference: " in out[non_members:]
    assert "victims: 60 members" in out


def test_data_option_reads_a_csv(table_csv, capsys):
    status = main(
        [
            *("audit", "--data", str(table_csv), "--sensitive", "religion"),
            *("--label", "outcome", "--model", "decision_tree", "--format", "csv"),
            *FAST,
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["population"] for r in rows} == {"members", "non-members"}
    assert rows[0]["attack"].startswith("reference: ")
    csmia = next(r for r in rows if r["attack"] == "CSMIA")
    assert int(csmia["queries"]) == 2 * 60  # two values, 60 victims


def test_no_label_and_markdown(table_csv, capsys):
    args = ["audit", "--data", str(table_csv), "--sensitive", "religion"]
    args += ["--label", "outcome", "--no-label", "--format", "markdown"]
    args += ["--model", "decision_tree", *FAST]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "does not know the task label" in out
    assert "| CSMIA |" not in out and "CSMIA skipped" in out
    assert "### members" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sensitive", "nope", "--label", "outcome"], "--sensitive 'nope' is not"),
        (["--sensitive", "religion", "--label", "nope"], "--label 'nope' is not"),
        (["--label", "outcome"], "--data needs --sensitive COL"),
    ],
)
def test_bad_columns_exit_2_and_list_the_columns(table_csv, capsys, args, message):
    status = main(["audit", "--data", str(table_csv), *args, *FAST])
    captured = capsys.readouterr()
    assert status == 2 and captured.out == ""  # returned: no exception escaped
    assert message in captured.err and "Traceback" not in captured.err
    assert "columns are: x1, x2, x3, x4, x5, religion, outcome" in captured.err
    assert len(captured.err.strip().splitlines()) == 1


def test_sensitive_and_label_must_differ(table_csv, capsys):
    args = ["--sensitive", "outcome", "--label", "outcome"]
    assert main(["audit", "--data", str(table_csv), *args]) == 2
    assert "both name 'outcome'; they must differ" in capsys.readouterr().err


def test_missing_file_exits_2(tmp_path, capsys):
    status = main(["audit", "--data", str(tmp_path / "absent.csv")])
    err = capsys.readouterr().err
    assert status == 2
    assert err.strip() == (
        f"skinvert audit: error: --data: no such file: {tmp_path}/absent.csv"
    )


def test_bad_options_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "--max-victims", "0"])
    assert exit_info.value.code == 2
    assert "positive integer" in capsys.readouterr().err
    assert main([]) == 2


def test_python_m_skinvert_version(monkeypatch, capsys):
    # what ``python -m skinvert --version`` runs, without a new interpreter
    monkeypatch.setattr(sys, "argv", ["skinvert", "--version"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("skinvert", run_name="__main__")
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"skinvert {skinvert.__version__}"


def test_defense_hook(table_csv, capsys, monkeypatch):
    from sklearn.frozen import FrozenEstimator

    monkeypatch.setattr(_cli_defenses, "DEFENSES", {"freeze": FrozenEstimator})
    args = ["audit", "--data", str(table_csv), "--sensitive", "religion"]
    args += ["--label", "outcome", "--defense", "freeze"]
    args += ["--model", "decision_tree", *FAST]
    assert main(args) == 0
    assert "target: FrozenEstimator > Pipeline > DecisionTreeClassifier" in (
        capsys.readouterr().out
    )


def test_defenses_audited_on_the_same_records_then_tabulated(table_csv, capsys):
    args = ["audit", "--data", str(table_csv), "--sensitive", "religion"]
    args += ["--label", "outcome", "--model", "decision_tree", *FAST]
    args += ["--defense", "round:1", "--defense", "label"]
    assert main(args) == 0
    out = capsys.readouterr().out
    titles = [f"=== defense: {name} ===" for name in ("none", "round:1", "label")]
    positions = [out.index(title) for title in titles]
    assert positions == sorted(positions)
    assert "target: LabelOnly > FrozenEstimator > Pipeline" in out
    table = out[out.index("=== privacy-utility ===") :].splitlines()
    header = next(i for i, line in enumerate(table) if line.startswith("defense"))
    rows = [line.split() for line in table[header + 1 : header + 4]]
    assert [row[0] for row in rows] == ["none", "round:1", "label"]
    # a fully grown tree answers with one-hot confidences already: rounding and
    # label-only change nothing, and the three audits, on the same records, agree
    assert len({tuple(row[1:]) for row in rows}) == 1


def test_defense_csv_has_one_row_per_setting_population_and_attack(table_csv, capsys):
    args = ["audit", "--data", str(table_csv), "--sensitive", "religion"]
    args += ["--label", "outcome", "--model", "decision_tree", "--format", "csv"]
    args += ["--defense", "noise:0.5", "--no-label", *FAST]
    assert main(args) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0])[:3] == ["defense", "target_accuracy", "population"]
    first_rows = [r["defense"] for r in rows if r["attack"].startswith("reference")]
    assert first_rows[0] == "none" and first_rows[-1] == "noise:0.5"
    assert {r["population"] for r in rows} == {"members", "non-members"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("round:x", "--defense round:VALUE needs an integer 0 to 12, got 'x'"),
        ("topk:0", "--defense topk:VALUE needs an integer at least 1"),
        ("noise:-1", "--defense noise:VALUE needs a number at least 0.0"),
        ("dp:0", "--defense dp:VALUE needs an epsilon above 0, got '0'"),
        ("dp:0.0", "--defense dp:VALUE needs an epsilon above 0, got '0.0'"),
        ("label:3", "--defense label takes no value, got '3'"),
        ("dp:-2", "--defense dp:VALUE needs a number at least 0.0"),
        ("dp:nan", "--defense dp:VALUE needs a number at least 0.0, got 'nan'"),
        ("noise:inf", "--defense noise:VALUE needs a number at least 0.0"),
        ("label,nope", "unknown defense 'nope'; known: dp, label, noise, round, topk"),
    ],
)
def test_bad_defense_exits_2_before_training(value, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "--defense", value])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_private_model_trained_in_the_targets_place(table_csv, capsys):
    args = ["audit", "--data", str(table_csv), "--sensitive", "religion"]
    args += ["--label", "outcome", "--model", "logistic_regression", *FAST]
    args += ["--defense", "dp:0.0001,dp:1000"]
    with pytest.warns(PrivacyLeakWarning, match="data_norm=None"):
        assert main(args) == 0
    out = capsys.readouterr().out
    assert "target: Pipeline > DPLogisticRegression" in out
    table = out[out.index("=== privacy-utility ===") :].splitlines()
    header = next(i for i, line in enumerate(table) if line.startswith("defense"))
    rows = [line.split() for line in table[header + 1 : header + 4]]
    accuracy = {row[0]: float(row[1]) for row in rows}
    # a tiny epsilon costs accuracy; a huge one leaves the model as it was (the
    # accuracy against epsilon is measured in tests/defenses/test_dp.py)
    assert accuracy["dp:0.0001"] < accuracy["none"] - 0.02
    assert abs(accuracy["dp:1000"] - accuracy["none"]) < 0.05


def test_defense_none_gives_the_audit_without_defenses(table_csv, capsys):
    args = ["audit", "--data", str(table_csv), "--sensitive", "religion"]
    args += ["--label", "outcome", "--model", "decision_tree", "--format", "csv"]
    args += FAST
    assert main(args) == 0
    plain = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert main([*args, "--defense", "none"]) == 0
    defended = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    timing = {"fit_seconds", "predict_seconds"}
    assert [{k: v for k, v in r.items() if k not in timing} for r in plain] == [
        {k: v for k, v in r.items() if k not in timing and k in r}
        for r in (
            {k: v for k, v in row.items() if k not in {"defense", "target_accuracy"}}
            for row in defended
        )
    ]
