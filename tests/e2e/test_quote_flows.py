"""A buyer asks for a quote from the cart, staff answer it, the buyer downloads the PDF and orders
at the quoted prices. With JavaScript on and off (every step is a plain link or form)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.conftest import TestDatabase
from tests.e2e.axe import assert_accessible
from tests.e2e.quote_staff import answer_quote
from tests.e2e.steps import fill_address
from tests.e2e.test_account_flows import follow_mailed_link, new_email, sign_up
from tests.e2e.test_checkout_flows import SUCCESS_CARD, well_stocked_products
from tests.smtp import SmtpSink


def test_request_answer_download_and_accept_a_quote(
    page: Page,
    javascript: bool,
    mail_server: SmtpSink,
    live_server: str,
    seeded_database: TestDatabase,
) -> None:
    email = new_email("quote-buyer")
    sign_up(page, email)
    follow_mailed_link(page, mail_server, email, "Confirm your email address")
    [(_, slug)] = well_stocked_products(seeded_database, 1)

    page.goto(f"/products/{slug}")
    title = page.get_by_role("heading", level=1).inner_text()
    page.get_by_label("Quantity").fill("12")
    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(page.locator("#cart-count")).to_contain_text("12")

    # The cart's quote form: the cart's lines become the quote's; the cart stays.
    page.goto("/cart")
    page.get_by_text("Buying in quantity? Request a quote").click()
    page.get_by_label("Delivery country or region").select_option("DE")
    page.get_by_label("Note for our sales team (optional)").fill("For project Falcon.")
    page.get_by_role("button", name="Request a quote").click()
    expect(page.get_by_text("we have your request")).to_be_visible()
    expect(page.locator("#quote-status")).to_have_text("Requested")
    number = re.search(r"Q-\d{4}-\d{6}", page.get_by_role("heading", level=1).inner_text())
    assert number is not None
    expect(page.locator("#cart-count")).to_contain_text("12")

    # Staff answer (the quotes queue's service): 77.70 a piece.
    answer_quote(seeded_database, live_server, number.group(0), 7_770)
    mail_server.wait_for(email, subject_contains=number.group(0))

    page.goto("/account/quotes")
    page.get_by_role("link", name=number.group(0)).click()
    expect(page.locator("#quote-status")).to_have_text("Answered")
    expect(page.locator("#quote-lines")).to_contain_text("$77.70")
    expect(page.locator("#quote-total")).to_have_text("$932.40")
    if javascript:  # the accessibility scan (axe-core) needs scripts
        assert_accessible(page, "an answered quote")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename == f"okmarts-quote-{number.group(0)}.pdf"
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    page.get_by_role("link", name="Accept and order").click()
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    expect(page.locator("#quote-checkout")).to_contain_text(number.group(0))
    expect(page.locator("#order-summary")).to_contain_text("$932.40")
    if javascript:
        assert_accessible(page, "a quote's checkout")
    fill_address(page)
    page.get_by_label("Name on the card").fill("Mia Wong")
    page.get_by_label("Card number").fill(SUCCESS_CARD)
    page.get_by_label("Expiry (MM/YY)").fill("12/35")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("Thank you for your order!")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(re.escape(title)))).to_contain_text("$77.70")

    page.goto(f"/account/quotes/{number.group(0)}")
    expect(page.locator("#quote-status")).to_have_text("Accepted")
    expect(page.get_by_role("link", name="Accept and order")).to_have_count(0)
