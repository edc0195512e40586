"""Orders: placing one in a single transaction, reading them back (changing their status:
services.order_status).

Placing never oversells (stock is decremented with a conditional UPDATE per line), never charges
or creates twice for one checkout form (the form's key is unique on the order), and keeps money
exact (integer minor units from services.pricing).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from okmarts.db import is_postgres, write_transaction
from okmarts.i18n import N_, Message
from okmarts.services import (
    cart,
    checkout,
    companies,
    coupons,
    invoices,
    payment_attempts,
    points,
    pricing,
    recommendations,
    tax,
)
from okmarts.services.messaging import enqueue_email, notify_mail_queued
from okmarts.services.payments import Gateway, PaymentResult
from okmarts.settings import Settings
from okmarts.tables.accounts import Account, Address
from okmarts.tables.catalog import Product, ProductStatus
from okmarts.tables.checkout import CartLine, Order, OrderEvent, OrderLine, Payment

log = logging.getLogger("okmarts.orders")

STATUSES = {
    "awaiting_payment": N_("Awaiting payment"),
    # TRANSLATORS: order status (an adjective agreeing with "order")
    "paid": N_("Paid"),
    # TRANSLATORS: order status (an adjective agreeing with "order")
    "shipped": N_("Shipped"),
    # TRANSLATORS: order status (an adjective agreeing with "order")
    "delivered": N_("Delivered"),
    # TRANSLATORS: order status (an adjective agreeing with "order")
    "completed": N_("Completed"),
    # TRANSLATORS: order status (an adjective agreeing with "order")
    "cancelled": N_("Cancelled"),
    # TRANSLATORS: order status (an adjective agreeing with "order")
    "refunded": N_("Refunded"),
    # Company orders above the approval limit (services/companies.py): no payment taken yet.
    "awaiting_approval": N_("Awaiting approval"),
}
CUSTOMER_CANCELLABLE = {"awaiting_approval", "awaiting_payment", "paid"}
NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out on the phone
OUT_OF_DATE = Message(N_("This checkout form is out of date: please try again."))


class OrderRefused(Exception):
    """The order can't be placed as asked; the message says why (and the cart is kept)."""

    def __init__(self, message: Message, field: str = "cart") -> None:
        super().__init__(message.msgid)
        self.message = message
        self.field = field


@dataclass
class Placed:
    order: Order
    created: bool  # False: this checkout form had been placed already (a double submit)


def new_order_number(now: dt.datetime) -> str:
    suffix = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(6))
    return f"OK-{now:%y%m%d}-{suffix}"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def find_by_key(checkout_key: str) -> Order | None:
    return await Order.objects().where(Order.checkout_key == checkout_key).first()


async def place_order(
    account: Account,
    priced: checkout.Checkout,
    cart_view: cart.CartView,
    *,
    gateway: Gateway,
    settings: Settings,
    now: dt.datetime | None = None,
) -> Placed:
    """Charge (if by card) and write the order, its lines, payment, coupon use and points spent,
    with the stock, in one transaction; the same checkout key always gives the same order."""
    now = now or utc_now()
    form, totals = priced.form, priced.summary.totals
    existing = await find_by_key(form.checkout_key)
    if existing is not None:
        if existing.account != account.id:
            raise OrderRefused(OUT_OF_DATE)
        return Placed(existing, created=False)

    payment_result = None
    attempt_id: int | None = None
    # A company order waiting for approval takes no payment yet (checkout asked for a bank
    # transfer, paid once approved: services/companies.py).
    if form.payment_method == "card" and totals.total_minor > 0 and not priced.needs_approval:
        # Written before the gateway is asked: should this process die before the order is
        # written, the attempt is left behind and the sweep voids its hold.
        try:
            attempt = await payment_attempts.start(
                account.id, form.checkout_key, totals.total_minor, totals.currency, now
            )
        except payment_attempts.AttemptMismatch as mismatch:
            raise OrderRefused(OUT_OF_DATE) from mismatch
        if attempt["status"] not in ("started", "authorised"):
            # This form's payment was declined or voided already (the back button, say): the
            # page comes back with a new form, whose payment is a new attempt.
            raise OrderRefused(OUT_OF_DATE)
        attempt_id = attempt["id"]
        payment_result = await gateway.authorize(
            totals.total_minor, totals.currency, form.card(), form.checkout_key
        )
        await payment_attempts.record_answer(attempt_id, payment_result, now)
        if payment_result.status != "approved":
            raise OrderRefused(
                payment_result.message or Message(N_("Your card was declined.")), "card_number"
            )
    try:
        order = await _write_order(
            account, priced, cart_view, payment_result, attempt_id, now, settings
        )
    except Exception:
        # A second submit of the same form may have won the race: answer with its order.
        existing = await find_by_key(form.checkout_key)
        if existing is not None and existing.account == account.id:
            return Placed(existing, created=False)
        if attempt_id is not None:
            try:
                await payment_attempts.void(attempt_id, gateway)
            except Exception:  # the sweep voids it later; the shopper hears why it failed
                log.exception("Could not void payment attempt %s at once", attempt_id)
        raise
    if attempt_id is not None:
        # The order exists: take the money that the authorisation held (or the sweep will).
        await payment_attempts.capture(attempt_id, gateway)
    notify_mail_queued()
    return Placed(order, created=True)


async def _write_order(
    account: Account,
    priced: checkout.Checkout,
    cart_view: cart.CartView,
    payment_result: PaymentResult | None,
    attempt_id: int | None,
    now: dt.datetime,
    settings: Settings,
) -> Order:
    form, totals = priced.form, priced.summary.totals
    # The lines as priced (break or quote prices): each order line records the unit price paid.
    lines = priced.lines or checkout.priced_lines(cart_view, form.redeem)
    paid = not priced.needs_approval and (
        payment_result is not None
        or (totals.total_minor == 0 and form.payment_method != "bank_transfer")
    )
    async with write_transaction(Order._meta.db):
        if await find_by_key(form.checkout_key) is not None:
            raise RuntimeError("placed meanwhile")  # handled by the caller: same order back
        await _keep_the_card_hold(attempt_id)
        await _take_stock(lines)
        if not paid and not priced.needs_approval:
            # An order waiting for an approver can't be paid yet: the company decides.
            await _check_unpaid_limit(account.id, settings.unpaid_order_limit)
        order = await _write_order_and_lines(account, priced, lines, paid, now)
        await recommendations.count_order(order.id)
        await _record_payment(order, priced, payment_result, attempt_id, now)
        if paid:
            await record_event(order, "paid", "system", now)
            # The paid order's invoice, numbered in this transaction (services/invoices.py).
            await invoices.issue(order.id, account.locale, now)
        if priced.needs_approval:
            await companies.mail_approvers(order, settings.base_url)
        await _spend_coupon(account, order, totals, now)
        await _spend_points(account, order, totals, now)
        await _save_address(account, form)
        if priced.after_order is not None:
            # A quote's order (services.quotes): the quote is marked accepted in this
            # transaction (or the order is refused); the cart was not checked out, so it stays.
            await priced.after_order(order)
        else:
            await CartLine.delete().where(CartLine.account == account.id)
        await mail_order(
            order,
            "order_confirmation",
            account,
            settings.base_url,
            {"payment_due": payment_due(order, settings)},
        )
    return order


# -- The steps of _write_order, in its order (each runs inside its transaction) -----------------


async def _keep_the_card_hold(attempt_id: int | None) -> None:
    if attempt_id is not None and not await payment_attempts.hold_for_order(attempt_id):
        # The sweep released this authorisation (the checkout took minutes): nothing is held.
        raise OrderRefused(
            Message(N_("Your payment took too long and was cancelled. Please try again."))
        )


async def _take_stock(lines: list[pricing.PricedLine]) -> None:
    """One conditional update per line: stock never goes below zero, whoever else is buying,
    and a part discontinued meanwhile is not sold."""
    for line in lines:
        taken = (
            await Product.update({Product.stock: Product.stock - line.quantity})
            .where(
                (Product.id == line.product_id)
                & (Product.stock >= line.quantity)
                & (Product.status == ProductStatus.active.value)
            )
            .returning(Product.id)
        )
        if not taken:
            ended = await Product.exists().where(
                (Product.id == line.product_id)
                & (Product.status == ProductStatus.discontinued.value)
            )
            raise OrderRefused(
                Message(
                    N_("Sorry, %(title)s was discontinued while you were checking out.")
                    if ended
                    else N_("Sorry, %(title)s sold out while you were checking out."),
                    {"title": line.title},
                )
            )


async def _write_order_and_lines(
    account: Account,
    priced: checkout.Checkout,
    lines: list[pricing.PricedLine],
    paid: bool,
    now: dt.datetime,
) -> Order:
    form, totals, quote = priced.form, priced.summary.totals, priced.summary.shipping
    order = Order(
        number=new_order_number(now),
        account=account.id,
        checkout_key=form.checkout_key,
        status="paid"
        if paid
        else "awaiting_approval"
        if priced.needs_approval
        else "awaiting_payment",
        currency=totals.currency,
        subtotal_minor=totals.subtotal_minor,
        discount_minor=totals.discount_minor,
        discount_label=totals.discount_label,
        coupon_code=totals.coupon_code,
        points_used=totals.points_spent,
        points_value_minor=totals.points_value_minor,
        shipping_method=quote.method_name if quote else "",
        shipping_minor=totals.shipping_minor,
        # Tax (services.tax), included in total_minor.
        tax_minor=totals.tax_minor,
        tax_lines=totals.tax_lines_json(),
        total_minor=totals.total_minor,
        recipient=form.recipient,
        phone=form.phone,
        email=form.email,
        country=form.country,
        region=form.region,
        city=form.city,
        line=form.line,
        zip_code=form.zip_code,
        for_company=form.for_company,
        company=form.company if form.for_company else "",
        tax_id=form.tax_id if form.for_company else "",
        billing_address=form.billing_address if form.for_company else "",
        # Company accounts (services/companies.py): the company bought for, and the PO number.
        company_ref=priced.company_id,
        po_number=form.po_number,
        carrier=quote.carrier if quote else "",
        created_at=now,
        updated_at=now,
    )
    await order.save()
    await OrderLine.insert(
        *(
            OrderLine(
                order=order.id,
                product=line.product_id,
                sku=line.sku,
                title=line.title,
                unit_price_minor=0 if line.pay_with_points else line.unit_price_minor,
                unit_points=line.points_price or 0 if line.pay_with_points else 0,
                quantity=line.quantity,
                line_total_minor=line.line_total_minor,
                weight_grams=line.weight_grams,
            )
            for line in lines
        )
    )
    # Placed: awaiting payment, or an approver (a paid order's "paid" follows, by the system).
    first = "awaiting_approval" if order.status == "awaiting_approval" else "awaiting_payment"
    await record_event(order, first, "customer", now)
    return order


async def _record_payment(
    order: Order,
    priced: checkout.Checkout,
    payment_result: PaymentResult | None,
    attempt_id: int | None,
    now: dt.datetime,
) -> None:
    """The card payment taken, or the bank transfer awaited (never a full card number)."""
    form, totals = priced.form, priced.summary.totals
    if payment_result is not None:
        await Payment.insert(
            Payment(
                order=order.id,
                card_attempt=attempt_id,
                method="card",
                status="captured",
                amount_minor=totals.total_minor,
                currency=totals.currency,
                payer_name=form.card_holder[:100],
                payer_email=form.email,
                card_brand=payment_result.card_brand,
                card_last4=payment_result.card_last4,
                transaction_id=payment_result.transaction_id,
                created_at=now,
            )
        )
    elif form.payment_method == "bank_transfer" and totals.total_minor > 0:
        await Payment.insert(
            Payment(
                order=order.id,
                method="bank_transfer",
                status="pending",
                amount_minor=totals.total_minor,
                currency=totals.currency,
                payer_name=form.recipient,
                payer_email=form.email,
                transaction_id=order.number,
                created_at=now,
            )
        )


async def _spend_coupon(
    account: Account, order: Order, totals: pricing.Totals, now: dt.datetime
) -> None:
    if totals.coupon_code:
        try:
            await coupons.record_coupon_use(
                totals.coupon_code, account_id=account.id, order_id=order.id, now=now
            )
        except coupons.CouponInvalid as invalid:
            raise OrderRefused(invalid.message, "coupon_code") from invalid


async def _spend_points(
    account: Account, order: Order, totals: pricing.Totals, now: dt.datetime
) -> None:
    if totals.points_spent:
        try:
            await points.append_points(
                account.id,
                -totals.points_spent,
                "order_spent",
                once_key=f"order-spent:{order.number}",
                now=now,
            )
        except ValueError as short:
            raise OrderRefused(
                Message(N_("You don't have enough points for this order any more.")), "points"
            ) from short


async def _save_address(account: Account, form: checkout.CheckoutForm) -> None:
    """The new address joins the book when asked (the first of its kind becomes the default)."""
    if form.save_address and not form.address_id:
        await Address.insert(
            Address(
                account=account.id,
                kind="shipping",
                recipient=form.recipient,
                phone=form.phone,
                country=form.country,
                region=form.region,
                city=form.city,
                line=form.line,
                zip_code=form.zip_code,
                is_default=not await Address.exists().where(
                    (Address.account == account.id) & (Address.kind == "shipping")
                ),
            )
        )


def payment_due(order: Order, settings: Settings) -> dt.datetime | None:
    """When an order awaiting payment is cancelled if the money has not arrived (else None):
    `unpaid_order_days` from when it began awaiting payment (placed, or approved later)."""
    if order.status != "awaiting_payment":
        return None
    since = order.awaiting_payment_since or order.created_at
    return since + dt.timedelta(days=settings.unpaid_order_days)


async def _check_unpaid_limit(account_id: int, limit: int) -> None:
    """Inside the order transaction: refuse one more order awaiting payment beyond the cap, so
    that one account can't hold the stock with orders it never pays (0: no cap)."""
    if not limit:
        return
    if is_postgres(Account._meta.db):
        # Orders of one account are counted one checkout at a time (products were locked
        # first, as by every stock change: the same order of locks everywhere).
        await Account.select(Account.id).where(Account.id == account_id).lock_rows()
    open_unpaid = await Order.count().where(
        (Order.account == account_id) & (Order.status == "awaiting_payment")
    )
    if open_unpaid >= limit:
        raise OrderRefused(
            Message(
                N_(
                    "You have reached the limit of orders waiting for payment (%(count)s). "
                    "Pay for one of them or cancel it in My orders, or pay for this order by "
                    "card."
                ),
                {"count": open_unpaid},
            ),
            "payment_method",
        )


async def record_event(
    order: Order, status: str, actor: str, now: dt.datetime, note: str = ""
) -> None:
    await OrderEvent.insert(
        OrderEvent(
            order=order.id, status=status, actor=actor[:120], note=note[:300], created_at=now
        )
    )


async def mail_order(
    order: Order,
    kind: str,
    account: Account | None,
    base_url: str,
    extra: dict[str, Any] | None = None,
) -> None:
    if account is None:
        account = await Account.objects().where(Account.id == order.account).first()
    lines = await OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id)
    await enqueue_email(
        kind=kind,
        recipient=order.email,
        locale=account.locale if account else "en",
        account_id=order.account,
        context={
            "order": order,
            "lines": lines,
            "status_label": STATUSES[order.status],
            "tax_lines": tax.shown(order.tax_lines),
            "link": f"{base_url}/account/orders/{order.number}",
            **(extra or {}),
        },
    )


# -- Reading -----------------------------------------------------------------------------------


async def list_orders(account_id: int, limit: int = 100) -> list[dict]:
    return (
        await Order.select(
            Order.number, Order.created_at, Order.status, Order.total_minor, Order.currency
        )
        .where(Order.account == account_id)
        .order_by(Order.created_at, ascending=False)
        .limit(limit)
    )


@dataclass
class OrderDetail:
    order: Order
    lines: list[dict]
    events: list[dict]
    payments: list[dict]

    @property
    def cancellable(self) -> bool:
        return self.order.status in CUSTOMER_CANCELLABLE

    @property
    def tax_shown(self) -> list[tax.ShownTaxLine]:
        return tax.shown(self.order.tax_lines)


async def get_order(account_id: int, number: str) -> OrderDetail | None:
    """The account's own order with that number (None for anyone else's)."""
    order = (
        await Order.objects()
        .where((Order.number == number) & (Order.account == account_id))
        .first()
    )
    if order is None:
        return None
    lines = await OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id)
    events = (
        await OrderEvent.select(OrderEvent.status, OrderEvent.note, OrderEvent.created_at)
        .where(OrderEvent.order == order.id)
        .order_by(OrderEvent.id)
    )
    payments = (
        await Payment.select(
            Payment.method,
            Payment.status,
            Payment.amount_minor,
            Payment.currency,
            Payment.card_brand,
            Payment.card_last4,
            Payment.transaction_id,
        )
        .where(Payment.order == order.id)
        .order_by(Payment.id)
    )
    return OrderDetail(order=order, lines=lines, events=events, payments=payments)
