"""Cessation of operations (policy §7): stop collecting, tell everyone, then erase what is held.

`okmarts wind-down --notice-days N` (announce):
- records the ServiceState "wind_down" {announced_at, ends_at}: from that moment sign-ups are
  refused, visit statistics stop and every page shows the closing notice
  (partials/layout/wind_down_notice.html);
- queues one email per account, in the account's language (emails/wind_down.*), through the
  outbox. The outbox row is the record: running the command again emails only accounts that
  have none (a run that stopped half-way is completed, nobody is emailed twice) and keeps the
  date first announced.

`okmarts wind-down --finish [--force]`: refused before ends_at, and while orders are still open
(awaiting payment, paid, shipped: their delivery address is still needed), unless forced. Then:
- every account is erased through services.erasure (`erase_account`, reason "wind-down"):
  its REGISTRY decides field by field (the account row, addresses, cart, points, sign-ins,
  consents go; orders keep only what tax law needs; emails lose recipient and text);
- reviews and questions are deleted (free text that may be personal; the shop shows them no
  more), votes with them;
- what is not tied to an account: sign-in history and rate-limit attempts, visit statistics
  (already stopped) are deleted; emails not sent yet are deleted and sent ones keep only their
  metadata; free-text details of privacy requests are emptied;
- kept, as retention says: orders and payments without the buyer's contact details (tax
  records: `okmarts retention run` anonymises the rest when ORDER_DAYS end), the cookie-consent
  log (anonymous proof of consent), closed privacy requests (proof they were answered);
- the wind-down is marked finished: the notice on every page then says the shop has closed.
Running --finish again finds nothing left and reports zeros. Staff users of the admin
(piccolo_user) are not shoppers' data and are left to the operator.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from okmarts.db import write_transaction
from okmarts.i18n import N_, Message
from okmarts.services.accounts import FormInvalid
from okmarts.services.erasure import OPEN_ORDER_STATUSES
from okmarts.services.messaging import enqueue_email, notify_mail_queued
from okmarts.services.retention import erase_accounts
from okmarts.services.service_state import WIND_DOWN, WindDown, set_state, wind_down
from okmarts.settings import Settings
from okmarts.tables.accounts import Account, Attempt, SignIn
from okmarts.tables.checkout import Order
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.privacy import PageView, PrivacyRequest
from okmarts.tables.reviews import Question, Review

log = logging.getLogger("okmarts.wind_down")

NOTICE_KIND = "wind_down"
# How stale a worker's idea of the wind-down may be: one small read per worker and interval.
STATE_REFRESH_SECONDS = 5.0
EMAIL_BATCH = 200


@dataclass(frozen=True)
class Notice:
    """What the notice on every page says: closing on `ends_at`, or closed."""

    ends_at: dt.datetime
    closed: bool


class CachedWindDown:
    """The wind-down as one worker knows it, read again at most every `seconds`.

    Every page shows the notice, so it must not cost a query per request: prepare_request
    calls refresh() (a clock comparison while fresh) and templates call notice().
    """

    def __init__(self, seconds: float = STATE_REFRESH_SECONDS) -> None:
        self.seconds = seconds
        self._state: WindDown | None = None
        self._read_at: float | None = None

    async def refresh(self) -> bool:
        """Read the state again if it is due; True when it changed (rendered pages are stale)."""
        now = time.monotonic()
        if self._read_at is not None and now - self._read_at < self.seconds:
            return False
        # Marked first: requests arriving during the read go on with the state known so far.
        self._read_at = now
        try:
            state = await wind_down()
        except Exception:  # the database away for a moment must not take every page down
            log.exception("Could not read the wind-down state; keeping the one known")
            return False
        changed, self._state = state != self._state, state
        return changed

    def forget(self) -> None:
        """Read the state again at the next request (as when the interval has passed)."""
        self._read_at = None

    def notice(self) -> Notice | None:
        state = self._state
        if state is None:
            return None
        closed = state.finished or dt.datetime.now(dt.UTC) >= state.ends_at
        return Notice(ends_at=state.ends_at, closed=closed)


class WindDownRefused(Exception):
    """The command cannot do what was asked; the message says why (for the operator)."""


@dataclass(frozen=True)
class Announcement:
    state: WindDown
    emails_queued: int
    already_announced: bool


@dataclass(frozen=True)
class Erased:
    counts: dict[str, int] = field(default_factory=dict)
    orders_kept: int = 0


async def check_sign_ups_open() -> None:
    """Refuse a new account once the wind-down is announced (§7: collecting stops at once)."""
    if await wind_down() is not None:
        raise FormInvalid(
            {"email": Message(N_("Okmarts is closing: new accounts can no longer be created."))}
        )


def _state_value(state: WindDown, **extra: Any) -> dict[str, Any]:
    return {
        "announced_at": state.announced_at.isoformat(),
        "ends_at": state.ends_at.isoformat(),
        "finished": state.finished,
        **extra,
    }


async def announce(
    settings: Settings, *, notice_days: int, now: dt.datetime | None = None
) -> Announcement:
    """Stop sign-ups and statistics now, and queue the closing notice to every account once."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    if notice_days < 1:
        raise WindDownRefused("The notice period must be at least one day.")
    state = await wind_down()
    if state is not None and state.finished:
        raise WindDownRefused("The wind-down is finished already: the data has been erased.")
    already = state is not None
    if state is None:
        state = WindDown(announced_at=now, ends_at=now + dt.timedelta(days=notice_days))
        await set_state(WIND_DOWN, _state_value(state), now)
    queued = await _email_every_account(settings, state)
    return Announcement(state=state, emails_queued=queued, already_announced=already)


async def _email_every_account(settings: Settings, state: WindDown) -> int:
    queued = 0
    last_id = 0
    emailed = OutboxMessage.select(OutboxMessage.account).where(
        (OutboxMessage.kind == NOTICE_KIND) & OutboxMessage.account.is_not_null()
    )
    while True:
        rows = await (
            Account.select(Account.id, Account.email, Account.locale)
            .where((Account.id > last_id) & (Account.email != "") & Account.id.not_in(emailed))
            .order_by(Account.id)
            .limit(EMAIL_BATCH)
        )
        if not rows:
            return queued
        async with write_transaction(OutboxMessage._meta.db):
            for row in rows:
                await enqueue_email(
                    kind=NOTICE_KIND,
                    recipient=row["email"],
                    locale=row["locale"],
                    account_id=row["id"],
                    context={
                        "ends_at": state.ends_at,
                        "privacy_link": f"{settings.base_url}/privacy",
                        "privacy_center_link": f"{settings.base_url}/account/privacy",
                    },
                )
        queued += len(rows)
        last_id = rows[-1]["id"]
        notify_mail_queued()


async def finish(
    settings: Settings, *, now: dt.datetime | None = None, force: bool = False
) -> Erased:
    """After the notice period: delete or anonymise the personal data held (see above)."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    state = await wind_down()
    if state is None:
        raise WindDownRefused(
            "No wind-down was announced: run `okmarts wind-down --notice-days N`."
        )
    if now < state.ends_at and not force:
        raise WindDownRefused(
            f"The notice period runs until {state.ends_at:%Y-%m-%d %H:%M} UTC: finishing before "
            "it ends breaks the promise made to shoppers (--force does it anyway)."
        )
    if not force:
        still_open = await Order.count().where(Order.status.is_in(list(OPEN_ORDER_STATUSES)))
        if still_open:
            raise WindDownRefused(
                f"{still_open} order(s) are still open (awaiting payment, paid or shipped): "
                "complete or cancel them first, their delivery address is still needed "
                "(--force erases it anyway)."
            )
    erased = await _erase_everything(settings, now)
    await set_state(
        WIND_DOWN,
        _state_value(
            WindDown(announced_at=state.announced_at, ends_at=state.ends_at, finished=True),
            finished_at=now.isoformat(),
        ),
        now,
    )
    return erased


async def _erase_everything(settings: Settings, now: dt.datetime) -> Erased:
    counts: dict[str, int] = {}
    ids = [row["id"] for row in await Account.select(Account.id).order_by(Account.id)]
    counts["accounts_erased"] = await erase_accounts(settings, ids, reason="wind-down", now=now)
    counts["reviews"] = await _delete_all(Review)
    counts["questions"] = await _delete_all(Question)
    counts["sign_ins"] = await _delete_all(SignIn)
    counts["rate_limit_attempts"] = await _delete_all(Attempt)
    counts["page_views"] = await _delete_all(PageView)
    counts["unsent_emails"] = await _delete_all(OutboxMessage, OutboxMessage.sent_at.is_null())
    personal = (
        (OutboxMessage.recipient != "")
        | (OutboxMessage.text_body != "")
        | (OutboxMessage.html_body != "")
        | (OutboxMessage.last_error != "")
    )
    counts["sent_emails_emptied"] = await OutboxMessage.count().where(personal)
    await OutboxMessage.update(
        {
            OutboxMessage.recipient: "",
            OutboxMessage.text_body: "",
            OutboxMessage.html_body: "",
            OutboxMessage.last_error: "",
        }
    ).where(personal)
    details = PrivacyRequest.details != ""
    counts["privacy_request_details"] = await PrivacyRequest.count().where(details)
    await PrivacyRequest.update({PrivacyRequest.details: ""}).where(details)
    return Erased(counts=counts, orders_kept=await Order.count())


async def _delete_all(table: Any, condition: Any = None) -> int:
    count = await (table.count() if condition is None else table.count().where(condition))
    if count:
        query = table.delete(force=True) if condition is None else table.delete().where(condition)
        await query
    return count
