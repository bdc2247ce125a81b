"""The attacker's view: column names, column order and the known label column."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skinvert.attacks import CSMIA, FredriksonInversion, LearnedInversion

pd = pytest.importorskip("pandas")


def _frame(n=60, seed=0):
    """Target columns a (sensitive, 3 values), b, c and a string task label."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "a": rng.integers(0, 3, n).astype(float),
            "b": rng.standard_normal(n),
            "c": rng.standard_normal(n),
        }
    )
    label = np.where(frame["a"] + frame["b"] > 1, "high", "low")
    return frame, label


class _Counting(LogisticRegression):
    """A target that counts the rows it is queried on."""

    def predict_proba(self, X):
        self.queried_ = getattr(self, "queried_", 0) + len(X)
        return super().predict_proba(X)


def test_a_missing_known_label_is_named_not_the_valid_ones():
    frame, label = _frame()
    target = LogisticRegression().fit(frame, label)
    view = frame.assign(outcome=label.astype(object))
    view.loc[[1, 3], "outcome"] = np.nan
    attack = CSMIA(target, sensitive="a", label="outcome")
    with pytest.raises(
        ValueError,
        match=r"^2 records have a missing known label \(column 'outcome'\); "
        r"drop them",
    ):
        attack.fit(view, frame["a"])
    fitted = CSMIA(target, sensitive="a", label="outcome").fit(
        view.dropna(), frame["a"][view["outcome"].notna()]
    )
    with pytest.raises(ValueError, match="2 records have a missing known label"):
        fitted.predict(view)
    # a truly unknown label, next to a missing one and valid ones: the missing one
    # is reported first; alone, only the unknown label is listed, without quotes
    view.loc[5, "outcome"] = "mid"
    with pytest.raises(ValueError, match="2 records have a missing known label"):
        attack.fit(view, frame["a"])
    with pytest.raises(
        ValueError, match=r"Known labels \['mid'\] in the label column"
    ) as info:
        attack.fit(view.dropna(), frame["a"][view["outcome"].notna()])
    assert "'high'" not in str(info.value).split("classes_")[0]


def test_an_array_for_a_target_fitted_on_a_frame_fails_in_fit():
    frame, label = _frame()
    target = _Counting().fit(frame, label)
    with pytest.raises(
        ValueError,
        match=r"fitted on a DataFrame with columns \['a', 'b', 'c'\], but X is an "
        r"array.*Pass X as a pandas DataFrame with those columns",
    ):
        FredriksonInversion(target, sensitive=0).fit(frame.to_numpy(), frame["a"])
    with pytest.raises(ValueError, match=r"plus the known label column.*'outcome'"):
        CSMIA(target, sensitive=0, label="outcome").fit(
            np.column_stack([frame.to_numpy(), label]), frame["a"]
        )
    # LearnedInversion queries the target in fit: the error comes first
    with pytest.raises(ValueError, match="fitted on a DataFrame"):
        LearnedInversion(target, sensitive=0).fit(frame.to_numpy(), frame["a"])
    assert getattr(target, "queried_", 0) == 0


def test_column_problems_are_named():
    frame, label = _frame()
    target = LogisticRegression().fit(frame, label)
    # an extra (label) column without label=
    with pytest.raises(
        ValueError,
        match=r"X has column\(s\) \['outcome'\] that the target does not take: if "
        r"'outcome' holds the known task label, set label='outcome'",
    ):
        FredriksonInversion(target, sensitive="a").fit(
            frame.assign(outcome=label), frame["a"]
        )
    # a sensitive column the target does not take
    narrow = LogisticRegression().fit(frame[["b"]], label)
    with pytest.raises(
        ValueError,
        match=r"sensitive='a' names the column\(s\) \['a'\], which the target does "
        r"not take \(it was fitted on \['b'\]\)",
    ):
        FredriksonInversion(narrow, sensitive="a").fit(frame[["a", "b"]], frame["a"])
    # a target column missing in fit, then in predict
    with pytest.raises(ValueError, match=r"X lacks the target's column\(s\) \['c'\]"):
        FredriksonInversion(target, sensitive="a").fit(frame[["a", "b"]], frame["a"])
    attack = FredriksonInversion(target, sensitive="a").fit(frame, frame["a"])
    with pytest.raises(ValueError, match=r"seen in fit.*It lacks \['c'\]"):
        attack.predict(frame[["a", "b"]])
    with pytest.raises(ValueError, match=r"It has \['d'\], not seen in fit"):
        attack.predict(frame.assign(d=1.0))


def test_column_order_does_not_matter_and_input_is_untouched():
    frame, label = _frame()
    target = LogisticRegression().fit(frame, label)
    reference = FredriksonInversion(target, sensitive="a").fit(frame, frame["a"])
    expected = reference.predict_proba(frame)
    shuffled = frame[["c", "a", "b"]]
    before = shuffled.copy()
    attack = FredriksonInversion(target, sensitive="a").fit(shuffled, frame["a"])
    assert list(attack.feature_names_in_) == ["a", "b", "c"]
    np.testing.assert_allclose(attack.predict_proba(shuffled), expected)
    np.testing.assert_allclose(attack.predict_proba(frame[["b", "c", "a"]]), expected)
    pd.testing.assert_frame_equal(shuffled, before)
    assert list(attack.transform(shuffled).columns) == ["a", "b", "c"]
    # a position indexes the columns as given; the label column keeps its place
    view = frame[["c", "a", "b"]].assign(outcome=label)
    by_position = CSMIA(target, sensitive=1, label=3).fit(view, frame["a"])
    by_name = CSMIA(target, sensitive="a", label="outcome").fit(
        frame.assign(outcome=label), frame["a"]
    )
    np.testing.assert_allclose(
        by_position.predict_proba(view),
        by_name.predict_proba(frame.assign(outcome=label)),
    )
