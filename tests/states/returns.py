"""Return states (issue 16): a delivered order paid by card through the test gateway (or by
bank transfer), with its discount, points and history, as checkout and staff would leave it."""

from __future__ import annotations

import datetime as dt
import uuid

from okmarts.db import write_transaction
from okmarts.services import points
from okmarts.services.payments import TEST_CARDS, CardDetails, TestCardGateway
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.tables.checkout import Order, OrderEvent, OrderLine, Payment


async def delivered_order(
    account: Account,
    product: dict,
    *,
    quantity: int = 4,
    unit_price_minor: int = 2_500,
    discount_minor: int = 1_000,
    points_used: int = 500,
    points_value_minor: int = 500,
    shipping_minor: int = 700,
    tax_minor: int = 0,
    points_earned: int = 92,
    method: str = "card",
    delivered_days_ago: int = 2,
) -> Order:
    subtotal = unit_price_minor * quantity
    total = subtotal - discount_minor - points_value_minor + shipping_minor + tax_minor
    now = dt.datetime.now(dt.UTC)
    order = Order(
        number=f"OK-T-{uuid.uuid4().hex[:8].upper()}",
        account=account.id,
        checkout_key=uuid.uuid4().hex,
        status="delivered",
        subtotal_minor=subtotal,
        discount_minor=discount_minor,
        discount_label="SAVE10",
        coupon_code="SAVE10",
        points_used=points_used,
        points_value_minor=points_value_minor,
        shipping_minor=shipping_minor,
        shipping_method="Standard",
        tax_minor=tax_minor,
        total_minor=total,
        points_earned=points_earned,
        recipient="Ada Buyer",
        phone="+44 20 7946 0958",
        email=account.email,
        country="GB",
        city="London",
        line="10 Downing Street",
        zip_code="SW1A 2AA",
        created_at=now - dt.timedelta(days=delivered_days_ago + 3),
    )
    await order.save()
    await OrderLine(
        order=order.id,
        product=product["id"],
        sku="SKU-1",
        title=product["title"],
        unit_price_minor=unit_price_minor,
        quantity=quantity,
        line_total_minor=subtotal,
    ).save()
    transaction_id = ""
    if method == "card":
        gateway = TestCardGateway()
        card = CardDetails(number=TEST_CARDS.success, expiry="12/35", cvc="123", holder="Ada")
        result = await gateway.authorize(total, "USD", card, uuid.uuid4().hex)
        await gateway.capture(result.transaction_id)
        transaction_id = result.transaction_id
    await Payment(
        order=order.id,
        method=method,
        status="captured" if method == "card" else "paid",
        amount_minor=total,
        transaction_id=transaction_id,
    ).save()
    await OrderEvent(
        order=order.id,
        status="delivered",
        actor="staff-anna",
        created_at=now - dt.timedelta(days=delivered_days_ago),
    ).save()
    async with write_transaction(Account._meta.db):
        await points.append_points(account.id, points_earned, "order_earned")
    return order


async def stock(product_id: int) -> int:
    return (await Product.select(Product.stock).where(Product.id == product_id).first())["stock"]
