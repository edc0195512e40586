"""create_app(settings) -> Litestar: the one place that wires things together."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined, select_autoescape
from litestar import Litestar, MediaType, get
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.exceptions import HTTPException, NotFoundException
from litestar.plugins.htmx import HTMXPlugin, HTMXRequest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from okmarts import i18n, pseudo_locale
from okmarts.address_format import address_lines
from okmarts.controllers.account import AccountController
from okmarts.controllers.cart import CartController
from okmarts.controllers.catalog import CatalogController
from okmarts.controllers.checkout import CheckoutController, OrdersController
from okmarts.controllers.companies import (
    CompanyController,
    InvitationController,
    InvoiceController,
)
from okmarts.controllers.compare import CompareController
from okmarts.controllers.consent import ConsentController
from okmarts.controllers.documents import DocumentsController
from okmarts.controllers.erasure import ErasureController
from okmarts.controllers.follows import FollowsController
from okmarts.controllers.info import InfoController
from okmarts.controllers.lists import ListsController, SharedListController  # issue 21 (H-lists)
from okmarts.controllers.notifications import MessagesController, NotificationSettingsController
from okmarts.controllers.oidc import OidcController
from okmarts.controllers.privacy import PrivacyController, StaffPrivacyLinks
from okmarts.controllers.quick_order import QuickOrderController  # issue 21 (H-lists)
from okmarts.controllers.quotes import QuotesController
from okmarts.controllers.recommendations import RecommendationsController
from okmarts.controllers.returns import ReturnsController  # issue 16 (H-returns)
from okmarts.controllers.reviews import MyReviewsController, ReviewsController
from okmarts.controllers.sign_in import SignInController
from okmarts.controllers.support import AccountSupportController, SupportController  # issue 16
from okmarts.controllers.support_survey import SupportSurveyController  # issue 16 (H-survey)
from okmarts.controllers.unsubscribe import UnsubscribeController
from okmarts.controllers.watches import WatchedPartsController, WatchesController
from okmarts.db import KeptConnectionSQLiteEngine, engine_from_url
from okmarts.hooks.consent import record_page_view
from okmarts.hooks.consent import template_globals as consent_globals
from okmarts.hooks.request import CSRF_COOKIE, RequestHooks, no_sniff
from okmarts.lazy_admin import staff_admin_handler
from okmarts.page_cache import PageCache
from okmarts.page_cache import template_globals as page_cache_globals
from okmarts.services import catalog, catalog_stamp, follows, messaging, wind_down
from okmarts.services.avatars import avatars_dir
from okmarts.services.payment_attempts import PaymentSweeper
from okmarts.services.payments import configured_gateway
from okmarts.services.watch_alerts import WatchAlertSender
from okmarts.settings import PACKAGE_DIR, Settings
from okmarts.static_files import StaticFiles, static_files_handler
from okmarts.tables.every_table import every_table
from okmarts.web import (
    SignInRequired,
    cart_items_word,
    current_account,
    current_cart_count,
    current_unread_count,
    refuse_control_characters,
)

log = logging.getLogger("okmarts")

# No inline script anywhere: htmx is loaded from /static and configured by a <meta> tag.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'self'; "
    "frame-ancestors 'none'; object-src 'none'"
)


def content_security_policy(settings: Settings) -> str:
    """The policy, with the providers of "Sign in with another account" allowed as form
    targets: their forms post here and are redirected there, and browsers apply form-action
    to the redirect too. (A provider whose authorisation page is on another host than its
    issuer needs that host here as well.)"""
    origins = sorted({_origin(provider.issuer) for provider in settings.oidc_providers})
    if not origins:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(
        "form-action 'self';", "form-action 'self' " + " ".join(origins) + ";"
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# Served over https: browsers keep to https for a year (sub-domains included).
HSTS = [
    ResponseHeader(name="Strict-Transport-Security", value="max-age=31536000; includeSubDomains")
]
SECURITY_HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=CONTENT_SECURITY_POLICY),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="strict-origin-when-cross-origin"),
    ResponseHeader(name="X-Frame-Options", value="DENY"),
    ResponseHeader(name="Permissions-Policy", value="camera=(), microphone=(), geolocation=()"),
]


class OkmartsApp(Litestar):
    """Litestar, answering HEAD wherever GET is answered (headers only, as HTTP asks)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "HEAD":
            scope = {**scope, "method": "GET"}

            async def send_headers_only(message: Any) -> None:
                if message["type"] == "http.response.body":
                    message = {**message, "body": b""}
                await send(message)

            await super().__call__(scope, receive, send_headers_only)
            return
        await super().__call__(scope, receive, send)


_engines: dict[str, Engine] = {}


def bind_tables(database_url: str) -> Engine:
    """Point every Okmarts table at the configured database (one engine per URL and process)."""
    engine = _engines.get(database_url)
    if engine is None:
        engine = _engines[database_url] = engine_from_url(database_url)
    # (Not through Piccolo's app registry: it imports black, ~19 MB per worker.)
    for table in every_table():
        table._meta.db = engine
    return engine


def build_jinja(settings: Settings, catalogs: i18n.Catalogs, static: StaticFiles) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(PACKAGE_DIR)),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        auto_reload=settings.debug,
        undefined=StrictUndefined if settings.debug else Undefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    catalogs.install_gettext(env)
    env.globals.update(
        static_url=static.url,
        money=i18n.money,
        number=i18n.number,
        file_size=i18n.file_size,
        language_name=i18n.language_name,
        format_date=i18n.date,
        format_datetime=i18n.datetime,
        address_lines=lambda country, **parts: address_lines(
            country, i18n.current_locale.get(), **parts
        ),
        current_locale=i18n.current_locale.get,
        viewer=current_account.get,
        cart_count=current_cart_count.get,
        unread_count=current_unread_count.get,
        cart_items_word=lambda: cart_items_word(catalogs),
        message=catalogs.message,
        languages=[(code, i18n.display_name(code)) for code in catalogs.available],
        **consent_globals(),
        **page_cache_globals(),
    )
    return env


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    engine = bind_tables(settings.database_url)
    catalog.forget_category_tree()
    # Kept per process for the database (and settings) it was made with, checked by stamps.
    catalog_stamp.forget_everything()
    catalogs = i18n.Catalogs.from_settings(
        settings, pseudo_locale.catalog_dir(settings.data_dir) if settings.pseudo_locale else None
    )
    if settings.pseudo_locale and pseudo_locale.PSEUDO_LOCALE not in catalogs.available:
        log.warning("OKMARTS_PSEUDO_LOCALE is on but not generated: run `okmarts pseudo-locale`.")
    secure = settings.base_url.startswith("https://")
    security_headers = [
        ResponseHeader(name="Content-Security-Policy", value=content_security_policy(settings))
        if header.name == "Content-Security-Policy"
        else header
        for header in [*SECURITY_HEADERS, *(HSTS if secure else [])]
    ]
    static = StaticFiles(settings.static_dir, watch=settings.debug)
    jinja = build_jinja(settings, catalogs, static)
    # Every page shows the wind-down notice: the state is read once per worker and interval,
    # and when it changes the cached pages (rendered without it) are dropped.
    # (Without a page cache nothing goes stale, and the state is read every few seconds.)
    closing = wind_down.CachedWindDown(
        min(
            settings.page_cache_seconds or wind_down.STATE_REFRESH_SECONDS,
            wind_down.STATE_REFRESH_SECONDS,
        )
    )
    jinja.globals["wind_down_notice"] = closing.notice
    # "Sign in with another account": the buttons, when any provider is configured.
    jinja.globals["oidc_providers"] = settings.oidc_providers
    messaging.configure_email_rendering(settings.locales_dir)
    # Every worker runs a sender; claims keep them from sending one message twice.
    mail_sender = messaging.MailSender(settings) if settings.mail_sender_enabled else None
    payment_gateway = configured_gateway()
    # Every worker also settles card payments left unfinished (a crash between authorising and
    # writing the order): at start-up, then every interval; claims keep them from doing it twice.
    payment_sweeper = (
        PaymentSweeper(payment_gateway, settings) if settings.payment_sweep_seconds > 0 else None
    )

    # Every worker also tells watchers of product changes (services.watch_alerts); claims keep
    # two workers from telling one event twice. It runs with the mail sender, which sends them.
    watch_alerts = WatchAlertSender(settings) if settings.mail_sender_enabled else None
    # Every worker also queues the weekly digests of followed categories and brands, and the
    # notice of a new privacy-policy version (services/follows.NoticeJobs); locks and unique
    # indexes keep them from doing it twice.
    notice_jobs = follows.NoticeJobs(settings) if settings.notice_jobs_seconds > 0 else None

    hooks = RequestHooks(settings, catalogs, closing, security_headers)

    @get("/healthz", media_type=MediaType.TEXT, include_in_schema=False, sync_to_thread=False)
    def healthz() -> str:
        # Also the benchmark's ceiling: the cheapest route this server has.
        return "ok"

    async def open_database() -> None:
        if (
            isinstance(engine, PostgresEngine)
            and engine.pool is None
            and settings.database_pool_size
        ):
            # Without a pool Piccolo opens a new PostgreSQL connection for every query.
            await engine.start_connection_pool(min_size=2, max_size=settings.database_pool_size)

    async def close_database() -> None:
        if isinstance(engine, PostgresEngine) and engine.pool is not None:
            await engine.close_connection_pool()
        elif isinstance(engine, KeptConnectionSQLiteEngine):
            await engine.close_kept_connections()

    async def start_mail_sender() -> None:
        if mail_sender is not None:
            await mail_sender.start()

    async def stop_mail_sender() -> None:
        if mail_sender is not None:
            await mail_sender.stop()

    async def start_watch_alerts() -> None:
        if watch_alerts is not None:
            await watch_alerts.start()

    async def stop_watch_alerts() -> None:
        if watch_alerts is not None:
            await watch_alerts.stop()

    async def start_payment_sweeper() -> None:
        if payment_sweeper is not None:
            await payment_sweeper.start()

    async def stop_payment_sweeper() -> None:
        if payment_sweeper is not None:
            await payment_sweeper.stop()

    async def start_notice_jobs() -> None:
        if notice_jobs is not None:
            await notice_jobs.start()

    async def stop_notice_jobs() -> None:
        if notice_jobs is not None:
            await notice_jobs.stop()

    avatars_dir(settings.data_dir).mkdir(parents=True, exist_ok=True)
    # Avatars are public (shown beside reviews) and never change: a new one gets a new name.
    avatar_router = create_static_files_router(
        path="/media/avatars",
        directories=[avatars_dir(settings.data_dir)],
        cache_control=CacheControlHeader(max_age=31_536_000, public=True, immutable=True),
        include_in_schema=False,
        name="avatars",
        # Uploaded media are never sniffed into HTML or script, whatever their bytes say.
        after_request=no_sniff,
    )
    app = OkmartsApp(
        route_handlers=[
            CatalogController,
            CompareController,
            DocumentsController,
            InfoController,
            ConsentController,
            SignInController,
            OidcController,
            AccountController,
            CartController,
            RecommendationsController,
            CheckoutController,
            OrdersController,
            QuotesController,  # issue 21: quotes
            SupportController,  # issue 16 (H-chat): customer service, shoppers' side
            AccountSupportController,  # issue 16 (H-chat)
            SupportSurveyController,  # issue 16 (H-survey): the satisfaction survey
            ReturnsController,  # issue 16 (H-returns): returns and complaints
            # Company accounts and invoices (issue #21).
            CompanyController,
            InvitationController,
            InvoiceController,
            ReviewsController,
            MyReviewsController,
            PrivacyController,
            MessagesController,
            NotificationSettingsController,
            WatchesController,
            WatchedPartsController,
            FollowsController,
            StaffPrivacyLinks,
            ErasureController,
            UnsubscribeController,
            # Issue 21 (H-lists): quick order and saved lists.
            QuickOrderController,
            ListsController,
            SharedListController,
            healthz,
            static_files_handler(static),
            avatar_router,
            # Piccolo Admin at /admin/, with its own CSP (see okmarts.admin).
            staff_admin_handler(settings),
        ],
        request_class=HTMXRequest,
        plugins=[HTMXPlugin()],
        template_config=TemplateConfig(
            engine=JinjaTemplateEngine.from_environment(jinja),
        ),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            # Own names: Piccolo Admin sets a `csrftoken` cookie of its own on /.
            cookie_name=CSRF_COOKIE,
            header_name="x-okmarts-csrf",
            cookie_httponly=True,
            cookie_secure=secure,
            cookie_samesite="lax",
            exclude=["/admin", "/healthz", "/static"],
        ),
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=1024, gzip_compress_level=6
        ),
        # No control character in a URL reaches a handler (query: stripped; path: 404).
        middleware=[refuse_control_characters],
        before_request=hooks.before,
        after_request=hooks.after,
        # Visit statistics, for visitors who accepted analytics: recorded once the page is sent.
        after_response=record_page_view,
        response_headers=security_headers,
        exception_handlers={
            SignInRequired: hooks.sign_in_first,
            NotFoundException: hooks.error_page,
            HTTPException: hooks.error_page,
            Exception: hooks.error_page,
        },
        # The sender starts after the pool opens and stops before it closes.
        on_startup=[
            open_database,
            start_mail_sender,
            start_payment_sweeper,
            start_watch_alerts,
            start_notice_jobs,
        ],
        on_shutdown=[
            stop_notice_jobs,
            stop_watch_alerts,
            stop_payment_sweeper,
            stop_mail_sender,
            close_database,
        ],
        debug=settings.debug,
        openapi_config=None,
    )
    app.state.settings = settings
    app.state.catalogs = catalogs
    app.state.page_cache = PageCache(
        settings.page_cache_seconds, int(settings.page_cache_mb * 1024 * 1024)
    )
    app.state.wind_down = closing
    app.state.payment_gateway = payment_gateway
    return app
