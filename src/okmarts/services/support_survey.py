"""The one-question survey sent when a conversation closes (issue 16; policy §1(2)5,
"questionnaires and surveys"). No HTTP here: the page is controllers/support_survey.py.

When staff close a conversation (support.set_status), the shopper is emailed in their language,
in the same transaction, through the outbox: kind `support_survey`, notification type
SERVICE_REPLIES. It is information about the shopper's own case that they may turn off with
the other customer-service mail, not transactional mail the shop must send (nothing is lost
without it), and never marketing. The email, and the closed conversation's page until it is
answered, link to /support/survey/<token>: a signed token (support's `_token`, bound to the
conversation and the address it answers to) valid SURVEY_MAX_AGE.

One answer per conversation (SurveyAnswer.conversation is unique, and the answer is written
holding the conversation's row): a second or concurrent answer stores nothing and says it was
answered. Statistics read only aggregates (services.support_stats); erasing the conversation
blanks the comment and cuts the link, so only an anonymous rating stays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from okmarts.db import lock_row, write_transaction
from okmarts.i18n import N_, Message
from okmarts.inputs import parse_int
from okmarts.services import support
from okmarts.services.accounts import FormInvalid
from okmarts.services.messaging import enqueue_email
from okmarts.settings import Settings
from okmarts.tables.support import Conversation
from okmarts.tables.support_staff import SurveyAnswer

SURVEY_KIND = "support_survey"
SURVEY_PURPOSE = "support-survey"
SURVEY_MAX_AGE = 30 * 24 * 3600
COMMENT_MAX = 2000
RATINGS = {
    # TRANSLATORS: survey answer 1 of 5 to "How satisfied are you with our help?"
    1: N_("Very dissatisfied"),
    # TRANSLATORS: survey answer 2 of 5
    2: N_("Dissatisfied"),
    # TRANSLATORS: survey answer 3 of 5
    3: N_("Neither satisfied nor dissatisfied"),
    # TRANSLATORS: survey answer 4 of 5
    4: N_("Satisfied"),
    # TRANSLATORS: survey answer 5 of 5
    5: N_("Very satisfied"),
}


@dataclass(frozen=True)
class Survey:
    """What the survey page shows: the case it is about, and whether it was answered."""

    conversation_id: int
    number: str
    subject: str
    answered: bool


def survey_token(settings: Settings, conversation: Conversation) -> str:
    return support._token(settings, SURVEY_PURPOSE, conversation)


def survey_path(settings: Settings, conversation: Conversation) -> str:
    return f"/support/survey/{survey_token(settings, conversation)}"


async def queue_survey_email(settings: Settings, conversation: Conversation) -> bool:
    """Inside the transaction that closed `conversation`: email the survey in the shopper's
    language, unless it was answered already (a case reopened and closed again). True when an
    email was queued (the caller wakes the sender after its commit)."""
    if not conversation.email:
        return False
    if await SurveyAnswer.exists().where(SurveyAnswer.conversation == conversation.id):
        return False
    queued = await enqueue_email(
        kind=SURVEY_KIND,
        recipient=conversation.email,
        locale=conversation.locale,
        account_id=conversation.account,
        context={
            "number": conversation.number,
            # Not "subject": the renderer gives that name to the email's own subject line.
            "about": conversation.subject,
            "link": f"{settings.base_url}{survey_path(settings, conversation)}",
        },
    )
    return queued is not None


async def pending_path(settings: Settings, conversation: Conversation) -> str:
    """The survey's link for a closed conversation not answered yet, else "" (one query)."""
    if conversation.status != "closed" or not conversation.email:
        return ""
    if await SurveyAnswer.exists().where(SurveyAnswer.conversation == conversation.id):
        return ""
    return survey_path(settings, conversation)


async def _conversation_of(settings: Settings, token: str) -> Conversation:
    """The conversation of a genuine link; TokenError/TokenExpired, or SupportRefused when the
    conversation is gone (erased) or answers to another address now."""
    return await support.linked_conversation(
        settings,
        SURVEY_PURPOSE,
        token,
        SURVEY_MAX_AGE,
        Message(N_("This survey link is no longer valid.")),
    )


async def read_survey(settings: Settings, token: str) -> Survey:
    """The survey behind a link, for its page (reads only: a GET changes nothing)."""
    conversation = await _conversation_of(settings, token)
    answered = await SurveyAnswer.exists().where(SurveyAnswer.conversation == conversation.id)
    return Survey(
        conversation_id=conversation.id,
        number=conversation.number,
        subject=conversation.subject,
        answered=answered,
    )


def checked_answer(rating: object, comment: object) -> tuple[int, str]:
    """The rating (1–5) and the comment (optional, at most COMMENT_MAX characters), or
    FormInvalid naming what is wrong."""
    errors: dict[str, Message] = {}
    value = parse_int(rating, minimum=1, maximum=5)
    if value is None:
        errors["rating"] = Message(N_("Choose how satisfied you are, from 1 to 5."))
    text = (comment if isinstance(comment, str) else "").replace("\r\n", "\n").strip()
    if len(text) > COMMENT_MAX:
        errors["comment"] = Message(
            N_("Use at most %(limit)s characters here."), {"limit": COMMENT_MAX}
        )
    if errors:
        raise FormInvalid(errors)
    assert value is not None
    return value, text


async def answer(
    settings: Settings,
    token: str,
    *,
    rating: object,
    comment: object = "",
    now: dt.datetime | None = None,
) -> bool:
    """Record the answer of a survey link, once: True when stored, False when the conversation
    was answered before (nothing changes). FormInvalid for a bad rating or comment;
    TokenError/TokenExpired/SupportRefused for a bad link."""
    value, text = checked_answer(rating, comment)
    conversation = await _conversation_of(settings, token)
    now = now or support.now_utc()
    async with write_transaction(Conversation._meta.db):
        # Two answers at once queue up here (and the unique column is the backstop).
        await lock_row(Conversation, conversation.id)
        if await SurveyAnswer.exists().where(SurveyAnswer.conversation == conversation.id):
            return False
        await SurveyAnswer.insert(
            SurveyAnswer(conversation=conversation.id, rating=value, comment=text, created_at=now)
        )
    return True
