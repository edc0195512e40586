"""The moderation queue at /admin/moderation/: a page of our own, linked from the admin's menu.

Piccolo Admin's lists abbreviate text and act on rows only through the edit form or a selection,
so a moderator reads each pending review and question here in full (product, title, text,
rating, the author's nickname, age) and decides it in one or two clicks: "Approve", "Reject"
with the comment rule it breaks, or "Answer and publish". Plain forms posting to this page (no
script needed), each decision through services.moderation, which records it in the audit.

Staff only: the same sign-in as the admin (its session cookie, an active staff user); the same
double-submit CSRF token as the admin (its `csrftoken` cookie, sent back as a form field).
Moderators see here what their admin shows them: never an author's email or account.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from piccolo.apps.user.tables import BaseUser
from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from okmarts.admin.staff import (
    MODERATOR,
    SESSION_INCREASE_EXPIRY,
    has_role,
    signed_in_staff,
)
from okmarts.services import moderation, support_files
from okmarts.settings import PACKAGE_DIR, Settings
from okmarts.static_files import StaticFiles
from okmarts.tables.reviews import Question, Review

MOUNT_PATH = "/admin"
PATH = "/moderation/"  # inside the admin's mount
URL = f"{MOUNT_PATH}{PATH}"
LINK_NAME = "Moderation queue"
# Piccolo Admin's double-submit token: the cookie its CSRF middleware sets, sent back as a field.
CSRF_COOKIE = "csrftoken"
CSRF_FIELD = "csrftoken"
CSRF_COOKIE_MAX_AGE = 31_536_000
PAGE_SIZE = 50
MAX_BODY = 64 * 1024
TEMPLATE = "moderation_queue.html"

ACTION_PATH = re.compile(
    r"^/moderation/(?P<kind>reviews|questions)/(?P<item>[0-9]{1,12})/(?P<action>[a-z]+)/?$"
)
ACTIONS = {"review": {"approve", "reject"}, "question": {"answer", "reject"}}
# Control characters an answer may not hold (it may hold tabs and line breaks).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Refused(Exception):
    """A request this page answers with an error page (the status and what to do)."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


async def stored_file(settings: Settings, found: dict[str, Any] | None) -> Response:
    """A customer-service file (a conversation's attachment, a return's photo) staff open:
    served as the shopper's download is (support_files.download_headers), or a 404."""
    content = await support_files.read_file(settings, found["path"]) if found else None
    if found is None or content is None:
        raise Refused(404, "There is no such file.")
    media_type, headers = support_files.download_headers(
        str(found["filename"]), found["content_type"]
    )
    return Response(content, media_type=media_type, headers=headers)


@dataclass
class Outcome:
    """What the page says about one item or the whole queue after a refused decision."""

    status: int = 200
    page_error: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # "review-12-reason": message
    answers: dict[str, str] = field(default_factory=dict)  # "question-7": the typed answer


def age(created: dt.datetime | None, now: dt.datetime) -> str:
    """How long ago, in words: "just now", "5 minutes ago", "3 hours ago", "2 days ago"."""
    if created is None:
        return ""
    if created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)
    seconds = max(0, int((now - created).total_seconds()))
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def author_name(account_id: int | None, nickname: str | None) -> str:
    """The author as the product page names them (never their email)."""
    if account_id is None:
        return "Former customer"
    return nickname or "Okmarts customer"


def rule_choices() -> list[tuple[str, str]]:
    """The comment rules, code and text as the comment-rules page writes them."""
    return list(moderation.RULES.items())


class ModerationQueue:
    """The page and its form posts (an ASGI app the staff admin sends /moderation/ to)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.static = StaticFiles(settings.static_dir)
        self.host = urlparse(settings.base_url).hostname or "127.0.0.1"
        self.jinja = Environment(
            loader=FileSystemLoader(str(PACKAGE_DIR / "pages" / "staff")),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection = HTTPConnection(scope)
        token = connection.cookies.get(CSRF_COOKIE) or ""
        new_token = "" if token else str(uuid.uuid4())
        try:
            response = await self.respond(scope, receive, token or new_token)
        except Refused as refused:
            response = self.render(
                {"error_only": True, "page_error": refused.text}, status=refused.status
            )
        if new_token and scope["method"] in ("GET", "HEAD"):
            # As the admin's CSRF middleware sets it, so the admin accepts it too.
            response.set_cookie(CSRF_COOKIE, new_token, max_age=CSRF_COOKIE_MAX_AGE)
        response.headers["cache-control"] = "no-store"
        await response(scope, receive, send)

    async def respond(self, scope: Scope, receive: Receive, token: str) -> Response:
        path, method = scope["path"], scope["method"]
        staff = await signed_in_staff(scope, increase_expiry=SESSION_INCREASE_EXPIRY)
        if staff is not None and not await has_role(staff, MODERATOR):
            raise Refused(403, "The moderation queue is for moderators only.")
        if path.rstrip("/") == PATH.rstrip("/"):
            if method not in ("GET", "HEAD"):
                raise Refused(405, "This page only shows the queue: use its buttons.")
            if staff is None:
                # Sign in first (the admin's login), then follow its "Moderation queue" link.
                return RedirectResponse(f"{MOUNT_PATH}/", status_code=303)
            query = HTTPConnection(scope).query_params
            notice = await self.notice(query.get("done", ""), query.get("item", ""))
            return await self.page(staff, token, Outcome(), notice)
        match = ACTION_PATH.match(path)
        if match is None:
            raise Refused(404, "There is no such page.")
        if method != "POST":
            raise Refused(405, "Decide with the buttons on the moderation queue.")
        if staff is None:
            raise Refused(403, "Sign in to the staff admin first, then open the queue again.")
        form = await self.read_form(scope, receive)
        sent = form.get(CSRF_FIELD, "")
        if not token or not sent or not hmac.compare_digest(sent, token):
            raise Refused(
                403,
                "This form is out of date or did not come from the queue. "
                "Reload the moderation queue and decide again.",
            )
        self.check_origin(scope)
        kind = match["kind"].removesuffix("s")
        action = match["action"]
        if action not in ACTIONS[kind]:
            raise Refused(404, "There is no such action.")
        return await self.decide(staff, token, kind, int(match["item"]), action, form)

    def check_origin(self, scope: Scope) -> None:
        """A form posted from another site is refused (the token stops it already; this too)."""
        headers = HTTPConnection(scope).headers
        origin = headers.get("origin") or headers.get("referer")
        if not origin or origin == "null":
            return
        served_as = urlparse(f"//{headers.get('host', '')}").hostname
        if urlparse(origin).hostname not in {self.host, served_as}:
            raise Refused(403, "This form came from another site.")

    async def read_form(self, scope: Scope, receive: Receive) -> dict[str, str]:
        content_type = HTTPConnection(scope).headers.get("content-type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            raise Refused(415, "Send the queue's forms as they are.")
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > MAX_BODY:
                raise Refused(413, "That is more than an answer may hold.")
            if not message.get("more_body"):
                break
        try:
            fields = parse_qs(body.decode(), keep_blank_values=True, max_num_fields=20)
        except (UnicodeDecodeError, ValueError):
            raise Refused(400, "The form could not be read.") from None
        return {name: values[0] for name, values in fields.items()}

    async def decide(
        self,
        staff: BaseUser,
        token: str,
        kind: str,
        item_id: int,
        action: str,
        form: dict[str, str],
    ) -> Response:
        table = Review if kind == "review" else Question
        key = f"{kind}-{item_id}"
        row = (
            await table.select(table.status, table.moderated_by).where(table.id == item_id).first()
        )
        if row is None:
            outcome = Outcome(404, page_error=f"There is no {kind} {item_id} any more.")
            return await self.page(staff, token, outcome)
        if row["status"] != "pending":
            by = f" by {row['moderated_by']}" if row["moderated_by"] else ""
            outcome = Outcome(
                409,
                page_error=f"The {kind} {item_id} was already {row['status']}{by}: "
                "nothing was changed.",
            )
            return await self.page(staff, token, outcome)
        if action == "reject":
            reason = form.get("reason", "")
            if reason not in moderation.RULES:
                outcome = Outcome(
                    422, errors={f"{key}-reason": f"Choose the comment rule the {kind} breaks."}
                )
                return await self.page(staff, token, outcome)
            decide = moderation.decide_reviews if kind == "review" else moderation.decide_questions
            await decide([item_id], "rejected", reason=reason, staff=staff.username)
            return self.done("rejected", key)
        if action == "approve":
            await moderation.decide_reviews([item_id], "approved", staff=staff.username)
            return self.done("approved", key)
        answer = form.get("answer", "")
        if CONTROL.search(answer):
            outcome = Outcome(
                422,
                errors={f"{key}-answer": "The answer holds a control character: remove it."},
                answers={key: CONTROL.sub("", answer)},
            )
            return await self.page(staff, token, outcome)
        try:
            await moderation.answer_question(
                item_id, answer, staff=staff.username, settings=self.settings
            )
        except moderation.ModerationRefused as refused:
            outcome = Outcome(422, errors={f"{key}-answer": str(refused)}, answers={key: answer})
            return await self.page(staff, token, outcome)
        return self.done("answered", key)

    def done(self, what: str, key: str) -> Response:
        # Back to the queue (the next item is where this one was), saying what was done.
        return RedirectResponse(f"{URL}?{urlencode({'done': what, 'item': key})}", 303)

    async def notice(self, done: str, key: str) -> str:
        """What the last decision did, read back from the database (nothing echoed)."""
        kind, _, item = key.partition("-")
        if done not in ("approved", "rejected", "answered") or not item.isdigit():
            return ""
        if kind == "review" and done != "answered":
            row = (
                await Review.select(Review.title, Review.status, Review.rejection_reason)
                .where(Review.id == int(item))
                .first()
            )
            if row is None or row["status"] != done:
                return ""
            if done == "approved":
                return f"Approved review {item} “{row['title']}”: it is published."
            rule = moderation.RULES.get(row["rejection_reason"], row["rejection_reason"])
            return f"Rejected review {item} “{row['title']}”, for the rule: {rule}"
        if kind == "question":
            row = (
                await Question.select(Question.status, Question.rejection_reason, Question.account)
                .where(Question.id == int(item))
                .first()
            )
            if row is None:
                return ""
            if done == "answered" and row["status"] == "approved":
                emailed = " and the asker gets an email" if row["account"] else ""
                return f"Answered question {item}: the answer is published{emailed}."
            if done == "rejected" and row["status"] == "rejected":
                rule = moderation.RULES.get(row["rejection_reason"], row["rejection_reason"])
                return f"Rejected question {item}, for the rule: {rule}"
        return ""

    async def page(
        self, staff: BaseUser, token: str, outcome: Outcome, notice: str = ""
    ) -> Response:
        now = dt.datetime.now(dt.UTC)
        reviews = (
            await Review.select(
                Review.id,
                Review.title,
                Review.body,
                Review.rating,
                Review.created_at,
                Review.product.title.as_alias("product_title"),
                Review.product.slug.as_alias("product_slug"),
                Review.account.as_alias("author_id"),
                Review.account.nickname.as_alias("nickname"),
            )
            .where(Review.status == "pending")
            .order_by(Review.created_at, Review.id)
            .limit(PAGE_SIZE)
        )
        questions = (
            await Question.select(
                Question.id,
                Question.body,
                Question.created_at,
                Question.product.title.as_alias("product_title"),
                Question.product.slug.as_alias("product_slug"),
                Question.account.as_alias("author_id"),
                Question.account.nickname.as_alias("nickname"),
            )
            .where(Question.status == "pending")
            .order_by(Question.created_at, Question.id)
            .limit(PAGE_SIZE)
        )
        for rows in (reviews, questions):
            for row in rows:
                row["author"] = author_name(row["author_id"], row["nickname"])
                row["age"] = age(row["created_at"], now)
        context: dict[str, Any] = {
            "error_only": False,
            "staff": staff.username,
            "csrf_field": CSRF_FIELD,
            "csrf_token": token,
            "url": URL,
            "rules": rule_choices(),
            "reviews": reviews,
            "questions": questions,
            "review_count": await Review.count().where(Review.status == "pending"),
            "question_count": await Question.count().where(Question.status == "pending"),
            "page_size": PAGE_SIZE,
            "notice": notice,
            "page_error": outcome.page_error,
            "errors": outcome.errors,
            "answers": outcome.answers,
            "answer_max_length": moderation.ANSWER_MAX_LENGTH,
        }
        return self.render(context, status=outcome.status)

    def render(self, context: dict[str, Any], *, status: int) -> HTMLResponse:
        template = self.jinja.get_template(TEMPLATE)
        html = template.render(
            stylesheet=self.static.url("css/site.css"),
            admin_url=f"{MOUNT_PATH}/",
            **{"notice": "", "page_error": "", **context},
        )
        return HTMLResponse(html, status_code=status)
