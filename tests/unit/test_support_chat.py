"""Customer service, the shoppers' side through HTTP (issue 16, H-chat): contact us, ask about a
part, help with an order (the owner's only), a visitor's email confirmed before staff see
anything, the conversation page (poll, one-time key), attachments (photos re-encoded without
their metadata, PDFs; served to the owner only, safely), rate limits, files deleted with rows."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from okmarts.services import erasure, rate_limits, retention, support, support_chat, support_files
from okmarts.tables.accounts import Account
from okmarts.tables.checkout import Order
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.support import Conversation, ConversationAttachment, ConversationMessage
from tests.states.accounts import (
    csrf,
    errors_in,
    links_mailed_to,
    local,
    new_email,
    post_form,
    verified_account,
)
from tests.states.catalog import new_product
from tests.states.orders import bought
from tests.unit.conftest import QueryCounter

Client = AsyncTestClient[Litestar]


async def post_multipart(
    client: Client, path: str, data: dict[str, str], files: list[tuple[str, bytes, str]] = ()
) -> object:
    if not csrf(client):
        await client.get("/")
    return await client.post(
        path,
        data={"_csrf_token": csrf(client), **data},
        files=[("files", item) for item in files] or None,
        follow_redirects=False,
    )


def photo_with_exif() -> bytes:
    image = Image.new("RGB", (3000, 1500), (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc"  # Make
    exif[0x9286] = "secret comment"  # UserComment
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"gps here")
    return out.getvalue()


async def start(client: Client, **fields: str) -> Conversation:
    key = uuid.uuid4().hex
    response = await post_multipart(
        client, "/support/new", {"body": "Does it fit?", "client_key": key, **fields}
    )
    assert response.status_code == 303, errors_in(response.text) or response.text[:500]
    [row] = await ConversationMessage.select(ConversationMessage.conversation).where(
        ConversationMessage.client_key == key
    )
    return await Conversation.objects().where(Conversation.id == row["conversation"]).first()


async def test_ask_about_a_part_answer_and_reply_once(app: Litestar, client: Client) -> None:
    product = await new_product(5)
    product_page = await client.get(f"/products/{product['slug']}")
    assert f'href="/support/new?product={product["slug"]}"' in product_page.text
    shopper = await verified_account(client)
    page = await client.get(f"/support/new?product={product['slug']}")
    assert page.status_code == 200 and product["title"] in page.text
    assert "We answer within 1 business day." in page.text
    conversation = await start(client, product=product["slug"], subject="Thread size")
    assert conversation.account == shopper.id and conversation.topic == "product"
    assert conversation.product == product["id"] and conversation.status == "waiting_for_staff"

    path = f"/account/support/{conversation.number}"
    listing = await client.get("/account/support")
    assert conversation.number in listing.text and "Waiting for us" in listing.text
    assert "We answer within 1 business day." in listing.text

    await support.post_message(
        app.state.settings, conversation.id, author="staff", body="Yes: M12x1.", staff_username="a"
    )
    await support.post_message(
        app.state.settings, conversation.id, author="staff", body="INTERNAL-NOTE", internal=True
    )
    shown = await client.get(path)
    assert "Yes: M12x1." in shown.text and "Waiting for you" in shown.text
    assert "INTERNAL-NOTE" not in shown.text
    assert 'hx-trigger="every 5s"' in shown.text and "Refresh" in shown.text

    key = re.search(r'name="client_key" value="([^"]+)"', shown.text).group(1)
    for _ in range(2):  # a double submit
        answer = await post_multipart(client, path, {"body": "Thanks!", "client_key": key})
        assert answer.status_code == 303
    bodies = await ConversationMessage.select(ConversationMessage.body).where(
        ConversationMessage.conversation == conversation.id
    )
    assert [row["body"] for row in bodies].count("Thanks!") == 1
    again = await client.get(path)
    assert "Waiting for us" in again.text
    assert key not in again.text  # a fresh key per render


async def test_the_poll_is_cheap_and_answers_only_when_something_is_new(
    app: Litestar, client: Client, queries: QueryCounter
) -> None:
    await verified_account(client)
    conversation = await start(client)
    path = f"/account/support/{conversation.number}"
    last = await support_chat.last_visible_id(conversation.id)
    poll = {"HX-Request": "true", "HX-Target": "support-messages"}
    queries.reset()
    nothing = await client.get(f"{path}?seen={last}", headers=poll)
    assert nothing.status_code == 204 and nothing.content == b""
    idle_cost = len(queries.statements)
    assert idle_cost <= 4, queries.statements
    for number in range(5):
        await support.post_message(
            app.state.settings, conversation.id, author="staff", body=f"Answer {number}"
        )
        queries.reset()
        fresh = await client.get(f"{path}?seen={last}", headers=poll)
        assert fresh.status_code == 200 and f"Answer {number}" in fresh.text
        assert 'id="support-messages"' in fresh.text and "<html" not in fresh.text
        assert len(queries.statements) <= idle_cost + 2, queries.statements  # not per message


async def test_another_shoppers_conversation_and_files_are_404(
    app: Litestar, client: Client
) -> None:
    await verified_account(client)
    conversation = await start(client)
    await post_multipart(
        client,
        f"/account/support/{conversation.number}",
        {"body": "The photo", "client_key": "p1"},
        [("a.jpg", photo_with_exif(), "image/jpeg")],
    )
    [attachment] = await ConversationAttachment.select(ConversationAttachment.id).where(
        ConversationAttachment.message.is_in(
            ConversationMessage.select(ConversationMessage.id).where(
                ConversationMessage.conversation == conversation.id
            )
        )
    )
    async with AsyncTestClient(app=app) as other:
        await verified_account(other)
        base = f"/account/support/{conversation.number}"
        assert (await other.get(base)).status_code == 404
        assert (await other.get(f"{base}/files/{attachment['id']}")).status_code == 404
        posted = await post_multipart(other, base, {"body": "Sneaky", "client_key": "x"})
        assert posted.status_code == 404
    async with AsyncTestClient(app=app) as visitor:
        anonymous = await visitor.get(
            f"/account/support/{conversation.number}", follow_redirects=False
        )
        assert anonymous.status_code in (302, 303, 401)


async def test_a_photo_is_reencoded_without_metadata_and_served_safely(
    app: Litestar, client: Client
) -> None:
    await verified_account(client)
    conversation = await start(client)
    path = f"/account/support/{conversation.number}"
    raw = photo_with_exif()
    assert b"SpyCam" in raw and b"gps here" in raw
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    posted = await post_multipart(
        client,
        path,
        {"body": "Damaged on arrival", "client_key": "k-photo"},
        [("../../etc/Bröken part.JPG", raw, "image/jpeg"), ("invoice.pdf", pdf, "text/html")],
    )
    assert posted.status_code == 303, errors_in(posted.text)
    rows = (
        await ConversationAttachment.select()
        .order_by(ConversationAttachment.id)
        .where(
            ConversationAttachment.message.is_in(
                ConversationMessage.select(ConversationMessage.id).where(
                    ConversationMessage.conversation == conversation.id
                )
            )
        )
    )
    photo, document = rows
    assert photo["kind"] == "image" and photo["filename"] == "Broken-part.jpg"
    assert document["kind"] == "pdf" and document["content_type"] == "application/pdf"
    stored = support_files.folder(app.state.settings) / photo["path"]
    assert stored.exists() and "Broken" not in photo["path"]
    page = await client.get(path)
    assert "Broken-part.jpg" in page.text

    served = await client.get(f"{path}/files/{photo['id']}")
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"] == 'attachment; filename="Broken-part.jpg"'
    assert b"SpyCam" not in served.content and b"gps here" not in served.content
    image = Image.open(io.BytesIO(served.content))
    assert max(image.size) == app.state.settings.support_photo_max_side
    assert not image.getexif() and "comment" not in image.info
    got_pdf = await client.get(f"{path}/files/{document['id']}")
    assert got_pdf.headers["content-type"] == "application/pdf" and got_pdf.content == pdf
    assert got_pdf.headers["content-disposition"].startswith("attachment;")


async def test_bad_files_get_a_message_and_the_form_back(app: Litestar, client: Client) -> None:
    await verified_account(client)
    conversation = await start(client)
    path = f"/account/support/{conversation.number}"
    for name, content in [
        ("evil.jpg", b"<script>alert(1)</script>"),
        ("fake.pdf", b"%PDX not a pdf"),
        ("huge.pdf", b"%PDF-" + b"0" * int(app.state.settings.support_pdf_max_mb * 1_000_000)),
    ]:
        response = await post_multipart(
            client, path, {"body": "Look at this", "client_key": name}, [(name, content, "x/y")]
        )
        assert response.status_code == 422, name
        assert "Look at this" in response.text and errors_in(response.text), name
    too_many = [(f"{n}.pdf", b"%PDF-1.4", "application/pdf") for n in range(5)]
    response = await post_multipart(client, path, {"body": "Many", "client_key": "m"}, too_many)
    assert response.status_code == 422 and "at most 4 files" in response.text
    assert not await ConversationAttachment.count().where(
        ConversationAttachment.message.is_in(
            ConversationMessage.select(ConversationMessage.id).where(
                ConversationMessage.conversation == conversation.id
            )
        )
    )
    empty = await post_multipart(client, path, {"body": "", "client_key": "e"})
    assert empty.status_code == 422 and errors_in(empty.text)


async def test_help_with_an_order_is_the_owners_only(app: Litestar, client: Client) -> None:
    product = await new_product(3)
    shopper = await verified_account(client)
    await bought(shopper, product)
    order = await Order.objects().where(Order.account == shopper.id).first()
    order_page = await client.get(f"/account/orders/{order.number}")
    assert f'href="/support/new?order={order.number}"' in order_page.text
    form = await client.get(f"/support/new?order={order.number}")
    assert form.status_code == 200 and "A part arrived damaged" in form.text
    no_reason = await post_multipart(
        client, "/support/new", {"order": order.number, "body": "Broken", "client_key": "r0"}
    )
    assert no_reason.status_code == 422 and "Broken" in no_reason.text
    conversation = await start(client, order=order.number, reason="damaged")
    assert conversation.topic == "order" and conversation.reason == "damaged"
    assert conversation.order == order.id
    async with AsyncTestClient(app=app) as other:
        await verified_account(other)
        assert (await other.get(f"/support/new?order={order.number}")).status_code == 404
        refused = await post_multipart(
            other,
            "/support/new",
            {"order": order.number, "reason": "damaged", "body": "Mine?", "client_key": "o"},
        )
        assert refused.status_code == 404


async def test_a_visitors_message_waits_for_the_confirmed_email(
    app: Litestar, client: Client
) -> None:
    """Policy §1(1)2: an email asked to verify membership before customer service answers."""
    email = new_email("visitor")
    refused = await post_multipart(
        client, "/support/new", {"email": "not-an-email", "body": "Hello", "client_key": "v0"}
    )
    assert refused.status_code == 422 and "Hello" in refused.text
    conversation = await start(client, email=email, topic="general", body="Price for 500?")
    assert conversation.account is None and conversation.status == "unverified"
    [link] = await links_mailed_to(email, support.VERIFY_KIND)
    page = await client.get(local(link))
    assert page.status_code == 200 and 'action="/support/verify"' in page.text
    # A GET changes nothing (mail scanners open links).
    stored = await Conversation.objects().where(Conversation.id == conversation.id).first()
    assert stored.status == "unverified"
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    confirmed = await post_form(client, "/support/verify", {"token": token})
    assert confirmed.status_code == 303
    target = confirmed.headers["location"]
    assert target.startswith("/support/c/") and "notice=verified" in target
    stored = await Conversation.objects().where(Conversation.id == conversation.id).first()
    assert stored.status == "waiting_for_staff" and stored.verified_at is not None
    shown = await client.get(target)
    assert "Price for 500?" in shown.text and "Your email is confirmed" in shown.text
    await support.post_message(app.state.settings, conversation.id, author="staff", body="4.10")
    assert "4.10" in (await client.get(target.split("?")[0])).text
    bad = await client.get("/support/verify?token=forged")
    assert bad.status_code == 400
    assert (await client.get("/support/c/forged")).status_code == 404


async def test_rate_limits_on_new_conversations(app: Litestar, client: Client) -> None:
    email = new_email("flood")
    for number in range(support_chat.NEW_PER_EMAIL.attempts):
        await start(client, email=email, body=f"Question {number}")
    flooded = await post_multipart(
        client, "/support/new", {"email": email, "body": "Again", "client_key": "f"}
    )
    assert flooded.status_code == 429 and "Too many attempts" in flooded.text
    assert "Again" in flooded.text
    assert len(await links_mailed_to(email, support.VERIFY_KIND)) == 5
    await rate_limits.forget(support_chat.NEW_PER_EMAIL, email)


async def test_files_go_with_erasure_and_retention(app: Litestar, client: Client) -> None:
    settings = app.state.settings
    shopper = await verified_account(client)
    conversation = await start(client)
    await post_multipart(
        client,
        f"/account/support/{conversation.number}",
        {"body": "Photo", "client_key": "e1"},
        [("p.png", photo_with_exif(), "image/png")],
    )
    [row] = await ConversationAttachment.select(ConversationAttachment.path).where(
        ConversationAttachment.message.is_in(
            ConversationMessage.select(ConversationMessage.id).where(
                ConversationMessage.conversation == conversation.id
            )
        )
    )
    stored: Path = support_files.folder(settings) / row["path"]
    assert stored.exists()
    await erasure.erase_account(shopper.id, settings=settings, reason="test")
    assert not await Account.exists().where(Account.id == shopper.id)
    assert not stored.exists()

    # Retention: a closed conversation past its period goes, with its files.
    async with AsyncTestClient(app=app) as other:
        await verified_account(other)
        old = await start(other)
        await post_multipart(
            other,
            f"/account/support/{old.number}",
            {"body": "Photo", "client_key": "e2"},
            [("p.jpg", photo_with_exif(), "image/jpeg")],
        )
    [row] = await ConversationAttachment.select(ConversationAttachment.path).where(
        ConversationAttachment.message.is_in(
            ConversationMessage.select(ConversationMessage.id).where(
                ConversationMessage.conversation == old.id
            )
        )
    )
    kept = support_files.folder(settings) / row["path"]
    await support.set_status(settings, old.id, "closed", by="staff")
    import datetime as dt

    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=settings.retention_support_days + 1)
    assert kept.exists()
    counts = await retention.run(settings, now=later)
    assert counts["support_conversations"] >= 1
    assert not await Conversation.exists().where(Conversation.id == old.id)
    assert not kept.exists()


async def test_the_reply_email_links_to_the_page(app: Litestar, client: Client) -> None:
    shopper = await verified_account(client)
    conversation = await start(client)
    await support.post_message(app.state.settings, conversation.id, author="staff", body="Hi")
    [mail] = await OutboxMessage.select(OutboxMessage.text_body).where(
        (OutboxMessage.kind == support.REPLY_KIND) & (OutboxMessage.recipient == shopper.email)
    )
    path = f"/account/support/{conversation.number}"
    assert path in mail["text_body"]
    assert (await client.get(path)).status_code == 200


async def test_chat_records_are_kept_and_in_the_data_download(
    app: Litestar, client: Client
) -> None:
    """Policy §1(1)2: the records of chats with customer service are kept (until the retention
    period after closing), in the shopper's data download, with their files named."""
    import datetime as dt

    from okmarts.services import privacy_export

    settings = app.state.settings
    shopper = await verified_account(client)
    conversation = await start(client, body="Kept record")
    await post_multipart(
        client,
        f"/account/support/{conversation.number}",
        {"body": "With a photo", "client_key": "d1"},
        [("dent.jpg", photo_with_exif(), "image/jpeg")],
    )
    await support.post_message(settings, conversation.id, author="staff", body="Noted")
    await support.set_status(settings, conversation.id, "closed", by="staff")
    almost = dt.datetime.now(dt.UTC) + dt.timedelta(days=settings.retention_support_days - 1)
    await retention.run(settings, now=almost)
    assert await Conversation.exists().where(Conversation.id == conversation.id)
    exported = str((await privacy_export.collect_export(shopper.id))["customer_service.json"])
    for text in (conversation.number, "Kept record", "With a photo", "Noted", "dent.jpg"):
        assert text in exported, text


async def test_contact_us_with_a_photo_and_the_message_rate_limit(
    app: Litestar, client: Client
) -> None:
    shopper = await verified_account(client)
    page = await client.get("/support/new")
    assert page.status_code == 200 and 'name="topic"' in page.text and 'name="files"' in page.text
    key = uuid.uuid4().hex
    for _ in range(2):  # a double submit: one conversation, one file
        response = await post_multipart(
            client,
            "/support/new",
            {"topic": "general", "body": "See the dent", "client_key": key},
            [("dent.png", photo_with_exif(), "image/png")],
        )
        assert response.status_code == 303
    rows = await Conversation.select(Conversation.id).where(Conversation.account == shopper.id)
    assert len(rows) == 1
    files = await ConversationAttachment.count().where(
        ConversationAttachment.message.is_in(
            ConversationMessage.select(ConversationMessage.id).where(
                ConversationMessage.conversation == rows[0]["id"]
            )
        )
    )
    assert files == 1

    number = response.headers["location"].split("/")[-1].split("?")[0]
    subject = f"account:{shopper.id}"
    for _ in range(support_chat.MESSAGES_PER_SUBJECT.attempts):
        await rate_limits.consume((support_chat.MESSAGES_PER_SUBJECT, subject))
    limited = await post_multipart(
        client, f"/account/support/{number}", {"body": "One more", "client_key": "rl"}
    )
    assert limited.status_code == 429 and "Too many attempts" in limited.text
    assert "One more" in limited.text
