"""The audit: every applicable attack against the strongest model-free reference.

:func:`audit` is what ``skinvert audit`` runs. It takes records and either a fitted
target with the records it was trained on (``target=``, ``members=``) or trains one
(``model=``), splits the other records into the attacker's auxiliary data and
held-out victims, fits every applicable attack on the auxiliary data and reports
each on members and non-members, grouped by threat model, against the strongest
model-free reference chosen on the auxiliary data.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ..utils._memo import share_answers_of, shared_fits
from ..utils._sklearn import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_params,
)
from ..utils._threads import limit_threads, thread_budget
from ..utils._validation import numbers_of_object
from ._data import (
    attacker_view,
    check_records,
    hide,
    known_label_rows,
    split,
    take,
)
from ._extras import group_values, membership_rows, per_record_rows, roc_curves
from ._progress import progress
from ._reference import choose_reference
from ._registry import fit_attacks
from ._report import AuditResult
from ._scoring import (
    Population,
    best_per_threat_model,
    evaluate,
    memorisation_gaps,
)
from ._settings import (
    SPLIT_CONSTRAINTS,
    AuditSettings,
    check_split,
    kind_of,
    seed_of,
)
from ._subgroups import subgroup_rows
from ._targets import describe, make_target

DEFAULT_MAX_VICTIMS = 1000


@validate_params(
    {
        **SPLIT_CONSTRAINTS,
        "sensitive": [str, Integral],
        "aux": ["array-like", None],
        "reference": [HasMethods(["fit", "predict"]), None],
        "kind": [StrOptions({"auto", "categorical", "continuous"})],
        "by": [str, Integral, None],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "ppv_k": [Interval(Real, 0, 1, closed="right")],
        "target_wrapper": [callable, None],
        "membership": ["boolean"],
        "max_categories": [Interval(Integral, 2, None, closed="left")],
        "tolerance": [Interval(Real, 0, None, closed="neither")],
        "verbose": ["verbose"],
    },
    # the models the audit trains validate their own parameters
    prefer_skip_nested_validation=False,
)
def audit(
    X,
    y,
    *,
    sensitive,
    target=None,
    members=None,
    aux=None,
    model="random_forest",
    attacks=None,
    reference=None,
    label_known=True,
    kind="auto",
    by=None,
    member_fraction=0.5,
    aux_fraction=0.25,
    max_victims=DEFAULT_MAX_VICTIMS,
    random_state=0,
    n_jobs=None,
    n_bootstrap=1000,
    confidence=0.95,
    ppv_k=0.1,
    target_wrapper=None,
    membership=True,
    max_categories=20,
    tolerance=0.1,
    verbose=0,
):
    """Measure how much a model leaks a sensitive column of its training records.

    The records are split into members (the target's training set), auxiliary
    data (the attacker's fully known records) and non-members (held-out
    victims). Every applicable attack is fitted on the auxiliary data in the
    attacker's view (the target's columns plus, when ``label_known``, the task
    label) and evaluated on up to ``max_victims`` members and as many
    non-members, whose sensitive values it never sees. Attacks are grouped by
    threat model (no access; labels; confidences; the answer on the victim's
    true record; white-box) and each is compared with the strongest model-free
    reference, chosen on the auxiliary data by cross-validation among the
    majority guess and imputation with and without the known label (Jayaraman &
    Evans, CCS 2022). An advantage on members above the one on non-members is
    what the model memorised.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_records, n_features)
        The records, sensitive column included: the target's input. Polars
        DataFrames are accepted.
    y : array-like of shape (n_records,)
        The task label.
    sensitive : str or int
        The sensitive column: a name for DataFrames, a position for arrays.
        :func:`audit_columns` audits several columns (or all).
    target : classifier, default=None
        A fitted model to audit as it is (never refitted); ``members`` must then
        say which records of ``X`` trained it, and ``model`` is ignored.
    members : array-like of bool of shape (n_records,) or of int, default=None
        The target's training records (a mask or positions). Default: a random
        ``member_fraction``, stratified on the sensitive value.
    aux : array-like of bool of shape (n_records,) or of int, default=None
        The attacker's auxiliary records, among the non-members. Default: a
        stratified ``aux_fraction`` of the records, drawn from the non-members.
    model : {"random_forest", "hist_gradient_boosting", "logistic_regression", \
"decision_tree"} or estimator, default="random_forest"
        The target trained when ``target`` is None: a named model or an unfitted
        classifier (cloned; its parameters are validated). String and categorical
        columns are one-hot encoded in a Pipeline.
    attacks : list of str or attack estimators, default=None
        Attacks to run (class names in :mod:`skinvert.attacks`, or unfitted
        instances whose ``target``, ``sensitive`` and ``label`` the audit sets).
        Default: every attack on this kind of attribute that applies to the
        target and threat model. An attack that fails is skipped with a note.
    reference : estimator, default=None
        A model-free attacker (e.g. ``ImputationBaseline(estimator=...)``) used as
        the reference as given. Default: the strongest of the built-in ones,
        chosen on the auxiliary data.
    label_known : bool, default=True
        Whether the attacker knows the victims' task label.
    kind : {"auto", "categorical", "continuous"}, default="auto"
        The sensitive attribute's kind. ``"auto"``: continuous if numeric with
        more than ``max_categories`` distinct values. Continuous attributes run
        the regressor attacks (MAE, RMSE, R², share within ``tolerance``).
    by : str or int, default=None
        A column of ``X`` (or the label's name) whose groups are audited
        separately; groups significantly more exposed are flagged.
    member_fraction : float, default=0.5
        Fraction of the records the audit trains its target on.
    aux_fraction : float, default=0.25
        Fraction of the records given to the attacker (from the non-members).
    max_victims : int, default=1000
        Victims evaluated per population.
    random_state : int, RandomState instance or None, default=0
        Seeds the split, the target, the attacks and the bootstrap.
    n_jobs : int, default=None
        Parallel jobs: the attacks' fits and queries, the target's training; the
        BLAS/OpenMP threads of the models are bounded by it.
    n_bootstrap : int, default=1000
        Bootstrap resamples of the victims, for every interval.
    confidence : float, default=0.95
        Level of the confidence intervals.
    ppv_k : float, default=0.1
        Fraction of the victims an attacker accuses, for PPV@k.
    target_wrapper : callable, default=None
        ``target_wrapper(fitted_target)`` returns the model the attacker queries
        (e.g. a defense around a frozen target).
    membership : bool, default=True
        Also measure membership inference on the same records, where the
        membership attacks are installed and the target gives confidences.
    max_categories : int, default=20
        Largest number of distinct values of a numeric attribute treated as
        categorical by ``kind="auto"``.
    tolerance : float, default=0.1
        Relative tolerance of the "within ±p %" disclosure rate (continuous).
    verbose : int, default=0
        Show which step is running (a tqdm bar, or plain lines without tqdm).

    Returns
    -------
    result : AuditResult
        Tables per population, best attack per threat model with intervals,
        memorisation gaps, per-record risk, subgroups, membership leakage,
        inputs and versions; ``print(result)``, ``result.to_json()``,
        ``result.to_html()`` report them.

    Raises
    ------
    ValueError
        Too few records to split, a column that does not exist, a sensitive
        column holding the label, mismatched lengths, an invalid model parameter.
    NotFittedError
        ``target`` is given but not fitted.

    Examples
    --------
    >>> from skinvert import audit
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(600, leak=3, random_state=0)
    >>> result = audit(X, y, sensitive=0, max_victims=100, n_bootstrap=100)
    >>> sorted(result.rows)
    ['members', 'non-members']
    >>> result.rows["members"][0]["threat_model"]
    'no access'
    """
    check_split(target, members, member_fraction, aux_fraction, n_jobs)
    seed = seed_of(random_state)
    settings = AuditSettings(
        sensitive=sensitive,
        model=model,
        attacks=attacks,
        reference=reference,
        label_known=label_known,
        kind=kind,
        by=by,
        member_fraction=member_fraction,
        aux_fraction=aux_fraction,
        max_victims=max_victims,
        seed=seed,
        n_jobs=n_jobs,
        n_bootstrap=n_bootstrap,
        confidence=confidence,
        ppv_k=ppv_k,
        target_wrapper=target_wrapper,
        membership=membership,
        max_categories=max_categories,
        tolerance=tolerance,
        verbose=verbose,
    )
    return run_audit(X, y, target=target, members=members, aux=aux, settings=settings)


def run_audit(X, y, *, target, members, aux, settings):
    """The audit of one sensitive column (the API's and the command's code path)."""
    # n_jobs is spent on joblib workers (attacks, folds, shadows, batches), each
    # running its BLAS and OpenMP pools on one thread: pools of every core beside
    # them spin-wait against the workers (on the census benchmark, a 2-thread
    # pool in the calling thread cost 3 s of 21). Only the target's own training
    # gets the whole budget. The attacks and the reference fit the same imputers
    # on the same records: each distinct fit is made once (skinvert.utils._memo).
    with limit_threads(1), shared_fits():
        return _run(X, y, target, members, aux, settings)


def _positive_value(classes, prior):
    """The value PPV@k looks for: 1/True for 0/1 attributes, else the rarer one."""
    if len(classes) != 2:
        return None
    if set(np.asarray(classes).tolist()) <= {0, 1}:
        return classes[1]
    return classes[int(np.argmin(prior))]


def _train_or_check(target, X, y, members, settings, seed):
    if target is None:
        target = make_target(
            settings.model, X, random_state=seed, n_jobs=settings.n_jobs
        )
        try:
            return target.fit(take(X, members), y[members])
        except InvalidParameterError as exc:
            # not re-raised as InvalidParameterError: the audit's own parameter
            # check would rename the estimator in the message to "audit"
            raise ValueError(
                f"The model the audit trains is invalid: {exc} Fix the model= "
                "estimator's parameters."
            ) from None
    try:
        check_is_fitted(target)
    except NotFittedError:
        raise NotFittedError(
            f"target={type(target).__name__} is not fitted. Pass the fitted model "
            "to audit, or target=None to have the audit train one (model=...) on "
            "its members."
        ) from None
    return target


def _check_aux_values(kind, s, aux, sensitive):
    """Refuse auxiliary records from which no attacker could learn anything."""
    values = np.unique(s[aux].astype(object if kind == "categorical" else float))
    if len(values) >= 2:
        return
    raise ValueError(
        f"The {len(aux)} auxiliary records all hold {sensitive!r} = "
        f"{values[0]!r}: an attacker who has only them can learn nothing about "
        "the other values. If the records are sorted (by this column, say), "
        "shuffle them before splitting them into members, non-members and "
        "auxiliary records; or pass auxiliary records holding every value."
    )


def _given_reference(settings, notes):
    """The reference the user chose: ``reference=``, or a model-free attack
    instance (an ``ImputationBaseline(estimator=...)``) listed in ``attacks``."""
    if settings.reference is not None:
        return settings.reference
    from ._registry import _REFERENCE_ATTACKS

    for item in settings.attacks or ():
        if type(item).__name__ in _REFERENCE_ATTACKS:
            notes.append(
                f"{type(item).__name__} given in attacks: used as the reference, "
                "as given."
            )
            return item
    return None


def _run(X, y, target, members, aux, settings):
    from ._intake import as_frame

    frame = as_frame(X)
    X = frame if frame is not None else X
    label_name = getattr(y, "name", None)
    checked = check_records(X, y, settings.sensitive, members, aux)
    X, y, s, member_mask, aux_mask, position, notes, kept = checked
    s = numbers_of_object(s)  # an object column of numbers holds numbers
    kind = kind_of(s, settings)
    seed = settings.seed
    rng = np.random.RandomState(seed)
    n = len(s)
    members, aux, non_members = split(
        s if kind == "categorical" else None,
        round(settings.member_fraction * n),
        round(settings.aux_fraction * n),
        seed,
        member_mask,
        aux_mask,
        n=n,
    )
    _check_aux_values(kind, s, aux, settings.sensitive)
    bar = progress(settings.verbose, "audit")
    bar.step("training the target" if target is None else "checking the target")
    with limit_threads(thread_budget(settings.n_jobs)):
        target = _train_or_check(target, X, y, members, settings, seed)
    if settings.target_wrapper is not None:
        target = settings.target_wrapper(target)
        if not hasattr(target, "predict"):
            raise TypeError(
                f"target_wrapper returned a {type(target).__name__}; expected a "
                "model with predict (e.g. a defense around FrozenEstimator(target))."
            )
    share_answers_of(target)  # queries several attacks make are asked once
    accuracy = {
        name: float(np.mean(target.predict(take(X, rows)) == y[rows]))
        for name, rows in [("train", members), ("test", non_members)]
    }
    if settings.label_known:
        aux = known_label_rows(target, y, aux, "auxiliary", notes)
        non_members = known_label_rows(target, y, non_members, "non-member", notes)
        members = known_label_rows(target, y, members, "member", notes)
    view, label = attacker_view(X, y, label_name) if settings.label_known else (X, None)
    sensitive = settings.sensitive
    bar.step("choosing the model-free reference")
    references, reference_report = choose_reference(
        kind,
        take(view, aux),
        s[aux],
        sensitive=sensitive,
        label=label,
        seed=seed,
        given=_given_reference(settings, notes),
        n_jobs=settings.n_jobs,
    )
    config = {"sensitive": sensitive, "label": label, "seed": seed}
    config["n_jobs"] = settings.n_jobs
    if kind == "categorical":
        config["decision"] = "balanced_accuracy"  # the headline metric
    bar.step("fitting the attacks")
    fitted, skipped = fit_attacks(
        settings.attacks, target, take(view, aux), s[aux], config, kind
    )
    notes += skipped
    positive = None
    if kind == "categorical":
        classes, counts = np.unique(s[aux].astype(object), return_counts=True)
        positive = _positive_value(classes, counts / counts.sum())

    n_victims = min(settings.max_victims, len(members), len(non_members))
    rows, summary, per_record, subgroups, roc = {}, {}, [], [], []
    populations, failures = {}, {}
    for name, pool in [("members", members), ("non-members", non_members)]:
        bar.step(f"attacking the {name}")
        victims = np.sort(rng.choice(pool, n_victims, replace=False))
        population = Population(
            name,
            victims,
            s[victims],
            kind,
            n_bootstrap=settings.n_bootstrap,
            seed=seed,
            settings=settings,
            positive=positive,
        )
        victims_view = take(view, victims)
        table, answers, reference_answers, failed = evaluate(
            population,
            fitted,
            references,
            victims_view,
            hide(victims_view, position),
        )
        for note in failed:
            failures.setdefault(note, []).append(name)
        rows[name], populations[name] = table, population
        best = best_per_threat_model(table)
        summary[name] = {
            model: {
                "attack": row["attack"],
                "advantage": row["advantage"],
                "low": row["advantage_low"],
                "high": row["advantage_high"],
            }
            for model, row in best.items()
        }
        per_record += per_record_rows(
            population, best, answers, reference_answers, kept
        )
        roc += roc_curves(population, best, answers, positive, s[aux])
        if settings.by is not None:
            groups = group_values(X, y, label_name, settings, victims)
            subgroups += subgroup_rows(
                population,
                groups,
                best,
                answers,
                reference_answers,
                settings.by,
                settings.confidence,
            )
    notes += [f"{note} ({', '.join(where)})" for note, where in failures.items()]
    gaps = memorisation_gaps(
        populations["members"], populations["non-members"], rows, settings.confidence
    )
    membership = []
    if settings.membership:
        bar.step("membership inference")
        membership, note = membership_rows(
            target, X, y, members, non_members, aux, n_victims, settings
        )
        notes += [note] if note else []
    bar.close()
    return AuditResult(
        rows=rows,
        summary=summary,
        kind=kind,
        target_train_accuracy=accuracy["train"],
        target_test_accuracy=accuracy["test"],
        sensitive=sensitive,
        target_name=describe(target),
        label_known=bool(settings.label_known),
        n_members=len(members),
        n_aux=len(aux),
        n_non_members=len(non_members),
        n_victims=n_victims,
        aux_source="given" if aux_mask is not None else "share of the non-members",
        reference=reference_report,
        gaps=gaps,
        per_record=per_record,
        subgroups=subgroups,
        membership=membership,
        roc=roc,
        positive=positive.item() if hasattr(positive, "item") else positive,
        ppv_k=settings.ppv_k,
        confidence=settings.confidence,
        settings=settings.describe(),
        inputs=dict(settings.inputs),
        notes=notes,
    )
