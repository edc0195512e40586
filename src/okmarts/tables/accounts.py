"""Shoppers' accounts: sign-in, profile, points ledger, address book, sign-in history.

Personal data is marked `# personal` where it is declared, so export, erasure and retention
(the privacy issue) can reach every such field.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.readable import Readable
from piccolo.table import Table


class Account(Table, tablename="account"):
    email = Varchar(length=254, unique=True)  # personal; stored lower-cased
    password_hash = Varchar(length=255)
    email_verified_at = Timestamptz(null=True, default=None)
    # Part of every session cookie: raising it ends every session issued before.
    session_version = Integer(default=1)
    locale = Varchar(length=16, default="en")
    policy_version = Varchar(length=32)
    policy_accepted_at = Timestamptz(default=TimestamptzNow())
    created_at = Timestamptz(default=TimestamptzNow())
    real_name = Varchar(length=100, default="")  # personal
    nickname = Varchar(length=40, default="")  # personal, shown beside reviews
    gender = Varchar(length=20, default="")  # personal
    date_of_birth = Date(null=True, default=None)  # personal
    company = Varchar(length=120, default="")  # personal
    address = Varchar(length=300, default="")  # personal
    zip_code = Varchar(length=20, default="")  # personal
    avatar = Varchar(length=80, default="")  # personal: file name under <data>/avatars/
    # Policy §8: a child's data is never used for marketing or personalisation.
    is_minor = Boolean(default=False, index=True)
    guardian_email = Varchar(length=254, default="")  # personal (the guardian's)
    guardian_confirmed_at = Timestamptz(null=True, default=None)
    # The privacy center's switches and separate consents (policy §4).
    restrict_processing = Boolean(default=False)
    object_to_marketing = Boolean(default=False)
    marketing_email_consent = Boolean(default=False)
    personalisation_consent = Boolean(default=False)
    # Policy §1(2)1: the separate consent to authorised login (signing in with another
    # platform's account, which shares the claims kept in LinkedIdentity). Given when an
    # identity is linked; withdrawing it unlinks every identity.
    third_party_sign_in_consent = Boolean(default=False)
    last_active_at = Timestamptz(null=True, default=None)

    @classmethod
    def get_readable(cls) -> Readable:
        return Readable(template="%s", columns=[cls.email])


class PointsEntry(Table, tablename="points_entry"):
    """Append-only: the balance is the last entry's balance_after."""

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    amount = Integer()
    balance_after = Integer()
    reason = Varchar(length=40)
    # Rewards that may be given once ever carry a key; the unique index makes "once" hold
    # under concurrent requests too.
    once_key = Varchar(length=120, null=True, default=None, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Address(Table, tablename="address"):
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=10, default="shipping")  # shipping | billing
    recipient = Varchar(length=100)  # personal
    phone = Varchar(length=30, default="")  # personal
    country = Varchar(length=2)
    region = Varchar(length=100, default="")
    city = Varchar(length=100)  # personal
    line = Varchar(length=300)  # personal
    zip_code = Varchar(length=20, default="")  # personal
    company = Varchar(length=120, default="")  # personal
    tax_id = Varchar(length=40, default="")  # personal
    is_default = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class SignIn(Table, tablename="sign_in"):
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    ip = Varchar(length=45)  # personal
    user_agent = Varchar(length=300, default="")  # personal
    browser = Varchar(length=60, default="")
    os = Varchar(length=60, default="")
    # A hash of the signed device cookie: "seen before" without keeping the cookie itself.
    device_hash = Varchar(length=64, index=True)
    new_device = Boolean(default=False)
    # "password", or the key of the OpenID Connect provider signed in with (settings).
    method = Varchar(length=40, default="password")


class LinkedIdentity(Table, tablename="linked_identity"):
    """An account of another platform (an OpenID Connect provider) linked for signing in.

    Only what the sign-up page lists is kept: the issuer, the provider's subject id and the
    claims in `claims` (email, nickname, avatar address, country, company, as sent). The
    provider's tokens are never stored: they are used once, during the sign-in.
    """

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    provider = Varchar(length=40)  # the settings' key, e.g. "google"
    issuer = Varchar(length=300)
    subject = Varchar(length=255)  # personal: the provider's id of the person
    # sha256(issuer + newline + subject): one account per identity, enforced by the database.
    identity_key = Varchar(length=64, unique=True)
    claims = JSON(default="{}")  # personal
    linked_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)


class AccountSession(Table, tablename="account_session"):
    """One row per signed-in browser. Signing out deletes it, so a copy of the cookie taken
    before is worth nothing, on every worker and host (the cookie alone can't be recalled)."""

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    # A digest of the random key in the cookie: a database dump can't be replayed as cookies.
    key_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class Attempt(Table, tablename="attempt"):
    """One row per rate-limited attempt (sign-in, sign-up, reset), keyed by IP or account."""

    key = Varchar(length=200)  # personal when it names an email or IP (kept hours only)
    created_at = Timestamptz(default=TimestamptzNow())
