"""Learned inversion: an attack model on the target's released answers.

The categorical variant (a classifier of the sensitive value) and the continuous
one (a regressor), side by side (Yang et al., CCS 2019; Song & Shmatikov, ICLR 2020).
"""

from numbers import Integral

import numpy as np

from .._docstrings import (
    _COMMON_ATTRIBUTES,
    _COMMON_PARAMETERS,
    _MODEL_PARAMETERS,
    _QUERY_PARAMETERS,
)
from .._query import DEFAULT_BATCH_SIZE, DEFAULT_MAX_CANDIDATES, query_target
from ..base import BaseInversion
from ..utils._optional import is_pandas_dataframe
from ..utils._sklearn import HasMethods, Interval, StrOptions
from ..utils._validation import missing_cells
from ._default_models import fit_imputer, imputed_proba
from ._imputation import (
    _ModelRegressor,
    known_feature_table,
)
from ._label_only import answers_on_truth, output_codes, parameters_with_target


class LearnedInversion(BaseInversion):
    __doc__ = (
        """Attack model trained on the target's released answers.

    Yang, Zhang, Chang & Liang (CCS 2019, "Neural network inversion in
    adversarial setting via background knowledge alignment") train an inversion
    model on auxiliary data to map the target's (possibly truncated) prediction
    vector back to the input. This is that attack, and the generic attack-model
    approach to attribute inference, for a categorical sensitive attribute of a
    tabular record: on the auxiliary records the attacker simulates what the
    target releases for each record (one query per record, on the record with
    its true sensitive value) and fits ``estimator`` to map

        ``(known features, released answer[, known label]) -> sensitive value``.

    ``output`` sets what the prediction API releases, hence what the attack
    model sees: ``"proba"`` the full confidence vector, ``"topk"`` its
    ``top_k`` largest entries (the others set to zero, as an API that truncates
    its answer), ``"label"`` the predicted label alone (one-hot coded; the
    target then only needs ``predict``).

    Threat model: the attacker observes the target's answer for each victim's
    **true** record (the answer a prediction service gave the victim, e.g. in a
    leaked log), knows the victim's other input columns and, optionally, its
    true label. To simulate that answer this attack **reads the victim's
    sensitive column at inference**: the records are queried as they are
    (``query_target(..., candidates=None)``) and the column is used for nothing
    else, the attack model never sees it. ``X`` passed to ``predict`` must
    therefore hold the true values (NaN, None or an absent DataFrame column
    raise an error). In ``fit`` the column's content is ignored as everywhere:
    the answers are simulated on the records completed with ``y``. Each victim
    costs one query whatever the number of candidates (``max_candidates`` only
    caps the number of classes of the attack model).
"""
        + parameters_with_target(
            """    target : classifier
        The fitted model under attack, exposing ``predict_proba`` (``predict``
        with ``output="label"``) and ``classes_``. Wrap it in
        :class:`sklearn.frozen.FrozenEstimator` to use the attack in
        ``GridSearchCV`` or ``cross_val_score``; it is never refitted.
"""
        )
        + """    estimator : classifier, default=None
        The attack model, cloned and fitted on the auxiliary data. Default:
        :func:`~skinvert.attacks._default_models.make_default_imputer` (a
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`, behind an
        ordinal encoder for non-numeric columns).
    output : {"proba", "topk", "label"}, default="proba"
        What the target releases: its full confidence vector, the top-k
        truncation of it, or its predicted label.
    top_k : int, default=1
        Number of confidences kept with ``output="topk"``.
    random_state : int, RandomState instance or None, default=None
        Seed of the default attack model.

    Attributes
    ----------
    estimator_ : classifier or None
        The fitted attack model; its inputs are the known features, the known
        label (if any) and the released answer (one column per target class).
        None when the auxiliary data holds one sensitive value only.
    classes_ : ndarray of shape (n_candidates,)
        The candidate values of the sensitive attribute.
    prior_ : ndarray of shape (n_candidates,)
        Their frequencies in the auxiliary data.
    target_classes_ : ndarray
        The target's ``classes_``.
    queries_per_victim_ : int
        Always 1.
    n_features_in_ : int
        Number of columns of ``X`` seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names of ``X`` seen in ``fit`` (DataFrames only).
    label_index_ : int or None
        Position of the known-label column in ``X``.
    sensitive_indices_ : list of int
        Positions of the sensitive column(s) in the target's layout.

    See Also
    --------
    FredriksonInversion : Queries every candidate, needs no true value.
    ImputationBaseline : The reference that uses no access to the target.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skinvert.attacks import LearnedInversion
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(n_samples=600, leak=3, random_state=0)
    >>> target = RandomForestClassifier(random_state=0).fit(X[:300], y[:300])
    >>> attack = LearnedInversion(target, sensitive=0, random_state=0)
    >>> attack.fit(X[300:], X[300:, 0]).predict(X[:5]).shape   # reads X[:5, 0]
    (5,)
    >>> attack.queries_per_victim_
    1
    """
    )

    # Its threat model grants the target's answer on the victim's true record.
    _reads_true_record = True

    _parameter_constraints: dict = {
        **BaseInversion._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "output": [StrOptions({"proba", "topk", "label"})],
        "top_k": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        target=None,
        *,
        sensitive=0,
        label=None,
        candidates=None,
        max_candidates=DEFAULT_MAX_CANDIDATES,
        estimator=None,
        output="proba",
        top_k=1,
        random_state=None,
        batch_size=DEFAULT_BATCH_SIZE,
        n_jobs=None,
        verbose=0,
    ):
        super().__init__(
            target,
            sensitive=sensitive,
            label=label,
            candidates=candidates,
            max_candidates=max_candidates,
            batch_size=batch_size,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.estimator = estimator
        self.output = output
        self.top_k = top_k
        self.random_state = random_state

    @property
    def _target_method(self):
        return "predict" if self.output == "label" else "predict_proba"

    def _release(self, answers):
        """What the API releases, as one column per target class."""
        n_classes = len(self.target_classes_)
        if self.output == "label":
            return np.eye(n_classes)[output_codes(self.target_classes_, answers)]
        if self.output == "topk" and self.top_k < n_classes:
            top = np.argsort(-answers, axis=1, kind="stable")[:, : self.top_k]
            released = np.zeros_like(answers)
            values = np.take_along_axis(answers, top, axis=1)
            np.put_along_axis(released, top, values, axis=1)
            return released
        return answers

    def _table(self, records, labels, released):
        """Attack-model inputs: known features, known label, released answer."""
        table = known_feature_table(self._known(records), labels)
        if not is_pandas_dataframe(table):
            return np.column_stack([table, released])
        table = table.copy()
        for j in range(released.shape[1]):
            table[f"__answer_{j}__"] = released[:, j]
        table.columns = [str(name) for name in table.columns]
        return table

    def _fit(self, records, codes, labels):
        self.queries_per_victim_ = 1
        self.estimator_ = None
        if len(np.unique(codes)) < 2:
            return
        released = self._release(
            answers_on_truth(self, records, codes, self._target_method)
        )
        table = self._table(records, labels, released)
        self.estimator_ = fit_imputer(self.estimator, table, codes, self.random_state)

    def _check_true_values(self, records):
        positions = self.sensitive_indices_
        if is_pandas_dataframe(records):
            missing = records.iloc[:, positions].isna().to_numpy()
        else:
            missing = missing_cells(records[:, positions])
        n_missing = int(missing.any(axis=1).sum())
        if n_missing:
            raise ValueError(
                f"{type(self).__name__} simulates the target's released answer on "
                "each victim's true record, so it reads the sensitive column "
                f"sensitive={self.sensitive!r} at inference; it is missing (NaN, None "
                f"or absent) for {n_missing} victim(s). Pass X with the true values, "
                "or use an attack that never reads them (FredriksonInversion, LOMIA)."
            )

    def _posterior(self, records, labels):
        n = records.shape[0]
        self._check_true_values(records)
        if self.estimator_ is None:
            return np.tile(self.prior_, (n, 1))
        answers = query_target(
            self.target,
            records,
            method=self._target_method,
            batch_size=self.batch_size,
            n_jobs=self.n_jobs,
            verbose=self._verbosity(),
        )
        table = self._table(records, labels, self._release(answers))
        return imputed_proba(self.estimator_, table, len(self.classes_), self.prior_)


class LearnedInversionRegressor(_ModelRegressor):
    __doc__ = (
        """Attack model on the target's released confidences (continuous attribute).

    The attacker sees, for each victim, the confidences the target released on
    the victim's true record (e.g. the answer a prediction service gave it),
    along with the victim's known features and, optionally, its known label. An
    attack model learns the sensitive value from these on the auxiliary records,
    whose released answers the attacker simulates by querying the target on them
    (one query per record). This is the attack-model approach to attribute
    inference (Song & Shmatikov, ICLR 2020, "Overlearning reveals sensitive
    attributes") applied to the target's released confidences, for a numeric
    attribute.

    Threat model: the target's released answer on each victim's true record. To
    simulate that answer, this attack **reads the victim's sensitive column at
    inference** (it is queried as is, never read otherwise); ``X`` must hold it.
    In ``fit`` the column's content is ignored as everywhere: the answers are
    simulated on the records completed with ``y``.

    Parameters
    ----------"""
        + _COMMON_PARAMETERS
        + _MODEL_PARAMETERS
        + _QUERY_PARAMETERS
        + """
    Attributes
    ----------
    estimator_ : regressor
        The fitted attack model; its inputs are the known features, the target's
        confidences (one column per target class) and the known label.
    target_classes_ : ndarray
        The target's ``classes_``."""
        + _COMMON_ATTRIBUTES
        + """

    See Also
    --------
    FredriksonRegressor : Queries each victim on a grid of candidate values.
    ImputationRegressor : The reference that uses no access to the target.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skinvert.attacks import LearnedInversionRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 4))
    >>> y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    >>> target = RandomForestClassifier(random_state=0).fit(X[:300], y[:300])
    >>> attack = LearnedInversionRegressor(target, sensitive=0, random_state=0)
    >>> attack.fit(X[300:], X[300:, 0]).score(X[:300], X[:300, 0]) > 0.2
    True
    """
    )

    # Its threat model grants the target's answer on the victim's true record.
    _reads_true_record = True

    def _released(self, records):
        return query_target(
            self.target,
            records,
            method="predict_proba",
            batch_size=self.batch_size,
            n_jobs=self.n_jobs,
            verbose=self._verbosity(),
        )

    def _fit(self, records, values, labels):
        answers = self._released(self._fill(records, values))
        self.estimator_ = self._fit_model(self._table(records, labels, answers), values)
        self.queries_per_victim_ = 1

    def _estimate(self, records, labels):
        position = self.sensitive_indices_[0]
        if is_pandas_dataframe(records):
            column = records.iloc[:, position].to_numpy()
        else:
            column = records[:, position]
        missing = missing_cells(column)
        if missing.any():
            raise ValueError(
                f"{type(self).__name__} simulates the target's released answer on "
                "each victim's true record, so it reads the sensitive column "
                f"sensitive={self.sensitive!r} at inference; it is missing (NaN or "
                f"absent) for {int(missing.sum())} victim(s). Pass X with the true "
                "values, or use FredriksonRegressor, which never reads them."
            )
        answers = self._released(records)
        return self.estimator_.predict(self._table(records, labels, answers))
