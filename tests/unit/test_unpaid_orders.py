"""Orders never paid: a reminder a day before, then cancelled with stock and points back, each
email once even with two runs at once; and a cap on how many one account leaves unpaid. On
SQLite and PostgreSQL, with a moved clock (orders are placed a year back, so other tests' orders
are never old enough to be touched)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.services import cart, checkout, order_status, orders, points, unpaid_orders
from okmarts.tables.accounts import Account
from okmarts.tables.checkout import CartLine, Order, OrderEvent, Payment
from okmarts.tables.messaging import OutboxMessage
from tests.states.accounts import accounts_write, errors_in, post_form, verified_account
from tests.states.catalog import new_product, stock_of
from tests.states.orders import buyer_with_cart, checkout_fields, checkout_key

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def bank_transfer(key: str, **extra: str) -> dict[str, str]:
    return {**checkout_fields(key, card=""), "payment_method": "bank_transfer", **extra}


async def place_unpaid(
    app: Litestar, account: Account, now: dt.datetime, **extra: str
) -> orders.Placed | orders.OrderRefused:
    settings = app.state.settings
    view = await cart.view(await cart.account_items(account.id))
    form = checkout.CheckoutForm.from_form(bank_transfer(uuid.uuid4().hex, **extra), [])
    priced = await checkout.price_checkout(view, form, account, settings, placing=True)
    assert not priced.errors, priced.errors
    try:
        return await orders.place_order(
            account, priced, view, gateway=app.state.payment_gateway, settings=settings, now=now
        )
    except orders.OrderRefused as refused:
        return refused


async def mails(account_id: int, kind: str) -> list[dict]:
    return (
        await OutboxMessage.select(
            OutboxMessage.locale, OutboxMessage.subject, OutboxMessage.text_body
        )
        .where((OutboxMessage.account == account_id) & (OutboxMessage.kind == kind))
        .order_by(OutboxMessage.id)
    )


async def test_reminded_a_day_before_then_expired_with_stock_and_points_back_once(
    app: Litestar,
) -> None:
    settings = app.state.settings
    assert settings.unpaid_order_days == 7
    placed_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=365)
    product = await new_product(5, price_minor=20_000)
    buyers = [await buyer_with_cart(product["id"]) for _ in range(2)]
    numbers = []
    for buyer in buyers:
        await Account.update({Account.locale: "es"}).where(Account.id == buyer.id)
        async with accounts_write():
            await points.append_points(buyer.id, 1_000, "test")
        placed = await place_unpaid(app, buyer, placed_at, points="500")
        assert isinstance(placed, orders.Placed), placed
        assert placed.order.status == "awaiting_payment" and placed.order.points_used == 500
        numbers.append(placed.order.number)
        confirmation = (await mails(buyer.id, "order_confirmation"))[0]["text_body"]
        assert "If the payment has not arrived by" in confirmation
    assert await stock_of(product["id"]) == 3
    assert [await points.balance(buyer.id) for buyer in buyers] == [500, 500]

    async def run_twice_at_once(at: dt.datetime) -> list[unpaid_orders.UnpaidReport]:
        return list(
            await asyncio.gather(
                unpaid_orders.run(settings, now=at), unpaid_orders.run(settings, now=at)
            )
        )

    # Six days less an hour: too early for anything.
    early = await run_twice_at_once(placed_at + 6 * DAY - HOUR)
    assert [r.reminded + r.expired for r in early] == [0, 0]
    # A day before the end: one reminder each, however many runs.
    assert await unpaid_orders.run(settings, now=placed_at + 6 * DAY, dry_run=True) == (
        unpaid_orders.UnpaidReport(reminded=2, expired=0)
    )
    reminded = await run_twice_at_once(placed_at + 6 * DAY)
    assert sum(r.reminded for r in reminded) == 2
    await unpaid_orders.run(settings, now=placed_at + 6 * DAY + HOUR)
    for buyer, number in zip(buyers, numbers, strict=True):
        [reminder] = await mails(buyer.id, unpaid_orders.REMINDER_KIND)
        assert reminder["locale"] == "es" and number in reminder["subject"]
        assert "IBAN" in reminder["text_body"] and number in reminder["text_body"]
        order = await Order.objects().where(Order.number == number).first()
        assert order.status == "awaiting_payment" and order.payment_reminded_at is not None
    assert await stock_of(product["id"]) == 3

    # Seven days: cancelled, once, through the usual path (stock, points, payment, history).
    assert await unpaid_orders.run(settings, now=placed_at + 7 * DAY, dry_run=True) == (
        unpaid_orders.UnpaidReport(reminded=0, expired=2)
    )
    expired = await run_twice_at_once(placed_at + 7 * DAY)
    assert sum(r.expired for r in expired) == 2
    await unpaid_orders.run(settings, now=placed_at + 8 * DAY)
    assert await stock_of(product["id"]) == 5
    assert [await points.balance(buyer.id) for buyer in buyers] == [1_000, 1_000]
    for buyer, number in zip(buyers, numbers, strict=True):
        order = await Order.objects().where(Order.number == number).first()
        assert order.status == "cancelled"
        history = (
            await OrderEvent.select(OrderEvent.status, OrderEvent.actor, OrderEvent.note)
            .where(OrderEvent.order == order.id)
            .order_by(OrderEvent.id)
        )
        assert [(event["status"], event["actor"]) for event in history] == [
            ("awaiting_payment", "customer"),
            ("cancelled", "system"),
        ]
        assert history[-1]["note"] == "Not paid within 7 days."
        payment = await Payment.objects().where(Payment.order == order.id).first()
        assert (payment.method, payment.status) == ("bank_transfer", "voided")
        [notice] = await mails(buyer.id, unpaid_orders.EXPIRED_KIND)
        assert notice["locale"] == "es" and number in notice["subject"]
        assert "500" in notice["text_body"] and "/contact" in notice["text_body"]
        # The expiry email replaces the usual status email, and the reminder was the only one.
        assert await mails(buyer.id, "order_status") == []
        assert len(await mails(buyer.id, unpaid_orders.REMINDER_KIND)) == 1


async def test_an_order_paid_meanwhile_is_never_expired(app: Litestar) -> None:
    settings = app.state.settings
    placed_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    product = await new_product(5)
    buyer = await buyer_with_cart(product["id"])
    placed = await place_unpaid(app, buyer, placed_at)
    assert isinstance(placed, orders.Placed)
    await order_status.change_status(placed.order.id, "paid", actor="staff", settings=settings)
    # The job picked the order while it awaited payment; staff marked it paid since.
    try:
        await order_status.change_status(
            placed.order.id,
            "cancelled",
            actor="system",
            settings=settings,
            from_status="awaiting_payment",
        )
    except order_status.StatusChangeRefused:
        pass
    else:
        raise AssertionError("a paid order was cancelled as unpaid")
    report = await unpaid_orders.run(settings, now=placed_at + 30 * DAY)
    assert report.expired == 0
    order = await Order.objects().where(Order.id == placed.order.id).first()
    assert order.status == "paid" and await stock_of(product["id"]) == 4


async def test_one_more_unpaid_order_than_the_cap_is_refused_and_the_cart_kept(
    app: Litestar,
) -> None:
    assert app.state.settings.unpaid_order_limit == 3
    product = await new_product(20, price_minor=3_000)
    async with AsyncTestClient(app=app) as client:
        account = await verified_account(client)
        numbers = []
        for _ in range(3):
            await post_form(
                client, "/cart/lines", {"product_id": str(product["id"]), "quantity": "1"}
            )
            placed = await post_form(client, "/checkout", bank_transfer(await checkout_key(client)))
            assert placed.status_code == 303, errors_in(placed.text)
            numbers.append(placed.headers["location"].split("/")[-1].split("?")[0])
        page = await client.get(f"/account/orders/{numbers[0]}")
        assert "Pay by" in page.text and "the order is cancelled" in page.text

        await post_form(client, "/cart/lines", {"product_id": str(product["id"]), "quantity": "2"})
        refused = await post_form(
            client, "/checkout", bank_transfer(await checkout_key(client), city="Manchester")
        )
        assert refused.status_code == 422
        assert (
            "You have reached the limit of orders waiting for payment (3). Pay for one of "
            "them or cancel it in My orders, or pay for this order by card."
        ) in refused.text
        assert 'value="Manchester"' in refused.text and 'value="10 Downing Street"' in refused.text
        assert await CartLine.exists().where(
            (CartLine.account == account.id) & (CartLine.quantity == 2)
        )
        assert await stock_of(product["id"]) == 17
        assert await Order.count().where(Order.account == account.id) == 3

        # Paying this one by card is fine: it holds no stock unpaid.
        key = re.search(r'name="checkout_key" value="([^"]+)"', refused.text).group(1)
        by_card = await post_form(client, "/checkout", checkout_fields(key))
        assert by_card.status_code == 303, errors_in(by_card.text)
        # Cancelling an unpaid order makes room for a bank transfer again.
        assert (await post_form(client, f"/account/orders/{numbers[0]}/cancel")).status_code == 303
        await post_form(client, "/cart/lines", {"product_id": str(product["id"]), "quantity": "1"})
        again = await post_form(client, "/checkout", bank_transfer(await checkout_key(client)))
        assert again.status_code == 303, errors_in(again.text)
        assert (
            await Order.count().where(
                (Order.account == account.id) & (Order.status == "awaiting_payment")
            )
            == 3
        )


async def test_two_checkouts_at_once_cannot_pass_the_cap(app: Litestar) -> None:
    product = await new_product(20)
    buyer = await buyer_with_cart(product["id"])
    now = dt.datetime.now(dt.UTC)
    for _ in range(2):
        assert isinstance(await place_unpaid(app, buyer, now), orders.Placed)
        await cart.save_account_items(buyer.id, [cart.CartItem(product["id"], 1)])
    results = await asyncio.gather(*(place_unpaid(app, buyer, now) for _ in range(3)))
    assert sum(isinstance(result, orders.Placed) for result in results) == 1
    refusals = [result for result in results if isinstance(result, orders.OrderRefused)]
    assert refusals and all(r.field == "payment_method" for r in refusals)
    assert (
        await Order.count().where(
            (Order.account == buyer.id) & (Order.status == "awaiting_payment")
        )
        == 3
    )


async def test_an_order_approved_later_has_its_full_payment_period_from_the_approval(
    app: Litestar,
) -> None:
    """A company order waits for an approver (awaiting_approval), then awaits payment: the
    buyer gets the whole period from the approval, not what is left of it since placing."""
    settings = app.state.settings
    placed_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=365)
    product = await new_product(3, price_minor=20_000)
    buyer = await buyer_with_cart(product["id"])
    placed = await place_unpaid(app, buyer, placed_at)
    assert isinstance(placed, orders.Placed), placed
    # As companies.place_order leaves an order above the approval limit.
    await Order.update({Order.status: "awaiting_approval"}).where(Order.id == placed.order.id)
    approved_at = placed_at + 6 * DAY
    approved = await order_status.change_status(
        placed.order.id,
        "awaiting_payment",
        actor="company approver",
        settings=settings,
        now=approved_at,
        from_status="awaiting_approval",
    )
    assert orders.payment_due(approved, settings) == approved_at + 7 * DAY

    # Seven days after placing, one after approving: nothing yet.
    assert await unpaid_orders.run(settings, now=placed_at + 7 * DAY) == (
        unpaid_orders.UnpaidReport(reminded=0, expired=0)
    )
    reminded = await unpaid_orders.run(settings, now=approved_at + 6 * DAY)
    assert reminded == unpaid_orders.UnpaidReport(reminded=1, expired=0)
    [reminder] = await mails(buyer.id, unpaid_orders.REMINDER_KIND)
    assert placed.order.number in reminder["subject"]
    assert await unpaid_orders.run(settings, now=approved_at + 7 * DAY) == (
        unpaid_orders.UnpaidReport(reminded=0, expired=1)
    )
    order = await Order.objects().where(Order.id == placed.order.id).first()
    assert order.status == "cancelled"
    assert await stock_of(product["id"]) == 3
