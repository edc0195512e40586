"""Telling watchers (issue #17): each product event becomes one email per matching watch.

Database triggers write a `product_event` in the transaction of the change itself (an admin
save, an import, an order's restock, plain SQL; migration okmarts_2026_12_03t17_54_00_000000),
so a committed change always has its event and a rolled-back one none. `fan_out` then tells the
event's watchers, one event per write transaction: it claims the event with a conditional
update (of two workers, only one gets it; the other finds it done), records one `WatchAlert`
per watch (unique (event, watch): never twice, whatever runs concurrently) and queues its email
through `messaging.enqueue_email` in the same transaction, so an alert exists exactly when its
email (or message-center entry) does.

Which watches an event matches (`matches`): its product and kind; not a one-shot watch that
was told already; for a price drop, only watches that saw a higher price (then they remember
the new one). A visitor's alert goes by email only (no account: no message center), never
during a wind-down, and an account's passes the notification gate (the shopper may have turned
watched-part alerts off); the sender asks the gate again before sending.

`WatchAlertSender` runs `fan_out` in the background of each server process (app.py), beside
the mail sender; tests call `fan_out` directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from okmarts.db import write_transaction
from okmarts.services import replacements
from okmarts.services.accounts import Site, now_utc
from okmarts.services.messaging import enqueue_email, notify_mail_queued
from okmarts.services.service_state import wind_down
from okmarts.services.watches import ONE_SHOT, stop_link
from okmarts.settings import Settings
from okmarts.tables.catalog import Product
from okmarts.tables.watches import PartWatch, ProductEvent, WatchAlert, WatchKind

log = logging.getLogger("okmarts.watches")

EMAIL_KINDS = {
    WatchKind.back_in_stock.value: "part_back_in_stock",
    WatchKind.price_drop.value: "part_price_drop",
    WatchKind.discontinued.value: "part_discontinued",
}
BATCH = 50


@dataclass(frozen=True)
class Event:
    id: int
    product: int
    kind: str
    old_price_minor: int | None
    new_price_minor: int | None


def matches(event: Event, watch: dict[str, Any]) -> bool:
    """Is this watch told of this event? (The rule, without the database.)"""
    if watch["product"] != event.product or watch["kind"] != event.kind:
        return False
    if watch["kind"] in ONE_SHOT:
        return watch["fired_at"] is None
    # A price drop: lower than the price this watcher last saw.
    return event.new_price_minor is not None and event.new_price_minor < watch["seen_price_minor"]


async def _claim(event_id: int, now: dt.datetime) -> bool:
    rows = await (
        ProductEvent.update({ProductEvent.done_at: now})
        .where((ProductEvent.id == event_id) & ProductEvent.done_at.is_null())
        .returning(ProductEvent.id)
    )
    return bool(rows)


async def _replacement(product: dict[str, Any]) -> dict[str, Any] | None:
    """The best part that stands in for a discontinued one, if any (for its alert)."""
    found = await replacements.find(product["id"], product["category"], product["price_minor"])
    cards = found.cards
    if not cards:
        return None
    return {"title": cards[0].title, "slug": cards[0].slug}


async def _tell(
    event: Event, watch: dict[str, Any], product: dict[str, Any], extra: dict[str, Any], site: Site
) -> int | None:
    """Queue one watch's alert (None: the gate refused it)."""
    account_id = watch["account"]
    recipient = watch["account_email"] if account_id is not None else watch["email"]
    locale = watch["account_locale"] if account_id is not None else watch["locale"]
    return await enqueue_email(
        kind=EMAIL_KINDS[event.kind],
        recipient=recipient,
        locale=locale or "en",
        account_id=account_id,
        context={
            "product_title": product["title"],
            "price_minor": product["price_minor"],
            "old_price_minor": event.old_price_minor,
            "currency": product["currency"],
            "stock": product["stock"],
            "link": site.link(f"/products/{product['slug']}"),
            "stop_link": stop_link(site, watch["id"], recipient),
            "watches_link": site.link("/account/watches") if account_id is not None else "",
            **extra,
        },
    )


async def _fan_out_one(event: Event, site: Site, closing: bool, now: dt.datetime) -> int:
    """Tell one event's watchers, in one transaction; how many emails it queued."""
    queued = 0
    async with write_transaction(ProductEvent._meta.db):
        if not await _claim(event.id, now):
            return 0  # another worker told it
        product = await (
            Product.select(
                Product.id,
                Product.slug,
                Product.title,
                Product.price_minor,
                Product.currency,
                Product.stock,
                Product.category,
                Product.status,
            )
            .where(Product.id == event.product)
            .first()
        )
        if product is None:
            return 0
        rows = await PartWatch.select(
            PartWatch.id,
            PartWatch.account,
            PartWatch.email,
            PartWatch.locale,
            PartWatch.product,
            PartWatch.kind,
            PartWatch.fired_at,
            PartWatch.seen_price_minor,
            PartWatch.account.email.as_alias("account_email"),
            PartWatch.account.locale.as_alias("account_locale"),
        ).where((PartWatch.product == event.product) & (PartWatch.kind == event.kind))
        watchers = [row for row in rows if matches(event, row)]
        if not watchers:
            return 0
        extra: dict[str, Any] = {}
        if event.kind == WatchKind.discontinued.value:
            extra["replacement"] = await _replacement(product)
            if extra["replacement"] is not None:
                extra["replacement"]["link"] = site.link(
                    f"/products/{extra['replacement']['slug']}"
                )
        for watch in watchers:
            if watch["account"] is None and closing:
                continue  # a visitor has no gate to ask: no alerts while the shop closes
            alert = await (
                WatchAlert.insert(WatchAlert(event=event.id, watch=watch["id"], created_at=now))
                .on_conflict(action="DO NOTHING")
                .returning(WatchAlert.id)
            )
            if not alert:
                continue  # told already
            message_id = await _tell(event, watch, product, extra, site)
            if message_id is not None:
                queued += 1
                await WatchAlert.update({WatchAlert.outbox_message: message_id}).where(
                    WatchAlert.id == alert[0]["id"]
                )
            changes: dict[Any, Any] = {}
            if event.kind in ONE_SHOT:
                changes[PartWatch.fired_at] = now
            else:
                changes[PartWatch.seen_price_minor] = event.new_price_minor
                changes[PartWatch.fired_at] = now
            await PartWatch.update(changes).where(PartWatch.id == watch["id"])
    return queued


async def fan_out(settings: Settings, now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """Tell the watchers of every event not told yet (up to `limit` events); how many emails
    were queued. Safe to run in several processes at once."""
    now = now or now_utc()
    rows = await (
        ProductEvent.select(
            ProductEvent.id,
            ProductEvent.product,
            ProductEvent.kind,
            ProductEvent.old_price_minor,
            ProductEvent.new_price_minor,
        )
        .where(ProductEvent.done_at.is_null())
        .order_by(ProductEvent.id)
        .limit(limit)
    )
    if not rows:
        return 0
    site = Site(secret=settings.secret_key, base_url=settings.base_url)
    closing = await wind_down() is not None
    queued = 0
    for row in rows:
        queued += await _fan_out_one(Event(**row), site, closing, now)
    if queued:
        notify_mail_queued()
    return queued


class WatchAlertSender:
    """Runs `fan_out` in the background of a server process, every poll interval."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def start(self) -> None:
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="okmarts-watch-alerts")

    async def stop(self, timeout: float = 15) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(task, timeout)
        except TimeoutError:
            log.warning("Watch alerts did not finish their pass in %s s; stopped", timeout)

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await fan_out(self.settings)
            except Exception:
                # The database may be away for a moment: the loop must outlive it.
                log.exception("Watch alerts pass failed; trying again in a moment")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.settings.mail_poll_seconds)
