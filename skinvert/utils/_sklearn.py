"""The one module that imports scikit-learn's private names.

scikit-learn does not promise stability for names in its private modules; every
other module of skinvert imports them from here, so that a scikit-learn release
that moves one of them touches this file only.
"""

from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_params,
)
from sklearn.utils._set_output import _wrap_data_with_container

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "LinearClassifierMixin",
    "Options",
    "StrOptions",
    "_wrap_data_with_container",
    "validate_params",
]
