"""Search that reads values and part numbers: "m12 pnp 4mm", "24v relay", "6ES72141AG40".

`read_query` splits what a shopper typed into words (matched by the full-text index as
before), values with a unit ("4mm", "4 mm", "0.4cm", "24v": matched against the typed spec
values, `product_spec_value`, in base units) and the query as a compact part number (letters
and digits only, lower case: "6ES7 214-1AG40" and "6es72141ag40" are the same prefix of the
SKU "6ES7 214-1AG40-0XB0"). The SQL pieces here are the same on SQLite and PostgreSQL, and
each is answered from an index:
- a value: `product_spec_value (product)` for the products the words found, or
  `(base_unit, low)` when the query is values only;
- a part number: the expression index on the compact SKU (`product_sku_compact`, migration
  okmarts_2026_12_03t14_30_00_000000), as a range: every SKU that starts with the prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from okmarts.services import units
from okmarts.services.units import Measure

# What a part number is written with besides letters and digits; dropped from both sides.
SKU_SEPARATORS = " -./_"
# A shorter compact query would walk too many SKUs ("6", "ab").
MIN_COMPACT = 3
# More values than this in one query are read as words (each value is one more lookup).
MAX_MEASURES = 4
# A unit written in lower case ("24v", "4MM") where the catalog writes it otherwise ("24 V").
# Left out: "k" and "b" ("4k", "2b"); and "in" apart ("relay 12 in stock" is not 12 inches).
_CASELESS_UNITS: dict[str, str] = {}
for _name in sorted(units.UNIT_NAMES, key=lambda name: name != name.lower()):
    _CASELESS_UNITS.setdefault(_name.casefold(), _name)
_AMBIGUOUS = {
    folded
    for folded in _CASELESS_UNITS
    if len([name for name in units.UNIT_NAMES if name.casefold() == folded]) > 1
    and folded not in units.UNIT_NAMES
}
for _folded in (*_AMBIGUOUS, "k", "b"):
    _CASELESS_UNITS.pop(_folded, None)

_NOT_A_UNIT_APART = {"in"}
_NUMBER = r"[-+]?\d+(?:[.,]\d+)?"
_VALUE = re.compile(rf"^(?P<number>{_NUMBER})\s*(?P<unit>[^\d\s]+)$")
_BARE_NUMBER = re.compile(rf"^{_NUMBER}$")


@dataclass(frozen=True)
class SpecQuery:
    words: list[str]  # what is left for the full-text index, as catalog.query_words reads it
    measures: list[Measure] = field(default_factory=list)
    compact: str = ""  # the query as the start of a compact SKU ("" when too short)


def _unit(written: str) -> str | None:
    folded = written.replace("µ", "u").replace("μ", "u")
    if folded in units.UNIT_NAMES:
        return folded
    return _CASELESS_UNITS.get(folded.casefold())


@lru_cache(maxsize=1024)
def read_measure(token: str) -> Measure | None:
    """A query token that is a value with a unit, "4mm", "24v", "0.4cm", "4 mm"; else None."""
    match = _VALUE.match(token.strip())
    if not match or (unit := _unit(match["unit"])) is None:
        return None
    return units.parse_measure(f"{match['number']} {unit}")


def compact_sku(text: str) -> str:
    """A part number as the index holds it: lower case, without spaces, dashes, dots…"""
    folded = text.lower()
    for separator in SKU_SEPARATORS:
        folded = folded.replace(separator, "")
    return folded


def read_query(text: str, query_words) -> SpecQuery:
    """The query's values with a unit, and its other words (through `query_words`)."""
    tokens = text.split()
    left: list[str] = []
    measures: list[Measure] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        joined = f"{token} {tokens[index + 1]}" if index + 1 < len(tokens) else ""
        if (
            joined
            and _BARE_NUMBER.match(token)
            and tokens[index + 1].casefold() not in _NOT_A_UNIT_APART
            and len(measures) < MAX_MEASURES
            and (measure := read_measure(joined))
        ):
            measures.append(measure)
            index += 2
            continue
        if len(measures) < MAX_MEASURES and (measure := read_measure(token)):
            measures.append(measure)
        else:
            left.append(token)
        index += 1
    compact = compact_sku(text)
    return SpecQuery(
        words=query_words(" ".join(left)),
        measures=list(dict.fromkeys(measures)),
        compact=compact if len(compact) >= MIN_COMPACT else "",
    )


# --- SQL, the same on both databases ---------------------------------------------------------


def compact_sku_sql(column: str = "sku") -> str:
    """The compact SKU as SQL: the indexed expression, written exactly as the index has it."""
    expression = f"lower({column})"
    for separator in SKU_SEPARATORS:
        expression = f"replace({expression}, '{separator}', '')"
    return expression


def measures_sql(measures: list[Measure], product: str, postgres: bool) -> tuple[str, list[object]]:
    """ " AND EXISTS (…)" for each value: the product has a typed value in the same base units
    equal to it, or a range covering it."""
    # SQLite through the (product) index: a product's few values. Its unit and bound are
    # written so that no other index answers them: SQLite would walk every value in metres for
    # each product the words found. PostgreSQL weighs both ways (a semi-join over the
    # (base_unit, low, high, product) index, or a product's values) by its statistics.
    unit, low = (
        ("v{n}.base_unit", "v{n}.low") if postgres else ("v{n}.base_unit || ''", "v{n}.low + 0")
    )
    sql, args = "", []
    for number, measure in enumerate(measures):
        sql += (
            f" AND EXISTS (SELECT 1 FROM product_spec_value v{number} WHERE v{number}.product = "
            f"{product} AND {unit.format(n=number)} = {{}} AND {low.format(n=number)} <= {{}} "
            f"AND v{number}.high >= {{}})"
        )
        args += [measure.base_unit, measure.low, measure.high]
    return sql, args


def measure_ids_sql(
    measures: list[Measure], stock: str, postgres: bool
) -> tuple[str, list[object]]:
    """ "FROM … WHERE …" of the products having every value, driven by the first value's
    (base_unit, low) index; the id column is `v.product`."""
    first, *others = measures
    joined = " JOIN product p ON p.id = v.product" if stock else ""
    others_sql, others_args = measures_sql(others, "v.product", postgres)
    return (
        f"FROM product_spec_value v{joined} WHERE v.base_unit = {{}} AND v.low <= {{}} "
        f"AND v.high >= {{}}{others_sql}{stock}",
        [first.base_unit, first.low, first.high, *others_args],
    )


# Past every character a SKU holds: the prefix's upper bound in binary (byte) order.
_LAST = "\U0010ffff"


def compact_range_sql(compact: str, postgres: bool) -> tuple[str, list[object]]:
    """The condition "the compact SKU starts with `compact`", as a range of the index."""
    expression = compact_sku_sql("p.sku")
    if postgres:  # the index is text_pattern_ops: byte order, whatever the collation
        return f"{expression} ~>=~ {{}} AND {expression} ~<~ {{}}", [compact, compact + _LAST]
    return f"{expression} >= {{}} AND {expression} < {{}}", [compact, compact + _LAST]
