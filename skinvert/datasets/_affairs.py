"""The extramarital-affairs survey (Fair 1978), as shipped with statsmodels."""

import numpy as np
from sklearn.utils import Bunch

from skinvert.utils._optional import import_optional

from ..utils._sklearn import StrOptions, validate_params

# Columns of the derived table, in order; ``label`` is removed from it to give
# the features, so by default the sensitive ``affair`` is the last feature.
_COLUMNS = (
    "age",
    "yrs_married",
    "children",
    "religious",
    "educ",
    "occupation",
    "occupation_husb",
    "happy",
    "affair",
)
# Interval-coded columns whose values are class midpoints, not whole numbers.
_FLOAT_COLUMNS = ("age", "yrs_married", "children")
_LABELS = ("happy", "affair")
_CLASS_NAMES = {
    "happy": np.array(["not happy", "happy"]),
    "affair": np.array(["no affair", "affair"]),
}

DESCR = """\
.. _affairs_dataset:

Extramarital affairs survey (Fair 1978)
---------------------------------------

A 1974 survey of the readers of Redbook magazine: 6366 married women answered
questions on their marriage, background and the time they spent in
extramarital affairs. The data ship with statsmodels
(``statsmodels.datasets.fair``) and are read from disk, never downloaded.

**Number of records:** 6366. **Number of features:** 8 (sensitive included).

**Columns** (values as coded in the survey):

- ``age``: age in years, interval midpoints (17.5, 22, 27, 32, 37, 42).
- ``yrs_married``: years married, interval midpoints (0.5, 2.5, 6, 9, 13,
  16.5, 23).
- ``children``: number of children (5.5 = "more than 5").
- ``religious``: 1 = not, 2 = mildly, 3 = fairly, 4 = strongly religious.
- ``educ``: 9 = grade school, 12 = high school, 14 = some college,
  16 = college graduate, 17 = some graduate school, 20 = advanced degree.
- ``occupation``: 1 = student; 2 = farming, agriculture, semi-skilled or
  unskilled worker; 3 = white-collar; 4 = teacher, counsellor, social worker,
  nurse, artist, writer, technician, skilled worker; 5 = managerial,
  administrative, business; 6 = professional with advanced degree.
- ``occupation_husb``: husband's occupation, same coding.
- ``happy`` (derived): 1 if the respondent rated her marriage "good" or
  "very good" (``rate_marriage >= 4`` on the scale 1 = very poor, 2 = poor,
  3 = fair, 4 = good, 5 = very good), else 0. About 77% are 1.
- ``affair`` (derived): 1 if the respondent reported any time spent in
  extramarital affairs (``affairs > 0``), else 0. About 32% are 1.

**Derivations.** The raw ``affairs`` column (time spent in affairs) is dropped,
since it would give the sensitive value away; ``rate_marriage`` is dropped,
since it defines ``happy``. By default ``happy`` is the task label and
``affair`` the sensitive attribute, kept inside the feature matrix (its last
column) because a target model is trained on it; an attacker knows the other
seven features and, in some threat models, the label.

**Relation to the attribute-inference literature.** Fredrikson, Jha and
Ristenpart (2015) attacked models trained on a FiveThirtyEight survey, whose
sensitive question is whether the respondent has cheated on a partner, and on
the General Social Survey (GSS), whose task is marital happiness; Mehnaz et al.
(2022) attacked GSS models too. This survey puts the same two questions side
by side (marital happiness as the task, infidelity as the sensitive attribute)
and ships offline.

**References**

- R. C. Fair, "A Theory of Extramarital Affairs", Journal of Political
  Economy 86(1), 45-61, 1978.
- M. Fredrikson, S. Jha, T. Ristenpart, "Model Inversion Attacks that Exploit
  Confidence Information and Basic Countermeasures", ACM CCS 2015.
- S. Mehnaz, S. V. Dibbo, E. Kabir, N. Li, E. Bertino, "Are Your Sensitive
  Attributes Private? Novel Model Inversion Attribute Inference Attacks on
  Classification Models", USENIX Security 2022.
"""


@validate_params(
    {
        "as_frame": ["boolean"],
        "return_X_y": ["boolean"],
        "sensitive": [StrOptions(set(_COLUMNS))],
        "label": [StrOptions(set(_LABELS))],
    },
    prefer_skip_nested_validation=True,
)
def load_affairs(
    *, as_frame=False, return_X_y=False, sensitive="affair", label="happy"
):
    """Load the extramarital-affairs survey (Fair 1978) for attribute inference.

    6366 married women; by default the task label is whether the respondent
    rates her marriage happy and the sensitive attribute is whether she has
    had an affair. See ``DESCR`` of the returned bunch (or the module
    constant) for the columns and derivations. Needs statsmodels and pandas
    (``pip install "skinvert[datasets]"``); nothing is downloaded.

    =================  =======================
    Records            6366
    Features           8 (sensitive included)
    Label classes      2
    Sensitive values   0, 1 (default)
    =================  =======================

    Parameters
    ----------
    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame (integer columns where the
        survey codes are whole numbers, float for the interval midpoints
        ``age``, ``yrs_married``, ``children``), ``target`` a Series and
        ``frame`` the DataFrame of both. If False, ``data`` and ``target`` are
        float64 arrays.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a bunch.
    sensitive : str, default="affair"
        Name of the sensitive column, one of the feature columns (see
        ``DESCR``); it stays in the feature matrix at its usual position.
    label : {"happy", "affair"}, default="happy"
        Name of the task-label column; it is removed from the features.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : ndarray of shape (6366, 8) or DataFrame
            Features in the order ``age, yrs_married, children, religious,
            educ, occupation, occupation_husb, happy, affair`` without the
            label; by default the sensitive ``affair`` is column 7 (last).
        target : ndarray of shape (6366,) or Series
            The task label, 0 or 1.
        feature_names : list of str
            Column names of ``data``.
        target_names : ndarray of str
            Names of the label classes 0 and 1.
        sensitive : str
            Name of the sensitive column.
        sensitive_index : int
            Position of the sensitive column in ``data``.
        sensitive_values : ndarray
            Sorted values the sensitive attribute takes (``[0, 1]`` for
            ``affair``).
        frame : DataFrame or None
            ``data`` and ``target`` together, only when ``as_frame=True``.
        DESCR : str
            Description of the dataset.

    (data, target) : tuple
        Only when ``return_X_y=True``.

    Examples
    --------
    >>> from skinvert.datasets import load_affairs
    >>> affairs = load_affairs()
    >>> affairs.data.shape
    (6366, 8)
    >>> affairs.feature_names[affairs.sensitive_index]
    'affair'
    >>> affairs.sensitive_values
    array([0, 1])
    >>> round(float(affairs.data[:, affairs.sensitive_index].mean()), 2)
    0.32
    """
    if sensitive == label:
        raise ValueError(
            f"sensitive and label must name different columns; both are {label!r}. "
            "Pick the sensitive attribute among the features, e.g. "
            f"sensitive={'affair' if label == 'happy' else 'happy'!r}."
        )
    fair = import_optional(
        "statsmodels.datasets.fair", purpose="load_affairs (the survey data)"
    )
    raw = fair.load_pandas().data
    table = raw.drop(columns=["rate_marriage", "affairs"])
    table["happy"] = (raw["rate_marriage"] >= 4).astype(np.int64)
    table["affair"] = (raw["affairs"] > 0).astype(np.int64)
    whole = [c for c in _COLUMNS if c not in _FLOAT_COLUMNS]
    table = table.astype(dict.fromkeys(whole, np.int64))[list(_COLUMNS)]
    table = table.reset_index(drop=True)

    feature_names = [c for c in _COLUMNS if c != label]
    sensitive_index = feature_names.index(sensitive)
    sensitive_values = np.unique(table[sensitive].to_numpy())

    if as_frame:
        data = table[feature_names].copy()
        target = table[label].copy()
        frame = table[[*feature_names, label]].copy()
    else:
        data = table[feature_names].to_numpy(dtype=np.float64)
        target = table[label].to_numpy(dtype=np.float64)
        frame = None

    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        frame=frame,
        feature_names=feature_names,
        target_names=_CLASS_NAMES[label].copy(),
        sensitive=sensitive,
        sensitive_index=sensitive_index,
        sensitive_values=sensitive_values,
        DESCR=DESCR,
    )
