"""Staff and orders in the admin: status changes through the form (history, stock, email),
never by editing an order's status or amounts; pricing tables; moderators see none of it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.admin import ORDER_STATUS_FORM, save_staff
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Brand, Category, Product
from okmarts.tables.checkout import Coupon, Order, OrderEvent, OrderLine, Payment
from okmarts.tables.messaging import OutboxMessage
from tests.unit.test_admin import csrf, sign_in

Client = AsyncTestClient[Litestar]

AT = chr(64)  # typed out, an address may reach the file garbled
FORM_URL = "/admin/api/forms/change-order-status/"
ORDER_API = "/admin/api/tables/shop_order/"
ORDER_TABLES = {
    "shop_order",
    "order_line",
    "order_event",
    "payment",
    "payment_attempt",
    "coupon_use",
}
PRICING_TABLES = {"shipping_zone", "shipping_method", "shipping_rate", "coupon", "auto_discount"}
QUANTITY = 2
STOCK = 5


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def staff(client: Client, *, superuser: bool) -> str:
    """A signed-in staff user (an admin, or a moderator); returns the username."""
    email = f"{unique('admin' if superuser else 'moderator')}{AT}example.com"
    password = f"staff-password-{uuid.uuid4().hex[:8]}"
    await save_staff(email, password, superuser=superuser)
    await sign_in(client, email, password)
    return email


async def bank_transfer_order() -> dict[str, Any]:
    """An order waiting for its bank transfer: a shopper, one line of a product of its own."""
    email = f"{unique('buyer')}{AT}example.com"
    account = Account(email=email, password_hash="not-a-hash", policy_version="test")
    await account.save()
    brand = await Brand.select(Brand.id).first()
    category = await Category.select(Category.id).where(Category.parent.is_not_null()).first()
    assert brand and category
    slug = unique("admin-order-part")
    product = Product(
        sku=slug.upper(),
        slug=slug,
        title=f"Relay {slug[-4:]}",
        brand=brand["id"],
        category=category["id"],
        price_minor=2_500,
        stock=STOCK,
        weight_grams=300,
        created_at=dt.datetime.now(dt.UTC),
    )
    await product.save()
    now = dt.datetime.now(dt.UTC)
    order = Order(
        number=f"OK-T{uuid.uuid4().hex[:10].upper()}",
        account=account.id,
        checkout_key=uuid.uuid4().hex,
        status="awaiting_payment",
        subtotal_minor=QUANTITY * 2_500,
        shipping_minor=900,
        total_minor=QUANTITY * 2_500 + 900,
        recipient="Ada Buyer",
        phone="+44 20 7946 0958",
        email=email,
        country="GB",
        city="London",
        line="10 Downing Street",
        zip_code="SW1A 2AA",
        created_at=now,
        updated_at=now,
    )
    await order.save()
    await OrderLine(
        order=order.id,
        product=product.id,
        sku=product.sku,
        title=product.title,
        unit_price_minor=2_500,
        quantity=QUANTITY,
        line_total_minor=QUANTITY * 2_500,
        weight_grams=300,
    ).save()
    await Payment(
        order=order.id,
        method="bank_transfer",
        status="pending",
        amount_minor=order.total_minor,
        transaction_id=order.number,
    ).save()
    return {"id": order.id, "number": order.number, "email": email, "product": product.id}


async def change(client: Client, number: str, status: str, **fields: str) -> Any:
    return await client.post(
        FORM_URL,
        json={"order_number": number, "new_status": status, **fields},
        headers=csrf(client),
    )


async def order_row(order_id: int) -> dict[str, Any]:
    row = await Order.select().where(Order.id == order_id).first()
    assert row is not None
    return row


async def events(order_id: int) -> list[tuple[str, str, str]]:
    rows = (
        await OrderEvent.select(OrderEvent.status, OrderEvent.actor, OrderEvent.note)
        .where(OrderEvent.order == order_id)
        .order_by(OrderEvent.id)
    )
    return [(row["status"], row["actor"], row["note"]) for row in rows]


async def status_mails(email: str) -> list[dict[str, Any]]:
    return (
        await OutboxMessage.select(OutboxMessage.subject, OutboxMessage.text_body)
        .where((OutboxMessage.recipient == email) & (OutboxMessage.kind == "order_status"))
        .order_by(OutboxMessage.id)
    )


async def stock_of(product_id: int) -> int:
    row = await Product.select(Product.stock).where(Product.id == product_id).first()
    assert row is not None
    return row["stock"]


async def test_admin_marks_a_bank_transfer_paid_then_ships_it(client: Client) -> None:
    username = await staff(client, superuser=True)
    order = await bank_transfer_order()

    paid = await change(client, f" {order['number'].lower()} ", "paid", note="Transfer arrived")
    assert paid.status_code == 200, paid.text
    assert paid.json() == {
        "custom_form_success": f"Order {order['number']} is now Paid; "
        "an email to the customer is on its way."
    }
    assert (await order_row(order["id"]))["status"] == "paid"
    payment = await Payment.select(Payment.status).where(Payment.order == order["id"]).first()
    assert payment == {"status": "paid"}
    assert await events(order["id"]) == [("paid", username, "Transfer arrived")]
    mails = await status_mails(order["email"])
    assert [mail["subject"] for mail in mails] == [f"Order {order['number']}: Paid"]

    shipped = await change(
        client, order["number"], "shipped", carrier="DHL", tracking_number="JD014600006281"
    )
    assert shipped.status_code == 200, shipped.text
    assert "is now Shipped" in shipped.json()["custom_form_success"]
    row = await order_row(order["id"])
    assert (row["status"], row["carrier"], row["tracking_number"]) == (
        "shipped",
        "DHL",
        "JD014600006281",
    )
    assert await events(order["id"]) == [
        ("paid", username, "Transfer arrived"),
        ("shipped", username, ""),
    ]
    mails = await status_mails(order["email"])
    assert len(mails) == 2
    assert mails[1]["subject"] == f"Order {order['number']}: Shipped"
    assert "DHL JD014600006281" in mails[1]["text_body"]
    # Paid and shipped: the stock taken at checkout stays taken.
    assert await stock_of(order["product"]) == STOCK


async def test_refused_changes_say_why_and_change_nothing(client: Client) -> None:
    await staff(client, superuser=True)
    order = await bank_transfer_order()
    before = await order_row(order["id"])

    skipped = await change(client, order["number"], "delivered")
    assert skipped.status_code == 422
    assert skipped.json() == {
        "custom_form_error": f"Order {order['number']} is Awaiting payment: from there it can "
        "become Paid or Cancelled, not Delivered."
    }
    unknown_status = await change(client, order["number"], "lost")
    assert unknown_status.status_code == 422
    assert "Choose one of: awaiting_payment, paid, shipped" in unknown_status.text
    unknown_order = await change(client, "OK-NO-SUCH-ORDER", "paid")
    assert unknown_order.json() == {"custom_form_error": "There is no order OK-NO-SUCH-ORDER."}

    assert await order_row(order["id"]) == before
    assert await events(order["id"]) == []
    assert await status_mails(order["email"]) == []

    # Paid, but shipped without a tracking number: refused too.
    assert (await change(client, order["number"], "paid")).status_code == 200
    untracked = await change(client, order["number"], "shipped", carrier="DHL")
    assert untracked.json() == {"custom_form_error": "A shipped order needs a tracking number."}
    row = await order_row(order["id"])
    assert (row["status"], row["carrier"]) == ("paid", "")
    assert len(await status_mails(order["email"])) == 1


async def test_cancelling_in_the_admin_restocks_and_voids_the_transfer(client: Client) -> None:
    await staff(client, superuser=True)
    order = await bank_transfer_order()
    cancelled = await change(client, order["number"], "cancelled", note="Never paid")
    assert cancelled.status_code == 200, cancelled.text
    assert (await order_row(order["id"]))["status"] == "cancelled"
    assert await stock_of(order["product"]) == STOCK + QUANTITY
    payment = await Payment.select(Payment.status).where(Payment.order == order["id"]).first()
    assert payment == {"status": "voided"}
    assert len(await status_mails(order["email"])) == 1


async def test_status_and_amounts_cannot_be_edited_directly(client: Client) -> None:
    await staff(client, superuser=True)
    order = await bank_transfer_order()
    before = await order_row(order["id"])
    url = f"{ORDER_API}{order['id']}/"

    for field, value in [
        ("status", "shipped"),
        ("total_minor", 1),
        ("account", None),
        ("tracking_number", "JD014600006281"),
    ]:
        response = await client.patch(url, json={field: value}, headers=csrf(client))
        assert response.status_code == 422, (field, response.text)
        detail = response.json()["detail"][0]
        assert detail["loc"][-1] == field
        assert f'with the form "{ORDER_STATUS_FORM}"' in detail["msg"]
    # The bulk update sends the same PATCH, row by row.
    assert await order_row(order["id"]) == before
    assert await events(order["id"]) == []

    # The edit form sends every field back (as text): unchanged guarded fields pass, so staff
    # can still correct the delivery address.
    sent = {key: "" if value is None else str(value) for key, value in before.items()}
    sent.pop("id")
    for timestamp in ("created_at", "updated_at"):
        sent[timestamp] = before[timestamp].isoformat()
    # An empty date-time field comes back as null.
    sent["payment_reminded_at"] = sent["awaiting_payment_since"] = None
    sent["company_ref"] = None  # and an empty link (a private order's company) too
    sent["phone"] = "+44 20 7946 0000"
    saved = await client.patch(url, json=sent, headers=csrf(client))
    assert saved.status_code == 200, saved.text
    after = await order_row(order["id"])
    assert after["phone"] == "+44 20 7946 0000"
    assert {key: after[key] for key in ("status", "total_minor", "account", "number")} == {
        key: before[key] for key in ("status", "total_minor", "account", "number")
    }

    # A stale edit form (opened before the order was paid) can't put the old status back.
    assert (await change(client, order["number"], "paid")).status_code == 200
    stale = await client.patch(url, json=sent, headers=csrf(client))
    assert stale.status_code == 422 and "Not editable here (status)" in stale.text
    assert (await order_row(order["id"]))["status"] == "paid"

    # Orders are neither added nor deleted here (they are kept: cancel or refund them).
    deleted = await client.delete(url, headers=csrf(client))
    assert deleted.status_code == 405
    assert await Order.exists().where(Order.id == order["id"])
    added = await client.post(ORDER_API, json={"number": "OK-FORGED"}, headers=csrf(client))
    assert added.status_code == 405
    assert not await Order.exists().where(Order.number == "OK-FORGED")
    line = await OrderLine.select(OrderLine.id).where(OrderLine.order == order["id"]).first()
    assert line
    edited_line = await client.patch(
        f"/admin/api/tables/order_line/{line['id']}/", json={"quantity": 9}, headers=csrf(client)
    )
    assert edited_line.status_code == 405
    assert (
        await OrderLine.select(OrderLine.quantity).where(OrderLine.id == line["id"]).first()
    ) == {"quantity": QUANTITY}


async def test_admin_sees_orders_and_pricing_in_their_groups(client: Client) -> None:
    await staff(client, superuser=True)
    order = await bank_transfer_order()
    grouped = (await client.get("/admin/api/tables/grouped/")).json()["grouped"]
    assert set(grouped["Orders"]) == ORDER_TABLES
    assert set(grouped["Pricing"]) == PRICING_TABLES
    # Carts are the shoppers' own business.
    assert "cart_line" not in (await client.get("/admin/api/tables/")).json()

    schema = (await client.get(f"{ORDER_API}schema/")).json()
    assert schema["extra"]["link_column_name"] == "number"
    assert schema["extra"]["order_by"] == [{"column": "created_at", "ascending": False}]
    assert {"number", "status", "created_at"} <= set(schema["extra"]["visible_filter_names"])
    listing = (await client.get(ORDER_API, params={"number": order["number"]})).json()
    assert [row["status"] for row in listing["rows"]] == ["awaiting_payment"]

    forms = (await client.get("/admin/api/forms/grouped/")).json()
    assert [form["slug"] for form in forms["grouped"]["Orders"]] == ["change-order-status"]
    form_schema = (await client.get(f"{FORM_URL}schema/")).json()
    assert set(form_schema["properties"]) == {
        "order_number",
        "new_status",
        "carrier",
        "tracking_number",
        "note",
    }


async def test_coupon_codes_are_stored_as_checkout_matches_them(client: Client) -> None:
    await staff(client, superuser=True)
    code = unique("spring").upper()
    # The add form starts from the table's defaults, as the admin's does.
    defaults = (await client.get("/admin/api/tables/coupon/new/")).json()
    defaults.pop("id", None)
    added = await client.post(
        "/admin/api/tables/coupon/",
        json={**defaults, "code": f"  {code.lower()} ", "kind": "percent", "value": 10},
        headers=csrf(client),
    )
    assert added.status_code == 201, added.text
    coupon = await Coupon.select(Coupon.id, Coupon.code).where(Coupon.code == code).first()
    assert coupon is not None

    too_much = await client.patch(
        f"/admin/api/tables/coupon/{coupon['id']}/", json={"value": 150}, headers=csrf(client)
    )
    assert too_much.status_code == 422
    assert too_much.json()["detail"][0]["msg"] == "A percent coupon takes at most 100 (%)."
    wrong_kind = await client.post(
        "/admin/api/tables/coupon/",
        json={**defaults, "code": unique("bad"), "kind": "half", "value": 5},
        headers=csrf(client),
    )
    assert wrong_kind.status_code == 422 and "percent, fixed" in wrong_kind.text
    assert (await Coupon.select(Coupon.value).where(Coupon.id == coupon["id"]).first()) == {
        "value": 10
    }


async def test_moderator_sees_no_orders_payments_or_coupons(client: Client) -> None:
    await staff(client, superuser=False)
    order = await bank_transfer_order()
    tables = set((await client.get("/admin/api/tables/")).json())
    assert not tables & (ORDER_TABLES | PRICING_TABLES)
    for table in sorted(ORDER_TABLES | PRICING_TABLES):
        response = await client.get(f"/admin/api/tables/{table}/")
        assert response.status_code == 404, table
        assert order["number"] not in response.text and order["email"] not in response.text
    # Their forms are the moderation ones (test_moderation.py), none about orders.
    forms = [form["slug"] for form in (await client.get("/admin/api/forms/")).json()]
    assert forms == ["decide-reviews", "decide-questions", "answer-a-question"]

    refused = await change(client, order["number"], "paid")
    assert refused.status_code == 404
    patched = await client.patch(
        f"{ORDER_API}{order['id']}/", json={"status": "paid"}, headers=csrf(client)
    )
    assert patched.status_code == 404
    assert (await order_row(order["id"]))["status"] == "awaiting_payment"
    assert await events(order["id"]) == []
