"""Company accounts share lists and shipping addresses (issue #21): a list shared with the
owner's company is read by its members (never changed by them), a member who leaves loses
access at once and their own lists are unshared; the company's shipping addresses are offered
at checkout when buying for it, go into the order, the download, and go with the company. On
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO

from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.services import cart, erasure, privacy_export, saved_lists
from okmarts.tables.accounts import Account
from okmarts.tables.companies import CompanyAddress
from okmarts.tables.lists import SavedList
from okmarts.tables.quotes import Quote, QuoteLine
from tests.states.accounts import errors_in, post_form, verified_account
from tests.states.catalog import new_product
from tests.states.orders import checkout_fields, checkout_key, place_order
from tests.unit.test_companies import BANK, _company_with_owner, _join

Client = AsyncTestClient[Litestar]
ADDRESS = {
    "address_recipient": "Goods-in, Acme",
    "address_phone": "+49 30 1234567",
    "address_country": "DE",
    "address_city": "Berlin",
    "address_line": "Werkstr. 7, Tor 3",
    "address_zip_code": "10115",
}


def _fields(**extra: str) -> dict[str, str]:
    fields = checkout_fields("", **extra)
    fields.pop("checkout_key")
    return fields


async def test_shared_list_is_read_only_for_members_and_404_for_others(app: Litestar) -> None:
    a, b = await new_product(10), await new_product(10)
    async with (
        AsyncTestClient(app=app) as owner_client,
        AsyncTestClient(app=app) as buyer_client,
        AsyncTestClient(app=app) as stranger_client,
    ):
        owner, _company = await _company_with_owner(owner_client)
        buyer, _link = await _join(owner_client, buyer_client)
        stranger = await verified_account(stranger_client)
        list_id = await saved_lists.add_items(
            owner.id, None, "Press line 2", [(a["id"], 4), (b["id"], 2)]
        )
        # Not shared yet: a colleague gets a 404 like anyone.
        assert (await buyer_client.get(f"/account/lists/{list_id}")).status_code == 404
        # Only the owner shares it; a shopper of no company has no one to share with.
        assert (
            await post_form(buyer_client, f"/account/lists/{list_id}/company-share")
        ).status_code == 404
        alone = await saved_lists.add_items(stranger.id, None, "Mine", [(a["id"], 1)])
        refused = await post_form(stranger_client, f"/account/lists/{alone}/company-share")
        assert refused.status_code == 422 and "no one to share it with" in refused.text
        shared = await post_form(owner_client, f"/account/lists/{list_id}/company-share")
        assert shared.status_code == 303
        mine = (await owner_client.get(f"/account/lists/{list_id}")).text
        assert "Stop sharing with my company" in mine

        # The colleague sees it, named by "a colleague" (no nickname) and never by email.
        index = (await buyer_client.get("/account/lists")).text
        assert "Shared by your company" in index and "Press line 2" in index
        assert "a colleague" in index and owner.email not in index
        await Account.update({Account.nickname: "Ada"}).where(Account.id == owner.id)
        page = await buyer_client.get(f"/account/lists/{list_id}")
        assert page.status_code == 200 and "Shared with your company by Ada" in page.text
        assert owner.email not in page.text
        # Read only: no change forms, and every change URL is a 404 with nothing changed.
        assert f"/account/lists/{list_id}/rename" not in page.text
        assert f"/account/lists/{list_id}/items/" not in page.text
        for path, form in (
            (f"/account/lists/{list_id}/rename", {"name": "Mine now"}),
            (f"/account/lists/{list_id}/delete", {}),
            (f"/account/lists/{list_id}/items/{a['id']}", {"quantity": "1"}),
            (f"/account/lists/{list_id}/items/{a['id']}/delete", {}),
            (f"/account/lists/{list_id}/share", {}),
            (f"/account/lists/{list_id}/unshare", {}),
            (f"/account/lists/{list_id}/company-unshare", {}),
        ):
            assert (await post_form(buyer_client, path, form)).status_code == 404, path
        assert await saved_lists.lines_of(owner.id, list_id) == [(a["id"], 4), (b["id"], 2)]
        row = await SavedList.select().where(SavedList.id == list_id).first()
        assert row["name"] == "Press line 2" and row["share_token"] is None
        assert row["company"] is not None
        # Adding to it from the chooser: not one of the colleague's lists.
        added = await post_form(
            buyer_client,
            "/account/lists/add",
            {"product_id": str(a["id"]), "quantity": "1", "list_id": str(list_id)},
        )
        assert added.status_code == 422
        # The colleague puts it in their cart, downloads it, and asks for a quote for it.
        assert (await buyer_client.get(f"/account/lists/{list_id}/csv")).status_code == 200
        to_cart = await post_form(buyer_client, f"/account/lists/{list_id}/cart")
        assert to_cart.status_code == 303
        in_cart = await cart.account_items(buyer.id)
        assert sorted((i.product_id, i.quantity) for i in in_cart) == sorted(
            [(a["id"], 4), (b["id"], 2)]
        )
        form = await buyer_client.get(f"/account/quotes/new?list_id={list_id}")
        assert form.status_code == 200
        asked = await post_form(
            buyer_client, "/account/quotes/", {"delivery_country": "DE", "list_id": str(list_id)}
        )
        assert asked.status_code == 303, errors_in(asked.text)
        quote = await Quote.objects().where(Quote.account == buyer.id).first()
        lines = await QuoteLine.select(QuoteLine.product, QuoteLine.quantity).where(
            QuoteLine.quote == quote.id
        )
        assert sorted((r["product"], r["quantity"]) for r in lines) == sorted(
            [(a["id"], 4), (b["id"], 2)]
        )
        # Anyone else: 404 on every URL, and nothing on their lists page.
        for path in (
            f"/account/lists/{list_id}",
            f"/account/lists/{list_id}/csv",
            f"/account/quotes/new?list_id={list_id}",
        ):
            assert (await stranger_client.get(path)).status_code == 404, path
        to_cart = await post_form(stranger_client, f"/account/lists/{list_id}/cart")
        assert to_cart.status_code == 404
        assert "Press line 2" not in (await stranger_client.get("/account/lists")).text
        # The owner stops sharing: the colleague's access ends.
        await post_form(owner_client, f"/account/lists/{list_id}/company-unshare")
        assert (await buyer_client.get(f"/account/lists/{list_id}")).status_code == 404
        assert "Shared by your company" not in (await buyer_client.get("/account/lists")).text


async def test_leaving_the_company_ends_sharing_at_once(app: Litestar) -> None:
    product = await new_product(10)
    async with (
        AsyncTestClient(app=app) as owner_client,
        AsyncTestClient(app=app) as buyer_client,
    ):
        owner, _company = await _company_with_owner(owner_client)
        buyer, _link = await _join(owner_client, buyer_client)
        owners = await saved_lists.add_items(owner.id, None, "Owner's", [(product["id"], 1)])
        buyers = await saved_lists.add_items(buyer.id, None, "Buyer's", [(product["id"], 2)])
        await saved_lists.share_with_company(owner.id, owners)
        await saved_lists.share_with_company(buyer.id, buyers)
        assert [s.id for s in await saved_lists.shared_with(owner.id)] == [buyers]
        assert [s.id for s in await saved_lists.shared_with(buyer.id)] == [owners]
        assert (await buyer_client.get(f"/account/lists/{owners}")).status_code == 200
        left = await post_form(buyer_client, "/account/company/leave")
        assert left.status_code == 303
        # The leaver no longer reads the company's lists; their own list stays theirs,
        # unshared.
        assert (await buyer_client.get(f"/account/lists/{owners}")).status_code == 404
        assert await saved_lists.shared_with(buyer.id) == []
        assert await saved_lists.shared_with(owner.id) == []
        assert (await owner_client.get(f"/account/lists/{buyers}")).status_code == 404
        [kept] = await saved_lists.lists_of(buyer.id)
        assert kept.id == buyers and not kept.company_shared
        page = (await buyer_client.get(f"/account/lists/{buyers}")).text
        assert "Share with my company" not in page  # no company any more


async def test_company_address_at_checkout_in_the_order_download_and_erasure(
    app: Litestar,
) -> None:
    product = await new_product(20)
    async with (
        AsyncTestClient(app=app) as owner_client,
        AsyncTestClient(app=app) as buyer_client,
        AsyncTestClient(app=app) as stranger_client,
    ):
        owner, company = await _company_with_owner(owner_client)
        buyer, _link = await _join(owner_client, buyer_client)
        await verified_account(stranger_client)
        # Checked like the address book: a clear message, the form refilled.
        bad = await post_form(
            owner_client, "/account/company/addresses", {**ADDRESS, "address_zip_code": "?"}
        )
        assert bad.status_code == 422
        assert "Enter a zip code of 2 to 12 letters or digits." in bad.text
        assert 'value="Werkstr. 7, Tor 3"' in bad.text
        added = await post_form(owner_client, "/account/company/addresses", ADDRESS)
        assert added.status_code == 303
        address = await CompanyAddress.objects().where(CompanyAddress.company == company.id).first()
        assert address.line == "Werkstr. 7, Tor 3"
        # A buyer sees them but may not add or delete; strangers get a 404.
        page = (await buyer_client.get("/account/company")).text
        assert "Werkstr. 7, Tor 3" in page
        assert f"/account/company/addresses/{address.id}/delete" not in page
        for client in (buyer_client, stranger_client):
            assert (
                await post_form(client, "/account/company/addresses", ADDRESS)
            ).status_code == 404
            assert (
                await post_form(client, f"/account/company/addresses/{address.id}/delete")
            ).status_code == 404
        assert await CompanyAddress.exists().where(CompanyAddress.id == address.id)

        # Checkout offers it beside the shopper's own; buying for the company, it is used.
        await post_form(buyer_client, "/cart/lines", {"product_id": str(product["id"])})
        form = (await buyer_client.get("/checkout")).text
        assert f'value="c{address.id}"' in form
        not_for_company = await post_form(
            buyer_client,
            "/checkout",
            {
                **_fields(address_id=f"c{address.id}", payment_method="bank_transfer"),
                "checkout_key": await checkout_key(buyer_client),
            },
        )
        assert not_for_company.status_code == 422
        assert "addresses are for orders bought for the company" in not_for_company.text
        order = await place_order(
            buyer_client, product, _fields(address_id=f"c{address.id}", **BANK)
        )
        assert order.company_ref == company.id
        assert (order.recipient, order.line, order.city, order.zip_code, order.country) == (
            "Goods-in, Acme",
            "Werkstr. 7, Tor 3",
            "Berlin",
            "10115",
            "DE",
        )
        # Another company's shopper can't use it.
        await post_form(stranger_client, "/cart/lines", {"product_id": str(product["id"])})
        assert f'value="c{address.id}"' not in (await stranger_client.get("/checkout")).text
        foreign = await post_form(
            stranger_client,
            "/checkout",
            {
                **_fields(address_id=f"c{address.id}", buying_for="company"),
                "checkout_key": await checkout_key(stranger_client),
            },
        )
        assert foreign.status_code == 422 and "Werkstr. 7" not in foreign.text

        # In every member's download; the company's, so it stays when a member goes...
        archive = await privacy_export.export_zip(buyer.id, record=False)
        data = json.loads(zipfile.ZipFile(BytesIO(archive)).read("company.json"))
        assert [row["line"] for row in data["addresses"]] == ["Werkstr. 7, Tor 3"]
        await erasure.erase_account(buyer.id, settings=app.state.settings, reason="test")
        assert await CompanyAddress.exists().where(CompanyAddress.id == address.id)
        # ...and goes with the company (its last member erased). An approver may delete one.
        second = await post_form(
            owner_client, "/account/company/addresses", {**ADDRESS, "address_line": "Hof 2"}
        )
        assert second.status_code == 303
        other = await CompanyAddress.objects().where(CompanyAddress.line == "Hof 2").first()
        deleted = await post_form(owner_client, f"/account/company/addresses/{other.id}/delete")
        assert deleted.status_code == 303
        assert not await CompanyAddress.exists().where(CompanyAddress.id == other.id)
        await erasure.erase_account(owner.id, settings=app.state.settings, reason="test")
        assert not await CompanyAddress.exists().where(CompanyAddress.company == company.id)
