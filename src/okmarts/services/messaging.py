"""The email outbox: enqueue with the change that causes it, send later, never lose a message.

`enqueue_email` renders and inserts one `OutboxMessage` row inside the caller's transaction, so
the email exists if and only if the change commits. `send_due_mail` delivers due rows; each
row is claimed with a conditional UPDATE first, so senders in several processes never send the
same row twice (a sender that dies mid-send leaves a claim that expires: at-least-once, with the
same Message-ID so the receiver can drop the repeat). Rows are never deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import logging
import os
import uuid
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import aiosmtplib
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)

from okmarts import i18n
from okmarts.settings import PACKAGE_DIR, PROJECT_DIR, Settings
from okmarts.tables.messaging import OutboxMessage

if TYPE_CHECKING:
    from okmarts.services.notifications import AccountState
    from okmarts.services.unsubscribe import MailFooter

log = logging.getLogger("okmarts.mail")


def _gate_modules() -> Any:
    # Imported when first needed: notifications reads accounts and privacy, which queue mail.
    from okmarts.services import message_center, notifications

    return message_center, notifications


def _unsubscribe() -> Any:
    from okmarts.services import unsubscribe

    return unsubscribe


def _newsletters() -> Any:
    from okmarts.services import newsletters

    return newsletters


EMAILS_DIR = PACKAGE_DIR / "emails"
# Attempts 1…7 back off from 30 s to 32 min, then hourly: about 13 hours of retrying before a
# message is left for an operator to look at (it stays in the table either way).
MAX_ATTEMPTS = 20
BACKOFF_FIRST_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
# Longer than one delivery can take (SMTP timeout × its few round trips), so a live sender
# never loses its claim mid-send; short enough that a crashed sender's messages go out soon.
CLAIM_SECONDS = 300
SMTP_TIMEOUT_SECONDS = 10
SENDER_BATCH = 100
SUBJECT_MAX_LENGTH = 300  # OutboxMessage.subject's length
ERROR_MAX_LENGTH = 2000


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class CenterEntry:
    """What an email leaves in the message center: its subject as the title, then these."""

    body: str
    link: str


@dataclass(frozen=True)
class SendReport:
    sent: int
    failed: int
    remaining: int  # not sent yet and still to be tried (now or after a back-off)


# ----------------------------------------------------------------------------- rendering


class _EmailRenderer:
    """The emails' own Jinja environment, translated through the catalogs under locales_dir."""

    def __init__(self, locales_dir: Path) -> None:
        self.catalogs = i18n.Catalogs(locales_dir)
        self.env = Environment(
            loader=FileSystemLoader(str(EMAILS_DIR)),
            # Only the HTML part is markup; escaping the text parts would show "&amp;" to people.
            autoescape=select_autoescape(["html"], default_for_string=False, default=False),
            extensions=["jinja2.ext.i18n"],
            # A missing link or name must fail the enqueue (and the caller's transaction), not
            # send an email with a hole in it.
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.catalogs.install_gettext(self.env)
        self.env.globals.update(
            format_datetime=i18n.datetime,
            format_date=i18n.date,
            money=i18n.money,
            # Catalog names (a category's) are msgids: translated like the shop's pages do.
            message=self.catalogs.message,
        )
        self.env.filters["shop_path"] = shop_path

    def render(self, kind: str, locale: str, context: dict[str, Any]) -> RenderedEmail:
        token = i18n.current_locale.set(locale)
        try:
            values = {**context, "locale": locale}
            subject = self.env.get_template(f"{kind}.subject.txt").render(values)
            # One line: a header can't hold a line break (and must not be able to inject one).
            subject = " ".join(subject.split())[:SUBJECT_MAX_LENGTH]
            values["subject"] = subject
            text = self.env.get_template(f"{kind}.txt").render(values)
            html = self.env.get_template(f"{kind}.html").render(values)
        finally:
            i18n.current_locale.reset(token)
        return RenderedEmail(subject=subject, text=text.strip() + "\n", html=html)

    def render_center(self, kind: str, locale: str, context: dict[str, Any]) -> CenterEntry | None:
        """The message-center entry of a kind (emails/<kind>.center.txt, blocks `body` and
        `link`), or None for a kind that leaves none (it goes to someone else: a guardian)."""
        try:
            template = self.env.get_template(f"{kind}.center.txt")
        except TemplateNotFound:
            return None
        token = i18n.current_locale.set(locale)
        try:
            values = template.new_context({**context, "locale": locale})
            body = "".join(template.blocks["body"](values))
            link = "".join(template.blocks["link"](values))
        finally:
            i18n.current_locale.reset(token)
        return CenterEntry(body=body.strip(), link=link.strip())


def shop_path(link: str) -> str:
    """A link of the shop as a path (the message center links inside the shop only)."""
    parsed = urlparse(link)
    return parsed.path + (f"?{parsed.query}" if parsed.query else "")


_renderer: _EmailRenderer | None = None


def configure_email_rendering(locales_dir: Path) -> None:
    """Translate emails with the catalogs under locales_dir (create_app calls this)."""
    global _renderer
    if _renderer is None or _renderer.catalogs.locales_dir != locales_dir:
        _renderer = _EmailRenderer(locales_dir)


def render_email(kind: str, locale: str, context: dict[str, Any]) -> RenderedEmail:
    """Render the subject, text and HTML of one kind of email in one language."""
    if _renderer is None:
        configure_email_rendering(PROJECT_DIR / "locales")
    assert _renderer is not None
    return _renderer.render(kind, locale, context)


def render_fragment(name: str, locale: str, context: dict[str, Any]) -> str:
    """One template of the emails' folder (a footer…) rendered in one language."""
    if _renderer is None:
        configure_email_rendering(PROJECT_DIR / "locales")
    assert _renderer is not None
    token = i18n.current_locale.set(locale)
    try:
        return _renderer.env.get_template(name).render({**context, "locale": locale})
    finally:
        i18n.current_locale.reset(token)


def render_center_entry(kind: str, locale: str, context: dict[str, Any]) -> CenterEntry | None:
    if _renderer is None:
        configure_email_rendering(PROJECT_DIR / "locales")
    assert _renderer is not None
    return _renderer.render_center(kind, locale, context)


# ----------------------------------------------------------------------------- enqueueing


async def enqueue_email(
    *,
    kind: str,
    recipient: str,
    locale: str,
    context: dict[str, Any],
    account_id: int | None = None,
    notification_type: str | None = None,
    gate_state: AccountState | None = None,
) -> int | None:
    """Render an email in the recipient's language and add it to the outbox; returns its id,
    or None when the gate refused it (nothing queued).

    Call it inside the transaction of the change that causes the email: it is a plain insert,
    so the message exists if and only if that transaction commits. Call `notify_mail_queued()`
    after the commit to have it sent at once.

    Every email tied to an account passes the gate (services.notifications.decide) for its
    type (`notification_type`, or the kind's type: a kind nobody mapped is a KeyError), once
    per channel: the email is queued only if the email channel is allowed, and the message
    center gets its entry, in the same transaction, if that channel is allowed.
    `gate_state`: the account's gate state read already in this transaction (a batch sender
    reads many at once with notifications.states), else read here.
    """
    if "\n" in recipient or "\r" in recipient:
        # It would never make a valid To header: refuse now rather than fail every retry.
        raise ValueError("An email recipient cannot contain a line break.")
    message_center, notifications = _gate_modules()
    type_code = notification_type or notifications.type_of_kind(kind)
    if type_code not in notifications.TYPES:
        raise ValueError(f"Unknown notification type {type_code!r}")
    send_email, to_center = await _gate(account_id, type_code, gate_state)
    if not send_email and not to_center:
        log.info("Mail %s to account %s not queued: refused by the gate", kind, account_id)
        return None
    rendered = render_email(kind, locale, context)
    now = datetime.now(UTC)
    if to_center and account_id is not None:
        entry = render_center_entry(kind, locale, context)
        if entry is not None:
            await message_center.record(
                account_id, type_code, kind, rendered.subject, entry.body, entry.link, now
            )
    if not send_email:
        return None
    rows = await OutboxMessage.insert(
        OutboxMessage(
            account=account_id,
            kind=kind,
            notification_type=type_code,
            recipient=recipient,
            locale=locale,
            subject=rendered.subject,
            text_body=rendered.text,
            html_body=rendered.html,
            message_id=f"<{uuid.uuid4().hex}@okmarts>",
            created_at=now,
            send_after=now,
        )
    ).returning(OutboxMessage.id)
    return int(rows[0]["id"])


async def _gate(
    account_id: int | None, type_code: str, state: AccountState | None = None
) -> tuple[bool, bool]:
    """May this type go by email, and into the message center? (No account: email only.)"""
    _, notifications = _gate_modules()
    if account_id is None:
        return True, False
    if notifications.is_transactional(type_code):
        return True, True  # always, and no need to read the account
    if state is None or state.account_id != account_id:
        state = await notifications.state_of(account_id)
    if state is None:
        return False, False
    return (
        notifications.decide(state, type_code, notifications.EMAIL).allowed,
        notifications.decide(state, type_code, notifications.CENTER).allowed,
    )


# One wake-up event per event loop: a Litestar worker (or a test's loop) runs its own sender.
_wakeups: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Event] = (
    weakref.WeakKeyDictionary()
)


def notify_mail_queued() -> None:
    """Wake this process's background sender now (harmless when none runs)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return  # called from synchronous code: the sender's next poll finds the message
    event = _wakeups.get(loop)
    if event is not None:
        event.set()


# ----------------------------------------------------------------------------- sending


def build_message(
    row: dict[str, Any], mail_from: str, now: datetime, footer: MailFooter | None = None
) -> EmailMessage:
    """The MIME message of one outbox row: text part plus HTML alternative, UTF-8; with the
    footer (unsubscribe or settings link, List-Unsubscribe headers) when one is given."""
    text, html = row["text_body"], row["html_body"]
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = row["recipient"]
    message["Subject"] = row["subject"]
    message["Date"] = format_datetime(now)
    # The row's own id: the same on every retry, so a receiver can drop a repeat.
    message["Message-ID"] = row["message_id"]
    if footer is not None:
        for name, value in footer.headers.items():
            message[name] = value
        text = text.rstrip("\n") + "\n\n-- \n" + footer.text.strip() + "\n"
        before, found, after = html.rpartition("</body>")
        html = f"{before}{footer.html}{found}{after}" if found else html + footer.html
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


@dataclass(frozen=True)
class SmtpTarget:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool  # smtps://: TLS from the first byte
    start_tls: bool  # smtp:// on the submission port 587: upgrade with STARTTLS


def parse_smtp_url(url: str) -> SmtpTarget:
    """Read `smtp://[user:pass@]host:port` or `smtps://…` (OKMARTS_SMTP_URL)."""
    parsed = urlparse(url)
    if parsed.scheme not in {"smtp", "smtps"} or not parsed.hostname:
        raise ValueError(f"OKMARTS_SMTP_URL must look like smtp://host:port, not {url!r}")
    implicit_tls = parsed.scheme == "smtps"
    port = parsed.port or (465 if implicit_tls else 25)
    return SmtpTarget(
        hostname=parsed.hostname,
        port=port,
        username=unquote(parsed.username) if parsed.username else None,
        password=unquote(parsed.password) if parsed.password else None,
        use_tls=implicit_tls,
        start_tls=not implicit_tls and port == 587,
    )


async def _send_smtp(settings: Settings, message: EmailMessage, recipient: str) -> None:
    target = parse_smtp_url(settings.smtp_url)
    await aiosmtplib.send(
        message,
        recipients=[recipient],
        hostname=target.hostname,
        port=target.port,
        username=target.username,
        password=target.password,
        use_tls=target.use_tls,
        start_tls=target.start_tls,
        timeout=SMTP_TIMEOUT_SECONDS,
    )


def _write_eml(settings: Settings, message: EmailMessage, row: dict[str, Any]) -> Path:
    folder = settings.data_dir / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    created: datetime = row["created_at"]
    path = folder / f"{created:%Y%m%d-%H%M%S}-{row['id']}.eml"
    # Written whole, then renamed: a mail viewer watching the folder never sees half a file.
    partial = path.with_suffix(".eml.part")
    partial.write_bytes(message.as_bytes(policy=email.policy.SMTP))
    os.replace(partial, path)
    return path


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


async def _deliver(settings: Settings, message: EmailMessage, row: dict[str, Any]) -> None:
    if settings.smtp_url:
        await _send_smtp(settings, message, row["recipient"])
        log.info("Mail %s sent to %s", row["id"], row["recipient"])
    else:
        path = _write_eml(settings, message, row)
        # No SMTP server configured (the `make run` default): say where the mail went.
        print(f"Mail to {row['recipient']} written to {_shown(path)}", flush=True)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the given number of failed attempts."""
    seconds = BACKOFF_FIRST_SECONDS * 2 ** min(max(attempts - 1, 0), 20)
    return timedelta(seconds=min(seconds, BACKOFF_MAX_SECONDS))


def _unclaimed(now: datetime) -> Any:
    return OutboxMessage.claimed_until.is_null() | (OutboxMessage.claimed_until < now)


async def _claim(message_id: int, now: datetime) -> bool:
    # One conditional UPDATE: of two senders racing for a row, only one gets it back.
    rows = await (
        OutboxMessage.update({OutboxMessage.claimed_until: now + timedelta(seconds=CLAIM_SECONDS)})
        .where((OutboxMessage.id == message_id) & OutboxMessage.sent_at.is_null() & _unclaimed(now))
        .returning(OutboxMessage.id)
    )
    return bool(rows)


async def _record_failure(row: dict[str, Any], now: datetime, error: BaseException) -> None:
    attempts = row["attempts"] + 1
    detail = f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH]
    await OutboxMessage.update(
        {
            OutboxMessage.attempts: attempts,
            OutboxMessage.last_error: detail,
            OutboxMessage.send_after: now + backoff(attempts),
            OutboxMessage.claimed_until: None,
        }
    ).where(OutboxMessage.id == row["id"])
    if attempts >= MAX_ATTEMPTS:
        log.error(
            "Mail %s to %s given up after %s attempts: %s",
            row["id"],
            row["recipient"],
            attempts,
            detail,
        )
    else:
        log.warning(
            "Mail %s to %s failed (attempt %s): %s", row["id"], row["recipient"], attempts, detail
        )


def _needs_gate(row: dict[str, Any]) -> bool:
    _, notifications = _gate_modules()
    type_code = row.get("notification_type") or ""
    return row.get("account") is not None and not notifications.is_transactional(type_code)


async def _withhold(row: dict[str, Any], now: datetime, reason: str) -> None:
    """Never send it: the gate refuses it now (a withdrawal after it was queued)."""
    await OutboxMessage.update(
        {
            OutboxMessage.withheld_at: now,
            OutboxMessage.last_error: f"withheld: {reason}",
            OutboxMessage.claimed_until: None,
        }
    ).where((OutboxMessage.id == row["id"]) & OutboxMessage.sent_at.is_null())
    log.info("Mail %s withheld: %s", row["id"], reason)


async def send_one(
    settings: Settings,
    row: dict[str, Any],
    now: datetime,
    states: dict[int, AccountState] | None = None,
) -> bool | None:
    """Claim and deliver one outbox message: True when sent, False when it failed (it is
    retried with back-off), None when another sender holds it, it went already, or the gate
    refuses it now (then it is withheld: never sent, the reason kept). `states`: the gate's
    state of the batch's accounts, read at once (else read here)."""
    if not await _claim(row["id"], now):
        return None
    if _needs_gate(row):
        # Asked again right before sending: a withdrawal stops what is still waiting.
        _, notifications = _gate_modules()
        account_id = int(row["account"])
        if states is None:
            states = await notifications.states([account_id])
        state = states.get(account_id)
        decision = (
            notifications.decide(state, row["notification_type"], notifications.EMAIL)
            if state is not None
            else notifications.Decision(False, "unknown")
        )
        if not decision.allowed:
            await _withhold(row, now, decision.reason)
            return None
    try:
        footer = await _unsubscribe().footer_for(row, settings)
        await _deliver(settings, build_message(row, settings.mail_from, now, footer), row)
    except Exception as error:  # any failure: keep the row and try again later
        await _record_failure(row, now, error)
        return False
    await OutboxMessage.update(
        {OutboxMessage.sent_at: now, OutboxMessage.claimed_until: None}
    ).where(OutboxMessage.id == row["id"])
    return True


async def send_now(settings: Settings, message_id: int, now: datetime | None = None) -> bool:
    """Deliver one queued message at once instead of waiting for the background sender;
    True when sent. A failure leaves it to the sender, with the usual back-off."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    row = await OutboxMessage.select().where(OutboxMessage.id == message_id).first()
    if row is None or row["sent_at"] is not None or row["withheld_at"] is not None:
        return False
    delivered = await send_one(settings, row, now)
    if delivered is False:
        notify_mail_queued()
    return bool(delivered)


async def send_due_mail(
    settings: Settings, *, now: datetime | None = None, limit: int = 100
) -> SendReport:
    """One pass over the outbox: claim, deliver and record each message that is due."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    due = await (
        OutboxMessage.select()
        .where(
            OutboxMessage.sent_at.is_null()
            & OutboxMessage.withheld_at.is_null()
            & (OutboxMessage.send_after <= now)
            & (OutboxMessage.attempts < MAX_ATTEMPTS)
            & _unclaimed(now)
        )
        .order_by(OutboxMessage.send_after)
        .limit(limit)
    )
    # The gate's state of every account whose mail needs it, in one read for the batch.
    _, notifications = _gate_modules()
    states = await notifications.states(int(row["account"]) for row in due if _needs_gate(row))
    sent = failed = 0
    for row in due:
        delivered = await send_one(settings, row, now, states)
        sent += delivered is True
        failed += delivered is False
    remaining = await OutboxMessage.count().where(
        OutboxMessage.sent_at.is_null()
        & OutboxMessage.withheld_at.is_null()
        & (OutboxMessage.attempts < MAX_ATTEMPTS)
    )
    return SendReport(sent=sent, failed=failed, remaining=remaining)


class MailSender:
    """Sends the outbox in the background of a server process, woken by notify_mail_queued."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._task: asyncio.Task[None] | None = None
        self._wakeup = asyncio.Event()
        self._stopping = False

    async def start(self) -> None:
        self._stopping = False
        self._wakeup = asyncio.Event()
        _wakeups[asyncio.get_running_loop()] = self._wakeup
        self._task = asyncio.create_task(self._run(), name="okmarts-mail-sender")

    async def stop(self, timeout: float = 15) -> None:
        """Let the current pass finish (bounded by timeout), then end the loop."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wakeup.set()
        loop = asyncio.get_running_loop()
        if _wakeups.get(loop) is self._wakeup:
            del _wakeups[loop]
        try:
            await asyncio.wait_for(task, timeout)
        except TimeoutError:
            # Cancelled mid-delivery: the claim expires and another pass sends it again.
            log.warning("Mail sender did not finish its pass in %s s; stopped it", timeout)

    async def _run(self) -> None:
        while not self._stopping:
            full_batch = False
            try:
                # Newsletters whose time came are queued first (services.newsletters).
                await _newsletters().run_due(self.settings)
                report = await send_due_mail(self.settings, limit=SENDER_BATCH)
                # A full batch means more may be due: go on without waiting.
                full_batch = report.sent + report.failed >= SENDER_BATCH
            except Exception:
                # The database may be away for a moment: the sender must outlive it.
                log.exception("Mail sender pass failed; trying again in a moment")
            if self._stopping:
                break
            if not full_batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self.settings.mail_poll_seconds)
            # Cleared before the pass: a message queued during the pass wakes the next wait.
            self._wakeup.clear()
