"""Watched parts: which changes tell which watches, once per watcher, through the gate; a
visitor's address confirmed first; stop links that also stop queued alerts; the product page's
personal block kept out of the shared page; the account page; download and erasure."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.app import create_app
from okmarts.db import write_transaction
from okmarts.services import erasure, messaging, notification_settings, privacy_export, watches
from okmarts.services.watch_alerts import Event, fan_out, matches
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.notifications import Notification
from okmarts.tables.watches import PartWatch, ProductEvent, WatchAlert, WatchKind
from tests.conftest import TestDatabase
from tests.states.accounts import (
    SITE,
    links_mailed_to,
    local,
    new_email,
    post_form,
    verified_account,
    verified_shopper,
)
from tests.states.catalog import new_product
from tests.unit.conftest import settings_for

Client = AsyncTestClient[Litestar]


async def _set(product_id: int, **values: object) -> None:
    """Change a product as staff do (the admin's plain UPDATE): the trigger sees it."""
    columns = {Product._meta.get_column_by_name(name): value for name, value in values.items()}
    async with write_transaction(Product._meta.db):
        await Product.update(columns).where(Product.id == product_id)


async def _alerts(kind: str, recipient: str) -> list[dict]:
    return await OutboxMessage.select(OutboxMessage.id, OutboxMessage.text_body).where(
        (OutboxMessage.kind == kind) & (OutboxMessage.recipient == recipient)
    )


def test_which_events_tell_which_watches() -> None:
    event = Event(1, product=7, kind="price_drop", old_price_minor=1000, new_price_minor=900)
    watch = {"product": 7, "kind": "price_drop", "fired_at": None, "seen_price_minor": 1000}
    assert matches(event, watch)
    assert not matches(event, {**watch, "seen_price_minor": 900})  # not lower than seen
    assert not matches(event, {**watch, "seen_price_minor": 850})
    assert not matches(event, {**watch, "product": 8})
    assert not matches(event, {**watch, "kind": "back_in_stock"})
    stock = replace(event, kind="back_in_stock")
    one_shot = {**watch, "kind": "back_in_stock"}
    assert matches(stock, one_shot)
    assert not matches(stock, {**one_shot, "fired_at": "told"})


async def test_back_in_stock_is_told_once_in_the_center_and_by_email(app: Litestar) -> None:
    settings = app.state.settings
    shopper = await verified_shopper()
    product = await new_product(stock=0)
    await watches.watch(shopper, product["id"], WatchKind.back_in_stock)
    await watches.watch(shopper, product["id"], WatchKind.back_in_stock)  # twice: one watch
    assert await PartWatch.count().where(PartWatch.account == shopper.id) == 1
    await _set(product["id"], price_minor=13_000)  # not a watched change: no event
    assert await ProductEvent.count().where(ProductEvent.product == product["id"]) == 0
    await _set(product["id"], stock=5)
    assert await fan_out(settings) >= 1
    [mail] = await _alerts("part_back_in_stock", shopper.email)
    assert product["title"] in mail["text_body"] and "/watches/stop?token=" in mail["text_body"]
    entries = await Notification.select(Notification.title).where(
        Notification.account == shopper.id
    )
    assert [e["title"] for e in entries] == [f"Back in stock: {product['title']}"]
    # Out and in again: the watch was done after its alert, nothing more is sent.
    await _set(product["id"], stock=0)
    await _set(product["id"], stock=3)
    await fan_out(settings)
    assert len(await _alerts("part_back_in_stock", shopper.email)) == 1
    button = (await watches.product_buttons(shopper.id, product["id"]))[0]
    assert button.told_at is not None and not button.watching
    # The page's alerts block reads the product and the watches in one query: the same buttons
    # (the date it was told as a date, on both databases), the product's own fields.
    await watches.watch(shopper, product["id"], WatchKind.price_drop)
    block = await watches.block_context(shopper.id, product["id"])
    assert block is not None
    assert block["watch_buttons"] == await watches.product_buttons(shopper.id, product["id"])
    assert block["watch_buttons"][0].told_at == button.told_at
    assert [b.watching for b in block["watch_buttons"]].count(True) == 1
    assert block["product"]["id"] == product["id"] and block["product"]["stock"] == 3
    nobody = await watches.block_context(shopper.id + 10_000, product["id"])
    assert nobody is not None and not any(b.watching for b in nobody["watch_buttons"])
    assert await watches.block_context(shopper.id, 999_999_999) is None


async def test_a_price_drop_is_one_below_the_price_last_seen(app: Litestar) -> None:
    settings = app.state.settings
    shopper = await verified_shopper()
    product = await new_product(stock=4, price_minor=10_000)
    await watches.watch(shopper, product["id"], WatchKind.price_drop)
    await _set(product["id"], price_minor=12_000)  # up: nothing
    await _set(product["id"], price_minor=11_000)  # down, but above the 100.00 seen
    await fan_out(settings)
    assert await _alerts("part_price_drop", shopper.email) == []
    await _set(product["id"], price_minor=9_000)
    await fan_out(settings)
    [mail] = await _alerts("part_price_drop", shopper.email)
    assert "from $110.00 to $90.00" in mail["text_body"]
    await _set(product["id"], price_minor=9_500)
    await _set(product["id"], price_minor=9_200)  # lower than before, not than 90.00 told
    await fan_out(settings)
    assert len(await _alerts("part_price_drop", shopper.email)) == 1
    await _set(product["id"], price_minor=8_000)
    await fan_out(settings)
    assert len(await _alerts("part_price_drop", shopper.email)) == 2


async def test_concurrent_fan_outs_tell_each_watcher_once(app: Litestar) -> None:
    settings = app.state.settings
    shoppers = [await verified_shopper() for _ in range(3)]
    product = await new_product(stock=0)
    for shopper in shoppers:
        await watches.watch(shopper, product["id"], WatchKind.back_in_stock)
        await watches.watch(shopper, product["id"], WatchKind.discontinued)
    await _set(product["id"], stock=2)
    await _set(product["id"], status="discontinued")
    await asyncio.gather(fan_out(settings), fan_out(settings), fan_out(settings))
    await fan_out(settings)
    for shopper in shoppers:
        assert len(await _alerts("part_back_in_stock", shopper.email)) == 1
        assert len(await _alerts("part_discontinued", shopper.email)) == 1
    events = await ProductEvent.select(ProductEvent.id).where(ProductEvent.product == product["id"])
    assert len(events) == 2
    assert await WatchAlert.count().where(WatchAlert.event.is_in([e["id"] for e in events])) == 6


async def test_a_rolled_back_change_tells_nobody(app: Litestar) -> None:
    shopper = await verified_shopper()
    product = await new_product(stock=0)
    await watches.watch(shopper, product["id"], WatchKind.back_in_stock)
    try:
        async with write_transaction(Product._meta.db):
            await Product.update({Product.stock: 9}).where(Product.id == product["id"])
            raise RuntimeError("import failed")
    except RuntimeError:
        pass
    assert await ProductEvent.count().where(ProductEvent.product == product["id"]) == 0


async def test_the_gate_refuses_alerts_the_shopper_turned_off(app: Litestar) -> None:
    settings = app.state.settings
    shopper = await verified_shopper()
    product = await new_product(stock=0)
    await watches.watch(shopper, product["id"], WatchKind.back_in_stock)
    await notification_settings.save_choices(shopper, set())  # everything optional off
    await _set(product["id"], stock=1)
    await fan_out(settings)
    assert await _alerts("part_back_in_stock", shopper.email) == []
    assert await Notification.count().where(Notification.account == shopper.id) == 0


async def test_stopping_a_watch_withholds_its_queued_alert(app: Litestar, smtp_server) -> None:
    settings = replace(app.state.settings, smtp_url=smtp_server.url)
    shopper = await verified_shopper()
    product = await new_product(stock=0)
    await watches.watch(shopper, product["id"], WatchKind.back_in_stock)
    await _set(product["id"], stock=1)
    await fan_out(settings)
    [mail] = await _alerts("part_back_in_stock", shopper.email)
    stop = re.search(r"/watches/stop\?token=\S+", mail["text_body"])[0]
    async with AsyncTestClient(app=app) as visitor:  # the link works without signing in
        page = await visitor.get(stop)
        assert page.status_code == 200 and "Stop watching this part" in page.text
        assert await PartWatch.count().where(PartWatch.account == shopper.id) == 1  # GET: no change
        token = stop.split("token=")[1]
        done = await post_form(visitor, "/watches/stop", {"token": token})
        assert "not even an alert already on its way" in done.text
    assert await PartWatch.count().where(PartWatch.account == shopper.id) == 0
    await messaging.send_due_mail(settings)
    row = await OutboxMessage.select().where(OutboxMessage.id == mail["id"]).first()
    assert row["sent_at"] is None and row["withheld_at"] is not None
    assert [m for m in smtp_server.to(shopper.email) if "Back in stock" in m["Subject"]] == []


async def test_a_visitor_watch_starts_only_after_the_confirmed_link(
    client: Client, app: Litestar, smtp_server
) -> None:
    settings = replace(app.state.settings, smtp_url=smtp_server.url)
    product = await new_product(stock=0)
    email = new_email("visitor")
    refused = await post_form(
        client, f"/products/{product['slug']}/watch", {"email": "nope", "kind": "back_in_stock"}
    )
    assert refused.status_code == 422 and 'value="nope"' in refused.text
    sent = await post_form(
        client, f"/products/{product['slug']}/watch", {"email": email, "kind": "back_in_stock"}
    )
    assert sent.status_code == 303
    assert await PartWatch.count().where(PartWatch.email == email) == 0
    [link] = await links_mailed_to(email, "part_watch_confirm")
    page = await client.get(local(link))
    assert "Confirm the alert" in page.text
    assert await PartWatch.count().where(PartWatch.email == email) == 0  # a GET changes nothing
    token = local(link).split("token=")[1]
    done = await post_form(client, "/watches/confirm", {"token": token})
    assert done.status_code == 200 and email in done.text
    assert await PartWatch.count().where(PartWatch.email == email) == 1
    bad = await post_form(client, "/watches/confirm", {"token": token + "x"})
    assert bad.status_code == 400
    await _set(product["id"], stock=3)
    await fan_out(settings)
    [mail] = await _alerts("part_back_in_stock", email)
    assert "/account/watches" not in mail["text_body"]  # a visitor has no account page
    for _ in range(50):  # other tests' mail may be due before it (oldest first)
        await messaging.send_due_mail(settings)
        if smtp_server.to(email):
            break
    assert smtp_server.to(email)


async def test_visitor_requests_are_rate_limited(client: Client) -> None:
    product = await new_product(stock=0)
    email = new_email("visitor")
    statuses = []
    for _ in range(watches.PER_EMAIL.attempts + 1):
        response = await post_form(
            client, f"/products/{product['slug']}/watch", {"email": email, "kind": "price_drop"}
        )
        statuses.append(response.status_code)
    assert statuses[-1] == 429 and set(statuses[:-1]) == {303}


async def test_the_watch_block_is_each_shoppers_own_in_the_shared_page(
    seeded_database: TestDatabase,
) -> None:
    cached = create_app(replace(settings_for(seeded_database), page_cache_seconds=60))
    product = await new_product(stock=0)
    path = f"/products/{product['slug']}"
    async with AsyncTestClient(app=cached) as ann, AsyncTestClient(app=cached) as bob:
        await verified_account(ann)
        await verified_account(bob)
        await ann.get(path)
        await bob.get(path)  # both copies are cached now
        watched = await post_form(
            ann, f"{path}/watch", {"kind": "back_in_stock"}, headers={"HX-Request": "true"}
        )
        assert "Watching for it to be back in stock" in watched.text
        assert "Watching for it" in (await ann.get(path)).text
        bobs = (await bob.get(path)).text
        assert "Watching for it" not in bobs and "Tell me when it" in bobs
        async with AsyncTestClient(app=cached) as visitor:
            page = (await visitor.get(path)).text
            assert "Watching for it" not in page and "Your email, for an alert" in page


async def test_the_account_page_lists_and_removes_only_ones_own(
    client: Client, app: Litestar
) -> None:
    ann = await verified_account(client)
    product = await new_product(stock=0)
    await post_form(client, f"/products/{product['slug']}/watch", {"kind": "price_drop"})
    page = await client.get("/account/watches")
    assert product["title"] in page.text and "Watching for a lower price" in page.text
    [watch] = await PartWatch.select(PartWatch.id).where(PartWatch.account == ann.id)
    async with AsyncTestClient(app=app) as other:
        await verified_account(other)
        refused = await post_form(other, f"/account/watches/{watch['id']}/remove")
        assert refused.status_code == 404
        assert (await post_form(other, "/account/watches/x/remove")).status_code == 404
    removed = await post_form(client, f"/account/watches/{watch['id']}/remove")
    assert removed.status_code == 303
    assert await PartWatch.count().where(PartWatch.account == ann.id) == 0
    assert "You watch no parts" in (await client.get("/account/watches")).text


async def test_watches_are_downloaded_and_erased_with_the_account(app: Litestar) -> None:
    shopper = await verified_shopper()
    product = await new_product(stock=0)
    await watches.watch(shopper, product["id"], WatchKind.discontinued)
    # A watch the same person made as a visitor, with the same address.
    async with write_transaction(PartWatch._meta.db):
        await PartWatch.insert(
            PartWatch(account=None, email=shopper.email, product=product["id"], kind="price_drop")
        )
    export = await privacy_export.collect_export(shopper.id)
    assert {row["kind"] for row in export["watched_parts.json"]} == {"discontinued", "price_drop"}
    await erasure.erase_account(shopper.id, settings=app.state.settings, reason="test")
    assert await PartWatch.count().where(PartWatch.email == shopper.email) == 0
    assert await Account.count().where(Account.id == shopper.id) == 0


async def test_stop_links_are_signed(client: Client) -> None:
    link = watches.stop_link(SITE, 1, "x@example.com")
    page = await client.get(local(link) + "tampered")
    assert page.status_code == 400
