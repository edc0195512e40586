"""Recommendation states: a kit of the test's own products."""

from __future__ import annotations

import uuid

from okmarts.tables.recommendations import Bundle, BundlePart
from tests.states.catalog import new_product


async def new_kit(
    parts: list[tuple[int, int]] | None = None,
    *,
    price_minor: int | None = None,
    percent_off: int | None = None,
    stocks: tuple[int, ...] = (20, 20),
) -> tuple[dict, list[dict]]:
    """A kit (as a dict: id, slug, name) of new products (12 500 each, `stocks`), or of
    `parts` (product id, quantity); returns the kit and its products."""
    products = []
    if parts is None:
        products = [await new_product(stock) for stock in stocks]
        parts = [(product["id"], 1) for product in products]
    slug = f"test-kit-{uuid.uuid4().hex[:8]}"
    bundle = Bundle(
        name=f"Test kit {slug[-4:]}",
        slug=slug,
        price_minor=price_minor,
        percent_off=percent_off,
        currency="USD",
    )
    await bundle.save()
    for position, (product_id, quantity) in enumerate(parts):
        await BundlePart(
            bundle=bundle.id, product=product_id, quantity=quantity, position=position
        ).save()
    return {"id": bundle.id, "slug": slug, "name": bundle.name}, products
