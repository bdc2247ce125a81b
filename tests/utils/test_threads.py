"""Native thread pools bounded by n_jobs."""

import threading

from threadpoolctl import threadpool_info

from skinvert.utils._threads import limit_threads, thread_budget, worker_threads


def _threads():
    return {pool["user_api"]: pool["num_threads"] for pool in threadpool_info()}


def test_budget_splits_n_jobs_over_the_workers():
    assert thread_budget(None) == 1
    assert thread_budget(1) == 1
    assert thread_budget(2) == 2
    assert thread_budget(2, workers=2) == 1
    assert thread_budget(3, workers=2) == 1
    assert thread_budget(-1) >= 1


def test_limits_nest_in_the_owner_only_lower_and_are_restored():
    from threadpoolctl import threadpool_limits

    before = _threads()
    with limit_threads(2):
        assert all(n <= 2 for n in _threads().values())
        with limit_threads(1):
            assert set(_threads().values()) == {1}
        assert _threads() == {k: min(v, 2) for k, v in before.items()}
    assert _threads() == before
    with threadpool_limits(limits=1), limit_threads(2):  # a stricter setting stays
        assert set(_threads().values()) == {1}


def test_other_threads_leave_the_owners_limit_alone():
    seen = {}

    def other():
        with limit_threads(2):  # not the owner: no change to the process pools
            seen["blas"] = _threads()["blas"]
        with worker_threads(1):  # its own OpenMP pool
            seen["openmp"] = _threads().get("openmp", 1)

    with limit_threads(1):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert set(_threads().values()) == {1}
    assert seen == {"blas": 1, "openmp": 1}


def test_a_nested_limit_may_raise_back_up_to_the_sizes_before_the_outermost():
    # the audit holds one thread, then gives its target's training the budget
    before = _threads()
    with limit_threads(1):
        with limit_threads(2):
            assert _threads() == {k: min(v, 2) for k, v in before.items()}
        assert set(_threads().values()) == {1}
    assert _threads() == before


def test_a_worker_never_raises_its_pool_above_a_stricter_setting():
    from threadpoolctl import threadpool_limits

    seen = {}

    def worker():
        with threadpool_limits(limits=1, user_api="openmp"), worker_threads(2):
            seen["openmp"] = _threads().get("openmp", 1)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == {"openmp": 1}
