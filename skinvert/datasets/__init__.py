"""Synthetic and real tabular datasets with a sensitive attribute."""

from skinvert.datasets._affairs import load_affairs
from skinvert.datasets._synthetic import make_sensitive_classification

__all__ = ["load_affairs", "make_sensitive_classification"]
