"""Company accounts: a company, its members with their roles, and invitations to join it.

Personal fields are marked `# personal`. A company belongs to its members, not to one person:
a member who leaves (or deletes the account) takes their membership and personal data, the
company and its orders stay (services/companies.py, docs/personal-data.md).

The company's shipping addresses (CompanyAddress) are the company's, not a member's: a table of
their own rather than rows of the personal address book (tables.accounts.Address), whose every
row belongs to one account and leaves with it; these are deleted with the company.
"""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.readable import Readable
from piccolo.table import Table

from okmarts.tables.accounts import Account


class Company(Table, tablename="company"):
    name = Varchar(length=120)  # personal (may name a sole trader)
    vat_number = Varchar(length=40, default="")  # personal (a sole trader's tax number)
    # The company's billing address, shared by its members at checkout.
    billing_address = Text(default="")  # personal
    currency = Varchar(length=3, default="USD")
    # Orders by buyers above this total (minor units of `currency`) wait for an approver;
    # null: no limit.
    approval_limit_minor = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())

    @classmethod
    def get_readable(cls) -> Readable:
        return Readable(template="%s", columns=[cls.name])


class CompanyMember(Table, tablename="company_member"):
    """One account's membership: an account belongs to at most one company."""

    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, unique=True)
    role = Varchar(length=10, default="buyer")  # buyer | approver | owner
    joined_at = Timestamptz(default=TimestamptzNow())


class CompanyInvitation(Table, tablename="company_invitation"):
    """An invitation emailed to a colleague: the link carries a signed token whose digest is
    kept here, so it is accepted once (a conditional update on accepted_at)."""

    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, index=True)
    email = Varchar(length=254)  # personal (the invitee's)
    role = Varchar(length=10, default="buyer")
    token_hash = Varchar(length=64, unique=True)
    # Who invited: cut when that account is deleted.
    invited_by = ForeignKey(references=Account, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    accepted_at = Timestamptz(null=True, default=None)
    # Who accepted: cut when that account is deleted.
    accepted_by = ForeignKey(references=Account, on_delete=OnDelete.set_null, null=True)


class CompanyAddress(Table, tablename="company_address"):
    """A shipping address of the company, offered to its members at checkout when they buy for
    it; owners and approvers add and remove them (services/companies.py)."""

    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, index=True)
    recipient = Varchar(length=100)  # personal (may name a colleague)
    phone = Varchar(length=30, default="")  # personal
    country = Varchar(length=2)
    region = Varchar(length=100, default="")
    city = Varchar(length=100)  # personal
    line = Varchar(length=300)  # personal
    zip_code = Varchar(length=20, default="")  # personal
    created_at = Timestamptz(default=TimestamptzNow())
