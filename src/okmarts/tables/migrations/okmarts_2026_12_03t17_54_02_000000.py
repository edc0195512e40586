"""Hand-written: the newsletter tables' unique indexes, on SQLite and PostgreSQL.

- newsletter_delivery (newsletter, account): a newsletter is queued once per account, whatever
  two workers or a restart do.
- newsletter_translation (newsletter, locale): one subject and body per language.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T17:54:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "Newsletters: unique indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX newsletter_delivery_key ON newsletter_delivery (newsletter, account)",
    "CREATE UNIQUE INDEX newsletter_translation_key ON newsletter_translation (newsletter, locale)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
