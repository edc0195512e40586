"""A shopper with only a keyboard, and a screen reader listening: Tab, Enter and Space, no mouse.
The skip link, adding to the cart and changing a quantity, a form sent with mistakes, the
cookie banner, a helpful vote and a question. Every element that takes the focus shows it.
With JavaScript on (htmx) and off."""

from __future__ import annotations

import uuid
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.conftest import TestDatabase
from tests.e2e.conftest import execute, query
from tests.e2e.test_review_flows import verified
from tests.smtp import SmtpSink

FOCUSED = "document.activeElement"
# What a sighted keyboard user sees of the focused element: its ring, and where it is.
FOCUS_STATE = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  return {
    tag: element.tagName.toLowerCase(),
    id: element.id,
    text: (element.innerText || element.value || '').trim(),
    label: element.getAttribute('aria-label') || '',
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    shadow: style.boxShadow !== 'none',
    visible: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
      && box.top < innerHeight && box.left < innerWidth,
  };
}"""


def focus_state(page: Page) -> dict[str, Any]:
    return page.evaluate(FOCUS_STATE)


def assert_focus_visible(page: Page) -> dict[str, Any]:
    state = focus_state(page)
    assert state["tag"] != "body", "the focus was lost to <body>"
    assert state["visible"], f"the focused element is off screen: {state}"
    assert state["outline"] or state["shadow"], f"no visible focus indicator on {state}"
    return state


def tab_to(page: Page, target: Locator, limit: int = 80) -> None:
    """Press Tab until target has the focus, checking the focus ring on every stop."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        assert_focus_visible(page)
        if target.evaluate(f"element => element === {FOCUSED}"):
            return
    raise AssertionError(f"{target} never got the focus in {limit} presses of Tab")


def choose_cookies_by_keyboard(page: Page) -> None:
    banner = page.get_by_role("region", name="Your cookie choices")
    tab_to(page, banner.get_by_role("button", name="Reject all"))
    page.keyboard.press("Enter")
    expect(banner).to_have_count(0)


def stocked_product(database: TestDatabase) -> tuple[str, str]:
    [(slug, title)] = query(
        database,
        "SELECT slug, title FROM product WHERE stock >= 50 AND points_price IS NULL"
        " ORDER BY id DESC LIMIT 1",
    )
    return slug, title


def test_the_skip_link_is_first_and_moves_the_focus_to_main(page: Page) -> None:
    page.goto("/products")
    page.keyboard.press("Tab")
    state = assert_focus_visible(page)
    assert state["text"] == "Skip to main content"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # The next Tab goes on from inside the main content, past the header.
    page.keyboard.press("Tab")
    assert page.evaluate(f"document.querySelector('main').contains({FOCUSED})")
    assert_focus_visible(page)


def test_add_to_cart_and_change_the_quantity_by_keyboard(
    page: Page, javascript: bool, seeded_database: TestDatabase
) -> None:
    slug, title = stocked_product(seeded_database)
    page.goto(f"/products/{slug}")
    choose_cookies_by_keyboard(page)
    add = page.locator(".summary").get_by_role("button", name="Add to cart")
    tab_to(page, add)
    page.keyboard.press("Enter")
    expect(page.locator("#cart-count")).to_contain_text("1")
    if javascript:
        # Answered in place: the focus stays on the button, the live region says what happened.
        feedback = page.locator(".summary .cart-feedback")
        expect(feedback).to_have_attribute("aria-live", "polite")
        expect(feedback).to_contain_text(f"Added to your cart. {title}. Your cart holds 1 item.")
        expect(add).to_be_focused()
        page.goto("/cart")
    else:
        expect(page.locator("#cart-notice")).to_contain_text("Added to your cart.")
        expect(page.locator("#cart-notice")).to_have_attribute("role", "status")
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()

    quantity = page.get_by_label(f"Quantity of {title}")
    tab_to(page, quantity)
    page.keyboard.press("ArrowUp")
    expect(quantity).to_have_value("2")
    page.keyboard.press("Enter")
    expect(page.locator("#cart-count")).to_contain_text("2")
    # Said in the page's status region (a live region that htmx fills, so it is read out).
    expect(page.get_by_role("status").filter(has_text="Quantity changed.")).to_have_text(
        "Quantity changed. Your cart holds 2 items."
    )
    if javascript:
        # The row was swapped: the focus is kept on the same field.
        expect(quantity).to_be_focused()

    remove = page.get_by_role("button", name=f"Remove {title}")
    tab_to(page, remove)
    page.keyboard.press(" ")
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()
    expect(page.locator("#cart-count")).to_contain_text("0")
    expect(page.get_by_role("status").filter(has_text="Removed")).to_have_text(
        "Removed from your cart. Your cart holds 0 items."
    )
    if javascript:
        # The row and its button are gone: the focus moves on to the way back to the products.
        expect(page.get_by_role("link", name="Browse all products")).to_be_focused()
        assert_focus_visible(page)


def test_a_form_with_mistakes_ties_each_message_to_its_field(page: Page, javascript: bool) -> None:
    page.goto("/register")
    choose_cookies_by_keyboard(page)
    tab_to(page, page.get_by_label("Email address"))
    page.keyboard.type("not an address")
    tab_to(page, page.get_by_role("button", name="Create account"))
    page.keyboard.press("Enter")

    # The summary takes the focus, so it is read out first; it counts the problems.
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    invalid = page.locator("[aria-invalid=true]")
    expect(invalid.first).to_be_visible()
    # The address, the missing password and the policy not accepted.
    expect(invalid).to_have_count(3)
    expect(summary).to_have_text("Please correct 3 problems below.")
    for index in range(invalid.count()):
        field = invalid.nth(index)
        described = (field.get_attribute("aria-describedby") or "").split()
        errors = [page.locator(f"#{name}") for name in described if name.endswith("-error")]
        assert errors, f"{field} has no error message tied to it"
        expect(errors[0]).to_be_visible()
        expect(errors[0]).to_have_class("field-error")
        expect(errors[0]).not_to_be_empty()
    expect(page.get_by_label("Email address")).to_have_value("not an address")


def test_the_cookie_banner_by_keyboard(page: Page, javascript: bool) -> None:
    page.goto("/products")
    banner = page.get_by_role("region", name="Your cookie choices")
    expect(banner).to_be_visible()
    page.keyboard.press("Tab")
    assert focus_state(page)["text"] == "Skip to main content"
    page.keyboard.press("Tab")
    expect(banner.get_by_role("button", name="Accept all")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.press("Tab")
    expect(banner.get_by_role("button", name="Reject all")).to_be_focused()
    page.keyboard.press(" ")
    expect(banner).to_have_count(0)
    if javascript:
        # The banner and its buttons are gone: the focus waits on the skip link, at the top.
        expect(page.locator("#skip-link")).to_be_focused()
        assert_focus_visible(page)
        expect(page.locator("#announcer")).to_have_text("Your cookie choices are saved.")
    else:
        # The page again, without the banner: the first Tab reaches the skip link.
        page.keyboard.press("Tab")
        assert focus_state(page)["text"] == "Skip to main content"
    page.keyboard.press("Tab")
    state = assert_focus_visible(page)
    assert state["label"] == "Okmarts home", "next comes the header, first its logo"


def test_vote_and_ask_by_keyboard_and_hear_what_happened(
    page: Page, javascript: bool, mail_server: SmtpSink, seeded_database: TestDatabase
) -> None:
    slug, _ = stocked_product(seeded_database)
    headline = f"Quiet and cool {uuid.uuid4().hex[:6]}"
    # A published review by a former customer (set up in the database).
    execute(
        seeded_database,
        "INSERT INTO review (product, account, order_line, rating, title, body, status,"
        " rejection_reason, moderated_by, helpful_count, not_helpful_count, helpful_score,"
        f" created_at) VALUES ((SELECT id FROM product WHERE slug = '{slug}'), NULL, NULL, 5,"
        f" '{headline}', 'Runs all day.', 'approved', '', 'staff', 0, 0, 0, CURRENT_TIMESTAMP)",
    )
    verified(page, mail_server, "keyboard-voter")
    page.goto(f"/products/{slug}")
    choose_cookies_by_keyboard(page)

    review = page.locator(".review", has_text=headline)
    tab_to(page, review.get_by_role("button", name="Helpful (0)", exact=True))
    page.keyboard.press("Enter")
    pressed = review.get_by_role("button", name="Helpful (1)", exact=True)
    expect(pressed).to_have_attribute("aria-pressed", "true")
    if javascript:
        # Swapped in place: the focus stays on the button, and the new counts are announced.
        expect(pressed).to_be_focused()
        expect(page.locator("#announcer")).to_have_text(
            "Thank you for your vote. Helpful: 1. Not helpful: 0."
        )

    question = page.get_by_label("Your question")
    tab_to(page, question)
    page.keyboard.type("Does it come with a DIN rail clip?")
    tab_to(page, page.get_by_role("button", name="Ask", exact=True))
    page.keyboard.press("Enter")
    # The form gave way to the confirmation, which takes the focus (after a page load too).
    confirmation = page.get_by_role("status").filter(has_text="Thank you! Your question")
    expect(confirmation).to_be_focused()
    assert_focus_visible(page)


def test_turning_to_the_last_page_of_a_listing_by_keyboard(page: Page, javascript: bool) -> None:
    page.goto("/products")
    choose_cookies_by_keyboard(page)
    pages = int(page.locator(".pagination span").inner_text().rsplit(" ", 1)[-1].replace(",", ""))
    page.goto(f"/products?page={pages - 1}")
    # Past some fifty cards' links and buttons (reaching each by Tab is tested above).
    page.get_by_role("link", name="Next").focus()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator(".pagination")).to_contain_text(f"Page {pages} of {pages}")
    expect(page.get_by_role("link", name="Next")).to_have_count(0)
    assert page.url.endswith(f"page={pages}")
    if javascript:
        # The link used is gone on the last page: the focus moves to the top of the new results,
        # which says where the shopper is, instead of being lost to <body>.
        count = page.locator("#results-count")
        expect(count).to_be_focused()
        expect(count).to_contain_text(f"Page {pages} of {pages}")
        assert_focus_visible(page)
