"""Customer service: one message per form submission (unique conversation + client key).

A NULL key (a system line, or a client that sent none) never collides."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T18:33:41:000000"
VERSION = "1.38.0"
DESCRIPTION = "Customer service: a message is stored once per form submission"

STATEMENTS = [
    "CREATE UNIQUE INDEX conversation_message_client_key"
    " ON conversation_message (conversation, client_key)",
    "CREATE INDEX conversation_message_key ON conversation_message (client_key)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
