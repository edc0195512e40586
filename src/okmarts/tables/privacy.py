"""Privacy: cookie consents, visit statistics, data requests, consents given and withdrawn,
policy acceptances, and the shop's operating state (wind-down). Personal fields: `# personal`."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from okmarts.tables.accounts import Account


class CookieConsent(Table, tablename="cookie_consent"):
    """Each cookie choice, logged server-side (the visitor's copy is a signed cookie)."""

    consent_id = Varchar(length=40, index=True)  # random, anonymous
    categories = Varchar(length=100)  # comma-separated: necessary,preferences,analytics,marketing
    cookie_policy_version = Varchar(length=32)
    source = Varchar(length=20, default="banner")  # banner | settings | gpc
    ip_prefix = Varchar(length=45, default="")  # truncated: /24 (IPv4) or /48 (IPv6)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class PageView(Table, tablename="page_view"):
    """Visit statistics: recorded only for visitors who accepted analytics."""

    visitor = Varchar(length=64, index=True)  # a keyed hash of the consent id
    session = Varchar(length=64)  # a keyed hash: one browsing session
    path = Varchar(length=300)
    ip_prefix = Varchar(length=45, default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class PrivacyRequest(Table, tablename="privacy_request"):
    """A data-subject request (export, deletion, restriction…), due 15 days after it is made."""

    account = ForeignKey(references=Account, on_delete=OnDelete.set_null, null=True, index=True)
    kind = Varchar(length=20)  # export | delete | restrict | object | withdraw | correct
    status = Varchar(length=20, default="open", index=True)  # open | completed | rejected
    details = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    due_at = Timestamptz(index=True)
    closed_at = Timestamptz(null=True, default=None)
    closed_by = Varchar(length=120, default="")


class ConsentEvent(Table, tablename="consent_event"):
    """A separate consent given or withdrawn (marketing email, personalised recommendations,
    third-party sign-in), where it was given."""

    account = ForeignKey(references=Account, on_delete=OnDelete.set_null, null=True, index=True)
    consent = Varchar(length=40)
    granted = Boolean()
    created_at = Timestamptz(default=TimestamptzNow())


class PolicyAcceptance(Table, tablename="policy_acceptance"):
    account = ForeignKey(references=Account, on_delete=OnDelete.set_null, null=True, index=True)
    version = Varchar(length=32)
    accepted_at = Timestamptz(default=TimestamptzNow())


class ServiceState(Table, tablename="service_state"):
    """The shop's operating state by key (e.g. "wind_down"): shared by every worker."""

    key = Varchar(length=40, unique=True)
    value = JSON(default="{}")
    updated_at = Timestamptz(default=TimestamptzNow())
