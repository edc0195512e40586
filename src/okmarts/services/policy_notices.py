"""Telling every account that a new privacy-policy version was published (issue #17).

Publishing a version is adding its file (services/content.py). `announce_current` compares the
current version with the last one announced (a service state, read once per pass) and, when
they differ, tells every account that has not accepted the current version yet: one
`policy_changed` notice (type POLICY_CHANGES: information, not marketing) in the account's
language, through the gate and the outbox. Each notice is recorded in `policy_notice` with a
unique (account, version), inserted with ON CONFLICT DO NOTHING in the notice's transaction:
only the accounts whose row this run inserted are told, so a second run, or two workers at once,
tell each account once per version. Accounts are read in batches, keyset by id (bounded memory);
a run that stops midway goes on where it stopped.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from okmarts.db import write_transaction
from okmarts.services import notifications
from okmarts.services.content import current_policy_version
from okmarts.services.messaging import enqueue_email, notify_mail_queued
from okmarts.services.service_state import get_state, set_state
from okmarts.settings import Settings
from okmarts.tables.accounts import Account
from okmarts.tables.notifications import PolicyNotice

log = logging.getLogger("okmarts.policy")

NOTICE_KIND = "policy_changed"
ANNOUNCED = "policy_announced"  # service state: {"version": the last version announced}
BATCH = 200


@dataclass(frozen=True)
class Announcement:
    version: str
    told: int  # accounts whose notice this run recorded (queued or left to the gate)
    already: bool  # the version had been announced before: nothing to do


async def announced_version() -> str | None:
    return (await get_state(ANNOUNCED)).get("version")


async def announce_current(
    settings: Settings, *, now: dt.datetime | None = None, force: bool = False
) -> Announcement:
    """Tell every account of the current policy version, once; nothing when it was announced
    already (`force`: look for accounts not told yet anyway)."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    version = current_policy_version()
    if not force and await announced_version() == version:
        return Announcement(version, 0, already=True)
    told = 0
    after = 0
    while True:
        # Accounts that exist (an erased account's row is gone) and accepted an older version:
        # one who signed up under this one has read it already.
        rows = await (
            Account.select(Account.id, Account.email, Account.locale)
            .where(
                (Account.id > after) & (Account.email != "") & (Account.policy_version != version)
            )
            .order_by(Account.id)
            .limit(BATCH)
        )
        if not rows:
            break
        after = rows[-1]["id"]
        told += await _tell(settings, rows, version, now)
        notify_mail_queued()
    await set_state(ANNOUNCED, {"version": version, "announced_at": now.isoformat()}, now)
    if told:
        log.info("Privacy policy %s announced to %s accounts", version, told)
    return Announcement(version, told, already=False)


async def _tell(settings: Settings, rows: list[dict], version: str, now: dt.datetime) -> int:
    async with write_transaction(PolicyNotice._meta.db):
        # Only the rows this transaction inserts are told: a concurrent run's rows conflict.
        inserted = await (
            PolicyNotice.insert(
                *(PolicyNotice(account=row["id"], version=version, created_at=now) for row in rows)
            )
            .on_conflict(action="DO NOTHING")
            .returning(PolicyNotice.account)
        )
        new = {row["account"] for row in inserted}
        if not new:
            return 0
        states = await notifications.states(new)
        for row in rows:
            if row["id"] not in new:
                continue
            await enqueue_email(
                kind=NOTICE_KIND,
                recipient=row["email"],
                locale=row["locale"],
                account_id=row["id"],
                gate_state=states.get(row["id"]),
                context={
                    "version": version,
                    "policy_link": f"{settings.base_url}/privacy",
                    "settings_link": f"{settings.base_url}/account/notifications",
                },
            )
    return len(new)
