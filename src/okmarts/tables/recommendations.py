"""Recommendations: kits (bundles) staff put together, the "often bought together" pair counts
kept from real orders, and the recommendations a signed-in shopper dismissed (personal).
Personal fields are marked `# personal`."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.readable import Readable
from piccolo.table import Table

from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product


class Bundle(Table, tablename="bundle"):
    """A kit: parts (BundlePart) sold together for a kit price or a percentage off."""

    name = Varchar(length=120)
    slug = Varchar(length=140, unique=True)
    description = Text(default="")
    # One of the two: a price for the whole kit (minor units of `currency`), or a whole percent
    # off the parts' prices. Both empty: the kit is shown but costs what its parts cost.
    price_minor = Integer(null=True, default=None)
    percent_off = Integer(null=True, default=None)
    currency = Varchar(length=3, default="USD")
    active = Boolean(default=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())

    @classmethod
    def get_readable(cls) -> Readable:
        return Readable(template="%s", columns=[cls.name])


class BundlePart(Table, tablename="bundle_part"):
    bundle = ForeignKey(references=Bundle, on_delete=OnDelete.cascade, index=True)
    product = ForeignKey(references=Product, on_delete=OnDelete.cascade, index=True)
    quantity = Integer(default=1)
    position = Integer(default=0)


class ProductPair(Table, tablename="product_pair"):
    """How many live orders hold both `product` and `other` (each pair stored both ways, so a
    product's partners are one index range: unique (product, other), index (product, orders)).
    Kept by services.recommendations in the transaction that places or cancels an order."""

    product = ForeignKey(references=Product, on_delete=OnDelete.cascade)
    other = ForeignKey(references=Product, on_delete=OnDelete.cascade, index=True)
    orders = Integer(default=0)


class RecommendationDismissal(Table, tablename="recommendation_dismissal"):
    """A recommendation a signed-in shopper said they don't want to see again."""

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    product = ForeignKey(references=Product, on_delete=OnDelete.cascade)  # personal
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
