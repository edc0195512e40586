"""Piccolo Admin at /admin/: superusers get every table, moderators only the catalog."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from email_validator import EmailNotValidError, validate_email
from litestar import asgi
from litestar.handlers import ASGIRouteHandler
from piccolo.apps.user.tables import BaseUser
from piccolo.columns import Column
from piccolo.table import Table, create_table_class
from piccolo_admin.endpoints import TableConfig, create_admin
from piccolo_api.crud.endpoints import OrderBy, PiccoloCRUD
from piccolo_api.crud.validators import Validators
from piccolo_api.rate_limiting.middleware import InMemoryLimitProvider
from piccolo_api.session_auth.tables import SessionsBase
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from okmarts.settings import Settings
from okmarts.tables.accounts import Account, Address, Attempt, PointsEntry, SignIn
from okmarts.tables.catalog import Brand, Category, Product, ProductImage
from okmarts.tables.messaging import OutboxMessage

MOUNT_PATH = "/admin"
SITE_NAME = "Okmarts staff"
# piccolo_api's session login sets this cookie; create_admin offers no way to rename it.
SESSION_COOKIE = "id"
MIN_PASSWORD_LENGTH = 12
# BaseUser refuses longer passwords, and its username column holds 100 characters.
MAX_PASSWORD_LENGTH = 128
MAX_EMAIL_LENGTH = 100

# The storefront's CSP plus one loosening, checked in Chromium: the admin's bundle (Font Awesome,
# Vue) injects a <style> element and sets style attributes, which 'self' alone blocks.
ADMIN_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
    "base-uri 'self'; frame-ancestors 'none'; object-src 'none'"
)
ADMIN_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", ADMIN_CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]

# The admin's view of `account`: the same table without `password_hash`, so the hash is neither
# returned by the API, nor filterable, nor in the edit form (a `secret` column would still be).
AdminAccount = create_table_class(
    "AdminAccount",
    class_kwargs={"tablename": Account._meta.tablename},
    class_members={
        column._meta.name: column.copy()
        for column in Account._meta.columns
        if not column._meta.primary_key and column._meta.name != Account.password_hash._meta.name
    },
)


def _account_columns(*names: str) -> list[Column]:
    return [AdminAccount._meta.get_column_by_name(name) for name in names]


class StaffInputError(ValueError):
    """An email or password that `create-staff` refuses."""


@dataclass(frozen=True)
class StaffResult:
    email: str
    created: bool


def _refuse(*methods: str) -> Validators:
    """Validators refusing the given PiccoloCRUD endpoints (post_single, patch_single…)."""

    def refuse(piccolo_crud: PiccoloCRUD, request: Request) -> None:
        raise HTTPException(status_code=405, detail="The admin doesn't allow this on this table.")

    return Validators(**{method: [refuse] for method in methods})


READ_ONLY = ("post_single", "put_single", "patch_single", "delete_single", "delete_all")


def catalog_tables(moderator: bool) -> list[TableConfig]:
    """The catalog: editable by admins; moderators may correct rows but not add or delete."""
    validators = (
        _refuse("post_single", "put_single", "delete_single", "delete_all") if moderator else None
    )

    def config(table: type[Table], **options: Any) -> TableConfig:
        return TableConfig(table, menu_group="Catalog", validators=validators, **options)

    return [
        config(
            Product,
            visible_columns=[
                Product.sku,
                Product.title,
                Product.brand,
                Product.category,
                Product.price_minor,
                Product.currency,
                Product.stock,
                Product.featured,
            ],
            visible_filters=[
                Product.sku,
                Product.title,
                Product.brand,
                Product.category,
                Product.featured,
            ],
            link_column=Product.title,
            order_by=[OrderBy(Product.created_at, ascending=False)],
        ),
        config(
            Category,
            visible_columns=[Category.name, Category.slug, Category.parent, Category.position],
            link_column=Category.name,
            order_by=[OrderBy(Category.name)],
        ),
        config(
            Brand,
            visible_columns=[Brand.name, Brand.slug, Brand.country],
            link_column=Brand.name,
            order_by=[OrderBy(Brand.name)],
        ),
        config(
            ProductImage,
            visible_columns=[
                ProductImage.path,
                ProductImage.product,
                ProductImage.alt,
                ProductImage.position,
            ],
            link_column=ProductImage.path,
            order_by=[OrderBy(ProductImage.product), OrderBy(ProductImage.position)],
        ),
    ]


def personal_tables() -> list[TableConfig]:
    """Shoppers' tables, the outbox and staff users: for superusers only."""
    return [
        TableConfig(
            AdminAccount,
            menu_group="Shoppers",
            visible_columns=_account_columns(
                "email", "nickname", "real_name", "email_verified_at", "is_minor", "created_at"
            ),
            link_column=_account_columns("email")[0],
            order_by=[OrderBy(_account_columns("created_at")[0], ascending=False)],
            # Accounts come from sign-up (lower-cased email, a password hash), never from here.
            validators=_refuse("post_single", "put_single"),
        ),
        TableConfig(
            Address,
            menu_group="Shoppers",
            visible_columns=[
                Address.recipient,
                Address.account,
                Address.kind,
                Address.city,
                Address.country,
                Address.is_default,
            ],
            link_column=Address.recipient,
            order_by=[OrderBy(Address.created_at, ascending=False)],
        ),
        # The points ledger is append-only (each row holds the running balance): read only.
        TableConfig(
            PointsEntry,
            menu_group="Shoppers",
            order_by=[OrderBy(PointsEntry.created_at, ascending=False)],
            validators=_refuse(*READ_ONLY),
        ),
        TableConfig(
            SignIn,
            menu_group="Shoppers",
            exclude_visible_columns=[SignIn.user_agent, SignIn.device_hash],
            order_by=[OrderBy(SignIn.created_at, ascending=False)],
            validators=_refuse(*READ_ONLY),
        ),
        TableConfig(
            Attempt,
            menu_group="Shoppers",
            order_by=[OrderBy(Attempt.created_at, ascending=False)],
            # Deleting attempts lifts a rate limit; nothing else makes sense here.
            validators=_refuse("post_single", "put_single", "patch_single"),
        ),
        TableConfig(
            OutboxMessage,
            menu_group="Email",
            visible_columns=[
                OutboxMessage.subject,
                OutboxMessage.kind,
                OutboxMessage.recipient,
                OutboxMessage.created_at,
                OutboxMessage.attempts,
                OutboxMessage.sent_at,
                OutboxMessage.last_error,
            ],
            link_column=OutboxMessage.subject,
            order_by=[OrderBy(OutboxMessage.created_at, ascending=False)],
        ),
        TableConfig(
            BaseUser,
            menu_group="Staff",
            visible_columns=[
                BaseUser.username,
                BaseUser.active,
                BaseUser.admin,
                BaseUser.superuser,
                BaseUser.last_login,
            ],
            link_column=BaseUser.username,
            order_by=[OrderBy(BaseUser.username)],
        ),
    ]


class StaffAdmin:
    """Send superusers' requests to the full admin and everyone else's to the moderators'."""

    def __init__(self, full: ASGIApp, moderation: ASGIApp) -> None:
        self.full = full
        self.moderation = moderation

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.moderation(scope, receive, send)
            return
        send = _with_admin_headers(send)
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
        app = self.full if await is_superuser(scope) else self.moderation
        await app(scope, receive, send)


def _with_admin_headers(send: Send) -> Send:
    """Wrap `send` so every response carries the admin's CSP and security headers."""
    names = {name for name, _ in ADMIN_HEADERS}

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
            message = {**message, "headers": [*kept, *ADMIN_HEADERS]}
        await send(message)

    return send_with_headers


async def is_superuser(scope: Scope) -> bool:
    """Does the request carry a live session of an active superuser?"""
    token = HTTPConnection(scope).cookies.get(SESSION_COOKIE)
    if not token:
        return False
    user_id = await SessionsBase.get_user_id(token)
    if user_id is None:
        return False
    return await BaseUser.exists().where(
        (BaseUser.id == user_id) & (BaseUser.superuser == True) & (BaseUser.active == True)
    )


def build_staff_admin(settings: Settings) -> StaffAdmin:
    """Build both admin apps; call after the tables are bound to the database."""
    AdminAccount._meta.db = Account._meta.db
    host = urlparse(settings.base_url).hostname or "127.0.0.1"
    options: dict[str, Any] = {
        "site_name": SITE_NAME,
        "auto_include_related": False,
        "allowed_hosts": [host],
        "production": settings.base_url.startswith("https://"),
        # One limit on sign-in attempts, whichever app serves the login.
        "rate_limit_provider": InMemoryLimitProvider(limit=20, timespan=300),
        "debug": settings.debug,
    }
    full = create_admin([*catalog_tables(moderator=False), *personal_tables()], **options)
    moderation = create_admin(catalog_tables(moderator=True), **options)
    return StaffAdmin(full=full, moderation=moderation)


def staff_admin_handler(settings: Settings) -> ASGIRouteHandler:
    """The Litestar handler mounting the staff admin at /admin."""
    admin = build_staff_admin(settings)

    @asgi(MOUNT_PATH, is_mount=True, copy_scope=True)
    async def staff_admin(scope: Scope, receive: Receive, send: Send) -> None:
        await admin(scope, receive, send)

    return staff_admin


def normalise_staff_email(email: str) -> str:
    """Return the lower-cased email (the staff username), or raise StaffInputError."""
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise StaffInputError(f"Not a valid email address: {error}") from None
    if len(email) > MAX_EMAIL_LENGTH:
        raise StaffInputError(f"The email is longer than {MAX_EMAIL_LENGTH} characters.")
    return email


def check_staff_password(password: str) -> None:
    """Raise StaffInputError when the password is too short or too long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffInputError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise StaffInputError(f"The password must have at most {MAX_PASSWORD_LENGTH} characters.")


def generate_password() -> str:
    return secrets.token_urlsafe(18)


async def save_staff(email: str, password: str, superuser: bool) -> StaffResult:
    """Create the staff user, or update the role and password of the existing one."""
    email = normalise_staff_email(email)
    check_staff_password(password)
    async with BaseUser._meta.db.transaction():
        user = (
            await BaseUser.objects()
            .where((BaseUser.username == email) | (BaseUser.email == email))
            .first()
        )
        if user is None:
            await BaseUser.create_user(
                username=email,
                email=email,
                password=password,
                active=True,
                admin=True,
                superuser=superuser,
            )
            return StaffResult(email=email, created=True)
        await BaseUser.update(
            {
                BaseUser.username: email,
                BaseUser.email: email,
                BaseUser.active: True,
                BaseUser.admin: True,
                BaseUser.superuser: superuser,
                BaseUser.password: BaseUser.hash_password(password),
            }
        ).where(BaseUser.id == user.id)
        # A new password (or role) ends the sessions signed in with the old one.
        await SessionsBase.delete().where(SessionsBase.user_id == user.id)
    return StaffResult(email=email, created=False)
