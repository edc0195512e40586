"""Coupons and automatic discounts: whether a code may be used now, and counting its uses.

Codes are matched case-insensitively: they are stored upper-cased and trimmed, and so is what
the shopper types. Checking a coupon (check_coupon) never writes; the use is counted when the
order is placed (record_coupon_use, inside the order's write transaction), where the limits are
enforced again so concurrent checkouts can't exceed them. Pricing (services.pricing) decides
whether the coupon or an automatic discount is worth more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from okmarts.i18n import N_, Message, money
from okmarts.services.pricing import CouponTerms, DiscountTerms
from okmarts.tables.checkout import AutoDiscount, Coupon, CouponUse

__all__ = [
    "CouponInvalid",
    "CouponTerms",
    "DiscountTerms",
    "automatic_discounts",
    "check_coupon",
    "normalize_code",
    "record_coupon_use",
    "shown",
]

NOT_VALID = N_("This coupon code is not valid.")
NOT_YET_VALID = N_("This coupon code is not valid yet.")
EXPIRED = N_("This coupon code has expired.")
OTHER_CURRENCY = N_("This coupon code can't be used for orders in %(currency)s.")
# `amount` is in minor units of `currency`: format it with okmarts.i18n.money (see shown()).
BELOW_MINIMUM = N_("This coupon code applies to orders of %(amount)s or more.")
USED_UP = N_("This coupon code has been used up.")
ALREADY_USED = N_("You have already used this coupon code.")
SIGN_IN = N_("Sign in to use a coupon code.")


@dataclass
class CouponInvalid(Exception):
    """A coupon that can't be used, and why.

    For the minimum-subtotal refusal the message's params hold `amount` (minor units) and
    `currency`: show it through shown(), which formats the amount as money.
    """

    message: Message

    def __post_init__(self) -> None:
        super().__init__(self.message.msgid)


def normalize_code(code: str) -> str:
    """A code as stored: trimmed, upper-cased."""
    return (code or "").strip().upper()


def shown(message: Message) -> Message:
    """The message with a minor-units `amount` formatted as money in the current language."""
    params: dict[str, Any] = dict(message.params)
    if isinstance(params.get("amount"), int) and params.get("currency"):
        params["amount"] = money(params["amount"], params["currency"])
    return Message(message.msgid, params)


def _utc(moment: dt.datetime) -> dt.datetime:
    # Stored times are UTC; a naive one (from a caller or SQLite) is taken to be UTC too.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _refusal(
    coupon: dict[str, Any], *, subtotal_minor: int | None, currency: str | None, now: dt.datetime
) -> Message | None:
    """Why this coupon row can't be used now (the per-account limit aside), or None.

    A None subtotal or currency skips that check (the order was already priced with it).
    """
    starts_at, ends_at, now = coupon["starts_at"], coupon["ends_at"], _utc(now)
    if not coupon["active"]:
        return Message(NOT_VALID)
    if starts_at is not None and now < _utc(starts_at):
        return Message(NOT_YET_VALID)
    if ends_at is not None and now >= _utc(ends_at):
        return Message(EXPIRED)
    if currency is not None and coupon["currency"] != currency:
        return Message(OTHER_CURRENCY, {"currency": currency})
    limit = coupon["usage_limit"]
    if limit is not None and coupon["times_used"] >= limit:
        return Message(USED_UP)
    if subtotal_minor is not None and subtotal_minor < coupon["min_subtotal_minor"]:
        return Message(
            BELOW_MINIMUM, {"amount": coupon["min_subtotal_minor"], "currency": coupon["currency"]}
        )
    return None


async def _uses_by(coupon_id: int, account_id: int) -> int:
    return await CouponUse.count().where(
        (CouponUse.coupon == coupon_id) & (CouponUse.account == account_id)
    )


async def check_coupon(
    code: str,
    *,
    account_id: int | None,
    subtotal_minor: int,
    currency: str,
    now: dt.datetime,
) -> CouponTerms:
    """The coupon's terms if this account may use it on this order now; CouponInvalid if not."""
    wanted = normalize_code(code)
    coupon = await Coupon.select().where(Coupon.code == wanted).first() if wanted else None
    if coupon is None:
        raise CouponInvalid(Message(NOT_VALID))
    refusal = _refusal(coupon, subtotal_minor=subtotal_minor, currency=currency, now=now)
    if refusal is not None:
        raise CouponInvalid(refusal)
    # Every coupon has a per-account limit, which needs an account to count against.
    if account_id is None:
        raise CouponInvalid(Message(SIGN_IN))
    if await _uses_by(coupon["id"], account_id) >= coupon["per_account_limit"]:
        raise CouponInvalid(Message(ALREADY_USED))
    return CouponTerms(
        code=coupon["code"],
        kind=coupon["kind"],
        value=coupon["value"],
        min_subtotal_minor=coupon["min_subtotal_minor"],
    )


async def record_coupon_use(
    coupon_code: str, *, account_id: int | None, order_id: int, now: dt.datetime
) -> None:
    """Count one use of the coupon for this order; CouponInvalid if a limit was reached.

    Call inside the order's write transaction (okmarts.db.write_transaction): raising aborts it,
    which also undoes the increment.
    """
    if account_id is None:
        raise CouponInvalid(Message(SIGN_IN))
    code, now = normalize_code(coupon_code), _utc(now)
    # One conditional UPDATE: the database decides who gets the last use, and the row stays
    # locked until the transaction ends, so the per-account count below can't race either.
    claimed = (
        await Coupon.update({Coupon.times_used: Coupon.times_used + 1})
        .where(
            (Coupon.code == code)
            & Coupon.active.eq(True)
            & (Coupon.starts_at.is_null() | (Coupon.starts_at <= now))
            & (Coupon.ends_at.is_null() | (Coupon.ends_at > now))
            & (Coupon.usage_limit.is_null() | (Coupon.times_used < Coupon.usage_limit))
        )
        .returning(Coupon.id, Coupon.per_account_limit)
    )
    if not claimed:
        coupon = await Coupon.select().where(Coupon.code == code).first()
        if coupon is None:
            raise CouponInvalid(Message(NOT_VALID))
        reason = _refusal(coupon, subtotal_minor=None, currency=None, now=now)
        raise CouponInvalid(reason or Message(USED_UP))
    coupon_id, per_account = claimed[0]["id"], claimed[0]["per_account_limit"]
    if await _uses_by(coupon_id, account_id) >= per_account:
        raise CouponInvalid(Message(ALREADY_USED))
    await CouponUse(coupon=coupon_id, account=account_id, order=order_id, created_at=now).save()


async def automatic_discounts(currency: str, now: dt.datetime) -> list[DiscountTerms]:
    """The automatic discounts in force now for orders in this currency."""
    now = _utc(now)
    rows = (
        await AutoDiscount.select(
            AutoDiscount.name, AutoDiscount.percent, AutoDiscount.min_subtotal_minor
        )
        .where(
            AutoDiscount.active.eq(True)
            & (AutoDiscount.currency == currency)
            & (AutoDiscount.starts_at.is_null() | (AutoDiscount.starts_at <= now))
            & (AutoDiscount.ends_at.is_null() | (AutoDiscount.ends_at > now))
        )
        .order_by(AutoDiscount.id)
    )
    return [
        DiscountTerms(
            name=row["name"], percent=row["percent"], min_subtotal_minor=row["min_subtotal_minor"]
        )
        for row in rows
    ]
