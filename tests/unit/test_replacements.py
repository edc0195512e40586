"""Replacements for a discontinued or out-of-stock part: graded by the category's critical specs
(services.replacements), on the product page, refused by the cart and the checkout. On SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import html
import json
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.services import cart, checkout, orders, replacements, specs
from okmarts.services.replacements import Critical, Value
from okmarts.tables.catalog import Brand, Category, Product, SpecDefinition
from okmarts.tables.checkout import Order
from tests.states.accounts import errors_in, post_form, verified_account
from tests.states.orders import buyer_with_cart, checkout_fields, checkout_key
from tests.unit.conftest import QueryCounter

Client = AsyncTestClient[Litestar]

# The original: an M12 sensor, flush, 4 mm, 10–30 V, 2 ms (colour is not critical).
ORIGINAL = {
    "Housing": "M12",
    "Sensing distance": "4 mm",
    "Supply voltage": "10–30 V DC",
    "Mounting": "flush",
    "Response time": "2 ms",
    "Colour": "red",
}
DEFINITIONS = [
    ("Housing", "enumeration", "", True, ""),
    ("Sensing distance", "quantity", "mm", True, "higher"),
    ("Supply voltage", "range", "V", True, ""),
    # Not marked critical: mounting counts as critical all the same.
    ("Mounting", "enumeration", "", False, ""),
    ("Response time", "quantity", "ms", True, "lower"),
    ("Colour", "enumeration", "", False, ""),
]


def spec(
    key: str, kind: str, better: str, low: float, high: float, unit: str, text: str
) -> Critical:
    return Critical(key, kind, better, Value(low, high, unit, text))


def value(low: float, high: float, unit: str, text: str) -> Value:
    return Value(low, high, unit, text)


# -- The rules, on typed values ------------------------------------------------------------------


def test_quantities_compare_by_their_better_direction_within_a_tolerance() -> None:
    distance = spec("Sensing distance", "quantity", "higher", 0.004, 0.004, "meter", "4 mm")
    assert replacements.matches(distance, value(0.008, 0.008, "meter", "8 mm"))
    assert replacements.matches(distance, value(0.004 * (1 + 1e-9), 0.004, "meter", "4 mm"))
    assert not replacements.matches(distance, value(0.0025, 0.0025, "meter", "2.5 mm"))
    assert not replacements.matches(distance, value(0.008, 0.008, "second", "8 s"))
    response = spec("Response time", "quantity", "lower", 0.002, 0.002, "second", "2 ms")
    assert replacements.matches(response, value(0.001, 0.001, "second", "1 ms"))
    assert not replacements.matches(response, value(0.003, 0.003, "second", "3 ms"))
    exact = spec("Piston diameter", "quantity", "", 0.032, 0.032, "meter", "32 mm")
    assert replacements.matches(exact, value(0.032, 0.032, "meter", "3.2 cm"))
    assert not replacements.matches(exact, value(0.04, 0.04, "meter", "40 mm"))
    assert not replacements.matches(exact, None)


def test_a_range_must_cover_the_originals() -> None:
    supply = spec("Supply voltage", "range", "", 10, 30, "volt", "10–30 V DC")
    assert replacements.matches(supply, value(10, 30, "volt", "10–30 V"))
    assert replacements.matches(supply, value(9, 36, "volt", "9–36 V"))
    assert not replacements.matches(supply, value(12, 30, "volt", "12–30 V"))
    assert not replacements.matches(supply, value(10, 24, "volt", "10–24 V"))


def test_words_compare_without_case_or_spacing() -> None:
    housing = spec("Housing", "enumeration", "", None, None, "", "PNP  NO")  # type: ignore[arg-type]
    assert replacements.matches(housing, value(None, None, "", "pnp no"))  # type: ignore[arg-type]
    assert not replacements.matches(housing, value(None, None, "", "NPN NO"))  # type: ignore[arg-type]


def test_grades_name_the_specs_that_differ() -> None:
    criticals = [
        spec("Housing", "enumeration", "", None, None, "", "M12"),  # type: ignore[arg-type]
        spec("Sensing distance", "quantity", "higher", 0.004, 0.004, "meter", "4 mm"),
        spec("Mounting", "enumeration", "", None, None, "", "flush"),  # type: ignore[arg-type]
        spec("Supply voltage", "range", "", 10, 30, "volt", "10–30 V DC"),
    ]
    m12, flush = value(None, None, "", "M12"), value(None, None, "", "flush")  # type: ignore[arg-type]
    wide = value(10, 36, "volt", "10–36 V DC")
    far = value(0.008, 0.008, "meter", "8 mm")
    near = value(0.0025, 0.0025, "meter", "2.5 mm")
    both = {"Housing": m12, "Mounting": flush, "Supply voltage": wide}
    assert replacements.grade(criticals, {**both, "Sensing distance": far})[0] == "drop-in"
    grade, differences, matched, _ = replacements.grade(
        criticals, {**both, "Sensing distance": near}
    )
    assert grade == "same-function" and matched == 3
    assert differences == [replacements.Difference("Sensing distance", "2.5 mm", "4 mm")]
    non_flush = value(None, None, "", "non-flush")  # type: ignore[arg-type]
    grade, differences, _, _ = replacements.grade(
        criticals, {**both, "Sensing distance": far, "Mounting": non_flush}
    )
    assert grade == "same-function", "a mounting mismatch is never drop-in"
    assert [d.key for d in differences] == ["Mounting"]
    m18 = value(None, None, "", "M18")  # type: ignore[arg-type]
    narrow = value(12, 24, "volt", "12–24 V DC")
    grade, differences, matched, _ = replacements.grade(
        criticals, {"Housing": m18, "Mounting": flush, "Supply voltage": narrow}
    )
    assert grade == "similar" and matched == 1 and len(differences) == 3
    assert replacements.grade(criticals, {"Housing": m18})[0] is None


# -- In the database -----------------------------------------------------------------------------


async def new_category(definitions: list[tuple[str, str, str, bool, str]] = DEFINITIONS) -> int:
    parent = await Category.select(Category.id).where(Category.parent.is_null()).first()
    slug = f"test-okrepl-{uuid.uuid4().hex[:8]}"
    category = Category(name=f"Test okrepl {slug[-4:]}", slug=slug, parent=parent["id"])
    await category.save()
    await SpecDefinition.insert(
        *(
            SpecDefinition(
                category=category.id,
                key=key,
                kind=kind,
                unit=unit,
                critical=critical,
                better=better,
                position=position,
            )
            for position, (key, kind, unit, critical, better) in enumerate(definitions)
        )
    )
    return category.id


async def new_part(
    category_id: int,
    name: str,
    price_minor: int = 5_000,
    stock: int = 20,
    status: str = "active",
    **changes: str,
) -> dict[str, Any]:
    brand = await Brand.select(Brand.id).first()
    slug = f"test-okrepl-{name}-{uuid.uuid4().hex[:8]}"
    specs_of = {**ORIGINAL, **changes}
    product = Product(
        sku=slug.upper()[:60],
        slug=slug,
        title=f"Okrepl part {name} {slug[-4:]}",
        brand=brand["id"],
        category=category_id,
        price_minor=price_minor,
        stock=stock,
        status=status,
        specs=json.dumps([[key, text] for key, text in specs_of.items()]),
        created_at=dt.datetime.now(dt.UTC),
    )
    await product.save()
    await specs.index_products([product.id])
    return {"id": product.id, "slug": slug, "title": product.title, "price": price_minor}


async def sensor_family() -> dict[str, dict[str, Any]]:
    category = await new_category()
    parts = {
        "original": await new_part(category, "original", stock=0, status="discontinued"),
        # Every critical spec better: more distance, wider supply, faster; colour differs.
        "better": await new_part(
            category,
            "better",
            2_000,
            **{
                "Sensing distance": "8 mm",
                "Supply voltage": "10–36 V DC",
                "Response time": "1 ms",
                "Colour": "blue",
            },
        ),
        # The same, written in other units, and cheaper: first.
        "same": await new_part(category, "same", 1_500, **{"Sensing distance": "0.4 cm"}),
        "shorter": await new_part(category, "shorter", 1_000, **{"Sensing distance": "2.5 mm"}),
        "non-flush": await new_part(
            category, "non-flush", 1_200, **{"Mounting": "non-flush", "Sensing distance": "8 mm"}
        ),
        "narrow": await new_part(category, "narrow", 1_300, **{"Supply voltage": "12–24 V DC"}),
        "m18": await new_part(
            category,
            "m18",
            900,
            **{
                "Housing": "M18",
                "Sensing distance": "2 mm",
                "Supply voltage": "12–24 V DC",
                "Response time": "5 ms",
            },
        ),
        "sold-out": await new_part(category, "sold-out", 100, stock=0),
        "discontinued": await new_part(category, "gone", 100, status="discontinued"),
    }
    parts["category"] = {"id": category}
    return parts


async def find(parts: dict[str, dict[str, Any]], name: str = "original") -> Any:
    part = parts[name]
    return await replacements.find(part["id"], parts["category"]["id"], part["price"])


def ids(items: list[replacements.Replacement]) -> list[int]:
    return [item.card.id for item in items]


async def test_parts_are_graded_drop_in_same_function_and_similar(app: Litestar) -> None:
    parts = await sensor_family()
    found = await find(parts)
    assert ids(found.drop_in) == [parts["same"]["id"], parts["better"]["id"]], "cheapest first"
    assert set(ids(found.same_function)) == {
        parts["shorter"]["id"],
        parts["non-flush"]["id"],
        parts["narrow"]["id"],
    }
    named = {item.card.id: item.differences for item in found.same_function}
    assert named[parts["shorter"]["id"]] == [
        replacements.Difference("Sensing distance", "2.5 mm", "4 mm")
    ]
    assert [d.key for d in named[parts["non-flush"]["id"]]] == ["Mounting"]
    assert [d.key for d in named[parts["narrow"]["id"]]] == ["Supply voltage"]
    assert ids(found.similar) == [parts["m18"]["id"]]
    shown = set(ids(found.drop_in + found.same_function + found.similar))
    assert not shown & {
        parts["sold-out"]["id"],
        parts["discontinued"]["id"],
        parts["original"]["id"],
    }


async def test_at_most_a_few_of_each_grade(app: Litestar) -> None:
    parts = await sensor_family()
    for number in range(6):
        await new_part(parts["category"]["id"], f"twin{number}", 3_000 + number)
    found = await find(parts)
    assert len(found.drop_in) == replacements.PER_GRADE
    assert ids(found.drop_in)[:2] == [parts["same"]["id"], parts["better"]["id"]]


async def test_a_category_without_critical_specs_offers_similar_parts_by_price(
    app: Litestar,
) -> None:
    category = await new_category(
        [
            (key, kind, unit, False, "")
            for key, kind, unit, _, _ in [
                ("Housing", "enumeration", "", False, ""),
                ("Colour", "enumeration", "", False, ""),
            ]
        ]
    )
    original = await new_part(category, "original", 5_000, stock=0)
    near = await new_part(category, "near", 5_100, Housing="M30")
    far = await new_part(category, "far", 90_000)
    found = await replacements.find(original["id"], category, original["price"])
    assert not found.drop_in and not found.same_function
    assert ids(found.similar) == [near["id"], far["id"]]


async def test_finding_costs_four_queries_whatever_the_category_holds(
    app: Litestar, queries: QueryCounter
) -> None:
    parts = await sensor_family()
    queries.statements.clear()
    await find(parts)
    few = len(queries.statements)
    for number in range(25):
        await new_part(parts["category"]["id"], f"more{number}", 4_000 + number)
    queries.statements.clear()
    first = await find(parts)
    # the catalog's stamp + the four queries (new parts moved the stamp)
    assert few == len(queries.statements) == 1 + 4, queries.statements
    # Asked again while the catalog holds still: the stamp alone, and the same answer.
    queries.statements.clear()
    assert await find(parts) == first
    assert len(queries.statements) == 1, queries.statements


async def test_kept_replacements_follow_a_candidates_change_at_once(app: Litestar) -> None:
    parts = await sensor_family()
    before = await find(parts)
    shown = [item.card.id for _, items in before.grades for item in items]
    assert shown, "the family has candidates"
    first = shown[0]
    await Product.update({Product.price_minor: 123_457}).where(Product.id == first)
    after = await find(parts)
    prices = {item.card.id: item.card.price_minor for _, items in after.grades for item in items}
    assert prices.get(first, 123_457) == 123_457
    await Product.update({Product.stock: 0}).where(Product.id == first)
    gone = await find(parts)
    assert first not in [item.card.id for _, items in gone.grades for item in items]


# -- On the page, in the cart, at the checkout ---------------------------------------------------


async def test_a_discontinued_part_says_so_and_lists_its_replacements(client: Client) -> None:
    parts = await sensor_family()
    page = await client.get(f"/products/{parts['original']['slug']}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "This part is discontinued." in text
    assert "Drop-in replacements" in text and parts["same"]["title"] in text
    assert "Sensing distance: 2.5 mm here, 4 mm on the original" in text
    assert f'name="product_id" value="{parts["original"]["id"]}"' not in text, "no add-to-cart"
    assert f'name="product_id" value="{parts["same"]["id"]}"' in text
    listing = await client.get(f"/categories/{await category_slug(parts)}")
    assert "Discontinued" in listing.text and parts["original"]["title"] in listing.text


async def test_an_out_of_stock_part_lists_in_stock_alternatives(client: Client) -> None:
    parts = await sensor_family()
    page = await client.get(f"/products/{parts['sold-out']['slug']}")
    assert page.status_code == 200
    assert "In stock alternatives" in page.text and "This part is discontinued" not in page.text
    # A part in stock lists none (and costs no query for them).
    page = await client.get(f"/products/{parts['same']['slug']}")
    assert "In stock alternatives" not in page.text and "Drop-in replacements" not in page.text


async def category_slug(parts: dict[str, dict[str, Any]]) -> str:
    row = await Category.select(Category.slug).where(Category.id == parts["category"]["id"]).first()
    return str(row["slug"])


async def test_a_discontinued_part_cannot_be_added_to_the_cart(client: Client) -> None:
    parts = await sensor_family()
    with pytest.raises(cart.CartError) as refused:
        await cart.change([], parts["discontinued"]["id"], 1, add=True)
    assert refused.value.message.msgid == cart.DISCONTINUED
    response = await post_form(
        client, "/cart/lines", {"product_id": str(parts["discontinued"]["id"]), "quantity": "1"}
    )
    assert response.status_code == 422
    assert cart.DISCONTINUED in html.unescape(response.text)
    response = await post_form(
        client,
        "/cart/lines",
        {"product_id": str(parts["discontinued"]["id"]), "quantity": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422 and cart.DISCONTINUED in html.unescape(response.text)


async def test_a_part_discontinued_while_in_the_cart_is_refused_at_checkout(client: Client) -> None:
    account = await verified_account(client)
    parts = await sensor_family()
    await post_form(
        client, "/cart/lines", {"product_id": str(parts["same"]["id"]), "quantity": "1"}
    )
    key = await checkout_key(client)
    await Product.update({Product.status: "discontinued"}).where(Product.id == parts["same"]["id"])
    cart_page = await client.get("/cart")
    assert cart.DISCONTINUED_LINE in html.unescape(cart_page.text)
    response = await post_form(client, "/checkout", checkout_fields(key))
    assert response.status_code == 422
    assert any("discontinued" in message for message in errors_in(response.text))
    assert not await Order.exists().where(Order.account == account.id)


async def test_the_demo_discontinues_a_few_parts_each_with_a_drop_in(app: Litestar) -> None:
    rows = await Product.raw(
        "SELECT id, category, price_minor FROM product WHERE status = 'discontinued' "
        "AND slug NOT LIKE 'test-%' ORDER BY id"
    )
    assert 1 <= len(rows) <= 0.03 * await Product.count().where(Product.slug.not_like("test-%"))
    for row in rows:
        found = await replacements.find(row["id"], row["category"], row["price_minor"])
        assert found.drop_in, row
    critical = await SpecDefinition.count().where(SpecDefinition.critical.eq(True))
    assert critical > 0, "the demo marks critical specs"


async def test_a_status_change_is_a_catalog_change(app: Litestar) -> None:
    parts = await sensor_family()
    part = parts["same"]["id"]
    await Product.update({Product.status: "discontinued"}).where(Product.id == part)
    rows = await Product.raw("SELECT product FROM catalog_change ORDER BY id DESC LIMIT 1")
    assert rows[0]["product"] == part, "the page cache drops the pages showing it"


async def test_a_part_discontinued_during_the_checkout_is_not_sold(app: Litestar) -> None:
    parts = await sensor_family()
    part = parts["same"]["id"]
    account = await buyer_with_cart(part)
    settings = app.state.settings
    view = await cart.view(await cart.account_items(account.id))
    form = checkout.CheckoutForm.from_form(checkout_fields(uuid.uuid4().hex), [])
    priced = await checkout.price_checkout(view, form, account, settings, placing=True)
    assert not priced.errors, priced.errors
    await Product.update({Product.status: "discontinued"}).where(Product.id == part)
    with pytest.raises(orders.OrderRefused) as refused:
        await orders.place_order(
            account, priced, view, gateway=app.state.payment_gateway, settings=settings
        )
    assert "discontinued" in refused.value.message.msgid
    assert not await Order.exists().where(Order.account == account.id)
    stock = await Product.select(Product.stock).where(Product.id == part).first()
    assert stock["stock"] == 20, "nothing taken"
