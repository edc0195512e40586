"""Spec facets: filter a listing by typed specs, and count what each choice would leave.

A listing within one category offers that category's specs (those marked `facet`) as filters:
checkboxes with counts for enumerations and yes/no, "from … to …" for quantities (in the
spec's display unit, the bounds of the current results as placeholders), "covers …" for ranges
(a product whose "10–30 V" includes 24 V). A category with subcategories offers the specs all
of its subcategories define alike (same key, kind and base unit); "All products" offers none.

Counts are disjunctive, as good shops count: a value's count is how many products the page
would list with that value chosen *besides* the shopper's other filters, ignoring that spec's
own filter (ticking another output type adds to the results, so its count says how many).
Without a filter on it, a value's count is exactly the total the page shows once it is ticked.

The URL holds every state: `spec.<slug>=<value>` (repeatable), `min.<slug>=4 mm`,
`max.<slug>=…`, `covers.<slug>=24 V`; `read_filters` turns it into typed values (dataclasses,
numbers in base units) and messages for what could not be read. No HTTP here.

How it stays fast (200,000 products: `okmarts seed --products 200000`):
- Filters are SQL on `product p`: `p.id IN (SELECT v.product FROM product_spec_value v WHERE
  v.category IN (…) AND v.key = … AND v.choice IN (…) | v.low >= … | v.low <= x AND v.high
  >= x)`, answered from covering indexes (category, key, choice, product) and (category, key,
  low, high, product) (migration 2026-12-03T14:40:00). A listing of a category with
  subcategories writes them per subcategory walk, for that walk's category. SQLite walks the
  listing's order index and probes the filter's products (LIST SUBQUERY); PostgreSQL is given
  `(p.id IN (…)) IS TRUE`, a hashed SubPlan tested while it walks the order index and stops at
  the page's end (as a plain IN it joined all matches and sorted them: 90 ms → 2 ms).
- Counts never count rows: services.facet_counts keeps, per worker, each category set's
  values as sets of products (bitmaps) per (key, choice), its brands' products, and the products the
  other filters (stock, price) allow, checked against a stamp read with the definitions
  (highest product_spec_value and catalog_change ids). A facet's counts and a spec-filtered
  listing's total and brand counts are then set arithmetic: a few ms. After a change the sets
  are read again once (group_concat / string_agg of the index: 20–80 ms for a category).
- Queries per listing: definitions (+ stamp), page ids, card images, and, only when a set is
  stale, one per set: 4–5 whatever the filters (tests/unit/test_facets.py).

Measured (2026-12-03, whole pages through the test client, page cache off, 100 runs each,
median / p99 ms; the 2-core box shared with other builds, load average 5–7, so absolute
numbers are inflated; the in-process service calls for the same pages: 1–45 ms):

  SQLite 3.40                                                  median   p99
  /categories/sensors (top, 28,000 products)                      15     52
  … ?spec.protection-rating=IP67                                  15    120
  … ?spec.protection-rating=IP67&in_stock=1                       75    250
  /categories/proximity-sensors (leaf, 9,400)                     25    180
  … ?spec.output-type=PNP+NO                                      36    180
  … + housing, min sensing distance 4mm, covers 24 V              53     98
  … PNP NO, from 4mm, in stock, by price                          32     76
  /search?q=sensor (with its category and spec facets)            20     53
  PostgreSQL 15
  /categories/sensors                                             13     51
  … ?spec.protection-rating=IP67                                  25     46
  … ?spec.protection-rating=IP67&in_stock=1                       31     61
  /categories/proximity-sensors                                   20     95
  … ?spec.output-type=PNP+NO                                      36     94
  … + housing, min sensing distance 4mm, covers 24 V              60    172
  … PNP NO, from 4mm, in stock, by price                          64    362
  /search?q=sensor                                               149    730

The listing p99 misses are this box's load (the same URLs' medians are 15–60 ms, their
queries 2–25 ms by EXPLAIN ANALYZE). Search on PostgreSQL is slow before facets (in process:
search_products 106 ms median); search with facets reads its ranked matches once and cuts the
page from them (services.search_facets). The kept sets are bits of an integer (at most 25 KB
each at 200,000 products: services.facet_counts.Products); the `facets` row of `make bench`
measures a spec-filtered listing at 200,000 products on a quiet machine.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from okmarts.db import is_postgres
from okmarts.i18n import N_, Message
from okmarts.services import specs as spec_rules
from okmarts.services import units
from okmarts.tables.catalog import ProductSpecValue, SpecKind

CHOICE_KINDS = (SpecKind.enumeration.value, SpecKind.boolean.value)
NUMBER_KINDS = (SpecKind.quantity.value, SpecKind.range.value)
# URL parameter prefixes: spec.<slug> (a value to match, repeatable), min./max.<slug> (a
# quantity's bounds), covers.<slug> (a value a range must include).
PREFIXES = ("spec", "min", "max", "covers")
MAX_CHOICES_PER_SPEC = 40
MAX_FILTERS = 12
MAX_INPUT = 40

UNKNOWN_SPEC = N_("Some filters don’t apply to these products and were left out.")
BAD_NUMBER = N_("Enter a number in %(unit)s, like 4 %(unit)s.")
BAD_COUNT = N_("Enter a number, like 4.")
LOW_ABOVE_HIGH = N_("The upper bound must not be below the lower one.")


def slug_of(key: str) -> str:
    """A spec's name as it reads in a URL: "Sensing distance" -> "sensing-distance"."""
    return re.sub(r"[^a-z0-9]+", "-", key.casefold()).strip("-") or "spec"


# --- What may be filtered on -------------------------------------------------------------------


@dataclass(frozen=True)
class FacetSpec:
    """A spec offered as a filter across the categories in view."""

    key: str
    kind: str
    unit: str  # the display unit ("mm"); "" for counts and words
    position: int = 0

    @property
    def slug(self) -> str:
        return slug_of(self.key)

    def definition(self) -> spec_rules.Definition:
        return spec_rules.Definition(self.key, self.kind, self.unit)


def _base_unit(definition: spec_rules.Definition) -> str:
    if definition.kind not in NUMBER_KINDS:
        return ""
    try:
        return units.unit_base(definition.unit) if definition.unit else "dimensionless"
    except units.UnitError:
        return "?"


def shared_specs(definitions: dict[int, dict[str, spec_rules.Definition]]) -> list[FacetSpec]:
    """The filterable specs every category that has definitions defines alike (same key, kind
    and base unit); for one category, simply its filterable specs. In position order."""
    found: dict[str, FacetSpec] | None = None
    for by_key in definitions.values():
        if not by_key:
            continue
        here = {
            key: definition
            for key, definition in by_key.items()
            if definition.facet
            and (definition.kind in CHOICE_KINDS or definition.kind in NUMBER_KINDS)
            and _base_unit(definition) != "?"
        }
        if found is None:
            found = {key: FacetSpec(key, d.kind, d.unit, d.position) for key, d in here.items()}
            continue
        found = {
            key: spec
            for key, spec in found.items()
            if key in here
            and here[key].kind == spec.kind
            and _base_unit(here[key]) == _base_unit(spec.definition())
        }
    return sorted((found or {}).values(), key=lambda spec: (spec.position, spec.key))


# Read with the definitions, in the same query: the stamp of the typed values (see
# `_values_index`), so a listing's facets cost no query of their own to check it.
STAMP_SQL = (
    "(SELECT max(id) FROM product_spec_value) AS stamp_values, "
    "(SELECT max(id) FROM catalog_change) AS stamp_changes"
)


@dataclass(frozen=True)
class SpecsInView:
    """The specs a listing may be filtered on, and the stamp of the values when read."""

    specs: tuple[FacetSpec, ...] = ()
    stamp: tuple[int, int] | None = None


async def facet_specs(category_ids: Sequence[int]) -> SpecsInView:
    """What a listing of these categories (one and its descendants) may be filtered on: one
    query, the values' stamp with it."""
    if not category_ids:
        return SpecsInView()
    rows = await ProductSpecValue.raw(
        f"SELECT d.category, d.key, d.kind, d.unit, d.facet, d.position, {STAMP_SQL} "
        f"FROM spec_definition d WHERE d.category IN ({id_list(category_ids)})"
    )
    definitions: dict[int, dict[str, spec_rules.Definition]] = defaultdict(dict)
    for row in rows:
        definitions[row["category"]][row["key"]] = spec_rules.Definition(
            row["key"], row["kind"], row["unit"], bool(row["facet"]), position=row["position"]
        )
    stamp = (
        (int(rows[0]["stamp_values"] or 0), int(rows[0]["stamp_changes"] or 0)) if rows else None
    )
    return SpecsInView(tuple(shared_specs(definitions)), stamp)


# --- The filters, typed --------------------------------------------------------------------


@dataclass(frozen=True)
class ChoiceFilter:
    """Products whose spec is one of these values (as written)."""

    key: str
    choices: tuple[str, ...]


@dataclass(frozen=True)
class BoundsFilter:
    """Products whose quantity lies within low..high (base units; None: open)."""

    key: str
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class CoversFilter:
    """Products whose range includes this value (base units)."""

    key: str
    value: float


SpecFilter = ChoiceFilter | BoundsFilter | CoversFilter


@dataclass
class ReadFilters:
    filters: tuple[SpecFilter, ...] = ()
    # Messages beside a box, by its parameter name ("min.sensing-distance"), and one for the
    # whole form ("spec": a filter for a spec these products don't have).
    errors: dict[str, str | Message] = field(default_factory=dict)


def _number_message(spec: FacetSpec) -> str | Message:
    if not spec.unit:
        return BAD_COUNT
    return Message(BAD_NUMBER, {"unit": spec.unit})


def read_filters(params: Iterable[tuple[str, str]], specs: Sequence[FacetSpec]) -> ReadFilters:
    """The spec filters a URL's parameters ask for, read against the specs in view. Bad input
    never raises: it gives a message for its box, and the other filters still apply."""
    by_slug = {spec.slug: spec for spec in specs}
    chosen: dict[str, list[str]] = defaultdict(list)
    texts: dict[tuple[str, str], str] = {}
    read = ReadFilters()
    for name, raw in params:
        prefix, dot, slug = name.partition(".")
        if not dot or prefix not in PREFIXES:
            continue
        value = " ".join(raw.split())[:MAX_INPUT] if isinstance(raw, str) else ""
        if not value:
            continue
        spec = by_slug.get(slug)
        if spec is None or (prefix == "spec") != (spec.kind in CHOICE_KINDS):
            read.errors["spec"] = UNKNOWN_SPEC
        elif prefix == "spec":
            if value not in chosen[spec.key] and len(chosen[spec.key]) < MAX_CHOICES_PER_SPEC:
                chosen[spec.key].append(value)
        elif (prefix == "covers") != (spec.kind == SpecKind.range.value):
            read.errors["spec"] = UNKNOWN_SPEC
        else:
            texts[(prefix, spec.key)] = value
    filters: list[SpecFilter] = [
        ChoiceFilter(key, tuple(sorted(values))) for key, values in chosen.items()
    ]
    for spec in specs:
        if spec.kind not in NUMBER_KINDS:
            continue
        numbers: dict[str, float] = {}
        for prefix in ("min", "max", "covers"):
            text = texts.get((prefix, spec.key))
            if text is None:
                continue
            measure = units.parse_input(text, spec.unit)
            if measure is None or measure.base_unit != _base_unit(spec.definition()):
                read.errors[f"{prefix}.{spec.slug}"] = _number_message(spec)
            else:
                numbers[prefix] = measure.low
        if "min" in numbers and "max" in numbers and numbers["min"] > numbers["max"]:
            read.errors[f"max.{spec.slug}"] = LOW_ABOVE_HIGH
            del numbers["max"]
        if "covers" in numbers:
            filters.append(CoversFilter(spec.key, numbers["covers"]))
        elif "min" in numbers or "max" in numbers:
            filters.append(BoundsFilter(spec.key, numbers.get("min"), numbers.get("max")))
    read.filters = tuple(sorted(filters, key=lambda f: f.key)[:MAX_FILTERS])
    return read


# --- SQL ---------------------------------------------------------------------------------------


def id_list(values: Iterable[int]) -> str:
    return ", ".join(str(int(value)) for value in values) or "NULL"


def filter_sql(spec_filter: SpecFilter, category_ids: Sequence[int]) -> tuple[str, list[Any]]:
    """A condition on `p` (product) for one filter: one walk of product_spec_value's
    (category, key, choice) or (category, key, low) index."""
    inner = (
        f"SELECT v.product FROM product_spec_value v WHERE v.category IN ({id_list(category_ids)})"
    )
    args: list[Any] = [spec_filter.key]
    inner += " AND v.key = {}"
    if isinstance(spec_filter, ChoiceFilter):
        inner += " AND v.choice IN (" + ", ".join("{}" for _ in spec_filter.choices) + ")"
        args += list(spec_filter.choices)
    elif isinstance(spec_filter, BoundsFilter):
        # A quantity: low == high.
        if spec_filter.low is not None:
            inner += " AND v.low >= {}"
            args.append(spec_filter.low)
        if spec_filter.high is not None:
            inner += " AND v.low <= {}"
            args.append(spec_filter.high)
    else:
        inner += " AND v.low <= {} AND v.high >= {}"
        args += [spec_filter.value, spec_filter.value]
    if is_postgres(ProductSpecValue._meta.db):
        # As a "hashed SubPlan": PostgreSQL walks the listing's order index and stops at the
        # page's end, testing each product against the filter's products in memory. Written as
        # a plain IN, it joins every matching product first, then sorts them (underestimating
        # how many match: 90 ms for IP67 sensors, 2 ms this way).
        return f"(p.id IN ({inner})) IS TRUE", args
    return f"p.id IN ({inner})", args


def filters_sql(
    filters: Iterable[SpecFilter], category_ids: Sequence[int]
) -> tuple[list[str], list[Any]]:
    """Conditions on `p` for products matching every filter (to AND with a listing's)."""
    clauses, args = [], []
    for spec_filter in filters:
        clause, more = filter_sql(spec_filter, category_ids)
        clauses.append(clause)
        args += more
    return clauses, args
