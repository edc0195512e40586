"""The notification settings page's rules (/account/notifications): one row per type with a box
per channel, and storing the shopper's choices. A change to a marketing type is logged like a
consent (services/privacy.py): a turn-off is a withdrawal. The gate itself is in
services/notifications.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from okmarts.db import lock_row, write_transaction
from okmarts.services import privacy
from okmarts.services.accounts import now_utc
from okmarts.services.notifications import (
    CHANNELS,
    MARKETING,
    TRANSACTIONAL,
    TYPES,
    AccountState,
    chosen,
    decide,
    forbidden,
    is_transactional,
    state_of,
)
from okmarts.tables.accounts import Account
from okmarts.tables.notifications import NotificationSubscription
from okmarts.tables.privacy import ConsentEvent


def settings_rows(state: AccountState) -> list[dict[str, Any]]:
    """One row per type: each channel's box (checked, disabled) and why a row is fixed."""
    rows = []
    for type_code, kind in TYPES.items():
        fixed = "transactional" if kind.kind == TRANSACTIONAL else forbidden(state, type_code)
        channels = [
            {
                "code": channel,
                "label": label,
                "checked": decide(state, type_code, channel).allowed,
                "disabled": fixed is not None,
            }
            for channel, label in CHANNELS.items()
        ]
        rows.append(
            {
                "code": type_code,
                "label": kind.label,
                "explanation": kind.explanation,
                "marketing": kind.kind == MARKETING,
                "fixed_reason": fixed,
                "channels": channels,
            }
        )
    return rows


def consent_code(type_code: str, channel: str) -> str:
    """How a marketing subscription's change is named in the consent log."""
    return f"notifications:{type_code}:{channel}"


def consent_labels() -> dict[str, str]:
    """The consent log's name of each marketing subscription, and what to call it."""
    return {
        consent_code(code, channel): kind.label
        for code, kind in TYPES.items()
        if kind.kind == MARKETING
        for channel in CHANNELS
    }


async def save_choices(
    account: Account, wanted: set[tuple[str, str]], now: dt.datetime | None = None
) -> list[tuple[str, str, bool]]:
    """Store the settings form: every (type, channel) the shopper may change is on if it is in
    `wanted`, off otherwise; rows fixed by a rule (transactional, no consent…) are left alone.
    A change to a marketing type is logged like a consent (a turn-off is a withdrawal).
    Returns the (type, channel, on) that changed."""
    now = now or now_utc()
    changed: list[tuple[str, str, bool]] = []
    async with write_transaction(Account._meta.db):
        await lock_row(Account, account.id)
        state = await state_of(account.id)
        if state is None:
            return []
        for type_code in TYPES:
            if is_transactional(type_code) or forbidden(state, type_code) is not None:
                continue
            for channel in CHANNELS:
                on = (type_code, channel) in wanted
                if chosen(state, type_code, channel) == on:
                    continue
                await _store_choice(account.id, type_code, channel, on, now, state)
                changed.append((type_code, channel, on))
    return changed


async def set_choice(
    account_id: int, type_code: str, channel: str, on: bool, now: dt.datetime | None = None
) -> bool:
    """Inside the caller's transaction: turn one type on or off on one channel (e.g. when the
    shopper follows a category: FOLLOWS on). Logged like a consent for marketing types.
    True when it changed."""
    state = await state_of(account_id)
    if state is None or is_transactional(type_code):
        return False
    if chosen(state, type_code, channel) == on:
        return False
    await _store_choice(account_id, type_code, channel, on, now or now_utc(), state)
    return True


async def _store_choice(
    account_id: int,
    type_code: str,
    channel: str,
    on: bool,
    now: dt.datetime,
    state: AccountState,
) -> None:
    where = (
        (NotificationSubscription.account == account_id)
        & (NotificationSubscription.type == type_code)
        & (NotificationSubscription.channel == channel)
    )
    if (type_code, channel) in state.choices:
        await NotificationSubscription.update(
            {NotificationSubscription.enabled: on, NotificationSubscription.changed_at: now}
        ).where(where)
    else:
        await NotificationSubscription.insert(
            NotificationSubscription(
                account=account_id, type=type_code, channel=channel, enabled=on, changed_at=now
            )
        )
    if TYPES[type_code].kind == MARKETING:
        # A marketing subscription is a consent: logged, and a withdrawal is a completed request.
        await ConsentEvent.insert(
            ConsentEvent(
                account=account_id,
                consent=consent_code(type_code, channel),
                granted=on,
                created_at=now,
            )
        )
        if not on:
            await privacy.record_withdrawal(account_id, consent_code(type_code, channel), now)
