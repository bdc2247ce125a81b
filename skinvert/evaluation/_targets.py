"""The target the audit trains: named models, one-hot encoding, descriptions."""

import numpy as np
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from ..utils._optional import import_optional, is_pandas_dataframe
from ..utils._validation import missing_cells

MODELS = (
    "random_forest",
    "hist_gradient_boosting",
    "logistic_regression",
    "decision_tree",
)
# Where tree models live: a white-box tree attack is tried on these only (and
# says itself, in a note, if it cannot read one of them).
_TREE_MODULES = ("sklearn.tree", "sklearn.ensemble")


def _categorical_columns(X):
    """Columns a target cannot take as numbers: strings, categoricals, objects."""
    if is_pandas_dataframe(X):
        pd = import_optional("pandas")
        return [
            c
            for c in X.columns
            if not pd.api.types.is_numeric_dtype(X[c].dtype)
            or isinstance(X[c].dtype, pd.CategoricalDtype)
        ]
    if X.dtype.kind in "biuf":
        return []
    found = []
    for j in range(X.shape[1]):
        try:
            X[:, j].astype(float)
        except (TypeError, ValueError):
            found.append(j)
    return found


def make_target(model, X, *, random_state=None, n_jobs=None):
    """An unfitted target for ``X``: the named model, one-hot encoding categories.

    Parameters
    ----------
    model : {"random_forest", "hist_gradient_boosting", "logistic_regression", \
"decision_tree"} or estimator
        The model, or an unfitted classifier (cloned).
    X : ndarray or DataFrame
        Records the target will be trained on (read to find string and categorical
        columns, which get a one-hot encoder in a :class:`~sklearn.pipeline.Pipeline`).
    random_state : int, RandomState instance or None, default=None
        Seed of the named models.
    n_jobs : int, default=None
        Parallel jobs of the random forest.

    Returns
    -------
    target : classifier
        Unfitted.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvert.evaluation import make_target
    >>> make_target("decision_tree", np.zeros((2, 3)), random_state=0)
    DecisionTreeClassifier(random_state=0)
    """
    if isinstance(model, str):
        estimator = {
            "random_forest": lambda: RandomForestClassifier(
                random_state=random_state, n_jobs=n_jobs
            ),
            "hist_gradient_boosting": lambda: HistGradientBoostingClassifier(
                random_state=random_state
            ),
            "logistic_regression": lambda: LogisticRegression(max_iter=1000),
            "decision_tree": lambda: DecisionTreeClassifier(random_state=random_state),
        }[model]()
    else:
        estimator = clone(model)
    categorical = _categorical_columns(X)
    scale = model == "logistic_regression"
    if isinstance(estimator, Pipeline) or not (categorical or scale):
        return estimator
    steps = []
    if categorical:
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        steps.append(("categorical", encoder, categorical))
    remainder = StandardScaler() if scale else "passthrough"
    if scale and _has_missing_numbers(X, categorical):
        # a logistic regression takes no NaN: the median fills them in
        remainder = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    encode = ColumnTransformer(steps, remainder=remainder, sparse_threshold=0)
    return make_pipeline(encode, estimator)


def _has_missing_numbers(X, categorical):
    """Whether a numeric column of ``X`` (not in ``categorical``) holds NaN."""
    if is_pandas_dataframe(X):
        numbers = X.drop(columns=categorical)
        return bool(numbers.isna().to_numpy().any())
    if X.dtype.kind in "fc":
        return bool(np.isnan(X).any())
    keep = [j for j in range(X.shape[1]) if j not in set(categorical)]
    return bool(missing_cells(X[:, keep]).any())


def _final_model(target):
    """The model under any Pipeline or FrozenEstimator wrapping."""
    while True:
        if isinstance(target, Pipeline):
            target = target.steps[-1][1]
        elif isinstance(target, FrozenEstimator):
            target = target.estimator
        else:
            return target


def is_tree_target(target):
    """Whether the model under the target's Pipeline or freezing is tree-based."""
    return type(_final_model(target)).__module__.startswith(_TREE_MODULES)


def describe(target):
    """``Wrapper > ... > Model``: the attacked target's wrapping, outside in."""
    names = [type(target).__name__]
    while isinstance(target, FrozenEstimator) or (
        type(target).__module__.startswith("skinvert.") and hasattr(target, "estimator")
    ):
        # the fitted copy if the wrapper made one (a FrozenEstimator forwards
        # unknown attributes to its model, so only the instance's own count)
        target = vars(target).get("estimator_", target.estimator)
        names.append(type(target).__name__)
    final = _final_model(target)
    if final is not target:
        names.append(type(final).__name__)
    return " > ".join(names)
