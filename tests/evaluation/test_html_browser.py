"""The HTML report opened in a real browser: headless Chromium through Playwright.

On CI (``CI`` set) the browser must be there (``.ci/run`` installs Debian's
chromium); elsewhere the test is skipped without it. The screenshot is kept in
``$SKINVERT_ARTIFACTS`` (default: the test's temporary folder).
"""

import os
import shutil
from pathlib import Path

import pytest

from skinvert.datasets import make_sensitive_classification
from skinvert.evaluation import audit

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _require(what, found):
    if found:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing on CI: .ci/run must install it.")
    pytest.skip(f"{what} is not installed")


def test_report_loads_without_errors_with_every_figure(tmp_path):
    pytest.importorskip("matplotlib")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    _require("the playwright package", sync_playwright)
    _require("Chromium", CHROMIUM)
    X, y = make_sensitive_classification(
        n_samples=600, leak=3, label_noise=0.2, random_state=0
    )
    result = audit(
        X, y, sensitive=0, model="decision_tree", max_victims=80, n_bootstrap=50,
        membership=False,
    )
    report = tmp_path / "report.html"
    result.to_html(report)
    artifacts = Path(os.environ.get("SKINVERT_ARTIFACTS", tmp_path))
    artifacts.mkdir(parents=True, exist_ok=True)
    errors, requests = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        figures = page.eval_on_selector_all(
            "figure img", "images => images.map(i => [i.complete, i.naturalWidth])"
        )
        ids = page.eval_on_selector_all("figure", "fs => fs.map(f => f.id)")
        title = page.title()
        page.screenshot(path=str(artifacts / "audit_report.png"), full_page=True)
        browser.close()
    assert errors == []
    assert title == "skinvert audit: 0"
    assert {"figure-advantages", "figure-roc", "figure-gap"} <= set(ids)
    assert figures and all(done and width > 100 for done, width in figures)
    # nothing fetched but the file itself and its embedded images
    assert all(url.startswith(("file://", "data:")) for url in requests)
    assert (artifacts / "audit_report.png").stat().st_size > 10_000
