"""Before and after every request: the shopper's language, session and cart count, a pending
privacy-policy acceptance, cache headers, and the pages for errors and for signing in first.

`RequestHooks` holds what the hooks need (settings, catalogs, the wind-down state); app.py
passes its bound methods to Litestar.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from litestar import Request, Response
from litestar.datastructures import ResponseHeader
from litestar.exceptions import HTTPException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from okmarts import i18n
from okmarts.hooks.consent import mark_page_view, prepare_consent
from okmarts.services import accounts, wind_down
from okmarts.settings import Settings
from okmarts.web import (
    SignInRequired,
    activate_locale,
    count_cart,
    count_unread,
    current_account,
    current_cart_count,
    current_unread_count,
    load_session,
    policy_acceptance_url,
    redirect_after_post,
    sign_in_url,
)

log = logging.getLogger("okmarts")

CSRF_COOKIE = "okmarts_csrf"
# Files: no session, cart or consent to look up.
FILE_PREFIXES = ("/static/", "/media/")
# What a signed-in shopper may still reach before accepting a new privacy-policy version: the
# policy itself, leaving, and the privacy center (to export or delete instead of accepting).
POLICY_PENDING_ALLOWED = (
    "/policy",
    "/privacy",
    "/logout",
    "/cookies",
    "/contact",
    "/comment-rules",
    "/language",
    "/account/privacy",
    "/account/delete",
    "/static",
    "/media",
    "/healthz",
    "/admin",
)
# Responses that must never be kept by a browser or proxy: they name the shopper, or carry
# their cart, orders or a sign-in form. Everything a signed-in shopper gets is personal too.
PERSONAL_PATHS = (
    "/account",
    "/cart",
    "/checkout",
    "/orders",
    "/login",
    "/logout",
    "/register",
    "/password-reset",
    "/verify-email",
    "/policy/accept",
    "/guardian",
)
_personal_response: ContextVar[bool] = ContextVar("okmarts_personal_response", default=False)


class RequestHooks:
    def __init__(
        self,
        settings: Settings,
        catalogs: i18n.Catalogs,
        closing: wind_down.CachedWindDown,
        security_headers: list[ResponseHeader],
    ) -> None:
        self.settings = settings
        self.catalogs = catalogs
        self.closing = closing
        self.security_headers = security_headers

    async def before(self, request: Request) -> Response[Any] | None:
        """before_request. Async on purpose: a sync hook runs in a worker thread, and the
        ContextVars it sets would be lost."""
        if request.url.path.startswith(FILE_PREFIXES):
            return None
        activate_locale(request, self.catalogs)
        _personal_response.set(request.url.path.startswith(PERSONAL_PATHS))
        account = await load_session(request, self.settings.secret_key)
        current_account.set(account)
        current_cart_count.set(await count_cart(request, account))
        current_unread_count.set(await count_unread(request, account))
        prepare_consent(request)
        if await self.closing.refresh():
            # The wind-down notice changed: pages cached without it are dropped.
            request.app.state.page_cache.clear()
        if (
            account is not None
            and accounts.needs_policy_acceptance(account)
            and not request.url.path.startswith(POLICY_PENDING_ALLOWED)
        ):
            # A new privacy policy: accept it (or leave, export, delete) before going on.
            return redirect_after_post(request, policy_acceptance_url(request))  # type: ignore[arg-type]
        return None

    async def after(self, response: Response[Any]) -> Response[Any]:
        """after_request: a page view to record (consenting visitors), and cache headers."""
        return cache_headers(await mark_page_view(response))

    def sign_in_first(self, request: Request, exc: SignInRequired) -> Response[Any]:
        # Back to this page after signing in; after a form post, back to the page it was on.
        return redirect_after_post(
            request,  # type: ignore[arg-type]
            sign_in_url(request) if request.method == "GET" else "/login",
        )

    def error_page(self, request: Request, exc: Exception) -> Response[Any]:
        activate_locale(request, self.catalogs)
        if isinstance(exc, HTTPException):
            status = exc.status_code
        else:
            log.exception(
                "Unhandled error on %s %s", request.method, request.url.path, exc_info=exc
            )
            status = HTTP_500_INTERNAL_SERVER_ERROR
        template = "pages/errors/404.html" if status == 404 else "pages/errors/error.html"
        # A form refused for its CSRF token while the browser sent no CSRF cookie at all: the
        # browser refuses cookies, and reloading won't help; say what will.
        refuses_cookies = (
            status == 403
            and request.method not in {"GET", "HEAD", "OPTIONS"}
            and CSRF_COOKIE not in request.cookies
        )
        # Errors raised before routing skip the app's response headers: add them here too.
        return Template(
            template_name=template,
            context={"status": status, "refuses_cookies": refuses_cookies},
            status_code=status,
            headers={
                **{header.name: header.value or "" for header in self.security_headers},
                "Cache-Control": "no-store",
            },
        )


def cache_headers(response: Response[Any]) -> Response[Any]:
    """Personal answers are `no-store`; other pages may be kept but not reused without asking
    (static files and avatars set their own long cache)."""
    if "cache-control" not in response.headers:
        response.headers["Cache-Control"] = (
            "no-store" if _personal_response.get() or current_account.get() else "no-cache"
        )
    return response


async def no_sniff(response: Response[Any]) -> Response[Any]:
    """after_request for uploaded media: never sniffed into HTML or script."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
