"""The audit on a Dask cluster: attacks, columns and defense settings on workers."""

import joblib
import numpy as np
import pytest

from skinvert.datasets import make_sensitive_classification
from skinvert.evaluation import audit, audit_columns

distributed = pytest.importorskip("distributed")
pytest.importorskip("pandas")

FAST = {
    "max_victims": 40,
    "n_bootstrap": 20,
    "membership": False,
    "model": "decision_tree",
    "attacks": ["CSMIA"],
}


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _strip(result):
    """The rows without timings, NaN as None (NaN never equals itself)."""
    return {
        p: [
            {
                k: None if isinstance(v, float) and np.isnan(v) else v
                for k, v in r.items()
                if "seconds" not in k
            }
            for r in rows
        ]
        for p, rows in result.rows.items()
    }


def test_the_audit_runs_its_attacks_on_the_workers(client):
    X, y = make_sensitive_classification(300, leak=3, label_noise=0.2, random_state=0)
    serial = audit(X, y, sensitive=0, **FAST)
    with (
        distributed.get_task_stream(client) as stream,
        joblib.parallel_config(backend="dask"),
    ):
        on_cluster = audit(X, y, sensitive=0, n_jobs=2, **FAST)
    assert _strip(on_cluster) == _strip(serial)
    assert on_cluster.summary == serial.summary
    keys = " ".join(str(task["key"]) for task in stream.data)
    assert "_fit_one" in keys  # the attacks were fitted on the workers


def test_columns_fan_out_on_the_workers(client):
    X, y = make_sensitive_classification(300, leak=3, label_noise=0.2, random_state=0)
    X = np.column_stack([X[:, :2], np.arange(300) % 3])
    serial = audit_columns(X, y, sensitive=[0, 2], **FAST)
    with (
        distributed.get_task_stream(client) as stream,
        joblib.parallel_config(backend="dask"),
    ):
        on_cluster = audit_columns(X, y, sensitive=[0, 2], n_jobs=2, **FAST)
    assert [r["column"] for r in on_cluster.ranking] == [
        r["column"] for r in serial.ranking
    ]
    for column in (0, 2):
        assert _strip(on_cluster.results[column]) == _strip(serial.results[column])
    assert "_one_column" in " ".join(str(task["key"]) for task in stream.data)
