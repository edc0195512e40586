"""Staff roles: a role is held once per staff user (unique user_id + role)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-04T16:38:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "Staff roles: one row per user and role"

STATEMENTS = ["CREATE UNIQUE INDEX staff_role_user_role ON staff_role (user_id, role)"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
