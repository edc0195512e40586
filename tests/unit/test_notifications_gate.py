"""The one gate (services.notifications.decide): every type against every account state and
choice, as a pure function and through the outbox (messaging.enqueue_email and the sender),
which must never queue nor send what the gate refuses."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import replace

import pytest

from okmarts.app import bind_tables
from okmarts.db import write_transaction
from okmarts.services import messaging, notifications
from okmarts.services.notifications import CHANNELS, TYPES, AccountState, decide
from okmarts.services.service_state import WIND_DOWN, set_state
from okmarts.tables.accounts import Account
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.notifications import Notification, NotificationSubscription
from okmarts.tables.privacy import ServiceState
from tests.conftest import TestDatabase
from tests.unit.conftest import settings_for

# Every state an account can be in, as far as the gate cares.
STATES: dict[str, AccountState] = {
    "plain": AccountState(1),
    "marketing-consent": AccountState(1, marketing_consent=True),
    "consent-restricted": AccountState(1, marketing_consent=True, restricted=True),
    "consent-objecting": AccountState(1, marketing_consent=True, objects_to_marketing=True),
    "restricted": AccountState(1, restricted=True),
    "child": AccountState(1, child=True),
    "child-guardian": AccountState(1, child=True, guardian_confirmed=True),
    "child-guardian-consent": AccountState(
        1, child=True, guardian_confirmed=True, marketing_consent=True
    ),
    "wind-down": AccountState(1, winding_down=True),
    "wind-down-consent": AccountState(1, winding_down=True, marketing_consent=True),
}
# What the shopper chose: nothing (defaults), everything on, everything off.
CHOICES = {
    "defaults": {},
    "all-on": {(t, c): True for t in TYPES for c in CHANNELS},
    "all-off": {(t, c): False for t in TYPES for c in CHANNELS},
}


def expected(state: AccountState, type_code: str, choice: str) -> bool:
    """The rules as the policy and issue 17 state them, written out once more by hand."""
    if type_code in ("orders", "account"):
        return True  # transactional: always
    if choice == "all-off":
        return False  # a type not chosen is not sent (§1(2)6)
    if type_code in ("service_replies", "policy_changes"):
        return True
    if state.winding_down:
        return False  # nothing else once the shop announced its closing
    if type_code == "watched_parts":
        return True
    marketing_free = not state.restricted and not state.objects_to_marketing
    if type_code == "follows":
        return (
            choice == "all-on" and marketing_free and (not state.child or state.guardian_confirmed)
        )
    assert type_code == "newsletter"
    return state.marketing_consent and marketing_free and not state.child


def test_every_type_and_channel_is_named_and_every_kind_has_a_type() -> None:
    assert set(TYPES) == {
        "orders",
        "account",
        "service_replies",
        "watched_parts",
        "follows",
        "policy_changes",
        "newsletter",
    }
    kinds = {
        path.name.removesuffix(".subject.txt")
        for path in messaging.EMAILS_DIR.glob("*.subject.txt")
    }
    assert kinds == set(notifications.KIND_TYPES)
    assert set(notifications.KIND_TYPES.values()) <= set(TYPES)


@pytest.mark.parametrize("choice", list(CHOICES))
@pytest.mark.parametrize("state_name", list(STATES))
@pytest.mark.parametrize("type_code", list(TYPES))
def test_the_gate_decides_every_type_in_every_state(
    type_code: str, state_name: str, choice: str
) -> None:
    state = replace(STATES[state_name], choices=CHOICES[choice])
    for channel in CHANNELS:
        decision = decide(state, type_code, channel)
        assert decision.allowed is expected(state, type_code, choice), (channel, decision)
        assert decision.reason in notifications.REASONS


def test_unknown_types_and_channels_are_refused() -> None:
    assert decide(AccountState(1), "spam", "email") == notifications.Decision(False, "unknown")
    assert decide(AccountState(1), "orders", "sms") == notifications.Decision(False, "unknown")


def test_one_channel_off_leaves_the_other() -> None:
    state = AccountState(1, choices={("service_replies", "email"): False})
    assert not decide(state, "service_replies", "email").allowed
    assert decide(state, "service_replies", "center").allowed


# -- Through the outbox, on the database --------------------------------------------------------


@pytest.fixture
def tables(seeded_database: TestDatabase) -> TestDatabase:
    bind_tables(seeded_database.url)
    return seeded_database


async def _account_in(state: AccountState) -> int:
    today = dt.date.today()
    born = today.replace(year=today.year - 10) if state.child else None
    account = Account(
        email=f"gate-{uuid.uuid4().hex[:10]}@example.com",
        password_hash="-",
        policy_version="test",
        marketing_email_consent=state.marketing_consent,
        restrict_processing=state.restricted,
        object_to_marketing=state.objects_to_marketing,
        is_minor=state.child,
        date_of_birth=born,
        guardian_confirmed_at=dt.datetime.now(dt.UTC) if state.guardian_confirmed else None,
        email_verified_at=dt.datetime.now(dt.UTC),
    )
    await account.save()
    for (type_code, channel), on in state.choices.items():
        await NotificationSubscription.insert(
            NotificationSubscription(
                account=account.id, type=type_code, channel=channel, enabled=on
            )
        )
    return int(account.id)


async def _queue(account_id: int, type_code: str) -> int | None:
    async with write_transaction(OutboxMessage._meta.db):
        return await messaging.enqueue_email(
            kind="question_answered",
            notification_type=type_code,
            recipient="gate@example.com",
            locale="en",
            account_id=account_id,
            context={
                "product_title": "Relay",
                "question": "Q?",
                "answer": "A.",
                "updated": False,
                "link": "http://shop.test/products/relay",
            },
        )


@pytest.mark.parametrize(("state_name", "choice"), list(itertools.product(STATES, CHOICES)))
async def test_the_outbox_never_queues_what_the_gate_refuses(
    tables: TestDatabase, state_name: str, choice: str
) -> None:
    state = replace(STATES[state_name], choices=CHOICES[choice])
    if state.winding_down:
        await set_state(
            WIND_DOWN,
            {
                "announced_at": dt.datetime.now(dt.UTC).isoformat(),
                "ends_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat(),
            },
        )
    try:
        account_id = await _account_in(state)
        for type_code in TYPES:
            allowed = expected(state, type_code, choice)
            queued = await _queue(account_id, type_code)
            assert (queued is not None) is allowed, type_code
            in_center = await Notification.count().where(
                (Notification.account == account_id) & (Notification.type == type_code)
            )
            assert in_center == (1 if allowed else 0), type_code
            assert await OutboxMessage.count().where(
                (OutboxMessage.account == account_id)
                & (OutboxMessage.notification_type == type_code)
            ) == (1 if allowed else 0)
    finally:
        await ServiceState.delete().where(ServiceState.key == WIND_DOWN)


@pytest.mark.parametrize("type_code", [t for t in TYPES if not notifications.is_transactional(t)])
async def test_the_sender_withholds_what_was_queued_before_a_withdrawal(
    tables: TestDatabase, type_code: str
) -> None:
    everything_on = replace(STATES["marketing-consent"], choices=CHOICES["all-on"])
    account_id = await _account_in(everything_on)
    queued = await _queue(account_id, type_code)
    assert queued is not None
    await NotificationSubscription.update({NotificationSubscription.enabled: False}).where(
        (NotificationSubscription.account == account_id)
        & (NotificationSubscription.type == type_code)
        & (NotificationSubscription.channel == "email")
    )
    settings = settings_for(tables)
    await messaging.send_due_mail(settings)
    assert await messaging.send_now(settings, queued) is False
    row = await OutboxMessage.select().where(OutboxMessage.id == queued).first()
    assert row["sent_at"] is None and row["withheld_at"] is not None
    assert row["last_error"] == "withheld: not-chosen"


async def test_transactional_mail_goes_whatever_the_state(tables: TestDatabase) -> None:
    worst = replace(
        STATES["consent-restricted"],
        objects_to_marketing=True,
        child=True,
        winding_down=False,
        choices=CHOICES["all-off"],
    )
    account_id = await _account_in(worst)
    queued = await _queue(account_id, "orders")
    assert queued is not None
    settings = settings_for(tables)
    assert await messaging.send_now(settings, queued) is True
