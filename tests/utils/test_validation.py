"""Validation helpers: frames of other libraries, column names, infinite values."""

import numpy as np
import pytest

from skinvert.utils._validation import (
    as_records_or_frame,
    check_finite_known,
    close_matches,
    in_fitted_order,
    in_target_order,
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


class _Named:
    feature_names_in_ = np.array(["a", "b", "c"], dtype=object)


def test_frames_are_put_in_the_target_order_or_their_columns_named():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"c": [1.0], "y": ["no"], "a": [2.0], "b": [3.0]})
    ordered, given = in_target_order(frame, _Named(), label="y", sensitive="a")
    assert list(ordered.columns) == ["a", "y", "b", "c"]
    assert given == ["c", "y", "a", "b"] == list(frame.columns)
    with pytest.raises(ValueError, match=r"\['y'\].*set label='y'"):
        in_target_order(frame, _Named(), label=None, sensitive="a")
    with pytest.raises(ValueError, match=r"lacks the target's column\(s\) \['b'\]"):
        in_target_order(frame.drop(columns="b"), _Named(), label="y", sensitive="a")
    with pytest.raises(ValueError, match="one of the target's input columns"):
        in_target_order(frame, _Named(), label="b", sensitive="a")
    assert list(in_fitted_order(frame, ["a", "y", "b", "c"]).columns) == [
        "a",
        "y",
        "b",
        "c",
    ]
    with pytest.raises(ValueError, match=r"It lacks \['z'\].*It has \['y'\]"):
        in_fitted_order(frame, ["a", "z", "b", "c"])
