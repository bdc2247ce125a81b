"""White-box inversion of tree models: the training counts stored in the leaves."""

import numpy as np
from joblib import Parallel, delayed
from scipy.sparse import issparse
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.validation import validate_data

from .._docstrings import _PRIOR_PARAMETER, _SHARED_ATTRIBUTES, _SHARED_PARAMETERS
from .._query import DEFAULT_BATCH_SIZE, _complete, _take_rows
from ..base import BaseInversion
from ..utils._optional import is_pandas_dataframe
from ..utils._shipping import ship, unship
from ..utils._sklearn import StrOptions

SUPPORTED_TREE_MODELS = (
    DecisionTreeClassifier,
    RandomForestClassifier,
    ExtraTreesClassifier,
)

_SUPPORTED_NAMES = ", ".join(cls.__name__ for cls in SUPPORTED_TREE_MODELS)


def _unfreeze(model):
    while isinstance(model, FrozenEstimator):
        model = model.estimator
    return model


def split_tree_target(target):
    """The preprocessing steps and the tree model of a white-box target.

    Parameters
    ----------
    target : estimator
        A supported tree model, a :class:`~sklearn.pipeline.Pipeline` ending in
        one, or either of them wrapped in :class:`~sklearn.frozen.FrozenEstimator`.

    Returns
    -------
    preprocess : Pipeline or None
        The steps before the tree model (``None`` when there are none).
    model : DecisionTreeClassifier, RandomForestClassifier or ExtraTreesClassifier
        The tree model whose leaves are read.
    """
    model, preprocess = _unfreeze(target), []
    while isinstance(model, Pipeline):
        preprocess.extend(model.steps[:-1])
        model = _unfreeze(model.steps[-1][1])
    if not isinstance(model, SUPPORTED_TREE_MODELS):
        inner = (
            f" (a Pipeline ending in {type(model).__name__})"
            if model is not _unfreeze(target)
            else ""
        )
        raise TypeError(
            f"WhiteBoxTreeInversion reads the leaves of a tree model, but the target "
            f"is {type(_unfreeze(target)).__name__}{inner}. Supported targets: "
            f"{_SUPPORTED_NAMES}, alone or as the last step of a Pipeline (optionally "
            "wrapped in FrozenEstimator). For other models use a black-box attack "
            "such as FredriksonInversion."
        )
    return (Pipeline(preprocess) if preprocess else None), model


def leaf_class_counts(model, n_classes):
    """Per-class training counts of every node of every tree, stacked.

    Parameters
    ----------
    model : DecisionTreeClassifier, RandomForestClassifier or ExtraTreesClassifier
        A fitted single-output tree model.
    n_classes : int
        Number of classes of the model.

    Returns
    -------
    counts : ndarray of shape (total_nodes, n_classes)
        ``counts[offsets[t] + node, c]``: weighted number of training samples of
        class ``c`` that reached ``node`` of tree ``t``.
    offsets : ndarray of shape (n_trees,)
        Index of each tree's first node in ``counts``.
    """
    if getattr(model, "n_outputs_", 1) != 1:
        raise ValueError(
            f"The target's {type(model).__name__} predicts {model.n_outputs_} outputs; "
            "WhiteBoxTreeInversion attacks single-output classifiers. Attack a model "
            "fitted on one task label."
        )
    trees = [e.tree_ for e in getattr(model, "estimators_", [model])]
    tables = []
    for tree in trees:
        value = tree.value[:, 0, :]
        if value.shape[1] != n_classes:
            raise ValueError(
                f"A tree of the target stores {value.shape[1]} classes per node but "
                f"the target has {n_classes} classes_; the tree model is inconsistent."
            )
        # scikit-learn >= 1.4 stores class fractions in tree_.value (earlier
        # versions stored weighted counts): normalise, then scale by the node's
        # weighted sample count, which gives weighted counts in both cases.
        totals = value.sum(axis=1, keepdims=True)
        fractions = np.divide(value, totals, out=np.zeros_like(value), where=totals > 0)
        tables.append(fractions * tree.weighted_n_node_samples[:, None])
    sizes = np.array([table.shape[0] for table in tables])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return np.concatenate(tables, axis=0), offsets


class WhiteBoxTreeInversion(BaseInversion):
    __doc__ = (
        """White-box inversion of decision trees and forests from their leaf counts.

    Fredrikson, Jha & Ristenpart (CCS 2015) attack a decision tree
    whose structure is known together with the number of training samples that
    followed each path (the "white-box with counts" setting of a model released
    by a machine-learning service). Among the paths consistent with the
    victim's known features and known label, each candidate value ``v`` of the
    sensitive attribute is weighted by its prior times the fraction of training
    samples that took the path ``v`` leads to (its count over the number of
    training samples, a constant that cancels); the estimate is the maximum a
    posteriori candidate. The paths of a tree partition the input space, so for
    given known features and ``v`` exactly one path, the one to the leaf the
    completed record ``x_v`` reaches, is consistent; the paper's estimator then
    reads ``prior(v) * c_leaf(x_v) * [leaf predicts y]``. scikit-learn trees
    store how many training samples of *each class* reached a leaf, so this
    attack replaces the leaf's total count times the indicator by the count of
    training samples labelled ``y`` in the leaf. The score of candidate ``v``
    for a victim with known label ``y`` is

        ``score(v) = prior(v) * (1 / T) * sum_t n_t(leaf_t(x_v), y)``,

    where ``T`` is the number of trees (1 for a single tree) and ``n_t(l, c)``
    the weighted number of training samples of class ``c`` in leaf ``l`` of tree
    ``t``, read as ``tree_.value`` (class fractions since scikit-learn 1.4)
    times ``tree_.weighted_n_node_samples``. ``predict_proba`` normalises the
    scores over the candidates; when every score is zero (no candidate reaches
    a leaf holding a training sample with label ``y``) it falls back to the
    prior. For a single tree with pure leaves (fully grown, the default) this is
    exactly the paper's estimator. Dividing by the leaf's total count instead
    would give ``prior(v) * f(x_v)[y]``, the black-box estimator of
    :class:`FredriksonInversion` on the tree's confidences: it discards the
    counts, which are precisely what the white-box attacker has beyond the
    black-box one (a leaf reached by one training sample and a leaf reached by
    a hundred give the same confidence, not the same evidence). For a forest
    the per-tree counts are averaged (summing them gives the same posterior).
    Without a known label (``label=None``), ``n_t(leaf, y)`` is replaced by the
    count of the leaf's majority class.

    The counts are those the trees were grown on. Trees of a
    :class:`~sklearn.ensemble.RandomForestClassifier` with ``bootstrap=True``
    (the default) are grown on bootstrap samples, so their counts weigh each
    training record by how often its bootstrap sample drew it (zero for the
    records left out of that tree); sample weights and ``class_weight`` enter
    the counts too (with a known label the class weight of ``y`` is a common
    factor of all candidates and cancels out). In forests of fully grown trees,
    whose leaves hold one or a few records, the counts mostly measure how dense
    the training data are around ``x_v``, and the leaf fractions read by
    :class:`FredriksonInversion` can single out members better; compare both.

    Threat model: white-box access to the fitted tree model (structure and leaf
    counts); the attacker knows the victim's other input columns and, optionally,
    its true label. For a :class:`~sklearn.pipeline.Pipeline` the completed
    records are transformed by the steps before the tree model, then passed to
    its trees. No ``predict_proba`` is ever called: the ``n_victims *
    n_candidates`` completed records are built ``batch_size`` at a time, each
    tree's ``apply`` finds the leaves of a whole batch in one call, and the
    counts are gathered by array indexing.
"""
        + _SHARED_PARAMETERS.replace(
            """    target : classifier
        The fitted model under attack, exposing ``predict_proba`` and ``classes_``.""",
            f"""    target : classifier
        The fitted tree model under attack: one of {_SUPPORTED_NAMES}
        (single output), or a :class:`~sklearn.pipeline.Pipeline` ending in one.""",
        )
        .replace(
            "Maximum number of completed records per target query (bounds memory).",
            "Maximum number of completed records whose leaves are found at once\n"
            "        (bounds memory: ``batch_size * n_trees`` leaf indices).",
        )
        .replace("Parallel jobs for the queries", "Parallel jobs over the batches")
        .replace(_SHARED_PARAMETERS[_SHARED_PARAMETERS.index("    verbose :") :], "")
        + _PRIOR_PARAMETER
        + _SHARED_ATTRIBUTES.replace(
            "Target queries (completed records) made per victim: ``n_candidates``.",
            "Completed records read per victim: ``n_candidates``. These are tree\n"
            "        traversals of the released model (``apply``), not prediction\n"
            "        API queries.",
        )
        + """    n_trees_ : int
        Number of trees of the target whose leaves are read (1 for a single tree).

    See Also
    --------
    FredriksonInversion : The black-box estimator on the target's confidences.
    ImputationBaseline : The reference that uses no access to the target.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skinvert.attacks import WhiteBoxTreeInversion
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(n_samples=600, leak=3, random_state=0)
    >>> target = RandomForestClassifier(n_estimators=20, random_state=0)
    >>> target = target.fit(X[:300], y[:300])
    >>> view = np.column_stack([X, y])        # the attacker knows the label too
    >>> attack = WhiteBoxTreeInversion(target, sensitive=0, label=X.shape[1])
    >>> attack = attack.fit(view[300:], X[300:, 0])
    >>> attack.n_trees_, attack.queries_per_victim_
    (20, 2)
    >>> attack.predict_proba(view[:3]).shape
    (3, 2)
    """
    )

    # Reads the trees, never queries the target (no ``verbose`` progress bar), and
    # has no ``max_candidates``: the constraints match the parameters.
    _parameter_constraints: dict = {
        **{
            key: value
            for key, value in BaseInversion._parameter_constraints.items()
            if key not in ("max_candidates", "verbose")
        },
        "prior": [StrOptions({"empirical", "uniform"})],
    }

    def __init__(
        self,
        target=None,
        *,
        sensitive=0,
        label=None,
        candidates=None,
        prior="empirical",
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
    ):
        super().__init__(
            target,
            sensitive=sensitive,
            label=label,
            candidates=candidates,
            batch_size=batch_size,
            n_jobs=n_jobs,
        )
        self.prior = prior

    def _check_target(self):
        if self.target is not None:
            split_tree_target(self.target)
        super()._check_target()

    def _fit(self, records, codes, labels):
        _, model = split_tree_target(self.target)
        _, offsets = leaf_class_counts(model, len(self.target_classes_))
        self.n_trees_ = len(offsets)

    def _posterior(self, records, labels):
        preprocess, model = split_tree_target(self.target)
        counts, offsets = leaf_class_counts(model, len(self.target_classes_))
        if labels is None:
            counts = counts.max(axis=1, keepdims=True)
            labels = np.zeros(records.shape[0], dtype=int)
        n, k = records.shape[0], len(self.candidates_)
        step = max(1, int(self.batch_size) // k)
        bounds = [(a, min(a + step, n)) for a in range(0, n, step)]
        args = (preprocess, model, counts, offsets, records, labels)
        if len(bounds) == 1 or self.n_jobs in (None, 1):
            parts = [self._batch_scores(*args, a, b) for a, b in bounds]
        else:  # the attack and the model sent to a Dask cluster once, not per batch
            shipped = (ship(self), ship(preprocess), ship(model), *args[2:])
            parts = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                delayed(_batch_scores)(*shipped, a, b) for a, b in bounds
            )
        scores = np.concatenate(parts, axis=0) if parts else np.empty((0, k))
        return self._times_prior(scores)

    def _batch_scores(self, preprocess, model, counts, offsets, records, labels, a, b):
        """Mean per-tree leaf count of the known label, shape (b - a, k)."""
        if is_pandas_dataframe(records):
            batch = _take_rows(records, slice(a, b))
        else:
            batch = records[a:b]
        k = len(self.candidates_)
        rows = _complete(batch, self.sensitive_indices_, self.candidates_)
        if preprocess is not None:
            rows = preprocess.transform(rows)
        rows = _tree_input(model, rows)
        classes = np.repeat(labels[a:b], k)
        estimators = getattr(model, "estimators_", [model])
        total = np.zeros(rows.shape[0])
        for estimator, offset in zip(estimators, offsets):
            leaves = estimator.apply(rows, check_input=False)
            total += counts[leaves + offset, classes]
        return (total / len(estimators)).reshape(b - a, k)


def _batch_scores(attack, preprocess, model, *args):
    """:meth:`WhiteBoxTreeInversion._batch_scores` as a joblib task."""
    return unship(attack)._batch_scores(unship(preprocess), unship(model), *args)


def _tree_input(model, rows):
    """``rows`` checked once, as the tree model checks them, for all its trees."""
    first = getattr(model, "estimators_", [model])[0]
    allow_nan = not issparse(rows) and first.__sklearn_tags__().input_tags.allow_nan
    rows = validate_data(
        model,
        rows,
        dtype=np.float32,
        accept_sparse="csr",
        reset=False,
        ensure_all_finite="allow-nan" if allow_nan else True,
    )
    if issparse(rows) and (rows.indices.dtype, rows.indptr.dtype) != (np.intc,) * 2:
        rows = rows.copy()
        rows.indices = rows.indices.astype(np.intc)
        rows.indptr = rows.indptr.astype(np.intc)
    return rows
