"""Returns, refunds and complaints (services/returns.py, pricing.refund_share): the return
window, refund amounts with discounts and points, stock and points moving, the order's history,
an email at every step, two staff marking received at once refunding once, and a complaint's
case number and 15-day due date."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from litestar import Litestar

from okmarts.services import erasure, order_status, points, pricing, returns
from okmarts.services.accounts import FormInvalid
from okmarts.services.payments import TestCardGateway
from okmarts.services.privacy import due_date
from okmarts.tables.checkout import Order, OrderEvent, OrderLine, Payment, SandboxTransaction
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.returns import Complaint, ReturnRequest
from tests.states.accounts import verified_shopper
from tests.states.catalog import new_product
from tests.states.returns import delivered_order, stock

ORDER = pricing.OrderAmounts(
    currency="USD",
    subtotal_minor=10_000,
    discount_minor=1_000,
    points_value_minor=500,
    points_used=500,
    shipping_minor=700,
    tax_minor=0,
    total_minor=9_200,
    points_earned=92,
)


# -- The rule (pure) ----------------------------------------------------------------------------


def test_a_line_carries_its_share_of_the_discount_and_the_points() -> None:
    share = pricing.refund_share(ORDER, returned_before_minor=0, returning_minor=2_500)
    # 2 500 less a quarter of the 1 000 discount and of the 500 taken off for points.
    assert share.money_minor == 2_125
    assert share.points_back == 125 and share.points_taken_back == 23


def test_the_last_return_refunds_the_rest_shipping_included_and_never_more() -> None:
    first = pricing.refund_share(ORDER, returned_before_minor=0, returning_minor=2_500)
    rest = pricing.refund_share(
        ORDER, returned_before_minor=2_500, returning_minor=7_500, everything=True
    )
    assert first.money_minor + rest.money_minor == ORDER.total_minor
    assert first.points_back + rest.points_back == ORDER.points_used
    assert first.points_taken_back + rest.points_taken_back == ORDER.points_earned


def test_rounding_never_adds_up_to_more_than_the_total() -> None:
    order = pricing.OrderAmounts(
        currency="USD",
        subtotal_minor=999,
        discount_minor=333,
        total_minor=666 + 127,
        tax_minor=127,
    )
    given = 0
    for before in range(0, 999, 333):
        everything = before + 333 >= 999
        given += pricing.refund_share(
            order, returned_before_minor=before, returning_minor=333, everything=everything
        ).money_minor
    assert given == order.total_minor


def test_tax_goes_back_in_proportion() -> None:
    order = pricing.OrderAmounts(
        currency="USD", subtotal_minor=10_000, tax_minor=2_000, total_minor=12_000
    )
    share = pricing.refund_share(order, returned_before_minor=0, returning_minor=5_000)
    assert share.money_minor == 6_000 and share.tax_minor == 1_000


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError):
        pricing.refund_share(ORDER, returned_before_minor=0, returning_minor=-1)


# -- The window and the quantities ---------------------------------------------------------------


async def _line_id(order_id: int) -> int:
    return (await OrderLine.select(OrderLine.id).where(OrderLine.order == order_id).first())["id"]


async def test_the_return_window_and_the_quantities(app: Litestar) -> None:
    settings = app.state.settings
    shopper = await verified_shopper()
    product = await new_product(stock=5)
    late = await delivered_order(shopper, product, delivered_days_ago=31)
    with pytest.raises(returns.ReturnRefused) as refused:
        await returns.request_return(
            settings, shopper, late.number, {await _line_id(late.id): 1}, reason="damaged"
        )
    assert "30 days" in refused.value.message.msgid % refused.value.message.params

    order = await delivered_order(shopper, product, delivered_days_ago=29)
    line = await _line_id(order.id)
    with pytest.raises(FormInvalid):
        await returns.request_return(settings, shopper, order.number, {line: 5}, reason="damaged")
    with pytest.raises(FormInvalid):
        await returns.request_return(settings, shopper, order.number, {line: 1}, reason="bogus")
    await returns.request_return(settings, shopper, order.number, {line: 3}, reason="damaged")
    # 4 bought, 3 asked back: one left.
    with pytest.raises(FormInvalid):
        await returns.request_return(settings, shopper, order.number, {line: 2}, reason="damaged")
    # Someone else's order: no such order.
    other = await verified_shopper()
    with pytest.raises(returns.ReturnRefused):
        await returns.request_return(settings, other, order.number, {line: 1}, reason="damaged")


# -- The whole way ------------------------------------------------------------------------------


async def _kinds(recipient: str) -> list[str]:
    rows = (
        await OutboxMessage.select(OutboxMessage.kind, OutboxMessage.subject)
        .where(OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id)
    )
    return [row["subject"] for row in rows if row["kind"] == returns.RETURN_KIND]


async def test_a_damaged_part_is_returned_and_refunded_to_the_card(app: Litestar) -> None:
    settings = app.state.settings
    shopper = await verified_shopper()
    product = await new_product(stock=5)
    order = await delivered_order(shopper, product)
    line = await _line_id(order.id)
    assert await points.balance(shopper.id) == 92

    request = await returns.request_return(
        settings, shopper, order.number, {line: 1}, reason="damaged", note="Cracked housing."
    )
    assert request.number == f"R-{request.created_at.year}-{request.id:06d}"
    await returns.approve(settings, request.id, instructions="Send it to Dock 4.", staff="ana")
    with pytest.raises(returns.ReturnRefused):
        await returns.refuse(settings, request.id, reason="Too late", staff="bo")
    done = await returns.mark_received(settings, request.id, staff="ana", gateway=TestCardGateway())
    assert done.status == "refunded" and done.refund_state == "done"
    assert done.refund_minor == 2_125
    assert await stock(product["id"]) == 6
    # 92 earned, 23 taken back; 125 of the 500 spent given back.
    assert await points.balance(shopper.id) == 92 - 23 + 125
    payment = await Payment.select(Payment.transaction_id).where(Payment.order == order.id).first()
    book = (
        await SandboxTransaction.select(SandboxTransaction.refunded_minor)
        .where(SandboxTransaction.transaction_id == payment["transaction_id"])
        .first()
    )
    assert book["refunded_minor"] == 2_125
    history = [
        row["status"]
        for row in await OrderEvent.select(OrderEvent.status)
        .where(OrderEvent.order == order.id)
        .order_by(OrderEvent.id)
    ]
    assert history[-4:] == [
        "return_requested",
        "return_approved",
        "return_received",
        "return_refunded",
    ]
    subjects = await _kinds(shopper.email)
    assert len(subjects) == 4 and all(request.number in subject for subject in subjects)


async def test_a_bank_transfer_refund_is_recorded_to_be_paid(app: Litestar) -> None:
    settings = app.state.settings
    shopper = await verified_shopper()
    product = await new_product(stock=1)
    order = await delivered_order(shopper, product, method="bank_transfer")
    request = await returns.request_return(
        settings, shopper, order.number, {await _line_id(order.id): 4}, reason="wrong_part"
    )
    await returns.approve(settings, request.id, instructions="Post it back.", staff="ana")
    done = await returns.mark_received(settings, request.id, staff="ana")
    assert done.status == "refunded" and done.refund_state == "to_be_paid"
    assert done.refund_minor == order.total_minor  # everything back: shipping too
    events = await OrderEvent.select(OrderEvent.status).where(OrderEvent.order == order.id)
    assert "return_to_be_paid" in [row["status"] for row in events]


async def test_two_staff_marking_received_at_once_refund_once(app: Litestar) -> None:
    settings = app.state.settings
    shopper = await verified_shopper()
    product = await new_product(stock=0)
    order = await delivered_order(shopper, product)
    request = await returns.request_return(
        settings, shopper, order.number, {await _line_id(order.id): 2}, reason="damaged"
    )
    await returns.approve(settings, request.id, instructions="Dock 4.", staff="ana")
    gateway = TestCardGateway()
    results = await asyncio.gather(
        returns.mark_received(settings, request.id, staff="ana", gateway=gateway),
        returns.mark_received(settings, request.id, staff="bo", gateway=gateway),
        return_exceptions=True,
    )
    assert sum(isinstance(result, returns.ReturnRefused) for result in results) == 1
    assert await stock(product["id"]) == 2
    payment = await Payment.select(Payment.transaction_id).where(Payment.order == order.id).first()
    book = (
        await SandboxTransaction.select(SandboxTransaction.refunded_minor)
        .where(SandboxTransaction.transaction_id == payment["transaction_id"])
        .first()
    )
    stored = await ReturnRequest.objects().where(ReturnRequest.id == request.id).first()
    assert book["refunded_minor"] == stored.refund_minor == 4_250
    received = await OrderEvent.count().where(
        (OrderEvent.order == order.id) & (OrderEvent.status == "return_received")
    )
    assert received == 1


async def test_a_refused_return_becomes_a_complaint_due_in_15_days(app: Litestar) -> None:
    settings = app.state.settings
    shopper = await verified_shopper()
    product = await new_product(stock=3)
    order = await delivered_order(shopper, product)
    request = await returns.request_return(
        settings, shopper, order.number, {await _line_id(order.id): 1}, reason="not_needed"
    )
    await returns.refuse(settings, request.id, reason="Opened and used.", staff="ana")
    complaint = await returns.escalate(
        settings, shopper, summary="It was never used.", return_number=request.number
    )
    assert complaint.case_number == f"K-{complaint.created_at.year}-{complaint.id:06d}"
    assert complaint.due_at == due_date(complaint.created_at)
    assert complaint.due_at - complaint.created_at == dt.timedelta(days=15)
    again = await returns.escalate(
        settings, shopper, summary="Again.", return_number=request.number
    )
    assert again.id == complaint.id
    decided = await returns.decide_complaint(
        settings, complaint.id, decision="upheld", reason="Seal intact on the photo.", staff="bo"
    )
    assert decided.status == "decided" and decided.decided_by == "bo"
    with pytest.raises(returns.ReturnRefused):
        await returns.decide_complaint(
            settings, complaint.id, decision="rejected", reason="No.", staff="ana"
        )
    kinds = await OutboxMessage.select(OutboxMessage.subject).where(
        (OutboxMessage.recipient == shopper.email) & (OutboxMessage.kind == returns.COMPLAINT_KIND)
    )
    assert len(kinds) == 2
    assert await Complaint.count().where(Complaint.account == shopper.id) == 1


async def test_a_whole_order_refund_takes_back_earned_points_and_is_refused_over_a_return(
    app: Litestar,
) -> None:
    """Marking a delivered order refunded gives back what it cost and takes back the points
    it earned; over a return it is refused, or the return's share would be paid twice."""
    settings = app.state.settings
    shopper = await verified_shopper()
    product = await new_product(stock=5)
    returned = await delivered_order(shopper, product)
    await returns.request_return(
        settings, shopper, returned.number, {await _line_id(returned.id): 1}, reason="damaged"
    )
    with pytest.raises(order_status.StatusChangeRefused) as refused:
        await order_status.change_status(
            returned.id, "refunded", actor="staff", settings=settings, gateway=TestCardGateway()
        )
    assert "refund the rest through a return" in refused.value.message.msgid
    assert (await Order.select(Order.status).where(Order.id == returned.id).first()) == {
        "status": "delivered"
    }

    plain = await delivered_order(shopper, product)
    before = await points.balance(shopper.id)
    await order_status.change_status(
        plain.id, "refunded", actor="staff", settings=settings, gateway=TestCardGateway()
    )
    # 500 spent given back, 92 earned taken back.
    assert await points.balance(shopper.id) == before + 500 - 92
    payment = await Payment.select(Payment.transaction_id).where(Payment.order == plain.id).first()
    book = (
        await SandboxTransaction.select(SandboxTransaction.refunded_minor)
        .where(SandboxTransaction.transaction_id == payment["transaction_id"])
        .first()
    )
    assert book["refunded_minor"] == plain.total_minor


async def test_an_open_return_holds_the_account_erasure(app: Litestar) -> None:
    """Its instructions and refund go to the order's email: erasure waits until it is done."""
    settings = app.state.settings
    shopper = await verified_shopper()
    product = await new_product(stock=5)
    order = await delivered_order(shopper, product)
    assert await erasure.open_orders(shopper.id) == []
    request = await returns.request_return(
        settings, shopper, order.number, {await _line_id(order.id): 1}, reason="damaged"
    )
    assert await erasure.open_orders(shopper.id) == [order.number]
    await returns.refuse(settings, request.id, reason="Not damaged in the photos.", staff="ana")
    assert await erasure.open_orders(shopper.id) == []


# -- A bank refund marked paid ------------------------------------------------------------------


async def _to_be_paid(settings) -> tuple:  # type: ignore[no-untyped-def]
    shopper = await verified_shopper()
    product = await new_product(stock=1)
    order = await delivered_order(shopper, product, method="bank_transfer")
    request = await returns.request_return(
        settings, shopper, order.number, {await _line_id(order.id): 1}, reason="wrong_part"
    )
    await returns.approve(settings, request.id, instructions="Post it back.", staff="ana")
    done = await returns.mark_received(settings, request.id, staff="ana")
    assert done.refund_state == "to_be_paid"
    return shopper, order, done


async def test_a_bank_refund_is_marked_paid_once_with_its_reference(app: Litestar) -> None:
    from okmarts.tables.accounts import Account

    settings = app.state.settings
    shopper, order, request = await _to_be_paid(settings)
    await Account.update({Account.locale: "es"}).where(Account.id == shopper.id)
    today = dt.datetime.now(dt.UTC).date()
    # Bad input: nothing changes.
    with pytest.raises(FormInvalid) as bad:
        await returns.mark_refund_paid(
            settings, request.id, reference=" ", paid_on="tomorrow", staff="ana"
        )
    assert set(bad.value.errors) == {"reference", "paid_on"}
    with pytest.raises(FormInvalid):
        await returns.mark_refund_paid(
            settings,
            request.id,
            reference="TRX-1",
            paid_on=today + dt.timedelta(days=1),
            staff="ana",
        )
    assert (
        await ReturnRequest.objects().where(ReturnRequest.id == request.id).first()
    ).refund_state == "to_be_paid"

    paid = await returns.mark_refund_paid(
        settings, request.id, reference="  TRX-2026  0042 ", paid_on=today.isoformat(), staff="bo"
    )
    stored = await ReturnRequest.objects().where(ReturnRequest.id == request.id).first()
    assert paid.refund_state == stored.refund_state == "paid"
    assert stored.refund_reference == "TRX-2026 0042" and stored.refund_paid_on == today
    assert stored.refund_paid_by == "bo" and stored.status == "refunded"
    events = await OrderEvent.select(OrderEvent.status, OrderEvent.actor).where(
        (OrderEvent.order == order.id) & (OrderEvent.status == "return_refund_paid")
    )
    assert events == [{"status": "return_refund_paid", "actor": "bo"}]
    [mail] = await OutboxMessage.select(
        OutboxMessage.subject, OutboxMessage.locale, OutboxMessage.text_body
    ).where(
        (OutboxMessage.recipient == shopper.email)
        & (OutboxMessage.subject.like("%reembolso pagado por transferencia bancaria%"))
    )
    assert request.number in mail["subject"] and mail["locale"] == "es"
    assert "TRX-2026 0042" in mail["text_body"]
    # Once paid, it can't be paid again; a card refund (done) never could.
    with pytest.raises(returns.ReturnRefused):
        await returns.mark_refund_paid(
            settings, request.id, reference="TRX-2", paid_on=today, staff="ana"
        )


async def test_two_staff_marking_a_bank_refund_paid_at_once_pay_it_once(app: Litestar) -> None:
    settings = app.state.settings
    shopper, order, request = await _to_be_paid(settings)
    today = dt.datetime.now(dt.UTC).date()
    results = await asyncio.gather(
        returns.mark_refund_paid(
            settings, request.id, reference="TRX-ANA", paid_on=today, staff="ana"
        ),
        returns.mark_refund_paid(
            settings, request.id, reference="TRX-BO", paid_on=today, staff="bo"
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(result, returns.ReturnRefused) for result in results) == 1
    [winner] = [result for result in results if isinstance(result, ReturnRequest)]
    stored = await ReturnRequest.objects().where(ReturnRequest.id == request.id).first()
    assert stored.refund_reference == winner.refund_reference
    paid_events = await OrderEvent.count().where(
        (OrderEvent.order == order.id) & (OrderEvent.status == "return_refund_paid")
    )
    assert paid_events == 1
    mails = await OutboxMessage.count().where(
        (OutboxMessage.recipient == shopper.email)
        & (OutboxMessage.subject.like("%refund paid by bank transfer%"))
    )
    assert mails == 1
