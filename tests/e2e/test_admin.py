"""Staff sign in to the admin at /admin/ in Chromium: a JavaScript app, so JavaScript on only.
What its screens show is partly ours (okmarts.admin.ui): checked here as staff see it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from tests.conftest import TEST_PRODUCTS, TestDatabase, okmarts


@pytest.fixture
def admin_page(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def create_staff(database: TestDatabase, role: str) -> tuple[str, str]:
    email = f"{role}-{uuid.uuid4().hex[:10]}@example.com"
    password = f"{role}-password-{uuid.uuid4().hex[:8]}"
    okmarts(
        "create-staff",
        email,
        "--role",
        role,
        "--password-stdin",
        env=database.env(),
        input=f"{password}\n",
    )
    return email, password


def sign_in(page: Page, email: str, password: str) -> list[str]:
    """Sign in through the login form; returns the CSP violations the console reports."""
    violations: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", watch)
    page.goto("/admin")  # no slash: redirected to /admin/
    # Staff sign in with their email; each box is named by its label. (The app may show its home
    # for a moment before it finds nobody is signed in: wait for the login form.)
    email_box = page.get_by_label("Email", exact=True)
    expect(email_box).to_be_visible()
    expect(page.get_by_role("heading", name="Okmarts staff", exact=True)).to_be_visible()
    email_box.fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Login").click()
    # The menu shows the name shortened, and in full as its title.
    expect(page.locator("#nav #user")).to_have_attribute("title", email)
    return violations


def test_admin_signs_in_and_opens_the_product_list(
    admin_page: Page, seeded_database: TestDatabase
) -> None:
    email, password = create_staff(seeded_database, "admin")
    violations = sign_in(admin_page, email, password)
    expect(admin_page).to_have_url(re.compile(r"/admin/#/$"))
    expect(admin_page.get_by_text("Catalog", exact=True)).to_be_visible()
    expect(admin_page.get_by_text("Shoppers", exact=True)).to_be_visible()
    # "Orders" twice: the tables' group and the forms' group.
    expect(admin_page.get_by_text("Orders", exact=True)).to_have_count(2)
    expect(admin_page.get_by_text("Pricing", exact=True)).to_be_visible()
    expect(admin_page.locator('a[href="#/shop_order/"]')).to_be_visible()

    admin_page.locator('a[href="#/product/"]').click()
    expect(admin_page.get_by_role("heading", name=re.compile(r"^product$", re.I))).to_be_visible()
    expect(admin_page.get_by_role("link", name="Add Row")).to_be_visible()  # admins add products
    rows = admin_page.locator('a[href^="#/product/"]:not([href$="/product/"]):not([href$="/add/"])')
    expect(rows).to_have_count(15)  # one page of the seeded catalog
    expect(admin_page.get_by_text(f"Showing 15 of {TEST_PRODUCTS} result(s)")).to_be_visible()
    assert violations == [], "the admin's CSP must let its own scripts and styles run"


def test_moderator_does_not_see_the_shoppers_tables(
    admin_page: Page, seeded_database: TestDatabase
) -> None:
    email, password = create_staff(seeded_database, "moderator")
    sign_in(admin_page, email, password)
    expect(admin_page.get_by_text("Catalog", exact=True)).to_be_visible()
    expect(admin_page.locator('a[href="#/product/"]')).to_be_visible()
    expect(admin_page.get_by_text("Shoppers", exact=True)).to_have_count(0)
    expect(admin_page.locator('a[href="#/account/"]')).to_have_count(0)
    expect(admin_page.get_by_text("Orders", exact=True)).to_have_count(0)
    expect(admin_page.locator('a[href="#/shop_order/"]')).to_have_count(0)

    # What moderators read, they don't add to: no "Add Row", and a product's form shows its
    # title and slug as text, with nothing to save.
    admin_page.locator('a[href="#/product/"]').click()
    expect(admin_page.get_by_role("heading", name=re.compile(r"^product$", re.I))).to_be_visible()
    expect(admin_page.get_by_role("link", name="Sort")).to_be_visible()
    expect(admin_page.get_by_role("link", name="Add Row")).to_have_count(0)
    admin_page.locator('a[href^="#/product/"]:not([href$="/product/"])').first.click()
    expect(admin_page.locator('p.read_only_value[data-column="title"]')).to_be_visible()
    expect(admin_page.locator("input[name=title]")).to_have_count(0)
    expect(admin_page.get_by_role("button", name="Save")).to_have_count(0)


def test_admin_change_status_form_answers_in_the_page(
    admin_page: Page, seeded_database: TestDatabase
) -> None:
    email, password = create_staff(seeded_database, "admin")
    sign_in(admin_page, email, password)
    admin_page.locator('a[href*="forms/change-order-status"]').click()
    expect(admin_page.get_by_text("Each new status says which statuses it follows")).to_be_visible()
    admin_page.locator("input[name=order_number]").fill("OK-NO-SUCH-ORDER")
    # The new status is a choice list, "(none)" first.
    status = admin_page.locator("select[name=new_status]")
    expect(status.locator("option").first).to_have_text("(none)")
    expect(status.locator("option")).to_contain_text(["Shipped (from paid)"])
    status.select_option("paid")
    admin_page.locator('[data-uitest="submit_custom_form_button"]').click()
    expect(admin_page.get_by_text("There is no order OK-NO-SUCH-ORDER.")).to_be_visible()
