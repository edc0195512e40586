"""The cart page and its actions: add, change a quantity, remove."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, MediaType, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from okmarts import dismissals
from okmarts.i18n import N_, Message
from okmarts.inputs import parse_int
from okmarts.services import cart, checkout, recommendations
from okmarts.services.cart import CartError
from okmarts.web import (
    Form,
    View,
    add_to_cart,
    cart_items,
    change_cart,
    clean_form,
    current_account,
    redirect_after_post,
    safe_next,
    store_cart,
)

# htmx asks for the cart body alone (with the header count alongside, out of band).
CART = View("pages/cart/cart.html", fragment="partials/cart/cart_body.html")
# Each message states the rule its form applies: adding takes 1 or more, a cart line also 0.
BAD_ADD_QUANTITY = Message(
    N_("Enter a quantity from %(min)s to %(max)s."), {"min": 1, "max": cart.MAX_QUANTITY}
)
BAD_LINE_QUANTITY = Message(
    N_("Enter a quantity from %(min)s to %(max)s (%(min)s removes the product)."),
    {"min": 0, "max": cart.MAX_QUANTITY},
)


def _quantity(raw: str | None, default: int = 1) -> int | None:
    return parse_int(raw or str(default), maximum=cart.MAX_QUANTITY)


def _product_id(raw: str | None) -> int | None:
    return parse_int(raw, minimum=1)


def _path_product_id(raw: str) -> int:
    """A cart line's product id from its URL; 404 for anything that can't be one."""
    product_id = _product_id(raw)
    if product_id is None:
        raise NotFoundException()
    return product_id


async def _cart_page(
    request: HTMXRequest,
    *,
    items: list[cart.CartItem] | None = None,
    country: str = "",
    error: Message | None = None,
    status_code: int = 200,
    notice: str = "",
    back: str = "",
) -> Template:
    view = await cart.view(items if items is not None else await cart_items(request))
    account = current_account.get()
    summary = await checkout.cart_summary(
        view,
        country=country,
        account=account,
        seller_country=request.app.state.settings.seller_country,
    )
    hidden = await dismissals.dismissed(request, account) if view.lines else set()
    context = {
        "cart": view,
        "kits": await recommendations.kits_in_cart(checkout.priced_lines(view), view.currency),
        "bought_with": await recommendations.bought_with_cart(
            [(line.product_id, line.title) for line in view.lines], hidden
        ),
        "summary": summary,
        "error": error,
        "notice": notice,
        "back": safe_next(back, ""),
        "signed_in": account is not None,  # issue 21: the quote request form
    }
    return CART.render(request, context, status_code)


class CartController(Controller):
    @get("/cart", name="cart", media_type=MediaType.HTML)
    async def show(
        self,
        request: HTMXRequest,
        country: FromQuery[str] = "",
        notice: FromQuery[str] = "",
        back: FromQuery[str] = "",
    ) -> Template:
        return await _cart_page(request, country=country, notice=notice, back=back)

    @post("/cart/lines", name="cart_add", media_type=MediaType.HTML)
    async def add(self, request: HTMXRequest, data: Form) -> Any:
        data = clean_form(data)
        next_path = safe_next(data.get("next"), "/cart")
        product_id, quantity = _product_id(data.get("product_id")), _quantity(data.get("quantity"))
        error: Message | None = None
        items: list[cart.CartItem] = []
        count, title = 0, ""
        if product_id is None or not quantity:
            error = BAD_ADD_QUANTITY if product_id else Message(N_("Choose a product to add."))
        else:
            try:
                items, count, title = await add_to_cart(request, product_id, quantity)
            except CartError as problem:
                error = problem.message
        if request.htmx:
            # The message names what was added: several products' buttons are on a page.
            if not error and not title and product_id is not None:
                title = await cart.product_title(product_id)
            response: Response[Any] = Template(
                template_name="partials/cart/added.html",
                context={"error": error, "title": title},
                status_code=HTTP_422_UNPROCESSABLE_ENTITY if error else 200,
            )
        elif error:
            return await _cart_page(request, error=error, status_code=HTTP_422_UNPROCESSABLE_ENTITY)
        else:
            # Without JavaScript the shopper sees the cart, with a way back to where they were.
            response = redirect_after_post(
                request, f"/cart?{urlencode({'notice': 'added', 'back': next_path})}"
            )
        if not error:
            store_cart(request, response, items, count)
        return response

    # Ids in paths are read as text and parsed here: Litestar's `int` takes any size ("9" * 30),
    # which no database column holds.
    @post("/cart/lines/{product_id:str}", name="cart_update", media_type=MediaType.HTML)
    async def update(self, request: HTMXRequest, product_id: FromPath[str], data: Form) -> Any:
        line_product = _path_product_id(product_id)
        data = clean_form(data)
        quantity = _quantity(data.get("quantity"), default=-1)
        if quantity is None:
            return await _cart_page(
                request, error=BAD_LINE_QUANTITY, status_code=HTTP_422_UNPROCESSABLE_ENTITY
            )
        return await self._change(request, line_product, quantity, "updated")

    @post("/cart/lines/{product_id:str}/delete", name="cart_remove", media_type=MediaType.HTML)
    async def remove(self, request: HTMXRequest, product_id: FromPath[str]) -> Any:
        return await self._change(request, _path_product_id(product_id), 0, "removed")

    async def _change(
        self, request: HTMXRequest, product_id: int, quantity: int, notice: str
    ) -> Any:
        try:
            items = await change_cart(request, product_id, quantity, add=False)
        except CartError as problem:
            return await _cart_page(
                request, error=problem.message, status_code=HTTP_422_UNPROCESSABLE_ENTITY
            )
        if request.htmx:
            page = await _cart_page(request, items=items, notice=notice)
            store_cart(request, page, items)
            return page
        response = redirect_after_post(request, f"/cart?notice={notice}")
        store_cart(request, response, items)
        return response
