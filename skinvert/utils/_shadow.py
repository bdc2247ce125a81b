"""Shadow targets: models the attacker trains like the target on its own records.

Shokri et al. (IEEE S&P 2017): a model trained on records the attacker holds,
with the target's learning algorithm, tells it how a model behaves on records
it was trained on (members) and on records it was not (non-members).

Shared by the attribute attacks (:mod:`skinvert.attacks`) and the membership
attacks (:mod:`skinvert.membership`): the default shadow estimator, reseeding,
and the paired half splits of :func:`make_shadow_targets`.
"""

from numbers import Integral

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.utils import check_random_state

from ._threads import bounded, thread_budget


def default_shadow_estimator(target):
    """An unfitted model like ``target``: its clone, else a random forest.

    ``FrozenEstimator`` wrappers are unwrapped, at the top and inside (a defense
    such as ``RoundedConfidences(FrozenEstimator(model))`` becomes
    ``RoundedConfidences(model)`` unfitted: a frozen model would ignore the
    shadow's training records and answer as the target). A scikit-learn
    estimator or ``Pipeline`` (anything with ``get_params`` and ``fit``) is
    cloned (same type and parameters, fitted state dropped); anything else (an
    API client, say) gets a :class:`~sklearn.ensemble.RandomForestClassifier`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skinvert.defenses import RoundedConfidences
    >>> model = DecisionTreeClassifier(max_depth=2).fit([[0], [1]], [0, 1])
    >>> default_shadow_estimator(RoundedConfidences(FrozenEstimator(model)))
    RoundedConfidences(estimator=DecisionTreeClassifier(max_depth=2))
    """
    fresh = _unfrozen(target)
    return RandomForestClassifier() if fresh is None else fresh


def _unfrozen(model):
    """``model`` cloned with every ``FrozenEstimator`` replaced by its estimator.

    Nested anywhere: a wrapper's estimator, a Pipeline's steps, a
    ColumnTransformer's transformers. None if some part cannot be rebuilt.
    """
    while isinstance(model, FrozenEstimator):
        model = model.estimator
    if not (
        isinstance(model, BaseEstimator)
        or (hasattr(model, "get_params") and hasattr(model, "fit"))
    ):
        return None
    try:
        fresh = clone(model)
        params = fresh.get_params(deep=False)
    except Exception:  # a wrapper that cannot be rebuilt unfitted
        return None
    changed = {}
    for key, value in params.items():
        new = _unfrozen_part(value)
        if new is _FAILED:
            return None
        if new is not value:
            changed[key] = new
    return fresh.set_params(**changed) if changed else fresh


_FAILED = object()


def _unfrozen_part(value):
    """A parameter's value unfrozen: an estimator, a list of (name, estimator, ...)."""
    if isinstance(value, list) and value and all(isinstance(v, tuple) for v in value):
        parts = [tuple(_unfrozen_part(item) for item in step) for step in value]
        if any(item is _FAILED for step in parts for item in step):
            return _FAILED
        same = all(a is b for s, t in zip(parts, value) for a, b in zip(s, t))
        return value if same else parts
    if hasattr(value, "fit") and hasattr(value, "get_params"):
        fresh = _unfrozen(value)
        return _FAILED if fresh is None else fresh
    return value


def reseed(model, seed, *, deep=True):
    """Set the ``random_state`` parameter of ``model`` (nested ones too if ``deep``)."""
    keys = [
        key
        for key in model.get_params(deep=deep)
        if key == "random_state" or key.endswith("__random_state")
    ]
    if keys:
        model.set_params(**dict.fromkeys(keys, seed))
    return model


def _fit_shadow(model, X, y):
    return model.fit(X, y)


def _take(X, rows):
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def make_shadow_targets(
    target,
    X,
    y,
    *,
    n_shadows=2,
    shadow_estimator=None,
    random_state=None,
    n_jobs=None,
):
    """Train shadow targets on halves of the attacker's records.

    Shadow ``2 i`` is trained on one half of a random split of the records
    (stratified by ``y``), shadow ``2 i + 1`` on the other half, so each pair
    holds every record once as a member and once as a non-member.

    Parameters
    ----------
    target : estimator or None
        The model under attack: its unfitted clone is the default shadow
        estimator (see ``shadow_estimator``). Never fitted or modified.
    X : ndarray or DataFrame of shape (n_records, n_features)
        Complete records in the target's input layout (sensitive column filled).
    y : array-like of shape (n_records,)
        Their task labels.
    n_shadows : int, default=2
        Number of shadow targets.
    shadow_estimator : estimator, default=None
        Unfitted model trained as each shadow (cloned, every ``random_state``
        reseeded). Default: the target's own type and parameters when it is a
        scikit-learn estimator or ``Pipeline`` (``FrozenEstimator`` unwrapped),
        else a :class:`~sklearn.ensemble.RandomForestClassifier`.
    random_state : int, RandomState instance or None, default=None
        Seed of the splits and of the shadows.
    n_jobs : int, default=None
        Shadows trained in parallel through :class:`joblib.Parallel` (threads,
        or any backend set with :func:`joblib.parallel_config`, Dask's included).

    Returns
    -------
    shadows : list of (estimator, ndarray of bool of shape (n_records,))
        Each fitted shadow and the mask of its members.

    Raises
    ------
    ValueError
        If ``n_shadows`` is not a positive integer, or there are fewer than 4
        records or lengths differ.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skinvert.utils._shadow import make_shadow_targets
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(n_samples=200, random_state=0)
    >>> target = DecisionTreeClassifier(random_state=0).fit(X[:100], y[:100])
    >>> shadows = make_shadow_targets(target, X[100:], y[100:], random_state=0)
    >>> [int(members.sum()) for _, members in shadows]
    [50, 50]
    """
    if (
        not isinstance(n_shadows, Integral)
        or isinstance(n_shadows, bool)
        or (n_shadows < 1)
    ):
        raise ValueError(f"n_shadows must be a positive integer; got {n_shadows!r}.")
    y = np.asarray(y)
    n = X.shape[0]
    if y.shape[0] != n or n < 4:
        raise ValueError(
            f"make_shadow_targets needs at least 4 records and one label each; got "
            f"{n} records and {y.shape[0]} labels."
        )
    rng = check_random_state(random_state)
    base = shadow_estimator
    if base is None:
        base = default_shadow_estimator(target)
    _, y_codes = np.unique(y, return_inverse=True)
    masks, seeds = [], []
    for i in range(n_shadows):
        if i % 2 == 0:
            order = rng.permutation(n)
            order = order[np.argsort(y_codes[order], kind="stable")]
            first = np.zeros(n, dtype=bool)
            first[order[rng.randint(2) :: 2]] = True
        masks.append(first if i % 2 == 0 else ~first)
        seeds.append(rng.randint(np.iinfo(np.int32).max))
    limit = thread_budget(n_jobs, effective_n_jobs(n_jobs))
    models = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(bounded(_fit_shadow, limit))(
            reseed(clone(base), seed),
            _take(X, np.flatnonzero(members)),
            y[members],
        )
        for members, seed in zip(masks, seeds)
    )
    return list(zip(models, masks))
