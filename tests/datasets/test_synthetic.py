import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

from skinvert.datasets import make_sensitive_classification


def _majority(s):
    return np.bincount(s).max() / s.shape[0]


def _attack_accuracy(known, s, y=None):
    """Cross-validated accuracy of a logistic classifier of ``s``.

    With the label, the inputs are ``[known, y, y * known]`` so that the
    classifier can compare the label with what the known features predict.
    """
    features = known if y is None else np.column_stack([known, y, y[:, None] * known])
    return cross_val_score(LogisticRegression(), features, s, cv=3).mean()


def test_shapes_codes_and_dtypes():
    X, y, s = make_sensitive_classification(
        n_samples=300,
        n_features=4,
        n_sensitive_values=3,
        n_classes=3,
        return_sensitive_column=True,
        random_state=0,
    )
    assert X.shape == (300, 4) and y.shape == (300,) and s.shape == (300,)
    assert X.dtype == np.float64
    assert np.issubdtype(y.dtype, np.integer) and np.issubdtype(s.dtype, np.integer)
    assert set(np.unique(s)) == {0, 1, 2}
    assert set(np.unique(y)) == {0, 1, 2}
    np.testing.assert_array_equal(X[:, 0], s)


def test_deterministic_under_random_state():
    a = make_sensitive_classification(n_samples=200, random_state=7)
    b = make_sensitive_classification(n_samples=200, random_state=7)
    c = make_sensitive_classification(n_samples=200, random_state=8)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_random_state_instance_is_accepted():
    rng = np.random.RandomState(0)
    X1, _ = make_sensitive_classification(n_samples=50, random_state=rng)
    X2, _ = make_sensitive_classification(n_samples=50, random_state=rng)
    assert not np.array_equal(X1, X2)


def test_known_features_do_not_depend_on_leak_or_weights():
    X0, y0 = make_sensitive_classification(n_samples=500, leak=0.0, random_state=1)
    X1, y1 = make_sensitive_classification(
        n_samples=500, leak=3.0, sensitive_weights=[0.2, 0.8], random_state=1
    )
    np.testing.assert_array_equal(X0[:, 1:], X1[:, 1:])
    assert not np.array_equal(y0, y1)


def test_no_leak_means_label_ignores_sensitive_value():
    # With leak=0 the label is a function of the known features and the noise
    # only: changing how s is drawn must leave y exactly unchanged.
    kw = {"n_samples": 2000, "leak": 0.0, "random_state": 3}
    X0, y0 = make_sensitive_classification(sensitive_weights=[0.5, 0.5], **kw)
    X1, y1 = make_sensitive_classification(sensitive_weights=[0.1, 0.9], **kw)
    assert not np.array_equal(X0[:, 0], X1[:, 0])
    np.testing.assert_array_equal(y0, y1)
    # ... while with a leak the same change moves labels.
    kw["leak"] = 1.0
    _, y2 = make_sensitive_classification(sensitive_weights=[0.5, 0.5], **kw)
    _, y3 = make_sensitive_classification(sensitive_weights=[0.1, 0.9], **kw)
    assert not np.array_equal(y2, y3)


def test_no_leak_no_dependence_attack_is_at_majority():
    X, y, s = make_sensitive_classification(
        n_samples=4000, leak=0.0, return_sensitive_column=True, random_state=0
    )
    acc = _attack_accuracy(X[:, 1:], s, y)
    assert abs(acc - _majority(s)) < 0.03


def test_large_leak_makes_label_reveal_sensitive_value():
    X, y, s = make_sensitive_classification(
        n_samples=4000, leak=3.0, return_sensitive_column=True, random_state=0
    )
    with_label = _attack_accuracy(X[:, 1:], s, y)
    without_label = _attack_accuracy(X[:, 1:], s)
    assert with_label > _majority(s) + 0.25
    # feature_dependence=0: the known features alone do not help.
    assert abs(without_label - _majority(s)) < 0.03


def test_leak_is_monotone():
    accs = []
    for leak in (0.0, 0.5, 1.5):
        X, y, s = make_sensitive_classification(
            n_samples=3000, leak=leak, return_sensitive_column=True, random_state=2
        )
        accs.append(_attack_accuracy(X[:, 1:], s, y))
    assert accs[0] < accs[1] < accs[2]


def test_feature_dependence_makes_sensitive_predictable_from_known_features():
    kw = {"n_samples": 4000, "leak": 0.0, "return_sensitive_column": True}
    X, _, s = make_sensitive_classification(
        feature_dependence=3.0, random_state=0, **kw
    )
    acc = _attack_accuracy(X[:, 1:], s)
    assert acc > _majority(s) + 0.15
    X, _, s = make_sensitive_classification(
        feature_dependence=0.0, random_state=0, **kw
    )
    acc = _attack_accuracy(X[:, 1:], s)
    assert abs(acc - _majority(s)) < 0.03


def test_sensitive_weights_set_the_marginal():
    _, _, s = make_sensitive_classification(
        n_samples=20000,
        n_sensitive_values=3,
        sensitive_weights=[0.6, 0.3, 0.1],
        return_sensitive_column=True,
        random_state=0,
    )
    np.testing.assert_allclose(np.bincount(s) / s.size, [0.6, 0.3, 0.1], atol=0.015)


def test_label_noise_rate():
    kw = {"n_samples": 20000, "n_classes": 3, "random_state": 4}
    _, clean = make_sensitive_classification(label_noise=0.0, **kw)
    _, noisy = make_sensitive_classification(label_noise=0.2, **kw)
    assert abs(np.mean(clean != noisy) - 0.2) < 0.015


def test_multiclass_large_leak_pushes_label_to_value_mod_classes():
    _, y, s = make_sensitive_classification(
        n_samples=3000,
        n_sensitive_values=4,
        n_classes=3,
        leak=20.0,
        label_noise=0.0,
        return_sensitive_column=True,
        random_state=0,
    )
    np.testing.assert_array_equal(y, s % 3)


def test_random_forest_overfits_members():
    X, y = make_sensitive_classification(n_samples=2000, random_state=0)
    rf = RandomForestClassifier(random_state=0).fit(X[:1000], y[:1000])
    train = rf.score(X[:1000], y[:1000])
    held_out = rf.score(X[1000:], y[1000:])
    assert train > 0.99
    assert held_out < train - 0.05


def test_as_frame():
    pd = pytest.importorskip("pandas")
    X, y, s = make_sensitive_classification(
        n_samples=50,
        n_features=4,
        as_frame=True,
        return_sensitive_column=True,
        random_state=0,
    )
    Xa, ya = make_sensitive_classification(n_samples=50, n_features=4, random_state=0)
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)
    assert list(X.columns) == ["sensitive", "x1", "x2", "x3"]
    assert y.name == "label" and s.name == "sensitive"
    assert pd.api.types.is_integer_dtype(X["sensitive"])
    np.testing.assert_allclose(X.to_numpy(dtype=float), Xa)
    np.testing.assert_array_equal(y.to_numpy(), ya)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_samples": 0}, "n_samples"),
        ({"n_features": 1}, "n_features"),
        ({"n_sensitive_values": 1}, "n_sensitive_values"),
        ({"leak": -0.1}, "leak"),
        ({"feature_dependence": -1}, "feature_dependence"),
        ({"label_noise": 1.5}, "label_noise"),
        ({"n_classes": 1}, "n_classes"),
        ({"as_frame": "yes"}, "as_frame"),
        ({"sensitive_weights": [0.5, 0.3, 0.2]}, "length"),
        ({"sensitive_weights": [0.7, 0.7]}, "sum to one"),
        ({"sensitive_weights": [1.0, 0.0]}, "strictly positive"),
        ({"sensitive_weights": [[0.5, 0.5]]}, "1-d"),
    ],
)
def test_invalid_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        make_sensitive_classification(**params)
