"""A shopper deletes the account: password, the emailed link, the confirmation, the goodbye; then
the old password opens nothing. With JavaScript on (htmx) and off (plain forms)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.steps import assert_no_page_load, mark_page
from tests.e2e.test_account_flows import PASSWORD, follow_mailed_link, new_email, sign_up
from tests.smtp import SmtpSink, text_of


def test_delete_the_account_by_password_and_emailed_link(
    page: Page, javascript: bool, mail_server: SmtpSink
) -> None:
    email = new_email("leaving")
    sign_up(page, email)
    follow_mailed_link(page, mail_server, email, "Confirm your email address")
    expect(page.get_by_role("heading", name="Email address confirmed")).to_be_visible()

    page.goto("/account/privacy/delete")
    expect(page.get_by_role("heading", name="Delete my account")).to_be_visible()
    expect(page.get_by_label("Keep them, shown as written by a former customer")).to_be_checked()
    # A wrong password: the message appears in the form (swapped in place with JS).
    mark_page(page, javascript)
    page.get_by_label("Delete them").check()
    page.get_by_label("Current password").fill("not my password at all")
    page.get_by_role("button", name="Email me the confirmation link").click()
    expect(page.get_by_text("Your password is not correct.")).to_be_visible()
    assert_no_page_load(page, javascript)
    expect(page.get_by_label("Delete them")).to_be_checked()

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Email me the confirmation link").click()
    expect(page.get_by_role("heading", name="Check your mailbox")).to_be_visible()
    assert_no_page_load(page, javascript)

    # The link shows what will happen; only the button deletes.
    follow_mailed_link(page, mail_server, email, "Confirm the deletion")
    expect(page.get_by_role("heading", name="Confirm the deletion of your account")).to_be_visible()
    expect(page.get_by_role("main").get_by_text(email)).to_be_visible()
    page.get_by_role("button", name="Delete my account for good").click()
    expect(page.get_by_role("heading", name="Your account is deleted")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()

    farewell = mail_server.wait_for(email, subject_contains="was deleted")
    assert "Your reviews and questions are deleted." in text_of(farewell)

    # Signed out, and the account is gone: the old password opens nothing.
    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("The email address or password is not correct.")).to_be_visible()
