"""Watched parts in the browser, JavaScript on (htmx swaps the block in place) and off (a plain
form, post/redirect/get): a shopper watches an out-of-stock part, staff restock it, and the
alert arrives in the message center and by email."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import TestDatabase
from tests.e2e.conftest import execute
from tests.e2e.steps import assert_no_page_load, mark_page
from tests.e2e.test_notification_flows import signed_up_and_verified
from tests.smtp import SmtpSink


def test_watch_an_out_of_stock_part_and_hear_it_is_back(
    page: Page,
    javascript: bool,
    mail_server: SmtpSink,
    seeded_database: TestDatabase,
    live_server: str,
) -> None:
    email = signed_up_and_verified(page, mail_server, "watcher")
    [(slug, title)] = execute(
        seeded_database,
        "SELECT slug, title FROM product WHERE status = 'active' ORDER BY id DESC LIMIT 1 OFFSET 7",
    )
    execute(seeded_database, f"UPDATE product SET stock = 0 WHERE slug = '{slug}'")
    page.goto(f"/products/{slug}")
    expect(page.get_by_text("Out of stock", exact=True)).to_be_visible()

    mark_page(page, javascript)
    page.get_by_role("button", name="Tell me when it's back in stock").click()
    expect(page.get_by_text("Watching for it to be back in stock")).to_be_visible()
    assert_no_page_load(page, javascript)

    # Staff restock it: the admin's save is a plain UPDATE of the row, as here.
    execute(seeded_database, f"UPDATE product SET stock = 25 WHERE slug = '{slug}'")
    mail = mail_server.wait_for(email, "Back in stock", timeout=20)
    assert title in str(mail["Subject"])

    page.goto("/account/messages")
    page.get_by_role("link", name=f"Back in stock: {title}").click()
    expect(page.get_by_text(f"Good news: {title} is back in stock")).to_be_visible()

    page.goto("/account/watches")
    row = page.locator("#watch-list tr", has_text=title)
    expect(row.get_by_text("We told you it was back in stock")).to_be_visible()
