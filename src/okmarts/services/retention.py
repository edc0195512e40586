"""Retention (policy §6): how long each class of personal data is kept, and the job that
deletes or anonymises what expired.

`okmarts retention run [--dry-run]` applies every rule below once and prints a count per class.
Run it daily (cron, a systemd timer). It is idempotent: a second run finds nothing to do, and a
dry run reports the same counts as a real run without changing anything. Each period is a
setting, `OKMARTS_RETENTION_<CLASS>_DAYS` (see okmarts.settings), counted from the moment named.

| Class (report key) | Setting `…_DAYS` | Default | Counted from | Then |
|---|---|---|---|---|
| Sign-in history (`sign_in_history`) | `SIGN_IN` | 180 | the sign-in | row deleted (a)|
| Sessions (`sessions`) | — | 30 | signing in | row deleted (h) |
| Linked accounts (`account`: kept with it) | — | the account's life | linking | deleted (j) |
| Rate-limit attempts (`rate_limit_attempts`) | `ATTEMPT` | 1 | the attempt | row deleted |
| Visit statistics (`page_views`) | `PAGE_VIEW` | 400 | the page view | row deleted |
| Cookie-consent log (`cookie_consents`) | `COOKIE_CONSENT` | 1095 | the choice | row deleted |
| Email bodies (`outbox_bodies`) | `OUTBOX` | 90 | sending (b) | bodies erased |
| Farewell emails (`farewell_copies`) | — | 0 | delivery | copy erased (g) |
| Unverified accounts (`unverified_accounts`) | `UNVERIFIED_ACCOUNT` | 30 | sign-up | deleted (c) |
| Inactive accounts (`inactive_accounts_*`) | `INACTIVE_ACCOUNT` | 1095 | last sign-in | (d) |
| … notice before deleting them | `INACTIVE_NOTICE` | 30 | the notice | (d) |
| Finished orders (`orders_anonymised`) | `ORDER` | 3650 | last status change | (e) |
| Closed privacy requests (`privacy_requests`) | `PRIVACY_REQUEST` | 1095 | closing | deleted |
| Card payment attempts (`payment_attempts`) | `PAYMENT_ATTEMPT` | 90 | last change | deleted (i) |
| Dismissals (`recommendation_dismissals`) | `RECOMMENDATION_DISMISSAL` | 365 | (k) | deleted |
| Company invitations (`company_invitations`) | `COMPANY_INVITATION` | 30 | expiry (m) | deleted |
| Companies, memberships (`account`: kept with it) | — | the members' life | joining | (m) |
| Invoices (`orders_anonymised`: kept with the order) | `ORDER` | 3650 | the order | (e) |
| Message center (`notifications`) | `NOTIFICATION` | 365 | the message | deleted (l) |
| Notification settings (`account`: kept with it) | — | the account's life | the change | (l) |
| Watched parts (`part_watches`) | `PART_WATCH` | 365 | (m) | deleted |
| Newsletters (`newsletter_deliveries`) | `NEWSLETTER_DELIVERY` | 730 | queueing | deleted (m) |
| Ended quotes (`quotes`) | `QUOTE` | 730 | the last change (m) | deleted |
| Support conversations (`support_conversations`) | `SUPPORT` | 1095 | closing (f) | deleted |
| Survey comments (`survey_comments`) | `SUPPORT` | 1095 | closing (o) | comment erased, unlinked |
| Complaints (`complaints`) | `COMPLAINT` | 1095 | the decision (n) | deleted |
| Returns' notes (`return_notes`) | `RETURN` | 1095 | the last change (n) | note erased, unlinked |

Why these periods:
- Sign-in history: the personal center shows recent sign-ins and new-device alerts compare with
  devices seen before; half a year covers "was that me?" and incident investigation (§3).
- Rate-limit attempts: the longest window is one hour; a day leaves room and no more.
- Visit statistics: 400 days (13 months and a margin) lets a month be compared with the same
  month a year before; the rows hold keyed hashes and a truncated IP, and 13 months is the
  lifetime CNIL and others accept for audience measurement.
- Cookie consents: the log is the proof of each choice; it must outlive the choice (asked
  again at most yearly) and cover a complaint's limitation period: three years.
- Email bodies: 90 days answers "what did you send me?"; the row itself (kind, recipient,
  subject, times) stays as the record that a notice was sent (an inactive-account notice is
  found by it).
- Unverified accounts: the verification link works three days; an address never confirmed in
  30 days is not going to be, and may not even belong to whoever signed up.
- Inactive accounts: three years without a sign-in, then a notice; deleted 30 days after the
  notice unless the shopper signs in meanwhile.
- Finished orders: tax and commercial law keep invoices and their records for years (10 under
  e.g. German §147 AO; China's E-Commerce Law art. 31 asks for at least 3 after completion):
  set it to the longest that applies to the operator.
- Closed privacy requests: proof that a request was answered, for a complaint's limitation
  period.

(n) Issue 16 (services/returns.py): a complaint is kept for legal claims (a dispute's limitation
    period, three years) after its decision, also when its account is erased; an open one stays.
    A finished return (refused or refunded) keeps its lines, amounts and status with its order
    (the books); the shopper's note is erased and the link to the account cut after `RETURN`
    days (an unfinished return stays as it is).

(o) Issue 16 (services/support_survey.py): an answer to the satisfaction survey is personal
    while linked to its conversation. Its comment (the shopper's words) is blanked and the link
    cut when the conversation goes: with it, after `SUPPORT` days from closing (the same run,
    before the conversations are deleted), or when the account is erased (services.erasure).
    The run also blanks the comment of any answer whose conversation went some other way. The
    rating (1–5) and its date stay, anonymous, for the service statistics: nothing in them
    names or leads to a person, so no period applies.

(a) Before a sign-in row goes, its time is kept as Account.last_active_at, so the inactivity
    rule still knows when the shopper last came.
(b) Sent messages, and messages given up after every retry (counted from creation). Text and
    HTML bodies and the last error are emptied; the row's metadata stays.
(c) Accounts never verified and holding no order (an unverified account cannot check out),
    erased through services.erasure (`erase_account`: its REGISTRY says what becomes of every
    personal field; the account row goes, avatar file included).
(d) `inactive_accounts_notified`: emailed (template emails/account_inactive.*) that the account
    will be deleted after the notice period; the outbox row is the record of the notice (its
    time is the run's clock). A sign-in after the notice voids it. `inactive_accounts_erased`:
    notified accounts still inactive after the notice period, erased through services.erasure
    (reviews and questions kept anonymous, its default). No notices go out during a wind-down:
    everyone got the closing notice instead.
(e) Orders delivered, completed, cancelled or refunded: recipient, phone, email, city, address
    line, zip code, company, tax id, billing address and tracking number are emptied, the link
    to the account is cut, and so are the payer's name and email on its payments and the staff
    notes in its history. Kept: number, dates, statuses, lines, amounts, country and region
    (what the books need without naming anyone).
(f) Conversations with customer service (services.support), with their messages and
    attachments, counted from when they were closed: three years cover the limitation period
    of a claim about the sale they were about (the policy's "records of disputes and
    complaints"). A visitor's conversation never confirmed by its emailed link goes after
    7 days: staff never saw it. Open conversations are kept while they are open.
(h) A session's cookie is worth nothing after 30 days (web.SESSION_MAX_AGE); its row, which
    only says that a browser is signed in, goes then. Signing out deletes it at once.
(g) The last email to an erased account: services.erasure forgets its copy once delivered;
    the job catches those the background sender delivered later.
(i) Attempts captured, voided or failed (services.payment_attempts): who tried to pay what,
    when, and the gateway's answer. 90 days answer a shopper asking about a hold on their card
    (banks release an uncaptured hold within days, and statements arrive monthly) and cover
    card-testing checks; the order's Payment row keeps what the books need. Unfinished ones are
    never deleted: the sweep settles them first.
(j) Accounts of other platforms linked for signing in (services.oidc): kept while linked, as
    the way the shopper signs in; unlinked by the shopper (or by withdrawing the consent), and
    deleted with the account (erasure, including the unverified and inactive rules above: a
    sign-in with a linked account counts as activity). The provider's tokens are never stored.
(k) Counted from when the dismissal was saved. "Not interested" on a recommendation
    (services.recommendations), kept for a signed-in shopper whose data may personalise: after
    a year the product may be worth showing again, and tastes change. Withdrawing the consent
    (or restricting processing, objecting) removes them all at once, not waiting for this.
(l) The message center (services.message_center) holds a copy of each notification: a year
    answers "what did you tell me?" beside the order pages and email, which keep their own
    records. The settings (services.notifications) are the shopper's choices, kept as long as
    the account is; a marketing choice's changes are also consent events (kept with them).
(m) Which newsletters were queued for whom (services.newsletters): two years answer "why did
    you send me this?" and cover a complaint about marketing; the newsletter keeps its counts.

(m) Watched parts (services.watches): a signed-in shopper's watch lasts while it may still
    fire, as long as the account; once a one-shot watch (back in stock, discontinued) was told,
    it goes a year after that alert. A visitor's watch (an address confirmed by a link, no
    account to delete) goes a year after it was confirmed or last told, whichever is later:
    watching again renews it. Every alert carries a link that deletes it at once.

(m) Quotes (services.quotes) accepted, declined or expired, counted from that change: two
    years answer "what were we offered last time?" for a buyer's next project; an accepted
    quote's prices live on in its order's lines, which follow the order's rule (e). Quotes
    still requested or answered are kept while they are open.

(m) Company accounts (services.companies): an invitation is of no use a month after it expired
    or was accepted (the membership is the record). A company lives as long as it has members:
    the last one leaving (or deleting the account) takes it. Invoices are tax records, kept
    with their order for the order period (ten years), also after the buyer's erasure.

The same run also settles what must not wait (not retention classes, reported beside them):
- `unpaid_orders_expired`, `unpaid_orders_reminded`: orders awaiting payment for
  OKMARTS_UNPAID_ORDER_DAYS (7) are cancelled, stock and points back, and a day before that
  the customer is reminded (services.unpaid_orders);
- `quotes_expired`: answered quotes past their validity date are marked expired (they read
  as expired already: services.quotes.effective_status);
- `unfinished_payments_voided`, `unfinished_payments_captured`: card payments left unfinished
  for OKMARTS_PAYMENT_VOID_AFTER_MINUTES (10) by a crash between authorising and writing the
  order (services.payment_attempts.sweep, which `okmarts serve` also runs every minute).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from piccolo.query.functions.aggregate import Max
from piccolo.table import Table

from okmarts.db import write_transaction
from okmarts.services import payment_attempts, quotes, unpaid_orders
from okmarts.services.erasure import FAREWELL_KIND, erase_account, forget_delivered_farewells
from okmarts.services.messaging import MAX_ATTEMPTS, enqueue_email, notify_mail_queued
from okmarts.services.payments import Gateway, configured_gateway
from okmarts.services.service_state import wind_down
from okmarts.services.support_files import (  # issue 16 (H-chat)
    delete_files_of_gone_rows as delete_support_files,
)
from okmarts.services.support_files import paths_of_conversations as support_paths_of
from okmarts.services.watches import ONE_SHOT
from okmarts.settings import Settings
from okmarts.tables.accounts import Account, AccountSession, Attempt, SignIn
from okmarts.tables.checkout import Order, OrderEvent, Payment, PaymentAttempt
from okmarts.tables.companies import CompanyInvitation
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.newsletters import NewsletterDelivery
from okmarts.tables.notifications import Notification
from okmarts.tables.privacy import CookieConsent, PageView, PrivacyRequest
from okmarts.tables.quotes import Quote
from okmarts.tables.recommendations import RecommendationDismissal
from okmarts.tables.returns import Complaint, ReturnRequest
from okmarts.tables.support import Conversation
from okmarts.tables.support_staff import SurveyAnswer
from okmarts.tables.watches import PartWatch

log = logging.getLogger("okmarts.retention")

# What bounds the life of each table that holds personal data (services.erasure.REGISTRY): a
# class of `run` (its report key), or ACCOUNT_LIFETIME: kept while the account lives (the
# shopper's own address book, cart, reviews, consents…) and erased with it, by its owner or by
# the inactive/unverified rules. A table missing here fails tests/unit/test_retention.py.
ACCOUNT_LIFETIME = "account"
CLASS_OF_TABLE = {
    "account": "inactive_accounts_erased",
    "address": ACCOUNT_LIFETIME,
    "points_entry": ACCOUNT_LIFETIME,
    "cart_line": ACCOUNT_LIFETIME,
    "coupon_use": ACCOUNT_LIFETIME,
    "review": ACCOUNT_LIFETIME,
    "question": ACCOUNT_LIFETIME,
    "review_vote": ACCOUNT_LIFETIME,
    "consent_event": ACCOUNT_LIFETIME,
    "policy_acceptance": ACCOUNT_LIFETIME,
    "sign_in": "sign_in_history",
    "account_session": "sessions",
    "linked_identity": ACCOUNT_LIFETIME,
    "recommendation_dismissal": "recommendation_dismissals",
    "attempt": "rate_limit_attempts",
    "shop_order": "orders_anonymised",
    "order_event": "orders_anonymised",
    "payment": "orders_anonymised",
    "payment_attempt": "payment_attempts",
    "outbox_message": "outbox_bodies",
    "notification": "notifications",
    "notification_subscription": ACCOUNT_LIFETIME,
    "follow": ACCOUNT_LIFETIME,
    "part_watch": "part_watches",
    "policy_notice": ACCOUNT_LIFETIME,
    "newsletter_delivery": "newsletter_deliveries",
    "saved_list": ACCOUNT_LIFETIME,
    "saved_list_item": ACCOUNT_LIFETIME,
    "privacy_request": "privacy_requests",
    "quote": "quotes",
    "conversation": "support_conversations",
    "conversation_message": "support_conversations",
    "conversation_attachment": "support_conversations",
    "survey_answer": "survey_comments",  # issue 16 (H-survey)
    # Issue 16 (H-returns): returns and complaints (services/returns.py).
    "return_request": "return_notes",
    "complaint": "complaints",
    "quote_line": "quotes",
    # Company accounts (services/companies.py) and invoices (services/invoices.py).
    "company": ACCOUNT_LIFETIME,
    "company_member": ACCOUNT_LIFETIME,
    "company_invitation": "company_invitations",
    # The company's shipping addresses: as long as the company (deleted with it).
    "company_address": ACCOUNT_LIFETIME,
    "invoice": "orders_anonymised",
}

# A visitor's conversation whose emailed link was never opened (staff never saw it).
UNVERIFIED_CONVERSATION_DAYS = 7
FINISHED_ATTEMPT_STATUSES = ("captured", "voided", "failed")

INACTIVE_NOTICE_KIND = "account_inactive"
# As long as a session cookie is accepted (okmarts.web.SESSION_MAX_AGE).
SESSION_DAYS = 30
FINISHED_ORDER_STATUSES = ("delivered", "completed", "cancelled", "refunded")
ORDER_PERSONAL_FIELDS = (
    Order.recipient,
    Order.phone,
    Order.email,
    Order.city,
    Order.line,
    Order.zip_code,
    Order.company,
    Order.tax_id,
    Order.billing_address,
    Order.tracking_number,  # the carrier's site would show the address again
)
# Ids per IN (...) list: well under SQLite's limit of bound parameters.
CHUNK = 500

T = TypeVar("T")


def chunks(values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _order_accounts() -> Any:
    return Order.select(Order.account).where(Order.account.is_not_null())


def as_datetime(value: Any) -> dt.datetime | None:
    """A timestamp from an aggregate (SQLite returns it as text)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


async def run(
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    gateway: Gateway | None = None,
) -> dict[str, int]:
    """Delete or anonymise what outlived its retention period; a count per class. Also expire
    unpaid orders and settle unfinished card payments (through `gateway`, the configured one
    by default)."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)

    def before(days: int) -> dt.datetime:
        return now - dt.timedelta(days=days)

    counts: dict[str, int] = {}
    counts["sign_in_history"] = await _sign_ins(before(settings.retention_sign_in_days), dry_run)
    counts["sessions"] = await _delete(
        AccountSession, AccountSession.created_at < before(SESSION_DAYS), dry_run
    )
    counts["rate_limit_attempts"] = await _delete(
        Attempt, Attempt.created_at < before(settings.retention_attempt_days), dry_run
    )
    counts["page_views"] = await _delete(
        PageView, PageView.created_at < before(settings.retention_page_view_days), dry_run
    )
    counts["cookie_consents"] = await _delete(
        CookieConsent,
        CookieConsent.created_at < before(settings.retention_cookie_consent_days),
        dry_run,
    )
    counts["outbox_bodies"] = await _outbox_bodies(before(settings.retention_outbox_days), dry_run)
    counts["farewell_copies"] = await _farewell_copies(dry_run)
    counts["notifications"] = await _delete(
        Notification,
        Notification.created_at < before(settings.retention_notification_days),
        dry_run,
    )
    counts["newsletter_deliveries"] = await _delete(
        NewsletterDelivery,
        NewsletterDelivery.queued_at < before(settings.retention_newsletter_delivery_days),
        dry_run,
    )
    counts["unverified_accounts"] = await _unverified_accounts(
        settings, before(settings.retention_unverified_account_days), now, dry_run
    )
    counts.update(await _inactive_accounts(settings, now, dry_run))
    counts["orders_anonymised"] = await _orders(before(settings.retention_order_days), dry_run)
    counts["privacy_requests"] = await _delete(
        PrivacyRequest,
        (PrivacyRequest.status != "open")
        & PrivacyRequest.closed_at.is_not_null()
        & (PrivacyRequest.closed_at < before(settings.retention_privacy_request_days)),
        dry_run,
    )
    counts["payment_attempts"] = await _delete(
        PaymentAttempt,
        PaymentAttempt.status.is_in(list(FINISHED_ATTEMPT_STATUSES))
        & (PaymentAttempt.updated_at < before(settings.retention_payment_attempt_days)),
        dry_run,
    )
    # (m) An invitation is of no use once it expired or was accepted (the membership is the
    # record); a company lives as long as it has members (the last one leaving or being
    # erased takes it); a member's row goes when they leave or their account is erased.
    company_invitations_before = before(settings.retention_company_invitation_days)
    counts["company_invitations"] = await _delete(
        CompanyInvitation,
        (CompanyInvitation.expires_at < company_invitations_before)
        | (
            CompanyInvitation.accepted_at.is_not_null()
            & (CompanyInvitation.accepted_at < company_invitations_before)
        ),
        dry_run,
    )
    counts["recommendation_dismissals"] = await _delete(
        RecommendationDismissal,
        RecommendationDismissal.created_at
        < before(settings.retention_recommendation_dismissal_days),
        dry_run,
    )
    counts["part_watches"] = await _delete(
        PartWatch, _expired_watches(before(settings.retention_part_watch_days)), dry_run
    )
    # Quotes: expire first, so that a quote ended today starts its retention period now.
    counts["quotes_expired"] = await quotes.expire_due(now, dry_run=dry_run)
    counts["quotes"] = await _delete(
        Quote,
        Quote.status.is_in(list(quotes.ENDED_STATUSES))
        & (Quote.updated_at < before(settings.retention_quote_days)),
        dry_run,
    )
    expired_conversations = (
        (Conversation.status == "closed")
        & (Conversation.closed_at < before(settings.retention_support_days))
    ) | (
        (Conversation.status == "unverified")
        & (Conversation.created_at < before(UNVERIFIED_CONVERSATION_DAYS))
    )
    # Issue 16 (H-survey): the survey answers' comments go first, with their link (o).
    counts["survey_comments"] = await _survey_comments(expired_conversations, dry_run)
    # issue 16 (H-chat): the attachments' files go with their rows.
    support_paths = [] if dry_run else await support_paths_of(expired_conversations)
    counts["support_conversations"] = await _delete(Conversation, expired_conversations, dry_run)
    await delete_support_files(settings, support_paths)
    # Issue 16 (H-returns): complaints after their limitation period; finished returns' notes.
    counts["complaints"] = await _delete(
        Complaint,
        (Complaint.status == "decided")
        & (Complaint.decided_at < before(settings.retention_complaint_days)),
        dry_run,
    )
    finished_returns = (
        ReturnRequest.status.is_in(["refused", "refunded"])
        & (ReturnRequest.updated_at < before(settings.retention_return_days))
        & ((ReturnRequest.note != "") | ReturnRequest.account.is_not_null())
    )
    counts["return_notes"] = await ReturnRequest.count().where(finished_returns)
    if counts["return_notes"] and not dry_run:
        await ReturnRequest.update({ReturnRequest.note: "", ReturnRequest.account: None}).where(
            finished_returns
        )
    unpaid = await unpaid_orders.run(settings, now=now, dry_run=dry_run)
    counts["unpaid_orders_expired"] = unpaid.expired
    counts["unpaid_orders_reminded"] = unpaid.reminded
    swept = await payment_attempts.sweep(
        gateway or configured_gateway(), settings, now=now, dry_run=dry_run
    )
    counts["unfinished_payments_voided"] = swept.voided
    counts["unfinished_payments_captured"] = swept.captured
    return counts


def _expired_watches(cutoff: dt.datetime) -> Any:
    """One-shot watches told before the cutoff; visitors' watches untouched since it (m)."""
    told_long_ago = PartWatch.fired_at.is_not_null() & (PartWatch.fired_at < cutoff)
    one_shot_done = PartWatch.kind.is_in(sorted(ONE_SHOT)) & told_long_ago
    visitor_idle = PartWatch.account.is_null() & (
        told_long_ago | (PartWatch.fired_at.is_null() & (PartWatch.created_at < cutoff))
    )
    return one_shot_done | visitor_idle


async def _survey_comments(expired_conversations: Any, dry_run: bool) -> int:
    """Blank the comment and cut the link of answers about expired conversations, and blank
    any comment left on an answer whose conversation is gone already (o)."""
    expired = SurveyAnswer.conversation.is_in(
        Conversation.select(Conversation.id).where(expired_conversations)
    )
    orphaned = SurveyAnswer.conversation.is_null() & (SurveyAnswer.comment != "")
    count = await SurveyAnswer.count().where(expired | orphaned)
    if count and not dry_run:
        await SurveyAnswer.update(
            {SurveyAnswer.comment: "", SurveyAnswer.conversation: None}
        ).where(expired | orphaned)
    return count


async def _delete(table: type[Table], condition: Any, dry_run: bool) -> int:
    # Rows only ever age into the condition (the cutoff is fixed): count and delete agree.
    count = await table.count().where(condition)
    if count and not dry_run:
        await table.delete().where(condition)
    return count


async def _sign_ins(cutoff: dt.datetime, dry_run: bool) -> int:
    expired = SignIn.created_at < cutoff
    count = await SignIn.count().where(expired)
    if not count or dry_run:
        return count
    # Keep "when did they last come" for the inactivity rule before the rows go.
    latest = await (
        SignIn.select(SignIn.account, Max(SignIn.created_at).as_alias("last"))
        .where(expired & SignIn.account.is_not_null())
        .group_by(SignIn.account)
    )
    async with write_transaction(SignIn._meta.db):
        for row in latest:
            last = as_datetime(row["last"])
            await Account.update({Account.last_active_at: last}).where(
                (Account.id == row["account"])
                & (Account.last_active_at.is_null() | (Account.last_active_at < last))
            )
        await SignIn.delete().where(expired)
    return count


async def _outbox_bodies(cutoff: dt.datetime, dry_run: bool) -> int:
    done = (OutboxMessage.sent_at < cutoff) | (
        OutboxMessage.sent_at.is_null()
        & (OutboxMessage.attempts >= MAX_ATTEMPTS)
        & (OutboxMessage.created_at < cutoff)
    )
    condition = done & (
        (OutboxMessage.text_body != "")
        | (OutboxMessage.html_body != "")
        | (OutboxMessage.last_error != "")
    )
    count = await OutboxMessage.count().where(condition)
    if count and not dry_run:
        await OutboxMessage.update(
            {
                OutboxMessage.text_body: "",
                OutboxMessage.html_body: "",
                OutboxMessage.last_error: "",
            }
        ).where(condition)
    return count


async def _farewell_copies(dry_run: bool) -> int:
    # services.erasure forgets a farewell email's copy once it is delivered; this catches those
    # the background sender delivered after the erasure.
    if dry_run:
        return await OutboxMessage.count().where(
            (OutboxMessage.kind == FAREWELL_KIND)
            & (OutboxMessage.recipient != "")
            & (OutboxMessage.sent_at.is_not_null() | (OutboxMessage.attempts >= MAX_ATTEMPTS))
        )
    return await forget_delivered_farewells()


# -- Accounts -----------------------------------------------------------------------------------


async def erase_accounts(
    settings: Settings, ids: list[int], *, reason: str, now: dt.datetime
) -> int:
    """Erase whole accounts through services.erasure (one transaction each); how many went."""
    erased = 0
    for account_id in ids:
        if await erase_account(account_id, settings=settings, reason=reason, now=now):
            erased += 1
    return erased


async def _unverified_accounts(
    settings: Settings, cutoff: dt.datetime, now: dt.datetime, dry_run: bool
) -> int:
    rows = await Account.select(Account.id).where(
        Account.email_verified_at.is_null()
        & (Account.created_at < cutoff)
        & Account.id.not_in(_order_accounts())
    )
    ids = [row["id"] for row in rows]
    if not ids or dry_run:
        return len(ids)
    return await erase_accounts(settings, ids, reason="retention: never verified", now=now)


async def _latest_per_account(
    table: type[Table], column: Any, ids: list[int], condition: Any = None
) -> dict[int, dt.datetime]:
    latest: dict[int, dt.datetime] = {}
    account = table._meta.get_column_by_name("account")
    for batch in chunks(ids):
        where = account.is_in(batch)
        if condition is not None:
            where &= condition
        rows = await (
            table.select(account, Max(column).as_alias("last")).where(where).group_by(account)
        )
        for row in rows:
            value = as_datetime(row["last"])
            if value is not None:
                latest[row["account"]] = value
    return latest


async def _inactive_accounts(settings: Settings, now: dt.datetime, dry_run: bool) -> dict[str, int]:
    cutoff = now - dt.timedelta(days=settings.retention_inactive_account_days)
    notice_period = dt.timedelta(days=settings.retention_inactive_notice_days)
    rows = await Account.select(
        Account.id, Account.email, Account.locale, Account.created_at, Account.last_active_at
    ).where(
        (Account.created_at < cutoff)
        & (Account.last_active_at.is_null() | (Account.last_active_at < cutoff))
        # Never-verified accounts without orders fall to the unverified rule instead.
        & (Account.email_verified_at.is_not_null() | Account.id.is_in(_order_accounts()))
        & Account.id.not_in(
            SignIn.select(SignIn.account).where(
                (SignIn.created_at >= cutoff) & SignIn.account.is_not_null()
            )
        )
    )
    ids = [row["id"] for row in rows]
    signed_in = await _latest_per_account(SignIn, SignIn.created_at, ids)
    noticed = await _latest_per_account(
        OutboxMessage,
        OutboxMessage.created_at,
        ids,
        OutboxMessage.kind == INACTIVE_NOTICE_KIND,
    )
    to_notify: list[dict[str, Any]] = []
    due: list[int] = []
    for row in rows:
        seen = max(
            value
            for value in (row["created_at"], row["last_active_at"], signed_in.get(row["id"]))
            if value is not None
        )
        notice = noticed.get(row["id"])
        if notice is None or notice <= seen:
            to_notify.append({**row, "last_seen": seen})
        elif notice <= now - notice_period:
            due.append(row["id"])
    if await wind_down() is not None:
        to_notify = []
    counts = {"inactive_accounts_notified": len(to_notify), "inactive_accounts_erased": len(due)}
    if dry_run:
        return counts
    for batch in chunks(to_notify, 100):
        async with write_transaction(OutboxMessage._meta.db):
            for account in batch:
                await _notify_inactive(settings, account, now, now + notice_period)
        notify_mail_queued()
    await erase_accounts(settings, due, reason="retention: inactive", now=now)
    return counts


async def _notify_inactive(
    settings: Settings, account: dict[str, Any], now: dt.datetime, delete_on: dt.datetime
) -> None:
    message_id = await enqueue_email(
        kind=INACTIVE_NOTICE_KIND,
        recipient=account["email"],
        locale=account["locale"],
        account_id=account["id"],
        context={
            "last_seen": account["last_seen"],
            "delete_on": delete_on,
            "login_link": f"{settings.base_url}/login",
            "privacy_center_link": f"{settings.base_url}/account/privacy",
            "privacy_link": f"{settings.base_url}/privacy",
        },
    )
    # The notice's time is the record the deletion waits on: the run's clock, not the wall's.
    await OutboxMessage.update({OutboxMessage.created_at: now}).where(
        OutboxMessage.id == message_id
    )


async def _orders(cutoff: dt.datetime, dry_run: bool) -> int:
    not_yet = Order.account.is_not_null()
    for column in ORDER_PERSONAL_FIELDS:
        not_yet |= column != ""
    condition = (
        Order.status.is_in(list(FINISHED_ORDER_STATUSES)) & (Order.updated_at < cutoff) & not_yet
    )
    rows = await Order.select(Order.id).where(condition)
    ids = [row["id"] for row in rows]
    if not ids or dry_run:
        return len(ids)
    for batch in chunks(ids):
        async with write_transaction(Order._meta.db):
            await Order.update(
                {Order.account: None, **{column: "" for column in ORDER_PERSONAL_FIELDS}}
            ).where(Order.id.is_in(batch))
            await Payment.update({Payment.payer_name: "", Payment.payer_email: ""}).where(
                Payment.order.is_in(batch)
            )
            # Staff notes may name the customer; statuses and dates stay.
            await OrderEvent.update({OrderEvent.note: ""}).where(OrderEvent.order.is_in(batch))
    return len(ids)
