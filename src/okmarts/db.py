"""The database engine: SQLite (default) or PostgreSQL, chosen by OKMARTS_DATABASE_URL."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory

BUSY_TIMEOUT_SECONDS = 30


class KeptConnectionSQLiteEngine(SQLiteEngine):
    """SQLite engine that keeps its connections instead of opening one for every query.

    Piccolo's SQLiteEngine opens a new aiosqlite connection (and thread) per query, which caps
    a page at a few hundred requests per second. Here, outside transactions:
    - reads run on one kept sqlite3 connection, in line: in WAL mode a reader never waits for a
      lock, and an indexed read takes microseconds, less than a hop to another thread;
    - writes run on one kept aiosqlite connection (its own thread), so waiting for the write
      lock never blocks the event loop.
    Both are in autocommit mode. Transactions still get their own connection.
    """

    __slots__ = ("_readers", "_writers")

    def __init__(self, path: str, **kwargs: Any) -> None:
        # sqlite3's timeout is SQLite's busy timeout: wait for the write lock, don't fail.
        kwargs.setdefault("timeout", BUSY_TIMEOUT_SECONDS)
        super().__init__(path=path, **kwargs)
        self._readers: dict[asyncio.AbstractEventLoop, sqlite3.Connection] = {}
        self._writers: dict[asyncio.AbstractEventLoop, aiosqlite.Connection] = {}

    def _reader(self) -> sqlite3.Connection:
        loop = asyncio.get_running_loop()
        connection = self._readers.get(loop)
        if connection is None:
            connection = sqlite3.connect(**self.connection_kwargs, check_same_thread=False)
            connection.row_factory = dict_factory
            connection.execute("PRAGMA foreign_keys = 1")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA query_only = 1")
            self._readers[loop] = connection
        return connection

    async def _writer(self) -> aiosqlite.Connection:
        loop = asyncio.get_running_loop()
        connection = self._writers.get(loop)
        if connection is None:
            pending = aiosqlite.connect(**self.connection_kwargs)
            # Kept as long as the worker lives: its thread must not keep a finished process (a
            # CLI command, a test run) alive. Autocommit + WAL make an abrupt end safe.
            pending._thread.daemon = True
            connection = await pending
            connection.row_factory = dict_factory  # type: ignore[assignment]
            await connection.execute("PRAGMA foreign_keys = 1")
            await connection.execute("PRAGMA journal_mode = WAL")
            self._writers[loop] = connection
        return connection

    async def close_kept_connections(self) -> None:
        loop = asyncio.get_running_loop()
        reader = self._readers.pop(loop, None)
        if reader is not None:
            reader.close()
        writer = self._writers.pop(loop, None)
        if writer is not None:
            await writer.close()

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        if _is_read(query):
            # Runs the read right here, in the event loop's thread (see the class docstring).
            return self._reader().execute(query, args or []).fetchall()
        writer = await self._writer()
        async with writer.execute(query, args or []) as cursor:
            return await cursor.fetchall()


def _is_read(query: str) -> bool:
    return query.lstrip()[:7].upper().startswith(("SELECT", "WITH"))


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


async def lock_row(table: Any, row_id: int) -> None:
    """Inside a write transaction: hold `row_id` of `table` until it ends.

    Concurrent read-modify-writes of what belongs to that row (an account's cart, its rate
    limits…) then run one after another. On PostgreSQL that is SELECT … FOR UPDATE; on SQLite
    the write transaction's BEGIN IMMEDIATE already serialises every writer.
    """
    if is_postgres(table._meta.db):
        await table.select(table.id).where(table.id == row_id).lock_rows()


def write_transaction(engine: Engine) -> Any:
    """A transaction that takes the write lock first, so concurrent writers queue up.

    On SQLite that is BEGIN IMMEDIATE (a deferred transaction that reads, then writes, can
    fail with "database is locked" instead of waiting). PostgreSQL locks rows as it goes;
    callers that read-then-write a row lock it with `lock_rows()`.
    """
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()
