"""A user's fitted model and record files: skops, pickles, URLs, columns, the gate."""

import json
import pickle

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.tree import DecisionTreeClassifier

from skinvert.cli import main
from skinvert.datasets import make_sensitive_classification
from skinvert.evaluation import AuditResult, audit
from skinvert.evaluation._intake import IntakeError, load_model, read_table

pd = pytest.importorskip("pandas")
sio = pytest.importorskip("skops.io")

FAST = ["--max-victims", "80", "--n-bootstrap", "100", "--no-membership"]


class _Ignores(ClassifierMixin, BaseEstimator):
    """A fitted-by-construction target that ignores the sensitive column."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-np.asarray(X, dtype=float)[:, 1]))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A tree trained on the members' file, saved with skops; the record files."""
    X, y = make_sensitive_classification(
        n_samples=900, leak=3, label_noise=0.2, random_state=0
    )
    columns = [f"x{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns).assign(label=y)
    members, non_members = frame.iloc[:450], frame.iloc[450:]
    model = DecisionTreeClassifier(random_state=0).fit(
        members[columns], members["label"]
    )
    folder = tmp_path_factory.mktemp("intake")
    paths = {
        "model": folder / "model.skops",
        "members": folder / "members.csv",
        "non_members": folder / "non_members.parquet",
        "pickle": folder / "model.pkl",
        "ignores": folder / "ignores.skops",
    }
    sio.dump(model, paths["model"])
    members.to_csv(paths["members"], index=False)
    non_members.to_parquet(paths["non_members"], index=False)
    paths["pickle"].write_bytes(pickle.dumps(model))
    sio.dump(_Ignores().fit(members[columns], members["label"]), paths["ignores"])
    return paths, model, frame


# skops does not trust a tree's inner structure by default: the user says so
TRUST_TREE = ("--trust", "sklearn.tree._tree.Tree")


def _args(paths, model="model", *extra):
    trust = TRUST_TREE if model == "model" else ()
    return [
        "audit",
        "--model",
        str(paths[model]),
        "--members",
        str(paths["members"]),
        "--non-members",
        str(paths["non_members"]),
        "--sensitive",
        "x0",
        "--label",
        "label",
        *FAST,
        *trust,
        *extra,
    ]


def test_cli_and_python_api_give_the_same_result(files, capsys, tmp_path):
    paths, model, frame = files
    out = tmp_path / "audit.json"
    assert main(_args(paths, "model", "--format", "json", "--output", str(out))) == 0
    from_cli = AuditResult.from_json(out.read_text())
    members = np.arange(len(frame)) < 450
    from_api = audit(
        frame.drop(columns="label"),
        frame["label"],
        sensitive="x0",
        target=model,
        members=members,
        max_victims=80,
        n_bootstrap=100,
        membership=False,
    )
    strip = {"fit_seconds", "predict_seconds"}
    for population in ("members", "non-members"):
        for a, b in zip(from_cli.rows[population], from_api.rows[population]):
            assert {k: v for k, v in a.items() if k not in strip} == {
                k: v for k, v in b.items() if k not in strip
            }
    assert from_cli.summary == from_api.summary
    assert from_cli.inputs["model"]["sha256"] and from_cli.inputs["model_type"] == (
        "DecisionTreeClassifier"
    )


def test_untrusted_types_are_refused_by_name(files, capsys):
    paths, _, _ = files
    args = _args(paths)
    assert main([a for a in args if a not in TRUST_TREE]) == 2
    assert "sklearn.tree._tree.Tree" in capsys.readouterr().err
    assert main(_args(paths, "ignores")) == 2
    err = capsys.readouterr().err
    assert "_Ignores" in err and "--trust" in err
    name = sio.get_untrusted_types(file=paths["ignores"])[0]
    assert main(_args(paths, "ignores", "--trust", name)) == 0


def test_pickles_are_refused_without_allow_pickle(files, capsys):
    paths, _, _ = files
    assert main(_args(paths, "pickle")) == 2
    assert "arbitrary code" in capsys.readouterr().err
    assert main(_args(paths, "pickle", "--allow-pickle")) == 0


@pytest.mark.parametrize("url", ["http://example.org/m.csv", "file:///tmp/m.csv"])
def test_urls_are_refused(url):
    with pytest.raises(IntakeError, match="URL"):
        read_table(url, "--members")
    with pytest.raises(IntakeError, match="URL"):
        load_model(url)


def test_data_urls_are_refused_by_the_command(capsys):
    assert main(["audit", "--data", "https://example.org/t.csv"]) == 2
    assert "local files only" in capsys.readouterr().err


def test_column_mismatch_names_the_columns(files, tmp_path, capsys):
    paths, _, frame = files
    bad = frame.rename(columns={"x3": "x33"})
    bad.iloc[:450].to_csv(tmp_path / "members.csv", index=False)
    bad.iloc[450:].to_csv(tmp_path / "non_members.csv", index=False)
    args = _args(paths)
    args[args.index(str(paths["members"]))] = str(tmp_path / "members.csv")
    assert main(args) == 2  # the member and non-member files disagree
    err = capsys.readouterr().err
    assert "the members and non-members files have different columns" in err
    assert "only in members: ['x33']" in err and "only in non-members: ['x3']" in err
    args[args.index(str(paths["non_members"]))] = str(tmp_path / "non_members.csv")
    assert main(args) == 2  # both agree, but not with the model
    err = capsys.readouterr().err
    assert "the model's features" in err
    assert "missing ['x3']" in err and "extra ['x33']" in err


def test_fail_above_gates_a_planted_leak_and_passes_a_model_that_ignores_it(
    files, capsys
):
    paths, _, _ = files
    assert main(_args(paths, "model", "--fail-above", "0.02")) == 1
    assert "exceeds --fail-above" in capsys.readouterr().err
    name = sio.get_untrusted_types(file=paths["ignores"])[0]
    status = main(_args(paths, "ignores", "--trust", name, "--fail-above", "0.02"))
    assert status == 0


def test_json_output_validates(files, capsys):
    jsonschema = pytest.importorskip("jsonschema")
    from importlib import resources

    paths, _, _ = files
    assert main(_args(paths, "model", "--format", "json")) == 0
    data = json.loads(capsys.readouterr().out)
    schema = json.loads(
        resources.files("skinvert.evaluation").joinpath("audit.schema.json").read_text()
    )
    jsonschema.validate(data, schema)
    assert set(data["inputs"]) >= {"model", "members", "non_members", "model_type"}


def test_the_same_file_as_members_and_non_members_is_refused(files, capsys):
    paths, _, _ = files
    args = _args(paths)
    args[args.index(str(paths["non_members"]))] = str(paths["members"])
    assert main(args) == 2
    assert "identical to members records" in capsys.readouterr().err


def test_per_record_rows_name_their_file_and_row(files, tmp_path):
    paths, _, _ = files
    out = tmp_path / "risk.csv"
    assert main(_args(paths, "model", "--per-record", str(out))) == 0
    risk = pd.read_csv(out)
    assert set(risk["source"]) == {str(paths["members"]), str(paths["non_members"])}
    members = risk[risk["population"] == "members"]
    assert (members["source"] == str(paths["members"])).all()
    assert members["row"].between(0, 449).all()
    non_members = risk[risk["population"] == "non-members"]
    assert non_members["row"].between(0, 449).all()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--output", "/no/such/folder/a.json"], "no such folder"),
        (["--report", "report.pdf"], "name it .html"),
    ],
)
def test_outputs_are_checked_before_any_work(files, capsys, extra, message):
    paths, _, _ = files
    assert main(_args(paths, "model", *extra)) == 2
    assert message in capsys.readouterr().err


def test_an_unfitted_model_file_says_what_to_do(tmp_path, files, capsys):
    paths, _, _ = files
    sio.dump(DecisionTreeClassifier(), tmp_path / "unfitted.skops")
    args = _args(paths, "model")
    args[args.index(str(paths["model"]))] = str(tmp_path / "unfitted.skops")
    assert main(args) == 2
    assert "is not fitted" in capsys.readouterr().err
