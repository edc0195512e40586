"""A buyer pastes a 20-line parts list with two typos and a part out of stock, picks the
suggestions, puts everything in the cart, saves the cart as a list and moves the list to the
cart again: with JavaScript on (htmx swaps the quick order and the list in place) and off."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.conftest import TestDatabase
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import query
from tests.e2e.steps import assert_no_page_load, mark_page
from tests.e2e.test_notification_flows import signed_up_and_verified
from tests.smtp import SmtpSink


def _parts(database: TestDatabase) -> tuple[list[str], list[tuple[str, str]], str]:
    """17 SKUs to paste as they are, 2 (typo, meant) pairs, and a part that can't be bought."""
    rows = query(
        database,
        "SELECT sku FROM product WHERE status = 'active' AND stock >= 20 AND points_price IS NULL"
        " AND currency = 'USD' ORDER BY id LIMIT 60",
    )
    skus = [sku for (sku,) in rows]
    known = {sku.lower() for (sku,) in query(database, "SELECT sku FROM product")}
    typos: list[tuple[str, str]] = []
    for sku in skus[17:]:
        typo = sku[:-1] + ("7" if sku[-1] != "7" else "8")
        if typo.lower() not in known and len(typos) < 2:
            typos.append((typo, sku))
    [(gone,)] = query(
        database,
        "SELECT sku FROM product WHERE (stock = 0 AND status = 'active') OR status = "
        "'discontinued' ORDER BY status, id LIMIT 1",
    )
    return skus[:17], typos, gone


def test_paste_a_parts_list_pick_suggestions_buy_and_keep_it_as_a_list(
    page: Page, javascript: bool, mail_server: SmtpSink, seeded_database: TestDatabase
) -> None:
    exact, typos, gone = _parts(seeded_database)
    signed_up_and_verified(page, mail_server, "quick-order")
    # Written as buyers write them: quantity before or after, tabs, commas, semicolons.
    written = []
    for n, sku in enumerate(exact):
        written.append(
            (f"{sku}\t1", f"1 x {sku}", f"{sku.lower()};1", f"{sku.replace('-', '')}, 1")[n % 4]
        )
    text = "\n".join(
        ["Part number\tQty", *written, f"{typos[0][0]}, 2", f"2 x {typos[1][0]}", f"{gone};1"]
    )

    page.goto("/cart")
    page.get_by_role("link", name="Quick order from a parts list").click()
    expect(page.get_by_role("heading", name="Quick order", level=1)).to_be_visible()
    page.get_by_label("Parts list", exact=True).fill(text)
    mark_page(page, javascript)
    page.get_by_role("button", name="Find the parts").click()
    expect(page.get_by_role("heading", name="Your parts")).to_be_visible()
    assert_no_page_load(page, javascript)
    expect(page.get_by_text("17 lines matched")).to_be_visible()
    expect(page.get_by_text("2 to choose")).to_be_visible()
    expect(page.get_by_text("1 not available")).to_be_visible()

    # The two typos: the part meant is among the suggestions; the unavailable part: a replacement.
    for index, (_typo, meant) in zip((17, 18), typos, strict=True):
        row = page.locator(f"#line-{index}")
        expect(row.get_by_text("Did you mean")).to_be_visible()
        row.get_by_role("radio", name=re.compile(re.escape(meant))).check()
    unavailable = page.locator("#line-19")
    expect(unavailable.get_by_text(re.compile(r"is (out of stock|discontinued)"))).to_be_visible()
    unavailable.get_by_role("radio").first.check()
    if javascript:
        assert_accessible(page, "the quick order's results")
    page.get_by_role("button", name="Add all to cart").click()

    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_text("Added to your cart.")).to_be_visible()
    expect(page.locator("#cart-body tbody tr")).to_have_count(20)
    for sku in [*exact[:3], typos[0][1], typos[1][1]]:
        expect(page.locator("#cart-body").get_by_text(sku, exact=True)).to_be_visible()
    expect(page.locator("#cart-body").get_by_text(gone, exact=True)).to_have_count(0)

    # The cart becomes a saved list; a part comes off it; the list goes to the cart again.
    page.get_by_role("link", name="Save the cart as a list").click()
    if javascript:
        assert_accessible(page, "the choice of a list")
    page.get_by_label("Name of the new list").fill("Line 4 retrofit")
    page.get_by_role("button", name="Add to the list").click()
    expect(page.get_by_role("heading", name="Line 4 retrofit")).to_be_visible()
    expect(page.get_by_text("Added to the list.")).to_be_visible()
    items = page.locator("#list-items tbody tr")
    expect(items).to_have_count(20)
    if javascript:
        assert_accessible(page, "a saved list")
        # Shared read-only: parts and quantities, nothing about the owner.
        page.get_by_role("button", name="Share a read-only link").click()
        link = page.get_by_label("Share link").input_value()
        page.goto(link)
        expect(page.get_by_text("A parts list shared with you (read-only).")).to_be_visible()
        expect(page.locator("tbody tr")).to_have_count(20)
        assert_accessible(page, "a shared list")
        page.go_back()
    mark_page(page, javascript)
    items.last.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("Removed from the list.")).to_be_visible()
    expect(items).to_have_count(19)
    assert_no_page_load(page, javascript)
    page.get_by_role("button", name="Add the whole list to the cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    first = page.locator("#cart-body tbody tr").first.get_by_role("spinbutton")
    expect(first).to_have_value("2")  # 1 from the quick order, 1 from the list
