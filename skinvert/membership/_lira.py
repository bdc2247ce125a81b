"""Per-record membership tests against reference (shadow) models: LiRA and RMIA.

Both train ``n_shadows`` reference models, each on a random half of the
attacker's records (the pool given to ``fit``), so that every pool record is in
half of them and out of the other half; both compare the target's answer on a
record with the reference models' answers on the same record.
"""

from numbers import Real

import numpy as np
from scipy.special import expit, ndtr

from .._query import DEFAULT_BATCH_SIZE
from ..utils._sklearn import Interval, StrOptions
from ._base import BaseMembershipAttack, logit_confidence, shared_attributes
from ._shadow import (
    _SHADOW_CONSTRAINTS,
    ShadowAttackMixin,
    _aligned_proba,
    lookup_rows,
    row_keys,
)

_MIN_SD = 1e-3  # floor of the fitted standard deviations (logit units)


def _masked_moments(values, mask):
    """Per-column mean and variance of ``values`` over the True cells of ``mask``."""
    count = mask.sum(axis=0)
    total = np.where(mask, values, 0.0).sum(axis=0)
    mean = total / np.maximum(count, 1)
    squares = np.where(mask, (values - mean) ** 2, 0.0).sum(axis=0)
    return mean, squares, count


class _ReferenceAttack(ShadowAttackMixin, BaseMembershipAttack):
    """Shared by LiRA and RMIA: reference models over the pool, row lookup."""

    _parameter_constraints: dict = {
        **_SHADOW_CONSTRAINTS,
        "online": ["boolean"],
        "keep_shadows": ["boolean"],
    }

    def _fit(self, records, codes, membership):
        self._check_pool(records)
        codes, queries = self._labels_for_shadows(records, codes)
        inside, answers, models = self._shadows(records, codes, keep=self.keep_shadows)
        self.shadow_models_ = models
        self._pool_keys = row_keys(records, None if self.label is None else codes)
        self.n_fit_queries_ = queries
        self._fit_reference(records, codes, inside, answers)

    def _reference_rows(self, records, codes, proba):
        """Pool position of each record (-1 if absent), after checking we can score.

        Returns positions and, for records outside the pool, the kept shadows'
        answers on them (or None).
        """
        keys = row_keys(records, None if self.label is None else codes)
        where = lookup_rows(self._pool_keys, keys)
        absent = np.flatnonzero(where < 0)
        if absent.size == 0:
            return where, None
        name = type(self).__name__
        if self.online:
            raise ValueError(
                f"{name}(online=True) scores only records of the pool passed to fit "
                f"(it needs reference models trained with each of them); "
                f"{absent.size} of the {len(where)} records are not in it. Include "
                "the victims in fit's X, or use online=False."
            )
        if self.shadow_models_ is None:
            raise ValueError(
                f"{absent.size} of the {len(where)} records are not in the pool "
                f"passed to fit, and {name} was fitted with keep_shadows=False, so "
                "no reference model can answer on them. Include them in fit's X, "
                "or refit with keep_shadows=True."
            )
        rows = records[absent] if not hasattr(records, "iloc") else records.iloc[absent]
        answers = np.stack(
            [_aligned_proba(m, rows, self.target_classes_) for m in self.shadow_models_]
        )
        return where, (absent, answers)

    def _score(self, records, codes):
        proba = self._query(records)
        if codes is None:
            codes = proba.argmax(axis=1)
        where, outside = self._reference_rows(records, codes, proba)
        return self._test(proba, codes, where, outside)


class LiRA(_ReferenceAttack):
    """The likelihood-ratio membership attack (LiRA), offline and online.

    Carlini, Chien, Nasr, Song, Terzis & Tramèr, "Membership Inference Attacks
    From First Principles" (S&P 2022). ``fit`` trains ``n_shadows`` shadow models
    like the target, each on a random half of the attacker's pool of records, so
    that each record is in ("IN") half of them and out ("OUT") of the other half.
    For each record, the logit-scaled confidence of the shadows in its label,
    ``phi = log(p / (1 - p))``, is modelled as Gaussian over the IN and over the
    OUT shadows (all records at once, vectorised). The target's ``phi`` on a
    record is then tested:

    * online: ``log N(phi; mu_in, s_in) - log N(phi; mu_out, s_out)``, the
      likelihood ratio (``predict_proba``: its sigmoid);
    * offline (``online=False``): ``(phi - mu_out) / s_out``, the one-sided test
      against the OUT distribution only (``predict_proba``: its normal cdf), which
      needs no shadow trained on the victim: records outside the pool are
      answered by the kept shadows (``keep_shadows=True``), all OUT.

    With few shadows the per-record variances are noisy; as the paper advises, a
    global variance over all records (``variance="global"``, default) is then
    used, ``"per_record"`` fits one per record. ``predict`` flags scores above 0.

    Threat model: black-box access to ``predict_proba`` (one query per record
    scored); the attacker holds a pool of records from the target's population
    that, for the online attack, contains the victims (whose membership it does
    not know); it knows the target's learning algorithm (see
    ``shadow_estimator``). No file is written: the shadows' answers are arrays
    and the shadows are kept in memory only with ``keep_shadows=True``.

    Parameters
    ----------
    target : classifier
        The fitted model under attack, exposing ``predict_proba`` and ``classes_``.
    label : str or int, default=None
        The column of ``X`` holding the records' task labels. ``None``: unknown;
        the shadows learn the target's predictions (one query per pool record in
        ``fit``) and the test uses the top class.
    n_shadows : int, default=16
        Number of shadow models (at least 2; even numbers split evenly). Carlini
        et al. use 64 to 256 and report gains up to there; 16 keeps the training
        cost low (each shadow costs one training of the target's algorithm on
        half the pool).
    online : bool, default=False
        The online test (victims must be in the pool) or the offline one.
    variance : {"global", "per_record"}, default="global"
        One variance for all records (robust with few shadows) or one each.
    shadow_estimator : estimator, default=None
        Unfitted learner of the shadows; ``None``: a clone of the target when it
        is a scikit-learn estimator (unwrapping ``FrozenEstimator``), else a
        random forest.
    keep_shadows : bool, default=True
        Keep the shadows in memory after ``fit``, to score records outside the
        pool (offline only). ``False`` frees them (large forests take memory).
    batch_size : int, default=65536
        Maximum number of records per target query.
    n_jobs : int, default=None
        Parallel jobs (joblib) for training the shadows and for the queries; a
        Dask backend set with :func:`joblib.parallel_config` trains the shadows on
        the cluster.
    random_state : int, RandomState instance or None, default=None
        Seeds the shadows' halves and the shadows.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        ``[0, 1]``: non-member, member.
    mu_in_, mu_out_ : ndarray of shape (n_pool,)
        Mean logit-scaled confidence of the IN and OUT shadows on each pool record.
    sd_in_, sd_out_ : ndarray of shape (n_pool,)
        Their standard deviations (the global one repeated with
        ``variance="global"``).
    shadow_models_ : list of estimators or None
        The shadows (``keep_shadows=True``).
    threshold_ : float
        0.0.
    target_classes_ : ndarray
        The target's ``classes_``.
    label_index_ : int or None
        Position of the label column in ``X``.
    n_fit_queries_ : int
        Target queries made by ``fit`` (0 when labels are known).
    n_features_in_ : int
        Number of columns of ``X`` seen in ``fit``.

    Raises
    ------
    ValueError
        If a record to score is outside the pool with ``online=True`` or
        ``keep_shadows=False``, or ``fit`` gets fewer than 2 records.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skinvert.membership import LiRA
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 4)); y = rng.integers(0, 2, 400)
    >>> target = DecisionTreeClassifier(random_state=0).fit(X[:200], y[:200])
    >>> view = np.column_stack([X, y])          # the pool holds the victims
    >>> attack = LiRA(target, label=4, n_shadows=8, online=True, random_state=0)
    >>> scores = attack.fit(view).decision_function(view)
    >>> bool(scores[:200].mean() > scores[200:].mean())
    True
    """

    _parameter_constraints: dict = {
        **_ReferenceAttack._parameter_constraints,
        "variance": [StrOptions({"global", "per_record"})],
    }

    def __init__(
        self,
        target=None,
        *,
        label=None,
        n_shadows=16,
        online=False,
        variance="global",
        shadow_estimator=None,
        keep_shadows=True,
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
        random_state=None,
    ):
        self.target = target
        self.label = label
        self.n_shadows = n_shadows
        self.online = online
        self.variance = variance
        self.shadow_estimator = shadow_estimator
        self.keep_shadows = keep_shadows
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _fit_reference(self, records, codes, inside, answers):
        phi = logit_confidence(answers, codes)  # (n_shadows, n)
        self.mu_in_, sq_in, n_in = _masked_moments(phi, inside)
        self.mu_out_, sq_out, n_out = _masked_moments(phi, ~inside)
        self._global_sd_out = max(
            np.sqrt(sq_out.sum() / max(n_out.sum() - len(n_out), 1)), _MIN_SD
        )
        global_in = max(np.sqrt(sq_in.sum() / max(n_in.sum() - len(n_in), 1)), _MIN_SD)
        if self.variance == "global":
            self.sd_in_ = np.full(phi.shape[1], global_in)
            self.sd_out_ = np.full(phi.shape[1], self._global_sd_out)
        else:
            self.sd_in_ = np.maximum(np.sqrt(sq_in / np.maximum(n_in - 1, 1)), _MIN_SD)
            self.sd_out_ = np.maximum(
                np.sqrt(sq_out / np.maximum(n_out - 1, 1)), _MIN_SD
            )
        self.threshold_ = 0.0

    def _test(self, proba, codes, where, outside):
        phi = logit_confidence(proba, codes)
        inside = where >= 0
        mu_out = np.empty_like(phi)
        sd_out = np.empty_like(phi)
        mu_out[inside] = self.mu_out_[where[inside]]
        sd_out[inside] = self.sd_out_[where[inside]]
        if outside is not None:
            absent, answers = outside
            shadow_phi = logit_confidence(answers, codes[absent])
            mu_out[absent] = shadow_phi.mean(axis=0)
            if self.variance == "global":
                sd_out[absent] = self._global_sd_out
            else:
                sd_out[absent] = np.maximum(shadow_phi.std(axis=0, ddof=1), _MIN_SD)
        z_out = (phi - mu_out) / sd_out
        if not self.online:
            return z_out
        mu_in, sd_in = self.mu_in_[where], self.sd_in_[where]
        z_in = (phi - mu_in) / sd_in
        return 0.5 * (z_out**2 - z_in**2) + np.log(sd_out / sd_in)

    def _proba(self, scores):
        return expit(scores) if self.online else ndtr(scores)


@shared_attributes
class RMIA(_ReferenceAttack):
    """The robust membership inference attack (RMIA).

    Zarifzadeh, Liu, Mahloujifar & Shokri, "Low-Cost High-Power Membership
    Inference Attacks" (ICML 2024). For a record ``x`` with label ``y``, the
    likelihood ratio ``r(x) = p(y | x, target) / p(y | x)`` compares the
    target's confidence with its average over reference models, ``p(y | x)``.
    The score is the fraction of population records ``z`` that ``x`` dominates,
    ``r(x) / r(z) > gamma``. The population is the pool passed to ``fit`` (its
    ratios are computed there, one target query per pool record). The score is
    increasing in ``r(x)``, so the ranking of the records (ROC AUC, TPR at low
    FPR) depends on ``r(x)`` only; the population sets the scale of the score
    and hence what ``predict`` flags.

    Online (``online=True``), ``p(y | x)`` averages all reference models (half
    were trained with ``x``); offline, only the OUT ones, corrected as in the
    paper by ``p(y | x) = (1 + a) / 2 * p_out + (1 - a) / 2`` with
    ``a = offline_a``, which estimates what IN models would add. Records outside
    the pool are scored offline by the kept reference models.

    Threat model: as :class:`LiRA` (black-box ``predict_proba``, a pool of
    population records, the target's learning algorithm); RMIA needs far fewer
    reference models (default 4).

    Parameters
    ----------
    target : classifier
        The fitted model under attack, exposing ``predict_proba`` and ``classes_``.
    label : str or int, default=None
        The column of ``X`` holding the records' task labels (``None``: the
        target's predictions stand in).
    n_shadows : int, default=4
        Number of reference models (at least 2).
    online : bool, default=False
        Average all reference models (victims must be in the pool) or the OUT
        ones only.
    gamma : float, default=2.0
        Domination threshold of the pairwise likelihood ratio.
    offline_a : float, default=0.3
        The offline correction ``a`` in [0, 1] (the paper tunes it per dataset
        with one reference model).
    shadow_estimator : estimator, default=None
        Unfitted learner of the reference models (as :class:`LiRA`).
    keep_shadows : bool, default=True
        Keep the reference models to score records outside the pool (offline).
    batch_size : int, default=65536
        Maximum number of records per target query.
    n_jobs : int, default=None
        Parallel jobs (joblib) for the reference models and the queries.
    random_state : int, RandomState instance or None, default=None
        Seeds the reference models' halves and the models.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        ``[0, 1]``.
    population_ratios_ : ndarray of shape (n_pool,)
        Sorted ratios ``r(z)`` of the population records.
    shadow_models_ : list of estimators or None
        The reference models (``keep_shadows=True``).
    threshold_ : float
        0.5: records dominating more than half the population are flagged.
    {shared_attributes}

    Raises
    ------
    ValueError
        As :class:`LiRA`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skinvert.membership import RMIA
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 4)); y = rng.integers(0, 2, 400)
    >>> target = DecisionTreeClassifier(random_state=0).fit(X[:200], y[:200])
    >>> view = np.column_stack([X, y])
    >>> attack = RMIA(target, label=4, random_state=0).fit(view)
    >>> scores = attack.decision_function(view)
    >>> bool(scores[:200].mean() > scores[200:].mean())
    True
    """

    _parameter_constraints: dict = {
        **_ReferenceAttack._parameter_constraints,
        "gamma": [Interval(Real, 0, None, closed="neither")],
        "offline_a": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        target=None,
        *,
        label=None,
        n_shadows=4,
        online=False,
        gamma=2.0,
        offline_a=0.3,
        shadow_estimator=None,
        keep_shadows=True,
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
        random_state=None,
    ):
        self.target = target
        self.label = label
        self.n_shadows = n_shadows
        self.online = online
        self.gamma = gamma
        self.offline_a = offline_a
        self.shadow_estimator = shadow_estimator
        self.keep_shadows = keep_shadows
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _reference_p(self, p_models, inside=None):
        """``p(y | x)`` from the models' confidences (n_models, n)."""
        if self.online:
            return p_models.mean(axis=0)
        if inside is None:
            p_out = p_models.mean(axis=0)
        else:
            p_out = np.where(~inside, p_models, 0.0).sum(axis=0) / (~inside).sum(0)
        a = self.offline_a
        return (1.0 + a) / 2.0 * p_out + (1.0 - a) / 2.0

    def _fit_reference(self, records, codes, inside, answers):
        p_models = np.take_along_axis(answers, codes[None, :, None], axis=2)[..., 0]
        self._p_ref = np.maximum(self._reference_p(p_models, inside), 1e-12)
        p_target = self._query(records)[np.arange(len(codes)), codes]
        self.n_fit_queries_ += records.shape[0]
        self.population_ratios_ = np.sort(p_target / self._p_ref)
        self.threshold_ = 0.5

    def _test(self, proba, codes, where, outside):
        p = proba[np.arange(len(codes)), codes]
        p_ref = np.empty_like(p)
        known = where >= 0
        p_ref[known] = self._p_ref[where[known]]
        if outside is not None:
            absent, answers = outside
            p_models = np.take_along_axis(
                answers, codes[absent][None, :, None], axis=2
            )[..., 0]
            p_ref[absent] = np.maximum(self._reference_p(p_models), 1e-12)
        ratio = p / p_ref
        dominated = np.searchsorted(self.population_ratios_, ratio / self.gamma)
        return dominated / self.population_ratios_.size

    def _proba(self, scores):
        return scores
