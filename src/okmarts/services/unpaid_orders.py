"""Orders never paid: a reminder a day before they expire, then cancelled, stock and points back.

An order awaiting payment (a bank transfer that has not arrived) holds its stock. After
`unpaid_order_days` (OKMARTS_UNPAID_ORDER_DAYS, 7) from its placing (or from its approval, for
a company order that waited for an approver: Order.awaiting_payment_since) it is cancelled through
order_status.change_status — the same path as any cancellation: stock back on the shelf, points back
to the account, the payment marked voided, a history entry by "system" — and the customer gets
the `order_expired` email instead of the usual status email. From a day before that, the first
run sends the `order_payment_reminder` email with the date it expires.

`okmarts retention run` runs this (daily, from cron). Each email goes once: the reminder is
queued in the transaction of a conditional UPDATE of Order.payment_reminded_at (still empty,
order still awaiting payment); the cancellation is conditional on the status, and only from
`awaiting_payment` (never an order staff marked paid meanwhile). Two runs at once do it once.

How many orders one account may leave awaiting payment (`unpaid_order_limit`) is checked when
the order is placed (orders._check_unpaid_limit).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from piccolo.columns.combination import Combinable

from okmarts.db import write_transaction
from okmarts.services import order_status, orders
from okmarts.services.messaging import notify_mail_queued
from okmarts.settings import Settings
from okmarts.tables.checkout import Order

REMINDER_KIND = "order_payment_reminder"
EXPIRED_KIND = "order_expired"
ACTOR = "system"


@dataclass(frozen=True)
class UnpaidReport:
    reminded: int
    expired: int


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def run(
    settings: Settings, *, now: dt.datetime | None = None, dry_run: bool = False
) -> UnpaidReport:
    """Cancel the orders unpaid for `unpaid_order_days`, then remind those a day from it."""
    now = (now or _now()).astimezone(dt.UTC)
    period = dt.timedelta(days=settings.unpaid_order_days)
    expire_before = now - period
    remind_before = now - (period - dt.timedelta(days=1))
    awaiting = Order.status == "awaiting_payment"
    due = await (
        Order.select(Order.id)
        .where(awaiting & _awaiting_since(before=expire_before))
        .order_by(Order.id)
    )
    to_remind = await (
        Order.select(Order.id)
        .where(
            awaiting
            & Order.payment_reminded_at.is_null()
            & _awaiting_since(before=remind_before)
            # Those expiring now get the cancellation instead: a dry run counts the same.
            & _awaiting_since(after=expire_before)
        )
        .order_by(Order.id)
    )
    if dry_run:
        return UnpaidReport(reminded=len(to_remind), expired=len(due))
    expired = 0
    for row in due:
        try:
            await order_status.change_status(
                row["id"],
                "cancelled",
                actor=ACTOR,
                settings=settings,
                note=f"Not paid within {settings.unpaid_order_days} days.",
                now=now,
                from_status="awaiting_payment",
                mail=EXPIRED_KIND,
                mail_context={"contact_link": f"{settings.base_url}/contact"},
            )
        except order_status.StatusChangeRefused:
            continue  # paid, cancelled or expired meanwhile (another run)
        expired += 1
    reminded = 0
    for row in to_remind:
        if await _remind(row["id"], settings, now):
            reminded += 1
    if reminded:
        notify_mail_queued()
    return UnpaidReport(reminded=reminded, expired=expired)


def _awaiting_since(
    *, before: dt.datetime | None = None, after: dt.datetime | None = None
) -> Combinable:
    """Orders that began awaiting payment (placed, or approved later) at or before `before`,
    or after `after`."""
    if before is not None:
        placed, approved = Order.created_at <= before, Order.awaiting_payment_since <= before
    else:
        placed, approved = Order.created_at > after, Order.awaiting_payment_since > after
    return (Order.awaiting_payment_since.is_null() & placed) | approved


async def _remind(order_id: int, settings: Settings, now: dt.datetime) -> bool:
    async with write_transaction(Order._meta.db):
        claimed = await (
            Order.update({Order.payment_reminded_at: now})
            .where(
                (Order.id == order_id)
                & (Order.status == "awaiting_payment")
                & Order.payment_reminded_at.is_null()
            )
            .returning(Order.id)
        )
        if not claimed:
            return False  # reminded by another run, or paid or cancelled meanwhile
        order = await Order.objects().where(Order.id == order_id).first()
        # orders' own order email: the lines, the link and the language of the account.
        await orders.mail_order(
            order,
            REMINDER_KIND,
            None,
            settings.base_url,
            {"payment_due": orders.payment_due(order, settings)},
        )
    return True
