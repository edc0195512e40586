"""Quick order: the lines of a parts list (services.parts_lists) matched to parts, set-based.

Each line's part number is compared written compact (lower case, without spaces, dashes, dots,
slashes and underscores: services.spec_search.compact_sku), so "6es7214-1ag40-0xb0",
"6ES7 214-1AG40-0XB0" and "6ES72141AG400XB0" are one part. The catalog's SKU is the maker's
part number (there is no separate manufacturer-part-number column), so that is what is matched.

Cost, whatever the number of lines (500 lines: a few tens of milliseconds, see the test):
1. one query for every line at once: `compact(sku) IN (…)`, answered by the expression index
   `product_sku_compact` (migration okmarts_2026_12_03t14_30_00_000000);
2. for the lines that matched nothing (at most MAX_SUGGESTED_LINES of them), close matches from
   a few candidates per line, each an index seek: the compact SKUs just before and after the
   line's in the index's order (they share its longest prefix: a typo near the end), and SKUs
   holding the line's last segment ("H1135": a typo near the start), through the SKU trigram
   index (FTS5 on SQLite, pg_trgm on PostgreSQL). All lines' seeks go in one UNION ALL query
   per MAX_LINES_PER_QUERY lines, then one query reads the candidates; difflib ranks them;
3. replacements (services.replacements, four queries each) for out-of-stock or discontinued
   parts, for the first MAX_REPLACED_LINES such lines only.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from okmarts.db import is_postgres
from okmarts.i18n import N_, Message
from okmarts.services import replacements
from okmarts.services.parts_lists import Line
from okmarts.services.rate_limits import Limit
from okmarts.services.spec_search import MIN_COMPACT, compact_sku, compact_sku_sql
from okmarts.tables.catalog import Product, ProductStatus

MATCHED, CHOOSE, UNAVAILABLE, NOT_FOUND, INVALID = (
    "matched",
    "choose",
    "unavailable",
    "not-found",
    "invalid",
)
# Matching a parts list is work: this many per shopper (account, or IP address) in the window.
MATCHES = Limit("quick-order", attempts=30, window=dt.timedelta(minutes=10))
CLOSE_MATCHES = 3
MIN_SIMILARITY = 0.6
MAX_SUGGESTED_LINES = 200
MAX_REPLACED_LINES = 20
REPLACEMENTS_PER_LINE = 3
NEIGHBOURS = 4  # compact SKUs taken on each side of a line's in the index
FRAGMENT_CANDIDATES = 12
MAX_LINES_PER_QUERY = 100  # SQLite joins at most 500 SELECTs in one compound query
_IN_CHUNK = 500  # values in one IN (…)
_COLUMNS = "id, sku, slug, title, price_minor, currency, stock, status, category"
_SEGMENTS = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class Part:
    id: int
    sku: str
    slug: str
    title: str
    price_minor: int
    currency: str
    stock: int
    status: str
    category: int

    @property
    def available(self) -> bool:
        return self.status == ProductStatus.active.value and self.stock > 0


@dataclass
class Match:
    """A line and what it found: its part, parts to choose from, or nothing."""

    line: Line
    status: str
    part: Part | None = None
    choices: list[Part] = field(default_factory=list)  # "did you mean…", best first
    replacements: list[Part] = field(default_factory=list)  # for an unavailable part
    quantity: int = 0  # what the quantity field proposes
    note: Message | None = None

    @property
    def number(self) -> int:
        return self.line.number


def _part(row: dict[str, Any]) -> Part:
    return Part(**{name: row[name] for name in Part.__dataclass_fields__})


async def _by_compact(compacts: list[str]) -> dict[str, list[Part]]:
    """Parts whose compact SKU is one of these, by compact SKU (one query per 500)."""
    found: dict[str, list[Part]] = {}
    expression = compact_sku_sql("sku")
    for start in range(0, len(compacts), _IN_CHUNK):
        chunk = compacts[start : start + _IN_CHUNK]
        marks = ", ".join("{}" for _ in chunk)
        for row in await Product.raw(
            f"SELECT {_COLUMNS}, {expression} AS compact FROM product "
            f"WHERE {expression} IN ({marks}) ORDER BY id",
            *chunk,
        ):
            found.setdefault(row["compact"], []).append(_part(row))
    return found


def _fragment(sku: str) -> str:
    """The line's last segment of three or more letters and digits ("h1135"), or ""."""
    segments = [piece for piece in _SEGMENTS.split(sku.lower()) if len(piece) >= 3]
    return segments[-1] if segments else ""


def _candidate_branches(
    index: int, compact: str, fragment: str, postgres: bool
) -> tuple[list[str], list[Any]]:
    expression = compact_sku_sql("sku")
    after, before = ("~>=~", "~<~") if postgres else (">=", "<")
    up, down = ("USING ~<~", "USING ~>~") if postgres else ("", "DESC")
    branches = [
        f"SELECT * FROM (SELECT {index} AS line, id FROM product WHERE {expression} {after} {{}} "
        f"ORDER BY {expression} {up} LIMIT {NEIGHBOURS}) AS a{index}",
        f"SELECT * FROM (SELECT {index} AS line, id FROM product WHERE {expression} {before} {{}} "
        f"ORDER BY {expression} {down} LIMIT {NEIGHBOURS}) AS b{index}",
    ]
    args: list[Any] = [compact, compact]
    if fragment:
        if postgres:  # pg_trgm's index on lower(sku)
            matched = "SELECT id FROM product WHERE lower(sku) LIKE {}"
            args.append(f"%{fragment}%")
        else:  # FTS5 trigram on the SKU
            matched = "SELECT rowid AS id FROM product_sku WHERE product_sku MATCH {}"
            args.append('"' + fragment + '"')
        branches.append(
            f"SELECT * FROM (SELECT {index} AS line, id FROM ({matched}) AS m "
            f"LIMIT {FRAGMENT_CANDIDATES}) AS f{index}"
        )
    return branches, args


async def _close_matches(wanted: list[tuple[int, str, str]]) -> dict[int, list[Part]]:
    """Up to CLOSE_MATCHES similar parts for each (key, compact, sku) that matched nothing."""
    postgres = is_postgres(Product._meta.db)
    candidates: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(wanted), MAX_LINES_PER_QUERY):
        branches: list[str] = []
        args: list[Any] = []
        for key, compact, sku in wanted[start : start + MAX_LINES_PER_QUERY]:
            more, more_args = _candidate_branches(key, compact, _fragment(sku), postgres)
            branches += more
            args += more_args
        for row in await Product.raw(" UNION ALL ".join(branches), *args):
            candidates[row["line"]].add(row["id"])
    ids = sorted({product for found in candidates.values() for product in found})
    parts: dict[int, Part] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        marks = ", ".join("{}" for _ in chunk)
        for row in await Product.raw(
            f"SELECT {_COLUMNS} FROM product WHERE id IN ({marks})", *chunk
        ):
            parts[row["id"]] = _part(row)
    close: dict[int, list[Part]] = {}
    for key, compact, _sku in wanted:
        scored = []
        for product_id in candidates.get(key, ()):
            part = parts.get(product_id)
            if part is None:
                continue
            ratio = difflib.SequenceMatcher(None, compact, compact_sku(part.sku)).ratio()
            if ratio >= MIN_SIMILARITY:
                scored.append((-ratio, not part.available, part.id, part))
        close[key] = [part for *_, part in sorted(scored)[:CLOSE_MATCHES]]
    return close


async def _replacements_for(part: Part) -> list[Part]:
    found = await replacements.find(
        part.id, part.category, part.price_minor, per_grade=REPLACEMENTS_PER_LINE
    )
    return [
        Part(
            id=card.id,
            sku=card.sku,
            slug=card.slug,
            title=card.title,
            price_minor=card.price_minor,
            currency=card.currency,
            stock=card.stock,
            status=card.status,
            category=part.category,
        )
        for card in found.cards
        if card.stock > 0
    ][:REPLACEMENTS_PER_LINE]


def _matched(line: Line, part: Part) -> Match:
    if not part.available:
        return Match(line, UNAVAILABLE, part=part, quantity=line.quantity)
    if line.quantity > part.stock:
        return Match(
            line,
            MATCHED,
            part=part,
            quantity=part.stock,
            note=Message(
                N_("Only %(num)s in stock: the quantity is lowered to that."), {"num": part.stock}
            ),
        )
    return Match(line, MATCHED, part=part, quantity=line.quantity)


async def match_lines(lines: list[Line]) -> list[Match]:
    """Every line with what it matched (see the module's docstring for the cost)."""
    readable = [line for line in lines if line.error is None]
    compacts = {compact_sku(line.sku) for line in readable}
    compacts |= {compact_sku(line.whole) for line in readable if line.whole}
    compacts = {compact for compact in compacts if compact}
    found = await _by_compact(sorted(compacts)) if compacts else {}
    matches: list[Match] = []
    unmatched: list[tuple[int, str, str]] = []
    for position, line in enumerate(lines):
        if line.error is not None:
            matches.append(Match(line, INVALID, note=line.error))
            continue
        parts = found.get(compact_sku(line.sku), [])
        if not parts and line.whole and found.get(compact_sku(line.whole)):
            # "6ES7 214": not 214 × "6ES7" but one "6ES7 214".
            parts = found[compact_sku(line.whole)]
            line = Line(line.number, line.whole, 1)
        exact = [part for part in parts if part.sku.lower() == line.sku.lower()]
        if len(exact) == 1 or len(parts) == 1:
            matches.append(_matched(line, (exact or parts)[0]))
        elif parts:  # "AB 1" and "AB-1" are both in the catalog: the shopper says which
            matches.append(Match(line, CHOOSE, choices=parts[:5], quantity=line.quantity))
        else:
            matches.append(Match(line, NOT_FOUND, quantity=line.quantity))
            compact = compact_sku(line.sku)
            if len(compact) >= MIN_COMPACT and len(unmatched) < MAX_SUGGESTED_LINES:
                unmatched.append((position, compact, line.sku))
    if unmatched:
        close = await _close_matches(unmatched)
        for position, _compact, _sku in unmatched:
            if close.get(position):
                matches[position].status = CHOOSE
                matches[position].choices = close[position]
    unavailable = [match for match in matches if match.status == UNAVAILABLE]
    for match in unavailable[:MAX_REPLACED_LINES]:
        assert match.part is not None
        match.replacements = await _replacements_for(match.part)
    return matches


def summary(matches: list[Match]) -> dict[str, int]:
    """How many lines have each status (for the page's summary)."""
    counts: dict[str, int] = defaultdict(int)
    for match in matches:
        counts[match.status] += 1
    return dict(counts)


async def titles(product_ids: list[int]) -> dict[int, str]:
    """The products' titles (one query), for the cart's messages that name a part."""
    if not product_ids:
        return {}
    rows = await Product.select(Product.id, Product.title).where(Product.id.is_in(product_ids))
    return {row["id"]: row["title"] for row in rows}
