"""A target that counts how often it is pickled (imported by Dask worker processes)."""

from sklearn.linear_model import LogisticRegression

PICKLED = []


class CountedPickles(LogisticRegression):
    """A logistic regression that records each time it is pickled."""

    def __getstate__(self):
        PICKLED.append(1)
        return super().__getstate__()
