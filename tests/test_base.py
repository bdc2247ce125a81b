"""The target-access core (query_target) and the attack bases."""

import tracemalloc

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

import skinvert.attacks
from skinvert import query_target
from skinvert.attacks import (
    CSMIA,
    FredriksonInversion,
    FredriksonRegressor,
    ImputationBaseline,
    ImputationRegressor,
)


def _data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    X[:, 0] = rng.integers(0, 3, n)
    y = (X[:, 1] + X[:, 0] - 1 + 0.5 * rng.standard_normal(n) > 0).astype(int)
    return X, y


def _manual_rows(X, columns, candidates):
    """The completed records built one by one, victim-major, candidate-minor."""
    rows = []
    for i in range(X.shape[0]):
        victim = candidates[i] if candidates.ndim == 3 else candidates
        for values in victim:
            row = X[i].copy()
            row[columns] = values
            rows.append(row)
    return np.array(rows)


# ------------------------------------------------------------------ query_target
def test_query_target_equals_predict_proba_on_manual_rows():
    X, y = _data()
    target = LogisticRegression().fit(X, y)
    candidates = np.array([[0.0], [1.0], [2.0]])
    answers = query_target(target, X[:20], [0], candidates)
    manual = target.predict_proba(_manual_rows(X[:20], [0], candidates))
    np.testing.assert_array_equal(answers, manual.reshape(20, 3, 2))
    labels = query_target(target, X[:20], [0], candidates, method="predict")
    np.testing.assert_array_equal(labels, manual.argmax(axis=1).reshape(20, 3))
    np.testing.assert_array_equal(
        query_target(target, X[:20]), target.predict_proba(X[:20])
    )
    pairs = np.array([[0.0, -1.0], [2.0, 1.0]])
    np.testing.assert_array_equal(
        query_target(target, X[:20], [0, 3], pairs),
        target.predict_proba(_manual_rows(X[:20], [0, 3], pairs)).reshape(20, 2, 2),
    )


def test_per_victim_candidates():
    X, y = _data()
    target = LogisticRegression().fit(X, y)
    rng = np.random.default_rng(1)
    candidates = rng.standard_normal((15, 4, 1))
    answers = query_target(target, X[:15], [1], candidates, batch_size=9)
    manual = target.predict_proba(_manual_rows(X[:15], [1], candidates))
    np.testing.assert_array_equal(answers, manual.reshape(15, 4, 2))
    shared = np.array([[0.0], [1.0]])
    np.testing.assert_array_equal(
        query_target(target, X[:15], [1], np.broadcast_to(shared, (15, 2, 1))),
        query_target(target, X[:15], [1], shared),
    )
    with pytest.raises(ValueError, match="given for 15 victims but X has 14"):
        query_target(target, X[:14], [1], candidates)
    with pytest.raises(ValueError, match=r"expected \(n_candidates, 2\)"):
        query_target(target, X[:15], [0, 1], candidates)


@pytest.mark.parametrize("per_victim", [False, True])
def test_batch_size_and_n_jobs_do_not_change_answers(per_victim):
    X, y = _data(120)
    target = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    candidates = np.array([[0.0], [1.0], [2.0]])
    if per_victim:
        candidates = (
            np.broadcast_to(candidates, (120, 3, 1))
            + np.arange(120)[:, None, None] / 100
        )
    reference = query_target(target, X, [0], candidates, batch_size=10**6)
    for batch_size in (1, 7):
        np.testing.assert_array_equal(
            query_target(target, X, [0], candidates, batch_size=batch_size),
            reference,
        )
    np.testing.assert_array_equal(
        query_target(target, X, [0], candidates, batch_size=7, n_jobs=2), reference
    )


def test_attack_results_independent_of_batch_size_and_n_jobs():
    X, y = _data(300)
    view = np.column_stack([X, y])
    target = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    reference = FredriksonInversion(target, label=4).fit(view[:150], X[:150, 0])
    for options in ({"batch_size": 1}, {"batch_size": 7, "n_jobs": 2}):
        attack = FredriksonInversion(target, label=4, **options)
        np.testing.assert_array_equal(
            attack.fit(view[:150], X[:150, 0]).predict_proba(view[150:]),
            reference.predict_proba(view[150:]),
        )


@pytest.mark.parametrize(
    "name",
    [
        "CSMIA",
        "LOMIA",
        "CombinedCSMIA",
        "LearnedInversion",
        "FredriksonLabelOnly",
        "WhiteBoxTreeInversion",
        "FredriksonRegressor",
    ],
)
def test_victims_answered_in_chunks_as_in_one_piece(name):
    """Many victims are answered a chunk at a time; the results do not change."""
    X, y = _data(400)
    X[:, 1] = np.round(X[:, 1], 1)  # a coarse continuous column for the regressor
    view = np.column_stack([X, y])
    target = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    cls = getattr(skinvert.attacks, name)
    column = 1 if name == "FredriksonRegressor" else 0
    method = "predict" if name == "FredriksonRegressor" else "predict_proba"

    def run(**options):
        attack = cls(target, sensitive=column, label=4, **options)
        if "random_state" in attack.get_params():
            attack.set_params(random_state=0)
        attack.fit(view[:200], X[:200, column])
        return getattr(attack, method)(view[200:])

    reference = run(batch_size=10**6)
    np.testing.assert_array_equal(run(batch_size=9), reference)
    if name != "WhiteBoxTreeInversion":
        np.testing.assert_array_equal(run(batch_size=9, n_jobs=2), reference)


def test_working_memory_bounded_by_the_batch_not_the_victims():
    X, y = _data(20_200)
    view = np.column_stack([X, y])
    target = LogisticRegression().fit(X, y)

    def peak(batch_size):
        attack = CSMIA(target, label=4, batch_size=batch_size)
        attack.fit(view[:200], X[:200, 0])
        tracemalloc.start()
        start = tracemalloc.get_traced_memory()[0]
        out = attack.predict_proba(view[200:])
        used = tracemalloc.get_traced_memory()[1] - start - out.nbytes
        tracemalloc.stop()
        return used

    # one piece: every completed record, answer and intermediate array at once
    assert peak(256) < peak(10**6) / 5


def _survey(n=300, seed=0):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    religion = rng.choice(["none", "catholic", "protestant"], size=n)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 70, n),
            "religion": pd.Categorical(religion),
            "region": rng.choice(["n", "s"], size=n),
        }
    )
    happy = ((religion == "none") ^ (rng.random(n) < 0.1)).astype(int)
    return frame, happy


def _pipeline_target(frame, happy):
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    encoder = make_column_transformer(
        (OneHotEncoder(), ["religion", "region"]), remainder="passthrough"
    )
    return make_pipeline(encoder, LogisticRegression()).fit(frame, happy)


def test_dataframe_with_strings_into_a_pipeline_target():
    pd = pytest.importorskip("pandas")
    frame, happy = _survey()
    target = _pipeline_target(frame, happy)
    candidates = np.array([["catholic"], ["none"]], dtype=object)
    answers = query_target(target, frame.iloc[:10], [1], candidates)
    rows = frame.iloc[np.repeat(np.arange(10), 2)].reset_index(drop=True)
    rows["religion"] = pd.Categorical(
        ["catholic", "none"] * 10, dtype=frame["religion"].dtype
    )
    np.testing.assert_array_equal(answers, target.predict_proba(rows).reshape(10, 2, 2))
    view = frame.assign(happy=happy)
    attack = FredriksonInversion(target, sensitive="religion", label="happy")
    predicted = attack.fit(view.iloc[:200], frame["religion"].iloc[:200]).predict(
        view.iloc[200:]
    )
    assert set(predicted) <= {"none", "catholic", "protestant"}
    assert np.mean(predicted == frame["religion"].iloc[200:].to_numpy()) > 0.5


def test_candidates_outside_the_categories_raise():
    frame, happy = _survey()
    target = _pipeline_target(frame, happy)
    with pytest.raises(ValueError, match=r"\['jedi'\] are not categories.*religion"):
        query_target(target, frame, [1], np.array([["none"], ["jedi"]], dtype=object))
    attack = FredriksonInversion(
        target,
        sensitive="religion",
        candidates=["none", "jedi", "catholic", "protestant"],
    )
    attack.fit(frame, frame["religion"].astype(str))
    with pytest.raises(ValueError, match="not categories"):
        attack.predict(frame)


# --------------------------------------------------------------- bad targets
class _Fixed(ClassifierMixin, BaseEstimator):
    """Answers the same confidence row for every record."""

    classes_ = np.array([0, 1])

    def __init__(self, row=(0.5, 0.5)):
        self.row = row

    def __sklearn_is_fitted__(self):
        return True

    def fit(self, X, y=None):
        return self

    def predict_proba(self, X):
        return np.tile(np.asarray(self.row, dtype=float), (len(X), 1))

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


class _LabelOnly(_Fixed):
    predict_proba = property(doc="absent")

    def __getattribute__(self, name):
        if name == "predict_proba":
            raise AttributeError(name)
        return super().__getattribute__(name)


@pytest.mark.parametrize(
    "row, message",
    [
        ((np.nan, 1.0), "NaN or infinite"),
        ((-0.5, 1.5), "negative confidences"),
        ((0.5, 0.6), "do not sum to one"),
    ],
)
def test_bad_answers_raise(row, message):
    X, _ = _data(20)
    with pytest.raises(ValueError, match=message):
        query_target(_Fixed(row), X, [0], np.array([[0.0], [1.0]]))
    attack = FredriksonInversion(_Fixed(row)).fit(X, X[:, 0])
    with pytest.raises(ValueError, match=message):
        attack.predict(X)


@pytest.mark.parametrize(
    "make_attack",
    [
        lambda target: FredriksonInversion(target),
        lambda target: FredriksonRegressor(target),
    ],
)
def test_unfitted_or_incapable_target(make_attack):
    X, _ = _data(30)
    with pytest.raises(NotFittedError, match="FrozenEstimator"):
        make_attack(LogisticRegression()).fit(X, X[:, 0])
    with pytest.raises(TypeError, match="'predict_proba' method"):
        make_attack(_LabelOnly()).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="target=None"):
        make_attack(None).fit(X, X[:, 0])


# ----------------------------------------------------------- bad parameters
def test_columns_are_named_in_errors():
    pd = pytest.importorskip("pandas")
    X, y = _data(30)
    target = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="sensitive=9 is out of range"):
        FredriksonInversion(target, sensitive=9).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="label=-9 is out of range"):
        FredriksonInversion(target, label=-9).fit(X, X[:, 0])
    with pytest.raises(ValueError, match=r"sensitive='age' names a column.*array"):
        FredriksonInversion(target, sensitive="age").fit(X, X[:, 0])
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    with pytest.raises(ValueError, match=r"label='happy' is not a column.*'a', 'b'"):
        FredriksonInversion(target, sensitive="a", label="happy").fit(frame, X[:, 0])
    with pytest.raises(ValueError, match="name the same column"):
        FredriksonInversion(target, sensitive=0, label=0).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="names a column twice"):
        FredriksonInversion(target, sensitive=[0, 0]).fit(X, X[:, :2])
    with pytest.raises(ValueError, match="target expects 4 features"):
        FredriksonInversion(target, label=3).fit(X, X[:, 0])


def test_mismatched_lengths_and_empty_inputs():
    pd = pytest.importorskip("pandas")
    X, y = _data(30)
    target = LogisticRegression().fit(X, y)
    for attack in (FredriksonInversion(target), FredriksonRegressor(target)):
        with pytest.raises(ValueError, match="30 records but the sensitive values"):
            attack.fit(X, X[:29, 0])
        with pytest.raises(ValueError, match="0 sample"):
            attack.fit(X[:0], X[:0, 0])
        with pytest.raises(ValueError, match="0 sample"):
            attack.fit(pd.DataFrame(X[:0]), X[:0, 0])
        with pytest.raises(ValueError, match="requires y"):
            attack.fit(X, None)
        attack.fit(X, X[:, 0])
        with pytest.raises(ValueError, match="0 sample"):
            attack.predict(X[:0])
        with pytest.raises(ValueError, match="expecting 4 features"):
            attack.predict(X[:, :3])


# ------------------------------------------------ what inference never reads
ATTACKS = {
    "fredrikson": lambda t: FredriksonInversion(t, sensitive="s", label="y"),
    "csmia": lambda t: CSMIA(t, sensitive="s", label="y"),
    "imputation": lambda t: ImputationBaseline(
        sensitive="s", label="y", random_state=0
    ),
    "regressor": lambda t: FredriksonRegressor(t, sensitive="s", label="y"),
    "imputation-regressor": lambda t: ImputationRegressor(
        sensitive="s", label="y", random_state=0
    ),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_sensitive_column_never_read_and_inputs_untouched(name):
    pd = pytest.importorskip("pandas")
    X, y = _data(300)
    frame = pd.DataFrame(X, columns=["s", "a", "b", "c"])
    target = RandomForestClassifier(n_estimators=5, random_state=0)
    target.fit(frame, y)
    view = frame.assign(y=y)
    before = view.copy()
    attack = ATTACKS[name](target).fit(view.iloc[:150], X[:150, 0])
    victims = view.iloc[150:]
    expected = attack.predict(victims)
    shuffled = victims.assign(s=np.random.default_rng(0).permutation(X[150:, 0]))
    blank = victims.assign(s=np.nan)
    for variant in (shuffled, blank, victims.drop(columns="s")):
        np.testing.assert_array_equal(attack.predict(variant), expected)
    blank_aux = view.iloc[:150].assign(s=np.nan)
    again = ATTACKS[name](target).fit(blank_aux, X[:150, 0])
    np.testing.assert_array_equal(again.predict(victims), expected)  # deterministic
    filled = attack.transform(victims.drop(columns="s"))
    assert list(filled.columns) == ["s", "a", "b", "c"]
    pd.testing.assert_frame_equal(view, before)
    array_view = view.to_numpy()
    array_before = array_view.copy()
    array_target = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    on_arrays = ATTACKS[name](array_target).set_params(sensitive=0, label=4)
    on_arrays.fit(array_view[:150], X[:150, 0]).transform(array_view[150:])
    np.testing.assert_array_equal(array_view, array_before)


def test_set_output_pandas_turns_array_victims_into_a_frame():
    pd = pytest.importorskip("pandas")
    X, y = _data(200)
    target = LogisticRegression().fit(X, y)
    for attack in (
        FredriksonInversion(target, sensitive=0),
        FredriksonRegressor(target, sensitive=1),
    ):
        column = attack.sensitive
        attack.fit(X[:100], X[:100, column])
        plain = attack.transform(X[100:])
        frame = attack.set_output(transform="pandas").transform(X[100:])
        assert isinstance(plain, np.ndarray) and isinstance(frame, pd.DataFrame)
        assert list(frame.columns) == list(attack.get_feature_names_out())
        np.testing.assert_array_equal(frame.to_numpy(), plain)
