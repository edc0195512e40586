"""Retention: every class of data goes when its period ends, not a second earlier (moved clock).

These tests move the clock years ahead, which would expire other tests' data: they run in a
database of their own (per backend), emptied before each test.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from piccolo.table import Table

from okmarts.app import bind_tables
from okmarts.piccolo_conf import APP_REGISTRY
from okmarts.services import erasure, retention
from okmarts.services.service_state import WIND_DOWN, set_state
from okmarts.settings import Settings
from okmarts.tables.accounts import Account, AccountSession, Attempt, SignIn
from okmarts.tables.catalog import Brand, Category, Product
from okmarts.tables.checkout import (
    Order,
    OrderEvent,
    Payment,
    PaymentAttempt,
    SandboxTransaction,
)
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.newsletters import Newsletter, NewsletterDelivery
from okmarts.tables.notifications import Notification
from okmarts.tables.privacy import CookieConsent, PageView, PrivacyRequest, ServiceState
from okmarts.tables.reviews import Question, Review
from okmarts.tables.watches import PartWatch
from tests.conftest import BACKENDS, TestDatabase, create_database, drop_database, okmarts
from tests.unit.conftest import settings_for

AT = "@"
NOW = dt.datetime(2031, 3, 1, 12, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)


def email(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}{AT}example.com"


def days(count: int) -> dt.timedelta:
    return dt.timedelta(days=count)


@pytest.fixture(scope="module", params=BACKENDS)
def own_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestDatabase]:
    """A migrated database of this module's own; the tables point back where they were after."""
    database = create_database(request.param, tmp_path_factory)
    okmarts("migrate", env=database.env())
    tables = [t for config in APP_REGISTRY.app_configs.values() for t in config.table_classes]
    previous = {table: table._meta.db for table in tables}
    bind_tables(database.url)
    yield database
    for table, engine in previous.items():
        table._meta.db = engine
    drop_database(database)


EMPTIED: list[type[Table]] = [
    OutboxMessage,
    Review,
    Question,
    Order,
    Account,
    Attempt,
    PageView,
    CookieConsent,
    PrivacyRequest,
    ServiceState,
    PaymentAttempt,
    SandboxTransaction,
]


@pytest.fixture
async def settings(own_database: TestDatabase) -> Settings:
    bind_tables(own_database.url)
    for table in EMPTIED:
        await table.delete(force=True)
    return settings_for(own_database)


async def account(
    created_at: dt.datetime,
    verified: bool = True,
    name: str = "shopper",
    locale: str = "en",
    last_active_at: dt.datetime | None = None,
) -> int:
    row = Account(
        email=email(name),
        password_hash="not-a-real-hash",
        policy_version="2023-07-04",
        policy_accepted_at=created_at,
        created_at=created_at,
        email_verified_at=created_at if verified else None,
        locale=locale,
        last_active_at=last_active_at,
    )
    await row.save()
    return row.id


async def sign_in(account_id: int, at: dt.datetime) -> None:
    await SignIn.insert(
        SignIn(account=account_id, created_at=at, ip="203.0.113.9", device_hash="d" * 64)
    )


async def order(
    status: str, updated_at: dt.datetime, account_id: int | None = None, company: str = ""
) -> int:
    key = uuid.uuid4().hex
    row = Order(
        number=key[:12].upper(),
        checkout_key=key,
        account=account_id,
        status=status,
        subtotal_minor=1000,
        total_minor=1000,
        recipient="Ada Lovelace",
        phone="+44 20 7946 0000",
        email=email("buyer"),
        country="GB",
        city="London",
        line="12 Example Street",
        zip_code="N1 9GU",
        company=company,
        tracking_number="TRACK1" if status != "cancelled" else "",
        created_at=updated_at - days(20),
        updated_at=updated_at,
    )
    await row.save()
    await Payment.insert(
        Payment(
            order=row.id,
            method="card",
            status="captured",
            amount_minor=1000,
            payer_name="Ada Lovelace",
            payer_email=email("payer"),
        )
    )
    await OrderEvent.insert(
        OrderEvent(order=row.id, status=status, note="Called Ada about the door code")
    )
    return row.id


async def outbox(sent_at: dt.datetime | None, created_at: dt.datetime, attempts: int = 0) -> int:
    rows = await OutboxMessage.insert(
        OutboxMessage(
            kind="order_status",
            recipient=email("mail"),
            subject="Your order",
            text_body="Dear Ada, your parcel goes to 12 Example Street.",
            html_body="<p>Dear Ada</p>",
            message_id=f"<{uuid.uuid4().hex}@okmarts>",
            created_at=created_at,
            send_after=created_at,
            sent_at=sent_at,
            attempts=attempts,
            last_error="550 no such user" if attempts else "",
        )
    ).returning(OutboxMessage.id)
    return rows[0]["id"]


async def table_sizes() -> dict[str, int]:
    tables = [*EMPTIED, SignIn, AccountSession]
    return {table._meta.tablename: await table.count() for table in tables}


def test_periods_are_settings_with_documented_defaults() -> None:
    from_env = Settings.from_env(
        {
            "OKMARTS_SECRET_KEY": "x",
            "OKMARTS_RETENTION_SIGN_IN_DAYS": "30",
            "OKMARTS_RETENTION_ORDER_DAYS": "1826",
        }
    )
    assert from_env.retention_sign_in_days == 30 and from_env.retention_order_days == 1826
    assert from_env.retention_page_view_days == 400  # not set: the default
    defaults = {
        field.name: field.default
        for field in dataclasses.fields(Settings)
        if field.name.startswith("retention_")
    }
    assert len(defaults) == 20  # issue 16 (H-returns): COMPLAINT, RETURN
    documented = retention.__doc__ or ""
    for name, value in defaults.items():
        env_name = name.removeprefix("retention_").removesuffix("_days").upper()
        assert f"`{env_name}` | {value} |" in documented, name


async def test_rows_just_inside_their_period_stay_and_just_outside_go(
    settings: Settings,
) -> None:
    s = settings
    edge = {
        "sign_in": NOW - days(s.retention_sign_in_days),
        "attempt": NOW - days(s.retention_attempt_days),
        "session": NOW - days(retention.SESSION_DAYS),
        "page_view": NOW - days(s.retention_page_view_days),
        "consent": NOW - days(s.retention_cookie_consent_days),
        "outbox": NOW - days(s.retention_outbox_days),
        "unverified": NOW - days(s.retention_unverified_account_days),
        "order": NOW - days(s.retention_order_days),
        "request": NOW - days(s.retention_privacy_request_days),
        "notification": NOW - days(s.retention_notification_days),
        "watch": NOW - days(s.retention_part_watch_days),
        "newsletter": NOW - days(s.retention_newsletter_delivery_days),
    }
    # Signed in recently, so the inactivity rule leaves it alone.
    regular = await account(NOW - days(400))
    await sign_in(regular, NOW - days(1))
    for at in (edge["sign_in"] + SECOND, edge["sign_in"] - SECOND):
        await sign_in(regular, at)
    for at in (edge["attempt"] + SECOND, edge["attempt"] - SECOND):
        await Attempt.insert(Attempt(key="sign-in-ip:203.0.113.9", created_at=at))
    for at in (edge["session"] + SECOND, edge["session"] - SECOND):
        await AccountSession.insert(
            AccountSession(account=regular, key_hash=uuid.uuid4().hex, created_at=at)
        )
    for at in (edge["page_view"] + SECOND, edge["page_view"] - SECOND):
        await PageView.insert(PageView(visitor="v", session="s", path="/", created_at=at))
    for at in (edge["consent"] + SECOND, edge["consent"] - SECOND):
        await CookieConsent.insert(
            CookieConsent(
                consent_id=uuid.uuid4().hex,
                categories="necessary",
                cookie_policy_version="1",
                created_at=at,
            )
        )
    fresh_mail = await outbox(edge["outbox"] + SECOND, edge["outbox"] - days(1))
    old_mail = await outbox(edge["outbox"] - SECOND, edge["outbox"] - days(1))
    given_up = await outbox(None, edge["outbox"] - SECOND, attempts=20)
    unsent = await outbox(None, edge["outbox"] - days(5))  # still to be sent: kept
    young_unverified = await account(edge["unverified"] + SECOND, verified=False)
    old_unverified = await account(edge["unverified"] - SECOND, verified=False)
    unverified_buyer = await account(edge["unverified"] - days(3), verified=False)
    await order("completed", NOW - days(3), unverified_buyer)
    await sign_in(unverified_buyer, NOW - days(2))
    recent_order = await order("completed", edge["order"] + SECOND, regular)
    old_order = await order("completed", edge["order"] - SECOND, regular, company="ACME GmbH")
    old_open_order = await order("awaiting_payment", edge["order"] - days(30))
    for closed_at in (edge["request"] + SECOND, edge["request"] - SECOND):
        await PrivacyRequest.insert(
            PrivacyRequest(
                kind="export",
                status="completed",
                details="Please send it to my other address",
                created_at=closed_at - days(3),
                due_at=closed_at + days(12),
                closed_at=closed_at,
            )
        )
    for at in (edge["notification"] + SECOND, edge["notification"] - SECOND):
        await Notification.insert(
            Notification(
                account=regular, type="orders", kind="order_status", title="T", created_at=at
            )
        )
    for at in (edge["newsletter"] + SECOND, edge["newsletter"] - SECOND):
        [letter] = await Newsletter.insert(Newsletter(name="News")).returning(Newsletter.id)
        await NewsletterDelivery.insert(
            NewsletterDelivery(newsletter=letter["id"], account=regular, queued_at=at)
        )
    suffix = uuid.uuid4().hex[:8]
    brand = (await Brand.insert(Brand(name=f"B {suffix}", slug=f"b-{suffix}")).returning(Brand.id))[
        0
    ]
    category = (
        await Category.insert(Category(name=f"C {suffix}", slug=f"c-{suffix}")).returning(
            Category.id
        )
    )[0]
    watched = (
        await Product.insert(
            Product(
                sku=suffix,
                slug=f"p-{suffix}",
                title="P",
                brand=brand["id"],
                category=category["id"],
                price_minor=100,
                created_at=NOW,
            )
        ).returning(Product.id)
    )[0]
    for kind, owner, email, created, fired in (
        # A one-shot watch told just inside / outside the period; a price watch told long ago
        # (it goes on: kept); visitors' watches untouched just inside / outside it.
        ("back_in_stock", regular, "", edge["watch"] - days(9), edge["watch"] + SECOND),
        ("discontinued", regular, "", edge["watch"] - days(9), edge["watch"] - SECOND),
        ("price_drop", regular, "", edge["watch"] - days(9), edge["watch"] - days(1)),
        ("back_in_stock", None, "v@example.com", edge["watch"] + SECOND, None),
        ("price_drop", None, "v@example.com", edge["watch"] - SECOND, None),
    ):
        await PartWatch.insert(
            PartWatch(
                account=owner,
                email=email,
                product=watched["id"],
                kind=kind,
                created_at=created,
                fired_at=fired,
            )
        )
    await PrivacyRequest.insert(  # open, however old: staff must answer it first
        PrivacyRequest(kind="correct", created_at=NOW - days(5000), due_at=NOW - days(4985))
    )
    expected = {
        "sign_in_history": 1,
        "sessions": 1,
        "rate_limit_attempts": 1,
        "page_views": 1,
        "cookie_consents": 1,
        "outbox_bodies": 2,
        "farewell_copies": 0,
        "notifications": 1,
        "newsletter_deliveries": 1,
        "unverified_accounts": 1,
        "inactive_accounts_notified": 0,
        "inactive_accounts_erased": 0,
        "orders_anonymised": 1,
        "privacy_requests": 1,
        "payment_attempts": 0,
        "recommendation_dismissals": 0,
        "part_watches": 2,
        # Quotes (services.quotes): tests/unit/test_quotes.py puts them at the edges.
        "quotes_expired": 0,
        "quotes": 0,
        "support_conversations": 0,
        # Issue 16 (H-survey): tests/unit/test_support_survey.py
        "survey_comments": 0,
        "complaints": 0,  # issue 16 (H-returns): tests/unit/test_returns_privacy.py
        "return_notes": 0,
        "company_invitations": 0,
        # The old order still awaiting payment expires (services.unpaid_orders).
        "unpaid_orders_expired": 1,
        "unpaid_orders_reminded": 0,
        "unfinished_payments_voided": 0,
        "unfinished_payments_captured": 0,
    }

    before = await table_sizes()
    assert await retention.run(settings, now=NOW, dry_run=True) == expected
    assert await table_sizes() == before  # a dry run changes nothing

    assert await retention.run(settings, now=NOW) == expected
    assert await SignIn.count().where(SignIn.account == regular) == 2
    assert await Attempt.count() == 1 and await PageView.count() == 1
    assert await AccountSession.count().where(AccountSession.account == regular) == 1
    assert await CookieConsent.count() == 1
    assert await Notification.count().where(Notification.account == regular) == 1
    bodies = {
        row["id"]: row
        for row in await OutboxMessage.select(
            OutboxMessage.id,
            OutboxMessage.text_body,
            OutboxMessage.html_body,
            OutboxMessage.last_error,
            OutboxMessage.recipient,
        )
    }
    assert bodies[fresh_mail]["text_body"] and bodies[unsent]["text_body"]
    for erased in (old_mail, given_up):
        assert bodies[erased]["text_body"] == bodies[erased]["html_body"] == ""
        assert bodies[erased]["last_error"] == ""
        assert bodies[erased]["recipient"]  # the metadata stays: who was sent what, when
    remaining = {row["id"] for row in await Account.select(Account.id)}
    assert young_unverified in remaining and unverified_buyer in remaining
    assert old_unverified not in remaining
    orders = {row["id"]: row for row in await Order.select()}
    assert orders[recent_order]["recipient"] == "Ada Lovelace"
    assert orders[old_open_order]["recipient"] == "Ada Lovelace"
    assert orders[old_open_order]["status"] == "cancelled"  # never paid: expired this run
    anonymised = orders[old_order]
    for field in (*retention.ORDER_PERSONAL_FIELDS, Order.account):
        assert anonymised[field._meta.name] in ("", None), field._meta.name
    assert anonymised["total_minor"] == 1000 and anonymised["country"] == "GB"
    payment = await Payment.select().where(Payment.order == old_order).first()
    assert payment["payer_name"] == payment["payer_email"] == ""
    assert payment["amount_minor"] == 1000
    notes = await OrderEvent.select(OrderEvent.note).where(OrderEvent.order == old_order)
    assert notes == [{"note": ""}]
    assert await PrivacyRequest.count() == 2

    # Idempotent: nothing left to do, even a moment later.
    again = await retention.run(settings, now=NOW + SECOND)
    assert again == dict.fromkeys(expected, 0)


async def test_payment_attempts_go_after_their_period_unfinished_ones_are_settled_first(
    settings: Settings,
) -> None:
    edge = NOW - days(settings.retention_payment_attempt_days)
    shopper = await account(NOW - days(400))

    async def attempt(status: str, updated_at: dt.datetime, transaction_id: str = "") -> int:
        row = PaymentAttempt(
            checkout_key=uuid.uuid4().hex,
            account=shopper,
            amount_minor=1000,
            status=status,
            transaction_id=transaction_id,
            created_at=updated_at,
            updated_at=updated_at,
        )
        await row.save()
        return row.id

    recent = await attempt("captured", edge + SECOND)
    for status in ("captured", "voided", "failed"):
        await attempt(status, edge - SECOND)
    # Authorised long ago and never made an order: its hold is voided, the row kept for now.
    await SandboxTransaction.insert(
        SandboxTransaction(
            transaction_id="test_held",
            idempotency_key=uuid.uuid4().hex,
            amount_minor=1000,
            currency="USD",
            status="authorised",
        )
    )
    held = await attempt("authorised", edge - days(10), "test_held")
    dry = await retention.run(settings, now=NOW, dry_run=True)
    assert (dry["payment_attempts"], dry["unfinished_payments_voided"]) == (3, 1)
    counts = await retention.run(settings, now=NOW)
    assert (counts["payment_attempts"], counts["unfinished_payments_voided"]) == (3, 1)
    left = {row["id"]: row["status"] for row in await PaymentAttempt.select()}
    assert left == {recent: "captured", held: "voided"}
    assert await SandboxTransaction.select(SandboxTransaction.status) == [{"status": "voided"}]
    again = await retention.run(settings, now=NOW + SECOND)
    assert (again["payment_attempts"], again["unfinished_payments_voided"]) == (0, 0)


async def test_the_last_sign_in_outlives_the_history_row(settings: Settings) -> None:
    shopper = await account(NOW - days(1000))
    last = NOW - days(settings.retention_sign_in_days) - days(2)
    await sign_in(shopper, last - days(100))
    await sign_in(shopper, last)
    counts = await retention.run(settings, now=NOW)
    assert counts["sign_in_history"] == 2 and await SignIn.count() == 0
    stored = await Account.select(Account.last_active_at).where(Account.id == shopper).first()
    assert stored["last_active_at"] == last


async def notices_to(account_id: int) -> list[dict[str, Any]]:
    return await OutboxMessage.select(
        OutboxMessage.locale, OutboxMessage.subject, OutboxMessage.text_body
    ).where(
        (OutboxMessage.account == account_id)
        & (OutboxMessage.kind == retention.INACTIVE_NOTICE_KIND)
    )


async def test_inactive_accounts_are_told_once_then_erased_unless_they_come_back(
    settings: Settings,
) -> None:
    period = days(settings.retention_inactive_account_days)
    notice_days = settings.retention_inactive_notice_days
    gone_quiet = await account(NOW - period - days(300), name="quiet", locale="zh_Hans")
    await sign_in(gone_quiet, NOW - period - SECOND)
    comes_back = await account(NOW - period - days(10), name="back")
    just_inside = await account(NOW - period - days(10), name="edge")
    await sign_in(just_inside, NOW - period + SECOND)
    # Active enough to stay so through every run below.
    later_active = NOW - period + days(notice_days + 5)
    active = await account(NOW - period - days(10), name="active")
    await sign_in(active, later_active)
    carried = await account(NOW - period - days(900), last_active_at=later_active)

    dry = await retention.run(settings, now=NOW, dry_run=True)
    counts = await retention.run(settings, now=NOW)
    assert dry == counts
    assert counts["inactive_accounts_notified"] == 2
    assert counts["inactive_accounts_erased"] == 0
    [notice] = await notices_to(gone_quiet)
    assert notice["locale"] == "zh_Hans"
    # The dates are written the reader's way (Babel, zh_Hans), whatever the text's language.
    assert "年" in notice["text_body"]
    assert len(await notices_to(comes_back)) == 1
    for untouched in (just_inside, active, carried):
        assert not await notices_to(untouched)
    await Account.delete().where(Account.id == just_inside)  # it would go quiet next

    # Told once: a later run within the notice period neither mails again nor deletes.
    later = NOW + days(notice_days) - SECOND
    counts = await retention.run(settings, now=later)
    assert counts["inactive_accounts_notified"] == 0 and counts["inactive_accounts_erased"] == 0

    await sign_in(comes_back, NOW + days(3))  # after the notice: it no longer applies
    after = NOW + days(notice_days) + SECOND
    counts = await retention.run(settings, now=after)
    assert counts["inactive_accounts_erased"] == 1
    remaining = {row["id"] for row in await Account.select(Account.id)}
    assert gone_quiet not in remaining
    assert {comes_back, active, carried} <= remaining
    assert (await retention.run(settings, now=after))["inactive_accounts_erased"] == 0


async def test_no_inactivity_notice_during_a_wind_down(settings: Settings) -> None:
    await account(NOW - days(settings.retention_inactive_account_days) - days(5))
    await set_state(
        WIND_DOWN,
        {"announced_at": NOW.isoformat(), "ends_at": (NOW + days(30)).isoformat()},
        NOW,
    )
    counts = await retention.run(settings, now=NOW)
    assert counts["inactive_accounts_notified"] == 0


async def test_the_command_prints_a_count_per_class(
    settings: Settings, own_database: TestDatabase
) -> None:
    real_now = dt.datetime.now(dt.UTC)
    shopper = await account(real_now - days(30))
    await sign_in(shopper, real_now - days(settings.retention_sign_in_days + 1))
    await PageView.insert(
        PageView(visitor="v", session="s", path="/", created_at=real_now - days(500))
    )

    def printed(*args: str) -> dict[str, str]:
        output = okmarts("retention", "run", *args, env=own_database.env()).stdout
        return dict(line.split() for line in output.splitlines() if line.startswith("  "))

    dry = printed("--dry-run")
    assert dry["sign_in_history"] == "1" and dry["page_views"] == "1"
    assert set(dry) == set(await retention.run(settings, dry_run=True))
    assert await SignIn.count() == 1
    done = printed()
    assert done == dry
    assert await SignIn.count() == 0 and await PageView.count() == 0
    assert set(printed().values()) == {"0"}


async def test_every_table_with_personal_data_has_a_retention_class(
    settings: Settings, own_database: TestDatabase
) -> None:
    tables = {rule.table._meta.tablename for rule in erasure.REGISTRY}
    missing = sorted(tables - set(retention.CLASS_OF_TABLE))
    assert not missing, f"give these a class in services.retention.CLASS_OF_TABLE: {missing}"
    classes = set(await retention.run(settings, dry_run=True)) | {retention.ACCOUNT_LIFETIME}
    unknown = {t: c for t, c in retention.CLASS_OF_TABLE.items() if c not in classes}
    assert not unknown, f"not a class that services.retention.run reports: {unknown}"
