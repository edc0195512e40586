"""Shipping quotes and coupons against the session's seeded database (SQLite and PostgreSQL).

The database is shared by the session's tests: coupons get unique codes here, and the only
automatic discounts created are in a currency no other test prices in, removed afterwards.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import pytest
from litestar import Litestar

from okmarts.db import write_transaction
from okmarts.i18n import current_locale
from okmarts.services import addresses, coupons, shipping
from okmarts.services.coupons import CouponInvalid
from okmarts.services.pricing import CouponTerms, DiscountTerms
from okmarts.services.shipping import ShippingUnavailable
from okmarts.tables.accounts import Account
from okmarts.tables.checkout import AutoDiscount, Coupon, CouponUse, Order

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
AT = chr(64)
KG = 1000


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"


async def new_account() -> int:
    account = Account(
        email=f"coupon-{uuid.uuid4().hex[:12]}{AT}example.com",
        password_hash="not-a-real-hash",
        policy_version="test",
    )
    await account.save()
    return account.id


async def new_order(account_id: int | None) -> int:
    """A bare order row: what record_coupon_use needs to point at."""
    order = Order(
        number=unique("T"),
        account=account_id,
        checkout_key=uuid.uuid4().hex,
        subtotal_minor=10_000,
        total_minor=10_000,
        recipient="Test Buyer",
        phone="+10000000000",
        email=f"buyer{AT}example.com",
        country="DE",
        city="Berlin",
        line="Teststrasse 1",
        zip_code="10115",
    )
    await order.save()
    return order.id


async def new_coupon(**values: Any) -> str:
    code = unique("T")
    await Coupon(**{"code": code, "kind": "percent", "value": 10, **values}).save()
    return code


async def refusal(code: str, *, account_id: int | None, subtotal: int = 10_000, **kw: Any) -> str:
    with pytest.raises(CouponInvalid) as refused:
        await coupons.check_coupon(
            code,
            account_id=account_id,
            subtotal_minor=subtotal,
            currency=kw.get("currency", "USD"),
            now=NOW,
        )
    return refused.value.message.msgid


# -- Coupons --------------------------------------------------------------------------------------


async def test_a_valid_coupon_is_matched_case_insensitively(app: Litestar) -> None:
    code = await new_coupon(kind="fixed", value=2_000, min_subtotal_minor=5_000)
    account = await new_account()
    terms = await coupons.check_coupon(
        f"  {code.lower()} ", account_id=account, subtotal_minor=5_000, currency="USD", now=NOW
    )
    assert terms == CouponTerms(code=code, kind="fixed", value=2_000, min_subtotal_minor=5_000)


async def test_every_refusal_says_why(app: Litestar) -> None:
    account = await new_account()
    day = dt.timedelta(days=1)
    assert await refusal("NO-SUCH-CODE", account_id=account) == coupons.NOT_VALID
    assert await refusal("", account_id=account) == coupons.NOT_VALID
    inactive = await new_coupon(active=False)
    assert await refusal(inactive, account_id=account) == coupons.NOT_VALID
    future = await new_coupon(starts_at=NOW + day)
    assert await refusal(future, account_id=account) == coupons.NOT_YET_VALID
    ended = await new_coupon(ends_at=NOW - day)
    assert await refusal(ended, account_id=account) == coupons.EXPIRED
    ends_now = await new_coupon(ends_at=NOW)
    assert await refusal(ends_now, account_id=account) == coupons.EXPIRED
    euro = await new_coupon(currency="EUR")
    assert await refusal(euro, account_id=account) == coupons.OTHER_CURRENCY
    used_up = await new_coupon(usage_limit=2, times_used=2)
    assert await refusal(used_up, account_id=account) == coupons.USED_UP
    assert await refusal(await new_coupon(), account_id=None) == coupons.SIGN_IN

    minimum = await new_coupon(min_subtotal_minor=5_000)
    with pytest.raises(CouponInvalid) as below:
        await coupons.check_coupon(
            minimum, account_id=account, subtotal_minor=4_999, currency="USD", now=NOW
        )
    assert below.value.message.msgid == coupons.BELOW_MINIMUM
    assert below.value.message.params == {"amount": 5_000, "currency": "USD"}
    token = current_locale.set("en")
    try:
        shown = coupons.shown(below.value.message)
    finally:
        current_locale.reset(token)
    assert shown.params["amount"] == "$50.00"
    assert shown.msgid % shown.params == "This coupon code applies to orders of $50.00 or more."

    # Started and not yet ended, at the minimum exactly: accepted.
    window = await new_coupon(starts_at=NOW - day, ends_at=NOW + day, min_subtotal_minor=5_000)
    await coupons.check_coupon(
        window, account_id=account, subtotal_minor=5_000, currency="USD", now=NOW
    )


async def test_a_coupon_is_refused_once_this_account_used_it_as_often_as_allowed(
    app: Litestar,
) -> None:
    code = await new_coupon(per_account_limit=2)
    account, other = await new_account(), await new_account()
    for _ in range(2):
        await coupons.check_coupon(
            code, account_id=account, subtotal_minor=10_000, currency="USD", now=NOW
        )
        async with write_transaction(Coupon._meta.db):
            order = await new_order(account)
            await coupons.record_coupon_use(code, account_id=account, order_id=order, now=NOW)
    assert await refusal(code, account_id=account) == coupons.ALREADY_USED
    await coupons.check_coupon(
        code, account_id=other, subtotal_minor=10_000, currency="USD", now=NOW
    )
    with pytest.raises(CouponInvalid):
        async with write_transaction(Coupon._meta.db):
            order = await new_order(account)
            await coupons.record_coupon_use(code, account_id=account, order_id=order, now=NOW)
    # The refused use left nothing behind: no count, no use, no order.
    assert (await Coupon.select(Coupon.times_used).where(Coupon.code == code).first()) == {
        "times_used": 2
    }
    assert await Order.count().where(Order.account == account) == 2


async def test_concurrent_checkouts_cannot_exceed_the_usage_limit(app: Litestar) -> None:
    code = await new_coupon(usage_limit=3)
    accounts = [await new_account() for _ in range(8)]

    async def checkout(account: int) -> bool:
        try:
            async with write_transaction(Coupon._meta.db):
                order = await new_order(account)
                await coupons.record_coupon_use(code, account_id=account, order_id=order, now=NOW)
        except CouponInvalid as refused:
            assert refused.message.msgid == coupons.USED_UP
            return False
        return True

    results = await asyncio.gather(*(checkout(account) for account in accounts))
    assert sorted(results) == [False] * 5 + [True] * 3
    row = await Coupon.select(Coupon.id, Coupon.times_used).where(Coupon.code == code).first()
    assert row and row["times_used"] == 3
    assert await CouponUse.count().where(CouponUse.coupon == row["id"]) == 3
    # The refused checkouts rolled back their orders too.
    assert await Order.count().where(Order.account.is_in(accounts)) == 3


async def test_concurrent_checkouts_of_one_account_use_a_coupon_once(app: Litestar) -> None:
    code = await new_coupon()  # per account: 1, no total limit
    account = await new_account()

    async def checkout() -> bool:
        try:
            async with write_transaction(Coupon._meta.db):
                order = await new_order(account)
                await coupons.record_coupon_use(code, account_id=account, order_id=order, now=NOW)
        except CouponInvalid:
            return False
        return True

    results = await asyncio.gather(*(checkout() for _ in range(5)))
    assert sorted(results) == [False] * 4 + [True]
    row = await Coupon.select(Coupon.times_used).where(Coupon.code == code).first()
    assert row == {"times_used": 1}


async def test_recording_refuses_a_coupon_that_ended_meanwhile(app: Litestar) -> None:
    code = await new_coupon(ends_at=NOW)
    account = await new_account()
    with pytest.raises(CouponInvalid) as refused:
        async with write_transaction(Coupon._meta.db):
            order = await new_order(account)
            await coupons.record_coupon_use(code, account_id=account, order_id=order, now=NOW)
    assert refused.value.message.msgid == coupons.EXPIRED
    with pytest.raises(CouponInvalid):
        await coupons.record_coupon_use("NO-SUCH-CODE", account_id=account, order_id=0, now=NOW)


async def test_automatic_discounts_in_force(app: Litestar) -> None:
    seeded = await coupons.automatic_discounts("USD", NOW)
    assert DiscountTerms("Volume discount for orders over 1,000 USD", 5, 100_000) in seeded
    # SEK: a currency no other test prices in, so these rows change nobody's totals.
    day = dt.timedelta(days=1)
    rows = [
        AutoDiscount(name="now", percent=3, currency="SEK"),
        AutoDiscount(
            name="window", percent=4, currency="SEK", starts_at=NOW - day, ends_at=NOW + day
        ),
        AutoDiscount(name="later", percent=5, currency="SEK", starts_at=NOW + day),
        AutoDiscount(name="over", percent=6, currency="SEK", ends_at=NOW),
        AutoDiscount(name="off", percent=7, currency="SEK", active=False),
    ]
    try:
        for row in rows:
            await row.save()
        names = [terms.name for terms in await coupons.automatic_discounts("SEK", NOW)]
        assert names == ["now", "window"]
    finally:
        await AutoDiscount.delete().where(AutoDiscount.currency == "SEK")


# -- Shipping -------------------------------------------------------------------------------------


def codes(quotes: list[shipping.Quote]) -> list[str]:
    return [quote.method_code for quote in quotes]


def test_started_kilograms() -> None:
    assert shipping.started_kilograms(0) == 0
    assert shipping.started_kilograms(1) == 1
    assert shipping.started_kilograms(1000) == 1
    assert shipping.started_kilograms(1001) == 2


async def test_countries_find_their_zone_and_others_the_world(app: Litestar) -> None:
    assert (await shipping.zone_for("DE")).code == "europe"  # type: ignore[union-attr]
    assert (await shipping.zone_for(" cn ")).code == "china"  # type: ignore[union-attr]
    assert (await shipping.zone_for("US")).code == "north-america"  # type: ignore[union-attr]
    assert (await shipping.zone_for("BR")).code == "world"  # type: ignore[union-attr]
    assert (await shipping.zone_for("")).code == "world"  # type: ignore[union-attr]


async def test_quotes_are_cheapest_first(app: Litestar) -> None:
    quotes = await shipping.quotes("DE", 1 * KG, 10_000, "USD")
    assert codes(quotes) == ["standard", "express", "freight"]
    assert [quote.cost_minor for quote in quotes] == [1_200 + 400, 3_500 + 900, 18_000 + 160]
    assert quotes[0] == shipping.Quote("standard", "Standard post", "China Post", 1_600, "USD")
    # Started kilograms: 2.5 kg is charged as 3.
    heavier = await shipping.quotes("DE", 2_500, 10_000, "USD")
    assert heavier[0].cost_minor == 1_200 + 3 * 400
    weightless = await shipping.quotes("DE", 0, 10_000, "USD")
    assert weightless[0].cost_minor == 1_200


async def test_shipping_is_free_from_the_threshold(app: Litestar) -> None:
    below = await shipping.quotes("DE", 2 * KG, 49_999, "USD")
    at = await shipping.quotes("DE", 2 * KG, 50_000, "USD")
    assert below[0].cost_minor == 2_000
    assert (at[0].method_code, at[0].cost_minor) == ("standard", 0)
    assert [quote.cost_minor for quote in at] == sorted(quote.cost_minor for quote in at)


async def test_heavy_orders_leave_the_parcel_services_out(app: Litestar) -> None:
    assert codes(await shipping.quotes("DE", 30 * KG, 10_000, "USD"))[0] == "standard"
    over_30 = await shipping.quotes("DE", 30 * KG + 1, 10_000, "USD")
    # 31 kg: freight (180.00 + 31 × 1.60) already beats express (35.00 + 31 × 9.00).
    assert codes(over_30) == ["freight", "express"]
    assert [quote.cost_minor for quote in over_30] == [18_000 + 31 * 160, 3_500 + 31 * 900]
    assert codes(await shipping.quotes("DE", 500 * KG, 10_000, "USD")) == ["freight"]
    # Rates are not converted: no rate is priced in yen.
    assert await shipping.quotes("DE", 1 * KG, 10_000, "JPY") == []


async def test_quote_for_a_method_that_cannot_ship_is_refused(app: Litestar) -> None:
    chosen = await shipping.quote("express", "JP", 1 * KG, 10_000, "USD")
    assert (chosen.method_code, chosen.cost_minor) == ("express", 2_500 + 700)
    with pytest.raises(ShippingUnavailable) as refused:
        await shipping.quote("standard", "JP", 40 * KG, 10_000, "USD")
    assert "choose another" in refused.value.message.msgid
    with pytest.raises(ShippingUnavailable):
        await shipping.quote("teleport", "JP", 1 * KG, 10_000, "USD")


async def test_a_quote_costs_two_queries(app: Litestar, monkeypatch: pytest.MonkeyPatch) -> None:
    statements: list[str] = []
    engine_class = type(Coupon._meta.db)
    original = engine_class.run_querystring

    async def counting(self: Any, querystring: Any, *args: Any, **kwargs: Any) -> Any:
        statements.append(str(querystring))
        return await original(self, querystring, *args, **kwargs)

    monkeypatch.setattr(engine_class, "run_querystring", counting)
    await shipping.quotes("FR", 5 * KG, 10_000, "USD")
    assert len(statements) <= 2, statements
    statements.clear()
    await shipping.quote("freight", "FR", 5 * KG, 10_000, "USD")
    assert len(statements) <= 2, statements


async def test_seeded_shipping_reaches_every_country_light_or_heavy(app: Litestar) -> None:
    zones: dict[str, str] = {}
    for country, _name in addresses.countries("en"):
        zone = await shipping.zone_for(country)
        assert zone is not None, country
        zones.setdefault(zone.code, country)
    assert set(zones) == {"china", "asia", "europe", "north-america", "world"}
    for zone, country in zones.items():
        for weight in (1 * KG, 500 * KG):
            assert await shipping.quotes(country, weight, 10_000, "USD"), (zone, weight)
