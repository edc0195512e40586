"""Hand-written: a part is on a saved list once (its quantity grows instead), on SQLite and
PostgreSQL; the same unique index answers "this list's items" (services.saved_lists)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T18:01:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Saved lists: one row per part and list"

STATEMENTS = [
    "CREATE UNIQUE INDEX saved_list_item_part ON saved_list_item (saved_list, product)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
