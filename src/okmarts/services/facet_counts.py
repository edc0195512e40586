"""Spec facet counts: how many products each value of a spec would list (services.facets).

The typed values of the categories in view are kept per worker as sets of products per (key,
choice); a facet's counts are then set arithmetic, a few milliseconds whatever the filters.
Counts are disjunctive: a spec's values are counted with every filter but its own.

A set of products is the bits of one integer (`Products`), not a Python set: at 200,000
products one costs at most 25 KB however many it holds (a set of 28,000 ids took ~2 MB, and
the kept sets of a few categories pushed a worker past its memory budget, issue 15), and
intersecting and counting are single C operations on those bits.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from okmarts.db import is_postgres
from okmarts.services import specs as spec_rules
from okmarts.services import units
from okmarts.services.facets import (
    CHOICE_KINDS,
    STAMP_SQL,
    BoundsFilter,
    ChoiceFilter,
    FacetSpec,
    SpecFilter,
    SpecsInView,
    id_list,
    slug_of,
)
from okmarts.tables.catalog import ProductSpecValue

# --- Sets of products ------------------------------------------------------------------------


class Products:
    """A set of product ids as the bits of an integer: bit n set = product n in the set."""

    __slots__ = ("bits",)

    def __init__(self, bits: int = 0) -> None:
        self.bits = bits

    @classmethod
    def of(cls, ids: Iterable[int]) -> Products:
        ids = [int(i) for i in ids]
        if not ids:
            return cls()
        buffer = bytearray((max(ids) >> 3) + 1)
        for product_id in ids:
            buffer[product_id >> 3] |= 1 << (product_id & 7)
        return cls(int.from_bytes(buffer, "little"))

    @classmethod
    def parse(cls, joined: str | None) -> Products:
        """From the database's comma-joined ids (group_concat / string_agg)."""
        return cls.of(int(part) for part in (joined or "").split(",") if part)

    def __and__(self, other: Products) -> Products:
        return Products(self.bits & other.bits)

    def __or__(self, other: Products) -> Products:
        return Products(self.bits | other.bits)

    def __len__(self) -> int:
        return self.bits.bit_count()

    def __contains__(self, product_id: int) -> bool:
        return product_id >= 0 and bool(self.bits >> product_id & 1)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Products) and other.bits == self.bits

    def __hash__(self) -> int:
        return hash(self.bits)


# --- Facets --------------------------------------------------------------------------------


@dataclass
class ChoiceCount:
    value: str
    count: int
    chosen: bool
    id: str  # for the checkbox's id: stable while the counts change


@dataclass
class Facet:
    spec: FacetSpec
    choices: list[ChoiceCount] = field(default_factory=list)
    # The bounds of the current results (other specs' filters applied, not this one's), in the
    # display unit: the boxes' placeholders.
    low: float | None = None
    high: float | None = None
    filtered: bool = False

    @property
    def low_text(self) -> str:
        return "" if self.low is None else f"{self.low:g}"

    @property
    def high_text(self) -> str:
        return "" if self.high is None else f"{self.high:g}"


def _choice_id(slug: str, value: str) -> str:
    return f"spec-{slug}-{slug_of(value)}"


# The typed values of the categories in view, as sets of products per (key, choice): counting
# a facet is then set arithmetic in Python, a few milliseconds, whatever the filters. Kept per
# worker for the last few category sets, checked at every use against a stamp read from two
# primary keys: the highest product_spec_value id (`specs.index_products` rewrites a product's
# rows, so an edit of specs or category, or a new product, raises it) and the highest
# catalog_change id (a deleted product is logged there).
_INDEX_SLOTS = 8
_indexes: dict[tuple[int, ...], tuple[tuple[int, int], dict[str, dict[str, Products]]]] = {}


async def _values_index(
    category_ids: Sequence[int], keys: Sequence[str], stamp: tuple[int, int] | None
) -> dict[str, dict[str, Products]]:
    cats = tuple(sorted(set(category_ids)))
    in_cats = f"category IN ({id_list(cats)})"
    stamp = stamp or await read_stamp()
    kept = _indexes.get(cats)
    if kept is not None and kept[0] == stamp:
        if all(key in kept[1] for key in keys):
            return kept[1]
        keys = sorted(set(keys) | set(kept[1]))  # what others asked for too
    ids = _joined_ids("product")
    marks = ", ".join("{}" for _ in keys)
    found: dict[str, dict[str, Products]] = {key: {} for key in keys}
    for row in await ProductSpecValue.raw(
        f"SELECT key, choice, {ids} AS ids FROM product_spec_value "
        f"WHERE {in_cats} AND key IN ({marks}) GROUP BY key, choice",
        *keys,
    ):
        found[row["key"]][row["choice"]] = Products.parse(row["ids"])
    if len(_indexes) >= _INDEX_SLOTS:
        _indexes.pop(next(iter(_indexes)))
    _indexes.pop(cats, None)
    _indexes[cats] = (stamp, found)
    return found


def _joined_ids(column: str) -> str:
    """SQL aggregating a column's ids into one comma-joined text (read by Products.parse)."""
    if is_postgres(ProductSpecValue._meta.db):
        return f"string_agg({column}::text, ',')"
    return f"group_concat({column})"


async def read_stamp() -> tuple[int, int]:
    rows = await ProductSpecValue.raw(f"SELECT {STAMP_SQL}")
    return (int(rows[0]["stamp_values"] or 0), int(rows[0]["stamp_changes"] or 0))


# The products a listing's other filters allow (in stock, a brand, a price range), kept like
# the values: a product's stock crossing zero, its price, brand or category are all logged in
# catalog_change (the stamp's second half), a new product has new values (its first).
_ALLOWED_SLOTS = 32
_allowed_sets: dict[tuple[Any, ...], Products] = {}


async def _allowed(
    category_ids: Sequence[int],
    clauses: Sequence[str],
    args: Sequence[Any],
    stamp: tuple[int, int] | None,
) -> Products:
    key = (tuple(sorted(set(category_ids))), tuple(clauses), tuple(map(repr, args)), stamp)
    if stamp is not None and key in _allowed_sets:
        return _allowed_sets[key]
    ids = _joined_ids("p.id")
    rows = await ProductSpecValue.raw(
        f"SELECT {ids} AS ids FROM product p WHERE p.category IN ({id_list(category_ids)}) AND "
        + " AND ".join(clauses),
        *args,
    )
    found = Products.parse(rows[0]["ids"])
    if stamp is not None:
        if len(_allowed_sets) >= _ALLOWED_SLOTS:
            _allowed_sets.pop(next(iter(_allowed_sets)))
        _allowed_sets[key] = found
    return found


def forget_indexes() -> None:
    _indexes.clear()
    _allowed_sets.clear()
    _brand_sets.clear()


def _matches(spec_filter: SpecFilter, value: str) -> bool:
    """Whether a value as written passes a filter (the same test as `filter_sql`). The values
    indexed fit their definition already (`specs.index_products`): a number is read as such."""
    if isinstance(spec_filter, ChoiceFilter):
        return value in spec_filter.choices
    count = units.parse_count(value)
    measure = units.parse_measure(value) if count is None else None
    low, high = (
        (count, count)
        if count is not None
        else (measure.low, measure.high)
        if measure
        else (None, None)
    )
    if low is None or high is None:
        return False
    if isinstance(spec_filter, BoundsFilter):
        return (spec_filter.low is None or low >= spec_filter.low) and (
            spec_filter.high is None or low <= spec_filter.high
        )
    return low <= spec_filter.value <= high


def _passing(
    index: dict[str, dict[str, Products]], filters: Iterable[SpecFilter]
) -> dict[str, Products]:
    """Each filter's products, by its spec's key."""
    return {
        spec_filter.key: reduce(
            operator.or_,
            (
                products
                for value, products in index.get(spec_filter.key, {}).items()
                if _matches(spec_filter, value)
            ),
            Products(),
        )
        for spec_filter in filters
    }


# Each brand's products in the categories in view, with the brand's slug and name: a listing
# with spec filters counts its results by brand from these sets, kept like the values (a
# product's brand or category changing, a brand renamed: all logged in catalog_change).
_BRAND_SLOTS = 8
_brand_sets: dict[tuple[Any, ...], list[tuple[str, str, Products]]] = {}


async def _brands(
    category_ids: Sequence[int], stamp: tuple[int, int]
) -> list[tuple[str, str, Products]]:
    key = (tuple(sorted(set(category_ids))), stamp)
    if key in _brand_sets:
        return _brand_sets[key]
    ids = _joined_ids("p.id")
    rows = await ProductSpecValue.raw(
        f"SELECT b.slug, b.name, c.ids FROM (SELECT p.brand, {ids} AS ids FROM product p "
        f"WHERE p.category IN ({id_list(category_ids)}) GROUP BY p.brand) AS c "
        "JOIN brand b ON b.id = c.brand"
    )
    found = [(row["slug"], row["name"], Products.parse(row["ids"])) for row in rows]
    if len(_brand_sets) >= _BRAND_SLOTS:
        _brand_sets.pop(next(iter(_brand_sets)))
    _brand_sets[key] = found
    return found


async def count_by_brand(
    filters: Sequence[SpecFilter],
    category_ids: Sequence[int],
    other_clauses: Sequence[str] = (),
    other_args: Sequence[Any] = (),
) -> list[tuple[str, str, int]]:
    """How many products pass the spec filters and the listing's other filters (the brand
    filter left out), by brand: (slug, name, count), brands with none left out. One small query
    (the stamp) when the sets are kept; the count of a spec-filtered listing, for any size."""
    stamp = await read_stamp()
    index = await _values_index(category_ids, sorted({f.key for f in filters}), stamp)
    matching: Products | None = None
    for products in _passing(index, filters).values():
        matching = products if matching is None else matching & products
    if other_clauses:
        allowed = await _allowed(category_ids, other_clauses, other_args, stamp)
        matching = allowed if matching is None else matching & allowed
    found = []
    for slug, name, products in await _brands(category_ids, stamp):
        count = len(products) if matching is None else len(products & matching)
        if count:
            found.append((slug, name, count))
    return found


async def compute(
    in_view: SpecsInView,
    filters: Sequence[SpecFilter],
    category_ids: Sequence[int],
    other_clauses: Sequence[str] = (),
    other_args: Sequence[Any] = (),
    among: Iterable[int] | None = None,
) -> list[Facet]:
    """Each spec's values among the products the listing's filters allow, with counts; a spec
    with a filter is counted without it (disjunctive). At most two small queries, whatever the
    filters: the values, when their stamp (read with the definitions) changed, and the products
    the listing's other filters (brand, price, stock) allow, if any; the rest is set arithmetic.
    `among`: only these products (search's matches), known already."""
    specs = in_view.specs
    if not specs or not category_ids:
        return []
    by_key = {spec.key: spec for spec in specs}
    index = await _values_index(category_ids, list(by_key), in_view.stamp)
    allowed = None if among is None else Products.of(among)
    if other_clauses:
        found = await _allowed(category_ids, other_clauses, other_args, in_view.stamp)
        allowed = found if allowed is None else allowed & found
    filtered = {f.key: f for f in filters if f.key in by_key}
    passing = _passing(index, filtered.values())
    facets = []
    for spec in specs:
        among = allowed
        for key, products in passing.items():
            if key != spec.key:
                among = products if among is None else among & products
        counts = [
            (value, len(products) if among is None else len(products & among))
            for value, products in index.get(spec.key, {}).items()
        ]
        facet = _facet(spec, counts, filtered.get(spec.key))
        if facet is not None:
            facets.append(facet)
    return facets


def _facet(spec: FacetSpec, counts: list[tuple[str, int]], own: SpecFilter | None) -> Facet | None:
    """A spec's facet from its values' counts; None when it would not split the results."""
    facet = Facet(spec, filtered=own is not None)
    if spec.kind in CHOICE_KINDS:
        chosen = set(own.choices) if isinstance(own, ChoiceFilter) else set()
        seen = {value: count for value, count in counts if count > 0}
        for value in chosen - set(seen):
            seen[value] = 0  # still shown, so it can be unticked
        facet.choices = [
            ChoiceCount(value, count, value in chosen, _choice_id(spec.slug, value))
            for value, count in sorted(seen.items(), key=lambda item: _natural(item[0]))
        ]
        if len(facet.choices) < 2 and not chosen:
            return None
        return facet
    lows, highs = [], []
    definition = spec.definition()
    for value, count in counts:
        try:
            typed = spec_rules.typed_value(definition, value)
        except (spec_rules.SpecInvalid, units.UnitError):
            continue
        if count > 0 and typed.low is not None and typed.high is not None:
            lows.append(typed.low)
            highs.append(typed.high)
    if lows:
        try:
            facet.low = units.from_base(min(lows), spec.unit) if spec.unit else min(lows)
            facet.high = units.from_base(max(highs), spec.unit) if spec.unit else max(highs)
        except (KeyError, units.UnitError):
            facet.low = facet.high = None
    if own is None and (facet.low is None or facet.low == facet.high):
        return None
    return facet


def _natural(text: str) -> tuple[Any, ...]:
    """Sort "M8" before "M12": numbers in a value compare as numbers."""
    return tuple(
        (0, float(part), "") if part[:1].isdigit() else (1, 0.0, part.casefold())
        for part in re.findall(r"\d+(?:\.\d+)?|\D+", text)
    )
