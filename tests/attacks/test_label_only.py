"""Label-only attacks: Fredrikson et al. (2014) MAP and LOMIA (Mehnaz et al. 2022)."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV
from threadpoolctl import threadpool_limits

from skinvert.attacks import ImputationBaseline
from skinvert.attacks._label_only import LOMIA, FredriksonLabelOnly
from skinvert.datasets import make_sensitive_classification

LABEL_ONLY_ATTACKS = [FredriksonLabelOnly, LOMIA]


@pytest.fixture(autouse=True, scope="module")
def _one_openmp_thread():
    """Gradient boosting's OpenMP threads stall on a busy machine; one is enough."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


class _LabelsOnly(BaseEstimator):
    """A model behind an API that answers labels only (no predict_proba)."""

    def __init__(self, model):
        self.model = model
        self.classes_ = model.classes_
        self.rows_queried = 0

    def fit(self, X, y=None):
        return self

    def predict(self, X):
        self.rows_queried += len(X)
        return self.model.predict(X)


def _split(seed, n=1500):
    """Members train an overfit forest; the auxiliary third is disjoint."""
    X, y = make_sensitive_classification(
        n_samples=n, leak=3.0, label_noise=0.3, random_state=seed
    )
    view = np.column_stack([X, y])
    third = n // 3
    members, aux = slice(0, third), slice(third, 2 * third)
    model = RandomForestClassifier(n_estimators=30, random_state=0)
    return model.fit(X[members], y[members]), view, X[:, 0], members, aux


def _make(attack_class, target, **params):
    if attack_class is LOMIA:
        params.setdefault("random_state", 0)
    return attack_class(target, sensitive=0, label=6, **params)


@pytest.mark.parametrize("attack_class", LABEL_ONLY_ATTACKS)
@pytest.mark.parametrize("seed", [0, 1])
def test_beats_imputation_on_members_with_labels_only(attack_class, seed):
    model, view, s, members, aux = _split(seed)
    target = _LabelsOnly(model)
    assert not hasattr(target, "predict_proba")
    attack = _make(attack_class, target).fit(view[aux], s[aux])
    baseline = ImputationBaseline(sensitive=0, label=6, random_state=0)
    baseline.fit(view[aux], s[aux])
    margin = attack.score(view[members], s[members]) - baseline.score(
        view[members], s[members]
    )
    # Measured over seeds 0-9: at least 0.12 (Fredrikson), 0.086 (LOMIA).
    assert margin > 0.05


@pytest.mark.parametrize("attack_class", LABEL_ONLY_ATTACKS)
def test_query_count(attack_class):
    model, view, s, members, aux = _split(0, n=300)
    target = _LabelsOnly(model)
    attack = _make(attack_class, target).fit(view[aux], s[aux])
    per_aux = 1 if attack_class is FredriksonLabelOnly else 2
    assert target.rows_queried == per_aux * 100
    target.rows_queried = 0
    attack.predict(view[members])
    assert attack.queries_per_victim_ == 2
    assert target.rows_queried == 2 * 100


class _Lookup(ClassifierMixin, BaseEstimator):
    """Predicts ``table[record id (column 1), candidate (column 0)]``; no proba."""

    classes_ = np.array([0, 1])

    def __init__(self, table=None):
        self.table = table

    def __sklearn_is_fitted__(self):
        return True

    def fit(self, X, y=None):
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=float).astype(int)
        return np.asarray(self.table)[X[:, 1], X[:, 0]]


# Record id -> the label predicted for candidates 0, 1, 2.
_TABLE = [[0, 1, 1], [1, 0, 1], [0, 0, 0]]
# Auxiliary records (sensitive value, id, label).
_AUX = np.array([[0, 0, 0], [1, 1, 0], [2, 2, 0], [0, 1, 1], [2, 0, 0]], dtype=float)


def test_fredrikson_confusion_matrix_and_posterior_by_hand():
    aux = _AUX[:4]
    attack = FredriksonLabelOnly(_Lookup(_TABLE), sensitive=0, label=2)
    attack.fit(aux, aux[:, 0])
    # (true label, output) on the aux records: (0,0) (0,0) (0,0) (1,1); +1 each cell
    np.testing.assert_allclose(attack.confusion_, [[4 / 5, 1 / 5], [1 / 3, 2 / 3]])
    np.testing.assert_allclose(attack.prior_, [0.5, 0.25, 0.25])
    victims = np.array([[np.nan, 0, 1], [np.nan, 1, 0]])
    expected = np.array(
        [
            [1 / 3 * 0.5, 2 / 3 * 0.25, 2 / 3 * 0.25],  # outputs 0, 1, 1 for label 1
            [1 / 5 * 0.5, 4 / 5 * 0.25, 1 / 5 * 0.25],  # outputs 1, 0, 1 for label 0
        ]
    )
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(attack.predict_proba(victims), expected)
    # Victim 0's three scores tie (1/6 each): the more frequent value wins.
    np.testing.assert_array_equal(attack.predict(victims), [0, 1])

    raw = attack.set_params(smoothing=0).fit(aux, aux[:, 0])
    np.testing.assert_allclose(raw.confusion_, [[1, 0], [0, 1]])


def test_fredrikson_unseen_true_label_gets_uniform_row_without_smoothing():
    aux = _AUX[:3]  # every known label is 0
    attack = FredriksonLabelOnly(_Lookup(_TABLE), sensitive=0, label=2, smoothing=0)
    attack.fit(aux, aux[:, 0])
    np.testing.assert_allclose(attack.confusion_[1], [0.5, 0.5])
    victims = np.array([[np.nan, 0, 1]])
    np.testing.assert_allclose(attack.predict_proba(victims), [attack.prior_])


@pytest.mark.parametrize(
    "train_on, model_proba",
    [
        ("pseudo", [2 / 3, 1 / 3, 0]),  # pseudo-labels 0, 1, 0
        ("truth", [0.4, 0.2, 0.4]),  # truth 0, 1, 2, 0, 2
        ("both", [0.5, 0.25, 0.25]),
    ],
)
def test_lomia_single_match_rule_and_training_sets(train_on, model_proba):
    victims = np.array([[np.nan, 1, 0], [np.nan, 2, 1]])
    attack = LOMIA(
        _Lookup(_TABLE),
        sensitive=0,
        label=2,
        estimator=DummyClassifier(strategy="prior"),
        train_on=train_on,
    ).fit(_AUX, _AUX[:, 0])
    # Single matches on the aux records: rows 0 (right), 1 (right), 4 (wrong).
    assert attack.single_match_rate_ == pytest.approx(3 / 5)
    assert attack.single_match_accuracy_ == pytest.approx(2 / 3)
    proba = attack.predict_proba(victims)
    # Victim 0: only candidate 1 reproduces label 0; victim 1: no candidate does.
    trusted = np.array(model_proba) / 3
    trusted[1] += 2 / 3
    np.testing.assert_allclose(proba, [trusted, model_proba])
    assert attack.predict(victims)[0] == 1
    assert attack.queries_per_victim_ == 3
    untrusted = attack.set_params(trust_single_match=False).fit(_AUX, _AUX[:, 0])
    np.testing.assert_allclose(untrusted.predict_proba(victims), [model_proba] * 2)
    assert untrusted.queries_per_victim_ == 0  # victims are never queried


@pytest.mark.parametrize("attack_class", LABEL_ONLY_ATTACKS)
def test_uninformative_target_gives_the_prior(attack_class):
    X, y = make_sensitive_classification(n_samples=200, random_state=0)
    view = np.column_stack([X, y])
    constant = _LabelsOnly(DummyClassifier(strategy="most_frequent").fit(X, y))
    params = {"train_on": "pseudo"} if attack_class is LOMIA else {}
    attack = _make(attack_class, constant, **params).fit(view[:100], X[:100, 0])
    proba = attack.predict_proba(view[100:])
    np.testing.assert_allclose(proba, np.tile(attack.prior_, (100, 1)))


@pytest.mark.parametrize("attack_class", LABEL_ONLY_ATTACKS)
def test_label_is_required(attack_class):
    model, view, s, _, aux = _split(0, n=300)
    with pytest.raises(ValueError, match="label= to the column"):
        attack_class(model, sensitive=0).fit(view[aux, :-1], s[aux])


@pytest.mark.parametrize("attack_class", LABEL_ONLY_ATTACKS)
def test_target_answering_outside_its_classes_is_named(attack_class):
    class Liar(_Lookup):
        def predict(self, X):
            return np.full(len(X), 7)

    attack = attack_class(Liar(_TABLE), sensitive=0, label=2)
    with pytest.raises(ValueError, match=r"predict returned \[7\].*classes_"):
        attack.fit(_AUX, _AUX[:, 0])


@pytest.mark.parametrize("attack_class", LABEL_ONLY_ATTACKS)
def test_deterministic_and_inputs_untouched(attack_class):
    model, view, s, members, aux = _split(0, n=600)
    before, s_before = view.copy(), s.copy()
    first = _make(attack_class, model, batch_size=37).fit(view[aux], s[aux])
    second = _make(attack_class, model).fit(view[aux], s[aux])
    np.testing.assert_array_equal(
        first.predict_proba(view[members]), second.predict_proba(view[members])
    )
    np.testing.assert_array_equal(view, before)
    np.testing.assert_array_equal(s, s_before)


def test_dataframe_with_strings_into_a_pipeline_target():
    pd = pytest.importorskip("pandas")
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    n = 600
    religion = rng.choice(["none", "catholic", "protestant"], size=n)
    frame = pd.DataFrame(
        {"age": rng.integers(18, 70, n), "religion": religion, "region": "n"}
    )
    happy = ((religion == "none") ^ (rng.random(n) < 0.1)).astype(int)
    encoder = make_column_transformer(
        (OneHotEncoder(), ["religion", "region"]), remainder="passthrough"
    )
    target = make_pipeline(encoder, RandomForestClassifier(random_state=0))
    target = _LabelsOnly(target.fit(frame[:300], happy[:300]))
    view = frame.assign(happy=happy)
    before = view.copy()
    attack = LOMIA(target, sensitive="religion", label="happy", random_state=0)
    attack.fit(view[300:], frame["religion"][300:])
    victims = view[:300].drop(columns="religion")  # the column may be absent
    inferred = attack.predict(victims)
    assert np.mean((inferred == "none") == (religion[:300] == "none")) > 0.8
    out = attack.set_output(transform="pandas").transform(victims)
    assert list(out.columns) == ["age", "religion", "region"]
    pd.testing.assert_frame_equal(view, before)


def test_fredrikson_label_only_in_grid_search_with_frozen_target():
    model, view, s, _, aux = _split(0, n=600)
    attack = FredriksonLabelOnly(FrozenEstimator(model), sensitive=0, label=6)
    search = GridSearchCV(attack, {"smoothing": [0.0, 1.0, 10.0]}, cv=3)
    search.fit(view[aux], s[aux])
    assert search.best_estimator_.target.estimator is model
    assert search.best_score_ > 0.5


def _skewed_split(seed, n=1500):
    """An overfit forest, a skewed sensitive value independent of the features."""
    X, y = make_sensitive_classification(
        n_samples=n,
        leak=3.0,
        label_noise=0.3,
        sensitive_weights=[0.75, 0.25],
        random_state=seed,
    )
    view = np.column_stack([X, y])
    third = n // 3
    members, aux = slice(0, third), slice(third, 2 * third)
    model = RandomForestClassifier(n_estimators=30, random_state=0)
    return model.fit(X[members], y[members]), view, X[:, 0], members, aux


@pytest.mark.parametrize("seed", [0, 1])
def test_confusion_on_shadow_members_finds_what_the_forest_memorised(seed):
    model, view, s, members, aux = _skewed_split(seed)
    target = _LabelsOnly(model)
    scores = {}
    for confusion in ("aux", "shadow", "both"):
        attack = _make(FredriksonLabelOnly, target, confusion=confusion, random_state=0)
        attack.fit(view[aux], s[aux])
        scores[confusion] = attack.score(view[members], s[members])
    # The shadows are clones of the wrapped forest (labels only, like the target).
    shadow = _make(
        FredriksonLabelOnly,
        target,
        confusion="shadow",
        shadow_estimator=RandomForestClassifier(n_estimators=30),
        random_state=0,
    ).fit(view[aux], s[aux])
    # Measured: aux 0.70 / 0.73, shadow 0.85 / 0.88 (a random forest as shadow).
    assert shadow.score(view[members], s[members]) > scores["aux"] + 0.08
    assert scores["shadow"] == pytest.approx(shadow.score(view[members], s[members]))
    # A forest's members are predicted their own labels: the shadow matrix is
    # close to the identity, the auxiliary one is not.
    assert np.trace(shadow.confusion_) > 1.9
    assert scores["aux"] <= scores["both"] <= scores["shadow"]


def test_confusion_parameter_errors():
    model, view, s, _members, aux = _skewed_split(0, n=300)
    with pytest.raises(Exception, match="confusion"):
        _make(FredriksonLabelOnly, model, confusion="members").fit(view[aux], s[aux])
    with pytest.raises(ValueError, match="at least 4 records"):
        _make(FredriksonLabelOnly, model, confusion="shadow").fit(view[:3], s[:3])
