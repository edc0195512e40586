"""Hand-written: the composite indexes behind account pages, rate limits and the mail sender."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T12:18:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Indexes for sign-in history, rate limits, the outbox and the points ledger"

INDEXES = [
    # "Try again in N minutes": attempts by key within a window.
    "CREATE INDEX IF NOT EXISTS attempt_key_created ON attempt (key, created_at)",
    # Retention deletes old attempts by time alone.
    "CREATE INDEX IF NOT EXISTS attempt_created ON attempt (created_at)",
    # The sender's scan: unsent messages that are due.
    "CREATE INDEX IF NOT EXISTS outbox_due ON outbox_message (sent_at, send_after)",
    "CREATE INDEX IF NOT EXISTS sign_in_account_created ON sign_in (account, created_at)",
    "CREATE INDEX IF NOT EXISTS sign_in_account_device ON sign_in (account, device_hash)",
    "CREATE INDEX IF NOT EXISTS points_entry_account_id ON points_entry (account, id)",
    "CREATE INDEX IF NOT EXISTS address_account_kind ON address (account, kind)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for statement in INDEXES:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
