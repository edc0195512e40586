"""Where a shopper's dismissed recommendations are remembered (services.recommendations):

- a signed-in shopper whose data may personalise: in `recommendation_dismissal`;
- anyone else: in the browser's own signed cookie, and only with the preferences cookie
  category accepted; without it a dismissal lasts for the page it was made on (htmx removes
  the card) and is not remembered anywhere.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from okmarts.hooks.consent import current_consent
from okmarts.services import consent, recommendations
from okmarts.signed_cookie import SignedListCookie
from okmarts.tables.accounts import Account

COOKIE = "okmarts_dismissed"
COOKIE_MAX_AGE = 180 * 24 * 3600  # as long as the cookie policy says preferences are kept
MAX_IN_COOKIE = 50
_COOKIE = SignedListCookie(COOKIE, "okmarts.dismissed", COOKIE_MAX_AGE)


def cookie_allowed() -> bool:
    return current_consent.get().allows(consent.PREFERENCES)


def from_cookie(request: Request) -> list[int]:
    if not cookie_allowed():
        return []
    return [
        value
        for value in _COOKIE.read(request)[:MAX_IN_COOKIE]
        if isinstance(value, int) and not isinstance(value, bool) and value > 0
    ]


async def dismissed(request: Request, account: Account | None) -> set[int]:
    """The products this shopper asked not to be recommended."""
    if recommendations.remembers_in_database(account):
        assert account is not None
        return await recommendations.dismissed_ids(account)
    return set(from_cookie(request))


async def remember(
    request: Request, account: Account | None, product_id: int
) -> tuple[bool, str | None]:
    """Remember a dismissal where this shopper's are kept: (remembered, the cookie's new value
    if it goes in the cookie). Not remembered without preferences cookies (the page says so)."""
    if recommendations.remembers_in_database(account):
        assert account is not None
        return await recommendations.dismiss(account, product_id), None
    if not cookie_allowed():
        return False, None
    kept = [value for value in from_cookie(request) if value != product_id]
    return True, _COOKIE.signed(request, [product_id, *kept][:MAX_IN_COOKIE])


def set_cookie(request: Request, response: Response[Any], value: str) -> None:
    _COOKIE.set(request, response, value)
