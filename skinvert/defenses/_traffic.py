"""What the query monitor learns from benign traffic, and its per-stream state.

The profile says which query rows are far from benign traffic (a categorical
cell never seen, a number outside the benign range, or a row whose mean squared
standardised value is above the benign 99.9 % quantile); the stream state holds
the sliding window (see ``_window``), the alerts and the flagged clients of one
monitored target, behind one lock.
"""

import contextlib
import threading

import numpy as np
from scipy import sparse

from ..utils._optional import is_pandas_dataframe
from ._window import WindowIndex, row_fingerprints


def numeric_values(X, n_columns):
    """Cells as float64, NaN where a column (or cell) is not numeric."""
    if sparse.issparse(X):
        return X.toarray().astype(np.float64)
    if is_pandas_dataframe(X):
        out = np.full((X.shape[0], n_columns), np.nan)
        for j in range(n_columns):
            column = X.iloc[:, j]
            with contextlib.suppress(TypeError, ValueError):
                out[:, j] = column.to_numpy(dtype=np.float64, na_value=np.nan)
        return out
    X = np.asarray(X)
    if X.dtype.kind in "biuf":
        return X.astype(np.float64)
    out = np.full(X.shape, np.nan)
    for j in range(X.shape[1]):
        with contextlib.suppress(TypeError, ValueError):
            out[:, j] = X[:, j].astype(np.float64)
    return out


class Profile:
    """Per-column description of benign query rows (what is in distribution)."""

    def __init__(self, values, cells, max_categories):
        n_columns = cells.shape[1]
        self.categorical = np.array(
            [
                not np.isfinite(values[:, j]).any()
                or np.unique(cells[:, j]).size <= max_categories
                for j in range(n_columns)
            ],
            dtype=bool,
        )
        self.seen = np.unique(cells[:, self.categorical])
        numbers = values[:, ~self.categorical]
        self.nan_seen = np.isnan(numbers).any(axis=0)
        if numbers.shape[1]:
            with np.errstate(all="ignore"):
                self.low = np.nanmin(numbers, axis=0)
                self.high = np.nanmax(numbers, axis=0)
                self.center = np.nanmean(numbers, axis=0)
                scale = np.nanstd(numbers, axis=0)
            self.scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
            self.density = np.inf
            self.density = float(np.quantile(self._density(numbers), 0.999))

    def _density(self, numbers):
        z = (numbers - self.center) / self.scale
        with np.errstate(all="ignore"):
            z2 = np.where(np.isnan(z), 0.0, z * z)
        return z2.mean(axis=1)

    def off(self, values, cells):
        """Whether each row is far from benign traffic, shape (n_rows,)."""
        off = np.zeros(cells.shape[0], dtype=bool)
        if self.categorical.any():
            hashes = cells[:, self.categorical]
            if self.seen.size:
                found = self.seen[
                    np.minimum(np.searchsorted(self.seen, hashes), self.seen.size - 1)
                ]
                off |= (found != hashes).any(axis=1)
            else:
                off[:] = True
        if not self.categorical.all():
            numbers = values[:, ~self.categorical]
            with np.errstate(invalid="ignore"):
                outside = (numbers < self.low) | (numbers > self.high)
            outside |= np.isnan(numbers) & ~self.nan_seen
            off |= outside.any(axis=1)
            off |= self._density(numbers) > self.density
        return off


def off_rate(values, cells, max_categories):
    """Share of benign rows flagged off-distribution by a profile of the other half."""
    n = cells.shape[0]
    half = n // 2
    if half == 0:
        return 0.0
    rates = []
    for fit, test in (
        (slice(0, half), slice(half, n)),
        (slice(half, n), slice(0, half)),
    ):
        profile = Profile(values[fit], cells[fit], max_categories)
        rates.append(float(profile.off(values[test], cells[test]).mean()))
    return max(rates)


def pairs(index, code):
    """Pairs of a client's distinct rows that share each column's value."""
    return (index.repeats[code] - index.distinct[code]) // 2


def running_max(sizes, values):
    """Points sorted by size, with the running maximum of their values."""
    order = np.argsort(sizes, kind="stable")
    values = np.maximum.accumulate(np.array(values)[order], axis=0)
    return np.asarray(sizes, dtype=np.int64)[order], values.astype(float)


def envelope_limit(n_rows, sizes, envelope, margin, min_count, spread=0.0):
    """``(1 + margin + spread / sqrt(n)) * e + 3 * sqrt(e) + min_count``, ``e``
    the envelope at ``n`` rows (quadratic between and beyond the fitted points,
    and below the first)."""
    n = np.asarray(n_rows, dtype=float)
    i = np.searchsorted(sizes, n, side="right") - 1
    below = np.maximum(i, 0)
    scale = (n / np.maximum(sizes[below], 1)) ** 2
    base = envelope[below] * scale[..., None]
    above = np.minimum(i + 1, sizes.size - 1)
    base = np.where(
        (i + 1 < sizes.size)[..., None], np.minimum(base, envelope[above]), base
    )
    relative = 1.0 + margin + spread / np.sqrt(np.maximum(n, 1.0))
    return relative[..., None] * base + 3.0 * np.sqrt(base) + min_count


class StreamState:
    """A monitored stream: window index, checks, alerts, flagged clients.

    ``observe`` adds a call's rows to the window ``batch_size`` rows at a time
    and checks, after each block, the clients the block came from; every method
    takes the lock (the lock itself is not pickled).
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.index = None
        self.n_batches = 0
        self.alerts = []
        self.flagged = set()

    def __getstate__(self):
        state = dict(self.__dict__)
        del state["lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.lock = threading.Lock()

    def clear(self):
        with self.lock:
            self.index, self.n_batches, self.alerts = None, 0, []
            self.flagged = set()

    def observe(self, monitor, cells, off, client=None, clients=None):
        """Add rows from ``client`` (or ``clients``, one per row); the new alerts."""
        rows, masked = row_fingerprints(cells)
        n = cells.shape[0]
        per_row = clients is not None
        if per_row:
            keys, inverse = np.unique(np.asarray(clients), return_inverse=True)
            keys = keys.tolist()
        size = int(monitor.batch_size)
        new = []
        with self.lock:
            if self.index is None:
                self.index = WindowIndex(monitor.window, cells.shape[1])
            index = self.index
            for start in range(0, n, size):
                stop = min(start + size, n)
                if per_row:
                    present = np.unique(inverse[start:stop])
                    block = [keys[i] for i in present.tolist()]
                    codes = np.zeros(len(keys), dtype=np.int64)
                    codes[present] = [index.code(key) for key in block]
                    codes = codes[inverse[start:stop]]
                else:
                    block = [client]
                    codes = np.full(stop - start, index.code(client), dtype=np.int64)
                index.push(rows[start:stop], masked[start:stop], codes, off[start:stop])
                for alert in monitor._check(index, block, self.n_batches):
                    new.append(alert)
                    if alert.signal != "near-twins-all-clients":
                        self.flagged.add(alert.client)
                self.n_batches += 1
            self.alerts.extend(new)
        return new
