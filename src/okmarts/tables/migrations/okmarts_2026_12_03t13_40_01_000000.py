"""Hand-written: a document added, changed or removed shows on product pages at once.

The catalog's change log (see 2026-12-02T20:30:00) gets a row for every change to
product_document: the product's id for a product's own document, no id (every cached page)
for a category's, so cached product pages drop it on every worker. Raw steps run before a
migration's tables are made: hence a migration of its own, after the table's.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T13:40:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Product documents in the catalog change log"
KEEP_CHANGES = 10_000


def _sqlite_log(row: str) -> str:
    return (
        f"INSERT INTO catalog_change (product) VALUES ({row}.product); "
        "DELETE FROM catalog_change WHERE id <= "
        f"(SELECT max(id) FROM catalog_change) - {KEEP_CHANGES};"
    )


SQLITE = [
    f"""CREATE TRIGGER catalog_change_document_{event.lower()} AFTER {event} ON product_document
        BEGIN {_sqlite_log(row)} END"""
    for event, row in (("INSERT", "new"), ("UPDATE", "new"), ("DELETE", "old"))
] + [
    # A category's document moved to a product (or back): the old product's page too.
    """CREATE TRIGGER catalog_change_document_moved AFTER UPDATE OF product ON product_document
        WHEN old.product IS NOT new.product
        BEGIN INSERT INTO catalog_change (product) VALUES (old.product); END""",
]

POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION okmarts_document_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                INSERT INTO catalog_change (product) VALUES (OLD.product);
            END IF;
            IF TG_OP IN ('UPDATE', 'INSERT') THEN
                INSERT INTO catalog_change (product) VALUES (NEW.product);
            END IF;
            DELETE FROM catalog_change
                WHERE id <= currval(pg_get_serial_sequence('catalog_change', 'id'))
                    - {KEEP_CHANGES};
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER catalog_change_document AFTER INSERT OR UPDATE OR DELETE
        ON product_document FOR EACH ROW EXECUTE FUNCTION okmarts_document_changed()""",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        for statement in POSTGRES if engine.engine_type == "postgres" else SQLITE:
            await engine.run_ddl(statement)

    manager.add_raw(create)
    return manager
