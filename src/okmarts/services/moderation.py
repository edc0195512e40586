"""Moderation: the comment rules, decisions on reviews and questions, answers, and their audit.

Every decision is recorded (who, what, when) in ModerationDecision, in the same transaction as
the change it records; publishing an answer emails the asker through the outbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from okmarts.db import lock_row, write_transaction
from okmarts.i18n import N_
from okmarts.services.messaging import enqueue_email, notify_mail_queued
from okmarts.settings import Settings
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.tables.reviews import ModerationDecision, Question, Review

# The public comment rules, by code: the page lists them, a rejection names one.
RULES: dict[str, str] = {
    "off_topic": N_(
        "Write about the product: how it performed, how it was to install, what it works with."
    ),
    "uncivil": N_("Be civil: no insults, threats, harassment or discriminating language."),
    "personal_data": N_(
        "No personal data: do not post phone numbers, addresses or emails, yours or anyone else's."
    ),
    "advertising": N_("No advertising, links to other shops or spam."),
    "illegal": N_(
        "No content that is illegal, infringes rights or that you are not allowed to share."
    ),
    "order_issue": N_("Order problems belong with customer service, not in a review."),
}
DECISIONS = ("approved", "rejected")
ANSWER_MAX_LENGTH = 5000


class ModerationRefused(ValueError):
    """A decision that can't be taken (unknown reason, empty answer…): the text says why."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _check(decision: str, reason: str) -> str:
    if decision not in DECISIONS:
        raise ModerationRefused(f"Decide 'approved' or 'rejected', not {decision!r}.")
    if decision == "rejected" and reason not in RULES:
        raise ModerationRefused(
            "A rejection names the comment rule it breaks: " + ", ".join(RULES) + "."
        )
    return reason if decision == "rejected" else ""


async def _record(
    item_type: str, ids: Sequence[int], decision: str, reason: str, staff: str, now: dt.datetime
) -> None:
    if ids:
        await ModerationDecision.insert(
            *(
                ModerationDecision(
                    item_type=item_type,
                    item_id=item_id,
                    decision=decision,
                    reason=reason,
                    staff=staff[:120],
                    created_at=now,
                )
                for item_id in ids
            )
        )


async def _decide(
    table: type[Review] | type[Question],
    item_type: str,
    ids: Sequence[int],
    decision: str,
    reason: str,
    staff: str,
    now: dt.datetime | None,
) -> list[int]:
    reason = _check(decision, reason)
    now = now or _now()
    async with write_transaction(table._meta.db):
        changed = [
            row["id"]
            for row in await table.update(
                {
                    table.status: decision,
                    table.rejection_reason: reason,
                    table.moderated_by: staff[:120],
                    table.moderated_at: now,
                }
            )
            .where(table.id.is_in(list(ids) or [0]) & (table.status != decision))
            .returning(table.id)
        ]
        await _record(item_type, changed, decision, reason, staff, now)
    return changed


async def decide_reviews(
    review_ids: Sequence[int],
    decision: str,
    *,
    reason: str = "",
    staff: str,
    now: dt.datetime | None = None,
) -> list[int]:
    """Approve or reject reviews (one or a selection); returns the ids that changed."""
    return await _decide(Review, "review", review_ids, decision, reason, staff, now)


async def decide_questions(
    question_ids: Sequence[int],
    decision: str,
    *,
    reason: str = "",
    staff: str,
    now: dt.datetime | None = None,
) -> list[int]:
    """Approve or reject questions; an approved question shows once it has an answer."""
    return await _decide(Question, "question", question_ids, decision, reason, staff, now)


async def answer_question(
    question_id: int,
    answer: str,
    *,
    staff: str,
    settings: Settings,
    now: dt.datetime | None = None,
) -> Question:
    """Publish staff's answer (approving the question) and email the asker, in their language."""
    answer = answer.strip()
    if not answer:
        raise ModerationRefused("Write the answer first.")
    if len(answer) > ANSWER_MAX_LENGTH:
        raise ModerationRefused(f"An answer has at most {ANSWER_MAX_LENGTH} characters.")
    now = now or _now()
    async with write_transaction(Question._meta.db):
        # Two staff answering at once: the second waits, then sees the first answer (one email).
        await lock_row(Question, question_id)
        question = await Question.objects().where(Question.id == question_id).first()
        if question is None:
            raise ModerationRefused(f"There is no question {question_id}.")
        first_answer = not question.answer
        question.answer, question.answered_by, question.answered_at = answer, staff[:120], now
        question.status, question.rejection_reason = "approved", ""
        question.moderated_by, question.moderated_at = staff[:120], now
        await question.save()
        await _record("question", [question.id], "answered", "", staff, now)
        asker = (
            await Account.objects().where(Account.id == question.account).first()
            if question.account
            else None
        )
        product = (
            await Product.select(Product.title, Product.slug)
            .where(Product.id == question.product)
            .first()
        )
        if asker is not None and product is not None:
            await enqueue_email(
                kind="question_answered",
                recipient=asker.email,
                locale=asker.locale,
                account_id=asker.id,
                context={
                    "product_title": product["title"],
                    "question": question.body,
                    "answer": answer,
                    "updated": not first_answer,
                    "link": (
                        f"{settings.base_url}/products/{product['slug']}#question-{question.id}"
                    ),
                },
            )
    notify_mail_queued()
    return question


async def decisions_about(item_type: str, item_id: int) -> list[dict]:
    return (
        await ModerationDecision.select()
        .where(
            (ModerationDecision.item_type == item_type) & (ModerationDecision.item_id == item_id)
        )
        .order_by(ModerationDecision.id)
    )
