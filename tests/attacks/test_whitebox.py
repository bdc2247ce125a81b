"""White-box inversion of tree models (Fredrikson, Jha & Ristenpart, CCS 2015)."""

import joblib
import numpy as np
import pytest
from sklearn.compose import make_column_transformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from skinvert.attacks import ImputationBaseline
from skinvert.attacks._whitebox import WhiteBoxTreeInversion
from skinvert.datasets import make_sensitive_classification

# ------------------------------------------------------------ per-record reference


def walk_to_leaf(tree, x):
    """The leaf ``x`` reaches, following the split rules one node at a time."""
    node = 0
    while tree.children_left[node] != -1:
        value = np.float32(x[tree.feature[node]])
        if np.isnan(value):
            left = tree.missing_go_to_left[node]
        else:
            left = value <= tree.threshold[node]
        node = tree.children_left[node] if left else tree.children_right[node]
    return node


def counts_from_training_data(tree, X_train, y_codes, n_classes):
    """Per-class training counts of each node, by walking every training record."""
    counts = np.zeros((tree.node_count, n_classes))
    for x, c in zip(X_train, y_codes):
        counts[walk_to_leaf(tree, x), c] += 1
    return counts


def counts_from_tree(tree):
    """Per-class weighted counts from the stored fractions (scikit-learn >= 1.4)."""
    value = tree.value[:, 0, :]
    return (
        value / value.sum(axis=1, keepdims=True) * tree.weighted_n_node_samples[:, None]
    )


def reference_proba(target, records, labels, column, candidates, prior, counts):
    """The white-box posterior, one victim, one candidate, one tree at a time.

    ``target`` is the tree model or a pipeline ending in one, ``labels`` holds the
    known labels' positions in ``classes_`` (or None), ``counts[t]`` the per-class
    counts of the nodes of tree ``t``.
    """
    model = target[-1] if hasattr(target, "steps") else target
    trees = [e.tree_ for e in getattr(model, "estimators_", [model])]
    out = np.zeros((len(records), len(candidates)))
    for i in range(len(records)):
        for j, value in enumerate(candidates):
            if hasattr(records, "iloc"):  # a DataFrame: keep its dtypes
                row = records.iloc[[i]].copy()
                row.iloc[0, column] = value
            else:
                row = np.array(records[i : i + 1], dtype=float)
                row[0, column] = value
            if hasattr(target, "steps"):
                row = target[:-1].transform(_as_fitted(target, row))
            row = row.toarray() if hasattr(row, "toarray") else np.asarray(row)
            total = 0.0
            for t, tree in enumerate(trees):
                leaf_counts = counts[t][walk_to_leaf(tree, row[0])]
                if labels is None:
                    total += leaf_counts.max()
                else:
                    total += leaf_counts[labels[i]]
            out[i, j] = prior[j] * total / len(trees)
        if out[i].sum() > 0:
            out[i] /= out[i].sum()
        else:
            out[i] = prior
    return out


def _as_fitted(target, row):
    """``row`` as a DataFrame when the target was fitted on one."""
    names = getattr(target, "feature_names_in_", None)
    if names is None or hasattr(row, "iloc"):
        return row
    pd = pytest.importorskip("pandas")
    return pd.DataFrame(row, columns=names)


# --------------------------------------------------------------------- data


def _data(n=400, seed=0, n_classes=3, k=3, label_noise=0.1):
    X, y = make_sensitive_classification(
        n_samples=n,
        n_features=5,
        n_sensitive_values=k,
        n_classes=n_classes,
        label_noise=label_noise,
        random_state=seed,
    )
    return X, y


MODELS = {
    "tree": lambda: DecisionTreeClassifier(random_state=0),
    "shallow-tree": lambda: DecisionTreeClassifier(max_depth=3, random_state=0),
    "forest": lambda: RandomForestClassifier(n_estimators=8, random_state=0),
    "extra": lambda: ExtraTreesClassifier(
        n_estimators=8, min_samples_leaf=3, random_state=0
    ),
}


@pytest.mark.parametrize("with_label", [True, False])
@pytest.mark.parametrize("name", list(MODELS))
def test_matches_per_record_reference(name, with_label):
    X, y = _data()
    train, aux, victims = slice(0, 200), slice(200, 300), slice(0, 40)
    target = MODELS[name]().fit(X[train], y[train])
    view = np.column_stack([X, y]) if with_label else X
    label = X.shape[1] if with_label else None
    attack = WhiteBoxTreeInversion(target, sensitive=0, label=label)
    attack.fit(view[aux], X[aux, 0])
    proba = attack.predict_proba(view[victims])

    trees = [e.tree_ for e in getattr(target, "estimators_", [target])]
    if name == "forest":  # bootstrap counts: only the stored fractions know them
        counts = [counts_from_tree(t) for t in trees]
    else:  # every tree saw the whole training set: count it by hand
        counts = [counts_from_training_data(t, X[train], y[train], 3) for t in trees]
        leaves = trees[0].children_left == -1
        assert np.allclose(counts[0][leaves], counts_from_tree(trees[0])[leaves])
    labels = y[victims] if with_label else None
    expected = reference_proba(
        target, X[victims], labels, 0, attack.classes_, attack.prior_, counts
    )
    assert np.allclose(proba, expected)
    assert not np.allclose(proba, attack.prior_)  # the counts did move it


def test_batching_and_threads_do_not_change_the_result():
    X, y = _data(n=150)
    target = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    view = np.column_stack([X, y])
    kwargs = {"sensitive": 0, "label": X.shape[1]}
    whole = WhiteBoxTreeInversion(target, **kwargs).fit(view, X[:, 0])
    batched = WhiteBoxTreeInversion(target, batch_size=40, n_jobs=2, **kwargs)
    batched.fit(view, X[:, 0])
    assert np.array_equal(whole.predict_proba(view), batched.predict_proba(view))


def test_pipeline_with_dataframe_matches_reference():
    pd = pytest.importorskip("pandas")
    X, y = _data(seed=1)
    columns = ["s", "a", "b", "c", "d"]
    frame = pd.DataFrame(X, columns=columns)
    target = make_pipeline(
        StandardScaler(), RandomForestClassifier(n_estimators=6, random_state=0)
    ).fit(frame[:200], y[:200])
    view = frame.assign(label=y)
    attack = WhiteBoxTreeInversion(target, sensitive="s", label="label")
    attack.fit(view[200:300], X[200:300, 0])
    victims = view[:12].drop(columns="s")  # the sensitive column may be absent
    proba = attack.predict_proba(victims)
    forest = target[-1]
    counts = [counts_from_tree(e.tree_) for e in forest.estimators_]
    expected = reference_proba(
        target, X[:12], y[:12], 0, attack.classes_, attack.prior_, counts
    )
    assert np.allclose(proba, expected)
    filled = attack.set_output(transform="pandas").transform(victims)
    assert list(filled.columns) == columns
    assert attack.queries_per_victim_ == 3 and attack.n_trees_ == 6


def test_string_sensitive_column_through_a_sparse_encoder():
    pd = pytest.importorskip("pandas")
    X, y = _data(seed=2)
    frame = pd.DataFrame(X[:, 1:], columns=["a", "b", "c", "d"])
    frame.insert(0, "s", np.array(["low", "mid", "high"])[X[:, 0].astype(int)])
    encode = make_column_transformer(
        (OneHotEncoder(), ["s"]), remainder="passthrough", sparse_threshold=1.0
    )
    target = make_pipeline(encode, DecisionTreeClassifier(random_state=0))
    target.fit(frame[:200], y[:200])
    assert hasattr(target[:-1].transform(frame[:2]), "toarray")  # sparse rows
    view = frame.assign(label=y)
    attack = WhiteBoxTreeInversion(target, sensitive="s", label="label")
    attack.fit(view[200:300], frame["s"][200:300])
    proba = attack.predict_proba(view[:12])
    counts = [counts_from_tree(target[-1].tree_)]
    expected = reference_proba(
        target, frame[:12], y[:12], 0, attack.classes_, attack.prior_, counts
    )
    assert np.allclose(proba, expected)
    assert set(attack.predict(view[:12])) <= {"low", "mid", "high"}


def test_counts_carry_evidence_the_confidences_do_not():
    # Candidates 0 and 2 lead to pure leaves of label 1 holding 9 and 1 training
    # records: the tree's confidence in label 1 is 1 for both, the counts differ.
    s = np.repeat([0.0, 1.0, 2.0, 3.0], [9, 10, 1, 10])
    y = np.repeat([1, 0, 1, 0], [9, 10, 1, 10])
    X = np.column_stack([s, np.zeros_like(s)])
    target = DecisionTreeClassifier(random_state=0).fit(X, y)
    view = np.column_stack([X, y])
    attack = WhiteBoxTreeInversion(target, sensitive=0, label=2, prior="uniform")
    attack.fit(view, s)
    victim = np.array([[np.nan, 0.0, 1]])
    assert np.allclose(attack.predict_proba(victim), [[0.9, 0.0, 0.1, 0.0]])
    assert attack.predict(victim)[0] == 0.0


@pytest.mark.parametrize("seed", [0, 1])
def test_beats_imputation_on_members_when_leak_is_planted(seed):
    X, y = make_sensitive_classification(
        n_samples=1800, leak=2.0, label_noise=0.2, random_state=seed
    )
    view = np.column_stack([X, y])
    s = X[:, 0]
    members, aux, non_members = slice(0, 600), slice(600, 1200), slice(1200, 1800)
    target = DecisionTreeClassifier(random_state=0).fit(X[members], y[members])
    attack = WhiteBoxTreeInversion(target, sensitive=0, label=X.shape[1])
    attack.fit(view[aux], s[aux])
    baseline = ImputationBaseline(sensitive=0, label=X.shape[1], random_state=0)
    with threadpool_limits(1):  # the baseline's OpenMP threads crawl on a busy host
        baseline.fit(view[aux], s[aux])
        reference = baseline.score(view[members], s[members])
    on_members = attack.score(view[members], s[members])
    assert on_members - reference > 0.05
    # what the tree itself leaks: members are inferred far better than others
    assert on_members - attack.score(view[non_members], s[non_members]) > 0.1


def test_deterministic_inputs_untouched_and_frozen_target_works():
    X, y = _data()
    target = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    view = np.column_stack([X, y])
    view_before, target_before = view.copy(), joblib.hash(target)
    attack = WhiteBoxTreeInversion(FrozenEstimator(target), sensitive=0, label=5)
    first = attack.fit(view, X[:, 0]).predict_proba(view)
    second = attack.fit(view, X[:, 0]).predict_proba(view)
    assert np.array_equal(first, second)
    assert np.array_equal(view, view_before)
    assert joblib.hash(target) == target_before
    scores = cross_val_score(attack, view, X[:, 0], cv=3)
    assert scores.shape == (3,) and np.all(scores > 0)


@pytest.mark.parametrize(
    "target, shown",
    [
        (LogisticRegression(), "LogisticRegression"),
        (GradientBoostingClassifier(n_estimators=3), "GradientBoostingClassifier"),
        (
            make_pipeline(StandardScaler(), LogisticRegression()),
            "Pipeline ending in LogisticRegression",
        ),
    ],
)
def test_unsupported_target_raises_type_error(target, shown):
    X, y = _data(n=60)
    target.fit(X, y)
    attack = WhiteBoxTreeInversion(target, sensitive=0)
    with pytest.raises(TypeError, match=shown) as info:
        attack.fit(X, X[:, 0])
    message = str(info.value)
    for name in ("DecisionTreeClassifier", "RandomForestClassifier", "ExtraTrees"):
        assert name in message


def test_multi_output_tree_is_refused():
    X, y = _data(n=60)
    target = DecisionTreeClassifier().fit(X, np.column_stack([y, y]))
    with pytest.raises(ValueError, match="single-output"):
        WhiteBoxTreeInversion(target, sensitive=0).fit(X, X[:, 0])
