"""LinearWhiteBoxInversion: the black-box posterior, exactly, without queries."""

from unittest import mock

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

from skinvert.attacks import CSMIA, FredriksonInversion
from skinvert.attacks._linear import LinearWhiteBoxInversion


def _data(seed, n_classes, n=400, k=4):
    rng = np.random.default_rng(seed)
    s = rng.integers(0, k, n)
    known = rng.normal(size=(n, 3))
    score = s + known[:, 0] + rng.normal(size=n)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    X = np.column_stack([known[:, :1], s, known[:, 1:]])  # sensitive column 1
    return X, y


TARGETS = {
    "logistic": lambda: LogisticRegression(C=0.3),
    "sgd-log": lambda: SGDClassifier(loss="log_loss", random_state=0),
    "sgd-huber": lambda: SGDClassifier(loss="modified_huber", random_state=0),
    "svc-sigmoid": lambda: CalibratedClassifierCV(LinearSVC(), cv=3),
    "svc-isotonic": lambda: CalibratedClassifierCV(
        LinearSVC(), cv=3, method="isotonic"
    ),
    "scaled-logistic": lambda: make_pipeline(StandardScaler(), LogisticRegression()),
}


# every target on two class counts; the cheap ones on a second random draw too
CASES = [
    (name, n_classes, seed)
    for name in sorted(TARGETS)
    for n_classes in (2, 3)
    for seed in ((0,) if name.startswith("svc") else (0, 1))
]


@pytest.mark.parametrize("name, n_classes, seed", CASES)
def test_equals_black_box_posterior(name, n_classes, seed):
    X, y = _data(seed, n_classes)
    target = TARGETS[name]().fit(X[:200], y[:200])
    view = np.column_stack([X, y])
    label = X.shape[1]
    cases = [
        (None, "fredrikson", FredriksonInversion, {}),
        (label, "fredrikson", FredriksonInversion, {}),
        (label, "fredrikson", FredriksonInversion, {"prior": "uniform"}),
        (label, "csmia", CSMIA, {}),
    ]
    for lab, evidence, black, extra in cases:
        data = X if lab is None else view
        white = LinearWhiteBoxInversion(
            target, sensitive=1, label=lab, evidence=evidence, **extra
        ).fit(data[200:], X[200:, 1])
        reference = black(target, sensitive=1, label=lab, **extra)
        reference.fit(data[200:], X[200:, 1])
        p, q = white.predict_proba(data[:200]), reference.predict_proba(data[:200])
        assert np.abs(p - q).max() < 1e-12, (lab, evidence, extra)
        assert white.queries_per_victim_ == 0


def test_one_hot_sensitive_column_in_a_column_transformer():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(3)
    n = 300
    status = rng.choice(["single", "married", "divorced"], n)
    frame = pd.DataFrame(
        {"age": rng.normal(40, 10, n), "status": status, "hours": rng.normal(size=n)}
    )
    y = ((status == "married") + rng.normal(size=n) > 0.5).astype(int)
    encode = ColumnTransformer(
        [
            ("cat", OneHotEncoder(), ["status"]),
            ("num", StandardScaler(), ["age", "hours"]),
        ]
    )
    target = make_pipeline(encode, LogisticRegression()).fit(frame[:150], y[:150])
    view = frame.assign(y=y)
    white = LinearWhiteBoxInversion(target, sensitive="status", label="y")
    black = FredriksonInversion(target, sensitive="status", label="y")
    p = white.fit(view[150:], status[150:]).predict_proba(view[:150])
    q = black.fit(view[150:], status[150:]).predict_proba(view[:150])
    assert np.abs(p - q).max() < 1e-12


def test_joint_sensitive_columns():
    X, y = _data(5, 3)
    X = np.column_stack([X, (X[:, 2] > 0).astype(float)])  # a second, binary column
    target = LogisticRegression().fit(X[:200], y[:200])
    view = np.column_stack([X, y])
    args = {"sensitive": [1, 4], "label": X.shape[1]}
    white = LinearWhiteBoxInversion(target, **args).fit(view[200:], X[200:, [1, 4]])
    black = FredriksonInversion(target, **args).fit(view[200:], X[200:, [1, 4]])
    diff = white.predict_proba(view[:200]) - black.predict_proba(view[:200])
    assert np.abs(diff).max() < 1e-12


def test_never_queries_the_target():
    X, y = _data(0, 2)
    target = LogisticRegression().fit(X[:200], y[:200])
    view = np.column_stack([X, y])
    attack = LinearWhiteBoxInversion(target, sensitive=1, label=X.shape[1])
    attack.fit(view[200:], X[200:, 1])
    with mock.patch.object(
        LogisticRegression, "predict_proba", side_effect=AssertionError("queried")
    ):
        assert attack.predict_proba(view[:50]).shape == (50, 4)


@pytest.mark.parametrize(
    "target, words",
    [
        (RandomForestClassifier(n_estimators=3), ["RandomForestClassifier"]),
        (make_pipeline(PCA(2), LogisticRegression()), ["PCA", "mixes columns"]),
        (SGDClassifier(loss="hinge"), ["loss='hinge'"]),
    ],
)
def test_unsupported_target_names_the_supported_types(target, words):
    X, y = _data(0, 2)
    target.fit(X[:200], y[:200])
    attack = LinearWhiteBoxInversion(target, sensitive=1)
    with pytest.raises(TypeError) as info:
        attack.fit(X[200:], X[200:, 1])
    message = str(info.value)
    supported = ["LogisticRegression", "SGDClassifier", "CalibratedClassifierCV"]
    for word in [*words, *supported]:
        assert word in message
    assert not hasattr(attack, "classes_")  # nothing learned


def test_csmia_needs_the_label():
    X, y = _data(0, 2)
    target = LogisticRegression().fit(X[:200], y[:200])
    with pytest.raises(ValueError, match="label"):
        LinearWhiteBoxInversion(target, sensitive=1, evidence="csmia").fit(
            X[200:], X[200:, 1]
        )


def test_bad_evidence_is_named():
    X, y = _data(0, 2)
    target = LogisticRegression().fit(X[:200], y[:200])
    with pytest.raises(ValueError, match="evidence"):
        LinearWhiteBoxInversion(target, sensitive=1, evidence="lomia").fit(
            X[200:], X[200:, 1]
        )


def test_deterministic_and_inputs_untouched():
    X, y = _data(2, 3)
    target = LogisticRegression().fit(X[:200], y[:200])
    view = np.column_stack([X, y])
    before = view.copy()
    runs = [
        LinearWhiteBoxInversion(target, sensitive=1, label=X.shape[1])
        .fit(view[200:], X[200:, 1])
        .predict_proba(view[:200])
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_array_equal(view, before)


def test_beats_the_prior_where_the_model_leaks():
    X, y = _data(4, 2, n=1000)
    target = LogisticRegression().fit(X[:500], y[:500])
    view = np.column_stack([X, y])
    attack = LinearWhiteBoxInversion(target, sensitive=1, label=X.shape[1])
    attack.fit(view[500:], X[500:, 1])
    majority = np.mean(X[:500, 1] == attack.classes_[np.argmax(attack.prior_)])
    assert attack.score(view[:500], X[:500, 1]) > majority + 0.05


def test_unfitted_target_says_to_freeze_it():
    from sklearn.exceptions import NotFittedError

    X, _ = _data(0, 2)
    with pytest.raises(NotFittedError, match="FrozenEstimator"):
        LinearWhiteBoxInversion(LogisticRegression(), sensitive=1).fit(X, X[:, 1])


def test_declares_the_white_box_targets_it_reads():
    X, y = _data(0, 2)
    linear = LogisticRegression().fit(X, y)
    forest = RandomForestClassifier(n_estimators=2, random_state=0).fit(X, y)
    attack = LinearWhiteBoxInversion()
    assert attack._threat_model == "white-box"
    assert attack._supports_target(make_pipeline(StandardScaler(), linear).fit(X, y))
    assert not attack._supports_target(forest)
    assert not attack._supports_target(make_pipeline(PCA(2), linear).fit(X, y))


@pytest.mark.parametrize(
    "make, estimate",
    [
        (lambda: make_pipeline(StandardScaler(), LogisticRegression()), "mean"),
        (lambda: make_pipeline(StandardScaler(), LogisticRegression()), "map"),
        (lambda: CalibratedClassifierCV(LinearSVC(), cv=3), "mean"),
    ],
)
def test_regressor_equals_fredrikson_regressor(make, estimate):
    from skinvert.attacks import FredriksonRegressor
    from skinvert.attacks._linear import LinearWhiteBoxRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(size=400) > 0).astype(int)
    y += X[:, 2] > 1  # three classes
    target = make().fit(X[:200], y[:200])
    view = np.column_stack([X, y])
    for label, data in ((None, X), (4, view)):
        args = {"sensitive": 0, "label": label, "estimate": estimate}
        white = LinearWhiteBoxRegressor(target, **args).fit(data[200:], X[200:, 0])
        black = FredriksonRegressor(target, **args).fit(data[200:], X[200:, 0])
        diff = white.predict(data[:200]) - black.predict(data[:200])
        assert np.abs(diff).max() < 1e-9
        assert white.queries_per_victim_ == 0 and black.queries_per_victim_ == 24


def test_regressor_refinement_needs_an_affine_column():
    from sklearn.preprocessing import KBinsDiscretizer

    from skinvert.attacks._linear import LinearWhiteBoxRegressor

    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    binned = make_pipeline(KBinsDiscretizer(4), LogisticRegression()).fit(X, y)
    attack = LinearWhiteBoxRegressor(binned, sensitive=0).fit(X[150:], X[150:, 0])
    with pytest.raises(TypeError, match="not affine"):
        attack.predict(X[:10])
    grid_only = LinearWhiteBoxRegressor(binned, sensitive=0, n_refine=0)
    assert grid_only.fit(X[150:], X[150:, 0]).predict(X[:10]).shape == (10,)
