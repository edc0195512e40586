"""Spec facets and filters: the rules, then pages through the test client (both databases).

The expected products are worked out here from `product.specs` as written (units.py reads
them), not from product_spec_value: the same answer on SQLite and PostgreSQL, from the same
deterministic catalog.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.services import catalog, facets, units
from okmarts.tables.catalog import Product
from tests.unit.conftest import QueryCounter
from tests.unit.test_query_counts import page_queries

Client = AsyncTestClient[Litestar]
pytestmark = pytest.mark.usefixtures("app")
CATEGORY = "proximity-sensors"
SPECS = [
    facets.FacetSpec("Housing", "enumeration", ""),
    facets.FacetSpec("Sensing distance", "quantity", "mm"),
    facets.FacetSpec("Supply voltage", "range", "V"),
    facets.FacetSpec("Digital inputs", "quantity", ""),
]


# --- Rules, no database ------------------------------------------------------------------------


def test_slugs_read_well_in_a_url() -> None:
    assert facets.slug_of("Sensing distance") == "sensing-distance"
    assert facets.slug_of("Output type (NO/NC)") == "output-type-no-nc"


@pytest.mark.parametrize("typed", ["4mm", "0.4 cm", "4 mm", "4", " 4  mm ", "4000 µm"])
def test_a_length_reads_in_any_unit_of_length(typed: str) -> None:
    read = facets.read_filters([("min.sensing-distance", typed)], SPECS)
    assert read.errors == {}
    assert read.filters == (facets.BoundsFilter("Sensing distance", 0.004, None),)


def test_filters_of_each_kind_and_messages_for_what_cannot_be_read() -> None:
    read = facets.read_filters(
        [
            ("spec.housing", "M12"),
            ("spec.housing", "M8"),
            ("spec.housing", "M12"),
            ("covers.supply-voltage", "24 V"),
            ("max.digital-inputs", "16"),
            ("min.sensing-distance", ""),  # an empty box is no filter
            ("sort", "price_asc"),  # not a spec parameter
        ],
        SPECS,
    )
    assert read.errors == {}
    assert set(read.filters) == {
        facets.ChoiceFilter("Housing", ("M12", "M8")),
        facets.CoversFilter("Supply voltage", 24.0),
        facets.BoundsFilter("Digital inputs", None, 16.0),
    }
    bad = facets.read_filters(
        [
            ("min.sensing-distance", "4 V"),  # a voltage for a length
            ("covers.supply-voltage", "lots"),
            ("max.digital-inputs", "4 mm"),
            ("spec.colour", "red"),  # no such spec here
            ("covers.housing", "M12"),  # a word spec has no "covers"
        ],
        SPECS,
    )
    assert bad.filters == ()
    assert set(bad.errors) == {
        "min.sensing-distance",
        "covers.supply-voltage",
        "max.digital-inputs",
        "spec",
    }
    upside_down = facets.read_filters(
        [("min.sensing-distance", "8 mm"), ("max.sensing-distance", "4 mm")], SPECS
    )
    assert upside_down.filters == (facets.BoundsFilter("Sensing distance", 0.008, None),)
    assert "max.sensing-distance" in upside_down.errors


def test_a_top_category_offers_the_specs_its_subcategories_share() -> None:
    d = facets.spec_rules.Definition
    shared = facets.shared_specs(
        {
            1: {"Supply voltage": d("Supply voltage", "range", "V"), "A": d("A", "enumeration")},
            2: {
                "Supply voltage": d("Supply voltage", "range", "mV"),
                "A": d("A", "quantity", "mm"),
            },
            3: {},  # no definitions: not counted
        }
    )
    assert [spec.key for spec in shared] == ["Supply voltage"]


# --- The catalog, on each database -------------------------------------------------------------


def _specs(row: dict[str, Any]) -> dict[str, str]:
    specs = row["specs"]
    specs = json.loads(specs) if isinstance(specs, str) else specs
    return {key: value for key, value in specs}


async def _leaf() -> tuple[catalog.CategoryTree, catalog.CategoryNode, list[dict[str, Any]]]:
    tree = await catalog.load_category_tree(use_cache=False)
    node = tree.by_slug(CATEGORY)
    assert node is not None
    products = await Product.select(Product.id, Product.specs).where(Product.category == node.id)
    return tree, node, [{"id": row["id"], "specs": _specs(row)} for row in products]


async def _all_ids(query: catalog.ListingQuery, tree: catalog.CategoryTree) -> set[int]:
    page = await catalog.list_products(replace(query, per_page=catalog.MAX_PAGE_SIZE), tree)
    assert page.total <= catalog.MAX_PAGE_SIZE, "the test catalog's categories fit one page"
    assert len(page.items) == page.total
    return {card.id for card in page.items}


async def test_every_count_is_the_total_its_value_gives() -> None:
    tree, node, _ = await _leaf()
    specs = await facets.facet_specs([node.id])
    kinds = {spec.kind for spec in specs.specs}
    assert {"enumeration", "quantity", "range"} <= kinds
    base = catalog.ListingQuery(category_id=node.id)
    for start in (base, replace(base, in_stock=True)):
        shown = await catalog.listing_facets(start, tree, specs)
        choices = [facet for facet in shown if facet.choices]
        assert choices, "the sensor category splits by enumerations"
        for facet in choices:
            for choice in facet.choices:
                one = facets.ChoiceFilter(facet.spec.key, (choice.value,))
                picked = replace(start, specs=(one,))
                page = await catalog.list_products(picked, tree)
                assert page.total == choice.count, (facet.spec.key, choice.value)
                assert len(await _all_ids(picked, tree)) == choice.count
    # With a filter on one spec, another spec's counts are the totals once ticked as well; the
    # filtered spec's own values count as if it were not filtered (ticking one adds to it).
    shown = await catalog.listing_facets(base, tree, specs)
    first, second = [facet for facet in shown if facet.choices][:2]
    one = facets.ChoiceFilter(first.spec.key, (first.choices[0].value,))
    filtered = replace(base, specs=(one,))
    again = {f.spec.key: f for f in await catalog.listing_facets(filtered, tree, specs)}
    assert [c.count for c in again[first.spec.key].choices] == [c.count for c in first.choices]
    # (A spec left with one value among the results no longer splits them: not offered.)
    for choice in again[second.spec.key].choices if second.spec.key in again else []:
        both = replace(base, specs=(one, facets.ChoiceFilter(second.spec.key, (choice.value,))))
        assert (await catalog.list_products(both, tree)).total == choice.count


async def test_quantity_and_covers_filters_match_the_specs_as_written() -> None:
    tree, node, products = await _leaf()
    low = units.parse_input("4 mm", "mm")
    assert low is not None
    expected = set()
    for product in products:
        measure = units.parse_measure(product["specs"].get("Sensing distance", ""))
        if measure and measure.low >= low.low:
            expected.add(product["id"])
    query = catalog.ListingQuery(
        category_id=node.id, specs=(facets.BoundsFilter("Sensing distance", low.low),)
    )
    assert expected and await _all_ids(query, tree) == expected
    for key, typed, unit in [
        ("Supply voltage", "24 V", "V"),
        ("Supply voltage", "5 V", "V"),
        ("Operating temperature", "-30 °C", "°C"),
        ("Operating temperature", "80°C", "°C"),
    ]:
        value = units.parse_input(typed, unit)
        assert value is not None
        covering = set()
        for product in products:
            measure = units.parse_measure(product["specs"].get(key, ""))
            if measure and measure.low <= value.low <= measure.high:
                covering.add(product["id"])
        if typed == "24 V":
            assert covering, "24 V sensors in the test catalog"
        query = catalog.ListingQuery(
            category_id=node.id, specs=(facets.CoversFilter(key, value.low),)
        )
        assert await _all_ids(query, tree) == covering, typed


def _count(html: str) -> int:
    match = re.search(r'id="results-count"[^>]*>([^<]*)', html)
    assert match, "the page shows its count"
    return int(re.sub(r"\D", "", match.group(1)))


def _cards(html: str) -> list[str]:
    return re.findall(r'href="/products/([a-z0-9-]+)"', html)


async def test_the_url_holds_the_filters_whatever_unit_is_typed(client: Client) -> None:
    path = f"/categories/{CATEGORY}"
    everything = await client.get(path)
    assert everything.status_code == 200
    assert 'name="min.sensing-distance"' in everything.text
    assert 'name="covers.supply-voltage"' in everything.text
    seen = []
    for typed in ("4mm", "0.4 cm", "4 mm", "4"):
        response = await client.get(path, params={"min.sensing-distance": typed})
        assert response.status_code == 200
        seen.append((_count(response.text), _cards(response.text)))
        assert f'value="{typed}"' in response.text  # the box keeps what was typed
    assert all(found == seen[0] for found in seen)
    assert 0 < seen[0][0] < _count(everything.text)
    # htmx asks for the results block: the facets come with it, counted for the new results.
    fragment = await client.get(
        path,
        params={"min.sensing-distance": "4mm", "covers.supply-voltage": "24 V"},
        headers={"HX-Request": "true", "HX-Target": "listing-results"},
    )
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="listing-results"')
    assert 'name="spec.output-type"' in fragment.text


async def test_a_ticked_value_lists_as_many_as_its_count_said(client: Client) -> None:
    path = f"/categories/{CATEGORY}"
    page = await client.get(path)
    match = re.search(
        r'name="spec\.output-type" value="([^"]+)"> <span translate="no">[^<]*</span> '
        r'<span class="count">\((\d+)\)',
        page.text,
    )
    assert match
    value, count = match.group(1), int(match.group(2))
    picked = await client.get(path, params={"spec.output-type": value})
    assert picked.status_code == 200
    assert _count(picked.text) == count
    assert f'value="{value}" checked' in picked.text


@pytest.mark.parametrize(
    "params",
    [
        {"min.sensing-distance": "4 V"},
        {"min.sensing-distance": "lots"},
        {"covers.supply-voltage": "\x00"},
        {"spec.no-such-spec": "x"},
        {"min.sensing-distance": "9" * 500},
        {"max.sensing-distance": "-1e999"},
        {"spec.output-type": "not a value"},
    ],
)
async def test_bad_input_says_so_beside_the_box_never_a_500(
    client: Client, params: dict[str, str]
) -> None:
    response = await client.get(f"/categories/{CATEGORY}", params=params)
    assert response.status_code in (200, 400)
    assert 'id="results-count"' in response.text
    if response.status_code == 400:
        assert 'class="field-error"' in response.text
    wrong_place = await client.get("/products", params=params)
    assert wrong_place.status_code in (200, 400)


async def test_a_filtered_listing_costs_a_few_queries(
    client: Client,
    queries: QueryCounter,
) -> None:
    path = (
        f"/categories/{CATEGORY}?spec.output-type=PNP+NO&spec.housing=M12"
        "&min.sensing-distance=2mm&covers.supply-voltage=24V&in_stock=1"
    )
    # definitions (with the values' stamp) + page of products + card images + count by brand +
    # products the other filters allow (+ the values themselves, when their stamp changed)
    assert await page_queries(client, queries, path) <= 5, queries.statements


# --- Search ------------------------------------------------------------------------------------


async def test_search_offers_its_categories_and_the_specs_of_the_first(client: Client) -> None:
    found = await client.get("/search", params={"q": "sensor"})
    assert found.status_code == 200
    categories = re.findall(
        r'name="category" value="([a-z0-9-]+)"> [^<]+<span class="count">\((\d+)\)', found.text
    )
    assert len(categories) > 1
    assert 'name="facets_of" value="' in found.text
    for slug, count in categories[:3]:
        picked = await client.get("/search", params={"q": "sensor", "category": slug})
        assert picked.status_code == 200
        assert _count(picked.text) == int(count)
    # A spec value's count is the number of results once it is ticked.
    offered = re.search(r'name="facets_of" value="([a-z0-9-]+)"', found.text)
    value = re.search(
        r'name="spec\.([a-z0-9-]+)" value="([^"]+)"> <span translate="no">[^<]*</span> '
        r'<span class="count">\((\d+)\)',
        found.text,
    )
    assert offered and value
    params = {
        "q": "sensor",
        "facets_of": offered.group(1),
        f"spec.{value.group(1)}": value.group(2),
    }
    ticked = await client.get("/search", params=params)
    assert ticked.status_code == 200
    assert _count(ticked.text) == int(value.group(3))
    assert f'value="{value.group(2)}" checked' in ticked.text


async def test_search_filters_never_fail(client: Client) -> None:
    for params in (
        {"q": "sensor", "category": "no-such-category"},
        {"q": "sensor", "facets_of": "sensors", "min.sensing-distance": "4 V"},
        {"q": "zzzqqqxx", "spec.output-type": "PNP NO"},
        {"q": "", "category": "sensors"},
    ):
        response = await client.get("/search", params=params)
        assert response.status_code in (200, 400), params


def test_a_set_of_products_is_bits_that_intersect_unite_and_count() -> None:
    from okmarts.services.facet_counts import Products

    sensors = Products.parse("3,8,200000,8")
    in_stock = Products.of([8, 9, 200000])
    assert len(sensors) == 3 and 8 in sensors and 9 not in sensors and -1 not in sensors
    assert len(sensors & in_stock) == 2 and (sensors & in_stock) == Products.of([8, 200000])
    assert len(sensors | in_stock) == 4
    assert len(Products.parse("")) == 0 == len(Products.parse(None) & sensors)
    # 200,000 products in 25 KB, however many are in the set
    assert (sensors.bits.bit_length() + 7) // 8 <= 25_001
