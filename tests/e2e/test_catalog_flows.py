"""A shopper browses, filters, searches and switches language: with JavaScript on and off."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.steps import assert_no_page_load, mark_page


def test_browse_a_category_filter_and_open_a_product(page: Page, javascript: bool) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="Categories")).to_be_visible()
    page.locator(".category-grid .category-name").first.click()
    expect(page).to_have_url(re.compile(r"/categories/[a-z0-9-]+$"))
    count_text = page.locator("#results-count").inner_text()
    total = int(re.sub(r"\D", "", count_text))
    assert total > 0

    brand_box = page.locator(".filters input[name=brand]").first
    brand_label = brand_box.locator("xpath=..").inner_text()
    brand_name = brand_label.rsplit("(", 1)[0].strip()
    brand_count = int(re.sub(r"\D", "", brand_label.rsplit("(", 1)[1]))
    mark_page(page, javascript)
    brand_box.check()
    if not javascript:
        page.get_by_role("button", name="Apply").click()
    # With JS the fragment swaps in place and the URL follows; without, the form loads the page.
    expect(page).to_have_url(re.compile(r"brand="))
    expect(page.locator("#results-count")).to_contain_text(str(brand_count))
    metas = page.locator(".card .card-meta").all_inner_texts()
    assert metas and all(meta.startswith(brand_name) for meta in metas)
    assert_no_page_load(page, javascript)

    page.locator("#listing-sort").select_option("price_asc")
    if not javascript:
        page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"sort=price_asc"))

    page.locator(".card a").first.click()
    expect(page).to_have_url(re.compile(r"/products/[a-z0-9-]+$"))
    expect(page.get_by_role("heading", name="Technical specifications")).to_be_visible()
    expect(page.locator(".specs tbody tr").first).to_be_visible()
    expect(page.locator(".summary .price")).to_contain_text("$")


def test_search_live_with_js_and_as_a_page_without(page: Page, javascript: bool) -> None:
    page.goto("/products")
    first_title = page.locator(".card .card-title").first.inner_text()
    page.goto("/")
    search = page.get_by_role("searchbox", name="Search parts")
    if javascript:
        mark_page(page, javascript)
        search.press_sequentially(first_title[:12], delay=30)
        live = page.locator("#live-search-results .live-panel")
        expect(live).to_be_visible()
        expect(page).to_have_url(re.compile(r"/$"))
        assert_no_page_load(page, javascript)
        expect(live.locator("li").first).to_be_visible()
        # A screen reader hears the count once, not the whole list at every keystroke.
        expect(page.locator("#announcer")).to_have_text(re.compile(r"^\d+ results?$"))
        expect(page.locator("#live-search-results")).not_to_have_attribute("aria-live", "polite")
        live.locator(".live-all").click()
    else:
        search.fill(first_title[:12])
        search.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q="))
    expect(page.get_by_role("heading", level=1)).to_contain_text(first_title[:12])
    expect(page.locator(".card-title", has_text=first_title).first).to_be_visible()

    page.goto("/search?q=qqqzzzxxw")
    expect(page.get_by_text("Nothing matches")).to_be_visible()


def test_switch_to_chinese_and_stay_there(page: Page, javascript: bool) -> None:
    page.goto("/products")
    page.locator("#language-choice").select_option("zh_Hans")
    page.locator("form.language button").click()
    expect(page).to_have_url(re.compile(r"/products$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("button", name="搜索")).to_be_visible()
    page.locator(".card a").first.click()
    expect(page.get_by_role("heading", name="技术规格")).to_be_visible()
    expect(page.locator(".summary .price")).to_contain_text("US$")


def test_missing_page_is_friendly(page: Page) -> None:
    response = page.goto("/products/this-part-does-not-exist")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="We can’t find that page")).to_be_visible()
