"""Staff's answer to a quote for the browser tests, through the service the quotes queue calls
(admin.quotes → services.quotes.answer), in a process of its own pointed at the live server's
database, as tests/e2e/staff.py does for orders and reviews.

    answer_quote(database, base_url, "Q-2026-000001", price_minor=7_770)
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys

from tests.conftest import TestDatabase
from tests.e2e.staff import PROJECT_ROOT, STAFF_NAME


def answer_quote(database: TestDatabase, base_url: str, number: str, price_minor: int) -> None:
    """Staff price every line of the quote at `price_minor`, valid for 30 days."""
    env = database.env()
    env["OKMARTS_BASE_URL"] = base_url
    result = subprocess.run(
        [sys.executable, "-m", "tests.e2e.quote_staff", number, str(price_minor)],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"answering {number} failed:\n{result.stderr}"


async def _answer(number: str, price_minor: int) -> None:
    import datetime as dt

    from okmarts.services import quotes
    from okmarts.settings import Settings
    from okmarts.tables.quotes import Quote

    settings = Settings.from_env()
    [row] = await Quote.select(Quote.id).where(Quote.number == number)
    detail = await quotes.staff_detail(row["id"])
    assert detail is not None
    await quotes.answer(
        row["id"],
        {line["id"]: price_minor for line in detail.lines},
        valid_until=dt.datetime.now(dt.UTC) + dt.timedelta(days=30),
        staff_note="Price held for your project.",
        staff=STAFF_NAME,
        settings=settings,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.quote_staff")
    parser.add_argument("number")
    parser.add_argument("price_minor", type=int)
    args = parser.parse_args(argv)

    from okmarts.app import bind_tables
    from okmarts.services import messaging
    from okmarts.settings import Settings

    settings = Settings.from_env()
    bind_tables(settings.database_url)
    messaging.configure_email_rendering(settings.locales_dir)
    asyncio.run(_answer(args.number, args.price_minor))
    return 0


if __name__ == "__main__":
    sys.exit(main())
