"""The quotes queue at /admin/quotes/: a page of our own, linked from the full admin's menu.

Piccolo Admin's forms have a fixed set of fields, and a quote has a price per line: so staff
answer here. The queue lists open requests (oldest first), then the latest answered ones; a
quote's page shows its lines with today's price for the quantity filled in (price breaks
included where they exist), a validity date (today + OKMARTS_QUOTE_VALIDITY_DAYS) and a note,
or a decline with its reason. Both go through services.quotes, which emails the buyer in their
language in the same transaction.

Superusers only (quotes carry the buyer's name and prices): a moderator gets a 403. The same
sign-in and double-submit CSRF token as the moderation queue (admin.queue).
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, urlencode

from babel.numbers import get_currency_precision
from piccolo.apps.user.tables import BaseUser
from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import Receive, Scope

from okmarts.admin import queue
from okmarts.admin.staff import SESSION_INCREASE_EXPIRY, signed_in_staff
from okmarts.services import quotes
from okmarts.settings import Settings
from okmarts.tables.accounts import Account
from okmarts.tables.quotes import Quote

PATH = "/quotes/"  # inside the admin's mount
URL = f"{queue.MOUNT_PATH}{PATH}"
LINK_NAME = "Quotes queue"
TEMPLATE = "quotes_queue.html"
QUOTE_PATH = re.compile(r"^/quotes/(?P<item>[0-9]{1,12})/(?:(?P<action>answer|decline)/?)?$")
MAX_FIELDS = 200
PRICE = re.compile(r"^[0-9]{1,9}([.,][0-9]{1,4})?$")


def quote_links() -> dict[str, str]:
    return {LINK_NAME: URL}


def parse_price(text: str, currency: str) -> int | None:
    """A price typed in major units ("90", "90.50" or "90,50") as minor units; None if it is
    not one (negative prices don't parse: a minus sign is no digit)."""
    text = text.strip().replace(" ", "")
    if not PRICE.match(text):
        return None
    try:
        amount = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    minor = amount * (10 ** get_currency_precision(currency))
    if minor != minor.to_integral_value():
        return None  # more decimals than the currency has
    return int(minor)


def show_price(minor: int | None, currency: str) -> str:
    if minor is None:
        return ""
    digits = get_currency_precision(currency)
    return f"{Decimal(minor) / (10**digits):.{digits}f}"


class QuotesQueue(queue.ModerationQueue):
    """The page and its form posts (an ASGI app the staff admin sends /quotes/ to)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.settings = settings

    async def respond(self, scope: Scope, receive: Receive, token: str) -> Response:
        path, method = scope["path"], scope["method"]
        staff = await signed_in_staff(scope, increase_expiry=SESSION_INCREASE_EXPIRY)
        if staff is None:
            if method in ("GET", "HEAD"):
                return RedirectResponse(f"{queue.MOUNT_PATH}/", status_code=303)
            raise queue.Refused(403, "Sign in to the staff admin first, then open the queue.")
        if not staff.superuser:
            raise queue.Refused(403, "Quotes are for the sales staff (superusers) only.")
        if path.rstrip("/") == PATH.rstrip("/"):
            if method not in ("GET", "HEAD"):
                raise queue.Refused(405, "This page only lists quotes: open one to answer it.")
            query = HTTPConnection(scope).query_params
            return await self.list_page(staff, query.get("done", ""), query.get("quote", ""))
        match = QUOTE_PATH.match(path)
        if match is None:
            raise queue.Refused(404, "There is no such page.")
        quote_id = int(match["item"])
        action = match["action"]
        if action is None:
            if method not in ("GET", "HEAD"):
                raise queue.Refused(405, "Use the answer or decline buttons.")
            return await self.quote_page(staff, token, quote_id)
        if method != "POST":
            raise queue.Refused(405, "Use the answer or decline buttons.")
        form = await self.read_form(scope, receive)
        if not self.token_ok(form, token):
            raise queue.Refused(
                403,
                "This form is out of date or did not come from the queue. "
                "Reload the quote and answer again.",
            )
        self.check_origin(scope)
        if action == "answer":
            return await self.answer(staff, token, quote_id, form)
        return await self.decline(staff, token, quote_id, form)

    @staticmethod
    def token_ok(form: dict[str, str], token: str) -> bool:
        sent = form.get(queue.CSRF_FIELD, "")
        return bool(token and sent and hmac.compare_digest(sent, token))

    async def read_form(self, scope: Scope, receive: Receive) -> dict[str, str]:
        content_type = HTTPConnection(scope).headers.get("content-type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            raise queue.Refused(415, "Send the queue's forms as they are.")
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > queue.MAX_BODY:
                raise queue.Refused(413, "That is more than a quote's answer may hold.")
            if not message.get("more_body"):
                break
        try:
            fields = parse_qs(body.decode(), keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except (UnicodeDecodeError, ValueError):
            raise queue.Refused(400, "The form could not be read.") from None
        return {name: values[0] for name, values in fields.items()}

    # -- Pages ---------------------------------------------------------------------------------

    async def list_page(self, staff: BaseUser, done: str, number: str) -> Response:
        now = dt.datetime.now(dt.UTC)
        columns = (
            Quote.id,
            Quote.number,
            Quote.status,
            Quote.created_at,
            Quote.valid_until,
            Quote.delivery_country,
            Quote.account.email.as_alias("email"),
        )
        waiting = (
            await Quote.select(*columns)
            .where(Quote.status == "requested")
            .order_by(Quote.created_at)
            .order_by(Quote.id)
            .limit(queue.PAGE_SIZE)
        )
        recent = (
            await Quote.select(*columns)
            .where(Quote.status != "requested")
            .order_by(Quote.updated_at, ascending=False)
            .limit(queue.PAGE_SIZE)
        )
        for row in [*waiting, *recent]:
            row["age"] = queue.age(row["created_at"], now)
            row["status"] = quotes.effective_status(row["status"], row["valid_until"], now)
        notice = ""
        if done in ("answered", "declined") and re.fullmatch(r"Q-\d{4}-\d{6,12}", number):
            notice = f"Quote {number} is {done}: the buyer gets an email."
        return self.render(
            {
                "view": "list",
                "staff": staff.username,
                "waiting": waiting,
                "waiting_count": await Quote.count().where(Quote.status == "requested"),
                "recent": recent,
                "notice": notice,
            },
            status=200,
        )

    async def quote_page(
        self,
        staff: BaseUser,
        token: str,
        quote_id: int,
        *,
        status: int = 200,
        errors: dict[str, str] | None = None,
        typed: dict[str, str] | None = None,
        page_error: str = "",
    ) -> Response:
        detail = await quotes.staff_detail(quote_id)
        if detail is None:
            raise queue.Refused(404, f"There is no quote {quote_id}.")
        quote = detail.quote
        buyer = (
            await Account.select(Account.email, Account.real_name, Account.company)
            .where(Account.id == quote.account)
            .first()
        )
        defaults = await quotes.default_prices(detail)
        typed = typed or {}
        prices = {
            line["id"]: typed.get(
                f"price-{line['id']}",
                show_price(
                    line["unit_price_minor"]
                    if line["unit_price_minor"] is not None
                    else defaults.get(line["id"]),
                    quote.currency,
                ),
            )
            for line in detail.lines
        }
        until = dt.date.today() + dt.timedelta(days=self.settings.quote_validity_days)
        return self.render(
            {
                "view": "quote",
                "staff": staff.username,
                "csrf_field": queue.CSRF_FIELD,
                "csrf_token": token,
                "detail": detail,
                "quote": quote,
                "buyer": buyer or {},
                "prices": prices,
                "defaults": {key: show_price(v, quote.currency) for key, v in defaults.items()},
                "valid_until": typed.get("valid_until", until.isoformat()),
                "staff_note": typed.get("staff_note", ""),
                "reason": typed.get("reason", ""),
                "errors": errors or {},
                "page_error": page_error,
                "open": detail.quote.status == "requested",
            },
            status=status,
        )

    # -- Actions -------------------------------------------------------------------------------

    async def answer(
        self, staff: BaseUser, token: str, quote_id: int, form: dict[str, str]
    ) -> Response:
        detail = await quotes.staff_detail(quote_id)
        if detail is None:
            raise queue.Refused(404, f"There is no quote {quote_id}.")
        currency = detail.quote.currency
        errors: dict[str, str] = {}
        prices: dict[int, int] = {}
        for line in detail.lines:
            name = f"price-{line['id']}"
            price = parse_price(form.get(name, ""), currency)
            if price is None:
                errors[name] = (
                    f"Enter a price of 0 or more for {line['sku']}, e.g. 90.50 "
                    f"(at most {get_currency_precision(currency)} decimals)."
                )
            else:
                prices[line["id"]] = price
        until = None
        try:
            day = dt.date.fromisoformat(form.get("valid_until", "").strip())
            # The whole day named, in UTC.
            until = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)
        except ValueError:
            errors["valid_until"] = "Enter the validity date as YYYY-MM-DD."
        if until is not None and until <= dt.datetime.now(dt.UTC):
            errors["valid_until"] = "The validity date must be in the future."
        note = queue.CONTROL.sub("", form.get("staff_note", ""))
        if len(note) > quotes.STAFF_NOTE_MAX_LENGTH:
            errors["staff_note"] = f"At most {quotes.STAFF_NOTE_MAX_LENGTH} characters."
        if errors or until is None:
            return await self.quote_page(
                staff, token, quote_id, status=422, errors=errors, typed=form
            )
        try:
            await quotes.answer(
                quote_id,
                prices,
                valid_until=until,
                staff_note=note.strip(),
                staff=staff.username,
                settings=self.settings,
            )
        except quotes.QuoteRefused as refused:
            return await self.quote_page(
                staff, token, quote_id, status=409, page_error=refused.message.msgid, typed=form
            )
        return self.done("answered", detail.quote.number)

    async def decline(
        self, staff: BaseUser, token: str, quote_id: int, form: dict[str, str]
    ) -> Response:
        detail = await quotes.staff_detail(quote_id)
        if detail is None:
            raise queue.Refused(404, f"There is no quote {quote_id}.")
        reason = queue.CONTROL.sub("", form.get("reason", ""))
        try:
            await quotes.decline(quote_id, reason, staff=staff.username, settings=self.settings)
        except quotes.QuoteRefused as refused:
            status = 409 if refused.field == "quote" else 422
            errors = {} if status == 409 else {"reason": refused.message.msgid}
            return await self.quote_page(
                staff,
                token,
                quote_id,
                status=status,
                errors=errors,
                typed=form,
                page_error=refused.message.msgid if status == 409 else "",
            )
        return self.done("declined", detail.quote.number)

    def done(self, what: str, number: str) -> Response:  # type: ignore[override]
        return RedirectResponse(f"{URL}?{urlencode({'done': what, 'quote': number})}", 303)

    def render(self, context: dict[str, Any], *, status: int) -> HTMLResponse:
        template = self.jinja.get_template(TEMPLATE)
        html = template.render(
            stylesheet=self.static.url("css/site.css"),
            admin_url=f"{queue.MOUNT_PATH}/",
            url=URL,
            **{"notice": "", "page_error": "", "view": "error", "staff": "", **context},
        )
        return HTMLResponse(html, status_code=status)
