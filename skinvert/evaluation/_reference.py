"""The model-free reference: the strongest attacker that never queries the target.

Every attack is reported against what an attacker infers with no access to the
model (Jayaraman & Evans, CCS 2022). A weak reference flatters every attack, so the
audit tries several model-free attackers on the auxiliary data, by
cross-validation, and keeps the best for each metric:

- categorical attribute: always answering the most common value (the majority
  guess), imputation from the known features, and imputation from the known
  features and the known label (when the attacker knows it);
- continuous attribute: the median of the auxiliary values, and the same two
  imputation regressors.

The choice is made on the auxiliary records only, never on the victims. A reference
the user passes (``reference=``) is used as given.
"""

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone

from ..metrics import attack_accuracy, attack_balanced_accuracy, attack_mae
from ..utils._folds import shuffled_folds
from ..utils._threads import bounded, thread_budget
from ._data import take

_FOLDS = 3


class MajorityReference(ClassifierMixin, BaseEstimator):
    """Answer every victim with the most common auxiliary value (no model at all).

    ``predict_proba`` is the auxiliary frequencies for every victim.
    """

    queries_per_victim_ = 0

    def fit(self, X, y):
        self.classes_, counts = np.unique(np.asarray(y), return_counts=True)
        self.prior_ = counts / counts.sum()
        return self

    def predict_proba(self, X):
        return np.tile(self.prior_, (len(X), 1))

    def predict(self, X):
        return np.full(len(X), self.classes_[np.argmax(self.prior_)], dtype=object)


class MedianReference(RegressorMixin, BaseEstimator):
    """Answer every victim with the median auxiliary value (MAE-optimal constant)."""

    queries_per_victim_ = 0

    def fit(self, X, y):
        self.median_ = float(np.median(np.asarray(y, dtype=float)))
        return self

    def predict(self, X):
        return np.full(len(X), self.median_)


class WithoutLabel:
    """An attack fitted and applied on the attacker's view minus the label column."""

    queries_per_victim_ = 0

    def __init__(self, attack, label):
        self.attack, self.label = attack, label

    def _drop(self, view):
        if hasattr(view, "drop"):
            return view.drop(columns=[self.label])
        return np.delete(view, self.label, axis=1)

    def fit(self, view, s):
        self.attack.fit(self._drop(view), s)
        return self

    @property
    def classes_(self):
        return self.attack.classes_

    def predict(self, view):
        return self.attack.predict(self._drop(view))

    def predict_proba(self, view):
        return self.attack.predict_proba(self._drop(view))


def _candidates(kind, sensitive, label, seed):
    """``(name, unfitted reference)`` for each model-free attacker of this kind."""
    from ..attacks import ImputationBaseline, ImputationRegressor

    if kind == "categorical":
        majority, imputer = MajorityReference(), ImputationBaseline
        constant = ("majority value", majority)
    else:
        constant, imputer = ("median value", MedianReference()), ImputationRegressor
    found = [constant]
    if label is None:
        found.append(("imputation", imputer(sensitive=sensitive, random_state=seed)))
        return found
    # the same column, without the label: the sensitive column's position in the
    # view shifts when the label stands before it
    shifted = sensitive
    if isinstance(sensitive, (int, np.integer)) and label < sensitive:
        shifted = sensitive - 1
    found.append(
        (
            "imputation (known features)",
            WithoutLabel(imputer(sensitive=shifted, random_state=seed), label),
        )
    )
    found.append(
        (
            "imputation (known features and label)",
            imputer(sensitive=sensitive, label=label, random_state=seed),
        )
    )
    return found


def _fit_fresh(reference, view, s):
    return _fresh(reference).fit(view, s)


def _fresh(reference):
    if isinstance(reference, WithoutLabel):
        return WithoutLabel(clone(reference.attack), reference.label)
    return clone(reference)


def _scores(kind, reference, view, s, seed):
    """Out-of-fold scores of one reference on the auxiliary records.

    The folds are the attacks' (:func:`~skinvert.utils._folds.shuffled_folds`,
    3 of them, the same seed): the imputers fitted on them are shared with the
    combined and shadow-calibrated attacks within an audit.
    """
    n = len(s)
    codes = None
    if kind == "categorical":
        values, codes = np.unique(s.astype(object), return_inverse=True)
        if len(values) < 2:
            return None
    folds = shuffled_folds(n, min(_FOLDS, n // 2), seed, codes)
    if folds is None:
        return None
    predicted = np.empty(n, dtype=object if kind == "categorical" else float)
    for train, test in folds:
        model = _fresh(reference).fit(take(view, train), s[train])
        predicted[test] = model.predict(take(view, test))
    if kind == "categorical":
        truth = s.astype(object)
        return {
            "accuracy": attack_accuracy(truth, predicted),
            "balanced_accuracy": attack_balanced_accuracy(truth, predicted),
        }
    return {"mae": attack_mae(s.astype(float), predicted)}


_CHOSEN_BY = {
    "categorical": {"accuracy": 1.0, "balanced_accuracy": 1.0},
    "continuous": {"mae": -1.0},
}


def choose_reference(kind, view, s, *, sensitive, label, seed, given=None, n_jobs=None):
    """The fitted reference for each metric, and how it was chosen.

    Parameters
    ----------
    kind : {"categorical", "continuous"}
    view : ndarray or DataFrame
        The auxiliary records in the attacker's view.
    s : ndarray
        Their sensitive values.
    sensitive, label : str or int
        The columns of ``view`` (``label`` None if the attacker does not know it).
    seed : int
        Seed of the folds and of the imputation models.
    given : estimator, default=None
        A reference chosen by the user: fitted and used for every metric.
    n_jobs : int, default=None
        Candidates cross-validated at once, through :class:`joblib.Parallel`
        (threads, or any backend set with :func:`joblib.parallel_config`).

    Returns
    -------
    chosen : dict
        Metric name -> ``(reference name, fitted reference)``.
    report : dict
        ``"scores"``: reference name -> metric -> out-of-fold score on the
        auxiliary data; ``"chosen"``: metric -> reference name.
    """
    if given is not None:
        name = type(given).__name__
        fitted = given.fit(view, s)
        metrics = _CHOSEN_BY[kind]
        return (
            dict.fromkeys(metrics, (name, fitted)),
            {"scores": {}, "chosen": dict.fromkeys(metrics, name), "given": True},
        )
    candidates = _candidates(kind, sensitive, label, seed)
    names_in_order = [name for name, _ in candidates]
    jobs = effective_n_jobs(n_jobs)
    # with several jobs, every candidate is also fitted on all the records beside
    # the cross-validation (the attacks of an audit reuse those imputers:
    # skinvert.utils._memo); with one, only the chosen ones, afterwards
    tasks = [(_scores, (kind, ref, view, s, seed)) for _, ref in candidates]
    if jobs > 1:
        tasks += [(_fit_fresh, (ref, view, s)) for _, ref in candidates]
    limit = thread_budget(n_jobs, min(len(tasks), jobs))
    found = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(bounded(task, limit))(*args) for task, args in tasks
    )
    scores = dict(zip(names_in_order, found[: len(candidates)]))
    fitted = dict(zip(names_in_order, found[len(candidates) :]))
    chosen, names = {}, {}
    for metric, sign in _CHOSEN_BY[kind].items():
        usable = [name for name in names_in_order if scores[name] is not None]
        if usable:
            # ties go to the simpler reference (listed first)
            best = max(usable, key=lambda name: sign * scores[name][metric])
        else:  # too few records to cross-validate: the richest reference
            best = names_in_order[-1]
        if best not in fitted:
            fitted[best] = _fit_fresh(dict(candidates)[best], view, s)
        chosen[metric], names[metric] = (best, fitted[best]), best
    report = {
        "scores": {k: v for k, v in scores.items() if v is not None},
        "chosen": names,
        "given": False,
    }
    return chosen, report
