"""Customer service (services/support.py): conversations between a shopper (or a visitor who
verified an email) and the shop's staff, their messages and attachments. Personal data: in the
data download, the erasure registry and a retention class."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.tables.checkout import Order


class Conversation(Table, tablename="conversation"):
    """One case: a question, an after-sales problem, a return or a complaint.

    status: unverified (a visitor's, until the emailed link is opened: staff don't see it) →
    waiting_for_staff ⇄ waiting_for_shopper → closed (reopened by a new message)."""

    number = Varchar(length=20, unique=True)  # "S-2026-000123": the shopper's reference
    account = ForeignKey(references=Account, on_delete=OnDelete.set_null, null=True, index=True)
    email = Varchar(length=254, default="")  # personal: where answers go
    locale = Varchar(length=10, default="en")
    # general | product (pre-sales) | order (after-sales) | return | complaint
    topic = Varchar(length=20, default="general")
    # For an order: not_arrived | damaged | wrong_part | invoice | return | complaint | other
    reason = Varchar(length=20, default="")
    subject = Varchar(length=200, default="")  # personal (the shopper's words)
    product = ForeignKey(references=Product, on_delete=OnDelete.set_null, null=True, index=True)
    order = ForeignKey(references=Order, on_delete=OnDelete.set_null, null=True, index=True)
    status = Varchar(length=24, default="waiting_for_staff", index=True)
    assigned_to = Varchar(length=100, default="", index=True)  # a staff username
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())
    verified_at = Timestamptz(null=True, default=None)
    # The oldest shopper message staff have not answered yet (null: nothing waits for staff):
    # the inbox sorts by it, and "overdue" is measured from it.
    waiting_since = Timestamptz(null=True, default=None, index=True)
    first_answered_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)


class ConversationMessage(Table, tablename="conversation_message"):
    """A message: the shopper's, a staff reply, a staff-only internal note, or a system line
    (status changes)."""

    conversation = ForeignKey(
        references=Conversation, on_delete=OnDelete.cascade, null=False, index=True
    )
    author = Varchar(length=10)  # shopper | staff | system
    staff_username = Varchar(length=100, default="")
    internal = Boolean(default=False)  # a staff note the shopper never sees
    body = Text(default="")  # personal
    # The form's one-time key: posting twice (double submit, a retried request) stores once.
    client_key = Varchar(length=64, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class ConversationAttachment(Table, tablename="conversation_attachment"):
    """A photo (re-encoded, metadata stripped) or a PDF sent with a message: a file under the
    data directory's support/ folder."""

    message = ForeignKey(
        references=ConversationMessage, on_delete=OnDelete.cascade, null=False, index=True
    )
    kind = Varchar(length=10)  # image | pdf
    path = Varchar(length=255)  # relative to the data dir's support/ folder; random name
    filename = Varchar(length=200, default="")  # as the shopper named it (shown, sanitised)
    content_type = Varchar(length=60)
    size_bytes = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
