"""Shadow models, and the shadow-model membership attack of Shokri et al. (S&P 2017).

The shadow machinery is shared with :class:`LiRA` and :class:`RMIA`: ``n_shadows``
copies of the target's learning algorithm are trained, through
:class:`joblib.Parallel` (any joblib backend, Dask's included, trains them), each
on a random half of the attacker's records, chosen so that every record is in the
training set of exactly half the shadows. Nothing is written to disk: the shadows'
answers come back as arrays.
"""

import zlib
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.utils import check_random_state

from .._query import DEFAULT_BATCH_SIZE, _take_rows
from ..utils._memo import fit_shared
from ..utils._optional import import_optional, is_pandas_dataframe
from ..utils._shadow import reseed
from ..utils._sklearn import HasMethods, Interval
from ..utils._threads import bounded, thread_budget
from ._base import (
    BaseMembershipAttack,
    default_shadow,
    logit_confidence,
    shared_attributes,
)


def inclusion_matrix(n_shadows, n_records, rng):
    """Boolean (n_shadows, n_records): record i trains shadow j.

    Each column holds exactly ``n_shadows // 2`` True entries at random positions,
    so every record is in (and out of) the training set of half the shadows.
    """
    order = rng.random((n_shadows, n_records)).argsort(axis=0)
    return order < n_shadows // 2


def _aligned_proba(model, records, classes):
    """``model.predict_proba(records)`` with one column per entry of ``classes``."""
    proba = np.asarray(model.predict_proba(records), dtype=np.float64)
    if proba.shape[1] == len(classes) and np.array_equal(model.classes_, classes):
        return proba
    out = np.zeros((proba.shape[0], len(classes)))
    out[:, np.searchsorted(classes, model.classes_)] = proba
    return out


def _train_shadow(model, records, labels, inside, classes, keep):
    """Fit one shadow on the rows ``inside``; its confidences on every record."""
    rows = np.flatnonzero(inside)
    # shared within an audit: LiRA and RMIA seeded alike train the same shadows
    model = fit_shared(model, _take_rows(records, rows), labels[rows])
    return _aligned_proba(model, records, classes), (model if keep else None)


def train_shadows(template, records, labels, inside, classes, *, seeds, keep, n_jobs):
    """Train one shadow per row of ``inside``; return (n_shadows, n, C) and models.

    ``template`` is an unfitted estimator (``None``: :func:`default_shadow` of the
    target is passed in by the caller), cloned for each shadow with its seed.
    """
    tasks = []
    # threads (tree and boosting fits release the GIL), each bounding its own
    # OpenMP pool; any joblib backend set by the caller is honoured
    limit = thread_budget(n_jobs, min(len(inside), effective_n_jobs(n_jobs)))
    train = delayed(bounded(_train_shadow, limit))
    for seed, mask in zip(seeds, inside):
        model = reseed(clone(template), int(seed), deep=False)
        tasks.append(train(model, records, labels, mask, classes, keep))
    results = Parallel(n_jobs=n_jobs, prefer="threads")(tasks)
    answers = np.stack([proba for proba, _ in results])
    return answers, [model for _, model in results] if keep else None


def row_keys(records, codes):
    """One row of integers per record that equal records (and labels) share."""
    if is_pandas_dataframe(records):
        pd = import_optional("pandas")
        hashes = pd.util.hash_pandas_object(records, index=False).to_numpy()
        keys = hashes.astype(np.uint64)[:, None]
    elif records.dtype.kind in "biuf":
        values = np.ascontiguousarray(records, dtype=np.float64) + 0.0  # -0.0 -> 0.0
        keys = values.view(np.uint64).reshape(records.shape[0], -1)
    else:  # object arrays: stable checksums of the rows' text (no vectorised hash)
        texts = ["\x1f".join(map(str, row)).encode() for row in records]
        keys = np.array(
            [[zlib.crc32(t), zlib.adler32(t), len(t)] for t in texts], dtype=np.uint64
        )
    if codes is None:
        return keys
    return np.column_stack([keys, np.asarray(codes, dtype=np.uint64)])


def lookup_rows(pool_keys, keys):
    """Position of each row of ``keys`` in ``pool_keys`` (first match), -1 if absent."""
    both = np.concatenate([pool_keys, keys])
    _, inverse = np.unique(both, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    n_pool = pool_keys.shape[0]
    first = np.full(inverse.max() + 1, -1, dtype=np.int64)
    first[inverse[:n_pool][::-1]] = np.arange(n_pool)[::-1]
    return first[inverse[n_pool:]]


class ShadowAttackMixin:
    """What the shadow-based attacks share: labels for the shadows, training."""

    def _labels_for_shadows(self, records, codes):
        """Label codes of the attacker's records (the target's guesses if unknown)."""
        if codes is not None:
            return codes, 0
        return self._query(records).argmax(axis=1), records.shape[0]

    def _shadows(self, records, codes, keep):
        rng = check_random_state(self.random_state)
        inside = inclusion_matrix(self.n_shadows, records.shape[0], rng)
        seeds = rng.randint(np.iinfo(np.int32).max, size=self.n_shadows)
        template = self.shadow_estimator
        if template is None:
            template = default_shadow(self.target, None)
        answers, models = train_shadows(
            template,
            records,
            self.target_classes_[codes],
            inside,
            self.target_classes_,
            seeds=seeds,
            keep=keep,
            n_jobs=self.n_jobs,
        )
        return inside, answers, models

    def _check_pool(self, records):
        if records.shape[0] < 2:
            raise ValueError(
                f"{type(self).__name__} trains shadow models on halves of the "
                f"records passed to fit; got n_samples = {records.shape[0]}, need "
                "at least 2 (in practice, hundreds)."
            )


_SHADOW_CONSTRAINTS = {
    **BaseMembershipAttack._parameter_constraints,
    "n_shadows": [Interval(Integral, 2, None, closed="left")],
    "shadow_estimator": [HasMethods(["fit", "predict_proba"]), None],
    "random_state": ["random_state"],
}


def _attack_features(proba, codes):
    """Shokri et al.'s attack input: sorted confidences and the label's logit."""
    ranked = -np.sort(-proba, axis=-1)
    return np.concatenate([ranked, logit_confidence(proba, codes)[..., None]], axis=-1)


@shared_attributes
class ShadowModelAttack(ShadowAttackMixin, BaseMembershipAttack):
    """Membership by an attack model trained on shadow models' members.

    Shokri, Stronati, Song & Shmatikov, "Membership Inference Attacks Against
    Machine Learning Models" (S&P 2017). The attacker trains ``n_shadows`` shadow
    models like the target, each on a random half of its own records, so that it
    knows which records each shadow saw. An attack classifier learns, from the
    shadows' answers, to tell a member's answer from a non-member's: its input is
    the confidence vector sorted in decreasing order plus the logit-scaled
    confidence in the record's label. Applied to the target's answer on a record,
    it scores membership.

    Threat model: black-box access to ``predict_proba`` (one query per record to
    score); the attacker knows records from the target's population (``fit``'s
    ``X``, its auxiliary data; their membership in the target is not needed) and
    the target's learning algorithm (a clone of the target when it is a
    scikit-learn estimator, else a random forest, or ``shadow_estimator``).

    Parameters
    ----------
    target : classifier
        The fitted model under attack, exposing ``predict_proba`` and ``classes_``.
    label : str or int, default=None
        The column of ``X`` holding the records' task labels. ``None``: unknown;
        the shadows learn the target's own predictions (one query per record in
        ``fit``) and scores use the top class.
    n_shadows : int, default=4
        Number of shadow models (at least 2).
    shadow_estimator : estimator, default=None
        Unfitted learner of the shadows; ``None``: as described above.
    attack_estimator : classifier, default=None
        Unfitted attack classifier; ``None``: a histogram gradient boosting.
    batch_size : int, default=65536
        Maximum number of records per target query.
    n_jobs : int, default=None
        Parallel jobs for the shadows and the queries (joblib).
    random_state : int, RandomState instance or None, default=None
        Seeds the shadows' halves, the shadows and the attack classifier.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        ``[0, 1]``: non-member, member.
    attack_model_ : classifier
        The fitted attack classifier.
    threshold_ : float
        0.5: records whose score (membership probability) exceeds it are members.
    {shared_attributes}

    Raises
    ------
    ValueError
        If ``fit`` gets fewer than 2 records, or ``y`` is not 0/1.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skinvert.membership import ShadowModelAttack
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 4)); y = rng.integers(0, 2, 600)
    >>> target = DecisionTreeClassifier(random_state=0).fit(X[:200], y[:200])
    >>> view = np.column_stack([X, y])
    >>> attack = ShadowModelAttack(target, label=4, random_state=0).fit(view[400:])
    >>> member = np.r_[np.ones(200, int), np.zeros(200, int)]
    >>> float(attack.score(view[:400], member)) > 0.7
    True
    """

    _parameter_constraints: dict = {
        **_SHADOW_CONSTRAINTS,
        "attack_estimator": [HasMethods(["fit", "predict_proba"]), None],
    }

    def __init__(
        self,
        target=None,
        *,
        label=None,
        n_shadows=4,
        shadow_estimator=None,
        attack_estimator=None,
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
        random_state=None,
    ):
        self.target = target
        self.label = label
        self.n_shadows = n_shadows
        self.shadow_estimator = shadow_estimator
        self.attack_estimator = attack_estimator
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _fit(self, records, codes, membership):
        self._check_pool(records)
        codes, queries = self._labels_for_shadows(records, codes)
        inside, answers, _ = self._shadows(records, codes, keep=False)
        features = _attack_features(answers, codes).reshape(-1, answers.shape[2] + 1)
        model = self.attack_estimator
        if model is None:
            model = HistGradientBoostingClassifier(max_iter=100)
        model = clone(model)
        if "random_state" in model.get_params():
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            model.set_params(random_state=seed)
        self.attack_model_ = model.fit(features, inside.ravel().astype(np.int64))
        self.threshold_ = 0.5
        self.n_fit_queries_ = queries

    def _score(self, records, codes):
        proba = self._query(records)
        if codes is None:
            codes = proba.argmax(axis=1)
        features = _attack_features(proba, codes)
        member = np.searchsorted(self.attack_model_.classes_, 1)
        if member >= len(self.attack_model_.classes_):  # shadows saw no member
            return np.zeros(records.shape[0])
        return self.attack_model_.predict_proba(features)[:, member]

    def _proba(self, scores):
        return scores
