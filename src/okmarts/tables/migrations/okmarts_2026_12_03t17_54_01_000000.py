"""Hand-written: the unique indexes that make "once" hold for follows and policy notices, on
SQLite and PostgreSQL.

- follow: an account follows a category at most once, and a brand at most once (partial
  indexes: the other column is NULL, and NULLs never clash).
- policy_notice: one notice per account and policy version (services/policy_notices.py inserts
  with ON CONFLICT DO NOTHING, so two workers announcing at once tell each account once).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T17:54:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Follows and policy notices: unique indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX follow_account_category ON follow (account, category)"
    " WHERE category IS NOT NULL",
    "CREATE UNIQUE INDEX follow_account_brand ON follow (account, brand) WHERE brand IS NOT NULL",
    "CREATE UNIQUE INDEX policy_notice_key ON policy_notice (account, version)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
