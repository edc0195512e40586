"""Customer service's statistics for staff at /admin/service/statistics/ (issue 16): a page of
our own beside the service inbox (/admin/service/) and the returns desk (admin.returns), in
their style. Read only: a GET form picks the period (the last 7, 30 or 90 days); the numbers
come from services.support_stats.

For staff holding the `service` role (and superusers): anyone else gets a 403, a signed-out
visitor the admin's sign-in. Survey answers show only as aggregates and unattributed comments.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import Receive, Scope

from okmarts.admin import queue
from okmarts.admin.quotes import QuotesQueue
from okmarts.admin.returns import COMPLAINTS_URL, RETURNS_URL
from okmarts.admin.staff import SERVICE, SESSION_INCREASE_EXPIRY, has_role, signed_in_staff
from okmarts.services import support_stats

PATH = "/service/statistics/"  # inside the admin's mount
URL = f"{queue.MOUNT_PATH}{PATH}"
LINK_NAME = "Service statistics"
TEMPLATE = "service_stats.html"


def handles(path: str) -> bool:
    """Is this admin path the statistics page?"""
    return (path + "/").startswith(PATH)


def statistics_links() -> dict[str, str]:
    return {LINK_NAME: URL}


class ServiceStatisticsPage(QuotesQueue):
    """The page (an ASGI app the staff admin sends /service/statistics/ to)."""

    async def respond(self, scope: Scope, receive: Receive, token: str) -> Response:
        path, method = scope["path"], scope["method"]
        staff = await signed_in_staff(scope, increase_expiry=SESSION_INCREASE_EXPIRY)
        if staff is None:
            if method in ("GET", "HEAD"):
                return RedirectResponse(f"{queue.MOUNT_PATH}/", status_code=303)
            raise queue.Refused(403, "Sign in to the staff admin first, then open the page.")
        if not await has_role(staff, SERVICE):
            raise queue.Refused(403, "Service statistics are for the service staff only.")
        if path.rstrip("/") != PATH.rstrip("/"):
            raise queue.Refused(404, "There is no such page.")
        if method not in ("GET", "HEAD"):
            raise queue.Refused(405, "This page only shows numbers.")
        days = support_stats.period_days(HTTPConnection(scope).query_params.get("days", ""))
        found = await support_stats.statistics(
            days, response_hours=self.settings.support_response_hours
        )
        return self.render({"staff": staff.username, "stats": found}, status=200)

    def render(self, context: dict[str, Any], *, status: int) -> HTMLResponse:
        template = self.jinja.get_template(TEMPLATE)
        html = template.render(
            stylesheet=self.static.url("css/site.css"),
            admin_url=f"{queue.MOUNT_PATH}/",
            returns_url=RETURNS_URL,
            complaints_url=COMPLAINTS_URL,
            statistics_url=URL,
            periods=support_stats.PERIODS,
            shown=support_stats.shown,
            **{"error_only": False, "page_error": "", "staff": "", "stats": None, **context},
        )
        return HTMLResponse(html, status_code=status)
