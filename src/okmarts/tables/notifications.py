"""Notifications (policy §1(2)6): what each account chose to receive, and its message center.

Both are the account's own and go with it (erasure), join its data download and retention:
services/notifications.py holds the rules, services/message_center.py the center.
"""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Brand, Category


class NotificationSubscription(Table, tablename="notification_subscription"):
    """One choice the shopper made: a type of message on one channel, on or off. No row means
    the default of that type (services.notifications.default_choice), which follows consent."""

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    type = Varchar(length=40)  # services.notifications.TYPES
    channel = Varchar(length=20)  # email | center
    enabled = Boolean(default=False)
    changed_at = Timestamptz(default=TimestamptzNow())


class Notification(Table, tablename="notification"):
    """An entry in an account's message center, written with the email it goes with (or alone
    when the shopper chose the message center only)."""

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    type = Varchar(length=40)
    kind = Varchar(length=40)  # the email kind it was written for (outbox_message.kind)
    title = Varchar(length=300)  # personal (may name an order, a product asked about)
    body = Text(default="")  # personal
    link = Varchar(length=500, default="")  # a path in the shop, never a secret link
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    read_at = Timestamptz(null=True, default=None)


class Follow(Table, tablename="follow"):
    """A shopper follows a category or a brand (exactly one of the two): new products there go
    into the weekly digest (services/follows.py), and a newsletter may be sent to a category's
    followers. The shopper's own: erased with the account, in its data download."""

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    category = ForeignKey(references=Category, on_delete=OnDelete.cascade, null=True, index=True)
    brand = ForeignKey(references=Brand, on_delete=OnDelete.cascade, null=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    # Products created after this went into no digest yet (the digest's high-water mark).
    digested_until = Timestamptz(default=TimestamptzNow())
    # Unique (account, category) and (account, brand), each where set: a hand-written
    # migration (okmarts_2026_12_03t17_54_00_000000); exactly one of the two is set
    # (services/follows.py checks it).


class PolicyNotice(Table, tablename="policy_notice"):
    """A new privacy-policy version was announced to an account (services/policy_notices.py):
    one row per account and version (a unique index), written with the notice it records, so
    each account is told of each version exactly once. The account's own: erased with it."""

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    version = Varchar(length=32)
    created_at = Timestamptz(default=TimestamptzNow())
