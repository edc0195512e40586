"""Throughput and latency of the main pages against the /healthz ceiling (`make bench`).

A benchmark, not a test: it seeds a fresh catalog in a temporary directory, serves it in production
mode on 127.0.0.1, loads each page with wrk and compares it with the targets. It exits non-zero
only when the run itself breaks (server down, pages erroring), never for a MISS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlparse

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results.json"
HOST = "127.0.0.1"  # the only host ever loaded
THREADS, WARMUP_S = 2, 2
# Minimum req/s as a fraction of the ceiling; every page must also keep p99 under P99_LIMIT_MS.
MIN_FRACTION = {"product": 0.10, "listing": 0.06, "search": 0.06}
P99_LIMIT_MS = 50.0

# Each wrk thread cycles through PATHS; done() prints one JSON line that we parse, which is
# sturdier than scraping wrk's human-readable table. Latencies are in microseconds.
WRK_SCRIPT = """
PATHS = {%s}
local i = 0
request = function()
  i = i %% #PATHS + 1
  return wrk.format("GET", PATHS[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p99_us":%%d,"non_2xx_3xx":%%d,'
    .. '"socket_errors":%%d,"timeouts":%%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write, e.timeout))
end
"""


def okmarts(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "okmarts.cli", *args], env=env, check=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def fetch(sql: str, database_url: str, *args: Any) -> list[tuple[Any, ...]]:
    """Run a read query on the bench database, SQLite or PostgreSQL (SQL written with `?`)."""
    parsed = urlparse(database_url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        path = "/" + path.lstrip("/") if path.startswith("//") else path[1:]
        with sqlite3.connect(path) as connection:
            return connection.execute(sql, args).fetchall()
    import asyncpg  # an app dependency; only needed for --database-url postgresql://

    for number in range(1, len(args) + 1):
        sql = sql.replace("?", f"${number}", 1)

    async def run() -> list[tuple[Any, ...]]:
        connection = await asyncpg.connect(database_url)
        try:
            return [tuple(row) for row in await connection.fetch(sql, *args)]
        finally:
            await connection.close()

    return asyncio.run(run())


def pick_targets(database_url: str) -> dict[str, list[str]]:
    """Real URLs from the seeded data, several per page so caches and plans are not flattered."""

    def q(sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return fetch(sql, database_url, *args)

    roots = [row[0] for row in q("SELECT slug FROM category WHERE parent IS NULL ORDER BY id")]
    # A fixed pseudo-shuffle of ids: products spread over the catalog, the same ones every run.
    spread = "SELECT slug FROM product ORDER BY (id * 7919) % 10007 LIMIT 32"
    products = [row[0] for row in q(spread)]
    candidates = [row[0] for row in q("SELECT name FROM brand ORDER BY id LIMIT 3")]
    candidates += ["sensor", "relay", "valve", "motor", "cable"]
    # Search words that really match, so the page does the full work (ranking, cards).
    matching = "SELECT COUNT(*) FROM product WHERE lower(title || ' ' || search_text) LIKE ?"
    words = [word for word in candidates if q(matching, f"%{word.lower()}%")[0][0]][:6]
    if not (roots and products and words):
        sys.exit("The bench database has no categories, products or searchable words: seed it.")
    return {
        "ceiling": ["/healthz"],
        "home": ["/"],
        "listing": [f"/categories/{quote(slug)}" for slug in roots],
        "product": [f"/products/{quote(slug)}" for slug in products],
        "search": [f"/search?q={quote(word)}" for word in words],
    }


def start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    # Own process group: uvicorn's workers are stopped with it even if the parent hangs.
    command = ["serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(
        [sys.executable, "-m", "okmarts.cli", *command], env=env, start_new_session=True
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"The server exited with code {server.returncode} before answering.")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    sys.exit("The server did not answer /healthz within 30 s.")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=10)
    # Whatever is left of its group (workers), by the group id we created.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing wrk with apt-get…", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
        if found := shutil.which("wrk"):
            return found
    sys.exit("wrk is needed: install it (`sudo apt-get install wrk`) and run again.")


def load(
    wrk: str, base: str, paths: list[str], seconds: int, connections: int, work: Path
) -> dict[str, Any]:
    script = work / "paths.lua"
    script.write_text(WRK_SCRIPT % ", ".join(json.dumps(path) for path in paths))

    def run_wrk(duration: int) -> str:
        command = [
            wrk,
            f"-t{THREADS}",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "-s",
            str(script),
            base,
        ]
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout

    run_wrk(WARMUP_S)  # fills per-worker caches and connections; its numbers are thrown away
    output = run_wrk(seconds)
    line = next(line for line in output.splitlines() if line.startswith("BENCH_JSON "))
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "requests": raw["requests"],
        "non_2xx_3xx": raw["non_2xx_3xx"],
        "socket_errors": raw["socket_errors"],
        "timeouts": raw["timeouts"],
        "paths": len(paths),
    }


def verdict(name: str, row: dict[str, Any]) -> str:
    if name == "ceiling":
        return ""
    ok = row["p99_ms"] < P99_LIMIT_MS and row["fraction"] >= MIN_FRACTION.get(name, 0.0)
    ok = ok and not (row["non_2xx_3xx"] or row["socket_errors"] or row["timeouts"])
    return "PASS" if ok else "MISS"


def print_table(rows: dict[str, dict[str, Any]]) -> None:
    header = ("target", "req/s", "p50 ms", "p99 ms", "of ceil", "goal")
    print("\n{:<9} {:>9} {:>8} {:>8} {:>8} {:>14}  result".format(*header))
    for name, row in rows.items():
        goal = "" if name == "ceiling" else f"p99<{P99_LIMIT_MS:g}"
        if name in MIN_FRACTION:
            goal = f">={MIN_FRACTION[name]:.0%}, {goal}"
        print(
            f"{name:<9} {row['rps']:>9.0f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
            f"{row['fraction']:>8.1%} {goal:>14}  {row['result']}"
        )
        errors = {key: row[key] for key in ("non_2xx_3xx", "socket_errors", "timeouts") if row[key]}
        if errors:
            print(f"{'':<9} errors: {errors}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=20000)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per target")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--database-url",
        help="an EXISTING, EMPTY database (e.g. PostgreSQL); "
        "it is migrated and seeded, and left filled: drop it afterwards",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args()

    wrk = ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="okmarts-bench-"))  # under /tmp, removed at the end
    database_url = args.database_url or f"sqlite:///{work / 'bench.sqlite3'}"
    env = {key: value for key, value in os.environ.items() if key != "OKMARTS_DEBUG"}
    env.update(
        OKMARTS_DATABASE_URL=database_url,
        OKMARTS_DATA_DIR=str(work),
        OKMARTS_SECRET_KEY="bench-only-secret",
        PYTHONUNBUFFERED="1",
    )
    print(f"Data in {work}; database {urlparse(database_url).scheme}.", flush=True)
    server = None
    try:
        okmarts(env, "migrate")
        started = time.perf_counter()
        okmarts(env, "seed", "--products", str(args.products), "--seed", "1")
        seed_seconds = round(time.perf_counter() - started, 1)
        targets = pick_targets(database_url)
        products = fetch("SELECT COUNT(*) FROM product", database_url)[0][0]
        port = free_port()
        server = start_server(env, port, args.workers)
        base = f"http://{HOST}:{port}"
        for paths in targets.values():  # a broken page must fail loudly, not be timed
            for path in paths:
                try:
                    urllib.request.urlopen(base + path, timeout=10).close()
                except urllib.error.HTTPError as error:
                    sys.exit(f"{path} answered {error.code}: fix the page before timing it.")
        rows: dict[str, dict[str, Any]] = {}
        for name, paths in targets.items():
            print(f"Loading {name} ({len(paths)} URL(s), {args.duration} s)…", flush=True)
            rows[name] = load(wrk, base, paths, args.duration, args.connections, work)
    finally:
        if server is not None:
            stop_server(server)
        if args.keep:
            print(f"Kept {work} (OKMARTS_DATABASE_URL={database_url}).")
        else:
            shutil.rmtree(work, ignore_errors=True)

    ceiling = rows["ceiling"]["rps"]
    for name, row in rows.items():
        row["fraction"] = row["rps"] / ceiling
        row["result"] = verdict(name, row)
    print_table(rows)
    wrk_version = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    RESULTS.write_text(
        json.dumps(
            {
                "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "machine": {
                    "nproc": os.cpu_count(),
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                },
                "database": urlparse(database_url).scheme,
                "products": products,
                "seed_seconds": seed_seconds,
                "server": {"workers": args.workers, "debug": False},
                "wrk": {
                    "version": wrk_version.stdout.split("\n")[0],
                    "threads": THREADS,
                    "connections": args.connections,
                    "duration_s": args.duration,
                    "warmup_s": WARMUP_S,
                },
                "targets": {"min_fraction_of_ceiling": MIN_FRACTION, "p99_limit_ms": P99_LIMIT_MS},
                "urls": targets,
                "results": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nWritten to {RESULTS.relative_to(BENCH_DIR.parent)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
