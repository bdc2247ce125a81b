"""Shadow models trained on a Dask cluster through joblib's Dask backend."""

import re

import joblib
import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from skinvert.membership import LiRA

from ._problems import overfit_problem

distributed = pytest.importorskip("distributed")


def test_lira_trains_its_shadows_on_the_workers():
    target, victims, _, aux = overfit_problem()

    def attack(**params):
        return LiRA(
            target,
            label=6,
            n_shadows=4,
            shadow_estimator=DecisionTreeClassifier(max_depth=6),
            random_state=0,
            **params,
        )

    serial = attack().fit(aux).decision_function(victims)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
        distributed.get_task_stream(client) as stream,
        joblib.parallel_config(backend="dask"),
    ):
        scores = attack(n_jobs=-1).fit(aux).decision_function(victims)
    np.testing.assert_allclose(scores, serial)
    keys = [str(task["key"]) for task in stream.data]
    calls = sum(
        int(found.group(1))
        for key in keys
        if (found := re.search(r"_train_shadow_(\d+)_call", key))
    )
    assert calls == 4  # every shadow was trained on the cluster
