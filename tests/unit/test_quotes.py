"""Quotes' rules: request, answer, decline, expiry, accepting at the quoted prices (stock still
checked, once only, under real concurrency on SQLite and PostgreSQL), privacy."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid

import pytest
from litestar import Litestar

from okmarts.services import checkout, erasure, orders, privacy_export, quotes, retention
from okmarts.tables.accounts import Account
from okmarts.tables.checkout import Order, OrderLine
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.quotes import Quote, QuoteLine
from tests.states.accounts import verified_shopper
from tests.states.catalog import new_product, stock_of
from tests.states.orders import checkout_fields


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def requested(account: Account, *lines: tuple[dict, int]) -> Quote:
    return await quotes.request_for_lines(
        account,
        [(product["id"], quantity) for product, quantity in lines],
        delivery_country="DE",
        note="For project Falcon, delivery in May.",
    )


async def answered(
    app: Litestar, quote: Quote, price: int = 9_000, days: int = 30
) -> quotes.QuoteDetail:
    detail = await quotes.staff_detail(quote.id)
    await quotes.answer(
        quote.id,
        {line["id"]: price for line in detail.lines},
        valid_until=now() + dt.timedelta(days=days),
        staff_note="Held for a month.",
        staff="sales@okmarts.test",
        settings=app.state.settings,
    )
    return await quotes.staff_detail(quote.id)


async def place(app: Litestar, account: Account, number: str, key: str | None = None) -> object:
    settings = app.state.settings
    try:
        quoted = await quotes.checkout_for(account.id, number)
    except quotes.QuoteRefused as refused:
        return refused
    assert quoted is not None
    form = checkout.CheckoutForm.from_form(checkout_fields(key or uuid.uuid4().hex), [])
    priced = await quotes.price_checkout(account, quoted, form, settings, placing=True)
    if priced.errors:
        return priced.errors
    try:
        return await orders.place_order(
            account, priced, quoted.cart, gateway=app.state.payment_gateway, settings=settings
        )
    except orders.OrderRefused as refused:
        return refused


async def test_a_request_copies_the_lines_and_numbers_itself(app: Litestar) -> None:
    first, second = await new_product(10), await new_product(10)
    buyer = await verified_shopper()
    quote = await requested(buyer, (first, 3), (second, 40))
    assert re.fullmatch(rf"Q-{now().year}-\d{{6,}}", quote.number)
    assert quote.number == quotes.number_for(now().year, quote.id)
    rows = await QuoteLine.select().where(QuoteLine.quote == quote.id).order_by(QuoteLine.id)
    assert [(r["product"], r["quantity"], r["unit_price_minor"]) for r in rows] == [
        (first["id"], 3, None),
        (second["id"], 40, None),
    ]
    detail = await quotes.get_quote(buyer.id, quote.number)
    assert detail.status == "requested" and not detail.acceptable and detail.declinable
    # Someone else's number is nobody's.
    other = await verified_shopper()
    assert await quotes.get_quote(other.id, quote.number) is None
    with pytest.raises(quotes.QuoteRefused):
        await quotes.checkout_for(buyer.id, quote.number)


async def test_bad_requests_are_refused_with_a_reason(app: Litestar) -> None:
    product = await new_product(10)
    buyer = await verified_shopper()
    cases = [
        ([(product["id"], 1)], "XX", "", "delivery_country"),
        ([(product["id"], 1)], "DE", "n" * 2001, "note"),
        ([], "DE", "", "quote"),
        ([(product["id"], 0)], "DE", "", "quote"),
        ([(999_999_999, 1)], "DE", "", "quote"),
    ]
    for lines, country, note, field in cases:
        with pytest.raises(quotes.QuoteRefused) as refused:
            await quotes.request_for_lines(buyer, lines, delivery_country=country, note=note)
        assert refused.value.field == field
    assert await Quote.count().where(Quote.account == buyer.id) == 0


async def test_numbers_are_unique_when_many_ask_at_once(app: Litestar) -> None:
    product = await new_product(10)
    buyers = [await verified_shopper() for _ in range(8)]
    made = await asyncio.gather(*(requested(buyer, (product, 1)) for buyer in buyers))
    numbers = [quote.number for quote in made]
    assert len(set(numbers)) == 8 and all(n.startswith("Q-") for n in numbers)


async def test_staff_answer_once_validate_and_email_the_buyer(app: Litestar) -> None:
    product = await new_product(10, price_minor=12_500)
    buyer = await verified_shopper()
    quote = await requested(buyer, (product, 5))
    detail = await quotes.staff_detail(quote.id)
    line_id = detail.lines[0]["id"]
    # Today's price is where staff start.
    assert await quotes.default_prices(detail) == {line_id: 12_500}
    settings = app.state.settings
    bad = [
        ({line_id: -1}, now() + dt.timedelta(days=3), "prices"),
        ({line_id: 100}, now() - dt.timedelta(minutes=1), "valid_until"),
        ({}, now() + dt.timedelta(days=3), "prices"),
    ]
    for prices, until, field in bad:
        with pytest.raises(quotes.QuoteRefused) as refused:
            await quotes.answer(
                quote.id, prices, valid_until=until, staff_note="", staff="s", settings=settings
            )
        assert refused.value.field == field
    detail = await answered(app, quote, price=9_000)
    assert detail.status == "answered" and detail.total_minor == 45_000 and detail.acceptable
    mail = await OutboxMessage.objects().where(
        (OutboxMessage.recipient == buyer.email) & (OutboxMessage.kind == "quote_answered")
    )
    assert len(mail) == 1 and quote.number in mail[0].subject and "90.00" in mail[0].text_body
    # Answered already: neither a second answer nor a decline changes it.
    with pytest.raises(quotes.QuoteRefused):
        await answered(app, quote, price=1)
    with pytest.raises(quotes.QuoteRefused):
        await quotes.decline(quote.id, "No.", staff="s", settings=settings)
    assert (await quotes.staff_detail(quote.id)).lines[0]["unit_price_minor"] == 9_000


async def test_staff_decline_with_a_reason_and_the_buyer_is_told(app: Litestar) -> None:
    product = await new_product(10)
    buyer = await verified_shopper()
    quote = await requested(buyer, (product, 5))
    settings = app.state.settings
    with pytest.raises(quotes.QuoteRefused):
        await quotes.decline(quote.id, "  ", staff="s", settings=settings)
    await quotes.decline(quote.id, "We no longer stock this maker.", staff="s", settings=settings)
    detail = await quotes.get_quote(buyer.id, quote.number)
    assert detail.status == "declined" and not detail.declinable
    assert await OutboxMessage.count().where(
        (OutboxMessage.recipient == buyer.email) & (OutboxMessage.kind == "quote_declined")
    )


async def test_an_answered_quote_expires_when_its_date_passes(app: Litestar) -> None:
    product = await new_product(10)
    buyer = await verified_shopper()
    quote = await requested(buyer, (product, 2))
    await answered(app, quote)
    later = now() + dt.timedelta(days=31)
    detail = await quotes.get_quote(buyer.id, quote.number, now=later)
    assert detail.status == "expired" and not detail.acceptable
    assert (await quotes.list_quotes(buyer.id, now=later))[0]["status"] == "expired"
    with pytest.raises(quotes.QuoteRefused):
        await quotes.checkout_for(buyer.id, quote.number, now=later)
    with pytest.raises(quotes.QuoteRefused):
        await quotes.decline_by_buyer(buyer.id, quote.number, now=later)
    # The sweep (retention's run) writes it down; a second run finds nothing.
    assert await quotes.expire_due(later) >= 1
    assert (await Quote.objects().where(Quote.id == quote.id).first()).status == "expired"
    assert await quotes.expire_due(later, dry_run=True) == 0


async def test_accepting_orders_at_the_quoted_prices_and_checks_stock(app: Litestar) -> None:
    product = await new_product(10, price_minor=12_500)
    buyer = await verified_shopper()
    quote = await requested(buyer, (product, 4))
    await answered(app, quote, price=9_000)
    placed = await place(app, buyer, quote.number)
    assert isinstance(placed, orders.Placed), placed
    order = placed.order
    [line] = await OrderLine.select().where(OrderLine.order == order.id)
    assert (line["unit_price_minor"], line["quantity"], line["line_total_minor"]) == (
        9_000,
        4,
        36_000,
    )
    assert order.subtotal_minor == 36_000 and order.discount_minor == 0
    assert await stock_of(product["id"]) == 6
    row = await Quote.objects().where(Quote.id == quote.id).first()
    assert row.status == "accepted" and row.order == order.id
    detail = await quotes.get_quote(buyer.id, quote.number)
    assert detail.order_number == order.number and not detail.acceptable
    # Once only.
    again = await place(app, buyer, quote.number)
    assert isinstance(again, quotes.QuoteRefused)

    # Stock is still checked: a quote for more than is left can't be ordered.
    short = await new_product(2)
    quote = await requested(buyer, (short, 2))
    await answered(app, quote)
    await Order.raw("UPDATE product SET stock = 1 WHERE id = {}", short["id"])
    refused = await place(app, buyer, quote.number)
    assert isinstance(refused, dict) and "cart" in refused
    assert (await quotes.get_quote(buyer.id, quote.number)).status == "answered"
    assert await stock_of(short["id"]) == 1


async def test_two_accepts_at_once_make_one_order(app: Litestar) -> None:
    product = await new_product(10)
    buyer = await verified_shopper()
    quote = await requested(buyer, (product, 3))
    await answered(app, quote)
    results = await asyncio.gather(place(app, buyer, quote.number), place(app, buyer, quote.number))
    placed = [r for r in results if isinstance(r, orders.Placed)]
    assert len(placed) == 1, results
    assert all(isinstance(r, orders.Placed | orders.OrderRefused) for r in results), results
    assert await Order.count().where(Order.account == buyer.id) == 1
    assert await stock_of(product["id"]) == 7  # the loser's stock came back with its rollback
    row = await Quote.objects().where(Quote.id == quote.id).first()
    assert row.status == "accepted" and row.order == placed[0].order.id


async def test_quotes_reach_the_download_go_with_the_account_and_expire_from_retention(
    app: Litestar,
) -> None:
    product = await new_product(10)
    buyer = await verified_shopper()
    quote = await requested(buyer, (product, 2))
    data = await privacy_export.collect_export(buyer.id)
    [exported] = data["quotes.json"]
    assert exported["number"] == quote.number and exported["note"].startswith("For project")
    assert exported["lines"][0]["quantity"] == 2 and "answered_by" not in exported
    settings = app.state.settings
    # Retention: an ended quote goes after its period; an open one stays.
    await quotes.decline_by_buyer(buyer.id, quote.number)
    kept = await requested(buyer, (product, 1))
    late = now() + dt.timedelta(days=settings.retention_quote_days + 1)
    counts = await retention.run(settings, now=late, dry_run=True)
    assert counts["quotes"] >= 1
    await retention.run(settings, now=late)
    assert not await Quote.exists().where(Quote.id == quote.id)
    assert await Quote.exists().where(Quote.id == kept.id)
    # Erasure: the account's quotes and their lines go with it.
    await erasure.erase_account(buyer.id, settings=settings, reason="test")
    assert not await Quote.exists().where(Quote.id == kept.id)
    assert not await QuoteLine.exists().where(QuoteLine.quote == kept.id)
