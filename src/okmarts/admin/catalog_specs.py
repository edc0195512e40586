"""Typed specs in the admin: spec definitions (admins, catalog menu), and products' specs
checked against their category's definitions on every add and edit.

Piccolo Admin has no hook after a save, so the hooks below write the row themselves through
services.spec_edits, the typed values (and the search text) with it in one transaction;
Piccolo then writes the same values again, which changes nothing. A refusal is a 422 the edit
form shows beside the field, worded in English like the admin's other messages.
"""

from __future__ import annotations

from typing import Any

from piccolo.columns import Column
from piccolo_admin.endpoints import TableConfig
from piccolo_api.crud.endpoints import OrderBy
from piccolo_api.crud.hooks import Hook, HookType
from piccolo_api.crud.validators import Validators
from starlette.exceptions import HTTPException

from okmarts.services import spec_edits, specs
from okmarts.services.spec_edits import SpecsRefused
from okmarts.tables.catalog import Product, SpecDefinition

# What a product's search text is made of.
SEARCHED = frozenset({"title", "brand", "category", "specs", "description"})


def _field_error(field: str, text: str) -> HTTPException:
    """A 422 in pydantic's error shape: the edit form shows it beside the field (as in
    admin.orders, which imports admin.tables and so cannot be imported from here)."""
    return HTTPException(
        status_code=422, detail=[{"loc": ["body", field], "msg": text, "type": "value_error"}]
    )


def _by_name(values: dict[Any, Any]) -> dict[str, Any]:
    return {
        key._meta.name if isinstance(key, Column) else str(key): value
        for key, value in values.items()
    }


def _refused(refused: SpecsRefused) -> HTTPException:
    return _field_error(refused.field, str(refused))


def _put_refused(*_: Any, **__: Any) -> None:
    # PUT skips the hooks (piccolo_api runs none for it): edits are PATCH, as the admin sends.
    raise HTTPException(status_code=405, detail="Edit a row with PATCH, as the admin does.")


NO_PUT = Validators(put_single=[_put_refused])


async def product_before_save(row: Product) -> Product:
    """pre_save on products: the specs checked, the search text made, the product saved with
    its typed values."""
    try:
        pairs = await spec_edits.check_product_specs(row.category, row.specs)
    except SpecsRefused as refused:
        raise _refused(refused) from None
    row.search_text = await spec_edits.search_text_of(
        row.brand, row.category, pairs, row.description or ""
    )
    await spec_edits.save_product(row)
    return row


async def product_before_patch(row_id: int, values: dict[Any, Any]) -> dict[Any, Any]:
    """pre_patch on products: when the specs, category, title, brand or description change,
    the specs checked and the product written with its search text and typed values."""
    fields = _by_name(values)
    if not SEARCHED & fields.keys():
        return values
    stored = (
        await Product.select(Product.brand, Product.category, Product.specs, Product.description)
        .where(Product.id == row_id)
        .first()
    )
    if stored is None:
        return values
    now = {**stored, **fields}
    try:
        pairs = await spec_edits.check_product_specs(now["category"], now["specs"])
    except SpecsRefused as refused:
        raise _refused(refused) from None
    values = {
        **values,
        Product.search_text: await spec_edits.search_text_of(
            now["brand"], now["category"], pairs, now["description"] or ""
        ),
    }
    await spec_edits.update_product(row_id, values, now["category"])
    return values


async def definition_before_save(row: SpecDefinition) -> SpecDefinition:
    try:
        await spec_edits.save_definition(row)
    except SpecsRefused as refused:
        raise _refused(refused) from None
    return row


async def definition_before_patch(row_id: int, values: dict[Any, Any]) -> dict[Any, Any]:
    try:
        await spec_edits.update_definition(row_id, _by_name(values))
    except SpecsRefused as refused:
        raise _refused(refused) from None
    return values


async def definition_before_delete(row_id: int) -> None:
    try:
        await spec_edits.delete_definition(row_id)
    except SpecsRefused as refused:
        raise _refused(refused) from None


PRODUCT_HOOKS = [
    Hook(HookType.pre_save, product_before_save),
    Hook(HookType.pre_patch, product_before_patch),
]


def spec_definition_table(menu_group: str) -> TableConfig:
    """Spec definitions: per leaf category, what each spec of its products is."""
    columns = list(specs.DEFINITION_COLUMNS)
    return TableConfig(
        SpecDefinition,
        menu_group=menu_group,
        visible_columns=columns,
        visible_filters=[
            SpecDefinition.category,
            SpecDefinition.key,
            SpecDefinition.kind,
            SpecDefinition.facet,
            SpecDefinition.critical,
        ],
        link_column=SpecDefinition.key,
        order_by=[OrderBy(SpecDefinition.category), OrderBy(SpecDefinition.position)],
        hooks=[
            Hook(HookType.pre_save, definition_before_save),
            Hook(HookType.pre_patch, definition_before_patch),
            Hook(HookType.pre_delete, definition_before_delete),
        ],
        validators=NO_PUT,
    )
