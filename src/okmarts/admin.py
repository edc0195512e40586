"""Piccolo Admin at /admin/: superusers get every table, moderators only the catalog.

Orders are changed through the form "Change order status" (orders.change_status: history,
stock, points and the customer's email), never by editing their status or amounts directly.
"""

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
from piccolo_admin.endpoints import FormConfig, TableConfig, create_admin
from piccolo_api.crud.endpoints import OrderBy, PiccoloCRUD
from piccolo_api.crud.hooks import Hook, HookType
from piccolo_api.crud.validators import Validators
from piccolo_api.rate_limiting.middleware import InMemoryLimitProvider
from piccolo_api.session_auth.tables import SessionsBase
from pydantic import BaseModel, Field, field_validator
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from okmarts import i18n
from okmarts.services import coupons, orders
from okmarts.services.payments import Gateway
from okmarts.settings import Settings
from okmarts.tables.accounts import Account, Address, Attempt, PointsEntry, SignIn
from okmarts.tables.catalog import Brand, Category, Product, ProductImage
from okmarts.tables.checkout import (
    AutoDiscount,
    Coupon,
    CouponUse,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    ShippingMethod,
    ShippingRate,
    ShippingZone,
)
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


# -- Orders and pricing: superusers only (orders hold personal data) ---------------------------

ORDER_STATUS_FORM = "Change order status"
# Written by checkout (number, account, amounts) or only through orders.change_status (status,
# carrier, tracking number), which records the history, gives back stock and points and emails
# the customer. The admin's edit form sends every field back, so a PATCH may name these columns:
# it is refused only when it would change one, and they are left out of the update. Timestamps
# stay editable: the form sends them back at its own precision, and nothing depends on them.
GUARDED_ORDER_COLUMNS = frozenset(
    column._meta.name
    for column in (
        Order.number,
        Order.account,
        Order.checkout_key,
        Order.status,
        Order.currency,
        Order.subtotal_minor,
        Order.discount_minor,
        Order.discount_label,
        Order.coupon_code,
        Order.points_used,
        Order.points_value_minor,
        Order.shipping_method,
        Order.shipping_minor,
        Order.total_minor,
        Order.points_earned,
        Order.carrier,
        Order.tracking_number,
    )
)
COUPON_KINDS = ("percent", "fixed")


def _field_error(field: str, text: str) -> HTTPException:
    """A 422 in pydantic's error shape: the admin's edit form shows it beside the field."""
    return HTTPException(
        status_code=422, detail=[{"loc": ["body", field], "msg": text, "type": "value_error"}]
    )


def _by_name(values: dict[Any, Any]) -> dict[str, Any]:
    """PiccoloCRUD's patch values are keyed by column: key them by column name."""
    return {
        key._meta.name if isinstance(key, Column) else str(key): value
        for key, value in values.items()
    }


async def guard_order_columns(row_id: int, values: dict[Any, Any]) -> dict[Any, Any]:
    """pre_patch hook on orders: refuse to change a guarded column (see GUARDED_ORDER_COLUMNS)."""
    asked = {
        name: value for name, value in _by_name(values).items() if name in GUARDED_ORDER_COLUMNS
    }
    if not asked:
        return values
    stored = (
        await Order.select(*(Order._meta.get_column_by_name(name) for name in asked))
        .where(Order.id == row_id)
        .first()
    )
    changed = sorted(
        name for name, value in asked.items() if stored is None or stored[name] != value
    )
    if changed:
        raise _field_error(
            changed[0],
            f"Not editable here ({', '.join(changed)}). Change an order's status, carrier or "
            f'tracking number with the form "{ORDER_STATUS_FORM}": it records the history and '
            "emails the customer. The number, account and amounts come from checkout.",
        )
    # Unchanged, so not written either: a status change racing this edit is never undone.
    return {key: value for key, value in values.items() if key._meta.name not in asked}


def _check_coupon(code: str, kind: str, value: int | None) -> None:
    if not code:
        raise _field_error("code", "A coupon needs a code.")
    if kind not in COUPON_KINDS:
        raise _field_error("kind", f"The kind is one of: {', '.join(COUPON_KINDS)}.")
    if value is None or value <= 0:
        raise _field_error("value", "The value must be more than 0.")
    if kind == "percent" and value > 100:
        raise _field_error("value", "A percent coupon takes at most 100 (%).")


async def coupon_before_save(row: Coupon) -> Coupon:
    """pre_save hook: codes are stored trimmed and upper-cased (checkout matches them so)."""
    row.code = coupons.normalize_code(row.code)
    _check_coupon(row.code, row.kind, row.value)
    return row


async def coupon_before_patch(row_id: int, values: dict[Any, Any]) -> dict[Any, Any]:
    """pre_patch hook: the same checks on the coupon as it will be after the change."""
    values = {
        key: coupons.normalize_code(value) if key is Coupon.code else value
        for key, value in values.items()
    }
    stored = (
        await Coupon.select(Coupon.code, Coupon.kind, Coupon.value)
        .where(Coupon.id == row_id)
        .first()
    ) or {}
    after = {**stored, **_by_name(values)}
    _check_coupon(after.get("code") or "", after.get("kind") or "", after.get("value"))
    return values


def _check_percent(percent: int | None) -> None:
    if percent is None or not 0 < percent <= 100:
        raise _field_error("percent", "The percent must be from 1 to 100.")


async def discount_before_save(row: AutoDiscount) -> AutoDiscount:
    _check_percent(row.percent)
    return row


async def discount_before_patch(row_id: int, values: dict[Any, Any]) -> dict[Any, Any]:
    if "percent" in (fields := _by_name(values)):
        _check_percent(fields["percent"])
    return values


def order_tables() -> list[TableConfig]:
    """Orders (status through the form only; their lines, history and payments read only)."""
    return [
        TableConfig(
            Order,
            menu_group="Orders",
            visible_columns=[
                Order.number,
                Order.status,
                Order.created_at,
                Order.total_minor,
                Order.currency,
                Order.recipient,
                Order.country,
                Order.shipping_method,
                Order.carrier,
                Order.tracking_number,
            ],
            visible_filters=[
                Order.number,
                Order.status,
                Order.created_at,
                Order.email,
                Order.country,
                Order.tracking_number,
            ],
            link_column=Order.number,
            order_by=[OrderBy(Order.created_at, ascending=False)],
            # Orders come from checkout and are kept (tax): cancel or refund them instead.
            validators=_refuse("post_single", "put_single", "delete_single", "delete_all"),
            hooks=[Hook(HookType.pre_patch, guard_order_columns)],
        ),
        TableConfig(
            OrderLine,
            menu_group="Orders",
            visible_columns=[
                OrderLine.order,
                OrderLine.sku,
                OrderLine.title,
                OrderLine.quantity,
                OrderLine.unit_price_minor,
                OrderLine.line_total_minor,
            ],
            visible_filters=[OrderLine.order, OrderLine.sku, OrderLine.product],
            link_column=OrderLine.title,
            order_by=[OrderBy(OrderLine.id, ascending=False)],
            validators=_refuse(*READ_ONLY),
        ),
        TableConfig(
            OrderEvent,
            menu_group="Orders",
            visible_columns=[
                OrderEvent.order,
                OrderEvent.status,
                OrderEvent.actor,
                OrderEvent.note,
                OrderEvent.created_at,
            ],
            visible_filters=[OrderEvent.order, OrderEvent.status, OrderEvent.actor],
            order_by=[OrderBy(OrderEvent.created_at, ascending=False)],
            validators=_refuse(*READ_ONLY),
        ),
        TableConfig(
            Payment,
            menu_group="Orders",
            visible_columns=[
                Payment.order,
                Payment.method,
                Payment.status,
                Payment.amount_minor,
                Payment.currency,
                Payment.card_brand,
                Payment.card_last4,
                Payment.transaction_id,
                Payment.created_at,
            ],
            visible_filters=[Payment.order, Payment.method, Payment.status, Payment.transaction_id],
            order_by=[OrderBy(Payment.created_at, ascending=False)],
            validators=_refuse(*READ_ONLY),
        ),
        TableConfig(
            CouponUse,
            menu_group="Orders",
            visible_columns=[
                CouponUse.coupon,
                CouponUse.order,
                CouponUse.account,
                CouponUse.created_at,
            ],
            visible_filters=[CouponUse.coupon, CouponUse.order],
            order_by=[OrderBy(CouponUse.created_at, ascending=False)],
            validators=_refuse(*READ_ONLY),
        ),
    ]


def pricing_tables() -> list[TableConfig]:
    """Shipping zones, methods and rates, coupons and automatic discounts: edited by staff."""
    return [
        TableConfig(
            ShippingZone,
            menu_group="Pricing",
            visible_columns=[ShippingZone.name, ShippingZone.code, ShippingZone.countries],
            link_column=ShippingZone.name,
            order_by=[OrderBy(ShippingZone.name)],
        ),
        TableConfig(
            ShippingMethod,
            menu_group="Pricing",
            visible_columns=[
                ShippingMethod.name,
                ShippingMethod.code,
                ShippingMethod.carrier,
                ShippingMethod.position,
                ShippingMethod.active,
            ],
            link_column=ShippingMethod.name,
            order_by=[OrderBy(ShippingMethod.position), OrderBy(ShippingMethod.name)],
        ),
        TableConfig(
            ShippingRate,
            menu_group="Pricing",
            visible_columns=[
                ShippingRate.method,
                ShippingRate.zone,
                ShippingRate.currency,
                ShippingRate.base_minor,
                ShippingRate.per_kg_minor,
                ShippingRate.free_from_minor,
                ShippingRate.max_weight_grams,
            ],
            visible_filters=[ShippingRate.method, ShippingRate.zone, ShippingRate.currency],
            order_by=[OrderBy(ShippingRate.method), OrderBy(ShippingRate.zone)],
        ),
        TableConfig(
            Coupon,
            menu_group="Pricing",
            visible_columns=[
                Coupon.code,
                Coupon.kind,
                Coupon.value,
                Coupon.currency,
                Coupon.min_subtotal_minor,
                Coupon.starts_at,
                Coupon.ends_at,
                Coupon.times_used,
                Coupon.usage_limit,
                Coupon.active,
            ],
            visible_filters=[Coupon.code, Coupon.kind, Coupon.active],
            link_column=Coupon.code,
            order_by=[OrderBy(Coupon.code)],
            hooks=[
                Hook(HookType.pre_save, coupon_before_save),
                Hook(HookType.pre_patch, coupon_before_patch),
            ],
        ),
        TableConfig(
            AutoDiscount,
            menu_group="Pricing",
            visible_columns=[
                AutoDiscount.name,
                AutoDiscount.percent,
                AutoDiscount.min_subtotal_minor,
                AutoDiscount.currency,
                AutoDiscount.starts_at,
                AutoDiscount.ends_at,
                AutoDiscount.active,
            ],
            link_column=AutoDiscount.name,
            order_by=[OrderBy(AutoDiscount.min_subtotal_minor)],
            hooks=[
                Hook(HookType.pre_save, discount_before_save),
                Hook(HookType.pre_patch, discount_before_patch),
            ],
        ),
    ]


class OrderStatusChange(BaseModel):
    """The form's fields (the admin draws every field as a text input: no choice lists)."""

    order_number: str = Field(min_length=1, max_length=20)
    new_status: str
    carrier: str = Field(default="", max_length=60)
    tracking_number: str = Field(default="", max_length=60)
    note: str = Field(default="", max_length=300)

    @field_validator("order_number")
    @classmethod
    def _number(cls, value: str) -> str:
        return value.strip().upper()

    @field_validator("new_status")
    @classmethod
    def _status(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in orders.STATUSES:
            raise ValueError(f"Choose one of: {', '.join(orders.STATUSES)}.")
        return value


def english(message: i18n.Message) -> str:
    """A service's message in the admin's language (English, the catalogs' source)."""
    return message.msgid % message.params if message.params else message.msgid


def _gateway(request: Request) -> Gateway | None:
    """The storefront's payment gateway (refunds of card payments), from the Litestar app."""
    app = request.scope.get("litestar_app")
    return getattr(app.state, "payment_gateway", None) if app is not None else None


def order_status_form(settings: Settings) -> FormConfig:
    async def change_order_status(request: Request, data: OrderStatusChange) -> str:
        # The dispatcher sends only superusers to the app holding this form; check again anyway.
        staff: BaseUser = request.user.user
        if not staff.superuser:
            raise ValueError("Only admins may change an order's status.")
        found = await Order.select(Order.id).where(Order.number == data.order_number).first()
        if found is None:
            raise ValueError(f"There is no order {data.order_number}.")
        try:
            order = await orders.change_status(
                found["id"],
                data.new_status,
                actor=staff.username,
                settings=settings,
                carrier=data.carrier.strip() or None,
                tracking_number=data.tracking_number.strip() or None,
                note=data.note.strip(),
                gateway=_gateway(request),
            )
        except orders.StatusChangeRefused as refused:
            # The admin shows a ValueError's text as the form's error.
            raise ValueError(english(refused.message)) from None
        label = orders.STATUSES[order.status]
        return f"Order {order.number} is now {label}; an email to the customer is on its way."

    statuses = ", ".join(orders.STATUSES)
    return FormConfig(
        name=ORDER_STATUS_FORM,
        pydantic_model=OrderStatusChange,
        endpoint=change_order_status,
        description=(
            f"Moves an order on, records who did it, and emails the customer. New status: one of "
            f"{statuses}. A shipped order needs a tracking number; a cancelled one goes back "
            "into stock. Carrier and tracking number are kept when left empty."
        ),
        form_group="Orders",
    )


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
    full = create_admin(
        [
            *catalog_tables(moderator=False),
            *order_tables(),
            *pricing_tables(),
            *personal_tables(),
        ],
        forms=[order_status_form(settings)],
        **options,
    )
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
