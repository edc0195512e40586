"""Phones and desktops: at 375 px and at 1280 px, JavaScript on and off, forms keep their parts
together, tables fit the screen (stacked cards on a phone, whole tables on a desktop), checkboxes
sit beside their labels and links look like links.

Each layout test is parametrized over the width (`size`, below) and over JavaScript (the `page`
fixture's `javascript` parameter, tests/e2e/conftest.py): four cases each. The signed-in shopper
the account pages need (a long email, a delivered order, a review waiting for moderation, a
filled cart) is made once per module and per database (`shopper`); each case only lends its
cookies to a fresh page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import TestDatabase
from tests.e2e.conftest import execute, query
from tests.e2e.steps import deliver_an_order
from tests.e2e.test_account_flows import new_email, sign_up
from tests.e2e.test_review_flows import verified
from tests.smtp import SmtpSink

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}

# Every layout test runs at both widths (and, through `page`, with JavaScript on and off).
BOTH_WIDTHS = pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["375px", "1280px"])

# The box of an element: {left, right, top, bottom}.
BOX = (
    "e => { const r = e.getBoundingClientRect();"
    " return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; }"
)

# The words of an element's visible text that a line break cuts in two ("Qu ant ity"); the
# parts of "drag-chain" or "A/B" may each end a line.
SPLIT_WORDS = """e => {
  const split = [];
  const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const words = /[^\\s\\-\\u2010/]+/g;  // a break after a hyphen or a slash is fine
    for (let word = words.exec(node.data); word; word = words.exec(node.data)) {
      const range = document.createRange();
      range.setStart(node, word.index);
      range.setEnd(node, word.index + word[0].length);
      const lines = new Set([...range.getClientRects()]
        .filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (lines.size > 1) split.push(word[0]);
    }
  }
  return split;
}"""


def inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        inner["left"] >= outer["left"] - 0.5
        and inner["right"] <= outer["right"] + 0.5
        and inner["top"] >= outer["top"] - 0.5
        and inner["bottom"] <= outer["bottom"] + 0.5
    )


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@dataclass
class Shopper:
    email: str
    cookies: list[Any]


@pytest.fixture(scope="module")
def shopper(browser: Browser, live_server: str, seeded_database: TestDatabase) -> Iterator[Shopper]:
    """One signed-in shopper for the module (per database): a long email, a delivered order with
    a review waiting for moderation, and the longest-titled product in the cart."""
    context = browser.new_context(
        base_url=live_server, locale="en-US", extra_http_headers={"Accept-Language": "en-US"}
    )
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        email = new_email("a-very-long-name-for-an-inbox-that-keeps-going-and-going")
        sign_up(page, email)
        [(line, _slug, _title)] = deliver_an_order(seeded_database, email)
        [(account,)] = query(seeded_database, f"SELECT id FROM account WHERE email = '{email}'")
        execute(
            seeded_database,
            "INSERT INTO review (product, account, order_line, rating, title, body, status,"
            " rejection_reason, moderated_by, helpful_count, not_helpful_count, helpful_score,"
            " created_at) VALUES ((SELECT product FROM order_line WHERE id ="
            f" {line}), {account}, {line}, 4, 'Works as described', 'Fine.', 'pending', '', '',"
            " 0, 0, 0, CURRENT_TIMESTAMP)",
        )
        [(slug,)] = query(
            seeded_database,
            "SELECT slug FROM product WHERE stock >= 50 AND points_price IS NULL"
            " ORDER BY length(title) DESC LIMIT 1",
        )
        page.goto(f"/products/{slug}")
        page.get_by_role("button", name="Add to cart", exact=True).click()
        expect(page.locator("#cart-count")).to_have_text(re.compile(r"^1\b"))
        yield Shopper(email, context.cookies())
    finally:
        context.close()


@pytest.fixture
def shopper_page(page: Page, shopper: Shopper) -> Page:
    """`page`, signed in as the module's shopper."""
    page.context.add_cookies(shopper.cookies)
    return page


@BOTH_WIDTHS
def test_the_search_filters_stay_in_one_box(page: Page, size: dict[str, int]) -> None:
    page.set_viewport_size(size)
    page.goto("/search?q=relay")
    form = page.locator("form.filters")
    assert form.evaluate("e => getComputedStyle(e).display") == "flex"
    box = form.evaluate(BOX)
    for part in (
        page.locator("#search-sort"),
        page.locator("#in-stock"),
        page.locator("#apply-filters"),
    ):
        assert inside(part.evaluate(BOX), box)
    # (The in-stock box, and the category and spec facets beside the results.)
    for label in page.locator("form.filters label.check").all():
        assert inside(label.evaluate(BOX), box), label.inner_text()
    no_sideways_scroll(page)


def table_fits(page: Page, table: str, size: dict[str, int]) -> None:
    """At a phone's width each row of the table is a card and each cell says what it holds; at
    a desktop's width it is a table. Either way nothing is cut off, nothing scrolls sideways and
    no word is split across lines."""
    rows = page.locator(f"{table} tbody tr")
    expect(rows.first).to_be_visible()
    display = rows.first.evaluate("e => getComputedStyle(e).display")
    if size == PHONE:
        assert display == "block"
    else:
        assert display == "table-row"
        headers = page.locator(f"{table} thead th")
        assert headers.count() >= 2
        for header in headers.all():
            assert header.evaluate(SPLIT_WORDS) == [], header.inner_text()
        # The whole table shows: neither the page nor the table's own box scrolls to hide a
        # column (the cart's "Line total" and "Remove").
        frame = page.locator(table).evaluate("e => e.parentElement.getBoundingClientRect().right")
        assert page.locator(table).evaluate(BOX)["right"] <= frame + 0.5
        assert page.locator(table).evaluate(
            "e => e.parentElement.scrollWidth <= e.parentElement.clientWidth + 1"
        )
    for row in rows.all():
        for cell in row.locator("td").all():
            if size == PHONE:
                label = cell.get_attribute("data-label")
                if label is not None:
                    shown = cell.evaluate("e => getComputedStyle(e, '::before').content")
                    assert shown == f'"{label}"', shown
            # Nothing in the cell is cut off or pushed out of its card.
            assert cell.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), cell.inner_text()
            assert cell.evaluate(SPLIT_WORDS) == [], cell.inner_text()
    no_sideways_scroll(page)


@BOTH_WIDTHS
def test_the_cart_fits_the_screen(shopper_page: Page, size: dict[str, int]) -> None:
    page = shopper_page
    page.set_viewport_size(size)
    page.goto("/cart")
    table_fits(page, ".cart-table", size)
    width = page.evaluate("document.documentElement.clientWidth")
    remove = page.locator(".cart-table button[id^=remove-]").first
    expect(remove).to_be_visible()
    assert remove.evaluate(BOX)["right"] <= width
    assert (
        page.locator(".cart-table td[data-label='Line total']").first.evaluate(BOX)["right"]
        <= width
    )


@BOTH_WIDTHS
def test_orders_and_reviews_fit_the_screen(shopper_page: Page, size: dict[str, int]) -> None:
    page = shopper_page
    page.set_viewport_size(size)
    page.goto("/account/orders")
    table_fits(page, "#order-list", size)
    page.locator("#order-list a").first.click()
    table_fits(page, "table.stacked-table", size)
    page.goto("/account/reviews")
    table_fits(page, "#my-reviews", size)
    expect(page.locator("#my-reviews")).to_contain_text("Pending moderation")


def beside(page: Page, box_id: str) -> None:
    """The checkbox's label starts on the box's line, to its right."""
    box = page.locator(f"#{box_id}").evaluate(BOX)
    label = page.locator(f"label[for={box_id}]").evaluate(BOX)
    assert label["left"] >= box["right"], box_id
    assert label["top"] < box["bottom"], f"the label of {box_id} starts below the box"


@BOTH_WIDTHS
def test_checkboxes_sit_beside_their_labels(page: Page, size: dict[str, int]) -> None:
    page.set_viewport_size(size)
    page.goto("/register")
    beside(page, "f-accept_policy")
    no_sideways_scroll(page)
    page.goto("/cookies")
    switches = page.locator(".cookie-switch input[type=checkbox]")
    assert switches.count() >= 2
    for switch in switches.all():
        beside(page, switch.get_attribute("id") or "")
    no_sideways_scroll(page)


@BOTH_WIDTHS
def test_cookie_names_are_not_broken(page: Page, size: dict[str, int]) -> None:
    page.set_viewport_size(size)
    page.goto("/cookies")
    names = page.locator(".cookie-settings td:first-child code")
    expect(names.first).to_be_visible()
    for name in names.all():
        assert name.evaluate("e => e.getClientRects().length") == 1, name.inner_text()
    for table in page.locator(".cookie-settings table").all():
        # Whole, within the page: a long name does not push the table out of the screen.
        assert table.evaluate(BOX)["right"] <= page.evaluate("document.documentElement.clientWidth")
        # Headers ("Kept for") and cells ("13 months") keep their words whole.
        for cell in table.locator("th, td").all():
            assert cell.evaluate(SPLIT_WORDS) == [], cell.inner_text()
    no_sideways_scroll(page)


@BOTH_WIDTHS
def test_the_personal_center_links_look_like_links_and_a_long_email_fits(
    shopper_page: Page, size: dict[str, int]
) -> None:
    page = shopper_page
    page.set_viewport_size(size)
    page.goto("/account")
    for name in ("See every change", "Edit profile", "Password and sign-ins"):
        link = page.locator(".account-cards").get_by_role("link", name=name)
        style = link.evaluate(
            "e => [getComputedStyle(e).textDecorationLine, getComputedStyle(e).color,"
            " getComputedStyle(e.closest('p')).color]"
        )
        assert "underline" in style[0], name
        assert style[1] != style[2], f"{name} has the colour of the text around it"
    card = page.locator(".account-cards .card", has_text="Signed in as")
    shown = card.locator("p[translate=no]")
    expect(shown).to_contain_text("a-very-long-name")
    assert inside(shown.evaluate(BOX), card.evaluate(BOX))
    assert shown.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    no_sideways_scroll(page)


# JavaScript on only, by nature: the fault was the banner's script moving focus to the skip
# link after a click; without JavaScript the choice is a form post and a fresh page, where
# focus starts at the top and the skip link shows only when tabbed to.
@pytest.mark.parametrize("javascript", [True], ids=["js-on"])
@pytest.mark.parametrize("choice", ["Accept all", "Reject all"])
@BOTH_WIDTHS
def test_after_a_click_on_the_cookie_banner_the_skip_link_stays_hidden(
    page: Page, size: dict[str, int], choice: str
) -> None:
    page.set_viewport_size(size)
    page.goto("/products")
    banner = page.get_by_role("region", name="Your cookie choices")
    banner.get_by_role("button", name=choice).click()
    expect(banner).to_have_count(0)
    # Nothing covers the logo and the search box.
    assert page.locator("#skip-link").evaluate(BOX)["right"] <= 0
    logo = page.get_by_role("link", name="Okmarts home")
    assert logo.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return document.elementFromPoint(r.left + 2, r.top + 2)?.closest('a') === e; }"
    )


@BOTH_WIDTHS
def test_text_browsers_read_the_product_title_once_before_the_heading(
    page: Page, seeded_database: TestDatabase, size: dict[str, int]
) -> None:
    [(slug, title)] = execute(
        seeded_database,
        "SELECT p.slug, p.title FROM product p JOIN product_image i ON i.product = p.id"
        " GROUP BY p.id, p.slug, p.title HAVING count(*) >= 2 ORDER BY p.id LIMIT 1",
    )
    page.set_viewport_size(size)
    page.goto(f"/products/{slug}")
    alts = page.locator(".gallery img").evaluate_all("images => images.map(i => i.alt)")
    assert alts[0] == f"Picture of {title}"
    assert alts[1:] and all(alt == "" for alt in alts[1:]), alts
    # What a text browser or a screen reader meets before the heading: the title once.
    before = page.evaluate(
        """() => { const h1 = document.querySelector('main h1'); const seen = [];
        for (const img of document.querySelectorAll('main img[alt]')) {
          const ahead = img.compareDocumentPosition(h1) & Node.DOCUMENT_POSITION_FOLLOWING;
          if (ahead) seen.push(img.alt);
        }
        return seen; }"""
    )
    assert sum(title in alt for alt in before) <= 1, before


def test_the_date_of_birth_says_its_format(page: Page) -> None:
    page.goto("/register")
    described = page.locator("#f-date_of_birth").get_attribute("aria-describedby") or ""
    hints = " ".join(page.locator(f"#{id}").inner_text() for id in described.split())
    assert "YYYY-MM-DD" in hints


def test_the_order_page_writes_the_address_as_its_country_does(
    page: Page, seeded_database: TestDatabase
) -> None:
    email = new_email("address")
    sign_up(page, email)
    deliver_an_order(seeded_database, email)
    page.goto("/account/orders")
    page.locator("#order-list a").first.click()
    address = page.locator("address.postal")
    # The United States: city, then zip code; the country named, not its code; upright.
    assert address.inner_text().splitlines()[:4] == ["R", "1 Y St", "X, 10001", "United States"]
    assert address.evaluate("e => getComputedStyle(e).fontStyle") == "normal"


def test_the_review_sort_choices_are_a_list(page: Page, seeded_database: TestDatabase) -> None:
    [(slug,)] = execute(seeded_database, "SELECT slug FROM product ORDER BY id DESC LIMIT 1")
    execute(
        seeded_database,
        "INSERT INTO review (product, account, order_line, rating, title, body, status,"
        " rejection_reason, moderated_by, helpful_count, not_helpful_count, helpful_score,"
        f" created_at) VALUES ((SELECT id FROM product WHERE slug = '{slug}'), NULL, NULL, 4,"
        " 'Sorted', 'Fine.', 'approved', '', 'staff', 0, 0, 0, CURRENT_TIMESTAMP)",
    )
    page.goto(f"/products/{slug}?sort=lowest")
    choices = page.locator(".review-sort li")
    # One choice an item: a text browser shows them apart, not run together.
    assert choices.count() >= 2
    expect(choices.filter(has=page.locator("a")).first).to_be_visible()


def test_checkout_choices_sit_beside_their_labels_and_quantities_stay_whole(
    page: Page, mail_server: SmtpSink, seeded_database: TestDatabase
) -> None:
    # "Express courier", "Save this address", "I am buying for a company", and "1 ×".
    verified(page, mail_server, "checkout-layout")
    [(slug,)] = query(
        seeded_database,
        "SELECT slug FROM product WHERE stock >= 50 AND points_price IS NULL"
        " ORDER BY length(title) DESC LIMIT 1",
    )
    page.goto(f"/products/{slug}")
    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(page.locator("#cart-count")).to_contain_text("1")
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        page.goto("/checkout")
        express = page.locator("label", has_text="Express courier")
        expect(express).to_be_visible()
        for box in (
            "#" + (express.get_attribute("for") or ""),
            "#f-save_address",
            "#f-for_company",
        ):
            box_box = page.locator(box).evaluate(BOX)
            label = page.locator(f"label[for={box[1:]}]").evaluate(BOX)
            assert label["left"] >= box_box["right"], (size, box)
            assert label["top"] < box_box["bottom"], (size, box, "the label starts below the box")
        # "1 ×" stays on one line in the order summary, however long the title.
        quantity = page.locator(".summary-lines li > span").first.evaluate(
            "e => { const r = document.createRange(); r.setStart(e.firstChild, 0);"
            " r.setEnd(e.firstChild, e.firstChild.length); return r.getClientRects().length; }"
        )
        assert quantity == 1, size
        no_sideways_scroll(page)
