"""Order totals (services.pricing): pure, no database."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from okmarts.services.pricing import (
    CouponTerms,
    DiscountTerms,
    PointsRules,
    PricedLine,
    Totals,
    percent_of,
    price_order,
)

RULES = PointsRules(points_per_unit_off=100, points_max_share_percent=50)


def line(price: int, quantity: int = 1, *, weight: int = 100, **extra: object) -> PricedLine:
    return PricedLine(
        product_id=1,
        sku=f"SKU-{price}",
        title="Part",
        unit_price_minor=price,
        quantity=quantity,
        weight_grams=weight,
        **extra,  # type: ignore[arg-type]
    )


def redeeming(points: int, quantity: int = 1) -> PricedLine:
    return line(650, quantity, points_price=points, pay_with_points=True)


def assert_adds_up(totals: Totals) -> None:
    expected = (
        totals.subtotal_minor
        - totals.discount_minor
        - totals.points_value_minor
        + totals.shipping_minor
    )
    assert totals.total_minor == max(0, expected)
    assert totals.total_minor >= 0


# -- Rounding -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "percent", "expected"),
    [
        (3_333, 15, 500),  # 499.95
        (3_330, 15, 500),  # 499.5: half-up
        (3_310, 15, 497),  # 496.5: half-up, not to even
        (1_004, Decimal("12.5"), 126),  # 125.5
        (1_003, Decimal("12.5"), 125),  # 125.375
        (1_005, 10, 101),  # 100.5
        (1_004, 10, 100),  # 100.4
        (1, 50, 1),  # 0.5
        (0, 10, 0),
    ],
)
def test_percent_rounds_half_up_on_minor_units(
    amount: int, percent: int | Decimal, expected: int
) -> None:
    assert percent_of(amount, percent) == expected


def test_percent_coupon_is_rounded_in_the_totals() -> None:
    coupon = CouponTerms(code="SAVE15", kind="percent", value=15)
    totals = price_order([line(3_333)], currency="USD", coupon=coupon)
    assert (totals.discount_minor, totals.total_minor) == (500, 2_833)
    assert totals.coupon_code == "SAVE15" and totals.discount_label == "SAVE15"


# -- Coupon or automatic discount -----------------------------------------------------------------


AUTO = [
    DiscountTerms(name="5 % off orders over 1 000 USD", percent=5, min_subtotal_minor=100_000),
    DiscountTerms(name="3 % off everything", percent=3),
]


def test_the_better_discount_applies_and_they_do_not_stack() -> None:
    welcome = CouponTerms(code="WELCOME10", kind="percent", value=10, min_subtotal_minor=5_000)
    small = price_order([line(20_000)], currency="USD", coupon=welcome, discounts=AUTO)
    assert (small.discount_minor, small.coupon_code) == (2_000, "WELCOME10")

    save20 = CouponTerms(code="SAVE20", kind="fixed", value=2_000, min_subtotal_minor=20_000)
    big = price_order([line(150_000)], currency="USD", coupon=save20, discounts=AUTO)
    assert big.discount_minor == 7_500  # 5 % beats 20.00
    assert big.discount_label == "5 % off orders over 1 000 USD"
    assert big.coupon_code == ""

    no_coupon = price_order([line(20_000)], currency="USD", discounts=AUTO)
    assert (no_coupon.discount_minor, no_coupon.discount_label) == (600, "3 % off everything")


def test_on_a_tie_the_coupon_wins() -> None:
    coupon = CouponTerms(code="FIVE", kind="fixed", value=5_000)
    totals = price_order([line(100_000)], currency="USD", coupon=coupon, discounts=AUTO)
    assert (totals.discount_minor, totals.coupon_code, totals.discount_label) == (
        5_000,
        "FIVE",
        "FIVE",
    )


def test_a_fixed_coupon_never_exceeds_the_subtotal() -> None:
    coupon = CouponTerms(code="BIG", kind="fixed", value=10_000)
    totals = price_order([line(1_500)], currency="USD", coupon=coupon, shipping_minor=1_200)
    assert totals.discount_minor == 1_500
    assert totals.total_minor == 1_200  # shipping is still paid
    assert_adds_up(totals)


def test_a_coupon_below_its_minimum_does_not_apply() -> None:
    coupon = CouponTerms(code="WELCOME10", kind="percent", value=10, min_subtotal_minor=5_000)
    below = price_order([line(4_999)], currency="USD", coupon=coupon)
    assert (below.discount_minor, below.coupon_code, below.discount_label) == (0, "", "")
    at = price_order([line(5_000)], currency="USD", coupon=coupon)
    assert (at.discount_minor, at.coupon_code) == (500, "WELCOME10")
    auto_below = price_order([line(99_999)], currency="USD", discounts=AUTO[:1])
    assert auto_below.discount_minor == 0


# -- Points ---------------------------------------------------------------------------------------


def test_points_are_capped_by_the_balance() -> None:
    totals = price_order(
        [line(10_000)], currency="USD", points_requested=900, points_balance=300, rules=RULES
    )
    assert (totals.points_used, totals.points_value_minor) == (300, 300)
    assert totals.total_minor == 9_700


def test_points_are_capped_by_the_share_of_the_discounted_goods() -> None:
    coupon = CouponTerms(code="TEN", kind="fixed", value=1_000)
    totals = price_order(
        [line(5_000)],
        currency="USD",
        coupon=coupon,
        shipping_minor=2_000,
        points_requested=100_000,
        points_balance=100_000,
        rules=RULES,
    )
    # 50 % of (50.00 - 10.00); shipping does not count and is not reduced.
    assert (totals.points_used, totals.points_value_minor) == (2_000, 2_000)
    assert totals.total_minor == 5_000 - 1_000 - 2_000 + 2_000


def test_no_point_is_wasted_when_the_rate_does_not_divide_evenly() -> None:
    rules = PointsRules(points_per_unit_off=30, points_max_share_percent=50)
    # 100 points are worth 3.33 (333 cents), 99 points only 3.30: all 100 are needed.
    totals = price_order(
        [line(10_000)], currency="USD", points_requested=100, points_balance=100, rules=rules
    )
    assert (totals.points_value_minor, totals.points_used) == (333, 100)
    # Capped by the share: 50 % of 1.03 = 0.51 (rounded down); 15 points give 0.50 only,
    # 16 give 0.53: 16 points are used for 0.51, and none beyond.
    capped = price_order(
        [line(103)], currency="USD", points_requested=1_000, points_balance=1_000, rules=rules
    )
    assert (capped.points_value_minor, capped.points_used) == (51, 16)
    # Every answer is the fewest points worth its value.
    for requested in range(200):
        totals = price_order(
            [line(10_000)],
            currency="USD",
            points_requested=requested,
            points_balance=1_000,
            rules=rules,
        )
        used, value = totals.points_used, totals.points_value_minor
        assert used <= requested
        assert used * 100 // 30 >= value
        if used:
            assert (used - 1) * 100 // 30 < value


def test_requested_points_are_clamped() -> None:
    negative = price_order(
        [line(10_000)], currency="USD", points_requested=-50, points_balance=500, rules=RULES
    )
    assert (negative.points_used, negative.points_value_minor) == (0, 0)
    broke = price_order(
        [line(10_000)], currency="USD", points_requested=500, points_balance=-20, rules=RULES
    )
    assert (broke.points_used, broke.points_value_minor) == (0, 0)


def test_redeeming_lines_cost_points_not_money_and_leave_less_for_money_off() -> None:
    lines = [line(4_000, 2, weight=500), redeeming(700, 2)]
    totals = price_order(
        lines, currency="USD", points_requested=5_000, points_balance=1_800, rules=RULES
    )
    assert totals.subtotal_minor == 8_000
    assert totals.points_for_items == 1_400
    assert totals.points_used == 400  # what is left after the redeeming lines
    assert totals.points_spent == 1_800
    assert totals.weight_grams == 2 * 500 + 2 * 100  # redeemed goods ship too
    assert totals.points_short == 0

    short = price_order([redeeming(700, 3)], currency="USD", points_balance=1_000, rules=RULES)
    assert (short.points_short, short.subtotal_minor, short.total_minor) == (1_100, 0, 0)


def test_a_points_only_order_pays_shipping_only() -> None:
    totals = price_order(
        [redeeming(700)],
        currency="USD",
        shipping_minor=1_200,
        points_requested=5_000,
        points_balance=5_000,
        rules=RULES,
    )
    assert (totals.subtotal_minor, totals.points_used, totals.total_minor) == (0, 0, 1_200)


def test_a_paid_with_points_line_needs_a_points_price() -> None:
    with pytest.raises(ValueError):
        price_order([line(100, pay_with_points=True)], currency="USD")


def test_yen_have_no_minor_digits() -> None:
    coupon = CouponTerms(code="TEN", kind="percent", value=10)
    totals = price_order(
        [line(12_345)],
        currency="JPY",
        coupon=coupon,
        shipping_minor=800,
        points_requested=50_000,
        points_balance=50_000,
        rules=RULES,
    )
    assert totals.discount_minor == 1_235  # 1 234.5 yen, half-up
    # 100 points per yen; capped at 50 % of 11 110 yen = 5 555 yen, which takes 555 500 points,
    # more than requested: 50 000 points give 500 yen.
    assert (totals.points_used, totals.points_value_minor) == (50_000, 500)
    assert totals.total_minor == 12_345 - 1_235 - 500 + 800


def test_an_empty_cart_costs_nothing_and_applies_nothing() -> None:
    coupon = CouponTerms(code="WELCOME10", kind="percent", value=10)
    totals = price_order(
        [],
        currency="USD",
        coupon=coupon,
        discounts=AUTO,
        points_requested=500,
        points_balance=500,
        rules=RULES,
    )
    assert totals == Totals(
        currency="USD",
        subtotal_minor=0,
        discount_minor=0,
        discount_label="",
        coupon_code="",
        shipping_minor=0,
        points_used=0,
        points_value_minor=0,
        points_for_items=0,
        total_minor=0,
        weight_grams=0,
    )


def test_totals_always_add_up_and_are_never_negative() -> None:
    rng = random.Random(20261126)
    for _ in range(3_000):
        currency = rng.choice(["USD", "EUR", "JPY", "CNY"])
        lines = [
            line(rng.randint(0, 200_000), rng.randint(0, 5), weight=rng.randint(0, 40_000))
            for _ in range(rng.randint(0, 4))
        ]
        if rng.random() < 0.3:
            lines.append(redeeming(rng.randint(0, 3_000), rng.randint(1, 3)))
        coupon = None
        if rng.random() < 0.6:
            kind = rng.choice(["percent", "fixed"])
            coupon = CouponTerms(
                code="C",
                kind=kind,  # type: ignore[arg-type]
                value=rng.randint(1, 100) if kind == "percent" else rng.randint(1, 300_000),
                min_subtotal_minor=rng.choice([0, 5_000, 200_000]),
            )
        rules = PointsRules(
            points_per_unit_off=rng.choice([1, 7, 30, 100, 250]),
            points_max_share_percent=rng.choice([0, 10, 50, 100]),
        )
        balance = rng.randint(-10, 20_000)
        requested = rng.randint(-100, 30_000)
        totals = price_order(
            lines,
            currency=currency,
            coupon=coupon,
            discounts=AUTO if rng.random() < 0.5 else (),
            shipping_minor=rng.randint(0, 10_000),
            points_requested=requested,
            points_balance=balance,
            rules=rules,
        )
        assert_adds_up(totals)
        goods = totals.subtotal_minor - totals.discount_minor
        assert 0 <= totals.discount_minor <= totals.subtotal_minor
        assert 0 <= totals.points_value_minor <= goods * rules.points_max_share_percent // 100
        assert 0 <= totals.points_used <= max(0, min(requested, balance - totals.points_for_items))
        assert totals.total_minor >= totals.shipping_minor  # points never reduce shipping
        assert (totals.coupon_code == "") or totals.discount_label == totals.coupon_code
