"""Staff's edits of quantity price breaks (the admin): the rules a break must keep.

A product's prices by quantity must make sense to a buyer: each break is for 2 or more units,
one price per quantity, and the unit price never rises as the quantity grows — the product's
own price (1+) first, then each break at most the price of every smaller quantity and at least
that of every larger one. A refusal names the field and the problem in English, as the admin's
other messages do. services.pricing reads the breaks (and ignores one that the product's price
has since undercut: a buyer never pays more than the 1+ price).
"""

from __future__ import annotations

from okmarts.tables.catalog import Product
from okmarts.tables.price_breaks import PriceBreak

# No cart line holds more (services.cart.MAX_QUANTITY is 999); a break up to here still shows.
MAX_BREAK_QUANTITY = 1_000_000


class BreakRefused(Exception):
    """A price break staff can't save; `field` is the form field the message belongs to."""

    def __init__(self, field: str, text: str) -> None:
        super().__init__(text)
        self.field = field


def _int(value: object, field: str) -> int:
    if isinstance(value, bool) or value is None:
        raise BreakRefused(field, "Enter a whole number.")
    try:
        return int(str(value).strip())
    except ValueError:
        raise BreakRefused(field, "Enter a whole number.") from None


async def check_break(
    product_id: object, min_quantity: object, price_minor: object, *, break_id: int | None = None
) -> None:
    """Refuse (BreakRefused) a break that would break the rules of the module docstring."""
    if product_id in (None, ""):
        raise BreakRefused("product", "Choose the product this price break is for.")
    product_id = _int(product_id, "product")
    quantity = _int(min_quantity, "min_quantity")
    price = _int(price_minor, "price_minor")
    if quantity <= 1:
        raise BreakRefused(
            "min_quantity",
            "A price break is for 2 or more units: the price for 1+ is the product's own price.",
        )
    if quantity > MAX_BREAK_QUANTITY:
        raise BreakRefused(
            "min_quantity", f"A price break is for at most {MAX_BREAK_QUANTITY:,} units."
        )
    if price < 0:
        raise BreakRefused("price_minor", "A price can't be below zero.")
    product = (
        await Product.select(Product.price_minor, Product.currency)
        .where(Product.id == product_id)
        .first()
    )
    if product is None:
        raise BreakRefused("product", "This product doesn't exist (any more).")
    if price >= product["price_minor"]:
        raise BreakRefused(
            "price_minor",
            f"The price for {quantity}+ must be below the product's own price (1+: "
            f"{product['price_minor']} minor units of {product['currency']}).",
        )
    others = PriceBreak.select(PriceBreak.min_quantity, PriceBreak.price_minor).where(
        PriceBreak.product == product_id
    )
    if break_id is not None:
        others = others.where(PriceBreak.id != break_id)
    for other in await others:
        if other["min_quantity"] == quantity:
            raise BreakRefused(
                "min_quantity",
                f"This product already has a price for {quantity}+: change that break instead.",
            )
        if other["min_quantity"] < quantity and price > other["price_minor"]:
            raise BreakRefused(
                "price_minor",
                f"Prices can't rise as the quantity grows: {quantity}+ would cost more than "
                f"{other['min_quantity']}+ ({other['price_minor']}).",
            )
        if other["min_quantity"] > quantity and price < other["price_minor"]:
            raise BreakRefused(
                "price_minor",
                f"Prices can't rise as the quantity grows: {quantity}+ would cost less than "
                f"{other['min_quantity']}+ ({other['price_minor']}).",
            )


async def check_patch(break_id: int, values: dict[str, object]) -> None:
    """A break's edit: the stored row with the changed fields, checked as a whole."""
    stored = (
        await PriceBreak.select(PriceBreak.product, PriceBreak.min_quantity, PriceBreak.price_minor)
        .where(PriceBreak.id == break_id)
        .first()
    )
    if stored is None:
        return  # gone meanwhile: Piccolo answers as for any missing row
    now = {**stored, **values}
    await check_break(now["product"], now["min_quantity"], now["price_minor"], break_id=break_id)


async def check_product_price(product_id: int, price_minor: object) -> None:
    """A product's new 1+ price must stay above its breaks' prices (prices never rise)."""
    price = _int(price_minor, "price_minor")
    rows = await PriceBreak.select(PriceBreak.min_quantity, PriceBreak.price_minor).where(
        (PriceBreak.product == product_id) & (PriceBreak.price_minor >= price)
    )
    if rows:
        lowest = min(rows, key=lambda row: row["min_quantity"])
        raise BreakRefused(
            "price_minor",
            f"The price for 1+ must stay above its price breaks: {lowest['min_quantity']}+ costs "
            f"{lowest['price_minor']}. Change or delete that break first (Catalog: Price break).",
        )
