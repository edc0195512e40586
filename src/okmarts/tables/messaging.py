"""The outbox: every email is a row written with the change that causes it, then sent."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from okmarts.tables.accounts import Account


class OutboxMessage(Table, tablename="outbox_message"):
    account = ForeignKey(references=Account, on_delete=OnDelete.set_null, null=True, index=True)
    kind = Varchar(length=40)  # verify_email, password_reset, new_device, guardian_consent…
    # The notification type it belongs to (services.notifications.TYPES): the sender asks the
    # gate again right before sending, so a withdrawal stops messages still waiting.
    notification_type = Varchar(length=40, default="")
    recipient = Varchar(length=254)  # personal
    locale = Varchar(length=16, default="en")
    subject = Varchar(length=300)
    text_body = Text()  # personal (may name the recipient)
    html_body = Text()
    # The Message-ID header: the same on every retry, so a receiver can drop a repeat.
    message_id = Varchar(length=200, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    send_after = Timestamptz(default=TimestamptzNow())
    attempts = Integer(default=0)
    last_error = Text(default="")
    # A sender claims a message until this time; another sender skips it meanwhile.
    claimed_until = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    # Not sent, and never to be: the gate refused it after it was queued (the reason is in
    # last_error). Such a row is not due any more.
    withheld_at = Timestamptz(null=True, default=None)
