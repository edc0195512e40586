"""Typed settings, read once from OKMARTS_* environment variables."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The checkout's root: locales/ and static/ live beside src/ (the package is installed editable).
PROJECT_DIR = PACKAGE_DIR.parent.parent


def _days(env: os._Environ[str] | dict[str, str], data_class: str, default: int) -> int:
    """OKMARTS_RETENTION_<CLASS>_DAYS: a whole number of days, at least 1."""
    value = env.get(f"OKMARTS_RETENTION_{data_class}_DAYS")
    return max(1, int(value)) if value else default


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class OidcProvider:
    """An OpenID Connect provider shoppers may sign in with ("Sign in with another account").

    From OKMARTS_OIDC_<NAME>_ISSUER (its discovery document is at
    <issuer>/.well-known/openid-configuration), _CLIENT_ID, _CLIENT_SECRET (empty: a public
    client, PKCE only), _DISPLAY_NAME (the button's "Continue with …"; default: the name) and
    _SCOPES (default "openid email profile"). <NAME> is letters and digits; its lower case is
    the provider's key in addresses (/sign-in-with/<key>) and in the database.
    """

    key: str
    issuer: str
    client_id: str
    client_secret: str = ""
    display_name: str = ""
    scopes: str = "openid email profile"


_OIDC_ISSUER = re.compile(r"^OKMARTS_OIDC_([A-Z0-9]+)_ISSUER$")


def oidc_providers_from_env(env: os._Environ[str] | dict[str, str]) -> tuple[OidcProvider, ...]:
    """Every provider with an issuer and a client id, in name order."""
    providers = []
    for name in sorted(env):
        match = _OIDC_ISSUER.match(name)
        if not match or not env[name].strip():
            continue
        prefix = f"OKMARTS_OIDC_{match.group(1)}_"
        client_id = (env.get(prefix + "CLIENT_ID") or "").strip()
        if not client_id:
            continue
        providers.append(
            OidcProvider(
                key=match.group(1).lower(),
                issuer=env[name].strip().rstrip("/"),
                client_id=client_id,
                client_secret=(env.get(prefix + "CLIENT_SECRET") or "").strip(),
                display_name=(env.get(prefix + "DISPLAY_NAME") or "").strip()
                or match.group(1).capitalize(),
                scopes=(env.get(prefix + "SCOPES") or "").strip() or "openid email profile",
            )
        )
    return tuple(providers)


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    secret_key: str
    base_url: str = "http://127.0.0.1:8000"
    debug: bool = False
    locales_dir: Path = field(default=PROJECT_DIR / "locales")
    static_dir: Path = field(default=PROJECT_DIR / "static")
    database_pool_size: int = 10
    # How long a worker may serve a rendered catalog page before rendering it again. Catalog
    # edits drop the pages they change at once (page_cache.follow_catalog): this bounds what
    # the change log does not see (a new product in a listing).
    page_cache_seconds: float = 60.0
    # What a worker's cached pages may weigh (compressed): the oldest unused go first.
    page_cache_mb: float = 16.0
    # smtp://user:pass@host:port (smtps:// for TLS from the start); unset: .eml files in var/mail.
    smtp_url: str = ""
    mail_from: str = "Okmarts <no-reply@okmarts.com>"
    # `okmarts serve` sends the outbox in the background; `okmarts send-mail` does one pass.
    mail_sender_enabled: bool = True
    mail_poll_seconds: float = 5.0
    # New accounts per IP address and hour (a shared office IP may need more).
    sign_up_limit_per_hour: int = 10
    # Points: this many points take one unit of money (1.00) off an order, up to this share of
    # the goods after discounts; delivered orders earn this many points per unit paid.
    points_per_unit_off: int = 100
    points_max_share_percent: int = 50
    points_earned_per_unit: int = 1
    # Retention: days each class of data is kept (OKMARTS_RETENTION_<CLASS>_DAYS). The table of
    # defaults and the reasons for them: the docstring of okmarts.services.retention.
    retention_sign_in_days: int = 180
    retention_attempt_days: int = 1
    retention_page_view_days: int = 400
    retention_cookie_consent_days: int = 1095
    retention_outbox_days: int = 90
    retention_unverified_account_days: int = 30
    retention_inactive_account_days: int = 1095
    retention_inactive_notice_days: int = 30
    retention_order_days: int = 3650
    retention_privacy_request_days: int = 1095
    retention_payment_attempt_days: int = 90
    retention_recommendation_dismissal_days: int = 365
    retention_company_invitation_days: int = 30
    retention_notification_days: int = 365
    # Watched parts (services.watches): a visitor's watch, and a one-shot watch once told.
    retention_part_watch_days: int = 365
    retention_newsletter_delivery_days: int = 730
    # Newsletters (services.newsletters): how many emails a minute the SMTP server takes.
    newsletter_rate_per_minute: int = 600
    # The mailto of List-Unsubscribe (RFC 2369/8058). Mail to it is not read by the shop: an
    # operator unsubscribes its senders by hand (the subject holds the token); unset, it is
    # unsubscribe@ the domain of mail_from. The https link beside it works by itself.
    unsubscribe_mailto: str = ""
    # Quotes (services.quotes) ended (accepted, declined, expired): deleted after this many days.
    retention_quote_days: int = 730
    # Customer-service conversations (services.support), counted from closing.
    retention_support_days: int = 1095
    # Customer service (controllers/support.py, issue 16 H-chat): the response promise shown to
    # shoppers (hours; whole days read "business days"), and the attachments' limits: a photo's
    # upload size and pixels (it is re-encoded, at most photo_max_side on its longer side) and a
    # PDF's size.
    support_response_hours: int = 24
    support_photo_max_mb: float = 8.0
    support_photo_max_pixels: int = 40_000_000
    support_photo_max_side: int = 2000
    support_pdf_max_mb: float = 10.0
    # Issue 16 (H-returns): returns within this many days of delivery (services.returns);
    # complaints kept this many days after their decision, for legal claims; a return's
    # shopper's note and link to the account kept this many days after its last change.
    return_window_days: int = 30
    retention_complaint_days: int = 1095
    retention_return_days: int = 1095
    # How long a quote's prices hold, as staff's answer form proposes it (they may change it).
    quote_validity_days: int = 30
    # Card payments: an attempt (services.payment_attempts) still unfinished after this many
    # minutes had its order crash or never written: its hold is voided. `okmarts serve` looks
    # for them at start-up and every payment_sweep_seconds (0: only `okmarts retention run`).
    payment_void_after_minutes: int = 10
    payment_sweep_seconds: float = 60.0
    # Follows (services/follows.py): each account's digest of new products goes out this many
    # days after its last one. `okmarts serve` looks for digests that are due, and for a new
    # privacy-policy version to announce (services/policy_notices.py), at start-up and every
    # notice_jobs_seconds (0: only `okmarts digest` and `okmarts announce-policy`, from cron).
    follows_digest_days: float = 7.0
    notice_jobs_seconds: float = 3600.0
    # Orders awaiting payment (bank transfer) are cancelled after this many days, with a
    # reminder a day before; an account may have at most this many open at once (0: no cap).
    unpaid_order_days: int = 7
    unpaid_order_limit: int = 3
    # The pseudo-locale (okmarts.pseudo_locale) in the language chooser: for developers and the
    # browser test that finds untranslated text and layouts that break with longer strings.
    pseudo_locale: bool = False
    # Languages (okmarts.completion): one is offered from this percent of its strings translated;
    # the listed codes are offered whatever their completion (a translator's preview).
    language_min_completion: float = 80.0
    language_preview: tuple[str, ...] = ()
    # "Sign in with another account" (services.oidc): none configured, no button anywhere.
    oidc_providers: tuple[OidcProvider, ...] = ()
    # Product documents staff upload (datasheets, drawings, CAD files…): at most this size each.
    document_max_mb: float = 20.0
    # Quick order (services.parts_lists): an uploaded parts list (CSV, XLSX) may weigh this much.
    quick_order_max_kb: int = 2000
    # Tax (services.tax): the seller's country, ISO code (OKMARTS_SELLER_COUNTRY).
    seller_country: str = "DE"
    # The seller on invoices (services/invoices.py).
    seller_name: str = "Okmarts Ltd."
    seller_address: str = "Okmarts Ltd., Friedrichstrasse 68, 10117 Berlin, Germany"
    seller_vat_number: str = "DE136695976"
    # A TrueType font for invoices whose language Windows-1252 can't show (Chinese: e.g. a Noto
    # Sans CJK file); unset, such invoices use English labels (the core fonts' limit).
    invoice_font: str = ""

    @property
    def document_max_bytes(self) -> int:
        return int(self.document_max_mb * 1_000_000)

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = data_dir_from_env(env)
        return cls(
            database_url=database_url_from_env(env),
            data_dir=data_dir,
            secret_key=env.get("OKMARTS_SECRET_KEY") or load_or_create_secret(data_dir),
            base_url=(env.get("OKMARTS_BASE_URL") or "http://127.0.0.1:8000").rstrip("/"),
            debug=_flag(env.get("OKMARTS_DEBUG")),
            locales_dir=Path(env.get("OKMARTS_LOCALES_DIR") or PROJECT_DIR / "locales"),
            static_dir=Path(env.get("OKMARTS_STATIC_DIR") or PROJECT_DIR / "static"),
            database_pool_size=int(env.get("OKMARTS_DATABASE_POOL_SIZE") or 10),
            page_cache_seconds=float(env.get("OKMARTS_PAGE_CACHE_SECONDS") or 60),
            page_cache_mb=float(env.get("OKMARTS_PAGE_CACHE_MB") or 16),
            smtp_url=env.get("OKMARTS_SMTP_URL") or "",
            mail_from=env.get("OKMARTS_MAIL_FROM") or "Okmarts <no-reply@okmarts.com>",
            mail_sender_enabled=env.get("OKMARTS_MAIL_SENDER", "on").strip().lower()
            not in {"0", "false", "no", "off"},
            mail_poll_seconds=float(env.get("OKMARTS_MAIL_POLL_SECONDS") or 5),
            sign_up_limit_per_hour=int(env.get("OKMARTS_SIGN_UP_LIMIT_PER_HOUR") or 10),
            points_per_unit_off=int(env.get("OKMARTS_POINTS_PER_UNIT_OFF") or 100),
            points_max_share_percent=int(env.get("OKMARTS_POINTS_MAX_SHARE_PERCENT") or 50),
            points_earned_per_unit=int(env.get("OKMARTS_POINTS_EARNED_PER_UNIT") or 1),
            retention_sign_in_days=_days(env, "SIGN_IN", 180),
            retention_attempt_days=_days(env, "ATTEMPT", 1),
            retention_page_view_days=_days(env, "PAGE_VIEW", 400),
            retention_cookie_consent_days=_days(env, "COOKIE_CONSENT", 1095),
            retention_outbox_days=_days(env, "OUTBOX", 90),
            retention_unverified_account_days=_days(env, "UNVERIFIED_ACCOUNT", 30),
            retention_inactive_account_days=_days(env, "INACTIVE_ACCOUNT", 1095),
            retention_inactive_notice_days=_days(env, "INACTIVE_NOTICE", 30),
            retention_order_days=_days(env, "ORDER", 3650),
            retention_privacy_request_days=_days(env, "PRIVACY_REQUEST", 1095),
            retention_payment_attempt_days=_days(env, "PAYMENT_ATTEMPT", 90),
            retention_recommendation_dismissal_days=_days(env, "RECOMMENDATION_DISMISSAL", 365),
            retention_notification_days=_days(env, "NOTIFICATION", 365),
            retention_part_watch_days=_days(env, "PART_WATCH", 365),
            retention_newsletter_delivery_days=_days(env, "NEWSLETTER_DELIVERY", 730),
            newsletter_rate_per_minute=max(
                1, int(env.get("OKMARTS_NEWSLETTER_RATE_PER_MINUTE") or 600)
            ),
            unsubscribe_mailto=(env.get("OKMARTS_UNSUBSCRIBE_MAILTO") or "").strip(),
            retention_quote_days=_days(env, "QUOTE", 730),
            retention_support_days=_days(env, "SUPPORT", 1095),
            support_response_hours=max(1, int(env.get("OKMARTS_SUPPORT_RESPONSE_HOURS") or 24)),
            support_photo_max_mb=max(0.01, float(env.get("OKMARTS_SUPPORT_PHOTO_MAX_MB") or 8)),
            support_photo_max_pixels=max(
                10_000, int(env.get("OKMARTS_SUPPORT_PHOTO_MAX_PIXELS") or 40_000_000)
            ),
            support_photo_max_side=max(64, int(env.get("OKMARTS_SUPPORT_PHOTO_MAX_SIDE") or 2000)),
            support_pdf_max_mb=max(0.01, float(env.get("OKMARTS_SUPPORT_PDF_MAX_MB") or 10)),
            # Issue 16 (H-returns).
            return_window_days=max(0, int(env.get("OKMARTS_RETURN_WINDOW_DAYS") or 30)),
            retention_complaint_days=_days(env, "COMPLAINT", 1095),
            retention_return_days=_days(env, "RETURN", 1095),
            quote_validity_days=max(1, int(env.get("OKMARTS_QUOTE_VALIDITY_DAYS") or 30)),
            retention_company_invitation_days=_days(env, "COMPANY_INVITATION", 30),
            payment_void_after_minutes=max(
                1, int(env.get("OKMARTS_PAYMENT_VOID_AFTER_MINUTES") or 10)
            ),
            payment_sweep_seconds=float(env.get("OKMARTS_PAYMENT_SWEEP_SECONDS") or 60),
            follows_digest_days=max(1.0, float(env.get("OKMARTS_FOLLOWS_DIGEST_DAYS") or 7)),
            notice_jobs_seconds=float(env.get("OKMARTS_NOTICE_JOBS_SECONDS") or 3600),
            unpaid_order_days=max(1, int(env.get("OKMARTS_UNPAID_ORDER_DAYS") or 7)),
            unpaid_order_limit=max(0, int(env.get("OKMARTS_UNPAID_ORDER_LIMIT") or 3)),
            pseudo_locale=_flag(env.get("OKMARTS_PSEUDO_LOCALE")),
            language_min_completion=float(env.get("OKMARTS_LANGUAGE_MIN_COMPLETION") or 80),
            language_preview=tuple(
                code.strip()
                for code in (env.get("OKMARTS_LANGUAGE_PREVIEW") or "").split(",")
                if code.strip()
            ),
            oidc_providers=oidc_providers_from_env(env),
            document_max_mb=max(0.001, float(env.get("OKMARTS_DOCUMENT_MAX_MB") or 20)),
            quick_order_max_kb=min(
                QUICK_ORDER_UPLOAD_CAP_KB,
                max(1, int(env.get("OKMARTS_QUICK_ORDER_MAX_KB") or 2000)),
            ),
            seller_country=(env.get("OKMARTS_SELLER_COUNTRY") or "DE").strip().upper()[:2],
            seller_name=env.get("OKMARTS_SELLER_NAME") or cls.seller_name,
            seller_address=env.get("OKMARTS_SELLER_ADDRESS") or cls.seller_address,
            seller_vat_number=env.get("OKMARTS_SELLER_VAT_NUMBER") or cls.seller_vat_number,
            invoice_font=env.get("OKMARTS_INVOICE_FONT") or "",
        )


# The most a quick-order upload may be set to (the route refuses bigger bodies outright).
QUICK_ORDER_UPLOAD_CAP_KB = 10_000


def data_dir_from_env(env: os._Environ[str] | dict[str, str]) -> Path:
    return Path(env.get("OKMARTS_DATA_DIR") or PROJECT_DIR / "var").resolve()


def database_url_from_env(env: os._Environ[str] | dict[str, str]) -> str:
    default = f"sqlite:///{data_dir_from_env(env) / 'okmarts.sqlite3'}"
    return env.get("OKMARTS_DATABASE_URL") or default


def load_or_create_secret(data_dir: Path) -> str:
    """Read the generated secret key from data_dir, creating it on first start (never shipped)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    key_file = data_dir / "secret_key"
    try:
        # O_EXCL: several workers starting at once agree on the first key written.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    return key_file.read_text().strip()
