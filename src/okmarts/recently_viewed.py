"""Recently viewed products: kept in the browser's own cookie only, never on the server.

The product page adds its slug to `okmarts_viewed` (signed, the last MAX_VIEWED slugs, nothing
else) when the visitor accepted the preferences cookie category and, for a signed-in shopper,
only while their data may personalise (services.privacy.personalisation_allowed): a child, a
restricted account or one without the consent gets no such cookie and sees no such block. The
home page and the personal center show them (page_cache's per-shopper hole). Rejecting
preferences cookies, or withdrawing the consent, deletes the cookie.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from okmarts.hooks.consent import current_consent
from okmarts.services import consent
from okmarts.services.privacy import personalisation_allowed
from okmarts.signed_cookie import SignedListCookie
from okmarts.tables.accounts import Account

COOKIE = "okmarts_viewed"
MAX_VIEWED = 8
COOKIE_MAX_AGE = 30 * 24 * 3600
MAX_SLUG = 200
_COOKIE = SignedListCookie(COOKIE, "okmarts.viewed", COOKIE_MAX_AGE)


def allowed(account: Account | None) -> bool:
    if not current_consent.get().allows(consent.PREFERENCES):
        return False
    return account is None or personalisation_allowed(account)


def read(request: Request, account: Account | None) -> list[str]:
    """The slugs this browser viewed last, newest first (none unless `allowed`)."""
    if not allowed(account):
        return []
    return [
        s
        for s in _COOKIE.read(request)[:MAX_VIEWED]
        if isinstance(s, str) and 0 < len(s) <= MAX_SLUG
    ]


def remember(request: Request, response: Response[Any], account: Account | None, slug: str) -> None:
    """After a product page: its slug first in the cookie (if allowed; else nothing)."""
    if not allowed(account) or len(slug) > MAX_SLUG:
        return
    kept = [slug, *(s for s in read(request, account) if s != slug)][:MAX_VIEWED]
    _COOKIE.set(request, response, _COOKIE.signed(request, kept))


def forget(response: Response[Any]) -> None:
    response.delete_cookie(COOKIE)
