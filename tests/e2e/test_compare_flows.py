"""An engineer compares parts: picks three from a listing, reads what differs, removes one, adds
one back by its SKU, and buys from the table. With JavaScript on (htmx swaps the table in place)
and off (plain links and GET forms)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.steps import assert_no_page_load, mark_page

PHONE = {"width": 375, "height": 740}


def pick_three_from_a_listing(page: Page) -> list[tuple[str, str]]:
    """Tick "Compare" on the first three parts in stock and press "Compare selected": their
    titles and SKUs."""
    page.goto("/products?in_stock=1")
    picked = []
    for index in range(3):
        card = page.locator(".card").nth(index)
        title = card.locator(".card-title").inner_text()
        picked.append((title, card.locator(".sku").inner_text()))
        card.get_by_role("checkbox", name=f"Compare {title}").check()
    page.get_by_role("button", name="Compare selected").click()
    expect(page).to_have_url(re.compile(r"/compare\?p=[^&]+&p=[^&]+&p=[^&]+$"))
    expect(page.get_by_role("heading", name="Compare parts", level=1)).to_be_visible()
    return picked


def compared_titles(page: Page) -> list[str]:
    return page.locator(".compare-product a").all_inner_texts()


def test_compare_parts_from_a_listing_and_buy_from_the_table(page: Page, javascript: bool) -> None:
    picked = pick_three_from_a_listing(page)
    titles = [title for title, _ in picked]
    expect(page.locator(".compare-product a")).to_have_text(titles)
    expect(page.locator("#compare-status")).to_have_text(re.compile(r"^Comparing 3 parts\."))
    # Rows that differ say so in words as well as colour; SKUs always differ.
    sku_row = page.locator("tr.fact-sku")
    expect(sku_row).to_have_class(re.compile(r"\bdiffers\b"))
    expect(sku_row.get_by_role("rowheader")).to_have_text(re.compile(r"SKU\s+Differs"))
    differing = page.locator("tbody tr.differs")
    assert differing.count() >= 1
    for index in range(differing.count()):
        expect(differing.nth(index).locator(".differs-mark")).to_have_text("Differs")
    alike = page.locator("tbody tr:not(.differs):not(.compare-actions)")
    for index in range(alike.count()):
        expect(alike.nth(index).locator(".differs-mark")).to_have_count(0)

    # Only the differences, then all rows again.
    mark_page(page, javascript)
    page.get_by_role("link", name="Show only differences").click()
    expect(page).to_have_url(re.compile(r"diff=1"))
    expect(page.get_by_role("link", name="Show all rows")).to_be_visible()
    expect(page.locator("tbody tr:not(.differs):not(.compare-actions)")).to_have_count(0)
    page.get_by_role("link", name="Show all rows").click()
    expect(page).not_to_have_url(re.compile(r"diff=1"))

    # Remove the second part: the table keeps the other two.
    page.get_by_role("link", name=f"Remove {titles[1]}").click()
    expect(page.locator(".compare-product a")).to_have_text([titles[0], titles[2]])
    expect(page).to_have_url(re.compile(r"/compare\?p=[^&]+&p=[^&]+$"))
    expect(page.locator("#compare-status")).to_have_text(re.compile(r"^Comparing 2 parts\."))
    if javascript:
        # The link used is gone: the focus moves to the count, which says what changed.
        expect(page.locator("#compare-status")).to_be_focused()
    # … and add it back by its SKU, typed in small letters.
    page.get_by_label("SKU or product address").fill(picked[1][1].lower())
    page.get_by_role("button", name="Add to comparison").click()
    expect(page.locator(".compare-product a")).to_have_text([titles[0], titles[2], titles[1]])
    expect(page).to_have_url(re.compile(r"/compare\?p=[^&]+&p=[^&]+&p=[^&]+$"))
    # A SKU nobody has: said beside the field, the comparison untouched.
    page.get_by_label("SKU or product address").fill("NO-SUCH-SKU")
    page.get_by_role("button", name="Add to comparison").click()
    expect(page.get_by_text("No part has the SKU or address “NO-SUCH-SKU”.")).to_be_visible()
    expect(page.locator(".compare-product a")).to_have_count(3)
    assert_no_page_load(page, javascript)

    # Buy the first one from the table.
    page.get_by_role("button", name=f"Add to cart {titles[0]}").click()
    if javascript:
        feedback = page.locator(".compare-actions .cart-feedback").first
        expect(feedback).to_contain_text("Added to your cart.")
        page.get_by_role("link", name="View cart").click()
    expect(page).to_have_url(re.compile(r"/cart"))
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_text(titles[0]).first).to_be_visible()


def test_compare_link_on_the_product_page(page: Page) -> None:
    page.goto("/products")
    title = page.locator(".card .card-title").first.inner_text()
    page.locator(".card a").first.click()
    page.get_by_role("link", name="Compare with other parts").click()
    expect(page).to_have_url(re.compile(r"/compare\?p=[a-z0-9-]+$"))
    expect(page.locator(".compare-product a")).to_have_text([title])
    # One part: nothing to differ from, no switch for differences.
    expect(page.get_by_role("link", name="Show only differences")).to_have_count(0)


def test_on_a_phone_the_table_scrolls_in_its_box_with_names_in_view(page: Page) -> None:
    page.set_viewport_size(PHONE)
    pick_three_from_a_listing(page)
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "page scrolls sideways"
    box = page.locator(".compare-scroll")
    assert box.evaluate("e => e.scrollWidth > e.clientWidth"), "the table fits: nothing to scroll"
    name = page.locator("tr.fact-price th[scope=row]")
    before = name.bounding_box()
    box.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
    after = name.bounding_box()
    assert before and after and abs(after["x"] - before["x"]) < 1, "the names column scrolled away"
    price = page.locator("tr.fact-price td").first.bounding_box()
    assert price and price["x"] < before["x"], "the products did not scroll under the names"


def test_printed_comparison_leaves_out_the_shop_around_it(page: Page) -> None:
    pick_three_from_a_listing(page)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(page.locator(".compare-add")).to_be_hidden()
    expect(page.locator(".compare-actions")).to_be_hidden()
    expect(page.locator(".compare-table")).to_be_visible()
    box = page.locator(".compare-scroll")
    assert box.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "the printed table is cut"
