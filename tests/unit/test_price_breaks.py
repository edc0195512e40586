"""Quantity price breaks: the break per line at the edges (9/10/49/50), with a coupon, an
automatic discount, points and tax in the documented order; the product page's table and its
cached copy dropped on a break change; the cart's saving; the unit price an order records; staff's
edits checked in the admin. On SQLite and PostgreSQL (the suite's backends)."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts import page_cache
from okmarts.app import create_app
from okmarts.services import cart, checkout, orders, pricing, tax
from okmarts.services.pricing import CouponTerms, DiscountTerms, PointsRules, PricedLine
from okmarts.tables.checkout import Order, OrderLine
from okmarts.tables.price_breaks import PriceBreak
from tests.conftest import TestDatabase
from tests.states.accounts import errors_in, post_form, verified_account, verified_shopper
from tests.states.catalog import new_product
from tests.states.orders import checkout_fields, checkout_key
from tests.unit.conftest import settings_for
from tests.unit.test_admin import csrf
from tests.unit.test_admin_orders import staff

Client = AsyncTestClient[Litestar]
BREAKS = [(10, 9_000), (50, 8_000), (250, 7_000)]  # 1+: 10_000
BREAKS_API = "/admin/api/tables/price_break/"


# -- Pure rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "unit"),
    [(1, 10_000), (9, 10_000), (10, 9_000), (49, 9_000), (50, 8_000), (249, 8_000), (250, 7_000)],
)
def test_the_largest_break_at_or_below_the_quantity_applies(quantity: int, unit: int) -> None:
    assert pricing.unit_price_for(10_000, BREAKS, quantity) == unit
    # The order the breaks come in doesn't matter.
    assert pricing.unit_price_for(10_000, list(reversed(BREAKS)), quantity) == unit


def test_a_break_never_costs_more_than_the_1_plus_price() -> None:
    # Staff lowered the product's price below its 10+ break: 10 cost the lower 1+ price.
    assert pricing.unit_price_for(8_500, [(10, 9_000)], 10) == 8_500
    assert pricing.break_for(8_500, [(10, 9_000)], 10) is None
    # A "break" at 1 or 0 is no break.
    assert pricing.unit_price_for(10_000, [(1, 5_000), (0, 1)], 5) == 10_000
    assert pricing.break_table(10_000, [(50, 8_000), (10, 9_000), (20, 10_500)]) == [
        (1, 10_000),
        (10, 9_000),
        (50, 8_000),
    ]


def _line(quantity: int, product_id: int = 1) -> PricedLine:
    return PricedLine(
        product_id=product_id,
        sku="BRK",
        title="Break part",
        unit_price_minor=pricing.unit_price_for(10_000, BREAKS, quantity),
        quantity=quantity,
    )


def test_breaks_then_the_better_discount_then_points_then_tax() -> None:
    lines = [_line(10)]  # 10 × 90.00 = 900.00 (not 1,000.00)
    coupon = CouponTerms(code="TEN", kind="percent", value=10)
    auto = DiscountTerms(name="Spring", percent=5)
    totals = pricing.price_order(
        lines,
        currency="USD",
        coupon=coupon,
        discounts=[auto],
        shipping_minor=1_000,
        points_requested=5_000,
        points_balance=5_000,
        rules=PointsRules(points_per_unit_off=100, points_max_share_percent=50),
        tax=tax.TaxTerms("DE", Decimal(19)),
    )
    assert totals.subtotal_minor == 90_000
    # The coupon (10 % of the break-priced subtotal) beats the automatic 5 %.
    assert (totals.discount_minor, totals.coupon_code) == (9_000, "TEN")
    # 5,000 points = 50.00 off, within half of 810.00.
    assert (totals.points_used, totals.points_value_minor) == (5_000, 5_000)
    # Tax last, on goods after discount and points, plus shipping: 19 % of 770.00 = 146.30.
    assert totals.tax_lines[0].base_minor == 90_000 - 9_000 - 5_000 + 1_000
    assert totals.tax_minor == 14_630
    assert totals.total_minor == 77_000 + 14_630
    assert totals.tax_lines_json() == [
        {
            "rate": "19",
            "country": "DE",
            "base_minor": 77_000,
            "tax_minor": 14_630,
            "reverse_charge": False,
        }
    ]


def test_the_automatic_discount_wins_when_it_saves_more_on_the_break_price() -> None:
    lines = [_line(50)]  # 50 × 80.00 = 4,000.00
    totals = pricing.price_order(
        lines,
        currency="USD",
        coupon=CouponTerms(code="FIX", kind="fixed", value=10_000),  # 100.00
        discounts=[DiscountTerms(name="Big order", percent=5, min_subtotal_minor=300_000)],
    )
    # 5 % of 4,000.00 = 200.00 beats the 100.00 coupon; no tax terms: no tax line.
    assert (totals.discount_minor, totals.discount_label, totals.coupon_code) == (
        20_000,
        "Big order",
        "",
    )
    assert (totals.tax_minor, totals.tax_lines) == (0, ())
    assert totals.total_minor == 380_000
    # 49 units: the 10+ price, below the discount's minimum (49 × 90.00 = 4,410.00 ≥ 3,000):
    below = pricing.price_order(
        [_line(49)],
        currency="USD",
        discounts=[DiscountTerms(name="Big order", percent=5, min_subtotal_minor=450_000)],
    )
    assert (below.subtotal_minor, below.discount_minor) == (441_000, 0)


# -- Through HTTP --------------------------------------------------------------------------


async def product_with_breaks(stock: int = 100) -> dict:
    product = await new_product(stock, price_minor=10_000)
    await PriceBreak.insert(
        *(PriceBreak(product=product["id"], min_quantity=q, price_minor=p) for q, p in BREAKS)
    )
    return product


async def test_the_cart_applies_the_break_per_line_and_shows_the_saving(client: Client) -> None:
    product = await product_with_breaks()
    await post_form(client, "/cart/lines", {"product_id": str(product["id"]), "quantity": "9"})
    page = (await client.get("/cart")).text
    assert "$900.00" in page and "You save" not in page  # 9 × 100.00
    await post_form(client, f"/cart/lines/{product['id']}", {"quantity": "10"})
    page = (await client.get("/cart?country=US")).text
    line = re.search(rf'id="cart-line-{product["id"]}".*?</tr>', page, re.S).group(0)
    assert "$90.00" in line and "$900.00" in line
    assert "You save $100.00 with the 10+ price" in line
    # A visitor's estimate: to the US, an export, no VAT.
    assert "No VAT: export outside the EU" in page
    page = (await client.get("/cart?country=DE")).text
    # To Germany, as a consumer: 19 % of the goods and the shipping, rounded half-up.
    assert re.search(r"VAT 19%.*estimate for Germany", page, re.S)
    shipping = _cents(re.search(r"Shipping \(.*?</dt>\s*<dd>([^<]+)<", page, re.S).group(1))
    vat = round_half_up((90_000 + shipping) * 19 / 100)
    assert re.search(r'<dd class="tax-line">([^<]+)<', page).group(1).strip() == _money(vat)
    total = re.search(r'id="order-total">([^<]+)<', page).group(1)
    assert _cents(total) == 90_000 + shipping + vat


def _cents(text: str) -> int:
    if text.strip() == "Free":
        return 0
    return int(text.strip().lstrip("$").replace(",", "").replace(".", ""))


def _money(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def round_half_up(value: float) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


async def test_an_order_records_the_break_price_paid(client: Client) -> None:
    product = await product_with_breaks()
    await verified_account(client)
    await post_form(client, "/cart/lines", {"product_id": str(product["id"]), "quantity": "50"})
    key = await checkout_key(client)
    page = await post_form(client, "/checkout", {**checkout_fields(key), "action": "update"})
    assert "You save $1,000.00 with the 50+ price" in page.text
    placed = await post_form(client, "/checkout", checkout_fields(key))  # to GB: an export
    assert placed.status_code == 303, errors_in(placed.text)
    order = await Order.objects().where(Order.checkout_key == key).first()
    line = await OrderLine.objects().where(OrderLine.order == order.id).first()
    assert (line.unit_price_minor, line.quantity, line.line_total_minor) == (8_000, 50, 400_000)
    assert order.subtotal_minor == 400_000 and order.tax_minor == 0
    # (The demo shop's automatic discount applies to the break-priced subtotal.)
    assert order.total_minor == 400_000 - order.discount_minor + order.shipping_minor


async def test_the_product_page_shows_the_table_and_drops_its_cached_copy_on_a_change(
    seeded_database: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(page_cache, "FOLLOW_SECONDS", 0)
    settings = settings_for(seeded_database)
    app = create_app(settings.__class__(**{**settings.__dict__, "page_cache_seconds": 600}))
    product = await product_with_breaks()
    path = f"/products/{product['slug']}"
    async with AsyncTestClient(app=app) as client:
        page = (await client.get(path)).text
        table = re.search(r'<table class="price-breaks.*?</table>', page, re.S).group(0)
        assert re.findall(r"(\d+)\+</th><td[^>]*>\$([\d.,]+)<", table) == [
            ("1", "100.00"),
            ("10", "90.00"),
            ("50", "80.00"),
            ("250", "70.00"),
        ]
        assert "excl. VAT" in page
        # A staff edit of a break (any way it reaches the database) drops the kept page.
        await PriceBreak.update({PriceBreak.price_minor: 8_500}).where(
            (PriceBreak.product == product["id"]) & (PriceBreak.min_quantity == 50)
        )
        assert "$85.00" in (await client.get(path)).text
        await PriceBreak.delete().where(PriceBreak.product == product["id"])
        assert 'class="price-breaks' not in (await client.get(path)).text


# -- Staff edit breaks in the admin --------------------------------------------------------


async def test_staff_edits_are_checked_with_a_message_naming_the_problem(client: Client) -> None:
    await staff(client, superuser=True)
    product = await product_with_breaks()

    async def add(quantity: int, price: int) -> tuple[int, dict]:
        response = await client.post(
            BREAKS_API,
            json={"product": product["id"], "min_quantity": quantity, "price_minor": price},
            headers=csrf(client),
        )
        return response.status_code, response.json()

    refusals = {
        (1, 5_000): ("min_quantity", "2 or more units"),
        (10, 8_900): ("min_quantity", "already has a price for 10+"),
        (20, 9_500): ("price_minor", "20+ would cost more than 10+"),
        (100, 8_200): ("price_minor", "100+ would cost more than 50+"),
        (100, 6_000): ("price_minor", "100+ would cost less than 250+"),
        (5, 10_000): ("price_minor", "below the product's own price"),
    }
    for (quantity, price), (field, text) in refusals.items():
        status, body = await add(quantity, price)
        assert status == 422, (quantity, price, body)
        assert body["detail"][0]["loc"] == ["body", field] and text in body["detail"][0]["msg"]
    assert await PriceBreak.count().where(PriceBreak.product == product["id"]) == 3
    status, _ = await add(100, 7_500)
    assert status == 201
    # An edit is checked as a whole with the stored row.
    row = (
        await PriceBreak.select(PriceBreak.id)
        .where((PriceBreak.product == product["id"]) & (PriceBreak.min_quantity == 100))
        .first()
    )
    raised = await client.patch(
        f"{BREAKS_API}{row['id']}/", json={"price_minor": 8_100}, headers=csrf(client)
    )
    assert raised.status_code == 422 and "would cost more than 50+" in raised.text
    lowered = await client.patch(
        f"{BREAKS_API}{row['id']}/", json={"price_minor": 7_200}, headers=csrf(client)
    )
    assert lowered.status_code == 200, lowered.text
    # The product's own price can't drop to a break's.
    product_patch = await client.patch(
        f"/admin/api/tables/product/{product['id']}/",
        json={"price_minor": 9_000},
        headers=csrf(client),
    )
    assert product_patch.status_code == 422 and "10+ costs 9000" in product_patch.text


async def test_quoted_unit_prices_go_through_the_same_pricing_tax_and_order(app: Litestar) -> None:
    """price_overrides (a quote's prices) replace the break price of the lines they name;
    the discount, tax and the order's unit prices follow them."""
    product = await product_with_breaks()
    other = await new_product(10, price_minor=5_000)
    account = await verified_shopper()
    view = await cart.view([cart.CartItem(product["id"], 10), cart.CartItem(other["id"], 1)])
    form = checkout.CheckoutForm(
        checkout_key=uuid.uuid4().hex,
        recipient="Ada Buyer",
        phone="+49 30 1234567",
        email=account.email,
        country="DE",
        city="Berlin",
        line="Teststrasse 1",
        zip_code="10115",
        payment_method="bank_transfer",
    )
    settings = app.state.settings
    priced = await checkout.price_checkout(
        view, form, account, settings, placing=True, price_overrides={product["id"]: 7_777}
    )
    assert not priced.errors, priced.errors
    assert [(line.product_id, line.unit_price_minor) for line in priced.lines] == [
        (product["id"], 7_777),
        (other["id"], 5_000),
    ]
    totals = priced.summary.totals
    assert totals.subtotal_minor == 77_770 + 5_000
    assert totals.tax_minor == tax.tax_of(totals.total_before_tax_minor, Decimal(19))
    # No break saving is shown on a quoted line.
    assert priced.cart is not None and priced.cart.lines[0].saving_minor == 0
    placed = await orders.place_order(
        account, priced, view, gateway=app.state.payment_gateway, settings=settings
    )
    lines = await OrderLine.select(OrderLine.product, OrderLine.unit_price_minor).where(
        OrderLine.order == placed.order.id
    )
    assert sorted((row["product"], row["unit_price_minor"]) for row in lines) == sorted(
        [(product["id"], 7_777), (other["id"], 5_000)]
    )
    assert placed.order.total_minor == totals.total_minor and placed.order.tax_minor > 0
