"""Shipping: which zone a country is in, and what each active method costs to get an order there.

Cost of a rate: base_minor + per_kg_minor × started kilograms (1 g to 1 000 g is one kilogram,
0 g none), and nothing once the subtotal reaches free_from_minor. A rate with max_weight_grams
does not take heavier orders. Rates are priced in their own currency and never converted: an
order in another currency sees only the rates in its currency.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from okmarts.i18n import N_, Message
from okmarts.tables.checkout import ShippingRate, ShippingZone

WORLD_ZONE = "world"


@dataclass(frozen=True)
class Zone:
    id: int
    code: str
    name: str  # stored English name, translated where shown


@dataclass(frozen=True)
class Quote:
    method_code: str
    method_name: str  # stored English name (N_-marked where seeded), translated where shown
    carrier: str
    cost_minor: int
    currency: str


@dataclass
class ShippingUnavailable(Exception):
    """The chosen method can't take this order to that country."""

    message: Message

    def __post_init__(self) -> None:
        super().__init__(self.message.msgid)


def started_kilograms(weight_grams: int) -> int:
    """Kilograms a carrier charges: every started one (0 g: none)."""
    return -(-max(0, weight_grams) // 1000)


def rate_cost(
    *,
    base_minor: int,
    per_kg_minor: int,
    free_from_minor: int | None,
    weight_grams: int,
    subtotal_minor: int,
) -> int:
    """What one rate costs for this weight and subtotal."""
    if free_from_minor is not None and subtotal_minor >= free_from_minor:
        return 0
    return base_minor + per_kg_minor * started_kilograms(weight_grams)


async def zone_for(country: str) -> Zone | None:
    """The zone listing this country, else the "world" zone (None if neither exists)."""
    wanted = country.strip().upper()
    # Zones are few: one query for all of them beats JSON operators that differ per database.
    rows = await ShippingZone.select(
        ShippingZone.id, ShippingZone.code, ShippingZone.name, ShippingZone.countries
    ).order_by(ShippingZone.id)
    world = None
    for row in rows:
        countries = row["countries"]
        if isinstance(countries, str):
            countries = json.loads(countries or "[]")
        zone = Zone(id=row["id"], code=row["code"], name=row["name"])
        if wanted and wanted in {str(code).upper() for code in countries or []}:
            return zone
        if row["code"] == WORLD_ZONE:
            world = zone
    return world


async def quotes(
    country: str, weight_grams: int, subtotal_minor: int, currency: str
) -> list[Quote]:
    """Every active method that can ship this order to the country, cheapest first."""
    zone = await zone_for(country)
    if zone is None:
        return []
    rows = (
        await ShippingRate.select(
            ShippingRate.method.code.as_alias("method_code"),
            ShippingRate.method.name.as_alias("method_name"),
            ShippingRate.method.carrier.as_alias("carrier"),
            ShippingRate.method.position.as_alias("position"),
            ShippingRate.base_minor,
            ShippingRate.per_kg_minor,
            ShippingRate.free_from_minor,
            ShippingRate.max_weight_grams,
        )
        .where(ShippingRate.zone == zone.id)
        .where(ShippingRate.currency == currency)
        .where(ShippingRate.method.active.eq(True))
    )
    found = []
    for row in rows:
        limit = row["max_weight_grams"]
        if limit is not None and weight_grams > limit:
            continue
        cost = rate_cost(
            base_minor=row["base_minor"],
            per_kg_minor=row["per_kg_minor"],
            free_from_minor=row["free_from_minor"],
            weight_grams=weight_grams,
            subtotal_minor=subtotal_minor,
        )
        quote = Quote(row["method_code"], row["method_name"], row["carrier"], cost, currency)
        found.append((cost, row["position"], row["method_code"], quote))
    found.sort(key=lambda item: item[:3])
    return [item[3] for item in found]


async def quote(
    method_code: str, country: str, weight_grams: int, subtotal_minor: int, currency: str
) -> Quote:
    """The chosen method's quote; ShippingUnavailable if it can't ship this order there."""
    for offer in await quotes(country, weight_grams, subtotal_minor, currency):
        if offer.method_code == method_code:
            return offer
    raise ShippingUnavailable(
        Message(
            N_(
                "The chosen delivery method can't take this order to that country. "
                "Please choose another one."
            )
        )
    )
