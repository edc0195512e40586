"""The moderation forms: decide reviews, decide questions, answer a question.

They call services.moderation with the signed-in staff user's name, so every decision is
recorded; the decision forms' descriptions carry the comment rules, code by code. The decision
and the rule are choice lists ("(none)" first), the answer a text area: a field's `extra`
(`choices`, `widget`) as Piccolo Admin reads a column's, which its forms use through admin.ui.
For one item at a time, the moderation queue (admin.queue) needs no ids.
"""

from __future__ import annotations

import re
from typing import Any

from piccolo.table import Table
from piccolo_admin.endpoints import FormConfig
from pydantic import BaseModel, Field, field_validator
from starlette.requests import Request

from okmarts.admin import queue
from okmarts.admin.moderation import (
    ANSWER_QUESTION_FORM,
    DECIDE_QUESTIONS_FORM,
    DECIDE_REVIEWS_FORM,
    MENU_GROUP,
    rules_text,
    staff_username,
)
from okmarts.admin.ui import TEXT_AREA, choice_list
from okmarts.inputs import parse_int
from okmarts.services import moderation
from okmarts.settings import Settings
from okmarts.tables.reviews import Question, Review

MAX_IDS = 200
DECISION_CHOICES = {
    "": "(none)",
    "approved": "Approve: publish",
    "rejected": "Reject: name the rule broken",
}


def reason_choices() -> dict[str, Any]:
    """The comment rules as the comment-rules page writes them, "(none)" first."""
    return choice_list({"": "(none)", **moderation.RULES})


def parse_ids(text: str) -> list[int]:
    """Ids typed comma- or space-separated, in order, without repeats."""
    parts = [part for part in re.split(r"[\s,;]+", text.strip()) if part]
    if not parts:
        raise ValueError("Give at least one id.")
    numbers = [parse_int(part, minimum=1) for part in parts]
    bad = [part for part, number in zip(parts, numbers, strict=True) if number is None]
    if bad:
        raise ValueError(f"Not an id: {bad[0]}. Separate ids with commas or spaces.")
    ids = list(dict.fromkeys(number for number in numbers if number is not None))
    if len(ids) > MAX_IDS:
        raise ValueError(f"At most {MAX_IDS} ids at once.")
    return ids


def _decision(value: str) -> str:
    value = value.strip().lower()
    value = {"approve": "approved", "reject": "rejected"}.get(value, value)
    if not value:
        raise ValueError("Choose the decision: approve or reject.")
    if value not in moderation.DECISIONS:
        raise ValueError(f"Choose one of: {', '.join(moderation.DECISIONS)}.")
    return value


class ReviewsDecision(BaseModel):
    """The form's fields: the ids typed, the decision and the rule chosen from lists."""

    review_ids: str = Field(
        title="Review ids (the list's id column; comma- or space-separated)", max_length=2000
    )
    decision: str = Field(
        default="",
        title="Decision",
        validate_default=True,
        json_schema_extra=choice_list(DECISION_CHOICES),
    )
    reason: str = Field(
        default="",
        title="Rule broken (for a rejection)",
        max_length=30,
        json_schema_extra=reason_choices(),
    )

    @field_validator("review_ids")
    @classmethod
    def _ids(cls, value: str) -> str:
        return ", ".join(str(item) for item in parse_ids(value))

    @field_validator("decision")
    @classmethod
    def _decision(cls, value: str) -> str:
        return _decision(value)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        return value.strip().lower()


class QuestionsDecision(BaseModel):
    question_ids: str = Field(
        title="Question ids (the list's id column; comma- or space-separated)", max_length=2000
    )
    decision: str = Field(
        default="",
        title="Decision",
        validate_default=True,
        json_schema_extra=choice_list(DECISION_CHOICES),
    )
    reason: str = Field(
        default="",
        title="Rule broken (for a rejection)",
        max_length=30,
        json_schema_extra=reason_choices(),
    )

    @field_validator("question_ids")
    @classmethod
    def _ids(cls, value: str) -> str:
        return ", ".join(str(item) for item in parse_ids(value))

    @field_validator("decision")
    @classmethod
    def _decision(cls, value: str) -> str:
        return _decision(value)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        return value.strip().lower()


class QuestionAnswer(BaseModel):
    question_id: int = Field(title="Question id (the list's id column)", gt=0)
    answer: str = Field(
        title="Answer", max_length=moderation.ANSWER_MAX_LENGTH, json_schema_extra=TEXT_AREA
    )


def _listed(ids: list[int]) -> str:
    return ", ".join(str(item) for item in ids)


async def _decide(
    table: type[Table], kind: str, ids: list[int], decision: str, reason: str, staff: str
) -> str:
    """Decide on the rows `ids` of `table`; the answer says what changed and what already was."""
    found = {row["id"] for row in await table.select(table.id).where(table.id.is_in(ids))}
    missing = [item for item in ids if item not in found]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise ValueError(f"There is no {kind}{plural} {_listed(missing)}. Nothing was changed.")
    decide = moderation.decide_reviews if kind == "review" else moderation.decide_questions
    try:
        changed = await decide(ids, decision, reason=reason, staff=staff)
    except moderation.ModerationRefused as refused:
        raise ValueError(str(refused)) from None
    verb = "Approved" if decision == "approved" else f"Rejected ({reason})"
    parts = []
    if changed:
        plural = "s" if len(changed) > 1 else ""
        parts.append(f"{verb} {len(changed)} {kind}{plural}: {_listed(sorted(changed))}.")
    unchanged = [item for item in ids if item not in set(changed)]
    if unchanged:
        parts.append(f"Already {decision}, left as they were: {_listed(unchanged)}.")
    return " ".join(parts)


def moderation_forms(settings: Settings) -> list[FormConfig]:
    """Decide reviews, decide questions, answer a question: through the moderation service."""

    async def decide_reviews(request: Request, data: ReviewsDecision) -> str:
        return await _decide(
            Review,
            "review",
            parse_ids(data.review_ids),
            data.decision,
            data.reason,
            staff_username(request),
        )

    async def decide_questions(request: Request, data: QuestionsDecision) -> str:
        return await _decide(
            Question,
            "question",
            parse_ids(data.question_ids),
            data.decision,
            data.reason,
            staff_username(request),
        )

    async def answer_question(request: Request, data: QuestionAnswer) -> str:
        try:
            question = await moderation.answer_question(
                data.question_id, data.answer, staff=staff_username(request), settings=settings
            )
        except moderation.ModerationRefused as refused:
            raise ValueError(str(refused)) from None
        emailed = " The asker gets an email." if question.account else ""
        return f"Question {question.id} is answered and published.{emailed}"

    codes = ", ".join(moderation.RULES)
    decide_help = (
        "Approve publishes; reject hides, naming the comment rule broken. "
        f"Every decision is recorded with your name in moderation_decision. Reason codes: {codes}. "
        f"The rules: {rules_text()}"
    )
    one_by_one = f'To read each item in full and decide it in one click: "{queue.LINK_NAME}".'

    return [
        FormConfig(
            name=DECIDE_REVIEWS_FORM,
            pydantic_model=ReviewsDecision,
            endpoint=decide_reviews,
            description=f"Approve or reject one review or a selection (ids from the review list). "
            f"{one_by_one} {decide_help}",
            form_group=MENU_GROUP,
        ),
        FormConfig(
            name=DECIDE_QUESTIONS_FORM,
            pydantic_model=QuestionsDecision,
            endpoint=decide_questions,
            description=f"Approve or reject one question or a selection; an approved question "
            f"shows on the product page once it has an answer. {one_by_one} {decide_help}",
            form_group=MENU_GROUP,
        ),
        FormConfig(
            name=ANSWER_QUESTION_FORM,
            pydantic_model=QuestionAnswer,
            endpoint=answer_question,
            description="Publish the shop's answer to a question (it approves the question) and "
            "email the asker, in their language. Answering again replaces the answer. "
            f"You can also answer in the question's own edit form. {one_by_one}",
            form_group=MENU_GROUP,
        ),
    ]
