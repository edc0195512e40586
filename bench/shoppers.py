"""Real shoppers for the signed-in rows: signed up, verified and signed in, through HTTP."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from server import query

PASSWORD = "bench lathe 47 spindle"
CSRF_COOKIE = "okmarts_csrf"


@dataclass(frozen=True)
class Shopper:
    email: str
    account_id: int
    cookie: str  # the Cookie header their browser sends
    csrf: str  # the token htmx sends in x-okmarts-csrf


class Browser:
    """A cookie-keeping client, as a browser with JavaScript off is."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next((cookie.value or "" for cookie in self.jar if cookie.name == name), "")

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return str(response.read().decode())

    def post(self, path: str, form: dict[str, str]) -> str:
        if not self.cookie(CSRF_COOKIE):
            self.get("/")
        body = urllib.parse.urlencode({"_csrf_token": self.cookie(CSRF_COOKIE), **form})
        request = urllib.request.Request(self.base + path, data=body.encode(), method="POST")
        with self.opener.open(request, timeout=30) as response:  # follows the 303
            return str(response.read().decode())

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)


def _one_shopper(base: str, database_url: str, number: int) -> Shopper:
    browser = Browser(base)
    email = f"bench-{number}-{uuid.uuid4().hex[:8]}@example.com"
    browser.get("/register")
    browser.post("/register", {"email": email, "password": PASSWORD, "accept_policy": "yes"})
    # The verification link as emailed (read from the outbox, where the email is written).
    rows = query(
        database_url,
        "SELECT text_body FROM outbox_message WHERE recipient = ? AND kind = 'verify_email'",
        email,
    )
    link = re.search(r"https?://[^/\s]+(/verify-email\?\S+)", rows[0][0]) if rows else None
    if link is None:
        raise SystemExit(f"No verification email for {email}: is sign-up working?")
    if "is confirmed" not in browser.get(link.group(1)):
        raise SystemExit(f"Verifying {email} failed.")
    # A shopper who has chosen about cookies (the banner is gone), then a fresh sign-in.
    browser.post("/cookies", {"choice": "reject_all", "next": "/", "source": "banner"})
    browser.post("/logout", {})
    browser.get("/login")
    browser.post("/login", {"email": email, "password": PASSWORD})
    if "okmarts_session" not in browser.cookie_header():
        raise SystemExit(f"Signing in {email} failed.")
    account = query(database_url, "SELECT id FROM account WHERE email = ?", email)[0][0]
    return Shopper(email, int(account), browser.cookie_header(), browser.cookie(CSRF_COOKIE))


def sign_up_shoppers(base: str, database_url: str, count: int) -> list[Shopper]:
    """`count` shoppers, each with their own session (the server must allow that many sign-ups
    from one address: OKMARTS_SIGN_UP_LIMIT_PER_HOUR)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda n: _one_shopper(base, database_url, n), range(count)))


def cart_total(database_url: str, shoppers: list[Shopper]) -> int:
    """Items in these shoppers' carts, all lines together."""
    ids = ",".join(str(shopper.account_id) for shopper in shoppers)
    rows = query(
        database_url, f"SELECT COALESCE(SUM(quantity), 0) FROM cart_line WHERE account IN ({ids})"
    )
    return int(rows[0][0])
