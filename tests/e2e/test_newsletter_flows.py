"""A newsletter's unsubscribe link, opened without signing in, with JavaScript on (htmx swaps the
panel) and off (post/redirect/get): the GET only asks, the button unsubscribes, the page says
what changed and offers to unsubscribe from everything; the consent log records a withdrawal."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.conftest import TestDatabase
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import query
from tests.e2e.staff import send_newsletter
from tests.e2e.steps import assert_no_page_load, mark_page
from tests.e2e.test_notification_flows import signed_up_and_verified
from tests.smtp import SmtpSink, text_of


def test_unsubscribe_from_a_newsletter_email_without_signing_in(
    page: Page,
    javascript: bool,
    mail_server: SmtpSink,
    live_server: str,
    seeded_database: TestDatabase,
) -> None:
    email = signed_up_and_verified(page, mail_server, "newsletter")
    send_newsletter(seeded_database, live_server, email)
    mail = mail_server.wait_for(email, subject_contains="Relays of the month", timeout=30)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [link] = re.findall(r"https?://\S+/unsubscribe/\S+", text_of(mail))
    assert f"<{link}>" in mail["List-Unsubscribe"]

    page.context.clear_cookies()  # signed out: the link alone must do
    page.goto(link)
    expect(page.get_by_text("Stop emails of this kind: Newsletter and promotions?")).to_be_visible()
    if javascript:
        assert_accessible(page, "unsubscribe")
    mark_page(page, javascript)
    page.get_by_role("button", name="Unsubscribe", exact=True).click()
    expect(
        page.get_by_text("Done: you will no longer get “Newsletter and promotions” by email.")
    ).to_be_visible()
    expect(
        page.get_by_text("We recorded this as withdrawing your consent to marketing email.")
    ).to_be_visible()
    assert_no_page_load(page, javascript)
    [[granted]] = query(
        seeded_database,
        "SELECT c.granted FROM consent_event c JOIN account a ON a.id = c.account "
        f"WHERE a.email = '{email}' AND c.consent = 'notifications:newsletter:email'",
    )
    assert not granted

    page.get_by_role("button", name="Unsubscribe from everything").click()
    expect(page.get_by_text("Done: you will no longer get any emails from us")).to_be_visible()
    expect(page.get_by_role("button", name="Unsubscribe from everything")).to_have_count(0)
    expect(page.get_by_role("link", name="Choose which emails you get")).to_have_attribute(
        "href", "/account/notifications"
    )
