"""Staff edits of products' specs and of spec definitions: checked, then the typed values and
the search text kept in step, in one transaction.

The admin (admin.catalog_specs) calls these from Piccolo Admin's hooks; nothing here knows of
HTTP. A refusal is `SpecsRefused` naming the field and saying what to fix, in English (the
admin is English only).
"""

from __future__ import annotations

import json
from typing import Any

from okmarts.db import write_transaction
from okmarts.services import specs, units
from okmarts.services.catalog import build_search_text
from okmarts.tables.catalog import Brand, Category, Product, SpecDefinition, SpecKind

MEASURED = (SpecKind.quantity.value, SpecKind.range.value)
BETTER = ("higher", "lower", "")
# A definition change that would leave this many products' values out is refused, naming a few.
NAMED_PRODUCTS = 3


class SpecsRefused(ValueError):
    """What staff asked does not fit: `field` is the form's field, the message what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _problem_text(problem: specs.SpecInvalid) -> str:
    return f'{problem.key}: "{problem.value}" {problem.reason}'


def read_specs(raw: Any) -> list[list[str]]:
    """A product's specs as the admin sends them (JSON text or a list), checked for shape."""
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        value = None
    problems = specs.check_specs({}, value)
    if value is None or problems:
        raise SpecsRefused(
            "specs", 'Specs are a JSON list of [name, value] pairs: [["Housing", "M12"], …].'
        )
    return [list(pair) for pair in value]


async def check_product_specs(category_id: int | None, raw: Any) -> list[list[str]]:
    """The specs, if every value fits its category's definition (a wrong unit is refused
    naming the spec and the unit it takes); keys without a definition are new specs."""
    pairs = read_specs(raw)
    definitions = (await specs.definitions_of([category_id] if category_id else []))[
        category_id or 0
    ]
    problems = specs.check_specs(definitions, pairs)
    if problems:
        raise SpecsRefused("specs", "; ".join(_problem_text(problem) for problem in problems) + ".")
    return pairs


async def search_text_of(
    brand_id: int | None, category_id: int | None, pairs: list[list[str]], description: str
) -> str:
    """The product's search text (services.catalog.build_search_text) from its brand's and
    category's names."""
    brand = await Brand.select(Brand.name).where(Brand.id == (brand_id or 0)).first()
    category = await Category.select(Category.name).where(Category.id == (category_id or 0)).first()
    return build_search_text(
        brand["name"] if brand else "", category["name"] if category else "", pairs, description
    )


async def index_changed_product(product_id: int, category_id: int | None) -> None:
    """After a product's specs or category changed (in the caller's transaction): new spec
    keys get a definition inferred from the category's products, then its typed values."""
    if category_id:
        await specs.define_missing([category_id])
    await specs.index_products([product_id])


async def save_product(product: Product) -> None:
    """A new product, with its typed values, in one transaction (checked before)."""
    async with write_transaction(Product._meta.db):
        await product.save()
        await index_changed_product(product.id, product.category)


async def update_product(product_id: int, values: dict[Any, Any], category_id: int | None) -> None:
    """A product's changed columns, and its typed values rebuilt, in one transaction."""
    async with write_transaction(Product._meta.db):
        await Product.update(values).where(Product.id == product_id)
        await index_changed_product(product_id, category_id)


def check_definition(kind: str, unit: str, better: str) -> None:
    """A definition's kind, unit and direction: the unit one the shop reads, and only for a
    quantity or a range."""
    kinds = [kind.value for kind in SpecKind]
    if kind not in kinds:
        raise SpecsRefused("kind", f"The kind is one of {', '.join(kinds)}.")
    if unit and kind not in MEASURED:
        raise SpecsRefused("unit", f"Only a quantity or a range has a unit; a {kind} has none.")
    if unit:
        try:
            units.unit_base(unit)
        except units.UnitError:
            known = ", ".join(sorted(units.UNIT_NAMES))
            raise SpecsRefused(
                "unit", f'"{unit}" is not a unit the shop reads. Units it reads: {known}.'
            ) from None
    if better not in BETTER:
        raise SpecsRefused("better", 'Better is "higher", "lower" or empty.')


async def reindex_category(category_id: int | None) -> None:
    """Rebuild the typed values of a category's products after its definitions changed (in
    the caller's transaction); refused when some of its products' values no longer fit."""
    if not category_id:
        return
    rows = await Product.select(Product.id, Product.sku, Product.specs).where(
        Product.category == category_id
    )
    definitions = (await specs.definitions_of([category_id]))[category_id]
    unfit = []
    for row in rows:
        pairs = specs.stored_specs(row["specs"])
        if problems := specs.check_specs(definitions, pairs):
            unfit.append(f"{row['sku']} ({_problem_text(problems[0])})")
    if unfit:
        named = "; ".join(unfit[:NAMED_PRODUCTS])
        raise SpecsRefused(
            "unit",
            f"{len(unfit)} products of this category have values that would not fit: {named}. "
            "Correct their specs first, or keep the definition.",
        )
    await specs.index_products([row["id"] for row in rows])


async def definition_fields(row_id: int) -> dict[str, Any] | None:
    return await SpecDefinition.select().where(SpecDefinition.id == row_id).first()


async def save_definition(definition: SpecDefinition) -> None:
    """A new definition, checked, and its category's values rebuilt, in one transaction."""
    check_definition(definition.kind, definition.unit, definition.better)
    async with write_transaction(SpecDefinition._meta.db):
        await definition.save()
        await reindex_category(definition.category)


async def update_definition(row_id: int, fields: dict[str, Any]) -> None:
    """A definition's changes (by column name), checked, and the values of its category (and
    of the one it left) rebuilt, in one transaction."""
    stored = await definition_fields(row_id)
    if stored is None:
        return
    merged = {**stored, **fields}
    check_definition(merged["kind"], merged["unit"] or "", merged["better"] or "")
    changes = {
        SpecDefinition._meta.get_column_by_name(name): value for name, value in fields.items()
    }
    async with write_transaction(SpecDefinition._meta.db):
        if changes:
            await SpecDefinition.update(changes).where(SpecDefinition.id == row_id)
        for category_id in dict.fromkeys([merged["category"], stored["category"]]):
            await reindex_category(category_id)


async def delete_definition(row_id: int) -> None:
    """A definition removed: its category's values of that spec become text."""
    stored = await definition_fields(row_id)
    if stored is None:
        return
    async with write_transaction(SpecDefinition._meta.db):
        await SpecDefinition.delete().where(SpecDefinition.id == row_id)
        await reindex_category(stored["category"])
