"""Buying for a company: an owner invites a colleague (the email arrives), the colleague accepts,
orders above the approval limit, the order waits, the owner approves it; and an invoice of a
paid order is downloaded. With JavaScript on and off."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.conftest import TestDatabase
from tests.e2e.conftest import shopper_page
from tests.e2e.steps import fill_address
from tests.e2e.test_account_flows import follow_mailed_link, new_email, sign_up
from tests.e2e.test_checkout_flows import well_stocked_products
from tests.smtp import SmtpSink

SUCCESS_CARD = "4242 4242 4242 4242"


def _verified(page: Page, mail_server: SmtpSink, email: str) -> None:
    sign_up(page, email)
    follow_mailed_link(page, mail_server, email, "Confirm your email address")


def _to_checkout(page: Page, slug: str) -> None:
    page.goto(f"/products/{slug}")
    page.get_by_role("button", name="Add to cart", exact=True).click()
    # With htmx the add is answered in place: wait for it before leaving the page.
    expect(page.get_by_text("Added to your cart.")).to_be_visible()
    page.goto("/checkout")
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    fill_address(page)


def test_invite_a_colleague_approve_an_order_and_download_the_invoice(
    page: Page,
    browser: Browser,
    live_server: str,
    javascript: bool,
    mail_server: SmtpSink,
    seeded_database: TestDatabase,
) -> None:
    [(_sku, slug)] = well_stocked_products(seeded_database, 1)
    owner = new_email("owner")
    _verified(page, mail_server, owner)
    page.goto("/account/company")
    page.get_by_label("Company name").fill("Fischer Automation GmbH")
    page.get_by_label("VAT number (optional)").fill("DE136695977")
    page.get_by_role("button", name="Create the company account").click()
    expect(page.get_by_text("This is not a valid EU VAT number")).to_be_visible()
    page.get_by_label("VAT number (optional)").fill("DE136695976")
    page.get_by_label("Billing address").fill("Werkstrasse 12, 70173 Stuttgart")
    page.get_by_label("Approval limit (optional)").fill("1")
    page.get_by_role("button", name="Create the company account").click()
    expect(page.get_by_text("Your company account is ready")).to_be_visible()
    # A company shipping address (issue #21): offered to members at checkout.
    fill_address(page, city="Stuttgart", recipient="Goods-in Fischer")
    page.get_by_role("button", name="Add the address").click()
    expect(page.get_by_text("The address is added")).to_be_visible()

    colleague = new_email("colleague")
    page.get_by_label("Colleague's email address").fill(colleague)
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("The invitation is on its way.")).to_be_visible()

    with shopper_page(browser, live_server, javascript) as other:
        _verified(other, mail_server, colleague)
        follow_mailed_link(other, mail_server, colleague, "invites you to buy for")
        other.get_by_role("button", name="Accept and join Fischer Automation GmbH").click()
        expect(other.get_by_text("Welcome: you now buy for your company.")).to_be_visible()

        _to_checkout(other, slug)
        expect(other.get_by_label("Buying for", exact=True)).to_have_value("company")
        # The typed address (Hamburg) gives way to the company's, chosen in the picker.
        other.get_by_label("Saved address").select_option(
            label="Goods-in Fischer, Hafenstraße 3, Stuttgart"
        )
        other.get_by_label("Purchase-order number (optional)").fill("PO-2026/17")
        other.get_by_label("Bank transfer").check()
        other.get_by_role("button", name="Place order").click()
        expect(other.get_by_text("Thank you for your order!")).to_be_visible()
        expect(other.locator("#order-status")).to_have_text("Awaiting approval")
        expect(other.locator("#order-po-number")).to_have_text("PO-2026/17")
        expect(other.locator("address.postal")).to_contain_text("Stuttgart")
        number = re.search(
            r"OK-\d{6}-[A-Z0-9]{6}", other.get_by_role("heading", level=1).inner_text()
        )
        assert number is not None

        follow_mailed_link(page, mail_server, owner, "waits for your approval")
        expect(page.locator("#order-status")).to_have_text("Awaiting approval")
        page.get_by_role("button", name="Approve the order").click()
        expect(page.get_by_text("You approved the order")).to_be_visible()
        expect(page.locator("#order-status")).to_have_text("Awaiting payment")
        mail_server.wait_for(colleague, subject_contains=number.group(0))

    # The owner's own order is paid by card at once: its invoice is there to download.
    _to_checkout(page, slug)
    page.get_by_label("Name on the card").fill("Lena Fischer")
    page.get_by_label("Card number").fill(SUCCESS_CARD)
    page.get_by_label("Expiry (MM/YY)").fill("12/35")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#order-status")).to_have_text("Paid")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"Download invoice \d{4}-\d{6}")).click()
    download = download_info.value
    assert re.fullmatch(r"okmarts-invoice-\d{4}-\d{6}\.pdf", download.suggested_filename)
    with open(download.path(), "rb") as handle:
        assert handle.read(4) == b"%PDF"
