"""The comparison page: up to four products side by side, the selection in the URL alone.

`/compare?p=<slug>&p=<slug>…[&diff=1]`: every state has a URL, so Remove, "Show only
differences" and "Add a part" are plain links and GET forms; htmx swaps the table in place.
Not kept in the page cache: its key sorts the query's parameters, and here their order is the
columns' order (the page costs two small queries anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, MediaType, Response, get
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST

from okmarts.i18n import N_, Message
from okmarts.inputs import clean_text
from okmarts.page_cache import VARY
from okmarts.services import compare
from okmarts.web import View

COMPARE_RESULTS_TARGET = "compare-results"
COMPARE = View(
    "pages/catalog/compare.html",
    # Remove, the differences switch and "Add a part" swap the whole comparison block.
    fragments={COMPARE_RESULTS_TARGET: "partials/catalog/compare_table.html"},
)
NO_PART_GIVEN = N_("Enter the SKU of the part to add.")
NO_SUCH_PART = N_("No part has the SKU or address “%(part)s”.")


@dataclass(frozen=True)
class CompareLinks:
    """URLs of the comparison with one thing changed."""

    slugs: tuple[str, ...]
    only_differences: bool

    def url(self, slugs: tuple[str, ...] | list[str], only_differences: bool) -> str:
        params = [("p", slug) for slug in slugs]
        if only_differences and len(slugs) > 1:
            params.append(("diff", "1"))
        return f"/compare?{urlencode(params)}" if params else "/compare"

    @property
    def here(self) -> str:
        return self.url(self.slugs, self.only_differences)

    def without(self, slug: str) -> str:
        return self.url([kept for kept in self.slugs if kept != slug], self.only_differences)

    def toggled(self) -> str:
        return self.url(self.slugs, not self.only_differences)


class CompareController(Controller):
    @get("/compare", name="compare", media_type=MediaType.HTML)
    async def compare(self, request: HTMXRequest) -> Response[Any]:
        params = request.query_params
        asked = [clean_text(value) for value in params.getall("p", [])]
        only_differences = params.get("diff") == "1"
        added = params.get("add")
        if added is not None and added.strip():
            slug = await compare.find_part(clean_text(added))
            if slug is not None:
                # The new selection's own URL (the page says if it was there already or the
                # comparison was full); htmx follows it and pushes it into the address bar.
                chosen = [*compare.parse_selection(asked).slugs, slug]
                links = CompareLinks(tuple(chosen), only_differences)
                return Redirect(path=links.here, status_code=303)

        comparison = await compare.load_comparison(asked)
        error: Message | None = None
        if added is not None:
            error = (
                Message(NO_SUCH_PART, {"part": compare.part_reference(added)})
                if added.strip()
                else Message(NO_PART_GIVEN)
            )
        only = only_differences and len(comparison.products) > 1
        context = {
            "comparison": comparison,
            "products": comparison.products,
            "only_differences": only,
            "links": CompareLinks(tuple(comparison.slugs), only),
            "add_error": error,
            "add_value": added or "",
            "max_compared": compare.MAX_COMPARED,
        }
        status = HTTP_400_BAD_REQUEST if error else HTTP_200_OK
        # The same URL answers htmx with the block alone: a browser's Back must not show that.
        return COMPARE.render(request, context, status, headers={"Vary": VARY})
