"""Returns and complaints over HTTP (controllers/returns.py): "Return parts" on a delivered
order, the form with its errors refilled (4xx, never a 500), ownership (404 for another's), the
CSRF token, the return's page, and a refused return escalated to a complaint with its case
number and due date."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.services import returns
from okmarts.services.privacy import due_date
from okmarts.tables.checkout import OrderLine
from okmarts.tables.returns import Complaint, ReturnRequest
from tests.states.accounts import errors_in, post_form, verified_account
from tests.states.catalog import new_product
from tests.states.returns import delivered_order


async def test_return_parts_of_a_delivered_order(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    shopper = await verified_account(client)
    product = await new_product(stock=2)
    order = await delivered_order(shopper, product, quantity=2)
    line = (await OrderLine.select(OrderLine.id).where(OrderLine.order == order.id).first())["id"]

    page = await client.get(f"/account/orders/{order.number}")
    assert f'href="/account/orders/{order.number}/return"' in page.text
    form = await client.get(f"/account/orders/{order.number}/return")
    assert form.status_code == 200 and f'name="qty-{line}"' in form.text

    # Too many, and no reason: the form comes back with the messages, the note kept.
    bad = await post_form(
        client,
        f"/account/orders/{order.number}/return",
        {f"qty-{line}": "9", "reason": "", "note": "Bent pins"},
    )
    assert bad.status_code == 422 and errors_in(bad.text)
    assert "Bent pins" in bad.text
    hostile = await post_form(
        client, f"/account/orders/{order.number}/return", {f"qty-{line}": "-1\x00", "reason": "x"}
    )
    assert hostile.status_code == 422
    # Without the CSRF token: refused.
    forged = await client.post(
        f"/account/orders/{order.number}/return",
        data={f"qty-{line}": "1", "reason": "damaged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403

    done = await post_form(
        client,
        f"/account/orders/{order.number}/return",
        {f"qty-{line}": "1", "reason": "damaged", "note": "Bent pins"},
    )
    assert done.status_code == 303
    request = await ReturnRequest.objects().where(ReturnRequest.order == order.id).first()
    assert done.headers["location"] == f"/account/returns/{request.number}?notice=requested"
    shown = await client.get(done.headers["location"])
    assert request.number in shown.text and "Bent pins" in shown.text
    history = await client.get(f"/account/orders/{order.number}")
    assert "Return requested" in history.text and request.number in history.text

    # Staff refuse; the shopper escalates to a complaint.
    await returns.refuse(app.state.settings, request.id, reason="Used parts.", staff="ana")
    refused = await client.get(f"/account/returns/{request.number}")
    assert "Used parts." in refused.text and "/complaint" in refused.text
    empty = await post_form(client, f"/account/returns/{request.number}/complaint", {"summary": ""})
    assert empty.status_code == 422
    opened = await post_form(
        client, f"/account/returns/{request.number}/complaint", {"summary": "They were new."}
    )
    assert opened.status_code == 303
    complaint = await Complaint.objects().where(Complaint.return_request == request.id).first()
    page = await client.get(opened.headers["location"])
    assert complaint.case_number in page.text and "They were new." in page.text
    assert complaint.due_at == due_date(complaint.created_at)
    assert 'id="complaint-due"' in page.text


async def test_another_accounts_return_and_order_are_404(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    owner = await verified_account(client)
    product = await new_product(stock=2)
    order = await delivered_order(owner, product, quantity=1)
    line = (await OrderLine.select(OrderLine.id).where(OrderLine.order == order.id).first())["id"]
    made = await returns.request_return(
        app.state.settings, owner, order.number, {line: 1}, reason="damaged"
    )
    await client.get("/sign-out")
    client.cookies.clear()
    await verified_account(client)
    assert (await client.get(f"/account/returns/{made.number}")).status_code == 404
    assert (await client.get(f"/account/orders/{order.number}/return")).status_code == 404
    posted = await post_form(
        client, f"/account/orders/{order.number}/return", {f"qty-{line}": "1", "reason": "damaged"}
    )
    assert posted.status_code == 404
    assert (await client.get("/account/complaints/K-2026-000001")).status_code == 404


async def test_escalate_a_conversation_to_a_complaint(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    from okmarts.services import support

    shopper = await verified_account(client)
    conversation = await support.open_conversation(
        app.state.settings,
        account=shopper,
        email=shopper.email,
        locale="en",
        body="The relay hums loudly.",
    )
    url = f"/account/support/{conversation.number}/complaint"
    empty = await post_form(client, url, {"summary": " "})
    assert empty.status_code == 422 and "Write at least" in empty.text
    opened = await post_form(client, url, {"summary": "Still humming after the swap."})
    assert opened.status_code == 303
    again = await post_form(client, url, {"summary": "Again."})
    assert again.headers["location"] == opened.headers["location"]  # one complaint per case
    complaint = await Complaint.objects().where(Complaint.conversation == conversation.id).first()
    assert complaint.order is None and complaint.due_at == due_date(complaint.created_at)
    page = await client.get(opened.headers["location"])
    assert complaint.case_number in page.text
    # Someone else's conversation: 404.
    await client.get("/sign-out")
    client.cookies.clear()
    await verified_account(client)
    assert (await post_form(client, url, {"summary": "Mine now?"})).status_code == 404
