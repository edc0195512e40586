"""Saved lists (/account/lists): the signed-in shopper's own named lists of parts; a read-only
shared copy at /lists/shared/<token>.

Every list URL checks the list is the shopper's (404 otherwise). Plain forms answer with a 303
back; htmx swaps the list's items (#list-items) in place. "Add to a list" on a product page is
a GET form to /account/lists/add (the product page is cached and shared: it holds no list
names); that page asks which list, then POSTs.

A list shared with the owner's company is read by its members here too (services.saved_lists:
open, download, put in the cart, ask for a quote); every change is the owner's (404 for others).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, MediaType, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from okmarts.i18n import N_, Message
from okmarts.inputs import parse_int
from okmarts.services import cart, companies, saved_lists
from okmarts.services.cart import CartError
from okmarts.services.saved_lists import ListError, ListNotFound
from okmarts.tables.accounts import Account
from okmarts.web import (
    Form,
    View,
    add_many_to_cart,
    cart_items,
    clean_form,
    redirect_after_post,
    signed_in_account,
    store_cart,
)

LISTS = View("pages/lists/lists.html")
LIST = View("pages/lists/list.html", fragment="partials/lists/items.html")
CHOOSE = View("pages/lists/add.html")
SHARED = View("pages/lists/shared.html")
BAD_QUANTITY = Message(
    N_("Enter a quantity from %(min)s to %(max)s (%(min)s removes the part)."),
    {"min": 0, "max": saved_lists.MAX_QUANTITY},
)


def _id(raw: str) -> int:
    number = parse_int(raw, minimum=1)
    if number is None:
        raise NotFoundException()
    return number


async def _view(account: Account, list_id: int) -> saved_lists.ListView:
    try:
        return await saved_lists.view(account.id, list_id)
    except ListNotFound as missing:
        raise NotFoundException() from missing


def _share_url(request: HTMXRequest, token: str | None) -> str:
    if not token:
        return ""
    return f"{request.app.state.settings.base_url}/lists/shared/{token}"


async def _list_page(
    request: HTMXRequest,
    account: Account,
    list_id: int,
    *,
    notice: str = "",
    error: Message | None = None,
    status_code: int = 200,
) -> Template:
    found = await _view(account, list_id)
    context = {
        "saved": found,
        # The owner's company, to share the list with (None: a shopper of no company).
        "membership": await companies.membership(account.id) if found.own else None,
        "share_url": _share_url(request, found.share_token),
        "notice": notice,
        "error": error,
        "max_quantity": saved_lists.MAX_QUANTITY,
    }
    return LIST.render(request, context, status_code)


class ListsController(Controller):
    path = "/account/lists"
    dependencies = {"account": Provide(signed_in_account)}  # noqa: RUF012 (Litestar reads it)

    @get("/", name="account_lists", media_type=MediaType.HTML)
    async def index(
        self, request: HTMXRequest, account: NamedDependency[Account], notice: FromQuery[str] = ""
    ) -> Template:
        context = {
            "lists": await saved_lists.lists_of(account.id),
            "colleagues_lists": await saved_lists.shared_with(account.id),
            "notice": notice,
        }
        return LISTS.render(request, {"error": None, "name": "", **context})

    @post("/", name="account_lists_create", media_type=MediaType.HTML)
    async def create(
        self, request: HTMXRequest, account: NamedDependency[Account], data: Form
    ) -> Any:
        name = str(clean_form(data).get("name") or "")
        try:
            list_id = await saved_lists.create(account.id, name)
        except ListError as problem:
            context = {
                "lists": await saved_lists.lists_of(account.id),
                "colleagues_lists": await saved_lists.shared_with(account.id),
                "notice": "",
                "error": problem.message,
                "name": name[:200],
            }
            return LISTS.render(request, context, HTTP_422_UNPROCESSABLE_ENTITY)
        return redirect_after_post(request, f"/account/lists/{list_id}?notice=created")

    # -- Adding a product, or the cart, to a list ---------------------------------------------

    @get("/add", name="account_lists_choose", media_type=MediaType.HTML)
    async def choose(
        self,
        request: HTMXRequest,
        account: NamedDependency[Account],
        product_id: FromQuery[str] = "",
        quantity: FromQuery[str] = "1",
        source: FromQuery[str] = "",
    ) -> Template:
        return await self._chooser(request, account, product_id, quantity, source)

    async def _chooser(
        self,
        request: HTMXRequest,
        account: Account,
        product_id: str,
        quantity: str,
        source: str,
        *,
        error: Message | None = None,
        name: str = "",
        status_code: int = 200,
    ) -> Template:
        items = await self._wanted(request, product_id, quantity, source)
        titles = {line.product_id: line for line in (await cart.view(items)).lines}
        context = {
            "lists": await saved_lists.lists_of(account.id),
            "items": [
                (titles[item.product_id], item.quantity)
                for item in items
                if item.product_id in titles
            ],
            "product_id": product_id,
            "quantity": quantity,
            "source": "cart" if source == "cart" else "",
            "error": error,
            "name": name,
        }
        return CHOOSE.render(request, context, status_code)

    async def _wanted(
        self, request: HTMXRequest, product_id: str, quantity: str, source: str
    ) -> list[cart.CartItem]:
        if source == "cart":
            return await cart_items(request)
        product = parse_int(product_id, minimum=1)
        count = parse_int(quantity or "1", minimum=1, maximum=saved_lists.MAX_QUANTITY) or 1
        return [cart.CartItem(product, count)] if product else []

    @post("/add", name="account_lists_add", media_type=MediaType.HTML)
    async def add(self, request: HTMXRequest, account: NamedDependency[Account], data: Form) -> Any:
        data = clean_form(data)
        product_id = str(data.get("product_id") or "")
        quantity = str(data.get("quantity") or "1")
        source = str(data.get("source") or "")
        name = str(data.get("new_list_name") or "")
        items = await self._wanted(request, product_id, quantity, source)
        list_id = parse_int(data.get("list_id"), minimum=1)
        error: Message | None = None
        if not items:
            error = Message(N_("There is nothing to add: choose a product first."))
        else:
            try:
                list_id = await saved_lists.add_items(
                    account.id, list_id, name, [(item.product_id, item.quantity) for item in items]
                )
            except ListError as problem:
                error = problem.message
            except ListNotFound:
                error = Message(N_("Choose one of your lists, or name a new one."))
        if error is not None:
            return await self._chooser(
                request,
                account,
                product_id,
                quantity,
                source,
                error=error,
                name=name[:200],
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return redirect_after_post(request, f"/account/lists/{list_id}?notice=added")

    # -- One list ----------------------------------------------------------------------------

    @get("/{list_id:str}", name="account_list", media_type=MediaType.HTML)
    async def show(
        self,
        request: HTMXRequest,
        account: NamedDependency[Account],
        list_id: FromPath[str],
        notice: FromQuery[str] = "",
    ) -> Template:
        return await _list_page(request, account, _id(list_id), notice=notice)

    @get("/{list_id:str}/csv", name="account_list_csv", media_type="text/csv")
    async def download(
        self, account: NamedDependency[Account], list_id: FromPath[str]
    ) -> Response[str]:
        found = await _view(account, _id(list_id))
        filename = quote(f"{found.name[:60]}.csv")
        return Response(
            saved_lists.to_csv(found.items),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="list-{found.id}.csv"; '
                f"filename*=UTF-8''{filename}"
            },
        )

    @post("/{list_id:str}/rename", name="account_list_rename", media_type=MediaType.HTML)
    async def rename(
        self,
        request: HTMXRequest,
        account: NamedDependency[Account],
        list_id: FromPath[str],
        data: Form,
    ) -> Any:
        number = _id(list_id)
        try:
            await saved_lists.rename(account.id, number, str(clean_form(data).get("name") or ""))
        except ListNotFound as missing:
            raise NotFoundException() from missing
        except ListError as problem:
            return await _list_page(
                request,
                account,
                number,
                error=problem.message,
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return redirect_after_post(request, f"/account/lists/{number}?notice=renamed")

    @post("/{list_id:str}/delete", name="account_list_delete", media_type=MediaType.HTML)
    async def delete(
        self, request: HTMXRequest, account: NamedDependency[Account], list_id: FromPath[str]
    ) -> Any:
        try:
            await saved_lists.delete(account.id, _id(list_id))
        except ListNotFound as missing:
            raise NotFoundException() from missing
        return redirect_after_post(request, "/account/lists?notice=deleted")

    @post(
        "/{list_id:str}/items/{product_id:str}", name="account_list_item", media_type=MediaType.HTML
    )
    async def set_quantity(
        self,
        request: HTMXRequest,
        account: NamedDependency[Account],
        list_id: FromPath[str],
        product_id: FromPath[str],
        data: Form,
    ) -> Any:
        number = _id(list_id)
        quantity = parse_int(clean_form(data).get("quantity"), maximum=saved_lists.MAX_QUANTITY)
        if quantity is None:
            return await _list_page(
                request,
                account,
                number,
                error=BAD_QUANTITY,
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return await self._change(request, account, number, _id(product_id), quantity)

    @post(
        "/{list_id:str}/items/{product_id:str}/delete",
        name="account_list_item_remove",
        media_type=MediaType.HTML,
    )
    async def remove(
        self,
        request: HTMXRequest,
        account: NamedDependency[Account],
        list_id: FromPath[str],
        product_id: FromPath[str],
    ) -> Any:
        return await self._change(request, account, _id(list_id), _id(product_id), 0)

    async def _change(
        self, request: HTMXRequest, account: Account, list_id: int, product_id: int, quantity: int
    ) -> Any:
        try:
            await saved_lists.set_quantity(account.id, list_id, product_id, quantity)
        except ListNotFound as missing:
            raise NotFoundException() from missing
        notice = "removed" if quantity == 0 else "updated"
        if request.htmx:
            return await _list_page(request, account, list_id, notice=notice)
        return redirect_after_post(request, f"/account/lists/{list_id}?notice={notice}")

    @post("/{list_id:str}/cart", name="account_list_to_cart", media_type=MediaType.HTML)
    async def to_cart(
        self, request: HTMXRequest, account: NamedDependency[Account], list_id: FromPath[str]
    ) -> Any:
        found = await _view(account, _id(list_id))
        additions = [(item.product_id, item.quantity, item.title) for item in found.items]
        error: Message | None = None
        if not additions:
            error = Message(N_("This list is empty."))
        else:
            try:
                items = await add_many_to_cart(request, additions)
            except CartError as problem:
                error = problem.message
        if error is not None:
            return await _list_page(
                request, account, found.id, error=error, status_code=HTTP_422_UNPROCESSABLE_ENTITY
            )
        response = redirect_after_post(request, "/cart?notice=added")
        store_cart(request, response, items)
        return response

    @post("/{list_id:str}/share", name="account_list_share", media_type=MediaType.HTML)
    async def share(
        self, request: HTMXRequest, account: NamedDependency[Account], list_id: FromPath[str]
    ) -> Any:
        number = _id(list_id)
        try:
            await saved_lists.share(account.id, number)
        except ListNotFound as missing:
            raise NotFoundException() from missing
        return redirect_after_post(request, f"/account/lists/{number}?notice=shared")

    @post("/{list_id:str}/unshare", name="account_list_unshare", media_type=MediaType.HTML)
    async def unshare(
        self, request: HTMXRequest, account: NamedDependency[Account], list_id: FromPath[str]
    ) -> Any:
        number = _id(list_id)
        try:
            await saved_lists.unshare(account.id, number)
        except ListNotFound as missing:
            raise NotFoundException() from missing
        return redirect_after_post(request, f"/account/lists/{number}?notice=unshared")

    @post(
        "/{list_id:str}/company-share", name="account_list_company_share", media_type=MediaType.HTML
    )
    async def company_share(
        self, request: HTMXRequest, account: NamedDependency[Account], list_id: FromPath[str]
    ) -> Any:
        number = _id(list_id)
        try:
            await saved_lists.share_with_company(account.id, number)
        except ListNotFound as missing:
            raise NotFoundException() from missing
        except ListError as problem:
            return await _list_page(
                request,
                account,
                number,
                error=problem.message,
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return redirect_after_post(request, f"/account/lists/{number}?notice=company_shared")

    @post(
        "/{list_id:str}/company-unshare",
        name="account_list_company_unshare",
        media_type=MediaType.HTML,
    )
    async def company_unshare(
        self, request: HTMXRequest, account: NamedDependency[Account], list_id: FromPath[str]
    ) -> Any:
        number = _id(list_id)
        try:
            await saved_lists.unshare_from_company(account.id, number)
        except ListNotFound as missing:
            raise NotFoundException() from missing
        return redirect_after_post(request, f"/account/lists/{number}?notice=company_unshared")


class SharedListController(Controller):
    path = "/lists/shared"

    @get("/{token:str}", name="shared_list", media_type=MediaType.HTML)
    async def show(self, request: HTMXRequest, token: FromPath[str]) -> Template:
        try:
            found = await saved_lists.shared_view(token)
        except ListNotFound as missing:
            raise NotFoundException() from missing
        # The token is the key to the list: not in search engines, not sent on to other sites.
        headers = {"X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}
        return SHARED.render(request, {"saved": found}, headers=headers)
