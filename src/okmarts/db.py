"""The database engine: SQLite (default) or PostgreSQL, chosen by OKMARTS_DATABASE_URL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, dict_factory


class KeptConnectionSQLiteEngine(SQLiteEngine):
    """SQLite engine that keeps one connection per event loop for queries outside transactions.

    Piccolo's SQLiteEngine opens a new aiosqlite connection (and thread) for every query, which
    caps a page at a few hundred requests per second. Queries outside a transaction run in
    autocommit mode, so sharing one connection per worker is safe; transactions still get their
    own connection from `transaction()`.
    """

    __slots__ = ("_kept",)

    def __init__(self, path: str, **kwargs: Any) -> None:
        # timeout: wait for the write lock instead of failing under concurrent writers.
        kwargs.setdefault("timeout", 30)
        super().__init__(path=path, **kwargs)
        self._kept: dict[asyncio.AbstractEventLoop, aiosqlite.Connection] = {}

    async def get_connection(self) -> aiosqlite.Connection:
        connection = await super().get_connection()
        await connection.execute("PRAGMA busy_timeout = 30000")
        return connection

    async def _kept_connection(self) -> aiosqlite.Connection:
        loop = asyncio.get_running_loop()
        connection = self._kept.get(loop)
        if connection is None:
            pending = aiosqlite.connect(**self.connection_kwargs)
            # The kept connection lives as long as the worker: its thread must not keep a
            # finished process (a CLI command, a test run) alive. Autocommit + WAL make an
            # abrupt end safe.
            pending._thread.daemon = True
            connection = await pending
            connection.row_factory = dict_factory  # type: ignore[assignment]
            await connection.execute("PRAGMA foreign_keys = 1")
            await connection.execute("PRAGMA busy_timeout = 30000")
            await connection.execute("PRAGMA journal_mode = WAL")
            await connection.execute("PRAGMA synchronous = NORMAL")
            self._kept[loop] = connection
        return connection

    async def close_kept_connection(self) -> None:
        connection = self._kept.pop(asyncio.get_running_loop(), None)
        if connection is not None:
            await connection.close()

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        connection = await self._kept_connection()
        connection.row_factory = dict_factory  # type: ignore[assignment]
        async with connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()


def engine_from_url(url: str) -> Engine:
    """Build the Piccolo engine for a `sqlite:///path` or `postgresql://…` URL."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path, as SQLAlchemy spells them.
        path = unquote(parsed.path)
        path = "/" + path.lstrip("/") if path.startswith("//") else path[1:]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return KeptConnectionSQLiteEngine(path=path)
    if parsed.scheme in {"postgres", "postgresql"}:
        return PostgresEngine(
            config={
                "host": parsed.hostname or "127.0.0.1",
                "port": parsed.port or 5432,
                "user": unquote(parsed.username or "postgres"),
                "password": unquote(parsed.password or "") or None,
                "database": (parsed.path or "/okmarts").lstrip("/"),
            }
        )
    raise ValueError(f"Unsupported OKMARTS_DATABASE_URL scheme: {parsed.scheme!r}")


def is_postgres(engine: Engine) -> bool:
    return engine.engine_type == "postgres"
