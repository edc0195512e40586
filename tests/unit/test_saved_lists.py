"""Saved lists (services.saved_lists, /account/lists): the owner's only, shared read-only by a
revocable link, to the cart with stock messages, as CSV, in the data download and erased with
the account. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.services import erasure, privacy_export, saved_lists
from okmarts.services.saved_lists import ListError, ListNotFound
from okmarts.tables.catalog import Product
from okmarts.tables.lists import SavedList, SavedListItem
from tests.states.accounts import post_form, verified_account, verified_shopper
from tests.states.catalog import new_product

Client = AsyncTestClient[Litestar]


async def test_create_add_change_remove_rename_and_delete(app: Litestar) -> None:
    shopper = await verified_shopper()
    a, b = await new_product(stock=5), await new_product(stock=5)
    with pytest.raises(ListError):
        await saved_lists.create(shopper.id, "   ")
    list_id = await saved_lists.create(shopper.id, "  Press  line 2 ")
    assert [item.name for item in await saved_lists.lists_of(shopper.id)] == ["Press line 2"]
    await saved_lists.add_items(shopper.id, list_id, "", [(a["id"], 2), (b["id"], 1)])
    # Adding a part again adds to its quantity: it is on the list once.
    await saved_lists.add_items(shopper.id, list_id, "", [(a["id"], 3)])
    assert await saved_lists.lines_of(shopper.id, list_id) == [(a["id"], 5), (b["id"], 1)]
    await saved_lists.set_quantity(shopper.id, list_id, a["id"], 7)
    await saved_lists.set_quantity(shopper.id, list_id, b["id"], 0)
    assert await saved_lists.lines_of(shopper.id, list_id) == [(a["id"], 7)]
    with pytest.raises(ListError):
        await saved_lists.set_quantity(shopper.id, list_id, a["id"], -1)
    await saved_lists.rename(shopper.id, list_id, "Press line 3")
    [summary] = await saved_lists.lists_of(shopper.id)
    assert (summary.name, summary.items, summary.quantity) == ("Press line 3", 1, 7)
    # A new list by name, with the same part.
    other = await saved_lists.add_items(shopper.id, None, "Spares", [(a["id"], 1)])
    assert other != list_id and await saved_lists.lines_of(shopper.id, other) == [(a["id"], 1)]
    with pytest.raises(ListError):
        await saved_lists.add_items(shopper.id, None, "", [(a["id"], 1)])
    with pytest.raises(ListError):
        await saved_lists.add_items(shopper.id, list_id, "", [(10**9, 1)])
    await saved_lists.delete(shopper.id, list_id)
    assert not await SavedListItem.exists().where(SavedListItem.saved_list == list_id)
    assert [item.id for item in await saved_lists.lists_of(shopper.id)] == [other]


async def test_another_accounts_list_is_404_everywhere(client: Client) -> None:
    owner = await verified_shopper()
    product = await new_product(stock=5)
    list_id = await saved_lists.add_items(owner.id, None, "Secret project", [(product["id"], 2)])
    for call in (
        saved_lists.view(owner.id + 10**6, list_id),
        saved_lists.lines_of(owner.id + 10**6, list_id),
        saved_lists.share(owner.id + 10**6, list_id),
        saved_lists.add_items(owner.id + 10**6, list_id, "", [(product["id"], 1)]),
    ):
        with pytest.raises(ListNotFound):
            await call
    await verified_account(client)  # someone else, signed in
    base = f"/account/lists/{list_id}"
    assert (await client.get(base)).status_code == 404
    assert (await client.get(f"{base}/csv")).status_code == 404
    for path in (
        f"{base}/rename",
        f"{base}/delete",
        f"{base}/items/{product['id']}",
        f"{base}/items/{product['id']}/delete",
        f"{base}/cart",
        f"{base}/share",
        f"{base}/unshare",
    ):
        response = await post_form(client, path, {"name": "Mine now", "quantity": "1"})
        assert response.status_code == 404, path
    added = await post_form(
        client, "/account/lists/add", {"product_id": str(product["id"]), "list_id": str(list_id)}
    )
    assert added.status_code == 422
    assert await saved_lists.lines_of(owner.id, list_id) == [(product["id"], 2)]
    assert (await saved_lists.view(owner.id, list_id)).name == "Secret project"
    assert (await client.get("/account/lists/abc")).status_code == 404
    assert (await client.get("/account/lists/" + "9" * 30)).status_code == 404


async def test_share_link_shows_parts_never_the_owner_and_can_be_revoked(client: Client) -> None:
    owner = await verified_account(client, real_name="Ada Shareowner")
    product = await new_product(stock=5)
    list_id = await saved_lists.add_items(owner.id, None, "Conveyor", [(product["id"], 4)])
    shared = await post_form(client, f"/account/lists/{list_id}/share")
    assert shared.status_code == 303
    page = await client.get(f"/account/lists/{list_id}?notice=shared")
    link = re.search(r"(/lists/shared/[A-Za-z0-9_-]{30,})", page.text).group(1)
    async with AsyncTestClient(app=client.app) as stranger:
        seen = await stranger.get(link)
        assert seen.status_code == 200
        assert product["title"] in seen.text and ">4<" in seen.text
        assert owner.email not in seen.text and "Shareowner" not in seen.text
        assert seen.headers["x-robots-tag"] == "noindex"
        assert (await stranger.get(link + "x")).status_code == 404
        await post_form(client, f"/account/lists/{list_id}/unshare")
        assert (await stranger.get(link)).status_code == 404
    token = (await SavedList.select(SavedList.share_token).where(SavedList.id == list_id))[0]
    assert token["share_token"] is None


async def test_add_from_a_product_page_and_the_cart_then_everything_to_the_cart(
    client: Client,
) -> None:
    a, b = await new_product(stock=5), await new_product(stock=5)
    # The product page's form is the same for everyone: a GET to the chooser (sign-in first).
    product_page = await client.get(f"/products/{a['slug']}")
    assert 'action="/account/lists/add" method="get"' in product_page.text
    visitor = await client.get(f"/account/lists/add?product_id={a['id']}", follow_redirects=False)
    assert visitor.status_code in (302, 303) and "/login" in visitor.headers["location"]
    await verified_account(client)
    chooser = await client.get(f"/account/lists/add?product_id={a['id']}&quantity=3")
    assert chooser.status_code == 200 and a["title"] in chooser.text
    empty_name = await post_form(
        client, "/account/lists/add", {"product_id": str(a["id"]), "quantity": "3"}
    )
    assert empty_name.status_code == 422 and "Give the list a name" in empty_name.text
    made = await post_form(
        client,
        "/account/lists/add",
        {"product_id": str(a["id"]), "quantity": "3", "new_list_name": "Cabinet A"},
    )
    assert made.status_code == 303
    list_id = int(re.search(r"/account/lists/(\d+)", made.headers["location"]).group(1))
    await post_form(client, "/cart/lines", {"product_id": str(b["id"]), "quantity": "2"})
    from_cart = await post_form(
        client, "/account/lists/add", {"source": "cart", "list_id": str(list_id)}
    )
    assert from_cart.status_code == 303
    account_lists = await client.get("/account/lists")
    assert "Cabinet A" in account_lists.text
    # More of b than is in stock: nothing is added, and the message names the part.
    await post_form(client, f"/account/lists/{list_id}/items/{b['id']}", {"quantity": "4"})
    refused = await post_form(client, f"/account/lists/{list_id}/cart")
    assert refused.status_code == 422 and b["title"] in refused.text
    assert "not enough in stock" in refused.text
    fixed = await post_form(client, f"/account/lists/{list_id}/items/{b['id']}", {"quantity": "1"})
    assert fixed.status_code == 303
    moved = await post_form(client, f"/account/lists/{list_id}/cart")
    assert moved.status_code == 303 and moved.headers["location"] == "/cart?notice=added"
    cart = await client.get("/cart")
    assert re.search(rf'id="qty-{a["id"]}"[^>]*value="3"', cart.text)
    assert re.search(rf'id="qty-{b["id"]}"[^>]*value="3"', cart.text)  # 2 already + 1


async def test_htmx_swaps_the_items_and_bad_quantities_are_422(client: Client) -> None:
    owner = await verified_account(client)
    product = await new_product(stock=5)
    list_id = await saved_lists.add_items(owner.id, None, "Panel", [(product["id"], 2)])
    swapped = await post_form(
        client,
        f"/account/lists/{list_id}/items/{product['id']}",
        {"quantity": "6"},
        headers={"HX-Request": "true", "HX-Target": "list-items"},
    )
    assert swapped.status_code == 200 and swapped.text.lstrip().startswith('<div id="list-items">')
    assert "Quantity changed" in swapped.text
    bad = await post_form(
        client, f"/account/lists/{list_id}/items/{product['id']}", {"quantity": "many"}
    )
    assert bad.status_code == 422 and "Enter a quantity" in bad.text
    renamed = await post_form(client, f"/account/lists/{list_id}/rename", {"name": "x" * 101})
    assert renamed.status_code == 422
    no_csrf = await client.post(f"/account/lists/{list_id}/delete")
    assert no_csrf.status_code == 403
    assert await saved_lists.lines_of(owner.id, list_id) == [(product["id"], 6)]


async def test_csv_download_has_sku_title_quantity_and_unit_price(client: Client) -> None:
    owner = await verified_account(client)
    product = await new_product(stock=5, price_minor=12_345)
    await Product.update({Product.title: "=HYPERLINK(1)"}).where(Product.id == product["id"])
    list_id = await saved_lists.add_items(owner.id, None, "Export", [(product["id"], 4)])
    response = await client.get(f"/account/lists/{list_id}/csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["sku", "title", "quantity", "unit_price", "currency"]
    assert rows[1][1:] == ["'=HYPERLINK(1)", "4", "123.45", "USD"]


async def test_lists_are_in_the_download_and_go_with_the_account(app: Litestar) -> None:
    shopper = await verified_shopper()
    product = await new_product(stock=5)
    list_id = await saved_lists.add_items(shopper.id, None, "Kiln retrofit", [(product["id"], 3)])
    await SavedListItem.update({SavedListItem.note: "for the left kiln"}).where(
        SavedListItem.saved_list == list_id
    )
    await saved_lists.share(shopper.id, list_id)
    exported = await privacy_export.collect_export(shopper.id)
    [entry] = exported["saved_lists.json"]
    assert entry["name"] == "Kiln retrofit" and entry["share_token"]
    [item] = entry["items"]
    assert (item["product"], item["quantity"], item["note"]) == (
        product["id"],
        3,
        "for the left kiln",
    )
    erased = await erasure.erase_account(
        shopper.id, settings=app.state.settings, reason="retention: test"
    )
    assert erased is not None
    assert not await SavedList.exists().where(SavedList.id == list_id)
    assert not await SavedListItem.exists().where(SavedListItem.saved_list == list_id)
