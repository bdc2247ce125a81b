import numpy as np
import pytest
from sklearn.metrics import accuracy_score, mean_absolute_error, roc_auc_score

from skinvert.metrics import BootstrapCI, advantage, attack_accuracy, bootstrap_ci
from skinvert.metrics import _bootstrap as bootstrap_module


def _noisy_guess(n, accuracy, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return y, np.where(rng.random(n) < accuracy, y, 1 - y)


def test_advantage_hand_computed_and_sign_convention():
    y = ["a", "a", "b", "b", "a"]
    assert advantage(y, ["a", "a", "b", "a", "a"], ["a"] * 5) == pytest.approx(0.2)
    # errors: baseline error minus attack error, positive when the attack is better
    y_true, attack, base = [10.0, 20.0, 30.0], [12.0, 20.0, 29.0], [20.0] * 3
    assert advantage(y_true, attack, base, metric="mae") == pytest.approx(20 / 3 - 1)
    assert advantage(y_true, attack, base, metric="rmse") == pytest.approx(
        np.sqrt(200 / 3) - np.sqrt(5 / 3)
    )
    assert advantage(y_true, base, attack, metric="mae") == pytest.approx(1 - 20 / 3)
    assert advantage(y_true, attack, base, metric="r2") == pytest.approx(1 - 5 / 200)


def test_advantage_with_metric_kwargs_and_posteriors():
    y = np.array(["no", "yes", "yes", "no"])
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.7, 0.3]])
    prior = np.tile([0.5, 0.5], (4, 1))
    gain = advantage(y, proba, prior, metric="roc_auc", classes=["no", "yes"])
    assert gain == pytest.approx(0.5)
    recall_gain = advantage(
        y, ["no", "yes", "no", "no"], ["no"] * 4, metric="recall", positive="yes"
    )
    assert recall_gain == pytest.approx(0.5)


def test_advantage_callable():
    y, attack, base = [0, 1, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]
    assert advantage(y, attack, base, metric=accuracy_score) == pytest.approx(0.25)
    assert advantage(
        [1.0, 2.0],
        [1.0, 2.5],
        [0.0, 0.0],
        metric=mean_absolute_error,
        greater_is_better=False,
    ) == pytest.approx(1.5 - 0.25)


def test_advantage_errors():
    with pytest.raises(ValueError, match="'metric' parameter") as info:
        advantage([0, 1], [0, 1], [0, 0], metric="acc")
    for name in ("'accuracy'", "'roc_auc'", "'ppv_at_k'", "'mae'", "'rmse'", "'r2'"):
        assert name in str(info.value)
    with pytest.raises(ValueError, match="y_true and y_pred have different lengths"):
        advantage([0, 1, 1], [0, 1], [0, 0, 0])
    with pytest.raises(ValueError, match="y_true and y_baseline have different"):
        advantage([0, 1, 1], [0, 1, 1], [0, 0], metric=accuracy_score)
    with pytest.raises(ValueError, match="greater_is_better=True contradicts"):
        advantage(
            [0.0, 1.0], [0.0, 1.0], [0.0, 0.0], metric="mae", greater_is_better=True
        )


def test_bootstrap_returns_named_tuple_containing_estimate():
    y, guess = _noisy_guess(300, 0.8, 0)
    ci = bootstrap_ci("accuracy", y, guess, random_state=0)
    assert isinstance(ci, BootstrapCI)
    assert ci.estimate == pytest.approx(attack_accuracy(y, guess))
    assert ci.low < ci.estimate < ci.high
    assert 0.05 < ci.high - ci.low < 0.15  # about 4 standard errors of 0.023


def test_bootstrap_deterministic_and_narrows_with_n():
    y, guess = _noisy_guess(2000, 0.7, 1)
    first = bootstrap_ci("accuracy", y, guess, random_state=3)
    assert bootstrap_ci("accuracy", y, guess, random_state=3) == first
    assert bootstrap_ci("accuracy", y, guess, random_state=4) != first
    small = bootstrap_ci("accuracy", y[:200], guess[:200], random_state=3)
    assert (first.high - first.low) < 0.5 * (small.high - small.low)


def test_bootstrap_coverage():
    # 95% intervals of a known accuracy 0.7 should cover it about 95% of the time
    covered = 0
    for seed in range(150):
        y, guess = _noisy_guess(150, 0.7, seed)
        ci = bootstrap_ci("accuracy", y, guess, n_resamples=400, random_state=seed)
        covered += ci.low <= 0.7 <= ci.high
    assert 0.87 <= covered / 150 <= 0.99


@pytest.mark.parametrize("max_entries", [None, 1000])
def test_vectorised_named_metrics_equal_callables(monkeypatch, max_entries):
    # the same index draws: the vectorised path must reproduce a per-resample loop
    if max_entries is not None:  # batches of 10 resamples
        monkeypatch.setattr(bootstrap_module, "_MAX_ENTRIES", max_entries)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 100)
    proba = rng.dirichlet(np.ones(3), 100)
    guess = proba.argmax(axis=1)
    cases = [
        ("accuracy", accuracy_score, guess),
        ("roc_auc", lambda t, p: roc_auc_score(t, p, multi_class="ovr"), proba),
        ("mae", mean_absolute_error, proba[:, 0]),
    ]
    for name, func, pred in cases:
        y_true = y if name != "mae" else proba[:, 1]
        ours = bootstrap_ci(name, y_true, pred, n_resamples=50, random_state=1)
        theirs = bootstrap_ci(func, y_true, pred, n_resamples=50, random_state=1)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, err_msg=name)


def test_batching_does_not_change_the_interval(monkeypatch):
    y, guess = _noisy_guess(100, 0.7, 4)
    scores = guess + np.random.default_rng(0).random(100)
    whole = [
        bootstrap_ci("accuracy", y, guess, n_resamples=60, random_state=2),
        bootstrap_ci("roc_auc", y, scores, n_resamples=60, random_state=2),
    ]
    monkeypatch.setattr(bootstrap_module, "_MAX_ENTRIES", 700)  # batches of 7
    batched = [
        bootstrap_ci("accuracy", y, guess, n_resamples=60, random_state=2),
        bootstrap_ci("roc_auc", y, scores, n_resamples=60, random_state=2),
    ]
    assert batched == whole


def test_paired_advantage_interval():
    y, guess = _noisy_guess(400, 0.7, 5)
    guess[:8] = y[:8]
    baseline = guess.copy()
    baseline[:8] = 1 - y[:8]  # the attack is right on 8 victims the baseline misses
    gain = bootstrap_ci("accuracy", y, guess, y_baseline=baseline, random_state=0)
    assert gain.estimate == pytest.approx(8 / 400)
    assert gain.low > 0  # paired: the shared noise cancels
    alone = bootstrap_ci("accuracy", y, guess, random_state=0)
    assert gain.high - gain.low < 0.5 * (alone.high - alone.low)
    named = bootstrap_ci(
        "accuracy", y, guess, y_baseline=baseline, n_resamples=100, random_state=0
    )
    callable_gain = bootstrap_ci(
        accuracy_score, y, guess, y_baseline=baseline, n_resamples=100, random_state=0
    )
    np.testing.assert_allclose(named, callable_gain)
    # error metrics: positive is better
    err = bootstrap_ci(
        "mae",
        [0.0, 1.0, 2.0, 3.0],
        [0.0, 1.0, 2.0, 3.5],
        y_baseline=[1.5] * 4,
        random_state=0,
    )
    assert err.estimate == pytest.approx(1.0 - 0.125)


def test_bootstrap_array_valued_metric():
    y, guess = _noisy_guess(200, 0.8, 2)
    posterior = np.where(guess == 1, 0.8, 0.3)
    ci = bootstrap_ci("ppv_at_k", y, posterior, positive=1, k=[10, 0.5], random_state=0)
    assert ci.estimate.shape == ci.low.shape == ci.high.shape == (2,)
    assert np.all(ci.low <= ci.high)


def test_bootstrap_undefined_resamples():
    y = np.r_[np.zeros(29, int), 1]
    scores = np.linspace(0, 1, 30)
    with pytest.warns(UserWarning, match="undefined on .* of 200 bootstrap"):
        bootstrap_ci("roc_auc", y, scores, n_resamples=200, random_state=0)


def test_bootstrap_errors():
    y, guess = _noisy_guess(20, 0.8, 0)
    with pytest.raises(ValueError, match="'confidence' parameter"):
        bootstrap_ci("accuracy", y, guess, confidence=95)
    with pytest.raises(ValueError, match="'n_resamples' parameter"):
        bootstrap_ci("accuracy", y, guess, n_resamples=0)
    with pytest.raises(ValueError, match=r"'metric' parameter.*'balanced_accuracy'"):
        bootstrap_ci("accuracy_score", y, guess)
    with pytest.raises(ValueError, match="different lengths"):
        bootstrap_ci(accuracy_score, y, guess[:-1])
    with pytest.raises(ValueError, match="different lengths"):
        bootstrap_ci("accuracy", y, guess, y_baseline=guess[:-1])
    with pytest.raises(ValueError, match="empty"):
        bootstrap_ci("accuracy", [], [])
    with pytest.raises(ValueError, match="positive is required"):
        bootstrap_ci("precision", ["a", "b", "c"], ["a", "b", "b"])
