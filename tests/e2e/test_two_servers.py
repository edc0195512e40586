"""Two `okmarts serve` instances on one PostgreSQL database, as a shop grows past one machine:
a shopper moves between them and nothing notices. Sessions, carts, rate limits and the outbox
live in the database, so both instances agree on them.

Each server runs without OKMARTS_BASE_URL, so its email links also show that links follow the
address actually served.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from tests.conftest import TestDatabase
from tests.e2e.conftest import execute, free_port, wait_until_serving
from tests.smtp import SmtpSink
from tests.states.accounts import PASSWORD, new_email
from tests.states.orders import checkout_fields


@pytest.fixture(scope="module")
def two_servers(seeded_database: TestDatabase, mail_server: SmtpSink) -> Iterator[list[str]]:
    if seeded_database.backend != "postgres":
        pytest.skip("several instances share a PostgreSQL database (SQLite serves one machine)")
    env = {
        key: value for key, value in seeded_database.env().items() if key != "OKMARTS_BASE_URL"
    }
    env |= {
        "OKMARTS_SMTP_URL": mail_server.url,
        "OKMARTS_MAIL_POLL_SECONDS": "0.5",
        # The other browser tests sign up from 127.0.0.1 too, in this database.
        "OKMARTS_SIGN_UP_LIMIT_PER_HOUR": "10000",
    }
    with ExitStack() as stack:
        urls = []
        for name in ("a", "b"):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            log_path = seeded_database.data_dir / f"server-{name}.log"
            log = stack.enter_context(open(log_path, "w"))
            process = subprocess.Popen(
                [sys.executable, "-m", "okmarts.cli", "serve", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            stack.callback(_stop, process)
            wait_until_serving(url, process, log_path)
            urls.append(url)
        yield urls


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def form(browser: httpx.Client, url: str, data: dict[str, str]) -> httpx.Response:
    return browser.post(url, data={"_csrf_token": browser.cookies["okmarts_csrf"], **data})


def mail_to(sink: SmtpSink, recipient: str, subject_word: str, timeout: float = 15) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in sink.to(recipient) if subject_word.lower() in m["Subject"].lower()]
        if found:
            time.sleep(1.5)  # both senders poll every 0.5 s: a second copy would be here by now
            return [m for m in sink.to(recipient) if subject_word.lower() in m["Subject"].lower()]
        time.sleep(0.2)
    return []


def text_of(message) -> str:
    part = message.get_body(("plain",))
    return part.get_content() if part else ""


def test_a_shopper_moves_between_two_instances(
    two_servers: list[str], seeded_database: TestDatabase, mail_server: SmtpSink
) -> None:
    a, b = two_servers
    email = new_email("two-servers")
    # Cookies don't depend on the port: one jar is one browser for both instances.
    with httpx.Client(follow_redirects=False, timeout=20) as browser:
        browser.get(f"{a}/")
        signed_up = form(
            browser, f"{a}/register", {"email": email, "password": PASSWORD, "accept_policy": "yes"}
        )
        assert signed_up.status_code == 303

        # The outbox sends each email once, though both instances run a sender; its link
        # points at the instance that served the sign-up (no OKMARTS_BASE_URL was set).
        [verification] = mail_to(mail_server, email, "confirm")
        [link] = re.findall(rf"{re.escape(a)}/verify-email\?\S+", text_of(verification))
        assert "confirmed" in browser.get(link.replace(a, b), follow_redirects=True).text

        # Signed in on A, shopping on B, checking out on A.
        [[product_id, slug]] = execute(
            seeded_database, "SELECT id, slug FROM product WHERE stock > 10 ORDER BY id LIMIT 1"
        )
        added = form(browser, f"{b}/cart/lines", {"product_id": str(product_id), "quantity": "2"})
        assert added.status_code == 303
        cart_page = browser.get(f"{a}/cart")
        assert f"/products/{slug}" in cart_page.text and 'value="2"' in cart_page.text
        key = re.search(r'name="checkout_key" value="([^"]+)"', browser.get(f"{a}/checkout").text)
        fields = checkout_fields(key.group(1))
        placed = form(browser, f"{a}/checkout", fields)
        assert placed.status_code == 303, placed.text[:500]
        number = placed.headers["location"].split("/")[-1].split("?")[0]
        assert number in browser.get(f"{b}/account/orders/{number}").text
        assert len(mail_to(mail_server, fields["email"], number)) == 1  # the order's contact

        # Signing out on B ends the session on A too.
        session = browser.cookies["okmarts_session"]
        form(browser, f"{b}/logout", {})
        browser.cookies.set("okmarts_session", session)  # a copy kept from before
        assert "/login" in browser.get(f"{a}/account").headers["location"]

    # Wrong passwords on both instances count towards one limit (5 per account).
    answers = []
    with httpx.Client(follow_redirects=False, timeout=20) as attacker:
        attacker.get(f"{a}/")
        for attempt in range(8):
            server = (a, b)[attempt % 2]
            wrong = form(attacker, f"{server}/login", {"email": email, "password": "not it"})
            answers.append(wrong.status_code)
    assert answers == [422] * 5 + [429] * 3
