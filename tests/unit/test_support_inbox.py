"""The staff's service inbox (services/support_inbox.py, admin/service.py), on both databases:
most overdue first, filters and their counts in a fixed number of queries, assignment by
conditional update, internal notes the shopper never sees (page nor data download), saved
replies validated and inserted without JavaScript, the service role's gate, a reply posted twice
stored once, two agents answering at once."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.admin.staff import MODERATOR, SERVICE, save_staff
from okmarts.services import privacy_export, returns, support
from okmarts.services import support_inbox as inbox
from okmarts.tables.checkout import OrderLine
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.support import Conversation, ConversationMessage
from okmarts.tables.support_staff import SavedReply
from tests.states.accounts import new_email, verified_account, verified_shopper
from tests.states.catalog import new_product
from tests.states.returns import delivered_order
from tests.unit.conftest import QueryCounter
from tests.unit.test_admin import sign_in

Client = AsyncTestClient[Litestar]
INBOX = "/admin/service/"
REPLIES = "/admin/service/replies/"
LONG_AGO = dt.timedelta(days=3000)  # older than anything other tests leave: first in the inbox


@contextlib.asynccontextmanager
async def agent(
    app: Litestar, roles: tuple[str, ...] = (SERVICE,)
) -> AsyncIterator[tuple[Client, str]]:
    """A signed-in staff member holding these roles, and their username."""
    async with AsyncTestClient(app=app) as client:
        email = new_email("agent")
        password = f"agent-password-{uuid.uuid4().hex[:8]}"
        await save_staff(email, password, False, roles)
        await sign_in(client, email, password)
        yield client, email


def token_of(page: str) -> str:
    found = re.search(r'name="csrftoken" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def key_of(page: str, form_id: str) -> str:
    form = page.split(f'id="{form_id}"', 1)[1]
    return re.search(r'name="client_key" value="([^"]+)"', form).group(1)


async def post(client: Client, page_url: str, action: str, **fields: str) -> Response:
    page = await client.get(page_url)
    assert page.status_code == 200, page.text[:300]
    return await client.post(
        f"{page_url}{action}",
        data={"csrftoken": token_of(page.text), **fields},
        follow_redirects=False,
    )


async def conversation(
    settings, *, ago: dt.timedelta = LONG_AGO, topic: str = "general", account=None, **kw
) -> Conversation:
    shopper = account or await verified_shopper()
    return await support.open_conversation(
        settings,
        account=shopper,
        email=shopper.email,
        locale=kw.pop("locale", "en"),
        body=kw.pop("body", "Does the relay switch 10 A?"),
        topic=topic,
        now=dt.datetime.now(dt.UTC) - ago,
        **kw,
    )


async def every_id(settings, username: str, filter: str = "") -> list[int]:
    ids, page = [], 1
    while True:
        found = await inbox.inbox(settings, staff_username=username, filter=filter, page=page)
        ids += [row.id for row in found.rows]
        if page >= found.pages:
            return ids
        page += 1


async def mails_to(recipient: str) -> int:
    return await OutboxMessage.count().where(
        (OutboxMessage.kind == support.REPLY_KIND) & (OutboxMessage.recipient == recipient)
    )


async def test_the_inbox_sorts_by_overdue_and_filters(app: Litestar, queries: QueryCounter) -> None:
    async with contextlib.AsyncExitStack() as stack:
        settings = app.state.settings
        me = new_email("me")
        before = await inbox.counts(me)
        oldest = await conversation(settings, ago=LONG_AGO + dt.timedelta(days=2))
        older = await conversation(settings, ago=LONG_AGO + dt.timedelta(days=1))
        fresh = await conversation(settings, ago=dt.timedelta(minutes=5))
        answered = await conversation(settings, ago=LONG_AGO + dt.timedelta(days=3))
        await support.post_message(settings, answered.id, author="staff", body="Yes, it does.")
        closed = await conversation(settings)
        await support.set_status(settings, closed.id, "closed", by="ana")
        visitor = await support.open_conversation(
            settings, account=None, email=new_email("visitor"), locale="en", body="Unconfirmed."
        )
        shopper = await verified_shopper()
        product = await new_product(stock=3)
        order = await delivered_order(shopper, product, quantity=2)
        line = (await OrderLine.select(OrderLine.id).where(OrderLine.order == order.id).first())[
            "id"
        ]
        request = await returns.request_return(
            settings, shopper, order.number, {line: 1}, reason="damaged", note="Cracked."
        )
        complaint = await conversation(settings, topic="complaint")
        await inbox.assign(older.id, to=me, expected="", by=me)

        ids = await every_id(settings, me)
        assert visitor.id not in ids and closed.id not in ids
        # Waiting for us, the longest waiting first; waiting for the shopper after all of them.
        assert ids.index(oldest.id) < ids.index(older.id) < ids.index(fresh.id)
        assert ids.index(fresh.id) < ids.index(answered.id)
        first = await inbox.inbox(settings, staff_username=me)
        row = {r.id: r for r in first.rows}[oldest.id]
        assert row.overdue and row.timing.startswith("Overdue by ")
        fresh_row = await inbox.inbox(settings, staff_username=me, filter="waiting_for_us")
        assert fresh.id in await every_id(settings, me, "waiting_for_us")

        after = await inbox.counts(me)
        delta = {name: after[name] - before[name] for name in after}
        assert delta == {
            "": 6,
            "waiting_for_us": 5,
            "waiting_for_shopper": 1,
            "returns": 1,
            "complaints": 1,
            "mine": 1,
            "unassigned": 5,
            "closed": 1,
        }, delta
        assert await every_id(settings, me, "mine") == [older.id]
        assert await every_id(settings, me, "returns") == [request.conversation] or (
            request.conversation in await every_id(settings, me, "returns")
        )
        assert complaint.id in await every_id(settings, me, "complaints")
        assert closed.id in await every_id(settings, me, "closed")
        assert answered.id in await every_id(settings, me, "waiting_for_shopper")
        del fresh_row

        # The page: filter links with counts, overdue in words; the same number of queries
        # however many rows (counts, list: no query per row).
        staff, _username = await stack.enter_async_context(agent(app))
        queries.reset()
        page = await staff.get(INBOX)
        many = len(queries.statements)
        assert page.status_code == 200
        assert f'href="{INBOX}{oldest.id}/"' in page.text and "Overdue by " in page.text
        assert re.search(r"Waiting for us \(\d+\)", page.text)
        for _ in range(3):
            await conversation(settings)
        queries.reset()
        assert (await staff.get(INBOX)).status_code == 200
        assert len(queries.statements) == many
        mine = await staff.get(f"{INBOX}?filter=mine")
        assert "No conversation here." in mine.text
        paged = await staff.get(f"{INBOX}?page=2")
        assert paged.status_code == 200


async def test_assignment_is_a_conditional_update(app: Litestar) -> None:
    settings = app.state.settings
    ana, ben = new_email("ana"), new_email("ben")
    for email in (ana, ben):
        await save_staff(email, f"agent-password-{uuid.uuid4().hex[:8]}", False, (SERVICE,))
    case = await conversation(settings)
    # Both take it at once: one has it, the other is told.
    outcomes = await asyncio.gather(
        inbox.assign(case.id, to=ana, expected="", by=ana),
        inbox.assign(case.id, to=ben, expected="", by=ben),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, inbox.InboxRefused)]
    assert len(refused) == 1 and "meanwhile" in refused[0].text
    holder = (await Conversation.objects().where(Conversation.id == case.id).first()).assigned_to
    assert holder in (ana, ben)
    other = ben if holder == ana else ana
    with pytest.raises(inbox.InboxRefused):
        await inbox.assign(case.id, to=other, expected="", by=other)  # it was not unassigned
    with pytest.raises(inbox.InboxRefused) as not_agent:
        await inbox.assign(case.id, to="someone@example.com", expected=holder, by=holder)
    assert not_agent.value.status == 422
    moderator = new_email("mod")
    await save_staff(moderator, f"mod-password-{uuid.uuid4().hex[:8]}", False, (MODERATOR,))
    with pytest.raises(inbox.InboxRefused):
        await inbox.assign(case.id, to=moderator, expected=holder, by=holder)
    await inbox.assign(case.id, to=other, expected=holder, by=holder)
    await inbox.assign(case.id, to="", expected=other, by=other)
    lines = (
        await ConversationMessage.select(
            ConversationMessage.body,
            ConversationMessage.internal,
            ConversationMessage.staff_username,
        )
        .where(
            (ConversationMessage.conversation == case.id) & (ConversationMessage.author == "system")
        )
        .order_by(ConversationMessage.id)
    )
    assert [(r["body"], r["internal"]) for r in lines] == [
        (f"assigned:{holder}", True),
        (f"assigned:{other}", True),
        ("unassigned", True),
    ]


async def test_notes_never_reach_the_shopper(app: Litestar, client: Client) -> None:
    async with contextlib.AsyncExitStack() as stack:
        settings = app.state.settings
        shopper = await verified_account(client)
        case = await conversation(settings, account=shopper, body="Is my order on its way?")
        staff, username = await stack.enter_async_context(agent(app))
        url = f"{INBOX}{case.id}/"
        noted = await post(
            staff, url, "note/", body="Customer called twice, be kind.", client_key="n1"
        )
        assert noted.status_code == 303
        taken = await post(staff, url, "assign/", to=username, expected="")
        assert taken.status_code == 303
        page = await staff.get(url)
        assert "Customer called twice" in page.text and "Internal note" in page.text
        assert "the shopper never sees it" in page.text and f"{username} took the case" in page.text
        stored = await Conversation.objects().where(Conversation.id == case.id).first()
        assert stored.status == "waiting_for_staff" and stored.assigned_to == username
        assert await mails_to(shopper.email) == 0

        shopper_page = await client.get(f"/account/support/{case.number}")
        assert shopper_page.status_code == 200 and "Is my order on its way?" in shopper_page.text
        assert "Customer called twice" not in shopper_page.text
        assert username not in shopper_page.text and "reopened" not in shopper_page.text
        exported = str((await privacy_export.collect_export(shopper.id))["customer_service.json"])
        assert "Is my order on its way?" in exported
        assert "Customer called twice" not in exported and "assigned:" not in exported


async def test_saved_replies_are_validated_and_inserted_without_javascript(
    app: Litestar,
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        settings = app.state.settings
        staff, username = await stack.enter_async_context(agent(app))
        title = f"Delivery times {uuid.uuid4().hex[:6]}"
        empty = await post(staff, REPLIES, "", title="", body="x", locale="xx")
        assert empty.status_code == 422
        for text in (
            "Give the reply a title.",
            "Write at least 2 characters.",
            "Choose a language from the list.",
        ):
            assert text in empty.text
        long = await post(staff, REPLIES, "", title="t" * 101, body="b" * 5001, locale="")
        assert long.status_code == 422 and "at most 100 characters" in long.text
        assert "at most 5000 characters" in long.text
        added = await post(
            staff, REPLIES, "", title=title, body="We ship within 2 days.", locale=""
        )
        assert added.status_code == 303
        spanish = await post(staff, REPLIES, "", title=f"ES {title}", body="Enviamos.", locale="es")
        assert spanish.status_code == 303
        listing = await staff.get(REPLIES)
        assert title in listing.text and "We ship within 2 days." in listing.text
        [saved] = await SavedReply.select().where(SavedReply.title == title)
        assert saved["created_by"] == username and saved["locale"] == ""

        # Edit, with a validation error first.
        edit_url = f"{REPLIES}{saved['id']}/"
        bad = await post(staff, edit_url, "", title=title, body="", locale="")
        assert bad.status_code == 422 and "Write at least 2 characters." in bad.text
        changed = await post(
            staff, edit_url, "", title=title, body="We ship within 1 day.", locale=""
        )
        assert changed.status_code == 303
        assert (await inbox.saved_reply(saved["id"]))["body"] == "We ship within 1 day."

        # In an English conversation: offered (not the Spanish one); "Insert" fills the text.
        case = await conversation(settings)
        url = f"{INBOX}{case.id}/"
        page = await staff.get(url)
        assert title in page.text and f"ES {title}" not in page.text
        key = key_of(page.text, "reply-form")
        inserted = await staff.post(
            f"{url}insert/",
            data={
                "csrftoken": token_of(page.text),
                "saved_reply": str(saved["id"]),
                "body": "Hello,",
                "client_key": key,
            },
        )
        assert inserted.status_code == 200
        assert "Hello,\n\nWe ship within 1 day.</textarea>" in inserted.text
        assert key_of(inserted.text, "reply-form") == key  # the same one-time key goes on
        assert (
            await ConversationMessage.count().where(ConversationMessage.conversation == case.id)
            == 1
        )  # nothing sent
        nothing = await staff.post(
            f"{url}insert/", data={"csrftoken": token_of(page.text), "saved_reply": "", "body": ""}
        )
        assert nothing.status_code == 422 and "Choose a saved reply to insert." in nothing.text

        deleted = await post(staff, edit_url, "delete/")
        assert deleted.status_code == 303
        assert await inbox.saved_reply(saved["id"]) is None


async def test_only_service_staff_get_in(app: Litestar) -> None:
    async with contextlib.AsyncExitStack() as stack:
        settings = app.state.settings
        case = await conversation(settings)
        moderator, _ = await stack.enter_async_context(agent(app, (MODERATOR,)))
        for url in (INBOX, f"{INBOX}{case.id}/", REPLIES):
            refused = await moderator.get(url)
            assert refused.status_code == 403, url
            assert "for the service staff only" in refused.text
        forbidden = await moderator.post(f"{INBOX}{case.id}/reply/", data={"body": "Hi there"})
        assert forbidden.status_code == 403
        both, _ = await stack.enter_async_context(agent(app, (MODERATOR, SERVICE)))
        assert (await both.get(INBOX)).status_code == 200
        links = (await both.get("/admin/api/links/")).json()
        assert list(links).index("Service inbox") < list(links).index("Returns")
        assert links["Saved replies"] == REPLIES
        async with AsyncTestClient(app=app) as nobody:
            away = await nobody.get(INBOX, follow_redirects=False)
            assert away.status_code == 303 and away.headers["location"] == "/admin/"
        # A link naming the conversation's number (the returns pages have those) finds it.
        staff, _ = await stack.enter_async_context(agent(app))
        found = await staff.get(f"{INBOX}{case.number}/", follow_redirects=False)
        assert found.status_code == 303 and found.headers["location"] == f"{INBOX}{case.id}/"
        assert (await staff.get(f"{INBOX}999999999/")).status_code == 404
        forged = await staff.post(f"{INBOX}{case.id}/reply/", data={"csrftoken": "x", "body": "Hi"})
        assert forged.status_code == 403


async def test_a_reply_sent_twice_is_stored_and_mailed_once(app: Litestar) -> None:
    async with contextlib.AsyncExitStack() as stack:
        settings = app.state.settings
        shopper = await verified_shopper()
        case = await conversation(settings, account=shopper)
        staff, _username = await stack.enter_async_context(agent(app))
        url = f"{INBOX}{case.id}/"
        page = await staff.get(url)
        fields = {
            "csrftoken": token_of(page.text),
            "client_key": key_of(page.text, "reply-form"),
            "body": "It ships tomorrow.",
        }
        short = await staff.post(f"{url}reply/", data={**fields, "body": "x"})
        assert short.status_code == 422 and "Write at least 2 characters." in short.text
        assert key_of(short.text, "reply-form") == fields["client_key"]
        first, second = [
            await staff.post(f"{url}reply/", data=fields, follow_redirects=False) for _ in range(2)
        ]
        assert first.status_code == second.status_code == 303
        assert (
            await ConversationMessage.count().where(
                (ConversationMessage.conversation == case.id)
                & (ConversationMessage.author == "staff")
            )
            == 1
        )
        assert await mails_to(shopper.email) == 1
        done = await staff.get(first.headers["location"])
        assert "Your reply is sent" in done.text and "It ships tomorrow." in done.text
        assert "Waiting for the shopper" in done.text

        # Close, then reopen; closing twice says so.
        assert (await post(staff, url, "close/")).status_code == 303
        again = await post(staff, url, "close/")
        assert again.status_code == 409 and "already closed" in again.text
        stored = await Conversation.objects().where(Conversation.id == case.id).first()
        assert stored.status == "closed"
        assert (await post(staff, url, "reopen/")).status_code == 303
        stored = await Conversation.objects().where(Conversation.id == case.id).first()
        assert stored.status == "waiting_for_staff"


async def test_two_agents_answering_at_once(app: Litestar) -> None:
    async with contextlib.AsyncExitStack() as stack:
        settings = app.state.settings
        shopper = await verified_shopper()
        case = await conversation(settings, account=shopper)
        url = f"{INBOX}{case.id}/"
        (ana, _), (ben, _) = [await stack.enter_async_context(agent(app)) for _ in range(2)]
        pages = [await client.get(url) for client in (ana, ben)]
        answers = await asyncio.gather(
            *[
                client.post(
                    f"{url}reply/",
                    data={
                        "csrftoken": token_of(page.text),
                        "client_key": key_of(page.text, "reply-form"),
                        "body": f"Answer from agent {n}.",
                    },
                    follow_redirects=False,
                )
                for n, (client, page) in enumerate(zip((ana, ben), pages, strict=True))
            ]
        )
        assert [a.status_code for a in answers] == [303, 303]
        bodies = await ConversationMessage.select(ConversationMessage.body).where(
            (ConversationMessage.conversation == case.id) & (ConversationMessage.author == "staff")
        )
        assert sorted(r["body"] for r in bodies) == ["Answer from agent 0.", "Answer from agent 1."]
        stored = await Conversation.objects().where(Conversation.id == case.id).first()
        assert stored.status == "waiting_for_shopper" and stored.waiting_since is None
        assert stored.first_answered_at is not None
        assert await mails_to(shopper.email) == 2


async def test_a_case_shows_what_it_needs_and_no_more(app: Litestar) -> None:
    async with contextlib.AsyncExitStack() as stack:
        settings = app.state.settings
        shopper = await verified_shopper()
        product = await new_product(stock=3)
        order = await delivered_order(shopper, product, quantity=2)
        staff, _ = await stack.enter_async_context(agent(app))

        asked = await conversation(
            settings, account=shopper, topic="order", reason="invoice", order_id=order.id
        )
        page = await staff.get(f"{INBOX}{asked.id}/")
        assert order.number in page.text and "delivered" in page.text
        assert product["title"] in page.text and "SKU-1" in page.text
        assert shopper.email in page.text
        # Not about a return: no address; never the phone.
        assert order.line not in page.text and order.phone not in page.text

        line = (await OrderLine.select(OrderLine.id).where(OrderLine.order == order.id).first())[
            "id"
        ]
        request = await returns.request_return(
            settings, shopper, order.number, {line: 1}, reason="damaged", note="Cracked."
        )
        page = await staff.get(f"{INBOX}{request.conversation}/")
        assert order.line in page.text and order.zip_code in page.text
        assert f'href="/admin/service/returns/{request.id}/"' in page.text
        assert order.phone not in page.text
