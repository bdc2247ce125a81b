import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skinvert.metrics import (
    SCORER_NAMES,
    attack_accuracy,
    attack_balanced_accuracy,
    attack_mae,
    attack_precision,
    attack_roc_auc,
    get_attack_scorer,
    make_advantage_scorer,
    make_attack_scorer,
    ppv_at_k,
    tpr_at_fpr,
)


class PriorLogistic(LogisticRegression):
    """A stand-in categorical attack: a classifier with the attack's prior_."""

    def fit(self, X, s):
        super().fit(X, s)
        self.prior_ = np.mean(np.asarray(s)[:, None] == self.classes_, axis=0)
        return self


class PriorLinear(LinearRegression):
    """A stand-in continuous attack with prior_mean_."""

    def fit(self, X, s):
        super().fit(X, s)
        self.prior_mean_ = float(np.mean(s))
        return self


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    logits = X[:, 0] - 0.8  # "yes" is the minority
    s = np.where(rng.random(300) < 1 / (1 + np.exp(-2 * logits)), "yes", "no")
    return X, s


@pytest.fixture(scope="module")
def fitted(data):
    X, s = data
    return PriorLogistic().fit(X[:200], s[:200]), X[200:], s[200:]


def test_label_scorers_match_the_metrics(fitted):
    attack, X, s = fitted
    pred = attack.predict(X)
    assert get_attack_scorer("accuracy")(attack, X, s) == attack_accuracy(s, pred)
    assert get_attack_scorer("balanced_accuracy")(
        attack, X, s
    ) == attack_balanced_accuracy(s, pred)
    scorer = make_attack_scorer("precision", positive="yes")
    assert scorer(attack, X, s) == attack_precision(s, pred, positive="yes")


def test_posterior_scorers_honour_positive(fitted):
    attack, X, s = fitted
    proba = attack.predict_proba(X)
    classes = attack.classes_
    # positive is classes_[0]: a binary make_scorer would hand over column 1
    scorer = make_attack_scorer("tpr_at_fpr", positive="no", fpr=0.1)
    assert scorer(attack, X, s) == tpr_at_fpr(s, proba[:, 0], positive="no", fpr=0.1)
    assert scorer(attack, X, s) != tpr_at_fpr(s, proba[:, 1], positive="no", fpr=0.1)
    scorer = make_attack_scorer("ppv_at_k", positive="no", k=0.2)
    assert scorer(attack, X, s) == ppv_at_k(
        s, proba, positive="no", k=0.2, classes=classes
    )
    assert get_attack_scorer("roc_auc")(attack, X, s) == attack_roc_auc(
        s, proba, classes=classes
    )


def test_cross_val_score_and_multimetric_grid_search(data):
    X, s = data
    scores = cross_val_score(PriorLogistic(), X, s, cv=3, scoring="accuracy")
    ours = cross_val_score(
        PriorLogistic(), X, s, cv=3, scoring=get_attack_scorer("accuracy")
    )
    np.testing.assert_allclose(ours, scores)  # same as scikit-learn's own scorer
    scoring = {
        "acc": get_attack_scorer("accuracy"),
        "auc": get_attack_scorer("roc_auc"),
        "adv": get_attack_scorer("advantage"),
        "auc_adv": make_advantage_scorer("roc_auc"),
        "tpr": make_attack_scorer("tpr_at_fpr", positive="yes", fpr=0.1),
        "ppv": make_attack_scorer("ppv_at_k", positive="yes", k=10),
    }
    search = GridSearchCV(
        PriorLogistic(), {"C": [1e-4, 1.0]}, cv=3, scoring=scoring, refit="adv"
    ).fit(X, s)
    results = search.cv_results_
    assert not any(np.isnan(results[f"mean_test_{key}"]).any() for key in scoring)
    # a C so small the attack predicts the majority value has no advantage
    np.testing.assert_allclose(results["mean_test_adv"][0], 0.0, atol=1e-12)
    assert results["mean_test_adv"][1] > 0.05
    np.testing.assert_allclose(
        results["mean_test_auc_adv"], results["mean_test_auc"] - 0.5
    )
    assert search.best_params_ == {"C": 1.0}


def test_advantage_scorer_against_prior(fitted):
    attack, X, s = fitted
    majority = attack.classes_[np.argmax(attack.prior_)]
    expected = attack_accuracy(s, attack.predict(X)) - np.mean(s == majority)
    assert make_advantage_scorer()(attack, X, s) == pytest.approx(expected)
    balanced = get_attack_scorer("balanced_accuracy_advantage")(attack, X, s)
    assert balanced == pytest.approx(
        attack_balanced_accuracy(s, attack.predict(X)) - 0.5
    )


def test_advantage_scorer_with_a_fitted_baseline(data, fitted):
    attack, X, s = fitted
    baseline = DummyClassifier(strategy="constant", constant="yes").fit(*data)
    expected = attack_accuracy(s, attack.predict(X)) - np.mean(s == "yes")
    scorer = make_advantage_scorer("accuracy", baseline=baseline)
    assert scorer(attack, X, s) == pytest.approx(expected)
    # the baseline is used as is: not refitted by cross-validation
    cross_val_score(PriorLogistic(), *data, cv=2, scoring=scorer)
    assert baseline.constant == "yes" and baseline.classes_.tolist() == ["no", "yes"]
    # posterior baseline knowing only one value: columns aligned to the attack's
    only_no = DummyClassifier().fit(X[:5], ["no"] * 5)
    auc = make_advantage_scorer("roc_auc", baseline=only_no)(attack, X, s)
    assert auc == pytest.approx(
        attack_roc_auc(s, attack.predict_proba(X), classes=attack.classes_) - 0.5
    )


def test_advantage_scorer_regression():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 2))
    income = 3.0 * X[:, 0] + rng.normal(size=200)
    attack = PriorLinear().fit(X[:100], income[:100])
    expected = attack_mae(income[100:], np.full(100, attack.prior_mean_)) - attack_mae(
        income[100:], attack.predict(X[100:])
    )
    scorer = get_attack_scorer("mae_advantage")
    assert scorer(attack, X[100:], income[100:]) == pytest.approx(expected)
    assert expected > 0
    # error scorers are negated, like scikit-learn's neg_mean_absolute_error
    assert get_attack_scorer("mae")(attack, X[100:], income[100:]) == pytest.approx(
        -attack_mae(income[100:], attack.predict(X[100:]))
    )
    cv = cross_validate(
        PriorLinear(),
        X,
        income,
        cv=3,
        scoring={"r2": get_attack_scorer("r2"), "gain": scorer},
    )
    assert (cv["test_gain"] > 0).all() and (cv["test_r2"] > 0.5).all()


def test_advantage_scorer_finds_the_prior_in_a_pipeline(data):
    X, s = data
    attack = make_pipeline(StandardScaler(), PriorLogistic()).fit(X, s)
    assert np.isfinite(get_attack_scorer("advantage")(attack, X, s))


def test_scorer_errors(fitted):
    attack, X, s = fitted
    plain = LogisticRegression().fit(X, s)
    with pytest.raises(AttributeError, match="has no prior_"):
        make_advantage_scorer()(plain, X, s)
    with pytest.raises(NotFittedError, match="baseline DummyClassifier is not fitted"):
        make_advantage_scorer(baseline=DummyClassifier())
    with pytest.raises(ValueError, match="'baseline' parameter"):
        make_advantage_scorer(baseline="majority")
    with pytest.raises(ValueError, match="positive is required"):
        get_attack_scorer("precision")(attack, X, s)
    with pytest.raises(ValueError, match="one scorer per k"):
        make_attack_scorer("ppv_at_k", positive="yes", k=[5, 10])
    with pytest.raises(TypeError, match="classes is read from the fitted attack"):
        make_attack_scorer("roc_auc", classes=["no", "yes"])
    with pytest.raises(TypeError, match="only for a callable"):
        make_attack_scorer("accuracy", greater_is_better=False)


def test_get_attack_scorer_names():
    for name in SCORER_NAMES:
        assert callable(get_attack_scorer(name))
    for name in (
        "accuracy",
        "roc_auc",
        "advantage",
        "mae",
        "rmse",
        "r2",
        "mae_advantage",
    ):
        assert name in SCORER_NAMES
    with pytest.raises(ValueError, match="Unknown attack scorer name 'acc'") as info:
        get_attack_scorer("acc")
    assert "balanced_accuracy" in str(info.value)
    assert "mae_advantage" in str(info.value)


def test_callable_metric_scorers(fitted):
    attack, X, s = fitted

    def hits(y_true, y_pred):
        return float(np.sum(np.asarray(y_true) == y_pred))

    assert make_attack_scorer(hits)(attack, X, s) == hits(s, attack.predict(X))
    gain = make_advantage_scorer(hits)(attack, X, s)
    majority = attack.classes_[np.argmax(attack.prior_)]
    assert gain == hits(s, attack.predict(X)) - np.sum(s == majority)
