"""A shopper finds a replacement for a discontinued part: with JavaScript on and off."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import TestDatabase
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import query
from tests.e2e.steps import assert_no_page_load, mark_page


def test_finding_a_replacement_for_a_discontinued_part(
    page: Page, javascript: bool, seeded_database: TestDatabase
) -> None:
    # The demo discontinues a few parts, each with a drop-in replacement in stock.
    [(sku, title)] = query(
        seeded_database,
        "SELECT sku, title FROM product WHERE status = 'discontinued' ORDER BY id LIMIT 1",
    )

    # Still found by search, with a badge and no way to buy it.
    page.goto(f"/search?q={sku}")
    card = page.locator(".grid .card", has_text=title).first
    expect(card.get_by_text("Discontinued")).to_be_visible()
    expect(card.get_by_role("button", name="Add to cart")).to_have_count(0)
    card.locator("a").first.click()

    # Its page says so at the top, and where the replacements are.
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("This part is discontinued.")).to_be_visible()
    expect(page.locator(".summary").get_by_role("button", name="Add to cart")).to_have_count(0)
    page.get_by_role("link", name="See the parts that replace it below.").click()
    expect(page.get_by_role("heading", name="Replacements for this part")).to_be_visible()
    drop_ins = page.get_by_role("list", name="Drop-in replacements")
    replacement = drop_ins.locator(".replacement").first
    expect(replacement.get_by_text("Every critical spec equal or better")).to_be_visible()
    replacement_title = replacement.locator(".card-title").inner_text()
    if javascript:
        assert_accessible(page, "a discontinued part's page with its replacements")

    mark_page(page, javascript)
    replacement.get_by_role("button", name="Add to cart").click()
    if javascript:
        expect(replacement.get_by_text("Added to your cart.")).to_be_visible()
        expect(page.locator("#cart-count")).to_contain_text("1")
        assert_no_page_load(page, javascript)
    else:
        expect(page.get_by_text("Added to your cart.")).to_be_visible()

    page.goto("/cart")
    expect(page.get_by_role("link", name=replacement_title)).to_be_visible()
    expect(page.get_by_role("link", name=title)).to_have_count(0)
