"""A shopper buys parts end to end: cart, coupon, points, a declined card, then a good one, and
sees the order in My Orders. With JavaScript on (htmx swaps) and off (plain forms)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.conftest import TestDatabase
from tests.e2e.conftest import query
from tests.e2e.steps import assert_no_page_load, fill_address, mark_page
from tests.e2e.test_account_flows import complete_profile, follow_mailed_link, new_email, sign_up
from tests.smtp import SmtpSink

SUCCESS_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"


def verified_shopper_with_points(page: Page, mail_server: SmtpSink, tmp_path: Path) -> str:
    """Sign up, confirm the email, complete the profile: a verified shopper with 50 points."""
    email = new_email("buyer")
    sign_up(page, email)
    follow_mailed_link(page, mail_server, email, "Confirm your email address")
    page.goto("/account/profile")
    complete_profile(page, tmp_path)
    return email


def well_stocked_products(database: TestDatabase, count: int) -> list[tuple[str, str]]:
    """(sku, slug) of products with plenty of stock, priced well above the coupon's minimum."""
    return query(
        database,
        "SELECT sku, slug FROM product WHERE stock >= 50 AND price_minor BETWEEN 8000 AND 90000"
        f" AND points_price IS NULL ORDER BY id LIMIT {count}",
    )


def test_buy_two_products_with_a_coupon_and_points(
    page: Page,
    javascript: bool,
    mail_server: SmtpSink,
    tmp_path: Path,
    seeded_database: TestDatabase,
) -> None:
    email = verified_shopper_with_points(page, mail_server, tmp_path)
    (first_sku, _), (_, second_slug) = well_stocked_products(seeded_database, 2)

    # From a list of results: the card's button (htmx answers in place, without JS the cart opens).
    page.goto(f"/search?q={first_sku}")
    first_card = page.locator(".grid .card").first
    first_title = first_card.locator(".card-title").inner_text()
    mark_page(page, javascript)
    first_card.get_by_role("button", name="Add to cart").click()
    if javascript:
        expect(first_card.get_by_text("Added to your cart.")).to_be_visible()
        expect(page.locator("#cart-count")).to_contain_text("1")
        assert_no_page_load(page, javascript)
    else:
        expect(page.get_by_text("Added to your cart.")).to_be_visible()
        page.get_by_role("link", name="Continue shopping").click()

    # From a product page, two of another product.
    page.goto(f"/products/{second_slug}")
    second_title = page.get_by_role("heading", level=1).inner_text()
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart", exact=True).click()
    if javascript:
        expect(page.get_by_text("Added to your cart.")).to_be_visible()
    expect(page.locator("#cart-count")).to_contain_text("3")

    page.goto("/cart")
    expect(page.get_by_role("link", name=first_title)).to_be_visible()
    expect(page.get_by_role("link", name=second_title)).to_be_visible()
    mark_page(page, javascript)
    page.get_by_label(f"Quantity of {first_title}").fill("2")
    page.locator(f"#cart-line-{_line_id(page, first_title)}").get_by_role(
        "button", name="Update"
    ).click()
    expect(page.get_by_text("Quantity changed.")).to_be_visible()
    expect(page.locator("#cart-count")).to_contain_text("4")
    assert_no_page_load(page, javascript)

    page.get_by_role("link", name="Proceed to checkout").click()
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    fill_address(page)
    page.get_by_label("Coupon code").fill("WELCOME10")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#order-totals")).to_contain_text("WELCOME10")
    page.get_by_label("Points to use").fill("50")
    page.get_by_role("button", name="Update totals").click()
    expect(page.locator("#order-totals")).to_contain_text("50 points")

    page.get_by_label("Name on the card").fill("Mia Wong")
    page.get_by_label("Card number").fill(DECLINED_CARD)
    page.get_by_label("Expiry (MM/YY)").fill("12/35")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("alert").get_by_text("Your card was declined.")).to_be_visible()
    expect(page.get_by_text("your cart is kept")).to_be_visible()
    expect(page.get_by_label("Card number")).to_have_value("")

    page.get_by_label("Card number").fill(SUCCESS_CARD)
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("Thank you for your order!")).to_be_visible()
    number = re.search(r"OK-\d{6}-[A-Z0-9]{6}", page.get_by_role("heading", level=1).inner_text())
    assert number is not None
    expect(page.locator("#order-status")).to_have_text("Paid")
    expect(page.locator("#cart-count")).to_contain_text("0")
    mail_server.wait_for(email, subject_contains=number.group(0))

    page.get_by_role("link", name="My orders").click()
    expect(page.get_by_role("link", name=number.group(0))).to_be_visible()
    page.get_by_role("link", name=number.group(0)).click()
    expect(page.get_by_text("Visa •••• 4242")).to_be_visible()
    expect(page.get_by_text("WELCOME10")).to_be_visible()


def _line_id(page: Page, title: str) -> str:
    row = page.locator("tr", has=page.get_by_role("link", name=title))
    return (row.get_attribute("id") or "").removeprefix("cart-line-")
