"""Typed specs in the admin: products' specs checked against their category's definitions (a
wrong unit refused, the database unchanged), typed values and search text kept on every edit;
spec definitions listed for admins, checked, and their category's values rebuilt."""

from __future__ import annotations

import json
import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.tables.catalog import Product, ProductSpecValue, SpecDefinition
from tests.unit.test_admin import csrf
from tests.unit.test_admin_orders import staff, unique

Client = AsyncTestClient[Litestar]
PRODUCTS = "/admin/api/tables/product/"
DEFINITIONS = "/admin/api/tables/spec_definition/"


async def sensor() -> dict[str, Any]:
    """A product with a sensing distance in mm."""
    rows = await Product.select(
        Product.id, Product.title, Product.category, Product.specs, Product.search_text
    ).order_by(Product.id)
    for row in reversed(rows):
        specs = json.loads(row["specs"]) if isinstance(row["specs"], str) else row["specs"]
        if re.fullmatch(r"\d+ mm", dict(specs).get("Sensing distance", "")):
            return {**row, "specs": specs}
    raise AssertionError("the test catalog needs a proximity sensor")


async def typed(product_id: int) -> dict[str, tuple[Any, Any, str]]:
    rows = await ProductSpecValue.select().where(ProductSpecValue.product == product_id)
    return {row["key"]: (row["low"], row["high"], row["base_unit"]) for row in rows}


def with_spec(specs: list[list[str]], key: str, value: str) -> list[list[str]]:
    changed = [[k, value if k == key else v] for k, v in specs]
    return changed if any(k == key for k, _ in specs) else [*changed, [key, value]]


async def test_a_wrong_unit_in_a_products_specs_is_refused_and_nothing_changes(
    client: Client,
) -> None:
    await staff(client, superuser=True)
    product = await sensor()
    before = await typed(product["id"])
    refused = await client.patch(
        f"{PRODUCTS}{product['id']}/",
        json={"specs": json.dumps(with_spec(product["specs"], "Sensing distance", "4 V"))},
        headers=csrf(client),
    )
    assert refused.status_code == 422, refused.text
    message = refused.json()["detail"][0]["msg"]
    assert 'Sensing distance: "4 V" is not in mm' in message
    assert refused.json()["detail"][0]["loc"] == ["body", "specs"]
    stored = await Product.select(Product.specs).where(Product.id == product["id"]).first()
    assert stored and json.loads(stored["specs"]) == product["specs"]
    assert await typed(product["id"]) == before
    # Not JSON pairs: refused too.
    shapeless = await client.patch(
        f"{PRODUCTS}{product['id']}/", json={"specs": '{"a": 1}'}, headers=csrf(client)
    )
    assert shapeless.status_code == 422 and "[name, value] pairs" in shapeless.text
    # PUT would skip the checks: refused.
    put = await client.put(f"{PRODUCTS}{product['id']}/", json={}, headers=csrf(client))
    assert put.status_code == 405


async def test_a_valid_edit_rebuilds_typed_values_definitions_and_search_text(
    client: Client,
) -> None:
    await staff(client, superuser=True)
    product = await sensor()
    specs = with_spec(product["specs"], "Sensing distance", "0.6 cm")
    specs = with_spec(specs, "Cable length", "3 m")
    saved = await client.patch(
        f"{PRODUCTS}{product['id']}/", json={"specs": json.dumps(specs)}, headers=csrf(client)
    )
    assert saved.status_code == 200, saved.text
    values = await typed(product["id"])
    assert values["Sensing distance"] == (0.006, 0.006, "meter")
    # A new spec gets a definition inferred from its values, and a typed value.
    definition = (
        await SpecDefinition.select(SpecDefinition.kind, SpecDefinition.unit)
        .where(
            (SpecDefinition.category == product["category"])
            & (SpecDefinition.key == "Cable length")
        )
        .first()
    )
    assert definition == {"kind": "quantity", "unit": "m"}
    assert values["Cable length"] == (3.0, 3.0, "meter")
    stored = await Product.select(Product.search_text).where(Product.id == product["id"]).first()
    assert stored and "Sensing distance 0.6 cm" in stored["search_text"]
    assert "Cable length 3 m" in stored["search_text"]
    # A title change alone keeps the search text (brand, category, specs) as it was.
    retitled = await client.patch(
        f"{PRODUCTS}{product['id']}/", json={"title": "Sensor renamed"}, headers=csrf(client)
    )
    assert retitled.status_code == 200, retitled.text
    again = await Product.select(Product.search_text).where(Product.id == product["id"]).first()
    assert again == stored
    # Back as it was, for the other tests of this catalog.
    restored = await client.patch(
        f"{PRODUCTS}{product['id']}/",
        json={"title": product["title"], "specs": json.dumps(product["specs"])},
        headers=csrf(client),
    )
    assert restored.status_code == 200, restored.text
    back = await Product.select(Product.search_text).where(Product.id == product["id"]).first()
    assert back == {"search_text": product["search_text"]}


async def test_a_new_product_is_checked_and_indexed(client: Client) -> None:
    await staff(client, superuser=True)
    product = await sensor()
    defaults = (await client.get(f"{PRODUCTS}new/")).json()
    defaults.pop("id", None)
    slug = unique("admin-sensor")
    row = {
        **defaults,
        "sku": slug.upper(),
        "slug": slug,
        "title": "Admin sensor",
        "brand": (await Product.select(Product.brand).first() or {})["brand"],
        "category": product["category"],
        "price_minor": 1000,
        "created_at": "2026-12-03T12:00:00+00:00",
    }
    wrong = await client.post(
        PRODUCTS,
        json={**row, "specs": json.dumps([["Sensing distance", "4 V"]])},
        headers=csrf(client),
    )
    assert wrong.status_code == 422 and "Sensing distance" in wrong.text
    assert not await Product.exists().where(Product.slug == slug)
    added = await client.post(
        PRODUCTS,
        json={**row, "specs": json.dumps([["Sensing distance", "4 mm"]])},
        headers=csrf(client),
    )
    assert added.status_code == 201, added.text
    new = await Product.select(Product.id, Product.search_text).where(Product.slug == slug).first()
    assert new and "Sensing distance 4 mm" in new["search_text"]
    assert (await typed(new["id"]))["Sensing distance"] == (0.004, 0.004, "meter")


async def test_spec_definitions_are_checked_and_their_category_reindexed(client: Client) -> None:
    await staff(client, superuser=True)
    assert "spec_definition" in (await client.get("/admin/api/tables/")).json()
    product = await sensor()
    definition = (
        await SpecDefinition.select()
        .where(
            (SpecDefinition.category == product["category"])
            & (SpecDefinition.key == "Sensing distance")
        )
        .first()
    )
    assert definition and definition["unit"] == "mm"
    url = f"{DEFINITIONS}{definition['id']}/"
    unknown = await client.patch(url, json={"unit": "furlong"}, headers=csrf(client))
    assert unknown.status_code == 422
    assert '"furlong" is not a unit the shop reads' in unknown.json()["detail"][0]["msg"]
    # A unit of another kind: the category's products would no longer fit.
    volts = await client.patch(url, json={"unit": "V"}, headers=csrf(client))
    assert volts.status_code == 422 and "would not fit" in volts.text
    words = await client.patch(url, json={"kind": "enumeration"}, headers=csrf(client))
    assert words.status_code == 422 and "Only a quantity or a range has a unit" in words.text
    kind = await client.patch(url, json={"kind": "colour"}, headers=csrf(client))
    assert kind.status_code == 422
    stored = await SpecDefinition.select().where(SpecDefinition.id == definition["id"]).first()
    assert stored == definition
    # The same length in centimetres: accepted, the values stay the same numbers.
    before = await typed(product["id"])
    changes = await ProductSpecValue.raw("SELECT count(*) AS n FROM catalog_change")
    cm = await client.patch(url, json={"unit": "cm"}, headers=csrf(client))
    assert cm.status_code == 200, cm.text
    assert await typed(product["id"]) == before
    # ...and the cached pages learn of it (a catalog change for everything).
    logged = await ProductSpecValue.raw(
        "SELECT count(*) AS n FROM catalog_change WHERE product IS NULL"
    )
    assert logged[0]["n"] >= 1 and changes is not None
    # As text, the values are words: no numbers left for that spec.
    text = await client.patch(url, json={"kind": "text", "unit": ""}, headers=csrf(client))
    assert text.status_code == 200, text.text
    assert (await typed(product["id"]))["Sensing distance"] == (None, None, "")
    back = await client.patch(url, json={"kind": "quantity", "unit": "mm"}, headers=csrf(client))
    assert back.status_code == 200, back.text
    assert await typed(product["id"]) == before


async def test_moderators_see_no_spec_definitions(client: Client) -> None:
    await staff(client, superuser=False)
    assert "spec_definition" not in (await client.get("/admin/api/tables/")).json()
    assert (await client.get(DEFINITIONS)).status_code == 404
