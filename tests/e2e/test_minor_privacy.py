"""A child whose guardian has not agreed never gets marketing: with JavaScript on and off."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import TestDatabase
from tests.e2e.conftest import execute
from tests.e2e.test_account_flows import follow_mailed_link, new_email, sign_up
from tests.smtp import SmtpSink


def test_a_guardianless_minor_never_gets_marketing(
    page: Page, javascript: bool, mail_server: SmtpSink, seeded_database: TestDatabase
) -> None:
    child = new_email("kid")
    sign_up(
        page,
        child,
        **{
            "Date of birth (optional)": "2015-06-01",
            "Parent or guardian's email (only if you are under 14)": new_email("parent"),
        },
    )
    follow_mailed_link(page, mail_server, child, "Confirm your email address")
    page.goto("/account/privacy")
    consents = page.locator("#privacy-consents")
    expect(consents).to_contain_text("we never use your data for marketing or personalisation")
    expect(consents.get_by_role("button", name="Give consent")).to_have_count(0)

    # Even a hand-made request to give marketing consent is refused.
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "okmarts_csrf")
    response = page.request.post(
        "/account/privacy/consents",
        form={"_csrf_token": token, "consent": "marketing_email", "granted": "yes"},
        max_redirects=0,
    )
    assert response.status in {403, 422}
    [(marketing, personalisation, minor)] = execute(
        seeded_database,
        "SELECT marketing_email_consent, personalisation_consent, is_minor FROM account"
        f" WHERE email = '{child}'",
    )
    assert (bool(marketing), bool(personalisation), bool(minor)) == (False, False, True)
