"""Newsletters (issue #17): staff write one per language, pick an audience and schedule it; it
goes out through the outbox at a set rate (services/newsletters.py).

A delivery names who a newsletter went to: it is the recipient's personal data (data download,
erasure with the account, retention). The newsletter and its translations are the shop's.
"""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Category
from okmarts.tables.messaging import OutboxMessage


class Newsletter(Table, tablename="newsletter"):
    """One newsletter. Its status changes only through services.newsletters (the admin's forms):
    draft → scheduled → queueing → sending → sent, and paused from queueing or sending."""

    name = Varchar(length=200)  # staff's own name for it; recipients see the subject
    # "newsletter": every account that chose the newsletter; "category": that category's
    # followers among them.
    audience = Varchar(length=20, default="newsletter")
    category = ForeignKey(references=Category, on_delete=OnDelete.set_null, null=True)
    status = Varchar(length=20, default="draft", index=True)
    scheduled_at = Timestamptz(null=True, default=None)
    created_by = Varchar(length=100, default="")  # the staff member's email
    created_at = Timestamptz(default=TimestamptzNow())
    # Queueing: the last account id queued (keyset), and whether every recipient is queued.
    queue_cursor = Integer(default=0)
    queued_all = Boolean(default=False)
    # A worker queueing it holds it until then; a crashed worker's claim runs out.
    claimed_until = Timestamptz(null=True, default=None)
    # Pacing: deliveries go out from pace_from, one every 60/rate seconds; pace_index counts
    # those spaced since pace_from (a resume starts them again from now).
    pace_from = Timestamptz(null=True, default=None)
    pace_index = Integer(default=0)
    queued_count = Integer(default=0)
    # Filled when it is sent: the report stays once the outbox rows are gone (retention).
    sent_count = Integer(default=0)
    failed_count = Integer(default=0)
    withheld_count = Integer(default=0)
    finished_at = Timestamptz(null=True, default=None)


class NewsletterTranslation(Table, tablename="newsletter_translation"):
    """A newsletter's subject and body in one language (plain text: blank lines part
    paragraphs; never markup, the HTML part escapes it)."""

    newsletter = ForeignKey(references=Newsletter, on_delete=OnDelete.cascade, index=True)
    locale = Varchar(length=16, default="en")
    subject = Varchar(length=200)
    body = Text()


class NewsletterDelivery(Table, tablename="newsletter_delivery"):
    """A newsletter queued for one account (unique per pair: never queued twice), and its email
    in the outbox (the row that says whether it was sent, failed or withheld)."""

    newsletter = ForeignKey(references=Newsletter, on_delete=OnDelete.cascade)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    outbox_message = ForeignKey(
        references=OutboxMessage, on_delete=OnDelete.set_null, null=True, index=True
    )
    queued_at = Timestamptz(default=TimestamptzNow())
