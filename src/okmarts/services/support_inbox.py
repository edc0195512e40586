"""The staff's service inbox (issue 16): what an agent works in all day. No HTTP here; the pages
are admin/service.py.

- The inbox: open conversations (never a visitor's unconfirmed one) sorted by how overdue they
  are: waiting for us, the longest waiting first (`waiting_since` against
  settings.support_response_hours), then those waiting for the shopper. Filters (waiting for us,
  waiting for the shopper, returns, complaints, mine, unassigned, closed), pages, and the count
  of every filter: a fixed number of queries however many rows.
- A case: the conversation with every message (internal notes too), and only what the case
  needs of the shopper (name, the conversation's email; an order's number, status and lines; the
  shipping address only for a return).
- Assignment: take, assign to a named service agent, unassign; each a conditional UPDATE on the
  assignee the agent saw (two agents taking one case: one wins, the other is told), with a staff
  -only system line in the conversation.
- Saved replies: listed for the conversation's language (and those for any), created, edited,
  deleted, validated.

Replies and notes go through services.support.post_message, close and reopen through
services.support.set_status. Staff pages are English, like the admin: messages here are too.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from piccolo.apps.user.tables import BaseUser
from piccolo.columns.combination import WhereRaw
from piccolo.query import OrderByRaw

from okmarts.completion import SOURCE_LOCALE, catalog_languages
from okmarts.db import write_transaction
from okmarts.services import support
from okmarts.settings import Settings
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.tables.checkout import Order, OrderLine
from okmarts.tables.returns import Complaint, ReturnRequest
from okmarts.tables.support import Conversation, ConversationAttachment, ConversationMessage
from okmarts.tables.support_staff import SavedReply, StaffRole

PAGE_SIZE = 25
# admin.staff.SERVICE (not imported: services don't depend on the admin package)
SERVICE_ROLE = "service"
TITLE_MAX = 100  # SavedReply.title's length
USERNAME_MAX = 100

_C = '"conversation"'
_OPEN = f"{_C}.\"status\" IN ('waiting_for_staff', 'waiting_for_shopper')"
_RETURN = (
    f"({_C}.\"topic\" = 'return' OR EXISTS (SELECT 1 FROM return_request r"
    f' WHERE r."conversation" = {_C}."id"))'
)
_COMPLAINT = (
    f"({_C}.\"topic\" = 'complaint' OR EXISTS (SELECT 1 FROM complaint k"
    f' WHERE k."conversation" = {_C}."id"))'
)
# Each filter as SQL on the conversation table ({} is the signed-in agent's username): the list
# and the counts read the same conditions.
FILTERS: dict[str, tuple[str, str]] = {
    "": ("All open", _OPEN),
    "waiting_for_us": ("Waiting for us", f"{_C}.\"status\" = 'waiting_for_staff'"),
    "waiting_for_shopper": ("Waiting for the shopper", f"{_C}.\"status\" = 'waiting_for_shopper'"),
    "returns": ("Returns", f"{_OPEN} AND {_RETURN}"),
    "complaints": ("Complaints", f"{_OPEN} AND {_COMPLAINT}"),
    "mine": ("Mine", f'{_OPEN} AND {_C}."assigned_to" = {{}}'),
    "unassigned": ("Unassigned", f"{_OPEN} AND {_C}.\"assigned_to\" = ''"),
    "closed": ("Closed", f"{_C}.\"status\" = 'closed'"),
}


class InboxRefused(Exception):
    """A change that can't be made (someone else took the case first…), in words for staff."""

    def __init__(self, text: str, status: int = 409) -> None:
        super().__init__(text)
        self.text = text
        self.status = status


class InboxInvalid(Exception):
    """A form's fields that don't pass: {field: message}."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


# -- The inbox -----------------------------------------------------------------------------------


@dataclass
class InboxRow:
    id: int
    number: str
    subject: str
    topic: str
    status: str
    assigned_to: str
    email: str
    waiting_since: dt.datetime | None
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    due_at: dt.datetime | None  # when the answer is due (waiting for us only)
    overdue: bool
    timing: str  # in words: "Overdue by 3 hours", "Due in 5 hours", "Waiting for the shopper"


@dataclass
class InboxPage:
    rows: list[InboxRow]
    filter: str
    page: int
    pages: int
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return self.counts.get(self.filter, 0)


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def span(seconds: float) -> str:
    """A duration in words, rounded down to its largest unit: "3 hours", "1 day", "5 minutes"."""
    seconds = max(0, int(seconds))
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"


def timing(
    status: str, waiting_since: dt.datetime | None, hours: int, now: dt.datetime
) -> tuple[dt.datetime | None, bool, str]:
    """(due, overdue, in words) of a case: due `hours` after the shopper started waiting."""
    since = _aware(waiting_since)
    if status == "closed":
        return None, False, "Closed"
    if status != "waiting_for_staff" or since is None:
        return None, False, "Waiting for the shopper"
    due = since + dt.timedelta(hours=hours)
    if due <= now:
        return due, True, f"Overdue by {span((now - due).total_seconds())}"
    return due, False, f"Due in {span((due - now).total_seconds())}"


async def counts(staff_username: str) -> dict[str, int]:
    """How many conversations each filter holds (one query)."""
    names = list(FILTERS)
    sums = ", ".join(
        f"COALESCE(SUM(CASE WHEN {FILTERS[name][1]} THEN 1 ELSE 0 END), 0) AS f{index}"
        for index, name in enumerate(names)
    )
    args = [staff_username for name in names if "{}" in FILTERS[name][1]]
    rows = await Conversation.raw(
        f"SELECT {sums} FROM conversation WHERE {_C}.\"status\" != 'unverified'", *args
    )
    row = rows[0] if rows else {}
    return {name: int(row.get(f"f{index}") or 0) for index, name in enumerate(names)}


async def inbox(
    settings: Settings,
    *,
    staff_username: str,
    filter: str = "",
    page: int = 1,
    now: dt.datetime | None = None,
) -> InboxPage:
    """One page of the inbox under a filter (unknown filter: all open), most overdue first
    (closed: the latest closed first). Two queries."""
    now = now or dt.datetime.now(dt.UTC)
    if filter not in FILTERS:
        filter = ""
    found = await counts(staff_username)
    pages = max(1, math.ceil(found[filter] / PAGE_SIZE))
    page = min(max(1, page), pages)
    sql = FILTERS[filter][1]
    args = [staff_username] if "{}" in sql else []
    query = Conversation.select(
        Conversation.id,
        Conversation.number,
        Conversation.subject,
        Conversation.topic,
        Conversation.status,
        Conversation.assigned_to,
        Conversation.email,
        Conversation.waiting_since,
        Conversation.updated_at,
        Conversation.closed_at,
    ).where(WhereRaw(sql, *args))
    if filter == "closed":
        query = query.order_by(Conversation.closed_at, Conversation.id, ascending=False)
    else:
        # Waiting for us first, the longest waiting first; then waiting for the shopper, the
        # longest untouched first.
        query = query.order_by(
            OrderByRaw(f"CASE WHEN {_C}.\"status\" = 'waiting_for_staff' THEN 0 ELSE 1 END")
        ).order_by(Conversation.waiting_since, Conversation.updated_at, Conversation.id)
    rows = await query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    hours = settings.support_response_hours
    result = []
    for row in rows:
        due, overdue, words = timing(row["status"], row["waiting_since"], hours, now)
        result.append(InboxRow(**row, due_at=due, overdue=overdue, timing=words))
    return InboxPage(result, filter, page, pages, found)


# -- A case ----------------------------------------------------------------------------------------


@dataclass
class CaseMessage:
    id: int
    author: str
    staff_username: str
    internal: bool
    body: str
    created_at: dt.datetime
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Case:
    conversation: Conversation
    messages: list[CaseMessage]
    shopper_name: str
    product: dict[str, Any] | None  # title, sku, slug
    order: dict[str, Any] | None  # number, status (+ the address, for a return)
    order_lines: list[dict[str, Any]]
    returns: list[dict[str, Any]]  # id, number, status
    complaints: list[dict[str, Any]]  # id, case_number, status
    about_return: bool
    due_at: dt.datetime | None
    overdue: bool
    timing: str


ADDRESS_COLUMNS = (
    Order.recipient,
    Order.line,
    Order.zip_code,
    Order.city,
    Order.region,
    Order.country,
)


async def case(
    settings: Settings, conversation_id: int, now: dt.datetime | None = None
) -> Case | None:
    """A conversation as the agent works it: every message, notes included, and only what the
    case needs. A fixed number of queries however long it is; None for an unconfirmed visitor's
    (staff don't see it) or a missing one."""
    now = now or dt.datetime.now(dt.UTC)
    conversation = await Conversation.objects().where(Conversation.id == conversation_id).first()
    if conversation is None or conversation.status == "unverified":
        return None
    rows = await (
        ConversationMessage.select(
            ConversationMessage.id,
            ConversationMessage.author,
            ConversationMessage.staff_username,
            ConversationMessage.internal,
            ConversationMessage.body,
            ConversationMessage.created_at,
        )
        .where(ConversationMessage.conversation == conversation_id)
        .order_by(ConversationMessage.id)
    )
    messages = {row["id"]: CaseMessage(**row) for row in rows}
    if messages:
        for file in await (
            ConversationAttachment.select(
                ConversationAttachment.id,
                ConversationAttachment.message,
                ConversationAttachment.kind,
                ConversationAttachment.filename,
                ConversationAttachment.size_bytes,
            )
            .where(ConversationAttachment.message.is_in(list(messages)))
            .order_by(ConversationAttachment.id)
        ):
            messages[file.pop("message")].attachments.append(file)
    name = ""
    if conversation.account is not None:
        account = (
            await Account.select(Account.real_name)
            .where(Account.id == conversation.account)
            .first()
        )
        name = account["real_name"] if account else ""
    product = None
    if conversation.product is not None:
        product = (
            await Product.select(Product.title, Product.sku, Product.slug)
            .where(Product.id == conversation.product)
            .first()
        )
    returns = await (
        ReturnRequest.select(ReturnRequest.id, ReturnRequest.number, ReturnRequest.status)
        .where(ReturnRequest.conversation == conversation_id)
        .order_by(ReturnRequest.id)
    )
    complaints = await (
        Complaint.select(Complaint.id, Complaint.case_number, Complaint.status)
        .where(Complaint.conversation == conversation_id)
        .order_by(Complaint.id)
    )
    about_return = conversation.topic == "return" or bool(returns)
    order, lines = None, []
    if conversation.order is not None:
        columns = [Order.number, Order.status]
        if about_return:  # where the parts come back from
            columns += ADDRESS_COLUMNS
        order = await Order.select(*columns).where(Order.id == conversation.order).first()
        lines = await (
            OrderLine.select(
                OrderLine.sku,
                OrderLine.title,
                OrderLine.quantity,
                OrderLine.product.slug.as_alias("slug"),
            )
            .where(OrderLine.order == conversation.order)
            .order_by(OrderLine.id)
        )
    due, overdue, words = timing(
        conversation.status, conversation.waiting_since, settings.support_response_hours, now
    )
    return Case(
        conversation,
        list(messages.values()),
        name,
        product,
        order,
        lines,
        returns,
        complaints,
        about_return,
        due,
        overdue,
        words,
    )


async def by_number(number: str) -> int | None:
    """The id of the conversation of that number ("S-2026-000123"), for links that name it."""
    row = (
        await Conversation.select(Conversation.id).where(Conversation.number == number[:20]).first()
    )
    return int(row["id"]) if row else None


# -- Assignment ------------------------------------------------------------------------------------


async def service_staff() -> list[str]:
    """The usernames a case may be assigned to: active staff holding the service role, and
    superusers (two queries)."""
    holders = StaffRole.select(StaffRole.user_id).where(StaffRole.role == SERVICE_ROLE)
    rows = await (
        BaseUser.select(BaseUser.username)
        .where(
            (BaseUser.active == True)
            & (BaseUser.admin == True)
            & ((BaseUser.superuser == True) | BaseUser.id.is_in(holders))
        )
        .order_by(BaseUser.username)
    )
    return [row["username"] for row in rows]


async def assign(
    conversation_id: int,
    *,
    to: str,
    expected: str,
    by: str,
    now: dt.datetime | None = None,
) -> None:
    """Give the case to `to` ("" unassigns) if it is still assigned to `expected` (what the agent
    saw): one conditional UPDATE, so two agents taking one case can't both have it. A system
    line (staff only) records who did it. InboxRefused when it changed meanwhile or `to` is no
    service agent."""
    now = now or dt.datetime.now(dt.UTC)
    to, expected = to.strip()[:USERNAME_MAX], expected.strip()[:USERNAME_MAX]
    if to and to != by and to not in await service_staff():
        raise InboxRefused(f"{to} is not a service agent: choose one from the list.", 422)
    if to == expected:
        raise InboxRefused(
            f"The case is already assigned to {to}." if to else "The case is not assigned."
        )
    async with write_transaction(Conversation._meta.db):
        changed = await (
            Conversation.update({Conversation.assigned_to: to})
            .where(
                (Conversation.id == conversation_id)
                & (Conversation.status != "unverified")
                & (Conversation.assigned_to == expected)
            )
            .returning(Conversation.id)
        )
        if changed:
            await ConversationMessage.insert(
                ConversationMessage(
                    conversation=conversation_id,
                    author="system",
                    staff_username=by,
                    # Staff only: the shopper's page and data download leave internal lines out.
                    internal=True,
                    body=f"assigned:{to}" if to else "unassigned",
                    created_at=now,
                )
            )
    if changed:
        return
    row = (
        await Conversation.select(Conversation.assigned_to)
        .where((Conversation.id == conversation_id) & (Conversation.status != "unverified"))
        .first()
    )
    if row is None:
        raise InboxRefused("There is no such conversation.", 404)
    holder = row["assigned_to"]
    raise InboxRefused(
        f"Someone changed the assignment meanwhile: it is now "
        f"{'assigned to ' + holder if holder else 'unassigned'}. Nothing was changed."
    )


# -- Saved replies ---------------------------------------------------------------------------------


def reply_locales(settings: Settings) -> list[str]:
    """The languages a saved reply may be for ("" is any): those with a catalog."""
    return ["", SOURCE_LOCALE, *catalog_languages(settings.locales_dir)]


async def saved_replies(locale: str | None = None) -> list[dict[str, Any]]:
    """Saved replies by title; `locale`: those for that language and those for any."""
    query = SavedReply.select(
        SavedReply.id,
        SavedReply.title,
        SavedReply.body,
        SavedReply.locale,
        SavedReply.created_by,
        SavedReply.updated_at,
    )
    if locale is not None:
        query = query.where(SavedReply.locale.is_in([locale, ""]))
    return await query.order_by(SavedReply.title).order_by(SavedReply.id).limit(500)


async def saved_reply(reply_id: int) -> dict[str, Any] | None:
    return (
        await SavedReply.select(SavedReply.id, SavedReply.title, SavedReply.body, SavedReply.locale)
        .where(SavedReply.id == reply_id)
        .first()
    )


def _checked_reply(settings: Settings, title: str, body: str, locale: str) -> tuple[str, str, str]:
    title = " ".join((title or "").split())
    body = (body or "").replace("\r\n", "\n").strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Give the reply a title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Use at most {TITLE_MAX} characters for the title."
    if len(body) < support.BODY_MIN:
        errors["body"] = f"Write at least {support.BODY_MIN} characters."
    elif len(body) > support.BODY_MAX:
        errors["body"] = f"Use at most {support.BODY_MAX} characters."
    if locale not in reply_locales(settings):
        errors["locale"] = "Choose a language from the list."
    if errors:
        raise InboxInvalid(errors)
    return title, body, locale


async def create_saved_reply(
    settings: Settings, *, title: str, body: str, locale: str, by: str
) -> int:
    title, body, locale = _checked_reply(settings, title, body, locale)
    now = dt.datetime.now(dt.UTC)
    rows = await SavedReply.insert(
        SavedReply(
            title=title, body=body, locale=locale, created_by=by, created_at=now, updated_at=now
        )
    ).returning(SavedReply.id)
    return int(rows[0]["id"])


async def update_saved_reply(
    settings: Settings, reply_id: int, *, title: str, body: str, locale: str
) -> None:
    title, body, locale = _checked_reply(settings, title, body, locale)
    changed = await (
        SavedReply.update(
            {
                SavedReply.title: title,
                SavedReply.body: body,
                SavedReply.locale: locale,
                SavedReply.updated_at: dt.datetime.now(dt.UTC),
            }
        )
        .where(SavedReply.id == reply_id)
        .returning(SavedReply.id)
    )
    if not changed:
        raise InboxRefused("That saved reply was deleted meanwhile.", 404)


async def delete_saved_reply(reply_id: int) -> bool:
    return bool(await SavedReply.delete().where(SavedReply.id == reply_id).returning(SavedReply.id))
