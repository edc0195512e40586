"""Cart, checkout and orders: through HTTP, and under real concurrency on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.services import accounts, cart, checkout, order_status, orders, points
from okmarts.services.payments import TEST_CARDS
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.tables.checkout import CartLine, Order, OrderEvent, Payment
from okmarts.tables.messaging import OutboxMessage
from tests.states.accounts import (
    PASSWORD,
    accounts_write,
    errors_in,
    new_email,
    post_form,
    verified_account,
)
from tests.states.catalog import new_product, stock_of
from tests.states.orders import buyer_with_cart, checkout_fields, checkout_key

Client = AsyncTestClient[Litestar]
SITE = accounts.Site(secret="test-secret-key-not-for-production", base_url="http://shop.test")


# -- Cart --------------------------------------------------------------------


async def test_visitor_cart_lives_in_a_cookie_and_merges_at_sign_in(app: Litestar) -> None:
    first, second = await new_product(10), await new_product(10)
    async with AsyncTestClient(app=app) as client:
        account = await verified_account(client)
        await post_form(client, "/logout")
        for product, quantity in [(first, "2"), (second, "1")]:
            response = await post_form(
                client, "/cart/lines", {"product_id": str(product["id"]), "quantity": quantity}
            )
            assert response.status_code == 303
        assert "okmarts_cart" in client.cookies
        assert not await CartLine.exists().where(CartLine.account == account.id)
        page = await client.get("/cart")
        assert (
            first["title"] in page.text
            and '<span id="cart-count" class="cart-count">3' in page.text
        )
        # A forged cookie is an empty cart, not an error.
        forged = AsyncTestClient(app=app)
        async with forged:
            forged.cookies["okmarts_cart"] = "W1s5OTksIDk5OV1d.forged"
            assert "Your cart is empty." in (await forged.get("/cart")).text

        await post_form(client, "/login", {"email": account.email, "password": PASSWORD})
        lines = await CartLine.select(CartLine.product, CartLine.quantity).where(
            CartLine.account == account.id
        )
        assert sorted((row["product"], row["quantity"]) for row in lines) == sorted(
            [(first["id"], 2), (second["id"], 1)]
        )
        assert "okmarts_cart" not in client.cookies


async def test_quantities_are_checked_against_stock(client: Client) -> None:
    product = await new_product(3)
    path = "/cart/lines"
    too_many = await post_form(client, path, {"product_id": str(product["id"]), "quantity": "4"})
    assert too_many.status_code == 422 and "Only 3 of this product are in stock." in too_many.text
    for bad in ["0", "-2", "abc", "1000", "1e3", " "]:
        response = await post_form(
            client, path, {"product_id": str(product["id"]), "quantity": bad}
        )
        assert response.status_code == 422, bad
    assert (
        await post_form(client, path, {"product_id": "999999999", "quantity": "1"})
    ).status_code == 422
    await post_form(client, path, {"product_id": str(product["id"]), "quantity": "2"})
    update = await post_form(client, f"/cart/lines/{product['id']}", {"quantity": "9"})
    assert update.status_code == 422 and "Only 3" in update.text
    htmx = await post_form(
        client,
        f"/cart/lines/{product['id']}",
        {"quantity": "3"},
        headers={"HX-Request": "true", "HX-Target": "cart-body"},
    )
    # The fragment, with the header's count swapped out of band.
    assert htmx.text.lstrip().startswith('<div id="cart-body"')
    assert 'id="cart-count" class="cart-count" hx-swap-oob="true">3' in htmx.text
    removed = await post_form(client, f"/cart/lines/{product['id']}/delete")
    assert removed.headers["location"] == "/cart?notice=removed"
    assert "Your cart is empty." in (await client.get("/cart")).text


async def test_a_signed_in_add_reads_one_row_and_checks_what_a_visitors_does(
    app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signed-in shopper's add (cart.add_to_account_cart) reads the product and what it
    checks of the cart in one row, not every line: the same rules and messages, the saved
    quantity and the header's count right after each add."""
    few, other = await new_product(3), await new_product(5)
    hx = {"HX-Request": "true", "HX-Target": f"add-{few['id']}"}
    badge = re.compile(r'id="cart-count" class="cart-count" hx-swap-oob="true">(\d+)<')

    async def add(client: Client, product_id: int, quantity: str) -> Any:
        return await post_form(
            client,
            "/cart/lines",
            {"product_id": str(product_id), "quantity": quantity},
            headers=hx,
        )

    async def saved(account_id: int) -> dict[int, int]:
        rows = await CartLine.select(CartLine.product, CartLine.quantity).where(
            CartLine.account == account_id
        )
        return {row["product"]: row["quantity"] for row in rows}

    async with AsyncTestClient(app=app) as client:
        account = await verified_account(client)
        first = await add(client, few["id"], "2")
        assert first.status_code == 200 and few["title"] in first.text
        assert badge.findall(first.text) == ["2"]
        too_many = await add(client, few["id"], "2")
        assert too_many.status_code == 422
        assert "Only 3 of this product are in stock." in too_many.text
        assert await saved(account.id) == {few["id"]: 2}
        last = await add(client, few["id"], "1")
        assert last.status_code == 200 and badge.findall(last.text) == ["3"]
        gone = await add(client, 999_999_999, "1")
        assert gone.status_code == 422 and "no longer available" in gone.text
        monkeypatch.setattr(cart, "MAX_LINES", 1)
        full = await add(client, other["id"], "1")
        assert full.status_code == 422 and "Your cart is full" in full.text
        monkeypatch.undo()
        await Product.update({Product.status: "discontinued"}).where(Product.id == other["id"])
        ended = await add(client, other["id"], "1")
        assert ended.status_code == 422 and "discontinued" in ended.text
        assert await saved(account.id) == {few["id"]: 3}
        page = await client.get("/cart")
        assert '<span id="cart-count" class="cart-count">3' in page.text


async def test_a_cart_holds_one_currency_for_visitors_and_shoppers(app: Litestar) -> None:
    """The add checks the other lines' currency in the same query as the product (issue 15):
    a product in another currency is refused, whichever line holds the first currency, and a
    product of the cart's own currency still goes in."""
    dollars, more_dollars, euros = await new_product(5), await new_product(5), await new_product(5)
    await Product.update({Product.currency: "EUR"}).where(Product.id == euros["id"])
    for signed_in in (False, True):
        async with AsyncTestClient(app=app) as client:
            if signed_in:
                account = await verified_account(client)
            for product in (dollars, more_dollars):
                added = await post_form(
                    client, "/cart/lines", {"product_id": str(product["id"]), "quantity": "1"}
                )
                assert added.status_code == 303
            refused = await post_form(
                client, "/cart/lines", {"product_id": str(euros["id"]), "quantity": "1"}
            )
            assert refused.status_code == 422
            assert "priced in another currency than your cart" in refused.text
            page = await client.get("/cart")
            assert dollars["title"] in page.text and euros["title"] not in page.text
            assert '<span id="cart-count" class="cart-count">2' in page.text
            if signed_in:
                lines = await CartLine.select(CartLine.product).where(
                    CartLine.account == account.id
                )
                assert sorted(row["product"] for row in lines) == sorted(
                    [dollars["id"], more_dollars["id"]]
                )
            # Alone in a cart, the euro product goes in.
            await post_form(client, f"/cart/lines/{dollars['id']}/delete")
            await post_form(client, f"/cart/lines/{more_dollars['id']}/delete")
            alone = await post_form(
                client, "/cart/lines", {"product_id": str(euros["id"]), "quantity": "1"}
            )
            assert alone.status_code == 303


# -- Checkout --------------------------------------------------------------------


async def test_checkout_needs_a_verified_account_and_keeps_the_cart(app: Litestar) -> None:
    product = await new_product(5)
    async with AsyncTestClient(app=app) as client:
        await post_form(client, "/cart/lines", {"product_id": str(product["id"]), "quantity": "1"})
        anonymous = await client.get("/checkout", follow_redirects=False)
        assert anonymous.headers["location"] == "/login?next=%2Fcheckout"
        await post_form(
            client,
            "/register",
            {"email": new_email(), "password": PASSWORD, "accept_policy": "yes"},
        )
        locked = await client.get("/checkout")
        assert locked.status_code == 403 and "confirm your email address" in locked.text
        assert product["title"] in (await client.get("/cart")).text  # merged, kept


async def test_buy_with_coupon_and_points_then_cancel(app: Litestar) -> None:
    product = await new_product(10, price_minor=30_000)
    async with AsyncTestClient(app=app) as client:
        account = await verified_account(client)
        async with accounts_write():
            await points.append_points(account.id, 2_000, "test")
        await post_form(client, "/cart/lines", {"product_id": str(product["id"]), "quantity": "2"})
        key = await checkout_key(client)
        declined = await post_form(
            client, "/checkout", checkout_fields(key, TEST_CARDS.declined, coupon_code="welcome10")
        )
        assert declined.status_code == 422 and "Your card was declined." in declined.text
        # The number is never sent back into the form.
        assert f'value="{TEST_CARDS.declined}"' not in declined.text
        assert await CartLine.exists().where(CartLine.account == account.id)
        assert await stock_of(product["id"]) == 10
        key = re.search(r'name="checkout_key" value="([^"]+)"', declined.text).group(1)
        placed = await post_form(
            client,
            "/checkout",
            checkout_fields(
                key, coupon_code="welcome10", points="1500", total_minor="1", unit_price_minor="1"
            ),
        )
        assert placed.status_code == 303, errors_in(placed.text)
        number = placed.headers["location"].split("/")[-1].split("?")[0]
        order = await Order.objects().where(Order.number == number).first()
        # 2 × 300.00 = 600.00; WELCOME10 −60.00; 1500 points = −15.00 (cap is half of 540.00).
        assert (order.subtotal_minor, order.discount_minor, order.coupon_code) == (
            60_000,
            6_000,
            "WELCOME10",
        )
        assert (order.points_used, order.points_value_minor) == (1_500, 1_500)
        assert order.total_minor == 60_000 - 6_000 - 1_500 + order.shipping_minor
        assert order.status == "paid"
        assert await stock_of(product["id"]) == 8
        assert await points.balance(account.id) == 500
        assert not await CartLine.exists().where(CartLine.account == account.id)
        payment = await Payment.objects().where(Payment.order == order.id).first()
        assert (payment.card_brand, payment.card_last4, payment.status) == (
            "Visa",
            "4242",
            "captured",
        )
        assert await OutboxMessage.exists().where(
            (OutboxMessage.kind == "order_confirmation") & (OutboxMessage.account == account.id)
        )
        page = await client.get(placed.headers["location"])
        assert "Thank you for your order!" in page.text and number in page.text
        assert number in (await client.get("/account/orders")).text

        cancelled = await post_form(client, f"/account/orders/{number}/cancel")
        assert cancelled.status_code == 303
        assert "Your order is cancelled" in (await client.get(cancelled.headers["location"])).text
        assert await stock_of(product["id"]) == 10
        assert await points.balance(account.id) == 2_000
        statuses = [
            e["status"]
            for e in await OrderEvent.select(OrderEvent.status)
            .where(OrderEvent.order == order.id)
            .order_by(OrderEvent.id)
        ]
        assert statuses == ["awaiting_payment", "paid", "cancelled"]
        again = await post_form(client, f"/account/orders/{number}/cancel")
        assert again.status_code == 422


async def test_bad_checkout_input_gets_messages_and_no_order(client: Client) -> None:
    account = await verified_account(client)
    product = await new_product(5)
    await post_form(client, "/cart/lines", {"product_id": str(product["id"]), "quantity": "1"})
    key = await checkout_key(client)
    response = await post_form(
        client,
        "/checkout",
        checkout_fields(
            key,
            card="1234 5678 9012 3456",
            zip_code="!",
            recipient="",
            phone="x",
            country="XX",
            card_expiry="01/20",
            coupon_code="NOPE",
        ),
    )
    assert response.status_code == 422
    messages = errors_in(response.text)
    assert "This field is required." in messages
    assert "Enter a zip code of 2 to 12 letters or digits." in messages
    assert "This coupon code is not valid." in messages
    assert any("card number" in m for m in messages)
    assert 'value="10 Downing Street"' in response.text  # refilled
    assert not await Order.exists().where(Order.account == account.id)
    for value in ["", "\x00", "x" * 5000, "-1", "9" * 30, "<script>"]:
        fields = {name: value for name in checkout_fields(key)}
        response = await post_form(client, "/checkout", {**fields, "action": "place"})
        assert response.status_code < 500, value
    assert not await Order.exists().where(Order.account == account.id)


async def test_another_accounts_order_is_404(app: Litestar) -> None:
    product = await new_product(5)
    async with AsyncTestClient(app=app) as owner, AsyncTestClient(app=app) as other:
        await verified_account(owner)
        await verified_account(other)
        await post_form(owner, "/cart/lines", {"product_id": str(product["id"]), "quantity": "1"})
        placed = await post_form(owner, "/checkout", checkout_fields(await checkout_key(owner)))
        number = placed.headers["location"].split("/")[-1].split("?")[0]
        assert (await other.get(f"/account/orders/{number}")).status_code == 404
        assert (await post_form(other, f"/account/orders/{number}/cancel")).status_code == 404
        assert (await Order.objects().where(Order.number == number).first()).status == "paid"


# -- Concurrency and idempotency ----------------------------------------------------------


async def _place(app: Litestar, account: Account, key: str) -> orders.Placed | orders.OrderRefused:
    settings = app.state.settings
    view = await cart.view(await cart.account_items(account.id))
    form = checkout.CheckoutForm.from_form(checkout_fields(key), [])
    priced = await checkout.price_checkout(view, form, account, settings, placing=True)
    assert not priced.errors, priced.errors
    try:
        return await orders.place_order(
            account, priced, view, gateway=app.state.payment_gateway, settings=settings
        )
    except orders.OrderRefused as refused:
        return refused


async def test_twenty_buyers_race_for_the_last_five_units(app: Litestar) -> None:
    product = await new_product(5)
    buyers = [await buyer_with_cart(product["id"]) for _ in range(20)]
    results = await asyncio.gather(*(_place(app, buyer, uuid.uuid4().hex) for buyer in buyers))
    placed = [r for r in results if isinstance(r, orders.Placed)]
    refused = [r for r in results if isinstance(r, orders.OrderRefused)]
    assert len(placed) == 5 and len(refused) == 15
    assert all("sold out" in r.message.msgid for r in refused)
    assert await stock_of(product["id"]) == 0
    ids = [
        o["id"]
        for o in await Order.select(Order.id).where(Order.account.is_in([b.id for b in buyers]))
    ]
    assert len(ids) == 5
    assert await Payment.count().where(Payment.order.is_in(ids)) == 5


async def test_a_double_submit_gives_one_order(app: Litestar) -> None:
    product = await new_product(5)
    buyer = await buyer_with_cart(product["id"])
    key = uuid.uuid4().hex
    first, second = await asyncio.gather(_place(app, buyer, key), _place(app, buyer, key))
    assert isinstance(first, orders.Placed) and isinstance(second, orders.Placed)
    assert first.order.number == second.order.number
    assert sorted([first.created, second.created]) == [False, True]
    assert await Order.count().where(Order.account == buyer.id) == 1
    assert await stock_of(product["id"]) == 4


async def test_the_card_number_is_stored_nowhere(app: Litestar) -> None:
    product = await new_product(5)
    buyer = await buyer_with_cart(product["id"])
    result = await _place(app, buyer, uuid.uuid4().hex)
    assert isinstance(result, orders.Placed)
    digits = TEST_CARDS.success.replace(" ", "")
    if Order._meta.db.engine_type == "postgres":
        listing = "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
    else:
        listing = (
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'product_search%'"
        )
    tables = [row["name"] for row in await Order.raw(listing)]
    scanned = 0
    for table in tables:
        for row in await Order.raw(f'SELECT * FROM "{table}"'):
            text = " ".join(str(value) for value in row.values())
            assert digits not in text and TEST_CARDS.success not in text, table
            scanned += 1
    assert scanned > 100 and "payment" in tables


@pytest.mark.parametrize("status_path", [("paid", "shipped", "delivered")])
async def test_staff_status_changes_are_recorded_mailed_and_earn_points(
    app: Litestar, status_path: tuple[str, ...]
) -> None:
    product = await new_product(5, price_minor=45_000)
    buyer = await buyer_with_cart(product["id"])
    placed = await _place(app, buyer, uuid.uuid4().hex)
    assert isinstance(placed, orders.Placed)
    settings = app.state.settings
    with pytest.raises(order_status.StatusChangeRefused):
        await order_status.change_status(
            placed.order.id, "shipped", actor="staff", settings=settings
        )
    await order_status.change_status(
        placed.order.id,
        "shipped",
        actor="staff",
        settings=settings,
        carrier="DHL Express",
        tracking_number="JD014600003828",
    )
    with pytest.raises(order_status.StatusChangeRefused):
        await order_status.change_status(
            placed.order.id, "cancelled", actor="staff", settings=settings
        )
    delivered = await order_status.change_status(
        placed.order.id, "delivered", actor="staff", settings=settings
    )
    earned = (delivered.total_minor - delivered.tax_minor) // 100  # tax earns no points
    assert delivered.points_earned == earned and await points.balance(buyer.id) == earned
    mails = (
        await OutboxMessage.select(OutboxMessage.subject, OutboxMessage.text_body)
        .where((OutboxMessage.account == buyer.id) & (OutboxMessage.kind == "order_status"))
        .order_by(OutboxMessage.id)
    )
    assert [m["subject"].rsplit(": ", 1)[-1] for m in mails] == ["Shipped", "Delivered"]
    assert "JD014600003828" in mails[0]["text_body"]


async def test_redeem_a_product_with_points_and_pay_the_rest_by_bank_transfer(
    app: Litestar,
) -> None:
    gift = await new_product(5, price_minor=900, points_price=1_000)
    part = await new_product(5, price_minor=20_000)
    async with AsyncTestClient(app=app) as client:
        account = await verified_account(client)
        async with accounts_write():
            await points.append_points(account.id, 1_200, "test")
        for product in (gift, part):
            await post_form(
                client, "/cart/lines", {"product_id": str(product["id"]), "quantity": "1"}
            )
        key = await checkout_key(client)
        fields = {**checkout_fields(key, card=""), "payment_method": "bank_transfer"}
        short = await post_form(
            client, "/checkout", {**fields, "redeem": str(gift["id"]), "points": "500"}
        )
        # 1,000 for the gift leaves 200 points: the 500 asked for are capped, not refused.
        assert short.status_code == 303, errors_in(short.text)
        number = short.headers["location"].split("/")[-1].split("?")[0]
        order = await Order.objects().where(Order.number == number).first()
        assert order.status == "awaiting_payment"
        assert order.subtotal_minor == 20_000 and order.points_used == 1_200
        assert await points.balance(account.id) == 0
        page = await client.get(short.headers["location"])
        assert "Please transfer" in page.text and number in page.text
        payment = await Payment.objects().where(Payment.order == order.id).first()
        assert (payment.method, payment.status, payment.card_last4) == (
            "bank_transfer",
            "pending",
            "",
        )


async def test_changing_the_country_reprices_the_summary_in_place(client: Client) -> None:
    await verified_account(client)
    product = await new_product(5, price_minor=4_000)
    await post_form(client, "/cart/lines", {"product_id": str(product["id"]), "quantity": "1"})
    key = await checkout_key(client)
    summaries, express_labels = {}, {}
    for country in ("CN", "BR"):
        response = await post_form(
            client,
            "/checkout",
            {**checkout_fields(key), "country": country, "action": "update"},
            headers={"HX-Request": "true", "HX-Target": "order-summary"},
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<section id="order-summary"')
        summaries[country] = re.search(r'id="order-total">([^<]+)<', response.text).group(1)
        # The shipping methods, priced for the new country, come along out of band.
        assert '<fieldset id="f-shipping_method" hx-swap-oob="true">' in response.text
        express_labels[country] = re.search(
            r'<label for="ship-express">(.*?)</label>', response.text
        ).group(1)
    # Shipping to China costs less than to Brazil ("rest of the world").
    assert summaries["CN"] != summaries["BR"]
    assert express_labels["CN"] != express_labels["BR"]
    assert not await Order.exists().where(Order.checkout_key == key)
