"""Saved lists: a shopper's named lists (projects) of parts and quantities.

Every function takes the account: a list of another account is `ListNotFound` (a 404), never
shown or changed. Changes run in one write transaction holding the account's row, so two tabs
adding to a list queue up and none is lost; a part is on a list once (a unique index), adding it
again adds to its quantity. A list may be shared read-only by a random token (`share`), which
`unshare` revokes; the shared view names no owner.

Company sharing: the owner, while a member of a company account, may share a list with that
company (`share_with_company`). Its members then read it (`view`, `lines_of`: open it, put it in
their cart, ask for a quote, download it) and see the owner's nickname, never an email; only
the owner changes, renames, deletes or unshares it (every change goes through `_owned`).
Membership is checked on every read, of the reader and of the owner, so a member who leaves
loses access at once; an owner leaving unshares their lists (services.companies._leave).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from babel.numbers import get_currency_precision

from okmarts.db import lock_row, write_transaction
from okmarts.i18n import N_, Message
from okmarts.inputs import clean_text
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product, ProductStatus
from okmarts.tables.companies import CompanyMember
from okmarts.tables.lists import SavedList, SavedListItem

MAX_LISTS = 100
MAX_ITEMS = 500
MAX_QUANTITY = 9999
NAME_LENGTH = 100


class ListNotFound(Exception):
    """No such list, or not this account's."""


class ListError(Exception):
    """A change a list can't take; the message says why."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.msgid)
        self.message = message


@dataclass(frozen=True)
class ListSummary:
    id: int
    name: str
    items: int
    quantity: int
    updated_at: dt.datetime
    shared: bool
    company_shared: bool = False
    # Lists of colleagues (shared_with): the owner's nickname ("" : say "a colleague").
    owner_name: str = ""


@dataclass(frozen=True)
class ListItem:
    product_id: int
    sku: str
    slug: str
    title: str
    price_minor: int
    currency: str
    stock: int
    status: str
    quantity: int

    @property
    def problem(self) -> Message | None:
        if self.status == ProductStatus.discontinued.value:
            return Message(N_("Discontinued: its page lists replacements."))
        if self.stock <= 0:
            return Message(N_("Out of stock"))
        if self.quantity > self.stock:
            return Message(N_("Only %(num)s left in stock."), {"num": self.stock})
        return None


@dataclass
class ListView:
    id: int
    name: str
    share_token: str | None
    updated_at: dt.datetime
    items: list[ListItem] = field(default_factory=list)
    # False: a colleague's list shared with the company (read only), by `owner_name`.
    own: bool = True
    company_shared: bool = False
    owner_name: str = ""

    @property
    def total_minor(self) -> int:
        return sum(item.price_minor * item.quantity for item in self.items)

    @property
    def currency(self) -> str:
        return self.items[0].currency if self.items else "USD"


def clean_name(raw: str | None) -> str:
    """A list's name as typed, checked: ListError when empty or too long."""
    name = " ".join(clean_text(raw or "").split())
    if not name:
        raise ListError(Message(N_("Give the list a name.")))
    if len(name) > NAME_LENGTH:
        raise ListError(
            Message(N_("A list's name may have at most %(num)s characters."), {"num": NAME_LENGTH})
        )
    return name


# -- Reading ------------------------------------------------------------------------------------


async def lists_of(account_id: int) -> list[ListSummary]:
    """The account's lists, last changed first, with their item counts (one query)."""
    rows = await SavedList.raw(
        "SELECT l.id, l.name, l.updated_at, l.share_token, l.company, COUNT(i.id) AS items, "
        "COALESCE(SUM(i.quantity), 0) AS quantity FROM saved_list l "
        "LEFT JOIN saved_list_item i ON i.saved_list = l.id WHERE l.account = {} "
        "GROUP BY l.id, l.name, l.updated_at, l.share_token, l.company "
        "ORDER BY l.updated_at DESC, l.id DESC",
        account_id,
    )
    return [
        ListSummary(
            id=row["id"],
            name=row["name"],
            items=int(row["items"]),
            quantity=int(row["quantity"]),
            updated_at=row["updated_at"],
            shared=row["share_token"] is not None,
            company_shared=row["company"] is not None,
        )
        for row in rows
    ]


# A colleague's list this account may read: shared with the company both are members of now.
_COLLEAGUES = (
    "FROM saved_list l "
    "JOIN company_member reader ON reader.company = l.company AND reader.account = {} "
    "JOIN company_member author ON author.company = l.company AND author.account = l.account "
    "JOIN account a ON a.id = l.account "
)


async def shared_with(account_id: int) -> list[ListSummary]:
    """Colleagues' lists shared with the account's company, last changed first (one query)."""
    rows = await SavedList.raw(
        "SELECT l.id, l.name, l.updated_at, a.nickname, "
        "(SELECT COUNT(*) FROM saved_list_item i WHERE i.saved_list = l.id) AS items, "
        "(SELECT COALESCE(SUM(i.quantity), 0) FROM saved_list_item i WHERE i.saved_list = l.id) "
        "AS quantity " + _COLLEAGUES + "WHERE l.account <> {} "
        "ORDER BY l.updated_at DESC, l.id DESC",
        account_id,
        account_id,
    )
    return [
        ListSummary(
            id=row["id"],
            name=row["name"],
            items=int(row["items"]),
            quantity=int(row["quantity"]),
            updated_at=row["updated_at"],
            shared=False,
            company_shared=True,
            owner_name=row["nickname"] or "",
        )
        for row in rows
    ]


async def _owned(account_id: int, list_id: int) -> dict:
    """The account's own list (for every change); ListNotFound for anyone else's."""
    row = (
        await SavedList.select(
            SavedList.id,
            SavedList.name,
            SavedList.share_token,
            SavedList.updated_at,
            SavedList.company,
        )
        .where((SavedList.id == list_id) & (SavedList.account == account_id))
        .first()
    )
    if row is None:
        raise ListNotFound()
    return {**row, "own": True, "nickname": ""}


async def _readable(account_id: int, list_id: int) -> dict:
    """The account's own list, or a colleague's shared with their company (read only);
    ListNotFound otherwise."""
    try:
        return await _owned(account_id, list_id)
    except ListNotFound:
        pass
    rows = await SavedList.raw(
        "SELECT l.id, l.name, l.share_token, l.updated_at, l.company, a.nickname "
        + _COLLEAGUES
        + "WHERE l.id = {}",
        account_id,
        list_id,
    )
    if not rows:
        raise ListNotFound()
    return {**rows[0], "own": False}


async def _items(list_id: int) -> list[ListItem]:
    rows = await SavedListItem.raw(
        "SELECT p.id, p.sku, p.slug, p.title, p.price_minor, p.currency, p.stock, p.status, "
        "i.quantity FROM saved_list_item i JOIN product p ON p.id = i.product "
        "WHERE i.saved_list = {} ORDER BY i.id",
        list_id,
    )
    return [
        ListItem(
            product_id=row["id"],
            sku=row["sku"],
            slug=row["slug"],
            title=row["title"],
            price_minor=row["price_minor"],
            currency=row["currency"],
            stock=row["stock"],
            status=row["status"],
            quantity=row["quantity"],
        )
        for row in rows
    ]


async def view(account_id: int, list_id: int) -> ListView:
    """The account's list, or a colleague's shared with the company (`own` False), with its
    parts; ListNotFound for anyone else's."""
    row = await _readable(account_id, list_id)
    own = bool(row["own"])
    return ListView(
        id=row["id"],
        name=row["name"],
        # A colleague's list: its public link is the owner's to hand out.
        share_token=row["share_token"] if own else None,
        updated_at=row["updated_at"],
        items=await _items(list_id),
        own=own,
        company_shared=row["company"] is not None,
        owner_name=row["nickname"] or "",
    )


async def shared_view(token: str) -> ListView:
    """A shared list by its token, without anything about its owner; ListNotFound if revoked."""
    if not token or len(token) > 64:
        raise ListNotFound()
    row = (
        await SavedList.select(SavedList.id, SavedList.name, SavedList.updated_at)
        .where(SavedList.share_token == token)
        .first()
    )
    if row is None:
        raise ListNotFound()
    return ListView(
        id=row["id"],
        name=row["name"],
        share_token=token,
        updated_at=row["updated_at"],
        items=await _items(row["id"]),
    )


async def lines_of(account_id: int, list_id: int) -> list[tuple[int, int]]:
    """(product id, quantity) of the account's list, or of a colleague's shared with the
    company, in the order added (for quotes, the cart)."""
    await _readable(account_id, list_id)
    rows = await SavedListItem.raw(
        "SELECT product, quantity FROM saved_list_item WHERE saved_list = {} ORDER BY id", list_id
    )
    return [(row["product"], row["quantity"]) for row in rows]


def _money(amount_minor: int, currency: str) -> str:
    return str(Decimal(amount_minor).scaleb(-get_currency_precision(currency)))


def _safe_cell(text: str) -> str:
    # A spreadsheet runs a cell starting with = + - @ as a formula: not from our catalog's text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(items: list[ListItem]) -> str:
    """The list as CSV: sku, title, quantity, unit price (and its currency)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["sku", "title", "quantity", "unit_price", "currency"])
    for item in items:
        writer.writerow(
            [
                _safe_cell(item.sku),
                _safe_cell(item.title),
                item.quantity,
                _money(item.price_minor, item.currency),
                item.currency,
            ]
        )
    return out.getvalue()


# -- Changing -----------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _touch(list_id: int) -> None:
    await SavedList.update({SavedList.updated_at: _now()}).where(SavedList.id == list_id)


async def _create_locked(account_id: int, name: str) -> int:
    if await SavedList.count().where(SavedList.account == account_id) >= MAX_LISTS:
        raise ListError(
            Message(
                N_("You have %(num)s lists, the most there can be: delete one first."),
                {"num": MAX_LISTS},
            )
        )
    rows = await SavedList.insert(
        SavedList(account=account_id, name=name, created_at=_now(), updated_at=_now())
    ).returning(SavedList.id)
    return int(rows[0]["id"])


async def create(account_id: int, name: str) -> int:
    """A new, empty list; its id."""
    name = clean_name(name)
    async with write_transaction(SavedList._meta.db):
        await lock_row(Account, account_id)
        return await _create_locked(account_id, name)


async def rename(account_id: int, list_id: int, name: str) -> None:
    name = clean_name(name)
    async with write_transaction(SavedList._meta.db):
        await lock_row(Account, account_id)
        await _owned(account_id, list_id)
        await SavedList.update({SavedList.name: name, SavedList.updated_at: _now()}).where(
            SavedList.id == list_id
        )


async def delete(account_id: int, list_id: int) -> None:
    """The list and its items go (its share link stops working with it)."""
    async with write_transaction(SavedList._meta.db):
        await lock_row(Account, account_id)
        await _owned(account_id, list_id)
        await SavedList.delete().where(SavedList.id == list_id)


async def add_items(
    account_id: int, list_id: int | None, new_name: str, items: list[tuple[int, int]]
) -> int:
    """Add parts (product id, quantity) to the account's list, or to a new list of that name
    when `list_id` is None; quantities of parts already there grow. All or nothing; the id."""
    wanted: dict[int, int] = {}
    for product_id, quantity in items:
        if quantity > 0:
            wanted[product_id] = wanted.get(product_id, 0) + quantity
    if not wanted:
        raise ListError(Message(N_("Choose at least one part with a quantity.")))
    name = clean_name(new_name) if list_id is None else ""
    async with write_transaction(SavedList._meta.db):
        await lock_row(Account, account_id)
        if list_id is None:
            list_id = await _create_locked(account_id, name)
        else:
            await _owned(account_id, list_id)
        known = {
            row["id"]
            for row in await Product.select(Product.id).where(Product.id.is_in(list(wanted)))
        }
        if set(wanted) - known:
            raise ListError(Message(N_("This product is no longer available.")))
        have = {
            row["product"]: row["quantity"]
            for row in await SavedListItem.select(
                SavedListItem.product, SavedListItem.quantity
            ).where(SavedListItem.saved_list == list_id)
        }
        if len(set(have) | set(wanted)) > MAX_ITEMS:
            raise ListError(Message(N_("A list holds at most %(num)s parts."), {"num": MAX_ITEMS}))
        for product_id, quantity in wanted.items():
            total = min(have.get(product_id, 0) + quantity, MAX_QUANTITY)
            if product_id in have:
                await SavedListItem.update({SavedListItem.quantity: total}).where(
                    (SavedListItem.saved_list == list_id) & (SavedListItem.product == product_id)
                )
        new = [
            SavedListItem(
                saved_list=list_id,
                product=product_id,
                quantity=min(quantity, MAX_QUANTITY),
                added_at=_now(),
            )
            for product_id, quantity in wanted.items()
            if product_id not in have
        ]
        if new:
            await SavedListItem.insert(*new)
        await _touch(list_id)
    return list_id


async def set_quantity(account_id: int, list_id: int, product_id: int, quantity: int) -> None:
    """A part's quantity on the list (0 takes it off)."""
    if not 0 <= quantity <= MAX_QUANTITY:
        raise ListError(
            Message(
                N_("Enter a quantity from %(min)s to %(max)s (%(min)s removes the part)."),
                {"min": 0, "max": MAX_QUANTITY},
            )
        )
    async with write_transaction(SavedList._meta.db):
        await lock_row(Account, account_id)
        await _owned(account_id, list_id)
        on_list = (SavedListItem.saved_list == list_id) & (SavedListItem.product == product_id)
        if quantity == 0:
            await SavedListItem.delete().where(on_list)
        else:
            await SavedListItem.update({SavedListItem.quantity: quantity}).where(on_list)
        await _touch(list_id)


async def share(account_id: int, list_id: int) -> str:
    """The list's share token (a new random one unless it is shared already)."""
    async with write_transaction(SavedList._meta.db):
        await lock_row(Account, account_id)
        row = await _owned(account_id, list_id)
        if row["share_token"]:
            return str(row["share_token"])
        token = secrets.token_urlsafe(24)
        await SavedList.update({SavedList.share_token: token}).where(SavedList.id == list_id)
    return token


async def unshare(account_id: int, list_id: int) -> None:
    """The share link stops working (a later share makes a new one)."""
    async with write_transaction(SavedList._meta.db):
        await lock_row(Account, account_id)
        await _owned(account_id, list_id)
        await SavedList.update({SavedList.share_token: None}).where(SavedList.id == list_id)


async def share_with_company(account_id: int, list_id: int) -> None:
    """The owner shares the list with their company's members (read only); ListError when the
    owner belongs to no company."""
    async with write_transaction(SavedList._meta.db):
        await lock_row(Account, account_id)
        await _owned(account_id, list_id)
        member = (
            await CompanyMember.select(CompanyMember.company)
            .where(CompanyMember.account == account_id)
            .first()
        )
        if member is None:
            raise ListError(
                Message(N_("You don't belong to a company: there is no one to share it with."))
            )
        # Conditional on the membership still being there: a leave committing meanwhile
        # (which unshares) is not undone.
        await SavedList.update({SavedList.company: member["company"]}).where(
            (SavedList.id == list_id)
            & SavedList.account.is_in(
                CompanyMember.select(CompanyMember.account).where(
                    (CompanyMember.account == account_id)
                    & (CompanyMember.company == member["company"])
                )
            )
        )


async def unshare_from_company(account_id: int, list_id: int) -> None:
    """The company's members no longer see the list."""
    async with write_transaction(SavedList._meta.db):
        await lock_row(Account, account_id)
        await _owned(account_id, list_id)
        await SavedList.update({SavedList.company: None}).where(SavedList.id == list_id)
