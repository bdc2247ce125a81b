"""The audit's HTML report and figures.

One self-contained file: the figures are PNG images embedded as data URIs, the
styles inline, no script and nothing loaded from the network, so the report opens
anywhere, offline, and can be attached to a ticket or a CI artifact.
"""

import base64
import html
import io
import sys

import numpy as np

from ..utils._optional import import_optional
from ._formats import (
    _grouped,
    _headers,
    _line_cells,
    _preamble,
    _sections,
)
from ._report import POPULATIONS
from ._settings import THREAT_MODEL_DESCRIPTIONS

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th:nth-child(-n+2), td:nth-child(-n+2) { text-align: left; }
tr.group td { background: #f3f3f3; font-weight: bold; text-align: left; }
figure { display: inline-block; margin: 0.5em; }
figcaption { font-size: 0.85em; color: #555; max-width: 520px; }
.verdict { font-size: 1.1em; padding: 0.6em; background: #fff4e5; }
code { background: #f4f4f4; padding: 0 3px; }
"""


def _plt():
    matplotlib = import_optional("matplotlib", purpose="figures")
    if "matplotlib.pyplot" not in sys.modules:
        # no figure window yet: draw off-screen (a notebook keeps its backend)
        matplotlib.use("Agg")
    return import_optional("matplotlib.pyplot", purpose="figures")


def plot_advantages(result, ax=None):
    """Each threat model's best advantage per population, with its interval."""
    plt = _plt()
    if ax is None:
        ax = plt.subplots(figsize=(7, 3.5))[1]
    models = [
        m
        for m in THREAT_MODEL_DESCRIPTIONS
        if any(m in result.summary.get(p, {}) for p in POPULATIONS)
    ]
    width = 0.38
    for offset, population in zip((-width / 2, width / 2), POPULATIONS):
        entries = [result.summary.get(population, {}).get(m) for m in models]
        centre = [e["advantage"] if e else np.nan for e in entries]
        low = [e["advantage"] - e["low"] if e else 0 for e in entries]
        high = [e["high"] - e["advantage"] if e else 0 for e in entries]
        positions = np.arange(len(models)) + offset
        ax.bar(
            positions,
            centre,
            width,
            label=population,
            yerr=[np.nan_to_num(low), np.nan_to_num(high)],
            capsize=3,
        )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(np.arange(len(models)))
    ax.set_xticklabels(models, rotation=15, fontsize=8)
    ax.set_ylabel(f"advantage ({result.headline['metric']})")
    ax.set_title(f"Best attack per threat model: {result.sensitive!r}")
    ax.legend()
    return ax


def _plot_gaps(result, ax):
    names = [g["attack"] for g in result.gaps]
    gap = np.array([g["gap"] for g in result.gaps], dtype=float)
    low = gap - np.array([g["gap_low"] for g in result.gaps], dtype=float)
    high = np.array([g["gap_high"] for g in result.gaps], dtype=float) - gap
    ax.barh(
        np.arange(len(names)),
        gap,
        xerr=[np.nan_to_num(low), np.nan_to_num(high)],
        capsize=3,
    )
    ax.set_yticks(np.arange(len(names)))
    ax.set_yticklabels(names, fontsize=7)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("memorisation gap: member minus non-member advantage")
    return ax


def _plot_roc(result, ax):
    floor = 1e-3
    for curve in result.roc:
        fpr = np.clip(np.asarray(curve["fpr"], dtype=float), floor, 1)
        tpr = np.clip(np.asarray(curve["tpr"], dtype=float), floor, 1)
        style = "-" if curve["population"] == "members" else "--"
        ax.plot(
            fpr,
            tpr,
            style,
            label=f"{curve['attack']} ({curve['population']}, AUC {curve['auc']:.2f})",
        )
    ax.plot([floor, 1], [floor, 1], ":", color="grey", label="chance")
    ax.set_xscale("log")
    ax.set_yscale("log")
    positive = result.roc[0]["positive"] if result.roc else None
    ax.set_xlabel(f"false-positive rate ({positive!r} vs rest)")
    ax.set_ylabel("true-positive rate")
    ax.legend(fontsize=6, loc="lower right")
    return ax


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    _plt().close(figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/png;base64,{data}"


def figures(result, extra=()):
    """``(id, caption, data URI)`` of the report's figures."""
    plt = _plt()
    out = []
    figure, ax = plt.subplots(figsize=(7, 3.5))
    plot_advantages(result, ax=ax)
    out.append(
        (
            "advantages",
            "Best attack of each threat model against the "
            "model-free reference, members beside non-members, with "
            f"{result.confidence:.0%} bootstrap intervals.",
            _png(figure),
        )
    )
    if result.roc:
        figure, ax = plt.subplots(figsize=(5, 4))
        _plot_roc(result, ax)
        out.append(
            (
                "roc",
                "ROC curves of each threat model's best attack on "
                "log-log axes: the true-positive rate at low false-positive "
                "rates is what an attacker accusing few people gets.",
                _png(figure),
            )
        )
    if result.gaps:
        figure, ax = plt.subplots(figsize=(6, 0.35 * len(result.gaps) + 1))
        _plot_gaps(result, ax)
        out.append(
            (
                "gap",
                "Memorisation gap per attack: what the model leaks "
                "about its training records beyond what it leaks about "
                "anyone.",
                _png(figure),
            )
        )
    for identifier, caption, draw in extra:
        figure, ax = plt.subplots(figsize=(6, 4))
        draw(ax)
        out.append((identifier, caption, _png(figure)))
    return out


def _table(result, rows):
    headers = ["threat model", *_headers(result)]
    parts = ["<table><tr>", *(f"<th>{html.escape(h)}</th>" for h in headers), "</tr>"]
    for model, group in _grouped(rows):
        parts.append(
            f'<tr class="group"><td colspan="{len(headers)}">'
            f"{html.escape(model)}</td></tr>"
        )
        for row in group:
            cells = [model, *_line_cells(result, row)]
            parts.append(
                "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
            )
    parts.append("</table>")
    return "".join(parts)


def summary_html(result):
    """The tables as HTML (what a notebook shows for an AuditResult)."""
    lines = _preamble(result)
    parts = [f"<div><p><b>{html.escape(lines[0])}</b></p><ul>"]
    parts += [f"<li>{html.escape(line)}</li>" for line in lines[1:]]
    parts.append("</ul>")
    for population in POPULATIONS:
        parts.append(f"<h4>{html.escape(population)}</h4>")
        parts.append(_table(result, result.rows.get(population, [])))
    for title, body in _sections(result):
        parts.append(f"<p><b>{html.escape(title)}</b></p><ul>")
        parts += [f"<li><code>{html.escape(line)}</code></li>" for line in body]
        parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)


def audit_html(result, extra_figures=(), title=None):
    """The whole report as one self-contained HTML document."""
    title = title or f"skinvert audit: {result.sensitive!r}"
    threat_models = "".join(
        f"<li><b>{html.escape(m)}</b>: {html.escape(d)}</li>"
        for m, d in THREAT_MODEL_DESCRIPTIONS.items()
    )
    leak = result.leak()
    verdict = (
        f"Leak: {leak:+.3f} (the largest lower {result.confidence:.0%} confidence "
        "bound of a best attack's advantage over the reference)"
        if np.isfinite(leak)
        else "No attack besides the reference ran."
    )
    figure_html = "".join(
        f'<figure id="figure-{identifier}"><img alt="{html.escape(caption)}" '
        f'src="{uri}" /><figcaption>{html.escape(caption)}</figcaption></figure>'
        for identifier, caption, uri in figures(result, extra_figures)
    )
    inputs = "".join(
        f"<li><code>{html.escape(str(k))}</code>: <code>{html.escape(str(v))}"
        "</code></li>"
        for k, v in result.inputs.items()
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8' />"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="verdict">{html.escape(verdict)}</p>'
        f"<h2>Threat models</h2><ul>{threat_models}</ul>"
        f"<h2>Figures</h2>{figure_html}"
        f"<h2>Results</h2>{summary_html(result)}"
        f"<h2>Inputs</h2><ul>{inputs or '<li>in memory</li>'}</ul>"
        "</body></html>"
    )


def ranking_table(vmap):
    """The vulnerability map's ranking as an HTML table."""
    headers = [
        "rank",
        "column",
        "kind",
        "leak",
        "threat model",
        "attack",
        "members",
        "non-members",
    ]
    parts = ["<table><tr>", *(f"<th>{h}</th>" for h in headers), "</tr>"]
    for i, row in enumerate(vmap.ranking):
        cells = [
            str(i + 1),
            str(row["column"]),
            row["kind"],
            _signed(row["leak"]),
            str(row["threat_model"]),
            str(row["attack"]),
            _signed(row["members_advantage"]),
            _signed(row["non_members_advantage"]),
        ]
        parts.append(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
        )
    parts.append("</table>")
    return "".join(parts)


def _signed(value):
    return "-" if value is None or not np.isfinite(value) else f"{value:+.3f}"


def _plot_ranking(vmap, ax):
    names = [str(r["column"]) for r in vmap.ranking][::-1]
    leaks = np.array([r["leak"] for r in vmap.ranking][::-1], dtype=float)
    ax.barh(np.arange(len(names)), np.nan_to_num(leaks))
    ax.set_yticks(np.arange(len(names)))
    ax.set_yticklabels(names, fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("leak: lower confidence bound of the best advantage")
    ax.set_title("Which column leaks most")
    return ax


def columns_html(vmap):
    """The vulnerability map as one self-contained HTML document."""
    plt = _plt()
    figure, ax = plt.subplots(figsize=(6, 0.35 * len(vmap.ranking) + 1.2))
    _plot_ranking(vmap, ax)
    uri = _png(figure)
    sections = []
    for column, result in vmap.results.items():
        body = audit_html(result, title=f"sensitive column {column!r}")
        inner = body.split("<body>", 1)[1].rsplit("</body>", 1)[0]
        sections.append(f"<section>{inner}</section>")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8' />"
        f"<title>skinvert vulnerability map</title><style>{_STYLE}</style></head>"
        "<body><h1>Vulnerability map</h1>"
        f'<figure id="figure-ranking"><img alt="columns ranked by leak" '
        f'src="{uri}" /><figcaption>Columns ranked by leak.</figcaption></figure>'
        f"{ranking_table(vmap)}{''.join(sections)}</body></html>"
    )
