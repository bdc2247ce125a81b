"""Differentially private logistic regression after Chaudhuri et al. (JMLR 2011)."""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from ..utils._sklearn import (
    Interval,
    InvalidParameterError,
    LinearClassifierMixin,
    StrOptions,
)

# Bound c on the second derivative of the logistic loss (objective perturbation).
_LOGISTIC_CURVATURE = 0.25


class PrivacyLeakWarning(UserWarning):
    """Warns that a differential privacy guarantee does not hold as configured.

    Examples
    --------
    >>> from skinvert.defenses import PrivacyLeakWarning
    >>> issubclass(PrivacyLeakWarning, UserWarning)
    True
    """


def sample_ball_noise(rng, dim, scale):
    """Draw ``b`` in ``R^dim`` with density proportional to ``exp(-||b|| / scale)``.

    The norm follows ``Gamma(dim, scale)`` and the direction is uniform on the
    sphere, so ``E||b|| = dim * scale``.

    Parameters
    ----------
    rng : RandomState
        Random number generator.
    dim : int
        Dimension.
    scale : float
        Scale of the norm.

    Returns
    -------
    b : ndarray of shape (dim,)

    Examples
    --------
    >>> import numpy as np
    >>> from skinvert.defenses._dp import sample_ball_noise
    >>> sample_ball_noise(np.random.RandomState(0), 3, 2.0).shape
    (3,)
    """
    direction = rng.standard_normal(dim)
    length = np.linalg.norm(direction)
    while length == 0:  # probability zero; keeps the direction well defined
        direction = rng.standard_normal(dim)
        length = np.linalg.norm(direction)
    return rng.gamma(dim, scale) * direction / length if scale > 0 else 0 * direction


def objective_perturbation_budget(epsilon, n, regularization, curvature=0.25):
    r"""Noise budget and extra regulariser of objective perturbation.

    Chaudhuri, Monteleoni and Sarwate (JMLR 2011, Theorem 9): minimising
    :math:`J(w) + b^\top w / n + \tfrac{\Delta}{2}\|w\|^2`, with :math:`b` of
    density proportional to :math:`\exp(-\epsilon' \|b\| / 2)`, is
    ``epsilon``-differentially private whenever

    .. math::

        \epsilon' + 2 \log\Bigl(1 + \frac{c}{n (\Lambda + \Delta)}\Bigr)
        \le \epsilon, \qquad \Delta \ge 0, \ \epsilon' > 0.

    First branch (their Algorithm 2): :math:`\Delta = 0` and
    :math:`\epsilon' = \epsilon - \log(1 + 2c/(n\Lambda) + c^2/(n\Lambda)^2)`.
    When that leaves :math:`\epsilon' < \epsilon / 2` (the paper switches only at
    :math:`\epsilon' \le 0`), :math:`\Delta = c / (n (e^{\epsilon/4} - 1)) - \Lambda`
    and :math:`\epsilon' = \epsilon/2`: private with equality, less noise, and
    continuous in ``epsilon``. The derivation is in ``docs/privacy.md`` ("The two
    algorithms").

    Parameters
    ----------
    epsilon : float
        Privacy budget (> 0) of one model.
    n : int
        Number of training records.
    regularization : float
        :math:`\Lambda` (> 0), strength of the regulariser
        :math:`\tfrac{\Lambda}{2}\|w\|^2` of the mean loss.
    curvature : float, default=0.25
        Bound ``c`` on the loss's second derivative (1/4 for the logistic loss).

    Returns
    -------
    epsilon_prime : float
        Budget :math:`\epsilon'` of the noise; its norm follows
        ``Gamma(dim, 2 / epsilon_prime)``.
    extra_regularization : float
        :math:`\Delta \ge 0`.

    Examples
    --------
    >>> from skinvert.defenses._dp import objective_perturbation_budget
    >>> eps_prime, delta = objective_perturbation_budget(1.0, 1000, 1e-3)
    >>> round(eps_prime, 4), delta
    (0.5537, 0.0)
    >>> eps_prime, delta = objective_perturbation_budget(0.5, 1000, 1e-3)
    >>> eps_prime, round(delta, 5)
    (0.25, 0.00088)
    """
    ratio = curvature / (n * regularization)
    epsilon_prime = epsilon - 2.0 * np.log1p(ratio)
    if epsilon_prime >= epsilon / 2:
        return float(epsilon_prime), 0.0
    delta = curvature / (n * np.expm1(epsilon / 4)) - regularization
    return epsilon / 2, float(max(delta, 0.0))


def _loss_and_grad(w, Z, signs, strength, linear):
    """Mean logistic loss + strength/2 ||w||^2 + linear.w, and its gradient."""
    margins = signs * (Z @ w)
    loss = np.logaddexp(0.0, -margins).mean()
    weights = -signs * expit(-margins) / Z.shape[0]
    value = loss + 0.5 * strength * (w @ w) + linear @ w
    return value, Z.T @ weights + strength * w + linear


class DPLogisticRegression(LinearClassifierMixin, BaseEstimator):
    r"""Logistic regression trained with epsilon-differential privacy.

    After Chaudhuri, Monteleoni and Sarwate, "Differentially Private Empirical Risk
    Minimization", JMLR 12 (2011). Each binary model minimises, over records
    :math:`z_i` scaled into the unit ball and labels :math:`y_i = \pm 1`,

    .. math::

        J(w) = \frac{1}{n} \sum_i \log(1 + e^{-y_i w^\top z_i})
        + \frac{\Lambda}{2} \|w\|^2, \qquad \Lambda = \frac{1}{C n},

    which is scikit-learn's ``C``-parametrised objective divided by ``C n``.

    * ``method="objective"`` (objective perturbation, their Algorithm 2; the
      default): minimise :math:`J(w) + b^\top w / n + \tfrac{\Delta}{2}\|w\|^2`
      with :math:`b` of density proportional to :math:`\exp(-\epsilon'\|b\|/2)`
      (norm :math:`\mathrm{Gamma}(D, 2/\epsilon')`, uniform direction);
      :math:`\epsilon'` and :math:`\Delta` from
      :func:`~skinvert.defenses._dp.objective_perturbation_budget`.
    * ``method="output"`` (output perturbation, their Algorithm 1): release
      :math:`w^* + b`, the minimiser's L2 sensitivity being :math:`2/(n\Lambda)`:
      the noise norm follows :math:`\mathrm{Gamma}(D, 2 C / \epsilon)`.

    Objective perturbation's noise enters as ``b / n`` and fades as ``n`` grows;
    output perturbation's does not: it is far less accurate at the same ``epsilon``.

    **Guarantee.** The released model (``coef_``, ``intercept_``) is
    ``epsilon``-differentially private with respect to neighbouring training sets
    of the same size that differ in one record (features and label), provided
    ``data_norm`` and ``classes`` are chosen without the data (``None`` for either
    issues a :class:`PrivacyLeakWarning` and the guarantee does not hold), the
    hyperparameters are public (tuning ``C`` or ``epsilon`` on the same data spends
    unaccounted privacy), and the minimiser and arithmetic are exact (a
    :class:`~sklearn.exceptions.ConvergenceWarning` says when the solver stopped
    early). The assumptions and the accounting are detailed in ``docs/privacy.md``.

    Records are scaled as :math:`z = x / R` (``R`` = ``data_norm``) after
    clipping to norm ``R``. The intercept is a constant feature inside the norm
    bound: :math:`z = [x / R, 1] / \sqrt{2}`, so the intercept is regularised
    and perturbed like the other weights. With more than two classes, one binary
    model per class (one-vs-rest) is trained on the same records, each with
    ``epsilon / K``: by sequential composition the set of ``K`` models is
    ``epsilon``-private. Predictions use the raw features (no clipping).

    Parameters
    ----------
    epsilon : float, default=1.0
        Privacy budget of the whole model, finite and > 0 (``inf`` is refused:
        a model without noise is :class:`~sklearn.linear_model.LogisticRegression`).
    C : float, default=1.0
        Inverse regularisation strength; :math:`\Lambda = 1 / (C n)` on the scaled
        records.
    data_norm : float, default=None
        Bound ``R`` on the records' L2 norm; rows with a larger norm are scaled
        down to it before training. ``None`` derives it from the data (warns).
    method : {"objective", "output"}, default="objective"
        Objective or output perturbation.
    classes : array-like of shape (n_classes,), default=None
        Every label the model may be trained on, known without the data (at
        least two). Labels of this set absent from ``y`` still get a model, so
        training sets that differ in one record give models of the same shape.
        ``None`` reads the labels from ``y`` (warns).
    fit_intercept : bool, default=True
        Whether to fit an intercept (a constant feature inside the norm bound).
    max_iter : int, default=1000
        Maximum L-BFGS iterations per binary model.
    tol : float, default=1e-8
        Gradient tolerance of the solver.
    random_state : int, RandomState instance or None, default=None
        Source of the privacy noise; an int gives reproducible models.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights on the raw features.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts (zeros when ``fit_intercept=False``).
    classes_ : ndarray of shape (n_classes,)
        Class labels (sorted).
    epsilon_per_model_ : float
        Budget of each binary model: ``epsilon`` over the number of models.
    regularization_ : float
        :math:`\Lambda = 1 / (C n)`.
    extra_regularization_ : float
        :math:`\Delta` added by objective perturbation (0 otherwise).
    epsilon_prime_ : float
        Budget the noise is calibrated to: :math:`\epsilon'` for objective
        perturbation, ``epsilon_per_model_`` for output perturbation.
    sensitivity_ : float
        L2 sensitivity the noise hides: 2 (objective perturbation) or
        :math:`2 / (n \Lambda)` (output perturbation).
    noise_scale_ : float
        Scale of the Gamma-distributed noise norm of each binary model:
        ``sensitivity_ / epsilon_prime_``.
    data_norm_ : float
        The norm bound ``R`` used.
    n_iter_ : ndarray of shape (n_models,)
        Solver iterations per binary model.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit`` (DataFrames only).

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        From ``fit``, when a parameter is out of range: ``epsilon`` NaN, zero,
        negative or infinite, ``C`` or ``data_norm`` not positive. These checks
        run even inside a caller that skips scikit-learn's nested validation.
    ValueError
        From ``fit``, when ``classes`` has fewer than two or repeated labels,
        when ``y`` holds a label outside ``classes``, or (``classes=None``)
        when ``y`` holds one class only.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The non-private model.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skinvert.defenses import DPLogisticRegression
    >>> X, y = make_classification(n_samples=500, random_state=0)
    >>> model = DPLogisticRegression(
    ...     epsilon=0.5, data_norm=10.0, classes=[0, 1], random_state=0
    ... ).fit(X, y)
    >>> model.coef_.shape, model.epsilon_prime_, model.noise_scale_
    ((1, 20), 0.25, 8.0)
    >>> round(model.extra_regularization_, 5)
    0.00176
    """

    _parameter_constraints: dict = {
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "C": [Interval(Real, 0, None, closed="neither")],
        "data_norm": [Interval(Real, 0, None, closed="neither"), None],
        "method": [StrOptions({"output", "objective"})],
        "classes": ["array-like", None],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        epsilon=1.0,
        C=1.0,
        data_norm=None,
        method="objective",
        classes=None,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-8,
        random_state=None,
    ):
        self.epsilon = epsilon
        self.C = C
        self.data_norm = data_norm
        self.method = method
        self.classes = classes
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _check_params(self):
        """Validate the parameters whatever scikit-learn's configuration says.

        ``_fit_context`` skips validation inside a caller's own fit (nested
        validation); a privacy budget must never be trusted unchecked, so the
        constraints are checked here on every fit.
        """
        epsilon = self.epsilon
        if isinstance(epsilon, Real) and np.isposinf(epsilon):
            raise InvalidParameterError(
                "The 'epsilon' parameter of DPLogisticRegression must be a finite "
                "float > 0; got inf, which would add no noise. For a non-private "
                "model use sklearn.linear_model.LogisticRegression."
            )
        self._validate_params()

    def _labels(self, y):
        """The sorted label set and each record's code in it."""
        if self.classes is None:
            classes = np.unique(y)
            if len(classes) < 2:
                raise ValueError(
                    "DPLogisticRegression needs samples of at least 2 classes in y, "
                    f"but the data contains only one class: {classes.tolist()}. "
                    "Pass classes= the set of possible labels to train anyway."
                )
            warnings.warn(
                "classes=None: the set of labels is read from the training data "
                f"({len(classes)} labels found). A label held by one record shows in "
                "classes_ and changes the model's shape, so the epsilon-differential "
                "privacy guarantee does not hold for it. Set classes to the possible "
                "labels, known without the data.",
                PrivacyLeakWarning,
                stacklevel=4,
            )
            return classes, np.searchsorted(classes, y)
        given = np.asarray(self.classes)
        if given.ndim != 1:
            raise ValueError(
                "The 'classes' parameter of DPLogisticRegression must be a 1-d list "
                f"of labels; got an array of shape {given.shape}."
            )
        classes = np.unique(given)
        if len(classes) < 2 or len(classes) != len(given):
            raise ValueError(
                "The 'classes' parameter of DPLogisticRegression must hold at least "
                f"2 distinct labels; got {given.tolist()}."
            )
        codes = np.searchsorted(classes, y)
        found = codes < len(classes)
        found[found] = classes[codes[found]] == y[found]
        if not found.all():
            unknown = np.unique(y[~found])[:5].tolist()
            raise ValueError(
                f"y holds labels that are not in classes={classes.tolist()}: "
                f"{unknown}. Add them to classes."
            )
        return classes, codes

    def _budget(self, n, n_models):
        """Per-model budget, regularisers, noise budget, sensitivity."""
        epsilon = float(self.epsilon) / n_models
        lam = 1.0 / (float(self.C) * n)
        if self.method == "objective":
            eps_prime, delta = objective_perturbation_budget(
                epsilon, n, lam, _LOGISTIC_CURVATURE
            )
            return epsilon, lam, delta, eps_prime, 2.0
        return epsilon, lam, 0.0, epsilon, 2.0 / (n * lam)

    def _scaled(self, X, data_norm):
        """Clip rows to norm ``data_norm`` and scale them into the unit ball."""
        norms = np.linalg.norm(X, axis=1)
        shrink = np.minimum(1.0, data_norm / np.maximum(norms, 1e-300))
        Z = X * (shrink / data_norm)[:, None]
        if self.fit_intercept:
            Z = np.hstack([Z, np.ones((Z.shape[0], 1))]) / np.sqrt(2.0)
        return Z

    def _solve(self, Z, signs, strength, linear):
        result = minimize(
            _loss_and_grad,
            np.zeros(Z.shape[1]),
            args=(Z, signs, strength, linear),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": self.max_iter, "gtol": self.tol},
        )
        if not result.success and result.nit >= self.max_iter:
            warnings.warn(
                f"DPLogisticRegression's solver did not converge in max_iter="
                f"{self.max_iter} iterations; increase max_iter. The privacy "
                "analysis assumes the exact minimiser.",
                ConvergenceWarning,
                stacklevel=4,
            )
        return result.x, result.nit

    def fit(self, X, y):
        """Train the private model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training records (numeric).
        y : array-like of shape (n_samples,)
            Labels: at least two classes, or any labels of ``classes``.

        Returns
        -------
        self : object
            The fitted model.

        Raises
        ------
        sklearn.utils._param_validation.InvalidParameterError
            When a parameter is out of range (``epsilon`` NaN, <= 0 or inf...).
        ValueError
            When ``classes`` or ``y`` are unusable (see the class docstring).
        """
        self._check_params()
        # validate_data records n_features_in_ before the labels are checked: a
        # failed fit puts back what a previous fit recorded.
        previous = {
            key: self.__dict__[key]
            for key in ("n_features_in_", "feature_names_in_")
            if key in self.__dict__
        }
        try:
            return self._fit(X, y)
        except Exception:
            self.__dict__.pop("n_features_in_", None)
            self.__dict__.pop("feature_names_in_", None)
            self.__dict__.update(previous)
            raise

    def _fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        classes, codes = self._labels(y)
        if self.data_norm is None:
            largest = float(np.linalg.norm(X, axis=1).max())
            data_norm = largest if largest > 0 else 1.0
            warnings.warn(
                "data_norm=None: the norm bound is taken from the training data "
                f"(largest row norm {data_norm:.4g}). The bound itself reveals "
                "a record's norm, so the epsilon-differential privacy guarantee does "
                "not hold. Set data_norm to a bound known without the data.",
                PrivacyLeakWarning,
                stacklevel=3,
            )
        else:
            data_norm = float(self.data_norm)
        Z = self._scaled(X, data_norm)
        n, dim = Z.shape
        n_models = 1 if len(classes) == 2 else len(classes)
        targets = [1] if n_models == 1 else range(n_models)
        eps_model, lam, delta, eps_prime, sensitivity = self._budget(n, n_models)
        scale = sensitivity / eps_prime
        rng = check_random_state(self.random_state)
        weights, iterations = [], []
        for k in targets:
            signs = np.where(codes == k, 1.0, -1.0)
            if self.method == "objective":
                noise = sample_ball_noise(rng, dim, scale)
                w, nit = self._solve(Z, signs, lam + delta, noise / n)
            else:
                w, nit = self._solve(Z, signs, lam, np.zeros(dim))
                w = w + sample_ball_noise(rng, dim, scale)
            weights.append(w)
            iterations.append(nit)
        W = np.vstack(weights)
        if self.fit_intercept:
            self.coef_ = W[:, :-1] / (data_norm * np.sqrt(2.0))
            self.intercept_ = W[:, -1] / np.sqrt(2.0)
        else:
            self.coef_ = W / data_norm
            self.intercept_ = np.zeros(W.shape[0])
        self.classes_ = classes
        self.data_norm_ = data_norm
        self.epsilon_per_model_ = eps_model
        self.regularization_ = lam
        self.extra_regularization_ = delta
        self.epsilon_prime_ = eps_prime
        self.sensitivity_ = sensitivity
        self.noise_scale_ = scale
        self.n_iter_ = np.asarray(iterations)
        return self

    def predict_proba(self, X):
        """Class probabilities (sigmoid; one-vs-rest normalised for K > 2).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Records.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return self._predict_proba_lr(X)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Records.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))
