"""Output defenses: wrappers that change the confidences a target releases."""

from numbers import Integral, Real

import numpy as np
from scipy.special import ndtri
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils.validation import _num_samples

from ..utils._sklearn import HasMethods, Interval, StrOptions
from ..utils._validation import check_answers
from ._base import BaseTargetWrapper, row_hashes, splitmix64, uniform_from_hash

_WRAPPER_DOC = """
    Fitting: ``fit(X, y)`` sets ``estimator_ = clone(estimator).fit(X, y)``. A
    :class:`~sklearn.frozen.FrozenEstimator` is cloned as itself and not refitted,
    and a wrapper around a frozen or already fitted model is usable without
    ``fit``: ``SomeAttack(RoundedConfidences(FrozenEstimator(target)))`` attacks
    the defended target. Query rows reach the wrapped model untouched (DataFrames
    with string columns included), so any ``Pipeline`` works as the target.
"""


class _OutputDefense(ClassifierMixin, BaseTargetWrapper):
    """Base of the output defenses: ``predict`` is the wrapped model's decision and
    ``predict_proba`` is the wrapped model's confidences passed through ``_release``.
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["predict", "predict_proba"])],
    }

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit a clone of the wrapped model (a frozen model is used as it is).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training records, passed to the wrapped model untouched.
        y : array-like of shape (n_samples,)
            Labels.
        **fit_params : dict
            Passed to the wrapped model's ``fit``.

        Returns
        -------
        self : object
            The fitted defense.
        """
        self._fit_wrapped(X, y, **fit_params)
        self._after_fit()
        return self

    def _after_fit(self):
        """Subclass hook run at the end of ``fit``."""

    def predict(self, X):
        """The wrapped model's decision, unchanged.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Query rows, passed to the wrapped model untouched.

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        return self._wrapped().predict(X)

    def predict_proba(self, X):
        """The confidences released by the defense.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Query rows, passed to the wrapped model untouched.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            One probability vector per row, columns in the order of ``classes_``.
        """
        model = self._wrapped()
        answers = model.predict_proba(X)
        classes = getattr(model, "classes_", None)
        proba = check_answers(
            answers,
            _num_samples(X),
            n_classes=None if classes is None else len(classes),
        )
        proba = np.asarray(proba, dtype=np.float64)
        proba = proba / proba.sum(axis=1, keepdims=True)
        return self._release(proba, X)

    def _release(self, proba, X):
        raise NotImplementedError


def _first_rival_to_top(counts, proba, top):
    """Move one unit to the top class from a class that ties it but was smaller."""
    rows = np.arange(counts.shape[0])
    ties = (counts == counts[rows, top][:, None]) & (proba < proba[rows, top][:, None])
    fix = np.flatnonzero(ties.any(axis=1))
    rival = np.argmax(ties[fix], axis=1)
    counts[fix, rival] -= 1
    counts[fix, top[fix]] += 1
    return counts


class RoundedConfidences(_OutputDefense):
    __doc__ = (
        """Release the target's confidences rounded to ``decimals`` decimal places.

    The countermeasure measured by Fredrikson, Jha and Ristenpart (CCS 2015): coarse
    confidences give a confidence-reading attack less to tell candidates apart.

    Rounding keeps each row a probability distribution by the largest-remainder
    method: the confidences are scaled to ``10**decimals`` units, each class gets
    the whole units below its share, and the units left over go to the classes
    with the largest remainders (on equal remainders, the predicted class first).
    Every released value is a multiple of ``10**-decimals``, within one unit of
    the true confidence, and the row sums to one. The argmax never changes: when
    rounding would make a class that had a smaller confidence tie with the top
    class, one unit moves from that class to the top class, so the top class stays
    strictly first (classes tied in the target's own answer stay tied).
    ``decimals=0`` releases the one-hot of the argmax. ``predict`` returns the
    wrapped model's decision.
    """
        + _WRAPPER_DOC
        + """
    Parameters
    ----------
    estimator : classifier
        The target: a classifier with ``predict_proba``, fitted or to be fitted.
    decimals : int, default=2
        Number of decimal places released (0 to 12).

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone of ``estimator`` (set by ``fit``).
    classes_ : ndarray of shape (n_classes,)
        The wrapped model's classes.
    n_features_in_ : int
        The wrapped model's number of input features.
    feature_names_in_ : ndarray of str
        The wrapped model's input feature names, when it has them.

    See Also
    --------
    TopKConfidences : Release only the largest confidences.
    LabelOnly : Release no confidence at all.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvert.defenses import RoundedConfidences
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> defense = RoundedConfidences(LogisticRegression(), decimals=1)
    >>> defense = defense.fit(X, [0, 0, 1, 1])
    >>> defense.predict_proba(X[:2])
    array([[0.8, 0.2],
           [0.6, 0.4]])
    """
    )

    _parameter_constraints: dict = {
        **_OutputDefense._parameter_constraints,
        "decimals": [Interval(Integral, 0, 12, closed="both")],
    }

    def __init__(self, estimator, *, decimals=2):
        super().__init__(estimator)
        self.decimals = decimals

    def _release(self, proba, X):
        units = 10 ** int(self.decimals)
        n_classes = proba.shape[1]
        scaled = np.round(proba * units, 9)  # 0.29 * 100 is 28.999999999999996
        counts = np.floor(scaled).astype(np.int64)
        remainder = scaled - counts
        left = np.clip(units - counts.sum(axis=1), 0, n_classes)
        top = np.argmax(proba, axis=1)
        not_top = np.arange(n_classes) != top[:, None]
        order = np.lexsort((not_top, -remainder), axis=-1)
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(n_classes)[None, :], axis=1)
        counts += rank < left[:, None]
        counts = _first_rival_to_top(counts, proba, top)
        return counts / units


class TopKConfidences(_OutputDefense):
    __doc__ = (
        """Release only the ``k`` largest confidences of each row, the others as 0.

    The released confidences are renormalised to sum to one, so each row stays a
    probability distribution (the ratios between the released classes are the
    target's). Ties for the ``k``-th place go to the class listed first in
    ``classes_``; the argmax is always released, so it never changes. With ``k``
    at least the number of classes nothing is hidden. ``predict`` returns the
    wrapped model's decision.
    """
        + _WRAPPER_DOC
        + """
    Parameters
    ----------
    estimator : classifier
        The target: a classifier with ``predict_proba``, fitted or to be fitted.
    k : int, default=1
        Number of confidences released per row (at least 1). ``k=1`` releases the
        one-hot of the argmax.

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone of ``estimator`` (set by ``fit``).
    classes_ : ndarray of shape (n_classes,)
        The wrapped model's classes.
    n_features_in_ : int
        The wrapped model's number of input features.
    feature_names_in_ : ndarray of str
        The wrapped model's input feature names, when it has them.

    See Also
    --------
    RoundedConfidences : Release coarse confidences.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvert.defenses import TopKConfidences
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    >>> y = [0, 0, 1, 1, 2, 2]
    >>> defense = TopKConfidences(LogisticRegression(), k=2).fit(X, y)
    >>> proba = defense.predict_proba(X)
    >>> (proba > 0).sum(axis=1)
    array([2, 2, 2, 2, 2, 2])
    >>> bool(np.allclose(proba.sum(axis=1), 1.0))
    True
    """
    )

    _parameter_constraints: dict = {
        **_OutputDefense._parameter_constraints,
        "k": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, estimator, *, k=1):
        super().__init__(estimator)
        self.k = k

    def _release(self, proba, X):
        k = min(int(self.k), proba.shape[1])
        order = np.argsort(-proba, axis=1, kind="stable")
        keep = np.zeros(proba.shape, dtype=bool)
        np.put_along_axis(keep, order[:, :k], True, axis=1)
        released = np.where(keep, proba, 0.0)
        return released / released.sum(axis=1, keepdims=True)


class LabelOnly(_OutputDefense):
    __doc__ = (
        """Release only the predicted label: ``predict_proba`` is its one-hot.

    A confidence-reading attack then sees no confidence at all, only the decision
    (which ``predict`` reveals anyway). The wrapped model needs only ``predict``
    and ``classes_``. ``predict`` returns the wrapped model's decision.
    """
        + _WRAPPER_DOC
        + """
    Parameters
    ----------
    estimator : classifier
        The target, fitted or to be fitted; it needs ``predict`` only.

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone of ``estimator`` (set by ``fit``).
    classes_ : ndarray of shape (n_classes,)
        The wrapped model's classes.
    n_features_in_ : int
        The wrapped model's number of input features.
    feature_names_in_ : ndarray of str
        The wrapped model's input feature names, when it has them.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvert.defenses import LabelOnly
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> LabelOnly(LogisticRegression()).fit(X, [0, 0, 1, 1]).predict_proba(X)
    array([[1., 0.],
           [1., 0.],
           [0., 1.],
           [0., 1.]])
    """
    )

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["predict"])],
    }

    def predict_proba(self, X):
        """One-hot of the wrapped model's decision.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Query rows, passed to the wrapped model untouched.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            1 in the column of the predicted class, 0 elsewhere.
        """
        model = self._wrapped()
        labels = np.asarray(model.predict(X))
        classes = np.asarray(self.classes_)
        order = np.argsort(classes, kind="stable")
        found = np.clip(np.searchsorted(classes, labels, sorter=order), 0, None)
        codes = order[np.minimum(found, len(classes) - 1)]
        unknown = classes[codes] != labels
        if np.any(unknown):
            raise ValueError(
                f"The wrapped model predicted labels {np.unique(labels[unknown])[:5]} "
                f"that are not in its classes_ {classes.tolist()}; LabelOnly needs "
                "a classifier whose predictions are among its classes_."
            )
        proba = np.zeros((labels.shape[0], len(classes)))
        proba[np.arange(labels.shape[0]), codes] = 1.0
        return proba


class NoisyConfidences(_OutputDefense):
    __doc__ = (
        """Release the target's confidences with random noise on their logarithms.

    Each released row is ``softmax(log p + z)`` where ``p`` is the target's row and
    ``z`` holds one independent draw per class, Laplace with scale ``scale``
    (``noise="laplace"``) or Gaussian with standard deviation ``scale``
    (``noise="gaussian"``). Noise in log space multiplies each confidence by
    ``exp(z_c)`` before renormalising, so the ratio of two classes' confidences is
    off by a factor ``exp(z_c - z_c')``; rows stay probability vectors, and
    classes with zero confidence stay at zero.

    The noise is a deterministic function of the key derived from
    ``random_state`` and of the query row's content (a 64-bit hash of its cells):
    the same row always gets the same answer, however queries are batched or
    threaded, so repeating a query cannot average the noise away. The row is
    canonicalised before hashing: a sparse matrix hashes as its dense rows, and
    numbers are rounded to float32 (a relative resolution of about 6e-8, the
    precision at which scikit-learn's trees read their input), so near-repeats
    nudged below that resolution get the same noise too. Numbers hash by
    value (``1``, ``1.0`` and ``"1"`` alike, in numeric arrays, object arrays and
    DataFrames), other cells by their ``str``. With ``random_state=None`` a key is
    drawn once per instance (at ``fit``, at the first query, or when the instance is
    pickled, so that copies sent to worker processes share it) and then kept;
    ``clone`` draws a new one.

    Noise can change the argmax. With ``keep_label=True`` (default) the decision
    is kept: ``predict`` returns the wrapped model's decision and, where the noise
    moved the argmax, the released values of the two classes are swapped so that
    the argmax of the released row is the target's again. With
    ``keep_label=False``, ``predict`` returns the argmax of the noisy
    confidences, which may differ from the wrapped model's decision.
    """
        + _WRAPPER_DOC
        + """
    Parameters
    ----------
    estimator : classifier
        The target: a classifier with ``predict_proba``, fitted or to be fitted.
    scale : float, default=0.1
        Scale of the noise on the log-confidences (Laplace scale or Gaussian
        standard deviation); 0 releases the target's confidences.
    noise : {"laplace", "gaussian"}, default="laplace"
        Noise distribution.
    keep_label : bool, default=True
        Whether the released argmax and ``predict`` stay the target's decision.
    random_state : int, RandomState instance or None, default=None
        Source of the secret key the noise is derived from. An int gives the same
        noise in every process.

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone of ``estimator`` (set by ``fit``).
    classes_ : ndarray of shape (n_classes,)
        The wrapped model's classes.
    n_features_in_ : int
        The wrapped model's number of input features.
    feature_names_in_ : ndarray of str
        The wrapped model's input feature names, when it has them.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvert.defenses import NoisyConfidences
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> defense = NoisyConfidences(LogisticRegression(), scale=0.5, random_state=0)
    >>> defense = defense.fit(X, [0, 0, 1, 1])
    >>> first = defense.predict_proba(X)
    >>> bool(np.array_equal(first[1:], defense.predict_proba(X[1:])))
    True
    >>> bool((defense.predict(X) == first.argmax(axis=1)).all())
    True
    """
    )

    _parameter_constraints: dict = {
        **_OutputDefense._parameter_constraints,
        "scale": [Interval(Real, 0, None, closed="left")],
        "noise": [StrOptions({"laplace", "gaussian"})],
        "keep_label": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator,
        *,
        scale=0.1,
        noise="laplace",
        keep_label=True,
        random_state=None,
    ):
        super().__init__(estimator)
        self.scale = scale
        self.noise = noise
        self.keep_label = keep_label
        self.random_state = random_state

    def _draw_key(self):
        rng = check_random_state(self.random_state)
        return int(rng.randint(0, 2**62, dtype=np.int64))

    def _after_fit(self):
        if not isinstance(self.random_state, Integral):
            self._noise_key = self._draw_key()

    def _key(self):
        if isinstance(self.random_state, Integral):
            return int(splitmix64(np.uint64(self.random_state % 2**64)))
        return self._lazy("_noise_key", self._draw_key)

    def __getstate__(self):
        # Draw the key before the instance is copied (pickle, process-based joblib
        # backends), so that every copy adds the same noise to the same row.
        if hasattr(self, "random_state") and not isinstance(
            self.random_state, Integral
        ):
            self._key()
        return super().__getstate__()

    def _noise(self, X, n_classes):
        hashes = row_hashes(X, self._key())
        salts = splitmix64(
            np.arange(1, n_classes + 1, dtype=np.uint64) << np.uint64(40)
        )
        u = uniform_from_hash(splitmix64(hashes[:, None] ^ salts[None, :]))
        if self.noise == "gaussian":
            return self.scale * ndtri(u)
        centred = u - 0.5
        return -self.scale * np.sign(centred) * np.log1p(-2.0 * np.abs(centred))

    def _release(self, proba, X):
        if self.scale == 0:
            return proba
        with np.errstate(divide="ignore"):
            logits = np.log(proba) + self._noise(X, proba.shape[1])
        logits -= logits.max(axis=1, keepdims=True)
        released = np.exp(logits)
        released /= released.sum(axis=1, keepdims=True)
        if self.keep_label:
            rows = np.arange(proba.shape[0])
            before, after = np.argmax(proba, axis=1), np.argmax(released, axis=1)
            moved = rows[before != after]
            a, b = before[moved], after[moved]
            released[moved, a], released[moved, b] = (
                released[moved, b],
                released[moved, a],
            )
        return released

    def predict(self, X):
        """The wrapped model's decision, or the argmax of the noisy confidences.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Query rows, passed to the wrapped model untouched.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            With ``keep_label=True``, the wrapped model's ``predict``; otherwise
            ``classes_[argmax(predict_proba(X))]``.
        """
        if self.keep_label:
            return self._wrapped().predict(X)
        return np.asarray(self.classes_)[np.argmax(self.predict_proba(X), axis=1)]
