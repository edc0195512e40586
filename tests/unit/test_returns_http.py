"""Returns and complaints over HTTP (controllers/returns.py): "Return parts" on a delivered
order, the form with its errors refilled (4xx, never a 500), ownership (404 for another's), the
CSRF token, the return's page, and a refused return escalated to a complaint with its case
number and due date; the request's photos (checked, re-encoded, stored with its conversation,
served to the owner only) and bad files refused with the form refilled."""

from __future__ import annotations

import io

from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from okmarts.services import returns
from okmarts.services.privacy import due_date
from okmarts.tables.checkout import OrderLine
from okmarts.tables.returns import Complaint, ReturnRequest
from okmarts.tables.support import Conversation, ConversationAttachment, ConversationMessage
from tests.states.accounts import csrf, errors_in, post_form, verified_account
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


def _photo(size: tuple[int, int] = (1200, 800)) -> bytes:
    image = Image.new("RGB", size, (30, 90, 200))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc"  # Make
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


async def _post_return(
    client: AsyncTestClient[Litestar],
    number: str,
    data: dict[str, str],
    photos: list[tuple[str, bytes, str]],
    **headers: str,
) -> object:
    if not csrf(client):
        await client.get("/")
    return await client.post(
        f"/account/orders/{number}/return",
        data={"_csrf_token": csrf(client), **data},
        files=[("photos", photo) for photo in photos] or None,
        headers=headers or None,
        follow_redirects=False,
    )


async def _files_of(conversation_id: int) -> list[dict]:
    return (
        await ConversationAttachment.select(
            ConversationAttachment.id,
            ConversationAttachment.filename,
            ConversationAttachment.message,
            ConversationAttachment.path,
        )
        .where(
            ConversationAttachment.message.is_in(
                ConversationMessage.select(ConversationMessage.id).where(
                    ConversationMessage.conversation == conversation_id
                )
            )
        )
        .order_by(ConversationAttachment.id)
    )


async def test_a_return_request_carries_photos_the_owner_alone_downloads(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    shopper = await verified_account(client)
    order = await delivered_order(shopper, await new_product(stock=2), quantity=2)
    line = (await OrderLine.select(OrderLine.id).where(OrderLine.order == order.id).first())["id"]
    form = await client.get(f"/account/orders/{order.number}/return")
    assert 'enctype="multipart/form-data"' in form.text and 'name="photos"' in form.text

    done = await _post_return(
        client,
        order.number,
        {f"qty-{line}": "1", "reason": "damaged", "note": "Cracked lid"},
        [("Cracked lid.JPG", _photo(), "image/jpeg"), ("side.png", _png(), "image/png")],
    )
    assert done.status_code == 303, errors_in(done.text)
    request = await ReturnRequest.objects().where(ReturnRequest.order == order.id).first()
    conversation = (
        await Conversation.objects().where(Conversation.id == request.conversation).first()
    )
    files = await _files_of(conversation.id)
    first = (
        await ConversationMessage.select(ConversationMessage.id)
        .where(ConversationMessage.conversation == conversation.id)
        .order_by(ConversationMessage.id)
        .first()
    )
    # On the request's own message, so the conversation's privacy paths reach them.
    assert [row["message"] for row in files] == [first["id"], first["id"]]
    assert [row["filename"] for row in files] == ["Cracked-lid.jpg", "side.png"]
    page = await client.get(done.headers["location"])
    link = f"/account/support/{conversation.number}/files/{files[0]['id']}"
    assert 'id="return-photos"' in page.text and link in page.text
    assert "Cracked-lid.jpg" in page.text
    served = await client.get(link)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.headers["content-disposition"] == 'attachment; filename="Cracked-lid.jpg"'
    assert served.headers["x-content-type-options"] == "nosniff"
    assert b"SpyCam" not in served.content
    assert not Image.open(io.BytesIO(served.content)).getexif()

    # Another shopper: neither the return nor its photos.
    async with AsyncTestClient(app=app) as other:
        await verified_account(other)
        assert (await other.get(f"/account/returns/{request.number}")).status_code == 404
        assert (await other.get(link)).status_code == 404


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 0, 0, 0)).save(out, format="PNG")
    return out.getvalue()


async def test_bad_photos_get_a_message_and_the_form_back(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    shopper = await verified_account(client)
    order = await delivered_order(shopper, await new_product(stock=2), quantity=2)
    line = (await OrderLine.select(OrderLine.id).where(OrderLine.order == order.id).first())["id"]
    fields = {f"qty-{line}": "2", "reason": "damaged", "note": "Bent pins"}
    huge = b"\xff\xd8" + b"0" * int(app.state.settings.support_photo_max_mb * 1_000_000 + 10)
    cases = [
        ([("manual.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")], "is not a photo"),
        ([("evil.jpg", b"<script>alert(1)</script>", "image/jpeg")], "is not a photo"),
        ([("huge.jpg", huge, "image/jpeg")], "is too large"),
        (
            [(f"p{n}.jpg", _photo((20, 20)), "image/jpeg") for n in range(5)],
            "Add at most 4 photos.",
        ),
    ]
    for photos, message in cases:
        response = await _post_return(client, order.number, fields, photos)
        assert response.status_code == 422, photos[0][0]
        assert message in response.text, photos[0][0]
        # The form comes back as it was typed (the browser keeps no files: it says so).
        assert "Bent pins" in response.text and 'value="2"' in response.text
        assert '<option value="damaged" selected>' in response.text
        assert "Choose the photos again" in response.text
    # A bad photo and a bad quantity: both messages at once; htmx gets the form alone.
    both = await _post_return(
        client,
        order.number,
        {**fields, f"qty-{line}": "9"},
        [("manual.pdf", b"%PDF-1.4", "application/pdf")],
        **{"HX-Request": "true", "HX-Target": "return-request"},
    )
    assert both.status_code == 422
    assert "is not a photo" in both.text and "Enter a whole number from 0 to 2." in both.text
    assert "<html" not in both.text and 'id="return-request"' in both.text
    assert not await ReturnRequest.exists().where(ReturnRequest.order == order.id)
