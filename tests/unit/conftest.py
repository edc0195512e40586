from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.app import create_app
from okmarts.settings import PROJECT_DIR, Settings
from okmarts.tables.catalog import Product
from tests.conftest import TestDatabase


def settings_for(database: TestDatabase) -> Settings:
    return Settings(
        database_url=database.url,
        data_dir=database.data_dir,
        secret_key="test-secret-key-not-for-production",
        locales_dir=PROJECT_DIR / "locales",
        static_dir=PROJECT_DIR / "static",
        page_cache_seconds=0,  # tests change data and look again at once
        # No pool: the test client serves from its own event loop, and a pool belongs to one loop.
        # (The browser tests serve through `okmarts serve`, pool included.)
        database_pool_size=0,
        # Many accounts come from the one test client; rate limits are tested on their own.
        sign_up_limit_per_hour=100_000,
        mail_sender_enabled=False,  # tests send with send_due_mail, when they choose
        payment_sweep_seconds=0,  # and sweep unfinished payments (payment_attempts.sweep) too
        notice_jobs_seconds=0,  # and queue digests and policy notices (services/follows.py)
    )


@pytest.fixture
def app(seeded_database: TestDatabase) -> Litestar:
    # create_app also points every table at this database.
    return create_app(settings_for(seeded_database))


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as client:
        yield client


class QueryCounter:
    """The SQL statements a request sent (the `queries` fixture)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def reset(self) -> None:
        self.statements.clear()


@pytest.fixture
def queries(app: Litestar, monkeypatch: pytest.MonkeyPatch) -> Iterator[QueryCounter]:
    counter = QueryCounter()
    engine_class = type(Product._meta.db)
    original = engine_class.run_querystring

    async def counting(self: Any, querystring: Any, *args: Any, **kwargs: Any) -> Any:
        counter.statements.append(str(querystring))
        return await original(self, querystring, *args, **kwargs)

    monkeypatch.setattr(engine_class, "run_querystring", counting)
    yield counter
