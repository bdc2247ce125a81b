"""CombinedLabelOnly: label-only MAP inversion with an imputation prior (Jayaraman &
Evans, CCS 2022); the calibration machinery is in :mod:`._combined_base`.
"""

import numpy as np

from .._docstrings import _SHARED_ATTRIBUTES
from ._combined_base import (
    _CALIBRATION,
    _COMBINED_ATTRIBUTES,
    _COMBINED_PARAMETERS,
    _CV_PARAMETERS,
    PSEUDO_COUNTS,
    _CombinedInversion,
)
from ._label_only import _LABEL_ONLY_PARAMETERS, output_codes


def _confusion(labels, predicted, n_classes, smoothing):
    """Row-normalised confusion matrix with ``smoothing`` pseudo-counts per cell."""
    c = n_classes
    counts = np.bincount(labels * c + predicted, minlength=c * c).reshape(c, c)
    counts = counts + float(smoothing)
    totals = counts.sum(axis=1, keepdims=True)
    uniform = np.full(counts.shape, 1.0 / c)
    return np.divide(counts, totals, out=uniform, where=totals > 0)


class CombinedLabelOnly(_CombinedInversion):
    __doc__ = (
        """Label-only MAP inversion with an imputation model as the prior.

    :class:`FredriksonLabelOnly` scores each candidate ``v`` by ``prior(v) *
    P(target outputs f(x_v) | true label y)``, the target's confusion matrix
    estimated on the auxiliary data. Following Jayaraman & Evans (CCS 2022) the
    marginal prior is replaced by an imputer's posterior, and the confusion
    factor is tempered:

        ``P_imp(v | x[, y]) * confusion[y, f(x_v)] ** (1 / T)``,  normalised.

"""
        + _CALIBRATION.replace(
            "the temperature,\n    the smoothing and",
            "the temperature,\n    the pseudo-count and",
        )
        + """
    Threat model: black-box access to ``predict`` only; the attacker knows the
    victim's other input columns and its true label (``label`` is required).
"""
        + _LABEL_ONLY_PARAMETERS
        + _COMBINED_PARAMETERS
        + """    smoothing : "auto", float or array-like of float, default="auto"
        Pseudo-count added to every cell of the confusion matrix before its rows
        are normalised (as in :class:`FredriksonLabelOnly`). ``"auto"`` picks
        from ``(0.1, 1, 10)`` jointly with the temperature.
"""
        + _CV_PARAMETERS
        + _SHARED_ATTRIBUTES
        + _COMBINED_ATTRIBUTES
        + """    confusion_ : ndarray of shape (n_target_classes, n_target_classes)
        ``confusion_[t, o]``: estimated probability that the target predicts
        ``target_classes_[o]`` for a record whose true label is
        ``target_classes_[t]``, on all the auxiliary data.

    See Also
    --------
    FredriksonLabelOnly : The same score with the marginal prior.
    ImputationBaseline : The prior alone, no access to the target.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvert.attacks import CombinedLabelOnly
    >>> from skinvert.datasets import make_sensitive_classification
    >>> X, y = make_sensitive_classification(
    ...     n_samples=600, leak=2, feature_dependence=2, random_state=0)
    >>> target = RandomForestClassifier(random_state=0).fit(X[:300], y[:300])
    >>> view = np.column_stack([X, y])
    >>> attack = CombinedLabelOnly(
    ...     target, sensitive=0, label=X.shape[1], imputer=LogisticRegression(),
    ...     cv=3, random_state=0)
    >>> attack.fit(view[300:], X[300:, 0]).confusion_.shape
    (2, 2)
    """
    )

    _target_method = "predict"
    _needs_label = True

    _smoothings = PSEUDO_COUNTS

    def _fit(self, records, codes, labels):
        super()._fit(records, codes, labels)
        self.confusion_ = self._model_

    def _evidence(self, records, labels):
        return output_codes(self.target_classes_, self._query(records))

    def _evidence_model(self, outputs, codes, labels, smoothing):
        on_truth = outputs[np.arange(len(codes)), codes]
        return _confusion(labels, on_truth, len(self.target_classes_), smoothing)

    def _log_evidence(self, outputs, labels, smoothing, confusion):
        with np.errstate(divide="ignore"):
            return np.log(confusion[labels[:, None], outputs])
