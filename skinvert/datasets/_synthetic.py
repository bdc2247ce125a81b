"""Synthetic tabular records with a sensitive attribute and a tunable leak."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from skinvert.utils._optional import import_optional

from ..utils._sklearn import Interval, validate_params


def _check_sensitive_weights(sensitive_weights, n_sensitive_values):
    """Return the marginal of the sensitive attribute as a validated float array."""
    if sensitive_weights is None:
        return np.full(n_sensitive_values, 1.0 / n_sensitive_values)
    weights = np.asarray(sensitive_weights, dtype=np.float64)
    if weights.ndim != 1 or weights.shape[0] != n_sensitive_values:
        raise ValueError(
            "sensitive_weights must be a 1-d sequence with one probability per "
            f"sensitive value, i.e. of length n_sensitive_values={n_sensitive_values}; "
            f"got shape {weights.shape}. Pass a list of {n_sensitive_values} "
            "probabilities or None for the uniform distribution."
        )
    if not np.all(np.isfinite(weights)) or np.any(weights <= 0):
        raise ValueError(
            "sensitive_weights must hold strictly positive finite probabilities "
            f"(every sensitive value must be possible); got {weights.tolist()}. "
            "Lower n_sensitive_values instead of giving a value probability 0."
        )
    if not np.isclose(weights.sum(), 1.0, rtol=0.0, atol=1e-8):
        raise ValueError(
            f"sensitive_weights must sum to one; got {weights.tolist()} which sums "
            f"to {weights.sum():.6g}. Divide the weights by their sum."
        )
    return weights


def _centred_coefficients(rng, n_rows, n_cols, *, scale):
    """Gaussian matrix centred across columns, of a fixed Frobenius norm.

    The norm is ``scale * sqrt((n_cols - 1) / 2)``.

    With ``n_cols = 2`` the two columns are opposite and the contrast
    ``x @ (M[:, 1] - M[:, 0])`` of a standard normal ``x`` has standard deviation
    exactly ``scale``, whatever the draw.
    """
    coef = rng.standard_normal((n_rows, n_cols))
    coef -= coef.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(coef)
    target = scale * np.sqrt((n_cols - 1) / 2.0)
    return coef * (target / norm) if norm > 0 else coef


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 2, None, closed="left")],
        "n_sensitive_values": [Interval(Integral, 2, None, closed="left")],
        "leak": [Interval(Real, 0, None, closed="left")],
        "feature_dependence": [Interval(Real, 0, None, closed="left")],
        "sensitive_weights": ["array-like", None],
        "label_noise": [Interval(Real, 0, 1, closed="both")],
        "n_classes": [Interval(Integral, 2, None, closed="left")],
        "as_frame": ["boolean"],
        "return_sensitive_column": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_sensitive_classification(
    n_samples=1000,
    n_features=6,
    *,
    n_sensitive_values=2,
    leak=2.0,
    feature_dependence=0.0,
    sensitive_weights=None,
    label_noise=0.05,
    n_classes=2,
    as_frame=False,
    return_sensitive_column=False,
    random_state=None,
):
    r"""Generate records with a categorical sensitive attribute and a planted leak.

    Column 0 of ``X`` is the sensitive attribute :math:`s`, integer-coded
    ``0, ..., n_sensitive_values - 1``; columns ``1, ..., n_features - 1`` are the
    known features :math:`x \in \mathbb{R}^p` with :math:`p = n\_features - 1`.
    The task label :math:`y` depends on the known features and, through
    ``leak``, on :math:`s`. ``feature_dependence`` sets how predictable
    :math:`s` is from the known features alone.

    Generative model, with :math:`K` = ``n_sensitive_values``, :math:`C` =
    ``n_classes``, :math:`\pi` = ``sensitive_weights``, :math:`\lambda` =
    ``leak``, :math:`\delta` = ``feature_dependence``, :math:`\eta` =
    ``label_noise``. Two coefficient matrices are drawn once per call, each
    from i.i.d. standard normals :math:`G`, centred across its columns and
    rescaled to a fixed Frobenius norm:

    .. math::

        U = \frac{\tilde G_U}{\|\tilde G_U\|_F} \sqrt{\frac{K-1}{2}}
        \in \mathbb{R}^{p \times K}, \qquad
        W = \frac{\tilde G_W}{\|\tilde G_W\|_F}\, 2 \sqrt{\frac{C-1}{2}}
        \in \mathbb{R}^{p \times C}, \qquad
        \tilde G = G - \tfrac{1}{m} G \mathbf{1}\mathbf{1}^\top

    (:math:`m` the number of columns). Each record is then drawn independently:

    1. known features: :math:`x \sim \mathcal{N}(0, I_p)`;
    2. sensitive value: :math:`P(s = v \mid x) =
       \operatorname{softmax}_v\left(\log \pi_v + \delta\, x^\top U_{\cdot v}\right)`;
    3. clean label: :math:`y_0 = \arg\max_c \left(x^\top W_{\cdot c}
       + \lambda\, e(s, c)\right)` with :math:`e(s, c) = 1` if
       :math:`c \equiv s \pmod C` and 0 otherwise: value :math:`s` pushes the
       label towards class :math:`s \bmod C`;
    4. label noise: with probability :math:`\eta`, :math:`y = (y_0 + o) \bmod C`
       with :math:`o` uniform on :math:`\{1, \dots, C-1\}` (a flip to another
       class); otherwise :math:`y = y_0`.

    In the binary case (:math:`K = C = 2`) this reads, with :math:`z_s, z_y`
    standard normal projections of :math:`x` on two fixed random directions:

    .. math::

        \log\frac{P(s=1 \mid x)}{P(s=0 \mid x)} = \log\frac{\pi_1}{\pi_0}
        + \delta z_s, \qquad
        y_0 = \mathbb{1}\left[\,2 z_y + \lambda (2 s - 1) > 0\,\right].

    Consequences: with ``leak=0``, :math:`y` is a function of :math:`x` and the
    noise only, so :math:`y \perp s \mid x` and a model's answers cannot reveal
    :math:`s` beyond what :math:`x` does; with ``feature_dependence=0`` as well,
    :math:`s` is independent of :math:`(x, y)` with marginal :math:`\pi`, and
    no attacker beats the majority value. The larger ``leak``, the more the
    label is determined by :math:`s` (``leak=3`` decides the clean binary label
    of about 87% of the records). With ``feature_dependence > 0`` the marginal
    of :math:`s` drifts from :math:`\pi`. The noise flips are what an overfit
    model memorises for its members. The random draws do not depend on
    ``leak``, ``feature_dependence``, ``sensitive_weights`` or
    ``label_noise``: changing them with a fixed ``random_state`` keeps the
    same known features. When ``n_features - 1 < n_classes - 1`` some classes
    may arise only through the leak or the noise.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of records.
    n_features : int, default=6
        Number of columns of ``X``, the sensitive one included (at least 2).
    n_sensitive_values : int, default=2
        Number of values :math:`K` of the sensitive attribute (at least 2).
    leak : float, default=2.0
        Strength :math:`\lambda \ge 0` of the dependence of the label on the
        sensitive value; 0 means none.
    feature_dependence : float, default=0.0
        Strength :math:`\delta \ge 0` of the dependence of the sensitive value
        on the known features; 0 means independent.
    sensitive_weights : array-like of shape (n_sensitive_values,), default=None
        Base probabilities :math:`\pi` of the sensitive values (positive,
        summing to one); None means uniform.
    label_noise : float, default=0.05
        Probability :math:`\eta \in [0, 1]` that a label is flipped to another
        class.
    n_classes : int, default=2
        Number of label classes :math:`C` (at least 2).
    as_frame : bool, default=False
        If True, ``X`` is a pandas DataFrame with columns ``"sensitive", "x1",
        ..., "x{n_features-1}"`` (``"sensitive"`` of integer dtype) and ``y``
        a Series named ``"label"``; needs pandas.
    return_sensitive_column : bool, default=False
        If True, also return ``s``, the sensitive values (a copy of column 0
        of ``X`` as integers; a Series named ``"sensitive"`` if ``as_frame``).
    random_state : int, RandomState instance or None, default=None
        Seed of every random draw; pass an int for reproducible output.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features) or DataFrame
        Sensitive attribute in column 0 (float-coded integers in an array),
        known features after it.
    y : ndarray of shape (n_samples,) or Series
        Integer labels in ``0, ..., n_classes - 1``.
    s : ndarray of shape (n_samples,) or Series
        Sensitive values; only when ``return_sensitive_column=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(100, 3, random_state=0)
    >>> X.shape, y.shape
    ((100, 3), (100,))
    >>> np.unique(X[:, 0]), np.unique(y)
    (array([0., 1.]), array([0, 1]))
    >>> X, y, s = make_sensitive_classification(
    ...     n_samples=4, n_features=3, return_sensitive_column=True, random_state=0
    ... )
    >>> bool((X[:, 0] == s).all())
    True
    """
    weights = _check_sensitive_weights(sensitive_weights, n_sensitive_values)
    rng = check_random_state(random_state)
    n_known = n_features - 1

    # Every draw is made whatever the parameter values, in a fixed order, so
    # that the stream (and thus the known features) does not depend on them.
    x_known = rng.standard_normal((n_samples, n_known))
    u = _centred_coefficients(rng, n_known, n_sensitive_values, scale=1.0)
    w = _centred_coefficients(rng, n_known, n_classes, scale=2.0)
    u_s = rng.random_sample(n_samples)
    flip = rng.random_sample(n_samples) < label_noise
    offset = rng.randint(1, n_classes, size=n_samples)

    # Sensitive value by inverse-CDF sampling of a softmax over the K values.
    logits_s = np.log(weights) + feature_dependence * (x_known @ u)
    logits_s -= logits_s.max(axis=1, keepdims=True)
    prob_s = np.exp(logits_s)
    cdf = np.cumsum(prob_s, axis=1)
    cdf /= cdf[:, -1:]
    s = np.minimum((u_s[:, None] >= cdf).sum(axis=1), n_sensitive_values - 1)

    # Label: argmax of the feature term plus the leak towards class s mod C.
    logits_y = x_known @ w
    logits_y[np.arange(n_samples), s % n_classes] += leak
    y = np.argmax(logits_y, axis=1)
    y = np.where(flip, (y + offset) % n_classes, y).astype(np.int64)
    s = s.astype(np.int64)

    X = np.column_stack([s.astype(np.float64), x_known])
    if not as_frame:
        return (X, y, s) if return_sensitive_column else (X, y)

    pd = import_optional("pandas", purpose="as_frame=True")
    columns = ["sensitive"] + [f"x{j}" for j in range(1, n_features)]
    frame = pd.DataFrame(X, columns=columns)
    frame["sensitive"] = s
    label = pd.Series(y, name="label")
    if return_sensitive_column:
        return frame, label, pd.Series(s, name="sensitive")
    return frame, label
