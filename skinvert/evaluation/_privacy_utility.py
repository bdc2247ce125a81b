"""The measured effect of the output and training defenses: privacy against utility.

:func:`privacy_utility` audits one target under several defense settings, on the
same members, auxiliary records and victims, and tabulates what each setting costs
(the target's accuracy on held-out records) against what it protects (each attack's
advantage over the imputation baseline, on members and non-members).
:func:`make_privacy_scorer` measures that advantage inside ``GridSearchCV`` or
``cross_validate``, next to the usual utility scorers.
"""

import functools
import inspect
import math

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator

from ..defenses._base import _is_ready
from ..utils._optional import import_optional
from ..utils._sklearn import (
    validate_params,
)
from ._audit import audit
from ._data import check_data, split, take
from ._progress import progress
from ._report import POPULATIONS
from ._settings import SPLIT_CONSTRAINTS, check_split, seed_of
from ._tables import _as_table
from ._targets import make_target


# --------------------------------------------------------- privacy-utility
def _setting_name(setting):
    """A short name: class and changed parameters, or the function's name."""
    if setting is None:
        return "none"
    if hasattr(setting, "steps"):  # a Pipeline: named after its model
        return _setting_name(setting.steps[-1][1])
    if isinstance(setting, BaseEstimator):
        defaults = inspect.signature(type(setting).__init__).parameters
        changed = [
            f"{key}={value!r}"
            for key, value in setting.get_params(deep=False).items()
            if key in defaults
            and defaults[key].default is not inspect.Parameter.empty
            and repr(value) != repr(defaults[key].default)
        ]
        return f"{type(setting).__name__}({', '.join(changed)})"
    if isinstance(setting, functools.partial):
        args = [repr(a) for a in setting.args]
        args += [f"{k}={v!r}" for k, v in setting.keywords.items()]
        return f"{_setting_name(setting.func)}({', '.join(args)})"
    return getattr(setting, "__name__", type(setting).__name__)


def _settings(defenses):
    """``(name, setting)`` pairs with unique names."""
    if isinstance(defenses, dict):
        pairs = [(str(name), setting) for name, setting in defenses.items()]
    else:
        pairs, seen = [], {}
        for setting in defenses:
            name = _setting_name(setting)
            seen[name] = seen.get(name, 0) + 1
            pairs.append(
                (name if seen[name] == 1 else f"{name} #{seen[name]}", setting)
            )
    if not pairs:
        raise ValueError(
            "defenses is empty; pass at least one setting, e.g. [None, "
            "lambda target: LabelOnly(FrozenEstimator(target))]."
        )
    for name, setting in pairs:
        if (
            setting is not None
            and not callable(setting)
            and not hasattr(setting, "fit")
        ):
            raise TypeError(
                f"The defense setting {name!r} is a {type(setting).__name__}; "
                "expected None, a callable(fitted_target) -> model, or an estimator."
            )
    return pairs


def _row(name, result, attack_names):
    row = {
        "defense": name,
        "target": result.target_name,
        "accuracy": result.target_test_accuracy,
        "train_accuracy": result.target_train_accuracy,
    }
    metric = result.headline["metric"]
    for population in POPULATIONS:
        rows = result.rows[population]
        references = [r for r in rows if r["threat_model"] == "no access"]
        attacks = [r for r in rows if r["threat_model"] != "no access"]
        row[f"reference:{population}"] = max(
            (r.get(metric, math.nan) for r in references), default=math.nan
        )
        gains = [r["advantage"] for r in attacks if not math.isnan(r["advantage"])]
        row[f"best:{population}"] = max(gains) if gains else math.nan
        for r in attacks:
            if r["attack"] not in attack_names:
                attack_names.append(r["attack"])
            row[f"{r['attack']}:{population}"] = r["advantage"]
    return row


@validate_params(
    {
        **SPLIT_CONSTRAINTS,
        "defenses": [dict, list, tuple],
        "return_audits": ["boolean"],
        "membership": ["boolean"],
        "verbose": ["verbose"],
    },
    # the models trained in the target's place validate their own parameters
    prefer_skip_nested_validation=False,
)
def privacy_utility(
    X,
    y,
    *,
    sensitive,
    defenses,
    target=None,
    members=None,
    model="random_forest",
    attacks=None,
    label_known=True,
    member_fraction=0.5,
    aux_fraction=0.25,
    max_victims=1000,
    random_state=0,
    n_jobs=None,
    n_bootstrap=200,
    return_audits=False,
    membership=False,
    verbose=0,
):
    """Tabulate each defense setting's utility against the attacks' advantage.

    Every setting is audited as :func:`~skinvert.audit` does, on one split of the
    records: the same members (the target's training set), auxiliary records (the
    attacker's) and victims for all settings, so that the rows differ only by the
    defense. A setting is

    * ``None``: the target as it is (the reference row; list it first);
    * a callable ``setting(fitted_target)`` returning the model the attacker
      queries, e.g. ``lambda t: RoundedConfidences(FrozenEstimator(t), decimals=1)``;
    * an estimator ready to answer (a defense around a
      :class:`~sklearn.frozen.FrozenEstimator` of the target, or a fitted model):
      attacked as it is; it must have been trained on ``members``;
    * an unfitted estimator, trained on the members in place of the target: a
      private model (:class:`~skinvert.defenses.DPLogisticRegression`) or a defense
      around an unfitted model (``LabelOnly(RandomForestClassifier())``).

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_records, n_features)
        The records, sensitive column included: the target's input.
    y : array-like of shape (n_records,)
        The task label.
    sensitive : str or int
        The sensitive column (a name for DataFrames, a position for arrays).
    defenses : dict of str to setting, or list of settings
        The settings, in table order. A dict names them; a list is named after
        each setting (class and changed parameters, or the function's name).
    target : classifier, default=None
        A fitted target (never refitted) trained on ``members``. Default: one
        trained on the members (``model``), once for all settings.
    members : array-like of bool or int, default=None
        The target's training records (a mask or positions). Default: a random
        ``member_fraction``, stratified on the sensitive value.
    model : {"random_forest", "hist_gradient_boosting", "logistic_regression", \
"decision_tree"} or estimator, default="random_forest"
        The target trained when ``target`` is None.
    attacks : list of str or attack estimators, default=None
        The attacks (default: every applicable attack of :mod:`skinvert.attacks`).
    label_known : bool, default=True
        Whether the attacker knows the victims' task label.
    member_fraction, aux_fraction : float, default=0.5, 0.25
        Fractions of the records in the training set and in the auxiliary data.
    max_victims : int, default=1000
        Victims per population.
    random_state : int, RandomState instance or None, default=0
        Seeds the split, the target, the attacks and the bootstraps.
    n_jobs : int, default=None
        Parallel jobs of the target's training and of the attacks' queries.
    n_bootstrap : int, default=200
        Bootstrap resamples of each audit's summary (kept in the audits).
    return_audits : bool, default=False
        Also return the :class:`~skinvert.AuditResult` of each setting.
    membership : bool, default=False
        Also measure membership inference in each setting's audit.
    verbose : int, default=0
        Show which setting is being audited (a tqdm bar, or plain lines).

    Returns
    -------
    table : DataFrame or list of dict
        One row per setting (a DataFrame when pandas is installed): ``defense``,
        ``target`` (the attacked model, outermost wrapper first), ``accuracy``
        (on the held-out non-members: the utility), ``train_accuracy``,
        ``baseline:<population>`` (the imputation baseline's accuracy),
        ``best:<population>`` (the largest advantage of any attack) and
        ``<attack>:<population>`` (each attack's accuracy minus the baseline's;
        NaN where it did not run), for the populations ``members`` and
        ``non-members``. A member advantage above the non-member one is what the
        target memorised.
    audits : dict of str to AuditResult
        Only with ``return_audits=True``: the full audit of each setting.

    See Also
    --------
    make_privacy_scorer : The advantage as a scorer, for ``GridSearchCV``.

    Examples
    --------
    >>> from sklearn.frozen import FrozenEstimator
    >>> from skinvert.datasets import make_sensitive_classification
    >>> from skinvert.defenses import LabelOnly
    >>> from skinvert.evaluation import privacy_utility
    >>> X, y = make_sensitive_classification(600, leak=2, label_noise=0.2,
    ...                                      random_state=0)
    >>> table = privacy_utility(
    ...     X, y, sensitive=0, attacks=["FredriksonInversion"], max_victims=100,
    ...     defenses={"none": None,
    ...               "label only": lambda t: LabelOnly(FrozenEstimator(t))})
    >>> list(table["defense"])
    ['none', 'label only']
    >>> bool((table["accuracy"][0] == table["accuracy"][1]))
    True
    >>> a = table["FredriksonInversion:members"]
    >>> bool(a[1] < a[0])
    True
    """
    pairs = _settings(defenses)
    check_split(target, members, member_fraction, aux_fraction, n_jobs)
    seed = seed_of(random_state)
    label_name = getattr(y, "name", None)
    X, y, s, mask, _, notes = check_data(X, y, sensitive, members)
    if label_name is not None:
        y = import_optional("pandas").Series(y, name=label_name)
    if mask is None:
        n = len(s)
        rows, _, _ = split(s, round(member_fraction * n), round(aux_fraction * n), seed)
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
    if target is None and any(not _trains(setting) for _, setting in pairs):
        target = make_target(model, X, random_state=seed, n_jobs=n_jobs)
        target.fit(take(X, np.flatnonzero(mask)), np.asarray(y)[mask])
    common = {
        "sensitive": sensitive,
        "members": mask,
        "attacks": attacks,
        "label_known": label_known,
        "aux_fraction": aux_fraction,
        "max_victims": max_victims,
        "random_state": seed,
        "n_jobs": n_jobs,
        "n_bootstrap": n_bootstrap,
        "membership": membership,
    }

    def audit_one(name, setting):
        if _trains(setting):
            return audit(X, y, model=setting, **common)
        if setting is None:
            return audit(X, y, target=target, **common)
        if hasattr(setting, "fit"):
            return audit(X, y, target=setting, **common)
        wrapper = _checked(name, setting)
        return audit(X, y, target=target, target_wrapper=wrapper, **common)

    # the settings fan out through joblib (threads; a Dask cluster's workers
    # when joblib.parallel_config selects its backend)
    bar = progress(verbose, "privacy-utility", total=len(pairs))
    outcomes = Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")(
        delayed(audit_one)(name, setting) for name, setting in pairs
    )
    audits, table, attack_names = {}, [], []
    for (name, _), result in zip(pairs, outcomes):
        bar.step(f"setting {name!r} audited")
        result.notes = notes + result.notes
        audits[name] = result
        table.append(_row(name, result, attack_names))
    columns = ["defense", "target", "accuracy", "train_accuracy"]
    columns += [f"{kind}:{p}" for kind in ("reference", "best") for p in POPULATIONS]
    columns += [f"{a}:{p}" for a in attack_names for p in POPULATIONS]
    table = _as_table(table, columns)
    bar.close()
    return (table, audits) if return_audits else table


def _checked(name, setting):
    """The callable setting, with an error naming it when it returns no model."""

    def wrap(target):
        model = setting(target)
        if not hasattr(model, "predict"):
            raise TypeError(
                f"The defense setting {name!r} returned {type(model).__name__}; "
                "expected a model with predict (e.g. "
                "lambda t: RoundedConfidences(FrozenEstimator(t)))."
            )
        return model

    return wrap


def _trains(setting):
    """Whether the setting is an unfitted estimator, trained on the members."""
    return setting is not None and hasattr(setting, "fit") and not _is_ready(setting)


# ------------------------------------------------------------- the scorer
