"""Catalog rules: category tree, listing with filters and sorting, product pages, search."""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass, field, replace
from typing import Any

from piccolo.query.functions.aggregate import Count

from okmarts.db import is_postgres
from okmarts.inputs import clean_text
from okmarts.services import documents, facet_counts, facets, spec_search
from okmarts.services.documents import DocumentView
from okmarts.tables.catalog import Brand, Category, Product, ProductImage, ProductStatus

SORTS = ("relevance", "price_asc", "price_desc", "newest")
MAX_PAGE_SIZE = 100


def build_search_text(
    brand_name: str, category_name: str, specs: list[list[str]], description: str = ""
) -> str:
    """The text indexed beside title and SKU: brand, category and specification values."""
    parts = [brand_name, category_name]
    parts += [f"{key} {value}" for key, value in specs]
    if description:
        parts.append(description)
    return " ".join(part for part in parts if part)


# --- Category tree ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryNode:
    id: int
    name: str
    slug: str
    parent_id: int | None
    description: str


@dataclass
class CategoryTree:
    nodes: dict[int, CategoryNode]
    children: dict[int | None, list[CategoryNode]]
    # HTML made from this tree alone, per template and language (page_cache.category_grid): a
    # changed category loads a new tree, and with it new fragments.
    fragments: dict[tuple[str, str], str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_nodes(cls, nodes: list[CategoryNode]) -> CategoryTree:
        children: dict[int | None, list[CategoryNode]] = {}
        for node in nodes:
            children.setdefault(node.parent_id, []).append(node)
        return cls(nodes={node.id: node for node in nodes}, children=children)

    @property
    def roots(self) -> list[CategoryNode]:
        return self.children.get(None, [])

    def by_slug(self, slug: str) -> CategoryNode | None:
        return next((node for node in self.nodes.values() if node.slug == slug), None)

    def descendant_ids(self, category_id: int) -> list[int]:
        """The category and everything below it."""
        found, stack = [], [category_id]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(child.id for child in self.children.get(current, []))
        return found

    def ancestors(self, category_id: int) -> list[CategoryNode]:
        """From the root down to (and including) the category."""
        chain: list[CategoryNode] = []
        node = self.nodes.get(category_id)
        while node is not None and len(chain) < 32:
            chain.append(node)
            node = self.nodes.get(node.parent_id) if node.parent_id is not None else None
        return list(reversed(chain))


# Categories change rarely (staff edits); every page needs them. A short per-worker cache
# keeps them off the hot path while an edit shows within seconds.
_TREE_TTL_SECONDS = 30.0
_tree_cache: tuple[float, CategoryTree] | None = None


async def load_category_tree(use_cache: bool = True) -> CategoryTree:
    """The whole category tree, ordered by position then name."""
    global _tree_cache
    now = time.monotonic()
    if use_cache and _tree_cache is not None and now - _tree_cache[0] < _TREE_TTL_SECONDS:
        return _tree_cache[1]
    rows = await Category.select(
        Category.id, Category.name, Category.slug, Category.parent, Category.description
    ).order_by(Category.position, Category.name)
    tree = CategoryTree.from_nodes(
        [
            CategoryNode(
                id=row["id"],
                name=row["name"],
                slug=row["slug"],
                parent_id=row["parent"],
                description=row["description"],
            )
            for row in rows
        ]
    )
    _tree_cache = (now, tree)
    return tree


def forget_category_tree() -> None:
    global _tree_cache
    _tree_cache = None


# --- Listing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListingQuery:
    """What a shopper asked the listing for; every field comes from the URL."""

    category_id: int | None = None
    brands: tuple[str, ...] = ()
    min_price_minor: int | None = None
    max_price_minor: int | None = None
    in_stock: bool = False
    sort: str = "relevance"
    page: int = 1
    per_page: int = 24
    # Typed spec filters (services.facets), read against the category's definitions.
    specs: tuple[facets.SpecFilter, ...] = ()


@dataclass
class ProductCard:
    id: int
    slug: str
    title: str
    sku: str
    price_minor: int
    currency: str
    stock: int
    brand_name: str
    image_path: str | None = None
    image_alt: str = ""
    # "discontinued": listed with a badge, never with an add-to-cart form.
    status: str = ProductStatus.active.value

    @property
    def discontinued(self) -> bool:
        return self.status == ProductStatus.discontinued.value


@dataclass
class BrandFacet:
    slug: str
    name: str
    count: int


@dataclass(frozen=True)
class BrandRef:
    id: int
    name: str
    slug: str


async def brand_by_slug(slug: str) -> BrandRef | None:
    """A brand by its slug (a listing filtered by one brand offers to follow it)."""
    row = await Brand.select(Brand.id, Brand.name, Brand.slug).where(Brand.slug == slug).first()
    return BrandRef(row["id"], row["name"], row["slug"]) if row else None


@dataclass
class ProductPage:
    items: list[ProductCard]
    total: int
    page: int
    per_page: int
    brands: list[BrandFacet] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _listing_where(query: ListingQuery, tree: CategoryTree, with_brands: bool = True) -> list[Any]:
    clauses: list[Any] = []
    if query.category_id is not None:
        clauses.append(Product.category.is_in(tree.descendant_ids(query.category_id)))
    if with_brands and query.brands:
        clauses.append(Product.brand.slug.is_in(list(query.brands)))
    if query.min_price_minor is not None:
        clauses.append(Product.price_minor >= query.min_price_minor)
    if query.max_price_minor is not None:
        clauses.append(Product.price_minor <= query.max_price_minor)
    if query.in_stock:
        clauses.append(Product.stock > 0)
    return clauses


# The catalog's hot reads are written as SQL: Piccolo rebuilding a query costs ~0.3 ms, more
# than running it, and an uncached product page asks six.
_CARD_SQL = (
    "SELECT p.id, p.slug, p.title, p.sku, p.price_minor, p.currency, p.stock, "
    "b.name AS brand_name, p.status FROM product p JOIN brand b ON b.id = p.brand"
)
_LISTING_ORDER_SQL = {
    "relevance": "p.featured DESC, p.created_at DESC, p.id DESC",
    "price_asc": "p.price_minor ASC, p.id ASC",
    "price_desc": "p.price_minor DESC, p.id DESC",
    "newest": "p.created_at DESC, p.id DESC",
}


def _numbers(values: Any) -> str:
    """Ids the database gave, written into SQL as numbers (a list of bound parameters costs
    more to pass than the query takes)."""
    return ", ".join(str(int(value)) for value in values)


def _listing_filters_sql(
    query: ListingQuery, categories: list[int] | None = None
) -> tuple[list[str], list[Any]]:
    """`_listing_where` as SQL, for the page's query, but for the category; with the spec
    filters (which need the categories in view)."""
    clauses, args = [], []
    if query.brands:
        marks = ", ".join("{}" for _ in query.brands)
        clauses.append(f"p.brand IN (SELECT id FROM brand WHERE slug IN ({marks}))")
        args += list(query.brands)
    if query.min_price_minor is not None:
        clauses.append("p.price_minor >= {}")
        args.append(query.min_price_minor)
    if query.max_price_minor is not None:
        clauses.append("p.price_minor <= {}")
        args.append(query.max_price_minor)
    if query.in_stock:
        clauses.append("p.stock > 0")
    if query.specs and categories:
        spec_clauses, spec_args = facets.filters_sql(query.specs, categories)
        clauses += spec_clauses
        args += spec_args
    return clauses, args


def _page_ids_sql(
    query: ListingQuery, tree: CategoryTree, order: str, offset: int, limit: int
) -> tuple[str, list[Any]]:
    """The query for one page's product ids, in order."""
    categories = tree.descendant_ids(query.category_id) if query.category_id is not None else []
    filters, args = _listing_filters_sql(query, categories)
    page = f"ORDER BY {order} LIMIT {int(limit)} OFFSET {int(offset)}"
    if len(categories) <= 1:
        clauses = [f"p.category = {int(category)}" for category in categories] + filters
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return f"SELECT p.id FROM product p {where} {page}", args
    # A category with subcategories: one walk of the (category, order) index per subcategory,
    # each stopping at the page's end, then merged. Sorting every product of a top category
    # (20,000 of 200,000) is what made its listing grow with the catalog.
    # (Spec filters are written per walk, for its category: one small index walk each.)
    walks, walk_args = [], []
    for number, category in enumerate(categories):
        filters, args = _listing_filters_sql(query, [category])
        where = " AND ".join([f"p.category = {int(category)}", *filters])
        walks.append(
            "SELECT * FROM (SELECT p.id, p.featured, p.created_at, p.price_minor FROM product p "
            f"WHERE {where} ORDER BY {order} LIMIT {int(offset + limit)}) AS c{number}"
        )
        walk_args += args
    return f"SELECT p.id FROM ({' UNION ALL '.join(walks)}) AS p {page}", walk_args


async def list_products(query: ListingQuery, tree: CategoryTree) -> ProductPage:
    """One page of products matching the filters, with the brands available beside them."""
    order = _LISTING_ORDER_SQL.get(query.sort, _LISTING_ORDER_SQL["relevance"])
    page = max(1, query.page)
    page_ids, args = _page_ids_sql(query, tree, order, (page - 1) * query.per_page, query.per_page)
    # The page's ids first, from a covering index, then the card columns of just those rows:
    # sorting thousands of full rows joined with their brand is what made listings slow.
    rows = await Product.raw(f"{_CARD_SQL} WHERE p.id IN ({page_ids}) ORDER BY {order}", *args)
    items = await _cards(rows)
    if query.specs and query.category_id is not None:
        total, brands = await _counted_with_specs(query, tree)
    elif query.min_price_minor is None and query.max_price_minor is None:
        total, brands = await _counted(query, tree)
    else:
        count = Product.count()
        for clause in _listing_where(query, tree):
            count = count.where(clause)
        total, brands = await count, await _brand_facets(query, tree)
    return ProductPage(items=items, total=total, page=page, per_page=query.per_page, brands=brands)


async def _counted(query: ListingQuery, tree: CategoryTree) -> tuple[int, list[BrandFacet]]:
    """The listing's count and brand facets from `category_brand_count` (kept by triggers):
    one small query, however many products the categories hold. Price filters can't be read
    there; they count products (`_brand_facets`)."""
    column = "in_stock" if query.in_stock else "products"
    where = ""
    args: list[Any] = []
    if query.category_id is not None:
        ids = tree.descendant_ids(query.category_id)
        where = "WHERE c.category IN (" + ", ".join("{}" for _ in ids) + ")"
        args = list(ids)
    rows = await Product.raw(
        f"SELECT b.slug, b.name, SUM(c.{column}) AS count FROM category_brand_count c "
        f"JOIN brand b ON b.id = c.brand {where} GROUP BY b.id, b.slug, b.name",
        *args,
    )
    found = [BrandFacet(row["slug"], row["name"], int(row["count"])) for row in rows]
    found = sorted((facet for facet in found if facet.count > 0), key=lambda f: f.name.lower())
    chosen = set(query.brands)
    total = sum(facet.count for facet in found if not chosen or facet.slug in chosen)
    return total, found


async def _counted_with_specs(
    query: ListingQuery, tree: CategoryTree
) -> tuple[int, list[BrandFacet]]:
    """The count and brand facets when spec filters apply: the matching products counted by
    brand (the brand filter left out, as brand facets count) from the sets services.facet_counts
    keeps, not by counting rows (a top category's 28,000 products cost 60 ms a count)."""
    categories = tree.descendant_ids(query.category_id) if query.category_id is not None else []
    clauses, args = _listing_filters_sql(replace(query, brands=(), specs=()), categories)
    counted = await facet_counts.count_by_brand(query.specs, categories, clauses, args)
    brands = sorted(
        (BrandFacet(slug, name, count) for slug, name, count in counted),
        key=lambda facet: facet.name.lower(),
    )
    chosen = set(query.brands)
    total = sum(facet.count for facet in brands if not chosen or facet.slug in chosen)
    return total, brands


async def listing_facets(
    query: ListingQuery, tree: CategoryTree, specs: facets.SpecsInView
) -> list[facet_counts.Facet]:
    """The spec facets beside a category's listing: counts among the products its other
    filters (brand, price, stock) allow, each spec's own filter left out (services.facets)."""
    if query.category_id is None or not specs.specs:
        return []
    categories = tree.descendant_ids(query.category_id)
    clauses, args = _listing_filters_sql(replace(query, specs=()), categories)
    return await facet_counts.compute(specs, query.specs, categories, clauses, args)


async def _brand_facets(query: ListingQuery, tree: CategoryTree) -> list[BrandFacet]:
    """Brands among the products the other filters allow, with counts."""
    # Grouped by the brand id alone (an index covers category + brand); names joined after.
    select = Product.select(Product.brand, Count(Product.id, alias="count")).group_by(Product.brand)
    for clause in _listing_where(query, tree, with_brands=False):
        select = select.where(clause)
    counts = {row["brand"]: row["count"] for row in await select}
    if not counts:
        return []
    names = await Brand.select(Brand.id, Brand.slug, Brand.name).where(Brand.id.is_in(list(counts)))
    found = [
        BrandFacet(slug=row["slug"], name=row["name"], count=counts[row["id"]]) for row in names
    ]
    return sorted(found, key=lambda facet: facet.name.lower())


async def _cards(rows: list[dict[str, Any]]) -> list[ProductCard]:
    """Product cards with their first image: one query for all images, never one per card."""
    return await with_first_images([ProductCard(**row) for row in rows])


async def with_first_images(items: list[Any]) -> list[Any]:
    """Each item (with `id`, `image_path`, `image_alt`) given its product's first picture: one
    query for all of them, never one per item."""
    if not items:
        return items
    images = await ProductImage.raw(
        "SELECT product, path, alt FROM product_image "
        f"WHERE position = 0 AND product IN ({_numbers(item.id for item in items)})"
    )
    first_image = {image["product"]: image for image in images}
    for item in items:
        image = first_image.get(item.id)
        if image:
            item.image_path, item.image_alt = image["path"], image["alt"]
    return items


async def _select_cards(where: str, *args: Any, order: str, limit: int) -> list[ProductCard]:
    return await _cards(
        await Product.raw(f"{_CARD_SQL} {where} ORDER BY {order} LIMIT {int(limit)}", *args)
    )


async def featured_products(limit: int = 8) -> list[ProductCard]:
    return await _select_cards(
        "WHERE p.featured = {}", True, order="p.created_at DESC", limit=limit
    )


async def newest_products(limit: int = 8) -> list[ProductCard]:
    return await _select_cards("", order="p.created_at DESC", limit=limit)


# --- Product page ----------------------------------------------------------------------------


@dataclass
class ProductImageView:
    path: str
    alt: str
    width: int
    height: int


@dataclass
class ProductDetail:
    id: int
    slug: str
    sku: str
    title: str
    description: str
    price_minor: int
    currency: str
    stock: int
    weight_grams: int
    points_price: int | None
    specs: list[list[str]]
    created_at: Any
    brand_name: str
    brand_slug: str
    category_id: int
    images: list[ProductImageView]
    # Its own documents and its family's (the category's): datasheets, drawings…
    documents: list[DocumentView] = field(default_factory=list)
    status: str = ProductStatus.active.value

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def discontinued(self) -> bool:
        return self.status == ProductStatus.discontinued.value

    @property
    def wants_replacements(self) -> bool:
        """Discontinued or out of stock: the page lists parts that can stand in for it."""
        return self.discontinued or not self.in_stock


async def get_product(slug: str) -> ProductDetail | None:
    """A product with brand, specifications, images and documents (three queries)."""
    rows = await Product.raw(
        "SELECT p.id, p.slug, p.sku, p.title, p.description, p.price_minor, p.currency, "
        "p.stock, p.weight_grams, p.points_price, p.specs, p.created_at, "
        "b.name AS brand_name, b.slug AS brand_slug, p.category AS category_id, p.status "
        "FROM product p JOIN brand b ON b.id = p.brand WHERE p.slug = {}",
        slug,
    )
    if not rows:
        return None
    row = rows[0]
    images = await ProductImage.raw(
        "SELECT path, alt, width, height FROM product_image WHERE product = {} ORDER BY position",
        row["id"],
    )
    specs = row["specs"]
    if isinstance(specs, str):  # SQLite and asyncpg hand JSON back as text
        specs = json.loads(specs)
    return ProductDetail(
        **{**row, "specs": [list(pair) for pair in specs]},
        images=[ProductImageView(**image) for image in images],
        documents=await documents.for_product(row["id"], row["category_id"]),
    )


async def related_products(product: ProductDetail, limit: int = 4) -> list[ProductCard]:
    """Others from the same category, featured and newest first."""
    return await _select_cards(
        "WHERE p.category = {} AND p.id <> {}",
        product.category_id,
        product.id,
        order="p.featured DESC, p.created_at DESC",
        limit=limit,
    )


# --- Search ----------------------------------------------------------------------------------

# A page ranks at most this many matches and says "1,000+" beyond: a common word matches tens
# of thousands of products in a big catalog, and no shopper pages that far.
MAX_RESULTS = 1000
MAX_QUERY_WORDS = 8


@dataclass
class SearchResults:
    query: str
    items: list[ProductCard]
    total: int  # at most MAX_RESULTS
    page: int
    per_page: int
    more: bool = False  # more than `total` match: the count reads "1,000+"

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


MAX_QUERY_LENGTH = 200


def normalise_query(text: str) -> str:
    # No control character reaches the FTS5 or tsquery parser (SQLite's stops at a NUL).
    return " ".join(clean_text(text).split())[:MAX_QUERY_LENGTH]


def query_words(text: str) -> list[str]:
    """The query's words as both databases index them: runs of letters and digits, lower case
    (what SQLite's unicode61 tokenizer and `okmarts_search_words` on PostgreSQL keep)."""
    words = list(dict.fromkeys(re.findall(r"[^\W_]+", text.lower())))
    return words[:MAX_QUERY_WORDS]


async def search_products(
    text: str, page: int = 1, per_page: int = 24, sort: str = "relevance", in_stock: bool = False
) -> SearchResults:
    """Products whose title, SKU, brand, category or specifications hold every word of the
    query (as the start of a word) and have every value with a unit it names ("4mm", "24v":
    a typed spec equal to it or a range covering it, see services.spec_search), or whose SKU
    holds the whole query or starts with it written with or without dashes and spaces; the
    same products, in the same order, on SQLite and PostgreSQL.

    Bounded whatever the catalog's size: each way of matching gives at most MAX_RESULTS + 1
    products, newest first, from an index; those are ranked (SKU first — an exact SKU before
    one that holds it — then title, then the rest, newest first within each) or sorted as
    asked, and only the page's cards are read. Past MAX_RESULTS the count says "more".
    """
    text = normalise_query(text)
    page = max(1, page)
    per_page = max(1, min(per_page, MAX_PAGE_SIZE))
    read = spec_search.read_query(text, query_words)
    piece = text.lower() if len(text) >= 3 else ""
    if not read.words and not read.measures and not piece:
        return SearchResults(query=text, items=[], total=0, page=page, per_page=per_page)
    ids, found = await _search_page(read, piece, sort, in_stock, (page - 1) * per_page, per_page)
    rows = await Product.raw(f"{_CARD_SQL} WHERE p.id IN ({_numbers(ids)})") if ids else []
    by_id = {card.id: card for card in await _cards(list(rows))}
    items = [by_id[product_id] for product_id in ids if product_id in by_id]
    return SearchResults(
        query=text,
        items=items,
        total=min(found, MAX_RESULTS),
        page=page,
        per_page=per_page,
        more=found > MAX_RESULTS,
    )


_LIMIT = MAX_RESULTS + 1
# The order of the page within the ranked matches (position: the relevance rank).
_SEARCH_ORDER = {
    "price_asc": "p.price_minor ASC, p.id ASC",
    "price_desc": "p.price_minor DESC, p.id DESC",
    "newest": "p.created_at DESC, p.id DESC",
}


async def _search_page(
    read: spec_search.SpecQuery, piece: str, sort: str, in_stock: bool, offset: int, limit: int
) -> tuple[list[int], int]:
    """The page's product ids and how many matched (up to MAX_RESULTS + 1).

    Each way of matching gives at most MAX_RESULTS + 1 products from an index, newest first:
    0, the whole query is a piece of the SKU (an exact SKU marked); 3, the SKU starts with the
    query written compact (letters and digits: an exact one marked), counted with 0; 1, every
    word starts a word of the title or SKU; 2, every word starts a word anywhere. Values with
    a unit must be among the product's typed specs in tiers 1 and 2 (with no words left, they
    alone make tier 2). One query returns them as lists of ids (rows of ids cost more to fetch
    than to find). Each product counts once, at its best way; ranked by that, the exact SKU
    first, then newest first; the first MAX_RESULTS are the results, sorted as asked (by the
    database, for price and date).
    """
    postgres = is_postgres(Product._meta.db)
    stock = " AND p.stock > 0" if in_stock else ""
    ids = "string_agg(id::text, ',')" if postgres else "group_concat(id)"
    words = read.words
    parts, args = [], []
    if piece:
        if postgres:  # pg_trgm's index on lower(sku) answers LIKE '%piece%'
            matched = "FROM product p WHERE lower(p.sku) LIKE {}"
            args += [piece, "%" + re.sub(r"([\\%_])", r"\\\1", piece) + "%"]
            newest = "p.id"
        else:
            matched = "FROM product_sku f CROSS JOIN product p ON p.id = f.rowid "
            matched += "WHERE product_sku MATCH {}"
            args += [piece, '"' + piece.replace('"', '""') + '"']
            newest = "f.rowid"
        # An exact SKU is marked by a minus sign before its id.
        parts.append(
            f"SELECT 0 AS tier, {ids} AS ids FROM (SELECT CASE WHEN lower(p.sku) = {{}} "
            f"THEN -p.id ELSE p.id END AS id {matched}{stock} "
            f"ORDER BY {newest} DESC LIMIT {_LIMIT}) AS m0"
        )
    if read.compact:
        compact, compact_args = spec_search.compact_range_sql(read.compact, postgres)
        args += [read.compact, *compact_args]
        parts.append(
            f"SELECT 3 AS tier, {ids} AS ids FROM (SELECT CASE WHEN "
            f"{spec_search.compact_sku_sql('p.sku')} = {{}} THEN -p.id ELSE p.id END AS id "
            f"FROM product p WHERE {compact}{stock} ORDER BY p.id DESC LIMIT {_LIMIT}) AS m3"
        )
    if read.measures and not words:
        matched, measure_args = spec_search.measure_ids_sql(read.measures, stock, postgres)
        args += measure_args
        parts.append(
            f"SELECT 2 AS tier, {ids} AS ids FROM (SELECT DISTINCT v.product AS id {matched} "
            f"ORDER BY v.product DESC LIMIT {_LIMIT}) AS m2"
        )
    for tier in (1, 2) if words else ():
        if postgres:
            matched = "FROM product p WHERE p.search_vector @@ {}::tsquery"
            args.append(_tsquery(words, "A" if tier == 1 else ""))
            newest = "p.id"
        else:
            # CROSS JOIN keeps the full-text index outside: it walks its matches newest first
            # and stops at the limit. Without a stock filter the index answers alone.
            joined = " CROSS JOIN product p ON p.id = f.rowid" if in_stock else ""
            matched = f"FROM product_words f{joined} WHERE product_words MATCH {{}}"
            args.append(_fts5_words(words, "title sku" if tier == 1 else ""))
            newest = "f.rowid"
        valued, measure_args = spec_search.measures_sql(read.measures, newest, postgres)
        matched += valued
        args += measure_args
        parts.append(
            f"SELECT {tier} AS tier, {ids} AS ids FROM (SELECT {newest} AS id {matched}{stock} "
            f"ORDER BY {newest} DESC LIMIT {_LIMIT}) AS m{tier}"
        )
    tiers: dict[int, list[int]] = {}
    for row in await Product.raw(" UNION ALL ".join(parts), *args):
        tiers[row["tier"]] = [int(value) for value in (row["ids"] or "").split(",") if value]
    pieces = tiers.get(0, []) + tiers.get(3, [])
    lists = [  # best way first, newest first within each
        sorted((-number for number in pieces if number < 0), reverse=True),
        sorted((number for number in pieces if number > 0), reverse=True),
        sorted(tiers.get(1, []), reverse=True),
        sorted(tiers.get(2, []), reverse=True),
    ]
    ranked: list[int] = []
    seen: set[int] = set()
    for ids_of_tier in lists:
        for product_id in ids_of_tier:
            if product_id not in seen:
                seen.add(product_id)
                ranked.append(product_id)
    found = min(len(ranked), _LIMIT)
    ranked = ranked[:MAX_RESULTS]
    order = _SEARCH_ORDER.get(sort)
    if order is None or not ranked:
        return ranked[offset : offset + limit], found
    # The ids as numbers in the SQL (they are ints the database gave): a thousand bound
    # parameters cost more to pass than the sort.
    rows = await Product.raw(
        f"SELECT p.id FROM product p WHERE p.id IN ({', '.join(map(str, ranked))}) "
        f"ORDER BY {order} LIMIT {{}} OFFSET {{}}",
        limit,
        offset,
    )
    return [row["id"] for row in rows], found


def _fts5_words(words: list[str], columns: str = "") -> str:
    """An FTS5 query: every word as a quoted prefix (quoted, nothing in it is syntax)."""
    query = " AND ".join(f'"{word}"*' for word in words)
    return f"{{{columns}}} : ({query})" if columns else query


def _tsquery(words: list[str], weight: str = "") -> str:
    """A tsquery of every word as a prefix, written as lexemes (words are letters and digits
    only, so nothing needs quoting beyond the quotes)."""
    return " & ".join(f"'{word}':*{weight}" for word in words)
