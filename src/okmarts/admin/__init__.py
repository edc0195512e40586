"""Piccolo Admin at /admin/: superusers get every table; moderators only what moderation needs;
service staff (role `service`) no table, only the links to the service inbox and its pages.

Moderators' app holds the review and question queues, the moderation audit (read only), the
moderation forms and a read-only list of product titles (no price, stock or any other column);
every other table is absent from it, so its API answers 404 for them.

Orders are changed through the form "Change order status" (order_status.change_status: history,
stock, points and the customer's email), never by editing their status or amounts directly.
Reviews and questions are decided and answered through services.moderation (see
admin.moderation), whichever path staff take: the moderation queue (admin.queue, a page of our
own at /admin/moderation/), the forms, a row's edit form or Bulk Update.

Piccolo Admin's screens get what staff may do with each table and its columns through the
tables' schemas, and a few changes to its bundle that read them (admin.ui).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

from litestar import asgi
from litestar.handlers import ASGIRouteHandler
from piccolo.apps.user.tables import BaseUser
from piccolo_admin.endpoints import create_admin
from piccolo_api.rate_limiting.middleware import InMemoryLimitProvider
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from okmarts.admin import queue, ui
from okmarts.admin import returns as returns_desk  # issue 16 (H-returns)
from okmarts.admin import service as service_inbox  # issue 16: the service inbox
from okmarts.admin import service_stats as stats_page  # issue 16 (H-survey)
from okmarts.admin.documents import document_read_only_columns, document_tables
from okmarts.admin.moderation import (
    ANSWER_QUESTION_FORM,
    DECIDE_QUESTIONS_FORM,
    DECIDE_REVIEWS_FORM,
    bind_admin_classes,
    moderation_links,
    moderation_read_only_columns,
    moderation_tables,
)
from okmarts.admin.moderation_forms import moderation_forms
from okmarts.admin.newsletters import (
    newsletter_forms,
    newsletter_read_only_columns,
    newsletter_tables,
)
from okmarts.admin.orders import (
    ORDER_STATUS_FORM,
    order_read_only_columns,
    order_status_form,
    order_tables,
    pricing_tables,
)
from okmarts.admin.privacy import (
    CLOSE_PRIVACY_REQUEST_FORM,
    close_privacy_request_form,
    privacy_links,
    privacy_tables,
)
from okmarts.admin.quotes import PATH as QUOTES_PATH
from okmarts.admin.quotes import QuotesQueue, quote_links
from okmarts.admin.staff import (
    MODERATOR,
    SERVICE,
    StaffInputError,
    StaffResult,
    check_staff_password,
    generate_password,
    normalise_staff_email,
    save_staff,
    signed_in_staff,
    staff_roles,
)
from okmarts.admin.statistics import STATISTICS_FORM, statistics_form, statistics_tables
from okmarts.admin.tables import (
    AdminAccount,
    ModeratorProduct,
    catalog_tables,
    moderator_product_table,
    personal_tables,
)
from okmarts.settings import Settings
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product

__all__ = [
    "ANSWER_QUESTION_FORM",
    "CLOSE_PRIVACY_REQUEST_FORM",
    "DECIDE_QUESTIONS_FORM",
    "DECIDE_REVIEWS_FORM",
    "ORDER_STATUS_FORM",
    "STATISTICS_FORM",
    "StaffAdmin",
    "StaffInputError",
    "StaffResult",
    "build_staff_admin",
    "check_staff_password",
    "generate_password",
    "normalise_staff_email",
    "save_staff",
    "staff_admin_handler",
]


MOUNT_PATH = queue.MOUNT_PATH
# Piccolo Admin's upload endpoint (inside the mount), and what a multipart form adds to a file.
MEDIA_PATH = "/api/media/"
UPLOAD_FORM_BYTES = 64 * 1024
SITE_NAME = "Okmarts staff"

# The storefront's CSP plus one loosening, checked in Chromium: the admin's bundle (Font Awesome,
# Vue) injects a <style> element and sets style attributes, which 'self' alone blocks.
ADMIN_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
    "base-uri 'self'; frame-ancestors 'none'; object-src 'none'"
)
# Our own pages under /admin (the moderation queue) keep the storefront's CSP: no inline style.
PAGE_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'self'; "
    "frame-ancestors 'none'; object-src 'none'"
)
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
ADMIN_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", ADMIN_CONTENT_SECURITY_POLICY.encode()),
    *SECURITY_HEADERS,
]
PAGE_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", PAGE_CONTENT_SECURITY_POLICY.encode()),
    *SECURITY_HEADERS,
]


class StaffAdmin:
    """Send superusers' requests to the full admin, moderators' to the moderators' and service
    staff's to an admin of links only (by roles: admin.staff); the moderation queue and the
    service pages to our own pages; the admin's bundle as admin.ui changes it."""

    def __init__(
        self,
        full: ASGIApp,
        moderation: ASGIApp,
        *,
        moderation_and_service: ASGIApp | None = None,
        service: ASGIApp | None = None,
        queue_page: ASGIApp | None = None,
        quotes_page: ASGIApp | None = None,
        returns_page: ASGIApp | None = None,
        inbox_page: ASGIApp | None = None,
        service_stats_page: ASGIApp | None = None,
        screens: tuple[dict[str, ui.TableScreen], dict[str, ui.TableScreen]] = ({}, {}),
        assets: dict[str, ui.Bundle] | None = None,
        max_upload_bytes: int | None = None,
    ) -> None:
        self.max_upload_bytes = max_upload_bytes
        self.full = full
        self.moderation = moderation
        self.moderation_and_service = moderation_and_service or moderation
        self.service = service or moderation
        self.queue_page = queue_page
        self.quotes_page = quotes_page
        self.returns_page = returns_page
        self.inbox_page = inbox_page
        self.service_stats_page = service_stats_page
        self.full_screens, self.moderation_screens = screens
        self.assets = assets or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.moderation(scope, receive, send)
            return
        path = scope.get("path", "")
        if self.queue_page is not None and (path + "/").startswith(queue.PATH):
            await self.queue_page(scope, receive, _with_headers(send, PAGE_HEADERS))
            return
        if self.quotes_page is not None and (path + "/").startswith(QUOTES_PATH):
            # Issue 21: the quotes queue (admin.quotes), a page of our own like the one above.
            await self.quotes_page(scope, receive, _with_headers(send, PAGE_HEADERS))
            return
        if self.returns_page is not None and returns_desk.handles(path):
            # Issue 16 (H-returns): /admin/service/returns/ and /admin/service/complaints/,
            # beside the service inbox at /admin/service/ (checked before it).
            await self.returns_page(scope, receive, _with_headers(send, PAGE_HEADERS))
            return
        if self.service_stats_page is not None and stats_page.handles(path):
            # Issue 16 (H-survey): /admin/service/statistics/, also before the inbox.
            await self.service_stats_page(scope, receive, _with_headers(send, PAGE_HEADERS))
            return
        if self.inbox_page is not None and service_inbox.handles(path):
            # Issue 16: the service inbox, the rest of /admin/service/ (not its statistics).
            await self.inbox_page(scope, receive, _with_headers(send, PAGE_HEADERS))
            return
        send = _with_headers(send, ADMIN_HEADERS)
        if path == MEDIA_PATH and self._too_large(scope):
            await _send_json(send, 413, {"detail": self._too_large_text()})
            return
        asset = self.assets.get(path.rstrip("/"))
        if asset is not None:
            await ui.serve_bundle(asset, scope, send)
            return
        if scope.get("raw_path") == MOUNT_PATH.encode():
            # The SPA loads ./assets/…: served at /admin (no slash) they would miss.
            await send(
                {
                    "type": "http.response.start",
                    "status": 308,
                    "headers": [
                        (b"location", f"{MOUNT_PATH}/".encode()),
                        (b"content-length", b"0"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        staff = await signed_in_staff(scope)
        superuser = staff is not None and staff.superuser
        app = self.full if superuser else await self._app_for(staff)
        screens = self.full_screens if superuser else self.moderation_screens
        schema = ui.SCHEMA_PATH.match(path) if scope.get("method") == "GET" else None
        screen = screens.get(schema["table"]) if schema else None
        if screen is not None:
            await ui.annotate_schema(screen, app, scope, receive, send)
            return
        await app(scope, receive, send)

    async def _app_for(self, staff: BaseUser | None) -> ASGIApp:
        """The admin a non-superuser gets: by their roles (signed out: the moderators', whose
        login page is the same)."""
        if staff is None:
            return self.moderation
        roles = await staff_roles(staff)
        if MODERATOR in roles:
            return self.moderation_and_service if SERVICE in roles else self.moderation
        return self.service

    def _too_large(self, scope: Scope) -> bool:
        """An upload whose announced length is over the documents' limit (plus room for the
        form's other fields) is refused before its body is read: DocumentStorage checks the
        file's own size once stored in a temporary file, this spares the disk a huge one."""
        if self.max_upload_bytes is None:
            return False
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                return value.isdigit() and int(value) > self.max_upload_bytes + UPLOAD_FORM_BYTES
        return False

    def _too_large_text(self) -> str:
        return f"The file is too large: at most {(self.max_upload_bytes or 0) / 1_000_000:g} MB."


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _with_headers(send: Send, headers: list[tuple[bytes, bytes]]) -> Send:
    """Wrap `send` so every response carries these CSP and security headers."""
    names = {name for name, _ in headers}

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
            message = {**message, "headers": [*kept, *headers]}
        await send(message)

    return send_with_headers


def service_links() -> dict[str, str]:
    """The sidebar links of the service staff's pages (our own pages under /admin/service/)."""
    return {
        **service_inbox.inbox_links(),
        **returns_desk.returns_links(),
        **stats_page.statistics_links(),
    }


def build_staff_admin(settings: Settings) -> StaffAdmin:
    """Build both admin apps; call after the tables are bound to the database."""
    AdminAccount._meta.db = Account._meta.db
    ModeratorProduct._meta.db = Product._meta.db
    bind_admin_classes()
    host = urlparse(settings.base_url).hostname or "127.0.0.1"
    options: dict[str, Any] = {
        "site_name": SITE_NAME,
        "auto_include_related": False,
        "allowed_hosts": [host],
        "production": settings.base_url.startswith("https://"),
        # One limit on sign-in attempts, whichever app serves the login.
        "rate_limit_provider": InMemoryLimitProvider(limit=20, timespan=300),
        "debug": settings.debug,
        "sidebar_links": moderation_links(),
        # The login's "Username" says "Email": staff sign in with their email.
        "translations": ui.translations(),
    }
    full_tables = [
        *catalog_tables(),
        *document_tables(settings),
        *order_tables(),
        *pricing_tables(),
        *moderation_tables(settings, moderator=False),
        *personal_tables(),
        *privacy_tables(),
        *statistics_tables(),
        *newsletter_tables(),
    ]
    moderator_tables = [moderator_product_table(), *moderation_tables(settings, moderator=True)]
    read_only = {
        **moderation_read_only_columns(),
        **order_read_only_columns(),
        **document_read_only_columns(),
        **newsletter_read_only_columns(),
    }
    full = create_admin(
        full_tables,
        forms=[
            order_status_form(settings),
            *moderation_forms(settings),
            close_privacy_request_form(),
            statistics_form(),
            *newsletter_forms(settings),
        ],
        **{
            **options,
            "sidebar_links": {
                **options["sidebar_links"],
                **privacy_links(),
                **quote_links(),
                **service_links(),
            },
        },
    )
    moderation = create_admin(moderator_tables, forms=moderation_forms(settings), **options)
    moderation_and_service = create_admin(
        moderator_tables,
        forms=moderation_forms(settings),
        **{**options, "sidebar_links": {**options["sidebar_links"], **service_links()}},
    )
    service = create_admin([], **{**options, "sidebar_links": service_links()})
    return StaffAdmin(
        full=full,
        moderation=moderation,
        moderation_and_service=moderation_and_service,
        service=service,
        queue_page=queue.ModerationQueue(settings),
        quotes_page=QuotesQueue(settings),
        returns_page=returns_desk.ReturnsDesk(settings),  # issue 16 (H-returns)
        inbox_page=service_inbox.ServiceInbox(settings),  # issue 16: the service inbox
        service_stats_page=stats_page.ServiceStatisticsPage(settings),  # issue 16 (H-survey)
        screens=(
            ui.table_screens(full_tables, read_only),
            ui.table_screens(moderator_tables, read_only),
        ),
        assets=ui.patched_assets(),
        max_upload_bytes=settings.document_max_bytes,
    )


def staff_admin_handler(settings: Settings) -> ASGIRouteHandler:
    """The Litestar handler mounting the staff admin at /admin."""
    admin = build_staff_admin(settings)

    @asgi(MOUNT_PATH, is_mount=True, copy_scope=True)
    async def staff_admin(scope: Scope, receive: Receive, send: Send) -> None:
        await admin(scope, receive, send)

    return staff_admin
