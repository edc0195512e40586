"""A conversation that staff answered and closed, for the survey's browser tests (issue 16,
H-survey): a visitor's, confirmed, through services.support as the inbox would, in a process of
its own pointed at the live server's database (the pattern of tests/e2e/support_staff.py).
Closing queues the survey email, which the live server's sender delivers.

    number = closed_conversation(database, base_url, "visitor@example.com")
"""

from __future__ import annotations

import asyncio
import subprocess
import sys

from tests.conftest import TestDatabase
from tests.e2e.staff import PROJECT_ROOT, STAFF_NAME


def closed_conversation(database: TestDatabase, base_url: str, email: str) -> str:
    """Open, confirm, answer and close a visitor's conversation; its number."""
    env = database.env()
    env["OKMARTS_BASE_URL"] = base_url  # the links in the emails it queues
    result = subprocess.run(
        [sys.executable, "-m", "tests.e2e.survey_staff", email],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"closing a conversation failed:\n{result.stderr}"
    return result.stdout.strip().splitlines()[-1]


async def _closed(email: str) -> str:
    from okmarts.services import support
    from okmarts.settings import Settings

    settings = Settings.from_env()
    opened = await support.open_conversation(
        settings, account=None, email=email, locale="en", body="Is the M12 sensor IP67?"
    )
    await support.verify(settings, support.verification_token(settings, opened))
    await support.post_message(
        settings, opened.id, author="staff", body="Yes, IP67.", staff_username=STAFF_NAME
    )
    await support.set_status(settings, opened.id, "closed", by=STAFF_NAME)
    return opened.number


def main() -> int:
    from okmarts.app import bind_tables
    from okmarts.services import messaging
    from okmarts.settings import Settings

    settings = Settings.from_env()
    bind_tables(settings.database_url)
    messaging.configure_email_rendering(settings.locales_dir)
    print(asyncio.run(_closed(sys.argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
