"""Card payment attempts: a crash between authorising and writing the order leaves a row, and the
sweep releases the hold; the test gateway's book is in the database, so a restart loses nothing.
On SQLite and PostgreSQL, with a moved clock (the sweep's cut-off) and real concurrency."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.app import create_app
from okmarts.services import (
    cart,
    checkout,
    erasure,
    order_status,
    orders,
    payment_attempts,
    privacy_export,
)
from okmarts.services.payments import PaymentResult, TestCardGateway
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.tables.checkout import Order, Payment, PaymentAttempt, SandboxTransaction
from tests.states.catalog import new_product, stock_of
from tests.states.orders import buyer_with_cart, checkout_fields

LATER = dt.timedelta(minutes=11)  # past the default 10 minutes


class Crash(BaseException):
    """The process dies here: no except-Exception clause runs (nothing is voided on the way)."""


class CountingGateway(TestCardGateway):
    """The test gateway, counting voids and captures per transaction."""

    def __init__(self) -> None:
        super().__init__()
        self.voids: list[str] = []
        self.captures: list[str] = []

    async def void(self, transaction_id: str) -> PaymentResult:
        self.voids.append(transaction_id)
        return await super().void(transaction_id)

    async def capture(self, transaction_id: str) -> PaymentResult:
        self.captures.append(transaction_id)
        return await super().capture(transaction_id)


async def place(app: Litestar, account: Account, key: str | None = None) -> orders.Placed:
    settings = app.state.settings
    view = await cart.view(await cart.account_items(account.id))
    form = checkout.CheckoutForm.from_form(checkout_fields(key or uuid.uuid4().hex), [])
    priced = await checkout.price_checkout(view, form, account, settings, placing=True)
    assert not priced.errors, priced.errors
    return await orders.place_order(
        account, priced, view, gateway=app.state.payment_gateway, settings=settings
    )


async def attempt_of(account: Account) -> dict[str, Any]:
    [row] = await PaymentAttempt.select().where(PaymentAttempt.account == account.id)
    return row


async def book(transaction_id: str) -> dict[str, Any]:
    return (
        await SandboxTransaction.select()
        .where(SandboxTransaction.transaction_id == transaction_id)
        .first()
    )


async def crashed_checkout(
    app: Litestar, monkeypatch: pytest.MonkeyPatch, where: str = "_write_order"
) -> tuple[Account, dict[str, Any]]:
    """A buyer whose checkout died after the card was authorised, before the order was written."""
    product = await new_product(5)
    buyer = await buyer_with_cart(product["id"])

    async def die(*args: Any, **kwargs: Any) -> None:
        raise Crash()

    module = orders if where == "_write_order" else payment_attempts
    with monkeypatch.context() as patch:
        patch.setattr(module, where, die)
        with pytest.raises(Crash):
            await place(app, buyer)
    assert not await Order.exists().where(Order.account == buyer.id)
    assert await stock_of(product["id"]) == 5
    return buyer, await attempt_of(buyer)


async def test_a_crash_after_authorising_leaves_an_attempt_that_the_sweep_voids(
    app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = app.state.settings
    buyer, attempt = await crashed_checkout(app, monkeypatch)
    # Written before the gateway was asked, then its answer: the money is held, no order.
    assert attempt["status"] == "authorised" and attempt["amount_minor"] > 0
    assert attempt["transaction_id"].startswith("test_")
    assert (await book(attempt["transaction_id"]))["status"] == "authorised"

    gateway = CountingGateway()
    now = dt.datetime.now(dt.UTC)
    # Not yet: a checkout may still be writing its order.
    await payment_attempts.sweep(gateway, settings, now=now + dt.timedelta(minutes=5))
    assert (await attempt_of(buyer))["status"] == "authorised"
    dry = await payment_attempts.sweep(gateway, settings, now=now + LATER, dry_run=True)
    assert dry.voided >= 1 and (await attempt_of(buyer))["status"] == "authorised"

    await payment_attempts.sweep(gateway, settings, now=now + LATER)
    assert (await attempt_of(buyer))["status"] == "voided"
    assert (await book(attempt["transaction_id"]))["status"] == "voided"
    assert gateway.voids.count(attempt["transaction_id"]) == 1
    # Idempotent: nothing left to do for it.
    await payment_attempts.sweep(gateway, settings, now=now + 2 * LATER)
    assert gateway.voids.count(attempt["transaction_id"]) == 1


async def test_a_crash_before_the_answer_was_recorded_is_found_by_its_key(
    app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gateway authorised, but the attempt still says `started`: the sweep asks the gateway
    what it answered to the checkout key, and voids that."""
    buyer, attempt = await crashed_checkout(app, monkeypatch, where="record_answer")
    assert (attempt["status"], attempt["transaction_id"]) == ("started", "")
    held = await TestCardGateway().find(attempt["checkout_key"])
    assert held is not None and held.approved
    await payment_attempts.sweep(
        TestCardGateway(), app.state.settings, now=dt.datetime.now(dt.UTC) + LATER
    )
    settled = await attempt_of(buyer)
    assert (settled["status"], settled["transaction_id"]) == ("voided", held.transaction_id)
    assert (await book(held.transaction_id))["status"] == "voided"


async def test_an_order_refused_after_authorising_releases_the_hold_at_once(
    app: Litestar,
) -> None:
    """Sold out between pricing and writing: the order is refused and the hold voided now."""
    product = await new_product(1)
    buyer = await buyer_with_cart(product["id"])
    view = await cart.view(await cart.account_items(buyer.id))
    form = checkout.CheckoutForm.from_form(checkout_fields(uuid.uuid4().hex), [])
    settings = app.state.settings
    priced = await checkout.price_checkout(view, form, buyer, settings, placing=True)
    await Product.update({Product.stock: 0}).where(Product.id == product["id"])  # someone else
    with pytest.raises(orders.OrderRefused) as refused:
        await orders.place_order(
            buyer, priced, view, gateway=app.state.payment_gateway, settings=settings
        )
    assert "sold out" in refused.value.message.msgid
    attempt = await attempt_of(buyer)
    assert attempt["status"] == "voided"
    assert (await book(attempt["transaction_id"]))["status"] == "voided"


async def test_an_order_whose_capture_never_ran_is_captured_by_the_sweep(
    app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    product = await new_product(5)
    buyer = await buyer_with_cart(product["id"])

    async def die(*args: Any, **kwargs: Any) -> bool:
        raise Crash()

    with monkeypatch.context() as patch:
        patch.setattr(payment_attempts, "capture", die)
        with pytest.raises(Crash):
            await place(app, buyer)
    order = await Order.objects().where(Order.account == buyer.id).first()
    assert order is not None and order.status == "paid"
    attempt = await attempt_of(buyer)
    payment = await Payment.objects().where(Payment.order == order.id).first()
    assert payment.card_attempt == attempt["id"] and attempt["status"] == "authorised"

    gateway = CountingGateway()
    await payment_attempts.sweep(gateway, app.state.settings, now=dt.datetime.now(dt.UTC) + LATER)
    assert (await attempt_of(buyer))["status"] == "captured"
    assert (await book(attempt["transaction_id"]))["status"] == "captured"
    assert attempt["transaction_id"] not in gateway.voids  # an order's hold is never voided


async def test_two_sweeps_at_once_void_each_attempt_once(
    app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashed = [await crashed_checkout(app, monkeypatch) for _ in range(3)]
    ours = {attempt["transaction_id"] for _buyer, attempt in crashed}
    first, second = CountingGateway(), CountingGateway()
    now = dt.datetime.now(dt.UTC) + LATER
    settings = app.state.settings
    await asyncio.gather(
        payment_attempts.sweep(first, settings, now=now),
        payment_attempts.sweep(second, settings, now=now),
    )
    calls = first.voids + second.voids
    assert {transaction: calls.count(transaction) for transaction in ours} == dict.fromkeys(ours, 1)
    for buyer, attempt in crashed:
        assert (await attempt_of(buyer))["status"] == "voided"
        assert (await book(attempt["transaction_id"]))["status"] == "voided"


async def test_a_refund_after_a_restart_goes_through(app: Litestar) -> None:
    """The gateway's book is in the database: a new server (a new app, a new gateway object)
    refunds what the old one captured."""
    product = await new_product(5)
    buyer = await buyer_with_cart(product["id"])
    placed = await place(app, buyer)
    attempt = await attempt_of(buyer)
    assert attempt["status"] == "captured"
    assert (await book(attempt["transaction_id"]))["status"] == "captured"

    restarted = create_app(app.state.settings)
    assert restarted.state.payment_gateway is not app.state.payment_gateway
    await order_status.cancel_by_customer(
        buyer, placed.order.number, app.state.settings, gateway=restarted.state.payment_gateway
    )
    refunded = await book(attempt["transaction_id"])
    assert (refunded["status"], refunded["refunded_minor"]) == (
        "refunded",
        placed.order.total_minor,
    )
    assert await stock_of(product["id"]) == 5


async def test_the_server_sweeps_at_start_up(
    app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    buyer, attempt = await crashed_checkout(app, monkeypatch)
    # Left 11 minutes ago by a server that died.
    await PaymentAttempt.update({PaymentAttempt.updated_at: dt.datetime.now(dt.UTC) - LATER}).where(
        PaymentAttempt.id == attempt["id"]
    )
    serving = create_app(dataclasses.replace(app.state.settings, payment_sweep_seconds=60))
    async with AsyncTestClient(app=serving):
        for _ in range(100):
            if (await attempt_of(buyer))["status"] == "voided":
                break
            await asyncio.sleep(0.05)
    assert (await attempt_of(buyer))["status"] == "voided"
    assert (await book(attempt["transaction_id"]))["status"] == "voided"


async def test_attempts_are_in_the_download_and_cut_from_an_erased_account(
    app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    buyer, attempt = await crashed_checkout(app, monkeypatch)
    exported = (await privacy_export.collect_export(buyer.id))["payment_attempts.json"]
    assert [row["id"] for row in exported] == [attempt["id"]]
    assert "checkout_key" not in exported[0] and exported[0]["status"] == "authorised"

    await erasure.erase_account(buyer.id, settings=app.state.settings, reason="test")
    kept = await PaymentAttempt.select().where(PaymentAttempt.id == attempt["id"]).first()
    assert kept["account"] is None and kept["status"] == "authorised"
    # Linked to no one, the hold is still released.
    await payment_attempts.sweep(
        TestCardGateway(), app.state.settings, now=dt.datetime.now(dt.UTC) + LATER
    )
    assert (await book(attempt["transaction_id"]))["status"] == "voided"
