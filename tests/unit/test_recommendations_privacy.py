"""Personal recommendations respect consent (policy §1(2)2, §4, §8): "buy again" only with the
shopper's separate consent, never for a child or a restricted account, never in a shared page;
withdrawing the consent removes what was kept; dismissals are in the download and erasure."""

from __future__ import annotations

import datetime as dt
import html
import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.services import privacy_export
from okmarts.tables.accounts import Account
from okmarts.tables.recommendations import RecommendationDismissal
from tests.states.accounts import post_form, verified_account
from tests.states.catalog import new_product
from tests.states.orders import bought
from tests.unit.test_recommendations import place

OFFER = "Turn on personalised recommendations"


def buy_again(page: str) -> list[int]:
    """The products in the page's "Buy again" block (none: no block)."""
    return [int(n) for n in re.findall(r'id="buy-again-(\d+)"', page)]


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


async def consent(client: AsyncTestClient[Litestar], granted: bool) -> None:
    response = await post_form(
        client,
        "/account/privacy/consents",
        {"consent": "personalised_recommendations", "granted": "yes" if granted else "no"},
    )
    assert response.status_code == 303, response.text[:500]


async def shopper_who_bought(client: AsyncTestClient[Litestar]) -> tuple[Account, dict]:
    account = await verified_account(client)
    product = await new_product(20)
    await bought(account, product, "delivered")
    return account, product


async def test_buy_again_shows_only_with_consent_on_home_and_account(app: Litestar) -> None:
    async with AsyncTestClient(app=app) as client:
        account, product = await shopper_who_bought(client)
        # No consent yet: the offer, and nothing from the orders.
        for path in ("/", "/account"):
            raw = (await client.get(path)).text
            assert OFFER in text_of(raw) and buy_again(raw) == [], path
        await consent(client, True)
        for path in ("/", "/account"):
            raw = (await client.get(path)).text
            assert buy_again(raw) == [product["id"]], path
            assert "You ordered this on" in text_of(raw) and OFFER not in text_of(raw)
        # Another shopper, and a visitor, get the same cached home page without it.
        async with AsyncTestClient(app=app) as visitor:
            raw = (await visitor.get("/")).text
            assert buy_again(raw) == [] and OFFER not in text_of(raw)
        async with AsyncTestClient(app=app) as other:
            await verified_account(other)
            assert buy_again((await other.get("/")).text) == []
        assert account.id


async def test_the_shared_home_page_is_rendered_without_anyones_block(app: Litestar) -> None:
    from okmarts.page_cache import FOR_YOU, PageCache

    app.state.page_cache = PageCache(60)  # keep pages, as a running server does
    async with AsyncTestClient(app=app) as client:
        _, product = await shopper_who_bought(client)
        await consent(client, True)
        assert product["title"] in (await client.get("/")).text
        kept = [rendered for rendered in app.state.page_cache._pages.values()]
        assert kept and all(f'id="buy-again-{product["id"]}"' not in "".join(r.parts) for r in kept)
        assert any("for-you" in r.holes for r in kept) and FOR_YOU


async def test_withdrawing_consent_hides_the_block_and_removes_dismissals(app: Litestar) -> None:
    async with AsyncTestClient(app=app) as client:
        account, _ = await shopper_who_bought(client)
        await consent(client, True)
        other = await new_product(5)
        dismissed = await post_form(
            client, "/recommendations/dismiss", {"product_id": str(other["id"])}
        )
        assert dismissed.status_code == 303
        assert (
            await RecommendationDismissal.count().where(
                RecommendationDismissal.account == account.id
            )
            == 1
        )
        # In the data download.
        export = await privacy_export.collect_export(account.id)
        assert [row["product"] for row in export["dismissed_recommendations.json"]] == [other["id"]]
        await consent(client, False)
        assert not await RecommendationDismissal.exists().where(
            RecommendationDismissal.account == account.id
        )
        raw = (await client.get("/")).text
        # Withdrawn, not a child: the offer again, and nothing from the orders.
        assert buy_again(raw) == [] and OFFER in text_of(raw)


async def test_a_restricted_account_sees_no_personal_block_and_keeps_nothing(app: Litestar) -> None:
    async with AsyncTestClient(app=app) as client:
        account, product = await shopper_who_bought(client)
        await consent(client, True)
        await post_form(client, "/recommendations/dismiss", {"product_id": str(product["id"])})
        saved = await post_form(client, "/account/privacy/switches", {"restrict_processing": "yes"})
        assert saved.status_code == 303
        assert not await RecommendationDismissal.exists().where(
            RecommendationDismissal.account == account.id
        )
        for path in ("/", "/account"):
            raw = (await client.get(path)).text
            assert buy_again(raw) == [] and OFFER not in text_of(raw), path


async def test_a_child_sees_no_personal_block_even_with_the_flag_set(app: Litestar) -> None:
    async with AsyncTestClient(app=app) as client:
        account, product = await shopper_who_bought(client)
        # Set behind the privacy center's back (which refuses a child's consent).
        await Account.update(
            {
                Account.personalisation_consent: True,
                Account.date_of_birth: dt.datetime.now(dt.UTC).date() - dt.timedelta(days=3650),
            }
        ).where(Account.id == account.id)
        for path in ("/", "/account"):
            raw = (await client.get(path)).text
            assert buy_again(raw) == [] and OFFER not in text_of(raw), path
        # A child's dismissal is not kept with the account.
        await post_form(client, "/recommendations/dismiss", {"product_id": str(product["id"])})
        assert not await RecommendationDismissal.exists().where(
            RecommendationDismissal.account == account.id
        )


async def test_a_visitor_who_rejected_preferences_cookies_gets_nothing_remembered(
    app: Litestar,
) -> None:
    a, b = await new_product(50), await new_product(50)
    await place(app, [a, b])
    await place(app, [a, b])
    async with AsyncTestClient(app=app) as visitor:
        await visitor.get("/")
        await visitor.post(
            "/cookies",
            data={
                "_csrf_token": visitor.cookies.get("okmarts_csrf"),
                "choice": "reject_all",
                "next": "/",
            },
            follow_redirects=False,
        )
        raw = (await visitor.get("/")).text
        assert buy_again(raw) == [] and OFFER not in text_of(raw)
        answer = await post_form(visitor, "/recommendations/dismiss", {"product_id": str(b["id"])})
        assert answer.status_code == 200
        assert "Hidden on this page only" in text_of(answer.text)
        assert "okmarts_dismissed" not in visitor.cookies
        assert f"Often bought with {a['title']}" in text_of(
            (await visitor.get(f"/products/{a['slug']}")).text
        )
    async with AsyncTestClient(app=app) as accepting:
        await accepting.get("/")
        await accepting.post(
            "/cookies",
            data={
                "_csrf_token": accepting.cookies.get("okmarts_csrf"),
                "choice": "accept_all",
                "next": "/",
            },
            follow_redirects=False,
        )
        answer = await post_form(
            accepting,
            "/recommendations/dismiss",
            {"product_id": str(b["id"]), "next": f"/products/{a['slug']}"},
        )
        assert answer.status_code == 303 and "okmarts_dismissed" in accepting.cookies
        # Kept in the browser only: the product page leaves it out for this visitor alone.
        assert f"Often bought with {a['title']}" not in text_of(
            (await accepting.get(f"/products/{a['slug']}")).text
        )


async def accept_cookies(client: AsyncTestClient[Litestar], choice: str) -> None:
    await client.get("/")
    response = await client.post(
        "/cookies",
        data={"_csrf_token": client.cookies.get("okmarts_csrf"), "choice": choice, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303


def recently_viewed(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="recently-viewed-(\d+)"', page)]


async def test_recently_viewed_lives_in_the_browser_with_preferences_only(app: Litestar) -> None:
    product = await new_product(9)
    async with AsyncTestClient(app=app) as visitor:
        await accept_cookies(visitor, "accept_all")
        await visitor.get(f"/products/{product['slug']}")
        assert "okmarts_viewed" in visitor.cookies
        page = (await visitor.get("/")).text
        assert recently_viewed(page) == [product["id"]]
        assert "You looked at this recently" in text_of(page)
        # Nothing of it on the server: the shared home page has a hole, not the card.
        async with AsyncTestClient(app=app) as other:
            assert recently_viewed((await other.get("/")).text) == []
        # Rejecting preferences cookies deletes it.
        await accept_cookies(visitor, "reject_all")
        assert "okmarts_viewed" not in visitor.cookies
        await visitor.get(f"/products/{product['slug']}")
        assert "okmarts_viewed" not in visitor.cookies
        assert recently_viewed((await visitor.get("/")).text) == []


async def test_recently_viewed_needs_the_consent_of_a_signed_in_shopper(app: Litestar) -> None:
    product = await new_product(9)
    async with AsyncTestClient(app=app) as client:
        await accept_cookies(client, "accept_all")
        await verified_account(client)
        await client.get(f"/products/{product['slug']}")
        assert "okmarts_viewed" not in client.cookies  # no personalisation consent yet
        await consent(client, True)
        await client.get(f"/products/{product['slug']}")
        assert recently_viewed((await client.get("/")).text) == [product["id"]]
        await consent(client, False)
        assert "okmarts_viewed" not in client.cookies
        assert recently_viewed((await client.get("/")).text) == []
