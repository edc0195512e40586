"""Kits and recommendations: a kit's page, "Add the kit", and dismissing a recommendation."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, MediaType, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.status_codes import HTTP_200_OK, HTTP_422_UNPROCESSABLE_ENTITY

from okmarts import dismissals
from okmarts.i18n import N_, Message
from okmarts.inputs import parse_int
from okmarts.page_cache import Page, PageCache
from okmarts.services import recommendations
from okmarts.services.cart import CartError
from okmarts.web import (
    Form,
    View,
    add_many_to_cart,
    clean_form,
    current_account,
    redirect_after_post,
    safe_next,
    store_cart,
)

KIT_FEEDBACK = "kit-feedback"
KIT = View("pages/recommendations/kit.html", fragment="partials/recommendations/kit_added.html")
# The dismiss button's answer: the card goes (htmx swaps it for nothing, or for a note).
DISMISSED = View(
    "pages/recommendations/dismissed.html", fragment="partials/recommendations/dismissed.html"
)


def page_cache(request: HTMXRequest) -> PageCache:
    return request.app.state.page_cache  # type: ignore[no-any-return]


async def _kit_or_404(slug: str) -> recommendations.Kit:
    kit = await recommendations.get_kit(slug)
    if kit is None:
        raise NotFoundException()
    return kit


class RecommendationsController(Controller):
    @get("/kits/{slug:str}", name="kit")
    async def kit(self, request: HTMXRequest, slug: FromPath[str]) -> Response[str]:
        async def build() -> Page:
            kit = await _kit_or_404(slug)
            return Page(KIT.page, {"kit": kit, "error": None, "added": False})

        return await page_cache(request).respond(request, build)

    @post("/kits/{slug:str}/cart", name="kit_add", media_type=MediaType.HTML)
    async def add_kit(self, request: HTMXRequest, slug: FromPath[str], data: Form) -> Any:
        """Every part in its kit quantity into the cart, at once; `parts=available` adds the
        parts that are in stock when one is not (the page names it and offers that)."""
        kit = await _kit_or_404(slug)
        data = clean_form(data)
        parts = kit.available_parts if data.get("parts") == "available" else kit.parts
        error: Message | None = None
        items = []
        if kit.missing and parts is kit.parts:
            error = Message(
                N_("Not every part of this kit is in stock: %(titles)s."),
                {"titles": ", ".join(part.title for part in kit.missing)},
            )
        elif not parts:
            error = Message(N_("None of this kit's parts is in stock."))
        else:
            try:
                items = await add_many_to_cart(
                    request, [(part.product_id, part.quantity, part.title) for part in parts]
                )
            except CartError as problem:
                error = problem.message
        context = {"kit": kit, "error": error, "added": not error, "some": parts is not kit.parts}
        status = HTTP_422_UNPROCESSABLE_ENTITY if error else HTTP_200_OK
        if error or request.htmx:
            response: Response[Any] = KIT.render(request, context, status)
        else:
            response = redirect_after_post(
                request, f"/cart?{urlencode({'notice': 'added', 'back': f'/kits/{kit.slug}'})}"
            )
        if not error:
            store_cart(request, response, items)
        return response

    @post("/recommendations/dismiss", name="dismiss_recommendation", media_type=MediaType.HTML)
    async def dismiss(self, request: HTMXRequest, data: Form) -> Any:
        """Don't recommend this product to me again (remembered where dismissals.py says)."""
        data = clean_form(data)
        product_id = parse_int(data.get("product_id"), minimum=1)
        back = safe_next(data.get("next"), "/")
        if product_id is None:
            return DISMISSED.render(
                request,
                {
                    "remembered": False,
                    "back": back,
                    "error": Message(N_("There is no such product.")),
                },
                HTTP_422_UNPROCESSABLE_ENTITY,
            )
        remembered, cookie = await dismissals.remember(request, current_account.get(), product_id)
        context = {"remembered": remembered, "back": back, "error": None}
        response: Response[Any]
        if remembered and not request.htmx:
            response = redirect_after_post(request, back)
        else:
            # htmx: the card's place says it is hidden; a plain form that could not be
            # remembered gets a page saying why, with the way back.
            response = DISMISSED.render(request, context)
        if cookie is not None:
            dismissals.set_cookie(request, response, cookie)
        return response
