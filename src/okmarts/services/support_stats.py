"""Customer service's statistics for staff (issue 16): over the last 7, 30 or 90 days, how many
conversations were opened, how fast the first answer came and how fast cases were resolved,
open cases by age, what is overdue now, returns and complaints by status, and satisfaction.
No HTTP here: the page is admin/service_stats.py.

Counts, groupings and the open cases' age buckets are SQL aggregates (the same queries on SQLite
and PostgreSQL). Medians and 90th percentiles are computed here, in Python, over the two
timestamp columns of at most SAMPLE_LIMIT cases of the period (the newest): SQLite has no
percentile function, and a service desk's 90 days stay well under that bound.

Survey answers are anonymous here: only their count, average and distribution, and the newest
comments without a date, a number or anything else that leads to a conversation or a person.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from piccolo.query.functions.aggregate import Count

from okmarts.tables.returns import Complaint, ReturnRequest
from okmarts.tables.support import Conversation
from okmarts.tables.support_staff import SurveyAnswer

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
SAMPLE_LIMIT = 10_000
COMMENTS_SHOWN = 20
OPEN_STATUSES = ("waiting_for_staff", "waiting_for_shopper")
# Open cases by age: (label, from hours, to hours); None: no upper bound.
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("less than 1 day", 0, 24),
    ("1–3 days", 24, 72),
    ("3–7 days", 72, 168),
    ("more than 7 days", 168, None),
)


@dataclass(frozen=True)
class Durations:
    """Median and 90th percentile of some durations (None when there are none)."""

    count: int
    median: dt.timedelta | None
    p90: dt.timedelta | None


@dataclass(frozen=True)
class Satisfaction:
    count: int
    average: float | None
    distribution: dict[int, int]  # rating 1–5 -> answers
    comments: list[str]  # the newest, without anything that names whose they are


@dataclass(frozen=True)
class ServiceStatistics:
    days: int
    since: dt.datetime
    opened: int
    first_answer: Durations
    unanswered: int  # opened in the period, no answer yet
    resolution: Durations  # closed in the period: opened -> closed
    open_by_age: list[tuple[str, int]]
    open_total: int
    overdue: int  # waiting for staff longer than the response promise, now
    response_hours: int
    returns_by_status: dict[str, int] = field(default_factory=dict)
    complaints_by_status: dict[str, int] = field(default_factory=dict)
    complaints_overdue: int = 0
    satisfaction: Satisfaction = field(default_factory=lambda: Satisfaction(0, None, {}, []))


def period_days(raw: object) -> int:
    """A period the page offers (7, 30 or 90 days); the default for anything else."""
    try:
        days = int(str(raw))
    except ValueError:
        return DEFAULT_PERIOD
    return days if days in PERIODS else DEFAULT_PERIOD


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile of sorted-able values (the median: fraction 0.5, which for
    an even count is the mean of the two middle values)."""
    if not values:
        return None
    ordered = sorted(values)
    if fraction == 0.5:
        middle = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[middle]
        return (ordered[middle - 1] + ordered[middle]) / 2
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def durations(seconds: Sequence[float]) -> Durations:
    median, p90 = percentile(seconds, 0.5), percentile(seconds, 0.9)
    return Durations(
        count=len(seconds),
        median=dt.timedelta(seconds=median) if median is not None else None,
        p90=dt.timedelta(seconds=p90) if p90 is not None else None,
    )


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _seconds(start: Any, end: Any) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (_aware(end) - _aware(start)).total_seconds())


async def _by_status(table: Any, since: dt.datetime) -> dict[str, int]:
    rows = (
        await table.select(table.status, Count(table.id, alias="count"))
        .where(table.created_at >= since)
        .group_by(table.status)
    )
    return {row["status"]: int(row["count"]) for row in rows}


async def _satisfaction(since: dt.datetime) -> Satisfaction:
    rows = (
        await SurveyAnswer.select(SurveyAnswer.rating, Count(SurveyAnswer.id, alias="count"))
        .where(SurveyAnswer.created_at >= since)
        .group_by(SurveyAnswer.rating)
    )
    distribution = {rating: 0 for rating in range(1, 6)}
    for row in rows:
        if row["rating"] in distribution:
            distribution[row["rating"]] = int(row["count"])
    count = sum(distribution.values())
    average = (
        sum(rating * answers for rating, answers in distribution.items()) / count if count else None
    )
    # Only the text: no date, no number, no link (a date could be matched to a closing).
    comments = [
        row["comment"]
        for row in await SurveyAnswer.select(SurveyAnswer.comment)
        .where((SurveyAnswer.created_at >= since) & (SurveyAnswer.comment != ""))
        .order_by(SurveyAnswer.id, ascending=False)
        .limit(COMMENTS_SHOWN)
    ]
    return Satisfaction(count=count, average=average, distribution=distribution, comments=comments)


async def statistics(
    days: int, *, response_hours: int, now: dt.datetime | None = None
) -> ServiceStatistics:
    """The statistics of the last `days` days (one of PERIODS), as of `now`."""
    now = now or dt.datetime.now(dt.UTC)
    since = now - dt.timedelta(days=days)
    # Conversations staff could see: a visitor's counts from its confirmed email.
    seen = Conversation.verified_at.is_not_null()
    opened_rows = (
        await Conversation.select(
            Conversation.created_at, Conversation.verified_at, Conversation.first_answered_at
        )
        .where(seen & (Conversation.created_at >= since))
        .order_by(Conversation.created_at, ascending=False)
        .limit(SAMPLE_LIMIT)
    )
    opened = await Conversation.count().where(seen & (Conversation.created_at >= since))
    first = [
        value
        for row in opened_rows
        if (value := _seconds(row["verified_at"] or row["created_at"], row["first_answered_at"]))
        is not None
    ]
    unanswered = await Conversation.count().where(
        seen & (Conversation.created_at >= since) & Conversation.first_answered_at.is_null()
    )
    closed_rows = (
        await Conversation.select(Conversation.created_at, Conversation.closed_at)
        .where((Conversation.status == "closed") & (Conversation.closed_at >= since))
        .order_by(Conversation.closed_at, ascending=False)
        .limit(SAMPLE_LIMIT)
    )
    resolved = [
        value
        for row in closed_rows
        if (value := _seconds(row["created_at"], row["closed_at"])) is not None
    ]
    is_open = Conversation.status.is_in(list(OPEN_STATUSES))
    open_by_age = []
    for label, from_hours, to_hours in AGE_BUCKETS:
        where = is_open & (Conversation.created_at <= now - dt.timedelta(hours=from_hours))
        if to_hours is not None:
            where = where & (Conversation.created_at > now - dt.timedelta(hours=to_hours))
        open_by_age.append((label, await Conversation.count().where(where)))
    overdue = await Conversation.count().where(
        (Conversation.status == "waiting_for_staff")
        & (Conversation.waiting_since < now - dt.timedelta(hours=response_hours))
    )
    complaints_overdue = await Complaint.count().where(
        (Complaint.status == "open") & (Complaint.due_at < now)
    )
    return ServiceStatistics(
        days=days,
        since=since,
        opened=opened,
        first_answer=durations(first),
        unanswered=unanswered,
        resolution=durations(resolved),
        open_by_age=open_by_age,
        open_total=await Conversation.count().where(is_open),
        overdue=overdue,
        response_hours=response_hours,
        returns_by_status=await _by_status(ReturnRequest, since),
        complaints_by_status=await _by_status(Complaint, since),
        complaints_overdue=complaints_overdue,
        satisfaction=await _satisfaction(since),
    )


def shown(duration: dt.timedelta | None) -> str:
    """A duration for the staff page: "—", "45 min", "5.5 h", "3.2 days"."""
    if duration is None:
        return "—"
    minutes = duration.total_seconds() / 60
    if minutes < 60:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"
