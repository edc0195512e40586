"""A moderator signs in to the admin in Chromium, approves a pending review from the queue and
answers a question; the product page then shows both, and the asker has the email.
The admin is a JavaScript app: JavaScript on only."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import TestDatabase
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
    return {
        "slug": slug,
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

    # Approve it in its edit form: the status is a choice list.
    row_link.click()
    expect(page).to_have_url(re.compile(rf"#/review/{items['review_id']}/?$"))
    status = page.locator("select[name=status]")
    expect(status).to_have_value("pending")
    status.select_option("approved")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Successfully saved row")).to_be_visible()
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

    # Answer the question with the form (in the home page's menu).
    page.goto("/admin/")
    page.locator('a[href*="forms/answer-a-question"]').click()
    expect(page.get_by_text("email the asker, in their language")).to_be_visible()
    page.locator("input[name=question_id]").fill(str(items["question_id"]))
    page.locator("input[name=answer]").fill(items["answer"])
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
