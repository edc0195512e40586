"""Order states: checkout form values, a bought (any status) line, an order placed through HTTP
and delivered by staff's own status changes."""

from __future__ import annotations

import re
import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.services import cart, order_status
from okmarts.services.payments import TEST_CARDS
from okmarts.settings import Settings
from okmarts.tables.accounts import Account
from okmarts.tables.checkout import Order, OrderLine
from tests.states.accounts import errors_in, post_form, verified_shopper


def checkout_fields(key: str, card: str = TEST_CARDS.success, **extra: str) -> dict[str, str]:
    return {
        "checkout_key": key,
        "recipient": "Ada Buyer",
        "phone": "+44 20 7946 0958",
        "email": f"ada{chr(64)}example.com",
        "country": "GB",
        "city": "London",
        "line": "10 Downing Street",
        "zip_code": "SW1A 2AA",
        "payment_method": "card",
        "card_holder": "Ada Buyer",
        "card_number": card,
        "card_expiry": "12/35",
        "card_cvc": "123",
        "action": "place",
        **extra,
    }


async def checkout_key(client: AsyncTestClient[Litestar]) -> str:
    page = await client.get("/checkout")
    assert page.status_code == 200, page.text[:400]
    return re.search(r'name="checkout_key" value="([^"]+)"', page.text).group(1)


async def bought(account: Account, product: dict, status: str = "delivered") -> int:
    """An order of the product in the given status; returns its line id."""
    order = Order(
        number=f"OK-T-{uuid.uuid4().hex[:8].upper()}",
        account=account.id,
        checkout_key=uuid.uuid4().hex,
        status=status,
        subtotal_minor=1000,
        total_minor=1000,
        recipient="R",
        phone="+1 555 0100",
        email=account.email,
        country="US",
        city="X",
        line="1 Y St",
        zip_code="10001",
    )
    await order.save()
    line = OrderLine(
        order=order.id,
        product=product["id"],
        sku="SKU",
        title=product["title"],
        unit_price_minor=1000,
        quantity=1,
        line_total_minor=1000,
    )
    await line.save()
    return line.id


async def place_order(
    client: AsyncTestClient[Litestar], product: dict, fields: dict[str, str]
) -> Order:
    """The product in the cart, then checkout with these fields (through HTTP)."""
    response = await post_form(client, "/cart/lines", {"product_id": str(product["id"])})
    assert response.status_code == 303
    key = await checkout_key(client)
    response = await post_form(client, "/checkout", {"checkout_key": key, **fields})
    assert response.status_code == 303, errors_in(response.text) or response.text[:2000]
    order = await Order.objects().where(Order.checkout_key == key).first()
    assert order is not None
    return order


async def deliver(order_id: int, settings: Settings, tracking: str, note: str = "") -> None:
    """Staff's steps in the admin: paid (for a bank transfer), shipped, delivered."""
    order = await Order.objects().where(Order.id == order_id).first()
    assert order is not None
    steps = (["paid"] if order.status == "awaiting_payment" else []) + ["shipped", "delivered"]
    for status in steps:
        await order_status.change_status(
            order_id,
            status,
            actor="staff-anna",
            settings=settings,
            tracking_number=tracking if status == "shipped" else None,
            note=note if status == "shipped" else "",
        )


async def buyer_with_cart(product_id: int) -> Account:
    """A verified shopper with one of the product in the cart, ready to check out."""
    account = await verified_shopper()
    await cart.save_account_items(account.id, [cart.CartItem(product_id, 1)])
    return account
