"""Customer service: conversations between a shopper and the shop's staff (policy §1(1)2,
§1(2)3, §1(2)5). No HTTP here; the pages are controllers/support.py (shoppers) and the staff
inbox.

A conversation is about anything, a product (pre-sales) or an order (after-sales), and may
become a return or a complaint. Its status says who must act:
- unverified: a visitor's, until the emailed link is opened; staff don't see it;
- waiting_for_staff: the shopper wrote last (`waiting_since`: since when, for "overdue");
- waiting_for_shopper: staff answered;
- closed: done; a new message from either side reopens it.

Every write is one transaction holding the conversation's row. A message is never stored twice:
the form's one-time `client_key` is unique per conversation, so a double submit or a retried
request returns the message already stored. A staff reply and its email to the shopper are one
transaction (the email is an outbox insert).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from okmarts.db import lock_row, write_transaction
from okmarts.i18n import N_, Message
from okmarts.inputs import parse_int
from okmarts.services.accounts import FormInvalid
from okmarts.services.messaging import enqueue_email, notify_mail_queued
from okmarts.services.tokens import make_token, read_token
from okmarts.settings import Settings
from okmarts.tables.accounts import Account
from okmarts.tables.checkout import Order
from okmarts.tables.support import Conversation, ConversationMessage

TOPICS = {
    # TRANSLATORS: kind of customer-service conversation: anything
    "general": N_("General question"),
    # TRANSLATORS: kind of customer-service conversation: a question before buying a part
    "product": N_("Question about a part"),
    # TRANSLATORS: kind of customer-service conversation: help with an order
    "order": N_("Help with an order"),
    # TRANSLATORS: kind of customer-service conversation: returning parts of an order
    "return": N_("Return"),
    # TRANSLATORS: kind of customer-service conversation: a formal complaint
    "complaint": N_("Complaint"),
}
# What went wrong with an order (after-sales).
ORDER_REASONS = {
    "not_arrived": N_("It has not arrived"),
    "damaged": N_("A part arrived damaged"),
    "wrong_part": N_("I received the wrong part"),
    "invoice": N_("A question about the invoice"),
    "return": N_("I want to return parts"),
    "complaint": N_("I want to complain"),
    "other": N_("Something else"),
}
STATUSES = {
    # TRANSLATORS: conversation status: the visitor has not confirmed their email yet
    "unverified": N_("Waiting for your email confirmation"),
    # TRANSLATORS: conversation status: the shop must answer
    "waiting_for_staff": N_("Waiting for us"),
    # TRANSLATORS: conversation status: the shop answered, the shopper may reply
    "waiting_for_shopper": N_("Waiting for you"),
    # TRANSLATORS: conversation status: finished
    "closed": N_("Closed"),
}
SUBJECT_MAX = 200
BODY_MIN, BODY_MAX = 2, 5000
CLIENT_KEY_MAX = 64
REPLY_KIND = "support_reply"
VERIFY_KIND = "support_verify"
VERIFY_PURPOSE = "support-verify"
VERIFY_MAX_AGE = 7 * 24 * 3600


class SupportRefused(Exception):
    """A change that can't be made (not the shopper's order, a closed case…), with the message
    to show."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Posted:
    message_id: int
    created: bool  # False: the same client_key was posted before (nothing new stored)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def number_for(year: int, row_id: int) -> str:
    return f"S-{year}-{row_id:06d}"


def _checked_body(body: str, field: str = "body") -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if len(body) < BODY_MIN:
        raise FormInvalid(
            {field: Message(N_("Write at least %(num)s characters."), {"num": BODY_MIN})}
        )
    if len(body) > BODY_MAX:
        raise FormInvalid(
            {field: Message(N_("Use at most %(limit)s characters here."), {"limit": BODY_MAX})}
        )
    return body


def _checked_key(client_key: str | None) -> str | None:
    key = (client_key or "").strip()
    return key[:CLIENT_KEY_MAX] or None


async def open_conversation(
    settings: Settings,
    *,
    account: Account | None,
    email: str,
    locale: str,
    body: str,
    subject: str = "",
    topic: str = "general",
    reason: str = "",
    product_id: int | None = None,
    order_id: int | None = None,
    client_key: str | None = None,
    now: dt.datetime | None = None,
) -> Conversation:
    """Start a conversation with its first message. A signed-in shopper's goes to staff at once;
    a visitor's waits, unverified, until the link emailed to `email` is opened (`verify`).

    `order_id` must be the account's own order (SupportRefused otherwise). The same
    `client_key` posted again returns the conversation it started."""
    now = now or now_utc()
    body = _checked_body(body)
    subject = " ".join((subject or "").split())[:SUBJECT_MAX]
    if topic not in TOPICS:
        topic = "general"
    if reason and reason not in ORDER_REASONS:
        reason = "other"
    key = _checked_key(client_key)
    if order_id is not None:
        owner = await Order.select(Order.account).where(Order.id == order_id).first()
        if owner is None or account is None or owner["account"] != account.id:
            raise SupportRefused(Message(N_("There is no such order in your account.")))
    async with write_transaction(Conversation._meta.db):
        if key is not None:
            started = await _started_with(key, account, email)
            if started is not None:
                return started
        conversation = Conversation(
            number=f"new-{secrets.token_hex(8)}",  # unique as random; the id makes the real one
            account=account.id if account is not None else None,
            email=email,
            locale=locale,
            topic=topic,
            reason=reason,
            subject=subject or body.split("\n", 1)[0][:80],
            product=product_id,
            order=order_id,
            status="waiting_for_staff" if account is not None else "unverified",
            created_at=now,
            updated_at=now,
            verified_at=now if account is not None else None,
            waiting_since=now,
        )
        await conversation.save()
        conversation.number = number_for(now.year, conversation.id)
        await Conversation.update({Conversation.number: conversation.number}).where(
            Conversation.id == conversation.id
        )
        await ConversationMessage.insert(
            ConversationMessage(
                conversation=conversation.id,
                author="shopper",
                body=body,
                client_key=key,
                created_at=now,
            )
        )
        if account is None:
            await enqueue_email(
                kind=VERIFY_KIND,
                recipient=email,
                locale=locale,
                context={
                    "about": conversation.subject,
                    "link": f"{settings.base_url}/support/verify?token="
                    + verification_token(settings, conversation),
                },
            )
    if account is None:
        notify_mail_queued()
    return conversation


async def _started_with(key: str, account: Account | None, email: str) -> Conversation | None:
    """The conversation whose first message carried this one-time key (by the same sender)."""
    sender = (
        Conversation.account == account.id
        if account is not None
        else Conversation.account.is_null() & (Conversation.email == email)
    )
    started = ConversationMessage.select(ConversationMessage.conversation).where(
        ConversationMessage.client_key == key
    )
    return await Conversation.objects().where(Conversation.id.is_in(started) & sender).first()


def _token(settings: Settings, purpose: str, conversation: Conversation) -> str:
    """A signed link to one conversation, bound to the address it answers to."""
    return make_token(
        settings.secret_key, purpose, {"c": int(conversation.id), "e": conversation.email}
    )


async def linked_conversation(
    settings: Settings, purpose: str, token: str, max_age: int, refused: Message
) -> Conversation:
    """The conversation a `_token` link names, still answering to the address the link was made
    for: TokenError/TokenExpired for a bad link, SupportRefused(`refused`) when the conversation
    is gone (erased) or answers to another address now."""
    payload = read_token(settings.secret_key, purpose, token[:1000], max_age)
    conversation_id = parse_int(str(payload.get("c")), minimum=1)
    conversation = (
        await Conversation.objects().where(Conversation.id == conversation_id).first()
        if conversation_id is not None
        else None
    )
    if conversation is None or conversation.email != payload.get("e"):
        raise SupportRefused(refused)
    return conversation


def verification_token(settings: Settings, conversation: Conversation) -> str:
    return _token(settings, VERIFY_PURPOSE, conversation)


def read_verification(settings: Settings, token: str) -> dict[str, Any]:
    """The emailed link's payload, checking it only (the confirm page's GET changes nothing);
    TokenError/TokenExpired for a bad link. (Added by H-chat.)"""
    return read_token(settings.secret_key, VERIFY_PURPOSE, token, VERIFY_MAX_AGE)


async def verify(settings: Settings, token: str, now: dt.datetime | None = None) -> Conversation:
    """A visitor opened the emailed link: the conversation goes to staff. Idempotent (a second
    visit finds it verified). TokenError/TokenExpired for a bad link."""
    payload = read_token(settings.secret_key, VERIFY_PURPOSE, token, VERIFY_MAX_AGE)
    now = now or now_utc()
    async with write_transaction(Conversation._meta.db):
        await lock_row(Conversation, int(payload["c"]))
        conversation = (
            await Conversation.objects().where(Conversation.id == int(payload["c"])).first()
        )
        if conversation is None or conversation.email != payload["e"]:
            raise SupportRefused(Message(N_("This link is no longer valid.")))
        if conversation.status == "unverified":
            await Conversation.update(
                {
                    Conversation.status: "waiting_for_staff",
                    Conversation.verified_at: now,
                    Conversation.waiting_since: now,
                    Conversation.updated_at: now,
                }
            ).where((Conversation.id == conversation.id) & (Conversation.status == "unverified"))
            conversation.status, conversation.verified_at = "waiting_for_staff", now
    return conversation


async def post_message(
    settings: Settings,
    conversation_id: int,
    *,
    author: str,
    body: str,
    staff_username: str = "",
    internal: bool = False,
    client_key: str | None = None,
    now: dt.datetime | None = None,
) -> Posted:
    """Add a message and move the status (see the module's docstring); one transaction.

    author "shopper": the shopper wrote (reopens a closed case; waits for staff).
    author "staff": a reply, emailed to the shopper in their language in the same transaction
    (or, `internal=True`, a note the shopper never sees: no status change, no email).
    author "system": a line in the history (status changes), no status change.
    """
    if author not in ("shopper", "staff", "system"):
        raise ValueError(author)
    now = now or now_utc()
    body = _checked_body(body) if author != "system" else body
    key = _checked_key(client_key)
    internal = internal and author == "staff"
    mailed = False
    async with write_transaction(Conversation._meta.db):
        await lock_row(Conversation, conversation_id)
        conversation = (
            await Conversation.objects().where(Conversation.id == conversation_id).first()
        )
        if conversation is None:
            raise SupportRefused(Message(N_("There is no such conversation.")))
        if conversation.status == "unverified" and author != "system":
            raise SupportRefused(
                Message(N_("Confirm your email first: open the link we sent you."))
            )
        if key is not None:
            before = (
                await ConversationMessage.select(ConversationMessage.id)
                .where(
                    (ConversationMessage.conversation == conversation_id)
                    & (ConversationMessage.client_key == key)
                )
                .first()
            )
            if before is not None:
                return Posted(int(before["id"]), created=False)
        rows = await ConversationMessage.insert(
            ConversationMessage(
                conversation=conversation_id,
                author=author,
                staff_username=staff_username if author == "staff" else "",
                internal=internal,
                body=body,
                client_key=key,
                created_at=now,
            )
        ).returning(ConversationMessage.id)
        changes: dict[Any, Any] = {Conversation.updated_at: now}
        if author == "shopper":
            changes[Conversation.status] = "waiting_for_staff"
            changes[Conversation.closed_at] = None
            if conversation.waiting_since is None:
                changes[Conversation.waiting_since] = now
        elif author == "staff" and not internal:
            changes[Conversation.status] = "waiting_for_shopper"
            changes[Conversation.closed_at] = None
            changes[Conversation.waiting_since] = None
            if conversation.first_answered_at is None:
                changes[Conversation.first_answered_at] = now
            if conversation.email:
                await enqueue_email(
                    kind=REPLY_KIND,
                    recipient=conversation.email,
                    locale=conversation.locale,
                    account_id=conversation.account,
                    context={
                        "number": conversation.number,
                        "about": conversation.subject,
                        "answer": body,
                        "link": f"{settings.base_url}{conversation_path(conversation, settings)}",
                    },
                )
                mailed = True
        await Conversation.update(changes).where(Conversation.id == conversation_id)
    if mailed:
        notify_mail_queued()
    return Posted(int(rows[0]["id"]), created=True)


def conversation_path(conversation: Conversation, settings: Settings) -> str:
    """Where the shopper reads a conversation: their account's page, or, for a visitor, a
    signed link (there is no account to sign in to)."""
    if conversation.account is not None:
        return f"/account/support/{conversation.number}"
    return f"/support/c/{visitor_token(settings, conversation)}"


VISITOR_PURPOSE = "support-visitor"
VISITOR_MAX_AGE = 365 * 24 * 3600


def visitor_token(settings: Settings, conversation: Conversation) -> str:
    return _token(settings, VISITOR_PURPOSE, conversation)


async def by_visitor_token(settings: Settings, token: str) -> Conversation:
    """The visitor's conversation of a signed link (TokenError for a bad one; SupportRefused
    when it no longer exists)."""
    refused = Message(N_("This link is no longer valid."))
    conversation = await linked_conversation(
        settings, VISITOR_PURPOSE, token, VISITOR_MAX_AGE, refused
    )
    if conversation.account:
        raise SupportRefused(refused)
    return conversation


async def set_status(
    settings: Settings,
    conversation_id: int,
    status: str,
    *,
    by: str,
    now: dt.datetime | None = None,
) -> bool:
    """Close or reopen (status "closed" or "waiting_for_staff"); a system line records who did
    it. Closing emails the shopper the satisfaction survey in the same transaction
    (services.support_survey). Returns False when it already had that status (nothing
    changed)."""
    if status not in ("closed", "waiting_for_staff"):
        raise ValueError(status)
    now = now or now_utc()
    async with write_transaction(Conversation._meta.db):
        leaving = ["waiting_for_staff", "waiting_for_shopper"] if status == "closed" else ["closed"]
        changed = (
            await Conversation.update(
                {
                    Conversation.status: status,
                    Conversation.updated_at: now,
                    Conversation.closed_at: now if status == "closed" else None,
                    Conversation.waiting_since: None if status == "closed" else now,
                }
            )
            .where((Conversation.id == conversation_id) & Conversation.status.is_in(leaving))
            .returning(Conversation.id)
        )
        if not changed:
            return False
        await ConversationMessage.insert(
            ConversationMessage(
                conversation=conversation_id,
                author="system",
                staff_username=by,
                body=status,
                created_at=now,
            )
        )
        surveyed = False
        if status == "closed":
            # The one-question survey (services.support_survey), emailed with the closing.
            from okmarts.services import support_survey  # it builds on this module

            closed = await Conversation.objects().where(Conversation.id == conversation_id).first()
            assert closed is not None  # updated above, in this transaction
            surveyed = await support_survey.queue_survey_email(settings, closed)
    if surveyed:
        notify_mail_queued()
    return True
