"""Company accounts: a company, its members and their roles, invitations, and order approval.

Roles: a **buyer** buys for the company; an **approver** also approves (or rejects) buyers'
orders above the company's approval limit; an **owner** also manages the members and the
settings (name, VAT number, billing address, approval limit). An account belongs to at most one
company (a unique index).

Invitations: the owner invites a colleague by email. The emailed link carries a signed token
(services.tokens, purpose "company-invite", valid INVITATION_DAYS); the invitation row keeps
its SHA-256 digest, and accepting sets `accepted_at` by a conditional update, so a link is
accepted once. Only the account whose email the invitation was sent to can accept it.

Approval: an order by a buyer whose total is above the limit is placed as `awaiting_approval`:
stock is held, no payment is taken; the approvers and owners are emailed. Approving moves it to
`awaiting_payment` (paid by bank transfer), rejecting cancels it with the reason (stock and
points go back); both go through services.order_status.change_status (a conditional update on
the status, with the history and the buyer's email).

Leaving: a member who leaves or is removed takes their membership; the company's orders stay
with the company, and the link from those orders to the member's account is cut (their contact
details on the order stay: they are the company's delivery and invoice records). When the last
member leaves, the company row goes (its orders keep their own copy of name, VAT number and
billing address). Their saved lists stay theirs: those they had shared with the company are
unshared (tables.lists.SavedList.company), and they no longer see colleagues' lists.

Addresses: the company's shipping addresses (CompanyAddress) are the company's. Owners and
approvers add and remove them, checked like the address book's (services.addresses.clean);
members are offered them at checkout when buying for the company
(services.checkout.apply_saved_address). They go with the company.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from okmarts.db import lock_row, write_transaction
from okmarts.i18n import N_, Message
from okmarts.services import addresses, pricing, rate_limits, tax
from okmarts.services.accounts import FormInvalid, normalize_email
from okmarts.services.messaging import enqueue_email, notify_mail_queued
from okmarts.services.rate_limits import Limit
from okmarts.services.tokens import TokenError, TokenExpired, make_token, read_token
from okmarts.settings import Settings
from okmarts.tables.accounts import Account
from okmarts.tables.checkout import Order
from okmarts.tables.companies import Company, CompanyAddress, CompanyInvitation, CompanyMember
from okmarts.tables.lists import SavedList

ROLES = {
    # TRANSLATORS: a role in a company account: may buy for the company
    "buyer": N_("Buyer"),
    # TRANSLATORS: a role in a company account: approves colleagues' orders above the limit
    "approver": N_("Approver"),
    # TRANSLATORS: a role in a company account: manages members and settings
    "owner": N_("Owner"),
}
APPROVERS = ("approver", "owner")
INVITATION_DAYS = 7
INVITE_PURPOSE = "company-invite"
INVITES_PER_COMPANY = Limit("company-invite", attempts=30, window=dt.timedelta(hours=24))
NAME_LIMIT = 120
BILLING_LIMIT = 500
# A purchase-order number as buyers' systems write them: letters, digits and - / . _ # space.
PO_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./#_-]*$")
PO_LIMIT = 60
MAX_ADDRESSES = 50
INVITATION_KIND = "company_invitation"
APPROVAL_KIND = "order_awaiting_approval"


class CompanyRefused(Exception):
    """Not allowed, or no longer possible; the message says why."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.msgid)
        self.message = message


class NotAMember(Exception):
    """The account is not a member of that company (or it has not the role): 404 for HTTP."""


@dataclass
class Membership:
    company: Company
    member_id: int
    role: str

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    @property
    def can_approve(self) -> bool:
        return self.role in APPROVERS


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- Checks ----------------------------------------------------------------------------------------


def check_vat(raw: str) -> tuple[str, Message | None]:
    """The VAT number compacted (DE 123… → DE123…) and valid by format and checksum
    (services.tax), or an error. Empty is allowed (a company outside the EU, or one that has
    none)."""
    raw = raw.strip()
    if not raw:
        return "", None
    ok, normalized, _ = tax.validate_vat(raw)
    if ok:
        return normalized, None
    return raw[:40], Message(
        N_(
            "This is not a valid EU VAT number: check the country prefix and the digits "
            "(for example DE136695976)."
        )
    )


def check_po_number(raw: str) -> tuple[str, Message | None]:
    """A purchase-order number: optional, at most PO_LIMIT characters of a plain set."""
    value = " ".join(raw.split())
    if not value:
        return "", None
    if len(value) > PO_LIMIT:
        return value[:PO_LIMIT], Message(
            N_("Use at most %(limit)s characters here."), {"limit": PO_LIMIT}
        )
    if not PO_NUMBER.match(value):
        return value, Message(
            N_(
                "A purchase-order number may hold letters, digits, spaces and - / . _ # only, "
                "and starts with a letter or digit."
            )
        )
    return value, None


def parse_limit(raw: str, currency: str) -> tuple[int | None, Message | None]:
    """An approval limit typed as money ("2500" or "2500.00"): minor units, or None for none."""
    raw = raw.strip().replace(",", ".") if raw else ""
    if not raw:
        return None, None
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        amount = Decimal(-1)
    per_unit = pricing.minor_per_unit(currency)
    minor = amount * per_unit
    if not amount.is_finite() or amount < 0 or minor != minor.to_integral() or minor > 10**12:
        return None, Message(
            N_("Enter an amount such as 2500 or 2500.00, or leave it empty for no limit.")
        )
    return int(minor), None


def _settings_errors(
    name: str, vat_raw: str, billing_address: str, limit_raw: str, currency: str
) -> tuple[dict[str, Message], str, int | None]:
    errors: dict[str, Message] = {}
    if not name:
        errors["name"] = Message(N_("This field is required."))
    elif len(name) > NAME_LIMIT:
        errors["name"] = Message(
            N_("Use at most %(limit)s characters here."), {"limit": NAME_LIMIT}
        )
    vat, vat_error = check_vat(vat_raw)
    if vat_error:
        errors["vat_number"] = vat_error
    if len(billing_address) > BILLING_LIMIT:
        errors["billing_address"] = Message(
            N_("Use at most %(limit)s characters here."), {"limit": BILLING_LIMIT}
        )
    limit, limit_error = parse_limit(limit_raw, currency)
    if limit_error:
        errors["approval_limit"] = limit_error
    return errors, vat, limit


# -- Reading -------------------------------------------------------------------------------------


async def membership(account_id: int) -> Membership | None:
    """The account's company and role (one query), or None."""
    row = (
        await CompanyMember.select(
            CompanyMember.id,
            CompanyMember.role,
            *CompanyMember.company.all_columns(),
        )
        .where(CompanyMember.account == account_id)
        .output(nested=True)
        .first()
    )
    if row is None:
        return None
    return Membership(company=Company(**row["company"]), member_id=row["id"], role=row["role"])


async def require(account_id: int, company_id: int | None = None, role: str = "") -> Membership:
    """The account's membership, of that company and with at least that role; NotAMember."""
    found = await membership(account_id)
    if found is None or (company_id is not None and found.company.id != company_id):
        raise NotAMember()
    if role == "owner" and not found.is_owner:
        raise NotAMember()
    if role == "approver" and not found.can_approve:
        raise NotAMember()
    return found


async def members(company_id: int) -> list[dict]:
    return (
        await CompanyMember.select(
            CompanyMember.id,
            CompanyMember.role,
            CompanyMember.joined_at,
            CompanyMember.account.id.as_alias("account_id"),
            CompanyMember.account.email.as_alias("email"),
            CompanyMember.account.real_name.as_alias("real_name"),
        )
        .where(CompanyMember.company == company_id)
        .order_by(CompanyMember.id)
    )


async def open_invitations(company_id: int, now: dt.datetime | None = None) -> list[dict]:
    now = now or now_utc()
    return (
        await CompanyInvitation.select(
            CompanyInvitation.id,
            CompanyInvitation.email,
            CompanyInvitation.role,
            CompanyInvitation.expires_at,
        )
        .where(
            (CompanyInvitation.company == company_id)
            & CompanyInvitation.accepted_at.is_null()
            & (CompanyInvitation.expires_at > now)
        )
        .order_by(CompanyInvitation.id)
    )


async def company_orders(company_id: int, limit: int = 100) -> list[dict]:
    """Orders placed for the company, newest first (who placed it: the recipient named)."""
    return (
        await Order.select(
            Order.number,
            Order.created_at,
            Order.status,
            Order.total_minor,
            Order.currency,
            Order.recipient,
            Order.po_number,
        )
        .where(Order.company_ref == company_id)
        .order_by(Order.created_at, ascending=False)
        .limit(limit)
    )


async def company_order(account_id: int, number: str) -> Order | None:
    """An order of the account's company (None for one of any other company, or none)."""
    found = await membership(account_id)
    if found is None:
        return None
    return (
        await Order.objects()
        .where((Order.number == number) & (Order.company_ref == found.company.id))
        .first()
    )


# -- Creating and managing -----------------------------------------------------------------------


async def create_company(
    account: Account,
    *,
    name: str,
    vat_number: str,
    billing_address: str,
    approval_limit: str = "",
    currency: str = "USD",
    now: dt.datetime | None = None,
) -> Company:
    """A new company with the account as its owner; FormInvalid with a message per field."""
    now = now or now_utc()
    name, billing_address = name.strip(), billing_address.strip()
    errors, vat, limit = _settings_errors(
        name, vat_number, billing_address, approval_limit, currency
    )
    if errors:
        raise FormInvalid(errors)
    async with write_transaction(Company._meta.db):
        await lock_row(Account, account.id)
        if await CompanyMember.exists().where(CompanyMember.account == account.id):
            raise FormInvalid(
                {"name": Message(N_("You belong to a company already: leave it first."))}
            )
        company = Company(
            name=name,
            vat_number=vat,
            billing_address=billing_address,
            currency=currency,
            approval_limit_minor=limit,
            created_at=now,
        )
        await company.save()
        await CompanyMember.insert(
            CompanyMember(company=company.id, account=account.id, role="owner", joined_at=now)
        )
    return company


async def update_company(
    account: Account,
    *,
    name: str,
    vat_number: str,
    billing_address: str,
    approval_limit: str,
) -> Company:
    """The owner changes the company's details and approval limit."""
    found = await require(account.id, role="owner")
    name, billing_address = name.strip(), billing_address.strip()
    errors, vat, limit = _settings_errors(
        name, vat_number, billing_address, approval_limit, found.company.currency
    )
    if errors:
        raise FormInvalid(errors)
    await Company.update(
        {
            Company.name: name,
            Company.vat_number: vat,
            Company.billing_address: billing_address,
            Company.approval_limit_minor: limit,
        }
    ).where(Company.id == found.company.id)
    found.company.name, found.company.vat_number = name, vat
    found.company.billing_address, found.company.approval_limit_minor = billing_address, limit
    return found.company


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def invite(
    account: Account,
    email: str,
    role: str,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
) -> CompanyInvitation:
    """The owner invites a colleague: the invitation and its email, in one transaction."""
    now = now or now_utc()
    found = await require(account.id, role="owner")
    errors: dict[str, Message] = {}
    try:
        email = normalize_email(email)
    except ValueError as error:
        errors["email"] = Message(str(error))
    if role not in ROLES:
        errors["role"] = Message(N_("Choose a role from the list."))
    if not errors and await CompanyMember.exists().where(
        (CompanyMember.company == found.company.id) & (CompanyMember.account.email == email)
    ):
        errors["email"] = Message(N_("This colleague is a member already."))
    if errors:
        raise FormInvalid(errors)
    try:
        await rate_limits.consume((INVITES_PER_COMPANY, f"company:{found.company.id}"), now=now)
    except rate_limits.RateLimited as limited:
        raise FormInvalid(
            {
                "email": Message(
                    N_("Too many invitations today: try again in %(minutes)s minutes."),
                    {"minutes": limited.minutes},
                )
            }
        ) from limited
    token = make_token(
        settings.secret_key,
        INVITE_PURPOSE,
        {"c": found.company.id, "e": email, "n": secrets.token_urlsafe(8)},
    )
    async with write_transaction(CompanyInvitation._meta.db):
        invitation = CompanyInvitation(
            company=found.company.id,
            email=email,
            role=role,
            token_hash=_digest(token),
            invited_by=account.id,
            created_at=now,
            expires_at=now + dt.timedelta(days=INVITATION_DAYS),
        )
        await invitation.save()
        await enqueue_email(
            kind=INVITATION_KIND,
            recipient=email,
            # The invitee may have no account yet: the inviter's language is the best guess.
            locale=account.locale,
            # An account invited by its own address gets a message center entry too.
            account_id=None,
            context={
                "company_name": found.company.name,
                "inviter": account.real_name or account.email,
                "role": ROLES[role],
                "days": INVITATION_DAYS,
                "link": f"{settings.base_url}/company-invitations/{token}",
            },
        )
    notify_mail_queued()
    return invitation


@dataclass
class OpenInvitation:
    invitation: CompanyInvitation
    company_name: str


async def read_invitation(
    token: str, settings: Settings, *, now: dt.datetime | None = None
) -> OpenInvitation:
    """The invitation the link stands for, still open; CompanyRefused saying why not."""
    now = now or now_utc()
    try:
        read_token(settings.secret_key, INVITE_PURPOSE, token, INVITATION_DAYS * 86400)
    except TokenExpired as expired:
        raise CompanyRefused(
            Message(N_("This invitation has expired: ask your colleague for a new one."))
        ) from expired
    except TokenError as error:
        raise CompanyRefused(Message(N_("This invitation link is not valid."))) from error
    invitation = (
        await CompanyInvitation.objects()
        .where(CompanyInvitation.token_hash == _digest(token))
        .first()
    )
    if invitation is None:
        # Withdrawn, or its company closed.
        raise CompanyRefused(Message(N_("This invitation link is not valid.")))
    if invitation.accepted_at is not None:
        raise CompanyRefused(Message(N_("This invitation has been accepted already.")))
    if invitation.expires_at <= now:
        raise CompanyRefused(
            Message(N_("This invitation has expired: ask your colleague for a new one."))
        )
    company = await Company.select(Company.name).where(Company.id == invitation.company).first()
    return OpenInvitation(invitation=invitation, company_name=company["name"] if company else "")


async def accept(
    account: Account, token: str, settings: Settings, *, now: dt.datetime | None = None
) -> Membership:
    """The invited account joins the company with the invitation's role (once per link)."""
    now = now or now_utc()
    opened = await read_invitation(token, settings, now=now)
    invitation = opened.invitation
    if invitation.email != account.email:
        raise CompanyRefused(
            Message(
                N_(
                    "This invitation was sent to another email address. Sign in with the "
                    "account of that address to accept it."
                )
            )
        )
    async with write_transaction(CompanyInvitation._meta.db):
        await lock_row(Account, account.id)
        if await CompanyMember.exists().where(CompanyMember.account == account.id):
            raise CompanyRefused(Message(N_("You belong to a company already: leave it first.")))
        # Conditional: of two tabs accepting the same link, one joins.
        taken = (
            await CompanyInvitation.update(
                {CompanyInvitation.accepted_at: now, CompanyInvitation.accepted_by: account.id}
            )
            .where(
                (CompanyInvitation.id == invitation.id) & CompanyInvitation.accepted_at.is_null()
            )
            .returning(CompanyInvitation.id)
        )
        if not taken:
            raise CompanyRefused(Message(N_("This invitation has been accepted already.")))
        await CompanyMember.insert(
            CompanyMember(
                company=invitation.company, account=account.id, role=invitation.role, joined_at=now
            )
        )
    found = await membership(account.id)
    assert found is not None
    return found


async def withdraw_invitation(account: Account, invitation_id: int) -> None:
    found = await require(account.id, role="owner")
    await CompanyInvitation.delete().where(
        (CompanyInvitation.id == invitation_id)
        & (CompanyInvitation.company == found.company.id)
        & CompanyInvitation.accepted_at.is_null()
    )


async def change_role(account: Account, member_id: int, role: str) -> None:
    """The owner gives a member another role (the company keeps at least one owner)."""
    if role not in ROLES:
        raise CompanyRefused(Message(N_("Choose a role from the list.")))
    found = await require(account.id, role="owner")
    async with write_transaction(CompanyMember._meta.db):
        await lock_row(Company, found.company.id)
        member = await _member_of(found.company.id, member_id)
        if member["role"] == "owner" and role != "owner":
            await _keep_an_owner(found.company.id)
        await CompanyMember.update({CompanyMember.role: role}).where(CompanyMember.id == member_id)


async def _member_of(company_id: int, member_id: int) -> dict:
    member = (
        await CompanyMember.select(CompanyMember.id, CompanyMember.role, CompanyMember.account)
        .where((CompanyMember.id == member_id) & (CompanyMember.company == company_id))
        .first()
    )
    if member is None:
        raise NotAMember()
    return member


async def _keep_an_owner(company_id: int) -> None:
    owners = await CompanyMember.count().where(
        (CompanyMember.company == company_id) & (CompanyMember.role == "owner")
    )
    if owners <= 1:
        raise CompanyRefused(
            Message(N_("The company needs another owner first: give a colleague that role."))
        )


async def remove_member(account: Account, member_id: int) -> None:
    """The owner removes a member (or themselves, as `leave` does)."""
    found = await require(account.id, role="owner")
    member = await _member_of(found.company.id, member_id)
    await _leave(found.company.id, member["account"])


async def leave(account: Account) -> None:
    """The account leaves its company: it takes its personal data, not the company's orders."""
    found = await require(account.id)
    await _leave(found.company.id, account.id)


async def _leave(company_id: int, account_id: int) -> None:
    async with write_transaction(CompanyMember._meta.db):
        await lock_row(Company, company_id)
        member = (
            await CompanyMember.select(CompanyMember.id, CompanyMember.role)
            .where((CompanyMember.company == company_id) & (CompanyMember.account == account_id))
            .first()
        )
        if member is None:
            raise NotAMember()
        others = await CompanyMember.count().where(
            (CompanyMember.company == company_id) & (CompanyMember.account != account_id)
        )
        if member["role"] == "owner" and others:
            await _keep_an_owner(company_id)
        await CompanyMember.delete().where(CompanyMember.id == member["id"])
        # Their lists stay theirs, no longer shared with the company.
        await SavedList.update({SavedList.company: None}).where(
            (SavedList.account == account_id) & (SavedList.company == company_id)
        )
        # The company's orders stay with the company; the member's link to them is cut.
        await Order.update({Order.account: None}).where(
            (Order.company_ref == company_id) & (Order.account == account_id)
        )
        if not others:
            # The last member: the company goes (its orders keep their own copies of its
            # name, VAT number and billing address, as invoices need).
            await Company.delete().where(Company.id == company_id)


# -- The company's shipping addresses -------------------------------------------------------------


async def company_addresses(company_id: int) -> list[CompanyAddress]:
    """The company's shipping addresses, oldest first."""
    return (
        await CompanyAddress.objects()
        .where(CompanyAddress.company == company_id)
        .order_by(CompanyAddress.id)
    )


async def company_address(account_id: int, address_id: int) -> CompanyAddress | None:
    """A shipping address of the account's company (None: not a member, or not theirs)."""
    return (
        await CompanyAddress.objects()
        .where(
            (CompanyAddress.id == address_id)
            & CompanyAddress.company.is_in(
                CompanyMember.select(CompanyMember.company).where(
                    CompanyMember.account == account_id
                )
            )
        )
        .first()
    )


async def add_address(account: Account, form: addresses.AddressForm) -> CompanyAddress:
    """An owner or approver adds a shipping address, checked like the address book's;
    FormInvalid with a message per field; NotAMember for anyone else."""
    found = await require(account.id, role="approver")
    form.kind, form.company, form.tax_id = "shipping", "", ""
    values = addresses.clean(form)
    async with write_transaction(CompanyAddress._meta.db):
        # The company's address changes queue up: the size limit holds with two tabs.
        await lock_row(Company, found.company.id)
        count = await CompanyAddress.count().where(CompanyAddress.company == found.company.id)
        if count >= MAX_ADDRESSES:
            raise FormInvalid(
                {
                    "recipient": Message(
                        N_(
                            "The company has %(num)s addresses, the most there can be: "
                            "delete one first."
                        ),
                        {"num": MAX_ADDRESSES},
                    )
                }
            )
        address = CompanyAddress(
            company=found.company.id,
            **{name: values[name] for name in _ADDRESS_FIELDS},
            created_at=now_utc(),
        )
        await address.save()
    return address


_ADDRESS_FIELDS = ("recipient", "phone", "country", "region", "city", "line", "zip_code")


async def delete_address(account: Account, address_id: int) -> None:
    """An owner or approver deletes one of the company's addresses (orders keep their copy)."""
    found = await require(account.id, role="approver")
    deleted = (
        await CompanyAddress.delete()
        .where((CompanyAddress.id == address_id) & (CompanyAddress.company == found.company.id))
        .returning(CompanyAddress.id)
    )
    if not deleted:
        raise NotAMember()


# -- Approval -------------------------------------------------------------------------------------


def needs_approval(found: Membership | None, total_minor: int, currency: str) -> bool:
    """A buyer's order above the company's approval limit waits for an approver."""
    if found is None or found.can_approve:
        return False
    limit = found.company.approval_limit_minor
    if limit is None:
        return False
    # A limit in another currency than the order's can't be compared: the order waits.
    return currency != found.company.currency or total_minor > limit


async def mail_approvers(order: Order, base_url: str) -> None:
    """Inside the order's transaction: every approver and owner hears of the waiting order."""
    if order.company_ref is None:
        return
    rows = await CompanyMember.select(
        CompanyMember.account.id.as_alias("id"),
        CompanyMember.account.email.as_alias("email"),
        CompanyMember.account.locale.as_alias("locale"),
    ).where(
        (CompanyMember.company == order.company_ref) & CompanyMember.role.is_in(list(APPROVERS))
    )
    for row in rows:
        await enqueue_email(
            kind=APPROVAL_KIND,
            recipient=row["email"],
            locale=row["locale"],
            account_id=row["id"],
            context={
                "order": order,
                "link": f"{base_url}/account/company/orders/{order.number}",
            },
        )


async def decide(
    account: Account,
    number: str,
    *,
    approve: bool,
    reason: str,
    settings: Settings,
) -> Order:
    """An approver approves (→ awaiting payment) or rejects (→ cancelled, with the reason)."""
    # Imported here: order_status imports orders, which imports this module.
    from okmarts.services import order_status

    found = await require(account.id, role="approver")
    order = await company_order(account.id, number)
    if order is None:
        raise NotAMember()
    if order.status != "awaiting_approval":
        raise CompanyRefused(Message(N_("This order is not waiting for approval any more.")))
    reason = " ".join(reason.split())[:300]
    if not approve and not reason:
        raise CompanyRefused(Message(N_("Say why the order is rejected: the buyer is told.")))
    try:
        return await order_status.change_status(
            order.id,
            "awaiting_payment" if approve else "cancelled",
            actor=f"company {found.role}",
            settings=settings,
            note="" if approve else reason,
            from_status="awaiting_approval",
        )
    except order_status.StatusChangeRefused as refused:
        raise CompanyRefused(refused.message) from refused


async def pending_approvals(company_id: int) -> list[dict]:
    return (
        await Order.select(
            Order.number, Order.created_at, Order.total_minor, Order.currency, Order.recipient
        )
        .where((Order.company_ref == company_id) & (Order.status == "awaiting_approval"))
        .order_by(Order.created_at)
    )


# -- Erasure (services/erasure.py) ----------------------------------------------------------------


async def erasure_scope(account_id: int, email: str) -> dict[str, list[int]]:
    """Inside the erasure's transaction: the company rows the erasure registry reaches (see
    its Company and CompanyInvitation rules). An owner leaving a company without another owner
    hands the role to the longest member first, so the company is never left unmanaged."""
    member = (
        await CompanyMember.select(CompanyMember.company, CompanyMember.role)
        .where(CompanyMember.account == account_id)
        .first()
    )
    company_ids: list[int] = []
    if member is not None:
        company_id = member["company"]
        others = (
            await CompanyMember.select(CompanyMember.id, CompanyMember.role)
            .where((CompanyMember.company == company_id) & (CompanyMember.account != account_id))
            .order_by(CompanyMember.joined_at)
            .order_by(CompanyMember.id)
        )
        if not others:
            company_ids.append(company_id)
        elif member["role"] == "owner" and not any(o["role"] == "owner" for o in others):
            await CompanyMember.update({CompanyMember.role: "owner"}).where(
                CompanyMember.id == others[0]["id"]
            )
        # The member's company orders: the erasure's order rules apply to them like to any
        # order of the account (contact details erased, link cut); they stay the company's.
    invitations = await CompanyInvitation.select(CompanyInvitation.id).where(
        (CompanyInvitation.email == email) | (CompanyInvitation.accepted_by == account_id)
    )
    invited = await CompanyInvitation.select(CompanyInvitation.id).where(
        CompanyInvitation.invited_by == account_id
    )
    return {
        "company_ids": company_ids,
        "invitation_ids": [row["id"] for row in invitations],
        "invited_ids": [row["id"] for row in invited],
    }
