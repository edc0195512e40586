"""The per-worker page cache never mixes visitors' CSRF tokens or languages."""

from __future__ import annotations

import asyncio
import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.app import create_app
from okmarts.page_cache import PageCache, Rendered
from okmarts.tables.catalog import Product
from tests.conftest import TestDatabase
from tests.unit.account_steps import post_form
from tests.unit.conftest import settings_for


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
        return Rendered(html="<p>page</p>", status_code=200)

    pages = await asyncio.gather(*(cache.rendered(("/p", "en"), render) for _ in range(8)))
    assert renders == 1 and {page.html for page in pages} == {"<p>page</p>"}
    assert (await cache.rendered(("/p", "en"), render)).html == "<p>page</p>" and renders == 1
    await cache.rendered(("/p", "zh_Hans"), render)
    assert renders == 2


async def test_without_a_ttl_every_request_renders() -> None:
    cache = PageCache(ttl_seconds=0)
    renders = 0

    async def render() -> Rendered:
        nonlocal renders
        renders += 1
        return Rendered(html="x", status_code=200)

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
