"""Catalog tables: category tree, brands, products, their images and typed specs. No personal
data here."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import (
    JSON,
    Boolean,
    DoublePrecision,
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


class ProductStatus(str, Enum):
    active = "active"
    discontinued = "discontinued"


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
    # "active" or "discontinued": a discontinued part stays reachable, with its replacements.
    status = Varchar(length=20, default="active", choices=ProductStatus)


class ProductImage(Table, tablename="product_image"):
    product = ForeignKey(references=Product, on_delete=OnDelete.cascade, index=True)
    # Path under /static/ (seeded placeholders) or the uploads folder.
    path = Varchar(length=255)
    alt = Varchar(length=255, default="")
    width = Integer(default=640)
    height = Integer(default=480)
    position = Integer(default=0)


class SpecKind(str, Enum):
    quantity = "quantity"  # one value with a unit, or a count: "4 mm", "16"
    range = "range"  # "10–30 V DC", "-25 … +70 °C"
    enumeration = "enumeration"  # one of a few words: "PNP NO", "M12"
    boolean = "boolean"  # yes / no
    text = "text"  # anything else: shown, searched, never filtered on


class SpecDefinition(Table, tablename="spec_definition"):
    """What a spec of a category is: its kind and unit, whether it may be filtered on, and
    whether a replacement must match it (services.specs reads product specs through these)."""

    category = ForeignKey(references=Category, on_delete=OnDelete.cascade, index=True)
    # The spec's name as products list it (an English msgid for the demo catalog).
    key = Varchar(length=120)
    kind = Varchar(length=20, default=SpecKind.text.value, choices=SpecKind)
    # How values are shown and typed by shoppers ("mm", "V", "°C"); "" for counts and words.
    unit = Varchar(length=20, default="")
    facet = Boolean(default=True)
    # A replacement is "drop-in" only if every critical spec is equal or better.
    critical = Boolean(default=False)
    # For quantities: which way is better when grading a replacement ("higher", "lower", "").
    better = Varchar(length=10, default="")
    position = Integer(default=0)

    @classmethod
    def get_readable(cls) -> Readable:
        return Readable(template="%s", columns=[cls.key])


class ProductSpecValue(Table, tablename="product_spec_value"):
    """A product's spec, typed: numbers in base units for quantities and ranges (low == high
    for a quantity), the value's words for enumerations. Kept by services.specs from
    `product.specs`, never edited by hand."""

    product = ForeignKey(references=Product, on_delete=OnDelete.cascade, index=True)
    # The product's category and the spec's name, repeated here so a facet is one index walk.
    category = Integer()
    key = Varchar(length=120)
    low = DoublePrecision(null=True, default=None)
    high = DoublePrecision(null=True, default=None)
    # Pint's base units of low/high ("meter"): only values in the same base units compare.
    base_unit = Varchar(length=80, default="")
    choice = Varchar(length=255, default="")
