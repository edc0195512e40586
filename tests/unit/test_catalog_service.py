"""Catalog rules against a real, seeded database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import pytest
from litestar import Litestar

from okmarts.services import catalog
from okmarts.tables.catalog import Brand, Product

pytestmark = pytest.mark.usefixtures("app")


def test_tree_walks_descendants_and_ancestors() -> None:
    tree = catalog.CategoryTree.from_nodes(
        [
            catalog.CategoryNode(1, "Sensors", "sensors", None, ""),
            catalog.CategoryNode(2, "Proximity", "proximity", 1, ""),
            catalog.CategoryNode(3, "Inductive", "inductive", 2, ""),
            catalog.CategoryNode(4, "Drives", "drives", None, ""),
        ]
    )
    assert sorted(tree.descendant_ids(1)) == [1, 2, 3]
    assert tree.descendant_ids(4) == [4]
    assert [node.slug for node in tree.ancestors(3)] == ["sensors", "proximity", "inductive"]
    assert [node.slug for node in tree.roots] == ["sensors", "drives"]


async def test_category_listing_includes_subcategories(app: Litestar) -> None:
    tree = await catalog.load_category_tree(use_cache=False)
    root = next(root for root in tree.roots if tree.children.get(root.id))
    page = await catalog.list_products(
        catalog.ListingQuery(category_id=root.id, per_page=100), tree
    )
    allowed = set(tree.descendant_ids(root.id))
    rows = await Product.select(Product.category).where(
        Product.id.is_in([c.id for c in page.items])
    )
    assert page.total > 0
    assert {row["category"] for row in rows} <= allowed
    assert len({row["category"] for row in rows}) > 1, "products of several subcategories"
    assert page.total == await Product.count().where(Product.category.is_in(list(allowed)))


async def test_filters_price_stock_brand_and_sort() -> None:
    tree = await catalog.load_category_tree(use_cache=False)
    everything = await catalog.list_products(catalog.ListingQuery(per_page=100), tree)
    brand = everything.brands[0]
    query = catalog.ListingQuery(
        brands=(brand.slug,),
        min_price_minor=1_000,
        max_price_minor=500_000,
        in_stock=True,
        sort="price_asc",
        per_page=100,
    )
    page = await catalog.list_products(query, tree)
    prices = [card.price_minor for card in page.items]
    assert prices == sorted(prices)
    assert all(1_000 <= price <= 500_000 for price in prices)
    assert all(card.stock > 0 for card in page.items)
    assert {card.brand_name for card in page.items} <= {brand.name}
    expected = await Product.count().where(
        Product.brand.slug == brand.slug,
        Product.price_minor >= 1_000,
        Product.price_minor <= 500_000,
        Product.stock > 0,
    )
    assert page.total == expected


async def test_a_category_with_subcategories_lists_in_the_same_order_as_one_sort() -> None:
    """Its page is merged from one walk per subcategory: the same products, in the same order,
    as sorting the whole category would give, for every sort, filter and page."""
    tree = await catalog.load_category_tree(use_cache=False)
    root = max(tree.roots, key=lambda node: len(tree.descendant_ids(node.id)))
    assert len(tree.descendant_ids(root.id)) > 1
    brand = await Brand.select(Brand.slug).first()
    assert brand
    orders = {
        "relevance": [(Product.featured, False), (Product.created_at, False), (Product.id, False)],
        "price_asc": [(Product.price_minor, True), (Product.id, True)],
        "price_desc": [(Product.price_minor, False), (Product.id, False)],
        "newest": [(Product.created_at, False), (Product.id, False)],
    }
    for sort, order in orders.items():
        for filters in (
            {},
            {"in_stock": True, "min_price_minor": 1000},
            {"brands": (brand["slug"],)},
        ):
            query = catalog.ListingQuery(category_id=root.id, sort=sort, per_page=7, **filters)
            expected = Product.select(Product.id).where(*catalog._listing_where(query, tree))
            for column, ascending in order:
                expected = expected.order_by(column, ascending=ascending)
            every = [row["id"] for row in await expected]
            for page in (1, 2, 5):
                listed = await catalog.list_products(
                    catalog.ListingQuery(
                        category_id=root.id, sort=sort, per_page=7, page=page, **filters
                    ),
                    tree,
                )
                assert [card.id for card in listed.items] == every[(page - 1) * 7 : page * 7], (
                    sort,
                    filters,
                    page,
                )


async def test_brand_facets_count_every_product() -> None:
    tree = await catalog.load_category_tree(use_cache=False)
    page = await catalog.list_products(catalog.ListingQuery(), tree)
    assert sum(facet.count for facet in page.brands) == page.total == await Product.count()


async def test_pages_do_not_overlap_and_cover_everything() -> None:
    tree = await catalog.load_category_tree(use_cache=False)
    seen: list[int] = []
    first = await catalog.list_products(catalog.ListingQuery(sort="newest", per_page=50), tree)
    for number in range(1, first.pages + 1):
        page = await catalog.list_products(
            catalog.ListingQuery(sort="newest", per_page=50, page=number), tree
        )
        seen += [card.id for card in page.items]
    assert len(seen) == len(set(seen)) == first.total


async def test_search_finds_a_product_by_sku_first() -> None:
    product = (
        await Product.select(Product.id, Product.sku, Product.title)
        .order_by(Product.id)
        .offset(17)
        .first()
    )
    assert product is not None
    results = await catalog.search_products(product["sku"])
    assert results.items and results.items[0].id == product["id"]


async def test_search_by_brand_and_spec_words() -> None:
    brand = await Brand.select(Brand.name).first()
    assert brand is not None
    results = await catalog.search_products(brand["name"], per_page=100)
    assert results.total > 0
    assert any(card.brand_name == brand["name"] for card in results.items)
    ip67 = await catalog.search_products("IP67")
    assert ip67.total > 0


async def test_search_of_nothing_and_of_syntax_is_empty_not_an_error() -> None:
    assert (await catalog.search_products("")).total == 0
    assert (await catalog.search_products("zzzqqqxxy")).total == 0
    for hostile in [
        '"',
        "NEAR(a b)",
        "a OR",
        "*",
        "\\",
        "'; DROP TABLE product; --",
        "(((",
        "产品",
    ]:
        results = await catalog.search_products(hostile)
        assert results.total >= 0
    assert await Product.count() > 0


async def test_search_sorts_by_price_and_pages() -> None:
    results = await catalog.search_products("sensor", sort="price_desc", per_page=5)
    prices = [card.price_minor for card in results.items]
    assert prices == sorted(prices, reverse=True)
    second = await catalog.search_products("sensor", sort="price_desc", per_page=5, page=2)
    assert not {c.id for c in results.items} & {c.id for c in second.items}


async def test_product_detail_has_specs_and_images() -> None:
    row = await Product.select(Product.slug).first()
    assert row is not None
    product = await catalog.get_product(row["slug"])
    assert product is not None
    assert product.specs and all(len(pair) == 2 for pair in product.specs)
    assert product.images and product.images[0].path.startswith(("drawings/", "img/"))
    assert await catalog.get_product("no-such-product") is None
