"""Sign in with another account (OpenID Connect) against a real provider on loopback.

The provider is `oidc-provider-mock` (a real OpenID Connect server, Authlib inside) running in
a thread: discovery, JWKS, signed ID tokens, codes used once. Tests put a person's claims on it
(`PUT /users/<sub>`), then click "Authorize" the way a browser would (a POST with `sub`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import io
import json
import logging
import uuid
import zipfile
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from oidc_provider_mock import run_server_in_thread

from okmarts.app import create_app
from okmarts.services import accounts, erasure, oidc
from okmarts.settings import OidcProvider
from okmarts.tables.accounts import Account, LinkedIdentity, SignIn
from okmarts.tables.privacy import ConsentEvent, PolicyAcceptance, PrivacyRequest
from tests.conftest import TestDatabase
from tests.states.accounts import (
    PASSWORD,
    errors_in,
    links_mailed_to,
    new_email,
    post_form,
    sign_up,
)
from tests.unit.conftest import settings_for

Client = AsyncTestClient[Litestar]
CLIENT_ID = "okmarts-test"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


def mock_provider(issuer: str) -> OidcProvider:
    return OidcProvider(
        key="mock",
        issuer=issuer,
        client_id=CLIENT_ID,
        client_secret="test-client-secret",
        display_name="Mock ID",
    )


@pytest.fixture
def app(seeded_database: TestDatabase, issuer: str) -> Litestar:
    settings = dataclasses.replace(
        settings_for(seeded_database),
        oidc_providers=(
            mock_provider(issuer),
            # Nothing listens on port 9 of loopback: a provider that is down.
            OidcProvider(key="down", issuer="http://127.0.0.1:9", client_id="x"),
        ),
    )
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=app) as client:
        yield client


async def person(issuer: str, **claims: Any) -> str:
    """A person at the provider with these claims; returns their subject."""
    sub = f"person-{uuid.uuid4().hex[:10]}"
    async with httpx.AsyncClient() as http:
        response = await http.put(f"{issuer}/users/{sub}", json=claims)
        assert response.status_code == 204, response.text
    return sub


async def authorize(authorize_url: str, sub: str, action: str = "") -> str:
    """Click "Authorize" (or "Deny") at the provider: returns the callback address."""
    form = {"action": "deny"} if action == "deny" else {"sub": sub}
    async with httpx.AsyncClient() as http:
        response = await http.post(authorize_url, data=form)
    assert response.status_code in (302, 303), response.text
    return response.headers["location"]


def local(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("", "", parts.path, parts.query, ""))


async def go_to_provider(client: Client, provider: str = "mock", path: str = "") -> Any:
    return await post_form(client, path or f"/sign-in-with/{provider}", {"next": ""})


async def come_back(client: Client, issuer: str, sub: str, start: str = "") -> Any:
    """Leave for the provider, authorise as `sub`, and come back: the shop's answer."""
    left = await go_to_provider(client, path=start)
    assert left.status_code == 303, left.text
    assert left.headers["location"].startswith(f"{issuer}/oauth2/authorize?")
    query = parse_qs(urlsplit(left.headers["location"]).query)
    # PKCE, state and nonce are sent.
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    callback = await authorize(left.headers["location"], sub)
    return await client.get(local(callback), follow_redirects=False)


async def sign_up_with_provider(client: Client, issuer: str, **claims: Any) -> tuple[Account, str]:
    sub = await person(issuer, **claims)
    back = await come_back(client, issuer, sub)
    assert back.status_code == 303 and back.headers["location"] == "/sign-in-with/sign-up"
    created = await post_form(
        client, "/sign-in-with/sign-up", {"accept_policy": "yes", "accept_sign_in": "yes"}
    )
    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/account?notice=welcome"
    account = await Account.objects().where(Account.email == claims["email"]).first()
    assert account is not None
    return account, sub


async def accounts_count() -> int:
    return await Account.count()


# -- Sign-up and sign-in ---------------------------------------------------------------------------


async def test_no_provider_configured_shows_no_button(seeded_database: TestDatabase) -> None:
    async with AsyncTestClient(app=create_app(settings_for(seeded_database))) as plain:
        page = await plain.get("/login")
        assert page.status_code == 200 and "Continue with" not in page.text
        assert "form-action 'self';" in page.headers["content-security-policy"]
        assert (await post_form(plain, "/sign-in-with/mock")).status_code == 404


async def test_sign_up_shows_the_claims_kept_and_logs_both_consents(
    client: Client, issuer: str
) -> None:
    login = await client.get("/login")
    assert "Continue with Mock ID" in login.text
    # Browsers apply form-action to the redirect after the button's POST: the provider's allowed.
    allowed = f"form-action 'self' http://127.0.0.1:9 {issuer};"
    assert allowed in login.headers["content-security-policy"]
    email = new_email("oidc")
    sub = await person(
        issuer,
        email=email,
        email_verified=True,
        nickname="Gearhead",
        company="ACME Drives",
        country="DE",
        phone_number="+49 30 1234567",  # not kept
    )
    before = await accounts_count()
    back = await come_back(client, issuer, sub)
    assert back.status_code == 303 and back.headers["location"] == "/sign-in-with/sign-up"
    page = await client.get("/sign-in-with/sign-up")
    assert page.status_code == 200
    for shown in (email, "Gearhead", "ACME Drives", "DE", "Mock ID"):
        assert shown in page.text
    assert "1234567" not in page.text
    assert "Date of birth" in page.text  # the provider gave none

    # Neither consent: refused, nothing created.
    refused = await post_form(client, "/sign-in-with/sign-up", {})
    assert refused.status_code == 422
    assert len(errors_in(refused.text)) == 2
    assert await accounts_count() == before

    created = await post_form(
        client, "/sign-in-with/sign-up", {"accept_policy": "yes", "accept_sign_in": "yes"}
    )
    assert created.status_code == 303 and created.headers["location"] == "/account?notice=welcome"
    account = await Account.objects().where(Account.email == email).first()
    assert account.email_verified_at is not None  # the provider verified it
    assert account.password_hash == "" and account.nickname == "Gearhead"
    assert account.company == "ACME Drives" and account.third_party_sign_in_consent
    [identity] = await LinkedIdentity.select().where(LinkedIdentity.account == account.id)
    assert identity["issuer"] == issuer and identity["subject"] == sub
    assert identity["provider"] == "mock"
    claims = (
        identity["claims"]
        if isinstance(identity["claims"], dict)
        else json.loads(identity["claims"])
    )
    assert claims == {
        "email": email,
        "nickname": "Gearhead",
        "country": "DE",
        "company": "ACME Drives",
    }
    [consent] = await ConsentEvent.select().where(ConsentEvent.account == account.id)
    assert consent["consent"] == "third_party_sign_in" and consent["granted"]
    assert await PolicyAcceptance.count().where(PolicyAcceptance.account == account.id) == 1
    assert not await links_mailed_to(email, "verify_email")
    [first] = await SignIn.select().where(SignIn.account == account.id)
    assert first["method"] == "mock"

    # Signed in; the page shows the account. Out, and in again with the provider.
    assert email in (await client.get("/account/security")).text
    await post_form(client, "/logout")
    again = await come_back(client, issuer, sub)
    assert again.status_code == 303 and again.headers["location"] == "/account"
    security = await client.get("/account/security")
    assert security.status_code == 200 and "Last used on" in security.text
    assert await SignIn.count().where(SignIn.account == account.id) == 2
    assert await accounts_count() == before + 1
    # The same browser: no alert. Another browser (no device cookie): the new-device alert,
    # as for a password sign-in.
    assert not await links_mailed_to(email, "new_device")
    client.cookies.clear()
    from_elsewhere = await come_back(client, issuer, sub)
    assert from_elsewhere.status_code == 303 and from_elsewhere.headers["location"] == "/account"
    assert await links_mailed_to(email, "new_device")
    newest = (
        await SignIn.select(SignIn.method, SignIn.new_device)
        .where(SignIn.account == account.id)
        .order_by(SignIn.id, ascending=False)
        .first()
    )
    assert newest == {"method": "mock", "new_device": True}


async def test_unverified_email_gets_the_shops_link_and_a_child_needs_a_guardian(
    client: Client, issuer: str
) -> None:
    email = new_email("oidc-child")
    sub = await person(issuer, email=email, email_verified=False)
    await come_back(client, issuer, sub)
    young = (dt.date.today() - dt.timedelta(days=365 * 10)).isoformat()
    refused = await post_form(
        client,
        "/sign-in-with/sign-up",
        {"accept_policy": "yes", "accept_sign_in": "yes", "date_of_birth": young},
    )
    assert refused.status_code == 422 and "under 14" in refused.text
    assert not await Account.exists().where(Account.email == email)
    guardian = new_email("guardian")
    created = await post_form(
        client,
        "/sign-in-with/sign-up",
        {
            "accept_policy": "yes",
            "accept_sign_in": "yes",
            "date_of_birth": young,
            "guardian_email": guardian,
        },
    )
    assert created.status_code == 303
    account = await Account.objects().where(Account.email == email).first()
    assert account.email_verified_at is None and account.is_minor
    assert await links_mailed_to(email, "verify_email")
    assert await links_mailed_to(guardian, "guardian_consent")


async def test_an_unlinked_provider_never_signs_in_to_an_account_with_its_email(
    client: Client, issuer: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Account takeover: the provider says "this is victim@…" (even "verified"); the shop
    never signs in to the victim's account with it, nor makes a second account."""
    victim = await sign_up(client)
    await post_form(client, "/logout")
    sub = await person(issuer, email=victim.email, email_verified=True)
    before = await accounts_count()
    with caplog.at_level(logging.WARNING, logger="okmarts.oidc"):
        answer = await come_back(client, issuer, sub)
    assert answer.status_code == 409
    assert "already uses this email address" in answer.text
    assert "okmarts_session" not in answer.cookies
    assert (await client.get("/account/security", follow_redirects=False)).status_code != 200
    assert not await LinkedIdentity.exists().where(LinkedIdentity.account == victim.id)
    assert await accounts_count() == before
    assert "unlinked account" in caplog.text

    # The owner signs in with the password, then links from the security page.
    signed_in = await post_form(client, "/login", {"email": victim.email, "password": PASSWORD})
    assert signed_in.status_code == 303
    no_consent = await post_form(client, "/sign-in-with/mock/link", {})
    assert no_consent.status_code == 422 and "Please agree" in no_consent.text
    left = await post_form(client, "/sign-in-with/mock/link", {"consent": "yes"})
    assert left.status_code == 303
    callback = await authorize(left.headers["location"], sub)
    done = await client.get(local(callback), follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("notice=linked")
    assert await LinkedIdentity.exists().where(LinkedIdentity.account == victim.id)
    assert (await Account.objects().get(Account.id == victim.id)).third_party_sign_in_consent

    await post_form(client, "/logout")
    back = await come_back(client, issuer, sub)
    assert back.status_code == 303 and back.headers["location"] == "/account"
    page = await client.get("/account/security")
    assert victim.email in page.text and "Mock ID" in page.text


# -- Bad input --------------------------------------------------------------------------------


async def test_tampered_state_and_replayed_code_are_refused(
    client: Client, issuer: str, caplog: pytest.LogCaptureFixture
) -> None:
    email = new_email("oidc-replay")
    sub = await person(issuer, email=email, email_verified=True)
    before = await accounts_count()

    left = await go_to_provider(client)
    callback = await authorize(left.headers["location"], sub)
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    tampered = local(
        urlunsplit(parts._replace(query=urlencode({"code": query["code"][0], "state": "forged"})))
    )
    flow_cookie = client.cookies.get("okmarts_oidc_flow")
    with caplog.at_level(logging.WARNING, logger="okmarts.oidc"):
        refused = await client.get(tampered, follow_redirects=False)
    assert refused.status_code == 400
    assert "expired, was already used or was not started here" in refused.text
    assert "refused (state)" in caplog.text

    # The real answer works once (the tampered one did not use the code)…
    client.cookies.set("okmarts_oidc_flow", flow_cookie)
    first = await client.get(local(callback), follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/sign-in-with/sign-up"
    # …and the same code again, with the same flow cookie, is refused by the provider.
    client.cookies.set("okmarts_oidc_flow", flow_cookie)
    with caplog.at_level(logging.WARNING, logger="okmarts.oidc"):
        replayed = await client.get(local(callback), follow_redirects=False)
    assert replayed.status_code == 400 and "refused (code)" in caplog.text
    assert await accounts_count() == before

    # No flow at all (cookie gone): refused.
    client.cookies.delete("okmarts_oidc_flow")
    assert (await client.get(local(callback), follow_redirects=False)).status_code == 400
    # A sign-up page without a pending identity: refused, nothing created.
    client.cookies.clear()
    assert (await client.get("/sign-in-with/sign-up")).status_code == 400
    assert (
        await post_form(client, "/sign-in-with/sign-up", {"accept_policy": "yes"})
    ).status_code == 400
    assert await accounts_count() == before


async def test_provider_down_missing_email_and_denial_get_a_clear_page(
    client: Client, issuer: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = await accounts_count()
    with caplog.at_level(logging.WARNING, logger="okmarts.oidc"):
        down = await go_to_provider(client, "down")
    assert down.status_code == 400 and "We could not reach" in down.text
    assert "refused (unavailable)" in caplog.text

    sub = await person(issuer, nickname="NoMail")
    no_email = await come_back(client, issuer, sub)
    assert no_email.status_code == 400 and "did not tell us an email address" in no_email.text
    assert "refused (email)" in caplog.text

    left = await go_to_provider(client)
    callback = await authorize(left.headers["location"], "", action="deny")
    denied = await client.get(local(callback), follow_redirects=False)
    assert denied.status_code == 400 and "You did not allow the sign-in" in denied.text
    assert await accounts_count() == before


async def test_an_id_token_for_another_audience_or_expired_is_refused(issuer: str) -> None:
    """A genuine ID token from the same provider, issued to another client: refused; and one
    whose time is past."""
    sub = await person(issuer, email=new_email("aud"), email_verified=True)
    provider = mock_provider(issuer)
    metadata = await oidc.discover(provider)
    redirect = "http://shop.test/callback"
    nonce = "n-" + uuid.uuid4().hex
    params = {
        "client_id": "another-shop",
        "response_type": "code",
        "scope": "openid email",
        "redirect_uri": redirect,
        "state": "s",
        "nonce": nonce,
    }
    callback = await authorize(f"{metadata['authorization_endpoint']}?{urlencode(params)}", sub)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    async with httpx.AsyncClient() as http:
        token = (
            await http.post(
                metadata["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect,
                    "client_id": "another-shop",
                    "client_secret": "whatever",
                },
            )
        ).json()
    id_token = token["id_token"]
    # Genuine for its own audience…
    other = dataclasses.replace(provider, client_id="another-shop")
    claims = await oidc.verify_id_token(other, metadata, id_token, nonce)
    assert claims["sub"] == sub
    # …refused for ours, with a wrong nonce, or once expired.
    with pytest.raises(oidc.OidcError) as refused:
        await oidc.verify_id_token(provider, metadata, id_token, nonce)
    assert refused.value.reason == "token"
    with pytest.raises(oidc.OidcError):
        await oidc.verify_id_token(other, metadata, id_token, "another-nonce")
    later = int(claims["exp"]) + 3600
    with pytest.raises(oidc.OidcError):
        await oidc.verify_id_token(other, metadata, id_token, nonce, now=later)
    # A token whose signature does not match: refused.
    head, body, signature = id_token.split(".")
    forged = f"{head}.{body}.{signature[:-4]}AAAA"
    with pytest.raises(oidc.OidcError):
        await oidc.verify_id_token(other, metadata, forged, nonce)


# -- Link, unlink, consent ----------------------------------------------------------------------


async def test_link_unlink_and_withdrawing_the_consent(client: Client, issuer: str) -> None:
    email = new_email("oidc-only")
    account, sub = await sign_up_with_provider(client, issuer, email=email, email_verified=True)
    page = await client.get("/account/security")
    assert "Set a password" in page.text and "Current password" not in page.text

    # The only way to sign in: unlinking is refused, and so is withdrawing the consent.
    refused = await post_form(client, "/sign-in-with/mock/unlink")
    assert refused.status_code == 409 and "only way you can sign in" in refused.text
    assert await LinkedIdentity.exists().where(LinkedIdentity.account == account.id)
    withdraw = await post_form(
        client, "/account/privacy/consents", {"consent": "third_party_sign_in", "granted": "no"}
    )
    assert withdraw.status_code == 422 and "only way you can sign in" in withdraw.text
    # Giving it from the privacy center is not how it is given.
    give = await post_form(
        client, "/account/privacy/consents", {"consent": "third_party_sign_in", "granted": "yes"}
    )
    assert give.status_code == 422 and "linking another account" in give.text

    # A password first (none to confirm), then unlinking works and withdraws the consent.
    new_password = "copper gear 88 flywheel"
    set_password = await post_form(
        client,
        "/account/password",
        {"new_password": new_password, "confirm_password": new_password},
    )
    assert set_password.status_code == 303, set_password.text
    unlinked = await post_form(client, "/sign-in-with/mock/unlink")
    assert unlinked.status_code == 303 and unlinked.headers["location"].endswith("unlinked")
    assert not await LinkedIdentity.exists().where(LinkedIdentity.account == account.id)
    stored = await Account.objects().get(Account.id == account.id)
    assert not stored.third_party_sign_in_consent
    events = (
        await ConsentEvent.select(ConsentEvent.granted)
        .where(ConsentEvent.account == account.id)
        .order_by(ConsentEvent.id)
    )
    assert [event["granted"] for event in events] == [True, False]

    # Link again from the security page, then withdraw the consent in the privacy center.
    left = await post_form(client, "/sign-in-with/mock/link", {"consent": "yes"})
    callback = await authorize(left.headers["location"], sub)
    assert (
        (await client.get(local(callback), follow_redirects=False))
        .headers["location"]
        .endswith("notice=linked")
    )
    withdrawn = await post_form(
        client, "/account/privacy/consents", {"consent": "third_party_sign_in", "granted": "no"}
    )
    assert withdrawn.status_code == 303
    assert not await LinkedIdentity.exists().where(LinkedIdentity.account == account.id)
    assert await PrivacyRequest.exists().where(
        (PrivacyRequest.account == account.id)
        & (PrivacyRequest.kind == "withdraw")
        & (PrivacyRequest.details == "third_party_sign_in")
    )
    # Signing in with the provider now finds no link, and the email is taken: refused.
    await post_form(client, "/logout")
    assert (await come_back(client, issuer, sub)).status_code == 409


# -- Privacy: download and erasure -------------------------------------------------------------


async def test_export_holds_the_identity_and_erasure_removes_it(
    client: Client, issuer: str, app: Litestar
) -> None:
    email = new_email("oidc-export")
    account, _ = await sign_up_with_provider(
        client, issuer, email=email, email_verified=True, nickname="Exporter"
    )
    response = await client.get("/account/privacy/export")
    assert response.status_code == 200
    files = zipfile.ZipFile(io.BytesIO(response.content))
    [linked] = json.loads(files.read("linked_accounts.json"))
    assert linked["issuer"] == issuer and linked["provider"] == "mock"
    assert linked["claims"]["email"] == email and linked["claims"]["nickname"] == "Exporter"
    assert "identity_key" not in linked and "account" not in linked
    assert "linked_accounts.json" in files.read("README.md").decode()
    consents = json.loads(files.read("consents.json"))
    assert consents["current"]["third_party_sign_in"] is True
    [sign_in] = json.loads(files.read("sign_ins.json"))
    assert sign_in["method"] == "mock"

    await erasure.erase_account(account.id, settings=app.state.settings, reason="test")
    assert not await LinkedIdentity.exists().where(LinkedIdentity.subject == linked["subject"])
    assert not await Account.exists().where(Account.email == email)


async def test_an_account_without_password_is_deleted_by_the_emailed_link(
    client: Client, issuer: str
) -> None:
    """Signed up with a provider only: the deletion asks no password (there is none); the
    emailed link is the proof. The linked identity goes with the account."""
    email = new_email("oidc-delete")
    account, sub = await sign_up_with_provider(client, issuer, email=email, email_verified=True)
    form = await client.get("/account/privacy/delete")
    assert form.status_code == 200 and "Current password" not in form.text
    asked = await post_form(client, "/account/privacy/delete", {"reviews": "keep"})
    assert asked.status_code == 200 and "Check your mailbox" in asked.text
    [link] = await links_mailed_to(email, "account_deletion")
    token = parse_qs(urlsplit(link).query)["token"][0]
    done = await post_form(client, "/account/delete/confirm", {"token": token})
    assert done.status_code == 200
    assert not await Account.exists().where(Account.id == account.id)
    assert not await LinkedIdentity.exists().where(LinkedIdentity.subject == sub)
    # The identity is free again: signing in with it offers a new sign-up.
    back = await come_back(client, issuer, sub)
    assert back.status_code == 303 and back.headers["location"] == "/sign-in-with/sign-up"


# -- As an attacker would probe it --------------------------------------------------------------


async def test_an_attackers_callback_completed_in_a_victims_browser_signs_nobody_in(
    app: Litestar, issuer: str
) -> None:
    """Login CSRF: the attacker authorises as themselves and sends the callback address to a
    victim. The victim's browser has no flow, or a flow of its own: refused, no session."""
    attacker_sub = await person(issuer, email=new_email("attacker"), email_verified=True)
    async with AsyncTestClient(app=app) as attacker, AsyncTestClient(app=app) as victim:
        left = await go_to_provider(attacker)
        callback = local(await authorize(left.headers["location"], attacker_sub))
        no_flow = await victim.get(callback, follow_redirects=False)
        assert no_flow.status_code == 400 and "okmarts_session" not in no_flow.cookies
        assert "okmarts_oidc_pending" not in no_flow.cookies
        await go_to_provider(victim)  # the victim's own sign-in, under way
        own_flow = await victim.get(callback, follow_redirects=False)
        assert own_flow.status_code == 400 and "okmarts_session" not in own_flow.cookies
        assert "okmarts_oidc_pending" not in own_flow.cookies


async def test_next_never_leaves_the_shop(client: Client, issuer: str) -> None:
    email = new_email("oidc-next")
    _, sub = await sign_up_with_provider(client, issuer, email=email, email_verified=True)
    for hostile in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"):
        await post_form(client, "/logout")
        left = await post_form(client, "/sign-in-with/mock", {"next": hostile})
        callback = await authorize(left.headers["location"], sub)
        back = await client.get(local(callback), follow_redirects=False)
        assert back.status_code == 303 and back.headers["location"] == "/account", hostile
    await post_form(client, "/logout")
    left = await post_form(client, "/sign-in-with/mock", {"next": "/cart"})
    back = await client.get(local(await authorize(left.headers["location"], sub)))
    assert back.url.path == "/cart"


async def test_a_replayed_pending_sign_up_cookie_makes_no_second_account(
    client: Client, issuer: str
) -> None:
    email = new_email("oidc-pending")
    sub = await person(issuer, email=email, email_verified=True)
    back = await come_back(client, issuer, sub)
    assert back.status_code == 303
    set_cookie = back.headers["set-cookie"].lower()
    assert "okmarts_oidc_pending=" in set_cookie and "httponly" in set_cookie
    assert "samesite=lax" in set_cookie and "max-age=900" in set_cookie
    pending = client.cookies.get("okmarts_oidc_pending")
    form = {"accept_policy": "yes", "accept_sign_in": "yes"}
    created = await post_form(client, "/sign-in-with/sign-up", form)
    assert created.status_code == 303
    assert not client.cookies.get("okmarts_oidc_pending")
    before = await accounts_count()
    await post_form(client, "/logout")
    client.cookies.set("okmarts_oidc_pending", pending)
    replayed = await post_form(client, "/sign-in-with/sign-up", form)
    assert replayed.status_code == 409 and "okmarts_session" not in replayed.cookies
    assert await accounts_count() == before
    # A forged (unsigned) pending cookie is no pending sign-up at all.
    client.cookies.set("okmarts_oidc_pending", pending[:-3] + "AAA")
    assert (await post_form(client, "/sign-in-with/sign-up", form)).status_code == 400


async def test_linking_an_identity_linked_to_another_account_is_refused_cleanly(
    client: Client, issuer: str
) -> None:
    owner, sub = await sign_up_with_provider(
        client, issuer, email=new_email("owner"), email_verified=True
    )
    await post_form(client, "/logout")
    other = await sign_up(client)
    left = await post_form(client, "/sign-in-with/mock/link", {"consent": "yes"})
    done = await client.get(local(await authorize(left.headers["location"], sub)))
    assert done.status_code == 200 and "could not be linked" in done.text
    assert not await LinkedIdentity.exists().where(LinkedIdentity.account == other.id)
    assert await LinkedIdentity.exists().where(LinkedIdentity.account == owner.id)
    # Unlinking "mock" from this account does not touch the owner's link, nor claims it did.
    unlinked = await post_form(client, "/sign-in-with/mock/unlink")
    assert unlinked.status_code == 303 and "notice=unlinked" not in unlinked.headers["location"]
    assert await LinkedIdentity.exists().where(LinkedIdentity.account == owner.id)


async def test_link_and_unlink_need_csrf_and_a_known_provider(client: Client, issuer: str) -> None:
    account, _ = await sign_up_with_provider(
        client, issuer, email=new_email("oidc-csrf"), email_verified=True
    )
    for path in ("/sign-in-with/mock/link", "/sign-in-with/mock/unlink", "/sign-in-with/mock"):
        forged = await client.post(path, data={"consent": "yes"}, follow_redirects=False)
        assert forged.status_code == 403, path
        assert (await client.get(path, follow_redirects=False)).status_code in (404, 405), path
    assert await LinkedIdentity.exists().where(LinkedIdentity.account == account.id)
    for path in (
        "/sign-in-with/nope/link",
        "/sign-in-with/nope",
        "/sign-in-with/%3Cscript%3E",
    ):
        assert (await post_form(client, path, {"consent": "yes"})).status_code == 404, path
    assert (await client.get("/sign-in-with/nope/callback?code=x&state=y")).status_code == 404


async def test_hostile_callback_parameters_are_refused_and_never_shown_raw(
    client: Client, issuer: str, caplog: pytest.LogCaptureFixture
) -> None:
    hostile = '<script>alert("x")</script>'
    for query in (
        {"error": hostile, "error_description": hostile, "state": hostile},
        {"code": hostile, "state": hostile},
        {"code": "A" * 8000, "state": "B" * 8000},
        {"code": ["a", "b"], "state": ["c", "d"]},
    ):
        await go_to_provider(client)
        with caplog.at_level(logging.WARNING, logger="okmarts.oidc"):
            answer = await client.get(
                "/sign-in-with/mock/callback", params=query, follow_redirects=False
            )
        assert answer.status_code == 400, query
        assert "<script>" not in answer.text and "alert(" not in answer.text
        assert "okmarts_session" not in answer.cookies
    assert "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" not in caplog.text


async def test_no_provider_token_or_code_is_logged_or_stored(
    client: Client, issuer: str, caplog: pytest.LogCaptureFixture
) -> None:
    sub = await person(issuer, email=new_email("oidc-tokens"), email_verified=True)
    left = await go_to_provider(client)
    callback = await authorize(left.headers["location"], sub)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    with caplog.at_level(logging.DEBUG):
        back = await client.get(local(callback), follow_redirects=False)
        await post_form(
            client, "/sign-in-with/sign-up", {"accept_policy": "yes", "accept_sign_in": "yes"}
        )
    assert back.status_code == 303
    # The shop's own log lines (the test client and the provider log their requests).
    shop = "\n".join(
        record.getMessage() for record in caplog.records if record.name.startswith("okmarts")
    )
    assert code not in shop and "eyJ" not in shop
    [row] = await LinkedIdentity.select().where(LinkedIdentity.subject == sub)
    assert code not in json.dumps(row, default=str) and "eyJ" not in json.dumps(row, default=str)
    assert "eyJ" not in (back.headers.get("set-cookie") or "").split("okmarts_oidc_pending=")[0]


async def test_provider_sign_up_obeys_the_sign_up_rate_limit(
    seeded_database: TestDatabase, issuer: str
) -> None:
    settings = dataclasses.replace(
        settings_for(seeded_database),
        oidc_providers=(mock_provider(issuer),),
        sign_up_limit_per_hour=1,
    )
    form = {"accept_policy": "yes", "accept_sign_in": "yes"}
    async with AsyncTestClient(app=create_app(settings)) as client:
        # One sign-up an hour from this address (earlier tests may have used it already).
        for name in ("rl1", "rl2"):
            await post_form(client, "/logout")
            sub = await person(issuer, email=new_email(name), email_verified=True)
            assert (await come_back(client, issuer, sub)).status_code == 303
            before = await accounts_count()
            answer = await post_form(client, "/sign-in-with/sign-up", form)
        assert answer.status_code == 429 and "okmarts_session" not in answer.cookies
        assert await accounts_count() == before


async def test_the_delete_page_asks_no_password_of_an_account_without_one(
    client: Client, issuer: str
) -> None:
    await sign_up_with_provider(client, issuer, email=new_email("oidc-del"), email_verified=True)
    page = await client.get("/account/privacy/delete")
    assert page.status_code == 200
    assert "enter your password" not in page.text
    assert "we email you a link" in page.text
    await post_form(client, "/logout")
    await sign_up(client)
    page = await client.get("/account/privacy/delete")
    assert "enter your password" in page.text


async def test_one_identity_linked_or_signed_up_twice_at_once_is_refused_cleanly(
    client: Client, issuer: str
) -> None:
    """Two browsers (or a replayed pending cookie) at the same moment: one wins, the other is
    refused with the page's message, never a database error (a 500)."""
    subject = f"race-{uuid.uuid4().hex[:8]}"
    identity = oidc.Identity(
        provider="mock", issuer=issuer, subject=subject, email=new_email("race"), claims={}
    )
    first = await sign_up(client)
    second = await sign_up(client)
    results = await asyncio.gather(
        oidc.link(first, identity, consent=True),
        oidc.link(second, identity, consent=True),
        return_exceptions=True,
    )
    assert sorted(type(result).__name__ for result in results) == ["LinkRefused", "NoneType"]
    assert await LinkedIdentity.count().where(LinkedIdentity.subject == subject) == 1

    fresh = dataclasses.replace(identity, subject=subject + "-new", email=new_email("race2"))
    signup = oidc.ProviderSignUp(
        accept_policy=True, accept_sign_in=True, date_of_birth="1990-01-01"
    )
    site = accounts.Site(secret="s" * 32, base_url="http://shop.test")
    device = accounts.Device(ip=f"10.9.{uuid.uuid4().int % 250}.1", user_agent="t", device_id="d")
    results = await asyncio.gather(
        oidc.register(fresh, signup, site, device),
        oidc.register(fresh, signup, site, device),
        return_exceptions=True,
    )
    assert sorted(type(result).__name__ for result in results) == ["Account", "EmailTaken"]
    assert await Account.count().where(Account.email == fresh.email) == 1


async def test_a_password_reset_of_an_unverified_address_ends_the_links_made_before_it(
    app: Litestar, issuer: str
) -> None:
    """Pre-account hijacking: someone signs up with a provider that vouches for the victim's
    address without verifying it. When the mailbox's owner takes the account over through the
    password-reset link, the links made before the address was proven go; the other person's
    provider account no longer signs in to it."""
    victim_email = new_email("prehijack")
    async with AsyncTestClient(app=app) as attacker:
        account, sub = await sign_up_with_provider(
            attacker, issuer, email=victim_email, email_verified=False
        )
        assert account.email_verified_at is None
    async with AsyncTestClient(app=app) as victim:
        await post_form(victim, "/password-reset", {"email": victim_email})
        [link] = await links_mailed_to(victim_email, "password_reset")
        token = parse_qs(urlsplit(link).query)["token"][0]
        words = "brand new words for me"
        done = await post_form(
            victim,
            "/password-reset/confirm",
            {"token": token, "new_password": words, "confirm_password": words},
        )
        assert done.status_code == 303
    assert not await LinkedIdentity.exists().where(LinkedIdentity.account == account.id)
    stored = await Account.objects().get(Account.id == account.id)
    assert stored.email_verified_at is not None and not stored.third_party_sign_in_consent
    async with AsyncTestClient(app=app) as attacker:
        again = await come_back(attacker, issuer, sub)
        assert again.status_code == 409 and "okmarts_session" not in again.cookies
