"""Questions about a product: any verified shopper asks, staff answer in the admin
(services.moderation.answer_question), answered questions show on the product page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from okmarts.i18n import N_, Message
from okmarts.services import rate_limits
from okmarts.services.accounts import FormInvalid
from okmarts.services.rate_limits import Limit
from okmarts.tables.accounts import Account
from okmarts.tables.reviews import Question

BODY_MIN, BODY_MAX = 10, 2000
SHOWN = 20
QUESTIONS_PER_ACCOUNT = Limit("question-account", attempts=10, window=dt.timedelta(hours=1))


async def ask(
    account: Account, product_id: int, body: str, now: dt.datetime | None = None
) -> Question:
    """A question waiting for moderation and an answer."""
    body = (body or "").strip()
    if len(body) < BODY_MIN:
        raise FormInvalid(
            {"question": Message(N_("Write at least %(num)s characters."), {"num": BODY_MIN})}
        )
    if len(body) > BODY_MAX:
        raise FormInvalid(
            {"question": Message(N_("Use at most %(limit)s characters here."), {"limit": BODY_MAX})}
        )
    now = now or dt.datetime.now(dt.UTC)
    # Posting is rate-limited like signing in: a flood waits, the moderators' queue stays sane.
    await rate_limits.consume((QUESTIONS_PER_ACCOUNT, str(account.id)), now=now)
    question = Question(product=product_id, account=account.id, body=body, created_at=now)
    await question.save()
    return question


async def answered(product_id: int) -> list[dict[str, Any]]:
    """The product's published questions with their answers, newest answer first. (Raw SQL:
    every product page asks, and building the query costs more than running it.)"""
    return await Question.raw(
        "SELECT q.id, q.body, q.answer, q.answered_at, a.nickname AS nickname FROM question q"
        " LEFT JOIN account a ON a.id = q.account"
        " WHERE q.product = {} AND q.status = 'approved' AND q.answer != ''"
        f" ORDER BY q.answered_at DESC LIMIT {int(SHOWN)}",
        product_id,
    )


async def my_questions(account_id: int) -> list[dict[str, Any]]:
    return (
        await Question.select(
            Question.id,
            Question.body,
            Question.status,
            Question.answer,
            Question.rejection_reason,
            Question.created_at,
            Question.product.title.as_alias("product_title"),
            Question.product.slug.as_alias("slug"),
        )
        .where(Question.account == account_id)
        .order_by(Question.id, ascending=False)
    )
