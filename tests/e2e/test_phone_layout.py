"""Phones: at 375 px (and at 1280 px where the layout is shared) forms keep their parts together,
tables fit the screen as stacked cards, checkboxes sit beside their labels and links look like
links. JavaScript on and off (the `page` fixture)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.conftest import TestDatabase
from tests.e2e.conftest import execute, query
from tests.e2e.steps import deliver_an_order
from tests.e2e.test_account_flows import new_email, sign_up
from tests.e2e.test_review_flows import verified
from tests.smtp import SmtpSink

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}

# The box of an element: {left, right, top, bottom}.
BOX = (
    "e => { const r = e.getBoundingClientRect();"
    " return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; }"
)


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


def test_the_search_filters_stay_in_one_box(page: Page) -> None:
    for size in (PHONE, DESKTOP):
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
            assert inside(part.evaluate(BOX), box), size
        label = page.locator("form.filters label.check")
        assert inside(label.evaluate(BOX), box), size


def cells_are_labelled_cards(page: Page, table: str) -> None:
    """At a phone's width, each row of the table is a card and each cell says what it holds."""
    rows = page.locator(f"{table} tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.first.evaluate("e => getComputedStyle(e).display") == "block"
    for cell in rows.first.locator("td").all():
        label = cell.get_attribute("data-label")
        if label is not None:
            shown = cell.evaluate("e => getComputedStyle(e, '::before').content")
            assert shown == f'"{label}"', shown
        # Nothing in the cell is cut off or pushed out of its card.
        assert cell.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    no_sideways_scroll(page)


def test_the_cart_is_a_stack_of_cards_on_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/products")
    page.locator(".grid .card a").first.click()
    page.get_by_role("button", name="Add to cart").first.click()
    expect(page.locator("#cart-count")).to_have_text(re.compile(r"^1\b"))
    page.goto("/cart")
    cells_are_labelled_cards(page, ".cart-table")
    width = page.evaluate("document.documentElement.clientWidth")
    remove = page.locator(".cart-table button[id^=remove-]").first
    assert remove.evaluate(BOX)["right"] <= width
    assert (
        page.locator(".cart-table td[data-label='Line total']").first.evaluate(BOX)["right"]
        <= width
    )
    # At a desktop's width it is a table again.
    page.set_viewport_size(DESKTOP)
    assert (
        page.locator(".cart-table tbody tr").first.evaluate("e => getComputedStyle(e).display")
        == "table-row"
    )


def test_orders_and_reviews_are_stacks_of_cards_on_a_phone(
    page: Page, seeded_database: TestDatabase
) -> None:
    email = new_email("phone")
    sign_up(page, email)
    deliver_an_order(seeded_database, email)
    page.set_viewport_size(PHONE)
    page.goto("/account/orders")
    cells_are_labelled_cards(page, "#order-list")
    page.locator("#order-list a").first.click()
    cells_are_labelled_cards(page, "table.stacked-table")


def test_checkboxes_sit_beside_their_labels_on_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/register")
    box = page.locator("#f-accept_policy").evaluate(BOX)
    label = page.locator("label[for=f-accept_policy]").evaluate(BOX)
    assert label["left"] >= box["right"]
    assert label["top"] < box["bottom"], "the label starts below the box"
    no_sideways_scroll(page)


def test_cookie_names_are_not_broken_on_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/cookies")
    names = page.locator(".cookie-settings td:first-child code")
    expect(names.first).to_be_visible()
    for name in names.all():
        assert name.evaluate("e => e.getClientRects().length") == 1, name.inner_text()


def test_the_personal_center_links_look_like_links_and_a_long_email_fits(page: Page) -> None:
    email = new_email("a-very-long-name-for-an-inbox-that-keeps-going-and-going")
    sign_up(page, email)
    for size in (PHONE, DESKTOP):
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
        shown = page.locator(".account-cards .card", has_text="Signed in as").locator(
            "p[translate=no]"
        )
        card = page.locator(".account-cards .card", has_text="Signed in as")
        assert inside(shown.evaluate(BOX), card.evaluate(BOX)), size
        assert shown.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
        no_sideways_scroll(page)


def test_after_a_click_on_the_cookie_banner_the_skip_link_stays_hidden(page: Page) -> None:
    for size, choice in ((PHONE, "Accept all"), (DESKTOP, "Reject all")):
        page.context.clear_cookies()
        page.set_viewport_size(size)
        page.goto("/products")
        banner = page.get_by_role("region", name="Your cookie choices")
        banner.get_by_role("button", name=choice).click()
        expect(banner).to_have_count(0)
        # Nothing covers the logo and the search box.
        assert page.locator("#skip-link").evaluate(BOX)["right"] <= 0, size
        logo = page.get_by_role("link", name="Okmarts home")
        assert logo.evaluate(
            "e => { const r = e.getBoundingClientRect();"
            " return document.elementFromPoint(r.left + 2, r.top + 2)?.closest('a') === e; }"
        ), size


def test_text_browsers_read_the_product_title_once_before_the_heading(
    page: Page, seeded_database: TestDatabase
) -> None:
    [(slug, title)] = execute(
        seeded_database,
        "SELECT p.slug, p.title FROM product p JOIN product_image i ON i.product = p.id"
        " GROUP BY p.id, p.slug, p.title HAVING count(*) >= 2 ORDER BY p.id LIMIT 1",
    )
    page.goto(f"/products/{slug}")
    alts = page.locator(".gallery img").evaluate_all("images => images.map(i => i.alt)")
    assert alts[0] == f"Picture of {title}"
    assert alts[1:] and all(alt == "" for alt in alts[1:]), alts


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
