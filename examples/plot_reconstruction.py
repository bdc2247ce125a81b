"""
Whole records from a model: class representatives, inversion models, surrogates
================================================================================

The attribute attacks fill in one column of a victim's record. Model inversion
also reconstructs whole inputs. This example runs the three reconstruction
attacks of :mod:`skinvert.reconstruction` on scikit-learn's handwritten digits
(8x8 pictures, shipped with scikit-learn) and then on the bundled
extramarital-affairs survey:

* :class:`~skinvert.reconstruction.MIFace` (Fredrikson, Jha & Ristenpart, CCS
  2015) finds, for each class, the input the target is most confident about;
* :class:`~skinvert.reconstruction.InversionModel` (Yang et al., CCS 2019)
  learns the map from the target's released confidences back to the record;
* :class:`~skinvert.reconstruction.Surrogate` (Tramèr et al., USENIX Security
  2016) copies a black-box target from its answers, for the white-box attacks.

Each reconstruction is measured against the model-free reference: the mean of
the attacker's own records of the victim's class (the mode, for categorical
columns). The prose describes what each step computes; the numbers are the ones
the code prints.
"""

# %%
# A target trained on digits
# --------------------------
# The target's training records are the members; the attacker holds other
# records (the auxiliary data); the remaining records are non-members.
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

from skinvert.datasets import load_affairs
from skinvert.defenses import LabelOnly, RoundedConfidences
from skinvert.reconstruction import (
    InversionModel,
    MIFace,
    Surrogate,
    compare_to_reference,
)
from skinvert.utils import import_optional

X, y = load_digits(return_X_y=True)
order = np.random.RandomState(0).permutation(len(y))
X, y = X[order], y[order]
members, aux, outside = (X[:800], y[:800]), (X[800:1400], y[800:1400]), X[1400:]
X_aux, y_aux = aux
target = LogisticRegression(max_iter=1000).fit(*members)
class_means = np.array([X_aux[y_aux == c].mean(axis=0) for c in range(10)])
print(f"target accuracy on non-members: {target.score(outside, y[1400:]):.3f}")

# %%
# Class representatives (MI-Face)
# -------------------------------
# With the target's parameters (white box) the gradients are analytic and no
# prediction query is made. Through ``predict_proba`` only (black box) they are
# estimated by finite differences, and every query row is counted.
white = MIFace(target, n_starts=4, random_state=0).fit(X_aux)
black = MIFace(target, gradient="finite_difference", n_starts=4, random_state=0)
black.fit(X_aux)


def nearest_own_mean(representatives):
    """How many representatives are nearer their own class mean than any other."""
    dist = ((representatives[:, None] - class_means[None]) ** 2).sum(axis=2)
    return int((dist.argmin(axis=1) == np.arange(10)).sum())


for name, attack in (("analytic", white), ("finite differences", black)):
    print(
        f"MI-Face, {name}: {attack.n_iter_} iterations, {attack.n_queries_} "
        f"query rows, lowest confidence {attack.confidences_.min():.3f}, "
        f"{nearest_own_mean(attack.representatives_)}/10 nearest their class mean"
    )

# %%
# What rounding and label-only release do to MI-Face
# --------------------------------------------------
# The same black-box attack, through a target that releases its confidences
# rounded to two decimals, or only its label. The confidence printed is the
# undefended target's, at the representatives found.
frozen = FrozenEstimator(target)
released = {
    "full confidences": target,
    "rounded to 2 decimals": RoundedConfidences(frozen, decimals=2),
    "label only": LabelOnly(frozen),
}
faces = {}
for name, answers in released.items():
    for gradient in ("finite_difference", "nes"):
        attack = MIFace(answers, gradient=gradient, n_starts=2, random_state=0)
        attack.fit(X_aux)
        confidence = target.predict_proba(attack.representatives_)[
            np.arange(10), np.arange(10)
        ]
        faces[name, gradient] = attack.representatives_
        print(
            f"{name:>22} | {gradient:>17}: mean confidence {confidence.mean():.3f}, "
            f"{nearest_own_mean(attack.representatives_)}/10 nearest their class "
            f"mean, {attack.n_queries_} query rows"
        )

# %%
# Pictures: class means, and representatives
# -------------------------------------------
# One row per picture set, one column per digit.
rows = {
    "class mean (aux)": class_means,
    "MI-Face, white box": white.representatives_,
    "MI-Face, black box": black.representatives_,
    "black box, rounded (NES)": faces["rounded to 2 decimals", "nes"],
    "black box, label only": faces["label only", "finite_difference"],
}


def plot_rows(rows, path):
    """A grid of 8x8 pictures, one row per entry of ``rows``, saved to ``path``."""
    matplotlib = import_optional("matplotlib", purpose="the pictures")
    if not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")  # headless: draw to a file only
    plt = import_optional("matplotlib.pyplot", purpose="the pictures")
    fig, axes = plt.subplots(len(rows), 10, figsize=(10, 1.15 * len(rows)))
    for r, (name, images) in enumerate(rows.items()):
        for c in range(10):
            axes[r, c].imshow(images[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=16)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path.name


folder = Path(tempfile.gettempdir())
print("saved", plot_rows(rows, folder / "skinvert_miface.png"))

# %%
# Digits inverted from their released confidences
# -----------------------------------------------
# The inversion model learns, on the attacker's records, to map the target's
# answer back to the 64 pixels; a victim's reconstruction is then read from the
# answer released for her. The table gives the mean absolute pixel error (0-16)
# on members and non-members, beside the class-conditional mean, which knows
# each victim's true class.
populations = {"members": members, "non-members": (outside, y[1400:])}
inversions = {}
for name, output, decimals in (
    ("full confidences", "proba", 2),
    ("rounded to 1 decimal", "rounded", 1),
    ("label only", "label", 2),
):
    inversion = InversionModel(
        target, output=output, decimals=decimals, random_state=0
    ).fit(X_aux)
    inversions[name] = inversion
    table = compare_to_reference(inversion, populations, X_aux, y_aux)
    print(
        f"{name:>21}: members {table['members'].attack_mean:.2f} "
        f"(reference {table['members'].reference_mean:.2f}), non-members "
        f"{table['non-members'].attack_mean:.2f} "
        f"(reference {table['non-members'].reference_mean:.2f})"
    )

victims = members[0][:10]
rows = {"member's record": victims}
rows.update({name: inv.transform(victims) for name, inv in inversions.items()})
print("saved", plot_rows(rows, folder / "skinvert_inversion.png"))

# %%
# A surrogate of a black box
# --------------------------
# The surrogate asks a random forest for labels only. A logistic-regression
# surrogate trained on its answers to perturbed copies of the attacker's records
# opens it to MI-Face's analytic gradients; the confidence printed is the
# forest's, at the surrogate's representatives.
forest = RandomForestClassifier(100, random_state=0).fit(*members)
for budget in (300, 3000):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lbfgs convergence on unscaled pixels
        surrogate = Surrogate(
            forest,
            estimator=LogisticRegression(C=0.01, solver="newton-cg"),
            max_queries=budget,
            random_state=0,
        ).fit(X_aux)
    face = MIFace(surrogate.estimator_, n_starts=2, random_state=0).fit(X_aux)
    confidence = forest.predict_proba(face.representatives_)[
        np.arange(10), np.arange(10)
    ]
    print(
        f"budget {budget}: {surrogate.n_queries_} query rows, fidelity "
        f"{surrogate.fidelity_:.3f}; forest's mean confidence at the "
        f"representatives {confidence.mean():.3f}, "
        f"{nearest_own_mean(face.representatives_)}/10 nearest their class mean"
    )

# %%
# The same story on the survey
# ----------------------------
# A random forest predicts marital happiness from the survey's eight answers
# (``affair`` among them). The attacker trains inversion models on her own
# records: a regressor for the three interval-coded numeric columns, a
# classifier for the five coded ones. The table gives, per column, the mean
# absolute error (numeric) or the error rate (coded columns) on members and
# non-members, and the class-conditional reference's.
pd = import_optional("pandas", purpose="the survey table")
survey = load_affairs(as_frame=True)
data, label = survey.data, survey.target.to_numpy()
pick = np.random.RandomState(0).permutation(len(label))
data, label = data.iloc[pick].reset_index(drop=True), label[pick]
model = RandomForestClassifier(100, min_samples_leaf=5, random_state=0)
model.fit(data[:3000], label[:3000])
aux_rows = slice(3000, 4500)
parts = {
    "numeric": (["age", "yrs_married", "children"], None),
    "coded": (
        ["religious", "educ", "occupation", "occupation_husb", "affair"],
        RandomForestClassifier(100, min_samples_leaf=5, random_state=0),
    ),
}
lines = []
for kind, (columns, estimator) in parts.items():
    inversion = InversionModel(
        model, columns=columns, estimator=estimator, random_state=0
    ).fit(data[aux_rows])
    table = compare_to_reference(
        inversion,
        {
            "members": (data[:3000], label[:3000]),
            "non-members": (data[4500:], label[4500:]),
        },
        data[aux_rows],
        label[aux_rows],
        categorical_features=None if kind == "numeric" else list(range(len(columns))),
    )
    for j, column in enumerate(columns):
        lines.append(
            {
                "column": column,
                "metric": "MAE" if kind == "numeric" else "error rate",
                "members": table["members"].attack[j],
                "members, reference": table["members"].reference[j],
                "non-members": table["non-members"].attack[j],
                "non-members, reference": table["non-members"].reference[j],
            }
        )
print(pd.DataFrame(lines).round(3).to_string(index=False))
