"""The target-access core: the one place where attacks talk to the target.

:func:`query_target` is the hot path of every black-box attack: for ``n`` victims and
``k`` candidate values of the sensitive attribute it builds the ``n * k`` completed
records batch by batch, queries the target on each batch (optionally in parallel
through joblib) and returns the answers as an ``(n, k, n_classes)`` array. The
helpers here (row slicing, spans, progress, gathering) are shared by the attacks
that answer their victims chunk by chunk.
"""

import contextvars
import re
import sys

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

from .utils._memo import shared_answers
from .utils._optional import import_optional, is_pandas_dataframe
from .utils._shipping import ship, unship
from .utils._threads import limit_threads, thread_budget, worker_threads
from .utils._validation import check_answers

DEFAULT_BATCH_SIZE = 65536
DEFAULT_MAX_CANDIDATES = 4096

# Set while an attack answers its victims chunk by chunk: the chunk loop shows
# the progress bar, so the target queries inside a chunk stay quiet.
_CHUNKED = contextvars.ContextVar("skinvert_chunked", default=False)


def _take_rows(X, rows):
    if is_pandas_dataframe(X):
        out = X.iloc[rows]
        out.index = range(len(out))
        return out
    return X[rows]


def _complete(X_batch, columns, candidates):
    """Return the ``nb * k`` records: each row of ``X_batch`` once per candidate.

    ``candidates`` is ``(k, m)`` (shared by every row) or ``(nb, k, m)`` (per row).
    """
    nb, k = X_batch.shape[0], candidates.shape[-2]
    per_row = np.broadcast_to(candidates, (nb, *candidates.shape[-2:]))
    if is_pandas_dataframe(X_batch):
        pd = import_optional("pandas")
        rows = X_batch.iloc[np.repeat(np.arange(nb), k)]
        rows.index = range(nb * k)
        for j, position in enumerate(columns):
            values = per_row[:, :, j].ravel()
            dtype = X_batch.dtypes.iloc[position]
            if isinstance(dtype, pd.CategoricalDtype):
                values = pd.Categorical(values, dtype=dtype)
            rows.isetitem(position, values)
        return rows
    dtype = X_batch.dtype
    if dtype.kind in "biuf" and candidates.dtype.kind in "biuf":
        dtype = np.result_type(dtype, candidates.dtype)
    else:
        dtype = object
    rows = np.repeat(X_batch.astype(dtype, copy=False), k, axis=0)
    view = rows.reshape(nb, k, -1)
    for j, position in enumerate(columns):
        view[:, :, position] = per_row[:, :, j]
    return rows


_TOL = 1e-4  # tolerance on the confidences' row sums (as check_answers)
_PROGRESS_MIN_BATCHES = 4  # fewer batches than this never show a progress bar


def _row_sums(proba):
    if proba.shape[1] <= 4:  # a few column additions beat a reduction along axis 1
        sums = proba[:, 0].copy()
        for j in range(1, proba.shape[1]):
            sums += proba[:, j]
        return sums
    return np.einsum("ij->i", proba)


def _check_proba(answers, n_rows, n_classes):
    """Cheap check of valid confidences; :func:`check_answers` explains a failure."""
    proba = np.asarray(answers)
    n_columns = proba.shape[1] if proba.ndim == 2 else -1
    expected = (n_rows, n_classes or n_columns)
    if proba.shape == expected and proba.size and proba.dtype.kind == "f":
        sums = _row_sums(proba)  # NaN and inf fail the comparisons below
        if proba.min() >= -_TOL and sums.min() >= 1 - _TOL and sums.max() <= 1 + _TOL:
            return proba
    return check_answers(proba, n_rows, n_classes=n_classes, tol=_TOL)


# A target's error that looks like a value its encoder cannot take
_ENCODING_ERROR = re.compile(
    r"unknown categor|unseen|not seen|could not convert|invalid literal|"
    r"not categorical|categories|not in the categories|unknown label",
    re.IGNORECASE,
)
_NAN_ERROR = re.compile(r"\bNaN\b|missing values", re.IGNORECASE)


def _target_error(exc, method, n_rows, completed):
    """The target's own error, with the advice that fits it (chained by the caller).

    The hint about candidate values is given only when candidates were written
    into the records and the target's message looks like an encoding failure.
    """
    what = "completed records" if completed else "records"
    message = f"The target's {method} failed on {n_rows} {what}: {exc}"
    if completed and _ENCODING_ERROR.search(str(exc)):
        message += (
            " The records were completed with candidate values of the sensitive "
            "attribute: if the target's encoder has not seen one of them, pass "
            "candidates= with values the target knows."
        )
    elif _NAN_ERROR.search(str(exc)):
        message += (
            " Some known features are missing (NaN) and the target does not accept "
            "missing values: impute them before attacking, or drop those victims."
        )
    return type(exc)(message)


def _ask(target, method, rows, n_classes, completed=True):
    try:
        answers = getattr(target, method)(rows)
    except (ValueError, TypeError) as exc:
        try:
            error = _target_error(exc, method, rows.shape[0], completed)
        except TypeError:  # an exception type that takes other arguments
            raise exc from None
        raise error from exc
    if method == "predict_proba":
        return _check_proba(answers, rows.shape[0], n_classes)
    answers = np.asarray(answers)
    if answers.shape != (rows.shape[0],):
        raise ValueError(
            f"The target's predict returned shape {answers.shape} for "
            f"{rows.shape[0]} rows; expected ({rows.shape[0]},)."
        )
    return answers


def _query_batch(limit, target, *args):
    """:func:`_answer_batch` in a joblib worker, its OpenMP pool bounded."""
    with worker_threads(limit):
        return _answer_batch(unship(target), *args)


def _answer_batch(target, method, batch, columns, candidates, n_classes):
    """Answers on one batch of victims (``candidates`` already sliced if per-victim)."""
    if candidates is None:
        return _ask(target, method, batch, n_classes, completed=False)
    rows = _complete(batch, columns, candidates)
    answers = _ask(target, method, rows, n_classes)
    return answers.reshape(batch.shape[0], candidates.shape[-2], *answers.shape[1:])


class _Answers:
    """The batches' answers written in place into one array (no final concatenate)."""

    def __init__(self, n):
        self.n, self.out = n, None

    def put(self, start, part):
        if self.out is None:
            self.out = np.empty((self.n, *part.shape[1:]), dtype=part.dtype)
        elif not np.can_cast(part.dtype, self.out.dtype):  # e.g. longer strings
            try:
                dtype = np.result_type(self.out.dtype, part.dtype)
            except TypeError:
                dtype = object
            self.out = self.out.astype(dtype)
        self.out[start : start + part.shape[0]] = part


def _spans(n, step):
    """``(start, stop)`` of consecutive slices of ``step`` rows covering ``n``."""
    return [(start, min(start + step, n)) for start in range(0, n, step)]


def _progress(parts, batches, verbose):
    """Yield ``parts``, with a progress bar over their ``batches`` (counts per part).

    Without tqdm, plain progress lines go to stderr (about ten of them).
    """
    total = sum(batches)
    if not verbose or total < _PROGRESS_MIN_BATCHES:
        yield from parts
        return
    try:
        tqdm = import_optional("tqdm.auto", purpose="the progress bar (verbose > 0)")
    except ImportError:
        yield from _plain_progress(parts, batches, total)
        return
    with tqdm.tqdm(total=total, unit="batch", desc="Querying the target") as bar:
        for part, count in zip(parts, batches):
            yield part
            bar.update(count)


def _plain_progress(parts, batches, total):
    """Progress as lines on stderr, when tqdm is not installed."""
    done, shown, step = 0, 0, max(1, total // 10)
    for part, count in zip(parts, batches):
        yield part
        done += count
        if done - shown >= step or done == total:
            shown = done
            print(
                f"Querying the target: {done}/{total} batches ({100 * done // total}%)",
                file=sys.stderr,
                flush=True,
            )


def _gather(parts, spans, n, verbose, batches=None):
    """The ``parts`` written at their ``spans`` into one array of ``n`` rows."""
    out = _Answers(n)
    counts = [1] * len(spans) if batches is None else batches
    # the parts first: zip then exhausts them, which completes the progress bar
    for part, (start, _) in zip(_progress(parts, counts, verbose), spans):
        out.put(start, np.asarray(part))
    return out.out


def query_target(
    target,
    X,
    columns=None,
    candidates=None,
    *,
    method="predict_proba",
    batch_size=DEFAULT_BATCH_SIZE,
    n_jobs=None,
    verbose=0,
):
    """Query ``target`` on every record of ``X`` completed with every candidate.

    This is the one place where attacks talk to the target. Records are completed and
    queried batch by batch, so memory stays bounded by ``batch_size`` completed rows
    whatever the number of victims; batches run through :class:`joblib.Parallel`
    (threads by default; any joblib backend set with
    :func:`joblib.parallel_config`, Dask's included, is honoured).

    Parameters
    ----------
    target : estimator
        Fitted model exposing ``method``.
    X : ndarray or DataFrame of shape (n_victims, n_target_features)
        Records in the target's input layout. The content of ``columns`` is never
        read: those cells are overwritten by each candidate.
    columns : list of int, default=None
        Positions of the sensitive column(s) in ``X``.
    candidates : ndarray of shape (n_candidates, len(columns)), default=None
        Candidate values, one row per candidate (one entry per sensitive column).
        An array of shape ``(n_victims, n_candidates, len(columns))`` gives each
        victim its own candidates (e.g. a finer grid around a first estimate).
        ``None`` queries the records of ``X`` as they are.
    method : {"predict_proba", "predict"}, default="predict_proba"
        Target method to query.
    batch_size : int, default=65536
        Maximum number of completed rows per target call. A victim's ``k``
        candidates go in one call when ``k <= batch_size``; otherwise they are
        split across calls of at most ``batch_size`` rows.
    n_jobs : int, default=None
        Number of parallel jobs (joblib semantics: ``None`` means 1 unless a
        :func:`joblib.parallel_config` context sets ``n_jobs`` or a backend such as
        Dask's, whose workers are then all used).
    verbose : int, default=0
        If positive and there are at least 4 batches, show a progress bar over
        the batches (with ``tqdm``; plain progress lines on stderr without it).

    Returns
    -------
    answers : ndarray
        ``(n_victims, n_candidates, n_classes)`` confidences for ``predict_proba``,
        ``(n_victims, n_candidates)`` labels for ``predict``; without candidates,
        ``(n_victims, n_classes)`` or ``(n_victims,)``.

    Notes
    -----
    While it queries, the target's BLAS and OpenMP thread pools are bounded
    (threadpoolctl) by ``n_jobs``: one thread per pool for ``n_jobs=None`` or 1;
    with ``n_jobs=j`` and batches running in ``j`` workers, one thread each;
    a single batch gets ``j`` threads; a stricter setting already in force
    (``OMP_NUM_THREADS``, the caller's own limit) is kept. Parallelism is thus
    chosen by ``n_jobs`` and the joblib backend, not by the machine's default
    thread pools.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvert import query_target
    >>> X = np.array([[0., 1.], [1., 0.], [0., 0.], [1., 1.]])
    >>> target = LogisticRegression().fit(X, [0, 1, 0, 1])
    >>> query_target(target, X, [0], np.array([[0.], [1.]])).shape
    (4, 2, 2)
    """
    n_classes = None
    if method == "predict_proba" and hasattr(target, "classes_"):
        n_classes = len(target.classes_)
    if candidates is not None:
        candidates = np.asarray(candidates)
        if candidates.ndim == 1:
            candidates = candidates.reshape(-1, 1)
        columns = list(columns)
        if candidates.ndim not in (2, 3) or candidates.shape[-1] != len(columns):
            raise ValueError(
                f"candidates has shape {candidates.shape}; expected (n_candidates, "
                f"{len(columns)}) or (n_victims, n_candidates, {len(columns)}) for "
                f"{len(columns)} sensitive column(s)."
            )
        if candidates.ndim == 3 and candidates.shape[0] != X.shape[0]:
            raise ValueError(
                f"Per-victim candidates are given for {candidates.shape[0]} victims "
                f"but X has {X.shape[0]} records; they must match."
            )
        if is_pandas_dataframe(X):
            _check_categories(X, columns, candidates.reshape(-1, len(columns)))
    k = 1 if candidates is None else candidates.shape[-2]
    n = X.shape[0]
    if n == 0:
        shape = (0, k) if candidates is not None else (0,)
        return np.empty(shape + ((n_classes,) if n_classes else ()))

    def ask():
        if k > batch_size:  # a victim's candidates split across calls
            return _query_split(
                target, X, columns, candidates, method, int(batch_size), n_jobs, verbose
            )
        bounds = _spans(n, max(1, int(batch_size) // k))
        per_victim = candidates is not None and candidates.ndim == 3
        batches = (
            (_take_rows(X, slice(a, b)), candidates[a:b] if per_victim else candidates)
            for a, b in bounds
        )
        return _run(
            [target, method, columns, n_classes], batches, bounds, n, n_jobs, verbose
        )

    # within an audit, the same query asked by several attacks is asked once
    return shared_answers(target, (method, X, columns, candidates), ask)


def _run(fixed, batches, bounds, n, n_jobs, verbose):
    """Answers of every batch, gathered; native threads bounded by ``n_jobs``."""
    target, method, columns, n_classes = fixed
    jobs = effective_n_jobs(n_jobs)
    workers = 1 if len(bounds) == 1 or jobs == 1 else min(jobs, len(bounds))
    limit = thread_budget(n_jobs, workers)
    # the limit is set before the first batch is dispatched
    with limit_threads(limit):
        if workers == 1:
            results = (
                _answer_batch(target, method, batch, columns, cands, n_classes)
                for batch, cands in batches
            )
        else:  # threads unless parallel_config selects a backend (Dask's included)
            shipped = ship(target)  # sent to a Dask cluster once, not per batch
            results = Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")(
                delayed(_query_batch)(
                    limit, shipped, method, batch, columns, cands, n_classes
                )
                for batch, cands in batches
            )
        return _gather(results, bounds, n, verbose)


def _query_split(target, X, columns, candidates, method, batch_size, n_jobs, verbose):
    """``query_target`` when one victim has more candidates than ``batch_size``.

    The ``n * k`` completed records are cut into calls of ``batch_size`` rows in
    victim-major, candidate-minor order, so no call exceeds ``batch_size`` rows.
    """
    n, k = X.shape[0], candidates.shape[-2]
    n_classes = None
    if method == "predict_proba" and hasattr(target, "classes_"):
        n_classes = len(target.classes_)
    bounds = _spans(n * k, batch_size)

    def batches():
        for a, b in bounds:
            flat = np.arange(a, b)
            victims, which = flat // k, flat % k
            if candidates.ndim == 3:
                values = candidates[victims, which]
            else:
                values = candidates[which]
            yield _take_rows(X, victims), values[:, None, :]

    out = _run(
        [target, method, columns, n_classes], batches(), bounds, n * k, n_jobs, verbose
    )
    return out.reshape(n, k, *out.shape[2:])


def _check_categories(X, columns, candidates):
    pd = import_optional("pandas")
    for j, position in enumerate(columns):
        dtype = X.dtypes.iloc[position]
        if isinstance(dtype, pd.CategoricalDtype):
            unknown = set(candidates[:, j].tolist()) - set(dtype.categories.tolist())
            if unknown:
                raise ValueError(
                    f"Candidate values {sorted(map(str, unknown))} are not categories "
                    f"of the categorical column {X.columns[position]!r} "
                    f"(categories: {list(dtype.categories)}). Pass candidates= with "
                    "values among the categories, or add them to the dtype."
                )


def _stack_columns(columns):
    """Stack 1-D arrays as columns (an object array if one is not numeric)."""
    if all(column.dtype.kind in "biuf" for column in columns):
        return np.column_stack(columns)
    out = np.empty((len(columns[0]), len(columns)), dtype=object)
    for j, column in enumerate(columns):
        out[:, j] = column
    return out
