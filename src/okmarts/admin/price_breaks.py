"""Quantity price breaks in the admin (Catalog menu): a break per row (product, from how many
units, the unit price), checked by services.price_breaks on every add and edit; a refusal is a
422 the edit form shows beside the field, as for specs (admin.catalog_specs)."""

from __future__ import annotations

from typing import Any

from piccolo_admin.endpoints import TableConfig
from piccolo_api.crud.endpoints import OrderBy
from piccolo_api.crud.hooks import Hook, HookType

from okmarts.admin.catalog_specs import NO_PUT, _by_name, _field_error
from okmarts.services import price_breaks
from okmarts.services.price_breaks import BreakRefused
from okmarts.tables.price_breaks import PriceBreak


async def break_before_save(row: PriceBreak) -> PriceBreak:
    try:
        await price_breaks.check_break(row.product, row.min_quantity, row.price_minor)
    except BreakRefused as refused:
        raise _field_error(refused.field, str(refused)) from None
    return row


async def break_before_patch(row_id: int, values: dict[Any, Any]) -> dict[Any, Any]:
    try:
        await price_breaks.check_patch(int(row_id), _by_name(values))
    except BreakRefused as refused:
        raise _field_error(refused.field, str(refused)) from None
    return values


async def product_price_before_patch(row_id: int, values: dict[Any, Any]) -> dict[Any, Any]:
    """pre_patch on products: a new price must stay above the product's breaks."""
    fields = _by_name(values)
    if "price_minor" in fields:
        try:
            await price_breaks.check_product_price(int(row_id), fields["price_minor"])
        except BreakRefused as refused:
            raise _field_error(refused.field, str(refused)) from None
    return values


PRODUCT_HOOKS = [Hook(HookType.pre_patch, product_price_before_patch)]


def price_break_table(menu_group: str) -> TableConfig:
    """Price breaks: from `min_quantity` units on, each costs `price_minor` (minor units of the
    product's currency); the 1+ price is the product's own."""
    return TableConfig(
        PriceBreak,
        menu_group=menu_group,
        visible_columns=[PriceBreak.product, PriceBreak.min_quantity, PriceBreak.price_minor],
        visible_filters=[PriceBreak.product],
        order_by=[OrderBy(PriceBreak.product), OrderBy(PriceBreak.min_quantity)],
        hooks=[
            Hook(HookType.pre_save, break_before_save),
            Hook(HookType.pre_patch, break_before_patch),
        ],
        validators=NO_PUT,
    )
