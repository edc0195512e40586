"""Notifications (policy §1(2)6, §2, §4, §8): the types of message, the channels, what each
account chose, and the one gate every message to an account passes.

`decide(state, type, channel)` is the gate: a pure function of the account's state (consents,
restriction, objection, minor status, wind-down, its choices). `may_send` loads that state and
asks it. `messaging.enqueue_email` asks it for every email tied to an account and refuses what
it refuses, and the sender asks again right before sending, so a withdrawal also stops messages
already queued. No HTTP here; the settings page's rules are services/notification_settings.py.

Types fall in four classes:
- transactional (orders and payments; account and security): always on, both channels;
- information the shopper asked for (customer-service replies, watched-part alerts, policy
  changes): on unless turned off;
- product news (new products in followed categories or brands): on when the shopper follows
  something, never while processing is restricted or they object to direct marketing, never
  for a child whose guardian has not agreed;
- marketing (newsletter and promotions): off unless the account gave marketing consent, and
  never for a child (§8, as privacy.marketing_allowed), nor while processing is restricted or
  the shopper objects to direct marketing (§4).
Nothing but transactional and information messages go out once the shop announced that it
closes (§7).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from okmarts.i18n import N_
from okmarts.services import privacy
from okmarts.services.service_state import wind_down
from okmarts.tables.accounts import Account
from okmarts.tables.notifications import NotificationSubscription

# -- Types and channels ---------------------------------------------------------------------------

ORDERS = "orders"
ACCOUNT = "account"
SERVICE_REPLIES = "service_replies"
WATCHED_PARTS = "watched_parts"
FOLLOWS = "follows"
POLICY_CHANGES = "policy_changes"
NEWSLETTER = "newsletter"

TRANSACTIONAL = "transactional"
INFORMATION = "information"
PRODUCT_NEWS = "product_news"
MARKETING = "marketing"

EMAIL = "email"
CENTER = "center"
CHANNELS: dict[str, str] = {
    # TRANSLATORS: a way notifications reach a shopper (a column of the notification settings)
    EMAIL: N_("Email"),
    CENTER: N_("Message center"),
}


@dataclass(frozen=True)
class NotificationType:
    code: str
    label: str  # N_-marked
    explanation: str  # N_-marked
    kind: str  # TRANSACTIONAL | INFORMATION | PRODUCT_NEWS | MARKETING


TYPES: dict[str, NotificationType] = {
    t.code: t
    for t in (
        NotificationType(
            ORDERS,
            N_("Order and payment updates"),
            N_("Confirmations, payment reminders, shipping and every change of an order."),
            TRANSACTIONAL,
        ),
        NotificationType(
            ACCOUNT,
            N_("Account and security"),
            N_(
                "Email verification, password resets, sign-ins from a new device, deleting "
                "your account."
            ),
            TRANSACTIONAL,
        ),
        NotificationType(
            SERVICE_REPLIES,
            N_("Customer-service replies"),
            N_("Answers to your questions about products and your messages to us."),
            INFORMATION,
        ),
        NotificationType(
            WATCHED_PARTS,
            N_("Watched-part alerts"),
            N_("A part you watch is back in stock, cheaper, or discontinued."),
            INFORMATION,
        ),
        NotificationType(
            FOLLOWS,
            N_("New products you follow"),
            N_("New products in the categories and brands you follow."),
            PRODUCT_NEWS,
        ),
        NotificationType(
            POLICY_CHANGES,
            N_("Policy changes"),
            N_("Changes to our privacy policy and terms. This is information, not marketing."),
            INFORMATION,
        ),
        NotificationType(
            NEWSLETTER,
            N_("Newsletter and promotions"),
            N_("News about products, services and special offers."),
            MARKETING,
        ),
    )
}

# Every kind of email the shop sends (emails/<kind>.*) and its type. A kind missing here
# cannot be queued (messaging.enqueue_email), so no email escapes the gate.
KIND_TYPES: dict[str, str] = {
    "order_confirmation": ORDERS,
    "order_status": ORDERS,
    "order_expired": ORDERS,
    "order_payment_reminder": ORDERS,
    "quote_answered": ORDERS,
    "quote_declined": ORDERS,
    # Company accounts (services/companies.py).
    "order_awaiting_approval": ORDERS,
    "company_invitation": ACCOUNT,
    "verify_email": ACCOUNT,
    "password_reset": ACCOUNT,
    "new_device": ACCOUNT,
    "guardian_consent": ACCOUNT,
    "account_deletion": ACCOUNT,
    "account_deleted": ACCOUNT,
    "account_inactive": ACCOUNT,
    "wind_down": ACCOUNT,
    "question_answered": SERVICE_REPLIES,
    # Customer service (services.support): staff replies; a visitor's email confirmation.
    "support_reply": SERVICE_REPLIES,
    "support_verify": ACCOUNT,
    # The satisfaction survey when a conversation closes (services.support_survey): about the
    # shopper's own case, optional for them, so it follows their customer-service choice
    # (information, not transactional: nothing is lost without it; never marketing).
    "support_survey": SERVICE_REPLIES,
    # Issue 16 (H-returns, services.returns): each step of a return, a complaint's case.
    "return_update": ORDERS,
    "complaint_update": ORDERS,
    # Watched parts (services.watch_alerts); the confirmation goes to a visitor's address only.
    "part_back_in_stock": WATCHED_PARTS,
    "part_price_drop": WATCHED_PARTS,
    "part_discontinued": WATCHED_PARTS,
    "part_watch_confirm": WATCHED_PARTS,
    "follows_digest": FOLLOWS,
    "policy_changed": POLICY_CHANGES,
    "newsletter": NEWSLETTER,
}

# Why a message is allowed or refused: the settings page shows these beside a row it disables.
REASONS: dict[str, str] = {
    "transactional": N_(
        "Always on: we must tell you about your orders, payments and the security of your "
        "account, so these can't be turned off."
    ),
    "chosen": N_("You chose to receive these."),
    "not-chosen": N_("You chose not to receive these."),
    "no-consent": N_(
        "Only with your consent to marketing email, which you can give in the privacy center."
    ),
    "child": N_("Under %(age)s we never send you marketing or product news."),
    "restricted": N_("Not sent while you restrict the processing of your data."),
    "objection": N_("Not sent while you object to direct marketing."),
    "wind-down": N_("Not sent: Okmarts is closing."),
    "unknown": N_("There is no such kind of message."),
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # a key of REASONS


@dataclass(frozen=True)
class AccountState:
    """What the gate needs to know about one account."""

    account_id: int
    marketing_consent: bool = False
    restricted: bool = False
    objects_to_marketing: bool = False
    child: bool = False
    guardian_confirmed: bool = False
    winding_down: bool = False
    # The shopper's own choices, (type, channel) -> on/off; absent: the type's default.
    choices: Mapping[tuple[str, str], bool] = field(default_factory=dict)


def type_of_kind(kind: str) -> str:
    """The notification type of an email kind (KeyError for a kind nobody mapped)."""
    return KIND_TYPES[kind]


def is_transactional(type_code: str) -> bool:
    found = TYPES.get(type_code)
    return found is not None and found.kind == TRANSACTIONAL


def default_choice(state: AccountState, type_code: str) -> bool:
    """A type's setting on a channel the shopper never changed: defaults follow consent."""
    kind = TYPES[type_code].kind
    if kind == MARKETING:
        return state.marketing_consent
    # Product news is turned on when the shopper follows a category or brand.
    return kind != PRODUCT_NEWS


def chosen(state: AccountState, type_code: str, channel: str) -> bool:
    return state.choices.get((type_code, channel), default_choice(state, type_code))


def forbidden(state: AccountState, type_code: str) -> str | None:
    """Why this type may not go to this account whatever it chose (a REASONS key), or None."""
    kind = TYPES[type_code].kind
    if kind in (TRANSACTIONAL, INFORMATION):
        return "wind-down" if state.winding_down and type_code == WATCHED_PARTS else None
    if state.winding_down:
        return "wind-down"
    if kind == MARKETING and state.child:
        return "child"  # §8: never, a guardian's consent included (privacy.marketing_allowed)
    if kind == PRODUCT_NEWS and state.child and not state.guardian_confirmed:
        return "child"
    if state.restricted:
        return "restricted"
    if state.objects_to_marketing:
        return "objection"
    if kind == MARKETING and not state.marketing_consent:
        return "no-consent"
    return None


def decide(state: AccountState, type_code: str, channel: str) -> Decision:
    """The gate: may a message of this type go to this account on this channel?"""
    if type_code not in TYPES or channel not in CHANNELS:
        return Decision(False, "unknown")
    if is_transactional(type_code):
        return Decision(True, "transactional")
    reason = forbidden(state, type_code)
    if reason is not None:
        return Decision(False, reason)
    if not chosen(state, type_code, channel):
        return Decision(False, "not-chosen")
    return Decision(True, "chosen")


# -- Loading the state ----------------------------------------------------------------------------

_STATE_COLUMNS = (
    Account.id,
    Account.marketing_email_consent,
    Account.restrict_processing,
    Account.object_to_marketing,
    Account.is_minor,
    Account.date_of_birth,
    Account.guardian_confirmed_at,
)


def _state(row: Mapping[str, Any], winding_down: bool, choices: dict) -> AccountState:
    child = privacy.is_child(
        Account(is_minor=row["is_minor"], date_of_birth=row["date_of_birth"])  # type: ignore[call-arg]
    )
    return AccountState(
        account_id=int(row["id"]),
        marketing_consent=bool(row["marketing_email_consent"]),
        restricted=bool(row["restrict_processing"]),
        objects_to_marketing=bool(row["object_to_marketing"]),
        child=child,
        guardian_confirmed=row["guardian_confirmed_at"] is not None,
        winding_down=winding_down,
        choices=choices,
    )


async def _winding_down() -> bool:
    state = await wind_down()
    return state is not None


async def states(account_ids: Iterable[int]) -> dict[int, AccountState]:
    """The gate's state of several accounts in three queries (accounts, choices, wind-down);
    an account that no longer exists is absent."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    rows = await Account.select(*_STATE_COLUMNS).where(Account.id.is_in(ids))
    choices: dict[int, dict[tuple[str, str], bool]] = {account_id: {} for account_id in ids}
    for sub in await NotificationSubscription.select(
        NotificationSubscription.account,
        NotificationSubscription.type,
        NotificationSubscription.channel,
        NotificationSubscription.enabled,
    ).where(NotificationSubscription.account.is_in(ids)):
        choices[sub["account"]][(sub["type"], sub["channel"])] = bool(sub["enabled"])
    closing = await _winding_down()
    return {row["id"]: _state(row, closing, choices[row["id"]]) for row in rows}


async def state_of(account_id: int) -> AccountState | None:
    return (await states([account_id])).get(account_id)


async def may_send(account: Account | int, type_code: str, channel: str) -> Decision:
    """The gate, for one account as it is stored now."""
    if is_transactional(type_code) and channel in CHANNELS:
        return Decision(True, "transactional")  # no need to read anything
    account_id = account if isinstance(account, int) else int(account.id)
    state = await state_of(account_id)
    if state is None:
        return Decision(False, "unknown")
    return decide(state, type_code, channel)
