"""A company buys in quantity: ten of a part with a 10+ price break, the break price and the
saving in the cart, then checkout as a French company with a valid VAT number — the order shows
the reverse charge. With JavaScript on (htmx swaps) and off (plain forms)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.conftest import TestDatabase
from tests.e2e.conftest import execute, query
from tests.e2e.steps import fill_address
from tests.e2e.test_checkout_flows import SUCCESS_CARD, verified_shopper_with_points
from tests.smtp import SmtpSink


def part_with_a_10_plus_break(database: TestDatabase) -> tuple[int, str, int]:
    """(id, slug, price) of a part in stock, in no kit, given a 10+ price break of 90 %."""
    [(product_id, slug, price)] = query(
        database,
        "SELECT id, slug, price_minor FROM product WHERE stock >= 50 AND status = 'active'"
        " AND points_price IS NULL AND price_minor BETWEEN 1000 AND 20000"
        " AND id NOT IN (SELECT product FROM bundle_part) ORDER BY id DESC LIMIT 1",
    )
    execute(
        database,
        "INSERT INTO price_break (product, min_quantity, price_minor) VALUES "
        f"({product_id}, 10, {price * 9 // 10}) ON CONFLICT DO NOTHING",
    )
    return product_id, slug, price


def dollars(minor: int) -> str:
    return f"${minor // 100:,}.{minor % 100:02d}"


def test_ten_at_the_break_price_then_a_reverse_charge_order(
    page: Page,
    javascript: bool,
    mail_server: SmtpSink,
    tmp_path: Path,
    seeded_database: TestDatabase,
) -> None:
    verified_shopper_with_points(page, mail_server, tmp_path)
    product_id, slug, price = part_with_a_10_plus_break(seeded_database)
    unit = price * 9 // 10

    page.goto(f"/products/{slug}")
    expect(page.locator("table.price-breaks")).to_contain_text("10+")
    expect(page.locator("table.price-breaks")).to_contain_text(dollars(unit))
    page.get_by_label("Quantity").fill("10")
    page.get_by_role("button", name="Add to cart", exact=True).click()
    if javascript:
        expect(page.get_by_text("Added to your cart.")).to_be_visible()
    expect(page.locator("#cart-count")).to_contain_text("10")

    page.goto("/cart")
    line = page.locator(f"#cart-line-{product_id}")
    expect(line).to_contain_text(dollars(unit))
    expect(line).to_contain_text(f"You save {dollars((price - unit) * 10)} with the 10+ price")
    expect(page.locator("#order-totals")).to_contain_text("VAT")

    page.get_by_role("link", name="Proceed to checkout").click()
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    fill_address(page, city="Paris")
    page.get_by_label("Country or region").select_option("FR")
    page.get_by_label("I am buying for a company (invoice with billing address)").check()
    page.get_by_label("Company", exact=True).fill("Usine Dupont SA")
    page.get_by_label("Tax number").fill("FR 40 303 265 045")
    page.get_by_label("Billing address", exact=True).fill("1 rue de Rivoli, 75001 Paris")
    page.get_by_role("button", name="Update totals").click()
    expect(page.locator("#order-totals")).to_contain_text(
        "Reverse charge: VAT to be accounted for by the recipient"
    )
    page.get_by_label("Name on the card").fill("Mia Wong")
    page.get_by_label("Card number").fill(SUCCESS_CARD)
    page.get_by_label("Expiry (MM/YY)").fill("12/35")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Place order").click()

    expect(page.get_by_text("Thank you for your order!")).to_be_visible()
    totals = page.locator("#order-totals")
    expect(totals).to_contain_text(re.compile(r"VAT 0%"))
    expect(totals).to_contain_text("Reverse charge: VAT to be accounted for by the recipient")
    expect(page.get_by_text("FR40303265045")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text(dollars(unit))
