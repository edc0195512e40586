"""Newsletters (issue #17) and unsubscribing: RFC 8058 headers on every email that is not
transactional, the one-click unsubscribe without signing in (a consent withdrawal, effective for
mail already queued), queueing in chunks, pacing, pause and resume, concurrent workers, an SMTP
outage mid-send, and 10,000 recipients queued in bounded time and memory."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import tracemalloc
import uuid
from dataclasses import replace
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.app import bind_tables
from okmarts.db import write_transaction
from okmarts.services import messaging, newsletters, notifications, unsubscribe
from okmarts.settings import PROJECT_DIR, Settings
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Category
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.newsletters import Newsletter, NewsletterDelivery, NewsletterTranslation
from okmarts.tables.notifications import Follow, NotificationSubscription
from okmarts.tables.privacy import ConsentEvent, PrivacyRequest
from tests.conftest import TestDatabase
from tests.smtp import SmtpSink, free_port, html_of, text_of
from tests.unit.conftest import settings_for
from tests.unit.test_email_translations import SAMPLES

AT = "@"
MAIL_FROM = f"Okmarts <mailer{AT}okmarts.example>"
Client = AsyncTestClient[Litestar]


@pytest.fixture(autouse=True)
def tables(seeded_database: TestDatabase) -> None:
    bind_tables(seeded_database.url)
    messaging.configure_email_rendering(PROJECT_DIR / "locales")


def smtp_settings(database: TestDatabase, sink: SmtpSink, **changes: Any) -> Settings:
    return replace(
        settings_for(database),
        smtp_url=sink.url,
        mail_from=MAIL_FROM,
        base_url="https://shop.example.test",
        **changes,
    )


async def make_accounts(
    count: int, *, consent: bool = True, locale: str = "en", tag: str = "nl"
) -> list[Account]:
    now = dt.datetime.now(dt.UTC)
    rows = [
        Account(
            email=f"{tag}-{uuid.uuid4().hex[:12]}{AT}example.com",
            password_hash="x",
            policy_version="test",
            email_verified_at=now,
            locale=locale,
            marketing_email_consent=consent,
        )
        for _ in range(count)
    ]
    found = []
    for start in range(0, count, 500):
        found += await Account.insert(*rows[start : start + 500]).returning(
            Account.id, Account.email
        )
    by_email = {row["email"]: row["id"] for row in found}
    for row in rows:
        row.id = by_email[row.email]
    return rows


async def new_category() -> int:
    slug = f"nl-{uuid.uuid4().hex[:10]}"
    [row] = await Category.insert(Category(name=slug, slug=slug)).returning(Category.id)
    return int(row["id"])


async def follow(category_id: int, accounts: list[Account]) -> None:
    for start in range(0, len(accounts), 500):
        await Follow.insert(
            *(Follow(account=a.id, category=category_id) for a in accounts[start : start + 500])
        )


async def make_newsletter(category_id: int | None, **texts: tuple[str, str]) -> int:
    [row] = await Newsletter.insert(
        Newsletter(
            name="Spring",
            audience="category" if category_id else "newsletter",
            category=category_id,
            created_by="staff" + AT + "okmarts.example",
        )
    ).returning(Newsletter.id)
    texts = texts or {"en": ("Spring relays", "New relays are in.\n\nCome & see <them>.")}
    await NewsletterTranslation.insert(
        *(
            NewsletterTranslation(newsletter=row["id"], locale=locale, subject=s, body=b)
            for locale, (s, b) in texts.items()
        )
    )
    return int(row["id"])


async def send_all(settings: Settings, now: dt.datetime, rounds: int = 50) -> None:
    for _ in range(rounds):
        report = await messaging.send_due_mail(settings, now=now, limit=1000)
        if report.sent + report.failed == 0:
            return


def later(minutes: float = 0) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)


# -- RFC 8058 headers and the footer -----------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    sorted(k for k, t in notifications.KIND_TYPES.items() if not notifications.is_transactional(t)),
)
async def test_every_email_that_is_not_transactional_carries_one_click_unsubscribe(
    seeded_database: TestDatabase, smtp_server: SmtpSink, kind: str
) -> None:
    [account] = await make_accounts(1)
    if notifications.KIND_TYPES[kind] == notifications.FOLLOWS:
        # Product news is on once the shopper follows something (here: chosen outright).
        await NotificationSubscription.insert(
            NotificationSubscription(
                account=account.id, type=notifications.FOLLOWS, channel="email", enabled=True
            )
        )
    context = SAMPLES.get(kind) or {
        "newsletter_subject": "News",
        "paragraphs": ["Hello"],
    }
    async with write_transaction(OutboxMessage._meta.db):
        queued = await messaging.enqueue_email(
            kind=kind, recipient=account.email, locale="en", context=context, account_id=account.id
        )
    assert queued is not None
    settings = smtp_settings(seeded_database, smtp_server)
    await send_all(settings, dt.datetime.now(dt.UTC))  # every due message, however many
    [mail] = smtp_server.to(account.email)
    header = mail["List-Unsubscribe"]
    assert header.startswith("<mailto:unsubscribe" + AT + "okmarts.example?subject=")
    assert ", <https://shop.example.test/unsubscribe/" in header
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = header.split(", <", 1)[1].rstrip(">")
    assert link in text_of(mail) and link in html_of(mail)
    assert "https://shop.example.test/account/notifications" in text_of(mail)


async def test_transactional_email_links_to_the_settings_not_to_unsubscribe(
    seeded_database: TestDatabase, smtp_server: SmtpSink
) -> None:
    [account] = await make_accounts(1)
    async with write_transaction(OutboxMessage._meta.db):
        await messaging.enqueue_email(
            kind="password_reset",
            recipient=account.email,
            locale="en",
            context=SAMPLES["password_reset"],
            account_id=account.id,
        )
    await messaging.send_due_mail(smtp_settings(seeded_database, smtp_server))
    [mail] = smtp_server.to(account.email)
    assert mail["List-Unsubscribe"] is None and mail["List-Unsubscribe-Post"] is None
    assert "/unsubscribe/" not in text_of(mail) + html_of(mail)
    assert "https://shop.example.test/account/notifications" in html_of(mail)


# -- Unsubscribing without signing in -----------------------------------------------------------


def token_for(app: Litestar, account: Account, type_code: str) -> str:
    return unsubscribe.make_link_token(
        app.state.settings.secret_key, account.id, account.created_at, type_code
    )


async def reloaded(account: Account) -> Account:
    found = await Account.objects().where(Account.id == account.id).first()
    assert found is not None
    return found


async def test_one_click_post_unsubscribes_and_is_a_consent_withdrawal(
    app: Litestar, client: Client
) -> None:
    [account] = await make_accounts(1)
    account = await reloaded(account)
    token = token_for(app, account, notifications.NEWSLETTER)

    page = await client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200
    assert "Newsletter and promotions" in page.text
    state = await notifications.state_of(account.id)
    assert state is not None
    assert notifications.decide(state, notifications.NEWSLETTER, notifications.EMAIL).allowed, (
        "a GET never unsubscribes"
    )

    # A mail client's RFC 8058 POST: no cookie, no CSRF token, just this body.
    async with AsyncTestClient(app=app) as mail_client:
        answer = await mail_client.post(
            f"/unsubscribe/{token}",
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code in (200, 303)
    state = await notifications.state_of(account.id)
    assert state is not None
    assert not notifications.decide(state, notifications.NEWSLETTER, notifications.EMAIL).allowed
    events = await ConsentEvent.select().where(ConsentEvent.account == account.id)
    assert [(e["consent"], e["granted"]) for e in events] == [
        ("notifications:newsletter:email", False)
    ]
    withdrawals = await PrivacyRequest.select().where(
        (PrivacyRequest.account == account.id) & (PrivacyRequest.kind == "withdraw")
    )
    assert len(withdrawals) == 1

    done = await client.get(f"/unsubscribe/{token}?done=one")
    assert "you will no longer get" in done.text
    assert "Unsubscribe from everything" in done.text

    everything = await client.post(f"/unsubscribe/{token}", data={"scope": "all"})
    assert everything.status_code == 200  # after the 303
    choices = await NotificationSubscription.select().where(
        (NotificationSubscription.account == account.id)
        & (NotificationSubscription.channel == "email")
        & (NotificationSubscription.enabled == False)
    )
    assert {c["type"] for c in choices} >= {"newsletter", "service_replies", "watched_parts"}


@pytest.mark.parametrize("token", ["nonsense", "a" * 300])
async def test_a_bad_link_is_a_clear_400(client: Client, token: str) -> None:
    for answer in (
        await client.get(f"/unsubscribe/{token}"),
        await client.post(f"/unsubscribe/{token}", data={}),
    ):
        assert answer.status_code == 400
        assert "This unsubscribe link is not valid" in answer.text


async def test_a_link_for_a_transactional_type_or_another_secret_is_refused(
    app: Litestar, client: Client
) -> None:
    [account] = await make_accounts(1)
    account = await reloaded(account)
    forged = unsubscribe.make_link_token(
        "another-secret", account.id, account.created_at, "newsletter"
    )
    orders = token_for(app, account, notifications.ORDERS)
    for token in (forged, orders):
        assert (await client.post(f"/unsubscribe/{token}", data={})).status_code == 400


# -- Newsletters ---------------------------------------------------------------------------------


async def test_a_newsletter_reaches_its_audience_in_their_language_paced_and_reported(
    seeded_database: TestDatabase, smtp_server: SmtpSink
) -> None:
    category = await new_category()
    english = await make_accounts(3)
    spanish = await make_accounts(1, locale="es")
    no_consent = await make_accounts(1, consent=False)
    outsider = await make_accounts(1)  # chose the newsletter, follows nothing here
    await follow(category, [*english, *spanish, *no_consent])
    newsletter = await make_newsletter(
        category,
        en=("Spring relays", "New relays are in.\n\nCome & see <them>."),
        es=("Relés de primavera", "Llegaron relés nuevos."),
    )
    settings = smtp_settings(seeded_database, smtp_server, newsletter_rate_per_minute=12)
    now = later()
    await newsletters.schedule(newsletter, now, now=now)
    assert await newsletters.run_due(settings, now) == 4

    # 12 a minute: 2 every 10 seconds.
    times = sorted(
        row["send_after"]
        for row in await OutboxMessage.select(OutboxMessage.send_after).where(
            newsletters._of_newsletter(newsletter)
        )
    )
    assert [(t - now).total_seconds() for t in times] == [0, 0, 10, 10]
    await send_all(settings, now)
    assert (await newsletters.report(newsletter)).sent == 2
    await send_all(settings, now + dt.timedelta(seconds=10))
    await newsletters.run_due(settings, now + dt.timedelta(seconds=10))

    for account in english:
        [mail] = smtp_server.to(account.email)
        assert mail["Subject"] == "Spring relays"
        assert "Come &amp; see &lt;them&gt;." in html_of(mail)
        assert "Come & see <them>." in text_of(mail)
    [mail] = smtp_server.to(spanish[0].email)
    assert mail["Subject"] == "Relés de primavera"
    assert smtp_server.to(no_consent[0].email) == []
    assert smtp_server.to(outsider[0].email) == []
    report = await newsletters.report(newsletter)
    assert (report.status, report.queued, report.sent, report.failed) == ("sent", 4, 4, 0)


async def test_unsubscribing_after_queueing_withholds_what_is_not_sent_yet(
    app: Litestar, client: Client, seeded_database: TestDatabase, smtp_server: SmtpSink
) -> None:
    category = await new_category()
    stays, leaves = await make_accounts(2)
    await follow(category, [stays, leaves])
    newsletter = await make_newsletter(category)
    settings = smtp_settings(seeded_database, smtp_server)
    now = later()
    await newsletters.schedule(newsletter, now, now=now)
    await newsletters.run_due(settings, now)
    leaves = await reloaded(leaves)
    answer = await client.post(
        f"/unsubscribe/{token_for(app, leaves, 'newsletter')}",
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code in (200, 303)
    await send_all(settings, now)
    await newsletters.run_due(settings, now)
    assert len(smtp_server.to(stays.email)) == 1
    assert smtp_server.to(leaves.email) == []
    report = await newsletters.report(newsletter)
    assert (report.status, report.sent, report.unsubscribed) == ("sent", 1, 1)


async def test_pause_stops_and_resume_goes_on(
    seeded_database: TestDatabase, smtp_server: SmtpSink
) -> None:
    category = await new_category()
    readers = await make_accounts(6)
    await follow(category, readers)
    newsletter = await make_newsletter(category)
    settings = smtp_settings(seeded_database, smtp_server, newsletter_rate_per_minute=12)
    now = later()
    await newsletters.schedule(newsletter, now, now=now)
    await newsletters.run_due(settings, now)
    await send_all(settings, now)  # the first slot: 2
    await newsletters.pause(newsletter, now=now)
    await send_all(settings, now + dt.timedelta(hours=1))
    assert (await newsletters.report(newsletter)).sent == 2
    with pytest.raises(newsletters.NewsletterRefused):
        await newsletters.pause(newsletter, now=now)
    resumed = now + dt.timedelta(hours=2)
    await newsletters.resume(settings, newsletter, now=resumed)
    await send_all(settings, resumed + dt.timedelta(seconds=20))
    await newsletters.run_due(settings, resumed + dt.timedelta(seconds=20))
    assert all(len(smtp_server.to(r.email)) == 1 for r in readers)
    assert (await newsletters.report(newsletter)).status == "sent"


async def test_two_workers_queue_and_send_each_reader_exactly_once(
    seeded_database: TestDatabase, smtp_server: SmtpSink
) -> None:
    category = await new_category()
    readers = await make_accounts(1200)  # more than two chunks
    await follow(category, readers)
    newsletter = await make_newsletter(category)
    settings = smtp_settings(seeded_database, smtp_server, newsletter_rate_per_minute=100_000)
    now = later()
    await newsletters.schedule(newsletter, now, now=now)
    first, second = await asyncio.gather(
        newsletters.run_due(settings, now), newsletters.run_due(settings, now)
    )
    assert first + second == len(readers)
    assert await NewsletterDelivery.count().where(
        NewsletterDelivery.newsletter == newsletter
    ) == len(readers)
    # A restart with an expired claim queues nobody again.
    await Newsletter.update({Newsletter.status: "queueing", Newsletter.queued_all: False}).where(
        Newsletter.id == newsletter
    )
    assert await newsletters.run_due(settings, now + dt.timedelta(minutes=5)) == 0
    for _ in range(20):
        a, b = await asyncio.gather(
            messaging.send_due_mail(settings, now=now + dt.timedelta(minutes=5), limit=100),
            messaging.send_due_mail(settings, now=now + dt.timedelta(minutes=5), limit=100),
        )
        if a.sent + b.sent == 0:
            break
    received = [
        m for m in smtp_server.messages if m["Message-ID"].startswith(f"<newsletter-{newsletter}-")
    ]
    assert len(received) == len(readers)
    assert len({m["To"] for m in received}) == len(readers)
    await Account.delete().where(Account.id.is_in([r.id for r in readers]))


async def test_smtp_server_down_mid_send_every_reader_gets_exactly_one(
    seeded_database: TestDatabase, smtp_server: SmtpSink
) -> None:
    category = await new_category()
    readers = await make_accounts(30)
    await follow(category, readers)
    newsletter = await make_newsletter(category)
    up = smtp_settings(seeded_database, smtp_server, newsletter_rate_per_minute=60)
    down = replace(up, smtp_url=f"smtp://127.0.0.1:{free_port()}")  # nothing listens there
    now = later()
    await newsletters.schedule(newsletter, now, now=now)
    await newsletters.run_due(up, now)
    await send_all(up, now + dt.timedelta(seconds=10))  # the first two slots go out
    sent_before = (await newsletters.report(newsletter)).sent
    assert 0 < sent_before < len(readers)
    await send_all(down, now + dt.timedelta(seconds=20), rounds=1)  # the server went away
    report = await newsletters.report(newsletter)
    assert report.retrying > 0 and report.sent == sent_before
    await send_all(up, now + dt.timedelta(hours=2))  # back, and past every back-off
    await newsletters.run_due(up, now + dt.timedelta(hours=2))
    for reader in readers:
        assert len(smtp_server.to(reader.email)) == 1, reader.email
    assert (await newsletters.report(newsletter)).status == "sent"


async def test_ten_thousand_readers_are_queued_in_bounded_time_and_memory(
    seeded_database: TestDatabase,
) -> None:
    category = await new_category()
    readers = await make_accounts(10_000, tag="tenk")
    await follow(category, readers)
    newsletter = await make_newsletter(category)
    settings = replace(settings_for(seeded_database), base_url="https://shop.example.test")
    now = later()
    await newsletters.schedule(newsletter, now, now=now)
    readers_ids = [r.id for r in readers]
    del readers
    tracemalloc.start()
    started = time.perf_counter()
    queued = await newsletters.run_due(settings, now)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"\n10,000 readers queued in {seconds:.1f} s, peak {peak / 1e6:.1f} MB traced "
        f"({seeded_database.backend})"
    )
    assert queued == 10_000
    assert seconds < 120
    assert peak < 40e6, "memory grows with the chunk, not with the audience"
    # Paced: 600 a minute spreads them over about 17 minutes.
    last = (
        await OutboxMessage.select(OutboxMessage.send_after)
        .where(newsletters._of_newsletter(newsletter))
        .order_by(OutboxMessage.send_after, ascending=False)
        .first()
    )
    assert last is not None
    assert 16 <= (last["send_after"] - now).total_seconds() / 60 <= 17
    await OutboxMessage.update({OutboxMessage.withheld_at: now}).where(
        newsletters._of_newsletter(newsletter)
    )
    for start in range(0, len(readers_ids), 500):
        await Account.delete().where(Account.id.is_in(readers_ids[start : start + 500]))
