"""Newsletters in the admin (superusers: a newsletter goes to many people at once).

Staff write a newsletter (its name, audience, category) and one translation per language
(subject and body, plain text) in the tables; its status changes only through the forms below:
preview, a test send to the staff member's own address, schedule, pause or resume, and the
report (queued, sent, waiting, failed, unsubscribed). services.newsletters holds the rules.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from piccolo.columns import Column
from piccolo_admin.endpoints import FileResponse, FormConfig, TableConfig
from piccolo_api.crud.endpoints import OrderBy
from piccolo_api.crud.hooks import Hook, HookType
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.requests import Request

from okmarts.services import newsletters
from okmarts.settings import Settings
from okmarts.tables.newsletters import Newsletter, NewsletterTranslation

MENU_GROUP = "Newsletters"
# Written by services.newsletters only: shown, never edited.
GUARDED_COLUMNS = frozenset(
    {
        "status",
        "scheduled_at",
        "created_by",
        "created_at",
        "queue_cursor",
        "queued_all",
        "claimed_until",
        "pace_from",
        "pace_index",
        "queued_count",
        "sent_count",
        "failed_count",
        "withheld_count",
        "finished_at",
    }
)


def _unguarded(values: dict[Any, Any]) -> dict[Any, Any]:
    """Patch values without the guarded columns (keyed by column or by name): the edit form
    sends them back unchanged, and writing them could undo a status change made meanwhile."""
    return {
        key: value
        for key, value in values.items()
        if (key._meta.name if isinstance(key, Column) else str(key)) not in GUARDED_COLUMNS
    }


async def _new_is_draft(row: Newsletter) -> Newsletter:
    row.status = newsletters.DRAFT
    row.scheduled_at = None
    return row


async def _patch(row_id: Any, values: dict[str, Any]) -> dict[str, Any]:
    values = _unguarded(values)
    status = await Newsletter.select(Newsletter.status).where(Newsletter.id == row_id).first()
    if status and status["status"] not in (newsletters.DRAFT, newsletters.SCHEDULED):
        raise HTTPException(status_code=422, detail="A newsletter going out can't be edited.")
    return values


def newsletter_read_only_columns() -> dict[str, frozenset[str]]:
    return {Newsletter._meta.tablename: GUARDED_COLUMNS}


def newsletter_tables() -> list[TableConfig]:
    return [
        TableConfig(
            Newsletter,
            menu_group=MENU_GROUP,
            visible_columns=[
                Newsletter.id,
                Newsletter.name,
                Newsletter.audience,
                Newsletter.category,
                Newsletter.status,
                Newsletter.scheduled_at,
                Newsletter.queued_count,
                Newsletter.created_by,
            ],
            visible_filters=[Newsletter.status, Newsletter.audience],
            order_by=[OrderBy(Newsletter.id, ascending=False)],
            hooks=[
                Hook(hook_type=HookType.pre_save, callable=_new_is_draft),
                Hook(hook_type=HookType.pre_patch, callable=_patch),
            ],
        ),
        TableConfig(
            NewsletterTranslation,
            menu_group=MENU_GROUP,
            visible_columns=[
                NewsletterTranslation.id,
                NewsletterTranslation.newsletter,
                NewsletterTranslation.locale,
                NewsletterTranslation.subject,
            ],
            visible_filters=[NewsletterTranslation.newsletter, NewsletterTranslation.locale],
        ),
    ]


class Preview(BaseModel):
    newsletter_id: int = Field(gt=0)
    locale: str = Field(default="en", max_length=16, description="The reader's language.")
    download_html: bool = Field(default=False, description="The HTML part as a file.")


class TestSend(BaseModel):
    newsletter_id: int = Field(gt=0)
    locale: str = Field(default="en", max_length=16)


class Scheduling(BaseModel):
    newsletter_id: int = Field(gt=0)
    send_at: dt.datetime | None = Field(default=None, description="Empty: now. UTC.")


class PauseOrResume(BaseModel):
    newsletter_id: int = Field(gt=0)
    action: str = Field(description="pause or resume")


class ReportQuery(BaseModel):
    newsletter_id: int = Field(gt=0)


def _staff(request: Request) -> Any:
    staff = request.user.user
    # The dispatcher sends only superusers to the app holding these forms; check again anyway.
    if not staff.superuser:
        raise ValueError("Only admins may send newsletters.")
    return staff


def newsletter_forms(settings: Settings) -> list[FormConfig]:
    async def preview(request: Request, data: Preview) -> str | FileResponse:
        _staff(request)
        try:
            rendered, locale = await newsletters.preview(settings, data.newsletter_id, data.locale)
        except newsletters.NewsletterRefused as refused:
            raise ValueError(str(refused)) from None
        if data.download_html:
            return FileResponse(
                contents=io.StringIO(rendered.html),
                file_name=f"newsletter-{data.newsletter_id}-{locale}.html",
                media_type="text/html",
            )
        return f"[{locale}] Subject: {rendered.subject}\n\n{rendered.text}"

    async def test_send(request: Request, data: TestSend) -> str:
        staff = _staff(request)
        try:
            locale = await newsletters.test_send(
                settings, data.newsletter_id, data.locale, staff.email or staff.username
            )
        except newsletters.NewsletterRefused as refused:
            raise ValueError(str(refused)) from None
        if not locale:
            return "Queued: the mail server did not take it now; it is retried in the background."
        return f"Sent the {locale} version to {staff.email or staff.username}."

    async def schedule(request: Request, data: Scheduling) -> str:
        _staff(request)
        at = data.send_at
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        try:
            return await newsletters.schedule(data.newsletter_id, at)
        except newsletters.NewsletterRefused as refused:
            raise ValueError(str(refused)) from None

    async def pause_or_resume(request: Request, data: PauseOrResume) -> str:
        _staff(request)
        try:
            if data.action.strip().lower() == "pause":
                return await newsletters.pause(data.newsletter_id)
            if data.action.strip().lower() == "resume":
                return await newsletters.resume(settings, data.newsletter_id)
        except newsletters.NewsletterRefused as refused:
            raise ValueError(str(refused)) from None
        raise ValueError("Action: pause or resume.")

    async def report(request: Request, data: ReportQuery) -> str:
        _staff(request)
        try:
            return (await newsletters.report(data.newsletter_id)).text()
        except newsletters.NewsletterRefused as refused:
            raise ValueError(str(refused)) from None

    return [
        FormConfig(
            name="Newsletter: preview",
            pydantic_model=Preview,
            endpoint=preview,
            description="The newsletter as a reader of that language gets it (the text part; "
            "or the HTML part as a file). Readers of a language it is not written in get English.",
            form_group=MENU_GROUP,
        ),
        FormConfig(
            name="Newsletter: send a test to me",
            pydantic_model=TestSend,
            endpoint=test_send,
            description="Sends it in that language to your own staff email address, now.",
            form_group=MENU_GROUP,
        ),
        FormConfig(
            name="Newsletter: schedule",
            pydantic_model=Scheduling,
            endpoint=schedule,
            description="Sends a draft at that time (UTC; empty: now) to its audience: everyone "
            "who chose the newsletter, or the category's followers among them. It goes out at "
            f"{settings.newsletter_rate_per_minute} emails a minute "
            "(OKMARTS_NEWSLETTER_RATE_PER_MINUTE).",
            form_group=MENU_GROUP,
        ),
        FormConfig(
            name="Newsletter: pause or resume",
            pydantic_model=PauseOrResume,
            endpoint=pause_or_resume,
            description="pause: no more emails go out (one already on its way still does); "
            "resume: the rest goes out from now.",
            form_group=MENU_GROUP,
        ),
        FormConfig(
            name="Newsletter: report",
            pydantic_model=ReportQuery,
            endpoint=report,
            description="Queued, sent, waiting (and retrying), failed, and unsubscribed (readers "
            "who unsubscribed or withdrew consent before theirs went out).",
            form_group=MENU_GROUP,
        ),
    ]
