"""Comparing up to four products side by side: which ones the URL asks for, their specifications
aligned by name, and which rows differ. No HTTP here: the controller reads the URL.

The selection lives in the URL only (`/compare?p=<slug>&p=<slug>…`). Unknown slugs, the same
slug twice and parts beyond MAX_COMPARED are left out, and the comparison says which.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from okmarts.services.catalog import ProductCard, with_first_images
from okmarts.tables.catalog import Product

MAX_COMPARED = 4
# At most this many distinct `p` values are looked at (a URL may carry thousands): the rest are
# left out as extras, unread.
MAX_ASKED = 20
MAX_SLUG_LENGTH = 200
# The facts every product has, each a row of the table (their order is the table's).
FACTS = ("price", "stock", "brand", "sku", "category")
LOW_STOCK = 10  # as the product page: "Only 7 left in stock" up to here

# Dashes and minus signs written many ways ("0–10 V", "0‑10 V", "0−10 V") read as one.
_DASHES = re.compile(r"[\u2010-\u2015\u2212\u2043\ufe58\ufe63\uff0d]")
_SPACES = re.compile(r"\s+")


@dataclass
class ComparedProduct(ProductCard):
    """A product card with what the comparison adds: its category and its specifications."""

    category_name: str = ""
    category_slug: str = ""
    specs: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True)
class Selection:
    """What the URL asks for, before the database is asked: distinct slugs in order."""

    slugs: tuple[str, ...]
    duplicates: bool = False  # a slug came more than once (shown once)
    unread: int = 0  # distinct slugs beyond MAX_ASKED, left out unread


@dataclass(frozen=True)
class SpecRow:
    key: str  # the spec's name as the first product that has it writes it (an English msgid)
    values: tuple[str | None, ...]  # one per product, None where a product has no such spec
    shared: bool  # every product has it
    differs: bool


@dataclass
class Comparison:
    products: list[ComparedProduct]
    specs: list[SpecRow]
    facts_differ: dict[str, bool]
    missing: tuple[str, ...] = ()  # asked for, no such product
    duplicates: bool = False
    dropped: int = 0  # products beyond MAX_COMPARED (and unread slugs), left out

    @property
    def slugs(self) -> list[str]:
        return [product.slug for product in self.products]

    @property
    def full(self) -> bool:
        return len(self.products) >= MAX_COMPARED

    def spec_rows(self, only_differences: bool) -> list[SpecRow]:
        return [row for row in self.specs if row.differs or not only_differences]

    def facts(self, only_differences: bool) -> list[str]:
        return [fact for fact in FACTS if self.facts_differ[fact] or not only_differences]

    @property
    def differences(self) -> int:
        """How many rows differ (facts and specifications)."""
        return sum(self.facts_differ.values()) + sum(row.differs for row in self.specs)


# --- Rules (no database) ---------------------------------------------------------------------


def parse_selection(values: Iterable[str]) -> Selection:
    """The distinct slugs asked for, in order; blanks are skipped."""
    seen: dict[str, None] = {}
    duplicates = False
    unread = 0
    for raw in values:
        slug = raw.strip()
        if not slug:
            continue
        if slug in seen:
            duplicates = True
        elif len(seen) < MAX_ASKED:
            seen[slug] = None
        else:
            unread += 1
    return Selection(tuple(seen), duplicates, unread)


def normalise(value: str) -> str:
    """A value as the difference check reads it: case, spacing and the kind of dash don't
    count ("24 V DC" = "24V dc", "0–10 V" = "0-10 V")."""
    text = unicodedata.normalize("NFKC", value)
    text = _DASHES.sub("-", text)
    return _SPACES.sub("", text).casefold()


def _spec_map(specs: Sequence[Sequence[str]]) -> dict[str, tuple[str, str]]:
    """A product's specs by normalised name: (name as written, value). A name given twice
    shows both values."""
    found: dict[str, tuple[str, str]] = {}
    for pair in specs:
        if len(pair) != 2:
            continue
        key, value = str(pair[0]), str(pair[1])
        name = _SPACES.sub(" ", key).strip().casefold()
        if not name:
            continue
        if name in found:
            first_key, first_value = found[name]
            found[name] = (first_key, f"{first_value}, {value}")
        else:
            found[name] = (key.strip(), value)
    return found


def _differ(values: Sequence[Any]) -> bool:
    """Values differ when there are two products or more and not all read the same."""
    return len(values) > 1 and len(set(values)) > 1


def align_specs(products_specs: Sequence[Sequence[Sequence[str]]]) -> list[SpecRow]:
    """Rows of specifications, one per name any product has: the names every product shares
    first (in the first product's order), then the others in the order they first appear,
    column by column. A row differs when its values (normalised) are not all the same, or some
    products lack it."""
    maps = [_spec_map(specs) for specs in products_specs]
    order: dict[str, str] = {}
    for spec_map in maps:
        for name, (key, _) in spec_map.items():
            order.setdefault(name, key)
    shared = [name for name in order if all(name in spec_map for spec_map in maps)]
    others = [name for name in order if name not in set(shared)]
    rows = []
    for name in shared + others:
        values = tuple(spec_map[name][1] if name in spec_map else None for spec_map in maps)
        compared = [normalise(value) if value is not None else None for value in values]
        rows.append(SpecRow(order[name], values, name in shared, _differ(compared)))
    return rows


def stock_state(stock: int) -> tuple[str, int]:
    """Stock as the page shows it: in stock, only N left, or out of stock."""
    if stock <= 0:
        return ("out", 0)
    if stock <= LOW_STOCK:
        return ("low", stock)
    return ("in", 0)


def facts_differ(products: Sequence[ComparedProduct]) -> dict[str, bool]:
    return {
        "price": _differ([(p.price_minor, p.currency) for p in products]),
        "stock": _differ([stock_state(p.stock) for p in products]),
        "brand": _differ([normalise(p.brand_name) for p in products]),
        "sku": _differ([normalise(p.sku) for p in products]),
        "category": _differ([p.category_slug for p in products]),
    }


def compare(selection: Selection, found: Sequence[ComparedProduct]) -> Comparison:
    """The comparison of the products found for a selection: the first MAX_COMPARED known
    ones, in the order asked."""
    by_slug = {product.slug: product for product in found}
    known = [by_slug[slug] for slug in selection.slugs if slug in by_slug]
    missing = tuple(slug for slug in selection.slugs if slug not in by_slug)
    shown = known[:MAX_COMPARED]
    return Comparison(
        products=shown,
        specs=align_specs([product.specs for product in shown]),
        facts_differ=facts_differ(shown),
        missing=missing,
        duplicates=selection.duplicates,
        dropped=len(known) - len(shown) + selection.unread,
    )


def part_reference(text: str) -> str:
    """What the shopper typed to add a part, as a SKU or a slug: a pasted product address
    gives its slug ("https://…/products/abc?x=1" -> "abc")."""
    text = " ".join(text.split())
    if "/products/" in text:
        text = text.split("/products/", 1)[1]
        text = re.split(r"[/?#]", text, maxsplit=1)[0]
    return text[:MAX_SLUG_LENGTH]


# --- Reads -----------------------------------------------------------------------------------

_COMPARED_SQL = (
    "SELECT p.id, p.slug, p.title, p.sku, p.price_minor, p.currency, p.stock, "
    "b.name AS brand_name, c.name AS category_name, c.slug AS category_slug, p.specs "
    "FROM product p JOIN brand b ON b.id = p.brand JOIN category c ON c.id = p.category"
)


async def load_products(slugs: Sequence[str]) -> list[ComparedProduct]:
    """The products of these slugs with brand, category and first image: two queries, however
    many (at most MAX_ASKED slugs are read)."""
    wanted = [slug for slug in slugs if len(slug) <= MAX_SLUG_LENGTH][:MAX_ASKED]
    if not wanted:
        return []
    marks = ", ".join("{}" for _ in wanted)
    rows = await Product.raw(f"{_COMPARED_SQL} WHERE p.slug IN ({marks})", *wanted)
    products = []
    for row in rows:
        specs = row.pop("specs")
        if isinstance(specs, str):  # SQLite and asyncpg hand JSON back as text
            specs = json.loads(specs)
        pairs = [list(pair) for pair in specs or [] if isinstance(pair, list | tuple)]
        products.append(ComparedProduct(**row, specs=pairs))
    return await with_first_images(products)


async def load_comparison(values: Iterable[str]) -> Comparison:
    """The comparison the URL's `p` values ask for."""
    selection = parse_selection(values)
    return compare(selection, await load_products(selection.slugs))


async def find_part(text: str) -> str | None:
    """The slug of the product a shopper names by SKU (any case) or slug, or None."""
    reference = part_reference(text)
    if not reference:
        return None
    rows = await Product.raw(
        "SELECT slug, CASE WHEN sku = {} OR sku = {} THEN 0 ELSE 1 END AS rank FROM product "
        "WHERE sku = {} OR sku = {} OR slug = {} ORDER BY rank LIMIT 1",
        reference,
        reference.upper(),
        reference,
        reference.upper(),
        reference.lower(),
    )
    return str(rows[0]["slug"]) if rows else None
