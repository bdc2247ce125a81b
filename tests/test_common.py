"""scikit-learn's estimator checks over every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skinvert.attacks import CSMIA, FredriksonInversion, ImputationBaseline
from skinvert.utils._testing import StubTarget

ATTACKS = [
    FredriksonInversion(StubTarget(), sensitive=0),
    ImputationBaseline(sensitive=0, random_state=0),
]

# An attack's accuracy on sklearn's toy data depends on what the target leaks, and
# the stateless stub target leaks nothing about the toy labels.
_NEEDS_A_LEAKING_TARGET = (
    "attack accuracy depends on what the target leaks; the stub target leaks "
    "nothing about the toy labels"
)


def expected_failed_checks(estimator):
    if isinstance(estimator, ImputationBaseline):
        return {}
    return {
        "check_classifiers_train": _NEEDS_A_LEAKING_TARGET,
    }


@parametrize_with_checks(ATTACKS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
