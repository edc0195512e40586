"""Hand-written: the notification tables' composite and partial indexes, on SQLite and PostgreSQL.

- notification_subscription: unique (account, type, channel): one choice per type and channel.
- notification (account, created_at): an account's message center, newest first, one index walk.
- notification (account) WHERE read_at IS NULL: the header's unread count, asked with the
  session on every signed-in request, counts only the unread entries of one account.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T14:10:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Notifications: composite and partial indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX notification_subscription_key"
    " ON notification_subscription (account, type, channel)",
    "CREATE INDEX notification_account_created ON notification (account, created_at)",
    "CREATE INDEX notification_unread ON notification (account) WHERE read_at IS NULL",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
