"""Accounts: sign-up, email verification, sign-in, passwords, sessions and guardians (§1, §8)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from ua_parser import parse as ua_parse

from okmarts.db import write_transaction
from okmarts.i18n import N_, Message
from okmarts.services import rate_limits
from okmarts.services.content import current_policy_version
from okmarts.services.messaging import enqueue_email, notify_mail_queued
from okmarts.services.rate_limits import Limit
from okmarts.services.tokens import TokenError, make_token, read_token
from okmarts.tables.accounts import Account, AccountSession, LinkedIdentity, SignIn
from okmarts.tables.privacy import ConsentEvent, PolicyAcceptance

VERIFY_EMAIL_DAYS = 3
PASSWORD_RESET_MINUTES = 60
GUARDIAN_LINK_DAYS = 14
# Policy §8: under this age, interactive services wait for a guardian's consent.
MINOR_AGE = 14
OLDEST_AGE = 120
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 256

SIGN_UP_PER_IP = Limit("sign-up-ip", attempts=10, window=dt.timedelta(hours=1))  # see Settings
SIGN_IN_FAILURES_PER_IP = Limit("sign-in-ip", attempts=30, window=dt.timedelta(minutes=15))
SIGN_IN_FAILURES_PER_ACCOUNT = Limit("sign-in-account", attempts=5, window=dt.timedelta(minutes=15))
RESET_PER_IP = Limit("reset-ip", attempts=10, window=dt.timedelta(hours=1))
RESET_PER_ACCOUNT = Limit("reset-account", attempts=3, window=dt.timedelta(hours=1))
RESEND_PER_ACCOUNT = Limit("resend-account", attempts=3, window=dt.timedelta(hours=1))

# Rejected outright: the passwords tried first by anyone guessing.
COMMON_PASSWORDS = frozenset(
    [
        "123456789012",
        "1234567890",
        "12345678910",
        "password123",
        "password1234",
        "qwertyuiop",
        "qwerty12345",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "iloveyou123",
        "welcome123",
        "letmein123",
        "administrator",
        "adminadmin",
        "passwordpassword",
        "abc1234567",
        "qwerty123456",
        "aaaaaaaaaa",
        "0123456789",
        "9876543210",
        "okmarts123",
        "okmarts2026",
        "changeme123",
        "trustno1234",
        "football123",
        "baseball123",
        "sunshine123",
        "princess123",
        "dragon12345",
        "monkey12345",
        "master12345",
        "p@ssw0rd123",
        "passw0rd123",
        "zaq12wsxcde",
    ]
)

_hasher = PasswordHasher()


@dataclass
class FormInvalid(Exception):
    """Input that cannot be accepted: a message per form field."""

    errors: dict[str, Message]

    def __post_init__(self) -> None:
        super().__init__(self.errors)


class InvalidCredentials(Exception):
    """Wrong email or password (which one is never said)."""


@dataclass
class SignUp:
    email: str
    password: str
    accept_policy: bool
    date_of_birth: str = ""
    guardian_email: str = ""
    locale: str = "en"


@dataclass(frozen=True)
class Device:
    """Where a request comes from, as far as sign-in history needs to know."""

    ip: str
    user_agent: str
    device_id: str  # the random id in the visitor's signed device cookie


@dataclass(frozen=True)
class Site:
    """What building links and signing tokens needs: the secret and the public address."""

    secret: str
    base_url: str

    def link(self, path: str, **query: str) -> str:
        from urllib.parse import urlencode

        return f"{self.base_url}{path}" + (f"?{urlencode(query)}" if query else "")


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- Validation rules (pure) ---------------------------------------------------------------


def normalize_email(raw: str) -> str:
    """The address as stored: validated, lower-cased; FormInvalid-ready ValueError otherwise."""
    candidate = (raw or "").strip()
    if not candidate or len(candidate) > 254:
        raise ValueError(N_("Enter a valid email address, like name@example.com."))
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(N_("Enter a valid email address, like name@example.com.")) from error
    return result.normalized.lower()


def password_problem(password: str, email: str = "") -> str | None:
    """Why a new password is not good enough, or None."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return N_("Use at least 10 characters for your password.")
    if len(password) > PASSWORD_MAX_LENGTH:
        return N_("Use at most 256 characters for your password.")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) < 4:
        return N_("This password is too easy to guess. Try a few unrelated words.")
    local_part = email.split("@", 1)[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        return N_("Don't use your email address in your password.")
    return None


def parse_birth_date(raw: str, today: dt.date) -> dt.date | None:
    """An optional date of birth (YYYY-MM-DD): not in the future, not absurdly old."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        born = dt.date.fromisoformat(raw)
    except ValueError as error:
        raise ValueError(
            N_("Enter your date of birth as year-month-day, e.g. 1990-05-31.")
        ) from error
    if born > today:
        raise ValueError(N_("Your date of birth cannot be in the future."))
    if born.year < today.year - OLDEST_AGE:
        raise ValueError(N_("Please check the year of your date of birth."))
    return born


def age_on(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def is_minor(born: dt.date | None, today: dt.date) -> bool:
    return born is not None and age_on(born, today) < MINOR_AGE


def interaction_lock(account: Account | None, today: dt.date | None = None) -> str | None:
    """Why this visitor may not buy, review, ask or vote yet: a reason code, or None.

    "sign-in": anonymous; "verify-email": the address is not confirmed; "guardian": a child
    (policy §8) whose guardian has not confirmed yet.
    """
    if account is None:
        return "sign-in"
    if account.email_verified_at is None:
        return "verify-email"
    if is_minor(account.date_of_birth, today or now_utc().date()) and (
        account.guardian_confirmed_at is None
    ):
        return "guardian"
    return None


def device_hash(secret: str, device_id: str) -> str:
    """A keyed hash of the device cookie: recognisable later, useless if the table leaks."""
    return hashlib.sha256(f"{secret}:device:{device_id}".encode()).hexdigest()


# -- Passwords -------------------------------------------------------------------------------


async def hash_password(password: str) -> str:
    # argon2 takes ~100 ms of CPU on purpose: off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def password_matches(password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


# A real hash to verify against when the email is unknown, so both cases take as long.
_UNKNOWN_ACCOUNT_HASH = _hasher.hash("no account has this password")


# -- Sign-up and verification ------------------------------------------------------------------


def _validate_sign_up(data: SignUp, today: dt.date) -> tuple[str, dt.date | None, str]:
    errors: dict[str, Message] = {}
    email = ""
    try:
        email = normalize_email(data.email)
    except ValueError as error:
        errors["email"] = Message(str(error))
    problem = password_problem(data.password, email)
    if problem:
        errors["password"] = Message(problem)
    if not data.accept_policy:
        errors["accept_policy"] = Message(
            N_("Please read and accept the privacy policy to create an account.")
        )
    born: dt.date | None = None
    try:
        born = parse_birth_date(data.date_of_birth, today)
    except ValueError as error:
        errors["date_of_birth"] = Message(str(error))
    guardian = ""
    if is_minor(born, today):
        try:
            guardian = normalize_email(data.guardian_email)
        except ValueError:
            errors["guardian_email"] = Message(
                N_(
                    "You are under %(age)s: enter the email address of a parent or guardian "
                    "so they can agree to your account."
                ),
                {"age": MINOR_AGE},
            )
        if guardian and guardian == email:
            errors["guardian_email"] = Message(
                N_("Your guardian's email address must be different from yours.")
            )
    if errors:
        raise FormInvalid(errors)
    return email, born, guardian


def sign_up_limit(per_hour: int) -> Limit:
    return Limit("sign-up-ip", attempts=per_hour, window=dt.timedelta(hours=1))


async def register(
    data: SignUp,
    site: Site,
    device: Device,
    now: dt.datetime | None = None,
    limit: Limit = SIGN_UP_PER_IP,
) -> Account:
    """Create an account (policy accepted, verification mailed); rate-limited per IP."""
    now = now or now_utc()
    email, born, guardian = _validate_sign_up(data, now.date())
    await rate_limits.consume((limit, device.ip), now=now)
    password_hash = await hash_password(data.password)
    engine = Account._meta.db
    async with write_transaction(engine):
        if await Account.exists().where(Account.email == email):
            raise FormInvalid(
                {
                    "email": Message(
                        N_(
                            "An account with this email address already exists. Sign in, or "
                            "reset your password if you forgot it."
                        )
                    )
                }
            )
        account = Account(
            email=email,
            password_hash=password_hash,
            locale=data.locale,
            policy_version=current_policy_version(),
            policy_accepted_at=now,
            created_at=now,
            date_of_birth=born,
            is_minor=is_minor(born, now.date()),
            guardian_email=guardian,
        )
        await account.save()
        await PolicyAcceptance.insert(
            PolicyAcceptance(account=account.id, version=account.policy_version, accepted_at=now)
        )
        await _mail_verification(account, site)
        if guardian:
            await _mail_guardian(account, site)
    notify_mail_queued()
    return account


async def _mail_verification(account: Account, site: Site) -> None:
    token = make_token(site.secret, "verify-email", {"a": account.id, "e": account.email})
    await enqueue_email(
        kind="verify_email",
        recipient=account.email,
        locale=account.locale,
        account_id=account.id,
        context={
            "email": account.email,
            "link": site.link("/verify-email", token=token),
            "days": VERIFY_EMAIL_DAYS,
        },
    )


async def resend_verification(account: Account, site: Site, now: dt.datetime | None = None) -> None:
    """Mail a new verification link (a few per hour at most)."""
    now = now or now_utc()
    await rate_limits.consume((RESEND_PER_ACCOUNT, str(account.id)), now=now)
    async with write_transaction(Account._meta.db):
        await _mail_verification(account, site)
    notify_mail_queued()


async def verify_email(token: str, site: Site, now: dt.datetime | None = None) -> Account:
    """Mark the address in a genuine, unexpired link as verified (again is harmless)."""
    payload = read_token(site.secret, "verify-email", token, VERIFY_EMAIL_DAYS * 86_400)
    account = await Account.objects().where(Account.id == payload.get("a")).first()
    # A link for an address the account no longer has is void.
    if account is None or account.email != payload.get("e"):
        raise TokenError("verify-email")
    if account.email_verified_at is None:
        await Account.update({Account.email_verified_at: now or now_utc()}).where(
            (Account.id == account.id) & Account.email_verified_at.is_null()
        )
        account.email_verified_at = now or now_utc()
    return account


# -- Sign-in and sessions ----------------------------------------------------------------------


async def authenticate(
    email: str, password: str, device: Device, now: dt.datetime | None = None
) -> Account:
    """The account for these credentials; failures are counted per IP and per account."""
    now = now or now_utc()
    try:
        email = normalize_email(email)
    except ValueError:
        email = (email or "").strip().lower()[:254]
    # Counted as a failure before the password is checked, so that parallel guesses can't all
    # pass the check while the slow hash runs; a right password takes its count back.
    counted = await rate_limits.consume(
        (SIGN_IN_FAILURES_PER_IP, device.ip), (SIGN_IN_FAILURES_PER_ACCOUNT, email), now=now
    )
    account = await Account.objects().where(Account.email == email).first() if email else None
    matches = await password_matches(
        account.password_hash if account else _UNKNOWN_ACCOUNT_HASH, password[:PASSWORD_MAX_LENGTH]
    )
    if account is None or not matches:
        raise InvalidCredentials()
    await rate_limits.release(counted)
    await rate_limits.forget(SIGN_IN_FAILURES_PER_ACCOUNT, email)
    if _hasher.check_needs_rehash(account.password_hash):
        new_hash = await hash_password(password)
        await Account.update({Account.password_hash: new_hash}).where(Account.id == account.id)
    return account


async def record_sign_in(
    account: Account,
    device: Device,
    site: Site,
    now: dt.datetime | None = None,
    method: str = "password",
) -> SignIn:
    """Add to the sign-in history; mail an alert when the device was never seen before.
    `method`: "password", or the key of the provider signed in with (services.oidc).

    The first sign-in of an account (at sign-up) has nothing to compare with: no alert.
    """
    now = now or now_utc()
    parsed = ua_parse(device.user_agent[:300])
    browser = parsed.user_agent.family if parsed.user_agent else ""
    system = parsed.os.family if parsed.os else ""
    fingerprint = device_hash(site.secret, device.device_id)
    async with write_transaction(SignIn._meta.db):
        seen_before = await SignIn.exists().where(
            (SignIn.account == account.id) & (SignIn.device_hash == fingerprint)
        )
        first_ever = not await SignIn.exists().where(SignIn.account == account.id)
        new_device = not seen_before and not first_ever
        sign_in = SignIn(
            account=account.id,
            created_at=now,
            ip=device.ip[:45],
            user_agent=device.user_agent[:300],
            browser=browser[:60],
            os=system[:60],
            device_hash=fingerprint,
            new_device=new_device,
            method=method[:40],
        )
        await sign_in.save()
        if new_device:
            await enqueue_email(
                kind="new_device",
                recipient=account.email,
                locale=account.locale,
                account_id=account.id,
                context={
                    "when": now,
                    "ip": device.ip,
                    "browser": browser or "?",
                    "os": system or "?",
                    "security_link": site.link("/account/security"),
                    "reset_link": site.link("/password-reset"),
                },
            )
    if new_device:
        notify_mail_queued()
    return sign_in


def birth_mark(account: Account) -> int:
    """When the account was created, in microseconds: in the session cookie, so a deleted
    account's sessions never pass for a newer account that got the same id (SQLite reuses)."""
    return int(account.created_at.timestamp() * 1_000_000)


async def open_session(account: Account, now: dt.datetime | None = None) -> str:
    """A new session for one browser: returns the random key its cookie carries."""
    key = secrets.token_urlsafe(24)
    await AccountSession.insert(
        AccountSession(account=account.id, key_hash=_session_hash(key), created_at=now or now_utc())
    )
    return key


async def close_session(key: Any) -> None:
    """Sign one browser out: its cookie, and any copy of it, no longer opens the account."""
    if isinstance(key, str) and key:
        await AccountSession.delete().where(AccountSession.key_hash == _session_hash(key))


def _session_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


_SESSION_ACCOUNT_SQL = (
    "SELECT "
    + ", ".join(f'a."{column._meta.db_column_name}"' for column in Account._meta.columns)
    + ", (SELECT COALESCE(SUM(c.quantity), 0) FROM cart_line c WHERE c.account = a.id)"
    " AS okmarts_cart_items"
    # The header's unread messages: one walk of the partial index notification_unread.
    ", (SELECT COUNT(*) FROM notification n WHERE n.account = a.id AND n.read_at IS NULL)"
    " AS okmarts_unread"
    " FROM account a JOIN account_session s ON s.account = a.id"
    " WHERE a.id = {} AND s.key_hash = {}"
)


async def session_account(
    account_id: Any, session_version: Any, birth: Any = None, key: Any = None
) -> Account | None:
    """The account a session cookie names, if that session is still open (one query)."""
    found = await signed_in(account_id, session_version, birth, key)
    return found.account if found else None


@dataclass(frozen=True)
class SignedIn:
    account: Account
    cart_items: int
    unread_messages: int


async def signed_in(
    account_id: Any, session_version: Any, birth: Any = None, key: Any = None
) -> SignedIn | None:
    """`session_account`, how many items the account's cart holds and how many of its messages
    are unread: the header of every page shows them, and one query asks for all three."""
    if (
        not isinstance(account_id, int)
        or not isinstance(session_version, int)
        or not isinstance(key, str)
        or not -(2**63) <= account_id < 2**63
    ):
        return None
    # Every request of a signed-in shopper asks this: written once as SQL, not rebuilt by the
    # ORM each time (that cost more than the query).
    rows = await Account.raw(_SESSION_ACCOUNT_SQL, account_id, _session_hash(key))
    if not rows:
        return None
    cart_items = int(rows[0].pop("okmarts_cart_items"))
    unread = int(rows[0].pop("okmarts_unread"))
    account = Account(**rows[0], _exists_in_db=True)
    if account.session_version != session_version or birth != birth_mark(account):
        return None
    return SignedIn(account, cart_items, unread)


async def revoke_sessions(account_id: int) -> int:
    """End every session of the account; returns the new session version."""
    async with write_transaction(Account._meta.db):
        await AccountSession.delete().where(AccountSession.account == account_id)
        rows = (
            await Account.update({Account.session_version: Account.session_version + 1})
            .where(Account.id == account_id)
            .returning(Account.session_version)
        )
    return rows[0]["session_version"]


async def change_password(account: Account, current: str, new: str, confirm: str) -> int:
    """Set a new password after checking the current one; ends every other session. An account
    made by signing in with another account has no password yet: it sets one without."""
    errors: dict[str, Message] = {}
    if account.password_hash and not await password_matches(
        account.password_hash, current[:PASSWORD_MAX_LENGTH]
    ):
        errors["current_password"] = Message(N_("Your current password is not correct."))
    problem = password_problem(new, account.email)
    if problem:
        errors["new_password"] = Message(problem)
    elif new != confirm:
        errors["confirm_password"] = Message(N_("The two new passwords are not the same."))
    if errors:
        raise FormInvalid(errors)
    new_hash = await hash_password(new)
    async with write_transaction(Account._meta.db):
        await Account.update({Account.password_hash: new_hash}).where(Account.id == account.id)
        version = await revoke_sessions(account.id)
    return version


# -- Password reset ----------------------------------------------------------------------------


def _password_fingerprint(password_hash: str) -> str:
    # In the reset token: once the password changes, every earlier link stops working.
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


async def request_password_reset(
    email: str, site: Site, device: Device, now: dt.datetime | None = None
) -> None:
    """Mail a reset link if the account exists; the answer never says whether it does."""
    now = now or now_utc()
    try:
        email = normalize_email(email)
    except ValueError as error:
        raise FormInvalid({"email": Message(str(error))}) from error
    await rate_limits.consume((RESET_PER_IP, device.ip), (RESET_PER_ACCOUNT, email), now=now)
    account = await Account.objects().where(Account.email == email).first()
    if account is None:
        return
    token = make_token(
        site.secret,
        "password-reset",
        {"a": account.id, "p": _password_fingerprint(account.password_hash)},
    )
    async with write_transaction(Account._meta.db):
        await enqueue_email(
            kind="password_reset",
            recipient=account.email,
            locale=account.locale,
            account_id=account.id,
            context={
                "link": site.link("/password-reset/confirm", token=token),
                "minutes": PASSWORD_RESET_MINUTES,
                "ip": device.ip,
            },
        )
    notify_mail_queued()


async def account_for_reset(token: str, site: Site) -> Account:
    """The account a reset link is for, while the link is unused and unexpired."""
    payload = read_token(site.secret, "password-reset", token, PASSWORD_RESET_MINUTES * 60)
    account = await Account.objects().where(Account.id == payload.get("a")).first()
    if account is None or payload.get("p") != _password_fingerprint(account.password_hash):
        raise TokenError("password-reset")
    return account


async def reset_password(token: str, new: str, confirm: str, site: Site) -> Account:
    """Set a new password from a reset link (once); ends every session."""
    account = await account_for_reset(token, site)
    problem = password_problem(new, account.email)
    if problem:
        raise FormInvalid({"new_password": Message(problem)})
    if new != confirm:
        raise FormInvalid(
            {"confirm_password": Message(N_("The two new passwords are not the same."))}
        )
    new_hash = await hash_password(new)
    async with write_transaction(Account._meta.db):
        # Conditional on the old hash: two uses of one link racing, only one wins.
        updated = (
            await Account.update({Account.password_hash: new_hash})
            .where((Account.id == account.id) & (Account.password_hash == account.password_hash))
            .returning(Account.id)
        )
        if not updated:
            raise TokenError("password-reset")
        account.session_version = await revoke_sessions(account.id)
        # Whoever can read the mailbox owns the address: a reset also verifies it.
        if account.email_verified_at is None:
            account.email_verified_at = now_utc()
            await Account.update({Account.email_verified_at: account.email_verified_at}).where(
                Account.id == account.id
            )
            await _end_unproven_links(account, account.email_verified_at)
    account.password_hash = new_hash
    return account


async def _end_unproven_links(account: Account, now: dt.datetime) -> None:
    """Pre-account hijacking: an account made through a provider that vouched for this address
    without verifying it may be someone else's doing. Its owner, proving the mailbox with a
    reset, takes it over alone: the links made before go, with the sign-in consent (logged)."""
    if not await LinkedIdentity.exists().where(LinkedIdentity.account == account.id):
        return
    await LinkedIdentity.delete().where(LinkedIdentity.account == account.id)
    if account.third_party_sign_in_consent:
        account.third_party_sign_in_consent = False
        await Account.update({Account.third_party_sign_in_consent: False}).where(
            Account.id == account.id
        )
        await ConsentEvent.insert(
            ConsentEvent(
                account=account.id, consent="third_party_sign_in", granted=False, created_at=now
            )
        )


# -- Policy versions ------------------------------------------------------------------------


def needs_policy_acceptance(account: Account) -> bool:
    """A new privacy-policy version was published since the account last accepted one."""
    return account.policy_version != current_policy_version()


async def accept_current_policy(account: Account, now: dt.datetime | None = None) -> str:
    """Record that the account accepted the current version (logged, with the time)."""
    now = now or now_utc()
    version = current_policy_version()
    async with write_transaction(Account._meta.db):
        await Account.update(
            {Account.policy_version: version, Account.policy_accepted_at: now}
        ).where(Account.id == account.id)
        await PolicyAcceptance.insert(
            PolicyAcceptance(account=account.id, version=version, accepted_at=now)
        )
    account.policy_version, account.policy_accepted_at = version, now
    return version


# -- Guardians (policy §8) ---------------------------------------------------------------------


async def _mail_guardian(account: Account, site: Site) -> None:
    token = make_token(site.secret, "guardian", {"a": account.id, "g": account.guardian_email})
    await enqueue_email(
        kind="guardian_consent",
        recipient=account.guardian_email,
        locale=account.locale,
        account_id=account.id,
        context={
            "child_email": account.email,
            "link": site.link("/guardian", token=token),
            "days": GUARDIAN_LINK_DAYS,
            "age": MINOR_AGE,
        },
    )


async def request_guardian_consent(
    account: Account, guardian_email: str, site: Site, now: dt.datetime | None = None
) -> Account:
    """Record the guardian's address and mail them the consent link."""
    now = now or now_utc()
    try:
        guardian = normalize_email(guardian_email)
    except ValueError as error:
        raise FormInvalid({"guardian_email": Message(str(error))}) from error
    if guardian == account.email:
        raise FormInvalid(
            {
                "guardian_email": Message(
                    N_("Your guardian's email address must be different from yours.")
                )
            }
        )
    await rate_limits.consume((RESEND_PER_ACCOUNT, f"guardian:{account.id}"), now=now)
    async with write_transaction(Account._meta.db):
        await Account.update({Account.guardian_email: guardian}).where(Account.id == account.id)
        account.guardian_email = guardian
        await _mail_guardian(account, site)
    notify_mail_queued()
    return account


async def account_for_guardian(token: str, site: Site) -> Account:
    payload = read_token(site.secret, "guardian", token, GUARDIAN_LINK_DAYS * 86_400)
    account = await Account.objects().where(Account.id == payload.get("a")).first()
    if account is None or not account.guardian_email or account.guardian_email != payload.get("g"):
        raise TokenError("guardian")
    return account


async def confirm_guardian(token: str, site: Site, now: dt.datetime | None = None) -> Account:
    """The guardian agrees: the child's account is unlocked (it stays flagged as a minor's)."""
    account = await account_for_guardian(token, site)
    if account.guardian_confirmed_at is None:
        account.guardian_confirmed_at = now or now_utc()
        await Account.update({Account.guardian_confirmed_at: account.guardian_confirmed_at}).where(
            Account.id == account.id
        )
    return account
