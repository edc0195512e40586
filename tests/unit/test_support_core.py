"""Customer service's core rules (services/support.py): who waits for whom, a visitor's email
confirmed before staff see anything, a message stored once however often it is posted, a staff
reply and its email in one transaction, and two staff answering at once."""

from __future__ import annotations

import asyncio

import pytest
from litestar import Litestar

from okmarts.services import support
from okmarts.services.accounts import FormInvalid
from okmarts.services.tokens import TokenError
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.support import Conversation, ConversationMessage
from tests.states.accounts import new_email, verified_shopper


async def _mails(kind: str, recipient: str) -> list[dict]:
    return await OutboxMessage.select(OutboxMessage.text_body, OutboxMessage.locale).where(
        (OutboxMessage.kind == kind) & (OutboxMessage.recipient == recipient)
    )


async def test_a_shoppers_conversation_goes_back_and_forth(app: Litestar) -> None:
    settings = app.state.settings
    shopper = await verified_shopper()
    opened = await support.open_conversation(
        settings,
        account=shopper,
        email=shopper.email,
        locale="es",
        subject="  Sensor   range ",
        body="Does the BI7 sense aluminium?",
        topic="product",
    )
    assert opened.number == f"S-{opened.created_at.year}-{opened.id:06d}"
    assert opened.status == "waiting_for_staff" and opened.subject == "Sensor range"
    assert opened.waiting_since is not None

    reply = await support.post_message(
        settings, opened.id, author="staff", body="Yes, at 40 % of the range.", staff_username="ana"
    )
    assert reply.created
    stored = await Conversation.objects().where(Conversation.id == opened.id).first()
    assert stored.status == "waiting_for_shopper" and stored.waiting_since is None
    assert stored.first_answered_at is not None
    [mail] = await _mails(support.REPLY_KIND, shopper.email)
    assert "40 %" in mail["text_body"] and mail["locale"] == "es"
    assert f"/account/support/{opened.number}" in mail["text_body"]
    # The conversation's subject, not the email's own subject line.
    assert f"{opened.number} (Sensor range)" in mail["text_body"]

    # An internal note: no status change, no email.
    await support.post_message(
        settings, opened.id, author="staff", body="Checked the datasheet.", internal=True
    )
    assert len(await _mails(support.REPLY_KIND, shopper.email)) == 1
    assert (await Conversation.objects().where(Conversation.id == opened.id).first()).status == (
        "waiting_for_shopper"
    )

    assert await support.set_status(settings, opened.id, "closed", by="ana")
    assert not await support.set_status(settings, opened.id, "closed", by="ana")
    # The shopper writes again: reopened, waiting for staff since now.
    await support.post_message(settings, opened.id, author="shopper", body="And brass?")
    stored = await Conversation.objects().where(Conversation.id == opened.id).first()
    assert stored.status == "waiting_for_staff" and stored.closed_at is None
    assert stored.waiting_since is not None


async def test_a_message_posted_twice_is_stored_once(app: Litestar) -> None:
    settings = app.state.settings
    shopper = await verified_shopper()
    first = await support.open_conversation(
        settings, account=shopper, email=shopper.email, locale="en", body="Hello", client_key="k1"
    )
    again = await support.open_conversation(
        settings, account=shopper, email=shopper.email, locale="en", body="Hello", client_key="k1"
    )
    assert again.id == first.id
    posted = await asyncio.gather(
        *(
            support.post_message(
                settings, first.id, author="shopper", body="Where?", client_key="k2"
            )
            for _ in range(4)
        )
    )
    assert len({item.message_id for item in posted}) == 1
    assert sum(item.created for item in posted) == 1
    assert (
        await ConversationMessage.count().where(ConversationMessage.conversation == first.id) == 2
    )


async def test_two_staff_answering_at_once_both_land_and_each_is_mailed(app: Litestar) -> None:
    settings = app.state.settings
    shopper = await verified_shopper()
    opened = await support.open_conversation(
        settings, account=shopper, email=shopper.email, locale="en", body="Urgent: wrong part"
    )
    await asyncio.gather(
        support.post_message(
            settings, opened.id, author="staff", body="On it.", staff_username="a"
        ),
        support.post_message(
            settings, opened.id, author="staff", body="Sending.", staff_username="b"
        ),
    )
    stored = await Conversation.objects().where(Conversation.id == opened.id).first()
    assert stored.status == "waiting_for_shopper" and stored.first_answered_at is not None
    assert len(await _mails(support.REPLY_KIND, shopper.email)) == 2


async def test_a_visitor_confirms_the_email_before_staff_see_it(app: Litestar) -> None:
    settings = app.state.settings
    email = new_email("visitor")
    opened = await support.open_conversation(
        settings, account=None, email=email, locale="en", body="Do you ship to Chile?"
    )
    assert opened.status == "unverified" and opened.verified_at is None
    [mail] = await _mails(support.VERIFY_KIND, email)
    token = mail["text_body"].split("/support/verify?token=")[1].split()[0]
    with pytest.raises(support.SupportRefused):
        await support.post_message(settings, opened.id, author="staff", body="Yes.")
    with pytest.raises(TokenError):
        await support.verify(settings, token[:-2] + "xx")
    verified = await support.verify(settings, token)
    assert verified.status == "waiting_for_staff" and verified.verified_at is not None
    assert (await support.verify(settings, token)).status == "waiting_for_staff"  # idempotent
    await support.post_message(settings, opened.id, author="staff", body="Yes, by courier.")
    [reply] = await _mails(support.REPLY_KIND, email)
    visitor_link = support.conversation_path(verified, settings)
    assert visitor_link.startswith("/support/c/") and visitor_link in reply["text_body"]
    found = await support.by_visitor_token(settings, visitor_link.removeprefix("/support/c/"))
    assert found.id == opened.id


async def test_bad_input_is_refused_with_a_message(app: Litestar) -> None:
    settings = app.state.settings
    shopper = await verified_shopper()
    with pytest.raises(FormInvalid) as refused:
        await support.open_conversation(
            settings, account=shopper, email=shopper.email, locale="en", body=" "
        )
    assert "body" in refused.value.errors
    with pytest.raises(support.SupportRefused):  # not the shopper's order
        await support.open_conversation(
            settings, account=shopper, email=shopper.email, locale="en", body="Hi", order_id=10**9
        )
