"""A form far down a page (ask a question, vote on a review) or under a phone-high menu (a review
sent) answers with a confirmation the shopper sees without scrolling: with JavaScript on it is
swapped in place; without, the redirect's #fragment lands on it (text browsers follow it too).
At 375 px and 1280 px, JavaScript on and off."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.conftest import TestDatabase
from tests.e2e.conftest import execute, query
from tests.e2e.steps import deliver_an_order
from tests.e2e.test_phone_layout import DESKTOP, PHONE
from tests.e2e.test_review_flows import verified
from tests.smtp import SmtpSink


def a_product(database: TestDatabase, offset: int = 0) -> str:
    [(slug,)] = query(
        database, f"SELECT slug FROM product WHERE stock > 0 ORDER BY id LIMIT 1 OFFSET {offset}"
    )
    return slug


def test_after_asking_the_thank_you_is_in_view(
    page: Page, javascript: bool, mail_server: SmtpSink, seeded_database: TestDatabase
) -> None:
    verified(page, mail_server, "asker")
    for number, size in enumerate((PHONE, DESKTOP)):
        page.set_viewport_size(size)
        slug = a_product(seeded_database, number)
        page.goto(f"/products/{slug}")
        page.get_by_label("Your question").fill(f"Is a DIN rail clip included? ({number})")
        page.get_by_role("button", name="Ask", exact=True).click()
        thanks = page.get_by_role("status").filter(has_text="Thank you! Your question will")
        expect(thanks).to_be_in_viewport()
        if not javascript:
            expect(page).to_have_url(re.compile(rf"/products/{slug}\?asked=1#question-asked$"))
        # Where the shopper's eyes are: it has the focus (after a page load too).
        expect(thanks).to_be_focused()


def test_after_a_vote_the_thanks_is_beside_the_buttons_in_view(
    page: Page, javascript: bool, mail_server: SmtpSink, seeded_database: TestDatabase
) -> None:
    verified(page, mail_server, "voter-in-view")
    for number, size in enumerate((PHONE, DESKTOP)):
        page.set_viewport_size(size)
        slug = a_product(seeded_database, 10 + number)
        headline = f"Long-lived {uuid.uuid4().hex[:6]}"
        # A long review by a former customer: its buttons are far below its start on a phone.
        execute(
            seeded_database,
            "INSERT INTO review (product, account, order_line, rating, title, body, status,"
            " rejection_reason, moderated_by, helpful_count, not_helpful_count, helpful_score,"
            f" created_at) VALUES ((SELECT id FROM product WHERE slug = '{slug}'), NULL, NULL,"
            f" 5, '{headline}', '{'Runs all day on a packing line without a fault. ' * 30}',"
            " 'approved', '', 'staff', 0, 0, 0, CURRENT_TIMESTAMP)",
        )
        [(review_id,)] = query(seeded_database, f"SELECT id FROM review WHERE title = '{headline}'")
        page.goto(f"/products/{slug}")
        review = page.locator(".review", has_text=headline)
        expect(review).to_be_visible()  # within the cache's TTL of the insert
        review.get_by_role("button", name="Helpful (0)", exact=True).click()
        pressed = review.get_by_role("button", name="Helpful (1)", exact=True)
        expect(pressed).to_have_attribute("aria-pressed", "true")
        expect(pressed).to_be_in_viewport()
        if not javascript:
            expect(page).to_have_url(
                re.compile(rf"/products/{slug}\?voted={review_id}#votes-{review_id}$")
            )
            thanks = review.get_by_role("status").filter(has_text="Thank you for your vote.")
            expect(thanks).to_be_in_viewport()
            # Withdrawn: said too, and only beside that review.
            pressed.click()
            expect(review.get_by_role("status")).to_have_text("Your vote is withdrawn.")
            expect(review.get_by_role("status")).to_be_in_viewport()
            expect(page.locator(".review .votes [role=status]")).to_have_count(1)
        else:
            expect(page.locator("#announcer")).to_contain_text("Thank you for your vote.")


def test_after_sending_a_review_the_thanks_is_in_view(
    page: Page, javascript: bool, mail_server: SmtpSink, seeded_database: TestDatabase
) -> None:
    buyer = verified(page, mail_server, "reviewer-in-view")
    lines = deliver_an_order(seeded_database, buyer, products=2)
    for (_, _, title), size in zip(lines, (PHONE, DESKTOP), strict=True):
        page.set_viewport_size(size)
        page.goto("/account/reviews")
        page.get_by_role("link", name=f"Review {title}").click()
        page.get_by_label("5 stars").check()
        page.get_by_label("Title").fill("Does what it says")
        page.get_by_label("Your review").fill("Fitted in ten minutes, running since.")
        page.get_by_role("button", name="Submit review").click()
        thanks = page.get_by_role("status").filter(has_text="Your review is waiting")
        expect(thanks).to_be_in_viewport()
        expect(page).to_have_url(re.compile(r"/account/reviews\?notice=review-submitted#"))
