"""Staff's side of customer service for the browser tests (issue 16, H-chat): an answer through
services.support.post_message, as the staff inbox does, in a process of its own pointed at the
live server's database (the pattern of tests/e2e/staff.py).

    answer(database, base_url, "S-2026-000123", "Yes, it fits.")
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from tests.conftest import TestDatabase

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def answer(database: TestDatabase, base_url: str, number: str, body: str) -> None:
    env = database.env()
    env["OKMARTS_BASE_URL"] = base_url  # the link in the email it queues
    result = subprocess.run(
        [sys.executable, "-m", "tests.e2e.support_staff", number, body],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"support answer failed:\n{result.stderr}"


async def _answer(number: str, body: str) -> None:
    from okmarts.services import support
    from okmarts.settings import Settings
    from okmarts.tables.support import Conversation

    [row] = await Conversation.select(Conversation.id).where(Conversation.number == number)
    await support.post_message(
        Settings.from_env(), row["id"], author="staff", body=body, staff_username="e2e-staff"
    )


def main() -> int:
    from okmarts.app import bind_tables
    from okmarts.services import messaging
    from okmarts.settings import Settings

    settings = Settings.from_env()
    bind_tables(settings.database_url)
    messaging.configure_email_rendering(settings.locales_dir)
    asyncio.run(_answer(sys.argv[1], sys.argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
