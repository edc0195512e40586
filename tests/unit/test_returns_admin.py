"""Staff's returns and complaints pages (admin/returns.py): the lists, approve / refuse with
their errors refilled, mark received (refund once), decide a complaint; superusers only; the
CSRF token."""

from __future__ import annotations

import re

from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.services import returns
from okmarts.tables.checkout import OrderLine
from okmarts.tables.returns import Complaint, ReturnRequest
from tests.states.accounts import verified_shopper
from tests.states.catalog import new_product
from tests.states.returns import delivered_order, stock
from tests.unit.test_quotes_http import staff_client

Client = AsyncTestClient[Litestar]
RETURNS = "/admin/service/returns/"
COMPLAINTS = "/admin/service/complaints/"


async def _post(staff: Client, page_url: str, action_url: str, **fields: str) -> Response:
    page = await staff.get(page_url)
    assert page.status_code == 200, page.text[:300]
    token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
    return await staff.post(action_url, data={"csrftoken": token, **fields}, follow_redirects=False)


async def test_staff_approve_receive_and_refund_and_decide_a_complaint(app: Litestar) -> None:
    settings = app.state.settings
    shopper = await verified_shopper()
    product = await new_product(stock=1)
    order = await delivered_order(shopper, product, quantity=2)
    line = (await OrderLine.select(OrderLine.id).where(OrderLine.order == order.id).first())["id"]
    request = await returns.request_return(
        settings, shopper, order.number, {line: 1}, reason="damaged", note="Cracked."
    )
    staff = await staff_client(app)
    listing = await staff.get(RETURNS)
    assert listing.status_code == 200 and request.number in listing.text
    page_url = f"{RETURNS}{request.id}/"
    page = await staff.get(page_url)
    assert "Cracked." in page.text and order.recipient in page.text
    assert shopper.email not in page.text  # nothing of the account beyond the case

    empty = await _post(staff, page_url, f"{page_url}approve/", instructions="")
    assert empty.status_code == 422 and "at least" in empty.text
    forged = await staff.post(
        f"{page_url}approve/", data={"csrftoken": "forged", "instructions": "Dock 4"}
    )
    assert forged.status_code == 403
    approved = await _post(staff, page_url, f"{page_url}approve/", instructions="Dock 4, Leeds.")
    assert approved.status_code == 303
    received = await _post(staff, page_url, f"{page_url}receive/")
    assert received.status_code == 303
    again = await staff.post(
        f"{page_url}receive/",
        data={"csrftoken": staff.cookies.get("csrftoken") or ""},
        follow_redirects=False,
    )
    assert again.status_code == 409
    stored = await ReturnRequest.objects().where(ReturnRequest.id == request.id).first()
    assert stored.status == "refunded" and stored.refund_state == "done"
    assert await stock(product["id"]) == 2

    complaint = await returns.escalate(
        settings,
        shopper,
        summary="Shipping was slow.",
        return_number="",
        conversation_number=(await _conversation_number(stored.conversation)),
    )
    assert complaint.case_number in (await staff.get(COMPLAINTS)).text
    url = f"{COMPLAINTS}{complaint.id}/"
    missing = await _post(staff, url, f"{url}decide/", decision_reason="Because.")
    assert missing.status_code == 422
    decided = await _post(
        staff, url, f"{url}decide/", decision="partly_upheld", decision_reason="Carrier delay."
    )
    assert decided.status_code == 303
    stored_complaint = await Complaint.objects().where(Complaint.id == complaint.id).first()
    assert stored_complaint.decision == "partly_upheld"
    await staff.__aexit__(None, None, None)


async def _conversation_number(conversation_id: int) -> str:
    from okmarts.tables.support import Conversation

    row = (
        await Conversation.select(Conversation.number)
        .where(Conversation.id == conversation_id)
        .first()
    )
    return row["number"]


async def test_moderators_get_a_403(app: Litestar) -> None:
    moderator = await staff_client(app, superuser=False)
    assert (await moderator.get(RETURNS)).status_code == 403
    assert (await moderator.get(COMPLAINTS)).status_code == 403
    await moderator.__aexit__(None, None, None)


async def test_staff_see_the_photos_and_mark_a_bank_refund_paid(
    app: Litestar, client: Client
) -> None:
    import datetime as dt
    import io

    from PIL import Image

    from okmarts.services import support_files
    from tests.states.accounts import verified_account

    settings = app.state.settings
    shopper = await verified_account(client)
    order = await delivered_order(shopper, await new_product(stock=1), method="bank_transfer")
    line = (await OrderLine.select(OrderLine.id).where(OrderLine.order == order.id).first())["id"]
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, format="JPEG")
    [photo] = await support_files.prepare(settings, [("dent.jpg", out.getvalue())])
    request = await returns.request_return(
        settings, shopper, order.number, {line: 1}, reason="damaged", photos=[photo]
    )
    [shown] = (await returns.detail(request.id)).photos
    # Another shopper's photo, on a return of their own: not reachable through this return.
    other = await verified_shopper()
    other_order = await delivered_order(other, await new_product(stock=1))
    other_line = (
        await OrderLine.select(OrderLine.id).where(OrderLine.order == other_order.id).first()
    )["id"]
    other_request = await returns.request_return(
        settings, other, other_order.number, {other_line: 1}, reason="damaged", photos=[photo]
    )
    [foreign] = (await returns.detail(other_request.id)).photos

    staff = await staff_client(app)
    page_url = f"{RETURNS}{request.id}/"
    page = await staff.get(page_url)
    file_url = f"{page_url}files/{shown['id']}/"
    assert 'id="return-photos"' in page.text and file_url in page.text and "dent.jpg" in page.text
    served = await staff.get(file_url)
    assert served.status_code == 200 and served.content == photo.data
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["content-disposition"] == 'attachment; filename="dent.jpg"'
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in served.headers["cache-control"]
    assert (await staff.get(f"{page_url}files/{foreign['id']}/")).status_code == 404
    moderator = await staff_client(app, superuser=False)
    assert (await moderator.get(file_url)).status_code == 403
    await moderator.__aexit__(None, None, None)

    # Approve and receive: the bank transfer is to be paid; staff record it.
    await returns.approve(settings, request.id, instructions="Dock 4.", staff="ana")
    await returns.mark_received(settings, request.id, staff="ana")
    page = await staff.get(page_url)
    assert 'id="paid-form"' in page.text
    today = dt.datetime.now(dt.UTC).date()
    bad = await _post(staff, page_url, f"{page_url}paid/", reference="X", paid_on="2999-01-01")
    assert bad.status_code == 422 and 'value="X"' in bad.text and "not in the future" in bad.text
    paid = await _post(
        staff, page_url, f"{page_url}paid/", reference="BANK-778", paid_on=today.isoformat()
    )
    assert paid.status_code == 303
    again = await staff.post(
        f"{page_url}paid/",
        data={
            "csrftoken": staff.cookies.get("csrftoken") or "",
            "reference": "BANK-779",
            "paid_on": today.isoformat(),
        },
        follow_redirects=False,
    )
    assert again.status_code == 409 and "not waiting to be paid" in again.text
    page = await staff.get(page_url)
    assert 'id="return-refund-paid"' in page.text and "BANK-778" in page.text
    assert 'id="paid-form"' not in page.text
    await staff.__aexit__(None, None, None)
    # The shopper sees it on the return's page and in the order's history.
    mine = await client.get(f"/account/returns/{request.number}")
    assert 'id="return-refund-paid"' in mine.text and "BANK-778" in mine.text
    history = await client.get(f"/account/orders/{order.number}")
    assert "Return refund paid by bank transfer" in history.text
