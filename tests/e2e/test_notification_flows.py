"""Notifications in the browser, with JavaScript on (htmx swaps the form and the list in place)
and off (plain forms, post/redirect/get): choosing what to receive, and the message center with
the header's unread count after staff change an order's status."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.conftest import TestDatabase
from tests.e2e.conftest import execute, query
from tests.e2e.staff import deliver_order
from tests.e2e.steps import assert_no_page_load, mark_page
from tests.e2e.test_account_flows import follow_mailed_link, new_email, sign_up
from tests.smtp import SmtpSink


def signed_up_and_verified(page: Page, mail_server: SmtpSink, prefix: str) -> str:
    email = new_email(prefix)
    sign_up(page, email)
    follow_mailed_link(page, mail_server, email, "Confirm your email address")
    expect(page.get_by_role("heading", name="Email address confirmed")).to_be_visible()
    return email


def test_change_subscriptions_and_see_them_kept(
    page: Page, javascript: bool, mail_server: SmtpSink
) -> None:
    signed_up_and_verified(page, mail_server, "subscriptions")
    page.goto("/account")
    page.get_by_role("navigation", name="Personal center").get_by_role(
        "link", name="Notification settings"
    ).click()
    expect(page).to_have_url(re.compile(r"/account/notifications$"))
    orders = page.get_by_role("checkbox", name="Order and payment updates: Email")
    expect(orders).to_be_checked()
    expect(orders).to_be_disabled()
    expect(page.get_by_text("Always on: we must tell you about your orders").first).to_be_visible()
    newsletter = page.get_by_role("checkbox", name="Newsletter and promotions: Email")
    expect(newsletter).not_to_be_checked()
    expect(newsletter).to_be_disabled()
    expect(page.get_by_role("link", name="Give consent in the privacy center")).to_have_attribute(
        "href", "/account/privacy#privacy-consents"
    )

    mark_page(page, javascript)
    replies_email = page.get_by_role("checkbox", name="Customer-service replies: Email")
    expect(replies_email).to_be_checked()
    replies_email.uncheck()
    page.get_by_role("checkbox", name="Policy changes: Message center").uncheck()
    page.get_by_role("button", name="Save notification settings").click()
    expect(page.get_by_text("Your notification settings are saved.")).to_be_visible()
    assert_no_page_load(page, javascript)

    page.reload()
    expect(page.get_by_role("checkbox", name="Customer-service replies: Email")).not_to_be_checked()
    expect(
        page.get_by_role("checkbox", name="Customer-service replies: Message center")
    ).to_be_checked()
    expect(page.get_by_role("checkbox", name="Policy changes: Message center")).not_to_be_checked()
    expect(page.get_by_role("checkbox", name="Policy changes: Email")).to_be_checked()


def paid_order(database: TestDatabase, email: str) -> str:
    """A paid order for this account, as checkout leaves it (set up in the database)."""
    [(account,)] = query(database, f"SELECT id FROM account WHERE email = '{email}'")
    number, key = f"OK-E2E-{uuid.uuid4().hex[:6].upper()}", uuid.uuid4().hex
    execute(
        database,
        "INSERT INTO shop_order (number, account, checkout_key, status, currency, subtotal_minor,"
        " discount_minor, discount_label, coupon_code, points_used, points_value_minor,"
        " shipping_method, shipping_minor, total_minor, points_earned, recipient, phone, email,"
        " country, region, city, line, zip_code, for_company, company, tax_id, billing_address,"
        " carrier, tracking_number, created_at, updated_at) VALUES"
        f" ('{number}', {account}, '{key}', 'paid', 'USD', 1000, 0, '', '', 0, 0, '', 0,"
        f" 1000, 0, 'R', '+1 555 0100', '{email}', 'US', '', 'X', '1 Y St', '10001', false,"
        " '', '', '', '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    )
    return number


def test_an_order_status_change_in_the_message_center(
    page: Page,
    javascript: bool,
    mail_server: SmtpSink,
    seeded_database: TestDatabase,
    live_server: str,
) -> None:
    email = signed_up_and_verified(page, mail_server, "messages")
    page.goto("/account/messages")
    expect(page.get_by_text("No messages yet.")).to_be_visible()
    expect(page.locator("#unread-count")).to_have_text(re.compile(r"^0"))

    number = paid_order(seeded_database, email)
    deliver_order(seeded_database, live_server, number)  # shipped, then delivered

    page.goto("/")
    # The header's count, filled into the shared home page for this shopper alone.
    badge = page.locator("#unread-count")
    expect(badge).to_have_text(re.compile(r"^2\b"))
    page.get_by_role("link", name=re.compile(r"^Messages")).first.click()
    expect(page).to_have_url(re.compile(r"/account/messages$"))
    shipped = page.get_by_role("link", name=f"Order {number}: Shipped")
    delivered = page.get_by_role("link", name=f"Order {number}: Delivered")
    expect(shipped).to_be_visible()
    expect(delivered).to_be_visible()

    mark_page(page, javascript)
    mark_delivered = page.get_by_role(
        "button", name=re.compile(rf"^Mark as read\s*: Order {number}: Delivered$")
    )
    mark_delivered.click()
    expect(page.locator("#unread-count")).to_have_text(re.compile(r"^1\b"))
    expect(mark_delivered).to_have_count(0)
    assert_no_page_load(page, javascript)

    page.get_by_role("link", name=f"Order {number}: Shipped").click()
    expect(page.get_by_role("heading", name=f"Order {number}: Shipped")).to_be_visible()
    expect(page.get_by_text(f"Your order {number} is now: Shipped.")).to_be_visible()
    expect(page.locator("#unread-count")).to_have_text(re.compile(r"^0\b"))
    page.get_by_role("link", name="Open").click()
    expect(page).to_have_url(re.compile(rf"/account/orders/{number}$"))
