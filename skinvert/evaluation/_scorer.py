"""An attack's advantage as a scorer, for searches over defense parameters."""

from numbers import Integral

import numpy as np
from sklearn.model_selection import train_test_split

from ..metrics import attack_accuracy, attack_balanced_accuracy, attack_roc_auc
from ..utils._sklearn import HasMethods, StrOptions, validate_params
from ._data import attacker_view, check_data, hide, known_label_rows, take
from ._reference import choose_reference
from ._registry import _attack_classes, _name, fit_attacks
from ._scoring import answer
from ._settings import seed_of


def _cut(s, train_size, seed):
    """Two sorted position arrays, stratified on ``s`` when it can be."""
    rows = np.arange(len(s))
    try:
        first, second = train_test_split(
            rows, train_size=train_size, stratify=s, random_state=seed
        )
    except ValueError:  # a value too rare to stratify, or a continuous attribute
        first, second = train_test_split(rows, train_size=train_size, random_state=seed)
    return np.sort(first), np.sort(second)


class _PrivacyScorer:
    """``scorer(defended_target, X, y)``: an attack's advantage on ``X``'s records."""

    def __init__(self, attack, sensitive, label_known, aux, metric, seed, n_jobs):
        self.attack, self.sensitive, self.label_known = attack, sensitive, label_known
        self.aux, self.metric, self.seed, self.n_jobs = aux, metric, seed, n_jobs

    def _view(self, X, y, label_name):
        if not self.label_known:
            return X, None
        return attacker_view(X, y, label_name)

    def __call__(self, estimator, X, y):
        label_name = getattr(y, "name", None)
        X, y, s, _, position, _ = check_data(X, y, self.sensitive, None)
        if self.label_known:  # records whose label the target never saw: left out
            rows = known_label_rows(estimator, y, np.arange(len(y)), "scored", [])
            X, y, s = take(X, rows), y[rows], s[rows]
        view, label = self._view(X, y, label_name)
        if self.aux is None:
            attacker, victims = _cut(s, 0.5, self.seed)
            aux_view, s_aux = take(view, attacker), s[attacker]
            view, s = take(view, victims), s[victims]
        else:
            X_aux, y_aux, s_aux, _, _, _ = check_data(*self.aux, self.sensitive, None)
            aux_view, _ = self._view(X_aux, y_aux, label_name)
        config = {
            "sensitive": self.sensitive,
            "label": label,
            "seed": self.seed,
            "n_jobs": self.n_jobs,
        }
        fitted, skipped = fit_attacks([self.attack], estimator, aux_view, s_aux, config)
        if not fitted:
            why = skipped[0] if skipped else "it is a model-free reference itself."
            raise ValueError(f"The privacy scorer's attack did not run: {why}")
        references, _ = choose_reference(
            "categorical",
            aux_view,
            s_aux,
            sensitive=self.sensitive,
            label=label,
            seed=self.seed,
        )
        key = "accuracy" if self.metric == "accuracy" else "balanced_accuracy"
        reference_name, reference = references[key]
        hidden = hide(view, position)
        name, attack, _ = fitted[0]
        try:
            attacked = answer(name, attack, view, hidden)
        except Exception as exc:
            raise ValueError(f"The privacy scorer's attack failed: {exc}") from exc
        guessed = answer(reference_name, reference, view, hidden)
        return float(self._score(attacked, s) - self._score(guessed, s))

    def _score(self, answers, s):
        s = np.asarray(s, dtype=object)
        if self.metric == "roc_auc":
            classes = np.asarray(answers.attack.classes_, dtype=object)
            return attack_roc_auc(s, answers.proba, classes=classes)
        function = {
            "accuracy": attack_accuracy,
            "balanced_accuracy": attack_balanced_accuracy,
        }[self.metric]
        return function(s, answers.pred.astype(object))

    def __repr__(self):
        name = self.attack if isinstance(self.attack, str) else _name(self.attack)
        return (
            f"make_privacy_scorer({name!r}, sensitive={self.sensitive!r}"
            f", metric={self.metric!r})"
        )


@validate_params(
    {
        "attack": [str, HasMethods(["fit", "predict_proba"]), type],
        "sensitive": [str, Integral],
        "label_known": ["boolean"],
        "aux": [tuple, None],
        "metric": [StrOptions({"accuracy", "balanced_accuracy", "roc_auc"})],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def make_privacy_scorer(
    attack,
    *,
    sensitive,
    label_known=True,
    aux=None,
    metric="accuracy",
    random_state=0,
    n_jobs=None,
):
    """Make a scorer of an attack's advantage on a fitted, possibly defended, target.

    The scorer ``scorer(estimator, X, y)`` attacks ``estimator`` (the target, as
    fitted by ``GridSearchCV`` or ``cross_validate`` on a training fold) on the
    records ``X`` with task labels ``y``, whose sensitive column is known to the
    scorer. Without ``aux`` it fits the attack and the imputation baseline on one
    half of the records (stratified on the sensitive value) and evaluates both on
    the other half, the victims, whose sensitive values they never see; it
    returns the attack's ``metric`` minus the baseline's: what the target gives
    away beyond what is guessable without it. Higher means more leak, so use it
    next to a utility scorer and refit on the utility (or with a callable
    ``refit`` that caps the leak).

    **Members and non-members.** On the held-out folds of a search, the victims
    were not in the target's training set: the scorer measures the non-member
    leak. The member leak is the same scorer on the training records:
    ``GridSearchCV(..., return_train_score=True)`` reports it as
    ``mean_train_<name>``. Pass ``aux=(X_aux, y_aux)``, records outside the
    search's data, to fit the attack on them: every record the scorer sees is
    then a victim, and on the training folds the attacker holds no training
    record (without ``aux``, the attacker's half of a training fold is made of
    members too).

    Parameters
    ----------
    attack : str, attack class or attack estimator
        The attack, by class name in :mod:`skinvert.attacks`, as a class, or as an
        unfitted instance (its ``target``, ``sensitive`` and ``label`` are set by
        the scorer; unset ``random_state`` and ``n_jobs`` too).
    sensitive : str or int
        The sensitive column of the target's input (a name for DataFrames, a
        position for arrays).
    label_known : bool, default=True
        Whether the attacker knows the victims' task label (``y``).
    aux : tuple (X_aux, y_aux), default=None
        The attacker's auxiliary records, in the target's layout with their task
        labels. Default: one half of the scored records.
    metric : {"accuracy", "balanced_accuracy", "roc_auc"}, default="accuracy"
        The metric whose difference with the baseline is returned.
    random_state : int, RandomState instance or None, default=0
        Seeds the halving and the attacks; drawn once, so that every call of the
        scorer is reproducible.
    n_jobs : int, default=None
        Parallel jobs of the attack's queries.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y) -> float``, the advantage (higher: more leak).

    See Also
    --------
    privacy_utility : Every defense setting against every attack, in one table.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skinvert.datasets import make_sensitive_classification
    >>> from skinvert.defenses import RoundedConfidences, make_privacy_scorer
    >>> X, y = make_sensitive_classification(900, leak=3, random_state=0)
    >>> scoring = {"accuracy": "accuracy",
    ...            "leak": make_privacy_scorer("FredriksonInversion", sensitive=0)}
    >>> search = GridSearchCV(RoundedConfidences(LogisticRegression()),
    ...                       {"decimals": [0, 1, 3]}, scoring=scoring,
    ...                       refit="accuracy", cv=3).fit(X, y)
    >>> search.cv_results_["mean_test_leak"].shape     # non-member leak per setting
    (3,)
    >>> search.best_params_       # rounding never changes the decision: a tie
    {'decimals': 0}
    """
    _attack_classes([attack])  # an unknown name fails here, not in every fold
    if aux is not None and len(aux) != 2:
        raise ValueError(
            f"aux must be a pair (X_aux, y_aux) of the attacker's records and their "
            f"task labels; got a tuple of {len(aux)} items."
        )
    seed = seed_of(random_state)
    return _PrivacyScorer(attack, sensitive, label_known, aux, metric, seed, n_jobs)
