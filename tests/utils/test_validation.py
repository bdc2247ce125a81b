"""Validation helpers: frames of other libraries, column names, infinite values."""

import numpy as np
import pytest

from skinvert.utils._validation import (
    as_records_or_frame,
    check_finite_known,
    close_matches,
    resolve_column,
)


def test_close_matches_name_the_likely_column():
    assert close_matches("relgion", ["religion", "region", "age"]) == (
        " (did you mean 'religion' or 'region'?)"
    )
    assert close_matches("zzz", ["religion"]) == ""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"religion": [1], "age": [2]})
    with pytest.raises(ValueError, match="did you mean 'religion'"):
        resolve_column("relgion", frame, param="sensitive")


def test_polars_frames_become_pandas_with_their_names():
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"a": [1, 2], "b": ["x", None]})
    out = as_records_or_frame(frame)
    assert type(out).__module__.startswith("pandas")
    assert list(out.columns) == ["a", "b"]
    array = np.zeros((2, 2))
    assert as_records_or_frame(array) is array


def test_infinite_known_values_are_found_in_every_container():
    pd = pytest.importorskip("pandas")
    X = np.zeros((4, 3))
    X[2, 0] = np.inf  # the sensitive column: never read, allowed
    check_finite_known(X, [0])
    X[1, 2] = -np.inf
    for records in (X, X.astype(object), pd.DataFrame(X, columns=list("abc"))):
        with pytest.raises(ValueError, match=r"infinite values in the known"):
            check_finite_known(records, [0])
    with pytest.raises(ValueError, match="label column holds infinite"):
        check_finite_known(np.zeros((2, 2)), [0], np.array([1.0, np.inf]))
