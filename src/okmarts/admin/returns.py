"""Returns and complaints for staff, at /admin/service/returns/ and /admin/service/complaints/
(issue 16, H-returns): pages of our own beside the service inbox (/admin/service/), as the
quotes queue (admin.quotes) sits beside the admin.

Returns: the open ones first (requested, then approved, oldest first), then the latest closed;
a return's page shows what the case needs and no more (the order's number and status, the lines
returned, the shipping address the parts come from, the shopper's reason and note) with its
step: approve with return instructions or refuse with a reason, mark the parts received (stock,
points and the refund: services.returns), retry a refund the gateway refused, mark a bank
refund "to be paid" paid (the transfer's reference and day). The shopper's photos are listed and
downloaded from /admin/service/returns/<id>/files/<file id>/: only a file of that return's
conversation, served as the shopper's own route serves it (an attachment, nosniff, no cache).

Complaints: open ones by due date (overdue first), then decided; a complaint's page shows its
case number, due date, summary and what it is about, and the decision form (decision and
reason, emailed to the shopper).

For staff holding the `service` role (and superusers): anyone else gets a 403. The same staff
sign-in and double-submit CSRF token as the moderation and quotes queues.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

from piccolo.apps.user.tables import BaseUser
from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import Receive, Scope

from okmarts.admin import queue
from okmarts.admin.quotes import QuotesQueue
from okmarts.admin.staff import SERVICE, SESSION_INCREASE_EXPIRY, has_role, signed_in_staff
from okmarts.i18n import Message
from okmarts.services import returns
from okmarts.services.accounts import FormInvalid
from okmarts.services.payments import Gateway, configured_gateway
from okmarts.settings import Settings
from okmarts.tables.returns import Complaint, ReturnRequest
from okmarts.tables.support import Conversation

PATH = "/service/"  # the prefixes below are inside it
RETURNS_PATH = "/service/returns/"
COMPLAINTS_PATH = "/service/complaints/"
RETURNS_URL = f"{queue.MOUNT_PATH}{RETURNS_PATH}"
COMPLAINTS_URL = f"{queue.MOUNT_PATH}{COMPLAINTS_PATH}"
TEMPLATE = "returns_desk.html"
ITEM_PATH = re.compile(
    r"^/service/(?P<kind>returns|complaints)/(?P<item>[0-9]{1,12})/"
    r"(?:(?P<action>approve|refuse|receive|refund|paid|decide)/?|files/(?P<file>[0-9]{1,12})/?)?$"
)
ACTIONS = {
    "returns": {"approve", "refuse", "receive", "refund", "paid"},
    "complaints": {"decide"},
}
OPEN_RETURNS = ("requested", "approved", "received")


def handles(path: str) -> bool:
    """Is this admin path one of these pages?"""
    return (path + "/").startswith(RETURNS_PATH) or (path + "/").startswith(COMPLAINTS_PATH)


def returns_links() -> dict[str, str]:
    return {"Returns": RETURNS_URL, "Complaints": COMPLAINTS_URL}


class ReturnsDesk(QuotesQueue):
    """The pages and their form posts (an ASGI app the staff admin sends them to)."""

    def __init__(self, settings: Settings, gateway: Gateway | None = None) -> None:
        super().__init__(settings)
        self.gateway = gateway or configured_gateway()

    async def respond(self, scope: Scope, receive: Receive, token: str) -> Response:
        path, method = scope["path"], scope["method"]
        staff = await signed_in_staff(scope, increase_expiry=SESSION_INCREASE_EXPIRY)
        if staff is None:
            if method in ("GET", "HEAD"):
                return RedirectResponse(f"{queue.MOUNT_PATH}/", status_code=303)
            raise queue.Refused(403, "Sign in to the staff admin first, then open the page.")
        if not await has_role(staff, SERVICE):
            raise queue.Refused(403, "Returns and complaints are for the service staff only.")
        query = HTTPConnection(scope).query_params
        for kind, prefix in (("returns", RETURNS_PATH), ("complaints", COMPLAINTS_PATH)):
            if path.rstrip("/") == prefix.rstrip("/"):
                if method not in ("GET", "HEAD"):
                    raise queue.Refused(405, "This page only lists: open one to act on it.")
                if kind == "returns":
                    return await self.returns_list(staff, query.get("done", ""))
                return await self.complaints_list(staff, query.get("done", ""))
        match = ITEM_PATH.match(path)
        if match is None:
            raise queue.Refused(404, "There is no such page.")
        kind, item, action = match["kind"], int(match["item"]), match["action"]
        if match["file"] is not None:
            if kind != "returns" or method not in ("GET", "HEAD"):
                raise queue.Refused(405, "Files are only downloaded.")
            return await self.photo(item, int(match["file"]))
        if action is None:
            if method not in ("GET", "HEAD"):
                raise queue.Refused(405, "Use the buttons on the page.")
            return await self.item_page(staff, token, kind, item)
        if method != "POST":
            raise queue.Refused(405, "Use the buttons on the page.")
        if action not in ACTIONS[kind]:
            raise queue.Refused(404, "There is no such action.")
        form = await self.read_form(scope, receive)
        if not self.token_ok(form, token):
            raise queue.Refused(
                403,
                "This form is out of date or did not come from this page. Reload it and try again.",
            )
        self.check_origin(scope)
        return await self.act(staff, token, kind, item, action, form)

    # -- Acting ----------------------------------------------------------------------------------

    async def act(
        self,
        staff: BaseUser,
        token: str,
        kind: str,
        item: int,
        action: str,
        form: dict[str, str],
    ) -> Response:
        settings, who = self.settings, staff.username
        text = {key: queue.CONTROL.sub("", value) for key, value in form.items()}
        try:
            if action == "approve":
                await returns.approve(
                    settings, item, instructions=text.get("instructions", ""), staff=who
                )
            elif action == "refuse":
                await returns.refuse(settings, item, reason=text.get("staff_reason", ""), staff=who)
            elif action == "receive":
                await returns.mark_received(settings, item, staff=who, gateway=self.gateway)
            elif action == "refund":
                await returns.refund(settings, item, staff=who, gateway=self.gateway)
            elif action == "paid":
                await returns.mark_refund_paid(
                    settings,
                    item,
                    reference=text.get("reference", ""),
                    paid_on=text.get("paid_on", ""),
                    staff=who,
                )
            else:
                await returns.decide_complaint(
                    settings,
                    item,
                    decision=text.get("decision", ""),
                    reason=text.get("decision_reason", ""),
                    staff=who,
                )
        except FormInvalid as invalid:
            errors = {name: _english(message) for name, message in invalid.errors.items()}
            return await self.item_page(
                staff, token, kind, item, status=422, errors=errors, typed=text
            )
        except returns.ReturnRefused as refused:
            error = _english(refused.message)
            return await self.item_page(staff, token, kind, item, status=409, page_error=error)
        url = RETURNS_URL if kind == "returns" else COMPLAINTS_URL
        return RedirectResponse(f"{url}{item}/?{urlencode({'done': action})}", status_code=303)

    async def photo(self, return_id: int, file_id: int) -> Response:
        """A file of the return's conversation, as the shopper's download serves it."""
        return await queue.stored_file(self.settings, await returns.photo_of(return_id, file_id))

    # -- Pages -----------------------------------------------------------------------------------

    async def returns_list(self, staff: BaseUser, done: str) -> Response:
        now = dt.datetime.now(dt.UTC)
        columns = (
            ReturnRequest.id,
            ReturnRequest.number,
            ReturnRequest.status,
            ReturnRequest.reason,
            ReturnRequest.refund_state,
            ReturnRequest.created_at,
            ReturnRequest.order.number.as_alias("order_number"),
        )
        waiting = (
            await ReturnRequest.select(*columns)
            .where(
                ReturnRequest.status.is_in(list(OPEN_RETURNS))
                | (ReturnRequest.refund_state == "to_be_paid")
            )
            .order_by(ReturnRequest.created_at)
            .limit(queue.PAGE_SIZE)
        )
        recent = (
            await ReturnRequest.select(*columns)
            .where(ReturnRequest.status.is_in(["refused", "refunded"]))
            .order_by(ReturnRequest.updated_at, ascending=False)
            .limit(queue.PAGE_SIZE)
        )
        for row in [*waiting, *recent]:
            row["age"] = queue.age(row["created_at"], now)
        return self.render(
            {"view": "returns", "staff": staff.username, "waiting": waiting, "recent": recent},
            status=200,
        )

    async def complaints_list(self, staff: BaseUser, done: str) -> Response:
        now = dt.datetime.now(dt.UTC)
        columns = (
            Complaint.id,
            Complaint.case_number,
            Complaint.status,
            Complaint.decision,
            Complaint.created_at,
            Complaint.due_at,
        )
        waiting = (
            await Complaint.select(*columns)
            .where(Complaint.status == "open")
            .order_by(Complaint.due_at)
            .limit(queue.PAGE_SIZE)
        )
        recent = (
            await Complaint.select(*columns)
            .where(Complaint.status == "decided")
            .order_by(Complaint.decided_at, ascending=False)
            .limit(queue.PAGE_SIZE)
        )
        for row in waiting:
            due = row["due_at"] if row["due_at"].tzinfo else row["due_at"].replace(tzinfo=dt.UTC)
            row["overdue"] = due < now
        return self.render(
            {"view": "complaints", "staff": staff.username, "waiting": waiting, "recent": recent},
            status=200,
        )

    async def item_page(
        self,
        staff: BaseUser,
        token: str,
        kind: str,
        item: int,
        *,
        status: int = 200,
        errors: dict[str, str] | None = None,
        typed: dict[str, str] | None = None,
        page_error: str = "",
    ) -> Response:
        context: dict[str, Any] = {
            "staff": staff.username,
            "csrf_field": queue.CSRF_FIELD,
            "csrf_token": token,
            "errors": errors or {},
            "typed": typed or {},
            "page_error": page_error,
        }
        if kind == "returns":
            found = await returns.detail(item)
            if found is None:
                raise queue.Refused(404, f"There is no return {item}.")
            context.update(
                view="return",
                detail=found,
                item=found.request,
                order=found.order,
                reasons={code: str(label) for code, label in returns.REASONS.items()},
                today=dt.datetime.now(dt.UTC).date().isoformat(),
                conversation=await _conversation_number(found.request.conversation),
            )
        else:
            complaint = await Complaint.objects().where(Complaint.id == item).first()
            if complaint is None:
                raise queue.Refused(404, f"There is no complaint {item}.")
            request = None
            if complaint.return_request is not None:
                request = (
                    await ReturnRequest.select(ReturnRequest.id, ReturnRequest.number)
                    .where(ReturnRequest.id == complaint.return_request)
                    .first()
                )
            context.update(
                view="complaint",
                complaint=complaint,
                return_row=request,
                conversation=await _conversation_number(complaint.conversation),
                decisions={code: str(label) for code, label in returns.DECISIONS.items()},
            )
        return self.render(context, status=status)

    def render(self, context: dict[str, Any], *, status: int) -> HTMLResponse:
        template = self.jinja.get_template(TEMPLATE)
        html = template.render(
            stylesheet=self.static.url("css/site.css"),
            admin_url=f"{queue.MOUNT_PATH}/",
            returns_url=RETURNS_URL,
            complaints_url=COMPLAINTS_URL,
            **{"notice": "", "page_error": "", "view": "error", "staff": "", **context},
        )
        return HTMLResponse(html, status_code=status)


def _english(message: Message) -> str:
    """Staff pages are in English, like the admin."""
    return message.msgid % message.params if message.params else message.msgid


async def _conversation_number(conversation_id: int | None) -> str:
    if conversation_id is None:
        return ""
    row = (
        await Conversation.select(Conversation.number)
        .where(Conversation.id == conversation_id)
        .first()
    )
    return row["number"] if row else ""
