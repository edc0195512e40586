"""A moderator signs in to the admin in Chromium, approves a pending review from the queue and
answers a question; the product page then shows both, and the asker has the email.
The admin is a JavaScript app: JavaScript on only. The moderation queue (/admin/moderation/) is
a page of ours, plain forms: JavaScript on and off."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from okmarts.services.moderation import RULES
from tests.conftest import TestDatabase
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import execute, query
from tests.e2e.test_admin import create_staff, sign_in
from tests.smtp import SmtpSink

AT = chr(64)  # typed out, an address may reach the file garbled
# Anonymous product pages are cached for 10 s.
PRODUCT_PAGE_WAIT_SECONDS = 15


def quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def now() -> str:
    return quoted(dt.datetime.now(dt.UTC).isoformat(sep=" "))


@pytest.fixture
def admin_page(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def pending_items(database: TestDatabase) -> dict[str, Any]:
    """An asker (locale en), a pending review and a pending question of an existing product."""
    [(product_id, slug)] = query(
        database, "SELECT id, slug FROM product WHERE stock > 0 ORDER BY id LIMIT 1"
    )
    tag = uuid.uuid4().hex[:8]
    email = f"asker-{tag}{AT}example.com"
    [(account_id,)] = execute(
        database,
        "INSERT INTO account (email, password_hash, locale, policy_version, policy_accepted_at,"
        f" created_at, nickname) VALUES ({quoted(email)}, 'not-a-hash', 'en', 'test', {now()},"
        f" {now()}, 'Asker') RETURNING id",
    )
    title = f"Quiet and cool {tag}"
    [(review_id,)] = execute(
        database,
        "INSERT INTO review (product, account, rating, title, body, status, created_at) VALUES"
        f" ({product_id}, {account_id}, 5, {quoted(title)},"
        f" 'Runs quiet at full load; the fan barely spins.', 'pending', {now()}) RETURNING id",
    )
    question = f"Is the mounting kit included? {tag}"
    [(question_id,)] = execute(
        database,
        "INSERT INTO question (product, account, body, status, created_at) VALUES"
        f" ({product_id}, {account_id}, {quoted(question)}, 'pending', {now()}) RETURNING id",
    )
    [(product_title,)] = query(database, f"SELECT title FROM product WHERE id = {product_id}")
    return {
        "slug": slug,
        "product_title": product_title,
        "email": email,
        "title": title,
        "review_id": review_id,
        "question": question,
        "question_id": question_id,
        "answer": f"Yes, the kit with four screws is in the box ({tag}).",
    }


def test_moderator_approves_a_review_and_answers_a_question(
    admin_page: Page,
    browser: Browser,
    live_server: str,
    mail_server: SmtpSink,
    seeded_database: TestDatabase,
) -> None:
    items = pending_items(seeded_database)
    email, password = create_staff(seeded_database, "moderator")
    page = admin_page
    sign_in(page, email, password)
    expect(page.get_by_text("Moderation", exact=True)).to_have_count(2)  # tables and forms
    expect(page.locator('a[href="#/account/"]')).to_have_count(0)

    # The queue: pending reviews, oldest first.
    page.get_by_role("link", name="Pending reviews").click()
    expect(page).to_have_url(re.compile(r"#/review\?status=pending"))
    row_link = page.get_by_role("link", name=items["title"])
    expect(row_link).to_be_visible()
    expect(page.get_by_text(items["email"])).to_have_count(0)

    # Its row names the product by its title, not its id, and shows the text.
    row = page.locator("tr", has=row_link)
    expect(row).to_contain_text(items["product_title"])
    expect(row).to_contain_text("Runs quiet at full load")
    # Reviews come from the shop: no "Add Row" here.
    expect(page.get_by_role("link", name="Add Row")).to_have_count(0)

    # Approve it in its edit form: the status is a choice list; what the author wrote and what
    # the shop records read as text, not fields to change.
    row_link.click()
    expect(page).to_have_url(re.compile(rf"#/review/{items['review_id']}/?$"))
    status = page.locator("select[name=status]")
    expect(status).to_have_value("pending")
    for column in ("title", "body", "rating", "helpful_count", "created_at"):
        expect(page.locator(f"[name={column}]")).to_have_count(0)
    expect(page.locator('p.read_only_value[data-column="title"]')).to_have_text(items["title"])
    expect(page.locator('p.read_only_value[data-column="product"]')).to_have_text(
        items["product_title"]
    )
    reason = page.locator("select[name=rejection_reason]")
    expect(reason.locator("option").first).to_have_text("(none)")
    expect(reason).to_have_css("text-transform", "none")  # the rules as written
    expect(reason.locator("option")).to_contain_text(["(none)", *RULES.values()])
    moderated_by = page.locator('p.read_only_value[data-column="moderated_by"]')
    expect(moderated_by).to_have_text("\u2014")
    status.select_option("approved")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Successfully saved row")).to_be_visible()
    # The form shows the row as saved: who moderated it, too.
    expect(moderated_by).to_have_text(email.lower())
    [(review_status, moderated_by)] = query(
        seeded_database,
        f"SELECT status, moderated_by FROM review WHERE id = {items['review_id']}",
    )
    assert (review_status, moderated_by) == ("approved", email.lower())
    assert query(
        seeded_database,
        "SELECT decision, staff FROM moderation_decision"
        f" WHERE item_type = 'review' AND item_id = {items['review_id']}",
    ) == [("approved", email.lower())]

    # The decision form's decision and rule are choice lists, "(none)" first.
    page.goto("/admin/")
    page.locator('a[href*="forms/decide-reviews"]').click()
    expect(page.locator("select[name=decision] option")).to_have_text(
        ["(none)", "Approve: publish", "Reject: name the rule broken"]
    )
    expect(page.locator("select[name=reason] option")).to_have_text(["(none)", *RULES.values()])
    expect(page.locator("select[name=reason]")).to_have_css("text-transform", "none")

    # Answer the question with the form (in the home page's menu): a multi-line text area.
    page.goto("/admin/")
    page.locator('a[href*="forms/answer-a-question"]').click()
    expect(page.get_by_text("email the asker, in their language")).to_be_visible()
    page.locator("input[name=question_id]").fill(str(items["question_id"]))
    page.locator("textarea[name=answer]:not(#editor)").fill(items["answer"])
    page.locator('[data-uitest="submit_custom_form_button"]').click()
    expect(
        page.get_by_text(f"Question {items['question_id']} is answered and published.")
    ).to_be_visible()

    # The product page, as a visitor sees it (no cookies; cached for up to 10 s).
    visitor = browser.new_context(base_url=live_server, locale="en-US")
    try:
        product_page = visitor.new_page()
        product_page.set_default_timeout(10_000)
        reviews = product_page.locator("#reviews")
        questions = product_page.locator("#questions")
        deadline = time.monotonic() + PRODUCT_PAGE_WAIT_SECONDS
        while True:
            product_page.goto(f"/products/{items['slug']}")
            shown = (
                reviews.count() > 0
                and questions.count() > 0
                and items["title"] in reviews.inner_text()
                and items["answer"] in questions.inner_text()
            )
            if shown or time.monotonic() > deadline:
                break
            time.sleep(1)
        expect(reviews).to_contain_text(items["title"])
        expect(questions).to_contain_text(items["question"])
        expect(questions).to_contain_text(items["answer"])
    finally:
        visitor.close()

    message = mail_server.wait_for(items["email"], subject_contains="has an answer")
    assert "has an answer" in str(message["Subject"])


def product_page_text(
    browser: Browser, live_server: str, slug: str, section: str, text: str
) -> str:
    """A section of the product page as a visitor sees it (no cookies; cached for up to 10 s),
    once it shows `text` (or the wait is over)."""
    visitor = browser.new_context(base_url=live_server, locale="en-US")
    try:
        product_page = visitor.new_page()
        product_page.set_default_timeout(10_000)
        found = product_page.locator(section)
        deadline = time.monotonic() + PRODUCT_PAGE_WAIT_SECONDS
        while True:
            product_page.goto(f"/products/{slug}")
            shown = found.inner_text() if found.count() > 0 else ""
            if text in shown or time.monotonic() > deadline:
                return shown
            time.sleep(1)
    finally:
        visitor.close()


def test_moderator_decides_in_the_queue_page(
    browser: Browser,
    live_server: str,
    javascript: bool,
    mail_server: SmtpSink,
    seeded_database: TestDatabase,
) -> None:
    """Our queue page: read a review in full, approve it in one click; answer a question in
    the text area. Plain forms: JavaScript on and off."""
    items = pending_items(seeded_database)
    email, password = create_staff(seeded_database, "moderator")

    # Staff sign in through the admin (a JavaScript app) and follow its menu's link.
    admin = browser.new_context(base_url=live_server, locale="en-US")
    signed_in = admin.new_page()
    signed_in.set_default_timeout(10_000)
    sign_in(signed_in, email, password)
    signed_in.get_by_role("link", name="Moderation queue").click()
    expect(signed_in).to_have_url(re.compile(r"/admin/moderation/$"))
    context = admin
    if not javascript:
        context = browser.new_context(
            base_url=live_server,
            locale="en-US",
            java_script_enabled=False,
            storage_state=admin.storage_state(),
        )
    try:
        page = context.new_page() if not javascript else signed_in
        page.set_default_timeout(10_000)
        page.goto("/admin/moderation/")
        expect(page.get_by_role("heading", name="Moderation queue")).to_be_visible()

        review = page.locator(f"#review-{items['review_id']}")
        expect(review.get_by_role("heading", name=items["title"])).to_be_visible()
        expect(review).to_contain_text(items["product_title"])
        expect(review).to_contain_text("Runs quiet at full load; the fan barely spins.")
        expect(review).to_contain_text("Rating: 5 of 5")
        expect(review).to_contain_text("By Asker")
        expect(page.get_by_text(items["email"])).to_have_count(0)
        rules = review.get_by_label("Rule broken")
        expect(rules.locator("option")).to_have_text(["(none)", *RULES.values()])
        if javascript:
            assert_accessible(page, "the moderation queue")

        review.get_by_role("button", name="Approve").click()
        expect(page.locator("#notice")).to_have_text(
            f"Approved review {items['review_id']} “{items['title']}”: it is published."
        )
        expect(page.locator(f"#review-{items['review_id']}")).to_have_count(0)
        [(status, moderated_by)] = query(
            seeded_database,
            f"SELECT status, moderated_by FROM review WHERE id = {items['review_id']}",
        )
        assert (status, moderated_by) == ("approved", email.lower())
        assert query(
            seeded_database,
            "SELECT decision, staff FROM moderation_decision"
            f" WHERE item_type = 'review' AND item_id = {items['review_id']}",
        ) == [("approved", email.lower())]

        # The question: answered in a multi-line text area, published with the answer.
        question = page.locator(f"#question-{items['question_id']}")
        expect(question).to_contain_text(items["question"])
        answer = question.get_by_label("Answer", exact=True)
        expect(question.locator("textarea[name=answer]")).to_have_count(1)
        answer.fill(items["answer"])
        question.get_by_role("button", name="Answer and publish").click()
        expect(page.locator("#notice")).to_contain_text(
            f"Answered question {items['question_id']}: the answer is published"
        )
    finally:
        if context is not admin:
            context.close()
        admin.close()

    # Published: the product page shows the review, and the question with its answer.
    reviews = product_page_text(browser, live_server, items["slug"], "#reviews", items["title"])
    assert items["title"] in reviews
    questions = product_page_text(
        browser, live_server, items["slug"], "#questions", items["answer"]
    )
    assert items["question"] in questions and items["answer"] in questions
    message = mail_server.wait_for(items["email"], subject_contains="has an answer")
    assert "has an answer" in str(message["Subject"])
