"""The query monitor's measured detection rates (monitor_detection)."""

import numpy as np
import pytest

from skinvert.defenses import QueryMonitor
from skinvert.evaluation import format_rows, monitor_detection

pytest.importorskip("pandas")

CONFIDENCE_ATTACKS = ["FredriksonInversion", "CSMIA"]


def test_monitor_flags_enumeration_not_benign_traffic(planted):
    X, y, members, target = planted
    rng = np.random.RandomState(1)
    traffic = X[rng.randint(0, len(X), 3000)]  # benign: records sampled
    monitor = QueryMonitor(batch_size=50).fit(traffic[:1500])
    rest = np.flatnonzero(~members)
    table = monitor_detection(
        target,
        X[rest],
        y[rest],
        sensitive=0,
        monitor=monitor,
        benign=traffic[1500:],
        attacks=[
            *CONFIDENCE_ATTACKS,
            "LOMIA",
            "LearnedInversion",
            "WhiteBoxTreeInversion",
        ],
        max_victims=100,
    ).set_index("attack")
    enumerating = [a for a in table.index if table.loc[a, "queries_per_victim"] == 2]
    assert enumerating == [*CONFIDENCE_ATTACKS, "LOMIA"]
    for attack in enumerating:
        assert table.loc[attack, "batches"] == 4  # 100 victims x 2 candidates / 50
        assert table.loc[attack, "detection_rate"] == 1.0
        assert table.loc[attack, "column_accuracy"] == 1.0  # points at column 0
    # one query per victim on the true record: no enumeration to see
    assert table.loc["LearnedInversion", "detection_rate"] == 0.0
    assert "structure" in table.loc["WhiteBoxTreeInversion", "note"]
    assert table.loc["benign traffic", "batches"] == 30
    assert table.loc["benign traffic", "detection_rate"] <= 0.05
    text = format_rows(table.reset_index())
    assert text.splitlines()[0].startswith("attack") and "benign traffic" in text


def test_monitor_detection_needs_a_fitted_monitor(planted):
    X, y, _, target = planted
    with pytest.raises(ValueError, match="monitor is not fitted"):
        monitor_detection(
            target, X, y, sensitive=0, monitor=QueryMonitor(), benign=X[:100]
        )
