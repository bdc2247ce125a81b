"""Shadow targets (the implementation lives in :mod:`skinvert.utils._shadow`)."""

from ..utils._shadow import (
    _take,
    default_shadow_estimator,
    make_shadow_targets,
    reseed,
)

__all__ = ["_take", "default_shadow_estimator", "make_shadow_targets", "reseed"]
