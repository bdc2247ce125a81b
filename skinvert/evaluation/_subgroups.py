"""Which groups of people are most exposed: the audit's ``by=`` analysis.

Averages hide the people an attack hurts most (Mehnaz et al., USENIX Security
2022; Kabir et al. 2025). For each value of a grouping column, the audit reports the
headline advantage of the best attack of each threat model on that group's victims,
with a bootstrap interval, and flags the groups significantly more exposed than the
rest of the population.

The test: each victim's gain is whether the attack got its value right minus
whether the reference did (-1, 0 or 1; for a continuous attribute, the reference's
absolute error minus the attack's). A one-sided Welch t-test
(:func:`scipy.stats.ttest_ind`) compares a group's gains with the other victims';
the p-values of a population's groups are corrected with Holm's step-down method
(family-wise error rate at ``1 - confidence``), so that auditing many groups does
not flag one by chance.
"""

import numpy as np
from scipy import stats

from ._scoring import _percentiles

MIN_GROUP_SIZE = 10


def holm(p_values):
    """Holm's step-down adjusted p-values (family-wise error rate)."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, position in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[position]))
        adjusted[position] = running
    return adjusted


def _gains(population, answers, reference):
    if population.kind == "categorical":
        truth = population.s
        return (answers.pred.astype(object) == truth).astype(float) - (
            reference.pred.astype(object) == truth
        ).astype(float)
    return np.abs(reference.pred - population.s) - np.abs(answers.pred - population.s)


def subgroup_rows(population, groups, best, answers, references, column, confidence):
    """Rows ``{column, group, population, threat_model, attack, n, advantage, ...}``.

    Parameters
    ----------
    population : Population
    groups : ndarray of shape (n_victims,)
        Each victim's group.
    best : dict
        Threat model -> best row (from ``best_per_threat_model``).
    answers : dict
        Attack name -> Answers on this population.
    references : dict
        Metric -> Answers of that metric's reference.
    """
    metric = "balanced_accuracy" if population.kind == "categorical" else "mae"
    reference = references[metric]
    values = list(dict.fromkeys(groups.tolist()))
    rows = []
    for model, row in best.items():
        attack = answers[row["attack"]]
        gains = _gains(population, attack, reference)
        tested = []
        for value in values:
            inside = groups == value
            n = int(inside.sum())
            entry = {
                "column": column,
                "group": value,
                "population": population.name,
                "threat_model": model,
                "attack": row["attack"],
                "n": n,
                "advantage": float("nan"),
                "advantage_low": float("nan"),
                "advantage_high": float("nan"),
                "p_value": float("nan"),
                "flagged": False,
            }
            rows.append(entry)
            if n < MIN_GROUP_SIZE or n == len(groups):
                continue
            entry.update(
                _group_advantage(population, attack, reference, inside, len(rows))
            )
            entry["advantage_low"], entry["advantage_high"] = _percentiles(
                entry.pop("replicates"), confidence
            )
            result = stats.ttest_ind(
                gains[inside], gains[~inside], equal_var=False, alternative="greater"
            )
            p = float(result.pvalue)
            entry["p_value"] = p if np.isfinite(p) else 1.0
            tested.append(entry)
        if tested:
            adjusted = holm([e["p_value"] for e in tested])
            for entry, p in zip(tested, adjusted):
                entry["p_value"] = float(p)
                entry["flagged"] = bool(p < 1 - confidence and entry["advantage"] > 0)
    return rows


def _group_advantage(population, attack, reference, inside, seed):
    """The headline advantage on one group's victims, and its replicates."""
    rows = np.flatnonzero(inside)
    sub = population.subset(rows, seed)
    advantage, replicates = sub._advantage(attack.subset(rows), reference.subset(rows))
    return {"advantage": advantage, "replicates": replicates}
