"""The database engine: SQLite (default) or PostgreSQL, chosen by OKMARTS_DATABASE_URL."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

BUSY_TIMEOUT_SECONDS = 30


class KeptConnectionSQLiteEngine(SQLiteEngine):
    """SQLite engine that keeps its connections instead of opening one for every query.

    Piccolo's SQLiteEngine opens a new aiosqlite connection (and thread) per query, which caps
    a page at a few hundred requests per second. Here, outside transactions:
    - reads run on one kept sqlite3 connection, in line: in WAL mode a reader never waits for a
      lock, and an indexed read takes microseconds, less than a hop to another thread;
    - writes, and transactions, run on one kept aiosqlite connection (its own thread), so
      waiting for the write lock never blocks the event loop.
    Writers take turns: one at a time per process (an asyncio lock), and one process at a time
    through a lock file beside the database. SQLite allows one writer anyway, but its own busy
    handler waits by sleeping ever longer (1, 2, 5 … 100 ms): under concurrent writes that made
    a cart's add take seconds at the 99th percentile; the lock file hands over at once.
    Transactions that need not wait for the disk (`write_transaction(durable=False)`) run in
    line too, on a third kept connection, once it is their turn: without an fsync to wait for,
    each statement takes microseconds, less than a hop to the writer's thread.
    """

    __slots__ = ("_inline_writers", "_lock_file", "_readers", "_write_locks", "_writers")

    def __init__(self, path: str, **kwargs: Any) -> None:
        # sqlite3's timeout is SQLite's busy timeout: wait for the write lock, don't fail.
        kwargs.setdefault("timeout", BUSY_TIMEOUT_SECONDS)
        super().__init__(path=path, **kwargs)
        self._readers: dict[asyncio.AbstractEventLoop, sqlite3.Connection] = {}
        self._writers: dict[asyncio.AbstractEventLoop, aiosqlite.Connection] = {}
        self._write_locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self._lock_file: tuple[int, int] | None = None  # (pid, file descriptor)
        self._inline_writers: dict[asyncio.AbstractEventLoop, InlineConnection] = {}

    def _inline_writer(self) -> InlineConnection:
        loop = asyncio.get_running_loop()
        connection = self._inline_writers.get(loop)
        if connection is None:
            # No busy timeout: in line, waiting for a lock would stop the event loop (see
            # KeptWriterTransaction.begin for when another program holds it).
            kwargs = {**self.connection_kwargs, "timeout": 0}
            raw = sqlite3.connect(**kwargs, check_same_thread=False)
            raw.row_factory = dict_factory
            raw.execute("PRAGMA foreign_keys = 1")
            raw.execute("PRAGMA journal_mode = WAL")
            raw.execute("PRAGMA synchronous = NORMAL")
            connection = self._inline_writers[loop] = InlineConnection(raw)
        return connection

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
        inline = self._inline_writers.pop(loop, None)
        if inline is not None:
            inline.raw.close()

    def _lock_fd(self) -> int:
        if self._lock_file is None or self._lock_file[0] != os.getpid():
            path = f"{self.path}-write.lock"
            self._lock_file = (os.getpid(), os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        return self._lock_file[1]

    @contextlib.asynccontextmanager
    async def writing(self) -> Any:
        """The right to write: this process's turn, then the database's (see the class)."""
        loop = asyncio.get_running_loop()
        lock = self._write_locks.setdefault(loop, asyncio.Lock())
        async with lock:
            fd = self._lock_fd()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                # Another process writes: wait in a thread. Cancelled meanwhile, the lock is
                # let go as soon as the thread gets it.
                waiting = loop.run_in_executor(None, fcntl.flock, fd, fcntl.LOCK_EX)
                try:
                    await asyncio.shield(waiting)
                except asyncio.CancelledError:
                    waiting.add_done_callback(
                        lambda done: done.exception() or fcntl.flock(fd, fcntl.LOCK_UN)
                    )
                    raise
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return KeptWriterTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )

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
        async with self.writing():
            writer = await self._writer()
            return list(await writer.execute_fetchall(query, args or []))

    async def _run_in_existing_connection(
        self,
        connection: Any,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        # In a transaction, on the kept writer: foreign keys are on already (Piccolo's own
        # version sets them again before every statement), and one hop to its thread, not three.
        return list(await connection.execute_fetchall(query, args or []))


class InlineConnection:
    """A kept sqlite3 connection used in the event loop's own thread, awaited like aiosqlite's
    (so Piccolo's transaction code runs unchanged on it)."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    async def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        return self.raw.execute(sql, parameters)

    async def execute_fetchall(self, sql: str, parameters: Any = ()) -> list[Any]:
        return self.raw.execute(sql, parameters).fetchall()


def _begin_waiting(raw: sqlite3.Connection, statement: str) -> None:
    """BEGIN, waiting up to the busy timeout for another program's lock (in a thread)."""
    raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
    try:
        raw.execute(statement)
    finally:
        raw.execute("PRAGMA busy_timeout = 0")


class KeptWriterTransaction(SQLiteTransaction):
    """A transaction on the engine's kept writer connection, in its turn (`writing()`), instead
    of a new connection and thread for each."""

    __slots__ = ("_turn", "durable")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.durable = True  # see write_transaction

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        engine = self.engine
        assert isinstance(engine, KeptConnectionSQLiteEngine)
        self._turn = engine.writing()
        await self._turn.__aenter__()
        try:
            if self.durable:
                self.connection = await engine._writer()
            else:
                self.connection = engine._inline_writer()
            if self.connection.in_transaction:  # left open by a cancelled statement
                await self.connection.execute("ROLLBACK")
            await self.begin()
        except BaseException as error:
            await self._turn.__aexit__(type(error), error, error.__traceback__)
            raise
        self.context = engine.current_transaction.set(self)
        return self

    async def begin(self) -> None:
        statement = f"BEGIN {self.transaction_type.value}"
        if not isinstance(self.connection, InlineConnection):
            await self.connection.execute(statement)
            return
        try:
            self.connection.raw.execute(statement)
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            # Another program (not an Okmarts engine, which would have waited its turn above)
            # holds the database: wait for it in a thread, not in the event loop.
            await asyncio.to_thread(_begin_waiting, self.connection.raw, statement)

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back and self.connection.in_transaction:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                try:
                    await self.commit()
                except BaseException:
                    if self.connection.in_transaction:
                        await self.rollback()
                    raise
        finally:
            self.engine.current_transaction.reset(self.context)
            await self._turn.__aexit__(exception_type, exception, traceback)
        return exception is None


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


def write_transaction(engine: Engine, *, durable: bool = True) -> Any:
    """A transaction that takes the write lock first, so concurrent writers queue up.

    On SQLite that is BEGIN IMMEDIATE (a deferred transaction that reads, then writes, can
    fail with "database is locked" instead of waiting). PostgreSQL locks rows as it goes;
    callers that read-then-write a row lock it with `lock_rows()`.

    `durable=False`: the commit does not wait for the disk (SQLite `synchronous = NORMAL` in WAL
    mode, PostgreSQL `synchronous_commit = off`). Still atomic and consistent, and safe when the
    process dies; only a power cut or an operating-system crash in the next moment can lose it.
    For changes a shopper would just make again (a cart line), not for orders or payments: on
    this machine a durable commit waits ~5 ms for the disk, and writers take turns. (On SQLite
    such a transaction also runs in the event loop's thread: see KeptConnectionSQLiteEngine.)
    """
    if isinstance(engine, SQLiteEngine):
        transaction = engine.transaction(transaction_type=TransactionType.immediate)
        if isinstance(transaction, KeptWriterTransaction):
            transaction.durable = durable
        return transaction
    if durable:
        return engine.transaction()
    return _not_waiting_for_disk(engine)


@contextlib.asynccontextmanager
async def _not_waiting_for_disk(engine: Engine) -> Any:
    # Inside another transaction, that one decides.
    outermost = engine.current_transaction.get() is None
    async with engine.transaction() as transaction:
        if outermost:
            await transaction.connection.execute("SET LOCAL synchronous_commit TO OFF")
        yield transaction
