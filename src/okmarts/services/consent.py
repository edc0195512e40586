"""Cookie consent: the categories, the visitor's signed choice, its server-side log, and the
visit statistics recorded only for visitors who accepted analytics (privacy policy §1, §5).

The visitor keeps the choice in a signed cookie (consent id, optional categories, cookie-policy
version); the server logs each choice with the id, never with a full IP address. A choice made
under an older COOKIE_POLICY_VERSION no longer counts: the banner asks again. A browser that
sends Global Privacy Control refuses analytics and marketing, whatever the cookie says.

Visit statistics are pseudonymous: the visitor is a keyed hash of the consent id, the session a
keyed hash of a random id kept in the analytics cookie `okmarts_visit` for 30 minutes after the
last page view (so a session ends after half an hour of inactivity, as analytics tools count
them, and also when the browser closes it). Neither id can be turned back into the cookie.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

from okmarts.i18n import N_
from okmarts.services import service_state
from okmarts.tables.privacy import CookieConsent, PageView

# Change this when the cookie policy changes what optional cookies do: everyone is asked again.
COOKIE_POLICY_VERSION = "2026-11-26"

CONSENT_COOKIE = "okmarts_consent"
CONSENT_MAX_AGE = 365 * 24 * 3600
VISIT_COOKIE = "okmarts_visit"
VISIT_MAX_AGE = 30 * 60
VISIT_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")

NECESSARY = "necessary"
PREFERENCES = "preferences"
ANALYTICS = "analytics"
MARKETING = "marketing"
OPTIONAL = (PREFERENCES, ANALYTICS, MARKETING)
# What a Global Privacy Control signal refuses.
GPC_REFUSED = frozenset({ANALYTICS, MARKETING})

ACCEPT_ALL = "accept_all"
REJECT_ALL = "reject_all"
CUSTOM = "custom"
CHOICES = (ACCEPT_ALL, REJECT_ALL, CUSTOM)
SOURCES = ("banner", "settings", "gpc")

MAX_PATH_LENGTH = 300


@dataclass(frozen=True)
class CookieInfo:
    name: str
    purpose: str  # N_-marked
    kept_for: str  # N_-marked


@dataclass(frozen=True)
class Category:
    code: str
    name: str  # N_-marked
    purpose: str  # N_-marked
    switch_label: str  # N_-marked
    cookies: tuple[CookieInfo, ...] = ()
    always_on: bool = False


CATEGORIES: tuple[Category, ...] = (
    Category(
        NECESSARY,
        N_("Strictly necessary"),
        N_(
            "The shop cannot work without these: they keep you signed in, protect your forms, "
            "hold your cart, remember your language and this choice. They are always on."
        ),
        N_("Always on"),
        (
            CookieInfo(
                "okmarts_session", N_("Keeps you signed in to your account."), N_("30 days")
            ),
            CookieInfo(
                "okmarts_csrf",
                N_("Protects your forms against cross-site request forgery."),
                N_("Until you close the browser"),
            ),
            CookieInfo(
                "okmarts_cart",
                N_("Holds your cart while you are not signed in."),
                N_("30 days"),
            ),
            CookieInfo("okmarts_lang", N_("Remembers the language you chose."), N_("One year")),
            CookieInfo(
                "okmarts_device",
                N_(
                    "Recognises this browser when you sign in, for your sign-in history and to "
                    "slow down password guessing."
                ),
                N_("Two years"),
            ),
            CookieInfo(CONSENT_COOKIE, N_("Remembers your cookie choices."), N_("One year")),
        ),
        always_on=True,
    ),
    Category(
        PREFERENCES,
        N_("Preferences"),
        N_(
            "Would remember conveniences the shop does not need, such as how you like product "
            "lists sorted. Okmarts sets no preference cookies at present."
        ),
        N_("Allow preference cookies"),
    ),
    Category(
        ANALYTICS,
        N_("Analytics"),
        N_(
            "Count page views, visits and unique visitors so that we can improve the shop. For "
            "each page you open we record its address without search terms, the time, a "
            "pseudonymous code for your browser and for the visit, and your IP address with its "
            "last part removed. Staff see totals only."
        ),
        N_("Allow analytics cookies"),
        (
            CookieInfo(
                VISIT_COOKIE,
                N_("Groups the pages you open into one visit for the visit statistics."),
                N_("30 minutes after your last page view"),
            ),
        ),
    ),
    Category(
        MARKETING,
        N_("Marketing"),
        N_(
            "Would measure our advertising and show you offers on other websites. Okmarts sets "
            "no marketing cookies at present."
        ),
        N_("Allow marketing cookies"),
    ),
)


class ConsentChoiceError(ValueError):
    """A choice the consent form never sends (an unknown button)."""


@dataclass(frozen=True)
class Consent:
    """A visitor's choice: the optional categories they accepted (necessary is implied)."""

    consent_id: str
    categories: frozenset[str]
    version: str = COOKIE_POLICY_VERSION
    given_at: dt.datetime | None = None

    @property
    def current(self) -> bool:
        """Made under the cookie policy in force (an older one no longer counts)."""
        return self.version == COOKIE_POLICY_VERSION

    def allows(self, category: str, gpc: bool = False) -> bool:
        if category == NECESSARY:
            return True
        return category in effective_categories(self.categories, gpc)


def effective_categories(categories: Iterable[str], gpc: bool) -> frozenset[str]:
    """The optional categories that apply: a Global Privacy Control signal refuses some."""
    accepted = frozenset(categories) & frozenset(OPTIONAL)
    return accepted - GPC_REFUSED if gpc else accepted


def chosen_categories(choice: str, checked: Iterable[str] = ()) -> frozenset[str]:
    """The optional categories of a form's choice: all, none, or the switches turned on."""
    if choice == ACCEPT_ALL:
        return frozenset(OPTIONAL)
    if choice == REJECT_ALL:
        return frozenset()
    if choice == CUSTOM:
        return frozenset(checked) & frozenset(OPTIONAL)
    raise ConsentChoiceError(choice)


def new_consent_id() -> str:
    return secrets.token_urlsafe(16)


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="okmarts.cookie.consent")


def encode_consent(secret: str, consent: Consent) -> str:
    return _serializer(secret).dumps(
        {"i": consent.consent_id, "c": sorted(consent.categories), "v": consent.version}
    )


def decode_consent(secret: str, raw: str | None) -> Consent | None:
    """The choice in a consent cookie, of any policy version; None if forged, broken or old."""
    if not raw or len(raw) > 1024:
        return None
    try:
        data, signed_at = _serializer(secret).loads(
            raw, max_age=CONSENT_MAX_AGE, return_timestamp=True
        )
    except (BadSignature, ValueError, UnicodeError):
        return None
    if not isinstance(data, dict):
        return None
    consent_id, categories, version = data.get("i"), data.get("c"), data.get("v")
    if not isinstance(consent_id, str) or not 0 < len(consent_id) <= 40:
        return None
    if not isinstance(version, str) or not isinstance(categories, list):
        return None
    return Consent(
        consent_id=consent_id,
        categories=frozenset(c for c in categories if isinstance(c, str)) & frozenset(OPTIONAL),
        version=version,
        given_at=signed_at,
    )


def ip_prefix(address: str | None) -> str:
    """The address with its host part removed: /24 for IPv4, /48 for IPv6 ("" if not an IP)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def _keyed_hash(secret: str, purpose: str, value: str) -> str:
    key = hashlib.sha256(f"okmarts.stats.{purpose}:{secret}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def visitor_key(secret: str, consent_id: str) -> str:
    """The statistics' pseudonym of a visitor (stable while they keep their consent cookie)."""
    return _keyed_hash(secret, "visitor", consent_id)


def session_key(secret: str, visit_id: str) -> str:
    """The statistics' pseudonym of one visit (see the module's docstring)."""
    return _keyed_hash(secret, "session", visit_id)


def new_visit_id() -> str:
    return secrets.token_urlsafe(16)


def valid_visit_id(value: str | None) -> bool:
    return value is not None and VISIT_ID.fullmatch(value) is not None


async def record_choice(consent: Consent, source: str, ip: str | None) -> None:
    """Log a cookie choice: the anonymous id, categories, policy version, time, truncated IP."""
    await CookieConsent.insert(
        CookieConsent(
            consent_id=consent.consent_id,
            categories=",".join(
                [NECESSARY, *(code for code in OPTIONAL if code in consent.categories)]
            ),
            cookie_policy_version=consent.version,
            source=source if source in SOURCES else "banner",
            ip_prefix=ip_prefix(ip),
            created_at=dt.datetime.now(dt.UTC),
        )
    )


@dataclass(frozen=True)
class PageViewRecord:
    visitor: str
    session: str
    path: str
    ip_prefix: str


async def record_page_view(view: PageViewRecord) -> bool:
    """Record one page view, unless the shop is winding down (statistics stop: policy §7)."""
    if await service_state.wind_down() is not None:
        return False
    await PageView.insert(
        PageView(
            visitor=view.visitor,
            session=view.session,
            path=view.path[:MAX_PATH_LENGTH],
            ip_prefix=view.ip_prefix,
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    return True


# -- What staff see ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayVisits:
    day: dt.date
    page_views: int
    sessions: int
    visitors: int


@dataclass(frozen=True)
class VisitSummary:
    """Visit statistics of the `days` days up to today (UTC), oldest day first."""

    first_day: dt.date
    last_day: dt.date
    page_views: int
    sessions: int
    visitors: int
    days: list[DayVisits]
    top_paths: list[tuple[str, int]]


def _day_expression() -> str:
    if PageView._meta.db.engine_type == "sqlite":
        # Timestamptz is stored as UTC text ("2026-11-26 10:00:00+00:00"): the date leads.
        return "substr(created_at, 1, 10)"
    return "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


async def visit_summary(
    days: int = 30, top: int = 10, now: dt.datetime | None = None
) -> VisitSummary:
    """Page views, sessions and unique visitors per day and in all, and the most viewed paths."""
    now = now or dt.datetime.now(dt.UTC)
    last_day = now.astimezone(dt.UTC).date()
    first_day = last_day - dt.timedelta(days=max(1, days) - 1)
    since = dt.datetime.combine(first_day, dt.time(), tzinfo=dt.UTC)
    until = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    window = "created_at >= {} AND created_at < {}"
    totals = await PageView.raw(
        "SELECT COUNT(*) AS views, COUNT(DISTINCT session) AS sessions, "
        f"COUNT(DISTINCT visitor) AS visitors FROM page_view WHERE {window}",
        since,
        until,
    )
    day = _day_expression()
    per_day = await PageView.raw(
        f"SELECT {day} AS day, COUNT(*) AS views, COUNT(DISTINCT session) AS sessions, "
        f"COUNT(DISTINCT visitor) AS visitors FROM page_view WHERE {window} "
        f"GROUP BY {day}",
        since,
        until,
    )
    paths = await PageView.raw(
        f"SELECT path, COUNT(*) AS views FROM page_view WHERE {window} "
        "GROUP BY path ORDER BY views DESC, path LIMIT {}",
        since,
        until,
        max(1, top),
    )
    found = {str(row["day"]): row for row in per_day}
    listed: list[DayVisits] = []
    for offset in range((last_day - first_day).days + 1):
        date = first_day + dt.timedelta(days=offset)
        row = found.get(date.isoformat(), {})
        listed.append(
            DayVisits(
                day=date,
                page_views=int(row.get("views", 0)),
                sessions=int(row.get("sessions", 0)),
                visitors=int(row.get("visitors", 0)),
            )
        )
    total = totals[0] if totals else {}
    return VisitSummary(
        first_day=first_day,
        last_day=last_day,
        page_views=int(total.get("views") or 0),
        sessions=int(total.get("sessions") or 0),
        visitors=int(total.get("visitors") or 0),
        days=listed,
        top_paths=[(str(row["path"]), int(row["views"])) for row in paths],
    )
