"""Rate limits on sign-in, sign-up and password reset: attempts per key in a time window.

Attempts are rows in the database, so every worker and process sees the same count.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

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


async def check(limit: Limit, subject: str, now: dt.datetime | None = None) -> None:
    """Raise RateLimited when `subject` used up `limit` within its window."""
    now = now or _now()
    key = _key(limit, subject)
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


async def record(limit: Limit, subject: str, now: dt.datetime | None = None) -> None:
    await Attempt.insert(Attempt(key=_key(limit, subject), created_at=now or _now()))


async def forget(limit: Limit, subject: str) -> None:
    """Clear a subject's attempts (a successful sign-in ends its failure streak)."""
    await Attempt.delete().where(Attempt.key == _key(limit, subject))
