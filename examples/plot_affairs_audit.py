"""
Does a model of marital happiness leak who had an affair?
==========================================================

In 1974, 6366 married women answered a Redbook magazine survey about their
marriage, and whether they had had an extramarital affair (Fair 1978; the data
ship with statsmodels). Suppose a data scientist trains a model that predicts
whether a respondent rates her marriage happy, using every answer, the affair
question included, and publishes it behind an API that returns confidences.

An attacker who knows a woman's other answers (age, years married, children,
religiousness, education, occupations) and whether she is happily married can
fill in "affair = yes" and "affair = no", ask the model about both records, and
see which one it "recognises" (Fredrikson et al., CCS 2015; Mehnaz et al.,
USENIX Security 2022). How much does that reveal, beyond what the attacker could
guess from the other answers alone?

:func:`skinvert.audit` answers that question the way an attacker would, and
reports it separately for the women whose records trained the model (members)
and for women it never saw (non-members).
"""

# %%
# Two targets, one audit each
# ---------------------------
# The audit splits the survey into three disjoint parts: half the records train
# the target (members), a quarter is the attacker's auxiliary data (records she
# fully knows, affair included) and the last quarter are held-out victims
# (non-members). Every attack is fitted on the auxiliary data and evaluated on
# members and non-members, next to the strongest model-free reference: the best
# of "always answer the most common value" and imputation from the other
# answers (with and without the label), chosen on the auxiliary data. An
# attack's *advantage* is its balanced accuracy minus the reference's: what the
# target gives away.
#
# We audit a default random forest, which grows its trees until they fit the
# training records almost perfectly, and a forest whose leaves must hold 50
# records, which cannot memorise individuals.
import os
import tempfile
from pathlib import Path

from sklearn.ensemble import RandomForestClassifier

from skinvert import audit
from skinvert.datasets import load_affairs
from skinvert.utils import import_optional

survey = load_affairs(as_frame=True)
X, y = survey.data, survey.target  # "happy" is the label, "affair" a feature

targets = {
    "deep random forest": "random_forest",
    "forest, 50 records per leaf": RandomForestClassifier(
        min_samples_leaf=50, random_state=0
    ),
}
results = {
    name: audit(X, y, sensitive="affair", model=model, random_state=0)
    for name, model in targets.items()
}

# %%
# Reading the tables
# ------------------
# Each table lists the reference first, then every attack grouped by threat
# model (labels, confidences, the answer on the victim's true record, the
# model's internals), with its advantage and a bootstrap interval, its balanced
# accuracy and accuracy, the ROC AUC of its posterior, the precision among the
# 10% of victims it is most sure had an affair, and how many queries it sent.
for name, result in results.items():
    print(f"===== {name} =====")
    print(result)
    print()

# %%
# Members against non-members
# ---------------------------
# The memorisation gap of an attack is its member advantage minus its
# non-member advantage: what the model says about the women it was trained on
# beyond what it says about anyone. The lines below print, for each target,
# the best attack on confidences and its gap.
for name, result in results.items():
    best = {
        population: result.summary[population]["confidences"]
        for population in ("members", "non-members")
    }
    gap = next(g for g in result.gaps if g["attack"] == best["members"]["attack"])
    print(
        f"{name}: train accuracy {result.target_train_accuracy:.2f}, test "
        f"{result.target_test_accuracy:.2f}; {best['members']['attack']} advantage "
        f"{best['members']['advantage']:+.3f} on members, "
        f"{best['non-members']['advantage']:+.3f} on non-members; gap "
        f"{gap['gap']:+.3f} [{gap['gap_low']:+.3f}, {gap['gap_high']:+.3f}]"
    )

# %%
# One picture per target
# ----------------------
# ``result.plot()`` draws each threat model's best advantage, members beside
# non-members, with its interval; ``result.to_html(path)`` writes the whole
# report, figures included, as one file.
matplotlib = import_optional("matplotlib", purpose="the figures")
if not os.environ.get("DISPLAY") and not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")  # headless: draw to files only
plt = import_optional("matplotlib.pyplot", purpose="the figures")
folder = Path(tempfile.gettempdir())
for i, (name, result) in enumerate(results.items()):
    ax = result.plot()
    ax.set_title(name)
    ax.figure.savefig(folder / f"skinvert_affairs_audit_{i}.png", dpi=100)
    plt.close(ax.figure)
    report = result.to_html(folder / f"skinvert_affairs_audit_{i}.html")
    print(f"{name}: figure and report saved in {folder}")

# %%
# Going further
# -------------
# ``skinvert audit`` runs the first audit from a shell; ``--model model.skops
# --members train.csv --non-members test.csv --sensitive COL --label COL``
# audits a model you ship, ``--no-label`` removes the attacker's knowledge of
# the label, ``--report out.html`` writes the report and ``--fail-above 0.05``
# turns the audit into a CI gate. ``audit(..., target_wrapper=...)`` applies a
# countermeasure from :mod:`skinvert.defenses` before the attacks run.
