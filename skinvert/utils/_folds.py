"""The cross-validation folds every fit on the auxiliary records uses.

The model-free reference, the combined attacks and the shadow-calibrated attack
all cross-fit models on the auxiliary records. Given the same seed they draw the
same folds, so that within an audit the models fitted on a fold are fitted once
and shared (:mod:`skinvert.utils._memo`).
"""

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils import check_random_state

__all__ = ["shuffled_folds"]


def shuffled_folds(n_samples, n_splits, random_state, codes=None):
    """``(train, test)`` index pairs of a shuffled ``n_splits``-fold split.

    Parameters
    ----------
    n_samples : int
        Records to split.
    n_splits : int
        Folds wanted; at most ``n_samples``.
    random_state : int, RandomState instance or None
        The shuffle's seed is the first draw of ``check_random_state(random_state)``:
        the same int gives the same folds to every caller.
    codes : ndarray of shape (n_samples,) of int, default=None
        Sensitive-value codes: the folds are stratified on them when every value
        occurs at least ``n_splits`` times.

    Returns
    -------
    folds : list of (ndarray, ndarray) or None
        None when fewer than 2 folds can be drawn.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvert.utils._folds import shuffled_folds
    >>> codes = np.arange(12) % 2
    >>> folds = shuffled_folds(12, 3, 0, codes)
    >>> [int(codes[test].sum()) for _, test in folds]
    [2, 2, 2]
    >>> again = shuffled_folds(12, 3, 0, codes)
    >>> all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again))
    True
    """
    n_splits = min(int(n_splits), int(n_samples))
    if n_splits < 2:
        return None
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    stratify = codes is not None and (
        np.bincount(codes)[np.unique(codes)].min() >= n_splits
    )
    if stratify:
        splitter = StratifiedKFold(n_splits, shuffle=True, random_state=seed)
    else:
        splitter = KFold(n_splits, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros((n_samples, 1)), codes))
