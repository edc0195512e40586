"""Points: an append-only ledger per account; the balance is the last entry's balance_after."""

from __future__ import annotations

import datetime as dt

from okmarts.db import is_postgres
from okmarts.i18n import N_
from okmarts.tables.accounts import Account, PointsEntry

PROFILE_COMPLETE_POINTS = 50

# What each reason code means to the shopper (shown in the ledger, translated there).
REASONS = {
    "profile_complete": N_("Profile completed"),
    # Issue 16 (H-returns, services/returns.py).
    "return_refunded": N_("Points given back for a return"),
    "return_taken_back": N_("Points earned taken back for a return"),
    "order_refund_taken_back": N_("Points earned taken back for a refunded order"),
}


async def balance(account_id: int) -> int:
    last = (
        await PointsEntry.select(PointsEntry.balance_after)
        .where(PointsEntry.account == account_id)
        .order_by(PointsEntry.id, ascending=False)
        .first()
    )
    return last["balance_after"] if last else 0


async def append_points(
    account_id: int,
    amount: int,
    reason: str,
    *,
    once_key: str | None = None,
    now: dt.datetime | None = None,
) -> PointsEntry | None:
    """Add an entry to the ledger; None if `once_key` was used before. Call inside a write
    transaction (okmarts.db.write_transaction), so concurrent entries can't share a balance.
    """
    if is_postgres(Account._meta.db):
        # Serialise entries of one account: the balance read below must be the latest.
        await Account.select(Account.id).where(Account.id == account_id).lock_rows()
    if once_key is not None and await PointsEntry.exists().where(PointsEntry.once_key == once_key):
        return None
    current = await balance(account_id)
    if current + amount < 0:
        raise ValueError("points balance cannot go below zero")
    entry = PointsEntry(
        account=account_id,
        amount=amount,
        balance_after=current + amount,
        reason=reason,
        once_key=once_key,
        created_at=now or dt.datetime.now(dt.UTC),
    )
    await entry.save()
    return entry


async def ledger(account_id: int, limit: int = 100) -> list[dict]:
    """The newest entries first."""
    return (
        await PointsEntry.select(
            PointsEntry.amount,
            PointsEntry.balance_after,
            PointsEntry.reason,
            PointsEntry.created_at,
        )
        .where(PointsEntry.account == account_id)
        .order_by(PointsEntry.id, ascending=False)
        .limit(limit)
    )
