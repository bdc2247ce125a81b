"""The ``verbose`` progress bar over the query batches of every attack."""

import inspect
import sys

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skinvert.attacks import (
    CSMIA,
    LOMIA,
    CombinedCSMIA,
    CombinedFredrikson,
    CombinedLabelOnly,
    FredriksonInversion,
    FredriksonLabelOnly,
    FredriksonRegressor,
    ImputationBaseline,
    ImputationRegressor,
    LearnedInversion,
    LearnedInversionRegressor,
    WhiteBoxTreeInversion,
)

QUERYING = [
    CSMIA,
    LOMIA,
    CombinedCSMIA,
    CombinedFredrikson,
    CombinedLabelOnly,
    FredriksonInversion,
    FredriksonLabelOnly,
    FredriksonRegressor,
    LearnedInversion,
    LearnedInversionRegressor,
    ImputationRegressor,  # shares its parameters with LearnedInversionRegressor
]


def _data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    X[:, 0] = rng.integers(0, 3, n)
    y = (X[:, 0] + X[:, 1] - 1 + 0.5 * rng.standard_normal(n) > 0).astype(int)
    target = LogisticRegression().fit(X, y)
    return np.column_stack([X, y]), target


@pytest.mark.parametrize("cls", QUERYING, ids=lambda c: c.__name__)
def test_verbose_is_the_last_parameter(cls):
    names = list(inspect.signature(cls).parameters)
    assert names[-2:] == ["n_jobs", "verbose"]
    assert cls().get_params()["verbose"] == 0
    assert "verbose" in cls._parameter_constraints
    assert "verbose : int, default=0" in cls.__doc__


@pytest.mark.parametrize("cls", [ImputationBaseline, WhiteBoxTreeInversion])
def test_attacks_that_never_query_have_no_verbose(cls):
    assert "verbose" not in cls().get_params()
    assert set(cls._parameter_constraints) == set(cls().get_params())
    assert "verbose :" not in cls.__doc__


def test_verbose_is_validated():
    view, target = _data()
    with pytest.raises(ValueError, match="'verbose' parameter"):
        FredriksonInversion(target, label=3, verbose=-1).fit(view, view[:, 0])


def _attacks(target, verbose):
    # batch_size 30 over 120 victims x 3 candidates: 12 batches.
    common = {"batch_size": 30, "verbose": verbose}
    return [
        (FredriksonInversion(target, sensitive=0, label=3, **common), 0),
        (FredriksonLabelOnly(target, sensitive=0, label=3, **common), 0),
        (
            LearnedInversion(
                target, sensitive=0, label=3, estimator=LogisticRegression(), **common
            ),
            0,
        ),
        (FredriksonRegressor(target, sensitive=1, label=3, **common), 1),
    ]


def test_verbose_writes_a_progress_bar_and_changes_nothing(capfd):
    pytest.importorskip("tqdm")
    view, target = _data()
    for (quiet, column), (loud, _) in zip(
        _attacks(target, 0), _attacks(target, 1), strict=True
    ):
        name = type(quiet).__name__
        expected = quiet.fit(view, view[:, column]).predict(view)
        err = capfd.readouterr().err
        assert err == "", f"{name} with verbose=0 wrote {err!r}"
        got = loud.fit(view, view[:, column]).predict(view)
        err = capfd.readouterr().err
        assert "Querying the target" in err, name
        assert "batch" in err and "100%" in err, name
        np.testing.assert_array_equal(got, expected)


def test_few_batches_show_no_bar(capfd):
    pytest.importorskip("tqdm")
    view, target = _data()
    attack = FredriksonInversion(target, sensitive=0, label=3, verbose=1)
    attack.fit(view, view[:, 0]).predict(view)  # one batch
    assert capfd.readouterr().err == ""


def test_without_tqdm_progress_is_plain_lines(monkeypatch, capfd):
    view, target = _data()
    for module in ("tqdm", "tqdm.auto"):  # importing them now raises ImportError
        monkeypatch.setitem(sys.modules, module, None)
    attack = FredriksonInversion(target, sensitive=0, label=3, batch_size=30)
    attack.fit(view, view[:, 0])
    expected = attack.predict(view)  # verbose=0 never needs tqdm
    capfd.readouterr()
    attack.set_params(verbose=1)
    np.testing.assert_array_equal(attack.predict(view), expected)
    err = capfd.readouterr().err
    assert "Querying the target: 12/12 batches (100%)" in err
    assert err.count("\n") <= 12
    regressor = FredriksonRegressor(target, sensitive=1, label=3, batch_size=30)
    regressor.set_params(verbose=1).fit(view, view[:, 1])  # fit does not query
    regressor.predict(view)
    assert "Querying the target" in capfd.readouterr().err


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_the_bar_counts_the_batches_whatever_the_jobs(capfd, n_jobs):
    pytest.importorskip("tqdm")
    view, target = _data()
    attack = FredriksonInversion(
        target, sensitive=0, label=3, batch_size=30, n_jobs=n_jobs, verbose=1
    )
    attack.fit(view, view[:, 0])
    capfd.readouterr()
    attack.predict(view)  # 120 victims x 3 candidates, 10 victims per batch
    err = capfd.readouterr().err
    assert "12/12" in err and err.count("Querying the target") >= 1
    assert "13/" not in err and "/13" not in err
