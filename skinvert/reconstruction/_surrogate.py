"""Surrogates: white-box models trained on a black-box target's answers."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .._query import DEFAULT_BATCH_SIZE
from ..utils._sklearn import HasMethods, Interval, StrOptions
from ..utils._validation import check_target
from ._common import Domain, Oracle

MIN_QUERIES = 10


class Surrogate(BaseEstimator):
    """A white-box copy of a black-box target, trained on its answers.

    Tramèr, Zhang, Juels, Reiter & Ristenpart (USENIX Security 2016) extract a
    model from a prediction API: query it on chosen inputs and fit a model of
    one's own on the answers. The copy (the surrogate) is then open to the
    white-box attacks: :class:`~skinvert.attacks.WhiteBoxTreeInversion` reads a
    tree surrogate's leaves, :class:`MIFace` differentiates a logistic or MLP
    surrogate.

    ``fit`` splits the auxiliary records into a training part and a held-out
    part, synthesises query records from the training part, asks the target for
    their labels (``predict``), fits ``estimator`` on them, and measures the
    fidelity, the fraction of held-out auxiliary records on which the surrogate
    and the target agree. Every query row counts against ``max_queries``: the
    held-out part costs ``min(n_held_out, max_queries // 5)`` rows, the
    synthesised records the rest. Synthesis (``synthesis``):

    - ``"aux"``: the training records themselves (at most as many as there
      are; the rest of the budget is not spent);
    - ``"perturb"``: the training records, then copies of them with Gaussian
      noise of ``noise`` times each column's range, projected onto the
      auxiliary domain (ranges, integer and categorical columns), until the
      budget is spent;
    - ``"marginal"``: every column drawn independently from its auxiliary
      values.

    Parameters
    ----------
    target : classifier
        The fitted model under attack (only ``predict`` is queried).
    estimator : classifier, default=None
        The white-box model, cloned and fitted; ``None``:
        ``DecisionTreeClassifier(random_state=random_state)``.
    max_queries : int, default=1000
        Budget of target query rows (at least 10).
    synthesis : {"perturb", "aux", "marginal"}, default="perturb"
        How query records are made.
    noise : float, default=0.1
        Perturbation scale, as a fraction of each column's range.
    validation_fraction : float, default=0.2
        Fraction of the auxiliary records held out for the fidelity.
    integer_features : "auto", array-like of int, bool mask or None, default="auto"
        Columns kept whole in synthesised records (``"auto"``: those holding
        only whole numbers in the auxiliary data).
    categorical_features : array-like of int, bool mask or None, default=None
        Columns whose synthesised values are snapped to values seen.
    batch_size : int, default=65536
        Maximum number of rows per target call.
    n_jobs : int, default=None
        Parallel jobs for the target calls.
    random_state : int, RandomState instance or None, default=None
        Draws the split and the synthesised records, and seeds the default
        estimator.

    Attributes
    ----------
    estimator_ : classifier
        The fitted surrogate (the white-box model the attacks read).
    fidelity_ : float
        Agreement of ``estimator_`` with the target on the held-out records.
    n_queries_ : int
        Target query rows spent (training and held-out).
    n_train_queries_ : int
        Of which synthesised training records.
    classes_ : ndarray
        The classes the surrogate learned (those the target answered).
    n_features_in_ : int
        Number of columns of the records.

    Raises
    ------
    ValueError
        In ``fit``, when ``max_queries`` is below 10, or when every answer of
        the target is the same class and ``estimator`` cannot be fitted on one
        class.

    See Also
    --------
    MIFace : Runs with analytic gradients on a logistic or MLP surrogate.
    skinvert.attacks.WhiteBoxTreeInversion : Runs on a tree surrogate.

    References
    ----------
    F. Tramèr, F. Zhang, A. Juels, M. K. Reiter and T. Ristenpart. "Stealing
    Machine Learning Models via Prediction APIs". USENIX Security 2016.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skinvert.reconstruction import Surrogate
    >>> X, y = load_digits(return_X_y=True)
    >>> target = DecisionTreeClassifier(max_depth=6, random_state=0)
    >>> target = target.fit(X[:900], y[:900])
    >>> surrogate = Surrogate(target, max_queries=2000, random_state=0)
    >>> surrogate = surrogate.fit(X[900:])
    >>> surrogate.n_queries_ <= 2000, bool(surrogate.fidelity_ > 0.8)
    (True, True)
    """

    _parameter_constraints: dict = {
        "target": [HasMethods(["predict"])],
        "estimator": [HasMethods(["fit", "predict"]), None],
        "max_queries": [Interval(Integral, 1, None, closed="left")],
        "synthesis": [StrOptions({"perturb", "aux", "marginal"})],
        "noise": [Interval(Real, 0, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
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
        estimator=None,
        max_queries=1000,
        synthesis="perturb",
        noise=0.1,
        validation_fraction=0.2,
        integer_features="auto",
        categorical_features=None,
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
        random_state=None,
    ):
        self.target = target
        self.estimator = estimator
        self.max_queries = max_queries
        self.synthesis = synthesis
        self.noise = noise
        self.validation_fraction = validation_fraction
        self.integer_features = integer_features
        self.categorical_features = categorical_features
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Query the target on synthesised records and fit the surrogate.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Auxiliary records (numeric) in the target's input layout; at least 2.
        y : None
            Ignored: the labels are the target's answers.

        Returns
        -------
        self : object
            The fitted surrogate.
        """
        check_target(self.target, "predict", attack_name="Surrogate")
        if self.max_queries < MIN_QUERIES:
            raise ValueError(
                f"max_queries={self.max_queries} is too small for Surrogate to start: "
                f"it needs at least {MIN_QUERIES} query rows (4 in 5 to train on, the "
                "rest to measure fidelity). Raise max_queries."
            )
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        rng = check_random_state(self.random_state)
        order = rng.permutation(X.shape[0])
        n_held = min(
            max(1, round(self.validation_fraction * X.shape[0])),
            X.shape[0] - 1,
            self.max_queries // 5,
        )
        held, train = X[order[:n_held]], X[order[n_held:]]
        n_synth = self.max_queries - n_held
        domain = Domain(
            train,
            integer_features=self.integer_features,
            categorical_features=self.categorical_features,
        )
        records = self._synthesise(train, n_synth, domain, rng)
        oracle = Oracle.for_attack(self, max_queries=self.max_queries)
        labels = np.asarray(oracle(records, method="predict"))
        if self.estimator is None:
            estimator = DecisionTreeClassifier(random_state=self.random_state)
        else:
            estimator = clone(self.estimator)
        try:
            estimator.fit(records, labels)
        except ValueError as exc:
            if np.unique(labels).shape[0] > 1:
                raise
            raise ValueError(
                f"The target answered {labels[0]!r} on all {labels.shape[0]} "
                f"synthesised records and {type(estimator).__name__} cannot learn "
                "from one class. Raise max_queries, use synthesis='aux' or a smaller "
                "noise, or a tree estimator."
            ) from exc
        agree = np.asarray(oracle(held, method="predict")) == estimator.predict(held)
        self.estimator_ = estimator
        self.classes_ = estimator.classes_
        self.fidelity_ = float(np.mean(agree))
        self.n_queries_ = oracle.n_queries
        self.n_train_queries_ = int(records.shape[0])
        return self

    def _synthesise(self, train, n, domain, rng):
        if self.synthesis == "aux":
            return train[rng.permutation(train.shape[0])[:n]]
        if self.synthesis == "marginal":
            picks = rng.randint(train.shape[0], size=(n, train.shape[1]))
            return np.take_along_axis(train, picks, axis=0)
        first = train[rng.permutation(train.shape[0])[:n]]
        n_more = n - first.shape[0]
        if n_more <= 0:
            return first
        base = train[rng.randint(train.shape[0], size=n_more)]
        noisy = base + rng.standard_normal(base.shape) * (self.noise * domain.range)
        return np.concatenate([first, domain.project(noisy)])

    def predict(self, X):
        """The surrogate's labels.

        Parameters
        ----------
        X : array-like of shape (n, n_features)
            Records.

        Returns
        -------
        y : ndarray of shape (n,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.estimator_.predict(X)

    def predict_proba(self, X):
        """The surrogate's confidences, columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n, n_features)
            Records.

        Returns
        -------
        proba : ndarray of shape (n, n_classes)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.estimator_.predict_proba(X)

    def score(self, X, y=None):
        """Fidelity on ``X``: the fraction of records labelled as the target does.

        Queries the target on every record of ``X`` (not counted in
        ``n_queries_``, which is what ``fit`` spent).

        Parameters
        ----------
        X : array-like of shape (n, n_features)
            Records.
        y : None
            Ignored: the reference labels are the target's.

        Returns
        -------
        fidelity : float
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        oracle = Oracle.for_attack(self)
        return float(np.mean(oracle(X, method="predict") == self.estimator_.predict(X)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags
