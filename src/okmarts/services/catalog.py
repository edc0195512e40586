"""Catalog rules: category tree, listing with filters and sorting, product pages, search."""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

from piccolo.query.functions.aggregate import Count

from okmarts.db import is_postgres
from okmarts.inputs import clean_text
from okmarts.tables.catalog import Brand, Category, Product, ProductImage

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


@dataclass
class BrandFacet:
    slug: str
    name: str
    count: int


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


_CARD_COLUMNS = (
    Product.id,
    Product.slug,
    Product.title,
    Product.sku,
    Product.price_minor,
    Product.currency,
    Product.stock,
    Product.brand.name.as_alias("brand_name"),
)


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


_LISTING_ORDER = {
    "relevance": [(Product.featured, False), (Product.created_at, False), (Product.id, False)],
    "price_asc": [(Product.price_minor, True), (Product.id, True)],
    "price_desc": [(Product.price_minor, False), (Product.id, False)],
    "newest": [(Product.created_at, False), (Product.id, False)],
}


async def list_products(query: ListingQuery, tree: CategoryTree) -> ProductPage:
    """One page of products matching the filters, with the brands available beside them."""
    clauses = _listing_where(query, tree)
    order = _LISTING_ORDER.get(query.sort, _LISTING_ORDER["relevance"])
    page = max(1, query.page)
    # The page's ids first, from a covering index, then the card columns of just those rows:
    # sorting thousands of full rows joined with their brand is what made listings slow.
    page_ids = Product.select(Product.id)
    count = Product.count()
    for clause in clauses:
        page_ids = page_ids.where(clause)
        count = count.where(clause)
    for column, ascending in order:
        page_ids = page_ids.order_by(column, ascending=ascending)
    page_ids = page_ids.limit(query.per_page).offset((page - 1) * query.per_page)
    select = Product.select(*_CARD_COLUMNS).where(Product.id.is_in(page_ids))
    for column, ascending in order:
        select = select.order_by(column, ascending=ascending)
    rows = await select
    total = await count
    items = await _cards(rows)
    brands = await _brand_facets(query, tree)
    return ProductPage(items=items, total=total, page=page, per_page=query.per_page, brands=brands)


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
    facets = [
        BrandFacet(slug=row["slug"], name=row["name"], count=counts[row["id"]]) for row in names
    ]
    return sorted(facets, key=lambda facet: facet.name.lower())


async def _cards(rows: list[dict[str, Any]]) -> list[ProductCard]:
    """Product cards with their first image: one query for all images, never one per card."""
    cards = [ProductCard(**row) for row in rows]
    if not cards:
        return cards
    images = await ProductImage.select(
        ProductImage.product, ProductImage.path, ProductImage.alt
    ).where(ProductImage.product.is_in([card.id for card in cards]), ProductImage.position == 0)
    first_image = {image["product"]: image for image in images}
    for card in cards:
        image = first_image.get(card.id)
        if image:
            card.image_path, card.image_alt = image["path"], image["alt"]
    return cards


async def _select_cards(
    *where: Any, order: list[tuple[Any, bool]], limit: int
) -> list[ProductCard]:
    select = Product.select(*_CARD_COLUMNS)
    if where:
        select = select.where(*where)
    for column, ascending in order:
        select = select.order_by(column, ascending=ascending)
    return await _cards(await select.limit(limit))


async def featured_products(limit: int = 8) -> list[ProductCard]:
    return await _select_cards(
        Product.featured == True, order=[(Product.created_at, False)], limit=limit
    )


async def newest_products(limit: int = 8) -> list[ProductCard]:
    return await _select_cards(order=[(Product.created_at, False)], limit=limit)


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

    @property
    def in_stock(self) -> bool:
        return self.stock > 0


async def get_product(slug: str) -> ProductDetail | None:
    """A product with brand, specifications and images (two queries)."""
    row = (
        await Product.select(
            Product.id,
            Product.slug,
            Product.sku,
            Product.title,
            Product.description,
            Product.price_minor,
            Product.currency,
            Product.stock,
            Product.weight_grams,
            Product.points_price,
            Product.specs,
            Product.created_at,
            Product.brand.name.as_alias("brand_name"),
            Product.brand.slug.as_alias("brand_slug"),
            Product.category.as_alias("category_id"),
        )
        .where(Product.slug == slug)
        .first()
    )
    if row is None:
        return None
    images = (
        await ProductImage.select(
            ProductImage.path, ProductImage.alt, ProductImage.width, ProductImage.height
        )
        .where(ProductImage.product == row["id"])
        .order_by(ProductImage.position)
    )
    specs = row["specs"]
    if isinstance(specs, str):  # SQLite and asyncpg hand JSON back as text
        specs = json.loads(specs)
    return ProductDetail(
        **{**row, "specs": [list(pair) for pair in specs]},
        images=[ProductImageView(**image) for image in images],
    )


async def related_products(product: ProductDetail, limit: int = 4) -> list[ProductCard]:
    """Others from the same category, featured and newest first."""
    return await _select_cards(
        Product.category == product.category_id,
        Product.id != product.id,
        order=[(Product.featured, False), (Product.created_at, False)],
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


@dataclass(frozen=True)
class _Match:
    """A matching product, and why it matched: 0 a piece of its SKU, 1 every word in title or
    SKU, 2 every word somewhere (brand, category, specifications, description)."""

    tier: int
    id: int
    sku: str = ""  # SKU matches only: an exact SKU comes first
    price_minor: int = 0  # sorted by price only
    created_at: Any = None  # sorted by date only


async def search_products(
    text: str, page: int = 1, per_page: int = 24, sort: str = "relevance", in_stock: bool = False
) -> SearchResults:
    """Products whose title, SKU, brand, category or specifications hold every word of the
    query (as the start of a word), or whose SKU holds the whole query; the same products, in
    the same order, on SQLite and PostgreSQL.

    Bounded whatever the catalog's size: each way of matching gives at most MAX_RESULTS + 1
    products, newest first, from an index; those are ranked (SKU first — an exact SKU before
    one that holds it — then title, then the rest, newest first within each) or sorted as
    asked, and only the page's cards are read. Past MAX_RESULTS the count says "more".
    """
    text = normalise_query(text)
    page = max(1, page)
    per_page = max(1, min(per_page, MAX_PAGE_SIZE))
    words = query_words(text)
    piece = text.lower() if len(text) >= 3 else ""
    if not words and not piece:
        return SearchResults(query=text, items=[], total=0, page=page, per_page=per_page)
    # Ranked by relevance, the word matches need nothing but their ids. (Every part of the
    # query gives the same columns: id, sku, price_minor, created_at.)
    columns = _IDS_ONLY if sort == "relevance" else "p.id, '' AS sku, p.price_minor, p.created_at"
    if is_postgres(Product._meta.db):
        found = await _matches_postgres(words, piece, in_stock, columns)
    else:
        found = await _matches_sqlite(words, piece, in_stock, columns)
    ranked = _ranked(found, piece, sort)
    more = len(ranked) > MAX_RESULTS
    ranked = ranked[:MAX_RESULTS]
    ids = [match.id for match in ranked[(page - 1) * per_page : page * per_page]]
    rows = await Product.select(*_CARD_COLUMNS).where(Product.id.is_in(ids)) if ids else []
    by_id = {card.id: card for card in await _cards(list(rows))}
    items = [by_id[product_id] for product_id in ids if product_id in by_id]
    return SearchResults(
        query=text, items=items, total=len(ranked), page=page, per_page=per_page, more=more
    )


def _ranked(found: list[_Match], piece: str, sort: str) -> list[_Match]:
    """Each product once, at its best tier, in the order asked (ids break every tie)."""
    best: dict[int, _Match] = {}
    for match in found:
        if match.id not in best or match.tier < best[match.id].tier:
            best[match.id] = match
    matches = list(best.values())
    if sort == "price_asc":
        matches.sort(key=lambda m: (m.price_minor, m.id))
    elif sort == "price_desc":
        matches.sort(key=lambda m: (-m.price_minor, -m.id))
    elif sort == "newest":
        matches.sort(key=lambda m: (m.created_at, m.id), reverse=True)
    else:
        matches.sort(key=lambda m: (m.tier, m.tier == 0 and m.sku.lower() != piece, -m.id))
    return matches


_LIMIT = MAX_RESULTS + 1
_SKU_COLUMNS = "p.id, p.sku, p.price_minor, p.created_at"
_IDS_ONLY = "p.id, '' AS sku, 0 AS price_minor, NULL AS created_at"


def _fts5_words(words: list[str], columns: str = "") -> str:
    """An FTS5 query: every word as a quoted prefix (quoted, nothing in it is syntax)."""
    query = " AND ".join(f'"{word}"*' for word in words)
    return f"{{{columns}}} : ({query})" if columns else query


async def _matches_sqlite(
    words: list[str], piece: str, in_stock: bool, columns: str
) -> list[_Match]:
    stock = " AND p.stock > 0" if in_stock else ""
    # CROSS JOIN keeps the full-text index outside: it walks its matches newest first and stops
    # at the limit, instead of SQLite reading products to check each against the index. Without
    # product columns to read (ids only, no stock filter) the index answers alone.
    parts, args = [], []
    if piece:
        parts.append(
            f"SELECT * FROM (SELECT 0 AS tier, {_SKU_COLUMNS} FROM product_sku f "
            f"CROSS JOIN product p ON p.id = f.rowid WHERE product_sku MATCH {{}}{stock} "
            f"ORDER BY f.rowid DESC LIMIT {_LIMIT})"
        )
        args.append('"' + piece.replace('"', '""') + '"')
    if words:
        for tier, match in ((1, _fts5_words(words, "title sku")), (2, _fts5_words(words))):
            if columns == _IDS_ONLY and not in_stock:
                source, selected = "product_words f", columns.replace("p.id", "f.rowid AS id")
            else:
                source = "product_words f CROSS JOIN product p ON p.id = f.rowid"
                selected = columns
            parts.append(
                f"SELECT {tier} AS tier, {selected} FROM {source} "
                f"WHERE product_words MATCH {{}}{stock} ORDER BY f.rowid DESC LIMIT {_LIMIT}"
            )
            args.append(match)
    # Each part is its own bounded SELECT (a subquery, so that ORDER BY and LIMIT are its own).
    sql = " UNION ALL ".join(f"SELECT * FROM ({part})" for part in parts)
    rows = await Product.raw(sql, *args)
    return [_Match(**row) for row in rows]


def _tsquery(words: list[str], weight: str = "") -> str:
    """A tsquery of every word as a prefix, written as lexemes (words are letters and digits
    only, so nothing needs quoting beyond the quotes)."""
    return " & ".join(f"'{word}':*{weight}" for word in words)


async def _matches_postgres(
    words: list[str], piece: str, in_stock: bool, columns: str
) -> list[_Match]:
    stock = " AND p.stock > 0" if in_stock else ""
    parts, args = [], []
    if piece:
        # pg_trgm's index on lower(sku) answers LIKE '%piece%'.
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", piece) + "%"
        parts.append(
            f"(SELECT 0 AS tier, {_SKU_COLUMNS} FROM product p "
            f"WHERE lower(p.sku) LIKE {{}}{stock} ORDER BY p.id DESC LIMIT {_LIMIT})"
        )
        args.append(pattern)
    if words:
        for tier, weight in ((1, "A"), (2, "")):
            parts.append(
                f"(SELECT {tier} AS tier, {columns} FROM product p "
                f"WHERE p.search_vector @@ {{}}::tsquery{stock} ORDER BY p.id DESC LIMIT {_LIMIT})"
            )
            args.append(_tsquery(words, weight))
    rows = await Product.raw(" UNION ALL ".join(parts), *args)
    return [_Match(**row) for row in rows]
