"""The helpers that run a fitted attack on Dask collections."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skinvert.attacks import FredriksonInversion
from skinvert.utils._dask import dask_aware, is_dask_collection, map_blocks_predict

da = pytest.importorskip("dask.array")


@pytest.fixture(scope="module")
def attack():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.integers(0, 2, 120), rng.standard_normal(120)])
    target = LogisticRegression().fit(X, X[:, 0] + X[:, 1] > 0.5)
    return FredriksonInversion(target).fit(X, X[:, 0]), X


def test_is_dask_collection():
    import dask

    assert is_dask_collection(da.zeros((3, 2), chunks=1))
    assert is_dask_collection(dask.delayed(1))
    assert not is_dask_collection(np.zeros((3, 2)))
    assert not is_dask_collection([[1, 2]])


def test_map_blocks_predict_rejects_bad_arguments(attack):
    attack, X = attack
    with pytest.raises(ValueError, match="method='score'"):
        map_blocks_predict(attack, "score", da.from_array(X, chunks=40))
    with pytest.raises(TypeError, match=r"call attack.predict\(X\) directly"):
        map_blocks_predict(attack, "predict", X)


def test_empty_chunks_keep_the_layout(attack):
    attack, X = attack
    victims = da.from_array(X, chunks=40)[X[:, 1] > 10]  # no victim, unknown chunks
    for method, shape in [("predict", (0,)), ("predict_proba", (0, 2))]:
        result = getattr(attack, method)(victims).compute()
        assert result.shape == shape


def test_dask_aware_passes_other_inputs_through_and_refuses_extras(attack):
    class Echo:
        @dask_aware
        def transform(self, X, scale=1):
            return X * scale

    assert Echo().transform(np.ones(2), scale=3).tolist() == [3.0, 3.0]
    assert Echo.transform.__name__ == "transform"
    with pytest.raises(ValueError, match="dask_aware decorates"):
        dask_aware(lambda self, X: X)
    attack, X = attack
    wrapped = dask_aware(type(attack).predict.__wrapped__)
    with pytest.raises(TypeError, match="takes X only"):
        wrapped(attack, da.from_array(X, chunks=40), 1)
