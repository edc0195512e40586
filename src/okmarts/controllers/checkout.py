"""Checkout (signed-in, verified shoppers) and "My Orders" in the personal center."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Controller, MediaType, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from litestar.status_codes import HTTP_403_FORBIDDEN, HTTP_422_UNPROCESSABLE_ENTITY

from okmarts.i18n import Message
from okmarts.services import (
    accounts,
    addresses,
    cart,
    companies,
    invoices,
    order_status,
    orders,
    returns,  # issue 16 (H-returns)
)
from okmarts.services.checkout import (
    PAYMENT_METHODS,
    Checkout,
    CheckoutForm,
    address_choices,
    apply_saved_address,
    price_checkout,
)
from okmarts.services.payments import TEST_CARDS
from okmarts.settings import Settings
from okmarts.tables.accounts import Account
from okmarts.web import View, cart_items, clean_form, redirect_after_post, signed_in_account

ORDER_NOTICES = {"placed", "cancelled"}
# Changing the country, shipping, coupon or points re-prices the summary box alone.
CHECKOUT = View(
    "pages/checkout/checkout.html",
    fragments={"order-summary": "partials/checkout/summary_box.html"},
)


def _locked_page(account: Account) -> Template | None:
    """Unverified accounts and children without a guardian's consent can't buy (policy §8)."""
    lock = accounts.interaction_lock(account)
    if lock is None:
        return None
    return Template(
        template_name="pages/checkout/locked.html",
        context={"lock": lock, "account": account, "minor_age": accounts.MINOR_AGE},
        status_code=HTTP_403_FORBIDDEN,
    )


async def _new_form(account: Account) -> CheckoutForm:
    form = CheckoutForm(checkout_key=secrets.token_urlsafe(24), email=account.email)
    book = await addresses.list_addresses(account.id)
    shipping = next((a for a in book if a.kind == "shipping"), None)
    billing = next((a for a in book if a.kind == "billing"), None)
    if shipping is not None:
        form.address_id = str(shipping.id)
        await apply_saved_address(form, account)
    if billing is not None:
        form.company, form.tax_id = billing.company, billing.tax_id
        form.billing_address = ", ".join(
            part
            for part in (billing.line, f"{billing.zip_code} {billing.city}", billing.country)
            if part.strip()
        )
    # Company accounts: a member buys for the company by default (its details pre-filled).
    member = await companies.membership(account.id)
    if member is not None:
        form.buying_for, form.for_company = "company", True
        form.company, form.tax_id = member.company.name, member.company.vat_number
        form.billing_address = member.company.billing_address or form.billing_address
        if shipping is None:
            # No address of their own: the company's first shipping address, if it has one.
            shared = await companies.company_addresses(member.company.id)
            if shared:
                form.address_id = f"c{shared[0].id}"
                await apply_saved_address(form, account)
    return form


class CheckoutController(Controller):
    # Buying is for signed-in shoppers: visitors are sent to sign in, then brought back.
    dependencies = {"account": Provide(signed_in_account)}  # noqa: RUF012 (Litestar reads it)

    async def _page(
        self,
        request: HTMXRequest,
        account: Account,
        view: cart.CartView,
        priced: Checkout,
        status_code: int = 200,
        refused: orders.OrderRefused | None = None,
    ) -> Template:
        context = {
            "account": account,
            "cart": priced.cart or view,  # quote prices applied, if any
            "form": priced.form.refill(),
            "summary": priced.summary,
            "errors": priced.errors,
            "points_balance": priced.points_balance,
            # The shopper's own shipping addresses and, when buying for it, their company's.
            **await address_choices(account),
            "payment_methods": PAYMENT_METHODS,
            "test_cards": TEST_CARDS,
            "refused": refused,
            "unpaid_order_days": request.app.state.settings.unpaid_order_days,
            # Company accounts: the "Buying for" choice (None: not a member of a company).
            "membership": await companies.membership(account.id),
        }
        return CHECKOUT.render(request, context, status_code)

    @get("/checkout", name="checkout", media_type=MediaType.HTML)
    async def show(self, request: HTMXRequest, account: NamedDependency[Account]) -> Any:
        locked = _locked_page(account)
        if locked is not None:
            return locked
        view = await cart.view(await cart_items(request))
        if not view.lines:
            return redirect_after_post(request, "/cart")
        form = await _new_form(account)
        priced = await price_checkout(
            view, form, account, request.app.state.settings, placing=False
        )
        return await self._page(request, account, view, priced)

    @post("/checkout", name="checkout_submit", media_type=MediaType.HTML)
    async def submit(self, request: HTMXRequest, account: NamedDependency[Account]) -> Any:
        locked = _locked_page(account)
        if locked is not None:
            return locked
        raw = await request.form()
        data = clean_form(dict(raw.items()))
        form = CheckoutForm.from_form(data, raw.getall("redeem") if "redeem" in raw else [])
        view = await cart.view(await cart_items(request))
        if not view.lines:
            # Placed already (the cart was emptied): a resubmit finds its order.
            placed = await orders.find_by_key(form.checkout_key)
            if placed is not None and placed.account == account.id:
                return redirect_after_post(
                    request, f"/account/orders/{placed.number}?notice=placed"
                )
            return redirect_after_post(request, "/cart")
        if data.get("address_id") != "new":
            await apply_saved_address(form, account)
        placing = data.get("action") == "place"
        settings = request.app.state.settings
        priced = await price_checkout(view, form, account, settings, placing=placing)
        if priced.errors and (placing or data.get("action") == "apply"):
            return await self._page(request, account, view, priced, HTTP_422_UNPROCESSABLE_ENTITY)
        if not placing:
            return await self._page(request, account, view, priced)
        try:
            placed = await orders.place_order(
                account,
                priced,
                view,
                gateway=request.app.state.payment_gateway,
                settings=settings,
            )
        except orders.OrderRefused as refused:
            priced.errors[refused.field] = refused.message
            # The next attempt is a new payment (another card, say): it gets a key of its own.
            priced.form.checkout_key = secrets.token_urlsafe(24)
            # The cart is untouched: only the card fields are to be typed again.
            return await self._page(
                request, account, view, priced, HTTP_422_UNPROCESSABLE_ENTITY, refused=refused
            )
        return redirect_after_post(request, f"/account/orders/{placed.order.number}?notice=placed")


async def _order_page(
    account: Account,
    number: str,
    *,
    notice: str = "",
    error: Message | None = None,
    status_code: int = 200,
    settings: Settings | None = None,
) -> Template:
    """One of the account's orders; 404 for any other number (never say that it exists)."""
    detail = await orders.get_order(account.id, number[:20])
    if detail is None:
        raise NotFoundException()
    order = detail.order
    return Template(
        template_name="pages/account/order.html",
        context={
            "account": account,
            "detail": detail,
            "order": order,
            # Issue 16 (H-returns): the history shows the return steps too.
            "statuses": {**orders.STATUSES, **returns.ORDER_EVENTS},
            "notice": notice if notice in ORDER_NOTICES else "",
            "error": error,
            "payment_due": orders.payment_due(order, settings) if settings is not None else None,
            # Company accounts: the invoice of a paid order (services/invoices.py).
            "invoice": await invoices.invoice_of(order.id),
            # Issue 16 (H-returns): the order's returns and "Return parts" (partials/returns).
            **(await returns.order_page_context(order, settings) if settings is not None else {}),
        },
        status_code=status_code,
    )


class OrdersController(Controller):
    dependencies = {"account": Provide(signed_in_account)}  # noqa: RUF012 (Litestar reads it)
    path = "/account/orders"

    @get("/", name="account_orders", media_type=MediaType.HTML)
    async def list_orders(
        self, request: HTMXRequest, account: NamedDependency[Account]
    ) -> Template:
        return Template(
            template_name="pages/account/orders.html",
            context={
                "account": account,
                "orders": await orders.list_orders(account.id),
                "statuses": orders.STATUSES,
            },
        )

    @get("/{number:str}", name="account_order", media_type=MediaType.HTML)
    async def show(
        self,
        request: HTMXRequest,
        account: NamedDependency[Account],
        number: FromPath[str],
        notice: FromQuery[str] = "",
    ) -> Template:
        return await _order_page(
            account, number, notice=notice, settings=request.app.state.settings
        )

    @post("/{number:str}/cancel", name="account_order_cancel", media_type=MediaType.HTML)
    async def cancel(
        self, request: HTMXRequest, account: NamedDependency[Account], number: FromPath[str]
    ) -> Any:
        try:
            await order_status.cancel_by_customer(
                account,
                number[:20],
                request.app.state.settings,
                gateway=request.app.state.payment_gateway,
            )
        except order_status.StatusChangeRefused as refused:
            return await _order_page(
                account,
                number,
                error=refused.message,
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
                settings=request.app.state.settings,
            )
        return redirect_after_post(request, f"/account/orders/{number[:20]}?notice=cancelled")
