"""Quantity price breaks: a product's unit price from a quantity on (services.pricing).

The 1+ price is the product's own `price_minor`; a break holds a lower price from
`min_quantity` (2 or more) on, in the product's currency. Nothing personal here.
"""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete
from piccolo.table import Table

from okmarts.tables.catalog import Product


class PriceBreak(Table, tablename="price_break"):
    """From `min_quantity` units of `product` on, each costs `price_minor`. Unique per
    (product, min_quantity): a raw index in the migration."""

    product = ForeignKey(references=Product, on_delete=OnDelete.cascade, index=True)
    min_quantity = Integer()
    price_minor = Integer()
