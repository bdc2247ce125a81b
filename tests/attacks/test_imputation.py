"""The imputation references and their default models."""

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression

from skinvert.attacks import (
    ImputationBaseline,
    ImputationRegressor,
    LearnedInversion,
)
from skinvert.attacks._default_models import (
    make_default_imputer,
    make_default_regressor,
)

from ._continuous_data import _records


def _zip_table(n=1200, seed=0):
    """A 1000-valued zip code that carries the sensitive value, as strings."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    zips = rng.integers(0, 1000, n)
    income = rng.normal(size=n)
    sensitive = ((zips % 2 == 0) ^ (rng.random(n) < 0.1)).astype(int)
    frame = pd.DataFrame(
        {
            "s": sensitive,
            "zip": [f"Z{z:04d}" for z in zips],  # not numbers: a string column
            "region": np.where(zips < 500, "north", "south"),
            "income": income + sensitive,
        }
    )
    return frame, sensitive


def test_default_models_declare_only_small_categorical_columns():
    frame, sensitive = _zip_table()
    known = frame.drop(columns="s")
    assert known["zip"].nunique() > 255
    imputer = make_default_imputer(known, random_state=0)
    # zip (> 255 values) passed as ordinal codes, region declared categorical
    assert list(imputer[-1].categorical_features) == [1]
    imputer.fit(known, sensitive)
    regressor = make_default_regressor(known, random_state=0)
    assert list(regressor[-1].categorical_features) == [1]
    regressor.fit(known, frame["income"])
    only_zip = known[["zip", "income"]]
    assert make_default_imputer(only_zip)[-1].categorical_features is None


def test_a_thousand_valued_string_column_is_imputed():
    frame, sensitive = _zip_table()
    aux, victims = slice(0, 800), slice(800, None)
    baseline = ImputationBaseline(sensitive="s", random_state=0)
    baseline.fit(frame.iloc[aux], sensitive[aux])
    prior = max(np.mean(sensitive[victims]), 1 - np.mean(sensitive[victims]))
    assert baseline.score(frame.iloc[victims], sensitive[victims]) > prior
    regressor = ImputationRegressor(sensitive="income", random_state=0)
    regressor.fit(frame.iloc[aux], frame["income"].iloc[aux])
    assert regressor.predict(frame.iloc[victims]).shape == (400,)
    encoded = frame.assign(zip=frame["zip"].str[1:].astype(int), region=0)
    target = RandomForestClassifier(n_estimators=10, random_state=0)
    target.fit(encoded.drop(columns="s"), sensitive)  # a target on other columns

    class OnCodes:
        classes_ = target.classes_

        def predict_proba(self, rows):
            rows = rows.assign(zip=rows["zip"].str[1:].astype(int), region=0)
            return target.predict_proba(rows.drop(columns="s"))

        def predict(self, rows):
            return self.predict_proba(rows).argmax(axis=1)

    learned = LearnedInversion(OnCodes(), sensitive="s", random_state=0)
    learned.fit(frame.iloc[aux], sensitive[aux])
    assert learned.predict(frame.iloc[victims]).shape == (400,)


@pytest.mark.parametrize("n", [1, 2, 5])
def test_a_few_records_fit_every_imputation_reference(n):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    X[:, 0] = rng.integers(0, 3, 30)
    categorical = ImputationBaseline(sensitive=0, random_state=0).fit(X[:n], X[:n, 0])
    assert categorical.predict(X[n:]).shape == (30 - n,)
    regressor = ImputationRegressor(sensitive=1, random_state=0).fit(X[:n], X[:n, 1])
    assert np.isfinite(regressor.predict(X[n:])).all()


def test_a_known_column_with_no_value_is_read_as_a_constant():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    X[:, 0] = rng.integers(0, 2, 40)
    X[:20, 2] = np.nan  # no value at all among the auxiliary records
    baseline = ImputationBaseline(sensitive=0, random_state=0).fit(X[:20], X[:20, 0])
    assert baseline.predict_proba(X[20:]).shape == (20, 2)
    model = make_default_imputer(X[:20, 1:]).fit(X[:20, 1:], X[:20, 0])
    shifted = X[20:, 1:].copy()
    shifted[:, 1] = 123.0  # a value where fit saw none: ignored
    np.testing.assert_array_equal(
        model.predict_proba(shifted), model.predict_proba(X[20:, 1:])
    )


# ----------------------------------------------- continuous sensitive values
def test_imputation_regressor_without_target_or_known_features():
    X, _ = _records(300, 0, dependence=1.0)
    baseline = ImputationRegressor(sensitive=0, random_state=0).fit(X, X[:, 0])
    assert baseline.queries_per_victim_ == 0
    alone = ImputationRegressor(sensitive=0).fit(X[:, :1], X[:, 0])
    assert alone.estimator_ is None
    np.testing.assert_allclose(alone.predict(X[:5, :1]), X[:, 0].mean())
    custom = ImputationRegressor(sensitive=0, estimator=LinearRegression())
    assert custom.fit(X, X[:, 0]).score(X, X[:, 0]) > 0.15
