"""Recommendations that say why: kits, "often bought together", and (with consent) "buy again".

- **Kits** (`Bundle`, `BundlePart`) are put together by staff in the admin. A kit's page and each
  part's product page show it; "Add the kit" puts every part in the cart at once (services.cart
  `add_many`), and pricing gives the kit price to every complete kit in the cart
  (services.pricing `BundleTerms`), competing with coupons and automatic discounts.
- **Often bought together** is not personal: `product_pair` counts, for each two products, the
  live orders holding both. `count_order` adds an order's pairs in the transaction that writes
  it and `uncount_order` takes them away in the one that cancels or refunds it, so a request
  only reads one index range (product, orders) — never a scan of the orders. A pair shows from
  `MIN_SUPPORT` orders on, so one order does not make a recommendation.
  Measured (bench/product_pairs.py, SQLite, 200,000 products, 1,000,000 order lines in
  250,000 orders, 3.9 million pair rows, a busy 2-core machine): counting an order's pairs
  1.3-2.5 ms; a product's partners 0.03-0.1 ms, 0.1-0.3 ms for the most popular products.
- **Buy again** is personal: products from the shopper's own delivered orders, only while
  services.privacy.personalisation_allowed says so, and never in a shared cached page.
- **Dismissals**: a signed-in shopper whose data may be used for personalisation has them kept
  in `recommendation_dismissal` (personal data: export, erasure, retention; removed when the
  consent is withdrawn); anyone else's are kept in the browser's own cookie, and only with the
  preferences cookie category accepted (okmarts.dismissals).
- **Recently viewed** is never stored here: the browser's own cookie (okmarts.recently_viewed)
  lists the slugs, and `recently_viewed_cards` only turns them into cards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from okmarts.db import write_transaction
from okmarts.services import pricing
from okmarts.services.catalog import ProductCard, _cards
from okmarts.services.privacy import is_child, personalisation_allowed
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.tables.checkout import Order
from okmarts.tables.recommendations import (
    Bundle,
    BundlePart,
    ProductPair,
    RecommendationDismissal,
)

# A pair is recommended from this many orders holding both products on.
MIN_SUPPORT = 2
# The cart asks for partners of its most recently added products only (each one index range).
CART_SOURCES = 5
# Orders whose products count as bought (for "buy again").
DELIVERED = ("delivered", "completed")
MAX_DISMISSALS = 200


@dataclass
class Recommendation:
    """A product card with the reason it is shown (the template words each `reason`):
    "bought_with": often bought with `about` (a product's title); "ordered": the shopper
    ordered it on `ordered_at`; "viewed": this browser showed it recently."""

    card: ProductCard
    reason: str
    about: str = ""
    ordered_at: dt.datetime | None = None


# -- Often bought together: the pair counts ---------------------------------------------------


def pairs_insert(order_id: int, change: int) -> str:
    """The statement adding `change` (+1 placed, -1 cancelled or refunded) to every pair of the
    order's products, both ways. Each ordered pair of two different products once (a cart holds
    a product on one line, but an order may be written otherwise one day), in a fixed order so
    that concurrent writers lock the rows they share in the same order (no deadlock on
    PostgreSQL). The WHERE clause also keeps SQLite's parser from reading ON CONFLICT as the
    join's ON. A pair taken away that was never counted is written at 0 (and then deleted)."""
    return (
        "INSERT INTO product_pair (product, other, orders)"
        f" SELECT a.product, b.product, {max(0, int(change))}"
        ' FROM order_line a JOIN order_line b ON b."order" = a."order" AND b.product <> a.product'
        f' WHERE a."order" = {int(order_id)} AND a.product IS NOT NULL AND b.product IS NOT NULL'
        " GROUP BY a.product, b.product ORDER BY a.product, b.product"
        " ON CONFLICT (product, other) DO UPDATE"
        f" SET orders = product_pair.orders + ({int(change)})"
    )


async def count_order(order_id: int) -> None:
    """A placed order's products count as bought together (inside the order's transaction)."""
    await ProductPair.raw(pairs_insert(order_id, 1))


async def uncount_order(order_id: int) -> None:
    """A cancelled or refunded order's pairs no longer count (inside the status change's
    transaction; the caller makes sure it happens once per order). Pairs left with no order
    are deleted."""
    await ProductPair.raw(pairs_insert(order_id, -1))
    await ProductPair.raw(
        "DELETE FROM product_pair WHERE orders <= 0 AND product IN "
        f'(SELECT product FROM order_line WHERE "order" = {int(order_id)})'
    )


async def pair_count(product_id: int, other_id: int) -> int:
    rows = await ProductPair.raw(
        "SELECT orders FROM product_pair WHERE product = {} AND other = {}", product_id, other_id
    )
    return int(rows[0]["orders"]) if rows else 0


async def _partners(product_id: int, limit: int) -> list[dict[str, Any]]:
    """The product's most frequent partners, from the (product, orders) index alone."""
    return await ProductPair.raw(
        "SELECT other, orders FROM product_pair WHERE product = {} AND orders >= {}"
        " ORDER BY orders DESC, other LIMIT {}",
        product_id,
        MIN_SUPPORT,
        limit,
    )


async def _in_stock_cards(ids: Sequence[int]) -> dict[int, ProductCard]:
    """Cards of these products that can be bought now, by id (one query and their pictures)."""
    if not ids:
        return {}
    rows = await Product.select(
        Product.id,
        Product.slug,
        Product.title,
        Product.sku,
        Product.price_minor,
        Product.currency,
        Product.stock,
        Product.brand.name.as_alias("brand_name"),
    ).where(Product.id.is_in(list(ids)), Product.stock > 0, Product.status == "active")
    return {card.id: card for card in await _cards(rows)}


async def bought_with(product_id: int, title: str, limit: int = 4) -> list[Recommendation]:
    """ "Often bought with <title>": this product's partners in stock, the most frequent first."""
    partners = [row["other"] for row in await _partners(product_id, limit * 2)]
    cards = await _in_stock_cards(partners)
    return [
        Recommendation(cards[other], "bought_with", about=title)
        for other in partners
        if other in cards
    ][:limit]


async def bought_with_cart(
    items: Sequence[tuple[int, str]], hidden: Iterable[int] = (), limit: int = 4
) -> list[Recommendation]:
    """Partners of the cart's last added products (id, title), not in the cart nor dismissed."""
    exclude = {product_id for product_id, _ in items} | set(hidden)
    best: dict[int, tuple[int, str]] = {}
    for product_id, title in list(items)[-CART_SOURCES:]:
        for row in await _partners(product_id, limit * 2):
            other, orders = row["other"], row["orders"]
            if other not in exclude and orders > best.get(other, (0, ""))[0]:
                best[other] = (orders, title)
    ranked = sorted(best, key=lambda other: (-best[other][0], other))
    cards = await _in_stock_cards(ranked[: limit * 2])
    return [
        Recommendation(cards[other], "bought_with", about=best[other][1])
        for other in ranked
        if other in cards
    ][:limit]


async def for_product_page(
    product_id: int, title: str, limit: int = 4
) -> tuple[list[Recommendation], list[Kit]]:
    """What a product page recommends: its partners ("often bought with") and the kits it is a
    part of, found with one query (two index ranges); their cards and kits only when there are
    some."""
    rows = await ProductPair.raw(
        "SELECT * FROM (SELECT 'pair' AS kind, other AS id, orders FROM product_pair"
        " WHERE product = {} AND orders >= {} ORDER BY orders DESC, other LIMIT {}) AS pairs"
        " UNION ALL SELECT 'kit' AS kind, bundle AS id, 0 AS orders FROM bundle_part"
        " WHERE product = {}",
        product_id,
        MIN_SUPPORT,
        limit * 2,
        product_id,
    )
    partners = [row["id"] for row in rows if row["kind"] == "pair"]
    kit_ids = [row["id"] for row in rows if row["kind"] == "kit"]
    cards = await _in_stock_cards(partners)
    recommended = [
        Recommendation(cards[other], "bought_with", about=title)
        for other in partners
        if other in cards
    ][:limit]
    kits = await _kits(Bundle.id.is_in(kit_ids)) if kit_ids else []
    return recommended, kits


# -- Kits -----------------------------------------------------------------------------------------


@dataclass
class KitPart:
    product_id: int
    slug: str
    title: str
    sku: str
    unit_price_minor: int
    stock: int
    quantity: int

    @property
    def available(self) -> bool:
        return self.stock >= self.quantity


@dataclass
class Kit:
    id: int
    name: str
    slug: str
    description: str
    currency: str
    price_minor: int | None
    percent_off: int | None
    parts: list[KitPart]

    @property
    def parts_total_minor(self) -> int:
        return sum(part.unit_price_minor * part.quantity for part in self.parts)

    @property
    def terms(self) -> pricing.BundleTerms:
        return pricing.BundleTerms(
            name=self.name,
            parts=tuple((part.product_id, part.quantity) for part in self.parts),
            price_minor=self.price_minor,
            percent_off=self.percent_off,
        )

    @property
    def saving_minor(self) -> int:
        prices = {part.product_id: part.unit_price_minor for part in self.parts}
        return pricing.kit_saving(self.terms, prices)

    @property
    def kit_price_minor(self) -> int:
        return self.parts_total_minor - self.saving_minor

    @property
    def missing(self) -> list[KitPart]:
        """Parts that can't be had in the kit's quantity now."""
        return [part for part in self.parts if not part.available]

    @property
    def available_parts(self) -> list[KitPart]:
        return [part for part in self.parts if part.available]


async def _kits(where: Any) -> list[Kit]:
    bundles = await Bundle.select().where(Bundle.active.eq(True), where).order_by(Bundle.name)
    if not bundles:
        return []
    parts = (
        await BundlePart.select(
            BundlePart.bundle,
            BundlePart.quantity,
            BundlePart.product.id.as_alias("product_id"),
            BundlePart.product.slug.as_alias("slug"),
            BundlePart.product.title.as_alias("title"),
            BundlePart.product.sku.as_alias("sku"),
            BundlePart.product.price_minor.as_alias("price_minor"),
            BundlePart.product.currency.as_alias("currency"),
            BundlePart.product.stock.as_alias("stock"),
        )
        .where(BundlePart.bundle.is_in([row["id"] for row in bundles]))
        .order_by(BundlePart.position)
        .order_by(BundlePart.id)
    )
    kits = []
    for row in bundles:
        kit_parts = [
            KitPart(
                product_id=part["product_id"],
                slug=part["slug"],
                title=part["title"],
                sku=part["sku"],
                unit_price_minor=part["price_minor"],
                stock=part["stock"],
                quantity=max(1, part["quantity"]),
            )
            for part in parts
            if part["bundle"] == row["id"] and part["currency"] == row["currency"]
        ]
        if kit_parts:
            kits.append(
                Kit(
                    id=row["id"],
                    name=row["name"],
                    slug=row["slug"],
                    description=row["description"],
                    currency=row["currency"],
                    price_minor=row["price_minor"],
                    percent_off=row["percent_off"],
                    parts=kit_parts,
                )
            )
    return kits


async def get_kit(slug: str) -> Kit | None:
    kits = await _kits(Bundle.slug == slug)
    return kits[0] if kits else None


async def bundle_terms(currency: str, product_ids: Iterable[int]) -> list[pricing.BundleTerms]:
    """The kits that could apply to a cart of these products (all of a kit's parts in it)."""
    ids = set(product_ids)
    if not ids:
        return []
    linked = await BundlePart.select(BundlePart.bundle).where(BundlePart.product.is_in(list(ids)))
    if not linked:
        return []
    kits = await _kits(
        (Bundle.id.is_in(list({row["bundle"] for row in linked}))) & (Bundle.currency == currency)
    )
    return [kit.terms for kit in kits if all(part.product_id in ids for part in kit.parts)]


@dataclass
class KitGroup:
    """Complete kits in the cart, for the cart page to group their lines under the kit's name."""

    kit: Kit
    count: int


async def kits_in_cart(lines: Sequence[pricing.PricedLine], currency: str) -> list[KitGroup]:
    quantities: dict[int, int] = {}
    for line in lines:
        quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
    if not quantities:
        return []
    linked = await BundlePart.select(BundlePart.bundle).where(
        BundlePart.product.is_in(list(quantities))
    )
    if not linked:
        return []
    kits = await _kits(
        (Bundle.id.is_in(list({row["bundle"] for row in linked}))) & (Bundle.currency == currency)
    )
    groups = []
    for kit in kits:
        count = min(quantities.get(part.product_id, 0) // part.quantity for part in kit.parts)
        if count > 0:
            groups.append(KitGroup(kit, count))
    return groups


# -- Buy again (personal) ----------------------------------------------------------------------


async def buy_again(account: Account, limit: int = 4) -> list[Recommendation]:
    """Products from the shopper's own delivered orders, the latest first, with the date they
    were ordered; nothing at all unless their data may be used for personalisation."""
    if not personalisation_allowed(account):
        return []
    hidden = await dismissed_ids(account)
    rows = await Order.raw(
        "SELECT l.product AS product, MAX(o.created_at) AS ordered_at"
        ' FROM order_line l JOIN shop_order o ON o.id = l."order"'
        " WHERE o.account = {} AND o.status IN ("
        + ", ".join(f"'{status}'" for status in DELIVERED)
        + ")"
        " AND l.product IS NOT NULL GROUP BY l.product ORDER BY 2 DESC LIMIT {}",
        account.id,
        limit * 3,
    )
    wanted = [row["product"] for row in rows if row["product"] not in hidden]
    cards = await _in_stock_cards(wanted)
    dates = {row["product"]: _as_datetime(row["ordered_at"]) for row in rows}
    return [
        Recommendation(cards[pid], "ordered", ordered_at=dates[pid])
        for pid in wanted
        if pid in cards
    ][:limit]


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


@dataclass
class ForYou:
    """The personal block for one shopper: what to buy again, or the offer to turn it on."""

    recommendations: list[Recommendation]
    offer: bool  # "turn on personalised recommendations" (never to a child or a restricted one)
    viewed: list[Recommendation] = field(default_factory=list)


async def for_you(account: Account | None, viewed_slugs: Sequence[str] = ()) -> ForYou:
    """The home page's and personal center's personal block. Visitors: what their browser
    says they viewed (okmarts.recently_viewed decides whether it may). Without the consent:
    only the one-line offer, to those who may give it. Nothing is read from the shopper's
    orders unless personalisation_allowed says so."""
    viewed = await recently_viewed_cards(viewed_slugs)
    if account is None:
        return ForYou([], offer=False, viewed=viewed)
    if personalisation_allowed(account):
        return ForYou(await buy_again(account), offer=False, viewed=viewed)
    may_offer = not (
        account.personalisation_consent
        or account.restrict_processing
        or account.object_to_marketing
        or is_child(account)
    )
    return ForYou([], offer=may_offer)


async def recently_viewed_cards(slugs: Sequence[str], limit: int = 4) -> list[Recommendation]:
    """Cards of these products (newest viewed first), in stock, for "Recently viewed"."""
    if not slugs:
        return []
    rows = await Product.select(Product.id, Product.slug).where(Product.slug.is_in(list(slugs)))
    ids = {row["slug"]: row["id"] for row in rows}
    cards = await _in_stock_cards(list(ids.values()))
    ordered = [cards[ids[slug]] for slug in slugs if slug in ids and ids[slug] in cards]
    return [Recommendation(card, "viewed") for card in ordered[:limit]]


# -- Dismissals -------------------------------------------------------------------------------


def remembers_in_database(account: Account | None) -> bool:
    """Dismissals are kept with the account only while its data may personalise; otherwise the
    browser keeps them (a cookie, with the preferences category accepted)."""
    return account is not None and personalisation_allowed(account)


async def dismiss(account: Account, product_id: int, now: dt.datetime | None = None) -> bool:
    """Remember that this shopper does not want `product_id` recommended (once; idempotent).
    False when the product does not exist."""
    now = now or dt.datetime.now(dt.UTC)
    if not await Product.exists().where(Product.id == product_id):
        return False
    async with write_transaction(RecommendationDismissal._meta.db, durable=False):
        await RecommendationDismissal.raw(
            "INSERT INTO recommendation_dismissal (account, product, created_at)"
            " VALUES ({}, {}, {}) ON CONFLICT (account, product) DO NOTHING",
            account.id,
            product_id,
            now,
        )
    return True


async def dismissed_ids(account: Account) -> set[int]:
    rows = await RecommendationDismissal.raw(
        "SELECT product FROM recommendation_dismissal WHERE account = {}"
        " ORDER BY created_at DESC LIMIT {}",
        account.id,
        MAX_DISMISSALS,
    )
    return {row["product"] for row in rows}
