"""The staff's service inbox in the browser (issue 16), JavaScript on and off: a shopper asks
about a part; a service agent signed in to the staff admin finds it in the inbox, takes it,
inserts a saved reply (htmx fills it in without a page load; a plain submit re-renders the form
with JavaScript off) and sends it; the shopper sees the answer (by itself with JavaScript on,
after "Refresh" with it off), never the agent's internal note; the agent closes the case."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import TestDatabase
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import query
from tests.e2e.steps import assert_no_page_load, mark_page
from tests.e2e.test_account_flows import follow_mailed_link, new_email, sign_up
from tests.e2e.test_admin import create_staff, sign_in
from tests.smtp import SmtpSink

INBOX = "/admin/service/"


@pytest.fixture
def agent_page(
    browser: Browser, live_server: str, javascript: bool, seeded_database: TestDatabase
) -> Iterator[Page]:
    """A service agent signed in through the staff admin (a JavaScript app), then on our own
    pages with JavaScript as the test runs."""
    admin = browser.new_context(base_url=live_server, locale="en-US")
    context = admin
    try:
        signed_in = admin.new_page()
        signed_in.set_default_timeout(10_000)
        email, password = create_staff(seeded_database, "service")
        sign_in(signed_in, email, password)
        if not javascript:
            context = browser.new_context(
                base_url=live_server,
                locale="en-US",
                java_script_enabled=False,
                storage_state=admin.storage_state(),
            )
        page = context.new_page() if not javascript else signed_in
        page.set_default_timeout(10_000)
        yield page
    finally:
        if context is not admin:
            context.close()
        admin.close()


def test_an_agent_answers_from_the_inbox_with_a_saved_reply(
    page: Page,
    agent_page: Page,
    javascript: bool,
    mail_server: SmtpSink,
    seeded_database: TestDatabase,
) -> None:
    # The shopper asks about a part, signed in.
    email = new_email("inbox")
    sign_up(page, email)
    follow_mailed_link(page, mail_server, email, "Confirm your email address")
    [(slug, title)] = query(seeded_database, "SELECT slug, title FROM product ORDER BY id LIMIT 1")
    page.goto(f"/products/{slug}")
    page.get_by_role("link", name="Ask about this part").click()
    question = f"Does it fit a 12 mm shaft? ({uuid.uuid4().hex[:6]})"
    page.get_by_label("Your message").fill(question)
    page.get_by_role("button", name="Send").click()
    number = page.locator("#support-number").inner_text()
    assert re.fullmatch(r"S-\d{4}-\d{6}", number)
    expect(page.locator("#support-status")).to_have_text("Waiting for us")

    # The agent saves a reply for any language.
    agent = agent_page
    saved_title = f"Shaft sizes {uuid.uuid4().hex[:6]}"
    answer = "Yes: it takes shafts from 10 to 14 mm."
    agent.goto(f"{INBOX}replies/")
    expect(agent.get_by_role("heading", name="Saved replies", level=1)).to_be_visible()
    agent.get_by_label("Title (agents pick it by this)").fill(saved_title)
    agent.get_by_label("Text").fill(answer)
    agent.get_by_role("button", name="Add the saved reply").click()
    expect(agent.locator("#notice")).to_have_text("The saved reply is saved.")

    # The inbox lists the question, waiting for us; the agent opens it and takes it.
    agent.goto(f"{INBOX}?filter=waiting_for_us")
    row = agent.locator("tr", has=agent.get_by_role("link", name=number))
    expect(row).to_contain_text("Due in")
    expect(row).to_contain_text("Nobody")
    if javascript:  # the accessibility scan (axe-core) needs scripts
        assert_accessible(agent, "the service inbox")
    row.get_by_role("link", name=number).click()
    expect(agent.get_by_role("heading", name=f"Conversation {number}")).to_be_visible()
    expect(agent.locator("#case-product")).to_contain_text(title)
    expect(agent.locator("#case-shopper")).to_contain_text(email)
    agent.get_by_role("button", name="Take it").click()
    expect(agent.locator("#case-assignee")).to_have_text(re.compile(r"service-.*@example\.com"))

    # The saved reply goes into the text (htmx: no page load), then out to the shopper.
    mark_page(agent, javascript)
    agent.get_by_label("Saved reply").select_option(label=saved_title)
    agent.get_by_role("button", name="Insert the saved reply").click()
    expect(agent.get_by_label("Your reply")).to_have_value(answer)
    assert_no_page_load(agent, javascript)
    if javascript:
        assert_accessible(agent, "a service case")
    mark_page(page, javascript)
    agent.get_by_role("button", name="Send the reply").click()
    expect(agent.locator("#notice")).to_contain_text("Your reply is sent")
    expect(agent.locator("#case-status")).to_have_text("Waiting for the shopper")

    # An internal note: marked as such for staff.
    note = "Asked twice before: offer the adapter next time."
    agent.get_by_label(re.compile("Note for the staff")).fill(note)
    agent.get_by_role("button", name="Save the note").click()
    expect(agent.locator(".support-message.internal", has_text=note)).to_contain_text(
        "Internal note"
    )

    # The shopper sees the answer (live, or after Refresh), never the note.
    if not javascript:
        page.get_by_role("link", name="Refresh to see new messages").click()
    expect(page.get_by_text(answer)).to_be_visible(timeout=15_000)
    expect(page.locator("#support-status")).to_have_text("Waiting for you")
    assert_no_page_load(page, javascript)
    expect(page.get_by_text(note)).to_have_count(0)
    mail_server.wait_for(email, subject_contains=number)

    # The agent closes it; the shopper's page says so.
    agent.get_by_role("button", name="Close the conversation").click()
    expect(agent.locator("#case-status")).to_have_text("Closed")
    if not javascript:
        page.get_by_role("link", name="Refresh to see new messages").click()
    expect(page.locator("#support-status")).to_have_text("Closed", timeout=15_000)
    expect(page.get_by_text(note)).to_have_count(0)
    [(status,)] = query(
        seeded_database, f"SELECT status FROM conversation WHERE number = '{number}'"
    )
    assert status == "closed"
