"""Unsubscribing (RFC 2369, RFC 8058): every email that is not transactional carries a link that
turns its type off without signing in, and the headers mail clients use for one click.

The link is a signed token (services.tokens) naming the account and the type, bound to the
account's creation so a reused id never matches it. A GET shows what the link would change; only
a POST changes it (mail scanners fetch links; RFC 8058's one-click POST carries the body
`List-Unsubscribe=One-Click` and no cookie, so the token is the authorisation). Turning a
marketing type off is logged as a consent withdrawal (services.notification_settings).

The footer and headers are added when a message is sent (messaging.build_message), in the
language of the stored message: the outbox keeps the body as rendered at enqueue time, without
a link that would only name the account again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any
from urllib.parse import quote

from okmarts.db import lock_row, write_transaction
from okmarts.services import notification_settings
from okmarts.services.accounts import now_utc
from okmarts.services.notifications import EMAIL, TYPES, is_transactional
from okmarts.services.tokens import TokenError, make_token, read_token
from okmarts.settings import Settings
from okmarts.tables.accounts import Account

TOKEN_PURPOSE = "unsubscribe"
# Long-lived: an old newsletter's link must still work (RFC 8058 asks links to keep working
# for a while; two years covers a digest found in an archive).
TOKEN_DAYS = 730
SETTINGS_PATH = "/account/notifications"


class UnsubscribeRefused(Exception):
    """The link is not genuine, is too old, or names an account that no longer exists."""

    def __init__(self, reason: str) -> None:  # "invalid" | "expired" | "gone"
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Subscription:
    """What a genuine link names."""

    account_id: int
    type_code: str


@dataclass(frozen=True)
class MailFooter:
    """What build_message adds to one message: footer text and HTML, and headers."""

    text: str
    html: str
    headers: dict[str, str]


def _fingerprint(account_id: int, created_at: dt.datetime | None) -> str:
    created = int(created_at.timestamp()) if created_at else 0
    return hashlib.sha256(f"{account_id}:{created}".encode()).hexdigest()[:12]


def make_link_token(secret: str, account_id: int, created_at: Any, type_code: str) -> str:
    return make_token(
        secret,
        TOKEN_PURPOSE,
        {"a": account_id, "t": type_code, "f": _fingerprint(account_id, created_at)},
    )


async def read_link(secret: str, token: str) -> tuple[Subscription, Account]:
    """The account and type a link names; UnsubscribeRefused otherwise."""
    try:
        payload = read_token(secret, TOKEN_PURPOSE, token, TOKEN_DAYS * 86_400)
    except TokenError as error:
        expired = type(error).__name__ == "TokenExpired"
        raise UnsubscribeRefused("expired" if expired else "invalid") from error
    account_id, type_code = payload.get("a"), payload.get("t")
    if not isinstance(account_id, int) or type_code not in TYPES or is_transactional(type_code):
        raise UnsubscribeRefused("invalid")
    account = await Account.objects().where(Account.id == account_id).first()
    if account is None or payload.get("f") != _fingerprint(account.id, account.created_at):
        raise UnsubscribeRefused("gone")
    return Subscription(account_id, type_code), account


def unsubscribable_types() -> list[str]:
    """Every type a link may turn off: all but the transactional ones."""
    return [code for code in TYPES if not is_transactional(code)]


async def unsubscribe(
    account_id: int, type_codes: list[str], now: dt.datetime | None = None
) -> list[str]:
    """Turn these types off on the email channel, in one transaction; the types that changed.
    A marketing type's turn-off is a consent withdrawal, logged (notification_settings). Mail
    already queued and not sent yet is withheld by the sender's second look at the gate."""
    now = now or now_utc()
    changed = []
    async with write_transaction(Account._meta.db):
        await lock_row(Account, account_id)
        for type_code in type_codes:
            if is_transactional(type_code):
                continue
            if await notification_settings.set_choice(account_id, type_code, EMAIL, False, now):
                changed.append(type_code)
    return changed


# -- What each message carries ---------------------------------------------------------------


def mailto_address(settings: Settings) -> str:
    if settings.unsubscribe_mailto:
        return settings.unsubscribe_mailto
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "okmarts.com"
    return f"unsubscribe@{domain}"


def link_of(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/unsubscribe/{token}"


async def footer_for(row: dict[str, Any], settings: Settings) -> MailFooter | None:
    """The footer and headers of one outbox row: an unsubscribe link (and RFC 8058 headers)
    for a type that is not transactional, a link to the settings for one that is; nothing for
    mail to no account (a guardian, a staff test send)."""
    from okmarts.services import messaging  # messaging calls this module while sending

    account_id = row.get("account")
    type_code = row.get("notification_type") or ""
    if account_id is None or type_code not in TYPES:
        return None
    created = await Account.select(Account.created_at).where(Account.id == account_id).first()
    if created is None:
        return None  # erased meanwhile: the gate withholds what is not transactional
    locale = row.get("locale") or "en"
    settings_link = f"{settings.base_url}{SETTINGS_PATH}"
    if is_transactional(type_code):
        context = {"settings_link": settings_link, "unsubscribe_link": "", "type_code": type_code}
        headers: dict[str, str] = {}
    else:
        token = make_link_token(
            settings.secret_key, int(account_id), created["created_at"], type_code
        )
        link = link_of(settings, token)
        context = {"settings_link": settings_link, "unsubscribe_link": link, "type_code": type_code}
        mailto = f"mailto:{mailto_address(settings)}?subject={quote('unsubscribe ' + token)}"
        headers = {
            "List-Unsubscribe": f"<{mailto}>, <{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    context["type_label"] = TYPES[type_code].label
    text = messaging.render_fragment("footer.txt", locale, context)
    html = messaging.render_fragment("footer.html", locale, context)
    return MailFooter(text=text, html=html, headers=headers)
