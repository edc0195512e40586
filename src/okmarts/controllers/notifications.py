"""The message center (/account/messages) and the notification settings (/account/notifications).

Both are the signed-in shopper's own; every form is a plain POST (303 back) that htmx smooths by
swapping the part that changed, and the header's unread count out of band.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from okmarts.inputs import parse_int
from okmarts.services import accounts, message_center, notification_settings, notifications
from okmarts.tables.accounts import Account
from okmarts.web import (
    Form,
    View,
    clean_form,
    current_unread_count,
    redirect_after_post,
    signed_in_account,
)

MESSAGES = View(
    "pages/notifications/messages.html", fragment="partials/notifications/message_list.html"
)
MESSAGE = View("pages/notifications/message.html")
SETTINGS = View(
    "pages/notifications/settings.html", fragment="partials/notifications/settings_form.html"
)


def _page_number(raw: Any) -> int:
    return parse_int(raw, minimum=1, maximum=100_000) or 1


def _entry_id(raw: str) -> int:
    """An entry's number from the path; any other text names no entry (404)."""
    entry_id = parse_int(raw, minimum=1)
    if entry_id is None:
        raise NotFoundException()
    return entry_id


async def _messages_context(account: Account, page: int, **extra: Any) -> dict[str, Any]:
    found = await message_center.page_of(account.id, page)
    # What the header shows follows what the page shows (after a mark as read).
    current_unread_count.set(found.unread)
    return {"account": account, "messages": found, "types": notifications.TYPES, **extra}


async def _settings_context(account: Account, **extra: Any) -> dict[str, Any]:
    state = await notifications.state_of(account.id)
    assert state is not None  # the signed-in account exists
    return {
        "account": account,
        "rows": notification_settings.settings_rows(state),
        "reasons": notifications.REASONS,
        "minor_age": accounts.MINOR_AGE,
        "notice": "",
        **extra,
    }


class MessagesController(Controller):
    path = "/account/messages"
    dependencies = {"account": Provide(signed_in_account)}  # noqa: RUF012 (Litestar reads it)

    @get("/", name="account_messages", media_type=MediaType.HTML)
    async def messages(
        self,
        request: HTMXRequest,
        account: NamedDependency[Account],
        page: FromQuery[str] = "1",
        notice: FromQuery[str] = "",
    ) -> Template:
        context = await _messages_context(account, _page_number(page), notice=notice)
        return MESSAGES.render(request, context)

    @get("/{entry_id:str}", name="account_message", media_type=MediaType.HTML)
    async def message(
        self, request: HTMXRequest, account: NamedDependency[Account], entry_id: FromPath[str]
    ) -> Template:
        try:
            entry = await message_center.open_entry(account.id, _entry_id(entry_id))
        except message_center.EntryNotFound as missing:
            raise NotFoundException() from missing
        current_unread_count.set(await message_center.unread_count(account.id))
        return MESSAGE.render(request, {"entry": entry, "types": notifications.TYPES})

    @post("/{entry_id:str}/read", name="account_message_read", media_type=MediaType.HTML)
    async def mark_read(
        self,
        request: HTMXRequest,
        account: NamedDependency[Account],
        entry_id: FromPath[str],
        data: Form,
    ) -> Any:
        page = _page_number(clean_form(data).get("page"))
        number = _entry_id(entry_id)
        try:
            await message_center.mark_read(account.id, number)
        except message_center.EntryNotFound as missing:
            raise NotFoundException() from missing
        if not request.htmx:
            return redirect_after_post(request, f"/account/messages?page={page}#message-{number}")
        return MESSAGES.render(request, await _messages_context(account, page, oob=True))

    @post("/read-all", name="account_messages_read_all", media_type=MediaType.HTML)
    async def mark_all_read(
        self, request: HTMXRequest, account: NamedDependency[Account], data: Form
    ) -> Any:
        page = _page_number(clean_form(data).get("page"))
        await message_center.mark_all_read(account.id)
        if not request.htmx:
            return redirect_after_post(request, f"/account/messages?page={page}&notice=all-read")
        context = await _messages_context(account, page, oob=True, notice="all-read")
        return MESSAGES.render(request, context)


class NotificationSettingsController(Controller):
    path = "/account/notifications"
    dependencies = {"account": Provide(signed_in_account)}  # noqa: RUF012 (Litestar reads it)

    @get("/", name="account_notifications", media_type=MediaType.HTML)
    async def settings(
        self, request: HTMXRequest, account: NamedDependency[Account], notice: FromQuery[str] = ""
    ) -> Template:
        return SETTINGS.render(request, await _settings_context(account, notice=notice))

    @post("/", name="account_notifications_save", media_type=MediaType.HTML)
    async def save(
        self, request: HTMXRequest, account: NamedDependency[Account], data: Form
    ) -> Any:
        data = clean_form(data)
        wanted = {
            (type_code, channel)
            for type_code in notifications.TYPES
            for channel in notifications.CHANNELS
            if data.get(f"{type_code}:{channel}") in ("on", "yes", "1", "true")
        }
        await notification_settings.save_choices(account, wanted)
        if not request.htmx:
            return redirect_after_post(request, "/account/notifications?notice=saved")
        return SETTINGS.render(request, await _settings_context(account, notice="saved"))
