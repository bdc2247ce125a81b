"""A census-like synthetic table (no download), deterministic by seed.

:func:`make_census` draws ``n`` records of 13 columns shaped like the UCI Adult
census extract: 5 numeric (``age``, ``education_num``, ``capital_gain``,
``capital_loss``, ``hours_per_week``) and 8 categorical (``workclass``,
``education``, ``marital_status``, ``occupation``, ``relationship``, ``race``,
``sex``, ``native_region``), and a binary label ``income`` (">50K" / "<=50K").

``marital_status`` has 7 values (Adult's) and is the sensitive column the
benchmarks audit. It depends on the other columns as in the census: on age
(never-married young, widowed old), on sex (more widowed women, more married
men among earners), it almost fixes ``relationship`` (Husband/Wife only for the
married), and it shifts income (married-civ-spouse earns more), so that the
label and the features leak it in the realistic way, partly.

Run to print a summary::

    python benchmarks/census.py
"""

import numpy as np

MARITAL = [
    "Married-civ-spouse",
    "Never-married",
    "Divorced",
    "Separated",
    "Widowed",
    "Married-spouse-absent",
    "Married-AF-spouse",
]
EDUCATION = [  # (name, years)
    ("Preschool", 1),
    ("1st-4th", 2),
    ("5th-6th", 3),
    ("7th-8th", 4),
    ("9th", 5),
    ("10th", 6),
    ("11th", 7),
    ("12th", 8),
    ("HS-grad", 9),
    ("Some-college", 10),
    ("Assoc-voc", 11),
    ("Assoc-acdm", 12),
    ("Bachelors", 13),
    ("Masters", 14),
    ("Prof-school", 15),
    ("Doctorate", 16),
]
EDUCATION_P = [
    0.002, 0.005, 0.01, 0.02, 0.015, 0.028, 0.036, 0.013,
    0.323, 0.223, 0.042, 0.033, 0.164, 0.054, 0.018, 0.014,
]  # fmt: skip
WORKCLASS = [
    "Private",
    "Self-emp-not-inc",
    "Self-emp-inc",
    "Federal-gov",
    "Local-gov",
    "State-gov",
    "Without-pay",
]
WORKCLASS_P = [0.74, 0.08, 0.035, 0.03, 0.065, 0.045, 0.005]
OCCUPATION = [
    "Prof-specialty",
    "Craft-repair",
    "Exec-managerial",
    "Adm-clerical",
    "Sales",
    "Other-service",
    "Machine-op-inspct",
    "Transport-moving",
    "Handlers-cleaners",
    "Farming-fishing",
    "Tech-support",
    "Protective-serv",
    "Priv-house-serv",
    "Armed-Forces",
]
RACE = ["White", "Black", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other"]
RACE_P = [0.854, 0.096, 0.031, 0.01, 0.009]
REGION = ["United-States", "Latin-America", "Asia", "Europe", "Other"]
REGION_P = [0.895, 0.05, 0.025, 0.018, 0.012]
COLUMNS = [
    "age",
    "workclass",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_region",
]


def _choice_rows(rng, logits):
    """One category per row from per-row logits (vectorised inverse CDF)."""
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    u = rng.random_sample(len(p))[:, None]
    return np.minimum((p.cumsum(axis=1) < u).sum(axis=1), p.shape[1] - 1)


def make_census(n=30_000, *, random_state=0, frame=True):
    """Census-like records ``X`` (13 columns) and label ``y`` (income > 50K).

    Parameters
    ----------
    n : int, default=30000
        Number of records.
    random_state : int, default=0
        Seed: the same seed gives the same table.
    frame : bool, default=True
        A pandas DataFrame and Series (categorical columns as strings); with
        False, a float array (categories as integer codes) and an int array.

    Returns
    -------
    X : DataFrame of shape (n, 13), or ndarray
    y : Series of str (">50K", "<=50K"), or ndarray of {0, 1}
    """
    rng = np.random.RandomState(random_state)
    sex = (rng.random_sample(n) < 0.67).astype(int)  # 1 = Male
    age = np.clip(17 + rng.gamma(2.2, 9.5, n), 17, 90).round()
    education = rng.choice(len(EDUCATION), n, p=EDUCATION_P)
    years = np.array([y for _, y in EDUCATION])[education]
    race = rng.choice(len(RACE), n, p=RACE_P)
    region = rng.choice(len(REGION), n, p=REGION_P)
    workclass = rng.choice(len(WORKCLASS), n, p=WORKCLASS_P)
    # occupation from education and sex
    occ_logits = np.zeros((n, len(OCCUPATION)))
    occ_logits[:, 0] += 0.45 * (years - 10)  # professional
    occ_logits[:, 2] += 0.3 * (years - 10)  # managerial
    occ_logits[:, 10] += 0.1 * (years - 10)
    occ_logits[:, [1, 6, 7, 8, 9]] += 1.2 * sex[:, None] - 0.2 * (years[:, None] - 9)
    occ_logits[:, [3, 5, 12]] += 1.0 * (1 - sex[:, None])
    occ_logits[:, 12] -= 2.5
    occ_logits[:, 13] -= 5.0
    occupation = _choice_rows(rng, occ_logits)
    # marital status from age and sex
    a = (age - 40) / 12
    m_logits = np.column_stack(
        [
            1.4 + 0.6 * sex - 0.9 * a**2 + 0.4 * a,  # Married-civ-spouse
            0.2 - 2.2 * a - 0.3 * sex,  # Never-married
            0.5 + 0.3 * a - 0.5 * a**2 - 0.4 * sex,  # Divorced
            -1.9 - 0.3 * sex - 0.4 * a**2,  # Separated
            -3.2 + 1.6 * a - 1.3 * sex,  # Widowed
            -2.6 + 0.0 * a,  # Married-spouse-absent
            -5.5 + 0.0 * a,  # Married-AF-spouse
        ]
    )
    marital = _choice_rows(rng, m_logits)
    married = np.isin(marital, [0, 6])
    # relationship: Husband, Wife, Own-child, Not-in-family, Unmarried,
    # Other-relative
    r_logits = np.full((n, 6), -6.0)
    r_logits[married, 0] = np.where(sex[married] == 1, 4.0, -6.0)
    r_logits[married, 1] = np.where(sex[married] == 0, 4.0, -6.0)
    single = ~married
    young = np.clip(1.5 - (age - 17) / 8, -2, 2)
    r_logits[single, 2] = young[single]
    r_logits[single, 3] = 1.0
    r_logits[single, 4] = np.where(np.isin(marital[single], [2, 3, 4]), 0.8, -1.0)
    r_logits[single, 5] = -1.5
    r_logits[married, 3] = -3.0
    relationship = _choice_rows(rng, r_logits)
    hours = np.clip(
        rng.normal(36 + 5 * sex + 3 * married + 2 * (years > 12), 11), 1, 99
    ).round()
    # income from education, age, hours, sex, marital status, occupation
    score = (
        -7.0
        + 0.33 * years
        + 0.06 * np.minimum(age, 55)
        - 0.0006 * np.maximum(age - 55, 0) ** 2
        + 0.03 * hours
        + 0.3 * sex
        + 1.5 * married
        - 0.4 * (marital == 4)
        + 0.6 * np.isin(occupation, [0, 2])
        - 0.5 * np.isin(occupation, [5, 8, 12])
        + 0.4 * (workclass == 2)
    )
    gain = np.where(
        rng.random_sample(n) < 0.04 + 0.08 * (score > 0),
        np.exp(rng.normal(8.3 + 0.3 * (score > 0), 1.0, n)).round(),
        0.0,
    )
    loss = np.where(rng.random_sample(n) < 0.045, rng.normal(1900, 350, n).round(), 0)
    score = score + 1.5 * (gain > 7000) + rng.logistic(0, 1, n) * 0.8
    income = (score > 1.9).astype(int)
    codes = {
        "age": age,
        "workclass": workclass,
        "education": education,
        "education_num": years.astype(float),
        "marital_status": marital,
        "occupation": occupation,
        "relationship": relationship,
        "race": race,
        "sex": sex,
        "capital_gain": gain,
        "capital_loss": np.maximum(loss, 0).astype(float),
        "hours_per_week": hours,
        "native_region": region,
    }
    if not frame:
        return np.column_stack([codes[c] for c in COLUMNS]).astype(float), income
    import pandas as pd

    names = {
        "workclass": WORKCLASS,
        "education": [e for e, _ in EDUCATION],
        "marital_status": MARITAL,
        "occupation": OCCUPATION,
        "relationship": [
            "Husband",
            "Wife",
            "Own-child",
            "Not-in-family",
            "Unmarried",
            "Other-relative",
        ],
        "race": RACE,
        "sex": ["Female", "Male"],
        "native_region": REGION,
    }
    X = pd.DataFrame(
        {
            c: (
                np.asarray(names[c], dtype=object)[codes[c]]
                if c in names
                else codes[c].astype(float)
            )
            for c in COLUMNS
        }
    )
    y = pd.Series(np.where(income == 1, ">50K", "<=50K"), name="income")
    return X, y


if __name__ == "__main__":
    X, y = make_census()
    print(X.head())
    print(X.dtypes.value_counts().to_dict(), X.shape)
    print((y == ">50K").mean().round(3), "share of >50K")
    print(X["marital_status"].value_counts(normalize=True).round(3).to_dict())
    print(
        X.groupby("marital_status")["age"].mean().round(1).to_dict(),
        y.groupby(X["marital_status"]).apply(lambda s: (s == ">50K").mean()).round(2),
    )
