"""The satisfaction survey in the browser (issue 16, H-survey), JavaScript on and off: staff
close a conversation, the shopper opens the emailed link and answers (htmx swaps the thanks in
place; without JavaScript the page reloads with it), and the service statistics show it."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, Page, expect

from tests.conftest import TestDatabase
from tests.e2e.axe import assert_accessible
from tests.e2e.steps import assert_no_page_load, mark_page
from tests.e2e.survey_staff import closed_conversation
from tests.e2e.test_account_flows import follow_mailed_link, new_email
from tests.e2e.test_admin import create_staff, sign_in
from tests.smtp import SmtpSink


def test_a_closed_conversations_survey_is_answered_from_the_email(
    page: Page,
    browser: Browser,
    javascript: bool,
    live_server: str,
    mail_server: SmtpSink,
    seeded_database: TestDatabase,
) -> None:
    email = new_email("survey")
    number = closed_conversation(seeded_database, live_server, email)
    follow_mailed_link(page, mail_server, email, f"How satisfied are you with our help ({number})")
    expect(page.get_by_role("heading", name="How satisfied are you?")).to_be_visible()
    expect(page.get_by_text(number)).to_be_visible()
    if javascript:  # the accessibility scan (axe-core) needs scripts
        assert_accessible(page, "support-survey")

    # No choice: refused, with the comment kept.
    comment = f"Fast and friendly {uuid.uuid4().hex[:6]}"
    page.get_by_label("Anything you want to tell us? (optional)").fill(comment)
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_text("Choose how satisfied you are, from 1 to 5.")).to_be_visible()
    expect(page.get_by_label("Anything you want to tell us? (optional)")).to_have_value(comment)

    mark_page(page, javascript)
    page.get_by_label("4 — Satisfied").check()
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_text("Thank you for your answer")).to_be_visible()
    expect(page.get_by_role("button", name="Send my answer")).to_have_count(0)
    assert_no_page_load(page, javascript)
    if not javascript:
        expect(page).to_have_url(re.compile(r"\?notice=thanks$"))
    page.goto(page.url.split("?")[0])  # later: the link says it was answered
    expect(page.get_by_text("You have already answered this survey")).to_be_visible()

    # Staff (the admin's sign-in is a JavaScript app) read the statistics: a plain page.
    agent, password = create_staff(seeded_database, "service")
    staff = browser.new_context(base_url=live_server, locale="en-US")
    try:
        staff_page = staff.new_page()
        staff_page.set_default_timeout(10_000)
        sign_in(staff_page, agent, password)
        staff_page.goto("/admin/service/statistics/")
        staff_page.get_by_label("Period", exact=True).select_option("7")
        staff_page.get_by_role("button", name="Show").click()
        expect(staff_page).to_have_url(re.compile(r"days=7"))
        expect(staff_page.locator("#stat-average")).to_have_text(re.compile(r"^[1-5]\.\d$"))
        expect(staff_page.locator("#stats-ratings tr", has_text="4")).not_to_have_count(0)
        expect(staff_page.locator("#stats-comments")).to_contain_text(comment)
        expect(staff_page.get_by_text(number)).to_have_count(0)  # anonymous
        expect(staff_page.get_by_text(email)).to_have_count(0)
    finally:
        staff.close()
