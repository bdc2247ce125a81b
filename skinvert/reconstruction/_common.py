"""What the reconstruction attacks share: the records' domain, counted queries."""

import numpy as np

from .._query import query_target
from ..utils._optional import import_optional


class Domain:
    """Ranges, integer and categorical columns learned from auxiliary records.

    Reconstructions are projected onto this domain: every column clipped to the
    range seen in the auxiliary data, integer columns rounded, categorical
    columns snapped to the nearest value seen.
    """

    def __init__(self, X, *, integer_features="auto", categorical_features=None):
        d = X.shape[1]
        self.min = X.min(axis=0)
        self.max = X.max(axis=0)
        spread = self.max - self.min
        self.range = np.where(spread > 0, spread, 1.0)
        self.mean = X.mean(axis=0)
        self.categorical = _mask(categorical_features, d, "categorical_features")
        if isinstance(integer_features, str):  # "auto"
            self.integer = np.all(np.round(X) == X, axis=0)
        else:
            self.integer = _mask(integer_features, d, "integer_features")
        self.integer &= ~self.categorical
        self.values = {j: np.unique(X[:, j]) for j in np.flatnonzero(self.categorical)}

    def clip(self, X):
        return np.clip(X, self.min, self.max)

    def project(self, X):
        """``X`` clipped, integer columns rounded, categorical columns snapped."""
        X = self.clip(X)
        X[:, self.integer] = np.round(X[:, self.integer])
        for j, values in self.values.items():  # a loop over columns, not rows
            pos = np.clip(np.searchsorted(values, X[:, j]), 1, max(len(values) - 1, 1))
            lower = values[pos - 1]
            upper = values[np.minimum(pos, len(values) - 1)]
            X[:, j] = np.where(X[:, j] - lower <= upper - X[:, j], lower, upper)
        return X


def _mask(spec, d, param):
    mask = np.zeros(d, dtype=bool)
    if spec is None:
        return mask
    spec = np.asarray(spec)
    if spec.dtype == bool:
        if spec.shape != (d,):
            raise ValueError(
                f"{param} as a boolean mask must have one entry per feature ({d}); "
                f"got shape {spec.shape}."
            )
        return spec.copy()
    if spec.dtype.kind not in "iu" or spec.ndim != 1:
        raise ValueError(
            f"{param} must be a list of integer column positions or a boolean mask; "
            f"got {spec!r}."
        )
    if spec.size and (spec.min() < -d or spec.max() >= d):
        raise ValueError(
            f"{param}={spec.tolist()} has positions out of range for {d} features."
        )
    mask[spec] = True
    return mask


class Oracle:
    """The target's confidences through :func:`query_target`, every row counted.

    ``max_queries`` caps the rows; :meth:`affordable` says whether a call fits.
    """

    def __init__(
        self,
        target,
        *,
        feature_names=None,
        max_queries=None,
        batch_size=65536,
        n_jobs=None,
    ):
        self.target = target
        self.feature_names = feature_names
        self.max_queries = max_queries
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.n_queries = 0

    @classmethod
    def for_attack(cls, attack, *, max_queries=None):
        """The oracle of an attack's ``target``, ``batch_size`` and ``n_jobs``."""
        return cls(
            attack.target,
            feature_names=target_feature_names(attack.target),
            max_queries=max_queries,
            batch_size=attack.batch_size,
            n_jobs=attack.n_jobs,
        )

    def remaining(self):
        if self.max_queries is None:
            return np.inf
        return self.max_queries - self.n_queries

    def affordable(self, n_rows):
        return n_rows <= self.remaining()

    def __call__(self, X, method="predict_proba"):
        if not self.affordable(X.shape[0]):  # callers check first: a safeguard
            raise RuntimeError(
                f"max_queries={self.max_queries} would be exceeded by {X.shape[0]} "
                f"rows ({self.n_queries} already spent)."
            )
        rows = as_target_input(X, self.feature_names)
        answers = query_target(
            self.target,
            rows,
            method=method,
            batch_size=self.batch_size,
            n_jobs=self.n_jobs,
        )
        self.n_queries += X.shape[0]
        return answers


def as_target_input(X, feature_names):
    """``X`` as a DataFrame with the target's column names when it has them."""
    if feature_names is None:
        return X
    pd = import_optional("pandas", purpose="querying a target fitted on a DataFrame")
    return pd.DataFrame(X, columns=list(feature_names))


def target_feature_names(target):
    names = getattr(target, "feature_names_in_", None)
    return None if names is None else np.asarray(names)
