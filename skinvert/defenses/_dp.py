"""Differentially private logistic regression after Chaudhuri et al. (JMLR 2011)."""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from ..utils._sklearn import Interval, LinearClassifierMixin, StrOptions

# Bound on the second derivative of the logistic loss (objective perturbation).
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

    * ``method="output"`` (output perturbation, their Algorithm 1): release
      :math:`w^* + b` where :math:`b` has density proportional to
      :math:`\exp(-\tfrac{n \Lambda \epsilon}{2} \|b\|)`: its norm follows
      :math:`\mathrm{Gamma}(D, 2 / (n \Lambda \epsilon))` (here ``2 C / epsilon``)
      and its direction is uniform.
    * ``method="objective"`` (objective perturbation, their Algorithm 2): with
      :math:`c = 1/4` and
      :math:`\epsilon' = \epsilon - \log(1 + 2c/(n\Lambda) + c^2/(n\Lambda)^2)`;
      if :math:`\epsilon' \le 0`, add the regulariser
      :math:`\tfrac{\Delta}{2}\|w\|^2` with
      :math:`\Delta = c / (n (e^{\epsilon/4} - 1)) - \Lambda` and set
      :math:`\epsilon' = \epsilon / 2`; then minimise
      :math:`J(w) + b^\top w / n + \tfrac{\Delta}{2}\|w\|^2` with :math:`b` of
      density proportional to :math:`\exp(-\epsilon' \|b\| / 2)`.

    With this mapping of ``C`` the output-perturbation noise norm, about
    ``D * 2 C / epsilon`` (``D`` weights), does not shrink as ``n`` grows: lower
    ``C`` to trade fit for privacy. Objective perturbation's noise enters as
    ``b / n`` and fades with ``n``.

    **Guarantee.** The released model (``coef_``, ``intercept_``) is
    ``epsilon``-differentially private with respect to neighbouring training sets
    of the same size that differ in one record, its features and its label (so it
    also covers label-level neighbours), under these assumptions:

    * every record has L2 norm at most ``data_norm`` (records are clipped to it,
      so this holds) and ``data_norm`` is chosen without looking at the data;
      with ``data_norm=None`` it is the largest row norm of the training data, a
      :class:`PrivacyLeakWarning` is issued and the guarantee does not hold;
    * the loss is convex and differentiable with derivative bounded by 1 (and,
      for objective perturbation, second derivative bounded by ``c = 1/4``):
      true of the logistic loss on records in the unit ball;
    * the minimiser is exact (the solver stops at ``tol``) and arithmetic is
      exact (floating-point effects are not accounted for);
    * ``n``, the set of class labels and the hyperparameters are public: choosing
      ``C`` or ``epsilon`` by cross-validation on the same data spends privacy
      that is not accounted for.

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
        Privacy budget (> 0) of the whole model.
    C : float, default=1.0
        Inverse regularisation strength; :math:`\Lambda = 1 / (C n)` on the scaled
        records.
    data_norm : float, default=None
        Bound ``R`` on the records' L2 norm; rows with a larger norm are scaled
        down to it before training. ``None`` derives it from the data (warns).
    method : {"output", "objective"}, default="output"
        Output or objective perturbation.
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
        Class labels.
    noise_scale_ : float
        Scale of the Gamma-distributed noise norm of each binary model
        (``2 / (n Lambda epsilon_per_model_)`` for output perturbation,
        ``2 / epsilon'`` for objective perturbation).
    epsilon_per_model_ : float
        Budget of each binary model: ``epsilon`` over the number of models.
    extra_regularization_ : float
        :math:`\Delta` added by objective perturbation (0 otherwise).
    data_norm_ : float
        The norm bound ``R`` used.
    n_iter_ : ndarray of shape (n_models,)
        Solver iterations per binary model.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit`` (DataFrames only).

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The non-private model.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skinvert.defenses import DPLogisticRegression
    >>> X, y = make_classification(n_samples=500, random_state=0)
    >>> model = DPLogisticRegression(epsilon=5.0, data_norm=10.0, random_state=0)
    >>> model = model.fit(X, y)
    >>> model.coef_.shape, model.noise_scale_
    ((1, 20), 0.4)
    """

    _parameter_constraints: dict = {
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "C": [Interval(Real, 0, None, closed="neither")],
        "data_norm": [Interval(Real, 0, None, closed="neither"), None],
        "method": [StrOptions({"output", "objective"})],
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
        method="output",
        fit_intercept=True,
        max_iter=1000,
        tol=1e-8,
        random_state=None,
    ):
        self.epsilon = epsilon
        self.C = C
        self.data_norm = data_norm
        self.method = method
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _scaled(self, X):
        """Clip rows to norm ``data_norm_`` and scale them into the unit ball."""
        norms = np.linalg.norm(X, axis=1)
        shrink = np.minimum(1.0, self.data_norm_ / np.maximum(norms, 1e-300))
        Z = X * (shrink / self.data_norm_)[:, None]
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
                stacklevel=3,
            )
        return result.x, result.nit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the private model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training records (numeric).
        y : array-like of shape (n_samples,)
            Labels (at least two classes).

        Returns
        -------
        self : object
            The fitted model.
        """
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                "DPLogisticRegression needs samples of at least 2 classes in y, but "
                f"the data contains only one class: {self.classes_.tolist()}."
            )
        if self.data_norm is None:
            largest = float(np.linalg.norm(X, axis=1).max())
            self.data_norm_ = largest if largest > 0 else 1.0
            warnings.warn(
                "data_norm=None: the norm bound is taken from the training data "
                f"(largest row norm {self.data_norm_:.4g}). The bound itself reveals "
                "a record's norm, so the epsilon-differential privacy guarantee does "
                "not hold. Set data_norm to a bound known without the data.",
                PrivacyLeakWarning,
                stacklevel=2,
            )
        else:
            self.data_norm_ = float(self.data_norm)
        Z = self._scaled(X)
        n, dim = Z.shape
        n_models = 1 if len(self.classes_) == 2 else len(self.classes_)
        targets = [1] if n_models == 1 else range(n_models)
        self.epsilon_per_model_ = float(self.epsilon) / n_models
        lam = 1.0 / (float(self.C) * n)
        strength, eps_noise = lam, self.epsilon_per_model_
        self.extra_regularization_ = 0.0
        if self.method == "objective":
            ratio = _LOGISTIC_CURVATURE / (n * lam)
            eps_noise = self.epsilon_per_model_ - np.log1p(2 * ratio + ratio**2)
            if eps_noise <= 0:
                self.extra_regularization_ = (
                    _LOGISTIC_CURVATURE / (n * np.expm1(self.epsilon_per_model_ / 4))
                    - lam
                )
                eps_noise = self.epsilon_per_model_ / 2
            strength = lam + self.extra_regularization_
            self.noise_scale_ = 2.0 / eps_noise
        else:
            self.noise_scale_ = 2.0 / (n * lam * self.epsilon_per_model_)
        rng = check_random_state(self.random_state)
        weights, iterations = [], []
        for k in targets:
            signs = np.where(codes == k, 1.0, -1.0)
            if self.method == "objective":
                noise = sample_ball_noise(rng, dim, self.noise_scale_)
                w, nit = self._solve(Z, signs, strength, noise / n)
            else:
                w, nit = self._solve(Z, signs, strength, np.zeros(dim))
                w = w + sample_ball_noise(rng, dim, self.noise_scale_)
            weights.append(w)
            iterations.append(nit)
        W = np.vstack(weights)
        if self.fit_intercept:
            self.coef_ = W[:, :-1] / (self.data_norm_ * np.sqrt(2.0))
            self.intercept_ = W[:, -1] / np.sqrt(2.0)
        else:
            self.coef_ = W / self.data_norm_
            self.intercept_ = np.zeros(W.shape[0])
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
