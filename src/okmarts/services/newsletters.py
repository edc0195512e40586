"""Newsletters (issue #17): staff write them in the admin; they go out through the outbox.

Life of one: draft → `schedule` → scheduled → (its time comes; `run_due`, every pass of the mail
sender) queueing → sending → sent; `pause` and `resume` from queueing or sending.

- Queueing reads the audience in chunks of account ids (keyset, never every account at once),
  asks the gate (services.notifications) for the chunk in one read, renders the newsletter once
  per language, and inserts the chunk's deliveries and outbox rows in one transaction. A
  delivery is unique per (newsletter, account) and its outbox row has a Message-ID made of the
  two: whatever two workers or a restart do, nobody is queued twice. A worker claims the
  newsletter while it queues (a conditional update); a crashed worker's claim runs out and
  another goes on from the cursor.
- Pacing: the outbox rows get send_after in slots of SLOT_SECONDS, as many per slot as
  OKMARTS_NEWSLETTER_RATE_PER_MINUTE allows; the outbox sender (claims, retries with back-off)
  does the rest, so an SMTP outage only delays them and no message goes twice.
- Pause moves the newsletter's unsent rows out of reach; resume paces them again from now.
- An unsubscribe or a consent withdrawal after queueing: the sender asks the gate again before
  each message and withholds it; the report counts those as unsubscribed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from okmarts.db import lock_row, write_transaction
from okmarts.services import messaging, notifications
from okmarts.services.accounts import now_utc
from okmarts.settings import Settings
from okmarts.tables.accounts import Account
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.newsletters import Newsletter, NewsletterDelivery, NewsletterTranslation
from okmarts.tables.notifications import Follow

KIND = "newsletter"
AUDIENCES = {
    "newsletter": "Everyone who chose the newsletter",
    "category": "The followers of one category (who chose the newsletter)",
}
DRAFT, SCHEDULED, QUEUEING, SENDING, PAUSED, SENT = (
    "draft",
    "scheduled",
    "queueing",
    "sending",
    "paused",
    "sent",
)
QUEUE_CHUNK = 500
CLAIM_SECONDS = 120
SLOT_SECONDS = 10
# Where a paused newsletter's unsent mail waits: far beyond any sender's "due".
PAUSED_FOR = dt.timedelta(days=3650)
FALLBACK_LOCALE = "en"


class NewsletterRefused(Exception):
    """What staff asked cannot be done (the admin shows the message)."""


@dataclass(frozen=True)
class Report:
    status: str
    queued: int  # deliveries queued so far
    waiting: int  # queued, not sent yet (includes those retrying after a failure)
    retrying: int  # failed at least once, will be tried again
    sent: int
    failed: int  # given up after every retry
    unsubscribed: int  # withheld: unsubscribed or consent withdrawn after queueing

    def text(self) -> str:
        return (
            f"Status: {self.status}. Queued {self.queued}: sent {self.sent}, waiting "
            f"{self.waiting} (retrying {self.retrying}), failed {self.failed}, "
            f"unsubscribed {self.unsubscribed}."
        )


# -- Content ---------------------------------------------------------------------------------


def paragraphs(body: str) -> list[str]:
    """The body's paragraphs (blank lines part them): text, escaped in the HTML part."""
    text = body.replace("\r\n", "\n").strip()
    return [part.strip("\n") for part in text.split("\n\n") if part.strip()]


async def translations(newsletter_id: int) -> dict[str, dict[str, Any]]:
    rows = await NewsletterTranslation.select().where(
        NewsletterTranslation.newsletter == newsletter_id
    )
    return {row["locale"]: row for row in rows}


def pick_locale(available: dict[str, Any], wanted: str) -> str:
    """The translation a reader of `wanted` gets: theirs, their language's, English, any."""
    if wanted in available:
        return wanted
    language = wanted.split("_")[0].split("-")[0]
    for locale in available:
        if locale.split("_")[0].split("-")[0] == language:
            return locale
    return FALLBACK_LOCALE if FALLBACK_LOCALE in available else sorted(available)[0]


def render(translation: dict[str, Any], locale: str) -> messaging.RenderedEmail:
    return messaging.render_email(
        KIND,
        locale,
        {
            "newsletter_subject": translation["subject"],
            "paragraphs": paragraphs(translation["body"]),
        },
    )


async def preview(
    settings: Settings, newsletter_id: int, locale: str
) -> tuple[messaging.RenderedEmail, str]:
    """The newsletter as a reader of `locale` gets it (text with its footer; and the HTML)."""
    found = await translations(newsletter_id)
    if not found:
        raise NewsletterRefused("Write a subject and body in at least one language first.")
    chosen = pick_locale(found, locale)
    rendered = render(found[chosen], chosen)
    context = {
        "settings_link": f"{settings.base_url}/account/notifications",
        "unsubscribe_link": f"{settings.base_url}/unsubscribe/<the reader's own link>",
        "type_code": notifications.NEWSLETTER,
        "type_label": notifications.TYPES[notifications.NEWSLETTER].label,
    }
    text = rendered.text + "\n-- \n" + messaging.render_fragment("footer.txt", chosen, context)
    html = rendered.html.replace(
        "</body>", messaging.render_fragment("footer.html", chosen, context) + "</body>"
    )
    return messaging.RenderedEmail(rendered.subject, text, html), chosen


async def test_send(settings: Settings, newsletter_id: int, locale: str, email: str) -> str:
    """Send the newsletter in one language to a staff member's own address, now."""
    found = await translations(newsletter_id)
    if not found:
        raise NewsletterRefused("Write a subject and body in at least one language first.")
    chosen = pick_locale(found, locale)
    translation = found[chosen]
    async with write_transaction(OutboxMessage._meta.db):
        message_id = await messaging.enqueue_email(
            kind=KIND,
            recipient=email,
            locale=chosen,
            context={
                "newsletter_subject": translation["subject"],
                "paragraphs": paragraphs(translation["body"]),
            },
        )
    assert message_id is not None  # mail to no account always passes the gate
    sent = await messaging.send_now(settings, message_id)
    return chosen if sent else ""


# -- Staff actions ----------------------------------------------------------------------------


async def _locked(newsletter_id: int) -> dict[str, Any]:
    await lock_row(Newsletter, newsletter_id)
    row = await Newsletter.select().where(Newsletter.id == newsletter_id).first()
    if row is None:
        raise NewsletterRefused(f"There is no newsletter {newsletter_id}.")
    return row


async def schedule(newsletter_id: int, at: dt.datetime | None = None, now: Any = None) -> str:
    """Send it at `at` (now when None). Only a draft or a scheduled one can be (re)scheduled."""
    now = now or now_utc()
    async with write_transaction(Newsletter._meta.db):
        row = await _locked(newsletter_id)
        if row["status"] not in (DRAFT, SCHEDULED):
            raise NewsletterRefused(f"It is {row['status']}: only a draft can be scheduled.")
        if row["audience"] not in AUDIENCES:
            raise NewsletterRefused(f"Choose the audience: {', '.join(AUDIENCES)}.")
        if row["audience"] == "category" and row["category"] is None:
            raise NewsletterRefused("Choose the category whose followers get it.")
        if not await translations(newsletter_id):
            raise NewsletterRefused("Write a subject and body in at least one language first.")
        when = (at or now).astimezone(dt.UTC)
        await Newsletter.update(
            {Newsletter.status: SCHEDULED, Newsletter.scheduled_at: when}
        ).where(Newsletter.id == newsletter_id)
    return f"Newsletter {newsletter_id} will go out from {when:%Y-%m-%d %H:%M} UTC."


def _pending() -> Any:
    return OutboxMessage.sent_at.is_null() & OutboxMessage.withheld_at.is_null()


def _of_newsletter(newsletter_id: int) -> Any:
    return OutboxMessage.id.is_in(
        NewsletterDelivery.select(NewsletterDelivery.outbox_message).where(
            NewsletterDelivery.newsletter == newsletter_id
        )
    )


async def pause(newsletter_id: int, now: dt.datetime | None = None) -> str:
    """Stop sending: no more queueing, and its mail not sent yet waits (a message a sender
    already holds still goes)."""
    now = now or now_utc()
    async with write_transaction(Newsletter._meta.db):
        row = await _locked(newsletter_id)
        if row["status"] not in (QUEUEING, SENDING):
            raise NewsletterRefused(f"It is {row['status']}: only a newsletter going out pauses.")
        await Newsletter.update({Newsletter.status: PAUSED, Newsletter.claimed_until: None}).where(
            Newsletter.id == newsletter_id
        )
        await OutboxMessage.update({OutboxMessage.send_after: now + PAUSED_FOR}).where(
            _of_newsletter(newsletter_id) & _pending()
        )
    return f"Newsletter {newsletter_id} is paused."


def per_slot(settings: Settings) -> int:
    return max(1, settings.newsletter_rate_per_minute * SLOT_SECONDS // 60)


def slot_time(settings: Settings, pace_from: dt.datetime, index: int) -> dt.datetime:
    return pace_from + dt.timedelta(seconds=SLOT_SECONDS * (index // per_slot(settings)))


async def resume(settings: Settings, newsletter_id: int, now: dt.datetime | None = None) -> str:
    """Go on: what waits is paced again from now, and queueing goes on where it stopped."""
    now = now or now_utc()
    async with write_transaction(Newsletter._meta.db):
        row = await _locked(newsletter_id)
        if row["status"] != PAUSED:
            raise NewsletterRefused(f"It is {row['status']}: only a paused newsletter resumes.")
        index, last_id = 0, 0
        while True:
            ids = [
                found["id"]
                for found in await OutboxMessage.select(OutboxMessage.id)
                .where(_of_newsletter(newsletter_id) & _pending() & (OutboxMessage.id > last_id))
                .order_by(OutboxMessage.id)
                .limit(QUEUE_CHUNK)
            ]
            if not ids:
                break
            last_id = ids[-1]
            # One UPDATE per slot: the rows of a slot share their time.
            size = per_slot(settings)
            start = 0
            while start < len(ids):
                end = start + size - (index + start) % size
                await OutboxMessage.update(
                    {OutboxMessage.send_after: slot_time(settings, now, index + start)}
                ).where(OutboxMessage.id.is_in(ids[start:end]))
                start = end
            index += len(ids)
        await Newsletter.update(
            {
                Newsletter.status: SENDING if row["queued_all"] else QUEUEING,
                Newsletter.pace_from: now,
                Newsletter.pace_index: index,
                Newsletter.claimed_until: None,
            }
        ).where(Newsletter.id == newsletter_id)
    return f"Newsletter {newsletter_id} goes on."


# -- Queueing (the sender's passes call run_due) ----------------------------------------------


async def _claim(newsletter_id: int, now: dt.datetime) -> bool:
    """Take the newsletter for queueing: one conditional UPDATE, so one worker wins."""
    rows = await (
        Newsletter.update(
            {
                Newsletter.status: QUEUEING,
                Newsletter.claimed_until: now + dt.timedelta(seconds=CLAIM_SECONDS),
            }
        )
        .where(
            (Newsletter.id == newsletter_id)
            & (
                ((Newsletter.status == SCHEDULED) & (Newsletter.scheduled_at <= now))
                | (
                    (Newsletter.status == QUEUEING)
                    & (Newsletter.claimed_until.is_null() | (Newsletter.claimed_until < now))
                )
            )
        )
        .returning(Newsletter.id)
    )
    return bool(rows)


def _audience_ids(row: dict[str, Any], after: int) -> Any:
    where = (
        (Account.id > after)
        & Account.email_verified_at.is_not_null()
        # The gate decides for each account below; these spare it the obvious refusals.
        & (Account.marketing_email_consent == True)
        & (Account.restrict_processing == False)
        & (Account.object_to_marketing == False)
    )
    if row["audience"] == "category":
        where &= Account.id.is_in(
            Follow.select(Follow.account).where(Follow.category == row["category"])
        )
    return (
        Account.select(Account.id, Account.email, Account.locale)
        .where(where)
        .order_by(Account.id)
        .limit(QUEUE_CHUNK)
    )


async def queue_chunk(
    settings: Settings,
    newsletter_id: int,
    rendered: dict[str, messaging.RenderedEmail],
    now: dt.datetime,
) -> int | None:
    """Queue the next chunk of the audience; how many were queued, None when the newsletter
    is not queueing any more (paused, or another worker moved on) or is fully queued."""
    async with write_transaction(Newsletter._meta.db):
        row = await _locked(newsletter_id)
        if row["status"] != QUEUEING:
            return None
        accounts = await _audience_ids(row, row["queue_cursor"])
        if not accounts:
            await Newsletter.update(
                {
                    Newsletter.status: SENDING,
                    Newsletter.queued_all: True,
                    Newsletter.claimed_until: None,
                }
            ).where(Newsletter.id == newsletter_id)
            return None
        states = await notifications.states(account["id"] for account in accounts)
        wanted = [
            account
            for account in accounts
            if account["id"] in states
            and notifications.decide(
                states[account["id"]], notifications.NEWSLETTER, notifications.EMAIL
            ).allowed
        ]
        pace_from = row["pace_from"] or now
        index = row["pace_index"]
        messages = []
        for offset, account in enumerate(wanted):
            locale = pick_locale(rendered, account["locale"])
            email = rendered[locale]
            messages.append(
                OutboxMessage(
                    account=account["id"],
                    kind=KIND,
                    notification_type=notifications.NEWSLETTER,
                    recipient=account["email"],
                    locale=locale,
                    subject=email.subject,
                    text_body=email.text,
                    html_body=email.html,
                    # Made of the pair: a second queueing of the same pair cannot insert it.
                    message_id=f"<newsletter-{newsletter_id}-{account['id']}@okmarts>",
                    created_at=now,
                    send_after=slot_time(settings, pace_from, index + offset),
                )
            )
        if messages:
            inserted = await OutboxMessage.insert(*messages).returning(
                OutboxMessage.id, OutboxMessage.account
            )
            await NewsletterDelivery.insert(
                *(
                    NewsletterDelivery(
                        newsletter=newsletter_id,
                        account=found["account"],
                        outbox_message=found["id"],
                        queued_at=now,
                    )
                    for found in inserted
                )
            )
        await Newsletter.update(
            {
                Newsletter.queue_cursor: accounts[-1]["id"],
                Newsletter.queued_count: row["queued_count"] + len(messages),
                Newsletter.pace_from: pace_from,
                Newsletter.pace_index: index + len(messages),
                Newsletter.claimed_until: now + dt.timedelta(seconds=CLAIM_SECONDS),
            }
        ).where(Newsletter.id == newsletter_id)
    return len(messages)


async def queue(settings: Settings, newsletter_id: int, now: dt.datetime | None = None) -> int:
    """Queue a claimed newsletter to its whole audience, chunk by chunk; how many queued."""
    now = now or now_utc()
    found = await translations(newsletter_id)
    # Rendered once per language, not per reader (their links are added when sending).
    rendered = {locale: render(row, locale) for locale, row in found.items()}
    if not rendered:
        raise NewsletterRefused("Write a subject and body in at least one language first.")
    total = 0
    while True:
        count = await queue_chunk(settings, newsletter_id, rendered, now)
        if count is None:
            return total
        total += count


async def run_due(settings: Settings, now: dt.datetime | None = None) -> int:
    """Queue every newsletter whose time came (or whose queueing worker died), and close those
    fully sent; how many messages were queued."""
    now = now or now_utc()
    candidates = await Newsletter.select(Newsletter.id).where(
        ((Newsletter.status == SCHEDULED) & (Newsletter.scheduled_at <= now))
        | (
            (Newsletter.status == QUEUEING)
            & (Newsletter.claimed_until.is_null() | (Newsletter.claimed_until < now))
        )
    )
    total = 0
    for candidate in candidates:
        if await _claim(candidate["id"], now):
            total += await queue(settings, candidate["id"], now)
    for sending in await Newsletter.select(Newsletter.id).where(Newsletter.status == SENDING):
        await _close_if_done(sending["id"], now)
    return total


REPORT_SQL = """
SELECT
  COUNT(*) AS queued,
  SUM(CASE WHEN o.sent_at IS NOT NULL THEN 1 ELSE 0 END) AS sent,
  SUM(CASE WHEN o.sent_at IS NULL AND o.withheld_at IS NOT NULL THEN 1 ELSE 0 END)
    AS unsubscribed,
  SUM(CASE WHEN o.sent_at IS NULL AND o.withheld_at IS NULL AND o.attempts >= {max} THEN 1
    ELSE 0 END) AS failed,
  SUM(CASE WHEN o.sent_at IS NULL AND o.withheld_at IS NULL AND o.attempts < {max} THEN 1
    ELSE 0 END) AS waiting,
  SUM(CASE WHEN o.sent_at IS NULL AND o.withheld_at IS NULL AND o.attempts < {max}
    AND o.attempts > 0 THEN 1 ELSE 0 END) AS retrying
FROM newsletter_delivery d JOIN outbox_message o ON o.id = d.outbox_message
WHERE d.newsletter = {{}}
""".format(max=messaging.MAX_ATTEMPTS)


async def report(newsletter_id: int) -> Report:
    """Queued, sent, waiting, failed and unsubscribed: live from the outbox while it goes out,
    as recorded once it is sent."""
    row = await Newsletter.select().where(Newsletter.id == newsletter_id).first()
    if row is None:
        raise NewsletterRefused(f"There is no newsletter {newsletter_id}.")
    if row["status"] == SENT:
        return Report(
            status=SENT,
            queued=row["queued_count"],
            waiting=0,
            retrying=0,
            sent=row["sent_count"],
            failed=row["failed_count"],
            unsubscribed=row["withheld_count"],
        )
    [counts] = await NewsletterDelivery.raw(REPORT_SQL, newsletter_id)
    return Report(status=row["status"], **{key: int(counts[key] or 0) for key in counts})


async def _close_if_done(newsletter_id: int, now: dt.datetime) -> None:
    found = await report(newsletter_id)
    if found.waiting or found.status != SENDING:
        return
    await Newsletter.update(
        {
            Newsletter.status: SENT,
            Newsletter.sent_count: found.sent,
            Newsletter.failed_count: found.failed,
            Newsletter.withheld_count: found.unsubscribed,
            Newsletter.finished_at: now,
        }
    ).where((Newsletter.id == newsletter_id) & (Newsletter.status == SENDING))
