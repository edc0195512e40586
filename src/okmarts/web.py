"""What every controller shares: the request's locale, safe redirects, page-number parsing."""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar import Request

from okmarts.i18n import Catalogs, current_locale

LANGUAGE_COOKIE = "okmarts_lang"


def activate_locale(request: Request, catalogs: Catalogs) -> str:
    """Pick the shopper's language (their choice, then the browser's) for this request."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    locale = (catalogs.match(chosen) if chosen else None) or catalogs.negotiate(
        request.headers.get("accept-language")
    )
    current_locale.set(locale)
    return locale


def safe_next(target: str | None, default: str = "/") -> str:
    """A redirect target on this site only: a path, never another host or scheme."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(char) < 32 for char in target):
        return default
    return target


def positive_int(value: str | None, default: int = 1, maximum: int = 10_000) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return min(max(number, 1), maximum)
