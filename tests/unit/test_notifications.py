"""Notifications through HTTP: the message center (own entries only, read, paged, the header's
count), the settings page (kept, fixed rows with their reason, marketing logged as consent),
and the outbox refusing what the shopper did not choose — also for mail already queued."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.db import write_transaction
from okmarts.services import message_center, messaging, notifications, order_status, privacy
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.notifications import Notification, NotificationSubscription
from okmarts.tables.privacy import ConsentEvent, PrivacyRequest
from tests.states.accounts import post_form, verified_account
from tests.states.orders import checkout_fields, place_order

Client = AsyncTestClient[Litestar]
UNREAD = re.compile(r'id="unread-count" class="unread-count">(\d+)<span')


async def _entry(account_id: int, title: str = "Hello") -> int:
    async with write_transaction(Notification._meta.db):
        return await message_center.record(
            account_id, notifications.ORDERS, "order_status", title, "Body", "/account/orders"
        )


async def _answer_question(account: Account, answer: str = "Yes") -> int | None:
    """A customer-service reply to this account, queued as moderation.answer would."""
    async with write_transaction(OutboxMessage._meta.db):
        return await messaging.enqueue_email(
            kind="question_answered",
            recipient=account.email,
            locale="en",
            account_id=account.id,
            context={
                "product_title": "Relay",
                "question": "Does it fit?",
                "answer": answer,
                "updated": False,
                "link": "http://shop.test/products/relay#questions",
            },
        )


async def test_an_order_status_change_lands_in_the_message_center_with_the_header_count(
    client: Client, app: Litestar
) -> None:
    account = await verified_account(client)
    product = await Product.select(Product.id, Product.title).where(Product.stock > 5).first()
    fields = checkout_fields("")
    del fields["checkout_key"]
    order = await place_order(client, product, fields)
    await order_status.change_status(
        order.id, "shipped", actor="staff", settings=app.state.settings, tracking_number="TR1"
    )
    page = await client.get("/account/messages")
    assert page.status_code == 200
    assert f"Order {order.number}: Shipped" in page.text
    titles = await Notification.select(Notification.title, Notification.type).where(
        Notification.account == account.id
    )
    assert {row["type"] for row in titles} == {"orders"}
    assert len(titles) == 2  # the confirmation and the status change
    assert UNREAD.findall(page.text) == ["2"]
    # The outbox row carries its type, for the sender's second look.
    kinds = await OutboxMessage.select(OutboxMessage.notification_type).where(
        OutboxMessage.account == account.id
    )
    assert {row["notification_type"] for row in kinds} == {"orders", "account"}


async def test_reading_and_marking_as_read_and_only_ones_own(client: Client, app: Litestar) -> None:
    ann = await verified_account(client)
    first, second = await _entry(ann.id, "First news"), await _entry(ann.id, "Second news")
    async with AsyncTestClient(app=app) as other:
        bob = await verified_account(other)
        bobs = await _entry(bob.id, "Bob's news")
        # Bob can neither read nor mark Ann's entries: not found.
        assert (await other.get(f"/account/messages/{first}")).status_code == 404
        refused = await post_form(other, f"/account/messages/{first}/read")
        assert refused.status_code == 404
        assert "First news" not in (await other.get("/account/messages")).text
        # Mark all as read marks only Bob's.
        await post_form(other, "/account/messages/read-all")
    assert (await Notification.select().where(Notification.id == first).first())["read_at"] is None
    assert (await Notification.select().where(Notification.id == bobs).first())["read_at"]
    page = await client.get("/account/messages")
    assert page.text.index("Second news") < page.text.index("First news")  # newest first
    assert UNREAD.findall(page.text) == ["2"] and "Bob" not in page.text
    # Opening an entry marks it read.
    opened = await client.get(f"/account/messages/{first}")
    assert opened.status_code == 200 and "First news" in opened.text
    assert UNREAD.findall(opened.text) == ["1"]
    # Plain form: 303 back; htmx: the list and the header's count out of band.
    response = await post_form(client, f"/account/messages/{second}/read", {"page": "1"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/account/messages?page=1")
    assert await message_center.unread_count(ann.id) == 0
    third = await _entry(ann.id, "Third news")
    fragment = await post_form(
        client,
        f"/account/messages/{third}/read",
        headers={"HX-Request": "true", "HX-Target": "message-list"},
    )
    assert fragment.status_code == 200
    assert 'id="message-list"' in fragment.text and "<html" not in fragment.text
    assert 'id="unread-count" class="unread-count" hx-swap-oob="true">0' in fragment.text
    # Without the CSRF token, nothing is marked.
    fourth = await _entry(ann.id, "Fourth news")
    forged = await client.post(f"/account/messages/{fourth}/read", follow_redirects=False)
    assert forged.status_code == 403
    assert await message_center.unread_count(ann.id) == 1


async def test_the_message_center_is_paged(client: Client) -> None:
    account = await verified_account(client)
    for number in range(message_center.PER_PAGE + 3):
        await _entry(account.id, f"News number {number:02d}")
    first = await client.get("/account/messages")
    assert f"News number {message_center.PER_PAGE + 2:02d}" in first.text
    assert "News number 00" not in first.text and 'rel="next"' in first.text
    second = await client.get("/account/messages?page=2")
    assert "News number 00" in second.text and 'rel="prev"' in second.text
    assert (await client.get("/account/messages?page=x")).status_code == 200


async def test_visitors_are_sent_to_sign_in(client: Client) -> None:
    for path in ("/account/messages", "/account/notifications"):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code in (302, 303) and "/login" in response.headers["location"]


async def test_settings_are_kept_and_an_unchosen_type_is_never_queued(client: Client) -> None:
    account = await verified_account(client)
    page = await client.get("/account/notifications")
    assert page.status_code == 200
    # Order updates: checked, disabled, and why.
    assert re.search(r'name="orders:email" value="on"[^>]*checked disabled', page.text)
    assert "can&#39;t be turned off" in page.text or "can't be turned off" in page.text
    # Newsletter: off and disabled without marketing consent, with the way to give it.
    assert re.search(r'name="newsletter:email" value="on"[^>]*disabled', page.text)
    assert not re.search(r'name="newsletter:email" value="on"[^>]*checked', page.text)
    assert "/account/privacy#privacy-consents" in page.text
    # Customer-service replies: on by default; turned off by email, kept in the center.
    assert re.search(r'name="service_replies:email" value="on"[^>]*checked', page.text)
    response = await post_form(
        client,
        "/account/notifications",
        {"service_replies:center": "on", "policy_changes:email": "on"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account/notifications?notice=saved"
    again = await client.get(response.headers["location"])
    assert "Your notification settings are saved." in again.text
    assert not re.search(r'name="service_replies:email" value="on"[^>]*checked', again.text)
    assert re.search(r'name="service_replies:center" value="on"[^>]*checked', again.text)
    assert re.search(r'name="orders:email" value="on"[^>]*checked disabled', again.text)
    assert await _answer_question(account) is None  # no email queued...
    assert not await OutboxMessage.exists().where(
        (OutboxMessage.account == account.id) & (OutboxMessage.kind == "question_answered")
    )
    # ...but the message center has it.
    assert await Notification.exists().where(
        (Notification.account == account.id) & (Notification.type == "service_replies")
    )
    # htmx: the form swaps itself.
    fragment = await post_form(client, "/account/notifications", {}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and 'id="notification-settings"' in fragment.text
    assert "<html" not in fragment.text
    rows = await NotificationSubscription.select().where(
        NotificationSubscription.account == account.id
    )
    assert {(r["type"], r["channel"], r["enabled"]) for r in rows} >= {
        ("service_replies", "email", False),
        ("service_replies", "center", False),
    }


async def test_a_withdrawal_stops_mail_already_queued(client: Client, app: Litestar) -> None:
    account = await verified_account(client)
    queued = await _answer_question(account)
    assert queued is not None
    await post_form(client, "/account/notifications", {})  # everything optional off
    report = await messaging.send_due_mail(app.state.settings)
    row = await OutboxMessage.select().where(OutboxMessage.id == queued).first()
    assert row["sent_at"] is None and row["withheld_at"] is not None
    assert row["last_error"] == "withheld: not-chosen"
    assert report.remaining == 0
    # And it stays unsent on the next pass.
    await messaging.send_due_mail(app.state.settings)
    assert (await OutboxMessage.select().where(OutboxMessage.id == queued).first())[
        "sent_at"
    ] is None


async def test_marketing_subscription_changes_are_logged_as_consents(client: Client) -> None:
    account = await verified_account(client)
    await privacy.set_consent(account, "marketing_email", True)
    page = await client.get("/account/notifications")
    # With consent, the newsletter is on by default and may be changed.
    assert re.search(r'name="newsletter:email" value="on"[^>]*checked>', page.text)
    await post_form(client, "/account/notifications", {"newsletter:center": "on"})
    events = await ConsentEvent.select(ConsentEvent.consent, ConsentEvent.granted).where(
        ConsentEvent.account == account.id
    )
    assert {"consent": "notifications:newsletter:email", "granted": False} in events
    assert await PrivacyRequest.exists().where(
        (PrivacyRequest.account == account.id)
        & (PrivacyRequest.kind == "withdraw")
        & (PrivacyRequest.details == "notifications:newsletter:email")
    )
    decision = await notifications.may_send(account.id, notifications.NEWSLETTER, "email")
    assert decision == notifications.Decision(False, "not-chosen")
    # The privacy center lists the withdrawal by the type's name.
    center = await client.get("/account/privacy")
    requests = center.text[center.text.index('id="privacy-requests"') :]
    assert "Newsletter and promotions" in requests and "notifications:" not in requests
    # Objecting to direct marketing turns the whole row off, whatever was chosen.
    await privacy.set_switches(account, restrict=False, object_marketing=True)
    page = await client.get("/account/notifications")
    assert re.search(r'name="newsletter:center" value="on"[^>]*disabled', page.text)
    assert "Not sent while you object to direct marketing." in page.text
    decision = await notifications.may_send(account.id, notifications.NEWSLETTER, "center")
    assert decision == notifications.Decision(False, "objection")
    account_row = await Account.select(Account.id).where(Account.id == account.id).first()
    assert account_row


async def test_secret_links_stay_in_the_email_not_in_the_message_center(client: Client) -> None:
    """A password reset lands in the message center as a notice linking to the security page;
    its one-time link (a secret) is only in the email."""
    account = await verified_account(client)
    await post_form(client, "/password-reset", {"email": account.email})
    [row] = await Notification.select().where(
        (Notification.account == account.id) & (Notification.kind == "password_reset")
    )
    assert row["link"] == "/account/security" and row["type"] == "account"
    assert "token" not in row["body"] and "http" not in row["body"]
    mail = await OutboxMessage.select(OutboxMessage.text_body).where(
        (OutboxMessage.account == account.id) & (OutboxMessage.kind == "password_reset")
    )
    assert "token=" in mail[0]["text_body"]
    page = await client.get(f"/account/messages/{row['id']}")
    assert "Someone (we hope you) asked to reset the password" in page.text
    assert 'href="/account/security"' in page.text
