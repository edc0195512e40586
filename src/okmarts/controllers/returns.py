"""Returns and complaints in the personal center (issue 16; the rules: services/returns.py).

- /account/orders/<number>/return: which parts, how many, why, and up to
  support_files.MAX_FILES photos (GET the form, POST it: multipart; the photos are checked and
  re-encoded by services.support_files and go with the return's conversation);
- /account/returns/<R-number>: the return's status, its instructions or the reason it was
  refused, its photos (downloaded through the conversation's own owner-only route,
  /account/support/<S-number>/files/<id>), a bank refund's payment once made, and (refused)
  "Escalate to a complaint";
- /account/support/<S-number>/complaint: escalate a conversation (the form is
  partials/support/escalate.html, included by the conversation page);
- /account/complaints/<K-number>: the case number, its due date and the decision.

Every URL is the signed-in account's own: another account's number is a 404.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from okmarts.controllers.support import UPLOAD_CAP, MultipartForm, prepared_uploads
from okmarts.i18n import Message, current_locale
from okmarts.services import returns, support_files
from okmarts.services.accounts import FormInvalid
from okmarts.tables.accounts import Account
from okmarts.tables.checkout import Order
from okmarts.tables.support import Conversation
from okmarts.web import View, clean_form, redirect_after_post, signed_in_account

REQUEST = View("pages/account/return_request.html", fragment="partials/returns/request_form.html")
RETURN = View("pages/account/return.html", fragment="partials/returns/escalate_return.html")
COMPLAINT = View("pages/account/complaint.html")
NOTICES = {"requested", "complaint"}


async def _own_order(account: Account, number: str) -> Order:
    order = (
        await Order.objects()
        .where((Order.number == number[:20]) & (Order.account == account.id))
        .first()
    )
    if order is None:
        raise NotFoundException()
    return order


async def _request_page(
    request: HTMXRequest,
    account: Account,
    order: Order,
    *,
    form: dict[str, str],
    errors: dict[str, Message],
    refused: Message | None = None,
    status_code: int = 200,
) -> Template:
    settings = request.app.state.settings
    check = await returns.eligibility(order, settings)
    context = {
        "account": account,
        "order": order,
        "check": check,
        "form": form,
        "errors": errors,
        "refused": refused or (None if check.eligible else check.why),
        "reasons": returns.REASONS,
        "note_max": returns.NOTE_MAX,
        "max_photos": support_files.MAX_FILES,
        "window_days": settings.return_window_days,
    }
    return REQUEST.render(request, context, status_code)


async def _return_page(
    request: HTMXRequest,
    account: Account,
    number: str,
    *,
    notice: str = "",
    form: dict[str, str] | None = None,
    errors: dict[str, Message] | None = None,
    status_code: int = 200,
) -> Template:
    found = await returns.by_number(number, account.id)
    if found is None:
        raise NotFoundException()
    context = {
        "account": account,
        "detail": found,
        "item": found.request,
        "order": found.order,
        "statuses": returns.STATUSES,
        "reasons": returns.REASONS,
        "notice": notice if notice in NOTICES else "",
        "form": form or {},
        "errors": errors or {},
    }
    return RETURN.render(request, context, status_code)


class ReturnsController(Controller):
    dependencies = {"account": Provide(signed_in_account)}  # noqa: RUF012 (Litestar reads it)
    path = "/account"

    @get("/orders/{number:str}/return", name="account_return_new", media_type=MediaType.HTML)
    async def new(
        self, request: HTMXRequest, account: NamedDependency[Account], number: FromPath[str]
    ) -> Template:
        order = await _own_order(account, number)
        return await _request_page(request, account, order, form={}, errors={})

    @post(
        "/orders/{number:str}/return",
        name="account_return_ask",
        media_type=MediaType.HTML,
        request_max_body_size=UPLOAD_CAP,
    )
    async def ask(
        self,
        request: HTMXRequest,
        account: NamedDependency[Account],
        number: FromPath[str],
        data: MultipartForm,
    ) -> Any:
        order = await _own_order(account, number)
        text = clean_form({key: value for key, value in data.items() if isinstance(value, str)})
        form = {key: value[: returns.NOTE_MAX + 10] for key, value in text.items()}
        settings = request.app.state.settings
        try:
            try:
                photos = await prepared_uploads(request, data, field="photos", photos_only=True)
            except support_files.AttachmentRefused as refused:
                # Still check the rest, so every message shows at once.
                errors: dict[str, Message] = {"photos": refused.message}
                try:
                    check = await returns.eligibility(order, settings)
                    returns.parse_quantities(form, check.lines)
                except FormInvalid as invalid:
                    errors.update(invalid.errors)
                raise FormInvalid(errors) from refused
            check = await returns.eligibility(order, settings)
            quantities = returns.parse_quantities(form, check.lines)
            made = await returns.request_return(
                settings,
                account,
                order.number,
                quantities,
                reason=form.get("reason", ""),
                note=form.get("note", ""),
                photos=photos,
                locale=current_locale.get(),
            )
        except FormInvalid as invalid:
            return await _request_page(
                request,
                account,
                order,
                form=form,
                errors=invalid.errors,
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        except returns.ReturnRefused as refused:
            return await _request_page(
                request,
                account,
                order,
                form=form,
                errors={},
                refused=refused.message,
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return redirect_after_post(request, f"/account/returns/{made.number}?notice=requested")

    @get("/returns/{number:str}", name="account_return", media_type=MediaType.HTML)
    async def show(
        self,
        request: HTMXRequest,
        account: NamedDependency[Account],
        number: FromPath[str],
        notice: FromQuery[str] = "",
    ) -> Template:
        return await _return_page(request, account, number, notice=notice)

    @post(
        "/returns/{number:str}/complaint",
        name="account_return_complaint",
        media_type=MediaType.HTML,
    )
    async def escalate_return(
        self, request: HTMXRequest, account: NamedDependency[Account], number: FromPath[str]
    ) -> Any:
        if await returns.by_number(number, account.id) is None:
            raise NotFoundException()
        data = clean_form(dict((await request.form()).items()))
        form = {"summary": str(data.get("summary") or "")[: returns.REASON_MAX + 10]}
        try:
            complaint = await returns.escalate(
                request.app.state.settings,
                account,
                summary=form["summary"],
                return_number=number,
                locale=current_locale.get(),
            )
        except FormInvalid as invalid:
            return await _return_page(
                request,
                account,
                number,
                form=form,
                errors=invalid.errors,
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        except returns.ReturnRefused as refused:
            return await _return_page(
                request,
                account,
                number,
                form=form,
                errors={"summary": refused.message},
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return redirect_after_post(
            request, f"/account/complaints/{complaint.case_number}?notice=complaint"
        )

    @post(
        "/support/{number:str}/complaint",
        name="account_support_complaint",
        media_type=MediaType.HTML,
    )
    async def escalate_conversation(
        self, request: HTMXRequest, account: NamedDependency[Account], number: FromPath[str]
    ) -> Any:
        conversation = (
            await Conversation.select(Conversation.id)
            .where((Conversation.number == number[:20]) & (Conversation.account == account.id))
            .first()
        )
        if conversation is None:
            raise NotFoundException()
        data = clean_form(dict((await request.form()).items()))
        summary = str(data.get("summary") or "")[: returns.REASON_MAX + 10]
        try:
            complaint = await returns.escalate(
                request.app.state.settings,
                account,
                summary=summary,
                conversation_number=number,
                locale=current_locale.get(),
            )
        except (FormInvalid, returns.ReturnRefused) as refused:
            errors = (
                refused.errors if isinstance(refused, FormInvalid) else {"summary": refused.message}
            )
            return Template(
                template_name="pages/account/escalate.html",
                context={
                    "account": account,
                    "conversation_number": number[:20],
                    "escalate_form": {"summary": summary},
                    "escalate_errors": errors,
                },
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return redirect_after_post(
            request, f"/account/complaints/{complaint.case_number}?notice=complaint"
        )

    @get("/complaints/{case:str}", name="account_complaint", media_type=MediaType.HTML)
    async def complaint(
        self,
        request: HTMXRequest,
        account: NamedDependency[Account],
        case: FromPath[str],
        notice: FromQuery[str] = "",
    ) -> Template:
        found = await returns.complaint_by_case(case, account.id)
        if found is None:
            raise NotFoundException()
        context = {
            "account": account,
            "complaint": found,
            "statuses": returns.COMPLAINT_STATUSES,
            "decisions": returns.DECISIONS,
            "notice": notice if notice in NOTICES else "",
        }
        return COMPLAINT.render(request, context)
