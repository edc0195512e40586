"""Returns, refunds and complaints (issue 16). No HTTP here: the shopper's pages are
controllers/returns.py, staff's admin/returns.py.

Returns: on a delivered order, within `Settings.return_window_days` of its delivery (the
"delivered" entry of its history), the shopper asks to return lines (at most what was bought
less what earlier returns, not refused, already take back), with a reason and a note. A
conversation with topic "return" carries the case for the service inbox.

requested → approved (with return instructions) → received → refunded, or requested → refused
(with the reason). Every step is one transaction, conditional on the status read (two staff at
once: one change applies, the other is told), writes the order's history (OrderEvent) and
emails the shopper (kind "return_update", type ORDERS) in the same transaction.

Marking the parts received puts them back in stock, gives back the points spent on them and
takes back the points earned on them, and fixes the refund (pricing.refund_share: the rule is
there). The money then goes back: a card payment through the gateway (claimed first by a
conditional update, so a refund is asked of the gateway once even when two staff click at
once); a bank transfer is recorded "to be paid" for staff to make, and once they made it they
mark it paid with the transfer's reference and day (`mark_refund_paid`: conditional on
"to_be_paid", so two staff at once record it once; history line and email); a points-only
order has no money to refund.

Photos: the shopper's request may carry photos (services.support_files, photos only). They are
attachments of the first message of the return's conversation, so the conversation's rules
reach them: the owner-only and staff-only downloads, the data download, erasure and
retention, and the deletion of the files with their rows.

Complaints: a shopper escalates a conversation or a refused return; the complaint gets a case
number "K-2026-000123", a due date 15 days out (services.privacy.due_date: policy §9's
promise), and staff record a decision with its reason (emailed, kind "complaint_update").
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from okmarts.db import lock_row, write_transaction
from okmarts.i18n import N_, Message
from okmarts.services import points, pricing, support, support_chat, support_files
from okmarts.services.accounts import FormInvalid
from okmarts.services.messaging import enqueue_email, notify_mail_queued
from okmarts.services.orders import record_event
from okmarts.services.payments import Gateway
from okmarts.services.privacy import due_date
from okmarts.settings import Settings
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.tables.checkout import Order, OrderEvent, OrderLine, Payment
from okmarts.tables.returns import Complaint, ReturnLine, ReturnRequest
from okmarts.tables.support import Conversation, ConversationAttachment, ConversationMessage

RETURN_KIND = "return_update"
COMPLAINT_KIND = "complaint_update"
RETURNABLE_ORDER_STATUSES = ("delivered", "completed")
NOTE_MAX = 2000
REASON_MAX = 2000

REASONS = {
    # TRANSLATORS: why parts are returned
    "damaged": N_("A part arrived damaged"),
    # TRANSLATORS: why parts are returned
    "wrong_part": N_("I received the wrong part"),
    # TRANSLATORS: why parts are returned
    "not_needed": N_("I no longer need it"),
    # TRANSLATORS: why parts are returned
    "other": N_("Something else"),
}
STATUSES = {
    # TRANSLATORS: status of a return: the shopper asked, staff have not decided
    "requested": N_("Requested"),
    # TRANSLATORS: status of a return: staff accepted it, the parts can be sent back
    "approved": N_("Approved: send the parts back"),
    # TRANSLATORS: status of a return: staff refused it
    "refused": N_("Refused"),
    # TRANSLATORS: status of a return: the shop has the parts back, the refund is under way
    "received": N_("Parts received"),
    # TRANSLATORS: status of a return: the money went back
    "refunded": N_("Refunded"),
}
# The order's history (OrderEvent.status, at most 20 characters) for each step.
ORDER_EVENTS = {
    "return_requested": N_("Return requested"),
    "return_approved": N_("Return approved"),
    "return_refused": N_("Return refused"),
    "return_received": N_("Returned parts received"),
    "return_refunded": N_("Return refunded"),
    "return_to_be_paid": N_("Return refund to be paid by bank transfer"),
    "return_refund_paid": N_("Return refund paid by bank transfer"),
}
REFERENCE_MAX = 100
COMPLAINT_STATUSES = {
    # TRANSLATORS: status of a complaint: waiting for the shop's decision
    "open": N_("Open"),
    # TRANSLATORS: status of a complaint: the shop decided
    "decided": N_("Decided"),
}
DECISIONS = {
    # TRANSLATORS: decision on a complaint: the shopper is right
    "upheld": N_("Upheld"),
    # TRANSLATORS: decision on a complaint: the shopper is partly right
    "partly_upheld": N_("Partly upheld"),
    # TRANSLATORS: decision on a complaint: the shopper is not right
    "rejected": N_("Not upheld"),
}


class ReturnRefused(Exception):
    """A step that can't be taken (outside the window, already decided…), with the message."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.msgid)
        self.message = message


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# -- Reading ---------------------------------------------------------------------------------


async def delivered_at(order_id: int) -> dt.datetime | None:
    row = (
        await OrderEvent.select(OrderEvent.created_at)
        .where((OrderEvent.order == order_id) & (OrderEvent.status == "delivered"))
        .order_by(OrderEvent.id)
        .first()
    )
    return _aware(row["created_at"]) if row else None


def window_ends(delivered: dt.datetime | None, settings: Settings) -> dt.datetime | None:
    if delivered is None:
        return None
    return _aware(delivered) + dt.timedelta(days=settings.return_window_days)


async def returned_quantities(order_id: int, *, exclude: int | None = None) -> dict[int, int]:
    """Order line id → quantity taken back by the order's returns that were not refused."""
    query = ReturnLine.select(
        ReturnLine.order_line, ReturnLine.quantity, ReturnLine.return_request.id.as_alias("rid")
    ).where(
        (ReturnLine.return_request.order == order_id)
        & (ReturnLine.return_request.status != "refused")
    )
    taken: dict[int, int] = {}
    for row in await query:
        if exclude is not None and row["rid"] == exclude:
            continue
        taken[row["order_line"]] = taken.get(row["order_line"], 0) + row["quantity"]
    return taken


@dataclass
class Eligibility:
    eligible: bool
    window_ends: dt.datetime | None
    lines: list[dict]  # order lines with "returnable" (quantity that may still come back)
    why: Message | None = None


async def eligibility(
    order: Order, settings: Settings, now: dt.datetime | None = None
) -> Eligibility:
    """May the order's lines be returned now, and how many of each?"""
    now = now or now_utc()
    lines = await OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id)
    taken = await returned_quantities(order.id)
    for line in lines:
        line["returnable"] = max(0, line["quantity"] - taken.get(line["id"], 0))
    if order.status not in RETURNABLE_ORDER_STATUSES:
        return Eligibility(
            False, None, lines, Message(N_("Only delivered orders can be returned."))
        )
    ends = window_ends(await delivered_at(order.id), settings)
    if ends is None or now > ends:
        return Eligibility(
            False,
            ends,
            lines,
            Message(
                N_("The return window of %(days)s days after delivery has ended."),
                {"days": settings.return_window_days},
            ),
        )
    if not any(line["returnable"] for line in lines):
        return Eligibility(False, ends, lines, Message(N_("Every part of this order is returned.")))
    return Eligibility(True, ends, lines)


async def returns_of_order(order_id: int) -> list[dict]:
    return (
        await ReturnRequest.select(
            ReturnRequest.id,
            ReturnRequest.number,
            ReturnRequest.status,
            ReturnRequest.created_at,
            ReturnRequest.refund_minor,
        )
        .where(ReturnRequest.order == order_id)
        .order_by(ReturnRequest.id)
    )


async def order_page_context(order: Order, settings: Settings) -> dict[str, Any]:
    """What the order page shows of returns: its returns and whether "Return parts" shows."""
    check = await eligibility(order, settings)
    return {
        "order_returns": await returns_of_order(order.id),
        "return_eligible": check.eligible,
        "return_window_ends": check.window_ends,
        "return_statuses": STATUSES,
    }


@dataclass
class ReturnDetail:
    request: ReturnRequest
    order: Order
    lines: list[dict]  # with order line's sku, title, unit price, quantity returned
    complaint: dict | None
    conversation_number: str = ""
    photos: list[dict] | None = None  # the shopper's files in its conversation (id, filename…)


async def photos_of(conversation_id: int | None) -> list[dict]:
    """The files the shopper sent in a return's conversation (its request's photos first);
    never those of staff's internal notes."""
    if conversation_id is None:
        return []
    return (
        await ConversationAttachment.select(
            ConversationAttachment.id,
            ConversationAttachment.kind,
            ConversationAttachment.filename,
            ConversationAttachment.size_bytes,
        )
        .where(
            ConversationAttachment.message.is_in(
                ConversationMessage.select(ConversationMessage.id).where(
                    (ConversationMessage.conversation == conversation_id)
                    & (ConversationMessage.author == "shopper")
                    & (ConversationMessage.internal.eq(False))
                )
            )
        )
        .order_by(ConversationAttachment.id)
    )


async def photo_of(return_id: int, attachment_id: int) -> dict | None:
    """One of a return's photos (path, filename, content type) for the staff's download: only
    a file of that return's conversation."""
    row = (
        await ReturnRequest.select(ReturnRequest.conversation)
        .where(ReturnRequest.id == return_id)
        .first()
    )
    if row is None or row["conversation"] is None:
        return None
    if attachment_id not in {photo["id"] for photo in await photos_of(row["conversation"])}:
        return None
    return await support_chat.attachment_of(row["conversation"], attachment_id, staff=True)


async def detail(return_id: int, account_id: int | None = None) -> ReturnDetail | None:
    """A return with its lines; `account_id`: only the account's own (None for anyone
    else's)."""
    query = ReturnRequest.objects().where(ReturnRequest.id == return_id)
    if account_id is not None:
        query = query.where(ReturnRequest.account == account_id)
    request = await query.first()
    if request is None:
        return None
    order = await Order.objects().where(Order.id == request.order).first()
    lines = (
        await ReturnLine.select(
            ReturnLine.id,
            ReturnLine.quantity,
            ReturnLine.order_line.sku.as_alias("sku"),
            ReturnLine.order_line.title.as_alias("title"),
            ReturnLine.order_line.unit_price_minor.as_alias("unit_price_minor"),
        )
        .where(ReturnLine.return_request == request.id)
        .order_by(ReturnLine.id)
    )
    complaint = (
        await Complaint.select(Complaint.case_number, Complaint.status)
        .where(Complaint.return_request == request.id)
        .first()
    )
    conversation = None
    if request.conversation is not None:
        conversation = (
            await Conversation.select(Conversation.number)
            .where(Conversation.id == request.conversation)
            .first()
        )
    return ReturnDetail(
        request,
        order,
        lines,
        complaint,
        conversation["number"] if conversation else "",
        await photos_of(request.conversation),
    )


async def by_number(number: str, account_id: int) -> ReturnDetail | None:
    row = (
        await ReturnRequest.select(ReturnRequest.id)
        .where((ReturnRequest.number == number[:20]) & (ReturnRequest.account == account_id))
        .first()
    )
    return await detail(row["id"], account_id) if row else None


# -- Asking ----------------------------------------------------------------------------------


def parse_quantities(form: dict[str, str], lines: list[dict]) -> dict[int, int]:
    """`qty-<line id>` fields → {line id: quantity}; FormInvalid for a bad one."""
    chosen: dict[int, int] = {}
    for line in lines:
        text = (form.get(f"qty-{line['id']}") or "0").strip()
        # (request_return checks the quantities again, under the order's lock.)
        if not text.isdigit() or len(text) > 6 or int(text) > line["returnable"]:
            raise FormInvalid(
                {
                    f"qty-{line['id']}": Message(
                        N_("Enter a whole number from 0 to %(max)s."), {"max": line["returnable"]}
                    )
                }
            )
        if int(text):
            chosen[line["id"]] = int(text)
    return chosen


async def request_return(
    settings: Settings,
    account: Account,
    order_number: str,
    quantities: dict[int, int],
    *,
    reason: str,
    note: str = "",
    photos: list[support_files.Prepared] | None = None,
    locale: str = "en",
    now: dt.datetime | None = None,
) -> ReturnRequest:
    """The shopper asks to return `quantities` ({order line id: quantity}) of their order;
    `photos` (support_files.prepare'd) go with the first message of its conversation, in the
    same transaction (their files are deleted again if it fails)."""
    now = now or now_utc()
    note = (note or "").replace("\r\n", "\n").strip()
    errors: dict[str, Message] = {}
    if reason not in REASONS:
        errors["reason"] = Message(N_("Choose why you return the parts."))
    if len(note) > NOTE_MAX:
        errors["note"] = Message(N_("Use at most %(limit)s characters here."), {"limit": NOTE_MAX})
    if not quantities or not any(quantities.values()):
        errors["lines"] = Message(N_("Choose at least one part to return."))
    if errors:
        raise FormInvalid(errors)
    stored: list[str] = []
    try:
        request = await _request_return(
            settings, account, order_number, quantities, reason, note, photos, locale, now, stored
        )
    except BaseException:
        await support_files.delete_files_of_gone_rows(settings, stored)
        raise
    notify_mail_queued()
    return request


async def _request_return(
    settings: Settings,
    account: Account,
    order_number: str,
    quantities: dict[int, int],
    reason: str,
    note: str,
    photos: list[support_files.Prepared] | None,
    locale: str,
    now: dt.datetime,
    stored: list[str],
) -> ReturnRequest:
    async with write_transaction(ReturnRequest._meta.db):
        order = (
            await Order.objects()
            .where((Order.number == order_number[:20]) & (Order.account == account.id))
            .first()
        )
        if order is None:
            raise ReturnRefused(Message(N_("There is no such order in your account.")))
        # One return at a time per order is asked: the quantities read below can't race.
        await lock_row(Order, order.id)
        check = await eligibility(order, settings, now)
        if not check.eligible:
            raise ReturnRefused(check.why or Message(N_("This order can't be returned.")))
        by_id = {line["id"]: line for line in check.lines}
        for line_id, quantity in quantities.items():
            line = by_id.get(line_id)
            if line is None or quantity < 0 or quantity > line["returnable"]:
                raise FormInvalid(
                    {
                        f"qty-{line_id}": Message(
                            N_("Enter a whole number from 0 to %(max)s."),
                            {"max": line["returnable"] if line else 0},
                        )
                    }
                )
        body = note or str(REASONS[reason])
        conversation = await support.open_conversation(
            settings,
            account=account,
            email=account.email,
            locale=locale,
            body=body if len(body) >= support.BODY_MIN else f"{body}…",
            subject=f"Return · {order.number}",
            topic="return",
            reason="return",
            order_id=order.id,
            now=now,
        )
        request = ReturnRequest(
            number=f"new-{secrets.token_hex(8)}",
            order=order.id,
            account=account.id,
            conversation=conversation.id,
            status="requested",
            reason=reason,
            note=note,
            created_at=now,
            updated_at=now,
        )
        await request.save()
        request.number = f"R-{now.year}-{request.id:06d}"
        await ReturnRequest.update({ReturnRequest.number: request.number}).where(
            ReturnRequest.id == request.id
        )
        await ReturnLine.insert(
            *[
                ReturnLine(return_request=request.id, order_line=line_id, quantity=quantity)
                for line_id, quantity in quantities.items()
                if quantity
            ]
        )
        if photos:
            first = (
                await ConversationMessage.select(ConversationMessage.id)
                .where(ConversationMessage.conversation == conversation.id)
                .order_by(ConversationMessage.id)
                .first()
            )
            stored.extend(await support_files.attach(settings, first["id"], photos))
        await record_event(order, "return_requested", "customer", now, request.number)
        await _mail(settings, request, order, "requested")
    return request


# -- Staff's steps ---------------------------------------------------------------------------


async def _mail(
    settings: Settings, request: ReturnRequest, order: Order, step: str, **extra: Any
) -> None:
    account = await Account.select(Account.locale).where(Account.id == order.account).first()
    await enqueue_email(
        kind=RETURN_KIND,
        recipient=order.email,
        locale=account["locale"] if account else "en",
        account_id=order.account,
        context={
            "step": step,
            "number": request.number,
            "order_number": order.number,
            "instructions": request.instructions,
            "staff_reason": request.staff_reason,
            "refund": pricing_money(request.refund_minor, order.currency),
            "refund_state": request.refund_state,
            "link": f"{settings.base_url}/account/returns/{request.number}",
            **extra,
        },
    )


def pricing_money(minor: int, currency: str) -> dict[str, Any]:
    """Money as the email templates format it (`money(amount.minor, amount.currency)`)."""
    return {"minor": minor, "currency": currency}


async def _move(
    return_id: int, from_status: str, changes: dict[Any, Any]
) -> tuple[ReturnRequest, Order]:
    """Inside a transaction: change a return that is `from_status`, or refuse (it moved on)."""
    updated = (
        await ReturnRequest.update(changes)
        .where((ReturnRequest.id == return_id) & (ReturnRequest.status == from_status))
        .returning(ReturnRequest.id)
    )
    if not updated:
        row = (
            await ReturnRequest.select(ReturnRequest.status)
            .where(ReturnRequest.id == return_id)
            .first()
        )
        if row is None:
            raise ReturnRefused(Message(N_("There is no such return.")))
        raise ReturnRefused(
            Message(
                N_("This return is %(status)s already: nothing was changed."),
                {"status": row["status"]},
            )
        )
    request = await ReturnRequest.objects().where(ReturnRequest.id == return_id).first()
    order = await Order.objects().where(Order.id == request.order).first()
    return request, order


def _checked_text(text: str, field: str, *, required: bool) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if required and len(text) < 2:
        raise FormInvalid({field: Message(N_("Write at least %(num)s characters."), {"num": 2})})
    if len(text) > REASON_MAX:
        raise FormInvalid(
            {field: Message(N_("Use at most %(limit)s characters here."), {"limit": REASON_MAX})}
        )
    return text


async def approve(
    settings: Settings,
    return_id: int,
    *,
    instructions: str,
    staff: str,
    now: dt.datetime | None = None,
) -> ReturnRequest:
    instructions = _checked_text(instructions, "instructions", required=True)
    now = now or now_utc()
    async with write_transaction(ReturnRequest._meta.db):
        request, order = await _move(
            return_id,
            "requested",
            {
                ReturnRequest.status: "approved",
                ReturnRequest.instructions: instructions,
                ReturnRequest.decided_by: staff[:100],
                ReturnRequest.decided_at: now,
                ReturnRequest.updated_at: now,
            },
        )
        await record_event(order, "return_approved", staff, now, request.number)
        await _mail(settings, request, order, "approved")
    notify_mail_queued()
    return request


async def refuse(
    settings: Settings, return_id: int, *, reason: str, staff: str, now: dt.datetime | None = None
) -> ReturnRequest:
    reason = _checked_text(reason, "staff_reason", required=True)
    now = now or now_utc()
    async with write_transaction(ReturnRequest._meta.db):
        request, order = await _move(
            return_id,
            "requested",
            {
                ReturnRequest.status: "refused",
                ReturnRequest.staff_reason: reason,
                ReturnRequest.decided_by: staff[:100],
                ReturnRequest.decided_at: now,
                ReturnRequest.updated_at: now,
            },
        )
        await record_event(order, "return_refused", staff, now, request.number)
        await _mail(settings, request, order, "refused")
    notify_mail_queued()
    return request


def order_amounts(order: Order) -> pricing.OrderAmounts:
    return pricing.OrderAmounts(
        currency=order.currency,
        subtotal_minor=order.subtotal_minor,
        discount_minor=order.discount_minor,
        points_value_minor=order.points_value_minor,
        points_used=order.points_used,
        shipping_minor=order.shipping_minor,
        tax_minor=order.tax_minor,
        total_minor=order.total_minor,
        points_earned=order.points_earned,
    )


async def _refund_for(
    request: ReturnRequest, order: Order
) -> tuple[pricing.RefundShare, dict[int, int]]:
    """This return's refund (pricing.refund_share), counting the order's returns received
    before it."""
    lines = {
        row["id"]: row
        for row in await OrderLine.select(
            OrderLine.id, OrderLine.quantity, OrderLine.unit_price_minor, OrderLine.unit_points
        ).where(OrderLine.order == order.id)
    }

    def money_of(quantities: dict[int, int]) -> int:
        return sum(
            lines[line]["unit_price_minor"] * quantity
            for line, quantity in quantities.items()
            if line in lines and not lines[line]["unit_points"]
        )

    before: dict[int, int] = {}
    for row in await ReturnLine.select(ReturnLine.order_line, ReturnLine.quantity).where(
        (ReturnLine.return_request.order == order.id)
        & ReturnLine.return_request.status.is_in(["received", "refunded"])
        & (ReturnLine.return_request != request.id)
    ):
        before[row["order_line"]] = before.get(row["order_line"], 0) + row["quantity"]
    now: dict[int, int] = {}
    for row in await ReturnLine.select(ReturnLine.order_line, ReturnLine.quantity).where(
        ReturnLine.return_request == request.id
    ):
        now[row["order_line"]] = now.get(row["order_line"], 0) + row["quantity"]
    everything = all(
        before.get(line_id, 0) + now.get(line_id, 0) >= line["quantity"]
        for line_id, line in lines.items()
    )
    return pricing.refund_share(
        order_amounts(order),
        returned_before_minor=money_of(before),
        returning_minor=money_of(now),
        returning_points_lines=sum(
            lines[line]["unit_points"] * quantity
            for line, quantity in now.items()
            if line in lines and lines[line]["unit_points"]
        ),
        everything=everything,
    ), now


async def mark_received(
    settings: Settings,
    return_id: int,
    *,
    staff: str,
    gateway: Gateway | None = None,
    now: dt.datetime | None = None,
) -> ReturnRequest:
    """The parts are back: stock, points and the refund (see the module's docstring). Two staff
    at once: the conditional update lets one through; the other gets ReturnRefused."""
    now = now or now_utc()
    async with write_transaction(ReturnRequest._meta.db):
        request, order = await _move(
            return_id,
            "approved",
            {
                ReturnRequest.status: "received",
                ReturnRequest.received_by: staff[:100],
                ReturnRequest.received_at: now,
                ReturnRequest.updated_at: now,
            },
        )
        share, quantities = await _refund_for(request, order)
        # Back on the shelf.
        for row in await OrderLine.select(OrderLine.id, OrderLine.product).where(
            OrderLine.id.is_in(list(quantities) or [0])
        ):
            if row["product"] is not None:
                await Product.update({Product.stock: Product.stock + quantities[row["id"]]}).where(
                    Product.id == row["product"]
                )
        taken_back = 0
        if order.account is not None:
            if share.points_back:
                await points.append_points(
                    order.account,
                    share.points_back,
                    "return_refunded",
                    once_key=f"return-back:{request.number}",
                    now=now,
                )
            if share.points_taken_back:
                # Never below zero: points already spent elsewhere can't be taken back.
                taken_back = min(share.points_taken_back, await points.balance(order.account))
                if taken_back:
                    await points.append_points(
                        order.account,
                        -taken_back,
                        "return_taken_back",
                        once_key=f"return-earned:{request.number}",
                        now=now,
                    )
        method = await _payment_method(order.id)
        await ReturnRequest.update(
            {
                ReturnRequest.refund_minor: share.money_minor,
                ReturnRequest.refund_points: share.points_back,
                ReturnRequest.points_taken_back: taken_back,
                ReturnRequest.refund_method: method,
            }
        ).where(ReturnRequest.id == request.id)
        request.refund_minor, request.refund_points = share.money_minor, share.points_back
        request.points_taken_back, request.refund_method = taken_back, method
        await record_event(order, "return_received", staff, now, request.number)
        await _mail(settings, request, order, "received")
    notify_mail_queued()
    return await refund(settings, return_id, staff=staff, gateway=gateway, now=now)


async def _payment_method(order_id: int) -> str:
    row = (
        await Payment.select(Payment.method)
        .where(Payment.order == order_id)
        .order_by(Payment.id)
        .first()
    )
    return row["method"] if row else "points"


async def refund(
    settings: Settings,
    return_id: int,
    *,
    staff: str,
    gateway: Gateway | None = None,
    now: dt.datetime | None = None,
) -> ReturnRequest:
    """Give the money of a received return back (also: retry a card refund that failed).

    The claim (refund_state "" or failed → "refunding") is a conditional update: only one
    caller asks the gateway."""
    now = now or now_utc()
    async with write_transaction(ReturnRequest._meta.db):
        claimed = (
            await ReturnRequest.update({ReturnRequest.refund_state: "refunding"})
            .where(
                (ReturnRequest.id == return_id)
                & (ReturnRequest.status == "received")
                & ReturnRequest.refund_state.is_in(["", "failed"])
            )
            .returning(ReturnRequest.id)
        )
    request = await ReturnRequest.objects().where(ReturnRequest.id == return_id).first()
    if request is None:
        raise ReturnRefused(Message(N_("There is no such return.")))
    if not claimed:
        return request  # someone else refunds (or refunded) it
    order = await Order.objects().where(Order.id == request.order).first()
    state, event = "done", "return_refunded"
    if request.refund_minor <= 0 or request.refund_method == "points":
        state = "done"
    elif request.refund_method == "card":
        payment = (
            await Payment.select(Payment.transaction_id)
            .where((Payment.order == order.id) & (Payment.method == "card"))
            .first()
        )
        result = None
        if gateway is not None and payment is not None:
            result = await gateway.refund(payment["transaction_id"], request.refund_minor)
        if result is None or not result.approved:
            async with write_transaction(ReturnRequest._meta.db):
                await ReturnRequest.update({ReturnRequest.refund_state: "failed"}).where(
                    ReturnRequest.id == return_id
                )
            request.refund_state = "failed"
            raise ReturnRefused(
                Message(N_("The payment provider refused the refund: try again later."))
            )
    else:
        state, event = "to_be_paid", "return_to_be_paid"
    async with write_transaction(ReturnRequest._meta.db):
        await ReturnRequest.update(
            {
                ReturnRequest.status: "refunded",
                ReturnRequest.refund_state: state,
                ReturnRequest.refunded_at: now,
                ReturnRequest.updated_at: now,
            }
        ).where((ReturnRequest.id == return_id) & (ReturnRequest.status == "received"))
        request.status, request.refund_state, request.refunded_at = "refunded", state, now
        await record_event(order, event, staff, now, request.number)
        await _mail(settings, request, order, "refunded")
    notify_mail_queued()
    return request


async def mark_refund_paid(
    settings: Settings,
    return_id: int,
    *,
    reference: str,
    paid_on: str | dt.date,
    staff: str,
    now: dt.datetime | None = None,
) -> ReturnRequest:
    """Staff made the bank transfer of a refund recorded "to be paid": its reference and day.
    Conditional on "to_be_paid": two staff at once record it once, the other is told."""
    now = now or now_utc()
    reference = " ".join((reference or "").split())
    errors: dict[str, Message] = {}
    if len(reference) < 2:
        errors["reference"] = Message(N_("Write at least %(num)s characters."), {"num": 2})
    elif len(reference) > REFERENCE_MAX:
        errors["reference"] = Message(
            N_("Use at most %(limit)s characters here."), {"limit": REFERENCE_MAX}
        )
    day = paid_on if isinstance(paid_on, dt.date) else _parsed_day(paid_on)
    if day is None or day > now.date() or day < now.date() - dt.timedelta(days=366):
        errors["paid_on"] = Message(N_("Enter the day it was paid (not in the future)."))
    if errors:
        raise FormInvalid(errors)
    async with write_transaction(ReturnRequest._meta.db):
        updated = (
            await ReturnRequest.update(
                {
                    ReturnRequest.refund_state: "paid",
                    ReturnRequest.refund_reference: reference,
                    ReturnRequest.refund_paid_on: day,
                    ReturnRequest.refund_paid_by: staff[:100],
                    ReturnRequest.updated_at: now,
                }
            )
            .where((ReturnRequest.id == return_id) & (ReturnRequest.refund_state == "to_be_paid"))
            .returning(ReturnRequest.id)
        )
        if not updated:
            exists = await ReturnRequest.exists().where(ReturnRequest.id == return_id)
            raise ReturnRefused(
                Message(
                    N_("This refund is not waiting to be paid: nothing was changed.")
                    if exists
                    else N_("There is no such return.")
                )
            )
        request = await ReturnRequest.objects().where(ReturnRequest.id == return_id).first()
        order = await Order.objects().where(Order.id == request.order).first()
        await record_event(order, "return_refund_paid", staff, now, request.number)
        await _mail(settings, request, order, "refund_paid", reference=reference, paid_on=day)
    notify_mail_queued()
    return request


def _parsed_day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        return None


# -- Complaints ------------------------------------------------------------------------------


def case_number(year: int, row_id: int) -> str:
    return f"K-{year}-{row_id:06d}"


async def escalate(
    settings: Settings,
    account: Account,
    *,
    summary: str,
    conversation_number: str = "",
    return_number: str = "",
    locale: str = "en",
    now: dt.datetime | None = None,
) -> Complaint:
    """The shopper escalates their conversation, or their refused return, to a complaint.
    Escalating the same one twice finds the complaint already open."""
    now = now or now_utc()
    summary = _checked_text(summary, "summary", required=True)
    conversation = request = None
    if return_number:
        request = (
            await ReturnRequest.objects()
            .where(
                (ReturnRequest.number == return_number[:20]) & (ReturnRequest.account == account.id)
            )
            .first()
        )
        if request is None:
            raise ReturnRefused(Message(N_("There is no such return in your account.")))
        if request.status != "refused":
            raise ReturnRefused(Message(N_("Only a refused return can become a complaint.")))
    elif conversation_number:
        conversation = (
            await Conversation.objects()
            .where(
                (Conversation.number == conversation_number[:20])
                & (Conversation.account == account.id)
            )
            .first()
        )
        if conversation is None:
            raise ReturnRefused(Message(N_("There is no such conversation.")))
    else:
        raise ReturnRefused(Message(N_("There is no such conversation.")))
    conversation_id = conversation.id if conversation else request.conversation
    async with write_transaction(Complaint._meta.db):
        if conversation_id is not None:
            await lock_row(Conversation, conversation_id)
        existing = Complaint.objects().where(Complaint.account == account.id)
        existing = existing.where(
            (Complaint.return_request == request.id)
            if request is not None
            else (Complaint.conversation == conversation_id)
        )
        found = await existing.first()
        if found is not None:
            return found
        complaint = Complaint(
            case_number=f"new-{secrets.token_hex(8)}",
            account=account.id,
            email=account.email,
            conversation=conversation_id,
            return_request=request.id if request is not None else None,
            order=request.order if request is not None else conversation.order,
            summary=summary,
            status="open",
            created_at=now,
            due_at=due_date(now),
        )
        await complaint.save()
        complaint.case_number = case_number(now.year, complaint.id)
        await Complaint.update({Complaint.case_number: complaint.case_number}).where(
            Complaint.id == complaint.id
        )
        if conversation_id is not None:
            await Conversation.update(
                {Conversation.topic: "complaint", Conversation.updated_at: now}
            ).where(Conversation.id == conversation_id)
        await _mail_complaint(settings, complaint, "opened", locale)
    notify_mail_queued()
    return complaint


async def _mail_complaint(
    settings: Settings, complaint: Complaint, step: str, locale: str | None = None
) -> None:
    if locale is None:
        account = (
            await Account.select(Account.locale).where(Account.id == complaint.account).first()
        )
        locale = account["locale"] if account else "en"
    if not complaint.email:
        return
    await enqueue_email(
        kind=COMPLAINT_KIND,
        recipient=complaint.email,
        locale=locale,
        account_id=complaint.account,
        context={
            "step": step,
            "case_number": complaint.case_number,
            "due_at": complaint.due_at,
            "decision": DECISIONS.get(complaint.decision, ""),
            "decision_reason": complaint.decision_reason,
            "link": f"{settings.base_url}/account/complaints/{complaint.case_number}",
        },
    )


async def decide_complaint(
    settings: Settings,
    complaint_id: int,
    *,
    decision: str,
    reason: str,
    staff: str,
    now: dt.datetime | None = None,
) -> Complaint:
    if decision not in DECISIONS:
        raise FormInvalid({"decision": Message(N_("Choose a decision."))})
    reason = _checked_text(reason, "decision_reason", required=True)
    now = now or now_utc()
    async with write_transaction(Complaint._meta.db):
        updated = (
            await Complaint.update(
                {
                    Complaint.status: "decided",
                    Complaint.decision: decision,
                    Complaint.decision_reason: reason,
                    Complaint.decided_by: staff[:100],
                    Complaint.decided_at: now,
                }
            )
            .where((Complaint.id == complaint_id) & (Complaint.status == "open"))
            .returning(Complaint.id)
        )
        if not updated:
            raise ReturnRefused(Message(N_("This complaint is decided already.")))
        complaint = await Complaint.objects().where(Complaint.id == complaint_id).first()
        await _mail_complaint(settings, complaint, "decided")
    notify_mail_queued()
    return complaint


async def complaint_by_case(case: str, account_id: int) -> Complaint | None:
    return (
        await Complaint.objects()
        .where((Complaint.case_number == case[:20]) & (Complaint.account == account_id))
        .first()
    )
