"""The attack bases: the attacker's view, fitting, candidates, dtypes and errors."""

import warnings

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

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


# ------------------------------------------------ a failed fit changes nothing
def _every_attack(target):
    """One instance of every attack, on column 0 (categorical) or 1 (continuous)."""
    import skinvert.attacks

    out = []
    for name in skinvert.attacks.__all__:
        cls = getattr(skinvert.attacks, name)
        continuous = name.endswith("Regressor")
        attack = cls(target, sensitive=1 if continuous else 0, label=4)
        if "random_state" in attack.get_params():
            attack.set_params(random_state=0)
        if "cv" in attack.get_params():
            attack.set_params(cv=2)
        out.append(attack)
    return out


def _fit_data(n=160, model=None):
    X, y = _data(n)
    X[:, 1] = np.round(X[:, 1], 1)
    if model is None:
        model = RandomForestClassifier(n_estimators=5, random_state=0)
    target = model.fit(X, y)
    return X, y, np.column_stack([X, y]), target


def _model_for(name):
    """A target the attack can read: white-box attacks need their model family."""
    from sklearn.neural_network import MLPClassifier

    if name.startswith("LinearWhiteBox"):
        return LogisticRegression()
    if "Neuron" in name:
        return MLPClassifier(hidden_layer_sizes=(4,), max_iter=50, random_state=0)
    return RandomForestClassifier(n_estimators=5, random_state=0)


@pytest.mark.parametrize("attack", _every_attack(None), ids=lambda a: type(a).__name__)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_failed_fit_leaves_the_previous_state_or_none(attack, monkeypatch):
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    X, _y, view, target = _fit_data(model=_model_for(type(attack).__name__))
    attack = clone(attack).set_params(target=target)
    column = attack.sensitive
    first = (X[:, column] > np.median(X[:, column])).astype(int)
    if column == 1:
        first = X[:, 1]
    attack.fit(view[:100], first[:100])
    method = "predict_proba" if hasattr(attack, "predict_proba") else "predict"
    before = getattr(attack, method)(view[100:])
    state = {k: v for k, v in vars(attack).items() if k.endswith("_")}
    original = type(attack)._fit

    def failing(self, *args):
        original(self, *args)  # everything learned, then a failure
        raise RuntimeError("failed at the end of fit")

    monkeypatch.setattr(type(attack), "_fit", failing)
    with pytest.raises(RuntimeError, match="end of fit"):
        attack.fit(view[50:150], X[50:150, column] + (column == 0))  # new classes
    assert sorted(k for k in vars(attack) if k.endswith("_")) == sorted(state)
    monkeypatch.setattr(type(attack), "_fit", original)
    np.testing.assert_array_equal(getattr(attack, method)(view[100:]), before)
    fresh = clone(attack).set_params(target=target)
    monkeypatch.setattr(type(attack), "_fit", failing)
    with pytest.raises(RuntimeError):
        fresh.fit(view[:100], first[:100])
    with pytest.raises(NotFittedError):
        getattr(fresh, method)(view[100:])


class _Flaky:
    """An API client whose calls fail from a given call on."""

    def __init__(self, model):
        self.model, self.classes_, self.fail_from, self.calls = (
            model,
            model.classes_,
            None,
            0,
        )

    def predict(self, rows):
        self.calls += 1
        if self.fail_from is not None and self.calls >= self.fail_from:
            raise RuntimeError("service unavailable")
        return self.model.predict(rows)


def test_a_refit_failing_on_a_target_call_keeps_the_previous_attack():
    from sklearn.exceptions import NotFittedError

    from skinvert.attacks import LOMIA

    X, _y, view, model = _fit_data(300)
    target = _Flaky(model)
    attack = LOMIA(target, sensitive=0, label=4, batch_size=32, random_state=0)
    attack.fit(view[100:200], (X[100:200, 0] > 0).astype(int))
    before = attack.predict_proba(view[200:])
    target.fail_from = target.calls + 3
    with pytest.raises(RuntimeError, match="unavailable"):
        attack.fit(view[100:200], X[100:200, 0])
    target.fail_from = None
    np.testing.assert_array_equal(attack.classes_, [0, 1])
    np.testing.assert_array_equal(attack.predict_proba(view[200:]), before)
    target.fail_from = target.calls + 1
    fresh = LOMIA(target, sensitive=0, label=4)
    with pytest.raises(RuntimeError):
        fresh.fit(view[100:200], X[100:200, 0])
    target.fail_from = None
    with pytest.raises(NotFittedError):
        fresh.predict_proba(view[200:])


# ------------------------------------------------------- columns and dtypes
class _Client:
    """A prediction API: no n_features_in_, no feature names."""

    def __init__(self, model):
        self.model, self.classes_ = model, model.classes_

    def predict_proba(self, rows):
        return self.model.predict_proba(rows)

    def predict(self, rows):
        return self.model.predict(rows)


def _religion_frame(n=300, seed=0):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    religion = rng.integers(0, 3, n)
    frame = pd.DataFrame(
        {"religion": religion, "a": rng.normal(size=n), "b": rng.normal(size=n)}
    )
    label = ((religion == 2) ^ (rng.random(n) < 0.1)).astype(int)
    return frame, label


def test_a_misspelt_sensitive_name_is_named_with_close_matches():
    frame, label = _religion_frame()
    model = LogisticRegression().fit(frame, label)
    view = frame.assign(label=label)
    for target in (_Client(model), model):
        attack = FredriksonInversion(target, sensitive="relgion", label="label")
        with pytest.raises(
            ValueError,
            match=r"sensitive='relgion' is not a column of X \(did you mean "
            r"'religion'\?\)",
        ):
            attack.fit(view, frame["religion"])
    # absent but listed by the target: inserted at its place, results unchanged
    attack = FredriksonInversion(model, sensitive="religion", label="label")
    absent = attack.fit(view.drop(columns="religion"), frame["religion"])
    assert list(absent.feature_names_in_) == ["religion", "a", "b", "label"]
    present = FredriksonInversion(model, sensitive="religion", label="label")
    present.fit(view, frame["religion"])
    np.testing.assert_array_equal(absent.predict(view), present.predict(view))
    with pytest.raises(ValueError, match="target's feature_names_in_"):
        FredriksonInversion(_Client(model), sensitive="religion", label="label").fit(
            view.drop(columns="religion"), frame["religion"]
        )


def test_polars_frames_are_accepted_with_their_column_names():
    pl = pytest.importorskip("polars")
    frame, label = _religion_frame()
    model = LogisticRegression().fit(frame, label)
    view = frame.assign(label=label)
    attack = FredriksonInversion(model, sensitive="religion", label="label")
    expected = attack.fit(view, frame["religion"]).predict_proba(view)
    polar = FredriksonInversion(model, sensitive="religion", label="label")
    polar.fit(pl.from_pandas(view), pl.Series(frame["religion"].to_numpy()))
    np.testing.assert_allclose(polar.predict_proba(pl.from_pandas(view)), expected)
    assert list(polar.feature_names_in_) == list(view.columns)
    assert list(polar.transform(pl.from_pandas(view)).columns) == list(frame.columns)


class _DtypeTarget(LogisticRegression):
    """A target that, like LightGBM, needs the categorical dtype it was fitted on."""

    def fit(self, X, y):
        self.dtype_ = X["blood"].dtype
        return super().fit(X.assign(blood=X["blood"].cat.codes), y)

    def predict_proba(self, X):
        if X["blood"].dtype != self.dtype_:
            raise TypeError(f"column 'blood' is not categorical ({X['blood'].dtype})")
        return super().predict_proba(X.assign(blood=X["blood"].cat.codes))


def test_categorical_dtype_kept_in_queries_and_transform():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    n = 400
    dtype = pd.CategoricalDtype(["A", "B", "AB", "O"])
    blood = pd.Categorical(rng.choice(["A", "B", "AB", "O"], n), dtype=dtype)
    frame = pd.DataFrame({"blood": blood, "x": rng.normal(size=n)})
    label = ((frame["blood"] == "AB").to_numpy() ^ (rng.random(n) < 0.1)).astype(int)
    target = _DtypeTarget().fit(frame, label)
    view = frame.assign(label=label)
    attack = CSMIA(target, sensitive="blood", label="label")
    attack.fit(view.iloc[:200], frame["blood"].iloc[:200])
    victims = view.iloc[200:]
    expected = attack.predict(victims)
    fewer = victims.assign(
        blood=pd.Categorical(np.where(victims["blood"] == "O", "O", "A"))
    )  # a victims' column listing only two categories
    for variant in (
        victims.drop(columns="blood"),
        victims.assign(blood=np.nan),
        victims.assign(blood=victims["blood"].astype(str)),
        fewer,
    ):
        np.testing.assert_array_equal(attack.predict(variant), expected)
        assert attack.transform(variant)["blood"].dtype == dtype
    assert attack.set_output(transform="pandas").transform(fewer)["blood"].dtype == (
        dtype
    )
    # the categories the victims' column leaves out are still inferred
    assert list(attack.classes_) == ["A", "AB", "B", "O"]
    np.testing.assert_allclose(
        attack.predict_proba(fewer), attack.predict_proba(victims)
    )


def test_object_arrays_of_numbers_are_categories():
    X, _y, view, target = _fit_data(300)
    numbers = FredriksonInversion(target, sensitive=0, label=4)
    expected = numbers.fit(view[:150], X[:150, 0]).predict_proba(view[150:])
    objects = view.astype(object)
    attack = FredriksonInversion(target, sensitive=0, label=4)
    attack.fit(objects[:150], objects[:150, 0])
    np.testing.assert_allclose(attack.predict_proba(objects[150:]), expected)
    assert attack.score(objects[150:], objects[150:, 0]) == numbers.score(
        view[150:], X[150:, 0]
    )
    baseline = ImputationBaseline(sensitive=0, label=4, random_state=0)
    assert baseline.fit(objects[:150], objects[:150, 0]).score(
        objects[150:], X[150:, 0]
    ) == pytest.approx(
        ImputationBaseline(sensitive=0, label=4, random_state=0)
        .fit(view[:150], X[:150, 0])
        .score(view[150:], X[150:, 0])
    )


def test_continuous_or_mixed_sensitive_values_get_a_clear_message():
    X, _y, view, target = _fit_data(100)
    attack = FredriksonInversion(target, sensitive=2, label=4)
    with pytest.raises(ValueError, match=r"sensitive=2\) looks continuous.*Regressor"):
        attack.fit(view, X[:, 2])
    mixed = np.array([1, "a"] * 50, dtype=object)
    with pytest.raises(ValueError, match="mixes numbers and other values"):
        attack.fit(view, mixed)
    holes = X[:, 0].copy()
    holes[3] = np.nan
    with pytest.raises(ValueError, match="1 missing sensitive value"):
        attack.fit(view, holes)


def test_the_task_label_passed_as_y_is_refused():
    _X, y, view, target = _fit_data(100)
    for attack in (
        CSMIA(target, sensitive=0, label=4),
        ImputationBaseline(sensitive=0, label=4),
    ):
        with pytest.raises(ValueError, match="y equals the known label column label=4"):
            attack.fit(view, y)
        blank = view.copy()
        blank[:, 0] = np.nan
        with pytest.raises(ValueError, match="not the task labels"):
            attack.fit(blank, y)
    same = view.copy()
    same[:, 0] = y  # the sensitive column does equal the label: accepted
    CSMIA(target, sensitive=0, label=4).fit(same, y)


def test_bad_tables_are_refused_before_any_work():
    pd = pytest.importorskip("pandas")
    X, y, view, target = _fit_data(100)
    frame = pd.DataFrame(view, columns=["s", "a", "a", "c", "label"])
    with pytest.raises(ValueError, match=r"duplicated column names \['a'\]"):
        FredriksonInversion(target, sensitive="s", label="label").fit(frame, X[:, 0])
    attack = FredriksonInversion(target, sensitive=0, label=4)
    for rows in (slice(0, 50), slice(50, 100)):  # whichever split holds the inf
        bad = view.copy()
        bad[rows.start + 3, 2] = np.inf
        with pytest.raises(ValueError, match=r"infinite values in the known column"):
            attack.fit(bad[:50], X[:50, 0]).predict(bad[50:])
    words = np.array(["no", "yes"])
    worded = LogisticRegression().fit(X, words[y])
    coded = CSMIA(worded, sensitive=0, label=4)
    with pytest.raises(ValueError, match=r"\[0\.0, 1\.0\].*'no', 'yes'.*map"):
        coded.fit(view, X[:, 0])


def test_fit_bounds_the_attack_models_threads():
    from threadpoolctl import threadpool_info

    class Recording(LogisticRegression):
        def fit(self, X, y):
            self.threads_ = {p["user_api"]: p["num_threads"] for p in threadpool_info()}
            return super().fit(X, y)

    X, _y, view, _ = _fit_data(100)
    attack = ImputationBaseline(sensitive=0, label=4, estimator=Recording())
    attack.fit(view, X[:, 0])
    assert set(attack.estimator_.threads_.values()) == {1}
    attack.set_params(n_jobs=2).fit(view, X[:, 0])
    assert attack.estimator_.threads_["blas"] == 2


# -------------------------------------------------------- joint candidates
def _one_hot(n=900, seed=0):
    rng = np.random.default_rng(seed)
    level = rng.integers(0, 3, n)
    x = rng.normal(size=(n, 3))
    y = ((level == 2) ^ (x[:, 0] > 0.5)).astype(int)
    y = np.where(rng.random(n) < 0.1, 1 - y, y)
    X = np.column_stack([np.eye(3)[level], x])
    target = RandomForestClassifier(n_estimators=20, random_state=0)
    return X, y, np.column_stack([X, y]), target.fit(X[:300], y[:300])


def test_one_hot_columns_are_inferred_among_valid_combinations():
    X, _y, view, target = _one_hot()
    attack = CSMIA(target, sensitive=[0, 1, 2], label=6)
    attack.fit(view[300:600], X[300:600, :3])
    assert attack.queries_per_victim_ == 3
    assert (attack.predict(view[600:]).sum(axis=1) == 1).all()
    valid = np.eye(3, dtype=int)
    explicit = CSMIA(target, sensitive=[0, 1, 2], label=6, candidates=valid)
    explicit.fit(view[300:600], X[300:600, :3])
    assert explicit.classes_.tolist() == [(0, 0, 1), (0, 1, 0), (1, 0, 0)]
    assert explicit.queries_per_victim_ == 3
    with pytest.warns(UserWarning, match="2-D array"):
        as_lists = CSMIA(
            target,
            sensitive=[0, 1, 2],
            label=6,
            candidates=[[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        )
        as_lists.fit(view[300:600], X[300:600, :3])
    assert as_lists.queries_per_victim_ == 8  # per-column lists, as documented
    with pytest.raises(ValueError, match=r"shape \(n_combinations, 3\)"):
        CSMIA(target, sensitive=[0, 1, 2], label=6, candidates=np.eye(2)).fit(
            view[300:600], X[300:600, :3]
        )
    with pytest.raises(ValueError, match=r"combinations \[\(1\.0, 0\.0, 0\.0\)\]"):
        CSMIA(target, sensitive=[0, 1, 2], label=6, candidates=valid[1:]).fit(
            view[300:600], X[300:600, :3]
        )


def test_categories_completed_by_the_sensitive_values_of_fit():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(1)
    n = 300
    dtype = pd.CategoricalDtype(["A", "B", "AB", "O"])
    blood = pd.Series(pd.Categorical(rng.choice(["A", "B", "AB", "O"], n), dtype=dtype))
    frame = pd.DataFrame({"blood": blood, "x": rng.normal(size=n)})
    label = ((blood == "AB").to_numpy() ^ (rng.random(n) < 0.1)).astype(int)
    target = _DtypeTarget().fit(frame, label)
    view = frame.assign(label=label)
    reference = CSMIA(target, sensitive="blood", label="label").fit(view, blood)
    expected = reference.predict_proba(view)
    # the aux column absent, or listing fewer categories than y holds
    fewer = view.assign(blood=pd.Categorical(np.where(blood == "O", "O", "A")))
    for aux, y in ((view.drop(columns="blood"), blood), (fewer, blood)):
        attack = CSMIA(target, sensitive="blood", label="label").fit(aux, y)
        assert attack.sensitive_dtypes_ == [dtype]
        np.testing.assert_allclose(attack.predict_proba(view), expected)
    plain = CSMIA(target, sensitive="blood", label="label")
    plain.fit(fewer, blood.astype(str))  # y as strings: categories appended
    assert set(plain.sensitive_dtypes_[0].categories) == {"A", "B", "AB", "O"}


def test_regressors_name_missing_sensitive_values_and_the_fix():
    from skinvert.attacks import LearnedInversionRegressor

    X, y = _data(40)
    target = LogisticRegression().fit(X, y)
    values = X[:, 1].copy()
    values[[2, 7]] = np.nan
    for cls in (FredriksonRegressor, ImputationRegressor, LearnedInversionRegressor):
        attack = cls(target, sensitive=1)
        with pytest.raises(
            ValueError,
            match=rf"y holds 2 missing sensitive value\(s\).*{cls.__name__}.*drop "
            "those records from X and y",
        ):
            attack.fit(X, values)
        with pytest.raises(ValueError, match=r"1 infinite sensitive value\(s\)"):
            attack.fit(X, np.where(np.arange(40) == 3, np.inf, X[:, 1]))
        with pytest.raises(ValueError, match="y holds 1 missing"):
            attack.fit(X, np.where(np.arange(40) == 3, None, X[:, 1]))


def test_a_single_sensitive_value_warns_that_it_is_the_only_answer():
    from skinvert.base import SingleCandidateWarning

    X, y = _data(40)
    target = LogisticRegression().fit(X, y)
    only = np.ones(40, dtype=int)
    for attack in (FredriksonInversion(target), ImputationBaseline(target)):
        with pytest.warns(
            SingleCandidateWarning,
            match=r"\(1\): \w+ can only ever answer 1, whatever.*pass "
            "candidates=.*auxiliary records holding the other values",
        ):
            attack.fit(X, only)
        assert set(attack.predict(X).tolist()) == {1}
    with pytest.warns(SingleCandidateWarning, match="candidates= gives a single"):
        FredriksonInversion(target, candidates=[1]).fit(X, only)
    assert issubclass(SingleCandidateWarning, UserWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SingleCandidateWarning)
        FredriksonInversion(target, candidates=[1, 2]).fit(X, only)
        FredriksonInversion(target).fit(X, X[:, 0])


# ------------------------------------- continuous sensitive values (regressors)
def test_score_is_r2_and_prior_mean_feeds_the_advantage_scorer():
    from sklearn.metrics import r2_score

    from skinvert.metrics import make_advantage_scorer

    from .attacks._continuous_data import _regression_split

    target, view, s, (members, aux, _) = _regression_split(0, n=900)
    attack = FredriksonRegressor(target, sensitive=0, label=5).fit(view[aux], s[aux])
    predicted = attack.predict(view[members])
    assert attack.score(view[members], s[members]) == pytest.approx(
        r2_score(s[members], predicted)
    )
    assert attack.prior_mean_ == pytest.approx(s[aux].mean())
    advantage = make_advantage_scorer("mae")(attack, view[members], s[members])
    prior_error = np.abs(s[members] - s[aux].mean()).mean()
    assert advantage == pytest.approx(
        prior_error - np.abs(s[members] - predicted).mean()
    )


def test_grid_search_and_cross_validation_with_a_frozen_target():
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import GridSearchCV, cross_val_score

    from .attacks._continuous_data import _regression_split

    target, view, s, (_, aux, _) = _regression_split(0, n=900)
    attack = FredriksonRegressor(FrozenEstimator(target), sensitive=0, label=5)
    search = GridSearchCV(attack, {"estimate": ["mean", "map"]}, cv=3)
    search.fit(view[aux], s[aux])
    assert search.best_params_ == {"estimate": "mean"}
    assert search.best_estimator_.target.estimator is target
    assert cross_val_score(attack, view[aux], s[aux], cv=3).shape == (3,)


def test_dataframe_without_the_sensitive_column_and_pipeline_step():
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import make_pipeline

    from .attacks._continuous_data import _regression_split

    pd = pytest.importorskip("pandas")
    _, view, s, (members, aux, _) = _regression_split(0, n=900)
    frame = pd.DataFrame(view, columns=["age", "a", "b", "c", "d", "happy"])
    target = RandomForestClassifier(n_estimators=20, random_state=0)
    target.fit(frame.iloc[members, :5], frame["happy"].iloc[members])
    attack = FredriksonRegressor(target, sensitive="age", label="happy")
    attack.fit(frame.iloc[aux], s[aux]).set_output(transform="pandas")
    victims = frame.iloc[members]
    expected = attack.predict(victims)
    np.testing.assert_array_equal(attack.predict(victims.drop(columns="age")), expected)
    filled = attack.transform(victims.drop(columns="age"))
    assert list(filled.columns) == ["age", "a", "b", "c", "d"]
    np.testing.assert_array_equal(filled["age"].to_numpy(), expected)
    assert list(attack.get_feature_names_out()) == list(filled.columns)
    pipeline = make_pipeline(attack, FrozenEstimator(target))
    np.testing.assert_array_equal(pipeline.predict(victims), target.predict(filled))


@pytest.mark.parametrize("name", ["FredriksonRegressor", "LearnedInversionRegressor"])
def test_deterministic_batch_independent_inputs_untouched(name):
    import skinvert.attacks

    from .attacks._continuous_data import _regression_split

    attack_class = getattr(skinvert.attacks, name)
    target, view, s, (members, aux, _) = _regression_split(0, n=600)
    before = view.copy()
    seed = {"random_state": 0} if name == "LearnedInversionRegressor" else {}
    small = attack_class(target, sensitive=0, label=5, batch_size=40, **seed)
    large = attack_class(target, sensitive=0, label=5, **seed)
    np.testing.assert_array_equal(
        small.fit(view[aux], s[aux]).predict(view[members]),
        large.fit(view[aux], s[aux]).predict(view[members]),
    )
    np.testing.assert_array_equal(view, before)


def test_bad_sensitive_values_are_explained():
    from .attacks._continuous_data import _NoProba, _regression_split

    target, view, s, (_, aux, _) = _regression_split(0, n=300)
    attack = FredriksonRegressor(target, sensitive=0, label=5)
    with pytest.raises(ValueError, match="must hold numbers"):
        attack.fit(view[aux], np.array(["old"] * 100))
    with pytest.raises(ValueError, match=r"must have shape \(100,\)"):
        attack.fit(view[aux], np.zeros((100, 2)))
    with pytest.raises(
        ValueError, match="100 records but the sensitive values have 99"
    ):
        attack.fit(view[aux], s[aux][:99])
    with pytest.raises(ValueError, match="Input y contains NaN"):
        attack.fit(view[aux], np.full(100, np.nan))
    with pytest.raises(ValueError, match="'sensitive' parameter"):
        FredriksonRegressor(target, sensitive=[0, 1], label=5).fit(view[aux], s[aux])
    with pytest.raises(TypeError, match="'predict_proba'"):
        FredriksonRegressor(_NoProba(), sensitive=0).fit(view[aux, :5], s[aux])
