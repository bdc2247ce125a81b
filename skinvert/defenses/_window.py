"""A sliding window of query rows indexed by fingerprints with one column left out.

Two rows that are equal but for column ``j`` (near-twins on ``j``) share their
fingerprint with column ``j`` left out. A row's fingerprint without column ``j``
is the sum of its cell hashes (modulo ``2**64``) minus the hash of cell ``j``,
plus a per-column salt, so the ``d`` fingerprints of a row cost ``O(d)``, not
``O(d**2)``. The window keeps, for the last ``window`` rows, how many distinct
rows share each fingerprint, in one scope per client and in one scope for all
clients together; a fingerprint shared by two or more distinct rows is a
near-twin group. Counts live in an open-addressing hash table of ``uint64`` keys
updated for a whole block of rows at once (sort, then probe in NumPy), whose size
follows the number of fingerprints in the window, never the length of the stream.
"""

import numpy as np

from ._base import splitmix64

_ROW_SALT = np.uint64(0xD6E8FEB86659FD93)
_VALUE_SALT = np.uint64(0x8EBC6AF09C88C6E3)
_SCOPE_SALT = np.uint64(0xA0761D6478BD642F)
_MIN_CAPACITY = 1024


def row_fingerprints(cells):
    """Full-row and left-one-out fingerprints of hashed query rows.

    Parameters
    ----------
    cells : ndarray of uint64 of shape (n_rows, n_columns)
        Cell hashes (see ``cell_hashes``; they are salted by column).

    Returns
    -------
    rows : ndarray of uint64 of shape (n_rows,)
        One fingerprint per row (equal rows, equal fingerprints).
    masked : ndarray of uint64 of shape (n_rows, n_columns)
        ``masked[i, j]`` depends on every cell of row ``i`` but cell ``j``, and on
        ``j``.
    """
    cells = np.asarray(cells, dtype=np.uint64)
    salts = splitmix64(np.arange(cells.shape[1], dtype=np.uint64) + _ROW_SALT)
    with np.errstate(over="ignore"):
        total = cells.sum(axis=1, dtype=np.uint64)
        masked = (total[:, None] - cells) + salts
    return total ^ _ROW_SALT, masked


def _cells(rows, masked):
    """Cell hashes back from the fingerprints (``masked = total - cells + salt``).

    ``repeats[c][j]`` counts, per client ``c`` and column ``j``, the sum over
    the values ``v`` of ``m_v ** 2``, ``m_v`` the client's distinct rows with
    value ``v``, and ``distinct[c]`` their number ``m``: ``(repeats - m) / 2``
    pairs of distinct rows share a value, near ``m ** 2 / 2`` when the column
    is constant over the client's rows (a value-major enumeration), 0 when its
    values all differ.
    """
    total = rows ^ _ROW_SALT
    salts = splitmix64(np.arange(masked.shape[1], dtype=np.uint64) + _ROW_SALT)
    with np.errstate(over="ignore"):
        return (total[:, None] - (masked - salts)) + _VALUE_SALT


def _scoped(keys, salt):
    """Mix keys with their scope's salt; 0 is reserved for empty table slots."""
    mixed = splitmix64(keys ^ salt)
    mixed[mixed == 0] = 1
    return mixed


class CountTable:
    """Counts keyed by non-zero ``uint64`` keys, updated a block at a time.

    Open addressing with double hashing (an odd stride from the key's high
    bits), in NumPy: each round looks up every pending key at once; keys that
    find an empty slot claim it (of several claimants one write lands, the
    others probe on). Keys whose count falls to zero stay as tombstones until the
    next rebuild, which keeps only live keys and sizes the table to four times their
    number (so memory follows the live keys, not the keys ever seen).
    """

    def __init__(self):
        self._allocate(_MIN_CAPACITY)

    def _allocate(self, capacity):
        self.keys = np.zeros(capacity, dtype=np.uint64)
        self.counts = np.zeros(capacity, dtype=np.int32)
        self.owner = np.zeros(capacity, dtype=np.int32)  # scratch for add
        self.used = 0  # occupied slots, tombstones included

    @property
    def nbytes(self):
        return self.keys.nbytes + self.counts.nbytes + self.owner.nbytes

    def live(self):
        """Number of keys with a non-zero count."""
        return int(np.count_nonzero(self.counts))

    def _slots(self, keys):
        """Slot of each key (repeats allowed), inserting the missing ones."""
        mask = self.keys.size - 1
        position = (keys & np.uint64(mask)).astype(np.intp)
        stride = ((keys >> np.uint64(40)).astype(np.intp) | 1) & mask  # odd: full cycle
        slots = np.empty(keys.size, dtype=np.intp)
        todo = np.arange(keys.size)
        while todo.size:
            at = position[todo]
            there = self.keys[at]
            mine = keys[todo]
            free = there == 0
            if free.any():
                # Claim empty slots: of several claimants, one write lands; the
                # others (other keys) read back a different key and probe on.
                self.keys[at[free]] = mine[free]
                there = self.keys[at]
                self.used += int(np.count_nonzero(self.keys[at[free]] == mine[free]))
            done = there == mine
            slots[todo[done]] = at[done]
            todo = todo[~done]
            position[todo] = (position[todo] + stride[todo]) & mask
        return slots

    def _reserve(self, n_new):
        if self.used + n_new <= (self.keys.size * 5) // 8:
            return
        alive = self.counts != 0
        keys, counts = self.keys[alive], self.counts[alive]
        need = 4 * (keys.size + n_new)
        self._allocate(max(_MIN_CAPACITY, 1 << int(need - 1).bit_length()))
        self.counts[self._slots(keys)] = counts

    def add(self, keys, signs):
        """Add ``signs[i]`` (+1 or -1) to the count of ``keys[i]``, for every i.

        Returns
        -------
        first : ndarray of int
            Position in ``keys`` of the first occurrence of each distinct key.
        old, new : ndarray of int
            Each distinct key's count before and after.
        """
        n = keys.size
        self._reserve(n)
        slots = self._slots(keys)
        order = np.arange(n)
        self.owner[slots[::-1]] = order[::-1]  # the first occurrence of each slot
        owner = self.owner[slots]
        first = np.flatnonzero(owner == order)
        step = np.bincount(owner, weights=signs, minlength=n)[first]
        at = slots[first]
        old = self.counts[at]
        new = old + step.astype(np.int32)
        self.counts[at] = new
        return first, old, new


class WindowIndex:
    """The last ``window`` query rows, their clients, and near-twin groups.

    Scope 0 holds every client; scope ``c > 0`` the rows of the client coded
    ``c``. Per scope: ``n_rows[c]`` rows in the window, ``n_off[c]`` of them
    flagged off-distribution, and ``twins[c][j]`` near-twin groups on column
    ``j`` (left-one-out fingerprints shared by at least two distinct rows).
    A client whose rows have all left the window is forgotten.
    """

    def __init__(self, window, n_columns):
        self.window = int(window)
        self.n_columns = int(n_columns)
        self.table = CountTable()
        self.start = 0
        self.size = 0
        self._allocate_ring(min(self.window, _MIN_CAPACITY))
        self.codes_by_client = {}
        self.clients_by_code = {}
        self.next_code = 1
        self.twins = {0: np.zeros(self.n_columns, dtype=np.int64)}
        self.repeats = {0: np.zeros(self.n_columns, dtype=np.int64)}
        self.distinct = {0: 0}
        self.n_rows = {0: 0}
        self.n_off = {0: 0}

    def _allocate_ring(self, capacity):
        self.rows = np.zeros(capacity, dtype=np.uint64)
        self.masked = np.zeros((capacity, self.n_columns), dtype=np.uint64)
        self.codes = np.zeros(capacity, dtype=np.int64)
        self.off = np.zeros(capacity, dtype=bool)

    @property
    def nbytes(self):
        ring = self.rows.nbytes + self.masked.nbytes
        return ring + self.codes.nbytes + self.off.nbytes + self.table.nbytes

    def code(self, client):
        """The scope code of ``client`` (a new one for a client not in the window)."""
        code = self.codes_by_client.get(client)
        if code is None:
            code = self.codes_by_client[client] = self.next_code
            self.clients_by_code[code] = client
            self.next_code += 1
            self.twins[code] = np.zeros(self.n_columns, dtype=np.int64)
            self.repeats[code] = np.zeros(self.n_columns, dtype=np.int64)
            self.distinct[code] = 0
            self.n_rows[code] = self.n_off[code] = 0
        return code

    def _positions(self, offset, n):
        return (self.start + offset + np.arange(n)) % self.rows.size

    def _grow(self, needed):
        capacity = self.rows.size
        if needed <= capacity or capacity == self.window:
            return
        order = self._positions(0, self.size)
        kept = (
            self.rows[order],
            self.masked[order],
            self.codes[order],
            self.off[order],
        )
        self._allocate_ring(min(self.window, max(needed, 2 * capacity)))
        self.rows[: self.size], self.masked[: self.size] = kept[0], kept[1]
        self.codes[: self.size], self.off[: self.size] = kept[2], kept[3]
        self.start = 0

    def push(self, rows, masked, codes, off):
        """Add a block of at most ``window`` rows, evicting the oldest beyond it.

        The evicted rows and the new ones update the counts in one pass.
        """
        n = rows.shape[0]
        overflow = max(0, self.size + n - self.window)
        gone = self._positions(0, overflow)
        old = (self.rows[gone], self.masked[gone], self.codes[gone], self.off[gone])
        self.start = (self.start + overflow) % self.rows.size
        self.size -= overflow
        self._grow(self.size + n)
        at = self._positions(self.size, n)
        self.rows[at], self.masked[at], self.codes[at], self.off[at] = (
            rows,
            masked,
            codes,
            off,
        )
        self.size += n
        signs = np.repeat([-1, 1], [overflow, n])
        self._apply(
            np.concatenate([old[0], rows]),
            np.concatenate([old[1], masked]),
            np.concatenate([old[2], codes]),
            np.concatenate([old[3], off]),
            signs,
        )
        if overflow:
            self._forget(old[2])

    def _forget(self, codes):
        """Forget the clients of ``codes`` that have no row left in the window."""
        for code in np.unique(codes).tolist():
            if self.n_rows.get(code, 1) == 0:
                del self.codes_by_client[self.clients_by_code.pop(code)]
                del self.twins[code], self.repeats[code], self.distinct[code]
                del self.n_rows[code], self.n_off[code]

    def _apply(self, rows, masked, codes, off, signs):
        n, d = rows.shape[0], self.n_columns
        scopes = np.concatenate([np.zeros(n, dtype=np.int64), codes])
        salts = splitmix64(scopes.astype(np.uint64) ^ _SCOPE_SALT)
        signs2 = np.tile(signs, 2)
        first, old, new = self.table.add(_scoped(np.tile(rows, 2), salts), signs2)
        # Rows entering (or leaving) their scope as a distinct row move the
        # near-twin counts of their left-one-out fingerprints and, in a
        # client's scope, the counts of their values.
        moved = (old == 0) != (new == 0)
        changed, direction = first[moved], np.where(new[moved] > 0, 1, -1)
        if changed.size:
            mine = changed >= n  # rows in their client's scope
            source = changed % n
            twin_keys = _scoped(masked[source], salts[changed][:, None])
            value_keys = _scoped(
                _cells(rows[source[mine]], masked[source[mine]]),
                salts[changed[mine]][:, None],
            )
            first, old, new = self.table.add(
                np.concatenate([twin_keys.ravel(), value_keys.ravel()]),
                np.concatenate(
                    [np.repeat(direction, d), np.repeat(direction[mine], d)]
                ),
            )
            values = first >= twin_keys.size
            crossed = ~values & ((old >= 2) != (new >= 2))
            row, column = np.divmod(first[crossed], d)
            self._tally(
                self.twins,
                scopes[changed[row]],
                column,
                np.where(new[crossed] >= 2, 1, -1),
            )
            row, column = np.divmod(first[values] - twin_keys.size, d)
            old, new = old[values].astype(np.int64), new[values].astype(np.int64)
            who = scopes[changed[mine][row]]
            self._tally(self.repeats, who, column, new * new - old * old)
            present, inverse = np.unique(scopes[changed[mine]], return_inverse=True)
            moved = np.bincount(
                inverse, weights=direction[mine], minlength=present.size
            )
            for code, count in zip(present.tolist(), moved):
                self.distinct[code] += int(count)
        self.n_rows[0] += int(signs.sum())
        self.n_off[0] += int(signs[off].sum())
        present, inverse = np.unique(codes, return_inverse=True)
        counts = np.bincount(inverse, weights=signs, minlength=present.size)
        offs = np.bincount(inverse, weights=signs * off, minlength=present.size)
        for code, count, n_off in zip(present.tolist(), counts, offs):
            self.n_rows[code] += int(count)
            self.n_off[code] += int(n_off)

    def _tally(self, twins, scopes, columns, signs):
        if scopes.size == 0:
            return
        present, inverse = np.unique(scopes, return_inverse=True)
        flat = np.bincount(
            inverse * self.n_columns + columns,
            weights=signs,
            minlength=present.size * self.n_columns,
        ).reshape(present.size, self.n_columns)
        for code, counts in zip(present.tolist(), flat):
            twins[code] += counts.astype(np.int64)
