"""Kits and recommendations in the browser, with JavaScript on and off: add a whole kit to the
cart, and dismiss a recommendation (remembered in the visitor's own cookie, with preferences
cookies accepted)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.conftest import TestDatabase
from tests.e2e.conftest import execute, query
from tests.e2e.steps import assert_no_page_load, mark_page


def test_add_the_starter_kit_to_the_cart(page: Page, javascript: bool) -> None:
    page.goto("/kits/starter-kit")
    expect(page.get_by_role("heading", level=1, name="Starter kit")).to_be_visible()
    parts = page.locator(".kit-page tbody tr")
    expect(parts).to_have_count(4)
    expect(page.get_by_text(re.compile(r"You save \$[\d,.]+ with the kit\."))).to_be_visible()
    mark_page(page, javascript)
    page.get_by_role("button", name="Add the kit").click()
    if javascript:
        # In place: the kit's feedback and the header's count (1 + 1 + 2 + 1 parts).
        expect(page.locator(".kit-buy .added")).to_contain_text("The kit is in your cart.")
        expect(page.locator("#cart-count")).to_contain_text("5")
        assert_no_page_load(page, javascript)
        page.get_by_role("link", name="View cart").click()
    expect(page).to_have_url(re.compile(r"/cart"))
    kits = page.get_by_role("region", name="Kits in your cart")
    expect(kits).to_contain_text("Starter kit × 1")
    expect(page.locator("#order-totals")).to_contain_text("Discount")


def test_dismiss_an_often_bought_together_product(
    page: Page, javascript: bool, seeded_database: TestDatabase
) -> None:
    # Two products often bought together (as placed orders would have counted them).
    [(a_id, a_slug, a_title), (b_id, _, b_title)] = query(
        seeded_database,
        "SELECT id, slug, title FROM product WHERE stock > 5 AND id NOT IN"
        " (SELECT product FROM product_pair) ORDER BY id DESC LIMIT 2",
    )
    for one, other in ((a_id, b_id), (b_id, a_id)):
        execute(
            seeded_database,
            f"INSERT INTO product_pair (product, other, orders) VALUES ({one}, {other}, 3)",
        )
    page.goto(f"/products/{a_slug}?v={uuid.uuid4().hex[:6]}")  # not a page cached before
    page.get_by_role("region", name="Your cookie choices").get_by_role(
        "button", name="Accept all"
    ).click()
    block = page.get_by_role("region", name="Engineers who bought this also added")
    card = block.locator(f"#bought-with-{b_id}")
    expect(card).to_contain_text(f"Often bought with {a_title}")
    expect(card).to_contain_text(b_title)
    mark_page(page, javascript)
    card.get_by_role("button", name=re.compile("Not interested")).click()
    if javascript:
        expect(block).to_contain_text("We won't recommend this product to you again.")
        assert_no_page_load(page, javascript)
    else:
        expect(page).to_have_url(re.compile(re.escape(f"/products/{a_slug}")))
        expect(page.locator(f"#bought-with-{b_id}")).to_have_count(0)
    # Remembered in this browser: the page again, without it.
    page.goto(f"/products/{a_slug}?v={uuid.uuid4().hex[:6]}")
    expect(page.get_by_role("heading", name="Technical specifications")).to_be_visible()
    expect(page.locator(f"#bought-with-{b_id}")).to_have_count(0)
