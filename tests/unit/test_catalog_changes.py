"""What the database keeps for the catalog's caches: the change log that drops cached pages at
once, and the category/brand counts listings read, both written by triggers."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts import page_cache
from okmarts.app import create_app
from okmarts.page_cache import PageCache
from okmarts.services import catalog
from okmarts.tables.catalog import Brand, Category, Product
from tests.conftest import TestDatabase
from tests.states.catalog import new_product
from tests.states.reviews import approved_review
from tests.unit.conftest import settings_for


@pytest.fixture
def cached_app(seeded_database: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> Litestar:
    """Pages kept for ten minutes; changes read at every request (not once a second)."""
    monkeypatch.setattr(page_cache, "FOLLOW_SECONDS", 0)
    settings = settings_for(seeded_database)
    return create_app(settings.__class__(**{**settings.__dict__, "page_cache_seconds": 600}))


def cached_paths(app: Litestar) -> set[str]:
    cache: PageCache = app.state.page_cache
    return {key[0] for key in (cache._pages or {})}


async def test_a_catalog_edit_drops_the_pages_that_show_it_and_keeps_the_rest(
    cached_app: Litestar,
) -> None:
    edited, other = await new_product(5), await new_product(5)
    await Product.update({Product.category: await _another_category(edited["id"])}).where(
        Product.id == other["id"]
    )
    pages = [f"/products/{edited['slug']}", f"/products/{other['slug']}", "/"]
    async with AsyncTestClient(app=cached_app) as client:
        for path in pages:
            assert (await client.get(path)).status_code == 200
        assert set(pages) <= cached_paths(cached_app)
        # What a staff member's price change in the admin does to the database:
        await Product.update({Product.price_minor: 4_321_00}).where(Product.id == edited["id"])
        page = await client.get(pages[0])
        assert "$4,321.00" in page.text
        kept = cached_paths(cached_app)
        assert pages[1] in kept, "a page that doesn't show the product stays cached"
        # A stock level that shows ("only 3 left") is a change; one that doesn't, isn't.
        await Product.update({Product.stock: 3}).where(Product.id == edited["id"])
        assert "Only 3 left in stock" in (await client.get(pages[0])).text
        # A category renamed: every page may name it.
        category = await Category.select(Category.id, Category.name).first()
        assert category
        await Category.update({Category.name: category["name"] + " (renamed)"}).where(
            Category.id == category["id"]
        )
        try:
            await client.get("/healthz")  # not a catalog page: nothing is read
            await client.get(pages[1])
            assert cached_paths(cached_app) == {pages[1]}
        finally:
            await Category.update({Category.name: category["name"]}).where(
                Category.id == category["id"]
            )


async def _another_category(product_id: int) -> int:
    row = await Product.select(Product.category).where(Product.id == product_id).first()
    assert row
    other = await Category.select(Category.id).where(Category.id != row["category"]).first()
    assert other
    return int(other["id"])


async def true_counts(query: catalog.ListingQuery, tree: catalog.CategoryTree) -> tuple:
    """The listing's count and brand facets, counted from the products themselves."""
    clauses = catalog._listing_where(query, tree)
    count = Product.count()
    for clause in clauses:
        count = count.where(clause)
    facets = await catalog._brand_facets(query, tree)
    return await count, [(f.slug, f.count) for f in facets]


async def assert_counts_hold(tree: catalog.CategoryTree, brands: tuple[str, ...]) -> None:
    for category_id in [None, *[root.id for root in tree.roots]]:
        for in_stock in (False, True):
            for chosen in ((), brands):
                query = catalog.ListingQuery(
                    category_id=category_id, brands=chosen, in_stock=in_stock
                )
                total, facets = await catalog._counted(query, tree)
                assert (total, [(f.slug, f.count) for f in facets]) == await true_counts(
                    query, tree
                ), query


async def test_listing_counts_follow_every_product_change(app: Litestar) -> None:
    tree = await catalog.load_category_tree(use_cache=False)
    brand = await Brand.select(Brand.id, Brand.slug).order_by(Brand.id, ascending=False).first()
    assert brand
    await assert_counts_hold(tree, (brand["slug"],))
    product = await new_product(4)
    await assert_counts_hold(tree, (brand["slug"],))
    other_category = await _another_category(product["id"])
    changes = [
        {Product.stock: 0},
        {Product.stock: 7},
        {Product.brand: brand["id"]},
        {Product.category: other_category, Product.stock: 0},
    ]
    for change in changes:
        await Product.update(change).where(Product.id == product["id"])
        await assert_counts_hold(tree, (brand["slug"],))
    await Product.delete().where(Product.id == product["id"])
    await assert_counts_hold(tree, (brand["slug"],))
    # The listing page itself reads the kept counts: no product is counted.
    total = await Product.count().where(
        Product.category.is_in(tree.descendant_ids(tree.roots[0].id))
    )
    async with AsyncTestClient(app=app) as client:
        page = await client.get(f"/categories/{tree.roots[0].slug}")
    assert f">{total:,} products" in page.text or f">{total} products" in page.text


async def test_every_shown_change_is_logged_with_its_product(app: Litestar) -> None:
    product = await new_product(50)
    for price in range(1, 13):
        await Product.update({Product.price_minor: price}).where(Product.id == product["id"])
    rows = await Product.raw("SELECT product FROM catalog_change ORDER BY id DESC LIMIT 12")
    assert [row["product"] for row in rows] == [product["id"]] * 12


async def test_a_moderated_review_drops_its_product_page(cached_app: Litestar) -> None:
    product = await new_product(5)
    path = f"/products/{product['slug']}"
    async with AsyncTestClient(app=cached_app) as client:
        assert "Solid relay" not in (await client.get(path)).text
        assert path in cached_paths(cached_app)
        # Approved by a moderator elsewhere (another worker, the admin): logged by the trigger.
        await approved_review(product)
        assert "Solid relay" in (await client.get(path)).text
