"""Deleting an account (privacy policy §4, §6): what happens to every personal field, and the
erasure that does it.

`REGISTRY` is the one place that says, table by table, what becomes of each personal field when
its owner deletes the account: erased, anonymised (the link to the person cut), deleted with its
row, or kept because the law needs it. `erase_account` follows it in one write transaction, and
docs/personal-data.md explains each decision. A test checks that every column marked
`# personal` in okmarts.tables and every link to an account is covered here.

The flow around it: the shopper re-enters the password (`request_deletion`, which mails a signed
link valid for 24 h), opens the link (`read_deletion_token`, `preview`), confirms with a POST
(`erase_account`), and gets a last email (`send_farewell`) whose outbox copy is erased as soon as
it is delivered (`forget_delivered_farewells`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum
from typing import Any

from piccolo.columns.combination import Where
from piccolo.table import Table

from okmarts.db import is_postgres, write_transaction
from okmarts.i18n import N_, Message
from okmarts.services import companies, rate_limits, reviews
from okmarts.services.accounts import (
    PASSWORD_MAX_LENGTH,
    FormInvalid,
    Site,
    now_utc,
    password_matches,
)
from okmarts.services.avatars import delete_avatar
from okmarts.services.messaging import (
    MAX_ATTEMPTS,
    enqueue_email,
    notify_mail_queued,
    send_now,
)
from okmarts.services.points import balance
from okmarts.services.rate_limits import Limit
from okmarts.services.support_files import (  # issue 16 (H-chat)
    delete_files_of_gone_rows as delete_support_files,
)
from okmarts.services.support_files import paths_of_conversations as support_paths_of
from okmarts.services.tokens import TokenError, make_token, read_token
from okmarts.settings import Settings
from okmarts.tables.accounts import (
    Account,
    AccountSession,
    Address,
    Attempt,
    LinkedIdentity,
    PointsEntry,
    SignIn,
)
from okmarts.tables.checkout import (
    CartLine,
    CouponUse,
    Order,
    OrderEvent,
    Payment,
    PaymentAttempt,
)
from okmarts.tables.companies import Company, CompanyAddress, CompanyInvitation, CompanyMember
from okmarts.tables.invoices import Invoice
from okmarts.tables.lists import SavedList, SavedListItem
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.newsletters import NewsletterDelivery
from okmarts.tables.notifications import (
    Follow,
    Notification,
    NotificationSubscription,
    PolicyNotice,
)
from okmarts.tables.privacy import ConsentEvent, PolicyAcceptance, PrivacyRequest
from okmarts.tables.quotes import Quote
from okmarts.tables.recommendations import RecommendationDismissal
from okmarts.tables.returns import Complaint, ReturnRequest
from okmarts.tables.reviews import Question, Review, ReviewVote
from okmarts.tables.support import Conversation, ConversationMessage
from okmarts.tables.support_staff import SurveyAnswer
from okmarts.tables.watches import PartWatch

log = logging.getLogger("okmarts.erasure")

TOKEN_PURPOSE = "delete-account"
LINK_HOURS = 24
# Invoices and the order records behind them: commercial and tax law keep them for up to ten
# years (e.g. DE §147 AO / §257 HGB; CN e-commerce law art. 31 asks for at least three).
ORDER_RETENTION_YEARS = 10
# A data-subject request is answered within 15 days (policy §9): the record says it was.
PRIVACY_REQUEST_DAYS = 15
# Each request mails a link or is a password guess: a few an hour is plenty.
REQUESTS_PER_ACCOUNT = Limit("delete-account", attempts=5, window=dt.timedelta(hours=1))
# Orders that still need the delivery address (or may still be paid for or cancelled).
OPEN_ORDER_STATUSES = ("awaiting_approval", "awaiting_payment", "paid", "shipped")
# Returns not finished: parts on their way back, or money still to go back.
OPEN_RETURN_STATUSES = ("requested", "approved", "received")
OPEN_REFUND_STATES = ("to_be_paid", "refunding", "failed")
FAREWELL_KIND = "account_deleted"
# The farewell is sent by the request that erased the account; the background sender only
# picks it up after this, should that request have died or the mail server refused it.
FAREWELL_GRACE = dt.timedelta(minutes=10)
SELF_SERVICE = "self-service"
ERASED_NOTE = "Personal data erased: the customer deleted the account."
GIVEN_UP_NOTE = "Not sent: the account was deleted."


class ReviewChoice(StrEnum):
    KEEP = "keep"  # reviews and questions stay, anonymous ("Former customer")
    DELETE = "delete"  # reviews and questions are deleted


class Action(StrEnum):
    ERASE = "erase"  # the value is blanked ('' or NULL); the row stays
    ANONYMISE = "anonymise"  # the link to the person is cut; the row and its content stay
    DELETE = "delete rows"  # the rows go
    KEEP_FOR_LAW = "keep for law"  # kept for ORDER_RETENTION_YEARS, for the reason given


@dataclass(frozen=True)
class Rule:
    """What erasing an account does to some columns of one table."""

    table: type[Table]
    columns: tuple[str, ...]  # () with DELETE: whole rows
    action: Action
    # Which rows: "account" (the Account row), "own" (table.account is the account), "own
    # lists" (table.saved_list is one of the account's saved lists), "company rows" (rows of
    # the companies that go with the account: table.company), "own conversations"
    # (messages and survey answers of its conversations, also those started as a visitor
    # with its address),
    # "orders" (rows of the account's orders), "outbox" (the account's mail, or mail to its
    # address), "attempts" (rate-limit rows keyed by its address or id), "email" (rows of no
    # account whose `email` is the account's address).
    rows: str
    reason: str
    choice: ReviewChoice | None = None  # applies only when the shopper chose this

    @property
    def name(self) -> str:
        return self.table._meta.tablename


REGISTRY: tuple[Rule, ...] = (
    # -- Accounts -------------------------------------------------------------------------
    Rule(
        PointsEntry,
        (),
        Action.DELETE,
        "own",
        "The points ledger belongs to the account; unused points lapse with it.",
    ),
    Rule(Address, (), Action.DELETE, "own", "The address book goes with the account."),
    Rule(SignIn, (), Action.DELETE, "own", "Sign-in history (IP, browser) is only for security."),
    Rule(AccountSession, (), Action.DELETE, "own", "Every session ends with the account."),
    Rule(
        LinkedIdentity,
        (),
        Action.DELETE,
        "own",
        "Accounts of other platforms linked for signing in are unlinked: issuer, subject and "
        "the claims kept go.",
    ),
    Rule(
        Attempt,
        ("key",),
        Action.DELETE,
        "attempts",
        "Rate-limit rows keyed by the address or the account id. Rows keyed by an IP address "
        "alone are not linked to the account and leave within hours (their window).",
    ),
    # -- Shopping -------------------------------------------------------------------------
    Rule(CartLine, (), Action.DELETE, "own", "The saved cart goes with the account."),
    Rule(
        RecommendationDismissal,
        (),
        Action.DELETE,
        "own",
        "Recommendations the shopper dismissed: a personal signal, kept only for them.",
    ),
    Rule(
        Order,
        ("recipient", "phone", "email", "city", "line", "zip_code", "tracking_number"),
        Action.ERASE,
        "own",
        "Delivery contact and street address of every order: the goods were delivered, and no "
        "tax rule needs a private buyer's delivery address; the tracking number would let "
        "the carrier's site show them again.",
    ),
    Rule(
        Order,
        ("company", "tax_id", "billing_address", "po_number"),
        Action.KEEP_FOR_LAW,
        "own",
        "The invoice must name the buying company, its tax number and billing address (empty "
        "on private orders), and the buyer's purchase-order number it refers to (a private "
        "buyer may give one too: it is printed on the invoice), and is kept as long as tax "
        "law requires.",
    ),
    Rule(
        Invoice,
        (),
        Action.KEEP_FOR_LAW,
        "orders",
        "Invoices are tax records: kept, numbered without gaps, for as long as tax law "
        "requires; the buyer's details on them are the order's (kept above).",
    ),
    # -- Company accounts (services/companies.py) -------------------------------------------
    Rule(
        CompanyMember,
        (),
        Action.DELETE,
        "own",
        "The membership goes; the company's orders stay with the company (their link to "
        "this account is cut like every order's). An owner's role passes to the longest "
        "member when no other owner is left.",
    ),
    Rule(
        CompanyAddress,
        (),
        Action.DELETE,
        "company rows",
        "The company's shipping addresses are the company's: they go with it when this "
        "account was its only member, and stay with a company that has other members (orders "
        "keep their own copy of the address they were sent to).",
    ),
    Rule(
        Company,
        (),
        Action.DELETE,
        "companies",
        "A company whose only member was this account goes with it (its orders keep their "
        "own copies of name, VAT number and billing address); a company with other members "
        "is theirs and stays.",
    ),
    Rule(
        CompanyInvitation,
        (),
        Action.DELETE,
        "invitations",
        "Invitations sent to this account's address or accepted by it.",
    ),
    Rule(
        CompanyInvitation,
        ("invited_by",),
        Action.ANONYMISE,
        "invited",
        "Invitations this account sent to colleagues stay valid for the company, without "
        "a link to who sent them.",
    ),
    Rule(
        Order,
        ("account",),
        Action.ANONYMISE,
        "own",
        "The order stays (number, dates, status, amounts, discounts, country and region for "
        "the place of supply, shipping method) without a link to anyone.",
    ),
    Rule(
        OrderEvent,
        ("note",),
        Action.ERASE,
        "orders",
        "Staff notes may name the customer; statuses and dates stay.",
    ),
    Rule(
        Payment,
        ("payer_name", "payer_email"),
        Action.ERASE,
        "orders",
        "The payer's name and address; method, amount, status, card brand and last four "
        "digits and the transaction id stay for reconciliation with the payment provider.",
    ),
    Rule(
        PaymentAttempt,
        ("account",),
        Action.ANONYMISE,
        "own",
        "Card payment attempts: amount, status and transaction id stay, linked to no one, so "
        "that a hold left by an unfinished attempt is still voided and payments reconcile with "
        "the provider; retention deletes them after 90 days.",
    ),
    Rule(
        CouponUse,
        ("account",),
        Action.ANONYMISE,
        "own",
        "The use still counts against the coupon's limit; who used it is forgotten.",
    ),
    Rule(
        Quote,
        (),
        Action.DELETE,
        "own",
        "Quotes asked for (parts, quantities, delivery country, notes and the shop's answers), "
        "their lines with them: a quote is an offer to this buyer, of no use without them. An "
        "accepted quote's prices are already in its order's lines, which follow the order's "
        "rules above (kept for tax, linked to no one).",
    ),
    # Before the conversations go (afterwards nothing leads to their answers).
    Rule(
        SurveyAnswer,
        ("comment", "conversation"),
        Action.ERASE,
        "own conversations",
        "Answers to the satisfaction survey about those conversations: the comment (the "
        "shopper's words) is blanked and the link to the conversation cut, so only an anonymous "
        "rating (1–5, with its date) stays for the service statistics.",
    ),
    Rule(
        ConversationMessage,
        (),
        Action.DELETE,
        "own conversations",
        "The messages (and files) of those conversations go with them.",
    ),
    Rule(
        Conversation,
        (),
        Action.DELETE,
        "own",
        "Conversations with customer service, their messages and files: the account's words, "
        "of no use without it (a complaint's decision is kept with the complaint, if any).",
    ),
    Rule(
        Conversation,
        (),
        Action.DELETE,
        "email",
        "Conversations started with the account's address without signing in: the same person.",
    ),
    # -- Returns and complaints (issue 16, H-returns: services/returns.py) -------------------
    Rule(
        ReturnRequest,
        ("note",),
        Action.ERASE,
        "own",
        "The shopper's note on a return (their words about the parts); the return itself (lines, "
        "status, refund amount and method) stays with the order it refunded, for the accounts.",
    ),
    Rule(
        ReturnRequest,
        ("account",),
        Action.ANONYMISE,
        "own",
        "Returns stay with their order (kept for tax, linked to no one), without the account.",
    ),
    Rule(
        Complaint,
        ("email", "summary", "decision", "decision_reason"),
        Action.KEEP_FOR_LAW,
        "own",
        "Complaints and disputes are kept for legal claims: the shop must be able to show what "
        "was complained about, what it decided and why, to whom it answered (the address), "
        "until the limitation period ends (OKMARTS_RETENTION_COMPLAINT_DAYS after the decision, "
        "3 years by default; then retention deletes them).",
    ),
    Rule(
        Complaint,
        ("account",),
        Action.ANONYMISE,
        "own",
        "The link to the account goes; the complaint stays, as above.",
    ),
    # -- Reviews and questions ------------------------------------------------------------
    Rule(
        Review,
        ("account", "order_line"),
        Action.ANONYMISE,
        "own",
        'Kept, as chosen, by a "Former customer": no link to the account or to the order.',
        ReviewChoice.KEEP,
    ),
    Rule(
        Review,
        (),
        Action.DELETE,
        "own",
        "Deleted, as chosen, with the votes others gave them.",
        ReviewChoice.DELETE,
    ),
    Rule(
        Question,
        ("account",),
        Action.ANONYMISE,
        "own",
        "Questions follow the reviews' choice: kept anonymous.",
        ReviewChoice.KEEP,
    ),
    Rule(
        Question,
        (),
        Action.DELETE,
        "own",
        "Questions follow the reviews' choice: deleted.",
        ReviewChoice.DELETE,
    ),
    Rule(
        ReviewVote,
        (),
        Action.DELETE,
        "own",
        "The account's votes go; the counts on those reviews are recounted from the votes left.",
    ),
    # -- Messaging ------------------------------------------------------------------------
    Rule(
        OutboxMessage,
        ("recipient", "subject", "text_body", "html_body", "last_error"),
        Action.ERASE,
        "outbox",
        "Copies of every email sent to the account or its address (a mail server's error may "
        "quote the address); the row (kind, dates) stays, and mail not sent yet never will be.",
    ),
    Rule(OutboxMessage, ("account",), Action.ANONYMISE, "outbox", "The link to the account."),
    Rule(
        Notification,
        (),
        Action.DELETE,
        "own",
        "The message center: copies of what was sent, of no use without the account.",
    ),
    Rule(
        NotificationSubscription,
        (),
        Action.DELETE,
        "own",
        "Notification settings: with no account nothing is sent. (A marketing change is also "
        "a consent event, deleted below with the others.)",
    ),
    Rule(
        Follow,
        (),
        Action.DELETE,
        "own",
        "Categories and brands followed: with no account there is no digest to send.",
    ),
    Rule(
        PartWatch,
        (),
        Action.DELETE,
        "own",
        "Watched parts: with no account there is nobody to tell (alerts still queued are "
        "given up with the account's other mail).",
    ),
    Rule(
        PartWatch,
        (),
        Action.DELETE,
        "email",
        "Watches made with the account's address without signing in: the same person.",
    ),
    Rule(
        PolicyNotice,
        (),
        Action.DELETE,
        "own",
        "Records of the policy-change notices sent: with no account nobody is told again.",
    ),
    Rule(
        NewsletterDelivery,
        (),
        Action.DELETE,
        "own",
        "Which newsletters went to the account: the newsletter's report keeps only its counts.",
    ),
    Rule(
        SavedListItem,
        (),
        Action.DELETE,
        "own lists",
        "The parts on the shopper's saved lists (and their notes) go with the lists.",
    ),
    Rule(
        SavedList,
        (),
        Action.DELETE,
        "own",
        "Saved lists are the shopper's own projects; their share links stop working.",
    ),
    # -- Privacy --------------------------------------------------------------------------
    Rule(
        ConsentEvent,
        (),
        Action.DELETE,
        "own",
        "Consents given and withdrawn: with no account there is no processing left to prove "
        "consent for.",
    ),
    Rule(PolicyAcceptance, (), Action.DELETE, "own", "Policy acceptances, for the same reason."),
    Rule(
        PrivacyRequest,
        ("details",),
        Action.ERASE,
        "own",
        "What the request said may be personal; kind, status and dates stay as proof that "
        "each request (and this deletion, recorded as one) was honoured in time.",
    ),
    Rule(PrivacyRequest, ("account",), Action.ANONYMISE, "own", "The link to the account."),
    # -- Last: the account itself ---------------------------------------------------------
    Rule(
        Account,
        (
            "email",
            "real_name",
            "nickname",
            "gender",
            "date_of_birth",
            "company",
            "address",
            "zip_code",
            "avatar",
            "guardian_email",
        ),
        Action.DELETE,
        "account",
        "The account row is deleted, password hash and settings included; the avatar file is "
        "deleted from disk.",
    ),
)


def retained_columns() -> set[tuple[str, str]]:
    """(table, column) pairs that keep personal data after an erasure, because law needs it."""
    return {
        (rule.name, column)
        for rule in REGISTRY
        if rule.action is Action.KEEP_FOR_LAW
        for column in rule.columns
    }


# -- Errors -------------------------------------------------------------------------------------


class OpenOrders(Exception):
    """Orders still on their way need the address: the account can go once they are done."""

    def __init__(self, numbers: list[str]) -> None:
        super().__init__(numbers)
        self.numbers = numbers


# -- Asking for it: password, then a link by email ----------------------------------------------


def _fingerprint(account: Account) -> str:
    # A reused id (SQLite hands out the highest id again) or a new account with the same address
    # must not match a link made for the deleted one.
    created = int(account.created_at.timestamp()) if account.created_at else 0
    return hashlib.sha256(f"{account.id}:{account.email}:{created}".encode()).hexdigest()[:16]


def parse_choice(raw: str) -> ReviewChoice:
    try:
        return ReviewChoice(raw)
    except ValueError as error:
        raise FormInvalid(
            {"reviews": Message(N_("Choose what should happen to your reviews."))}
        ) from error


async def open_orders(account_id: int) -> list[str]:
    """Numbers of the account's orders that are not finished (paid, on their way…), or whose
    return is (its instructions and refund still go to the order's email address)."""
    returning = ReturnRequest.select(ReturnRequest.order).where(
        (ReturnRequest.account == account_id)
        & (
            ReturnRequest.status.is_in(list(OPEN_RETURN_STATUSES))
            | ReturnRequest.refund_state.is_in(list(OPEN_REFUND_STATES))
        )
    )
    rows = (
        await Order.select(Order.number)
        .where(
            (Order.account == account_id)
            & (Order.status.is_in(list(OPEN_ORDER_STATUSES)) | Order.id.is_in(returning))
        )
        .order_by(Order.created_at)
    )
    return [row["number"] for row in rows]


async def request_deletion(
    account: Account, password: str, reviews: str, site: Site, now: dt.datetime | None = None
) -> None:
    """Check the password and mail a link that confirms the deletion (valid LINK_HOURS). An
    account that signs in with another account only (services.oidc) has no password: the
    emailed link is the proof then."""
    now = now or now_utc()
    choice = parse_choice(reviews)
    await rate_limits.consume((REQUESTS_PER_ACCOUNT, str(account.id)), now=now)
    if account.password_hash and not await password_matches(
        account.password_hash, password[:PASSWORD_MAX_LENGTH]
    ):
        raise FormInvalid({"password": Message(N_("Your password is not correct."))})
    numbers = await open_orders(account.id)
    if numbers:
        raise OpenOrders(numbers)
    token = make_token(
        site.secret,
        TOKEN_PURPOSE,
        {
            "a": account.id,
            "v": account.session_version,
            "r": str(choice),
            "f": _fingerprint(account),
        },
    )
    async with write_transaction(Account._meta.db):
        await enqueue_email(
            kind="account_deletion",
            recipient=account.email,
            locale=account.locale,
            account_id=account.id,
            context={
                "link": site.link("/account/delete/confirm", token=token),
                "hours": LINK_HOURS,
                "keep_reviews": choice is ReviewChoice.KEEP,
            },
        )
    notify_mail_queued()


@dataclass(frozen=True)
class DeletionLink:
    account: Account
    choice: ReviewChoice


async def read_deletion_token(token: str, site: Site) -> DeletionLink:
    """The account and choice of a genuine, unexpired, unused link; TokenError otherwise.

    A link stops working when the account is gone (used) or its sessions were revoked since
    (a password change, "sign out everywhere").
    """
    payload = read_token(site.secret, TOKEN_PURPOSE, token, LINK_HOURS * 3600)
    account = await Account.objects().where(Account.id == payload.get("a")).first()
    try:
        choice = ReviewChoice(payload.get("r"))
    except ValueError as error:
        raise TokenError(TOKEN_PURPOSE) from error
    if (
        account is None
        or account.session_version != payload.get("v")
        or _fingerprint(account) != payload.get("f")
    ):
        raise TokenError(TOKEN_PURPOSE)
    return DeletionLink(account, choice)


@dataclass(frozen=True)
class Preview:
    """What the confirmation page tells the shopper will happen."""

    orders: int
    reviews: int
    questions: int
    addresses: int
    points: int
    open_orders: list[str]


async def preview(account_id: int) -> Preview:
    return Preview(
        orders=await Order.count().where(Order.account == account_id),
        reviews=await Review.count().where(Review.account == account_id),
        questions=await Question.count().where(Question.account == account_id),
        addresses=await Address.count().where(Address.account == account_id),
        points=await balance(account_id),
        open_orders=await open_orders(account_id),
    )


# -- The erasure ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erased:
    account_id: int
    farewell_id: int | None  # the farewell email's outbox row, when one was queued
    orders_kept: int


def _blank(table: type[Table], column: str) -> Any:
    meta = table._meta.get_column_by_name(column)._meta
    return None if meta.null else ""


async def _attempt_ids(account: Account) -> list[int]:
    """Rate-limit rows whose subject is this account's address or id ("name:subject" keys)."""
    subjects = {account.email, str(account.id), f"guardian:{account.id}"}
    # Long subjects are kept as a digest (services.rate_limits).
    subjects |= {"#" + hashlib.sha256(s.encode()).hexdigest() for s in subjects if len(s) > 64}
    found: list[int] = []
    for subject in subjects:
        # LIKE narrows it down (its wildcards may match more); the exact test is in Python.
        rows = await Attempt.select(Attempt.id, Attempt.key).where(Attempt.key.like(f"%:{subject}"))
        found += [row["id"] for row in rows if row["key"].partition(":")[2] == subject]
    return found


@dataclass(frozen=True)
class _Scope:
    """The ids an erasure works on, found before anything changes."""

    account_id: int
    email: str
    order_ids: list[int]
    outbox_ids: list[int]
    attempt_ids: list[int]
    # Company accounts: companies of which it is the only member; invitations to or accepted
    # by it; invitations it sent.
    company_ids: list[int] = dataclass_field(default_factory=list)
    invitation_ids: list[int] = dataclass_field(default_factory=list)
    invited_ids: list[int] = dataclass_field(default_factory=list)


def _rows(rule: Rule, scope: _Scope) -> Where | None:
    """The WHERE clause of a rule's rows, or None when there are none."""
    table = rule.table
    ids: list[int] | None = {
        "orders": scope.order_ids,
        "outbox": scope.outbox_ids,
        "attempts": scope.attempt_ids,
        "companies": scope.company_ids,
        "company rows": scope.company_ids,
        "invitations": scope.invitation_ids,
        "invited": scope.invited_ids,
    }.get(rule.rows)
    if rule.rows == "account":
        return Account.id == scope.account_id
    if rule.rows == "own":
        return table._meta.get_column_by_name("account") == scope.account_id
    if rule.rows == "email":
        return table._meta.get_column_by_name("account").is_null() & (
            table._meta.get_column_by_name("email") == scope.email
        )
    if rule.rows == "own conversations":  # rows of its conversations (also as a visitor)
        owned = Conversation.select(Conversation.id).where(
            (Conversation.account == scope.account_id)
            | (Conversation.account.is_null() & (Conversation.email == scope.email))
        )
        return table._meta.get_column_by_name("conversation").is_in(owned)
    if rule.rows == "own lists":  # rows of the account's saved lists
        owned = SavedList.select(SavedList.id).where(SavedList.account == scope.account_id)
        return table._meta.get_column_by_name("saved_list").is_in(owned)
    if ids is None:
        raise ValueError(f"Unknown rows {rule.rows!r} in the erasure registry")
    if not ids:
        return None
    column = {"orders": "order", "company rows": "company"}.get(rule.rows, "id")
    return table._meta.get_column_by_name(column).is_in(ids)


async def _apply(rule: Rule, where: Where) -> None:
    if rule.action is Action.KEEP_FOR_LAW:
        return
    if rule.action is Action.DELETE:
        await rule.table.delete().where(where)
        return
    columns = {
        rule.table._meta.get_column_by_name(name): _blank(rule.table, name) for name in rule.columns
    }
    await rule.table.update(columns).where(where)


async def _recount_votes(review_ids: list[int]) -> None:
    """Counts and score of reviews whose votes changed, from the votes that are left."""
    for review_id in review_ids:
        await reviews.recount_votes(review_id)


Guard = Callable[[Account], Awaitable[None]]


async def erase_account(
    account_id: int,
    *,
    settings: Settings,
    reason: str,
    reviews: ReviewChoice = ReviewChoice.KEEP,
    farewell: bool = False,
    record_request: bool = False,
    guard: Guard | None = None,
    now: dt.datetime | None = None,
) -> Erased | None:
    """Erase an account following REGISTRY, in one write transaction; None if it is gone.

    `reason` is written on the account's orders' history ("self-service", "retention:
    inactive"…). `farewell` queues the last email (send it with `send_farewell` after this
    returns); `record_request` records a completed deletion request as proof. `guard` runs
    inside the transaction on the locked account and may raise to call everything off.
    Retention and the wind-down call this with the defaults (reviews kept anonymous).
    """
    now = now or now_utc()
    async with write_transaction(Account._meta.db):
        account = await _lock_account(account_id)
        if account is None:
            return None
        if guard is not None:
            await guard(account)
        scope, orders, unsent_mail = await _find_what_is_linked(account)
        # issue 16 (H-chat): the files of its conversations, deleted once the rows are gone.
        support_paths = await support_paths_of(
            (Conversation.account == account.id)
            | (Conversation.account.is_null() & (Conversation.email == account.email))
        )
        voted = await _reviews_voted_on(account.id)
        await _apply_registry(scope, reviews)
        await _recount_votes_left(voted)
        await _never_send(unsent_mail)
        await _note_on_orders(orders, reason, now)
        if record_request:
            await _record_deletion_request(reason, now)
        farewell_id = (
            await _queue_farewell(account, len(orders), reviews, now) if farewell else None
        )
        # Every other link to the account follows its foreign key (cascade or set null).
        await Account.delete().where(Account.id == account.id)
    # issue 16 (H-chat): only once committed, and only files whose rows went.
    try:
        await delete_support_files(settings, support_paths)
    except OSError:
        log.exception("Could not delete support files of erased account %s", account.id)
    # Only once the deletion is committed: a rolled-back erasure keeps the picture.
    try:
        delete_avatar(settings.data_dir, account.avatar)
    except OSError:
        log.exception("Could not delete the avatar file of erased account %s", account.id)
    return Erased(account_id=account.id, farewell_id=farewell_id, orders_kept=len(orders))


# -- The steps of erase_account, in its order (each runs inside its transaction) -----------------


async def _lock_account(account_id: int) -> Account | None:
    select = Account.objects().where(Account.id == account_id)
    if is_postgres(Account._meta.db):
        # A second confirmation (a double click) waits here, then finds no account.
        select = select.lock_rows()
    return await select.first()


async def _find_what_is_linked(account: Account) -> tuple[_Scope, list[dict], list[int]]:
    """The rows the registry reaches: orders, outbox messages, rate-limit attempts."""
    orders = await Order.select(Order.id, Order.status).where(Order.account == account.id)
    outbox = await OutboxMessage.select(OutboxMessage.id, OutboxMessage.sent_at).where(
        (OutboxMessage.account == account.id) | (OutboxMessage.recipient == account.email)
    )
    scope = _Scope(
        account_id=account.id,
        email=account.email,
        order_ids=[row["id"] for row in orders],
        outbox_ids=[row["id"] for row in outbox],
        attempt_ids=await _attempt_ids(account),
        **await companies.erasure_scope(account.id, account.email),
    )
    return scope, orders, [row["id"] for row in outbox if row["sent_at"] is None]


async def _reviews_voted_on(account_id: int) -> list[int]:
    rows = await ReviewVote.select(ReviewVote.review).where(ReviewVote.account == account_id)
    return [row["review"] for row in rows]


async def _apply_registry(scope: _Scope, reviews: ReviewChoice) -> None:
    """Every REGISTRY rule but the account row's own, which goes last."""
    for rule in REGISTRY:
        if rule.choice is not None and rule.choice is not reviews:
            continue
        if rule.table is Account:
            continue
        where = _rows(rule, scope)
        if where is not None:
            await _apply(rule, where)


async def _recount_votes_left(voted: list[int]) -> None:
    """The reviews this account voted on (those still there) count the votes that are left."""
    if voted:
        left = await Review.select(Review.id).where(Review.id.is_in(voted))
        await _recount_votes([row["id"] for row in left])


async def _never_send(unsent_mail: list[int]) -> None:
    """Mail not sent yet would go to an erased address: it is given up."""
    if unsent_mail:
        await OutboxMessage.update(
            {OutboxMessage.attempts: MAX_ATTEMPTS, OutboxMessage.last_error: GIVEN_UP_NOTE}
        ).where(OutboxMessage.id.is_in(unsent_mail))


async def _note_on_orders(orders: list[dict], reason: str, now: dt.datetime) -> None:
    """Staff looking at an order see why its contact details are blank."""
    if not orders:
        return
    note = ERASED_NOTE if reason == SELF_SERVICE else f"Personal data erased: {reason}."
    await OrderEvent.insert(
        *(
            OrderEvent(
                order=row["id"],
                status=row["status"],
                actor="system",
                note=note[:300],
                created_at=now,
            )
            for row in orders
        )
    )


async def _record_deletion_request(reason: str, now: dt.datetime) -> None:
    """The request itself, as proof that it was honoured (linked to no one)."""
    await PrivacyRequest.insert(
        PrivacyRequest(
            account=None,
            kind="delete",
            status="completed",
            details="",
            created_at=now,
            due_at=now + dt.timedelta(days=PRIVACY_REQUEST_DAYS),
            closed_at=now,
            closed_by=reason[:120],
        )
    )


async def _queue_farewell(
    account: Account, orders_kept: int, reviews: ReviewChoice, now: dt.datetime
) -> int:
    farewell_id = await enqueue_email(
        kind=FAREWELL_KIND,
        recipient=account.email,
        locale=account.locale,
        account_id=None,
        context={
            "when": now,
            "orders_kept": orders_kept,
            "years": ORDER_RETENTION_YEARS,
            "keep_reviews": reviews is ReviewChoice.KEEP,
        },
    )
    await OutboxMessage.update({OutboxMessage.send_after: now + FAREWELL_GRACE}).where(
        OutboxMessage.id == farewell_id
    )
    return farewell_id


async def confirm_deletion(
    token: str, site: Site, settings: Settings, now: dt.datetime | None = None
) -> Erased:
    """The shopper confirms the link: erase the account and queue the farewell email.

    Raises TokenError for a bad, expired or used link (or one older than a password change),
    OpenOrders while orders are on their way. Call `send_farewell` after it.
    """
    link = await read_deletion_token(token, site)

    async def still_valid(account: Account) -> None:
        # Checked again on the locked row: a password change meanwhile voids the link.
        if account.session_version != link.account.session_version or _fingerprint(
            account
        ) != _fingerprint(link.account):
            raise TokenError(TOKEN_PURPOSE)
        numbers = await open_orders(account.id)
        if numbers:
            raise OpenOrders(numbers)

    erased = await erase_account(
        link.account.id,
        settings=settings,
        reason=SELF_SERVICE,
        reviews=link.choice,
        farewell=True,
        record_request=True,
        guard=still_valid,
        now=now,
    )
    if erased is None:  # erased meanwhile (a double click)
        raise TokenError(TOKEN_PURPOSE)
    return erased


# -- The farewell email ---------------------------------------------------------------------------


async def forget_delivered_farewells() -> int:
    """Erase the address and text of farewell emails that were sent or given up.

    `send_farewell` does this for its own message at once; this catches the ones the background
    sender delivered later. The retention job can call it too. Returns how many it erased.
    """
    rows = (
        await OutboxMessage.update(
            {
                OutboxMessage.recipient: "",
                OutboxMessage.subject: "",
                OutboxMessage.text_body: "",
                OutboxMessage.html_body: "",
                OutboxMessage.last_error: "",
            }
        )
        .where(
            (OutboxMessage.kind == FAREWELL_KIND)
            & (OutboxMessage.recipient != "")
            & (OutboxMessage.sent_at.is_not_null() | (OutboxMessage.attempts >= MAX_ATTEMPTS))
        )
        .returning(OutboxMessage.id)
    )
    return len(rows)


async def send_farewell(
    settings: Settings, farewell_id: int, now: dt.datetime | None = None
) -> bool:
    """Deliver the farewell email now, then erase its copy in the outbox; True when sent.

    On failure the message stays for the background sender (with its usual back-off), and
    `forget_delivered_farewells` erases it once it is delivered.
    """
    if not await send_now(settings, farewell_id, now):
        return False
    await forget_delivered_farewells()
    return True
