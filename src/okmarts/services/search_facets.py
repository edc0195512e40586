"""Facets beside search results: the categories the matches fall in, and the specs of one.

Search ranks at most catalog.MAX_RESULTS matches (services.catalog); these filters narrow
those. The specs offered are those of the category the shopper picked (`category=<slug>`), or
else of the leaf category holding most matches; the form keeps that one (`facets_of=<slug>`),
so what is offered does not move under the shopper, and a spec filter applies within it.
Search's ranked matches are read once (`catalog._search_page`, as `catalog.search_products`
reads them): the facets count among them, and the page shown is cut from them — filtered here,
in their ranked order, when a category or spec filter is set — then sorted and paged as search
does.

A query's offer (its ranked matches, the categories they fall in, the spec facets and their
counts) is kept per worker, with the facet block's HTML per language (`FacetedSearch.fragments`,
filled by page_cache.search_facet_block), while the catalog's stamp holds
(services.catalog_stamp): a repeated search then costs the stamp, the page's cards and their
images (and the sort, when not by relevance). Prices, stock and pictures are read with the
cards each time.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

from okmarts.i18n import Message
from okmarts.services import catalog, catalog_stamp, facet_counts, facets, spec_search
from okmarts.services.catalog import CategoryNode, CategoryTree, SearchResults
from okmarts.tables.catalog import Product


@dataclass
class CategoryCount:
    slug: str
    name: str
    count: int
    chosen: bool


@dataclass
class FacetedSearch:
    results: SearchResults
    categories: list[CategoryCount] = field(default_factory=list)
    category: CategoryNode | None = None  # whose specs are offered
    picked: bool = False  # the shopper chose it (it filters the results)
    facets: list[facet_counts.Facet] = field(default_factory=list)
    errors: dict[str, str | Message] = field(default_factory=dict)
    # The facet block's HTML per language, kept with the offer it shows (see above).
    fragments: dict[str, str] = field(default_factory=dict)


@dataclass
class Offer:
    """What a query offers, as of one catalog stamp: the matches its pages are cut from
    (ranked), how many search found, and the facets beside them."""

    ids: array[int]
    found: int | None
    offered: FacetedSearch  # its `results` are not used: pages are cut from `ids` each time


_offers: catalog_stamp.Kept[Offer] = catalog_stamp.Kept(slots=256, seconds=60.0)
# The parameters a query's offer depends on (beside its words and `in_stock`).
_OFFER_PARAMS = ("category", "facets_of")


def _offer_key(text: str, params: list[tuple[str, str]], in_stock: bool) -> tuple[object, ...]:
    return (
        text,
        in_stock,
        tuple(
            (name, value)
            for name, value in params
            if name in _OFFER_PARAMS or name.partition(".")[0] in facets.PREFIXES
        ),
    )


async def _ranked(text: str, in_stock: bool) -> tuple[list[int], int]:
    """Every ranked match (up to MAX_RESULTS), best first, and how many matched (up to
    MAX_RESULTS + 1: one more says "more")."""
    read = spec_search.read_query(text, catalog.query_words)
    piece = text.lower() if len(text) >= 3 else ""
    if not read.words and not read.measures and not piece:
        return [], 0
    return await catalog._search_page(read, piece, "relevance", in_stock, 0, catalog.MAX_RESULTS)


async def search(
    text: str,
    params: Iterable[tuple[str, str]],
    tree: CategoryTree,
    *,
    page: int = 1,
    per_page: int = 24,
    sort: str = "relevance",
    in_stock: bool = False,
) -> FacetedSearch:
    text = catalog.normalise_query(text)
    params = list(params)
    key = _offer_key(text, params, in_stock)
    stamp = await catalog_stamp.read_stamp()
    offer = _offers.get(key, stamp)
    if offer is None:
        offer = await _offer(text, params, tree, in_stock)
        _offers.put(key, stamp, offer)
    offered = offer.offered
    return FacetedSearch(
        results=await _page(text, list(offer.ids), page, per_page, sort, offer.found),
        categories=offered.categories,
        category=offered.category,
        picked=offered.picked,
        facets=offered.facets,
        errors=dict(offered.errors),
        fragments=offered.fragments,
    )


async def _offer(
    text: str, params: list[tuple[str, str]], tree: CategoryTree, in_stock: bool
) -> Offer:
    """A query's offer, computed: its matches (filtered by its category and spec filters, in
    their ranked order) and its facets."""
    ranked, found = await _ranked(text, in_stock)
    slug = next((value for name, value in params if name == "category" and value), None)
    # Whose specs the form offered (kept in the form): what a spec filter applies within.
    offered_slug = next((value for name, value in params if name == "facets_of" and value), None)
    empty = SearchResults(query=text, items=[], total=0, page=1, per_page=1)
    if not ranked:
        return Offer(array("q"), None, FacetedSearch(empty))
    rows = await Product.raw(
        f"SELECT p.category, count(*) AS count FROM product p WHERE p.id IN ({_ids(ranked)}) "
        "GROUP BY p.category"
    )
    counts = {row["category"]: int(row["count"]) for row in rows}
    picked = tree.by_slug(slug) if slug else None
    kept_on = tree.by_slug(offered_slug) if offered_slug else None
    category = (
        picked
        or kept_on
        or max(
            (tree.nodes[key] for key in counts if key in tree.nodes),
            key=lambda node: (counts[node.id], -node.id),
            default=None,
        )
    )
    offered = FacetedSearch(
        results=empty,
        categories=sorted(
            (
                CategoryCount(node.slug, node.name, counts[node.id], node is picked)
                for node in (tree.nodes.get(key) for key in counts)
                if node is not None
            ),
            key=lambda entry: (-entry.count, entry.name),
        ),
        category=category,
        picked=picked is not None,
    )
    if category is None:
        return Offer(array("q", ranked), found, offered)
    categories = tree.descendant_ids(category.id)
    in_view = await facets.facet_specs(categories)
    read = facets.read_filters(params, in_view.specs)
    offered.errors = read.errors
    if slug and picked is None:
        offered.errors["spec"] = facets.UNKNOWN_SPEC
    matches = f"p.id IN ({_ids(ranked)})"
    offered.facets = await facet_counts.compute(in_view, read.filters, categories, among=ranked)
    if picked is None and not read.filters:
        return Offer(array("q", ranked), found, offered)
    clauses, args = facets.filters_sql(read.filters, categories)
    where = " AND ".join([matches, f"p.category IN ({_ids(categories)})", *clauses])
    kept = {
        row["id"] for row in await Product.raw(f"SELECT p.id FROM product p WHERE {where}", *args)
    }
    return Offer(array("q", [i for i in ranked if i in kept]), None, offered)


async def _page(
    text: str, ids: list[int], page: int, per_page: int, sort: str, found: int | None = None
) -> SearchResults:
    """One page of these ranked ids, sorted as asked (as catalog.search_products does);
    `found`, for search's own matches, may say there are more than MAX_RESULTS."""
    per_page = max(1, min(per_page, catalog.MAX_PAGE_SIZE))
    offset = (max(1, page) - 1) * per_page
    order = catalog._SEARCH_ORDER.get(sort)
    if order is not None and ids:
        rows = await Product.raw(
            f"SELECT p.id FROM product p WHERE p.id IN ({_ids(ids)}) ORDER BY {order} "
            f"LIMIT {int(per_page)} OFFSET {int(offset)}"
        )
        shown = [row["id"] for row in rows]
    else:
        shown = ids[offset : offset + per_page]
    rows = await Product.raw(f"{catalog._CARD_SQL} WHERE p.id IN ({_ids(shown)})") if shown else []
    by_id = {card.id: card for card in await catalog._cards(list(rows))}
    return SearchResults(
        query=text,
        items=[by_id[product_id] for product_id in shown if product_id in by_id],
        total=min(len(ids) if found is None else found, catalog.MAX_RESULTS),
        page=max(1, page),
        per_page=per_page,
        more=found is not None and found > catalog.MAX_RESULTS,
    )


def _ids(values: Iterable[int]) -> str:
    # Ints the database gave (or the tree holds): written as numbers, not bound parameters.
    return ", ".join(map(str, map(int, values))) or "NULL"
