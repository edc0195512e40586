"""Sign in with another account, in Chromium, against a real OpenID Connect provider on loopback
(`oidc-provider-mock` in a thread): sign up with it, sign out, sign in with it; link and unlink
from the security page. JavaScript on and off: it is redirects and forms.

The shop runs as a server of its own here (the other browser tests' server has no provider
configured, so their pages show no "Continue with" button).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from oidc_provider_mock import run_server_in_thread
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.conftest import TestDatabase
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import free_port, query, server_env, serving, shopper_page
from tests.smtp import SmtpSink

PASSWORD = "amber lathe 47 spindle"


def new_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}{chr(64)}example.com"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def oidc_shop(seeded_database: TestDatabase, mail_server: SmtpSink, issuer: str) -> Iterator[str]:
    """`okmarts serve` with the loopback provider configured as "Mock ID"."""
    base_url = f"http://127.0.0.1:{free_port()}"
    env = server_env(
        seeded_database,
        mail_server,
        base_url,
        OKMARTS_OIDC_MOCK_ISSUER=issuer,
        OKMARTS_OIDC_MOCK_CLIENT_ID="okmarts-e2e",
        OKMARTS_OIDC_MOCK_CLIENT_SECRET="e2e-secret",
        OKMARTS_OIDC_MOCK_DISPLAY_NAME="Mock ID",
    )
    with serving(base_url, env, seeded_database.data_dir / "server-oidc.log"):
        yield base_url


@pytest.fixture
def shop_page(browser: Browser, oidc_shop: str, javascript: bool) -> Iterator[Page]:
    with shopper_page(browser, oidc_shop, javascript) as page:
        yield page


def person(issuer: str, **claims: Any) -> str:
    sub = f"person-{uuid.uuid4().hex[:10]}"
    response = httpx.put(f"{issuer}/users/{sub}", json=claims)
    assert response.status_code == 204
    return sub


def authorize_at_provider(page: Page, issuer: str, sub: str) -> None:
    """On the provider's own page: sign in as `sub` and allow the shop.

    The mock provider's page (a werkzeug server in this process) once left Chromium's click
    hanging on CI with JavaScript off (the page never got the click); it is the provider's
    page, not the shop's: load it again and click once more."""
    expect(page).to_have_url(re.compile("^" + re.escape(issuer) + "/oauth2/authorize"))
    for attempt in (1, 2):
        page.wait_for_load_state()
        page.locator("input[name=sub]").first.fill(sub)
        try:
            page.get_by_role("button", name="Authorize", exact=True).click(timeout=8_000)
            return
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            page.reload()


def test_sign_up_and_sign_in_with_another_account(
    shop_page: Page, issuer: str, seeded_database: TestDatabase, javascript: bool
) -> None:
    page = shop_page
    email = new_email("oidc-e2e")
    sub = person(issuer, email=email, email_verified=True, nickname="Spindle", company="ACME")

    page.goto("/login")
    page.get_by_role("button", name="Continue with Mock ID").click()
    authorize_at_provider(page, issuer, sub)

    # Back at the shop: what it keeps, before anything is created.
    expect(page).to_have_url(re.compile(r"/sign-in-with/sign-up$"))
    kept = page.locator("#kept-claims")
    expect(kept).to_contain_text(email)
    expect(kept).to_contain_text("Spindle")
    expect(kept).to_contain_text("ACME")
    if javascript:  # axe runs in the page: it needs JavaScript
        assert_accessible(page, "Sign-up with another account")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".field-error")).to_have_count(2)
    if javascript:
        assert_accessible(page, "Sign-up with another account, with its errors")
    assert query(seeded_database, f"SELECT id FROM account WHERE email = '{email}'") == []
    page.get_by_label("I agree to signing in with my Mock ID account").check()
    page.get_by_label("I have read and accept the privacy policy.").check()
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/account\?notice=welcome$"))
    [(granted,)] = query(
        seeded_database,
        "SELECT c.granted FROM consent_event c JOIN account a ON a.id = c.account"
        f" WHERE a.email = '{email}' AND c.consent = 'third_party_sign_in'",
    )
    assert granted in (True, 1)

    # Out, and in again with the provider: straight to the account.
    page.get_by_role("button", name="Sign out").click()
    page.goto("/login")
    page.get_by_role("button", name="Continue with Mock ID").click()
    authorize_at_provider(page, issuer, sub)
    expect(page).to_have_url(re.compile(r"/account$"))
    page.goto("/account/security")
    expect(page.locator("#sign-in-mock")).to_contain_text("Last used on")
    expect(page.locator("#sign-in-history")).to_contain_text("Mock ID")


def test_link_and_unlink_from_the_security_page(
    shop_page: Page, issuer: str, seeded_database: TestDatabase
) -> None:
    page = shop_page
    email = new_email("oidc-link")
    page.goto("/register")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("I have read and accept the privacy policy.").check()
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/account\?notice=welcome$"))

    page.goto("/account/security")
    card = page.locator("#sign-in-mock")
    expect(card).to_contain_text("Not linked.")
    card.get_by_label("I agree to signing in with my Mock ID account").check()
    card.get_by_role("button", name="Link Mock ID").click()
    sub = person(issuer, email=new_email("elsewhere"), email_verified=True)
    authorize_at_provider(page, issuer, sub)
    expect(page).to_have_url(re.compile(r"/account/security\?notice=linked$"))
    expect(page.locator("#sign-in-mock")).to_contain_text("Linked on")

    page.locator("#sign-in-mock").get_by_role("button", name="Unlink").click()
    expect(page).to_have_url(re.compile(r"/account/security\?notice=unlinked$"))

    expect(page.locator("#sign-in-mock")).to_contain_text("Not linked.")
    assert (
        query(
            seeded_database,
            "SELECT l.id FROM linked_identity l JOIN account a ON a.id = l.account"
            f" WHERE a.email = '{email}'",
        )
        == []
    )


def test_a_refused_sign_in_says_so_accessibly(browser: Browser, oidc_shop: str) -> None:
    """The provider sends the shopper back with an error (they said no): the callback page
    says what happened, and passes the accessibility scan (which needs JavaScript)."""
    with shopper_page(browser, oidc_shop, javascript=True) as page:
        response = page.goto("/sign-in-with/mock/callback?error=access_denied&state=forged")
        assert response is not None and 400 <= response.status < 500
        expect(page.get_by_role("main")).to_contain_text("Please start again.")
        expect(page.get_by_role("link", name="Back to sign-in")).to_be_visible()
        assert_accessible(page, "A refused sign-in with another account")
