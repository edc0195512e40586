"""Kits and "Not interested" as an attacker would probe them: hostile ids and slugs, forged or
missing CSRF, the wrong method, a tampered or overgrown cookie, and one shopper's dismissals
never reaching another's (shared, cached) page, htmx or not."""

from __future__ import annotations

import html
import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts import dismissals
from tests.states.accounts import post_form
from tests.states.catalog import new_product
from tests.states.recommendations import new_kit
from tests.unit.test_recommendations import place
from tests.unit.test_recommendations_privacy import accept_cookies

Client = AsyncTestClient[Litestar]
HOSTILE_IDS = ["abc", "-1", "0", "9" * 40, "1e3", "1.5", " ", "²", "<script>x</script>", ""]


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.mark.parametrize("htmx", [False, True])
async def test_dismiss_refuses_hostile_ids_with_a_clear_message(app: Litestar, htmx: bool) -> None:
    headers = {"HX-Request": "true", "HX-Target": "bought-with-1"} if htmx else {}
    async with AsyncTestClient(app=app) as client:
        await accept_cookies(client, "accept_all")
        for raw in HOSTILE_IDS:
            answer = await post_form(
                client, "/recommendations/dismiss", {"product_id": raw}, headers=headers
            )
            assert answer.status_code == 422, raw
            assert "There is no such product." in text_of(answer.text)
            assert "<script>x" not in answer.text
        twice = await client.post(
            "/recommendations/dismiss",
            data={"_csrf_token": client.cookies.get("okmarts_csrf"), "product_id": ["1", "2"]},
            headers=headers,
        )
        assert twice.status_code in (400, 422) and "Traceback" not in twice.text
        assert "okmarts_dismissed" not in client.cookies


async def test_kit_and_dismiss_need_post_and_csrf_and_a_real_kit(client: Client) -> None:
    kit, _ = await new_kit()
    await client.get("/")
    for path in (f"/kits/{kit['slug']}/cart", "/recommendations/dismiss"):
        forged = await client.post(path, data={"product_id": "1"}, follow_redirects=False)
        assert forged.status_code == 403, path
        assert (await client.get(path, follow_redirects=False)).status_code in (404, 405), path
    assert (await client.get("/cart")).text.count(kit["name"]) == 0
    for slug in ("no-such-kit", "%3Cscript%3E", "x" * 3000, "..%2F..%2Fetc"):
        assert (await client.get(f"/kits/{slug}")).status_code == 404, slug
        assert (await post_form(client, f"/kits/{slug}/cart")).status_code == 404, slug
    odd = await post_form(client, f"/kits/{kit['slug']}/cart", {"parts": "<b>all</b>"})
    assert odd.status_code == 303


async def test_a_tampered_dismissal_cookie_is_ignored(app: Litestar) -> None:
    a, b = await new_product(50), await new_product(50)
    await place(app, [a, b])
    await place(app, [a, b])
    async with AsyncTestClient(app=app) as visitor:
        await accept_cookies(visitor, "accept_all")
        await post_form(visitor, "/recommendations/dismiss", {"product_id": str(b["id"])})
        genuine = visitor.cookies.get("okmarts_dismissed")
        assert genuine
        page = await visitor.get(f"/products/{a['slug']}")
        assert f"Often bought with {a['title']}" not in text_of(page.text)
        # Forged: the payload changed, or signed with another key; neither counts.
        visitor.cookies.set("okmarts_dismissed", genuine[:-4] + "AAAA")
        page = await visitor.get(f"/products/{a['slug']}")
        assert f"Often bought with {a['title']}" in text_of(page.text)
        visitor.cookies.set("okmarts_dismissed", f"[{b['id']}]")
        page = await visitor.get(f"/products/{a['slug']}")
        assert page.status_code == 200
        assert f"Often bought with {a['title']}" in text_of(page.text)


async def test_the_dismissed_and_viewed_cookies_stay_small_however_many(app: Litestar) -> None:
    products = [await new_product(5) for _ in range(12)]
    async with AsyncTestClient(app=app) as visitor:
        await accept_cookies(visitor, "accept_all")
        for n in range(dismissals.MAX_IN_COOKIE + 30):
            answer = await post_form(
                visitor, "/recommendations/dismiss", {"product_id": str(2**31 - 1 - n)}
            )
            assert answer.status_code == 303
        cookie = visitor.cookies.get("okmarts_dismissed")
        assert len(cookie) < 1500
        for product in products:
            await visitor.get(f"/products/{product['slug']}")
        assert len(visitor.cookies.get("okmarts_viewed")) < 1500
        # Newest first, the oldest dropped.
        page = (await visitor.get("/")).text
        shown = [int(n) for n in re.findall(r'id="recently-viewed-(\d+)"', page)]
        assert shown and shown[0] == products[-1]["id"] and products[0]["id"] not in shown


async def test_one_visitors_dismissal_never_reaches_anothers_page(app: Litestar) -> None:
    a, b, c = await new_product(50), await new_product(50), await new_product(50)
    await place(app, [a, b])
    await place(app, [a, b])
    htmx = {"HX-Request": "true", "HX-Target": "main"}
    async with AsyncTestClient(app=app) as first, AsyncTestClient(app=app) as second:
        await accept_cookies(first, "accept_all")
        await accept_cookies(second, "accept_all")
        await first.get(f"/products/{c['slug']}")
        await first.get(f"/products/{a['slug']}")  # the shared page is cached now
        await post_form(first, "/recommendations/dismiss", {"product_id": str(b["id"])})
        for headers in ({}, htmx):
            mine = await first.get(f"/products/{a['slug']}", headers=headers)
            theirs = await second.get(f"/products/{a['slug']}", headers=headers)
            assert f"Often bought with {a['title']}" not in text_of(mine.text)
            assert f"Often bought with {a['title']}" in text_of(theirs.text)
            # Nor the first visitor's recently-viewed block on the second's home page.
            assert f'id="recently-viewed-{c["id"]}"' in (await first.get("/")).text
            home = (await second.get("/", headers=headers)).text
            assert f'id="recently-viewed-{c["id"]}"' not in home
