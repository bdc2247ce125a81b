"""White-box attacks on linear models and MLPs against their black-box limits.

Linear models: :class:`~skinvert.attacks._linear.LinearWhiteBoxInversion` (the
decisions of the ``n * k`` completed records from ``n + k`` records through the
model) against :class:`~skinvert.attacks.FredriksonInversion` (``n * k``
completed records queried through ``query_target``) on the same target, with the
same posterior: their ``predict_proba`` outputs are checked to agree to 1e-12.
One ``predict_proba`` over the ``n * k`` completed records (built beforehand) is
timed too: the physical limit of any black-box attack.

MLP: :class:`~skinvert.attacks._neurons.NeuronOutputInversion` (``k`` passes
through the hidden layers, the first layer's inputs as base + offset) against
one ``predict_proba`` of the MLP over the ``n * k`` completed records.

Each measurement is the median of ``--repeats`` interleaved runs in one process.
Last, the attacks' accuracy on members and non-members of an MLP whose hidden
layer encodes the sensitive value (the data of ``tests/attacks/test_neurons.py``).
Run from the repository root::

    OMP_NUM_THREADS=1 python benchmarks/bench_whitebox_models.py
    OMP_NUM_THREADS=1 python benchmarks/bench_whitebox_models.py --n 20000
"""

import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import (
    base_parser,
    completed_rows,
    interleaved,
    machine,
    make_problem,
    median,
)

from skinvert.attacks import FredriksonInversion, ImputationBaseline
from skinvert.attacks._linear import LinearWhiteBoxInversion
from skinvert.attacks._neurons import CombinedNeuronOutput, NeuronOutputInversion

N_AUX = 2000
LINEAR = {
    "lr": ("LogisticRegression", lambda: LogisticRegression(max_iter=1000)),
    "svc": (
        "CalibratedClassifierCV(LinearSVC)",
        lambda: CalibratedClassifierCV(LinearSVC()),
    ),
    "pipe": (
        "OneHot+Scaler -> LogisticRegression",
        lambda: make_pipeline(
            ColumnTransformer(
                [
                    ("sensitive", OneHotEncoder(), [0]),
                    ("known", StandardScaler(), slice(1, None)),
                ]
            ),
            LogisticRegression(max_iter=1000),
        ),
    ),
}


def _linear(args, X_train, y_train, view, s, rows):
    label = view.shape[1] - 1
    print(
        f"\n{'linear target':<34}{'white-box (s)':>14}{'black-box (s)':>15}"
        f"{'ratio':>8}{'limit (s)':>11}{'max |diff|':>12}"
    )
    for key in args.targets.split(","):
        name, make = LINEAR[key]
        target = make().fit(X_train, y_train)
        white = LinearWhiteBoxInversion(target, sensitive=0, label=label)
        black = FredriksonInversion(target, sensitive=0, label=label)
        white.fit(view[:N_AUX], s[:N_AUX])
        black.fit(view[:N_AUX], s[:N_AUX])
        diff = np.abs(white.predict_proba(view) - black.predict_proba(view)).max()
        times = interleaved(
            {
                "white": lambda white=white: white.predict_proba(view),
                "black": lambda black=black: black.predict_proba(view),
                "limit": lambda target=target: target.predict_proba(rows),
            },
            args.repeats,
        )
        w, b, lim = (median(times[key]) for key in ("white", "black", "limit"))
        print(f"{name:<34}{w:>14.4f}{b:>15.4f}{b / w:>8.1f}{lim:>11.4f}{diff:>12.1e}")


def _mlp(args, X_train, y_train, view, s, rows):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        target = MLPClassifier((64, 32), max_iter=200, random_state=0)
        target.fit(X_train, y_train)
    attack = NeuronOutputInversion(target, sensitive=0, label=view.shape[1] - 1)
    attack.fit(view[:N_AUX], s[:N_AUX])
    times = interleaved(
        {
            "attack": lambda: attack.predict_proba(view),
            "limit": lambda: target.predict_proba(rows),
        },
        args.repeats,
    )
    a, lim = median(times["attack"]), median(times["limit"])
    print(
        f"\n{'MLP target':<34}{'neuron attack (s)':>18}{'predict_proba (s)':>19}"
        f"{'ratio':>8}"
    )
    print(f"{'MLPClassifier((64, 32)), relu':<34}{a:>18.4f}{lim:>19.4f}{a / lim:>8.2f}")
    print(
        f"# {attack.n_neurons} neurons per candidate from layers {attack.layers_} "
        f"({attack.n_hidden_neurons_} hidden neurons); 0 target queries"
    )


def _encoded(seed=0, n_members=2000, n_aux=100, n_others=500, n_features=40):
    """The label is z = [w . x > 0] and the sensitive value a noisy copy of z.

    As in ``tests/attacks/test_neurons.py``: the network learns z from its
    members, the attacker's 100 auxiliary records are too few to learn it.
    """
    rng = np.random.default_rng(seed)
    n = n_members + n_aux + n_others
    known = rng.normal(size=(n, n_features))
    z = known @ np.random.default_rng(100).normal(size=n_features) > 0
    s = np.where(rng.random(n) < 0.85, z, ~z).astype(float)
    return np.column_stack([s, known]), z.astype(int)


def _leak():
    """Accuracy on members and non-members, no known label (label=None)."""
    X, y = _encoded()
    members, aux, others = slice(0, 2000), slice(2000, 2100), slice(2100, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        target = MLPClassifier((8,), max_iter=300, random_state=0)
        target.fit(X[members], y[members])
    attacks = {
        "ImputationBaseline (default imputer)": ImputationBaseline(
            sensitive=0, random_state=0
        ),
        "ImputationBaseline (logistic)": ImputationBaseline(
            sensitive=0, estimator=LogisticRegression()
        ),
        "FredriksonInversion": FredriksonInversion(target, sensitive=0),
        "NeuronOutputInversion": NeuronOutputInversion(target, sensitive=0),
        "CombinedNeuronOutput (logistic prior)": CombinedNeuronOutput(
            target, sensitive=0, imputer=LogisticRegression(), random_state=0
        ),
    }
    print(f"\n{'attack (no known label)':<40}{'members':>9}{'non-members':>13}")
    for name, attack in attacks.items():
        attack.fit(X[aux], X[aux, 0])
        first = attack.score(X[:500], X[:500, 0])
        second = attack.score(X[others], X[others, 0])
        print(f"{name:<40}{first:>9.3f}{second:>13.3f}")


def main(argv=None):
    parser = base_parser(__doc__.splitlines()[0], n=100_000)
    parser.set_defaults(targets="lr,svc,pipe")
    args = parser.parse_args(argv)
    n, k = args.n, args.k
    X_train, y_train, view, s = make_problem(n, k)
    rows = completed_rows(view[:, :-1], k)
    print(f"# {machine()}")
    print(
        f"# n={n} victims, k={k} candidates ({n * k} completed records), known "
        f"label, aux={N_AUX}; median of {args.repeats} interleaved runs; ratio "
        "= black-box / white-box (linear), attack / predict_proba (MLP)"
    )
    _linear(args, X_train, y_train, view, s, rows)
    _mlp(args, X_train, y_train, view, s, rows)
    _leak()


if __name__ == "__main__":
    main()
