"""Review states: a reviewer (verified or not) and a review approved by moderation."""

from __future__ import annotations

from okmarts.services import moderation, reviews
from okmarts.tables.reviews import Review
from tests.states.accounts import verified_shopper
from tests.states.orders import bought


async def approved_review(product: dict, rating: int = 4) -> Review:
    author = await verified_shopper()
    line = await bought(author, product)
    review = await reviews.submit_review(
        author, line, str(rating), "Solid relay", "Switches cleanly at 24 V, easy to mount."
    )
    await moderation.decide_reviews([review.id], "approved", staff="mod")
    return review
