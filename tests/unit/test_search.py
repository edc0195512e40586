"""Search: bounded whatever the catalog's size, and the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.app import bind_tables
from okmarts.piccolo_conf import APP_REGISTRY
from okmarts.services import catalog
from okmarts.tables.catalog import Product
from tests.conftest import (
    POSTGRES_URL,
    TEST_PRODUCTS,
    TEST_SEED,
    TestDatabase,
    create_database,
    drop_database,
    okmarts,
)


@pytest.fixture
def small_cap(monkeypatch: pytest.MonkeyPatch) -> int:
    """A result cap the test catalog can pass: 5 instead of 1,000."""
    monkeypatch.setattr(catalog, "MAX_RESULTS", 5)
    monkeypatch.setattr(catalog, "_LIMIT", 6)
    return 5


async def test_a_common_word_ranks_a_bounded_number_and_says_more(
    app: Litestar, small_cap: int
) -> None:
    everything = await Product.count().where(Product.search_text.like("%sensor%"))
    assert everything > small_cap + 1, "the test catalog needs more sensors than the cap"
    first = await catalog.search_products("sensor", per_page=3)
    assert (first.total, first.more, first.pages) == (small_cap, True, 2)
    second = await catalog.search_products("sensor", per_page=3, page=2)
    assert len(second.items) == 2 and not {c.id for c in first.items} & {c.id for c in second.items}
    assert (await catalog.search_products("sensor", per_page=3, page=3)).items == []
    # Sorting sorts the ranked matches: the cheapest of them first.
    cheap = await catalog.search_products("sensor", sort="price_asc", per_page=5)
    prices = [card.price_minor for card in cheap.items]
    assert prices == sorted(prices) and cheap.total == small_cap
    async with AsyncTestClient(app=app) as client:
        page = await client.get("/search", params={"q": "sensor"})
        assert re.search(r'id="results-count"[^>]*>5\+ results', page.text)
        live = await client.get(
            "/search",
            params={"q": "sensor"},
            headers={"HX-Request": "true", "HX-Target": "live-search-results"},
        )
        assert "See all 5+ results" in live.text


async def test_search_asks_one_bounded_query_for_its_matches(
    app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    """However many products match, one query finds them, each part of it capped."""
    statements: list[str] = []
    engine_class = type(Product._meta.db)
    original = engine_class.run_querystring

    async def counting(self: Any, querystring: Any, *args: Any, **kwargs: Any) -> Any:
        statements.append(str(querystring))
        return await original(self, querystring, *args, **kwargs)

    monkeypatch.setattr(engine_class, "run_querystring", counting)
    await catalog.search_products("sensor relay", sort="price_desc")
    matching = [sql for sql in statements if "UNION ALL" in sql]
    assert len(matching) == 1
    # SKU piece, compact SKU prefix, words in title or SKU, words anywhere: each capped
    assert matching[0].count(f"LIMIT {catalog.MAX_RESULTS + 1}") == 4
    assert len(statements) <= 3  # matches, then the page's cards and their images


def test_query_words_are_letters_and_digits_in_lower_case() -> None:
    assert catalog.query_words("Siemens 6ES7-214, IP67 mm² «Relé»") == [
        "siemens",
        "6es7",
        "214",
        "ip67",
        "mm²",
        "relé",
    ]
    assert catalog.query_words("'; DROP TABLE product; --") == ["drop", "table", "product"]
    assert catalog.query_words('* ( ) " \\') == []


# -- The same answers on both databases ----------------------------------------------------------


@pytest.fixture(scope="module")
def both_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[TestDatabase]]:
    if not POSTGRES_URL:
        pytest.skip("needs OKMARTS_TEST_POSTGRES_URL")
    databases = [create_database(backend, tmp_path_factory) for backend in ("sqlite", "postgres")]
    try:
        for database in databases:
            okmarts("migrate", env=database.env())
            okmarts(
                "seed",
                "--products",
                str(TEST_PRODUCTS),
                "--seed",
                str(TEST_SEED),
                env=database.env(),
            )
        yield databases
    finally:
        for database in databases:
            drop_database(database)


def bound_engine() -> Any:
    return Product._meta.db


def rebind(engine: Any) -> None:
    for app_config in APP_REGISTRY.app_configs.values():
        for table in app_config.table_classes:
            table._meta.db = engine


async def search_queries() -> list[str]:
    """Words of every kind the catalog holds: brands, categories, specifications, SKUs whole
    and in pieces, short words, symbols, nothing, syntax."""
    brands = [row["name"] for row in await Product.raw("SELECT name FROM brand ORDER BY id")]
    skus = [row["sku"] for row in await Product.raw("SELECT sku FROM product ORDER BY id LIMIT 6")]
    return [
        *brands[:6],
        *skus,
        *(sku[2:7] for sku in skus),
        *(sku[-4:].lower() for sku in skus),
        "sensor",
        "sens",
        "relay 24",
        "24 v",
        "v",
        "ip67",
        "IP6",
        "mm²",
        "mm",
        "terminal block",
        "Schneider Electric",
        "circuit breaker 4P",
        "ac dc",
        "½",
        "µm",
        "zzzqqq",
        '"',
        "NEAR(a b)",
        "a OR b",
        "-",
        "'; DROP TABLE product; --",
        "产品",
    ]


async def answers(queries: list[str]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    found = {}
    for text in queries:
        for sort in catalog.SORTS:
            for in_stock in (False, True):
                for page in (1, 2):
                    results = await catalog.search_products(
                        text, page=page, per_page=7, sort=sort, in_stock=in_stock
                    )
                    found[(text, sort, in_stock, page)] = (
                        results.total,
                        results.more,
                        [card.id for card in results.items],
                    )
    return found


async def test_the_same_query_finds_the_same_products_on_both_databases(
    both_databases: list[TestDatabase],
) -> None:
    kept = bound_engine()
    try:
        per_database = []
        queries: list[str] = []
        for database in both_databases:
            bind_tables(database.url)
            queries = queries or await search_queries()
            per_database.append(await answers(queries))
        sqlite, postgres = per_database
        differences = {
            key: (sqlite[key], postgres[key]) for key in sqlite if sqlite[key] != postgres[key]
        }
        assert not differences, differences
        # ...and the comparison compared something: most queries find products.
        assert sum(1 for total, _, _ in sqlite.values() if total) > len(sqlite) // 2
    finally:
        rebind(kept)
