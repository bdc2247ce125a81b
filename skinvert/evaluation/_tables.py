"""Plain tables: DataFrames when pandas is installed, formatted as text or CSV."""

import csv
import io
import math

import numpy as np

from ..utils._optional import import_optional


def _as_table(rows, columns):
    """A DataFrame of ``rows`` when pandas is installed, else the list of dicts."""
    try:
        pd = import_optional("pandas")
    except ImportError:
        return [{c: row.get(c, math.nan) for c in columns} for row in rows]
    return pd.DataFrame(rows, columns=columns)


def _records(table):
    """The rows of a table from :func:`_as_table`, as a list of dicts."""
    return table.to_dict("records") if hasattr(table, "to_dict") else list(table)


_COUNTS = {"queries_per_victim", "queries", "batches", "flagged"}


def _text(column, value):
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "-"
        return f"{value:.0f}" if column in _COUNTS else f"{value:.3f}"
    return str(value)


def format_rows(table, fmt="text"):
    """A table of :func:`privacy_utility` or :func:`monitor_detection` as text.

    Parameters
    ----------
    table : DataFrame or list of dict
        The table.
    fmt : {"text", "markdown", "csv"}, default="text"
        Fixed-width columns, a markdown table, or CSV (full precision).

    Returns
    -------
    report : str
    """
    rows = _records(table)
    columns = list(table.columns) if hasattr(table, "columns") else list(rows[0])
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([row[c] for c in columns] for row in rows)
        return out.getvalue().rstrip("\n")
    cells = [[_text(c, row[c]) for c in columns] for row in rows]
    if fmt == "markdown":
        lines = ["| " + " | ".join(columns) + " |"]
        lines.append("|" + "|".join(["---"] + ["---:"] * (len(columns) - 1)) + "|")
        return "\n".join(lines + ["| " + " | ".join(line) + " |" for line in cells])
    widths = [
        max(len(c), *(len(line[j]) for line in cells)) for j, c in enumerate(columns)
    ]

    def line(values):
        first = values[0].ljust(widths[0])
        rest = (v.rjust(w) for v, w in zip(values[1:], widths[1:]))
        return "  ".join([first, *rest]).rstrip()

    return "\n".join([line(columns), *(line(values) for values in cells)])
