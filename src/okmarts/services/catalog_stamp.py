"""The catalog's stamp, and what a worker keeps of catalog reads while it holds.

Some reads cost more than a page should pay every time and change only when the catalog does:
a search's matches and facets (services.search_facets), a part's replacements
(services.replacements). Each worker keeps them, with the stamp read when they were made, and
uses them again while a new read of the stamp (one small query of three primary keys) gives the
same: the highest ids of catalog_change (every change a shopper could see: a title, SKU, price,
spec, category, brand, picture, stock crossing zero or into "only N left", a status, a deleted
product; written by triggers), product (a new product) and product_spec_value (a product's
specs rewritten). So a change shows at once, on every worker.

On PostgreSQL a transaction can commit after one holding a higher id, so a stamp read between
the two would not move again for the first: what is kept also expires after `seconds`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

from okmarts.tables.catalog import Product

Stamp = tuple[int, int, int]
STAMP_SQL = (
    "SELECT (SELECT max(id) FROM catalog_change) AS changes, "
    "(SELECT max(id) FROM product) AS products, "
    "(SELECT max(id) FROM product_spec_value) AS spec_values"
)


async def read_stamp() -> Stamp:
    row = (await Product.raw(STAMP_SQL))[0]
    return (int(row["changes"] or 0), int(row["products"] or 0), int(row["spec_values"] or 0))


V = TypeVar("V")
_every: list[Kept[object]] = []


class Kept(Generic[V]):
    """Values made from the catalog, by key, each good while the stamp it was made at holds (and
    for at most `seconds`); past `slots` the least recently used go first."""

    def __init__(self, slots: int, seconds: float) -> None:
        self.slots = slots
        self.seconds = seconds
        self._values: OrderedDict[Hashable, tuple[Stamp, float, V]] = OrderedDict()
        _every.append(self)  # type: ignore[arg-type]

    def get(self, key: Hashable, stamp: Stamp) -> V | None:
        kept = self._values.get(key)
        if kept is None or kept[0] != stamp or kept[1] <= time.monotonic():
            return None
        self._values.move_to_end(key)
        return kept[2]

    def put(self, key: Hashable, stamp: Stamp, value: V) -> None:
        self._values[key] = (stamp, time.monotonic() + self.seconds, value)
        self._values.move_to_end(key)
        while len(self._values) > self.slots:
            self._values.popitem(last=False)

    def clear(self) -> None:
        self._values.clear()


def forget_everything() -> None:
    """Drop what every keeper holds (a new app: its database may be another)."""
    for kept in _every:
        kept.clear()
