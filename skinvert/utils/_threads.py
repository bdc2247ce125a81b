"""Bounded BLAS/OpenMP thread pools while an attack queries its target or fits.

Parallelism in skinvert is chosen by ``n_jobs`` and the joblib backend, never by
whatever the machine's native thread pools default to: the target's
``predict_proba`` and the attack's own models (imputers, attack models) would
otherwise start one OpenMP/BLAS thread per core in every joblib worker and
oversubscribe the machine.

The rule: ``n_jobs`` (joblib semantics, ``None`` meaning 1) is the thread budget.
While work runs in ``w`` joblib workers, each worker's pools get
``max(1, budget // w)`` threads (one each when the batches fill the workers);
work running in the calling thread alone gets the whole budget. A limit only
ever lowers a pool: a stricter setting already in force is kept.
"""

import sys
import threading
from contextlib import contextmanager

from joblib import effective_n_jobs

__all__ = ["bounded", "limit_threads", "thread_budget", "worker_threads"]

_lock = threading.Lock()
_state = {
    "owner": None,
    "depth": 0,
    "limits": [],
    "controller": None,
    "modules": -1,
    "sizes": {},
}


def _controller(refresh=False):
    """A cached :class:`threadpoolctl.ThreadpoolController`.

    Building one scans every loaded shared library (milliseconds: a cheap
    target's whole prediction), so it is rebuilt on ``refresh`` only when
    Python modules were imported since, the only way a new native pool appears.
    """
    modules = len(sys.modules)
    stale = refresh and modules != _state["modules"]
    if stale or _state["controller"] is None:
        from threadpoolctl import ThreadpoolController

        _state["controller"] = ThreadpoolController()
        _state["modules"] = len(sys.modules)
    return _state["controller"]


def thread_budget(n_jobs, workers=1):
    """Threads each native pool may use for ``workers`` concurrent workers.

    Parameters
    ----------
    n_jobs : int or None
        The attack's ``n_jobs`` (joblib semantics: ``None`` is 1 unless a
        :func:`joblib.parallel_config` context sets it, ``-1`` all cores).
    workers : int, default=1
        Number of workers running at once.

    Returns
    -------
    limit : int
        ``max(1, effective_n_jobs(n_jobs) // workers)``.

    Examples
    --------
    >>> from skinvert.utils._threads import thread_budget
    >>> thread_budget(None), thread_budget(4), thread_budget(4, workers=4)
    (1, 4, 1)
    """
    try:
        budget = effective_n_jobs(n_jobs)
    except (ValueError, TypeError):
        budget = 1
    return max(1, int(budget) // max(1, int(workers)))


def _sizes(controller):
    """The largest pool size per API (``"openmp"``, ``"blas"``)."""
    current = {}
    for pool in controller.info():
        api = pool["user_api"]
        current[api] = max(current.get(api, 0), pool["num_threads"])
    return current


def _lowered(sizes, limit):
    """Per-API limits that never raise a pool above ``sizes``.

    A stricter setting already in force (``OMP_NUM_THREADS=1``, or a caller's
    own ``threadpool_limits``) is kept.
    """
    return {api: max(1, min(int(limit), n)) for api, n in sizes.items()}


@contextmanager
def limit_threads(limit):
    """Bound every BLAS and OpenMP pool of the process to ``limit`` threads.

    A pool already smaller (an environment variable such as
    ``OMP_NUM_THREADS=1``, or the caller's own limit) is left as it is: the
    limit only ever lowers the number of threads below what was in force when
    the outermost entry began.

    The pools are process-wide, so the thread that first enters owns the limit:
    its nested entries may change it, up to the sizes in force before the
    outermost entry (restored in order on exit), entries from
    other threads while it is held (joblib workers of the same attack, or
    attacks fitted in parallel) leave it alone. The limit is restored when the
    owner leaves.

    Parameters
    ----------
    limit : int
        Threads per native pool (see :func:`thread_budget`).

    Examples
    --------
    >>> from threadpoolctl import threadpool_info
    >>> from skinvert.utils._threads import limit_threads
    >>> with limit_threads(1):
    ...     all(pool["num_threads"] == 1 for pool in threadpool_info())
    True
    """
    me = threading.get_ident()
    with _lock:
        if _state["owner"] is None:
            _state["owner"] = me
        mine = _state["owner"] == me
        if mine:
            _state["depth"] += 1
            previous = _state["limits"][-1] if _state["limits"] else None
            _state["limits"].append(limit)
    if not mine:
        yield
        return
    applied = None
    try:
        if limit != previous:  # libraries loaded since are found on each entry
            controller = _controller(refresh=previous is None)
            if previous is None:  # the sizes a nested entry may go back up to
                _state["sizes"] = _sizes(controller)
            sizes = {**_sizes(controller), **_state["sizes"]}
            applied = controller.limit(limits=_lowered(sizes, limit))
        yield
    finally:
        if applied is not None:
            applied.restore_original_limits()
        with _lock:
            _state["limits"].pop()
            _state["depth"] -= 1
            if _state["depth"] == 0:
                _state["owner"] = None


@contextmanager
def worker_threads(limit):
    """Bound the OpenMP pool of a joblib worker thread to ``limit`` threads.

    OpenMP's thread count is a per-thread setting: the limit set by
    :func:`limit_threads` in the calling thread does not reach the threads a
    joblib threading backend runs batches in, so each worker sets its own
    (BLAS pools are process-wide and already bounded). A no-op in the thread
    that holds :func:`limit_threads`.

    Parameters
    ----------
    limit : int
        OpenMP threads for this worker.
    """
    if _state["owner"] == threading.get_ident():
        yield
        return
    controller = _controller()
    sizes = _sizes(controller.select(user_api="openmp"))
    if not sizes:  # no OpenMP library loaded
        yield
        return
    applied = controller.limit(
        limits=_lowered(sizes, limit)["openmp"], user_api="openmp"
    )
    try:
        yield
    finally:
        applied.restore_original_limits()


class bounded:
    """``function`` run in a joblib worker, its OpenMP pool bounded to ``limit``.

    ``delayed(bounded(f, limit))(...)`` runs on any joblib backend, a Dask
    cluster's included (picklable when ``f`` is), and its tasks carry ``f``'s
    name (``batch_of_<name>_<n>_calls`` on the Dask dashboard).

    Parameters
    ----------
    function : callable
    limit : int
        OpenMP threads of the worker while ``function`` runs.

    Examples
    --------
    >>> from joblib import Parallel, delayed
    >>> from skinvert.utils._threads import bounded
    >>> absolute = delayed(bounded(abs, 1))
    >>> Parallel(n_jobs=2, prefer="threads")(absolute(-i) for i in range(3))
    [0, 1, 2]
    """

    def __init__(self, function, limit):
        self.function = function
        self.limit = limit
        self.__name__ = getattr(function, "__name__", type(function).__name__)

    def __call__(self, *args, **kwargs):
        with worker_threads(self.limit):
            return self.function(*args, **kwargs)
