"""Each page costs a handful of queries, whatever the number of specs, images or results."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.tables.catalog import Category, Product
from tests.unit.conftest import QueryCounter


async def page_queries(client: AsyncTestClient[Litestar], queries: QueryCounter, path: str) -> int:
    await client.get(path)  # warm the per-worker category cache, as a running server has it
    queries.reset()
    response = await client.get(path)
    assert response.status_code == 200, path
    return len(queries.statements)


async def test_product_page_queries(
    client: AsyncTestClient[Litestar], queries: QueryCounter
) -> None:
    # (Other tests put products in kits and orders, and buy some out of stock: a product in
    # stock in neither, then one in a kit; an out-of-stock part lists alternatives, below.)
    found = {}
    for kit in (False, True):
        found[kit] = await Product.raw(
            "SELECT slug FROM product WHERE id "
            + ("IN" if kit else "NOT IN")
            + " (SELECT product FROM bundle_part) AND id NOT IN (SELECT product FROM product_pair)"
            " AND stock > 0 AND status = 'active' ORDER BY id LIMIT 1"
        )
    plain, in_kit = found[False], found[True]
    assert plain and in_kit, "the demo catalog has kits"
    # product + its images + its documents and its family's + its quantity price breaks +
    # related products + their first images + rating summary + one page of reviews with their
    # authors (skipped when there are none) + answered questions + the product's partners and
    # kits in one look-up
    path = f"/products/{plain[0]['slug']}"
    assert await page_queries(client, queries, path) <= 10, queries.statements
    # … and its kits, then their parts: two more, whatever their number
    path = f"/products/{in_kit[0]['slug']}"
    assert await page_queries(client, queries, path) <= 12, queries.statements
    # A discontinued part (the demo has some) also lists its replacements: the critical specs
    # with its values, the ranked candidates, their values, their pictures (services.replacements)
    ended = await Product.raw(
        "SELECT slug FROM product WHERE status = 'discontinued' AND id NOT IN "
        "(SELECT product FROM bundle_part) AND id NOT IN (SELECT product FROM product_pair) "
        "ORDER BY id LIMIT 1"
    )
    assert ended, "the demo catalog has discontinued parts"
    path = f"/products/{ended[0]['slug']}"
    assert await page_queries(client, queries, path) <= 10 + 4, queries.statements


async def test_listing_and_search_queries(
    client: AsyncTestClient[Litestar], queries: QueryCounter
) -> None:
    category = await Category.select(Category.slug).where(Category.parent.is_null()).first()
    assert category
    # spec definitions + page of products + card images + count and brand counts + the
    # in-stock products, for the spec facets' counts (services.facets)
    path = f"/categories/{category['slug']}?in_stock=1"
    assert await page_queries(client, queries, path) <= 5, queries.statements
    # ranked ids + count + cards + card images; for the facets beside them (search_facets):
    # every ranked match + the categories they fall in + that category's spec definitions
    assert await page_queries(client, queries, "/search?q=sensor") <= 6, queries.statements
    # values with a unit and part numbers are parts of the same ranked-ids query
    for text in ("m12+pnp+4mm", "24v", "0.4cm+sensor", "6ES7211", "6es7+211-1dq48"):
        assert await page_queries(client, queries, f"/search?q={text}") <= 6, text
    assert await page_queries(client, queries, "/") <= 4


async def test_compare_page_queries(
    client: AsyncTestClient[Litestar], queries: QueryCounter
) -> None:
    slugs = [row["slug"] for row in await Product.select(Product.slug).limit(6)]
    # the products with brand and category in one query + their first images: two, for one
    # part or four, and with unknown, repeated and extra slugs beside them
    for chosen in (slugs[:1], slugs[:4], [*slugs, "no-such-part", slugs[0]]):
        path = "/compare?" + "&".join(f"p={slug}" for slug in chosen)
        assert await page_queries(client, queries, path) <= 2, queries.statements
    # nothing chosen: nothing asked
    assert await page_queries(client, queries, "/compare") == 0, queries.statements
