"""Black-box attacks that read the target's confidences on completed records."""

import numpy as np
from sklearn.utils._param_validation import StrOptions

from ..base import DEFAULT_BATCH_SIZE, DEFAULT_MAX_CANDIDATES, BaseInversion

_SHARED_PARAMETERS = """
    Parameters
    ----------
    target : classifier
        The fitted model under attack, exposing ``predict_proba`` and ``classes_``.
        Wrap it in :class:`sklearn.frozen.FrozenEstimator` to use the attack in
        ``GridSearchCV`` or ``cross_val_score``; it is never refitted.
    sensitive : str, int or list, default=0
        The sensitive column: a name for DataFrames, a position for arrays
        (positions index the columns of ``X`` as passed). A list of several
        columns infers them jointly over the product of their candidates
        (also the way to treat non-sensitive columns the attacker does not know).
    label : str or int, default=None
        The column of ``X`` holding the victim's known task label, if the threat
        model grants it. ``X`` without that column is the target's layout.
    candidates : array-like, default=None
        Values the sensitive attribute can take. Default: those in the auxiliary
        data seen by ``fit`` (a list of per-column value lists for joint
        inference).
    max_candidates : int, default=4096
        Largest number of candidates (product over the sensitive columns) the
        attack accepts; each costs one target query per victim.
    batch_size : int, default=65536
        Maximum number of completed records per target query (bounds memory).
    n_jobs : int, default=None
        Parallel jobs for the queries (joblib; ``None`` means 1). Any joblib
        backend set with :func:`joblib.parallel_config` is used, Dask's included.
    verbose : int, default=0
        If positive, show a progress bar over the query batches when there are
        at least 4 (needs ``tqdm``, the ``progress`` extra).
"""

_PRIOR_PARAMETER = """    prior : {"empirical", "uniform"}, default="empirical"
        Prior over the candidates: their frequencies in the auxiliary data, or
        uniform (the attacker ignores how common each value is).
"""

_SHARED_ATTRIBUTES = """
    Attributes
    ----------
    classes_ : ndarray of shape (n_candidates,)
        The candidate values of the sensitive attribute.
    prior_ : ndarray of shape (n_candidates,)
        Their frequencies in the auxiliary data.
    target_classes_ : ndarray
        The target's ``classes_``.
    queries_per_victim_ : int
        Target queries (completed records) made per victim: ``n_candidates``.
    n_features_in_ : int
        Number of columns of ``X`` seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names of ``X`` seen in ``fit`` (DataFrames only).
    label_index_ : int or None
        Position of the known-label column in ``X``.
    sensitive_indices_ : list of int
        Positions of the sensitive column(s) in the target's layout.
"""


# Up to this many classes, a loop of whole-array operations over the classes beats
# NumPy's reductions along a short last axis (the common binary case by far).
_FEW_CLASSES = 16


def _label_confidence(answers, labels):
    """Confidence each completed record gets for the victim's known label.

    ``answers`` has shape (n, k, n_classes) and ``labels`` (n,) class positions.
    """
    n_classes = answers.shape[2]
    if n_classes > _FEW_CLASSES:
        return np.take_along_axis(answers, labels[:, None, None], axis=2)[:, :, 0]
    out = answers[:, :, 0].copy()
    for j in range(1, n_classes):
        rows = labels == j
        out[rows] = answers[rows, :, j]
    return out


def _top_class(answers):
    """Position and confidence of each answer's top class (first one on ties).

    The same as ``answers.argmax(axis=2)`` and ``answers.max(axis=2)``.
    """
    n_classes = answers.shape[2]
    if n_classes > _FEW_CLASSES:
        return answers.argmax(axis=2), answers.max(axis=2)
    top = answers[:, :, 0].copy()
    position = np.zeros(top.shape, dtype=np.intp)
    for j in range(1, n_classes):
        column = answers[:, :, j]
        better = column > top
        np.copyto(top, column, where=better)
        position[better] = j
    return position, top


class FredriksonInversion(BaseInversion):
    __doc__ = (
        """Black-box inversion by maximum a posteriori over the candidates.

    Fredrikson, Jha & Ristenpart (CCS 2015): for each candidate value ``v`` of the
    sensitive attribute, complete the victim's record with ``v`` and query the
    target; score ``v`` by ``prior(v) * f(x_v)[y]``, the prior learned from the
    auxiliary data times the target's confidence in the victim's known label ``y``.
    Normalised, the scores are the posterior ``P(v | known features, y)`` when the
    target's confidences are calibrated and ``v`` is independent of the known
    features. Without a known label (``label=None``) the target's confidence in its
    own top class stands in for ``f(x_v)[y]``, as the paper discusses.

    Threat model: black-box access to ``predict_proba``; the attacker knows the
    victim's other input columns and, optionally, its true label.
"""
        + _SHARED_PARAMETERS
        + _PRIOR_PARAMETER
        + _SHARED_ATTRIBUTES
        + """
    See Also
    --------
    CSMIA : Case rules on the target's predicted labels and confidences.
    ImputationBaseline : The reference that uses no access to the target.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skinvert.attacks import FredriksonInversion
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(n_samples=600, leak=3, random_state=0)
    >>> target = RandomForestClassifier(random_state=0).fit(X[:300], y[:300])
    >>> import numpy as np
    >>> view = np.column_stack([X, y])        # the attacker knows the label too
    >>> attack = FredriksonInversion(target, sensitive=0, label=X.shape[1])
    >>> attack.fit(view[300:], X[300:, 0]).predict(view[:5]).shape
    (5,)
    """
    )

    _parameter_constraints: dict = {
        **BaseInversion._parameter_constraints,
        "prior": [StrOptions({"empirical", "uniform"})],
    }

    def __init__(
        self,
        target=None,
        *,
        sensitive=0,
        label=None,
        candidates=None,
        max_candidates=DEFAULT_MAX_CANDIDATES,
        prior="empirical",
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
        self.prior = prior

    def _posterior(self, records, labels):
        answers = self._query(records)
        if labels is None:
            confidence = _top_class(answers)[1]
        else:
            confidence = _label_confidence(answers, labels)
        if self.prior == "uniform":
            return confidence
        return confidence * self.prior_


class CSMIA(BaseInversion):
    __doc__ = (
        """Confidence-score model inversion attack (CSMIA).

    Mehnaz et al. (USENIX Security 2022): complete the victim's record with each
    candidate and query the target. If exactly one candidate makes the target
    predict the victim's known label, infer it; if several do, infer the one whose
    confidence in that label is highest; if none does, infer the one with the
    lowest confidence in its (wrong) prediction. Ties left by these rules go to the
    more frequent value in the auxiliary data.

    ``predict_proba`` returns the case-rule score normalised over the candidates:
    ``1 + f(x_v)[y]`` for candidates reproducing the label, ``1 - max f(x_v)`` for
    the others. Its argmax is the attack's decision and it ranks victims for ROC
    analysis; it is not calibrated.

    Threat model: black-box access to ``predict_proba``; the attacker knows the
    victim's other input columns and its true label (``label`` is required).
"""
        + _SHARED_PARAMETERS
        + _SHARED_ATTRIBUTES
        + """
    See Also
    --------
    FredriksonInversion : Prior times confidence in the known label.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skinvert.attacks import CSMIA
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(n_samples=600, leak=3, random_state=0)
    >>> target = RandomForestClassifier(random_state=0).fit(X[:300], y[:300])
    >>> view = np.column_stack([X, y])
    >>> attack = CSMIA(target, sensitive=0, label=X.shape[1])
    >>> attack.fit(view[300:], X[300:, 0]).predict_proba(view[:2]).shape
    (2, 2)
    """
    )

    _needs_label = True

    def _posterior(self, records, labels):
        answers = self._query(records)
        top_class, top_confidence = _top_class(answers)
        # where the label is reproduced, its confidence is the top confidence:
        # 1 + confidence in the label there, 1 - confidence in the top class elsewhere
        np.negative(
            top_confidence, out=top_confidence, where=top_class != labels[:, None]
        )
        top_confidence += 1.0
        return top_confidence
