"""Watched parts (issue #17): a shopper asks to be told when a part is back in stock, cheaper,
or discontinued. This module holds the watching; services/watch_alerts.py the telling.

- A signed-in shopper watches with one click (`watch`, `unwatch`, `remove_watch`).
- A visitor gives an email: `request_visitor_watch` mails a signed link (rate-limited by
  address and by IP) and nothing is stored until the link is confirmed with a POST
  (`confirm_visitor_watch`): an address nobody confirmed is never written down, nor mailed
  alerts.
- Every alert carries a signed "stop watching" link (`stop_link`, `stop_by_token`) that works
  without signing in.
- Back in stock and discontinued are told once: the watch is then done (`fired_at`) until the
  shopper watches again. A price drop is told each time the price falls below the price the
  shopper last saw (when watching, or in the last alert).
- Stopping a watch also withholds its alerts still waiting in the outbox (`_forget`): for a
  visitor there is no account for the sender's gate to look at again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from okmarts.db import lock_row, write_transaction
from okmarts.i18n import N_, Message
from okmarts.services import rate_limits
from okmarts.services.accounts import FormInvalid, Site, normalize_email, now_utc
from okmarts.services.messaging import enqueue_email, notify_mail_queued
from okmarts.services.rate_limits import Limit
from okmarts.services.tokens import TokenError, make_token, read_token
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.watches import PartWatch, WatchAlert, WatchKind

CONFIRM_PURPOSE = "part-watch-confirm"
STOP_PURPOSE = "part-watch-stop"
CONFIRM_DAYS = 3
# A stop link must work as long as alerts may come: a year, renewed by every alert.
STOP_DAYS = 400
CONFIRM_KIND = "part_watch_confirm"
# A visitor's requests each mail a link: a few an hour per address, more per network.
PER_EMAIL = Limit("part-watch-email", attempts=3, window=dt.timedelta(hours=1))
PER_IP = Limit("part-watch-ip", attempts=20, window=dt.timedelta(hours=1))
WITHHELD_NOTE = "withheld: the watch was stopped"

# The buttons, in page order, and what each watch says while it is on.
KIND_ORDER = (WatchKind.back_in_stock, WatchKind.price_drop, WatchKind.discontinued)
ASK: dict[str, str] = {
    WatchKind.back_in_stock: N_("Tell me when it's back in stock"),
    WatchKind.price_drop: N_("Tell me when the price drops"),
    WatchKind.discontinued: N_("Tell me if it is discontinued"),
}
WATCHING: dict[str, str] = {
    WatchKind.back_in_stock: N_("Watching for it to be back in stock"),
    WatchKind.price_drop: N_("Watching for a lower price"),
    WatchKind.discontinued: N_("Watching for it to be discontinued"),
}
TOLD: dict[str, str] = {
    WatchKind.back_in_stock: N_("We told you it was back in stock on %(date)s."),
    WatchKind.price_drop: N_("We told you of a lower price on %(date)s."),
    WatchKind.discontinued: N_("We told you it was discontinued on %(date)s."),
}
ONE_SHOT = frozenset({WatchKind.back_in_stock.value, WatchKind.discontinued.value})


def template_context() -> dict[str, Any]:
    """The labels the watch templates show (N_-marked; translated in the templates)."""
    return {
        "watch_kinds": [kind.value for kind in KIND_ORDER],
        "watch_ask": ASK,
        "watching_labels": WATCHING,
        "told_labels": TOLD,
        "one_shot": ONE_SHOT,
    }


class WatchNotFound(Exception):
    """No such watch of this shopper (or it is gone already)."""


def parse_kind(raw: object) -> WatchKind:
    try:
        return WatchKind(str(raw or ""))
    except ValueError as error:
        raise FormInvalid({"kind": Message(N_("Choose what to be told about."))}) from error


@dataclass(frozen=True)
class WatchButton:
    """One kind of watch on a product page, as it stands for the shopper looking."""

    kind: str
    ask: str  # N_-marked
    watching: bool
    told_at: dt.datetime | None  # a one-shot watch that was told: done until watched again


def buttons(rows: list[dict[str, Any]]) -> list[WatchButton]:
    """The three buttons of a product page from the shopper's watches of that product."""
    mine = {row["kind"]: row for row in rows}
    result = []
    for kind in KIND_ORDER:
        row = mine.get(kind.value)
        # A one-shot watch that was told is done; a price watch goes on after each drop.
        told = row["fired_at"] if row is not None and kind.value in ONE_SHOT else None
        result.append(
            WatchButton(kind.value, ASK[kind.value], row is not None and told is None, told)
        )
    return result


async def product_buttons(account_id: int, product_id: int) -> list[WatchButton]:
    rows = await PartWatch.select(PartWatch.kind, PartWatch.fired_at).where(
        (PartWatch.account == account_id) & (PartWatch.product == product_id)
    )
    return buttons(rows)


async def block_context(account_id: int, product_id: int) -> dict[str, Any] | None:
    """What a signed-in shopper's alerts block of a product shows (None: no such product).

    Asked for every signed-in shopper's product page (page_cache.watch_block): the product and
    the shopper's watches of it in one query written as SQL (building two with the ORM cost
    more than running them)."""
    rows = await Product.raw(
        "SELECT p.id, p.slug, p.title, p.stock, p.status, w.kind, w.fired_at FROM product p "
        "LEFT JOIN part_watch w ON w.product = p.id AND w.account = {} WHERE p.id = {}",
        account_id,
        product_id,
    )
    if not rows:
        return None
    first = rows[0]
    return {
        "product": {name: first[name] for name in ("id", "slug", "title", "stock", "status")},
        "watch_buttons": buttons([row for row in rows if row["kind"] is not None]),
        **template_context(),
    }


async def _product(product_id: int) -> dict[str, Any]:
    row = await (
        Product.select(Product.id, Product.price_minor, Product.status)
        .where(Product.id == product_id)
        .first()
    )
    if row is None:
        raise WatchNotFound()
    return row


async def _start(
    owner: Any, values: dict[Any, Any], product_id: int, kind: WatchKind, now: dt.datetime
) -> None:
    """Create the watch, or renew one that was told (or exists): inside a write transaction
    holding the product's row, so two clicks make one watch."""
    await lock_row(Product, product_id)
    product = await _product(product_id)
    where = owner & (PartWatch.product == product_id) & (PartWatch.kind == kind.value)
    existing = await PartWatch.select(PartWatch.id).where(where).first()
    if existing is not None:
        await PartWatch.update(
            {PartWatch.fired_at: None, PartWatch.seen_price_minor: product["price_minor"]}
        ).where(PartWatch.id == existing["id"])
        return
    await PartWatch.insert(
        PartWatch(
            **values,
            product=product_id,
            kind=kind.value,
            created_at=now,
            seen_price_minor=product["price_minor"],
        )
    )


async def watch(
    account: Account, product_id: int, kind: WatchKind, now: dt.datetime | None = None
) -> None:
    """A signed-in shopper watches a product for one kind of change (again: renewed)."""
    async with write_transaction(PartWatch._meta.db):
        await _start(
            PartWatch.account == account.id,
            {"account": account.id, "email": "", "locale": account.locale},
            product_id,
            kind,
            now or now_utc(),
        )


async def _forget(watch_ids: list[int], now: dt.datetime) -> None:
    """Delete watches, and withhold their alerts that are still waiting in the outbox."""
    if not watch_ids:
        return
    queued = await WatchAlert.select(WatchAlert.outbox_message).where(
        WatchAlert.watch.is_in(watch_ids) & WatchAlert.outbox_message.is_not_null()
    )
    message_ids = [row["outbox_message"] for row in queued]
    if message_ids:
        await OutboxMessage.update(
            {
                OutboxMessage.withheld_at: now,
                OutboxMessage.last_error: WITHHELD_NOTE,
                OutboxMessage.claimed_until: None,
            }
        ).where(
            OutboxMessage.id.is_in(message_ids)
            & OutboxMessage.sent_at.is_null()
            & OutboxMessage.withheld_at.is_null()
        )
    await PartWatch.delete().where(PartWatch.id.is_in(watch_ids))


async def unwatch(
    account: Account, product_id: int, kind: WatchKind, now: dt.datetime | None = None
) -> None:
    """Stop one of the shopper's watches of a product (none: nothing to do)."""
    async with write_transaction(PartWatch._meta.db):
        rows = await PartWatch.select(PartWatch.id).where(
            (PartWatch.account == account.id)
            & (PartWatch.product == product_id)
            & (PartWatch.kind == kind.value)
        )
        await _forget([row["id"] for row in rows], now or now_utc())


async def remove_watch(account_id: int, watch_id: int, now: dt.datetime | None = None) -> None:
    """Stop a watch from the account's list: only the shopper's own (else WatchNotFound)."""
    async with write_transaction(PartWatch._meta.db):
        row = await (
            PartWatch.select(PartWatch.id)
            .where((PartWatch.id == watch_id) & (PartWatch.account == account_id))
            .first()
        )
        if row is None:
            raise WatchNotFound()
        await _forget([watch_id], now or now_utc())


@dataclass(frozen=True)
class WatchedPart:
    """A row of the account's "Watched parts" page."""

    id: int
    kind: str
    created_at: dt.datetime
    fired_at: dt.datetime | None
    seen_price_minor: int
    product_slug: str
    product_title: str
    price_minor: int
    currency: str
    stock: int
    status: str


async def account_watches(account_id: int) -> list[WatchedPart]:
    """The account's watches with their products, newest first, in one query."""
    rows = await (
        PartWatch.select(
            PartWatch.id,
            PartWatch.kind,
            PartWatch.created_at,
            PartWatch.fired_at,
            PartWatch.seen_price_minor,
            PartWatch.product.slug.as_alias("product_slug"),
            PartWatch.product.title.as_alias("product_title"),
            PartWatch.product.price_minor.as_alias("price_minor"),
            PartWatch.product.currency.as_alias("currency"),
            PartWatch.product.stock.as_alias("stock"),
            PartWatch.product.status.as_alias("status"),
        )
        .where(PartWatch.account == account_id)
        .order_by(PartWatch.created_at, ascending=False)
        .order_by(PartWatch.id, ascending=False)
    )
    return [WatchedPart(**row) for row in rows]


# -- Visitors: an address confirmed by a signed link ----------------------------------------------


async def request_visitor_watch(
    raw_email: str,
    product: dict[str, Any],
    kind: WatchKind,
    locale: str,
    site: Site,
    ip: str,
    now: dt.datetime | None = None,
) -> None:
    """Mail a visitor the link that starts the watch (FormInvalid, RateLimited). The answer is
    the same whether or not the address watches the part already: it tells nobody anything."""
    try:
        email = normalize_email(raw_email)
    except ValueError as error:
        raise FormInvalid({"email": Message(str(error.args[0]))}) from error
    now = now or now_utc()
    await rate_limits.consume((PER_EMAIL, email), (PER_IP, ip), now=now)
    token = make_token(
        site.secret,
        CONFIRM_PURPOSE,
        {"e": email, "p": product["id"], "k": kind.value, "l": locale},
    )
    async with write_transaction(PartWatch._meta.db):
        await enqueue_email(
            kind=CONFIRM_KIND,
            recipient=email,
            locale=locale,
            account_id=None,
            context={
                "link": site.link("/watches/confirm", token=token),
                "product_title": product["title"],
                "ask": ASK[kind.value],
                "days": CONFIRM_DAYS,
            },
        )
    notify_mail_queued()


@dataclass(frozen=True)
class VisitorRequest:
    email: str
    product_id: int
    product_title: str
    product_slug: str
    kind: WatchKind
    locale: str


async def read_confirm_token(token: str, site: Site) -> VisitorRequest:
    """What a genuine, unexpired confirmation link asks for; TokenError otherwise (also for a
    product that is gone)."""
    payload = read_token(site.secret, CONFIRM_PURPOSE, token, CONFIRM_DAYS * 86_400)
    try:
        kind = WatchKind(payload.get("k"))
        email = str(payload["e"])
        product_id = int(payload["p"])
    except (KeyError, TypeError, ValueError) as error:
        raise TokenError(CONFIRM_PURPOSE) from error
    product = await (
        Product.select(Product.id, Product.title, Product.slug)
        .where(Product.id == product_id)
        .first()
    )
    if product is None:
        raise TokenError(CONFIRM_PURPOSE)
    return VisitorRequest(
        email, product_id, product["title"], product["slug"], kind, str(payload.get("l") or "en")
    )


async def confirm_visitor_watch(
    token: str, site: Site, now: dt.datetime | None = None
) -> VisitorRequest:
    """The visitor confirmed the link (a POST): the watch starts (again: renewed)."""
    request = await read_confirm_token(token, site)
    async with write_transaction(PartWatch._meta.db):
        await _start(
            (PartWatch.email == request.email) & PartWatch.account.is_null(),
            {"account": None, "email": request.email, "locale": request.locale[:16]},
            request.product_id,
            request.kind,
            now or now_utc(),
        )
    return request


def stop_link(site: Site, watch_id: int, email: str) -> str:
    """The signed link in every alert that stops its watch, without signing in."""
    token = make_token(site.secret, STOP_PURPOSE, {"w": watch_id, "e": email})
    return site.link("/watches/stop", token=token)


@dataclass(frozen=True)
class StopRequest:
    watch_id: int
    product_title: str
    product_slug: str
    kind: str


async def read_stop_token(token: str, site: Site) -> StopRequest | None:
    """The watch a genuine stop link names (TokenError for a bad one), None if it is gone."""
    payload = read_token(site.secret, STOP_PURPOSE, token, STOP_DAYS * 86_400)
    try:
        watch_id = int(payload["w"])
        email = str(payload["e"])
    except (KeyError, TypeError, ValueError) as error:
        raise TokenError(STOP_PURPOSE) from error
    row = await (
        PartWatch.select(
            PartWatch.id,
            PartWatch.kind,
            PartWatch.email,
            PartWatch.account.email.as_alias("account_email"),
            PartWatch.product.title.as_alias("title"),
            PartWatch.product.slug.as_alias("slug"),
        )
        .where(PartWatch.id == watch_id)
        .first()
    )
    # The address must still be the watch's: an id reused after a deletion matches no link.
    if row is None or email not in (row["email"], row["account_email"]):
        return None
    return StopRequest(watch_id, row["title"], row["slug"], row["kind"])


async def stop_by_token(
    token: str, site: Site, now: dt.datetime | None = None
) -> StopRequest | None:
    """The shopper confirmed a stop link (a POST): the watch ends, and its waiting alerts with
    it. None when it had ended already (stopping twice is fine)."""
    found = await read_stop_token(token, site)
    if found is None:
        return None
    async with write_transaction(PartWatch._meta.db):
        await _forget([found.watch_id], now or now_utc())
    return found
