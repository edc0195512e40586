"""Browser tests: a live `okmarts serve` on a free port with its own database, in Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import TestDatabase, okmarts
from tests.smtp import SmtpSink

# Debian's Chromium where Playwright cannot download its own browser (as on CI).
SYSTEM_CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    args = {**browser_type_launch_args, "args": CHROMIUM_FLAGS}
    if SYSTEM_CHROMIUM and not os.environ.get("OKMARTS_PLAYWRIGHT_BROWSER"):
        args["executable_path"] = SYSTEM_CHROMIUM
    return args


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def mail_server() -> Iterator[SmtpSink]:
    """The SMTP server the live shop sends its email to (a real one, on loopback)."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def server_env(
    database: TestDatabase, mail_server: SmtpSink, base_url: str, **settings: str
) -> dict[str, str]:
    """The environment of a shop served for browser tests, with `settings` on top."""
    return {
        **database.env(),
        "OKMARTS_BASE_URL": base_url,
        "OKMARTS_SMTP_URL": mail_server.url,
        "OKMARTS_MAIL_POLL_SECONDS": "0.5",
        # Every browser test signs up from 127.0.0.1.
        "OKMARTS_SIGN_UP_LIMIT_PER_HOUR": "10000",
        **settings,
    }


@contextmanager
def serving(base_url: str, env: dict[str, str], log_path: Path) -> Iterator[str]:
    """`okmarts serve` on base_url's port until the block ends; its output goes to log_path."""
    port = base_url.rsplit(":", 1)[1]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "okmarts.cli", "serve", "--port", port],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_serving(base_url, process, log_path)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="session")
def live_server(seeded_database: TestDatabase, mail_server: SmtpSink) -> Iterator[str]:
    """The shop served as `make run` serves it, on a port of its own, mailing to mail_server."""
    base_url = f"http://127.0.0.1:{free_port()}"
    env = server_env(
        seeded_database,
        mail_server,
        base_url,
        # Tests approve reviews and deliver orders in the database, behind the shop's back: its
        # cached pages show such changes within this TTL (changes through the shop drop them).
        OKMARTS_PAGE_CACHE_SECONDS="2",
        # The pseudo-locale (tests/e2e/test_pseudo_locale.py), built from today's messages.pot.
        OKMARTS_PSEUDO_LOCALE="1",
    )
    okmarts("pseudo-locale", env=env)
    with serving(base_url, env, seeded_database.data_dir / "server.log"):
        yield base_url


def wait_until_serving(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=1) as response:
                if response.read() == b"ok":
                    return
        except OSError as error:
            if process.poll() is not None or time.monotonic() > deadline:
                log = log_path.read_text()
                raise RuntimeError(f"okmarts serve did not start:\n{log}") from error
        time.sleep(0.2)


@pytest.fixture(params=[True, False], ids=["js-on", "js-off"])
def javascript(request: pytest.FixtureRequest) -> bool:
    return request.param


@contextmanager
def shopper_page(browser: Browser, base_url: str, javascript: bool) -> Iterator[Page]:
    """A fresh browser context on base_url, in English, with JavaScript on or off."""
    context = browser.new_context(
        base_url=base_url,
        java_script_enabled=javascript,
        locale="en-US",
        extra_http_headers={"Accept-Language": "en-US,en;q=0.9"},
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def page(browser: Browser, live_server: str, javascript: bool) -> Iterator[Page]:
    with shopper_page(browser, live_server, javascript) as page:
        yield page


def execute(database: TestDatabase, sql: str) -> list[tuple[Any, ...]]:
    """Run one statement on the live server's database (returns its rows, if any).

    Tests read with it to pick data, and write only to set up what they can't click through
    quickly (an order delivered, a review approved).
    """
    if database.backend == "sqlite":
        import sqlite3

        path = database.url.removeprefix("sqlite:///")
        with sqlite3.connect(path, timeout=30) as connection:
            return connection.execute(sql).fetchall()

    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import asyncpg

    async def run() -> list[tuple[Any, ...]]:
        connection = await asyncpg.connect(database.url)
        try:
            return [tuple(row) for row in await connection.fetch(sql)]
        finally:
            await connection.close()

    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, run()).result()


query = execute
