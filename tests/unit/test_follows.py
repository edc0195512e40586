"""Following categories and brands (issue #17): the buttons (CSRF, one's own follows, never kept
in a shared page), /account/follows, and the weekly digest (only new products, subcategories
included, per follower, once under concurrency, only where the gate allows it)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.app import create_app
from okmarts.services import catalog, follows, notification_settings, notifications
from okmarts.settings import Settings
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Brand, Category, Product
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.notifications import Follow, Notification, NotificationSubscription
from tests.states.accounts import accounts_write, post_form, verified_account, verified_shopper

Client = AsyncTestClient[Litestar]
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
WEEK_AGO = NOW - dt.timedelta(days=8)


async def _parent_with_child() -> tuple[dict[str, Any], dict[str, Any]]:
    """A category with a subcategory (the digest must look below what is followed)."""
    tree = await catalog.load_category_tree()
    for node in tree.nodes.values():
        children = tree.children.get(node.id, [])
        if children:
            return vars(node), vars(children[0])
    raise AssertionError("the test catalog has no subcategory")


async def _product(category_id: int, brand_id: int, created_at: dt.datetime, **extra: Any) -> str:
    slug = f"test-digest-part-{uuid.uuid4().hex[:10]}"
    title = f"Digest part {slug[-6:]}"
    await Product(
        sku=slug.upper()[:60],
        slug=slug,
        title=title,
        brand=brand_id,
        category=category_id,
        price_minor=1000,
        currency="USD",
        stock=3,
        weight_grams=100,
        created_at=created_at,
        **extra,
    ).save()
    return title


async def _follow(account_id: int, kind: str, target_id: int, since: dt.datetime) -> None:
    await follows.follow(account_id, follows.Target(kind, target_id), now=since)


async def _digests(account_id: int) -> list[dict[str, Any]]:
    return list(
        await OutboxMessage.select(
            OutboxMessage.text_body, OutboxMessage.html_body, OutboxMessage.subject
        ).where((OutboxMessage.account == account_id) & (OutboxMessage.kind == "follows_digest"))
    )


async def _brand(offset: int = 0) -> int:
    """A brand of this test's own: other tests add products to the seeded brands meanwhile."""
    suffix = f"{offset}-{uuid.uuid4().hex[:8]}"
    own = Brand(name=f"Followed {suffix}", slug=f"followed-{suffix}")
    await own.save()
    return int(own.id)


# -- The digest -----------------------------------------------------------------------------------


async def test_the_digest_names_only_new_products_per_follower_subcategories_included(
    app: Litestar,
) -> None:
    settings: Settings = app.state.settings
    # Two months back: the categories are the seed's, and other tests add products to them now
    # (they would fill the digest's 20 places); those count as after this run.
    at = NOW - dt.timedelta(days=60)
    parent, child = await _parent_with_child()
    brand, other_brand = await _brand(0), await _brand(1)
    ann, bob, cy = await verified_shopper(), await verified_shopper(), await verified_shopper()
    await _follow(ann.id, "category", parent["id"], (at - dt.timedelta(days=8)))
    await _follow(bob.id, "brand", other_brand, (at - dt.timedelta(days=8)))
    await _follow(cy.id, "category", child["id"], at - dt.timedelta(hours=1))  # not due yet
    below = await _product(child["id"], brand, at - dt.timedelta(days=1))
    older = await _product(child["id"], brand, at - dt.timedelta(days=9))  # before the mark
    branded = await _product(child["id"], other_brand, at - dt.timedelta(days=2))
    later = await _product(child["id"], brand, at + dt.timedelta(minutes=5))  # after the run

    report = await follows.send_digests(settings, now=at)
    assert report.queued >= 2

    [ann_mail] = await _digests(ann.id)
    assert below in ann_mail["text_body"] and branded in ann_mail["text_body"]
    assert older not in ann_mail["text_body"] and later not in ann_mail["text_body"]
    assert "/account/follows" in ann_mail["text_body"]
    assert "new product" in ann_mail["subject"]
    [bob_mail] = await _digests(bob.id)
    assert branded in bob_mail["text_body"] and below not in bob_mail["text_body"]
    assert await _digests(cy.id) == []  # followed an hour ago: its first digest is next week
    # The message center has it too, linking to the list of follows.
    entry = await Notification.select(Notification.link).where(
        (Notification.account == ann.id) & (Notification.kind == "follows_digest")
    )
    assert entry == [{"link": "/account/follows"}]
    marks = await Follow.select(Follow.digested_until).where(Follow.account == ann.id)
    assert [row["digested_until"] for row in marks] == [at]

    # A week later: only what is new since (the product created after the first run).
    next_week = at + dt.timedelta(days=7)
    await follows.send_digests(settings, now=next_week)
    ann_mails = await _digests(ann.id)
    assert len(ann_mails) == 2
    assert later in ann_mails[1]["text_body"] and below not in ann_mails[1]["text_body"]
    # Nothing new for Bob: no email at all, and his mark moves on.
    assert len(await _digests(bob.id)) == 1
    marks = await Follow.select(Follow.digested_until).where(Follow.account == bob.id)
    assert [row["digested_until"] for row in marks] == [next_week]


async def test_a_digest_is_capped_with_a_count_and_a_link_to_the_rest(app: Litestar) -> None:
    settings: Settings = app.state.settings
    _, child = await _parent_with_child()
    # A brand of its own, so no other product falls in this window.
    own = Brand(name=f"Capped {uuid.uuid4().hex[:8]}", slug=f"capped-{uuid.uuid4().hex[:8]}")
    await own.save()
    brand = int(own.id)
    ann = await verified_shopper()
    start = NOW - dt.timedelta(days=400)
    await _follow(ann.id, "brand", brand, start)
    titles = [
        await _product(child["id"], brand, start + dt.timedelta(minutes=i + 1)) for i in range(23)
    ]
    await follows.send_digests(settings, now=start + dt.timedelta(days=8))
    [mail] = await _digests(ann.id)
    named = [title for title in titles if title in mail["text_body"]]
    assert len(named) == follows.DIGEST_CAP
    assert titles[-1] in named and titles[0] not in named  # newest first
    assert "and 3 more new products" in mail["text_body"]
    assert "/products?brand=" in mail["text_body"]


async def test_two_runs_at_once_send_each_digest_once(app: Litestar) -> None:
    settings: Settings = app.state.settings
    _, child = await _parent_with_child()
    accounts = [await verified_shopper() for _ in range(3)]
    for account in accounts:
        await _follow(account.id, "category", child["id"], WEEK_AGO)
    title = await _product(child["id"], await _brand(0), NOW - dt.timedelta(hours=3))
    await asyncio.gather(*(follows.send_digests(settings, now=NOW) for _ in range(3)))
    await follows.send_digests(settings, now=NOW + dt.timedelta(hours=1))  # and once more
    for account in accounts:
        mails = await _digests(account.id)
        assert len(mails) == 1 and title in mails[0]["text_body"]
        assert (
            await Notification.count().where(
                (Notification.account == account.id) & (Notification.kind == "follows_digest")
            )
            == 1
        )


async def test_the_gate_refuses_the_digest_to_a_child_restricted_or_unsubscribed(
    app: Litestar,
) -> None:
    settings: Settings = app.state.settings
    _, child = await _parent_with_child()
    kid, restricted, off, gone, guarded = [await verified_shopper() for _ in range(5)]
    for account in (kid, restricted, off, gone, guarded):
        await _follow(account.id, "category", child["id"], WEEK_AGO)
    async with accounts_write():
        await Account.update({Account.is_minor: True}).where(Account.id.is_in([kid.id, guarded.id]))
        await Account.update({Account.guardian_confirmed_at: NOW}).where(Account.id == guarded.id)
        await Account.update({Account.restrict_processing: True}).where(Account.id == restricted.id)
        for channel in notifications.CHANNELS:
            await notification_settings.set_choice(off.id, notifications.FOLLOWS, channel, False)
    await follows.unfollow(gone.id, follows.Target("category", child["id"]))
    title = await _product(child["id"], await _brand(0), NOW - dt.timedelta(hours=2))
    await follows.send_digests(settings, now=NOW)
    for account in (kid, restricted, off, gone):
        assert await _digests(account.id) == []
        assert not await Notification.exists().where(
            (Notification.account == account.id) & (Notification.kind == "follows_digest")
        )
    # A child whose guardian agreed may get product news (only marketing is never sent).
    [mail] = await _digests(guarded.id)
    assert title in mail["text_body"]


async def test_following_turns_the_digest_on_once_and_keeps_a_later_choice(app: Litestar) -> None:
    ann = await verified_shopper()
    state = await notifications.state_of(ann.id)
    assert state is not None
    assert not notifications.decide(state, notifications.FOLLOWS, notifications.EMAIL).allowed
    _, child = await _parent_with_child()
    assert await follows.follow(ann.id, follows.Target("category", child["id"]))
    assert not await follows.follow(ann.id, follows.Target("category", child["id"]))  # once
    assert await Follow.count().where(Follow.account == ann.id) == 1
    state = await notifications.state_of(ann.id)
    assert state is not None
    assert notifications.decide(state, notifications.FOLLOWS, notifications.EMAIL).allowed
    # Turned off later: following another brand leaves that choice alone.
    async with accounts_write():
        await notification_settings.set_choice(
            ann.id, notifications.FOLLOWS, notifications.EMAIL, False
        )
    await follows.follow(ann.id, follows.Target("brand", await _brand(0)))
    rows = await NotificationSubscription.select(NotificationSubscription.enabled).where(
        (NotificationSubscription.account == ann.id)
        & (NotificationSubscription.type == notifications.FOLLOWS)
        & (NotificationSubscription.channel == notifications.EMAIL)
    )
    assert rows == [{"enabled": False}]


async def test_a_follow_names_exactly_one_existing_category_or_brand(app: Litestar) -> None:
    ann = await verified_shopper()
    for kind, target_id in (("shelf", 1), ("category", None), ("brand", 0), ("brand", -3)):
        with pytest.raises(follows.FollowRefused):
            follows.target(kind, target_id)
    missing = (await Category.select(Category.id).order_by(Category.id, ascending=False))[0]
    with pytest.raises(follows.FollowRefused):
        await follows.follow(ann.id, follows.Target("category", missing["id"] + 1000))
    # The database holds one follow per account and target, whatever the service does.
    brand = await _brand(0)
    await follows.follow(ann.id, follows.Target("brand", brand))
    with pytest.raises(Exception):  # noqa: B017 (the driver's own unique-violation class)
        await Follow.insert(Follow(account=ann.id, brand=brand))


# -- Through HTTP ---------------------------------------------------------------------------------


async def test_follow_and_unfollow_with_and_without_htmx(client: Client) -> None:
    ann = await verified_account(client)
    _, child = await _parent_with_child()
    page = f"/categories/{child['slug']}"
    listing = await client.get(page)
    assert "Follow this category" in listing.text and "Unfollow this category" not in listing.text
    followed = await post_form(
        client,
        "/account/follows",
        {"action": "follow", "kind": "category", "id": str(child["id"]), "next": page},
    )
    assert followed.status_code == 303 and followed.headers["location"] == page
    assert "Unfollow this category" in (await client.get(page)).text
    mine = await client.get("/account/follows")
    assert f'href="/categories/{child["slug"]}"' in mine.text
    assert 'href="/account/follows" aria-current="page"' in mine.text

    # htmx: the button swaps itself.
    swapped = await post_form(
        client,
        "/account/follows",
        {"action": "unfollow", "kind": "category", "id": str(child["id"]), "next": page},
        headers={"HX-Request": "true", "HX-Target": f"follow-category-{child['id']}"},
    )
    assert swapped.status_code == 200 and "<html" not in swapped.text
    assert f'id="follow-category-{child["id"]}"' in swapped.text
    assert "Follow this category" in swapped.text
    assert not await Follow.exists().where(Follow.account == ann.id)

    # The list shows the same button; a plain POST comes back to the list with a notice.
    await follows.follow(ann.id, follows.Target("category", child["id"]))
    assert "Unfollow this category" in (await client.get("/account/follows")).text
    listed = await post_form(
        client,
        "/account/follows",
        {
            "action": "unfollow",
            "kind": "category",
            "id": str(child["id"]),
            "next": "/account/follows",
        },
    )
    assert listed.headers["location"] == "/account/follows?notice=unfollowed"
    shown = (await client.get(listed.headers["location"])).text
    assert "You no longer follow it." in shown and f"/categories/{child['slug']}" not in shown
    # A brand's listing (one brand chosen) offers to follow the brand.
    brand = await Brand.select(Brand.id, Brand.slug).first()
    assert "Follow this brand" in (await client.get(f"/products?brand={brand['slug']}")).text
    back = await post_form(
        client,
        "/account/follows",
        {"action": "follow", "kind": "brand", "id": str(brand["id"]), "next": "/account/follows"},
    )
    assert back.headers["location"] == "/account/follows?notice=followed"
    # Settings link the list from the "New products you follow" row.
    assert 'href="/account/follows"' in (await client.get("/account/notifications")).text


async def test_bad_follows_are_refused_with_a_message(client: Client) -> None:
    await verified_account(client)
    for form in (
        {"action": "follow", "kind": "shelf", "id": "1"},
        {"action": "follow", "kind": "category", "id": "abc"},
        {"action": "follow", "kind": "category", "id": "99999999"},
        {"action": "explode", "kind": "brand", "id": "1"},
    ):
        refused = await post_form(client, "/account/follows", form)
        assert refused.status_code == 422
        assert "There is no such category or brand to follow." in refused.text
        swapped = await post_form(
            client, "/account/follows", form, headers={"HX-Request": "true", "HX-Target": "x"}
        )
        assert swapped.status_code == 422 and "<html" not in swapped.text
        assert "There is no such category or brand to follow." in swapped.text


async def test_follows_need_csrf_and_a_sign_in_and_are_ones_own(app: Litestar) -> None:
    _, child = await _parent_with_child()
    form = {"action": "follow", "kind": "category", "id": str(child["id"])}
    async with AsyncTestClient(app=app) as visitor:
        listing = await visitor.get(f"/categories/{child['slug']}")
        assert "Sign in to follow this category" in listing.text
        assert f"/login?next=/categories/{child['slug']}" in listing.text
        asked = await post_form(visitor, "/account/follows", form)
        assert asked.status_code in (302, 303) and "/login" in asked.headers["location"]
    async with AsyncTestClient(app=app) as first, AsyncTestClient(app=app) as second:
        ann = await verified_account(first)
        bob = await verified_account(second)
        await first.get("/")
        no_token = await first.post("/account/follows", data=form, follow_redirects=False)
        assert no_token.status_code == 403
        assert not await Follow.exists().where(Follow.account == ann.id)
        await post_form(first, "/account/follows", form)
        # Bob's unfollow of the same category touches his own follows only.
        await post_form(second, "/account/follows", {**form, "action": "unfollow"})
        assert await Follow.exists().where(Follow.account == ann.id)
        assert "You follow no category" in (await second.get("/account/follows")).text
        assert not await Follow.exists().where(Follow.account == bob.id)


async def test_a_cached_listing_never_shows_one_shoppers_follow_to_another(
    app: Litestar,
) -> None:
    settings: Settings = app.state.settings
    cached = create_app(Settings(**{**settings.__dict__, "page_cache_seconds": 60}))
    _, child = await _parent_with_child()
    page = f"/categories/{child['slug']}"
    async with AsyncTestClient(app=cached) as first, AsyncTestClient(app=cached) as second:
        await verified_account(first)
        await verified_account(second)
        await post_form(
            first,
            "/account/follows",
            {"action": "follow", "kind": "category", "id": str(child["id"]), "next": page},
        )
        for _ in range(2):  # rendered, then from the cache
            assert "Unfollow this category" in (await first.get(page)).text
            seen = (await second.get(page)).text
            assert "Follow this category" in seen and "Unfollow this category" not in seen
        async with AsyncTestClient(app=cached) as visitor:
            shown = (await visitor.get(page)).text
            assert "Sign in to follow this category" in shown and "Unfollow" not in shown
        kept = "".join(
            part for rendered in cached.state.page_cache._pages.values() for part in rendered.parts
        )
        assert "Unfollow" not in kept and "Follow this category" not in kept


async def test_the_digest_reads_per_batch_not_per_follower(app: Litestar, queries: Any) -> None:
    """Bounded reads for N followers: the same SELECTs for two accounts as for six (only the
    inserts of each queued email grow)."""
    settings: Settings = app.state.settings
    _, child = await _parent_with_child()
    brand = await _brand(0)
    counts = []
    for year, followers in ((2001, 2), (2002, 6)):
        start = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
        for _ in range(followers):
            account = await verified_shopper()
            await _follow(account.id, "category", child["id"], start)
        await _product(child["id"], brand, start + dt.timedelta(days=1))
        queries.reset()
        report = await follows.send_digests(settings, now=start + dt.timedelta(days=8))
        assert report.queued >= followers  # (the first ones, due again, too)
        reads = [s for s in queries.statements if s.lstrip().upper().startswith("SELECT")]
        counts.append(len(reads))
    assert counts[0] == counts[1], counts
