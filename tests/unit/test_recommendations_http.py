"""Kits, "often bought together" and dismissals through HTTP (the test client), both databases."""

from __future__ import annotations

import html
import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.services import cart
from okmarts.tables.accounts import Account
from okmarts.tables.checkout import CartLine
from okmarts.tables.recommendations import RecommendationDismissal
from tests.states.accounts import post_form, verified_account
from tests.states.catalog import new_product
from tests.states.recommendations import new_kit
from tests.unit.test_recommendations import place

Client = AsyncTestClient[Litestar]
HTMX = {"HX-Request": "true", "HX-Target": "kit-feedback"}


def visible_text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


async def test_a_kit_page_shows_its_parts_and_price_and_adds_them_all(client: Client) -> None:
    kit, (first, second) = await new_kit(price_minor=20_000)  # parts: 2 × 12 500 = 25 000
    page = await client.get(f"/kits/{kit['slug']}")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert first["title"] in text and second["title"] in text
    assert "$200.00" in text and "$250.00" in text and "You save $50.00 with the kit." in text
    added = await post_form(client, f"/kits/{kit['slug']}/cart")
    assert added.status_code == 303 and added.headers["location"].startswith("/cart?notice=added")
    cart_page = visible_text((await client.get("/cart")).text)
    assert "Kits in your cart" in cart_page and kit["name"] in cart_page
    # The kit price, as the cart's discount, named after the kit.
    assert f"Discount ({kit['name']})" in cart_page and "−$50.00" in cart_page
    # Twice: two kits, twice the saving.
    await post_form(client, f"/kits/{kit['slug']}/cart")
    assert "−$100.00" in visible_text((await client.get("/cart")).text)


async def test_add_the_kit_with_htmx_answers_in_place(client: Client) -> None:
    kit, _ = await new_kit(percent_off=10)
    answer = await post_form(
        client,
        f"/kits/{kit['slug']}/cart",
        headers={**HTMX, "HX-Target": f"kit-feedback-{kit['id']}"},
    )
    assert answer.status_code == 200
    assert "The kit is in your cart." in answer.text and "<html" not in answer.text
    assert 'id="cart-count" class="cart-count" hx-swap-oob="true">2' in answer.text


async def test_a_part_out_of_stock_is_named_and_the_rest_offered(app: Litestar) -> None:
    kit, (in_stock, sold_out) = await new_kit(stocks=(5, 0))
    async with AsyncTestClient(app=app) as client:
        account = await verified_account(client)
        page = visible_text((await client.get(f"/kits/{kit['slug']}")).text)
        assert f"Out of stock: {sold_out['title']}." in page
        assert "Add the parts in stock" in page and "Add the kit" not in page
        # The whole kit is refused, naming the part; nothing is added.
        refused = await post_form(client, f"/kits/{kit['slug']}/cart")
        assert refused.status_code == 422
        assert f"Not every part of this kit is in stock: {sold_out['title']}." in visible_text(
            refused.text
        )
        assert not await CartLine.exists().where(CartLine.account == account.id)
        rest = await post_form(client, f"/kits/{kit['slug']}/cart", {"parts": "available"})
        assert rest.status_code == 303
        lines = await CartLine.select(CartLine.product).where(CartLine.account == account.id)
        assert [row["product"] for row in lines] == [in_stock["id"]]


async def test_a_kit_that_outgrows_the_stock_adds_nothing(app: Litestar) -> None:
    kit, (_, second) = await new_kit(stocks=(3, 1))
    async with AsyncTestClient(app=app) as client:
        account = await verified_account(client)
        await cart.save_account_items(account.id, [cart.CartItem(second["id"], 1)])
        refused = await post_form(client, f"/kits/{kit['slug']}/cart")
        assert refused.status_code == 422
        assert f"{second['title']} can't be added: not enough in stock." in visible_text(
            refused.text
        )
        # All or nothing: the first part was not added either.
        items = await cart.account_items(account.id)
        assert items == [cart.CartItem(second["id"], 1)]  # not the first part


async def test_a_product_page_names_its_kits_and_what_is_bought_with_it(
    client: Client, app: Litestar
) -> None:
    a, b = await new_product(50), await new_product(50)
    kit, _ = await new_kit([(a["id"], 1), (b["id"], 2)], percent_off=5)
    page = visible_text((await client.get(f"/products/{a['slug']}")).text)
    assert f"Part of the {kit['name']}" in page and "Add the kit" in page
    assert "Engineers who bought this also added" not in page
    await place(app, [a, b])
    await place(app, [a, b])
    page = visible_text((await client.get(f"/products/{a['slug']}")).text)
    assert f"Often bought with {a['title']}" in page and b["title"] in page
    # And in the cart, for what is in it.
    await post_form(client, "/cart/lines", {"product_id": str(b["id"])})
    cart_page = visible_text((await client.get("/cart")).text)
    assert "Engineers who bought these also added" in cart_page
    assert f"Often bought with {b['title']}" in cart_page


async def test_a_dismissal_is_remembered_for_a_consenting_shopper(app: Litestar) -> None:
    a, b = await new_product(50), await new_product(50)
    await place(app, [a, b])
    await place(app, [a, b])
    async with AsyncTestClient(app=app) as client:
        account = await verified_account(client)
        await Account.update({Account.personalisation_consent: True}).where(
            Account.id == account.id
        )
        assert b["title"] in (await client.get(f"/products/{a['slug']}")).text
        gone = await post_form(
            client,
            "/recommendations/dismiss",
            {"product_id": str(b["id"]), "next": f"/products/{a['slug']}"},
        )
        assert gone.status_code == 303 and gone.headers["location"] == f"/products/{a['slug']}"
        assert await RecommendationDismissal.exists().where(
            (RecommendationDismissal.account == account.id)
            & (RecommendationDismissal.product == b["id"])
        )
        page = (await client.get(f"/products/{a['slug']}")).text
        assert f"Often bought with {a['title']}" not in visible_text(page)
        # htmx: the card's place says so.
        again = await post_form(
            client,
            "/recommendations/dismiss",
            {"product_id": str(b["id"])},
            headers={"HX-Request": "true", "HX-Target": f"bought-with-{b['id']}"},
        )
        assert "We won't recommend this product to you again." in visible_text(again.text)
        # Someone else still sees it: the cached page is shared, the dismissal is not.
    async with AsyncTestClient(app=app) as other:
        assert f"Often bought with {a['title']}" in visible_text(
            (await other.get(f"/products/{a['slug']}")).text
        )
