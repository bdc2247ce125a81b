"""Inversion models: learn the map from a target's released outputs to records."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.utils.validation import check_is_fitted, validate_data

from .._query import DEFAULT_BATCH_SIZE, query_target
from ..defenses import RoundedConfidences, TopKConfidences
from ..utils._optional import is_pandas_dataframe
from ..utils._sklearn import HasMethods, Interval, StrOptions
from ..utils._validation import check_target, resolve_column
from ._evaluation import column_errors


def _release(output, proba, *, k, decimals):
    """The released form of confidences, as the matching defense releases them."""
    proba = np.asarray(proba, dtype=np.float64)
    if output == "proba":
        return proba
    if output == "topk":
        return TopKConfidences(None, k=k)._release(proba, None)
    if output == "rounded":
        return RoundedConfidences(None, decimals=decimals)._release(proba, None)
    onehot = np.zeros_like(proba)  # "label"
    onehot[np.arange(proba.shape[0]), np.argmax(proba, axis=1)] = 1.0
    return onehot


class InversionModel(TransformerMixin, BaseEstimator):
    """Learn to reconstruct records (or chosen columns) from a target's outputs.

    Yang, Zhang, Chang & Liang (CCS 2019, "adversarial model inversion") train an
    inversion model on auxiliary records: each record is sent to the target,
    and a model learns the map from the target's released output back to the
    record. Given the output released for a victim, the inversion model then
    reconstructs the victim's record. They show it works on truncated outputs
    (the top-``k`` confidences) too. Here the inversion model is any
    scikit-learn regressor or classifier (a random forest by default), and the
    released output is one of:

    - ``"proba"``: the full confidence vector (a target already wrapped by a
      defense of :mod:`skinvert.defenses` is attacked through what it releases);
    - ``"topk"``: the ``k`` largest confidences, the others 0, renormalised, as
      :class:`~skinvert.defenses.TopKConfidences` releases them;
    - ``"rounded"``: confidences rounded to ``decimals`` places, as
      :class:`~skinvert.defenses.RoundedConfidences` releases them;
    - ``"label"``: the predicted label only (one-hot), as
      :class:`~skinvert.defenses.LabelOnly`; the target's ``predict`` is queried.

    Threat model: the attacker holds auxiliary records drawn like the victims
    and can query the target on them (one query per auxiliary record, counted
    in ``n_queries_``); for a victim she sees only the released output.
    :meth:`transform` simulates that release by querying the target on the
    victims' true records (one query each), then inverts it: it reads every
    column of ``X``, the reconstructed ones included, to simulate the answer.

    Parameters
    ----------
    target : classifier
        The fitted model under attack, with ``predict_proba`` (``predict`` is
        enough for ``output="label"``) and ``classes_``.
    estimator : estimator, default=None
        The inversion model, cloned and fitted on (released outputs, records).
        ``None``: ``RandomForestRegressor(n_estimators=100, min_samples_leaf=2)``
        when every reconstructed column is numeric, else the matching
        ``RandomForestClassifier``.
    columns : list of int or str, default=None
        Columns to reconstruct (positions, or names for DataFrames); ``None``:
        every column.
    output : {"proba", "topk", "rounded", "label"}, default="proba"
        What the target releases.
    k : int, default=1
        Confidences released with ``output="topk"``.
    decimals : int, default=2
        Decimal places released with ``output="rounded"``.
    batch_size : int, default=65536
        Maximum number of rows per target call.
    n_jobs : int, default=None
        Parallel jobs for the target calls.
    random_state : int, RandomState instance or None, default=None
        Seeds the default inversion model.

    Attributes
    ----------
    estimator_ : estimator
        The fitted inversion model.
    columns_ : ndarray of int
        Positions of the reconstructed columns.
    classes_ : ndarray of shape (n_classes,)
        The target's classes.
    n_queries_ : int
        Target query rows spent by ``fit`` (one per auxiliary record).
    n_features_in_ : int
        Number of columns of the records.
    feature_names_in_ : ndarray of str
        Column names, when ``fit`` received a DataFrame.

    See Also
    --------
    MIFace : Class representatives from the target's gradients.
    skinvert.attacks.LearnedInversion : The same idea for one sensitive column,
        with the known features as extra input.

    References
    ----------
    Z. Yang, J. Zhang, E.-C. Chang and Z. Liang. "Neural Network Inversion in
    Adversarial Setting via Background Knowledge Alignment". CCS 2019.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.neighbors import KNeighborsRegressor
    >>> from skinvert.reconstruction import InversionModel
    >>> X, y = load_digits(return_X_y=True)
    >>> target = LogisticRegression(max_iter=200).fit(X[:900], y[:900])
    >>> inversion = InversionModel(target, estimator=KNeighborsRegressor(10))
    >>> inversion = inversion.fit(X[900:])
    >>> inversion.transform(X[:5]).shape, inversion.n_queries_
    ((5, 64), 897)
    """

    _parameter_constraints: dict = {
        "target": [HasMethods(["predict"])],
        "estimator": [HasMethods(["fit", "predict"]), None],
        "columns": ["array-like", None],
        "output": [StrOptions({"proba", "topk", "rounded", "label"})],
        "k": [Interval(Integral, 1, None, closed="left")],
        "decimals": [Interval(Integral, 0, 12, closed="both")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        target,
        *,
        estimator=None,
        columns=None,
        output="proba",
        k=1,
        decimals=2,
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
        random_state=None,
    ):
        self.target = target
        self.estimator = estimator
        self.columns = columns
        self.output = output
        self.k = k
        self.decimals = decimals
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _method(self):
        return "predict" if self.output == "label" else "predict_proba"

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Query the target on the auxiliary records and fit the inversion model.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Auxiliary records in the target's input layout.
        y : None
            Ignored (the records are their own truth).

        Returns
        -------
        self : object
            The fitted inversion model.
        """
        classes = check_target(
            self.target, self._method(), attack_name="InversionModel"
        )
        X = _check_records(self, X, reset=True)
        columns = self._resolve_columns(X)
        features = self._released(X, classes)
        truth = _take_columns(X, columns)
        numeric = truth.dtype.kind in "biuf"
        if self.estimator is not None:
            estimator = clone(self.estimator)
        elif numeric:
            estimator = RandomForestRegressor(
                100, min_samples_leaf=2, random_state=self.random_state
            )
        else:
            estimator = RandomForestClassifier(
                100, min_samples_leaf=2, random_state=self.random_state
            )
        target_values = truth[:, 0] if truth.shape[1] == 1 else truth
        if numeric and truth.dtype.kind != "f":
            target_values = target_values.astype(np.float64)
        estimator.fit(features, target_values)
        self.estimator_ = estimator
        self.columns_ = np.asarray(columns, dtype=int)
        self.classes_ = classes
        self.n_queries_ = int(features.shape[0])
        return self

    def _resolve_columns(self, X):
        if self.columns is None:
            return list(range(X.shape[1]))
        specs = [self.columns] if np.ndim(self.columns) == 0 else list(self.columns)
        if not specs:
            raise ValueError(
                "columns=[] names no column; name at least one or pass None."
            )
        return [resolve_column(c, X, param="columns") for c in specs]

    def _released(self, X, classes):
        answers = query_target(
            self.target,
            X,
            method=self._method(),
            batch_size=self.batch_size,
            n_jobs=self.n_jobs,
        )
        if self.output == "label":
            return _one_hot(np.asarray(answers), classes)
        return _release(self.output, answers, k=self.k, decimals=self.decimals)

    def predict(self, outputs):
        """Reconstruct records from the outputs the target released for them.

        Parameters
        ----------
        outputs : array-like of shape (n, n_classes) or (n,)
            Released confidence vectors (columns in the order of ``classes_``),
            or, with ``output="label"``, labels or their one-hot. Full
            confidences are first released as ``output`` says (truncated,
            rounded or reduced to the label), so raw vectors can be passed.

        Returns
        -------
        records : ndarray of shape (n, len(columns_))
            The reconstructed columns.
        """
        check_is_fitted(self)
        outputs = np.asarray(outputs)
        n_classes = len(self.classes_)
        if outputs.dtype.kind in "fc" and not np.isfinite(outputs).all():
            raise ValueError(
                "outputs hold NaN or infinite values; pass the confidence vectors "
                "(or labels) the target released."
            )
        if outputs.ndim == 1:
            if self.output != "label":
                raise ValueError(
                    f"outputs has shape {outputs.shape}: labels are accepted only with "
                    f"output='label'; this inversion model reads output="
                    f"{self.output!r}, so pass (n, {n_classes}) confidence vectors."
                )
            features = _one_hot(outputs, self.classes_)
        elif outputs.ndim == 2 and outputs.shape[1] == n_classes:
            features = _release(self.output, outputs, k=self.k, decimals=self.decimals)
        else:
            raise ValueError(
                f"outputs has shape {outputs.shape}; expected (n, {n_classes}), one "
                "column per class of the target (or (n,) labels with output='label')."
            )
        return self._invert(features)

    def _invert(self, features):
        pred = np.asarray(self.estimator_.predict(features))
        return pred.reshape(features.shape[0], -1)

    def transform(self, X):
        """Query the target on the records of ``X`` and reconstruct them.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, n_features)
            Victims' records; the target's answer on each is what is released.

        Returns
        -------
        records : ndarray of shape (n, len(columns_))
            The reconstructed columns.
        """
        check_is_fitted(self)
        X = _check_records(self, X, reset=False)
        return self._invert(self._released(X, self.classes_))

    def score(self, X, y=None):
        """Negative mean per-column error of the reconstructions of ``X``.

        Numeric columns count their mean absolute error, others their error rate
        (see :func:`column_errors`); greater is better.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, n_features)
            Victims' records (truth and source of the released outputs).
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        truth = _take_columns(X, self.columns_)
        return -float(np.mean(column_errors(truth, self.transform(X))))

    def get_feature_names_out(self, input_features=None):
        """Names of the reconstructed columns.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input names; ``feature_names_in_`` or ``x0, x1, ...`` by default.

        Returns
        -------
        names : ndarray of str
        """
        check_is_fitted(self)
        names = getattr(self, "feature_names_in_", None)
        if input_features is not None:
            names = np.asarray(input_features, dtype=object)
        if names is None:
            names = np.array(
                [f"x{i}" for i in range(self.n_features_in_)], dtype=object
            )
        return np.asarray(names, dtype=object)[self.columns_]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags


def _check_records(estimator, X, *, reset):
    """Record the input's width and names; arrays must be finite (they are the
    truth the inversion model learns), DataFrames reach the target untouched."""
    return validate_data(
        estimator,
        X,
        reset=reset,
        dtype=None,
        skip_check_array=is_pandas_dataframe(X),
    )


def _one_hot(labels, classes):
    labels = np.asarray(labels)
    if labels.ndim == 2:
        labels = np.asarray(classes)[np.argmax(labels, axis=1)]
    order = np.argsort(classes, kind="stable")
    pos = np.clip(np.searchsorted(classes, labels, sorter=order), 0, len(classes) - 1)
    codes = order[pos]
    unknown = np.asarray(classes)[codes] != labels
    if np.any(unknown):
        raise ValueError(
            f"Labels {np.unique(labels[unknown])[:5].tolist()} are not classes of the "
            f"target ({np.asarray(classes).tolist()})."
        )
    onehot = np.zeros((labels.shape[0], len(classes)))
    onehot[np.arange(labels.shape[0]), codes] = 1.0
    return onehot


def _take_columns(X, columns):
    if is_pandas_dataframe(X):
        part = X.iloc[:, list(columns)]
        if all(getattr(dtype, "kind", "O") in "biuf" for dtype in part.dtypes):
            return part.to_numpy(dtype=np.float64)
        return part.to_numpy(dtype=object)
    return np.asarray(X)[:, list(columns)]
