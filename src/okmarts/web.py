"""What every controller shares: locale, session, safe redirects, form responses."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from litestar import Request, Response
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import Body
from litestar.plugins.htmx import ClientRedirect, HTMXRequest
from litestar.response import Redirect, Template
from litestar.types import ASGIApp, Receive, Scope, Send

from okmarts.i18n import PREVIEW_PARAMETER, Catalogs, current_locale
from okmarts.inputs import clean_text, has_control_characters
from okmarts.services import accounts, cart, message_center
from okmarts.tables.accounts import Account

LANGUAGE_COOKIE = "okmarts_lang"
# The body of a plain HTML form, as every form handler takes it.
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def activate_locale(request: Request, catalogs: Catalogs) -> str:
    """Pick the shopper's language (their choice, then the browser's) for this request."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    locale = (
        # Debug mode: a translator looks at a language still below the completion threshold.
        catalogs.preview(request.query_params.get(PREVIEW_PARAMETER))
        or (catalogs.match(chosen) if chosen else None)
        or catalogs.negotiate(request.headers.get("accept-language"))
    )
    current_locale.set(locale)
    return locale


def safe_next(target: str | None, default: str = "/") -> str:
    """A redirect target on this site only: a path, never another host or scheme."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(char) < 32 for char in target):
        return default
    return target


# -- Sessions ----------------------------------------------------------------------------------

SESSION_COOKIE = "okmarts_session"
DEVICE_COOKIE = "okmarts_device"
SESSION_MAX_AGE = 30 * 24 * 3600
DEVICE_MAX_AGE = 2 * 365 * 24 * 3600

current_account: ContextVar[Account | None] = ContextVar("okmarts_account", default=None)


class SignInRequired(HTTPException):
    """The page needs a signed-in shopper: send them to sign in, then back here."""

    status_code = 401


def _signer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=f"okmarts.cookie.{purpose}")


async def load_session(request: Request, secret: str) -> Account | None:
    """The signed-in account of this request (None when absent, forged, old or revoked)."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        payload = _signer(secret, "session").loads(raw, max_age=SESSION_MAX_AGE)
    except (BadSignature, ValueError, UnicodeError):
        return None
    if not isinstance(payload, dict):
        return None
    found = await accounts.signed_in(
        payload.get("a"), payload.get("v"), payload.get("c"), payload.get("s")
    )
    if found is None:
        return None
    account = found.account
    # Asked in the same query: count_cart and count_unread needn't ask again for this request.
    request.state.okmarts_cart_items = (account.id, found.cart_items)
    request.state.okmarts_unread = (account.id, found.unread_messages)
    return account


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


async def start_session(request: Request, response: Response, account: Account) -> None:
    """Sign the account in on this browser (a signed HttpOnly SameSite cookie)."""
    secret = request.app.state.settings.secret_key
    key = await accounts.open_session(account)
    value = _signer(secret, "session").dumps(
        {"a": account.id, "v": account.session_version, "c": accounts.birth_mark(account), "s": key}
    )
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    device = getattr(request.state, "new_device_cookie", None)
    if device:
        response.set_cookie(
            DEVICE_COOKIE,
            device,
            max_age=DEVICE_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=_secure(request),
        )


async def end_session(request: Request, response: Response) -> None:
    """Sign this browser out: the session ends on the server, then the cookie goes."""
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        try:
            payload = _signer(request.app.state.settings.secret_key, "session").loads(raw)
        except (BadSignature, ValueError, UnicodeError):
            payload = None
        if isinstance(payload, dict):
            await accounts.close_session(payload.get("s"))
    response.delete_cookie(SESSION_COOKIE)


def set_signed_cookie(
    request: Request, response: Response, name: str, value: Any, max_age: int
) -> None:
    """A short-lived signed HttpOnly cookie (SameSite=Lax: it comes back on a top-level
    redirect from another site, as a provider's answer is)."""
    signed = _signer(request.app.state.settings.secret_key, name).dumps(value)
    response.set_cookie(
        name, signed, max_age=max_age, httponly=True, samesite="lax", secure=_secure(request)
    )


def read_signed_cookie(request: Request, name: str, max_age: int) -> Any:
    """The value of a cookie set by `set_signed_cookie`, or None (absent, forged, too old)."""
    raw = request.cookies.get(name)
    if not raw:
        return None
    try:
        return _signer(request.app.state.settings.secret_key, name).loads(raw, max_age=max_age)
    except (BadSignature, ValueError, UnicodeError):
        return None


def client_device(request: Request) -> accounts.Device:
    """Who is asking, for rate limits and sign-in history; gives the browser a device id."""
    secret = request.app.state.settings.secret_key
    signer = _signer(secret, "device")
    device_id = ""
    raw = request.cookies.get(DEVICE_COOKIE)
    if raw:
        try:
            device_id = str(signer.loads(raw))
        except (BadSignature, ValueError, UnicodeError):
            device_id = ""
    if not device_id:
        device_id = secrets.token_urlsafe(16)
        request.state.new_device_cookie = signer.dumps(device_id)
    return accounts.Device(
        ip=request.client.host if request.client else "unknown",
        user_agent=request.headers.get("user-agent", ""),
        device_id=device_id,
    )


def site(request: Request) -> accounts.Site:
    settings = request.app.state.settings
    return accounts.Site(secret=settings.secret_key, base_url=settings.base_url)


def require_account(request: Request) -> Account:
    """The signed-in account, or SignInRequired (which sends the visitor to sign in)."""
    account = current_account.get()
    if account is None:
        raise SignInRequired()
    return account


async def signed_in_account() -> Account:
    """A controller's `account` dependency: the signed-in shopper; visitors are sent to sign in
    (SignInRequired), then brought back."""
    account = current_account.get()
    if account is None:
        raise SignInRequired()
    return account


def policy_acceptance_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = here if request.method == "GET" else "/account"
    return f"/policy/accept?{urlencode({'next': target})}"


def sign_in_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?{urlencode({'next': here})}"


def redirect_after_post(request: HTMXRequest, path: str) -> Response[Any]:
    """Post/redirect/get: a 303 for a plain form; for htmx, HX-Redirect (a full page load)."""
    if request.htmx:
        response = ClientRedirect(redirect_to=path)
        response.status_code = 200  # htmx follows HX-Redirect on a 2xx only (POST means 201)
        return response
    return Redirect(path=path, status_code=303)


# -- One URL, two renderings ---------------------------------------------------------------------

VIEWS: list[View] = []


@dataclass(frozen=True, eq=False)
class View:
    """A page, and the fragments of it that htmx asks for: the one rule for page or fragment.

    `fragments` maps an htmx target (the id in the element's `hx-target`) to the partial that
    answers it; `fragment` answers any other htmx request (a form swapping itself). The page
    includes each of those partials, so the markup exists once (tests/unit/test_views.py checks
    every View). A plain request, or an htmx request for a target not named, gets the page.
    """

    page: str
    fragments: Mapping[str, str] = field(default_factory=dict)
    fragment: str | None = None

    def __post_init__(self) -> None:
        VIEWS.append(self)

    def template_for(self, request: HTMXRequest) -> str:
        if request.htmx:
            target = request.htmx.target
            if target and target in self.fragments:
                return self.fragments[target]
            if self.fragment is not None:
                return self.fragment
        return self.page

    def render(
        self,
        request: HTMXRequest,
        context: Mapping[str, Any],
        status_code: int = 200,
        **kwargs: Any,
    ) -> Template:
        """The page, or for htmx the fragment that changed, from the same context."""
        return Template(
            template_name=self.template_for(request),
            context=dict(context),
            status_code=status_code,
            **kwargs,
        )


def clean_form(data: dict[str, Any]) -> dict[str, Any]:
    """Form values without control characters (NUL is refused by PostgreSQL, useless anywhere)."""
    return {key: _cleaned(value) for key, value in data.items()}


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):  # a field sent more than once
        return [clean_text(item) if isinstance(item, str) else item for item in value]
    return value


# Control characters in a query string: raw (but tab, line feed and carriage return), or
# percent-encoded as a byte below 0x20, 0x7F, or C2 80-9F (U+0080-U+009F in UTF-8). An encoded
# tab or line break matches too: that query is rebuilt, with them kept.
_ENCODED_CONTROL = re.compile(
    rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|%(?:[01][0-9a-f]|7f|c2%[89][0-9a-f])", re.IGNORECASE
)


def clean_query_string(raw: bytes) -> bytes:
    """The query string with control characters taken out of every name and value."""
    if not _ENCODED_CONTROL.search(raw):
        return raw  # the usual case: left exactly as sent
    # Bytes beyond ASCII (sent unencoded) are escaped first, so they decode as the UTF-8 they are.
    escaped = re.sub(rb"[\x80-\xff]", lambda byte: b"%%%02X" % byte[0][0], raw).decode("ascii")
    pairs = parse_qsl(escaped, keep_blank_values=True, errors="replace")
    return urlencode([(clean_text(name), clean_text(value)) for name, value in pairs]).encode()


def refuse_control_characters(app: ASGIApp) -> ASGIApp:
    """Middleware: no handler sees a control character in the URL (forms: `clean_form`).

    Query parameters lose theirs (a search for "pl\\x00c" is a search for "plc"); a path whose
    parameters hold one names no page here: 404. Runs after routing, before every handler, so
    routes added later are covered too.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope.get("query_string"):
                scope["query_string"] = clean_query_string(scope["query_string"])
            for value in (scope.get("path_params") or {}).values():
                if isinstance(value, str) and has_control_characters(value):
                    raise NotFoundException()
        await app(scope, receive, send)

    return middleware


# -- The cart -----------------------------------------------------------------------------------

CART_COOKIE = "okmarts_cart"
CART_MAX_AGE = 30 * 24 * 3600

current_cart_count: ContextVar[int] = ContextVar("okmarts_cart_count", default=0)
# The header's count of unread messages (services.message_center), signed-in shoppers only.
current_unread_count: ContextVar[int] = ContextVar("okmarts_unread_count", default=0)


async def count_unread(request: Request, account: Account | None) -> int:
    """How many unread messages the header shows (asked with the session: no extra query)."""
    if account is None:
        return 0
    known = getattr(request.state, "okmarts_unread", None)
    if known is not None and known[0] == account.id:
        return int(known[1])
    return await message_center.unread_count(account.id)


def cart_items_word(catalogs: Catalogs) -> str:
    """What a screen reader hears after the header's cart count: "item" or "items"."""
    return catalogs.ngettext("item", "items", current_cart_count.get())


async def count_cart(request: Request, account: Account | None) -> int:
    """How many items the header's cart shows (a cookie read for visitors, a query otherwise)."""
    if account is not None:
        known = getattr(request.state, "okmarts_cart_items", None)
        if known is not None and known[0] == account.id:
            return int(known[1])
        return await cart.account_count(account.id)
    items = cart.decode_cookie_cart(
        request.app.state.settings.secret_key, request.cookies.get(CART_COOKIE)
    )
    return sum(item.quantity for item in items)


async def cart_items(request: Request) -> list[cart.CartItem]:
    account = current_account.get()
    if account is not None:
        return await cart.account_items(account.id)
    return cart.decode_cookie_cart(
        request.app.state.settings.secret_key, request.cookies.get(CART_COOKIE)
    )


async def change_cart(
    request: Request, product_id: int, quantity: int, *, add: bool
) -> list[cart.CartItem]:
    """Add to (or set a quantity in) the shopper's cart; the account's cart is saved at once."""
    account = current_account.get()
    if account is not None:
        return await cart.change_account_cart(account.id, product_id, quantity, add=add)
    return await cart.change(await cart_items(request), product_id, quantity, add=add)


async def add_to_cart(
    request: Request, product_id: int, quantity: int
) -> tuple[list[cart.CartItem], int, str]:
    """Add to the shopper's cart: the visitor's items (for their cookie; [] for a signed-in
    shopper, whose cart is saved at once), the cart's new count of items, and the product's
    name when it was read on the way ("" otherwise)."""
    account = current_account.get()
    if account is not None:
        added = await cart.add_to_account_cart(account.id, product_id, quantity)
        return [], added.count, added.title
    items = await cart.change(await cart_items(request), product_id, quantity, add=True)
    return items, sum(item.quantity for item in items), ""


async def add_many_to_cart(
    request: Request, additions: list[tuple[int, int, str]]
) -> list[cart.CartItem]:
    """Add several products (a kit's parts) at once: all of them, or none and a CartError."""
    account = current_account.get()
    if account is not None:
        return await cart.add_many_to_account_cart(account.id, additions)
    return await cart.add_many(await cart_items(request), additions)


def store_cart(
    request: Request, response: Response[Any], items: list[cart.CartItem], count: int | None = None
) -> None:
    """A visitor's cart goes back into their signed cookie (an account's is saved already); the
    header shows `count` items (by default, those of `items`)."""
    if current_account.get() is None:
        if items:
            response.set_cookie(
                CART_COOKIE,
                cart.encode_cookie_cart(request.app.state.settings.secret_key, items),
                max_age=CART_MAX_AGE,
                httponly=True,
                samesite="lax",
                secure=_secure(request),
            )
        else:
            response.delete_cookie(CART_COOKIE)
    current_cart_count.set(sum(item.quantity for item in items) if count is None else count)


async def merge_visitor_cart(request: Request, response: Response[Any], account: Account) -> None:
    """At sign-in the visitor's cart joins the account's; the cookie is no longer needed."""
    items = cart.decode_cookie_cart(
        request.app.state.settings.secret_key, request.cookies.get(CART_COOKIE)
    )
    if items:
        await cart.merge_into_account(account.id, items)
        response.delete_cookie(CART_COOKIE)
