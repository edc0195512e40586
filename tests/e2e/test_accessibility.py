"""Every page of the storefront and the personal center, scanned with axe-core (JavaScript on):
no serious or critical problem for shoppers with screen readers or keyboards. Some key pages again
in Simplified Chinese. The pages are listed once, in tests/e2e/pages_scanned.py, and a test here
fails when the app has a GET route that list neither scans nor explains."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar.routes import ASGIRoute, HTTPRoute
from playwright.sync_api import Browser, BrowserContext, Page, expect

from okmarts.app import create_app
from okmarts.services import watches
from okmarts.services.tokens import make_token
from okmarts.settings import Settings
from tests.conftest import TestDatabase
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import execute, query
from tests.e2e.pages_scanned import (
    NEWCOMER,
    NOT_SCANNED,
    POLICY_PENDING,
    SCANNED,
    SCANNED_IN_CHINESE,
    SHOPPER,
    UNVERIFIED,
    VISITOR,
    Scan,
)
from tests.e2e.steps import deliver_an_order, fill_address
from tests.e2e.test_account_flows import PASSWORD, follow_mailed_link, new_email, sign_up
from tests.smtp import SmtpSink, links_in

SUCCESS_CARD = "4242 4242 4242 4242"


def new_browser(browser: Browser, base_url: str, language: str = "en-US") -> BrowserContext:
    context = browser.new_context(
        base_url=base_url,
        java_script_enabled=True,
        locale=language,
        extra_http_headers={"Accept-Language": f"{language},en;q=0.5"},
    )
    context.set_default_timeout(10_000)
    return context


def reject_cookies(page: Page) -> None:
    page.goto("/")
    page.get_by_role("region", name="Your cookie choices").get_by_role(
        "button", name="Reject all"
    ).click()
    expect(page.get_by_role("region", name="Your cookie choices")).to_have_count(0)


def mailed_link(mail_server: SmtpSink, recipient: str, subject: str) -> str:
    return links_in(mail_server.wait_for(recipient, subject_contains=subject))[0]


def account_id(database: TestDatabase, email: str) -> int:
    [(found,)] = query(database, f"SELECT id FROM account WHERE email = '{email}'")
    return int(found)


def answer_a_question(database: TestDatabase, email: str, slug: str) -> None:
    """A published question with the staff's answer (as moderators leave it in the admin)."""
    execute(
        database,
        "INSERT INTO question (product, account, body, status, rejection_reason, answer,"
        " answered_by, answered_at, moderated_by, moderated_at, created_at) VALUES"
        f" ((SELECT id FROM product WHERE slug = '{slug}'), {account_id(database, email)},"
        " 'Does it fit a 35 mm DIN rail?', 'approved', '', 'Yes, with the clip supplied.',"
        " 'staff', CURRENT_TIMESTAMP, 'staff', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    )


def add_to_cart(page: Page, slug: str) -> None:
    page.goto(f"/products/{slug}")
    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(page.locator(".summary .cart-feedback")).to_contain_text("Added to your cart.")


@dataclass
class Scene:
    """The browsers of each kind of visitor, and the facts the scanned URLs name."""

    browsers: dict[str, BrowserContext]
    facts: dict[str, str]


@pytest.fixture(scope="module")
def scene(
    browser: Browser,
    live_server: str,
    seeded_database: TestDatabase,
    mail_server: SmtpSink,
) -> Iterator[Scene]:
    if seeded_database.backend != "sqlite":
        # The markup does not depend on the database; one backend keeps CI within its time.
        pytest.skip("accessibility is scanned on SQLite only")
    database = seeded_database
    browsers = {
        who: new_browser(browser, live_server)
        for who in (NEWCOMER, VISITOR, SHOPPER, UNVERIFIED, POLICY_PENDING)
    }
    facts: dict[str, str] = {}
    try:
        for who in (VISITOR, SHOPPER, UNVERIFIED, POLICY_PENDING):
            reject_cookies(browsers[who].new_page())

        [(category, category_name)] = query(
            database,
            "SELECT slug, name FROM category WHERE parent IS NULL ORDER BY position, id LIMIT 1",
        )
        facts.update(category=category, category_name=category_name)
        # Three parts of one category for the comparison page: rows they share, rows that differ.
        compared = query(
            database,
            "SELECT slug FROM product WHERE category = (SELECT category FROM product"
            " GROUP BY category ORDER BY count(*) DESC, category LIMIT 1) ORDER BY id LIMIT 3",
        )
        facts["compared"] = "&".join(f"p={slug}" for (slug,) in compared)

        # The shopper: verified, an address, a delivered order with one product reviewed and
        # one waiting, a deletion link asked for, a reset link, a paid order, a filled cart.
        page = browsers[SHOPPER].pages[0]
        email = new_email("a11y")
        sign_up(page, email)
        follow_mailed_link(page, mail_server, email, "Confirm your email address")
        facts["verify_link"] = page.url
        page.goto("/account/addresses")
        fill_address(page)
        page.get_by_role("button", name="Save address").click()
        expect(page.get_by_text("Address saved.")).to_be_visible()
        [(address,)] = query(
            database, f"SELECT id FROM address WHERE account = {account_id(database, email)}"
        )
        facts["address"] = str(address)

        (reviewed_line, slug, title), (waiting_line, _, _) = deliver_an_order(
            database, email, products=2
        )
        facts.update(product=slug, product_title=title, line=str(waiting_line))
        page.goto(f"/account/reviews/new?line={reviewed_line}")
        page.get_by_label("4 stars").check()
        page.get_by_label("Title").fill("Solid part")
        page.get_by_label("Your review").fill("Ran three months on a press line without a fault.")
        page.get_by_role("button", name="Submit review").click()
        expect(page.get_by_text("Your review is waiting for moderation")).to_be_visible()
        execute(
            database,
            f"UPDATE review SET status = 'approved' WHERE account = {account_id(database, email)}",
        )
        answer_a_question(database, email, slug)

        page.goto("/account/privacy/delete")
        page.get_by_label("Current password").fill(PASSWORD)
        page.get_by_role("button", name="Email me the confirmation link").click()
        expect(page.get_by_role("heading", name="Check your mailbox")).to_be_visible()
        facts["delete_link"] = mailed_link(mail_server, email, "Confirm the deletion")
        # A visitor's links of watched parts, signed as the server signs them.
        [(watched_id,)] = query(database, "SELECT id FROM product ORDER BY id LIMIT 1")
        secret = database.env()["OKMARTS_SECRET_KEY"]
        confirm = {"e": "a11y@example.com", "p": watched_id, "k": "price_drop", "l": "en"}
        facts["watch_confirm"] = make_token(secret, watches.CONFIRM_PURPOSE, confirm)
        facts["watch_stop"] = make_token(secret, watches.STOP_PURPOSE, {"w": 0, "e": "x"})

        visitor = browsers[VISITOR].pages[0]
        visitor.goto("/password-reset")
        visitor.get_by_label("Email address").fill(email)
        visitor.get_by_role("button", name="Send me a reset link").click()
        expect(visitor.get_by_text("we have sent it a link")).to_be_visible()
        facts["reset_link"] = mailed_link(mail_server, email, "Choose a new password")

        [(stocked,)] = query(
            database,
            "SELECT slug FROM product WHERE stock >= 50 AND points_price IS NULL"
            " ORDER BY id LIMIT 1",
        )
        add_to_cart(page, stocked)
        page.goto("/checkout")
        page.get_by_label("Name on the card").fill("Mia Wong")
        page.get_by_label("Card number").fill(SUCCESS_CARD)
        page.get_by_label("Expiry (MM/YY)").fill("12/35")
        page.get_by_label("Security code (CVC)").fill("123")
        page.get_by_role("button", name="Place order").click()
        expect(page.get_by_text("Thank you for your order!")).to_be_visible()
        facts["order"] = page.url.split("/account/orders/")[1].split("?")[0]
        # The order's confirmation, in the message center too.
        [(message,)] = query(
            database,
            f"SELECT id FROM notification WHERE account = {account_id(database, email)}"
            " AND kind = 'order_confirmation' ORDER BY id DESC LIMIT 1",
        )
        facts["message"] = str(message)
        add_to_cart(page, stocked)

        # Not yet verified: browses, but can't buy.
        sign_up(browsers[UNVERIFIED].pages[0], new_email("a11y-unverified"))

        # A newer privacy policy than the one this shopper accepted.
        pending = new_email("a11y-policy")
        sign_up(browsers[POLICY_PENDING].pages[0], pending)
        execute(
            database, f"UPDATE account SET policy_version = '2000-01-01' WHERE email = '{pending}'"
        )

        # A child's sign-up: the guardian's link.
        child_browser = new_browser(browser, live_server)
        guardian = new_email("a11y-guardian")
        try:
            sign_up(
                child_browser.new_page(),
                new_email("a11y-child"),
                **{
                    "Date of birth (optional)": "2016-03-01",
                    "Parent or guardian's email (only if you are under 14)": guardian,
                },
            )
        finally:
            child_browser.close()
        facts["guardian_link"] = mailed_link(mail_server, guardian, "consent is needed")

        yield Scene(browsers, facts)
    finally:
        for context in browsers.values():
            context.close()


def open_scanned(page: Page, scan: Scan, facts: dict[str, str], check_heading: bool) -> None:
    page.goto(scan.url.format(**facts))
    if check_heading:
        expect(page.get_by_role("heading", name=scan.heading.format(**facts)).first).to_be_visible()
    if scan.then is not None:
        scan.then(page)


@pytest.mark.parametrize("scan", SCANNED, ids=[scan.name for scan in SCANNED])
def test_page_has_no_serious_accessibility_problem(scene: Scene, scan: Scan) -> None:
    page = scene.browsers[scan.who].new_page()
    try:
        open_scanned(page, scan, scene.facts, check_heading=True)
        assert_accessible(page, scan.name)
    finally:
        page.close()


CHINESE = [scan for scan in SCANNED if scan.name in SCANNED_IN_CHINESE]


@pytest.mark.parametrize("scan", CHINESE, ids=[scan.name for scan in CHINESE])
def test_page_in_chinese_has_no_serious_accessibility_problem(
    scene: Scene, scan: Scan, browser: Browser, live_server: str
) -> None:
    # The same visitor (their cookies: session, cart, cookie choice), reading in Chinese.
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"},
        storage_state=scene.browsers[scan.who].storage_state(),
    )
    try:
        page = context.new_page()
        open_scanned(page, scan, scene.facts, check_heading=False)
        # Screen readers pick their voice from the page's language.
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
        assert_accessible(page, f"{scan.name} in Chinese")
    finally:
        context.close()


def test_every_page_of_the_app_is_scanned_or_explained(tmp_path: Path) -> None:
    app = create_app(
        Settings(
            database_url=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
            data_dir=tmp_path,
            secret_key="routes-only",
        )
    )
    get_routes = {
        route.path
        for route in app.routes
        if isinstance(route, ASGIRoute) or (isinstance(route, HTTPRoute) and "GET" in route.methods)
    }
    scanned = {scan.route for scan in SCANNED if scan.route}
    forgotten = sorted(get_routes - scanned - set(NOT_SCANNED))
    assert not forgotten, (
        "These pages are not scanned for accessibility: add them to SCANNED in "
        f"tests/e2e/pages_scanned.py (or, if they are no HTML page, to NOT_SCANNED): {forgotten}"
    )
    gone = sorted((scanned | set(NOT_SCANNED)) - get_routes)
    assert not gone, f"pages_scanned.py names routes the app no longer has: {gone}"


def test_htmx_changes_are_heard_and_keep_the_focus(scene: Scene) -> None:
    """A filter ticked and a country chosen with the keyboard: the focus stays on the control,
    and the page's live region says what changed (the part that changed was swapped away)."""
    page = scene.browsers[VISITOR].new_page()
    try:
        page.goto("/products")
        in_stock = page.get_by_label("In stock only")
        in_stock.focus()
        page.keyboard.press(" ")
        expect(page).to_have_url(re.compile(r"in_stock=1"))
        expect(in_stock).to_be_checked()
        expect(in_stock).to_be_focused()
        count = page.locator("#results-count").inner_text()
        expect(page.locator("#announcer")).to_contain_text(count)
        assert_accessible(page, "listing after a filter")
    finally:
        page.close()

    page = scene.browsers[SHOPPER].new_page()
    try:
        page.goto("/checkout")
        country = page.get_by_label("Country or region")
        country.focus()
        page.keyboard.press("ArrowDown")
        total = page.locator("#order-total")
        expect(page.locator("#announcer")).to_contain_text("Order summary updated. Total:")
        expect(page.locator("#announcer")).to_contain_text(total.inner_text())
        expect(country).to_be_focused()
        assert_accessible(page, "checkout after re-pricing")
    finally:
        page.close()
