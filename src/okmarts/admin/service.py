"""The service inbox at /admin/service/ (issue 16): what an agent works in all day, a page of our
own beside the returns and complaints pages (admin.returns) under the same staff sign-in.

- /admin/service/ : open conversations, most overdue first (services.support_inbox), with the
  filters and their counts, overdue said in words; pages of 25.
- /admin/service/<id>/ : a case: its messages (internal notes marked), what the case needs of
  the shopper, links to its return and complaint pages; reply (with a saved reply inserted by a
  plain submit, or by htmx with JavaScript on), internal note, take / assign / unassign,
  close / reopen. (A link naming the conversation's number, S-2026-000123, is redirected here.)
- /admin/service/replies/ : the saved replies: add, edit, delete.

For staff holding the `service` role (and superusers): anyone else gets a 403. The same staff
sign-in, double-submit CSRF token and origin check as the quotes and returns pages; every form
is a plain POST answered with a redirect, or the form again with its errors. A reply or note
carries a one-time key: posted twice, it is stored once.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlencode

from piccolo.apps.user.tables import BaseUser
from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import Receive, Scope

from okmarts.admin import queue
from okmarts.admin import returns as returns_desk
from okmarts.admin.quotes import QuotesQueue
from okmarts.admin.staff import SERVICE, SESSION_INCREASE_EXPIRY, has_role, signed_in_staff
from okmarts.services import support, support_chat
from okmarts.services import support_inbox as inbox
from okmarts.services.accounts import FormInvalid
from okmarts.tables.support import Conversation

PATH = "/service/"  # inside the admin's mount
URL = f"{queue.MOUNT_PATH}{PATH}"
REPLIES_PATH = "/service/replies/"
REPLIES_URL = f"{queue.MOUNT_PATH}{REPLIES_PATH}"
# Another page's (the service statistics): not ours although under /service/.
STATISTICS_PATH = "/service/statistics/"
TEMPLATE = "service_inbox.html"
CASE_PATH = re.compile(
    r"^/service/(?P<item>[0-9]{1,12}|S-[0-9]{4}-[0-9]{6,12})/"
    r"(?:(?P<action>reply|insert|note|assign|close|reopen)/?|files/(?P<file>[0-9]{1,12})/?)?$"
)
REPLY_PATH = re.compile(r"^/service/replies/(?P<item>[0-9]{1,12})/(?:(?P<action>delete)/?)?$")
DONE = {
    "replied": "Your reply is sent: the shopper gets an email.",
    "noted": "Your internal note is saved (the shopper never sees it).",
    "assigned": "The assignment is changed.",
    "closed": "The conversation is closed.",
    "reopened": "The conversation is open again and waits for us.",
    "saved": "The saved reply is saved.",
    "deleted": "The saved reply is deleted.",
}


def handles(path: str) -> bool:
    """Is this admin path one of the inbox's pages (not the returns', not the statistics')?"""
    slashed = path + "/"
    return (
        slashed.startswith(PATH)
        and not returns_desk.handles(path)
        and not slashed.startswith(STATISTICS_PATH)
    )


def inbox_links() -> dict[str, str]:
    return {"Service inbox": URL, "Saved replies": REPLIES_URL}


def _client_key() -> str:
    return uuid.uuid4().hex


def _english(invalid: FormInvalid) -> dict[str, str]:
    return {
        name: message.msgid % message.params if message.params else message.msgid
        for name, message in invalid.errors.items()
    }


class ServiceInbox(QuotesQueue):
    """The inbox's pages and form posts (an ASGI app the staff admin sends them to)."""

    async def respond(self, scope: Scope, receive: Receive, token: str) -> Response:
        path, method = scope["path"], scope["method"]
        staff = await signed_in_staff(scope, increase_expiry=SESSION_INCREASE_EXPIRY)
        if staff is None:
            if method in ("GET", "HEAD"):
                return RedirectResponse(f"{queue.MOUNT_PATH}/", status_code=303)
            raise queue.Refused(403, "Sign in to the staff admin first, then open the inbox.")
        if not await has_role(staff, SERVICE):
            raise queue.Refused(
                403,
                "The service inbox is for the service staff only. Ask an administrator for the "
                "service role (okmarts create-staff EMAIL --role service) if you need it.",
            )
        query = HTTPConnection(scope).query_params
        reading = method in ("GET", "HEAD")
        if path.rstrip("/") == PATH.rstrip("/"):
            if not reading:
                raise queue.Refused(405, "This page only lists: open a conversation to act on it.")
            page = query.get("page", "1")
            return await self.list_page(
                staff,
                query.get("filter", ""),
                int(page) if page.isdigit() and len(page) < 7 else 1,
            )
        if (path + "/").startswith(REPLIES_PATH):
            return await self.replies(scope, receive, staff, token, reading)
        match = CASE_PATH.match(path)
        if match is None:
            raise queue.Refused(404, "There is no such page.")
        item, action = match["item"], match["action"]
        if not item.isdigit():
            found = await inbox.by_number(item)
            if found is None or not reading or action or match["file"]:
                raise queue.Refused(404, f"There is no conversation {item}.")
            return RedirectResponse(f"{URL}{found}/", status_code=303)
        conversation_id = int(item)
        if match["file"]:
            if not reading:
                raise queue.Refused(405, "Files are only read here.")
            return await self.file(conversation_id, int(match["file"]))
        if action is None:
            if not reading:
                raise queue.Refused(405, "Use the forms on the page.")
            return await self.case_page(
                staff, token, conversation_id, notice=DONE.get(query.get("done", ""), "")
            )
        if method != "POST":
            raise queue.Refused(405, "Use the forms on the page.")
        form = await self.checked_form(scope, receive, token)
        return await self.act(staff, token, conversation_id, action, form)

    async def checked_form(self, scope: Scope, receive: Receive, token: str) -> dict[str, str]:
        form = await self.read_form(scope, receive)
        if not self.token_ok(form, token):
            raise queue.Refused(
                403,
                "This form is out of date or did not come from this page. Reload it and try again.",
            )
        self.check_origin(scope)
        return {key: queue.CONTROL.sub("", value) for key, value in form.items()}

    # -- The inbox -------------------------------------------------------------------------------

    async def list_page(self, staff: BaseUser, filter: str, page: int) -> Response:
        found = await inbox.inbox(
            self.settings, staff_username=staff.username, filter=filter, page=page
        )
        return self.render(
            {
                "view": "list",
                "staff": staff.username,
                "inbox": found,
                "filters": {name: label for name, (label, _sql) in inbox.FILTERS.items()},
                "response_hours": self.settings.support_response_hours,
            },
            status=200,
        )

    # -- A case ----------------------------------------------------------------------------------

    async def case_page(
        self,
        staff: BaseUser,
        token: str,
        conversation_id: int,
        *,
        status: int = 200,
        notice: str = "",
        page_error: str = "",
        errors: dict[str, str] | None = None,
        typed: dict[str, str] | None = None,
    ) -> Response:
        found = await inbox.case(self.settings, conversation_id)
        if found is None:
            raise queue.Refused(404, f"There is no conversation {conversation_id}.")
        typed = typed or {}
        kind = typed.get("kind", "")
        return self.render(
            {
                "view": "case",
                "staff": staff.username,
                "csrf_field": queue.CSRF_FIELD,
                "csrf_token": token,
                "case": found,
                "conversation": found.conversation,
                "case_url": f"{URL}{conversation_id}/",
                "topics": {code: str(label) for code, label in support.TOPICS.items()},
                "reasons": {code: str(label) for code, label in support.ORDER_REASONS.items()},
                "statuses": {
                    "waiting_for_staff": "Waiting for us",
                    "waiting_for_shopper": "Waiting for the shopper",
                    "closed": "Closed",
                },
                "saved": await inbox.saved_replies(found.conversation.locale),
                "agents": await inbox.service_staff(),
                # A form sent back keeps its text and one-time key (sent again: stored once).
                "reply_body": typed.get("body", "") if kind == "reply" else "",
                "reply_key": (kind == "reply" and typed.get("client_key")) or _client_key(),
                "note_body": typed.get("body", "") if kind == "note" else "",
                "note_key": (kind == "note" and typed.get("client_key")) or _client_key(),
                "chosen_reply": typed.get("saved_reply", ""),
                "errors": errors or {},
                "notice": notice,
                "page_error": page_error,
                "body_max": support.BODY_MAX,
            },
            status=status,
        )

    async def act(
        self,
        staff: BaseUser,
        token: str,
        conversation_id: int,
        action: str,
        form: dict[str, str],
    ) -> Response:
        who = staff.username
        if action == "insert":
            return await self.insert(staff, token, conversation_id, form)
        try:
            if action in ("reply", "note"):
                posted = await support.post_message(
                    self.settings,
                    conversation_id,
                    author="staff",
                    body=form.get("body", ""),
                    staff_username=who,
                    internal=action == "note",
                    client_key=form.get("client_key", ""),
                )
                del posted  # stored now or before (the same key): either way, done
                done = "replied" if action == "reply" else "noted"
            elif action == "assign":
                await inbox.assign(
                    conversation_id,
                    to=form.get("to", ""),
                    expected=form.get("expected", ""),
                    by=who,
                )
                done = "assigned"
            else:
                await self._exists(conversation_id)
                wanted = "closed" if action == "close" else "waiting_for_staff"
                if not await support.set_status(self.settings, conversation_id, wanted, by=who):
                    raise inbox.InboxRefused(
                        "The conversation is already closed: nothing was changed."
                        if action == "close"
                        else "The conversation is already open: nothing was changed."
                    )
                done = "closed" if action == "close" else "reopened"
        except FormInvalid as invalid:
            kind = {"kind": "note" if action == "note" else "reply"}
            return await self.case_page(
                staff,
                token,
                conversation_id,
                status=422,
                errors={f"{kind['kind']}_{k}": v for k, v in _english(invalid).items()},
                typed={**form, **kind},
            )
        except support.SupportRefused as refused:
            return await self.case_page(
                staff, token, conversation_id, status=409, page_error=refused.message.msgid
            )
        except inbox.InboxRefused as refused:
            if refused.status == 404:
                raise queue.Refused(404, refused.text) from None
            return await self.case_page(
                staff, token, conversation_id, status=refused.status, page_error=refused.text
            )
        return RedirectResponse(
            f"{URL}{conversation_id}/?{urlencode({'done': done})}", status_code=303
        )

    async def _exists(self, conversation_id: int) -> None:
        found = await Conversation.count().where(
            (Conversation.id == conversation_id) & (Conversation.status != "unverified")
        )
        if not found:
            raise inbox.InboxRefused(f"There is no conversation {conversation_id}.", 404)

    async def insert(
        self, staff: BaseUser, token: str, conversation_id: int, form: dict[str, str]
    ) -> Response:
        """The saved reply chosen goes into the reply's text (after what is typed already); the
        form comes back filled, nothing is sent."""
        typed = {**form, "kind": "reply"}
        chosen = form.get("saved_reply", "")
        found = await inbox.saved_reply(int(chosen)) if chosen.isdigit() else None
        if found is None:
            return await self.case_page(
                staff,
                token,
                conversation_id,
                status=422,
                errors={"saved_reply": "Choose a saved reply to insert."},
                typed=typed,
            )
        before = form.get("body", "").rstrip()
        typed["body"] = f"{before}\n\n{found['body']}" if before else found["body"]
        return await self.case_page(staff, token, conversation_id, typed=typed)

    async def file(self, conversation_id: int, attachment_id: int) -> Response:
        found = await support_chat.attachment_of(conversation_id, attachment_id, staff=True)
        return await queue.stored_file(self.settings, found)

    # -- Saved replies ---------------------------------------------------------------------------

    async def replies(
        self, scope: Scope, receive: Receive, staff: BaseUser, token: str, reading: bool
    ) -> Response:
        path = scope["path"]
        query = HTTPConnection(scope).query_params
        if path.rstrip("/") == REPLIES_PATH.rstrip("/"):
            if reading:
                return await self.replies_page(
                    staff, token, notice=DONE.get(query.get("done", ""), "")
                )
            form = await self.checked_form(scope, receive, token)
            try:
                await inbox.create_saved_reply(
                    self.settings,
                    title=form.get("title", ""),
                    body=form.get("body", ""),
                    locale=form.get("locale", ""),
                    by=staff.username,
                )
            except inbox.InboxInvalid as invalid:
                return await self.replies_page(
                    staff, token, status=422, errors=invalid.errors, typed=form
                )
            return RedirectResponse(f"{REPLIES_URL}?done=saved", status_code=303)
        match = REPLY_PATH.match(path)
        if match is None:
            raise queue.Refused(404, "There is no such page.")
        reply_id, action = int(match["item"]), match["action"]
        if reading:
            if action:
                raise queue.Refused(405, "Delete with the button on the page.")
            return await self.reply_edit_page(staff, token, reply_id)
        form = await self.checked_form(scope, receive, token)
        if action == "delete":
            if not await inbox.delete_saved_reply(reply_id):
                raise queue.Refused(404, "That saved reply was deleted already.")
            return RedirectResponse(f"{REPLIES_URL}?done=deleted", status_code=303)
        try:
            await inbox.update_saved_reply(
                self.settings,
                reply_id,
                title=form.get("title", ""),
                body=form.get("body", ""),
                locale=form.get("locale", ""),
            )
        except inbox.InboxInvalid as invalid:
            return await self.reply_edit_page(
                staff, token, reply_id, status=422, errors=invalid.errors, typed=form
            )
        except inbox.InboxRefused as refused:
            raise queue.Refused(refused.status, refused.text) from None
        return RedirectResponse(f"{REPLIES_URL}?done=saved", status_code=303)

    def _reply_context(self, staff: BaseUser, token: str) -> dict[str, Any]:
        return {
            "staff": staff.username,
            "csrf_field": queue.CSRF_FIELD,
            "csrf_token": token,
            "locales": inbox.reply_locales(self.settings),
            "title_max": inbox.TITLE_MAX,
            "body_max": support.BODY_MAX,
        }

    async def replies_page(
        self,
        staff: BaseUser,
        token: str,
        *,
        status: int = 200,
        notice: str = "",
        errors: dict[str, str] | None = None,
        typed: dict[str, str] | None = None,
    ) -> Response:
        return self.render(
            {
                **self._reply_context(staff, token),
                "view": "replies",
                "replies": await inbox.saved_replies(),
                "errors": errors or {},
                "typed": typed or {},
                "notice": notice,
            },
            status=status,
        )

    async def reply_edit_page(
        self,
        staff: BaseUser,
        token: str,
        reply_id: int,
        *,
        status: int = 200,
        errors: dict[str, str] | None = None,
        typed: dict[str, str] | None = None,
    ) -> Response:
        found = await inbox.saved_reply(reply_id)
        if found is None:
            raise queue.Refused(404, "There is no such saved reply.")
        return self.render(
            {
                **self._reply_context(staff, token),
                "view": "reply_edit",
                "reply": found,
                "errors": errors or {},
                "typed": typed or {key: str(value) for key, value in found.items()},
            },
            status=status,
        )

    def render(self, context: dict[str, Any], *, status: int) -> HTMLResponse:
        template = self.jinja.get_template(TEMPLATE)
        html = template.render(
            stylesheet=self.static.url("css/site.css"),
            htmx=self.static.url("vendor/htmx.min.js"),
            admin_url=f"{queue.MOUNT_PATH}/",
            url=URL,
            replies_url=REPLIES_URL,
            returns_url=returns_desk.RETURNS_URL,
            complaints_url=returns_desk.COMPLAINTS_URL,
            **{"notice": "", "page_error": "", "view": "error", "staff": "", **context},
        )
        return HTMLResponse(html, status_code=status)
