"""Cookie consent on every request: the visitor's signed choice, the banner's place in cached
pages, and the page views recorded for visitors who accepted analytics. (The banner's form and
the settings page at /cookies are controllers.consent.)

Hooks wired in app.py: `prepare_consent` (before each request: read the choice and the
`Sec-GPC` header), `mark_page_view` (after_request: a 200 HTML page of such a visitor gets its
visit cookie) and `record_page_view` (after_response: one insert, once the page is sent; a
failure is logged, never shown). Cached catalog pages always hold the banner between two markers;
page_cache cuts it out for visitors who have chosen (see `strip_cookie_banner`).
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from litestar import MediaType, Request, Response
from litestar.response import Template

from okmarts.services import consent
from okmarts.services.consent import Consent
from okmarts.services.privacy import analytics_allowed
from okmarts.web import current_account

log = logging.getLogger("okmarts.consent")

SETTINGS_PATH = "/cookies"
BANNER_TEMPLATE = "partials/privacy/cookie_banner.html"
BANNER_CLOSED_TEMPLATE = "partials/privacy/cookie_banner_closed.html"
# Cached pages keep the banner between these; page_cache cuts it out for those who chose.
BANNER_START = "<!--okmarts-cookie-banner-->"
BANNER_END = "<!--/okmarts-cookie-banner-->"
# Never page views: files, the staff admin, the health check, and the consent page's own POST.
UNCOUNTED_PREFIXES = ("/static/", "/media/", "/admin", "/healthz")


@dataclass(frozen=True)
class VisitorConsent:
    """What this request's visitor chose, and whether their browser sends Global Privacy Control.

    `consent` is a choice under the current cookie policy (None: ask); `known_id` the consent id
    of any genuine cookie, even of an older policy, so that a new choice keeps the visitor's id.
    """

    evaluated: bool = False
    consent: Consent | None = None
    known_id: str | None = None
    gpc: bool = False
    on_settings_page: bool = False

    def allows(self, category: str) -> bool:
        if category == consent.NECESSARY:
            return True
        return self.consent is not None and self.consent.allows(category, self.gpc)

    @property
    def banner_wanted(self) -> bool:
        return self.evaluated and self.consent is None and not self.on_settings_page


# Not evaluated (errors before routing): no banner rather than a banner to those who chose.
NOT_EVALUATED = VisitorConsent()
current_consent: ContextVar[VisitorConsent] = ContextVar("okmarts_consent", default=NOT_EVALUATED)


@dataclass
class PendingPageView:
    """A page view to record once the response is known to be a 200 HTML page."""

    visitor: str
    visit_id: str
    path: str
    ip_prefix: str
    secure: bool
    ready: bool = False


pending_page_view: ContextVar[PendingPageView | None] = ContextVar(
    "okmarts_pending_page_view", default=None
)


def _secret(request: Request) -> str:
    return request.app.state.settings.secret_key  # type: ignore[no-any-return]


def sends_gpc(request: Request) -> bool:
    return request.headers.get("sec-gpc", "").strip() == "1"


def read_consent(request: Request) -> VisitorConsent:
    """The visitor's choice from the signed cookie (forged or old: none) and their GPC signal."""
    found = consent.decode_consent(_secret(request), request.cookies.get(consent.CONSENT_COOKIE))
    return VisitorConsent(
        evaluated=True,
        consent=found if found is not None and found.current else None,
        known_id=found.consent_id if found is not None else None,
        gpc=sends_gpc(request),
        on_settings_page=request.url.path == SETTINGS_PATH,
    )


def _counted(request: Request, visitor: VisitorConsent) -> bool:
    path = request.url.path
    return (
        request.method == "GET"
        and not request.htmx  # fragments (live search…) are not page views
        and not path.startswith(UNCOUNTED_PREFIXES)
        and visitor.consent is not None
        and visitor.allows(consent.ANALYTICS)
        # A signed-in shopper who restricted processing is never counted, whatever the cookie.
        and analytics_allowed(current_account.get())
    )


def prepare_consent(request: Request) -> None:
    """before_request: read the visitor's choice; note a page view to record if they allow it."""
    pending_page_view.set(None)
    if request.url.path.startswith(("/static/", "/media/")):
        current_consent.set(NOT_EVALUATED)
        return
    visitor = read_consent(request)
    current_consent.set(visitor)
    if visitor.consent is None or not _counted(request, visitor):
        return
    secret = _secret(request)
    visit_id = request.cookies.get(consent.VISIT_COOKIE)
    if not consent.valid_visit_id(visit_id):
        visit_id = consent.new_visit_id()
    view = PendingPageView(
        visitor=consent.visitor_key(secret, visitor.consent.consent_id),
        visit_id=visit_id or consent.new_visit_id(),
        path=request.url.path,
        ip_prefix=consent.ip_prefix(request.client.host if request.client else None),
        secure=request.url.scheme == "https",
    )
    pending_page_view.set(view)
    request.state.pending_page_view = view


def _is_html_page(response: Response[Any]) -> bool:
    if isinstance(response, Template):
        return str(response.template_name or "").endswith(".html")
    media_type = response.media_type
    return str(media_type.value if isinstance(media_type, MediaType) else media_type).startswith(
        "text/html"
    )


async def mark_page_view(response: Response[Any]) -> Response[Any]:
    """after_request: a 200 HTML page is a page view; its visit cookie lasts 30 more minutes."""
    view = pending_page_view.get()
    if view is None or response.status_code != 200 or not _is_html_page(response):
        return response
    view.ready = True
    response.set_cookie(
        consent.VISIT_COOKIE,
        view.visit_id,
        max_age=consent.VISIT_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=view.secure,
    )
    return response


async def record_page_view(request: Request) -> None:
    """after_response: record the page view (one insert); a failure never reaches the visitor."""
    view: PendingPageView | None = getattr(request.state, "pending_page_view", None)
    if view is None or not view.ready:
        return
    view.ready = False
    try:
        await consent.record_page_view(
            consent.PageViewRecord(
                visitor=view.visitor,
                session=consent.session_key(_secret(request), view.visit_id),
                path=view.path,
                ip_prefix=view.ip_prefix,
            )
        )
    except Exception:  # statistics are never worth a broken page
        log.warning("Could not record a page view of %s", view.path, exc_info=True)


def cookie_banner_wanted() -> bool:
    """Jinja global: does this visitor still have to choose (and is this not /cookies)?"""
    return current_consent.get().banner_wanted


def strip_cookie_banner(html: str) -> str:
    """A cached page's HTML without its banner, for a visitor who has chosen."""
    start = html.find(BANNER_START)
    end = html.find(BANNER_END, start)
    if start < 0 or end < 0:
        return html
    return html[:start] + html[end + len(BANNER_END) :]


def template_globals() -> dict[str, Any]:
    return {
        "cookie_banner_wanted": cookie_banner_wanted,
        "cookie_banner_marks": (BANNER_START, BANNER_END),
    }
