"""Search keeps each query's offer (its matches, categories and spec facets) per worker, checked
against the catalog's stamp (services.search_facets): a repeated search costs a few small
queries, and a change to the catalog shows at once."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.tables.catalog import Brand, Category, Product
from tests.unit.conftest import QueryCounter

pytestmark = pytest.mark.usefixtures("app")

Client = AsyncTestClient[Litestar]
WORD = "quokkaflux"


def _count(html: str) -> int:
    match = re.search(r'id="results-count"[^>]*>([^<]*)', html)
    assert match, "the page shows its count"
    return int(re.sub(r"\D", "", match.group(1)))


def _categories(html: str) -> dict[str, int]:
    return {
        slug: int(count)
        for slug, count in re.findall(
            r'name="category" value="([a-z0-9-]+)"(?: checked)?> [^<]+'
            r'<span class="count">\((\d+)\)',
            html,
        )
    }


@pytest.fixture
async def leaves() -> AsyncIterator[list[dict[str, object]]]:
    """Two leaf categories, and the products a test makes in them (deleted afterwards)."""
    rows = await Category.raw(
        "SELECT c.id, c.slug FROM category c WHERE NOT EXISTS "
        "(SELECT 1 FROM category k WHERE k.parent = c.id) ORDER BY c.id LIMIT 2"
    )
    assert len(rows) == 2
    yield rows
    await Product.delete().where(Product.title.like(f"%{WORD}%"))
    await Product.delete().where(Product.sku.like("QF-%"))


async def _make(title: str, sku: str, category_id: int, **extra: object) -> int:
    brand = await Brand.select(Brand.id).first()
    assert brand
    product = Product(
        sku=sku,
        slug=sku.lower(),
        title=title,
        brand=brand["id"],
        category=category_id,
        price_minor=1000,
        currency="USD",
        stock=3,
        weight_grams=100,
        created_at=dt.datetime.now(dt.UTC),
        **extra,
    )
    await product.save()
    return int(product.id)


async def test_a_repeated_search_costs_the_stamp_and_its_page(
    client: Client, queries: QueryCounter
) -> None:
    first = await client.get("/search", params={"q": "sensor"})
    queries.reset()
    again = await client.get("/search", params={"q": "sensor"})
    assert again.status_code == 200
    # the stamp + the page's cards + their first images: no ranking, no counting
    assert len(queries.statements) <= 3, queries.statements
    assert not any("GROUP BY" in statement for statement in queries.statements)
    assert again.text.count('class="card"') == first.text.count('class="card"') > 0
    assert _categories(again.text) == _categories(first.text)
    # Another page, another sort: the same kept matches, cut and sorted again.
    queries.reset()
    cheap = await client.get("/search", params={"q": "sensor", "sort": "price_asc"})
    assert cheap.status_code == 200 and _count(cheap.text) == _count(first.text)
    assert len(queries.statements) <= 4, queries.statements


async def test_a_new_product_a_changed_title_and_stock_show_at_once(
    client: Client, leaves: list[dict[str, object]]
) -> None:
    assert _count((await client.get("/search", params={"q": WORD})).text) == 0
    product_id = await _make(f"Quokkaflux probe {WORD}", "QF-1", int(leaves[0]["id"]))
    found = await client.get("/search", params={"q": WORD})
    assert _count(found.text) == 1 and "QF-1" in found.text
    in_stock = await client.get("/search", params={"q": WORD, "in_stock": "1"})
    assert _count(in_stock.text) == 1
    await Product.update({Product.stock: 0}).where(Product.id == product_id)
    assert _count((await client.get("/search", params={"q": WORD, "in_stock": "1"})).text) == 0
    await Product.update({Product.title: "Plain probe"}).where(Product.id == product_id)
    assert _count((await client.get("/search", params={"q": WORD})).text) == 0


async def test_a_changed_price_and_category_show_at_once(
    client: Client, leaves: list[dict[str, object]]
) -> None:
    first, second = (int(leaf["id"]) for leaf in leaves)
    one = await _make(f"{WORD} relay", "QF-2", first)
    other = await _make(f"{WORD} relay", "QF-3", second)
    page = await client.get("/search", params={"q": WORD})
    assert _categories(page.text) == {leaves[0]["slug"]: 1, leaves[1]["slug"]: 1}
    assert "$10.00" in page.text
    await Product.update({Product.price_minor: 123457}).where(Product.id == one)
    page = await client.get("/search", params={"q": WORD})
    assert "$1,234.57" in page.text
    picked = {"q": WORD, "category": str(leaves[0]["slug"])}
    assert _count((await client.get("/search", params=picked)).text) == 1
    await Product.update({Product.category: first}).where(Product.id == other)
    assert _count((await client.get("/search", params=picked)).text) == 2
    page = await client.get("/search", params={"q": WORD})
    # One category left: its box is not offered, and every match counts in it.
    assert _categories(page.text) == {} and _count(page.text) == 2
    await Product.delete().where(Product.id == one)
    assert _count((await client.get("/search", params=picked)).text) == 1


async def test_the_kept_facets_are_in_each_shoppers_language(client: Client) -> None:
    english = await client.get("/search", params={"q": "sensor"}, headers={"Accept-Language": "en"})
    spanish = await client.get("/search", params={"q": "sensor"}, headers={"Accept-Language": "es"})
    assert "All categories" in english.text and "Todas las categorías" not in english.text
    assert "Todas las categorías" in spanish.text and "All categories" not in spanish.text
    again = await client.get("/search", params={"q": "sensor"}, headers={"Accept-Language": "en"})
    assert "All categories" in again.text
    assert _categories(again.text) == _categories(english.text) == _categories(spanish.text)
