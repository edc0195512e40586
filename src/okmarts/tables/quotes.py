"""Quotes: a buyer asks for prices on a list of parts, staff answer with a price per line and a
date the prices hold until, the buyer turns the quote into an order (services.quotes).

Personal fields are marked `# personal`. A quote is personal data of its buyer: it goes with
the account (services.erasure), the data download carries it (services.privacy_export) and
retention deletes it a while after it ended (services.retention).
"""

from __future__ import annotations

from piccolo.columns import (
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
from okmarts.tables.checkout import Order


class Quote(Table, tablename="quote"):
    # Q-2026-000123: the year it was asked for and the row id, so unique without a counter.
    number = Varchar(length=20, unique=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    # requested | answered | accepted | expired | declined (services.quotes.STATUSES)
    status = Varchar(length=12, default="requested", index=True)
    currency = Varchar(length=3, default="USD")
    delivery_country = Varchar(length=2, default="")  # personal
    note = Text(default="")  # personal: what the buyer wrote
    staff_note = Text(default="")  # personal: the answer to the buyer (or why it was declined)
    valid_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    answered_at = Timestamptz(null=True, default=None)
    answered_by = Varchar(length=100, default="")  # the staff user's email
    # Set once, when the quote is accepted: the order placed at its prices.
    order = ForeignKey(references=Order, on_delete=OnDelete.set_null, null=True, index=True)
    updated_at = Timestamptz(default=TimestamptzNow())

    @classmethod
    def get_readable(cls) -> Readable:
        return Readable(template="%s", columns=[cls.number])


class QuoteLine(Table, tablename="quote_line"):
    quote = ForeignKey(references=Quote, on_delete=OnDelete.cascade, index=True)
    # The part as it was asked for: sku and title stay when the product is deleted.
    product = ForeignKey(references=Product, on_delete=OnDelete.set_null, null=True, index=True)
    sku = Varchar(length=64)
    title = Varchar(length=255)
    quantity = Integer()
    # Staff's price for one piece, in minor units of the quote's currency; null until answered.
    unit_price_minor = Integer(null=True, default=None)
