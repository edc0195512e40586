"""After-sales in the browser (issue 16), JavaScript on and off: a part bought by card arrives
damaged; the shopper returns it from the order page, staff approve and mark it received, and the
card is refunded, stock comes back and the points earned on it are taken back. A second return
is refused, and the shopper escalates it to a complaint with its case number and 15-day due
date."""

from __future__ import annotations

import datetime as dt
import re

from babel.dates import format_date
from playwright.sync_api import Page, expect

from tests.conftest import TestDatabase
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import query
from tests.e2e.returns_staff import INSTRUCTIONS, REFUSAL, return_step
from tests.e2e.staff import deliver_order
from tests.e2e.steps import assert_no_page_load, fill_address, mark_page
from tests.e2e.test_account_flows import follow_mailed_link, new_email, sign_up
from tests.e2e.test_checkout_flows import SUCCESS_CARD, well_stocked_products
from tests.smtp import SmtpSink


def _stock(database: TestDatabase, slug: str) -> int:
    [(stock,)] = query(database, f"SELECT stock FROM product WHERE slug = '{slug}'")
    return int(stock)


def _ask_to_return(page: Page, number: str, title: str, reason: str, note: str) -> str:
    page.goto(f"/account/orders/{number}")
    page.get_by_role("link", name="Return parts").click()
    expect(page.get_by_role("heading", name=f"Return parts of order {number}")).to_be_visible()
    page.get_by_label(f"Quantity of {title} to return").fill("1")
    page.get_by_label("Why do you return them?").select_option(label=reason)
    page.get_by_label("What happened? (optional)").fill(note)
    page.get_by_role("button", name="Ask to return these parts").click()
    expect(page.get_by_text("We received your return request")).to_be_visible()
    heading = page.get_by_role("heading", level=1).inner_text()
    found = re.search(r"R-\d{4}-\d{6}", heading)
    assert found is not None, heading
    return found.group(0)


def test_a_damaged_part_is_returned_and_refunded_then_a_complaint(
    page: Page,
    javascript: bool,
    mail_server: SmtpSink,
    live_server: str,
    seeded_database: TestDatabase,
) -> None:
    email = new_email("returns")
    sign_up(page, email)
    follow_mailed_link(page, mail_server, email, "Confirm your email address")
    [(_sku, slug)] = well_stocked_products(seeded_database, 1)

    # Two of a part, paid by card; staff ship and deliver them.
    page.goto(f"/products/{slug}")
    title = page.get_by_role("heading", level=1).inner_text()
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(page.locator("#cart-count")).to_contain_text("2")
    page.goto("/checkout")
    fill_address(page)
    page.get_by_label("Name on the card").fill("Mia Wong")
    page.get_by_label("Card number").fill(SUCCESS_CARD)
    page.get_by_label("Expiry (MM/YY)").fill("12/35")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("Thank you for your order!")).to_be_visible()
    number = re.search(r"OK-\d{6}-[A-Z0-9]{6}", page.get_by_role("heading", level=1).inner_text())
    assert number is not None
    order = number.group(0)
    deliver_order(seeded_database, live_server, order)
    stock_before = _stock(seeded_database, slug)

    # One arrived damaged: the shopper asks to return it (a wrong quantity first).
    page.goto(f"/account/orders/{order}")
    page.get_by_role("link", name="Return parts").click()
    mark_page(page, javascript)
    page.get_by_label(f"Quantity of {title} to return").fill("5")
    page.get_by_role("button", name="Ask to return these parts").click()
    expect(page.get_by_text("Enter a whole number from 0 to 2.")).to_be_visible()
    assert_no_page_load(page, javascript)
    if javascript:  # the accessibility scan (axe-core) needs scripts
        assert_accessible(page, "the return form with its errors")
    first = _ask_to_return(page, order, title, "A part arrived damaged", "The housing is cracked.")
    mail_server.wait_for(email, subject_contains=first)

    return_step(seeded_database, live_server, "approve", first)
    page.reload()
    expect(page.locator("#return-instructions")).to_have_text(INSTRUCTIONS)
    return_step(seeded_database, live_server, "receive", first)
    page.reload()
    expect(page.locator("#return-status")).to_have_text("Refunded")
    expect(page.locator("#return-refund")).to_contain_text("$")
    mail_server.wait_for(email, subject_contains=f"Return {first} refunded")
    # Stock is back; the card was refunded; the points earned on the part were taken back.
    assert _stock(seeded_database, slug) == stock_before + 1
    [(refund, state)] = query(
        seeded_database,
        f"SELECT refund_minor, refund_state FROM return_request WHERE number = '{first}'",
    )
    [(refunded,)] = query(
        seeded_database,
        "SELECT s.refunded_minor FROM sandbox_transaction s JOIN payment p"
        ' ON p.transaction_id = s.transaction_id JOIN shop_order o ON o.id = p."order"'
        f" WHERE o.number = '{order}'",
    )
    assert state == "done" and int(refunded) == int(refund) > 0
    taken = query(
        seeded_database,
        "SELECT e.amount FROM points_entry e JOIN account a ON a.id = e.account"
        f" WHERE a.email = '{email}' AND e.reason = 'return_taken_back'",
    )
    assert len(taken) == 1 and int(taken[0][0]) < 0
    page.goto(f"/account/orders/{order}")
    expect(page.locator(".order-history")).to_contain_text("Return refunded")

    # The other one: refused; the shopper escalates it to a complaint.
    second = _ask_to_return(page, order, title, "I no longer need it", "Ordered one too many.")
    return_step(seeded_database, live_server, "refuse", second)
    page.reload()
    expect(page.locator("#return-refusal")).to_have_text(REFUSAL)
    if javascript:
        assert_accessible(page, "a refused return")
    mark_page(page, javascript)
    page.get_by_role("button", name="Open a complaint").click()
    expect(page.get_by_text("Write at least 2 characters.")).to_be_visible()
    assert_no_page_load(page, javascript)
    page.get_by_label("What is your complaint?").fill("The seal was intact when I sent it.")
    page.get_by_role("button", name="Open a complaint").click()
    expect(page.get_by_text("Your complaint is open.")).to_be_visible()
    case = page.locator("#complaint-case").inner_text()
    assert re.fullmatch(r"K-\d{4}-\d{6}", case), case
    [(created, due)] = query(
        seeded_database,
        f"SELECT created_at, due_at FROM complaint WHERE case_number = '{case}'",
    )
    created_at, due_at = (
        value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
        for value in (created, due)
    )
    assert due_at - created_at == dt.timedelta(days=15)
    expect(page.locator("#complaint-due")).to_have_text(format_date(due_at.date(), locale="en"))
    mail_server.wait_for(email, subject_contains=f"Complaint {case} received")
    if javascript:
        assert_accessible(page, "a complaint")
