"""Auditing a training algorithm's differential privacy with planted canaries."""

from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.utils import check_random_state

from ..utils._sklearn import HasMethods, Interval, StrOptions, validate_params
from ._dp_audit import DPAuditResult, epsilon_lower_bound, one_run_epsilon

_SEED_LIMIT = np.iinfo(np.int32).max


def _label_logp(model, X, labels):
    """``log model(x)[label]`` per row (``-690`` for a label the model lacks)."""
    proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    codes = np.clip(np.searchsorted(model.classes_, labels), 0, len(model.classes_) - 1)
    found = model.classes_[codes] == labels
    p = np.where(found, proba[np.arange(len(codes)), codes], 0.0)
    return np.log(np.maximum(p, 1e-300))


def _secret_scores(model, Xc, yc, sensitive, pair):
    """The attack's score per canary: high means "in" (or ``pair[1]``)."""
    if sensitive is None:
        return _label_logp(model, Xc, yc)
    both = []
    for value in pair:
        completed = Xc.copy()
        completed[:, sensitive] = value
        both.append(_label_logp(model, completed, yc))
    return both[1] - both[0]


def _train_and_score(estimator, seed, X_train, y_train, Xc, yc, sensitive, pair):
    model = clone(estimator)
    if "random_state" in model.get_params():
        model.set_params(random_state=int(seed))
    model.fit(X_train, y_train)
    return _secret_scores(model, Xc, yc, sensitive, pair)


def _crafted_labels(estimator, X, y, canary, base, seeds):
    """Label models trained without the canaries find least likely, and its proba.

    One model per seed; their probabilities are averaged. Such a canary changes
    the model most when it is included, which makes the membership test strong;
    the labels do not depend on which canaries are in.
    """
    classes = np.unique(y)
    total = np.zeros((len(canary), len(classes)))
    for seed in np.atleast_1d(seeds):
        model = clone(estimator)
        if "random_state" in model.get_params():
            model.set_params(random_state=int(seed))
        model.fit(X[base], y[base])
        proba = np.asarray(model.predict_proba(X[canary]), dtype=np.float64)
        total[:, np.searchsorted(classes, model.classes_)] += proba
    return classes[total.argmin(axis=1)], total.min(axis=1)


def _one_run(estimator, X, y, canary, base, yc, bits, pair, sensitive, seed):
    """One training with every canary planted; scores of each canary."""
    Xc = X[canary].astype(np.float64)
    if sensitive is None:
        keep = bits == 1
        X_train, y_train = np.concatenate([X[base], Xc[keep]]), np.r_[y[base], yc[keep]]
    else:
        Xc[:, sensitive] = pair[bits]
        X_train, y_train = np.concatenate([X[base], Xc]), np.r_[y[base], yc]
    return _train_and_score(estimator, seed, X_train, y_train, Xc, yc, sensitive, pair)


def _multi_run(estimator, X, y, canary, base, yc, bits, pair, sensitive, seeds, jobs):
    """One training per entry of ``bits``, one canary; its score in each run."""
    x = X[canary[:1]].astype(np.float64)
    tasks = []
    for bit, seed in zip(bits, seeds):
        xc = x.copy()
        if sensitive is None:
            X_train = np.concatenate([X[base], xc]) if bit else X[base]
            y_train = np.r_[y[base], yc[:1]] if bit else y[base]
        else:
            xc[:, sensitive] = pair[bit]
            X_train, y_train = np.concatenate([X[base], xc]), np.r_[y[base], yc[:1]]
        tasks.append(
            delayed(_train_and_score)(
                estimator, seed, X_train, y_train, xc, yc[:1], sensitive, pair
            )
        )
    return np.concatenate(Parallel(n_jobs=jobs)(tasks))


def _split_threshold(scores, bits, confidence):
    """Threshold chosen on the first half of the runs, decisions on the second."""
    half = len(bits) // 2
    best, best_bound = np.inf, -1.0
    for cut in np.unique(scores[:half]):
        bound = epsilon_lower_bound(
            bits[:half], (scores[:half] >= cut).astype(int), confidence=confidence
        )
        if bound > best_bound:
            best, best_bound = cut, bound
    return bits[half:], (scores[half:] >= best).astype(int)


@validate_params(
    {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "X": ["array-like"],
        "y": ["array-like"],
        "n_canaries": [Interval(Integral, 2, None, closed="left")],
        "n_guesses": [Interval(Integral, 1, None, closed="left"), None],
        "method": [StrOptions({"one_run", "multi_run"})],
        "n_runs": [Interval(Integral, 4, None, closed="left")],
        "secret": [StrOptions({"membership", "attribute"})],
        "sensitive": [Integral, None],
        "epsilon_declared": [Interval(Real, 0, None, closed="left"), None],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def audit_dp(
    estimator,
    X,
    y,
    *,
    n_canaries=200,
    n_guesses=None,
    method="one_run",
    n_runs=200,
    secret="membership",
    sensitive=None,
    epsilon_declared=None,
    confidence=0.95,
    n_jobs=None,
    random_state=None,
):
    """Audit a training algorithm's differential privacy with planted canaries.

    Trains ``clone(estimator)`` with canaries planted, attacks them through the
    model's ``predict_proba`` and returns a lower bound on epsilon that holds with
    probability ``confidence`` if the algorithm is epsilon-DP (pure DP: the
    bounds take ``delta = 0``).

    Canaries are records of ``X`` with a new label. What they hide:

    * ``secret="membership"``: whether the canary is in the training set (each
      with probability 1/2; the other records always are). Its label is the one
      a model trained on the other records (one extra training) finds least
      likely for it, so that including it changes the model most. The attack is
      the loss test: the model's confidence in the canary's label.
    * ``secret="attribute"``: its ``sensitive`` column, set at random to one of
      the column's two most frequent values (the canary is always included, with
      a uniformly random label; neighbouring training sets differ in that
      value). The attack completes the canary with both values and compares the
      confidences in its label.

    Two procedures:

    * ``method="one_run"`` (Steinke, Nasr & Jagielski, NeurIPS 2023): one training
      with ``n_canaries`` canaries; the attack guesses on the ``n_guesses``
      canaries it is surest about (membership: half "in" among the highest
      scores, half "out" among the lowest; attribute: the largest margins) and
      abstains on the rest; :func:`one_run_epsilon` bounds epsilon.
    * ``method="multi_run"`` (Jagielski, Ullman & Oprea, NeurIPS 2020):
      ``n_runs`` trainings, one canary, its secret drawn afresh in each; the
      decision threshold is chosen on the first half of the runs and
      :func:`epsilon_lower_bound` (Clopper-Pearson) is computed on the second.
      For the membership secret the canary is, among up to 50 records left out
      of training, the one whose crafted label five reference trainings find
      least likely. Costlier, and capped by the number of runs: perfect
      decisions give about 1.1 with 60 runs, 2.4 with 200, 4.0 with 1000.

    Parameters
    ----------
    estimator : estimator
        The unfitted training algorithm (e.g.
        :class:`skinvert.defenses.DPLogisticRegression`), cloned, never modified;
        its ``random_state`` (if any) is drawn for each training.
    X : array-like of shape (n_records, n_features)
        Numeric training records; the canaries are drawn from them.
    y : array-like of shape (n_records,)
        Their labels.
    n_canaries : int, default=200
        Canaries of the one-run audit (at least 2, fewer than the records).
    n_guesses : int, default=None
        Guesses of the one-run audit; ``None``: a quarter of the canaries (at
        least 2), fixed before the attack as the bound requires.
    method : {"one_run", "multi_run"}, default="one_run"
        The procedure.
    n_runs : int, default=200
        Trainings of the multi-run audit (at least 4).
    secret : {"membership", "attribute"}, default="membership"
        What the canaries hide.
    sensitive : int, default=None
        Column of the attribute secret (required with ``secret="attribute"``).
    epsilon_declared : float, default=None
        The declared epsilon; ``None`` reads ``estimator.epsilon`` if it has one.
    confidence : float, default=0.95
        Probability that the bound holds.
    n_jobs : int, default=None
        Parallel trainings of the multi-run audit (joblib).
    random_state : int, RandomState instance or None, default=None
        Seeds the canaries, their labels and secrets, and the trainings.

    Returns
    -------
    result : DPAuditResult
        ``n_guesses`` and ``n_correct`` count guesses (one-run) or evaluated
        runs (multi-run).

    Raises
    ------
    ValueError
        If ``n_canaries`` is not below the number of records, ``n_guesses``
        exceeds it, ``sensitive`` is missing for the attribute secret, or the
        sensitive column takes a single value.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skinvert.defenses import DPLogisticRegression
    >>> from skinvert.membership import audit_dp
    >>> X, y = make_classification(n_samples=600, random_state=0)
    >>> model = DPLogisticRegression(epsilon=0.5, data_norm=5.0, classes=[0, 1])
    >>> result = audit_dp(model, X, y, n_canaries=200, random_state=0)
    >>> result.epsilon_lower_bound <= result.epsilon_declared
    True
    """
    X = np.asarray(X)
    y = np.asarray(y)
    n = X.shape[0]
    if y.shape[0] != n:
        raise ValueError(f"X has {n} records but y has {y.shape[0]} labels.")
    if method == "one_run" and n_canaries >= n:
        raise ValueError(
            f"n_canaries={n_canaries} must be below the number of records ({n}): "
            "the other records form the training set."
        )
    if n_guesses is None:
        n_guesses = max(2, n_canaries // 4)
    if method == "one_run" and n_guesses > n_canaries:
        raise ValueError(
            f"n_guesses={n_guesses} exceeds n_canaries={n_canaries}: at most one "
            "guess per canary."
        )
    pair = None
    if secret == "attribute":
        if sensitive is None:
            raise ValueError(
                "secret='attribute' needs sensitive=, the column whose value each "
                "canary hides."
            )
        values, counts = np.unique(X[:, sensitive], return_counts=True)
        if values.size < 2:
            raise ValueError(
                f"Column sensitive={sensitive} takes a single value; the attribute "
                "secret needs two."
            )
        pair = values[np.argsort(-counts, kind="stable")[:2]]
    if epsilon_declared is None:
        epsilon_declared = getattr(estimator, "epsilon", None)
    column = sensitive if secret == "attribute" else None
    rng = check_random_state(random_state)
    order = rng.permutation(n)
    classes = np.unique(y)
    if method == "one_run":
        canary, base = order[:n_canaries], order[n_canaries:]
        yc = classes[rng.randint(len(classes), size=n_canaries)]
        if column is None:
            seed = rng.randint(_SEED_LIMIT)
            yc = _crafted_labels(estimator, X, y, canary, base, seed)[0]
        bits = rng.randint(2, size=n_canaries)
        seed = rng.randint(_SEED_LIMIT)
        args = (estimator, X, y, canary, base, yc, bits, pair, column, seed)
        score = _one_run(*args)
        if column is None:
            ranked = np.argsort(score, kind="stable")
            low = ranked[: n_guesses // 2]
            high = ranked[n_canaries - (n_guesses + 1) // 2 :]
            correct = int((bits[low] == 0).sum() + (bits[high] == 1).sum())
        else:
            chosen = np.argsort(-np.abs(score), kind="stable")[:n_guesses]
            correct = int(((score[chosen] > 0) == bits[chosen]).sum())
        bound = one_run_epsilon(n_guesses, correct, confidence=confidence)
        guesses = n_guesses
    else:
        canary, base = order[:1], order[1:]
        yc = classes[rng.randint(len(classes), size=1)]
        if column is None:  # the candidate whose crafted label is least likely
            pool = order[: max(1, min(50, n // 4))]
            seeds = rng.randint(_SEED_LIMIT, size=5)  # five reference trainings
            yc, p = _crafted_labels(estimator, X, y, pool, order[len(pool) :], seeds)
            best = int(np.argmin(p))
            canary, yc = pool[best : best + 1], yc[best : best + 1]
            base = order[len(pool) :]  # what the reference models were trained on
        bits = rng.randint(2, size=n_runs)
        seeds = rng.randint(_SEED_LIMIT, size=n_runs)
        args = (estimator, X, y, canary, base, yc, bits, pair, column, seeds, n_jobs)
        truth, decision = _split_threshold(_multi_run(*args), bits, confidence)
        if truth.min() == truth.max():  # one kind of run only: nothing to bound
            bound = 0.0
        else:
            bound = epsilon_lower_bound(truth, decision, confidence=confidence)
        guesses, correct = len(truth), int((truth == decision).sum())
    return DPAuditResult(
        epsilon_lower_bound=bound,
        epsilon_declared=None if epsilon_declared is None else float(epsilon_declared),
        secret=secret,
        n_canaries=int(n_canaries) if method == "one_run" else 1,
        n_guesses=int(guesses),
        n_correct=correct,
        confidence=float(confidence),
    )
