"""A buyer reviews a delivered part, another shopper votes and changes the vote, and asks a
question: with JavaScript on (htmx swaps) and off (plain forms)."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.conftest import TestDatabase
from tests.e2e.conftest import execute, query
from tests.e2e.steps import assert_no_page_load, deliver_an_order, mark_page
from tests.e2e.test_account_flows import follow_mailed_link, new_email, sign_up
from tests.smtp import SmtpSink


def verified(page: Page, mail_server: SmtpSink, prefix: str) -> str:
    email = new_email(prefix)
    sign_up(page, email)
    follow_mailed_link(page, mail_server, email, "Confirm your email address")
    return email


def test_review_vote_and_ask(
    page: Page, javascript: bool, mail_server: SmtpSink, seeded_database: TestDatabase
) -> None:
    buyer = verified(page, mail_server, "reviewer")
    headline = f"Reliable under vibration {uuid.uuid4().hex[:6]}"
    [(_, slug, title)] = deliver_an_order(seeded_database, buyer)
    page.get_by_role("link", name="Go to my account").click()
    page.get_by_role("link", name="Reviews and questions").click()
    page.get_by_role("link", name=f"Review {title}").click()
    page.get_by_label("4 stars").check()
    page.get_by_label("Title").fill(headline)
    page.get_by_label("Your review").fill("Ran three months on a press line without a fault.")
    page.get_by_role("button", name="Submit review").click()
    expect(page.get_by_text("Your review is waiting for moderation")).to_be_visible()
    expect(page.get_by_role("cell", name="Pending moderation")).to_be_visible()
    execute(seeded_database, f"UPDATE review SET status = 'approved' WHERE title = '{headline}'")
    page.get_by_role("button", name="Sign out").click()

    verified(page, mail_server, "voter")
    page.goto(f"/products/{slug}")
    review = page.locator(".review", has_text=headline)
    expect(review).to_contain_text("Verified purchase")
    mark_page(page, javascript)
    review.get_by_role("button", name="Helpful (0)", exact=True).click()
    expect(review.get_by_role("button", name="Helpful (1)", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    review.get_by_role("button", name="Not helpful (0)").click()
    expect(review.get_by_role("button", name="Not helpful (1)")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(review.get_by_role("button", name="Helpful (0)", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    assert_no_page_load(page, javascript)
    [(helpful, unhelpful)] = query(
        seeded_database,
        f"SELECT helpful_count, not_helpful_count FROM review WHERE title = '{headline}'",
    )
    assert (helpful, unhelpful) == (0, 1)

    mark_page(page, javascript)
    asked = f"Which DIN rail adapters fit this part? ({headline[-6:]})"
    page.get_by_label("Your question").fill(asked)
    page.get_by_role("button", name="Ask").click()
    expect(page.get_by_text("Thank you! Your question will appear here")).to_be_visible()
    assert_no_page_load(page, javascript)
    rows = query(
        seeded_database,
        f"SELECT status FROM question WHERE body = '{asked}'",
    )
    assert rows == [("pending",)]
