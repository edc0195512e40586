"""Returns, refunds and complaints (services/returns.py): a shopper returns lines of a delivered
order within the return window; staff approve or refuse; parts received are refunded. A
complaint (a dispute) has a case number, a due date and a decision with its reason.
Personal data: in the data download, the erasure registry and retention classes."""

from __future__ import annotations

from piccolo.columns import Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from okmarts.tables.accounts import Account
from okmarts.tables.checkout import Order, OrderLine
from okmarts.tables.support import Conversation


class ReturnRequest(Table, tablename="return_request"):
    """requested → approved (instructions sent) → received → refunded; or requested → refused.

    Every change is a conditional UPDATE on the status read: two staff marking the parts
    received at once refund once."""

    number = Varchar(length=20, unique=True)  # "R-2026-000123"
    order = ForeignKey(references=Order, on_delete=OnDelete.cascade, null=False, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.set_null, null=True, index=True)
    conversation = ForeignKey(
        references=Conversation, on_delete=OnDelete.set_null, null=True, index=True
    )
    status = Varchar(length=12, default="requested", index=True)
    reason = Varchar(length=20, default="other")  # services.returns.REASONS
    note = Text(default="")  # personal: the shopper's words
    staff_reason = Text(default="")  # why refused (the shopper reads it)
    instructions = Text(default="")  # how to send the parts back
    decided_by = Varchar(length=100, default="")
    received_by = Varchar(length=100, default="")
    refund_minor = Integer(default=0)  # money back (services.returns.refund_for)
    refund_points = Integer(default=0)  # points spent on the order given back
    points_taken_back = Integer(default=0)  # points earned on the lines taken back
    refund_method = Varchar(length=20, default="")  # card | bank_transfer | points
    # done (the gateway refunded) | to_be_paid (a bank transfer staff must make) | paid (that
    # transfer made: services.returns.mark_refund_paid) | failed | refunding | "" (not yet)
    refund_state = Varchar(length=12, default="")
    # The bank transfer of a "to_be_paid" refund, as staff record it once made.
    refund_reference = Varchar(length=100, default="")  # the transfer's reference
    refund_paid_on = Date(null=True, default=None)  # the day it was paid
    refund_paid_by = Varchar(length=100, default="")  # staff (left out of the download)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)
    received_at = Timestamptz(null=True, default=None)
    refunded_at = Timestamptz(null=True, default=None)


class ReturnLine(Table, tablename="return_line"):
    return_request = ForeignKey(
        references=ReturnRequest, on_delete=OnDelete.cascade, null=False, index=True
    )
    order_line = ForeignKey(references=OrderLine, on_delete=OnDelete.cascade, index=True)
    quantity = Integer()


class Complaint(Table, tablename="complaint"):
    """A complaint or dispute: open → decided. Answered within 15 days (policy §9, the
    privacy requests' due date). Kept for legal claims when the account is erased."""

    case_number = Varchar(length=20, unique=True)  # "K-2026-000123"
    account = ForeignKey(references=Account, on_delete=OnDelete.set_null, null=True, index=True)
    email = Varchar(length=254, default="")  # personal: kept for legal claims
    conversation = ForeignKey(
        references=Conversation, on_delete=OnDelete.set_null, null=True, index=True
    )
    return_request = ForeignKey(
        references=ReturnRequest, on_delete=OnDelete.set_null, null=True, index=True
    )
    order = ForeignKey(references=Order, on_delete=OnDelete.set_null, null=True, index=True)
    summary = Text(default="")  # personal: what the shopper complains about
    status = Varchar(length=10, default="open", index=True)  # open | decided
    # upheld | partly_upheld | rejected
    decision = Varchar(length=20, default="")
    decision_reason = Text(default="")
    decided_by = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    due_at = Timestamptz(index=True)
    decided_at = Timestamptz(null=True, default=None)
