"""Large objects sent once per parallel call to a Dask cluster, not once per task.

joblib's Dask backend scatters an argument to the workers once per parallel call
when Dask's ``sizeof`` finds it larger than a kilobyte; anything smaller is pickled
into every task of the graph. A fitted scikit-learn model measures 56 bytes to
``sizeof`` whatever its size, so the target of an audit (a 53 MiB forest for a
30 000-record table) was pickled into every batch of queries, every fold and
every attack's fit. :func:`ship` wraps such an object in a holder that ``sizeof``
counts as large, when (and only when) the Dask backend is active; the task unwraps
it with :func:`unship`. With any other backend both are the identity.
"""

import sys

from joblib.parallel import get_active_backend

__all__ = ["ship", "unship"]

# what sizeof reports for a shipped object: above joblib's 1 kB scatter threshold
_LARGE = 1 << 30


class Shipped:
    """A holder whose Dask ``sizeof`` is large, so that joblib scatters it."""

    def __init__(self, obj):
        self.obj = obj


def _dask_backend_active():
    if "distributed" not in sys.modules:  # the Dask backend needs it imported
        return False
    backend, _ = get_active_backend()
    return type(backend).__name__ == "DaskDistributedBackend"


def ship(obj):
    """``obj`` wrapped for the Dask backend if it is active, else ``obj`` itself.

    Examples
    --------
    >>> from skinvert.utils._shipping import ship, unship
    >>> model = object()
    >>> ship(model) is model            # no Dask backend active
    True
    >>> unship(ship(model)) is model
    True
    """
    if not _dask_backend_active():
        return obj
    from dask.sizeof import sizeof

    sizeof.register(Shipped)(lambda shipped: _LARGE)  # idempotent
    return Shipped(obj)


def unship(obj):
    """The object :func:`ship` wrapped (anything else as it is)."""
    return obj.obj if isinstance(obj, Shipped) else obj
