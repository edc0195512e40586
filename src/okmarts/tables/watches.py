"""Watched parts (issue #17): "tell me when it's back in stock / cheaper / discontinued".

- `PartWatch`: one shopper (an account, or a visitor's confirmed address) watching one product
  for one kind of change. Personal: erased with the account, in its data download, retention
  class `part_watches` (services/retention.py).
- `ProductEvent`: a change of a product that watchers may want to hear about, written by
  database triggers (migration okmarts_2026_12_03t17_54_00_000000) in the transaction of the
  change itself, whoever makes it: an admin save, an import, a checkout, plain SQL.
- `WatchAlert`: one event told to one watch. Unique (event, watch): never twice.

Rules: services/watches.py (watching) and services/watch_alerts.py (telling).
"""

from __future__ import annotations

from enum import Enum

from piccolo.columns import ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.tables.messaging import OutboxMessage


class WatchKind(str, Enum):
    back_in_stock = "back_in_stock"
    price_drop = "price_drop"
    discontinued = "discontinued"


class PartWatch(Table, tablename="part_watch"):
    """A shopper watches a product for one kind of change. A signed-in shopper's watch has the
    account (and no email); a visitor's has the email they confirmed by a signed link (rows are
    only written once confirmed). Unique per (account or email, product, kind): raw indexes."""

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, null=True, index=True)
    email = Varchar(length=254, default="", index=True)  # personal: a visitor's address
    locale = Varchar(length=16, default="en")  # a visitor's language for the alerts
    product = ForeignKey(references=Product, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=20, choices=WatchKind)
    created_at = Timestamptz(default=TimestamptzNow())
    # The price the shopper saw when they started watching, then the price of the last drop
    # they were told of: a "price drop" is a price lower than this.
    seen_price_minor = Integer(default=0)
    # When the shopper was last told. Back in stock and discontinued are told once: such a
    # watch is then done until the shopper watches again.
    fired_at = Timestamptz(null=True, default=None)


class ProductEvent(Table, tablename="product_event"):
    """A change watchers may want to hear about, written by triggers (only for a product that
    someone watches for that kind); `done_at` is set by the fan-out that told its watchers."""

    product = ForeignKey(references=Product, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=20, choices=WatchKind)
    old_price_minor = Integer(null=True, default=None)
    new_price_minor = Integer(null=True, default=None)
    done_at = Timestamptz(null=True, default=None)


class WatchAlert(Table, tablename="watch_alert"):
    """One event told to one watch (unique: never twice), and the email it queued, so that
    stopping the watch also stops that email if it is still waiting."""

    event = ForeignKey(references=ProductEvent, on_delete=OnDelete.cascade, index=True)
    watch = ForeignKey(references=PartWatch, on_delete=OnDelete.cascade, index=True)
    outbox_message = ForeignKey(
        references=OutboxMessage, on_delete=OnDelete.set_null, null=True, default=None
    )
    created_at = Timestamptz(default=TimestamptzNow())
