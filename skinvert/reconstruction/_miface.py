"""MI-Face: class representatives by maximising the target's confidence."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .._query import DEFAULT_BATCH_SIZE
from ..utils._sklearn import HasMethods, Interval, StrOptions
from ..utils._validation import check_target
from ._common import Domain, Oracle
from ._descent import _Descent
from ._gradients import UnsupportedGradientError, analytic_model


class MIFace(BaseEstimator):
    """Class representatives: the inputs the target is most confident about.

    Fredrikson, Jha & Ristenpart (CCS 2015, "MI-Face") reconstruct, for each class
    ``c`` of a target, the input that minimises ``1 - p_c(x) + AuxTerm(x)`` by
    projected gradient descent. For a face recogniser the result looks like the
    person of class ``c``; for any classifier it is the input the model
    associates most with the class. Here the cost is

        ``L(p_c(x)) + alpha * mean_j ((x_j - m_j) / r_j) ** 2``

    with ``L(p) = -log p`` (``loss="log"``, whose gradient does not vanish where
    ``p_c`` is small) or ``L(p) = 1 - p`` (``loss="confidence"``, the paper's),
    ``m`` the auxiliary records' mean and ``r`` their per-column range. Every
    class is started from ``n_starts`` points (the auxiliary mean, then
    auxiliary records drawn at random), and all ``n_classes * n_starts`` descents
    run at once, vectorised: each step moves every column by at most
    ``step * r_j`` along the gradient; a step that lowers the cost is taken and
    the step grows by 1.5, one that does not is refused and the step halves. A
    descent stops when a taken step lowers its cost by less than ``tol`` or its
    step falls below ``tol``; the attack stops when every descent has stopped,
    after ``max_iter`` iterations, or when the next iteration would exceed
    ``max_queries``. Points stay within the auxiliary ranges; at the end, integer
    columns are rounded and categorical columns snapped to the nearest value
    seen, and for each class the start with the lowest cost is kept.

    Gradients (``gradient``):

    - ``"analytic"``: read from the target's parameters (white-box, no
      prediction query): ``LogisticRegression`` (binary and multinomial),
      ``DPLogisticRegression``, ``MLPClassifier`` (back-propagation through its
      ``coefs_``, ``intercepts_`` and activation), binary
      ``SVC(kernel="linear", probability=True)`` (derivative of libsvm's Platt
      sigmoid on the linear decision function; libsvm solves for the
      probability iteratively, to about 1e-3), each alone or after affine
      scalers in a ``Pipeline``. A multiclass SVC couples its pairwise sigmoids
      through an iterative solver: it is refused here, and ``"auto"`` uses
      finite differences for it.
    - ``"finite_difference"``: central differences, ``2 * n_features`` queries
      per descent and gradient, step ``fd_step * r_j``.
    - ``"nes"``: natural-evolution-strategies estimate from ``nes_samples``
      antithetic pairs of Gaussian probes (scale ``nes_sigma * r_j``):
      ``2 * nes_samples`` queries per descent and gradient.
    - ``"auto"``: analytic when the target is supported, else finite
      differences.

    Zero-order gradients need only ``predict_proba``; every row sent to the
    target is counted in ``n_queries_``. Also one query per descent per trial
    step, ``n_classes * n_starts`` for the starts and as many for the final
    projected points. The analytic mode makes no query at all.

    Threat model: the attacker knows the target's classes and, for analytic
    gradients, its parameters; for zero-order gradients, query access to its
    confidences. The auxiliary records give the domain (ranges, integer and
    categorical columns) and the regulariser's centre; their labels are not
    needed (:func:`class_reference` computes the model-free reference from
    them).

    Parameters
    ----------
    target : classifier
        The fitted model under attack, with ``predict_proba`` and ``classes_``,
        taking numeric records.
    gradient : {"auto", "analytic", "finite_difference", "nes"}, default="auto"
        How gradients are obtained.
    loss : {"log", "confidence"}, default="log"
        ``-log p_c`` or ``1 - p_c``.
    alpha : float, default=0.0
        Weight of the regulariser toward the auxiliary mean (0 for none).
    n_starts : int, default=4
        Starting points per class.
    learning_rate : float, default=0.1
        Initial step, as a fraction of each column's range.
    max_iter : int, default=200
        Maximum number of descent iterations.
    tol : float, default=1e-4
        Stopping tolerance on a taken step's decrease of the cost and on the step.
    max_queries : int, default=None
        Budget of target query rows for zero-order gradients (None: no cap).
    fd_step : float, default=1e-3
        Finite-difference step, as a fraction of each column's range.
    nes_samples : int, default=16
        Antithetic probe pairs per NES gradient.
    nes_sigma : float, default=0.01
        Scale of the NES probes, as a fraction of each column's range.
    integer_features : "auto", array-like of int, bool mask or None, default="auto"
        Columns rounded at the end; ``"auto"``: those holding only whole numbers
        in the auxiliary data.
    categorical_features : array-like of int, bool mask or None, default=None
        Columns snapped to the nearest value seen in the auxiliary data.
    batch_size : int, default=65536
        Maximum number of rows per target call.
    n_jobs : int, default=None
        Parallel jobs for the target calls (see :func:`skinvert.query_target`).
    random_state : int, RandomState instance or None, default=None
        Draws the starting records and the NES probes.

    Attributes
    ----------
    representatives_ : ndarray of shape (n_classes, n_features)
        One representative per class, rows in the order of ``classes_``.
    confidences_ : ndarray of shape (n_classes,)
        The target's confidence in its class at each representative.
    all_representatives_ : ndarray of shape (n_classes, n_starts, n_features)
        The projected end point of every descent.
    all_confidences_ : ndarray of shape (n_classes, n_starts)
        The target's confidence in the class at each end point.
    classes_ : ndarray of shape (n_classes,)
        The target's classes.
    gradient_ : str
        The gradient mode used (``"auto"`` resolved).
    n_iter_ : int
        Descent iterations run.
    n_queries_ : int
        Target query rows spent.
    stopped_by_ : {"tol", "max_iter", "max_queries"}
        What ended the descent.
    feature_min_, feature_max_ : ndarray of shape (n_features,)
        The auxiliary ranges.
    integer_features_, categorical_features_ : ndarray of bool, shape (n_features,)
        Columns rounded, columns snapped.
    n_features_in_ : int
        Number of columns of the records.

    Raises
    ------
    UnsupportedGradientError
        In ``fit``, with ``gradient="analytic"`` on a target whose gradient is
        not available from its parameters (a ``TypeError``).
    ValueError
        In ``fit``, when ``max_queries`` cannot pay for the starts, one gradient
        and the final evaluation.

    See Also
    --------
    InversionModel : Learns to map released outputs back to records.
    Surrogate : A white-box stand-in for a black-box target.

    Notes
    -----
    The estimator has no ``predict``: its output does not depend on records
    but on classes; :meth:`reconstruct` returns the representatives of given
    classes.

    References
    ----------
    M. Fredrikson, S. Jha and T. Ristenpart. "Model Inversion Attacks that
    Exploit Confidence Information and Basic Countermeasures". CCS 2015.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvert.reconstruction import MIFace
    >>> X, y = load_digits(return_X_y=True)
    >>> target = LogisticRegression(max_iter=200).fit(X[:1000], y[:1000])
    >>> attack = MIFace(target, n_starts=2, random_state=0).fit(X[1000:])
    >>> attack.representatives_.shape, attack.gradient_, attack.n_queries_
    ((10, 64), 'analytic', 0)
    >>> bool((attack.confidences_ > 0.9).all())
    True
    """

    _parameter_constraints: dict = {
        "target": [HasMethods(["predict_proba"])],
        "gradient": [StrOptions({"auto", "analytic", "finite_difference", "nes"})],
        "loss": [StrOptions({"log", "confidence"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "n_starts": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_queries": [Interval(Integral, 1, None, closed="left"), None],
        "fd_step": [Interval(Real, 0, None, closed="neither")],
        "nes_samples": [Interval(Integral, 1, None, closed="left")],
        "nes_sigma": [Interval(Real, 0, None, closed="neither")],
        "integer_features": [StrOptions({"auto"}), "array-like", None],
        "categorical_features": ["array-like", None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        target,
        *,
        gradient="auto",
        loss="log",
        alpha=0.0,
        n_starts=4,
        learning_rate=0.1,
        max_iter=200,
        tol=1e-4,
        max_queries=None,
        fd_step=1e-3,
        nes_samples=16,
        nes_sigma=0.01,
        integer_features="auto",
        categorical_features=None,
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
        random_state=None,
    ):
        self.target = target
        self.gradient = gradient
        self.loss = loss
        self.alpha = alpha
        self.n_starts = n_starts
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.max_queries = max_queries
        self.fd_step = fd_step
        self.nes_samples = nes_samples
        self.nes_sigma = nes_sigma
        self.integer_features = integer_features
        self.categorical_features = categorical_features
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the domain from auxiliary records, then each class's representative.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Auxiliary records, numeric, in the target's input layout.
        y : None
            Ignored (accepted for compatibility with pipelines).

        Returns
        -------
        self : object
            The fitted attack.
        """
        classes = check_target(self.target, "predict_proba", attack_name="MIFace")
        X = validate_data(self, X, dtype=np.float64)
        domain = Domain(
            X,
            integer_features=self.integer_features,
            categorical_features=self.categorical_features,
        )
        mode, forward = self._resolve_gradient()
        n_classes, d = len(classes), X.shape[1]
        R = n_classes * self.n_starts
        oracle = Oracle.for_attack(self, max_queries=self.max_queries)
        per_grad = {"finite_difference": 2 * d, "nes": 2 * self.nes_samples}.get(
            mode, 0
        )
        if mode != "analytic" and self.max_queries is not None:
            needed = R * (per_grad + 3)
            if self.max_queries < needed:
                raise ValueError(
                    f"max_queries={self.max_queries} is too small for MIFace to "
                    f"start: {n_classes} classes x n_starts={self.n_starts} descents "
                    f"need {needed} query rows (their starts, one {mode} gradient of "
                    f"{per_grad} rows each, one trial step and the final points). "
                    "Raise max_queries, lower n_starts, or use gradient='nes' with "
                    "fewer nes_samples."
                )
        rng = check_random_state(self.random_state)
        starts = np.empty((n_classes, self.n_starts, d))
        starts[:, 0] = domain.mean
        if self.n_starts > 1:
            picks = rng.randint(X.shape[0], size=(n_classes, self.n_starts - 1))
            starts[:, 1:] = X[picks]
        codes = np.repeat(np.arange(n_classes), self.n_starts)
        state = _Descent(self, domain, mode, forward, oracle, rng)
        points, n_iter, stopped = state.run(starts.reshape(R, d), codes)
        points = domain.project(points)
        proba = state.proba(points)
        conf = proba[np.arange(R), codes]
        cost = state.cost(points, conf)
        cost, conf = cost.reshape(n_classes, -1), conf.reshape(n_classes, -1)
        best = np.argmin(cost, axis=1)
        points = points.reshape(n_classes, self.n_starts, d)
        rows = np.arange(n_classes)
        self.classes_ = classes
        self.gradient_ = mode
        self.all_representatives_ = points
        self.all_confidences_ = conf
        self.representatives_ = points[rows, best]
        self.confidences_ = conf[rows, best]
        self.n_iter_ = n_iter
        self.n_queries_ = oracle.n_queries
        self.stopped_by_ = stopped
        self.feature_min_, self.feature_max_ = domain.min, domain.max
        self.integer_features_ = domain.integer
        self.categorical_features_ = domain.categorical
        return self

    def _resolve_gradient(self):
        if self.gradient in ("finite_difference", "nes"):
            return self.gradient, None
        try:
            return "analytic", analytic_model(self.target)
        except UnsupportedGradientError:
            if self.gradient == "analytic":
                raise
            return "finite_difference", None

    def reconstruct(self, classes=None):
        """The representatives of ``classes`` (all classes by default).

        Parameters
        ----------
        classes : array-like of shape (n,), default=None
            Class labels among ``classes_``.

        Returns
        -------
        records : ndarray of shape (n, n_features)
            ``representatives_`` row of each label.
        """
        check_is_fitted(self)
        if classes is None:
            return self.representatives_.copy()
        codes = _codes(np.asarray(classes).ravel(), self.classes_, "classes")
        return self.representatives_[codes]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags


def _codes(labels, classes, param):
    sorter = np.argsort(classes)
    pos = np.clip(np.searchsorted(classes, labels, sorter=sorter), 0, len(classes) - 1)
    codes = sorter[pos]
    bad = classes[codes] != labels
    if np.any(bad):
        raise ValueError(
            f"{param} holds labels {np.unique(labels[bad])[:5].tolist()} that are not "
            f"classes of the target ({classes.tolist()})."
        )
    return codes
