"""Staff's steps on returns for the browser tests, through the services the staff pages call
(admin.returns → services.returns), in a process of its own pointed at the live server's
database, as tests/e2e/staff.py does for orders (the pages themselves: test_returns_admin.py).

    return_step(database, base_url, "approve", "R-2026-000001")
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys

from tests.conftest import TestDatabase
from tests.e2e.staff import PROJECT_ROOT, STAFF_NAME

INSTRUCTIONS = "Send it to Okmarts Returns, Dock 4."
REFUSAL = "The seal is broken: opened parts can't come back."


def return_step(database: TestDatabase, base_url: str, step: str, number: str) -> None:
    """approve | receive | refuse the return with that number."""
    env = database.env()
    env["OKMARTS_BASE_URL"] = base_url
    result = subprocess.run(
        [sys.executable, "-m", "tests.e2e.returns_staff", step, number],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{step} {number} failed:\n{result.stderr}"


async def _step(step: str, number: str) -> None:
    from okmarts.services import returns
    from okmarts.services.payments import configured_gateway
    from okmarts.settings import Settings
    from okmarts.tables.returns import ReturnRequest

    settings = Settings.from_env()
    [row] = await ReturnRequest.select(ReturnRequest.id).where(ReturnRequest.number == number)
    if step == "approve":
        await returns.approve(settings, row["id"], instructions=INSTRUCTIONS, staff=STAFF_NAME)
    elif step == "refuse":
        await returns.refuse(settings, row["id"], reason=REFUSAL, staff=STAFF_NAME)
    else:
        await returns.mark_received(
            settings, row["id"], staff=STAFF_NAME, gateway=configured_gateway()
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.returns_staff")
    parser.add_argument("step", choices=["approve", "receive", "refuse"])
    parser.add_argument("number")
    args = parser.parse_args(argv)
    from okmarts.app import bind_tables
    from okmarts.services import messaging
    from okmarts.settings import Settings

    settings = Settings.from_env()
    bind_tables(settings.database_url)
    messaging.configure_email_rendering(settings.locales_dir)
    asyncio.run(_step(args.step, args.number))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
