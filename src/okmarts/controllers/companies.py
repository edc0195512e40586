"""Company accounts in the personal center (/account/company), invitation links, and invoice
downloads. Rules in services/companies.py and services/invoices.py; every URL checks that the
company (or order) is the signed-in shopper's own: anyone else gets a 404."""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from okmarts.i18n import Message, current_locale
from okmarts.inputs import parse_int
from okmarts.services import addresses, companies, invoices, orders, returns
from okmarts.services.accounts import FormInvalid
from okmarts.tables.accounts import Account
from okmarts.tables.checkout import Order, OrderEvent, OrderLine, Payment
from okmarts.web import View, clean_form, redirect_after_post, signed_in_account

COMPANY = View("pages/account/company.html")
NOTICES = {
    "created",
    "saved",
    "invited",
    "joined",
    "left",
    "removed",
    "approved",
    "rejected",
    "address_added",
    "address_deleted",
}
ADDRESS_FIELDS = ("recipient", "phone", "country", "region", "city", "line", "zip_code")


async def _company_page(
    request: HTMXRequest,
    account: Account,
    *,
    notice: str = "",
    errors: dict[str, Message] | None = None,
    form: dict[str, Any] | None = None,
    address_form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    found = await companies.membership(account.id)
    context: dict[str, Any] = {
        "account": account,
        "membership": found,
        "roles": companies.ROLES,
        "statuses": orders.STATUSES,
        "notice": notice if notice in NOTICES else "",
        "errors": errors or {},
        "form": form or {},
    }
    if found is not None:
        company = found.company
        limit = company.approval_limit_minor
        context.update(
            members=await companies.members(company.id),
            invitations=await companies.open_invitations(company.id) if found.is_owner else [],
            pending=await companies.pending_approvals(company.id) if found.can_approve else [],
            company_orders=await companies.company_orders(company.id),
            company_addresses=await companies.company_addresses(company.id),
            address_form=address_form or {},
            countries=addresses.countries(current_locale.get()),
            settings_form=form
            or {
                "name": company.name,
                "vat_number": company.vat_number,
                "billing_address": company.billing_address,
                "approval_limit": "" if limit is None else _limit_text(limit, company.currency),
            },
        )
    return COMPANY.render(request, context, status_code)


def _limit_text(limit: int, currency: str) -> str:
    per_unit = orders.pricing.minor_per_unit(currency)
    whole, cents = divmod(limit, per_unit)
    return str(whole) if not cents else f"{whole}.{cents:0{len(str(per_unit)) - 1}d}"


class CompanyController(Controller):
    dependencies = {"account": Provide(signed_in_account)}  # noqa: RUF012 (Litestar reads it)
    path = "/account/company"

    @get("/", name="account_company", media_type=MediaType.HTML)
    async def show(
        self, request: HTMXRequest, account: NamedDependency[Account], notice: FromQuery[str] = ""
    ) -> Template:
        return await _company_page(request, account, notice=notice)

    @post("/", name="account_company_create", media_type=MediaType.HTML)
    async def create(self, request: HTMXRequest, account: NamedDependency[Account]) -> Any:
        data = clean_form(dict((await request.form()).items()))
        form = {key: str(data.get(key) or "") for key in _SETTINGS_FIELDS}
        try:
            await companies.create_company(
                account,
                name=form["name"],
                vat_number=form["vat_number"],
                billing_address=form["billing_address"],
                approval_limit=form["approval_limit"],
            )
        except FormInvalid as invalid:
            return await _company_page(
                request,
                account,
                errors=invalid.errors,
                form=form,
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return redirect_after_post(request, "/account/company?notice=created")

    @post("/settings", name="account_company_settings", media_type=MediaType.HTML)
    async def save_settings(self, request: HTMXRequest, account: NamedDependency[Account]) -> Any:
        data = clean_form(dict((await request.form()).items()))
        form = {key: str(data.get(key) or "") for key in _SETTINGS_FIELDS}
        try:
            await companies.update_company(account, **form)
        except companies.NotAMember as missing:
            raise NotFoundException() from missing
        except FormInvalid as invalid:
            return await _company_page(
                request,
                account,
                errors=invalid.errors,
                form=form,
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return redirect_after_post(request, "/account/company?notice=saved")

    @post("/invitations", name="account_company_invite", media_type=MediaType.HTML)
    async def invite(self, request: HTMXRequest, account: NamedDependency[Account]) -> Any:
        data = clean_form(dict((await request.form()).items()))
        email, role = str(data.get("email") or ""), str(data.get("role") or "buyer")
        try:
            await companies.invite(account, email, role, request.app.state.settings)
        except companies.NotAMember as missing:
            raise NotFoundException() from missing
        except FormInvalid as invalid:
            return await _company_page(
                request,
                account,
                errors={f"invite_{key}": value for key, value in invalid.errors.items()},
                form={"invite_email": email, "invite_role": role},
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return redirect_after_post(request, "/account/company?notice=invited")

    @post(
        "/invitations/{invitation_id:str}/withdraw",
        name="account_company_withdraw",
        media_type=MediaType.HTML,
    )
    async def withdraw(
        self, request: HTMXRequest, account: NamedDependency[Account], invitation_id: FromPath[str]
    ) -> Any:
        found = parse_int(invitation_id, minimum=1)
        try:
            if found is not None:
                await companies.withdraw_invitation(account, found)
        except companies.NotAMember as missing:
            raise NotFoundException() from missing
        return redirect_after_post(request, "/account/company")

    @post("/members/{member_id:str}/role", name="account_company_role", media_type=MediaType.HTML)
    async def role(
        self, request: HTMXRequest, account: NamedDependency[Account], member_id: FromPath[str]
    ) -> Any:
        data = clean_form(dict((await request.form()).items()))
        return await self._member_action(
            request, account, member_id, role=str(data.get("role") or ""), notice="saved"
        )

    @post(
        "/members/{member_id:str}/remove", name="account_company_remove", media_type=MediaType.HTML
    )
    async def remove(
        self, request: HTMXRequest, account: NamedDependency[Account], member_id: FromPath[str]
    ) -> Any:
        return await self._member_action(request, account, member_id, role=None, notice="removed")

    async def _member_action(
        self,
        request: HTMXRequest,
        account: Account,
        member_id: str,
        *,
        role: str | None,
        notice: str,
    ) -> Any:
        found = parse_int(member_id, minimum=1)
        if found is None:
            raise NotFoundException()
        try:
            if role is None:
                await companies.remove_member(account, found)
            else:
                await companies.change_role(account, found, role)
        except companies.NotAMember as missing:
            raise NotFoundException() from missing
        except companies.CompanyRefused as refused:
            return await _company_page(
                request,
                account,
                errors={"members": refused.message},
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        if await companies.membership(account.id) is None:
            return redirect_after_post(request, "/account/company?notice=left")
        return redirect_after_post(request, f"/account/company?notice={notice}")

    @post("/addresses", name="account_company_address_add", media_type=MediaType.HTML)
    async def add_address(self, request: HTMXRequest, account: NamedDependency[Account]) -> Any:
        data = clean_form(dict((await request.form()).items()))
        form = {key: str(data.get(f"address_{key}") or "") for key in ADDRESS_FIELDS}
        try:
            await companies.add_address(account, addresses.AddressForm(**form))
        except companies.NotAMember as missing:
            raise NotFoundException() from missing
        except FormInvalid as invalid:
            return await _company_page(
                request,
                account,
                errors={f"address_{key}": value for key, value in invalid.errors.items()},
                address_form={f"address_{key}": value for key, value in form.items()},
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return redirect_after_post(request, "/account/company?notice=address_added#addresses")

    @post(
        "/addresses/{address_id:str}/delete",
        name="account_company_address_delete",
        media_type=MediaType.HTML,
    )
    async def delete_address(
        self, request: HTMXRequest, account: NamedDependency[Account], address_id: FromPath[str]
    ) -> Any:
        found = parse_int(address_id, minimum=1)
        if found is None:
            raise NotFoundException()
        try:
            await companies.delete_address(account, found)
        except companies.NotAMember as missing:
            raise NotFoundException() from missing
        return redirect_after_post(request, "/account/company?notice=address_deleted#addresses")

    @post("/leave", name="account_company_leave", media_type=MediaType.HTML)
    async def leave(self, request: HTMXRequest, account: NamedDependency[Account]) -> Any:
        try:
            await companies.leave(account)
        except companies.NotAMember as missing:
            raise NotFoundException() from missing
        except companies.CompanyRefused as refused:
            return await _company_page(
                request,
                account,
                errors={"members": refused.message},
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return redirect_after_post(request, "/account/company?notice=left")

    @get("/orders/{number:str}", name="account_company_order", media_type=MediaType.HTML)
    async def order(
        self,
        request: HTMXRequest,
        account: NamedDependency[Account],
        number: FromPath[str],
        notice: FromQuery[str] = "",
    ) -> Template:
        return await _company_order_page(account, number, notice=notice)

    @post(
        "/orders/{number:str}/{decision:str}",
        name="account_company_decide",
        media_type=MediaType.HTML,
    )
    async def decide(
        self,
        request: HTMXRequest,
        account: NamedDependency[Account],
        number: FromPath[str],
        decision: FromPath[str],
    ) -> Any:
        if decision not in ("approve", "reject"):
            raise NotFoundException()
        data = clean_form(dict((await request.form()).items()))
        try:
            await companies.decide(
                account,
                number[:20],
                approve=decision == "approve",
                reason=str(data.get("reason") or ""),
                settings=request.app.state.settings,
            )
        except companies.NotAMember as missing:
            raise NotFoundException() from missing
        except companies.CompanyRefused as refused:
            return await _company_order_page(
                account, number, error=refused.message, status_code=HTTP_422_UNPROCESSABLE_ENTITY
            )
        notice = "approved" if decision == "approve" else "rejected"
        return redirect_after_post(
            request, f"/account/company/orders/{number[:20]}?notice={notice}"
        )


_SETTINGS_FIELDS = ("name", "vat_number", "billing_address", "approval_limit")


async def _company_order_page(
    account: Account,
    number: str,
    *,
    notice: str = "",
    error: Message | None = None,
    status_code: int = 200,
) -> Template:
    """An order of the shopper's company (any member sees it); 404 for any other."""
    order = await companies.company_order(account.id, number[:20])
    if order is None:
        raise NotFoundException()
    found = await companies.membership(account.id)
    detail = await _detail(order)
    return Template(
        template_name="pages/account/order.html",
        context={
            "account": account,
            "detail": detail,
            "order": order,
            # Issue 16 (H-returns): the history shows the return steps too.
            "statuses": {**orders.STATUSES, **returns.ORDER_EVENTS},
            "notice": "",
            "company_notice": notice if notice in NOTICES else "",
            "error": error,
            "payment_due": None,
            "company_view": True,
            "can_approve": found is not None and found.can_approve,
            "invoice": await invoices.invoice_of(order.id),
        },
        status_code=status_code,
    )


async def _detail(order: Order) -> orders.OrderDetail:
    lines = await OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id)
    events = (
        await OrderEvent.select(OrderEvent.status, OrderEvent.note, OrderEvent.created_at)
        .where(OrderEvent.order == order.id)
        .order_by(OrderEvent.id)
    )
    payments = (
        await Payment.select(
            Payment.method,
            Payment.status,
            Payment.amount_minor,
            Payment.currency,
            Payment.card_brand,
            Payment.card_last4,
            Payment.transaction_id,
        )
        .where(Payment.order == order.id)
        .order_by(Payment.id)
    )
    return orders.OrderDetail(order=order, lines=lines, events=events, payments=payments)


class InvitationController(Controller):
    """The link in the invitation email: sign in (or sign up) with the invited address, then
    accept. Visitors are sent to sign in and brought back."""

    dependencies = {"account": Provide(signed_in_account)}  # noqa: RUF012 (Litestar reads it)
    path = "/company-invitations"

    @get("/{token:str}", name="company_invitation", media_type=MediaType.HTML)
    async def show(
        self, request: HTMXRequest, account: NamedDependency[Account], token: FromPath[str]
    ) -> Template:
        return await _invitation_page(request, account, token)

    @post("/{token:str}", name="company_invitation_accept", media_type=MediaType.HTML)
    async def accept(
        self, request: HTMXRequest, account: NamedDependency[Account], token: FromPath[str]
    ) -> Any:
        try:
            await companies.accept(account, token[:500], request.app.state.settings)
        except companies.CompanyRefused as refused:
            return await _invitation_page(
                request,
                account,
                token,
                error=refused.message,
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return redirect_after_post(request, "/account/company?notice=joined")


async def _invitation_page(
    request: HTMXRequest,
    account: Account,
    token: str,
    *,
    error: Message | None = None,
    status_code: int = 200,
) -> Template:
    opened: companies.OpenInvitation | None = None
    if error is None:
        try:
            opened = await companies.read_invitation(token[:500], request.app.state.settings)
        except companies.CompanyRefused as refused:
            error, status_code = refused.message, 410
    return Template(
        template_name="pages/account/company_invitation.html",
        context={
            "account": account,
            "opened": opened,
            "token": token[:500],
            "error": error,
            "roles": companies.ROLES,
            "wrong_email": opened is not None and opened.invitation.email != account.email,
        },
        status_code=status_code,
    )


class InvoiceController(Controller):
    """An order's invoice PDF: for the account that placed it, and for members of the company
    it was placed for; 404 for anyone else (and for an order without an invoice)."""

    dependencies = {"account": Provide(signed_in_account)}  # noqa: RUF012 (Litestar reads it)

    @get("/account/orders/{number:str}/invoice", name="account_order_invoice")
    async def download(
        self, request: HTMXRequest, account: NamedDependency[Account], number: FromPath[str]
    ) -> Response[bytes]:
        number = number[:20]
        order = (
            await Order.objects()
            .where((Order.number == number) & (Order.account == account.id))
            .first()
        ) or await companies.company_order(account.id, number)
        if order is None:
            raise NotFoundException()
        document = await invoices.load(order)
        if document is None:
            raise NotFoundException()
        content = await invoices.pdf(
            document, request.app.state.settings, request.app.state.catalogs
        )
        return Response(
            content=content,
            media_type="application/pdf",
            headers={
                "Content-Disposition": (
                    f'attachment; filename="{invoices.file_name(document.invoice)}"'
                ),
                "Cache-Control": "private, no-store",
            },
        )
