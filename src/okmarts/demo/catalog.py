"""Fill an empty catalog with a realistic, deterministic demo catalog of industrial parts.

Beside the products: shipping zones, methods and rates, the demo coupons WELCOME10 and
SAVE20, one automatic discount, and a few cheap products that can be bought with points.

The same (products, seed) always gives the same catalog: every random choice comes from one
`random.Random(seed)` and created_at counts back from a fixed date, never from the clock.

Rows are built as plain tuples and written with multi-row INSERTs on the connection of one
Piccolo transaction (see _BulkWriter): building 100k Piccolo Table objects and inserting them
takes several times as long.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import os
import random
import re
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import anyio
from piccolo.columns import Column

from okmarts.db import is_postgres
from okmarts.demo import datasheets, discontinued
from okmarts.demo.catalog_data import (
    AUTO_DISCOUNTS,
    BRANDS,
    CATALOG,
    CLOSINGS,
    COUPONS,
    PARCEL_MAX_GRAMS,
    SHIPPING_METHODS,
    SHIPPING_RATES,
    SHIPPING_ZONES,
    Kind,
    Subcategory,
    TopCategory,
)
from okmarts.demo.drawings import drawing_name, encode_label
from okmarts.services import specs
from okmarts.services.catalog import build_search_text
from okmarts.services.documents import PDF, documents_dir
from okmarts.settings import data_dir_from_env
from okmarts.tables.catalog import Brand, Category, Product, ProductImage, ProductStatus
from okmarts.tables.checkout import (
    AutoDiscount,
    Coupon,
    ShippingMethod,
    ShippingRate,
    ShippingZone,
)
from okmarts.tables.documents import ProductDocument
from okmarts.tables.recommendations import Bundle, BundlePart

MAX_PRODUCTS = 200_000
# Bound parameters per statement: SQLite allows 32,766 and PostgreSQL 32,767.
MAX_PARAMETERS = 32_000
SQLITE_CACHE_KIB = 128 * 1024
# created_at counts back from here: a fixed instant keeps the catalog reproducible.
BASE_TIME = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
MAX_AGE_SECONDS = 2 * 365 * 24 * 3600
# Part-number look: no I or O, which read as 1 and 0.
SKU_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
SLUG_TITLE_LENGTH = 120
# The cheapest products in stock can also be bought with points ("redeeming" products).
REDEEMABLE_PRODUCTS = 6


PRODUCT_COLUMNS: tuple[Column, ...] = (
    Product.sku,
    Product.slug,
    Product.title,
    Product.description,
    Product.brand,
    Product.category,
    Product.price_minor,
    Product.currency,
    Product.stock,
    Product.weight_grams,
    Product.specs,
    Product.search_text,
    Product.featured,
    Product.created_at,
    Product.status,
    Product.points_price,
)
IMAGE_COLUMNS: tuple[Column, ...] = (
    ProductImage.product,
    ProductImage.path,
    ProductImage.alt,
    ProductImage.width,
    ProductImage.height,
    ProductImage.position,
)


@dataclass
class SeedReport:
    categories: int
    brands: int
    products: int


@dataclass(frozen=True)
class _Planned:
    """A product before insertion: brand and category by name and slug, their ids come later."""

    row: tuple[Any, ...]  # PRODUCT_COLUMNS order, brand name and category slug in the id places
    image_paths: tuple[str, ...]  # one per picture: okmarts.demo.drawings names


async def catalog_is_empty() -> bool:
    for table in (Product, Category, Brand):
        if await table.exists():
            return False
    return True


async def seed_catalog(
    products: int = 500, seed: int = 1, documents_folder: Path | None = None
) -> SeedReport:
    """Create the category tree, the brands and `products` products with their images, and a
    datasheet for every product family (into `documents_folder`, by default the documents
    folder of OKMARTS_DATA_DIR).

    Refuses to touch a catalog that already has data: seeding is for fresh installs and tests.
    Everything happens in one transaction, so a failure leaves the catalog empty.
    """
    if not 1 <= products <= MAX_PRODUCTS:
        raise ValueError(f"products must be between 1 and {MAX_PRODUCTS:,}, got {products}")
    if not await catalog_is_empty():
        raise ValueError("The catalog is not empty: seeding only fills an empty catalog.")

    # Plan outside the transaction: the write lock is held only while rows are sent.
    rng = random.Random(seed)
    planned = _with_points_prices(_plan_products(rng, products))
    defined = discontinued.definitions([item.row for item in planned])
    typed = discontinued.typed([item.row for item in planned], defined)
    # Drawn after every product is planned: the products stay the same for a seed.
    ended = discontinued.discontinued(rng, [item.row for item in planned], defined, typed)
    rows = discontinued.with_status([item.row for item in planned], ended)
    planned = [replace(item, row=row) for item, row in zip(planned, rows, strict=True)]
    # One datasheet per family (40 small PDFs, under a second whatever the number of products),
    # written before the transaction, in a thread: fpdf2 would hold up the event loop.
    folder = documents_folder or documents_dir(data_dir_from_env(os.environ))
    sheets = await anyio.to_thread.run_sync(
        datasheets.write_datasheets, folder, dt.datetime.now(dt.UTC).date()
    )
    db = Product._meta.db
    async with db.transaction() as transaction:
        writer = _BulkWriter(transaction.connection, postgres=is_postgres(db))
        await writer.tune()
        category_ids = await _insert_categories(writer)
        await _insert_datasheets(writer, category_ids, sheets)
        brand_ids = await _insert_brands(writer)
        await writer.insert(
            PRODUCT_COLUMNS, [_with_ids(item.row, brand_ids, category_ids) for item in planned]
        )
        # The catalog was empty, so every product row is one of ours.
        product_ids = await _ids(Product.sku)
        images = [
            (product_ids[item.row[0]], path, item.row[2], 640, 480, position)
            for item in planned
            for position, path in enumerate(item.image_paths)
        ]
        await writer.insert(IMAGE_COLUMNS, images)
        await _insert_typed_specs(writer, planned, defined, typed, product_ids, category_ids)
        await _insert_checkout(writer)
        await _insert_kits(writer, category_ids)
    if not writer.postgres:
        # The transaction went through the write-ahead log, which SQLite reuses but never
        # shrinks by itself: without this a 100k-product seed leaves a ~300 MB -wal file.
        await Product.raw("PRAGMA wal_checkpoint(TRUNCATE)")
    return SeedReport(categories=len(category_ids), brands=len(brand_ids), products=len(planned))


async def _insert_typed_specs(
    writer: _BulkWriter,
    planned: list[_Planned],
    definitions: dict[str, dict[str, specs.Definition]],
    typed: list[list[specs.TypedValue]],
    product_ids: dict[str, int],
    category_ids: dict[str, int],
) -> None:
    """Each category's spec definitions (okmarts.demo.discontinued.definitions: inferred from
    its products, critical ones marked), and every product's specs read through them
    (okmarts.demo.discontinued.typed), written in bulk like the products."""
    await writer.insert(
        specs.DEFINITION_COLUMNS,
        [
            specs.definition_row(category_ids[slug], definition)
            for slug, found in definitions.items()
            for definition in found.values()
        ],
    )
    values = []
    for item, typed_values in zip(planned, typed, strict=True):
        values += specs.value_rows(
            product_ids[item.row[0]], category_ids[item.row[5]], typed_values
        )
    await writer.insert(specs.VALUE_COLUMNS, values)


class _BulkWriter:
    """Multi-row INSERTs on the transaction's own connection (aiosqlite or asyncpg).

    SQL and placeholders are built here rather than by Piccolo's raw(): its QueryString
    compilation of ~30,000 placeholders per statement took longer than the writes themselves.
    Many rows per statement matter on SQLite: FTS5 flushes its pending index at every statement
    boundary, so row-by-row executemany would be several times slower.
    """

    def __init__(self, connection: Any, *, postgres: bool) -> None:
        self.connection = connection
        self.postgres = postgres

    async def tune(self) -> None:
        if not self.postgres:
            # A bigger page cache for this connection only (it is closed after the transaction):
            # fewer index pages are evicted and re-read while 100k rows go in.
            await self.connection.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")

    async def insert(self, columns: Sequence[Column], rows: Sequence[Sequence[Any]]) -> None:
        table = columns[0]._meta.table
        names = ", ".join(f'"{column._meta.db_column_name}"' for column in columns)
        head = f"INSERT INTO {table._meta.get_formatted_tablename()} ({names}) VALUES "
        per_batch = MAX_PARAMETERS // len(columns)
        for start in range(0, len(rows), per_batch):
            batch = rows[start : start + per_batch]
            params = list(itertools.chain.from_iterable(batch))
            if self.postgres:
                numbers = iter(range(1, len(params) + 1))
                groups = (", ".join(f"${next(numbers)}" for _ in columns) for _ in batch)
                await self.connection.execute(
                    head + ", ".join(f"({group})" for group in groups), *params
                )
            else:
                group = "(" + ", ".join("?" for _ in columns) + ")"
                await self.connection.execute(
                    head + ", ".join(itertools.repeat(group, len(batch))), params
                )


def _with_points_prices(planned: list[_Planned]) -> list[_Planned]:
    """Give the cheapest products in stock a points price: at the default rate (100 points
    take 1.00 off) their price in points, rounded up to a whole hundred."""
    price, stock, points = 6, 8, len(PRODUCT_COLUMNS) - 1
    in_stock = [index for index, item in enumerate(planned) if item.row[stock] > 0]
    cheapest = sorted(
        in_stock, key=lambda index: (planned[index].row[price], planned[index].row[0])
    )
    chosen = set(cheapest[:REDEEMABLE_PRODUCTS])
    return [
        replace(item, row=(*item.row[:points], -(-item.row[price] // 100) * 100))
        if index in chosen
        else item
        for index, item in enumerate(planned)
    ]


async def _insert_checkout(writer: _BulkWriter) -> None:
    """Shipping zones, methods and rates, the demo coupons and the automatic discount."""
    await writer.insert(
        (ShippingZone.code, ShippingZone.name, ShippingZone.countries),
        [(code, name, json.dumps(list(countries))) for code, name, countries in SHIPPING_ZONES],
    )
    await writer.insert(
        (ShippingMethod.code, ShippingMethod.name, ShippingMethod.carrier, ShippingMethod.position),
        [
            (code, name, carrier, position)
            for position, (code, name, carrier) in enumerate(SHIPPING_METHODS)
        ],
    )
    zone_ids = await _ids(ShippingZone.code)
    method_ids = await _ids(ShippingMethod.code)
    await writer.insert(
        (
            ShippingRate.method,
            ShippingRate.zone,
            ShippingRate.currency,
            ShippingRate.base_minor,
            ShippingRate.per_kg_minor,
            ShippingRate.free_from_minor,
            ShippingRate.max_weight_grams,
        ),
        [
            (
                method_ids[method],
                zone_ids[zone],
                "USD",
                base,
                per_kg,
                free_from,
                PARCEL_MAX_GRAMS[method],
            )
            for zone, rates in SHIPPING_RATES.items()
            for method, (base, per_kg, free_from) in rates.items()
        ],
    )
    await writer.insert(
        (
            Coupon.code,
            Coupon.kind,
            Coupon.value,
            Coupon.currency,
            Coupon.min_subtotal_minor,
            Coupon.usage_limit,
            Coupon.per_account_limit,
        ),
        [
            (code, kind, value, "USD", minimum, limit, per_account)
            for code, kind, value, minimum, limit, per_account in COUPONS
        ],
    )
    await writer.insert(
        (AutoDiscount.name, AutoDiscount.percent, AutoDiscount.min_subtotal_minor),
        list(AUTO_DISCOUNTS),
    )


# Demo kits (staff make their own in the admin): name, slug, description, kit price as a share of
# the parts' prices (percent of the total, rounded down to whole units) or a percent off, and
# the parts by category, each the category's first product in stock, with its quantity.
DEMO_KITS = (
    (
        "Starter kit",
        "starter-kit",
        "A compact PLC with its power supply, two I/O modules and a control cable: "
        "everything to wire up a first machine.",
        None,
        10,
        (
            ("compact-plcs", 1),
            ("din-rail-power-supplies", 1),
            ("io-modules", 2),
            ("control-cables", 1),
        ),
    ),
    (
        "Modular PLC kit",
        "modular-plc-kit",
        "A modular CPU with four I/O modules, a power supply and a DC UPS to ride through "
        "power cuts.",
        92,
        None,
        (("modular-plc-cpus", 1), ("io-modules", 4), ("din-rail-power-supplies", 1), ("dc-ups", 1)),
    ),
    (
        "Safety kit",
        "safety-kit",
        "A safety controller with the sensor cables to connect it.",
        None,
        5,
        (("safety-controllers", 1), ("sensor-actuator-cables", 2)),
    ),
)


async def _insert_kits(writer: _BulkWriter, category_ids: dict[str, int]) -> None:
    """The demo kits whose categories have a product in stock (a small catalog may have none)."""
    for name, slug, description, share, percent_off, wanted in DEMO_KITS:
        parts = []
        for category, quantity in wanted:
            row = (
                await Product.select(Product.id, Product.price_minor)
                .where(
                    (Product.category == category_ids.get(category, 0))
                    & (Product.stock >= quantity * 2)
                )
                .order_by(Product.id)
                .first()
            )
            if row is None:
                break
            parts.append((row["id"], row["price_minor"], quantity))
        else:
            price_minor = None
            if share is not None:
                total = sum(price * quantity for _, price, quantity in parts)
                price_minor = total * share // 100 // 100 * 100
            await writer.insert(
                (
                    Bundle.name,
                    Bundle.slug,
                    Bundle.description,
                    Bundle.price_minor,
                    Bundle.percent_off,
                    Bundle.currency,
                    Bundle.active,
                    Bundle.created_at,
                ),
                [(name, slug, description, price_minor, percent_off, "USD", True, BASE_TIME)],
            )
            bundle_id = (await _ids(Bundle.slug))[slug]
            await writer.insert(
                (BundlePart.bundle, BundlePart.product, BundlePart.quantity, BundlePart.position),
                [
                    (bundle_id, product_id, quantity, position)
                    for position, (product_id, _, quantity) in enumerate(parts)
                ],
            )


DOCUMENT_COLUMNS: tuple[Column, ...] = (
    ProductDocument.category,
    ProductDocument.kind,
    ProductDocument.title,
    ProductDocument.language,
    ProductDocument.file,
    ProductDocument.content_type,
    ProductDocument.size_bytes,
    ProductDocument.original_name,
    ProductDocument.position,
    ProductDocument.created_at,
)


async def _insert_datasheets(
    writer: _BulkWriter, category_ids: dict[str, int], sheets: dict[str, tuple[str, int]]
) -> None:
    """One document row per family, linked to its category: every product of the family lists
    it (services.documents.for_product reads a product's own documents and its category's in
    one query). Not a row per product: 200,000 products would mean 200,000 rows, a bigger
    database and a slower seed, all for the same 40 files; nor a route made up from the product
    alone: staff can replace a family's datasheet, or add a category-wide certificate, in the
    admin like any other document."""
    rows = []
    for family, _top in datasheets.families():
        key, size = sheets[family.slug]
        rows.append(
            (
                category_ids[family.slug],
                "datasheet",
                datasheets.title(family),
                "en",
                key,
                PDF,
                size,
                datasheets.download_name(family),
                0,
                BASE_TIME,
            )
        )
    await writer.insert(DOCUMENT_COLUMNS, rows)


def _with_ids(
    row: tuple[Any, ...], brands: dict[str, int], categories: dict[str, int]
) -> tuple[Any, ...]:
    return (*row[:4], brands[row[4]], categories[row[5]], *row[6:])


async def _insert_categories(writer: _BulkWriter) -> dict[str, int]:
    """Insert the tree top level first (children need their parent's id); return ids by slug."""
    columns = (
        Category.name,
        Category.slug,
        Category.parent,
        Category.position,
        Category.description,
    )
    await writer.insert(
        columns,
        [(top.name, top.slug, None, index, top.description) for index, top in enumerate(CATALOG)],
    )
    ids = await _ids(Category.slug)
    children = [
        (sub.name, sub.slug, ids[top.slug], index, "")
        for top in CATALOG
        for index, sub in enumerate(top.children)
    ]
    await writer.insert(columns, children)
    return await _ids(Category.slug)


async def _insert_brands(writer: _BulkWriter) -> dict[str, int]:
    await writer.insert(
        (Brand.name, Brand.slug, Brand.country),
        [(name, slugify(name), country) for name, country in BRANDS],
    )
    return await _ids(Brand.name)


async def _ids(key: Column) -> dict[str, int]:
    table = key._meta.table
    rows = await table.select(table._meta.primary_key, key)
    return {row[key._meta.name]: row[table._meta.primary_key._meta.name] for row in rows}


def _plan_products(rng: random.Random, count: int) -> list[_Planned]:
    kinds = [
        (kind, tuple(kind.makers), sub, top)
        for top in CATALOG
        for sub in top.children
        for kind in sub.kinds
    ]
    # ~5%, and at least 8 so the home page's featured shelf is full even for small catalogs.
    featured = set(rng.sample(range(count), min(count, max(8, round(count * 0.05)))))
    seen: set[str] = set()
    planned = []
    for index in range(count):
        kind, makers, sub, top = rng.choice(kinds)
        brand = rng.choice(makers)
        planned.append(_plan_one(rng, kind, sub, top, brand, index in featured, seen))
    return planned


def _plan_one(
    rng: random.Random,
    kind: Kind,
    sub: Subcategory,
    top: TopCategory,
    brand: str,
    featured: bool,
    seen: set[str],
) -> _Planned:
    values: dict[str, str] = {}
    specs: list[list[str]] = []
    if kind.ladder is not None:
        rows = kind.ladder.rows
        step = rng.randrange(len(rows))
        # Position along the ladder (0 = smallest) scales price and weight.
        size = step / (len(rows) - 1) if len(rows) > 1 else 0.5
        for (key, name), value in zip(kind.ladder.columns, rows[step], strict=True):
            values[name] = value
            if key is not None:
                specs.append([key, value])
    else:
        size = rng.random()
    for spec in kind.specs:
        value = rng.choice(spec.values)
        values[spec.name] = value
        specs.append([spec.key, value])

    title = f"{brand} {kind.title.format_map(values)}"
    title_slug = slugify(title)[:SLUG_TITLE_LENGTH].rstrip("-")
    sku, slug = _unique_sku(rng, kind.makers[brand], values, title_slug, seen)
    closing = rng.choice(CLOSINGS)
    description = kind.description.format_map(values) + (f" {closing}" if closing else "")
    price = _price(rng, kind.price, size)
    stock = _stock(rng)
    if price >= 100_000:
        stock = math.ceil(stock / 10)  # nobody stocks thousands of $1,000+ drives
    if featured and stock == 0:
        stock = rng.randint(5, 60)  # a featured product that cannot be bought looks broken
    row = (
        sku,
        slug,
        title,
        description,
        brand,
        sub.slug,
        price,
        "USD",
        stock,
        max(1, round(_scaled(kind.weight, size) * rng.uniform(0.9, 1.1))),
        json.dumps(specs, ensure_ascii=False),
        build_search_text(brand, sub.name, specs, description),
        featured,
        BASE_TIME - dt.timedelta(seconds=rng.randrange(MAX_AGE_SECONDS)),
        ProductStatus.active.value,  # a few are discontinued later: okmarts.demo.discontinued
        None,  # points price: see _with_points_prices
    )
    images = 1 + int(rng.random() < 0.5) + int(rng.random() < 0.2)  # 40 % one, 50 % two, 10 % three
    paths = _drawing_names(kind, sub, brand, values, size, sku, images)
    return _Planned(row=row, image_paths=paths)


def _unique_sku(
    rng: random.Random, pattern: str, values: dict[str, str], title_slug: str, seen: set[str]
) -> tuple[str, str]:
    """A part number from the maker's pattern and the product slug that ends with it.

    Both must be unique, and the SKU also once slugified: "AB 1" and "AB-1" would give one slug.
    `seen` holds both kinds of keys; a clash between the two only costs a retry.
    """
    candidates = (_fill_pattern(rng, pattern).format_map(values) for _ in range(50))
    sku = ""
    for sku in candidates:
        if claimed := _claim(sku, title_slug, seen):
            return sku, claimed
    # A pattern crowded by a huge catalog: a variant suffix, still deterministic.
    for variant in itertools.count(2):
        if claimed := _claim(f"{sku}-{variant}", title_slug, seen):
            return f"{sku}-{variant}", claimed
    raise AssertionError("unreachable")


def _claim(sku: str, title_slug: str, seen: set[str]) -> str | None:
    key = slugify(sku)
    slug = f"{title_slug}-{key}"
    if key in seen or slug in seen:
        return None
    seen.update((key, slug))
    return slug


def _fill_pattern(rng: random.Random, pattern: str) -> str:
    return "".join(
        str(rng.randrange(10)) if char == "#" else rng.choice(SKU_LETTERS) if char == "@" else char
        for char in pattern
    )


def _scaled(bounds: tuple[int, int], size: float) -> float:
    """Geometric interpolation: prices and weights grow by factors, not by steps."""
    low, high = bounds
    return low * math.pow(high / low, size)


def _price(rng: random.Random, bounds: tuple[int, int], size: float) -> int:
    cents = _scaled(bounds, size) * rng.uniform(0.9, 1.1)
    # Shop-like prices: whole dimes below $100, whole dollars above.
    unit = 10 if cents < 10_000 else 100
    return max(unit, round(cents / unit) * unit)


def _stock(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.10:
        return 0
    if roll < 0.70:
        return rng.randint(1, 50)
    if roll < 0.95:
        return rng.randint(51, 500)
    return rng.randint(501, 5_000)


def slugify(text: str) -> str:
    """ASCII lowercase words joined by hyphens: "Weidmüller" -> "weidmuller"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


# -- Drawings (okmarts.demo.drawings) -----------------------------------------------------------
# Per subcategory: the shape, and how its count, variant and colour follow from the product's
# values. Nothing here draws on the random generator: the catalog stays the same for a seed,
# and each drawing follows from the product it shows.

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _first_number(text: str, default: float = 0) -> float:
    match = _NUMBER.search(text)
    return float(match[0]) if match else default


def _index(value: str, choices: Sequence[str]) -> int:
    return choices.index(value) if value in choices else 0


def _pins(connection: str) -> int:
    """Connector pins from "M12 connector, 4-pin"; 0 for a cable."""
    match = re.search(r"(\d+)-pin", connection)
    return int(match[1]) if match else 0


def _colour_named(name: str, default: int) -> int:
    for word, colour in (
        ("green-yellow", 5),
        ("green", 4),
        ("teal", 8),
        ("black", 7),
        ("blue", 3),
        ("grey", 1),
        ("transparent", 9),
        ("silver", 0),
        ("PUR", 6),
        ("PVC", 1),
    ):
        if word in name:
            return colour
    return default


def _poles(value: str) -> int:
    """ "3P+N" -> 4, "1P" -> 1, "1-pole" -> 1."""
    return int(_first_number(value, 1)) + ("+N" in value)


_DrawingRule = tuple[str, Any]  # shape, values -> (count, variant, colour or None)
DRAWING_RULES: dict[str, _DrawingRule] = {
    "compact-plcs": ("module", lambda v: (int(v["di"]) + int(v["do"]), 0, None)),
    "modular-plc-cpus": ("module", lambda v: (int(v["slots"]) // 4, 1, 2)),
    "io-modules": ("module", lambda v: (int(v["channels"]), 0, None)),
    "safety-controllers": ("module", lambda v: (int(v["di"]), 6, 5)),
    "frequency-inverters": (
        "drive",
        lambda v: (6 if v["input"].startswith("3") else 4, 0, None),
    ),
    "servo-drives": ("drive", lambda v: (4, 1, 2)),
    "servo-motors": ("motor", lambda v: (int(v["brake"] == "with brake"), 1, 7)),
    "ac-induction-motors": (
        "motor",
        lambda v: (0, 0, 3 + _index(v["efficiency"], ("IE2", "IE3", "IE4"))),
    ),
    "soft-starters": ("drive", lambda v: (6, 2, 1)),
    "proximity-sensors": (
        "barrel",
        lambda v: (_pins(v["connection"]), int("distance" not in v or "mount" not in v), 0),
    ),
    "photoelectric-sensors": (
        "boxsensor",
        lambda v: (
            _pins(v["connection"]),
            _index(
                v["mode"], ("Diffuse", "Retro-reflective", "Through-beam", "Background suppression")
            ),
            None,
        ),
    ),
    "pressure-sensors": ("probe", lambda v: (0, 0, None)),
    "temperature-sensors": ("probe", lambda v: (int(_first_number(v["length"])) // 10, 1, 1)),
    "rotary-encoders": (
        "encoder",
        lambda v: (
            min(64, 8 + int(_first_number(v["resolution"])) // 100),
            2 * ("hollow" in v["shaft"]),
            None,
        ),
    ),
    "touch-panels": ("screen", lambda v: (0, 0, 2)),
    "panel-pcs": ("screen", lambda v: (0, 1, 1)),
    "panel-meters": ("screen", lambda v: (int(v["digits"]), 2, 7)),
    "contactors": ("module", lambda v: (3 + len(v["aux"].split("+")), 7, None)),
    "interface-relays": ("module", lambda v: (3 * int(_first_number(v["contacts"], 1)), 0, None)),
    "solid-state-relays": ("module", lambda v: (2 * _poles(v["poles"]), 4, 2)),
    "timer-relays": ("module", lambda v: (3 * int(_first_number(v["contacts"], 1)), 3, None)),
    "overload-relays": ("module", lambda v: (3, 3, 1)),
    "sensor-actuator-cables": (
        "cable",
        lambda v: (
            int(_first_number(v["cores"], 4)),
            1 if "angled" in v["connector"] else 2 if v["connector"].startswith("M8") else 0,
            _colour_named(v["sheath"], 6),
        ),
    ),
    "control-cables": (
        "drum",
        lambda v: (int(_first_number(v["cores"], 3)), 0, _colour_named(v["sheath"], 1)),
    ),
    "industrial-ethernet-cables": (
        "cable",
        lambda v: (
            4 if v["category"] == "Cat 5e" else 8,
            {"RJ45 to RJ45": 3, "M12 D-coded to M12 D-coded": 0}.get(v["connector"], 4),
            _colour_named(v["color"], 4),
        ),
    ),
    "terminal-blocks": (
        "terminals",
        lambda v: (
            int(v["pack"]) // 10,
            _index(v["type"], ("Feed-through", "Ground (PE)", "Double-level", "Fuse")),
            _colour_named(v["color"], 1),
        ),
    ),
    "heavy-duty-connectors": (
        "connector",
        lambda v: (
            int(_first_number(v["contacts"], 6)) + 1,
            _index(
                v["housing"],
                (
                    "hood, top entry, M25",
                    "bulkhead housing, single lever",
                    "surface-mount housing, double lever",
                ),
            ),
            1,
        ),
    ),
    "din-rail-power-supplies": ("module", lambda v: (5, 5, None)),
    "dc-ups": ("module", lambda v: (4, 0, 2)),
    "dc-dc-converters": ("module", lambda v: (4, 5, 1)),
    "control-transformers": (
        "transformer",
        lambda v: (2 if v["secondary"].startswith("2") else 1, 0, None),
    ),
    "miniature-circuit-breakers": ("module", lambda v: (_poles(v["poles"]), 2, 0)),
    "residual-current-devices": ("module", lambda v: (_poles(v["poles"]), 2, 9)),
    "motor-protection-circuit-breakers": ("module", lambda v: (3, 3, 2)),
    "fuses": (
        "fuse",
        lambda v: (3, 0, (5, 3, 4)[_index(v["category"], ("gG", "aM", "gPV"))]),
    ),
    "surge-protection": ("module", lambda v: (_poles(v["poles"]), 4, 1)),
    "pneumatic-cylinders": (
        "cylinder",
        lambda v: (
            int(_first_number(v["stroke"])) // 5,
            _index(v["standard"], ("ISO 15552", "ISO 6432", "ISO 21287")),
            0,
        ),
    ),
    "solenoid-valves": (
        "valve",
        lambda v: (
            2 if "bistable" in v["function"] else 3 if v["function"].startswith("3/2") else 1,
            _index(v["connection"], ("plug socket form C", "M8 connector", "plug socket form A")),
            7 if "DC" in v["coil"] else 3,
        ),
    ),
    "air-preparation-units": (
        "airunit",
        lambda v: (
            3 if "lubricator" in v["components"] else 2 if "shut-off" in v["components"] else 1,
            0,
            1,
        ),
    ),
}


def _drawing_names(
    kind: Kind,
    sub: Subcategory,
    brand: str,
    values: dict[str, str],
    size: float,
    sku: str,
    images: int,
) -> tuple[str, ...]:
    """The names of the product's pictures: its drawing seen from the front, the side and its
    rating plate (okmarts.demo.drawings renders them)."""
    if sub.slug == "tubing-fittings":
        if "material" in values:  # tubing, else a push-in fitting
            shape, count, variant = "tubing", int(_first_number(values["length"])), 0
            colour: int | None = _colour_named(values["color"], 3)
        else:
            shape, count, colour = "fitting", 1, 1
            variant = _index(values["type"], ("Straight", "Elbow", "Tee", "Y-connector"))
    else:
        shape, rule = DRAWING_RULES[sub.slug]
        count, variant, colour = rule(values)
    if colour is None:
        # The maker's usual housing colour: light grey, mid grey, anthracite or blue.
        colour = (0, 1, 2, 3, 8)[zlib.crc32(brand.encode()) % 5]
    # What the part is, after the kind's own words: "7.5 kW, 3-phase 380–480 V AC".
    rating = kind.title.format_map(values)[len(kind.title.split("{", 1)[0]) :].lstrip(", ")
    label = encode_label(sku[:24], rating[:34])
    step = round(size * 9)
    return tuple(
        drawing_name(shape, count, step, colour, variant, view, label) for view in range(images)
    )
