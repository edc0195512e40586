"""Carts, shipping, coupons, orders and payments. Personal fields are marked `# personal`."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.readable import Readable
from piccolo.table import Table

from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.tables.companies import Company


class CartLine(Table, tablename="cart_line"):
    """A signed-in shopper's cart (a visitor's lives in a signed cookie instead)."""

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    product = ForeignKey(references=Product, on_delete=OnDelete.cascade)
    quantity = Integer()
    added_at = Timestamptz(default=TimestamptzNow())


class ShippingZone(Table, tablename="shipping_zone"):
    code = Varchar(length=20, unique=True)
    name = Varchar(length=100)
    # ISO 3166 country codes; the zone with code "world" takes every other country.
    countries = JSON(default="[]")

    @classmethod
    def get_readable(cls) -> Readable:
        return Readable(template="%s", columns=[cls.name])


class ShippingMethod(Table, tablename="shipping_method"):
    code = Varchar(length=20, unique=True)
    name = Varchar(length=100)
    carrier = Varchar(length=60, default="")
    position = Integer(default=0)
    active = Boolean(default=True)

    @classmethod
    def get_readable(cls) -> Readable:
        return Readable(template="%s", columns=[cls.name])


class ShippingRate(Table, tablename="shipping_rate"):
    """Cost of a method to a zone: a base fee plus a fee per started kilogram."""

    method = ForeignKey(references=ShippingMethod, on_delete=OnDelete.cascade, index=True)
    zone = ForeignKey(references=ShippingZone, on_delete=OnDelete.cascade, index=True)
    currency = Varchar(length=3, default="USD")
    base_minor = Integer(default=0)
    per_kg_minor = Integer(default=0)
    # Free shipping from this subtotal on (null: never free).
    free_from_minor = Integer(null=True, default=None)
    max_weight_grams = Integer(null=True, default=None)


class Coupon(Table, tablename="coupon"):
    code = Varchar(length=40, unique=True)  # stored upper-cased
    kind = Varchar(length=10, default="percent")  # percent | fixed
    # Percent: whole percent (10 = 10 %); fixed: minor units of `currency`.
    value = Integer()
    currency = Varchar(length=3, default="USD")
    min_subtotal_minor = Integer(default=0)
    starts_at = Timestamptz(null=True, default=None)
    ends_at = Timestamptz(null=True, default=None)
    usage_limit = Integer(null=True, default=None)  # in total; null: unlimited
    per_account_limit = Integer(default=1)
    times_used = Integer(default=0)
    active = Boolean(default=True)

    @classmethod
    def get_readable(cls) -> Readable:
        return Readable(template="%s", columns=[cls.code])


class AutoDiscount(Table, tablename="auto_discount"):
    """An order discount that applies by itself above a subtotal (no code needed)."""

    name = Varchar(length=100)
    percent = Integer()
    min_subtotal_minor = Integer(default=0)
    currency = Varchar(length=3, default="USD")
    starts_at = Timestamptz(null=True, default=None)
    ends_at = Timestamptz(null=True, default=None)
    active = Boolean(default=True)


class Order(Table, tablename="shop_order"):
    number = Varchar(length=20, unique=True)
    # Kept when the account is erased (orders are kept for tax); the link is cut, not the order.
    account = ForeignKey(references=Account, on_delete=OnDelete.set_null, null=True, index=True)
    # The checkout form's key: a double submit or a retried request finds the same order.
    checkout_key = Varchar(length=64, unique=True)
    status = Varchar(length=20, default="awaiting_payment", index=True)
    currency = Varchar(length=3, default="USD")
    subtotal_minor = Integer()
    discount_minor = Integer(default=0)
    discount_label = Varchar(length=120, default="")
    coupon_code = Varchar(length=40, default="")
    points_used = Integer(default=0)
    points_value_minor = Integer(default=0)
    shipping_method = Varchar(length=100, default="")
    shipping_minor = Integer(default=0)
    total_minor = Integer()
    points_earned = Integer(default=0)
    recipient = Varchar(length=100)  # personal
    phone = Varchar(length=30)  # personal
    email = Varchar(length=254)  # personal
    country = Varchar(length=2)
    region = Varchar(length=100, default="")
    city = Varchar(length=100)  # personal
    line = Varchar(length=300)  # personal
    zip_code = Varchar(length=20)  # personal
    for_company = Boolean(default=False)
    company = Varchar(length=120, default="")  # personal
    tax_id = Varchar(length=40, default="")  # personal
    billing_address = Text(default="")  # personal
    # Tax (services/tax.py): the total of tax_lines, each {"rate": "19", "country": "DE",
    # "base_minor": …, "tax_minor": …, "reverse_charge": false}; total_minor includes tax_minor.
    tax_minor = Integer(default=0)
    tax_lines = JSON(default="[]")
    # The buyer's purchase-order number, shown on the order and its invoice.
    po_number = Varchar(length=60, default="")
    # Company accounts (services/companies.py): the company the order was placed for, whose
    # members see it; kept when the member who placed it leaves (their link is cut instead).
    company_ref = ForeignKey(references=Company, on_delete=OnDelete.set_null, null=True, index=True)
    carrier = Varchar(length=60, default="")
    tracking_number = Varchar(length=60, default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())
    # When the "still waiting for your payment" email was queued (services.unpaid_orders): set
    # by a conditional update in the same transaction, so it goes out once.
    payment_reminded_at = Timestamptz(null=True, default=None)
    # When the order began awaiting payment if not when it was placed (a company order an
    # approver approved later): the payment deadline counts from here (orders.payment_due).
    awaiting_payment_since = Timestamptz(null=True, default=None)

    @classmethod
    def get_readable(cls) -> Readable:
        return Readable(template="%s", columns=[cls.number])


class OrderLine(Table, tablename="order_line"):
    order = ForeignKey(references=Order, on_delete=OnDelete.cascade, index=True)
    # The product may change or go; the line keeps what was bought, at what price.
    product = ForeignKey(references=Product, on_delete=OnDelete.set_null, null=True, index=True)
    sku = Varchar(length=64)
    title = Varchar(length=255)
    unit_price_minor = Integer()
    unit_points = Integer(default=0)  # points-only products
    quantity = Integer()
    line_total_minor = Integer()
    weight_grams = Integer(default=0)


class OrderEvent(Table, tablename="order_event"):
    """The order's history: every status change, timestamped, with who made it."""

    order = ForeignKey(references=Order, on_delete=OnDelete.cascade, index=True)
    status = Varchar(length=20)
    note = Varchar(length=300, default="")
    actor = Varchar(length=120, default="")  # "customer", "system" or a staff username
    created_at = Timestamptz(default=TimestamptzNow())


class PaymentAttempt(Table, tablename="payment_attempt"):
    """A card payment asked of the gateway for one checkout form, written before authorising.

    started (the gateway is being asked) → authorised (money held) → captured (the order took
    it); or failed (declined), or voiding → voided (the hold released). A crash between the
    authorisation and the order leaves the row, and services.payment_attempts.sweep voids the
    hold. Every change is a conditional UPDATE on the status, so two workers never capture or
    void one attempt twice.
    """

    # The checkout form's key, also the gateway's idempotency key: one attempt per form.
    checkout_key = Varchar(length=64, unique=True)
    # Cut when the account is erased: an unfinished hold must still be voided.
    account = ForeignKey(references=Account, on_delete=OnDelete.set_null, null=True, index=True)
    amount_minor = Integer()
    currency = Varchar(length=3, default="USD")
    method = Varchar(length=20, default="card")
    status = Varchar(length=20, default="started", index=True)
    transaction_id = Varchar(length=64, default="")  # the gateway's, once it answered
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)


class SandboxTransaction(Table, tablename="sandbox_transaction"):
    """The test card gateway's own book (services.payments.TestCardGateway), standing in for a
    payment provider's: every answer it gave, by idempotency key, and what became of each
    authorisation. In the database so that every worker, and a restarted server, can capture,
    void and refund what another one authorised. No account, no card number: brand, last four.
    """

    transaction_id = Varchar(length=64, unique=True)
    idempotency_key = Varchar(length=128, unique=True)
    amount_minor = Integer()
    currency = Varchar(length=3)
    card_brand = Varchar(length=20, default="")
    card_last4 = Varchar(length=4, default="")
    # authorised | captured | voided | refunded (all of it) | declined | failed
    status = Varchar(length=20)
    refunded_minor = Integer(default=0)
    # The answer to a declined or failed authorisation, as given (the same key, the same answer).
    code = Varchar(length=40, default="")
    message = Varchar(length=300, default="")  # a msgid
    message_params = JSON(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Payment(Table, tablename="payment"):
    """What the gateway said. Never a full card number or a CVC: brand and last four only."""

    order = ForeignKey(references=Order, on_delete=OnDelete.cascade, index=True)
    # The card payment's attempt (null for bank transfers, and once retention removed it).
    card_attempt = ForeignKey(
        references=PaymentAttempt, on_delete=OnDelete.set_null, null=True, index=True
    )
    method = Varchar(length=20)  # card | bank_transfer | points
    status = Varchar(length=20)  # authorized | captured | pending | paid | voided | refunded
    amount_minor = Integer()
    currency = Varchar(length=3, default="USD")
    payer_name = Varchar(length=100, default="")  # personal
    payer_email = Varchar(length=254, default="")  # personal
    card_brand = Varchar(length=20, default="")
    card_last4 = Varchar(length=4, default="")
    transaction_id = Varchar(length=64, default="", index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class CouponUse(Table, tablename="coupon_use"):
    coupon = ForeignKey(references=Coupon, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.set_null, null=True, index=True)
    order = ForeignKey(references=Order, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
