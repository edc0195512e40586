"""Orders and pricing in the admin (superusers only: orders hold personal data)."""

from __future__ import annotations

from typing import Any

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import Column
from piccolo_admin.endpoints import FormConfig, TableConfig
from piccolo_api.crud.endpoints import OrderBy
from piccolo_api.crud.hooks import Hook, HookType
from pydantic import BaseModel, Field, field_validator
from starlette.exceptions import HTTPException
from starlette.requests import Request

from okmarts import i18n
from okmarts.admin.tables import READ_ONLY, _refuse
from okmarts.admin.ui import choice_list
from okmarts.services import coupons, order_status, orders
from okmarts.services.payments import Gateway
from okmarts.settings import Settings
from okmarts.tables.checkout import (
    AutoDiscount,
    Coupon,
    CouponUse,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    PaymentAttempt,
    ShippingMethod,
    ShippingRate,
    ShippingZone,
)

# -- Orders and pricing: superusers only (orders hold personal data) ---------------------------

ORDER_STATUS_FORM = "Change order status"
# Written by checkout (number, account, amounts) or only through order_status.change_status (status,
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
        Order.company_ref,  # company accounts: the company the order was placed for
        Order.awaiting_payment_since,  # the payment deadline: only status changes move it
    )
)
COUPON_KINDS = ("percent", "fixed")


def order_read_only_columns() -> dict[str, frozenset[str]]:
    """What the order's edit form shows read only: what checkout wrote and what only the form
    "Change order status" changes (guard_order_columns refuses changing them)."""
    return {Order._meta.tablename: GUARDED_ORDER_COLUMNS}


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
        # Card payments as checkout asked for them (services.payment_attempts): one that stays
        # `voiding`, or `authorised` with an order, is one the gateway refused to settle.
        TableConfig(
            PaymentAttempt,
            menu_group="Orders",
            visible_columns=[
                PaymentAttempt.id,
                PaymentAttempt.status,
                PaymentAttempt.amount_minor,
                PaymentAttempt.currency,
                PaymentAttempt.transaction_id,
                PaymentAttempt.created_at,
                PaymentAttempt.updated_at,
            ],
            visible_filters=[PaymentAttempt.status, PaymentAttempt.transaction_id],
            order_by=[OrderBy(PaymentAttempt.updated_at, ascending=False)],
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


def _listed(words: list[str]) -> str:
    return " or ".join(words) if len(words) < 3 else f"{', '.join(words[:-1])} or {words[-1]}"


def status_choices() -> dict[str, str]:
    """The statuses an order can be moved to, each saying which ones it follows, "(none)" first.
    The form can't know the order before it is sent: the change is checked then."""
    choices = {"": "(none)"}
    for status, label in orders.STATUSES.items():
        sources = [
            orders.STATUSES[source].lower()
            for source, targets in order_status.STAFF_TRANSITIONS.items()
            if status in targets
        ]
        if sources:
            choices[status] = f"{label} (from {_listed(sources)})"
    return choices


def transition_refusal(number: str, current: str, new: str) -> str | None:
    """Why an order that is `current` can't become `new` (None: it can)."""
    allowed = order_status.STAFF_TRANSITIONS.get(current, set())
    if new in allowed:
        return None
    label = orders.STATUSES.get(current, current)
    if new == current:
        return f"Order {number} is already {label}."
    if not allowed:
        return f"Order {number} is {label}: its status can't change any more."
    nexts = [orders.STATUSES[status] for status in orders.STATUSES if status in allowed]
    return (
        f"Order {number} is {label}: from there it can become {_listed(nexts)}, "
        f"not {orders.STATUSES.get(new, new)}."
    )


class OrderStatusChange(BaseModel):
    """The form's fields: the new status from a choice list of the statuses."""

    order_number: str = Field(min_length=1, max_length=20)
    new_status: str = Field(
        default="",
        title="New status",
        validate_default=True,
        json_schema_extra=choice_list(status_choices()),
    )
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
        if not value:
            raise ValueError("Choose the new status.")
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
        found = (
            await Order.select(Order.id, Order.status)
            .where(Order.number == data.order_number)
            .first()
        )
        if found is None:
            raise ValueError(f"There is no order {data.order_number}.")
        refusal = transition_refusal(data.order_number, found["status"], data.new_status)
        if refusal:
            # Said with what the order can become (the service checks again, as it changes it).
            raise ValueError(refusal)
        try:
            order = await order_status.change_status(
                found["id"],
                data.new_status,
                actor=staff.username,
                settings=settings,
                carrier=data.carrier.strip() or None,
                tracking_number=data.tracking_number.strip() or None,
                note=data.note.strip(),
                gateway=_gateway(request),
            )
        except order_status.StatusChangeRefused as refused:
            # The admin shows a ValueError's text as the form's error.
            raise ValueError(english(refused.message)) from None
        label = orders.STATUSES[order.status]
        return f"Order {order.number} is now {label}; an email to the customer is on its way."

    return FormConfig(
        name=ORDER_STATUS_FORM,
        pydantic_model=OrderStatusChange,
        endpoint=change_order_status,
        description=(
            "Moves an order on, records who did it, and emails the customer. Each new status "
            "says which statuses it follows; a change the order's status doesn't allow is "
            "refused, saying what it can become. A shipped order needs a tracking number; a "
            "cancelled one goes back into stock. Carrier and tracking number are kept when left "
            "empty."
        ),
        form_group="Orders",
    )
