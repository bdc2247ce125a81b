"""Displays in scikit-learn's style: ROC curves of attacks, privacy-utility plots.

matplotlib is an optional extra (``pip install "skinvert[plots]"``), imported when
a display draws.
"""

import numpy as np
from sklearn.metrics import auc, roc_curve

from ..utils._optional import import_optional


def _axes(ax):
    if ax is not None:
        return ax
    plt = import_optional("matplotlib.pyplot", purpose="plotting")
    return plt.subplots()[1]


class AttackRocDisplay:
    """ROC curve of an attack for one sensitive value against the rest.

    Works for sensitive attributes with any number of values: the attack's
    posterior for ``positive`` ranks the victims, those who hold ``positive``
    are the positives. Drawn on log-log axes by default, so that the
    true-positive rate at low false-positive rates (what matters for an attack:
    Carlini et al., S&P 2022) is visible.

    Parameters
    ----------
    fpr, tpr : ndarray
        False- and true-positive rates.
    roc_auc : float
        Area under the curve.
    name : str, default=None
        The attack's name (legend).
    positive : object, default=None
        The sensitive value taken as positive.

    Attributes
    ----------
    line_ : matplotlib Line2D
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skinvert.metrics import AttackRocDisplay
    >>> s = np.array(["a", "b", "c", "a", "b", "c"])
    >>> proba = np.eye(3)[[0, 1, 2, 0, 2, 1]] * 0.8 + 0.2 / 3
    >>> display = AttackRocDisplay.from_predictions(
    ...     s, proba, classes=["a", "b", "c"], positive="a")
    >>> round(display.roc_auc, 2)
    1.0
    """

    def __init__(self, *, fpr, tpr, roc_auc, name=None, positive=None):
        self.fpr, self.tpr, self.roc_auc = fpr, tpr, roc_auc
        self.name, self.positive = name, positive

    @classmethod
    def from_predictions(
        cls, s_true, proba, *, classes, positive, name=None, ax=None, log_scale=True
    ):
        """Draw the ROC curve from posteriors.

        Parameters
        ----------
        s_true : array-like of shape (n_victims,)
            True sensitive values.
        proba : array-like of shape (n_victims, n_classes)
            The attack's posterior over ``classes``.
        classes : array-like of shape (n_classes,)
            The columns of ``proba``.
        positive : object
            The sensitive value taken as positive (one against the rest).
        name : str, default=None
        ax : matplotlib Axes, default=None
        log_scale : bool, default=True
            Log-log axes.

        Returns
        -------
        display : AttackRocDisplay

        Raises
        ------
        ValueError
            ``positive`` is not one of ``classes``, or no victim holds it (or
            every victim does).
        """
        classes = list(np.asarray(classes, dtype=object).tolist())
        if positive not in classes:
            raise ValueError(
                f"positive={positive!r} is not one of the attack's classes {classes}."
            )
        s_true = np.asarray(s_true, dtype=object)
        is_positive = s_true == positive
        if is_positive.all() or not is_positive.any():
            raise ValueError(
                f"The ROC curve needs victims with and without positive={positive!r}; "
                f"{int(is_positive.sum())} of {len(s_true)} hold it."
            )
        scores = np.asarray(proba, dtype=float)[:, classes.index(positive)]
        fpr, tpr, _ = roc_curve(is_positive, scores)
        display = cls(
            fpr=fpr,
            tpr=tpr,
            roc_auc=float(auc(fpr, tpr)),
            name=name,
            positive=positive,
        )
        return display.plot(ax=ax, log_scale=log_scale)

    @classmethod
    def from_estimator(cls, attack, X, s, *, positive, ax=None, log_scale=True):
        """Draw the ROC curve of a fitted attack on victims ``X``.

        Parameters
        ----------
        attack : fitted attack with ``predict_proba`` and ``classes_``
        X : array-like or DataFrame of shape (n_victims, n_columns)
            Victims in the attacker's view.
        s : array-like of shape (n_victims,)
            Their true sensitive values.
        positive : object
            The sensitive value taken as positive.

        Returns
        -------
        display : AttackRocDisplay
        """
        return cls.from_predictions(
            s,
            attack.predict_proba(X),
            classes=attack.classes_,
            positive=positive,
            name=type(attack).__name__,
            ax=ax,
            log_scale=log_scale,
        )

    def plot(self, ax=None, *, log_scale=True):
        """Draw on ``ax`` (a new figure by default); returns ``self``."""
        ax = _axes(ax)
        label = f"{self.name or 'attack'} (AUC {self.roc_auc:.3f})"
        floor = 1.0 / max(len(self.fpr), 1000)
        fpr = np.clip(self.fpr, floor, 1) if log_scale else self.fpr
        tpr = np.clip(self.tpr, floor, 1) if log_scale else self.tpr
        (self.line_,) = ax.plot(fpr, tpr, label=label)
        chance = np.array([floor if log_scale else 0.0, 1.0])
        ax.plot(chance, chance, linestyle=":", color="grey", label="chance")
        if log_scale:
            ax.set_xscale("log")
            ax.set_yscale("log")
        what = f" ({self.positive!r} vs rest)" if self.positive is not None else ""
        ax.set_xlabel("false-positive rate" + what)
        ax.set_ylabel("true-positive rate")
        ax.legend(loc="lower right")
        self.ax_, self.figure_ = ax, ax.figure
        return self


class PrivacyUtilityDisplay:
    """Each defense setting's utility against the best attack's advantage.

    Parameters
    ----------
    table : DataFrame or list of dict
        The output of :func:`skinvert.evaluation.privacy_utility`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skinvert.metrics import PrivacyUtilityDisplay
    >>> rows = [{"defense": "none", "accuracy": 0.8, "best:members": 0.1,
    ...          "best:non-members": 0.02},
    ...         {"defense": "label only", "accuracy": 0.8, "best:members": 0.05,
    ...          "best:non-members": 0.01}]
    >>> display = PrivacyUtilityDisplay.from_table(rows)
    >>> len(display.lines_)
    2
    """

    def __init__(self, rows):
        self.rows = rows

    @classmethod
    def from_table(cls, table, ax=None):
        """Draw from a privacy-utility table; returns the display."""
        rows = table.to_dict("records") if hasattr(table, "to_dict") else list(table)
        return cls(rows).plot(ax=ax)

    def plot(self, ax=None):
        """Draw on ``ax`` (a new figure by default); returns ``self``."""
        ax = _axes(ax)
        accuracy = [row["accuracy"] for row in self.rows]
        self.lines_ = []
        for population, marker in (("members", "o"), ("non-members", "s")):
            leak = [row[f"best:{population}"] for row in self.rows]
            (line,) = ax.plot(
                leak, accuracy, marker=marker, linestyle="", label=population
            )
            self.lines_.append(line)
            for row, x, y in zip(self.rows, leak, accuracy):
                ax.annotate(
                    str(row["defense"]),
                    (x, y),
                    fontsize=8,
                    textcoords="offset points",
                    xytext=(4, 4),
                )
        ax.set_xlabel("best attack's advantage over the reference (privacy loss)")
        ax.set_ylabel("target accuracy on held-out records (utility)")
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self
