"""Kit prices (services.pricing BundleTerms): pure, no database."""

from __future__ import annotations

from decimal import Decimal

from okmarts.services.pricing import (
    KITS_LABEL,
    BundleTerms,
    CouponTerms,
    DiscountTerms,
    PricedLine,
    bundle_discount,
    price_order,
)

PLC, PSU, CABLE = 1, 2, 3


def part(product_id: int, price: int, quantity: int = 1, **extra: object) -> PricedLine:
    return PricedLine(
        product_id=product_id,
        sku=f"SKU-{product_id}",
        title=f"Part {product_id}",
        unit_price_minor=price,
        quantity=quantity,
        **extra,  # type: ignore[arg-type]
    )


STARTER = BundleTerms("Starter kit", ((PLC, 1), (PSU, 1), (CABLE, 2)), price_minor=50_000)
# Parts: 40 000 + 8 000 + 2 × 2 000 = 52 000; the kit costs 50 000, saving 2 000.
CART = [part(PLC, 40_000), part(PSU, 8_000), part(CABLE, 2_000, 2)]


def test_a_complete_kit_costs_the_kit_price() -> None:
    totals = price_order(CART, currency="USD", bundles=[STARTER])
    assert totals.subtotal_minor == 52_000
    assert totals.discount_minor == 2_000 and totals.discount_label == "Starter kit"
    assert totals.total_minor == 50_000 and totals.coupon_code == ""


def test_an_incomplete_kit_saves_nothing() -> None:
    one_cable = [part(PLC, 40_000), part(PSU, 8_000), part(CABLE, 2_000, 1)]
    assert bundle_discount(one_cable, [STARTER]) == (0, "")
    totals = price_order(one_cable, currency="USD", bundles=[STARTER])
    assert totals.discount_minor == 0 and totals.discount_label == ""


def test_each_complete_kit_counts_and_extra_parts_pay_full_price() -> None:
    # Two kits' worth of PLCs and power supplies, but cables for two kits and one spare.
    lines = [part(PLC, 40_000, 2), part(PSU, 8_000, 3), part(CABLE, 2_000, 5)]
    assert bundle_discount(lines, [STARTER]) == (4_000, "Starter kit")


def test_percent_off_rounds_half_up_per_kit() -> None:
    terms = BundleTerms("Sensor set", ((PLC, 1), (PSU, 1)), percent_off=15)
    lines = [part(PLC, 3_333), part(PSU, 0, 1)]  # 15 % of 3 333 = 499.95 → 500
    assert bundle_discount(lines, [terms]) == (500, "Sensor set")


def test_a_kit_price_above_the_parts_saves_nothing() -> None:
    dear = BundleTerms("Dear kit", ((PLC, 1), (PSU, 1)), price_minor=60_000)
    assert bundle_discount(CART, [dear]) == (0, "")


def test_a_kit_never_takes_off_more_than_its_parts_cost() -> None:
    typo = BundleTerms("Typo kit", ((PLC, 1), (PSU, 1)), price_minor=-5_000)
    over = BundleTerms("Over kit", ((PLC, 1), (PSU, 1)), percent_off=150)
    assert bundle_discount(CART, [typo]) == (48_000, "Typo kit")
    assert bundle_discount(CART, [over]) == (48_000, "Over kit")


def test_parts_paid_with_points_are_not_in_a_kit() -> None:
    lines = [part(PLC, 40_000), part(PSU, 8_000, points_price=500, pay_with_points=True)]
    lines.append(part(CABLE, 2_000, 2))
    assert bundle_discount(lines, [STARTER]) == (0, "")


def test_a_part_counts_in_one_kit_only_the_bigger_saving_first() -> None:
    small = BundleTerms("Small kit", ((PLC, 1), (PSU, 1)), price_minor=47_000)  # saves 1 000
    big = BundleTerms("Big kit", ((PLC, 1), (CABLE, 1)), price_minor=38_000)  # saves 4 000
    lines = [part(PLC, 40_000), part(PSU, 8_000), part(CABLE, 2_000)]
    assert bundle_discount(lines, [small, big]) == (4_000, "Big kit")
    two = [part(PLC, 40_000, 2), part(PSU, 8_000), part(CABLE, 2_000)]
    assert bundle_discount(two, [small, big]) == (5_000, KITS_LABEL)


def test_kits_and_a_coupon_do_not_stack_the_better_applies() -> None:
    worse = CouponTerms("TEN", "fixed", 1_000)
    better = CouponTerms("BIG", "percent", 10)  # 5 200
    with_worse = price_order(CART, currency="USD", coupon=worse, bundles=[STARTER])
    assert (with_worse.discount_minor, with_worse.discount_label) == (2_000, "Starter kit")
    assert with_worse.coupon_code == ""  # the coupon lost: it is not spent
    with_better = price_order(CART, currency="USD", coupon=better, bundles=[STARTER])
    assert (with_better.discount_minor, with_better.coupon_code) == (5_200, "BIG")
    tie = CouponTerms("TIE", "fixed", 2_000)
    assert price_order(CART, currency="USD", coupon=tie, bundles=[STARTER]).coupon_code == "TIE"


def test_kits_against_an_automatic_discount_the_better_applies_a_kit_on_a_tie() -> None:
    five = DiscountTerms("Five percent", 5)  # 2 600 on 52 000
    totals = price_order(CART, currency="USD", discounts=[five], bundles=[STARTER])
    assert (totals.discount_minor, totals.discount_label) == (2_600, "Five percent")
    tie = DiscountTerms("Tie", Decimal("2.5"))  # 1 000 on 40 000, as the kit saves
    kit_wins = BundleTerms("Kit", ((PLC, 1),), price_minor=39_000)
    totals = price_order([part(PLC, 40_000)], currency="USD", discounts=[tie], bundles=[kit_wins])
    assert totals.discount_label == "Kit"
