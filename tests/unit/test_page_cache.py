"""The per-worker page cache never mixes visitors' CSRF tokens, languages, names or carts."""

from __future__ import annotations

import asyncio
import re
import sys
import zlib
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts import page_cache
from okmarts.app import create_app
from okmarts.page_cache import PageCache, Rendered, Unkept, hole
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Category, Product
from okmarts.tables.notifications import Notification
from okmarts.tables.reviews import Review
from tests.conftest import TestDatabase
from tests.states.accounts import post_form, verified_account
from tests.states.catalog import new_product
from tests.states.reviews import approved_review
from tests.unit.conftest import settings_for


@pytest.fixture(autouse=True)
def pages_kept_through_edits(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests rename a product to see that a cached copy is served: the catalog's change
    log (which drops that page within a second) is not read here (see test_catalog_changes)."""
    monkeypatch.setattr(page_cache, "FOLLOW_SECONDS", 24 * 3600)


def cached_app(database: TestDatabase) -> Litestar:
    settings = settings_for(database)
    return create_app(settings.__class__(**{**settings.__dict__, "page_cache_seconds": 60}))


def form_token(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


async def test_cached_pages_carry_each_visitors_own_token(seeded_database: TestDatabase) -> None:
    app = cached_app(seeded_database)
    product = await Product.select(Product.slug, Product.title).first()
    assert product
    path = f"/products/{product['slug']}"
    async with AsyncTestClient(app=app) as first, AsyncTestClient(app=app) as second:
        page_one = await first.get(path)
        # The second visitor is served from the cache even after the title changed...
        await Product.update({Product.title: "Renamed while cached"}).where(
            Product.slug == product["slug"]
        )
        try:
            page_two = await second.get(path)
            assert product["title"] in page_two.text
            # ...yet with their own CSRF token, which their own form post is accepted with.
            assert form_token(page_one.text) != form_token(page_two.text)
            posted = await second.post(
                "/language",
                data={"lang": "zh_Hans", "next": "/", "_csrf_token": form_token(page_two.text)},
                follow_redirects=False,
            )
            assert posted.status_code == 303
            chinese = await second.get(path)
            assert '<html lang="zh-Hans">' in chinese.text
            english = await first.get(path)
            assert '<html lang="en">' in english.text
        finally:
            await Product.update({Product.title: product["title"]}).where(
                Product.slug == product["slug"]
            )


async def test_an_expired_page_is_rendered_once_for_a_crowd() -> None:
    cache = PageCache(ttl_seconds=60)
    renders = 0

    async def render() -> Rendered:
        nonlocal renders
        renders += 1
        await asyncio.sleep(0.05)
        return Rendered.from_html("<p>page</p>")

    pages = await asyncio.gather(*(cache.rendered(("/p", "en"), render) for _ in range(8)))
    assert renders == 1 and {page.parts for page in pages} == {("<p>page</p>",)}
    assert (await cache.rendered(("/p", "en"), render)).parts == ("<p>page</p>",)
    assert renders == 1
    await cache.rendered(("/p", "zh_Hans"), render)
    assert renders == 2


async def test_without_a_ttl_every_request_renders() -> None:
    cache = PageCache(ttl_seconds=0)
    renders = 0

    async def render() -> Rendered:
        nonlocal renders
        renders += 1
        return Rendered.from_html("x")

    await cache.rendered(("/p",), render)
    await cache.rendered(("/p",), render)
    assert renders == 2


async def test_cached_pages_name_each_visitors_cart_in_their_words(
    seeded_database: TestDatabase,
) -> None:
    """The header's count is filled in per visitor, and so is what a screen reader hears after
    it: "1 item", "2 items", in the visitor's language."""
    app = cached_app(seeded_database)
    product = await Product.select(Product.id, Product.slug).where(Product.stock > 5).first()
    assert product
    path = f"/products/{product['slug']}"
    badge = re.compile(
        r'id="cart-count" class="cart-count">(\d+)<span class="visually-hidden"> ([^<]+)<'
    )
    async with AsyncTestClient(app=app) as one, AsyncTestClient(app=app) as two:
        for client, quantity in [(one, "1"), (two, "2")]:
            await post_form(
                client, "/cart/lines", {"product_id": str(product["id"]), "quantity": quantity}
            )
        assert badge.findall((await one.get(path)).text) == [("1", "item")]
        assert badge.findall((await two.get(path)).text) == [("2", "items")]
        chinese = await two.get(path, headers={"Accept-Language": "zh-CN"})
        assert badge.findall(chinese.text) == [("2", "件商品")]


BADGE = re.compile(r'id="cart-count" class="cart-count">(\d+)<span')
NAME = re.compile(r'<span class="account-name" translate="no">([^<]*)</span>')


async def signed_in_shopper(
    app: Litestar, client: AsyncTestClient[Litestar], nickname: str
) -> Account:
    account = await verified_account(client)
    await Account.update({Account.nickname: nickname}).where(Account.id == account.id)
    return account


async def test_signed_in_shoppers_share_cached_pages_each_with_their_own_header(
    seeded_database: TestDatabase,
) -> None:
    """Two shoppers and a visitor read the same cached pages; each sees their own name, cart
    count and token, never another's, and no cached copy holds anything of theirs."""
    app = cached_app(seeded_database)
    product = (
        await Product.select(Product.id, Product.slug, Product.title)
        .where(Product.stock > 5)
        .first()
    )
    category = await Category.select(Category.slug).where(Category.parent.is_null()).first()
    assert product and category
    paths = [
        f"/products/{product['slug']}",
        f"/categories/{category['slug']}",
        "/search?q=sensor",
        "/",
    ]
    async with (
        AsyncTestClient(app=app) as ann,
        AsyncTestClient(app=app) as bob,
        AsyncTestClient(app=app) as visitor,
    ):
        shoppers = [
            (ann, await signed_in_shopper(app, ann, "Ann <b>A.</b>"), "1"),
            (bob, await signed_in_shopper(app, bob, "Bob"), "3"),
        ]
        for client, _, quantity in shoppers:
            await post_form(
                client, "/cart/lines", {"product_id": str(product["id"]), "quantity": quantity}
            )
        for path in paths:
            pages = {"ann": await ann.get(path), "visitor": await visitor.get(path)}
            # Served from the cache from here on: a rename does not show until it expires...
            await Product.update({Product.title: "Renamed while cached"}).where(
                Product.id == product["id"]
            )
            try:
                pages["bob"] = await bob.get(path)
            finally:
                await Product.update({Product.title: product["title"]}).where(
                    Product.id == product["id"]
                )
            for page in pages.values():
                assert page.status_code == 200, path
                assert "Renamed while cached" not in page.text, path
            # ...yet each header is the asker's own, the name escaped as text.
            assert NAME.findall(pages["ann"].text) == ["Ann &lt;b&gt;A.&lt;/b&gt;"], path
            assert BADGE.findall(pages["ann"].text) == ["1"], path
            assert NAME.findall(pages["bob"].text) == ["Bob"], path
            assert BADGE.findall(pages["bob"].text) == ["3"], path
            assert NAME.findall(pages["visitor"].text) == [], path
            assert BADGE.findall(pages["visitor"].text) == ["0"], path
            assert "Sign out" in pages["bob"].text and "Sign out" not in pages["visitor"].text
            assert "Ann" not in pages["bob"].text and "Bob" not in pages["ann"].text
            assert form_token(pages["ann"].text) != form_token(pages["bob"].text)
        # Nothing personal in any shared copy: no name, email, token or count of anyone's.
        cache: PageCache = app.state.page_cache
        kept = list(cache._pages.values()) if cache._pages is not None else []
        assert len(kept) == 2 * len(paths)  # one copy for visitors, one for signed-in shoppers
        tokens = [form_token(pages[who].text) for who in ("ann", "bob", "visitor")]
        for rendered in kept:
            text = "".join(rendered.parts)
            for _, account, _ in shoppers:
                assert account.email not in text
            for secret in ("Ann", "Bob", *tokens):
                assert secret not in text
            assert {"csrf", "cart-count"} <= set(rendered.holes)


UNREAD = re.compile(r'id="unread-count" class="unread-count">(\d+)<span')


async def test_each_shopper_sees_their_own_unread_count_on_shared_pages(
    seeded_database: TestDatabase,
) -> None:
    """The header's count of unread messages is a hole like the cart count: each shopper sees
    their own on a shared cached page, a visitor none, and no kept copy holds a count."""
    app = cached_app(seeded_database)
    product = await Product.select(Product.slug).first()
    assert product
    paths = ["/", f"/products/{product['slug']}"]
    async with (
        AsyncTestClient(app=app) as ann,
        AsyncTestClient(app=app) as bob,
        AsyncTestClient(app=app) as visitor,
    ):
        shoppers = [
            (ann, await signed_in_shopper(app, ann, "Ann"), 2),
            (bob, await signed_in_shopper(app, bob, "Bob"), 5),
        ]
        for _, account, unread in shoppers:
            for number in range(unread):
                await Notification.insert(
                    Notification(account=account.id, type="orders", kind="k", title=f"n{number}")
                )
        for path in paths:
            assert UNREAD.findall((await ann.get(path)).text) == ["2"], path
            assert UNREAD.findall((await bob.get(path)).text) == ["5"], path
            visitor_page = (await visitor.get(path)).text
            assert UNREAD.findall(visitor_page) == [] and "/account/messages" not in visitor_page
        # Bob reads his messages: his count falls, Ann's does not, on the same kept page.
        await post_form(bob, "/account/messages/read-all")
        assert UNREAD.findall((await bob.get(paths[0])).text) == ["0"]
        assert UNREAD.findall((await ann.get(paths[0])).text) == ["2"]
    cache: PageCache = app.state.page_cache
    kept = list(cache._pages.values()) if cache._pages is not None else []
    signed_in_copies = [rendered for rendered in kept if "unread-count" in rendered.holes]
    assert len(signed_in_copies) == len(paths)
    for rendered in signed_in_copies:
        assert not UNREAD.search("".join(rendered.parts))


async def test_each_shopper_sees_their_own_votes_on_a_shared_product_page(
    seeded_database: TestDatabase,
) -> None:
    app = cached_app(seeded_database)
    product = await new_product(5)
    review = await approved_review(product)
    path = f"/products/{product['slug']}"
    pressed = re.compile(rf'id="vote-{review.id}-(\w+)"[^>]*aria-pressed="(\w+)"')
    try:
        async with AsyncTestClient(app=app) as voter, AsyncTestClient(app=app) as other:
            await signed_in_shopper(app, voter, "Voter")
            await signed_in_shopper(app, other, "Other")
            await post_form(voter, f"/reviews/{review.id}/votes", {"choice": "helpful"})
            mine = (await voter.get(path)).text
            theirs = (await other.get(path)).text
    finally:
        # Other tests look for the most reviewed product: this one has no pictures.
        await Review.delete().where(Review.id == review.id)
    assert dict(pressed.findall(mine)) == {"helpful": "true", "not_helpful": "false"}
    assert dict(pressed.findall(theirs)) == {"helpful": "false", "not_helpful": "false"}
    # Pressing again withdraws the vote: the voter's form says so, the other's does not.
    assert 'value="withdraw"' in mine and 'value="withdraw"' not in theirs


def test_a_page_rendered_for_one_answer_is_filled_as_a_kept_page_is() -> None:
    """Without a cache a page is filled as text and compressed once (Unkept): the same page,
    banner, dismissed recommendations, votes and all, as a kept page gives."""
    html = (
        f"<body>{hole('banner-start')}<div>banner</div>{hole('banner-end')}"
        f"<span>{hole('cart-count')} {hole('cart-items')}</span><b>{hole('account-name')}</b>"
        f"{hole('rec-7-start')}<li>seven<input value='{hole('csrf')}'></li>{hole('rec-7-end')}"
        f"{hole('rec-8-start')}<li>eight</li>{hole('rec-8-end')}"
        f"<button value='{hole('vote-3-helpful-choice')}'>ok</button>⚙ end</body>"
    )
    kept, unkept = Rendered.from_html(html, 404), Unkept.from_html(html, 404)
    assert unkept.status_code == 404
    assert unkept.voted_reviews == kept.voted_reviews == (3,)
    assert unkept.recommended == kept.recommended == (7, 8)
    values = {
        "csrf": "c" * 128,
        "cart-count": "2",
        "cart-items": "items",
        "account-name": "Ann &amp; Bo",
        "vote-3-helpful-choice": "helpful",
    }
    for banner in (True, False):
        for hidden in (frozenset(), frozenset({7}), frozenset({7, 8})):
            page = unkept.fill(values, banner, hidden)
            assert page == kept.fill(values, banner, hidden)
            assert zlib.decompress(unkept.deflate(values, banner, hidden)).decode() == page
            assert ("banner" in page) == banner and ("seven" in page) == (7 not in hidden)
    assert unkept.fill({**values, "csrf": "short"}, True) == kept.fill(
        {**values, "csrf": "short"}, True
    )


def test_page_content_cannot_open_a_hole() -> None:
    """Holes carry a random word of this process: text in a page can't fake one."""
    forged = "\x1fokmarts:account-name\x1f <- a review body"
    real = hole("account-name")
    rendered = Rendered.from_html(f"<p>{forged}</p><p>{real}</p>")
    page = rendered.fill({"account-name": "Ann"}, banner=True)
    assert page == f"<p>{forged}</p><p>Ann</p>"


async def test_product_cards_are_rendered_once_and_follow_their_product(
    seeded_database: TestDatabase,
) -> None:
    """A card is kept per product, content and language: reused by every page that shows it,
    each page's forms pointing back at that page, and a changed price gives a new card."""
    app = create_app(settings_for(seeded_database))  # page cache off: every page rendered
    category = await Category.select(Category.slug).where(Category.parent.is_null()).first()
    assert category
    listing = f"/categories/{category['slug']}"
    async with AsyncTestClient(app=app) as client:
        first = await client.get(listing)
        slug = re.search(r'<li class="card">\s*<a href="/products/([^"]+)"', first.text)
        assert slug
        product = (
            await Product.select(Product.id, Product.price_minor)
            .where(Product.slug == slug.group(1))
            .first()
        )
        assert product
        cards = app.template_engine.engine.okmarts_cards
        kept = len(cards)
        assert kept >= 1
        sorted_listing = await client.get(listing, params={"sort": "price_asc"})
        assert f'name="next" value="{listing}?sort=price_asc"' in sorted_listing.text
        assert f'name="next" value="{listing}"' in (await client.get(listing)).text
        await Product.update({Product.price_minor: 123_456_78}).where(Product.id == product["id"])
        try:
            changed = await client.get(listing)
            assert "$123,456.78" in changed.text and len(cards) > kept
        finally:
            await Product.update({Product.price_minor: product["price_minor"]}).where(
                Product.id == product["id"]
            )


async def test_the_cache_keeps_pages_compressed_within_its_byte_budget() -> None:
    """Pages are kept compressed; past the budget the least recently used go, and a page
    bigger than the whole budget is served but not kept."""
    items = "".join(f"<li>Relay {n} 24 V DC, DIN rail</li>" for n in range(400))
    page = f"<main>{items}</main>"
    rendered = Rendered.from_html(page)
    assert rendered.size < len(page) / 5, (rendered.size, len(page))
    cache = PageCache(ttl_seconds=60, max_bytes=3 * rendered.size)

    async def render() -> Rendered:
        return rendered

    for number in range(5):
        await cache.rendered((f"/p/{number}",), render)
    kept = [key for key in (cache._pages or {})]
    assert kept == [("/p/2",), ("/p/3",), ("/p/4",)]
    tiny = PageCache(ttl_seconds=60, max_bytes=rendered.size // 2)
    assert (await tiny.rendered(("/big",), render)) is rendered
    assert not tiny._pages


def _held(value: Any, seen: set[int]) -> int:
    """Bytes a value holds in memory, with what it refers to (each object once)."""
    if id(value) in seen:
        return 0
    seen.add(id(value))
    size = sys.getsizeof(value)
    if isinstance(value, tuple | list | frozenset):
        size += sum(_held(item, seen) for item in value)
    elif hasattr(value, "__dataclass_fields__"):
        size += sum(_held(getattr(value, name), seen) for name in value.__dataclass_fields__)
    return size


@pytest.mark.parametrize("cards", [1, 24])
def test_the_budget_counts_what_a_kept_page_really_holds(cards: int) -> None:
    """The byte budget counts a page's Python objects beside its compressed text (issue 15: a
    page with a form per card holds ~300 bytes a hole), a little over rather than under."""
    card = f"<li><a href='/p/{{n}}'>Relay {{n}}</a><form>{hole('csrf')}</form></li>"
    page = (
        f"<header>{hole('cart-count')} {hole('account-name')}</header><ul>"
        + "".join(card.format(n=n) for n in range(cards))
        + "</ul>"
    )
    rendered = Rendered.from_html(page)
    held = _held(rendered, set())
    assert held <= rendered.size <= 1.5 * held + 1024, (held, rendered.size)


async def test_browsers_that_take_deflate_get_the_kept_bytes_with_their_own_parts(
    seeded_database: TestDatabase,
) -> None:
    """A page goes out as kept (deflate), each client's token and count inside; clients that
    take only gzip, or nothing, get the same page their way."""
    app = cached_app(seeded_database)
    product = await Product.select(Product.slug).first()
    assert product
    path = f"/products/{product['slug']}"
    pages = {}
    async with AsyncTestClient(app=app) as first, AsyncTestClient(app=app) as second:
        await post_form(second, "/cart/lines", {"product_id": "1", "quantity": "2"})
        for name, client, encoding in [
            ("deflate", first, "deflate"),
            ("deflate-2", second, "gzip, deflate, br"),
            ("gzip", first, "gzip"),
            ("plain", first, "identity"),
        ]:
            response = await client.get(path, headers={"Accept-Encoding": encoding})
            expected = {"deflate": "deflate", "deflate-2": "deflate", "gzip": "gzip"}.get(name)
            assert response.headers.get("content-encoding") == expected, name
            pages[name] = response.text
    assert pages["deflate"] == pages["gzip"] == pages["plain"]
    assert form_token(pages["deflate"]) != form_token(pages["deflate-2"])
    assert BADGE.findall(pages["deflate"]) == ["0"] and BADGE.findall(pages["deflate-2"]) == ["2"]
