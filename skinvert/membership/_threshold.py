"""The loss-threshold membership attack of Yeom et al. (CSF 2018)."""

from numbers import Real

import numpy as np
from scipy.special import expit

from .._query import DEFAULT_BATCH_SIZE
from ..utils._sklearn import Interval
from ._base import BaseMembershipAttack, shared_attributes


def _best_threshold(scores, membership, fpr):
    """Threshold on ``scores`` (flag ``score > t``) from records of known membership.

    With ``fpr=None``, the one maximising TPR - FPR (both classes needed); else the
    lowest one whose false-positive rate on the non-members is at most ``fpr``.
    """
    outside = np.sort(scores[membership == 0])[::-1]
    if fpr is not None:
        allowed = int(np.floor(fpr * outside.size))  # non-members flagged at most
        if allowed >= outside.size:
            return -np.inf
        return float(outside[allowed])
    cuts = np.unique(scores)
    inside = np.sort(scores[membership == 1])
    tpr = 1.0 - np.searchsorted(inside, cuts, side="right") / inside.size
    fp = 1.0 - np.searchsorted(outside[::-1], cuts, side="right") / outside.size
    return float(cuts[np.argmax(tpr - fp)])


@shared_attributes
class LossThresholdAttack(BaseMembershipAttack):
    """Membership by the target's loss on the record: low loss means member.

    Yeom, Giacomelli, Fredrikson & Jha, "Privacy Risk in Machine Learning:
    Analyzing the Connection to Overfitting" (CSF 2018): a model fits its training
    records better than others, so a record on which the target's loss is below a
    threshold is flagged a member. The score (``decision_function``) is minus the
    cross-entropy loss on the record's label, ``log f(x)[y]``; with
    ``label=None`` (labels unknown) the target's confidence in its top class stands
    in (the confidence attack).

    Threat model: black-box access to ``predict_proba`` (one query per record);
    the attacker knows the record and, with ``label``, its label. The threshold is
    learned in ``fit`` from records whose membership the attacker knows: some
    known members and non-members (``y`` with both values; the threshold
    maximises TPR - FPR on them, Yeom et al.'s balanced setting), or only
    non-members, e.g. records collected after training (``y=None`` or all zeros,
    with ``fpr`` set: the threshold flags a fraction ``fpr`` of them). Without
    known members, shadow-model attacks (:class:`LiRA`, :class:`RMIA`) learn what
    a member looks like instead.

    Parameters
    ----------
    target : classifier
        The fitted model under attack, exposing ``predict_proba`` and ``classes_``.
    label : str or int, default=None
        The column of ``X`` holding the record's task label (a name for
        DataFrames, a position for arrays). ``None``: labels are unknown.
    fpr : float, default=None
        If set, the threshold flags at most this fraction of the non-members seen
        in ``fit``; if ``None``, it maximises TPR - FPR on ``fit``'s records.
    batch_size : int, default=65536
        Maximum number of records per target query.
    n_jobs : int, default=None
        Parallel jobs for the queries (joblib).

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        ``[0, 1]``: non-member, member.
    threshold_ : float
        Records scoring above it are flagged members.
    scale_ : float
        Spread of the scores seen in ``fit``; ``predict_proba`` is
        ``sigmoid((score - threshold_) / scale_)``.
    {shared_attributes}

    Raises
    ------
    ValueError
        If ``y`` holds anything but 0/1, or holds no member while ``fpr`` is unset.

    See Also
    --------
    LiRA : Per-record calibration against shadow models.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skinvert.membership import LossThresholdAttack
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 4)); y = rng.integers(0, 2, 400)
    >>> target = RandomForestClassifier(random_state=0).fit(X[:200], y[:200])
    >>> view = np.column_stack([X, y])               # records + their label
    >>> member = np.r_[np.ones(200, int), np.zeros(200, int)]
    >>> attack = LossThresholdAttack(target, label=4).fit(view[::2], member[::2])
    >>> float(attack.score(view[1::2], member[1::2])) > 0.7
    True
    """

    _parameter_constraints: dict = {
        **BaseMembershipAttack._parameter_constraints,
        "fpr": [Interval(Real, 0, 1, closed="both"), None],
    }

    def __init__(
        self,
        target=None,
        *,
        label=None,
        fpr=None,
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
    ):
        self.target = target
        self.label = label
        self.fpr = fpr
        self.batch_size = batch_size
        self.n_jobs = n_jobs

    def _loss_scores(self, records, codes):
        proba = self._query(records)
        p = proba.max(axis=1) if codes is None else proba[np.arange(len(codes)), codes]
        return np.log(np.clip(p, 1e-300, None))

    def _fit(self, records, codes, membership):
        n = records.shape[0]
        if membership is None:
            membership = np.zeros(n, dtype=np.int64)
        if self.fpr is None and (membership.min() == 1 or membership.max() == 0):
            raise ValueError(
                "LossThresholdAttack with fpr=None learns its threshold from known "
                "members and non-members, but y holds one class only: "
                f"{'members' if membership.min() == 1 else 'non-members'}. Pass y "
                "with both values, or set fpr= to place the threshold on "
                "non-members alone."
            )
        if not (membership == 0).any():
            raise ValueError(
                "LossThresholdAttack needs non-members in fit (y == 0) to place its "
                "threshold; y holds only members."
            )
        scores = self._loss_scores(records, codes)
        self.threshold_ = _best_threshold(scores, membership, self.fpr)
        spread = float(np.std(scores))
        self.scale_ = spread if spread > 0 else 1.0
        self.n_fit_queries_ = n

    def _score(self, records, codes):
        return self._loss_scores(records, codes)

    def _proba(self, scores):
        return expit((scores - self.threshold_) / self.scale_)
