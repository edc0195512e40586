"""Catalog pages: home, listings with filters, product page, search (page and live results)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST

from okmarts import recently_viewed
from okmarts.i18n import N_
from okmarts.inputs import MAX_INT, parse_int
from okmarts.page_cache import Page, PageCache
from okmarts.services import (
    catalog,
    facets,
    pricing,
    questions,
    recommendations,
    replacements,
    reviews,
    search_facets,
    watches,
)
from okmarts.web import View, current_account

SORT_LABELS = {
    "relevance": N_("Relevance"),
    "price_asc": N_("Price: low to high"),
    "price_desc": N_("Price: high to low"),
    "newest": N_("Newest"),
}
LIVE_RESULTS_TARGET = "live-search-results"
LISTING_RESULTS_TARGET = "listing-results"
LISTING = View(
    "pages/catalog/listing.html",
    fragments={LISTING_RESULTS_TARGET: "partials/catalog/listing_results.html"},
)
SEARCH = View(
    "pages/catalog/search.html",
    fragments={
        # Filters, sorting and pages swap the results block.
        LISTING_RESULTS_TARGET: "partials/catalog/search_results.html",
        # The header's search box, as you type: a few results under it.
        LIVE_RESULTS_TARGET: "partials/catalog/live_results.html",
    },
)
# Prices are int4 cents on PostgreSQL: a filter above the dearest storable price can't match.
MAX_PRICE_MINOR = MAX_INT
MAX_PAGE = 10_000
BAD_PRICE = N_("Enter a price as a number, like 12.50.")


@dataclass
class LinkBuilder:
    """URLs for the same listing with one thing changed, so every state has a URL."""

    path: str
    params: list[tuple[str, str]] = field(default_factory=list)

    def with_(self, **changes: Any) -> str:
        # Any change but the page number starts again from page 1.
        dropped = set(changes) | {"page"}
        kept = [(key, value) for key, value in self.params if key not in dropped]
        for key, value in changes.items():
            if value is None or value == "" or (key == "page" and value == 1):
                continue
            kept.append((key, str(value)))
        return f"{self.path}?{urlencode(kept)}" if kept else self.path


def parse_price(raw: str | None) -> tuple[int | None, str | None]:
    """A price filter in major units ("12.50", "7,25", "12") as integer cents, or a message for
    the shopper. Digits 0-9 only, at most two after the point."""
    if raw is None or not raw.strip():
        return None, None
    text = raw.strip().replace(",", ".")
    whole, _, fraction = text.partition(".")
    if (whole or fraction) and len(fraction) <= 2 and not any(c.isspace() for c in text):
        units, hundredths = parse_int(whole or "0"), parse_int(fraction.ljust(2, "0"))
        if units is not None and hundredths is not None:
            cents = units * 100 + hundredths
            if cents <= MAX_PRICE_MINOR:
                return cents, None
    return None, BAD_PRICE


def page_number(raw: str | None) -> int:
    """The page of results asked for; 404 for anything but 1 to MAX_PAGE (no link says else)."""
    if raw is None:
        return 1
    page = parse_int(raw, minimum=1, maximum=MAX_PAGE)
    if page is None:
        raise NotFoundException()
    return page


def parse_sort(raw: str | None) -> str:
    return raw if raw in catalog.SORTS else "relevance"


def listing_query(
    request: HTMXRequest, category_id: int | None
) -> tuple[catalog.ListingQuery, dict[str, str]]:
    params = request.query_params
    errors: dict[str, str] = {}
    min_price, error = parse_price(params.get("min_price"))
    if error:
        errors["min_price"] = error
    max_price, error = parse_price(params.get("max_price"))
    if error:
        errors["max_price"] = error
    if min_price is not None and max_price is not None and min_price > max_price:
        errors["max_price"] = N_("The highest price must not be below the lowest.")
        max_price = None
    query = catalog.ListingQuery(
        category_id=category_id,
        brands=tuple(sorted({slug for slug in params.getall("brand", []) if slug})[:20]),
        min_price_minor=min_price,
        max_price_minor=max_price,
        in_stock=params.get("in_stock") == "1",
        sort=parse_sort(params.get("sort")),
        page=page_number(params.get("page")),
    )
    return query, errors


def page_cache(request: HTMXRequest) -> PageCache:
    return request.app.state.page_cache  # type: ignore[no-any-return]


class CatalogController(Controller):
    @get("/", name="home")
    async def home(self, request: HTMXRequest) -> Response[str]:
        async def build() -> Page:
            return Page(
                "pages/catalog/home.html",
                {
                    "tree": await catalog.load_category_tree(),
                    "featured": await catalog.featured_products(8),
                    "newest": await catalog.newest_products(8),
                },
            )

        return await page_cache(request).respond(request, build)

    @get("/products", name="products")
    async def all_products(self, request: HTMXRequest) -> Response[str]:
        return await page_cache(request).respond(request, lambda: self._listing(request, slug=None))

    @get("/categories/{slug:str}", name="category")
    async def category(self, request: HTMXRequest, slug: FromPath[str]) -> Response[str]:
        return await page_cache(request).respond(request, lambda: self._listing(request, slug=slug))

    async def _listing(self, request: HTMXRequest, slug: str | None) -> Page:
        tree = await catalog.load_category_tree()
        category = tree.by_slug(slug) if slug is not None else None
        if slug is not None and category is None:
            raise NotFoundException()
        query, errors = listing_query(request, category.id if category else None)
        # Spec filters, read against the specs of the categories in view (none for "All
        # products": a spec filter there is left out, with a notice).
        specs = await facets.facet_specs(tree.descendant_ids(category.id) if category else [])
        read = facets.read_filters(request.query_params.multi_items(), specs.specs)
        query = replace(query, specs=read.filters)
        errors.update(read.errors)
        results = await catalog.list_products(query, tree)
        if results.total and query.page > results.pages:
            raise NotFoundException()
        context = {
            "tree": tree,
            "category": category,
            "breadcrumbs": tree.ancestors(category.id) if category else [],
            "subcategories": tree.children.get(category.id, []) if category else tree.roots,
            "results": results,
            "facets": await catalog.listing_facets(query, tree, specs),
            "query": query,
            "errors": errors,
            "form": request.query_params,
            "sort_labels": SORT_LABELS,
            "links": LinkBuilder(request.url.path, list(request.query_params.multi_items())),
            # One brand chosen: its listing, with a button to follow that brand.
            "followed_brand": (
                await catalog.brand_by_slug(query.brands[0]) if len(query.brands) == 1 else None
            ),
        }
        status = HTTP_400_BAD_REQUEST if errors else HTTP_200_OK
        return Page(LISTING.template_for(request), context, status)

    @get("/products/{slug:str}", name="product")
    async def product(self, request: HTMXRequest, slug: FromPath[str]) -> Response[str]:
        async def build() -> Page:
            product = await catalog.get_product(slug)
            if product is None:
                raise NotFoundException()
            tree = await catalog.load_category_tree()
            params = request.query_params
            # Quantity price breaks: the same for everyone (a change drops the cached page).
            breaks = pricing.break_table(
                product.price_minor,
                (await pricing.break_prices([product.id])).get(product.id, []),
            )
            reviews_page = await reviews.product_reviews(
                product.id,
                sort=params.get("sort") or "helpful",
                page=page_number(params.get("rpage")),
                viewer=current_account.get(),
            )
            # Not personal: the same for everyone, so they belong in the shared page (a
            # shopper's dismissals are left out as it is filled: page_cache).
            bought_with, kits = await recommendations.for_product_page(product.id, product.title)
            # Only a product that can't be bought now lists what can stand in for it.
            found = (
                await replacements.find(product.id, product.category_id, product.price_minor)
                if product.wants_replacements
                else replacements.Replacements()
            )
            shown = {rec.card.id for rec in bought_with} | {card.id for card in found.cards}
            related = [
                card for card in await catalog.related_products(product) if card.id not in shown
            ]
            return Page(
                "pages/catalog/product.html",
                {
                    "product": product,
                    "price_breaks": breaks,
                    "breadcrumbs": tree.ancestors(product.category_id),
                    "related": related,
                    "replacements": found,
                    "grade_names": replacements.GRADE_NAMES,
                    # Cards the page cache watches: the page goes when one of them changes.
                    "replacement_cards": found.cards,
                    "kits": kits,
                    "bought_with": bought_with,
                    "reviews": reviews_page,
                    "review_sorts": reviews.SORTS,
                    "questions": await questions.answered(product.id),
                    "asked": params.get("asked") == "1",
                    # Without JavaScript a vote comes back here: its review says it was counted.
                    "voted_review": parse_int(params.get("voted"), minimum=1),
                    "withdrawn_review": parse_int(params.get("withdrawn"), minimum=1),
                    "question_form": {},
                    # A visitor's alert form, and its "check your email" after a plain POST.
                    **watches.template_context(),
                    "watch_sent": params.get("watch") == "sent",
                    "errors": {},
                    "retry_minutes": 0,
                },
            )

        response = await page_cache(request).respond(request, build)
        if response.status_code == HTTP_200_OK and not request.htmx:
            # In the browser's own cookie, with the preferences it accepted (never stored here).
            recently_viewed.remember(request, response, current_account.get(), slug)
        return response

    @get("/search", name="search")
    async def search(self, request: HTMXRequest) -> Response[str]:
        return await page_cache(request).respond(request, lambda: self._search(request))

    async def _search(self, request: HTMXRequest) -> Page:
        params = request.query_params
        text = catalog.normalise_query(params.get("q") or "")
        template = SEARCH.template_for(request)
        live = template == SEARCH.fragments[LIVE_RESULTS_TARGET]
        sort = parse_sort(params.get("sort"))
        in_stock = params.get("in_stock") == "1"
        offer = None
        if live:
            results = await catalog.search_products(
                text, page=page_number(params.get("page")), per_page=6, sort=sort, in_stock=in_stock
            )
        else:
            # The results with the categories they fall in and one category's spec facets.
            offer = await search_facets.search(
                text,
                params.multi_items(),
                await catalog.load_category_tree(),
                page=page_number(params.get("page")),
                sort=sort,
                in_stock=in_stock,
            )
            results = offer.results
        context: dict[str, Any] = {
            "results": results,
            "offer": offer,
            "facets": offer.facets if offer else [],
            "errors": offer.errors if offer else {},
            "form": params,
            "q": text,
            "sort": sort,
            "in_stock": in_stock,
            "sort_labels": SORT_LABELS,
            "links": LinkBuilder("/search", list(params.multi_items())),
        }
        if template == SEARCH.page and not text:
            context["tree"] = await catalog.load_category_tree()  # "browse the categories"
        status = HTTP_400_BAD_REQUEST if context["errors"] else HTTP_200_OK
        return Page(template, context, status)
