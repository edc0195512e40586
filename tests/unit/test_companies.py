"""Company accounts: VAT and PO checks, roles, invitations, the approval limit, leaving, and the
company's data in the download and the erasure."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import zipfile
from io import BytesIO

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.services import companies, erasure, privacy_export
from okmarts.tables.checkout import Order, OrderEvent
from okmarts.tables.companies import Company, CompanyInvitation, CompanyMember
from okmarts.tables.messaging import OutboxMessage
from tests.states.accounts import (
    errors_in,
    links_mailed_to,
    local,
    new_email,
    post_form,
    verified_account,
)
from tests.states.catalog import new_product, stock_of
from tests.states.orders import checkout_fields, place_order

Client = AsyncTestClient[Litestar]
BANK = {"payment_method": "bank_transfer", "buying_for": "company"}


def _fields(**extra: str) -> dict[str, str]:
    """Checkout fields for tests.states.orders.place_order (which adds the form's key)."""
    fields = checkout_fields("", **extra)
    fields.pop("checkout_key")
    return fields


def test_vat_po_and_limit_checks() -> None:
    assert companies.check_vat("DE 136 695 976") == ("DE136695976", None)
    assert companies.check_vat("")[1] is None
    assert companies.check_vat("DE136695977")[1] is not None  # checksum
    assert companies.check_vat("XX123")[1] is not None
    assert companies.check_po_number("  PO-2026/17  ") == ("PO-2026/17", None)
    assert companies.check_po_number("")[1] is None
    assert companies.check_po_number("x" * 61)[1] is not None
    assert companies.check_po_number("PO<script>")[1] is not None
    assert companies.check_po_number("-PO")[1] is not None
    assert companies.parse_limit("2500", "USD") == (250_000, None)
    assert companies.parse_limit("25.5", "USD") == (2_550, None)
    assert companies.parse_limit("", "USD") == (None, None)
    for bad in ("abc", "-1", "1.001", "nan", "1e30"):
        assert companies.parse_limit(bad, "USD")[1] is not None, bad


async def _company_with_owner(client: Client, limit: str = "") -> tuple:
    owner = await verified_account(client)
    bad = await post_form(
        client, "/account/company", {"name": "Acme GmbH", "vat_number": "DE136695977"}
    )
    assert bad.status_code == 422
    assert "This is not a valid EU VAT number" in bad.text and 'value="Acme GmbH"' in bad.text
    made = await post_form(
        client,
        "/account/company",
        {
            "name": "Acme GmbH",
            "vat_number": "DE136695976",
            "billing_address": "Acme GmbH, Hauptstr. 1, 10115 Berlin",
            "approval_limit": limit,
        },
    )
    assert made.status_code == 303
    found = await companies.membership(owner.id)
    assert found is not None and found.is_owner and found.company.vat_number == "DE136695976"
    return owner, found.company


async def _join(owner_client: Client, client: Client, role: str = "buyer") -> tuple:
    colleague = await verified_account(client)
    sent = await post_form(
        owner_client, "/account/company/invitations", {"email": colleague.email, "role": role}
    )
    assert sent.status_code == 303
    [link] = await links_mailed_to(colleague.email, "company_invitation")
    page = await client.get(local(link))
    assert page.status_code == 200 and "Acme GmbH" in page.text
    joined = await post_form(client, local(link))
    assert joined.status_code == 303
    return colleague, link


async def test_roles_and_a_non_member_gets_404(app: Litestar) -> None:
    product = await new_product(10)
    async with (
        AsyncTestClient(app=app) as owner_client,
        AsyncTestClient(app=app) as buyer_client,
        AsyncTestClient(app=app) as stranger_client,
    ):
        _owner, company = await _company_with_owner(owner_client)
        buyer, _link = await _join(owner_client, buyer_client)
        assert (await companies.membership(buyer.id)).role == "buyer"
        order = await place_order(buyer_client, product, _fields(po_number="PO-1", **BANK))
        assert order.company_ref == company.id and order.company == "Acme GmbH"
        assert order.tax_id == "DE136695976" and order.po_number == "PO-1"
        # Members see the company's orders; a buyer may not manage.
        assert order.number in (await owner_client.get("/account/company")).text
        assert (
            await owner_client.get(f"/account/company/orders/{order.number}")
        ).status_code == 200
        refused = await post_form(buyer_client, "/account/company/settings", {"name": "X"})
        assert refused.status_code == 404
        invite = await post_form(buyer_client, "/account/company/invitations", {"email": "a@b.c"})
        assert invite.status_code == 404
        # A stranger (and another company's member) sees none of it.
        await _company_with_owner(stranger_client)
        for path in (
            f"/account/company/orders/{order.number}",
            f"/account/orders/{order.number}",
            f"/account/orders/{order.number}/invoice",
        ):
            assert (await stranger_client.get(path)).status_code == 404, path
        approve = await post_form(
            stranger_client, f"/account/company/orders/{order.number}/approve"
        )
        assert approve.status_code == 404
        member = (
            await CompanyMember.select(CompanyMember.id)
            .where(CompanyMember.account == buyer.id)
            .first()
        )
        removed = await post_form(
            stranger_client, f"/account/company/members/{member['id']}/remove"
        )
        assert removed.status_code == 404
        # The owner can't leave a company without another owner.
        left = await post_form(owner_client, "/account/company/leave")
        assert left.status_code == 422 and "another owner" in left.text


async def test_invitation_is_single_use_expires_and_needs_the_invited_email(
    app: Litestar,
) -> None:
    async with (
        AsyncTestClient(app=app) as owner_client,
        AsyncTestClient(app=app) as invitee_client,
        AsyncTestClient(app=app) as other_client,
    ):
        _owner, company = await _company_with_owner(owner_client)
        await verified_account(other_client)
        bad = await post_form(
            owner_client, "/account/company/invitations", {"email": "nope", "role": "buyer"}
        )
        assert bad.status_code == 422 and errors_in(bad.text)
        invitee = await verified_account(invitee_client)
        await post_form(
            owner_client,
            "/account/company/invitations",
            {"email": invitee.email, "role": "approver"},
        )
        [link] = await links_mailed_to(invitee.email, "company_invitation")
        # Someone else signed in: refused, nothing joined.
        wrong = await post_form(other_client, local(link))
        assert wrong.status_code == 422 and "another email address" in wrong.text
        # A tampered link.
        assert (await invitee_client.get(local(link) + "x")).status_code == 410
        # Two tabs accept at once: one joins.
        first, second = await asyncio.gather(
            post_form(invitee_client, local(link)), post_form(invitee_client, local(link))
        )
        assert sorted([first.status_code, second.status_code]) == [303, 422]
        assert (await companies.membership(invitee.id)).role == "approver"
        again = await post_form(invitee_client, local(link))
        assert again.status_code == 422 and "accepted already" in again.text
        # Expiry: the signed token and the row both say so.
        await post_form(
            owner_client, "/account/company/invitations", {"email": new_email(), "role": "buyer"}
        )
        invitation = (
            await CompanyInvitation.objects()
            .where(CompanyInvitation.company == company.id)
            .order_by(CompanyInvitation.id, ascending=False)
            .first()
        )
        assert invitation.accepted_at is None
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=companies.INVITATION_DAYS, hours=1)
        token = local((await links_mailed_to(invitation.email, "company_invitation"))[0]).rsplit(
            "/", 1
        )[1]
        with pytest.raises(companies.CompanyRefused) as expired:
            await companies.read_invitation(token, app.state.settings, now=later)
        assert "expired" in expired.value.message.msgid


async def test_approval_limit_approve_and_reject_atomically(app: Litestar) -> None:
    product = await new_product(20, price_minor=30_000)
    async with (
        AsyncTestClient(app=app) as owner_client,
        AsyncTestClient(app=app) as buyer_client,
    ):
        owner, _company = await _company_with_owner(owner_client, limit="100")
        _buyer, _link = await _join(owner_client, buyer_client)
        # Above the limit, by card: refused with the reason; by bank transfer: waits.
        await post_form(
            buyer_client, "/cart/lines", {"product_id": str(product["id"]), "quantity": "2"}
        )
        page = await buyer_client.get("/checkout")
        key = page.text.split('name="checkout_key" value="')[1].split('"')[0]
        card = await post_form(
            buyer_client, "/checkout", checkout_fields(key, buying_for="company")
        )
        assert card.status_code == 422 and "approval limit" in card.text
        order = await place_order(buyer_client, product, _fields(**BANK))
        assert order.status == "awaiting_approval"
        assert not await OutboxMessage.exists().where(
            (OutboxMessage.kind == "order_confirmation") & (OutboxMessage.recipient == "x")
        )
        mailed = await OutboxMessage.count().where(
            (OutboxMessage.kind == "order_awaiting_approval")
            & (OutboxMessage.recipient == owner.email)
        )
        assert mailed == 1
        waiting = await buyer_client.get(f"/account/orders/{order.number}")
        assert "waits for an approver" in waiting.text
        # A buyer can't approve.
        assert (
            await post_form(buyer_client, f"/account/company/orders/{order.number}/approve")
        ).status_code == 404
        # Approve and reject race: one applies.
        results = await asyncio.gather(
            companies.decide(
                owner, order.number, approve=True, reason="", settings=app.state.settings
            ),
            companies.decide(
                owner, order.number, approve=False, reason="Too many", settings=app.state.settings
            ),
            return_exceptions=True,
        )
        assert sum(isinstance(result, Order) for result in results) == 1
        assert sum(isinstance(result, companies.CompanyRefused) for result in results) == 1
        final = await Order.objects().where(Order.id == order.id).first()
        assert final.status in ("awaiting_payment", "cancelled")
        statuses = [
            row["status"]
            for row in await OrderEvent.select(OrderEvent.status)
            .where(OrderEvent.order == order.id)
            .order_by(OrderEvent.id)
        ]
        assert statuses[-2:] == ["awaiting_approval", final.status]

        # Another one, rejected through the page with a reason: stock back, buyer told why.
        second = await place_order(buyer_client, product, _fields(**BANK))
        stock = await stock_of(product["id"])
        no_reason = await post_form(
            owner_client, f"/account/company/orders/{second.number}/reject", {"reason": ""}
        )
        assert no_reason.status_code == 422
        rejected = await post_form(
            owner_client,
            f"/account/company/orders/{second.number}/reject",
            {"reason": "Over budget this quarter"},
        )
        assert rejected.status_code == 303
        assert await stock_of(product["id"]) == stock + 1
        shown = await buyer_client.get(f"/account/orders/{second.number}")
        assert "Over budget this quarter" in shown.text
        # Approvers' own orders never wait.
        own = await place_order(owner_client, product, _fields(**BANK))
        assert own.status == "awaiting_payment"


async def test_leaving_keeps_the_companys_orders_and_cuts_the_link(app: Litestar) -> None:
    product = await new_product(10)
    async with (
        AsyncTestClient(app=app) as owner_client,
        AsyncTestClient(app=app) as buyer_client,
    ):
        _owner, company = await _company_with_owner(owner_client)
        buyer, _link = await _join(owner_client, buyer_client)
        company_order = await place_order(buyer_client, product, _fields(**BANK))
        private = await place_order(buyer_client, product, _fields(buying_for=""))
        assert private.company_ref is None
        left = await post_form(buyer_client, "/account/company/leave")
        assert left.status_code == 303
        assert await companies.membership(buyer.id) is None
        kept = await Order.objects().where(Order.id == company_order.id).first()
        assert kept.account is None and kept.company_ref == company.id
        assert (await Order.objects().where(Order.id == private.id).first()).account == buyer.id
        assert company_order.number in (await owner_client.get("/account/company")).text
        assert (
            await buyer_client.get(f"/account/orders/{company_order.number}")
        ).status_code == 404
        # The last member leaving takes the company; its orders keep their copies.
        assert (await post_form(owner_client, "/account/company/leave")).status_code == 303
        assert not await Company.exists().where(Company.id == company.id)
        kept = await Order.objects().where(Order.id == company_order.id).first()
        assert kept.company == "Acme GmbH" and kept.tax_id == "DE136695976"


async def test_company_data_in_the_download_and_erasure(app: Litestar) -> None:
    async with (
        AsyncTestClient(app=app) as owner_client,
        AsyncTestClient(app=app) as buyer_client,
    ):
        owner, company = await _company_with_owner(owner_client)
        buyer, _link = await _join(owner_client, buyer_client)
        archive = await privacy_export.export_zip(buyer.id, record=False)
        data = json.loads(zipfile.ZipFile(BytesIO(archive)).read("company.json"))
        assert data["company"]["name"] == "Acme GmbH"
        assert data["membership"]["role"] == "buyer"
        assert data["invitations"][0]["email"] == buyer.email
        assert "token_hash" not in data["invitations"][0]
        # The owner is erased: the buyer becomes owner, the company stays; invitations sent by
        # the owner lose the link.
        await erasure.erase_account(owner.id, settings=app.state.settings, reason="test")
        assert (await companies.membership(buyer.id)).is_owner
        assert await Company.exists().where(Company.id == company.id)
        assert not await CompanyInvitation.exists().where(CompanyInvitation.invited_by == owner.id)
        # The last member erased: the company goes, and the invitations to them.
        await erasure.erase_account(buyer.id, settings=app.state.settings, reason="test")
        assert not await Company.exists().where(Company.id == company.id)
        assert not await CompanyInvitation.exists().where(CompanyInvitation.email == buyer.email)
