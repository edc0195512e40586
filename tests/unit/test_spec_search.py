"""Search reads values with a unit ("4mm", "24v", "0.4cm") as typed specs, and part numbers
by prefix with or without dashes and spaces; on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
import re

import pytest

from okmarts.app import bind_tables
from okmarts.services import catalog, spec_search, units
from okmarts.tables.catalog import Product, ProductSpecValue
from tests.conftest import TestDatabase
from tests.unit.test_search import both_databases, bound_engine, rebind

__all__ = ["both_databases"]  # a fixture this module uses

VOLT = units.unit_base("V")


async def found(text: str) -> list[int]:
    results = await catalog.search_products(text, per_page=100)
    assert not results.more
    return [card.id for card in results.items]


async def covering(base_unit: str, value: float) -> set[int]:
    """Products with a typed value equal to `value`, or a range covering it."""
    rows = await ProductSpecValue.select(ProductSpecValue.product).where(
        (ProductSpecValue.base_unit == base_unit)
        & (ProductSpecValue.low <= value)
        & (ProductSpecValue.high >= value)
    )
    return {row["product"] for row in rows}


async def products(ids: list[int]) -> dict[int, dict]:
    rows = await Product.select(
        Product.id, Product.title, Product.sku, Product.specs, Product.search_text
    ).where(Product.id.is_in(ids or [0]))
    return {row["id"]: row for row in rows}


def specs_of(row: dict) -> dict[str, str]:
    specs = json.loads(row["specs"]) if isinstance(row["specs"], str) else row["specs"]
    return dict(specs)


def words_of(row: dict) -> set[str]:
    text = f"{row['title']} {row['sku']} {row['search_text']}"
    return set(re.findall(r"[^\W_]+", text.lower()))


def test_a_query_is_read_into_words_values_and_a_compact_part_number() -> None:
    read = spec_search.read_query("M12 pnp 4mm", catalog.query_words)
    assert read.words == ["m12", "pnp"]
    assert read.measures == [units.Measure(0.004, 0.004, "meter")]
    assert spec_search.read_query("m12 pnp 4 mm", catalog.query_words) == read
    assert spec_search.read_query("0.4cm", catalog.query_words).measures == read.measures
    volts = spec_search.read_query("24v relay", catalog.query_words)
    assert volts.words == ["relay"] and volts.measures == [units.Measure(24, 24, VOLT)]
    # Words that only look like values stay words.
    assert spec_search.read_query("relay 12 in stock", catalog.query_words).measures == []
    assert spec_search.read_query("m12 4k", catalog.query_words).words == ["m12", "4k"]
    assert spec_search.read_query("6ES7 214-1AG40", catalog.query_words).compact == "6es72141ag40"


@pytest.mark.usefixtures("app")
async def test_m12_pnp_4mm_finds_m12_pnp_sensors_of_4_mm() -> None:
    ids = await found("m12 pnp 4mm")
    assert ids
    four_mm = await covering("meter", 0.004)
    for product_id, row in (await products(ids)).items():
        assert {"m12", "pnp"} <= words_of(row), row["title"]
        assert product_id in four_mm, row["title"]
    # Every M12 PNP sensor sensing at 4 mm is there; one at 8 mm is not.
    everyone = await products(await found("m12 pnp"))
    exact = {
        product_id
        for product_id, row in everyone.items()
        if specs_of(row).get("Sensing distance") == "4 mm"
    }
    assert exact and exact <= set(ids)
    wider = set(everyone) - four_mm
    assert wider and not wider & set(ids)
    # The same length written otherwise finds the same products.
    assert await found("m12 pnp 4 mm") == ids
    assert await found("M12 PNP 0.4cm") == ids


@pytest.mark.usefixtures("app")
async def test_24v_relay_finds_relays_whose_voltage_is_or_covers_24_v() -> None:
    ids = await found("24v relay")
    assert ids
    volts = await covering(VOLT, 24.0)
    rows = await products(ids)
    for product_id, row in rows.items():
        assert "relay" in " ".join(words_of(row)), row["title"]
        assert product_id in volts, row["title"]
    titles = " ".join(row["title"] for row in rows.values())
    assert re.search(r"relay .*24 V DC", titles)  # a coil of 24 V
    assert re.search(r"relay.*\d+–\d+ V", titles)  # a range covering it
    assert await found("24 V relay") == ids
    # A value alone finds every product having it, however it is written.
    assert set(await found("0.4cm")) == await covering("meter", 0.004)
    assert await found("0.4cm") == await found("4mm") == await found("4000 µm")


@pytest.mark.usefixtures("app")
async def test_part_numbers_match_by_prefix_with_or_without_dashes_and_spaces() -> None:
    rows = await Product.select(Product.id, Product.sku).where(
        Product.sku.like("% %-%") | Product.sku.like("%-%-%")
    )
    assert rows, "the test catalog needs SKUs with dashes"
    for row in rows[:5]:
        sku = row["sku"]
        compact = re.sub(r"[\s\-./_]", "", sku)
        for text in (sku, sku.lower(), compact, compact.lower(), sku.replace("-", " ")):
            assert (await found(text))[0] == row["id"], (text, sku)
        # By prefix: most of the part number, written compact or with a space.
        prefix = compact[: max(4, len(compact) - 3)]
        assert row["id"] in await found(prefix), (prefix, sku)
        spaced = f"{compact[:4]} {compact[4:-2]}"
        assert row["id"] in await found(spaced), (spaced, sku)


async def test_the_same_spec_queries_find_the_same_products_on_both_databases(
    both_databases: list[TestDatabase],
) -> None:
    kept = bound_engine()
    try:
        per_database = []
        for database in both_databases:
            bind_tables(database.url)
            skus = [row["sku"] for row in await Product.raw("SELECT sku FROM product ORDER BY id")]
            queries = [
                "m12 pnp 4mm",
                "M12 PNP 0.4cm",
                "24v relay",
                "24 V",
                "4mm",
                "-25°c",
                "10 A",
                "1.5 kw motor",
                "2 m cable",
                *(re.sub(r"[\s\-]", "", sku) for sku in skus[:8]),
                *(sku[:6] for sku in skus[:8]),
            ]
            answers = {}
            for text in queries:
                for sort in catalog.SORTS:
                    for in_stock in (False, True):
                        results = await catalog.search_products(
                            text, per_page=50, sort=sort, in_stock=in_stock
                        )
                        answers[(text, sort, in_stock)] = [card.id for card in results.items]
            per_database.append(answers)
        sqlite, postgres = per_database
        assert sqlite == postgres
        assert sum(1 for ids in sqlite.values() if ids) > len(sqlite) // 2
    finally:
        rebind(kept)
