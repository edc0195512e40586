"""Card payment attempts: written before the gateway is asked, settled even after a crash.

`orders.place_order` writes an attempt (`started`) before it authorises, records the gateway's
answer (`authorised` or `failed`), links the attempt to the order's Payment inside the order
transaction, and marks it `captured` once the gateway took the money. A refused order voids
its hold at once. A process that dies anywhere in between leaves the row, and `sweep` settles
every attempt still unfinished `payment_void_after_minutes` (OKMARTS_PAYMENT_VOID_AFTER_MINUTES,
10) after its last change:

- `started` (the gateway's answer never recorded): the gateway says what it answered to the
  key (`Gateway.find`); an authorisation is voided, anything else is `failed`;
- `authorised` with no order: the hold is voided;
- `authorised` with an order (the capture never ran): the payment is captured;
- `voiding` (a sweep died mid-way): voided again (the gateway refuses a second void).

`okmarts serve` sweeps at start-up and every `payment_sweep_seconds` in each worker, and
`okmarts retention run` sweeps too. Each step first claims the row with a conditional UPDATE
(on its status, and on its last change being older than the cut-off, which the claim moves on),
so workers sweeping at once, or a sweep racing a slow checkout, settle an attempt once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from okmarts.services.payments import Gateway, PaymentResult
from okmarts.settings import Settings
from okmarts.tables.checkout import Payment, PaymentAttempt

log = logging.getLogger("okmarts.payments")

UNFINISHED = ("started", "authorised", "voiding")


class AttemptMismatch(Exception):
    """The checkout key belongs to another account's attempt, or to another amount."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _ordered() -> Any:
    """Attempts that an order's Payment row references."""
    return Payment.select(Payment.card_attempt).where(Payment.card_attempt.is_not_null())


async def start(
    account_id: int, checkout_key: str, amount_minor: int, currency: str, now: dt.datetime
) -> dict[str, Any]:
    """The attempt of this checkout form: written now (`started`), or the one a first submit of
    the same form wrote. Raises AttemptMismatch when the key was used otherwise."""
    await (
        PaymentAttempt.insert(
            PaymentAttempt(
                checkout_key=checkout_key,
                account=account_id,
                amount_minor=amount_minor,
                currency=currency,
                method="card",
                status="started",
                created_at=now,
                updated_at=now,
            )
        )
        .on_conflict(target=PaymentAttempt.checkout_key, action="DO NOTHING")
        .returning(PaymentAttempt.id)
    )
    attempt = (
        await PaymentAttempt.select().where(PaymentAttempt.checkout_key == checkout_key).first()
    )
    if (attempt["account"], attempt["amount_minor"], attempt["currency"]) != (
        account_id,
        amount_minor,
        currency,
    ):
        raise AttemptMismatch(checkout_key)
    return attempt


async def record_answer(attempt_id: int, result: PaymentResult, now: dt.datetime) -> None:
    """The gateway answered: authorised, or failed (a retried form finds it recorded already)."""
    await PaymentAttempt.update(
        {
            PaymentAttempt.status: "authorised" if result.approved else "failed",
            PaymentAttempt.transaction_id: result.transaction_id,
            PaymentAttempt.updated_at: now,
        }
    ).where((PaymentAttempt.id == attempt_id) & (PaymentAttempt.status == "started"))


async def hold_for_order(attempt_id: int) -> bool:
    """Inside the order transaction: keep the authorisation for the order being written.

    False when a sweep took it meanwhile (it is being voided). On PostgreSQL the row stays
    locked until the order commits, and a sweep waiting for it then finds it changed just now
    (the wall clock's now, not the checkout's: however long the gateway took).
    """
    kept = (
        await PaymentAttempt.update({PaymentAttempt.updated_at: _now()})
        .where((PaymentAttempt.id == attempt_id) & (PaymentAttempt.status == "authorised"))
        .returning(PaymentAttempt.id)
    )
    return bool(kept)


async def capture(attempt_id: int, gateway: Gateway, now: dt.datetime | None = None) -> bool:
    """The order is written: take the money its authorisation held. True when taken.

    A failure (the gateway away, say) is logged and left to the sweep, which captures
    authorised attempts that have an order: the shopper's order stands either way.
    """
    now = now or _now()
    attempt = await PaymentAttempt.select().where(PaymentAttempt.id == attempt_id).first()
    if attempt is None or attempt["status"] != "authorised":
        return False
    try:
        result = await gateway.capture(attempt["transaction_id"])
    except Exception:
        log.exception("Capture of payment attempt %s failed; the sweep tries again", attempt_id)
        return False
    if not result.approved:
        log.error(
            "The gateway refused to capture payment attempt %s (%s): staff must look at it",
            attempt_id,
            result.code,
        )
        return False
    await PaymentAttempt.update(
        {PaymentAttempt.status: "captured", PaymentAttempt.updated_at: now}
    ).where((PaymentAttempt.id == attempt_id) & (PaymentAttempt.status == "authorised"))
    return True


async def void(attempt_id: int, gateway: Gateway, now: dt.datetime | None = None) -> bool:
    """The order was refused or failed: release the hold, unless an order took it. True when
    this call voided it."""
    now = now or _now()
    claimed = await _claim_for_voiding(
        (PaymentAttempt.id == attempt_id) & (PaymentAttempt.status == "authorised"), now
    )
    if claimed is None:
        return False
    return await _release(claimed, gateway, now)


async def _claim_for_voiding(condition: Any, now: dt.datetime) -> dict[str, Any] | None:
    # Never an attempt that an order references (committed: on PostgreSQL a checkout still
    # writing its order holds the row, and its hold_for_order moved updated_at past the cut-off).
    rows = await (
        PaymentAttempt.update({PaymentAttempt.status: "voiding", PaymentAttempt.updated_at: now})
        .where(condition & PaymentAttempt.id.not_in(_ordered()))
        .returning(PaymentAttempt.id, PaymentAttempt.checkout_key, PaymentAttempt.transaction_id)
    )
    return rows[0] if rows else None


async def _release(attempt: dict[str, Any], gateway: Gateway, now: dt.datetime) -> bool:
    """Void a claimed (`voiding`) attempt's hold at the gateway and record the outcome."""
    transaction_id = attempt["transaction_id"]
    try:
        if not transaction_id:
            # The answer was never recorded: ask the gateway what it answered to the key.
            found = await gateway.find(attempt["checkout_key"])
            if found is None or not found.approved:
                await _finish(attempt["id"], "failed", found.transaction_id if found else "", now)
                return False
            transaction_id = found.transaction_id
        result = await gateway.void(transaction_id)
    except Exception:
        # Stays `voiding`: the next sweep after the cut-off tries again.
        log.exception("Voiding payment attempt %s failed; the sweep tries again", attempt["id"])
        return False
    if not result.approved:
        # Voided already (a sweep that died after voiding): nothing is held any more.
        log.info("Payment attempt %s: the gateway had nothing left to void", attempt["id"])
    await _finish(attempt["id"], "voided", transaction_id, now)
    return result.approved


async def _finish(attempt_id: int, status: str, transaction_id: str, now: dt.datetime) -> None:
    changes: dict[Any, Any] = {PaymentAttempt.status: status, PaymentAttempt.updated_at: now}
    if transaction_id:
        changes[PaymentAttempt.transaction_id] = transaction_id
    await PaymentAttempt.update(changes).where(
        (PaymentAttempt.id == attempt_id) & (PaymentAttempt.status == "voiding")
    )


# -- The sweep ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepReport:
    voided: int  # unfinished attempts without an order, settled (their hold, if any, voided)
    captured: int  # authorised attempts of written orders, captured


def _stale(cutoff: dt.datetime) -> Any:
    return PaymentAttempt.status.is_in(list(UNFINISHED)) & (PaymentAttempt.updated_at < cutoff)


async def sweep(
    gateway: Gateway,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    dry_run: bool = False,
) -> SweepReport:
    """Settle the attempts left unfinished for `payment_void_after_minutes`: void the holds of
    those without an order, capture those with one. Idempotent; safe in several workers."""
    now = (now or _now()).astimezone(dt.UTC)
    cutoff = now - dt.timedelta(minutes=settings.payment_void_after_minutes)
    orphans = await PaymentAttempt.select(PaymentAttempt.id).where(
        _stale(cutoff) & PaymentAttempt.id.not_in(_ordered())
    )
    ordered = await PaymentAttempt.select(PaymentAttempt.id).where(
        _stale(cutoff)
        & (PaymentAttempt.status == "authorised")
        & PaymentAttempt.id.is_in(_ordered())
    )
    if dry_run:
        return SweepReport(voided=len(orphans), captured=len(ordered))
    voided = captured = 0
    for row in orphans:
        # The same conditions again, now as the claim: of two sweeps, one gets the row.
        claimed = await _claim_for_voiding((PaymentAttempt.id == row["id"]) & _stale(cutoff), now)
        if claimed is not None:
            await _release(claimed, gateway, now)
            voided += 1
    for row in ordered:
        claimed_rows = (
            await PaymentAttempt.update({PaymentAttempt.updated_at: now})
            .where(
                (PaymentAttempt.id == row["id"])
                & (PaymentAttempt.status == "authorised")
                & (PaymentAttempt.updated_at < cutoff)
            )
            .returning(PaymentAttempt.id)
        )
        if claimed_rows and await capture(row["id"], gateway, now):
            captured += 1
    if voided or captured:
        log.warning(
            "Payment sweep: %s unfinished attempt(s) voided, %s capture(s) completed",
            voided,
            captured,
        )
    return SweepReport(voided=voided, captured=captured)


class PaymentSweeper:
    """Sweeps in the background of a server process: at start-up, then every interval."""

    def __init__(self, gateway: Gateway, settings: Settings) -> None:
        self.gateway = gateway
        self.settings = settings
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def start(self) -> None:
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="okmarts-payment-sweeper")

    async def stop(self, timeout: float = 15) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(task, timeout)
        except TimeoutError:
            log.warning("Payment sweeper did not finish its pass in %s s; stopped it", timeout)

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await sweep(self.gateway, self.settings)
            except Exception:
                # The database may be away for a moment: the sweeper must outlive it.
                log.exception("Payment sweep failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.settings.payment_sweep_seconds)
