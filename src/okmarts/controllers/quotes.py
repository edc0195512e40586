"""Quotes in the personal center: ask for one (from the cart, or a saved list), see them, decline,
download the PDF, and order at the quoted prices through the checkout.

Every URL is the signed-in account's own: another account's quote number is a 404.
"""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Controller, MediaType, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_422_UNPROCESSABLE_ENTITY

from okmarts.controllers.checkout import CHECKOUT, _locked_page, _new_form
from okmarts.i18n import Message, current_locale
from okmarts.inputs import parse_int
from okmarts.services import addresses, cart, checkout, orders, quote_pdf, quotes, saved_lists
from okmarts.services.checkout import PAYMENT_METHODS, CheckoutForm, apply_saved_address
from okmarts.services.payments import TEST_CARDS
from okmarts.tables.accounts import Account
from okmarts.web import View, cart_items, clean_form, redirect_after_post, signed_in_account

NOTICES = {"requested", "declined"}
QUOTE = View("pages/account/quote.html")
REQUEST = View("pages/account/quote_request.html")


def _number(raw: str) -> str:
    return raw[:20]


async def _list_lines(account: Account, list_id: int) -> list[tuple[int, int]] | None:
    """A saved list's lines, or None when this account has no such list."""
    try:
        return list(await saved_lists.lines_of(account.id, list_id))
    except saved_lists.ListNotFound:
        return None


async def _request_page(
    request: HTMXRequest,
    account: Account,
    *,
    form: dict[str, str],
    errors: dict[str, Message],
    status_code: int = 200,
) -> Template:
    list_id = parse_int(form.get("list_id"), minimum=1)
    if list_id is not None:
        lines = await _list_lines(account, list_id)
        if lines is None:
            raise NotFoundException()
        view = await cart.view([cart.CartItem(product, quantity) for product, quantity in lines])
    else:
        view = await cart.view(await cart_items(request))
    if not form.get("delivery_country"):
        form["delivery_country"] = await checkout.default_country(account)
    context = {
        "account": account,
        "cart": view,
        "form": form,
        "errors": errors,
        "countries": _countries(),
        "note_max_length": quotes.NOTE_MAX_LENGTH,
    }
    return REQUEST.render(request, context, status_code)


def _countries() -> tuple[tuple[str, str], ...]:
    return addresses.countries(current_locale.get())


async def _quote_page(
    request: HTMXRequest,
    account: Account,
    number: str,
    *,
    notice: str = "",
    error: Message | None = None,
    status_code: int = 200,
) -> Template:
    detail = await quotes.get_quote(account.id, _number(number))
    if detail is None:
        raise NotFoundException()
    context = {
        "account": account,
        "detail": detail,
        "quote": detail.quote,
        "statuses": quotes.STATUSES,
        "countries": dict(_countries()),
        "notice": notice if notice in NOTICES else "",
        "error": error,
    }
    return QUOTE.render(request, context, status_code)


class QuotesController(Controller):
    dependencies = {"account": Provide(signed_in_account)}  # noqa: RUF012 (Litestar reads it)
    path = "/account/quotes"

    @get("/", name="account_quotes", media_type=MediaType.HTML)
    async def list_quotes(
        self, request: HTMXRequest, account: NamedDependency[Account]
    ) -> Template:
        return Template(
            template_name="pages/account/quotes.html",
            context={
                "account": account,
                "quotes": await quotes.list_quotes(account.id),
                "statuses": quotes.STATUSES,
            },
        )

    @get("/new", name="account_quote_new", media_type=MediaType.HTML)
    async def new(
        self, request: HTMXRequest, account: NamedDependency[Account], list_id: FromQuery[str] = ""
    ) -> Template:
        return await _request_page(request, account, form={"list_id": list_id[:12]}, errors={})

    @post("/", name="account_quote_request", media_type=MediaType.HTML)
    async def ask(self, request: HTMXRequest, account: NamedDependency[Account]) -> Any:
        data = clean_form(dict((await request.form()).items()))
        form = {
            "delivery_country": str(data.get("delivery_country") or "")[:2],
            "note": str(data.get("note") or ""),
            "list_id": str(data.get("list_id") or "")[:12],
        }
        list_id = parse_int(form["list_id"], minimum=1)
        if list_id is not None:
            lines = await _list_lines(account, list_id)
            if lines is None:
                raise NotFoundException()
        else:
            lines = [(item.product_id, item.quantity) for item in await cart_items(request)]
        try:
            quote = await quotes.request_for_lines(
                account, lines, delivery_country=form["delivery_country"], note=form["note"]
            )
        except quotes.QuoteRefused as refused:
            return await _request_page(
                request,
                account,
                form=form,
                errors={refused.field: refused.message},
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return redirect_after_post(request, f"/account/quotes/{quote.number}?notice=requested")

    @get("/{number:str}", name="account_quote", media_type=MediaType.HTML)
    async def show(
        self,
        request: HTMXRequest,
        account: NamedDependency[Account],
        number: FromPath[str],
        notice: FromQuery[str] = "",
    ) -> Template:
        return await _quote_page(request, account, number, notice=notice)

    @post("/{number:str}/decline", name="account_quote_decline", media_type=MediaType.HTML)
    async def decline(
        self, request: HTMXRequest, account: NamedDependency[Account], number: FromPath[str]
    ) -> Any:
        if await quotes.get_quote(account.id, _number(number)) is None:
            raise NotFoundException()
        try:
            await quotes.decline_by_buyer(account.id, _number(number))
        except quotes.QuoteRefused as refused:
            return await _quote_page(
                request, account, number, error=refused.message, status_code=HTTP_409_CONFLICT
            )
        return redirect_after_post(request, f"/account/quotes/{_number(number)}?notice=declined")

    @get("/{number:str}/pdf", name="account_quote_pdf")
    async def pdf(
        self, request: HTMXRequest, account: NamedDependency[Account], number: FromPath[str]
    ) -> Response[bytes]:
        detail = await quotes.get_quote(account.id, _number(number))
        if detail is None:
            raise NotFoundException()
        settings = request.app.state.settings
        content = await quote_pdf.quote_pdf(
            detail,
            account,
            request.app.state.catalogs.gettext,
            f"{settings.base_url}/account/quotes/{detail.quote.number}",
        )
        return Response(
            content=content,
            media_type="application/pdf",
            headers={
                "Content-Disposition": "attachment; "
                f'filename="{quote_pdf.filename_of(detail.quote.number)}"',
                # Personal data: never kept by a shared cache.
                "Cache-Control": "private, no-store",
            },
        )

    # -- Ordering at the quoted prices: the checkout page, priced from the quote ---------------

    async def _checkout_page(
        self,
        request: HTMXRequest,
        account: Account,
        quoted: quotes.QuoteCheckout,
        priced: checkout.Checkout,
        status_code: int = 200,
        refused: orders.OrderRefused | None = None,
    ) -> Template:
        number = quoted.detail.quote.number
        context = {
            "account": account,
            "cart": quoted.cart,
            "form": priced.form.refill(),
            "summary": priced.summary,
            "errors": priced.errors,
            "points_balance": priced.points_balance,
            **await checkout.address_choices(account),
            "payment_methods": PAYMENT_METHODS,
            "test_cards": TEST_CARDS,
            "refused": refused,
            "unpaid_order_days": request.app.state.settings.unpaid_order_days,
            "checkout_url": f"/account/quotes/{number}/checkout",
            "quote_number": number,
        }
        return CHECKOUT.render(request, context, status_code)

    async def _quoted(self, request: HTMXRequest, account: Account, number: str) -> Any:
        """The quote as a checkout, or the quote's page saying why it can't be ordered."""
        try:
            quoted = await quotes.checkout_for(account.id, _number(number))
        except quotes.QuoteRefused as refused:
            return await _quote_page(
                request, account, number, error=refused.message, status_code=HTTP_409_CONFLICT
            )
        if quoted is None:
            raise NotFoundException()
        return quoted

    @get("/{number:str}/checkout", name="account_quote_checkout", media_type=MediaType.HTML)
    async def checkout(
        self, request: HTMXRequest, account: NamedDependency[Account], number: FromPath[str]
    ) -> Any:
        locked = _locked_page(account)
        if locked is not None:
            return locked
        quoted = await self._quoted(request, account, number)
        if not isinstance(quoted, quotes.QuoteCheckout):
            return quoted
        form = await _new_form(account)
        form.country = quoted.detail.quote.delivery_country or form.country
        priced = await quotes.price_checkout(
            account, quoted, form, request.app.state.settings, placing=False
        )
        return await self._checkout_page(request, account, quoted, priced)

    @post("/{number:str}/checkout", name="account_quote_checkout_submit", media_type=MediaType.HTML)
    async def checkout_submit(
        self, request: HTMXRequest, account: NamedDependency[Account], number: FromPath[str]
    ) -> Any:
        locked = _locked_page(account)
        if locked is not None:
            return locked
        raw = await request.form()
        data = clean_form(dict(raw.items()))
        # Quoted lines are paid in money: nothing to redeem with points.
        form = CheckoutForm.from_form(data, [])
        placed = await orders.find_by_key(form.checkout_key) if form.checkout_key else None
        if placed is not None and placed.account == account.id:
            # Placed already (a double submit): its order.
            return redirect_after_post(request, f"/account/orders/{placed.number}?notice=placed")
        quoted = await self._quoted(request, account, number)
        if not isinstance(quoted, quotes.QuoteCheckout):
            return quoted
        if data.get("address_id") != "new":
            await apply_saved_address(form, account)
        placing = data.get("action") == "place"
        settings = request.app.state.settings
        priced = await quotes.price_checkout(account, quoted, form, settings, placing=placing)
        if priced.errors and (placing or data.get("action") == "apply"):
            return await self._checkout_page(
                request, account, quoted, priced, HTTP_422_UNPROCESSABLE_ENTITY
            )
        if not placing:
            return await self._checkout_page(request, account, quoted, priced)
        try:
            result = await orders.place_order(
                account,
                priced,
                quoted.cart,
                gateway=request.app.state.payment_gateway,
                settings=settings,
            )
        except orders.OrderRefused as refused:
            priced.errors[refused.field] = refused.message
            priced.form.checkout_key = secrets.token_urlsafe(24)
            return await self._checkout_page(
                request, account, quoted, priced, HTTP_422_UNPROCESSABLE_ENTITY, refused=refused
            )
        return redirect_after_post(request, f"/account/orders/{result.order.number}?notice=placed")
