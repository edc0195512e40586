"""Hand-written, for watched parts (okmarts.tables.watches, services.watch_alerts):

- Unique watches: one per (account, product, kind) for signed-in shoppers, one per (email,
  product, kind) for visitors (partial unique indexes); one alert per (event, watch).
- A trigger on product writes a `product_event` in the transaction of the change itself, so an
  admin save, an import, an order's restock or plain SQL all produce it, and a change rolled
  back produces none: back in stock (from none, or from not for sale, to some for sale),
  price drop (lower than before), discontinued. Only for a product someone watches for that
  kind: a catalog import changing thousands of prices writes nothing for unwatched parts.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T17:54:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Watched parts: unique indexes and the product event trigger"

INDEXES = [
    "CREATE UNIQUE INDEX part_watch_account_key ON part_watch (account, product, kind)"
    " WHERE account IS NOT NULL",
    "CREATE UNIQUE INDEX part_watch_email_key ON part_watch (email, product, kind)"
    " WHERE account IS NULL",
    "CREATE UNIQUE INDEX watch_alert_key ON watch_alert (event, watch)",
    "CREATE INDEX product_event_pending ON product_event (id) WHERE done_at IS NULL",
]

# The same three tests in both databases (SQLite spells IS DISTINCT FROM as IS NOT).
BACK_IN_STOCK = (
    "new.stock > 0 AND new.status = 'active' AND (old.stock <= 0 OR old.status <> 'active')"
)
PRICE_DROP = "new.price_minor < old.price_minor"
DISCONTINUED = "new.status = 'discontinued' AND old.status <> 'discontinued'"
EVENTS = (
    ("back_in_stock", BACK_IN_STOCK),
    ("price_drop", PRICE_DROP),
    ("discontinued", DISCONTINUED),
)


def _watched(kind: str) -> str:
    return f"EXISTS (SELECT 1 FROM part_watch WHERE product = new.id AND kind = '{kind}')"


def _insert(kind: str) -> str:
    return (
        "INSERT INTO product_event (product, kind, old_price_minor, new_price_minor, done_at) "
        f"SELECT new.id, '{kind}', old.price_minor, new.price_minor, NULL"
    )


SQLITE = [
    f"""CREATE TRIGGER part_watch_product_event AFTER UPDATE OF stock, price_minor, status
        ON product WHEN EXISTS (SELECT 1 FROM part_watch WHERE product = new.id)
        BEGIN
        {" ".join(f"{_insert(kind)} WHERE ({test}) AND {_watched(kind)};" for kind, test in EVENTS)}
        END""",
]
POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION okmarts_part_watch_event() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            {
        " ".join(
            f"IF ({test}) AND {_watched(kind)} THEN {_insert(kind)}; END IF;"
            for kind, test in EVENTS
        )
    }
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER part_watch_product_event AFTER UPDATE OF stock, price_minor, status
        ON product FOR EACH ROW
        WHEN (old.stock IS DISTINCT FROM new.stock
              OR old.price_minor IS DISTINCT FROM new.price_minor
              OR old.status IS DISTINCT FROM new.status)
        EXECUTE FUNCTION okmarts_part_watch_event()""",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        triggers = POSTGRES if engine.engine_type == "postgres" else SQLITE
        for statement in [*INDEXES, *triggers]:
            await engine.run_ddl(statement)

    manager.add_raw(create)
    return manager
