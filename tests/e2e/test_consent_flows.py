"""The cookie banner and settings in a browser, JavaScript on and off: accept, reject, customise;
and a browser sending Global Privacy Control is never counted, whatever it clicks."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from okmarts.services import consent
from okmarts.services.consent import Consent
from tests.conftest import TestDatabase
from tests.e2e.conftest import execute
from tests.e2e.steps import assert_no_page_load, mark_page

LISTING = "/products?sort=newest"


def banner(page: Page) -> Locator:
    return page.get_by_role("region", name="Your cookie choices")


def stored_consent(page: Page, database: TestDatabase) -> Consent:
    raw = next(
        (c["value"] for c in page.context.cookies() if c["name"] == consent.CONSENT_COOKIE), None
    )
    found = consent.decode_consent(database.env()["OKMARTS_SECRET_KEY"], raw)
    assert found is not None, "the browser keeps a signed consent cookie"
    return found


def page_views(page: Page, database: TestDatabase) -> list[str]:
    """The paths recorded for this browser's visitor (a keyed hash of its consent id)."""
    secret = database.env()["OKMARTS_SECRET_KEY"]
    visitor = consent.visitor_key(secret, stored_consent(page, database).consent_id)
    rows = execute(database, f"SELECT path FROM page_view WHERE visitor = '{visitor}' ORDER BY id")
    return [row[0] for row in rows]


def eventually_views(page: Page, database: TestDatabase, at_least: int) -> list[str]:
    """Page views are written just after the page is sent: wait a moment for them."""
    deadline = time.monotonic() + 10
    while True:
        views = page_views(page, database)
        if len(views) >= at_least or time.monotonic() > deadline:
            return views
        time.sleep(0.2)


def has_cookie(page: Page, name: str) -> bool:
    return any(cookie["name"] == name for cookie in page.context.cookies())


def test_accept_all_from_the_banner(
    page: Page, javascript: bool, seeded_database: TestDatabase
) -> None:
    page.goto(LISTING)
    expect(banner(page)).to_be_visible()
    assert not has_cookie(page, consent.CONSENT_COOKIE), "nothing stored before a choice"
    mark_page(page, javascript)
    banner(page).get_by_role("button", name="Accept all").click()
    expect(banner(page)).to_have_count(0)
    # With JS the banner swaps away; without, the form comes back to the same page.
    expect(page).to_have_url(re.compile(re.escape(LISTING) + "$"))
    assert_no_page_load(page, javascript)
    assert stored_consent(page, seeded_database).categories == set(consent.OPTIONAL)

    page.goto("/")
    expect(page.get_by_role("heading", name="Categories")).to_be_visible()
    expect(banner(page)).to_have_count(0)
    assert "/" in eventually_views(page, seeded_database, at_least=1)
    assert has_cookie(page, consent.VISIT_COOKIE)


def test_reject_all_from_the_banner(
    page: Page, javascript: bool, seeded_database: TestDatabase
) -> None:
    page.goto("/")
    expect(banner(page)).to_be_visible()
    mark_page(page, javascript)
    banner(page).get_by_role("button", name="Reject all").click()
    expect(banner(page)).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/$"))
    assert_no_page_load(page, javascript)
    assert stored_consent(page, seeded_database).categories == set()

    page.goto(LISTING)
    page.locator(".card a").first.click()
    expect(page).to_have_url(re.compile(r"/products/[a-z0-9-]+$"))
    expect(banner(page)).to_have_count(0)
    time.sleep(1)  # what would have been written just after the pages were sent
    assert page_views(page, seeded_database) == []
    assert not has_cookie(page, consent.VISIT_COOKIE)


def test_customize_on_the_cookie_settings_page(
    page: Page, javascript: bool, seeded_database: TestDatabase
) -> None:
    page.goto(LISTING)
    page.locator(".card a").first.click()
    expect(page).to_have_url(re.compile(r"/products/[a-z0-9-]+$"))
    product_url = page.url
    banner(page).get_by_role("link", name="Customize").click()
    expect(page).to_have_url(re.compile(r"/cookies\?next="))
    expect(page.get_by_role("heading", name="Cookie settings", level=1)).to_be_visible()
    expect(banner(page)).to_have_count(0)
    expect(page.get_by_role("switch", name="Always on")).to_be_disabled()
    page.get_by_role("switch", name="Allow analytics cookies").check()
    page.get_by_role("button", name="Save my choices").click()

    expect(page).to_have_url(product_url)
    expect(banner(page)).to_have_count(0)
    assert stored_consent(page, seeded_database).categories == {consent.ANALYTICS}
    assert urlsplit(product_url).path in eventually_views(page, seeded_database, at_least=1)

    # The footer link reopens the settings, showing the choice made.
    page.get_by_role("contentinfo").get_by_role("link", name="Cookie settings").click()
    expect(page).to_have_url(re.compile(r"/cookies\?next="))
    expect(page.get_by_role("switch", name="Allow analytics cookies")).to_be_checked()
    expect(page.get_by_role("switch", name="Allow marketing cookies")).not_to_be_checked()
    expect(page.get_by_role("switch", name="Allow preference cookies")).not_to_be_checked()


@pytest.fixture
def gpc_page(browser: Browser, live_server: str, javascript: bool) -> Iterator[Page]:
    """A browser that sends Global Privacy Control with every request."""
    context = browser.new_context(
        base_url=live_server,
        java_script_enabled=javascript,
        locale="en-US",
        extra_http_headers={"Accept-Language": "en-US,en;q=0.9", "Sec-GPC": "1"},
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_gpc_browser_accepting_all_is_never_counted(
    gpc_page: Page, javascript: bool, seeded_database: TestDatabase
) -> None:
    page = gpc_page
    page.goto(LISTING)
    mark_page(page, javascript)
    banner(page).get_by_role("button", name="Accept all").click()
    expect(banner(page)).to_have_count(0)
    assert_no_page_load(page, javascript)
    # Analytics and marketing are refused by the signal; preferences were accepted.
    assert stored_consent(page, seeded_database).categories == {consent.PREFERENCES}

    for path in ("/", LISTING, "/cart"):
        page.goto(path)
        expect(banner(page)).to_have_count(0)
    page.goto("/cookies")
    expect(page.get_by_text("Your browser sends a Global Privacy Control signal")).to_be_visible()
    expect(page.get_by_role("switch", name="Allow analytics cookies")).to_be_disabled()
    time.sleep(1)  # what would have been written just after the pages were sent
    assert page_views(page, seeded_database) == []
    assert not has_cookie(page, consent.VISIT_COOKIE)
