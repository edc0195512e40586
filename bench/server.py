"""The bench's databases and servers: seeded copies, `okmarts serve` on 127.0.0.1, worker RSS."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse, urlunparse

HOST = "127.0.0.1"  # the only host ever loaded
PROJECT = Path(__file__).resolve().parent.parent
# Seeded SQLite databases are kept here between runs (var/ is git-ignored): seeding 200,000
# products takes about two minutes, copying the file a second.
SEED_CACHE = PROJECT / "var" / "bench"


def okmarts(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "okmarts.cli", *args], env=env, check=True, stdout=subprocess.DEVNULL
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def sqlite_path(database_url: str) -> str:
    path = unquote(urlparse(database_url).path)
    return "/" + path.lstrip("/") if path.startswith("//") else path[1:]


def query(database_url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Run one statement on the bench database, SQLite or PostgreSQL (SQL written with `?`)."""
    if urlparse(database_url).scheme == "sqlite":
        with contextlib.closing(sqlite3.connect(sqlite_path(database_url), timeout=30)) as db:
            rows = db.execute(sql, args).fetchall()
            db.commit()
            return rows
    import asyncpg  # an app dependency; only needed for PostgreSQL

    for number in range(1, len(args) + 1):
        sql = sql.replace("?", f"${number}", 1)

    async def run() -> list[tuple[Any, ...]]:
        connection = await asyncpg.connect(database_url)
        try:
            return [tuple(row) for row in await connection.fetch(sql, *args)]
        finally:
            await connection.close()

    return asyncio.run(run())


def _seed_fingerprint(products: int, seed: int) -> str:
    """What a seeded database depends on: the migrations and the demo catalog's code."""
    digest = hashlib.sha256(f"{products}:{seed}".encode())
    sources = PROJECT / "src" / "okmarts"
    for path in sorted([*(sources / "tables").rglob("*.py"), *(sources / "demo").rglob("*.py")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def sqlite_database(
    env: dict[str, str], work: Path, products: int, seed: int, fresh: bool
) -> tuple[str, float]:
    """A migrated, seeded SQLite database of its own in `work` (a copy of a kept seed when one
    matches), and the seconds seeding took (0 for a copy)."""
    target = work / f"bench-{products}.sqlite3"
    url = f"sqlite:///{target}"
    kept = SEED_CACHE / f"seed-{products}-{seed}-{_seed_fingerprint(products, seed)}.sqlite3"
    if kept.exists() and not fresh:
        shutil.copyfile(kept, target)
        okmarts({**env, "OKMARTS_DATABASE_URL": url}, "migrate")  # a no-op, unless it isn't
        return url, 0.0
    print(f"Seeding {products:,} products into a new SQLite database…", flush=True)
    started = time.perf_counter()
    okmarts({**env, "OKMARTS_DATABASE_URL": url}, "migrate")
    okmarts(
        {**env, "OKMARTS_DATABASE_URL": url},
        "seed",
        "--products",
        str(products),
        "--seed",
        str(seed),
    )
    seconds = time.perf_counter() - started
    SEED_CACHE.mkdir(parents=True, exist_ok=True)
    for old in SEED_CACHE.glob(f"seed-{products}-{seed}-*.sqlite3"):
        old.unlink()  # one kept seed per size: an outdated one is only disk used
    partial = kept.with_suffix(".part")
    shutil.copyfile(target, partial)
    partial.rename(kept)
    return url, seconds


def postgres_scratch(server_url: str) -> str:
    """A new, empty database on the PostgreSQL server `server_url` names (dropped at the end)."""
    name = f"okmarts_bench_{uuid.uuid4().hex[:10]}"
    query(server_url, f'CREATE DATABASE "{name}"')
    return urlunparse(urlparse(server_url)._replace(path=f"/{name}"))


def drop_postgres(server_url: str, database_url: str) -> None:
    name = urlparse(database_url).path.lstrip("/")
    query(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed_postgres(env: dict[str, str], url: str, products: int, seed: int) -> float:
    print(f"Seeding {products:,} products into PostgreSQL…", flush=True)
    started = time.perf_counter()
    okmarts({**env, "OKMARTS_DATABASE_URL": url}, "migrate")
    okmarts(
        {**env, "OKMARTS_DATABASE_URL": url},
        "seed",
        "--products",
        str(products),
        "--seed",
        str(seed),
    )
    return time.perf_counter() - started


class Server:
    """`okmarts serve` in its own process group, on a free port of 127.0.0.1."""

    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        command = ["serve", "--host", HOST, "--port", str(self.port), "--workers", str(workers)]
        # Own process group: uvicorn's workers are stopped with it even if the parent hangs.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "okmarts.cli", *command], env=env, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"The server exited with code {self.process.returncode} before answering.")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=1) as response:
                    if response.status == 200 and len(self.worker_pids()) >= workers:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        sys.exit("The server did not answer /healthz within 60 s.")

    def worker_pids(self) -> list[int]:
        """uvicorn's worker processes: the server's children that run the app."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == self.process.pid and b"resource_tracker" not in cmdline:
                found.append(int(entry.name))
        return found

    def worker_rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes.append(int(line.split()[1]) / 1024)
        return sorted(sizes, reverse=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        # Whatever is left of its group (workers), by the group id we created.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
