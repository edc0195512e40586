"""Sign in with another account (policy §1(1)3 and §1(2)1, "authorised login"): OpenID Connect.

Providers come from settings (`OKMARTS_OIDC_<NAME>_ISSUER`, …; okmarts.settings.OidcProvider);
with none configured nothing here is reachable. The flow is the authorisation code flow with
PKCE, through Authlib's OAuth 2.0 client for httpx (async: nothing waits on the event loop):

1. `begin` builds the provider's authorisation address with a fresh `state`, `nonce` and PKCE
   verifier; the caller keeps them in a short-lived signed cookie (`Flow`).
2. `complete` checks `state`, exchanges the code once (the provider refuses a replayed code),
   verifies the ID token — signature through the provider's JWKS, issuer, audience, expiry,
   nonce — and returns the `Identity` it names. The provider's tokens are dropped there: no
   feature needs them after the sign-in.
3. What the identity may do: `sign_in` (already linked), `link` (to the signed-in account,
   with the separate consent), or `register` (a new account, after the shopper saw the claims
   kept and accepted the policy and the consent). An unlinked identity whose email belongs to
   an account never signs in to it: `EmailTaken` — the shopper signs in with the password and
   links from the security page (account takeover through a provider that does not verify
   emails is the classic hole).

Everything written is one transaction; an error anywhere leaves no half-made account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import sqlite3
import time
import warnings
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from okmarts.db import is_postgres, write_transaction
from okmarts.i18n import N_, Message
from okmarts.services import accounts, rate_limits
from okmarts.services.accounts import FormInvalid, normalize_email, now_utc
from okmarts.services.content import current_policy_version
from okmarts.services.messaging import notify_mail_queued
from okmarts.services.rate_limits import Limit
from okmarts.settings import OidcProvider
from okmarts.tables.accounts import Account, LinkedIdentity
from okmarts.tables.privacy import ConsentEvent, PolicyAcceptance, PrivacyRequest

if TYPE_CHECKING:
    from authlib.integrations.httpx_client import AsyncOAuth2Client


# Authlib and joserfc (with cryptography's OpenSSL bindings) weigh ~12 MB in every worker that
# imports them, and only a sign-in with another account needs them: imported then, once per
# worker (issue 15: memory per worker).
def _oauth() -> Any:
    """authlib's OAuth 2 client class and its error."""
    from authlib.deprecate import AuthlibDeprecationWarning

    with warnings.catch_warnings():
        # Authlib prefers the httpx2 fork and falls back to httpx (the shop's client) with a
        # warning.
        warnings.simplefilter("ignore", AuthlibDeprecationWarning)
        from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
    return AsyncOAuth2Client, OAuthError


log = logging.getLogger("okmarts.oidc")

CONSENT = "third_party_sign_in"  # the code of the separate consent (services.privacy.CONSENTS)
FLOW_SECONDS = 600  # from leaving for the provider to coming back
PENDING_SECONDS = 900  # from coming back to accepting the sign-up page
HTTP_TIMEOUT = 10.0
METADATA_SECONDS = 3600.0  # discovery documents and key sets are asked again after this
LEEWAY_SECONDS = 60  # clock difference allowed for exp and iat

# What the shop keeps of the provider's claims, under its own names, in this order; the sign-up
# page lists exactly these (those the provider sent).
KEPT_CLAIMS: dict[str, str] = {
    "email": N_("Email address"),
    "nickname": N_("Nickname"),
    "avatar": N_("Picture (the address of your picture at the provider)"),
    "country": N_("Country"),
    "company": N_("Company"),
}


class OidcError(Exception):
    """A sign-in with a provider that cannot go on. `reason` picks the message shown:
    unavailable | state | code | token | email | provider | denied."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class EmailTaken(Exception):
    """An unlinked identity whose email is an existing account's: never signed in silently."""


class LinkRefused(Exception):
    def __init__(self, message: Message) -> None:
        super().__init__(message.msgid)
        self.message = message


@dataclass
class Flow:
    """What the browser keeps (signed) while it is at the provider."""

    provider: str
    state: str
    nonce: str
    verifier: str
    purpose: str = "sign-in"  # sign-in | link
    account_id: int | None = None  # link: the account that asked
    next: str = ""


@dataclass
class Identity:
    """A verified ID token, reduced to what the shop may keep."""

    provider: str
    issuer: str
    subject: str
    email: str = ""  # normalised; "" when the provider sent none
    email_verified: bool = False
    birthdate: str = ""  # YYYY-MM-DD when the provider sent one
    claims: dict[str, str] = field(default_factory=dict)  # KEPT_CLAIMS keys

    @property
    def key(self) -> str:
        return identity_key(self.issuer, self.subject)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Identity:
        if not isinstance(data, dict):
            raise OidcError("state", "pending identity is not an object")
        try:
            return cls(
                provider=str(data["provider"]),
                issuer=str(data["issuer"]),
                subject=str(data["subject"]),
                email=str(data.get("email", "")),
                email_verified=bool(data.get("email_verified")),
                birthdate=str(data.get("birthdate", "")),
                claims={str(k): str(v) for k, v in dict(data.get("claims") or {}).items()},
            )
        except (KeyError, TypeError, ValueError) as error:
            raise OidcError("state", "pending identity incomplete") from error


def _unique_violation(error: Exception) -> bool:
    """A unique index refused the row: another request made it first (PostgreSQL lets two
    transactions both see "none yet"; SQLite's write lock queues them, so never there)."""
    return isinstance(error, sqlite3.IntegrityError) or (
        type(error).__name__ == "UniqueViolationError"  # asyncpg's, without importing asyncpg
    )


def identity_key(issuer: str, subject: str) -> str:
    return hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def find_provider(providers: tuple[OidcProvider, ...], key: str) -> OidcProvider | None:
    return next((provider for provider in providers if provider.key == key), None)


# -- The provider's documents ------------------------------------------------------------------

_documents: dict[str, tuple[float, dict[str, Any]]] = {}


async def _get_json(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
        response = await http.get(url, headers={"accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    if not isinstance(data, dict):
        raise ValueError(f"{url} did not answer a JSON object")
    return data


async def _document(url: str, force: bool = False) -> dict[str, Any]:
    cached = _documents.get(url)
    if cached and not force and time.monotonic() - cached[0] < METADATA_SECONDS:
        return cached[1]
    data = await _get_json(url)
    _documents[url] = (time.monotonic(), data)
    return data


async def discover(provider: OidcProvider) -> dict[str, Any]:
    """The provider's discovery document (cached an hour); OidcError("unavailable") when it
    cannot be had or names another issuer."""
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        metadata = await _document(url)
    except (httpx.HTTPError, ValueError) as error:
        raise OidcError("unavailable", f"discovery of {provider.issuer}: {error!r}") from error
    if metadata.get("issuer", "").rstrip("/") != provider.issuer.rstrip("/"):
        raise OidcError("unavailable", f"discovery names issuer {metadata.get('issuer')!r}")
    for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(needed), str):
            raise OidcError("unavailable", f"discovery has no {needed}")
    return metadata


def _client(provider: OidcProvider, redirect_uri: str) -> AsyncOAuth2Client:
    client_class, _ = _oauth()
    return client_class(
        client_id=provider.client_id,
        client_secret=provider.client_secret or None,
        scope=provider.scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method=None if provider.client_secret else "none",
        timeout=HTTP_TIMEOUT,
    )


# -- The flow --------------------------------------------------------------------------------


async def begin(
    provider: OidcProvider,
    redirect_uri: str,
    purpose: str = "sign-in",
    account_id: int | None = None,
    next_path: str = "",
) -> tuple[str, Flow]:
    """The address to send the browser to, and the flow to keep until it comes back."""
    metadata = await discover(provider)
    if _origin(metadata["authorization_endpoint"]) != _origin(provider.issuer):
        # The CSP's form-action allows the issuer's origin only (okmarts.app): browsers would
        # stop the redirect there.
        log.warning(
            "Provider %s authorises on %s, not its issuer's origin: add that origin to the "
            "CSP's form-action, or browsers will not follow the redirect",
            provider.key,
            _origin(metadata["authorization_endpoint"]),
        )
    flow = Flow(
        provider=provider.key,
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        verifier=secrets.token_urlsafe(48),
        purpose=purpose,
        account_id=account_id,
        next=next_path,
    )
    async with _client(provider, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            metadata["authorization_endpoint"],
            state=flow.state,
            code_verifier=flow.verifier,
            nonce=flow.nonce,
        )
    return url, flow


async def complete(
    provider: OidcProvider,
    flow: Flow | None,
    redirect_uri: str,
    state: str,
    code: str,
    error: str = "",
) -> Identity:
    """The identity the provider vouches for, once every check passed."""
    if flow is None or flow.provider != provider.key:
        raise OidcError("state", "no sign-in with this provider was started in this browser")
    if error:
        # The person said no (some providers send no state then): nothing to check or keep.
        raise OidcError("denied", f"provider answered error={error[:100]}")
    if not secrets.compare_digest(flow.state.encode(), (state or "").encode()):
        raise OidcError("state", "state is not the one sent")
    if not code:
        raise OidcError("code", "no code in the answer")
    metadata = await discover(provider)
    _, OAuthError = _oauth()
    try:
        async with _client(provider, redirect_uri) as client:
            token = await client.fetch_token(
                metadata["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=flow.verifier,
            )
    except OAuthError as refused:
        # invalid_grant: a code used already (replayed), expired, or issued to someone else.
        raise OidcError("code", f"token endpoint refused: {refused.error}") from refused
    except (httpx.HTTPError, ValueError) as failed:
        raise OidcError("unavailable", f"token endpoint: {failed!r}") from failed
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise OidcError("token", "no id_token in the token response")
    claims = await verify_id_token(
        provider, metadata, id_token, flow.nonce, access_token=token.get("access_token")
    )
    # The tokens end here: nothing needs them after the sign-in.
    return identity_from_claims(provider, claims)


async def verify_id_token(
    provider: OidcProvider,
    metadata: dict[str, Any],
    id_token: str,
    nonce: str,
    access_token: Any = None,
    now: int | None = None,
) -> dict[str, Any]:
    """Signature (JWKS), issuer, audience, expiry, nonce; OidcError("token") otherwise."""
    from authlib.oidc.core import CodeIDToken  # see _oauth
    from joserfc import jwt
    from joserfc.errors import InvalidKeyIdError, JoseError
    from joserfc.jwk import KeySet
    from joserfc.jws import JWSRegistry

    algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [alg for alg in algorithms if alg != "none"]
    registry = JWSRegistry(algorithms=algorithms, strict_check_header=False)

    async def decode(force: bool) -> Any:
        try:
            keys = KeySet.import_key_set(await _document(metadata["jwks_uri"], force=force))
        except (httpx.HTTPError, ValueError) as error:
            raise OidcError("unavailable", f"key set: {error!r}") from error
        return jwt.decode(id_token, keys, registry=registry)

    try:
        try:
            decoded = await decode(force=False)
        except InvalidKeyIdError:  # the provider turned its keys over: ask once more
            decoded = await decode(force=True)
        params: dict[str, Any] = {"nonce": nonce, "client_id": provider.client_id}
        if isinstance(access_token, str):
            params["access_token"] = access_token
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "value": metadata["issuer"]},
                "aud": {"essential": True, "value": provider.client_id},
                "exp": {"essential": True},
            },
            params,
        )
        claims.validate(now=now, leeway=LEEWAY_SECONDS)
        # The nonce is required here (the provider must echo the one sent).
        if not secrets.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()):
            raise OidcError("token", "nonce missing or different")
    except JoseError as error:
        raise OidcError("token", f"ID token refused: {error!r}") from error
    except (ValueError, TypeError) as error:
        raise OidcError("token", f"ID token unreadable: {error!r}") from error
    return dict(claims)


def _text(value: Any, length: int) -> str:
    return value.strip()[:length] if isinstance(value, str) else ""


def identity_from_claims(provider: OidcProvider, claims: dict[str, Any]) -> Identity:
    """What the shop keeps of the claims; OidcError("email") without a usable email."""
    subject = _text(claims.get("sub"), 255)
    if not subject:
        raise OidcError("token", "no subject")
    try:
        email = normalize_email(_text(claims.get("email"), 254))
    except ValueError as error:
        raise OidcError("email", "no usable email claim") from error
    kept: dict[str, str] = {"email": email}
    nickname = _text(claims.get("nickname"), 40) or _text(claims.get("preferred_username"), 40)
    picture = _text(claims.get("picture"), 500)
    address = claims.get("address")
    country = _text(address.get("country"), 60) if isinstance(address, dict) else ""
    country = country or _text(claims.get("country"), 60)
    company = _text(claims.get("company"), 120) or _text(claims.get("organization"), 120)
    for name, value in (
        ("nickname", nickname),
        ("avatar", picture if picture.startswith("https://") else ""),
        ("country", country),
        ("company", company),
    ):
        if value:
            kept[name] = value
    verified = claims.get("email_verified")
    birthdate = _text(claims.get("birthdate"), 10)
    try:
        dt.date.fromisoformat(birthdate)
    except ValueError:
        birthdate = ""
    return Identity(
        provider=provider.key,
        issuer=str(claims.get("iss", provider.issuer)),
        subject=subject,
        email=email,
        email_verified=verified is True or verified == "true",
        birthdate=birthdate,
        claims=kept,
    )


# -- What an identity may do -------------------------------------------------------------------


async def linked_account(identity: Identity) -> Account | None:
    row = (
        await LinkedIdentity.select(LinkedIdentity.account)
        .where(LinkedIdentity.identity_key == identity.key)
        .first()
    )
    if row is None:
        return None
    return await Account.objects().where(Account.id == row["account"]).first()


async def sign_in(identity: Identity, now: dt.datetime | None = None) -> Account | None:
    """The account this identity is linked to (its use and claims recorded), or None when it
    is linked to none; EmailTaken when an account has its email but no link to it."""
    now = now or now_utc()
    account = await linked_account(identity)
    if account is not None:
        await LinkedIdentity.update(
            {LinkedIdentity.last_used_at: now, LinkedIdentity.claims: identity.claims}
        ).where(LinkedIdentity.identity_key == identity.key)
        return account
    if await Account.exists().where(Account.email == identity.email):
        raise EmailTaken()
    return None


def _consent_rows(account_id: int, granted: bool, now: dt.datetime) -> list[Any]:
    return [ConsentEvent(account=account_id, consent=CONSENT, granted=granted, created_at=now)]


async def _lock(account_id: int) -> dict[str, Any] | None:
    query = Account.select(
        Account.id, Account.password_hash, Account.third_party_sign_in_consent
    ).where(Account.id == account_id)
    if is_postgres(Account._meta.db):
        query = query.lock_rows()
    return await query.first()


async def _grant_consent(account_id: int, stored: dict[str, Any], now: dt.datetime) -> None:
    if not stored["third_party_sign_in_consent"]:
        await Account.update({Account.third_party_sign_in_consent: True}).where(
            Account.id == account_id
        )
        await ConsentEvent.insert(*_consent_rows(account_id, True, now))


async def link(
    account: Account, identity: Identity, consent: bool, now: dt.datetime | None = None
) -> None:
    """Link the identity to the signed-in account, giving the separate consent."""
    if not consent:
        raise LinkRefused(
            Message(N_("Please agree to signing in with another account to link it."))
        )
    now = now or now_utc()
    try:
        await _link(account, identity, now)
    except Exception as error:
        if not _unique_violation(error):
            raise
        # Linked to another account (or this provider to this one) a moment ago.
        raise LinkRefused(
            Message(N_("That account is already linked to another Okmarts account."))
        ) from error
    account.third_party_sign_in_consent = True


async def _link(account: Account, identity: Identity, now: dt.datetime) -> None:
    async with write_transaction(Account._meta.db):
        stored = await _lock(account.id)
        if stored is None:
            raise LinkRefused(Message(N_("This account no longer exists.")))
        owner = (
            await LinkedIdentity.select(LinkedIdentity.account)
            .where(LinkedIdentity.identity_key == identity.key)
            .first()
        )
        if owner is not None:
            if owner["account"] == account.id:
                return
            raise LinkRefused(
                Message(N_("That account is already linked to another Okmarts account."))
            )
        if await LinkedIdentity.exists().where(
            (LinkedIdentity.account == account.id) & (LinkedIdentity.provider == identity.provider)
        ):
            raise LinkRefused(
                Message(
                    N_(
                        "An account of this provider is linked already: unlink it first to "
                        "link another one."
                    )
                )
            )
        await LinkedIdentity.insert(_linked_row(account.id, identity, now))
        await _grant_consent(account.id, stored, now)


def _linked_row(account_id: int, identity: Identity, now: dt.datetime) -> LinkedIdentity:
    return LinkedIdentity(
        account=account_id,
        provider=identity.provider,
        issuer=identity.issuer[:300],
        subject=identity.subject,
        identity_key=identity.key,
        claims=identity.claims,
        linked_at=now,
        last_used_at=now,
    )


def has_password(account: Account | dict[str, Any]) -> bool:
    value = account["password_hash"] if isinstance(account, dict) else account.password_hash
    return bool(value)


_ONLY_WAY = N_(
    "This is the only way you can sign in. Set a password first, then you can unlink it."
)


async def unlink(account: Account, provider_key: str, now: dt.datetime | None = None) -> bool:
    """Unlink the account's identity of this provider; refused while it is the only way to
    sign in. The consent is withdrawn (logged) with the last link. Returns whether one went."""
    now = now or now_utc()
    async with write_transaction(Account._meta.db):
        stored = await _lock(account.id)
        if stored is None:
            return False
        links = await LinkedIdentity.select(LinkedIdentity.provider).where(
            LinkedIdentity.account == account.id
        )
        if not any(row["provider"] == provider_key for row in links):
            return False
        if not has_password(stored) and len(links) == 1:
            raise LinkRefused(Message(_ONLY_WAY))
        await LinkedIdentity.delete().where(
            (LinkedIdentity.account == account.id) & (LinkedIdentity.provider == provider_key)
        )
        if len(links) == 1:
            await withdraw_consent_in_transaction(account.id, stored, now)
    if len(links) == 1:
        account.third_party_sign_in_consent = False
    return True


async def withdraw_consent_in_transaction(
    account_id: int, stored: dict[str, Any], now: dt.datetime, unlink_all: bool = False
) -> None:
    """Withdraw the authorised-login consent (inside the caller's transaction, account locked):
    logged as a consent event and a completed withdrawal; every link goes with it."""
    if unlink_all:
        remaining = await LinkedIdentity.count().where(LinkedIdentity.account == account_id)
        if remaining and not has_password(stored):
            raise LinkRefused(Message(_ONLY_WAY))
        await LinkedIdentity.delete().where(LinkedIdentity.account == account_id)
    if stored["third_party_sign_in_consent"]:
        await Account.update({Account.third_party_sign_in_consent: False}).where(
            Account.id == account_id
        )
        await ConsentEvent.insert(*_consent_rows(account_id, False, now))
        await PrivacyRequest.insert(
            PrivacyRequest(
                account=account_id,
                kind="withdraw",
                status="completed",
                details=CONSENT,
                created_at=now,
                due_at=now + dt.timedelta(days=15),
                closed_at=now,
                closed_by="self-service",
            )
        )


async def identities(account_id: int) -> list[dict[str, Any]]:
    return (
        await LinkedIdentity.select(
            LinkedIdentity.provider,
            LinkedIdentity.claims,
            LinkedIdentity.linked_at,
            LinkedIdentity.last_used_at,
        )
        .where(LinkedIdentity.account == account_id)
        .order_by(LinkedIdentity.linked_at)
        .output(load_json=True)
    )


# -- A new account -----------------------------------------------------------------------------


@dataclass
class ProviderSignUp:
    accept_policy: bool
    accept_sign_in: bool
    date_of_birth: str = ""
    guardian_email: str = ""
    locale: str = "en"


def _validate(identity: Identity, data: ProviderSignUp, today: dt.date) -> tuple[Any, str]:
    errors: dict[str, Message] = {}
    if not data.accept_policy:
        errors["accept_policy"] = Message(
            N_("Please read and accept the privacy policy to create an account.")
        )
    if not data.accept_sign_in:
        errors["accept_sign_in"] = Message(
            N_(
                "Please agree to signing in with your other account, or create an account with "
                "a password instead."
            )
        )
    born = None
    try:
        born = accounts.parse_birth_date(identity.birthdate or data.date_of_birth, today)
    except ValueError as error:
        errors["date_of_birth"] = Message(str(error))
    guardian = ""
    if accounts.is_minor(born, today):
        try:
            guardian = normalize_email(data.guardian_email)
        except ValueError:
            errors["guardian_email"] = Message(
                N_(
                    "You are under %(age)s: enter the email address of a parent or guardian "
                    "so they can agree to your account."
                ),
                {"age": accounts.MINOR_AGE},
            )
        if guardian and guardian == identity.email:
            errors["guardian_email"] = Message(
                N_("Your guardian's email address must be different from yours.")
            )
    if errors:
        raise FormInvalid(errors)
    return born, guardian


async def register(
    identity: Identity,
    data: ProviderSignUp,
    site: accounts.Site,
    device: accounts.Device,
    limit: Limit = accounts.SIGN_UP_PER_IP,
    now: dt.datetime | None = None,
) -> Account:
    """Create the account with the identity linked, in one transaction: the policy acceptance
    and the consent logged, the email verified when the provider says so (else the shop's link
    is mailed), a guardian asked for a child."""
    now = now or now_utc()
    born, guardian = _validate(identity, data, now.date())
    await rate_limits.consume((limit, device.ip), now=now)
    try:
        account = await _create(identity, data, site, born, guardian, now)
    except Exception as error:
        if not _unique_violation(error):
            raise
        raise EmailTaken() from error  # the same sign-up, or this email, a moment ago
    notify_mail_queued()
    return account


async def _create(
    identity: Identity,
    data: ProviderSignUp,
    site: accounts.Site,
    born: Any,
    guardian: str,
    now: dt.datetime,
) -> Account:
    async with write_transaction(Account._meta.db):
        if await Account.exists().where(Account.email == identity.email):
            raise EmailTaken()
        if await LinkedIdentity.exists().where(LinkedIdentity.identity_key == identity.key):
            raise EmailTaken()
        account = Account(
            email=identity.email,
            password_hash="",  # none: this account signs in with its linked identity
            email_verified_at=now if identity.email_verified else None,
            locale=data.locale,
            policy_version=current_policy_version(),
            policy_accepted_at=now,
            created_at=now,
            nickname=identity.claims.get("nickname", "")[:40],
            company=identity.claims.get("company", "")[:120],
            date_of_birth=born,
            is_minor=accounts.is_minor(born, now.date()),
            guardian_email=guardian,
            third_party_sign_in_consent=True,
        )
        await account.save()
        await PolicyAcceptance.insert(
            PolicyAcceptance(account=account.id, version=account.policy_version, accepted_at=now)
        )
        await ConsentEvent.insert(*_consent_rows(account.id, True, now))
        await LinkedIdentity.insert(_linked_row(account.id, identity, now))
        if not identity.email_verified:
            await accounts._mail_verification(account, site)
        if guardian:
            await accounts._mail_guardian(account, site)
    return account
