"""The privacy center's rules (policy §4): data download, correction requests, the restrict and
object switches, separate consents, and data-subject requests due 15 days after they are made.

Every request is a PrivacyRequest row. Those the shop carries out at once (a download, a switch,
a withdrawn consent) are written "open" and completed in the same step, so a failed download
stays open in the staff's queue instead of vanishing; the rest (corrections, deletions made by
staff) wait for staff, who close them in the admin (`close_request`).

`marketing_allowed`, `personalisation_allowed` and `analytics_allowed` are the one place that
says whether an account's data may be used for those purposes: marketing mail, recommendations
and visit statistics must ask them.

The download itself is built in services/privacy_export.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from piccolo.columns import Column

from okmarts.db import is_postgres, write_transaction
from okmarts.i18n import N_, NP_, Message
from okmarts.services import accounts
from okmarts.services.accounts import FormInvalid, now_utc
from okmarts.tables.accounts import Account
from okmarts.tables.privacy import ConsentEvent, PrivacyRequest
from okmarts.tables.recommendations import RecommendationDismissal

# Policy §9: "we will respond to your inquiries within 15 days".
RESPONSE_DAYS = 15
DETAILS_MIN_LENGTH = 10
DETAILS_MAX_LENGTH = 4000
# Open requests a person may have waiting at once (each is answered by a person).
MAX_OPEN_REQUESTS = 5
SELF_SERVICE = "self-service"  # closed_by of requests carried out at once, without staff

KINDS: dict[str, str] = {
    "export": N_("Download of my data"),
    "delete": N_("Deletion of my account"),
    "restrict": N_("Restriction of processing"),
    "object": N_("Objection to direct marketing"),
    "withdraw": N_("Withdrawal of a consent"),
    "correct": N_("Correction of my data"),
}
# Kinds a person may ask for with the center's free-text form.
REQUESTABLE_KINDS = ("correct",)
STATUSES: dict[str, str | Message] = {
    # TRANSLATORS: status of a privacy request: not yet answered (an adjective, not the verb)
    "open": N_("Open"),
    # TRANSLATORS: status of a privacy request: done
    "completed": NP_("privacy request status", "Completed"),
    # TRANSLATORS: status of a privacy request: refused
    "rejected": N_("Rejected"),
}
OUTCOMES = ("completed", "rejected")


@dataclass(frozen=True)
class ConsentKind:
    """A separate consent (policy §1(2)1 and §2): where it is kept, what it allows."""

    code: str
    label: str
    explanation: str
    column: Column | None  # None: the function does not exist yet, so nothing to give
    # Given elsewhere (third-party sign-in: by linking an account), withdrawn here.
    given_elsewhere: bool = False


CONSENTS: dict[str, ConsentKind] = {
    kind.code: kind
    for kind in (
        ConsentKind(
            "marketing_email",
            N_("Marketing email"),
            N_("News about products, services and special offers by email."),
            Account.marketing_email_consent,
        ),
        ConsentKind(
            "personalised_recommendations",
            N_("Personalised recommendations"),
            N_("Products suggested from what you bought and looked at."),
            Account.personalisation_consent,
        ),
        ConsentKind(
            "third_party_sign_in",
            N_("Third-party sign-in"),
            N_(
                "Signing in with an account of another platform, which then shares your email, "
                "nickname, picture, country and company with us. Given when you link one on "
                "the Password and sign-ins page; withdrawing it unlinks them."
            ),
            Account.third_party_sign_in_consent,
            given_elsewhere=True,
        ),
    )
}


class PrivacyRefused(Exception):
    """A privacy action that cannot be done, with the reason to show."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.msgid % message.params if message.params else message.msgid)
        self.message = message


def due_date(created_at: dt.datetime) -> dt.datetime:
    return created_at + dt.timedelta(days=RESPONSE_DAYS)


# -- Who may be used for what -------------------------------------------------------------------


def is_child(account: Account, today: dt.date | None = None) -> bool:
    """Policy §8: a child's data is never used for marketing or personalisation."""
    return bool(account.is_minor) or accounts.is_minor(
        account.date_of_birth, today or now_utc().date()
    )


def marketing_allowed(account: Account) -> bool:
    """May this account get marketing email (and marketing use of its data)?"""
    return (
        bool(account.marketing_email_consent)
        and not account.restrict_processing
        and not account.object_to_marketing
        and not is_child(account)
    )


def personalisation_allowed(account: Account) -> bool:
    """May recommendations be personalised from this account's data?"""
    return (
        bool(account.personalisation_consent)
        and not account.restrict_processing
        and not account.object_to_marketing
        and not is_child(account)
    )


def analytics_allowed(account: Account | None) -> bool:
    """May this visit be counted in visit statistics? (The cookie choice must allow it too.)"""
    return account is None or not account.restrict_processing


# -- Requests -------------------------------------------------------------------------------------


async def _insert_request(
    account_id: int, kind: str, details: str, now: dt.datetime, completed: bool
) -> PrivacyRequest:
    row = PrivacyRequest(
        account=account_id,
        kind=kind,
        status="completed" if completed else "open",
        details=details,
        created_at=now,
        due_at=due_date(now),
        closed_at=now if completed else None,
        closed_by=SELF_SERVICE if completed else "",
    )
    await row.save()
    return row


async def record_withdrawal(account_id: int, consent: str, now: dt.datetime) -> None:
    """Inside the caller's transaction: a consent withdrawn elsewhere (a marketing subscription
    turned off: services.notifications) is a completed request, like one withdrawn here."""
    await _insert_request(account_id, "withdraw", consent, now, completed=True)


async def open_request(
    account: Account, kind: str, details: str, now: dt.datetime | None = None
) -> PrivacyRequest:
    """Record a request for staff to answer (e.g. "correct my data"), due in 15 days."""
    details = details.strip()
    if kind not in REQUESTABLE_KINDS:
        raise FormInvalid({"kind": Message(N_("Choose what you are asking for."))})
    if len(details) < DETAILS_MIN_LENGTH:
        raise FormInvalid(
            {
                "details": Message(
                    N_(
                        "Tell us what is wrong and what it should say (%(num)s characters or more)."
                    ),
                    {"num": DETAILS_MIN_LENGTH},
                )
            }
        )
    if len(details) > DETAILS_MAX_LENGTH:
        raise FormInvalid(
            {
                "details": Message(
                    N_("Please keep it under %(num)s characters."), {"num": DETAILS_MAX_LENGTH}
                )
            }
        )
    now = now or now_utc()
    async with write_transaction(PrivacyRequest._meta.db):
        waiting = await PrivacyRequest.count().where(
            (PrivacyRequest.account == account.id) & (PrivacyRequest.status == "open")
        )
        if waiting >= MAX_OPEN_REQUESTS:
            raise FormInvalid(
                {
                    "details": Message(
                        N_(
                            "You have %(num)s requests waiting for an answer. We will answer "
                            "them first; then you can send another."
                        ),
                        {"num": waiting},
                    )
                }
            )
        return await _insert_request(account.id, kind, details, now, completed=False)


async def list_requests(account_id: int) -> list[dict[str, Any]]:
    """The account's requests, newest first (never anyone else's)."""
    return (
        await PrivacyRequest.select(
            PrivacyRequest.id,
            PrivacyRequest.kind,
            PrivacyRequest.status,
            PrivacyRequest.details,
            PrivacyRequest.created_at,
            PrivacyRequest.due_at,
            PrivacyRequest.closed_at,
        )
        .where(PrivacyRequest.account == account_id)
        .order_by(PrivacyRequest.created_at, ascending=False)
        .order_by(PrivacyRequest.id, ascending=False)
    )


async def close_request(
    request_id: int, outcome: str, staff: str, note: str = "", now: dt.datetime | None = None
) -> dict[str, Any]:
    """Staff close an open request as completed or rejected; the note joins its details."""
    if outcome not in OUTCOMES:
        raise PrivacyRefused(
            Message(N_("The outcome is one of: %(outcomes)s."), {"outcomes": ", ".join(OUTCOMES)})
        )
    now = now or now_utc()
    note = note.strip()
    async with write_transaction(PrivacyRequest._meta.db):
        query = PrivacyRequest.select().where(PrivacyRequest.id == request_id)
        if is_postgres(PrivacyRequest._meta.db):
            query = query.lock_rows()
        row = await query.first()
        if row is None:
            raise PrivacyRefused(
                Message(N_("There is no privacy request %(id)s."), {"id": request_id})
            )
        if row["status"] != "open":
            raise PrivacyRefused(
                Message(
                    N_("Privacy request %(id)s is already %(status)s."),
                    {"id": request_id, "status": row["status"]},
                )
            )
        details = row["details"]
        if note:
            stamp = now.strftime("%Y-%m-%d")
            details = f"{details}\n\n[{stamp}] {note}".strip()
        await PrivacyRequest.update(
            {
                PrivacyRequest.status: outcome,
                PrivacyRequest.closed_at: now,
                PrivacyRequest.closed_by: staff,
                PrivacyRequest.details: details,
            }
        ).where(PrivacyRequest.id == request_id)
    return {**row, "status": outcome, "closed_at": now, "closed_by": staff, "details": details}


# -- Switches and consents ------------------------------------------------------------------------


async def _locked_account(account_id: int, *columns: Column) -> dict[str, Any]:
    query = Account.select(*columns).where(Account.id == account_id)
    if is_postgres(Account._meta.db):
        query = query.lock_rows()
    row = await query.first()
    if row is None:
        raise PrivacyRefused(Message(N_("This account no longer exists.")))
    return row


async def set_switches(
    account: Account, restrict: bool, object_marketing: bool, now: dt.datetime | None = None
) -> list[str]:
    """Turn "restrict processing" and "object to direct marketing" on or off; each change is a
    completed request and a consent event. Returns the names of the switches that changed."""
    now = now or now_utc()
    wanted = {
        Account.restrict_processing: ("restrict", restrict),
        Account.object_to_marketing: ("object", object_marketing),
    }
    changed: list[str] = []
    async with write_transaction(Account._meta.db):
        stored = await _locked_account(account.id, *wanted)
        for column, (kind, value) in wanted.items():
            name = column._meta.name
            if bool(stored[name]) == value:
                continue
            changed.append(name)
            await Account.update({column: value}).where(Account.id == account.id)
            await _insert_request(account.id, kind, "on" if value else "off", now, completed=True)
            if value:
                # Restricted or objecting: nothing kept to personalise stays behind.
                await forget_personal_signals(account.id)
            await ConsentEvent.insert(
                ConsentEvent(account=account.id, consent=name, granted=value, created_at=now)
            )
    account.restrict_processing = restrict
    account.object_to_marketing = object_marketing
    return changed


async def forget_personal_signals(account_id: int) -> None:
    """Inside the caller's transaction: delete what was kept to personalise recommendations for
    this account (its dismissed recommendations), as its data may no longer be used for that."""
    await RecommendationDismissal.delete().where(RecommendationDismissal.account == account_id)


def consent_states(account: Account) -> list[dict[str, Any]]:
    """Each separate consent with whether it is given (None: not available, nothing given)."""
    return [
        {
            "code": kind.code,
            "label": kind.label,
            "explanation": kind.explanation,
            "granted": None
            if kind.column is None
            else bool(getattr(account, kind.column._meta.name)),
            "given_elsewhere": kind.given_elsewhere,
        }
        for kind in CONSENTS.values()
    ]


async def set_consent(
    account: Account, consent: str, granted: bool, now: dt.datetime | None = None
) -> bool:
    """Give or withdraw one separate consent; logged, and a withdrawal is a completed request.
    Returns whether anything changed."""
    kind = CONSENTS.get(consent)
    if kind is None:
        raise PrivacyRefused(Message(N_("There is no such consent.")))
    if kind.column is None:
        raise PrivacyRefused(
            Message(N_("Okmarts has no third-party sign-in yet: nothing is linked or shared."))
        )
    if kind.given_elsewhere:
        return await _third_party_sign_in(account, granted, now or now_utc())
    if granted and is_child(account):
        raise PrivacyRefused(
            Message(
                N_(
                    "Under %(age)s, your data is never used for marketing or personalisation, "
                    "so this consent cannot be given."
                ),
                {"age": accounts.MINOR_AGE},
            )
        )
    now = now or now_utc()
    name = kind.column._meta.name
    async with write_transaction(Account._meta.db):
        stored = await _locked_account(account.id, kind.column)
        if bool(stored[name]) == granted:
            setattr(account, name, granted)
            return False
        await Account.update({kind.column: granted}).where(Account.id == account.id)
        await ConsentEvent.insert(
            ConsentEvent(account=account.id, consent=consent, granted=granted, created_at=now)
        )
        if not granted:
            await _insert_request(account.id, "withdraw", consent, now, completed=True)
            if kind.column is Account.personalisation_consent:
                await forget_personal_signals(account.id)
    setattr(account, name, granted)
    return True


async def _third_party_sign_in(account: Account, granted: bool, now: dt.datetime) -> bool:
    """Authorised login: given by linking an account (services.oidc.link); withdrawn here, which
    unlinks every linked account — refused while one is the only way to sign in."""
    if granted:
        raise PrivacyRefused(
            Message(
                N_(
                    "This consent is given by linking another account on the Password and "
                    "sign-ins page."
                )
            )
        )
    from okmarts.services import oidc

    async with write_transaction(Account._meta.db):
        stored = await _locked_account(
            account.id, Account.id, Account.password_hash, Account.third_party_sign_in_consent
        )
        if not stored["third_party_sign_in_consent"]:
            return False
        try:
            await oidc.withdraw_consent_in_transaction(account.id, stored, now, unlink_all=True)
        except oidc.LinkRefused as refused:
            raise PrivacyRefused(refused.message) from refused
    account.third_party_sign_in_consent = False
    return True
