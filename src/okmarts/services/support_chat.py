"""The shoppers' side of customer service (issue 16, H-chat): what their pages read, and the rate
limits on writing. The rules of a conversation are services/support.py; files are
services/support_files.py. No HTTP here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from okmarts.i18n import N_
from okmarts.services import rate_limits
from okmarts.tables.catalog import Product
from okmarts.tables.checkout import Order
from okmarts.tables.support import Conversation, ConversationAttachment, ConversationMessage

# New conversations: per account or IP, and per visitor email (each verification link is a mail).
NEW_PER_SUBJECT = rate_limits.Limit("support-new", attempts=10, window=dt.timedelta(hours=1))
NEW_PER_EMAIL = rate_limits.Limit("support-new-email", attempts=5, window=dt.timedelta(hours=1))
# Messages in conversations: per account or IP.
MESSAGES_PER_SUBJECT = rate_limits.Limit(
    "support-message", attempts=60, window=dt.timedelta(hours=1)
)
# Topics a shopper picks on "Contact us" (returns and complaints start from an order or a case).
PICKABLE_TOPICS = ("general", "product", "order")
# TRANSLATORS: who wrote a message in a customer-service conversation: the shop's staff
STAFF_NAME = N_("Okmarts customer service")


@dataclass
class Attachment:
    id: int
    kind: str
    filename: str
    size_bytes: int


@dataclass
class Line:
    id: int
    author: str
    body: str
    created_at: dt.datetime
    attachments: list[Attachment] = field(default_factory=list)


@dataclass
class Thread:
    conversation: Conversation
    lines: list[Line]
    product: dict[str, Any] | None
    order_number: str | None

    @property
    def last_id(self) -> int:
        return self.lines[-1].id if self.lines else 0


def _visible() -> Any:
    return ConversationMessage.internal == False


async def conversations_of(account_id: int) -> list[dict[str, Any]]:
    """The account's conversations, newest activity first (one query)."""
    return await (
        Conversation.select(
            Conversation.number,
            Conversation.subject,
            Conversation.topic,
            Conversation.status,
            Conversation.created_at,
            Conversation.updated_at,
        )
        .where(Conversation.account == account_id)
        .order_by(Conversation.updated_at, ascending=False)
        .limit(500)
    )


async def own_conversation(account_id: int, number: str) -> Conversation | None:
    return (
        await Conversation.objects()
        .where((Conversation.number == number[:20]) & (Conversation.account == account_id))
        .first()
    )


async def last_visible_id(conversation_id: int) -> int:
    """The newest message the shopper sees (the poll's "anything new?", one query)."""
    row = (
        await ConversationMessage.select(ConversationMessage.id)
        .where((ConversationMessage.conversation == conversation_id) & _visible())
        .order_by(ConversationMessage.id, ascending=False)
        .first()
    )
    return int(row["id"]) if row else 0


async def thread(conversation: Conversation) -> Thread:
    """The messages the shopper sees (never staff's internal notes) with their files; a fixed
    number of queries however long the conversation."""
    rows = await (
        ConversationMessage.select(
            ConversationMessage.id,
            ConversationMessage.author,
            ConversationMessage.body,
            ConversationMessage.created_at,
        )
        .where((ConversationMessage.conversation == conversation.id) & _visible())
        .order_by(ConversationMessage.id)
    )
    lines = {row["id"]: Line(**row) for row in rows}
    if lines:
        for row in (
            await ConversationAttachment.select(
                ConversationAttachment.id,
                ConversationAttachment.message,
                ConversationAttachment.kind,
                ConversationAttachment.filename,
                ConversationAttachment.size_bytes,
            )
            .where(ConversationAttachment.message.is_in(list(lines)))
            .order_by(ConversationAttachment.id)
        ):
            message = row.pop("message")
            lines[message].attachments.append(Attachment(**row))
    product = order_number = None
    if conversation.product is not None:
        product = (
            await Product.select(Product.slug, Product.title)
            .where(Product.id == conversation.product)
            .first()
        )
    if conversation.order is not None:
        found = await Order.select(Order.number).where(Order.id == conversation.order).first()
        order_number = found["number"] if found else None
    return Thread(conversation, list(lines.values()), product, order_number)


async def attachment_of(
    conversation_id: int, attachment_id: int, *, staff: bool = False
) -> dict[str, Any] | None:
    """An attachment of a message of this conversation: one the shopper may download (not on an
    internal note), or for `staff` any of them."""
    messages = ConversationMessage.conversation == conversation_id
    return (
        await ConversationAttachment.select(
            ConversationAttachment.path,
            ConversationAttachment.filename,
            ConversationAttachment.content_type,
        )
        .where(
            (ConversationAttachment.id == attachment_id)
            & ConversationAttachment.message.is_in(
                ConversationMessage.select(ConversationMessage.id).where(
                    messages if staff else messages & _visible()
                )
            )
        )
        .first()
    )


async def product_for(slug: str) -> dict[str, Any] | None:
    return (
        await Product.select(Product.id, Product.slug, Product.title)
        .where(Product.slug == slug[:200])
        .first()
    )


async def order_for(account_id: int, number: str) -> dict[str, Any] | None:
    """The account's own order of that number (None: not there, or another's)."""
    return (
        await Order.select(Order.id, Order.number)
        .where((Order.number == number[:20]) & (Order.account == account_id))
        .first()
    )


def promise_hours(hours: int) -> tuple[str, int]:
    """How the response promise reads: ("days", n) for whole days, else ("hours", n)."""
    if hours % 24 == 0:
        return "days", hours // 24
    return "hours", hours
