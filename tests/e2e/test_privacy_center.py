"""A shopper opens the privacy center, downloads their data and restricts processing, with
JavaScript on (htmx swaps the section in place) and off (plain forms, post/redirect/get)."""

from __future__ import annotations

import json
import re
import uuid
import zipfile

from playwright.sync_api import Browser, Page, expect

from tests.conftest import TestDatabase
from tests.e2e.conftest import execute
from tests.e2e.steps import assert_no_page_load, mark_page
from tests.e2e.test_account_flows import follow_mailed_link, new_email, sign_up
from tests.e2e.test_admin import create_staff
from tests.e2e.test_admin import sign_in as admin_sign_in
from tests.smtp import SmtpSink


def test_download_my_data_and_restrict_processing(
    page: Page, javascript: bool, mail_server: SmtpSink
) -> None:
    email = new_email("privacy")
    sign_up(page, email)
    follow_mailed_link(page, mail_server, email, "Confirm your email address")
    expect(page.get_by_role("heading", name="Email address confirmed")).to_be_visible()
    page.goto("/account")
    page.get_by_role("navigation", name="Personal center").get_by_role(
        "link", name="Privacy"
    ).click()
    expect(page).to_have_url(re.compile(r"/account/privacy$"))
    expect(page.get_by_role("heading", name="Your rights")).to_be_visible()
    expect(page.get_by_role("link", name="Read the privacy policy")).to_have_attribute(
        "href", "/privacy"
    )
    expect(page.get_by_role("link", name="Delete my account…")).to_have_attribute(
        "href", "/account/privacy/delete"
    )
    # No provider is configured on this server: the authorised-login consent says so.
    expect(
        page.get_by_text("This shop offers no sign-in with another account, so nothing is linked")
    ).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data (ZIP)").click()
    download = download_info.value
    assert re.fullmatch(r"okmarts-data-\d{8}\.zip", download.suggested_filename)
    with zipfile.ZipFile(download.path()) as archive:
        names = set(archive.namelist())
        profile = json.loads(archive.read("profile.json"))
        readme = archive.read("README.md").decode()
    assert {"README.md", "orders.json", "sign_ins.csv", "emails_sent.json"} <= names
    assert profile["email"] == email and "password_hash" not in profile
    assert "profile.json" in readme

    mark_page(page, javascript)
    restrict = page.get_by_role("checkbox", name="Restrict processing")
    expect(restrict).not_to_be_checked()
    restrict.check()
    page.get_by_role("button", name="Save privacy choices").click()
    expect(page.get_by_text("Your privacy choices are saved.")).to_be_visible()
    expect(page.get_by_text("Processing is restricted.")).to_be_visible()
    assert_no_page_load(page, javascript)
    requests = page.locator("#privacy-requests")
    expect(requests.get_by_role("cell", name="Restriction of processing")).to_be_visible()
    expect(requests.get_by_role("cell", name="Download of my data")).to_be_visible()

    page.reload()
    expect(page.get_by_role("checkbox", name="Restrict processing")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Object to direct marketing")).not_to_be_checked()


def test_staff_open_the_overdue_privacy_requests_from_the_sidebar(
    browser: Browser, live_server: str, seeded_database: TestDatabase
) -> None:
    """The sidebar link carries "now" through a redirect; the admin lists only overdue ones."""
    marker = uuid.uuid4().hex[:10]
    account_id = execute(
        seeded_database,
        "INSERT INTO account (email, password_hash, policy_version, policy_accepted_at, "
        "created_at) VALUES "
        f"('overdue-{marker}{chr(64)}example.com', 'x', 'test', '2024-01-01 00:00:00+00:00', "
        "'2024-01-01 00:00:00+00:00') RETURNING id",
    )[0][0]
    for details, due in ((f"late {marker}", "2000-01-16"), (f"on time {marker}", "2999-01-16")):
        execute(
            seeded_database,
            "INSERT INTO privacy_request (account, kind, status, details, created_at, due_at, "
            f"closed_by) VALUES ({account_id}, 'correct', 'open', '{details}', "
            f"'{due[:8]}01 00:00:00+00:00', '{due} 00:00:00+00:00', '') RETURNING id",
        )
    context = browser.new_context(base_url=live_server, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        email, password = create_staff(seeded_database, "admin")
        admin_sign_in(page, email, password)
        page.get_by_role("link", name="Overdue privacy requests").click()
        expect(page).to_have_url(re.compile(r"/admin/#/privacy_request\?.*due_at__operator=lt"))
        late_ids = execute(
            seeded_database,
            f"SELECT id FROM privacy_request WHERE account = {account_id} ORDER BY due_at",
        )
        rows = page.locator(
            'a[href^="#/privacy_request/"]:not([href$="/add/"]):not([href="#/privacy_request/"])'
        )
        expect(rows.first).to_be_visible()
        hrefs = {rows.nth(index).get_attribute("href") for index in range(rows.count())}
        assert f"#/privacy_request/{late_ids[0][0]}/" in hrefs
        assert f"#/privacy_request/{late_ids[1][0]}/" not in hrefs
    finally:
        context.close()
