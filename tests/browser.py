"""A real browser for the page tests: Playwright driving Debian's Chromium (never a browser of its
own download), and axe-core from tools/axe (npm ci) injected into each page.

Without Chromium, Playwright or axe the browser tests skip and say what is missing; with
ROLEMAP_TEST_REQUIRE_BROWSER=1 (CI) they fail instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .conftest import REPO

CHROMIUM = os.environ.get("ROLEMAP_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
AXE = REPO / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "docs" / "screenshots"
REQUIRE_BROWSER = os.environ.get("ROLEMAP_TEST_REQUIRE_BROWSER") == "1"
FLAGS = [
    # As root in a container, and on a machine whose only network is loopback: no sandbox, no GPU,
    # and none of Chromium's own background connections.
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = ("serious", "critical")


def missing() -> list[str]:
    problems = []
    if not Path(CHROMIUM).exists():
        problems.append(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright package is missing (pip install -e '.[test]')")
    if not AXE.exists():
        problems.append(f"axe-core is missing at {AXE.relative_to(REPO)} (cd tools/axe && npm ci)")
    return problems


def need_browser() -> None:
    """Skip (or, with ROLEMAP_TEST_REQUIRE_BROWSER=1, fail) when the browser tests cannot run."""
    problems = missing()
    if not problems:
        return
    reason = "browser tests need " + "; ".join(problems)
    if REQUIRE_BROWSER:
        pytest.fail(f"ROLEMAP_TEST_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)


def axe(page) -> list[dict]:
    """axe-core's violations on the page as it is now (WCAG 2.1 A and AA, and best practice)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return result["violations"]


def blocking(violations: list[dict]) -> list[str]:
    """The serious and critical violations, each with where it is, for a readable failure."""
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
        if v.get("impact") in BLOCKING
    ]
