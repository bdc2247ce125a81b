"""The target-access core: query_target, its batches, threads, progress and errors."""

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


# ------------------------------------------------ batch_size below the candidates
class _Recording(ClassifierMixin, BaseEstimator):
    """A logistic regression that records the rows of each call and its threads."""

    def __init__(self, model=None):
        self.model = model

    def __sklearn_is_fitted__(self):
        return True

    def fit(self, X, y=None):
        return self

    @property
    def classes_(self):
        return self.model.classes_

    def predict_proba(self, X):
        from threadpoolctl import threadpool_info

        threads = {pool["user_api"]: pool["num_threads"] for pool in threadpool_info()}
        self.calls_ = [*getattr(self, "calls_", []), len(X)]
        self.threads_ = [*getattr(self, "threads_", []), threads]
        return self.model.predict_proba(X)

    def predict(self, X):
        return self.model.predict(X)


@pytest.mark.parametrize("per_victim", [False, True])
def test_batch_size_below_the_candidates_bounds_every_call(per_victim):
    X, y = _data(12)
    target = _Recording(LogisticRegression().fit(X, y))
    candidates = np.arange(5.0).reshape(-1, 1)
    if per_victim:
        candidates = (
            np.broadcast_to(candidates, (12, 5, 1)) + np.arange(12)[:, None, None]
        )
    expected = query_target(target, X, [0], candidates)
    for batch_size in (1, 2, 3):
        target.calls_ = []
        got = query_target(target, X, [0], candidates, batch_size=batch_size)
        np.testing.assert_allclose(got, expected)
        assert max(target.calls_) <= batch_size
        assert sum(target.calls_) == 12 * 5
    target.calls_ = []
    attack = FredriksonInversion(target, sensitive=0, batch_size=2)
    attack.fit(X, X[:, 0]).predict(X)  # 3 candidates, 2 rows per call at most
    assert max(target.calls_) <= 2


# ------------------------------------------------------------- native threads
def test_target_queried_with_threads_bounded_by_n_jobs():
    from threadpoolctl import threadpool_info

    before = {pool["filepath"]: pool["num_threads"] for pool in threadpool_info()}
    X, y = _data(60)
    target = _Recording(LogisticRegression().fit(X, y))
    query_target(target, X, [0], np.array([[0.0], [1.0]]))
    assert target.threads_[-1] and set(target.threads_[-1].values()) == {1}
    query_target(target, X, [0], np.array([[0.0], [1.0]]), batch_size=10, n_jobs=2)
    assert all(set(t.values()) == {1} for t in target.threads_[1:])
    target.threads_ = []
    query_target(target, X, [0], np.array([[0.0], [1.0]]), n_jobs=2)  # one batch
    assert target.threads_[-1]["blas"] == 2
    after = {pool["filepath"]: pool["num_threads"] for pool in threadpool_info()}
    assert after == before  # restored
    view = np.column_stack([X, y])
    attack = FredriksonInversion(target, sensitive=0, label=4).fit(view, X[:, 0])
    target.threads_ = []
    attack.predict(view)
    assert set(target.threads_[-1].values()) == {1}


# -------------------------------------------------------- the target's errors
class _Failing(_Fixed):
    def __init__(self, message="429 Too Many Requests"):
        self.message = message

    def predict_proba(self, X):
        raise ValueError(self.message)


def test_target_errors_keep_their_message_and_hint_only_when_relevant():
    X, y = _data(20)
    candidates = np.array([[0.0], [1.0]])
    with pytest.raises(ValueError, match=r"429 Too Many Requests$") as info:
        query_target(_Failing(), X, [0], candidates)
    assert "candidates=" not in str(info.value)
    assert str(info.value.__cause__) == "429 Too Many Requests"
    unknown = _Failing("Found unknown categories ['jedi'] in column 1 during transform")
    with pytest.raises(ValueError, match=r"unknown categories.*pass candidates="):
        query_target(unknown, X, [0], candidates)
    with pytest.raises(ValueError) as info:  # records as they are: no candidate
        query_target(unknown, X)
    assert "candidates=" not in str(info.value)
    target = LogisticRegression().fit(X, y)
    holes = X.copy()
    holes[3, 2] = np.nan
    attack = FredriksonInversion(target, sensitive=0).fit(X, X[:, 0])
    with pytest.raises(ValueError, match=r"(?s)contains NaN.*impute them") as info:
        attack.predict(holes)
    assert "candidates=" not in str(info.value)


class _Unavailable(_Fixed):
    def predict_proba(self, X):
        raise RuntimeError("service unavailable")


def test_other_target_errors_pass_through_unchanged():
    X, _ = _data(20)
    with pytest.raises(RuntimeError, match=r"^service unavailable$"):
        query_target(_Unavailable(), X, [0], np.array([[0.0], [1.0]]))
