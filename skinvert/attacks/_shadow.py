"""Shadow targets, and the attack that learns from them how far to trust a target.

Shokri et al. (IEEE S&P 2017) train *shadow models* like the target on data the
attacker holds, so that it knows which records were members of a model it
controls. Here shadow targets calibrate an attribute-inference attack: on their
members and non-members, the attacker learns how to weigh the imputation
posterior of Jayaraman & Evans (CCS 2022) against the evidence of the target's
answers (Fredrikson et al. 2015, Mehnaz et al. 2022) for each candidate.
"""

from numbers import Integral, Real

import numpy as np
from scipy.optimize import minimize
from sklearn.utils import check_random_state

from .._docstrings import _SHARED_ATTRIBUTES, _SHARED_PARAMETERS
from .._query import DEFAULT_BATCH_SIZE, DEFAULT_MAX_CANDIDATES, query_target
from ..base import BaseInversion
from ..utils._folds import shuffled_folds
from ..utils._shadow import _take, default_shadow_estimator, make_shadow_targets
from ..utils._sklearn import HasMethods, Interval, StrOptions
from ._confidence import _label_confidence, _top_class
from ._decision import (
    DECISION_ATTRIBUTE,
    DECISION_PARAMETER,
    DecisionMixin,
    argmax_with_prior,
    check_decision,
    choose_bias,
)
from ._default_models import fit_imputer, imputed_proba
from ._imputation import known_feature_table

__all__ = [
    "ShadowCalibratedInversion",
    "default_shadow_estimator",
    "evidence_features",
    "fit_conditional_logit",
    "make_shadow_targets",
]

_EPS = 1e-3  # added to confidences before their log, so 0 cannot veto a candidate
_FLOOR = 1e-12
_ALPHA = 1e-3  # L2 pull of the weights towards the imputation posterior
_MIN_PRIOR_WEIGHT = 1e-3
# shares of the likelihood given to non-members, tried in turn (see _calibrate)
_NON_MEMBER_SHARES = (0.5, 0.65, 0.8, 0.9, 1.0)


def evidence_features(answers, labels, prior, prior_x=None):
    """Per-candidate features of the target's answers and the imputation prior.

    Parameters
    ----------
    answers : ndarray of shape (n, k, n_classes)
        The target's confidences on each record completed with each candidate.
    labels : ndarray of shape (n,) or None
        Positions of the known labels in the target's classes.
    prior : ndarray of shape (n, k)
        The imputation posterior (given the known label when there is one).
    prior_x : ndarray of shape (n, k) or None
        With a known label, the imputation posterior from the known features
        alone: Bayes' rule ``P(v | x, y) ~ P(v | x) P(y | x, v)`` combines it
        with the target's confidence in the label.

    Returns
    -------
    features : ndarray of shape (n, k, n_features)
        ``log prior`` split by how member-like the record looks (``m``, the
        largest confidence in the known label over the candidates), the log
        confidence in the label (the top confidence without a label) and its
        interactions with ``m`` and the imputer's confidence, the normalised
        entropy and its interaction with ``m``; with a label also: ``log
        prior_x`` times the spread of the label confidences over the
        candidates (zero when the answers do not depend on the candidate),
        whether the candidate reproduces the label, whether it is the only one
        to (each with interactions; ``m ** 8`` singles out the near-certain
        answers a model gives its members), and the log top confidence where
        it does not. Every target feature is the same for every candidate when
        the answers are: the softmax then only sees the two ``log prior``
        columns.
    """
    log_prior = np.log(np.maximum(prior, _FLOOR))
    sure = prior.max(axis=1, keepdims=True)
    top_class, top = _top_class(answers)
    conf = top if labels is None else _label_confidence(answers, labels)
    member = conf.max(axis=1, keepdims=True)
    log_conf = np.log(conf + _EPS)
    c = answers.shape[2]
    entropy = -(answers * np.log(np.maximum(answers, _FLOOR))).sum(axis=2)
    entropy /= np.log(c) if c > 1 else 1.0
    columns = [
        log_prior * (1.0 - member),
        log_prior * member,
        log_conf,
        log_conf * member,
        log_conf * sure,
        entropy,
        entropy * member,
    ]
    if labels is not None:
        match = (top_class == labels[:, None]).astype(float)
        sole = match * (match.sum(axis=1, keepdims=True) == 1)
        spread = conf.max(axis=1, keepdims=True) - conf.min(axis=1, keepdims=True)
        log_x = np.log(np.maximum(prior_x, _FLOOR))
        columns += [
            log_x * spread,
            log_x * spread * member,
            match,
            match * member,
            match * sure,
            sole,
            sole * sure,
            sole * member,
            sole * member**8,
            conf * member**8,
            (1.0 - match) * np.log(top + _EPS),
        ]
    return np.stack(columns, axis=2)


def _softmax(scores):
    scores = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(scores)
    return e / e.sum(axis=1, keepdims=True)


def fit_conditional_logit(features, codes, start, lower, weight, alpha=_ALPHA):
    """Weights of ``P(v) = softmax_v(features[:, v] @ w)``, by penalised likelihood.

    Minimises the ``weight``-averaged negative log-likelihood of ``codes`` plus
    ``alpha / 2 * ||w - start||^2`` with L-BFGS-B (``w >= lower``), on the
    stacked ``n * k`` rows at once.
    """
    n, k, d = features.shape
    flat = features.reshape(n * k, d)
    rows = np.arange(n)
    truth = features[rows, codes]
    weight = weight / weight.sum()

    def objective(w):
        scores = (flat @ w).reshape(n, k)
        top = scores.max(axis=1, keepdims=True)
        e = np.exp(scores - top)
        total = e.sum(axis=1, keepdims=True)
        p = e / total
        nll = top[:, 0] + np.log(total[:, 0]) - scores[rows, codes]
        expected = np.einsum("nk,nkd->nd", p, features)
        grad = weight @ (expected - truth) + alpha * (w - start)
        return weight @ nll + 0.5 * alpha * np.sum((w - start) ** 2), grad

    bounds = [(lo, None) for lo in lower]
    result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds)
    return result.x


def _population_weights(members, share):
    """Row weights giving non-members ``share`` of the total, members the rest."""
    n_members = max(members.sum(), 1)
    n_others = max((~members).sum(), 1)
    return np.where(members, (1.0 - share) / n_members, share / n_others)


class ShadowCalibratedInversion(DecisionMixin, BaseInversion):
    __doc__ = (
        """Imputation and target evidence weighed by what shadow targets show.

    The combined attacks of Jayaraman & Evans (CCS 2022) multiply an imputation
    posterior with the target's evidence and calibrate the product on auxiliary
    records, which are not members of the target: they cannot see what a
    target memorised of its members. Following the shadow-model idea of Shokri
    et al. (IEEE S&P 2017), this attack trains *shadow targets* like the target
    on halves of its auxiliary data (:func:`make_shadow_targets`), so it holds
    records that are members and records that are not members of models it
    controls. For every record and candidate ``v`` it computes features of the
    answers (confidence in the known label as in Fredrikson et al. 2015,
    whether ``v`` is the one candidate reproducing the label as in CSMIA,
    Mehnaz et al. 2022, top confidence, entropy, their interactions with how
    member-like the record looks) next to the cross-fitted imputation
    log-posterior, and fits a conditional logit (a softmax over the
    candidates) on both populations of every shadow:

        ``P(v | x, answers) = softmax_v(w . features(x, v))``.

    The target's own answers on the auxiliary records join the shadows'
    non-members. Members and non-members share the likelihood half and half,
    unless the held-out accuracy on non-members then falls below the
    imputation's beyond ``tolerance``: the non-members' share is raised until
    it does not (``non_member_share_``), and if no share keeps it the attack
    is the imputation. At inference the same features are computed from the
    real target's answers and the imputers fitted on all the auxiliary data.
    The weights of the imputation log-posterior are kept positive and pulled
    towards 1 (the others towards 0), so where the target's answers do not
    depend on the sensitive column the decision is the imputation's. Victims
    are never looked at in ``fit``.

    Threat model: black-box access to ``predict_proba``; the attacker knows the
    victim's other input columns and, for the label features, its true label
    (without ``label`` the shadows learn the target's own predicted labels on
    the auxiliary records and only confidence features are used).
    ``fit`` trains ``n_shadows`` shadow targets and ``2 * (cv + 1)`` imputers
    (``cv + 1`` without a label), queries the shadows ``n_shadows * n_aux *
    n_candidates`` times and the target ``n_aux * n_candidates`` times (plus
    ``n_aux`` without a label, for the labels the shadows learn). Each victim
    costs ``n_candidates`` queries.
"""
        + _SHARED_PARAMETERS
        + """    imputer : classifier, default=None
        Model of ``P(v | known features[, known label])``, cloned and fitted on
        the auxiliary data (and cross-fitted on ``cv`` folds for the shadow
        records). Default: the model of :class:`ImputationBaseline`.
    shadow_estimator : classifier, default=None
        Unfitted model trained as each shadow target. Default: an unfitted
        clone of the target when it is a scikit-learn estimator or
        ``Pipeline`` (``FrozenEstimator`` unwrapped), else a random forest.
    n_shadows : int, default=2
        Number of shadow targets (pairs trained on complementary halves).
    cv : int, default=3
        Folds of the cross-fitted imputation posterior on the auxiliary data.
    tolerance : float, default=1.0
        How far (in standard errors, paired over the records) the held-out
        accuracy on non-members may fall below the imputation's for a weighting
        to be kept (see ``non_member_share_``); ``0`` admits no loss at all.
"""
        + DECISION_PARAMETER
        + """    random_state : int, RandomState instance or None, default=None
        Seed of the splits, the shadows and the default imputer.

    Raises
    ------
    ValueError
        In ``fit``, before any training: a ``decision`` that is not one of its
        forms or names a value that is not a candidate, fewer than 4
        auxiliary records, or (raised by scikit-learn's parameter validation)
        ``n_shadows``, ``cv`` or ``tolerance`` out of range.
"""
        + _SHARED_ATTRIBUTES
        + """    imputer_ : classifier or None
        The imputer fitted on all the auxiliary data (None with a single value).
    coef_ : ndarray of shape (n_features,)
        Weights of :func:`evidence_features` in the conditional logit.
    non_member_share_ : float or None
        Share of the likelihood given to non-members when fitting the weights:
        the first of ``(0.5, 0.65, 0.8, 0.9, 1)`` whose held-out accuracy on
        non-members (the shadows' and the target's own auxiliary records, two
        folds of the records) is not below the imputation's beyond
        ``tolerance``. None if none is: the attack is then the imputation.
    shadow_results_ : dict
        On the shadows' ``"members"`` and on ``"non_members"`` (the shadows'
        and the target's on the auxiliary records): the held-out accuracy of
        this attack's decisions (``"attack"``) and of the imputer's
        (``"imputation"``): what the attacker expects before any victim.
"""
        + DECISION_ATTRIBUTE
        + """
    See Also
    --------
    CombinedCSMIA : Case rules and imputation calibrated on auxiliary data.
    ImputationBaseline : The reference with no access to the target.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skinvert.attacks._shadow import ShadowCalibratedInversion
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(
    ...     n_samples=600, leak=2, feature_dependence=2, random_state=0)
    >>> target = DecisionTreeClassifier(random_state=0).fit(X[:300], y[:300])
    >>> view = np.column_stack([X, y])        # the attacker knows the label too
    >>> attack = ShadowCalibratedInversion(
    ...     target, sensitive=0, label=X.shape[1], imputer=LogisticRegression(),
    ...     random_state=0)
    >>> attack.fit(view[300:], X[300:, 0]).predict_proba(view[:2]).shape
    (2, 2)
    >>> sorted(attack.shadow_results_)
    ['members', 'non_members']
    """
    )

    _parameter_constraints: dict = {
        **BaseInversion._parameter_constraints,
        "imputer": [HasMethods(["fit", "predict_proba"]), None],
        "shadow_estimator": [HasMethods(["fit", "predict_proba"]), None],
        "n_shadows": [Interval(Integral, 1, None, closed="left")],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "tolerance": [Interval(Real, 0, None, closed="left")],
        "decision": [StrOptions({"accuracy", "balanced_accuracy"}), tuple],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        target=None,
        *,
        sensitive=0,
        label=None,
        candidates=None,
        max_candidates=DEFAULT_MAX_CANDIDATES,
        imputer=None,
        shadow_estimator=None,
        n_shadows=2,
        cv=3,
        tolerance=1.0,
        decision="accuracy",
        random_state=None,
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
        verbose=0,
    ):
        super().__init__(
            target,
            sensitive=sensitive,
            label=label,
            candidates=candidates,
            max_candidates=max_candidates,
            batch_size=batch_size,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.imputer = imputer
        self.shadow_estimator = shadow_estimator
        self.n_shadows = n_shadows
        self.cv = cv
        self.tolerance = tolerance
        self.decision = decision
        self.random_state = random_state

    # ------------------------------------------------------------ imputation
    def _cross_fitted_prior(self, table, codes, folds):
        """Out-of-fold imputation posteriors of the auxiliary records."""
        n, k = len(codes), len(self.classes_)
        out = np.empty((n, k))
        for train, test in folds:
            fallback = np.bincount(codes[train], minlength=k) / len(train)
            model = fit_imputer(
                self.imputer, _take(table, train), codes[train], self.random_state
            )
            out[test] = imputed_proba(model, _take(table, test), k, fallback)
        return out

    # ---------------------------------------------------------------- shadows
    def _shadow_answers(self, model, records):
        answers = query_target(
            model,
            records,
            self.sensitive_indices_,
            self.candidates_,
            batch_size=self.batch_size,
            n_jobs=self.n_jobs,
        )
        classes = np.asarray(self.target_classes_)
        found = [np.flatnonzero(classes == c) for c in model.classes_]
        if any(len(f) != 1 for f in found):
            raise ValueError(
                f"A shadow target learned classes {list(model.classes_)}, which are "
                f"not among the target's classes_ {classes.tolist()}."
            )
        full = np.zeros((*answers.shape[:2], len(classes)))
        full[:, :, [int(f[0]) for f in found]] = answers
        return full

    def _task_labels(self, truth, labels):
        if labels is not None:
            return np.asarray(self.target_classes_)[labels]
        # without a known label the shadows learn what the target predicts
        return query_target(
            self.target,
            truth,
            method="predict",
            batch_size=self.batch_size,
            n_jobs=self.n_jobs,
        )

    def _fit(self, records, codes, labels):
        check_decision(self.decision, self.classes_)
        n = len(codes)
        if n < 4:
            raise ValueError(
                f"{type(self).__name__} splits the auxiliary data between shadow "
                f"targets and needs at least 4 records; got n_samples={n}."
            )
        rng = check_random_state(self.random_state)
        # the folds' seed is rng's first draw: for an int random_state, the folds
        # of the combined attacks and of the audit's reference (whose imputers an
        # audit then fits once)
        folds = shuffled_folds(n, self.cv, rng, codes)
        truth = self._fill(records, self.candidates_[codes])
        table = known_feature_table(self._known(records), labels)
        prior = self._cross_fitted_prior(table, codes, folds)
        known = self._known(records)
        prior_x = None
        if labels is not None:
            prior_x = self._cross_fitted_prior(known, codes, folds)
        shadows = make_shadow_targets(
            self.target,
            truth,
            self._task_labels(truth, labels),
            n_shadows=self.n_shadows,
            shadow_estimator=self.shadow_estimator,
            random_state=rng,
            n_jobs=self.n_jobs,
        )
        answers = [self._shadow_answers(m, records) for m, _ in shadows]
        # the target itself on the auxiliary records: its own non-members
        answers.append(self._query(records))
        features = np.concatenate(
            [evidence_features(a, labels, prior, prior_x) for a in answers]
        )
        members = np.concatenate(
            [mask for _, mask in shadows] + [np.zeros(n, dtype=bool)]
        )
        stacked = np.tile(codes, len(answers))
        records_of = np.tile(np.arange(n), len(answers))
        imputed = argmax_with_prior(np.tile(prior, (len(answers), 1)), self.prior_)
        self._calibrate(features, stacked, members, records_of, imputed, rng)
        self.imputer_ = fit_imputer(self.imputer, table, codes, self.random_state)
        self.feature_imputer_ = None
        if labels is not None:
            self.feature_imputer_ = fit_imputer(
                self.imputer, known, codes, self.random_state
            )

    def _calibrate(self, features, codes, members, records_of, imputed, rng):
        """Weights, decision and shadow results, the non-member share by cross-fit.

        The conditional logit is fitted with non-members weighing ``share`` of
        the likelihood, for increasing shares; the first share whose held-out
        accuracy on non-members (two folds of the auxiliary records, every row
        of a record in the same fold) is not below the imputation's beyond
        ``tolerance`` standard errors is kept.
        If none is, the attack is the imputation.
        """
        scale = features.reshape(-1, features.shape[2]).std(axis=0)
        scale[scale == 0] = 1.0
        features = features / scale
        start = np.zeros(len(scale))
        start[:2] = scale[:2]  # the imputation log-posterior with weight 1
        lower = np.full(len(scale), -np.inf)
        lower[:2] = _MIN_PRIOR_WEIGHT * scale[:2]
        fold = rng.permutation(records_of.max() + 1)[records_of] % 2 == 0
        imputation_right = imputed == codes
        chosen, held_out = None, None
        for share in _NON_MEMBER_SHARES:
            weight = _population_weights(members, share)
            proba = np.empty(features.shape[:2])
            for test in (fold, ~fold):
                w = fit_conditional_logit(
                    features[~test], codes[~test], start, lower, weight[~test]
                )
                proba[test] = _softmax(features[test] @ w)
            right = argmax_with_prior(proba, self.prior_) == codes
            loss = imputation_right[~members] - right[~members].astype(float)
            noise = self.tolerance * loss.std() / np.sqrt(loss.size)
            if loss.mean() <= noise:
                chosen, held_out = share, proba
                break
        if chosen is None:
            weights, held_out = start, _softmax(features @ start)
        else:
            weight = _population_weights(members, chosen)
            weights = fit_conditional_logit(features, codes, start, lower, weight)
        self.non_member_share_ = chosen
        self.coef_ = weights / scale
        self.decision_bias_ = choose_bias(
            held_out, codes, self.decision, self.classes_, self.prior_
        )
        attack_right = self._best(held_out) == codes
        self.shadow_results_ = {
            name: {
                "attack": float(attack_right[mask].mean()),
                "imputation": float(imputation_right[mask].mean()),
            }
            for name, mask in (("members", members), ("non_members", ~members))
        }

    def _posterior(self, records, labels):
        table = known_feature_table(self._known(records), labels)
        prior = imputed_proba(self.imputer_, table, len(self.classes_), self.prior_)
        prior_x = None
        if labels is not None:
            known = self._known(records)
            prior_x = imputed_proba(
                self.feature_imputer_, known, len(self.classes_), self.prior_
            )
        features = evidence_features(self._query(records), labels, prior, prior_x)
        return _softmax(features @ self.coef_)
