"""`okmarts migrate | seed | serve`: the operator's commands."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

# Piccolo finds its configuration (and so the engine) through this module path.
os.environ.setdefault("PICCOLO_CONF", "okmarts.piccolo_conf")


def migrate(_: argparse.Namespace) -> int:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from okmarts.settings import Settings

    settings = Settings.from_env()
    response = asyncio.run(run_forwards(app_name="okmarts", migration_id="all", fake=False))
    if not response.success:
        print(f"Migrations failed: {response.message}", file=sys.stderr)
        return 1
    print(f"Database is up to date ({_describe(settings.database_url)}).")
    return 0


def seed(args: argparse.Namespace) -> int:
    from okmarts.services.seed import catalog_is_empty, seed_catalog

    async def run() -> int:
        if not await catalog_is_empty():
            if args.if_empty:
                print("The catalog already has products; nothing seeded.")
                return 0
            print("The catalog is not empty: seed only into a fresh database.", file=sys.stderr)
            return 1
        started = time.perf_counter()
        try:
            report = await seed_catalog(products=args.products, seed=args.seed)
        except ValueError as error:
            print(error, file=sys.stderr)
            return 2
        print(
            f"Seeded {report.products} products, {report.categories} categories and "
            f"{report.brands} brands in {time.perf_counter() - started:.1f} s."
        )
        return 0

    return asyncio.run(run())


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from okmarts.settings import Settings

    settings = Settings.from_env()  # creates the secret key once, before workers start
    print(
        f"Okmarts on http://{args.host}:{args.port} ({_describe(settings.database_url)}), "
        f"{args.workers} worker(s)."
    )
    uvicorn.run(
        "okmarts.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("OKMARTS_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        access_log=settings.debug,
        log_level="info" if settings.debug else "warning",
        reload=args.reload,
    )
    return 0


def _describe(database_url: str) -> str:
    return database_url.split("://", 1)[0] if "@" in database_url else database_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="okmarts", description="Okmarts shop commands.")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(handler=migrate)

    seed_parser = commands.add_parser("seed", help="load the demo industrial-parts catalog")
    seed_parser.add_argument("--products", type=int, default=500)
    seed_parser.add_argument(
        "--seed", type=int, default=1, help="random seed (same seed, same catalog)"
    )
    seed_parser.add_argument(
        "--if-empty", action="store_true", help="do nothing when products exist"
    )
    seed_parser.set_defaults(handler=seed)

    serve_parser = commands.add_parser("serve", help="serve the shop over HTTP")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8000)
    serve_parser.add_argument("--workers", type=int, default=1)
    serve_parser.add_argument("--reload", action="store_true", help="restart on code changes")
    serve_parser.set_defaults(handler=serve)

    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
