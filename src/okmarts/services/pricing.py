"""Order totals: one pure function from lines, discounts, shipping and points to every total.

No clock, and no database but `break_prices` (the one read, of the breaks a cart needs): the
caller loads the terms (price breaks, services.coupons, services.shipping, the points balance,
services.tax) and passes them in, so the cart, the checkout page and the placed order all
price the same inputs the same way. Every amount is an int of minor units of `currency`.

The order of the rules:
1. Quantity price breaks set each line's unit price (`unit_price_for`), per line, from that
   line's quantity: a product's own `price_minor` is its 1+ price; a break (PriceBreak,
   `min_quantity` 2 or more) gives a lower unit price from its quantity on. The largest break
   at or below the quantity applies, and never more than the 1+ price (should staff lower the
   product's price below a break's). A quote's agreed unit prices (`price_overrides` of
   services.checkout.price_checkout) replace the line's price instead of a break.
2. Then one discount on the subtotal so priced: the better of the coupon, the best automatic
   discount and the kit prices (below; a coupon wins a tie).
3. Points last, capped by what is left after the discount.
4. Then tax (`tax`, services.tax): on subtotal - discount - points value + shipping, one rate
   per order (one destination), rounded half-up; total = that amount + tax.

Rules in detail:
- The subtotal counts money lines only. A redeeming line (`pay_with_points`) costs
  `points_price * quantity` points (`points_for_items`) and no money; its weight still ships.
- Discounts do not stack: the coupon, the best automatic discount and the kit prices are each
  worked out and the largest one applies; on a tie the coupon wins (the shopper chose it), and
  a kit wins over an automatic discount.
- Kits (`BundleTerms`): every complete set of a kit's parts among the money lines is a kit,
  worth its parts at their unit prices less the kit price (or less `percent_off` % of them,
  rounded half-up per kit; never below 0). A part counts in one kit only: kits saving the most
  per kit take their parts first. Several kits: their savings add up, as one discount.
  A coupon or automatic discount below its `min_subtotal_minor` does not apply (pricing
  ignores it; services.coupons.check_coupon tells the shopper why), and neither does a
  discount worth nothing, so an empty cart shows no coupon.
- Percent discounts round half-up on minor units (Decimal, ROUND_HALF_UP): 15 % of 3 333 is
  499.95, so 500. A fixed coupon never takes off more than the subtotal.
- Points off: `points_per_unit_off` points take one major unit (10**digits minor units, from
  Babel: 100 for USD, 1 for JPY) off. Requested points are clamped to 0..balance, then capped
  by the balance left after redeeming lines and by `points_max_share_percent` of
  (subtotal - discount), rounded down. A point is never wasted: `points_used` is the smallest
  number of points worth the value taken off.
- Shipping is added after the discount and is never reduced by points.
- total = subtotal - discount - points value + shipping, never below 0, plus tax on that
  (none when no `tax` terms are given: the rules of services.tax, where the buyer is known).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from babel.numbers import get_currency_precision

from okmarts.i18n import N_
from okmarts.services import tax as tax_rules
from okmarts.services.tax import TaxLine, TaxTerms
from okmarts.tables.price_breaks import PriceBreak

CouponKind = Literal["percent", "fixed"]


@dataclass(frozen=True)
class PricedLine:
    """A cart line as pricing sees it (the product's current price and weight)."""

    product_id: int
    sku: str
    title: str
    unit_price_minor: int
    quantity: int
    weight_grams: int = 0
    points_price: int | None = None
    # Bought with points instead of money (needs a points_price).
    pay_with_points: bool = False

    @property
    def line_total_minor(self) -> int:
        return 0 if self.pay_with_points else self.unit_price_minor * self.quantity

    @property
    def line_points(self) -> int:
        return (self.points_price or 0) * self.quantity if self.pay_with_points else 0


@dataclass(frozen=True)
class CouponTerms:
    """A coupon that passed services.coupons.check_coupon."""

    code: str
    kind: CouponKind
    # Percent: whole percent (10 = 10 %); fixed: minor units of the order's currency.
    value: int | Decimal
    min_subtotal_minor: int = 0


@dataclass(frozen=True)
class DiscountTerms:
    """An automatic discount in force (services.coupons.automatic_discounts)."""

    name: str  # the stored English name, N_-marked where seeded; translated where shown
    percent: int | Decimal
    min_subtotal_minor: int = 0


@dataclass(frozen=True)
class BundleTerms:
    """A kit in force (services.recommendations.bundle_terms): parts and their quantities, and
    a kit price or a whole percent off (neither: no saving)."""

    name: str  # staff's name for the kit, shown as the discount's label
    parts: tuple[tuple[int, int], ...]  # (product id, quantity per kit)
    price_minor: int | None = None
    percent_off: int | Decimal | None = None


# The label when more than one kind of kit is in the order.
KITS_LABEL = N_("Kit prices")


@dataclass(frozen=True)
class PointsRules:
    """Settings.points_per_unit_off and Settings.points_max_share_percent."""

    points_per_unit_off: int = 100
    points_max_share_percent: int = 50


@dataclass(frozen=True)
class Totals:
    currency: str
    subtotal_minor: int
    discount_minor: int
    # The coupon code or the automatic discount's name; "" without a discount.
    discount_label: str
    coupon_code: str  # the coupon that applied, "" if none (it may have lost to a better one)
    shipping_minor: int
    points_used: int  # points spent for money off
    points_value_minor: int
    points_for_items: int  # points spent on redeeming lines
    total_minor: int
    weight_grams: int
    # Points the redeeming lines need beyond the balance: the order can't be placed while > 0.
    points_short: int = 0
    # Tax (services.tax), included in total_minor: one line per rate (one rate per order).
    tax_minor: int = 0
    tax_lines: tuple[TaxLine, ...] = ()

    @property
    def points_spent(self) -> int:
        return self.points_used + self.points_for_items

    @property
    def total_before_tax_minor(self) -> int:
        return self.total_minor - self.tax_minor

    def tax_lines_json(self) -> list[dict]:
        """Order.tax_lines as recorded."""
        return [line.as_json() for line in self.tax_lines]


# -- Quantity price breaks ------------------------------------------------------------------


PriceBreaks = Sequence[tuple[int, int]]  # (min_quantity, unit price_minor), any order


def break_for(
    product_price_minor: int, breaks: PriceBreaks, quantity: int
) -> tuple[int, int] | None:
    """(min_quantity, unit price) of the break that applies at `quantity`, None for the 1+
    price: the largest break at or below the quantity, if it is cheaper than the 1+ price."""
    found: tuple[int, int] | None = None
    for min_quantity, price in breaks:
        if 1 < min_quantity <= quantity and (found is None or min_quantity > found[0]):
            found = (min_quantity, price)
    if found is None or found[1] >= product_price_minor:
        return None
    return found


def unit_price_for(product_price_minor: int, breaks: PriceBreaks, quantity: int) -> int:
    """The unit price of `quantity` units of a product with these breaks (rule 1)."""
    found = break_for(product_price_minor, breaks, quantity)
    return product_price_minor if found is None else found[1]


def break_table(product_price_minor: int, breaks: PriceBreaks) -> list[tuple[int, int]]:
    """The product page's table: [(1, the 1+ price), (min_quantity, price)…] by quantity, the
    breaks that apply (cheaper than the 1+ price); just the 1+ row without breaks."""
    rows = [(1, product_price_minor)]
    for min_quantity, price in sorted(breaks):
        if min_quantity > 1 and price < product_price_minor:
            rows.append((min_quantity, price))
    return rows


async def break_prices(product_ids: Iterable[int]) -> dict[int, list[tuple[int, int]]]:
    """The breaks of these products, [(min_quantity, price_minor)] by quantity; products
    without breaks are left out. One query, whatever the number of products."""
    ids = sorted({int(product_id) for product_id in product_ids})
    if not ids:
        return {}
    rows = await PriceBreak.raw(
        "SELECT product, min_quantity, price_minor FROM price_break WHERE product IN ("
        + ", ".join("{}" for _ in ids)
        + ") ORDER BY product, min_quantity",
        *ids,
    )
    found: dict[int, list[tuple[int, int]]] = {}
    for row in rows:
        found.setdefault(row["product"], []).append((row["min_quantity"], row["price_minor"]))
    return found


def minor_per_unit(currency: str) -> int:
    """Minor units in one major unit: 100 for USD, 1 for JPY."""
    return 10 ** get_currency_precision(currency)


def percent_of(amount_minor: int, percent: int | Decimal) -> int:
    """`percent` % of an amount, rounded half-up to whole minor units."""
    exact = Decimal(amount_minor) * Decimal(percent) / Decimal(100)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def coupon_discount(coupon: CouponTerms, subtotal_minor: int) -> int:
    """What a coupon takes off this subtotal (0 below its minimum)."""
    if subtotal_minor < coupon.min_subtotal_minor:
        return 0
    if coupon.kind == "fixed":
        amount = int(coupon.value)
    elif coupon.kind == "percent":
        amount = percent_of(subtotal_minor, coupon.value)
    else:
        raise ValueError(f"unknown coupon kind {coupon.kind!r}")
    return max(0, min(amount, subtotal_minor))


def price_order(
    lines: Sequence[PricedLine],
    *,
    currency: str,
    coupon: CouponTerms | None = None,
    discounts: Sequence[DiscountTerms] = (),
    bundles: Sequence[BundleTerms] = (),
    shipping_minor: int = 0,
    points_requested: int = 0,
    points_balance: int = 0,
    rules: PointsRules = PointsRules(),
    tax: TaxTerms | None = None,
) -> Totals:
    """Every total of an order, by the rules in the module docstring."""
    for line in lines:
        if line.quantity < 0 or line.unit_price_minor < 0 or line.weight_grams < 0:
            raise ValueError(f"negative quantity, price or weight on line {line.sku}")
        if line.pay_with_points and (line.points_price is None or line.points_price < 0):
            raise ValueError(f"line {line.sku} is paid with points but has no points price")
    if shipping_minor < 0:
        raise ValueError("shipping_minor must not be negative")

    subtotal = sum(line.line_total_minor for line in lines)
    points_for_items = sum(line.line_points for line in lines)
    weight = sum(line.weight_grams * line.quantity for line in lines)

    kits_minor, kits_label = bundle_discount(lines, bundles)
    discount, label, coupon_code = _best_discount(
        subtotal, coupon, discounts, kits_minor, kits_label
    )

    balance = max(0, points_balance)
    points_left = max(0, balance - points_for_items)
    requested = min(max(0, points_requested), points_left)
    cap_minor = (subtotal - discount) * max(0, rules.points_max_share_percent) // 100
    points_used, points_value = _points_off(requested, cap_minor, currency, rules)

    before_tax = max(0, subtotal - discount - points_value + shipping_minor)
    tax_lines = (tax_rules.tax_line(before_tax, tax),) if tax is not None else ()
    tax_minor = sum(line.tax_minor for line in tax_lines)
    total = before_tax + tax_minor
    return Totals(
        currency=currency,
        subtotal_minor=subtotal,
        discount_minor=discount,
        discount_label=label,
        coupon_code=coupon_code,
        shipping_minor=shipping_minor,
        points_used=points_used,
        points_value_minor=points_value,
        points_for_items=points_for_items,
        total_minor=total,
        weight_grams=weight,
        points_short=max(0, points_for_items - balance),
        tax_minor=tax_minor,
        tax_lines=tax_lines,
    )


def kit_saving(terms: BundleTerms, unit_prices: dict[int, int]) -> int:
    """What one kit takes off its parts' prices (0 if a part is not priced here)."""
    if any(product_id not in unit_prices for product_id, _ in terms.parts):
        return 0
    parts_total = sum(unit_prices[product_id] * quantity for product_id, quantity in terms.parts)
    if terms.price_minor is not None:
        # A kit price below zero (a typo in the admin) gives the kit away, never more.
        return max(0, min(parts_total, parts_total - terms.price_minor))
    if terms.percent_off is not None:
        return max(0, min(parts_total, percent_of(parts_total, terms.percent_off)))
    return 0


def bundle_discount(lines: Sequence[PricedLine], bundles: Sequence[BundleTerms]) -> tuple[int, str]:
    """(amount, label) the complete kits among the money lines take off, by the module's rules."""
    left: dict[int, int] = {}
    unit_prices: dict[int, int] = {}
    for line in lines:
        if not line.pay_with_points:
            left[line.product_id] = left.get(line.product_id, 0) + line.quantity
            unit_prices[line.product_id] = line.unit_price_minor
    savings = [
        (kit_saving(terms, unit_prices), index, terms)
        for index, terms in enumerate(bundles)
        if terms.parts and all(quantity > 0 for _, quantity in terms.parts)
    ]
    total, names = 0, []
    for saving, _, terms in sorted(savings, key=lambda item: (-item[0], item[1])):
        if saving <= 0:
            continue
        kits = min(left.get(product_id, 0) // quantity for product_id, quantity in terms.parts)
        if kits <= 0:
            continue
        for product_id, quantity in terms.parts:
            left[product_id] -= kits * quantity
        total += kits * saving
        names.append(terms.name)
    if not names:
        return 0, ""
    return total, names[0] if len(names) == 1 else KITS_LABEL


def _best_discount(
    subtotal: int,
    coupon: CouponTerms | None,
    discounts: Sequence[DiscountTerms],
    kits_minor: int = 0,
    kits_label: str = "",
) -> tuple[int, str, str]:
    """(amount, label, coupon code) of the one discount that applies."""
    best_auto, auto_name = 0, ""
    for terms in discounts:
        if subtotal < terms.min_subtotal_minor:
            continue
        amount = min(percent_of(subtotal, terms.percent), subtotal)
        if amount > best_auto:  # strictly better: on a tie the first listed keeps it
            best_auto, auto_name = amount, terms.name
    from_coupon = coupon_discount(coupon, subtotal) if coupon is not None else 0
    kits_minor = min(kits_minor, subtotal)
    if coupon is not None and from_coupon > 0 and from_coupon >= max(best_auto, kits_minor):
        return from_coupon, coupon.code, coupon.code
    if kits_minor > 0 and kits_minor >= best_auto:
        return kits_minor, kits_label, ""
    if best_auto > 0:
        return best_auto, auto_name, ""
    return 0, "", ""


def _points_off(
    requested: int, cap_minor: int, currency: str, rules: PointsRules
) -> tuple[int, int]:
    """(points used, minor units taken off): the most the rules allow, with no point wasted."""
    rate = rules.points_per_unit_off
    if rate <= 0 or requested <= 0 or cap_minor <= 0:
        return 0, 0
    per_unit = minor_per_unit(currency)
    value = min(requested * per_unit // rate, cap_minor)
    # The fewest points worth `value`: ceil(value * rate / per_unit), never above `requested`.
    points = -(-value * rate // per_unit)
    return points, value


# -- Refunds of returned lines (issue 16, services/returns.py) -----------------------------------


@dataclass(frozen=True)
class OrderAmounts:
    """What an order charged, as recorded on it (Order's columns)."""

    currency: str
    subtotal_minor: int  # the money lines' total
    discount_minor: int = 0
    points_value_minor: int = 0  # money taken off for points
    points_used: int = 0  # points spent for that money off
    shipping_minor: int = 0
    tax_minor: int = 0
    total_minor: int = 0
    points_earned: int = 0


@dataclass(frozen=True)
class RefundShare:
    money_minor: int  # money back, tax included
    tax_minor: int  # of which tax
    points_back: int  # points spent on the order given back (money-off share and points lines)
    points_taken_back: int  # points earned on the order taken back


def _share(amount: int, part: int, whole: int) -> int:
    """`amount` × part / whole, rounded half-up; 0 of a whole of 0."""
    if whole <= 0 or amount <= 0 or part <= 0:
        return 0
    return (2 * amount * part + whole) // (2 * whole)


def _refund_value(order: OrderAmounts, returned_minor: int, everything: bool) -> tuple[int, int]:
    """(money, tax) the returned lines worth `returned_minor` (at their line prices) stand for."""
    if everything:
        return order.total_minor, order.tax_minor
    goods = (
        returned_minor
        - _share(order.discount_minor, returned_minor, order.subtotal_minor)
        - _share(order.points_value_minor, returned_minor, order.subtotal_minor)
    )
    goods = max(0, goods)
    before_tax_total = order.total_minor - order.tax_minor
    tax_minor = _share(order.tax_minor, goods, before_tax_total)
    return goods + tax_minor, tax_minor


def refund_share(
    order: OrderAmounts,
    *,
    returned_before_minor: int,
    returning_minor: int,
    returning_points_lines: int = 0,
    everything: bool = False,
) -> RefundShare:
    """What returning lines gives back. The rule (documented in docs/returns.md too):

    - Each returned line carries its share of the order's discount and of the money taken off
      for points, in proportion to its line total in the subtotal (rounded half-up).
    - Tax goes back in proportion to the goods' value after those shares.
    - Shipping is refunded only when the return brings back the last of the order's parts
      (`everything`): then the whole total is refunded, to the last minor unit.
    - Points spent for money off go back in the same proportion; points paid for points-only
      lines (`returning_points_lines`) go back in full; points earned on the order are taken
      back in the same proportion.
    - Amounts are computed cumulatively: this return's refund is the value of everything
      returned so far minus the value of what was returned before. Rounding never adds up:
      several returns together never give back more than the order's total.
    """
    if returned_before_minor < 0 or returning_minor < 0 or returning_points_lines < 0:
        raise ValueError("negative amounts")
    after = returned_before_minor + returning_minor
    money_before, tax_before = _refund_value(order, returned_before_minor, False)
    money_after, tax_after = _refund_value(order, after, everything)
    money = min(max(0, money_after - money_before), order.total_minor)
    whole = order.subtotal_minor

    def cumulative(amount: int) -> int:
        if everything:
            return amount - _share(amount, returned_before_minor, whole)
        return _share(amount, after, whole) - _share(amount, returned_before_minor, whole)

    return RefundShare(
        money_minor=money,
        tax_minor=max(0, tax_after - tax_before),
        points_back=cumulative(order.points_used) + returning_points_lines,
        points_taken_back=cumulative(order.points_earned),
    )
