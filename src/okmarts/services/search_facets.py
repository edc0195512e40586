"""Facets beside search results: the categories the matches fall in, and the specs of one.

Search ranks at most catalog.MAX_RESULTS matches (services.catalog); these filters narrow
those. The specs offered are those of the category the shopper picked (`category=<slug>`), or
else of the leaf category holding most matches; the form keeps that one (`facets_of=<slug>`),
so what is offered does not move under the shopper, and a spec filter applies within it.
Search's ranked matches are read once (`catalog._search_page`, as `catalog.search_products`
reads them): the facets count among them, and the page shown is cut from them — filtered here,
in their ranked order, when a category or spec filter is set — then sorted and paged as search
does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from okmarts.i18n import Message
from okmarts.services import catalog, facet_counts, facets, spec_search
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
    ranked, found = await _ranked(text, in_stock)
    slug = next((value for name, value in params if name == "category" and value), None)
    # Whose specs the form offered (kept in the form): what a spec filter applies within.
    offered_slug = next((value for name, value in params if name == "facets_of" and value), None)
    if not ranked:
        return FacetedSearch(await _page(text, [], page, per_page, sort))
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
        results=SearchResults(query=text, items=[], total=0, page=page, per_page=per_page),
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
        offered.results = await _page(text, ranked, page, per_page, sort, found)
        return offered
    categories = tree.descendant_ids(category.id)
    in_view = await facets.facet_specs(categories)
    read = facets.read_filters(params, in_view.specs)
    offered.errors = read.errors
    if slug and picked is None:
        offered.errors["spec"] = facets.UNKNOWN_SPEC
    matches = f"p.id IN ({_ids(ranked)})"
    offered.facets = await facet_counts.compute(in_view, read.filters, categories, among=ranked)
    if picked is None and not read.filters:
        offered.results = await _page(text, ranked, page, per_page, sort, found)
        return offered
    clauses, args = facets.filters_sql(read.filters, categories)
    where = " AND ".join([matches, f"p.category IN ({_ids(categories)})", *clauses])
    kept = {
        row["id"] for row in await Product.raw(f"SELECT p.id FROM product p WHERE {where}", *args)
    }
    offered.results = await _page(text, [i for i in ranked if i in kept], page, per_page, sort)
    return offered


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
    return ", ".join(str(int(value)) for value in values) or "NULL"
