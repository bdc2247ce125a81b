import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from skinvert.datasets import load_affairs

fair = pytest.importorskip("statsmodels.datasets.fair")
pd = pytest.importorskip("pandas")

FEATURES = [
    "age",
    "yrs_married",
    "children",
    "religious",
    "educ",
    "occupation",
    "occupation_husb",
    "affair",
]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("load_affairs tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_bunch_contents(no_network):
    bunch = load_affairs()
    assert bunch.data.shape == (6366, 8)
    assert bunch.target.shape == (6366,)
    assert bunch.data.dtype == np.float64 and bunch.target.dtype == np.float64
    assert bunch.feature_names == FEATURES
    assert bunch.sensitive == "affair" and bunch.sensitive_index == 7
    np.testing.assert_array_equal(bunch.sensitive_values, [0, 1])
    assert list(bunch.target_names) == ["not happy", "happy"]
    assert bunch.frame is None
    for text in ("Fair", "Political", "1978", "Redbook", "Fredrikson", "Mehnaz"):
        assert text in bunch.DESCR


def test_derived_columns_match_the_raw_survey(no_network):
    raw = fair.load_pandas().data
    bunch = load_affairs()
    np.testing.assert_array_equal(bunch.data[:, 7], (raw["affairs"] > 0).to_numpy())
    np.testing.assert_array_equal(bunch.target, (raw["rate_marriage"] >= 4).to_numpy())
    np.testing.assert_array_equal(bunch.data[:, 0], raw["age"].to_numpy())
    # The sensitive share and the label share of the survey.
    assert abs(bunch.data[:, 7].mean() - 0.3225) < 0.001
    assert abs(bunch.target.mean() - 0.7738) < 0.001
    # Neither raw column that gives the answers away is a feature.
    assert "affairs" not in bunch.feature_names
    assert "rate_marriage" not in bunch.feature_names


def test_as_frame(no_network):
    bunch = load_affairs(as_frame=True)
    assert isinstance(bunch.data, pd.DataFrame) and isinstance(bunch.target, pd.Series)
    assert list(bunch.data.columns) == FEATURES
    assert bunch.target.name == "happy"
    assert list(bunch.frame.columns) == [*FEATURES, "happy"]
    assert bunch.frame.shape == (6366, 9)
    for col in ("religious", "educ", "occupation", "occupation_husb", "affair"):
        assert pd.api.types.is_integer_dtype(bunch.data[col]), col
    assert pd.api.types.is_float_dtype(bunch.data["age"])
    np.testing.assert_array_equal(bunch.data.to_numpy(dtype=float), load_affairs().data)


def test_return_X_y(no_network):
    X, y = load_affairs(return_X_y=True)
    assert X.shape == (6366, 8) and y.shape == (6366,)
    X, y = load_affairs(return_X_y=True, as_frame=True)
    assert isinstance(X, pd.DataFrame) and y.name == "happy"


def test_other_label_and_sensitive(no_network):
    bunch = load_affairs(label="affair", sensitive="religious")
    assert "affair" not in bunch.feature_names and "happy" in bunch.feature_names
    assert bunch.feature_names[bunch.sensitive_index] == "religious"
    np.testing.assert_array_equal(bunch.sensitive_values, [1, 2, 3, 4])
    assert list(bunch.target_names) == ["no affair", "affair"]
    assert abs(bunch.target.mean() - 0.3225) < 0.001


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"sensitive": "happy"}, "different columns"),
        ({"label": "affair"}, "different columns"),
        ({"sensitive": "affairs"}, "sensitive"),
        ({"label": "rate_marriage"}, "label"),
    ],
)
def test_invalid_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        load_affairs(**params)


def _run(code):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_import_is_lazy():
    # scikit-learn may import pandas itself; skinvert.datasets must not need it
    # (nor statsmodels) at import time, and must not import statsmodels.
    result = _run(
        """
        import sys
        import skinvert.datasets
        assert "statsmodels" not in sys.modules, "statsmodels imported"
        """
    )
    assert result.returncode == 0, result.stderr
    result = _run(
        """
        import sys
        sys.modules["pandas"] = None
        sys.modules["statsmodels"] = None
        from skinvert.datasets import load_affairs, make_sensitive_classification
        X, y = make_sensitive_classification(n_samples=10, random_state=0)
        try:
            load_affairs()
        except ImportError as exc:
            assert "skinvert[datasets]" in str(exc), str(exc)
        else:
            raise AssertionError("load_affairs worked without statsmodels")
        """
    )
    assert result.returncode == 0, result.stderr
