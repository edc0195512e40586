"""Recommendations: the pair counts of "often bought together" kept as orders are placed,
cancelled and refunded; kits in the cart; "buy again" and dismissals gated by consent."""

from __future__ import annotations

import uuid

import pytest
from litestar import Litestar

from okmarts.services import cart, checkout, order_status, orders, recommendations
from okmarts.tables.catalog import Product
from okmarts.tables.recommendations import ProductPair
from tests.states.accounts import verified_shopper
from tests.states.catalog import new_product
from tests.states.orders import checkout_fields


async def place(app: Litestar, products: list[dict]) -> orders.Placed:
    """A shopper of their own buys one of each product (through the service, one order)."""
    account = await verified_shopper()
    await cart.save_account_items(account.id, [cart.CartItem(p["id"], 1) for p in products])
    settings = app.state.settings
    view = await cart.view(await cart.account_items(account.id))
    form = checkout.CheckoutForm.from_form(checkout_fields(uuid.uuid4().hex), [])
    priced = await checkout.price_checkout(view, form, account, settings, placing=True)
    assert not priced.errors, priced.errors
    return await orders.place_order(
        account, priced, view, gateway=app.state.payment_gateway, settings=settings
    )


async def pairs_of(*products: dict) -> dict[tuple[int, int], int]:
    ids = [p["id"] for p in products]
    rows = await ProductPair.select(
        ProductPair.product, ProductPair.other, ProductPair.orders
    ).where(ProductPair.product.is_in(ids))
    return {(row["product"], row["other"]): row["orders"] for row in rows}


async def test_placing_counts_each_pair_both_ways_once_per_order(app: Litestar) -> None:
    a, b, c = [await new_product(50) for _ in range(3)]
    await place(app, [a, b, c])
    await place(app, [a, b])
    await place(app, [a])  # one product: no pair
    pairs = await pairs_of(a, b, c)
    assert pairs == {
        (a["id"], b["id"]): 2,
        (b["id"], a["id"]): 2,
        (a["id"], c["id"]): 1,
        (c["id"], a["id"]): 1,
        (b["id"], c["id"]): 1,
        (c["id"], b["id"]): 1,
    }


async def test_cancelling_and_refunding_take_the_pairs_away(app: Litestar) -> None:
    settings = app.state.settings
    a, b, c = [await new_product(50) for _ in range(3)]
    first = await place(app, [a, b, c])
    second = await place(app, [a, b])
    await order_status.change_status(first.order.id, "cancelled", actor="staff", settings=settings)
    pairs = await pairs_of(a, b, c)
    # The pairs only the cancelled order held are gone, not left at zero.
    assert pairs == {(a["id"], b["id"]): 1, (b["id"], a["id"]): 1}
    await order_status.change_status(
        second.order.id, "shipped", actor="staff", settings=settings, tracking_number="TRACK-1"
    )
    await order_status.change_status(second.order.id, "refunded", actor="staff", settings=settings)
    assert await pairs_of(a, b, c) == {}
    # A refused change (a cancelled order can't be refunded) takes nothing away twice.
    third = await place(app, [a, b])
    fourth = await place(app, [a, b])
    await order_status.change_status(third.order.id, "cancelled", actor="staff", settings=settings)
    with pytest.raises(order_status.StatusChangeRefused):
        await order_status.change_status(
            third.order.id, "refunded", actor="staff", settings=settings
        )
    assert await recommendations.pair_count(a["id"], b["id"]) == 1
    assert fourth.created


async def test_often_bought_with_needs_the_minimum_support(app: Litestar) -> None:
    a, b, c = [await new_product(50) for _ in range(3)]
    await place(app, [a, b, c])
    assert await recommendations.bought_with(a["id"], a["title"]) == []  # one order: no pair
    await place(app, [a, b])
    shown = await recommendations.bought_with(a["id"], a["title"])
    assert [r.card.id for r in shown] == [b["id"]]
    assert (shown[0].reason, shown[0].about) == ("bought_with", a["title"])
    # The cart: partners of what is in it, not what is in it already.
    in_cart = await recommendations.bought_with_cart([(b["id"], b["title"])])
    assert [r.card.id for r in in_cart] == [a["id"]]
    assert (
        await recommendations.bought_with_cart([(a["id"], a["title"]), (b["id"], b["title"])]) == []
    )
    # Out of stock: not recommended.
    await Product.update({Product.stock: 0}).where(Product.id == b["id"])
    assert await recommendations.bought_with(a["id"], a["title"]) == []


async def test_pairs_go_with_a_deleted_product(app: Litestar) -> None:
    a, b = [await new_product(50) for _ in range(2)]
    placed = await place(app, [a, b])

    await Product.delete().where(Product.id == b["id"])
    assert await pairs_of(a) == {}
    # Cancelling the order later finds one product left: nothing to take away, no error.
    await order_status.change_status(
        placed.order.id, "cancelled", actor="staff", settings=app.state.settings
    )
    assert await pairs_of(a) == {}
