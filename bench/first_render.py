"""First renders, measured in-process: what a page costs the worker with the page cache off.

`make bench` loads a real server with wrk, which a busy shared machine makes noisy. This calls
the app directly (one ASGI call per request, in this thread: no socket, no client) and counts
the CPU time the process spends per request, so two versions of the code can be compared on a
loaded machine. Point it at a seeded database (a copy: the app migrates nothing, but writes
page views and sessions if asked to), e.g. one `make bench` keeps in var/bench/:

    cp var/bench/seed-20000-1-*.sqlite3 /tmp/first.sqlite3
    PYTHONPATH=src .venv/bin/python bench/first_render.py sqlite:////tmp/first.sqlite3

It prints, per page, the median over `--rounds` rounds of the mean CPU ms per request, and
`/healthz` for scale. `--profile listing` prints a cProfile of that page instead.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import pstats
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from okmarts.app import create_app
from okmarts.settings import Settings
from okmarts.tables.catalog import Category, Product


async def pages_of(database: Any) -> dict[str, str]:
    category = await Category.select(Category.slug).where(Category.parent.is_null()).first()
    product = await Product.select(Product.slug).order_by(Product.id).first()
    assert category and product, "seed the database first (okmarts seed)"
    return {
        "listing": f"/categories/{category['slug']}",
        "product": f"/products/{product['slug']}",
        "home": "/",
        "search": "/search?q=sensor",
    }


def asgi_get(app: Any, language: str) -> Any:
    async def get(url: str) -> int:
        path, _, query = url.partition("?")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": query.encode(),
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 50000),
            "headers": [
                (b"host", b"127.0.0.1:8000"),
                (b"accept-language", language.encode()),
                (b"accept-encoding", b"gzip, deflate"),
                (b"user-agent", b"first-render-bench"),
            ],
        }
        status = 0

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope, receive, send)
        return status

    return get


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("--requests", type=int, default=40, help="per page and round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--language", default="en")
    parser.add_argument("--profile", help="a page name: print its profile instead")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    settings = Settings(
        database_url=args.database_url,
        data_dir=Path(tempfile.mkdtemp(prefix="okmarts-first-render-")),
        secret_key="first-render-bench-" + "x" * 32,
        page_cache_seconds=0,
        mail_sender_enabled=False,
        payment_sweep_seconds=0,
    )
    app = create_app(settings)
    get = asgi_get(app, args.language)
    pages = await pages_of(app)
    for url in pages.values():
        assert await get(url) == 200, url
        for _ in range(5):
            await get(url)
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            await get(pages[args.profile])
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(60)
        return
    times: dict[str, list[float]] = {name: [] for name in ["healthz", *pages]}
    for _ in range(args.rounds):
        for name, url in [("healthz", "/healthz"), *pages.items()]:
            start = time.process_time()
            for _ in range(args.requests):
                await get(url)
            times[name].append((time.process_time() - start) / args.requests * 1000)
    ceiling = statistics.median(times["healthz"])
    for name, values in times.items():
        median = statistics.median(values)
        share = f"{ceiling / median * 100:5.1f} % of /healthz" if name != "healthz" else ""
        print(f"{name:8} {median:7.3f} ms CPU per request (min {min(values):.3f})  {share}")


if __name__ == "__main__":
    asyncio.run(main())
