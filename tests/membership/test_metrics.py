import numpy as np
import pytest
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_validate

from skinvert.membership import (
    MEMBERSHIP_SCORERS,
    LossThresholdAttack,
    membership_advantage,
    membership_leakage,
    membership_roc_auc,
    membership_roc_curve,
    membership_tpr_at_fpr,
    plot_membership_roc,
)

from ._problems import overfit_problem


def test_metrics_agree_with_their_definitions():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    scores = y + rng.normal(size=500)
    assert np.isclose(membership_roc_auc(y, scores), roc_auc_score(y, scores))
    fpr, tpr = membership_roc_curve(y, scores)
    assert np.isclose(membership_advantage(y, scores), np.max(tpr - fpr))
    assert fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1
    assert 0.3 < membership_advantage(y, scores) < 0.5
    chance = rng.normal(size=500)
    assert membership_tpr_at_fpr(y, chance, fpr=0.01) < 0.05


def test_metric_errors():
    with pytest.raises(ValueError, match="both"):
        membership_roc_auc([1, 1], [0.2, 0.3])
    with pytest.raises(ValueError, match="membership labels"):
        membership_advantage(["a", "b"], [0.2, 0.3])
    with pytest.raises(ValueError, match="1-D"):
        membership_advantage([0, 1], [[0.2, 0.3]] * 2)
    with pytest.raises(ValueError, match="fpr"):
        membership_tpr_at_fpr([0, 1], [0.1, 0.2], fpr=3)


_FEW = "ignore:Only .* victims lack the positive value"


@pytest.mark.filterwarnings(_FEW)
def test_scorers_in_cross_validate():
    target, victims, membership, _ = overfit_problem()
    out = cross_validate(
        LossThresholdAttack(FrozenEstimator(target), label=6),
        victims,
        membership,
        cv=2,
        scoring=MEMBERSHIP_SCORERS,
    )
    assert out["test_membership_roc_auc"].min() > 0.7
    assert out["test_tpr_at_1pct_fpr"].min() > 0.01


def test_plot_has_log_axes():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    ax = plot_membership_roc([0, 1, 0, 1], [0.1, 0.9, 0.3, 0.4], label="x")
    assert ax.get_xscale() == ax.get_yscale() == "log"


@pytest.mark.filterwarnings(_FEW)
def test_membership_leakage_reports_every_attack():
    target, victims, _, aux = overfit_problem()
    X_m, y_m = victims[:400, :6], victims[:400, 6]
    X_n, y_n = victims[400:, :6], victims[400:, 6]
    out = membership_leakage(
        target,
        X_m,
        y_m,
        X_n,
        y_n,
        aux[:, :6],
        aux[:, 6],
        attacks=("loss", "lira", "rmia"),
        n_shadows=4,
        n_resamples=50,
        random_state=0,
    )
    assert list(out) == ["loss", "lira", "rmia"]
    for result in out.values():
        assert result.auc > 0.75
        assert result.advantage_low <= result.advantage <= result.advantage_high
        assert result.scores.shape == (800,)
    assert out["loss"].n_queries == 800 + 800
    assert out["lira"].n_queries == 800  # labels known: shadows need no query
    with pytest.raises(ValueError, match="attacks="):
        membership_leakage(
            target, X_m, y_m, X_n, y_n, aux[:, :6], aux[:, 6], attacks=("lira_offline",)
        )
