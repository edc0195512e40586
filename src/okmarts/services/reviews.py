"""Reviews of purchased products and the helpful / not-helpful votes on them (policy §1 (2) 4).

A buyer reviews each product of a delivered order once; reviews wait for moderation. Votes are
one per person per review, changeable and withdrawable, never on one's own review; the counts
on a review are recounted from the votes in the same transaction, so they always equal them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from piccolo.query.functions.aggregate import Count

from okmarts.db import is_postgres, write_transaction
from okmarts.i18n import N_, Message
from okmarts.inputs import parse_int
from okmarts.services.accounts import FormInvalid
from okmarts.tables.accounts import Account
from okmarts.tables.checkout import OrderLine
from okmarts.tables.reviews import Review, ReviewVote

REVIEWABLE_STATUSES = ("delivered", "completed")
SORTS = {
    "helpful": N_("Most helpful"),
    "newest": N_("Most recent"),
    "highest": N_("Highest rating"),
    "lowest": N_("Lowest rating"),
}
PER_PAGE = 5
TITLE_MAX = 120
BODY_MIN, BODY_MAX = 10, 5000
# z for a 95 % confidence interval: the helpful share we can be fairly sure of.
WILSON_Z = 1.959964


class ReviewError(Exception):
    """A review or vote that can't be taken; the message says why."""

    def __init__(self, message: Message, status_code: int = 422) -> None:
        super().__init__(message.msgid)
        self.message = message
        self.status_code = status_code


def wilson_lower_bound(helpful: int, total: int) -> float:
    """Lower bound of the Wilson score interval of the helpful share (0 with no votes).

    Ranks 40 of 50 helpful above 2 of 2: the raw share (or difference) would not.
    """
    if total <= 0:
        return 0.0
    share = helpful / total
    z2 = WILSON_Z * WILSON_Z
    centre = share + z2 / (2 * total)
    spread = WILSON_Z * math.sqrt((share * (1 - share) + z2 / (4 * total)) / total)
    # Rounding can leave -1e-17 where the bound is exactly 0.
    return max(0.0, (centre - spread) / (1 + z2 / total))


# -- Writing a review ------------------------------------------------------------


async def reviewable_lines(account_id: int) -> list[dict[str, Any]]:
    """Lines of the account's delivered orders that have no review yet (newest orders first)."""
    lines = (
        await OrderLine.select(
            OrderLine.id,
            OrderLine.product,
            OrderLine.title,
            OrderLine.order.number.as_alias("order_number"),
            OrderLine.product.slug.as_alias("slug"),
        )
        .where(
            (OrderLine.order.account == account_id)
            & OrderLine.order.status.is_in(list(REVIEWABLE_STATUSES))
            & OrderLine.product.is_not_null()
        )
        .order_by(OrderLine.id, ascending=False)
    )
    reviewed = {
        row["order_line"]
        for row in await Review.select(Review.order_line).where(
            Review.order_line.is_in([line["id"] for line in lines] or [0])
        )
    }
    return [line for line in lines if line["id"] not in reviewed]


def _clean(rating: str, title: str, body: str) -> tuple[int, str, str]:
    errors: dict[str, Message] = {}
    stars = parse_int(rating, minimum=1, maximum=5) or 0
    if not stars:
        errors["rating"] = Message(N_("Choose a rating from 1 to 5 stars."))
    title = " ".join((title or "").split())
    if not title:
        errors["title"] = Message(N_("This field is required."))
    elif len(title) > TITLE_MAX:
        errors["title"] = Message(
            N_("Use at most %(limit)s characters here."), {"limit": TITLE_MAX}
        )
    body = (body or "").strip()
    if len(body) < BODY_MIN:
        errors["body"] = Message(
            N_("Write at least %(num)s characters about the product."), {"num": BODY_MIN}
        )
    elif len(body) > BODY_MAX:
        errors["body"] = Message(N_("Use at most %(limit)s characters here."), {"limit": BODY_MAX})
    if errors:
        raise FormInvalid(errors)
    return stars, title, body


async def submit_review(
    account: Account,
    order_line_id: int,
    rating: str,
    title: str,
    body: str,
    now: dt.datetime | None = None,
) -> Review:
    """A buyer's review of one purchased line; it waits for moderation."""
    stars, title, body = _clean(rating, title, body)
    line = (
        await OrderLine.select(
            OrderLine.id, OrderLine.product, OrderLine.order.status.as_alias("status")
        )
        .where((OrderLine.id == order_line_id) & (OrderLine.order.account == account.id))
        .first()
    )
    if line is None or line["product"] is None:
        raise ReviewError(Message(N_("You can review only products you bought.")), 404)
    if line["status"] not in REVIEWABLE_STATUSES:
        raise ReviewError(Message(N_("You can review a product once its order is delivered.")))
    async with write_transaction(Review._meta.db):
        if await Review.exists().where(Review.order_line == order_line_id):
            raise ReviewError(Message(N_("You have reviewed this purchase already.")), 409)
        review = Review(
            product=line["product"],
            account=account.id,
            order_line=order_line_id,
            rating=stars,
            title=title,
            body=body,
            created_at=now or dt.datetime.now(dt.UTC),
        )
        await review.save()
    return review


async def my_reviews(account_id: int) -> list[dict[str, Any]]:
    return (
        await Review.select(
            Review.id,
            Review.rating,
            Review.title,
            Review.status,
            Review.rejection_reason,
            Review.created_at,
            Review.product.title.as_alias("product_title"),
            Review.product.slug.as_alias("slug"),
        )
        .where(Review.account == account_id)
        .order_by(Review.id, ascending=False)
    )


# -- Reading the reviews of a product ------------------------------------------------------------


@dataclass
class RatingSummary:
    count: int = 0
    average: float = 0.0
    histogram: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(5, 0, -1), 0))

    def share(self, stars: int) -> int:
        return round(100 * self.histogram[stars] / self.count) if self.count else 0


@dataclass
class ReviewPage:
    items: list[dict[str, Any]]
    summary: RatingSummary
    sort: str
    page: int
    pages: int
    my_votes: dict[int, int] = field(default_factory=dict)


async def rating_summary(product_id: int) -> RatingSummary:
    # (Raw SQL: every product page asks, and building the query cost more than running it.)
    rows = await Review.raw(
        "SELECT rating, count(*) AS n FROM review"
        " WHERE product = {} AND status = 'approved' GROUP BY rating",
        product_id,
    )
    summary = RatingSummary()
    for row in rows:
        summary.histogram[row["rating"]] = row["n"]
    summary.count = sum(summary.histogram.values())
    if summary.count:
        total = sum(stars * n for stars, n in summary.histogram.items())
        summary.average = round(total / summary.count, 1)
    return summary


_ORDER = {
    "helpful": [(Review.helpful_score, False), (Review.created_at, False)],
    "newest": [(Review.created_at, False)],
    "highest": [(Review.rating, False), (Review.created_at, False)],
    "lowest": [(Review.rating, True), (Review.created_at, False)],
}


async def product_reviews(
    product_id: int, *, sort: str = "helpful", page: int = 1, viewer: Account | None = None
) -> ReviewPage:
    """Approved reviews of a product with their authors' nickname and avatar (three queries)."""
    sort = sort if sort in SORTS else "helpful"
    summary = await rating_summary(product_id)
    pages = max(1, math.ceil(summary.count / PER_PAGE))
    page = min(max(1, page), pages)
    if not summary.count:
        return ReviewPage([], summary, sort, page, pages)
    select = Review.select(
        Review.id,
        Review.rating,
        Review.title,
        Review.body,
        Review.created_at,
        Review.helpful_count,
        Review.not_helpful_count,
        Review.account.as_alias("author_id"),
        Review.account.nickname.as_alias("nickname"),
        Review.account.avatar.as_alias("avatar"),
    ).where((Review.product == product_id) & (Review.status == "approved"))
    for column, ascending in _ORDER[sort]:
        select = select.order_by(column, ascending=ascending)
    items = await select.limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    mine: dict[int, int] = {}
    if viewer is not None and items:
        mine = await my_votes(viewer, [item["id"] for item in items])
    return ReviewPage(items, summary, sort, page, pages, mine)


async def my_votes(viewer: Account, review_ids: Sequence[int]) -> dict[int, int]:
    """The viewer's votes on these reviews: 1 helpful, 0 not helpful (one query)."""
    rows = await ReviewVote.select(ReviewVote.review, ReviewVote.helpful).where(
        (ReviewVote.account == viewer.id) & ReviewVote.review.is_in(list(review_ids))
    )
    return {row["review"]: row["helpful"] for row in rows}


# -- Votes ------------------------------------------------------------


@dataclass
class VoteResult:
    review_id: int
    product_id: int
    helpful_count: int
    not_helpful_count: int
    my_vote: int | None


async def vote(
    account: Account, review_id: int, choice: str, now: dt.datetime | None = None
) -> VoteResult:
    """Mark a review helpful / not helpful, change that, or withdraw it ("withdraw")."""
    if choice not in {"helpful", "not_helpful", "withdraw"}:
        raise ReviewError(Message(N_("Choose helpful or not helpful.")), 400)
    async with write_transaction(Review._meta.db):
        select = Review.select(Review.id, Review.product, Review.account, Review.status).where(
            Review.id == review_id
        )
        if is_postgres(Review._meta.db):
            # Votes on one review queue up here, so each recount sees all earlier votes.
            select = select.lock_rows()
        review = await select.first()
        if review is None or review["status"] != "approved":
            raise ReviewError(Message(N_("This review can't be voted on.")), 404)
        if review["account"] == account.id:
            raise ReviewError(Message(N_("You can't vote on your own review.")), 403)
        mine = (ReviewVote.review == review_id) & (ReviewVote.account == account.id)
        if choice == "withdraw":
            await ReviewVote.delete().where(mine)
        else:
            value = 1 if choice == "helpful" else 0
            if await ReviewVote.exists().where(mine):
                await ReviewVote.update({ReviewVote.helpful: value}).where(mine)
            else:
                await ReviewVote.insert(
                    ReviewVote(
                        review=review_id,
                        account=account.id,
                        helpful=value,
                        created_at=now or dt.datetime.now(dt.UTC),
                    )
                )
        helpful, not_helpful = await recount_votes(review_id)
    return VoteResult(
        review_id,
        review["product"],
        helpful,
        not_helpful,
        None if choice == "withdraw" else (1 if choice == "helpful" else 0),
    )


async def recount_votes(review_id: int) -> tuple[int, int]:
    """Set a review's counts and helpfulness score from its votes (inside the caller's
    transaction); returns (helpful, not helpful)."""
    counts = {
        row["helpful"]: row["n"]
        for row in await ReviewVote.select(ReviewVote.helpful, Count(alias="n"))
        .where(ReviewVote.review == review_id)
        .group_by(ReviewVote.helpful)
    }
    helpful, not_helpful = counts.get(1, 0), counts.get(0, 0)
    await Review.update(
        {
            Review.helpful_count: helpful,
            Review.not_helpful_count: not_helpful,
            Review.helpful_score: round(
                1_000_000 * wilson_lower_bound(helpful, helpful + not_helpful)
            ),
        }
    ).where(Review.id == review_id)
    return helpful, not_helpful
