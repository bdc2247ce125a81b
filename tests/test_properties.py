"""Properties every attack keeps whatever the data: dtypes, shapes, missing values,
category sets and single rows (hypothesis draws the tables)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

import skinvert.attacks
from skinvert.utils._testing import StubTarget
from skinvert.utils._validation import numbers_of_object

pd = pytest.importorskip("pandas")

# attacks that read the target's internals need a model of their family
WHITE_BOX = {
    "WhiteBoxTreeInversion": lambda: RandomForestClassifier(
        n_estimators=3, random_state=0
    ),
    "LinearWhiteBox": LogisticRegression,
    "Neuron": lambda: MLPClassifier(
        hidden_layer_sizes=(3,), max_iter=30, random_state=0
    ),
}


def _white_box(name):
    return next((make for key, make in WHITE_BOX.items() if key in name), None)


BLACK_BOX = [n for n in skinvert.attacks.__all__ if _white_box(n) is None]
CATEGORICAL = sorted(n for n in BLACK_BOX if not n.endswith("Regressor"))
CONTINUOUS = sorted(n for n in BLACK_BOX if n.endswith("Regressor"))
WHITE = sorted(n for n in skinvert.attacks.__all__ if _white_box(n) is not None)
KINDS = ["int", "str", "object numbers", "category"]
SETTINGS = settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def tables(draw, continuous=False, numeric_only=False):
    """(X in the attacker's view, y, kind, frame?) with the label in the last column."""
    n = draw(st.integers(2, 14))
    n_known = draw(st.integers(1, 3))
    known = np.array(
        draw(
            st.lists(
                st.lists(
                    st.one_of(
                        st.floats(-3, 3, allow_nan=False, width=32),
                        st.just(np.nan),
                    ),
                    min_size=n_known,
                    max_size=n_known,
                ),
                min_size=n,
                max_size=n,
            )
        ),
        dtype=float,
    )
    if numeric_only:
        known = np.nan_to_num(known)
    labels = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    if continuous:
        kind = "float"
        values = np.array(
            draw(st.lists(st.floats(-5, 5, width=32), min_size=n, max_size=n))
        )
    else:
        kind = draw(st.sampled_from(["int"] if numeric_only else KINDS))
        n_values = draw(st.integers(1, 3))
        codes = np.array(
            draw(st.lists(st.integers(0, n_values - 1), min_size=n, max_size=n))
        )
        values = codes if kind != "str" else np.array(["a", "b", "c"])[codes]
        if kind == "object numbers":
            values = codes.astype(object)
    frame = kind == "category" or draw(st.booleans())
    if frame:
        X = pd.DataFrame(known, columns=[f"k{j}" for j in range(n_known)])
        X.insert(0, "s", pd.Categorical(values) if kind == "category" else values)
        X["label"] = labels
        y = X["s"].copy() if kind == "category" else values
    else:
        X = np.column_stack([values.astype(object), known, labels])
        if kind in ("int", "float"):
            X = X.astype(float)
        y = values
    return X, y, kind


def _attack(name, target, X):
    cls = getattr(skinvert.attacks, name)
    frame = hasattr(X, "columns")
    attack = cls(
        target,
        sensitive="s" if frame else 0,
        label="label" if frame else X.shape[1] - 1,
    )
    options = {"random_state": 0, "cv": 2}
    attack.set_params(**{k: v for k, v in options.items() if k in attack.get_params()})
    return attack


def _copy(X):
    return X.copy(deep=True) if hasattr(X, "columns") else X.copy()


def _equal(a, b):
    if hasattr(a, "columns"):
        pd.testing.assert_frame_equal(a, b)
    else:  # NaN cells of object arrays compare as text
        np.testing.assert_array_equal(a.astype(str), b.astype(str))


def _fit(attack, X, y):
    """Fit, or check that a refusal is the documented too-few-records error."""
    import re

    try:
        return attack.fit(X, y)
    except ValueError as exc:
        found = re.search(r"needs at least (\d+) records", str(exc))
        if found is None:
            raise
        assert len(X) < int(found.group(1)), str(exc)
        return None


def _check_categorical(name, table, target):
    X, y, _ = table
    before, y_before = _copy(X), np.array(y, copy=True)
    attack = _fit(_attack(name, target, X), X, y)
    if attack is None:
        return
    proba = attack.predict_proba(X)
    assert proba.shape == (len(X), len(attack.classes_))
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    predicted = attack.predict(X)
    assert set(predicted.tolist()) <= set(attack.classes_.tolist())
    assert set(np.asarray(y).tolist()) <= set(attack.classes_.tolist())
    truth = numbers_of_object(np.asarray(y))
    assert attack.score(X, y) == pytest.approx(np.mean(predicted == truth))
    one = X.iloc[[0]] if hasattr(X, "columns") else X[:1]
    np.testing.assert_allclose(attack.predict_proba(one), proba[:1])  # single row
    assert attack.transform(X).shape == (len(X), X.shape[1] - 1)
    _equal(X, before)  # inputs never modified
    np.testing.assert_array_equal(np.asarray(y), y_before)


@pytest.mark.parametrize("name", [n for n in CATEGORICAL if "WhiteBox" not in n])
@SETTINGS
@given(table=tables())
def test_categorical_attacks_on_any_table(name, table):
    _check_categorical(name, table, StubTarget())


@pytest.mark.parametrize("name", WHITE)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore:X has feature names")
@SETTINGS
@given(data=st.data())
def test_white_box_attacks_on_any_numeric_table(name, data):
    continuous = name.endswith("Regressor")
    table = data.draw(tables(continuous=continuous, numeric_only=True))
    X, y, _ = table
    values = np.asarray(X, dtype=float)
    records, labels = values[:, :-1], values[:, -1]
    if continuous:
        records[:, 0] = y
    # two classes whatever the labels drawn
    target = _white_box(name)().fit(
        np.vstack([records, records[:1]]), np.r_[labels, 1 - labels[0]]
    )
    if continuous:
        attack = _fit(_attack(name, target, X), X, y)
        assert attack is None or np.isfinite(attack.predict(X)).all()
        return
    _check_categorical(name, table, target)


@pytest.mark.parametrize("name", CONTINUOUS)
@SETTINGS
@given(table=tables(continuous=True))
def test_continuous_attacks_on_any_table(name, table):
    X, y, _ = table
    if name == "LearnedInversionRegressor":  # it reads the true values of X
        X = _copy(X)
        if hasattr(X, "columns"):
            X["s"] = y
        else:
            X[:, 0] = y
    before = _copy(X)
    attack = _fit(_attack(name, StubTarget(), X), X, y)
    if attack is None:
        return
    estimate = attack.predict(X)
    assert estimate.shape == (len(X),) and np.isfinite(estimate).all()
    one = X.iloc[[0]] if hasattr(X, "columns") else X[:1]
    np.testing.assert_allclose(attack.predict(one), estimate[:1])
    _equal(X, before)
