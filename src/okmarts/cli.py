"""`okmarts migrate | seed | serve | send-mail | digest | announce-policy | retention …`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

# Piccolo finds its configuration (and so the engine) through this module path.
os.environ.setdefault("PICCOLO_CONF", "okmarts.piccolo_conf")


def migrate(_: argparse.Namespace) -> int:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from okmarts.settings import Settings

    settings = Settings.from_env()
    response = asyncio.run(run_forwards(app_name="all", migration_id="all", fake=False))
    if not response.success:
        print(f"Migrations failed: {response.message}", file=sys.stderr)
        return 1
    print(f"Database is up to date ({_describe(settings.database_url)}).")
    return 0


def seed(args: argparse.Namespace) -> int:
    from okmarts.demo.catalog import catalog_is_empty, seed_catalog
    from okmarts.demo.datasheets import add_missing_datasheets
    from okmarts.services.documents import documents_dir
    from okmarts.settings import data_dir_from_env

    async def run() -> int:
        if not await catalog_is_empty():
            if args.if_empty:
                print("The catalog already has products; nothing seeded.")
                added = await add_missing_datasheets(documents_dir(data_dir_from_env(os.environ)))
                if added:
                    print(f"Added the datasheets of {added} product families.")
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


def served_base_url(host: str, port: int) -> str:
    """The address `okmarts serve --host H --port P` answers on, for absolute links."""
    import socket

    if host in {"0.0.0.0", "::", ""}:
        host = socket.gethostname()  # every interface: the machine's own name reaches it
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal
    return f"http://{host}:{port}"


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from okmarts.settings import Settings

    if not os.environ.get("OKMARTS_BASE_URL"):
        # Links in emails point where this server really answers (workers inherit it).
        os.environ["OKMARTS_BASE_URL"] = served_base_url(args.host, args.port)
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


def send_mail(_: argparse.Namespace) -> int:
    from okmarts.services.messaging import send_due_mail
    from okmarts.settings import Settings

    settings = Settings.from_env()
    report = asyncio.run(send_due_mail(settings))
    print(f"Sent {report.sent}, failed {report.failed}, waiting {report.remaining}.")
    return 1 if report.failed else 0


def digest_command(args: argparse.Namespace) -> int:
    """Queue the weekly digests that are due (safe to run twice: each goes out once a week)."""
    from okmarts.services import follows, messaging
    from okmarts.settings import Settings

    settings = Settings.from_env()
    messaging.configure_email_rendering(settings.locales_dir)
    report = asyncio.run(follows.send_digests(settings))
    print(
        f"Digests: {report.accounts} accounts due, {report.queued} queued, "
        f"{report.nothing_new} with nothing new (`okmarts serve` sends them, or run "
        "`okmarts send-mail`)."
    )
    return 0


def announce_policy_command(args: argparse.Namespace) -> int:
    """Tell every account of a new privacy-policy version (once per account and version)."""
    from okmarts.services import messaging, policy_notices
    from okmarts.settings import Settings

    settings = Settings.from_env()
    messaging.configure_email_rendering(settings.locales_dir)
    done = asyncio.run(policy_notices.announce_current(settings, force=args.force))
    if done.already:
        print(f"Privacy policy {done.version} was announced already; nothing to do.")
    else:
        print(f"Privacy policy {done.version}: {done.told} accounts told.")
    return 0


STAFF_SCOPES = {
    "moderator": "the moderation tables",
    "service": "the service inbox, returns and complaints",
    "moderator and service": "the moderation tables and the service inbox",
}


def create_staff(args: argparse.Namespace) -> int:
    import getpass

    from okmarts.admin import (
        StaffInputError,
        check_staff_password,
        generate_password,
        normalise_staff_email,
        save_staff,
    )

    generated = False
    try:
        email = normalise_staff_email(args.email)  # before asking for a password
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        elif sys.stdin.isatty():
            password = getpass.getpass(f"Password for {email}: ")
            if getpass.getpass("The same password again: ") != password:
                raise StaffInputError("The passwords don't match.")
        else:
            password, generated = generate_password(), True
        check_staff_password(password)
    except StaffInputError as error:
        print(error, file=sys.stderr)
        return 2
    roles = sorted(set(args.role))
    superuser = "admin" in roles
    try:
        result = asyncio.run(
            save_staff(email, password, superuser=superuser, roles=[] if superuser else roles)
        )
    except StaffInputError as error:
        print(error, file=sys.stderr)
        return 2
    what = "admin" if superuser else " and ".join(roles)
    scope = "every table and page" if superuser else STAFF_SCOPES[what]
    if result.created:
        print(f"Created {what} {result.email}: signs in at /admin/ and sees {scope}.")
    else:
        print(
            f"Updated {result.email}: now {what} (sees {scope}), new password; "
            "their open admin sessions were ended."
        )
    if generated:
        print(f"Generated password (shown only now): {password}")
    return 0


def retention_run(args: argparse.Namespace) -> int:
    from okmarts.services import messaging, retention
    from okmarts.settings import Settings

    settings = Settings.from_env()
    messaging.configure_email_rendering(settings.locales_dir)
    counts = asyncio.run(retention.run(settings, dry_run=args.dry_run))
    print(
        "Retention (dry run: nothing changed):"
        if args.dry_run
        else "Retention: deleted or anonymised what expired:"
    )
    width = max(map(len, counts))
    for name, count in counts.items():
        print(f"  {name:<{width}}  {count}")
    return 0


def wind_down_command(args: argparse.Namespace) -> int:
    from okmarts.services import messaging, wind_down
    from okmarts.settings import Settings

    if args.force and not args.finish:
        print("--force goes with --finish.", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    messaging.configure_email_rendering(settings.locales_dir)
    try:
        if args.finish:
            erased = asyncio.run(wind_down.finish(settings, force=args.force))
        else:
            announced = asyncio.run(wind_down.announce(settings, notice_days=args.notice_days))
    except wind_down.WindDownRefused as error:
        print(error, file=sys.stderr)
        return 1
    if args.finish:
        print("Wind-down finished: personal data deleted or anonymised:")
        width = max(map(len, erased.counts))
        for name, count in erased.counts.items():
            print(f"  {name:<{width}}  {count}")
        print(f"Kept for tax law: {erased.orders_kept} orders (`okmarts retention run` anonymises")
        print("them when their retention period ends).")
        return 0
    state = announced.state
    if announced.already_announced:
        print(f"A wind-down was announced already, on {state.announced_at:%Y-%m-%d}; date kept.")
    print(
        f"Okmarts closes on {state.ends_at:%Y-%m-%d %H:%M} UTC: sign-ups and visit statistics "
        "have stopped and every page shows the notice."
    )
    print(
        f"Queued {announced.emails_queued} closing emails (`okmarts serve` sends them, or run "
        "`okmarts send-mail`)."
    )
    print("After that date: okmarts wind-down --finish")
    return 0


def pseudo_locale_command(args: argparse.Namespace) -> int:
    from okmarts.pseudo_locale import PSEUDO_LOCALE, write_catalog
    from okmarts.settings import PROJECT_DIR, data_dir_from_env

    # Not Settings.from_env(): that would create a secret key, which this command has no use for.
    locales_dir = Path(os.environ.get("OKMARTS_LOCALES_DIR") or PROJECT_DIR / "locales")
    pot_file = Path(args.pot) if args.pot else locales_dir / "messages.pot"
    target, count = write_catalog(pot_file, data_dir_from_env(os.environ))
    print(
        f"Pseudo-locale {PSEUDO_LOCALE}: {count} messages from {pot_file} into {target} "
        "(offered when OKMARTS_PSEUDO_LOCALE=1)."
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

    commands.add_parser(
        "send-mail", help="send the emails that are due (one pass over the outbox)"
    ).set_defaults(handler=send_mail)

    commands.add_parser(
        "digest", help="queue the weekly digests of new products in followed categories and brands"
    ).set_defaults(handler=digest_command)

    announce_parser = commands.add_parser(
        "announce-policy", help="tell every account of a new privacy-policy version, once"
    )
    announce_parser.add_argument(
        "--force", action="store_true", help="look for accounts not told yet even if announced"
    )
    announce_parser.set_defaults(handler=announce_policy_command)

    staff_parser = commands.add_parser(
        "create-staff", help="create or update a staff user of the admin at /admin/"
    )
    staff_parser.add_argument("email", help="the staff member's email (also the username)")
    staff_parser.add_argument(
        "--role",
        choices=["moderator", "service", "admin"],
        action="append",
        required=True,
        help="moderator: review and question moderation; service: the service inbox, returns "
        "and complaints; admin: everything. Repeat for several (--role moderator --role service)",
    )
    staff_parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    staff_parser.set_defaults(handler=create_staff)

    retention_parser = commands.add_parser(
        "retention", help="retention periods (see okmarts/services/retention.py)"
    )
    retention_commands = retention_parser.add_subparsers(dest="retention_command", required=True)
    retention_run_parser = retention_commands.add_parser(
        "run", help="delete or anonymise what outlived its retention period (run daily)"
    )
    retention_run_parser.add_argument(
        "--dry-run", action="store_true", help="only count what would be done"
    )
    retention_run_parser.set_defaults(handler=retention_run)

    wind_down_parser = commands.add_parser(
        "wind-down", help="cease operations: announce and notify, then erase (policy §7)"
    )
    wind_down_step = wind_down_parser.add_mutually_exclusive_group(required=True)
    wind_down_step.add_argument(
        "--notice-days",
        type=int,
        metavar="N",
        help="announce closing in N days: stop sign-ups and statistics, email every account",
    )
    wind_down_step.add_argument(
        "--finish",
        action="store_true",
        help="after the notice period: delete or anonymise the personal data held",
    )
    wind_down_parser.add_argument(
        "--force", action="store_true", help="with --finish: before the notice period ends"
    )
    wind_down_parser.set_defaults(handler=wind_down_command)

    pseudo_parser = commands.add_parser(
        "pseudo-locale",
        help="generate the pseudo-locale (en_XA: accented, longer) from locales/messages.pot",
    )
    pseudo_parser.add_argument("--pot", help="the template to read (default: locales/messages.pot)")
    pseudo_parser.set_defaults(handler=pseudo_locale_command)

    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
