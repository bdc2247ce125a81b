"""Validation helpers and optional-dependency handling."""

from ._optional import import_optional

__all__ = ["import_optional"]
