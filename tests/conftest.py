"""Suite-wide settings: one OpenMP thread per test process.

Gradient boosting's OpenMP threads oversubscribe a small machine running tests in
parallel (pytest -n), which makes them orders of magnitude slower.
"""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def _single_openmp_thread():
    with threadpool_limits(limits=1, user_api="openmp"):
        yield
