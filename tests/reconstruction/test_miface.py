import warnings

import numpy as np
import pytest
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skinvert.defenses import QueryCounter, RoundedConfidences
from skinvert.reconstruction import MIFace, UnsupportedGradientError
from skinvert.reconstruction._gradients import analytic_model


def _class_means(X, y):
    return np.array([X[y == c].mean(axis=0) for c in np.unique(y)])


@pytest.mark.parametrize("gradient", ["analytic", "finite_difference"])
def test_representatives_are_confident_and_near_their_class(
    digits, lr_target, gradient
):
    X_aux, _ = digits["aux"]
    attack = MIFace(lr_target, gradient=gradient, n_starts=2, random_state=0)
    attack.fit(X_aux)
    R = attack.representatives_
    assert R.shape == (10, 64)
    proba = lr_target.predict_proba(R)
    np.testing.assert_array_equal(proba.argmax(axis=1), np.arange(10))
    assert proba[np.arange(10), np.arange(10)].min() >= 0.9
    np.testing.assert_allclose(attack.confidences_, proba[np.arange(10), np.arange(10)])
    means = _class_means(*digits["members"])
    dist = ((R[:, None, :] - means[None]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(dist.argmin(axis=1), np.arange(10))
    # projected onto the domain: whole pixel values within the auxiliary range
    np.testing.assert_array_equal(R, np.round(R))
    assert R.min() >= X_aux.min() and R.max() <= X_aux.max()


def test_starting_points_alone_are_not_representatives(digits, lr_target):
    # max_iter=0 keeps the starts (aux mean and aux records): the descent is what
    # makes them confident, so the first test can fail.
    attack = MIFace(lr_target, max_iter=0, n_starts=2, random_state=0)
    attack.fit(digits["aux"][0])
    assert attack.confidences_.min() < 0.9
    assert attack.n_iter_ == 0 and attack.stopped_by_ == "max_iter"


def _fd(target, X, codes, h=1e-4):
    G = np.empty_like(X)
    rows = np.arange(len(X))
    for j in range(X.shape[1]):
        e = np.zeros(X.shape[1])
        e[j] = h
        up = target.predict_proba(X + e)[rows, codes]
        down = target.predict_proba(X - e)[rows, codes]
        G[:, j] = (up - down) / (2 * h)
    return G


def _targets(digits):
    X, y = digits["members"]
    X, y = X[:300] / 16.0, y[:300]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return X, {
            "lr-multinomial": (LogisticRegression(C=0.1).fit(X, y), 1e-6),
            "lr-binary": (LogisticRegression(C=0.1).fit(X, y == 3), 1e-6),
            "mlp-relu": (
                MLPClassifier((16,), max_iter=200, random_state=0).fit(X, y),
                1e-6,
            ),
            "mlp-tanh-binary": (
                MLPClassifier(
                    (8, 6), activation="tanh", max_iter=200, random_state=0
                ).fit(X, y == 3),
                1e-6,
            ),
            "pipeline": (
                make_pipeline(StandardScaler(), LogisticRegression(C=0.1)).fit(X, y),
                1e-6,
            ),
            # libsvm solves for the Platt probability iteratively: looser
            "svc-linear-binary": (
                SVC(kernel="linear", probability=True, C=0.1, random_state=0).fit(
                    X, y == 3
                ),
                1e-1,
            ),
        }


def test_analytic_gradients_agree_with_finite_differences(digits):
    X, targets = _targets(digits)
    probe = X[:12] * 0.8 + 0.1
    for name, (target, rtol) in targets.items():
        codes = np.arange(12) % len(target.classes_)
        proba, grad = analytic_model(target)(probe, codes)
        fd = _fd(target, probe, codes)
        scale = np.abs(fd).max()
        assert scale > 1e-4, name  # a gradient that is not trivially zero
        np.testing.assert_allclose(
            proba, target.predict_proba(probe), atol=rtol / 4, err_msg=name
        )
        np.testing.assert_allclose(grad, fd, atol=rtol * scale, err_msg=name)


def test_analytic_and_zero_order_descents_agree(digits):
    X, targets = _targets(digits)
    for name in ("lr-multinomial", "mlp-relu"):
        target = targets[name][0]
        kwargs = {"n_starts": 1, "max_iter": 30, "random_state": 0}
        a = MIFace(target, gradient="analytic", **kwargs).fit(X)
        f = MIFace(target, gradient="finite_difference", **kwargs).fit(X)
        assert a.n_iter_ == f.n_iter_, name
        np.testing.assert_allclose(a.representatives_, f.representatives_, atol=0.05)


def test_queries_are_counted_exactly(digits, lr_target):
    X_aux = digits["aux"][0]
    counter = QueryCounter(FrozenEstimator(lr_target))
    for gradient in ("finite_difference", "nes"):
        counter.reset()
        attack = MIFace(
            counter,
            gradient=gradient,
            n_starts=2,
            max_iter=5,
            nes_samples=4,
            random_state=0,
        ).fit(X_aux)
        assert attack.n_queries_ == counter.n_rows_ > 0
    counter.reset()
    attack = MIFace(
        counter,
        gradient="finite_difference",
        n_starts=2,
        max_queries=20 * 131,
        random_state=0,
    ).fit(X_aux)
    assert attack.n_queries_ == counter.n_rows_ <= 20 * 131
    assert attack.stopped_by_ == "max_queries"


def test_analytic_gradient_refused_with_what_to_do(digits, lr_target):
    X, y = digits["members"]
    target = KNeighborsClassifier().fit(X, y)
    with pytest.raises(UnsupportedGradientError, match="gradient='finite_difference'"):
        MIFace(target, gradient="analytic").fit(digits["aux"][0])
    # a defense wrapper is a black box: no analytic gradient through it
    rounded = RoundedConfidences(FrozenEstimator(lr_target))
    with pytest.raises(TypeError, match="nes"):
        MIFace(rounded, gradient="analytic").fit(digits["aux"][0])


def test_multiclass_svc_falls_back_to_zero_order(digits):
    X, y = digits["members"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        svc = SVC(kernel="linear", probability=True, random_state=0).fit(
            X[:200], y[:200] % 3
        )
    with pytest.raises(UnsupportedGradientError, match="gradient='auto'"):
        MIFace(svc, gradient="analytic").fit(X[:50])
    attack = MIFace(svc, n_starts=1, max_iter=2).fit(X[:50])
    assert attack.gradient_ == "finite_difference" and attack.n_queries_ > 0


def test_budget_too_small_to_start(digits, lr_target):
    attack = MIFace(
        lr_target, gradient="finite_difference", n_starts=2, max_queries=100
    )
    with pytest.raises(ValueError, match=r"max_queries=100 is too small.*Raise"):
        attack.fit(digits["aux"][0])
    assert not hasattr(attack, "representatives_")


def test_deterministic_and_input_untouched(digits, lr_target):
    X_aux = digits["aux"][0].copy()
    kwargs = {"gradient": "nes", "n_starts": 2, "max_iter": 10, "random_state": 3}
    a = MIFace(lr_target, **kwargs).fit(X_aux)
    b = MIFace(lr_target, **kwargs).fit(X_aux)
    np.testing.assert_array_equal(a.representatives_, b.representatives_)
    np.testing.assert_array_equal(X_aux, digits["aux"][0])


def test_reconstruct(digits, lr_target):
    X_aux = digits["aux"][0]
    attack = MIFace(lr_target, n_starts=1).fit(X_aux)
    np.testing.assert_array_equal(
        attack.reconstruct([3, 3]), attack.representatives_[[3, 3]]
    )
    np.testing.assert_array_equal(attack.reconstruct(), attack.representatives_)
    with pytest.raises(ValueError, match="not classes of the target"):
        attack.reconstruct([11])


def test_categorical_columns_are_snapped(digits, lr_target):
    X_aux = digits["aux"][0]
    attack = MIFace(
        lr_target, n_starts=1, integer_features=None, categorical_features=[0, 5]
    ).fit(X_aux)
    for j in (0, 5):
        assert set(attack.representatives_[:, j]) <= set(X_aux[:, j])


def test_regulariser_pulls_toward_the_auxiliary_mean(digits, lr_target):
    X_aux = digits["aux"][0]
    mean = X_aux.mean(axis=0)
    kwargs = {"n_starts": 1, "integer_features": None}
    free = MIFace(lr_target, **kwargs).fit(X_aux)
    pulled = MIFace(lr_target, alpha=5.0, loss="confidence", **kwargs).fit(X_aux)
    gap_free = np.abs(free.representatives_ - mean).mean()
    gap_pulled = np.abs(pulled.representatives_ - mean).mean()
    assert gap_pulled < 0.8 * gap_free
