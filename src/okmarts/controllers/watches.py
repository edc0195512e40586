"""Watched parts (issue #17): the alerts block of a product page, a visitor's confirmation and
stop links, and the account's "Watched parts" page (/account/watches).

Every action is a plain POST form (303 back) that htmx answers with the block or list that
changed. Links in emails open a page with a button: a GET never changes anything (mail scanners
and link previews open links by themselves).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
)

from okmarts.i18n import N_, Message, current_locale
from okmarts.inputs import parse_int
from okmarts.services import watches
from okmarts.services.accounts import FormInvalid
from okmarts.services.rate_limits import RateLimited
from okmarts.services.tokens import TokenError, TokenExpired
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.web import (
    Form,
    View,
    clean_form,
    current_account,
    redirect_after_post,
    signed_in_account,
    site,
)

# A signed-in shopper's block: htmx swaps it in place; a plain POST goes back to the product
# page (served by the page cache, which fills the block for each shopper).
BUTTONS = "partials/watches/buttons.html"
# A visitor's form: without JavaScript, a page of its own when it needs correcting.
VISITOR = View("pages/watches/visitor.html", fragment="partials/watches/visitor_form.html")
WATCHED = View("pages/watches/account.html", fragment="partials/watches/list.html")

BAD_LINK = N_("This link is not valid. Open the link from the email as it is, or ask again.")
EXPIRED_LINK = N_("This link has expired. Ask again on the part's page.")


def _link_problem(error: TokenError) -> Message:
    return Message(EXPIRED_LINK if isinstance(error, TokenExpired) else BAD_LINK)


async def _product(slug: str) -> dict[str, Any]:
    product = await (
        Product.select(Product.id, Product.slug, Product.title, Product.stock, Product.status)
        .where(Product.slug == slug)
        .first()
    )
    if product is None:
        raise NotFoundException()
    return product


class WatchesController(Controller):
    @post("/products/{slug:str}/watch", name="product_watch", media_type=MediaType.HTML)
    async def watch(self, request: HTMXRequest, slug: FromPath[str], data: Form) -> Any:
        data = clean_form(data)
        product = await _product(slug)
        account = current_account.get()
        if account is None:
            return await self._visitor(request, product, data)
        try:
            kind = watches.parse_kind(data.get("kind"))
        except FormInvalid:
            return Template(
                template_name="pages/reviews/refused.html",
                context={
                    "error": Message(N_("Choose what to be told about.")),
                    "back": f"/products/{slug}",
                },
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        if data.get("action") == "stop":
            await watches.unwatch(account, product["id"], kind)
        else:
            await watches.watch(account, product["id"], kind)
        if not request.htmx:
            return redirect_after_post(request, f"/products/{slug}#watch-block")
        context = await watches.block_context(account.id, product["id"])
        return Template(template_name=BUTTONS, context=context or {})

    async def _visitor(self, request: HTMXRequest, product: dict[str, Any], data: dict) -> Any:
        context: dict[str, Any] = {
            "product": product,
            "watch_form": {"email": data.get("email", "")[:254]},
            "watch_errors": {},
            "watch_retry_minutes": 0,
            "watch_sent": False,
            **watches.template_context(),
        }
        client = request.client.host if request.client else "unknown"
        try:
            kind = watches.parse_kind(data.get("kind"))
            await watches.request_visitor_watch(
                data.get("email", ""), product, kind, current_locale.get(), site(request), client
            )
        except FormInvalid as error:
            context["watch_errors"] = error.errors
            return VISITOR.render(request, context, HTTP_422_UNPROCESSABLE_ENTITY)
        except RateLimited as error:
            context["watch_retry_minutes"] = error.minutes
            return VISITOR.render(request, context, HTTP_429_TOO_MANY_REQUESTS)
        if not request.htmx:
            return redirect_after_post(
                request, f"/products/{product['slug']}?watch=sent#watch-block"
            )
        context.update(watch_sent=True, watch_form={})
        return VISITOR.render(request, context)

    @get("/watches/confirm", name="watch_confirm", media_type=MediaType.HTML)
    async def confirm_page(self, request: HTMXRequest, token: FromQuery[str] = "") -> Template:
        try:
            found = await watches.read_confirm_token(token, site(request))
        except TokenError as error:
            return _page("pages/watches/confirm.html", problem=_link_problem(error))
        return _page("pages/watches/confirm.html", token=token, request_=found)

    @post("/watches/confirm", name="watch_confirm_submit", media_type=MediaType.HTML)
    async def confirm(self, request: HTMXRequest, data: Form) -> Template:
        token = clean_form(data).get("token", "")
        try:
            found = await watches.confirm_visitor_watch(token, site(request))
        except TokenError as error:
            return _page("pages/watches/confirm.html", problem=_link_problem(error))
        return _page("pages/watches/confirm.html", request_=found, done=True)

    @get("/watches/stop", name="watch_stop", media_type=MediaType.HTML)
    async def stop_page(self, request: HTMXRequest, token: FromQuery[str] = "") -> Template:
        try:
            found = await watches.read_stop_token(token, site(request))
        except TokenError as error:
            return _page("pages/watches/stop.html", problem=_link_problem(error))
        return _page("pages/watches/stop.html", token=token, stopped=found)

    @post("/watches/stop", name="watch_stop_submit", media_type=MediaType.HTML)
    async def stop(self, request: HTMXRequest, data: Form) -> Template:
        token = clean_form(data).get("token", "")
        try:
            found = await watches.stop_by_token(token, site(request))
        except TokenError as error:
            return _page("pages/watches/stop.html", problem=_link_problem(error))
        return _page("pages/watches/stop.html", stopped=found, done=True)


def _page(template: str, problem: Message | None = None, **context: Any) -> Template:
    return Template(
        template_name=template,
        context={
            "problem": problem,
            "token": "",
            "done": False,
            "stopped": None,
            "request_": None,
            **watches.template_context(),
            **context,
        },
        status_code=HTTP_400_BAD_REQUEST if problem is not None else 200,
    )


class WatchedPartsController(Controller):
    path = "/account/watches"
    dependencies = {"account": Provide(signed_in_account)}  # noqa: RUF012 (Litestar reads it)

    @get("/", name="account_watches", media_type=MediaType.HTML)
    async def list(
        self, request: HTMXRequest, account: NamedDependency[Account], notice: FromQuery[str] = ""
    ) -> Template:
        return WATCHED.render(request, await _list_context(account, notice))

    @post("/{watch_id:str}/remove", name="account_watch_remove", media_type=MediaType.HTML)
    async def remove(
        self,
        request: HTMXRequest,
        account: NamedDependency[Account],
        watch_id: FromPath[str],
        data: Form,
    ) -> Any:
        number = parse_int(watch_id, minimum=1)
        if number is None:
            raise NotFoundException()
        try:
            await watches.remove_watch(account.id, number)
        except watches.WatchNotFound as missing:
            raise NotFoundException() from missing
        if not request.htmx:
            return redirect_after_post(request, "/account/watches?notice=removed")
        return WATCHED.render(request, await _list_context(account, "removed"))


async def _list_context(account: Account, notice: str) -> dict[str, Any]:
    return {
        "account": account,
        "watched": await watches.account_watches(account.id),
        "notice": notice,
        **watches.template_context(),
    }
