"""A shopper narrows a sensor category by its specs: with JavaScript on (htmx swaps the results
and the counts in place) and off (the same form, a plain GET)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.conftest import TestDatabase
from tests.e2e.conftest import query
from tests.e2e.steps import assert_no_page_load, mark_page

CATEGORY = "proximity-sensors"


def shown_count(page: Page) -> int:
    return int(re.sub(r"\D", "", page.locator("#results-count").inner_text()))


def apply(page: Page, javascript: bool) -> None:
    if not javascript:
        page.get_by_role("button", name="Apply").click()


def expected(database: TestDatabase, output_type: str, min_metres: float) -> int:
    """Products of the category with this output type, sensing at least this far: read from
    the specs as the database holds them (product_spec_value, in base units)."""
    [(count,)] = query(
        database,
        "SELECT count(*) FROM product p JOIN category c ON c.id = p.category "
        f"WHERE c.slug = '{CATEGORY}' "
        "AND p.id IN (SELECT product FROM product_spec_value WHERE key = 'Output type' "
        f"AND choice = '{output_type}') "
        "AND p.id IN (SELECT product FROM product_spec_value WHERE key = 'Sensing distance' "
        f"AND low >= {min_metres})",
    )
    return int(count)


def test_filter_sensors_by_an_output_type_and_a_sensing_distance(
    page: Page, javascript: bool, seeded_database: TestDatabase
) -> None:
    page.goto(f"/categories/{CATEGORY}")
    everything = shown_count(page)
    cards_before = page.locator(".card .card-title").all_inner_texts()
    output_types = page.get_by_role("group", name="Output type")
    expect(output_types).to_be_visible()

    # An enumeration: tick a value; the page lists exactly as many as its count said.
    box = output_types.get_by_role("checkbox").first
    value = box.get_attribute("value") or ""
    label = box.locator("xpath=..").inner_text()
    count = int(re.sub(r"\D", "", label.rsplit("(", 1)[1]))
    assert 0 < count < everything
    mark_page(page, javascript)
    box.check()
    apply(page, javascript)
    expect(page).to_have_url(re.compile(r"spec\.output-type="))
    expect(page.locator("#results-count")).to_have_text(re.compile(rf"^{count} products?$"))
    assert page.locator(".card .card-title").all_inner_texts() != cards_before
    expect(
        page.get_by_role("group", name="Output type").get_by_role("checkbox", name=value)
    ).to_be_checked()
    assert_no_page_load(page, javascript)

    # A quantity, typed with its unit run in: "4mm".
    distance = page.get_by_role("group", name="Sensing distance").get_by_label("From")
    expect(page.locator("#min-sensing-distance-unit")).to_have_text("mm")
    distance.fill("4mm")
    distance.press("Enter")
    expect(page).to_have_url(re.compile(r"min\.sensing-distance=4mm"))
    want = expected(seeded_database, value, 0.004)
    expect(page.locator("#results-count")).to_have_text(re.compile(rf"^{want} products?$"))
    assert page.url.count("spec.output-type=") == 1, "the ticked value stays in the URL"
    expect(page.locator("#min-sensing-distance")).to_have_value("4mm")
    assert page.locator(".card").count() == min(want, 24)
    assert_no_page_load(page, javascript)

    # The URL alone gives the same page: shareable, bookmarkable.
    here = page.url
    page.goto(here)
    expect(page.locator("#results-count")).to_have_text(re.compile(rf"^{want} products?$"))
    expect(page.locator("#min-sensing-distance")).to_have_value("4mm")


def test_a_wrong_unit_is_explained_beside_its_box(page: Page, javascript: bool) -> None:
    page.goto(f"/categories/{CATEGORY}")
    distance = page.locator("#min-sensing-distance")
    distance.fill("4 V")
    distance.press("Enter")
    expect(page.locator("#min-sensing-distance-error")).to_contain_text("Enter a number in mm")
    expect(distance).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#results-count")).to_be_visible()


def test_narrow_a_search_to_a_category_and_a_spec(page: Page, javascript: bool) -> None:
    page.goto("/search?q=sensor")
    categories = page.get_by_role("group", name="Category")
    expect(categories).to_be_visible()
    second = categories.get_by_role("radio").nth(2)  # (the first is "All categories")
    slug = second.get_attribute("value") or ""
    label = second.locator("xpath=..").inner_text()
    count = int(re.sub(r"\D", "", label.rsplit("(", 1)[1]))
    mark_page(page, javascript)
    second.check()
    apply(page, javascript)
    expect(page).to_have_url(re.compile(rf"category={slug}"))
    expect(page.locator("#results-count")).to_have_text(re.compile(rf"^{count} results?$"))
    assert_no_page_load(page, javascript)
    # The picked category's specs are offered: ticking a value gives as many as it said.
    box = page.locator(".search-facets input[type=checkbox]").first
    said = int(re.sub(r"\D", "", box.locator("xpath=..").inner_text().rsplit("(", 1)[1]))
    box.check()
    apply(page, javascript)
    expect(page).to_have_url(re.compile(r"spec\."))
    expect(page.locator("#results-count")).to_have_text(re.compile(rf"^{said} results?$"))
    assert_no_page_load(page, javascript)
