"""The cart: a visitor's in a signed cookie (nothing personal on the server), an account's in
the database; merged at sign-in. Quantities are checked against stock as they change."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from okmarts.db import lock_row, write_transaction
from okmarts.i18n import N_, Message
from okmarts.services import pricing
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product, ProductImage, ProductStatus
from okmarts.tables.checkout import CartLine

MAX_QUANTITY = 999
MAX_LINES = 50
DISCONTINUED = N_("This part is discontinued: its page lists the parts that replace it.")
DISCONTINUED_LINE = N_("Discontinued: remove it to check out (its page lists replacements).")


class CartError(Exception):
    """A change the cart can't take; the message says why."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.msgid)
        self.message = message


@dataclass(frozen=True)
class CartItem:
    product_id: int
    quantity: int


@dataclass
class CartLineView:
    product_id: int
    slug: str
    sku: str
    title: str
    unit_price_minor: int
    currency: str
    stock: int
    weight_grams: int
    points_price: int | None
    image: str
    quantity: int
    status: str = ProductStatus.active.value
    # Price breaks (services.pricing rule 1): unit_price_minor is the price at this quantity;
    # list_price_minor the product's 1+ price; break_quantity the break that applies (0: none).
    list_price_minor: int = 0
    break_quantity: int = 0

    @property
    def saving_minor(self) -> int:
        """What the break saves on this line against the 1+ price."""
        if not self.break_quantity:
            return 0
        return max(0, self.list_price_minor - self.unit_price_minor) * self.quantity

    @property
    def discontinued(self) -> bool:
        return self.status == ProductStatus.discontinued.value

    @property
    def line_total_minor(self) -> int:
        return self.unit_price_minor * self.quantity

    @property
    def problem(self) -> Message | None:
        """Why this line can't be bought as it is (stock fell since it was added, or the part
        was discontinued)."""
        if self.discontinued:
            return Message(DISCONTINUED_LINE)
        if self.stock <= 0:
            return Message(N_("Out of stock: remove it to check out."))
        if self.quantity > self.stock:
            return Message(N_("Only %(num)s left in stock."), {"num": self.stock})
        return None


@dataclass
class CartView:
    lines: list[CartLineView] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def subtotal_minor(self) -> int:
        return sum(line.line_total_minor for line in self.lines)

    @property
    def currency(self) -> str:
        return self.lines[0].currency if self.lines else "USD"

    @property
    def weight_grams(self) -> int:
        return sum(line.weight_grams * line.quantity for line in self.lines)

    @property
    def ready(self) -> bool:
        return bool(self.lines) and all(line.problem is None for line in self.lines)

    def items(self) -> list[CartItem]:
        return [CartItem(line.product_id, line.quantity) for line in self.lines]


# -- The visitor's cookie ----------------------------------------------------------------------


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="okmarts.cart")


def encode_cookie_cart(secret: str, items: list[CartItem]) -> str:
    return _serializer(secret).dumps([[item.product_id, item.quantity] for item in items])


def decode_cookie_cart(secret: str, raw: str | None) -> list[CartItem]:
    """The items in a visitor's cart cookie; a forged or broken cookie is an empty cart."""
    if not raw:
        return []
    try:
        data = _serializer(secret).loads(raw)
    except (BadSignature, ValueError, UnicodeError):
        return []
    items: list[CartItem] = []
    if isinstance(data, list):
        for entry in data[:MAX_LINES]:
            if (
                isinstance(entry, list)
                and len(entry) == 2
                and all(isinstance(value, int) and not isinstance(value, bool) for value in entry)
                and entry[0] > 0
                and 0 < entry[1] <= MAX_QUANTITY
            ):
                items.append(CartItem(entry[0], entry[1]))
    return items


# -- Reading ------------------------------------------------------------------------------------


# The queries of a signed-in shopper's every page and every add are written once as SQL: the
# ORM rebuilding them each time cost more than running them.


async def account_items(account_id: int) -> list[CartItem]:
    rows = await CartLine.raw(
        "SELECT product, quantity FROM cart_line WHERE account = {} ORDER BY id", account_id
    )
    return [CartItem(row["product"], row["quantity"]) for row in rows]


async def account_count(account_id: int) -> int:
    rows = await CartLine.raw(
        "SELECT COALESCE(SUM(quantity), 0) AS n FROM cart_line WHERE account = {}", account_id
    )
    return int(rows[0]["n"])


async def view(items: list[CartItem]) -> CartView:
    """The cart's lines with their products, each at its quantity's break price (three
    queries, whatever the number of lines)."""
    if not items:
        return CartView()
    ids = [item.product_id for item in items]
    products = {
        row["id"]: row
        for row in await Product.select(
            Product.id,
            Product.slug,
            Product.sku,
            Product.title,
            Product.price_minor,
            Product.currency,
            Product.stock,
            Product.weight_grams,
            Product.points_price,
            Product.status,
        ).where(Product.id.is_in(ids))
    }
    images = {
        row["product"]: row["path"]
        for row in await ProductImage.select(ProductImage.product, ProductImage.path).where(
            ProductImage.product.is_in(ids), ProductImage.position == 0
        )
    }
    breaks = await pricing.break_prices(ids)
    lines = []
    for item in items:
        product = products.get(item.product_id)
        if product is None:
            continue  # the product is gone: the line goes with it
        applied = pricing.break_for(
            product["price_minor"], breaks.get(product["id"], ()), item.quantity
        )
        lines.append(
            CartLineView(
                product_id=product["id"],
                slug=product["slug"],
                sku=product["sku"],
                title=product["title"],
                unit_price_minor=product["price_minor"] if applied is None else applied[1],
                currency=product["currency"],
                stock=product["stock"],
                weight_grams=product["weight_grams"],
                points_price=product["points_price"],
                image=images.get(product["id"], ""),
                quantity=item.quantity,
                status=product["status"],
                list_price_minor=product["price_minor"],
                break_quantity=0 if applied is None else applied[0],
            )
        )
    return CartView(lines)


# -- Changing -----------------------------------------------------------------------------------


def _check(product: dict[str, Any] | None, wanted: int, new_line: bool, lines: int) -> None:
    """Raise a CartError if the cart can't hold `wanted` of this product (its row: stock,
    status, and `foreign_lines`, how many of the cart's other lines are in another currency),
    being a new line in a cart of `lines` lines."""
    if product is None:
        raise CartError(Message(N_("This product is no longer available.")))
    if wanted > MAX_QUANTITY:
        raise CartError(
            Message(N_("At most %(num)s of one product per order."), {"num": MAX_QUANTITY})
        )
    if product["status"] == ProductStatus.discontinued.value:
        raise CartError(Message(DISCONTINUED))
    if product["stock"] <= 0:
        raise CartError(Message(N_("Sorry, this product is out of stock.")))
    if wanted > product["stock"]:
        raise CartError(
            Message(N_("Only %(num)s of this product are in stock."), {"num": product["stock"]})
        )
    if new_line and lines >= MAX_LINES:
        raise CartError(Message(N_("Your cart is full: check out or remove a product first.")))
    if product["foreign_lines"]:
        raise CartError(Message(N_("This product is priced in another currency than your cart.")))


async def change(
    items: list[CartItem], product_id: int, quantity: int, *, add: bool
) -> list[CartItem]:
    """The cart with a product added (or its quantity set); 0 removes it. Checks the stock."""
    current = {item.product_id: item.quantity for item in items}
    wanted = current.get(product_id, 0) + quantity if add else quantity
    if wanted <= 0:
        current.pop(product_id, None)
        return [CartItem(pid, qty) for pid, qty in current.items()]
    # The product, and whether any of the cart's other products is priced in another currency,
    # in one query of one row (a row per line cost more to read than the check).
    others = [pid for pid in current if pid != product_id]
    foreign = (
        "(SELECT count(*) FROM product o WHERE o.currency <> p.currency AND o.id IN ("
        + ", ".join(map(str, map(int, others)))
        + "))"
        if others
        else "0"
    )
    rows = await Product.raw(
        f"SELECT p.stock, p.currency, p.status, {foreign} AS foreign_lines FROM product p "
        "WHERE p.id = {}",
        product_id,
    )
    _check(rows[0] if rows else None, wanted, product_id not in current, len(current))
    current[product_id] = wanted
    return [CartItem(pid, qty) for pid, qty in current.items()]


async def add_many(items: list[CartItem], additions: list[tuple[int, int, str]]) -> list[CartItem]:
    """The cart with several products added at once (a kit's parts: id, quantity, title), each
    checked as `change` checks one; the first that can't be added stops it all, named."""
    for product_id, quantity, title in additions:
        try:
            items = await change(items, product_id, quantity, add=True)
        except CartError as problem:
            if problem.message.msgid == DISCONTINUED:
                raise CartError(
                    Message(N_("%(title)s is discontinued and can't be added."), {"title": title})
                ) from problem
            if problem.message.msgid in _NAMED_PROBLEMS:
                raise CartError(
                    Message(N_("%(title)s can't be added: not enough in stock."), {"title": title})
                ) from problem
            raise
    return items


# What `change` says of "this product" that add_many says of a named part instead.
_NAMED_PROBLEMS = {
    "Sorry, this product is out of stock.",
    "Only %(num)s of this product are in stock.",
    "At most %(num)s of one product per order.",
    "This product is no longer available.",
}


async def add_many_to_account_cart(
    account_id: int, additions: list[tuple[int, int, str]]
) -> list[CartItem]:
    """`add_many` for a signed-in shopper's cart: one locked transaction, all or nothing."""
    async with write_transaction(CartLine._meta.db, durable=False):
        await lock_row(Account, account_id)
        items = await add_many(await account_items(account_id), additions)
        await _replace_lines(account_id, items)
    return items


async def product_title(product_id: int) -> str:
    """The product's name, for the message that says what was just added."""
    rows = await Product.raw("SELECT title FROM product WHERE id = {}", product_id)
    return str(rows[0]["title"]) if rows else ""


async def change_account_cart(
    account_id: int, product_id: int, quantity: int, *, add: bool
) -> list[CartItem]:
    """`change` for a signed-in shopper's cart, as one locked transaction.

    The account's row is locked (PostgreSQL; SQLite's write lock serialises anyway) before the
    cart is read, so concurrent adds from several tabs or workers queue up and none is lost.
    Not waiting for the disk to commit (`durable=False`): a power cut can undo the last moment's
    cart changes, never half of one, and the shopper would just add again.
    """
    async with write_transaction(CartLine._meta.db, durable=False):
        await lock_row(Account, account_id)
        items = await change(await account_items(account_id), product_id, quantity, add=add)
        wanted = next((item.quantity for item in items if item.product_id == product_id), 0)
        if wanted <= 0:
            await CartLine.raw(
                "DELETE FROM cart_line WHERE account = {} AND product = {}", account_id, product_id
            )
        elif not await CartLine.raw(
            "UPDATE cart_line SET quantity = {} WHERE account = {} AND product = {} RETURNING id",
            wanted,
            account_id,
            product_id,
        ):
            await CartLine.raw(
                "INSERT INTO cart_line (account, product, quantity, added_at) "
                "VALUES ({}, {}, {}, {})",
                account_id,
                product_id,
                wanted,
                dt.datetime.now(dt.UTC),
            )
    return items


@dataclass(frozen=True)
class Added:
    """What a signed-in shopper's add left: the cart's count of items, and the product's name
    (for the message that says what was added)."""

    count: int
    title: str


# Everything an add checks, in one row whatever the cart holds: the product, this line's
# quantity, how many lines and items the cart has, and how many other lines are priced in
# another currency (reading every line cost more than the add; issue 15).
_ADD_SQL = (
    "SELECT p.stock, p.currency, p.status, p.title, "
    "(SELECT quantity FROM cart_line WHERE account = {} AND product = p.id) AS have, "
    "(SELECT count(*) FROM cart_line WHERE account = {}) AS lines, "
    "(SELECT COALESCE(SUM(quantity), 0) FROM cart_line WHERE account = {}) AS items, "
    "(SELECT count(*) FROM cart_line c JOIN product o ON o.id = c.product "
    "WHERE c.account = {} AND c.product <> p.id AND o.currency <> p.currency) AS foreign_lines "
    "FROM product p WHERE p.id = {}"
)


async def add_to_account_cart(account_id: int, product_id: int, quantity: int) -> Added:
    """`change_account_cart(..., add=True)` for one or more of a product (the same checks, the
    same locked transaction), reading one row instead of the whole cart."""
    if quantity <= 0:
        raise ValueError("an add adds at least one")
    async with write_transaction(CartLine._meta.db, durable=False):
        await lock_row(Account, account_id)
        rows = await Product.raw(_ADD_SQL, *[account_id] * 4, product_id)
        found = rows[0] if rows else None
        have = int(found["have"] or 0) if found else 0
        wanted = have + quantity
        _check(found, wanted, not have, int(found["lines"]) if found else 0)
        assert found is not None
        if have:
            await CartLine.raw(
                "UPDATE cart_line SET quantity = {} WHERE account = {} AND product = {}",
                wanted,
                account_id,
                product_id,
            )
        else:
            await CartLine.raw(
                "INSERT INTO cart_line (account, product, quantity, added_at) "
                "VALUES ({}, {}, {}, {})",
                account_id,
                product_id,
                wanted,
                dt.datetime.now(dt.UTC),
            )
    return Added(int(found["items"]) + quantity, str(found["title"]))


async def merge_into_account(account_id: int, visitor_items: list[CartItem]) -> list[CartItem]:
    """At sign-in: the visitor's lines join the account's (quantities added, up to the stock).

    One locked transaction, like `change_account_cart`: a sign-in racing an add loses neither.
    """
    if not visitor_items:
        return await account_items(account_id)
    async with write_transaction(CartLine._meta.db):
        await lock_row(Account, account_id)
        merged = {item.product_id: item.quantity for item in await account_items(account_id)}
        for item in visitor_items:
            merged[item.product_id] = merged.get(item.product_id, 0) + item.quantity
        stock = {
            row["id"]: row["stock"]
            for row in await Product.select(Product.id, Product.stock).where(
                Product.id.is_in(list(merged))
            )
        }
        items = [
            CartItem(pid, min(qty, stock[pid], MAX_QUANTITY))
            for pid, qty in merged.items()
            if stock.get(pid, 0) > 0
        ][:MAX_LINES]
        await _replace_lines(account_id, items)
    return items


async def save_account_items(account_id: int, items: list[CartItem]) -> None:
    """Replace the account's cart with these items, at once."""
    async with write_transaction(CartLine._meta.db):
        await lock_row(Account, account_id)
        await _replace_lines(account_id, items)


async def _replace_lines(account_id: int, items: list[CartItem]) -> None:
    await CartLine.delete().where(CartLine.account == account_id)
    if items:
        await CartLine.insert(
            *(
                CartLine(account=account_id, product=item.product_id, quantity=item.quantity)
                for item in items
            )
        )
