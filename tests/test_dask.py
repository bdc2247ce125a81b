"""Victims held in Dask collections, and attacks run on a Dask cluster."""

import re
import subprocess
import sys

import joblib
import numpy as np
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from skinvert.attacks import (
    CSMIA,
    CombinedFredrikson,
    FredriksonInversion,
    FredriksonLabelOnly,
    FredriksonRegressor,
    LearnedInversion,
)

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

N_AUX, N = 150, 300
COLUMNS = ["s", "t", "f1", "f2", "y"]  # s, t categorical; f1 continuous; y label


def _records(seed=0):
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 3, N)
    t = rng.integers(0, 2, N)
    f1, f2 = rng.standard_normal((2, N))
    y = ((s == 0) + t + f1 - 1 + 0.5 * rng.standard_normal(N) > 0).astype(int)
    return s, t, f1, f2, y


@pytest.fixture(scope="module")
def arrays():
    s, t, f1, f2, y = _records()
    view = np.column_stack([s, t, f1, f2, y]).astype(float)
    target = LogisticRegression().fit(view[:, :4], y)
    return view, target


@pytest.fixture(scope="module")
def frames():
    s, t, f1, f2, y = _records()
    names = np.array(["low", "mid", "high"], dtype=object)[s]
    index = pd.Index(np.arange(N) * 7 + 1000, name="record")
    view = pd.DataFrame({"s": names, "t": t, "f1": f1, "f2": f2, "y": y}, index=index)
    encode = make_column_transformer((OneHotEncoder(), ["s"]), remainder="passthrough")
    target = make_pipeline(encode, LogisticRegression()).fit(view.iloc[:, :4], y)
    return view, target


def _attacks(columns):
    """(attack, y column(s)): one of each kind, ``columns`` maps names to keys."""
    s, t, f1, label = (columns[c] for c in ("s", "t", "f1", "y"))
    return {
        "fredrikson": (FredriksonInversion(sensitive=s, label=label), s),
        "csmia": (CSMIA(sensitive=s, label=label), s),
        "label_only": (FredriksonLabelOnly(sensitive=s, label=label), s),
        "learned": (
            LearnedInversion(sensitive=s, label=label, estimator=LogisticRegression()),
            s,
        ),
        "regressor": (FredriksonRegressor(sensitive=f1, label=label), f1),
        "joint": (FredriksonInversion(sensitive=[s, t], label=label), [s, t]),
    }


KINDS = list(_attacks(dict.fromkeys(COLUMNS)))


def _methods(attack):
    return [m for m in ("predict", "predict_proba", "transform") if hasattr(attack, m)]


def _fitted(kind, target, view):
    columns = {c: c if hasattr(view, "columns") else j for j, c in enumerate(COLUMNS)}
    attack, truth = _attacks(columns)[kind]
    attack.set_params(target=target)
    aux = view.iloc[:N_AUX] if hasattr(view, "iloc") else view[:N_AUX]
    y = aux[truth] if hasattr(aux, "columns") else aux[:, truth]
    return attack.fit(aux, y)


# ---------------------------------------------------------------- Dask arrays
@pytest.mark.parametrize("kind", KINDS)
def test_dask_array_victims(kind, arrays):
    view, target = arrays
    attack = _fitted(kind, target, view)
    victims = da.from_array(view, chunks=(50, 3))  # also chunked along columns
    for method in _methods(attack):
        lazy = getattr(attack, method)(victims)
        expected = getattr(attack, method)(view)
        assert isinstance(lazy, da.Array), method
        assert lazy.chunks[0] == victims.chunks[0], method
        assert lazy.shape == expected.shape, method
        assert lazy.dtype == expected.dtype, method
        computed = lazy.compute()
        assert computed.dtype == expected.dtype, method
        np.testing.assert_array_equal(computed, expected)


# ------------------------------------------------------------ Dask DataFrames
def _dask_frame(view, npartitions=3):
    dd = pytest.importorskip("dask.dataframe")  # needs pyarrow
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_pandas(view, npartitions=npartitions)


def _check_frame(lazy, victims, expected):
    """``lazy`` has the victims' partitions, index and its own declared dtypes."""
    assert lazy.npartitions == victims.npartitions
    assert lazy.divisions == victims.divisions
    computed = lazy.compute()
    pd.testing.assert_index_equal(computed.index, victims.index.compute())
    if isinstance(computed, pd.Series):
        assert computed.dtype == lazy.dtype
        np.testing.assert_array_equal(computed.to_numpy(), expected)
    else:
        pd.testing.assert_series_equal(computed.dtypes, lazy.dtypes)
        if isinstance(expected, pd.DataFrame):
            pd.testing.assert_frame_equal(computed, expected)
        else:
            np.testing.assert_array_equal(computed.to_numpy(), expected)
    return computed


@pytest.mark.parametrize("kind", KINDS)
def test_dask_dataframe_victims(kind, frames):
    dd = pytest.importorskip("dask.dataframe")
    view, target = frames
    attack = _fitted(kind, target, view)
    victims = _dask_frame(view)
    sensitive = attack.sensitive

    lazy = attack.predict(victims)
    if isinstance(sensitive, list):
        assert isinstance(lazy, dd.DataFrame)
        assert list(lazy.columns) == sensitive
    else:
        assert isinstance(lazy, dd.Series)
        assert lazy.name == sensitive
    _check_frame(lazy, victims, attack.predict(view))

    if hasattr(attack, "predict_proba"):
        lazy = attack.predict_proba(victims)
        assert isinstance(lazy, dd.DataFrame)
        assert list(lazy.columns) == list(attack.classes_)
        _check_frame(lazy, victims, attack.predict_proba(view))

    lazy = attack.transform(victims)
    assert isinstance(lazy, dd.DataFrame)
    assert list(lazy.columns) == COLUMNS[:4]  # the target's layout, label dropped
    _check_frame(lazy, victims, attack.transform(view))


def test_absent_sensitive_column_and_default_string_conversion(frames):
    dd = pytest.importorskip("dask.dataframe")
    view, target = frames
    attack = _fitted("fredrikson", target, view)
    victims = dd.from_pandas(view.drop(columns="s"), npartitions=3)  # Dask's dtypes
    in_memory = victims.compute()
    filled = _check_frame(
        attack.transform(victims), victims, attack.transform(in_memory)
    )
    assert list(filled.columns) == COLUMNS[:4]
    _check_frame(attack.predict(victims), victims, attack.predict(in_memory))


def test_fit_on_dask_collections_says_to_compute_a_sample(arrays):
    view, target = arrays
    attack = FredriksonInversion(target, sensitive=0, label=4)
    with pytest.raises(TypeError, match=r"in-memory auxiliary data.*compute\(\)"):
        attack.fit(da.from_array(view, chunks=50), view[:, 0])
    with pytest.raises(TypeError, match="y is a Dask"):
        attack.fit(view, da.from_array(view[:, 0], chunks=50))
    regressor = FredriksonRegressor(target, sensitive=2, label=4)
    with pytest.raises(TypeError, match="in-memory auxiliary data"):
        regressor.fit(da.from_array(view, chunks=50), view[:, 2])


def test_unsupported_dask_inputs(arrays):
    view, target = arrays
    attack = FredriksonInversion(target, sensitive=0, label=4)
    with pytest.raises(Exception, match="not fitted"):
        attack.predict(da.from_array(view, chunks=50))
    attack.fit(view, view[:, 0])
    with pytest.raises(TypeError, match="2-D Dask array"):
        attack.predict(da.from_array(view[:, 0], chunks=50))
    with pytest.raises(TypeError, match="Dask Delayed"):
        attack.predict(dask.delayed(view))
    regressor = FredriksonRegressor(target, sensitive=2, label=4).fit(view, view[:, 2])
    assert not hasattr(regressor, "predict_proba")


def test_import_skinvert_does_not_import_dask():
    code = (
        "import sys, skinvert, skinvert.attacks, skinvert.base; "
        "assert 'dask' not in sys.modules, 'dask imported'; "
        "assert 'distributed' not in sys.modules, 'distributed imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------- on a cluster
@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _query_calls(tasks):
    """Number of ``_query_batch`` calls in a task stream (joblib groups calls)."""
    calls = 0
    for task in tasks:
        key = task["key"] if isinstance(task["key"], str) else str(task["key"][0])
        found = re.search(r"_query_batch_(\d+)_call", key)
        calls += int(found.group(1)) if found else 0
    return calls


def test_joblib_dask_backend_runs_the_batches_on_the_workers(client, arrays):
    view, target = arrays

    def attack(**params):
        return FredriksonLabelOnly(
            target, sensitive=0, label=4, batch_size=50, **params
        )

    serial = attack().fit(view[:N_AUX], view[:N_AUX, 0])
    expected = (serial.confusion_, serial.predict_proba(view))
    with (
        distributed.get_task_stream(client) as stream,
        joblib.parallel_config(backend="dask"),
    ):
        parallel = attack(n_jobs=-1).fit(view[:N_AUX], view[:N_AUX, 0])
        got = (parallel.confusion_, parallel.predict_proba(view))
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    # fit: 150 aux records, 1 query each, 50 per batch; predict: 300 victims x 3
    # candidates, 50 // 3 = 16 victims per batch.
    assert _query_calls(stream.data) == 3 + 19
    workers = set(client.scheduler_info()["workers"])
    assert {task["worker"] for task in stream.data} <= workers


def test_combined_attack_cross_validates_on_the_workers(client, arrays):
    view, target = arrays

    def attack(**params):
        return CombinedFredrikson(
            target, sensitive=0, label=4, cv=3, random_state=0, **params
        ).fit(view[:N_AUX], view[:N_AUX, 0])

    serial = attack()
    with (
        distributed.get_task_stream(client) as stream,
        joblib.parallel_config(backend="dask"),
    ):
        parallel = attack(n_jobs=-1)
    assert len(stream.data) >= 3  # the folds ran on the workers
    for key, values in serial.cv_results_.items():
        np.testing.assert_array_equal(parallel.cv_results_[key], values)
    np.testing.assert_array_equal(
        parallel.predict_proba(view), serial.predict_proba(view)
    )


def test_dask_dataframe_victims_on_the_cluster(client, frames):
    view, target = frames
    attack = _fitted("fredrikson", target, view)
    victims = _dask_frame(view)
    with distributed.get_task_stream(client) as stream:
        got = attack.predict(victims).compute()
    assert len(stream.data) >= victims.npartitions
    np.testing.assert_array_equal(got.to_numpy(), attack.predict(view))
    pd.testing.assert_index_equal(got.index, view.index)


def test_the_target_is_sent_to_the_cluster_once_per_call_not_per_batch(client):
    # Dask's sizeof reads a fitted model as 56 bytes: unshipped, joblib would
    # pickle it into each of the 16 batch tasks instead of scattering it once
    from skinvert import query_target

    from ._counted_target import PICKLED, CountedPickles

    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 3))
    target = CountedPickles().fit(X, (X[:, 0] > 0).astype(int))
    candidates = np.array([[0.0], [1.0]])
    serial = query_target(target, X, [0], candidates, batch_size=500)
    PICKLED.clear()
    with joblib.parallel_config(backend="dask"):
        found = query_target(target, X, [0], candidates, batch_size=500, n_jobs=-1)
    np.testing.assert_allclose(found, serial)
    assert len(PICKLED) == 1
