"""Following a category or a brand (issue #17), and the weekly digest of new products.

A follow names exactly one category or one brand (checked here; unique indexes keep one follow
per account and target). Following turns the FOLLOWS type on for a shopper who never chose
(its default is off: product news only for those who chose it), and the gate
(services/notifications.py) still decides every digest: never for a child without a guardian's
consent, while processing is restricted or the shopper objects to direct marketing.

The digest (`send_digests`) runs weekly per account: an account is due when one of its follows
was last digested a digest interval ago. For each due account it gathers the products created
since each follow's `digested_until` in the followed category (subcategories included) or
brand, queues one email in the account's language, and moves every follow's `digested_until` to
the run's time, in the same transaction; nothing is sent when nothing is new. The follows of a
batch are locked (PostgreSQL) or the transaction holds the write lock (SQLite) and re-read
inside it, so a second run, or two workers at once, never send the same products twice. Reads
are per batch of accounts, never per follower.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from okmarts.db import is_postgres, write_transaction
from okmarts.services import notifications
from okmarts.services.catalog import CategoryTree, load_category_tree
from okmarts.services.messaging import enqueue_email, notify_mail_queued
from okmarts.services.notification_settings import set_choice
from okmarts.settings import Settings
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Brand, Category, Product
from okmarts.tables.notifications import Follow, NotificationSubscription

log = logging.getLogger("okmarts.follows")

CATEGORY = "category"
BRAND = "brand"
KINDS = (CATEGORY, BRAND)
DIGEST_KIND = "follows_digest"
DIGEST_CAP = 20  # products named in one digest; the rest are counted, with links to see them
BATCH = 100  # accounts per transaction


class FollowRefused(Exception):
    """The follow names no existing category or brand (or both, or neither)."""


@dataclass(frozen=True)
class Target:
    kind: str  # CATEGORY | BRAND
    id: int


@dataclass(frozen=True)
class Followed:
    """One follow as the shopper's list shows it."""

    kind: str
    id: int
    name: str  # a category's name is a msgid (translated where shown); a brand's is a name
    slug: str
    created_at: dt.datetime

    @property
    def path(self) -> str:
        if self.kind == CATEGORY:
            return f"/categories/{self.slug}"
        return f"/products?brand={self.slug}"


def target(kind: str, target_id: int | None) -> Target:
    """A follow's target from a form: exactly one of category or brand, by number."""
    if kind not in KINDS or target_id is None or target_id < 1:
        raise FollowRefused(kind)
    return Target(kind, target_id)


def _columns(target_: Target) -> dict[str, int | None]:
    """Exactly one of the two columns set (the table allows both NULL; the rule is here)."""
    return {
        CATEGORY: target_.id if target_.kind == CATEGORY else None,
        BRAND: target_.id if target_.kind == BRAND else None,
    }


def _where(account_id: int, target_: Target) -> Any:
    column = Follow.category if target_.kind == CATEGORY else Follow.brand
    return (Follow.account == account_id) & (column == target_.id)


async def _exists(target_: Target) -> bool:
    table = Category if target_.kind == CATEGORY else Brand
    return bool(await table.exists().where(table.id == target_.id))


async def follow(account_id: int, target_: Target, now: dt.datetime | None = None) -> bool:
    """Follow a category or brand; True when new (following twice changes nothing). Turns the
    digest on for a shopper who never chose either way; a stored choice is left as it is."""
    now = now or dt.datetime.now(dt.UTC)
    if not await _exists(target_):
        raise FollowRefused(target_.kind)
    async with write_transaction(Follow._meta.db):
        inserted = await (
            Follow.insert(
                Follow(account=account_id, created_at=now, digested_until=now, **_columns(target_))
            )
            .on_conflict(action="DO NOTHING")
            .returning(Follow.id)
        )
        if inserted:
            chosen = {
                row["channel"]
                for row in await NotificationSubscription.select(
                    NotificationSubscription.channel
                ).where(
                    (NotificationSubscription.account == account_id)
                    & (NotificationSubscription.type == notifications.FOLLOWS)
                )
            }
            for channel in notifications.CHANNELS:
                if channel not in chosen:
                    await set_choice(account_id, notifications.FOLLOWS, channel, True, now)
    return bool(inserted)


async def unfollow(account_id: int, target_: Target) -> bool:
    """Stop following; True when there was such a follow of this account."""
    async with write_transaction(Follow._meta.db):
        deleted = await Follow.delete().where(_where(account_id, target_)).returning(Follow.id)
    return bool(deleted)


async def following(account_id: int, targets: list[Target]) -> set[Target]:
    """Which of these targets the account follows, in one query."""
    categories = [t.id for t in targets if t.kind == CATEGORY]
    brands = [t.id for t in targets if t.kind == BRAND]
    if not categories and not brands:
        return set()
    # Asked for every signed-in shopper's listing (page_cache.follow_buttons): written as SQL,
    # as building it with the ORM cost more than running it (ids are ints: written as numbers).
    rows = await Follow.raw(
        "SELECT category, brand FROM follow WHERE account = {} AND (category IN ("
        + ", ".join(map(str, map(int, categories or [0])))
        + ") OR brand IN ("
        + ", ".join(map(str, map(int, brands or [0])))
        + "))",
        account_id,
    )
    found = set()
    for row in rows:
        if row["category"] is not None:
            found.add(Target(CATEGORY, row["category"]))
        if row["brand"] is not None:
            found.add(Target(BRAND, row["brand"]))
    return found


async def follows_of(account_id: int) -> list[Followed]:
    """What the account follows, categories first, in one query."""
    rows = await (
        Follow.select(
            Follow.category,
            Follow.category.name.as_alias("category_name"),
            Follow.category.slug.as_alias("category_slug"),
            Follow.brand,
            Follow.brand.name.as_alias("brand_name"),
            Follow.brand.slug.as_alias("brand_slug"),
            Follow.created_at,
        )
        .where(Follow.account == account_id)
        .order_by(Follow.id)
    )
    found = [_followed(row) for row in rows]
    return sorted(found, key=lambda item: item.kind != CATEGORY)


def _followed(row: dict[str, Any]) -> Followed:
    if row["category"] is not None:
        return Followed(
            CATEGORY, row["category"], row["category_name"], row["category_slug"], row["created_at"]
        )
    return Followed(BRAND, row["brand"], row["brand_name"], row["brand_slug"], row["created_at"])


# -- The weekly digest ----------------------------------------------------------------------------


@dataclass
class DigestReport:
    accounts: int = 0  # accounts due and looked at
    queued: int = 0  # digests queued (or left in the message center only)
    nothing_new: int = 0


@dataclass
class DigestGroup:
    """The new products of one follow, as a digest shows them."""

    kind: str
    name: str
    link: str  # where to see all of them, newest first
    products: list[dict[str, Any]] = field(default_factory=list)
    more: int = 0  # new ones beyond the digest's cap


async def _due_accounts(after: int, threshold: dt.datetime) -> list[int]:
    rows = await (
        Follow.select(Follow.account)
        .where((Follow.account > after) & (Follow.digested_until <= threshold))
        .distinct()
        .order_by(Follow.account)
        .limit(BATCH)
    )
    return [row["account"] for row in rows]


async def _locked_follows(account_ids: list[int]) -> list[dict[str, Any]]:
    """The batch's follows, read inside its transaction; on PostgreSQL locked (in id order, so
    two workers never deadlock): a second worker waits, then sees the moved marks."""
    query = (
        Follow.select(
            Follow.id, Follow.account, Follow.category, Follow.brand, Follow.digested_until
        )
        .where(Follow.account.is_in(account_ids))
        .order_by(Follow.id)
    )
    if is_postgres(Follow._meta.db):
        query = query.lock_rows()
    return list(await query)


async def _new_products(
    follows: list[dict[str, Any]], tree: CategoryTree, cutoff: dt.datetime
) -> list[dict[str, Any]]:
    """Active products created since the earliest mark of these follows, up to the cutoff, in
    any followed category (or below it) or brand: one query, newest first."""
    categories: set[int] = set()
    brands: set[int] = set()
    for row in follows:
        if row["category"] is not None:
            categories.update(tree.descendant_ids(row["category"]))
        elif row["brand"] is not None:
            brands.add(row["brand"])
    since = min(row["digested_until"] for row in follows)
    scope = Product.category.is_in(sorted(categories) or [0]) | Product.brand.is_in(
        sorted(brands) or [0]
    )
    return list(
        await Product.select(
            Product.id,
            Product.title,
            Product.slug,
            Product.category,
            Product.brand,
            Product.created_at,
        )
        .where(
            (Product.created_at > since)
            & (Product.created_at <= cutoff)
            & (Product.status == "active")
            & scope
        )
        .order_by(Product.created_at, ascending=False)
        .order_by(Product.id, ascending=False)
    )


def digest_groups(
    follows: list[dict[str, Any]],
    products: list[dict[str, Any]],
    tree: CategoryTree,
    brand_names: dict[int, tuple[str, str]],
    base_url: str,
    cap: int = DIGEST_CAP,
) -> tuple[list[DigestGroup], int]:
    """One account's digest: a group per follow with products new since that follow's mark (a
    product in two followed places is named once), at most `cap` products named in all; and
    the number of new products in all."""
    seen: set[int] = set()
    groups: list[DigestGroup] = []
    shown = 0
    ordered = sorted(follows, key=lambda row: (row["category"] is None, row["id"]))
    for row in ordered:
        if row["category"] is not None:
            node = tree.nodes.get(row["category"])
            if node is None:
                continue
            scope = set(tree.descendant_ids(node.id))
            group = DigestGroup(
                CATEGORY, node.name, f"{base_url}/categories/{node.slug}?sort=newest"
            )
            matches = [p for p in products if p["category"] in scope]
        else:
            name, slug = brand_names.get(row["brand"], ("", ""))
            if not slug:
                continue
            group = DigestGroup(BRAND, name, f"{base_url}/products?brand={slug}&sort=newest")
            matches = [p for p in products if p["brand"] == row["brand"]]
        fresh = [
            p for p in matches if p["created_at"] > row["digested_until"] and p["id"] not in seen
        ]
        if not fresh:
            continue
        seen.update(p["id"] for p in fresh)
        room = max(cap - shown, 0)
        group.products = [
            {"title": p["title"], "link": f"{base_url}/products/{p['slug']}"} for p in fresh[:room]
        ]
        group.more = len(fresh) - len(group.products)
        shown += len(group.products)
        groups.append(group)
    return groups, len(seen)


async def send_digests(
    settings: Settings, *, now: dt.datetime | None = None, interval_days: float | None = None
) -> DigestReport:
    """Queue the weekly digest of every account that is due (see the module's docstring)."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    days = settings.follows_digest_days if interval_days is None else interval_days
    threshold = now - dt.timedelta(days=days)
    report = DigestReport()
    tree = await load_category_tree()
    after = 0
    while batch := await _due_accounts(after, threshold):
        after = batch[-1]
        queued = await _digest_batch(settings, batch, tree, now, threshold, report)
        if queued:
            notify_mail_queued()
    return report


async def _digest_batch(
    settings: Settings,
    batch: list[int],
    tree: CategoryTree,
    now: dt.datetime,
    threshold: dt.datetime,
    report: DigestReport,
) -> int:
    queued = 0
    async with write_transaction(Follow._meta.db):
        rows = await _locked_follows(batch)
        by_account: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_account[row["account"]].append(row)
        # Due still? Another worker may have sent this account's digest meanwhile.
        due = {
            account_id: follows
            for account_id, follows in by_account.items()
            if min(row["digested_until"] for row in follows) <= threshold
        }
        if not due:
            return 0
        every_follow = [row for follows in due.values() for row in follows]
        products = await _new_products(every_follow, tree, now)
        brand_ids = sorted({row["brand"] for row in every_follow if row["brand"] is not None})
        brand_names = {
            row["id"]: (row["name"], row["slug"])
            for row in (
                await Brand.select(Brand.id, Brand.name, Brand.slug).where(
                    Brand.id.is_in(brand_ids)
                )
                if brand_ids
                else []
            )
        }
        accounts = {
            row["id"]: row
            for row in await Account.select(Account.id, Account.email, Account.locale).where(
                Account.id.is_in(sorted(due))
            )
        }
        states = await notifications.states(due)
        for account_id, follows in due.items():
            report.accounts += 1
            account = accounts.get(account_id)
            groups, total = digest_groups(follows, products, tree, brand_names, settings.base_url)
            if account is None or not groups or not account["email"]:
                report.nothing_new += 1
                continue
            await enqueue_email(
                kind=DIGEST_KIND,
                recipient=account["email"],
                locale=account["locale"],
                account_id=account_id,
                gate_state=states.get(account_id),
                context={
                    "groups": groups,
                    "total": total,
                    "shown": sum(len(group.products) for group in groups),
                    "follows_link": f"{settings.base_url}/account/follows",
                    "settings_link": f"{settings.base_url}/account/notifications",
                },
            )
            report.queued += 1
            queued += 1
        # Every product up to now was considered (sent, refused by the gate, or none): the
        # marks move in the same transaction as the queueing.
        await Follow.update({Follow.digested_until: now}).where(
            Follow.account.is_in(sorted(due)) & (Follow.digested_until < now)
        )
    return queued


# -- In the background ----------------------------------------------------------------------------


class NoticeJobs:
    """In the background of a server process: at start-up, then every interval, announce a new
    privacy-policy version (services/policy_notices.py) and queue the digests that are due. Both
    are safe with several workers running them at once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def start(self) -> None:
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="okmarts-notice-jobs")

    async def stop(self, timeout: float = 15) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(task, timeout)
        except TimeoutError:
            log.warning("Notice jobs did not finish their pass in %s s; stopped them", timeout)

    async def run_once(self) -> None:
        from okmarts.services import policy_notices

        await policy_notices.announce_current(self.settings)
        await send_digests(self.settings)

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.run_once()
            except Exception:
                # The database may be away for a moment: the jobs must outlive it.
                log.exception("Notice jobs failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.settings.notice_jobs_seconds)
