"""Lazy import of optional dependencies with a message that says how to install them."""

import importlib

_EXTRA_FOR = {
    "pandas": "pandas",
    "matplotlib": "plots",
    "matplotlib.pyplot": "plots",
    "statsmodels": "datasets",
    "statsmodels.api": "datasets",
    "dask": "dask",
    "dask.array": "dask",
    "dask.dataframe": "dask",
    "distributed": "dask",
    "tqdm": "progress",
    "tqdm.auto": "progress",
}


def import_optional(module, *, purpose=None):
    """Import an optional dependency, or raise an ImportError saying how to get it.

    Parameters
    ----------
    module : str
        Dotted module name, e.g. ``"pandas"`` or ``"matplotlib.pyplot"``.
    purpose : str, default=None
        What the caller needs the module for, quoted in the error message.

    Returns
    -------
    module : module
        The imported module.

    Examples
    --------
    >>> from skinvert.utils import import_optional
    >>> np = import_optional("numpy")
    >>> np.__name__
    'numpy'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        extra = _EXTRA_FOR.get(module, _EXTRA_FOR.get(top))
        how = f'pip install "skinvert[{extra}]"' if extra else f"pip install {top}"
        why = f" for {purpose}" if purpose else ""
        raise ImportError(
            f"The optional dependency {top!r} is needed{why} but is not installed. "
            f"Install it with: {how}"
        ) from exc


def is_pandas_dataframe(X):
    """Return True if ``X`` is a pandas DataFrame, without importing pandas."""
    return type(X).__module__.split(".")[0] == "pandas" and hasattr(X, "columns")
