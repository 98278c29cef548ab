"""The pages in a real browser: a `rolemap serve` process on the sample, driven by Playwright in
Debian's Chromium. Walks from `/` to Tampere's role map, overlaps, radar, a pilot with its prior art
and the procurement queue by clicking links (in English and in Finnish), records a decision
through the form (refused first with the gate's errors), keeps a screenshot of every page in
docs/screenshots/, and runs axe-core on every page: no serious or critical violation.

Skipped with the reason when Chromium, Playwright or axe-core is missing; failed instead with
ROLEMAP_TEST_REQUIRE_BROWSER=1 (CI). See tests/browser.py."""

from __future__ import annotations

import re

import pytest

from rolemap.bundle import import_bundle
from rolemap.graph.ladybug_store import LadybugStore
from rolemap.registry import Registry
from rolemap.seed import default_seed_dir, seed_bundle
from rolemap.web.i18n import translator

from .browser import SCREENSHOTS, axe, blocking, launch, need_browser
from .conftest import TEST_ADMIN
from .processes import Server

PAGES = {
    "home": "/",
    "city": "/city/tampere",
    "region": "/city/tampere-region",
    "rolemap": "/city/tampere/rolemap",
    "overlaps": "/city/varsinais-suomi/overlaps",
    "overlaps-pilots": "/city/tampere/overlaps?kind=PILOT",
    "radar": "/city/tampere/radar",
    "pilot": "/pilot/tampere-welfare-chatbot",
    "procurement": "/procurement",
    "vendor": "/vendor/example-chatbots",
    "service": "/service/example-chatbots-welfare-advisor",
    "signin": "/signin",
}
ENDED_PILOT = "/pilot/tampere-kipina-wellbeing-self-check"
VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`rolemap serve` on a store holding the sample and two keys (a Tampere CIO office, a vendor)."""
    need_browser()
    db = tmp_path_factory.mktemp("web") / "rolemap.lbug"
    store = LadybugStore(db)
    store.apply_schema()
    import_bundle(store, seed_bundle(default_seed_dir()))
    registry = Registry(store)
    city_key, _ = registry.create_api_key(
        TEST_ADMIN, {"role": "CITY", "cityId": "City:tampere", "name": "Tampere CIO office"}
    )
    vendor_key, _ = registry.create_api_key(
        TEST_ADMIN,
        {"role": "VENDOR", "vendorId": "Vendor:example-chatbots", "name": "Example Chatbots sales"},
    )
    store.close()
    with Server({"ROLEMAP_DB": str(db)}) as server:
        server.wait_ready()
        yield server, {"city": city_key, "vendor": vendor_key}


@pytest.fixture(scope="module")
def chromium(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


def new_page(chromium, locale: str = "en-GB"):
    context = chromium.new_context(viewport=VIEWPORT, locale=locale)
    return context, context.new_page()


def test_from_home_to_the_procurement_queue_only_by_clicking_in_english_and_finnish(served, chromium):
    server, _ = served
    for lang in ("en", "fi"):
        t = translator(lang)
        context, page = new_page(chromium, "en-GB")
        page.goto(server.base + "/")
        if lang == "fi":  # the switch on the page, not the browser's language
            page.get_by_role("navigation", name="Language").get_by_role("link", name="Suomi").click()
            assert page.locator("html").get_attribute("lang") == "fi"
        page.get_by_role("link", name="Tampere", exact=True).click()
        assert page.locator("h1").inner_text() == "Tampere"
        tabs = page.get_by_role("navigation", name=t("City views"))
        tabs.get_by_role("link", name=t("Role map"), exact=True).click()
        assert page.locator("h1").inner_text().startswith(t("Role map"))
        assert page.locator("svg.matrix a").count() > 0
        tabs = page.get_by_role("navigation", name=t("City views"))
        tabs.get_by_role("link", name=t("Overlaps"), exact=True).click()
        assert page.locator("h1").inner_text().startswith(t("Overlaps"))
        assert page.locator("ol.pairs > li").count() > 0
        page.get_by_role("navigation", name=t("City views")).get_by_role(
            "link", name=t("Radar"), exact=True
        ).click()
        assert page.locator("h1").inner_text().startswith(t("Radar"))
        page.locator("table.radar-table td ul a").first.click()  # a pilot a suggestion comes from
        assert re.search(r"/pilot/", page.url)
        prior = page.get_by_role("region", name=t("Prior art"))
        assert prior.locator("ol.pairs > li").count() > 0, "the prior-art panel lists similar pilots"
        page.get_by_role("navigation", name=t("Main menu")).get_by_role("link", name=t("Procurement")).click()
        queue = page.get_by_role("region", name=re.compile(re.escape(t("Awaiting a decision"))))
        assert queue.locator("tbody tr").count() > 0
        assert page.locator("html").get_attribute("lang") == lang
        context.close()


def test_every_page_has_a_screenshot_and_no_serious_accessibility_violation(served, chromium):
    server, keys = served
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    found = {}
    for lang in ("en", "fi"):
        context, page = new_page(chromium, {"en": "en-GB", "fi": "fi-FI"}[lang])
        for name, path in PAGES.items():
            response = page.goto(server.base + path)
            assert response.status == 200, (name, lang)
            assert page.locator("html").get_attribute("lang") == lang
            if lang == "en" or name in ("rolemap", "overlaps", "radar"):
                suffix = "" if lang == "en" else f"-{lang}"
                page.screenshot(path=str(SCREENSHOTS / f"{name}{suffix}.png"), full_page=True)
            found[f"{name} ({lang})"] = blocking(axe(page))
        context.close()
    # signed in, the forms are on the pages too
    context, page = new_page(chromium)
    sign_in(page, server.base, keys["vendor"], PAGES["vendor"])
    page.locator("details summary").first.click()
    page.screenshot(path=str(SCREENSHOTS / "vendor-signed-in.png"), full_page=True)
    found["vendor, signed in"] = blocking(axe(page))
    context.close()
    bad = {name: v for name, v in found.items() if v}
    assert not bad, "\n".join(f"{name}: {line}" for name, lines in bad.items() for line in lines)


def sign_in(page, base: str, key: str, next_url: str) -> None:
    page.goto(f"{base}/signin?next={next_url}")
    page.get_by_label("API key", exact=True).fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}{next_url}")
    assert "Signed in as" in page.locator("header").inner_text()


def test_a_decision_through_the_form_is_refused_with_the_gates_errors_then_recorded(served, chromium):
    server, keys = served
    context, page = new_page(chromium)
    sign_in(page, server.base, keys["city"], ENDED_PILOT)
    page.get_by_role("radio", name=re.compile("^Develop")).check()
    page.get_by_label("Rationale", exact=True).fill("Too short")
    page.get_by_role("button", name="Record the decision").click()
    for field, code in (
        ("rationale", "RATIONALE_TOO_SHORT"),
        ("lessons", "LESSONS_REQUIRED"),
        ("nextSteps", "NEXT_STEPS_REQUIRED"),
    ):
        error = page.locator(f"#{field}-error")
        assert code in error.inner_text()
        assert page.locator(f"#{field}").get_attribute("aria-invalid") == "true"
        assert f"{field}-error" in page.locator(f"#{field}").get_attribute("aria-describedby")
    summary = page.locator(".error-summary")
    assert summary.evaluate("node => node === document.activeElement"), "focus moves to the errors"
    page.screenshot(path=str(SCREENSHOTS / "pilot-closeout-errors.png"), full_page=True)
    assert blocking(axe(page)) == []
    page.get_by_label("Rationale", exact=True).fill(
        "Residents used the self-check weekly; develop it into the portal"
    )
    page.get_by_label("Lessons learned", exact=True).fill("Weekly use was steady\nShort forms worked")
    page.get_by_label("Next steps", exact=True).fill("Open a procurement")
    page.get_by_role("button", name="Record the decision").click()
    assert "The decision is recorded." in page.locator(".flash").inner_text()
    chain = page.locator("ol.chain")
    assert "Weekly use was steady" in chain.inner_text() and "Open a procurement" in chain.inner_text()
    context.close()


def test_the_pages_work_with_the_keyboard(served, chromium):
    server, _ = served
    context, page = new_page(chromium)
    page.goto(server.base + PAGES["rolemap"])
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    for _ in range(40):  # on, link by link, to the role map's first cell
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('svg.matrix')"):
            break
    else:
        pytest.fail("no role-map cell is reachable with Tab")
    target = page.evaluate("document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")
    assert page.url.endswith(target)
    assert page.locator(f"{target}").is_visible()
    context.close()


def test_reading_needs_no_script(served, chromium):
    server, _ = served
    context = chromium.new_context(viewport=VIEWPORT, java_script_enabled=False)
    page = context.new_page()
    for path in (PAGES["rolemap"], PAGES["overlaps"], PAGES["radar"], PAGES["procurement"]):
        page.goto(server.base + path)
        assert page.locator("main table, main ol.pairs").count() > 0, path
    context.close()
