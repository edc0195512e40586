"""Catalog tables: category tree, brands, products and their images. No personal data here."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    LazyTableReference,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.readable import Readable
from piccolo.table import Table


class Category(Table, tablename="category"):
    name = Varchar(length=120)
    slug = Varchar(length=140, unique=True)
    # A tree: deleting a parent that still has children is refused, not cascaded.
    parent = ForeignKey(
        references=LazyTableReference("Category", module_path=__name__),
        null=True,
        on_delete=OnDelete.restrict,
        index=True,
    )
    position = Integer(default=0)
    description = Text(default="")

    @classmethod
    def get_readable(cls) -> Readable:
        # How staff see a category in the admin's foreign-key columns and pickers.
        return Readable(template="%s", columns=[cls.name])


class Brand(Table, tablename="brand"):
    name = Varchar(length=120, unique=True)
    slug = Varchar(length=140, unique=True)
    country = Varchar(length=2, default="")

    @classmethod
    def get_readable(cls) -> Readable:
        return Readable(template="%s", columns=[cls.name])


class Product(Table, tablename="product"):
    sku = Varchar(length=64, unique=True)
    slug = Varchar(length=200, unique=True)
    title = Varchar(length=255)
    description = Text(default="")
    brand = ForeignKey(references=Brand, on_delete=OnDelete.restrict, index=True)
    category = ForeignKey(references=Category, on_delete=OnDelete.restrict, index=True)
    # Money in integer minor units of `currency`: never a float.
    price_minor = Integer(index=True)
    currency = Varchar(length=3, default="USD")
    stock = Integer(default=0)
    # Redeeming products: set, the product can be bought with this many points instead of money.
    points_price = Integer(null=True, default=None)
    weight_grams = Integer(default=0)
    # [[key, value], …] in display order; keys of the seeded catalog are translated via gettext.
    specs = JSON(default="[]")
    # Brand name and spec values, kept by services.catalog for the full-text index.
    search_text = Text(default="")
    featured = Boolean(default=False, index=True)
    created_at = Timestamptz(index=True)


class ProductImage(Table, tablename="product_image"):
    product = ForeignKey(references=Product, on_delete=OnDelete.cascade, index=True)
    # Path under /static/ (seeded placeholders) or the uploads folder.
    path = Varchar(length=255)
    alt = Varchar(length=255, default="")
    width = Integer(default=640)
    height = Integer(default=480)
    position = Integer(default=0)
