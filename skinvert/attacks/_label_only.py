"""Label-only attacks: the target exposes ``predict`` and nothing else."""

from numbers import Integral, Real

import numpy as np

from .._docstrings import _SHARED_ATTRIBUTES, _SHARED_PARAMETERS
from .._query import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_CANDIDATES,
    _take_rows,
    query_target,
)
from ..base import BaseInversion
from ..utils._shadow import make_shadow_targets
from ..utils._sklearn import HasMethods, Interval, StrOptions
from ._default_models import fit_imputer, imputed_proba
from ._imputation import known_feature_table


def parameters_with_target(target_text):
    """The shared parameter section with its ``target`` entry replaced."""
    _, marker, rest = _SHARED_PARAMETERS.partition("    sensitive :")
    return "\n    Parameters\n    ----------\n" + target_text + marker + rest


_LABEL_ONLY_PARAMETERS = parameters_with_target(
    """    target : classifier
        The fitted model under attack, exposing ``predict`` and ``classes_``
        (``predict_proba`` is never used). Wrap it in
        :class:`sklearn.frozen.FrozenEstimator` to use the attack in
        ``GridSearchCV`` or ``cross_val_score``; it is never refitted.
"""
)


def output_codes(classes, outputs):
    """Positions in ``classes`` of the labels the target's ``predict`` returned.

    Parameters
    ----------
    classes : ndarray of shape (n_classes,)
        The target's ``classes_``.
    outputs : ndarray
        Labels returned by the target's ``predict`` (any shape).

    Returns
    -------
    codes : ndarray of int, same shape as ``outputs``
    """
    outputs = np.asarray(outputs)
    order = np.argsort(classes)
    found = np.searchsorted(classes, outputs, sorter=order)
    codes = order[np.clip(found, 0, len(classes) - 1)]
    unknown = classes[codes] != outputs
    if np.any(unknown):
        raise ValueError(
            f"The target's predict returned {np.unique(outputs[unknown])[:5].tolist()}"
            f", which are not among its classes_ {classes.tolist()}. The target must "
            "predict labels from its own classes_ (set classes_ on a wrapper)."
        )
    return codes


def answers_on_truth(attack, records, codes, method):
    """The target's answers on the auxiliary records with their true values.

    The records are completed with ``candidates_[codes]`` (one candidate per
    record), so the content of the sensitive column in ``X`` is never read in
    ``fit``, and categorical dtypes are kept as the target saw them.
    """
    truth = attack.candidates_[codes][:, None, :]
    answers = query_target(
        attack.target,
        records,
        attack.sensitive_indices_,
        truth,
        method=method,
        batch_size=attack.batch_size,
        n_jobs=attack.n_jobs,
        verbose=attack._verbosity(),
    )
    return answers[:, 0]


def _single_matches(reproduced):
    """Victims with exactly one candidate reproducing the label, and that candidate."""
    single = reproduced.sum(axis=1) == 1
    return single, np.argmax(reproduced, axis=1)


class FredriksonLabelOnly(BaseInversion):
    __doc__ = (
        """Label-only maximum a posteriori inversion with the target's confusion matrix.

    Fredrikson, Lantz, Jha, Lin, Page & Ristenpart (USENIX Security 2014,
    "Privacy in pharmacogenetics"): for each candidate value ``v`` of the
    sensitive attribute, complete the victim's record with ``v`` and ask the
    target for its predicted label ``f(x_v)``; score ``v`` by

        ``prior(v) * P(target outputs f(x_v) | true label is y)``,

    where ``y`` is the victim's known label and ``P(output | true label)`` is the
    target's confusion matrix, estimated in ``fit`` by querying the target on the
    auxiliary records (with their true sensitive values) and smoothed additively
    (``smoothing`` pseudo-counts per cell) so that no output has probability zero.
    Normalised, the scores are the paper's MAP posterior under its assumption
    that the sensitive value is independent of the known features.

    The auxiliary records are not members of the target, and a model errs on
    its members differently (an overfit forest reproduces their labels). With
    ``confusion="shadow"`` the matrix is estimated instead on the members of
    shadow targets (Shokri et al., IEEE S&P 2017) the attacker trains like the
    target on halves of its auxiliary data (see
    :func:`~skinvert.utils._shadow.make_shadow_targets`); ``"both"`` pools
    the counts of the shadows' members and of the target on the auxiliary
    records, for victims of unknown membership.

    Threat model: black-box access to ``predict`` only (labels, no
    confidences); the attacker knows the victim's other input columns and its
    true label (``label`` is required) and holds auxiliary records drawn from
    the same population. Each victim costs ``n_candidates`` queries, each
    auxiliary record one.
"""
        + _LABEL_ONLY_PARAMETERS
        + """    smoothing : float, default=1.0
        Pseudo-count added to every cell of the confusion matrix before its rows
        are normalised (Laplace smoothing). ``0`` keeps the raw frequencies; a true
        label absent from the auxiliary data then gets a uniform row.
    confusion : {"aux", "shadow", "both"}, default="aux"
        Where the confusion matrix is estimated: the target on the auxiliary
        records (non-members), shadow targets on their members, or both pooled.
    n_shadows : int, default=2
        Number of shadow targets (``confusion="shadow"`` or ``"both"``).
    shadow_estimator : classifier, default=None
        Unfitted model trained as each shadow target. Default: an unfitted
        clone of the target when it is a scikit-learn estimator or
        ``Pipeline`` (``FrozenEstimator`` unwrapped), else a random forest.
    random_state : int, RandomState instance or None, default=None
        Seed of the shadow targets' splits and training.
"""
        + _SHARED_ATTRIBUTES
        + """    confusion_ : ndarray of shape (n_target_classes, n_target_classes)
        ``confusion_[t, o]``: estimated probability that the target predicts
        ``target_classes_[o]`` for a record whose true label is
        ``target_classes_[t]``; rows sum to one.

    See Also
    --------
    FredriksonInversion : The same estimator on the target's confidences.
    LOMIA : Label-only attack with an attack model.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skinvert.attacks import FredriksonLabelOnly
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(n_samples=600, leak=3, random_state=0)
    >>> target = RandomForestClassifier(random_state=0).fit(X[:300], y[:300])
    >>> view = np.column_stack([X, y])        # the attacker knows the label too
    >>> attack = FredriksonLabelOnly(target, sensitive=0, label=X.shape[1])
    >>> attack.fit(view[300:], X[300:, 0]).confusion_.shape
    (2, 2)
    >>> attack.predict(view[:5]).shape
    (5,)
    """
    )

    _target_method = "predict"
    _needs_label = True

    _parameter_constraints: dict = {
        **BaseInversion._parameter_constraints,
        "smoothing": [Interval(Real, 0, None, closed="left")],
        "confusion": [StrOptions({"aux", "shadow", "both"})],
        "n_shadows": [Interval(Integral, 1, None, closed="left")],
        "shadow_estimator": [HasMethods(["fit", "predict"]), None],
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
        smoothing=1.0,
        confusion="aux",
        n_shadows=2,
        shadow_estimator=None,
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
        self.smoothing = smoothing
        self.confusion = confusion
        self.n_shadows = n_shadows
        self.shadow_estimator = shadow_estimator
        self.random_state = random_state

    def _shadow_pairs(self, records, codes, labels):
        """(true label, shadow output) codes on every shadow's members."""
        if records.shape[0] < 4:
            raise ValueError(
                f"confusion={self.confusion!r} splits the auxiliary data between "
                "shadow targets and needs at least 4 records; got "
                f"n_samples={records.shape[0]}."
            )
        truth = self._fill(records, self.candidates_[codes])
        shadows = make_shadow_targets(
            self.target,
            truth,
            np.asarray(self.target_classes_)[labels],
            n_shadows=self.n_shadows,
            shadow_estimator=self.shadow_estimator,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
        )
        true, said = [], []
        for model, members in shadows:
            rows = np.flatnonzero(members)
            outputs = query_target(
                model,
                _take_rows(truth, rows),
                method="predict",
                batch_size=self.batch_size,
                n_jobs=self.n_jobs,
            )
            true.append(labels[rows])
            said.append(output_codes(self.target_classes_, outputs))
        return np.concatenate(true), np.concatenate(said)

    def _fit(self, records, codes, labels):
        true, said = labels[:0], labels[:0]
        if self.confusion in ("shadow", "both"):
            true, said = self._shadow_pairs(records, codes, labels)
        if self.confusion in ("aux", "both"):
            outputs = answers_on_truth(self, records, codes, "predict")
            predicted = output_codes(self.target_classes_, outputs)
            true = np.concatenate([true, labels])
            said = np.concatenate([said, predicted])
        c = len(self.target_classes_)
        counts = np.bincount(true * c + said, minlength=c * c).reshape(c, c)
        counts = counts + float(self.smoothing)
        totals = counts.sum(axis=1, keepdims=True)
        uniform = np.full_like(counts, 1.0 / c)
        self.confusion_ = np.divide(counts, totals, out=uniform, where=totals > 0)

    def _posterior(self, records, labels):
        predicted = output_codes(self.target_classes_, self._query(records))
        return self.confusion_[labels[:, None], predicted] * self.prior_


class LOMIA(BaseInversion):
    __doc__ = (
        """Label-only model inversion attack (LOMIA) with an attack model.

    Mehnaz, Dibbo, Kabir, Li & Bertino (USENIX Security 2022, "Are your
    sensitive attributes private?"): complete each victim's record with every
    candidate value and ask the target for its label. When exactly one
    candidate makes the target reproduce the victim's known label, that
    candidate is a confident guess (a pseudo-label). An attack model trained on
    ``(known features, known label) -> pseudo-label`` then infers the sensitive
    value of every victim.

    In the paper the attack model is trained on the victims' own single-match
    records, which makes the attack transductive: each victim's inference
    depends on the others. Here the attack model is trained once in ``fit`` on
    the auxiliary data, so ``predict`` is the same for a victim whatever the
    batch it comes in, works for a single victim, and costs no training at
    inference. ``train_on`` chooses its training set:

    - ``"pseudo"``: the auxiliary records where exactly one candidate reproduces
      the label, labelled with that candidate (the paper's recipe, moved to the
      auxiliary data);
    - ``"truth"``: every auxiliary record, labelled with its true value (the
      imputation baseline given the label; the target then only enters through
      the single-match rule);
    - ``"both"`` (default): the union of the two. The attacker does know the
      auxiliary truth, and discarding it leaves the model blind on the victims
      the target does not single out (no match or several); the pseudo-labelled
      copies add what the target's decisions reveal. Neither set alone wins
      everywhere: on planted-leak data (forest targets, binary and 3- or
      4-valued attributes) ``"truth"`` is ahead on members for a binary
      attribute, ``"pseudo"`` for many-valued ones and on non-members, and
      ``"both"`` lies between them, within 0.04 accuracy of the better one.

    With ``trust_single_match=True`` a victim whose known label is reproduced by
    exactly one candidate gets that candidate (its posterior is
    ``(2 + p) / 3``, ``p`` the attack model's probability of it, so the
    model's confidence still ranks such victims); the others get the attack
    model's posterior. With ``False`` every victim gets the attack model's
    posterior.

    Threat model: black-box access to ``predict`` only; the attacker knows the
    victim's other input columns and its true label (``label`` is required) and
    holds auxiliary records drawn from the same population. Each auxiliary
    record costs ``n_candidates`` queries, and so does each victim with
    ``trust_single_match=True``; with ``False`` victims are never queried (the
    target only pseudo-labels the auxiliary data, ``queries_per_victim_`` is 0).
"""
        + _LABEL_ONLY_PARAMETERS
        + """    estimator : classifier, default=None
        The attack model, cloned and fitted on the known features plus the known
        label. Default: :func:`~skinvert.attacks._default_models.make_default_imputer`
        (a :class:`~sklearn.ensemble.HistGradientBoostingClassifier`, behind an
        ordinal encoder for non-numeric columns).
    train_on : {"both", "pseudo", "truth"}, default="both"
        Training set of the attack model (see above).
    trust_single_match : bool, default=True
        Whether a victim with exactly one label-reproducing candidate gets it.
    random_state : int, RandomState instance or None, default=None
        Seed of the default attack model.
"""
        + _SHARED_ATTRIBUTES
        + """    estimator_ : classifier or None
        The fitted attack model (None when its training set holds fewer than two
        sensitive values: the posterior is then their frequencies).
    single_match_rate_ : float
        Fraction of the auxiliary records with exactly one label-reproducing
        candidate.
    single_match_accuracy_ : float
        How often that candidate is the true value on those records (NaN if
        there are none): the precision of the single-match rule.

    See Also
    --------
    CSMIA : The case rules on the target's confidences.
    FredriksonLabelOnly : Label-only MAP estimator.
    ImputationBaseline : The reference that uses no access to the target.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skinvert.attacks import LOMIA
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(n_samples=600, leak=3, random_state=0)
    >>> target = RandomForestClassifier(random_state=0).fit(X[:300], y[:300])
    >>> view = np.column_stack([X, y])
    >>> attack = LOMIA(target, sensitive=0, label=X.shape[1], random_state=0)
    >>> attack.fit(view[300:], X[300:, 0]).predict_proba(view[:2]).shape
    (2, 2)
    >>> bool(attack.single_match_accuracy_ > 0.5)
    True
    """
    )

    _target_method = "predict"
    _needs_label = True

    _parameter_constraints: dict = {
        **BaseInversion._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "train_on": [StrOptions({"both", "pseudo", "truth"})],
        "trust_single_match": ["boolean"],
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
        estimator=None,
        train_on="both",
        trust_single_match=True,
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
        self.estimator = estimator
        self.train_on = train_on
        self.trust_single_match = trust_single_match
        self.random_state = random_state

    def _matches(self, records, labels):
        predicted = output_codes(self.target_classes_, self._query(records))
        return _single_matches(predicted == labels[:, None])

    def _fit(self, records, codes, labels):
        single, match = self._matches(records, labels)
        if not self.trust_single_match:  # victims are then never queried
            self.queries_per_victim_ = 0
        self.single_match_rate_ = float(single.mean())
        self.single_match_accuracy_ = (
            float(np.mean(match[single] == codes[single])) if single.any() else np.nan
        )
        rows, targets = [], []
        if self.train_on in ("pseudo", "both"):
            rows.append(np.flatnonzero(single))
            targets.append(match[single])
        if self.train_on in ("truth", "both"):
            rows.append(np.arange(len(codes)))
            targets.append(codes)
        rows, targets = np.concatenate(rows), np.concatenate(targets)
        k = len(self.classes_)
        self._constant_proba_ = (
            np.bincount(targets, minlength=k) / len(targets)
            if len(targets)
            else self.prior_.copy()
        )
        table = _take_rows(known_feature_table(self._known(records), labels), rows)
        # None with a single value to learn: the answer is then _constant_proba_
        self.estimator_ = fit_imputer(self.estimator, table, targets, self.random_state)

    def _model_proba(self, records, labels):
        table = known_feature_table(self._known(records), labels)
        return imputed_proba(
            self.estimator_, table, len(self.classes_), self._constant_proba_
        )

    def _posterior(self, records, labels):
        scores = self._model_proba(records, labels)
        if self.trust_single_match:
            single, match = self._matches(records, labels)
            scores[np.flatnonzero(single), match[single]] += 2.0
        return scores
