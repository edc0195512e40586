"""Catalog states: a product of the test's own (so stock counts don't depend on other tests)."""

from __future__ import annotations

import datetime as dt
import uuid

from okmarts.tables.catalog import Brand, Category, Product


async def new_product(
    stock: int, price_minor: int = 12_500, points_price: int | None = None
) -> dict:
    """A product of the test's own, so stock counts don't depend on other tests."""
    brand = await Brand.select(Brand.id).first()
    category = await Category.select(Category.id).where(Category.parent.is_not_null()).first()
    slug = f"test-part-{uuid.uuid4().hex[:10]}"
    product = Product(
        sku=slug.upper()[:60],
        slug=slug,
        title=f"Test relay {slug[-4:]}",
        brand=brand["id"],
        category=category["id"],
        price_minor=price_minor,
        currency="USD",
        stock=stock,
        weight_grams=400,
        points_price=points_price,
        created_at=dt.datetime.now(dt.UTC),
    )
    await product.save()
    return {"id": product.id, "slug": slug, "title": product.title}


async def stock_of(product_id: int) -> int:
    return (await Product.select(Product.stock).where(Product.id == product_id).first())["stock"]
