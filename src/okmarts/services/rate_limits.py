"""Rate limits on sign-in, sign-up and password reset: attempts per key in a time window.

Attempts are rows in the database, so every worker and process sees the same count.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

from okmarts.db import is_postgres, write_transaction
from okmarts.tables.accounts import Attempt


@dataclass(frozen=True)
class Limit:
    name: str
    attempts: int
    window: dt.timedelta


class RateLimited(Exception):
    """Too many attempts: wait `minutes` before trying again."""

    def __init__(self, minutes: int) -> None:
        super().__init__(minutes)
        self.minutes = minutes


def _key(limit: Limit, subject: str) -> str:
    # Subjects are IPs and emails, up to 254 characters: long ones are kept as a digest.
    if len(subject) > 64:
        subject = "#" + hashlib.sha256(subject.encode()).hexdigest()
    return f"{limit.name}:{subject}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _count_in_window(limit: Limit, key: str, now: dt.datetime) -> None:
    rows = (
        await Attempt.select(Attempt.created_at)
        .where((Attempt.key == key) & (Attempt.created_at > now - limit.window))
        .order_by(Attempt.created_at, ascending=False)
        .limit(limit.attempts)
    )
    if len(rows) >= limit.attempts:
        # Free again when the oldest attempt that still counts leaves the window.
        free_at = rows[-1]["created_at"] + limit.window
        raise RateLimited(max(1, math.ceil((free_at - now).total_seconds() / 60)))


async def check(limit: Limit, subject: str, now: dt.datetime | None = None) -> None:
    """Raise RateLimited when `subject` used up `limit` within its window (counts nothing)."""
    await _count_in_window(limit, _key(limit, subject), now or _now())


async def consume(*counted: tuple[Limit, str], now: dt.datetime | None = None) -> list[int]:
    """Count one attempt for each (limit, subject), or none if any of them is used up.

    Check and record are one transaction holding a lock per key (an advisory lock on
    PostgreSQL; SQLite's write lock), so concurrent requests on any worker or host queue up
    and at most `limit.attempts` get through. Returns the attempts' ids, for `release`.
    """
    now = now or _now()
    keys = sorted({_key(limit, subject): limit for limit, subject in counted}.items())
    engine = Attempt._meta.db
    async with write_transaction(engine):
        if is_postgres(engine):
            for key, _limit in keys:  # in one order everywhere: no deadlock between two keys
                await Attempt.raw("SELECT pg_advisory_xact_lock(hashtextextended({}, 0))", key)
        for key, limit in keys:
            await _count_in_window(limit, key, now)
        rows = await Attempt.insert(
            *(Attempt(key=key, created_at=now) for key, _limit in keys)
        ).returning(Attempt.id)
    return [row["id"] for row in rows]


async def release(attempt_ids: list[int]) -> None:
    """Take back attempts counted by `consume` that turned out not to count (a good password)."""
    if attempt_ids:
        await Attempt.delete().where(Attempt.id.is_in(attempt_ids))


async def forget(limit: Limit, subject: str) -> None:
    """Clear a subject's attempts (a successful sign-in ends its failure streak)."""
    await Attempt.delete().where(Attempt.key == _key(limit, subject))
