"""Replacements for a part that is discontinued or out of stock: other parts of its leaf
category, graded by the specs staff marked critical for that category.

Grades:

- **drop-in**: every critical spec equal or better. Enumerations, text and yes/no compare as
  words (case and spacing aside); a quantity is better by its definition's `better` ("higher":
  the candidate's value is at least the original's, "lower": at most, "": equal within a small
  relative tolerance); a range is better when it covers the original's (its low end at or below,
  its high end at or above). "Mounting" counts as critical whenever the category has it.
- **same function**: one or two critical specs differ (and at least one matches); the page
  names each, with both values.
- **similar**: more differ, at least one matches; ranked by how many match.

Critical specs the original itself does not list can't be compared and are left out. A
category without critical specs (staff have not said which matter) gets "similar" parts only:
in stock, nearest in price.

Cost: four queries whatever the category's size (a top category may hold 20,000 of 200,000
products):

1. the category's critical definitions joined with the original's values of them;
2. the candidates, ranked in SQL: one branch per critical spec selects the products of the
   category whose value matches it (each a walk of a covering index, (category, key, choice,
   product) or (category, key, low, high, product)), the branches are counted per product,
   joined to the category's in-stock active products (a covering index of category, status,
   stock and price), and only the best few of each tier (all match / one or two miss / more
   miss) are returned, cheapest first, with their card columns: no product row is read but
   those few;
3. those few candidates' values of the critical keys;
4. their first images (as every product card).

Python then grades those few exactly (the SQL count only ranks and limits them: it compares
words as spelled, values of one choice list being spelled alike), orders the drop-ins by price
then closeness, and keeps at most `PER_GRADE` of each grade.

The ranking still touches each matching index entry of the category once, never a product row
or a value in Python: measured at 10-15 ms on SQLite and 6-8 ms on PostgreSQL for a leaf
category of 2,400 products (a 50,000-product demo); only pages of parts that can't be bought
ask for it, and those pages are cached like every product page.

It grows with the category: at 200,000 products a leaf category holds ~4,600, a "higher is
better" spec matches ~4,200 of them, and the ranking takes 8-10 ms on SQLite (1-2 ms at
20,000). So each worker keeps a part's replacements while the catalog's stamp holds
(services.catalog_stamp: a candidate's price, stock crossing zero, status, specs or category
changing, a new product, all move it): a page asked for again, with the page cache off or
expired, costs the stamp instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from okmarts.i18n import N_
from okmarts.services import catalog_stamp
from okmarts.services.catalog import ProductCard, _cards
from okmarts.tables.catalog import Product, ProductStatus, SpecKind

DROP_IN, SAME_FUNCTION, SIMILAR = "drop-in", "same-function", "similar"
GRADE_NAMES = {
    DROP_IN: N_("Drop-in replacements"),
    SAME_FUNCTION: N_("Same function, one or two specs differ"),
    SIMILAR: N_("Similar parts"),
}
PER_GRADE = 4
# Candidates per SQL tier: a few more than are shown, for the exact grading to choose from.
FETCH_PER_TIER = 3 * PER_GRADE
# Two quantities are equal when they differ by less than this share of the larger.
TOLERANCE = 1e-6
MOUNTING = "Mounting"
_NUMERIC = {SpecKind.quantity.value, SpecKind.range.value}
_CARD_FIELDS = (
    "id",
    "slug",
    "title",
    "sku",
    "price_minor",
    "currency",
    "stock",
    "brand_name",
    "status",
)


@dataclass(frozen=True)
class Value:
    """A typed spec value (a row of product_spec_value)."""

    low: float | None
    high: float | None
    base_unit: str
    choice: str


@dataclass(frozen=True)
class Critical:
    """A critical spec of the category, with the original's value."""

    key: str
    kind: str
    better: str
    value: Value


@dataclass(frozen=True)
class Difference:
    key: str
    here: str  # the candidate's value as written ("" when it lists none)
    original: str


@dataclass
class Replacement:
    card: ProductCard
    grade: str
    differences: list[Difference] = field(default_factory=list)
    matched: int = 0
    closeness: float = 0.0


@dataclass
class Replacements:
    drop_in: list[Replacement] = field(default_factory=list)
    same_function: list[Replacement] = field(default_factory=list)
    similar: list[Replacement] = field(default_factory=list)

    @property
    def grades(self) -> list[tuple[str, list[Replacement]]]:
        """The non-empty grades, best first."""
        found = ((DROP_IN, self.drop_in), (SAME_FUNCTION, self.same_function))
        return [(grade, items) for grade, items in (*found, (SIMILAR, self.similar)) if items]

    @property
    def cards(self) -> list[ProductCard]:
        """Every card shown: the page cache drops the page when one of them changes."""
        return [item.card for _, items in self.grades for item in items]

    def __bool__(self) -> bool:
        return bool(self.drop_in or self.same_function or self.similar)


# -- Grading (no database) -----------------------------------------------------------------------


def _words(text: str) -> str:
    return " ".join(text.casefold().split())


def _slack(number: float) -> float:
    return TOLERANCE * abs(number)


def matches(spec: Critical, candidate: Value | None) -> bool:
    """Whether a candidate's value of a critical spec is equal or better than the original's."""
    if candidate is None:
        return False
    original = spec.value
    if spec.kind not in _NUMERIC:
        return _words(candidate.choice) == _words(original.choice)
    if None in (original.low, original.high, candidate.low, candidate.high):
        return False
    if candidate.base_unit != original.base_unit:
        return False
    low, high = float(original.low), float(original.high)  # type: ignore[arg-type]
    their_low, their_high = float(candidate.low), float(candidate.high)  # type: ignore[arg-type]
    if spec.kind == SpecKind.range.value:
        return their_low <= low + _slack(low) and their_high >= high - _slack(high)
    if spec.better == "higher":
        return their_low >= low - _slack(low)
    if spec.better == "lower":
        return their_low <= low + _slack(low)
    return abs(their_low - low) <= TOLERANCE * max(abs(their_low), abs(low))


def _distance(spec: Critical, candidate: Value | None) -> float:
    """How far a numeric value is from the original's, as a share of it (0 for words)."""
    original = spec.value
    if spec.kind not in _NUMERIC or candidate is None or candidate.low is None:
        return 0.0
    ends = ((original.low, candidate.low), (original.high, candidate.high))
    return sum(
        abs(float(theirs) - float(ours)) / max(abs(float(ours)), 1e-12)
        for ours, theirs in ends
        if ours is not None and theirs is not None
    )


def grade(
    criticals: Sequence[Critical], values: dict[str, Value]
) -> tuple[str | None, list[Difference], int, float]:
    """A candidate's grade (None: nothing matches), the critical specs it differs in, how many
    match, and how close its numbers are (lower is closer)."""
    differences = [
        Difference(
            spec.key, values[spec.key].choice if spec.key in values else "", spec.value.choice
        )
        for spec in criticals
        if not matches(spec, values.get(spec.key))
    ]
    matched = len(criticals) - len(differences)
    closeness = sum(_distance(spec, values.get(spec.key)) for spec in criticals)
    if not differences:
        return DROP_IN, differences, matched, closeness
    if matched == 0:
        return None, differences, matched, closeness
    return (SAME_FUNCTION if len(differences) <= 2 else SIMILAR), differences, matched, closeness


# -- Finding (four queries) ----------------------------------------------------------------------


_kept: catalog_stamp.Kept[Replacements] = catalog_stamp.Kept(slots=512, seconds=60.0)


async def find(
    product_id: int, category_id: int, price_minor: int, per_grade: int = PER_GRADE
) -> Replacements:
    """Parts that can stand in for this one, by grade (see the module's docstring); kept per
    worker while the catalog's stamp holds."""
    key = (product_id, category_id, price_minor, per_grade)
    stamp = await catalog_stamp.read_stamp()
    found = _kept.get(key, stamp)
    if found is None:
        found = await _find(product_id, category_id, price_minor, per_grade)
        _kept.put(key, stamp, found)
    return found


async def _find(
    product_id: int, category_id: int, price_minor: int, per_grade: int
) -> Replacements:
    criticals = await _criticals(product_id, category_id)
    if not criticals:
        return Replacements(similar=await _nearest_in_price(product_id, category_id, price_minor))
    rows = await _ranked(product_id, category_id, criticals)
    if not rows:
        return Replacements()
    values = await _values([row["id"] for row in rows], [spec.key for spec in criticals])
    cards = await _cards([{name: row[name] for name in _CARD_FIELDS} for row in rows])
    graded: dict[str, list[Replacement]] = defaultdict(list)
    for card in cards:
        found, differences, matched, closeness = grade(criticals, values.get(card.id, {}))
        if found is not None:
            graded[found].append(Replacement(card, found, differences, matched, closeness))
    return Replacements(
        drop_in=sorted(graded[DROP_IN], key=lambda r: (r.card.price_minor, r.closeness, r.card.id))[
            :per_grade
        ],
        same_function=sorted(
            graded[SAME_FUNCTION],
            key=lambda r: (-r.matched, r.card.price_minor, r.closeness, r.card.id),
        )[:per_grade],
        similar=sorted(
            graded[SIMILAR], key=lambda r: (-r.matched, r.closeness, r.card.price_minor, r.card.id)
        )[:per_grade],
    )


async def _criticals(product_id: int, category_id: int) -> list[Critical]:
    rows = await Product.raw(
        "SELECT d.key, d.kind, d.better, v.low, v.high, v.base_unit, v.choice "
        "FROM spec_definition d JOIN product_spec_value v ON v.product = {} AND v.key = d.key "
        "WHERE d.category = {} AND (d.critical = {} OR d.key = {}) ORDER BY d.position, d.key",
        product_id,
        category_id,
        True,
        MOUNTING,
    )
    return [
        Critical(
            row["key"],
            row["kind"],
            row["better"] or "",
            Value(row["low"], row["high"], row["base_unit"] or "", row["choice"] or ""),
        )
        for row in rows
    ]


def _branch(category_id: int, spec: Critical) -> tuple[str, list[Any]]:
    """SQL for the products of the category whose value of this spec matches the original's,
    as `matches` decides but for the spelling of words and the base unit (one unit per key in
    a category): each a walk of the (category, key, choice) or (category, key, low) index."""
    head = "SELECT product FROM product_spec_value WHERE category = {} AND key = {} AND "
    args: list[Any] = [category_id, spec.key]
    value = spec.value
    if spec.kind not in _NUMERIC or value.low is None or value.high is None:
        return head + "choice = {}", [*args, value.choice]
    low, high = float(value.low), float(value.high)
    if spec.kind == SpecKind.range.value:
        return head + "low <= {} AND high >= {}", [*args, low + _slack(low), high - _slack(high)]
    if spec.better == "higher":
        return head + "low >= {}", [*args, low - _slack(low)]
    if spec.better == "lower":
        return head + "low <= {}", [*args, low + _slack(low)]
    return head + "low BETWEEN {} AND {}", [*args, low - _slack(low), low + _slack(low)]


async def _ranked(
    product_id: int, category_id: int, criticals: Sequence[Critical]
) -> list[dict[str, Any]]:
    """The best few candidates of each tier, with their card columns (one query)."""
    branches, args = [], []
    for spec in criticals:
        sql, branch_args = _branch(category_id, spec)
        branches.append(sql)
        args += branch_args
    total = len(criticals)
    # Ranked on indexes alone (the product's by category, status, stock and price, driven
    # first: CROSS JOIN keeps SQLite to that order); the wide product rows are read only for
    # the few kept.
    sql = (
        "SELECT p.id, p.slug, p.title, p.sku, p.price_minor, p.currency, p.stock, "
        "b.name AS brand_name, p.status, t.matched FROM (SELECT * FROM (SELECT q.id, "
        "q.price_minor, r.matched, ROW_NUMBER() OVER (PARTITION BY CASE "
        f"WHEN r.matched >= {total} THEN 0 WHEN r.matched >= {total - 2} THEN 1 ELSE 2 END "
        "ORDER BY r.matched DESC, q.price_minor, q.id) AS place "
        "FROM product q CROSS JOIN (SELECT m.product, COUNT(*) AS matched FROM ("
        + " UNION ALL ".join(branches)
        + ") AS m GROUP BY m.product) AS r "
        "WHERE r.product = q.id AND q.category = {} AND q.status = {} AND q.stock > 0 "
        "AND q.id <> {}) AS w "
        f"WHERE place <= {FETCH_PER_TIER}) AS t "
        "JOIN product p ON p.id = t.id JOIN brand b ON b.id = p.brand "
        "ORDER BY t.matched DESC, t.price_minor, t.id"
    )
    return await Product.raw(  # type: ignore[no-any-return]
        sql, *args, category_id, ProductStatus.active.value, product_id
    )


async def _values(product_ids: list[int], keys: list[str]) -> dict[int, dict[str, Value]]:
    marks = ", ".join("{}" for _ in keys)
    ids = ", ".join(str(int(product_id)) for product_id in product_ids)
    rows = await Product.raw(
        "SELECT product, key, low, high, base_unit, choice FROM product_spec_value "
        f"WHERE product IN ({ids}) AND key IN ({marks})",
        *keys,
    )
    found: dict[int, dict[str, Value]] = defaultdict(dict)
    for row in rows:
        found[row["product"]][row["key"]] = Value(
            row["low"], row["high"], row["base_unit"] or "", row["choice"] or ""
        )
    return found


async def _nearest_in_price(
    product_id: int, category_id: int, price_minor: int, limit: int = PER_GRADE
) -> list[Replacement]:
    rows = await Product.raw(
        "SELECT p.id, p.slug, p.title, p.sku, p.price_minor, p.currency, p.stock, "
        "b.name AS brand_name FROM product p JOIN brand b ON b.id = p.brand "
        "WHERE p.category = {} AND p.id <> {} AND p.status = {} AND p.stock > 0 "
        f"ORDER BY ABS(p.price_minor - {int(price_minor)}), p.id LIMIT {int(limit)}",
        category_id,
        product_id,
        ProductStatus.active.value,
    )
    return [Replacement(card, SIMILAR) for card in await _cards(rows)]
