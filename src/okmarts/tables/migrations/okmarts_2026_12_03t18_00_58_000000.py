"""Hand-written, for quantity price breaks (tables/price_breaks.py, services.pricing):

- `price_break_product_quantity`: unique (product, min_quantity): one price per break; it also
  answers a product's breaks in order from the index.
- A break added, changed or removed shows on the product's page (its break table) and in carts,
  as a changed price does: it logs a catalog change with the product's id, so the page cache
  drops the product's cached pages at once (page_cache.follow_catalog). PostgreSQL has a
  function of its own here (okmarts_catalog_changed logs no product id for this table).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T18:00:58:000000"
VERSION = "1.38.0"
DESCRIPTION = "Price breaks: unique (product, quantity); a change is a catalog change"
KEEP_CHANGES = 10_000

UNIQUE = "CREATE UNIQUE INDEX price_break_product_quantity ON price_break (product, min_quantity)"


def _sqlite_log(product: str) -> str:
    return (
        f"INSERT INTO catalog_change (product) VALUES ({product}); "
        "DELETE FROM catalog_change WHERE id <= "
        f"(SELECT max(id) FROM catalog_change) - {KEEP_CHANGES};"
    )


SQLITE = [
    UNIQUE,
    f"""CREATE TRIGGER catalog_change_price_break_insert AFTER INSERT ON price_break
        BEGIN {_sqlite_log("new.product")} END""",
    # A break moved to another product (an admin edit) changes both products' pages.
    f"""CREATE TRIGGER catalog_change_price_break_update AFTER UPDATE ON price_break
        BEGIN {_sqlite_log("old.product")} {_sqlite_log("new.product")} END""",
    f"""CREATE TRIGGER catalog_change_price_break_delete AFTER DELETE ON price_break
        BEGIN {_sqlite_log("old.product")} END""",
]

POSTGRES = [
    UNIQUE,
    f"""CREATE OR REPLACE FUNCTION okmarts_price_break_changed() RETURNS trigger
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
    """CREATE TRIGGER catalog_change_price_break
        AFTER INSERT OR UPDATE OR DELETE ON price_break
        FOR EACH ROW EXECUTE FUNCTION okmarts_price_break_changed()""",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        for statement in POSTGRES if engine.engine_type == "postgres" else SQLITE:
            await engine.run_ddl(statement)

    manager.add_raw(create)
    return manager
