import numpy as np
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.neighbors import KNeighborsRegressor
from sklearn.tree import DecisionTreeClassifier

from skinvert.datasets import load_affairs
from skinvert.defenses import LabelOnly, QueryCounter, RoundedConfidences
from skinvert.reconstruction import InversionModel, compare_to_reference


def _errors(inversion, digits):
    X_aux, y_aux = digits["aux"]
    return compare_to_reference(
        inversion,
        {"members": digits["members"], "non-members": digits["out"]},
        X_aux,
        y_aux,
    )


def test_beats_the_class_mean_on_members(digits, lr_target):
    inversion = InversionModel(lr_target, random_state=0).fit(digits["aux"][0])
    table = _errors(inversion, digits)
    for population in ("members", "non-members"):
        row = table[population]
        # the confidence vector says more than the class: well below the reference
        assert row.attack_mean < 0.92 * row.reference_mean, population


def test_label_only_release_carries_no_more_than_the_class(digits, lr_target):
    # the reference knows each victim's true class; the label-only inversion knows
    # the predicted class: it cannot do clearly better
    inversion = InversionModel(lr_target, output="label", random_state=0)
    row = _errors(inversion.fit(digits["aux"][0]), digits)["members"]
    assert row.attack_mean > 0.97 * row.reference_mean


def test_outputs_match_the_defenses(digits, lr_target):
    X_aux = digits["aux"][0]
    X = digits["members"][0][:50]
    knn = KNeighborsRegressor(5)
    for output, defense in [
        ("rounded", RoundedConfidences(FrozenEstimator(lr_target), decimals=1)),
        ("label", LabelOnly(FrozenEstimator(lr_target))),
    ]:
        simulated = InversionModel(lr_target, estimator=knn, output=output, decimals=1)
        wrapped = InversionModel(defense, estimator=knn)
        a = simulated.fit(X_aux).transform(X)
        b = wrapped.fit(X_aux).transform(X)
        np.testing.assert_allclose(a, b, err_msg=output)
    # predict(outputs) releases raw confidences as the defense would
    simulated = InversionModel(lr_target, estimator=knn, output="rounded", decimals=1)
    simulated.fit(X_aux)
    np.testing.assert_allclose(
        simulated.predict(lr_target.predict_proba(X)), simulated.transform(X)
    )
    labels = InversionModel(lr_target, estimator=knn, output="label").fit(X_aux)
    np.testing.assert_allclose(
        labels.predict(lr_target.predict(X)), labels.transform(X)
    )


def test_queries_counted_and_columns(digits, lr_target):
    X_aux = digits["aux"][0]
    counter = QueryCounter(FrozenEstimator(lr_target))
    inversion = InversionModel(
        counter, estimator=KNeighborsRegressor(5), columns=[3, 10]
    )
    inversion.fit(X_aux)
    assert inversion.n_queries_ == counter.n_rows_ == X_aux.shape[0]
    out = inversion.transform(X_aux[:7])
    assert out.shape == (7, 2) and counter.n_rows_ == X_aux.shape[0] + 7
    np.testing.assert_array_equal(inversion.get_feature_names_out(), ["x3", "x10"])


def test_survey_columns_from_a_dataframe():
    X, y = load_affairs(as_frame=True, return_X_y=True)
    target = DecisionTreeClassifier(max_depth=6, random_state=0).fit(X[:3000], y[:3000])
    inversion = InversionModel(target, columns=["affair", "religious"], random_state=0)
    inversion.fit(X[3000:4500])
    out = inversion.transform(X[:3000])
    assert out.shape == (3000, 2)
    np.testing.assert_array_equal(
        inversion.get_feature_names_out(), ["affair", "religious"]
    )
    assert inversion.score(X[:3000]) < 0


def test_bad_input_is_named(digits, lr_target):
    inversion = InversionModel(lr_target, estimator=KNeighborsRegressor(5))
    inversion.fit(digits["aux"][0])
    with pytest.raises(ValueError, match=r"expected \(n, 10\)"):
        inversion.predict(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="output='label'"):
        inversion.predict(np.zeros(3))
    with pytest.raises(ValueError, match="columns=99"):
        InversionModel(lr_target, columns=[99]).fit(digits["aux"][0])
    X, y = digits["members"]
    no_proba = RidgeClassifier().fit(X, y)
    with pytest.raises(TypeError, match="predict_proba"):
        InversionModel(no_proba).fit(digits["aux"][0])
    InversionModel(no_proba, output="label", estimator=KNeighborsRegressor()).fit(
        digits["aux"][0]
    )
    model = LogisticRegression()  # not fitted
    with pytest.raises(Exception, match="not fitted"):
        InversionModel(model).fit(digits["aux"][0])


def test_deterministic(digits, lr_target):
    X_aux = digits["aux"][0]
    forest = RandomForestRegressor(10)
    kwargs = {"estimator": forest.set_params(random_state=1), "random_state": 1}
    a = InversionModel(lr_target, **kwargs).fit(X_aux).transform(X_aux[:20])
    b = InversionModel(lr_target, **kwargs).fit(X_aux).transform(X_aux[:20])
    np.testing.assert_array_equal(a, b)
