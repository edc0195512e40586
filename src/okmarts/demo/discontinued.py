"""The demo catalog's critical specs and its discontinued parts.

Each category's definitions are inferred from its products (services.specs), then the keys of
`CRITICAL_SPECS` are marked critical with their `better`. About 2 % of the products are then
marked discontinued, drawn with the seed's random generator after every product is planned (so
the products themselves stay the same for a seed), and only among those that have a drop-in
replacement in the demo (services.replacements grades them), so the demo shows the feature.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from okmarts.demo.catalog_data import CRITICAL_SPECS
from okmarts.services import replacements, specs
from okmarts.services.specs import Definition, TypedValue
from okmarts.tables.catalog import ProductStatus, SpecKind

DISCONTINUED_SHARE = 0.02
# Places in a planned product's row (okmarts.demo.catalog.PRODUCT_COLUMNS).
SKU, CATEGORY, STOCK, SPECS, FEATURED, STATUS, POINTS = 0, 5, 8, 10, 12, 14, 15


def definitions(rows: Sequence[tuple[Any, ...]]) -> dict[str, dict[str, Definition]]:
    """Each category's definitions (by slug), with the critical ones marked."""
    specs_of: dict[str, list[list[list[str]]]] = defaultdict(list)
    for row in rows:
        specs_of[row[CATEGORY]].append(json.loads(row[SPECS]))
    return {
        slug: {d.key: _marked(d) for d in specs.infer_definitions(found)}
        for slug, found in specs_of.items()
    }


def typed(
    rows: Sequence[tuple[Any, ...]], defined: dict[str, dict[str, Definition]]
) -> list[list[TypedValue]]:
    """Every product's specs read through its category's definitions (services.specs), each
    distinct value read once: the demo repeats a few hundred values over 200,000 products."""
    read: dict[tuple[str, str, str], TypedValue | None] = {}
    found = []
    for row in rows:
        category = defined[row[CATEGORY]]
        values = []
        for key, text in json.loads(row[SPECS]):
            place = (row[CATEGORY], key, text)
            if place not in read:
                definition = category.get(key) or Definition(key, SpecKind.text.value, facet=False)
                try:
                    read[place] = specs.typed_value(definition, text)
                except specs.SpecInvalid:
                    read[place] = None
            if (value := read[place]) is not None:
                values.append(value)
        found.append(values)
    return found


def _marked(definition: Definition) -> Definition:
    if definition.key not in CRITICAL_SPECS:
        return definition
    better = CRITICAL_SPECS[definition.key] if definition.kind == SpecKind.quantity else ""
    return replace(definition, critical=True, better=better)


def discontinued(
    rng: random.Random,
    rows: Sequence[tuple[Any, ...]],
    defined: dict[str, dict[str, Definition]],
    typed_values: list[list[TypedValue]],
    share: float = DISCONTINUED_SHARE,
) -> set[int]:
    """Which products (by place in `rows`) to mark discontinued: about `share` of them, each
    with an in-stock drop-in replacement that is itself kept active."""
    criticals, values, groups = [], [], defaultdict(list)
    for index, row in enumerate(rows):
        category = defined[row[CATEGORY]]
        found = {
            value.key: replacements.Value(value.low, value.high, value.base_unit, value.choice)
            for value in typed_values[index]
        }
        mine = [
            replacements.Critical(key, category[key].kind, category[key].better, value)
            for key, value in found.items()
            if key in category and category[key].critical
        ]
        criticals.append(mine)
        values.append(found)
        # Drop-ins share every critical word: only products alike in those are compared.
        groups[(row[CATEGORY], _words(mine))].append(index)
    order = list(range(len(rows)))
    rng.shuffle(order)
    wanted = max(1, round(len(rows) * share))
    chosen: set[int] = set()
    kept: set[int] = set()
    for index in order:
        if len(chosen) >= wanted:
            break
        row = rows[index]
        if index in kept or row[FEATURED] or row[POINTS] is not None or not criticals[index]:
            continue
        group = groups[(row[CATEGORY], _words(criticals[index]))]
        for other in group:
            if (
                other != index
                and other not in chosen
                and rows[other][STOCK] > 0
                and replacements.grade(criticals[index], values[other])[0] == replacements.DROP_IN
            ):
                chosen.add(index)
                kept.add(other)
                break
    return chosen


def _words(criticals: list[replacements.Critical]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (spec.key, spec.value.choice)
        for spec in criticals
        if spec.kind not in (SpecKind.quantity, SpecKind.range)
    )


def with_status(rows: list[tuple[Any, ...]], chosen: set[int]) -> list[tuple[Any, ...]]:
    """The rows with the chosen ones discontinued (and their stock sold off)."""
    return [
        (
            *row[:STOCK],
            0,
            *row[STOCK + 1 : STATUS],
            ProductStatus.discontinued.value,
            *row[STATUS + 1 :],
        )
        if index in chosen
        else row
        for index, row in enumerate(rows)
    ]
