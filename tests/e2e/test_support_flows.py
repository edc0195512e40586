"""Customer service in the browser (issue 16, H-chat), JavaScript on and off: a visitor asks
about a part, confirms the emailed link (staff see nothing before), staff answer, and the answer
appears by itself (htmx poll, no page load) or after "Refresh" (JavaScript off)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.conftest import TestDatabase
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import query
from tests.e2e.steps import assert_no_page_load, mark_page
from tests.e2e.support_staff import answer
from tests.e2e.test_account_flows import follow_mailed_link, new_email
from tests.smtp import SmtpSink


def test_a_visitor_asks_about_a_part_confirms_and_sees_the_answer(
    page: Page,
    javascript: bool,
    live_server: str,
    mail_server: SmtpSink,
    seeded_database: TestDatabase,
) -> None:
    [(slug,)] = query(seeded_database, "SELECT slug FROM product ORDER BY id LIMIT 1")
    page.goto(f"/products/{slug}")
    page.get_by_role("link", name="Ask about this part").click()
    expect(page.get_by_role("heading", name="Ask about this part")).to_be_visible()
    email = new_email("support")
    page.get_by_label("Your email").fill(email)
    page.get_by_label("Your message").fill("Does it fit a 12 mm shaft?")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    # Staff see nothing until the address is confirmed.
    [(status,)] = query(seeded_database, f"SELECT status FROM conversation WHERE email = '{email}'")
    assert status == "unverified"

    follow_mailed_link(page, mail_server, email, "Confirm your email")
    if javascript:  # the accessibility scan (axe-core) needs scripts
        assert_accessible(page, "support-verify")
    page.get_by_role("button", name="Confirm and send my message").click()
    expect(page.get_by_text("Your email is confirmed")).to_be_visible()
    expect(page.locator(".support-body", has_text="Does it fit a 12 mm shaft?")).to_be_visible()
    expect(page.locator("#support-status")).to_have_text("Waiting for us")
    number = page.locator("#support-number").inner_text()
    assert re.fullmatch(r"S-\d{4}-\d{6}", number)

    mark_page(page, javascript)
    answer(seeded_database, live_server, number, "Yes, shafts of 12 mm fit.")
    if not javascript:
        page.get_by_role("link", name="Refresh to see new messages").click()
    expect(page.get_by_text("Yes, shafts of 12 mm fit.")).to_be_visible(timeout=15_000)
    expect(page.locator("#support-status")).to_have_text("Waiting for you")
    assert_no_page_load(page, javascript)
    if javascript:
        assert_accessible(page, "support-conversation")
    mail_server.wait_for(email, subject_contains=number)
