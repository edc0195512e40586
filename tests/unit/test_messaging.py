"""The outbox: mail exists only when its change commits, and is delivered once, in its language.

Delivery goes through a real SMTP server (aiosmtpd, tests/smtp.py). The database is shared by
the whole session, so each test uses recipient addresses of its own and looks only at those.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from jinja2 import UndefinedError

from okmarts import i18n
from okmarts.app import bind_tables
from okmarts.services import messaging
from okmarts.services.messaging import (
    MailSender,
    configure_email_rendering,
    enqueue_email,
    notify_mail_queued,
    parse_smtp_url,
    send_due_mail,
)
from okmarts.settings import PROJECT_DIR, Settings
from okmarts.tables.messaging import OutboxMessage
from tests.conftest import TestDatabase, okmarts
from tests.smtp import SmtpSink, free_port, html_of, links_in, text_of
from tests.unit.conftest import settings_for


@pytest.fixture(autouse=True)
def tables(seeded_database: TestDatabase) -> None:
    # What create_app does for the outbox, without the rest of the app.
    bind_tables(seeded_database.url)
    configure_email_rendering(PROJECT_DIR / "locales")


LINK = "http://127.0.0.1:8000/account/verify?token=abc123&next=%2Faccount"
# Spelled in parts: some tools rewrite anything that looks like an address in brackets.
AT = "@"
MAIL_FROM = f"Okmarts <mailer{AT}okmarts.example>"


def address(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:10]}@example.com"


def smtp_settings(database: TestDatabase, sink: SmtpSink) -> Settings:
    return replace(settings_for(database), smtp_url=sink.url, mail_from=MAIL_FROM)


async def enqueue(recipient: str, locale: str = "en") -> int:
    return await enqueue_email(
        kind="verify_email",
        recipient=recipient,
        locale=locale,
        context={"email": recipient, "link": LINK, "days": 3},
    )


async def row_of(message_id: int) -> dict[str, Any]:
    row = await OutboxMessage.select().where(OutboxMessage.id == message_id).first()
    assert row is not None
    return row


def in_transaction() -> Any:
    return OutboxMessage._meta.db.transaction()


async def test_mail_of_a_rolled_back_change_is_never_queued() -> None:
    recipient = address("rollback")
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await enqueue(recipient)
            raise RuntimeError("the change that caused the email failed")
    assert await OutboxMessage.count().where(OutboxMessage.recipient == recipient) == 0


async def test_committed_mail_is_delivered_with_text_and_html(
    seeded_database: TestDatabase, smtp_server: SmtpSink
) -> None:
    recipient = address("ann")
    async with in_transaction():
        message_id = await enqueue(recipient)
    stored = await row_of(message_id)
    assert stored["sent_at"] is None and stored["attempts"] == 0
    assert re.fullmatch(r"<[0-9a-f]{32}@okmarts>", stored["message_id"])

    # Other tests leave mail of their own due: passes until this one went (oldest first).
    for _ in range(50):
        report = await send_due_mail(smtp_settings(seeded_database, smtp_server))
        assert report.failed == 0
        if smtp_server.to(recipient):
            break
    [mail] = smtp_server.to(recipient)
    assert mail["To"] == recipient
    assert mail["From"] == MAIL_FROM
    assert mail["Subject"] == "Confirm your email address for Okmarts"
    assert mail["Message-ID"] == stored["message_id"]
    assert mail["Date"] is not None
    assert mail.get_content_type() == "multipart/alternative"
    text, html = text_of(mail), html_of(mail)
    assert links_in(mail) == [LINK]
    assert f"Please confirm that {recipient} is your email address" in text
    # Escaped in the HTML part only.
    assert f'href="{LINK.replace("&", "&amp;")}"' in html
    assert "Confirm my email address</a>" in html
    sent = await row_of(message_id)
    assert sent["sent_at"] is not None and sent["claimed_until"] is None
    assert sent["attempts"] == 0


async def test_mail_is_rendered_in_the_recipients_language(
    seeded_database: TestDatabase, smtp_server: SmtpSink
) -> None:
    recipient = address("li")
    before = i18n.current_locale.get()
    message_id = await enqueue(recipient, locale="zh_Hans")
    assert i18n.current_locale.get() == before, "the caller's language is restored"

    await send_due_mail(smtp_settings(seeded_database, smtp_server))

    [mail] = smtp_server.to(recipient)
    assert mail["Subject"] == "请确认您在 Okmarts 的电子邮箱地址"
    assert "欢迎来到 Okmarts！" in text_of(mail)
    assert '<html lang="zh-Hans">' in html_of(mail)
    assert "确认我的电子邮箱地址</a>" in html_of(mail)
    assert "您收到此邮件是因为您拥有 Okmarts 账户" in html_of(mail)
    assert (await row_of(message_id))["locale"] == "zh_Hans"


async def test_html_part_escapes_and_text_part_does_not(
    seeded_database: TestDatabase, smtp_server: SmtpSink
) -> None:
    recipient = address("o&brien")
    await enqueue(recipient)
    await send_due_mail(smtp_settings(seeded_database, smtp_server))
    [mail] = smtp_server.to(recipient)
    assert f"Please confirm that {recipient} is" in text_of(mail)
    assert f"Please confirm that {recipient.replace('&', '&amp;')} is" in html_of(mail)


async def test_missing_template_value_refuses_to_queue() -> None:
    recipient = address("incomplete")
    with pytest.raises(UndefinedError):
        await enqueue_email(
            kind="verify_email", recipient=recipient, locale="en", context={"email": recipient}
        )
    assert await OutboxMessage.count().where(OutboxMessage.recipient == recipient) == 0


async def test_server_down_backs_off_then_delivers_exactly_once(
    seeded_database: TestDatabase, smtp_server: SmtpSink
) -> None:
    recipient = address("retry")
    message_id = await enqueue(recipient)
    up = smtp_settings(seeded_database, smtp_server)
    down = replace(up, smtp_url=f"smtp://127.0.0.1:{free_port()}")  # nothing listens there
    started = datetime.now(UTC)

    report = await send_due_mail(down, now=started)

    assert report.failed >= 1 and report.remaining >= 1
    failed = await row_of(message_id)
    assert failed["sent_at"] is None
    assert failed["attempts"] == 1
    assert failed["last_error"]
    assert failed["send_after"] == started + timedelta(seconds=30)
    assert failed["claimed_until"] is None

    # Before the back-off ends nothing is retried, even with the server back.
    await send_due_mail(up, now=started + timedelta(seconds=20))
    assert smtp_server.to(recipient) == []
    assert (await row_of(message_id))["attempts"] == 1

    await send_due_mail(up, now=started + timedelta(minutes=2))
    [mail] = smtp_server.to(recipient)
    assert mail["Message-ID"] == failed["message_id"], "the same Message-ID on every retry"
    delivered = await row_of(message_id)
    assert delivered["sent_at"] == started + timedelta(minutes=2)
    assert delivered["attempts"] == 1

    await send_due_mail(up, now=started + timedelta(hours=3))
    assert len(smtp_server.to(recipient)) == 1, "a sent message is never sent again"


def test_backoff_doubles_and_is_capped() -> None:
    waits = [messaging.backoff(attempt).total_seconds() for attempt in range(1, 10)]
    assert waits[:4] == [30, 60, 120, 240]
    assert max(waits) == 3600 and waits[-1] == 3600


async def test_concurrent_senders_deliver_each_message_once(
    seeded_database: TestDatabase, smtp_server: SmtpSink
) -> None:
    recipients = [address(f"crowd{number}") for number in range(20)]
    async with in_transaction():
        ids = [await enqueue(recipient) for recipient in recipients]
    settings = smtp_settings(seeded_database, smtp_server)

    first, second = await asyncio.gather(send_due_mail(settings), send_due_mail(settings))

    assert first.failed == second.failed == 0
    assert first.sent + second.sent >= len(recipients)
    for recipient in recipients:
        assert len(smtp_server.to(recipient)) == 1, recipient
    rows = await OutboxMessage.select(OutboxMessage.sent_at).where(OutboxMessage.id.is_in(ids))
    assert all(row["sent_at"] is not None for row in rows)


async def test_claimed_message_is_left_to_its_claimant(
    seeded_database: TestDatabase, smtp_server: SmtpSink
) -> None:
    recipient = address("claimed")
    message_id = await enqueue(recipient)
    now = datetime.now(UTC)
    # Another process took it a moment ago and is still sending it.
    await OutboxMessage.update({OutboxMessage.claimed_until: now + timedelta(minutes=1)}).where(
        OutboxMessage.id == message_id
    )
    await send_due_mail(smtp_settings(seeded_database, smtp_server), now=now)
    assert smtp_server.to(recipient) == []
    # That process died: once its claim runs out, another sender delivers the message.
    await send_due_mail(smtp_settings(seeded_database, smtp_server), now=now + timedelta(minutes=6))
    assert len(smtp_server.to(recipient)) == 1


async def test_without_smtp_mail_is_written_as_eml_files(
    seeded_database: TestDatabase, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recipient = address("file")
    message_id = await enqueue(recipient)
    settings = replace(settings_for(seeded_database), smtp_url="", data_dir=tmp_path)

    await send_due_mail(settings)

    [path] = (tmp_path / "mail").glob(f"*-{message_id}.eml")
    mail = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail["To"] == recipient
    assert mail["Subject"] == "Confirm your email address for Okmarts"
    assert mail["Message-ID"] == (await row_of(message_id))["message_id"]
    assert links_in(mail) == [LINK]
    assert "Confirm my email address</a>" in html_of(mail)
    assert f"Mail to {recipient} written to {path}" in capsys.readouterr().out
    assert (await row_of(message_id))["sent_at"] is not None


async def test_send_mail_command_delivers_the_outbox(
    seeded_database: TestDatabase, smtp_server: SmtpSink
) -> None:
    recipient = address("cli")
    await enqueue(recipient)
    env = {
        **seeded_database.env(),
        "OKMARTS_SMTP_URL": smtp_server.url,
        "OKMARTS_MAIL_FROM": MAIL_FROM,
    }

    result = await asyncio.to_thread(okmarts, "send-mail", env=env)

    summary = re.fullmatch(r"Sent (\d+), failed 0, waiting (\d+)\.\n", result.stdout)
    assert summary and int(summary[1]) >= 1, result.stdout
    [mail] = smtp_server.to(recipient)
    assert mail["Subject"] == "Confirm your email address for Okmarts"


async def test_background_sender_wakes_when_mail_is_queued(
    seeded_database: TestDatabase, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    notify_mail_queued()  # no sender running: nothing happens
    real_pass = messaging.send_due_mail
    calls = 0

    async def flaky_pass(settings: Settings, **kwargs: Any) -> messaging.SendReport:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database away for a moment")
        return await real_pass(settings, **kwargs)

    monkeypatch.setattr(messaging, "send_due_mail", flaky_pass)
    # A long poll: only the wake-up can explain a delivery within seconds.
    settings = replace(smtp_settings(seeded_database, smtp_server), mail_poll_seconds=600)
    sender = MailSender(settings)
    await sender.start()
    try:
        await asyncio.sleep(0.1)
        assert calls == 1, "the first pass failed, and the sender lives on"
        recipient = address("wake")
        async with in_transaction():
            await enqueue(recipient)
        notify_mail_queued()
        mail = await smtp_server.wait_for_async(recipient, timeout=10)
        assert mail["Subject"] == "Confirm your email address for Okmarts"
    finally:
        await asyncio.wait_for(sender.stop(), timeout=5)
    assert len(smtp_server.to(recipient)) == 1


def test_smtp_url_chooses_the_transport_security() -> None:
    plain = parse_smtp_url("smtp://relay.example:25")
    assert (plain.hostname, plain.port, plain.use_tls, plain.start_tls) == (
        "relay.example",
        25,
        False,
        False,
    )
    submission = parse_smtp_url("smtp://shop%40example.com:p%2Fss@mail.example:587")
    assert submission.start_tls and not submission.use_tls
    assert (submission.username, submission.password) == (f"shop{AT}example.com", "p/ss")
    implicit = parse_smtp_url("smtps://mail.example")
    assert implicit.use_tls and implicit.port == 465 and not implicit.start_tls
    with pytest.raises(ValueError):
        parse_smtp_url("http://mail.example")
