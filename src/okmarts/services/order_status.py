"""An order's status changes: staff moving it on, the customer cancelling, the system expiring
it. Each change is one transaction, conditional on the status read (two racing changes: one
applies), with its history, stock, points, payments and email."""

from __future__ import annotations

import datetime as dt
from typing import Any

from okmarts.db import write_transaction
from okmarts.i18n import N_, Message
from okmarts.services import invoices, points, pricing, recommendations
from okmarts.services.messaging import notify_mail_queued
from okmarts.services.orders import get_order, mail_order, record_event, utc_now
from okmarts.services.payments import Gateway
from okmarts.settings import Settings
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.tables.checkout import Order, OrderLine, Payment
from okmarts.tables.returns import ReturnRequest

# Which status may follow which (staff in the admin, the customer only cancels).
TRANSITIONS = {
    # Company orders above the approval limit: an approver approves or rejects (companies.py).
    "awaiting_approval": {"awaiting_payment", "cancelled"},
    "awaiting_payment": {"paid", "cancelled"},
    "paid": {"shipped", "cancelled", "refunded"},
    "shipped": {"delivered", "refunded"},
    "delivered": {"completed", "refunded"},
    "completed": {"refunded"},
    "cancelled": set(),
    "refunded": set(),
}
# What staff may do in the admin: approving a company's order is its approvers' (companies.py);
# staff may cancel it, not approve it.
STAFF_TRANSITIONS = {**TRANSITIONS, "awaiting_approval": {"cancelled"}}


class StatusChangeRefused(Exception):
    def __init__(self, message: Message) -> None:
        super().__init__(message.msgid)
        self.message = message


async def change_status(
    order_id: int,
    new_status: str,
    *,
    actor: str,
    settings: Settings,
    carrier: str | None = None,
    tracking_number: str | None = None,
    note: str = "",
    gateway: Gateway | None = None,
    now: dt.datetime | None = None,
    from_status: str | None = None,
    mail: str = "order_status",
    mail_context: dict[str, Any] | None = None,
) -> Order:
    """Move an order on (staff, the customer cancelling, the system expiring it): history,
    stock, points and email (`mail`: the kind of email, with `mail_context` added to its own).

    `from_status`: only from that status (a job that picked the order as it was refuses to
    act on an order that moved on meanwhile, say one that staff just marked paid)."""
    now = now or utc_now()
    async with write_transaction(Order._meta.db):
        order = await Order.objects().where(Order.id == order_id).first()
        if order is None:
            raise StatusChangeRefused(Message(N_("There is no such order.")))
        if from_status is not None and order.status != from_status:
            raise StatusChangeRefused(Message(N_("The order changed meanwhile: look again.")))
        if new_status not in TRANSITIONS.get(order.status, set()):
            raise StatusChangeRefused(
                Message(
                    N_("An order that is %(current)s can't become %(new)s."),
                    {"current": order.status, "new": new_status},
                )
            )
        if new_status == "refunded" and await ReturnRequest.exists().where(
            (ReturnRequest.order == order.id) & (ReturnRequest.status != "refused")
        ):
            # The return refunded (or will refund) its lines, points and tax: a whole-order
            # refund on top would pay them twice. The rest goes back through a return too.
            raise StatusChangeRefused(
                Message(
                    N_(
                        "This order has a return: refund the rest through a return "
                        "(Service → Returns), not the whole order."
                    )
                )
            )
        if new_status == "shipped" and not (tracking_number or order.tracking_number):
            raise StatusChangeRefused(Message(N_("A shipped order needs a tracking number.")))
        # Conditional on the status read: two changes racing, only one applies.
        changes = {Order.status: new_status, Order.updated_at: now}
        if carrier is not None:
            changes[Order.carrier] = carrier[:60]
        if tracking_number is not None:
            changes[Order.tracking_number] = tracking_number[:60]
        if new_status == "awaiting_payment":
            # Approved after waiting for an approver: the payment deadline counts from now.
            changes[Order.awaiting_payment_since] = now
        updated = (
            await Order.update(changes)
            .where((Order.id == order.id) & (Order.status == order.status))
            .returning(Order.id)
        )
        if not updated:
            raise StatusChangeRefused(Message(N_("The order changed meanwhile: look again.")))
        previous = order.status
        order.status = new_status
        if carrier is not None:
            order.carrier = carrier[:60]
        if tracking_number is not None:
            order.tracking_number = tracking_number[:60]
        if new_status == "awaiting_payment":
            order.awaiting_payment_since = now
        await record_event(order, new_status, actor, now, note)
        if new_status == "paid":
            # Staff saw the bank transfer arrive.
            await Payment.update({Payment.status: "paid"}).where(
                (Payment.order == order.id) & (Payment.status == "pending")
            )
            # The paid order's invoice, numbered in this transaction (services/invoices.py).
            owner = await Account.select(Account.locale).where(Account.id == order.account).first()
            await invoices.issue(order.id, owner["locale"] if owner else "en", now)
        if new_status in {"cancelled", "refunded"}:
            await _give_back(order, previous, restock=new_status == "cancelled", now=now)
            # Its products no longer count as bought together (cancelled and refunded are
            # final, and the conditional update above lets one change through: once per order).
            await recommendations.uncount_order(order.id)
        if new_status == "delivered" and order.account is not None:
            # Points reward what the shop earned: the total without tax, which it only collects.
            earned = (
                (order.total_minor - order.tax_minor)
                // pricing.minor_per_unit(order.currency)
                * (settings.points_earned_per_unit)
            )
            if earned:
                entry = await points.append_points(
                    order.account,
                    earned,
                    "order_earned",
                    once_key=f"order-earned:{order.number}",
                    now=now,
                )
                if entry is not None:
                    await Order.update({Order.points_earned: earned}).where(Order.id == order.id)
                    order.points_earned = earned
        await mail_order(order, mail, None, settings.base_url, mail_context)
    notify_mail_queued()
    if gateway is not None and new_status in {"cancelled", "refunded"}:
        # The money goes back through the gateway that took it.
        for payment in await Payment.select().where(
            (Payment.order == order.id) & (Payment.method == "card")
        ):
            await gateway.refund(payment["transaction_id"], payment["amount_minor"])
    return order


async def _give_back(order: Order, previous: str, *, restock: bool, now: dt.datetime) -> None:
    """A cancelled order's stock goes back on the shelf; its points go back to the account, and
    the points it earned (a refunded delivered order) are taken back, never below zero; its
    payment is marked refunded (the gateway's refund is the caller's, for card orders)."""
    if restock:
        lines = await OrderLine.select(OrderLine.product, OrderLine.quantity).where(
            OrderLine.order == order.id
        )
        for line in lines:
            if line["product"] is not None:
                await Product.update({Product.stock: Product.stock + line["quantity"]}).where(
                    Product.id == line["product"]
                )
    if order.points_used and order.account is not None:
        await points.append_points(
            order.account,
            order.points_used,
            "order_refunded",
            once_key=f"order-refunded:{order.number}",
            now=now,
        )
    if order.points_earned and order.account is not None:
        # As a return takes back the points of its lines: points spent meanwhile stay spent.
        taken_back = min(order.points_earned, await points.balance(order.account))
        if taken_back:
            await points.append_points(
                order.account,
                -taken_back,
                "order_refund_taken_back",
                once_key=f"order-earned-back:{order.number}",
                now=now,
            )
    await Payment.update(
        {
            Payment.status: "voided"
            if previous in ("awaiting_payment", "awaiting_approval")
            else "refunded"
        }
    ).where(Payment.order == order.id)


async def cancel_by_customer(
    account: Account, number: str, settings: Settings, gateway: Gateway | None = None
) -> Order:
    detail = await get_order(account.id, number)
    if detail is None:
        raise StatusChangeRefused(Message(N_("There is no such order.")))
    if not detail.cancellable:
        raise StatusChangeRefused(
            Message(N_("This order has been shipped already: it can no longer be cancelled."))
        )
    return await change_status(
        detail.order.id, "cancelled", actor="customer", settings=settings, gateway=gateway
    )
