"""Typed specs: what kind each spec of a category is, and every product's specs as numbers.

A product keeps its specs as written (`product.specs`: [[key, value], …]); `spec_definition`
says per category what each key is (a quantity with a unit, a range, an enumeration, a yes/no,
or free text), and `product_spec_value` holds each value read through those definitions, in
base units, for filters, facets, search and replacements. Staff edit the definitions; the
values are derived, rebuilt by `index_products` whenever a product's specs or category change.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from okmarts.services import units
from okmarts.services.units import Measure
from okmarts.tables.catalog import Product, ProductSpecValue, SpecDefinition, SpecKind

# More distinct words than this and a spec is free text, not a choice list.
MAX_CHOICES = 40
YES = frozenset({"yes", "true", "y", "1", "ja", "sí", "si", "是"})
NO = frozenset({"no", "false", "n", "0", "nein", "否"})
# Rows per INSERT when indexing many products at once.
_BATCH = 500


@dataclass(frozen=True)
class Definition:
    key: str
    kind: str
    unit: str = ""
    facet: bool = True
    critical: bool = False
    better: str = ""
    position: int = 0


@dataclass(frozen=True)
class TypedValue:
    key: str
    low: float | None
    high: float | None
    base_unit: str
    choice: str


class SpecInvalid(ValueError):
    """A product's spec value does not fit its category's definition (wrong unit, not a number)."""

    def __init__(self, key: str, value: str, reason: str) -> None:
        super().__init__(f"{key}: {value!r} {reason}")
        self.key, self.value, self.reason = key, value, reason


def _measure(value: str) -> Measure | None:
    if (count := units.parse_count(value)) is not None:
        return Measure(count, count, "dimensionless")
    return units.parse_measure(value)


def _boolean(value: str) -> bool | None:
    folded = value.strip().casefold()
    return True if folded in YES else False if folded in NO else None


def infer_definition(key: str, values: Iterable[str], position: int = 0) -> Definition:
    """The kind and unit a set of values shows: every value a measure in the same base units
    makes a quantity (or a range, if any is one); a few words make an enumeration."""
    values = [value for value in values if value.strip()]
    distinct = set(values)
    measures = [_measure(value) for value in distinct]
    if distinct and all(measures) and len({m.base_unit for m in measures if m}) == 1:
        kind = SpecKind.range if any(m.is_range for m in measures if m) else SpecKind.quantity
        spelled = Counter(units.unit_of(value) for value in values)
        unit = spelled.most_common(1)[0][0]
        return Definition(key, kind.value, unit, position=position)
    if distinct and all(_boolean(value) is not None for value in distinct):
        return Definition(key, SpecKind.boolean.value, position=position)
    if 1 <= len(distinct) <= MAX_CHOICES:
        return Definition(key, SpecKind.enumeration.value, position=position)
    return Definition(key, SpecKind.text.value, facet=False, position=position)


def infer_definitions(specs_of_products: Iterable[Sequence[Sequence[str]]]) -> list[Definition]:
    """Definitions for one category, from its products' specs (the demo catalog's, an import)."""
    values: dict[str, list[str]] = defaultdict(list)
    for specs in specs_of_products:
        for key, value in specs:
            values[key].append(value)
    return [
        infer_definition(key, found, position)
        for position, (key, found) in enumerate(values.items())
    ]


def typed_value(definition: Definition, value: str) -> TypedValue:
    """One spec value read through its definition; raises SpecInvalid when it does not fit."""
    key = definition.key
    if definition.kind in (SpecKind.quantity, SpecKind.range):
        measure = _measure(value)
        if measure is None:
            raise SpecInvalid(key, value, "is not a number with a unit")
        expected = units.unit_base(definition.unit) if definition.unit else "dimensionless"
        if measure.base_unit != expected:
            raise SpecInvalid(key, value, f"is not in {definition.unit or 'a plain number'}")
        if definition.kind == SpecKind.quantity and measure.is_range:
            raise SpecInvalid(key, value, "is a range, this spec takes one value")
        return TypedValue(key, measure.low, measure.high, measure.base_unit, value.strip())
    if definition.kind == SpecKind.boolean:
        answer = _boolean(value)
        if answer is None:
            raise SpecInvalid(key, value, "is neither yes nor no")
        return TypedValue(key, float(answer), float(answer), "", "yes" if answer else "no")
    return TypedValue(key, None, None, "", value.strip()[:255])


def typed_values(
    definitions: dict[str, Definition], specs: Sequence[Sequence[str]]
) -> tuple[list[TypedValue], list[SpecInvalid]]:
    """A product's specs through its category's definitions: the values that fit, and what
    did not. Keys without a definition are kept as text."""
    typed, problems = [], []
    for key, value in specs:
        definition = definitions.get(key) or Definition(key, SpecKind.text.value, facet=False)
        try:
            typed.append(typed_value(definition, value))
        except SpecInvalid as problem:
            problems.append(problem)
    return typed, problems


def check_specs(definitions: dict[str, Definition], specs: Any) -> list[SpecInvalid]:
    """What staff must fix before a product's specs are saved (the admin refuses them)."""
    if not isinstance(specs, list) or not all(
        isinstance(pair, list | tuple) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
        for pair in specs
    ):
        return [SpecInvalid("specs", str(specs)[:80], "must be a list of [name, value] pairs")]
    return typed_values(definitions, specs)[1]


def value_rows(product_id: int, category_id: int, typed: Iterable[TypedValue]) -> list[tuple]:
    """`product_spec_value` rows, in VALUE_COLUMNS order."""
    return [
        (product_id, category_id, value.key, value.low, value.high, value.base_unit, value.choice)
        for value in typed
    ]


VALUE_COLUMNS = (
    ProductSpecValue.product,
    ProductSpecValue.category,
    ProductSpecValue.key,
    ProductSpecValue.low,
    ProductSpecValue.high,
    ProductSpecValue.base_unit,
    ProductSpecValue.choice,
)
DEFINITION_COLUMNS = (
    SpecDefinition.category,
    SpecDefinition.key,
    SpecDefinition.kind,
    SpecDefinition.unit,
    SpecDefinition.facet,
    SpecDefinition.critical,
    SpecDefinition.better,
    SpecDefinition.position,
)


def definition_row(category_id: int, definition: Definition) -> tuple:
    return (
        category_id,
        definition.key,
        definition.kind,
        definition.unit,
        definition.facet,
        definition.critical,
        definition.better,
        definition.position,
    )


async def definitions_of(category_ids: Iterable[int]) -> dict[int, dict[str, Definition]]:
    """Each category's definitions by key."""
    ids = sorted(set(category_ids))
    found: dict[int, dict[str, Definition]] = defaultdict(dict)
    if not ids:
        return found
    rows = await SpecDefinition.select().where(SpecDefinition.category.is_in(ids))
    for row in rows:
        found[row["category"]][row["key"]] = Definition(
            row["key"],
            row["kind"],
            row["unit"],
            row["facet"],
            row["critical"],
            row["better"],
            row["position"],
        )
    return found


async def define_missing(category_ids: Iterable[int] | None = None) -> int:
    """Give every spec key products use a definition, inferred from their values; definitions
    staff made or changed are kept. Returns how many were added."""
    products = Product.select(Product.category, Product.specs)
    if category_ids is not None:
        products = products.where(Product.category.is_in(list(category_ids) or [0]))
    specs_by_category: dict[int, list[list[list[str]]]] = defaultdict(list)
    for row in await products:
        specs_by_category[row["category"]].append(stored_specs(row["specs"]))
    known = await definitions_of(specs_by_category)
    added = []
    for category_id, specs in specs_by_category.items():
        for definition in infer_definitions(specs):
            if definition.key not in known[category_id]:
                added.append(
                    SpecDefinition(
                        **dict(
                            zip(
                                [c._meta.name for c in DEFINITION_COLUMNS],
                                definition_row(category_id, definition),
                                strict=True,
                            )
                        )
                    )
                )
    if added:
        await SpecDefinition.insert(*added)
    return len(added)


async def index_products(product_ids: Sequence[int] | None = None) -> int:
    """Rebuild the typed values of these products (all when None) from their specs; values
    that do not fit their definition are left out (the admin refuses them on save)."""
    products = Product.select(Product.id, Product.category, Product.specs)
    if product_ids is not None:
        products = products.where(Product.id.is_in(list(product_ids) or [0]))
    rows = await products
    definitions = await definitions_of(row["category"] for row in rows)
    values = []
    for row in rows:
        typed, _ = typed_values(definitions[row["category"]], stored_specs(row["specs"]))
        values += value_rows(row["id"], row["category"], typed)
    async with ProductSpecValue._meta.db.transaction():
        delete = ProductSpecValue.delete(force=True)
        if product_ids is not None:
            delete = delete.where(ProductSpecValue.product.is_in(list(product_ids) or [0]))
        await delete
        names = [column._meta.name for column in VALUE_COLUMNS]
        for start in range(0, len(values), _BATCH):
            batch = values[start : start + _BATCH]
            await ProductSpecValue.insert(
                *(ProductSpecValue(**dict(zip(names, row, strict=True))) for row in batch)
            )
    return len(values)


def stored_specs(raw: Any) -> list[list[str]]:
    """A product's `specs` column as read back (JSON text or a list): its [key, value] pairs."""
    specs = json.loads(raw) if isinstance(raw, str) else raw
    return [pair for pair in specs or [] if isinstance(pair, list | tuple) and len(pair) == 2]
