"""Shared test set-up: fresh databases (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import asyncpg
import pytest

from tests.smtp import SmtpSink

POSTGRES_URL = os.environ.get("OKMARTS_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]
# A small, deterministic catalog: the same seed always gives the same products.
TEST_PRODUCTS = 240
TEST_SEED = 7


@dataclass(frozen=True)
class TestDatabase:
    __test__ = False  # a fixture value, not a test class
    backend: str
    url: str
    data_dir: Path

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "OKMARTS_DATABASE_URL": self.url,
            "OKMARTS_DATA_DIR": str(self.data_dir),
            "OKMARTS_SECRET_KEY": "test-secret-key-not-for-production",
        }


def okmarts(
    *args: str, env: dict[str, str], input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the `okmarts` command as an operator would (`input` goes to its stdin)."""
    result = subprocess.run(
        [sys.executable, "-m", "okmarts.cli", *args],
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (
        f"okmarts {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    )
    return result


def _admin_url(url: str, database: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{database}"))


def _postgres(sql: str) -> None:
    """Run one statement on the server's maintenance database (CREATE/DROP DATABASE)."""

    async def run() -> None:
        connection = await asyncpg.connect(POSTGRES_URL)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    # Fixtures may be set up while pytest-asyncio's loop runs: use a loop of our own, elsewhere.
    with ThreadPoolExecutor(max_workers=1) as executor:
        executor.submit(asyncio.run, run()).result()


def create_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> TestDatabase:
    data_dir = tmp_path_factory.mktemp(f"okmarts-{backend}")
    if backend == "sqlite":
        return TestDatabase(backend, f"sqlite:///{data_dir / 'test.sqlite3'}", data_dir)
    name = f"okmarts_test_{uuid.uuid4().hex[:12]}"
    _postgres(f'CREATE DATABASE "{name}"')
    return TestDatabase(backend, _admin_url(POSTGRES_URL or "", name), data_dir)


def drop_database(database: TestDatabase) -> None:
    if database.backend == "postgres":
        name = urlparse(database.url).path.lstrip("/")
        _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=BACKENDS)
def seeded_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestDatabase]:
    """A migrated database holding the deterministic test catalog, per backend."""
    database = create_database(request.param, tmp_path_factory)
    okmarts("migrate", env=database.env())
    okmarts("seed", "--products", str(TEST_PRODUCTS), "--seed", str(TEST_SEED), env=database.env())
    yield database
    drop_database(database)


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    """A real SMTP server on a free loopback port, keeping every message it receives."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()
