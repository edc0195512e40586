"""The message center (/account/messages): every notification the shop sends to an account,
readable without email, newest first, marked read.

Entries are written by `messaging.enqueue_email` (`record`, in the caller's transaction) when
the gate (services.notifications) allows the message-center channel. A shopper only ever
reaches their own entries: every query here names the account.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from okmarts.tables.notifications import Notification

PER_PAGE = 20
TITLE_MAX = 300
BODY_MAX = 4000
LINK_MAX = 500


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class EntryNotFound(Exception):
    """No such entry in this account's message center (another's is not found either)."""


@dataclass(frozen=True)
class MessagePage:
    entries: list[dict[str, Any]]
    page: int
    pages: int
    total: int
    unread: int


def safe_link(link: str) -> str:
    """Only a path inside the shop: an entry never links elsewhere (nor to `//host`)."""
    link = link.strip()
    if not link.startswith("/") or link.startswith("//") or "\\" in link:
        return ""
    return link[:LINK_MAX]


async def record(
    account_id: int,
    type_code: str,
    kind: str,
    title: str,
    body: str,
    link: str = "",
    now: dt.datetime | None = None,
) -> int:
    """Inside the caller's transaction: add one entry; returns its id."""
    rows = await Notification.insert(
        Notification(
            account=account_id,
            type=type_code,
            kind=kind,
            title=" ".join(title.split())[:TITLE_MAX],
            body=body.strip()[:BODY_MAX],
            link=safe_link(link),
            created_at=now or now_utc(),
        )
    ).returning(Notification.id)
    return int(rows[0]["id"])


async def unread_count(account_id: int) -> int:
    return await Notification.count().where(
        (Notification.account == account_id) & Notification.read_at.is_null()
    )


async def page_of(account_id: int, page: int = 1, per_page: int = PER_PAGE) -> MessagePage:
    """One page of the account's entries, newest first."""
    total = await Notification.count().where(Notification.account == account_id)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    entries = await (
        Notification.select(
            Notification.id,
            Notification.type,
            Notification.title,
            Notification.body,
            Notification.link,
            Notification.created_at,
            Notification.read_at,
        )
        .where(Notification.account == account_id)
        .order_by(Notification.created_at, ascending=False)
        .order_by(Notification.id, ascending=False)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return MessagePage(entries, page, pages, total, await unread_count(account_id))


async def entry(account_id: int, entry_id: int) -> dict[str, Any]:
    """One of the account's entries (EntryNotFound for any other)."""
    row = (
        await Notification.select()
        .where((Notification.id == entry_id) & (Notification.account == account_id))
        .first()
    )
    if row is None:
        raise EntryNotFound(entry_id)
    return row


async def open_entry(account_id: int, entry_id: int, now: dt.datetime | None = None) -> dict:
    """Read one entry: it is marked read (once; the first reading time stays)."""
    row = await entry(account_id, entry_id)
    if row["read_at"] is None:
        row["read_at"] = await mark_read(account_id, entry_id, now)
    return row


async def mark_read(account_id: int, entry_id: int, now: dt.datetime | None = None) -> dt.datetime:
    """Mark one of the account's entries read; returns when it was first read."""
    now = now or now_utc()
    updated = await (
        Notification.update({Notification.read_at: now})
        .where(
            (Notification.id == entry_id)
            & (Notification.account == account_id)
            & Notification.read_at.is_null()
        )
        .returning(Notification.id)
    )
    if updated:
        return now
    row = await entry(account_id, entry_id)  # EntryNotFound if not theirs
    return row["read_at"]


async def mark_all_read(account_id: int, now: dt.datetime | None = None) -> int:
    """Mark every unread entry of the account read; returns how many were unread."""
    updated = await (
        Notification.update({Notification.read_at: now or now_utc()})
        .where((Notification.account == account_id) & Notification.read_at.is_null())
        .returning(Notification.id)
    )
    return len(updated)
