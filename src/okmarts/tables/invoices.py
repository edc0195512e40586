"""Invoices: one per paid order, numbered without gaps per year (services/invoices.py).

Tax records: kept for the retention period of tax law (services.erasure.ORDER_RETENTION_YEARS),
also when the buyer deletes the account (the order keeps the buyer's details for it).
"""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.readable import Readable
from piccolo.table import Table

from okmarts.tables.checkout import Order


class Invoice(Table, tablename="invoice"):
    # One invoice per order ("never twice" is this unique index); an order with an invoice is
    # never deleted (restrict): it is a tax record.
    order = ForeignKey(references=Order, on_delete=OnDelete.restrict, unique=True)
    number = Varchar(length=20, unique=True)  # 2026-000001
    year = Integer()
    sequence = Integer()
    issued_at = Timestamptz(default=TimestamptzNow())
    # The buyer's language when it was issued: the PDF is drawn in it.
    locale = Varchar(length=10, default="en")

    @classmethod
    def get_readable(cls) -> Readable:
        return Readable(template="%s", columns=[cls.number])


class InvoiceCounter(Table, tablename="invoice_counter"):
    """The last invoice number given in a year, incremented in the paying transaction."""

    year = Integer(unique=True)
    last_number = Integer(default=0)
